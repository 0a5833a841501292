/* yaml.c: libyaml events to a cJSON tree with positions. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../util/fileio.h"
#include "../util/strbuf.h"
#include "yaml.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yaml_parser_t *, yaml_parser_delete)

typedef struct Anchor {
        char *name;
        cJSON *node; /* owned only for scalars, which may be freed as mapping keys */
        size_t size; /* nodes in the subtree */
        bool owned;
} Anchor;

/* Large mappings (services: 500 entries) index their keys, so duplicate checks stay O(1). */
typedef struct KeyIndex {
        cJSON **slots; /* open addressing on the key's hash; size is a power of two */
        size_t size, used;
} KeyIndex;

typedef struct Frame {
        KeyIndex index;
        cJSON *node;
        SrcPos pos;
        char *anchor;
        char *key; /* mapping: the key waiting for its value */
        size_t members;
        SrcPos key_pos;
        bool key_is_merge;
        cJSON *merges; /* mapping: sources of "<<", in order */
} Frame;

typedef struct Loader {
        const char *file;
        const char *buf;
        size_t len;
        const YamlLimits *lim;
        SrcMap *map;
        BerthError *err;
        Frame *stack;
        size_t depth;
        Anchor *anchors;
        cJSON *retired; /* "<<" sources, kept alive for the anchors that point into them */
        size_t n_anchors;
        size_t nodes;
        size_t alias_nodes;
        cJSON *root;
        bool have_root;
} Loader;

#define fail(l, r, pos, ...) error_set((l)->err, r, (l)->file, (pos)->line, (pos)->col, NULL, __VA_ARGS__)

static size_t key_hash(const char *s)
{
        size_t h = 5381;
        while (*s)
                h = h * 33 + (unsigned char)*s++;
        return h;
}

static cJSON *index_find(const KeyIndex *x, const char *key)
{
        for (size_t i = key_hash(key) & (x->size - 1); x->slots[i]; i = (i + 1) & (x->size - 1))
                if (strcmp(x->slots[i]->string, key) == 0)
                        return x->slots[i];
        return NULL;
}

static int index_add(KeyIndex *x, cJSON *node)
{
        if ((x->used + 1) * 2 > x->size) {
                KeyIndex n = { .size = x->size ? x->size * 2 : 64 };
                if (!(n.slots = calloc(n.size, sizeof(cJSON *))))
                        return -ENOMEM;
                for (size_t i = 0; i < x->size; i++)
                        if (x->slots[i] && index_add(&n, x->slots[i]) < 0) {
                                free(n.slots);
                                return -ENOMEM;
                        }
                free(x->slots);
                *x = n;
        }
        size_t i = key_hash(node->string) & (x->size - 1);
        while (x->slots[i])
                i = (i + 1) & (x->size - 1);
        x->slots[i] = node;
        x->used++;
        return 0;
}

/* The member of f's mapping with that key, or NULL. Small mappings are scanned; large ones indexed. */
static cJSON *frame_member(Frame *f, const char *key)
{
        if (f->index.size)
                return index_find(&f->index, key);
        return cJSON_GetObjectItemCaseSensitive(f->node, key);
}

static SrcPos pos_of(Loader *l, const yaml_event_t *ev, uint32_t tags)
{
        return (SrcPos){ .file = l->file,
                         .line = (uint32_t)ev->start_mark.line + 1,
                         .col = (uint32_t)ev->start_mark.column + 1,
                         .tags = tags };
}

static uint32_t tags_of(const yaml_char_t *tag)
{
        if (!tag)
                return 0;
        if (strcmp((const char *)tag, "!reset") == 0)
                return SRC_TAG_RESET;
        if (strcmp((const char *)tag, "!override") == 0)
                return SRC_TAG_OVERRIDE;
        return 0;
}

static bool is_int(const char *s)
{
        if (*s == '-' || *s == '+')
                s++;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
                const char *digits = s[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567";
                s += 2;
                return *s && strspn(s, digits) == strlen(s);
        }
        return *s && strspn(s, "0123456789") == strlen(s);
}

