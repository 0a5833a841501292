/* envmap.c: ordered environment variable map. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "envmap.h"

void envmap_init(EnvMap *m)
{
        *m = (EnvMap){ 0 };
}

void envmap_done(EnvMap *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->keys[i]);
                free(m->values[i]);
        }
        free(m->keys);
        free(m->values);
        *m = (EnvMap){ 0 };
}

static ssize_t find(const EnvMap *m, const char *key, size_t klen)
{
        for (size_t i = 0; i < m->n; i++)
                if (strlen(m->keys[i]) == klen && memcmp(m->keys[i], key, klen) == 0)
                        return (ssize_t)i;
        return -1;
}

int envmap_setn(EnvMap *m, const char *key, size_t klen, const char *value, size_t vlen)
{
        char *v = strndup(value, vlen);
        if (!v)
                return -ENOMEM;
        ssize_t i = find(m, key, klen);
        if (i >= 0) {
                free(m->values[i]);
                m->values[i] = v;
                return 0;
        }
        if (m->n == m->alloc) {
                size_t n = m->alloc ? m->alloc * 2 : 16;
                char **k = realloc(m->keys, n * sizeof(char *));
                if (!k)
                        goto oom;
                m->keys = k;
                char **vv = realloc(m->values, n * sizeof(char *));
                if (!vv)
                        goto oom;
                m->values = vv;
                m->alloc = n;
        }
        m->keys[m->n] = strndup(key, klen);
        if (!m->keys[m->n])
                goto oom;
        m->values[m->n++] = v;
        return 0;
oom:
        free(v);
        return -ENOMEM;
}

int envmap_set(EnvMap *m, const char *key, const char *value)
{
        return envmap_setn(m, key, strlen(key), value, strlen(value));
}

const char *envmap_getn(const EnvMap *m, const char *key, size_t klen)
{
        ssize_t i = find(m, key, klen);
        return i >= 0 ? m->values[i] : NULL;
}

const char *envmap_get(const EnvMap *m, const char *key)
{
        return envmap_getn(m, key, strlen(key));
}

int envmap_from_environ(EnvMap *m, char *const *envp)
{
        for (; envp && *envp; envp++) {
                const char *eq = strchr(*envp, '=');
                if (!eq)
                        continue;
                int r = envmap_setn(m, *envp, (size_t)(eq - *envp), eq + 1, strlen(eq + 1));
                if (r < 0)
                        return r;
        }
        return 0;
}

const char *envlookup_get(const EnvLookup *l, const char *key, size_t klen)
{
        for (size_t i = 0; l && i < l->n; i++) {
                const char *v = envmap_getn(l->maps[i], key, klen);
                if (v)
                        return v;
        }
        return NULL;
}
