/* test-render.c: stack definitions rendered with options: defaults, validation, and injection safety
 * (every hostile option value stays one string, and no "$" of it can reach the CI's variables). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/project.h"
#include "yaml/yaml.h"
#include "source/source.h"
#include "template/render.h"
#include "tap.h"

static const char *const TEMPLATE = "services:\n"
                                    "  app:\n"
                                    "    image: \"busybox:${tag}\"\n"
                                    "    command: [\"echo\", \"${msg}\"]\n"
                                    "    environment:\n"
                                    "      MSG: $msg\n"
                                    "      DB_PASSWORD: ${DB_PASSWORD}\n"
                                    "      LITERAL: \"$$HOME\"\n"
                                    "      FALLBACK: ${nothing:-kept}\n"
                                    "    deploy:\n"
                                    "      replicas: ${replicas}\n"
                                    "    labels:\n"
                                    "      ${msg}: key-not-rendered\n"
                                    /* Quoted, "<<" is a key like any other, not a merge. */
                                    "      \"<<\": not-a-merge\n";
static const char *const DEFINITION =
        "{\"title\": \"App\", \"version\": \"1.2.0\", \"options\": {\"type\": \"object\", "
        "\"required\": [\"msg\"], \"additionalProperties\": false, \"properties\": {"
        "\"msg\": {\"type\": \"string\"}, \"tag\": {\"type\": \"string\", \"default\": \"latest\"}, "
        "\"replicas\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 5, \"default\": 2}}}}";

static Definition *definition(void)
{
        Definition *d = NULL;
        BerthError err = { 0 };
        if (definition_load("app", TEMPLATE, strlen(TEMPLATE), DEFINITION, strlen(DEFINITION), &d, &err) < 0)
                printf("# %s\n", err.msg);
        return d;
}

/* Renders msg, then loads the result as berth would: through a memory source, with CI variables set. */
static Project *render_and_load(Definition *d, const char *msg, char **ret_text)
{
        cJSON *in = cJSON_CreateObject(), *opts = NULL;
        cJSON_AddStringToObject(in, "msg", msg);
        BerthError err = { 0 };
        Project *p = NULL;
        char *text = NULL;
        Source *src = NULL;
        if (definition_options(d, in, &opts, &err) < 0 || definition_render(d, opts, &text, &err) < 0) {
                printf("# render: %s: %s\n", err.path, err.msg);
                goto out;
        }
        source_memory_new("/srv/stack", "memory", &src);
        source_memory_add(src, "stacks/app/compose.yaml", text, strlen(text));
        EnvMap env;
        envmap_init(&env);
        envmap_set(&env, "CI_JOB_TOKEN", "ci-secret");
        envmap_set(&env, "DB_PASSWORD", "from-ci");
        envmap_set(&env, "HOME", "/root");
        char *files[] = { "/srv/stack/stacks/app/compose.yaml", NULL };
        ComposeOptions o = { .files = files,
                             .n_files = 1,
                             .project_name = "app",
                             .project_directory = "/srv/stack/stacks/app",
                             .cwd = "/srv/stack/stacks/app",
                             .os_env = &env,
                             .source = src };
        if (project_load(&o, &p, &err) < 0)
                printf("# load: %s\n# %s\n", err.msg, text);
        envmap_done(&env);
out:
        source_unref(src);
        cJSON_Delete(in);
        cJSON_Delete(opts);
        if (ret_text)
                *ret_text = text;
        else
                free(text);
        return p;
}

static cJSON *app(const Project *p)
{
        return cJSON_GetObjectItem(cJSON_GetObjectItem(p->model, "services"), "app");
}

TEST(options_get_defaults_and_are_validated)
{
        Definition *d = definition();
        ASSERT_TRUE(d);
        if (!d)
                return;
        ASSERT_STREQ(d->title, "App");
        ASSERT_STREQ(d->version, "1.2.0");
        BerthError err = { 0 };
        cJSON *out = NULL, *in = cJSON_Parse("{\"msg\": \"hi\"}");
        ASSERT_OK(definition_options(d, in, &out, &err));
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(out, "replicas")), 2);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(out, "tag")), "latest");
        cJSON_Delete(out);
        cJSON_Delete(in);
        static const struct {
                const char *json, *path;
        } bad[] = {
                { "{\"msg\": \"hi\", \"replicas\": 9}", "/options/replicas" },
                { "{\"msg\": \"hi\", \"replicas\": \"2\"}", "/options/replicas" },
                { "{\"msg\": 3}", "/options/msg" },
                { "{\"msg\": \"hi\", \"extra\": 1}", "/options" },
                { "{}", "/options" },
                { "[1]", "/options" },
                { "{\"msg\": \"\xff\xfe not UTF-8\"}", "/options/msg" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                err = (BerthError){ 0 };
                out = NULL;
                in = cJSON_Parse(bad[i].json);
                ASSERT_EQ(definition_options(d, in, &out, &err), -EINVAL);
                ASSERT_TRUE(strncmp(err.path, bad[i].path, strlen(bad[i].path)) == 0);
                if (strncmp(err.path, bad[i].path, strlen(bad[i].path)) != 0)
                        printf("#   %s: path %s\n", bad[i].json, err.path);
                cJSON_Delete(in);
                cJSON_Delete(out);
        }
        definition_free(d);
}

