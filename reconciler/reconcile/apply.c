/* apply.c: a plan carried out, stacks side by side, each health-gated, with rollback and prune. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/units.h"
#include "stackplan.h"

/* One apply: the plan, what the stacks share, and where each stack stands. */
typedef struct Run {
        EngineClient *root;
        Repo *repo;
        ReconcilePlan *plan;
        const ReconcileOptions *o;
        StateDir *sd;
        OpBudget *budget;
        pthread_mutex_t lock; /* guards what follows, and makes the callers' callbacks one at a time */
        pthread_cond_t changed;
        bool *started, *finished;
        size_t n_finished, n_total, n_failed, n_running;
} Run;

typedef struct ProgressCtx {
        Run *run;
        const char *stack;
} ProgressCtx;

static void stack_progress(void *ud, const Action *a, const char *phase, const char *error)
{
        ProgressCtx *p = ud;
        if (!p->run->o->progress)
                return;
        pthread_mutex_lock(&p->run->lock);
        p->run->o->progress(p->run->o->ud, p->stack, a, phase, error);
        pthread_mutex_unlock(&p->run->lock);
}

static void run_warn(Run *run, const char *stack, const char *msg)
{
        char line[1400];
        if (!run->o->warn)
                return;
        snprintf(line, sizeof(line), "%s%s%s%s", stack ? "stack " : "", stack ? stack : "",
                 stack ? ": " : "", msg);
        pthread_mutex_lock(&run->lock);
        run->o->warn(run->o->ud, line);
        pthread_mutex_unlock(&run->lock);
}

static void stack_warn(void *ud, const char *msg)
{
        ProgressCtx *p = ud;
        run_warn(p->run, p->stack, msg);
}

/* The exact images the stack's deploy ran, recorded for a later rollback. A stack that runs none from
 * a registry records an empty set: its images are local, named only by their ids. */
static int record_pins(Run *run, const StackPlan *s, const char *commit, BerthError *err)
{
        _cleanup_cjson_ cJSON *pins = cJSON_CreateObject();
        if (!pins)
                return -ENOMEM;
        for (size_t i = 0; i < s->result.n_hashes; i++)
                if (s->result.hashes[i].digest)
                        cJSON_AddStringToObject(pins, s->result.hashes[i].service,
                                                s->result.hashes[i].digest);
        return statedir_pins_write(run->sd, s->name, commit, pins, err);
}

static int rollback(Run *run, EngineClient *c, StackPlan *s, BerthError *ret_err)
{
        StackPlan old = { .name = s->name };
        StackList stacks = { 0 };
        BerthError err = { 0 };
        Repo *repo = run->repo;
        const ReconcileOptions *o = run->o;
        repo_lock(repo);
        int r = repo_stacks(repo, s->previous, &stacks, NULL, NULL, &err);
        const StackDesc *d = r >= 0 ? stack_list_find(&stacks, s->name) : NULL;
        if (!d) {
                repo_unlock(repo);
                stack_list_done(&stacks);
                if (!err.set)
                        error_set(&err, -ENOENT, NULL, 0, 0, NULL, "commit %.12s has no stack \"%s\"",
                                  s->previous, s->name);
                *ret_err = err;
                return -ENOENT;
        }
        if ((r = stackplan_set_desc(&old, d)) >= 0 &&
            (r = stackplan_load(repo, s->previous, o, run->sd, &old, &err)) >= 0)
                r = stackplan_sync(repo, s->previous, run->sd, &old, &err);
        _cleanup_free_ char *refs = NULL;
        if (r >= 0)
                r = stackplan_outside_refs(&old, d, &refs);
        repo_unlock(repo);
        ProgressCtx pc = { .run = run, .stack = s->name };
        /* What that deploy ran, by digest: the tags may name other bytes by now. */
        _cleanup_cjson_ cJSON *pins = statedir_pins_read(run->sd, s->name, s->previous);
        StackOptions so = {
                .budget = run->budget,
                .timeout_s = o->health_timeout_s,
                .wait = false,
                .remove_orphans = o->prune,
                .pins = pins,
                .env = o->env,
                .warn = stack_warn,
                .progress = stack_progress,
                .ud = &pc,
                .id = { .repo = run->plan->repo_identity, .commit = s->previous, .refs = refs }
        };
        _cleanup_source_ Source *src = NULL;
        if (r >= 0 && (r = stackplan_shared_source(repo, &old, &src)) >= 0)
                r = deployer_of(s->mode)->up(c, old.project, &so, src, &old.result, &err);
        old.name = NULL;
        stackplan_done(&old);
        stack_list_done(&stacks);
        if (r < 0)
                *ret_err = err;
        return r;
}

