/* access.c: berth-api's access log, one JSON object per line. */
#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "access.h"
#include "util/json.h"

static cJSON *entry_new(const char *event, const char *client, const char *method, const char *path)
{
        char when[40];
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof(when) - n, ".%03ldZ", ts.tv_nsec / 1000000);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "time", when) || !cJSON_AddStringToObject(o, "event", event) ||
            !cJSON_AddStringToObject(o, "client", client ? client : "") ||
            !cJSON_AddStringToObject(o, "method", method ? method : "") ||
            !cJSON_AddStringToObject(o, "path", path ? path : "")) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

static void entry_write(FILE *f, cJSON *o)
{
        char *text = json_print(o, false);
        if (text)
                fprintf(f, "%s\n", text);
        free(text);
        cJSON_Delete(o);
}

void access_log_request(FILE *f, const AccessEntry *e)
{
        cJSON *o = entry_new("request", e->client, e->method, e->path);
        if (o && e->token && !cJSON_AddStringToObject(o, "token", e->token))
                goto oom;
        if (o && !cJSON_AddNumberToObject(o, "status", e->status))
                goto oom;
        if (o && !cJSON_AddNumberToObject(o, "duration_ms", (double)(long long)(e->seconds * 1e5) / 100.0))
                goto oom;
        if (o && e->note && !cJSON_AddStringToObject(o, "note", e->note))
                goto oom;
        entry_write(f, o);
        return;
oom:
        cJSON_Delete(o);
}

void access_log_auth_refused(FILE *f, const char *client, const char *method, const char *path,
                             const char *reason)
{
        cJSON *o = entry_new("auth_refused", client, method, path);
        if (o && !cJSON_AddStringToObject(o, "reason", reason)) {
                cJSON_Delete(o);
                return;
        }
        entry_write(f, o);
}
