/* reconcile.h: a config repo's commit against what one engine runs, stack by stack.
 *
 * reconcile_plan() decides, for every stack in the commit and every stack this repo deployed, what to
 * do and why, reading the deployed commit from the live labels and diffing it against the target with
 * libgit2. A stack whose files (and the files it references) did not change, and whose containers all
 * run, is skipped without being parsed. A stack that fails to load is marked invalid on its own.
 * reconcile_apply() carries the plan out, health-gated: a stack that does not come up healthy is
 * redeployed from its previous commit and reported as failed and rolled back. Stacks are applied side by
 * side, each once the stacks it waits for (after[]) are done, with one budget of engine operations in
 * flight shared by them all. Stacks are read straight
 * from git objects (repo_source_new), as they will stand in their directories under the state dir; a
 * plan writes nothing, and apply writes a stack's files (statedir.h) just before it deploys it. A
 * ReconcilePlan owns everything in it. */
#pragma once

#include "../deploy/stack.h"
#include "../modes/modes.h"
#include "../gitops/repo.h"

typedef enum StackVerdict {
        VERDICT_SKIP,    /* nothing to do */
        VERDICT_DEPLOY,  /* new on this engine */
        VERDICT_UPDATE,  /* changed: minimal update */
        VERDICT_REMOVE,  /* gone from git: pruned */
        VERDICT_REFUSED, /* an older commit than the deployed one, or another repo's stack */
        VERDICT_INVALID, /* does not load: its file:line error */
} StackVerdict;

typedef struct StackPlan {
        char *name;
        StackVerdict verdict;
        char reason[768];
        char deployed[41]; /* the commit in its labels (the oldest, where the diff starts), "" if none */
        /* The commit its last deploy was made from (the label of what was written last): what the
         * health gate rolls back to. Forward deploys leave untouched services at older labels, and a
         * rollback labels what it wrote with an older commit than the rest, so neither the oldest nor
         * the newest label says it. */
        char previous[41];
        char *root; /* the stack's directory under the state dir, which its source stands for */
        char *desc_dir, *desc_file; /* where the stack is in the repo (StackDesc) */
        char *refs; /* repo files outside its directory that it reads (the io.berth.refs label) */
        /* How it is deployed: its stack.json's mode, else its target's, else berth.yaml's. */
        DeployMode mode;
        /* It runs in the other mode on the engine (mode changed in git): that is removed, volumes
         * kept, before it is deployed in this one. */
        bool mode_switch;
        Project *project;
        Source *source; /* what the project was loaded from: the commit's git objects */
        /* {service: "repo@sha256:..."}: the exact images to run (a rollback's recorded digests, or what
         * this commit's own descriptors built); NULL: every service runs its tag */
        cJSON *pins;
        StackResult result; /* its service plan (with --dry-run) and, after apply, the outcome */
        BerthError error;
        BerthError rollback_error; /* why the health gate's rollback failed too */
        bool keep_data;            /* a removal that keeps volumes and files whatever prune_volumes says
                                    * (a stack disabled in its stack.json, still in git) */
        char **needs;              /* the stacks its stack.json names in depends_on_stacks */
        size_t *after; /* the stacks of the plan (indexes) applied before this one: see order.h */
        size_t n_after;
        /* after apply */
        bool applied, ok, rolled_back;
        double seconds;
} StackPlan;

typedef struct ReconcilePlan {
        char head[41];
        char engine[64]; /* what answered: "Docker 24.0.7", "Podman 4.3.1" */
        char *target;    /* the target's name; NULL without targets */
        char *repo_identity;
        StackPlan *stacks;
        size_t n;
} ReconcilePlan;

typedef struct ReconcileOptions {
        const char *rev;  /* default HEAD */
        const char *only; /* one stack (rollback); NULL: all of them */
        bool all;         /* check every stack against live state (drift) */
        bool allow_downgrade;
        bool prune;         /* remove stacks deleted from git (berth.yaml: prune) */
        bool prune_volumes; /* with them, their volumes (berth.yaml: prune_volumes) */
        DeployMode mode;    /* berth.yaml's mode: how stacks are deployed unless a target or a stack
                             * says otherwise */
        /* The stacks this engine gets (berth.yaml: targets); NULL: all of them. A stack of this repo
         * that another target gets is removed here, as if it were deleted from git. */
        const struct Target *target;
        long health_timeout_s; /* the health gate */
        unsigned parallel; /* engine operations in flight for all stacks together; 0: stack_parallelism() */
        const EnvMap *env; /* the process environment, for interpolation */
        const AgeIdentities *age_keys; /* the keys that open SOPS files; NULL: none */
        /* Where deployed stacks' files live while they run (bind mounts and configs point there):
         * BERTH_STATE_DIR, else /var/lib/berth for root, else ~/.local/state/berth. */
        const char *state_dir;
        /* berth.yaml as read for the run (settings.h), when it was read before the plan; a plan of
         * another commit reads its own. */
        const struct Settings *settings;
        /* Host paths outside the repo that stacks may read (berth.yaml: allow_host_paths). */
        char **allowed_host_paths;
        size_t n_allowed_host_paths;
        /* The callbacks. During an apply they come from its threads, but one at a time. */
        void (*warn)(void *ud, const char *msg);
        void (*progress)(void *ud, const char *stack, const Action *a, const char *phase, const char *error);
        /* A stack's apply ended (s->ok says how); done of total have, failed of them failed. */
        void (*finished)(void *ud, const StackPlan *s, size_t done, size_t total, size_t failed);
        void *ud;
} ReconcileOptions;

int reconcile_plan(EngineClient *c, Repo *repo, const ReconcileOptions *o, ReconcilePlan *ret,
                   BerthError *err);
int reconcile_apply(EngineClient *c, Repo *repo, ReconcilePlan *plan, const ReconcileOptions *o,
                    BerthError *err);
void reconcile_plan_done(ReconcilePlan *plan);
const char *stack_verdict_name(StackVerdict v);
/* The outcome in a word or two: unchanged, planned, ok, FAILED, FAILED, rolled back, invalid, refused. */
const char *stack_result_name(const StackPlan *s);
/* Whether the stack changes something on the engine (deploy, update, remove). */
bool stack_plan_changes(const StackPlan *s);
/* Stacks that change something. */
size_t reconcile_changes(const ReconcilePlan *plan);
/* The plans of one run, one per target (and outcomes, after apply), as a JSON document; owned by the
 * caller. */
