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
