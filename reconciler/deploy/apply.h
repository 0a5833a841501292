/* apply.h: carries out a Plan on the engine as a dependency graph.
 *
 * Every service runs in its own thread once the services it depends on are done; engine operations
 * are bounded by opts->budget (shared with whatever else uses it), or without one by opts->parallel. A service whose dependency failed is not touched. Progress
 * goes to opts->progress, called one at a time. Results are per service, owned by the ApplyReport. */
#pragma once

#include "../engine/engine.h"
#include "../deployer/budget.h"
#include "../deployer/result.h"
#include "container.h"
#include "plan.h"

typedef struct ApplyOptions {
        OpBudget *budget; /* NULL: one of opts->parallel slots for this apply alone */
        unsigned parallel;
        long timeout_s; /* waiting for depends_on conditions */
        const DeployIdentity *id;
        void (*progress)(void *ud, const Action *a, const char *phase, const char *error);
        void *ud;
} ApplyOptions;

int apply_plan(EngineClient *c, const Project *p, const Plan *plan, const ServiceHash *hashes,
               size_t n_hashes, const ApplyOptions *opts, ApplyReport *ret, BerthError *err);
