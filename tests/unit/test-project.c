/* test-project.c: project loading through the library: names, the content hash, and isolation from the
 * host environment. Fixture files are written to a temporary directory. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/project.h"
#include "tap.h"

static char dir[256];

static void put(const char *name, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        fputs(text, f);
        fclose(f);
}

static Project *load_dir(EnvMap *env, BerthError *err)
{
        Project *p = NULL;
        ComposeOptions o = { .os_env = env, .cwd = dir };
        if (project_load(&o, &p, err) < 0)
                return NULL;
        return p;
}

static void hashes(char web[65], char db[65])
{
        EnvMap env;
        envmap_init(&env);
        BerthError err = { 0 };
        Project *p = load_dir(&env, &err);
        ASSERT_TRUE(p);
        if (!p) {
                printf("# %s\n", err.msg);
                return;
        }
        ASSERT_OK(project_service_hash(p, "web", NULL, web));
        ASSERT_OK(project_service_hash(p, "db", NULL, db));
        project_free(p);
        envmap_done(&env);
}

TEST(content_hash_follows_referenced_files)
{
        char web1[65], db1[65], web2[65], db2[65], web3[65], db3[65], web4[65], db4[65];
        snprintf(dir, sizeof(dir), "/tmp/berth-test-project-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        put("compose.yaml", "services:\n  web:\n    image: busybox\n    env_file: web.env\n"
                            "    configs: [site]\n    depends_on: [db]\n"
                            "  db:\n    image: busybox\n    deploy:\n      replicas: 1\n"
                            "configs:\n  site:\n    file: site.conf\n");
        put("web.env", "MODE=one\n");
        put("site.conf", "listen 80\n");
        hashes(web1, db1);
        hashes(web2, db2);
        ASSERT_STREQ(web1, web2); /* stable */
        ASSERT_STREQ(db1, db2);

        put("site.conf", "listen 8080\n"); /* a config file's contents change */
        hashes(web3, db3);
        ASSERT_TRUE(strcmp(web3, web1) != 0);
        ASSERT_STREQ(db3, db1); /* db does not use it */

        put("web.env", "MODE=two\n");
        hashes(web4, db4);
        ASSERT_TRUE(strcmp(web4, web3) != 0);
        ASSERT_STREQ(db4, db1);

        /* Replicas and depends_on are left out of the hash, as compose does. */
        put("compose.yaml", "services:\n  web:\n    image: busybox\n    env_file: web.env\n"
                            "    configs: [site]\n"
                            "  db:\n    image: busybox\n    deploy:\n      replicas: 5\n"
                            "configs:\n  site:\n    file: site.conf\n");
        char web5[65], db5[65];
        hashes(web5, db5);
        ASSERT_STREQ(web5, web4);
        ASSERT_STREQ(db5, db1);

        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TEST(os_environment_wins_over_dotenv)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-project-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        put("compose.yaml", "services:\n  web:\n    image: \"busybox:${TAG}\"\n");
        put(".env", "TAG=from-dotenv\nCOMPOSE_PROJECT_NAME=fromdotenv\n");
        EnvMap env;
        envmap_init(&env);
        envmap_set(&env, "TAG", "from-os");
        BerthError err = { 0 };
        Project *p = load_dir(&env, &err);
        ASSERT_TRUE(p);
        if (p) {
                cJSON *web = cJSON_GetObjectItem(cJSON_GetObjectItem(p->model, "services"), "web");
                ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(web, "image")), "busybox:from-os");
                ASSERT_STREQ(p->name, "fromdotenv");
        }
        project_free(p);
        envmap_done(&env);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TEST(project_names)
{
        ASSERT_TRUE(project_name_valid("web"));
        ASSERT_TRUE(project_name_valid("0web_a-b"));
        ASSERT_TRUE(!project_name_valid(""));
        ASSERT_TRUE(!project_name_valid("Web"));
        ASSERT_TRUE(!project_name_valid("-web"));
        ASSERT_TRUE(!project_name_valid("../etc"));
        ASSERT_TRUE(!project_name_valid("a/b"));
        ASSERT_TRUE(!project_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

TAP_MAIN()
