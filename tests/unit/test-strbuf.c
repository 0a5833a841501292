/* test-strbuf.c: the string builder's sticky failure: the first failed add is kept, later adds are
 * refused with it, what was built stays readable, and the detach hands over nothing half-built. */
#include <errno.h>

#include "tap.h"
#include "util/strbuf.h"

TEST(sticky_failure)
{
        StrBuf sb;
        strbuf_init(&sb, 4);
        ASSERT_OK(strbuf_addstr(&sb, "abc"));
        ASSERT_EQ(strbuf_error(&sb), 0);
        ASSERT_EQ(strbuf_addstr(&sb, "de"), -E2BIG);
        /* It would fit, but the buffer already failed: the string would have a hole. */
        ASSERT_EQ(strbuf_addch(&sb, 'x'), -E2BIG);
        ASSERT_EQ(strbuf_addf(&sb, "%d", 1), -E2BIG);
        ASSERT_EQ(strbuf_error(&sb), -E2BIG);
        ASSERT_STREQ(strbuf_str(&sb), "abc");
        ASSERT_TRUE(strbuf_detach(&sb) == NULL);
        ASSERT_EQ(strbuf_error(&sb), 0); /* the detach freed it: a new start */
        strbuf_done(&sb);
}

TEST(reset_forgets)
{
        StrBuf sb;
        strbuf_init(&sb, 2);
        ASSERT_EQ(strbuf_addstr(&sb, "toolong"), -E2BIG);
        strbuf_reset(&sb);
        ASSERT_OK(strbuf_addstr(&sb, "ok"));
        char *s = strbuf_detach(&sb);
        ASSERT_STREQ(s, "ok");
        free(s);
}

TEST(empty_detaches_to_empty_string)
{
        StrBuf sb = STRBUF_INIT;
        char *s = strbuf_detach(&sb);
        ASSERT_STREQ(s, "");
        free(s);
}

TAP_MAIN()
