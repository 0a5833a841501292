/* fuzz-yaml.c: libFuzzer target for the YAML loader (with tight limits, so bombs are cheap), with a
 * property: what loads, written out by the emitter (`berth config`'s), loads back to a tree that is
 * written out the same (compared as text: cJSON finds .inf unequal to itself). A difference aborts, so
 * the fuzzer reports it as it does a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml/emit.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        YamlLimits lim = { .max_depth = 32, .max_nodes = 20000, .max_alias_nodes = 5000 };
        SrcMap *m = srcmap_new(), *m2 = srcmap_new();
        BerthError err = { 0 };
        cJSON *doc = NULL, *again = NULL;
        StrBuf out = STRBUF_INIT, out2 = STRBUF_INIT;
        if (m && m2 && yaml_load((const char *)data, size, "fuzz.yaml", &lim, m, &doc, &err) == 0 && doc &&
            emit_yaml(doc, 0, &out) >= 0 && strbuf_error(&out) == 0) {
                err = (BerthError){ 0 };
                YamlLimits wide = { .max_depth = 64, .max_nodes = 1000000, .max_alias_nodes = 100000 };
                if (yaml_load(out.buf ? out.buf : "", out.len, "again.yaml", &wide, m2, &again, &err) < 0 ||
                    emit_yaml(again, 0, &out2) < 0 || strcmp(strbuf_str(&out), strbuf_str(&out2)) != 0) {
                        fprintf(stderr, "emitted YAML does not load back the same: %s\n--- emitted:\n%s\n",
                                err.set ? err.msg : "a different tree", strbuf_str(&out));
                        abort();
                }
        }
        cJSON_Delete(doc);
        cJSON_Delete(again);
        strbuf_done(&out);
        strbuf_done(&out2);
        srcmap_free(m);
        srcmap_free(m2);
        return 0;
}
