/* render.c: stack definitions, their options, and injection-safe rendering. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../yaml/yaml.h"
#include "../yaml/emit.h"
#include "../schema/schema.h"
#include "../util/fileio.h"
#include "../util/srcmap.h"
#include "../util/strbuf.h"
#include "render.h"
#include "../util/json.h"

#define DEFINITION_MAX ((size_t)1024 * 1024)
#define RENDER_DEPTH   16
/* A string option without a maxLength of its own gets this one, and no string may be longer than
 * OPTION_STRING_MAX whatever its schema says: a value is committed, then deployed, and an image name or
 * a label of 100 KB only fails later with a truncated error. */
#define OPTION_MAX_LENGTH 1024
#define OPTION_STRING_MAX ((size_t)64 * 1024)

Definition *definition_free(Definition *d)
{
        if (!d)
                return NULL;
        free(d->name);
        free(d->title);
        free(d->description);
        free(d->version);
        cJSON_Delete(d->options);
        free(d->compose);
        for (size_t i = 0; i < d->n_write_only; i++)
                free(d->write_only[i].name);
        free(d->write_only);
        free(d);
        return NULL;
}

const WriteOnly *definition_write_only(const Definition *d, const char *name)
{
        for (size_t i = 0; name && i < d->n_write_only; i++)
                if (strcmp(d->write_only[i].name, name) == 0)
                        return &d->write_only[i];
        return NULL;
}

static int text_field(const cJSON *doc, const SrcMap *map, const char *file, const char *key, bool required,
                      char **ret, BerthError *err)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
        if (!v && !required)
                return 0;
        if (!cJSON_IsString(v))
                return srcmap_fail(err, map, v ? (const void *)v : (const void *)doc, file, key,
                                   v ? "must be a string" : "is required");
        return (*ret = strdup(v->valuestring)) ? 0 : -ENOMEM;
}

static bool types_string(const cJSON *type)
{
        if (cJSON_IsString(type))
                return strcmp(type->valuestring, "string") == 0;
        for (const cJSON *t = cJSON_IsArray(type) ? type->child : NULL; t; t = t->next)
                if (cJSON_IsString(t) && strcmp(t->valuestring, "string") == 0)
                        return true;
        return false;
}

/* What a definition's options schema means here, written into it (GET /stackDefinitions shows it, so a
 * form knows too): only declared options exist (additionalProperties false at the top, whatever the
 * definition said, since any other name would fill a placeholder that is not an option), and every
 * string has a maxLength. */
