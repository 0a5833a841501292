/* image.c: image descriptors: image.json, then /build and /push on the engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/units.h"
#include "../compose/interp.h"
#include "../compose/yaml.h"
#include "auth.h"
#include "image.h"

void image_spec_done(ImageSpec *s)
{
        free(s->name);
        free(s->reference);
        free(s->registry);
        for (size_t i = 0; i < s->n_tags; i++)
                free(s->tags[i]);
        free(s->tags);
        cJSON_Delete(s->build_args);
        free(s->target);
        free(s->context);
        free(s->dockerfile);
        free(s->dockerfile_path);
        *s = (ImageSpec){ 0 };
}

typedef struct Loader {
        const char *file;
        const SrcMap *map;
        const EnvMap *env;
        BerthError *err;
} Loader;

#define fail_at(l, node, ...) srcmap_fail((l)->err, (l)->map, node, (l)->file, __VA_ARGS__)

static int string_at(const Loader *l, const cJSON *v, const char *path, char **ret)
{
        BerthError e = { 0 };
        if (!cJSON_IsString(v))
                return fail_at(l, v, path, "must be a string");
        int r = interp_strict(v->valuestring, l->env, ret, &e);
        if (r != -EINVAL)
                return r;
        fail_at(l, v, path, "%s", e.msg);
        error_hint(l->err, "image.json reads only the variables berth.yaml lists under image_variables, and "
                           "the CI's commit variables (CI_COMMIT_TAG, GITHUB_REF_NAME, ...)");
        return r;
}

/* A tag as the engine takes it: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static bool tag_valid(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
                return false;
        for (const char *p = t; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

/* A repository path: lowercase components of [a-z0-9._-] separated by '/'. */
static bool repository_valid(const char *s)
{
        if (!*s || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p)))
                        return false;
        return true;
}

