/* schema.c: JSON Schema draft-07 validation. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "schema.h"

#define SCHEMA_MAX_DEPTH 256

typedef struct Resource {
        char *uri; /* absolute, without fragment */
        const cJSON *node;
} Resource;

typedef struct Regex {
        const char *pattern; /* borrowed from the schema tree */
        regex_t re;
        bool ok;
} Regex;

struct Schema {
        cJSON **docs;
        size_t n_docs;
        Resource *res;
        size_t n_res;
        Regex *rx;
        size_t n_rx;
};

/* The most specific failure seen, kept while trying alternatives. */
typedef struct VError {
        bool set;
        int depth;
        const cJSON *node;
        bool at_key;
        char path[512];
        char msg[512];
} VError;

typedef struct Ctx {
        const Schema *s;
        unsigned depth;
} Ctx;

static int regex_collect(Schema *s, const cJSON *node, unsigned depth);

/* ---- URIs and resources ---- */

static char *uri_strip_fragment(const char *u)
{
        const char *h = strchr(u, '#');
        return h ? strndup(u, (size_t)(h - u)) : strdup(u);
}

static bool has_scheme(const char *u)
{
        const char *c = strchr(u, ':');
        const char *s = strchr(u, '/');
        return c && (!s || c < s);
}

/* RFC 3986 reference resolution, enough for the forms schemas use. */
static char *uri_resolve(const char *base, const char *ref)
{
        StrBuf sb = STRBUF_INIT;
        _cleanup_free_ char *b = base ? uri_strip_fragment(base) : strdup("");

        if (!b)
                return NULL;
        if (has_scheme(ref) || !*b)
                return strdup(ref);
        if (ref[0] == '#' || ref[0] == '\0') {
                if (strbuf_addstr(&sb, b) < 0 || strbuf_addstr(&sb, ref) < 0)
                        goto oom;
        } else if (ref[0] == '/') {
                const char *p = strstr(b, "://");
                const char *slash = p ? strchr(p + 3, '/') : NULL;
                size_t n = slash ? (size_t)(slash - b) : strlen(b);
                if (strbuf_add(&sb, b, n) < 0 || strbuf_addstr(&sb, ref) < 0)
                        goto oom;
        } else {
                const char *slash = strrchr(b, '/');
                size_t n = slash ? (size_t)(slash - b) + 1 : 0;
                if (!slash && strchr(b, ':'))
                        n = (size_t)(strchr(b, ':') - b) + 1;
                if (strbuf_add(&sb, b, n) < 0 || strbuf_addstr(&sb, ref) < 0)
                        goto oom;
        }
        return strbuf_detach(&sb);
oom:
        strbuf_done(&sb);
        return NULL;
}

static int res_add(Schema *s, const char *uri, const cJSON *node)
{
        Resource *r = realloc(s->res, (s->n_res + 1) * sizeof(Resource));
        if (!r)
                return -ENOMEM;
        s->res = r;
        s->res[s->n_res].uri = strdup(uri);
        if (!s->res[s->n_res].uri)
                return -ENOMEM;
        s->res[s->n_res++].node = node;
        return 0;
}

static const cJSON *res_find(const Schema *s, const char *uri)
{
        for (size_t i = s->n_res; i > 0; i--)
                if (strcmp(s->res[i - 1].uri, uri) == 0)
                        return s->res[i - 1].node;
        return NULL;
}

static const char *res_uri_of(const Schema *s, const cJSON *node)
{
        /* The latest non-empty URI: a root is registered first as given, then under its own $id. */
        for (size_t i = s->n_res; i > 0; i--)
                if (s->res[i - 1].node == node && s->res[i - 1].uri[0] && !strchr(s->res[i - 1].uri, '#'))
                        return s->res[i - 1].uri;
        return NULL;
}

