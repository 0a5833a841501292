/* stack.h: one stack (compose project) brought up or taken down on one engine.
 *
 * stack_up() checks everything it can before it changes anything: images exist (or are pulled),
 * external networks and volumes exist, every service is supported. Then it creates missing networks
 * and volumes, plans, applies, and with wait_s > 0 waits for every service to be running and healthy.
 * stack_down() removes containers in reverse dependency order, then networks; volumes only when asked. */
#pragma once

#include "../deployer/deployer.h"
#include "apply.h"

/* The compose deployer: stack_up, stack_down and live_list behind the deploy interface. */
extern const Deployer compose_deployer;

/* How many engine operations to run at once by default: twice the engine's CPUs, from 4 to 32. */
unsigned stack_parallelism(EngineClient *c);

int stack_up(EngineClient *c, const Project *p, const StackOptions *o, StackResult *ret, BerthError *err);

int stack_down(EngineClient *c, const char *project, const DownOptions *o, BerthError *err);

/* Restarts the stack's containers in dependency order, as `docker compose restart` does: a service goes
 * once every service it depends on has been restarted; each container is stopped with its own stop
 * signal and grace period, then started. done (may be NULL) hears of each container restarted, in
 * order. Nothing is created or removed. -ENOENT when the stack has no container. */
int stack_restart(EngineClient *c, const char *project, void (*done)(void *ud, const LiveContainer *lc),
                  void *ud, BerthError *err);
