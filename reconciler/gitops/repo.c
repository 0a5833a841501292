/* repo.c: libgit2 access to the config repo: commits, trees, blobs, diffs, history and walks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fileio.h"
#include "../util/names.h"
#include "../util/strbuf.h"
#include "repo-private.h"

int repo_git_fail(BerthError *err, int r, const char *what)
{
        const git_error *e = git_error_last();
        return error_set(err, r == GIT_ENOTFOUND ? -ENOENT : -EIO, NULL, 0, 0, NULL, "%s: %s", what,
                         e && e->message ? e->message : "unknown libgit2 error");
}

/* Whether the user's or the system's git config has safe.directory = "*", which git (2.35.3 on) takes
 * as "any owner". libgit2 1.5 matches safe.directory against the path alone, so a CI image that sets
 * "*" for the checkouts of a runner's other user would still be refused. */
static bool safe_directory_any(void)
{
        git_config *cfg = NULL;
        git_config_iterator *it = NULL;
        git_config_entry *e;
        bool any = false;
        if (git_config_open_default(&cfg) < 0)
                return false;
        if (git_config_multivar_iterator_new(&it, cfg, "safe.directory", NULL) == 0) {
                /* A later empty value resets the list, as in git. */
                while (git_config_next(&e, it) == 0)
                        any = strcmp(e->value, "*") == 0 || (any && *e->value);
                git_config_iterator_free(it);
        }
        git_config_free(cfg);
        return any;
}

int repo_open(const char *path, Repo **ret, BerthError *err)
{
        Repo *r = calloc(1, sizeof(Repo));
        int g;
        if (!r)
                return -ENOMEM;
        pthread_mutex_init(&r->lock, NULL);
        git_libgit2_init();
        /* Packs are read through mapped windows, by default up to 8 GiB of them kept mapped: reading a
         * large build context would keep all of it resident. A few windows serve a walk as well. */
        git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)4 * 1024 * 1024);
        git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)12 * 1024 * 1024);
        g = git_repository_open_ext(&r->repo, path, 0, NULL);
        /* libgit2 1.5 fails the ownership check with "config value 'safe.directory' was not found"
         * when no config has the setting at all. */
        const git_error *ge = git_error_last();
        if (g == GIT_EOWNER ||
            (g == GIT_ENOTFOUND && ge && ge->message && strstr(ge->message, "'safe.directory'"))) {
                if (!safe_directory_any()) {
                        error_set(err, -EPERM, NULL, 0, 0, NULL,
                                  "cannot open the config repo: \"%s\" is owned by another user than this "
                                  "one (uid %u)",
                                  path, (unsigned)geteuid());
                        error_hint(err, "a checkout owned by another user is read when git's "
                                        "safe.directory names it, or is \"*\" (git config --global)");
                        repo_free(r);
                        return -EPERM;
                }
                git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
                g = git_repository_open_ext(&r->repo, path, 0, NULL);
        }
        if (g < 0) {
                int x = repo_git_fail(err, g, "cannot open the config repo");
                error_hint(err, "run berth inside a git checkout of the config repo, or give --repo DIR");
                repo_free(r);
                return x;
        }
        *ret = r;
        return 0;
}

Repo *repo_free(Repo *r)
{
        if (!r)
                return NULL;
        git_repository_free(r->repo);
        free(r->identity);
        pthread_mutex_destroy(&r->lock);
        free(r);
        git_libgit2_shutdown();
        return NULL;
}

void repo_lock(Repo *r)
{
        pthread_mutex_lock(&r->lock);
}

void repo_unlock(Repo *r)
{
        pthread_mutex_unlock(&r->lock);
}

int repo_tag_names(Repo *r, char ***ret, BerthError *err)
{
        git_strarray names = { 0 };
        if (git_tag_list(&names, r->repo) < 0)
                return repo_git_fail(err, -1, "cannot list the repo's tags");
        char **v = calloc(names.count + 1, sizeof(char *));
        for (size_t i = 0; v && i < names.count; i++)
                if (!(v[i] = strdup(names.strings[i]))) {
                        strv_free(v);
                        v = NULL;
                }
        git_strarray_dispose(&names);
        *ret = v;
        return v ? 0 : -ENOMEM;
}

