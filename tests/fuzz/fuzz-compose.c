/* fuzz-compose.c: libFuzzer target for a whole compose project load from one file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "compose/project.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char dir[64];
        if (!dir[0]) {
                snprintf(dir, sizeof(dir), "/tmp/berth-fuzz-XXXXXX");
                if (!mkdtemp(dir))
                        return 0;
        }
        char path[128];
        snprintf(path, sizeof(path), "%s/compose.yaml", dir);
        FILE *f = fopen(path, "we");
        if (!f)
                return 0;
        fwrite(data, 1, size, f);
        fclose(f);
        EnvMap env;
        envmap_init(&env);
        envmap_set(&env, "TAG", "1");
        char *files[] = { path, NULL };
        ComposeOptions o = {
                .files = files, .n_files = 1, .os_env = &env, .cwd = dir, .project_name = "fuzz"
        };
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
        return 0;
}
