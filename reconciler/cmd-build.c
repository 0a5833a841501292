/* cmd-build.c: `berth build`, the config repo's images built from a commit and pushed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/auth.h"
#include "image/image.h"
#include "cli.h"
#include "report/ci.h"
#include "report/emit.h"

extern char **environ;

static void build_help(FILE *f)
{
        fprintf(f,
                "usage: berth build [IMAGE...] [--repo DIR] [--rev REV] [--since REV] [--tag TAG]... "
                "[--push]\n"
                "                   [--report FILE] [-H HOST]\n\n"
                "Builds the image descriptors of the config repo (images/<name>/Dockerfile with "
                "image.json,\n"
                "or Dockerfile-<name> with image-<name>.json) from a commit, each with its tags, and "
                "pushes\n"
                "them with --push. Credentials: BERTH_REGISTRY_USER and BERTH_REGISTRY_PASSWORD, else\n"
                "$DOCKER_CONFIG/config.json.\n\n"
                "      --repo DIR       the config repo (default: .)\n"
                "      --rev REV        the commit to build from (default: HEAD)\n"
                "      --since REV      only the images whose context changed since REV\n"
                "      --tag TAG        one more tag for every image (repeat; e.g. the release's git tag)\n"
                "      --push           push every tag to the image's registry\n"
                "      --report FILE    write the JSON report there (a CI artifact)\n"
                "  -H, --host HOST      engine (default: DOCKER_HOST)\n\n"
                "exit codes: 0 done, 1 an image failed, 64 usage error\n");
}

typedef struct Job {
        const ImageDesc *d;
        ImageSpec spec;
        BuildResult built;
        Ignore ignore; /* the context's .dockerignore, for --since */
        bool named;    /* asked for (by name, or all) before --since narrows it */
        bool selected, loaded, ok, pushed;
        BerthError error;
} Job;

typedef struct SinceCtx {
        Job *jobs;
        size_t n;
} SinceCtx;

/* A changed path selects every image whose context sends it (its .dockerignore considered), and the
 * descriptor's image.json. */
static int since_cb(void *ud, const char *path)
{
        SinceCtx *s = ud;
        for (size_t i = 0; i < s->n; i++) {
                Job *j = &s->jobs[i];
                const char *ctx = j->spec.context;
                size_t n = ctx ? strlen(ctx) : 0;
                if (!j->loaded || strcmp(path, j->d->config) == 0) {
                        j->selected |= strcmp(path, j->d->config) == 0;
                        continue;
                }
                if (n && (strncmp(path, ctx, n) != 0 || path[n] != '/'))
                        continue;
                j->selected |= context_sends(&j->ignore, j->spec.dockerfile, path + (n ? n + 1 : 0));
        }
        return 0;
}

static void print_error(const char *image, const BerthError *e)
{
        char line[1600];
        fflush(stdout); /* in order with what came before it */
        fprintf(stderr, "image %s: %s\n", image, error_format(e, line, sizeof(line)));
        if (e->hint[0])
                fprintf(stderr, "hint: %s\n", e->hint);
}

static cJSON *report_json(const char *commit, const Job *jobs, size_t n, bool push)
{
        cJSON *doc = cJSON_CreateObject(), *images = cJSON_AddArrayToObject(doc, "images");
        char line[1600];
        cJSON_AddStringToObject(doc, "commit", commit);
        for (size_t i = 0; i < n; i++) {
                const Job *j = &jobs[i];
                if (!j->selected)
                        continue;
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "image", j->d->name);
                if (j->spec.reference) {
                        cJSON_AddStringToObject(o, "reference", j->spec.reference);
                        cJSON *tags = cJSON_AddArrayToObject(o, "tags");
                        for (size_t k = 0; k < j->spec.n_tags; k++)
                                cJSON_AddItemToArray(tags, cJSON_CreateString(j->spec.tags[k]));
                }
                cJSON_AddStringToObject(o, "result", j->ok ? (push ? "pushed" : "built") : "FAILED");
                if (j->built.id[0])
                        cJSON_AddStringToObject(o, "id", j->built.id);
                cJSON_AddNumberToObject(o, "seconds", j->built.seconds);
                if (j->error.set)
                        cJSON_AddStringToObject(o, "error", error_format(&j->error, line, sizeof(line)));
                cJSON_AddItemToArray(images, o);
        }
        return doc;
}

