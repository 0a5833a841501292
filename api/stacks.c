/* stacks.c: reading stacks: what git holds for each, and what the engine runs of it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/container.h"
#include "deployer/deployer.h"
#include "handlers.h"
#include "head.h"
#include "sealed.h"
#include "util/fileio.h"
#include "util/json.h"

/* ---- stacks ---- */

/* What one request has looked up: definitions by name (NULL: there is none), and the engine's view. */
typedef struct View {
        Api *api;
        Repo *repo;
        const char *head;
        char **def_names;
        Definition **defs;
        size_t n_defs;
        LiveSnapshot *live; /* the engine's view, or NULL (why says why) */
        bool stale;         /* the engine did not answer in time: live is its last answer */
        char why[300];
} View;

static void view_init(View *v, Api *api, Repo *repo, const char *head)
{
        *v = (View){ .api = api, .repo = repo, .head = head };
        v->live = live_snapshot(&api->live, &v->stale, v->why, sizeof(v->why));
}

static void view_done(View *v)
{
        for (size_t i = 0; i < v->n_defs; i++) {
                free(v->def_names[i]);
                definition_free(v->defs[i]);
        }
        free(v->def_names);
        free(v->defs);
        live_snapshot_unref(&v->api->live, v->live);
}

static const Definition *view_definition(View *v, const char *name)
{
        for (size_t i = 0; i < v->n_defs; i++)
                if (strcmp(v->def_names[i], name) == 0)
                        return v->defs[i];
        char **n = realloc(v->def_names, (v->n_defs + 1) * sizeof(char *));
        if (n)
                v->def_names = n;
        Definition **d = n ? realloc(v->defs, (v->n_defs + 1) * sizeof(Definition *)) : NULL;
        if (!d)
                return NULL;
        v->defs = d;
        BerthError err = { 0 };
        Definition *def = NULL;
        if (definition_find(v->api, v->repo, v->head, name, &def, &err) < 0)
                def = NULL;
        if (!(v->def_names[v->n_defs] = strdup(name))) {
                definition_free(def);
                return NULL;
        }
        v->defs[v->n_defs++] = def;
        return def;
}

/* Whether rendering the stack's definition today, with the options it was made with, gives another file
 * than the one in git: the template changed since (a PUT brings the stack up to date). */
static void template_state(View *v, const StackDesc *d, const cJSON *meta, cJSON *o)
{
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "definition"));
        const char *version =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "definition_version"));
        if (!name)
                return;
        const Definition *def = view_definition(v, name);
        if (!def) {
                cJSON_AddStringToObject(o, "template_problem", "its definition is gone");
                return;
        }
        cJSON_AddStringToObject(o, "template_version", def->version);
        _cleanup_cjson_ cJSON *opts = NULL;
        _cleanup_free_ char *now = NULL, *then = NULL;
        char path[300];
        BerthError err = { 0 };
        snprintf(path, sizeof(path), "%s/compose.yaml", d->dir);
        if (definition_options(def, cJSON_GetObjectItemCaseSensitive(meta, "options"), &opts, &err) < 0 ||
            definition_render(def, opts, &now, &err) < 0) {
                /* Its options no longer fit the definition: a PUT must give new ones. */
                cJSON_AddTrueToObject(o, "template_changed");
                cJSON_AddStringToObject(o, "template_problem", err.msg);
                return;
        }
        bool changed = !version || strcmp(version, def->version) != 0 ||
                       repo_read(v->repo, v->head, path, &then, NULL, NULL) < 0 || strcmp(now, then) != 0;
        cJSON_AddBoolToObject(o, "template_changed", changed);
}

/* The engine's view of the stack, read from its containers' labels as berth status reads it. */
static void live_state(View *v, const StackDesc *d, cJSON *o)
{
        if (!v->live) {
                cJSON_AddStringToObject(o, "live_unavailable", v->why);
                return;
        }
        const StackStatus *s = status_find(&v->live->list, d->name);
        cJSON *l = cJSON_AddObjectToObject(o, "live");
        /* The engine did not answer in time: this is what it said last, and how long ago. */
        if (v->stale) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                cJSON_AddTrueToObject(l, "stale");
                cJSON_AddStringToObject(l, "stale_reason", v->why);
                cJSON_AddNumberToObject(l, "age_seconds", (double)(now.tv_sec - v->live->at.tv_sec));
        }
        cJSON_AddBoolToObject(l, "deployed", s != NULL);
        if (!s)
                return;
        char drift[48];
        bool drifted = stack_status_drift(s, drift, sizeof(drift));
        if (s->commit)
                cJSON_AddStringToObject(l, "commit", s->commit);
        cJSON_AddBoolToObject(l, "several_commits", s->several_commits);
        cJSON_AddNumberToObject(l, "running", s->running);
        cJSON_AddNumberToObject(l, "desired", s->expected ? s->expected : s->containers);
        cJSON_AddNumberToObject(l, "containers", s->containers);
        cJSON_AddStringToObject(l, "health", stack_status_health(s));
        cJSON_AddBoolToObject(l, "drift", drifted);
        if (drifted)
                cJSON_AddStringToObject(l, "drift_detail", drift);
        cJSON *svcs = cJSON_AddArrayToObject(l, "services");
        for (size_t i = 0; i < s->n_services; i++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "name", s->services[i].name);
                cJSON_AddStringToObject(x, "state", s->services[i].state);
                cJSON_AddNumberToObject(x, "running", s->services[i].running);
                cJSON_AddNumberToObject(x, "containers", s->services[i].containers);
                cJSON_AddItemToArray(svcs, x);
        }
}

