/* record.h: a standalone stack's deploy record, for the deploys that leave no new container behind to
 * say what they did.
 *
 * A stack's containers carry the commit and container count of the deploy that made them
 * (io.berth.commit, io.berth.containers), and status reads the newest one's. A deploy that makes
 * none (a scale-down; a change to a service scaled to 0; files updated in place) cannot say so there,
 * for container labels cannot be changed: the newest container goes on claiming the old count ("2
 * missing" where nothing is) and the old commit. Such a deploy writes the
 * record instead: an empty volume, "berth-record.<stack>", whose labels are the deploy's commit and
 * count. A deploy that creates containers removes it (its containers say it again), and so does down.
 * The volume holds no data; no compose volume can have its name (those are "<project>_<name>", and a
 * project name has no dot). */
#pragma once

#include "../engine/engine.h"
#include "../spec/labels.h"

/* Replaces the stack's record with one of id's commit and containers. */
int record_write(EngineClient *c, const char *project, const DeployIdentity *id, BerthError *err);
/* Removes the stack's record; none is no error. */
int record_remove(EngineClient *c, const char *project, BerthError *err);
/* The filter (JSON) that lists every stack's record from /volumes. */
#define RECORD_FILTER "{\"label\":[\"" LABEL_DEPLOY_RECORD "=true\"]}"
