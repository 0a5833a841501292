/* stack.h: one stack deployed as swarm services on a manager, as `docker stack deploy` does, but
 * minimally: only services whose content hash (or replica count) changed are updated, with the full
 * spec at their current version; a no-op deploy makes no write call. Networks are created when
 * missing; configs and secrets are made from their contents (read through the project source, or from
 * the environment for `environment:` secrets) under names that carry their digest, and removed once
 * neither a service's spec nor its previous one (a rollback's) refers to them. */
#pragma once

#include "../engine/engine.h"
#include "../source/source.h"
#include "../deployer/deployer.h"
#include "../util/envmap.h"
#include "spec.h"

/* The swarm deployer: swarm_stack_up (with --wait, swarm_stack_wait), swarm_stack_down and
 * swarm_live_list behind the deploy interface. */
extern const Deployer swarm_deployer;

typedef enum SwarmActionKind {
        SWARM_NOOP,
        SWARM_CREATE,
        SWARM_UPDATE,
        SWARM_REMOVE,
} SwarmActionKind;

typedef struct SwarmAction {
        SwarmActionKind kind;
        char *service; /* the model's name; for a removal the engine's; a network's key */
        bool network;  /* a network of the stack, not a service */
        char *digest;  /* the registry digest the service runs ("repo@sha256:..."), or NULL */
        char reason[256];
        /* What apply does: DELETE path (a removal), or POST spec to path with the registry
         * credentials auth (NULL: none). path NULL: nothing (a no-op, a network made with the plan). */
        char *path;
        cJSON *spec;
        char *auth;
} SwarmAction;

typedef struct SwarmResult {
        SwarmAction *actions;
        size_t n;
} SwarmResult;

typedef struct SwarmOptions {
        Source *source;      /* borrowed: where config and secret files are read; NULL: p->root */
        const EnvMap *env;   /* the values of `environment:` secrets and configs */
        bool remove_orphans; /* remove services of the stack no longer in the model */
        bool dry_run;        /* plan only: nothing is created */
        /* {service: "repo@sha256:..."}: the exact images to run (a rollback's recorded digests) instead
         * of asking the registry what the tags name now; NULL: none. */
        const cJSON *pins;
        DeployIdentity id;
        void (*warn)(void *ud, const char *msg);
        void (*on_action)(void *ud, const SwarmAction *a, const char *error); /* NULL: begun; "": done */
        void (*on_removed)(void *ud, const char *what, const char *name); /* an unused config or secret */
        void *ud;
} SwarmOptions;

/* GET path with ?filters=<filter JSON> into *ret; -EOPNOTSUPP, said plainly, off a manager. */
int swarm_engine_list(EngineClient *c, const char *path, const char *filter, const char *what, cJSON **ret,
                      BerthError *err);

/* Plans the stack: its networks, configs and secrets made first unless o->dry_run (services refer to
 * them), then one action per service of the model and per service of the stack that it no longer has,
 * each with its reason. Nothing else changes. */
int swarm_stack_plan(EngineClient *c, const Project *p, const SwarmOptions *o, SwarmResult *ret,
                     BerthError *err);
/* Carries out the plan's actions in order, each told to o->on_action before and after, then removes
 * the configs and secrets no service uses any longer. */
int swarm_stack_apply(EngineClient *c, const Project *p, const SwarmOptions *o, const SwarmResult *res,
                      BerthError *err);
/* Plan, then apply unless o->dry_run. */
int swarm_stack_up(EngineClient *c, const Project *p, const SwarmOptions *o, SwarmResult *ret,
                   BerthError *err);
void swarm_result_done(SwarmResult *r);
const char *swarm_action_name(SwarmActionKind k);

/* Follows the services up created or updated until each has converged: its update completed (or
 * none was needed) and as many tasks running as it asks for (running means healthy where the service
 * has a healthcheck: swarm holds a task in "starting" until then). A paused or rolled-back update
 * fails at once; tasks not running by timeout_s fail, naming each task's error ("no suitable node",
 * "No such image", the exit code). */
int swarm_stack_wait(EngineClient *c, const Project *p, const SwarmResult *res, long timeout_s,
                     BerthError *err);

/* Removes the stack's services, then its networks, configs and secrets; its volumes on this node only
 * with volumes (`docker stack rm` keeps them). done hears of each object removed. -ENOENT when there is
 * nothing. */
int swarm_stack_down(EngineClient *c, const char *stack, bool volumes,
                     void (*done)(void *ud, const char *what, const char *name), void *ud, BerthError *err);

/* The stack's tasks, as `docker stack ps` lists them: {Task ("web.1", or "web.NODE" of a global
 * service), Service, ID, Slot, Node, Desired, State, Error}. */
int swarm_stack_tasks(EngineClient *c, const char *stack, cJSON **ret, BerthError *err);