static int build_one(EngineClient *engine, Repo *repo, const char *head, const char *identity,
                     const EnvMap *env, const char *registry_config, bool push, Job *j)
{
        BuildIdentity id = { .repo = identity, .commit = head };
        ImageSpec *s = &j->spec;
        int r;

        printf("image %s: building %s:%s", j->d->name, s->reference, s->tags[0]);
        for (size_t k = 1; k < s->n_tags; k++)
                printf(", :%s", s->tags[k]);
        printf(" from %s%s\n", *s->context ? s->context : "the repo's top", *s->context ? "/" : "");
        fflush(stdout);
        if ((r = image_build(engine, repo, head, s, &id, registry_config, &j->built, &j->error)) < 0)
                return r;
        printf("image %s: built %.19s in %.1fs (%zu files sent, %zu left out by .dockerignore)\n",
               j->d->name, j->built.id, j->built.seconds, j->built.context.files, j->built.context.excluded);
        if (!push)
                return 0;
        _cleanup_free_ char *auth = NULL;
        bool found = false;
        if ((r = registry_auth_header(env, s->registry, &auth, &found)) < 0)
                return error_set(&j->error, r, NULL, 0, 0, NULL, "cannot read registry credentials");
        for (size_t k = 0; k < s->n_tags; k++) {
                if ((r = image_push(engine, s, s->tags[k], auth, &j->error)) < 0) {
                        const char *bound = registry_env_bound(env);
                        const char *user = envmap_get(env, "BERTH_REGISTRY_USER");
                        if (!found && user && *user)
                                error_hint(&j->error,
                                           "BERTH_REGISTRY_USER and BERTH_REGISTRY_PASSWORD are for %s%s%s, "
                                           "not "
                                           "for %s, so they were not sent%s",
                                           bound ? "\"" : "", bound ? bound : "no registry",
                                           bound ? "\"" : "", s->registry ? s->registry : "Docker Hub",
                                           bound ? "" : ": set BERTH_REGISTRY to the registry they are for");
                        else if (!found)
                                error_hint(
                                        &j->error,
                                        "no credentials for %s: set BERTH_REGISTRY, BERTH_REGISTRY_USER and "
                                        "BERTH_REGISTRY_PASSWORD, or docker login",
                                        s->registry ? s->registry : "Docker Hub");
                        return r;
                }
                printf("image %s: pushed %s:%s\n", j->d->name, s->reference, s->tags[k]);
                fflush(stdout);
        }
        j->pushed = true;
        return 0;
}

enum {
        OPT_REPO = OPT_FIRST_COMMAND_OPTION,
        OPT_REV,
        OPT_SINCE,
        OPT_TAG,
        OPT_PUSH,
        OPT_REPORT,
};

