/* cmd-status.c: `berth status`, every stack berth manages on the engine: deployed commit, services,
 * health, and drift (containers not running). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deploy/container.h"
#include "deploy/live.h"
#include "report/emit.h"

static void status_help(FILE *f)
{
        fprintf(f, "usage: berth status [--format table|json] [--repo DIR] [--target NAME] [-H HOST]\n\n"
                   "Shows each stack berth manages on the engine: the commit it was deployed from, its "
                   "services,\n"
                   "their health, and drift (containers that are not running, or fewer than its last "
                   "deploy made).\n"
                   "Run in a config repo whose berth.yaml names targets, it shows every target (--target: "
                   "one).\n");
}

enum {
        OPT_FORMAT = OPT_FIRST_COMMAND_OPTION,
        OPT_REPO_S,
        OPT_TARGET_S,
};

typedef struct StackStatus {
        const char *name, *commit, *repo;
        bool several_commits;
        unsigned containers, running, healthy, unhealthy;
        unsigned expected; /* io.berth.containers of its newest container */
        double newest;
        cJSON *services;
} StackStatus;

/* One engine's stacks, as rows of the table or objects of the JSON array. */
static int status_of(EngineClient *engine, const char *target, bool json, StrBuf *out, cJSON *doc)
{
        LiveSet live = { 0 };
        BerthError err = { 0 };
        int r;

        if ((r = live_list(engine, NULL, &live, &err)) < 0) {
                if (target)
                        fprintf(stderr, "target %s: ", target);
                return cli_report_error(&err, r, "berth status");
        }
        /* Group containers by stack, in the order first seen. */
        _cleanup_free_ StackStatus *st = calloc(live.n ? live.n : 1, sizeof(StackStatus));
        size_t n = 0;
        if (!st) {
                live_done(&live);
                return cli_report_error(NULL, -ENOMEM, "berth status");
        }
        for (size_t i = 0; i < live.n; i++) {
                LiveContainer *lc = &live.items[i];
                const cJSON *labels = cJSON_GetObjectItemCaseSensitive(lc->raw, "Labels");
                const char *project =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_PROJECT));
                if (!project || lc->oneoff)
                        continue;
                size_t k = 0;
                while (k < n && strcmp(st[k].name, project) != 0)
                        k++;
                if (k == n) {
                        st[n++] = (StackStatus){ .name = project,
                                                 .commit = lc->commit,
                                                 .repo = lc->repo,
                                                 .newest = -1,
                                                 .services = cJSON_CreateObject() };
                }
                StackStatus *s = &st[k];
                bool running = lc->state && strcmp(lc->state, "running") == 0;
                s->containers++;
                s->running += running;
                s->healthy += lc->status && strstr(lc->status, "(healthy)") != NULL;
                s->unhealthy += lc->status && strstr(lc->status, "(unhealthy)") != NULL;
                /* Several commits are normal (untouched containers keep theirs); reconcile reads the newest
                 * by history, which needs the repo. Here we only say so. */
                if (!lc->commit != !s->commit ||
                    (lc->commit && s->commit && strcmp(lc->commit, s->commit) != 0))
                        s->several_commits = true;
                double created = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lc->raw, "Created"));
                const char *expected =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LABEL_CONTAINERS));
                if (expected && created > s->newest) {
                        s->newest = created;
                        s->expected = (unsigned)strtoul(expected, NULL, 10);
                }
                if (lc->service && !cJSON_HasObjectItem(s->services, lc->service))
                        cJSON_AddStringToObject(s->services, lc->service, lc->state ? lc->state : "");
        }
        for (size_t k = 0; k < n; k++) {
                StackStatus *s = &st[k];
                _cleanup_strbuf_ StrBuf svcs = STRBUF_INIT;
                char drift[48] = "-";
                for (cJSON *x = s->services->child; x; x = x->next)
                        strbuf_addf(&svcs, "%s%s", svcs.len ? "," : "", x->string);
                const char *health = s->unhealthy ? "unhealthy" : s->healthy ? "healthy" : "-";
                if (s->containers < s->expected)
                        snprintf(drift, sizeof(drift), "%u missing", s->expected - s->containers);
                else if (s->running != s->containers)
                        snprintf(drift, sizeof(drift), "not running");
                if (json) {
                        cJSON *o = cJSON_CreateObject();
                        cJSON_AddStringToObject(o, "stack", s->name);
                        if (target)
                                cJSON_AddStringToObject(o, "target", target);
                        cJSON_AddStringToObject(o, "commit",
                                                s->several_commits ? "several"
                                                : s->commit        ? s->commit
                                                                   : "");
                        cJSON_AddStringToObject(o, "repo", s->repo ? s->repo : "");
                        cJSON_AddNumberToObject(o, "containers", s->containers);
                        cJSON_AddNumberToObject(o, "running", s->running);
                        cJSON_AddStringToObject(o, "health", health);
                        cJSON_AddBoolToObject(o, "drift", strcmp(drift, "-") != 0);
                        cJSON_AddItemToObject(o, "services", s->services);
                        s->services = NULL;
                        cJSON_AddItemToArray(doc, o);
                } else {
                        if (target)
                                strbuf_addf(out, "%-16s ", target);
                        strbuf_addf(out, "%-20s %-13.12s %u/%-7u %-9s %-11s %s\n", s->name,
                                    s->commit ? s->commit : "-", s->running, s->containers, health, drift,
                                    strbuf_str(&svcs));
                }
                cJSON_Delete(s->services);
        }
        live_done(&live);
        return EXIT_DONE;
}

