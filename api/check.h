/* check.h: a stack's directory as a change would commit it, loaded as the reconciler loads it and held to
 * the policy.
 *
 * berth-api never trusts that what it renders is all that will be deployed: the reconciler reads the
 * whole directory (an override file merges, a .env interpolates), so every route that writes checks the
 * directory as it will stand after the commit, whatever the change's origin (a rendered template, a
 * revert to an old revision). The check reads nothing of the host: files are held in memory under a root
 * with a fresh random part. */
#pragma once

#include "gitops/write.h"
#include "policy/policy.h"

struct Project;
struct Source;

typedef struct StackCheck {
        PolicyViolations violations; /* filled when the policy refuses */
        BerthError err;              /* what is wrong when the directory does not load */
} StackCheck;

void stack_check_done(StackCheck *c);

/* Loads stacks/<name>/ as head has it with changes applied (those under it) and checks it against pol.
 * 0: allowed; -EPERM: refused (c->violations); -EINVAL: it would not load (c->err); -ENOMEM. With
 * ret_project and ret_source, hands over what was loaded (the caller frees them). */
int stack_check(const Policy *pol, Repo *repo, const char *head, const char *name, const ChangeSet *changes,
                StackCheck *c, struct Project **ret_project, struct Source **ret_source);
