/* reconcile.c: per-stack decisions from git and live labels, and their execution. */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../compose/yaml.h"
#include "../deploy/live.h"
#include "../util/digest.h"
#include "../util/fileio.h"
#include "../statedir/statedir.h"
#include "../util/units.h"
#include "reconcile.h"
#include "settings.h"

const char *stack_verdict_name(StackVerdict v)
{
        static const char *const names[] = { "skip", "deploy", "update", "remove", "refused", "invalid" };
        return v <= VERDICT_INVALID ? names[v] : "?";
}

const char *stack_result_name(const StackPlan *s)
{
        if (s->verdict == VERDICT_INVALID)
                return "invalid";
        if (s->verdict == VERDICT_REFUSED)
                return "refused";
        if (!s->applied)
                return s->verdict == VERDICT_SKIP ? "unchanged" : "planned";
        return s->ok ? "ok" : s->rolled_back ? "FAILED, rolled back" : "FAILED";
}

/* The loaded tree and project, not the plan's verdict or result. */
static void stack_unload(StackPlan *s)
{
        free(s->root);
        s->root = NULL;
        s->project = project_free(s->project);
}

static void stack_plan_done(StackPlan *s)
{
        free(s->name);
        stack_unload(s);
        free(s->refs);
        free(s->desc_dir);
        free(s->desc_file);
        stack_result_done(&s->result);
}

void reconcile_plan_done(ReconcilePlan *plan)
{
        for (size_t i = 0; i < plan->n; i++)
                stack_plan_done(&plan->stacks[i]);
        free(plan->stacks);
        free(plan->repo_identity);
        free(plan->target);
        *plan = (ReconcilePlan){ 0 };
}

size_t reconcile_changes(const ReconcilePlan *plan)
{
        size_t n = 0;
        for (size_t i = 0; i < plan->n; i++)
                n += plan->stacks[i].verdict == VERDICT_DEPLOY ||
                     plan->stacks[i].verdict == VERDICT_UPDATE || plan->stacks[i].verdict == VERDICT_REMOVE;
        return n;
}

static StackPlan *add_stack(ReconcilePlan *plan, size_t *alloc, const char *name)
{
        if (plan->n == *alloc) {
                size_t n = *alloc ? *alloc * 2 : 32;
                StackPlan *v = realloc(plan->stacks, n * sizeof(StackPlan));
                if (!v)
                        return NULL;
                plan->stacks = v;
                *alloc = n;
        }
        StackPlan *s = &plan->stacks[plan->n];
        *s = (StackPlan){ .name = strdup(name) };
        if (!s->name)
                return NULL;
        plan->n++;
        return s;
}

/* ---- what changed between two commits, computed once per deployed commit ---- */

typedef struct Changes {
        char from[41];
        char **paths;
        size_t n, alloc;
        struct Changes *next;
} Changes;

static int changes_add(void *ud, const char *path)
{
        Changes *c = ud;
        if (c->n == c->alloc) {
                size_t n = c->alloc ? c->alloc * 2 : 64;
                char **v = realloc(c->paths, n * sizeof(char *));
                if (!v)
                        return -ENOMEM;
                c->paths = v;
                c->alloc = n;
        }
        return (c->paths[c->n++] = strdup(path)) ? 0 : -ENOMEM;
}

static void changes_free(Changes *c)
{
        while (c) {
                Changes *next = c->next;
                for (size_t i = 0; i < c->n; i++)
                        free(c->paths[i]);
                free(c->paths);
                free(c);
                c = next;
        }
}

static int changes_between(Repo *repo, Changes **cache, const char *from, const char *to, Changes **ret,
                           BerthError *err)
{
        for (Changes *c = *cache; c; c = c->next)
                if (strcmp(c->from, from) == 0) {
                        *ret = c;
                        return 0;
                }
        Changes *c = calloc(1, sizeof(Changes));
        if (!c)
                return -ENOMEM;
        snprintf(c->from, sizeof(c->from), "%s", from);
        int r = repo_changed_paths(repo, from, to, changes_add, c, err);
        if (r < 0) {
                changes_free(c);
                return r;
        }
        c->next = *cache;
        *cache = c;
        *ret = c;
        return 0;
}

/* Whether the comma-separated list holds path as a whole entry (not as part of another). */
static bool refs_has(const char *list, const char *path)
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

