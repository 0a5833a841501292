/* fake-engine.h: an engine for unit tests: a thread serving HTTP/1.1 on a unix socket of its own, that
 * answers each request with the next of a script of replies (status, headers, body) and records what
 * it was asked (request line and body), so a test sees exactly what berth sent. Beside the real
 * engines of the integration tests, never instead of them: it checks what they cannot make happen at
 * will (a version too old, a reply cut short, an error of each status). */
#pragma once

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FAKE_MAX 32

typedef struct FakeReply {
        int status;
        const char *headers; /* extra header lines, each ending in \r\n; may be NULL */
        const char *body;    /* may be NULL */
} FakeReply;

typedef struct FakeEngine {
        char path[108];
        int listen_fd;
        int conn_fd; /* the connection being served, -1: none */
        pthread_t thread;
        FakeReply replies[FAKE_MAX];
        size_t n_replies, next;
        char requests[FAKE_MAX][256]; /* "GET /v1.43/x" */
        char *bodies[FAKE_MAX];
        size_t n_requests;
} FakeEngine;

/* Reads one request; returns false at the end of the connection. */
static bool fake_read_request(FakeEngine *f, int fd)
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
        if (f->n_requests < FAKE_MAX) {
                size_t i = f->n_requests++;
                char *sp = strchr(buf, ' '), *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
                snprintf(f->requests[i], sizeof(f->requests[i]), "%.*s", sp2 ? (int)(sp2 - buf) : 0, buf);
                f->bodies[i] = strndup(buf + head, clen);
        }
        return true;
}

static void *fake_serve(void *ud)
{
        FakeEngine *f = ud;
        for (;;) {
                int fd = accept(f->listen_fd, NULL, NULL);
                if (fd < 0)
                        return NULL;
                __atomic_store_n(&f->conn_fd, fd, __ATOMIC_SEQ_CST);
                while (fake_read_request(f, fd)) {
                        FakeReply r =
                                f->next < f->n_replies
                                        ? f->replies[f->next++]
                                        : (FakeReply){ 500, NULL, "{\"message\":\"no more replies\"}" };
                        char head[1024];
                        size_t blen = r.body ? strlen(r.body) : 0;
                        int n = snprintf(head, sizeof(head),
                                         "HTTP/1.1 %d X\r\nContent-Type: "
                                         "application/json\r\nContent-Length: %zu\r\n%s\r\n",
                                         r.status, blen, r.headers ? r.headers : "");
                        if (write(fd, head, (size_t)n) < 0 || (blen && write(fd, r.body, blen) < 0))
                                break;
                }
                __atomic_store_n(&f->conn_fd, -1, __ATOMIC_SEQ_CST);
                close(fd);
        }
}

/* Starts the fake with its script of replies. */
static int fake_start(FakeEngine *f, const FakeReply *replies, size_t n)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        *f = (FakeEngine){ .n_replies = n, .conn_fd = -1 };
        memcpy(f->replies, replies, n * sizeof(*replies));
        snprintf(f->path, sizeof(f->path), "/tmp/berth-fake-engine-%d-%p.sock", (int)getpid(), (void *)f);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
        unlink(f->path);
        if ((f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
            bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(f->listen_fd, 8) < 0)
                return -errno;
        return -pthread_create(&f->thread, NULL, fake_serve, f);
}

/* Stops serving, also a connection the client still holds open (curl keeps them alive). */
static void fake_stop(FakeEngine *f)
{
        int conn = __atomic_load_n(&f->conn_fd, __ATOMIC_SEQ_CST);
        if (conn >= 0)
                shutdown(conn, SHUT_RDWR);
        shutdown(f->listen_fd, SHUT_RDWR);
        close(f->listen_fd);
        pthread_join(f->thread, NULL);
        unlink(f->path);
        for (size_t i = 0; i < f->n_requests; i++)
                free(f->bodies[i]);
}