char *repo_head_branch(Repo *r)
{
        git_reference *head = NULL;
        char *name = NULL;
        if (git_repository_head(&head, r->repo) == 0 && git_reference_is_branch(head))
                name = strdup(git_reference_shorthand(head));
        git_reference_free(head);
        return name;
}

const char *repo_identity(Repo *r)
{
        if (r->identity)
                return r->identity;
        /* The origin URL straight from the config: git_remote_lookup() would do, but in libgit2 1.5 it
         * leaks regex match data, which LeakSanitizer rightly reports. */
        git_config *cfg = NULL;
        git_buf buf = GIT_BUF_INIT;
        const char *url = NULL;
        if (git_repository_config_snapshot(&cfg, r->repo) == 0 &&
            git_config_get_string_buf(&buf, cfg, "remote.origin.url") == 0)
                url = buf.ptr;
        StrBuf sb = STRBUF_INIT;
        if (url) {
                /* Credentials never go into a label: drop "user:pass@" from URLs. */
                const char *scheme = strstr(url, "://");
                const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
                const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
                if (at && (!slash || at < slash)) {
                        strbuf_add(&sb, url, (size_t)(scheme + 3 - url));
                        strbuf_addstr(&sb, at + 1);
                } else
                        strbuf_addstr(&sb, url);
                if (sb.len > 4 && strcmp(sb.buf + sb.len - 4, ".git") == 0)
                        sb.buf[sb.len -= 4] = '\0';
        } else {
                const char *wd = git_repository_workdir(r->repo);
                strbuf_addstr(&sb, wd ? wd : git_repository_path(r->repo));
        }
        git_buf_dispose(&buf);
        git_config_free(cfg);
        r->identity = strbuf_detach(&sb);
        return r->identity ? r->identity : "";
}

int repo_resolve(Repo *r, const char *rev, char ret[41], BerthError *err)
{
        _cleanup_(git_object_freep) git_object *obj = NULL;
        _cleanup_(git_object_freep) git_object *commit = NULL;
        char what[300];
        int g = git_revparse_single(&obj, r->repo, rev);
        snprintf(what, sizeof(what), "cannot resolve revision \"%s\"", rev);
        if (g < 0)
                return repo_git_fail(err, g, what);
        if ((g = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) < 0)
                return repo_git_fail(err, g, what);
        git_oid_tostr(ret, 41, git_object_id(commit));
        return 0;
}

int repo_resolve_id(Repo *r, const char *id, char ret[41], BerthError *err)
{
        _cleanup_(git_object_freep) git_object *obj = NULL;
        _cleanup_(git_object_freep) git_object *commit = NULL;
        git_oid oid;
        size_t n = strlen(id);
        int g;
        if (n < 4 || n > 40 || strspn(id, "0123456789abcdef") != n || git_oid_fromstrn(&oid, id, n) < 0)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL,
                                 "\"%s\" is not a commit id (4 to 40 lowercase hex digits)", id);
        if ((g = git_object_lookup_prefix(&obj, r->repo, &oid, n, GIT_OBJECT_ANY)) < 0 ||
            (g = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) < 0)
                return repo_git_fail(err, g, "no such commit");
        git_oid_tostr(ret, 41, git_object_id(commit));
        return 0;
}

