/* cli.h: what the berth subcommands share: exit codes, the command table entry, and reporting.
 * Only main.c and the cmd-*.c files include this; the library never prints. */
#pragma once

#include "options.h"

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
int cmd_completion(int argc, char **argv);
int cmd_man(int argc, char **argv);

/* The verbs, in the order `berth --help` lists them. */
const Command *cli_commands(size_t *ret_n);

/* Prints err as one line on stderr (then its hint) and returns EXIT_FAILED. */
int cli_report_error(const BerthError *err, int r, const char *what);
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cli_warn(), unless this very message was printed before in this process. */
void cli_warn_once(const char *msg);

/* The compose options every stack command takes: -f, -p, --project-directory, --env-file, --profile. */
typedef struct ComposeArgs {
        ComposeOptions o;
        CliList files, env_files, profiles;
        EnvMap env;         /* the process environment */
        AgeIdentities keys; /* for SOPS files: SOPS_AGE_KEY & co. */
} ComposeArgs;

/* The compose options' rows of a verb's option table, filling a (a ComposeArgs *). */
#define CLI_COMPOSE_OPTIONS(a)                                                                              \
        CLI_LIST('f', "file", "FILE", &(a)->files,                                                          \
                 "compose file (repeat to merge; default: compose.yaml & co.)"),                            \
                CLI_STRING('p', "project-name", "NAME", &(a)->o.project_name, "project (stack) name"),      \
                CLI_STRING(0, "project-directory", "D", &(a)->o.project_directory,                          \
                           "where relative paths and .env resolve from"),                                   \
                CLI_LIST(0, "env-file", "FILE", &(a)->env_files,                                            \
                         "read variables from FILE instead of <project dir>/.env"),                         \
                CLI_LIST(0, "profile", "P", &(a)->profiles, "enable services of profile P")
/* -H: the engine. */
#define CLI_HOST_OPTION(v)                                                                                  \
        CLI_STRING('H', "host", "HOST", (v), "engine (default: DOCKER_HOST, unix:///var/run/docker.sock)")

/* Loads the age keys that open SOPS files from env, as the sops tool finds them; prints an error and
 * returns EXIT_FAILED when a key file named there cannot be read. */
int cli_load_keys(const EnvMap *env, AgeIdentities *keys);

/* Loads the project, printing warnings and, on failure, the error; returns an exit code. */
int cli_compose_load(ComposeArgs *a, Project **ret);
void cli_compose_done(ComposeArgs *a);
/* Connects to the engine that DOCKER_HOST & co. (or host) name; prints the error; returns an exit code. */
int cli_engine_connect(const char *host, EngineClient **ret);

/* What plan, reconcile and rollback share: their options, the repo, the targets and their engines. */
typedef struct ReconcileArgs {
        ReconcileOptions o;
        const char *repo_path, *host, *report, *target_name;
        const char *format; /* --format: text or json */
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

/* The rows of the options plan, reconcile and rollback share, filling a (a ReconcileArgs *): where the
 * repo and the targets are; what to plan; how to apply. */
#define CLI_REPO_OPTIONS(a)                                                                                 \
        CLI_STRING(0, "repo", "DIR", &(a)->repo_path, "the config repo (default: .)"),                      \
                CLI_STRING(0, "target", "NAME", &(a)->target_name,                                          \
                           "only this target of berth.yaml (default: every target)"),                       \
                CLI_HOST_OPTION(&(a)->host)
#define CLI_PLAN_OPTIONS(a)                                                                                 \
        CLI_STRING(0, "rev", "REV", &(a)->o.rev, "the commit to reconcile to (default: HEAD)"),             \
                CLI_FLAG(0, "all", &(a)->o.all,                                                             \
                         "check every stack against live state (drift), not only\n"                         \
                         "what changed in git"),                                                            \
                CLI_FLAG(0, "allow-downgrade", &(a)->o.allow_downgrade,                                     \
                         "go to a commit older than the deployed one (a rollback)")
#define CLI_APPLY_OPTIONS(a)                                                                                \
        CLI_FLAG(0, "dry-run", &(a)->dry_run, "print the plan only (with --all: report drift)"),            \
                CLI_NUMBER(0, "lock-timeout", "S", &(a)->lock_timeout_s, 0, 86400,                          \
                           "wait this long for another reconcile's lock (default 300)"),                    \
                CLI_STRING(0, "report", "FILE", &(a)->report,                                               \
                           "write the JSON report there (a CI artifact)")

/* Parses plan's, reconcile's and rollback's options (extra: the verb's own, as CLI_END-terminated rows
 * or NULL); returns true to go on, with rollback's stack in argv[*ret_first], or false to stop with the
 * exit code *ret_exit. */
bool cli_reconcile_args(const CliCommand *cmd, const CliOption *extra, int argc, char **argv,
                        ReconcileArgs *a, int *ret_first, int *ret_exit);
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
