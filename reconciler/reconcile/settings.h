/* settings.h: berth.yaml, the config repo's own settings, read from the commit being reconciled.
 *
 * Besides the reconcile policy (prune, prune_volumes, parallel, health_timeout) it names the targets:
 * engines that stacks are mapped to, each by stack names or shell patterns. Without targets, every
 * stack goes to the engine the environment names (DOCKER_HOST & co., or --host). A target's host and
 * cert_path are interpolated from the environment as compose files are, so the CI's variables supply
 * them and nothing secret needs to be in the repo. */
#pragma once

#include "../yaml/yaml.h"
#include "../engine/engine.h"
#include "reconcile.h"

typedef struct Target {
        char *name;
        char *host;      /* NULL: the environment's engine */
        bool tls_verify; /* for tcp:// hosts; on unless the target turns it off */
        char *cert_path; /* ca.pem, cert.pem, key.pem; NULL: DOCKER_CERT_PATH & co. */
        int mode;        /* a DeployMode for its stacks; -1: berth.yaml's */
        char **stacks;   /* names or shell patterns (fnmatch), NULL-terminated */
        size_t n_stacks;
} Target;

typedef struct TargetList {
        Target *items;
        size_t n;
} TargetList;

/* berth.yaml's release: {tag_pattern: "image_v{version}" or a list of them, latest: true}. */
typedef struct ReleaseSettings {
        bool present;    /* the repo has a release section: its releases own `latest` */
        char **patterns; /* NULL-terminated; NULL: release_default_patterns */
        bool latest;     /* a release that is the highest version moves `latest` (default true) */
} ReleaseSettings;

/* berth.yaml at one commit, read and checked once: every section's shape is checked at load, so a
 * mistake anywhere in the file is reported by whichever command reads it first. What depends on the
 * environment (a target's host, the registry, image variables) is interpolated when asked for, since
 * the jobs that read one file differ in the variables they have. */
typedef struct Settings {
        char commit[41];
        cJSON *doc; /* NULL: the commit has no berth.yaml */
        SrcMap *map;
        /* The reconcile policy; -1 (0 for parallel and health_timeout_s) where berth.yaml is silent. */
        int prune, prune_volumes, mode;
        unsigned parallel;
        long health_timeout_s;
        char **allow_host_paths; /* NULL-terminated; NULL: berth.yaml lists none */
        size_t n_allow_host_paths;
        char **image_dirs; /* NULL-terminated; NULL: [images] */
        ReleaseSettings release;
} Settings;

#define SETTINGS_INIT                                                                                       \
        {                                                                                                   \
                .prune = -1, .prune_volumes = -1, .mode = -1, .release = {.latest = true }                  \
        }

int settings_load(Repo *repo, const char *commit, Settings *ret, BerthError *err);
void settings_done(Settings *s);
/* The reconcile policy over o's defaults. o then borrows s's allow_host_paths: s outlives it. */
void settings_apply(const Settings *s, ReconcileOptions *o);
/* The targets, their hosts and certificate paths interpolated from env. */
int settings_targets(const Settings *s, const EnvMap *env, TargetList *ret, BerthError *err);
/* The registry: the default prefix of image references ("registry.example.com/team"); *ret NULL when it
 * names none. */
int settings_registry(const Settings *s, const EnvMap *env, char **ret, BerthError *err);
/* The environment an image.json is interpolated from: only the variables berth.yaml lists under
 * image_variables, and the CI's commit variables (CI_COMMIT_TAG, GITHUB_REF_NAME, ...), so that
 * no repo file can carry a CI secret into a build argument of a pushed image. ret is initialised. */
int settings_image_env(const Settings *s, const EnvMap *env, EnvMap *ret);
/* The image descriptors at the commit, in the directories berth.yaml lists under image_dirs
 * (default: [images]; each holds <name>/Dockerfile), and the flat layout's Dockerfile-<name>. */
int settings_images(const Settings *s, Repo *repo, ImageList *ret, BerthError *err);
void target_list_done(TargetList *t);
const Target *target_list_find(const TargetList *t, const char *name);
bool target_has_stack(const Target *t, const char *stack);
/* The engine a target names; a target without a host (or none at all) uses the environment's. */
int target_engine_config(const Target *t, const EnvMap *env, const char *host_override, EngineConfig *cfg,
                         BerthError *err);
