/* runs.c: one reconcile across berth.yaml's targets: their engines, plans and locks. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "runs.h"

int runs_connect(const Target *t, const char *host, EngineClient **ret, BerthError *err)
{
        EngineConfig cfg = { 0 };
        EnvMap env;
        int r;

        /* Here, not at start-up: only engine commands pay for TLS set-up, and this runs before any thread. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return error_set(err, -ENOMEM, NULL, 0, 0, NULL, "cannot initialise libcurl");
        envmap_init(&env);
        envmap_from_environ(&env, environ);
        r = target_engine_config(t, &env, host, &cfg, err);
        envmap_done(&env);
        if (r >= 0)
                r = engine_client_new(&cfg, ret, err);
        engine_config_done(&cfg);
        return r;
}

/* What tells two names for one engine apart from two engines. The ID alone does not: engines on one
 * machine (or on machines cloned from one image) share the key it comes from. */
static int engine_id(EngineClient *c, char *buf, size_t size, BerthError *err)
{
        _cleanup_cjson_ cJSON *info = NULL;
        int r = engine_call(c, "GET", "/info", NULL, "read the engine's info", 0, NULL, &info, err);
        if (r < 0)
                return r;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "ID"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "Name"));
        const char *root = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "DockerRootDir"));
        snprintf(buf, size, "%s %s:%s", id ? id : "", name ? name : "", root ? root : "");
        return 0;
}

static int add_run(TargetRun **runs, size_t *n, const Target *t)
{
        TargetRun *v = realloc(*runs, (*n + 1) * sizeof(TargetRun));
        if (!v)
                return -ENOMEM;
        *runs = v;
        v[(*n)++] = (TargetRun){ .target = t };
        return 0;
}

/* A stack no target takes is deployed nowhere: say so rather than drop it in silence. */
static int warn_unmapped(Repo *repo, const char *head, const TargetList *targets,
                         void (*warn)(void *ud, const char *msg), void *ud, BerthError *err)
{
        StackList stacks = { 0 };
        int r = repo_stacks(repo, head, &stacks, NULL, NULL, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < stacks.n; i++) {
                bool mapped = false;
                for (size_t k = 0; k < targets->n && !mapped; k++)
                        mapped = target_has_stack(&targets->items[k], stacks.items[i].name);
                if (!mapped && warn) {
                        char line[256];
                        snprintf(line, sizeof(line),
                                 "stack %s is in no target of berth.yaml: it is not deployed anywhere",
                                 stacks.items[i].name);
                        warn(ud, line);
                }
        }
        stack_list_done(&stacks);
        return 0;
}

int runs_open(Repo *repo, const char *head, const TargetList *targets, const char *only, const char *host,
              void (*warn)(void *ud, const char *msg), void *ud, TargetRun **ret, size_t *ret_n,
              BerthError *err)
{
        TargetRun *runs = NULL;
        size_t n = 0;
        int r = 0;

        if (targets->n == 0)
                r = add_run(&runs, &n, NULL);
        else
                for (size_t i = 0; i < targets->n && r >= 0; i++)
                        if (!only || strcmp(only, targets->items[i].name) == 0)
                                r = add_run(&runs, &n, &targets->items[i]);
        if (r >= 0 && targets->n)
                r = warn_unmapped(repo, head, targets, warn, ud, err);
        char(*ids)[640] = r >= 0 ? calloc(n ? n : 1, sizeof(*ids)) : NULL;
        if (r >= 0 && !ids)
                r = -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                TargetRun *run = &runs[i];
                if (runs_connect(run->target, host, &run->engine, &run->error) < 0 ||
                    (n > 1 && engine_id(run->engine, ids[i], sizeof(ids[i]), &run->error) < 0)) {
                        /* A target that cannot be reached fails alone. */
                        run->failed = true;
                        run->engine = engine_client_free(run->engine);
                        continue;
                }
                for (size_t k = 0; k < i && r >= 0; k++)
                        if (ids[i][0] && strcmp(ids[i], ids[k]) == 0)
                                r = error_set(err, -EINVAL, "berth.yaml", 0, 0, NULL,
                                              "targets %s and %s are the same engine (ID %s): map its "
                                              "stacks to one target",
                                              runs[k].target->name, run->target->name, ids[i]);
        }
        free(ids);
        if (r < 0) {
                runs_free(runs, n);
                return r;
        }
        *ret = runs;
        *ret_n = n;
        return 0;
}

int runs_plan(TargetRun *run, Repo *repo, ReconcileOptions *o, const char *holder, long lock_wait_s,
              long lock_ttl_s)
{
        int r;

        reconcile_plan_done(&run->plan);
        run->planned = false;
        run->error = (BerthError){ 0 };
        if (!run->engine)
                return -ENOTCONN;
        o->target = run->target;
        if (holder && (r = reconcile_lock(run->engine, holder, lock_wait_s, lock_ttl_s, o->warn, o->ud,
                                          &run->error)) < 0)
                goto fail;
        /* Not while waiting for the engine's lock: other targets plan meanwhile. */
        repo_lock(repo);
        r = reconcile_plan(run->engine, repo, o, &run->plan, &run->error);
        repo_unlock(repo);
        if (r < 0) {
                if (holder)
                        reconcile_unlock(run->engine, holder, NULL);
                goto fail;
        }
        run->planned = true;
        return 0;
fail:
        run->failed = true;
        return r;
}

bool runs_failed(const TargetRun *runs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const ReconcilePlan *p = &runs[i].plan;
                if (runs[i].failed)
                        return true;
                for (size_t k = 0; k < p->n; k++)
                        if (p->stacks[k].verdict == VERDICT_INVALID ||
                            p->stacks[k].verdict == VERDICT_REFUSED ||
                            (p->stacks[k].applied && !p->stacks[k].ok))
                                return true;
        }
        return false;
}

void runs_free(TargetRun *runs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                reconcile_plan_done(&runs[i].plan);
                engine_client_free(runs[i].engine);
        }
        free(runs);
}

void runs_each(void *items, size_t n, size_t item_size, void *(*fn)(void *))
{
        pthread_t *threads = n > 1 ? calloc(n, sizeof(pthread_t)) : NULL;
        bool *started = n > 1 ? calloc(n, sizeof(bool)) : NULL;
        for (size_t i = 0; threads && started && i < n; i++)
                started[i] = pthread_create(&threads[i], NULL, fn, (char *)items + i * item_size) == 0;
        for (size_t i = 0; i < n; i++)
                if (started && started[i])
                        pthread_join(threads[i], NULL);
                else
                        fn((char *)items + i * item_size);
        free(threads);
        free(started);
}

void runs_holder(const EnvMap *env, const char *what, char *buf, size_t size)
{
        char host[128] = "";
        const char *job = envmap_get(env, "CI_JOB_ID") ? envmap_get(env, "CI_JOB_ID")
                                                       : envmap_get(env, "GITHUB_RUN_ID");
        gethostname(host, sizeof(host) - 1);
        snprintf(buf, size, "%s pid %d%s%s%s%s%s", host, (int)getpid(), job ? " job " : "", job ? job : "",
                 what ? " (" : "", what ? what : "", what ? ")" : "");
}
