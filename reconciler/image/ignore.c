/* ignore.c: .dockerignore patterns and matching. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "ignore.h"

/* "a//b/./c/../d/" -> "a/b/d", as Go's filepath.Clean does for the patterns the CLI reads. */
static char *clean(const char *p, size_t len)
{
        char *out = malloc(len + 2);
        size_t n = 0;
        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t j = i;
                while (j < len && p[j] != '/')
                        j++;
                size_t seg = j - i;
                if (seg == 0 || (seg == 1 && p[i] == '.'))
                        ; /* empty or "." */
                else if (seg == 2 && p[i] == '.' && p[i + 1] == '.') {
                        if (n > 0 && !(n >= 2 && out[n - 1] == '.' && out[n - 2] == '.' &&
                                       (n == 2 || out[n - 3] == '/'))) {
                                while (n > 0 && out[n - 1] != '/')
                                        n--;
                                if (n > 0)
                                        n--;
                        } else {
                                if (n)
                                        out[n++] = '/';
                                out[n++] = '.';
                                out[n++] = '.';
                        }
                } else {
                        if (n)
                                out[n++] = '/';
                        memcpy(out + n, p + i, seg);
                        n += seg;
                }
                i = j + 1;
        }
        if (n == 0)
                out[n++] = '.';
        out[n] = '\0';
        return out;
}

int ignore_parse(const char *buf, size_t len, Ignore *ret)
{
        Ignore ig = { 0 };
        size_t alloc = 0;
        for (size_t i = 0; i < len;) {
                size_t j = i;
                while (j < len && buf[j] != '\n')
                        j++;
                const char *s = buf + i, *e = buf + j;
                i = j + 1;
                while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
                        s++;
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        e--;
                if (s == e || *s == '#')
                        continue;
                bool exception = *s == '!';
                if (exception) {
                        s++;
                        while (s < e && (*s == ' ' || *s == '\t'))
                                s++;
                }
                if (e - s > 1 && *s == '/')
                        s++;
                if (ig.n == alloc) {
                        size_t n = alloc ? alloc * 2 : 16;
                        IgnoreRule *v = realloc(ig.rules, n * sizeof(IgnoreRule));
                        if (!v) {
                                ignore_done(&ig);
                                return -ENOMEM;
                        }
                        ig.rules = v;
                        alloc = n;
                }
                if (!(ig.rules[ig.n].pattern = clean(s, (size_t)(e - s)))) {
                        ignore_done(&ig);
                        return -ENOMEM;
                }
                ig.rules[ig.n++].exception = exception;
        }
        *ret = ig;
        return 0;
}

void ignore_done(Ignore *ig)
{
        for (size_t i = 0; i < ig->n; i++)
                free(ig->rules[i].pattern);
        free(ig->rules);
        *ig = (Ignore){ 0 };
}

/* A [...] class at p (just after '['); sets *end past the ']'. Never matches '/'. */
static bool class_match(const char *p, char c, const char **end)
{
        bool neg = *p == '^' || *p == '!', hit = false;
        if (neg)
                p++;
        for (bool first = true; *p && (first || *p != ']'); first = false) {
                char lo = *p == '\\' && p[1] ? *++p : *p;
                p++;
                char hi = lo;
                if (*p == '-' && p[1] && p[1] != ']') {
                        p++;
                        hi = *p == '\\' && p[1] ? *++p : *p;
                        p++;
                }
                if (c >= lo && c <= hi)
                        hit = true;
        }
        *end = *p == ']' ? p + 1 : p;
        return c != '/' && hit != neg;
}

/* Matching with stars is decided once per (pattern, path) position pair, and every decision takes a
 * constant number of steps: a star either ends here or eats one more character. So a pattern full of
 * stars costs at most the product of the two lengths, never a walk that is exponential (or cubic, as a
 * star that tried every end in a loop was: a 1.5 KB line took 15 s). "**" followed by "/" needs a second
 * kind of state, "inside a directory it is skipping", kept in a memo of its own. */