int repo_tree_of(Repo *r, const char *commit, git_tree **ret, BerthError *err)
{
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        git_oid oid;
        int g;
        /* No commit yet (a branch about to be made): the empty tree, written on first use. */
        if (!commit[0]) {
                git_treebuilder *tb = NULL;
                if ((g = git_treebuilder_new(&tb, r->repo, NULL)) < 0 ||
                    (g = git_treebuilder_write(&oid, tb)) < 0) {
                        git_treebuilder_free(tb);
                        return repo_git_fail(err, g, "cannot make the empty tree");
                }
                git_treebuilder_free(tb);
                if ((g = git_tree_lookup(ret, r->repo, &oid)) < 0)
                        return repo_git_fail(err, g, "cannot read the empty tree");
                return 0;
        }
        if ((g = git_oid_fromstr(&oid, commit)) < 0 || (g = git_commit_lookup(&c, r->repo, &oid)) < 0)
                return repo_git_fail(err, g, "cannot read commit");
        if ((g = git_commit_tree(ret, c)) < 0)
                return repo_git_fail(err, g, "cannot read the commit's tree");
        return 0;
}

/* A blob's content, NUL-terminated, refused past max bytes (name is what errors call it). */
int repo_blob_read(Repo *r, const git_oid *id, const char *name, size_t max, char **ret, size_t *ret_len,
                   BerthError *err)
{
        git_blob *blob = NULL;
        if (git_blob_lookup(&blob, r->repo, id) < 0)
                return repo_git_fail(err, -1, "cannot read a file of the commit");
        size_t len = (size_t)git_blob_rawsize(blob);
        if (len > max) {
                git_blob_free(blob);
                return error_set(err, -EFBIG, name, 0, 0, NULL, "file too large (%zu bytes, limit %zu)", len,
                                 max);
        }
        char *buf = malloc(len + 1);
        if (!buf) {
                git_blob_free(blob);
                return -ENOMEM;
        }
        memcpy(buf, git_blob_rawcontent(blob), len);
        buf[len] = '\0';
        git_blob_free(blob);
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

int repo_has_commit(Repo *r, const char *commit)
{
        git_oid oid;
        git_commit *c = NULL;
        if (!commit || git_oid_fromstr(&oid, commit) < 0 || git_commit_lookup(&c, r->repo, &oid) < 0)
                return 0;
        git_commit_free(c);
        return 1;
}

int repo_descends(Repo *r, const char *descendant, const char *ancestor, BerthError *err)
{
        git_oid a, d;
        if (git_oid_fromstr(&a, ancestor) < 0 || git_oid_fromstr(&d, descendant) < 0)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "invalid commit id");
        if (git_oid_equal(&a, &d))
                return 1;
        int g = git_graph_descendant_of(r->repo, &d, &a);
        return g < 0 ? repo_git_fail(err, g, "cannot compare commits") : g;
}

size_t repo_sort_unique(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *),
                        void (*drop)(void *))
{
        char *v = items;
        size_t k = 0;
        if (n == 0)
                return 0;
        qsort(v, n, size, cmp);
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && strcmp(*(char **)(v + (k - 1) * size), *(char **)(v + i * size)) == 0) {
                        drop(v + i * size);
                        continue;
                }
                if (k != i)
                        memcpy(v + k * size, v + i * size, size);
                k++;
        }
        return k;
}

typedef struct DiffCtx {
        int (*fn)(void *, const char *);
        void *ud;
} DiffCtx;

static int diff_file_cb(const git_diff_delta *delta, float progress, void *payload)
{
        DiffCtx *d = payload;
        int r = d->fn(d->ud, delta->new_file.path);
        if (r >= 0 && strcmp(delta->old_file.path, delta->new_file.path) != 0)
                r = d->fn(d->ud, delta->old_file.path);
        return r < 0 ? r : 0;
}

int repo_changed_paths(Repo *r, const char *from, const char *to, int (*fn)(void *, const char *), void *ud,
                       BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *a = NULL;
        _cleanup_(git_tree_freep) git_tree *b = NULL;
        _cleanup_(git_diff_freep) git_diff *diff = NULL;
        DiffCtx d = { .fn = fn, .ud = ud };
        int rr, g;

        if ((from && (rr = repo_tree_of(r, from, &a, err)) < 0) || (rr = repo_tree_of(r, to, &b, err)) < 0)
                return rr;
        if ((g = git_diff_tree_to_tree(&diff, r->repo, a, b, NULL)) < 0)
                return repo_git_fail(err, g, "cannot diff the commits");
        g = git_diff_foreach(diff, diff_file_cb, NULL, NULL, NULL, &d);
        return g < 0 && g != GIT_EUSER ? repo_git_fail(err, g, "cannot walk the diff") : g < 0 ? -EIO : 0;
}

