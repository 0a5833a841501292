/* cli.h: what the berth subcommands share: exit codes, the command table entry, and reporting.
 * Only main.c and the cmd-*.c files include this; the library never prints. */
#pragma once

#include "util/error.h"

enum {
        EXIT_DONE = 0,    /* done */
        EXIT_FAILED = 1,  /* failed */
        EXIT_PENDING = 2, /* changes pending (plan --detailed-exitcode) */
        EXIT_USAGE = 64,  /* usage error */
};

typedef struct Command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
} Command;

int cmd_config(int argc, char **argv);

/* Prints err as one line on stderr (then its hint) and returns EXIT_FAILED. */
int cli_report_error(const BerthError *err, int r, const char *what);
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
