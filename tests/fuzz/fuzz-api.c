/* fuzz-api.c: libFuzzer target for berth-api's request handling: the first line is "METHOD PATH", the
 * second the Authorization header, the third the Content-Type, the rest the body. Routes, tokens,
 * bodies and every handler run against a real clone of a local origin; a reply must never be a 500. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"

static Api api;
static char dir[] = "/tmp/berth-fuzz-api-XXXXXX";

static void cleanup(void)
{
        char cmd[128];
        writer_free(api.writer);
        validity_done(&api.validity);
        tokens_done(&api.tokens);
        policy_free(api.policy);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
}

static int setup(void)
{
        char cmd[1024], tokens[300], origin[300], clone[300];
        if (!mkdtemp(dir))
                return -1;
        atexit(cleanup);
        snprintf(cmd, sizeof(cmd),
                 "cd %s && git init -q --bare -b main origin.git && git clone -q origin.git seed "
                 "2>/dev/null && "
                 "cd seed && mkdir -p stacks/web templates/t && printf 'services:\\n  w:\\n    image: x\\n' "
                 ">stacks/web/compose.yaml && printf 'services:\\n  s:\\n    image: \"x:${v}\"\\n' "
                 ">templates/t/compose.yaml && printf "
                 "'{\"title\":\"t\",\"version\":\"1\",\"options\":{\"type\":"
                 "\"object\",\"properties\":{\"v\":{\"type\":\"string\",\"default\":\"1\"}}}}' "
                 ">templates/t/definition.json && git add -A && git -c user.name=f -c user.email=f@f commit "
                 "-qm s && "
                 "git push -q origin main 2>/dev/null",
                 dir);
        if (system(cmd) != 0)
                return -1;
        snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
        FILE *f = fopen(tokens, "we");
        char line[256];
        if (!f)
                return -1;
        token_line("fuzz-read-token-0123", 20, "reader", "read", line, sizeof(line));
        fprintf(f, "%s\n", line);
        token_line("fuzz-write-token-0123", 21, "writer", "write", line, sizeof(line));
        fprintf(f, "%s\n", line);
        fclose(f);
        BerthError err = { 0 };
        snprintf(origin, sizeof(origin), "file://%s/origin.git", dir);
        snprintf(clone, sizeof(clone), "%s/clone", dir);
        WriterOptions o = { .url = origin, .dir = clone };
        metrics_init(&api.metrics);
        validity_init(&api.validity);
        api.branch = "main";
        /* No engine: the live parts of replies say why, and fuzzing never waits on a socket. */
        EnvMap env;
        envmap_init(&env);
        live_init(&api.live, "none://", &env);
        envmap_done(&env);
        if (policy_default(&api.policy) < 0)
                return -1;
        if (tokens_load(tokens, &api.tokens, &err) < 0 || writer_open(&o, &api.writer, &err) < 0)
                return -1;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int ready;
        if (!ready)
                ready = setup() == 0 ? 1 : -1;
        if (ready < 0)
                abort(); /* the harness itself could not start */
        char *text = strndup((const char *)data, size);
        if (!text)
                return 0;
        char *l1 = text, *l2 = strchr(l1, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
        if (l2)
                *l2++ = '\0';
        if (l3)
                *l3++ = '\0';
        char *sp = strchr(l1, ' ');
        if (sp)
                *sp++ = '\0';
        Request req = { .method = l1, .path = sp ? sp : "/", .content_type = l3 ? l2 : NULL };
        const char *body = l3 ? l3 : "";
        req.body = body;
        req.body_len = strlen(body);
        const char *auth = l2 ? l2 : "";
        if (strncmp(auth, "Bearer ", 7) == 0)
                req.token = tokens_check(&api.tokens, auth + 7, strlen(auth + 7));
        Response res = { .status = 200 };
        if (req.path[0] == '/')
                api_dispatch(&api, &req, &res);
        if (res.status >= 500 && res.status != 503)
                abort(); /* a 500 never */
        cJSON_Delete(res.json);
        cJSON_Delete(res.extra);
        free(res.text);
        free(text);
        return 0;
}
