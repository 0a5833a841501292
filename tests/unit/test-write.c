/* test-write.c: commits to a real file:// origin through the Writer, checked with the git CLI: a
 * change lands once, a push that someone else's push got ahead of is redone on their head, a refusal
 * commits nothing, and the origin unreachable is -EIO. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitops/write.h"
#include "gitrepo.h"
#include "tap.h"

static char dir[256];

/* Commands name the test's directory themselves (every "%s" in them is dir). */
#define sh(...) repo_sh("/", __VA_ARGS__)

typedef struct Add {
        const char *path, *text;
        int calls;
        bool race; /* push something else to the origin first, once */
        bool refuse_if_exists;
} Add;

static int add_file(void *ud, Repo *repo, const char *head, ChangeSet *cs, BerthError *err)
{
        Add *a = ud;
        char *buf = NULL;
        a->calls++;
        if (a->refuse_if_exists && repo_read(repo, head, a->path, &buf, NULL, NULL) == 0) {
                free(buf);
                return error_set(err, -EEXIST, NULL, 0, 0, NULL, "\"%s\" exists", a->path);
        }
        if (a->race && a->calls == 1)
                free(sh("cd %s/other && echo theirs >theirs.txt && git add theirs.txt && git commit -qm "
                        "theirs && "
                        "git push -q origin main 2>/dev/null",
                        dir));
        return change_set_add(cs, a->path, a->text, strlen(a->text));
}

TEST(commits_land_on_the_origin)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-write-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        free(sh("cd %s && git init -q --bare -b main origin.git && git clone -q origin.git other "
                "2>/dev/null && "
                "cd other && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m first && "
                "git push -q origin main 2>/dev/null",
                dir));
        setenv("GIT_AUTHOR_NAME", "t", 1);
        setenv("GIT_AUTHOR_EMAIL", "t@t", 1);
        setenv("GIT_COMMITTER_NAME", "t", 1);
        setenv("GIT_COMMITTER_EMAIL", "t@t", 1);
        char url[300], clone[300], commit[41] = "";
        snprintf(url, sizeof(url), "file://%s/origin.git", dir);
        snprintf(clone, sizeof(clone), "%s/clone", dir);
        Writer *w = NULL;
        BerthError err = { 0 };
        WriterOptions o = { .url = url, .branch = "main", .dir = clone };
        ASSERT_OK(writer_open(&o, &w, &err));
        if (!w) {
                printf("# %s\n", err.msg);
                return;
        }
        Add a = { .path = "stacks/web/compose.yaml", .text = "services: {}\n" };
        ASSERT_OK(writer_commit(w, add_file, &a, "alice", "alice@example.com", "create web", commit, &err));
        char *log = sh("git -C %s/origin.git log --format='%%H %%an %%s' -1 main", dir);
        ASSERT_TRUE(strncmp(log, commit, 40) == 0);
        ASSERT_CONTAINS(log, "alice create web");
        free(log);
        char *file = sh("git -C %s/origin.git show main:stacks/web/compose.yaml", dir);
        ASSERT_STREQ(file, "services: {}");
        free(file);

        /* Someone else pushes between our fetch and our push: the change is redone on their head. */
        free(sh("cd %s/other && git pull -q origin main 2>/dev/null", dir));
        Add b = { .path = "stacks/api/compose.yaml", .text = "services: {}\n", .race = true };
        ASSERT_OK(writer_commit(w, add_file, &b, "bob", "bob@example.com", "create api", commit, &err));
        ASSERT_EQ(b.calls, 2);
        char *files = sh("git -C %s/origin.git ls-tree -r --name-only main | tr '\\n' ' '", dir);
        ASSERT_STREQ(files, "stacks/api/compose.yaml stacks/web/compose.yaml theirs.txt ");
        free(files);
        char *count = sh("git -C %s/origin.git rev-list --count main", dir);
        ASSERT_STREQ(count, "4");
        free(count);

        /* A refusal commits nothing; nor does a change to nothing. */
        Add c = { .path = "stacks/web/compose.yaml", .text = "x\n", .refuse_if_exists = true };
        err = (BerthError){ 0 };
        ASSERT_EQ(writer_commit(w, add_file, &c, "carol", "c@example.com", "again", commit, &err), -EEXIST);
        Add same = { .path = "stacks/web/compose.yaml", .text = "services: {}\n" };
        ASSERT_EQ(writer_commit(w, add_file, &same, "carol", "c@example.com", "same", commit, &err),
                  -ENODATA);
        count = sh("git -C %s/origin.git rev-list --count main", dir);
        ASSERT_STREQ(count, "4");
        free(count);
        writer_free(w);

        /* An empty directory (a container's fresh volume) takes the clone; one holding anything
         * else is refused, not overwritten. */
        char fresh[320];
        snprintf(fresh, sizeof(fresh), "%s/volume", dir);
        ASSERT_OK(mkdir(fresh, 0700));
        WriterOptions o3 = { .url = url, .branch = "main", .dir = fresh };
        w = NULL;
        ASSERT_OK(writer_open(&o3, &w, &err));
        writer_free(w);
        char *head = sh("git -C %s rev-parse refs/remotes/origin/main 2>&1", fresh);
        ASSERT_TRUE(strncmp(head, commit, 40) == 0);
        free(head);
        free(sh("mkdir %s/data && touch %s/data/keep", dir, dir));
        snprintf(fresh, sizeof(fresh), "%s/data", dir);
        w = NULL;
        ASSERT_EQ(writer_open(&o3, &w, &err), -EINVAL);
        writer_free(w);
        char *kept = sh("ls -A %s/data", dir);
        ASSERT_STREQ(kept, "keep");
        free(kept);

        /* The origin gone: -EIO, and the message names no credential. */
        free(sh("mv %s/origin.git %s/moved.git", dir, dir));
        w = NULL;
        err = (BerthError){ 0 };
        WriterOptions o2 = { .url = url, .dir = clone, .user = "u", .password = "hunter2-secret" };
        ASSERT_EQ(writer_open(&o2, &w, &err), -EIO);
        ASSERT_TRUE(strstr(err.msg, "hunter2") == NULL);
        writer_free(w);
        free(sh("rm -rf %s", dir));
}

