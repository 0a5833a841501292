/* error.h: BerthError, the context an error carries up to the one place that reports it.
 *
 * A failing function returns a negative errno and, when given a BerthError, fills it once: the first
 * error set wins, so callers may add nothing that hides the root cause. Rendered, an error is one line:
 * "FILE:LINE:COL: PATH: MESSAGE", parts omitted where unknown, then an optional hint line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

typedef struct BerthError {
        bool set;
        char file[512];
        unsigned line;
        unsigned col;
        char path[512];
        char msg[1024];
        char hint[512];
} BerthError;

/* Sets err (if not NULL and not yet set) and returns r, which must be negative. */
int error_set(BerthError *err, int r, const char *file, unsigned line, unsigned col, const char *path,
              const char *fmt, ...) _printf_(7, 8);
/* Adds a hint to an already set error; a no-op on NULL. */
void error_hint(BerthError *err, const char *fmt, ...) _printf_(2, 3);
/* Writes paths under root as relative ones in the error's file, message and hint: a stack's files are
 * named as the repo knows them, not as where they are (or will be) written. */
void error_unroot(BerthError *err, const char *root);
/* Renders "FILE:LINE:COL: PATH: MESSAGE" into buf. */
const char *error_format(const BerthError *err, char *buf, size_t size);