/* Indexes every "$id" below node (keywords holding subschemas only), resolved against base. */
static int index_ids(Schema *s, const cJSON *node, const char *base, unsigned depth)
{
        _cleanup_free_ char *own = NULL;
        int r;

        if (!cJSON_IsObject(node) || depth > SCHEMA_MAX_DEPTH)
                return 0;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(node, "$id");
        /* In draft-07 "$ref" makes its siblings ignored, "$id" included. */
        if (cJSON_IsString(id) && !cJSON_GetObjectItemCaseSensitive(node, "$ref")) {
                own = uri_resolve(base, id->valuestring);
                if (!own)
                        return -ENOMEM;
                if (id->valuestring[0] == '#') {
                        r = res_add(s, own, node); /* a plain-name anchor */
                } else {
                        _cleanup_free_ char *nofrag = uri_strip_fragment(own);
                        r = nofrag ? res_add(s, nofrag, node) : -ENOMEM;
                }
                if (r < 0)
                        return r;
                base = own;
        }
        static const char *const maps[] = { "properties", "patternProperties", "definitions",
                                            "dependencies" };
        static const char *const singles[] = { "additionalProperties",
                                               "additionalItems",
                                               "items",
                                               "contains",
                                               "propertyNames",
                                               "not",
                                               "if",
                                               "then",
                                               "else" };
        static const char *const lists[] = { "allOf", "anyOf", "oneOf", "items" };
        for (size_t i = 0; i < ELEMENTSOF(maps); i++) {
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(node, maps[i]);
                for (const cJSON *c = cJSON_IsObject(m) ? m->child : NULL; c; c = c->next)
                        if ((r = index_ids(s, c, base, depth + 1)) < 0)
                                return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(singles); i++)
                if ((r = index_ids(s, cJSON_GetObjectItemCaseSensitive(node, singles[i]), base, depth + 1)) <
                    0)
                        return r;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                const cJSON *l = cJSON_GetObjectItemCaseSensitive(node, lists[i]);
                for (const cJSON *c = cJSON_IsArray(l) ? l->child : NULL; c; c = c->next)
                        if ((r = index_ids(s, c, base, depth + 1)) < 0)
                                return r;
        }
        return 0;
}

int schema_add_resource(Schema *s, const char *uri, cJSON *doc)
{
        cJSON **d = realloc(s->docs, (s->n_docs + 1) * sizeof(cJSON *));
        if (!d) {
                cJSON_Delete(doc);
                return -ENOMEM;
        }
        s->docs = d;
        s->docs[s->n_docs++] = doc;
        _cleanup_free_ char *u = uri_strip_fragment(uri);
        if (!u)
                return -ENOMEM;
        int r = res_add(s, u, doc);
        if (r >= 0)
                r = index_ids(s, doc, u, 0);
        return r < 0 ? r : regex_collect(s, doc, 0);
}

int schema_new_from_tree(cJSON *doc, Schema **ret)
{
        Schema *s = calloc(1, sizeof(*s));
        if (!s) {
                cJSON_Delete(doc);
                return -ENOMEM;
        }
        int r = schema_add_resource(s, "", doc);
        if (r < 0) {
                schema_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int schema_new(const char *json, size_t len, Schema **ret, BerthError *err)
{
        cJSON *doc = cJSON_ParseWithLength(json, len);
        if (!doc)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "schema is not valid JSON");
        return schema_new_from_tree(doc, ret);
}

Schema *schema_free(Schema *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_docs; i++)
                cJSON_Delete(s->docs[i]);
        for (size_t i = 0; i < s->n_res; i++)
                free(s->res[i].uri);
        for (size_t i = 0; i < s->n_rx; i++)
                if (s->rx[i].ok)
                        regfree(&s->rx[i].re);
        free(s->docs);
        free(s->res);
        free(s->rx);
        free(s);
        return NULL;
}

static const char *res_uri_of(const Schema *s, const cJSON *node);

/* JSON pointer ("/a/b~1c/0") from node; NULL when it leads nowhere. *ret_base follows the $ids passed. */
static const cJSON *pointer_get(const Schema *s, const cJSON *node, const char *ptr, const char **ret_base)
{
        while (node && *ptr == '/') {
                char tok[256];
                size_t n = 0;
                ptr++;
                while (*ptr && *ptr != '/' && n + 1 < sizeof(tok)) {
                        if (ptr[0] == '~' && ptr[1] == '1') {
                                tok[n++] = '/';
                                ptr += 2;
                        } else if (ptr[0] == '~' && ptr[1] == '0') {
                                tok[n++] = '~';
                                ptr += 2;
                        } else if (ptr[0] == '%' && ptr[1] && ptr[2]) {
                                char hex[3] = { ptr[1], ptr[2], 0 };
                                tok[n++] = (char)strtol(hex, NULL, 16);
                                ptr += 3;
                        } else
                                tok[n++] = *ptr++;
                }
                tok[n] = '\0';
                if (cJSON_IsArray(node)) {
                        char *end;
                        long i = strtol(tok, &end, 10);
                        node = *end || i < 0 ? NULL : cJSON_GetArrayItem(node, (int)i);
                } else
                        node = cJSON_GetObjectItemCaseSensitive(node, tok);
                const char *u = node && *ptr ? res_uri_of(s, node) : NULL;
                if (u)
                        *ret_base = u;
        }
        return node;
}

