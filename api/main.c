/* main.c: berth-api, the REST API that renders stacks from definitions and commits them to the config
 * repo. Thin over libberth: flags, the token file, the Writer, then serve until SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api.h"
#include "commit.h"
#include "config.h"
#include "healthcheck.h"
#include "util/fileio.h"
#include "util/strbuf.h"

extern char **environ;

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 64 };

static void usage(FILE *f)
{
        fprintf(f,
                "usage: berth-api --repo URL|PATH --workdir DIR --token-file FILE [--listen "
                "HOST:PORT|unix:PATH]\n"
                "                 [--branch main] [--templates DIR] [--policy FILE] [-H DOCKER_HOST]\n"
                "       berth-api --config FILE   (the same settings in one YAML file; flags win)\n"
                "       or the environment: BERTH_API_REPO, _WORKDIR, _TOKEN_FILE, _LISTEN, _BRANCH, ... "
                "(the\n"
                "       file's settings in capitals; the file and flags win)\n"
                "       berth-api hash-token NAME read|write   (reads the token on stdin, prints its line)\n"
                "       berth-api healthcheck   (GET /healthz where the settings say the server listens)\n"
                "       berth-api --version\n"
                "\n"
                "Git credentials for an http(s) origin: BERTH_API_GIT_USER with BERTH_API_GIT_PASSWORD or\n"
                "BERTH_API_GIT_PASSWORD_FILE, or BERTH_API_GIT_TOKEN (a GitLab or GitHub token).\n"
                "Exit codes: 0 done, 1 failed, 64 usage error.\n");
}

static int fail(const BerthError *err, const char *what)
{
        char line[1400];
        fprintf(stderr, "berth-api: %s: %s\n", what, error_format(err, line, sizeof(line)));
        if (err->hint[0])
                fprintf(stderr, "hint: %s\n", err->hint);
        return EXIT_FAILED;
}

static int hash_token(int argc, char **argv)
{
        char token[4096], line[256];
        if (argc != 4) {
                usage(stderr);
                return EXIT_USAGE;
        }
        size_t n = fread(token, 1, sizeof(token) - 1, stdin);
        while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r'))
                n--;
        if (n < 16) {
                fprintf(stderr, "berth-api hash-token: a token needs at least 16 characters\n");
                return EXIT_USAGE;
        }
        if (token_line(token, n, argv[2], argv[3], line, sizeof(line)) < 0) {
                fprintf(stderr,
                        "berth-api hash-token: NAME is letters, digits, \"-_.@\"; ROLE is read or write\n");
                return EXIT_USAGE;
        }
        explicit_bzero(token, sizeof(token));
        puts(line);
        return EXIT_DONE;
}

/* A flag's value; given twice, the last one wins. */
static int flag(char **field, const char *value)
{
        free(*field);
        return (*field = strdup(value)) ? 0 : -ENOMEM;
}

/* The command line over the config file's settings; returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, Config *cfg, const char **config_file, bool *healthcheck)
{
        static const struct option longopts[] = { { "listen", required_argument, NULL, 'l' },
                                                  { "repo", required_argument, NULL, 'r' },
                                                  { "branch", required_argument, NULL, 'b' },
                                                  { "workdir", required_argument, NULL, 'w' },
                                                  { "token-file", required_argument, NULL, 't' },
                                                  { "templates", required_argument, NULL, 'T' },
                                                  { "policy", required_argument, NULL, 'P' },
                                                  { "config", required_argument, NULL, 'c' },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        int c, r = 0;
        while (r >= 0 && (c = getopt_long(argc, argv, "hH:", longopts, NULL)) != -1)
                switch (c) {
                case 'l':
                        r = flag(&cfg->listen, optarg);
                        break;
                case 'r':
                        r = flag(&cfg->repo, optarg);
                        break;
                case 'b':
                        r = flag(&cfg->branch, optarg);
                        break;
                case 'w':
                        r = flag(&cfg->workdir, optarg);
                        break;
                case 't':
                        r = flag(&cfg->token_file, optarg);
                        break;
                case 'T':
                        r = flag(&cfg->templates, optarg);
                        break;
                case 'P':
                        r = flag(&cfg->policy, optarg);
                        break;
                case 'H':
                        r = flag(&cfg->docker_host, optarg);
                        break;
                case 'c':
                        *config_file = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_DONE;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        if (r < 0)
                return EXIT_FAILED;
        /* healthcheck reads the settings as the server does: it runs in the same container. */
        *healthcheck = optind + 1 == argc && strcmp(argv[optind], "healthcheck") == 0;
        if (optind < argc && !*healthcheck) {
                usage(stderr);
                return EXIT_USAGE;
        }
        return -1;
}

