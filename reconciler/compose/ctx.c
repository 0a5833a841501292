/* ctx.c: shared helpers for the compose stages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

int compose_fail(ComposeCtx *c, int r, const cJSON *node, bool at_key, const char *path, const char *fmt,
                 ...)
{
        const SrcPos *pos = NULL;
        char msg[1024];
        va_list ap;

        if (at_key)
                pos = srcmap_get(c->src, SRCMAP_KEY(node));
        if (!pos)
                pos = srcmap_get(c->src, node);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return error_set(c->err, r, pos ? pos->file : NULL, pos ? pos->line : 0, pos ? pos->col : 0, path,
                         "%s", msg);
}

int compose_warn(ComposeCtx *c, const char *fmt, ...)
{
        _cleanup_strbuf_ StrBuf sb = STRBUF_INIT;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strbuf_vaddf(&sb, fmt, ap);
        va_end(ap);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_warnings; i++)
                if (strcmp(c->warnings[i], strbuf_str(&sb)) == 0)
                        return 0;
        char **w = realloc(c->warnings, (c->n_warnings + 2) * sizeof(char *));
        if (!w)
                return -ENOMEM;
        c->warnings = w;
        c->warnings[c->n_warnings++] = strbuf_detach(&sb);
        c->warnings[c->n_warnings] = NULL;
        return 0;
}

void compose_pos_copy(ComposeCtx *c, const cJSON *node, const cJSON *from)
{
        const SrcPos *p = srcmap_get(c->src, from);
        if (p) {
                SrcPos copy = *p;
                srcmap_put(c->src, node, &copy);
        }
        p = srcmap_get(c->src, SRCMAP_KEY(from));
        if (p) {
                SrcPos copy = *p;
                srcmap_put(c->src, SRCMAP_KEY(node), &copy);
        }
}

cJSON *compose_string_at(ComposeCtx *c, const char *s, const cJSON *from)
{
        cJSON *n = cJSON_CreateString(s);
        if (n && from)
                compose_pos_copy(c, n, from);
        return n;
}

char *compose_scalar_text(const cJSON *n)
{
        char buf[64];

        if (cJSON_IsString(n))
                return strdup(n->valuestring);
        if (cJSON_IsNumber(n)) {
                if (n->valuestring)
                        return strdup(n->valuestring);
                snprintf(buf, sizeof(buf), "%.17g", n->valuedouble);
                return strdup(buf);
        }
        if (cJSON_IsTrue(n))
                return strdup("true");
        if (cJSON_IsFalse(n))
                return strdup("false");
        return NULL;
}

int compose_replace(ComposeCtx *c, cJSON *obj, const char *key, cJSON *value)
{
        cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);
        if (!value)
                return -ENOMEM;
        if (old) {
                const SrcPos *kp = srcmap_get(c->src, SRCMAP_KEY(old));
                if (kp) {
                        SrcPos copy = *kp;
                        srcmap_put(c->src, SRCMAP_KEY(value), &copy);
                }
                if (!srcmap_get(c->src, value))
                        compose_pos_copy(c, value, old);
                compose_swap(obj, old, value);
                return 0;
        }
        if (!cJSON_AddItemToObject(obj, key, value)) {
                cJSON_Delete(value);
                return -ENOMEM;
        }
        return 0;
}

void compose_swap(cJSON *parent, cJSON *old, cJSON *new)
{
        /* cJSON_ReplaceItemViaPointer leaves the replacement's key as it was. */
        if (old->string && !(new->type &cJSON_StringIsConst)) {
                char *k = strdup(old->string);
                if (!k) {
                        cJSON_Delete(new);
                        return;
                }
                free(new->string);
                new->string = k;
        }
        cJSON_ReplaceItemViaPointer(parent, old, new);
}

static int cmp_members(const void *a, const void *b)
{
        return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

void compose_sort(cJSON *node)
{
        if (!node)
                return;
        for (cJSON *ch = node->child; ch; ch = ch->next)
                compose_sort(ch);
        if (!cJSON_IsObject(node) || !node->child)
                return;
        size_t n = 0;
        for (cJSON *ch = node->child; ch; ch = ch->next)
                n++;
        cJSON **v = malloc(n * sizeof(cJSON *));
        if (!v)
                return; /* unsorted output is still correct output */
        n = 0;
        for (cJSON *ch = node->child; ch; ch = ch->next)
                v[n++] = ch;
        qsort(v, n, sizeof(cJSON *), cmp_members);
        for (size_t i = 0; i < n; i++) {
                v[i]->prev = i ? v[i - 1] : v[n - 1]; /* cJSON: the head's prev is the tail */
                v[i]->next = i + 1 < n ? v[i + 1] : NULL;
        }
        node->child = v[0];
        free(v);
}
