/* deployer.h: the one deploy interface that reconcile calls, and its two implementations: compose
 * (containers on a standalone engine, deploy/) and swarm (services on a manager, swarm/).
 *
 * Each reads what it runs of berth's stacks as units of a LiveSet (a container, or a service), plans
 * and applies a stack into a StackResult whose actions carry their reasons (a dry run plans only),
 * and removes a stack. Reconcile picks one per stack by its mode and does not know which it has. The
 * implementations are static tables: a Deployer is never freed. */
#pragma once

#include "../deploy/stack.h"
#include "../source/source.h"

typedef enum DeployMode {
        DEPLOY_COMPOSE, /* the default */
        DEPLOY_SWARM,
} DeployMode;

typedef struct Deployer {
        DeployMode mode;
        const char *name; /* "compose", "swarm": what berth.yaml and stack.json say */
        /* What the engine runs of berth's stacks in this mode, appended to *live. */
        int (*live)(EngineClient *c, LiveSet *live, BerthError *err);
        /* Plans the stack against the engine and, unless o->dry_run, applies the plan (and with
         * o->wait waits until it is running and healthy, up to o->timeout_s). src is where the
         * stack's files are read from (swarm makes configs and secrets of them); NULL: its root. */
        int (*up)(EngineClient *c, const Project *p, const StackOptions *o, Source *src, StackResult *ret,
                  BerthError *err);
        /* Removes the stack; its volumes only with o->volumes. -ENOENT when there is nothing. */
        int (*down)(EngineClient *c, const char *stack, const DownOptions *o, BerthError *err);
} Deployer;

const Deployer *deployer_of(DeployMode m);
/* "compose" or "swarm"; -EINVAL for anything else. */
int deploy_mode_parse(const char *s, DeployMode *ret);

/* Everything berth deployed on the engine in either mode: its containers, then its swarm services.
 * An engine that is no swarm manager has no services, and *ret_manager says which it is. */
int deployer_live_all(EngineClient *c, LiveSet *ret, bool *ret_manager, BerthError *err);
