/* age.c: age-encryption.org/v1 with X25519 recipients: header, MAC, STREAM payload, armor, Bech32 keys. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "../util/base64.h"
#include "../util/strbuf.h"
#include "age.h"

#define VERSION_LINE  "age-encryption.org/v1\n"
#define ARMOR_BEGIN   "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END     "-----END AGE ENCRYPTED FILE-----"
#define CHUNK         ((size_t)64 * 1024)
#define TAG_LEN       16
#define FILE_KEY_LEN  16
#define HEADER_MAX    ((size_t)1024 * 1024)
#define STANZAS_MAX   256
#define ARGS_MAX      16
#define X25519_INFO   "age-encryption.org/v1/X25519"
#define SECRET_HRP    "age-secret-key-"
#define RECIPIENT_HRP "age"

/* ---- Bech32 (BIP173, without its length limit) ---- */

static const char BECH32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t bech32_polymod(const unsigned char *v, size_t n)
{
        static const uint32_t gen[] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };
        uint32_t chk = 1;
        for (size_t i = 0; i < n; i++) {
                uint32_t top = chk >> 25;
                chk = ((chk & 0x1ffffff) << 5) ^ v[i];
                for (int k = 0; k < 5; k++)
                        if ((top >> k) & 1)
                                chk ^= gen[k];
        }
        return chk;
}

/* The checksum input: the HRP expanded, then the data's 5-bit values. */
static unsigned char *bech32_expand(const char *hrp, const unsigned char *data, size_t n, size_t *ret_len)
{
        size_t hl = strlen(hrp), len = 2 * hl + 1 + n;
        unsigned char *v = malloc(len + 6);
        if (!v)
                return NULL;
        for (size_t i = 0; i < hl; i++) {
                v[i] = (unsigned char)hrp[i] >> 5;
                v[hl + 1 + i] = (unsigned char)hrp[i] & 31;
        }
        v[hl] = 0;
        memcpy(v + 2 * hl + 1, data, n);
        *ret_len = len;
        return v;
}

/* Decodes s (all lower or all upper case) with the given lowercase HRP into 32 bytes. */
static int bech32_decode_key(const char *s, size_t len, const char *hrp, unsigned char ret[AGE_KEY_LEN])
{
        char low[200];
        bool upper = false, lower = false;
        size_t hl = strlen(hrp);
        if (len >= sizeof(low) || len < hl + 1 + 6)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (c < 33 || c > 126)
                        return -EINVAL;
                upper |= c >= 'A' && c <= 'Z';
                lower |= c >= 'a' && c <= 'z';
                low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        low[len] = '\0';
        if ((upper && lower) || strncmp(low, hrp, hl) != 0 || low[hl] != '1')
                return -EINVAL;
        unsigned char data[200];
        size_t n = 0;
        for (size_t i = hl + 1; i < len; i++) {
                const char *p = strchr(BECH32, low[i]);
                if (!p || !low[i])
                        return -EINVAL;
                data[n++] = (unsigned char)(p - BECH32);
        }
        size_t vl;
        _cleanup_free_ unsigned char *v = bech32_expand(hrp, data, n, &vl);
        if (!v)
                return -ENOMEM;
        if (bech32_polymod(v, vl) != 1)
                return -EINVAL;
        n -= 6;
        /* 5-bit groups to bytes: exactly 32, with no non-zero padding. */
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                acc = (acc << 5) | data[i];
                bits += 5;
                if (bits >= 8) {
                        bits -= 8;
                        if (o == AGE_KEY_LEN)
                                return -EINVAL;
                        ret[o++] = (unsigned char)(acc >> bits);
                }
        }
        if (o != AGE_KEY_LEN || bits >= 5 || (acc & ((1u << bits) - 1)))
                return -EINVAL;
        return 0;
}

