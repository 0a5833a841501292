/* sops-store.h: SOPS documents as trees, in the five formats sops writes (internal to secrets/).
 *
 * A document is a cJSON object whose members keep the file's order: YAML and JSON as they nest, a dotenv
 * file as one flat object, an INI file as an object of sections ("DEFAULT" first, as go-ini lists it).
 * Comments of dotenv and INI files are string members flagged SOPS_COMMENT, because sops encrypts them
 * too; libyaml does not report YAML comments, so a YAML tree has none. The metadata ("sops" in YAML and
 * JSON, "sops_*" keys in dotenv, the [sops] section in INI) is taken out whole, unflattened. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"
#include "../util/strbuf.h"
#include "sops.h"

/* A flag in cJSON's type beside its own bits (cJSON compares types with & 0xFF and keeps the rest on
 * duplication). */
#define SOPS_COMMENT (1 << 12)

static inline bool sops_is_comment(const cJSON *n)
{
        return n && (n->type & SOPS_COMMENT);
}

/* Reads data as format f. Binary is read as its encrypted form, the JSON sops writes for it. */
int sops_store_load(SopsFormat f, const char *data, size_t len, const char *file, cJSON **ret,
                    BerthError *err);
/* Detaches the metadata from tree; NULL when there is none (the file is no SOPS document). */
cJSON *sops_store_take_metadata(SopsFormat f, cJSON *tree);
/* Writes tree as format f; meta (when not NULL) is placed as the format keeps it. Binary: the tree's
 * "data" string. */
int sops_store_emit(SopsFormat f, const cJSON *tree, const cJSON *meta, StrBuf *out);