static const cJSON *ref_resolve(const Schema *s, const char *base, const char *ref, char **ret_base)
{
        _cleanup_free_ char *full = uri_resolve(base, ref);
        if (!full)
                return NULL;
        const char *hash = strchr(full, '#');
        _cleanup_free_ char *doc_uri = uri_strip_fragment(full);
        const cJSON *doc;

        if (hash && hash[1] && hash[1] != '/') {
                *ret_base = strdup(doc_uri ? doc_uri : "");
                return res_find(s, full);
        }
        doc = res_find(s, doc_uri ? doc_uri : "");
        if (!doc)
                return NULL;
        const char *base_uri = doc_uri;
        const cJSON *target = hash ? pointer_get(s, doc, hash + 1, &base_uri) : doc;
        *ret_base = strdup(base_uri);
        return target;
}

/* ---- errors ---- */

static void verr(VError *e, int depth, const cJSON *node, bool at_key, const char *path, const char *fmt,
                 ...) _printf_(6, 7);
static void verr(VError *e, int depth, const cJSON *node, bool at_key, const char *path, const char *fmt,
                 ...)
{
        va_list ap;
        if (e->set && e->depth > depth)
                return;
        e->set = true;
        e->depth = depth;
        e->node = node;
        e->at_key = at_key;
        snprintf(e->path, sizeof(e->path), "%s", path);
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
}

static const char *type_name(const cJSON *n)
{
        if (cJSON_IsString(n))
                return "string";
        if (cJSON_IsNumber(n))
                return "number";
        if (cJSON_IsBool(n))
                return "boolean";
        if (cJSON_IsNull(n))
                return "null";
        if (cJSON_IsArray(n))
                return "array";
        return "mapping";
}

static bool is_integer(const cJSON *n)
{
        return cJSON_IsNumber(n) && isfinite(n->valuedouble) && floor(n->valuedouble) == n->valuedouble;
}

static bool type_matches(const cJSON *n, const char *t)
{
        if (strcmp(t, "string") == 0)
                return cJSON_IsString(n);
        if (strcmp(t, "number") == 0)
                return cJSON_IsNumber(n);
        if (strcmp(t, "integer") == 0)
                return is_integer(n);
        if (strcmp(t, "boolean") == 0)
                return cJSON_IsBool(n);
        if (strcmp(t, "null") == 0)
                return cJSON_IsNull(n);
        if (strcmp(t, "array") == 0)
                return cJSON_IsArray(n);
        if (strcmp(t, "object") == 0)
                return cJSON_IsObject(n);
        return false;
}

static const char *type_word(const char *t)
{
        return strcmp(t, "object") == 0 ? "mapping" : strcmp(t, "array") == 0 ? "list" : t;
}

static size_t utf8_len(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += ((unsigned char)*s & 0xC0) != 0x80;
        return n;
}

static bool json_equal(const cJSON *a, const cJSON *b)
{
        if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
                return a->valuedouble == b->valuedouble;
        if ((a->type & 0xFF) != (b->type & 0xFF))
                return false;
        if (cJSON_IsArray(a)) {
                const cJSON *x = a->child, *y = b->child;
                for (; x && y; x = x->next, y = y->next)
                        if (!json_equal(x, y))
                                return false;
                return !x && !y;
        }
        if (cJSON_IsObject(a)) {
                int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
                if (na != nb)
                        return false;
                for (const cJSON *x = a->child; x; x = x->next) {
                        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
                        if (!y || !json_equal(x, y))
                                return false;
                }
                return true;
        }
        if (cJSON_IsString(a))
                return strcmp(a->valuestring, b->valuestring) == 0;
        return true;
}

/* ECMA-262 classes POSIX lacks, translated; inside brackets the bare class name goes in. */
static char *regex_translate(const char *p)
{
        StrBuf sb = STRBUF_INIT;
        bool in_bracket = false;
        int r = 0;

        for (; *p && r >= 0; p++) {
                if (*p == '\\' && p[1]) {
                        const char *cls = NULL, *neg = NULL;
                        switch (p[1]) {
                        case 'd':
                                cls = "0-9";
                                break;
                        case 'w':
                                cls = "A-Za-z0-9_";
                                break;
                        case 's':
                                cls = " \t\n\r\f\v";
                                break;
                        case 'D':
                                neg = "0-9";
                                break;
                        case 'W':
                                neg = "A-Za-z0-9_";
                                break;
                        case 'S':
                                neg = " \t\n\r\f\v";
                                break;
                        default:
                                break;
                        }
                        if (cls && in_bracket)
                                r = strbuf_addstr(&sb, cls);
                        else if (cls)
                                r = strbuf_addf(&sb, "[%s]", cls);
                        else if (neg)
                                r = strbuf_addf(&sb, "[^%s]", neg);
                        else
                                r = strbuf_add(&sb, p, 2);
                        p++;
                        continue;
                }
                if (*p == '[' && !in_bracket)
                        in_bracket = true;
                else if (*p == ']' && in_bracket)
                        in_bracket = false;
                r = strbuf_addch(&sb, *p);
        }
        if (r < 0) {
                strbuf_done(&sb);
                return NULL;
        }
        return strbuf_detach(&sb);
}

