/* normalize.c: short to long syntax for one compose file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fileio.h"
#include "normalize.h"
#include "spec.h"
#include "../util/json.h"

#define PATH(buf, ...) (snprintf(buf, sizeof(buf), __VA_ARGS__), buf)

/* "K=V" lists and maps with scalar values become maps of strings (null kept: "K" alone, "K:" empty). */
static int to_string_map(ComposeCtx *c, cJSON *obj, const char *key, const char *path, char sep)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        _cleanup_cjson_ cJSON *map = NULL;
        char p[512];

        if (!v || cJSON_IsNull(v))
                return 0;
        map = cJSON_CreateObject();
        if (!map)
                return -ENOMEM;
        compose_pos_copy(c, map, v);
        if (cJSON_IsArray(v)) {
                int i = 0;
                for (cJSON *it = v->child; it; it = it->next, i++) {
                        _cleanup_free_ char *text = compose_scalar_text(it);
                        if (!text)
                                return compose_fail(c, -EINVAL, it, false,
                                                    PATH(p, "%s.%s[%d]", path, key, i),
                                                    "must be a string like \"KEY%cVALUE\"", sep);
                        char *eq = strchr(text, sep);
                        if (sep == '=' && !eq && strchr(text, ':') && strcmp(key, "extra_hosts") == 0)
                                eq = strchr(text, ':');
                        if (eq == text || !*text)
                                return compose_fail(c, -EINVAL, it, false,
                                                    PATH(p, "%s.%s[%d]", path, key, i),
                                                    "empty variable name");
                        cJSON *val = eq ? compose_string_at(c, eq + 1, it) : cJSON_CreateNull();
                        if (!val)
                                return -ENOMEM;
                        if (eq)
                                *eq = '\0';
                        compose_pos_copy(c, val, it);
                        srcmap_put(c->src, SRCMAP_KEY(val), srcmap_get(c->src, it));
                        cJSON_DeleteItemFromObjectCaseSensitive(map, text);
                        cJSON_AddItemToObject(map, text, val);
                }
        } else {
                for (cJSON *it = v->child; it; it = it->next) {
                        cJSON *val;
                        if (cJSON_IsNull(it))
                                val = cJSON_CreateNull();
                        else {
                                _cleanup_free_ char *text = compose_scalar_text(it);
                                if (!text)
                                        return compose_fail(c, -EINVAL, it, false,
                                                            PATH(p, "%s.%s.%s", path, key, it->string),
                                                            "must be a string, number, boolean or null");
                                val = cJSON_CreateString(text);
                        }
                        if (!val)
                                return -ENOMEM;
                        compose_pos_copy(c, val, it);
                        cJSON_AddItemToObject(map, it->string, val);
                }
        }
        return compose_replace(c, obj, key, TAKE_PTR(map));
}

static int string_to_list(ComposeCtx *c, cJSON *obj, const char *key)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!cJSON_IsString(v))
                return 0;
        cJSON *list = cJSON_CreateArray();
        if (!list)
                return -ENOMEM;
        compose_pos_copy(c, list, v);
        cJSON_AddItemToArray(list, compose_string_at(c, v->valuestring, v));
        return compose_replace(c, obj, key, list);
}

static int abs_path_field(ComposeCtx *c, cJSON *obj, const char *key, const char *basedir)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!cJSON_IsString(v) || v->valuestring[0] == '/')
                return 0;
        _cleanup_free_ char *abs = path_absolute(basedir, v->valuestring);
        if (!abs)
                return -ENOMEM;
        return compose_replace(c, obj, key, compose_string_at(c, abs, v));
}

