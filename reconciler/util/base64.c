/* base64.c: strict RFC 4648 base64 (age's header and armor, SOPS values). */
#include <stdint.h>
#include <string.h>

#include "base64.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
        const char *p = c ? strchr(B64, c) : NULL;
        return p ? (int)(p - B64) : -1;
}

ssize_t base64_decode(const char *s, size_t n, unsigned char *out)
{
        size_t o = 0;
        uint32_t acc = 0;
        unsigned bits = 0;
        if (n % 4 == 1)
                return -1;
        for (size_t i = 0; i < n; i++) {
                int v = b64_value(s[i]);
                if (v < 0)
                        return -1;
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (unsigned char)(acc >> bits);
                }
        }
        /* Canonical: the bits left over are zero. */
        if (bits && (acc & ((1u << bits) - 1)))
                return -1;
        return (ssize_t)o;
}

int base64_encode(StrBuf *sb, const unsigned char *in, size_t n, bool pad)
{
        int r = 0;
        for (size_t i = 0; i < n && r >= 0; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t)in[i + 1] << 8;
                if (i + 2 < n)
                        v |= in[i + 2];
                size_t chars = n - i >= 3 ? 4 : n - i + 1;
                for (size_t k = 0; k < chars && r >= 0; k++)
                        r = strbuf_addch(sb, B64[(v >> (18 - 6 * k)) & 63]);
                for (size_t k = chars; pad && k < 4 && r >= 0; k++)
                        r = strbuf_addch(sb, '=');
        }
        return r;
}

char *base64_string(const void *in, size_t n, bool url)
{
        StrBuf sb = STRBUF_INIT;
        if (base64_encode(&sb, in, n, true) < 0) {
                strbuf_done(&sb);
                return NULL;
        }
        char *s = strbuf_detach(&sb);
        for (char *p = s; url && p && *p; p++)
                *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
        return s;
}

ssize_t base64_decode_padded(const char *s, size_t n, unsigned char *out)
{
        size_t pad = 0;
        if (n % 4)
                return -1;
        while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
                pad++;
        return base64_decode(s, n - pad, out);
}
