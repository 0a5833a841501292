/* cli.c: reporting helpers shared by the subcommands. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <stdlib.h>

#include "cli.h"
#include "secrets/keys.h"
#include "statedir/statedir.h"
#include "util/fileio.h"

extern char **environ;

int cli_report_error(const BerthError *err, int r, const char *what)
{
        char line[2048];

        if (err && err->set) {
                fprintf(stderr, "%s\n", error_format(err, line, sizeof(line)));
                if (err->hint[0])
                        fprintf(stderr, "hint: %s\n", err->hint);
        } else
                fprintf(stderr, "%s: %s\n", what, strerror(r < 0 ? -r : r));
        return EXIT_FAILED;
}

void cli_warn(const char *fmt, ...)
{
        va_list ap;
        fputs("warning: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static int push(char ***v, size_t *n, const char *s)
{
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[(*n)++] = (char *)s;
        nv[*n] = NULL;
        return 0;
}

int cli_compose_option(ComposeArgs *a, int opt, const char *arg)
{
        int r;
        switch (opt) {
        case 'f':
                r = push(&a->files, &a->o.n_files, arg);
                break;
        case 'p':
                a->o.project_name = arg;
                return 1;
        case OPT_PROJECT_DIRECTORY:
                a->o.project_directory = arg;
                return 1;
        case OPT_ENV_FILE:
                r = push(&a->env_files, &a->o.n_env_files, arg);
                break;
        case OPT_PROFILE:
                r = push(&a->profiles, &a->o.n_profiles, arg);
                break;
        default:
                return 0;
        }
        return r < 0 ? r : 1;
}

int cli_load_keys(const EnvMap *env, AgeIdentities *keys)
{
        BerthError err = { 0 };
        int r = secrets_keys_load(env, keys, &err);
        return r < 0 ? cli_report_error(&err, r, "berth") : EXIT_DONE;
}

int cli_compose_load(ComposeArgs *a, Project **ret)
{
        BerthError err = { 0 };
        int r;

        envmap_init(&a->env);
        if (envmap_from_environ(&a->env, environ) < 0)
                return cli_report_error(NULL, -ENOMEM, "berth");
        a->o.files = a->files;
        a->o.env_files = a->env_files;
        a->o.profiles = a->profiles;
        a->o.os_env = &a->env;
        if ((r = cli_load_keys(&a->env, &a->keys)) != EXIT_DONE)
                return r;
        a->o.age_keys = &a->keys;
        r = project_load(&a->o, ret, &err);
        if (r < 0)
                return cli_report_error(&err, r, "berth");
        for (char **w = (*ret)->warnings; w && *w; w++)
                cli_warn("%s", *w);
        return EXIT_DONE;
}

void cli_compose_done(ComposeArgs *a)
{
        free(a->files);
        free(a->env_files);
        free(a->profiles);
        envmap_done(&a->env);
        age_identities_done(&a->keys);
}

int cli_engine_connect(const char *host, EngineClient **ret)
{
        BerthError err = { 0 };
        int r = runs_connect(NULL, host, ret, &err);
        return r < 0 ? cli_report_error(&err, r, "berth") : EXIT_DONE;
}

/* A reconcile plans each target twice (before its lock and under it) and its apply reads the images
 * again, so one warning came up to three times in a run. The apply's threads warn too, hence the lock.
 * What was printed is kept for the process's life. */
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char **warned;
static size_t n_warned;

void cli_warn_once(const char *msg)
{
        bool seen = false;
        pthread_mutex_lock(&warned_lock);
        for (size_t i = 0; i < n_warned && !seen; i++)
                seen = strcmp(warned[i], msg) == 0;
        if (!seen) {
                char **v = realloc(warned, (n_warned + 1) * sizeof(*v));
                if (v) {
                        warned = v;
                        if ((warned[n_warned] = strdup(msg)))
                                n_warned++;
                }
        }
        pthread_mutex_unlock(&warned_lock);
        if (!seen)
                cli_warn("%s", msg);
}

