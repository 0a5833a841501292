/* changes.c: the routes that commit: create, update, delete, enable or disable, and revert a stack. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/project.h"
#include "deploy/stack.h"
#include "modes/modes.h"
#include "reconcile/settings.h"
#include "check.h"
#include "handlers.h"
#include "head.h"
#include "policy/policy.h"
#include "sealed.h"
#include "source/source.h"
#include "template/render.h"
#include "util/digest.h"
#include "util/strbuf.h"
#include "util/json.h"

/* ---- creating a stack ---- */

typedef struct Create {
        const char *name;
        char *compose, *meta;
        const Sealed *sealed; /* the stack's new .env, if any */
        const Policy *policy;
        StackCheck check; /* why the directory, changed, was refused */
} Create;

bool stack_exists(Repo *repo, const char *head, const char *name)
{
        StackList stacks = { 0 };
        bool found =
                repo_stacks(repo, head, &stacks, NULL, NULL, NULL) >= 0 && stack_list_find(&stacks, name);
        stack_list_done(&stacks);
        return found;
}

/* The stack's new .env, when the request gave write-only values. */
static int add_sealed(const Create *c, ChangeSet *cs)
{
        char path[300];
        if (!c->sealed || !c->sealed->env)
                return 0;
        snprintf(path, sizeof(path), "stacks/%s/.env", c->name);
        return change_set_add(cs, path, c->sealed->env, c->sealed->env_len);
}

static void create_done(Create *c)
{
        stack_check_done(&c->check);
}

static int count_file(void *ud, const char *path, unsigned mode, const char *blob_id)
{
        char *first = ud;
        if (!first[0])
                snprintf(first, 256, "%s", path);
        return 0;
}

/* A file that stacks/<name>/ holds at head (into first, 256 bytes), or "" when it holds none. */
static void stack_dir_first(Repo *repo, const char *head, const char *name, char first[256])
{
        char dir[300];
        first[0] = '\0';
        snprintf(dir, sizeof(dir), "stacks/%s", name);
        if (head && head[0])
                (void)repo_walk_ids(repo, head, dir, count_file, first, NULL);
}

static int create_change(void *ud, Repo *repo, const char *head, ChangeSet *cs, BerthError *err)
{
        Create *c = ud;
        char path[300], first[256];
        /* Asked again on every retry: a stack someone else made meanwhile is a conflict, not an overwrite. */
        if (stack_exists(repo, head, c->name))
                return error_set(err, -EEXIST, NULL, 0, 0, NULL, "stack \"%s\" exists", c->name);
        /* A file left in the directory would be loaded with the rendered one (an override merges, a .env
         * interpolates): the stack would not be what was checked. */
        stack_dir_first(repo, head, c->name, first);
        if (first[0])
                return error_set(err, -ENOTEMPTY, NULL, 0, 0, NULL,
                                 "stacks/%s/ is not empty: it holds %s; remove what is there first", c->name,
                                 first);
        snprintf(path, sizeof(path), "stacks/%s/compose.yaml", c->name);
        int r = change_set_add(cs, path, c->compose, strlen(c->compose));
        snprintf(path, sizeof(path), "stacks/%s/stack.json", c->name);
        if (r >= 0)
                r = change_set_add(cs, path, c->meta, strlen(c->meta));
        return r < 0 ? r : add_sealed(c, cs);
}

/* A 422 naming every refusal: the service, the key, the rule, and where in the rendered file. */
static int policy_refusal(Response *res, const PolicyViolations *v)
{
        const PolicyViolation *f = &v->items[0];
        api_problem(res, 422, "refused by the policy", NULL, "%s%s%s%s: %s (rule %s)%s",
                    f->service[0] ? "service \"" : "", f->service, f->service[0] ? "\": " : "", f->key,
                    f->message, f->rule, v->n > 1 ? ", and more in violations" : "");
        res->extra = cJSON_CreateObject();
        cJSON *list = cJSON_AddArrayToObject(res->extra, "violations");
        for (size_t i = 0; i < v->n; i++) {
                cJSON *o = cJSON_CreateObject();
                if (v->items[i].service[0])
                        cJSON_AddStringToObject(o, "service", v->items[i].service);
                cJSON_AddStringToObject(o, "key", v->items[i].key);
                cJSON_AddStringToObject(o, "rule", v->items[i].rule);
                cJSON_AddStringToObject(o, "message", v->items[i].message);
                if (v->items[i].where[0])
                        cJSON_AddStringToObject(o, "where", v->items[i].where);
                cJSON_AddItemToArray(list, o);
        }
        return 422;
}

