/* test-schema.c: the JSON Schema validator against the official JSON-Schema-Test-Suite (draft7, required
 * tests) and against the vendored compose schema. */
#include <cjson/cJSON.h>
#include <dirent.h>

#include "schema/schema.h"
#include "tap.h"

/* Keywords compose-spec.json uses: every test for them must pass. */
static const char *const compose_keywords[] = {
        "type",
        "ref",
        "patternProperties",
        "additionalProperties",
        "properties",
        "items",
        "oneOf",
        "uniqueItems",
        "required",
        "enum",
        "minimum",
        "maximum",
        "pattern",
        "definitions",
        "default",
};

static bool is_compose_keyword(const char *file)
{
        for (size_t i = 0; i < sizeof(compose_keywords) / sizeof(*compose_keywords); i++) {
                char name[128];
                snprintf(name, sizeof(name), "%s.json", compose_keywords[i]);
                if (strcmp(file, name) == 0)
                        return true;
        }
        return false;
}

static void add_remotes(Schema *s)
{
        static const char *const remotes[][2] = {
                { "http://localhost:1234/integer.json", JSTS_DIR "/remotes/integer.json" },
                { "http://localhost:1234/subSchemas.json", JSTS_DIR "/remotes/subSchemas.json" },
                { "http://localhost:1234/name.json", JSTS_DIR "/remotes/name.json" },
                { "http://localhost:1234/folder/folderInteger.json",
                  JSTS_DIR "/remotes/folder/folderInteger.json" },
                /* The draft-07 metaschema, as Debian's python3-jsonschema ships it (tests/meson.build). */
                { "http://json-schema.org/draft-07/schema", DRAFT7_METASCHEMA },
        };
        for (size_t i = 0; i < sizeof(remotes) / sizeof(*remotes); i++) {
                char *t = tap_slurp(remotes[i][1]);
                schema_add_resource(s, remotes[i][0], cJSON_Parse(t));
                free(t);
        }
}

static void run_file(const char *file, unsigned *ret_pass, unsigned *ret_total)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/tests/draft7/%s", JSTS_DIR, file);
        char *text = tap_slurp(path);
        cJSON *groups = cJSON_Parse(text);
        cJSON *g;
        cJSON_ArrayForEach(g, groups)
        {
                Schema *s = NULL;
                if (schema_new_from_tree(cJSON_Duplicate(cJSON_GetObjectItem(g, "schema"), 1), &s) < 0)
                        continue;
                add_remotes(s);
                cJSON *t;
                cJSON_ArrayForEach(t, cJSON_GetObjectItem(g, "tests"))
                {
                        BerthError err = { 0 };
                        bool valid = schema_validate(s, cJSON_GetObjectItem(t, "data"), NULL, &err) == 0;
                        bool want = cJSON_IsTrue(cJSON_GetObjectItem(t, "valid"));
                        (*ret_total)++;
                        if (valid == want)
                                (*ret_pass)++;
                        else
                                printf("#   %s: %s / %s: got %s (%s)\n", file,
                                       cJSON_GetObjectItem(g, "description")->valuestring,
                                       cJSON_GetObjectItem(t, "description")->valuestring,
                                       valid ? "valid" : "invalid", err.msg);
                }
                schema_free(s);
        }
        cJSON_Delete(groups);
        free(text);
}

TEST(json_schema_test_suite_draft7)
{
        DIR *d = opendir(JSTS_DIR "/tests/draft7");
        unsigned all_pass = 0, all_total = 0, kw_pass = 0, kw_total = 0;
        struct dirent *de;

        ASSERT_TRUE(d);
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (!strstr(de->d_name, ".json"))
                        continue;
                unsigned pass = 0, total = 0;
                run_file(de->d_name, &pass, &total);
                printf("# %-26s %3u/%3u%s\n", de->d_name, pass, total,
                       is_compose_keyword(de->d_name) ? "  (compose keyword)" : "");
                all_pass += pass;
                all_total += total;
                if (is_compose_keyword(de->d_name)) {
                        kw_pass += pass;
                        kw_total += total;
                }
        }
        closedir(d);
        printf("# JSON-Schema-Test-Suite draft7 required: %u/%u passed; keywords compose uses: %u/%u\n",
               all_pass, all_total, kw_pass, kw_total);
        ASSERT_TRUE(kw_total > 100);
        ASSERT_EQ(kw_pass, kw_total);
        ASSERT_EQ(all_pass, all_total);
}

TEST(compose_schema_loads_and_checks)
{
        char *text = tap_slurp(SOURCE_DIR "/schemas/compose-spec.json");
        Schema *s = NULL;
        BerthError err = { 0 };
        ASSERT_OK(schema_new(text, strlen(text), &s, &err));
        cJSON *good = cJSON_Parse("{\"services\":{\"web\":{\"image\":\"nginx\",\"ports\":[\"80:80\"]}}}");
        ASSERT_OK(schema_validate(s, good, NULL, &err));
        cJSON *bad = cJSON_Parse("{\"services\":{\"web\":{\"image\":\"nginx\",\"portz\":[\"80:80\"]}}}");
        ASSERT_TRUE(schema_validate(s, bad, NULL, &err) < 0);
        ASSERT_STREQ(err.path, "services.web");
        ASSERT_STREQ(err.msg, "additional property \"portz\" is not allowed");
        BerthError err2 = { 0 };
        cJSON *bad2 = cJSON_Parse("{\"services\":{\"web\":{\"image\":\"nginx\",\"restart\":5}}}");
        ASSERT_TRUE(schema_validate(s, bad2, NULL, &err2) < 0);
        ASSERT_STREQ(err2.path, "services.web.restart");
        ASSERT_STREQ(err2.msg, "must be a string, not a number");
        cJSON_Delete(good);
        cJSON_Delete(bad);
        cJSON_Delete(bad2);
        schema_free(s);
        free(text);
}

TAP_MAIN()
