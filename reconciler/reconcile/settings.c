/* settings.c: berth.yaml: the reconcile policy and the targets. */
#include <errno.h>
#include <stdio.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "../compose/interp.h"
#include "../compose/project.h"
#include "../yaml/yaml.h"
#include "../util/fileio.h"
#include "../util/units.h"
#include "settings.h"

#define FILE_NAME "berth.yaml"

#define fail_at(err, map, node, ...) srcmap_fail(err, map, node, FILE_NAME, __VA_ARGS__)

/* A host or path with ${VAR} from the CI's variables, strictly: an empty host or certificate path
 * would silently point somewhere else. Without env (the file's shape checked at load) the text is
 * taken as it is. */
static int expand(const cJSON *v, const EnvMap *env, const SrcMap *map, const char *path, char **ret,
                  BerthError *err)
{
        BerthError e = { 0 };
        if (!cJSON_IsString(v))
                return fail_at(err, map, v, path, "must be a string");
        if (!env)
                return (*ret = strdup(v->valuestring)) ? 0 : -ENOMEM;
        int r = interp_strict(v->valuestring, env, ret, &e);
        return r == -EINVAL ? fail_at(err, map, v, path, "%s", e.msg) : r;
}

/* mode: compose (containers, the default) or swarm (services on a manager). */
static int parse_mode(const cJSON *v, const SrcMap *map, const char *path, DeployMode *ret, BerthError *err)
{
        if (deploy_mode_parse(cJSON_GetStringValue(v), ret) < 0)
                return fail_at(err, map, v, path, "must be compose or swarm");
        return 0;
}

static int parse_target(const cJSON *n, const EnvMap *env, const SrcMap *map, Target *t, BerthError *err)
{
        char path[256];
        int r;

        if (!project_name_valid(n->string))
                return fail_at(err, map, SRCMAP_KEY(n), "targets",
                               "invalid target name \"%s\": use lowercase letters, digits, '_' and '-'",
                               n->string);
        if (!(t->name = strdup(n->string)))
                return -ENOMEM;
        t->tls_verify = true;
        t->mode = -1;
        snprintf(path, sizeof(path), "targets.%s", n->string);
        if (!cJSON_IsObject(n))
                return fail_at(err, map, n, path,
                               "must be a mapping (host, tls_verify, cert_path, mode, stacks)");
        for (const cJSON *v = n->child; v; v = v->next) {
                snprintf(path, sizeof(path), "targets.%s.%s", n->string, v->string);
                if (strcmp(v->string, "host") == 0) {
                        if ((r = expand(v, env, map, path, &t->host, err)) < 0)
                                return r;
                        /* A host that is all variable is checked once it is interpolated. */
                        if ((env || t->host[0] != '$') && strncmp(t->host, "unix://", 7) != 0 &&
                            strncmp(t->host, "tcp://", 6) != 0)
                                return fail_at(
                                        err, map, v, path,
                                        "unsupported host \"%s\": use unix:///path or tcp://host:port",
                                        t->host);
                } else if (strcmp(v->string, "cert_path") == 0) {
                        if ((r = expand(v, env, map, path, &t->cert_path, err)) < 0)
                                return r;
                } else if (strcmp(v->string, "tls_verify") == 0) {
                        if (!cJSON_IsBool(v))
                                return fail_at(err, map, v, path, "must be true or false");
                        t->tls_verify = cJSON_IsTrue(v);
                } else if (strcmp(v->string, "mode") == 0) {
                        DeployMode m;
                        if ((r = parse_mode(v, map, path, &m, err)) < 0)
                                return r;
                        t->mode = (int)m;
                } else if (strcmp(v->string, "stacks") == 0) {
                        size_t n_items = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
                        if (!cJSON_IsArray(v) && !cJSON_IsString(v))
                                return fail_at(err, map, v, path,
                                               "must be a list of stack names or patterns");
                        if (!(t->stacks = calloc(n_items + 1, sizeof(char *))))
                                return -ENOMEM;
                        const cJSON *first = cJSON_IsArray(v) ? v->child : v;
                        for (const cJSON *s = first; s; s = cJSON_IsArray(v) ? s->next : NULL) {
                                if (!cJSON_IsString(s) || !*s->valuestring)
                                        return fail_at(err, map, s, path, "must be a stack name or pattern");
                                if (!(t->stacks[t->n_stacks++] = strdup(s->valuestring)))
                                        return -ENOMEM;
                        }
                } else
                        return fail_at(err, map, SRCMAP_KEY(v), path,
                                       "unknown key \"%s\" (a target has host, tls_verify, cert_path, mode, "
                                       "stacks)",
                                       v->string);
        }
        if (!t->stacks) {
                snprintf(path, sizeof(path), "targets.%s", n->string);
                return fail_at(err, map, SRCMAP_KEY(n), path,
                               "lists no stacks: add stacks: [names or patterns]");
        }
        return 0;
}