/* True when a changed path is the stack's own (its directory, or its flat-layout files) or one it
 * recorded as read from outside (the io.berth.refs label). */
static bool stack_touched(const StackDesc *d, const char *refs, const Changes *c, const char **ret_path)
{
        size_t dl = strlen(d->dir);
        for (size_t i = 0; i < c->n; i++) {
                const char *p = c->paths[i];
                bool hit = false;
                if (dl && strncmp(p, d->dir, dl) == 0 && p[dl] == '/')
                        hit = true;
                if (!dl && d->file && strcmp(p, d->file) == 0)
                        hit = true;
                if (!hit)
                        hit = refs_has(refs, p);
                if (hit) {
                        *ret_path = p;
                        return true;
                }
        }
        return false;
}

/* ---- loading one stack from a commit ---- */

/* Loads the stack as commit has it, straight from git objects, as it will stand in its directory under
 * the state dir (which this does not touch: a plan writes nothing). */
static int load_stack(Repo *repo, const char *commit, const ReconcileOptions *o, StateDir *sd, StackPlan *s,
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
                              .cwd = project_dir,
                              .source = src };
        r = project_load(&co, &s->project, err);
        if (r < 0 && err)
                error_unroot(err, s->root);
        return r;
}

/* Writes the stack's files as commit has them into its directory, with the manifest (statedir.h). */
static int sync_stack(Repo *repo, const char *commit, StateDir *sd, const StackPlan *s, BerthError *err)
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

static int set_desc(StackPlan *s, const StackDesc *d)
{
        s->desc_dir = strdup(d->dir);
        s->desc_file = d->file ? strdup(d->file) : NULL;
        return s->desc_dir && (!d->file || s->desc_file) ? 0 : -ENOMEM;
}

static char *outside_refs(const StackPlan *s, const StackDesc *d)
{
        StrBuf sb = STRBUF_INIT;
        size_t wl = strlen(s->root);
        size_t dl = strlen(d->dir);
        cJSON *all = cJSON_CreateArray();
        for (char **f = s->project->files; f && *f; f++)
                cJSON_AddItemToArray(all, cJSON_CreateString(*f));
        for (cJSON *svc = s->project->refs ? s->project->refs->child : NULL; svc; svc = svc->next)
                for (cJSON *f = svc->child; f; f = f->next)
                        cJSON_AddItemToArray(all, cJSON_CreateString(f->valuestring));
        for (cJSON *f = all->child; f; f = f->next) {
                const char *p = f->valuestring;
                if (strncmp(p, s->root, wl) != 0 || p[wl] != '/')
                        continue;
                p += wl + 1;
                if (dl && strncmp(p, d->dir, dl) == 0 && p[dl] == '/')
                        continue; /* inside its own directory: covered by the directory */
                if (refs_has(sb.buf, p))
                        continue;
                strbuf_addf(&sb, "%s%s", sb.len ? "," : "", p);
        }
        cJSON_Delete(all);
        return strbuf_detach(&sb);
}

/* ---- the plan ---- */

typedef struct LiveStack {
        bool present;
        bool all_running;
        const char *repo;
        const char *commits[16]; /* distinct io.berth.commit values of its containers */
        unsigned expected[16];   /* and the io.berth.containers of each */
        size_t n_commits;
        unsigned count;  /* its containers (not one-off) */
        bool unlabelled; /* a container without a commit (deployed by hand) */
        const char *refs;
} LiveStack;

/* The live containers by project, so that each stack's are found by binary search: with thousands of
 * stacks, a scan of the whole list per stack would be most of a plan's time. */
typedef struct LiveRef {
        const char *project;
        const LiveContainer *c;
} LiveRef;

static int cmp_ref(const void *a, const void *b)
{
        const LiveRef *x = a, *y = b;
        int c = strcmp(x->project, y->project);
        return c ? c : (x->c > y->c) - (x->c < y->c);
}

static LiveRef *live_index(const LiveSet *live, size_t *ret_n)
{
        LiveRef *v = calloc(live->n ? live->n : 1, sizeof(LiveRef));
        size_t n = 0;
        if (!v)
                return NULL;
        for (size_t i = 0; i < live->n; i++) {
                const char *project = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(live->items[i].raw, "Labels"), LABEL_PROJECT));
                if (project)
                        v[n++] = (LiveRef){ .project = project, .c = &live->items[i] };
        }
        qsort(v, n, sizeof(LiveRef), cmp_ref);
        *ret_n = n;
        return v;
}

