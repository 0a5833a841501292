/* error.c: filling and rendering BerthError. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"

int error_set(BerthError *err, int r, const char *file, unsigned line, unsigned col, const char *path,
              const char *fmt, ...)
{
        va_list ap;

        if (!err || err->set)
                return r;
        *err = (BerthError){ .set = true, .line = line, .col = col };
        snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
        snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return r;
}

void error_hint(BerthError *err, const char *fmt, ...)
{
        va_list ap;

        if (!err || !err->set)
                return;
        va_start(ap, fmt);
        vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
        va_end(ap);
}

const char *error_format(const BerthError *err, char *buf, size_t size)
{
        _cleanup_strbuf_ StrBuf sb = STRBUF_INIT;

        if (size == 0)
                return buf;
        if (err->file[0]) {
                strbuf_addstr(&sb, err->file);
                if (err->line)
                        strbuf_addf(&sb, ":%u:%u", err->line, err->col);
                strbuf_addstr(&sb, ": ");
        }
        if (err->path[0])
                strbuf_addf(&sb, "%s: ", err->path);
        strbuf_addstr(&sb, err->msg);
        size_t n = sb.len < size - 1 ? sb.len : size - 1;
        memcpy(buf, strbuf_str(&sb), n);
        buf[n] = '\0';
        return buf;
}

static void unroot(char *s, const char *root)
{
        size_t rl = strlen(root);
        for (char *p = s; rl && (p = strstr(p, root));) {
                if (p[rl] == '/')
                        memmove(p, p + rl + 1, strlen(p + rl + 1) + 1);
                else
                        p += rl;
        }
}

void error_unroot(BerthError *err, const char *root)
{
        if (!err || !root)
                return;
        unroot(err->file, root);
        unroot(err->msg, root);
        unroot(err->hint, root);
}
