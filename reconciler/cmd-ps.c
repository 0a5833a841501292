/* cmd-ps.c: `berth ps`, the containers of a stack (or of every berth stack) and their state. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "deploy/live.h"
#include "yaml/emit.h"

static void ps_help(FILE *f)
{
        fprintf(f, "usage: berth ps [-p NAME] [--format table|json] [--swarm] [--host HOST]\n\n"
                   "Lists the containers of stack NAME, or of every stack berth manages; with --swarm, the\n"
                   "tasks of swarm stack NAME, as docker stack ps.\n\n"
                   "  -p, --project-name NAME    the stack\n"
                   "      --format table|json    output format (default table)\n"
                   "  -H, --host HOST            engine (default: DOCKER_HOST)\n");
}

static void ports_text(const cJSON *raw, StrBuf *out)
{
        for (cJSON *p = cJSON_GetObjectItemCaseSensitive(raw, "Ports")
                                ? cJSON_GetObjectItemCaseSensitive(raw, "Ports")->child
                                : NULL;
             p; p = p->next) {
                const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "IP"));
                cJSON *pub = cJSON_GetObjectItemCaseSensitive(p, "PublicPort");
                const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "Type"));
                int priv = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "PrivatePort"));
                if (out->len)
                        strbuf_addstr(out, ", ");
                if (pub)
                        strbuf_addf(out, "%s:%d->%d/%s", ip ? ip : "", (int)pub->valuedouble, priv,
                                    type ? type : "tcp");
                else
                        strbuf_addf(out, "%d/%s", priv, type ? type : "tcp");
        }
}

enum {
        OPT_FORMAT = OPT_FIRST_COMMAND_OPTION,
        OPT_SWARM,
};

int cmd_ps(int argc, char **argv)
{
        static const struct option longopts[] = { { "project-name", required_argument, NULL, 'p' },
                                                  { "format", required_argument, NULL, OPT_FORMAT },
                                                  { "swarm", no_argument, NULL, OPT_SWARM },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        _cleanup_engine_ EngineClient *engine = NULL;
        const char *project = NULL, *host = NULL, *format = "table";
        bool swarm = false;
        LiveSet live = { 0 };
        BerthError err = { 0 };
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "p:H:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        project = optarg;
                        break;
                case OPT_FORMAT:
                        format = optarg;
                        if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
                                fprintf(stderr, "berth ps: unknown format \"%s\": use table or json\n",
                                        format);
                                return EXIT_USAGE;
                        }
                        break;
                case 'H':
                        host = optarg;
                        break;
                case OPT_SWARM:
                        swarm = true;
                        break;
                case 'h':
                        ps_help(stdout);
                        return EXIT_DONE;
                default:
                        ps_help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (project && !project_name_valid(project)) {
                fprintf(stderr, "berth ps: invalid project name \"%s\"\n", project);
                return EXIT_USAGE;
        }
        if (swarm) {
                if (!project) {
                        fprintf(stderr, "berth ps: --swarm needs the stack: -p NAME\n");
                        return EXIT_USAGE;
                }
                return swarm_ps_main(project, host, strcmp(format, "json") == 0);
        }
        if ((r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        if ((r = live_list(engine, project, &live, &err)) < 0)
                return cli_report_error(&err, r, "berth ps");

        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        if (strcmp(format, "json") == 0) {
                _cleanup_cjson_ cJSON *list = cJSON_CreateArray();
                for (size_t i = 0; i < live.n; i++) {
                        LiveContainer *lc = &live.items[i];
                        _cleanup_strbuf_ StrBuf ports = STRBUF_INIT;
                        cJSON *o = cJSON_CreateObject();
                        ports_text(lc->raw, &ports);
                        cJSON_AddStringToObject(o, "ID", lc->id);
                        cJSON_AddStringToObject(o, "Name", lc->name ? lc->name : "");
                        cJSON_AddStringToObject(o, "Project",
                                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                                        cJSON_GetObjectItemCaseSensitive(lc->raw, "Labels"),
                                                        "com.docker.compose.project"))
                                                        ?: "");
                        cJSON_AddStringToObject(o, "Service", lc->service ? lc->service : "");
                        cJSON_AddNumberToObject(o, "Number", lc->number);
                        cJSON_AddStringToObject(o, "State", lc->state ? lc->state : "");
                        cJSON_AddStringToObject(o, "Status", lc->status ? lc->status : "");
                        cJSON_AddStringToObject(
                                o, "Image",
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(lc->raw, "Image"))
                                        ?: "");
                        cJSON_AddStringToObject(o, "Ports", strbuf_str(&ports));
                        cJSON_AddStringToObject(o, "ContentHash", lc->hash ? lc->hash : "");
                        if (lc->commit)
                                cJSON_AddStringToObject(o, "Commit", lc->commit);
                        cJSON_AddItemToArray(list, o);
                }
                r = emit_json(list, 0, &out);
        } else {
                strbuf_addf(&out, "%-32s %-16s %-10s %-28s %s\n", "NAME", "SERVICE", "STATE", "STATUS",
                            "PORTS");
                for (size_t i = 0; i < live.n; i++) {
                        LiveContainer *lc = &live.items[i];
                        _cleanup_strbuf_ StrBuf ports = STRBUF_INIT;
                        ports_text(lc->raw, &ports);
                        strbuf_addf(&out, "%-32s %-16s %-10s %-28s %s\n", lc->name ? lc->name : "",
                                    lc->service ? lc->service : "", lc->state ? lc->state : "",
                                    lc->status ? lc->status : "", strbuf_str(&ports));
                }
        }
        live_done(&live);
        fwrite(strbuf_str(&out), 1, out.len, stdout);
        return r < 0 ? cli_report_error(NULL, r, "berth ps") : EXIT_DONE;
}
