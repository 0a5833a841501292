/* test-source.c: the project source: what each backing lets the compose loader read, and what not. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/project.h"
#include "source/source.h"
#include "tap.h"

static char dir[256];

static void put(const char *name, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        fputs(text, f);
        fclose(f);
}

static int read_rc(Source *s, const char *path, char *got, size_t size, BerthError *err)
{
        char *buf = NULL;
        int r = source_read(s, path, 1024, &buf, NULL, err);
        if (r >= 0)
                snprintf(got, size, "%s", buf);
        free(buf);
        return r;
}

TEST(memory_source_confines_paths)
{
        Source *s = NULL;
        char got[64] = "";
        BerthError err = { 0 };
        ASSERT_OK(source_memory_new("/state/key/web", "memory", &s));
        ASSERT_OK(source_memory_add(s, "stacks/web/a.env", "A=1\n", 4));
        ASSERT_EQ(source_memory_add(s, "stacks/../x", "", 0), -EINVAL);
        ASSERT_EQ(source_memory_add(s, ".git/config", "", 0), -EINVAL);
        ASSERT_OK(read_rc(s, "/state/key/web/stacks/web/a.env", got, sizeof(got), &err));
        ASSERT_STREQ(got, "A=1\n");
        ASSERT_OK(read_rc(s, "stacks/web/../web/a.env", got, sizeof(got), &err));
        ASSERT_EQ(read_rc(s, "stacks/web/missing.env", got, sizeof(got), &err), -ENOENT);
        ASSERT_EQ(read_rc(s, "/state/key/web/stacks/web/../../../x", got, sizeof(got), &err), -EACCES);
        ASSERT_CONTAINS(err.msg, "is outside the stack's source");
        err = (BerthError){ 0 };
        ASSERT_EQ(read_rc(s, "/etc/passwd", got, sizeof(got), &err), -EACCES);
        ASSERT_EQ(source_kind(s, "stacks/web"), SRC_DIR);
        ASSERT_EQ(source_kind(s, "stacks/web/a.env"), SRC_FILE);
        ASSERT_EQ(source_kind(s, "/etc/passwd"), SRC_OTHER);
        char *rel = NULL;
        ASSERT_EQ(source_relative(s, "/state/key/webby/x", &rel), -EACCES);
        ASSERT_OK(source_relative(s, "/state/key/web/stacks", &rel));
        ASSERT_STREQ(rel, "stacks");
        free(rel);
        source_unref(s);
}

TEST(names)
{
        ASSERT_TRUE(source_name_valid("compose.yaml", 12));
        ASSERT_TRUE(source_name_valid("...", 3));
        ASSERT_TRUE(!source_name_valid("", 0));
        ASSERT_TRUE(!source_name_valid(".", 1));
        ASSERT_TRUE(!source_name_valid("..", 2));
        ASSERT_TRUE(!source_name_valid(".git", 4));
        ASSERT_TRUE(!source_name_valid(".GIT", 4));
        ASSERT_TRUE(!source_name_valid("a/b", 3));
        ASSERT_TRUE(!source_name_valid("a\nb", 3));
        ASSERT_TRUE(source_path_valid("stacks/web/x"));
        ASSERT_TRUE(!source_path_valid("stacks//x"));
        ASSERT_TRUE(!source_path_valid("stacks/../x"));
        ASSERT_TRUE(!source_path_valid("/x"));
}

TEST(directory_source_stays_beneath)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-source-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        char sub[300], outside[300], path[400];
        snprintf(sub, sizeof(sub), "%s/repo", dir);
        mkdir(sub, 0755);
        put("secret", "S=host\n");
        put("repo/ok.env", "A=1\n");
        put("allowed.env", "B=2\n");
        snprintf(path, sizeof(path), "%s/repo/link.env", dir);
        ASSERT_OK(symlink("../secret", path)); /* a symlink that leads out */
        snprintf(path, sizeof(path), "%s/repo/inner.env", dir);
        ASSERT_OK(symlink("ok.env", path)); /* one that stays inside */
        snprintf(path, sizeof(path), "%s/repo/fifo", dir);
        ASSERT_OK(mkfifo(path, 0600));
        snprintf(outside, sizeof(outside), "%s/allowed.env", dir);

        Source *s = NULL;
        BerthError err = { 0 };
        char got[64] = "";
        ASSERT_OK(source_dir_new(sub, &s, &err));
        ASSERT_OK(read_rc(s, "ok.env", got, sizeof(got), &err));
        ASSERT_STREQ(got, "A=1\n");
        ASSERT_OK(read_rc(s, "inner.env", got, sizeof(got), &err));
        ASSERT_STREQ(got, "A=1\n");
        ASSERT_EQ(read_rc(s, "link.env", got, sizeof(got), &err), -EACCES);
        ASSERT_CONTAINS(err.msg, "through a symlink");
        err = (BerthError){ 0 };
        ASSERT_EQ(read_rc(s, "fifo", got, sizeof(got), &err), -EACCES); /* and it did not hang */
        ASSERT_CONTAINS(err.msg, "not a regular file");
        ASSERT_EQ(read_rc(s, outside, got, sizeof(got), &err), -EACCES);
        const char *allow[] = { outside };
        ASSERT_OK(source_allow(s, allow, 1));
        ASSERT_OK(read_rc(s, outside, got, sizeof(got), &err));
        ASSERT_STREQ(got, "B=2\n");
        source_unref(s);

        /* The compose loader through it: an env_file that leaves the work tree is refused at its line. */
        put("repo/compose.yaml", "services:\n  web:\n    image: busybox\n    env_file: ../secret\n");
        snprintf(path, sizeof(path), "%s/repo/.git", dir);
        mkdir(path, 0755); /* the work tree's top is the source's root */
        EnvMap env;
        envmap_init(&env);
        ComposeOptions o = { .os_env = &env, .cwd = sub };
        Project *p = NULL;
        err = (BerthError){ 0 };
        ASSERT_TRUE(project_load(&o, &p, &err) < 0);
        ASSERT_EQ(err.line, 4u);
        ASSERT_CONTAINS(err.msg, "is outside the stack's source");
        ASSERT_TRUE(strstr(err.msg, "S=host") == NULL);
        project_free(p);
        p = NULL;
        /* BERTH_ALLOW_HOST_PATHS allows it for a working tree, as berth.yaml does for a repo. */
        envmap_set(&env, "BERTH_ALLOW_HOST_PATHS", "/nonexistent:");
        err = (BerthError){ 0 };
        ASSERT_TRUE(project_load(&o, &p, &err) < 0);
        project_free(p);
        p = NULL;
        char allowed[300];
        snprintf(allowed, sizeof(allowed), "/nonexistent:%s/secret", dir);
        envmap_set(&env, "BERTH_ALLOW_HOST_PATHS", allowed);
        ASSERT_OK(project_load(&o, &p, &err));
        if (p) {
                cJSON *web = cJSON_GetObjectItem(cJSON_GetObjectItem(p->model, "services"), "web");
                ASSERT_STREQ(cJSON_GetStringValue(
                                     cJSON_GetObjectItem(cJSON_GetObjectItem(web, "environment"), "S")),
                             "host");
        }
        project_free(p);
        envmap_done(&env);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TAP_MAIN()
