/* buildrun.c: image descriptors chosen, built, tagged, pushed and reported, for berth build and
 * release. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/auth.h"
#include "../util/strbuf.h"
#include "buildrun.h"
#include "../util/json.h"

typedef struct SinceCtx {
        BuildJob *jobs;
        size_t n;
} SinceCtx;

static __attribute__((format(printf, 3, 4))) void say(const BuildEvents *ev, const BuildJob *j,
                                                      const char *fmt, ...)
{
        char line[1024];
        va_list ap;
        if (!ev || !ev->line)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        ev->line(ev->ud, j, line);
}

/* A changed path selects every image whose context sends it (its .dockerignore considered), and the
 * descriptor's image.json. */
static int since_cb(void *ud, const char *path)
{
        SinceCtx *s = ud;
        for (size_t i = 0; i < s->n; i++) {
                BuildJob *j = &s->jobs[i];
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

const char *build_job_result(const BuildJob *j, bool push)
{
        if (!j->ok)
                return "FAILED";
        if (push)
                return j->reused.id[0] ? "pushed (not rebuilt)" : "pushed";
        return j->reused.id[0] ? "unchanged" : "built";
}

static cJSON *job_json(const BuildJob *j, bool push)
{
        cJSON *o = cJSON_CreateObject();
        char line[1600];
        cJSON_AddStringToObject(o, "image", j->d->name);
        if (j->spec.reference) {
                cJSON_AddStringToObject(o, "reference", j->spec.reference);
                cJSON *tags = cJSON_AddArrayToObject(o, "tags");
                for (size_t k = 0; k < j->spec.n_tags; k++)
                        json_append(tags, cJSON_CreateString(j->spec.tags[k]));
        }
        cJSON_AddStringToObject(o, "result", build_job_result(j, push));
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
                        json_append(list, p);
                }
        }
        cJSON_AddNumberToObject(o, "seconds", j->built.seconds);
        if (j->error.set)
                cJSON_AddStringToObject(o, "error", error_format(&j->error, line, sizeof(line)));
        return o;
}

cJSON *build_set_report(const BuildSet *s, const BuildRun *run)
{
        _cleanup_cjson_ cJSON *doc = cJSON_CreateObject();
        cJSON *images;
        cJSON_AddStringToObject(doc, "commit", s->head);
        if (run->release) {
                cJSON_AddStringToObject(doc, "release", run->release);
                cJSON_AddStringToObject(doc, "version", run->version);
        }
        images = cJSON_AddArrayToObject(doc, "images");
        for (size_t i = 0; i < s->n; i++)
                if (s->jobs[i].selected)
                        json_append(images, job_json(&s->jobs[i], run->push));
        return TAKE_PTR(doc); /* complete or not, json_print() and the emitters know (json.h) */
}

typedef struct LineCtx {
        const BuildEvents *ev;
        const BuildJob *j;
} LineCtx;

static void build_line(void *ud, const char *line)
{
        LineCtx *x = ud;
        say(x->ev, x->j, "%s", line);
}

/* An image built from exactly these inputs already (the build hash): tagged again, not rebuilt. */
static int reuse(EngineClient *engine, BuildJob *j, const BuildEvents *ev)
{
        ImageSpec *s = &j->spec;
        int r;
        for (size_t k = 0; k < s->n_tags; k++)
                if ((r = image_tag(engine, j->reused.id, s->reference, s->tags[k], &j->error)) < 0)
                        return r;
        snprintf(j->built.id, sizeof(j->built.id), "%s", j->reused.id);
        say(ev, j, "unchanged, not rebuilt: %.19s has the same inputs (build hash %.12s%s%.12s); tagged %s",
            j->reused.id, j->build_hash, j->reused.commit[0] ? ", built at " : "", j->reused.commit,
            s->n_tags ? "again" : "nothing");
        return 0;
}

/* Why a push was refused, when the credentials berth has were not for that registry. */
static void hint_credentials(BuildJob *j, const EnvMap *env)
{
        const ImageSpec *s = &j->spec;
        const char *bound = registry_env_bound(env);
        const char *user = envmap_get(env, "BERTH_REGISTRY_USER");
        if (user && *user)
                error_hint(&j->error,
                           "BERTH_REGISTRY_USER and BERTH_REGISTRY_PASSWORD are for %s%s%s, not for %s, so "
                           "they were not sent%s",
                           bound ? "\"" : "", bound ? bound : "no registry", bound ? "\"" : "",
                           s->registry ? s->registry : "Docker Hub",
                           bound ? "" : ": set BERTH_REGISTRY to the registry they are for");
        else
                error_hint(&j->error,
                           "no credentials for %s: set BERTH_REGISTRY, BERTH_REGISTRY_USER and "
                           "BERTH_REGISTRY_PASSWORD, or docker login",
                           s->registry ? s->registry : "Docker Hub");
}