static bool is_float(const char *s)
{
        const char *p = s;
        bool digits = false;

        if (*p == '-' || *p == '+')
                p++;
        if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0)
                return true;
        if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
                return true;
        while (*p >= '0' && *p <= '9') {
                p++;
                digits = true;
        }
        if (*p == '.') {
                p++;
                while (*p >= '0' && *p <= '9') {
                        p++;
                        digits = true;
                }
        }
        if (!digits)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '-' || *p == '+')
                        p++;
                if (!(*p >= '0' && *p <= '9'))
                        return false;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        return *p == '\0';
}

static double parse_number(const char *s)
{
        const char *p = s;
        double sign = 1;

        if (*p == '-' || *p == '+')
                sign = *p++ == '-' ? -1 : 1;
        if (p[0] == '0' && p[1] == 'x')
                return sign * (double)strtoull(p + 2, NULL, 16);
        if (p[0] == '0' && p[1] == 'o')
                return sign * (double)strtoull(p + 2, NULL, 8);
        /* 0440 is octal to both peers (PyYAML's YAML 1.1, and Go's yaml.v3, which parses integers with
         * base 0): file modes are written so. */
        if (p[0] == '0' && p[1] && strspn(p + 1, "01234567") == strlen(p + 1))
                return sign * (double)strtoull(p + 1, NULL, 8);
        if (strcasecmp(p, ".inf") == 0)
                return sign * INFINITY;
        if (strcasecmp(p, ".nan") == 0)
                return NAN;
        return strtod(s, NULL);
}

/* Resolves a scalar by YAML 1.2 core schema rules; quoted or !!str-tagged scalars stay strings. */
static cJSON *scalar_new(const yaml_event_t *ev)
{
        const char *v = (const char *)ev->data.scalar.value;
        const char *tag = (const char *)ev->data.scalar.tag;
        bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        cJSON *n;

        if (tag && strcmp(tag, YAML_STR_TAG) == 0)
                plain = false;
        if (tag && strcmp(tag, YAML_NULL_TAG) == 0)
                return cJSON_CreateNull();
        if (!plain)
                return cJSON_CreateString(v);
        if (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
            strcmp(v, "NULL") == 0)
                return cJSON_CreateNull();
        if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0)
                return cJSON_CreateTrue();
        if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0)
                return cJSON_CreateFalse();
        if (is_int(v) || is_float(v)) {
                n = cJSON_CreateNumber(parse_number(v));
                /* Keep the source text: "1.10" and "010" must print as written. */
                if (n && !(n->valuestring = strdup(v))) {
                        cJSON_Delete(n);
                        return NULL;
                }
                return n;
        }
        return cJSON_CreateString(v);
}

static size_t tree_size(const cJSON *n)
{
        size_t s = 1;
        for (const cJSON *c = n->child; c; c = c->next)
                s += tree_size(c);
        return s;
}

