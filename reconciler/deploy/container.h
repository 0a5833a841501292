/* container.h: what the engine is asked to create for one replica of a compose service.
 *
 * Reads only the canonical model (compose/), writes Engine API JSON. The ContainerSpec owns its
 * members. Names and labels follow compose, so `docker compose -p STACK ps` sees berth's containers. */
#pragma once

#include "../compose/project.h"
#include "../util/error.h"

#define LABEL_PROJECT      "com.docker.compose.project"
#define LABEL_SERVICE      "com.docker.compose.service"
#define LABEL_NUMBER       "com.docker.compose.container-number"
#define LABEL_ONEOFF       "com.docker.compose.oneoff"
#define LABEL_CONFIG_HASH  "com.docker.compose.config-hash"
#define LABEL_DEPENDS_ON   "com.docker.compose.depends_on"
#define LABEL_NETWORK      "com.docker.compose.network"
#define LABEL_VOLUME       "com.docker.compose.volume"
#define LABEL_MANAGED      "io.berth.managed"
#define LABEL_REPO         "io.berth.repo"
#define LABEL_STACK        "io.berth.stack"
#define LABEL_COMMIT       "io.berth.commit"
#define LABEL_CONTENT_HASH "io.berth.content-hash"
#define LABEL_IMAGE_DIGEST "io.berth.image-digest"
#define LABEL_REFS         "io.berth.refs"
#define LABEL_CONTAINERS   "io.berth.containers"

typedef struct DeployIdentity {
        const char *repo;   /* io.berth.repo; "local" outside a repo */
        const char *commit; /* io.berth.commit; may be NULL */
        const char *refs; /* io.berth.refs: repo files outside the stack's directory it reads; may be NULL */
        /* io.berth.containers: how many the stack has at this commit, so that a deploy cut short (the
         * engine died) is noticed from the labels alone; 0: not written */
        unsigned containers;
        /* Where the stack's decrypted SOPS files are (runtime.h); NULL: it has none. */
        const char *runtime_dir;
} DeployIdentity;

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

/* Pieces of the model the swarm's service specs take the same way. A list of strings (numbers as
 * JSON) under key; a duration string as nanoseconds under key; a byte size ("50M" or a number); the
 * healthcheck as the engine's "Healthcheck" object in body. path names the field in errors. */
int container_string_list(cJSON *to, const char *key, const cJSON *from);
int container_duration(cJSON *to, const char *key, const cJSON *from, const char *path, BerthError *err);
int container_bytes(const cJSON *v, const char *path, int64_t *ret, BerthError *err);
int container_healthcheck(cJSON *body, const cJSON *hc, const char *svcpath, BerthError *err);
/* The model's string keys copied under the engine's names: map is {model key, engine key} pairs. */
void container_copy_strings(cJSON *to, const cJSON *svc, const char *const map[][2], size_t n);
