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
        fprintf(f, "usage: berth rollback STACK [--to REV] [--repo DIR] [--lock-timeout S] [-H HOST]\n\n"
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
                    strcmp(argv[i - 1], "--lock-timeout") != 0 && strcmp(argv[i - 1], "--to") != 0)
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
        BerthError err = { 0 };
        if ((r = repo_open(a.repo_path, &a.repo, &err)) < 0 ||
            (r = cli_engine_connect(a.host, &a.engine)) != EXIT_DONE) {
                if (r < 0)
                        cli_report_error(&err, r, "berth rollback");
                cli_reconcile_done(&a);
                return EXIT_FAILED;
        }
        if (to)
                r = repo_resolve(a.repo, to, target, &err);
        else {
                /* The deployed commit from the stack's labels; the stack's path from that commit. */
                LiveSet live = { 0 };
                StackList stacks = { 0 };
                const char *deployed = NULL;
                r = live_list(a.engine, stack, &live, &err);
                for (size_t i = 0; r >= 0 && i < live.n && !deployed; i++)
                        deployed = live.items[i].commit;
                if (r >= 0 && !deployed)
                        r = error_set(&err, -ENOENT, NULL, 0, 0, NULL,
                                      "stack \"%s\" is not deployed from a commit on this engine", stack);
                const StackDesc *d = NULL;
                if (r >= 0 && (r = repo_stacks(a.repo, deployed, &stacks, NULL, NULL, &err)) >= 0 &&
                    !(d = stack_list_find(&stacks, stack)))
                        r = error_set(&err, -ENOENT, NULL, 0, 0, NULL,
                                      "stack \"%s\" is not in its deployed commit", stack);
                if (r >= 0)
                        r = repo_previous_change(a.repo, deployed, *d->dir ? d->dir : d->file, target, &err);
                stack_list_done(&stacks);
                live_done(&live);
        }
        if (r < 0) {
                cli_report_error(&err, r, "berth rollback");
                cli_reconcile_done(&a);
                return EXIT_FAILED;
        }
        cli_reconcile_done(&a);
        /* Now a reconcile of that one stack to the target, downgrade allowed. */
        a = (ReconcileArgs){ 0 };
        r = cli_reconcile_args(n, rest, "rollback", rollback_help, &a);
        if (r != EXIT_DONE)
                return r;
        a.o.rev = target;
        a.o.only = stack;
        a.o.allow_downgrade = true;
        gethostname(host, sizeof(host) - 1);
        snprintf(holder, sizeof(holder), "%s pid %d (rollback)", host, (int)getpid());
        ReconcilePlan plan = { 0 };
        if ((r = cli_reconcile_prepare_locked(&a, &plan, holder)) != EXIT_DONE) {
                cli_reconcile_done(&a);
                return r;
        }
        printf("rolling back stack %s to %.12s\n", stack, target);
        ci_print_plan(stdout, ci_detect(&a.env), &plan);
        reconcile_apply(a.engine, a.repo, &plan, &a.o, &err);
        reconcile_unlock(a.engine, holder);
        ci_print_summary(stdout, &plan);
        bool ok = true;
        for (size_t i = 0; i < plan.n; i++)
                ok &= plan.stacks[i].verdict != VERDICT_INVALID &&
                      (!plan.stacks[i].applied || plan.stacks[i].ok);
        reconcile_plan_done(&plan);
        cli_reconcile_done(&a);
        return ok ? EXIT_DONE : EXIT_FAILED;
}
