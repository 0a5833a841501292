/* srcmap.h: remembers where in the input each tree node came from.
 *
 * cJSON nodes have no room for a position, so a SrcMap maps node pointers to SrcPos. The map does not
 * own the nodes; it owns the interned file names that positions point to, which live as long as the
 * map. Putting a pointer again overwrites its entry. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "error.h"

enum {
        SRC_TAG_RESET = 1 << 0,    /* YAML "!reset": drop what earlier files said */
        SRC_TAG_OVERRIDE = 1 << 1, /* YAML "!override": replace instead of merging */
        SRC_TAG_QUOTED = 1 << 2,   /* the scalar was quoted in the source */
};

typedef struct SrcPos {
        const char *file;
        uint32_t line;
        uint32_t col;
        uint32_t tags;
} SrcPos;

typedef struct SrcMap SrcMap;

/* The position of a mapping member's key is stored under the member's node address plus one, which
 * no other node can have (allocations are aligned). */
#define SRCMAP_KEY(node) ((const void *)((const char *)(node) + 1))

SrcMap *srcmap_new(void);
SrcMap *srcmap_free(SrcMap *m);
/* Returns the map's own copy of name; NULL on OOM. */
const char *srcmap_intern(SrcMap *m, const char *name);
int srcmap_put(SrcMap *m, const void *node, const SrcPos *pos);
/* NULL when the node has no recorded position. The pointer is valid until the next put. */
const SrcPos *srcmap_get(const SrcMap *m, const void *node);
/* Copies positions from one tree onto a structurally identical duplicate. */
int srcmap_copy_tree(SrcMap *m, const cJSON *from, const cJSON *to);
/* Deep copy of a node that carries positions over. */
cJSON *srcmap_duplicate(SrcMap *m, const cJSON *node);
/* Sets err (-EINVAL) at the node's line and column in file, with path and the message; returns -EINVAL. */
int srcmap_fail(BerthError *err, const SrcMap *m, const void *node, const char *file, const char *path,
                const char *fmt, ...) _printf_(6, 7);

DEFINE_TRIVIAL_CLEANUP_FUNC(SrcMap *, srcmap_free)
#define _cleanup_srcmap_ _cleanup_(srcmap_freep)
