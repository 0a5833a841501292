/* test-gitdiff.c: what berth reads from history, against git(1) on a scratch repo: the paths changed
 * between two commits, whether one descends from another, where a path last changed, and its history. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "gitops/repo.h"
#include "gitrepo.h"
#include "tap.h"

static char dir[256];
static char c1[41], c2[41], c3[41], side[41];

static void make_repo(void)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-gitdiff-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        free(repo_sh(dir, "git init -q -b main . && mkdir a b && echo 1 > a/x && echo 1 > b/y"));
        repo_commit(dir, "first");
        repo_rev(dir, "HEAD", c1);
        free(repo_sh(dir, "git checkout -q -b side && echo s > a/side && git add -A && "
                          "git -c user.name=t -c user.email=t@t commit -qm side && git checkout -q main"));
        repo_rev(dir, "side", side);
        free(repo_sh(dir, "echo 2 > a/x"));
        repo_commit(dir, "a changes");
        repo_rev(dir, "HEAD", c2);
        free(repo_sh(dir, "git mv b/y b/z && ln -s ../a/x b/link"));
        repo_commit(dir, "b moves");
        repo_rev(dir, "HEAD", c3);
}

typedef struct Paths {
        char all[1024];
        size_t n;
} Paths;

static int collect(void *ud, const char *path)
{
        Paths *p = ud;
        size_t len = strlen(p->all);
        snprintf(p->all + len, sizeof(p->all) - len, "%s%s", p->n++ ? " " : "", path);
        return 0;
}

TEST(changed_paths)
{
        make_repo();
        Repo *r = NULL;
        BerthError err = { 0 };
        ASSERT_OK(repo_open(dir, &r, &err));
        Paths p = { 0 };
        ASSERT_OK(repo_changed_paths(r, c1, c2, collect, &p, &err));
        ASSERT_STREQ(p.all, "a/x");
        p = (Paths){ 0 };
        ASSERT_OK(repo_changed_paths(r, c2, c3, collect, &p, &err));
        ASSERT_STREQ(p.all, "b/link b/y b/z"); /* a move is the old path and the new */
        p = (Paths){ 0 };
        ASSERT_OK(repo_changed_paths(r, NULL, c1, collect, &p, &err)); /* from nothing: every file */
        ASSERT_STREQ(p.all, "a/x b/y");
        p = (Paths){ 0 };
        ASSERT_OK(repo_changed_paths(r, c3, c3, collect, &p, &err));
        ASSERT_EQ(p.n, 0);
        repo_free(r);
}

TEST(descends)
{
        Repo *r = NULL;
        BerthError err = { 0 };
        ASSERT_OK(repo_open(dir, &r, &err));
        ASSERT_EQ(repo_descends(r, c3, c1, &err), 1);
        ASSERT_EQ(repo_descends(r, c3, c3, &err), 1);
        ASSERT_EQ(repo_descends(r, c1, c3, &err), 0);   /* an older commit: a downgrade */
        ASSERT_EQ(repo_descends(r, side, c3, &err), 0); /* another branch */
        ASSERT_EQ(repo_descends(r, c3, side, &err), 0);
        ASSERT_EQ(repo_has_commit(r, side), 1);
        ASSERT_EQ(repo_has_commit(r, "0123456789012345678901234567890123456789"), 0);
        repo_free(r);
}

typedef struct Seen {
        char line[512];
        size_t n;
} Seen;

static int history_cb(void *ud, const char *commit, const char *author, long long when, const char *subject)
{
        Seen *s = ud;
        size_t len = strlen(s->line);
        snprintf(s->line + len, sizeof(s->line) - len, "%s%.7s %s", s->n++ ? ", " : "", commit, subject);
        return 0;
}

TEST(where_a_path_changed)
{
        Repo *r = NULL;
        BerthError err = { 0 };
        char at[41];
        ASSERT_OK(repo_open(dir, &r, &err));
        /* a/ is as it was at c2 since c2; before that, c1 */
        ASSERT_OK(repo_previous_change(r, c3, "a", at, &err));
        ASSERT_STREQ(at, c1);
        ASSERT_OK(repo_previous_change(r, c3, "b", at, &err));
        ASSERT_STREQ(at, c2);
        ASSERT_EQ(repo_previous_change(r, c1, "a", at, &err), -ENOENT); /* no history before it */
        Seen s = { 0 };
        ASSERT_OK(repo_history(r, c3, "a", 10, history_cb, &s, &err));
        char want[128];
        snprintf(want, sizeof(want), "%.7s a changes, %.7s first", c2, c1);
        ASSERT_STREQ(s.line, want);
        s = (Seen){ 0 };
        ASSERT_OK(repo_history(r, c3, "b", 1, history_cb, &s, &err)); /* at most max */
        ASSERT_EQ(s.n, 1);
        char id[41];
        ASSERT_OK(repo_path_id(r, c3, "b/link", id, &err));
        char *blob = repo_sh(dir, "git rev-parse %s:b/link", c3);
        ASSERT_STREQ(id, blob);
        free(blob);
        ASSERT_EQ(repo_path_id(r, c1, "b/link", id, &err), -ENOENT);
        repo_free(r);
}

TEST(zz_cleanup)
{
        free(repo_sh("/tmp", "rm -rf %s", dir));
        ASSERT_TRUE(access(dir, F_OK) != 0);
}

TAP_MAIN()
