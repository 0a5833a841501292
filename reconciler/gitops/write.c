/* write.c: commits to the config repo, pushed with retries; berth-api's only state. */
#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "write.h"

#define PUSH_REF "refs/berth/push"

struct Writer {
        git_repository *git;
        /* One remote for the writer's life: libgit2 1.5 leaks a little each time one is made. */
        git_remote *remote;
        Repo *repo; /* the same clone, for reading */
        char *url, *branch, *dir, *user, *password;
        unsigned retries, deadline_s;
        WriterStats stats; /* under lock */
        pthread_mutex_t lock;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(git_commit *, git_commit_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_tree *, git_tree_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_reference *, git_reference_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_signature *, git_signature_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_tree_entry *, git_tree_entry_free)

int change_set_add(ChangeSet *c, const char *path, const void *data, size_t len)
{
        FileChange *v = realloc(c->items, (c->n + 1) * sizeof(FileChange));
        if (!v)
                return -ENOMEM;
        c->items = v;
        FileChange *f = &c->items[c->n];
        *f = (FileChange){ .path = strdup(path), .len = len };
        if (data && (f->data = malloc(len ? len : 1)))
                memcpy(f->data, data, len);
        if (!f->path || (data && !f->data)) {
                free(f->path);
                free(f->data);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

int change_set_remove(ChangeSet *c, const char *path)
{
        return change_set_add(c, path, NULL, 0);
}

void change_set_done(ChangeSet *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->items[i].path);
                free(c->items[i].data);
        }
        free(c->items);
        *c = (ChangeSet){ 0 };
}

/* libgit2's last error, with the password (should a message ever echo it) written as "***". */
static int fail(Writer *w, BerthError *err, int r, const char *what)
{
        const git_error *e = git_error_last();
        char msg[600];
        snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "unknown libgit2 error");
        if (w && w->password && *w->password)
                for (char *p; (p = strstr(msg, w->password));)
                        memset(p, '*', strlen(w->password));
        return error_set(err, r, NULL, 0, 0, NULL, "%s: %s", what, msg);
}

/* What libgit2's callbacks get: the writer (for credentials) and what a push reported. */
typedef struct Callbacks {
        Writer *w;
        bool rejected;
        unsigned asked;
} Callbacks;

static int credentials(git_credential **out, const char *url, const char *user_from_url, unsigned allowed,
                       void *payload)
{
        Callbacks *cb = payload;
        Writer *w = cb->w;
        /* Asked again means refused: stop rather than loop. */
        if (cb->asked++ > 0)
                return GIT_EUSER;
        if (!w->user || !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT))
                return GIT_PASSTHROUGH;
        return git_credential_userpass_plaintext_new(out, w->user, w->password ? w->password : "");
}

/* Whether the last fetch's answer listed the branch. */
static bool origin_has_branch(Writer *w)
{
        const git_remote_head **heads = NULL;
        size_t n = 0;
        char ref[300];
        snprintf(ref, sizeof(ref), "refs/heads/%s", w->branch);
        if (git_remote_ls(&heads, &n, w->remote) < 0)
                return true; /* not known: keep what was fetched */
        for (size_t i = 0; i < n; i++)
                if (strcmp(heads[i]->name, ref) == 0)
                        return true;
        return false;
}

static int fetch(Writer *w, BerthError *err)
{
        git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
        char spec[300];
        snprintf(spec, sizeof(spec), "+refs/heads/%s:refs/remotes/origin/%s", w->branch, w->branch);
        char *specs[] = { spec };
        git_strarray refspecs = { specs, 1 };
        Callbacks cb = { .w = w };
        fo.callbacks.credentials = credentials;
        fo.callbacks.payload = &cb;
        if (git_remote_fetch(w->remote, &refspecs, &fo, NULL) < 0)
                return fail(w, err, -EIO, "cannot fetch from the config repo's origin");
        /* A branch deleted on the origin is gone here too: its last head is no head. */
        if (!origin_has_branch(w)) {
                char ref[300];
                git_reference *gone = NULL;
                snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", w->branch);
                if (git_reference_lookup(&gone, w->git, ref) == 0) {
                        git_reference_delete(gone);
                        git_reference_free(gone);
                }
        }
        return 0;
}

/* The branch head as last fetched: 1, or 0 when the origin has no such branch yet (an empty origin: the
 * first commit makes it). */
static int head_of(Writer *w, git_oid *ret, BerthError *err)
{
        char ref[300];
        snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", w->branch);
        int g = git_reference_name_to_id(ret, w->git, ref);
        if (g == GIT_ENOTFOUND)
                return 0;
        if (g < 0)
                return fail(w, err, -EIO, "cannot read the branch head");
        return 1;
}

