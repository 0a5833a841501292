/* ci.c: reconcile output for terminals, GitLab and GitHub. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ci.h"

CiKind ci_detect(const EnvMap *env)
{
        const char *gl = envmap_get(env, "GITLAB_CI"), *gh = envmap_get(env, "GITHUB_ACTIONS");
        if (gl && strcmp(gl, "true") == 0)
                return CI_GITLAB;
        if (gh && strcmp(gh, "true") == 0)
                return CI_GITHUB;
        return CI_NONE;
}

void ci_section_start(FILE *f, CiKind ci, const char *id, const char *title, bool collapsed)
{
        if (ci == CI_GITLAB)
                fprintf(f, "\033[0Ksection_start:%lld:%s[collapsed=%s]\r\033[0K%s\n", (long long)time(NULL),
                        id, collapsed ? "true" : "false", title);
        else if (ci == CI_GITHUB)
                fprintf(f, "::group::%s\n", title);
        else
                fprintf(f, "%s\n", title);
}

void ci_section_end(FILE *f, CiKind ci, const char *id)
{
        if (ci == CI_GITLAB)
                fprintf(f, "\033[0Ksection_end:%lld:%s\r\033[0K\n", (long long)time(NULL), id);
        else if (ci == CI_GITHUB)
                fprintf(f, "::endgroup::\n");
}

void ci_print_plan(FILE *f, CiKind ci, const ReconcilePlan *plan)
{
        char line[1200];
        fprintf(f, "repo %s at %.12s%s%s: %zu of %zu stacks to change\n", plan->repo_identity, plan->head,
                plan->target ? ", target " : "", plan->target ? plan->target : "", reconcile_changes(plan),
                plan->n);
        for (size_t i = 0; i < plan->n; i++) {
                const StackPlan *s = &plan->stacks[i];
                fprintf(f, "stack %-20s %-8s %s\n", s->name, stack_verdict_name(s->verdict), s->reason);
                if (s->error.set) {
                        fprintf(f, "  %s\n", error_format(&s->error, line, sizeof(line)));
                        if (s->error.hint[0])
                                fprintf(f, "  hint: %s\n", s->error.hint);
                }
                for (size_t k = 0; k < s->result.plan.n; k++) {
                        const Action *a = &s->result.plan.actions[k];
                        if (a->kind != ACTION_NOOP)
                                fprintf(f, "  %-9s %-28s %s\n", action_kind_name(a->kind), a->container_name,
                                        a->reason);
                }
        }
        (void)ci;
}

void ci_print_summary(FILE *f, const ReconcilePlan *const *plans, size_t n)
{
        bool targets = n > 1 || (n == 1 && plans[0]->target);
        fprintf(f, "\n%-22s %-*s%-8s %-22s %s\n", "STACK", targets ? 16 : 0, targets ? "TARGET" : "",
                "ACTION", "RESULT", "DURATION");
        for (size_t p = 0; p < n; p++)
                for (size_t i = 0; i < plans[p]->n; i++) {
                        const StackPlan *s = &plans[p]->stacks[i];
                        char dur[32] = "-";
                        if (s->applied)
                                snprintf(dur, sizeof(dur), "%.1fs", s->seconds);
                        fprintf(f, "%-22s %-*s%-8s %-22s %s\n", s->name, targets ? 16 : 0,
                                targets ? plans[p]->target : "", stack_verdict_name(s->verdict),
                                stack_result_name(s), dur);
                }
}

int ci_step_summary(const char *path, const ReconcilePlan *const *plans, size_t n)
{
        FILE *f = fopen(path, "ae");
        if (!f)
                return -errno;
        fprintf(f,
                "### berth reconcile at `%.12s`\n\n| stack | target | action | result | duration | why "
                "|\n|---|---|---|---|---|---|\n",
                n ? plans[0]->head : "");
        for (size_t p = 0; p < n; p++)
                for (size_t i = 0; i < plans[p]->n; i++) {
                        const StackPlan *s = &plans[p]->stacks[i];
                        char dur[32] = "";
                        if (s->applied)
                                snprintf(dur, sizeof(dur), "%.1fs", s->seconds);
                        fprintf(f, "| %s | %s | %s | %s | %s | %s |\n", s->name,
                                plans[p]->target ? plans[p]->target : "", stack_verdict_name(s->verdict),
                                stack_result_name(s), dur, s->reason);
                }
        return fclose(f) == 0 ? 0 : -EIO;
}

void ci_print_failures(FILE *f, const ReconcilePlan *const *plans, size_t n)
{
        for (size_t p = 0; p < n; p++)
                for (size_t i = 0; i < plans[p]->n; i++) {
                        const StackPlan *s = &plans[p]->stacks[i];
                        char line[1200];
                        if (!s->applied || s->ok)
                                continue;
                        fprintf(f, "stack %s%s%s %s: %s\n", s->name, plans[p]->target ? " on " : "",
                                plans[p]->target ? plans[p]->target : "",
                                s->rolled_back ? "failed and was rolled back" : "failed",
                                error_format(&s->error, line, sizeof(line)));
                        if (s->error.hint[0])
                                fprintf(f, "hint: %s\n", s->error.hint);
                }
}