/* The policy, the tokens and the config repo's working copy; on failure nothing is left open. */
static int api_open(Api *api, const Config *cfg, BerthError *err)
{
        api->branch = cfg->branch;
        /* Unset, the built-in definitions where meson install put them, if it did. */
        api->templates_dir = cfg->templates                           ? cfg->templates
                             : access(BERTH_TEMPLATES_DIR, R_OK) == 0 ? BERTH_TEMPLATES_DIR
                                                                      : NULL;
        if ((cfg->policy ? policy_load(cfg->policy, &api->policy, err) : policy_default(&api->policy)) < 0)
                return fail(err, "cannot read the policy");
        if (tokens_load(cfg->token_file, &api->tokens, err) < 0) {
                policy_free(api->policy);
                return fail(err, "cannot read the token file");
        }
        /* A path is a file:// URL to libgit2. */
        _cleanup_free_ char *url =
                strstr(cfg->repo, "://") ? strdup(cfg->repo) : path_absolute(NULL, cfg->repo);
        StrBuf u = STRBUF_INIT;
        if (url && !strstr(url, "://"))
                strbuf_addf(&u, "file://%s", url);
        _cleanup_free_ char *file_url = u.len ? strbuf_detach(&u) : NULL;
        WriterOptions wo = { .url = file_url ? file_url : url,
                             .branch = cfg->branch,
                             .dir = cfg->workdir,
                             .user = cfg->git_user,
                             .password = cfg->git_password };
        if (!wo.url || writer_open(&wo, &api->writer, err) < 0) {
                tokens_done(&api->tokens);
                policy_free(api->policy);
                return fail(err, "cannot open the config repo");
        }
        metrics_init(&api->metrics);
        validity_init(&api->validity);
        EnvMap env;
        envmap_init(&env);
        envmap_from_environ(&env, environ);
        live_init(&api->live, cfg->docker_host, &env);
        envmap_done(&env);
        return EXIT_DONE;
}

static void api_close(Api *api)
{
        writer_free(api->writer);
        tokens_done(&api->tokens);
        policy_free(api->policy);
        metrics_done(&api->metrics);
        validity_done(&api->validity);
        live_fini(&api->live);
}

/* Serves until SIGTERM or SIGINT, then stops taking requests and finishes those in flight. */
static int serve(Api *api, const char *listen, BerthError *err)
{
        /* Signals are taken by this thread alone, so the server's threads are never interrupted. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        void *daemon = api_serve(api, listen, err);
        if (!daemon)
                return fail(err, "cannot serve");
        int sig = 0;
        fprintf(stderr, "berth-api: serving %s on %s\n", api->branch, listen);
        sigwait(&set, &sig);
        api_stop(api, daemon);
        return EXIT_DONE;
}

int main(int argc, char **argv)
{
        _cleanup_(config_done) Config cfg = { 0 };
        const char *config_file = getenv("BERTH_API_CONFIG");
        bool healthcheck = false;
        Api api = { 0 };
        BerthError err = { 0 };
        int r;

        if (argc > 1 && strcmp(argv[1], "hash-token") == 0)
                return hash_token(argc, argv);
        if (argc == 2 && strcmp(argv[1], "--version") == 0) {
                printf("berth-api %s (commit %s)\n", BERTH_VERSION, BERTH_COMMIT);
                return EXIT_DONE;
        }
        /* The route table as served, for the test that holds it to schemas/openapi.yaml. */
        if (argc == 2 && strcmp(argv[1], "routes") == 0) {
                for (size_t i = 0; i < api_n_routes; i++)
                        printf("%s %s\n", api_routes[i].method, api_routes[i].pattern);
                return EXIT_DONE;
        }
        if ((r = parse_args(argc, argv, &cfg, &config_file, &healthcheck)) >= 0)
                return r;
        if (config_file && config_load(config_file, &cfg, &err) < 0)
                return fail(&err, "cannot read the config file");
        if (config_finish(&cfg, &err) < 0) {
                fprintf(stderr, "berth-api: %s\n", err.msg);
                usage(stderr);
                return EXIT_USAGE;
        }
        if (healthcheck)
                return api_healthcheck(cfg.listen);
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return EXIT_FAILED;
        if ((r = api_open(&api, &cfg, &err)) == EXIT_DONE) {
                r = serve(&api, cfg.listen, &err);
                api_close(&api);
        }
        curl_global_cleanup();
        return r;
}
