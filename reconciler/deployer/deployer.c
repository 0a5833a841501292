/* deployer.c: the names of the deploy modes. */
#include <errno.h>
#include <string.h>

#include "deployer.h"

static const char *const names[] = { [DEPLOY_COMPOSE] = "compose", [DEPLOY_SWARM] = "swarm" };

int deploy_mode_parse(const char *s, DeployMode *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (s && strcmp(s, names[i]) == 0) {
                        *ret = (DeployMode)i;
                        return 0;
                }
        return -EINVAL;
}

const char *deploy_mode_name(DeployMode m)
{
        return m == DEPLOY_SWARM ? names[DEPLOY_SWARM] : names[DEPLOY_COMPOSE];
}
