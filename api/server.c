/* server.c: berth-api's HTTP layer on libmicrohttpd: bodies with a limit, routing, auth, problem+json. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "access.h"
#include "api.h"
#include "util/strbuf.h"
#include "web.h"
#include "util/json.h"

const char *api_query(const Request *req, const char *name)
{
        return req->conn ? MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

int api_problem(Response *res, int status, const char *title, const char *pointer, const char *fmt, ...)
{
        va_list ap;
        res->status = status;
        snprintf(res->title, sizeof(res->title), "%s", title);
        snprintf(res->pointer, sizeof(res->pointer), "%s", pointer ? pointer : "");
        va_start(ap, fmt);
        vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
        va_end(ap);
        return status;
}

/* Matches path against pattern, taking the {name} parts into params. */
static bool route_match(const char *pattern, const char *path, char params[2][128])
{
        size_t np = 0;
        while (*pattern && *path) {
                if (*pattern != '/' || *path != '/')
                        return false;
                pattern++;
                path++;
                const char *pe = strchrnul(pattern, '/'), *se = strchrnul(path, '/');
                if (*pattern == '{') {
                        if (se == path || np >= 2 || (size_t)(se - path) >= 128)
                                return false;
                        memcpy(params[np], path, (size_t)(se - path));
                        params[np++][se - path] = '\0';
                } else if (pe - pattern != se - path || strncmp(pattern, path, (size_t)(pe - pattern)) != 0)
                        return false;
                pattern = pe;
                path = se;
        }
        return !*pattern && (!*path || strcmp(path, "/") == 0);
}

/* The page loads only its own files and talks only to this API: no inline script, no other site, no
 * framing. */
#define WEB_CSP                                                                                             \
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src "       \
        "'self'; "                                                                                          \
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* A file of the web page: revalidated by its ETag on every load, so a new binary's page is seen at once
 * while an unchanged one costs a 304. */
