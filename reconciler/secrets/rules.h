/* rules.h: the creation rules of a repo's .sops.yaml, as the sops tool reads them: which age recipients
 * (and which encryption rule) a new SOPS file at a path gets. */
#pragma once

#include <cjson/cJSON.h>

#include "../util/error.h"
#include "sops.h"

typedef struct SopsRule {
        unsigned char (*recipients)[AGE_KEY_LEN];
        size_t n;
        SopsEncryptOptions o; /* recipients and rules; its strings belong to doc */
        cJSON *doc;
} SopsRule;

/* The first rule of the .sops.yaml text (named cfg in errors) whose path_regex matches rel (the path
 * relative to the file's directory) or abs (may be NULL); a rule without path_regex matches all.
 * -ENOENT when none matches, -EINVAL when the matching rule names no age recipient. */
int sops_rule_find(const char *text, size_t len, const char *cfg, const char *rel, const char *abs,
                   SopsRule *ret, BerthError *err);
/* Adds the recipients of a list "age1...,age1..." (commas, spaces or newlines between). */
int sops_rule_add_recipients(SopsRule *r, const char *list, BerthError *err);
void sops_rule_done(SopsRule *r);
