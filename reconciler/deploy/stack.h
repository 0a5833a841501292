/* stack.h: one stack (compose project) brought up or taken down on one engine.
 *
 * stack_up() checks everything it can before it changes anything: images exist (or are pulled),
 * external networks and volumes exist, every service is supported. Then it creates missing networks
 * and volumes, plans, applies, and with wait_s > 0 waits for every service to be running and healthy.
 * stack_down() removes containers in reverse dependency order, then networks; volumes only when asked. */
#pragma once

#include "apply.h"

typedef struct StackOptions {
        unsigned parallel; /* 0: twice the engine's CPUs, from 4 to 32 */
        long timeout_s;    /* depends_on conditions and --wait */
        bool wait;         /* --wait */
        bool remove_orphans;
        bool dry_run; /* plan only */
        DeployIdentity id;
        void (*warn)(void *ud, const char *msg);
        void (*progress)(void *ud, const Action *a, const char *phase, const char *error);
        void (*on_plan)(void *ud, const Project *p, const Plan *plan); /* before anything changes */
        void *ud;
} StackOptions;

typedef struct StackResult {
        Plan plan;
        ApplyReport report;
        ServiceHash *hashes;
        size_t n_hashes;
} StackResult;

int stack_up(EngineClient *c, const Project *p, const StackOptions *o, StackResult *ret, BerthError *err);
void stack_result_done(StackResult *r);

typedef struct DownOptions {
        bool volumes;
        long timeout_s; /* grace period for every container; < 0: each container's own */
        unsigned parallel;
        void (*progress)(void *ud, const char *what, const char *name, const char *error);
        void *ud;
} DownOptions;

int stack_down(EngineClient *c, const char *project, const DownOptions *o, BerthError *err);

/* Restarts the stack's containers in dependency order, as `docker compose restart` does: a service goes
 * once every service it depends on has been restarted; each container is stopped with its own stop
 * signal and grace period, then started. done (may be NULL) hears of each container restarted, in
 * order. Nothing is created or removed. -ENOENT when the stack has no container. */
int stack_restart(EngineClient *c, const char *project, void (*done)(void *ud, const LiveContainer *lc),
                  void *ud, BerthError *err);
