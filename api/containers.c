/* containers.c: the routes that act on what the engine runs of a stack: restart and logs. Only stacks
 * of the branch are reached, so a token can never touch the engine's other containers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/ops.h"
#include "deploy/stack.h"
#include "handlers.h"
#include "head.h"

#define LOG_TAIL_DEFAULT 100
#define LOG_TAIL_MAX     5000

/* The engine, for a stack of the branch; NULL with res filled otherwise. */
static EngineClient *stack_engine(Api *api, Request *req, Response *res)
{
        char head[41], why[300];
        StackList stacks = { 0 };
        Repo *repo = head_stacks(api, res, head, &stacks);
        if (!repo)
                return NULL;
        bool found = stack_list_find(&stacks, req->params[0]) != NULL;
        stack_list_done(&stacks);
        if (!found) {
                api_problem(res, 404, "no such stack", NULL, "there is no stack \"%s\"", req->params[0]);
                return NULL;
        }
        EngineClient *c = live_client(&api->live, why, sizeof(why));
        if (!c)
                api_problem(res, 503, "no engine", NULL, "%s", why);
        return c;
}

static void restarted(void *ud, const LiveContainer *lc)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "service", lc->service ? lc->service : "");
        cJSON_AddStringToObject(o, "container", lc->name ? lc->name : "");
        cJSON_AddItemToArray(ud, o);
}

int post_restart(Api *api, Request *req, Response *res)
{
        _cleanup_engine_ EngineClient *c = stack_engine(api, req, res);
        BerthError err = { 0 };
        if (!c)
                return res->status;
        _cleanup_cjson_ cJSON *list = cJSON_CreateArray();
        int r = stack_restart(c, req->params[0], restarted, list, &err);
        if (r == -ENOENT)
                return api_problem(res, 409, "not deployed", NULL,
                                   "stack \"%s\" has no containers to restart", req->params[0]);
        if (r < 0)
                return api_problem(res, 503, "the engine did not restart the stack", NULL, "%s", err.msg);
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "name", req->params[0]);
        cJSON_AddItemToObject(res->json, "restarted", TAKE_PTR(list));
        return 200;
}

int get_logs(Api *api, Request *req, Response *res)
{
        const char *service = api_query(req, "service"), *tail_arg = api_query(req, "tail");
        char *end = NULL;
        long tail = tail_arg ? strtol(tail_arg, &end, 10) : LOG_TAIL_DEFAULT;
        if (tail_arg && (*end || end == tail_arg || tail < 1 || tail > LOG_TAIL_MAX))
                return api_problem(res, 400, "bad request", NULL, "tail is a number of lines from 1 to %d",
                                   LOG_TAIL_MAX);
        _cleanup_engine_ EngineClient *c = stack_engine(api, req, res);
        BerthError err = { 0 };
        LiveSet live = { 0 };
        if (!c)
                return res->status;
        if (live_list(c, req->params[0], &live, &err) < 0)
                return api_problem(res, 503, "the engine does not answer", NULL, "%s", err.msg);
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "name", req->params[0]);
        cJSON *list = cJSON_AddArrayToObject(res->json, "containers");
        for (size_t i = 0; i < live.n; i++) {
                LiveContainer *lc = &live.items[i];
                if (lc->oneoff || (service && (!lc->service || strcmp(service, lc->service) != 0)))
                        continue;
                _cleanup_strbuf_ StrBuf text = STRBUF_INIT;
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "service", lc->service ? lc->service : "");
                cJSON_AddStringToObject(o, "container", lc->name ? lc->name : "");
                cJSON_AddStringToObject(o, "state", lc->state ? lc->state : "");
                err = (BerthError){ 0 };
                if (ops_logs_tail(c, lc->id, (unsigned)tail, &text, &err) < 0)
                        cJSON_AddStringToObject(o, "error", err.msg);
                else
                        cJSON_AddStringToObject(o, "log", strbuf_str(&text));
                cJSON_AddItemToArray(list, o);
        }
        live_done(&live);
        return 200;
}