/* Whether export writes rel (a path of the tree; tree: a directory): images/ and the directories of
 * other stacks are left out, with all under them. */

int repo_read(Repo *r, const char *commit, const char *path, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *t = NULL;
        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
        int rr = repo_tree_of(r, commit, &t, err);
        if (rr < 0)
                return rr;
        if (git_tree_entry_bypath(&e, t, path) < 0 || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
                return -ENOENT;
        return repo_blob_read(r, git_tree_entry_id(e), path, REPO_FILE_MAX, ret, ret_len, err);
}

static int entry_oid(git_commit *c, const char *path, git_oid *ret)
{
        _cleanup_(git_tree_freep) git_tree *t = NULL;
        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
        if (git_commit_tree(&t, c) < 0)
                return -EIO;
        if (git_tree_entry_bypath(&e, t, path) < 0)
                return 0; /* absent: a zero id */
        git_oid_cpy(ret, git_tree_entry_id(e));
        return 1;
}

int repo_path_id(Repo *r, const char *commit, const char *path, char ret[41], BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *t = NULL;
        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
        int rr = repo_tree_of(r, commit, &t, err);
        if (rr < 0)
                return rr;
        if (!*path) {
                git_oid_tostr(ret, 41, git_tree_id(t));
                return 0;
        }
        if (git_tree_entry_bypath(&e, t, path) < 0)
                return -ENOENT;
        git_oid_tostr(ret, 41, git_tree_entry_id(e));
        return 0;
}

int repo_previous_change(Repo *r, const char *commit, const char *path, char ret[41], BerthError *err)
{
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        git_oid oid, want = { { 0 } }, have;
        int g;
        if ((g = git_oid_fromstr(&oid, commit)) < 0 || (g = git_commit_lookup(&c, r->repo, &oid)) < 0)
                return repo_git_fail(err, g, "cannot read commit");
        if (entry_oid(c, path, &want) < 0)
                return repo_git_fail(err, -1, "cannot read the commit's tree");
        for (unsigned depth = 0; depth < 100000; depth++) {
                git_commit *parent = NULL;
                if (git_commit_parentcount(c) == 0)
                        return error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                         "\"%s\" has no earlier version in the history", path);
                if ((g = git_commit_parent(&parent, c, 0)) < 0)
                        return repo_git_fail(err, g, "cannot read a parent commit");
                git_commit_free(c);
                c = parent;
                memset(&have, 0, sizeof(have));
                if (entry_oid(c, path, &have) < 0)
                        return repo_git_fail(err, -1, "cannot read a parent's tree");
                if (!git_oid_equal(&have, &want)) {
                        git_oid_tostr(ret, 41, git_commit_id(c));
                        return 0;
                }
        }
        return error_set(err, -ELOOP, NULL, 0, 0, NULL, "history too deep");
}

