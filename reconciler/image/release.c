/* release.c: release tags as versions, and the image tags they give. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "release.h"

const char *const release_default_patterns[] = { "image_v{version}", "v{version}", "{image}/v{version}",
                                                 NULL };

/* A decimal without a leading zero (semver's rule), moving *s past it. */
static bool number(const char **s, unsigned long *ret)
{
        const char *p = *s;
        if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
                return false;
        char *end;
        *ret = strtoul(p, &end, 10);
        *s = end;
        return true;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty. */
static bool identifiers(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                bool dot = s[i] == '.';
                if (dot && (i == 0 || i + 1 == n || s[i + 1] == '.'))
                        return false;
                if (!dot && !isalnum((unsigned char)s[i]) && s[i] != '-')
                        return false;
        }
        return true;
}

bool version_parse(const char *s, Version *ret)
{
        Version v = { 0 };
        if (!number(&s, &v.major) || *s++ != '.' || !number(&s, &v.minor) || *s++ != '.' ||
            !number(&s, &v.patch))
                return false;
        if (*s == '-') {
                size_t n = strcspn(++s, "+");
                if (!identifiers(s, n) || n >= sizeof(v.pre))
                        return false;
                memcpy(v.pre, s, n);
                s += n;
        }
        if (*s == '+') {
                size_t n = strlen(++s);
                if (!identifiers(s, n) || n >= sizeof(v.build))
                        return false;
                memcpy(v.build, s, n);
                s += n;
        }
        if (*s)
                return false;
        *ret = v;
        return true;
}

static bool all_digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char)s[i]))
                        return false;
        return n > 0;
}

/* Pre-release identifiers compared one by one: numbers as numbers, below any text. */
static int pre_cmp(const char *a, const char *b)
{
        while (*a && *b) {
                size_t na = strcspn(a, "."), nb = strcspn(b, ".");
                bool da = all_digits(a, na), db = all_digits(b, nb);
                int c;
                if (da && db)
                        c = na != nb ? (na < nb ? -1 : 1) : strncmp(a, b, na);
                else if (da != db)
                        c = da ? -1 : 1;
                else {
                        c = strncmp(a, b, na < nb ? na : nb);
                        if (!c && na != nb)
                                c = na < nb ? -1 : 1;
                }
                if (c)
                        return c < 0 ? -1 : 1;
                a += na + (a[na] == '.');
                b += nb + (b[nb] == '.');
        }
        return *a ? 1 : *b ? -1 : 0;
}

int version_cmp(const Version *a, const Version *b)
{
        if (a->major != b->major)
                return a->major < b->major ? -1 : 1;
        if (a->minor != b->minor)
                return a->minor < b->minor ? -1 : 1;
        if (a->patch != b->patch)
                return a->patch < b->patch ? -1 : 1;
        if (!a->pre[0] || !b->pre[0])
                return !a->pre[0] && !b->pre[0] ? 0 : a->pre[0] ? -1 : 1;
        return pre_cmp(a->pre, b->pre);
}

/* An image name in a tag: a descriptor's name, [a-z0-9][a-z0-9._-]*. */
static size_t image_name_len(const char *s)
{
        size_t n = 0;
        while (islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) ||
               (n && strchr("._-", s[n]) && s[n]))
                n++;
        return n;
}

static bool match_one(const char *pat, const char *tag, ReleaseTag *ret)
{
        ReleaseTag t = { 0 };
        bool have_version = false;
        while (*pat) {
                if (strncmp(pat, "{image}", 7) == 0) {
                        size_t n = image_name_len(tag);
                        /* The image ends where the rest of the pattern's literal text begins. */
                        const char *lit = pat + 7;
                        size_t ln = strcspn(lit, "{");
                        const char *at = NULL;
                        for (size_t k = 1; k <= n; k++)
                                if (strncmp(tag + k, lit, ln) == 0) {
                                        at = tag + k;
                                        break;
                                }
                        if (!at || (size_t)(at - tag) >= sizeof(t.image))
                                return false;
                        memcpy(t.image, tag, (size_t)(at - tag));
                        tag = at;
                        pat += 7;
                } else if (strncmp(pat, "{version}", 9) == 0) {
                        /* The version runs to the end of the tag, or to the pattern's next literal. */
                        const char *lit = pat + 9;
                        size_t ln = strcspn(lit, "{");
                        const char *end = ln ? strstr(tag, lit) : tag + strlen(tag);
                        char buf[300];
                        size_t vn = end ? (size_t)(end - tag) : 0;
                        if (!end || vn >= sizeof(buf))
                                return false;
                        memcpy(buf, tag, vn);
                        buf[vn] = '\0';
                        if (!version_parse(buf, &t.v))
                                return false;
                        have_version = true;
                        tag += vn;
                        pat += 9;
                } else if (*pat++ != *tag++)
                        return false;
        }
        if (*tag || !have_version)
                return false;
        *ret = t;
        return true;
}

bool release_match(const char *const *patterns, const char *git_tag, ReleaseTag *ret)
{
        for (const char *const *p = patterns; p && *p; p++)
                if (match_one(*p, git_tag, ret))
                        return true;
        return false;
}

size_t release_image_tags(const Version *v, char ret[3][160])
{
        if (v->pre[0]) {
                snprintf(ret[0], 160, "%lu.%lu.%lu-%s", v->major, v->minor, v->patch, v->pre);
                if (v->build[0]) {
                        size_t n = strlen(ret[0]);
                        snprintf(ret[0] + n, 160 - n, "_%s", v->build);
                }
                return 1;
        }
        snprintf(ret[0], 160, "%lu.%lu.%lu", v->major, v->minor, v->patch);
        if (v->build[0]) {
                size_t n = strlen(ret[0]);
                snprintf(ret[0] + n, 160 - n, "_%s", v->build);
        }
        snprintf(ret[1], 160, "%lu.%lu", v->major, v->minor);
        snprintf(ret[2], 160, "%lu", v->major);
        return 3;
}
