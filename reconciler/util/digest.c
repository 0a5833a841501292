/* digest.c: SHA-256 hashing with OpenSSL. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

#include "digest.h"

static void to_hex(const unsigned char *md, size_t n, char *hex)
{
        for (size_t i = 0; i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

struct Digest {
        EVP_MD_CTX *ctx;
};

Digest *digest_new(void)
{
        Digest *d = calloc(1, sizeof(*d));
        if (!d)
                return NULL;
        d->ctx = EVP_MD_CTX_new();
        if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1)
                return digest_free(d);
        return d;
}

Digest *digest_free(Digest *d)
{
        if (!d)
                return NULL;
        EVP_MD_CTX_free(d->ctx);
        free(d);
        return NULL;
}

int digest_update(Digest *d, const void *data, size_t len)
{
        return EVP_DigestUpdate(d->ctx, data, len) == 1 ? 0 : -EIO;
}

int digest_final_hex(Digest *d, char hex[DIGEST_HEX_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (EVP_DigestFinal_ex(d->ctx, md, &n) != 1 || n != 32)
                return -EIO;
        to_hex(md, n, hex);
        return 0;
}

int digest_hmac_hex(const unsigned char *key, size_t key_len, const void *data, size_t len,
                    char hex[DIGEST_HEX_LEN + 1])
{
        unsigned char mac[32];
        unsigned int n = 0;
        if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, mac, &n) || n != sizeof(mac))
                return -EIO;
        to_hex(mac, sizeof(mac), hex);
        return 0;
}

int random_hex(char *hex, size_t n)
{
        unsigned char buf[64];
        if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1)
                return -EIO;
        to_hex(buf, n, hex);
        return 0;
}
