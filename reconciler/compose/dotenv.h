/* dotenv.h: the .env / env_file format, parsed as compose does.
 *
 * KEY=VALUE and KEY: VALUE lines, an optional "export " prefix, single quotes (literal but for \'),
 * double quotes (escapes and variables expanded, may span lines), unquoted values (variables expanded,
 * " #" starts a comment), and a bare KEY that takes its value from the lookup environment if set there.
 * Variables in values resolve from the lookup environment first, then from keys defined earlier in the
 * file. Results go into out, which the caller owns. */
#pragma once

#include <stddef.h>

#include "../util/envmap.h"
#include "../util/error.h"

/* On error returns a negative errno with err's file and line set, and msg in compose's words. */
int dotenv_parse(const char *buf, size_t len, const char *file, const EnvLookup *lookup, EnvMap *out,
                 BerthError *err);
