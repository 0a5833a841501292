/* apply.c: the plan as a parallel, dependency-ordered graph of engine operations. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/units.h"
#include "apply.h"
#include "ops.h"

typedef struct Node {
        const char *service;
        size_t index; /* in the report */
        bool done;
        bool ok;
        pthread_t thread;
        bool started;
} Node;

typedef struct Graph {
        EngineClient *root;
        const Project *p;
        const Plan *plan;
        const ServiceHash *hashes;
        size_t n_hashes;
        const ApplyOptions *o;
        ApplyReport *report;
        Node *nodes;
        size_t n;
        pthread_mutex_t lock;
        pthread_cond_t changed;
        OpBudget *budget;
} Graph;

typedef struct Task {
        Graph *g;
        Node *node;
} Task;

static Node *node_of(Graph *g, const char *service)
{
        for (size_t i = 0; i < g->n; i++)
                if (strcmp(g->nodes[i].service, service) == 0)
                        return &g->nodes[i];
        return NULL;
}

static void progress(Graph *g, const Action *a, const char *phase, const char *error)
{
        if (!g->o->progress)
                return;
        pthread_mutex_lock(&g->lock);
        g->o->progress(g->o->ud, a, phase, error);
        pthread_mutex_unlock(&g->lock);
}

static const ServiceHash *hash_for(Graph *g, const char *service)
{
        static const ServiceHash none = { .hash = "" };
        for (size_t i = 0; i < g->n_hashes; i++)
                if (strcmp(g->hashes[i].service, service) == 0)
                        return &g->hashes[i];
        return &none;
}

static int create_and_start(Graph *g, EngineClient *c, const Action *a, BerthError *err)
{
        _cleanup_free_ char *id = NULL;
        ContainerSpec spec = { 0 };
        const ServiceHash *h = hash_for(g, a->service);
        int r = container_spec_build(g->p, a->service, a->number, h->hash, h->image, h->digest, g->o->id,
                                     &spec, err);
        if (r >= 0)
                r = ops_create(c, &spec, &id, err);
        if (r >= 0)
                r = ops_start(c, id, spec.name, err);
        container_spec_done(&spec);
        return r;
}

/* One action on one container; runs inside a parallelism slot. */
static int run_action(Graph *g, EngineClient *c, const Action *a, BerthError *err)
{
        int r;

        switch (a->kind) {
        case ACTION_NOOP:
        case ACTION_ORPHAN:
        case ACTION_UPDATE: /* a swarm service's: no plan_services() makes it */
                return 0;
        case ACTION_START:
                r = ops_start(c, a->container_id, a->container_name, err);
                if (r >= 0 || !a->never_started)
                        return r;
                /* A container that never ran but will not start (after an engine crash its task can be
                 * left behind) is replaced: it holds no state of its own. */
                *err = (BerthError){ 0 };
                if ((r = ops_remove(c, a->container_id, a->container_name, false, err)) < 0 && r != -ENOENT)
                        return r;
                return create_and_start(g, c, a, err);
        case ACTION_RESTART:
                return ops_restart(c, a->container_id, a->container_name, err);
        case ACTION_REMOVE:
                if ((r = ops_stop(c, a->container_id, a->container_name, -1, err)) < 0 && r != -ENOENT)
                        return r;
                r = ops_remove(c, a->container_id, a->container_name, false, err);
                return r == -ENOENT ? 0 : r;
        case ACTION_RECREATE:
                if ((r = ops_stop(c, a->container_id, a->container_name, -1, err)) < 0 && r != -ENOENT)
                        return r;
                if ((r = ops_remove(c, a->container_id, a->container_name, false, err)) < 0 && r != -ENOENT)
                        return r;
                /* the replacement is created below */
                __attribute__((fallthrough));
        case ACTION_CREATE:
                return create_and_start(g, c, a, err);
        }
        return 0;
}

