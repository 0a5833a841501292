/* test-engine.c: the Engine API client against a fake engine (fake-engine.h): the version negotiated
 * from /_ping and its bounds, the paths and bodies sent, and each error status as the errno and the one
 * line that callers show. */
#include "engine/engine.h"
#include "fake-engine.h"
#include "tap.h"
#include "util/cleanup.h"

static const char ping_143[] = "Api-Version: 1.43\r\n";

static int connect_to(FakeEngine *f, EngineClient **ret, BerthError *err)
{
        char host[160];
        snprintf(host, sizeof(host), "unix://%s", f->path);
        EngineConfig cfg = { .host = host, .timeout_s = 10 };
        return engine_client_new(&cfg, ret, err);
}

TEST(version_negotiated)
{
        FakeEngine f;
        FakeReply r[] = { { 200, ping_143, "OK" } };
        ASSERT_OK(fake_start(&f, r, 1));
        _cleanup_engine_ EngineClient *c = NULL;
        BerthError err = { 0 };
        ASSERT_OK(connect_to(&f, &c, &err));
        ASSERT_STREQ(engine_client_version(c), "1.43");
        ASSERT_STREQ(f.requests[0], "GET /_ping");
        fake_stop(&f);
}

/* Which engine answers, from its /_ping's Server header: Podman's compat service calls itself Libpod. */
TEST(engine_identified)
{
        struct {
                const char *headers;
                EngineKind kind;
                const char *product;
        } cases[] = {
                { "Api-Version: 1.41\r\nServer: Libpod/4.3.1 (linux)\r\nLibpod-Api-Version: 4.3.1\r\n",
                  ENGINE_PODMAN, "Podman 4.3.1" },
                { "Api-Version: 1.41\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n", ENGINE_DOCKER,
                  "Docker 20.10.24+dfsg1" },
                { "Api-Version: 1.43\r\n", ENGINE_DOCKER, "Docker" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                FakeEngine f;
                FakeReply r[] = { { 200, cases[i].headers, "OK" } };
                ASSERT_OK(fake_start(&f, r, 1));
                _cleanup_engine_ EngineClient *c = NULL, *clone = NULL;
                BerthError err = { 0 };
                ASSERT_OK(connect_to(&f, &c, &err));
                ASSERT_EQ(engine_client_kind(c), cases[i].kind);
                ASSERT_STREQ(engine_client_product(c), cases[i].product);
                ASSERT_OK(engine_client_clone(c, &clone, &err)); /* a thread's client knows it too */
                ASSERT_STREQ(engine_client_product(clone), cases[i].product);
                fake_stop(&f);
        }
}

TEST(version_bounds)
{
        FakeEngine f;
        FakeReply newer[] = { { 200, "Api-Version: 1.99\r\n", "OK" } };
        ASSERT_OK(fake_start(&f, newer, 1));
        _cleanup_engine_ EngineClient *c = NULL;
        BerthError err = { 0 };
        ASSERT_OK(connect_to(&f, &c, &err));
        ASSERT_STREQ(engine_client_version(c), ENGINE_API_MAX); /* never above what berth knows */
        fake_stop(&f);

        FakeReply older[] = { { 200, "Api-Version: 1.40\r\n", "OK" } };
        ASSERT_OK(fake_start(&f, older, 1));
        _cleanup_engine_ EngineClient *old = NULL;
        ASSERT_EQ(connect_to(&f, &old, &err), -EPROTONOSUPPORT);
        ASSERT_CONTAINS(err.msg, "speaks API 1.40; berth needs 1.41");
        fake_stop(&f);

        FakeReply none[] = { { 200, NULL, "OK" } };
        ASSERT_OK(fake_start(&f, none, 1));
        _cleanup_engine_ EngineClient *silent = NULL;
        err = (BerthError){ 0 };
        ASSERT_EQ(connect_to(&f, &silent, &err), -EPROTO);
        ASSERT_CONTAINS(err.msg, "did not say which API version");
        fake_stop(&f);
}

TEST(calls_and_bodies)
{
        FakeEngine f;
        FakeReply r[] = { { 200, ping_143, "OK" },
                          { 200, NULL, "[{\"Id\":\"abc\"}]" },
                          { 201, NULL, "{\"Id\":\"new\"}" },
                          { 204, NULL, NULL } };
        ASSERT_OK(fake_start(&f, r, 4));
        _cleanup_engine_ EngineClient *c = NULL;
        _cleanup_cjson_ cJSON *list = NULL, *made = NULL, *none = NULL;
        _cleanup_cjson_ cJSON *body = cJSON_Parse("{\"Image\":\"busybox\"}");
        BerthError err = { 0 };
        long status = 0;
        ASSERT_OK(connect_to(&f, &c, &err));
        ASSERT_OK(engine_call(c, "GET", "/containers/json?all=1", NULL, "list", 0, &status, &list, &err));
        ASSERT_EQ(status, 200);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "Id")), "abc");
        ASSERT_STREQ(f.requests[1], "GET /v1.43/containers/json?all=1");
        ASSERT_OK(engine_call(c, "POST", "/containers/create?name=x", body, "create x", 0, &status, &made,
                              &err));
        ASSERT_EQ(status, 201);
        ASSERT_STREQ(f.requests[2], "POST /v1.43/containers/create?name=x");
        ASSERT_STREQ(f.bodies[2], "{\"Image\":\"busybox\"}");
        ASSERT_OK(engine_call(c, "POST", "/containers/x/start", NULL, "start x", 0, &status, &none, &err));
        ASSERT_EQ(status, 204);
        ASSERT_TRUE(none == NULL);
        fake_stop(&f);
}

