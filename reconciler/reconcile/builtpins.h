/* builtpins.h: the images a commit's own image descriptors built, for the stacks of that commit.
 *
 * A stack whose service names an image a descriptor of the same repo builds, by a tag that `berth
 * build` gives at that commit (image.json's tags, the commit's short id, latest), runs the image built
 * from that commit's inputs (found by its build hash), even when the tag has moved on since (another
 * pipeline's build): the commit deploys what it built. Only where the tag names other bytes is a pin
 * made; otherwise the service runs its tag as always. */
#pragma once

#include "../compose/project.h"
#include "../engine/engine.h"
#include "../gitops/repo.h"
#include "settings.h"

/* The commit's descriptors, loaded once for every stack of a plan; each one's build is looked up on
 * the engine when a service first names it. */
typedef struct BuiltImages BuiltImages;

/* The descriptors at berth.yaml's commit (s); NULL when it has none (or they cannot be read: no pins
 * then, not an error). */
BuiltImages *built_images_new(Repo *repo, const Settings *s, const EnvMap *env);
BuiltImages *built_images_free(BuiltImages *b);
/* Fills *ret with {service: "repo@sha256:..." or an image id} for the services to pin; NULL when there
 * are none. A service that cannot be matched simply runs its tag. */
int built_pins(EngineClient *c, BuiltImages *b, const Project *p, cJSON **ret);
