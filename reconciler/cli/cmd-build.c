/* cmd-build.c: `berth build`, the config repo's images built from a commit and pushed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "build-run.h"
#include "cli.h"

static const CliCommand build_cmd = {
        .name = "build",
        .args = "[IMAGE...]",
        .max_args = 1024,
        .about = "Builds the image descriptors of the config repo (images/<name>/Dockerfile with "
                 "image.json,\n"
                 "or Dockerfile-<name> with image-<name>.json) from a commit, each with its tags, the\n"
                 "commit's short id, and latest on the default branch (unless berth.yaml's release: owns\n"
                 "latest), and pushes them with --push. An image whose inputs (context, Dockerfile, args,\n"
                 "target) were built before is tagged, not rebuilt. Credentials: BERTH_REGISTRY_USER and\n"
                 "BERTH_REGISTRY_PASSWORD, else $DOCKER_CONFIG/config.json.",
        .exits = "0 done, 1 an image failed, 64 usage error",
};

int cmd_build(int argc, char **argv)
{
        CliList tags = { 0 };
        CliBuild b = { .command = "berth build",
                       .run = { .repo_path = ".",
                                .rev = "HEAD",
                                .own_tags = true,
                                .commit_tag = true,
                                .branch_latest = true } };
        BuildRun *run = &b.run;
        int first, r;
        const CliOption opts[] = {
                CLI_STRING(0, "repo", "DIR", &run->repo_path, "the config repo (default: .)"),
                CLI_STRING(0, "rev", "REV", &run->rev, "the commit to build from (default: HEAD)"),
                CLI_STRING(0, "since", "REV", &run->since,
                           "only the images whose context changed since REV"),
                CLI_LIST(0, "tag", "TAG", &tags, "one more tag for every image (repeat)"),
                CLI_FLAG(0, "push", &run->push, "push every tag to the image's registry"),
                CLI_FLAG(0, "no-cache", &run->no_cache,
                         "build even what was built before, without the engine's cache"),
                CLI_STRING(0, "report", "FILE", &b.report, "write the JSON report there (a CI artifact)"),
                CLI_HOST_OPTION(&b.host),
                CLI_END,
        };

        if (!cli_parse(&build_cmd, opts, argc, argv, &first, &r)) {
                cli_list_done(&tags);
                return r;
        }
        run->tags = (char *const *)tags.v;
        run->names = argv + first;
        r = cli_build_run(&b);
        cli_list_done(&tags);
        return r;
}
