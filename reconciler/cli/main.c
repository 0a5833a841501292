/* main.c: the berth CLI: a table of subcommands, each in its own cmd-<verb>.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commit.h"

static const Command commands[] = {
        { "config", cmd_config, "print the resolved, canonical compose model of a stack" },
        { "up", cmd_up, "create or update a stack on an engine, changing only what differs" },
        { "down", cmd_down, "remove a stack's containers and networks (volumes on request)" },
        { "ps", cmd_ps, "list the containers of a stack, or of every berth stack" },
        { "plan", cmd_plan, "print what a reconcile would change on the engine, and why" },
        { "reconcile", cmd_reconcile, "make the engine match the config repo's commit" },
        { "rollback", cmd_rollback, "put one stack back as an earlier commit had it" },
        { "build", cmd_build, "build the config repo's images from a commit, and push them" },
        { "release", cmd_release,
          "build the images at a release tag and push them with its version's tags" },
        { "status", cmd_status, "show each managed stack: deployed commit, services, health, drift" },
        { "secrets", cmd_secrets, "encrypt, decrypt or edit a SOPS file with age keys" },
        { "completion", cmd_completion, "print a bash or zsh completion script" },
        { "man", cmd_man, "print the manual page of berth or of one verb (roff)" },
};

const Command *cli_commands(size_t *ret_n)
{
        *ret_n = sizeof(commands) / sizeof(*commands);
        return commands;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: berth <command> [options]\n\ncommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nexit codes: 0 done, 1 failed, 2 changes pending (plan --detailed-exitcode), 64 usage "
                   "error\n"
                   "run 'berth <command> --help' for a command's options\n");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return EXIT_DONE;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("berth %s (commit %s)\n", BERTH_VERSION, BERTH_COMMIT);
                return EXIT_DONE;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
                if (strcmp(argv[1], commands[i].name) == 0)
                        return commands[i].run(argc - 1, argv + 1);
        fprintf(stderr, "berth: unknown command \"%s\"\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
}
