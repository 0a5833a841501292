/* sops-store.c: the five formats of SOPS documents, read into trees and written back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../yaml/yaml.h"
#include "../yaml/emit.h"
#include "../util/cleanup.h"
#include "sops-store.h"
#include "../util/json.h"

#define META_KEY    "sops"
#define META_PREFIX "sops_"
#define MAP_SEP     "__map_"
#define LIST_SEP    "__list_"
#define INDEX_MAX   4096

static cJSON *comment_new(const char *text, size_t len)
{
        _cleanup_free_ char *s = strndup(text, len);
        cJSON *c = s ? cJSON_CreateString(s) : NULL;
        if (c)
                c->type |= SOPS_COMMENT;
        return c;
}

/* ---- dotenv, as sops reads it: lines split at "\n", "#" comments, KEY=VALUE with "\n" escaped ---- */

static int dotenv_load(const char *data, size_t len, const char *file, cJSON **ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *tree = cJSON_CreateObject();
        unsigned line = 0;

        if (!tree)
                return -ENOMEM;
        for (const char *p = data, *end = data + len; p < end; p++) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                line++;
                if (e == p) {
                        if (!nl)
                                break;
                        continue;
                }
                if (memchr(p, '\0', (size_t)(e - p)))
                        return error_set(err, -EINVAL, file, line, 0, NULL, "a line holds a NUL byte");
                if (*p == '#') {
                        cJSON *c = comment_new(p + 1, (size_t)(e - p - 1));
                        if (!c)
                                return -ENOMEM;
                        cJSON_AddItemToArray(tree, c);
                } else {
                        const char *eq = memchr(p, '=', (size_t)(e - p));
                        if (!eq)
                                /* The line is not shown: it may be a secret. */
                                return error_set(err, -EINVAL, file, line, 1, NULL,
                                                 "a line of this dotenv file has no \"=\"");
                        _cleanup_free_ char *key = strndup(p, (size_t)(eq - p));
                        StrBuf v = STRBUF_INIT;
                        for (const char *q = eq + 1; q < e; q++) {
                                int r = (q + 1 < e && q[0] == '\\' && q[1] == 'n') ? strbuf_addch(&v, '\n')
                                                                                   : strbuf_addch(&v, *q);
                                if (r < 0) {
                                        strbuf_done(&v);
                                        return r;
                                }
                                if (q[0] == '\\' && q + 1 < e && q[1] == 'n')
                                        q++;
                        }
                        cJSON *s = key ? cJSON_CreateString(strbuf_str(&v)) : NULL;
                        strbuf_done(&v);
                        if (!s)
                                return -ENOMEM;
                        cJSON_AddItemToObject(tree, key, s);
                }
                if (!nl)
                        break;
                p = nl;
        }
        *ret = TAKE_PTR(tree);
        return 0;
}

static void value_text(const cJSON *n, char *buf, size_t size, const char **ret)
{
        if (cJSON_IsString(n))
                *ret = n->valuestring;
        else if (cJSON_IsBool(n))
                *ret = cJSON_IsTrue(n) ? "true" : "false";
        else if (cJSON_IsNumber(n) && n->valuestring)
                *ret = n->valuestring;
        else if (cJSON_IsNumber(n)) {
                snprintf(buf, size, "%.17g", n->valuedouble);
                *ret = buf;
        } else
                *ret = "";
}

static int dotenv_emit_item(StrBuf *out, const char *key, const cJSON *n)
{
        char buf[64];
        const char *v;
        int r = 0;

        if (sops_is_comment(n))
                return strbuf_addf(out, "#%s\n", n->valuestring);
        if (cJSON_IsObject(n) || cJSON_IsArray(n))
                return -EINVAL;
        value_text(n, buf, sizeof(buf), &v);
        r = strbuf_addf(out, "%s=", key);
        for (const char *p = v; *p && r >= 0; p++)
                r = *p == '\n' ? strbuf_add(out, "\\n", 2) : strbuf_addch(out, *p);
        return r < 0 ? r : strbuf_addch(out, '\n');
}

