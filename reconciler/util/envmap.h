/* envmap.h: an ordered map of environment variables (NAME -> value).
 *
 * The map owns its keys and values. Setting an existing key replaces its value in place, so the order
 * is that of first definition. Values are never NULL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

typedef struct EnvMap {
        char **keys;
        char **values;
        size_t n;
        size_t alloc;
} EnvMap;

void envmap_init(EnvMap *m);
void envmap_done(EnvMap *m);
int envmap_set(EnvMap *m, const char *key, const char *value);
int envmap_setn(EnvMap *m, const char *key, size_t klen, const char *value, size_t vlen);
const char *envmap_get(const EnvMap *m, const char *key);
const char *envmap_getn(const EnvMap *m, const char *key, size_t klen);
/* Fills m from a NULL-terminated "KEY=VALUE" array such as environ. */
int envmap_from_environ(EnvMap *m, char *const *envp);

/* A read-only view used for variable lookups: a chain of maps, earlier ones win. */
typedef struct EnvLookup {
        const EnvMap *maps[4];
        size_t n;
} EnvLookup;

const char *envlookup_get(const EnvLookup *l, const char *key, size_t klen);

static inline void envmap_donep(EnvMap *m)
{
        envmap_done(m);
}
#define _cleanup_envmap_ _cleanup_(envmap_donep)
