/* cmd-rollback.c: `berth rollback STACK [--to REV]`, one stack put back as an earlier commit had it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deploy/live.h"
#include "report/ci.h"

static void rollback_help(FILE *f)
{
        fprintf(f, "usage: berth rollback STACK [--to REV] [--repo DIR] [--lock-timeout S] [--target NAME] "
                   "[-H HOST]\n\n"
                   "Redeploys one stack as it was at REV; without --to, at the newest commit before the "
                   "deployed\n"
                   "one in which the stack's files differ. The same health gate applies.\n\n"
                   "exit codes: 0 done, 1 failed, 64 usage error\n");
}

int cmd_rollback(int argc, char **argv)
{
        ReconcileArgs a = { 0 };
        const char *stack = NULL, *to = NULL;
        char target[41], holder[256], host[128] = "";
        int r;

        /* STACK and --to are ours; the rest are reconcile's options. */
        char *rest[64];
        int n = 0;
        for (int i = 0; i < argc && n < 63; i++) {
                if (i > 0 && !stack && argv[i][0] != '-' && strcmp(argv[i - 1], "--repo") != 0 &&
                    strcmp(argv[i - 1], "-H") != 0 && strcmp(argv[i - 1], "--host") != 0 &&
                    strcmp(argv[i - 1], "--lock-timeout") != 0 && strcmp(argv[i - 1], "--to") != 0 &&
                    strcmp(argv[i - 1], "--target") != 0)
                        stack = argv[i];
                else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
                        to = argv[++i];
                else
                        rest[n++] = argv[i];
        }
        rest[n] = NULL;
        r = cli_reconcile_args(n, rest, "rollback", rollback_help, &a);
        if (r != EXIT_DONE)
                return r == CLI_HELP_SHOWN ? EXIT_DONE : r;
        if (!stack || !project_name_valid(stack)) {
                fprintf(stderr, "berth rollback: name a stack%s%s%s\n", stack ? " (invalid: \"" : "",
                        stack ? stack : "", stack ? "\")" : "");
                cli_reconcile_done(&a);
                return EXIT_USAGE;
        }
        /* The targets come from HEAD's berth.yaml: they say where the stack runs now. */
        if ((r = cli_reconcile_open(&a)) != EXIT_DONE) {
                cli_reconcile_done(&a);
                return r;
        }
        gethostname(host, sizeof(host) - 1);
        snprintf(holder, sizeof(holder), "%s pid %d (rollback)", host, (int)getpid());
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
                else {
                        /* The deployed commit from the stack's labels; the stack's path from that commit. */
                        LiveSet live = { 0 };
                        StackList stacks = { 0 };
                        const char *deployed = NULL;
                        r = live_list(run->engine, stack, &live, &err);
                        for (size_t k = 0; r >= 0 && k < live.n && !deployed; k++)
                                deployed = live.items[k].commit;
                        if (r >= 0 && !deployed) {
                                /* Not on this target: with several targets, the others may have it. */
                                live_done(&live);
                                continue;
                        }
                        const StackDesc *d = NULL;
                        if (r >= 0 && (r = repo_stacks(a.repo, deployed, &stacks, NULL, NULL, &err)) >= 0 &&
                            !(d = stack_list_find(&stacks, stack)))
                                r = error_set(&err, -ENOENT, NULL, 0, 0, NULL,
                                              "stack \"%s\" is not in its deployed commit", stack);
                        if (r >= 0)
                                r = repo_previous_change(a.repo, deployed, *d->dir ? d->dir : d->file,
                                                         target, &err);
                        stack_list_done(&stacks);
                        live_done(&live);
                }
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
