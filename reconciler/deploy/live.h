/* live.h: the containers a standalone engine runs of berth's stacks, listed into a LiveSet. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../engine/engine.h"
#include "../spec/liveset.h"

/* Lists the containers of project (all states). project NULL: every berth-managed container, and
 * every stack's deploy record (record.h). */
int live_list(EngineClient *c, const char *project, LiveSet *ret, BerthError *err);
/* The containers of project (NULL: every stack's) as `berth ps` rows: ID, Name, Project, Service,
 * Number, State, Status, Image, Ports ("127.0.0.1:8080->80/tcp, ..."), ContentHash and Commit. */
/* Podman's container list has no health in its Status ("Up 2 minutes"): its containers' health, asked
 * by filter, is added as Docker writes it (" (healthy)"), for what shows it. Docker's: nothing to do. */
int live_health(EngineClient *c, LiveSet *ls, BerthError *err);
int live_rows(EngineClient *c, const char *project, cJSON **ret, BerthError *err);
