/* test-settings.c: berth.yaml read once per commit from a real git repo: every section's shape checked
 * at load (so a mistake in a section one command does not use still fails it, with file:line:col), the
 * policy applied over defaults, and what depends on the environment interpolated only when asked. */
#include <stdlib.h>
#include <unistd.h>

#include "gitrepo.h"
#include "reconcile/settings.h"
#include "tap.h"

static char dir[256];

/* A repo whose one commit holds berth.yaml with yaml (NULL: none); head gets the commit. */
static Repo *repo_with(const char *yaml, char head[41])
{
        Repo *r = NULL;
        BerthError err = { 0 };
        snprintf(dir, sizeof(dir), "/tmp/berth-test-settings-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        free(repo_sh(dir, "git init -q -b main . && mkdir -p docker/app images/other && echo 'FROM x' > "
                          "docker/app/Dockerfile && echo 'FROM y' > images/other/Dockerfile"));
        if (yaml) {
                char path[300];
                snprintf(path, sizeof(path), "%s/berth.yaml", dir);
                FILE *f = fopen(path, "we");
                if (!f)
                        abort();
                fputs(yaml, f);
                fclose(f);
        }
        repo_commit(dir, "one");
        if (repo_open(dir, &r, &err) < 0 || repo_resolve(r, "HEAD", head, &err) < 0)
                abort();
        return r;
}

static void done(Repo *r)
{
        repo_free(r);
        free(repo_sh("/tmp", "rm -rf %s", dir));
}

static const char FULL[] = "prune: false\n"
                           "parallel: 3\n"
                           "health_timeout: 90s\n"
                           "mode: swarm\n"
                           "allow_host_paths: [/srv/media]\n"
                           "registry: ${REG}/team\n"
                           "image_variables: [APP_VERSION]\n"
                           "image_dirs: [docker]\n"
                           "release: {tag_pattern: \"v{version}\", latest: false}\n"
                           "targets:\n"
                           "  edge:\n"
                           "    host: tcp://${DEPLOY_HOST}:2376\n"
                           "    stacks: [web-*]\n";

TEST(every_section_is_read_at_once)
{
        char head[41];
        Repo *r = repo_with(FULL, head);
        Settings s = SETTINGS_INIT;
        BerthError err = { 0 };
        ASSERT_OK(settings_load(r, head, &s, &err));
        ASSERT_STREQ(s.commit, head);
        ReconcileOptions o = { .prune = true, .parallel = 8, .health_timeout_s = 300 };
        settings_apply(&s, &o);
        ASSERT_EQ(o.prune, false);
        ASSERT_EQ(o.parallel, 3);
        ASSERT_EQ(o.health_timeout_s, 90);
        ASSERT_EQ(o.mode, DEPLOY_SWARM);
        ASSERT_EQ(o.n_allowed_host_paths, 1);
        ASSERT_STREQ(o.allowed_host_paths[0], "/srv/media");
        ASSERT_TRUE(s.release.present && !s.release.latest);
        ASSERT_STREQ(s.release.patterns ? s.release.patterns[0] : "(none)", "v{version}");

        EnvMap env, image_env;
        envmap_init(&env);
        envmap_init(&image_env);
        envmap_set(&env, "DEPLOY_HOST", "10.0.0.5");
        envmap_set(&env, "REG", "registry.example.com");
        envmap_set(&env, "APP_VERSION", "1.2");
        envmap_set(&env, "CI_COMMIT_TAG", "v1.2.0");
        envmap_set(&env, "CI_JOB_TOKEN", "not-for-images");
        TargetList t = { 0 };
        ASSERT_OK(settings_targets(&s, &env, &t, &err));
        ASSERT_EQ(t.n, 1);
        ASSERT_STREQ(t.items[0].host, "tcp://10.0.0.5:2376");
        ASSERT_TRUE(target_has_stack(&t.items[0], "web-shop") && !target_has_stack(&t.items[0], "db"));
        target_list_done(&t);
        char *registry = NULL;
        ASSERT_OK(settings_registry(&s, &env, &registry, &err));
        ASSERT_STREQ(registry, "registry.example.com/team");
        free(registry);
        ASSERT_OK(settings_image_env(&s, &env, &image_env));
        ASSERT_STREQ(envmap_get(&image_env, "APP_VERSION"), "1.2");
        ASSERT_STREQ(envmap_get(&image_env, "CI_COMMIT_TAG"), "v1.2.0");
        ASSERT_TRUE(envmap_get(&image_env, "CI_JOB_TOKEN") == NULL);
        ImageList images = { 0 };
        ASSERT_OK(settings_images(&s, r, &images, &err));
        ASSERT_EQ(images.n, 1);
        ASSERT_STREQ(images.items[0].name, "app");
        image_list_done(&images);

        /* A variable the job does not have is an error where the value is asked for, with its place. */
        EnvMap bare;
        envmap_init(&bare);
        BerthError e2 = { 0 };
        char line[1200];
        ASSERT_TRUE(settings_targets(&s, &bare, &t, &e2) < 0);
        ASSERT_TRUE(strstr(error_format(&e2, line, sizeof(line)), "berth.yaml:12:11") != NULL);
        envmap_done(&bare);
        envmap_done(&env);
        envmap_done(&image_env);
        settings_done(&s);
        done(r);
}

