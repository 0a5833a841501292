/* digest.h: image references and what their registry says of them, for both deploy modes: the
 * repository part of a reference, the credentials header for its registry, and the digest a tag names
 * now (asked through the engine, without pulling). */
#pragma once

#include "../engine/engine.h"
#include "../util/envmap.h"

/* The length of an image reference's repository: without its tag or digest ("reg:5000/app:1" is
 * "reg:5000/app"). */
size_t registry_repository_len(const char *image);
/* The X-Registry-Auth header for the image's registry, from the CI's variables or config.json
 * (auth.h); NULL without env or credentials (an anonymous pull). */
char *registry_auth_for(const EnvMap *env, const char *image);
/* What the registry says the tag names now ("sha256:..."), without pulling it; auth may be NULL. */
int registry_digest(EngineClient *c, const char *image, const char *auth, char **ret, BerthError *err);
