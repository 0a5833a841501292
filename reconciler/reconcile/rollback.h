/* rollback.h: where `berth rollback STACK` goes back to when no commit is named: the newest commit
 * before the deployed one in which the stack's files differ. */
#pragma once

#include "../engine/engine.h"
#include "../gitops/repo.h"

/* Reads the commit the stack was deployed from off the engine (in either mode), and finds in repo the
 * newest earlier commit that changed the stack's directory (or file). Returns 0 with ret set, 1 when
 * the engine runs nothing of the stack from a commit, or a negative errno with err set. */
int rollback_previous(EngineClient *c, Repo *repo, const char *stack, char ret[41], BerthError *err);
