/* repo-private.h: what the files of gitops/ that read the config repo share: the Repo itself and the
 * few libgit2 steps every reader takes. Internal to gitops/.
 *
 *   repo.c       opening the repo, commits, trees, blobs, diffs, history and walks
 *   layout.c     which stacks and which image descriptors a commit has
 *   gitsource.c  a stack's project source from git objects, and the walk that writes it to the host */
#pragma once

#include <git2.h>
#include <pthread.h>

#include "../util/cleanup.h"
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
int repo_git_fail(BerthError *err, int r, const char *what);
/* The tree of commit (NULL: the empty tree). */
int repo_tree_of(Repo *r, const char *commit, git_tree **ret, BerthError *err);
int repo_blob_read(Repo *r, const git_oid *id, const char *name, size_t max, char **ret, size_t *ret_len,
                   BerthError *err);
/* Sorts items and drops the later of equal ones (freed with drop); returns how many are left. */
size_t repo_sort_unique(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *),
                        void (*drop)(void *));
