/* policy.h: what a stack may ask of the host, and the check of a compose project against it.
 *
 * berth-api renders stacks for people who must never reach the Docker daemon; the policy is what
 * keeps a form from becoming root on the host. Everything that gives a container the host's power is
 * refused unless the policy file allows it: privileged mode, the host's namespaces, joining a container
 * outside the stack, added capabilities, devices, switching confinement off, host ports below 1024,
 * and bind mounts outside the stack's own directory (the Docker socket and "/" only when listed
 * exactly). The file is YAML; every key is a rule's name, and a refusal names the rule that would
 * allow it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../compose/project.h"
#include "../util/error.h"

typedef struct Policy Policy;

typedef struct PolicyViolation {
        char service[128]; /* the service, or "" for a top-level object */
        char key[256];     /* where in the model: "privileged", "volumes[0].source", "networks.h.name" */
        char rule[32];     /* the policy key that would allow it */
        char message[512];
        char where[320]; /* file:line:col of the offending value, when known */
} PolicyViolation;

typedef struct PolicyViolations {
        PolicyViolation *items;
        size_t n;
} PolicyViolations;

/* The policy that allows nothing of the above: what berth-api uses without --policy. */
int policy_default(Policy **ret);
/* Parses a policy file's text; errors name file:line:col. */
int policy_parse(const char *text, size_t len, const char *file, Policy **ret, BerthError *err);
int policy_load(const char *path, Policy **ret, BerthError *err);
Policy *policy_free(Policy *p);

/* Checks every service and top-level object of p. stack_dir is where the stack's own files are: a bind
 * mount under it is the stack's own data. Returns the number of violations (0: allowed), or -ENOMEM. */
int policy_check(const Policy *pol, const Project *p, const char *stack_dir, PolicyViolations *out);
void policy_violations_done(PolicyViolations *v);

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free)
#define _cleanup_policy_ _cleanup_(policy_freep)