/* A definition that forgot additionalProperties: only its declared options exist all the same, by their
 * exact names, and its strings have a length. */
TEST(only_declared_options_fill_placeholders)
{
        static const char *const loose =
                "{\"title\": \"Loose\", \"version\": \"1\", \"options\": {\"type\": \"object\", "
                "\"properties\": {\"msg\": {\"type\": \"string\", \"default\": \"hi\"}, "
                "\"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}, "
                "\"short\": {\"type\": \"string\", \"maxLength\": 3}}}}";
        Definition *d = NULL;
        BerthError err = { 0 };
        ASSERT_OK(definition_load("loose", TEMPLATE, strlen(TEMPLATE), loose, strlen(loose), &d, &err));
        if (!d)
                return;
        ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(d->options, "additionalProperties")));
        const cJSON *props = cJSON_GetObjectItem(d->options, "properties");
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "msg"), "maxLength")),
                  1024);
        ASSERT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(
                          cJSON_GetObjectItem(cJSON_GetObjectItem(props, "tags"), "items"), "maxLength")),
                  1024);
        ASSERT_EQ(
                cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "short"), "maxLength")),
                3);
        static const struct {
                const char *json, *path;
        } bad[] = {
                /* A CI variable's name is no option: it must not be filled with a literal. */
                { "{\"DB_PASSWORD\": \"x\"}", "/options" },
                /* Names are exact: MSG is not msg. */
                { "{\"MSG\": \"x\"}", "/options" },
                { "{\"short\": \"four\"}", "/options/short" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                cJSON *in = cJSON_Parse(bad[i].json), *out = NULL;
                err = (BerthError){ 0 };
                ASSERT_EQ(definition_options(d, in, &out, &err), -EINVAL);
                ASSERT_STREQ(err.path, bad[i].path);
                cJSON_Delete(in);
                cJSON_Delete(out);
        }
        /* 100 KB: refused at its place, never committed. */
        char *big = malloc(100 * 1024 + 1);
        memset(big, 'a', 100 * 1024);
        big[100 * 1024] = '\0';
        cJSON *in = cJSON_CreateObject(), *out = NULL;
        cJSON_AddStringToObject(in, "msg", big);
        err = (BerthError){ 0 };
        ASSERT_EQ(definition_options(d, in, &out, &err), -EINVAL);
        ASSERT_STREQ(err.path, "/options/msg");
        cJSON_Delete(in);
        free(big);
        /* Rendering looks names up exactly: an options object with "MSG" fills no "${msg}". */
        char *text = NULL;
        cJSON *opts = cJSON_Parse("{\"MSG\": \"upper\", \"tag\": \"1\", \"replicas\": 1}");
        ASSERT_OK(definition_render(d, opts, &text, &err));
        ASSERT_TRUE(text && !strstr(text, "upper"));
        free(text);
        cJSON_Delete(opts);
        definition_free(d);
}

TEST(rendering_keeps_placeholders_that_are_not_options)
{
        Definition *d = definition();
        char *text = NULL;
        Project *p = d ? render_and_load(d, "hello", &text) : NULL;
        ASSERT_TRUE(p);
        if (p) {
                cJSON *env = cJSON_GetObjectItem(app(p), "environment");
                ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(app(p), "image")), "busybox:latest");
                ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(env, "MSG")), "hello");
                ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(env, "DB_PASSWORD")), "from-ci");
                ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(env, "LITERAL")), "$HOME");
                ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(env, "FALLBACK")), "kept");
                ASSERT_EQ(cJSON_GetNumberValue(
                                  cJSON_GetObjectItem(cJSON_GetObjectItem(app(p), "deploy"), "replicas")),
                          2);
                /* Keys are never rendered. */
                ASSERT_TRUE(cJSON_GetObjectItem(cJSON_GetObjectItem(app(p), "labels"), "${msg}") != NULL);
                ASSERT_STREQ(cJSON_GetStringValue(
                                     cJSON_GetObjectItem(cJSON_GetObjectItem(app(p), "labels"), "<<")),
                             "not-a-merge");
        }
        ASSERT_TRUE(text && strstr(text, "replicas: 2") != NULL); /* a number, as the schema says */
        free(text);
        project_free(p);
        definition_free(d);
}

