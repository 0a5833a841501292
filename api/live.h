/* live.h: the engine, for the routes that report what runs, kept off the request path.
 *
 * The engine is optional: without one (none given, or it does not answer) those routes still answer
 * from git, and say why the live part is missing or old. One background thread (the refresher) asks
 * the engine for what berth runs; a request that wants live state asks for a fetch begun after it
 * arrived and waits for it at most LIVE_WAIT_MS. An engine that accepts and never answers therefore
 * costs a request that long once, and nothing while the hung fetch goes on: a request then takes the
 * last answer, marked stale with its age. No lock is held across an engine call.
 *
 * A LiveSnapshot is immutable once published and reference-counted; live_snapshot() returns a
 * reference the caller drops with live_snapshot_unref(). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "deploy/status.h"
#include "engine/engine.h"

#define LIVE_WAIT_MS    1500 /* what a request waits for a fresh answer */
#define LIVE_CALL_S     10   /* an engine call's limit, from the API (restarts have their own) */
#define LIVE_BACKOFF_MS 2000 /* after a failed fetch, routes that act on the engine answer 503 at once */

typedef struct LiveSnapshot {
        unsigned n_ref;
        bool ok;       /* list holds the engine's answer */
        char why[300]; /* why not, when !ok */
        StatusList list;
        struct timespec at; /* CLOCK_MONOTONIC, when the answer came */
} LiveSnapshot;

typedef struct Live {
        EngineConfig cfg;
        bool configured;
        char why[256]; /* why there is no engine, when !configured */
        pthread_mutex_t lock;
        pthread_cond_t wanted, fetched;
        pthread_t refresher;
        bool running, stop;
        unsigned long want, started, done; /* fetch sequence numbers */
        struct timespec began;             /* when the fetch in flight began (started > done) */
        struct timespec failed_at;         /* of the last failed fetch; zero when the last succeeded */
        LiveSnapshot *snap;                /* the latest answer, or NULL before the first */
        unsigned long snap_seq;            /* the fetch that gave it */
        EngineClient *proto;               /* connected once; requests clone it */
} Live;

/* host: -H or the config file's docker_host; NULL: DOCKER_HOST and the TLS variables, as docker reads
 * them. Never fails: a bad setting is remembered as the reason there is no live state. */
void live_init(Live *l, const char *host, const EnvMap *env);
void live_fini(Live *l);
/* The engine's view for a request: a fetch begun after this call, or, when none came within
 * LIVE_WAIT_MS, the last one with *ret_stale set. NULL (with why filled) when there is no answer at all. */
LiveSnapshot *live_snapshot(Live *l, bool *ret_stale, char *why, size_t size);
void live_snapshot_unref(Live *l, LiveSnapshot *s);
/* A client of the request's own, for routes that act on the engine; NULL with why filled when there is
 * no engine or it is known not to answer now. */
EngineClient *live_client(Live *l, char *why, size_t size);
