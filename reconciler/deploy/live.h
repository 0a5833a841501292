/* live.h: the containers a standalone engine runs of berth's stacks, listed into a LiveSet. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../engine/engine.h"
#include "../spec/liveset.h"

/* Lists the containers of project (all states). project NULL: every berth-managed container. */
int live_list(EngineClient *c, const char *project, LiveSet *ret, BerthError *err);
/* Adds every stack's deploy record (record.h) to ret: the stacks whose last deploy made no container
 * (a plan, status and berth-api's live state read them; live_list does not ask, for what does not). */
int live_records(EngineClient *c, LiveSet *ret, BerthError *err);
/* The containers of project (NULL: every stack's) as `berth ps` rows: ID, Name, Project, Service,
 * Number, State, Status, Image, Ports ("127.0.0.1:8080->80/tcp, ..."), ContentHash and Commit. */
/* Podman's container list has no health in its Status ("Up 2 minutes"): its containers' health, asked
 * by filter, is added as Docker writes it (" (healthy)"), for what shows it. Docker's: nothing to do. */
int live_health(EngineClient *c, LiveSet *ls, BerthError *err);
int live_rows(EngineClient *c, const char *project, cJSON **ret, BerthError *err);
