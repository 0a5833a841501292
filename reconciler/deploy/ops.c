/* ops.c: container operations on the engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../registry/digest.h"
#include "ops.h"

static int call(EngineClient *c, const char *method, const char *path, const cJSON *body, const char *what,
                long timeout_s, long *status, BerthError *err)
{
        return engine_call(c, method, path, body, what, timeout_s, status, NULL, err);
}

int ops_create(EngineClient *c, const ContainerSpec *spec, char **ret_id, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, what = STRBUF_INIT;
        _cleanup_cjson_ cJSON *reply = NULL;
        int r;

        strbuf_addstr(&path, "/containers/create?name=");
        engine_escape(spec->name, &path);
        if (spec->platform) {
                strbuf_addstr(&path, "&platform=");
                engine_escape(spec->platform, &path);
        }
        strbuf_addf(&what, "create container \"%s\"", spec->name);
        r = engine_call(c, "POST", path.buf, spec->body, what.buf, 0, NULL, &reply, err);
        if (r < 0)
                return r;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "Id"));
        if (!id)
                return error_set(err, -EPROTO, NULL, 0, 0, NULL, "%s: the engine returned no id", what.buf);
        _cleanup_free_ char *cid = strdup(id);
        if (!cid)
                return -ENOMEM;
        for (cJSON *n = spec->networks ? spec->networks->child : NULL; n; n = n->next) {
                const char *net = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "Name"));
                _cleanup_cjson_ cJSON *body = cJSON_CreateObject();
                _cleanup_strbuf_ StrBuf p2 = STRBUF_INIT, w2 = STRBUF_INIT;
                if (!body)
                        return -ENOMEM;
                cJSON_AddStringToObject(body, "Container", cid);
                cJSON_AddItemToObject(
                        body, "EndpointConfig",
                        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(n, "EndpointConfig"), 1));
                strbuf_addstr(&p2, "/networks/");
                engine_escape(net, &p2);
                strbuf_addstr(&p2, "/connect");
                strbuf_addf(&w2, "connect container \"%s\" to network \"%s\"", spec->name, net);
                if ((r = call(c, "POST", p2.buf, body, w2.buf, 0, NULL, err)) < 0)
                        return r;
        }
        *ret_id = TAKE_PTR(cid);
        return 0;
}

static int simple(EngineClient *c, const char *method, const char *id, const char *suffix, const char *verb,
                  const char *name, long timeout_s, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, what = STRBUF_INIT;
        strbuf_addf(&path, "/containers/%s%s", id, suffix);
        strbuf_addf(&what, "%s container \"%s\"", verb, name);
        return call(c, method, path.buf, NULL, what.buf, timeout_s, NULL, err);
}

int ops_start(EngineClient *c, const char *id, const char *name, BerthError *err)
{
        return simple(c, "POST", id, "/start", "start", name, 0, err);
}

int ops_stop(EngineClient *c, const char *id, const char *name, long timeout_s, BerthError *err)
{
        char suffix[32];
        /* Without "t" the engine uses the container's own StopTimeout, set from stop_grace_period. */
        if (timeout_s < 0)
                return simple(c, "POST", id, "/stop", "stop", name, 3600, err);
        snprintf(suffix, sizeof(suffix), "/stop?t=%ld", timeout_s);
        return simple(c, "POST", id, suffix, "stop", name, timeout_s + 60, err);
}

int ops_restart(EngineClient *c, const char *id, const char *name, BerthError *err)
{
        return simple(c, "POST", id, "/restart", "restart", name, 3600, err);
}

int ops_remove(EngineClient *c, const char *id, const char *name, bool volumes, BerthError *err)
{
        return simple(c, "DELETE", id, volumes ? "?force=1&v=1" : "?force=1", "remove", name, 0, err);
}

int ops_inspect(EngineClient *c, const char *id, cJSON **ret_json, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        strbuf_addf(&path, "/containers/%s/json", id);
        return engine_call(c, "GET", path.buf, NULL, "inspect container", 0, NULL, ret_json, err);
}

