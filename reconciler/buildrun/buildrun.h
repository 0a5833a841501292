/* buildrun.h: what `berth build` and `berth release` do with the repo's image descriptors: load them
 * from one commit, choose which to build (by name, by --since), build each (or find it already built
 * from the same inputs), tag it, push it with the registry's digests, and say how it went. The commands
 * differ only in the commit and the tags; the shell that calls this prints what it is told
 * (BuildEvents) and the summary from the jobs. */
#pragma once

#include <stdbool.h>

#include "../image/image.h"
#include "../reconcile/settings.h"

typedef struct BuildRun {
        const char *repo_path;
        const char *rev;
        const char *since;       /* only images whose context changed since; NULL: all */
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

typedef struct BuildPushed {
        char tag[160];
        char digest[80];
} BuildPushed;

typedef struct BuildJob {
        const ImageDesc *d;
        ImageSpec spec;
        BuildResult built;
        char build_hash[65];
        BuiltImage reused; /* found already built from the same inputs */
        Ignore ignore;     /* the context's .dockerignore, for --since */
        BuildPushed *pushed;
        size_t n_pushed;
        bool named; /* asked for (by name, or all) before --since narrows it */
        bool selected, loaded, ok;
        BerthError error;
} BuildJob;

typedef struct BuildSet {
        Repo *repo;
        char head[41];
        Settings settings;
        EnvMap image_env; /* what image.json interpolates */
        char *registry;   /* berth.yaml's default registry */
        ImageList images;
        BuildJob *jobs; /* one per image, in the list's order */
        size_t n, selected;
} BuildSet;

typedef struct BuildEvents {
        /* A line about one image: what is done, and the engine's build output as it comes. */
        void (*line)(void *ud, const BuildJob *j, const char *line);
        /* One image's work begins and ends (j->ok, j->error say how). */
        void (*start)(void *ud, const BuildJob *j);
        void (*end)(void *ud, const BuildJob *j);
        void *ud;
} BuildEvents;

/* Opens the repo, reads berth.yaml and every descriptor at run->rev (a broken image.json fails its own
 * job, not the set), and selects the jobs to run. -ESRCH when run->names has an image the commit does
 * not have (err names it). */
int build_set_load(const BuildRun *run, const EnvMap *env, BuildSet *ret, BerthError *err);
/* Builds, tags and pushes every selected job, in order; returns how many failed. */
size_t build_set_run(BuildSet *s, const BuildRun *run, EngineClient *engine, const EnvMap *env,
                     const BuildEvents *ev);
/* unchanged, built, pushed, pushed (not rebuilt), FAILED. */
const char *build_job_result(const BuildJob *j, bool push);
/* The selected jobs' outcomes as the JSON report (README: "berth build --report"); checked whole
 * where it is written (json.h). */
cJSON *build_set_report(const BuildSet *s, const BuildRun *run);
void build_set_done(BuildSet *s);
