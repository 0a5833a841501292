/* fuzz-yaml.c: libFuzzer target for the YAML loader (with tight limits, so bombs are cheap). */
#include <stddef.h>
#include <stdint.h>

#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        YamlLimits lim = { .max_depth = 32, .max_nodes = 20000, .max_alias_nodes = 5000 };
        SrcMap *m = srcmap_new();
        BerthError err = { 0 };
        cJSON *doc = NULL;
        if (m && yaml_load((const char *)data, size, "fuzz.yaml", &lim, m, &doc, &err) == 0)
                cJSON_Delete(doc);
        srcmap_free(m);
        return 0;
}
