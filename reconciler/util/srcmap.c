/* srcmap.c: an open-addressing hash from node pointers to source positions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srcmap.h"

typedef struct Slot {
        const void *key;
        SrcPos pos;
} Slot;

struct SrcMap {
        Slot *slots;
        size_t n_slots; /* power of two */
        size_t used;
        char **names;
        size_t n_names;
};

static size_t hash_ptr(const void *p)
{
        uint64_t x = (uint64_t)(uintptr_t)p;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        return (size_t)x;
}

SrcMap *srcmap_new(void)
{
        SrcMap *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        m->n_slots = 1024;
        m->slots = calloc(m->n_slots, sizeof(Slot));
        if (!m->slots) {
                free(m);
                return NULL;
        }
        return m;
}

SrcMap *srcmap_free(SrcMap *m)
{
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_names; i++)
                free(m->names[i]);
        free(m->names);
        free(m->slots);
        free(m);
        return NULL;
}

const char *srcmap_intern(SrcMap *m, const char *name)
{
        for (size_t i = 0; i < m->n_names; i++)
                if (strcmp(m->names[i], name) == 0)
                        return m->names[i];
        char **n = realloc(m->names, (m->n_names + 1) * sizeof(char *));
        if (!n)
                return NULL;
        m->names = n;
        m->names[m->n_names] = strdup(name);
        if (!m->names[m->n_names])
                return NULL;
        return m->names[m->n_names++];
}

static Slot *find_slot(Slot *slots, size_t n, const void *key)
{
        size_t i = hash_ptr(key) & (n - 1);
        while (slots[i].key && slots[i].key != key)
                i = (i + 1) & (n - 1);
        return &slots[i];
}

static int grow(SrcMap *m)
{
        size_t n = m->n_slots * 2;
        Slot *s = calloc(n, sizeof(Slot));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_slots; i++)
                if (m->slots[i].key)
                        *find_slot(s, n, m->slots[i].key) = m->slots[i];
        free(m->slots);
        m->slots = s;
        m->n_slots = n;
        return 0;
}

int srcmap_put(SrcMap *m, const void *node, const SrcPos *pos)
{
        if (!m || !node || !pos)
                return 0;
        SrcPos copy = *pos; /* pos may point into the table that grow() frees */
        if ((m->used + 1) * 2 > m->n_slots) {
                int r = grow(m);
                if (r < 0)
                        return r;
        }
        Slot *s = find_slot(m->slots, m->n_slots, node);
        if (!s->key)
                m->used++;
        s->key = node;
        s->pos = copy;
        return 0;
}

const SrcPos *srcmap_get(const SrcMap *m, const void *node)
{
        if (!m || !node)
                return NULL;
        Slot *s = find_slot(m->slots, m->n_slots, node);
        return s->key ? &s->pos : NULL;
}

int srcmap_copy_tree(SrcMap *m, const cJSON *from, const cJSON *to)
{
        for (int k = 0; k < 2; k++) {
                const SrcPos *p = srcmap_get(m, k ? SRCMAP_KEY(from) : (const void *)from);
                if (p) {
                        SrcPos copy = *p;
                        int r = srcmap_put(m, k ? SRCMAP_KEY(to) : (const void *)to, &copy);
                        if (r < 0)
                                return r;
                }
        }
        const cJSON *a = from->child, *b = to->child;
        for (; a && b; a = a->next, b = b->next) {
                int r = srcmap_copy_tree(m, a, b);
                if (r < 0)
                        return r;
        }
        return 0;
}

cJSON *srcmap_duplicate(SrcMap *m, const cJSON *node)
{
        cJSON *d = cJSON_Duplicate(node, 1);
        if (!d)
                return NULL;
        if (srcmap_copy_tree(m, node, d) < 0) {
                cJSON_Delete(d);
                return NULL;
        }
        return d;
}

int srcmap_fail(BerthError *err, const SrcMap *m, const void *node, const char *file, const char *path,
                const char *fmt, ...)
{
        const SrcPos *p = m ? srcmap_get(m, node) : NULL;
        char msg[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return error_set(err, -EINVAL, file, p ? p->line : 0, p ? p->col : 0, path, "%s", msg);
}
