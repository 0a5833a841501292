/* build-run.c: image descriptors built, tagged, pushed and reported, for berth build and release. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-run.h"
#include "cli.h"
#include "registry/auth.h"
#include "image/image.h"
#include "report/ci.h"
#include "yaml/emit.h"

extern char **environ;

typedef struct Pushed {
        char tag[160];
        char digest[80];
} Pushed;

typedef struct Job {
        const ImageDesc *d;
        ImageSpec spec;
        BuildResult built;
        char build_hash[65];
        BuiltImage reused; /* found already built from the same inputs */
        Ignore ignore;     /* the context's .dockerignore, for --since */
        Pushed *pushed;
        size_t n_pushed;
        bool named; /* asked for (by name, or all) before --since narrows it */
        bool selected, loaded, ok;
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

static const char *result_name(const Job *j, bool push)
{
        if (!j->ok)
                return "FAILED";
        if (push)
                return j->reused.id[0] ? "pushed (not rebuilt)" : "pushed";
        return j->reused.id[0] ? "unchanged" : "built";
}

static cJSON *report_json(const BuildRun *run, const char *commit, const Job *jobs, size_t n)
{
        cJSON *doc = cJSON_CreateObject(), *images;
        char line[1600];
        cJSON_AddStringToObject(doc, "commit", commit);
        if (run->release) {
                cJSON_AddStringToObject(doc, "release", run->release);
                cJSON_AddStringToObject(doc, "version", run->version);
        }
        images = cJSON_AddArrayToObject(doc, "images");
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
                cJSON_AddStringToObject(o, "result", result_name(j, run->push));
                if (j->built.id[0])
                        cJSON_AddStringToObject(o, "id", j->built.id);
                if (j->build_hash[0])
                        cJSON_AddStringToObject(o, "build_hash", j->build_hash);
                cJSON_AddBoolToObject(o, "rebuilt", j->ok && !j->reused.id[0]);
                if (j->reused.commit[0])
                        cJSON_AddStringToObject(o, "built_at", j->reused.commit);
                if (j->n_pushed) {
                        cJSON *list = cJSON_AddArrayToObject(o, "pushed");
                        for (size_t k = 0; k < j->n_pushed; k++) {
                                cJSON *p = cJSON_CreateObject();
                                char ref[600];
                                snprintf(ref, sizeof(ref), "%s:%s", j->spec.reference, j->pushed[k].tag);
                                cJSON_AddStringToObject(p, "reference", ref);
                                cJSON_AddStringToObject(p, "digest", j->pushed[k].digest);
                                cJSON_AddItemToArray(list, p);
                        }
                }
                cJSON_AddNumberToObject(o, "seconds", j->built.seconds);
                if (j->error.set)
                        cJSON_AddStringToObject(o, "error", error_format(&j->error, line, sizeof(line)));
                cJSON_AddItemToArray(images, o);
        }
        return doc;
}

static void build_line(void *ud, const char *line)
{
        const Job *j = ud;
        printf("image %s: %s\n", j->d->name, line);
        fflush(stdout); /* live, as the engine says it */
}

/* An image built from exactly these inputs already (the build hash): tagged again, not rebuilt. */
static int reuse(EngineClient *engine, Job *j)
{
        ImageSpec *s = &j->spec;
        int r;
        for (size_t k = 0; k < s->n_tags; k++)
                if ((r = image_tag(engine, j->reused.id, s->reference, s->tags[k], &j->error)) < 0)
                        return r;
        snprintf(j->built.id, sizeof(j->built.id), "%s", j->reused.id);
        printf("image %s: unchanged, not rebuilt: %.19s has the same inputs (build hash %.12s%s%.12s); "
               "tagged %s\n",
               j->d->name, j->reused.id, j->build_hash, j->reused.commit[0] ? ", built at " : "",
               j->reused.commit, s->n_tags ? "again" : "nothing");
        return 0;
}

