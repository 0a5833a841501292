/* test-spec.c: short-syntax parsers: ports, volumes and command words. */
#include <errno.h>

#include "compose/spec.h"
#include "tap.h"

static char *port_json(const char *spec, int *ret_r, char *errbuf)
{
        cJSON *out = NULL;
        *ret_r = spec_parse_port(spec, &out, errbuf, 256);
        char *s = out ? cJSON_PrintUnformatted(out) : NULL;
        cJSON_Delete(out);
        return s;
}

TEST(ports)
{
        static const struct {
                const char *spec, *json;
        } ok[] = {
                { "80", "[{\"mode\":\"ingress\",\"target\":80,\"protocol\":\"tcp\"}]" },
                { "8080:80",
                  "[{\"mode\":\"ingress\",\"target\":80,\"published\":\"8080\",\"protocol\":\"tcp\"}]" },
                { "127.0.0.1:8080:80/udp", "[{\"mode\":\"ingress\",\"target\":80,\"published\":\"8080\","
                                           "\"protocol\":\"udp\",\"host_ip\":\"127.0.0.1\"}]" },
                { "127.0.0.1::80",
                  "[{\"mode\":\"ingress\",\"target\":80,\"protocol\":\"tcp\",\"host_ip\":\"127.0.0.1\"}]" },
                { "[::1]:53:53/udp", "[{\"mode\":\"ingress\",\"target\":53,\"published\":\"53\","
                                     "\"protocol\":\"udp\",\"host_ip\":\"::1\"}]" },
                { "9000-9001:80-81",
                  "[{\"mode\":\"ingress\",\"target\":80,\"published\":\"9000\",\"protocol\":\"tcp\"},"
                  "{\"mode\":\"ingress\",\"target\":81,\"published\":\"9001\",\"protocol\":\"tcp\"}]" },
                { "9000-9010:80", "[{\"mode\":\"ingress\",\"target\":80,\"published\":\"9000-9010\","
                                  "\"protocol\":\"tcp\"}]" },
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
                char errbuf[256] = "";
                int r;
                char *j = port_json(ok[i].spec, &r, errbuf);
                ASSERT_OK(r);
                ASSERT_STREQ(j, ok[i].json);
                free(j);
        }
        static const char *const bad[] = { "",        "0",        "65536",           "a:b",
                                           "80/tcpx", "1:2:3:4",  "90-80",           "8000-8002:80-81",
                                           "[::1:80", "80:80:80", "300.1.1.1:80:80", "[zz::1]:80:80" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                char errbuf[256] = "";
                int r;
                char *j = port_json(bad[i], &r, errbuf);
                ASSERT_EQ(r, -EINVAL);
                ASSERT_TRUE(j == NULL);
                ASSERT_TRUE(errbuf[0] != '\0');
        }
}

TEST(volumes)
{
        char errbuf[256];
        cJSON *v = NULL;
        ASSERT_OK(spec_parse_volume("./data:/data:ro,z", "/proj", "/home/u", &v, errbuf, sizeof(errbuf)));
        char *j = cJSON_PrintUnformatted(v);
        ASSERT_STREQ(j, "{\"type\":\"bind\",\"source\":\"/proj/data\",\"target\":\"/data\",\"bind\":"
                        "{\"create_host_path\":true,\"selinux\":\"z\"},\"read_only\":true}");
        free(j);
        cJSON_Delete(v);
        ASSERT_OK(spec_parse_volume("~/x:/x", "/proj", "/home/u", &v, errbuf, sizeof(errbuf)));
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(v, "source")), "/home/u/x");
        cJSON_Delete(v);
        ASSERT_OK(spec_parse_volume("data:/var/lib/data:nocopy", "/proj", NULL, &v, errbuf, sizeof(errbuf)));
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(v, "type")), "volume");
        ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "volume"), "nocopy")));
        cJSON_Delete(v);
        ASSERT_OK(spec_parse_volume("/anon", "/proj", NULL, &v, errbuf, sizeof(errbuf)));
        ASSERT_TRUE(!cJSON_GetObjectItem(v, "source"));
        cJSON_Delete(v);
        v = NULL;
        ASSERT_EQ(spec_parse_volume("a:b:c:d", "/p", NULL, &v, errbuf, sizeof(errbuf)), -EINVAL);
        ASSERT_EQ(spec_parse_volume("data:rel", "/p", NULL, &v, errbuf, sizeof(errbuf)), -EINVAL);
        ASSERT_CONTAINS(errbuf, "must be an absolute path");
        ASSERT_EQ(spec_parse_volume("./x:/x:nocopy", "/p", NULL, &v, errbuf, sizeof(errbuf)), -EINVAL);
        ASSERT_TRUE(v == NULL);
}

TEST(command_words)
{
        char errbuf[256];
        cJSON *w = NULL;
        ASSERT_OK(
                spec_split_words("sh -c 'echo \"hi there\"' \"a\\\"b\" c\\ d", &w, errbuf, sizeof(errbuf)));
        char *j = cJSON_PrintUnformatted(w);
        ASSERT_STREQ(j, "[\"sh\",\"-c\",\"echo \\\"hi there\\\"\",\"a\\\"b\",\"c d\"]");
        free(j);
        cJSON_Delete(w);
        w = NULL;
        ASSERT_EQ(spec_split_words("echo 'oops", &w, errbuf, sizeof(errbuf)), -EINVAL);
        ASSERT_CONTAINS(errbuf, "unterminated single quote");
}

TAP_MAIN()
