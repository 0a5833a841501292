/* image.c: image descriptors: image.json, then /build and /push on the engine. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/units.h"
#include "../compose/interp.h"
#include "../yaml/yaml.h"
#include "../registry/auth.h"
#include "image.h"
#include "../util/json.h"

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
               bool own_tags, char *const *extra_tags, ImageSpec *ret, BerthError *err)
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
        for (; !own_tags && s.n_tags; s.tags[s.n_tags] = NULL)
                free(s.tags[--s.n_tags]);
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

static int add_query_json(StrBuf *q, const char *key, const cJSON *v)
{
        _cleanup_free_ char *json = json_print(v, false);
        if (!json)
                return -ENOMEM;
        strbuf_addf(q, "&%s=", key);
        return engine_escape(json, q);
}

/* The context, made in a thread of its own and sent through a pipe as curl asks for it. */
typedef struct Producer {
        Repo *r;
        const char *commit;
        const ImageSpec *s;
        int fd; /* the pipe's write end; closed when the tar is done */
        ContextStats stats;
        BerthError err;
        int rr;
        bool failed; /* set before fd closes: the reader, at its end, knows whether it was cut short */
} Producer;

static void *produce(void *ud)
{
        Producer *p = ud;
        sigset_t set;
        /* The engine may stop reading (a failed FROM): writing then must fail, not kill berth. */
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        p->rr = context_tar(p->r, p->commit, p->s->context, p->s->dockerfile, p->fd, &p->stats, &p->err);
        if (p->rr < 0)
                __atomic_store_n(&p->failed, true, __ATOMIC_RELEASE);
        close(p->fd);
        return NULL;
}

/* What the build's reply has said so far. */
typedef struct BuildStream {
        int fd; /* the pipe's read end */
        Producer *p;
        const BuildOptions *o;
        StrBuf partial; /* a "stream" text not yet ended by its newline */
        char step[512]; /* the last "Step N/M : ..." */
        char id[80];
        char error[1024];
} BuildStream;

static ssize_t tar_read(void *ud, char *buf, size_t size)
{
        BuildStream *b = ud;
        for (;;) {
                ssize_t n = read(b->fd, buf, size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0 && __atomic_load_n(&b->p->failed, __ATOMIC_ACQUIRE))
                        return -1; /* a cut tar must not reach the engine as if it were whole */
                return n;
        }
}

static bool tar_failed(void *ud)
{
        BuildStream *b = ud;
        return __atomic_load_n(&b->p->failed, __ATOMIC_ACQUIRE);
}

static void build_text(BuildStream *b, const char *text)
{
        strbuf_addstr(&b->partial, text);
        char *s = b->partial.buf, *nl;
        while ((nl = strchr(s, '\n'))) {
                *nl = '\0';
                if (strncmp(s, "Step ", 5) == 0)
                        snprintf(b->step, sizeof(b->step), "%s", s);
                if (*s && b->o->line)
                        b->o->line(b->o->ud, s);
                s = nl + 1;
        }
        size_t rest = strlen(s);
        memmove(b->partial.buf, s, rest + 1);
        b->partial.len = rest;
}

static int build_line(void *ud, const char *line, size_t len)
{
        BuildStream *b = ud;
        _cleanup_cjson_ cJSON *j = cJSON_ParseWithLength(line, len);
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "stream"));
        const char *e = engine_stream_error(j);
        const char *id = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "aux"), "ID"));
        if (text)
                build_text(b, text);
        if (id)
                snprintf(b->id, sizeof(b->id), "%s", id);
        if (e && !b->error[0])
                snprintf(b->error, sizeof(b->error), "%s", e);
        return 0;
}

static int build_query(const ImageSpec *s, const BuildOptions *o, StrBuf *q)
{
        _cleanup_cjson_ cJSON *labels = cJSON_CreateObject();
        if (!labels)
                return -ENOMEM;
        strbuf_addstr(q, "/build?rm=1&forcerm=1&dockerfile=");
        engine_escape(s->dockerfile, q);
        for (size_t i = 0; i < s->n_tags; i++) {
                _cleanup_strbuf_ StrBuf t = STRBUF_INIT;
                strbuf_addf(&t, "%s:%s", s->reference, s->tags[i]);
                strbuf_addstr(q, "&t=");
                engine_escape(strbuf_str(&t), q);
        }
        if (s->target) {
                strbuf_addstr(q, "&target=");
                engine_escape(s->target, q);
        }
        if (o->no_cache)
                strbuf_addstr(q, "&nocache=1");
        cJSON_AddStringToObject(labels, "io.berth.managed", "true");
        cJSON_AddStringToObject(labels, "io.berth.image", s->name);
        if (o->build_hash)
                cJSON_AddStringToObject(labels, "io.berth.build-hash", o->build_hash);
        if (o->id.repo) {
                cJSON_AddStringToObject(labels, "io.berth.repo", o->id.repo);
                cJSON_AddStringToObject(labels, "org.opencontainers.image.source", o->id.repo);
        }
        if (o->id.commit) {
                cJSON_AddStringToObject(labels, "io.berth.commit", o->id.commit);
                cJSON_AddStringToObject(labels, "org.opencontainers.image.revision", o->id.commit);
        }
        int rr = add_query_json(q, "labels", labels);
        if (rr >= 0 && s->build_args->child)
                rr = add_query_json(q, "buildargs", s->build_args);
        return rr;
}