/* Why the directory as a change would leave it cannot be committed, as a reply. */
static int check_refusal(Response *res, int r, const StackCheck *chk)
{
        char line[1400];
        if (r == -EPERM)
                return policy_refusal(res, &chk->violations);
        if (r == -EINVAL)
                return api_problem(res, 422, "the stack would not be valid", NULL, "%s",
                                   error_format(&chk->err, line, sizeof(line)));
        return api_problem(res, 500, "out of memory", NULL, "cannot check the stack");
}

/* What a create or an update commits: the rendered compose file and its stack.json, checked. */
typedef struct Rendered {
        Definition *def;
        cJSON *options;
        Project *project; /* the rendered file as berth loads it, for a dry run's plan */
        Source *source;   /* what it was loaded from (swarm makes configs of its files) */
        Sealed sealed;    /* the write-only options, apart from options */
        int mode;         /* the DeployMode its stack.json names (the request's or the stack's), or -1 */
        char *compose, *meta;
        char options_hash[DIGEST_HEX_LEN + 1];
} Rendered;

static void rendered_done(Rendered *x)
{
        definition_free(x->def);
        cJSON_Delete(x->options);
        project_free(x->project);
        source_unref(x->source);
        sealed_done(&x->sealed);
        free(x->compose);
        free(x->meta);
}

/* Renders definition def with options for stack name; on a bad request fills res and returns its status. */
static int render_stack(Api *api, Repo *repo, const char *head, const char *name, const char *def,
                        const cJSON *options, bool enabled, Rendered *x, Response *res)
{
        BerthError err = { 0 };
        char line[1400];
        int r = definition_find(api, repo, head, def, &x->def, &err);
        if (r == -ENOENT)
                return api_problem(res, 422, "unknown definition", "/definition",
                                   "there is no definition \"%s\"", def);
        if (r < 0)
                return api_problem(res, 422, "broken definition", "/definition", "%s",
                                   error_format(&err, line, sizeof(line)));
        if (definition_options(x->def, options, &x->options, &err) < 0)
                return api_problem(res, 422, "invalid options", err.path, "%s", err.msg);
        if (sealed_take(x->def, x->options, &x->sealed, res) ||
            sealed_seal(repo, head, name, x->def, &x->sealed, res))
                return res->status;
        if (definition_render(x->def, x->options, &x->compose, &err) < 0)
                return api_problem(res, 422, "the rendered stack is not valid", NULL, "%s",
                                   error_format(&err, line, sizeof(line)));
        /* The directory as the commit would leave it, the rendered file among what is already there. */
        _cleanup_(change_set_done) ChangeSet cs = { 0 };
        _cleanup_(stack_check_done) StackCheck chk = { 0 };
        char path[300];
        snprintf(path, sizeof(path), "stacks/%s/compose.yaml", name);
        Create sc = { .name = name, .sealed = &x->sealed };
        if (change_set_add(&cs, path, x->compose, strlen(x->compose)) < 0 || add_sealed(&sc, &cs) < 0)
                return api_problem(res, 500, "out of memory", NULL, "cannot check the stack");
        r = stack_check(api->policy, repo, head, name, &cs, &chk, &x->project, &x->source);
        if (r < 0)
                return check_refusal(res, r, &chk);
        /* stack.json: what it was made from, for GET /stacks and for re-rendering. */
        /* Every member or none: a stack.json without its options would deploy the template's defaults. */
        cJSON *m = cJSON_CreateObject(), *opts = cJSON_Duplicate(x->options, 1);
        bool built =
                m && opts && cJSON_AddStringToObject(m, "definition", x->def->name) &&
                cJSON_AddStringToObject(m, "definition_version", x->def->version) &&
                cJSON_AddItemToObject(m, "options", opts) &&
                (opts = NULL, cJSON_AddBoolToObject(m, "enabled", enabled)) &&
                (x->mode < 0 || cJSON_AddStringToObject(m, "mode", deployer_of((DeployMode)x->mode)->name));
        x->meta = built ? json_print(m, true) : NULL;
        cJSON_Delete(opts);
        cJSON_Delete(m);
        _cleanup_free_ char *opts_text = json_print(x->options, false);
        _cleanup_(digest_freep) Digest *dg = digest_new();
        if (!x->meta || !opts_text || !dg || digest_update(dg, opts_text, strlen(opts_text)) < 0 ||
            digest_final_hex(dg, x->options_hash) < 0)
                return api_problem(res, 500, "out of memory", NULL, "cannot write stack.json");
        return 0;
}

