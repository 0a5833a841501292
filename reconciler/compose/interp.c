/* interp.c: compose variable interpolation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "interp.h"

typedef struct Ctx {
        const Interp *ip;
        const char *whole; /* the template as given, for "Invalid template" */
        size_t whole_len;
        BerthError *err;
        unsigned depth;
} Ctx;

#define INTERP_MAX_DEPTH 32

static bool name_start(char c)
{
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool name_char(char c)
{
        return name_start(c) || (c >= '0' && c <= '9');
}

static int invalid(const Ctx *c)
{
        return error_set(c->err, -EINVAL, NULL, 0, 0, NULL, "Invalid template: \"%.*s\"", (int)c->whole_len,
                         c->whole);
}

/* Index of the "}" closing the "${" at s[0]; every "{" nests, as in compose, so a JSON default such as
 * ${X:-{"a":1}} stays whole. -1 if unclosed. */
static ssize_t closing_brace(const char *s, size_t len)
{
        int open = 0;
        for (size_t k = 0; k < len; k++) {
                if (s[k] == '{')
                        open++;
                else if (s[k] == '}' && --open == 0)
                        return (ssize_t)k;
        }
        return -1;
}

static int expand(Ctx *c, const char *s, size_t len, StrBuf *out);

static int substitute(Ctx *c, const char *body, size_t blen, StrBuf *out)
{
        size_t n = 0;
        const char *value;
        bool colon = false;
        char op;
        int r;

        while (n < blen && (n == 0 ? name_start(body[n]) : name_char(body[n])))
                n++;
        if (n == 0)
                return invalid(c);
        size_t name_len = n;
        value = envlookup_get(c->ip->env, body, n);
        if (n == blen) {
                if (!value) {
                        if (c->ip->on_unset)
                                c->ip->on_unset(c->ip->userdata, body, n);
                        return 0;
                }
                return strbuf_addstr(out, value);
        }
        if (body[n] == ':') {
                colon = true;
                n++;
        }
        if (n >= blen || !strchr("-+?", body[n]))
                return invalid(c);
        op = body[n++];
        const char *word = body + n;
        size_t wlen = blen - n;
        bool empty = !value || (colon && !*value);

        switch (op) {
        case '-':
                return empty ? expand(c, word, wlen, out) : strbuf_addstr(out, value);
        case '+':
                return empty ? 0 : expand(c, word, wlen, out);
        default: {
                if (!empty)
                        return strbuf_addstr(out, value);
                _cleanup_strbuf_ StrBuf msg = STRBUF_INIT;
                r = expand(c, word, wlen, &msg);
                if (r < 0)
                        return r;
                return error_set(c->err, -EINVAL, NULL, 0, 0, NULL,
                                 "required variable %.*s is missing a value%s%s", (int)name_len, body,
                                 msg.len ? ": " : "", strbuf_str(&msg));
        }
        }
}

static int expand(Ctx *c, const char *s, size_t len, StrBuf *out)
{
        int r = 0;

        if (++c->depth > INTERP_MAX_DEPTH)
                return error_set(c->err, -E2BIG, NULL, 0, 0, NULL, "template nested too deeply: \"%.*s\"",
                                 (int)c->whole_len, c->whole);
        for (size_t i = 0; i < len && r >= 0;) {
                const char *dollar = memchr(s + i, '$', len - i);
                size_t lit = dollar ? (size_t)(dollar - (s + i)) : len - i;

                r = strbuf_add(out, s + i, lit);
                i += lit;
                if (r < 0 || i >= len)
                        break;
                /* s[i] is '$' */
                if (i + 1 >= len) {
                        r = strbuf_addch(out, '$');
                        i++;
                } else if (s[i + 1] == '$') {
                        r = strbuf_addch(out, '$');
                        i += 2;
                } else if (name_start(s[i + 1])) {
                        size_t j = i + 1;
                        while (j < len && name_char(s[j]))
                                j++;
                        r = substitute(c, s + i + 1, j - i - 1, out);
                        i = j;
                } else if (s[i + 1] == '{') {
                        ssize_t close = closing_brace(s + i, len - i);
                        if (close < 0)
                                r = invalid(c);
                        else {
                                r = substitute(c, s + i + 2, (size_t)close - 2, out);
                                i += (size_t)close + 1;
                        }
                } else {
                        r = strbuf_addch(out, '$');
                        i++;
                }
        }
        c->depth--;
        return r;
}

int interp_expand(const Interp *ip, const char *s, size_t len, StrBuf *out, BerthError *err)
{
        Ctx c = { .ip = ip, .whole = s, .whole_len = len, .err = err };
        return expand(&c, s, len, out);
}

int interp_needed(const char *s)
{
        return strchr(s, '$') != NULL;
}

static void strict_unset(void *ud, const char *name, size_t len)
{
        char *first = ud;
        if (!*first)
                snprintf(first, 128, "%.*s", (int)(len < 127 ? len : 127), name);
}

int interp_strict(const char *s, const EnvMap *env, char **ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        char unset[128] = "";
        EnvLookup l = { .maps = { env }, .n = env ? 1 : 0 };
        Interp ip = { .env = &l, .on_unset = strict_unset, .userdata = unset };
        int r = interp_expand(&ip, s, strlen(s), &out, err);
        if (r < 0)
                return r;
        if (unset[0])
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "the variable %s is not set", unset);
        if (!(*ret = strdup(strbuf_str(&out))))
                return -ENOMEM;
        return 0;
}
