/* fuzz-interp.c: libFuzzer target for interpolation. The first line is KEY=VALUE pairs, the rest the
 * template. */
#include <stdint.h>
#include <string.h>

#include "compose/interp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data;
        const char *nl = memchr(s, '\n', size);
        size_t head = nl ? (size_t)(nl - s) : 0;
        EnvMap env;
        envmap_init(&env);
        for (size_t i = 0; i < head;) {
                const char *sp = memchr(s + i, ' ', head - i);
                size_t end = sp ? (size_t)(sp - s) : head;
                const char *eq = memchr(s + i, '=', end - i);
                if (eq)
                        envmap_setn(&env, s + i, (size_t)(eq - (s + i)), eq + 1, (size_t)(s + end - eq - 1));
                i = end + 1;
        }
        EnvLookup lk = { .maps = { &env }, .n = 1 };
        Interp ip = { .env = &lk };
        StrBuf out = STRBUF_INIT;
        BerthError err = { 0 };
        size_t off = nl ? head + 1 : 0;
        interp_expand(&ip, s + off, size - off, &out, &err);
        strbuf_done(&out);
        envmap_done(&env);
        return 0;
}
