/* test-buildrun.c: berth build's choices from a real git repo, with no engine (which images, which
 * tags, when latest moves, what --since selects, a broken descriptor failing alone), and the reuse path
 * against a fake engine: what was sent, what the shell was told, and the report. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "buildrun/buildrun.h"
#include "fake-engine.h"
#include "gitrepo.h"
#include "tap.h"
#include "util/json.h"
#include "yaml/emit.h"

static char dir[256];
static char first[41], head[41];

/* web (images/web, own tag 1.0, a .dockerignore), api (images/api), tool (Dockerfile-tool at the top),
 * broken (image.json not an object); then a second commit that changes api's context alone, and a
 * file web's .dockerignore leaves out. */
static void make_repo(void)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-buildrun-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        free(repo_sh(dir, "git init -q -b main . && mkdir -p images/web images/api images/broken && "
                          "echo 'FROM scratch' > images/web/Dockerfile && "
                          "echo '{\"tags\": [\"1.0\"]}' > images/web/image.json && "
                          "printf 'notes/\\n' > images/web/.dockerignore && "
                          "echo 'FROM scratch' > images/api/Dockerfile && echo one > images/api/main.c && "
                          "echo 'FROM scratch' > Dockerfile-tool && "
                          "echo 'FROM scratch' > images/broken/Dockerfile && "
                          "echo '[1, 2]' > images/broken/image.json"));
        repo_commit(dir, "one");
        free(repo_sh(dir, "mkdir -p images/web/notes && echo n > images/web/notes/a && echo two > "
                          "images/api/main.c"));
        repo_commit(dir, "two");
        repo_rev(dir, "HEAD~1", first);
        repo_rev(dir, "HEAD", head);
}

static const BuildJob *job(const BuildSet *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->jobs[i].d->name, name) == 0)
                        return &s->jobs[i];
        return NULL;
}

static bool has_tag(const BuildJob *j, const char *tag)
{
        for (size_t k = 0; j && k < j->spec.n_tags; k++)
                if (strcmp(j->spec.tags[k], tag) == 0)
                        return true;
        return false;
}

TEST(every_image_with_its_tags)
{
        make_repo();
        EnvMap env;
        envmap_init(&env);
        BuildRun run = {
                .repo_path = dir, .rev = "HEAD", .own_tags = true, .commit_tag = true, .branch_latest = true
        };
        BuildSet s = { 0 };
        BerthError err = { 0 };
        ASSERT_OK(build_set_load(&run, &env, &s, &err));
        ASSERT_EQ(s.n, 4);
        ASSERT_EQ(s.selected, 4);
        ASSERT_STREQ(s.head, head);
        const BuildJob *web = job(&s, "web"), *tool = job(&s, "tool"), *broken = job(&s, "broken");
        char short_id[9];
        snprintf(short_id, sizeof(short_id), "%.8s", head);
        ASSERT_TRUE(web && web->loaded && has_tag(web, "1.0") && has_tag(web, short_id));
        /* main's head, checked out: latest moves */
        ASSERT_TRUE(has_tag(web, "latest"));
        ASSERT_TRUE(tool && tool->loaded && has_tag(tool, "latest") && !has_tag(tool, "1.0"));
        ASSERT_STREQ(tool ? tool->spec.reference : "", "tool");
        /* a broken image.json fails its own job, named, and the others load */
        ASSERT_TRUE(broken && !broken->loaded);
        ASSERT_CONTAINS(broken ? broken->error.file : "", "images/broken/image.json");
        build_set_done(&s);
        envmap_done(&env);
}

TEST(latest_only_at_the_default_branchs_head)
{
        EnvMap env;
        envmap_init(&env);
        BuildRun run = { .repo_path = dir, .rev = first, .commit_tag = true, .branch_latest = true };
        BuildSet s = { 0 };
        BerthError err = { 0 };
        /* an older commit never takes latest back from the head */
        ASSERT_OK(build_set_load(&run, &env, &s, &err));
        ASSERT_TRUE(!has_tag(job(&s, "api"), "latest"));
        build_set_done(&s);
        /* a tag pipeline, at the head, does not move it either */
        run.rev = "HEAD";
        ASSERT_OK(envmap_set(&env, "CI_COMMIT_TAG", "v1.0.0"));
        ASSERT_OK(build_set_load(&run, &env, &s, &err));
        ASSERT_TRUE(!has_tag(job(&s, "api"), "latest"));
        build_set_done(&s);
        /* another default branch named: main is not it */
        envmap_done(&env);
        envmap_init(&env);
        ASSERT_OK(envmap_set(&env, "CI_DEFAULT_BRANCH", "trunk"));
        ASSERT_OK(build_set_load(&run, &env, &s, &err));
        ASSERT_TRUE(!has_tag(job(&s, "api"), "latest"));
        build_set_done(&s);
        envmap_done(&env);
}

