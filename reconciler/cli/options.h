/* options.h: one table-driven option parser for every verb of the berth CLI, as git's parse-options:
 * a verb declares its options once, and the parsing, its --help, its usage errors and the shell
 * completions (`berth completion`) all come from that table, so they cannot disagree. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum CliOptKind {
        CLI_OPT_END,     /* ends the table */
        CLI_OPT_FLAG,    /* bool *: set */
        CLI_OPT_STRING,  /* const char **: the argument (the last one given wins) */
        CLI_OPT_LIST,    /* CliList *: every argument, in order */
        CLI_OPT_NUMBER,  /* long *: a whole number from min to max */
        CLI_OPT_CHOICE,  /* const char **: one of choices ("table|json") */
        CLI_OPT_IGNORED, /* accepted for a peer's sake (compose's -d), does nothing */
} CliOptKind;

typedef struct CliList {
        const char **v; /* NULL-terminated; the strings are argv's */
        size_t n;
} CliList;

typedef struct CliOption {
        CliOptKind kind;
        char short_name;       /* 0: none */
        const char *long_name; /* without the dashes */
        const char *arg;       /* the argument's name in --help ("FILE"); NULL for flags */
        const char *help;
        void *value;
        long min, max;       /* CLI_OPT_NUMBER */
        const char *choices; /* CLI_OPT_CHOICE: "table|json" */
} CliOption;

#define CLI_FLAG(s, l, v, h)                                                                                \
        {                                                                                                   \
                .kind = CLI_OPT_FLAG, .short_name = (s), .long_name = (l), .help = (h), .value = (v)        \
        }
#define CLI_STRING(s, l, a, v, h)                                                                           \
        {                                                                                                   \
                .kind = CLI_OPT_STRING, .short_name = (s), .long_name = (l), .arg = (a), .help = (h),       \
                .value = (v)                                                                                \
        }
#define CLI_LIST(s, l, a, v, h)                                                                             \
        {                                                                                                   \
                .kind = CLI_OPT_LIST, .short_name = (s), .long_name = (l), .arg = (a), .help = (h),         \
                .value = (v)                                                                                \
        }
#define CLI_NUMBER(s, l, a, v, lo, hi, h)                                                                   \
        {                                                                                                   \
                .kind = CLI_OPT_NUMBER, .short_name = (s), .long_name = (l), .arg = (a), .help = (h),       \
                .value = (v), .min = (lo), .max = (hi)                                                      \
        }
#define CLI_CHOICE(s, l, c, v, h)                                                                           \
        {                                                                                                   \
                .kind = CLI_OPT_CHOICE, .short_name = (s), .long_name = (l), .arg = (c), .help = (h),       \
                .value = (v), .choices = (c)                                                                \
        }
#define CLI_IGNORED(s, l, h)                                                                                \
        {                                                                                                   \
                .kind = CLI_OPT_IGNORED, .short_name = (s), .long_name = (l), .help = (h)                   \
        }
#define CLI_END                                                                                             \
        {                                                                                                   \
                .kind = CLI_OPT_END                                                                         \
        }

typedef struct CliCommand {
        const char *name; /* the verb: "up" */
        const char *args; /* positional arguments in the usage line ("encrypt|decrypt|edit FILE"); NULL */
        size_t min_args, max_args;
        const char *about; /* what it does, under the usage line */
        const char *exits; /* the exit codes line; NULL: "0 done, 1 failed, 64 usage error" */
} CliCommand;

/* Parses argv (argv[0] the verb) against opts. Returns true to go on, with the positional arguments
 * from argv[*ret_first] on; false to stop with the exit code *ret_exit: 0 after --help (printed on
 * stdout), 64 after a usage error (said on stderr, with the help). Each CliList filled is the
 * caller's to free with cli_list_done(). */
bool cli_parse(const CliCommand *cmd, const CliOption *opts, int argc, char **argv, int *ret_first,
               int *ret_exit);
void cli_list_done(CliList *l);
/* The verb's --help, from its table. */
void cli_help(const CliCommand *cmd, const CliOption *opts, FILE *f);

/* Set by `berth completion`: cli_parse() then appends the verb's options here and stops, so the
 * verbs' own tables say what completes. */
typedef struct CliListing {
        void (*add)(void *ud, const CliCommand *cmd, const CliOption *o);      /* each option; may be NULL */
        void (*whole)(void *ud, const CliCommand *cmd, const CliOption *opts); /* the table; may be NULL */
        void *ud;
} CliListing;
extern CliListing *cli_listing;
/* Runs a verb (its main, argv[0] its name) with hook set, so that it hands its table over and stops. */
void cli_list_verb(int (*run)(int argc, char **argv), const char *name, CliListing *hook);
