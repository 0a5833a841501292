/* cmd-status.c: `berth status`, every stack berth manages on the engine: deployed commit, services,
 * health, and drift (containers not running). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deploy/live.h"
#include "util/json.h"
#include "deploy/container.h"
#include "deploy/status.h"
#include "modes/modes.h"
#include "yaml/emit.h"

static const CliCommand status_cmd = {
        .name = "status",
        .about = "Shows each stack berth manages on the engine: the commit it was deployed from, its "
                 "services,\n"
                 "their health, and drift (containers that are not running, or fewer than its last deploy\n"
                 "made). A swarm stack counts services: running when all their tasks run. Run in a config\n"
                 "repo whose berth.yaml names targets, it shows every target (--target: one).",
};

/* One engine's stacks, as rows of the table or objects of the JSON array. */
static int status_of(EngineClient *engine, const char *target, bool json, StrBuf *out, StrBuf *foot,
                     cJSON *doc)
{
        StatusList st = { 0 };
        BerthError err = { 0 };
        int r;

        LiveSet live = { 0 };
        /* Both modes: a swarm manager runs containers too. */
        if ((r = deployer_live_all(engine, &live, NULL, &err)) < 0 ||
            (r = live_health(engine, &live, &err)) < 0 ||
            (r = status_list_of(engine, &live, &st, &err)) < 0) {
                status_list_done(&st);
                live_done(&live);
                if (target)
                        fprintf(stderr, "target %s: ", target);
                return cli_report_error(&err, r, "berth status");
        }
        for (size_t k = 0; k < st.n; k++) {
                const StackStatus *s = &st.items[k];
                _cleanup_strbuf_ StrBuf svcs = STRBUF_INIT;
                char drift[48];
                bool drifted = stack_status_drift(s, drift, sizeof(drift));
                for (size_t i = 0; i < s->n_services; i++) {
                        const char *d = s->services[i].digest ? strchr(s->services[i].digest, '@') : NULL;
                        /* The digest the service runs, short: which bytes, whatever its tag says now. */
                        strbuf_addf(&svcs, "%s%s%s%.19s", i ? "," : "", s->services[i].name, d ? "@" : "",
                                    d ? d + 1 : "");
                }
                if (json) {
                        cJSON *o = stack_status_json(s, drifted);
                        if (target)
                                cJSON_AddStringToObject(o, "target", target);
                        cJSON_AddStringToObject(o, "engine", engine_client_product(engine));
                        json_append(doc, o);
                } else {
                        if (target)
                                strbuf_addf(out, "%-16s ", target);
                        strbuf_addf(out, "%-20s %-13.12s %u/%-7u %-9s %-11s %-8s %s\n", s->name,
                                    s->commit ? s->commit : "-", s->running, s->containers,
                                    stack_status_health(s), drift, s->swarm ? "swarm" : "compose",
                                    strbuf_str(&svcs));
                }
        }
        status_list_done(&st);
        strbuf_addf(foot, "%s%s%sengine: %s at %s\n", target ? "target " : "", target ? target : "",
                    target ? ": " : "", engine_client_product(engine), engine_client_host(engine));
        return EXIT_DONE;
}

int cmd_status(int argc, char **argv)
{
        ReconcileArgs a = { 0 };
        const char *host = NULL, *repo_path = NULL, *target = NULL, *format = "table";
        bool targets = false;
        int first, r = EXIT_DONE;
        const CliOption opts[] = {
                CLI_CHOICE(0, "format", "table|json", &format, "output format (default table)"),
                CLI_STRING(0, "repo", "DIR", &repo_path,
                           "the config repo whose targets to show (default: .)"),
                CLI_STRING(0, "target", "NAME", &target, "only this target of berth.yaml"),
                CLI_HOST_OPTION(&host),
                CLI_END,
        };

        if (!cli_parse(&status_cmd, opts, argc, argv, &first, &r))
                return r;
        bool json = strcmp(format, "json") == 0;
        /* In a config repo (or given one), its targets; anywhere else, the one engine. */
        {
                _cleanup_repo_ Repo *probe = NULL;
                BerthError e = { 0 };
                char head[41];
                if (repo_path || target ||
                    (repo_open(".", &probe, &e) >= 0 && repo_resolve(probe, "HEAD", head, &e) >= 0)) {
                        char *args[] = { (char *)"status", NULL };
                        const CliOption none[] = { CLI_END };
                        if (!cli_reconcile_args(&status_cmd, none, 1, args, &a, &first, &r))
                                return r;
                        a.repo_path = repo_path ? repo_path : ".";
                        a.host = host;
                        a.target_name = target;
                        if ((r = cli_reconcile_open(&a)) != EXIT_DONE) {
                                cli_reconcile_done(&a);
                                return r;
                        }
                        targets = a.targets.n > 0;
                }
        }
        _cleanup_engine_ EngineClient *engine = NULL;
        if (!a.runs && (r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT, foot = STRBUF_INIT;
        _cleanup_cjson_ cJSON *doc = cJSON_CreateArray();
        if (!json) {
                if (targets)
                        strbuf_addf(&out, "%-16s ", "TARGET");
                strbuf_addf(&out, "%-20s %-13s %-9s %-9s %-11s %-8s %s\n", "STACK", "COMMIT", "RUNNING",
                            "HEALTH", "DRIFT", "MODE", "SERVICES");
        }
        bool bad = false;
        if (!a.runs)
                bad = status_of(engine, NULL, json, &out, &foot, doc) != EXIT_DONE;
        for (size_t i = 0; i < a.n_runs; i++)
                bad |= !a.runs[i].engine ||
                       status_of(a.runs[i].engine, targets ? a.runs[i].target->name : NULL, json, &out,
                                 &foot, doc) != EXIT_DONE;
        if (json)
                emit_json(doc, 0, &out);
        else if (foot.len) /* which engine each table is of, below it */
                strbuf_addf(&out, "\n%s", strbuf_str(&foot));
        fwrite(strbuf_str(&out), 1, out.len, stdout);
        cli_reconcile_done(&a);
        return bad ? EXIT_FAILED : EXIT_DONE;
}