/* The first entry of the project's run (or where it would be). */
static size_t live_lower(const LiveRef *idx, size_t n, const char *name)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(idx[mid].project, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static LiveStack live_stack(const LiveRef *idx, size_t n, const char *name)
{
        LiveStack l = { .all_running = true };
        for (size_t i = live_lower(idx, n, name); i < n && strcmp(idx[i].project, name) == 0; i++) {
                const LiveContainer *c = idx[i].c;
                if (c->oneoff)
                        continue;
                l.present = true;
                l.count++;
                l.all_running &= c->state && strcmp(c->state, "running") == 0;
                if (!l.repo)
                        l.repo = c->repo;
                if (!c->commit)
                        l.unlabelled = true;
                else {
                        bool seen = false;
                        for (size_t k = 0; k < l.n_commits && !seen; k++)
                                seen = strcmp(l.commits[k], c->commit) == 0;
                        if (!seen && l.n_commits < ELEMENTSOF(l.commits)) {
                                const char *count = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                        cJSON_GetObjectItemCaseSensitive(c->raw, "Labels"),
                                        LABEL_CONTAINERS));
                                l.expected[l.n_commits] = count ? (unsigned)strtoul(count, NULL, 10) : 0;
                                l.commits[l.n_commits++] = c->commit;
                        }
                }
                if (!l.refs)
                        l.refs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(c->raw, "Labels"), LABEL_REFS));
        }
        return l;
}

/* The commits a stack is deployed from. Containers a reconcile left alone keep their older label, and
 * a rollback labels what it replaced with an older commit than the rest, so both ends count: the
 * oldest is where the diff starts (a superset: nothing changed is missed), the newest is what a
 * downgrade is judged against. Both NULL, with a reason, when there is no single line of history. */
/* What git says of the deployed commits, asked once per commit rather than once per stack: thousands
 * of stacks deployed from the same few commits would otherwise each read the same objects. */
typedef struct CommitMemo {
        struct {
                char id[41];
                int has;           /* repo_has_commit */
                int descends_head; /* repo_descends(id, head); -2: not asked yet */
        } v[32];
        size_t n;
} CommitMemo;

static int memo_slot(CommitMemo *m, Repo *repo, const char *id)
{
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->v[i].id, id) == 0)
                        return (int)i;
        if (m->n == ELEMENTSOF(m->v))
                return -1;
        snprintf(m->v[m->n].id, sizeof(m->v[m->n].id), "%s", id);
        m->v[m->n].has = repo_has_commit(repo, id);
        m->v[m->n].descends_head = -2;
        return (int)m->n++;
}

static bool memo_has(CommitMemo *m, Repo *repo, const char *id)
{
        int k = memo_slot(m, repo, id);
        return k < 0 ? repo_has_commit(repo, id) : m->v[k].has;
}

static int memo_descends(CommitMemo *m, Repo *repo, const char *id, const char *head, BerthError *err)
{
        int k = memo_slot(m, repo, id);
        if (k < 0)
                return repo_descends(repo, id, head, err);
        if (m->v[k].descends_head == -2)
                m->v[k].descends_head = repo_descends(repo, id, head, err);
        return m->v[k].descends_head;
}

static void deployed_commits(Repo *repo, CommitMemo *memo, const LiveStack *ls, const char **ret_oldest,
                             const char **ret_newest, const char **ret_why)
{
        const char *oldest = NULL, *newest = NULL;
        *ret_oldest = *ret_newest = NULL;
        *ret_why = NULL;
        if (ls->unlabelled || ls->n_commits == 0) {
                *ret_why = "deployed without a commit (by hand?): full plan";
                return;
        }
        for (size_t i = 0; i < ls->n_commits; i++) {
                const char *c = ls->commits[i];
                BerthError e = { 0 };
                if (!memo_has(memo, repo, c)) {
                        *ret_oldest = c;
                        *ret_why = "is not in the repo (force-pushed away?): full plan";
                        return;
                }
                if (!newest) {
                        oldest = newest = c;
                        continue;
                }
                if (repo_descends(repo, c, newest, &e) == 1)
                        newest = c;
                else if (repo_descends(repo, newest, c, &e) != 1) {
                        *ret_why = "deployed from commits on diverged histories: full plan";
                        return;
                }
                if (repo_descends(repo, oldest, c, &e) == 1)
                        oldest = c;
        }
        *ret_oldest = oldest;
        *ret_newest = newest;
}

