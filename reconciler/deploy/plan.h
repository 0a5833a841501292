/* plan.h: what must change for a stack's services to match the model, and why.
 *
 * plan_services() is a pure function of the model, the services' content hashes and the live
 * containers: it talks to no engine, so it is tested on its own. A Plan owns its actions. */
#pragma once

#include <stdbool.h>

#include "../compose/project.h"
#include "../deployer/result.h"
#include "live.h"

int plan_services(const Project *p, const ServiceHash *hashes, size_t n_hashes, const LiveSet *live,
                  bool remove_orphans, Plan *ret);
/* How many replicas the model asks for (deploy.replicas, default 1). */
unsigned plan_replicas(const cJSON *service);
