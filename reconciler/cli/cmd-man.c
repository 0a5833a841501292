/* cmd-man.c: `berth man [VERB]`, the manual pages made from the verbs' own option tables (as the
 * completions are), so that berth(1) and berth-VERB(1) say what --help says. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Text as roff reads it: a backslash and a hyphen literal, no line taken for a request. */
static void roff(FILE *f, const char *text)
{
        bool bol = true;
        for (const char *p = text; *p; p++) {
                if (bol && (*p == '.' || *p == '\''))
                        fputs("\\&", f);
                if (*p == '\\')
                        fputs("\\e", f);
                else if (*p == '-')
                        fputs("\\-", f);
                else
                        fputc(*p, f);
                bol = *p == '\n';
        }
}

static void header(FILE *f, const char *name, const char *what)
{
        fprintf(f, ".TH \"%s\" 1 \"\" \"berth\" \"berth manual\"\n.SH NAME\n", name);
        roff(f, name);
        fputs(" \\- ", f);
        roff(f, what);
        fputc('\n', f);
}

typedef struct Page {
        const char *summary;
} Page;

static void verb_page(void *ud, const CliCommand *cmd, const CliOption *opts)
{
        const Page *pg = ud;
        char name[64];
        snprintf(name, sizeof(name), "berth-%s", cmd->name);
        header(stdout, name, pg->summary);
        printf(".SH SYNOPSIS\n.B berth %s\n[\\fIoptions\\fR]%s", cmd->name, cmd->args ? " " : "");
        roff(stdout, cmd->args ? cmd->args : "");
        puts("\n.SH DESCRIPTION");
        roff(stdout, cmd->about);
        puts("\n.SH OPTIONS");
        for (const CliOption *o = opts; o->kind != CLI_OPT_END; o++) {
                fputs(".TP\n.B ", stdout);
                if (o->short_name)
                        printf("\\-%c, ", o->short_name);
                fputs("\\-\\-", stdout);
                roff(stdout, o->long_name);
                if (o->arg) {
                        fputs(" \\fI", stdout);
                        roff(stdout, o->arg);
                        fputs("\\fR", stdout);
                }
                fputc('\n', stdout);
                roff(stdout, o->help);
                fputc('\n', stdout);
        }
        puts(".TP\n.B \\-h, \\-\\-help\nthis help\n.SH EXIT STATUS");
        roff(stdout, cmd->exits ? cmd->exits : "0 done, 1 failed, 64 usage error");
        puts("\n.SH SEE ALSO\n.BR berth (1)");
}

static const CliCommand man_cmd = {
        .name = "man",
        .args = "[VERB]",
        .max_args = 1,
        .about = "Prints the manual page of berth (no VERB) or of one verb, in roff, made from the verbs'\n"
                 "own option tables: read it with man -l, or install it as berth.1, berth-VERB.1.",
};

int cmd_man(int argc, char **argv)
{
        int first, r;
        const CliOption none[] = { CLI_END };
        if (!cli_parse(&man_cmd, none, argc, argv, &first, &r))
                return r;
        size_t n;
        const Command *cmds = cli_commands(&n);
        const char *verb = first < argc ? argv[first] : NULL;
        for (size_t i = 0; verb && i < n; i++) {
                if (strcmp(cmds[i].name, verb) != 0)
                        continue;
                Page pg = { cmds[i].summary };
                CliListing hook = { .whole = verb_page, .ud = &pg };
                cli_list_verb(cmds[i].run, cmds[i].name, &hook);
                return EXIT_DONE;
        }
        if (verb) {
                fprintf(stderr, "berth man: there is no verb \"%s\"\n", verb);
                return EXIT_USAGE;
        }
        header(stdout, "berth", "GitOps for Docker hosts: compose stacks from a git repo, reconciled");
        puts(".SH SYNOPSIS\n.B berth\n\\fIVERB\\fR [\\fIoptions\\fR]\n.SH DESCRIPTION\nberth deploys "
             "compose "
             "stacks to a Docker or Podman engine, and reconciles an engine with a config repo's commit "
             "from a CI job. Each verb has a page of its own.\n.SH VERBS");
        for (size_t i = 0; i < n; i++) {
                printf(".TP\n.BR berth\\-%s (1)\n", cmds[i].name);
                roff(stdout, cmds[i].summary);
                fputc('\n', stdout);
        }
        puts(".SH ENVIRONMENT\n.TP\n.B DOCKER_HOST\nthe engine (unix:// or tcp://), as the docker CLI reads "
             "it\n"
             ".TP\n.B BERTH_STATE_DIR\nwhere deployed stacks' files live (default /var/lib/berth for root)");
        return EXIT_DONE;
}
