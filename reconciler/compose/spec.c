/* spec.c: short-syntax parsers for ports, volumes and command lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fileio.h"
#include "../util/strbuf.h"
#include "spec.h"
#include "../util/json.h"

#define bad(...) (snprintf(errbuf, errlen, __VA_ARGS__), -EINVAL)

/* Splits s in place at ':' into at most 3 parts; returns how many, or 0 when there are more. */
static size_t split_colons(char *s, char *parts[3])
{
        size_t n = 0;
        for (char *q = s;;) {
                if (n == 3)
                        return 0;
                parts[n++] = q;
                char *colon = strchr(q, ':');
                if (!colon)
                        return n;
                *colon = '\0';
                q = colon + 1;
        }
}

static int parse_uint(const char *s, size_t len, unsigned max, unsigned *ret)
{
        unsigned long v = 0;
        if (len == 0 || len > 5)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long)(s[i] - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

int spec_parse_range(const char *s, size_t len, unsigned *ret_lo, unsigned *ret_hi)
{
        const char *dash = memchr(s, '-', len);
        unsigned lo, hi;
        if (!dash) {
                if (parse_uint(s, len, 65535, &lo) < 0)
                        return -EINVAL;
                *ret_lo = *ret_hi = lo;
                return 0;
        }
        if (parse_uint(s, (size_t)(dash - s), 65535, &lo) < 0 ||
            parse_uint(dash + 1, len - (size_t)(dash - s) - 1, 65535, &hi) < 0 || hi < lo)
                return -EINVAL;
        *ret_lo = lo;
        *ret_hi = hi;
        return 0;
}

static cJSON *port_new(const char *ip, unsigned target, const char *published, const char *proto)
{
        cJSON *p = cJSON_CreateObject();
        if (!p)
                return NULL;
        cJSON_AddStringToObject(p, "mode", "ingress");
        cJSON_AddNumberToObject(p, "target", target);
        if (published && *published)
                cJSON_AddStringToObject(p, "published", published);
        cJSON_AddStringToObject(p, "protocol", proto);
        if (ip && *ip)
                cJSON_AddStringToObject(p, "host_ip", ip);
        return p;
}

bool spec_ip_valid(const char *ip)
{
        unsigned char buf[16];
        return inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1;
}

int spec_parse_port(const char *s, cJSON **ret, char *errbuf, size_t errlen)
{
        _cleanup_free_ char *copy = strdup(s);
        _cleanup_cjson_ cJSON *list = cJSON_CreateArray();
        char *proto = "tcp", *ip = NULL, *host = NULL, *ctr, *p;

        if (!copy || !list)
                return -ENOMEM;
        p = strrchr(copy, '/');
        if (p) {
                *p = '\0';
                proto = p + 1;
                if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
                        return bad("invalid protocol \"%s\" in port \"%s\": use tcp, udp or sctp", proto, s);
        }
        p = copy;
        if (*p == '[') {
                char *close = strchr(p, ']');
                if (!close || close[1] != ':')
                        return bad("invalid port \"%s\": bad IPv6 address", s);
                *close = '\0';
                ip = p + 1;
                p = close + 2;
        }
        char *parts[3];
        size_t n = split_colons(p, parts);
        if (n == 0)
                return bad("invalid port \"%s\": too many colons", s);
        if (n == 3 && ip)
                return bad("invalid port \"%s\"", s);
        if (n == 3) {
                ip = parts[0];
                host = parts[1];
                ctr = parts[2];
        } else if (n == 2) {
                host = parts[0];
                ctr = parts[1];
        } else {
                if (ip)
                        return bad("invalid port \"%s\"", s);
                ctr = parts[0];
        }

        if (ip && *ip && !spec_ip_valid(ip))
                return bad("invalid port \"%s\": \"%s\" is not an IP address", s, ip);
        unsigned clo, chi, hlo = 0, hhi = 0;
        if (spec_parse_range(ctr, strlen(ctr), &clo, &chi) < 0 || clo == 0)
                return bad("invalid port \"%s\": container port \"%s\" is not a port number or range", s,
                           ctr);
        bool have_host = host && *host;
        if (have_host && spec_parse_range(host, strlen(host), &hlo, &hhi) < 0)
                return bad("invalid port \"%s\": host port \"%s\" is not a port number or range", s, host);

        if (chi > clo) {
                if (have_host && hhi - hlo != chi - clo)
                        return bad("invalid port \"%s\": host and container port ranges differ in size", s);
                for (unsigned i = 0; i <= chi - clo; i++) {
                        char pub[16] = "";
                        if (have_host)
                                snprintf(pub, sizeof(pub), "%u", hlo + i);
                        cJSON *e = port_new(ip, clo + i, pub, proto);
                        if (!e)
                                return -ENOMEM;
                        cJSON_AddItemToArray(list, e);
                }
        } else {
                cJSON *e = port_new(ip, clo, have_host ? host : NULL, proto);
                if (!e)
                        return -ENOMEM;
                cJSON_AddItemToArray(list, e);
        }
        *ret = TAKE_PTR(list);
        return 0;
}

static bool is_mode(const char *m)
{
        static const char *const modes[] = { "ro",       "rw",         "z",      "Z",        "nocopy",
                                             "shared",   "rshared",    "slave",  "rslave",   "private",
                                             "rprivate", "consistent", "cached", "delegated" };
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (strcmp(m, modes[i]) == 0)
                        return true;
        return false;
}

int spec_parse_volume(const char *s, const char *basedir, const char *home, cJSON **ret, char *errbuf,
                      size_t errlen)
{
        _cleanup_free_ char *copy = strdup(s);
        _cleanup_cjson_ cJSON *v = cJSON_CreateObject();
        char *parts[3];
        size_t n;

        if (!copy || !v)
                return -ENOMEM;
        if (!*s)
                return bad("empty volume specification");
        if ((n = split_colons(copy, parts)) == 0)
                return bad("invalid volume \"%s\": too many colons", s);
        const char *src = n >= 2 ? parts[0] : NULL, *dst = n >= 2 ? parts[1] : parts[0];
        const char *mode = n == 3 ? parts[2] : NULL;
        if (dst[0] != '/')
                return bad("invalid volume \"%s\": the target \"%s\" must be an absolute path", s, dst);
        if (src && !*src)
                return bad("invalid volume \"%s\": empty source", s);

        bool bind = src && (src[0] == '/' || src[0] == '.' || src[0] == '~');
        cJSON_AddStringToObject(v, "type", src ? (bind ? "bind" : "volume") : "volume");
        if (src && bind) {
                _cleanup_free_ char *abs = NULL;
                if (src[0] == '~')
                        abs = path_absolute(home ? home : "/", src[1] == '/' ? src + 2 : src + 1);
                else
                        abs = path_absolute(basedir, src);
                if (!abs)
                        return -ENOMEM;
                cJSON_AddStringToObject(v, "source", abs);
        } else if (src)
                cJSON_AddStringToObject(v, "source", src);
        cJSON_AddStringToObject(v, "target", dst);

        cJSON *bind_opts = NULL, *vol_opts = NULL;
        if (bind) {
                bind_opts = cJSON_AddObjectToObject(v, "bind");
                cJSON_AddTrueToObject(bind_opts, "create_host_path");
        }
        if (mode) {
                _cleanup_free_ char *m = strdup(mode);
                if (!m)
                        return -ENOMEM;
                for (char *tok = m, *next; tok; tok = next) {
                        next = strchr(tok, ',');
                        if (next)
                                *next++ = '\0';
                        if (!is_mode(tok))
                                return bad("invalid volume \"%s\": unknown mode \"%s\"", s, tok);
                        if (strcmp(tok, "ro") == 0)
                                cJSON_AddTrueToObject(v, "read_only");
                        else if (strcmp(tok, "nocopy") == 0) {
                                if (bind)
                                        return bad("invalid volume \"%s\": \"nocopy\" applies to named "
                                                   "volumes only",
                                                   s);
                                if (!vol_opts)
                                        vol_opts = cJSON_AddObjectToObject(v, "volume");
                                cJSON_AddTrueToObject(vol_opts, "nocopy");
                        } else if (strcmp(tok, "z") == 0 || strcmp(tok, "Z") == 0) {
                                if (bind_opts)
                                        cJSON_AddStringToObject(bind_opts, "selinux", tok);
                        } else if (strstr(tok, "shared") || strstr(tok, "slave") || strstr(tok, "private")) {
                                if (bind_opts)
                                        cJSON_AddStringToObject(bind_opts, "propagation", tok);
                        } else if (strcmp(tok, "rw") != 0)
                                cJSON_AddStringToObject(v, "consistency", tok);
                }
        }
        *ret = TAKE_PTR(v);
        return 0;
}

int spec_split_words(const char *s, cJSON **ret, char *errbuf, size_t errlen)
{
        _cleanup_cjson_ cJSON *list = cJSON_CreateArray();
        _cleanup_strbuf_ StrBuf w = STRBUF_INIT;
        bool in_word = false;
        char quote = 0;

        if (!list)
                return -ENOMEM;
        for (const char *p = s;; p++) {
                char c = *p;
                if (c == '\0') {
                        if (quote)
                                return bad("unterminated %s quote in \"%s\"",
                                           quote == '"' ? "double" : "single", s);
                        break;
                }
                if (quote == '\'') {
                        if (c == '\'')
                                quote = 0;
                        else if (strbuf_addch(&w, c) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (quote == '"') {
                        if (c == '"')
                                quote = 0;
                        else if (c == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
                                if (strbuf_addch(&w, *++p) < 0)
                                        return -ENOMEM;
                        } else if (strbuf_addch(&w, c) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                        if (in_word) {
                                json_append(list, cJSON_CreateString(strbuf_str(&w)));
                                strbuf_reset(&w);
                                in_word = false;
                        }
                        continue;
                }
                in_word = true;
                if (c == '\'' || c == '"')
                        quote = c;
                else if (c == '\\' && p[1]) {
                        if (strbuf_addch(&w, *++p) < 0)
                                return -ENOMEM;
                } else if (strbuf_addch(&w, c) < 0)
                        return -ENOMEM;
        }
        if (in_word)
                json_append(list, cJSON_CreateString(strbuf_str(&w)));
        *ret = TAKE_PTR(list);
        return 0;
}