static int options_normalise(cJSON *sch, unsigned depth)
{
        if (!cJSON_IsObject(sch) || depth > RENDER_DEPTH)
                return 0;
        if (depth == 0) {
                cJSON_DeleteItemFromObjectCaseSensitive(sch, "additionalProperties");
                if (!cJSON_AddFalseToObject(sch, "additionalProperties"))
                        return -ENOMEM;
        }
        if (types_string(cJSON_GetObjectItemCaseSensitive(sch, "type")) &&
            !cJSON_GetObjectItemCaseSensitive(sch, "maxLength") &&
            !cJSON_AddNumberToObject(sch, "maxLength", OPTION_MAX_LENGTH))
                return -ENOMEM;
        for (cJSON *c = sch->child; c; c = c->next) {
                /* Subschemas: under these keywords, directly or one map or list down. */
                bool map = strcmp(c->string, "properties") == 0 || strcmp(c->string, "definitions") == 0 ||
                           strcmp(c->string, "patternProperties") == 0;
                bool one = strcmp(c->string, "items") == 0 ||
                           strcmp(c->string, "additionalProperties") == 0 || strcmp(c->string, "not") == 0;
                bool list = strcmp(c->string, "anyOf") == 0 || strcmp(c->string, "oneOf") == 0 ||
                            strcmp(c->string, "allOf") == 0 ||
                            (strcmp(c->string, "items") == 0 && cJSON_IsArray(c));
                int r = 0;
                if (one && cJSON_IsObject(c))
                        r = options_normalise(c, depth + 1);
                for (cJSON *m = map || list ? c->child : NULL; m && r >= 0; m = m->next)
                        r = options_normalise(m, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static size_t name_len(const char *s);

/* The write-only options of the (normalised) schema: strings without a default. */
static int write_only_collect(Definition *d, const cJSON *doc, const SrcMap *map, const char *file,
                              BerthError *err)
{
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(d->options, "properties");
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(d->options, "required");
        for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
                const cJSON *wo = cJSON_GetObjectItemCaseSensitive(p, "writeOnly");
                if (!wo || cJSON_IsFalse(wo))
                        continue;
                /* The place to name is the definition's own member, not the normalised copy. */
                const cJSON *at = cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "options"),
                                                         "properties"),
                        p->string);
                const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
                if (!cJSON_IsTrue(wo))
                        return srcmap_fail(err, map, at, file, p->string, "writeOnly must be true or false");
                if (!cJSON_IsString(type) || strcmp(type->valuestring, "string") != 0)
                        return srcmap_fail(err, map, at, file, p->string,
                                           "a writeOnly option must have \"type\": \"string\"");
                if (cJSON_GetObjectItemCaseSensitive(p, "default"))
                        return srcmap_fail(err, map, at, file, p->string,
                                           "a writeOnly option has no default: it would be a secret in git");
                WriteOnly *v = realloc(d->write_only, (d->n_write_only + 1) * sizeof(WriteOnly));
                if (!v)
                        return -ENOMEM;
                d->write_only = v;
                v[d->n_write_only] = (WriteOnly){ .name = strdup(p->string) };
                if (!v[d->n_write_only].name)
                        return -ENOMEM;
                for (const cJSON *r = req ? req->child : NULL; r; r = r->next)
                        if (cJSON_IsString(r) && strcmp(r->valuestring, p->string) == 0)
                                v[d->n_write_only].required = true;
                d->n_write_only++;
        }
        return 0;
}

/* The first write-only option that s names in a placeholder ("$pw", "${pw}", "${x:-${pw}}"), or NULL. */
static const WriteOnly *names_write_only(const Definition *d, const char *s)
{
        char key[128];
        for (; (s = strchr(s, '$')); s++) {
                if (s[1] == '$') {
                        s++;
                        continue;
                }
                const char *n = s[1] == '{' ? s + 2 : s + 1;
                size_t nl = name_len(n);
                if (!nl || nl >= sizeof(key))
                        continue;
                snprintf(key, sizeof(key), "%.*s", (int)nl, n);
                const WriteOnly *w = definition_write_only(d, key);
                if (w)
                        return w;
        }
        return NULL;
}

/* A write-only option may be used only as (part of) a service's environment value: anywhere else its
 * value, which berth-api never sees, could change what the policy checked (an image, a port, a mount,
 * "privileged"). keys[] holds the member names from the top down to node. */
