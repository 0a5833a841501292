/* live.c: the engine's view, fetched by one background thread; requests never wait on a hung engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modes/modes.h"
#include "live.h"

static long ms_since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void snapshot_free(LiveSnapshot *s)
{
        status_list_done(&s->list);
        free(s);
}

/* Called with the lock held. */
static void snapshot_unref_locked(LiveSnapshot *s)
{
        if (s && --s->n_ref == 0)
                snapshot_free(s);
}

void live_snapshot_unref(Live *l, LiveSnapshot *s)
{
        if (!s)
                return;
        pthread_mutex_lock(&l->lock);
        snapshot_unref_locked(s);
        pthread_mutex_unlock(&l->lock);
}

/* One fetch, without the lock: the engine may take as long as LIVE_CALL_S, or hang until it. */
static LiveSnapshot *fetch(Live *l, EngineClient **proto)
{
        LiveSnapshot *s = calloc(1, sizeof(LiveSnapshot));
        BerthError err = { 0 };
        LiveSet units = { 0 };
        if (!s)
                return NULL;
        s->n_ref = 1;
        if (!*proto && engine_client_new(&l->cfg, proto, &err) < 0)
                snprintf(s->why, sizeof(s->why), "the engine does not answer: %s", err.msg);
        else if (deployer_live_all(*proto, &units, NULL, &err) < 0 ||
                 status_list_of(*proto, &units, &s->list, &err) < 0)
                snprintf(s->why, sizeof(s->why), "the engine does not answer: %s",
                         err.msg[0] ? err.msg : "out of memory");
        else
                s->ok = true;
        clock_gettime(CLOCK_MONOTONIC, &s->at);
        return s;
}

static void *refresh(void *ud)
{
        Live *l = ud;
        pthread_mutex_lock(&l->lock);
        while (!l->stop) {
                if (l->want <= l->done) {
                        pthread_cond_wait(&l->wanted, &l->lock);
                        continue;
                }
                unsigned long seq = ++l->started;
                clock_gettime(CLOCK_MONOTONIC, &l->began);
                /* The prototype client is the refresher's alone to replace; requests clone it under the
                 * lock, so it is taken out while the fetch uses it. */
                EngineClient *proto = l->proto;
                l->proto = NULL;
                pthread_mutex_unlock(&l->lock);
                LiveSnapshot *s = fetch(l, &proto);
                pthread_mutex_lock(&l->lock);
                if (s && !s->ok)
                        proto = engine_client_free(proto); /* connect again next time */
                l->proto = proto;
                l->done = seq;
                if (s) {
                        if (s->ok)
                                l->failed_at = (struct timespec){ 0 };
                        else
                                clock_gettime(CLOCK_MONOTONIC, &l->failed_at);
                        /* A failed fetch keeps the last good answer (shown as stale) unless there was none. */
                        if (s->ok || !l->snap || !l->snap->ok) {
                                snapshot_unref_locked(l->snap);
                                l->snap = s;
                                l->snap_seq = seq;
                        } else
                                snapshot_unref_locked(s);
                }
                pthread_cond_broadcast(&l->fetched);
        }
        pthread_mutex_unlock(&l->lock);
        return NULL;
}

void live_init(Live *l, const char *host, const EnvMap *env)
{
        BerthError err = { 0 };
        memset(l, 0, sizeof(*l));
        pthread_mutex_init(&l->lock, NULL);
        pthread_cond_init(&l->wanted, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&l->fetched, &ca);
        pthread_condattr_destroy(&ca);
        if (engine_config_from_env(&l->cfg, env, host, &err) < 0) {
                snprintf(l->why, sizeof(l->why), "no engine: %s", err.msg);
                return;
        }
        l->cfg.timeout_s = LIVE_CALL_S;
        l->configured = true;
        if (pthread_create(&l->refresher, NULL, refresh, l) == 0)
                l->running = true;
        else
                snprintf(l->why, sizeof(l->why), "no engine: cannot start the thread that asks it");
}

