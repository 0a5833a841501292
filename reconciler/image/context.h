/* context.h: a build context as the engine's /build takes it: a tar stream of a directory of a commit,
 * read from git objects (never the working tree), without what .dockerignore leaves out. The
 * Dockerfile and .dockerignore themselves are always sent, as the docker CLI does. The tar is written
 * as it is read, to a file descriptor (a pipe to the engine), so a context of any size costs the
 * largest file's worth of memory, not the context's. */
#pragma once

#include "../gitops/repo.h"
#include "../util/strbuf.h"
#include "ignore.h"

typedef struct ContextStats {
        size_t files, excluded, bytes;
} ContextStats;

/* dir: the context, repo-relative ("" for the whole repo); dockerfile: relative to dir. Writes the tar
 * to fd (which it leaves open); a write that fails with EPIPE (the reader is gone) stops it with -EPIPE. */
int context_tar(Repo *r, const char *commit, const char *dir, const char *dockerfile, int fd,
                ContextStats *stats, BerthError *err);
/* The digest of what a build sends and is asked (the build hash): every file the context sends (its
 * path, mode and git blob id: its content), the Dockerfile's name, the target and the build args.
 * Read from the tree alone: no file is read. */
int context_hash(Repo *r, const char *commit, const char *dir, const char *dockerfile, const char *target,
                 const cJSON *build_args, char ret[65], BerthError *err);
/* The context's .dockerignore (empty when it has none). */
int context_ignore(Repo *r, const char *commit, const char *dir, Ignore *ret, BerthError *err);
/* Whether a path of the context (relative to it) is sent. */
bool context_sends(const Ignore *ig, const char *dockerfile, const char *path);