/* Compiles a pattern into the schema's table; a pattern already there is kept. Only called while the
 * schema is being built, so that validation never writes to it and one Schema serves many threads. */
static int regex_add(Schema *s, const char *pattern)
{
        for (size_t i = 0; i < s->n_rx; i++)
                if (s->rx[i].pattern == pattern)
                        return 0;
        Regex *n = realloc(s->rx, (s->n_rx + 1) * sizeof(Regex));
        if (!n)
                return -ENOMEM;
        s->rx = n;
        Regex *rx = &s->rx[s->n_rx++];
        *rx = (Regex){ .pattern = pattern };
        _cleanup_free_ char *t = regex_translate(pattern);
        rx->ok = t && regcomp(&rx->re, t, REG_EXTENDED | REG_NOSUB) == 0;
        return 0;
}

/* Every "pattern" and "patternProperties" key anywhere in the document, keyword or not: compiling one
 * regex too many is harmless, missing one would make validation write. */
static int regex_collect(Schema *s, const cJSON *node, unsigned depth)
{
        int r;
        if (depth > SCHEMA_MAX_DEPTH)
                return 0;
        for (const cJSON *c = node ? node->child : NULL; c; c = c->next) {
                if (cJSON_IsObject(node) && cJSON_IsString(c) && strcmp(c->string, "pattern") == 0 &&
                    (r = regex_add(s, c->valuestring)) < 0)
                        return r;
                if (cJSON_IsObject(node) && cJSON_IsObject(c) && strcmp(c->string, "patternProperties") == 0)
                        for (const cJSON *pp = c->child; pp; pp = pp->next)
                                if ((r = regex_add(s, pp->string)) < 0)
                                        return r;
                if ((r = regex_collect(s, c, depth + 1)) < 0)
                        return r;
        }
        return 0;
}

/* 1 match, 0 no match, -1 pattern unusable (treated as matching: never block on our regex gaps).
 * Reads the table only: glibc's regexec() may run on one regex_t from several threads. */
static int regex_match(const Schema *s, const char *pattern, const char *subject)
{
        for (size_t i = 0; i < s->n_rx; i++)
                if (s->rx[i].pattern == pattern)
                        return s->rx[i].ok ? regexec(&s->rx[i].re, subject, 0, NULL, 0) == 0 : -1;
        return -1; /* not reached: regex_collect() saw every pattern */
}

/* ---- validation ---- */

/* The keywords of one schema node, found in one pass over its members rather than one lookup each. */
typedef struct Keywords {
        const cJSON *ref, *id, *type, *enum_, *const_, *properties, *pattern_properties,
                *additional_properties, *required, *min_properties, *max_properties, *property_names,
                *dependencies, *items, *additional_items, *min_items, *max_items, *unique_items, *contains,
                *min_length, *max_length, *pattern, *minimum, *maximum, *exclusive_minimum,
                *exclusive_maximum, *multiple_of, *all_of, *any_of, *one_of, *not_, *if_, *then_, *else_,
                *write_only;
} Keywords;

