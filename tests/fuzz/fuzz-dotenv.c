/* fuzz-dotenv.c: libFuzzer target for the .env parser. */
#include <stdint.h>

#include "compose/dotenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        EnvMap os, out;
        envmap_init(&os);
        envmap_init(&out);
        envmap_set(&os, "HOME", "/root");
        EnvLookup lk = { .maps = { &os }, .n = 1 };
        BerthError err = { 0 };
        dotenv_parse((const char *)data, size, ".env", &lk, &out, &err);
        envmap_done(&os);
        envmap_done(&out);
        return 0;
}
