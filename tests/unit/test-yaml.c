/* test-yaml.c: YAML loading: types, positions, anchors and merge keys, tags, and the limits. */
#include <errno.h>

#include "yaml/yaml.h"
#include "util/strbuf.h"
#include "tap.h"

static cJSON *load(const char *text, SrcMap *m, BerthError *err, int *ret_r)
{
        cJSON *doc = NULL;
        *ret_r = yaml_load(text, strlen(text), "t.yaml", NULL, m, &doc, err);
        return doc;
}

TEST(scalars_resolve_like_yaml_1_2)
{
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        int r;
        cJSON *d = load("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: yes\ng: 0x1F\nh: 010\ni: \"\"\nj: 1e3\n", m,
                        &err, &r);
        ASSERT_OK(r);
        ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(d, "a")));
        ASSERT_STREQ(cJSON_GetObjectItem(d, "a")->valuestring, "1");
        ASSERT_TRUE(cJSON_GetObjectItem(d, "b")->valuedouble == 1.5);
        ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(d, "c")));
        ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(d, "d")));
        ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(d, "e")));
        /* YAML 1.2: "yes" is a string, unlike YAML 1.1 */
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(d, "f")), "yes");
        ASSERT_EQ(cJSON_GetObjectItem(d, "g")->valuedouble, 31);
        ASSERT_STREQ(cJSON_GetObjectItem(d, "h")->valuestring, "010");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(d, "i")), "");
        ASSERT_EQ(cJSON_GetObjectItem(d, "j")->valuedouble, 1000);
        cJSON_Delete(d);
        srcmap_free(m);
}

TEST(positions_are_remembered)
{
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        int r;
        cJSON *d = load("services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n", m, &err, &r);
        ASSERT_OK(r);
        cJSON *web = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "services"), "web");
        const SrcPos *p = srcmap_get(m, cJSON_GetObjectItem(web, "image"));
        ASSERT_TRUE(p);
        ASSERT_EQ(p->line, 3);
        ASSERT_EQ(p->col, 12);
        ASSERT_STREQ(p->file, "t.yaml");
        const SrcPos *k = srcmap_get(m, SRCMAP_KEY(cJSON_GetObjectItem(web, "ports")));
        ASSERT_TRUE(k);
        ASSERT_EQ(k->line, 4);
        ASSERT_EQ(k->col, 5);
        const SrcPos *q = srcmap_get(m, cJSON_GetArrayItem(cJSON_GetObjectItem(web, "ports"), 0));
        ASSERT_TRUE(q && (q->tags & SRC_TAG_QUOTED));
        ASSERT_EQ(q->line, 5);
        cJSON_Delete(d);
        srcmap_free(m);
}

TEST(anchors_aliases_and_merge_keys)
{
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        int r;
        cJSON *d = load("base: &b {x: 1, y: 2}\nother: &o {y: 20, z: 30}\n"
                        "s: {<<: [*b, *o], x: 10}\nlist: [*b, *b]\nk: &key name\n*key : v\n",
                        m, &err, &r);
        ASSERT_OK(r);
        cJSON *s = cJSON_GetObjectItem(d, "s");
        ASSERT_EQ(cJSON_GetObjectItem(s, "x")->valuedouble, 10); /* explicit key wins */
        ASSERT_EQ(cJSON_GetObjectItem(s, "y")->valuedouble, 2);  /* earlier merge source wins */
        ASSERT_EQ(cJSON_GetObjectItem(s, "z")->valuedouble, 30);
        ASSERT_TRUE(!cJSON_GetObjectItem(s, "<<"));
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(d, "list")), 2);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(d, "name")), "v");
        cJSON_Delete(d);
        srcmap_free(m);
}

/* Found by the fuzzer: an anchor defined right on a merge source was freed with it, and a later alias
 * copied freed memory. The source must stay whole for every alias after it. */
