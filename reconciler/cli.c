/* cli.c: reporting helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <stdlib.h>

#include "cli.h"
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
}

static int engine_connect(const Target *t, const char *host, EngineClient **ret, BerthError *err)
{
        EngineConfig cfg = { 0 };
        EnvMap env;
        int r;

        /* Here, not in main: only engine commands pay for TLS set-up, and this runs before any thread. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return error_set(err, -ENOMEM, NULL, 0, 0, NULL, "cannot initialise libcurl");
        envmap_init(&env);
        envmap_from_environ(&env, environ);
        r = target_engine_config(t, &env, host, &cfg, err);
        envmap_done(&env);
        if (r >= 0)
                r = engine_client_new(&cfg, ret, err);
        engine_config_done(&cfg);
        return r;
}

int cli_engine_connect(const char *host, EngineClient **ret)
{
        BerthError err = { 0 };
        int r = engine_connect(NULL, host, ret, &err);
        return r < 0 ? cli_report_error(&err, r, "berth") : EXIT_DONE;
}

static void reconcile_warn(void *ud, const char *msg)
{
        cli_warn("%s", msg);
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

/* What tells two names for one engine apart from two engines. The ID alone does not: engines on one
 * machine (or on machines cloned from one image) share the key it comes from. */
static int engine_id(EngineClient *c, char *buf, size_t size, BerthError *err)
{
        _cleanup_cjson_ cJSON *info = NULL;
        int r = engine_call(c, "GET", "/info", NULL, "read the engine's info", 0, NULL, &info, err);
        if (r < 0)
                return r;
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "ID"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "Name"));
        const char *root = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(info, "DockerRootDir"));
        snprintf(buf, size, "%s %s:%s", id ? id : "", name ? name : "", root ? root : "");
        return 0;
}

static int add_run(ReconcileArgs *a, const Target *t)
{
        TargetRun *v = realloc(a->runs, (a->n_runs + 1) * sizeof(TargetRun));
        if (!v)
                return -ENOMEM;
        a->runs = v;
        a->runs[a->n_runs++] = (TargetRun){ .target = t };
        return 0;
}

