/* cmd-config.c: `berth config`, the resolved canonical model of a stack, as `docker compose config`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compose/project.h"
#include "report/emit.h"
#include "util/strbuf.h"

extern char **environ;

static void config_help(FILE *f)
{
        fprintf(f,
                "usage: berth config [-f FILE]... [-p NAME] [--project-directory DIR] [--env-file FILE]...\n"
                "                    [--profile P]... [--format yaml|json] [--hash] [--services] [-q]\n\n"
                "Prints the resolved compose model: interpolated, merged, extended, normalised to the long\n"
                "syntax and validated against the compose-spec schema.\n\n"
                "  -f, --file FILE            compose file (repeat to merge; default: compose.yaml & co.)\n"
                "  -p, --project-name NAME    project (stack) name\n"
                "      --project-directory D  where relative paths and .env resolve from\n"
                "      --env-file FILE        read variables from FILE instead of <project dir>/.env\n"
                "      --profile P            enable services of profile P\n"
                "      --format yaml|json     output format (default yaml)\n"
                "      --hash                 print each service's content hash instead\n"
                "      --services             print the service names instead\n"
                "  -q, --quiet                only validate\n\n"
                "exit codes: 0 valid, 1 invalid, 64 usage error\n");
}

static int push(char ***v, size_t *n, const char *s)
{
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv)
                return -1;
        *v = nv;
        nv[(*n)++] = (char *)s;
        nv[*n] = NULL;
        return 0;
}

int cmd_config(int argc, char **argv)
{
        static const struct option longopts[] = { { "file", required_argument, NULL, 'f' },
                                                  { "project-name", required_argument, NULL, 'p' },
                                                  { "project-directory", required_argument, NULL, 'D' },
                                                  { "env-file", required_argument, NULL, 'E' },
                                                  { "profile", required_argument, NULL, 'P' },
                                                  { "format", required_argument, NULL, 'F' },
                                                  { "hash", no_argument, NULL, 'H' },
                                                  { "services", no_argument, NULL, 'S' },
                                                  { "quiet", no_argument, NULL, 'q' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        ComposeOptions o = { 0 };
        const char *format = "yaml";
        bool hash = false, services = false, quiet = false;
        _cleanup_free_ char **files = NULL, **env_files = NULL, **profiles = NULL;
        _cleanup_project_ Project *p = NULL;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        EnvMap os;
        BerthError err = { 0 };
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "f:p:qh", longopts, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        if (push(&files, &o.n_files, optarg) < 0)
                                return EXIT_FAILED;
                        break;
                case 'p':
                        o.project_name = optarg;
                        break;
                case 'D':
                        o.project_directory = optarg;
                        break;
                case 'E':
                        if (push(&env_files, &o.n_env_files, optarg) < 0)
                                return EXIT_FAILED;
                        break;
                case 'P':
                        if (push(&profiles, &o.n_profiles, optarg) < 0)
                                return EXIT_FAILED;
                        break;
                case 'F':
                        format = optarg;
                        if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0) {
                                fprintf(stderr, "berth config: unknown format \"%s\": use yaml or json\n",
                                        format);
                                return EXIT_USAGE;
                        }
                        break;
                case 'H':
                        hash = true;
                        break;
                case 'S':
                        services = true;
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
        o.files = files;
        o.env_files = env_files;
        o.profiles = profiles;
        envmap_init(&os);
        if (envmap_from_environ(&os, environ) < 0)
                return EXIT_FAILED;
        o.os_env = &os;

        r = project_load(&o, &p, &err);
        envmap_done(&os);
        if (r < 0)
                return cli_report_error(&err, r, "berth config");
        for (char **w = p->warnings; w && *w; w++)
                cli_warn("%s", *w);
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
                r = strcmp(format, "json") == 0 ? emit_json(p->model, EMIT_ESCAPE_DOLLAR, &out)
                                                : emit_yaml(p->model, EMIT_ESCAPE_DOLLAR, &out);
                if (r < 0)
                        return cli_report_error(NULL, r, "berth config: cannot write the model");
        }
        if (fwrite(strbuf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0)
                return cli_report_error(NULL, -EIO, "berth config: cannot write to stdout");
        return EXIT_DONE;
}
