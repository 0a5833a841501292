/* stack.h: one stack (compose project) brought up or taken down on one engine.
 *
 * stack_up() checks everything it can before it changes anything: images exist (or are pulled),
 * external networks and volumes exist, every service is supported. Then it creates missing networks
 * and volumes, plans, applies, and with wait_s > 0 waits for every service to be running and healthy.
 * stack_down() removes containers in reverse dependency order, then networks; volumes only when asked. */
#pragma once

#include "apply.h"

typedef struct StackOptions {
        OpBudget *budget;  /* engine operations in flight, shared with other stacks; NULL: parallel */
        unsigned parallel; /* 0: stack_parallelism() */
        long timeout_s;    /* depends_on conditions and --wait */
        bool wait;         /* --wait */
        bool remove_orphans;
        bool dry_run; /* plan only */
        /* Networks and volumes that other stacks of a run create before this one is applied, by name:
         * {"networks": {name: stack}, "volumes": {...}}. An external one of these that does not exist
         * yet passes a dry run; the apply still checks that it exists. */
        const cJSON *provided;
        /* {service: "repo@sha256:..."}: the exact images to run instead of what the model's tags name
         * now (a rollback to a deploy that recorded them); NULL: none. */
        const cJSON *pins;
        /* Registry credentials (registry/auth.h) for pulls and tag checks; NULL: none sent. */
        const EnvMap *env;
        /* Ask the registry what each tag names now, and warn where it moved ("image tag moved"): what
         * plan --all shows. The move is applied only when pull_policy says always. */
        bool check_tags;
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

/* How many engine operations to run at once by default: twice the engine's CPUs, from 4 to 32. */
unsigned stack_parallelism(EngineClient *c);

int stack_up(EngineClient *c, const Project *p, const StackOptions *o, StackResult *ret, BerthError *err);
void stack_result_done(StackResult *r);

typedef struct DownOptions {
        bool volumes;
        long timeout_s;   /* grace period for every container; < 0: each container's own */
        OpBudget *budget; /* as in StackOptions */
        unsigned parallel;
        void (*progress)(void *ud, const char *what, const char *name, const char *error);
        void *ud;
        /* For BERTH_RUNTIME_DIR: the stack's decrypted files (runtime.h) go with its containers. */
        const EnvMap *env;
} DownOptions;

int stack_down(EngineClient *c, const char *project, const DownOptions *o, BerthError *err);

/* Restarts the stack's containers in dependency order, as `docker compose restart` does: a service goes
 * once every service it depends on has been restarted; each container is stopped with its own stop
 * signal and grace period, then started. done (may be NULL) hears of each container restarted, in
 * order. Nothing is created or removed. -ENOENT when the stack has no container. */
int stack_restart(EngineClient *c, const char *project, void (*done)(void *ud, const LiveContainer *lc),
                  void *ud, BerthError *err);
