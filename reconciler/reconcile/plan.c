/* plan.c: what each stack needs, from git and the live labels, without changing anything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../deploy/live.h"
#include "builtpins.h"
#include "order.h"
#include "stackplan.h"

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
                        hit = stackplan_refs_has(refs, p);
                if (hit) {
                        *ret_path = p;
                        return true;
                }
        }
        return false;
}

typedef struct LiveStack {
        bool present;
        bool all_running;
        const char *repo;
        const char *commits[16]; /* distinct io.berth.commit values of its containers */
        unsigned expected[16];   /* and the io.berth.containers of each */
        size_t n_commits;
        unsigned count;            /* its containers (not one-off) */
        bool unlabelled;           /* a container without a commit (deployed by hand) */
        bool services, containers; /* it runs as swarm services, as containers (both: mid-switch) */
        const char *last;          /* the commit of the unit written last */
        double last_written;
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
                const char *project = live->items[i].project;
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

/* A deploy that made no container (a scale-down, or every service scaled to 0) left a record of itself
 * (deploy/record.h): it is the stack's last deploy, and says how many containers that deploy left. */
static void live_stack_record(const LiveSet *live, const char *name, LiveStack *l)
{
        for (size_t i = 0; i < live->n_records; i++) {
                const LiveRecord *rec = &live->records[i];
                if (strcmp(rec->project, name) != 0 || !rec->commit)
                        continue;
                size_t k = 0;
                while (k < l->n_commits && strcmp(l->commits[k], rec->commit) != 0)
                        k++;
                if (k == ELEMENTSOF(l->commits))
                        return;
                l->present = l->containers = true;
                l->last = rec->commit;
                if (!l->repo)
                        l->repo = rec->repo;
                if (k == l->n_commits)
                        l->commits[l->n_commits++] = rec->commit;
                l->expected[k] = rec->containers;
        }
}

static LiveStack live_stack(const LiveSet *live, const LiveRef *idx, size_t n, const char *name)
{
        LiveStack l = { .all_running = true };
        for (size_t i = live_lower(idx, n, name); i < n && strcmp(idx[i].project, name) == 0; i++) {
                const LiveContainer *c = idx[i].c;
                if (c->oneoff)
                        continue;
                l.present = true;
                l.services |= c->swarm;
                l.containers |= !c->swarm;
                l.count++;
                l.all_running &= c->state && strcmp(c->state, "running") == 0;
                if (!l.repo)
                        l.repo = c->repo;
                double written = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c->raw, "Created"));
                if (c->commit && (!l.last || written > l.last_written)) {
                        l.last = c->commit;
                        l.last_written = written;
                }
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
        live_stack_record(live, name, &l);
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

/* Which version of its files the stack's directory on this host holds, against head. An unchanged
 * stack is skipped and its marker stays at the commit it was last synced to, so a marker at another
 * commit is current when git changed none of the stack's files since. */
typedef enum FilesState {
        FILES_NEVER,   /* never synced */
        FILES_UNKNOWN, /* synced to a commit this repo lacks */
        FILES_CURRENT, /* head's version */
        FILES_STALE,   /* another commit's (a files-only sync that a later commit undid, or one cut short) */
} FilesState;

static int files_state(Repo *repo, Changes **cache, CommitMemo *memo, StateDir *sd, const StackDesc *d,
                       const char *refs, const char *head, const char **ret_path)
{
        char synced[41];
        Changes *ch = NULL;
        statedir_marker_read(sd, d->name, synced);
        if (!synced[0])
                return FILES_NEVER;
        if (strcmp(synced, head) == 0)
                return FILES_CURRENT;
        if (!memo_has(memo, repo, synced))
                return FILES_UNKNOWN;
        int r = changes_between(repo, cache, synced, head, &ch, NULL);
        if (r < 0)
                return r;
        return stack_touched(d, refs, ch, ret_path) ? FILES_STALE : FILES_CURRENT;
}