static int write_only_places(const Definition *d, const cJSON *node, const SrcMap *map, const char *file,
                             const char *keys[4], unsigned depth, BerthError *err)
{
        if (depth > RENDER_DEPTH)
                return 0;
        if (cJSON_IsString(node)) {
                const WriteOnly *w = names_write_only(d, node->valuestring);
                bool env = depth == 4 && keys[0] && strcmp(keys[0], "services") == 0 && keys[2] &&
                           strcmp(keys[2], "environment") == 0;
                if (w && !env)
                        return srcmap_fail(err, map, node, file, w->name,
                                           "write-only option \"%s\" may be used only in a service's "
                                           "environment: berth-api never sees its value, so it cannot check "
                                           "it anywhere else",
                                           w->name);
                return 0;
        }
        for (const cJSON *c = node->child; c; c = c->next) {
                if (depth < 4)
                        keys[depth] = cJSON_IsObject(node) ? c->string : NULL;
                int r = write_only_places(d, c, map, file, keys, depth + 1, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int definition_load(const char *name, const char *compose, size_t compose_len, const char *json,
                    size_t json_len, Definition **ret, BerthError *err)
{
        _cleanup_definition_ Definition *d = calloc(1, sizeof(Definition));
        _cleanup_srcmap_ SrcMap *map = srcmap_new();
        _cleanup_cjson_ cJSON *doc = NULL, *tmpl = NULL;
        char file[300];
        int r;

        if (!d || !map || !(d->name = strdup(name)))
                return -ENOMEM;
        if (compose_len > DEFINITION_MAX || json_len > DEFINITION_MAX)
                return error_set(err, -EFBIG, name, 0, 0, NULL, "definition too large (limit %zu bytes)",
                                 DEFINITION_MAX);
        /* The template must parse now: a definition that cannot render is refused where it is listed. */
        snprintf(file, sizeof(file), "templates/%s/compose.yaml", name);
        if ((r = yaml_load(compose, compose_len, file, NULL, map, &tmpl, err)) < 0)
                return r;
        if (!cJSON_IsObject(tmpl))
                return error_set(err, -EINVAL, file, 0, 0, NULL, "the template must be a mapping");
        snprintf(file, sizeof(file), "templates/%s/definition.json", name);
        if ((r = yaml_load(json, json_len, file, NULL, map, &doc, err)) < 0)
                return r;
        if (!cJSON_IsObject(doc))
                return error_set(err, -EINVAL, file, 0, 0, NULL, "must be a JSON object");
        for (const cJSON *k = doc->child; k; k = k->next)
                if (strcmp(k->string, "title") != 0 && strcmp(k->string, "description") != 0 &&
                    strcmp(k->string, "version") != 0 && strcmp(k->string, "options") != 0)
                        return srcmap_fail(
                                err, map, SRCMAP_KEY(k), file, k->string,
                                "unknown key (a definition has title, description, version, options)");
        if ((r = text_field(doc, map, file, "title", true, &d->title, err)) < 0 ||
            (r = text_field(doc, map, file, "description", false, &d->description, err)) < 0 ||
            (r = text_field(doc, map, file, "version", true, &d->version, err)) < 0)
                return r;
        cJSON *options = cJSON_GetObjectItemCaseSensitive(doc, "options");
        if (options && !cJSON_IsObject(options))
                return srcmap_fail(err, map, options, file, "options", "must be a JSON Schema object");
        d->options = options ? cJSON_Duplicate(options, 1) : cJSON_Parse("{\"type\":\"object\"}");
        if (d->options && (r = options_normalise(d->options, 0)) < 0)
                return r;
        /* The schema must compile: a broken one is the definition's error, not a request's. */
        _cleanup_schema_ Schema *s = NULL;
        if (!d->options || (r = schema_new_from_tree(cJSON_Duplicate(d->options, 1), &s)) < 0)
                return d->options
                               ? error_set(err, -EINVAL, file, 0, 0, "options", "not a usable JSON Schema")
                               : -ENOMEM;
        if ((r = write_only_collect(d, doc, map, file, err)) < 0)
                return r;
        if (d->n_write_only) {
                const char *keys[4] = { 0 };
                snprintf(file, sizeof(file), "templates/%s/compose.yaml", name);
                if ((r = write_only_places(d, tmpl, map, file, keys, 0, err)) < 0)
                        return r;
        }
        if (!(d->compose = malloc(compose_len + 1)))
                return -ENOMEM;
        memcpy(d->compose, compose, compose_len);
        d->compose[compose_len] = '\0';
        d->compose_len = compose_len;
        *ret = TAKE_PTR(d);
        return 0;
}

/* "replicas", "a.b[2]" -> "/options/replicas", "/options/a/b/2" */
static void to_pointer(const char *path, char *out, size_t size)
{
        size_t n = (size_t)snprintf(out, size, "/options%s", *path ? "/" : "");
        for (const char *p = path; *p && n + 1 < size; p++)
                if (*p != ']')
                        out[n++] = *p == '.' || *p == '[' ? '/' : *p;
        out[n < size ? n : size - 1] = '\0';
}

/* Every string in an option is valid UTF-8: a YAML file can hold nothing else, and a value that the
 * rendered file could not carry must be refused at its place, not written. */
static int strings_valid(const cJSON *v, char *path, size_t size, BerthError *err)
{
        unsigned line, col;
        if (cJSON_IsString(v) && strlen(v->valuestring) > OPTION_STRING_MAX)
                return error_set(err, -EINVAL, NULL, 0, 0, path, "longer than %zu bytes", OPTION_STRING_MAX);
        if (cJSON_IsString(v) && !utf8_validate(v->valuestring, strlen(v->valuestring), &line, &col))
                return error_set(err, -EINVAL, NULL, 0, 0, path, "not valid UTF-8 (at byte %u)", col);
        size_t n = strlen(path);
        int i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
                if (cJSON_IsArray(v))
                        snprintf(path + n, size - n, "/%d", i);
                else
                        snprintf(path + n, size - n, "/%s", c->string);
                int r = strings_valid(c, path, size, err);
                path[n] = '\0';
                if (r < 0)
                        return r;
        }
        return 0;
}

int definition_options(const Definition *d, const cJSON *options, cJSON **ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *o = options ? cJSON_Duplicate(options, 1) : cJSON_CreateObject();
        _cleanup_schema_ Schema *s = NULL;
        int r;
        if (!o)
                return -ENOMEM;
        if (!cJSON_IsObject(o))
                return error_set(err, -EINVAL, NULL, 0, 0, "/options", "options must be an object");
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(d->options, "properties");
        for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
                const cJSON *def = cJSON_GetObjectItemCaseSensitive(p, "default");
                if (def && !cJSON_GetObjectItemCaseSensitive(o, p->string) &&
                    !json_set(o, p->string, cJSON_Duplicate(def, 1)))
                        return -ENOMEM;
        }
        char where[512] = "/options";
        if ((r = strings_valid(o, where, sizeof(where), err)) < 0)
                return r;
        /* A required write-only option may be kept from before; the caller knows. */
        cJSON *sch = cJSON_Duplicate(d->options, 1);
        cJSON *req = cJSON_GetObjectItemCaseSensitive(sch, "required");
        for (cJSON *c = req ? req->child : NULL, *next; c; c = next) {
                next = c->next;
                if (definition_write_only(d, cJSON_GetStringValue(c)))
                        cJSON_Delete(cJSON_DetachItemViaPointer(req, c));
        }
        if ((r = schema_new_from_tree(sch, &s)) < 0)
                return r;
        BerthError e = { 0 };
        if ((r = schema_validate(s, o, NULL, &e)) < 0) {
                char ptr[512];
                to_pointer(e.path, ptr, sizeof(ptr));
                return error_set(err, r, NULL, 0, 0, ptr, "%s", e.msg);
        }
        *ret = TAKE_PTR(o);
        return 0;
}

/* ---- rendering ---- */

/* An option's value as text with every "$" doubled; NULL value: absent. */
static int option_text(const cJSON *v, const char *name, StrBuf *out, BerthError *err)
{
        char num[64];
        const char *t;
        if (cJSON_IsString(v))
                t = v->valuestring;
        else if (cJSON_IsBool(v))
                t = cJSON_IsTrue(v) ? "true" : "false";
        else if (cJSON_IsNumber(v)) {
                if (v->valuedouble == (double)(long long)v->valuedouble)
                        snprintf(num, sizeof(num), "%lld", (long long)v->valuedouble);
                else
                        snprintf(num, sizeof(num), "%.17g", v->valuedouble);
                t = num;
        } else if (cJSON_IsNull(v))
                t = "";
        else
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "option \"%s\" is not a scalar", name);
        for (; *t; t++)
                if ((*t == '$' ? strbuf_addstr(out, "$$") : strbuf_addch(out, *t)) < 0)
                        return -ENOMEM;
        return 0;
}