TEST(names_and_since)
{
        EnvMap env;
        envmap_init(&env);
        char *names[] = { "web", "nope", NULL };
        BuildRun run = { .repo_path = dir, .rev = "HEAD", .commit_tag = true, .names = names };
        BuildSet s = { 0 };
        BerthError err = { 0 };
        ASSERT_EQ(build_set_load(&run, &env, &s, &err), -ESRCH);
        ASSERT_CONTAINS(err.msg, "there is no image \"nope\"");
        /* since the first commit: api's context changed; web's change is in what .dockerignore leaves
         * out; tool's context is the whole repo, so any change sends it */
        run.names = NULL;
        run.since = first;
        err = (BerthError){ 0 };
        ASSERT_OK(build_set_load(&run, &env, &s, &err));
        ASSERT_TRUE(job(&s, "api")->selected);
        ASSERT_TRUE(!job(&s, "web")->selected);
        ASSERT_TRUE(job(&s, "tool")->selected);
        ASSERT_EQ(s.selected, 2);
        build_set_done(&s);
        /* by name and since together: only what both choose */
        char *only_web_api[] = { "web", "api", NULL };
        run.names = only_web_api;
        ASSERT_OK(build_set_load(&run, &env, &s, &err));
        ASSERT_EQ(s.selected, 1);
        ASSERT_TRUE(job(&s, "api")->selected);
        build_set_done(&s);
        envmap_done(&env);
}

typedef struct Heard {
        char lines[8][512];
        size_t n, started, ended;
} Heard;

static void heard_line(void *ud, const BuildJob *j, const char *line)
{
        Heard *h = ud;
        if (h->n < 8)
                snprintf(h->lines[h->n++], sizeof(h->lines[0]), "%s: %s", j->d->name, line);
}

static void heard_start(void *ud, const BuildJob *j)
{
        ((Heard *)ud)->started++;
}

static void heard_end(void *ud, const BuildJob *j)
{
        ((Heard *)ud)->ended++;
}

/* An image of the same inputs is on the engine: tagged again, not rebuilt, and the report says so. */
TEST(reused_when_built_before)
{
        EnvMap env;
        envmap_init(&env);
        char *names[] = { "api", NULL };
        char *tags[] = { "stable", NULL };
        BuildRun run = { .repo_path = dir, .rev = "HEAD", .names = names, .tags = tags };
        BuildSet s = { 0 };
        BerthError err = { 0 };
        ASSERT_OK(build_set_load(&run, &env, &s, &err));
        FakeEngine f;
        FakeReply r[] = {
                { 200, "Api-Version: 1.43\r\n", "OK" },
                { 200, NULL,
                  "[{\"Id\":\"sha256:1111222233334444\",\"Created\":5,"
                  "\"Labels\":{\"io.berth.commit\":\"abcdef0123456789\"}}]" },
                { 201, NULL, NULL },
        };
        ASSERT_OK(fake_start(&f, r, 3));
        char host[160];
        snprintf(host, sizeof(host), "unix://%s", f.path);
        EngineConfig cfg = { .host = host, .timeout_s = 10 };
        EngineClient *c = NULL;
        ASSERT_OK(engine_client_new(&cfg, &c, &err));
        Heard h = { 0 };
        BuildEvents ev = { .line = heard_line, .start = heard_start, .end = heard_end, .ud = &h };
        ASSERT_EQ(build_set_run(&s, &run, c, &env, &ev), 0);
        ASSERT_EQ(h.started, 1);
        ASSERT_EQ(h.ended, 1);
        ASSERT_CONTAINS(f.requests[1], "GET /v1.43/images/json?filters=");
        ASSERT_CONTAINS(f.requests[2],
                        "POST /v1.43/images/sha256%3A1111222233334444/tag?repo=api&tag=stable");
        ASSERT_STREQ(h.lines[0], "api: tagging api:stable from images/api/");
        ASSERT_CONTAINS(h.lines[1], "api: unchanged, not rebuilt: sha256:111122223333 has the same inputs");
        ASSERT_CONTAINS(h.lines[1], "built at abcdef012345); tagged again");
        const BuildJob *api = job(&s, "api");
        ASSERT_STREQ(build_job_result(api, false), "unchanged");
        cJSON *doc = build_set_report(&s, &run);
        StrBuf out = STRBUF_INIT;
        ASSERT_OK(emit_json(doc, 0, &out));
        ASSERT_CONTAINS(strbuf_str(&out), "\"result\": \"unchanged\"");
        ASSERT_CONTAINS(strbuf_str(&out), "\"rebuilt\": false");
        ASSERT_CONTAINS(strbuf_str(&out), "\"built_at\": \"abcdef0123456789\"");
        ASSERT_TRUE(!strstr(strbuf_str(&out), "\"web\"")); /* only what was selected */
        strbuf_done(&out);
        /* A report that lost a part to a failed allocation, at any of them, is not written as if
         * whole (json.h); under the sanitizers, nothing leaks either. */
        cJSON_Delete(doc);
        unsigned k, refused = 0;
        for (k = 1; k < 100; k++) {
                json_reset();
                json_fail_allocation(k);
                doc = build_set_report(&s, &run);
                bool failed = json_failures() > 0;
                json_fail_allocation(0);
                refused += failed && emit_json(doc, 0, &out) == -ENOMEM && out.len == 0;
                cJSON_Delete(doc);
                strbuf_done(&out);
                if (!failed)
                        break;
        }
        json_reset();
        ASSERT_TRUE(k > 10);
        ASSERT_EQ(refused, k - 1);
        engine_client_free(c);
        fake_stop(&f);
        build_set_done(&s);
        envmap_done(&env);
}

TEST(zz_cleanup)
{
        free(repo_sh("/tmp", "rm -rf %s", dir));
        ASSERT_TRUE(access(dir, F_OK) != 0);
}

TAP_MAIN()