int repo_history(Repo *r, const char *commit, const char *path, size_t max, RepoHistoryFn fn, void *ud,
                 BerthError *err)
{
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        git_oid oid;
        int g;
        size_t found = 0;
        if (!commit[0])
                return 0; /* no commit yet: no history */
        if ((g = git_oid_fromstr(&oid, commit)) < 0 || (g = git_commit_lookup(&c, r->repo, &oid)) < 0)
                return repo_git_fail(err, g, "cannot read commit");
        /* First parents only, as a branch's own history reads; bounded, since a history can be long. */
        for (unsigned depth = 0; depth < 100000 && found < max && c; depth++) {
                git_commit *parent = NULL;
                git_oid here = { { 0 } }, before = { { 0 } };
                if (entry_oid(c, path, &here) < 0)
                        return repo_git_fail(err, -1, "cannot read a commit's tree");
                if (git_commit_parentcount(c) > 0) {
                        if ((g = git_commit_parent(&parent, c, 0)) < 0)
                                return repo_git_fail(err, g, "cannot read a parent commit");
                        if (entry_oid(parent, path, &before) < 0) {
                                git_commit_free(parent);
                                return repo_git_fail(err, -1, "cannot read a parent's tree");
                        }
                }
                if (!git_oid_equal(&here, &before)) {
                        char hex[41];
                        const git_signature *a = git_commit_author(c);
                        git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
                        int rr = fn(ud, hex, a && a->name ? a->name : "", a ? (long long)a->when.time : 0,
                                    git_commit_summary(c) ? git_commit_summary(c) : "");
                        if (rr < 0) {
                                git_commit_free(parent);
                                return rr;
                        }
                        found++;
                }
                git_commit_free(c);
                c = parent;
        }
        return 0;
}

typedef struct WalkCtx {
        Repo *r;
        RepoFileFn fn;
        RepoIdFn idfn; /* instead of fn: the blob's id, not its content */
        void *ud;
        int rr;
        BerthError *err;
} WalkCtx;

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
        WalkCtx *w = payload;
        git_filemode_t mode = git_tree_entry_filemode(e);
        if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
                return 0; /* trees are walked into; submodules have no content here */
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        git_blob *blob = NULL;
        if (strbuf_addf(&path, "%s%s", root, git_tree_entry_name(e)) < 0)
                return w->rr = -ENOMEM, -1;
        if (w->idfn) {
                char id[GIT_OID_HEXSZ + 1];
                git_oid_tostr(id, sizeof(id), git_tree_entry_id(e));
                return (w->rr = w->idfn(w->ud, strbuf_str(&path), (unsigned)mode, id)) < 0 ? -1 : 0;
        }
        if (git_blob_lookup(&blob, w->r->repo, git_tree_entry_id(e)) < 0) {
                w->rr = repo_git_fail(w->err, -1, "cannot read a file of the commit");
                return -1;
        }
        int rr = w->fn(w->ud, strbuf_str(&path), (unsigned)mode, git_blob_rawcontent(blob),
                       (size_t)git_blob_rawsize(blob));
        git_blob_free(blob);
        if (rr < 0) {
                w->rr = rr;
                return -1;
        }
        return 0;
}

static int walk_dir(Repo *r, const char *commit, const char *dir, WalkCtx *w, BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *root = NULL;
        _cleanup_(git_tree_freep) git_tree *sub = NULL;
        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
        int rr = repo_tree_of(r, commit, &root, err);
        if (rr < 0)
                return rr;
        git_tree *t = root;
        if (dir && *dir) {
                if (git_tree_entry_bypath(&e, root, dir) < 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE)
                        return -ENOENT;
                if (git_tree_lookup(&sub, r->repo, git_tree_entry_id(e)) < 0)
                        return repo_git_fail(err, -1, "cannot read a directory of the commit");
                t = sub;
        }
        if (git_tree_walk(t, GIT_TREEWALK_PRE, walk_cb, w) < 0)
                return w->rr < 0 ? w->rr : repo_git_fail(err, -1, "cannot walk the commit's tree");
        return 0;
}

int repo_walk(Repo *r, const char *commit, const char *dir, RepoFileFn fn, void *ud, BerthError *err)
{
        WalkCtx w = { .r = r, .fn = fn, .ud = ud, .err = err };
        return walk_dir(r, commit, dir, &w, err);
}

int repo_walk_ids(Repo *r, const char *commit, const char *dir, RepoIdFn fn, void *ud, BerthError *err)
{
        WalkCtx w = { .r = r, .idfn = fn, .ud = ud, .err = err };
        return walk_dir(r, commit, dir, &w, err);
}
