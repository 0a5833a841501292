/* cmd-down.c: `berth down`, a stack's containers and networks removed; volumes only on request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deploy/stack.h"

static void down_help(FILE *f)
{
        fprintf(f,
                "usage: berth down [-p NAME | -f FILE...] [--volumes] [--timeout S] [--swarm] [--host "
                "HOST]\n\n"
                "Stops and removes the stack's containers in reverse dependency order, then its networks.\n"
                "Named volumes are kept unless --volumes is given: data is never lost by "
                "default.\n\n" CLI_COMPOSE_HELP
                "  -v, --volumes              also remove the stack's named volumes\n"
                "  -t, --timeout S            seconds of grace for every container (default: each "
                "service's\n"
                "                             stop_grace_period)\n"
                "      --swarm                remove the swarm stack (services, networks, configs, "
                "secrets;\n"
                "                             volumes stay), as docker stack rm\n"
                "  -H, --host HOST            engine (default: DOCKER_HOST)\n\n"
                "exit codes: 0 done, 1 failed, 64 usage error\n");
}

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
        static const struct option longopts[] = { CLI_COMPOSE_LONGOPTS,
                                                  { "volumes", no_argument, NULL, 'v' },
                                                  { "timeout", required_argument, NULL, 't' },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "swarm", no_argument, NULL, 'S' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        _cleanup_(cli_compose_done) ComposeArgs args = { 0 };
        _cleanup_project_ Project *p = NULL;
        _cleanup_engine_ EngineClient *engine = NULL;
        DownOptions o = { .parallel = 8, .timeout_s = -1, .progress = on_progress };
        o.env = &args.env;
        char *end;
        const char *host = NULL, *name;
        bool swarm = false;
        BerthError err = { 0 };
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "f:p:vt:H:h", longopts, NULL)) >= 0) {
                if ((r = cli_compose_option(&args, c, optarg)) != 0) {
                        if (r < 0)
                                return cli_report_error(NULL, r, "berth down");
                        continue;
                }
                switch (c) {
                case 'v':
                        o.volumes = true;
                        break;
                case 't':
                        o.timeout_s = strtol(optarg, &end, 10);
                        if (*end || o.timeout_s < 0) {
                                fprintf(stderr, "berth down: --timeout takes a number of seconds\n");
                                return EXIT_USAGE;
                        }
                        break;
                case 'H':
                        host = optarg;
                        break;
                case 'S':
                        swarm = true;
                        break;
                case 'h':
                        down_help(stdout);
                        return EXIT_DONE;
                default:
                        down_help(stderr);
                        return EXIT_USAGE;
                }
        }
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
        if (swarm)
                return swarm_down_main(name, host);
        if ((r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        r = stack_down(engine, name, &o, &err);
        if (r < 0)
                return cli_report_error(&err, r, "berth down");
        return EXIT_DONE;
}