static int bech32_encode_key(const char *hrp, const unsigned char key[AGE_KEY_LEN], bool upper, char *ret,
                             size_t size)
{
        unsigned char data[64];
        size_t n = 0;
        uint32_t acc = 0;
        unsigned bits = 0;
        for (size_t i = 0; i < AGE_KEY_LEN; i++) {
                acc = (acc << 8) | key[i];
                bits += 8;
                while (bits >= 5) {
                        bits -= 5;
                        data[n++] = (acc >> bits) & 31;
                }
        }
        if (bits)
                data[n++] = (acc << (5 - bits)) & 31;
        size_t vl;
        _cleanup_free_ unsigned char *v = bech32_expand(hrp, data, n, &vl);
        if (!v)
                return -ENOMEM;
        memset(v + vl, 0, 6);
        uint32_t mod = bech32_polymod(v, vl + 6) ^ 1;
        for (int i = 0; i < 6; i++)
                data[n++] = (mod >> (5 * (5 - i))) & 31;
        size_t hl = strlen(hrp);
        if (size < hl + 1 + n + 1)
                return -ENOSPC;
        size_t o = 0;
        for (size_t i = 0; i < hl; i++)
                ret[o++] = upper && hrp[i] >= 'a' && hrp[i] <= 'z' ? (char)(hrp[i] - 'a' + 'A') : hrp[i];
        ret[o++] = '1';
        for (size_t i = 0; i < n; i++) {
                char c = BECH32[data[i]];
                ret[o++] = upper && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        }
        ret[o] = '\0';
        return 0;
}

/* ---- OpenSSL primitives ---- */

static int x25519(const unsigned char secret[32], const unsigned char peer[32], unsigned char out[32])
{
        EVP_PKEY *sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, 32);
        EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
        EVP_PKEY_CTX *ctx = sk ? EVP_PKEY_CTX_new(sk, NULL) : NULL;
        size_t n = 32;
        int r = ctx && pk && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, pk) > 0 &&
                                EVP_PKEY_derive(ctx, out, &n) > 0 && n == 32
                        ? 0
                        : -EIO;
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pk);
        EVP_PKEY_free(sk);
        return r;
}

static int x25519_public(const unsigned char secret[32], unsigned char out[32])
{
        EVP_PKEY *sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, 32);
        size_t n = 32;
        int r = sk && EVP_PKEY_get_raw_public_key(sk, out, &n) > 0 && n == 32 ? 0 : -EIO;
        EVP_PKEY_free(sk);
        return r;
}

static int hkdf(const void *ikm, size_t ikm_len, const void *salt, size_t salt_len, const char *info,
                unsigned char out[32])
{
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
        OSSL_PARAM params[5], *p = params;
        *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
        *p = OSSL_PARAM_construct_end();
        int r = ctx && EVP_KDF_derive(ctx, out, 32, params) > 0 ? 0 : -EIO;
        EVP_KDF_CTX_free(ctx);
        EVP_KDF_free(kdf);
        return r;
}

/* ChaCha20-Poly1305 with a 12-byte nonce; in holds the cipher text and its 16-byte tag when opening.
 * 1 opened or sealed, 0 the tag did not verify, < 0 an error. */
static int chacha(bool seal, const unsigned char key[32], const unsigned char nonce[12],
                  const unsigned char *in, size_t len, unsigned char *out)
{
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int n = 0, r = -EIO;
        size_t body = seal ? len : len - TAG_LEN;
        if (!ctx || (!seal && len < TAG_LEN) || len > INT32_MAX)
                goto out;
        if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce, seal ? 1 : 0) <= 0 ||
            (body && EVP_CipherUpdate(ctx, out, &n, in, (int)body) <= 0))
                goto out;
        if (seal) {
                if (EVP_CipherFinal_ex(ctx, out + n, &n) <= 0 ||
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, out + len) <= 0)
                        goto out;
                r = 1;
        } else {
                if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)(in + body)) <= 0)
                        goto out;
                r = EVP_CipherFinal_ex(ctx, out + n, &n) > 0 ? 1 : 0;
        }
out:
        EVP_CIPHER_CTX_free(ctx);
        return r;
}

static bool all_zero(const unsigned char *p, size_t n)
{
        unsigned char acc = 0;
        for (size_t i = 0; i < n; i++)
                acc |= p[i];
        return acc == 0;
}

/* ---- keys ---- */

