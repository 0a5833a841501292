/* context.h: a build context as the engine's /build takes it: a tar stream of a directory of a commit,
 * read from git objects (never the working tree), without what .dockerignore leaves out. The
 * Dockerfile and .dockerignore themselves are always sent, as the docker CLI does. */
#pragma once

#include "../gitops/repo.h"
#include "../util/strbuf.h"
#include "ignore.h"

#define CONTEXT_MAX ((size_t)512 * 1024 * 1024)

typedef struct ContextStats {
        size_t files, excluded, bytes;
} ContextStats;

/* dir: the context, repo-relative ("" for the whole repo); dockerfile: relative to dir. */
int context_tar(Repo *r, const char *commit, const char *dir, const char *dockerfile, StrBuf *out,
                ContextStats *stats, BerthError *err);
/* The context's .dockerignore (empty when it has none). */
int context_ignore(Repo *r, const char *commit, const char *dir, Ignore *ret, BerthError *err);
/* Whether a path of the context (relative to it) is sent. */
bool context_sends(const Ignore *ig, const char *dockerfile, const char *path);