static int push_all(EngineClient *engine, const EnvMap *env, Job *j)
{
        ImageSpec *s = &j->spec;
        _cleanup_free_ char *auth = NULL;
        bool found = false;
        int r;
        if ((r = registry_auth_header(env, s->registry, &auth, &found)) < 0)
                return error_set(&j->error, r, NULL, 0, 0, NULL, "cannot read registry credentials");
        if (!(j->pushed = calloc(s->n_tags ? s->n_tags : 1, sizeof(Pushed))))
                return -ENOMEM;
        for (size_t k = 0; k < s->n_tags; k++) {
                Pushed *p = &j->pushed[j->n_pushed];
                if ((r = image_push(engine, s, s->tags[k], auth, p->digest, &j->error)) < 0) {
                        const char *bound = registry_env_bound(env);
                        const char *user = envmap_get(env, "BERTH_REGISTRY_USER");
                        if (!found && user && *user)
                                error_hint(&j->error,
                                           "BERTH_REGISTRY_USER and BERTH_REGISTRY_PASSWORD are for %s%s%s, "
                                           "not for %s, so they were not sent%s",
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
                snprintf(p->tag, sizeof(p->tag), "%s", s->tags[k]);
                j->n_pushed++;
                printf("image %s: pushed %s:%s %s\n", j->d->name, s->reference, s->tags[k],
                       p->digest[0] ? p->digest : "(the registry reported no digest)");
                fflush(stdout);
        }
        return 0;
}

static int build_one(EngineClient *engine, Repo *repo, const char *head, const EnvMap *env,
                     const char *registry_config, const BuildRun *run, Job *j)
{
        ImageSpec *s = &j->spec;
        int r;

        if (s->n_tags == 0)
                return error_set(&j->error, -EINVAL, j->d->config, 0, 0, NULL,
                                 "the image has no tag to build (image.json tags, or --tag)");
        if ((r = context_hash(repo, head, s->context, s->dockerfile, s->target, s->build_args, j->build_hash,
                              &j->error)) < 0)
                return r;
        if (!run->no_cache && (r = image_find_built(engine, j->build_hash, &j->reused, &j->error)) < 0)
                return r;
        printf("image %s: %s %s:%s", j->d->name, j->reused.id[0] ? "tagging" : "building", s->reference,
               s->tags[0]);
        for (size_t k = 1; k < s->n_tags; k++)
                printf(", :%s", s->tags[k]);
        printf(" from %s%s\n", *s->context ? s->context : "the repo's top", *s->context ? "/" : "");
        fflush(stdout);
        if (j->reused.id[0])
                r = reuse(engine, j);
        else {
                BuildOptions o = { .id = { .repo = repo_identity(repo), .commit = head },
                                   .registry_config = registry_config,
                                   .build_hash = j->build_hash,
                                   .no_cache = run->no_cache,
                                   .line = build_line,
                                   .ud = j };
                if ((r = image_build(engine, repo, head, s, &o, &j->built, &j->error)) >= 0)
                        printf("image %s: built %.19s in %.1fs (%zu files sent, %zu left out by "
                               ".dockerignore)\n",
                               j->d->name, j->built.id, j->built.seconds, j->built.context.files,
                               j->built.context.excluded);
        }
        if (r < 0 || !run->push)
                return r;
        return push_all(engine, env, j);
}

static bool in_list(char *const *list, const char *name)
{
        for (char *const *p = list; p && *p; p++)
                if (strcmp(*p, name) == 0)
                        return true;
        return false;
}

/* Whether the build is of the default branch: the CI's branch (or the one checked out) is the one
 * BERTH_DEFAULT_BRANCH or CI_DEFAULT_BRANCH names, else main or master. A tag pipeline never is. */
static bool on_default_branch(Repo *repo, const EnvMap *env)
{
        const char *want = envmap_get(env, "BERTH_DEFAULT_BRANCH");
        const char *gh_type = envmap_get(env, "GITHUB_REF_TYPE");
        const char *branch = envmap_get(env, "CI_COMMIT_BRANCH");
        _cleanup_free_ char *checked_out = NULL;
        if (!want || !*want)
                want = envmap_get(env, "CI_DEFAULT_BRANCH");
        if ((envmap_get(env, "CI_COMMIT_TAG") && *envmap_get(env, "CI_COMMIT_TAG")) ||
            (gh_type && strcmp(gh_type, "tag") == 0))
                return false;
        if ((!branch || !*branch) && gh_type && strcmp(gh_type, "branch") == 0)
                branch = envmap_get(env, "GITHUB_REF_NAME");
        if (!branch || !*branch)
                branch = checked_out = repo_head_branch(repo);
        if (!branch)
                return false;
        if (want && *want)
                return strcmp(branch, want) == 0;
        return strcmp(branch, "main") == 0 || strcmp(branch, "master") == 0;
}

/* The run's tags for one image: its own, the commit's, and `latest` where the run gives it. */
static char **tags_for(const BuildRun *run, const char *image, const char *short_id, bool branch_latest)
{
        size_t n = 0;
        for (char *const *t = run->tags; t && *t; t++)
                n++;
        char **v = calloc(n + 3, sizeof(char *));
        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++)
                v[i] = run->tags[i];
        if (run->commit_tag)
                v[n++] = (char *)short_id;
        if (branch_latest || run->latest_all || in_list(run->latest_for, image))
                v[n] = "latest";
        return v;
}

/* Whether this run moves latest: berth build on the default branch's head, unless a release owns it. */
static bool takes_latest(const BuildRun *run, Repo *repo, const Settings *settings, const EnvMap *env,
                         const char *head)
{
        const ReleaseSettings *rs = &settings->release;
        char at_head[41];
        /* An older commit of the branch (--rev) never takes latest back from its head. */
        return run->branch_latest && !(rs->present && rs->latest) && on_default_branch(repo, env) &&
               repo_resolve(repo, "HEAD", at_head, NULL) >= 0 && strcmp(at_head, head) == 0;
}

/* --since: of the images selected, only those whose context changed between since and head. */
static int select_since(const BuildRun *run, Repo *repo, const char *head, Job *jobs, size_t n,
                        BerthError *err)
{
        char from[41];
        SinceCtx sc = { .jobs = jobs, .n = n };
        int r;
        for (size_t i = 0; i < n; i++) {
                jobs[i].named = jobs[i].selected;
                jobs[i].selected = false;
        }
        if ((r = repo_resolve(repo, run->since, from, err)) < 0 ||
            (r = repo_changed_paths(repo, from, head, since_cb, &sc, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                jobs[i].selected &= jobs[i].named;
        return 0;
}

/* The table of results and, with --report, the JSON report; false when an image failed or the report
 * could not be written. */
static bool summarize(const BuildRun *run, const char *head, const Job *jobs, size_t n)
{
        bool ok = true;
        printf("\n%-22s %-22s %s\n", "IMAGE", "RESULT", "DURATION");
        for (size_t i = 0; i < n; i++)
                if (jobs[i].selected) {
                        printf("%-22s %-22s %.1fs\n", jobs[i].d->name, result_name(&jobs[i], run->push),
                               jobs[i].built.seconds);
                        ok &= jobs[i].ok;
                }
        if (!run->report)
                return ok;
        _cleanup_cjson_ cJSON *doc = report_json(run, head, jobs, n);
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        FILE *f = fopen(run->report, "we");
        emit_json(doc, 0, &out);
        if (!f || fwrite(strbuf_str(&out), 1, out.len, f) != out.len) {
                fprintf(stderr, "%s: cannot write the report to \"%s\"\n", run->command, run->report);
                ok = false;
        }
        if (f)
                fclose(f);
        return ok;
}

int build_run(const BuildRun *run)
{
        _cleanup_repo_ Repo *repo = NULL;
        _cleanup_engine_ EngineClient *engine = NULL;
        _cleanup_free_ char *registry = NULL, *registry_config = NULL;
        _cleanup_envmap_ EnvMap env, image_env;
        _cleanup_(settings_done) Settings settings = SETTINGS_INIT;
        ImageList images = { 0 };
        Job *jobs = NULL;
        BerthError err = { 0 };
        char head[41];
        bool all = !run->names || !run->names[0];
        int r;

        envmap_init(&env);
        envmap_init(&image_env);
        if (envmap_from_environ(&env, environ) < 0)
                return cli_report_error(NULL, -ENOMEM, run->command);
        if ((r = repo_open(run->repo_path, &repo, &err)) < 0 ||
            (r = repo_resolve(repo, run->rev, head, &err)) < 0 ||
            (r = settings_load(repo, head, &settings, &err)) < 0 ||
            (r = settings_registry(&settings, &env, &registry, &err)) < 0 ||
            (r = settings_image_env(&settings, &env, &image_env)) < 0 ||
            (r = settings_images(&settings, repo, &images, &err)) < 0)
                return cli_report_error(&err, r, run->command);
        for (char *const *n = run->names; n && *n; n++)
                if (!image_list_find(&images, *n)) {
                        fprintf(stderr,
                                "%s: there is no image \"%s\" at %.12s (images/%s/Dockerfile or "
                                "Dockerfile-%s)\n",
                                run->command, *n, head, *n, *n);
                        image_list_done(&images);
                        return EXIT_USAGE;
                }
        if (!(jobs = calloc(images.n ? images.n : 1, sizeof(Job)))) {
                image_list_done(&images);
                return cli_report_error(NULL, -ENOMEM, run->command);
        }
        bool branch_latest = takes_latest(run, repo, &settings, &env, head);
        char short_id[9];
        snprintf(short_id, sizeof(short_id), "%.8s", head);
        /* Every descriptor loads first: a broken image.json fails alone, and --since needs the contexts. */
        for (size_t i = 0; i < images.n; i++) {
                Job *j = &jobs[i];
                _cleanup_free_ char **tags = tags_for(run, images.items[i].name, short_id, branch_latest);
                j->d = &images.items[i];
                j->selected = all || in_list(run->names, j->d->name);
                j->loaded = tags &&
                            image_load(repo, head, j->d, &image_env, registry, run->own_tags, tags, &j->spec,
                                       &j->error) >= 0 &&
                            (!run->since ||
                             context_ignore(repo, head, j->spec.context, &j->ignore, &j->error) >= 0);
        }
        if (run->since && (r = select_since(run, repo, head, jobs, images.n, &err)) < 0) {
                r = cli_report_error(&err, r, run->command);
                goto out;
        }
        size_t selected = 0;
        for (size_t i = 0; i < images.n; i++)
                selected += jobs[i].selected;
        printf("repo %s at %.12s: %zu of %zu images to %s%s\n", repo_identity(repo), head, selected,
               images.n, run->release ? "release" : "build", run->since ? " (changed since --since)" : "");
        if (run->release)
                printf("release %s: version %s\n", run->release, run->version);
        fflush(stdout);
        if (selected && (r = cli_engine_connect(run->host, &engine)) != EXIT_DONE)
                goto out;
        if ((r = registry_config_header(&env, &registry_config)) < 0) {
                r = cli_report_error(NULL, r, run->command);
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
                j->ok = j->loaded && build_one(engine, repo, head, &env, registry_config, run, j) >= 0;
                ci_section_end(stdout, ci, id);
                if (!j->ok)
                        print_error(j->d->name, &j->error);
        }
        r = summarize(run, head, jobs, images.n) ? EXIT_DONE : EXIT_FAILED;
out:
        for (size_t i = 0; i < images.n; i++) {
                image_spec_done(&jobs[i].spec);
                ignore_done(&jobs[i].ignore);
                free(jobs[i].pushed);
        }
        free(jobs);
        image_list_done(&images);
        return r;
}
