/* repo.c: libgit2 access to the config repo. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <ftw.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fileio.h"
#include "../util/names.h"
#include "../util/strbuf.h"
#include "repo.h"

#define REPO_FILE_MAX ((size_t)8 * 1024 * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(git_commit *, git_commit_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_tree *, git_tree_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_object *, git_object_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_diff *, git_diff_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(git_tree_entry *, git_tree_entry_free)

struct Repo {
        git_repository *repo;
        char *identity;
        pthread_mutex_t lock;
};

/* Translates libgit2's last error where it enters our code, keeping its text. */
static int git_fail(BerthError *err, int r, const char *what)
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
                int x = git_fail(err, g, "cannot open the config repo");
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
                return git_fail(err, -1, "cannot list the repo's tags");
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
                return git_fail(err, g, what);
        if ((g = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT)) < 0)
                return git_fail(err, g, what);
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
                return git_fail(err, g, "no such commit");
        git_oid_tostr(ret, 41, git_object_id(commit));
        return 0;
}

static int tree_of(Repo *r, const char *commit, git_tree **ret, BerthError *err)
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
                        return git_fail(err, g, "cannot make the empty tree");
                }
                git_treebuilder_free(tb);
                if ((g = git_tree_lookup(ret, r->repo, &oid)) < 0)
                        return git_fail(err, g, "cannot read the empty tree");
                return 0;
        }
        if ((g = git_oid_fromstr(&oid, commit)) < 0 || (g = git_commit_lookup(&c, r->repo, &oid)) < 0)
                return git_fail(err, g, "cannot read commit");
        if ((g = git_commit_tree(ret, c)) < 0)
                return git_fail(err, g, "cannot read the commit's tree");
        return 0;
}

/* A blob's content, NUL-terminated, refused past max bytes (name is what errors call it). */
static int blob_read(Repo *r, const git_oid *id, const char *name, size_t max, char **ret, size_t *ret_len,
                     BerthError *err)
{
        git_blob *blob = NULL;
        if (git_blob_lookup(&blob, r->repo, id) < 0)
                return git_fail(err, -1, "cannot read a file of the commit");
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
        return g < 0 ? git_fail(err, g, "cannot compare commits") : g;
}

static void drop_stack(void *p);

void stack_list_done(StackList *l)
{
        for (size_t i = 0; i < l->n; i++)
                drop_stack(&l->items[i]);
        free(l->items);
        *l = (StackList){ 0 };
}

static int cmp_name(const void *key, const void *item)
{
        return strcmp(key, ((const StackDesc *)item)->name);
}

void stack_desc_meta_path(const StackDesc *d, char *buf, size_t size)
{
        if (*d->dir)
                snprintf(buf, size, "%s/stack.json", d->dir);
        else
                snprintf(buf, size, "stack-%s.json", d->name);
}

const StackDesc *stack_list_find(const StackList *l, const char *name)
{
        return l->n ? bsearch(name, l->items, l->n, sizeof(StackDesc), cmp_name) : NULL;
}

/* Sorts items (each starting with its char *name) with cmp, which puts the one that wins a name first,
 * and drops the others through drop(); returns the new count. */
static size_t sort_unique(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *),
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

static void drop_stack(void *p)
{
        StackDesc *s = p;
        free(s->name);
        free(s->dir);
        free(s->file);
}

static int add_stack(StackList *l, size_t *alloc, const char *name, const char *dir, const char *file)
{
        if (l->n == *alloc) {
                size_t n = *alloc ? *alloc * 2 : 64;
                StackDesc *v = realloc(l->items, n * sizeof(StackDesc));
                if (!v)
                        return -ENOMEM;
                l->items = v;
                *alloc = n;
        }
        StackDesc *s = &l->items[l->n];
        *s = (StackDesc){ .name = strdup(name), .dir = strdup(dir), .file = file ? strdup(file) : NULL };
        if (!s->name || !s->dir || (file && !s->file))
                return -ENOMEM;
        l->n++;
        return 0;
}

static bool compose_name(const char *n)
{
        return strcmp(n, "compose.yaml") == 0 || strcmp(n, "compose.yml") == 0 ||
               strcmp(n, "docker-compose.yaml") == 0 || strcmp(n, "docker-compose.yml") == 0;
}

