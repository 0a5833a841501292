/* dotenv.c: compose-compatible .env parsing. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "../util/strbuf.h"
#include "dotenv.h"
#include "interp.h"

typedef struct Parser {
        const char *buf;
        size_t len;
        const char *file;
        const EnvLookup *lookup;
        EnvMap *out;
        BerthError *err;
} Parser;

/* Blanks within a line; compose's isSpace, which leaves out the newline. */
static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_space(char c)
{
        return is_blank(c) || c == '\n';
}

static unsigned line_at(const Parser *p, size_t pos)
{
        unsigned line = 1;
        for (size_t i = 0; i < pos && i < p->len; i++)
                line += p->buf[i] == '\n';
        return line;
}

#define fail(p, pos, ...) error_set((p)->err, -EINVAL, (p)->file, line_at(p, pos), 1, NULL, __VA_ARGS__)

/* Shell-style escapes inside double quotes. "\$" becomes "$$" so interpolation keeps a literal "$". */
static int expand_escapes(const char *s, size_t len, StrBuf *out)
{
        int r = 0;
        for (size_t i = 0; i < len && r >= 0; i++) {
                if (s[i] != '\\' || i + 1 >= len) {
                        r = strbuf_addch(out, s[i]);
                        continue;
                }
                char c = s[++i], e = 0;
                switch (c) {
                case 'a':
                        e = '\a';
                        break;
                case 'b':
                        e = '\b';
                        break;
                case 'f':
                        e = '\f';
                        break;
                case 'n':
                        e = '\n';
                        break;
                case 'r':
                        e = '\r';
                        break;
                case 't':
                        e = '\t';
                        break;
                case 'v':
                        e = '\v';
                        break;
                case '\\':
                        e = '\\';
                        break;
                case '"':
                        e = '"';
                        break;
                case '$':
                        r = strbuf_add(out, "$$", 2);
                        continue;
                case '0':
                        if (i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '7' && s[i + 2] >= '0' &&
                            s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                                e = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) |
                                           (s[i + 3] - '0'));
                                i += 3;
                        }
                        break;
                default:
                        break;
                }
                if (e)
                        r = strbuf_addch(out, e);
                else {
                        r = strbuf_addch(out, '\\');
                        if (r >= 0)
                                r = strbuf_addch(out, c);
                }
        }
        return r;
}

static int expand_vars(Parser *p, const char *s, size_t len, size_t pos, StrBuf *out)
{
        EnvLookup chain = { .n = 0 };
        Interp ip = { .env = &chain };
        int r;

        for (size_t i = 0; p->lookup && i < p->lookup->n && chain.n < ELEMENTSOF(chain.maps) - 1; i++)
                chain.maps[chain.n++] = p->lookup->maps[i];
        chain.maps[chain.n++] = p->out;
        r = interp_expand(&ip, s, len, out, p->err);
        if (r < 0 && p->err) {
                /* interp fills only the message; add the place. */
                snprintf(p->err->file, sizeof(p->err->file), "%s", p->file ? p->file : "");
                p->err->line = line_at(p, pos);
                p->err->col = 1;
        }
        return r;
}

/* Parses the value at *pos (just past "=" or ":"), advancing *pos past it. */
static int parse_value(Parser *p, size_t *pos, StrBuf *value)
{
        const char *s = p->buf + *pos;
        size_t n = p->len - *pos;
        int r;

        if (n > 0 && (s[0] == '"' || s[0] == '\'')) {
                char q = s[0];
                bool escaped = false;
                for (size_t i = 1; i < n; i++) {
                        if (s[i] != q) {
                                escaped = !escaped && s[i] == '\\';
                                continue;
                        }
                        if (escaped) {
                                escaped = false;
                                continue;
                        }
                        if (q == '"') {
                                _cleanup_strbuf_ StrBuf tmp = STRBUF_INIT;
                                r = expand_escapes(s + 1, i - 1, &tmp);
                                if (r >= 0)
                                        r = expand_vars(p, tmp.buf ? tmp.buf : "", tmp.len, *pos, value);
                        } else {
                                r = 0;
                                for (size_t k = 1; k < i && r >= 0; k++) {
                                        if (s[k] == '\\' && k + 1 < i && s[k + 1] == '\'')
                                                continue;
                                        r = strbuf_addch(value, s[k]);
                                }
                        }
                        *pos += i + 1;
                        return r;
                }
                /* The line is not shown: an env file may hold secrets. */
                return fail(p, *pos, "unterminated quoted value");
        }

        const char *nl = memchr(s, '\n', n);
        size_t vlen = nl ? (size_t)(nl - s) : n, start = *pos;
        *pos += nl ? vlen + 1 : vlen;
        for (size_t i = 0; i + 1 < vlen; i++)
                if (s[i] == ' ' && s[i + 1] == '#') {
                        vlen = i;
                        break;
                }
        while (vlen > 0 && is_space(s[vlen - 1]))
                vlen--;
        return expand_vars(p, s, vlen, start, value);
}

int dotenv_parse(const char *buf, size_t len, const char *file, const EnvLookup *lookup, EnvMap *out,
                 BerthError *err)
{
        Parser p = { .buf = buf, .len = len, .file = file, .lookup = lookup, .out = out, .err = err };
        size_t pos = 0;
        int r;

        if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                pos = 3;
        for (;;) {
                while (pos < len && is_space(buf[pos]))
                        pos++;
                if (pos >= len)
                        break;
                if (buf[pos] == '#') {
                        const char *nl = memchr(buf + pos, '\n', len - pos);
                        if (!nl)
                                break;
                        pos = (size_t)(nl - buf);
                        continue;
                }
                if (len - pos > 6 && memcmp(buf + pos, "export", 6) == 0 && is_space(buf[pos + 6])) {
                        pos += 6;
                        while (pos < len && is_blank(buf[pos]))
                                pos++;
                }

                size_t start = pos, key_end = len, i;
                bool inherited = true;
                for (i = pos; i < len; i++) {
                        char c = buf[i];
                        if (is_blank(c) || c == '_' || c == '.' || c == '-' || c == '[' || c == ']' ||
                            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (unsigned char)c >= 0x80)
                                continue;
                        if (c == '=' || c == ':' || c == '\n') {
                                key_end = i;
                                inherited = c == '\n';
                                break;
                        }
                        /* Only the character is shown, never the line: an env file may hold secrets. */
                        char ch[8];
                        snprintf(ch, sizeof(ch),
                                 (unsigned char)c >= 0x21 && (unsigned char)c < 0x7f ? "%c" : "\\x%02x",
                                 (unsigned char)c);
                        return fail(&p, start, "unexpected character \"%s\" in variable name", ch);
                }
                size_t klen = key_end - start;
                while (klen > 0 && is_space(buf[start + klen - 1]))
                        klen--;
                if (memchr(buf + start, ' ', klen))
                        return fail(&p, start, "key cannot contain a space");
                pos = key_end < len ? key_end + 1 : len;

                if (inherited) {
                        const char *v = envlookup_get(lookup, buf + start, klen);
                        if (v && (r = envmap_setn(out, buf + start, klen, v, strlen(v))) < 0)
                                return r;
                        continue;
                }
                while (pos < len && is_blank(buf[pos]))
                        pos++;
                _cleanup_strbuf_ StrBuf value = STRBUF_INIT;
                r = parse_value(&p, &pos, &value);
                if (r < 0)
                        return r;
                r = envmap_setn(out, buf + start, klen, strbuf_str(&value), value.len);
                if (r < 0)
                        return r;
        }
        return 0;
}