static int parse_targets(const cJSON *doc, const EnvMap *env, const SrcMap *map, TargetList *ret,
                         BerthError *err)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "targets");
        int r;

        if (!v || cJSON_IsNull(v))
                return 0;
        if (!cJSON_IsObject(v))
                return fail_at(err, map, v, "targets", "must be a mapping of target names");
        size_t n = (size_t)cJSON_GetArraySize(v);
        if (n == 0)
                return 0;
        if (!(ret->items = calloc(n, sizeof(Target))))
                return -ENOMEM;
        for (const cJSON *t = v->child; t; t = t->next)
                if ((r = parse_target(t, env, map, &ret->items[ret->n++], err)) < 0)
                        return r;
        return 0;
}

#define PARALLEL_MAX       64
#define HEALTH_TIMEOUT_MAX (24 * 3600)

/* allow_host_paths: absolute host paths (files or directories) that stacks may read although they are
 * outside the repo: what a compose file names there is read from the runner's host. */
static int parse_host_paths(const cJSON *v, const SrcMap *map, Settings *s, BerthError *err)
{
        if (!cJSON_IsArray(v))
                return fail_at(err, map, v, "allow_host_paths", "must be a list of absolute paths");
        size_t n = (size_t)cJSON_GetArraySize(v);
        if (!(s->allow_host_paths = calloc(n + 1, sizeof(char *))))
                return -ENOMEM;
        for (const cJSON *p = v->child; p; p = p->next) {
                if (!cJSON_IsString(p) || p->valuestring[0] != '/')
                        return fail_at(err, map, p, "allow_host_paths", "must be an absolute path");
                if (!(s->allow_host_paths[s->n_allow_host_paths++] = path_absolute("/", p->valuestring)))
                        return -ENOMEM;
        }
        return 0;
}

/* berth.yaml at the commit: *ret_doc NULL when there is none. */
static int load_doc(Repo *repo, const char *commit, SrcMap *map, cJSON **ret_doc, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        *ret_doc = NULL;
        int r = repo_read(repo, commit, FILE_NAME, &buf, &len, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (!map)
                return -ENOMEM;
        if ((r = yaml_load(buf, len, FILE_NAME, NULL, map, ret_doc, err)) < 0)
                return r;
        if (*ret_doc && !cJSON_IsObject(*ret_doc) && !cJSON_IsNull(*ret_doc))
                return fail_at(err, map, *ret_doc, NULL, "must be a mapping");
        return 0;
}

/* prune, prune_volumes, parallel, health_timeout, mode, allow_host_paths. */
static int parse_policy(const cJSON *doc, const SrcMap *map, Settings *s, BerthError *err)
{
        cJSON *v;
        int r;
        if ((v = cJSON_GetObjectItemCaseSensitive(doc, "prune")) && cJSON_IsBool(v))
                s->prune = cJSON_IsTrue(v);
        if ((v = cJSON_GetObjectItemCaseSensitive(doc, "prune_volumes")) && cJSON_IsBool(v))
                s->prune_volumes = cJSON_IsTrue(v);
        if ((v = cJSON_GetObjectItemCaseSensitive(doc, "parallel"))) {
                if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > PARALLEL_MAX ||
                    v->valuedouble != (double)(int)v->valuedouble)
                        return fail_at(err, map, v, "parallel", "must be a whole number from 1 to %d",
                                       PARALLEL_MAX);
                s->parallel = (unsigned)v->valuedouble;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(doc, "health_timeout"))) {
                int64_t ns = -1;
                if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= HEALTH_TIMEOUT_MAX)
                        ns = (int64_t)v->valuedouble * 1000000000;
                else if (cJSON_IsString(v) && units_parse_duration(v->valuestring, &ns) < 0)
                        ns = -1;
                if (ns < 1000000000 || ns / 1000000000 > HEALTH_TIMEOUT_MAX)
                        return fail_at(err, map, v, "health_timeout",
                                       "must be a duration from 1s to 24h, like \"60s\"");
                s->health_timeout_s = (long)(ns / 1000000000);
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(doc, "mode"))) {
                DeployMode m;
                if ((r = parse_mode(v, map, "mode", &m, err)) < 0)
                        return r;
                s->mode = (int)m;
        }
        if ((v = cJSON_GetObjectItemCaseSensitive(doc, "allow_host_paths")) &&
            (r = parse_host_paths(v, map, s, err)) < 0)
                return r;
        return 0;
}

