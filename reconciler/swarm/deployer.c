/* deployer.c: swarm behind the deploy interface: services on a manager, their actions and results
 * told as the compose deployer tells its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "live.h"
#include "spec.h"
#include "stack.h"

#define get(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

typedef struct SwarmUp {
        const Project *p;
        const StackOptions *o;
        ApplyReport *report;
} SwarmUp;

static ActionKind action_kind(SwarmActionKind k)
{
        switch (k) {
        case SWARM_CREATE:
                return ACTION_CREATE;
        case SWARM_UPDATE:
                return ACTION_UPDATE;
        case SWARM_REMOVE:
                return ACTION_REMOVE;
        default:
                return ACTION_NOOP;
        }
}

/* The engine's name of what an action acts on: the service <stack>_<service> (a removal names it
 * already), or the network. */
static void action_object(const Project *p, const SwarmAction *a, char *buf, size_t size)
{
        if (a->network)
                swarm_network_name(p, a->service, buf, size);
        else if (a->kind == SWARM_REMOVE)
                snprintf(buf, size, "%s", a->service);
        else
                snprintf(buf, size, "%s_%s", p->name, a->service);
}

static void swarm_on_warn(void *ud, const char *msg)
{
        SwarmUp *u = ud;
        if (u->o->warn)
                u->o->warn(u->o->ud, msg);
}

/* The swarm's progress as the compose path reports it: begin, then done or failed. */
static void swarm_on_action(void *ud, const SwarmAction *a, const char *error)
{
        SwarmUp *u = ud;
        char object[300];
        if (a->kind == SWARM_NOOP || u->o->dry_run)
                return;
        action_object(u->p, a, object, sizeof(object));
        if (error)
                apply_report_add(u->report, object, *error ? RESULT_FAILED : RESULT_CHANGED, error);
        if (!u->o->progress)
                return;
        Action act = { .kind = action_kind(a->kind), .service = a->service, .container_name = object };
        snprintf(act.reason, sizeof(act.reason), "%s", a->reason);
        u->o->progress(u->o->ud, &act,
                       !error   ? "begin"
                       : *error ? "failed"
                                : "done",
                       error && *error ? error : NULL);
}

/* The actions as a Plan, and the images the services run (for the pins a rollback goes back to). */
static int swarm_result_convert(const Project *p, const SwarmResult *res, StackResult *ret)
{
        const cJSON *services = get(p->model, "services");
        if (!(ret->plan.actions = calloc(res->n ? res->n : 1, sizeof(Action))) ||
            !(ret->hashes = calloc(res->n ? res->n : 1, sizeof(ServiceHash))))
                return -ENOMEM;
        for (size_t i = 0; i < res->n; i++) {
                const SwarmAction *a = &res->actions[i];
                char object[300];
                action_object(p, a, object, sizeof(object));
                Action *act = &ret->plan.actions[ret->plan.n++];
                *act = (Action){ .kind = action_kind(a->kind) };
                snprintf(act->reason, sizeof(act->reason), "%s", a->reason);
                StrBuf name = STRBUF_INIT;
                strbuf_addf(&name, "%s%s", a->network ? "networks." : "", a->service);
                act->service = strbuf_detach(&name);
                act->container_name = strdup(object);
                if (!act->service || !act->container_name)
                        return -ENOMEM;
                /* A removed service is no longer in the model, and records nothing. */
                const cJSON *svc = a->network ? NULL : get(services, a->service);
                if (svc) {
                        ServiceHash *h = &ret->hashes[ret->n_hashes++];
                        *h = (ServiceHash){ .service = svc->string };
                        if (a->digest && !(h->digest = strdup(a->digest)))
                                return -ENOMEM;
                }
        }
        return 0;
}

/* A config or secret no service uses any more, removed: told as a removal done. */
static void swarm_on_removed(void *ud, const char *what, const char *name)
{
        SwarmUp *u = ud;
        if (!u->o->progress)
                return;
        Action act = { .kind = ACTION_REMOVE, .service = (char *)what, .container_name = (char *)name };
        snprintf(act.reason, sizeof(act.reason), "%s no service uses", what);
        u->o->progress(u->o->ud, &act, "done", NULL);
}

static int swarm_up(EngineClient *c, const Project *p, const StackOptions *o, Source *src, StackResult *ret,
                    BerthError *err)
{
        SwarmResult res = { 0 };
        *ret = (StackResult){ 0 };
        SwarmUp u = { .p = p, .o = o, .report = &ret->report };
        SwarmOptions so = { .source = src,
                            .env = o->env,
                            .remove_orphans = o->remove_orphans,
                            .dry_run = o->dry_run,
                            .pins = o->pins,
                            .id = o->id,
                            .warn = swarm_on_warn,
                            .on_action = swarm_on_action,
                            .on_removed = swarm_on_removed,
                            .ud = &u };
        int r = swarm_stack_plan(c, p, &so, &res, err);
        int rc = swarm_result_convert(p, &res, ret);
        if (r >= 0 && rc < 0)
                r = rc;
        if (r >= 0 && o->on_plan) {
                /* The services' plan, as compose's lists its containers: the networks were made with it. */
                Plan services = ret->plan;
                size_t first = 0;
                while (first < res.n && res.actions[first].network)
                        first++;
                services.actions += first;
                services.n -= first;
                o->on_plan(o->ud, p, &services);
        }
        if (r >= 0 && !o->dry_run)
                r = swarm_stack_apply(c, p, &so, &res, err);
        /* The health gate: every task of what changed running (healthy where checked). */
        if (r >= 0 && o->wait && !o->dry_run)
                r = swarm_stack_wait(c, p, &res, o->timeout_s, err);
        swarm_result_done(&res);
        if (r < 0 && ret->report.n && !ret->report.failed)
                ret->report.failed = 1; /* written, but not converged */
        return r;
}

static void swarm_down_removed(void *ud, const char *what, const char *name)
{
        const DownOptions *o = ud;
        char verb[64];
        /* As compose's removals are told: "remove container NAME". */
        snprintf(verb, sizeof(verb), "remove %s", what);
        if (o->progress)
                o->progress(o->ud, verb, name, NULL);
}

static int swarm_down(EngineClient *c, const char *stack, const DownOptions *o, BerthError *err)
{
        return swarm_stack_down(c, stack, o->volumes, swarm_down_removed, (void *)o, err);
}
static int swarm_ps(EngineClient *c, const char *stack, cJSON **ret, BerthError *err)
{
        if (!stack)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL,
                                 "a swarm's tasks are listed one stack at a time: name it (-p NAME)");
        return swarm_stack_tasks(c, stack, ret, err);
}

static const PsColumn swarm_columns[] = {
        { "TASK", "Task", 30 },  { "NODE", "Node", 16 },  { "DESIRED", "Desired", 9 },
        { "STATE", "State", 9 }, { "ERROR", "Error", 0 }, { NULL },
};

const Deployer swarm_deployer = {
        .mode = DEPLOY_SWARM,
        .name = "swarm",
        .live = swarm_live_list,
        .up = swarm_up,
        .down = swarm_down,
        .ps = swarm_ps,
        .ps_columns = swarm_columns,
};
