/* fuzz-release.c: libFuzzer target for release tags: the input before a NUL is a git tag name, matched
 * against the default patterns; after it, a berth.yaml tag_pattern it is matched against too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *tag = strndup((const char *)data, size);
        if (!tag)
                return 0;
        size_t tl = strlen(tag);
        char *pattern = tl < size ? strndup((const char *)data + tl + 1, size - tl - 1) : NULL;
        ReleaseTag t;
        char tags[3][160];
        if (release_match(release_default_patterns, tag, &t)) {
                release_image_tags(&t.v, tags);
                Version v;
                if (version_parse("1.0.0-rc.1", &v))
                        version_cmp(&t.v, &v);
        }
        const char *custom[] = { pattern, NULL };
        if (pattern && release_match(custom, tag, &t))
                release_image_tags(&t.v, tags);
        Version v;
        if (version_parse(tag, &v))
                version_cmp(&v, &v);
        free(pattern);
        free(tag);
        return 0;
}
