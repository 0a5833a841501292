/* auth.h: registry credentials for push and for a build's FROM, as the engine takes them: base64url
 * JSON in the X-Registry-Auth (one registry) and X-Registry-Config (all of them) headers.
 *
 * They come from the CI's variables BERTH_REGISTRY_USER and BERTH_REGISTRY_PASSWORD, which are for the
 * one registry BERTH_REGISTRY (else GitLab's CI_REGISTRY) names and are never sent to another, else
 * from $DOCKER_CONFIG/config.json (~/.docker/config.json) "auths", as `docker login` writes them. The
 * headers hold secrets: they go to the engine and nowhere else. */
#pragma once

#include "../util/envmap.h"
#include "../util/error.h"

/* The registry of an image reference: its first element when that names a host (has '.' or ':', or
 * is localhost), as a copy the caller frees; NULL for Docker Hub. */
char *registry_of(const char *reference);
/* The registry the credential variables are for (BERTH_REGISTRY, else CI_REGISTRY); NULL: none. */
const char *registry_env_bound(const EnvMap *env);
/* "X-Registry-Auth: ..." for registry (NULL: Docker Hub); *ret_found tells whether credentials were
 * found. */
int registry_auth_header(const EnvMap *env, const char *registry, char **ret, bool *ret_found);
/* "X-Registry-Config: ..." with every registry of config.json (for FROM), or NULL when there are none. */
int registry_config_header(const EnvMap *env, char **ret);