/* The targets this run goes to, each connected. A target that cannot be reached fails alone. */
static int open_runs(ReconcileArgs *a, const char *head, BerthError *err)
{
        int r;

        r = 0;
        if (a->targets.n == 0)
                r = add_run(a, NULL);
        else
                for (size_t i = 0; i < a->targets.n && r >= 0; i++)
                        if (!a->target_name || strcmp(a->target_name, a->targets.items[i].name) == 0)
                                r = add_run(a, &a->targets.items[i]);
        if (r < 0)
                return r;
        if (a->targets.n) {
                /* A stack no target takes is deployed nowhere: say so rather than drop it in silence. */
                StackList stacks = { 0 };
                if ((r = repo_stacks(a->repo, head, &stacks, NULL, NULL, err)) < 0)
                        return r;
                for (size_t i = 0; i < stacks.n; i++) {
                        bool mapped = false;
                        for (size_t k = 0; k < a->targets.n && !mapped; k++)
                                mapped = target_has_stack(&a->targets.items[k], stacks.items[i].name);
                        if (!mapped)
                                cli_warn("stack %s is in no target of berth.yaml: it is not deployed "
                                         "anywhere",
                                         stacks.items[i].name);
                }
                stack_list_done(&stacks);
        }
        char(*ids)[640] = calloc(a->n_runs, sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        r = 0;
        for (size_t i = 0; i < a->n_runs && r == 0; i++) {
                TargetRun *run = &a->runs[i];
                BerthError e = { 0 };
                if ((r = engine_connect(run->target, a->host, &run->engine, &e)) < 0 ||
                    (a->n_runs > 1 && (r = engine_id(run->engine, ids[i], sizeof(ids[i]), &e)) < 0)) {
                        run->failed = true;
                        fprintf(stderr, "target %s: ", run->target ? run->target->name : "default");
                        cli_report_error(&e, r, "berth");
                        run->engine = engine_client_free(run->engine);
                        r = 0;
                        continue;
                }
                /* Two targets on one engine would each prune the other's stacks. */
                for (size_t k = 0; k < i && r == 0; k++)
                        if (ids[i][0] && strcmp(ids[i], ids[k]) == 0)
                                r = error_set(err, -EINVAL, "berth.yaml", 0, 0, NULL,
                                              "targets %s and %s are the same engine (ID %s): map its "
                                              "stacks to one target",
                                              a->runs[k].target->name, run->target->name, ids[i]);
        }
        free(ids);
        return r;
}

int cli_reconcile_open(ReconcileArgs *a)
{
        BerthError err = { 0 };
        char head[41];
        int r;

        if ((r = repo_open(a->repo_path, &a->repo, &err)) < 0)
                return cli_report_error(&err, r, "berth");
        if ((r = repo_resolve(a->repo, a->o.rev ? a->o.rev : "HEAD", head, &err)) < 0 ||
            (r = reconcile_settings(a->repo, head, &a->env, &a->o, &a->targets, &err)) < 0)
                return cli_report_error(&err, r, "berth");
        if (a->target_name && !target_list_find(&a->targets, a->target_name)) {
                error_set(&err, -EINVAL, "berth.yaml", 0, 0, NULL, "there is no target \"%s\"%s",
                          a->target_name, a->targets.n ? "" : " (berth.yaml names no targets)");
                cli_report_error(&err, -EINVAL, "berth");
                return EXIT_USAGE;
        }
        if ((r = open_runs(a, head, &err)) < 0)
                return cli_report_error(&err, r, "berth");
        a->o.progress = a->progress;
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

int cli_reconcile_plan_run(ReconcileArgs *a, TargetRun *run, const char *holder)
{
        BerthError err = { 0 };
        int r;

        reconcile_plan_done(&run->plan);
        run->planned = false;
        if (!run->engine)
                return EXIT_FAILED;
        a->o.target = run->target;
        if (holder && (r = reconcile_lock(run->engine, holder, a->lock_timeout_s, a->lock_ttl_s, a->o.warn,
                                          a->o.ud, &err)) < 0)
                goto fail;
        if ((r = reconcile_plan(run->engine, a->repo, &a->o, &run->plan, &err)) < 0) {
                if (holder)
                        cli_reconcile_unlock(run, holder);
                goto fail;
        }
        run->planned = true;
        return EXIT_DONE;
fail:
        run->failed = true;
        if (run->target)
                fprintf(stderr, "target %s: ", run->target->name);
        return cli_report_error(&err, r, "berth");
}

int cli_reconcile_prepare(ReconcileArgs *a)
{
        int r = cli_reconcile_open(a);
        if (r != EXIT_DONE)
                return r;
        for (size_t i = 0; i < a->n_runs; i++)
                cli_reconcile_plan_run(a, &a->runs[i], NULL);
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
        for (size_t i = 0; i < a->n_runs; i++) {
                const ReconcilePlan *p = &a->runs[i].plan;
                if (a->runs[i].failed)
                        return true;
                for (size_t k = 0; k < p->n; k++)
                        if (p->stacks[k].verdict == VERDICT_INVALID ||
                            p->stacks[k].verdict == VERDICT_REFUSED ||
                            (p->stacks[k].applied && !p->stacks[k].ok))
                                return true;
        }
        return false;
}

void cli_reconcile_done(ReconcileArgs *a)
{
        for (size_t i = 0; i < a->n_runs; i++) {
                reconcile_plan_done(&a->runs[i].plan);
                engine_client_free(a->runs[i].engine);
        }
        free(a->runs);
        free(a->plans);
        free(a->state_buf);
        strv_free(a->o.allowed_host_paths);
        target_list_done(&a->targets);
        repo_free(a->repo);
        envmap_done(&a->env);
}
