/* cmd-config.c: `berth config`, the resolved canonical model of a stack, as `docker compose config`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compose/project.h"
#include "yaml/emit.h"
#include "util/strbuf.h"

static const CliCommand config_cmd = {
        .name = "config",
        .about =
                "Prints the resolved compose model: interpolated, merged, extended, normalised to the long\n"
                "syntax and validated against the compose-spec schema.",
        .exits = "0 valid, 1 invalid, 64 usage error",
};

int cmd_config(int argc, char **argv)
{
        _cleanup_(cli_compose_done) ComposeArgs args = { 0 };
        const char *format = "yaml";
        bool hash = false, services = false, quiet = false, show_secrets = false;
        _cleanup_project_ Project *p = NULL;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        int first, r;
        const CliOption opts[] = {
                CLI_COMPOSE_OPTIONS(&args),
                CLI_CHOICE(0, "format", "yaml|json", &format, "output format (default yaml)"),
                CLI_FLAG(0, "hash", &hash, "print each service's content hash instead"),
                CLI_FLAG(0, "services", &services, "print the service names instead"),
                CLI_FLAG(0, "show-secrets", &show_secrets,
                         "print values read from SOPS files (else **redacted**)"),
                CLI_FLAG('q', "quiet", &quiet, "only validate"),
                CLI_END,
        };

        if (!cli_parse(&config_cmd, opts, argc, argv, &first, &r))
                return r;
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
