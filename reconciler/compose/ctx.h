/* ctx.h: what every compose stage shares while loading one project: the position map, the error slot,
 * the interpolation environment and the warnings collected. The loader owns all of it; stages borrow. */
#pragma once

#include <stdbool.h>

#include "../util/envmap.h"
#include "../util/error.h"
#include "../util/srcmap.h"
#include "../util/strbuf.h"

typedef struct ComposeCtx {
        SrcMap *src;
        BerthError *err;
        const EnvLookup *env;
        char **warnings; /* owned, NULL-terminated, deduplicated */
        size_t n_warnings;
} ComposeCtx;

/* Fails at node's position (its key's, when at_key and known). Returns r. */
int compose_fail(ComposeCtx *c, int r, const cJSON *node, bool at_key, const char *path, const char *fmt,
                 ...) _printf_(6, 7);
int compose_warn(ComposeCtx *c, const char *fmt, ...) _printf_(2, 3);
/* New string node carrying the position of from. */
cJSON *compose_string_at(ComposeCtx *c, const char *s, const cJSON *from);
/* Gives node the position of from (and its key position). */
void compose_pos_copy(ComposeCtx *c, const cJSON *node, const cJSON *from);
/* A scalar as text ("80", "true", "x"); NULL for containers and null. Owned by the caller. */
char *compose_scalar_text(const cJSON *n);
/* Replaces obj[key] with value (owned), keeping the old member's key position. */
int compose_replace(ComposeCtx *c, cJSON *obj, const char *key, cJSON *value);
/* Replaces item old (in parent, object or array) with new, which takes over old's key. */
void compose_swap(cJSON *parent, cJSON *old, cJSON *new);
/* Sorts an object's members by key, recursively through objects and arrays. */
void compose_sort(cJSON *node);