/* What the stack runs in the mode it no longer has: its containers, or its services (volumes only
 * when the data goes too). Nothing there is no failure: a switch cut short left nothing behind. */
static int remove_other_mode(EngineClient *c, StackPlan *s, bool volumes, OpBudget *budget)
{
        DownOptions d = { .volumes = volumes, .budget = budget, .timeout_s = -1 };
        DeployMode other = s->mode == DEPLOY_SWARM ? DEPLOY_COMPOSE : DEPLOY_SWARM;
        BerthError e = { 0 };
        int r = deployer_of(other)->down(c, s->name, &d, &e);
        if (r < 0 && r != -ENOENT && r != -EOPNOTSUPP) {
                s->error = e;
                return r;
        }
        return 0;
}

/* A pruned stack: its containers and networks (volumes with prune_volumes), and what berth wrote in its
 * directory. What its containers wrote there stays, as volumes do, and the reason says where. */
static int remove_stack(Run *run, EngineClient *c, StackPlan *s)
{
        bool everything = run->o->prune_volumes && !s->keep_data;
        DownOptions d = {
                .volumes = everything, .budget = run->budget, .timeout_s = -1, .env = run->o->env
        };
        StateKept kept = { 0 };
        int r = deployer_of(s->mode)->down(c, s->name, &d, &s->error);
        if (r >= 0 && s->mode_switch)
                r = remove_other_mode(c, s, everything, run->budget);
        if (r < 0 || (r = statedir_remove(run->sd, s->name, everything, &kept, &s->error)) < 0)
                return r;
        if (kept.files) {
                size_t n = strlen(s->reason);
                snprintf(s->reason + n, sizeof(s->reason) - n,
                         "; kept %llu file%s (%.1f KiB) that its containers wrote, in %s (prune_volumes: "
                         "true "
                         "removes them)",
                         (unsigned long long)kept.files, kept.files == 1 ? "" : "s",
                         (double)kept.bytes / 1024.0, kept.path);
                run_warn(run, s->name, s->reason);
        }
        state_kept_done(&kept);
        return 0;
}

/* One stack, on this worker's client: what apply_all did for each in turn before stacks ran side by side. */
static void apply_stack(Run *run, EngineClient *c, StackPlan *s)
{
        const ReconcilePlan *plan = run->plan;
        ProgressCtx pc = { .run = run, .stack = s->name };
        double start = units_now_s();
        int r;

        s->applied = true;
        if (s->verdict == VERDICT_REMOVE)
                r = remove_stack(run, c, s);
        else {
                stack_result_done(&s->result);
                /* The plan loaded the stack as it stands in its directory; now its files are put there,
                 * for its containers' bind mounts and configs. */
                repo_lock(run->repo);
                r = stackplan_sync(run->repo, plan->head, run->sd, s, &s->error);
                /* Not across a change of mode: the previous commit ran in the other one. */
                bool can_roll_back =
                        s->previous[0] && !s->mode_switch && repo_has_commit(run->repo, s->previous) > 0;
                repo_unlock(run->repo);
                _cleanup_source_ Source *src = NULL;
                if (r >= 0 && s->mode_switch)
                        r = remove_other_mode(c, s, false, run->budget);
                if (r >= 0)
                        r = stackplan_shared_source(run->repo, s, &src);
                if (r >= 0) {
                        StackOptions so = {
                                .budget = run->budget,
                                .timeout_s = run->o->health_timeout_s,
                                .wait = true,
                                /* A service deleted from git goes as a stack deleted from git does. */
                                .remove_orphans = run->o->prune,
                                .pins = s->pins, /* chosen by the plan */
                                .env = run->o->env,
                                .warn = stack_warn,
                                .progress = stack_progress,
                                .ud = &pc,
                                .id = { .repo = plan->repo_identity, .commit = plan->head, .refs = s->refs }
                        };
                        r = deployer_of(s->mode)->up(c, s->project, &so, src, &s->result, &s->error);
                        if (r >= 0)
                                r = record_pins(run, s, plan->head, &s->error);
                        /* The health gate: what changed and did not come up is put back as it was. */
                        else if (s->result.report.n && can_roll_back)
                                s->rolled_back = rollback(run, c, s, &s->rollback_error) >= 0;
                }
        }
        s->ok = r >= 0;
        s->seconds = units_now_s() - start;
}

