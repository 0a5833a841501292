/* live.h: what the engine runs for a stack, read back from labels (DESIGN.md: state lives on the
 * target). A LiveSet owns its containers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../engine/engine.h"

typedef struct LiveContainer {
        char *id;
        char *name;
        char *project; /* the stack: com.docker.compose.project (a swarm service's namespace) */
        char *service;
        unsigned number;
        char *hash;   /* io.berth.content-hash, or compose's config-hash */
        char *state;  /* created, running, exited, ... */
        char *status; /* "Up 2 minutes (healthy)" */
        char *commit; /* io.berth.commit */
        char *repo;   /* io.berth.repo */
        bool oneoff;
        bool swarm; /* a swarm service (swarm/live.h), not a container */
        cJSON *raw; /* the engine's list entry */
} LiveContainer;

typedef struct LiveSet {
        LiveContainer *items;
        size_t n;
} LiveSet;

/* Moves the units of from to the end of into (emptying from). */
int live_append(LiveSet *into, LiveSet *from);
/* Lists the containers of project (all states). project NULL: every berth-managed container. */
int live_list(EngineClient *c, const char *project, LiveSet *ret, BerthError *err);
void live_done(LiveSet *s);
/* The container of service with that replica number, or NULL. */
LiveContainer *live_find(LiveSet *s, const char *service, unsigned number);
