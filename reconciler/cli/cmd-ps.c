/* cmd-ps.c: `berth ps`, the containers of a stack (or of every berth stack) and their state. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "modes/modes.h"
#include "yaml/emit.h"

static const CliCommand ps_cmd = {
        .name = "ps",
        .about = "Lists the containers of stack NAME, or of every stack berth manages; with --swarm, the\n"
                 "tasks of swarm stack NAME, as docker stack ps.",
};

static void print_cell(const PsColumn *col, const char *v, StrBuf *out)
{
        if (col->width)
                strbuf_addf(out, "%-*s ", col->width, v ? v : "");
        else
                strbuf_addf(out, "%s\n", v ? v : "");
}

/* The rows as a table of the mode's columns. */
static void print_table(const cJSON *rows, const PsColumn *cols, StrBuf *out)
{
        for (const PsColumn *col = cols; col->header; col++)
                print_cell(col, col->header, out);
        for (const cJSON *row = rows ? rows->child : NULL; row; row = row->next)
                for (const PsColumn *col = cols; col->header; col++)
                        print_cell(col,
                                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, col->key)),
                                   out);
}

int cmd_ps(int argc, char **argv)
{
        _cleanup_engine_ EngineClient *engine = NULL;
        const char *project = NULL, *host = NULL, *format = "table";
        bool swarm = false;
        BerthError err = { 0 };
        int first, r;
        const CliOption opts[] = {
                CLI_STRING('p', "project-name", "NAME", &project, "the stack"),
                CLI_CHOICE(0, "format", "table|json", &format, "output format (default table)"),
                CLI_FLAG(0, "swarm", &swarm, "the tasks of a swarm stack"),
                CLI_HOST_OPTION(&host),
                CLI_END,
        };

        if (!cli_parse(&ps_cmd, opts, argc, argv, &first, &r))
                return r;
        if (project && !project_name_valid(project)) {
                fprintf(stderr, "berth ps: invalid project name \"%s\"\n", project);
                return EXIT_USAGE;
        }
        const Deployer *d = deployer_of(swarm ? DEPLOY_SWARM : DEPLOY_COMPOSE);
        _cleanup_cjson_ cJSON *rows = NULL;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        if ((r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                return r;
        if ((r = d->ps(engine, project, &rows, &err)) < 0)
                return cli_report_error(&err, r, "berth ps");
        if (strcmp(format, "json") == 0)
                r = emit_json(rows, 0, &out);
        else
                print_table(rows, d->ps_columns, &out);
        fwrite(strbuf_str(&out), 1, out.len, stdout);
        return r < 0 ? cli_report_error(NULL, r, "berth ps") : EXIT_DONE;
}