/* By name; of two stacks with one name, the stacks/<name>/ one (no file) first: it wins. */
static int cmp_stacks(const void *a, const void *b)
{
        const StackDesc *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : (x->file != NULL) - (y->file != NULL);
}

int repo_stacks(Repo *r, const char *commit, StackList *ret, void (*warn)(void *, const char *), void *ud,
                BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *root = NULL;
        _cleanup_(git_tree_freep) git_tree *stacks = NULL;
        _cleanup_(git_tree_entry_freep) git_tree_entry *se = NULL;
        StackList l = { 0 };
        size_t alloc = 0;
        char msg[512];
        int rr;

        if ((rr = tree_of(r, commit, &root, err)) < 0)
                return rr;
        /* stacks/<name>/ with one of the standard compose file names */
        if (git_tree_entry_bypath(&se, root, "stacks") == 0 && git_tree_entry_type(se) == GIT_OBJECT_TREE &&
            git_tree_lookup(&stacks, r->repo, git_tree_entry_id(se)) == 0) {
                size_t n = git_tree_entrycount(stacks);
                for (size_t i = 0; i < n; i++) {
                        const git_tree_entry *e = git_tree_entry_byindex(stacks, i);
                        const char *name = git_tree_entry_name(e);
                        if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
                                continue;
                        _cleanup_(git_tree_freep) git_tree *sub = NULL;
                        bool has_compose = false;
                        if (git_tree_lookup(&sub, r->repo, git_tree_entry_id(e)) < 0)
                                continue;
                        for (size_t k = 0; k < git_tree_entrycount(sub) && !has_compose; k++)
                                has_compose =
                                        compose_name(git_tree_entry_name(git_tree_entry_byindex(sub, k)));
                        if (!has_compose)
                                continue;
                        if (!project_name_valid(name)) {
                                snprintf(msg, sizeof(msg),
                                         "stacks/%s: not a valid stack name (^[a-z0-9][a-z0-9_-]{0,62}$), "
                                         "skipped",
                                         name);
                                if (warn)
                                        warn(ud, msg);
                                continue;
                        }
                        char dir[300];
                        snprintf(dir, sizeof(dir), "stacks/%s", name);
                        if ((rr = add_stack(&l, &alloc, name, dir, NULL)) < 0)
                                goto fail;
                }
        }
        /* The flat layout of the original design: docker-compose-<name>.yml at the top. */
        size_t n = git_tree_entrycount(root);
        for (size_t i = 0; i < n; i++) {
                const git_tree_entry *e = git_tree_entry_byindex(root, i);
                const char *f = git_tree_entry_name(e);
                size_t len = strlen(f);
                if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || strncmp(f, "docker-compose-", 15) != 0 ||
                    !(len > 19 && (strcmp(f + len - 4, ".yml") == 0 || strcmp(f + len - 5, ".yaml") == 0)))
                        continue;
                char name[128];
                size_t nl = len - 15 - (f[len - 4] == '.' ? 4 : 5);
                if (nl == 0 || nl >= sizeof(name))
                        continue;
                memcpy(name, f + 15, nl);
                name[nl] = '\0';
                if (!project_name_valid(name)) {
                        snprintf(msg, sizeof(msg), "%s: not a valid stack name, skipped", f);
                        if (warn)
                                warn(ud, msg);
                        continue;
                }
                if ((rr = add_stack(&l, &alloc, name, "", f)) < 0)
                        goto fail;
        }
        l.n = sort_unique(l.items, l.n, sizeof(StackDesc), cmp_stacks, drop_stack);
        *ret = l;
        return 0;
fail:
        stack_list_done(&l);
        return rr;
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

        if ((from && (rr = tree_of(r, from, &a, err)) < 0) || (rr = tree_of(r, to, &b, err)) < 0)
                return rr;
        if ((g = git_diff_tree_to_tree(&diff, r->repo, a, b, NULL)) < 0)
                return git_fail(err, g, "cannot diff the commits");
        g = git_diff_foreach(diff, diff_file_cb, NULL, NULL, NULL, &d);
        return g < 0 && g != GIT_EUSER ? git_fail(err, g, "cannot walk the diff") : g < 0 ? -EIO : 0;
}

