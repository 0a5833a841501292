/* strbuf.h: a growable string buffer with a hard maximum size.
 *
 * Invariants: once anything was added, buf is NUL-terminated and len < alloc. A buffer never grows
 * past max bytes (content, without the NUL); an add that would is refused with -E2BIG and leaves the
 * buffer as it was. The buffer owns buf until strbuf_detach() hands it over. */
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
} StrBuf;

#define STRBUF_INIT                                                                                         \
        {                                                                                                   \
                .buf = NULL, .len = 0, .alloc = 0, .max = STRBUF_MAX_DEFAULT                                \
        }

void strbuf_init(StrBuf *sb, size_t max);
void strbuf_done(StrBuf *sb);
int strbuf_grow(StrBuf *sb, size_t extra);
int strbuf_add(StrBuf *sb, const void *data, size_t len);
int strbuf_addstr(StrBuf *sb, const char *s);
int strbuf_addch(StrBuf *sb, char c);
int strbuf_addf(StrBuf *sb, const char *fmt, ...) _printf_(2, 3);
int strbuf_vaddf(StrBuf *sb, const char *fmt, va_list ap) _printf_(2, 0);
void strbuf_reset(StrBuf *sb);
/* Always a valid C string, "" while empty; owned by the buffer. */
const char *strbuf_str(const StrBuf *sb);
/* Hands the string to the caller (never NULL on success, "" for an empty buffer); returns NULL on OOM. */
char *strbuf_detach(StrBuf *sb);

static inline void strbuf_donep(StrBuf *sb)
{
        strbuf_done(sb);
}
#define _cleanup_strbuf_ _cleanup_(strbuf_donep)