static void reconcile_warn(void *ud, const char *msg)
{
        cli_warn_once(msg);
}

enum {
        OPT_REPO = OPT_FIRST_COMMAND_OPTION,
        OPT_REV,
        OPT_ALL,
        OPT_ALLOW_DOWNGRADE,
        OPT_FORMAT_R,
        OPT_DETAILED,
        OPT_DRY_RUN_R,
        OPT_LOCK_TIMEOUT,
        OPT_REPORT,
        OPT_TARGET,
};

int cli_reconcile_args(int argc, char **argv, const char *verb, void (*help)(FILE *), ReconcileArgs *a)
{
        static const struct option longopts[] = {
                { "repo", required_argument, NULL, OPT_REPO },
                { "rev", required_argument, NULL, OPT_REV },
                { "all", no_argument, NULL, OPT_ALL },
                { "allow-downgrade", no_argument, NULL, OPT_ALLOW_DOWNGRADE },
                { "format", required_argument, NULL, OPT_FORMAT_R },
                { "detailed-exitcode", no_argument, NULL, OPT_DETAILED },
                { "dry-run", no_argument, NULL, OPT_DRY_RUN_R },
                { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
                { "report", required_argument, NULL, OPT_REPORT },
                { "target", required_argument, NULL, OPT_TARGET },
                { "host", required_argument, NULL, 'H' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        char *end;
        int c;

        *a = (ReconcileArgs){ .repo_path = ".",
                              .lock_timeout_s = 300,
                              .o = { .prune = true, .health_timeout_s = 120, .warn = reconcile_warn } };
        envmap_init(&a->env);
        envmap_from_environ(&a->env, environ);
        optind = 1;
        while ((c = getopt_long(argc, argv, "H:h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_REPO:
                        a->repo_path = optarg;
                        break;
                case OPT_REV:
                        a->o.rev = optarg;
                        break;
                case OPT_ALL:
                        a->o.all = true;
                        break;
                case OPT_ALLOW_DOWNGRADE:
                        a->o.allow_downgrade = true;
                        break;
                case OPT_FORMAT_R:
                        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                                fprintf(stderr, "berth %s: unknown format \"%s\": use text or json\n", verb,
                                        optarg);
                                return EXIT_USAGE;
                        }
                        a->json = strcmp(optarg, "json") == 0;
                        break;
                case OPT_DETAILED:
                        a->detailed_exitcode = true;
                        break;
                case OPT_DRY_RUN_R:
                        a->dry_run = true;
                        break;
                case OPT_LOCK_TIMEOUT:
                        a->lock_timeout_s = strtol(optarg, &end, 10);
                        if (*end || a->lock_timeout_s < 0) {
                                fprintf(stderr, "berth %s: --lock-timeout takes a number of seconds\n",
                                        verb);
                                return EXIT_USAGE;
                        }
                        break;
                case OPT_REPORT:
                        a->report = optarg;
                        break;
                case OPT_TARGET:
                        a->target_name = optarg;
                        break;
                case 'H':
                        a->host = optarg;
                        break;
                case 'h':
                        help(stdout);
                        return CLI_HELP_SHOWN;
                default:
                        help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "berth %s: unexpected argument \"%s\"\n", verb, argv[optind]);
                return EXIT_USAGE;
        }
        a->o.env = &a->env;
        if (cli_load_keys(&a->env, &a->keys) != EXIT_DONE)
                return EXIT_FAILED;
        a->o.age_keys = &a->keys;
        BerthError err = { 0 };
        const char *ttl = envmap_get(&a->env, "BERTH_LOCK_TTL");
        a->lock_ttl_s = 1800;
        if (ttl && *ttl) {
                a->lock_ttl_s = strtol(ttl, &end, 10);
                if (*end || a->lock_ttl_s < 3 || a->lock_ttl_s > 86400) {
                        fprintf(stderr,
                                "berth %s: BERTH_LOCK_TTL takes a number of seconds from 3 to 86400\n",
                                verb);
                        return EXIT_USAGE;
                }
        }
        int r = statedir_default(&a->env, &a->state_buf, &err);
        if (r < 0)
                return cli_report_error(&err, r, "berth");
        a->o.state_dir = a->state_buf;
        return EXIT_DONE;
}

int cli_reconcile_open(ReconcileArgs *a)
{
        BerthError err = { 0 };
        char head[41];
        int r;

        if ((r = repo_open(a->repo_path, &a->repo, &err)) < 0)
                return cli_report_error(&err, r, "berth");
        if ((r = repo_resolve(a->repo, a->o.rev ? a->o.rev : "HEAD", head, &err)) < 0 ||
            (r = settings_load(a->repo, head, &a->settings, &err)) < 0)
                return cli_report_error(&err, r, "berth");
        settings_apply(&a->settings, &a->o);
        a->o.settings = &a->settings;
        if ((r = settings_targets(&a->settings, &a->env, &a->targets, &err)) < 0)
                return cli_report_error(&err, r, "berth");
        if (a->target_name && !target_list_find(&a->targets, a->target_name)) {
                error_set(&err, -EINVAL, "berth.yaml", 0, 0, NULL, "there is no target \"%s\"%s",
                          a->target_name, a->targets.n ? "" : " (berth.yaml names no targets)");
                cli_report_error(&err, -EINVAL, "berth");
                return EXIT_USAGE;
        }
        if ((r = runs_open(a->repo, head, &a->targets, a->target_name, a->host, reconcile_warn, NULL,
                           &a->runs, &a->n_runs, &err)) < 0)
                return cli_report_error(&err, r, "berth");
        for (size_t i = 0; i < a->n_runs; i++)
                if (a->runs[i].failed) {
                        fprintf(stderr,
                                "target %s: ", a->runs[i].target ? a->runs[i].target->name : "default");
                        cli_report_error(&a->runs[i].error, -EIO, "berth");
                }
        return EXIT_DONE;
}

void cli_reconcile_unlock(TargetRun *run, const char *holder)
{
        BerthError err = { 0 };
        char line[1200];
        if (run->engine && reconcile_unlock(run->engine, holder, &err) < 0)
                cli_warn("cannot release the reconcile lock (it expires by itself): %s",
                         error_format(&err, line, sizeof(line)));
}

int cli_reconcile_plan_run(ReconcileArgs *a, TargetRun *run, ReconcileOptions *o, const char *holder)
{
        if (!run->engine)
                return EXIT_FAILED;
        if (runs_plan(run, a->repo, o ? o : &a->o, holder, a->lock_timeout_s, a->lock_ttl_s) >= 0)
                return EXIT_DONE;
        if (run->target)
                fprintf(stderr, "target %s: ", run->target->name);
        return cli_report_error(&run->error, -EIO, "berth");
}

int cli_reconcile_prepare(ReconcileArgs *a)
{
        int r = cli_reconcile_open(a);
        if (r != EXIT_DONE)
                return r;
        for (size_t i = 0; i < a->n_runs; i++)
                cli_reconcile_plan_run(a, &a->runs[i], NULL, NULL);
        return EXIT_DONE;
}

const ReconcilePlan *const *cli_reconcile_plans(ReconcileArgs *a, size_t *ret_n)
{
        size_t n = 0;
        free(a->plans);
        if (!(a->plans = calloc(a->n_runs + 1, sizeof(*a->plans))))
                return NULL;
        for (size_t i = 0; i < a->n_runs; i++)
                if (a->runs[i].planned)
                        a->plans[n++] = &a->runs[i].plan;
        *ret_n = n;
        return a->plans;
}

bool cli_reconcile_failed(const ReconcileArgs *a)
{
        return runs_failed(a->runs, a->n_runs);
}

void cli_reconcile_done(ReconcileArgs *a)
{
        runs_free(a->runs, a->n_runs);
        free(a->plans);
        free(a->state_buf);
        settings_done(&a->settings);
        target_list_done(&a->targets);
        repo_free(a->repo);
        envmap_done(&a->env);
        age_identities_done(&a->keys);
}