TEST(hostile_option_values_stay_one_string)
{
        static const char *const values[] = {
                "x\n    privileged: true",
                "x\"\n    privileged: true\n    y: \"",
                "x'\n    privileged: true",
                "${CI_JOB_TOKEN}",
                "$CI_JOB_TOKEN",
                "$${CI_JOB_TOKEN}",
                "$$",
                "${msg}",
                "&anchor value",
                "*alias",
                "!!binary aGVsbG8=",
                "!reset",
                "key: value",
                "- item",
                "# comment",
                "{privileged: true}",
                "[1, 2]",
                "yes",
                "010",
                "null",
                "",
                " leading and trailing ",
                "multi\nline\n",
                "tab\there",
                "\\x00 and \\\" escapes",
                "<<: *x",
                "--- !!map\nprivileged: true",
                "control \x1c\x07 characters",
                "unicode \xc3\xa9 \xf0\x9f\x9a\x80",
        };
        Definition *d = definition();
        for (size_t i = 0; d && i < sizeof(values) / sizeof(*values); i++) {
                Project *p = render_and_load(d, values[i], NULL);
                ASSERT_TRUE(p);
                if (!p)
                        continue;
                cJSON *cmd = cJSON_GetObjectItem(app(p), "command");
                cJSON *msg = cJSON_GetObjectItem(cJSON_GetObjectItem(app(p), "environment"), "MSG");
                /* The value comes out exactly as given: after the reconciler's interpolation, "$$" is "$"
                 * again, and no variable of the CI was read. */
                ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetArrayItem(cmd, 1)), values[i]);
                ASSERT_STREQ(cJSON_GetStringValue(msg), values[i]);
                ASSERT_EQ(cJSON_GetArraySize(cmd), 2);
                ASSERT_TRUE(!cJSON_HasObjectItem(app(p), "privileged"));
                project_free(p);
        }
        definition_free(d);
}

TEST(broken_definitions_are_refused_with_their_place)
{
        Definition *d = NULL;
        BerthError err = { 0 };
        const char *json = "{\"title\": \"x\", \"version\": \"1\", \"colour\": \"red\"}";
        ASSERT_EQ(definition_load("t", "services: {}\n", 13, json, strlen(json), &d, &err), -EINVAL);
        ASSERT_STREQ(err.file, "templates/t/definition.json");
        ASSERT_EQ(err.line, 1u);
        ASSERT_CONTAINS(err.msg, "unknown key");
        err = (BerthError){ 0 };
        json = "{\"version\": \"1\"}";
        ASSERT_EQ(definition_load("t", "services: {}\n", 13, json, strlen(json), &d, &err), -EINVAL);
        ASSERT_CONTAINS(err.msg, "is required");
        err = (BerthError){ 0 };
        json = "{\"title\": \"x\", \"version\": \"1\"}";
        ASSERT_EQ(definition_load("t", "services: [\n", 12, json, strlen(json), &d, &err), -EINVAL);
        ASSERT_STREQ(err.file, "templates/t/compose.yaml");
        ASSERT_TRUE(d == NULL);
}

/* A write-only option: never rendered, validated without being repeated, and usable only in a
 * service's environment. */
static const char *const WO_TEMPLATE = "services:\n"
                                       "  app:\n"
                                       "    image: busybox\n"
                                       "    environment:\n"
                                       "      PASSWORD: ${pw}\n";

static int wo_load(const char *tmpl, const char *props, Definition **d, BerthError *err)
{
        char json[1024];
        snprintf(json, sizeof(json),
                 "{\"title\": \"x\", \"version\": \"1\", \"options\": {\"type\": \"object\", "
                 "\"required\": [\"pw\"], \"properties\": {%s}}}",
                 props);
        return definition_load("t", tmpl, strlen(tmpl), json, strlen(json), d, err);
}

