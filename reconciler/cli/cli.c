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
        a->o.files = (char **)a->files.v;
        a->o.n_files = a->files.n;
        a->o.env_files = (char **)a->env_files.v;
        a->o.n_env_files = a->env_files.n;
        a->o.profiles = (char **)a->profiles.v;
        a->o.n_profiles = a->profiles.n;
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
        cli_list_done(&a->files);
        cli_list_done(&a->env_files);
        cli_list_done(&a->profiles);
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

bool cli_reconcile_args(const CliCommand *cmd, const CliOption *opts, int argc, char **argv,
                        ReconcileArgs *a, int *ret_first, int *ret_exit)
{
        char *end;

        *a = (ReconcileArgs){ .repo_path = ".",
                              .format = "text",
                              .lock_timeout_s = 300,
                              .o = { .prune = true, .health_timeout_s = 120, .warn = reconcile_warn } };
        envmap_init(&a->env);
        if (!cli_parse(cmd, opts, argc, argv, ret_first, ret_exit))
                return false;
        a->json = strcmp(a->format, "json") == 0;
        *ret_exit = EXIT_FAILED;
        if (envmap_from_environ(&a->env, environ) < 0)
                return false;
        a->o.env = &a->env;
        if (cli_load_keys(&a->env, &a->keys) != EXIT_DONE)
                return false;
        a->o.age_keys = &a->keys;
        BerthError err = { 0 };
        const char *ttl = envmap_get(&a->env, "BERTH_LOCK_TTL");
        a->lock_ttl_s = 1800;
        if (ttl && *ttl) {
                a->lock_ttl_s = strtol(ttl, &end, 10);
                if (*end || a->lock_ttl_s < 3 || a->lock_ttl_s > 86400) {
                        fprintf(stderr,
                                "berth %s: BERTH_LOCK_TTL takes a number of seconds from 3 to 86400\n",
                                cmd->name);
                        *ret_exit = EXIT_USAGE;
                        return false;
                }
        }
        int r = statedir_default(&a->env, &a->state_buf, &err);
        if (r < 0) {
                *ret_exit = cli_report_error(&err, r, "berth");
                return false;
        }
        a->o.state_dir = a->state_buf;
        return true;
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
