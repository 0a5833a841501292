/* apply.c: a plan carried out, stack by stack, health-gated, with rollback and prune. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/units.h"
#include "stackplan.h"

typedef struct ProgressCtx {
        const ReconcileOptions *o;
        const char *stack;
} ProgressCtx;

static void stack_progress(void *ud, const Action *a, const char *phase, const char *error)
{
        ProgressCtx *p = ud;
        if (p->o->progress)
                p->o->progress(p->o->ud, p->stack, a, phase, error);
}

static void stack_warn(void *ud, const char *msg)
{
        ProgressCtx *p = ud;
        if (p->o->warn)
                p->o->warn(p->o->ud, msg);
}

static int rollback(EngineClient *c, Repo *repo, StateDir *sd, ReconcilePlan *plan, StackPlan *s,
                    const ReconcileOptions *o, BerthError *ret_err)
{
        StackPlan old = { .name = s->name };
        StackList stacks = { 0 };
        BerthError err = { 0 };
        int r = repo_stacks(repo, s->deployed, &stacks, NULL, NULL, &err);
        const StackDesc *d = r >= 0 ? stack_list_find(&stacks, s->name) : NULL;
        if (!d) {
                stack_list_done(&stacks);
                if (!err.set)
                        error_set(&err, -ENOENT, NULL, 0, 0, NULL, "commit %.12s has no stack \"%s\"",
                                  s->deployed, s->name);
                *ret_err = err;
                return -ENOENT;
        }
        if ((r = stackplan_set_desc(&old, d)) >= 0 &&
            (r = stackplan_load(repo, s->deployed, o, sd, &old, &err)) >= 0)
                r = stackplan_sync(repo, s->deployed, sd, &old, &err);
        _cleanup_free_ char *refs = r >= 0 ? stackplan_outside_refs(&old, d) : NULL;
        ProgressCtx pc = { .o = o, .stack = s->name };
        StackOptions so = { .parallel = o->parallel,
                            .timeout_s = o->health_timeout_s,
                            .wait = false,
                            .warn = stack_warn,
                            .progress = stack_progress,
                            .ud = &pc,
                            .id = { .repo = plan->repo_identity, .commit = s->deployed, .refs = refs } };
        if (r >= 0)
                r = stack_up(c, old.project, &so, &old.result, &err);
        old.name = NULL;
        stackplan_done(&old);
        stack_list_done(&stacks);
        if (r < 0)
                *ret_err = err;
        return r;
}

/* A pruned stack: its containers and networks (volumes with prune_volumes), and what berth wrote in its
 * directory. What its containers wrote there stays, as volumes do, and the reason says where. */
static int remove_stack(EngineClient *c, StateDir *sd, StackPlan *s, const ReconcileOptions *o)
{
        bool everything = o->prune_volumes && !s->keep_data;
        DownOptions d = { .volumes = everything, .parallel = o->parallel, .timeout_s = -1 };
        StateKept kept = { 0 };
        int r = stack_down(c, s->name, &d, &s->error);
        if (r < 0 || (r = statedir_remove(sd, s->name, everything, &kept, &s->error)) < 0)
                return r;
        if (kept.files) {
                size_t n = strlen(s->reason);
                snprintf(s->reason + n, sizeof(s->reason) - n,
                         "; kept %llu file%s (%.1f KiB) that its containers wrote, in %s (prune_volumes: "
                         "true "
                         "removes them)",
                         (unsigned long long)kept.files, kept.files == 1 ? "" : "s",
                         (double)kept.bytes / 1024.0, kept.path);
                if (o->warn) {
                        char line[1200];
                        snprintf(line, sizeof(line), "stack %s: %s", s->name, s->reason);
                        o->warn(o->ud, line);
                }
        }
        state_kept_done(&kept);
        return 0;
}

int reconcile_apply(EngineClient *c, Repo *repo, ReconcilePlan *plan, const ReconcileOptions *o,
                    BerthError *err)
{
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        int r = statedir_open(o->state_dir, plan->repo_identity, true, &sd, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < plan->n; i++) {
                StackPlan *s = &plan->stacks[i];
                ProgressCtx pc = { .o = o, .stack = s->name };
                double start = units_now_s();

                if (s->verdict == VERDICT_SKIP || s->verdict == VERDICT_REFUSED ||
                    s->verdict == VERDICT_INVALID)
                        continue;
                s->applied = true;
                if (s->verdict == VERDICT_REMOVE)
                        r = remove_stack(c, sd, s, o);
                else {
                        stack_result_done(&s->result);
                        /* The plan loaded the stack as it stands in its directory; now its files are put
                         * there, for its containers' bind mounts and configs. */
                        if ((r = stackplan_sync(repo, plan->head, sd, s, &s->error)) < 0) {
                                s->ok = false;
                                s->seconds = units_now_s() - start;
                                continue;
                        }
                        StackOptions so = {
                                .parallel = o->parallel,
                                .timeout_s = o->health_timeout_s,
                                .wait = true,
                                .warn = stack_warn,
                                .progress = stack_progress,
                                .ud = &pc,
                                .id = { .repo = plan->repo_identity, .commit = plan->head, .refs = s->refs }
                        };
                        r = stack_up(c, s->project, &so, &s->result, &s->error);
                        /* The health gate: what changed and did not come up is put back as it was. */
                        if (r < 0 && s->result.report.n && s->deployed[0] &&
                            repo_has_commit(repo, s->deployed)) {
                                int k = rollback(c, repo, sd, plan, s, o, &s->rollback_error);
                                s->rolled_back = k >= 0;
                        }
                }
                s->ok = r >= 0;
                s->seconds = units_now_s() - start;
        }
        return 0;
}
