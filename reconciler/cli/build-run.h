/* build-run.h: what `berth build` and `berth release` share: the repo's image descriptors loaded from
 * one commit, each built (or found already built from the same inputs), tagged, pushed with the
 * registry's digests, and reported. The commands differ only in the commit and the tags. */
#pragma once

#include <stdbool.h>

typedef struct BuildRun {
        const char *command; /* "berth build", for messages */
        const char *repo_path;
        const char *rev;
        const char *since;       /* only images whose context changed since; NULL: all */
        const char *host;        /* -H */
        const char *report;      /* the JSON report's path, or NULL */
        char *const *names;      /* the images asked for (NULL-terminated); empty: every one */
        char *const *tags;       /* tags for every image (NULL-terminated, may be NULL) */
        char *const *latest_for; /* images that also get `latest` (NULL-terminated, may be NULL) */
        bool latest_all;         /* every image gets `latest` */
        bool own_tags;           /* image.json's tags too (berth build; a release has its own) */
        bool commit_tag;         /* the commit's short id (8 digits, as CI_COMMIT_SHORT_SHA) */
        bool branch_latest;      /* `latest` when the commit is the default branch's, unless the
                                   * repo's releases own `latest` (berth.yaml release:) */
        bool push;
        bool no_cache; /* build even when an image of the same inputs exists, without the engine's cache */
        const char *release; /* the release's git tag, for the report; NULL for a build */
        const char *version; /* its version */
} BuildRun;

/* Returns the exit code: EXIT_DONE, EXIT_FAILED (an image failed), EXIT_USAGE (an unknown image). */
int build_run(const BuildRun *run);
