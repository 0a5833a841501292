/* load.h: a compose project loaded from a YAML string, as stack "st", for the unit tests that plan or
 * map a model with no engine. The file is written to a scratch directory, which is removed again. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "compose/project.h"

static inline Project *load(const char *yaml)
{
        char dir[] = "/tmp/berth-test-load-XXXXXX", path[64], cmd[128];
        Project *p = NULL;
        EnvMap env;
        BerthError err = { 0 };
        if (!mkdtemp(dir))
                return NULL;
        snprintf(path, sizeof(path), "%s/compose.yaml", dir);
        FILE *f = fopen(path, "we");
        fputs(yaml, f);
        fclose(f);
        envmap_init(&env);
        ComposeOptions o = { .os_env = &env, .cwd = dir, .project_name = "st" };
        if (project_load(&o, &p, &err) < 0)
                printf("# %s\n", err.msg);
        envmap_done(&env);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                printf("# cannot clean %s\n", dir);
        return p;
}
