/* deployer.c: the compose and swarm deployers behind one interface. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../swarm/live.h"
#include "../swarm/spec.h"
#include "../swarm/stack.h"
#include "../util/strbuf.h"
#include "deployer.h"

#define get(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

/* ---- compose: containers on a standalone engine ---- */

/* What one listing (r, into got) found, appended to live. */
static int append_listed(int r, LiveSet *got, LiveSet *live)
{
        if (r >= 0)
                r = live_append(live, got);
        live_done(got);
        return r;
}

static int compose_live(EngineClient *c, LiveSet *live, BerthError *err)
{
        LiveSet got = { 0 };
        return append_listed(live_list(c, NULL, &got, err), &got, live);
}

static int compose_up(EngineClient *c, const Project *p, const StackOptions *o, Source *src,
                      StackResult *ret, BerthError *err)
{
        (void)src; /* containers bind-mount the stack's files where the state dir has them */
        return stack_up(c, p, o, ret, err);
}

/* ---- swarm: services on a manager ---- */

static int swarm_live(EngineClient *c, LiveSet *live, BerthError *err)
{
        LiveSet got = { 0 };
        return append_listed(swarm_live_list(c, &got, err), &got, live);
}

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

static int report_add(ApplyReport *r, const char *service, ServiceResult result, const char *msg)
{
        ServiceReport *v = realloc(r->services, (r->n + 1) * sizeof(ServiceReport));
        if (!v)
                return -ENOMEM;
        r->services = v;
        v[r->n] = (ServiceReport){ .service = strdup(service), .result = result };
        snprintf(v[r->n].message, sizeof(v[r->n].message), "%s", msg ? msg : "");
        if (!v[r->n].service)
                return -ENOMEM;
        r->n++;
        r->failed += result == RESULT_FAILED;
        return 0;
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
                report_add(u->report, object, *error ? RESULT_FAILED : RESULT_CHANGED, error);
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
                            .ud = &u };
        int r = swarm_stack_up(c, p, &so, &res, err);
        /* The health gate: every task of what changed running (healthy where checked). */
        if (r >= 0 && o->wait && !o->dry_run)
                r = swarm_stack_wait(c, p, &res, o->timeout_s, err);
        int rc = swarm_result_convert(p, &res, ret);
        swarm_result_done(&res);
        if (r >= 0 && rc < 0)
                r = rc;
        if (r < 0 && ret->report.n && !ret->report.failed)
                ret->report.failed = 1; /* written, but not converged */
        return r;
}

static int swarm_down(EngineClient *c, const char *stack, const DownOptions *o, BerthError *err)
{
        return swarm_stack_down(c, stack, o->volumes, NULL, NULL, err);
}

static const Deployer deployers[] = {
        [DEPLOY_COMPOSE] = { .mode = DEPLOY_COMPOSE,
                             .name = "compose",
                             .live = compose_live,
                             .up = compose_up,
                             .down = stack_down },
        [DEPLOY_SWARM] = { .mode = DEPLOY_SWARM,
                           .name = "swarm",
                           .live = swarm_live,
                           .up = swarm_up,
                           .down = swarm_down },
};

const Deployer *deployer_of(DeployMode m)
{
        return &deployers[m == DEPLOY_SWARM ? DEPLOY_SWARM : DEPLOY_COMPOSE];
}

int deploy_mode_parse(const char *s, DeployMode *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(deployers); i++)
                if (s && strcmp(s, deployers[i].name) == 0) {
                        *ret = deployers[i].mode;
                        return 0;
                }
        return -EINVAL;
}

int deployer_live_all(EngineClient *c, LiveSet *ret, bool *ret_manager, BerthError *err)
{
        LiveSet live = { 0 };
        BerthError e = { 0 };
        int r = deployers[DEPLOY_COMPOSE].live(c, &live, err);
        if (r < 0) {
                live_done(&live);
                return r;
        }
        r = deployers[DEPLOY_SWARM].live(c, &live, &e);
        if (r < 0 && r != -EOPNOTSUPP) {
                live_done(&live);
                *err = e;
                return r;
        }
        if (ret_manager)
                *ret_manager = r >= 0;
        *ret = live;
        return 0;
}