/* Waits for the conditions of the services this one depends on, when it has work to do. */
static int wait_dependencies(Graph *g, EngineClient *c, const char *service, BerthError *err)
{
        cJSON *deps = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(g->p->model, "services"),
                                                 service),
                "depends_on");
        int r;

        for (cJSON *d = deps ? deps->child : NULL; d; d = d->next) {
                const char *cond = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "condition"));
                WaitFor what = !cond || strcmp(cond, "service_started") == 0 ? WAIT_RUNNING
                               : strcmp(cond, "service_healthy") == 0        ? WAIT_HEALTHY
                                                                             : WAIT_COMPLETED;
                LiveSet live = { 0 };
                if ((r = live_list(c, g->p->name, &live, err)) < 0)
                        return r;
                for (size_t i = 0; i < live.n && r >= 0; i++) {
                        LiveContainer *lc = &live.items[i];
                        if (lc->oneoff || !lc->service || strcmp(lc->service, d->string) != 0)
                                continue;
                        r = ops_wait(c, lc->id, lc->name, what, g->o->timeout_s, err);
                        if (r < 0)
                                error_hint(err, "service \"%s\" depends on \"%s\" (%s)", service, d->string,
                                           cond ? cond : "service_started");
                }
                live_done(&live);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void *service_thread(void *userdata)
{
        Task *t = userdata;
        Graph *g = t->g;
        Node *node = t->node;
        ServiceReport *rep = &g->report->services[node->index];
        cJSON *deps = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(g->p->model, "services"),
                                                 node->service),
                "depends_on");
        _cleanup_engine_ EngineClient *c = NULL;
        BerthError err = { 0 };
        double start = units_now_s();
        bool work = false, ok = true;
        int r;

        /* Dependencies first: wait until each is done, and stop if one failed. */
        /* The loader refuses depends_on cycles; still, no wait here is unbounded: a dependency gets the
         * time every service could take one after another. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)((g->o->timeout_s > 0 ? g->o->timeout_s : 120) + 60) * (time_t)(g->n + 1);
        pthread_mutex_lock(&g->lock);
        for (cJSON *d = deps ? deps->child : NULL; d && ok; d = d->next) {
                Node *dep = node_of(g, d->string);
                int w = 0;
                while (dep && !dep->done && w != ETIMEDOUT)
                        w = pthread_cond_timedwait(&g->changed, &g->lock, &until);
                if (dep && !dep->done) {
                        ok = false;
                        rep->result = RESULT_SKIPPED;
                        snprintf(rep->message, sizeof(rep->message),
                                 "not updated: its dependency \"%s\" did not finish in time", d->string);
                } else if (dep && !dep->ok) {
                        ok = false;
                        rep->result = RESULT_SKIPPED;
                        snprintf(rep->message, sizeof(rep->message),
                                 "not updated: its dependency \"%s\" failed", d->string);
                }
        }
        pthread_mutex_unlock(&g->lock);

        for (size_t i = 0; i < g->plan->n && ok; i++)
                work |= strcmp(g->plan->actions[i].service, node->service) == 0 &&
                        g->plan->actions[i].kind != ACTION_NOOP && g->plan->actions[i].kind != ACTION_ORPHAN;
        if (ok && work) {
                r = engine_client_clone(g->root, &c, &err);
                if (r >= 0)
                        r = wait_dependencies(g, c, node->service, &err);
                /* Removals first, so scale-down frees names and ports before anything is created. */
                for (int pass = 0; pass < 2 && r >= 0; pass++)
                        for (size_t i = 0; i < g->plan->n && r >= 0; i++) {
                                const Action *a = &g->plan->actions[i];
                                if (strcmp(a->service, node->service) != 0 || a->kind == ACTION_NOOP ||
                                    a->kind == ACTION_ORPHAN || (a->kind == ACTION_REMOVE) != (pass == 0))
                                        continue;
                                progress(g, a, "begin", NULL);
                                op_budget_take(g->budget);
                                r = run_action(g, c, a, &err);
                                op_budget_give(g->budget);
                                char line[1200];
                                progress(g, a, r < 0 ? "failed" : "done",
                                         r < 0 ? error_format(&err, line, sizeof(line)) : NULL);
                        }
                if (r < 0) {
                        ok = false;
                        rep->result = RESULT_FAILED;
                        char line[1200];
                        snprintf(rep->message, sizeof(rep->message), "%s%s%s",
                                 error_format(&err, line, sizeof(line)), err.hint[0] ? "; " : "", err.hint);
                } else
                        rep->result = RESULT_CHANGED;
        }
        rep->seconds = units_now_s() - start;

        pthread_mutex_lock(&g->lock);
        node->done = true;
        node->ok = ok;
        if (!ok)
                g->report->failed++;
        pthread_cond_broadcast(&g->changed);
        pthread_mutex_unlock(&g->lock);
        free(t);
        return NULL;
}