int age_identities_add(AgeIdentities *ids, const char *text, size_t len, const char *what, BerthError *err)
{
        unsigned line = 0;
        for (const char *p = text, *end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                line++;
                const char *s = p;
                while (s < e && (*s == ' ' || *s == '\t'))
                        s++;
                const char *t = e;
                while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
                        t--;
                p = nl ? nl + 1 : end;
                if (s == t || *s == '#')
                        continue;
                AgeIdentity id;
                if (bech32_decode_key(s, (size_t)(t - s), SECRET_HRP, id.secret) < 0 ||
                    x25519_public(id.secret, id.public_key) < 0) {
                        OPENSSL_cleanse(&id, sizeof(id));
                        return error_set(
                                err, -EINVAL, what, line, 0, NULL,
                                "not an age identity (AGE-SECRET-KEY-1...): the line is not shown, it may "
                                "hold a secret");
                }
                AgeIdentity *v = realloc(ids->items, (ids->n + 1) * sizeof(AgeIdentity));
                if (!v) {
                        OPENSSL_cleanse(&id, sizeof(id));
                        return -ENOMEM;
                }
                ids->items = v;
                ids->items[ids->n++] = id;
                OPENSSL_cleanse(&id, sizeof(id));
        }
        return 0;
}

void age_identities_done(AgeIdentities *ids)
{
        if (ids->items)
                OPENSSL_cleanse(ids->items, ids->n * sizeof(AgeIdentity));
        free(ids->items);
        *ids = (AgeIdentities){ 0 };
}

int age_recipient_parse(const char *text, unsigned char ret[AGE_KEY_LEN], BerthError *err)
{
        if (bech32_decode_key(text, strlen(text), RECIPIENT_HRP, ret) < 0)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "\"%s\" is not an age recipient (age1...)",
                                 text);
        return 0;
}

int age_recipient_format(const unsigned char key[AGE_KEY_LEN], char *ret, size_t size)
{
        return bech32_encode_key(RECIPIENT_HRP, key, false, ret, size);
}

/* ---- armor ---- */

static bool starts_with(const void *data, size_t len, const char *prefix)
{
        size_t n = strlen(prefix);
        return len >= n && memcmp(data, prefix, n) == 0;
}

static const char *skip_space(const char *p, const char *end)
{
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
                p++;
        return p;
}

bool age_is_file(const void *data, size_t len)
{
        const char *p = skip_space(data, (const char *)data + len);
        size_t rest = len - (size_t)(p - (const char *)data);
        return starts_with(data, len, VERSION_LINE) || starts_with(p, rest, ARMOR_BEGIN);
}

/* Strict PEM (RFC 7468): the begin line, lines of 64 padded base64 characters and a shorter (or full)
 * last one, the end line; whitespace only around the block; LF or CRLF line ends. */
static int armor_decode(const char *data, size_t len, unsigned char **ret, size_t *ret_len, BerthError *err)
{
        const char *end = data + len, *p = skip_space(data, end);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
                end--;
        /* The lines between the begin and end lines, each without its line end. */
        size_t max_lines = 1, n_lines = 0;
        for (const char *c = p; c < end; c++)
                max_lines += *c == '\n';
        _cleanup_free_ const char **lines = calloc(max_lines, sizeof(char *));
        _cleanup_free_ size_t *lens = calloc(max_lines, sizeof(size_t));
        bool begun = false, ended = false;
        if (!lines || !lens)
                return -ENOMEM;
        while (p < end && !ended) {
                const char *e = memchr(p, '\n', (size_t)(end - p));
                if (!e)
                        e = end;
                size_t n = (size_t)((e > p && e[-1] == '\r' ? e - 1 : e) - p);
                if (!begun) {
                        if (n != strlen(ARMOR_BEGIN) || memcmp(p, ARMOR_BEGIN, n) != 0)
                                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                 "the armor's first line is not \"%s\"", ARMOR_BEGIN);
                        begun = true;
                } else if (n == strlen(ARMOR_END) && memcmp(p, ARMOR_END, n) == 0) {
                        ended = true;
                        if (e != end)
                                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                 "data after the armor");
                } else {
                        lines[n_lines] = p;
                        lens[n_lines++] = n;
                }
                p = e + 1;
        }
        if (!ended || n_lines == 0)
                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                 "the armor has no end line, or nothing in it");
        _cleanup_free_ unsigned char *out = malloc(n_lines * 48 + 1);
        size_t o = 0;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n_lines; i++) {
                size_t n = lens[i], pad = 0;
                bool last = i + 1 == n_lines;
                if (n == 0 || n > 64 || n % 4 || (!last && n != 64))
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                         "an armor line of the wrong length");
                while (pad < 2 && pad < n && lines[i][n - 1 - pad] == '=')
                        pad++;
                if (pad && !last)
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                         "armor padding before the last line");
                ssize_t d = base64_decode(lines[i], n - pad, out + o);
                if (d < 0 || (size_t)d != (n / 4) * 3 - pad)
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                         "the armor is not canonical base64");
                o += (size_t)d;
        }
        *ret = TAKE_PTR(out);
        *ret_len = o;
        return 0;
}