/* 1 when the stack's directory on this host holds another commit's version of its files than head
 * (a files-only sync that a later commit undid, or one cut short), 0 when not or never synced. */
static int files_stale(Repo *repo, Changes **cache, CommitMemo *memo, StateDir *sd, const StackDesc *d,
                       const char *refs, const char *head, const char **ret_path)
{
        char synced[41];
        Changes *ch = NULL;
        statedir_marker_read(sd, d->name, synced);
        if (!synced[0] || strcmp(synced, head) == 0 || !memo_has(memo, repo, synced))
                return 0;
        int r = changes_between(repo, cache, synced, head, &ch, NULL);
        if (r < 0)
                return r;
        return stack_touched(d, refs, ch, ret_path) ? 1 : 0;
}

static void warn_cb(void *ud, const char *msg)
{
        const ReconcileOptions *o = ud;
        if (o->warn)
                o->warn(o->ud, msg);
}

int reconcile_plan(EngineClient *c, Repo *repo, const ReconcileOptions *o, ReconcilePlan *ret,
                   BerthError *err)
{
        ReconcilePlan plan = { 0 };
        StackList stacks = { 0 };
        LiveSet live = { 0 };
        Changes *cache = NULL;
        LiveRef *idx = NULL;
        CommitMemo memo = { 0 };
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        size_t alloc = 0, n_idx = 0;
        int r;

        if ((r = repo_resolve(repo, o->rev ? o->rev : "HEAD", plan.head, err)) < 0)
                return r;
        if ((r = statedir_open(o->state_dir, repo_identity(repo), false, &sd, err)) < 0)
                return r;
        if (!(plan.repo_identity = strdup(repo_identity(repo))) ||
            (o->target && !(plan.target = strdup(o->target->name)))) {
                reconcile_plan_done(&plan);
                return -ENOMEM;
        }
        if ((r = repo_stacks(repo, plan.head, &stacks, warn_cb, (void *)o, err)) < 0 ||
            (r = live_list(c, NULL, &live, err)) < 0)
                goto out;
        if (!(idx = live_index(&live, &n_idx))) {
                r = -ENOMEM;
                goto out;
        }

        for (size_t i = 0; i < stacks.n; i++) {
                const StackDesc *d = &stacks.items[i];
                if ((o->only && strcmp(d->name, o->only) != 0) || !target_has_stack(o->target, d->name))
                        continue;
                LiveStack ls = live_stack(idx, n_idx, d->name);
                StackPlan *s = add_stack(&plan, &alloc, d->name);
                const char *path = NULL;
                if (!s) {
                        r = -ENOMEM;
                        goto out;
                }
                const char *why = NULL, *deployed = NULL, *newest = NULL;
                if (ls.present)
                        deployed_commits(repo, &memo, &ls, &deployed, &newest, &why);
                if (deployed)
                        snprintf(s->deployed, sizeof(s->deployed), "%s", deployed);
                if (ls.present && ls.repo && strcmp(ls.repo, plan.repo_identity) != 0 &&
                    strcmp(ls.repo, "local") != 0) {
                        s->verdict = VERDICT_REFUSED;
                        snprintf(s->reason, sizeof(s->reason),
                                 "stack \"%s\" on this engine belongs to another repo (%s)", d->name,
                                 ls.repo);
                        continue;
                }
                s->verdict = ls.present ? VERDICT_UPDATE : VERDICT_DEPLOY;
                if (!ls.present)
                        snprintf(s->reason, sizeof(s->reason), "new stack: not on this engine yet");
                else if (why)
                        snprintf(s->reason, sizeof(s->reason), "%s%.12s%s%s",
                                 deployed ? "deployed commit " : "", deployed ? deployed : "",
                                 deployed ? " " : "", why);
                else {
                        int desc = memo_descends(&memo, repo, newest, plan.head, err);
                        if (desc < 0) {
                                r = desc;
                                goto out;
                        }
                        if (desc && strcmp(newest, plan.head) != 0 && !o->allow_downgrade) {
                                s->verdict = VERDICT_REFUSED;
                                snprintf(s->reason, sizeof(s->reason),
                                         "%.12s is older than the deployed commit %.12s: refusing to "
                                         "downgrade (an older "
                                         "pipeline running late? use --allow-downgrade to roll back)",
                                         plan.head, newest);
                                continue;
                        }
                        /* Every container's commit against the target: a stack is touched if its files
                         * changed since any of them (a rollback leaves older and newer labels side by side). */
                        const char *from = NULL;
                        bool touched = false;
                        for (size_t k = 0; k < ls.n_commits && !touched; k++) {
                                Changes *ch = NULL;
                                if ((r = changes_between(repo, &cache, ls.commits[k], plan.head, &ch, err)) <
                                    0)
                                        goto out;
                                touched = stack_touched(d, ls.refs, ch, &path);
                                from = ls.commits[k];
                        }
                        /* The count the newest deploy wrote: fewer containers mean it was cut short
                         * (or some were removed by hand) and the stack must be looked at. */
                        unsigned expected = 0;
                        for (size_t k = 0; k < ls.n_commits; k++)
                                if (strcmp(ls.commits[k], newest) == 0)
                                        expected = ls.expected[k];
                        if (touched)
                                snprintf(s->reason, sizeof(s->reason), "%s changed between %.12s and %.12s",
                                         path, from, plan.head);
                        else if (ls.count < expected)
                                snprintf(s->reason, sizeof(s->reason),
                                         "%u of its %u containers exist: checking live state", ls.count,
                                         expected);
                        else if (!o->all && ls.all_running &&
                                 (r = files_stale(repo, &cache, &memo, sd, d, ls.refs, plan.head, &path)) ==
                                         0) {
                                s->verdict = VERDICT_SKIP;
                                snprintf(s->reason, sizeof(s->reason), "unchanged since %.12s", deployed);
                                continue;
                        } else if (r < 0)
                                goto out;
                        else if (!o->all && ls.all_running)
                                snprintf(s->reason, sizeof(s->reason),
                                         "its files on this host are older than %.12s (%s differs)",
                                         plan.head, path);
                        else
                                snprintf(s->reason, sizeof(s->reason),
                                         ls.all_running ? "checking live state (--all)"
                                                        : "a container is not running: checking live state");
                }
                /* Parse and plan the services. An invalid stack fails alone, with its own error. */
                if ((r = set_desc(s, d)) < 0)
                        goto out;
                if ((r = load_stack(repo, plan.head, o, sd, s, &s->error)) < 0) {
                        s->verdict = VERDICT_INVALID;
                        r = 0;
                        continue;
                }
                s->refs = outside_refs(s, d);
                StackOptions so = {
                        .dry_run = true,
                        .warn = o->warn,
                        .ud = o->ud,
                        .id = { .repo = plan.repo_identity, .commit = plan.head, .refs = s->refs }
                };
                if ((r = stack_up(c, s->project, &so, &s->result, &s->error)) < 0) {
                        s->verdict = VERDICT_INVALID;
                        r = 0;
                        continue;
                }
                if (s->verdict == VERDICT_UPDATE && plan_changes(&s->result.plan) == 0) {
                        /* No container changes; but the stack's files on this host (bind mounts) may
                         * still be at an older commit, and are then brought up to date in place. */
                        char synced[41];
                        size_t n = strlen(s->reason);
                        statedir_marker_read(sd, s->name, synced);
                        if (strcmp(synced, plan.head) == 0)
                                s->verdict = VERDICT_SKIP;
                        snprintf(s->reason + n, sizeof(s->reason) - n, "; every service is up to date%s",
                                 s->verdict == VERDICT_SKIP ? "" : ", its files are updated in place");
                }
        }
        /* Stacks this repo deployed that the commit no longer has (or this target no longer gets). */
        for (size_t i = 0; i < n_idx; i++) {
                const char *project = idx[i].project;
                const LiveContainer *lc = NULL;
                for (; i < n_idx && strcmp(idx[i].project, project) == 0; i++)
                        if (!lc && idx[i].c->repo && strcmp(idx[i].c->repo, plan.repo_identity) == 0)
                                lc = idx[i].c;
                i--; /* the loop's own step moves to the next project */
                bool in_git = stack_list_find(&stacks, project) != NULL;
                if (!lc || (in_git && target_has_stack(o->target, project)) ||
                    (o->only && strcmp(project, o->only) != 0))
                        continue; /* planned above, another repo's, or not asked for */
                StackPlan *s = add_stack(&plan, &alloc, project);
                if (!s) {
                        r = -ENOMEM;
                        goto out;
                }
                if (lc->commit)
                        snprintf(s->deployed, sizeof(s->deployed), "%s", lc->commit);
                s->verdict = o->prune ? VERDICT_REMOVE : VERDICT_SKIP;
                if (in_git)
                        snprintf(s->reason, sizeof(s->reason),
                                 "berth.yaml maps it to other targets than %s%s", o->target->name,
                                 o->prune ? "" : "; kept (prune: false)");
                else
                        snprintf(s->reason, sizeof(s->reason), "removed from git%s",
                                 o->prune ? "" : "; kept (prune: false)");
        }
        *ret = plan;
        plan = (ReconcilePlan){ 0 };
out:
        free(idx);
        changes_free(cache);
        live_done(&live);
        stack_list_done(&stacks);
        reconcile_plan_done(&plan);
        return r;
}