static int norm_ports(ComposeCtx *c, cJSON *svc, const char *path)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "ports");
        _cleanup_cjson_ cJSON *out = NULL;
        char p[512], msg[256];
        int i = 0, r;

        if (!cJSON_IsArray(v))
                return 0;
        out = cJSON_CreateArray();
        if (!out)
                return -ENOMEM;
        compose_pos_copy(c, out, v);
        for (cJSON *it = v->child; it; it = it->next, i++) {
                _cleanup_cjson_ cJSON *list = NULL;
                if (cJSON_IsObject(it)) {
                        cJSON *e = srcmap_duplicate(c->src, it);
                        if (!e)
                                return -ENOMEM;
                        cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "target");
                        unsigned lo, hi;
                        if (cJSON_IsString(t)) {
                                if (spec_parse_range(t->valuestring, strlen(t->valuestring), &lo, &hi) < 0 ||
                                    lo != hi || !lo) {
                                        r = compose_fail(c, -EINVAL, t, false,
                                                         PATH(p, "%s.ports[%d].target", path, i),
                                                         "invalid container port \"%s\"", t->valuestring);
                                        cJSON_Delete(e);
                                        return r;
                                }
                                cJSON *num = cJSON_CreateNumber(lo);
                                compose_pos_copy(c, num, t);
                                cJSON_ReplaceItemInObjectCaseSensitive(e, "target", num);
                        } else if (!t || t->valuedouble < 1 || t->valuedouble > 65535) {
                                r = compose_fail(c, -EINVAL, t ? t : it, false,
                                                 PATH(p, "%s.ports[%d]", path, i),
                                                 "a port needs a target between 1 and 65535");
                                cJSON_Delete(e);
                                return r;
                        }
                        cJSON *pub = cJSON_GetObjectItemCaseSensitive(e, "published");
                        if (cJSON_IsNumber(pub)) {
                                _cleanup_free_ char *text = compose_scalar_text(pub);
                                cJSON *s = compose_string_at(c, text, pub);
                                cJSON_ReplaceItemInObjectCaseSensitive(e, "published", s);
                        } else if (cJSON_IsString(pub) && *pub->valuestring &&
                                   spec_parse_range(pub->valuestring, strlen(pub->valuestring), &lo, &hi) <
                                           0) {
                                r = compose_fail(c, -EINVAL, pub, false,
                                                 PATH(p, "%s.ports[%d].published", path, i),
                                                 "invalid published port \"%s\"", pub->valuestring);
                                cJSON_Delete(e);
                                return r;
                        }
                        if (!cJSON_HasObjectItem(e, "protocol"))
                                cJSON_AddStringToObject(e, "protocol", "tcp");
                        if (!cJSON_HasObjectItem(e, "mode"))
                                cJSON_AddStringToObject(e, "mode", "ingress");
                        cJSON_AddItemToArray(out, e);
                        continue;
                }
                _cleanup_free_ char *text = compose_scalar_text(it);
                if (!text || cJSON_IsBool(it))
                        return compose_fail(c, -EINVAL, it, false, PATH(p, "%s.ports[%d]", path, i),
                                            "a port must be a number, a string or a mapping");
                r = spec_parse_port(text, &list, msg, sizeof(msg));
                if (r == -EINVAL)
                        return compose_fail(c, r, it, false, PATH(p, "%s.ports[%d]", path, i), "%s", msg);
                if (r < 0)
                        return r;
                cJSON *e;
                while ((e = list->child)) {
                        cJSON_DetachItemViaPointer(list, e);
                        compose_pos_copy(c, e, it);
                        for (cJSON *f = e->child; f; f = f->next)
                                compose_pos_copy(c, f, it);
                        cJSON_AddItemToArray(out, e);
                }
        }
        return compose_replace(c, svc, "ports", TAKE_PTR(out));
}

static int norm_volumes(ComposeCtx *c, cJSON *svc, const char *path, const char *basedir, const char *home)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "volumes");
        char p[512], msg[256];
        int i = 0, r;

        if (!cJSON_IsArray(v))
                return 0;
        for (cJSON *it = v->child, *next; it; it = next, i++) {
                next = it->next;
                if (cJSON_IsObject(it)) {
                        cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
                        if (cJSON_IsString(type) && strcmp(type->valuestring, "bind") == 0) {
                                cJSON *src = cJSON_GetObjectItemCaseSensitive(it, "source");
                                if (cJSON_IsString(src) && src->valuestring[0] == '~') {
                                        _cleanup_free_ char *abs = path_absolute(
                                                home ? home : "/",
                                                src->valuestring + 1 + (src->valuestring[1] == '/'));
                                        if (!abs || compose_replace(c, it, "source",
                                                                    compose_string_at(c, abs, src)) < 0)
                                                return -ENOMEM;
                                } else if ((r = abs_path_field(c, it, "source", basedir)) < 0)
                                        return r;
                        }
                        cJSON *target = cJSON_GetObjectItemCaseSensitive(it, "target");
                        if (cJSON_IsString(target) && target->valuestring[0] != '/' &&
                            !(cJSON_IsString(type) && strcmp(type->valuestring, "npipe") == 0))
                                return compose_fail(
                                        c, -EINVAL, target, false, PATH(p, "%s.volumes[%d].target", path, i),
                                        "the target \"%s\" must be an absolute path", target->valuestring);
                        continue;
                }
                if (!cJSON_IsString(it))
                        return compose_fail(c, -EINVAL, it, false, PATH(p, "%s.volumes[%d]", path, i),
                                            "a volume must be a string or a mapping");
                cJSON *e = NULL;
                r = spec_parse_volume(it->valuestring, basedir, home, &e, msg, sizeof(msg));
                if (r == -EINVAL)
                        return compose_fail(c, r, it, false, PATH(p, "%s.volumes[%d]", path, i), "%s", msg);
                if (r < 0)
                        return r;
                compose_pos_copy(c, e, it);
                for (cJSON *f = e->child; f; f = f->next)
                        compose_pos_copy(c, f, it);
                compose_swap(v, it, e);
        }
        return 0;
}

