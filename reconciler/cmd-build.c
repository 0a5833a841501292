/* cmd-build.c: `berth build`, the config repo's images built from a commit and pushed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "build-run.h"
#include "cli.h"

static void build_help(FILE *f)
{
        fprintf(f,
                "usage: berth build [IMAGE...] [--repo DIR] [--rev REV] [--since REV] [--tag TAG]... "
                "[--push]\n"
                "                   [--no-cache] [--report FILE] [-H HOST]\n\n"
                "Builds the image descriptors of the config repo (images/<name>/Dockerfile with "
                "image.json,\n"
                "or Dockerfile-<name> with image-<name>.json) from a commit, each with its tags, the\n"
                "commit's short id, and latest on the default branch (unless berth.yaml's release: owns\n"
                "latest), and pushes them with --push. An image whose inputs (context, Dockerfile, args,\n"
                "target) were built before is tagged, not rebuilt. Credentials: BERTH_REGISTRY_USER and\n"
                "BERTH_REGISTRY_PASSWORD, else $DOCKER_CONFIG/config.json.\n\n"
                "      --repo DIR       the config repo (default: .)\n"
                "      --rev REV        the commit to build from (default: HEAD)\n"
                "      --since REV      only the images whose context changed since REV\n"
                "      --tag TAG        one more tag for every image (repeat)\n"
                "      --push           push every tag to the image's registry\n"
                "      --no-cache       build even what was built before, without the engine's cache\n"
                "      --report FILE    write the JSON report there (a CI artifact)\n"
                "  -H, --host HOST      engine (default: DOCKER_HOST)\n\n"
                "exit codes: 0 done, 1 an image failed, 64 usage error\n");
}

enum {
        OPT_REPO = OPT_FIRST_COMMAND_OPTION,
        OPT_REV,
        OPT_SINCE,
        OPT_TAG,
        OPT_PUSH,
        OPT_NO_CACHE,
        OPT_REPORT,
};

int cmd_build(int argc, char **argv)
{
        static const struct option longopts[] = { { "repo", required_argument, NULL, OPT_REPO },
                                                  { "rev", required_argument, NULL, OPT_REV },
                                                  { "since", required_argument, NULL, OPT_SINCE },
                                                  { "tag", required_argument, NULL, OPT_TAG },
                                                  { "push", no_argument, NULL, OPT_PUSH },
                                                  { "no-cache", no_argument, NULL, OPT_NO_CACHE },
                                                  { "report", required_argument, NULL, OPT_REPORT },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        _cleanup_free_ char **tags = calloc((size_t)argc + 1, sizeof(char *));
        BuildRun run = { .command = "berth build",
                         .repo_path = ".",
                         .rev = "HEAD",
                         .own_tags = true,
                         .commit_tag = true,
                         .branch_latest = true };
        size_t n_tags = 0;
        int c;

        if (!tags)
                return cli_report_error(NULL, -ENOMEM, "berth build");
        optind = 1;
        while ((c = getopt_long(argc, argv, "H:h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_REPO:
                        run.repo_path = optarg;
                        break;
                case OPT_REV:
                        run.rev = optarg;
                        break;
                case OPT_SINCE:
                        run.since = optarg;
                        break;
                case OPT_TAG:
                        tags[n_tags++] = optarg;
                        break;
                case OPT_PUSH:
                        run.push = true;
                        break;
                case OPT_NO_CACHE:
                        run.no_cache = true;
                        break;
                case OPT_REPORT:
                        run.report = optarg;
                        break;
                case 'H':
                        run.host = optarg;
                        break;
                case 'h':
                        build_help(stdout);
                        return EXIT_DONE;
                default:
                        build_help(stderr);
                        return EXIT_USAGE;
                }
        }
        run.tags = tags;
        run.names = argv + optind;
        return build_run(&run);
}
