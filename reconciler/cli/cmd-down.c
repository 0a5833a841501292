/* cmd-down.c: `berth down`, a stack's containers and networks removed; volumes only on request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "modes/modes.h"

static const CliCommand down_cmd = {
        .name = "down",
        .about = "Stops and removes the stack's containers in reverse dependency order, then its networks\n"
                 "(with --swarm: its services, networks, configs and secrets, as docker stack rm). Named\n"
                 "volumes are kept unless --volumes is given: data is never lost by default. -p alone is\n"
                 "enough: the stack is found by its labels.",
};

static void on_progress(void *ud, const char *what, const char *name, const char *error)
{
        if (error)
                fprintf(stderr, "  %s %s: %s\n", what, name, error);
        else
                printf("  %s%s%s: done\n", what, strstr(what, name) ? "" : " ",
                       strstr(what, name) ? "" : name);
}

int cmd_down(int argc, char **argv)
{
        _cleanup_(cli_compose_done) ComposeArgs args = { 0 };
        _cleanup_project_ Project *p = NULL;
        _cleanup_engine_ EngineClient *engine = NULL;
        DownOptions o = { .parallel = 8, .timeout_s = -1, .progress = on_progress, .env = &args.env };
        const char *host = NULL, *name;
        bool swarm = false;
        BerthError err = { 0 };
        int first, r;
        const CliOption opts[] = {
                CLI_COMPOSE_OPTIONS(&args),
                CLI_FLAG('v', "volumes", &o.volumes,
                         "also remove the stack's named volumes (with --swarm: on this node)"),
                CLI_NUMBER(
                        't', "timeout", "S", &o.timeout_s, 0, 86400,
                        "seconds of grace for every container (default: each service's\nstop_grace_period)"),
                CLI_FLAG(0, "swarm", &swarm, "remove the swarm stack, as docker stack rm"),
                CLI_HOST_OPTION(&host),
                CLI_END,
        };

        if (!cli_parse(&down_cmd, opts, argc, argv, &first, &r))
                return r;
        /* -p alone is enough: the stack is found by its labels, with no files needed. */
        name = args.o.project_name;
        if (!name || args.o.n_files) {
                if ((r = cli_compose_load(&args, &p)) != EXIT_DONE)
                        return r;
                name = p->name;
        } else if (!project_name_valid(name)) {
                fprintf(stderr, "berth down: invalid project name \"%s\"\n", name);
                return EXIT_USAGE;
        }
        if ((r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        r = deployer_of(swarm ? DEPLOY_SWARM : DEPLOY_COMPOSE)->down(engine, name, &o, &err);
        if (r < 0)
                return cli_report_error(&err, r, "berth down");
        return EXIT_DONE;
}
