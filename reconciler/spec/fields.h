/* fields.h: Engine API JSON from the canonical model (compose/), for what a container spec
 * (deploy/) and a swarm service spec (swarm/) write alike. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../util/error.h"
#include "../util/strbuf.h"

/* Pieces of the model that a container and a swarm service take the same way. A list of strings (numbers as
 * JSON) under key; a duration string as nanoseconds under key; a byte size ("50M" or a number); the
 * healthcheck as the engine's "Healthcheck" object in body. path names the field in errors. */
int spec_string_list(cJSON *to, const char *key, const cJSON *from);
int spec_duration(cJSON *to, const char *key, const cJSON *from, const char *path, BerthError *err);
int spec_bytes(const cJSON *v, const char *path, int64_t *ret, BerthError *err);
int spec_healthcheck(cJSON *body, const cJSON *hc, const char *svcpath, BerthError *err);
/* The model's string keys copied under the engine's names: map is {model key, engine key} pairs. */
void spec_copy_strings(cJSON *to, const cJSON *svc, const char *const map[][2], size_t n);
/* Appends what sb built to the array: -ENOMEM when sb failed or the array could not take it, so a spec
 * is never sent with an entry missing or cut short. */
int spec_append(cJSON *array, const StrBuf *sb);