static int add_tag(ImageSpec *s, const char *t)
{
        for (size_t i = 0; i < s->n_tags; i++)
                if (strcmp(s->tags[i], t) == 0)
                        return 0;
        char **v = realloc(s->tags, (s->n_tags + 2) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        s->tags = v;
        if (!(v[s->n_tags] = strdup(t)))
                return -ENOMEM;
        v[++s->n_tags] = NULL;
        return 0;
}

/* dir joined with a relative path, kept inside the repo: "images/web" + "../.." is "". */
static int repo_path(const char *dir, const char *rel, char **ret)
{
        StrBuf out = STRBUF_INIT;
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s%s%s", dir, *dir ? "/" : "", rel);
        for (char *save = NULL, *seg = strtok_r(buf, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
                if (strcmp(seg, ".") == 0)
                        continue;
                if (strcmp(seg, "..") == 0) {
                        if (out.len == 0) {
                                strbuf_done(&out);
                                return -EPERM;
                        }
                        char *slash = strrchr(out.buf, '/');
                        out.len = slash ? (size_t)(slash - out.buf) : 0;
                        out.buf[out.len] = '\0';
                        continue;
                }
                strbuf_addf(&out, "%s%s", out.len ? "/" : "", seg);
        }
        *ret = out.len ? strbuf_detach(&out) : strdup("");
        strbuf_done(&out);
        return *ret ? 0 : -ENOMEM;
}

static int parse_spec(const Loader *l, const cJSON *doc, const ImageDesc *d, const char *registry,
                      ImageSpec *s)
{
        _cleanup_free_ char *repository = NULL, *reg = NULL, *context = NULL;
        int r;

        if (doc && !cJSON_IsObject(doc))
                return fail_at(l, doc, NULL,
                               "must be an object (repository, registry, tags, build_args, "
                               "target, context)");
        for (const cJSON *v = doc ? doc->child : NULL; v; v = v->next) {
                const char *k = v->string;
                if (strcmp(k, "repository") == 0)
                        r = string_at(l, v, k, &repository);
                else if (strcmp(k, "registry") == 0)
                        r = string_at(l, v, k, &reg);
                else if (strcmp(k, "target") == 0)
                        r = string_at(l, v, k, &s->target);
                else if (strcmp(k, "context") == 0)
                        r = string_at(l, v, k, &context);
                else if (strcmp(k, "tags") == 0) {
                        if (!cJSON_IsArray(v))
                                return fail_at(l, v, k, "must be a list of tags");
                        r = 0;
                        int i = 0;
                        for (const cJSON *t = v->child; t && r >= 0; t = t->next, i++) {
                                char path[32];
                                _cleanup_free_ char *tag = NULL;
                                snprintf(path, sizeof(path), "tags[%d]", i);
                                if ((r = string_at(l, t, path, &tag)) < 0)
                                        break;
                                if (!tag_valid(tag))
                                        return fail_at(l, t, path,
                                                       "\"%s\" is not a valid tag "
                                                       "([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})",
                                                       tag);
                                r = add_tag(s, tag);
                        }
                } else if (strcmp(k, "build_args") == 0) {
                        if (!cJSON_IsObject(v))
                                return fail_at(l, v, k, "must be an object of NAME: value");
                        r = 0;
                        for (const cJSON *a = v->child; a && r >= 0; a = a->next) {
                                char path[300];
                                _cleanup_free_ char *val = NULL;
                                snprintf(path, sizeof(path), "build_args.%s", a->string);
                                if (cJSON_IsNumber(a) || cJSON_IsBool(a)) {
                                        char num[64];
                                        if (cJSON_IsBool(a))
                                                snprintf(num, sizeof(num), "%s",
                                                         cJSON_IsTrue(a) ? "true" : "false");
                                        else
                                                snprintf(num, sizeof(num), "%.17g", a->valuedouble);
                                        val = strdup(num);
                                        r = val ? 0 : -ENOMEM;
                                } else
                                        r = string_at(l, a, path, &val);
                                if (r >= 0)
                                        cJSON_AddStringToObject(s->build_args, a->string, val);
                        }
                } else
                        return fail_at(
                                l, SRCMAP_KEY(v), k,
                                "unknown key \"%s\" (an image has repository, registry, tags, build_args, "
                                "target, context)",
                                k);
                if (r < 0)
                        return r;
        }
        if (!repository && !(repository = strdup(d->name)))
                return -ENOMEM;
        if (!repository_valid(repository))
                return fail_at(l, cJSON_GetObjectItemCaseSensitive(doc, "repository"), "repository",
                               "\"%s\" is not a valid repository name (lowercase, [a-z0-9._-] and '/')",
                               repository);
        const char *prefix = reg ? reg : registry;
        StrBuf ref = STRBUF_INIT;
        if (prefix && *prefix)
                strbuf_addf(&ref, "%s/", prefix);
        strbuf_addstr(&ref, repository);
        if (!(s->reference = strbuf_detach(&ref)))
                return -ENOMEM;
        s->registry = registry_of(s->reference);
        if (s->n_tags == 0 && (r = add_tag(s, "latest")) < 0)
                return r;
        /* The context, inside the repo; the Dockerfile, inside the context. */
        if ((r = repo_path(d->dir, context ? context : ".", &s->context)) < 0)
                return r == -EPERM ? fail_at(l, cJSON_GetObjectItemCaseSensitive(doc, "context"), "context",
                                             "\"%s\" leaves the repository", context)
                                   : r;
        size_t cl = strlen(s->context);
        if (cl && (strncmp(d->dockerfile, s->context, cl) != 0 || d->dockerfile[cl] != '/'))
                return fail_at(l, cJSON_GetObjectItemCaseSensitive(doc, "context"), "context",
                               "the context \"%s\" does not hold %s", s->context, d->dockerfile);
        s->dockerfile = strdup(d->dockerfile + (cl ? cl + 1 : 0));
        s->dockerfile_path = strdup(d->dockerfile);
        s->name = strdup(d->name);
        return s->dockerfile && s->dockerfile_path && s->name ? 0 : -ENOMEM;
}

int image_load(Repo *r, const char *commit, const ImageDesc *d, const EnvMap *env, const char *registry,
               char *const *extra_tags, ImageSpec *ret, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_cjson_ cJSON *doc = NULL;
        _cleanup_srcmap_ SrcMap *map = srcmap_new();
        ImageSpec s = { .build_args = cJSON_CreateObject() };
        size_t len = 0;
        int rr;

        if (!map || !s.build_args) {
                image_spec_done(&s);
                return -ENOMEM;
        }
        rr = repo_read(r, commit, d->config, &buf, &len, err);
        if (rr < 0 && rr != -ENOENT)
                goto fail;
        /* JSON is YAML: the YAML loader gives every value its line and column. */
        if (rr >= 0 && (rr = yaml_load(buf, len, d->config, NULL, map, &doc, err)) < 0)
                goto fail;
        Loader l = { .file = d->config, .map = map, .env = env, .err = err };
        if ((rr = parse_spec(&l, doc, d, registry, &s)) < 0)
                goto fail;
        for (char *const *t = extra_tags; t && *t; t++) {
                if (!tag_valid(*t)) {
                        rr = error_set(err, -EINVAL, NULL, 0, 0, NULL, "--tag \"%s\" is not a valid tag",
                                       *t);
                        goto fail;
                }
                if ((rr = add_tag(&s, *t)) < 0)
                        goto fail;
        }
        *ret = s;
        return 0;
fail:
        image_spec_done(&s);
        return rr;
}

/* The build stream's last "Step N/M : ..." line, for a failure's message. */
static void last_step(const StrBuf *body, char *buf, size_t size)
{
        const char *s = strbuf_str(body);
        buf[0] = '\0';
        while (*s) {
                size_t n = strcspn(s, "\n");
                _cleanup_cjson_ cJSON *j = cJSON_ParseWithLength(s, n);
                const char *line = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "stream"));
                if (line && strncmp(line, "Step ", 5) == 0)
                        snprintf(buf, size, "%.*s", (int)strcspn(line, "\n"), line);
                s += n;
                if (*s)
                        s++;
        }
}