static void keywords_collect(const cJSON *sch, Keywords *k)
{
        static const struct {
                const char *name;
                size_t offset;
        } table[] = {
#define KW(n, f) { n, offsetof(Keywords, f) }
                KW("$ref", ref),
                KW("$id", id),
                KW("type", type),
                KW("enum", enum_),
                KW("const", const_),
                KW("properties", properties),
                KW("patternProperties", pattern_properties),
                KW("additionalProperties", additional_properties),
                KW("required", required),
                KW("minProperties", min_properties),
                KW("maxProperties", max_properties),
                KW("propertyNames", property_names),
                KW("dependencies", dependencies),
                KW("items", items),
                KW("additionalItems", additional_items),
                KW("minItems", min_items),
                KW("maxItems", max_items),
                KW("uniqueItems", unique_items),
                KW("contains", contains),
                KW("minLength", min_length),
                KW("maxLength", max_length),
                KW("pattern", pattern),
                KW("minimum", minimum),
                KW("maximum", maximum),
                KW("exclusiveMinimum", exclusive_minimum),
                KW("exclusiveMaximum", exclusive_maximum),
                KW("multipleOf", multiple_of),
                KW("allOf", all_of),
                KW("anyOf", any_of),
                KW("oneOf", one_of),
                KW("not", not_),
                KW("if", if_),
                KW("then", then_),
                KW("else", else_),
                KW("writeOnly", write_only),
#undef KW
        };
        memset(k, 0, sizeof(*k));
        for (const cJSON *m = sch->child; m; m = m->next)
                for (size_t i = 0; i < ELEMENTSOF(table); i++)
                        if (m->string[0] == table[i].name[0] && strcmp(m->string, table[i].name) == 0) {
                                *(const cJSON **)((char *)k + table[i].offset) = m;
                                break;
                        }
}

static bool validate(Ctx *c, const cJSON *inst, const cJSON *sch, const char *base, StrBuf *path, VError *e);

/* An object's member by key: the first byte is compared before strcmp, which skips most of a
 * hundred-property schema cheaply. */
static const cJSON *member(const cJSON *obj, const char *key)
{
        for (const cJSON *m = obj ? obj->child : NULL; m; m = m->next)
                if (m->string && m->string[0] == key[0] && strcmp(m->string, key) == 0)
                        return m;
        return NULL;
}

/* Plain appends: this runs for every node validated, and printf-style formatting costs two passes. */
static int path_push_key(StrBuf *path, const char *key)
{
        int r = path->len ? strbuf_addch(path, '.') : 0;
        return r < 0 ? r : strbuf_addstr(path, key);
}

static bool child(Ctx *c, const cJSON *inst, const cJSON *sch, const char *base, StrBuf *path,
                  const char *key, int index, VError *e)
{
        size_t keep = path->len;
        if (key)
                path_push_key(path, key);
        else {
                char num[16];
                int n = snprintf(num, sizeof(num), "[%d]", index);
                strbuf_add(path, num, n > 0 ? (size_t)n : 0);
        }
        bool ok = validate(c, inst, sch, base, path, e);
        path->len = keep;
        if (path->buf)
                path->buf[keep] = '\0';
        return ok;
}

static bool validate_object(Ctx *c, const cJSON *inst, const Keywords *kw, const char *base, StrBuf *path,
                            VError *e)
{
        const cJSON *props = ((cJSON *)kw->properties);
        const cJSON *pprops = ((cJSON *)kw->pattern_properties);
        const cJSON *addl = ((cJSON *)kw->additional_properties);
        const cJSON *k;
        int d = (int)c->depth;

        if ((k = ((cJSON *)kw->required)))
                for (const cJSON *r = k->child; r; r = r->next)
                        if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(inst, r->valuestring)) {
                                verr(e, d, inst, false, strbuf_str(path), "missing required property \"%s\"",
                                     r->valuestring);
                                return false;
                        }
        int n = cJSON_GetArraySize(inst);
        if ((k = ((cJSON *)kw->min_properties)) && n < k->valuedouble) {
                verr(e, d, inst, false, strbuf_str(path), "must have at least %g properties",
                     k->valuedouble);
                return false;
        }
        if ((k = ((cJSON *)kw->max_properties)) && n > k->valuedouble) {
                verr(e, d, inst, false, strbuf_str(path), "must have at most %g properties", k->valuedouble);
                return false;
        }
        const cJSON *names = ((cJSON *)kw->property_names);
        const cJSON *deps = ((cJSON *)kw->dependencies);
        for (const cJSON *m = inst->child; m; m = m->next) {
                bool matched = false;
                if (names) {
                        cJSON *name = cJSON_CreateString(m->string);
                        VError tmp = { 0 };
                        bool ok = name && validate(c, name, names, base, path, &tmp);
                        cJSON_Delete(name);
                        if (!ok) {
                                verr(e, d, m, true, strbuf_str(path), "invalid property name \"%s\": %s",
                                     m->string, tmp.msg);
                                return false;
                        }
                }
                const cJSON *ps = member(props, m->string);
                if (ps) {
                        matched = true;
                        if (!child(c, m, ps, base, path, m->string, 0, e))
                                return false;
                }
                for (const cJSON *pp = pprops ? pprops->child : NULL; pp; pp = pp->next)
                        if (regex_match(c->s, pp->string, m->string) != 0) {
                                matched = true;
                                if (!child(c, m, pp, base, path, m->string, 0, e))
                                        return false;
                        }
                if (!matched && addl) {
                        if (cJSON_IsFalse(addl)) {
                                size_t keep = path->len;
                                verr(e, d + 1, m, true, strbuf_str(path),
                                     "additional property \"%s\" is not allowed", m->string);
                                (void)keep;
                                return false;
                        }
                        if (!child(c, m, addl, base, path, m->string, 0, e))
                                return false;
                }
                const cJSON *dep = deps ? cJSON_GetObjectItemCaseSensitive(deps, m->string) : NULL;
                if (cJSON_IsArray(dep)) {
                        for (const cJSON *r = dep->child; r; r = r->next)
                                if (cJSON_IsString(r) &&
                                    !cJSON_GetObjectItemCaseSensitive(inst, r->valuestring)) {
                                        verr(e, d, inst, false, strbuf_str(path),
                                             "property \"%s\" requires property \"%s\"", m->string,
                                             r->valuestring);
                                        return false;
                                }
                } else if (dep && !validate(c, inst, dep, base, path, e))
                        return false;
        }
        return true;
}

