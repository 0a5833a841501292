/* strbuf.h: a growable string buffer with a hard maximum size.
 *
 * Invariants: once anything was added, buf is NUL-terminated and len < alloc. A buffer never grows
 * past max bytes (content, without the NUL); an add that would is refused with -E2BIG and leaves the
 * buffer as it was. The buffer owns buf until strbuf_detach() hands it over.
 *
 * Failures are sticky, as curl's dynbuf: the first failed add (-ENOMEM, -E2BIG) is recorded, every
 * later add is refused with it, and strbuf_detach() returns NULL. So a string built by many adds is
 * checked once, by strbuf_error() or the detach, before it is used; never half-built. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "cleanup.h"

#define STRBUF_MAX_DEFAULT ((size_t)64 * 1024 * 1024)

typedef struct StrBuf {
        char *buf;
        size_t len;
        size_t alloc;
        size_t max;
        int error; /* the first failure, sticky; 0: none */
} StrBuf;

#define STRBUF_INIT                                                                                         \
        {                                                                                                   \
                .buf = NULL, .len = 0, .alloc = 0, .max = STRBUF_MAX_DEFAULT, .error = 0                    \
        }

void strbuf_init(StrBuf *sb, size_t max);
void strbuf_done(StrBuf *sb);
int strbuf_grow(StrBuf *sb, size_t extra);
int strbuf_add(StrBuf *sb, const void *data, size_t len);
int strbuf_addstr(StrBuf *sb, const char *s);
int strbuf_addch(StrBuf *sb, char c);
int strbuf_addf(StrBuf *sb, const char *fmt, ...) _printf_(2, 3);
int strbuf_vaddf(StrBuf *sb, const char *fmt, va_list ap) _printf_(2, 0);
/* Empties the buffer and forgets a failure. */
void strbuf_reset(StrBuf *sb);
/* Always a valid C string, "" while empty; owned by the buffer. What was added up to a failure. */
const char *strbuf_str(const StrBuf *sb);
/* The first add that failed (a negative errno), or 0: check before using what was built. */
__attribute__((warn_unused_result)) int strbuf_error(const StrBuf *sb);
/* Hands the string to the caller ("" for an empty buffer) and empties the buffer; NULL when an add
 * failed (the buffer is then freed) or on OOM. */
__attribute__((warn_unused_result)) char *strbuf_detach(StrBuf *sb);

static inline void strbuf_donep(StrBuf *sb)
{
        strbuf_done(sb);
}
#define _cleanup_strbuf_ _cleanup_(strbuf_donep)