static size_t name_len(const char *s)
{
        size_t n = 0;
        if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
                return 0;
        while ((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
               (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
                n++;
        return n;
}

static int render_text(const char *s, size_t len, const cJSON *options, unsigned depth, StrBuf *out,
                       BerthError *err);

/* ${name<op>rest} for an option name; rest is rendered too. */
static int render_braced(const char *name, size_t nl, const char *op, size_t oplen, const cJSON *options,
                         unsigned depth, StrBuf *out, BerthError *err)
{
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)nl, name);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(options, key);
        bool set = v != NULL, nonempty = v && !(cJSON_IsString(v) && !*v->valuestring) && !cJSON_IsNull(v);
        if (oplen == 0)
                return v ? option_text(v, key, out, err) : 0;
        bool colon = op[0] == ':';
        const char *o = colon ? op + 1 : op;
        size_t rest = oplen - (colon ? 1 : 0);
        if (rest == 0)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "invalid placeholder for option \"%s\"",
                                 key);
        bool have = colon ? nonempty : set;
        switch (o[0]) {
        case '-':
                return have ? option_text(v, key, out, err)
                            : render_text(o + 1, rest - 1, options, depth + 1, out, err);
        case '?':
                if (have)
                        return option_text(v, key, out, err);
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "option \"%s\" is required: %.*s", key,
                                 (int)(rest - 1), o + 1);
        case '+':
                return have ? render_text(o + 1, rest - 1, options, depth + 1, out, err) : 0;
        default:
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "invalid placeholder for option \"%s\"",
                                 key);
        }
}

