/* cmd-config.c: `berth config`, the resolved canonical model of a stack, as `docker compose config`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compose/project.h"
#include "yaml/emit.h"
#include "util/strbuf.h"

static void config_help(FILE *f)
{
        fprintf(f,
                "usage: berth config [-f FILE]... [-p NAME] [--project-directory DIR] [--env-file FILE]...\n"
                "                    [--profile P]... [--format yaml|json] [--hash] [--services]\n"
                "                    [--show-secrets] [-q]\n\n"
                "Prints the resolved compose model: interpolated, merged, extended, normalised to the long\n"
                "syntax and validated against the compose-spec schema.\n\n" CLI_COMPOSE_HELP
                "      --format yaml|json     output format (default yaml)\n"
                "      --hash                 print each service's content hash instead\n"
                "      --services             print the service names instead\n"
                "      --show-secrets         print values read from SOPS files (else **redacted**)\n"
                "  -q, --quiet                only validate\n\n"
                "exit codes: 0 valid, 1 invalid, 64 usage error\n");
}

enum {
        OPT_FORMAT = OPT_FIRST_COMMAND_OPTION,
        OPT_HASH,
        OPT_SERVICES,
        OPT_SHOW_SECRETS,
};

int cmd_config(int argc, char **argv)
{
        static const struct option longopts[] = { CLI_COMPOSE_LONGOPTS,
                                                  { "format", required_argument, NULL, OPT_FORMAT },
                                                  { "hash", no_argument, NULL, OPT_HASH },
                                                  { "services", no_argument, NULL, OPT_SERVICES },
                                                  { "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
                                                  { "quiet", no_argument, NULL, 'q' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        _cleanup_(cli_compose_done) ComposeArgs args = { 0 };
        const char *format = "yaml";
        bool hash = false, services = false, quiet = false, show_secrets = false;
        _cleanup_project_ Project *p = NULL;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "f:p:qh", longopts, NULL)) >= 0) {
                if ((r = cli_compose_option(&args, c, optarg)) != 0) {
                        if (r < 0)
                                return cli_report_error(NULL, r, "berth config");
                        continue;
                }
                switch (c) {
                case OPT_FORMAT:
                        format = optarg;
                        if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0) {
                                fprintf(stderr, "berth config: unknown format \"%s\": use yaml or json\n",
                                        format);
                                return EXIT_USAGE;
                        }
                        break;
                case OPT_HASH:
                        hash = true;
                        break;
                case OPT_SERVICES:
                        services = true;
                        break;
                case OPT_SHOW_SECRETS:
                        show_secrets = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        config_help(stdout);
                        return EXIT_DONE;
                default:
                        config_help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "berth config: unexpected argument \"%s\"\n", argv[optind]);
                return EXIT_USAGE;
        }
        if ((r = cli_compose_load(&args, &p)) != EXIT_DONE)
                return r;
        if (quiet)
                return EXIT_DONE;
        cJSON *svcs = cJSON_GetObjectItemCaseSensitive(p->model, "services");
        if (hash || services) {
                for (cJSON *s = svcs ? svcs->child : NULL; s; s = s->next) {
                        char hex[65];
                        if (!hash) {
                                strbuf_addf(&out, "%s\n", s->string);
                                continue;
                        }
                        r = project_service_hash(p, s->string, NULL, hex);
                        if (r < 0)
                                return cli_report_error(NULL, r, "berth config: cannot hash a service");
                        strbuf_addf(&out, "%s %s\n", s->string, hex);
                }
        } else {
                if (!show_secrets && (r = project_redact(p, p->model, REDACT_TEXT)) < 0)
                        return cli_report_error(NULL, r, "berth config");
                r = strcmp(format, "json") == 0 ? emit_json(p->model, EMIT_ESCAPE_DOLLAR, &out)
                                                : emit_yaml(p->model, EMIT_ESCAPE_DOLLAR, &out);
                if (r < 0)
                        return cli_report_error(NULL, r, "berth config: cannot write the model");
        }
        if (fwrite(strbuf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0)
                return cli_report_error(NULL, -EIO, "berth config: cannot write to stdout");
        return EXIT_DONE;
}
