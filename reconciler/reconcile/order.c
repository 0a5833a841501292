/* order.c: the edges between a plan's stacks, and the circles among them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"

static bool creates(const StackPlan *s)
{
        return s->project && (s->verdict == VERDICT_DEPLOY || s->verdict == VERDICT_UPDATE);
}

cJSON *order_provided(const ReconcilePlan *plan)
{
        static const char *const kinds[] = { "networks", "volumes" };
        cJSON *doc = cJSON_CreateObject();
        if (!doc)
                return NULL;
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                cJSON *set = cJSON_AddObjectToObject(doc, kinds[k]);
                if (!set)
                        return cJSON_Delete(doc), NULL;
                for (size_t i = 0; i < plan->n; i++) {
                        const StackPlan *s = &plan->stacks[i];
                        cJSON *decls =
                                creates(s) ? cJSON_GetObjectItemCaseSensitive(s->project->model, kinds[k])
                                           : NULL;
                        for (cJSON *d = decls ? decls->child : NULL; d; d = d->next) {
                                const char *name =
                                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "name"));
                                if (!name || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "external")) ||
                                    cJSON_HasObjectItem(set, name))
                                        continue;
                                if (!cJSON_AddStringToObject(set, name, s->name))
                                        return cJSON_Delete(doc), NULL;
                        }
                }
        }
        return doc;
}

static ssize_t index_of(const ReconcilePlan *plan, const char *name)
{
        for (size_t i = 0; i < plan->n; i++)
                if (strcmp(plan->stacks[i].name, name) == 0)
                        return (ssize_t)i;
        return -1;
}

static int add_edge(ReconcilePlan *plan, size_t from, size_t to, const char *why)
{
        StackPlan *s = &plan->stacks[from];
        for (size_t i = 0; i < s->n_after; i++)
                if (s->after[i] == to)
                        return 0;
        size_t *v = realloc(s->after, (s->n_after + 1) * sizeof(size_t));
        if (!v)
                return -ENOMEM;
        s->after = v;
        s->after[s->n_after++] = to;
        size_t n = strlen(s->reason);
        snprintf(s->reason + n, sizeof(s->reason) - n, "; after stack %s (%s)", plan->stacks[to].name, why);
        return 0;
}

static int external_edges(ReconcilePlan *plan, size_t i, const cJSON *provided)
{
        static const char *const kinds[][2] = { { "networks", "network" }, { "volumes", "volume" } };
        const StackPlan *s = &plan->stacks[i];
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                cJSON *decls = cJSON_GetObjectItemCaseSensitive(s->project->model, kinds[k][0]);
                cJSON *set = cJSON_GetObjectItemCaseSensitive(provided, kinds[k][0]);
                for (cJSON *d = decls ? decls->child : NULL; d; d = d->next) {
                        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "name"));
                        const char *owner =
                                name ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(set, name))
                                     : NULL;
                        ssize_t to = owner ? index_of(plan, owner) : -1;
                        char why[300];
                        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "external")) || to < 0 ||
                            (size_t)to == i)
                                continue;
                        snprintf(why, sizeof(why), "it creates %s \"%s\"", kinds[k][1], name);
                        int r = add_edge(plan, i, (size_t)to, why);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Kahn's walk: what is never freed of its waits sits on a circle, or waits for one. */
static int find_circles(ReconcilePlan *plan)
{
        size_t n = plan->n, left = 0;
        bool *done = calloc(n ? n : 1, sizeof(bool));
        if (!done)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                done[i] = plan->stacks[i].n_after == 0;
        for (bool moved = true; moved;) {
                moved = false;
                for (size_t i = 0; i < n; i++) {
                        bool ready = !done[i];
                        for (size_t k = 0; k < plan->stacks[i].n_after && ready; k++)
                                ready = done[plan->stacks[i].after[k]];
                        if (ready)
                                done[i] = moved = true;
                }
        }
        char names[512] = "";
        for (size_t i = 0; i < n; i++)
                if (!done[i]) {
                        size_t len = strlen(names);
                        snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "",
                                 plan->stacks[i].name);
                        left++;
                }
        for (size_t i = 0; i < n && left; i++) {
                StackPlan *s = &plan->stacks[i];
                if (done[i])
                        continue;
                s->verdict = VERDICT_INVALID;
                error_set(
                        &s->error, -ELOOP, NULL, 0, 0, NULL,
                        "stacks %s wait for each other (depends_on_stacks, or external networks and volumes "
                        "they create): nothing of them is applied",
                        names);
        }
        free(done);
        return 0;
}

int order_stacks(ReconcilePlan *plan, const cJSON *provided)
{
        int r = 0;
        for (size_t i = 0; i < plan->n && r >= 0; i++) {
                StackPlan *s = &plan->stacks[i];
                if (!stack_plan_changes(s) || s->verdict == VERDICT_REMOVE)
                        continue;
                if (s->project && (r = external_edges(plan, i, provided)) < 0)
                        break;
                for (char **need = s->needs; need && *need && r >= 0; need++) {
                        ssize_t to = index_of(plan, *need);
                        if (to >= 0 && (size_t)to != i && stack_plan_changes(&plan->stacks[to]))
                                r = add_edge(plan, i, (size_t)to, "depends_on_stacks");
                }
        }
        return r < 0 ? r : find_circles(plan);
}
