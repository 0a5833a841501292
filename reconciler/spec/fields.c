/* fields.c: model fields to Engine API JSON, shared by containers and swarm services. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/units.h"
#include "fields.h"
#include "../util/json.h"

int spec_string_list(cJSON *to, const char *key, const cJSON *from)
{
        if (!cJSON_IsArray(from))
                return 0;
        cJSON *a = cJSON_AddArrayToObject(to, key);
        if (!a)
                return -ENOMEM;
        for (cJSON *it = from->child; it; it = it->next) {
                _cleanup_free_ char *s =
                        cJSON_IsString(it) ? strdup(it->valuestring) : cJSON_PrintUnformatted(it);
                if (!s || !json_append(a, cJSON_CreateString(s)))
                        return -ENOMEM;
        }
        return 0;
}

int spec_duration(cJSON *to, const char *key, const cJSON *from, const char *path, BerthError *err)
{
        int64_t ns;
        if (!cJSON_IsString(from))
                return 0;
        if (units_parse_duration(from->valuestring, &ns) < 0)
                return error_set(err, -EINVAL, NULL, 0, 0, path, "invalid duration \"%s\"",
                                 from->valuestring);
        return cJSON_AddNumberToObject(to, key, (double)ns) ? 0 : -ENOMEM;
}

int spec_bytes(const cJSON *v, const char *path, int64_t *ret, BerthError *err)
{
        if (cJSON_IsNumber(v)) {
                *ret = (int64_t)v->valuedouble;
                return 0;
        }
        if (cJSON_IsString(v) && units_parse_bytes(v->valuestring, ret) == 0)
                return 0;
        return error_set(err, -EINVAL, NULL, 0, 0, path, "invalid byte size");
}

void spec_copy_strings(cJSON *to, const cJSON *svc, const char *const map[][2], size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, map[i][0]));
                if (v)
                        cJSON_AddStringToObject(to, map[i][1], v);
        }
}

int spec_healthcheck(cJSON *body, const cJSON *hc, const char *svcpath, BerthError *err)
{
        char path[300];
        int r;
        if (!hc)
                return 0;
        cJSON *h = cJSON_AddObjectToObject(body, "Healthcheck");
        if (!h)
                return -ENOMEM;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "disable"))) {
                cJSON *t = cJSON_AddArrayToObject(h, "Test");
                json_append(t, cJSON_CreateString("NONE"));
                return 0;
        }
        if ((r = spec_string_list(h, "Test", cJSON_GetObjectItemCaseSensitive(hc, "test"))) < 0)
                return r;
        static const char *const durs[][2] = { { "interval", "Interval" },
                                               { "timeout", "Timeout" },
                                               { "start_period", "StartPeriod" },
                                               { "start_interval", "StartInterval" } };
        for (size_t i = 0; i < ELEMENTSOF(durs); i++) {
                snprintf(path, sizeof(path), "%s.healthcheck.%s", svcpath, durs[i][0]);
                if ((r = spec_duration(h, durs[i][1], cJSON_GetObjectItemCaseSensitive(hc, durs[i][0]), path,
                                       err)) < 0)
                        return r;
        }
        cJSON *retries = cJSON_GetObjectItemCaseSensitive(hc, "retries");
        if (cJSON_IsNumber(retries))
                cJSON_AddNumberToObject(h, "Retries", retries->valuedouble);
        return 0;
}

int spec_append(cJSON *array, const StrBuf *sb)
{
        if (!array || strbuf_error(sb) < 0)
                return -ENOMEM;
        cJSON *item = cJSON_CreateString(strbuf_str(sb));
        if (!item || !cJSON_AddItemToArray(array, item)) {
                cJSON_Delete(item);
                return -ENOMEM;
        }
        return 0;
}