/* A stack's stack.json (stack-<name>.json in the flat layout): "enabled": false switches it off, and
 * "depends_on_stacks" names the stacks of the commit it is applied after. */
static int stack_meta(Repo *repo, const char *head, const StackList *stacks, const StackDesc *d,
                      StackPlan *s, bool *ret_disabled, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        char path[300];
        stack_desc_meta_path(d, path, sizeof(path));
        *ret_disabled = false;
        if (repo_read(repo, head, path, &buf, NULL, NULL) < 0)
                return 0;
        _cleanup_cjson_ cJSON *meta = cJSON_Parse(buf);
        *ret_disabled = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(meta, "enabled"));
        const cJSON *mode = cJSON_GetObjectItemCaseSensitive(meta, "mode");
        if (mode && deploy_mode_parse(cJSON_GetStringValue(mode), &s->mode) < 0)
                return error_set(err, -EINVAL, path, 0, 0, NULL, "mode: must be compose or swarm");
        cJSON *deps = cJSON_GetObjectItemCaseSensitive(meta, "depends_on_stacks");
        if (!deps)
                return 0;
        if (!cJSON_IsArray(deps))
                return error_set(err, -EINVAL, path, 0, 0, NULL,
                                 "depends_on_stacks: must be a list of stack names");
        size_t n = (size_t)cJSON_GetArraySize(deps), i = 0;
        if (!(s->needs = calloc(n + 1, sizeof(char *))))
                return -ENOMEM;
        for (cJSON *e = deps->child; e; e = e->next) {
                const char *name = cJSON_GetStringValue(e);
                if (!name)
                        return error_set(err, -EINVAL, path, 0, 0, NULL,
                                         "depends_on_stacks[%zu]: must be a stack name", i);
                if (!stack_list_find(stacks, name))
                        return error_set(err, -ENOENT, path, 0, 0, NULL,
                                         "depends_on_stacks[%zu]: no stack \"%s\" in commit %.12s", i, name,
                                         head);
                if (!(s->needs[i++] = strdup(name)))
                        return -ENOMEM;
        }
        return 0;
}

/* Whether the stack runs on the engine in another mode than mode (or in both, a switch cut short). */
static bool runs_otherwise(const LiveStack *ls, DeployMode mode)
{
        return ls->present &&
               ((ls->services && ls->containers) || (ls->services ? DEPLOY_SWARM : DEPLOY_COMPOSE) != mode);
}

static void switch_reason(const LiveStack *ls, StackPlan *s)
{
        snprintf(s->reason, sizeof(s->reason),
                 "deployed as %s, its mode is now %s: redeployed (volumes kept)",
                 ls->services && ls->containers ? "containers and services"
                 : ls->services                 ? "swarm services"
                                                : "containers",
                 deployer_of(s->mode)->name);
}

/* Whether the stack switches mode. Only when it runs in another mode than the default is its
 * stack.json read this early, to see whether it names the mode the stack runs in (an unchanged stack
 * is otherwise skipped unread). */
static bool mode_switches(Repo *repo, const char *head, const StackList *stacks, const StackDesc *d,
                          const LiveStack *ls, StackPlan *s)
{
        if (!runs_otherwise(ls, s->mode))
                return false;
        StackPlan probe = { .mode = s->mode };
        bool disabled;
        BerthError e = { 0 };
        /* An unreadable stack.json is reported when the stack is loaded. */
        if (stack_meta(repo, head, stacks, d, &probe, &disabled, &e) >= 0)
                s->mode = probe.mode;
        strv_free(probe.needs);
        return runs_otherwise(ls, s->mode);
}

static void warn_cb(void *ud, const char *msg)
{
        const ReconcileOptions *o = ud;
        if (o->warn)
                o->warn(o->ud, msg);
}

/* A stack's warnings say which stack, as the apply's do (so the same one from both reads as one). */
typedef struct StackWarn {
        const ReconcileOptions *o;
        const char *stack;
} StackWarn;

static void stack_warn(void *ud, const char *msg)
{
        const StackWarn *w = ud;
        char line[1400];
        snprintf(line, sizeof(line), "stack %s: %s", w->stack, msg);
        w->o->warn(w->o->ud, line);
}

