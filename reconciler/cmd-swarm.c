/* cmd-swarm.c: `berth up/down/ps --swarm`, a stack as swarm services, as `docker stack deploy -c
 * FILE STACK`, `docker stack rm` and `docker stack ps` are used. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "yaml/emit.h"
#include "swarm/stack.h"

static void on_warn(void *ud, const char *msg)
{
        cli_warn("%s", msg);
}

static void on_action(void *ud, const SwarmAction *a, const char *error)
{
        bool all = *(bool *)ud;
        char what[300];
        snprintf(what, sizeof(what), "%s%s", a->network ? "network " : "", a->service);
        if (!error) {
                if (a->kind != SWARM_NOOP || all)
                        printf("  %-9s %-28s %s\n", swarm_action_name(a->kind), what, a->reason);
        } else if (*error)
                fprintf(stderr, "  %-9s %s: %s\n", swarm_action_name(a->kind), what, error);
        else
                printf("  %-9s %s: done\n", swarm_action_name(a->kind), what);
        fflush(stdout);
}

static void on_removed(void *ud, const char *what, const char *name)
{
        printf("  %s %s: removed\n", what, name);
}

int swarm_up_main(ComposeArgs *args, const char *host, bool dry_run, bool remove_orphans, bool wait,
                  long timeout_s)
{
        _cleanup_project_ Project *p = NULL;
        _cleanup_engine_ EngineClient *engine = NULL;
        SwarmResult res = { 0 };
        BerthError err = { 0 };
        int r;

        if ((r = cli_compose_load(args, &p)) != EXIT_DONE ||
            (r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        SwarmOptions o = { .env = &args->env,
                           .remove_orphans = remove_orphans,
                           .dry_run = dry_run,
                           .id = { .repo = "local" },
                           .warn = on_warn,
                           .on_action = on_action,
                           .on_removed = on_removed,
                           .ud = &o.dry_run };
        printf("stack %s (swarm)\n", p->name);
        r = swarm_stack_up(engine, p, &o, &res, &err);
        if (r >= 0 && wait && !dry_run)
                r = swarm_stack_wait(engine, p, &res, timeout_s, &err);
        size_t changes = 0;
        /* Services changed, as docker stack deploy counts them: networks come with them. */
        for (size_t i = 0; i < res.n; i++)
                changes += res.actions[i].kind != SWARM_NOOP && !res.actions[i].network;
        swarm_result_done(&res);
        if (r < 0)
                return cli_report_error(&err, r, "berth up");
        printf("stack %s: %zu change%s\n", p->name, changes, changes == 1 ? "" : "s");
        return EXIT_DONE;
}

int swarm_down_main(const char *stack, const char *host)
{
        _cleanup_engine_ EngineClient *engine = NULL;
        BerthError err = { 0 };
        int r;
        if ((r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        if ((r = swarm_stack_down(engine, stack, false, on_removed, NULL, &err)) < 0)
                return cli_report_error(&err, r, "berth down");
        return EXIT_DONE;
}

int swarm_ps_main(const char *stack, const char *host, bool json)
{
        _cleanup_engine_ EngineClient *engine = NULL;
        _cleanup_cjson_ cJSON *tasks = NULL;
        BerthError err = { 0 };
        int r;
        if ((r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        if ((r = swarm_stack_tasks(engine, stack, &tasks, &err)) < 0)
                return cli_report_error(&err, r, "berth ps");
        if (json) {
                _cleanup_free_ char *s = cJSON_Print(tasks);
                puts(s ? s : "[]");
                return EXIT_DONE;
        }
        printf("%-30s %-16s %-9s %-9s %s\n", "TASK", "NODE", "DESIRED", "STATE", "ERROR");
        for (const cJSON *t = tasks->child; t; t = t->next) {
                char name[300];
                const cJSON *slot = cJSON_GetObjectItemCaseSensitive(t, "slot");
                const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "service"));
                if (cJSON_IsNumber(slot))
                        snprintf(name, sizeof(name), "%s.%.0f", svc, slot->valuedouble);
                else
                        snprintf(name, sizeof(name), "%s.%s", svc,
                                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "node")));
                printf("%-30s %-16s %-9s %-9s %s\n", name,
                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "node")),
                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "desired")),
                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "state")),
                       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "error")));
        }
        return EXIT_DONE;
}