static int armor_encode(const unsigned char *in, size_t n, StrBuf *sb)
{
        _cleanup_strbuf_ StrBuf b = STRBUF_INIT;
        int r = base64_encode(&b, in, n, true);
        if (r < 0 || (r = strbuf_addstr(sb, ARMOR_BEGIN "\n")) < 0)
                return r;
        for (size_t i = 0; i < b.len && r >= 0; i += 64) {
                size_t k = b.len - i < 64 ? b.len - i : 64;
                if ((r = strbuf_add(sb, b.buf + i, k)) >= 0)
                        r = strbuf_addch(sb, '\n');
        }
        return r < 0 ? r : strbuf_addstr(sb, ARMOR_END "\n");
}

/* ---- the header ---- */

typedef struct Stanza {
        const char *args[ARGS_MAX];
        size_t arg_len[ARGS_MAX];
        size_t n_args;
        unsigned char *body;
        size_t body_len;
} Stanza;

typedef struct Header {
        Stanza stanzas[STANZAS_MAX];
        size_t n;
        size_t mac_end; /* bytes covered by the MAC: up to and including "---" */
        size_t end;     /* where the payload starts */
        unsigned char mac[32];
} Header;

static void header_done(Header *h)
{
        for (size_t i = 0; i < h->n; i++)
                free(h->stanzas[i].body);
}

static bool vchar(char c)
{
        return c >= 33 && c <= 126;
}

static int header_parse(const char *d, size_t len, Header *h, BerthError *err)
{
        size_t limit = len < HEADER_MAX ? len : HEADER_MAX;
        const char *end = d + limit, *p = d + strlen(VERSION_LINE);
        if (!starts_with(d, len, VERSION_LINE))
                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL, "not an age-encryption.org/v1 file");
        for (;;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl)
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL, "the header does not end");
                if (nl - p >= 3 && memcmp(p, "---", 3) == 0) {
                        unsigned char mac[33];
                        if (nl - p != 4 + 43 || p[3] != ' ' || base64_decode(p + 4, 43, mac) != 32)
                                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                 "a malformed header MAC line");
                        memcpy(h->mac, mac, 32);
                        h->mac_end = (size_t)(p + 3 - d);
                        h->end = (size_t)(nl + 1 - d);
                        return h->n ? 0
                                    : error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                "the header has no stanza");
                }
                if (nl - p < 4 || memcmp(p, "-> ", 3) != 0)
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                         "a header line is neither a stanza nor the MAC");
                if (h->n == STANZAS_MAX)
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL, "more than %d stanzas",
                                         STANZAS_MAX);
                Stanza *s = &h->stanzas[h->n++];
                *s = (Stanza){ 0 };
                for (const char *a = p + 3; a < nl;) {
                        const char *sp = memchr(a, ' ', (size_t)(nl - a));
                        const char *ae = sp ? sp : nl;
                        if (ae == a || s->n_args == ARGS_MAX)
                                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                 "a stanza's arguments are malformed");
                        for (const char *c = a; c < ae; c++)
                                if (!vchar(*c))
                                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                         "a stanza's arguments are malformed");
                        s->args[s->n_args] = a;
                        s->arg_len[s->n_args++] = (size_t)(ae - a);
                        a = sp ? sp + 1 : nl;
                        if (sp && a == nl)
                                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                 "a stanza ends with a space");
                }
                /* The body: lines of 64 base64 characters, ended by a shorter one (maybe empty). */
                const char *b = nl + 1, *be = b;
                for (;;) {
                        const char *l = memchr(be, '\n', (size_t)(end - be));
                        if (!l)
                                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                 "a stanza's body does not end");
                        size_t n = (size_t)(l - be);
                        if (n > 64)
                                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                                 "a stanza's body line is too long");
                        be = l + 1;
                        if (n < 64)
                                break;
                }
                size_t chars = 0;
                _cleanup_free_ char *joined = malloc((size_t)(be - b) + 1);
                if (!joined)
                        return -ENOMEM;
                for (const char *c = b; c < be; c++)
                        if (*c != '\n')
                                joined[chars++] = *c;
                if (!(s->body = malloc(chars * 3 / 4 + 1)))
                        return -ENOMEM;
                ssize_t bl = base64_decode(joined, chars, s->body);
                if (bl < 0)
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                         "a stanza's body is not canonical base64");
                s->body_len = (size_t)bl;
                p = be;
        }
}