/* ---- INI, as go-ini reads it for sops: [sections], key = value (or key: value), ; and # comments ---- */

static const char *trim(const char *p, const char *e, const char **ret_end)
{
        while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
                p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
        *ret_end = e;
        return p;
}

static int ini_load(const char *data, size_t len, const char *file, cJSON **ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *tree = cJSON_CreateObject();
        cJSON *section = tree ? cJSON_AddObjectToObject(tree, "DEFAULT") : NULL;
        unsigned line = 0;

        if (!section)
                return -ENOMEM;
        for (const char *p = data, *end = data + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *le = nl ? nl : end, *e;
                const char *s = trim(p, le, &e);
                line++;
                p = nl ? nl + 1 : end;
                if (s == e)
                        continue;
                if (memchr(s, '\0', (size_t)(e - s)))
                        return error_set(err, -EINVAL, file, line, 0, NULL, "a line holds a NUL byte");
                if (*s == ';' || *s == '#') {
                        while (s < e && (*s == ';' || *s == '#' || *s == ' '))
                                s++;
                        cJSON *c = comment_new(s, (size_t)(e - s));
                        if (!c)
                                return -ENOMEM;
                        cJSON_AddItemToArray(section, c);
                        continue;
                }
                if (*s == '[') {
                        const char *close = memchr(s, ']', (size_t)(e - s));
                        if (!close)
                                return error_set(err, -EINVAL, file, line, 1, NULL,
                                                 "a section header has no \"]\"");
                        const char *ne;
                        const char *ns = trim(s + 1, close, &ne);
                        _cleanup_free_ char *name = strndup(ns, (size_t)(ne - ns));
                        if (!name)
                                return -ENOMEM;
                        if (strcmp(name, "DEFAULT") == 0)
                                section = cJSON_GetObjectItemCaseSensitive(tree, "DEFAULT");
                        else if (!(section = cJSON_CreateObject()))
                                return -ENOMEM;
                        else
                                cJSON_AddItemToObject(tree, name, section);
                        continue;
                }
                const char *d = s;
                while (d < e && *d != '=' && *d != ':')
                        d++;
                if (d == e)
                        return error_set(
                                err, -EINVAL, file, line, 1, NULL,
                                "a line of this INI file is neither a section, a key nor a comment");
                const char *ke, *ve;
                const char *ks = trim(s, d, &ke);
                const char *vs = trim(d + 1, e, &ve);
                if (ve - vs >= 2 && (*vs == '"' || *vs == '`') && ve[-1] == *vs) {
                        vs++;
                        ve--;
                } else {
                        /* An inline comment starts at " ;" or " #" in an unquoted value. */
                        for (const char *q = vs; q + 1 < ve; q++)
                                if ((q[0] == ' ' || q[0] == '\t') && (q[1] == ';' || q[1] == '#')) {
                                        vs = trim(vs, q, &ve);
                                        break;
                                }
                }
                _cleanup_free_ char *key = strndup(ks, (size_t)(ke - ks));
                _cleanup_free_ char *val = strndup(vs, (size_t)(ve - vs));
                if (!key || !val || !cJSON_AddStringToObject(section, key, val))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(tree);
        return 0;
}

static int ini_emit(const cJSON *tree, StrBuf *out)
{
        char buf[64];
        const char *v;
        int r = 0;
        bool first = true;

        for (const cJSON *sec = tree->child; sec && r >= 0; sec = sec->next) {
                if (!cJSON_IsObject(sec))
                        return -EINVAL;
                bool deflt = strcmp(sec->string, "DEFAULT") == 0;
                if (deflt && !sec->child)
                        continue;
                if (!first)
                        r = strbuf_addch(out, '\n');
                first = false;
                if (!deflt && r >= 0)
                        r = strbuf_addf(out, "[%s]\n", sec->string);
                for (const cJSON *k = sec->child; k && r >= 0; k = k->next) {
                        if (sops_is_comment(k)) {
                                r = strbuf_addf(out, "; %s\n", k->valuestring);
                                continue;
                        }
                        if (cJSON_IsObject(k) || cJSON_IsArray(k))
                                return -EINVAL;
                        value_text(k, buf, sizeof(buf), &v);
                        r = strbuf_addf(out, "%s = %s\n", k->string, v);
                }
        }
        return r;
}

/* ---- flattened metadata: age__list_0__map_enc ---- */

typedef struct Token {
        char *name; /* a member's name, or NULL for an element */
        long index;
} Token;

/* Splits "age__list_0__map_enc" into its steps: member "age", element 0, member "enc". */
static int tokenize(const char *key, Token *toks, size_t max, size_t *ret_n)
{
        size_t n = 0;
        const char *p = key;
        bool list = false;

        while (n < max) {
                const char *m = strstr(p, MAP_SEP), *l = strstr(p, LIST_SEP);
                const char *next = m && (!l || m < l) ? m : l;
                if (list) {
                        char *endp;
                        long i = strtol(p, &endp, 10);
                        if (endp == p || i < 0 || i > INDEX_MAX || (endp != next && *endp))
                                return -EINVAL;
                        toks[n++] = (Token){ .name = NULL, .index = i };
                } else {
                        size_t len = next ? (size_t)(next - p) : strlen(p);
                        if (!(toks[n].name = strndup(p, len)))
                                return -ENOMEM;
                        toks[n++].index = -1;
                }
                if (!next) {
                        *ret_n = n;
                        return 0;
                }
                list = next == l;
                p = next + (list ? strlen(LIST_SEP) : strlen(MAP_SEP));
        }
        return -E2BIG;
}

static cJSON *step(cJSON *cur, const Token *t)
{
        if (!t->name) {
                while (cJSON_GetArraySize(cur) <= t->index)
                        if (!json_append(cur, cJSON_CreateNull()))
                                return NULL;
                return cJSON_GetArrayItem(cur, (int)t->index);
        }
        return cJSON_GetObjectItemCaseSensitive(cur, t->name);
}

static bool put(cJSON *cur, const Token *t, cJSON *value)
{
        cJSON *old = step(cur, t);
        if (old) {
                free(value->string);
                value->string = NULL;
                if (old->string && !(value->string = strdup(old->string)))
                        return false;
                return cJSON_ReplaceItemViaPointer(cur, old, value);
        }
        return t->name && cJSON_AddItemToObject(cur, t->name, value);
}

/* Places value at the path that key spells under root (takes value, also on failure). */
static int unflatten_one(cJSON *root, const char *key, cJSON *value)
{
        Token toks[16] = { 0 };
        size_t n = 0;
        cJSON *cur = root;
        int r = tokenize(key, toks, ELEMENTSOF(toks), &n);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                if ((toks[i].name != NULL) != cJSON_IsObject(cur)) {
                        r = -EINVAL;
                        break;
                }
                if (i == n - 1) {
                        r = put(cur, &toks[i], value) ? 0 : -ENOMEM;
                        value = r >= 0 ? NULL : value;
                        break;
                }
                bool want_array = toks[i + 1].name == NULL;
                cJSON *child = step(cur, &toks[i]);
                if (!child || (want_array ? !cJSON_IsArray(child) : !cJSON_IsObject(child))) {
                        cJSON *fresh = want_array ? cJSON_CreateArray() : cJSON_CreateObject();
                        if (!fresh || !put(cur, &toks[i], fresh)) {
                                cJSON_Delete(fresh);
                                r = -ENOMEM;
                                break;
                        }
                        child = fresh;
                }
                cur = child;
        }
        for (size_t i = 0; i < ELEMENTSOF(toks); i++)
                free(toks[i].name);
        cJSON_Delete(value);
        return r;
}