/* An empty directory is where a clone may be made: a container's volume is one before its first start. */
static bool dir_empty(const char *path)
{
        DIR *d = opendir(path);
        struct dirent *e;
        bool empty = d != NULL;
        while (d && (e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                        empty = false;
                        break;
                }
        if (d)
                closedir(d);
        return empty;
}

int writer_open(const WriterOptions *o, Writer **ret, BerthError *err)
{
        Writer *w = calloc(1, sizeof(Writer));
        struct stat st;
        int r;
        if (!w)
                return -ENOMEM;
        git_libgit2_init();
        /* A writer serves many reads of the same objects: every listing walks the root and stacks/
         * trees (past libgit2's 4 KiB default for a cached tree once a repo has a hundred stacks) and
         * reads each stack's small files. Keep them in the object cache. */
        git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, (int)GIT_OBJECT_BLOB, (size_t)64 * 1024);
        git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, (int)GIT_OBJECT_TREE, (size_t)1024 * 1024);
        pthread_mutex_init(&w->lock, NULL);
        w->retries = o->retries ? o->retries : 1000;
        w->deadline_s = o->deadline_s ? o->deadline_s : 60;
        w->url = strdup(o->url);
        w->branch = strdup(o->branch ? o->branch : "main");
        w->dir = strdup(o->dir);
        w->user = o->user ? strdup(o->user) : NULL;
        w->password = o->password ? strdup(o->password) : NULL;
        if (!w->url || !w->branch || !w->dir || (o->user && !w->user) || (o->password && !w->password)) {
                writer_free(w);
                return -ENOMEM;
        }
        if (stat(w->dir, &st) == 0 && !dir_empty(w->dir)) {
                if (git_repository_open_bare(&w->git, w->dir) < 0) {
                        r = fail(w, err, -EINVAL, "the work directory is not berth-api's clone");
                        writer_free(w);
                        return r;
                }
        } else {
                git_config *cfg = NULL;
                /* The origin's URL in the config, as a clone has it: the repo's identity (repo.h). */
                if (git_repository_init(&w->git, w->dir, 1) < 0 || git_repository_config(&cfg, w->git) < 0 ||
                    git_config_set_string(cfg, "remote.origin.url", w->url) < 0) {
                        git_config_free(cfg);
                        r = fail(w, err, -EIO, "cannot make the work directory's clone");
                        writer_free(w);
                        return r;
                }
                git_config_free(cfg);
        }
        /* An anonymous remote (its URL is ours), made without applying url.*.insteadOf: that search of
         * the config runs a regular expression whose match data libgit2 1.5 leaks with PCRE2. */
        git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
        ro.repository = w->git;
        ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
        if (git_remote_create_with_opts(&w->remote, w->url, &ro) < 0) {
                r = fail(w, err, -EINVAL, "invalid origin URL");
                writer_free(w);
                return r;
        }
        /* Whatever a crash left in the clone, its branch is the origin's again: nothing local is kept. */
        if ((r = fetch(w, err)) < 0 || (r = repo_open(w->dir, &w->repo, err)) < 0) {
                writer_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

Writer *writer_free(Writer *w)
{
        if (!w)
                return NULL;
        repo_free(w->repo);
        git_remote_free(w->remote);
        git_repository_free(w->git);
        free(w->url);
        free(w->branch);
        free(w->dir);
        free(w->user);
        if (w->password) {
                explicit_bzero(w->password, strlen(w->password));
                free(w->password);
        }
        pthread_mutex_destroy(&w->lock);
        free(w);
        git_libgit2_shutdown();
        return NULL;
}

Repo *writer_repo(Writer *w)
{
        return w->repo;
}

int writer_sync(Writer *w, char ret_head[41], BerthError *err)
{
        git_oid head;
        pthread_mutex_lock(&w->lock);
        int r = fetch(w, err);
        if (r >= 0 && (r = head_of(w, &head, err)) >= 0) {
                if (r == 1)
                        git_oid_tostr(ret_head, 41, &head);
                else
                        ret_head[0] = '\0';
                r = 0;
        }
        pthread_mutex_unlock(&w->lock);
        return r;
}

/* The head's tree with the changes applied; -ENODATA when that is the head's tree. */
static int build_tree(Writer *w, git_commit *head, const ChangeSet *cs, git_oid *ret, BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *base = NULL;
        git_tree_update *ups = calloc(cs->n ? cs->n : 1, sizeof(git_tree_update));
        size_t n = 0;
        int r = 0;
        if (!ups)
                return -ENOMEM;
        if (head && git_commit_tree(&base, head) < 0)
                r = fail(w, err, -EIO, "cannot read the head's tree");
        for (size_t i = 0; i < cs->n && r >= 0; i++) {
                const FileChange *f = &cs->items[i];
                if (!f->data) {
                        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
                        if (!base || git_tree_entry_bypath(&e, base, f->path) < 0)
                                continue; /* already gone */
                        ups[n++] = (git_tree_update){ .action = GIT_TREE_UPDATE_REMOVE, .path = f->path };
                        continue;
                }
                git_oid blob;
                if (git_blob_create_from_buffer(&blob, w->git, f->data, f->len) < 0) {
                        r = fail(w, err, -EIO, "cannot store a file");
                        break;
                }
                ups[n++] = (git_tree_update){ .action = GIT_TREE_UPDATE_UPSERT,
                                              .id = blob,
                                              .filemode = GIT_FILEMODE_BLOB,
                                              .path = f->path };
        }
        if (r >= 0 && git_tree_create_updated(ret, w->git, base, n, ups) < 0)
                r = fail(w, err, -EIO, "cannot make the new tree");
        if (r >= 0 && (base ? git_oid_equal(ret, git_tree_id(base)) : n == 0))
                r = -ENODATA;
        free(ups);
        return r;
}

static int push_status(const char *ref, const char *status, void *payload)
{
        Callbacks *cb = payload;
        if (status)
                cb->rejected = true;
        return 0;
}

/* A file:// origin: libgit2 moves the branch of a local repository without holding its lock across the
 * check and the write, so two writers could each think they won. There the objects are pushed to a ref of
 * their own, and the branch is moved by a compare-and-swap under the ref's lock file, as git itself
 * does (and as a smart HTTP server does on its side). */
static int push_local(Writer *w, const git_oid *commit, const git_oid *base, BerthError *err)
{
        _cleanup_(git_reference_freep) git_reference *ref = NULL, *moved = NULL;
        git_repository *origin = NULL;
        git_push_options po = GIT_PUSH_OPTIONS_INIT;
        Callbacks cb = { .w = w };
        char spec[300], incoming[200], branch[300];
        snprintf(incoming, sizeof(incoming), "refs/berth/incoming/%d-%lx", (int)getpid(),
                 (unsigned long)random());
        snprintf(spec, sizeof(spec), "+" PUSH_REF ":%s", incoming);
        char *specs[] = { spec };
        git_strarray refspecs = { specs, 1 };
        po.callbacks.push_update_reference = push_status;
        po.callbacks.payload = &cb;
        if (git_reference_create(&ref, w->git, PUSH_REF, commit, 1, "berth-api push") < 0)
                return fail(w, err, -EIO, "cannot stage the commit for its push");
        if (git_remote_push(w->remote, &refspecs, &po) < 0 || cb.rejected)
                return fail(w, err, -EIO, "cannot push to the config repo's origin");
        if (git_repository_open(&origin, w->url + strlen("file://")) < 0)
                return fail(w, err, -EIO, "cannot open the config repo's origin");
        snprintf(branch, sizeof(branch), "refs/heads/%s", w->branch);
        /* No base: the branch is made, and only if nobody made it meanwhile. */
        int g = base ? git_reference_create_matching(&moved, origin, branch, commit, 1, base, "berth-api")
                     : git_reference_create(&moved, origin, branch, commit, 0, "berth-api");
        git_reference *tmp = NULL;
        if (git_reference_lookup(&tmp, origin, incoming) == 0) {
                git_reference_delete(tmp);
                git_reference_free(tmp);
        }
        git_repository_free(origin);
        if (g == GIT_EMODIFIED || g == GIT_ELOCKED || g == GIT_EEXISTS)
                return 0; /* someone else moved (or made) it first, or is moving it now */
        if (g < 0)
                return fail(w, err, -EIO, "cannot move the origin's branch");
        return 1;
}

/* 1 when the origin took the commit, 0 when it was rejected (someone pushed first), < 0 on error. */
static int push(Writer *w, const git_oid *commit, const git_oid *base, BerthError *err)
{
        if (strncmp(w->url, "file://", 7) == 0)
                return push_local(w, commit, base, err);
        _cleanup_(git_reference_freep) git_reference *ref = NULL;
        git_push_options po = GIT_PUSH_OPTIONS_INIT;
        Callbacks cb = { .w = w };
        char spec[300];
        snprintf(spec, sizeof(spec), PUSH_REF ":refs/heads/%s", w->branch);
        char *specs[] = { spec };
        git_strarray refspecs = { specs, 1 };
        po.callbacks.credentials = credentials;
        po.callbacks.push_update_reference = push_status;
        po.callbacks.payload = &cb;
        if (git_reference_create(&ref, w->git, PUSH_REF, commit, 1, "berth-api push") < 0)
                return fail(w, err, -EIO, "cannot stage the commit for its push");
        int g = git_remote_push(w->remote, &refspecs, &po);
        if (g == GIT_ENONFASTFORWARD)
                return 0;
        if (g < 0)
                return fail(w, err, -EIO, "cannot push to the config repo's origin");
        return cb.rejected ? 0 : 1;
}

void writer_stats(Writer *w, WriterStats *ret)
{
        pthread_mutex_lock(&w->lock);
        *ret = w->stats;
        pthread_mutex_unlock(&w->lock);
}

static void backoff(unsigned attempt)
{
        unsigned spread = 40 * (attempt + 1) < 400 ? 40 * (attempt + 1) : 400;
        struct timespec ts = { 0, (long)(10 + (unsigned)random() % spread) * 1000000L };
        nanosleep(&ts, NULL);
}

static double elapsed(const struct timespec *t0)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Whether an error talking to the origin is worth another try: three in a row are not (the origin is
 * down, or refuses us), nor one past the deadline. Under many writers a local origin's locks fail a
 * fetch or push now and then; the count starts again after each push the origin answered. */
static bool try_again(Writer *w, int r, unsigned *failed, const struct timespec *t0)
{
        if (r != -EIO || ++*failed >= 3 || elapsed(t0) >= w->deadline_s)
                return false;
        w->stats.failed_tries++;
        backoff(*failed);
        return true;
}

int writer_commit(Writer *w, ChangeFn fn, void *ud, const char *author, const char *email,
                  const char *message, char ret_commit[41], BerthError *err)
{
        int r = 0;
        unsigned failed = 0;
        struct timespec t0, until;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->deadline_s;
        /* The deadline covers the wait for the other writers of this process too: a request always gets
         * an answer, a clear "try again" at worst. */
        if (pthread_mutex_timedlock(&w->lock, &until) != 0)
                return error_set(err, -EAGAIN, NULL, 0, 0, NULL,
                                 "other changes held the config repo for %u s: try again", w->deadline_s);
        for (unsigned attempt = 0;; attempt++) {
                _cleanup_(git_commit_freep) git_commit *head = NULL;
                _cleanup_(git_tree_freep) git_tree *tree = NULL;
                _cleanup_(git_signature_freep) git_signature *who = NULL, *committer = NULL;
                ChangeSet cs = { 0 };
                git_oid head_id, tree_id, commit_id;
                char hex[41] = "";
                /* Each retry redoes the change on the new head, so an error of the last try is no
                 * longer news: what the caller sees is this try's. */
                if (err)
                        *err = (BerthError){ 0 };
                r = fetch(w, err);
                if (try_again(w, r, &failed, &t0))
                        continue;
                if (r < 0 || (r = head_of(w, &head_id, err)) < 0)
                        break;
                bool have_head = r == 1;
                if (have_head && git_commit_lookup(&head, w->git, &head_id) < 0) {
                        r = fail(w, err, -EIO, "cannot read the branch head");
                        break;
                }
                if (have_head)
                        git_oid_tostr(hex, sizeof(hex), &head_id);
                r = fn(ud, w->repo, hex, &cs, err);
                if (r >= 0)
                        r = build_tree(w, head, &cs, &tree_id, err);
                change_set_done(&cs);
                if (r < 0)
                        break;
                if (git_tree_lookup(&tree, w->git, &tree_id) < 0 ||
                    git_signature_now(&who, author, email) < 0 ||
                    git_signature_now(&committer, "berth-api", "berth-api@localhost") < 0 ||
                    git_commit_create(&commit_id, w->git, NULL, who, committer, "UTF-8", message, tree,
                                      have_head ? 1 : 0, (const git_commit **)&head) < 0) {
                        r = fail(w, err, -EIO, "cannot make the commit");
                        break;
                }
                w->stats.pushes++;
                r = push(w, &commit_id, have_head ? &head_id : NULL, err);
                if (try_again(w, r, &failed, &t0))
                        continue;
                if (r < 0)
                        break;
                if (r == 1) {
                        char ref[300];
                        git_reference *out = NULL;
                        snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", w->branch);
                        if (git_reference_create(&out, w->git, ref, &commit_id, 1, "berth-api pushed") == 0)
                                git_reference_free(out);
                        git_oid_tostr(ret_commit, 41, &commit_id);
                        r = 0;
                        break;
                }
                if (attempt + 1 >= w->retries || elapsed(&t0) >= w->deadline_s) {
                        r = error_set(err, -EAGAIN, NULL, 0, 0, NULL,
                                      "the branch kept moving: %u pushes were rejected in %.0f s; try again",
                                      attempt + 1, elapsed(&t0));
                        break;
                }
                /* Someone pushed first: back off a little, at random, then redo the change on their head. */
                w->stats.rejected++;
                failed = 0;
                backoff(attempt);
        }
        pthread_mutex_unlock(&w->lock);
        return r;
}