/* Whether export writes rel (a path of the tree; tree: a directory): images/ and the directories of
 * other stacks are left out, with all under them. */
static bool exported(const char *rel, bool tree, const char *stack_dir)
{
        if ((tree && strcmp(rel, "images") == 0) || strncmp(rel, "images/", 7) == 0)
                return false;
        if (strncmp(rel, "stacks/", 7) != 0)
                return true;
        size_t n = strcspn(rel + 7, "/") + 7;
        if (!tree && rel[n] == '\0')
                return true; /* a file right in stacks/ */
        return stack_dir && strlen(stack_dir) == n && strncmp(rel, stack_dir, n) == 0;
}

/* ---- a stack's project source, from git objects ---- */

typedef struct GitSource {
        Source s;
        Repo *r;
        git_tree *tree;
        char *stack_dir; /* NULL: the flat layout */
} GitSource;

#define SYMLINK_HOPS 8

/* The entry at rel, following symlinks that stay inside the source; *ret NULL when missing. -EACCES
 * for a link that leads out (or loops). */
static int git_entry(GitSource *g, const char *rel, git_tree_entry **ret)
{
        _cleanup_free_ char *path = strdup(rel);
        *ret = NULL;
        for (unsigned hop = 0; path && hop <= SYMLINK_HOPS; hop++) {
                git_tree_entry *e = NULL;
                /* Components are looked up one at a time, so a link in the middle of a path is seen. */
                _cleanup_strbuf_ StrBuf done = STRBUF_INIT;
                const char *p = path;
                bool relinked = false;
                while (*p) {
                        const char *slash = strchrnul(p, '/');
                        if (done.len)
                                strbuf_addch(&done, '/');
                        strbuf_add(&done, p, (size_t)(slash - p));
                        if (!exported(strbuf_str(&done), *slash != '\0', g->stack_dir) ||
                            git_tree_entry_bypath(&e, g->tree, strbuf_str(&done)) < 0)
                                return 0;
                        if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
                                git_blob *blob = NULL;
                                if (git_blob_lookup(&blob, g->r->repo, git_tree_entry_id(e)) < 0) {
                                        git_tree_entry_free(e);
                                        return -EIO;
                                }
                                _cleanup_free_ char *target =
                                        strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
                                git_blob_free(blob);
                                git_tree_entry_free(e);
                                e = NULL;
                                if (!target)
                                        return -ENOMEM;
                                if (target[0] == '/')
                                        return -EACCES;
                                _cleanup_free_ char *dir = path_dirname(strbuf_str(&done));
                                StrBuf next = STRBUF_INIT;
                                strbuf_addf(&next, "/%s/%s%s%s", strcmp(dir, ".") ? dir : "", target,
                                            *slash ? "/" : "", *slash ? slash + 1 : "");
                                _cleanup_free_ char *joined = strbuf_detach(&next);
                                _cleanup_free_ char *folded = joined ? path_absolute("/", joined) : NULL;
                                if (!folded)
                                        return -ENOMEM;
                                free(path);
                                path = strdup(folded + 1);
                                if (path && folded[1] == '\0')
                                        return -EACCES; /* a link to the top is not a file */
                                if (path && strncmp(path, "..", 2) == 0)
                                        return -EACCES;
                                relinked = true;
                                break;
                        }
                        if (!*slash) {
                                *ret = e;
                                return 0;
                        }
                        git_tree_entry_free(e);
                        e = NULL;
                        p = slash + 1;
                }
                if (!relinked)
                        return 0;
        }
        return path ? -EACCES : -ENOMEM;
}

static int git_source_read(Source *s, const char *rel, size_t max, char **ret, size_t *ret_len,
                           BerthError *err)
{
        GitSource *g = (GitSource *)s;
        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
        int rr = git_entry(g, rel, &e);
        if (rr == -EACCES)
                return error_set(err, rr, rel, 0, 0, NULL, "a symlink leads outside %s", s->what);
        if (rr < 0)
                return rr;
        if (!e)
                return -ENOENT;
        if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
                return error_set(err, -EACCES, rel, 0, 0, NULL, "is not a regular file in %s", s->what);
        return blob_read(g->r, git_tree_entry_id(e), rel, max, ret, ret_len, err);
}

