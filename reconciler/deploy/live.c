/* live.c: listing a stack's containers from the engine. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "live.h"

void live_done(LiveSet *s)
{
        for (size_t i = 0; i < s->n; i++) {
                LiveContainer *c = &s->items[i];
                free(c->id);
                free(c->name);
                free(c->project);
                free(c->service);
                free(c->hash);
                free(c->state);
                free(c->status);
                free(c->commit);
                free(c->repo);
                cJSON_Delete(c->raw);
        }
        free(s->items);
        *s = (LiveSet){ 0 };
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

int live_list(EngineClient *c, const char *project, LiveSet *ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, filter = STRBUF_INIT;
        _cleanup_cjson_ cJSON *list = NULL;
        int r;

        if (project)
                strbuf_addf(&filter, "{\"label\":[\"%s=%s\"]}", LABEL_PROJECT, project);
        else
                strbuf_addf(&filter, "{\"label\":[\"%s=true\"]}", LABEL_MANAGED);
        strbuf_addstr(&path, "/containers/json?all=1&filters=");
        if ((r = engine_escape(strbuf_str(&filter), &path)) < 0)
                return r;
        r = engine_call(c, "GET", path.buf, NULL, "list containers", 0, NULL, &list, err);
        if (r < 0)
                return r;
        *ret = (LiveSet){ 0 };
        int n = cJSON_GetArraySize(list);
        ret->items = calloc(n ? (size_t)n : 1, sizeof(LiveContainer));
        if (!ret->items)
                return -ENOMEM;
        for (cJSON *e = list ? list->child : NULL, *next; e; e = next) {
                next = e->next;
                cJSON *labels = cJSON_GetObjectItemCaseSensitive(e, "Labels");
                const char *svc =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_SERVICE));
                const char *num =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_NUMBER));
                const char *hash =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_CONTENT_HASH));
                const char *oneoff =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_ONEOFF));
                cJSON *names = cJSON_GetObjectItemCaseSensitive(e, "Names");
                const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(names, 0));
                LiveContainer *lc = &ret->items[ret->n++];
                if (!hash)
                        hash = cJSON_GetStringValue(
                                cJSON_GetObjectItemCaseSensitive(labels, LABEL_CONFIG_HASH));
                *lc = (LiveContainer){
                        .id = dup_or_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "Id"))),
                        .name = dup_or_null(name && name[0] == '/' ? name + 1 : name),
                        .project = dup_or_null(cJSON_GetStringValue(
                                cJSON_GetObjectItemCaseSensitive(labels, LABEL_PROJECT))),
                        .service = dup_or_null(svc),
                        .number = num ? (unsigned)strtoul(num, NULL, 10) : 0,
                        .hash = dup_or_null(hash),
                        .state = dup_or_null(
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "State"))),
                        .status = dup_or_null(
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "Status"))),
                        .commit = dup_or_null(cJSON_GetStringValue(
                                cJSON_GetObjectItemCaseSensitive(labels, LABEL_COMMIT))),
                        .repo = dup_or_null(
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_REPO))),
                        .oneoff = oneoff && strcmp(oneoff, "True") == 0,
                        /* Moved, not copied: a list of thousands would be held twice. */
                        .raw = cJSON_DetachItemViaPointer(list, e),
                };
                if (!lc->id || !lc->raw)
                        return -ENOMEM;
        }
        return 0;
}

int live_append(LiveSet *into, LiveSet *from)
{
        if (!from->n)
                return 0;
        LiveContainer *v = realloc(into->items, (into->n + from->n) * sizeof(LiveContainer));
        if (!v)
                return -ENOMEM;
        memcpy(v + into->n, from->items, from->n * sizeof(LiveContainer));
        into->items = v;
        into->n += from->n;
        free(from->items);
        *from = (LiveSet){ 0 };
        return 0;
}

LiveContainer *live_find(LiveSet *s, const char *service, unsigned number)
{
        for (size_t i = 0; i < s->n; i++)
                if (!s->items[i].oneoff && s->items[i].service &&
                    strcmp(s->items[i].service, service) == 0 && s->items[i].number == number)
                        return &s->items[i];
        return NULL;
}
