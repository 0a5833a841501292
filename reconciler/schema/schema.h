/* schema.h: a JSON Schema (draft-07) validator over cJSON trees.
 *
 * A Schema owns its root document and any extra resources registered with schema_add_resource() (for
 * remote $refs: nothing is ever fetched). Instances are borrowed. Validation stops at the first
 * failing subtree and reports the most specific error: for oneOf/anyOf, the branch that got furthest.
 * Positions come from the SrcMap when one is given. Regex keywords use POSIX extended expressions with
 * \d \w \s translated, which covers the patterns compose uses. A Schema is immutable once built (its
 * patterns are compiled then), so one Schema may validate on several threads at once. */
#pragma once

#include "../util/error.h"
#include "../util/srcmap.h"

typedef struct Schema Schema;

int schema_new(const char *json, size_t len, Schema **ret, BerthError *err);
/* Takes ownership of doc. */
int schema_new_from_tree(cJSON *doc, Schema **ret);
Schema *schema_free(Schema *s);
/* Registers another document under an absolute URI; takes ownership of doc. */
int schema_add_resource(Schema *s, const char *uri, cJSON *doc);
/* 0 when valid; -EINVAL with err set (path like "services.web.ports[0]", the message, the position). */
int schema_validate(const Schema *s, const cJSON *instance, const SrcMap *map, BerthError *err);

DEFINE_TRIVIAL_CLEANUP_FUNC(Schema *, schema_free)
#define _cleanup_schema_ _cleanup_(schema_freep)
