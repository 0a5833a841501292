/* cli.h: what the berth subcommands share: exit codes, the command table entry, and reporting.
 * Only main.c and the cmd-*.c files include this; the library never prints. */
#pragma once

#include <getopt.h>

#include "compose/project.h"
#include "engine/engine.h"
#include "reconcile/lock.h"
#include "reconcile/reconcile.h"
#include "reconcile/runs.h"
#include "reconcile/settings.h"
#include "util/error.h"

enum {
        EXIT_DONE = 0,    /* done */
        EXIT_FAILED = 1,  /* failed */
        EXIT_PENDING = 2, /* changes pending (plan --detailed-exitcode) */
        EXIT_USAGE = 64,  /* usage error */
};

/* Not an exit code: a helper printed --help, and the command should exit 0. */
#define CLI_HELP_SHOWN (-1)

typedef struct Command {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
} Command;

int cmd_config(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_secrets(int argc, char **argv);

/* Prints err as one line on stderr (then its hint) and returns EXIT_FAILED. */
int cli_report_error(const BerthError *err, int r, const char *what);
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_warn(), unless this very message was printed before in this process. */
void cli_warn_once(const char *msg);

/* The compose options every stack command takes: -f, -p, --project-directory, --env-file, --profile. */
typedef struct ComposeArgs {
        ComposeOptions o;
        char **files, **env_files, **profiles;
        EnvMap env;         /* the process environment */
        AgeIdentities keys; /* for SOPS files: SOPS_AGE_KEY & co. */
} ComposeArgs;

enum {
        OPT_PROJECT_DIRECTORY = 0x1000,
        OPT_ENV_FILE,
        OPT_PROFILE,
        OPT_HOST,
        OPT_FIRST_COMMAND_OPTION, /* commands number their own long options from here */
};

#define CLI_COMPOSE_LONGOPTS                                                                                \
        { "file", required_argument, NULL, 'f' }, { "project-name", required_argument, NULL, 'p' },         \
                { "project-directory", required_argument, NULL, OPT_PROJECT_DIRECTORY },                    \
                { "env-file", required_argument, NULL, OPT_ENV_FILE },                                      \
        {                                                                                                   \
                "profile", required_argument, NULL, OPT_PROFILE                                             \
        }
#define CLI_COMPOSE_HELP                                                                                    \
        "  -f, --file FILE            compose file (repeat to merge; default: compose.yaml & co.)\n"        \
        "  -p, --project-name NAME    project (stack) name\n"                                               \
        "      --project-directory D  where relative paths and .env resolve from\n"                         \
        "      --env-file FILE        read variables from FILE instead of <project dir>/.env\n"             \
        "      --profile P            enable services of profile P\n"

/* Loads the age keys that open SOPS files from env, as the sops tool finds them; prints an error and
 * returns EXIT_FAILED when a key file named there cannot be read. */
int cli_load_keys(const EnvMap *env, AgeIdentities *keys);

/* Takes one parsed option; returns 1 if it was a compose option, 0 if not, <0 on OOM. */
int cli_compose_option(ComposeArgs *a, int opt, const char *arg);
/* Loads the project, printing warnings and, on failure, the error; returns an exit code. */
int cli_compose_load(ComposeArgs *a, Project **ret);
void cli_compose_done(ComposeArgs *a);
/* Connects to the engine that DOCKER_HOST & co. (or host) name; prints the error; returns an exit code. */
int cli_engine_connect(const char *host, EngineClient **ret);

/* --swarm: the stack as swarm services (cmd-swarm.c). */
int swarm_up_main(ComposeArgs *args, const char *host, bool dry_run, bool remove_orphans, bool wait,
                  long timeout_s);
int swarm_down_main(const char *stack, const char *host);
int swarm_ps_main(const char *stack, const char *host, bool json);

/* What plan, reconcile and rollback share: their options, the repo, the targets and their engines. */
typedef struct ReconcileArgs {
        ReconcileOptions o;
        const char *repo_path, *host, *report, *target_name;
        bool json, detailed_exitcode, dry_run;
        long lock_timeout_s;
        long lock_ttl_s; /* BERTH_LOCK_TTL, default 1800: how long a lock lives unless renewed */
        EnvMap env;
        Repo *repo;
        Settings settings; /* berth.yaml at the commit */
        TargetList targets;
        TargetRun *runs;
        size_t n_runs;
        const ReconcilePlan **plans;
        char *state_buf;    /* the state dir when made here */
        AgeIdentities keys; /* for SOPS files: SOPS_AGE_KEY & co. */
} ReconcileArgs;

/* Parses the shared options; returns EXIT_DONE to go on, or the exit code to stop with. */
int cli_reconcile_args(int argc, char **argv, const char *verb, void (*help)(FILE *), ReconcileArgs *a);
/* Opens the repo, reads berth.yaml at the commit and connects to each target (--target: one of them).
 * A target that cannot be reached is marked failed and the others go on. Prints errors; returns an
 * exit code. */
int cli_reconcile_open(ReconcileArgs *a);
/* Releases the run's lock; a lock the engine keeps is named in a warning (it expires by itself). */
void cli_reconcile_unlock(TargetRun *run, const char *holder);
/* (Re)plans one target, holding its engine's reconcile lock first when holder is given, with o (a
 * thread's own copy of a->o) or a->o. */
int cli_reconcile_plan_run(ReconcileArgs *a, TargetRun *run, ReconcileOptions *o, const char *holder);
/* Open, then plan every target. */
int cli_reconcile_prepare(ReconcileArgs *a);
/* The plans made, in target order, for the summary and the report (owned by a). */
const ReconcilePlan *const *cli_reconcile_plans(ReconcileArgs *a, size_t *ret_n);
/* True when a target failed or a stack was invalid, refused or failed. */
bool cli_reconcile_failed(const ReconcileArgs *a);
void cli_reconcile_done(ReconcileArgs *a);