void settings_apply(const Settings *s, ReconcileOptions *o)
{
        if (s->prune >= 0)
                o->prune = s->prune;
        if (s->prune_volumes >= 0)
                o->prune_volumes = s->prune_volumes;
        if (s->mode >= 0)
                o->mode = (DeployMode)s->mode;
        if (s->parallel)
                o->parallel = s->parallel;
        if (s->health_timeout_s)
                o->health_timeout_s = s->health_timeout_s;
        if (s->allow_host_paths) {
                o->allowed_host_paths = s->allow_host_paths;
                o->n_allowed_host_paths = s->n_allow_host_paths;
        }
}

int settings_targets(const Settings *s, const EnvMap *env, TargetList *ret, BerthError *err)
{
        *ret = (TargetList){ 0 };
        int r = s->doc ? parse_targets(s->doc, env, s->map, ret, err) : 0;
        if (r < 0)
                target_list_done(ret);
        return r;
}

int settings_registry(const Settings *s, const EnvMap *env, char **ret, BerthError *err)
{
        *ret = NULL;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->doc, "registry");
        return v && !cJSON_IsNull(v) ? expand(v, env, s->map, "registry", ret, err) : 0;
}

static int add_pattern(ReleaseSettings *s, size_t *n, const cJSON *v, const SrcMap *map, BerthError *err)
{
        if (!cJSON_IsString(v) || !strstr(v->valuestring, "{version}"))
                return fail_at(err, map, v, "release.tag_pattern",
                               "must be a pattern holding {version} (and {image} for one image's releases)");
        char **p = realloc(s->patterns, (*n + 2) * sizeof(char *));
        if (!p)
                return -ENOMEM;
        s->patterns = p;
        if (!(p[*n] = strdup(v->valuestring)))
                return -ENOMEM;
        p[++*n] = NULL;
        return 0;
}

static int parse_release(const cJSON *doc, const SrcMap *map, ReleaseSettings *ret, BerthError *err)
{
        int r = 0;
        const cJSON *rel = cJSON_GetObjectItemCaseSensitive(doc, "release");
        if (!rel || cJSON_IsNull(rel))
                return 0;
        if (!cJSON_IsObject(rel))
                return fail_at(err, map, rel, "release", "must be a mapping (tag_pattern, latest)");
        ret->present = true;
        size_t n = 0;
        for (const cJSON *v = rel->child; v && r >= 0; v = v->next) {
                if (strcmp(v->string, "latest") == 0) {
                        if (!cJSON_IsBool(v))
                                r = fail_at(err, map, v, "release.latest", "must be true or false");
                        ret->latest = cJSON_IsTrue(v);
                } else if (strcmp(v->string, "tag_pattern") == 0) {
                        if (cJSON_IsArray(v))
                                for (const cJSON *p = v->child; p && r >= 0; p = p->next)
                                        r = add_pattern(ret, &n, p, map, err);
                        else
                                r = add_pattern(ret, &n, v, map, err);
                } else
                        r = fail_at(err, map, SRCMAP_KEY(v), v->string,
                                    "unknown key \"%s\" (release has tag_pattern, latest)", v->string);
        }
        return r;
}

/* Variables an image.json may read without being listed: what CI systems set about the commit, never a
 * secret. */
static const char *const image_variables_default[] = {
        "CI_COMMIT_TAG",  "CI_COMMIT_SHA",   "CI_COMMIT_SHORT_SHA", "CI_COMMIT_REF_NAME",
        "CI_PIPELINE_ID", "GITHUB_REF_NAME", "GITHUB_SHA",          "GITHUB_RUN_NUMBER",
};

static int copy_var(const EnvMap *env, EnvMap *ret, const char *name)
{
        const char *v = envmap_get(env, name);
        return v ? envmap_set(ret, name, v) : 0;
}

static int check_image_variables(const cJSON *doc, const SrcMap *map, BerthError *err)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "image_variables");
        if (!v)
                return 0;
        if (!cJSON_IsArray(v))
                return fail_at(err, map, v, "image_variables", "must be a list of variable names");
        for (const cJSON *n = v->child; n; n = n->next)
                if (!cJSON_IsString(n) || !*n->valuestring)
                        return fail_at(err, map, n, "image_variables", "must be a variable name");
        return 0;
}

int settings_image_env(const Settings *s, const EnvMap *env, EnvMap *ret)
{
        int r;
        for (size_t i = 0; i < ELEMENTSOF(image_variables_default); i++)
                if ((r = copy_var(env, ret, image_variables_default[i])) < 0)
                        return r;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->doc, "image_variables");
        for (const cJSON *n = v ? v->child : NULL; n; n = n->next)
                if ((r = copy_var(env, ret, n->valuestring)) < 0)
                        return r;
        return 0;
}

