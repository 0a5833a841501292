/* strbuf.c: growable, size-capped, always NUL-terminated string buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void strbuf_init(StrBuf *sb, size_t max)
{
        *sb = (StrBuf){ .max = max };
}

void strbuf_done(StrBuf *sb)
{
        free(sb->buf);
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
        sb->error = 0;
}

void strbuf_reset(StrBuf *sb)
{
        sb->len = 0;
        sb->error = 0;
        if (sb->buf)
                sb->buf[0] = '\0';
}

/* Records the buffer's first failure. */
static int fail(StrBuf *sb, int r)
{
        if (!sb->error)
                sb->error = r;
        return r;
}

int strbuf_grow(StrBuf *sb, size_t extra)
{
        size_t need, n;

        if (sb->error)
                return sb->error;
        if (!size_add(sb->len, extra, &need) || need > sb->max)
                return fail(sb, -E2BIG);
        if (need < sb->alloc)
                return 0;
        n = sb->alloc ? sb->alloc : 64;
        while (n <= need) {
                if (!size_mul(n, 2, &n))
                        return fail(sb, -E2BIG);
        }
        if (n > sb->max + 1)
                n = sb->max + 1;
        char *p = realloc(sb->buf, n);
        if (!p)
                return fail(sb, -ENOMEM);
        sb->buf = p;
        sb->alloc = n;
        return 0;
}

int strbuf_add(StrBuf *sb, const void *data, size_t len)
{
        int r = strbuf_grow(sb, len);
        if (r < 0)
                return r;
        if (len)
                memcpy(sb->buf + sb->len, data, len);
        sb->len += len;
        sb->buf[sb->len] = '\0';
        return 0;
}

int strbuf_addstr(StrBuf *sb, const char *s)
{
        return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(StrBuf *sb, char c)
{
        return strbuf_add(sb, &c, 1);
}

int strbuf_vaddf(StrBuf *sb, const char *fmt, va_list ap)
{
        va_list aq;
        int n, r;

        va_copy(aq, ap);
        n = vsnprintf(NULL, 0, fmt, aq);
        va_end(aq);
        if (n < 0)
                return fail(sb, -EINVAL);
        r = strbuf_grow(sb, (size_t)n);
        if (r < 0)
                return r;
        vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
        sb->len += (size_t)n;
        return 0;
}

int strbuf_addf(StrBuf *sb, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strbuf_vaddf(sb, fmt, ap);
        va_end(ap);
        return r;
}

const char *strbuf_str(const StrBuf *sb)
{
        return sb->buf ? sb->buf : "";
}

int strbuf_error(const StrBuf *sb)
{
        return sb->error;
}

char *strbuf_detach(StrBuf *sb)
{
        if (sb->error) {
                strbuf_done(sb);
                return NULL;
        }
        char *s = sb->buf ? sb->buf : strdup("");
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
        return s;
}
