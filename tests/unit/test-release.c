/* test-release.c: release tags read as semver versions, their image tags, and version precedence. */
#include "image/release.h"
#include "tap.h"

static int cmp(const char *a, const char *b)
{
        Version va, vb;
        if (!version_parse(a, &va) || !version_parse(b, &vb))
                return 99;
        return version_cmp(&va, &vb);
}

TEST(parse)
{
        Version v;
        ASSERT_TRUE(version_parse("1.2.3", &v) && v.major == 1 && v.minor == 2 && v.patch == 3 && !v.pre[0]);
        ASSERT_TRUE(version_parse("0.0.5", &v) && v.patch == 5);
        ASSERT_TRUE(version_parse("1.3.0-rc.1", &v));
        ASSERT_STREQ(v.pre, "rc.1");
        ASSERT_TRUE(version_parse("1.3.0-rc.1+build.7", &v));
        ASSERT_STREQ(v.build, "build.7");
        ASSERT_TRUE(!version_parse("1.2", &v));
        ASSERT_TRUE(!version_parse("01.2.3", &v));
        ASSERT_TRUE(!version_parse("1.2.3-", &v));
        ASSERT_TRUE(!version_parse("1.2.3-a..b", &v));
        ASSERT_TRUE(!version_parse("1.2.3 ", &v));
        ASSERT_TRUE(!version_parse("v1.2.3", &v));
}

TEST(precedence)
{
        /* The semver spec's own example order. */
        static const char *const order[] = { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                             "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                             "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                             "1.1.0",       "2.0.0",         NULL };
        for (size_t i = 0; order[i + 1]; i++) {
                ASSERT_EQ(cmp(order[i], order[i + 1]), -1);
                ASSERT_EQ(cmp(order[i + 1], order[i]), 1);
        }
        ASSERT_EQ(cmp("1.0.0+a", "1.0.0+b"), 0);
        ASSERT_EQ(cmp("0.0.10", "0.0.9"), 1);
}

TEST(patterns)
{
        ReleaseTag t;
        ASSERT_TRUE(release_match(release_default_patterns, "image_v0.0.5", &t) && !t.image[0] &&
                    t.v.patch == 5);
        ASSERT_TRUE(release_match(release_default_patterns, "v1.2.3", &t) && !t.image[0] && t.v.minor == 2);
        ASSERT_TRUE(release_match(release_default_patterns, "web/v1.2.3", &t));
        ASSERT_STREQ(t.image, "web");
        ASSERT_TRUE(release_match(release_default_patterns, "my-app.x/v2.0.0-rc.1", &t));
        ASSERT_STREQ(t.image, "my-app.x");
        ASSERT_TRUE(!release_match(release_default_patterns, "image_v1.2", &t));
        ASSERT_TRUE(!release_match(release_default_patterns, "release-1.2.3", &t));
        ASSERT_TRUE(!release_match(release_default_patterns, "Web/v1.2.3", &t));
        static const char *const custom[] = { "rel-{version}-final", NULL };
        ASSERT_TRUE(release_match(custom, "rel-3.1.4-final", &t) && t.v.major == 3 && t.v.patch == 4);
        ASSERT_TRUE(!release_match(custom, "rel-3.1.4", &t));
        static const char *const mid[] = { "{image}-{version}", NULL };
        ASSERT_TRUE(release_match(mid, "api-1.0.0", &t) && t.v.major == 1);
        ASSERT_STREQ(t.image, "api");
}

TEST(image_tags)
{
        char tags[3][160];
        Version v;
        ASSERT_TRUE(version_parse("1.2.3", &v));
        ASSERT_EQ(release_image_tags(&v, tags), 3);
        ASSERT_STREQ(tags[0], "1.2.3");
        ASSERT_STREQ(tags[1], "1.2");
        ASSERT_STREQ(tags[2], "1");
        ASSERT_TRUE(version_parse("1.3.0-rc.1", &v));
        ASSERT_EQ(release_image_tags(&v, tags), 1);
        ASSERT_STREQ(tags[0], "1.3.0-rc.1");
        ASSERT_TRUE(version_parse("1.3.0+linux", &v));
        ASSERT_EQ(release_image_tags(&v, tags), 3);
        ASSERT_STREQ(tags[0], "1.3.0_linux");
}

TAP_MAIN()
