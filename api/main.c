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
#include "util/fileio.h"
#include "util/strbuf.h"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 64 };

static void usage(FILE *f)
{
        fprintf(f,
                "usage: berth-api --repo URL|PATH --workdir DIR --token-file FILE [--listen "
                "HOST:PORT|unix:PATH]\n"
                "                 [--branch main] [--templates DIR] [--policy FILE]\n"
                "       berth-api hash-token NAME read|write   (reads the token on stdin, prints its line)\n"
                "\n"
                "Git credentials for an http(s) origin: BERTH_API_GIT_USER and BERTH_API_GIT_PASSWORD.\n"
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

int main(int argc, char **argv)
{
        static const struct option longopts[] = { { "listen", required_argument, NULL, 'l' },
                                                  { "repo", required_argument, NULL, 'r' },
                                                  { "branch", required_argument, NULL, 'b' },
                                                  { "workdir", required_argument, NULL, 'w' },
                                                  { "token-file", required_argument, NULL, 't' },
                                                  { "templates", required_argument, NULL, 'T' },
                                                  { "policy", required_argument, NULL, 'P' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        const char *listen_on = "127.0.0.1:8080", *repo = NULL, *workdir = NULL, *tokens = NULL,
                   *policy = NULL;
        Api api = { .branch = "main" };
        BerthError err = { 0 };
        int c;

        if (argc > 1 && strcmp(argv[1], "hash-token") == 0)
                return hash_token(argc, argv);
        /* The route table as served, for the test that holds it to schemas/openapi.yaml. */
        if (argc == 2 && strcmp(argv[1], "routes") == 0) {
                for (size_t i = 0; i < api_n_routes; i++)
                        printf("%s %s\n", api_routes[i].method, api_routes[i].pattern);
                return EXIT_DONE;
        }
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
                switch (c) {
                case 'l':
                        listen_on = optarg;
                        break;
                case 'r':
                        repo = optarg;
                        break;
                case 'b':
                        api.branch = optarg;
                        break;
                case 'w':
                        workdir = optarg;
                        break;
                case 't':
                        tokens = optarg;
                        break;
                case 'T':
                        api.templates_dir = optarg;
                        break;
                case 'P':
                        policy = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_DONE;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        if (!repo || !workdir || !tokens || optind < argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((policy ? policy_load(policy, &api.policy, &err) : policy_default(&api.policy)) < 0)
                return fail(&err, "cannot read the policy");
        if (tokens_load(tokens, &api.tokens, &err) < 0)
                return fail(&err, "cannot read the token file");
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return EXIT_FAILED;
        _cleanup_free_ char *url = strstr(repo, "://") ? strdup(repo) : path_absolute(NULL, repo);
        StrBuf u = STRBUF_INIT;
        if (url && !strstr(url, "://"))
                strbuf_addf(&u, "file://%s", url);
        _cleanup_free_ char *file_url = u.len ? strbuf_detach(&u) : NULL;
        WriterOptions wo = { .url = file_url ? file_url : url,
                             .branch = api.branch,
                             .dir = workdir,
                             .user = getenv("BERTH_API_GIT_USER"),
                             .password = getenv("BERTH_API_GIT_PASSWORD") };
        if (!wo.url || writer_open(&wo, &api.writer, &err) < 0) {
                tokens_done(&api.tokens);
                return fail(&err, "cannot open the config repo");
        }
        metrics_init(&api.metrics);

        /* Signals are taken by this thread alone, so the server's threads are never interrupted. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        void *daemon = api_serve(&api, listen_on, &err);
        int rc = EXIT_DONE;
        if (!daemon)
                rc = fail(&err, "cannot serve");
        else {
                int sig = 0;
                fprintf(stderr, "berth-api: serving %s on %s\n", api.branch, listen_on);
                sigwait(&set, &sig);
                api_stop(daemon);
        }
        writer_free(api.writer);
        tokens_done(&api.tokens);
        policy_free(api.policy);
        metrics_done(&api.metrics);
        curl_global_cleanup();
        return rc;
}