int ops_logs_tail(EngineClient *c, const char *id, unsigned lines, StrBuf *out, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, raw = STRBUF_INIT;
        int r;

        raw.max = 1024 * 1024;
        strbuf_addf(&path, "/containers/%s/logs?stdout=1&stderr=1&tail=%u", id, lines);
        r = engine_call_raw(c, "GET", path.buf, NULL, 0, NULL, NULL, "read container logs", 0, NULL, &raw,
                            err);
        if (r < 0)
                return r;
        /* Without a TTY the engine frames output: 1 byte stream, 3 zero bytes, 4 bytes big-endian length. */
        const unsigned char *p = (const unsigned char *)strbuf_str(&raw);
        size_t n = raw.len, i = 0;
        bool framed = n >= 8 && p[0] <= 2 && p[1] == 0 && p[2] == 0 && p[3] == 0;
        if (!framed)
                return strbuf_add(out, p, n);
        while (i + 8 <= n) {
                size_t len = ((size_t)p[i + 4] << 24) | ((size_t)p[i + 5] << 16) | ((size_t)p[i + 6] << 8) |
                             p[i + 7];
                i += 8;
                if (len > n - i)
                        len = n - i;
                if ((r = strbuf_add(out, p + i, len)) < 0)
                        return r;
                i += len;
        }
        return 0;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Podman runs healthchecks from systemd timers; where there is no systemd (a container, a rootless
 * user without a session, OpenRC) none ever runs and the health stays "starting" for good. So while
 * berth waits for health on Podman, a check that is overdue (none logged for its interval and a second)
 * is run through libpod's API, as `podman healthcheck run` would: at the container's own pace, so its
 * retries mean what the user wrote. */
typedef struct HealthDriver {
        char last[64]; /* the Start of the newest check logged */
        long long seen_ms;
} HealthDriver;

static void health_drive(EngineClient *c, const char *id, const cJSON *inspect, HealthDriver *d)
{
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(inspect, "State");
        const cJSON *hc = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(inspect, "Config"), "Healthcheck");
        const cJSON *log =
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(state, "Health"), "Log");
        const char *start = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetArrayItem(log, cJSON_GetArraySize(log) - 1), "Start"));
        double interval_ns = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc, "Interval"));
        long long interval_ms = interval_ns > 0 ? (long long)(interval_ns / 1e6) : 30000;
        long long t = now_ms();
        if (!hc)
                return;
        if (!d->seen_ms || strcmp(d->last, start ? start : "") != 0) {
                snprintf(d->last, sizeof(d->last), "%s", start ? start : "");
                d->seen_ms = t;
                return;
        }
        if (t - d->seen_ms < interval_ms + 1000)
                return;
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        strbuf_addstr(&path, "/libpod/containers/");
        if (engine_escape(id, &path) < 0 || strbuf_addstr(&path, "/healthcheck") < 0)
                return;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        BerthError ignored = { 0 };
        /* Its outcome is read from the inspect that follows, as any other check's. */
        (void)engine_call_raw(c, "GET", strbuf_str(&path), NULL, 0, NULL, NULL, "run a healthcheck", 0, NULL,
                              &out, &ignored);
        d->seen_ms = t;
}

int ops_wait(EngineClient *c, const char *id, const char *name, WaitFor what, long timeout_s,
             BerthError *err)
{
        long long deadline = now_ms() + timeout_s * 1000;
        unsigned delay_ms = 50;
        HealthDriver driver = { 0 };

        for (;;) {
                _cleanup_cjson_ cJSON *j = NULL;
                int r = ops_inspect(c, id, &j, err);
                if (r < 0)
                        return r;
                if (what == WAIT_HEALTHY && engine_client_kind(c) == ENGINE_PODMAN)
                        health_drive(c, id, j, &driver);
                cJSON *state = cJSON_GetObjectItemCaseSensitive(j, "State");
                const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state, "Status"));
                const char *health = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(state, "Health"), "Status"));
                int code = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(state, "ExitCode"));
                if (health && !*health)
                        health = NULL; /* Podman's word for a container without a healthcheck */
                bool running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"));
                bool exited = status && (strcmp(status, "exited") == 0 || strcmp(status, "dead") == 0);

                if (what == WAIT_COMPLETED) {
                        if (exited && code == 0)
                                return 0;
                        if (exited)
                                return error_set(err, -ECHILD, NULL, 0, 0, NULL,
                                                 "container \"%s\" exited with status %d", name, code);
                } else {
                        if (exited)
                                return error_set(err, -ECHILD, NULL, 0, 0, NULL,
                                                 "container \"%s\" exited with status %d", name, code);
                        if (running && (what == WAIT_RUNNING || !health || strcmp(health, "healthy") == 0))
                                return 0;
                        if (health && strcmp(health, "unhealthy") == 0)
                                return error_set(err, -EHOSTDOWN, NULL, 0, 0, NULL,
                                                 "container \"%s\" is unhealthy", name);
                }
                if (now_ms() >= deadline)
                        return error_set(err, -ETIMEDOUT, NULL, 0, 0, NULL,
                                         "container \"%s\" is not %s after %lds (it is %s%s%s)", name,
                                         what == WAIT_COMPLETED ? "done"
                                         : what == WAIT_HEALTHY ? "healthy"
                                                                : "running",
                                         timeout_s, status ? status : "?", health ? ", " : "",
                                         health ? health : "");
                struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)delay_ms * 1000000L };
                nanosleep(&ts, NULL);
                if (delay_ms < 500)
                        delay_ms *= 2;
        }
}

int ops_image(EngineClient *c, const char *image, const char *repo, char **ret_id, char **ret_digest,
              BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, what = STRBUF_INIT;
        _cleanup_cjson_ cJSON *j = NULL;
        strbuf_addf(&path, "/images/%s/json", image);
        strbuf_addf(&what, "inspect image \"%s\"", image);
        int r = engine_call(c, "GET", path.buf, NULL, what.buf, 0, NULL, &j, err);
        if (r < 0)
                return r;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "Id"));
        size_t rl = repo ? strlen(repo) : registry_repository_len(image);
        const char *name = repo ? repo : image;
        cJSON *d;
        *ret_digest = NULL;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "RepoDigests"))
        {
                const char *v = cJSON_GetStringValue(d);
                if (v && strncmp(v, name, rl) == 0 && v[rl] == '@') {
                        if (!(*ret_digest = strdup(v)))
                                return -ENOMEM;
                        break;
                }
        }
        *ret_id = id ? strdup(id) : NULL;
        return *ret_id ? 0 : -ENOMEM;
}