/* Commits what fn says, authored by the request's token (git history says who asked). Committed, it
 * answers {name, commit} and returns 0; otherwise it returns the writer's error, for the caller to say
 * what that means for its route. */
static int commit_by(Api *api, Request *req, Response *res, const char *name, const char *message,
                     ChangeFn fn, void *ud, BerthError *err)
{
        _cleanup_strbuf_ StrBuf email = STRBUF_INIT;
        char commit[41] = "";
        strbuf_addf(&email, "%s@berth-api", req->token->name);
        int r = writer_commit(api->writer, fn, ud, req->token->name, strbuf_str(&email), message, commit,
                              err);
        if (r == -EEXIST || r == -ENODATA)
                metrics_conflict(&api->metrics);
        if (r < 0)
                return r;
        metrics_commit(&api->metrics);
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "name", name);
        cJSON_AddStringToObject(res->json, "commit", commit);
        return 0;
}

/* What is left of a failed commit once the route has said what its own errors mean. */
static int commit_failed(Response *res, int r, const BerthError *err)
{
        if (r == -ENOENT)
                return api_problem(res, 404, "no such stack", NULL, "%s", err->msg);
        return api_problem(res, 503, "cannot commit to the config repo", NULL, "%s", err->msg);
}

static int commit_stack(Api *api, Request *req, Response *res, const char *verb, const char *name,
                        const Rendered *x, ChangeFn fn, Create *c)
{
        _cleanup_strbuf_ StrBuf msg = STRBUF_INIT;
        BerthError err = { 0 };
        /* Provenance in the commit itself: who asked, from which template, with which options. */
        char sealed[512];
        strbuf_addf(&msg,
                    "berth-api: %s stack %s from %s %s\n\nBerth-Template: %s\nBerth-Template-Version: %s\n"
                    "Berth-Options-Hash: sha256:%s\n",
                    verb, name, x->def->name, x->def->version, x->def->name, x->def->version,
                    x->options_hash);
        /* The names of the write-only values set, never the values (nor a hash of one). */
        sealed_given_names(&x->sealed, sealed, sizeof(sealed));
        if (sealed[0])
                strbuf_addf(&msg, "Berth-Write-Only: %s\n", sealed);
        int r = commit_by(api, req, res, name, strbuf_str(&msg), fn, c, &err);
        if (r == -EEXIST)
                return api_problem(res, 409, "stack exists", "/name", "there is a stack \"%s\"", name);
        if (r == -ENOTEMPTY)
                return api_problem(res, 409, "stack directory not empty", "/name", "%s", err.msg);
        if (r == -ENODATA)
                return api_problem(res, 409, "nothing to change", NULL,
                                   "stack \"%s\" is already rendered so", name);
        if (r == -ESTALE)
                return api_problem(res, 409, "changed meanwhile", NULL, "%s", err.msg);
        if (r == -EPERM || r == -EINVAL)
                return check_refusal(res, r, &c->check);
        return r < 0 ? commit_failed(res, r, &err) : 0;
}

/* ---- a dry run: the files it would commit, and what the engine would do with them ---- */

static bool dry_run(const Request *req)
{
        const char *dry = api_query(req, "dry_run");
        return dry && strcmp(dry, "true") == 0;
}

static void preview_warn(void *ud, const char *msg)
{
        json_append(ud, cJSON_CreateString(msg));
}

/* The stack's mode: the request's "mode", else the one its stack.json had (meta, may be NULL). */
static int request_mode(const cJSON *body, const cJSON *meta, Rendered *x, Response *res)
{
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "mode");
        DeployMode parsed;
        if (!m)
                m = cJSON_GetObjectItemCaseSensitive(meta, "mode");
        if (!m)
                return 0;
        if (deploy_mode_parse(cJSON_GetStringValue(m), &parsed) < 0)
                return api_problem(res, 422, "invalid mode", "/mode", "mode must be compose or swarm");
        x->mode = (int)parsed;
        return 0;
}

