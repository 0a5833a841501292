/* cmd-release.c: `berth release --tag GIT_TAG`, the images built at a release tag and pushed with its
 * version's tags: image_v1.2.3 gives 1.2.3, 1.2 and 1 (a pre-release its full version alone), and
 * latest when no other release is higher. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-run.h"
#include "cli.h"
#include "image/release.h"

static const CliCommand release_cmd = {
        .name = "release",
        .about =
                "Builds the image descriptors at a release tag (--tag, which it needs) and pushes each "
                "with\n"
                "the version's tags: image_v1.2.3 or v1.2.3 release every image as 1.2.3, 1.2 and 1;\n"
                "web/v1.2.3 releases web alone; a pre-release (1.3.0-rc.1) gets its full version only.\n"
                "latest moves only when no other release tag of the repo has a higher version. Every image\n"
                "is also tagged with the commit's short id. berth.yaml may set release: {tag_pattern: ...,\n"
                "latest: true|false}. An image whose inputs were built before is tagged and pushed, not\n"
                "rebuilt.",
        .exits = "0 done, 1 an image failed, 64 usage error",
};

/* Whether v is at least every other release of the image (pre-releases never count: they never
 * move latest, and a release is never held back by one). */
static bool highest(const ReleaseTag *t, const char *git_tag, const char *const *patterns, char **tags,
                    const char *image)
{
        for (char **g = tags; g && *g; g++) {
                ReleaseTag o;
                if (strcmp(*g, git_tag) == 0 || !release_match(patterns, *g, &o) || o.v.pre[0])
                        continue;
                if (o.image[0] && strcmp(o.image, image) != 0)
                        continue;
                if (version_cmp(&o.v, &t->v) > 0)
                        return false;
        }
        return true;
}

int cmd_release(int argc, char **argv)
{
        CliBuild b = { .command = "berth release",
                       .run = { .repo_path = ".", .push = true, .commit_tag = true } };
        BuildRun *run = &b.run;
        const char *git_tag = NULL;
        int first, r;
        const CliOption opts[] = {
                CLI_STRING(0, "tag", "GIT_TAG", &git_tag,
                           "the release's git tag (in a tag pipeline: $CI_COMMIT_TAG,\n$GITHUB_REF_NAME)"),
                CLI_STRING(0, "repo", "DIR", &run->repo_path, "the config repo (default: .)"),
                CLI_FLAG(0, "no-cache", &run->no_cache,
                         "build even what was built before, without the engine's cache"),
                CLI_STRING(0, "report", "FILE", &b.report,
                           "write the JSON report there, with each pushed digest"),
                CLI_HOST_OPTION(&b.host),
                CLI_END,
        };

        if (!cli_parse(&release_cmd, opts, argc, argv, &first, &r))
                return r;
        if (!git_tag) {
                fprintf(stderr, "berth release: name the release's git tag: --tag GIT_TAG\n");
                return EXIT_USAGE;
        }

        _cleanup_repo_ Repo *repo = NULL;
        _cleanup_(settings_done) Settings settings = SETTINGS_INIT;
        _cleanup_strv_free_ char **git_tags = NULL;
        _cleanup_free_ char *ref = NULL;
        BerthError err = { 0 };
        ImageList images = { 0 };
        ReleaseTag t;
        char commit[41];
        if (asprintf(&ref, "refs/tags/%s", git_tag) < 0)
                return cli_report_error(NULL, -ENOMEM, b.command);
        if ((r = repo_open(run->repo_path, &repo, &err)) < 0)
                return cli_report_error(&err, r, b.command);
        if (repo_resolve(repo, ref, commit, &err) < 0) {
                fprintf(stderr, "berth release: there is no tag \"%s\" in the repo (git fetch --tags?)\n",
                        git_tag);
                return EXIT_USAGE;
        }
        if ((r = settings_load(repo, commit, &settings, &err)) < 0 ||
            (r = repo_tag_names(repo, &git_tags, &err)) < 0)
                return cli_report_error(&err, r, b.command);
        const ReleaseSettings rs = settings.release;
        const char *const *patterns =
                rs.patterns ? (const char *const *)rs.patterns : release_default_patterns;
        if (!release_match(patterns, git_tag, &t)) {
                fprintf(stderr, "berth release: \"%s\" is not a release tag: it matches none of", git_tag);
                for (const char *const *p = patterns; *p; p++)
                        fprintf(stderr, "%s \"%s\"", p == patterns ? "" : ",", *p);
                fprintf(stderr, " (with a semver version, 1.2.3)\n");
                return EXIT_USAGE;
        }
        char tags[3][160], version[160];
        size_t n = release_image_tags(&t.v, tags);
        snprintf(version, sizeof(version), "%s", tags[0]);
        char *tag_list[4] = { NULL };
        for (size_t i = 0; i < n; i++)
                tag_list[i] = tags[i];
        char *one[2] = { t.image, NULL };
        /* latest, per image: a release of every image may be the highest of one and not of another,
         * which has a higher release of its own. */
        if ((r = settings_images(&settings, repo, &images, &err)) < 0)
                return cli_report_error(&err, r, b.command);
        char **latest = calloc(images.n + 1, sizeof(char *));
        size_t n_latest = 0;
        for (size_t i = 0; latest && rs.latest && !t.v.pre[0] && i < images.n; i++)
                if ((!t.image[0] || strcmp(t.image, images.items[i].name) == 0) &&
                    highest(&t, git_tag, patterns, git_tags, images.items[i].name))
                        latest[n_latest++] = images.items[i].name;
        run->rev = commit;
        run->tags = tag_list;
        run->names = t.image[0] ? one : NULL;
        run->latest_for = latest;
        run->release = git_tag;
        run->version = version;
        repo = repo_free(repo); /* the build set opens its own */
        r = latest ? cli_build_run(&b) : cli_report_error(NULL, -ENOMEM, b.command);
        free(latest);
        image_list_done(&images);
        return r;
}
