/* image.h: one image descriptor of the config repo, built from a commit and pushed.
 *
 * image.json (all keys optional; string values are interpolated from the environment):
 *   repository  the image's name, without registry or tag (default: the descriptor's name)
 *   registry    host[:port][/path] to prefix it with (default: berth.yaml's registry; none: local only)
 *   tags        ["1.2", "${CI_COMMIT_TAG:-dev}"] (besides the short commit, and latest on the default
 *               branch, which berth build adds)
 *   build_args  {"NAME": "value"}
 *   target      the stage of a multi-stage Dockerfile to build
 *   context     the build context, relative to the descriptor's directory (default: "."; for the flat
 *               layout, the repo's top)
 * The image is labelled with the commit and the repo it was built from (io.berth.*, and the OCI
 * revision and source labels). */
#pragma once

#include "../engine/engine.h"
#include "../gitops/repo.h"
#include "context.h"

typedef struct ImageSpec {
        char *name;      /* the descriptor's */
        char *reference; /* registry/repository, without a tag */
        char *registry;  /* host[:port] to push to; NULL: Docker Hub */
        char **tags;     /* NULL-terminated */
        size_t n_tags;
        cJSON *build_args; /* {"NAME": "value"} */
        char *target;
        char *context;         /* repo-relative; "" is the top */
        char *dockerfile;      /* relative to context */
        char *dockerfile_path; /* repo-relative, for messages */
} ImageSpec;

/* Reads the descriptor's image.json at the commit. registry: berth.yaml's default (may be NULL);
 * extra_tags (NULL-terminated, may be NULL) are added to the descriptor's tags, or replace them without
 * own_tags (a release is tagged by its version alone). */
int image_load(Repo *r, const char *commit, const ImageDesc *d, const EnvMap *env, const char *registry,
               bool own_tags, char *const *extra_tags, ImageSpec *ret, BerthError *err);
void image_spec_done(ImageSpec *s);

typedef struct BuildResult {
        char id[80];
        ContextStats context;
        double seconds;
} BuildResult;

typedef struct BuildIdentity {
        const char *repo;   /* io.berth.repo / org.opencontainers.image.source */
        const char *commit; /* io.berth.commit / org.opencontainers.image.revision */
} BuildIdentity;

typedef struct BuildOptions {
        BuildIdentity id;
        const char *registry_config; /* the X-Registry-Config header for FROM, or NULL */
        const char *build_hash;      /* context_hash(): recorded as io.berth.build-hash */
        bool no_cache;               /* the engine's cache is not used either */
        /* Each line of the build's output as it comes (Step N/M, what RUN prints). */
        void (*line)(void *ud, const char *line);
        void *ud;
} BuildOptions;

/* Builds the image with all its tags, streaming the context from git as the engine reads it. A failed
 * build says which step failed and the engine's message, also when it comes inside a 200 reply. */
int image_build(EngineClient *c, Repo *r, const char *commit, const ImageSpec *s, const BuildOptions *o,
                BuildResult *ret, BerthError *err);

typedef struct BuiltImage {
        char id[80];
        char commit[41]; /* the commit it was built from ("" when unknown) */
} BuiltImage;

/* The newest image on the engine built from exactly this build hash: 1 and *ret filled, 0 when none. */
int image_find_built(EngineClient *c, const char *build_hash, BuiltImage *ret, BerthError *err);
/* Tags an image (by id) as reference:tag. */
int image_tag(EngineClient *c, const char *id, const char *reference, const char *tag, BerthError *err);
/* Pushes one tag; auth_header is the X-Registry-Auth header. digest gets what the registry reported
 * for the manifest it stored ("sha256:..."), or "" when it said nothing. */
int image_push(EngineClient *c, const ImageSpec *s, const char *tag, const char *auth_header,
               char digest[80], BerthError *err);
