/* live.h: the engine, for the routes that report what runs. It is optional: without one (none given, or
 * it does not answer) those routes still answer from git, and say why the live part is missing. */
#pragma once

#include <pthread.h>

#include "deploy/status.h"
#include "engine/engine.h"

typedef struct Live {
        EngineConfig cfg;
        bool configured;
        char why[256];        /* why there is no engine, when !configured */
        EngineClient *client; /* made at first use, then cloned per request */
        pthread_mutex_t lock;
} Live;

/* host: -H or the config file's docker_host; NULL: DOCKER_HOST and the TLS variables, as docker reads
 * them. Never fails: a bad setting is remembered as the reason there is no live state. */
void live_init(Live *l, const char *host, const EnvMap *env);
void live_fini(Live *l);
/* A client of the request's own; NULL with why filled when the engine cannot be reached. */
EngineClient *live_client(Live *l, char *why, size_t size);