TEST(anchor_on_a_merge_source)
{
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        int r;
        cJSON *d = load("a:\n  <<: &common {x: 1, y: 2}\n  y: 3\nb:\n  <<: *common\nc: *common\n"
                        "d:\n  <<: &list [{p: 1}, {q: 2}]\ne: *list\n",
                        m, &err, &r);
        ASSERT_OK(r);
        cJSON *a = cJSON_GetObjectItem(d, "a"), *b = cJSON_GetObjectItem(d, "b"),
              *c = cJSON_GetObjectItem(d, "c");
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "x")), 1);
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(a, "y")), 3);
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "x")), 1);
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "y")), 2);
        ASSERT_EQ(cJSON_GetArraySize(c), 2);
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(d, "e")), 2);
        cJSON_Delete(d);
        srcmap_free(m);
}

TEST(reset_and_override_tags)
{
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        int r;
        cJSON *d = load("a: !reset []\nb: !override [1]\n", m, &err, &r);
        ASSERT_OK(r);
        ASSERT_TRUE(srcmap_get(m, cJSON_GetObjectItem(d, "a"))->tags & SRC_TAG_RESET);
        ASSERT_TRUE(srcmap_get(m, cJSON_GetObjectItem(d, "b"))->tags & SRC_TAG_OVERRIDE);
        cJSON_Delete(d);
        srcmap_free(m);
}

TEST(errors_and_limits)
{
        static const struct {
                const char *text;
                int r;
                const char *msg;
                unsigned line;
        } cases[] = {
                { "a: 1\na: 2\n", -EINVAL, "duplicate key \"a\"", 2 },
                { "a: *nope\n", -EINVAL, "unknown anchor \"nope\"", 1 },
                { "a: &x [*x]\n", -EINVAL, "unknown anchor \"x\"", 1 },
                { "? [a]\n: 1\n", -EINVAL, "mapping keys must be scalars", 1 },
                { "a: {<<: 5}\n", -EINVAL, "merge key \"<<\" needs a mapping or a list of mappings", 1 },
                { "a: \"\xc3\x28\"\n", -EILSEQ, "file is not valid UTF-8", 1 },
                { "a: [1, 2\n", -EINVAL, "did not find expected ',' or ']'", 2 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                SrcMap *m = srcmap_new();
                BerthError err = { 0 };
                int r;
                cJSON *d = load(cases[i].text, m, &err, &r);
                ASSERT_EQ(r, cases[i].r);
                ASSERT_CONTAINS(err.msg, cases[i].msg);
                ASSERT_EQ(err.line, cases[i].line);
                ASSERT_TRUE(!d);
                srcmap_free(m);
        }
}

TEST(billion_laughs_fails_fast)
{
        StrBuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 30; i++) {
                strbuf_addf(&sb, "a%d: &a%d [", i, i);
                for (int k = 0; k < 10; k++)
                        strbuf_addf(&sb, "%s*a%d", k ? ", " : "", i - 1);
                strbuf_addstr(&sb, "]\n");
        }
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        int r;
        cJSON *d = load(sb.buf, m, &err, &r);
        ASSERT_EQ(r, -E2BIG);
        ASSERT_CONTAINS(err.msg, "expands past the limit");
        ASSERT_TRUE(!d);
        srcmap_free(m);
        strbuf_done(&sb);
}

TEST(depth_and_node_limits)
{
        YamlLimits lim = { .max_depth = 8, .max_nodes = 50, .max_alias_nodes = 10 };
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        cJSON *d = NULL;
        const char *deep = "a: [[[[[[[[[[1]]]]]]]]]]\n";
        ASSERT_EQ(yaml_load(deep, strlen(deep), "t.yaml", &lim, m, &d, &err), -E2BIG);
        ASSERT_CONTAINS(err.msg, "nesting too deep");
        StrBuf sb = STRBUF_INIT;
        for (int i = 0; i < 60; i++)
                strbuf_addf(&sb, "k%d: v\n", i);
        BerthError err2 = { 0 };
        ASSERT_EQ(yaml_load(sb.buf, sb.len, "t.yaml", &lim, m, &d, &err2), -E2BIG);
        ASSERT_CONTAINS(err2.msg, "more than 50 nodes");
        strbuf_done(&sb);
        srcmap_free(m);
}

TAP_MAIN()