void live_fini(Live *l)
{
        if (l->running) {
                pthread_mutex_lock(&l->lock);
                l->stop = true;
                pthread_cond_signal(&l->wanted);
                pthread_mutex_unlock(&l->lock);
                /* A fetch in flight ends within LIVE_CALL_S. */
                pthread_join(l->refresher, NULL);
        }
        snapshot_unref_locked(l->snap);
        engine_client_free(l->proto);
        if (l->configured)
                engine_config_done(&l->cfg);
        pthread_cond_destroy(&l->fetched);
        pthread_cond_destroy(&l->wanted);
        pthread_mutex_destroy(&l->lock);
}

/* Whether the engine is known not to answer now: a fetch hangs past what a request waits, or the last
 * one failed a moment ago. Called with the lock held; fills why. */
static bool engine_stuck(Live *l, char *why, size_t size)
{
        if (l->started > l->done && ms_since(&l->began) >= LIVE_WAIT_MS) {
                snprintf(why, size, "the engine has not answered for %ld s", ms_since(&l->began) / 1000);
                return true;
        }
        if ((l->failed_at.tv_sec || l->failed_at.tv_nsec) && ms_since(&l->failed_at) < LIVE_BACKOFF_MS) {
                snprintf(why, size, "%s",
                         l->snap && !l->snap->ok ? l->snap->why : "the engine does not answer");
                return true;
        }
        return false;
}

/* Asks for a fetch begun after now and waits for it, at most LIVE_WAIT_MS, less when the engine is known
 * not to answer; with the lock held. Returns the fetch's sequence number, answered when l->done reaches
 * it. */
static unsigned long wait_fresh(Live *l)
{
        unsigned long need = l->started + 1;
        if (l->want < need) {
                l->want = need;
                pthread_cond_signal(&l->wanted);
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)LIVE_WAIT_MS * 1000000;
        until.tv_sec += until.tv_nsec / 1000000000;
        until.tv_nsec %= 1000000000;
        char stuck[128];
        while (l->done < need && !engine_stuck(l, stuck, sizeof(stuck)))
                if (pthread_cond_timedwait(&l->fetched, &l->lock, &until) == ETIMEDOUT)
                        break;
        return need;
}

LiveSnapshot *live_snapshot(Live *l, bool *ret_stale, char *why, size_t size)
{
        *ret_stale = false;
        if (!l->configured || !l->running) {
                snprintf(why, size, "%s", l->why);
                return NULL;
        }
        pthread_mutex_lock(&l->lock);
        unsigned long need = wait_fresh(l);
        LiveSnapshot *s = l->snap;
        if (s && !s->ok) {
                snprintf(why, size, "%s", s->why);
                s = NULL;
        } else if (s) {
                s->n_ref++;
                *ret_stale = l->snap_seq < need;
                if (*ret_stale)
                        snprintf(why, size, "%s",
                                 l->done >= need && l->failed_at.tv_sec
                                         ? "the engine does not answer now"
                                         : "the engine did not answer in time");
        } else
                snprintf(why, size, "the engine has not answered yet");
        pthread_mutex_unlock(&l->lock);
        return s;
}

EngineClient *live_client(Live *l, char *why, size_t size)
{
        EngineClient *c = NULL;
        BerthError err = { 0 };
        if (!l->configured || !l->running) {
                snprintf(why, size, "%s", l->why);
                return NULL;
        }
        /* The engine must have answered a fetch begun after this request came: one that hangs would
         * otherwise hold this request's thread for as long as its own call may take. */
        pthread_mutex_lock(&l->lock);
        unsigned long need = wait_fresh(l);
        bool alive = l->done >= need && l->snap_seq == l->done && l->snap && l->snap->ok && l->proto;
        if (!alive && !engine_stuck(l, why, size))
                snprintf(why, size, "%s",
                         l->snap && !l->snap->ok ? l->snap->why : "the engine did not answer within 1.5 s");
        int r = alive ? engine_client_clone(l->proto, &c, &err) : 0;
        pthread_mutex_unlock(&l->lock);
        if (r < 0)
                snprintf(why, size, "the engine does not answer: %s", err.msg);
        return c;
}