/* Flat members (their keys already without "sops_") to the nested metadata; newlines written "\n"
 * are unescaped where the format asks for it (INI). */
static cJSON *unflatten(cJSON *flat, bool unescape)
{
        _cleanup_cjson_ cJSON *meta = cJSON_CreateObject();
        if (!meta)
                return NULL;
        for (cJSON *m = flat->child; m; m = m->next) {
                if (sops_is_comment(m) || !m->string)
                        continue;
                cJSON *v = cJSON_Duplicate(m, 1);
                if (!v)
                        return NULL;
                v->type &= ~SOPS_COMMENT;
                if (unescape && cJSON_IsString(v) && strstr(v->valuestring, "\\n")) {
                        StrBuf sb = STRBUF_INIT;
                        for (const char *p = v->valuestring; *p; p++) {
                                if (p[0] == '\\' && p[1] == 'n') {
                                        strbuf_addch(&sb, '\n');
                                        p++;
                                } else
                                        strbuf_addch(&sb, *p);
                        }
                        cJSON_SetValuestring(v, strbuf_str(&sb));
                        strbuf_done(&sb);
                }
                if (unflatten_one(meta, m->string, v) < 0)
                        return NULL;
        }
        return TAKE_PTR(meta);
}

static int flatten(const cJSON *n, const char *prefix, bool escape, cJSON *out)
{
        char key[512];
        int i = 0;

        for (const cJSON *c = n->child; c; c = c->next, i++) {
                if (cJSON_IsArray(n))
                        snprintf(key, sizeof(key), "%s" LIST_SEP "%d", prefix, i);
                else if (*prefix)
                        snprintf(key, sizeof(key), "%s" MAP_SEP "%s", prefix, c->string);
                else
                        snprintf(key, sizeof(key), "%s", c->string);
                if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
                        int r = flatten(c, key, escape, out);
                        if (r < 0)
                                return r;
                        continue;
                }
                cJSON *v = cJSON_Duplicate(c, 0);
                if (!v)
                        return -ENOMEM;
                if (escape && cJSON_IsString(v) && strchr(v->valuestring, '\n')) {
                        StrBuf sb = STRBUF_INIT;
                        for (const char *p = v->valuestring; *p; p++)
                                if (*p == '\n')
                                        strbuf_add(&sb, "\\n", 2);
                                else
                                        strbuf_addch(&sb, *p);
                        cJSON_SetValuestring(v, strbuf_str(&sb));
                        strbuf_done(&sb);
                }
                cJSON_AddItemToObject(out, key, v);
        }
        return 0;
}

