/* lock.c: the engine-wide reconcile lock, and its renewal while a run holds it. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../util/fileio.h"
#include "../util/units.h"
#include "lock.h"
#include "../util/json.h"

#define LOCK_NAME "berth-lock"

/* The lock networks: the engine does not make network names unique under concurrent creates, so
 * every candidate is listed and the oldest (then the lowest id) is the one that holds the lock. */
static int cmp_lock(const void *a, const void *b)
{
        const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
        const char *cx = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "Created"));
        const char *cy = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "Created"));
        int c = strcmp(cx ? cx : "", cy ? cy : "");
        if (c)
                return c;
        const char *ix = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "Id"));
        const char *iy = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "Id"));
        return strcmp(ix ? ix : "", iy ? iy : "");
}

static int lock_list(EngineClient *c, cJSON **ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        _cleanup_cjson_ cJSON *all = NULL;
        strbuf_addstr(&path, "/networks?filters=");
        engine_escape("{\"name\":[\"" LOCK_NAME "\"]}", &path);
        int r = engine_call(c, "GET", path.buf, NULL, "list the reconcile lock", 0, NULL, &all, err);
        if (r < 0)
                return r;
        /* The name filter matches substrings: keep the exact name, oldest first. */
        size_t n = 0, k = 0;
        for (cJSON *it = all ? all->child : NULL; it; it = it->next)
                n++;
        const cJSON **v = calloc(n ? n : 1, sizeof(cJSON *));
        cJSON *out = cJSON_CreateArray();
        if (!v || !out) {
                free(v);
                cJSON_Delete(out);
                return -ENOMEM;
        }
        for (cJSON *it = all ? all->child : NULL; it; it = it->next) {
                const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Name"));
                if (name && strcmp(name, LOCK_NAME) == 0)
                        v[k++] = it;
        }
        qsort(v, k, sizeof(cJSON *), cmp_lock);
        for (size_t i = 0; i < k; i++)
                json_append(out, cJSON_Duplicate(v[i], 1));
        free(v);
        *ret = out;
        return 0;
}

static int lock_delete(EngineClient *c, const char *id, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        BerthError e = { 0 };
        strbuf_addf(&path, "/networks/%s", id);
        int r = engine_call(c, "DELETE", path.buf, NULL, "remove a reconcile lock", 0, NULL, NULL, &e);
        if (r == -ENOENT)
                return 0; /* already gone: what a delete wants */
        if (r < 0 && err && !err->set)
                *err = e;
        return r;
}

static const char *lock_label(const cJSON *n, const char *key)
{
        return cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(n, "Labels"), key));
}

/* Where a lock's holder runs: host name, boot and pid. A holder on this machine that is gone (the
 * runner was killed, or the engine went away before it could unlock) leaves a lock that is stale now,
 * not when it expires. */
typedef struct LockOwner {
        char host[128], boot[64], pid[16];
} LockOwner;

static void lock_owner_self(LockOwner *o)
{
        *o = (LockOwner){ 0 };
        gethostname(o->host, sizeof(o->host) - 1);
        snprintf(o->pid, sizeof(o->pid), "%d", (int)getpid());
        _cleanup_free_ char *boot = NULL;
        size_t len;
        if (file_read("/proc/sys/kernel/random/boot_id", 64, &boot, &len, NULL) >= 0) {
                len = strcspn(boot, "\n");
                snprintf(o->boot, sizeof(o->boot), "%.*s", (int)len, boot);
        }
}

static bool lock_holder_gone(const cJSON *lock, const LockOwner *self)
{
        const char *host = lock_label(lock, "io.berth.lock.host");
        const char *boot = lock_label(lock, "io.berth.lock.boot");
        const char *pid = lock_label(lock, "io.berth.lock.pid");
        if (!host || !boot || !pid || !self->boot[0] || strcmp(host, self->host) != 0)
                return false; /* another machine: only the expiry can tell */
        if (strcmp(boot, self->boot) != 0)
                return true; /* this machine rebooted since */
        long n = strtol(pid, NULL, 10);
        return n > 0 && kill((pid_t)n, 0) < 0 && errno == ESRCH;
}

