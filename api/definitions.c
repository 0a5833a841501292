/* definitions.c: stack definitions, from the config repo's templates/ at the head and from --templates. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "head.h"
#include "template/render.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "util/json.h"

#define DEFINITION_FILE_MAX ((size_t)1024 * 1024)

/* ---- definitions: the repo's templates/ at the head, then --templates ---- */

static int definition_from_repo(Repo *repo, const char *head, const char *name, Definition **ret,
                                BerthError *err)
{
        _cleanup_free_ char *compose = NULL, *json = NULL;
        size_t clen = 0, jlen = 0;
        char path[300];
        snprintf(path, sizeof(path), "templates/%s/compose.yaml", name);
        int r = repo_read(repo, head, path, &compose, &clen, err);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "templates/%s/definition.json", name);
        if ((r = repo_read(repo, head, path, &json, &jlen, err)) < 0)
                return r;
        return definition_load(name, compose, clen, json, jlen, ret, err);
}

static int definition_from_dir(const char *dir, const char *name, Definition **ret, BerthError *err)
{
        _cleanup_free_ char *compose = NULL, *json = NULL, *cpath = NULL, *jpath = NULL;
        size_t clen = 0, jlen = 0;
        StrBuf a = STRBUF_INIT, b = STRBUF_INIT;
        strbuf_addf(&a, "%s/%s/compose.yaml", dir, name);
        strbuf_addf(&b, "%s/%s/definition.json", dir, name);
        cpath = strbuf_detach(&a);
        jpath = strbuf_detach(&b);
        if (!cpath || !jpath)
                return -ENOMEM;
        BerthError e = { 0 };
        int r = file_read(cpath, DEFINITION_FILE_MAX, &compose, &clen, &e);
        if (r == -ENOENT)
                return -ENOENT;
        if (r < 0 || (r = file_read(jpath, DEFINITION_FILE_MAX, &json, &jlen, &e)) < 0) {
                *err = e;
                return r;
        }
        return definition_load(name, compose, clen, json, jlen, ret, err);
}

/* The repo's own definition wins over a built-in one of the same name: a template change is a commit. */
int definition_find(Api *api, Repo *repo, const char *head, const char *name, Definition **ret,
                    BerthError *err)
{
        if (!project_name_valid(name))
                return -ENOENT;
        int r = definition_from_repo(repo, head, name, ret, err);
        if (r != -ENOENT || !api->templates_dir)
                return r;
        return definition_from_dir(api->templates_dir, name, ret, err);
}

typedef struct NameList {
        char **names;
        size_t n;
} NameList;

static int name_add(NameList *l, const char *name, size_t len)
{
        for (size_t i = 0; i < l->n; i++)
                if (strlen(l->names[i]) == len && strncmp(l->names[i], name, len) == 0)
                        return 0;
        char **v = realloc(l->names, (l->n + 1) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        l->names = v;
        return (l->names[l->n] = strndup(name, len)) ? (l->n++, 0) : -ENOMEM;
}

static int template_path(void *ud, const char *path, unsigned mode, const void *data, size_t len)
{
        const char *slash = strchr(path, '/');
        if (slash && strcmp(slash + 1, "definition.json") == 0)
                return name_add(ud, path, (size_t)(slash - path));
        return 0;
}

static cJSON *definition_json(const Definition *d, const char *source)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", d->name);
        cJSON_AddStringToObject(o, "title", d->title);
        if (d->description)
                cJSON_AddStringToObject(o, "description", d->description);
        cJSON_AddStringToObject(o, "version", d->version);
        cJSON_AddStringToObject(o, "source", source);
        json_set(o, "options", cJSON_Duplicate(d->options, 1));
        return o;
}

int get_definitions(Api *api, Request *req, Response *res)
{
        char head[41];
        NameList names = { 0 };
        BerthError err = { 0 };
        if (sync_head(api, res, head))
                return res->status;
        Repo *repo = writer_repo(api->writer);
        repo_walk(repo, head, "templates", template_path, &names, &err);
        size_t from_repo = names.n;
        DIR *dh = api->templates_dir ? opendir(api->templates_dir) : NULL;
        for (struct dirent *de; dh && (de = readdir(dh));)
                if (de->d_name[0] != '.' && project_name_valid(de->d_name))
                        name_add(&names, de->d_name, strlen(de->d_name));
        if (dh)
                closedir(dh);
        res->json = cJSON_CreateArray();
        for (size_t i = 0; i < names.n; i++) {
                Definition *d = NULL;
                BerthError e = { 0 };
                if (definition_find(api, repo, head, names.names[i], &d, &e) >= 0)
                        cJSON_AddItemToArray(res->json,
                                             definition_json(d, i < from_repo ? "repo" : "built-in"));
                definition_free(d);
                free(names.names[i]);
        }
        free(names.names);
        return 200;
}