TEST(errors_by_status)
{
        FakeEngine f;
        FakeReply r[] = { { 200, ping_143, "OK" },
                          { 404, NULL, "{\"message\":\"No such container: web-1\"}" },
                          { 409, NULL, "{\"message\":\"name in use\"}" },
                          { 400, NULL, "{\"message\":\"bad parameter\"}" },
                          { 403, NULL, "{\"message\":\"denied\"}" },
                          { 500, NULL, "not json at all" },
                          { 200, NULL, "{\"cut\": " } };
        ASSERT_OK(fake_start(&f, r, 7));
        _cleanup_engine_ EngineClient *c = NULL;
        BerthError err = { 0 };
        ASSERT_OK(connect_to(&f, &c, &err));
        ASSERT_EQ(engine_call(c, "GET", "/containers/web-1/json", NULL, "inspect container web-1", 0, NULL,
                              NULL, &err),
                  -ENOENT);
        ASSERT_CONTAINS(err.msg, "inspect container web-1");
        ASSERT_CONTAINS(err.msg, "No such container: web-1");
        err = (BerthError){ 0 };
        ASSERT_EQ(engine_call(c, "POST", "/x", NULL, "x", 0, NULL, NULL, &err), -EEXIST);
        err = (BerthError){ 0 };
        ASSERT_EQ(engine_call(c, "POST", "/x", NULL, "x", 0, NULL, NULL, &err), -EINVAL);
        err = (BerthError){ 0 };
        ASSERT_EQ(engine_call(c, "POST", "/x", NULL, "x", 0, NULL, NULL, &err), -EACCES);
        err = (BerthError){ 0 };
        long status = 0;
        ASSERT_EQ(engine_call(c, "POST", "/x", NULL, "x", 0, &status, NULL, &err), -EIO);
        ASSERT_EQ(status, 500);
        ASSERT_CONTAINS(err.msg, "not json at all");
        /* A reply that is no JSON where JSON is wanted is an error, not a NULL taken for "nothing". */
        cJSON *j = NULL;
        err = (BerthError){ 0 };
        ASSERT_TRUE(engine_call(c, "GET", "/y", NULL, "read y", 0, NULL, &j, &err) < 0);
        ASSERT_TRUE(j == NULL);
        fake_stop(&f);
}

TAP_MAIN()
