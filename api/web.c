/* web.c: the web page's routes: the page at /, its other files under /ui/. */
#include <string.h>

#include "handlers.h"
#include "web.h"

const WebAsset *web_asset(const char *name)
{
        for (size_t i = 0; i < web_n_assets; i++)
                if (strcmp(web_assets[i].name, name) == 0)
                        return &web_assets[i];
        return NULL;
}

int get_page(Api *api, Request *req, Response *res)
{
        if (!(res->asset = web_asset("index.html")))
                return api_problem(res, 404, "not found", NULL, "this berth-api has no web page");
        res->page = true;
        return 200;
}

int get_ui_file(Api *api, Request *req, Response *res)
{
        /* The page itself only at /, where its policy is sent. */
        if (strcmp(req->params[0], "index.html") == 0 || !(res->asset = web_asset(req->params[0])))
                return api_problem(res, 404, "not found", NULL, "no file %s in the web page",
                                   req->params[0]);
        return 200;
}

/* Who the page is signed in as: a read token gets no buttons that write (the API refuses them anyway). */
int get_session(Api *api, Request *req, Response *res)
{
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "name", req->token->name);
        cJSON_AddStringToObject(res->json, "role", req->token->role == ROLE_WRITE ? "write" : "read");
        return 200;
}
