/* live.c: the swarm services berth deployed, read back from their labels as units of a LiveSet. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live.h"
#include "spec.h"
#include "stack.h"
#include "../util/json.h"

#define get(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

/* Seconds since the epoch of an RFC 3339 time as the engine writes it ("2026-12-02T01:02:03.5Z"); 0
 * when it does not parse. */
static double rfc3339_seconds(const char *s)
{
        struct tm tm = { 0 };
        const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        if (!rest)
                return 0;
        double frac = 0;
        if (*rest == '.') {
                double scale = 0.1;
                for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
                        frac += (*rest - '0') * scale;
        }
        return (double)timegm(&tm) + frac;
}

int swarm_live_list(EngineClient *c, LiveSet *ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *list = NULL;
        int r;

        *ret = (LiveSet){ 0 };
        if ((r = swarm_engine_list(c, "/services?status=true", "{\"label\":[\"" LABEL_MANAGED "=true\"]}",
                                   "list services", &list, err)) < 0)
                return r;
        int n = cJSON_GetArraySize(list);
        if (!(ret->items = calloc(n ? (size_t)n : 1, sizeof(LiveContainer))))
                return -ENOMEM;
        for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
                const cJSON *labels = get(get(e, "Spec"), "Labels");
                const char *ns = cJSON_GetStringValue(get(labels, LABEL_STACK_NAMESPACE));
                const char *name = cJSON_GetStringValue(get(get(e, "Spec"), "Name"));
                size_t nl = ns ? strlen(ns) : 0;
                if (!ns || !name || strncmp(name, ns, nl) != 0 || name[nl] != '_')
                        continue; /* not a stack's service: nothing of berth's to plan */
                const cJSON *st = get(e, "ServiceStatus");
                double running = cJSON_GetNumberValue(get(st, "RunningTasks"));
                double desired = cJSON_GetNumberValue(get(st, "DesiredTasks"));
                /* A job has no tasks to keep running: it is "running" in the sense that nothing is
                 * missing. */
                bool job = get(get(get(e, "Spec"), "Mode"), "ReplicatedJob") ||
                           get(get(get(e, "Spec"), "Mode"), "GlobalJob");
                /* Counts the engine did not give (NaN) are no proof that anything runs. */
                bool counted = !isnan(running) && !isnan(desired);
                bool ok = job || (counted && running >= desired);
                if (isnan(running))
                        running = 0;
                if (isnan(desired))
                        desired = 0;
                char line[96];
                snprintf(line, sizeof(line), "%.0f/%.0f tasks running", running, desired);
                cJSON *raw = cJSON_CreateObject();
                if (!raw)
                        return -ENOMEM;
                json_set(raw, "Labels", cJSON_Duplicate(labels, true));
                cJSON_AddNumberToObject(raw, "Created",
                                        rfc3339_seconds(cJSON_GetStringValue(get(e, "UpdatedAt"))));
                LiveContainer *lc = &ret->items[ret->n++];
                *lc = (LiveContainer){
                        .id = dup_or_null(cJSON_GetStringValue(get(e, "ID"))),
                        .name = strdup(name),
                        .project = strdup(ns),
                        .service = strdup(name + nl + 1),
                        .hash = dup_or_null(cJSON_GetStringValue(get(labels, LABEL_CONTENT_HASH))),
                        .state = strdup(ok ? "running" : "degraded"),
                        .status = strdup(line),
                        .commit = dup_or_null(cJSON_GetStringValue(get(labels, LABEL_COMMIT))),
                        .repo = dup_or_null(cJSON_GetStringValue(get(labels, LABEL_REPO))),
                        .swarm = true,
                        .raw = raw,
                };
                if (!lc->id || !lc->name || !lc->project || !lc->service || !lc->state || !lc->status)
                        return -ENOMEM;
        }
        return 0;
}
