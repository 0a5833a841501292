/* test-statedir.c: the stacks' directories on the host, by their invariants: 0700 directories and 0600
 * files of berth's own; a sync writes the commit's files and removes only what the previous commit had
 * and berth wrote; a file a container changed, and data it wrote beside, are kept; a symlink out of
 * the stack is refused; pins are kept per commit; a removal takes only berth's files unless told to
 * take everything. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statedir/statedir.h"
#include "tap.h"
#include "util/cleanup.h"
#include "util/fileio.h"

static char root[] = "/tmp/berth-test-statedir-XXXXXX";
static char state[128];

static char *slurp(const char *dir, const char *rel)
{
        char path[512], *buf = NULL;
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        return file_read(path, 1 << 20, &buf, &len, NULL) < 0 ? NULL : buf;
}

static bool exists(const char *dir, const char *rel)
{
        char path[512];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        return lstat(path, &st) == 0;
}

static unsigned mode_of(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? st.st_mode & 07777 : 0;
}

/* One sync of the entries {rel, mode, data} to commit. */
typedef struct Entry {
        const char *rel;
        unsigned mode;
        const char *data;
} Entry;

static int sync_to(StateDir *sd, const char *stack, const char *commit, const Entry *e, size_t n)
{
        _cleanup_(statedir_sync_freep) StateSync *s = NULL;
        BerthError err = { 0 };
        int r = statedir_sync_begin(sd, stack, &s, &err);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = statedir_sync_put(s, e[i].rel, e[i].mode, e[i].data, e[i].data ? strlen(e[i].data) : 0);
        if (r >= 0)
                r = statedir_sync_finish(s, commit, &err);
        if (r < 0)
                printf("# sync: %d %s\n", r,
                       s && statedir_sync_error(s)->set ? statedir_sync_error(s)->msg : err.msg);
        return r;
}

static const char c1[] = "1111111111111111111111111111111111111111",
                  c2[] = "2222222222222222222222222222222222222222";

TEST(open_makes_private_directories)
{
        BerthError err = { 0 };
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        ASSERT_TRUE(mkdtemp(root) != NULL);
        snprintf(state, sizeof(state), "%s/state", root);
        ASSERT_OK(statedir_open(state, "https://example.test/config.git", true, &sd, &err));
        ASSERT_EQ(mode_of(state), 0700);
        _cleanup_free_ char *stack = statedir_stack_path(sd, "web");
        ASSERT_TRUE(stack != NULL);
        _cleanup_free_ char *repo = path_dirname(stack);
        ASSERT_EQ(mode_of(repo), 0700);
        /* Two repos never share a directory. */
        _cleanup_(statedir_freep) StateDir *other = NULL;
        ASSERT_OK(statedir_open(state, "https://example.test/other.git", true, &other, &err));
        _cleanup_free_ char *stack2 = statedir_stack_path(other, "web");
        ASSERT_TRUE(strcmp(stack, stack2) != 0);
}

TEST(sync_writes_and_removes_only_its_own)
{
        BerthError err = { 0 };
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        char marker[41];
        ASSERT_OK(statedir_open(state, "https://example.test/config.git", true, &sd, &err));
        _cleanup_free_ char *dir = statedir_stack_path(sd, "web");
        const Entry one[] = { { "conf", 040000, NULL },
                              { "conf/site.conf", 0100644, "one" },
                              { "conf/old.conf", 0100644, "old" },
                              { "edited.txt", 0100644, "as committed" } };
        ASSERT_OK(sync_to(sd, "web", c1, one, 4));
        _cleanup_free_ char *site = slurp(dir, "conf/site.conf");
        ASSERT_STREQ(site, "one");
        statedir_marker_read(sd, "web", marker);
        ASSERT_STREQ(marker, c1);
        /* A container writes beside berth's files, and changes one of them. */
        char path[512];
        snprintf(path, sizeof(path), "%s/data.db", dir);
        ASSERT_OK(file_replace_at(AT_FDCWD, path, "rows", 4, 0644));
        snprintf(path, sizeof(path), "%s/edited.txt", dir);
        ASSERT_OK(file_replace_at(AT_FDCWD, path, "changed by the app", 18, 0644));
        /* The next commit drops old.conf and edited.txt, and changes site.conf. */
        const Entry two[] = { { "conf", 040000, NULL }, { "conf/site.conf", 0100644, "two" } };
        ASSERT_OK(sync_to(sd, "web", c2, two, 2));
        _cleanup_free_ char *site2 = slurp(dir, "conf/site.conf"), *db = slurp(dir, "data.db"),
                            *edited = slurp(dir, "edited.txt");
        ASSERT_STREQ(site2, "two");
        ASSERT_TRUE(!exists(dir, "conf/old.conf"));
        ASSERT_STREQ(db, "rows");                   /* never berth's */
        ASSERT_STREQ(edited, "changed by the app"); /* berth's once, but no longer what it wrote */
        statedir_marker_read(sd, "web", marker);
        ASSERT_STREQ(marker, c2);
}

TEST(symlink_out_of_the_stack_refused)
{
        BerthError err = { 0 };
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        ASSERT_OK(statedir_open(state, "https://example.test/config.git", true, &sd, &err));
        _cleanup_free_ char *dir = statedir_stack_path(sd, "links");
        const Entry inside[] = { { "a.txt", 0100644, "a" }, { "b.txt", 0120000, "a.txt" } };
        ASSERT_OK(sync_to(sd, "links", c1, inside, 2));
        _cleanup_free_ char *b = slurp(dir, "b.txt");
        ASSERT_STREQ(b, "a");
        const Entry out[] = { { "escape", 0120000, "../../../../etc/passwd" } };
        ASSERT_TRUE(sync_to(sd, "links", c2, out, 1) < 0);
        ASSERT_TRUE(!exists(dir, "escape"));
}

TEST(pins_per_commit)
{
        BerthError err = { 0 };
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        ASSERT_OK(statedir_open(state, "https://example.test/config.git", true, &sd, &err));
        _cleanup_cjson_ cJSON *pins = cJSON_Parse("{\"app\":\"reg/app@sha256:aa\"}");
        ASSERT_OK(statedir_pins_write(sd, "web", c1, pins, &err));
        _cleanup_cjson_ cJSON *back = statedir_pins_read(sd, "web", c1),
                              *none = statedir_pins_read(sd, "web", c2);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(back, "app")), "reg/app@sha256:aa");
        ASSERT_TRUE(none == NULL);
}

TEST(remove_keeps_what_is_not_berths)
{
        BerthError err = { 0 };
        _cleanup_(statedir_freep) StateDir *sd = NULL;
        StateKept kept = { 0 };
        ASSERT_OK(statedir_open(state, "https://example.test/config.git", true, &sd, &err));
        _cleanup_free_ char *dir = statedir_stack_path(sd, "web");
        ASSERT_OK(statedir_remove(sd, "web", false, &kept, &err));
        ASSERT_TRUE(!exists(dir, "conf/site.conf"));
        ASSERT_TRUE(exists(dir, "data.db"));
        ASSERT_TRUE(kept.path != NULL);
        ASSERT_EQ(kept.files, 2); /* data.db and the edited file */
        state_kept_done(&kept);
        ASSERT_OK(statedir_remove(sd, "web", true, &kept, &err));
        ASSERT_TRUE(!exists(dir, ""));
        state_kept_done(&kept);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

TEST(zz_cleanup)
{
        ASSERT_OK(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
}

TAP_MAIN()
