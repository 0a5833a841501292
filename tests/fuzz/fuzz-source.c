/* fuzz-source.c: libFuzzer target for paths and names through the project source: the first line is a
 * path asked of a memory source directly (and checked as a tree name), the rest a compose file loaded
 * through that source, so env_file, extends and config paths from the input meet the confinement. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/project.h"
#include "source/source.h"

#define ROOT "/state/key/stack"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *nl = memchr(data, '\n', size);
        size_t plen = nl ? (size_t)(nl - (const char *)data) : size;
        char *path = strndup((const char *)data, plen);
        Source *src = NULL;
        if (!path || source_memory_new(ROOT, "fuzz", &src) < 0) {
                free(path);
                return 0;
        }
        static const char *const files[][2] = {
                { "stacks/web/.env", "TAG=1\nNAME=web\n" },
                { "stacks/web/web.env", "A=1\nexport B=\"two\"\n" },
                { "stacks/web/base.yaml", "services:\n  base:\n    image: busybox\n" },
                { "shared/common.env", "REGION=eu\n" },
                { "stacks/web/site.conf", "listen 80\n" },
        };
        for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
                source_memory_add(src, files[i][0], files[i][1], strlen(files[i][1]));
        const char *rest = nl ? nl + 1 : "";
        size_t rlen = nl ? size - plen - 1 : 0;
        source_memory_add(src, "stacks/web/compose.yaml", rest, rlen);

        /* The path on its own: confinement, kind, read, and the tree-name rule. */
        char *rel = NULL, *buf = NULL;
        BerthError err = { 0 };
        if (source_relative(src, path, &rel) == 0 && (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0))
                abort(); /* a path the source takes as inside never climbs out of it */
        free(rel);
        source_kind(src, path);
        if (source_read(src, path, 1 << 20, &buf, NULL, &err) == 0)
                free(buf);
        source_name_valid(path, plen);

        EnvMap env;
        envmap_init(&env);
        char *cfiles[] = { ROOT "/stacks/web/compose.yaml", NULL };
        ComposeOptions o = { .files = cfiles,
                             .n_files = 1,
                             .os_env = &env,
                             .cwd = ROOT "/stacks/web",
                             .project_directory = ROOT "/stacks/web",
                             .project_name = "web",
                             .source = src };
        Project *p = NULL;
        BerthError perr = { 0 };
        if (project_load(&o, &p, &perr) == 0) {
                char hex[65];
                cJSON *s = cJSON_GetObjectItem(p->model, "services");
                for (cJSON *c = s ? s->child : NULL; c; c = c->next)
                        project_service_hash(p, c->string, NULL, hex);
        }
        project_free(p);
        envmap_done(&env);
        source_unref(src);
        free(path);
        return 0;
}