static cJSON *stack_json(View *v, const StackDesc *d)
{
        cJSON *o = cJSON_CreateObject();
        _cleanup_free_ char *text = NULL;
        _cleanup_cjson_ cJSON *meta = NULL;
        char path[300];
        cJSON_AddStringToObject(o, "name", d->name);
        cJSON_AddStringToObject(o, "path", d->file ? d->file : d->dir);
        stack_desc_meta_path(d, path, sizeof(path));
        if (repo_read(v->repo, v->head, path, &text, NULL, NULL) >= 0)
                meta = cJSON_Parse(text);
        static const char *const keys[] = { "definition", "definition_version", "options", "enabled",
                                            "mode" };
        for (size_t i = 0; cJSON_IsObject(meta) && i < ELEMENTSOF(keys); i++) {
                cJSON *x = cJSON_GetObjectItemCaseSensitive(meta, keys[i]);
                if (x)
                        json_set(o, keys[i], cJSON_Duplicate(x, 1));
        }
        if (!cJSON_HasObjectItem(o, "enabled"))
                cJSON_AddTrueToObject(o, "enabled");
        /* Which write-only values the stack has: their names, all berth-api can know of them. */
        cJSON *sealed = d->file ? NULL : sealed_names(v->repo, v->head, d->dir);
        if (sealed)
                cJSON_AddItemToObject(o, "write_only_set", sealed);
        /* A stack that does not load is never deployed: say why, where the numbers would be. */
        _cleanup_free_ char *problem = validity_problem(&v->api->validity, v->repo, v->head, d);
        if (problem)
                cJSON_AddStringToObject(o, "problem", problem);
        if (cJSON_IsObject(meta) && !d->file)
                template_state(v, d, meta, o);
        live_state(v, d, o);
        return o;
}

int get_stacks(Api *api, Request *req, Response *res)
{
        char head[41];
        StackList stacks = { 0 };
        Repo *repo = head_stacks(api, res, head, &stacks);
        if (!repo)
                return res->status;
        View v;
        view_init(&v, api, repo, head);
        res->json = cJSON_CreateArray();
        for (size_t i = 0; i < stacks.n; i++)
                cJSON_AddItemToArray(res->json, stack_json(&v, &stacks.items[i]));
        view_done(&v);
        stack_list_done(&stacks);
        return 200;
}

typedef struct FileWalk {
        cJSON *files;
        const char *dir; /* what the walk's paths are relative to */
} FileWalk;

/* A file of the stack: its text, or its size alone when it is not UTF-8 text. */
static int file_entry(void *ud, const char *path, unsigned mode, const void *data, size_t len)
{
        FileWalk *w = ud;
        cJSON *f = cJSON_CreateObject();
        char full[600];
        snprintf(full, sizeof(full), "%s%s%s", w->dir, *w->dir ? "/" : "", path);
        cJSON_AddStringToObject(f, "path", full);
        cJSON_AddNumberToObject(f, "size", (double)len);
        if (mode == 0120000)
                cJSON_AddTrueToObject(f, "symlink");
        if (memchr(data, '\0', len) || utf8_validate(data, len, NULL, NULL) < 0)
                cJSON_AddTrueToObject(f, "binary");
        else {
                _cleanup_free_ char *text = strndup(data, len);
                cJSON_AddStringToObject(f, "content", text ? text : "");
        }
        cJSON_AddItemToArray(w->files, f);
        return 0;
}

static int stack_files(Repo *repo, const char *head, const StackDesc *d, cJSON *files)
{
        BerthError err = { 0 };
        FileWalk w = { .files = files, .dir = d->dir };
        if (!d->file)
                return repo_walk(repo, head, d->dir, file_entry, &w, &err);
        /* The flat layout: the compose file, and its stack-<name>.json when there is one. */
        char meta[300];
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        w.dir = "";
        stack_desc_meta_path(d, meta, sizeof(meta));
        int r = repo_read(repo, head, d->file, &buf, &len, &err);
        if (r >= 0)
                r = file_entry(&w, d->file, 0100644, buf, len);
        free(TAKE_PTR(buf));
        if (r >= 0 && repo_read(repo, head, meta, &buf, &len, NULL) >= 0)
                r = file_entry(&w, meta, 0100644, buf, len);
        return r;
}

