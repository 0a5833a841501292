/* yaml.h: YAML text to a cJSON tree, remembering each node's file:line:col in a SrcMap.
 *
 * Scalars resolve as YAML 1.2's core schema does (as compose's go-yaml v3): plain null/~/true/false,
 * integers and floats become JSON null, bools and numbers; everything else is a string. A number keeps
 * its source text in valuestring so it can be written back exactly. Anchors, aliases and "<<" merge
 * keys are expanded; "!reset" and "!override" become SrcPos tags. Only the first document is read.
 * Limits stop hostile input early. The caller owns the returned tree. */
#pragma once

#include <stddef.h>

#include "../util/error.h"
#include "../util/srcmap.h"

typedef struct YamlLimits {
        size_t max_depth;       /* nesting of sequences and mappings */
        size_t max_nodes;       /* nodes in the tree, aliases expanded */
        size_t max_alias_nodes; /* nodes created by expanding aliases */
} YamlLimits;

#define YAML_LIMITS_DEFAULT                                                                                 \
        {                                                                                                   \
                .max_depth = 64, .max_nodes = 1000000, .max_alias_nodes = 100000                            \
        }

/* Returns 0 and the tree in *ret (a JSON null for an empty document), or a negative errno with err
 * set to the place and the problem. */
int yaml_load(const char *buf, size_t len, const char *file, const YamlLimits *limits, SrcMap *map,
              cJSON **ret, BerthError *err);