static bool arg_is(const Stanza *s, size_t i, const char *v)
{
        return i < s->n_args && s->arg_len[i] == strlen(v) && memcmp(s->args[i], v, s->arg_len[i]) == 0;
}

/* The file key from an X25519 stanza: 1 unwrapped, 0 not for these identities, < 0 malformed. */
static int unwrap_x25519(const Stanza *s, const AgeIdentities *ids, unsigned char file_key[FILE_KEY_LEN],
                         BerthError *err)
{
        unsigned char share[33], salt[64], shared[32], key[32];
        if (s->n_args != 2 || s->arg_len[1] != 43 || base64_decode(s->args[1], 43, share) != 32 ||
            s->body_len != FILE_KEY_LEN + TAG_LEN)
                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL, "a malformed X25519 stanza");
        int found = 0;
        for (size_t i = 0; i < ids->n && !found; i++) {
                static const unsigned char zero_nonce[12];
                /* OpenSSL refuses to derive from a low-order share (an all-zero result), as the spec
                 * requires: the stanza is malformed, not an error of ours. */
                if (x25519(ids->items[i].secret, share, shared) < 0 || all_zero(shared, 32)) {
                        OPENSSL_cleanse(shared, sizeof(shared));
                        return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                         "an X25519 stanza with a low-order share");
                }
                memcpy(salt, share, 32);
                memcpy(salt + 32, ids->items[i].public_key, 32);
                int r = hkdf(shared, 32, salt, 64, X25519_INFO, key);
                if (r >= 0)
                        r = chacha(false, key, zero_nonce, s->body, s->body_len, file_key);
                OPENSSL_cleanse(shared, sizeof(shared));
                OPENSSL_cleanse(key, sizeof(key));
                if (r < 0)
                        return r;
                found = r;
        }
        return found;
}

/* ---- the payload ---- */

static int payload_decrypt(const unsigned char file_key[FILE_KEY_LEN], const unsigned char *p, size_t len,
                           StrBuf *out, BerthError *err)
{
        unsigned char key[32], nonce[12] = { 0 };
        /* The nonce is read with the header: a file cut before its end is a malformed header. */
        if (len < 16)
                return error_set(err, AGE_E_HEADER, NULL, 0, 0, NULL,
                                 "the file ends before the payload's nonce");
        int r = hkdf(file_key, FILE_KEY_LEN, p, 16, "payload", key);
        if (r < 0)
                return r;
        p += 16;
        len -= 16;
        _cleanup_free_ unsigned char *chunk = malloc(CHUNK);
        if (!chunk)
                return -ENOMEM;
        uint64_t counter = 0;
        bool final = false;
        while (!final) {
                size_t n = len < CHUNK + TAG_LEN ? len : CHUNK + TAG_LEN;
                if (n < TAG_LEN) {
                        r = error_set(err, AGE_E_PAYLOAD, NULL, 0, 0, NULL,
                                      "the payload ends without its final chunk");
                        break;
                }
                final = n == len;
                for (int i = 0; i < 8; i++)
                        nonce[3 + i] = (unsigned char)(counter >> (56 - 8 * i));
                nonce[11] = final ? 1 : 0;
                r = chacha(false, key, nonce, p, n, chunk);
                if (r == 0 && final && n == CHUNK + TAG_LEN) {
                        /* A full last chunk that is not final: the file was cut after it. */
                        nonce[11] = 0;
                        r = chacha(false, key, nonce, p, n, chunk) == 1 ? 0 : 0;
                }
                if (r <= 0) {
                        r = r < 0 ? r
                                  : error_set(err, AGE_E_PAYLOAD, NULL, 0, 0, NULL,
                                              "the payload does not decrypt");
                        break;
                }
                if (final && n == TAG_LEN && counter > 0) {
                        r = error_set(err, AGE_E_PAYLOAD, NULL, 0, 0, NULL, "an empty final chunk");
                        break;
                }
                if ((r = strbuf_add(out, chunk, n - TAG_LEN)) < 0)
                        break;
                OPENSSL_cleanse(chunk, n - TAG_LEN);
                p += n;
                len -= n;
                counter++;
        }
        OPENSSL_cleanse(key, sizeof(key));
        OPENSSL_cleanse(chunk, CHUNK);
        return r < 0 ? r : 0;
}