/* The first stack, in plan order, not started whose waits are over; SIZE_MAX when there is none. */
static size_t next_ready(Run *run, bool *ret_left)
{
        *ret_left = false;
        for (size_t i = 0; i < run->plan->n; i++) {
                const StackPlan *s = &run->plan->stacks[i];
                bool ready = !run->started[i];
                *ret_left |= ready;
                for (size_t k = 0; k < s->n_after && ready; k++)
                        ready = run->finished[s->after[k]];
                if (ready)
                        return i;
        }
        return SIZE_MAX;
}

static void *worker(void *ud)
{
        Run *run = ud;
        _cleanup_engine_ EngineClient *c = NULL;
        BerthError err = { 0 };
        int r = engine_client_clone(run->root, &c, &err);

        pthread_mutex_lock(&run->lock);
        for (;;) {
                bool left;
                size_t i = next_ready(run, &left);
                if (i == SIZE_MAX && left && run->n_running == 0) {
                        /* Waits that no running stack can end: the plan refuses circles, so this is a
                         * bug; fail what is left rather than hang. */
                        for (size_t k = 0; k < run->plan->n; k++)
                                if (!run->started[k]) {
                                        run->started[k] = run->finished[k] = true;
                                        run->plan->stacks[k].applied = true;
                                        error_set(&run->plan->stacks[k].error, -EDEADLK, NULL, 0, 0, NULL,
                                                  "stack %s waits for stacks that never finish",
                                                  run->plan->stacks[k].name);
                                }
                        pthread_cond_broadcast(&run->changed);
                        break;
                }
                if (i == SIZE_MAX) {
                        if (!left)
                                break;
                        pthread_cond_wait(&run->changed, &run->lock);
                        continue;
                }
                StackPlan *s = &run->plan->stacks[i];
                run->started[i] = true;
                run->n_running++;
                pthread_mutex_unlock(&run->lock);
                if (r < 0) {
                        s->applied = true;
                        s->error = err;
                } else
                        apply_stack(run, c, s);
                pthread_mutex_lock(&run->lock);
                run->finished[i] = true;
                run->n_running--;
                run->n_finished++;
                run->n_failed += !s->ok;
                if (run->o->finished)
                        run->o->finished(run->o->ud, s, run->n_finished, run->n_total, run->n_failed);
                pthread_cond_broadcast(&run->changed);
        }
        pthread_mutex_unlock(&run->lock);
        return NULL;
}

int reconcile_apply(EngineClient *c, Repo *repo, ReconcilePlan *plan, const ReconcileOptions *o,
                    BerthError *err)
{
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        _cleanup_(op_budget_freep) OpBudget *budget = NULL;
        Run run = { .root = c, .repo = repo, .plan = plan, .o = o };
        int r = statedir_open(o->state_dir, plan->repo_identity, true, &sd, err);
        if (r < 0)
                return r;
        if ((r = op_budget_new(o->parallel ? o->parallel : stack_parallelism(c), &budget)) < 0)
                return error_set(err, r, NULL, 0, 0, NULL, "cannot bound the engine operations in flight");
        run.sd = sd;
        run.budget = budget;
        run.started = calloc(plan->n ? plan->n : 1, sizeof(bool));
        run.finished = calloc(plan->n ? plan->n : 1, sizeof(bool));
        if (!run.started || !run.finished) {
                free(run.started);
                free(run.finished);
                return -ENOMEM;
        }
        /* Stacks with nothing to do are done before they start. */
        for (size_t i = 0; i < plan->n; i++) {
                run.started[i] = run.finished[i] = !stack_plan_changes(&plan->stacks[i]);
                run.n_total += stack_plan_changes(&plan->stacks[i]);
        }
        pthread_mutex_init(&run.lock, NULL);
        pthread_cond_init(&run.changed, NULL);
        /* A stack mostly waits (health gates, the settle check) holding no slot of the budget, so more
         * stacks are in flight than the budget has slots: enough to keep it full. */
        size_t workers = (size_t)op_budget_slots(budget) * 4;
        if (workers < 8)
                workers = 8;
        if (workers > run.n_total)
                workers = run.n_total;
        pthread_t *threads = calloc(workers ? workers : 1, sizeof(pthread_t));
        size_t started = 0;
        while (threads && started < workers && pthread_create(&threads[started], NULL, worker, &run) == 0)
                started++;
        if (started == 0 && run.n_total) /* no thread to be had: this one does the work */
                worker(&run);
        for (size_t i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        free(threads);
        pthread_cond_destroy(&run.changed);
        pthread_mutex_destroy(&run.lock);
        free(run.started);
        free(run.finished);
        return 0;
}
