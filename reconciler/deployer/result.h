/* result.h: what a deployer plans and reports for a stack, whichever mode deploys it: actions with
 * their reasons, the per-service outcome of applying them, and the image each service resolved to.
 * Each owns what it holds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum ActionKind {
        ACTION_NOOP,
        ACTION_CREATE,
        ACTION_RECREATE,
        ACTION_START,
        ACTION_RESTART,
        ACTION_REMOVE,
        ACTION_ORPHAN, /* a container of a service no longer in the model, kept */
        ACTION_UPDATE, /* a swarm service updated in place (its tasks replaced by swarm) */
} ActionKind;

typedef struct Action {
        ActionKind kind;
        char *service;
        unsigned number;
        char *container_id; /* the live container acted on; NULL for create */
        char *container_name;
        bool never_started; /* the live container is "created": it holds nothing worth keeping */
        char reason[256];
} Action;

typedef struct Plan {
        Action *actions;
        size_t n;
} Plan;

typedef struct ServiceHash {
        const char *service;
        const char *hash;
        const char *image;  /* what containers are created from: a pin ("repo@sha256:..."); NULL: the
                             * model's image */
        const char *digest; /* the registry digest it resolved to ("repo@sha256:..."), or NULL */
} ServiceHash;

typedef enum ServiceResult {
        RESULT_UNCHANGED,
        RESULT_CHANGED,
        RESULT_FAILED,
        RESULT_SKIPPED, /* a dependency failed */
} ServiceResult;

typedef struct ServiceReport {
        char *service;
        ServiceResult result;
        char message[1024];
        double seconds;
} ServiceReport;

typedef struct ApplyReport {
        ServiceReport *services;
        size_t n;
        size_t failed;
} ApplyReport;

typedef struct StackResult {
        Plan plan;
        ApplyReport report;
        ServiceHash *hashes; /* hash, image and digest owned */
        size_t n_hashes;
} StackResult;

void plan_done(Plan *plan);
const char *action_kind_name(ActionKind k);
/* Counts the actions that change something. */
size_t plan_changes(const Plan *plan);

/* Appends service's outcome (msg may be NULL) to r, counting failures. */
int apply_report_add(ApplyReport *r, const char *service, ServiceResult result, const char *msg);
void apply_report_done(ApplyReport *r);
const char *service_result_name(ServiceResult r);

void stack_result_done(StackResult *r);