/* The services of a loaded stack planned against the engine (a dry run of stack_up): one that cannot be
 * is invalid, alone. */
static void plan_stack_services(EngineClient *c, BuiltImages *built, const ReconcilePlan *plan, StackPlan *s,
                                StateDir *sd, const ReconcileOptions *o, const cJSON *provided,
                                bool files_current)
{
        /* berth rollback (a downgrade asked for) goes back to the bytes that commit ran; any other
         * deploy runs what its own commit built, where the tags have moved on. */
        if (o->allow_downgrade)
                s->pins = statedir_pins_read(sd, s->name, plan->head);
        if (!s->pins && built_pins(c, built, s->project, &s->pins) < 0)
                s->pins = NULL;
        StackWarn warn = { o, s->name };
        StackOptions so = { .dry_run = true,
                            .remove_orphans = o->prune,
                            .provided = provided,
                            .pins = s->pins,
                            .env = o->env,
                            .check_tags = o->all,
                            .warn = o->warn ? stack_warn : NULL,
                            .ud = &warn,
                            .id = { .repo = plan->repo_identity, .commit = plan->head, .refs = s->refs } };
        if (deployer_of(s->mode)->up(c, s->project, &so, s->source, &s->result, &s->error) < 0) {
                s->verdict = VERDICT_INVALID;
                return;
        }
        if ((s->verdict == VERDICT_UPDATE || s->verdict == VERDICT_DEPLOY) &&
            plan_changes(&s->result.plan) == 0) {
                /* No container changes (a "new" stack that has none: every service scaled to 0); but the
                 * stack's files on this host (bind mounts) may still be at an older commit, and are then
                 * brought up to date in place. */
                size_t n = strlen(s->reason);
                if (files_current)
                        s->verdict = VERDICT_SKIP;
                snprintf(s->reason + n, sizeof(s->reason) - n, "; every service is up to date%s",
                         s->verdict == VERDICT_SKIP ? "" : ", its files are updated in place");
        }
}

/* The built images of the commit planned, from berth.yaml as the run read it when it is that commit's. */
static BuiltImages *built_images_of(Repo *repo, const char *head, const ReconcileOptions *o)
{
        if (o->settings && strcmp(o->settings->commit, head) == 0)
                return built_images_new(repo, o->settings, o->env);
        Settings s = SETTINGS_INIT;
        BuiltImages *b =
                settings_load(repo, head, &s, NULL) >= 0 ? built_images_new(repo, &s, o->env) : NULL;
        settings_done(&s);
        return b;
}

/* What planning a commit reads once and every stack uses. */
typedef struct PlanCtx {
        EngineClient *c;
        Repo *repo;
        const ReconcileOptions *o;
        ReconcilePlan *plan;
        size_t alloc; /* of plan->stacks */
        StackList stacks;
        LiveSet live;
        LiveRef *idx; /* live, by stack */
        size_t n_idx;
        Changes *cache;
        CommitMemo memo;
        StateDir *sd;
        BerthError *err;
} PlanCtx;

/* Why a stack that git did not touch since its deploy is looked at anyway, or VERDICT_SKIP: a stack
 * cut short, a container not running, its files on this host stale, or --all. */
