/* test-context.c: the build context from a real git repo: the tar holds what .dockerignore lets through,
 * read back with tar(1); the build hash changes with a file that is sent, the Dockerfile, the target
 * or the build args, and not with a file that is left out or one outside the context. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "gitrepo.h"
#include "image/context.h"
#include "tap.h"

static char dir[256];

#define sh(...) repo_sh(dir, __VA_ARGS__)

static void commit(const char *what)
{
        repo_commit(dir, what);
}

static void hash_at(const char *rev, const char *target, cJSON *args, char ret[65])
{
        Repo *r = NULL;
        char head[41];
        BerthError err = { 0 };
        ret[0] = '\0';
        if (repo_open(dir, &r, &err) < 0 || repo_resolve(r, rev, head, &err) < 0 ||
            context_hash(r, head, "app", "Dockerfile", target, args, ret, &err) < 0)
                ret[0] = '\0';
        repo_free(r);
}

static void setup(void)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-context-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        free(sh("git init -q -b main . && mkdir -p app/src other && echo 'FROM x' > app/Dockerfile && "
                "printf 'secret.txt\\n*.tmp\\n!keep.tmp\\n' > app/.dockerignore && echo a > app/src/a.c && "
                "echo s > app/secret.txt && echo j > app/junk.tmp && echo k > app/keep.tmp && "
                "echo o > other/o.txt"));
        commit("one");
}

TEST(tar_holds_what_is_sent)
{
        setup();
        Repo *r = NULL;
        char head[41];
        BerthError err = { 0 };
        ContextStats st = { 0 };
        char tarpath[300];
        snprintf(tarpath, sizeof(tarpath), "%s.tar", dir);
        int fd = open(tarpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(repo_open(dir, &r, &err));
        ASSERT_OK(repo_resolve(r, "HEAD", head, &err));
        ASSERT_OK(context_tar(r, head, "app", "Dockerfile", fd, &st, &err));
        close(fd);
        repo_free(r);
        char *list = sh("tar -tf %s.tar | sort | tr '\\n' ' '", dir);
        ASSERT_STREQ(list, ".dockerignore Dockerfile keep.tmp src/a.c ");
        ASSERT_EQ(st.files, 4);
        ASSERT_EQ(st.excluded, 2);
        free(list);
        free(sh("rm -f %s.tar", dir));
}

TEST(hash_follows_what_is_sent)
{
        char h1[65], h2[65], h3[65];
        cJSON *args = cJSON_CreateObject();
        hash_at("HEAD", NULL, args, h1);
        ASSERT_TRUE(h1[0] != '\0');
        /* A file left out, and a file outside the context: the same inputs. */
        free(sh("echo changed > app/secret.txt && echo changed > app/junk.tmp && echo changed > "
                "other/o.txt"));
        commit("outside");
        hash_at("HEAD", NULL, args, h2);
        ASSERT_STREQ(h2, h1);
        /* A file that is sent: new inputs; and back again: the old hash. */
        free(sh("echo b > app/src/a.c"));
        commit("sent");
        hash_at("HEAD", NULL, args, h3);
        ASSERT_TRUE(strcmp(h3, h1) != 0);
        free(sh("echo a > app/src/a.c"));
        commit("back");
        hash_at("HEAD", NULL, args, h3);
        ASSERT_STREQ(h3, h1);
        /* The exception kept by '!' is sent. */
        free(sh("echo k2 > app/keep.tmp"));
        commit("keep");
        hash_at("HEAD", NULL, args, h2);
        ASSERT_TRUE(strcmp(h2, h1) != 0);
        /* The target and the build args are inputs too. */
        hash_at("HEAD", NULL, args, h1);
        hash_at("HEAD", "runtime", args, h2);
        ASSERT_TRUE(strcmp(h2, h1) != 0);
        cJSON_AddStringToObject(args, "V", "1");
        hash_at("HEAD", NULL, args, h3);
        ASSERT_TRUE(strcmp(h3, h1) != 0);
        cJSON_Delete(args);
        free(sh("rm -rf %s", dir));
}

TAP_MAIN()
