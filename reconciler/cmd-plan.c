/* cmd-plan.c: `berth plan`, what a reconcile would do on this engine and why, changing nothing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/ci.h"
#include "yaml/emit.h"

static void plan_help(FILE *f)
{
        fprintf(f,
                "usage: berth plan [--repo DIR] [--rev REV] [--all] [--allow-downgrade] [--format "
                "text|json]\n"
                "                  [--detailed-exitcode] [--target NAME] [-H HOST]\n\n"
                "Prints, per stack and per container, what `berth reconcile` would do and why.\n\n"
                "      --repo DIR             the config repo (default: .)\n"
                "      --rev REV              the commit to reconcile to (default: HEAD)\n"
                "      --all                  check every stack against live state (drift)\n"
                "      --allow-downgrade      plan for a commit older than the deployed one\n"
                "      --format text|json     output format (default text)\n"
                "      --detailed-exitcode    exit 0 when there is nothing to do, 2 when there are changes\n"
                "      --target NAME          only this target of berth.yaml\n"
                "  -H, --host HOST            engine (default: DOCKER_HOST)\n\n"
                "exit codes: 0 done (or nothing to do), 1 failed, 2 changes pending (--detailed-exitcode),\n"
                "64 usage error\n");
}

int cmd_plan(int argc, char **argv)
{
        ReconcileArgs a = { 0 };
        int r = cli_reconcile_args(argc, argv, "plan", plan_help, &a);
        if (r != EXIT_DONE)
                return r == CLI_HELP_SHOWN ? EXIT_DONE : r;
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
        if (a.json) {
                _cleanup_cjson_ cJSON *doc = reconcile_report_json(plans, n);
                _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
                emit_json(doc, 0, &out);
                fwrite(strbuf_str(&out), 1, out.len, stdout);
        } else
                for (size_t i = 0; i < n; i++)
                        ci_print_plan(stdout, ci_detect(&a.env), plans[i]);
        bool bad = cli_reconcile_failed(&a);
        cli_reconcile_done(&a);
        if (bad)
                return EXIT_FAILED;
        return a.detailed_exitcode && changes ? EXIT_PENDING : EXIT_DONE;
}