/* A new lock network for holder, expiring ttl_s from now. */
static int lock_create(EngineClient *c, const char *holder, long ttl_s, bool check_duplicate,
                       const LockOwner *self, cJSON **ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *body = cJSON_CreateObject();
        char expires[32];
        if (!body)
                return -ENOMEM;
        snprintf(expires, sizeof(expires), "%lld", (long long)time(NULL) + ttl_s);
        cJSON_AddStringToObject(body, "Name", LOCK_NAME);
        /* A renewal adds a second network of the name on purpose, so it cannot ask for none. */
        cJSON_AddBoolToObject(body, "CheckDuplicate", check_duplicate);
        cJSON_AddTrueToObject(body, "Internal");
        cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
        cJSON_AddStringToObject(labels, "io.berth.lock.holder", holder);
        cJSON_AddStringToObject(labels, "io.berth.lock.expires", expires);
        cJSON_AddStringToObject(labels, "io.berth.lock.host", self->host);
        cJSON_AddStringToObject(labels, "io.berth.lock.boot", self->boot);
        cJSON_AddStringToObject(labels, "io.berth.lock.pid", self->pid);
        return engine_call(c, "POST", "/networks/create", body, "take the reconcile lock", 0, NULL, ret,
                           err);
}

/* ---- renewal ---- */

typedef struct Keeper {
        struct Keeper *next;
        EngineClient *c; /* its own: the run's client is used by the run */
        char *holder;
        long ttl_s;
        pthread_t thread;
        pthread_mutex_t m;
        pthread_cond_t cond;
        bool stop;
} Keeper;

static pthread_mutex_t keepers_lock = PTHREAD_MUTEX_INITIALIZER;
static Keeper *keepers;

static int lock_delete_own(EngineClient *c, const char *holder, const char *keep, BerthError *err);

/* A new network with a later expiry, then the older ones removed: the lock is never free between. */
static void keeper_renew(Keeper *k)
{
        _cleanup_cjson_ cJSON *created = NULL, *list = NULL;
        LockOwner self;
        BerthError e = { 0 };
        lock_owner_self(&self);
        if (lock_list(k->c, &list, &e) < 0)
                return;
        const char *who = lock_label(list->child, "io.berth.lock.holder");
        if (!who || strcmp(who, k->holder) != 0)
                return; /* not ours any more: nothing to renew */
        if (lock_create(k->c, k->holder, k->ttl_s, false, &self, &created, &e) < 0)
                return;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(created, "Id"));
        if (id)
                lock_delete_own(k->c, k->holder, id, NULL);
}

static void *keeper_run(void *ud)
{
        Keeper *k = ud;
        long every = k->ttl_s / 3 > 0 ? k->ttl_s / 3 : 1;
        pthread_mutex_lock(&k->m);
        while (!k->stop) {
                struct timespec until;
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_sec += every;
                int w = 0;
                while (!k->stop && w != ETIMEDOUT)
                        w = pthread_cond_timedwait(&k->cond, &k->m, &until);
                if (k->stop)
                        break;
                pthread_mutex_unlock(&k->m);
                keeper_renew(k);
                pthread_mutex_lock(&k->m);
        }
        pthread_mutex_unlock(&k->m);
        return NULL;
}

static void keeper_free(Keeper *k)
{
        engine_client_free(k->c);
        free(k->holder);
        pthread_mutex_destroy(&k->m);
        pthread_cond_destroy(&k->cond);
        free(k);
}

static int keeper_start(EngineClient *c, const char *holder, long ttl_s, BerthError *err)
{
        Keeper *k = calloc(1, sizeof(Keeper));
        pthread_condattr_t ca;
        int r;
        if (!k || !(k->holder = strdup(holder))) {
                free(k);
                return -ENOMEM;
        }
        k->ttl_s = ttl_s;
        pthread_mutex_init(&k->m, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&k->cond, &ca);
        pthread_condattr_destroy(&ca);
        if ((r = engine_client_clone(c, &k->c, err)) < 0) {
                keeper_free(k);
                return r;
        }
        if ((r = pthread_create(&k->thread, NULL, keeper_run, k)) != 0) {
                keeper_free(k);
                return error_set(err, -r, NULL, 0, 0, NULL, "cannot start the lock's renewal: %s",
                                 strerror(r));
        }
        pthread_mutex_lock(&keepers_lock);
        k->next = keepers;
        keepers = k;
        pthread_mutex_unlock(&keepers_lock);
        return 0;
}

/* The holder's keeper on c's engine: targets run side by side, each holding its own engine's lock. */
static void keeper_stop(EngineClient *c, const char *holder)
{
        pthread_mutex_lock(&keepers_lock);
        for (Keeper **p = &keepers; *p;) {
                Keeper *k = *p;
                if (strcmp(k->holder, holder) != 0 ||
                    strcmp(engine_client_host(k->c), engine_client_host(c)) != 0) {
                        p = &k->next;
                        continue;
                }
                *p = k->next;
                pthread_mutex_lock(&k->m);
                k->stop = true;
                pthread_cond_signal(&k->cond);
                pthread_mutex_unlock(&k->m);
                pthread_join(k->thread, NULL);
                keeper_free(k);
        }
        pthread_mutex_unlock(&keepers_lock);
}