void target_list_done(TargetList *t)
{
        for (size_t i = 0; i < t->n; i++) {
                Target *x = &t->items[i];
                free(x->name);
                free(x->host);
                free(x->cert_path);
                for (size_t k = 0; k < x->n_stacks; k++)
                        free(x->stacks[k]);
                free(x->stacks);
        }
        free(t->items);
        *t = (TargetList){ 0 };
}

const Target *target_list_find(const TargetList *t, const char *name)
{
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->items[i].name, name) == 0)
                        return &t->items[i];
        return NULL;
}

bool target_has_stack(const Target *t, const char *stack)
{
        if (!t)
                return true;
        for (size_t i = 0; i < t->n_stacks; i++)
                if (fnmatch(t->stacks[i], stack, 0) == 0)
                        return true;
        return false;
}

int target_engine_config(const Target *t, const EnvMap *env, const char *host_override, EngineConfig *cfg,
                         BerthError *err)
{
        int r = engine_config_from_env(cfg, env, t && t->host ? t->host : host_override, err);
        if (r < 0 || !t || !t->host)
                return r;
        /* A target's own host: its TLS comes from the target, not from DOCKER_TLS_VERIFY. */
        cfg->tls = t->tls_verify && strncmp(t->host, "tcp://", 6) == 0;
        if (t->cert_path) {
                char *p = strdup(t->cert_path);
                if (!p) {
                        engine_config_done(cfg);
                        return -ENOMEM;
                }
                free(cfg->cert_path);
                cfg->cert_path = p;
        }
        return 0;
}

/* A directory image descriptors live in: repo-relative, inside the repo, and not where stacks are. */
static bool image_dir_valid(const char *d)
{
        if (!*d || *d == '/' || d[strlen(d) - 1] == '/' || strstr(d, "//") || strcmp(d, "stacks") == 0 ||
            strncmp(d, "stacks/", 7) == 0)
                return false;
        for (const char *p = d; *p; p = p + strcspn(p, "/") + (p[strcspn(p, "/")] == '/'))
                if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || !p[2]))
                        return false;
        return true;
}

static int parse_image_dirs(const cJSON *doc, const SrcMap *map, Settings *s, BerthError *err)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "image_dirs");
        if (!v || cJSON_IsNull(v))
                return 0;
        if (!cJSON_IsArray(v) || !v->child)
                return fail_at(err, map, v, "image_dirs",
                               "must be a list of directories of the repo, like [images, docker]");
        size_t n = 0;
        if (!(s->image_dirs = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(char *))))
                return -ENOMEM;
        for (const cJSON *d = v->child; d; d = d->next) {
                if (!cJSON_IsString(d) || !image_dir_valid(d->valuestring))
                        return fail_at(err, map, d, "image_dirs",
                                       "must be a directory of the repo, relative to its top (not stacks/, "
                                       "no \"..\")");
                if (!(s->image_dirs[n++] = strdup(d->valuestring)))
                        return -ENOMEM;
        }
        return 0;
}

int settings_images(const Settings *s, Repo *repo, ImageList *ret, BerthError *err)
{
        *ret = (ImageList){ 0 };
        return repo_images(repo, s->commit, (const char *const *)s->image_dirs, ret, NULL, NULL, err);
}

void settings_done(Settings *s)
{
        cJSON_Delete(s->doc);
        srcmap_free(s->map);
        strv_free(s->allow_host_paths);
        strv_free(s->image_dirs);
        strv_free(s->release.patterns);
        *s = (Settings)SETTINGS_INIT;
}

int settings_load(Repo *repo, const char *commit, Settings *ret, BerthError *err)
{
        Settings s = SETTINGS_INIT;
        TargetList shape = { 0 };
        snprintf(s.commit, sizeof(s.commit), "%s", commit);
        s.map = srcmap_new();
        int r = load_doc(repo, commit, s.map, &s.doc, err);
        /* Every section, so that a mistake in one fails every command that reads the file. */
        if (r >= 0 && cJSON_IsObject(s.doc) && (r = parse_policy(s.doc, s.map, &s, err)) >= 0 &&
            (r = parse_targets(s.doc, NULL, s.map, &shape, err)) >= 0 &&
            (r = parse_release(s.doc, s.map, &s.release, err)) >= 0 &&
            (r = check_image_variables(s.doc, s.map, err)) >= 0 &&
            (r = parse_image_dirs(s.doc, s.map, &s, err)) >= 0) {
                const cJSON *reg = cJSON_GetObjectItemCaseSensitive(s.doc, "registry");
                if (reg && !cJSON_IsNull(reg) && !cJSON_IsString(reg))
                        r = fail_at(err, s.map, reg, "registry", "must be a string");
        }
        target_list_done(&shape);
        if (r < 0) {
                settings_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}