int cmd_build(int argc, char **argv)
{
        static const struct option longopts[] = { { "repo", required_argument, NULL, OPT_REPO },
                                                  { "rev", required_argument, NULL, OPT_REV },
                                                  { "since", required_argument, NULL, OPT_SINCE },
                                                  { "tag", required_argument, NULL, OPT_TAG },
                                                  { "push", no_argument, NULL, OPT_PUSH },
                                                  { "report", required_argument, NULL, OPT_REPORT },
                                                  { "host", required_argument, NULL, 'H' },
                                                  { "help", no_argument, NULL, 'h' },
                                                  {} };
        const char *repo_path = ".", *rev = "HEAD", *since = NULL, *host = NULL, *report = NULL;
        _cleanup_free_ char **tags = calloc((size_t)argc + 1, sizeof(char *));
        _cleanup_repo_ Repo *repo = NULL;
        _cleanup_engine_ EngineClient *engine = NULL;
        _cleanup_free_ char *registry = NULL, *registry_config = NULL;
        _cleanup_envmap_ EnvMap env, image_env;
        ImageList images = { 0 };
        Job *jobs = NULL;
        BerthError err = { 0 };
        char head[41];
        size_t n_tags = 0;
        bool push = false;
        int c, r = EXIT_DONE;

        envmap_init(&env);
        envmap_init(&image_env);
        if (!tags || envmap_from_environ(&env, environ) < 0)
                return cli_report_error(NULL, -ENOMEM, "berth build");
        optind = 1;
        while ((c = getopt_long(argc, argv, "H:h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_REPO:
                        repo_path = optarg;
                        break;
                case OPT_REV:
                        rev = optarg;
                        break;
                case OPT_SINCE:
                        since = optarg;
                        break;
                case OPT_TAG:
                        tags[n_tags++] = optarg;
                        break;
                case OPT_PUSH:
                        push = true;
                        break;
                case OPT_REPORT:
                        report = optarg;
                        break;
                case 'H':
                        host = optarg;
                        break;
                case 'h':
                        build_help(stdout);
                        return EXIT_DONE;
                default:
                        build_help(stderr);
                        return EXIT_USAGE;
                }
        }
        if ((r = repo_open(repo_path, &repo, &err)) < 0 || (r = repo_resolve(repo, rev, head, &err)) < 0 ||
            (r = settings_registry(repo, head, &env, &registry, &err)) < 0 ||
            (r = settings_image_env(repo, head, &env, &image_env, &err)) < 0 ||
            (r = repo_images(repo, head, &images, NULL, NULL, &err)) < 0)
                return cli_report_error(&err, r, "berth build");
        for (int i = optind; i < argc; i++)
                if (!image_list_find(&images, argv[i])) {
                        fprintf(stderr,
                                "berth build: there is no image \"%s\" at %.12s (images/%s/Dockerfile or "
                                "Dockerfile-%s)\n",
                                argv[i], head, argv[i], argv[i]);
                        image_list_done(&images);
                        return EXIT_USAGE;
                }
        if (!(jobs = calloc(images.n ? images.n : 1, sizeof(Job)))) {
                image_list_done(&images);
                return cli_report_error(NULL, -ENOMEM, "berth build");
        }
        /* Every descriptor loads first: a broken image.json fails alone, and --since needs the contexts. */
        for (size_t i = 0; i < images.n; i++) {
                Job *j = &jobs[i];
                j->d = &images.items[i];
                j->selected = optind == argc;
                for (int k = optind; k < argc; k++)
                        j->selected |= strcmp(argv[k], j->d->name) == 0;
                j->loaded =
                        image_load(repo, head, j->d, &image_env, registry, tags, &j->spec, &j->error) >= 0 &&
                        (!since || context_ignore(repo, head, j->spec.context, &j->ignore, &j->error) >= 0);
        }
        if (since) {
                char from[41];
                SinceCtx sc = { .jobs = jobs, .n = images.n };
                for (size_t i = 0; i < images.n; i++) {
                        jobs[i].named = jobs[i].selected;
                        jobs[i].selected = false;
                }
                if ((r = repo_resolve(repo, since, from, &err)) < 0 ||
                    (r = repo_changed_paths(repo, from, head, since_cb, &sc, &err)) < 0) {
                        r = cli_report_error(&err, r, "berth build");
                        goto out;
                }
                for (size_t i = 0; i < images.n; i++)
                        jobs[i].selected &= jobs[i].named;
        }
        size_t selected = 0;
        for (size_t i = 0; i < images.n; i++)
                selected += jobs[i].selected;
        printf("repo %s at %.12s: %zu of %zu images to build%s\n", repo_identity(repo), head, selected,
               images.n, since ? " (changed since --since)" : "");
        fflush(stdout);
        if (selected && (r = cli_engine_connect(host, &engine)) != EXIT_DONE)
                goto out;
        if ((r = registry_config_header(&env, &registry_config)) < 0) {
                r = cli_report_error(NULL, r, "berth build");
                goto out;
        }
        CiKind ci = ci_detect(&env);
        for (size_t i = 0; i < images.n; i++) {
                Job *j = &jobs[i];
                char id[80], title[96];
                if (!j->selected)
                        continue;
                snprintf(id, sizeof(id), "berth_build_%s", j->d->name);
                snprintf(title, sizeof(title), "berth: image %s", j->d->name);
                ci_section_start(stdout, ci, id, title, true);
                j->ok = j->loaded && build_one(engine, repo, head, repo_identity(repo), &env,
                                               registry_config, push, j) >= 0;
                ci_section_end(stdout, ci, id);
                if (!j->ok)
                        print_error(j->d->name, &j->error);
        }
        printf("\n%-22s %-22s %s\n", "IMAGE", "RESULT", "DURATION");
        bool bad = false;
        for (size_t i = 0; i < images.n; i++)
                if (jobs[i].selected) {
                        printf("%-22s %-22s %.1fs\n", jobs[i].d->name,
                               jobs[i].ok ? (push ? "pushed" : "built") : "FAILED", jobs[i].built.seconds);
                        bad |= !jobs[i].ok;
                }
        if (report) {
                _cleanup_cjson_ cJSON *doc = report_json(head, jobs, images.n, push);
                _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
                FILE *f = fopen(report, "we");
                emit_json(doc, 0, &out);
                if (!f || fwrite(strbuf_str(&out), 1, out.len, f) != out.len) {
                        fprintf(stderr, "berth build: cannot write the report to \"%s\"\n", report);
                        bad = true;
                }
                if (f)
                        fclose(f);
        }
        r = bad ? EXIT_FAILED : EXIT_DONE;
out:
        for (size_t i = 0; i < images.n; i++) {
                image_spec_done(&jobs[i].spec);
                ignore_done(&jobs[i].ignore);
        }
        free(jobs);
        image_list_done(&images);
        return r;
}