static int untouched_reason(PlanCtx *x, const StackDesc *d, const LiveStack *ls, const char *deployed,
                            const char *newest, StackPlan *s)
{
        const char *path = NULL;
        /* The count the newest deploy wrote: fewer containers mean it was cut short (or some were
         * removed by hand) and the stack must be looked at. */
        unsigned expected = 0;
        for (size_t k = 0; k < ls->n_commits; k++)
                if (strcmp(ls->commits[k], newest) == 0)
                        expected = ls->expected[k];
        if (ls->count < expected) {
                snprintf(s->reason, sizeof(s->reason), "%u of its %u containers exist: checking live state",
                         ls->count, expected);
                return 0;
        }
        if (x->o->all || !ls->all_running) {
                snprintf(s->reason, sizeof(s->reason),
                         ls->all_running ? "checking live state (--all)"
                                         : "a container is not running: checking live state");
                return 0;
        }
        int r = files_state(x->repo, &x->cache, &x->memo, x->sd, d, ls->refs, x->plan->head, &path);
        if (r < 0)
                return r;
        if (r != FILES_STALE) {
                s->verdict = VERDICT_SKIP;
                snprintf(s->reason, sizeof(s->reason), "unchanged since %.12s", deployed);
        } else
                snprintf(s->reason, sizeof(s->reason),
                         "its files on this host are older than %.12s (%s differs)", x->plan->head, path);
        return 0;
}

/* A deployed stack against git: refused when the commit is older than the deployed one, else the
 * reason to look at it (its files changed since a container's commit), or VERDICT_SKIP. */
static int deployed_reason(PlanCtx *x, const StackDesc *d, const LiveStack *ls, const char *deployed,
                           const char *newest, StackPlan *s)
{
        const char *head = x->plan->head, *path = NULL, *from = NULL;
        int r, desc = memo_descends(&x->memo, x->repo, newest, head, x->err);
        if (desc < 0)
                return desc;
        if (desc && strcmp(newest, head) != 0 && !x->o->allow_downgrade) {
                s->verdict = VERDICT_REFUSED;
                snprintf(s->reason, sizeof(s->reason),
                         "%.12s is older than the deployed commit %.12s: refusing to downgrade (an older "
                         "pipeline running late? use --allow-downgrade to roll back)",
                         head, newest);
                return 0;
        }
        /* Every container's commit against the target: a stack is touched if its files changed since
         * any of them (a rollback leaves older and newer labels side by side). */
        bool touched = false;
        for (size_t k = 0; k < ls->n_commits && !touched; k++) {
                Changes *ch = NULL;
                if ((r = changes_between(x->repo, &x->cache, ls->commits[k], head, &ch, x->err)) < 0)
                        return r;
                touched = stack_touched(d, ls->refs, ch, &path);
                from = ls->commits[k];
        }
        if (s->mode_switch)
                switch_reason(ls, s);
        else if (touched)
                snprintf(s->reason, sizeof(s->reason), "%s changed between %.12s and %.12s", path, from,
                         head);
        else
                return untouched_reason(x, d, ls, deployed, newest, s);
        return 0;
}

/* One stack of the commit: what it is to be (deploy, update, skip, remove when disabled, refused,
 * invalid) and why, and its compose project loaded. Returns < 0 only for what stops the whole plan. */
