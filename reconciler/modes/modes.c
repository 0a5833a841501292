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
        LiveSet live = { 0 }, services = { 0 };
        BerthError e = { 0 };
        int r = compose_deployer.live(c, &live, err), rs = 0;
        if (r >= 0 && (rs = swarm_deployer.live(c, &services, &e)) < 0 && rs != -EOPNOTSUPP) {
                *err = e;
                r = rs;
        }
        if (r >= 0)
                r = live_append(&live, &services);
        live_done(&services);
        if (r < 0) {
                live_done(&live);
                return r;
        }
        if (ret_manager)
                *ret_manager = rs >= 0;
        *ret = live;
        return 0;
}