/* A mapping key as text: scalars only, numbers by their source text. */
static int key_text(Loader *l, const cJSON *n, const SrcPos *pos, char **ret)
{
        const char *s;

        if (cJSON_IsString(n))
                s = n->valuestring;
        else if (cJSON_IsNumber(n) && n->valuestring)
                s = n->valuestring;
        else if (cJSON_IsTrue(n))
                s = "true";
        else if (cJSON_IsFalse(n))
                s = "false";
        else if (cJSON_IsNull(n))
                s = "null";
        else
                return fail(l, -EINVAL, pos, "mapping keys must be scalars");
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* Hands node (owned) to the frame on top of the stack, or makes it the root. */
static int add_node(Loader *l, cJSON *node, const SrcPos *pos)
{
        _cleanup_cjson_ cJSON *owned = node;
        Frame *f;
        int r;

        if (l->depth == 0) {
                l->root = TAKE_PTR(owned);
                l->have_root = true;
                return 0;
        }
        f = &l->stack[l->depth - 1];
        if (cJSON_IsArray(f->node)) {
                cJSON_AddItemToArray(f->node, TAKE_PTR(owned));
                return 0;
        }
        if (!f->key) {
                r = key_text(l, node, pos, &f->key);
                if (r < 0)
                        return r;
                f->key_pos = *pos;
                f->key_is_merge =
                        strcmp(f->key, "<<") == 0 && cJSON_IsString(node) &&
                        !(srcmap_get(l->map, node) && (srcmap_get(l->map, node)->tags & SRC_TAG_QUOTED));
                cJSON *dup = f->key_is_merge ? NULL : frame_member(f, f->key);
                if (dup) {
                        const SrcPos *first = srcmap_get(l->map, dup);
                        r = fail(l, -EINVAL, pos, "duplicate key \"%s\"", f->key);
                        if (first)
                                error_hint(l->err, "first defined at line %u, column %u", first->line,
                                           first->col);
                        return r;
                }
                return 0;
        }
        _cleanup_free_ char *key = TAKE_PTR(f->key);
        if (f->key_is_merge) {
                if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
                        return fail(l, -EINVAL, pos,
                                    "merge key \"<<\" needs a mapping or a list of mappings");
                if (cJSON_IsArray(node))
                        for (cJSON *c = node->child; c; c = c->next)
                                if (!cJSON_IsObject(c))
                                        return fail(
                                                l, -EINVAL, pos,
                                                "merge key \"<<\" needs a mapping or a list of mappings");
                if (!f->merges && !(f->merges = cJSON_CreateArray()))
                        return -ENOMEM;
                cJSON_AddItemToArray(f->merges, TAKE_PTR(owned));
                return 0;
        }
        if (!cJSON_AddItemToObject(f->node, key, node))
                return -ENOMEM;
        TAKE_PTR(owned);
        f->members++;
        if (f->members == 32) {
                /* Past a few dozen keys, index them all; from then on each new one too. */
                for (cJSON *c = f->node->child; c; c = c->next)
                        if (index_add(&f->index, c) < 0)
                                return -ENOMEM;
        } else if (f->members > 32 && index_add(&f->index, node) < 0)
                return -ENOMEM;
        return srcmap_put(l->map, SRCMAP_KEY(node), &f->key_pos);
}

/* Copies src's members that dst lacks. src stays whole: it may carry an anchor that a later alias
 * copies again. */
static int merge_one(Loader *l, cJSON *dst, const cJSON *src)
{
        for (const cJSON *c = src->child; c; c = c->next) {
                if (cJSON_GetObjectItemCaseSensitive(dst, c->string))
                        continue;
                cJSON *copy = srcmap_duplicate(l->map, c);
                if (!copy || !cJSON_AddItemToObject(dst, c->string, copy)) {
                        cJSON_Delete(copy);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* Applies "<<" at the end of a mapping: explicit keys win, then earlier sources over later ones. The
 * sources are kept until the load ends, since an anchor may point into them. */
static int apply_merges(Loader *l, Frame *f)
{
        int r = 0;
        if (!f->merges)
                return 0;
        for (cJSON *m = f->merges->child; m && r >= 0; m = m->next) {
                if (cJSON_IsObject(m))
                        r = merge_one(l, f->node, m);
                else
                        for (cJSON *c = m->child; c && r >= 0; c = c->next)
                                r = merge_one(l, f->node, c);
        }
        if (!l->retired && !(l->retired = cJSON_CreateArray())) {
                cJSON_Delete(f->merges);
                f->merges = NULL;
                return -ENOMEM;
        }
        cJSON_AddItemToArray(l->retired, f->merges);
        f->merges = NULL;
        return r;
}

static int register_anchor(Loader *l, char *name, cJSON *node, bool owned)
{
        Anchor *a;
        /* A redefined anchor shadows the earlier one, as YAML says. */
        a = realloc(l->anchors, (l->n_anchors + 1) * sizeof(Anchor));
        if (!a) {
                free(name);
                if (owned)
                        cJSON_Delete(node);
                return -ENOMEM;
        }
        l->anchors = a;
        l->anchors[l->n_anchors++] =
                (Anchor){ .name = name, .node = node, .size = tree_size(node), .owned = owned };
        return 0;
}

static int count_node(Loader *l, const SrcPos *pos)
{
        if (++l->nodes > l->lim->max_nodes)
                return fail(l, -E2BIG, pos, "document too large: more than %zu nodes", l->lim->max_nodes);
        return 0;
}

static int push(Loader *l, cJSON *node, const SrcPos *pos, const yaml_char_t *anchor)
{
        _cleanup_cjson_ cJSON *owned = node;
        if (!node)
                return -ENOMEM;
        if (l->depth >= l->lim->max_depth)
                return fail(l, -E2BIG, pos, "nesting too deep: more than %zu levels", l->lim->max_depth);
        Frame *f = &l->stack[l->depth];
        *f = (Frame){ .node = TAKE_PTR(owned), .pos = *pos };
        if (anchor && !(f->anchor = strdup((const char *)anchor))) {
                cJSON_Delete(f->node);
                return -ENOMEM;
        }
        l->depth++;
        return srcmap_put(l->map, node, pos);
}

static int pop(Loader *l)
{
        Frame f = l->stack[--l->depth];
        int r;

        free(f.key);
        free(f.index.slots);
        if ((r = apply_merges(l, &f)) < 0) {
                free(f.anchor);
                cJSON_Delete(f.node);
                return r;
        }
        if (f.anchor) {
                r = register_anchor(l, f.anchor, f.node, false);
                if (r < 0) {
                        cJSON_Delete(f.node);
                        return r;
                }
        }
        return add_node(l, f.node, &f.pos);
}

static int on_event(Loader *l, yaml_event_t *ev)
{
        SrcPos pos;
        cJSON *n;
        int r;

        switch (ev->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (l->have_root) {
                        pos = pos_of(l, ev, 0);
                        return fail(l, -EINVAL, &pos, "more than one YAML document in the file");
                }
                return 0;
        case YAML_SCALAR_EVENT: {
                uint32_t tags = tags_of(ev->data.scalar.tag);
                if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                        tags |= SRC_TAG_QUOTED;
                pos = pos_of(l, ev, tags);
                r = count_node(l, &pos);
                if (r < 0)
                        return r;
                n = scalar_new(ev);
                if (!n)
                        return -ENOMEM;
                r = srcmap_put(l->map, n, &pos);
                if (r < 0) {
                        cJSON_Delete(n);
                        return r;
                }
                if (ev->data.scalar.anchor) {
                        char *a = strdup((const char *)ev->data.scalar.anchor);
                        cJSON *copy = srcmap_duplicate(l->map, n);
                        if (!a || !copy || register_anchor(l, a, copy, true) < 0) {
                                free(a);
                                cJSON_Delete(copy);
                                cJSON_Delete(n);
                                return -ENOMEM;
                        }
                }
                return add_node(l, n, &pos);
        }
        case YAML_SEQUENCE_START_EVENT:
                pos = pos_of(l, ev, tags_of(ev->data.sequence_start.tag));
                r = count_node(l, &pos);
                if (r < 0)
                        return r;
                return push(l, cJSON_CreateArray(), &pos, ev->data.sequence_start.anchor);
        case YAML_MAPPING_START_EVENT:
                pos = pos_of(l, ev, tags_of(ev->data.mapping_start.tag));
                r = count_node(l, &pos);
                if (r < 0)
                        return r;
                return push(l, cJSON_CreateObject(), &pos, ev->data.mapping_start.anchor);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                return pop(l);
        case YAML_ALIAS_EVENT: {
                const char *name = (const char *)ev->data.alias.anchor;
                pos = pos_of(l, ev, 0);
                for (size_t i = l->n_anchors; i > 0; i--) {
                        Anchor *a = &l->anchors[i - 1];
                        if (strcmp(a->name, name) != 0)
                                continue;
                        /* Checked before copying, so an alias bomb fails at its first oversized use. */
                        if (l->alias_nodes + a->size > l->lim->max_alias_nodes ||
                            l->nodes + a->size > l->lim->max_nodes) {
                                fail(l, -E2BIG, &pos,
                                     "alias \"%s\" expands past the limit of %zu aliased nodes", name,
                                     l->lim->max_alias_nodes);
                                error_hint(l->err, "is this an alias bomb (\"billion laughs\")?");
                                return -E2BIG;
                        }
                        l->alias_nodes += a->size;
                        l->nodes += a->size;
                        n = srcmap_duplicate(l->map, a->node);
                        if (!n)
                                return -ENOMEM;
                        return add_node(l, n, &pos);
                }
                return fail(l, -EINVAL, &pos, "unknown anchor \"%s\"", name);
        }
        default:
                return 0;
        }
}

int yaml_load(const char *buf, size_t len, const char *file, const YamlLimits *limits, SrcMap *map,
              cJSON **ret, BerthError *err)
{
        static const YamlLimits defaults = YAML_LIMITS_DEFAULT;
        yaml_parser_t parser;
        _cleanup_(yaml_parser_deletep) yaml_parser_t *pp = NULL;
        Loader l = { .file = srcmap_intern(map, file ? file : "<input>"),
                     .buf = buf,
                     .len = len,
                     .lim = limits ? limits : &defaults,
                     .map = map,
                     .err = err };
        unsigned bl, bc;
        int r = 0;

        if (!l.file)
                return -ENOMEM;
        if (!utf8_validate(buf, len, &bl, &bc))
                return error_set(err, -EILSEQ, l.file, bl, bc, NULL, "file is not valid UTF-8");
        if (memchr(buf, '\0', len))
                return error_set(err, -EILSEQ, l.file, 0, 0, NULL, "file contains a NUL byte");
        l.stack = calloc(l.lim->max_depth + 1, sizeof(Frame));
        if (!l.stack || !yaml_parser_initialize(&parser)) {
                free(l.stack);
                return -ENOMEM;
        }
        pp = &parser;
        yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

        for (bool done = false; !done && r >= 0;) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&parser, &ev)) {
                        const char *problem = parser.problem ? parser.problem : "invalid YAML";
                        size_t at = parser.problem_mark.index;
                        r = error_set(err, -EINVAL, l.file, (unsigned)parser.problem_mark.line + 1,
                                      (unsigned)parser.problem_mark.column + 1, NULL, "%s%s%s", problem,
                                      parser.context ? " " : "", parser.context ? parser.context : "");
                        if (at < len && buf[at] == '\t')
                                error_hint(err, "YAML does not allow tabs for indentation: use spaces");
                        else if (parser.context)
                                error_hint(err, "the construct began at line %u, column %u",
                                           (unsigned)parser.context_mark.line + 1,
                                           (unsigned)parser.context_mark.column + 1);
                        break;
                }
                done = ev.type == YAML_STREAM_END_EVENT;
                r = on_event(&l, &ev);
                yaml_event_delete(&ev);
        }

        while (l.depth > 0) {
                Frame *f = &l.stack[--l.depth];
                free(f->index.slots);
                cJSON_Delete(f->node);
                cJSON_Delete(f->merges);
                free(f->key);
                free(f->anchor);
        }
        free(l.stack);
        for (size_t i = 0; i < l.n_anchors; i++) {
                free(l.anchors[i].name);
                if (l.anchors[i].owned)
                        cJSON_Delete(l.anchors[i].node);
        }
        free(l.anchors);
        cJSON_Delete(l.retired);
        if (r < 0) {
                cJSON_Delete(l.root);
                return r;
        }
        if (!l.root && !(l.root = cJSON_CreateNull()))
                return -ENOMEM;
        *ret = l.root;
        return 0;
}
