/* cmd-reconcile.c: `berth reconcile`, the engine made to match the config repo's commit. */
#include <errno.h>
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
                "                       [--lock-timeout S] [--report FILE] [--target NAME] [-H HOST]\n\n"
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
                "      --target NAME          only this target of berth.yaml (default: every target)\n"
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

        a.progress = on_progress;
        /* Plan without the lock first: a run with nothing to change (the usual one) never waits for,
         * or makes, the lock. With changes, the lock is taken and the plan made again under it, since
         * another reconcile may have changed the engine in between. Targets go one after another. */
        r = cli_reconcile_open(&a);
        if (r != EXIT_DONE) {
                cli_reconcile_done(&a);
                return r;
        }
        for (size_t i = 0; i < a.n_runs; i++) {
                TargetRun *run = &a.runs[i];
                char id[80], title[96];
                snprintf(id, sizeof(id), "berth_plan%s%s", run->target ? "_" : "",
                         run->target ? run->target->name : "");
                if (cli_reconcile_plan_run(&a, run, NULL) != EXIT_DONE)
                        continue;
                bool locked = !a.dry_run && reconcile_changes(&run->plan) > 0;
                if (locked && cli_reconcile_plan_run(&a, run, holder) != EXIT_DONE)
                        continue;
                snprintf(title, sizeof(title), "berth: plan%s%s", run->target ? ", target " : "",
                         run->target ? run->target->name : "");
                ci_section_start(stdout, ci, id, title);
                ci_print_plan(stdout, ci, &run->plan);
                ci_section_end(stdout, ci, id);
                if (!locked)
                        continue;
                BerthError err = { 0 };
                snprintf(id, sizeof(id), "berth_apply%s%s", run->target ? "_" : "",
                         run->target ? run->target->name : "");
                snprintf(title, sizeof(title), "berth: apply%s%s", run->target ? ", target " : "",
                         run->target ? run->target->name : "");
                ci_section_start(stdout, ci, id, title);
                reconcile_apply(run->engine, a.repo, &run->plan, &a.o, &err);
                ci_section_end(stdout, ci, id);
                cli_reconcile_unlock(run, holder);
        }
        size_t n = 0;
        const ReconcilePlan *const *plans = cli_reconcile_plans(&a, &n);
        if (!plans) {
                cli_reconcile_done(&a);
                return cli_report_error(NULL, -ENOMEM, "berth reconcile");
        }
        ci_print_summary(stdout, plans, n);
        for (size_t p = 0; p < n; p++)
                for (size_t i = 0; i < plans[p]->n; i++) {
                        const StackPlan *s = &plans[p]->stacks[i];
                        char line[1200];
                        if (!s->applied || s->ok)
                                continue;
                        fprintf(stderr, "stack %s%s%s %s: %s\n", s->name, plans[p]->target ? " on " : "",
                                plans[p]->target ? plans[p]->target : "",
                                s->rolled_back ? "failed and was rolled back" : "failed",
                                error_format(&s->error, line, sizeof(line)));
                        if (s->error.hint[0])
                                fprintf(stderr, "hint: %s\n", s->error.hint);
                }
        if (a.report) {
                _cleanup_cjson_ cJSON *doc = reconcile_report_json(plans, n);
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
                ci_step_summary(summary, plans, n);
        bool bad = cli_reconcile_failed(&a);
        cli_reconcile_done(&a);
        return bad ? EXIT_FAILED : r;
}