int cmd_status(int argc, char **argv)
{
        static const struct option longopts[] = { { "format", required_argument, NULL, OPT_FORMAT },
                                                  { "repo", required_argument, NULL, OPT_REPO_S },
                                                  { "target", required_argument, NULL, OPT_TARGET_S },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        ReconcileArgs a = { 0 };
        const char *host = NULL, *repo_path = NULL, *target = NULL;
        bool json = false, targets = false;
        int c, r = EXIT_DONE;

        optind = 1;
        while ((c = getopt_long(argc, argv, "H:h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_FORMAT:
                        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
                                fprintf(stderr, "berth status: unknown format \"%s\": use table or json\n",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        json = strcmp(optarg, "json") == 0;
                        break;
                case OPT_REPO_S:
                        repo_path = optarg;
                        break;
                case OPT_TARGET_S:
                        target = optarg;
                        break;
                case 'H':
                        host = optarg;
                        break;
                case 'h':
                        status_help(stdout);
                        return EXIT_DONE;
                default:
                        status_help(stderr);
                        return EXIT_USAGE;
                }
        }
        /* In a config repo (or given one), its targets; anywhere else, the one engine. */
        {
                _cleanup_repo_ Repo *probe = NULL;
                BerthError e = { 0 };
                char head[41];
                if (repo_path || target ||
                    (repo_open(".", &probe, &e) >= 0 && repo_resolve(probe, "HEAD", head, &e) >= 0)) {
                        char *args[] = { (char *)"status", NULL };
                        if ((r = cli_reconcile_args(1, args, "status", status_help, &a)) != EXIT_DONE)
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
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        _cleanup_cjson_ cJSON *doc = cJSON_CreateArray();
        if (!json) {
                if (targets)
                        strbuf_addf(&out, "%-16s ", "TARGET");
                strbuf_addf(&out, "%-20s %-13s %-9s %-9s %-11s %s\n", "STACK", "COMMIT", "RUNNING", "HEALTH",
                            "DRIFT", "SERVICES");
        }
        bool bad = false;
        if (!a.runs)
                bad = status_of(engine, NULL, json, &out, doc) != EXIT_DONE;
        for (size_t i = 0; i < a.n_runs; i++)
                bad |= !a.runs[i].engine ||
                       status_of(a.runs[i].engine, targets ? a.runs[i].target->name : NULL, json, &out,
                                 doc) != EXIT_DONE;
        if (json)
                emit_json(doc, 0, &out);
        fwrite(strbuf_str(&out), 1, out.len, stdout);
        cli_reconcile_done(&a);
        return bad ? EXIT_FAILED : EXIT_DONE;
}
