/* status.c: stacks summed up from the labels of their containers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "status.h"
#include "../util/json.h"

static int add_service(StackStatus *s, const LiveContainer *lc, bool running)
{
        for (size_t i = 0; i < s->n_services; i++)
                if (strcmp(s->services[i].name, lc->service) == 0) {
                        s->services[i].containers++;
                        s->services[i].running += running;
                        return 0;
                }
        ServiceStatus *v = realloc(s->services, (s->n_services + 1) * sizeof(ServiceStatus));
        if (!v)
                return -ENOMEM;
        s->services = v;
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(lc->raw, "Labels");
        v[s->n_services++] = (ServiceStatus){
                .name = lc->service,
                .state = lc->state ? lc->state : "",
                .digest = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_IMAGE_DIGEST)),
                .containers = 1,
                .running = running
        };
        return 0;
}

int status_list_of(EngineClient *engine, LiveSet *live, StatusList *ret, BerthError *err)
{
        *ret = (StatusList){ .live = *live };
        *live = (LiveSet){ 0 };
        int r = live_records(engine, &ret->live, err);
        if (r < 0)
                return r;
        if (!(ret->items = calloc(ret->live.n ? ret->live.n : 1, sizeof(StackStatus))))
                return -ENOMEM;
        /* Stacks in the order their first container is listed. */
        for (size_t i = 0; i < ret->live.n; i++) {
                const LiveContainer *lc = &ret->live.items[i];
                const cJSON *labels = cJSON_GetObjectItemCaseSensitive(lc->raw, "Labels");
                const char *project = lc->project;
                if (!project || lc->oneoff)
                        continue;
                size_t k = 0;
                while (k < ret->n && strcmp(ret->items[k].name, project) != 0)
                        k++;
                if (k == ret->n)
                        ret->items[ret->n++] = (StackStatus){ .name = project,
                                                              .commit = lc->commit,
                                                              .repo = lc->repo,
                                                              .swarm = lc->swarm,
                                                              .newest = -1 };
                StackStatus *s = &ret->items[k];
                bool running = lc->state && strcmp(lc->state, "running") == 0;
                s->containers++;
                s->running += running;
                s->healthy += lc->status && strstr(lc->status, "(healthy)") != NULL;
                s->unhealthy += lc->status && strstr(lc->status, "(unhealthy)") != NULL;
                s->starting += lc->status && strstr(lc->status, "(health: starting)") != NULL;
                if (!lc->commit != !s->commit ||
                    (lc->commit && s->commit && strcmp(lc->commit, s->commit) != 0))
                        s->several_commits = true;
                double created = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lc->raw, "Created"));
                const char *expected =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_CONTAINERS));
                /* The newest container was made by the last deploy, which says how many it made. */
                if (created > s->newest) {
                        s->newest = created;
                        if (expected)
                                s->expected = (unsigned)strtoul(expected, NULL, 10);
                        if (lc->commit)
                                s->commit = lc->commit;
                }
                if (lc->service && add_service(s, lc, running) < 0)
                        return -ENOMEM;
        }
        /* A deploy that made no container (a scale-down) left a record of what it did instead. */
        for (size_t i = 0; i < ret->live.n_records; i++) {
                const LiveRecord *rec = &ret->live.records[i];
                for (size_t k = 0; k < ret->n; k++)
                        if (!ret->items[k].swarm && strcmp(ret->items[k].name, rec->project) == 0) {
                                ret->items[k].expected = rec->containers;
                                if (rec->commit)
                                        ret->items[k].commit = rec->commit;
                        }
        }
        return 0;
}

void status_list_done(StatusList *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].services);
        free(l->items);
        live_done(&l->live);
        *l = (StatusList){ 0 };
}

const StackStatus *status_find(const StatusList *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].name, name) == 0)
                        return &l->items[i];
        return NULL;
}

const char *stack_status_health(const StackStatus *s)
{
        return s->unhealthy ? "unhealthy" : s->starting ? "starting" : s->healthy ? "healthy" : "-";
}

bool stack_status_drift(const StackStatus *s, char *buf, size_t size)
{
        if (s->containers < s->expected)
                snprintf(buf, size, "%u missing", s->expected - s->containers);
        else if (s->running != s->containers)
                snprintf(buf, size, "not running");
        else {
                snprintf(buf, size, "-");
                return false;
        }
        return true;
}

cJSON *stack_status_json(const StackStatus *s, bool drifted)
{
        cJSON *o = cJSON_CreateObject(), *services = cJSON_CreateObject(), *digests = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "stack", s->name);
        /* The last deploy's commit, as the table shows it; containers that deploy left alone keep older
         * ones, which several_commits says. */
        cJSON_AddStringToObject(o, "commit", s->commit ? s->commit : "");
        cJSON_AddBoolToObject(o, "several_commits", s->several_commits);
        cJSON_AddStringToObject(o, "repo", s->repo ? s->repo : "");
        cJSON_AddStringToObject(o, "mode", s->swarm ? "swarm" : "compose");
        cJSON_AddNumberToObject(o, "containers", s->containers);
        cJSON_AddNumberToObject(o, "running", s->running);
        cJSON_AddStringToObject(o, "health", stack_status_health(s));
        cJSON_AddBoolToObject(o, "drift", drifted);
        for (size_t i = 0; i < s->n_services; i++) {
                cJSON_AddStringToObject(services, s->services[i].name, s->services[i].state);
                if (s->services[i].digest)
                        cJSON_AddStringToObject(digests, s->services[i].name, s->services[i].digest);
        }
        json_set(o, "services", services);
        json_set(o, "digests", digests);
        return o;
}
