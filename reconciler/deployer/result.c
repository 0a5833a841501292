/* result.c: plans and reports, owned and named. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "result.h"

const char *action_kind_name(ActionKind k)
{
        static const char *const names[] = { "noop",    "create", "recreate", "start",
                                             "restart", "remove", "orphan",   "update" };
        return k < ELEMENTSOF(names) ? names[k] : "?";
}

void plan_done(Plan *plan)
{
        for (size_t i = 0; i < plan->n; i++) {
                free(plan->actions[i].service);
                free(plan->actions[i].container_id);
                free(plan->actions[i].container_name);
        }
        free(plan->actions);
        *plan = (Plan){ 0 };
}

size_t plan_changes(const Plan *plan)
{
        size_t n = 0;
        for (size_t i = 0; i < plan->n; i++)
                n += plan->actions[i].kind != ACTION_NOOP && plan->actions[i].kind != ACTION_ORPHAN;
        return n;
}

const char *service_result_name(ServiceResult r)
{
        static const char *const names[] = { "unchanged", "changed", "failed", "skipped" };
        return r <= RESULT_SKIPPED ? names[r] : "?";
}

int apply_report_add(ApplyReport *r, const char *service, ServiceResult result, const char *msg)
{
        ServiceReport *v = realloc(r->services, (r->n + 1) * sizeof(ServiceReport));
        if (!v)
                return -ENOMEM;
        r->services = v;
        v[r->n] = (ServiceReport){ .service = strdup(service), .result = result };
        snprintf(v[r->n].message, sizeof(v[r->n].message), "%s", msg ? msg : "");
        if (!v[r->n].service)
                return -ENOMEM;
        r->n++;
        r->failed += result == RESULT_FAILED;
        return 0;
}

void apply_report_done(ApplyReport *r)
{
        for (size_t i = 0; i < r->n; i++)
                free(r->services[i].service);
        free(r->services);
        *r = (ApplyReport){ 0 };
}

void stack_result_done(StackResult *r)
{
        plan_done(&r->plan);
        apply_report_done(&r->report);
        for (size_t i = 0; i < r->n_hashes; i++) {
                free((char *)r->hashes[i].hash);
                free((char *)r->hashes[i].image);
                free((char *)r->hashes[i].digest);
        }
        free(r->hashes);
        *r = (StackResult){ 0 };
}
