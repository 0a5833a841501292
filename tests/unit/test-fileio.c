/* test-fileio.c: a file replaced whole: the new bytes and mode, no temporary left beside it, a
 * symlink at the name replaced and not followed, and a directory that cannot be written to leaving the
 * old file as it was. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/cleanup.h"
#include "util/fileio.h"

static char dir[] = "/tmp/berth-test-fileio-XXXXXX";

static size_t entries(void)
{
        size_t n = 0;
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));)
                n += e->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static char *slurp(const char *path)
{
        char *buf = NULL;
        size_t len;
        return file_read(path, 1024, &buf, &len, NULL) < 0 ? NULL : buf;
}

TEST(replace)
{
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        char path[128];
        struct stat st;
        snprintf(path, sizeof(path), "%s/a.txt", dir);
        ASSERT_OK(file_replace_at(dfd, "a.txt", "one", 3, 0640));
        _cleanup_free_ char *one = slurp(path);
        ASSERT_STREQ(one, "one");
        ASSERT_OK(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0640);
        ASSERT_OK(file_replace_at(AT_FDCWD, path, "two!", 4, 0400));
        _cleanup_free_ char *two = slurp(path);
        ASSERT_STREQ(two, "two!");
        ASSERT_OK(stat(path, &st));
        ASSERT_EQ(st.st_mode & 07777, 0400);
        ASSERT_EQ(entries(), 1); /* no temporary file left */
        close(dfd);
}

TEST(symlink_replaced_not_followed)
{
        char target[128], link[128];
        snprintf(target, sizeof(target), "%s/target", dir);
        snprintf(link, sizeof(link), "%s/link", dir);
        ASSERT_OK(file_replace_at(AT_FDCWD, target, "kept", 4, 0600));
        ASSERT_OK(symlink(target, link));
        ASSERT_OK(file_replace_at(AT_FDCWD, link, "new", 3, 0600));
        _cleanup_free_ char *kept = slurp(target), *now = slurp(link);
        struct stat st;
        ASSERT_STREQ(kept, "kept");
        ASSERT_STREQ(now, "new");
        ASSERT_OK(lstat(link, &st));
        ASSERT_TRUE(S_ISREG(st.st_mode));
}

TEST(failure_keeps_the_old_file)
{
        char sub[128], path[128];
        snprintf(sub, sizeof(sub), "%s/ro", dir);
        snprintf(path, sizeof(path), "%s/ro/f", dir);
        ASSERT_OK(mkdir(sub, 0700));
        ASSERT_OK(file_replace_at(AT_FDCWD, path, "old", 3, 0600));
        /* A name that is a directory cannot be renamed over: the write fails, and leaves nothing. */
        char over[128];
        snprintf(over, sizeof(over), "%s/ro/d", dir);
        ASSERT_OK(mkdir(over, 0700));
        ASSERT_TRUE(file_replace_at(AT_FDCWD, over, "x", 1, 0600) < 0);
        _cleanup_free_ char *old = slurp(path);
        ASSERT_STREQ(old, "old");
        DIR *d = opendir(sub);
        size_t n = 0;
        for (struct dirent *e; d && (e = readdir(d));)
                n += e->d_name[0] != '.';
        closedir(d);
        ASSERT_EQ(n, 2); /* f and d: no temporary left */
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

TEST(zz_cleanup)
{
        ASSERT_OK(nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
}

TAP_MAIN()