void age_plain_free(unsigned char *plain, size_t len)
{
        if (plain)
                OPENSSL_cleanse(plain, len);
        free(plain);
}

int age_decrypt(const AgeIdentities *ids, const void *data, size_t len, unsigned char **ret, size_t *ret_len,
                BerthError *err)
{
        _cleanup_free_ unsigned char *dearmored = NULL;
        size_t n = len;
        const char *d = data;
        int r;
        if (!starts_with(data, len, VERSION_LINE) && age_is_file(data, len)) {
                if ((r = armor_decode(data, len, &dearmored, &n, err)) < 0)
                        return r;
                d = (const char *)dearmored;
        }
        Header *h = calloc(1, sizeof(Header));
        unsigned char file_key[FILE_KEY_LEN], mac_key[32], mac[32];
        unsigned x25519_stanzas = 0;
        int found = 0;
        StrBuf out = STRBUF_INIT;
        if (!h)
                return -ENOMEM;
        if ((r = header_parse(d, n, h, err)) < 0)
                goto done;
        for (size_t i = 0; i < h->n && r >= 0; i++) {
                const Stanza *s = &h->stanzas[i];
                if (!arg_is(s, 0, "X25519"))
                        continue; /* another recipient type: not ours to read */
                x25519_stanzas++;
                if (!found && (r = unwrap_x25519(s, ids, file_key, err)) > 0)
                        found = 1;
        }
        if (r < 0)
                goto done;
        if (!found) {
                r = error_set(err, AGE_E_NO_MATCH, NULL, 0, 0, NULL,
                              "no identity matches: the file is for %u X25519 recipient%s, none of the %zu "
                              "identities given",
                              x25519_stanzas, x25519_stanzas == 1 ? "" : "s", ids->n);
                goto done;
        }
        unsigned int ml = 0;
        if ((r = hkdf(file_key, FILE_KEY_LEN, "", 0, "header", mac_key)) < 0 ||
            !HMAC(EVP_sha256(), mac_key, 32, (const unsigned char *)d, h->mac_end, mac, &ml)) {
                r = r < 0 ? r : -EIO;
                goto done;
        }
        if (CRYPTO_memcmp(mac, h->mac, 32) != 0) {
                r = error_set(err, AGE_E_MAC, NULL, 0, 0, NULL,
                              "the header's MAC does not verify: the file was changed");
                goto done;
        }
        if ((r = payload_decrypt(file_key, (const unsigned char *)d + h->end, n - h->end, &out, err)) < 0)
                goto done;
        *ret_len = out.len;
        if (!(*ret = (unsigned char *)strbuf_detach(&out)))
                r = -ENOMEM;
done:
        if (out.buf)
                OPENSSL_cleanse(out.buf, out.alloc);
        strbuf_done(&out);
        OPENSSL_cleanse(file_key, sizeof(file_key));
        OPENSSL_cleanse(mac_key, sizeof(mac_key));
        header_done(h);
        free(h);
        return r < 0 ? r : 0;
}

