/* render.h: stack definitions (templates) and their rendering into a compose file, injection-safe.
 *
 * A definition is a compose.yaml with ${option} placeholders and a definition.json: title,
 * description, version and "options", a JSON Schema for the options (types, defaults, enums,
 * patterns, bounds). Rendering parses the template first and substitutes options into the parsed
 * scalars, never into the text, then writes YAML again: an option value is always one string (or the
 * number or boolean the schema asks for), whatever newlines, quotes, anchors, tags or "key: value" it
 * holds. A "$" in an option value is written as "$$", so a value can never name a variable that the
 * reconciler would fill from the CI's environment. Placeholders that are not options (${DB_PASSWORD})
 * are left as they are, for the reconciler. Keys are never rendered.
 *
 * A Definition owns everything in it. */
#pragma once

#include <cjson/cJSON.h>

#include "../util/error.h"

typedef struct Definition {
        char *name;
        char *title, *description, *version;
        cJSON *options; /* the options' JSON Schema (an object schema) */
        char *compose;  /* the template's text */
        size_t compose_len;
} Definition;

/* Reads a definition from its two files' contents (name: its folder's name). Errors name the file and
 * the line:col. */
int definition_load(const char *name, const char *compose, size_t compose_len, const char *json,
                    size_t json_len, Definition **ret, BerthError *err);
Definition *definition_free(Definition *d);

/* The options with the schema's defaults filled in, validated. An error's path is the JSON Pointer of
 * the wrong value ("/options/replicas"). */
int definition_options(const Definition *d, const cJSON *options, cJSON **ret, BerthError *err);

/* The compose file for options (already filled and validated), as YAML text owned by the caller. */
int definition_render(const Definition *d, const cJSON *options, char **ret, BerthError *err);

DEFINE_TRIVIAL_CLEANUP_FUNC(Definition *, definition_free)
#define _cleanup_definition_ _cleanup_(definition_freep)
