/* cli.c: reporting helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <stdlib.h>

#include "cli.h"

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

int cli_engine_connect(const char *host, EngineClient **ret)
{
        EngineConfig cfg = { 0 };
        EnvMap env;
        BerthError err = { 0 };
        int r;

        /* Here, not in main: only engine commands pay for TLS set-up, and this runs before any thread. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return cli_report_error(NULL, -ENOMEM, "berth: cannot initialise libcurl");
        envmap_init(&env);
        envmap_from_environ(&env, environ);
        r = engine_config_from_env(&cfg, &env, host, &err);
        envmap_done(&env);
        if (r >= 0)
                r = engine_client_new(&cfg, ret, &err);
        engine_config_done(&cfg);
        return r < 0 ? cli_report_error(&err, r, "berth") : EXIT_DONE;
}
