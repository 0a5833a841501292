/* test-options.c: the CLI's table-driven option parser: each kind of option, the positional
 * arguments, and the usage errors, which stop with 64. */
#include <unistd.h>

#include "cli/options.h"
#include "tap.h"

static const CliCommand cmd = { .name = "t", .args = "A [B]", .min_args = 1, .max_args = 2, .about = "x" };

typedef struct Got {
        bool flag;
        const char *str, *choice;
        long num;
        CliList list;
} Got;

/* Parses argv (NULL-terminated) into g; returns the exit code to stop with, or -1 to go on, with the
 * first positional argument's index in *first. */
static int parse(Got *g, char **argv, int *first)
{
        int argc = 0, code = -1;
        while (argv[argc])
                argc++;
        *g = (Got){ .choice = "text", .num = 5 };
        const CliOption opts[] = {
                CLI_FLAG('v', "verbose", &g->flag, "a flag"),
                CLI_STRING('s', "str", "S", &g->str, "a string"),
                CLI_CHOICE(0, "format", "text|json", &g->choice, "a choice"),
                CLI_NUMBER('n', "num", "N", &g->num, 1, 10, "a number"),
                CLI_LIST('f', "file", "FILE", &g->list, "a list"),
                CLI_IGNORED('d', "detach", "ignored"),
                CLI_END,
        };
        /* Usage errors go to stderr, which is the test's own. */
        if (!cli_parse(&cmd, opts, argc, argv, first, &code))
                return code;
        return -1;
}

TEST(every_kind)
{
        Got g;
        int first;
        char *argv[] = { "t",      "-v", "--str", "a", "--format=json", "-n", "7", "-f", "x", "pos",
                         "--file", "y",  "-d",    NULL };
        ASSERT_EQ(parse(&g, argv, &first), -1);
        ASSERT_TRUE(g.flag);
        ASSERT_STREQ(g.str, "a");
        ASSERT_STREQ(g.choice, "json");
        ASSERT_EQ(g.num, 7);
        ASSERT_EQ(g.list.n, 2);
        ASSERT_STREQ(g.list.v[0], "x");
        ASSERT_STREQ(g.list.v[1], "y");
        ASSERT_TRUE(g.list.v[2] == NULL);
        /* GNU getopt moved the positional argument behind the options. */
        ASSERT_STREQ(argv[first], "pos");
        cli_list_done(&g.list);
}

TEST(defaults_stay)
{
        Got g;
        int first;
        char *argv[] = { "t", "one", "two", NULL };
        ASSERT_EQ(parse(&g, argv, &first), -1);
        ASSERT_TRUE(!g.flag);
        ASSERT_TRUE(g.str == NULL);
        ASSERT_STREQ(g.choice, "text");
        ASSERT_EQ(g.num, 5);
        ASSERT_EQ(g.list.n, 0);
        ASSERT_STREQ(argv[first + 1], "two");
}

TEST(usage_errors)
{
        Got g;
        int first;
        char *bad_num[] = { "t", "--num", "11", "a", NULL }, *not_num[] = { "t", "-n", "1x", "a", NULL };
        char *bad_choice[] = { "t", "--format", "xml", "a", NULL },
             *unknown[] = { "t", "--nope", "a", NULL };
        char *no_arg[] = { "t", "a", "--str", NULL }, *too_many[] = { "t", "a", "b", "c", NULL };
        char *too_few[] = { "t", "-v", NULL };
        ASSERT_EQ(parse(&g, bad_num, &first), 64);
        ASSERT_EQ(parse(&g, not_num, &first), 64);
        ASSERT_EQ(parse(&g, bad_choice, &first), 64);
        ASSERT_EQ(parse(&g, unknown, &first), 64);
        ASSERT_EQ(parse(&g, no_arg, &first), 64);
        ASSERT_EQ(parse(&g, too_many, &first), 64);
        ASSERT_EQ(parse(&g, too_few, &first), 64);
}

TEST(help_from_the_table)
{
        Got g;
        int first;
        char *argv[] = { "t", "--help", NULL };
        /* --help goes to stdout: caught in a file here. */
        fflush(stdout);
        FILE *f = tmpfile();
        int saved = dup(1);
        dup2(fileno(f), 1);
        int code = parse(&g, argv, &first);
        fflush(stdout);
        dup2(saved, 1);
        close(saved);
        char buf[4096] = "";
        rewind(f);
        buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
        fclose(f);
        ASSERT_EQ(code, 0);
        ASSERT_TRUE(strstr(buf, "usage: berth t [options] A [B]") != NULL);
        ASSERT_TRUE(strstr(buf, "  -n, --num N                a number") != NULL);
        ASSERT_TRUE(strstr(buf, "      --format text|json     a choice") != NULL);
        ASSERT_TRUE(strstr(buf, "  -h, --help") != NULL);
}

/* The completion hook: the table handed over, nothing parsed. */
static void count_option(void *ud, const CliCommand *c, const CliOption *o)
{
        (*(int *)ud)++;
}

TEST(listing_hook)
{
        Got g;
        int first, n = 0;
        char *argv[] = { "t", "--num", "99", NULL };
        CliListing hook = { .add = count_option, .ud = &n };
        cli_listing = &hook;
        int code = parse(&g, argv, &first);
        cli_listing = NULL;
        ASSERT_EQ(code, 0);
        ASSERT_EQ(n, 6);
        ASSERT_EQ(g.num, 5);
}

TAP_MAIN()
