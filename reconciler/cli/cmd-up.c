/* cmd-up.c: `berth up`, a stack brought to match its compose files on one engine, minimally. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "modes/modes.h"

static const CliCommand up_cmd = {
        .name = "up",
        .about =
                "Creates, recreates, starts or removes exactly the containers (with --swarm: the services)\n"
                "that differ from the compose files, and says why for each. What is unchanged is not "
                "touched.",
};

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

int cmd_up(int argc, char **argv)
{
        _cleanup_(cli_compose_done) ComposeArgs args = { 0 };
        _cleanup_project_ Project *p = NULL;
        _cleanup_engine_ EngineClient *engine = NULL;
        StackOptions o = { .timeout_s = 120, .warn = on_warn, .progress = on_progress, .on_plan = on_plan };
        const char *host = NULL;
        bool swarm = false;
        long parallel = 0;
        StackResult res = { 0 };
        BerthError err = { 0 };
        int first, r;
        const CliOption opts[] = {
                CLI_COMPOSE_OPTIONS(&args),
                CLI_FLAG(0, "wait", &o.wait, "wait until every service is running and healthy"),
                CLI_NUMBER(0, "timeout", "S", &o.timeout_s, 1, 86400,
                           "limit for --wait and depends_on conditions (default 120)"),
                CLI_FLAG(0, "remove-orphans", &o.remove_orphans,
                         "remove what services no longer in the files left"),
                CLI_NUMBER(0, "parallel", "N", &parallel, 1, 256,
                           "engine operations at once (default: twice the engine's CPUs)"),
                CLI_FLAG(0, "dry-run", &o.dry_run, "print the plan only"),
                CLI_FLAG(0, "swarm", &swarm,
                         "deploy as swarm services on a manager, as docker stack deploy"),
                CLI_HOST_OPTION(&host),
                CLI_IGNORED('d', "detach", "always detached, as compose's -d"),
                CLI_END,
        };

        if (!cli_parse(&up_cmd, opts, argc, argv, &first, &r))
                return r;
        o.parallel = (unsigned)parallel;
        if ((r = cli_compose_load(&args, &p)) != EXIT_DONE ||
            (r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        o.id = (DeployIdentity){ .repo = "local" };
        o.env = &args.env;
        o.ud = &o.dry_run;

        r = deployer_of(swarm ? DEPLOY_SWARM : DEPLOY_COMPOSE)->up(engine, p, &o, NULL, &res, &err);
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
