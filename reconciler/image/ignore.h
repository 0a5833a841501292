/* ignore.h: .dockerignore, as the docker CLI reads it.
 *
 * One pattern a line; blank lines and lines starting with '#' are skipped; '!' makes an exception. A
 * pattern is cleaned like a path (a leading '/' dropped, "a/./b" is "a/b"), then matched against the
 * whole path relative to the context and against each of its parent directories: "*" and "?" stay
 * within one path element, "**" crosses any number of them, "[...]" is a class and '\\' escapes. The
 * last pattern that matches decides. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct IgnoreRule {
        char *pattern;
        bool exception;
} IgnoreRule;

typedef struct Ignore {
        IgnoreRule *rules;
        size_t n;
} Ignore;

int ignore_parse(const char *buf, size_t len, Ignore *ret);
void ignore_done(Ignore *ig);
/* True when path (relative, '/'-separated) is left out of the context. */
bool ignore_excludes(const Ignore *ig, const char *path);
/* One pattern against one path, as a rule matches (exposed for the tests). */
bool ignore_glob(const char *pattern, const char *path);