static void image_id(const StrBuf *body, char *buf, size_t size)
{
        const char *s = strbuf_str(body);
        while (*s) {
                size_t n = strcspn(s, "\n");
                _cleanup_cjson_ cJSON *j = cJSON_ParseWithLength(s, n);
                const char *id = cJSON_GetStringValue(
                        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "aux"), "ID"));
                if (id)
                        snprintf(buf, size, "%s", id);
                s += n;
                if (*s)
                        s++;
        }
}

static int add_query_json(StrBuf *q, const char *key, const cJSON *v)
{
        _cleanup_free_ char *json = cJSON_PrintUnformatted(v);
        if (!json)
                return -ENOMEM;
        strbuf_addf(q, "&%s=", key);
        return engine_escape(json, q);
}

int image_build(EngineClient *c, Repo *r, const char *commit, const ImageSpec *s, const BuildIdentity *id,
                const char *registry_config, BuildResult *ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf tar = STRBUF_INIT, q = STRBUF_INIT, body = STRBUF_INIT, what = STRBUF_INIT;
        _cleanup_cjson_ cJSON *labels = cJSON_CreateObject();
        double t0 = units_now_s();
        int rr;

        *ret = (BuildResult){ 0 };
        if (!labels)
                return -ENOMEM;
        if ((rr = context_tar(r, commit, s->context, s->dockerfile, &tar, &ret->context, err)) < 0)
                return rr;
        strbuf_addstr(&q, "/build?rm=1&forcerm=1&dockerfile=");
        engine_escape(s->dockerfile, &q);
        for (size_t i = 0; i < s->n_tags; i++) {
                _cleanup_strbuf_ StrBuf t = STRBUF_INIT;
                strbuf_addf(&t, "%s:%s", s->reference, s->tags[i]);
                strbuf_addstr(&q, "&t=");
                engine_escape(strbuf_str(&t), &q);
        }
        if (s->target) {
                strbuf_addstr(&q, "&target=");
                engine_escape(s->target, &q);
        }
        cJSON_AddStringToObject(labels, "io.berth.managed", "true");
        cJSON_AddStringToObject(labels, "io.berth.image", s->name);
        if (id && id->repo) {
                cJSON_AddStringToObject(labels, "io.berth.repo", id->repo);
                cJSON_AddStringToObject(labels, "org.opencontainers.image.source", id->repo);
        }
        if (id && id->commit) {
                cJSON_AddStringToObject(labels, "io.berth.commit", id->commit);
                cJSON_AddStringToObject(labels, "org.opencontainers.image.revision", id->commit);
        }
        if ((rr = add_query_json(&q, "labels", labels)) < 0 ||
            (s->build_args->child && (rr = add_query_json(&q, "buildargs", s->build_args)) < 0))
                return rr;
        strbuf_addf(&what, "build %s (%s)", s->reference, s->dockerfile_path);
        rr = engine_call_raw(c, "POST", strbuf_str(&q), tar.buf, tar.len, "application/x-tar",
                             registry_config, strbuf_str(&what), 3600, NULL, &body, err);
        if (rr >= 0) {
                BerthError e = { 0 };
                if (engine_stream_check(&body, "engine", &e) < 0) {
                        char step[512];
                        last_step(&body, step, sizeof(step));
                        const char *msg = strncmp(e.msg, "engine: ", 8) == 0 ? e.msg + 8 : e.msg;
                        return error_set(err, -EIO, s->dockerfile_path, 0, 0, NULL, "build failed%s%s: %s",
                                         step[0] ? " at " : "", step, msg);
                }
        }
        if (rr < 0)
                return rr;
        image_id(&body, ret->id, sizeof(ret->id));
        ret->seconds = units_now_s() - t0;
        return 0;
}

int image_push(EngineClient *c, const ImageSpec *s, const char *tag, const char *auth_header,
               BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, body = STRBUF_INIT, what = STRBUF_INIT;
        strbuf_addstr(&path, "/images/");
        engine_escape(s->reference, &path);
        strbuf_addstr(&path, "/push?tag=");
        engine_escape(tag, &path);
        strbuf_addf(&what, "push %s:%s", s->reference, tag);
        int rr = engine_call_raw(c, "POST", strbuf_str(&path), "", 0, "application/json", auth_header,
                                 strbuf_str(&what), 3600, NULL, &body, err);
        if (rr < 0)
                return rr;
        return engine_stream_check(&body, strbuf_str(&what), err);
}