static bool validate_array(Ctx *c, const cJSON *inst, const Keywords *kw, const char *base, StrBuf *path,
                           VError *e)
{
        const cJSON *items = ((cJSON *)kw->items);
        const cJSON *k;
        int n = cJSON_GetArraySize(inst), i = 0, d = (int)c->depth;

        if ((k = ((cJSON *)kw->min_items)) && n < k->valuedouble) {
                verr(e, d, inst, false, strbuf_str(path), "must have at least %g items", k->valuedouble);
                return false;
        }
        if ((k = ((cJSON *)kw->max_items)) && n > k->valuedouble) {
                verr(e, d, inst, false, strbuf_str(path), "must have at most %g items", k->valuedouble);
                return false;
        }
        const cJSON *tuple = cJSON_IsArray(items) ? items->child : NULL;
        const cJSON *addl = ((cJSON *)kw->additional_items);
        for (const cJSON *m = inst->child; m; m = m->next, i++) {
                const cJSON *s = NULL;
                if (cJSON_IsArray(items)) {
                        if (tuple) {
                                s = tuple;
                                tuple = tuple->next;
                        } else
                                s = addl;
                } else
                        s = items;
                if (s && !child(c, m, s, base, path, NULL, i, e))
                        return false;
        }
        if (cJSON_IsTrue(((cJSON *)kw->unique_items))) {
                i = 0;
                for (const cJSON *a = inst->child; a; a = a->next, i++)
                        for (const cJSON *b = a->next; b; b = b->next)
                                if (json_equal(a, b)) {
                                        verr(e, d, b, false, strbuf_str(path),
                                             "has duplicate items (item %d repeats)", i);
                                        return false;
                                }
        }
        if ((k = ((cJSON *)kw->contains))) {
                bool found = false;
                for (const cJSON *m = inst->child; m && !found; m = m->next) {
                        VError tmp = { 0 };
                        found = validate(c, m, k, base, path, &tmp);
                }
                if (!found) {
                        verr(e, d, inst, false, strbuf_str(path), "has no item matching \"contains\"");
                        return false;
                }
        }
        return true;
}

