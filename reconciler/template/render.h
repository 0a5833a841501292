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

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "../util/error.h"

/* An option marked "writeOnly": true (draft-07's keyword) holds a secret, a password: it is never
 * rendered into the compose file, never written into stack.json, never shown. Its placeholder stays in
 * the rendered file for the reconciler to fill from the stack's SOPS-encrypted .env, and it may be used
 * only in a service's environment, the one place where a value berth-api never sees cannot change what
 * the policy checks. It is a string without a default (a default would be a password in git). */
typedef struct WriteOnly {
        char *name;
        bool required; /* in the schema's "required": a stack must have a value, given now or before */
} WriteOnly;

typedef struct Definition {
        char *name;
        char *title, *description, *version;
        cJSON *options; /* the options' JSON Schema (an object schema) */
        char *compose;  /* the template's text */
        size_t compose_len;
        WriteOnly *write_only; /* in the schema's order */
        size_t n_write_only;
} Definition;

/* Reads a definition from its two files' contents (name: its folder's name). Errors name the file and
 * the line:col. */
int definition_load(const char *name, const char *compose, size_t compose_len, const char *json,
                    size_t json_len, Definition **ret, BerthError *err);
Definition *definition_free(Definition *d);

/* The options with the schema's defaults filled in, validated. An error's path is the JSON Pointer of
 * the wrong value ("/options/replicas"); an error about a write-only value never repeats it. A required
 * write-only option may be absent here: whether the stack has a value already is the caller's to know. */
int definition_options(const Definition *d, const cJSON *options, cJSON **ret, BerthError *err);

/* The compose file for options (already filled and validated), as YAML text owned by the caller.
 * Write-only options are not rendered: their placeholders stay as written. */
int definition_render(const Definition *d, const cJSON *options, char **ret, BerthError *err);

/* The write-only option called name, or NULL. */
const WriteOnly *definition_write_only(const Definition *d, const char *name);

DEFINE_TRIVIAL_CLEANUP_FUNC(Definition *, definition_free)
#define _cleanup_definition_ _cleanup_(definition_freep)