/* ---- apply ---- */

typedef struct ProgressCtx {
        const ReconcileOptions *o;
        const char *stack;
} ProgressCtx;

static void stack_progress(void *ud, const Action *a, const char *phase, const char *error)
{
        ProgressCtx *p = ud;
        if (p->o->progress)
                p->o->progress(p->o->ud, p->stack, a, phase, error);
}

static void stack_warn(void *ud, const char *msg)
{
        ProgressCtx *p = ud;
        if (p->o->warn)
                p->o->warn(p->o->ud, msg);
}

static int rollback(EngineClient *c, Repo *repo, StateDir *sd, ReconcilePlan *plan, StackPlan *s,
                    const ReconcileOptions *o, BerthError *ret_err)
{
        StackPlan old = { .name = s->name };
        StackList stacks = { 0 };
        BerthError err = { 0 };
        int r = repo_stacks(repo, s->deployed, &stacks, NULL, NULL, &err);
        const StackDesc *d = r >= 0 ? stack_list_find(&stacks, s->name) : NULL;
        if (!d) {
                stack_list_done(&stacks);
                if (!err.set)
                        error_set(&err, -ENOENT, NULL, 0, 0, NULL, "commit %.12s has no stack \"%s\"",
                                  s->deployed, s->name);
                *ret_err = err;
                return -ENOENT;
        }
        if ((r = set_desc(&old, d)) >= 0 && (r = load_stack(repo, s->deployed, o, sd, &old, &err)) >= 0)
                r = sync_stack(repo, s->deployed, sd, &old, &err);
        _cleanup_free_ char *refs = r >= 0 ? outside_refs(&old, d) : NULL;
        ProgressCtx pc = { .o = o, .stack = s->name };
        StackOptions so = { .parallel = o->parallel,
                            .timeout_s = o->health_timeout_s,
                            .wait = false,
                            .warn = stack_warn,
                            .progress = stack_progress,
                            .ud = &pc,
                            .id = { .repo = plan->repo_identity, .commit = s->deployed, .refs = refs } };
        if (r >= 0)
                r = stack_up(c, old.project, &so, &old.result, &err);
        old.name = NULL;
        stack_plan_done(&old);
        stack_list_done(&stacks);
        if (r < 0)
                *ret_err = err;
        return r;
}

