/* keys.h: the age identities a SOPS document is opened with, found where the sops tool looks. */
#pragma once

#include "../util/envmap.h"
#include "../util/error.h"
#include "age.h"

/* Adds the keys of SOPS_AGE_KEY (one or more, as a masked CI variable holds them), of the file that
 * SOPS_AGE_KEY_FILE names, and of $XDG_CONFIG_HOME/sops/age/keys.txt (default ~/.config/...), as sops
 * does: all that are there. env is the environment to read (the process's, or a test's). None found is
 * not an error here; a document that needs a key says so. Messages never show a key. */
int secrets_keys_load(const EnvMap *env, AgeIdentities *ids, BerthError *err);
