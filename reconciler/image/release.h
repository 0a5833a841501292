/* release.h: a release's git tag read as a version, and the image tags it gives.
 *
 * A tag pattern holds "{version}", and may hold "{image}" for a release of one image: the defaults are
 * "image_v{version}", "v{version}" and "{image}/v{version}", so that `image_v1.2.3` and `v1.2.3`
 * release every image and `web/v1.2.3` releases only web. A version is semver: MAJOR.MINOR.PATCH, with
 * an optional -pre-release and +build. It gives the image tags "1.2.3", "1.2" and "1"; a pre-release
 * only its full version ("1.3.0-rc.1"; a '+' becomes '_', which a tag can hold). Pure: no git, no
 * engine. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct Version {
        unsigned long major, minor, patch;
        char pre[128];   /* "rc.1"; "" for a release */
        char build[128]; /* "+" metadata: ignored when versions are compared */
} Version;

typedef struct ReleaseTag {
        Version v;
        char image[128]; /* the one image released; "" for all */
} ReleaseTag;

extern const char *const release_default_patterns[];

/* Parses a semver version. */
bool version_parse(const char *s, Version *ret);
/* Semver precedence: < 0, 0, > 0 (a pre-release sorts before its release; build is ignored). */
int version_cmp(const Version *a, const Version *b);
/* Matches git_tag against the patterns (NULL-terminated); true and *ret filled on the first match. */
bool release_match(const char *const *patterns, const char *git_tag, ReleaseTag *ret);
/* The image tags of a version, written into ret (up to 3, each < 160 bytes); returns how many. */
size_t release_image_tags(const Version *v, char ret[3][160]);
