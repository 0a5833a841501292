/* drift.c: a service's live spec against the one berth would send. */
#include <stdio.h>
#include <string.h>

#include "drift.h"

/* What the engine may leave out when it stores a spec: Go drops empty values it was sent. */
static bool empty(const cJSON *v)
{
        if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
                return true;
        if (cJSON_IsNumber(v))
                return v->valuedouble == 0;
        if (cJSON_IsString(v))
                return !*v->valuestring;
        if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
                for (const cJSON *c = v->child; c; c = c->next)
                        if (!empty(c))
                                return false;
                return true;
        }
        return false;
}

/* Fields the engine sets on a spec itself, whatever it was sent. */
static bool engine_fills(const char *path)
{
        static const char *const filled[] = {
                "TaskTemplate.ForceUpdate",
                "TaskTemplate.Runtime",
                "TaskTemplate.ContainerSpec.Isolation",
        };
        for (size_t i = 0; i < sizeof(filled) / sizeof(filled[0]); i++)
                if (strcmp(path, filled[i]) == 0)
                        return true;
        return false;
}

static bool covers(const cJSON *want, const cJSON *live, const char *path, char *where, size_t size)
{
        if (!live) {
                if (empty(want))
                        return true;
                snprintf(where, size, "%s", path);
                return false;
        }
        if (cJSON_IsObject(want)) {
                if (!cJSON_IsObject(live)) {
                        snprintf(where, size, "%s", path);
                        return false;
                }
                for (const cJSON *k = want->child; k; k = k->next) {
                        char sub[512];
                        /* The service's labels carry the commit; the engine stores a network by ID. */
                        if ((!*path && strcmp(k->string, "Labels") == 0) ||
                            (strstr(path, "Networks[") && strcmp(k->string, "Target") == 0))
                                continue;
                        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k->string);
                        if (!covers(k, cJSON_GetObjectItemCaseSensitive(live, k->string), sub, where, size))
                                return false;
                }
                /* What the live spec has that berth did not send: added by hand, unless the engine
                 * fills it in itself. */
                for (const cJSON *k = live->child; k; k = k->next) {
                        char sub[512];
                        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k->string);
                        if (cJSON_GetObjectItemCaseSensitive(want, k->string) || empty(k) ||
                            engine_fills(sub) || (!*path && strcmp(k->string, "Labels") == 0))
                                continue;
                        snprintf(where, size, "%s", sub);
                        return false;
                }
                return true;
        }
        if (cJSON_IsArray(want)) {
                if (!cJSON_IsArray(live) || cJSON_GetArraySize(want) != cJSON_GetArraySize(live)) {
                        snprintf(where, size, "%s", path);
                        return false;
                }
                size_t i = 0;
                for (const cJSON *w = want->child, *l = live->child; w && l; w = w->next, l = l->next, i++) {
                        char sub[512];
                        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
                        if (!covers(w, l, sub, where, size))
                                return false;
                }
                return true;
        }
        if (cJSON_Compare(want, live, true) || (empty(want) && empty(live)))
                return true;
        snprintf(where, size, "%s", path);
        return false;
}

bool swarm_spec_covers(const cJSON *want, const cJSON *live, char *where, size_t size)
{
        if (size)
                *where = 0;
        return covers(want, live, "", where, size);
}
