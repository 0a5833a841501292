/* test-templates.c: every definition the project ships renders with its defaults (and the options it
 * requires) into a compose file that loads, as berth-api will check before it commits one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/project.h"
#include "policy/policy.h"
#include "source/source.h"
#include "template/render.h"
#include "util/fileio.h"
#include "tap.h"

static Project *render_dir(const char *name, const char *options_json, char **ret_text)
{
        char path[512];
        char *compose = NULL, *json = NULL, *text = NULL;
        size_t clen = 0, jlen = 0;
        Definition *d = NULL;
        cJSON *in = cJSON_Parse(options_json), *opts = NULL;
        Source *src = NULL;
        Project *p = NULL;
        BerthError err = { 0 };
        snprintf(path, sizeof(path), "%s/templates/%s/compose.yaml", SOURCE_DIR, name);
        if (file_read(path, 1 << 20, &compose, &clen, &err) < 0)
                goto out;
        snprintf(path, sizeof(path), "%s/templates/%s/definition.json", SOURCE_DIR, name);
        if (file_read(path, 1 << 20, &json, &jlen, &err) < 0 ||
            definition_load(name, compose, clen, json, jlen, &d, &err) < 0 ||
            definition_options(d, in, &opts, &err) < 0 || definition_render(d, opts, &text, &err) < 0)
                goto out;
        source_memory_new("/srv/s", "rendered", &src);
        source_memory_add(src, "stacks/s/compose.yaml", text, strlen(text));
        EnvMap env;
        envmap_init(&env);
        /* What the reconciler takes from the stack's SOPS .env. */
        envmap_set(&env, "db_password", "from-the-env");
        char *files[] = { "/srv/s/stacks/s/compose.yaml", NULL };
        ComposeOptions o = { .files = files,
                             .n_files = 1,
                             .project_name = "s",
                             .project_directory = "/srv/s/stacks/s",
                             .cwd = "/srv/s/stacks/s",
                             .os_env = &env,
                             .source = src };
        project_load(&o, &p, &err);
        envmap_done(&env);
out:
        if (!p)
                printf("#   %s: %s%s%s: %s\n", name, err.file, err.path[0] ? ": " : "", err.path, err.msg);
        if (ret_text)
                *ret_text = text;
        else
                free(text);
        free(compose);
        free(json);
        cJSON_Delete(in);
        cJSON_Delete(opts);
        definition_free(d);
        source_unref(src);
        return p;
}

/* What the default policy (berth-api without --policy) refuses in p: the shipped definitions are for
 * people who fill in forms, so they ask nothing of the host. */
static int refused(const Project *p)
{
        Policy *pol = NULL;
        PolicyViolations v = { 0 };
        if (policy_default(&pol) < 0)
                return -1;
        int n = policy_check(pol, p, "/srv/s/stacks/s", &v);
        for (size_t i = 0; i < v.n; i++)
                printf("#   refused: %s %s: %s\n", v.items[i].service, v.items[i].key, v.items[i].message);
        policy_violations_done(&v);
        policy_free(pol);
        return n;
}

static cJSON *service(const Project *p, const char *name)
{
        return cJSON_GetObjectItem(cJSON_GetObjectItem(p->model, "services"), name);
}

TEST(webapp_db)
{
        char *text = NULL;
        Project *p = render_dir("webapp-db",
                                "{\"image\": \"registry.example.com/shop:1.4\", \"db_password\": "
                                "\"given-never-rendered\"}",
                                &text);
        ASSERT_TRUE(p);
        /* The write-only password is left as a placeholder, filled from the environment at load. */
        ASSERT_TRUE(text && !strstr(text, "given-never-rendered") && strstr(text, "${db_password}"));
        free(text);
        if (!p)
                return;
        cJSON *env = cJSON_GetObjectItem(service(p, "db"), "environment");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(env, "POSTGRES_PASSWORD")), "from-the-env");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(
                             cJSON_GetObjectItem(service(p, "app"), "environment"), "DATABASE_PASSWORD")),
                     "from-the-env");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(service(p, "app"), "image")),
                     "registry.example.com/shop:1.4");
        ASSERT_TRUE(cJSON_GetObjectItem(cJSON_GetObjectItem(p->model, "volumes"), "data") != NULL);
        ASSERT_EQ(refused(p), 0);
        project_free(p);
}

TEST(static_site)
{
        Project *p = render_dir("static-site", "{\"port\": 9090}", NULL);
        ASSERT_TRUE(p);
        if (!p)
                return;
        cJSON *port = cJSON_GetArrayItem(cJSON_GetObjectItem(service(p, "web"), "ports"), 0);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(port, "published")), "9090");
        ASSERT_EQ(refused(p), 0);
        project_free(p);
}

TEST(worker)
{
        Project *p = render_dir(
                "worker",
                "{\"image\": \"busybox\", \"command\": \"sleep 3600\", \"healthcheck\": \"true\", "
                "\"replicas\": 3}",
                NULL);
        ASSERT_TRUE(p);
        if (!p)
                return;
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(
                          cJSON_GetObjectItem(service(p, "worker"), "deploy"), "replicas")),
                  3);
        ASSERT_EQ(refused(p), 0);
        project_free(p);
}

TEST(scheduled_job)
{
        char *text = NULL;
        Project *p =
                render_dir("scheduled-job", "{\"image\": \"busybox\", \"command\": \"echo $HOME\"}", &text);
        ASSERT_TRUE(p);
        if (p) {
                const char *script = cJSON_GetStringValue(
                        cJSON_GetArrayItem(cJSON_GetObjectItem(service(p, "job"), "command"), 0));
                /* The option's "$" reaches the shell as written, not the CI's environment. */
                ASSERT_CONTAINS(script, "echo $HOME || echo");
                ASSERT_CONTAINS(script, "sleep $(( 3600 - ($(date +%s) - start) % 3600 ))");
        }
        free(text);
        ASSERT_EQ(refused(p), 0);
        project_free(p);
}

TEST(required_options_are_required)
{
        Project *p = render_dir("worker", "{\"image\": \"busybox\"}", NULL);
        ASSERT_TRUE(p == NULL);
}

TAP_MAIN()
