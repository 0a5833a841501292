/* api.h: what berth-api's HTTP layer and its routes share.
 *
 * An Api is made once by main and read by every request thread; its Writer serialises git writes, and
 * its metrics have their own lock. A Request lives for one HTTP request; handlers fill a
 * Response, and the HTTP layer turns it into the reply (a problem+json for an error status). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "gitops/write.h"
#include "guard.h"
#include "validity.h"
#include "live.h"
#include "metrics.h"
#include "policy/policy.h"

#define API_BODY_MAX ((size_t)1024 * 1024)
/* Limits that keep one client from taking the server down (guard.h). A request must arrive whole
 * within the deadline; the bodies buffered at once share one budget; connections are capped in total
 * (below the descriptor limit) and per client address. Behind a reverse proxy every client has the
 * proxy's address: raise the per-client cap there (or let the proxy enforce its own). */
#define API_REQUEST_DEADLINE_S     20
#define API_BODIES_MAX             ((size_t)64 * 1024 * 1024)
#define API_CONNECTIONS_MAX        4096
#define API_CONNECTIONS_PER_CLIENT 64
#define API_THREADS                4

typedef struct Api {
        Writer *writer;
        Tokens tokens;
        const char *templates_dir; /* --templates: built-in definitions besides the repo's; NULL: none */
        const char *branch;
        Policy *policy; /* what a rendered stack may ask of the host */
        Metrics metrics;
        Live live;          /* the engine, for what runs */
        unsigned in_flight; /* requests begun and not yet answered (atomic) */
        Guard guard;        /* deadlines and the body budget, while serving */
        Validity validity;  /* which stacks load, by their content */
} Api;

struct WebAsset;

typedef struct Request {
        const char *method;
        const char *path;
        const char *body;
        size_t body_len;
        const char *content_type;
        const char *if_none_match; /* the ETag a browser has cached, or NULL */
        const Token *token;        /* NULL on open routes, or when the token is unknown */
        bool presented_token;      /* an Authorization: Bearer header was sent */
        char params[2][128];       /* the {name} parts of the route, in order */
        int route;                 /* its index in api_routes, or -1 */
        void *conn;                /* the libmicrohttpd connection, for query arguments */
} Request;

typedef struct Response {
        int status;
        cJSON *json;           /* the body (owned); NULL with an error status: a problem is made */
        char *text;            /* or a text body (owned) */
        const char *text_type; /* its content type */
        char title[128];       /* for a problem: what went wrong, and where */
        char detail[1200];
        char pointer[256];
        cJSON *extra; /* a problem's extension members (owned) */
        /* Or a file of the web page (static: not owned); with page, it is the page itself, and gets
         * the Content-Security-Policy that keeps it to its own files. */
        const struct WebAsset *asset;
        bool page;
} Response;

typedef int (*Handler)(Api *api, Request *req, Response *res);

typedef struct Route {
        const char *method;
        const char *pattern; /* "/stacks/{name}" */
        Handler fn;
        Role role; /* ROLE_NONE: open */
} Route;

extern const Route api_routes[];
extern const size_t api_n_routes;

/* A query argument of the request, or NULL. */
const char *api_query(const Request *req, const char *name);
/* Sets an error response; returns status. */
int api_problem(Response *res, int status, const char *title, const char *pointer, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/* Finds the request's route and checks its token's role: 0, or the refusal's status with res filled
 * (and ret_refusal saying why, for the log, when it was the token's). */
int api_admit(Api *api, Request *req, Response *res, const char **ret_refusal);
/* Routes a request, checks its token and body, and runs its handler (the HTTP layer's core, apart from
 * libmicrohttpd, so the fuzzer can drive it). Returns the response's status. */
int api_dispatch(Api *api, Request *req, Response *res);
/* Starts serving on listen ("HOST:PORT" or "unix:/path"); returns the daemon to stop, or NULL. */
void *api_serve(Api *api, const char *listen, BerthError *err);
/* Stops taking connections, waits (up to a minute) until every request begun has been answered, then
 * stops the server: a SIGTERM never cuts a commit or its reply in half. */
void api_stop(Api *api, void *daemon);