int age_encrypt(const unsigned char (*recipients)[AGE_KEY_LEN], size_t n, const void *plain, size_t len,
                bool armor, char **ret, size_t *ret_len, BerthError *err)
{
        unsigned char file_key[FILE_KEY_LEN], eph[32], share[32], shared[32], salt[64], key[32], body[32];
        unsigned char mac_key[32], mac[32], nonce16[16], nonce[12] = { 0 };
        static const unsigned char zero_nonce[12];
        _cleanup_strbuf_ StrBuf f = STRBUF_INIT;
        _cleanup_free_ unsigned char *chunk = malloc(CHUNK + TAG_LEN);
        int r = 0;
        if (!chunk)
                return -ENOMEM;
        if (n == 0)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "no recipient to encrypt to");
        if (RAND_bytes(file_key, sizeof(file_key)) != 1 || RAND_bytes(nonce16, sizeof(nonce16)) != 1)
                return error_set(err, -EIO, NULL, 0, 0, NULL, "no randomness");
        r = strbuf_addstr(&f, VERSION_LINE);
        for (size_t i = 0; i < n && r >= 0; i++) {
                if (RAND_bytes(eph, sizeof(eph)) != 1 || x25519_public(eph, share) < 0 ||
                    x25519(eph, recipients[i], shared) < 0) {
                        r = -EIO;
                        break;
                }
                memcpy(salt, share, 32);
                memcpy(salt + 32, recipients[i], 32);
                if ((r = hkdf(shared, 32, salt, 64, X25519_INFO, key)) < 0 ||
                    (r = chacha(true, key, zero_nonce, file_key, FILE_KEY_LEN, body)) < 0)
                        break;
                if ((r = strbuf_addstr(&f, "-> X25519 ")) >= 0 &&
                    (r = base64_encode(&f, share, 32, false)) >= 0 && (r = strbuf_addch(&f, '\n')) >= 0 &&
                    (r = base64_encode(&f, body, 32, false)) >= 0)
                        r = strbuf_addch(&f, '\n');
        }
        OPENSSL_cleanse(eph, sizeof(eph));
        OPENSSL_cleanse(shared, sizeof(shared));
        OPENSSL_cleanse(key, sizeof(key));
        unsigned int ml = 0;
        if (r >= 0 && (r = strbuf_addstr(&f, "---")) >= 0 &&
            (r = hkdf(file_key, FILE_KEY_LEN, "", 0, "header", mac_key)) >= 0 &&
            !HMAC(EVP_sha256(), mac_key, 32, (const unsigned char *)f.buf, f.len, mac, &ml))
                r = -EIO;
        if (r >= 0 && (r = strbuf_addch(&f, ' ')) >= 0 && (r = base64_encode(&f, mac, 32, false)) >= 0 &&
            (r = strbuf_addch(&f, '\n')) >= 0)
                r = strbuf_add(&f, nonce16, 16);
        if (r >= 0)
                r = hkdf(file_key, FILE_KEY_LEN, nonce16, 16, "payload", key);
        const unsigned char *p = plain;
        uint64_t counter = 0;
        for (bool final = false; r >= 0 && !final; counter++) {
                size_t k = len < CHUNK ? len : CHUNK;
                final = k == len;
                for (int i = 0; i < 8; i++)
                        nonce[3 + i] = (unsigned char)(counter >> (56 - 8 * i));
                nonce[11] = final ? 1 : 0;
                if ((r = chacha(true, key, nonce, p, k, chunk)) >= 0)
                        r = strbuf_add(&f, chunk, k + TAG_LEN);
                p += k;
                len -= k;
        }
        OPENSSL_cleanse(file_key, sizeof(file_key));
        OPENSSL_cleanse(key, sizeof(key));
        OPENSSL_cleanse(mac_key, sizeof(mac_key));
        if (r < 0)
                return r == -EIO ? error_set(err, r, NULL, 0, 0, NULL, "encryption failed") : r;
        if (armor) {
                _cleanup_strbuf_ StrBuf a = STRBUF_INIT;
                if ((r = armor_encode((const unsigned char *)f.buf, f.len, &a)) < 0)
                        return r;
                *ret_len = a.len;
                *ret = strbuf_detach(&a);
        } else {
                *ret_len = f.len;
                *ret = strbuf_detach(&f);
        }
        return *ret ? 0 : -ENOMEM;
}