/* A pruned stack: its containers and networks (volumes with prune_volumes), and what berth wrote in its
 * directory. What its containers wrote there stays, as volumes do, and the reason says where. */
static int remove_stack(EngineClient *c, StateDir *sd, StackPlan *s, const ReconcileOptions *o)
{
        DownOptions d = { .volumes = o->prune_volumes, .parallel = o->parallel, .timeout_s = -1 };
        StateKept kept = { 0 };
        int r = stack_down(c, s->name, &d, &s->error);
        if (r < 0 || (r = statedir_remove(sd, s->name, o->prune_volumes, &kept, &s->error)) < 0)
                return r;
        if (kept.files) {
                size_t n = strlen(s->reason);
                snprintf(s->reason + n, sizeof(s->reason) - n,
                         "; kept %llu file%s (%.1f KiB) that its containers wrote, in %s (prune_volumes: "
                         "true "
                         "removes them)",
                         (unsigned long long)kept.files, kept.files == 1 ? "" : "s",
                         (double)kept.bytes / 1024.0, kept.path);
                if (o->warn) {
                        char line[1200];
                        snprintf(line, sizeof(line), "stack %s: %s", s->name, s->reason);
                        o->warn(o->ud, line);
                }
        }
        state_kept_done(&kept);
        return 0;
}

