/* deployer.c: compose behind the deploy interface: containers on a standalone engine. */
#include "live.h"
#include "stack.h"

static int compose_live(EngineClient *c, LiveSet *ret, BerthError *err)
{
        return live_list(c, NULL, ret, err);
}

static int compose_up(EngineClient *c, const Project *p, const StackOptions *o, Source *src,
                      StackResult *ret, BerthError *err)
{
        (void)src; /* containers bind-mount the stack's files where the state dir has them */
        return stack_up(c, p, o, ret, err);
}

static const PsColumn compose_columns[] = {
        { "NAME", "Name", 32 },     { "SERVICE", "Service", 16 }, { "STATE", "State", 10 },
        { "STATUS", "Status", 28 }, { "PORTS", "Ports", 0 },      { NULL },
};

const Deployer compose_deployer = {
        .mode = DEPLOY_COMPOSE,
        .name = "compose",
        .live = compose_live,
        .up = compose_up,
        .down = stack_down,
        .ps = live_rows,
        .ps_columns = compose_columns,
};
