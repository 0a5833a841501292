/* live.c: listing a stack's containers from the engine. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "container.h"
#include "live.h"
#include "record.h"

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

/* Every container (running or not) that the engine's filter (JSON) matches. */
static int list_containers(EngineClient *c, const StrBuf *filter, const char *what, cJSON **ret,
                           BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        int r;
        if (strbuf_error(filter) || strbuf_addstr(&path, "/containers/json?all=1&filters=") < 0)
                return -ENOMEM;
        if ((r = engine_escape(strbuf_str(filter), &path)) < 0)
                return r;
        return engine_call(c, "GET", strbuf_str(&path), NULL, what, 0, NULL, ret, err);
}

int live_records(EngineClient *c, LiveSet *ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        _cleanup_cjson_ cJSON *list = NULL;
        int r;
        if (strbuf_addstr(&path, "/volumes?filters=") < 0 || engine_escape(RECORD_FILTER, &path) < 0)
                return -ENOMEM;
        if ((r = engine_call(c, "GET", strbuf_str(&path), NULL, "list deploy records", 0, NULL, &list,
                             err)) < 0)
                return r;
        const cJSON *vols = cJSON_GetObjectItemCaseSensitive(list, "Volumes");
        int n = cJSON_GetArraySize(vols);
        LiveRecord *grown = realloc(ret->records, (ret->n_records + (size_t)n + 1) * sizeof(LiveRecord));
        if (!grown)
                return -ENOMEM;
        ret->records = grown;
        for (const cJSON *v = vols ? vols->child : NULL; v; v = v->next) {
                const cJSON *labels = cJSON_GetObjectItemCaseSensitive(v, "Labels");
                const char *stack =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_STACK));
                const char *count =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_CONTAINERS));
                if (!stack || !count)
                        continue;
                LiveRecord *rec = &ret->records[ret->n_records++];
                *rec = (LiveRecord){ .project = strdup(stack),
                                     .commit = dup_or_null(cJSON_GetStringValue(
                                             cJSON_GetObjectItemCaseSensitive(labels, LABEL_COMMIT))),
                                     .repo = dup_or_null(cJSON_GetStringValue(
                                             cJSON_GetObjectItemCaseSensitive(labels, LABEL_REPO))),
                                     .containers = (unsigned)strtoul(count, NULL, 10) };
                if (!rec->project)
                        return -ENOMEM;
        }
        return 0;
}

int live_list(EngineClient *c, const char *project, LiveSet *ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf filter = STRBUF_INIT;
        _cleanup_cjson_ cJSON *list = NULL;
        int r;

        if (project)
                strbuf_addf(&filter, "{\"label\":[\"%s=%s\"]}", LABEL_PROJECT, project);
        else
                strbuf_addf(&filter, "{\"label\":[\"%s=true\"]}", LABEL_MANAGED);
        if ((r = list_containers(c, &filter, "list containers", &list, err)) < 0)
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

/* The container's published and exposed ports, as docker ps shows them. */
static void ports_text(const cJSON *raw, StrBuf *out)
{
        for (cJSON *p = cJSON_GetObjectItemCaseSensitive(raw, "Ports")
                                ? cJSON_GetObjectItemCaseSensitive(raw, "Ports")->child
                                : NULL;
             p; p = p->next) {
                const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "IP"));
                cJSON *pub = cJSON_GetObjectItemCaseSensitive(p, "PublicPort");
                const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "Type"));
                int priv = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "PrivatePort"));
                if (out->len)
                        strbuf_addstr(out, ", ");
                if (pub)
                        strbuf_addf(out, "%s:%d->%d/%s", ip ? ip : "", (int)pub->valuedouble, priv,
                                    type ? type : "tcp");
                else
                        strbuf_addf(out, "%d/%s", priv, type ? type : "tcp");
        }
}

static int add_string(cJSON *o, const char *key, const char *v)
{
        return cJSON_AddStringToObject(o, key, v ? v : "") ? 0 : -ENOMEM;
}

int live_rows(EngineClient *c, const char *project, cJSON **ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *list = cJSON_CreateArray();
        LiveSet live = { 0 };
        int r = list ? live_list(c, project, &live, err) : -ENOMEM;
        for (size_t i = 0; r >= 0 && i < live.n; i++) {
                LiveContainer *lc = &live.items[i];
                _cleanup_strbuf_ StrBuf ports = STRBUF_INIT;
                cJSON *o = cJSON_CreateObject();
                if (!o || !cJSON_AddItemToArray(list, o)) {
                        cJSON_Delete(o);
                        r = -ENOMEM;
                        break;
                }
                ports_text(lc->raw, &ports);
                if ((r = add_string(o, "ID", lc->id)) < 0 || (r = add_string(o, "Name", lc->name)) < 0 ||
                    (r = add_string(o, "Project", lc->project)) < 0 ||
                    (r = add_string(o, "Service", lc->service)) < 0 ||
                    !cJSON_AddNumberToObject(o, "Number", lc->number) ||
                    (r = add_string(o, "State", lc->state)) < 0 ||
                    (r = add_string(o, "Status", lc->status)) < 0 ||
                    (r = add_string(o, "Image",
                                    cJSON_GetStringValue(
                                            cJSON_GetObjectItemCaseSensitive(lc->raw, "Image")))) < 0 ||
                    (r = add_string(o, "Ports", strbuf_str(&ports))) < 0 ||
                    (r = add_string(o, "ContentHash", lc->hash)) < 0 ||
                    (lc->commit && (r = add_string(o, "Commit", lc->commit)) < 0))
                        r = r < 0 ? r : -ENOMEM;
        }
        live_done(&live);
        if (r >= 0)
                *ret = TAKE_PTR(list);
        return r;
}

int live_health(EngineClient *c, LiveSet *ls, BerthError *err)
{
        static const char *const states[] = { "healthy", "unhealthy", "starting" };
        static const char *const shown[] = { " (healthy)", " (unhealthy)", " (health: starting)" };
        if (engine_client_kind(c) != ENGINE_PODMAN)
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(states); k++) {
                _cleanup_strbuf_ StrBuf filter = STRBUF_INIT;
                _cleanup_cjson_ cJSON *list = NULL;
                int r;
                strbuf_addf(&filter, "{\"label\":[\"%s=true\"],\"health\":[\"%s\"]}", LABEL_MANAGED,
                            states[k]);
                if ((r = list_containers(c, &filter, "list containers by health", &list, err)) < 0)
                        return r;
                for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next) {
                        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "Id"));
                        for (size_t i = 0; id && i < ls->n; i++) {
                                LiveContainer *lc = &ls->items[i];
                                char *s = NULL;
                                if (lc->swarm || !lc->id || strcmp(lc->id, id) != 0)
                                        continue;
                                if (asprintf(&s, "%s%s", lc->status ? lc->status : "", shown[k]) < 0)
                                        return -ENOMEM;
                                free(lc->status);
                                lc->status = s;
                        }
                }
        }
        return 0;
}
