/* routes.c: berth-api's route table, and the routes that are the server's own: health, the OpenAPI
 * document, metrics. The stack routes are in stacks.c and changes.c, definitions in definitions.c. */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "util/strbuf.h"

/* ---- health and metrics ---- */

static int get_healthz(Api *api, Request *req, Response *res)
{
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "status", "ok");
        return 200;
}

extern const unsigned char openapi_yaml[];
extern const size_t openapi_yaml_len;

static int get_openapi(Api *api, Request *req, Response *res)
{
        if (!(res->text = strndup((const char *)openapi_yaml, openapi_yaml_len)))
                return api_problem(res, 500, "out of memory", NULL, "cannot copy the document");
        res->text_type = "application/yaml";
        return 200;
}

static int get_metrics(Api *api, Request *req, Response *res)
{
        const char *methods[METRICS_ROUTES_MAX], *patterns[METRICS_ROUTES_MAX];
        StrBuf sb = STRBUF_INIT;
        WriterStats ws = { 0 };
        for (size_t i = 0; i < api_n_routes && i < METRICS_ROUTES_MAX; i++) {
                methods[i] = api_routes[i].method;
                patterns[i] = api_routes[i].pattern;
        }
        writer_stats(api->writer, &ws);
        if (metrics_render(&api->metrics, methods, patterns, api_n_routes, &ws, &sb) < 0) {
                strbuf_done(&sb);
                return api_problem(res, 500, "out of memory", NULL, "cannot print the metrics");
        }
        res->text = strbuf_detach(&sb);
        res->text_type = "text/plain; version=0.0.4";
        return 200;
}

const Route api_routes[] = {
        { "GET", "/", get_page, ROLE_NONE },
        { "GET", "/ui/{name}", get_ui_file, ROLE_NONE },
        { "GET", "/session", get_session, ROLE_READ },
        { "GET", "/healthz", get_healthz, ROLE_NONE },
        { "GET", "/openapi.yaml", get_openapi, ROLE_NONE },
        { "GET", "/metrics", get_metrics, ROLE_READ },
        { "GET", "/stackDefinitions", get_definitions, ROLE_READ },
        { "GET", "/stacks", get_stacks, ROLE_READ },
        { "POST", "/stacks", post_stacks, ROLE_WRITE },
        { "GET", "/stacks/{name}", get_stack, ROLE_READ },
        { "PUT", "/stacks/{name}", put_stack, ROLE_WRITE },
        { "PATCH", "/stacks/{name}", patch_stack, ROLE_WRITE },
        { "DELETE", "/stacks/{name}", delete_stack, ROLE_WRITE },
        { "GET", "/stacks/{name}/history", get_history, ROLE_READ },
        { "POST", "/stacks/{name}/restart", post_restart, ROLE_WRITE },
        { "GET", "/stacks/{name}/logs", get_logs, ROLE_READ },
        { "GET", "/images", get_images, ROLE_READ },
        { "POST", "/stacks/{name}/revert", post_revert, ROLE_WRITE },
};
const size_t api_n_routes = ELEMENTSOF(api_routes);
