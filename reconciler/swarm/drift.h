/* drift.h: whether a service on the manager still is what berth last sent it.
 *
 * A service changed by hand (`docker service update --env-add ...`) keeps berth's labels, so its
 * content hash cannot tell; its spec can. Pure: it compares two JSON documents and talks to no engine. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Whether the live spec holds everything want says. What the engine adds of its own (defaults, a
 * network's ID for its name) is no difference, nor are the service's own labels (they carry the
 * commit, which moves on without the service changing). Where it differs, the first field that does
 * is named in where: "TaskTemplate.ContainerSpec.Env". */
bool swarm_spec_covers(const cJSON *want, const cJSON *live, char *where, size_t size);
