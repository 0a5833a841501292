/* test-ignore.c: .dockerignore patterns, with the cases the docker CLI's own matcher is known by. */
#include "image/ignore.h"
#include "tap.h"

static bool excluded(const char *dockerignore, const char *path)
{
        Ignore ig = { 0 };
        if (ignore_parse(dockerignore, strlen(dockerignore), &ig) < 0)
                return false;
        bool r = ignore_excludes(&ig, path);
        ignore_done(&ig);
        return r;
}

TEST(glob_elements)
{
        ASSERT_TRUE(ignore_glob("*", "a"));
        ASSERT_TRUE(!ignore_glob("*", "a/b"));
        ASSERT_TRUE(ignore_glob("*.go", "main.go"));
        ASSERT_TRUE(!ignore_glob("*.go", "cmd/main.go"));
        ASSERT_TRUE(ignore_glob("a?c", "abc"));
        ASSERT_TRUE(!ignore_glob("a?c", "a/c"));
        ASSERT_TRUE(ignore_glob("[a-c]x", "bx"));
        ASSERT_TRUE(!ignore_glob("[a-c]x", "dx"));
        ASSERT_TRUE(ignore_glob("[^a-c]x", "dx"));
        ASSERT_TRUE(ignore_glob("\\*", "*"));
        ASSERT_TRUE(!ignore_glob("\\*", "a"));
        ASSERT_TRUE(ignore_glob("dir/*/x", "dir/a/x"));
        ASSERT_TRUE(!ignore_glob("dir/*/x", "dir/a/b/x"));
}

TEST(glob_double_star)
{
        ASSERT_TRUE(ignore_glob("**", "a/b/c"));
        ASSERT_TRUE(ignore_glob("**/*.go", "a.go"));
        ASSERT_TRUE(ignore_glob("**/*.go", "x/y/a.go"));
        ASSERT_TRUE(!ignore_glob("**/*.go", "x/y/a.c"));
        ASSERT_TRUE(ignore_glob("dir/**", "dir/a/b"));
        ASSERT_TRUE(ignore_glob("a/**/b", "a/b"));
        ASSERT_TRUE(ignore_glob("a/**/b", "a/x/y/b"));
        ASSERT_TRUE(!ignore_glob("a/**/b", "a/x/y/c"));
        ASSERT_TRUE(ignore_glob("**.md", "docs/x/readme.md"));
}

TEST(rules)
{
        /* A parent directory that matches takes everything under it. */
        ASSERT_TRUE(excluded("docs\n", "docs/a/b.txt"));
        ASSERT_TRUE(excluded("*\n", "a/b"));
        ASSERT_TRUE(!excluded("docs\n", "documents/a"));
        /* The last matching rule decides; an exception brings a file back. */
        ASSERT_TRUE(excluded("*.tmp\n!keep.tmp\n", "junk.tmp"));
        ASSERT_TRUE(!excluded("*.tmp\n!keep.tmp\n", "keep.tmp"));
        ASSERT_TRUE(excluded("!keep.tmp\n*.tmp\n", "keep.tmp"));
        ASSERT_TRUE(!excluded("docs\n!docs/README.md\n", "docs/README.md"));
        ASSERT_TRUE(excluded("docs\n!docs/README.md\n", "docs/other.md"));
        /* Comments, blank lines, spaces, a leading '/', and paths cleaned as the CLI cleans them. */
        ASSERT_TRUE(!excluded("# secret\n\n", "secret"));
        ASSERT_TRUE(excluded("  secret  \n", "secret"));
        ASSERT_TRUE(excluded("/secret\n", "secret"));
        ASSERT_TRUE(excluded("a/./b/../c\n", "a/c"));
        ASSERT_TRUE(excluded("a//c/\n", "a/c/d"));
        ASSERT_TRUE(excluded("\r\n*.log\r\n", "x.log"));
        ASSERT_TRUE(!excluded("", "anything"));
}

TAP_MAIN()