static int norm_depends_on(ComposeCtx *c, cJSON *svc, const char *path)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "depends_on");
        char p[512];

        if (cJSON_IsArray(v)) {
                cJSON *map = cJSON_CreateObject();
                if (!map)
                        return -ENOMEM;
                compose_pos_copy(c, map, v);
                for (cJSON *it = v->child; it; it = it->next) {
                        if (!cJSON_IsString(it)) {
                                cJSON_Delete(map);
                                return compose_fail(c, -EINVAL, it, false, PATH(p, "%s.depends_on", path),
                                                    "must list service names");
                        }
                        cJSON *d = cJSON_CreateObject();
                        compose_pos_copy(c, d, it);
                        srcmap_put(c->src, SRCMAP_KEY(d), srcmap_get(c->src, it));
                        cJSON_AddItemToObject(map, it->valuestring, d);
                }
                int r = compose_replace(c, svc, "depends_on", map);
                if (r < 0)
                        return r;
                v = map;
        }
        for (cJSON *d = cJSON_IsObject(v) ? v->child : NULL; d; d = d->next) {
                if (!cJSON_HasObjectItem(d, "condition"))
                        cJSON_AddStringToObject(d, "condition", "service_started");
                if (!cJSON_HasObjectItem(d, "required"))
                        cJSON_AddTrueToObject(d, "required");
        }
        return 0;
}

static int names_to_map(ComposeCtx *c, cJSON *svc, const char *key)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, key);
        if (!cJSON_IsArray(v))
                return 0;
        cJSON *map = cJSON_CreateObject();
        if (!map)
                return -ENOMEM;
        compose_pos_copy(c, map, v);
        for (cJSON *it = v->child; it; it = it->next) {
                if (!cJSON_IsString(it))
                        continue;
                cJSON *n = cJSON_CreateNull();
                compose_pos_copy(c, n, it);
                srcmap_put(c->src, SRCMAP_KEY(n), srcmap_get(c->src, it));
                cJSON_AddItemToObject(map, it->valuestring, n);
        }
        return compose_replace(c, svc, key, map);
}

static int norm_file_refs(ComposeCtx *c, cJSON *svc, const char *key)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, key);
        for (cJSON *it = cJSON_IsArray(v) ? v->child : NULL, *next; it; it = next) {
                next = it->next;
                if (!cJSON_IsString(it))
                        continue;
                cJSON *o = cJSON_CreateObject();
                if (!o)
                        return -ENOMEM;
                compose_pos_copy(c, o, it);
                cJSON_AddItemToObject(o, "source", compose_string_at(c, it->valuestring, it));
                compose_swap(v, it, o);
        }
        return 0;
}

static int norm_env_file(ComposeCtx *c, cJSON *svc, const char *basedir)
{
        int r = string_to_list(c, svc, "env_file");
        if (r < 0)
                return r;
        cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "env_file");
        for (cJSON *it = cJSON_IsArray(v) ? v->child : NULL, *next; it; it = next) {
                next = it->next;
                if (cJSON_IsString(it)) {
                        cJSON *o = cJSON_CreateObject();
                        if (!o)
                                return -ENOMEM;
                        compose_pos_copy(c, o, it);
                        cJSON_AddItemToObject(o, "path", compose_string_at(c, it->valuestring, it));
                        cJSON_AddTrueToObject(o, "required");
                        compose_swap(v, it, o);
                        it = o;
                } else if (cJSON_IsObject(it) && !cJSON_HasObjectItem(it, "required"))
                        cJSON_AddTrueToObject(it, "required");
                if ((r = abs_path_field(c, it, "path", basedir)) < 0)
                        return r;
        }
        return 0;
}

