/* test-json.c: a tree built with unchecked cJSON_Add* calls is never written short. Each allocation of
 * the build is made to fail in turn; whenever one did, json_print() and the emitters refuse the tree,
 * and when none did, the text is the whole tree. */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "yaml/emit.h"

/* As a container's spec is built: many members, nested, none of them checked. */
static cJSON *build(void)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Image", "busybox:latest");
        cJSON *env = cJSON_AddArrayToObject(o, "Env");
        for (int i = 0; i < 5; i++) {
                char kv[32];
                snprintf(kv, sizeof(kv), "K%d=v%d", i, i);
                json_append(env, cJSON_CreateString(kv));
        }
        cJSON *host = cJSON_AddObjectToObject(o, "HostConfig");
        cJSON_AddNumberToObject(host, "Memory", 1 << 20);
        cJSON_AddBoolToObject(host, "Init", 1);
        cJSON *labels = cJSON_AddObjectToObject(o, "Labels");
        cJSON_AddStringToObject(labels, "io.berth.stack", "app");
        return o;
}

static const char whole[] = "{\"Image\":\"busybox:latest\",\"Env\":[\"K0=v0\",\"K1=v1\",\"K2=v2\",\"K3=v3\","
                            "\"K4=v4\"],\"HostConfig\":{\"Memory\":1048576,\"Init\":true},\"Labels\":{"
                            "\"io.berth.stack\":\"app\"}}";

TEST(whole_when_nothing_failed)
{
        cJSON *o = build();
        char *text = json_print(o, false);
        ASSERT_STREQ(text, whole);
        ASSERT_EQ(json_failures(), 0);
        free(text);
        cJSON_Delete(o);
}

TEST(every_failed_allocation_is_seen)
{
        unsigned refused = 0, k;
        for (k = 1; k < 200; k++) {
                json_reset();
                json_fail_allocation(k);
                cJSON *o = build();
                bool failed = json_failures() > 0;
                json_fail_allocation(0);
                if (!failed) {
                        cJSON_Delete(o);
                        break; /* the build makes fewer than k allocations */
                }
                char *text = json_print(o, false);
                StrBuf out = STRBUF_INIT;
                int ry = emit_yaml(o, 0, &out), rj = emit_json(o, 0, &out);
                if (!text && ry == -ENOMEM && rj == -ENOMEM && out.len == 0)
                        refused++;
                else
                        TAP_FAIL("allocation %u failed and the tree was still written: %s", k,
                                 text ? text : "");
                free(text);
                strbuf_done(&out);
                cJSON_Delete(o);
        }
        ASSERT_TRUE(k > 20); /* the build really allocates: each of them was tried */
        ASSERT_EQ(refused, k - 1);
        /* the failure sticks until reset, then a fresh tree prints */
        json_reset();
        cJSON *o = build();
        char *text = json_print(o, false);
        ASSERT_STREQ(text, whole);
        free(text);
        cJSON_Delete(o);
}

TEST(sticky_until_reset)
{
        json_reset();
        json_fail_allocation(1);
        cJSON_Delete(cJSON_CreateObject()); /* fails: NULL */
        cJSON *o = cJSON_CreateObject();
        ASSERT_TRUE(o != NULL);
        ASSERT_TRUE(json_print(o, true) == NULL); /* an unrelated tree, but built after a loss */
        json_reset();
        char *text = json_print(o, true);
        ASSERT_STREQ(text, "{\n}");
        free(text);
        cJSON_Delete(o);
}

TAP_MAIN()
