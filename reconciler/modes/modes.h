/* modes.h: the deployer of each deploy mode (deployer/deployer.h), and what an engine runs of berth's
 * stacks in every mode at once. The one place that knows both implementations, so that what calls
 * them (reconcile, the CLI, berth-api) knows neither. */
#pragma once

#include "../deployer/deployer.h"

const Deployer *deployer_of(DeployMode m);

/* Everything berth deployed on the engine in either mode: its containers, then its swarm services.
 * An engine that is no swarm manager has no services, and *ret_manager says which it is. */
int deployer_live_all(EngineClient *c, LiveSet *ret, bool *ret_manager, BerthError *err);
