/* test-interp.c: compose interpolation against the peer corpus kept in tests/data/conformance. */
#include <cjson/cJSON.h>

#include "compose/interp.h"
#include "tap.h"

typedef struct Warn {
        unsigned n;
} Warn;

static void count_unset(void *ud, const char *name, size_t len)
{
        ((Warn *)ud)->n++;
}

TEST(conformance_interp_cases)
{
        char *text = tap_slurp(CONFORMANCE_DIR "/interp_cases.json");
        cJSON *doc = cJSON_Parse(text);
        unsigned passed = 0, total = 0;

        ASSERT_TRUE(doc);
        cJSON *cases = cJSON_GetObjectItem(doc, "cases");
        cJSON *c;
        cJSON_ArrayForEach(c, cases)
        {
                const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
                const char *tmpl = cJSON_GetObjectItem(c, "template")->valuestring;
                cJSON *expected = cJSON_GetObjectItem(c, "expected");
                cJSON *error = cJSON_GetObjectItem(c, "error");
                cJSON *warnings = cJSON_GetObjectItem(c, "observed_unset_warnings");
                EnvMap env;
                envmap_init(&env);
                cJSON *kv;
                cJSON_ArrayForEach(kv, cJSON_GetObjectItem(c, "env"))
                        envmap_set(&env, kv->string, kv->valuestring);
                EnvLookup lk = { .maps = { &env }, .n = 1 };
                Warn w = { 0 };
                Interp ip = { .env = &lk, .on_unset = count_unset, .userdata = &w };
                StrBuf out = STRBUF_INIT;
                BerthError err = { 0 };
                int r = interp_expand(&ip, tmpl, strlen(tmpl), &out, &err);
                bool ok;

                total++;
                if (expected) {
                        ok = r >= 0 && strcmp(strbuf_str(&out), expected->valuestring) == 0;
                        if (ok && warnings && (unsigned)warnings->valuedouble != w.n) {
                                printf("#   %s: %u unset warnings, expected %d\n", id, w.n,
                                       warnings->valueint);
                                ok = false;
                        }
                        if (!ok)
                                printf("#   %s: %s -> \"%s\" (r=%d, %s), expected \"%s\"\n", id, tmpl,
                                       strbuf_str(&out), r, err.msg, expected->valuestring);
                } else {
                        cJSON *m = cJSON_GetObjectItem(error, "message");
                        cJSON *mc = cJSON_GetObjectItem(error, "message_contains");
                        ok = r < 0 && (m ? strcmp(err.msg, m->valuestring) == 0
                                         : strstr(err.msg, mc->valuestring) != NULL);
                        if (!ok)
                                printf("#   %s: %s -> r=%d \"%s\", expected error \"%s\"\n", id, tmpl, r,
                                       err.msg, m ? m->valuestring : mc->valuestring);
                }
                passed += ok;
                strbuf_done(&out);
                envmap_done(&env);
        }
        printf("# interp conformance: %u/%u passed\n", passed, total);
        ASSERT_EQ(total, 92);
        ASSERT_EQ(passed, total);
        cJSON_Delete(doc);
        free(text);
}

TEST(required_error_names_variable)
{
        EnvMap env;
        envmap_init(&env);
        EnvLookup lk = { .maps = { &env }, .n = 1 };
        Interp ip = { .env = &lk };
        StrBuf out = STRBUF_INIT;
        BerthError err = { 0 };
        const char *t = "image: ${REGISTRY:?set REGISTRY to your registry}";
        ASSERT_TRUE(interp_expand(&ip, t, strlen(t), &out, &err) < 0);
        ASSERT_STREQ(err.msg,
                     "required variable REGISTRY is missing a value: set REGISTRY to your registry");
        strbuf_done(&out);
        envmap_done(&env);
}

TEST(deep_nesting_is_bounded)
{
        StrBuf t = STRBUF_INIT, out = STRBUF_INIT;
        EnvMap env;
        envmap_init(&env);
        EnvLookup lk = { .maps = { &env }, .n = 1 };
        Interp ip = { .env = &lk };
        BerthError err = { 0 };
        for (int i = 0; i < 200; i++)
                strbuf_addstr(&t, "${A:-");
        strbuf_addstr(&t, "x");
        for (int i = 0; i < 200; i++)
                strbuf_addch(&t, '}');
        ASSERT_TRUE(interp_expand(&ip, t.buf, t.len, &out, &err) < 0);
        ASSERT_CONTAINS(err.msg, "nested too deeply");
        strbuf_done(&t);
        strbuf_done(&out);
        envmap_done(&env);
}

TAP_MAIN()
