/* runs.h: one reconcile fanned out across the engines berth.yaml names (targets).
 *
 * A run is one target with its own engine, plan and lock. Opening connects every target (or the one
 * asked for); one that cannot be reached is marked failed, with its error, and the others go on. Two
 * target names for one engine are refused, since each would prune the other's stacks. The runs own
 * their engines and plans; the targets they point to belong to the caller's TargetList. */
#pragma once

#include "lock.h"
#include "reconcile.h"
#include "settings.h"

typedef struct TargetRun {
        const Target *target; /* NULL: berth.yaml names no targets, the environment's engine */
        EngineClient *engine; /* NULL when it could not be reached (error says why) */
        ReconcilePlan plan;
        bool planned, failed;
        BerthError error; /* why it failed */
} TargetRun;

/* The engine a target names (NULL: the environment's, or host when given). */
int runs_connect(const Target *t, const char *host, EngineClient **ret, BerthError *err);

/* Makes a run per target of targets (only: the one of that name; none: one for the environment's
 * engine) and connects each. Stacks of the commit that no target takes are named through warn. An
 * error is returned only for what stops every run (two targets on one engine, no memory). */
int runs_open(Repo *repo, const char *head, const TargetList *targets, const char *only, const char *host,
              void (*warn)(void *ud, const char *msg), void *ud, TargetRun **ret, size_t *ret_n,
              BerthError *err);
/* (Re)plans one run, holding its engine's reconcile lock first when holder is given (released again
 * if the plan fails). On failure the run is marked failed, with its error. Runs of one repo may plan
 * from threads of their own, each with its own o (o->target is set here). */
int runs_plan(TargetRun *run, Repo *repo, ReconcileOptions *o, const char *holder, long lock_wait_s,
              long lock_ttl_s);
/* True when a run failed or a stack was invalid, refused or failed. */
bool runs_failed(const TargetRun *runs, size_t n);
/* Runs fn on each of the n items (item_size bytes apart): side by side in threads of their own when
 * there are several (targets have their own engines and locks), here when there is one, or where a
 * thread cannot be made. Returns when every one is done. */
void runs_each(void *items, size_t n, size_t item_size, void *(*fn)(void *));
/* Who holds a lock taken now, for the engine's lock record: host, pid, and the CI job (CI_JOB_ID,
 * GITHUB_RUN_ID) or what took it (what; may be NULL). */
void runs_holder(const EnvMap *env, const char *what, char *buf, size_t size);
void runs_free(TargetRun *runs, size_t n);