/* How reconcile would deploy the stack: its stack.json's mode, else berth.yaml's at head. */
static DeployMode preview_mode(Repo *repo, const char *head, const Rendered *x)
{
        if (x->mode >= 0)
                return (DeployMode)x->mode;
        Settings s = SETTINGS_INIT;
        DeployMode m = settings_load(repo, head, &s, NULL) >= 0 && s.mode >= 0 ? (DeployMode)s.mode
                                                                               : DEPLOY_COMPOSE;
        settings_done(&s);
        return m;
}

/* The plan reconcile would make for the rendered stack on this engine: the same dry run of the same
 * loader's project, so a service whose content hash is unchanged is shown unchanged. Without an engine,
 * or when the engine refuses the stack, the plan says why instead. */
static cJSON *preview_plan(Api *api, const Rendered *x, DeployMode mode)
{
        const Project *p = x->project;
        char why[300];
        cJSON *o = cJSON_CreateObject();
        _cleanup_engine_ EngineClient *c = live_client(&api->live, why, sizeof(why));
        if (!c) {
                cJSON_AddStringToObject(o, "unavailable", why);
                return o;
        }
        cJSON *warnings = cJSON_AddArrayToObject(o, "warnings");
        StackOptions so = { .dry_run = true, .warn = preview_warn, .ud = warnings };
        _cleanup_(stack_result_done) StackResult sr = { 0 };
        BerthError err = { 0 };
        char line[1400];
        cJSON_AddStringToObject(o, "mode", deployer_of(mode)->name);
        if (deployer_of(mode)->up(c, p, &so, x->source, &sr, &err) < 0) {
                cJSON_AddStringToObject(o, "error", error_format(&err, line, sizeof(line)));
                return o;
        }
        cJSON_AddNumberToObject(o, "changes", (double)plan_changes(&sr.plan));
        cJSON *list = cJSON_AddArrayToObject(o, "actions");
        for (size_t i = 0; i < sr.plan.n; i++) {
                const Action *a = &sr.plan.actions[i];
                cJSON *item = cJSON_CreateObject();
                cJSON_AddStringToObject(item, "service", a->service);
                cJSON_AddStringToObject(item, "action", action_kind_name(a->kind));
                if (a->container_name)
                        cJSON_AddStringToObject(item, "container", a->container_name);
                cJSON_AddStringToObject(item, "reason", a->reason);
                cJSON_AddItemToArray(list, item);
        }
        return o;
}

static int preview(Api *api, Response *res, Repo *repo, const char *head, const char *name,
                   const Rendered *x)
{
        char path[300];
        res->json = cJSON_CreateObject();
        cJSON_AddStringToObject(res->json, "name", name);
        cJSON *files = cJSON_AddObjectToObject(res->json, "files");
        snprintf(path, sizeof(path), "stacks/%s/compose.yaml", name);
        cJSON_AddStringToObject(files, path, x->compose);
        snprintf(path, sizeof(path), "stacks/%s/stack.json", name);
        cJSON_AddStringToObject(files, path, x->meta);
        if (x->sealed.env) {
                /* Ciphertext, as git will hold it. */
                _cleanup_free_ char *env = strndup(x->sealed.env, x->sealed.env_len);
                snprintf(path, sizeof(path), "stacks/%s/.env", name);
                cJSON_AddStringToObject(files, path, env ? env : "");
        }
        cJSON_AddItemToObject(res->json, "plan", preview_plan(api, x, preview_mode(repo, head, x)));
        return res->status = 200;
}

int post_stacks(Api *api, Request *req, Response *res)
{
        _cleanup_cjson_ cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
        _cleanup_(rendered_done) Rendered x = { .mode = -1 };
        char head[41];
        if (!cJSON_IsObject(body))
                return api_problem(res, 400, "bad request", NULL, "the body must be a JSON object");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "name"));
        const char *def = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "definition"));
        if (!name || !project_name_valid(name))
                return api_problem(res, 422, "invalid stack name", "/name",
                                   "a stack name is ^[a-z0-9][a-z0-9_-]{0,62}$");
        if (!def)
                return api_problem(res, 422, "no definition", "/definition", "name a definition");
        if (sync_head(api, res, head))
                return res->status;
        Repo *repo = writer_repo(api->writer);
        char first[256];
        stack_dir_first(repo, head, name, first);
        if (first[0] && !stack_exists(repo, head, name))
                return api_problem(res, 409, "stack directory not empty", "/name",
                                   "stacks/%s/ is not empty: it holds %s; remove what is there first", name,
                                   first);
        if (request_mode(body, NULL, &x, res))
                return res->status;
        if (render_stack(api, repo, head, name, def, cJSON_GetObjectItemCaseSensitive(body, "options"), true,
                         &x, res))
                return res->status;
        if (dry_run(req)) {
                if (stack_exists(repo, head, name))
                        return api_problem(res, 409, "stack exists", "/name", "there is a stack \"%s\"",
                                           name);
                return preview(api, res, repo, head, name, &x);
        }
        _cleanup_(create_done)
                Create c = { .name = name, .compose = x.compose, .meta = x.meta, .sealed = &x.sealed };
        if (commit_stack(api, req, res, "create", name, &x, create_change, &c))
                return res->status;
        return res->status = 201;
}