/* A container's health as its status line says it: "Up 2 minutes (healthy)". */
static const char *container_health(const char *status)
{
        if (!status)
                return "-";
        if (strstr(status, "(healthy)"))
                return "healthy";
        if (strstr(status, "(unhealthy)"))
                return "unhealthy";
        return strstr(status, "(health: starting)") ? "starting" : "-";
}

/* Each container of the stack, for the stack's own screen (the list of stacks has only the counts),
 * from the listing the view already holds. */
static void live_containers(const View *v, const char *name, cJSON *live)
{
        cJSON *list = live ? cJSON_AddArrayToObject(live, "container_list") : NULL;
        for (size_t i = 0; list && i < v->live->list.live.n; i++) {
                const LiveContainer *lc = &v->live->list.live.items[i];
                const char *project = lc->project;
                if (!project || strcmp(project, name) != 0)
                        continue;
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "name", lc->name ? lc->name : "");
                cJSON_AddStringToObject(o, "service", lc->service ? lc->service : "");
                cJSON_AddStringToObject(o, "state", lc->state ? lc->state : "");
                cJSON_AddStringToObject(o, "status", lc->status ? lc->status : "");
                cJSON_AddStringToObject(o, "health", container_health(lc->status));
                if (lc->commit)
                        cJSON_AddStringToObject(o, "commit", lc->commit);
                cJSON_AddItemToArray(list, o);
        }
}

int get_stack(Api *api, Request *req, Response *res)
{
        char head[41];
        StackList stacks = { 0 };
        Repo *repo = head_stacks(api, res, head, &stacks);
        if (!repo)
                return res->status;
        const StackDesc *d = stack_list_find(&stacks, req->params[0]);
        if (!d) {
                stack_list_done(&stacks);
                return api_problem(res, 404, "no such stack", NULL, "there is no stack \"%s\"",
                                   req->params[0]);
        }
        View v;
        view_init(&v, api, repo, head);
        res->json = stack_json(&v, d);
        if (v.live)
                live_containers(&v, d->name, cJSON_GetObjectItemCaseSensitive(res->json, "live"));
        view_done(&v);
        cJSON_AddStringToObject(res->json, "commit", head);
        int r = stack_files(repo, head, d, cJSON_AddArrayToObject(res->json, "files"));
        stack_list_done(&stacks);
        if (r < 0)
                return api_problem(res, 503, "cannot read the config repo", NULL, "cannot read the files");
        return 200;
}

/* ---- history ---- */

static int history_entry(void *ud, const char *commit, const char *author, long long when,
                         const char *subject)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "commit", commit);
        cJSON_AddStringToObject(o, "author", author);
        cJSON_AddNumberToObject(o, "time", (double)when);
        cJSON_AddStringToObject(o, "subject", subject);
        cJSON_AddItemToArray(ud, o);
        return 0;
}

int get_history(Api *api, Request *req, Response *res)
{
        char head[41], path[300];
        StackList stacks = { 0 };
        BerthError err = { 0 };
        Repo *repo = head_stacks(api, res, head, &stacks);
        if (!repo)
                return res->status;
        const StackDesc *d = stack_list_find(&stacks, req->params[0]);
        if (d)
                snprintf(path, sizeof(path), "%s", d->file ? d->file : d->dir);
        stack_list_done(&stacks);
        if (!d)
                return api_problem(res, 404, "no such stack", NULL, "there is no stack \"%s\"",
                                   req->params[0]);
        res->json = cJSON_CreateArray();
        if (repo_history(repo, head, path, 200, history_entry, res->json, &err) < 0)
                return api_problem(res, 503, "cannot read the history", NULL, "%s", err.msg);
        /* The deployed one: the newest change the engine's commit holds (a reconcile deploys the commit
         * it ran on, which may be a later one that left the stack alone). */
        View v;
        view_init(&v, api, repo, head);
        const StackStatus *s = v.live ? status_find(&v.live->list, req->params[0]) : NULL;
        if (s && s->commit && repo_has_commit(repo, s->commit) > 0)
                for (cJSON *e = res->json->child; e; e = e->next) {
                        const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "commit"));
                        if (repo_descends(repo, s->commit, c, NULL) == 1) {
                                cJSON_AddTrueToObject(e, "deployed");
                                break;
                        }
                }
        view_done(&v);
        return 200;
}
