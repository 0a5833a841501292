/* stackplan.c: one stack of a plan: loading it from a commit, writing its files, freeing it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fileio.h"
#include "stackplan.h"
#include "../util/json.h"

/* The loaded tree and project, not the plan's verdict or result. */
void stackplan_unload(StackPlan *s)
{
        free(s->root);
        s->root = NULL;
        s->project = project_free(s->project);
        s->source = source_unref(s->source);
}

void stackplan_done(StackPlan *s)
{
        free(s->name);
        stackplan_unload(s);
        free(s->refs);
        free(s->desc_dir);
        free(s->desc_file);
        strv_free(s->needs);
        cJSON_Delete(s->pins);
        free(s->after);
        stack_result_done(&s->result);
}

void reconcile_plan_done(ReconcilePlan *plan)
{
        for (size_t i = 0; i < plan->n; i++)
                stackplan_done(&plan->stacks[i]);
        free(plan->stacks);
        free(plan->repo_identity);
        free(plan->target);
        *plan = (ReconcilePlan){ 0 };
}

/* Whether the comma-separated list holds path as a whole entry (not as part of another). */
bool stackplan_refs_has(const char *list, const char *path)
{
        size_t n = strlen(path);
        for (const char *r = list; r && *r;) {
                const char *end = strchrnul(r, ',');
                if ((size_t)(end - r) == n && strncmp(r, path, n) == 0)
                        return true;
                r = *end ? end + 1 : end;
        }
        return false;
}

/* Loads the stack as commit has it, straight from git objects, as it will stand in its directory under
 * the state dir (which this does not touch: a plan writes nothing). */
int stackplan_load(Repo *repo, const char *commit, const ReconcileOptions *o, StateDir *sd, StackPlan *s,
                   BerthError *err)
{
        _cleanup_source_ Source *src = NULL;
        int r;

        if (!(s->root = statedir_stack_path(sd, s->name)))
                return -ENOMEM;
        if ((r = repo_source_new(repo, commit, s->desc_dir, s->root, &src, err)) < 0 ||
            (r = source_allow(src, (const char *const *)o->allowed_host_paths, o->n_allowed_host_paths)) < 0)
                return r;
        _cleanup_free_ char *project_dir = path_join(s->root, s->desc_dir);
        _cleanup_free_ char *file = s->desc_file ? path_join(s->root, s->desc_file) : NULL;
        if (!project_dir || (s->desc_file && !file))
                return -ENOMEM;
        char *files[] = { file, NULL };
        ComposeOptions co = { .files = file ? files : NULL,
                              .n_files = file ? 1 : 0,
                              .project_name = s->name,
                              .project_directory = project_dir,
                              .os_env = o->env,
                              .age_keys = o->age_keys,
                              .cwd = project_dir,
                              .source = src };
        r = project_load(&co, &s->project, err);
        if (r < 0 && err)
                error_unroot(err, s->root);
        if (r >= 0)
                s->source = TAKE_PTR(src);
        return r;
}

/* Writes the stack's files as commit has them into its directory, with the manifest (statedir.h). */
int stackplan_sync(Repo *repo, const char *commit, StateDir *sd, const StackPlan *s, BerthError *err)
{
        _cleanup_(statedir_sync_freep) StateSync *sync = NULL;
        BerthError werr = { 0 };
        int r = statedir_sync_begin(sd, s->name, &sync, err);
        if (r < 0)
                return r;
        r = repo_walk_stack(repo, commit, s->desc_dir, statedir_sync_put, sync, &werr);
        if (r < 0) {
                if (statedir_sync_error(sync)->set)
                        werr = *statedir_sync_error(sync);
                if (err && !err->set)
                        *err = werr;
                return r;
        }
        return statedir_sync_finish(sync, commit, err);
}

int stackplan_set_desc(StackPlan *s, const StackDesc *d)
{
        s->desc_dir = strdup(d->dir);
        s->desc_file = d->file ? strdup(d->file) : NULL;
        return s->desc_dir && (!d->file || s->desc_file) ? 0 : -ENOMEM;
}

int stackplan_outside_refs(const StackPlan *s, const StackDesc *d, char **ret)
{
        _cleanup_strbuf_ StrBuf sb = STRBUF_INIT;
        size_t wl = strlen(s->root);
        size_t dl = strlen(d->dir);
        _cleanup_cjson_ cJSON *all = cJSON_CreateArray();
        if (!all)
                return -ENOMEM;
        for (char **f = s->project->files; f && *f; f++)
                if (!json_append(all, cJSON_CreateString(*f)))
                        return -ENOMEM;
        for (cJSON *svc = s->project->refs ? s->project->refs->child : NULL; svc; svc = svc->next)
                for (cJSON *f = svc->child; f; f = f->next)
                        if (!json_append(all, cJSON_CreateString(f->valuestring)))
                                return -ENOMEM;
        for (cJSON *f = all->child; f; f = f->next) {
                const char *p = f->valuestring;
                if (!p || strncmp(p, s->root, wl) != 0 || p[wl] != '/')
                        continue;
                p += wl + 1;
                if (dl && strncmp(p, d->dir, dl) == 0 && p[dl] == '/')
                        continue; /* inside its own directory: covered by the directory */
                if (stackplan_refs_has(sb.buf, p))
                        continue;
                strbuf_addf(&sb, "%s%s", sb.len ? "," : "", p);
        }
        return (*ret = strbuf_detach(&sb)) ? 0 : -ENOMEM;
}

static void lock_repo(void *ud)
{
        repo_lock(ud);
}

static void unlock_repo(void *ud)
{
        repo_unlock(ud);
}

int stackplan_shared_source(Repo *repo, const StackPlan *s, Source **ret)
{
        return s->source ? source_locked_new(s->source, lock_repo, unlock_repo, repo, ret) : -ENOENT;
}
