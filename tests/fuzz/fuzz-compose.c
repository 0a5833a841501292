/* fuzz-compose.c: libFuzzer target for a whole compose project load from one file, read through a
 * memory source (no disk in the loop), with its hashes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compose/project.h"
#include "source/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Source *src = NULL;
        if (source_memory_new("/fuzz", "fuzz", &src) < 0)
                return 0;
        source_memory_add(src, "compose.yaml", data, size);
        source_memory_add(src, "web.env", "A=1\n", 4);
        source_memory_add(src, "site.conf", "x\n", 2);
        EnvMap env;
        envmap_init(&env);
        envmap_set(&env, "TAG", "1");
        char *files[] = { "/fuzz/compose.yaml", NULL };
        ComposeOptions o = { .files = files,
                             .n_files = 1,
                             .os_env = &env,
                             .cwd = "/fuzz",
                             .project_directory = "/fuzz",
                             .project_name = "fuzz",
                             .source = src };
        Project *p = NULL;
        BerthError err = { 0 };
        if (project_load(&o, &p, &err) == 0) {
                char hex[65];
                cJSON *s = cJSON_GetObjectItem(p->model, "services");
                for (cJSON *c = s ? s->child : NULL; c; c = c->next)
                        project_service_hash(p, c->string, NULL, hex);
        }
        project_free(p);
        envmap_done(&env);
        source_unref(src);
        return 0;
}