static int plan_stack(PlanCtx *x, const StackDesc *d)
{
        const ReconcileOptions *o = x->o;
        LiveStack ls = live_stack(&x->live, x->idx, x->n_idx, d->name);
        StackPlan *s = add_stack(x->plan, &x->alloc, d->name);
        const char *why = NULL, *deployed = NULL, *newest = NULL;
        bool disabled = false;
        int r;
        if (!s)
                return -ENOMEM;
        if (ls.present)
                deployed_commits(x->repo, &x->memo, &ls, &deployed, &newest, &why);
        if (deployed)
                snprintf(s->deployed, sizeof(s->deployed), "%s", deployed);
        if (ls.last)
                snprintf(s->previous, sizeof(s->previous), "%s", ls.last);
        if (ls.present && ls.repo && strcmp(ls.repo, x->plan->repo_identity) != 0 &&
            strcmp(ls.repo, "local") != 0) {
                s->verdict = VERDICT_REFUSED;
                snprintf(s->reason, sizeof(s->reason),
                         "stack \"%s\" on this engine belongs to another repo (%s)", d->name, ls.repo);
                return 0;
        }
        s->verdict = ls.present ? VERDICT_UPDATE : VERDICT_DEPLOY;
        s->mode = o->target && o->target->mode >= 0 ? (DeployMode)o->target->mode : o->mode;
        s->mode_switch = mode_switches(x->repo, x->plan->head, &x->stacks, d, &ls, s);
        if (!ls.present)
                snprintf(s->reason, sizeof(s->reason), "new stack: not on this engine yet");
        else if (why)
                snprintf(s->reason, sizeof(s->reason), "%s%.12s%s%s", deployed ? "deployed commit " : "",
                         deployed ? deployed : "", deployed ? " " : "", why);
        else if ((r = deployed_reason(x, d, &ls, deployed, newest, s)) < 0)
                return r;
        if (s->verdict == VERDICT_REFUSED || s->verdict == VERDICT_SKIP)
                return 0;
        if ((r = stack_meta(x->repo, x->plan->head, &x->stacks, d, s, &disabled, &s->error)) < 0) {
                s->verdict = VERDICT_INVALID;
                return r == -ENOMEM ? r : 0;
        }
        /* Its stack.json may name another mode than the one it runs in. */
        if (runs_otherwise(&ls, s->mode) && !s->mode_switch) {
                s->mode_switch = true;
                switch_reason(&ls, s);
        }
        /* Kept in git but switched off (stack.json "enabled": false): removed here, volumes kept. */
        if (disabled) {
                char meta[300];
                s->verdict = ls.present ? VERDICT_REMOVE : VERDICT_SKIP;
                s->keep_data = true;
                stack_desc_meta_path(d, meta, sizeof(meta));
                snprintf(s->reason, sizeof(s->reason), "disabled in %s", meta);
                return 0;
        }
        /* Parse and plan the services. An invalid stack fails alone, with its own error. */
        if ((r = stackplan_set_desc(s, d)) < 0)
                return r;
        if (stackplan_load(x->repo, x->plan->head, o, x->sd, s, &s->error) < 0) {
                s->verdict = VERDICT_INVALID;
                return 0;
        }
        return stackplan_outside_refs(s, d, &s->refs);
}

/* A stack this repo deployed, if the commit no longer has it (or this target no longer gets it): removed
 * in the mode it runs in; both, when a switch was cut short. */
static int plan_removed_one(PlanCtx *x, const char *project, const char *commit, bool services,
                            bool containers)
{
        const ReconcileOptions *o = x->o;
        bool in_git = stack_list_find(&x->stacks, project) != NULL;
        if ((in_git && target_has_stack(o->target, project)) || (o->only && strcmp(project, o->only) != 0))
                return 0; /* planned already, or not asked for */
        StackPlan *s = add_stack(x->plan, &x->alloc, project);
        if (!s)
                return -ENOMEM;
        if (commit)
                snprintf(s->deployed, sizeof(s->deployed), "%s", commit);
        s->mode = services ? DEPLOY_SWARM : DEPLOY_COMPOSE;
        s->mode_switch = services && containers;
        s->verdict = o->prune ? VERDICT_REMOVE : VERDICT_SKIP;
        if (in_git)
                snprintf(s->reason, sizeof(s->reason), "berth.yaml maps it to other targets than %s%s",
                         o->target->name, o->prune ? "" : "; kept (prune: false)");
        else
                snprintf(s->reason, sizeof(s->reason), "removed from git%s",
                         o->prune ? "" : "; kept (prune: false)");
        return 0;
}

/* Stacks this repo deployed that the commit no longer has (or this target no longer gets): those with
 * units, and those whose last deploy left none, only its record. */
static int plan_removed(PlanCtx *x)
{
        int r;
        for (size_t i = 0; i < x->n_idx; i++) {
                const char *project = x->idx[i].project;
                const LiveContainer *lc = NULL;
                bool services = false, containers = false;
                for (; i < x->n_idx && strcmp(x->idx[i].project, project) == 0; i++) {
                        const LiveContainer *c = x->idx[i].c;
                        if (!lc && c->repo && strcmp(c->repo, x->plan->repo_identity) == 0)
                                lc = c;
                        services |= c->swarm;
                        containers |= !c->swarm;
                }
                i--; /* the loop's own step moves to the next project */
                if (lc && (r = plan_removed_one(x, project, lc->commit, services, containers)) < 0)
                        return r;
        }
        for (size_t i = 0; i < x->live.n_records; i++) {
                const LiveRecord *rec = &x->live.records[i];
                size_t k = live_lower(x->idx, x->n_idx, rec->project);
                if (k < x->n_idx && strcmp(x->idx[k].project, rec->project) == 0)
                        continue; /* it has units: seen above */
                if (rec->repo && strcmp(rec->repo, x->plan->repo_identity) == 0 &&
                    (r = plan_removed_one(x, rec->project, rec->commit, false, true)) < 0)
                        return r;
        }
        return 0;
}

