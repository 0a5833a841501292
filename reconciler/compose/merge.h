/* merge.h: compose's rules for merging one file (or an extended service) over another.
 *
 * Mappings merge key by key; scalars are replaced. Sequences under a service follow compose: command,
 * entrypoint and healthcheck.test are replaced; ports merge by ip/target/published/protocol, volumes,
 * secrets and configs by target, env_file by path; other sequences append what is new. "!reset" drops
 * what the base said and "!override" replaces it whole. Both inputs must be normalised. src's children
 * are moved into dst; src is left empty and still owned by the caller. */
#pragma once

#include "ctx.h"

int merge_documents(ComposeCtx *c, cJSON *dst, cJSON *src);
int merge_service(ComposeCtx *c, cJSON *dst, cJSON *src);
/* Drops any "!reset" nodes still in a tree (a reset with nothing under it to reset). */
void merge_strip_resets(ComposeCtx *c, cJSON *node);