static int norm_build(ComposeCtx *c, cJSON *svc, const char *basedir)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "build");
        int r;
        if (cJSON_IsString(v)) {
                cJSON *o = cJSON_CreateObject();
                if (!o)
                        return -ENOMEM;
                compose_pos_copy(c, o, v);
                cJSON_AddItemToObject(o, "context", compose_string_at(c, v->valuestring, v));
                if ((r = compose_replace(c, svc, "build", o)) < 0)
                        return r;
                v = o;
        }
        if (!cJSON_IsObject(v))
                return 0;
        if (!cJSON_HasObjectItem(v, "context"))
                cJSON_AddStringToObject(v, "context", ".");
        cJSON *ctx = cJSON_GetObjectItemCaseSensitive(v, "context");
        if (cJSON_IsString(ctx) && !strstr(ctx->valuestring, "://") &&
            strncmp(ctx->valuestring, "git@", 4) != 0 && (r = abs_path_field(c, v, "context", basedir)) < 0)
                return r;
        if (!cJSON_HasObjectItem(v, "dockerfile") && !cJSON_HasObjectItem(v, "dockerfile_inline"))
                cJSON_AddStringToObject(v, "dockerfile", "Dockerfile");
        return to_string_map(c, v, "args", "build", '=');
}

static int split_command(ComposeCtx *c, cJSON *obj, const char *key, const char *path)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
        char p[512], msg[256];
        cJSON *words = NULL;

        if (!cJSON_IsString(v))
                return 0;
        int r = spec_split_words(v->valuestring, &words, msg, sizeof(msg));
        if (r == -EINVAL)
                return compose_fail(c, r, v, false, PATH(p, "%s.%s", path, key), "%s", msg);
        if (r < 0)
                return r;
        compose_pos_copy(c, words, v);
        for (cJSON *w = words->child; w; w = w->next)
                compose_pos_copy(c, w, v);
        return compose_replace(c, obj, key, words);
}

