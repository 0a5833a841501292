/* cmd-plan.c: `berth plan`, what a reconcile would do on this engine and why, changing nothing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/ci.h"
#include "report/json.h"

static const CliCommand plan_cmd = {
        .name = "plan",
        .about = "Prints, per stack and per container, what `berth reconcile` would do and why.",
        .exits = "0 done (or nothing to do), 1 failed, 2 changes pending (--detailed-exitcode),\n64 usage "
                 "error",
};

int cmd_plan(int argc, char **argv)
{
        ReconcileArgs a = { 0 };
        const CliOption opts[] = {
                CLI_REPO_OPTIONS(&a),
                CLI_PLAN_OPTIONS(&a),
                CLI_CHOICE(0, "format", "text|json", &a.format, "output format (default text)"),
                CLI_FLAG(0, "detailed-exitcode", &a.detailed_exitcode,
                         "exit 0 when there is nothing to do, 2 when there are changes"),
                CLI_END,
        };
        int first, r;
        if (!cli_reconcile_args(&plan_cmd, opts, argc, argv, &a, &first, &r))
                return r;
        r = cli_reconcile_prepare(&a);
        if (r != EXIT_DONE) {
                cli_reconcile_done(&a);
                return r;
        }
        size_t n = 0, changes = 0;
        const ReconcilePlan *const *plans = cli_reconcile_plans(&a, &n);
        if (!plans) {
                cli_reconcile_done(&a);
                return cli_report_error(NULL, -ENOMEM, "berth plan");
        }
        for (size_t i = 0; i < n; i++)
                changes += reconcile_changes(plans[i]);
        if (a.json)
                report_json_print(stdout, plans, n);
        else
                for (size_t i = 0; i < n; i++)
                        ci_print_plan(stdout, ci_detect(&a.env), plans[i]);
        bool bad = cli_reconcile_failed(&a);
        cli_reconcile_done(&a);
        if (bad)
                return EXIT_FAILED;
        return a.detailed_exitcode && changes ? EXIT_PENDING : EXIT_DONE;
}
