/* cmd-reconcile.c: `berth reconcile`, the engine made to match the config repo's commit. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report/ci.h"
#include "report/emit.h"

static void reconcile_help(FILE *f)
{
        fprintf(f,
                "usage: berth reconcile [--repo DIR] [--rev REV] [--all] [--dry-run] [--allow-downgrade]\n"
                "                       [--lock-timeout S] [--report FILE] [-H HOST]\n\n"
                "Deploys new stacks, updates changed ones minimally, removes the ones deleted from git "
                "(prune),\n"
                "each health-gated: a stack that does not come up healthy is put back as it was at its\n"
                "previous commit and reported as failed and rolled back.\n\n"
                "      --repo DIR             the config repo (default: .)\n"
                "      --rev REV              the commit to reconcile to (default: HEAD)\n"
                "      --all                  check every stack against live state and repair drift\n"
                "      --dry-run              print the plan only (with --all: report drift)\n"
                "      --allow-downgrade      deploy a commit older than the deployed one (a rollback)\n"
                "      --lock-timeout S       wait this long for another reconcile's lock (default 300)\n"
                "      --report FILE          write the JSON report there (a CI artifact)\n"
                "  -H, --host HOST            engine (default: DOCKER_HOST)\n\n"
                "exit codes: 0 done, 1 a stack failed, was invalid or was refused, 64 usage error\n");
}

static void on_progress(void *ud, const char *stack, const Action *a, const char *phase, const char *error)
{
        if (strcmp(phase, "begin") == 0)
                return;
        if (error)
                fprintf(stdout, "  %s: %-9s %s: %s\n", stack, action_kind_name(a->kind), a->container_name,
                        error);
        else
                fprintf(stdout, "  %s: %-9s %s: done\n", stack, action_kind_name(a->kind),
                        a->container_name);
        fflush(stdout);
}

int cmd_reconcile(int argc, char **argv)
{
        ReconcileArgs a = { 0 };
        int r = cli_reconcile_args(argc, argv, "reconcile", reconcile_help, &a);
        if (r != EXIT_DONE)
                return r;
        CiKind ci = ci_detect(&a.env);
        char holder[256];
        const char *job = envmap_get(&a.env, "CI_JOB_ID") ? envmap_get(&a.env, "CI_JOB_ID")
                                                          : envmap_get(&a.env, "GITHUB_RUN_ID");
        char host[128] = "";
        gethostname(host, sizeof(host) - 1);
        snprintf(holder, sizeof(holder), "%s pid %d%s%s", host, (int)getpid(), job ? " job " : "",
                 job ? job : "");

        ReconcilePlan plan = { 0 };
        a.progress = on_progress;
        /* Plan without the lock first: a run with nothing to change (the usual one) never waits for,
         * or makes, the lock. With changes, the lock is taken and the plan made again under it, since
         * another reconcile may have changed the engine in between. */
        r = cli_reconcile_prepare(&a, &plan);
        if (r != EXIT_DONE) {
                cli_reconcile_done(&a);
                return r;
        }
        bool locked = false;
        if (!a.dry_run && reconcile_changes(&plan) > 0) {
                BerthError err = { 0 };
                reconcile_plan_done(&plan);
                if ((r = reconcile_lock(a.engine, holder, a.lock_timeout_s, 1800, &err)) < 0) {
                        cli_reconcile_done(&a);
                        return cli_report_error(&err, r, "berth reconcile");
                }
                locked = true;
                if ((r = reconcile_plan(a.engine, a.repo, &a.o, &plan, &err)) < 0) {
                        reconcile_unlock(a.engine, holder);
                        cli_reconcile_done(&a);
                        return cli_report_error(&err, r, "berth reconcile");
                }
        }
        ci_section_start(stdout, ci, "berth_plan", "berth: plan");
        ci_print_plan(stdout, ci, &plan);
        ci_section_end(stdout, ci, "berth_plan");
        if (locked) {
                BerthError err = { 0 };
                ci_section_start(stdout, ci, "berth_apply", "berth: apply");
                reconcile_apply(a.engine, a.repo, &plan, &a.o, &err);
                ci_section_end(stdout, ci, "berth_apply");
                reconcile_unlock(a.engine, holder);
        }
        ci_print_summary(stdout, &plan);
        for (size_t i = 0; i < plan.n; i++)
                if (plan.stacks[i].applied && !plan.stacks[i].ok) {
                        char line[1200];
                        fprintf(stderr, "stack %s %s: %s\n", plan.stacks[i].name,
                                plan.stacks[i].rolled_back ? "failed and was rolled back" : "failed",
                                error_format(&plan.stacks[i].error, line, sizeof(line)));
                        if (plan.stacks[i].error.hint[0])
                                fprintf(stderr, "hint: %s\n", plan.stacks[i].error.hint);
                }
        if (a.report) {
                _cleanup_cjson_ cJSON *doc = reconcile_report_json(&plan);
                _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
                FILE *f = fopen(a.report, "we");
                emit_json(doc, 0, &out);
                if (!f || fwrite(strbuf_str(&out), 1, out.len, f) != out.len) {
                        fprintf(stderr, "berth reconcile: cannot write the report to \"%s\"\n", a.report);
                        r = EXIT_FAILED;
                }
                if (f)
                        fclose(f);
        }
        const char *summary = envmap_get(&a.env, "GITHUB_STEP_SUMMARY");
        if (ci == CI_GITHUB && summary && *summary)
                ci_step_summary(summary, &plan);
        bool bad = false;
        for (size_t i = 0; i < plan.n; i++)
                bad |= plan.stacks[i].verdict == VERDICT_INVALID ||
                       plan.stacks[i].verdict == VERDICT_REFUSED ||
                       (plan.stacks[i].applied && !plan.stacks[i].ok);
        reconcile_plan_done(&plan);
        cli_reconcile_done(&a);
        return bad ? EXIT_FAILED : r;
}
