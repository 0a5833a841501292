/* emit.h: writes a cJSON tree as YAML (compose's `config` style) or as 2-space-indented JSON.
 * Strings that would read back as another type are quoted; numbers keep their source text. */
#pragma once

#include "../util/strbuf.h"

int emit_yaml(const cJSON *node, StrBuf *out);
int emit_json(const cJSON *node, StrBuf *out);