static int render_text(const char *s, size_t len, const cJSON *options, unsigned depth, StrBuf *out,
                       BerthError *err)
{
        int r = 0;
        if (depth > RENDER_DEPTH)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "placeholders nested too deep");
        for (size_t i = 0; i < len && r >= 0;) {
                if (s[i] != '$' || i + 1 >= len) {
                        r = strbuf_addch(out, s[i++]);
                        continue;
                }
                if (s[i + 1] == '$') { /* an escaped dollar stays escaped */
                        r = strbuf_addstr(out, "$$");
                        i += 2;
                        continue;
                }
                if (s[i + 1] == '{') {
                        size_t j = i + 2;
                        unsigned open = 1;
                        while (j < len && open) {
                                if (s[j] == '$' && j + 1 < len && s[j + 1] == '{') {
                                        open++;
                                        j += 2;
                                } else if (s[j++] == '}')
                                        open--;
                        }
                        const char *inner = s + i + 2;
                        size_t ilen = open ? len - i - 2 : j - i - 3;
                        size_t nl = name_len(inner);
                        char key[128];
                        snprintf(key, sizeof(key), "%.*s", (int)(nl < sizeof(key) ? nl : 0), inner);
                        if (!open && nl && nl < sizeof(key) &&
                            cJSON_GetObjectItemCaseSensitive(options, key))
                                r = render_braced(inner, nl, inner + nl, ilen - nl, options, depth, out,
                                                  err);
                        else /* not an option: left for the reconciler, as written */
                                r = strbuf_add(out, s + i, (open ? len : j) - i);
                        i = open ? len : j;
                        continue;
                }
                size_t nl = name_len(s + i + 1);
                char key[128];
                snprintf(key, sizeof(key), "%.*s", (int)(nl < sizeof(key) ? nl : 0), s + i + 1);
                if (nl && nl < sizeof(key) && cJSON_GetObjectItemCaseSensitive(options, key))
                        r = option_text(cJSON_GetObjectItemCaseSensitive(options, key), key, out, err);
                else
                        r = strbuf_add(out, s + i, nl + 1);
                i += nl + 1;
        }
        return r;
}

