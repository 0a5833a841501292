/* write.h: changing the config repo, for berth-api, whose only state is git.
 *
 * A Writer keeps its own bare clone of one branch of the origin (file:// or http(s), with basic auth).
 * A change is made by a function that looks at the branch head and says which files to write or
 * remove; the Writer commits that onto the head's tree and pushes it. When the push is rejected
 * because someone else pushed first, it fetches, asks the function again on the new head (which may
 * now refuse, e.g. the stack exists) and pushes again, with jitter, until it lands or its deadline passes
 * (-EAGAIN: a clear "try again", never a request left without an answer). Nothing
 * is pushed half-made: a commit is whole before its push, and a failed one is never left on the
 * branch. Writes are serialised inside a process; several processes share the origin safely. Credentials
 * never appear in an error. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"
#include "repo.h"

typedef struct Writer Writer;

typedef struct WriterOptions {
        const char *url;    /* the origin */
        const char *branch; /* default "main" */
        const char *dir;    /* the clone; made when missing */
        const char *user;   /* basic auth for http(s), or NULL */
        const char *password;
        unsigned retries;    /* pushes tried after a rejection; default 1000 */
        unsigned deadline_s; /* what one commit may take, waiting for this process's other writers
                                included; default 60 */
} WriterOptions;

typedef struct FileChange {
        char *path; /* repo-relative */
        char *data; /* NULL: remove path (a file or a whole directory) */
        size_t len;
} FileChange;

typedef struct ChangeSet {
        FileChange *items;
        size_t n;
} ChangeSet;

int change_set_add(ChangeSet *c, const char *path, const void *data, size_t len);
int change_set_remove(ChangeSet *c, const char *path);
void change_set_done(ChangeSet *c);

/* Looks at the branch head (read it through repo at head) and fills changes; a negative return stops
 * the commit with that error (and err). */
typedef int (*ChangeFn)(void *ud, Repo *repo, const char *head, ChangeSet *changes, BerthError *err);

/* What the writer did, for metrics. */
typedef struct WriterStats {
        unsigned long pushes;       /* pushes tried */
        unsigned long rejected;     /* of them, rejected because the branch had moved: retried */
        unsigned long failed_tries; /* fetches or pushes that failed and were tried again */
} WriterStats;

int writer_open(const WriterOptions *o, Writer **ret, BerthError *err);
Writer *writer_free(Writer *w);
/* Fetches the branch and returns its head (41 bytes; "" when the origin has no such branch yet: the
 * first commit makes it). -EIO when the origin cannot be reached. */
int writer_sync(Writer *w, char ret_head[41], BerthError *err);
/* The clone, for reading: borrowed, valid while w is. Call writer_sync() first for a fresh head. */
Repo *writer_repo(Writer *w);
/* Commits what fn says onto the branch head as author (name, email), with message, and pushes it.
 * -EAGAIN when pushes kept being rejected, -EIO when the origin cannot be reached, fn's error when fn
 * refuses. An empty change set commits nothing and returns -ENODATA. */
int writer_commit(Writer *w, ChangeFn fn, void *ud, const char *author, const char *email,
                  const char *message, char ret_commit[41], BerthError *err);

void writer_stats(Writer *w, WriterStats *ret);

DEFINE_TRIVIAL_CLEANUP_FUNC(Writer *, writer_free)
#define _cleanup_writer_ _cleanup_(writer_freep)