/* Whether the stack's directory on this host holds head's version of its files (files_state). */
static bool files_current(PlanCtx *x, const StackPlan *s)
{
        const StackDesc d = { .name = s->name, .dir = s->desc_dir, .file = s->desc_file };
        const char *path = NULL;
        return d.dir && files_state(x->repo, &x->cache, &x->memo, x->sd, &d, s->refs, x->plan->head,
                                    &path) == FILES_CURRENT;
}

/* The services of every stack loaded, planned against the engine in the order the stacks are applied:
 * a stack may use an external network that another stack of this plan creates. */
static int plan_services_all(PlanCtx *x)
{
        _cleanup_cjson_ cJSON *provided = order_provided(x->plan);
        BuiltImages *built = NULL;
        bool built_read = false;
        int r;
        if (!provided)
                return -ENOMEM;
        if ((r = order_stacks(x->plan, provided)) < 0)
                return r;
        for (size_t i = 0; i < x->plan->n; i++) {
                StackPlan *s = &x->plan->stacks[i];
                if (!s->project || s->verdict == VERDICT_INVALID)
                        continue;
                /* Read once, and only when a stack is planned at all (not on a no-op run). */
                if (!built_read) {
                        built = built_images_of(x->repo, x->plan->head, x->o);
                        built_read = true;
                }
                plan_stack_services(x->c, built, x->plan, s, x->sd, x->o, provided, files_current(x, s));
        }
        built_images_free(built);
        return 0;
}

int reconcile_plan(EngineClient *c, Repo *repo, const ReconcileOptions *o, ReconcilePlan *ret,
                   BerthError *err)
{
        ReconcilePlan plan = { 0 };
        PlanCtx x = { .c = c, .repo = repo, .o = o, .plan = &plan, .err = err };
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        int r;

        if ((r = repo_resolve(repo, o->rev ? o->rev : "HEAD", plan.head, err)) < 0 ||
            (r = statedir_open(o->state_dir, repo_identity(repo), false, &sd, err)) < 0)
                return r;
        x.sd = sd;
        snprintf(plan.engine, sizeof(plan.engine), "%s", engine_client_product(c));
        if (!(plan.repo_identity = strdup(repo_identity(repo))) ||
            (o->target && !(plan.target = strdup(o->target->name)))) {
                reconcile_plan_done(&plan);
                return -ENOMEM;
        }
        if ((r = repo_stacks(repo, plan.head, &x.stacks, warn_cb, (void *)o, err)) >= 0 &&
            (r = deployer_live_all(c, &x.live, NULL, err)) >= 0 &&
            (r = live_records(c, &x.live, err)) >= 0 && !(x.idx = live_index(&x.live, &x.n_idx)))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < x.stacks.n; i++) {
                const StackDesc *d = &x.stacks.items[i];
                if ((!o->only || strcmp(d->name, o->only) == 0) && target_has_stack(o->target, d->name))
                        r = plan_stack(&x, d);
        }
        if (r >= 0 && (r = plan_removed(&x)) >= 0 && (r = plan_services_all(&x)) >= 0) {
                *ret = plan;
                plan = (ReconcilePlan){ 0 };
        }
        free(x.idx);
        changes_free(x.cache);
        live_done(&x.live);
        stack_list_done(&x.stacks);
        reconcile_plan_done(&plan);
        return r < 0 ? r : 0;
}