/* The option a scalar is exactly one placeholder of ("${replicas}" or "$replicas"), or NULL. */
static const cJSON *whole_option(const char *s, const cJSON *options)
{
        char key[128];
        size_t nl;
        if (s[0] != '$')
                return NULL;
        if (s[1] == '{') {
                nl = name_len(s + 2);
                if (!nl || s[2 + nl] != '}' || s[3 + nl] != '\0' || nl >= sizeof(key))
                        return NULL;
                snprintf(key, sizeof(key), "%.*s", (int)nl, s + 2);
        } else {
                nl = name_len(s + 1);
                if (!nl || s[1 + nl] != '\0' || nl >= sizeof(key))
                        return NULL;
                snprintf(key, sizeof(key), "%.*s", (int)nl, s + 1);
        }
        return cJSON_GetObjectItemCaseSensitive(options, key);
}

/* Renders every string value under node (keys stay as written). */
static int render_tree(cJSON *node, const cJSON *options, const SrcMap *map, const char *path,
                       BerthError *err)
{
        char sub[512];
        int i = 0;
        for (cJSON *c = node->child, *next; c; c = next, i++) {
                next = c->next;
                if (cJSON_IsArray(node))
                        snprintf(sub, sizeof(sub), "%s[%d]", path, i);
                else
                        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", c->string);
                if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
                        int r = render_tree(c, options, map, sub, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!cJSON_IsString(c) || !strchr(c->valuestring, '$'))
                        continue;
                const cJSON *whole = whole_option(c->valuestring, options);
                const SrcPos *pos = srcmap_get(map, c);
                bool quoted = pos && (pos->tags & SRC_TAG_QUOTED);
                cJSON *n = NULL;
                /* A quoted placeholder is a string in the template's own words; a plain one takes the type. */
                if (!quoted && (cJSON_IsNumber(whole) || cJSON_IsBool(whole)))
                        n = cJSON_Duplicate(whole, 0); /* "replicas: ${replicas}" stays a number */
                else {
                        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
                        BerthError e = { 0 };
                        int r = render_text(c->valuestring, strlen(c->valuestring), options, 0, &out, &e);
                        if (r < 0)
                                return r == -EINVAL ? error_set(err, r, NULL, 0, 0, sub, "%s", e.msg) : r;
                        n = cJSON_CreateString(strbuf_str(&out));
                }
                if (!n)
                        return -ENOMEM;
                /* The new value takes over the member's key (a duplicate brought its option's name). */
                free(n->string);
                n->string = c->string;
                c->string = NULL;
                cJSON_ReplaceItemViaPointer(node, c, n);
        }
        return 0;
}

int definition_render(const Definition *d, const cJSON *options, char **ret, BerthError *err)
{
        _cleanup_srcmap_ SrcMap *map = srcmap_new();
        _cleanup_cjson_ cJSON *doc = NULL;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        char file[300];
        int r;
        if (!map)
                return -ENOMEM;
        snprintf(file, sizeof(file), "templates/%s/compose.yaml", d->name);
        if ((r = yaml_load(d->compose, d->compose_len, file, NULL, map, &doc, err)) < 0)
                return r;
        if (!cJSON_IsObject(doc))
                return error_set(err, -EINVAL, file, 0, 0, NULL, "the template must be a mapping");
        /* Write-only values stay out: their placeholders are left for the reconciler. */
        _cleanup_cjson_ cJSON *shown = cJSON_Duplicate(options, 1);
        if (!shown)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_write_only; i++)
                cJSON_DeleteItemFromObjectCaseSensitive(shown, d->write_only[i].name);
        if ((r = render_tree(doc, shown, map, "", err)) < 0)
                return r;
        if ((r = emit_yaml(doc, 0, &out)) < 0)
                return r;
        return (*ret = strbuf_detach(&out)) ? 0 : -ENOMEM;
}