static SourceKind git_source_kind(Source *s, const char *rel)
{
        GitSource *g = (GitSource *)s;
        if (!*rel)
                return SRC_DIR;
        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
        int rr = git_entry(g, rel, &e);
        if (rr < 0)
                return SRC_OTHER;
        if (!e)
                return SRC_MISSING;
        switch (git_tree_entry_type(e)) {
        case GIT_OBJECT_BLOB:
                return SRC_FILE;
        case GIT_OBJECT_TREE:
                return SRC_DIR;
        default:
                return SRC_OTHER;
        }
}

static void git_source_free(Source *s)
{
        GitSource *g = (GitSource *)s;
        git_tree_free(g->tree);
        free(g->stack_dir);
        free(g);
}

static const SourceOps git_source_ops = { .read = git_source_read,
                                          .kind = git_source_kind,
                                          .free = git_source_free };

int repo_source_new(Repo *r, const char *commit, const char *stack_dir, const char *root, Source **ret,
                    BerthError *err)
{
        GitSource *g = calloc(1, sizeof(GitSource));
        char what[64];
        if (!g)
                return -ENOMEM;
        snprintf(what, sizeof(what), "commit %.12s", commit);
        g->r = r;
        int rr = source_init(&g->s, &git_source_ops, root, what);
        if (rr >= 0 && stack_dir && *stack_dir && !(g->stack_dir = strdup(stack_dir)))
                rr = -ENOMEM;
        if (rr >= 0)
                rr = tree_of(r, commit, &g->tree, err);
        if (rr < 0) {
                source_unref(&g->s);
                return rr;
        }
        *ret = &g->s;
        return 0;
}

typedef struct StackWalk {
        Repo *r;
        const char *commit;
        const char *stack_dir;
        RepoFileFn fn;
        void *ud;
        int rr;
        BerthError *err;
} StackWalk;

static int stack_walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
        StackWalk *w = payload;
        const char *name = git_tree_entry_name(e);
        _cleanup_strbuf_ StrBuf rel = STRBUF_INIT;
        git_object_t type = git_tree_entry_type(e);
        if (strbuf_addf(&rel, "%s%s", root, name) < 0)
                return w->rr = -ENOMEM, -1;
        /* Other stacks and image descriptors are not a stack's business: skip their trees. */
        if (!exported(strbuf_str(&rel), type == GIT_OBJECT_TREE, w->stack_dir))
                return type == GIT_OBJECT_TREE ? 1 : 0;
        /* git itself refuses such names, but a crafted tree object can hold them; they must never
         * become paths on the host. */
        if (!source_name_valid(name, strlen(name))) {
                w->rr = error_set(w->err, -EINVAL, NULL, 0, 0, NULL,
                                  "commit %.12s: \"%s\" has an unsafe name (\"%s\")", w->commit,
                                  strbuf_str(&rel), name);
                return -1;
        }
        if (type == GIT_OBJECT_TREE) {
                if ((w->rr = w->fn(w->ud, strbuf_str(&rel), 040000, NULL, 0)) < 0)
                        return -1;
                return 0;
        }
        if (type != GIT_OBJECT_BLOB)
                return 0; /* submodules have no content here */
        git_blob *blob = NULL;
        if (git_blob_lookup(&blob, w->r->repo, git_tree_entry_id(e)) < 0) {
                w->rr = git_fail(w->err, -1, "cannot read a file of the commit");
                return -1;
        }
        int rr = w->fn(w->ud, strbuf_str(&rel), (unsigned)git_tree_entry_filemode(e),
                       git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
        git_blob_free(blob);
        if (rr < 0) {
                w->rr = rr;
                return -1;
        }
        return 0;
}

