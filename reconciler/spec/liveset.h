/* liveset.h: what an engine runs of berth's stacks, one unit per container or swarm service, as
 * read back from its labels (labels.h). The listing is each deployer's (deploy/live.h, swarm/live.h);
 * the set is theirs in common, and what the deploy interface hands reconcile. A LiveSet owns its units. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

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

/* A stack's deploy record (deploy/record.h): what its last deploy left, when no container says it. */
typedef struct LiveRecord {
        char *project;
        char *commit; /* may be NULL */
        char *repo;   /* may be NULL */
        unsigned containers;
} LiveRecord;

typedef struct LiveSet {
        LiveContainer *items;
        size_t n;
        LiveRecord *records;
        size_t n_records;
} LiveSet;

/* Moves the units and records of from to the end of into's (emptying from). */
int live_append(LiveSet *into, LiveSet *from);
void live_done(LiveSet *s);
/* The container of service with that replica number, or NULL. */
LiveContainer *live_find(LiveSet *s, const char *service, unsigned number);
