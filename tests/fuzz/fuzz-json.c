/* fuzz-json.c: libFuzzer target for JSON documents through the compose schema validator. */
#include <stdint.h>

#include "schema/schema.h"

extern const unsigned char compose_schema_json[];
extern const size_t compose_schema_json_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static Schema *schema;
        if (!schema &&
            schema_new((const char *)compose_schema_json, compose_schema_json_len, &schema, NULL) < 0)
                return 0;
        cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
        if (!doc)
                return 0;
        BerthError err = { 0 };
        schema_validate(schema, doc, NULL, &err);
        cJSON_Delete(doc);
        return 0;
}
