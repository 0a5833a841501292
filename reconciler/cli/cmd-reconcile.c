/* cmd-reconcile.c: `berth reconcile`, the engine made to match the config repo's commit. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report/ci.h"
#include "report/json.h"
#include "report/sections.h"

static const CliCommand reconcile_cmd = {
        .name = "reconcile",
        .about =
                "Deploys new stacks, updates changed ones minimally, removes the ones deleted from git "
                "(prune),\neach health-gated: a stack that does not come up healthy is put back as it was "
                "at its\nprevious commit and reported as failed and rolled back. Stacks are applied side by "
                "side\n(berth.yaml's parallel bounds the engine operations of all of them together), each "
                "after\nthe stacks it waits for; targets too, each on its own engine.",
        .exits = "0 done, 1 a stack failed, was invalid or was refused, 64 usage error",
};

/* One target's reconcile, in a thread of its own: targets have their own engines and locks. */
typedef struct TargetJob {
        ReconcileArgs *a;
        TargetRun *run;
        ReconcileOptions o; /* a->o with this job's callbacks and target */
        CiKind ci;
        bool counter;
        const char *holder;
        Sections *sections;
} TargetJob;

static void on_progress(void *ud, const char *stack, const Action *a, const char *phase, const char *error)
{
        TargetJob *j = ud;
        if (j->sections)
                sections_progress(j->sections, stack, a, phase, error);
}

static void on_finished(void *ud, const StackPlan *s, size_t done, size_t total, size_t failed)
{
        TargetJob *j = ud;
        if (j->sections)
                sections_finished(j->sections, s, done, total, failed);
}

static void on_warn(void *ud, const char *msg)
{
        cli_warn_once(msg);
}

static void *target_job(void *ud)
{
        TargetJob *j = ud;
        /* Plan without the lock first: a run with nothing to change (the usual one) never waits for,
         * or makes, the lock. With changes, the lock is taken and the plan made again under it, since
         * another reconcile may have changed the engine in between. */
        if (cli_reconcile_plan_run(j->a, j->run, &j->o, NULL) != EXIT_DONE)
                return NULL;
        bool locked = !j->a->dry_run && reconcile_changes(&j->run->plan) > 0;
        if (locked && cli_reconcile_plan_run(j->a, j->run, &j->o, j->holder) != EXIT_DONE)
                return NULL;
        sections_print_plan(stdout, j->ci, &j->run->plan);
        if (!locked)
                return NULL;
        BerthError err = { 0 };
        if (sections_new(stdout, j->ci, j->counter, &j->run->plan, &j->sections) >= 0) {
                reconcile_apply(j->run->engine, j->a->repo, &j->run->plan, &j->o, &err);
                sections_end(j->sections);
                j->sections = sections_free(j->sections);
        } else
                cli_report_error(NULL, -ENOMEM, "berth reconcile");
        cli_reconcile_unlock(j->run, j->holder);
        return NULL;
}

int cmd_reconcile(int argc, char **argv)
{
        ReconcileArgs a = { 0 };
        const CliOption opts[] = {
                CLI_REPO_OPTIONS(&a),
                CLI_PLAN_OPTIONS(&a),
                CLI_APPLY_OPTIONS(&a),
                CLI_END,
        };
        int first, r;
        if (!cli_reconcile_args(&reconcile_cmd, opts, argc, argv, &a, &first, &r))
                return r;
        CiKind ci = ci_detect(&a.env);
        char holder[256];
        runs_holder(&a.env, NULL, holder, sizeof(holder));

        r = cli_reconcile_open(&a);
        if (r != EXIT_DONE) {
                cli_reconcile_done(&a);
                return r;
        }
        TargetJob *jobs = calloc(a.n_runs ? a.n_runs : 1, sizeof(TargetJob));
        if (!jobs) {
                cli_reconcile_done(&a);
                return cli_report_error(NULL, -ENOMEM, "berth reconcile");
        }
        for (size_t i = 0; i < a.n_runs; i++) {
                jobs[i] = (TargetJob){ .a = &a,
                                       .run = &a.runs[i],
                                       .o = a.o,
                                       .ci = ci,
                                       .counter = ci == CI_NONE && isatty(STDOUT_FILENO),
                                       .holder = holder };
                jobs[i].o.progress = on_progress;
                jobs[i].o.finished = on_finished;
                jobs[i].o.warn = on_warn;
                jobs[i].o.ud = &jobs[i];
        }
        runs_each(jobs, a.n_runs, sizeof(TargetJob), target_job);
        free(jobs);
        size_t n = 0;
        const ReconcilePlan *const *plans = cli_reconcile_plans(&a, &n);
        if (!plans) {
                cli_reconcile_done(&a);
                return cli_report_error(NULL, -ENOMEM, "berth reconcile");
        }
        ci_print_summary(stdout, plans, n);
        ci_print_failures(stderr, plans, n);
        if (a.report && report_json_write(a.report, plans, n) < 0) {
                fprintf(stderr, "berth reconcile: cannot write the report to \"%s\"\n", a.report);
                r = EXIT_FAILED;
        }
        const char *summary = envmap_get(&a.env, "GITHUB_STEP_SUMMARY");
        if (ci == CI_GITHUB && summary && *summary)
                ci_step_summary(summary, plans, n);
        bool bad = cli_reconcile_failed(&a);
        cli_reconcile_done(&a);
        return bad ? EXIT_FAILED : r;
}