/* ---- the formats ---- */

static int json_load(const char *data, size_t len, const char *file, cJSON **ret, BerthError *err)
{
        const char *end = NULL;
        cJSON *tree = cJSON_ParseWithLengthOpts(data, len, &end, false);
        if (!tree) {
                size_t at = end && end >= data ? (size_t)(end - data) : 0;
                unsigned line = 1, col = 1;
                for (size_t i = 0; i < at && i < len; i++, col++)
                        if (data[i] == '\n') {
                                line++;
                                col = 0;
                        }
                return error_set(err, -EINVAL, file, line, col, NULL, "invalid JSON");
        }
        if (!cJSON_IsObject(tree)) {
                cJSON_Delete(tree);
                return error_set(err, -EINVAL, file, 1, 1, NULL, "the document is not an object");
        }
        *ret = tree;
        return 0;
}

int sops_store_load(SopsFormat f, const char *data, size_t len, const char *file, cJSON **ret,
                    BerthError *err)
{
        switch (f) {
        case SOPS_YAML: {
                _cleanup_(srcmap_freep) SrcMap *map = srcmap_new();
                cJSON *tree = NULL;
                if (!map)
                        return -ENOMEM;
                int r = yaml_load(data, len, file, NULL, map, &tree, err);
                if (r < 0)
                        return r;
                if (cJSON_IsNull(tree)) {
                        cJSON_Delete(tree);
                        tree = cJSON_CreateObject();
                } else if (!cJSON_IsObject(tree)) {
                        cJSON_Delete(tree);
                        return error_set(err, -EINVAL, file, 1, 1, NULL,
                                         "the document is not a mapping (sops reads only mappings)");
                }
                *ret = tree;
                return tree ? 0 : -ENOMEM;
        }
        case SOPS_JSON:
        case SOPS_BINARY:
                return json_load(data, len, file, ret, err);
        case SOPS_DOTENV:
                return dotenv_load(data, len, file, ret, err);
        case SOPS_INI:
                return ini_load(data, len, file, ret, err);
        }
        return -EINVAL;
}

