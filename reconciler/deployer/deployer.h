/* deployer.h: the one deploy interface that reconcile, the CLI and berth-api call, implemented by
 * compose (containers on a standalone engine, deploy/) and swarm (services on a manager, swarm/);
 * modes/ picks one by a stack's mode.
 *
 * Each reads what it runs of berth's stacks as units of a LiveSet (a container, or a service), plans
 * and applies a stack into a StackResult whose actions carry their reasons (a dry run plans only),
 * and removes a stack. The interface owns its types, so neither implementation depends on the other
 * and a third (another engine) needs nothing of theirs. Implementations are static tables: a Deployer
 * is never freed. */
#pragma once

#include "../compose/project.h"
#include "../engine/engine.h"
#include "../source/source.h"
#include "../spec/labels.h"
#include "../spec/liveset.h"
#include "../util/envmap.h"
#include "budget.h"
#include "result.h"

typedef enum DeployMode {
        DEPLOY_COMPOSE, /* the default */
        DEPLOY_SWARM,
} DeployMode;

typedef struct StackOptions {
        OpBudget *budget;  /* engine operations in flight, shared with other stacks; NULL: parallel */
        unsigned parallel; /* 0: the implementation's default */
        long timeout_s;    /* depends_on conditions and --wait */
        bool wait;         /* --wait: running, and healthy where checked */
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

typedef struct DownOptions {
        bool volumes;
        long timeout_s;   /* grace period for every container; < 0: each container's own */
        OpBudget *budget; /* as in StackOptions */
        unsigned parallel;
        void (*progress)(void *ud, const char *what, const char *name, const char *error);
        void *ud;
        /* For BERTH_RUNTIME_DIR: the stack's decrypted files (deploy/runtime.h) go with its containers. */
        const EnvMap *env;
} DownOptions;

/* A column of `berth ps`'s table: the row's key under header, width wide (0: the last column). */
typedef struct PsColumn {
        const char *header;
        const char *key;
        int width;
} PsColumn;

typedef struct Deployer {
        DeployMode mode;
        const char *name; /* "compose", "swarm": what berth.yaml and stack.json say */
        /* What the engine runs of berth's stacks in this mode, into *ret (owned by the caller, to free
         * with live_done() also on failure). -EOPNOTSUPP: the engine cannot run this mode at all (a
         * swarm listing on an engine that is no manager). */
        int (*live)(EngineClient *c, LiveSet *ret, BerthError *err);
        /* Plans the stack against the engine and, unless o->dry_run, applies the plan (and with
         * o->wait waits until it is running and healthy, up to o->timeout_s). src is where the
         * stack's files are read from (swarm makes configs and secrets of them); NULL: its root. */
        int (*up)(EngineClient *c, const Project *p, const StackOptions *o, Source *src, StackResult *ret,
                  BerthError *err);
        /* Removes the stack; its volumes only with o->volumes. -ENOENT when there is nothing. */
        int (*down)(EngineClient *c, const char *stack, const DownOptions *o, BerthError *err);
        /* What runs of the stack (NULL: of every stack, where the mode can tell), for `berth ps`: an
         * array of objects with string and number values, in the engine's order. */
        int (*ps)(EngineClient *c, const char *stack, cJSON **ret, BerthError *err);
        const PsColumn *ps_columns; /* ends with { NULL } */
} Deployer;

/* "compose" or "swarm"; -EINVAL for anything else. */
int deploy_mode_parse(const char *s, DeployMode *ret);
const char *deploy_mode_name(DeployMode m);