int reconcile_lock(EngineClient *c, const char *holder, long wait_s, long ttl_s,
                   void (*o_warn)(void *ud, const char *msg), void *ud, BerthError *err)
{
        LockOwner self;
        lock_owner_self(&self);
        double deadline = units_now_s() + (double)wait_s;
        for (;;) {
                _cleanup_cjson_ cJSON *created = NULL, *list = NULL;
                BerthError e = { 0 };
                int r = lock_create(c, holder, ttl_s, true, &self, &created, &e);
                if (r < 0 && r != -EEXIST) {
                        *err = e;
                        return r;
                }
                const char *my_id =
                        r >= 0 ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(created, "Id"))
                               : NULL;
                if ((r = lock_list(c, &list, err)) < 0)
                        return r;
                cJSON *first = list->child;
                const char *first_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "Id"));
                if (my_id && first_id && strcmp(my_id, first_id) == 0) {
                        int k;
                        /* A network's Created time is set before it becomes visible, so a rival created
                         * at the same moment may not be listed yet: look again after it has settled. */
                        _cleanup_cjson_ cJSON *again = NULL;
                        struct timespec settle = { .tv_sec = 0, .tv_nsec = 500000000L };
                        nanosleep(&settle, NULL);
                        if ((r = lock_list(c, &again, err)) < 0)
                                return r;
                        const char *still =
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(again->child, "Id"));
                        if (still && strcmp(still, my_id) == 0) {
                                if ((k = keeper_start(c, holder, ttl_s, err)) < 0)
                                        lock_delete(c, my_id, NULL);
                                return k;
                        }
                }
                if (my_id && (r = lock_delete(c, my_id, err)) < 0) /* lost the race: step back */
                        return r;
                if (first) {
                        const char *exp = lock_label(first, "io.berth.lock.expires");
                        long long until = exp ? strtoll(exp, NULL, 10) : 0;
                        if (until < (long long)time(NULL) || lock_holder_gone(first, &self)) {
                                /* A holder that died leaves a stale lock: it expires, or, on this
                                 * machine, is seen to be gone. */
                                const char *who = lock_label(first, "io.berth.lock.holder");
                                char msg[384];
                                snprintf(msg, sizeof(msg), "taking over a stale reconcile lock (%s: %s)",
                                         who ? who : "?",
                                         until < (long long)time(NULL) ? "expired" : "its process is gone");
                                if (o_warn)
                                        o_warn(ud, msg);
                                if ((r = lock_delete(c, first_id, err)) < 0)
                                        return r;
                                continue;
                        }
                        if (units_now_s() >= deadline) {
                                const char *who = lock_label(first, "io.berth.lock.holder");
                                return error_set(err, -EBUSY, NULL, 0, 0, NULL,
                                                 "another reconcile holds the lock on this engine (%s, "
                                                 "until %lld); waited %lds",
                                                 who ? who : "?", until, wait_s);
                        }
                } else if (units_now_s() >= deadline)
                        return error_set(err, -EBUSY, NULL, 0, 0, NULL,
                                         "cannot take the reconcile lock; waited %lds", wait_s);
                struct timespec ts = { .tv_sec = 0, .tv_nsec = 250000000L };
                nanosleep(&ts, NULL);
        }
}

/* Deletes the holder's lock networks but keep (NULL: all of them). */
static int lock_delete_own(EngineClient *c, const char *holder, const char *keep, BerthError *err)
{
        /* Only networks labelled with this holder are touched: another run's lock is never deleted. */
        _cleanup_cjson_ cJSON *list = NULL;
        int r = lock_list(c, &list, err), first = 0;
        if (r < 0)
                return r;
        for (cJSON *n = list->child; n; n = n->next) {
                const char *who = lock_label(n, "io.berth.lock.holder");
                const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "Id"));
                if (who && id && strcmp(who, holder) == 0 && (!keep || strcmp(id, keep) != 0) &&
                    (r = lock_delete(c, id, err)) < 0 && first == 0)
                        first = r;
        }
        return first;
}

int reconcile_unlock(EngineClient *c, const char *holder, BerthError *err)
{
        keeper_stop(c, holder);
        return lock_delete_own(c, holder, NULL, err);
}