typedef struct Glob {
        const char *p, *s;
        size_t pn, sn;
        bool prefix;         /* a match may also end at a "/": the pattern names a parent directory */
        unsigned char *memo; /* per (pi, si), then per (pi, si) inside a skipped directory; 0 unknown,
                              * 1 no, 2 yes; NULL: star-free, nothing to remember */
} Glob;

static bool glob_step(Glob *g, size_t pi, size_t si, bool inside);

static bool glob_at(Glob *g, size_t pi, size_t si, bool inside)
{
        unsigned char *m = g->memo ? &g->memo[((inside ? g->pn + 1 : 0) + pi) * (g->sn + 1) + si] : NULL;
        if (m && *m)
                return *m == 2;
        bool r = glob_step(g, pi, si, inside);
        if (m)
                *m = r ? 2 : 1;
        return r;
}

static bool glob_step(Glob *g, size_t pi, size_t si, bool inside)
{
        const char *p = g->p, *s = g->s;
        if (inside) {
                /* Skipping a directory of a "**" + "/" at pi: its end lets the rest try again. */
                if (!s[si])
                        return false;
                return s[si] == '/' ? glob_at(g, pi, si + 1, false) : glob_at(g, pi, si + 1, true);
        }
        for (;;) {
                switch (p[pi]) {
                case '\0':
                        return s[si] == '\0' || (g->prefix && s[si] == '/');
                case '*': {
                        size_t q = pi;
                        while (p[q] == '*')
                                q++;
                        if (q - pi >= 2) {
                                if (p[q] == '\0')
                                        return true;
                                if (p[q] == '/')
                                        /* zero or more whole directories: the rest here, or skip one */
                                        return glob_at(g, q + 1, si, false) || glob_at(g, pi, si, true);
                                /* "**" inside a name: any characters, "/" too */
                                return glob_at(g, q, si, false) || (s[si] && glob_at(g, pi, si + 1, false));
                        }
                        /* "*": any characters but "/" */
                        return glob_at(g, pi + 1, si, false) ||
                               (s[si] && s[si] != '/' && glob_at(g, pi, si + 1, false));
                }
                case '?':
                        if (!s[si] || s[si] == '/')
                                return false;
                        pi++, si++;
                        break;
                case '[': {
                        const char *end;
                        if (!s[si] || !class_match(p + pi + 1, s[si], &end))
                                return false;
                        pi = (size_t)(end - p), si++;
                        break;
                }
                case '\\':
                        if (p[pi + 1])
                                pi++;
                        /* fall through */
                default:
                        if (p[pi] != s[si])
                                return false;
                        pi++, si++;
                }
        }
}

static bool glob_match(const char *p, const char *s, bool prefix)
{
        size_t pn = strlen(p), sn = strlen(s);
        Glob g = { .p = p, .s = s, .pn = pn, .sn = sn, .prefix = prefix };
        if (strchr(p, '*') && !(g.memo = calloc(2 * (pn + 1) * (sn + 1), 1)))
                return false;
        bool r = glob_at(&g, 0, 0, false);
        free(g.memo);
        return r;
}

bool ignore_glob(const char *p, const char *s)
{
        return glob_match(p, s, false);
}

bool ignore_excludes(const Ignore *ig, const char *path)
{
        bool excluded = false;
        for (size_t i = 0; i < ig->n; i++) {
                const IgnoreRule *r = &ig->rules[i];
                /* An exception only matters once excluded, an exclusion only while not. */
                if (r->exception != excluded)
                        continue;
                /* A pattern that names a parent directory excludes all under it: one match that may
                 * end at any "/" of the path, not one per parent. */
                bool match = glob_match(r->pattern, path, true);
                if (match)
                        excluded = !r->exception;
        }
        return excluded;
}
