/* order.h: which stacks of a plan must wait for which (internal to reconcile/).
 *
 * Stacks are applied side by side, except that a stack waits for every stack of the plan that creates
 * an external network or volume it uses, and for the stacks its stack.json names in depends_on_stacks.
 * Edges point only at stacks the plan changes: one that is skipped, refused or invalid has nothing to
 * wait for. */
#pragma once

#include "reconcile.h"

/* The networks and volumes the plan's changing stacks create, by name:
 * {"networks": {name: stack}, "volumes": {name: stack}}; owned by the caller, NULL without memory. */
cJSON *order_provided(const ReconcilePlan *plan);
/* Fills each stack's after[] and says why in its reason. Stacks that wait for each other in a circle
 * are made invalid, with the circle in their error. */
int order_stacks(ReconcilePlan *plan, const cJSON *provided);
