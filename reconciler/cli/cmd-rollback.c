/* cmd-rollback.c: `berth rollback STACK [--to REV]`, one stack put back as an earlier commit had it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "reconcile/rollback.h"
#include "report/ci.h"

static const CliCommand rollback_cmd = {
        .name = "rollback",
        .args = "STACK",
        .min_args = 1,
        .max_args = 1,
        .about = "Redeploys one stack as it was at REV; without --to, at the newest commit before the "
                 "deployed\none in which the stack's files differ. The same health gate applies.",
};

int cmd_rollback(int argc, char **argv)
{
        ReconcileArgs a = { 0 };
        const char *to = NULL;
        char target[41], holder[256];
        int first, r;
        const CliOption opts[] = {
                CLI_STRING(0, "to", "REV", &to,
                           "the commit to go back to (default: the stack's previous change)"),
                CLI_REPO_OPTIONS(&a),
                CLI_NUMBER(0, "lock-timeout", "S", &a.lock_timeout_s, 0, 86400,
                           "wait this long for another reconcile's lock (default 300)"),
                CLI_END,
        };

        if (!cli_reconcile_args(&rollback_cmd, opts, argc, argv, &a, &first, &r))
                return r;
        const char *stack = argv[first];
        if (!project_name_valid(stack)) {
                fprintf(stderr, "berth rollback: invalid stack name \"%s\"\n", stack);
                cli_reconcile_done(&a);
                return EXIT_USAGE;
        }
        /* The targets come from HEAD's berth.yaml: they say where the stack runs now. */
        if ((r = cli_reconcile_open(&a)) != EXIT_DONE) {
                cli_reconcile_done(&a);
                return r;
        }
        runs_holder(&a.env, "rollback", holder, sizeof(holder));
        bool ok = true, found = false;
        for (size_t i = 0; i < a.n_runs; i++) {
                TargetRun *run = &a.runs[i];
                BerthError err = { 0 };
                if (!target_has_stack(run->target, stack))
                        continue;
                if (!run->engine) {
                        ok = false;
                        continue;
                }
                if (to)
                        r = repo_resolve(a.repo, to, target, &err);
                /* Not deployed on this target: with several targets, the others may have it. */
                else if ((r = rollback_previous(run->engine, a.repo, stack, target, &err)) == 1)
                        continue;
                found = true;
                if (r < 0) {
                        cli_report_error(&err, r, "berth rollback");
                        ok = false;
                        continue;
                }
                /* Now a reconcile of that one stack to the target, downgrade allowed. */
                a.o.rev = target;
                a.o.only = stack;
                a.o.allow_downgrade = true;
                if (cli_reconcile_plan_run(&a, run, NULL, holder) != EXIT_DONE) {
                        ok = false;
                        continue;
                }
                printf("rolling back stack %s%s%s to %.12s\n", stack, run->target ? " on " : "",
                       run->target ? run->target->name : "", target);
                ci_print_plan(stdout, ci_detect(&a.env), &run->plan);
                reconcile_apply(run->engine, a.repo, &run->plan, &a.o, &err);
                cli_reconcile_unlock(run, holder);
        }
        if (!found && ok) {
                fprintf(stderr, "stack \"%s\" is not deployed from a commit on %s\n", stack,
                        a.n_runs > 1 || (a.n_runs == 1 && a.runs[0].target) ? "any of its targets"
                                                                            : "this engine");
                ok = false;
        }
        size_t n_plans = 0;
        const ReconcilePlan *const *plans = cli_reconcile_plans(&a, &n_plans);
        if (plans && n_plans)
                ci_print_summary(stdout, plans, n_plans);
        ok &= plans && !cli_reconcile_failed(&a);
        cli_reconcile_done(&a);
        return ok ? EXIT_DONE : EXIT_FAILED;
}
