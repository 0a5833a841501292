/* live.h: what a swarm manager runs of berth's stacks, read back from the services' labels.
 *
 * Each service is one unit of a LiveSet (spec/liveset.h), marked swarm: its project is the stack
 * (com.docker.stack.namespace), its state "running" when as many tasks run as the service asks for
 * (else "degraded"), its status line "2/3 tasks running", and raw holds {"Labels": the service's,
 * "Created": when it was last written, in seconds}. The set owns what it holds. */
#pragma once

#include "../engine/engine.h"
#include "../spec/liveset.h"

/* Every service berth deployed. -EOPNOTSUPP, said plainly, when the engine is not a swarm manager. */
int swarm_live_list(EngineClient *c, LiveSet *ret, BerthError *err);
