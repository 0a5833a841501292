/* plan.h: what must change for a stack's services to match the model, and why.
 *
 * plan_services() is a pure function of the model, the services' content hashes and the live
 * containers: it talks to no engine, so it is tested on its own. A Plan owns its actions. */
#pragma once

#include <stdbool.h>

#include "../compose/project.h"
#include "live.h"

typedef enum ActionKind {
        ACTION_NOOP,
        ACTION_CREATE,
        ACTION_RECREATE,
        ACTION_START,
        ACTION_RESTART,
        ACTION_REMOVE,
        ACTION_ORPHAN, /* a container of a service no longer in the model, kept */
        ACTION_UPDATE, /* a swarm service updated in place (its tasks replaced by swarm) */
} ActionKind;

typedef struct Action {
        ActionKind kind;
        char *service;
        unsigned number;
        char *container_id; /* the live container acted on; NULL for create */
        char *container_name;
        bool never_started; /* the live container is "created": it holds nothing worth keeping */
        char reason[256];
} Action;

typedef struct Plan {
        Action *actions;
        size_t n;
} Plan;

typedef struct ServiceHash {
        const char *service;
        const char *hash;
        const char *image;  /* what containers are created from: a pin ("repo@sha256:..."); NULL: the
                             * model's image */
        const char *digest; /* the registry digest it resolved to ("repo@sha256:..."), or NULL */
} ServiceHash;

int plan_services(const Project *p, const ServiceHash *hashes, size_t n_hashes, const LiveSet *live,
                  bool remove_orphans, Plan *ret);
void plan_done(Plan *plan);
const char *action_kind_name(ActionKind k);
/* How many replicas the model asks for (deploy.replicas, default 1). */
unsigned plan_replicas(const cJSON *service);
/* Counts the actions that change something. */
size_t plan_changes(const Plan *plan);