static int push_all(EngineClient *engine, const EnvMap *env, BuildJob *j, const BuildEvents *ev)
{
        ImageSpec *s = &j->spec;
        _cleanup_free_ char *auth = NULL;
        bool found = false;
        int r;
        if ((r = registry_auth_header(env, s->registry, &auth, &found)) < 0)
                return error_set(&j->error, r, NULL, 0, 0, NULL, "cannot read registry credentials");
        if (!(j->pushed = calloc(s->n_tags ? s->n_tags : 1, sizeof(BuildPushed))))
                return -ENOMEM;
        for (size_t k = 0; k < s->n_tags; k++) {
                BuildPushed *p = &j->pushed[j->n_pushed];
                if ((r = image_push(engine, s, s->tags[k], auth, p->digest, &j->error)) < 0) {
                        if (!found)
                                hint_credentials(j, env);
                        return r;
                }
                snprintf(p->tag, sizeof(p->tag), "%s", s->tags[k]);
                j->n_pushed++;
                say(ev, j, "pushed %s:%s %s", s->reference, s->tags[k],
                    p->digest[0] ? p->digest : "(the registry reported no digest)");
        }
        return 0;
}

static int build_one(BuildSet *set, EngineClient *engine, const EnvMap *env, const char *registry_config,
                     const BuildRun *run, BuildJob *j, const BuildEvents *ev)
{
        ImageSpec *s = &j->spec;
        int r;

        if (s->n_tags == 0)
                return error_set(&j->error, -EINVAL, j->d->config, 0, 0, NULL,
                                 "the image has no tag to build (image.json tags, or --tag)");
        if ((r = context_hash(set->repo, set->head, s->context, s->dockerfile, s->target, s->build_args,
                              j->build_hash, &j->error)) < 0)
                return r;
        if (!run->no_cache && (r = image_find_built(engine, j->build_hash, &j->reused, &j->error)) < 0)
                return r;
        _cleanup_strbuf_ StrBuf what = STRBUF_INIT;
        strbuf_addf(&what, "%s %s:%s", j->reused.id[0] ? "tagging" : "building", s->reference, s->tags[0]);
        for (size_t k = 1; k < s->n_tags; k++)
                strbuf_addf(&what, ", :%s", s->tags[k]);
        strbuf_addf(&what, " from %s%s", *s->context ? s->context : "the repo's top",
                    *s->context ? "/" : "");
        if (strbuf_error(&what))
                return -ENOMEM;
        say(ev, j, "%s", strbuf_str(&what));
        if (j->reused.id[0])
                r = reuse(engine, j, ev);
        else {
                LineCtx lc = { .ev = ev, .j = j };
                BuildOptions o = { .id = { .repo = repo_identity(set->repo), .commit = set->head },
                                   .registry_config = registry_config,
                                   .build_hash = j->build_hash,
                                   .no_cache = run->no_cache,
                                   .line = build_line,
                                   .ud = &lc };
                if ((r = image_build(engine, set->repo, set->head, s, &o, &j->built, &j->error)) >= 0)
                        say(ev, j, "built %.19s in %.1fs (%zu files sent, %zu left out by .dockerignore)",
                            j->built.id, j->built.seconds, j->built.context.files,
                            j->built.context.excluded);
        }
        if (r < 0 || !run->push)
                return r;
        return push_all(engine, env, j, ev);
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
        const char *tag = envmap_get(env, "CI_COMMIT_TAG");
        _cleanup_free_ char *checked_out = NULL;
        if (!want || !*want)
                want = envmap_get(env, "CI_DEFAULT_BRANCH");
        if ((tag && *tag) || (gh_type && strcmp(gh_type, "tag") == 0))
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
static bool takes_latest(const BuildRun *run, const BuildSet *s, const EnvMap *env)
{
        const ReleaseSettings *rs = &s->settings.release;
        char at_head[41];
        /* An older commit of the branch (--rev) never takes latest back from its head. */
        return run->branch_latest && !(rs->present && rs->latest) && on_default_branch(s->repo, env) &&
               repo_resolve(s->repo, "HEAD", at_head, NULL) >= 0 && strcmp(at_head, s->head) == 0;
}

/* --since: of the images selected, only those whose context changed between since and head. */
static int select_since(const BuildRun *run, BuildSet *s, BerthError *err)
{
        char from[41];
        SinceCtx sc = { .jobs = s->jobs, .n = s->n };
        int r;
        for (size_t i = 0; i < s->n; i++) {
                s->jobs[i].named = s->jobs[i].selected;
                s->jobs[i].selected = false;
        }
        if ((r = repo_resolve(s->repo, run->since, from, err)) < 0 ||
            (r = repo_changed_paths(s->repo, from, s->head, since_cb, &sc, err)) < 0)
                return r;
        for (size_t i = 0; i < s->n; i++)
                s->jobs[i].selected &= s->jobs[i].named;
        return 0;
}

/* Every descriptor loads first: a broken image.json fails alone, and --since needs the contexts. */
static int load_jobs(const BuildRun *run, const EnvMap *env, BuildSet *s)
{
        bool all = !run->names || !run->names[0];
        bool branch_latest = takes_latest(run, s, env);
        char short_id[9];
        snprintf(short_id, sizeof(short_id), "%.8s", s->head);
        if (!(s->jobs = calloc(s->images.n ? s->images.n : 1, sizeof(BuildJob))))
                return -ENOMEM;
        s->n = s->images.n;
        for (size_t i = 0; i < s->n; i++) {
                BuildJob *j = &s->jobs[i];
                _cleanup_free_ char **tags = tags_for(run, s->images.items[i].name, short_id, branch_latest);
                if (!tags)
                        return -ENOMEM;
                j->d = &s->images.items[i];
                j->selected = all || in_list(run->names, j->d->name);
                j->loaded = image_load(s->repo, s->head, j->d, &s->image_env, s->registry, run->own_tags,
                                       tags, &j->spec, &j->error) >= 0 &&
                            (!run->since ||
                             context_ignore(s->repo, s->head, j->spec.context, &j->ignore, &j->error) >= 0);
        }
        return 0;
}

int build_set_load(const BuildRun *run, const EnvMap *env, BuildSet *ret, BerthError *err)
{
        BuildSet s = { .settings = SETTINGS_INIT };
        int r;
        envmap_init(&s.image_env);
        if ((r = repo_open(run->repo_path, &s.repo, err)) < 0 ||
            (r = repo_resolve(s.repo, run->rev, s.head, err)) < 0 ||
            (r = settings_load(s.repo, s.head, &s.settings, err)) < 0 ||
            (r = settings_registry(&s.settings, env, &s.registry, err)) < 0 ||
            (r = settings_image_env(&s.settings, env, &s.image_env)) < 0 ||
            (r = settings_images(&s.settings, s.repo, &s.images, err)) < 0)
                goto fail;
        for (char *const *n = run->names; n && *n; n++)
                if (!image_list_find(&s.images, *n)) {
                        r = error_set(err, -ESRCH, NULL, 0, 0, NULL,
                                      "there is no image \"%s\" at %.12s (images/%s/Dockerfile or "
                                      "Dockerfile-%s)",
                                      *n, s.head, *n, *n);
                        goto fail;
                }
        if ((r = load_jobs(run, env, &s)) < 0 || (run->since && (r = select_since(run, &s, err)) < 0))
                goto fail;
        for (size_t i = 0; i < s.n; i++)
                s.selected += s.jobs[i].selected;
        *ret = s;
        return 0;
fail:
        build_set_done(&s);
        return r;
}

size_t build_set_run(BuildSet *s, const BuildRun *run, EngineClient *engine, const EnvMap *env,
                     const BuildEvents *ev)
{
        _cleanup_free_ char *registry_config = NULL;
        size_t failed = 0;
        int r = registry_config_header(env, &registry_config);
        for (size_t i = 0; i < s->n; i++) {
                BuildJob *j = &s->jobs[i];
                if (!j->selected)
                        continue;
                if (ev && ev->start)
                        ev->start(ev->ud, j);
                if (r < 0)
                        error_set(&j->error, r, NULL, 0, 0, NULL,
                                  "cannot read the registry credentials for FROM");
                j->ok = r >= 0 && j->loaded && build_one(s, engine, env, registry_config, run, j, ev) >= 0;
                failed += !j->ok;
                if (ev && ev->end)
                        ev->end(ev->ud, j);
        }
        return failed;
}

void build_set_done(BuildSet *s)
{
        for (size_t i = 0; i < s->n; i++) {
                image_spec_done(&s->jobs[i].spec);
                ignore_done(&s->jobs[i].ignore);
                free(s->jobs[i].pushed);
        }
        free(s->jobs);
        image_list_done(&s->images);
        free(s->registry);
        envmap_done(&s->image_env);
        settings_done(&s->settings);
        repo_free(s->repo);
        *s = (BuildSet){ 0 };
}
