/* gitsource.c: a stack's project source read from git objects, and the walk that writes it out. */
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
        return repo_blob_read(g->r, git_tree_entry_id(e), rel, max, ret, ret_len, err);
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
                rr = repo_tree_of(r, commit, &g->tree, err);
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
                w->rr = repo_git_fail(w->err, -1, "cannot read a file of the commit");
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
        int rr = repo_tree_of(r, commit, &t, err);
        if (rr < 0)
                return rr;
        if (git_tree_walk(t, GIT_TREEWALK_PRE, stack_walk_cb, &w) < 0)
                return w.rr < 0 ? w.rr : repo_git_fail(err, -1, "cannot walk the commit's tree");
        return 0;
}