/* ---- updating a stack: re-rendered from the current template ---- */

/* The whole directory as the change leaves it, checked on the head the commit goes onto: a file that
 * came in since the request was rendered is loaded with the rest. */
static int checked_change(Create *c, Repo *repo, const char *head, const ChangeSet *cs, BerthError *err)
{
        stack_check_done(&c->check);
        c->check = (StackCheck){ 0 };
        int r = stack_check(c->policy, repo, head, c->name, cs, &c->check, NULL, NULL);
        if (r == -EPERM)
                return error_set(err, r, NULL, 0, 0, NULL, "refused by the policy");
        if (r == -EINVAL)
                return error_set(err, r, NULL, 0, 0, NULL, "%s", c->check.err.msg);
        return r;
}

static int update_change(void *ud, Repo *repo, const char *head, ChangeSet *cs, BerthError *err)
{
        Create *c = ud;
        char path[300];
        if (!stack_exists(repo, head, c->name))
                return error_set(err, -ENOENT, NULL, 0, 0, NULL, "there is no stack \"%s\"", c->name);
        snprintf(path, sizeof(path), "stacks/%s/compose.yaml", c->name);
        int r = change_set_add(cs, path, c->compose, strlen(c->compose));
        snprintf(path, sizeof(path), "stacks/%s/stack.json", c->name);
        if (r >= 0)
                r = change_set_add(cs, path, c->meta, strlen(c->meta));
        /* The .env replaced is the one the request saw, or the values someone set meanwhile would go. */
        if (r >= 0 && c->sealed && c->sealed->env && !sealed_current(c->sealed, repo, head, c->name))
                return error_set(err, -ESTALE, NULL, 0, 0, NULL,
                                 "stacks/%s/.env changed since the request was read: ask again", c->name);
        if (r >= 0)
                r = add_sealed(c, cs);
        return r < 0 ? r : checked_change(c, repo, head, cs, err);
}

int put_stack(Api *api, Request *req, Response *res)
{
        _cleanup_cjson_ cJSON *body = cJSON_ParseWithLength(req->body, req->body_len), *meta = NULL;
        _cleanup_(rendered_done) Rendered x = { .mode = -1 };
        _cleanup_free_ char *buf = NULL;
        char head[41], path[300];
        const char *name = req->params[0];
        if (!cJSON_IsObject(body))
                return api_problem(res, 400, "bad request", NULL, "the body must be a JSON object");
        if (sync_head(api, res, head))
                return res->status;
        Repo *repo = writer_repo(api->writer);
        if (!project_name_valid(name) || !stack_exists(repo, head, name))
                return api_problem(res, 404, "no such stack", NULL, "there is no stack \"%s\"", name);
        snprintf(path, sizeof(path), "stacks/%s/stack.json", name);
        if (repo_read(repo, head, path, &buf, NULL, NULL) >= 0)
                meta = cJSON_Parse(buf);
        /* The definition it was made from, unless the request names another. */
        const char *def = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "definition"));
        if (!def)
                def = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "definition"));
        if (!def)
                return api_problem(res, 422, "no definition", "/definition",
                                   "stack \"%s\" was not made from a definition: name one", name);
        bool enabled = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(meta, "enabled"));
        /* A stack keeps its mode through a re-render unless the request names another. */
        if (request_mode(body, meta, &x, res))
                return res->status;
        if (render_stack(api, repo, head, name, def, cJSON_GetObjectItemCaseSensitive(body, "options"),
                         enabled, &x, res))
                return res->status;
        if (dry_run(req))
                return preview(api, res, repo, head, name, &x);
        _cleanup_(create_done) Create c = { .name = name,
                                            .compose = x.compose,
                                            .meta = x.meta,
                                            .sealed = &x.sealed,
                                            .policy = api->policy };
        if (commit_stack(api, req, res, "update", name, &x, update_change, &c))
                return res->status;
        return 200;
}

