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
        fprintf(f, "usage: berth status [--format table|json] [-H HOST]\n\n"
                   "Shows each stack berth manages on the engine: the commit it was deployed from, its "
                   "services,\n"
                   "their health, and drift (containers that are not running).\n");
}

enum {
        OPT_FORMAT = OPT_FIRST_COMMAND_OPTION,
};

typedef struct StackStatus {
        const char *name, *commit, *repo;
        bool several_commits;
        unsigned containers, running, healthy, unhealthy;
        cJSON *services;
} StackStatus;

int cmd_status(int argc, char **argv)
{
        static const struct option longopts[] = { { "format", required_argument, NULL, OPT_FORMAT },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        _cleanup_engine_ EngineClient *engine = NULL;
        const char *host = NULL;
        bool json = false;
        LiveSet live = { 0 };
        BerthError err = { 0 };
        int c, r;

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
        if ((r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        if ((r = live_list(engine, NULL, &live, &err)) < 0)
                return cli_report_error(&err, r, "berth status");

        /* Group containers by stack, in the order first seen. */
        _cleanup_free_ StackStatus *st = calloc(live.n ? live.n : 1, sizeof(StackStatus));
        size_t n = 0;
        if (!st)
                return cli_report_error(NULL, -ENOMEM, "berth status");
        for (size_t i = 0; i < live.n; i++) {
                LiveContainer *lc = &live.items[i];
                const char *project = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(lc->raw, "Labels"), LABEL_PROJECT));
                if (!project || lc->oneoff)
                        continue;
                size_t k = 0;
                while (k < n && strcmp(st[k].name, project) != 0)
                        k++;
                if (k == n) {
                        st[n++] = (StackStatus){ .name = project,
                                                 .commit = lc->commit,
                                                 .repo = lc->repo,
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
                if (lc->service && !cJSON_HasObjectItem(s->services, lc->service))
                        cJSON_AddStringToObject(s->services, lc->service, lc->state ? lc->state : "");
        }
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        _cleanup_cjson_ cJSON *doc = cJSON_CreateArray();
        if (!json)
                strbuf_addf(&out, "%-20s %-13s %-9s %-8s %-10s %s\n", "STACK", "COMMIT", "RUNNING", "HEALTH",
                            "DRIFT", "SERVICES");
        for (size_t k = 0; k < n; k++) {
                StackStatus *s = &st[k];
                _cleanup_strbuf_ StrBuf svcs = STRBUF_INIT;
                for (cJSON *x = s->services->child; x; x = x->next)
                        strbuf_addf(&svcs, "%s%s", svcs.len ? "," : "", x->string);
                const char *health = s->unhealthy ? "unhealthy" : s->healthy ? "healthy" : "-";
                bool drift = s->running != s->containers;
                if (json) {
                        cJSON *o = cJSON_CreateObject();
                        cJSON_AddStringToObject(o, "stack", s->name);
                        cJSON_AddStringToObject(o, "commit",
                                                s->several_commits ? "several"
                                                : s->commit        ? s->commit
                                                                   : "");
                        cJSON_AddStringToObject(o, "repo", s->repo ? s->repo : "");
                        cJSON_AddNumberToObject(o, "containers", s->containers);
                        cJSON_AddNumberToObject(o, "running", s->running);
                        cJSON_AddStringToObject(o, "health", health);
                        cJSON_AddBoolToObject(o, "drift", drift);
                        cJSON_AddItemToObject(o, "services", s->services);
                        s->services = NULL;
                        cJSON_AddItemToArray(doc, o);
                } else
                        strbuf_addf(&out, "%-20s %-13.12s %u/%-7u %-8s %-10s %s\n", s->name,
                                    s->commit ? s->commit : "-", s->running, s->containers, health,
                                    drift ? "not running" : "-", strbuf_str(&svcs));
                cJSON_Delete(s->services);
        }
        if (json)
                emit_json(doc, 0, &out);
        live_done(&live);
        fwrite(strbuf_str(&out), 1, out.len, stdout);
        return EXIT_DONE;
}
