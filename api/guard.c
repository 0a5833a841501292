/* guard.c: request deadlines and the body budget, kept by a reaper thread. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "guard.h"

struct GuardConn {
        GuardConn *prev, *next;
        int fd;
        struct timespec deadline; /* CLOCK_MONOTONIC */
        bool busy, shut;
};

static struct timespec after(unsigned s)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_sec += s;
        return t;
}

static bool passed(const struct timespec *now, const struct timespec *t)
{
        return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static void *reap(void *ud)
{
        Guard *g = ud;
        pthread_mutex_lock(&g->lock);
        while (!g->stop) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                /* The socket is still open: libmicrohttpd closes it only after the close notification,
                 * which waits for this lock. shutdown() makes its next read fail, and it closes the
                 * connection itself. */
                for (GuardConn *c = g->conns; c; c = c->next)
                        if (!c->busy && !c->shut && passed(&now, &c->deadline)) {
                                (void)shutdown(c->fd, SHUT_RDWR);
                                c->shut = true;
                                g->reaped++;
                        }
                struct timespec wait;
                clock_gettime(CLOCK_REALTIME, &wait);
                wait.tv_nsec += 250 * 1000 * 1000;
                if (wait.tv_nsec >= 1000000000) {
                        wait.tv_sec++;
                        wait.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&g->wake, &g->lock, &wait);
        }
        pthread_mutex_unlock(&g->lock);
        return NULL;
}

int guard_init(Guard *g, unsigned deadline_s, size_t bodies_max)
{
        *g = (Guard){ .deadline_s = deadline_s, .bodies_max = bodies_max };
        pthread_mutex_init(&g->lock, NULL);
        pthread_cond_init(&g->wake, NULL);
        int r = pthread_create(&g->reaper, NULL, reap, g);
        if (r != 0) {
                pthread_cond_destroy(&g->wake);
                pthread_mutex_destroy(&g->lock);
                return -r;
        }
        g->running = true;
        return 0;
}

void guard_done(Guard *g)
{
        if (!g->running)
                return;
        pthread_mutex_lock(&g->lock);
        g->stop = true;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->reaper, NULL);
        for (GuardConn *c = g->conns, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        g->conns = NULL;
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        g->running = false;
}

GuardConn *guard_conn_new(Guard *g, int fd)
{
        GuardConn *c = calloc(1, sizeof(GuardConn));
        if (!c)
                return NULL;
        c->fd = fd;
        c->deadline = after(g->deadline_s);
        pthread_mutex_lock(&g->lock);
        c->next = g->conns;
        if (g->conns)
                g->conns->prev = c;
        g->conns = c;
        pthread_mutex_unlock(&g->lock);
        return c;
}

void guard_conn_free(Guard *g, GuardConn *c)
{
        if (!c)
                return;
        pthread_mutex_lock(&g->lock);
        if (c->prev)
                c->prev->next = c->next;
        else
                g->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        pthread_mutex_unlock(&g->lock);
        free(c);
}

void guard_conn_busy(Guard *g, GuardConn *c, bool busy)
{
        if (!c)
                return;
        pthread_mutex_lock(&g->lock);
        c->busy = busy;
        if (!busy)
                c->deadline = after(g->deadline_s);
        pthread_mutex_unlock(&g->lock);
}

bool guard_body_reserve(Guard *g, size_t n)
{
        pthread_mutex_lock(&g->lock);
        bool ok = g->bodies + n <= g->bodies_max && g->bodies + n >= g->bodies;
        if (ok)
                g->bodies += n;
        pthread_mutex_unlock(&g->lock);
        return ok;
}

void guard_body_release(Guard *g, size_t n)
{
        pthread_mutex_lock(&g->lock);
        g->bodies = n > g->bodies ? 0 : g->bodies - n;
        pthread_mutex_unlock(&g->lock);
}

unsigned long guard_reaped(Guard *g)
{
        pthread_mutex_lock(&g->lock);
        unsigned long n = g->reaped;
        pthread_mutex_unlock(&g->lock);
        return n;
}
