/* container.h: what the engine is asked to create for one replica of a compose service.
 *
 * Reads only the canonical model (compose/), writes Engine API JSON. The ContainerSpec owns its
 * members. Names and labels follow compose, so `docker compose -p STACK ps` sees berth's containers. */
#pragma once

#include "../compose/project.h"
#include "../spec/fields.h"
#include "../spec/labels.h"
#include "../util/error.h"

typedef struct ContainerSpec {
        char *name;
        cJSON *body;     /* POST /containers/create */
        cJSON *networks; /* [{"Name": full network name, "EndpointConfig": {...}}], after the first */
        char *platform;  /* "linux/arm64": the image variant to run; NULL: the engine's own */
} ContainerSpec;

void container_spec_done(ContainerSpec *s);

/* Builds the spec for replica number of service. hash is the service's content hash; image (NULL: the
 * model's) what it runs, digest (NULL: none known) the registry digest recorded in its labels. */
int container_spec_build(const Project *p, const char *service, unsigned number, const char *hash,
                         const char *image, const char *digest, const DeployIdentity *id, ContainerSpec *ret,
                         BerthError *err);
/* The container name compose would give: <project>-<service>-<number>, or container_name. */
char *container_name(const Project *p, const char *service, unsigned number);
/* Calls warn for each service key berth cannot honour on a standalone engine. */
int container_check_service(const Project *p, const char *service, void (*warn)(void *ud, const char *msg),
                            void *ud, BerthError *err);
/* Full engine name of a network key of the project ("default" -> "<project>_default"). */
const char *container_network_name(const Project *p, const char *key);
