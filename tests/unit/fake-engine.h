/* fake-engine.h: an engine for unit tests: a thread serving HTTP/1.1 on a unix socket of its own, that
 * answers each request with the next of a script of replies (status, headers, body) and records what
 * it was asked (request line and body), so a test sees exactly what berth sent. Beside the real
 * engines of the integration tests, never instead of them: it checks what they cannot make happen at
 * will (a version too old, a reply cut short, an error of each status). */
#pragma once

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FAKE_MAX   32
#define FAKE_CONNS 16

typedef struct FakeReply {
        int status;
        const char *headers; /* extra header lines, each ending in \r\n; may be NULL */
        const char *body;    /* may be NULL */
} FakeReply;

/* A reply by request instead of by turn: the first route whose method matches and whose path (without
 * the /v1.NN prefix) starts with prefix answers; none: 404, as an engine says of what it has not. */
typedef struct FakeRoute {
        const char *method, *prefix;
        FakeReply reply;
} FakeRoute;

typedef struct FakeEngine {
        char path[108];
        const FakeRoute *routes;
        size_t n_routes;
        int listen_fd;
        pthread_t thread;
        /* Each connection is served by a thread of its own (berth's apply threads each hold one);
         * the lock keeps the script and the record in the order the requests came. */
        pthread_mutex_t lock;
        int conns[FAKE_CONNS];
        pthread_t conn_threads[FAKE_CONNS];
        size_t n_conns;
        FakeReply replies[FAKE_MAX];
        size_t n_replies, next;
        char requests[FAKE_MAX][256]; /* "GET /v1.43/x" */
        char *bodies[FAKE_MAX];
        size_t n_requests;
} FakeEngine;

/* Reads one request into line (the request line without the protocol); false at the end of the
 * connection. */
static bool fake_read_request(FakeEngine *f, int fd, char line[256])
{
        char buf[65536];
        size_t len = 0;
        char *end = NULL;
        while (!end) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n <= 0)
                        return false;
                len += (size_t)n;
                buf[len] = '\0';
                end = strstr(buf, "\r\n\r\n");
        }
        size_t head = (size_t)(end + 4 - buf), clen = 0;
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        if (cl && cl < end)
                clen = strtoul(cl + 17, NULL, 10);
        while (len < head + clen) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n <= 0)
                        return false;
                len += (size_t)n;
        }
        char *sp = strchr(buf, ' '), *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
        snprintf(line, 256, "%.*s", sp2 ? (int)(sp2 - buf) : 0, buf);
        pthread_mutex_lock(&f->lock);
        if (f->n_requests < FAKE_MAX) {
                size_t i = f->n_requests++;
                memcpy(f->requests[i], line, 256);
                f->bodies[i] = strndup(buf + head, clen);
        }
        pthread_mutex_unlock(&f->lock);
        return true;
}

static FakeReply fake_route(const FakeEngine *f, const char *req)
{
        const char *sp = strchr(req, ' ');
        const char *path = sp ? sp + 1 : "";
        if (strncmp(path, "/v1.", 4) == 0 && strchr(path + 1, '/'))
                path = strchr(path + 1, '/');
        for (size_t i = 0; i < f->n_routes; i++) {
                const FakeRoute *rt = &f->routes[i];
                if (sp && strncmp(req, rt->method, (size_t)(sp - req)) == 0 && !rt->method[sp - req] &&
                    strncmp(path, rt->prefix, strlen(rt->prefix)) == 0)
                        return rt->reply;
        }
        return (FakeReply){ 404, NULL, "{\"message\":\"no such object\"}" };
}

typedef struct FakeConn {
        FakeEngine *f;
        int fd;
} FakeConn;

static void *fake_serve_conn(void *ud)
{
        FakeConn *c = ud;
        FakeEngine *f = c->f;
        int fd = c->fd;
        char line[256];
        free(c);
        while (fake_read_request(f, fd, line)) {
                pthread_mutex_lock(&f->lock);
                FakeReply r = f->routes ? fake_route(f, line)
                              : f->next < f->n_replies
                                      ? f->replies[f->next++]
                                      : (FakeReply){ 500, NULL, "{\"message\":\"no more replies\"}" };
                pthread_mutex_unlock(&f->lock);
                char head[1024];
                size_t blen = r.body ? strlen(r.body) : 0;
                int n = snprintf(
                        head, sizeof(head),
                        "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                        r.status, blen, r.headers ? r.headers : "");
                if (write(fd, head, (size_t)n) < 0 || (blen && write(fd, r.body, blen) < 0))
                        break;
        }
        shutdown(fd, SHUT_RDWR);
        return NULL;
}

static void *fake_serve(void *ud)
{
        FakeEngine *f = ud;
        for (;;) {
                int fd = accept(f->listen_fd, NULL, NULL);
                if (fd < 0)
                        return NULL;
                FakeConn *c = malloc(sizeof(*c));
                pthread_mutex_lock(&f->lock);
                bool room = c && f->n_conns < FAKE_CONNS;
                if (room) {
                        *c = (FakeConn){ f, fd };
                        f->conns[f->n_conns] = fd;
                        room = pthread_create(&f->conn_threads[f->n_conns], NULL, fake_serve_conn, c) == 0;
                        f->n_conns += room;
                }
                pthread_mutex_unlock(&f->lock);
                if (!room) {
                        free(c);
                        close(fd);
                }
        }
}

static int fake_start_with(FakeEngine *f, const FakeReply *replies, size_t n, const FakeRoute *routes,
                           size_t n_routes)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        *f = (FakeEngine){ .n_replies = n, .routes = routes, .n_routes = n_routes };
        pthread_mutex_init(&f->lock, NULL);
        if (n)
                memcpy(f->replies, replies, n * sizeof(*replies));
        snprintf(f->path, sizeof(f->path), "/tmp/berth-fake-engine-%d-%p.sock", (int)getpid(), (void *)f);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
        unlink(f->path);
        if ((f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
            bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(f->listen_fd, 8) < 0)
                return -errno;
        return -pthread_create(&f->thread, NULL, fake_serve, f);
}

/* Starts the fake with its script of replies. */
static inline int fake_start(FakeEngine *f, const FakeReply *replies, size_t n)
{
        return fake_start_with(f, replies, n, NULL, 0);
}

/* Starts the fake answering by route (FakeRoute). */
static inline int fake_start_routes(FakeEngine *f, const FakeRoute *routes, size_t n)
{
        return fake_start_with(f, NULL, 0, routes, n);
}

/* Stops serving, also a connection the client still holds open (curl keeps them alive). */
static void fake_stop(FakeEngine *f)
{
        shutdown(f->listen_fd, SHUT_RDWR);
        close(f->listen_fd);
        pthread_join(f->thread, NULL); /* no connection comes after this */
        for (size_t i = 0; i < f->n_conns; i++) {
                shutdown(f->conns[i], SHUT_RDWR);
                pthread_join(f->conn_threads[i], NULL);
                close(f->conns[i]);
        }
        pthread_mutex_destroy(&f->lock);
        unlink(f->path);
        for (size_t i = 0; i < f->n_requests; i++)
                free(f->bodies[i]);
}
