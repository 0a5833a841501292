/* cmd-up.c: `berth up`, a stack brought to match its compose files on one engine, minimally. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "deploy/stack.h"

static void up_help(FILE *f)
{
        fprintf(f,
                "usage: berth up [-f FILE]... [-p NAME] [--wait] [--timeout S] [--remove-orphans] "
                "[--parallel N]\n"
                "                [--dry-run] [--swarm] [--host HOST]\n\n"
                "Creates, recreates, starts or removes exactly the containers that differ from the compose "
                "files,\n"
                "and says why for each. Unchanged containers are not touched.\n\n" CLI_COMPOSE_HELP
                "      --wait                 wait until every service is running and healthy\n"
                "      --timeout S            limit for --wait and depends_on conditions (default 120)\n"
                "      --remove-orphans       remove containers of services no longer in the files\n"
                "      --parallel N           engine operations at once (default: twice the engine's CPUs)\n"
                "      --dry-run              print the plan only\n"
                "      --swarm                deploy as swarm services on a manager, as docker stack "
                "deploy\n"
                "  -H, --host HOST            engine (default: DOCKER_HOST, unix:///var/run/docker.sock)\n\n"
                "exit codes: 0 done, 1 failed, 64 usage error\n");
}

static void on_warn(void *ud, const char *msg)
{
        cli_warn("%s", msg);
}

static void on_plan(void *ud, const Project *p, const Plan *plan)
{
        bool all = *(bool *)ud;
        size_t changes = plan_changes(plan);
        printf("stack %s: %zu change%s\n", p->name, changes, changes == 1 ? "" : "s");
        for (size_t i = 0; i < plan->n; i++) {
                const Action *a = &plan->actions[i];
                if (a->kind != ACTION_NOOP || all)
                        printf("  %-9s %-28s %s\n", action_kind_name(a->kind), a->container_name, a->reason);
        }
        fflush(stdout);
}

static void on_progress(void *ud, const Action *a, const char *phase, const char *error)
{
        if (strcmp(phase, "begin") == 0)
                return;
        if (error)
                fprintf(stderr, "  %-9s %s: %s\n", action_kind_name(a->kind), a->container_name, error);
        else
                printf("  %-9s %s: done\n", action_kind_name(a->kind), a->container_name);
        fflush(stdout);
}

enum {
        OPT_WAIT = OPT_FIRST_COMMAND_OPTION,
        OPT_TIMEOUT,
        OPT_REMOVE_ORPHANS,
        OPT_PARALLEL,
        OPT_DRY_RUN,
        OPT_SWARM,
};

int cmd_up(int argc, char **argv)
{
        static const struct option longopts[] = { CLI_COMPOSE_LONGOPTS,
                                                  { "wait", no_argument, NULL, OPT_WAIT },
                                                  { "timeout", required_argument, NULL, OPT_TIMEOUT },
                                                  { "remove-orphans", no_argument, NULL,
                                                    OPT_REMOVE_ORPHANS },
                                                  { "parallel", required_argument, NULL, OPT_PARALLEL },
                                                  { "dry-run", no_argument, NULL, OPT_DRY_RUN },
                                                  { "swarm", no_argument, NULL, OPT_SWARM },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "detach", no_argument, NULL, 'd' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        _cleanup_(cli_compose_done) ComposeArgs args = { 0 };
        _cleanup_project_ Project *p = NULL;
        _cleanup_engine_ EngineClient *engine = NULL;
        StackOptions o = { .timeout_s = 120, .warn = on_warn, .progress = on_progress, .on_plan = on_plan };
        const char *host = NULL;
        bool swarm = false;
        StackResult res = { 0 };
        BerthError err = { 0 };
        char *end;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "f:p:H:dh", longopts, NULL)) >= 0) {
                if ((r = cli_compose_option(&args, c, optarg)) != 0) {
                        if (r < 0)
                                return cli_report_error(NULL, r, "berth up");
                        continue;
                }
                switch (c) {
                case OPT_WAIT:
                        o.wait = true;
                        break;
                case OPT_TIMEOUT:
                        o.timeout_s = strtol(optarg, &end, 10);
                        if (*end || o.timeout_s <= 0) {
                                fprintf(stderr, "berth up: --timeout takes a positive number of seconds\n");
                                return EXIT_USAGE;
                        }
                        break;
                case OPT_REMOVE_ORPHANS:
                        o.remove_orphans = true;
                        break;
                case OPT_PARALLEL: {
                        long n = strtol(optarg, &end, 10);
                        if (*end || n < 1 || n > 256) {
                                fprintf(stderr, "berth up: --parallel takes a number from 1 to 256\n");
                                return EXIT_USAGE;
                        }
                        o.parallel = (unsigned)n;
                        break;
                }
                case OPT_DRY_RUN:
                        o.dry_run = true;
                        break;
                case OPT_SWARM:
                        swarm = true;
                        break;
                case 'H':
                        host = optarg;
                        break;
                case 'd':
                        break; /* always detached, as compose's -d */
                case 'h':
                        up_help(stdout);
                        return EXIT_DONE;
                default:
                        up_help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "berth up: unexpected argument \"%s\"\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (swarm)
                return swarm_up_main(&args, host, o.dry_run, o.remove_orphans, o.wait, o.timeout_s);
        if ((r = cli_compose_load(&args, &p)) != EXIT_DONE ||
            (r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        o.id = (DeployIdentity){ .repo = "local" };
        o.ud = &o.dry_run;

        r = stack_up(engine, p, &o, &res, &err);
        for (size_t i = 0; i < res.report.n; i++)
                if (res.report.services[i].result == RESULT_FAILED ||
                    res.report.services[i].result == RESULT_SKIPPED)
                        fprintf(stderr, "service %s %s: %s\n", res.report.services[i].service,
                                service_result_name(res.report.services[i].result),
                                res.report.services[i].message);
        stack_result_done(&res);
        if (r < 0)
                return cli_report_error(&err, r, "berth up");
        return EXIT_DONE;
}