int apply_plan(EngineClient *c, const Project *p, const Plan *plan, const ServiceHash *hashes,
               size_t n_hashes, const ApplyOptions *opts, ApplyReport *ret, BerthError *err)
{
        cJSON *services = cJSON_GetObjectItemCaseSensitive(p->model, "services");
        size_t n = (size_t)cJSON_GetArraySize(services);
        Graph g = { .root = c,
                    .p = p,
                    .plan = plan,
                    .hashes = hashes,
                    .n_hashes = n_hashes,
                    .o = opts,
                    .report = ret };
        int r = 0;

        *ret = (ApplyReport){ .services = calloc(n ? n : 1, sizeof(ServiceReport)), .n = n };
        g.nodes = calloc(n ? n : 1, sizeof(Node));
        if (!ret->services || !g.nodes) {
                free(g.nodes);
                return -ENOMEM;
        }
        size_t i = 0;
        for (cJSON *s = services ? services->child : NULL; s; s = s->next, i++) {
                g.nodes[i] = (Node){ .service = s->string, .index = i };
                if (!(ret->services[i].service = strdup(s->string))) {
                        free(g.nodes);
                        apply_report_done(ret);
                        return -ENOMEM;
                }
        }
        g.n = n;
        _cleanup_(op_budget_freep) OpBudget *own = NULL;
        if (!(g.budget = opts->budget)) {
                if ((r = op_budget_new(opts->parallel ? opts->parallel : 4, &own)) < 0) {
                        free(g.nodes);
                        return error_set(err, r, NULL, 0, 0, NULL, "cannot bound the apply's parallelism");
                }
                g.budget = own;
        }
        pthread_mutex_init(&g.lock, NULL);
        pthread_cond_init(&g.changed, NULL);

        /* Orphans belong to no service of the model: handle them before the graph. */
        for (size_t k = 0; k < plan->n && r >= 0; k++) {
                const Action *a = &plan->actions[k];
                if (cJSON_GetObjectItemCaseSensitive(services, a->service) || a->kind != ACTION_REMOVE)
                        continue;
                progress(&g, a, "begin", NULL);
                op_budget_take(g.budget);
                r = run_action(&g, c, a, err);
                op_budget_give(g.budget);
                char line[1200];
                progress(&g, a, r < 0 ? "failed" : "done",
                         r < 0 ? error_format(err, line, sizeof(line)) : NULL);
        }
        if (r < 0)
                goto out;

        for (i = 0; i < n; i++) {
                Task *t = malloc(sizeof(Task));
                if (!t) {
                        r = -ENOMEM;
                        break;
                }
                *t = (Task){ .g = &g, .node = &g.nodes[i] };
                if (pthread_create(&g.nodes[i].thread, NULL, service_thread, t) != 0) {
                        free(t);
                        r = -EAGAIN;
                        break;
                }
                g.nodes[i].started = true;
        }
        if (r < 0) {
                /* Threads already running wait for nodes that will never start: mark them failed. */
                pthread_mutex_lock(&g.lock);
                for (size_t k = 0; k < n; k++)
                        if (!g.nodes[k].started) {
                                g.nodes[k].done = true;
                                g.nodes[k].ok = false;
                        }
                pthread_cond_broadcast(&g.changed);
                pthread_mutex_unlock(&g.lock);
        }
        for (i = 0; i < n; i++)
                if (g.nodes[i].started)
                        pthread_join(g.nodes[i].thread, NULL);
out:
        pthread_cond_destroy(&g.changed);
        pthread_mutex_destroy(&g.lock);
        free(g.nodes);
        if (r < 0)
                return r == -ENOMEM || r == -EAGAIN
                               ? error_set(err, r, NULL, 0, 0, NULL, "cannot start the apply threads")
                               : r;
        return 0;
}