int reconcile_apply(EngineClient *c, Repo *repo, ReconcilePlan *plan, const ReconcileOptions *o,
                    BerthError *err)
{
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        int r = statedir_open(o->state_dir, plan->repo_identity, true, &sd, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < plan->n; i++) {
                StackPlan *s = &plan->stacks[i];
                ProgressCtx pc = { .o = o, .stack = s->name };
                double start = units_now_s();

                if (s->verdict == VERDICT_SKIP || s->verdict == VERDICT_REFUSED ||
                    s->verdict == VERDICT_INVALID)
                        continue;
                s->applied = true;
                if (s->verdict == VERDICT_REMOVE)
                        r = remove_stack(c, sd, s, o);
                else {
                        stack_result_done(&s->result);
                        /* The plan loaded the stack as it stands in its directory; now its files are put
                         * there, for its containers' bind mounts and configs. */
                        if ((r = sync_stack(repo, plan->head, sd, s, &s->error)) < 0) {
                                s->ok = false;
                                s->seconds = units_now_s() - start;
                                continue;
                        }
                        StackOptions so = {
                                .parallel = o->parallel,
                                .timeout_s = o->health_timeout_s,
                                .wait = true,
                                .warn = stack_warn,
                                .progress = stack_progress,
                                .ud = &pc,
                                .id = { .repo = plan->repo_identity, .commit = plan->head, .refs = s->refs }
                        };
                        r = stack_up(c, s->project, &so, &s->result, &s->error);
                        /* The health gate: what changed and did not come up is put back as it was. */
                        if (r < 0 && s->result.report.n && s->deployed[0] &&
                            repo_has_commit(repo, s->deployed)) {
                                int k = rollback(c, repo, sd, plan, s, o, &s->rollback_error);
                                s->rolled_back = k >= 0;
                        }
                }
                s->ok = r >= 0;
                s->seconds = units_now_s() - start;
        }
        return 0;
}

/* ---- settings, report, lock ---- */

cJSON *reconcile_report_json(const ReconcilePlan *const *plans, size_t n)
{
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "commit", n ? plans[0]->head : "");
        cJSON_AddStringToObject(doc, "repo", n && plans[0]->repo_identity ? plans[0]->repo_identity : "");
        cJSON *stacks = cJSON_AddArrayToObject(doc, "stacks");
        for (size_t p = 0; p < n; p++)
                for (size_t i = 0; i < plans[p]->n; i++) {
                        const StackPlan *s = &plans[p]->stacks[i];
                        cJSON *o = cJSON_CreateObject();
                        char line[1200];
                        cJSON_AddStringToObject(o, "stack", s->name);
                        if (plans[p]->target)
                                cJSON_AddStringToObject(o, "target", plans[p]->target);
                        cJSON_AddStringToObject(o, "action", stack_verdict_name(s->verdict));
                        cJSON_AddStringToObject(o, "reason", s->reason);
                        if (s->deployed[0])
                                cJSON_AddStringToObject(o, "deployed_commit", s->deployed);
                        if (s->error.set)
                                cJSON_AddStringToObject(o, "error",
                                                        error_format(&s->error, line, sizeof(line)));
                        if (s->rollback_error.set)
                                cJSON_AddStringToObject(
                                        o, "rollback_error",
                                        error_format(&s->rollback_error, line, sizeof(line)));
                        cJSON_AddStringToObject(o, "result", stack_result_name(s));
                        if (s->applied)
                                cJSON_AddNumberToObject(o, "seconds", s->seconds);
                        cJSON *svc = cJSON_AddArrayToObject(o, "services");
                        for (size_t k = 0; k < s->result.plan.n; k++) {
                                const Action *a = &s->result.plan.actions[k];
                                cJSON *x = cJSON_CreateObject();
                                cJSON_AddStringToObject(x, "service", a->service);
                                cJSON_AddStringToObject(x, "container", a->container_name);
                                cJSON_AddStringToObject(x, "action", action_kind_name(a->kind));
                                cJSON_AddStringToObject(x, "reason", a->reason);
                                cJSON_AddItemToArray(svc, x);
                        }
                        cJSON_AddItemToArray(stacks, o);
                }
        return doc;
}
