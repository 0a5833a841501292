/* images.c: GET /images: the repo's image descriptors, and what the engine holds of each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "head.h"
#include "reconcile/settings.h"

/* The images berth built on this engine, newest first; NULL with why filled when there is no engine. */
static cJSON *built_images(Api *api, char *why, size_t size)
{
        _cleanup_engine_ EngineClient *c = live_client(&api->live, why, size);
        cJSON *list = NULL;
        BerthError err = { 0 };
        if (!c)
                return NULL;
        if (engine_call(c, "GET",
                        "/images/json?filters=%7B%22label%22%3A%5B%22io.berth.managed%3Dtrue%22%5D%7D", NULL,
                        "list images", 0, NULL, &list, &err) < 0) {
                snprintf(why, size, "the engine does not answer: %s", err.msg);
                return NULL;
        }
        return list;
}

static cJSON *image_entry(const cJSON *img)
{
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(img, "Labels");
        cJSON *o = cJSON_CreateObject();
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(img, "Id"));
        const char *commit =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, "io.berth.commit"));
        cJSON_AddStringToObject(o, "id", id ? id : "");
        const cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags");
        cJSON_AddItemToObject(o, "tags",
                              cJSON_IsArray(tags) ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
        cJSON_AddNumberToObject(o, "created",
                                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(img, "Created")));
        if (commit)
                cJSON_AddStringToObject(o, "commit", commit);
        return o;
}

int get_images(Api *api, Request *req, Response *res)
{
        char head[41], why[300] = "";
        ImageList images = { 0 };
        BerthError err = { 0 };
        if (sync_head(api, res, head))
                return res->status;
        _cleanup_(settings_done) Settings settings = SETTINGS_INIT;
        Repo *repo = writer_repo(api->writer);
        if (settings_load(repo, head, &settings, &err) < 0 ||
            settings_images(&settings, repo, &images, &err) < 0)
                return api_problem(res, 503, "cannot read the config repo", NULL, "%s", err.msg);
        _cleanup_cjson_ cJSON *built = built_images(api, why, sizeof(why));
        res->json = cJSON_CreateArray();
        for (size_t i = 0; i < images.n; i++) {
                const ImageDesc *d = &images.items[i];
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "name", d->name);
                cJSON_AddStringToObject(o, "dockerfile", d->dockerfile);
                if (d->config)
                        cJSON_AddStringToObject(o, "config", d->config);
                if (!built) {
                        cJSON_AddStringToObject(o, "live_unavailable", why);
                        cJSON_AddItemToArray(res->json, o);
                        continue;
                }
                /* The engine lists images newest first. */
                cJSON *list = cJSON_AddArrayToObject(o, "built");
                for (const cJSON *img = built->child; img; img = img->next) {
                        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(img, "Labels"), "io.berth.image"));
                        if (name && strcmp(name, d->name) == 0)
                                cJSON_AddItemToArray(list, image_entry(img));
                }
                cJSON_AddItemToArray(res->json, o);
        }
        image_list_done(&images);
        return 200;
}
