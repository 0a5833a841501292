/* report.c: a plan and its outcome in words and as the JSON report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

const char *stack_verdict_name(StackVerdict v)
{
        static const char *const names[] = { "skip", "deploy", "update", "remove", "refused", "invalid" };
        return v <= VERDICT_INVALID ? names[v] : "?";
}

const char *stack_result_name(const StackPlan *s)
{
        if (s->verdict == VERDICT_INVALID)
                return "invalid";
        if (s->verdict == VERDICT_REFUSED)
                return "refused";
        if (!s->applied)
                return s->verdict == VERDICT_SKIP ? "unchanged" : "planned";
        return s->ok ? "ok" : s->rolled_back ? "FAILED, rolled back" : "FAILED";
}

bool stack_plan_changes(const StackPlan *s)
{
        return s->verdict == VERDICT_DEPLOY || s->verdict == VERDICT_UPDATE || s->verdict == VERDICT_REMOVE;
}

size_t reconcile_changes(const ReconcilePlan *plan)
{
        size_t n = 0;
        for (size_t i = 0; i < plan->n; i++)
                n += stack_plan_changes(&plan->stacks[i]);
        return n;
}

cJSON *reconcile_report_json(const ReconcilePlan *const *plans, size_t n)
{
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "commit", n ? plans[0]->head : "");
        cJSON_AddStringToObject(doc, "repo", n && plans[0]->repo_identity ? plans[0]->repo_identity : "");
        cJSON *stacks = cJSON_AddArrayToObject(doc, "stacks");
        for (size_t p = 0; p < n; p++)
                for (size_t i = 0; i < plans[p]->n; i++) {
                        const StackPlan *s = &plans[p]->stacks[i];
                        cJSON *o = cJSON_CreateObject();
                        char line[1200];
                        cJSON_AddStringToObject(o, "stack", s->name);
                        if (plans[p]->target)
                                cJSON_AddStringToObject(o, "target", plans[p]->target);
                        cJSON_AddStringToObject(o, "action", stack_verdict_name(s->verdict));
                        cJSON_AddStringToObject(o, "reason", s->reason);
                        if (s->deployed[0])
                                cJSON_AddStringToObject(o, "deployed_commit", s->deployed);
                        if (s->n_after) {
                                cJSON *after = cJSON_AddArrayToObject(o, "after");
                                for (size_t k = 0; k < s->n_after; k++)
                                        cJSON_AddItemToArray(
                                                after,
                                                cJSON_CreateString(plans[p]->stacks[s->after[k]].name));
                        }
                        if (s->error.set)
                                cJSON_AddStringToObject(o, "error",
                                                        error_format(&s->error, line, sizeof(line)));
                        if (s->rollback_error.set)
                                cJSON_AddStringToObject(
                                        o, "rollback_error",
                                        error_format(&s->rollback_error, line, sizeof(line)));
                        cJSON_AddStringToObject(o, "result", stack_result_name(s));
                        if (s->applied)
                                cJSON_AddNumberToObject(o, "seconds", s->seconds);
                        cJSON *svc = cJSON_AddArrayToObject(o, "services");
                        for (size_t k = 0; k < s->result.plan.n; k++) {
                                const Action *a = &s->result.plan.actions[k];
                                cJSON *x = cJSON_CreateObject();
                                cJSON_AddStringToObject(x, "service", a->service);
                                cJSON_AddStringToObject(x, "container", a->container_name);
                                cJSON_AddStringToObject(x, "action", action_kind_name(a->kind));
                                cJSON_AddStringToObject(x, "reason", a->reason);
                                cJSON_AddItemToArray(svc, x);
                        }
                        cJSON_AddItemToArray(stacks, o);
                }
        return doc;
}