int normalize_service(ComposeCtx *c, cJSON *svc, const char *name, const char *basedir, const char *home)
{
        char path[512];
        int r;

        if (!cJSON_IsObject(svc))
                return 0;
        snprintf(path, sizeof(path), "services.%s", name);
        static const char *const lists[] = { "dns", "dns_search", "tmpfs", "dns_opt" };
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                if ((r = string_to_list(c, svc, lists[i])) < 0)
                        return r;
        if ((r = to_string_map(c, svc, "environment", path, '=')) < 0 ||
            (r = to_string_map(c, svc, "labels", path, '=')) < 0 ||
            (r = to_string_map(c, svc, "annotations", path, '=')) < 0 ||
            (r = to_string_map(c, svc, "sysctls", path, '=')) < 0 || (r = norm_ports(c, svc, path)) < 0 ||
            (r = norm_volumes(c, svc, path, basedir, home)) < 0 || (r = norm_depends_on(c, svc, path)) < 0 ||
            (r = names_to_map(c, svc, "networks")) < 0 || (r = norm_file_refs(c, svc, "secrets")) < 0 ||
            (r = norm_file_refs(c, svc, "configs")) < 0 || (r = norm_env_file(c, svc, basedir)) < 0 ||
            (r = norm_build(c, svc, basedir)) < 0 || (r = split_command(c, svc, "command", path)) < 0 ||
            (r = split_command(c, svc, "entrypoint", path)) < 0)
                return r;

        cJSON *eh = cJSON_GetObjectItemCaseSensitive(svc, "extra_hosts");
        if (eh && (r = to_string_map(c, svc, "extra_hosts", path, '=')) < 0)
                return r;

        cJSON *hc = cJSON_GetObjectItemCaseSensitive(svc, "healthcheck");
        cJSON *test = cJSON_GetObjectItemCaseSensitive(hc, "test");
        if (cJSON_IsString(test)) {
                cJSON *l = cJSON_CreateArray();
                if (!l)
                        return -ENOMEM;
                json_append(l, cJSON_CreateString("CMD-SHELL"));
                cJSON_AddItemToArray(l, compose_string_at(c, test->valuestring, test));
                if ((r = compose_replace(c, hc, "test", l)) < 0)
                        return r;
        }

        cJSON *ext = cJSON_GetObjectItemCaseSensitive(svc, "extends");
        if (cJSON_IsString(ext)) {
                cJSON *o = cJSON_CreateObject();
                if (!o)
                        return -ENOMEM;
                cJSON_AddItemToObject(o, "service", compose_string_at(c, ext->valuestring, ext));
                if ((r = compose_replace(c, svc, "extends", o)) < 0)
                        return r;
                ext = o;
        }
        if (cJSON_IsObject(ext) && (r = abs_path_field(c, ext, "file", basedir)) < 0)
                return r;

        /* "scale" and deploy.replicas say the same thing; keep one, as compose does. */
        cJSON *scale = cJSON_GetObjectItemCaseSensitive(svc, "scale");
        if (scale) {
                cJSON *deploy = cJSON_GetObjectItemCaseSensitive(svc, "deploy");
                if (!deploy && !(deploy = cJSON_AddObjectToObject(svc, "deploy")))
                        return -ENOMEM;
                cJSON *rep = cJSON_GetObjectItemCaseSensitive(deploy, "replicas");
                if (rep && cJSON_IsNumber(scale) && cJSON_IsNumber(rep) &&
                    rep->valuedouble != scale->valuedouble)
                        return compose_fail(c, -EINVAL, scale, true, path,
                                            "\"scale\" and \"deploy.replicas\" disagree (%g and %g)",
                                            scale->valuedouble, rep->valuedouble);
                cJSON_DetachItemViaPointer(svc, scale);
                if (!rep)
                        cJSON_AddItemToObject(deploy, "replicas", scale);
                else
                        cJSON_Delete(scale);
        }
        cJSON *cpus = cJSON_GetObjectItemCaseSensitive(svc, "cpus");
        if (cJSON_IsString(cpus)) {
                char *end;
                double d = strtod(cpus->valuestring, &end);
                if (*end || end == cpus->valuestring)
                        return compose_fail(c, -EINVAL, cpus, false, path, "cpus: \"%s\" is not a number",
                                            cpus->valuestring);
                cJSON *n = cJSON_CreateNumber(d);
                compose_pos_copy(c, n, cpus);
                compose_swap(svc, cpus, n);
        }
        return 0;
}

static int norm_resources(ComposeCtx *c, cJSON *doc, const char *key, const char *basedir)
{
        cJSON *top = cJSON_GetObjectItemCaseSensitive(doc, key);
        char path[512];
        int r;

        for (cJSON *it = cJSON_IsObject(top) ? top->child : NULL, *next; it; it = next) {
                next = it->next;
                if (cJSON_IsNull(it)) {
                        cJSON *o = cJSON_CreateObject();
                        if (!o)
                                return -ENOMEM;
                        compose_pos_copy(c, o, it);
                        compose_swap(top, it, o);
                        it = o;
                }
                snprintf(path, sizeof(path), "%s.%s", key, it->string);
                if ((r = to_string_map(c, it, "labels", path, '=')) < 0 ||
                    (r = abs_path_field(c, it, "file", basedir)) < 0)
                        return r;
                /* Legacy "external: {name: x}" means external with that name. */
                cJSON *ext = cJSON_GetObjectItemCaseSensitive(it, "external");
                if (cJSON_IsObject(ext)) {
                        cJSON *n = cJSON_GetObjectItemCaseSensitive(ext, "name");
                        if (cJSON_IsString(n) && !cJSON_HasObjectItem(it, "name"))
                                cJSON_AddStringToObject(it, "name", n->valuestring);
                        compose_swap(it, ext, cJSON_CreateTrue());
                }
        }
        return 0;
}

int normalize_file(ComposeCtx *c, cJSON *doc, const char *basedir, const char *home)
{
        cJSON *services = cJSON_GetObjectItemCaseSensitive(doc, "services");
        int r;

        for (cJSON *s = cJSON_IsObject(services) ? services->child : NULL; s; s = s->next)
                if ((r = normalize_service(c, s, s->string, basedir, home)) < 0)
                        return r;
        static const char *const tops[] = { "networks", "volumes", "secrets", "configs" };
        for (size_t i = 0; i < ELEMENTSOF(tops); i++)
                if ((r = norm_resources(c, doc, tops[i], basedir)) < 0)
                        return r;
        return 0;
}
