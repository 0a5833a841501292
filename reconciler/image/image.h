/* image.h: one image descriptor of the config repo, built from a commit and pushed.
 *
 * image.json (all keys optional; string values are interpolated from the environment):
 *   repository  the image's name, without registry or tag (default: the descriptor's name)
 *   registry    host[:port][/path] to prefix it with (default: berth.yaml's registry; none: local only)
 *   tags        ["1.2", "${CI_COMMIT_TAG:-dev}"] (default: ["latest"])
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
 * extra_tags (NULL-terminated, may be NULL) are added to the descriptor's. */
int image_load(Repo *r, const char *commit, const ImageDesc *d, const EnvMap *env, const char *registry,
               char *const *extra_tags, ImageSpec *ret, BerthError *err);
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

/* Builds the image with all its tags. registry_config: the X-Registry-Config header for FROM (may be
 * NULL). A failed build says which step failed and the engine's message. */
int image_build(EngineClient *c, Repo *r, const char *commit, const ImageSpec *s, const BuildIdentity *id,
                const char *registry_config, BuildResult *ret, BerthError *err);
/* Pushes one tag; auth_header is the X-Registry-Auth header. */
int image_push(EngineClient *c, const ImageSpec *s, const char *tag, const char *auth_header,
               BerthError *err);