cJSON *sops_store_take_metadata(SopsFormat f, cJSON *tree)
{
        if (f == SOPS_DOTENV) {
                _cleanup_cjson_ cJSON *flat = cJSON_CreateObject();
                if (!flat)
                        return NULL;
                for (cJSON *m = tree->child, *next; m; m = next) {
                        next = m->next;
                        if (!sops_is_comment(m) && m->string && strncmp(m->string, META_PREFIX, 5) == 0) {
                                cJSON_DetachItemViaPointer(tree, m);
                                char *k = strdup(m->string + 5);
                                if (!k) {
                                        cJSON_Delete(m);
                                        return NULL;
                                }
                                free(m->string);
                                m->string = k;
                                cJSON_AddItemToArray(flat, m);
                                m->string = k;
                        }
                }
                return flat->child ? unflatten(flat, false) : NULL;
        }
        if (f == SOPS_INI) {
                _cleanup_cjson_ cJSON *sec = cJSON_DetachItemFromObjectCaseSensitive(tree, META_KEY);
                return cJSON_IsObject(sec) ? unflatten(sec, true) : NULL;
        }
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(tree, META_KEY);
        if (!cJSON_IsObject(meta))
                return NULL;
        return cJSON_DetachItemViaPointer(tree, meta);
}

int sops_store_emit(SopsFormat f, const cJSON *tree, const cJSON *meta, StrBuf *out)
{
        _cleanup_cjson_ cJSON *all = NULL;
        int r;

        switch (f) {
        case SOPS_YAML:
        case SOPS_JSON:
        case SOPS_BINARY:
                if (!meta)
                        return f == SOPS_YAML ? emit_yaml(tree, 0, out) : emit_json(tree, 0, out);
                if (!(all = cJSON_Duplicate(tree, 1)))
                        return -ENOMEM;
                json_set(all, META_KEY, cJSON_Duplicate(meta, 1));
                return f == SOPS_YAML ? emit_yaml(all, EMIT_LITERAL_BLOCKS, out) : emit_json(all, 0, out);
        case SOPS_DOTENV:
                for (const cJSON *m = tree->child; m; m = m->next)
                        if ((r = dotenv_emit_item(out, m->string, m)) < 0)
                                return r;
                if (meta) {
                        _cleanup_cjson_ cJSON *flat = cJSON_CreateObject();
                        if (!flat || (r = flatten(meta, "", false, flat)) < 0)
                                return flat ? r : -ENOMEM;
                        for (const cJSON *m = flat->child; m; m = m->next) {
                                char key[600];
                                snprintf(key, sizeof(key), META_PREFIX "%s", m->string);
                                if ((r = dotenv_emit_item(out, key, m)) < 0)
                                        return r;
                        }
                }
                return 0;
        case SOPS_INI:
                if (!meta)
                        return ini_emit(tree, out);
                if (!(all = cJSON_Duplicate(tree, 1)))
                        return -ENOMEM;
                cJSON *sec = cJSON_AddObjectToObject(all, META_KEY);
                if (!sec || (r = flatten(meta, "", true, sec)) < 0)
                        return sec ? r : -ENOMEM;
                return ini_emit(all, out);
        }
        return -EINVAL;
}
