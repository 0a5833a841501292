/* modes.c: the compose and swarm deployers by mode. */
#include <errno.h>

#include "../deploy/stack.h"
#include "../swarm/stack.h"
#include "modes.h"

const Deployer *deployer_of(DeployMode m)
{
        return m == DEPLOY_SWARM ? &swarm_deployer : &compose_deployer;
}

int deployer_live_all(EngineClient *c, LiveSet *ret, bool *ret_manager, BerthError *err)
{
        LiveSet live = { 0 };
        BerthError e = { 0 };
        int r = compose_deployer.live(c, &live, err);
        if (r < 0) {
                live_done(&live);
                return r;
        }
        r = swarm_deployer.live(c, &live, &e);
        if (r < 0 && r != -EOPNOTSUPP) {
                live_done(&live);
                *err = e;
                return r;
        }
        if (ret_manager)
                *ret_manager = r >= 0;
        *ret = live;
        return 0;
}