int image_build(EngineClient *c, Repo *r, const char *commit, const ImageSpec *s, const BuildOptions *o,
                BuildResult *ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf q = STRBUF_INIT, what = STRBUF_INIT;
        double t0 = units_now_s();
        int fds[2], rr;
        pthread_t thread;

        *ret = (BuildResult){ 0 };
        if ((rr = build_query(s, o, &q)) < 0)
                return rr;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return error_set(err, -errno, NULL, 0, 0, NULL,
                                 "cannot make a pipe for the build context: %m");
        Producer p = { .r = r, .commit = commit, .s = s, .fd = fds[1] };
        BuildStream b = { .fd = fds[0], .p = &p, .o = o, .partial = STRBUF_INIT };
        if ((rr = -pthread_create(&thread, NULL, produce, &p)) < 0) {
                close(fds[0]);
                close(fds[1]);
                return error_set(err, rr, NULL, 0, 0, NULL, "cannot start sending the build context");
        }
        strbuf_addf(&what, "build %s (%s)", s->reference, s->dockerfile_path);
        EngineStream st = { .read = tar_read, .read_failed = tar_failed, .line = build_line, .ud = &b };
        BerthError e = { 0 };
        rr = engine_call_stream(c, "POST", strbuf_str(&q), &st, "application/x-tar", o->registry_config,
                                strbuf_str(&what), 3600, &e);
        /* The producer finishes (its writes fail once nobody reads) before its tar is judged. */
        close(fds[0]);
        pthread_join(thread, NULL);
        if (b.partial.len)
                build_text(&b, "\n");
        strbuf_done(&b.partial);
        ret->context = p.stats;
        if (p.rr < 0 && p.rr != -EPIPE) {
                if (err && p.err.set)
                        *err = p.err;
                return p.rr;
        }
        if (rr < 0) {
                if (err)
                        *err = e;
                return rr;
        }
        if (b.error[0]) {
                const char *msg = strncmp(b.error, "engine: ", 8) == 0 ? b.error + 8 : b.error;
                return error_set(err, -EIO, s->dockerfile_path, 0, 0, NULL, "build failed%s%s: %s",
                                 b.step[0] ? " at " : "", b.step, msg);
        }
        snprintf(ret->id, sizeof(ret->id), "%s", b.id);
        ret->seconds = units_now_s() - t0;
        return 0;
}

int image_find_built(EngineClient *c, const char *build_hash, BuiltImage *ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, f = STRBUF_INIT;
        _cleanup_cjson_ cJSON *list = NULL;
        strbuf_addf(&f, "{\"label\":[\"io.berth.build-hash=%s\"]}", build_hash);
        strbuf_addstr(&path, "/images/json?filters=");
        engine_escape(strbuf_str(&f), &path);
        int rr = engine_call(c, "GET", strbuf_str(&path), NULL, "list images by build hash", 0, NULL, &list,
                             err);
        if (rr < 0)
                return rr;
        const cJSON *best = NULL;
        double newest = -1;
        for (const cJSON *i = cJSON_IsArray(list) ? list->child : NULL; i; i = i->next) {
                double created = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(i, "Created"));
                if (created > newest) {
                        newest = created;
                        best = i;
                }
        }
        if (!best)
                return 0;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(best, "Id"));
        const char *commit = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(best, "Labels"), "io.berth.commit"));
        snprintf(ret->id, sizeof(ret->id), "%s", id ? id : "");
        snprintf(ret->commit, sizeof(ret->commit), "%s", commit ? commit : "");
        return ret->id[0] ? 1 : 0;
}

int image_tag(EngineClient *c, const char *id, const char *reference, const char *tag, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, what = STRBUF_INIT;
        strbuf_addstr(&path, "/images/");
        engine_escape(id, &path);
        strbuf_addstr(&path, "/tag?repo=");
        engine_escape(reference, &path);
        strbuf_addstr(&path, "&tag=");
        engine_escape(tag, &path);
        strbuf_addf(&what, "tag %.19s as %s:%s", id, reference, tag);
        return engine_call(c, "POST", strbuf_str(&path), NULL, strbuf_str(&what), 0, NULL, NULL, err);
}

typedef struct PushStream {
        char digest[80];
        char error[1024];
} PushStream;

/* The push's reply: progress, then {"aux": {"Tag", "Digest", "Size"}}, or an error inside the 200. */
static int push_line(void *ud, const char *line, size_t len)
{
        PushStream *p = ud;
        _cleanup_cjson_ cJSON *j = cJSON_ParseWithLength(line, len);
        const char *digest = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "aux"), "Digest"));
        const char *e = engine_stream_error(j);
        if (digest)
                snprintf(p->digest, sizeof(p->digest), "%s", digest);
        if (e && !p->error[0])
                snprintf(p->error, sizeof(p->error), "%s", e);
        return 0;
}

int image_push(EngineClient *c, const ImageSpec *s, const char *tag, const char *auth_header,
               char digest[80], BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, what = STRBUF_INIT;
        PushStream p = { { 0 } };
        strbuf_addstr(&path, "/images/");
        engine_escape(s->reference, &path);
        strbuf_addstr(&path, "/push?tag=");
        engine_escape(tag, &path);
        strbuf_addf(&what, "push %s:%s", s->reference, tag);
        EngineStream st = { .line = push_line, .ud = &p };
        digest[0] = '\0';
        int rr = engine_call_stream(c, "POST", strbuf_str(&path), &st, "application/json", auth_header,
                                    strbuf_str(&what), 3600, err);
        if (rr < 0)
                return rr;
        if (p.error[0])
                return error_set(err, -EIO, NULL, 0, 0, NULL, "%s: %s", strbuf_str(&what), p.error);
        snprintf(digest, 80, "%s", p.digest);
        return 0;
}