int repo_walk_stack(Repo *r, const char *commit, const char *stack_dir, RepoFileFn fn, void *ud,
                    BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *t = NULL;
        StackWalk w = { .r = r,
                        .commit = commit,
                        .stack_dir = stack_dir && *stack_dir ? stack_dir : NULL,
                        .fn = fn,
                        .ud = ud,
                        .err = err };
        int rr = tree_of(r, commit, &t, err);
        if (rr < 0)
                return rr;
        if (git_tree_walk(t, GIT_TREEWALK_PRE, stack_walk_cb, &w) < 0)
                return w.rr < 0 ? w.rr : git_fail(err, -1, "cannot walk the commit's tree");
        return 0;
}

int repo_read(Repo *r, const char *commit, const char *path, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *t = NULL;
        _cleanup_(git_tree_entry_freep) git_tree_entry *e = NULL;
        int rr = tree_of(r, commit, &t, err);
        if (rr < 0)
                return rr;
        if (git_tree_entry_bypath(&e, t, path) < 0 || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
                return -ENOENT;
        return blob_read(r, git_tree_entry_id(e), path, REPO_FILE_MAX, ret, ret_len, err);
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
        int rr = tree_of(r, commit, &t, err);
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
                return git_fail(err, g, "cannot read commit");
        if (entry_oid(c, path, &want) < 0)
                return git_fail(err, -1, "cannot read the commit's tree");
        for (unsigned depth = 0; depth < 100000; depth++) {
                git_commit *parent = NULL;
                if (git_commit_parentcount(c) == 0)
                        return error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                         "\"%s\" has no earlier version in the history", path);
                if ((g = git_commit_parent(&parent, c, 0)) < 0)
                        return git_fail(err, g, "cannot read a parent commit");
                git_commit_free(c);
                c = parent;
                memset(&have, 0, sizeof(have));
                if (entry_oid(c, path, &have) < 0)
                        return git_fail(err, -1, "cannot read a parent's tree");
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
                return git_fail(err, g, "cannot read commit");
        /* First parents only, as a branch's own history reads; bounded, since a history can be long. */
        for (unsigned depth = 0; depth < 100000 && found < max && c; depth++) {
                git_commit *parent = NULL;
                git_oid here = { { 0 } }, before = { { 0 } };
                if (entry_oid(c, path, &here) < 0)
                        return git_fail(err, -1, "cannot read a commit's tree");
                if (git_commit_parentcount(c) > 0) {
                        if ((g = git_commit_parent(&parent, c, 0)) < 0)
                                return git_fail(err, g, "cannot read a parent commit");
                        if (entry_oid(parent, path, &before) < 0) {
                                git_commit_free(parent);
                                return git_fail(err, -1, "cannot read a parent's tree");
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

/* ---- image descriptors ---- */

static void drop_image(void *p)
{
        ImageDesc *d = p;
        free(d->name);
        free(d->dir);
        free(d->dockerfile);
        free(d->config);
}

void image_list_done(ImageList *l)
{
        for (size_t i = 0; i < l->n; i++)
                drop_image(&l->items[i]);
        free(l->items);
        *l = (ImageList){ 0 };
}

static int cmp_image_name(const void *key, const void *item)
{
        return strcmp(key, ((const ImageDesc *)item)->name);
}

const ImageDesc *image_list_find(const ImageList *l, const char *name)
{
        return l->n ? bsearch(name, l->items, l->n, sizeof(ImageDesc), cmp_image_name) : NULL;
}

static int add_image(ImageList *l, size_t *alloc, const char *name, const char *dir, const char *dockerfile,
                     const char *config)
{
        if (l->n == *alloc) {
                size_t n = *alloc ? *alloc * 2 : 16;
                ImageDesc *v = realloc(l->items, n * sizeof(ImageDesc));
                if (!v)
                        return -ENOMEM;
                l->items = v;
                *alloc = n;
        }
        ImageDesc *d = &l->items[l->n];
        *d = (ImageDesc){ .name = strdup(name),
                          .order = l->n,
                          .dir = strdup(dir),
                          .dockerfile = strdup(dockerfile),
                          .config = strdup(config) };
        if (!d->name || !d->dir || !d->dockerfile || !d->config)
                return -ENOMEM;
        l->n++;
        return 0;
}

/* By name; of two images with one name, the one from a directory first, and of directories the one
 * listed first (add_image numbered them in that order): it wins. */
static int cmp_images(const void *a, const void *b)
{
        const ImageDesc *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        if (c)
                return c;
        if ((*x->dir == '\0') != (*y->dir == '\0'))
                return (*x->dir == '\0') - (*y->dir == '\0');
        return (x->order > y->order) - (x->order < y->order);
}

static void image_warn(void (*warn)(void *, const char *), void *ud, const char *path)
{
        char msg[512];
        snprintf(msg, sizeof(msg), "%s: not a valid image name (^[a-z0-9][a-z0-9_-]{0,62}$), skipped", path);
        if (warn)
                warn(ud, msg);
}

static const char *const image_dirs_default[] = { "images", NULL };

int repo_images(Repo *r, const char *commit, const char *const *dirs, ImageList *ret,
                void (*warn)(void *, const char *), void *ud, BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *root = NULL;
        ImageList l = { 0 };
        size_t alloc = 0;
        char a[300], b[300], c[300];
        int rr;

        if ((rr = tree_of(r, commit, &root, err)) < 0)
                return rr;
        for (const char *const *dir = dirs ? dirs : image_dirs_default; *dir; dir++) {
                _cleanup_(git_tree_freep) git_tree *images = NULL;
                _cleanup_(git_tree_entry_freep) git_tree_entry *ie = NULL;
                if (git_tree_entry_bypath(&ie, root, *dir) < 0 ||
                    git_tree_entry_type(ie) != GIT_OBJECT_TREE ||
                    git_tree_lookup(&images, r->repo, git_tree_entry_id(ie)) < 0)
                        continue;
                for (size_t i = 0; i < git_tree_entrycount(images); i++) {
                        const git_tree_entry *e = git_tree_entry_byindex(images, i);
                        const char *name = git_tree_entry_name(e);
                        _cleanup_(git_tree_freep) git_tree *sub = NULL;
                        if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
                            git_tree_lookup(&sub, r->repo, git_tree_entry_id(e)) < 0 ||
                            !git_tree_entry_byname(sub, "Dockerfile"))
                                continue;
                        snprintf(a, sizeof(a), "%s/%s", *dir, name);
                        if (!project_name_valid(name)) {
                                image_warn(warn, ud, a);
                                continue;
                        }
                        snprintf(b, sizeof(b), "%s/%s/Dockerfile", *dir, name);
                        snprintf(c, sizeof(c), "%s/%s/image.json", *dir, name);
                        if ((rr = add_image(&l, &alloc, name, a, b, c)) < 0)
                                goto fail;
                }
        }
        /* The flat layout: Dockerfile-<name> at the top, the whole repo its context. */
        for (size_t i = 0; i < git_tree_entrycount(root); i++) {
                const git_tree_entry *e = git_tree_entry_byindex(root, i);
                const char *f = git_tree_entry_name(e);
                if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || strncmp(f, "Dockerfile-", 11) != 0 ||
                    !f[11])
                        continue;
                if (!project_name_valid(f + 11)) {
                        image_warn(warn, ud, f);
                        continue;
                }
                snprintf(c, sizeof(c), "image-%s.json", f + 11);
                if ((rr = add_image(&l, &alloc, f + 11, "", f, c)) < 0)
                        goto fail;
        }
        l.n = sort_unique(l.items, l.n, sizeof(ImageDesc), cmp_images, drop_image);
        *ret = l;
        return 0;
fail:
        image_list_done(&l);
        return rr;
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
                w->rr = git_fail(w->err, -1, "cannot read a file of the commit");
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
        int rr = tree_of(r, commit, &root, err);
        if (rr < 0)
                return rr;
        git_tree *t = root;
        if (dir && *dir) {
                if (git_tree_entry_bypath(&e, root, dir) < 0 || git_tree_entry_type(e) != GIT_OBJECT_TREE)
                        return -ENOENT;
                if (git_tree_lookup(&sub, r->repo, git_tree_entry_id(e)) < 0)
                        return git_fail(err, -1, "cannot read a directory of the commit");
                t = sub;
        }
        if (git_tree_walk(t, GIT_TREEWALK_PRE, walk_cb, w) < 0)
                return w->rr < 0 ? w->rr : git_fail(err, -1, "cannot walk the commit's tree");
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
