/* emit.h: writes a cJSON tree as YAML (compose's `config` style) or as 2-space-indented JSON.
 * Strings that would read back as another type are quoted; numbers keep their source text. */
#pragma once

#include "../util/strbuf.h"

enum {
        /* Write "$" in values as "$$", so the output loads again as a compose file with the same values. */
        EMIT_ESCAPE_DOLLAR = 1 << 0,
        /* Write strings of several lines as literal blocks ("|"), as sops writes the age envelopes. */
        EMIT_LITERAL_BLOCKS = 1 << 1,
};

int emit_yaml(const cJSON *node, unsigned flags, StrBuf *out);
int emit_json(const cJSON *node, unsigned flags, StrBuf *out);
