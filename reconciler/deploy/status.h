/* status.h: every stack berth manages on one engine, summed up from its containers' labels, as
 * `berth status` shows it and berth-api's GET /stacks reports it: the commit it was deployed from,
 * its services, running against expected, health, and drift. A StatusList owns what it points to. */
#pragma once

#include <stdbool.h>

#include "live.h"

typedef struct ServiceStatus {
        const char *name;
        const char *state;  /* the first container's: running, exited, ... */
        const char *digest; /* its io.berth.image-digest ("repo@sha256:..."), or NULL */
        unsigned containers, running;
} ServiceStatus;

typedef struct StackStatus {
        const char *name;
        const char *commit; /* NULL when unknown */
        const char *repo;
        bool swarm;           /* swarm services: containers and running count services */
        bool several_commits; /* normal after a partial update: untouched containers keep theirs */
        unsigned containers, running, healthy, unhealthy, starting;
        unsigned expected; /* containers its newest deploy made (io.berth.containers) */
        ServiceStatus *services;
        size_t n_services;
        double newest; /* when its newest container was created */
} StackStatus;

typedef struct StatusList {
        StackStatus *items;
        size_t n;
        LiveSet live;
} StatusList;

/* The standalone engine's stacks (its containers). */
/* The stacks of a listing of units (containers, swarm services or both), which the list takes over,
 * with the deploy records (record.h) the engine holds. */
int status_list_of(EngineClient *engine, LiveSet *live, StatusList *ret, BerthError *err);
void status_list_done(StatusList *l);
const StackStatus *status_find(const StatusList *l, const char *name);
/* "unhealthy", "starting" (a healthcheck has not passed yet), "healthy", or "-" when no container has a
 * healthcheck. */
const char *stack_status_health(const StackStatus *s);
/* Whether the engine differs from the last deploy, and how: "2 missing", "not running". */
bool stack_status_drift(const StackStatus *s, char *buf, size_t size);
/* The stack as an object of berth status --format json (its target and engine are the caller's). */
cJSON *stack_status_json(const StackStatus *s, bool drifted);