/* An empty origin (the obvious first repo): the branch has no head, reads see an empty tree, and the
 * first commit makes the branch, with no parent. */
TEST(an_empty_origin_gets_its_first_commit)
{
        char d[] = "/tmp/berth-test-write-empty-XXXXXX";
        ASSERT_TRUE(mkdtemp(d) != NULL);
        snprintf(dir, sizeof(dir), "%s", d);
        free(sh("cd %s && git init -q --bare -b main origin.git", dir));
        char url[300], clone[300], head[41] = "x", commit[41] = "";
        snprintf(url, sizeof(url), "file://%s/origin.git", dir);
        snprintf(clone, sizeof(clone), "%s/clone", dir);
        Writer *w = NULL;
        BerthError err = { 0 };
        WriterOptions o = { .url = url, .branch = "main", .dir = clone };
        ASSERT_OK(writer_open(&o, &w, &err));
        if (!w) {
                printf("# %s\n", err.msg);
                return;
        }
        ASSERT_OK(writer_sync(w, head, &err));
        ASSERT_STREQ(head, "");
        StackList stacks = { 0 };
        ASSERT_OK(repo_stacks(writer_repo(w), head, &stacks, NULL, NULL, &err));
        ASSERT_EQ(stacks.n, 0u);
        stack_list_done(&stacks);
        Add a = { .path = "stacks/first/compose.yaml", .text = "services: {}\n", .refuse_if_exists = true };
        ASSERT_OK(writer_commit(w, add_file, &a, "alice", "alice@example.com", "first stack", commit, &err));
        char *log = sh("git -C %s/origin.git log --format='%%H %%P|%%s' main", dir);
        ASSERT_TRUE(strncmp(log, commit, 40) == 0);
        ASSERT_CONTAINS(log, " |first stack");
        free(log);
        ASSERT_OK(writer_sync(w, head, &err));
        ASSERT_STREQ(head, commit);
        writer_free(w);
        free(sh("rm -rf %s", dir));
}

TAP_MAIN()
