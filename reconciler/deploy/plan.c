/* plan.c: desired against live, per service, with reasons. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "plan.h"

unsigned plan_replicas(const cJSON *service)
{
        cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(service, "deploy"),
                                                    "replicas");
        return cJSON_IsNumber(r) && r->valuedouble >= 0 ? (unsigned)r->valuedouble : 1;
}

static Action *add(Plan *plan, size_t *alloc, ActionKind kind, const char *service, unsigned number,
                   const LiveContainer *lc, const char *cname)
{
        if (plan->n == *alloc) {
                size_t n = *alloc ? *alloc * 2 : 16;
                Action *a = realloc(plan->actions, n * sizeof(Action));
                if (!a)
                        return NULL;
                plan->actions = a;
                *alloc = n;
        }
        Action *a = &plan->actions[plan->n];
        *a = (Action){ .kind = kind, .number = number, .service = strdup(service) };
        if (lc)
                a->container_id = strdup(lc->id);
        a->container_name = strdup(lc && lc->name ? lc->name : cname ? cname : "");
        if (!a->service || (lc && !a->container_id) || !a->container_name) {
                free(a->service);
                free(a->container_id);
                free(a->container_name);
                return NULL;
        }
        plan->n++;
        return a;
}

static const char *hash_of(const ServiceHash *h, size_t n, const char *service)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(h[i].service, service) == 0)
                        return h[i].hash;
        return NULL;
}

/* Services that declare depends_on: {dep: {restart: true}} restart when dep is replaced. */
static void mark_restarts(const Project *p, Plan *plan)
{
        cJSON *services = cJSON_GetObjectItemCaseSensitive(p->model, "services");
        for (size_t i = 0; i < plan->n; i++) {
                Action *a = &plan->actions[i];
                if (a->kind != ACTION_NOOP)
                        continue;
                cJSON *deps = cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(services, a->service), "depends_on");
                for (cJSON *d = deps ? deps->child : NULL; d && a->kind == ACTION_NOOP; d = d->next) {
                        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "restart")))
                                continue;
                        for (size_t k = 0; k < plan->n; k++) {
                                Action *b = &plan->actions[k];
                                if (strcmp(b->service, d->string) == 0 &&
                                    (b->kind == ACTION_RECREATE || b->kind == ACTION_CREATE)) {
                                        a->kind = ACTION_RESTART;
                                        snprintf(a->reason, sizeof(a->reason),
                                                 "its dependency \"%s\" is replaced (restart: true)",
                                                 d->string);
                                        break;
                                }
                        }
                }
        }
}

static int cmp_actions(const void *a, const void *b)
{
        const Action *x = a, *y = b;
        int c = strcmp(x->service, y->service);
        return c ? c : (x->number > y->number) - (x->number < y->number);
}

int plan_services(const Project *p, const ServiceHash *hashes, size_t n_hashes, const LiveSet *live,
                  bool remove_orphans, Plan *ret)
{
        cJSON *services = cJSON_GetObjectItemCaseSensitive(p->model, "services");
        Plan plan = { 0 };
        size_t alloc = 0;
        Action *a;

        for (cJSON *s = services ? services->child : NULL; s; s = s->next) {
                const char *hash = hash_of(hashes, n_hashes, s->string);
                unsigned want = plan_replicas(s);
                bool any_live = false;

                for (size_t i = 0; i < live->n; i++) {
                        const LiveContainer *lc = &live->items[i];
                        if (lc->oneoff || !lc->service || strcmp(lc->service, s->string) != 0)
                                continue;
                        any_live = true;
                        bool duplicate = false;
                        for (size_t k = 0; k < i; k++)
                                duplicate |= !live->items[k].oneoff && live->items[k].service &&
                                             strcmp(live->items[k].service, s->string) == 0 &&
                                             live->items[k].number == lc->number;
                        if (lc->number == 0 || lc->number > want || duplicate) {
                                if (!(a = add(&plan, &alloc, ACTION_REMOVE, s->string, lc->number, lc,
                                              NULL)))
                                        goto oom;
                                if (duplicate)
                                        snprintf(a->reason, sizeof(a->reason),
                                                 "a second container with number %u", lc->number);
                                else
                                        snprintf(a->reason, sizeof(a->reason), "scaled down to %u", want);
                        } else if (!hash || !lc->hash || strcmp(lc->hash, hash) != 0) {
                                if (!(a = add(&plan, &alloc, ACTION_RECREATE, s->string, lc->number, lc,
                                              NULL)))
                                        goto oom;
                                snprintf(a->reason, sizeof(a->reason),
                                         "configuration changed (content hash %.12s -> %.12s)",
                                         lc->hash ? lc->hash : "none", hash ? hash : "none");
                        } else if (!lc->state || strcmp(lc->state, "running") != 0) {
                                if (!(a = add(&plan, &alloc, ACTION_START, s->string, lc->number, lc, NULL)))
                                        goto oom;
                                a->never_started = lc->state && strcmp(lc->state, "created") == 0;
                                snprintf(a->reason, sizeof(a->reason), "container is %s",
                                         lc->state ? lc->state : "not running");
                        } else {
                                if (!(a = add(&plan, &alloc, ACTION_NOOP, s->string, lc->number, lc, NULL)))
                                        goto oom;
                                snprintf(a->reason, sizeof(a->reason), "up to date");
                        }
                }
                for (unsigned k = 1; k <= want; k++) {
                        if (live_find((LiveSet *)live, s->string, k))
                                continue;
                        _cleanup_free_ char *cname = container_name(p, s->string, k);
                        if (!(a = add(&plan, &alloc, ACTION_CREATE, s->string, k, NULL, cname)))
                                goto oom;
                        if (!any_live)
                                snprintf(a->reason, sizeof(a->reason), "new service");
                        else
                                snprintf(a->reason, sizeof(a->reason), "replica %u is missing", k);
                }
        }
        for (size_t i = 0; i < live->n; i++) {
                const LiveContainer *lc = &live->items[i];
                if (lc->oneoff || !lc->service || cJSON_GetObjectItemCaseSensitive(services, lc->service))
                        continue;
                if (!(a = add(&plan, &alloc, remove_orphans ? ACTION_REMOVE : ACTION_ORPHAN, lc->service,
                              lc->number, lc, NULL)))
                        goto oom;
                snprintf(a->reason, sizeof(a->reason), "service \"%s\" is no longer in the stack%s",
                         lc->service, remove_orphans ? "" : " (kept: use --remove-orphans)");
        }
        /* Live containers come in the engine's order; a stable plan reads better and diffs cleanly. */
        if (plan.n)
                qsort(plan.actions, plan.n, sizeof(Action), cmp_actions);
        mark_restarts(p, &plan);
        *ret = plan;
        return 0;
oom:
        plan_done(&plan);
        return -ENOMEM;
}