/* ---- revert ---- */

typedef struct Revert {
        Create c; /* the name, and the policy the directory is held to */
        const char *to;
        char dir[300];
} Revert;

typedef struct RevertWalk {
        ChangeSet *cs;
        const char *dir;
        size_t n_then; /* the changes that bring the old files back come first */
} RevertWalk;

static void revert_done(Revert *rv)
{
        create_done(&rv->c);
}

static int revert_file(void *ud, const char *path, unsigned mode, const void *data, size_t len)
{
        RevertWalk *w = ud;
        char full[600];
        snprintf(full, sizeof(full), "%s/%s", w->dir, path);
        return change_set_add(w->cs, full, data, len);
}

/* A file the stack has now but did not have then goes. */
static int revert_stale(void *ud, const char *path, unsigned mode, const void *data, size_t len)
{
        RevertWalk *w = ud;
        char full[600];
        snprintf(full, sizeof(full), "%s/%s", w->dir, path);
        for (size_t i = 0; i < w->n_then; i++)
                if (strcmp(w->cs->items[i].path, full) == 0)
                        return 0;
        return change_set_remove(w->cs, full);
}

static int revert_change(void *ud, Repo *repo, const char *head, ChangeSet *cs, BerthError *err)
{
        Revert *rv = ud;
        RevertWalk w = { .cs = cs, .dir = rv->dir };
        int r = repo_walk(repo, rv->to, rv->dir, revert_file, &w, err);
        if (r == -ENOENT)
                return error_set(err, -ENOENT, NULL, 0, 0, NULL, "stack \"%s\" has no files at %.12s",
                                 rv->c.name, rv->to);
        w.n_then = cs->n;
        if (r >= 0 && (r = repo_walk(repo, head, rv->dir, revert_stale, &w, err)) == -ENOENT)
                r = 0; /* deleted since: it all comes back */
        /* What was allowed then is not allowed now for that alone: the old files meet today's policy,
         * loaded as the reconciler will load them. */
        return r < 0 ? r : checked_change(&rv->c, repo, head, cs, err);
}

int post_revert(Api *api, Request *req, Response *res)
{
        _cleanup_cjson_ cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
        BerthError err = { 0 };
        char head[41], to[41];
        if (!cJSON_IsObject(body))
                return api_problem(res, 400, "bad request", NULL, "the body must be a JSON object");
        const char *rev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "to"));
        if (!rev)
                return api_problem(res, 422, "invalid request", "/to", "name the commit to revert to");
        if (!project_name_valid(req->params[0]))
                return api_problem(res, 404, "no such stack", NULL, "there is no stack \"%s\"",
                                   req->params[0]);
        if (sync_head(api, res, head))
                return res->status;
        Repo *repo = writer_repo(api->writer);
        /* A commit id of the branch's own history, nothing else: another branch, a dangling commit or a
         * revision expression could bring back files the branch never held. */
        if (repo_resolve_id(repo, rev, to, &err) < 0)
                return api_problem(res, 422, "unknown commit", "/to", "%s", err.msg);
        if (repo_descends(repo, head, to, &err) != 1)
                return api_problem(res, 422, "not on the branch", "/to",
                                   "commit %.12s is not in the history of %s", to, api->branch);
        _cleanup_(revert_done)
                Revert rv = { .c = { .name = req->params[0], .policy = api->policy }, .to = to };
        snprintf(rv.dir, sizeof(rv.dir), "stacks/%s", rv.c.name);
        _cleanup_strbuf_ StrBuf msg = STRBUF_INIT;
        strbuf_addf(&msg, "berth-api: revert stack %s to %.12s\n\nBerth-Revert-To: %s\n", rv.c.name, to, to);
        err = (BerthError){ 0 };
        int r = commit_by(api, req, res, rv.c.name, strbuf_str(&msg), revert_change, &rv, &err);
        if (r == -ENOENT)
                return api_problem(res, 422, "nothing to revert to", "/to", "%s", err.msg);
        if (r == -ENODATA)
                return api_problem(res, 409, "nothing to change", "/to",
                                   "stack \"%s\" is as it was at %.12s", rv.c.name, to);
        if (r == -EPERM || r == -EINVAL)
                return check_refusal(res, r, &rv.c.check);
        return r < 0 ? commit_failed(res, r, &err) : (res->status = 201);
}