static bool validate_scalar(Ctx *c, const cJSON *inst, const Keywords *kw, StrBuf *path, VError *e)
{
        const cJSON *k;
        int d = (int)c->depth;

        if (cJSON_IsString(inst)) {
                size_t n = utf8_len(inst->valuestring);
                if ((k = ((cJSON *)kw->min_length)) && n < k->valuedouble) {
                        verr(e, d, inst, false, strbuf_str(path), "must be at least %g characters long",
                             k->valuedouble);
                        return false;
                }
                if ((k = ((cJSON *)kw->max_length)) && n > k->valuedouble) {
                        verr(e, d, inst, false, strbuf_str(path), "must be at most %g characters long",
                             k->valuedouble);
                        return false;
                }
                if ((k = ((cJSON *)kw->pattern)) && cJSON_IsString(k) &&
                    regex_match(c->s, k->valuestring, inst->valuestring) == 0) {
                        /* A writeOnly value (a password) is never repeated back, in an error or anywhere. */
                        if (cJSON_IsTrue((const cJSON *)kw->write_only))
                                verr(e, d, inst, false, strbuf_str(path),
                                     "the value does not match the pattern \"%s\"", k->valuestring);
                        else
                                verr(e, d, inst, false, strbuf_str(path),
                                     "\"%s\" does not match the pattern \"%s\"", inst->valuestring,
                                     k->valuestring);
                        return false;
                }
        }
        if (cJSON_IsNumber(inst)) {
                double v = inst->valuedouble;
                if ((k = ((cJSON *)kw->minimum)) && v < k->valuedouble) {
                        verr(e, d, inst, false, strbuf_str(path), "must be at least %g", k->valuedouble);
                        return false;
                }
                if ((k = ((cJSON *)kw->maximum)) && v > k->valuedouble) {
                        verr(e, d, inst, false, strbuf_str(path), "must be at most %g", k->valuedouble);
                        return false;
                }
                if ((k = ((cJSON *)kw->exclusive_minimum)) && v <= k->valuedouble) {
                        verr(e, d, inst, false, strbuf_str(path), "must be greater than %g", k->valuedouble);
                        return false;
                }
                if ((k = ((cJSON *)kw->exclusive_maximum)) && v >= k->valuedouble) {
                        verr(e, d, inst, false, strbuf_str(path), "must be less than %g", k->valuedouble);
                        return false;
                }
                if ((k = ((cJSON *)kw->multiple_of)) && k->valuedouble > 0) {
                        double q = v / k->valuedouble;
                        if (!isfinite(q) || fabs(q - round(q)) > 1e-9) {
                                verr(e, d, inst, false, strbuf_str(path), "must be a multiple of %g",
                                     k->valuedouble);
                                return false;
                        }
                }
        }
        return true;
}

/* type, enum and const: what the instance is, before what it holds. */
static bool validate_literal(Ctx *c, const cJSON *inst, const Keywords *kw, int d, StrBuf *path, VError *e)
{
        const cJSON *k;
        if ((k = ((cJSON *)kw->type))) {
                bool any = false;
                if (cJSON_IsString(k))
                        any = type_matches(inst, k->valuestring);
                for (const cJSON *t = cJSON_IsArray(k) ? k->child : NULL; t && !any; t = t->next)
                        any = cJSON_IsString(t) && type_matches(inst, t->valuestring);
                if (!any) {
                        char want[128] = "";
                        size_t n = 0;
                        if (cJSON_IsString(k))
                                snprintf(want, sizeof(want), "%s", type_word(k->valuestring));
                        for (const cJSON *t = cJSON_IsArray(k) ? k->child : NULL; t; t = t->next)
                                if (cJSON_IsString(t) && n < sizeof(want))
                                        n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s",
                                                              n ? " or " : "", type_word(t->valuestring));
                        verr(e, d, inst, false, strbuf_str(path), "must be a %s, not a %s", want,
                             type_name(inst));
                        return false;
                }
        }
        if ((k = ((cJSON *)kw->enum_))) {
                bool any = false;
                for (const cJSON *v = k->child; v && !any; v = v->next)
                        any = json_equal(inst, v);
                if (!any) {
                        _cleanup_strbuf_ StrBuf list = STRBUF_INIT;
                        for (const cJSON *v = k->child; v; v = v->next) {
                                _cleanup_free_ char *p = cJSON_PrintUnformatted(v);
                                strbuf_addf(&list, "%s%s", list.len ? ", " : "", p ? p : "?");
                        }
                        verr(e, d, inst, false, strbuf_str(path), "must be one of: %s", strbuf_str(&list));
                        return false;
                }
        }
        if ((k = ((cJSON *)kw->const_)) && !json_equal(inst, k)) {
                _cleanup_free_ char *p = cJSON_PrintUnformatted(k);
                verr(e, d, inst, false, strbuf_str(path), "must be %s", p ? p : "the constant");
                return false;
        }
        return true;
}

/* anyOf and oneOf (both may be present): at least one alternative, or exactly one; when none
 * matches, the error of the alternative that got deepest, since that is the one the author meant. */
static bool validate_alternatives(Ctx *c, const cJSON *inst, const Keywords *kw, const char *base, int d,
                                  StrBuf *path, VError *e)
{
        bool ok = true, one;
        const cJSON *any_of = ((cJSON *)kw->any_of);
        const cJSON *one_of = ((cJSON *)kw->one_of);
        for (int pass = 0; pass < 2 && ok; pass++) {
                const cJSON *list = pass == 0 ? any_of : one_of;
                if (!list)
                        continue;
                one = pass == 1;
                int matches = 0;
                VError best = { 0 };
                for (const cJSON *s = list->child; s; s = s->next) {
                        VError tmp = { 0 };
                        if (validate(c, inst, s, base, path, &tmp))
                                matches++;
                        else if (!best.set || tmp.depth > best.depth)
                                best = tmp;
                }
                if (matches == 0) {
                        if (best.set && best.depth > d + 1)
                                *e = best.depth >= e->depth || !e->set ? best : *e;
                        else
                                verr(e, d, inst, false, strbuf_str(path), "%s",
                                     best.set ? best.msg : "matches no alternative");
                        ok = false;
                } else if (one && matches > 1) {
                        verr(e, d, inst, false, strbuf_str(path),
                             "matches more than one alternative of \"oneOf\"");
                        ok = false;
                }
        }
        return ok;
}

