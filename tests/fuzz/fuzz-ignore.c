/* fuzz-ignore.c: libFuzzer target for .dockerignore: the input's first half is the file, its lines
 * after a NUL are the paths matched against it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/ignore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data;
        const char *nul = memchr(s, '\0', size);
        size_t flen = nul ? (size_t)(nul - s) : size;
        Ignore ig = { 0 };
        if (ignore_parse(s, flen, &ig) < 0)
                return 0;
        static const char *const fixed[] = { "a", "a/b", "Dockerfile", "docs/x/readme.md", "" };
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                ignore_excludes(&ig, fixed[i]);
        if (nul) {
                char *paths = strndup(nul + 1, size - flen - 1);
                for (char *save = NULL, *p = paths ? strtok_r(paths, "\n", &save) : NULL; p;
                     p = strtok_r(NULL, "\n", &save))
                        ignore_excludes(&ig, p);
                free(paths);
        }
        ignore_done(&ig);
        return 0;
}
