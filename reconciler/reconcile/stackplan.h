/* stackplan.h: what the plan and the apply share about one stack of a plan (internal to reconcile/).
 *
 * A StackPlan owns its strings, its loaded project and its result; stackplan_done() frees them all.
 * A stack is loaded from a commit's git objects as it will stand in its directory under the state
 * dir (statedir.h), and written there only by stackplan_sync(). */
#pragma once

#include "../statedir/statedir.h"
#include "reconcile.h"
#include "settings.h"

/* The loaded project and its root, not the plan's verdict or result. */
void stackplan_unload(StackPlan *s);
void stackplan_done(StackPlan *s);
int stackplan_set_desc(StackPlan *s, const StackDesc *d);
/* Loads the stack as commit has it (it must have its desc set). */
int stackplan_load(Repo *repo, const char *commit, const ReconcileOptions *o, StateDir *sd, StackPlan *s,
                   BerthError *err);
/* The source the stack was loaded from, for an apply's threads: its reads hold the repo's lock. */
int stackplan_shared_source(Repo *repo, const StackPlan *s, Source **ret);
/* Writes the stack's files as commit has them into its directory, with the manifest. */
int stackplan_sync(Repo *repo, const char *commit, StateDir *sd, const StackPlan *s, BerthError *err);
/* The repo files outside the stack's directory that it reads, comma-separated (the io.berth.refs
 * label; "" for none) into *ret, owned by the caller. */
int stackplan_outside_refs(const StackPlan *s, const StackDesc *d, char **ret);
/* Whether the comma-separated list holds path as a whole entry (not as part of another). */
bool stackplan_refs_has(const char *list, const char *path);