TEST(no_file_keeps_the_defaults)
{
        char head[41];
        Repo *r = repo_with(NULL, head);
        Settings s = SETTINGS_INIT;
        BerthError err = { 0 };
        ASSERT_OK(settings_load(r, head, &s, &err));
        ASSERT_TRUE(s.doc == NULL);
        ReconcileOptions o = { .prune = true, .parallel = 8, .health_timeout_s = 300 };
        settings_apply(&s, &o);
        ASSERT_TRUE(o.prune && o.parallel == 8 && o.health_timeout_s == 300 && o.mode == DEPLOY_COMPOSE);
        ASSERT_TRUE(o.allowed_host_paths == NULL);
        ASSERT_TRUE(!s.release.present && s.release.latest);
        TargetList t = { 0 };
        ASSERT_OK(settings_targets(&s, NULL, &t, &err));
        ASSERT_EQ(t.n, 0);
        ImageList images = { 0 };
        ASSERT_OK(settings_images(&s, r, &images, &err));
        ASSERT_EQ(images.n, 1);
        ASSERT_STREQ(images.items[0].name, "other");
        image_list_done(&images);
        settings_done(&s);
        done(r);
}

/* A mistake in any section fails the load, wherever the command would have looked. */
TEST(a_mistake_anywhere_is_found_at_load)
{
        static const struct {
                const char *yaml, *where, *says;
        } cases[] = {
                { "release: {tag_pattern: v1}\n", "berth.yaml:1:24", "{version}" },
                { "targets:\n  a:\n    stacks: [x]\n    hostname: y\n", "berth.yaml:4:5", "unknown key" },
                { "targets:\n  a:\n    host: ftp://x\n    stacks: [x]\n", "berth.yaml:3:11",
                  "unsupported host" },
                { "image_dirs: [../x]\n", "berth.yaml:1:14", "directory of the repo" },
                { "image_variables: [1]\n", "berth.yaml:1:19", "variable name" },
                { "parallel: 0\n", "berth.yaml:1:11", "whole number" },
                { "registry: [a]\n", "berth.yaml:1:11", "must be a string" },
                { "- a\n", "berth.yaml:1:1", "mapping" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char head[41], line[1200];
                Repo *r = repo_with(cases[i].yaml, head);
                Settings s = SETTINGS_INIT;
                BerthError err = { 0 };
                ASSERT_TRUE(settings_load(r, head, &s, &err) < 0);
                const char *msg = error_format(&err, line, sizeof(line));
                if (!strstr(msg, cases[i].where) || !strstr(msg, cases[i].says))
                        TAP_FAIL("case %zu: %s (wanted %s: ... %s)", i, msg, cases[i].where, cases[i].says);
                settings_done(&s);
                done(r);
        }
}

TAP_MAIN()
