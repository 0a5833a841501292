/* guard.h: what keeps one client from taking berth-api down: an absolute deadline for each request to
 * arrive, and a budget for the request bodies buffered at once.
 *
 * libmicrohttpd's own timeout is an idle one: a client that trickles a header byte every few seconds
 * is never idle, and a thousand of them hold every connection. The Guard knows each connection from
 * the moment it is accepted; a connection whose request has not fully arrived by its deadline (or
 * that lies idle between two requests past it) is shut down. While a handler runs, or its reply is
 * being written, the time is the server's, not the client's. Connection counts are capped by
 * libmicrohttpd itself (in total and per client address), set where the server starts.
 *
 * A Guard is shared by the server's threads; every call takes its lock. A GuardConn belongs to the
 * Guard from guard_conn_new() to guard_conn_free(), which libmicrohttpd's connection notifications
 * call (on accept, and on close, before the socket is closed). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct GuardConn GuardConn;

typedef struct Guard {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_t reaper;
        bool running, stop;
        GuardConn *conns;
        unsigned deadline_s;
        size_t bodies, bodies_max; /* bytes of request bodies admitted and not yet released */
        unsigned long reaped;      /* connections shut for missing their deadline */
} Guard;

int guard_init(Guard *g, unsigned deadline_s, size_t bodies_max);
/* Stops the reaper; connections still known are left to the server's stop. */
void guard_done(Guard *g);

GuardConn *guard_conn_new(Guard *g, int fd);
void guard_conn_free(Guard *g, GuardConn *c);
/* A handler starts (busy) or its reply is queued (not busy: the next deadline starts now). */
void guard_conn_busy(Guard *g, GuardConn *c, bool busy);
/* Reserves n bytes of body for a request, or returns false when the budget has no room. */
bool guard_body_reserve(Guard *g, size_t n);
void guard_body_release(Guard *g, size_t n);
unsigned long guard_reaped(Guard *g);
