/* ops.h: single-container engine operations the apply and down steps share. Each names the
 * container in its errors. */
#pragma once

#include "../engine/engine.h"
#include "container.h"
#include "../util/envmap.h"

/* Creates the container (removing nothing), connects its extra networks; returns its id. */
int ops_create(EngineClient *c, const ContainerSpec *spec, char **ret_id, BerthError *err);
int ops_start(EngineClient *c, const char *id, const char *name, BerthError *err);
/* Stops with the container's own stop signal and grace period (timeout_s < 0), or with timeout_s
 * seconds of grace; an already stopped one is fine. */
int ops_stop(EngineClient *c, const char *id, const char *name, long timeout_s, BerthError *err);
int ops_restart(EngineClient *c, const char *id, const char *name, BerthError *err);
/* Removes a (stopped) container and its anonymous volumes only if volumes is true. */
int ops_remove(EngineClient *c, const char *id, const char *name, bool volumes, BerthError *err);
/* An image's id, and its registry digest for a repository ("repo@sha256:..."): what a registry gave
 * when it was pulled or pushed, NULL when it has none (built here, never pushed). image is a reference
 * or an id; repo NULL: image's own repository. */
int ops_image(EngineClient *c, const char *image, const char *repo, char **ret_id, char **ret_digest,
              BerthError *err);
/* Inspects; *ret_json owned by the caller. */
int ops_inspect(EngineClient *c, const char *id, cJSON **ret_json, BerthError *err);
/* The last lines of a container's output, as text (the engine's stream framing removed). */
int ops_logs_tail(EngineClient *c, const char *id, unsigned lines, StrBuf *out, BerthError *err);

typedef enum WaitFor {
        WAIT_RUNNING,
        WAIT_HEALTHY,   /* running and, with a healthcheck, healthy */
        WAIT_COMPLETED, /* exited with status 0 */
} WaitFor;

/* Polls until the container reaches what, fails (exited, unhealthy), or timeout_s passes. */
int ops_wait(EngineClient *c, const char *id, const char *name, WaitFor what, long timeout_s,
             BerthError *err);