static enum MHD_Result reply_asset(struct MHD_Connection *c, const Request *req, Response *res)
{
        const WebAsset *a = res->asset;
        bool fresh = req->if_none_match && strcmp(req->if_none_match, a->etag) == 0;
        struct MHD_Response *r =
                MHD_create_response_from_buffer(fresh ? 0 : a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type", a->type);
        MHD_add_response_header(r, "ETag", a->etag);
        MHD_add_response_header(r, "Cache-Control", "no-cache");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        if (res->page) {
                MHD_add_response_header(r, "Content-Security-Policy", WEB_CSP);
                MHD_add_response_header(r, "X-Frame-Options", "DENY");
        }
        enum MHD_Result ok = MHD_queue_response(c, fresh ? 304 : (unsigned)res->status, r);
        MHD_destroy_response(r);
        return ok;
}

static enum MHD_Result reply(struct MHD_Connection *c, const Request *req, Response *res)
{
        if (res->asset && res->status == 200)
                return reply_asset(c, req, res);
        _cleanup_free_ char *text = NULL;
        const char *type = "application/json";
        if (res->status >= 400 && !res->json) {
                /* RFC 9457: what went wrong, for which request, and where in it. */
                cJSON *p = cJSON_CreateObject();
                cJSON_AddStringToObject(p, "type", "about:blank");
                cJSON_AddStringToObject(p, "title", res->title[0] ? res->title : "error");
                cJSON_AddNumberToObject(p, "status", res->status);
                if (res->detail[0])
                        cJSON_AddStringToObject(p, "detail", res->detail);
                if (res->pointer[0])
                        cJSON_AddStringToObject(p, "pointer", res->pointer);
                for (cJSON *e = res->extra ? res->extra->child : NULL; e; e = e->next)
                        json_set(p, e->string, cJSON_Duplicate(e, 1));
                res->json = p;
                type = "application/problem+json";
        }
        if (res->json && !(text = json_print(res->json, false))) {
                /* A reply that lost a part to a failed allocation is not sent as if whole. */
                static const char oom[] =
                        "{\"type\":\"about:blank\",\"title\":\"out of memory\",\"status\":500}";
                if (!(text = strdup(oom)))
                        return MHD_NO;
                res->status = 500;
                type = "application/problem+json";
        } else if (!res->json && res->text) {
                text = TAKE_PTR(res->text);
                type = res->text_type ? res->text_type : "text/plain; charset=utf-8";
        }
        struct MHD_Response *r =
                MHD_create_response_from_buffer(text ? strlen(text) : 0, text ? text : (char *)"",
                                                text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        TAKE_PTR(text);
        MHD_add_response_header(r, "Content-Type", type);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        if (res->status == 401)
                MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"berth-api\"");
        if (res->status == 503)
                MHD_add_response_header(r, "Retry-After", "5");
        enum MHD_Result ok = MHD_queue_response(c, (unsigned)res->status, r);
        MHD_destroy_response(r);
        return ok;
}

/* The route, the token and its role: decided as soon as the headers are in, before any body is read. */
int api_admit(Api *api, Request *req, Response *res, const char **ret_refusal)
{
        const Route *found = NULL;
        bool path_known = false;
        req->route = -1;
        *ret_refusal = NULL;
        for (size_t i = 0; i < api_n_routes && !found; i++) {
                char params[2][128];
                if (!route_match(api_routes[i].pattern, req->path, params))
                        continue;
                path_known = true;
                if (strcmp(api_routes[i].method, req->method) == 0) {
                        found = &api_routes[i];
                        req->route = (int)i;
                        memcpy(req->params, params, sizeof(params));
                }
        }
        if (!found)
                return path_known ? api_problem(res, 405, "method not allowed", NULL,
                                                "%s is not served on %s", req->method, req->path)
                                  : api_problem(res, 404, "not found", NULL, "no route %s", req->path);
        if (found->role != ROLE_NONE) {
                /* A missing or unknown token is 401; a read token asking to write, 403. */
                if (!req->token) {
                        *ret_refusal = req->presented_token ? "unknown token" : "no token";
                        return api_problem(res, 401, "unauthorized", NULL,
                                           "a valid bearer token is needed (Authorization: Bearer TOKEN)");
                }
                if (found->role == ROLE_WRITE && req->token->role != ROLE_WRITE) {
                        *ret_refusal = "read token asked to write";
                        return api_problem(res, 403, "forbidden", NULL, "token \"%s\" may only read",
                                           req->token->name);
                }
        }
        return 0;
}

int api_dispatch(Api *api, Request *req, Response *res)
{
        const char *refusal;
        int r = api_admit(api, req, res, &refusal);
        if (r)
                return r;
        if (req->body_len && strcmp(req->method, "GET") != 0 &&
            (!req->content_type || strncmp(req->content_type, "application/json", 16) != 0))
                return api_problem(res, 415, "unsupported media type", NULL,
                                   "the body must be application/json");
        return api_routes[req->route].fn(api, req, res);
}

/* What one connection's request holds between libmicrohttpd's calls. */
typedef struct Conn {
        StrBuf body;
        size_t reserved; /* of the Guard's body budget */
        bool too_large, no_room, answered;
        struct timespec t0;
        char client[64];
} Conn;

static void client_address(struct MHD_Connection *c, char *buf, size_t size)
{
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = i ? i->client_addr : NULL;
        snprintf(buf, size, "unix");
        if (sa && sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
        else if (sa && sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)size);
}

static GuardConn *guard_of(struct MHD_Connection *c)
{
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return i ? i->socket_context : NULL;
}

static void request_of(struct MHD_Connection *c, const char *url, const char *method, const Conn *conn,
                       const Tokens *tokens, Request *req)
{
        *req = (Request){ .route = -1,
                          .method = method,
                          .path = url,
                          .body = strbuf_str(&conn->body),
                          .body_len = conn->body.len,
                          .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
                          .if_none_match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match"),
                          .conn = c };
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (auth && strncmp(auth, "Bearer ", 7) == 0) {
                req->presented_token = true;
                req->token = tokens_check(tokens, auth + 7, strlen(auth + 7));
        }
}

static double since(const struct timespec *t0)
{
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Answers and logs a request; the response's bodies are freed. */
static enum MHD_Result answer(Api *api, struct MHD_Connection *c, Conn *conn, Request *req, Response *res,
                              const char *note)
{
        enum MHD_Result ok = reply(c, req, res);
        double took = since(&conn->t0);
        conn->answered = true;
        metrics_request(&api->metrics, req->route, res->status, took);
        access_log_request(stderr, &(AccessEntry){ .client = conn->client,
                                                   .token = req->token ? req->token->name : NULL,
                                                   .method = req->method,
                                                   .path = req->path,
                                                   .status = res->status,
                                                   .seconds = took,
                                                   .note = note });
        cJSON_Delete(res->json);
        cJSON_Delete(res->extra);
        free(res->text);
        return ok;
}

/* The headers are in: a request that will be refused is answered now, before its body is read, so that
 * neither an unauthenticated client nor an oversized body costs the server memory. */
static enum MHD_Result on_headers(Api *api, struct MHD_Connection *c, Conn *conn, const char *url,
                                  const char *method)
{
        Request req;
        Response res = { .status = 200 };
        const char *refusal = NULL, *note = NULL;
        request_of(c, url, method, conn, &api->tokens, &req);
        if (api_admit(api, &req, &res, &refusal) == 0) {
                const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
                char *end = NULL;
                unsigned long long n = cl ? strtoull(cl, &end, 10) : 0;
                if (cl && (end == cl || *end || n > API_BODY_MAX)) {
                        api_problem(&res, 413, "request too large", NULL,
                                    "the body is larger than %zu bytes", API_BODY_MAX);
                        note = "body too large";
                } else
                        return MHD_YES;
        }
        if (refusal)
                access_log_auth_refused(stderr, conn->client, method, url, refusal);
        return answer(api, c, conn, &req, &res, note);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
        Api *api = cls;
        Conn *conn = *state;
        json_reset(); /* a failed allocation of an earlier request is not this one's */
        if (!conn) {
                if (!(conn = calloc(1, sizeof(Conn))))
                        return MHD_NO;
                strbuf_init(&conn->body, API_BODY_MAX);
                clock_gettime(CLOCK_MONOTONIC, &conn->t0);
                client_address(c, conn->client, sizeof(conn->client));
                *state = conn;
                __atomic_add_fetch(&api->in_flight, 1, __ATOMIC_SEQ_CST);
                return on_headers(api, c, conn, url, method);
        }
        if (conn->answered) {
                *upload_size = 0; /* answered already: the rest is dropped */
                return MHD_YES;
        }
        if (*upload_size) {
                /* Past a limit the rest is read and dropped, then answered with 413 or 503. */
                if (!conn->too_large && !conn->no_room) {
                        if (!guard_body_reserve(&api->guard, *upload_size))
                                conn->no_room = true;
                        else {
                                conn->reserved += *upload_size;
                                if (strbuf_add(&conn->body, upload, *upload_size) < 0)
                                        conn->too_large = true;
                        }
                }
                *upload_size = 0;
                return MHD_YES;
        }
        Response res = { .status = 200 };
        Request req;
        const char *note = NULL;
        request_of(c, url, method, conn, &api->tokens, &req);
        GuardConn *g = guard_of(c);
        guard_conn_busy(&api->guard, g, true);
        if (conn->too_large) {
                api_problem(&res, 413, "request too large", NULL, "the body is larger than %zu bytes",
                            API_BODY_MAX);
                note = "body too large";
        } else if (conn->no_room) {
                api_problem(&res, 503, "server busy", NULL,
                            "too many request bodies are being read at once");
                note = "body budget exhausted";
        } else
                api_dispatch(api, &req, &res);
        enum MHD_Result ok = answer(api, c, conn, &req, &res, note);
        /* The reply is queued: the client's time to read it, and to send the next request, starts now. */
        guard_conn_busy(&api->guard, g, false);
        return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code)
{
        Api *api = cls;
        Conn *conn = *state;
        if (conn) {
                guard_body_release(&api->guard, conn->reserved);
                strbuf_done(&conn->body);
                free(conn);
                __atomic_sub_fetch(&api->in_flight, 1, __ATOMIC_SEQ_CST);
        }
        *state = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
        Api *api = cls;
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *i =
                        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
                *socket_context = i ? guard_conn_new(&api->guard, i->connect_fd) : NULL;
        } else {
                guard_conn_free(&api->guard, *socket_context);
                *socket_context = NULL;
        }
}

void *api_serve(Api *api, const char *listen_on, BerthError *err)
{
        int fd = -1;
        if (strncmp(listen_on, "unix:", 5) == 0) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                const char *path = listen_on + 5;
                if (strlen(path) >= sizeof(sa.sun_path)) {
                        error_set(err, -EINVAL, NULL, 0, 0, NULL, "socket path too long: %s", path);
                        return NULL;
                }
                memcpy(sa.sun_path, path, strlen(path));
                unlink(path);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
                        error_set(err, -errno, NULL, 0, 0, NULL, "cannot listen on %s: %s", listen_on,
                                  strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        return NULL;
                }
        } else {
                const char *colon = strrchr(listen_on, ':');
                struct sockaddr_in sa = { .sin_family = AF_INET };
                char host[64];
                char *end = NULL;
                long port = colon ? strtol(colon + 1, &end, 10) : -1;
                snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - listen_on) : 0, listen_on);
                if (!colon || *end || port < 0 || port > 65535 ||
                    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
                        error_set(err, -EINVAL, NULL, 0, 0, NULL,
                                  "--listen takes HOST:PORT or unix:/path, not \"%s\"", listen_on);
                        return NULL;
                }
                sa.sin_port = htons((uint16_t)port);
                int one = 1;
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
                    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
                        error_set(err, -errno, NULL, 0, 0, NULL, "cannot listen on %s: %s", listen_on,
                                  strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        return NULL;
                }
        }
        /* Every connection is a descriptor: take what the hard limit allows, and keep the connection cap
         * below it, so that a flood is refused by the cap and never by accept() failing. */
        struct rlimit rl;
        unsigned total = API_CONNECTIONS_MAX;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)total + 128)
                        total = rl.rlim_cur > 192 ? (unsigned)rl.rlim_cur - 128 : 64;
        }
        int r = guard_init(&api->guard, API_REQUEST_DEADLINE_S, API_BODIES_MAX);
        if (r < 0) {
                close(fd);
                error_set(err, r, NULL, 0, 0, NULL, "cannot start the request guard: %s", strerror(-r));
                return NULL;
        }
        /* ITC: a stop can quiesce the daemon (stop accepting) and let requests in flight finish. No idle
         * timeout of libmicrohttpd's own: it would also cut a request whose handler waited long for the
         * git lock, with no reply; the Guard's deadlines leave a handler's time alone. */
        struct MHD_Daemon *d = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL,
                NULL, on_request, api, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
                (unsigned)API_THREADS, MHD_OPTION_NOTIFY_COMPLETED, on_done, api,
                MHD_OPTION_NOTIFY_CONNECTION, on_connection, api, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
                MHD_OPTION_CONNECTION_LIMIT, total, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                (unsigned)API_CONNECTIONS_PER_CLIENT, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                MHD_OPTION_END);
        if (!d) {
                close(fd);
                guard_done(&api->guard);
                error_set(err, -EIO, NULL, 0, 0, NULL, "cannot start the HTTP server on %s", listen_on);
        }
        return d;
}

void api_stop(Api *api, void *daemon)
{
        if (!daemon)
                return;
        /* Stop taking connections, then let the requests in flight finish and their replies go out: a
         * request is done when libmicrohttpd says it completed, after its reply was sent. */
        MHD_quiesce_daemon(daemon);
        for (int i = 0; i < 6000 && __atomic_load_n(&api->in_flight, __ATOMIC_SEQ_CST) > 0; i++) {
                struct timespec ts = { 0, 10 * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(daemon);
        guard_done(&api->guard);
}
