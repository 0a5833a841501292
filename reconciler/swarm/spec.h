/* spec.h: what a swarm manager is asked to create for a compose service, a network, a config or a
 * secret of a stack: Engine API ServiceSpec, NetworkCreate, ConfigSpec and SecretSpec JSON.
 *
 * Reads only the canonical model (compose/), as `docker stack deploy` maps it (docker/cli's
 * cli/compose/convert), so `docker stack ls/ps/services/rm` see berth's stacks: services are
 * <stack>_<service>, networks <stack>_<key> (the model's names), and everything carries
 * com.docker.stack.namespace. Unlike `docker stack deploy`, configs and secrets are named after their
 * content (<name>_<12 hex of its sha256>): swarm forbids changing one in place, so a changed file is a
 * new object, and exactly its users are updated. */
#pragma once

#include "../compose/project.h"
#include "../spec/fields.h"
#include "../spec/labels.h"

#define LABEL_STACK_NAMESPACE "com.docker.stack.namespace"
#define LABEL_STACK_IMAGE     "com.docker.stack.image"

/* The swarm objects a service refers to, as they exist on the manager: {"configs": {key: {"Name":
 * ..., "ID": ...}}, "secrets": {...}} for every config and secret of the model it uses. */
typedef struct SwarmRefs {
        const cJSON *objects;
} SwarmRefs;

/* The ServiceSpec of service. hash is its content hash (io.berth.content-hash), image what it runs
 * (NULL: the model's; a digest-pinned reference when resolved), digest the registry digest recorded
 * (NULL: none). warn hears of each key swarm cannot honour, by name. */
int swarm_service_spec(const Project *p, const char *service, const char *hash, const char *image,
                       const char *digest, const SwarmRefs *refs, const DeployIdentity *id,
                       void (*warn)(void *ud, const char *msg), void *ud, cJSON **ret, BerthError *err);

/* The engine name of a config or secret (kind: "configs" or "secrets") of the model whose content has
 * this sha256 (hex): the model's name, then "_" and 12 hex digits. */
int swarm_object_name(const Project *p, const char *kind, const char *key, const char *sha256_hex, char *buf,
                      size_t size);

/* The engine name of the model's network key: its name, else <stack>_<key>. */
void swarm_network_name(const Project *p, const char *key, char *buf, size_t size);

/* The NetworkCreate body for the model's network key (overlay unless it names a driver), or NULL in
 * *ret for an external one. */
int swarm_network_spec(const Project *p, const char *key, const DeployIdentity *id, cJSON **ret,
                       BerthError *err);

/* The network keys the stack's services attach to ("default" when a service names none), as the
 * members of an object. */
cJSON *swarm_service_networks(const Project *p);
