/* test-threads.c: what berth-api's request threads share, used from several threads at once: the compose
 * schema (built once, on first use, by whichever thread comes first) and a definition's schema with
 * patterns. Under ThreadSanitizer (tests/run.sh builds it so) a write to shared state is a failure even
 * when the results come out right; elsewhere the results are checked. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compose/project.h"
#include "schema/schema.h"
#include "source/source.h"
#include "tap.h"

#define THREADS 8
#define ROUNDS  20

static pthread_barrier_t start;

typedef struct Job {
        unsigned id;
        unsigned loaded, refused;
        Schema *shared;
        unsigned valid, invalid;
} Job;

/* A stack using keys whose schema has patterns (x- extensions, ports, labels), loaded as berth-api does:
 * from memory, with the same loader the reconciler uses. */
static int load_one(unsigned id, unsigned round, bool bad)
{
        char root[64], text[512], file[128];
        snprintf(root, sizeof(root), "/threads-%u-%u", id, round);
        snprintf(file, sizeof(file), "%s/compose.yaml", root);
        snprintf(text, sizeof(text),
                 "x-common: &c {image: busybox}\nservices:\n  s%u:\n    <<: *c\n    ports: [\"%u:80\"]\n"
                 "    labels: {a.b: \"%u\"}\n    %s: 1\n",
                 id, 8000 + round, round, bad ? "not_a_key" : "x-ok");
        Source *src = NULL;
        Project *p = NULL;
        BerthError err = { 0 };
        EnvMap env;
        envmap_init(&env);
        char *files[] = { file, NULL };
        ComposeOptions o = { .files = files,
                             .n_files = 1,
                             .project_name = "t",
                             .project_directory = root,
                             .cwd = root,
                             .os_env = &env };
        int r = source_memory_new(root, "memory", &src);
        if (r >= 0)
                r = source_memory_add(src, "compose.yaml", text, strlen(text));
        o.source = src;
        if (r >= 0)
                r = project_load(&o, &p, &err);
        project_free(p);
        source_unref(src);
        envmap_done(&env);
        return r;
}

static void *run(void *ud)
{
        Job *j = ud;
        pthread_barrier_wait(&start);
        for (unsigned i = 0; i < ROUNDS; i++) {
                bool bad = i % 3 == 0;
                int r = load_one(j->id, i, bad);
                if (bad ? r < 0 : r >= 0)
                        bad ? j->refused++ : j->loaded++;
                cJSON *ok = cJSON_Parse("{\"name\": \"abc-1\", \"tag\": \"v1.2\"}");
                cJSON *no = cJSON_Parse("{\"name\": \"ABC!\", \"tag\": \"v1.2\"}");
                BerthError e1 = { 0 }, e2 = { 0 };
                if (schema_validate(j->shared, ok, NULL, &e1) == 0)
                        j->valid++;
                if (schema_validate(j->shared, no, NULL, &e2) < 0)
                        j->invalid++;
                cJSON_Delete(ok);
                cJSON_Delete(no);
        }
        return NULL;
}

TEST(schemas_are_shared_by_threads)
{
        Schema *s = NULL;
        const char *text = "{\"type\": \"object\", \"properties\": {"
                           "\"name\": {\"type\": \"string\", \"pattern\": \"^[a-z0-9-]+$\"},"
                           "\"tag\": {\"type\": \"string\", \"pattern\": \"^v\\\\d+\\\\.\\\\d+$\"}},"
                           "\"patternProperties\": {\"^x-\": {}}}";
        ASSERT_OK(schema_new(text, strlen(text), &s, NULL));
        pthread_t t[THREADS];
        Job jobs[THREADS];
        pthread_barrier_init(&start, NULL, THREADS);
        for (unsigned i = 0; i < THREADS; i++) {
                jobs[i] = (Job){ .id = i, .shared = s };
                ASSERT_OK(pthread_create(&t[i], NULL, run, &jobs[i]));
        }
        unsigned loaded = 0, refused = 0, valid = 0, invalid = 0;
        for (unsigned i = 0; i < THREADS; i++) {
                pthread_join(t[i], NULL);
                loaded += jobs[i].loaded;
                refused += jobs[i].refused;
                valid += jobs[i].valid;
                invalid += jobs[i].invalid;
        }
        pthread_barrier_destroy(&start);
        /* 20 rounds: 7 with an unknown key (refused by the compose schema), 13 loaded. */
        ASSERT_EQ(loaded, THREADS * 13u);
        ASSERT_EQ(refused, THREADS * 7u);
        ASSERT_EQ(valid, THREADS * ROUNDS);
        ASSERT_EQ(invalid, THREADS * ROUNDS);
        schema_free(s);
}

TAP_MAIN()