/* ---- deleting a stack ---- */

static int delete_change(void *ud, Repo *repo, const char *head, ChangeSet *cs, BerthError *err)
{
        const char *name = ud;
        StackList stacks = { 0 };
        int r = repo_stacks(repo, head, &stacks, NULL, NULL, err);
        const StackDesc *d = r >= 0 ? stack_list_find(&stacks, name) : NULL;
        if (r >= 0 && !d)
                r = error_set(err, -ENOENT, NULL, 0, 0, NULL, "there is no stack \"%s\"", name);
        if (r >= 0) {
                char meta[300];
                r = change_set_remove(cs, d->file ? d->file : d->dir);
                stack_desc_meta_path(d, meta, sizeof(meta));
                if (r >= 0 && d->file)
                        r = change_set_remove(cs, meta);
        }
        stack_list_done(&stacks);
        return r;
}

int delete_stack(Api *api, Request *req, Response *res)
{
        BerthError err = { 0 };
        _cleanup_strbuf_ StrBuf msg = STRBUF_INIT;
        strbuf_addf(&msg, "berth-api: delete stack %s\n", req->params[0]);
        int r = commit_by(api, req, res, req->params[0], strbuf_str(&msg), delete_change, req->params[0],
                          &err);
        return r < 0 ? commit_failed(res, r, &err) : 200;
}

/* ---- enabling and disabling ---- */

typedef struct Toggle {
        const char *name;
        bool enabled;
} Toggle;

static int toggle_change(void *ud, Repo *repo, const char *head, ChangeSet *cs, BerthError *err)
{
        Toggle *t = ud;
        StackList stacks = { 0 };
        _cleanup_free_ char *buf = NULL;
        char path[300];
        int r = repo_stacks(repo, head, &stacks, NULL, NULL, err);
        const StackDesc *d = r >= 0 ? stack_list_find(&stacks, t->name) : NULL;
        if (r >= 0 && !d)
                r = error_set(err, -ENOENT, NULL, 0, 0, NULL, "there is no stack \"%s\"", t->name);
        if (r >= 0)
                stack_desc_meta_path(d, path, sizeof(path));
        stack_list_done(&stacks);
        if (r < 0)
                return r;
        /* The rest of stack.json (what the stack was made from) stays as it is. */
        _cleanup_cjson_ cJSON *meta =
                repo_read(repo, head, path, &buf, NULL, NULL) >= 0 ? cJSON_Parse(buf) : NULL;
        if (!cJSON_IsObject(meta)) {
                cJSON_Delete(meta);
                meta = cJSON_CreateObject();
        }
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "enabled");
        cJSON_AddBoolToObject(meta, "enabled", t->enabled);
        _cleanup_free_ char *text = json_print(meta, true);
        return text ? change_set_add(cs, path, text, strlen(text)) : -ENOMEM;
}

int patch_stack(Api *api, Request *req, Response *res)
{
        _cleanup_cjson_ cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
        cJSON *enabled = cJSON_GetObjectItemCaseSensitive(body, "enabled");
        BerthError err = { 0 };
        if (!cJSON_IsObject(body))
                return api_problem(res, 400, "bad request", NULL, "the body must be a JSON object");
        if (!cJSON_IsBool(enabled))
                return api_problem(res, 422, "invalid request", "/enabled", "enabled must be true or false");
        Toggle t = { .name = req->params[0], .enabled = cJSON_IsTrue(enabled) };
        _cleanup_strbuf_ StrBuf msg = STRBUF_INIT;
        strbuf_addf(&msg, "berth-api: %s stack %s\n", t.enabled ? "enable" : "disable", t.name);
        int r = commit_by(api, req, res, t.name, strbuf_str(&msg), toggle_change, &t, &err);
        if (r == -ENODATA)
                return api_problem(res, 409, "nothing to change", "/enabled", "stack \"%s\" is %s already",
                                   t.name, t.enabled ? "enabled" : "disabled");
        if (r < 0)
                return commit_failed(res, r, &err);
        cJSON_AddBoolToObject(res->json, "enabled", t.enabled);
        return 200;
}
