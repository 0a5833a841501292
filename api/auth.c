/* auth.c: bearer tokens, stored hashed and compared in constant time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "util/fileio.h"

static int sha256(const char *s, size_t len, unsigned char out[32])
{
        unsigned n = 0;
        return EVP_Digest(s, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -EIO;
}

static int unhex(const char *s, size_t len, unsigned char *out, size_t n)
{
        if (len != 2 * n)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned v = 0;
                for (int k = 0; k < 2; k++) {
                        char c = s[2 * i + (size_t)k];
                        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                                                            : 16;
                        if (d > 15)
                                return -EINVAL;
                        v = v * 16 + d;
                }
                out[i] = (unsigned char)v;
        }
        return 0;
}

static bool name_valid(const char *s, size_t n)
{
        if (n == 0 || n >= sizeof(((Token *)0)->name))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.' ||
                      s[i] == '@'))
                        return false;
        return true;
}

int tokens_load(const char *path, Tokens *ret, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        unsigned line = 0;
        Tokens t = { 0 };
        int r = file_read(path, 1024 * 1024, &buf, &len, err);
        if (r < 0)
                return r;
        for (char *p = buf; *p;) {
                char *nl = strchrnul(p, '\n');
                char *end = nl;
                line++;
                while (end > p && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
                        end--;
                if (end > p && *p != '#') {
                        /* sha256:<hex> NAME ROLE */
                        char *sp1 = memchr(p, ' ', (size_t)(end - p));
                        char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
                        Token tok = { 0 };
                        size_t rl = sp2 ? (size_t)(end - sp2 - 1) : 0;
                        if (!sp2 || strncmp(p, "sha256:", 7) != 0 ||
                            unhex(p + 7, (size_t)(sp1 - p - 7), tok.hash, 32) < 0 ||
                            !name_valid(sp1 + 1, (size_t)(sp2 - sp1 - 1)) ||
                            !((rl == 4 && strncmp(sp2 + 1, "read", 4) == 0) ||
                              (rl == 5 && strncmp(sp2 + 1, "write", 5) == 0))) {
                                tokens_done(&t);
                                return error_set(err, -EINVAL, path, line, 1, NULL,
                                                 "expected \"sha256:<64 hex digits> NAME read|write\"");
                        }
                        memcpy(tok.name, sp1 + 1, (size_t)(sp2 - sp1 - 1));
                        tok.role = rl == 4 ? ROLE_READ : ROLE_WRITE;
                        Token *v = realloc(t.items, (t.n + 1) * sizeof(Token));
                        if (!v) {
                                tokens_done(&t);
                                return -ENOMEM;
                        }
                        t.items = v;
                        t.items[t.n++] = tok;
                }
                p = *nl ? nl + 1 : nl;
        }
        *ret = t;
        return 0;
}

void tokens_done(Tokens *t)
{
        free(t->items);
        *t = (Tokens){ 0 };
}

const Token *tokens_check(const Tokens *t, const char *token, size_t len)
{
        unsigned char h[32];
        const Token *found = NULL;
        if (len == 0 || sha256(token, len, h) < 0)
                return NULL;
        /* Every entry is compared, whatever matched, so the time says nothing about which did. */
        for (size_t i = 0; i < t->n; i++)
                if (CRYPTO_memcmp(h, t->items[i].hash, 32) == 0)
                        found = &t->items[i];
        return found;
}

int token_line(const char *token, size_t len, const char *name, const char *role, char *ret, size_t size)
{
        unsigned char h[32];
        char hex[65];
        if (!name_valid(name, strlen(name)) || (strcmp(role, "read") != 0 && strcmp(role, "write") != 0))
                return -EINVAL;
        if (sha256(token, len, h) < 0)
                return -EIO;
        for (size_t i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", h[i]);
        snprintf(ret, size, "sha256:%s %s %s", hex, name, role);
        return 0;
}
