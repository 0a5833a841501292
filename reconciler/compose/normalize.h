/* normalize.h: rewrites one compose file's short syntax into compose's long syntax, in place.
 *
 * Runs per file, before merging, so merge rules can key long-syntax entries (ports, volumes, secrets)
 * and every new node keeps the position of the text it came from. Relative paths resolve against
 * basedir. Fails with the place and the offending value. */
#pragma once

#include "ctx.h"

int normalize_file(ComposeCtx *c, cJSON *doc, const char *basedir, const char *home);
int normalize_service(ComposeCtx *c, cJSON *svc, const char *name, const char *basedir, const char *home);
