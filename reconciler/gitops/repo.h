/* repo.h: the user's config repo through libgit2: which stacks a commit holds, what changed between two
 * commits, and a commit's stack written out to a directory so the compose loader can read it.
 *
 * A Repo owns its libgit2 handles. StackList entries own their strings. Nothing here reads the working
 * tree: every answer comes from git objects, so --rev and rollbacks see exactly what a commit holds.
 *
 * A Repo, and every Source made from it, is used by one thread at a time: libgit2's objects are not
 * safe to use from two threads at once. Threads that share a Repo hold repo_lock() around their calls. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../source/source.h"
#include "../util/error.h"

typedef struct Repo Repo;

/* What a walk of a commit's files calls: the path, its git mode and its content; < 0 stops the walk. */
typedef int (*RepoFileFn)(void *ud, const char *path, unsigned mode, const void *data, size_t len);

typedef struct StackDesc {
        char *name;
        char *dir;  /* repo-relative directory ("stacks/web", or "" for the flat layout) */
        char *file; /* repo-relative compose file, for the flat layout; NULL: the standard names */
} StackDesc;

typedef struct StackList {
        StackDesc *items;
        size_t n;
} StackList;

int repo_open(const char *path, Repo **ret, BerthError *err);
Repo *repo_free(Repo *r);
void repo_lock(Repo *r);
void repo_unlock(Repo *r);
/* The full hex id of a revision ("HEAD", a branch, a sha); ret is 41 bytes. */
int repo_resolve(Repo *r, const char *rev, char ret[41], BerthError *err);
/* A commit by its id or an unambiguous prefix of it (4 to 40 hex digits) and nothing else: no revision
 * expression, so a caller's input cannot make libgit2 search the history (":/text" walks every commit). */
int repo_resolve_id(Repo *r, const char *id, char ret[41], BerthError *err);
/* The repo's tag names (NULL-terminated, for strv_free). */
int repo_tag_names(Repo *r, char ***ret, BerthError *err);
/* The branch checked out ("main"), or NULL when HEAD is detached or unborn; the caller frees it. */
char *repo_head_branch(Repo *r);
/* A stable identity for the repo: the origin URL without credentials, else the path. Owned by r. */
const char *repo_identity(Repo *r);
/* The stacks the commit holds, both layouts, sorted by name. Invalid names are skipped with a warning
 * through warn (they can never be deployed: the name would not be safe). */
/* Where a function below reads a commit, "" stands for a branch with no commit yet: an empty tree and
 * no history (berth-api on an empty origin). */
int repo_stacks(Repo *r, const char *commit, StackList *ret, void (*warn)(void *, const char *), void *ud,
                BerthError *err);
void stack_list_done(StackList *l);
/* Where the stack's stack.json is: <dir>/stack.json, or stack-<name>.json in the flat layout. */
void stack_desc_meta_path(const StackDesc *d, char *buf, size_t size);
const StackDesc *stack_list_find(const StackList *l, const char *name);
/* 1 if the commit exists in the repo, 0 if not (force-pushed away, or never fetched). */
int repo_has_commit(Repo *r, const char *commit);
/* 1 if descendant descends from ancestor (or is it), 0 if not. */
int repo_descends(Repo *r, const char *descendant, const char *ancestor, BerthError *err);
/* Calls fn for every path that differs between the two commits (NULL from: everything). */
int repo_changed_paths(Repo *r, const char *from, const char *to, int (*fn)(void *, const char *), void *ud,
                       BerthError *err);
/* A stack's project source at commit (source.h): the commit's tree without images/ and the directories
 * of other stacks, read straight from git objects, with root as the directory it stands for. A symlink
 * is followed only where it stays inside. The source borrows r, which must outlive it. */
int repo_source_new(Repo *r, const char *commit, const char *stack_dir, const char *root, Source **ret,
                    BerthError *err);
/* Calls fn for every entry of the stack's source at commit, parents first: directories (mode 040000,
 * no data), files and symlinks (0120000, data is the target). A name that is unsafe to write
 * (source_name_valid) fails the walk with -EINVAL and an error naming it and the commit. */
int repo_walk_stack(Repo *r, const char *commit, const char *stack_dir, RepoFileFn fn, void *ud,
                    BerthError *err);
/* The id of the tree or blob at path ("" for the root tree) in commit; -ENOENT when absent. */
int repo_path_id(Repo *r, const char *commit, const char *path, char ret[41], BerthError *err);
/* The newest ancestor of commit (first parents) in which path (a file or a directory) differs from
 * commit: where a stack was before its current version. -ENOENT when history has none. */
int repo_previous_change(Repo *r, const char *commit, const char *path, char ret[41], BerthError *err);
/* The commits (first parents, newest first) in which path (a file or a directory) changed, up to max:
 * fn gets each one's id, author, time and subject. */
typedef int (*RepoHistoryFn)(void *ud, const char *commit, const char *author, long long when,
                             const char *subject);
int repo_history(Repo *r, const char *commit, const char *path, size_t max, RepoHistoryFn fn, void *ud,
                 BerthError *err);
/* A file of the commit, or -ENOENT. */
int repo_read(Repo *r, const char *commit, const char *path, char **ret, size_t *ret_len, BerthError *err);

DEFINE_TRIVIAL_CLEANUP_FUNC(Repo *, repo_free)
#define _cleanup_repo_ _cleanup_(repo_freep)

/* Image descriptors: <dir>/<name>/Dockerfile (with image.json beside it) for each of dirs (NULL:
 * "images" alone), or the flat layout's Dockerfile-<name> (with image-<name>.json). Sorted by name; of
 * one name in several places, the first directory's wins, and any directory over the flat layout. */
typedef struct ImageDesc {
        char *name;
        size_t order;     /* where it was found: the first found wins a name */
        char *dir;        /* "images/<name>", or "" for the flat layout */
        char *dockerfile; /* repo-relative */
        char *config;     /* repo-relative image.json; the commit may not have it */
} ImageDesc;

typedef struct ImageList {
        ImageDesc *items;
        size_t n;
} ImageList;

int repo_images(Repo *r, const char *commit, const char *const *dirs, ImageList *ret,
                void (*warn)(void *, const char *), void *ud, BerthError *err);
void image_list_done(ImageList *l);
const ImageDesc *image_list_find(const ImageList *l, const char *name);

/* Calls fn for every file under dir ("" for the whole tree) of the commit: its path relative to dir,
 * its git file mode (0100644, 0100755, 0120000 for a symlink, whose content is its target) and its
 * content. fn returning < 0 stops the walk with that value. -ENOENT if dir is not in the commit. */
int repo_walk(Repo *r, const char *commit, const char *dir, RepoFileFn fn, void *ud, BerthError *err);
/* The same walk without reading a file: fn gets each file's blob id (the digest of its content). */
typedef int (*RepoIdFn)(void *ud, const char *path, unsigned mode, const char *blob_id);
int repo_walk_ids(Repo *r, const char *commit, const char *dir, RepoIdFn fn, void *ud, BerthError *err);
