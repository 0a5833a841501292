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

static void release_help(FILE *f)
{
        fprintf(f,
                "usage: berth release --tag GIT_TAG [--repo DIR] [--no-cache] [--report FILE] [-H HOST]\n\n"
                "Builds the image descriptors at a release tag and pushes each with the version's tags:\n"
                "image_v1.2.3 or v1.2.3 release every image as 1.2.3, 1.2 and 1; web/v1.2.3 releases web\n"
                "alone; a pre-release (1.3.0-rc.1) gets its full version only. latest moves only when no\n"
                "other release tag of the repo has a higher version. Every image is also tagged with the\n"
                "commit's short id. berth.yaml may set release: {tag_pattern: ..., latest: true|false}.\n"
                "An image whose inputs were built before is tagged and pushed, not rebuilt.\n\n"
                "      --tag GIT_TAG    the release's git tag (in a tag pipeline: $CI_COMMIT_TAG,\n"
                "                       $GITHUB_REF_NAME)\n"
                "      --repo DIR       the config repo (default: .)\n"
                "      --no-cache       build even what was built before, without the engine's cache\n"
                "      --report FILE    write the JSON report there, with each pushed digest\n"
                "  -H, --host HOST      engine (default: DOCKER_HOST)\n\n"
                "exit codes: 0 done, 1 an image failed, 64 usage error\n");
}

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

enum {
        OPT_REPO = OPT_FIRST_COMMAND_OPTION,
        OPT_TAG,
        OPT_NO_CACHE,
        OPT_REPORT,
};

int cmd_release(int argc, char **argv)
{
        static const struct option longopts[] = { { "repo", required_argument, NULL, OPT_REPO },
                                                  { "tag", required_argument, NULL, OPT_TAG },
                                                  { "no-cache", no_argument, NULL, OPT_NO_CACHE },
                                                  { "report", required_argument, NULL, OPT_REPORT },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        BuildRun run = { .command = "berth release", .repo_path = ".", .push = true, .commit_tag = true };
        const char *git_tag = NULL;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "H:h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_REPO:
                        run.repo_path = optarg;
                        break;
                case OPT_TAG:
                        git_tag = optarg;
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
                        release_help(stdout);
                        return EXIT_DONE;
                default:
                        release_help(stderr);
                        return EXIT_USAGE;
                }
        }
        if (!git_tag || optind < argc) {
                release_help(stderr);
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
        int r;
        if (asprintf(&ref, "refs/tags/%s", git_tag) < 0)
                return cli_report_error(NULL, -ENOMEM, run.command);
        if ((r = repo_open(run.repo_path, &repo, &err)) < 0)
                return cli_report_error(&err, r, run.command);
        if (repo_resolve(repo, ref, commit, &err) < 0) {
                fprintf(stderr, "berth release: there is no tag \"%s\" in the repo (git fetch --tags?)\n",
                        git_tag);
                return EXIT_USAGE;
        }
        if ((r = settings_load(repo, commit, &settings, &err)) < 0 ||
            (r = repo_tag_names(repo, &git_tags, &err)) < 0)
                return cli_report_error(&err, r, run.command);
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
                return cli_report_error(&err, r, run.command);
        char **latest = calloc(images.n + 1, sizeof(char *));
        size_t n_latest = 0;
        for (size_t i = 0; latest && rs.latest && !t.v.pre[0] && i < images.n; i++)
                if ((!t.image[0] || strcmp(t.image, images.items[i].name) == 0) &&
                    highest(&t, git_tag, patterns, git_tags, images.items[i].name))
                        latest[n_latest++] = images.items[i].name;
        run.rev = commit;
        run.tags = tag_list;
        run.names = t.image[0] ? one : NULL;
        run.latest_for = latest;
        run.release = git_tag;
        run.version = version;
        repo = repo_free(repo); /* build_run opens its own */
        r = latest ? build_run(&run) : cli_report_error(NULL, -ENOMEM, run.command);
        free(latest);
        image_list_done(&images);
        return r;
}