TEST(write_only_options_are_never_rendered_nor_shown)
{
        static const char *const tmpl = "services:\n"
                                        "  app:\n"
                                        "    image: busybox:${tag}\n"
                                        "    environment:\n"
                                        "      PASSWORD: ${pw}\n"
                                        "      DSN: postgres://${user}:${pw}@db/app\n"
                                        "  list:\n"
                                        "    image: busybox\n"
                                        "    environment: [\"PW=${pw:-none}\"]\n";
        Definition *d = NULL;
        BerthError err = { 0 };
        int r = wo_load(
                tmpl,
                "\"tag\": {\"type\": \"string\", \"default\": \"1\"}, \"user\": {\"type\": \"string\", "
                "\"default\": \"app\"}, \"pw\": {\"type\": \"string\", \"writeOnly\": true, "
                "\"pattern\": \"^[a-z-]{8,}$\"}",
                &d, &err);
        ASSERT_EQ(r, 0);
        if (r < 0)
                return;
        ASSERT_EQ(d->n_write_only, 1u);
        ASSERT_TRUE(definition_write_only(d, "pw") && definition_write_only(d, "pw")->required);
        ASSERT_TRUE(definition_write_only(d, "tag") == NULL);
        /* Required, yet absent is fine here: the stack may have it from before. */
        cJSON *opts = NULL;
        ASSERT_EQ(definition_options(d, NULL, &opts, &err), 0);
        cJSON_Delete(opts);
        opts = NULL;
        /* A value that fails its pattern is refused without being repeated. */
        cJSON *in = cJSON_Parse("{\"pw\": \"Hunter2-SECRET\"}");
        err = (BerthError){ 0 };
        ASSERT_EQ(definition_options(d, in, &opts, &err), -EINVAL);
        ASSERT_STREQ(err.path, "/options/pw");
        ASSERT_CONTAINS(err.msg, "does not match the pattern");
        ASSERT_TRUE(strstr(err.msg, "Hunter2") == NULL);
        cJSON_Delete(in);
        /* Given, it is still not rendered: every placeholder of it stays for the reconciler. */
        in = cJSON_Parse("{\"pw\": \"a-good-secret\"}");
        char *text = NULL;
        ASSERT_EQ(definition_options(d, in, &opts, &err), 0);
        ASSERT_EQ(definition_render(d, opts, &text, &err), 0);
        ASSERT_TRUE(text && !strstr(text, "a-good-secret"));
        ASSERT_CONTAINS(text, "PASSWORD: ${pw}");
        ASSERT_CONTAINS(text, "postgres://app:${pw}@db/app");
        ASSERT_CONTAINS(text, "PW=${pw:-none}");
        ASSERT_CONTAINS(text, "busybox:1");
        free(text);
        cJSON_Delete(in);
        cJSON_Delete(opts);
        definition_free(d);
}

TEST(write_only_options_are_refused_where_they_could_escape)
{
        Definition *d = NULL;
        BerthError err = { 0 };
        static const char *const pw = "\"pw\": {\"type\": \"string\", \"writeOnly\": true}";
        /* Outside an environment, the policy could not check what berth-api never sees. */
        static const char *const in_image = "services:\n  app:\n    image: busybox:${pw}\n";
        ASSERT_EQ(wo_load(in_image, pw, &d, &err), -EINVAL);
        ASSERT_STREQ(err.file, "templates/t/compose.yaml");
        ASSERT_EQ(err.line, 3u);
        ASSERT_EQ(err.col, 12u);
        ASSERT_CONTAINS(err.msg, "may be used only in a service's environment");
        static const char *const in_labels =
                "services:\n  app:\n    image: busybox\n    labels:\n      x: \"a$${pw} ${pw}\"\n";
        err = (BerthError){ 0 };
        ASSERT_EQ(wo_load(in_labels, pw, &d, &err), -EINVAL);
        ASSERT_EQ(err.line, 5u);
        /* An escaped "$$pw" alone is no placeholder. */
        static const char *const escaped = "services:\n  app:\n    image: busybox\n    command: echo $$pw\n";
        err = (BerthError){ 0 };
        ASSERT_EQ(wo_load(escaped, pw, &d, &err), 0);
        d = definition_free(d);
        /* A default would be a password in git; a number is no password field. */
        err = (BerthError){ 0 };
        ASSERT_EQ(wo_load(WO_TEMPLATE,
                          "\"pw\": {\"type\": \"string\", \"writeOnly\": true, \"default\": \"changeme\"}",
                          &d, &err),
                  -EINVAL);
        ASSERT_STREQ(err.file, "templates/t/definition.json");
        ASSERT_CONTAINS(err.msg, "no default");
        ASSERT_TRUE(strstr(err.msg, "changeme") == NULL);
        err = (BerthError){ 0 };
        ASSERT_EQ(wo_load(WO_TEMPLATE, "\"pw\": {\"type\": \"integer\", \"writeOnly\": true}", &d, &err),
                  -EINVAL);
        ASSERT_CONTAINS(err.msg, "\"type\": \"string\"");
        ASSERT_TRUE(d == NULL);
}

TAP_MAIN()