static bool validate(Ctx *c, const cJSON *inst, const cJSON *sch, const char *base, StrBuf *path, VError *e)
{
        const cJSON *k;
        _cleanup_free_ char *own_base = NULL;
        bool ok = true;
        int d;

        if (cJSON_IsTrue(sch))
                return true;
        if (cJSON_IsFalse(sch)) {
                verr(e, (int)c->depth, inst, true, strbuf_str(path), "is not allowed here");
                return false;
        }
        if (!cJSON_IsObject(sch))
                return true;
        if (c->depth >= SCHEMA_MAX_DEPTH) {
                verr(e, (int)c->depth, inst, false, strbuf_str(path), "schema recursion too deep");
                return false;
        }
        c->depth++;
        d = (int)c->depth;
        Keywords kws;
        const Keywords *kw = &kws;
        keywords_collect(sch, &kws);

        if ((k = ((cJSON *)kw->ref)) && cJSON_IsString(k)) {
                _cleanup_free_ char *target_base = NULL;
                const cJSON *target = ref_resolve(c->s, base, k->valuestring, &target_base);
                if (!target) {
                        verr(e, d, inst, false, strbuf_str(path),
                             "schema reference \"%s\" cannot be resolved", k->valuestring);
                        ok = false;
                } else
                        ok = validate(c, inst, target, target_base, path, e);
                c->depth--;
                return ok; /* draft-07: siblings of $ref are ignored */
        }
        if ((k = ((cJSON *)kw->id)) && cJSON_IsString(k) && k->valuestring[0] != '#') {
                /* The index resolved every $id once; reuse that so a $ref target is not rebased twice. */
                const char *known = res_uri_of(c->s, sch);
                if (known)
                        base = known;
                else if ((own_base = uri_resolve(base, k->valuestring)))
                        base = own_base;
        }

        if (!validate_literal(c, inst, kw, d, path, e)) {
                ok = false;
                goto done;
        }
        if (!validate_scalar(c, inst, kw, path, e) ||
            (cJSON_IsObject(inst) && !validate_object(c, inst, kw, base, path, e)) ||
            (cJSON_IsArray(inst) && !validate_array(c, inst, kw, base, path, e))) {
                ok = false;
                goto done;
        }
        if ((k = ((cJSON *)kw->all_of)))
                for (const cJSON *s = k->child; s && ok; s = s->next)
                        ok = validate(c, inst, s, base, path, e);
        if (!ok)
                goto done;
        if (!validate_alternatives(c, inst, kw, base, d, path, e)) {
                ok = false;
                goto done;
        }
        if ((k = ((cJSON *)kw->not_))) {
                VError tmp = { 0 };
                if (validate(c, inst, k, base, path, &tmp)) {
                        verr(e, d, inst, false, strbuf_str(path), "matches a schema it must not match");
                        ok = false;
                        goto done;
                }
        }
        if ((k = ((cJSON *)kw->if_))) {
                VError tmp = { 0 };
                const cJSON *branch =
                        validate(c, inst, k, base, path, &tmp) ? ((cJSON *)kw->then_) : ((cJSON *)kw->else_);
                if (branch && !validate(c, inst, branch, base, path, e))
                        ok = false;
        }
done:
        c->depth--;
        return ok;
}

int schema_validate(const Schema *s, const cJSON *instance, const SrcMap *map, BerthError *err)
{
        Ctx c = { .s = s };
        VError e = { 0 };
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;

        if (validate(&c, instance, s->docs[0], "", &path, &e))
                return 0;
        const SrcPos *pos = NULL;
        if (e.at_key)
                pos = srcmap_get(map, SRCMAP_KEY(e.node));
        if (!pos)
                pos = srcmap_get(map, e.node);
        return error_set(err, -EINVAL, pos ? pos->file : NULL, pos ? pos->line : 0, pos ? pos->col : 0,
                         e.path, "%s", e.msg);
}
