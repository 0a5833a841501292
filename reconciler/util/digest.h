/* digest.h: SHA-256 through OpenSSL's EVP interface, in hex. */
#pragma once

#include "cleanup.h"

#include <stddef.h>

#define DIGEST_HEX_LEN 64

typedef struct Digest Digest;

Digest *digest_new(void);
Digest *digest_free(Digest *d);
int digest_update(Digest *d, const void *data, size_t len);
/* Writes 64 hex characters and a NUL into hex. */
int digest_final_hex(Digest *d, char hex[DIGEST_HEX_LEN + 1]);

DEFINE_TRIVIAL_CLEANUP_FUNC(Digest *, digest_free)

/* HMAC-SHA256 of data under key, as 64 hex characters and a NUL: the one keyed hash berth names secret
 * content by (content hashes, redacted values, swarm object names). */
int digest_hmac_hex(const unsigned char *key, size_t key_len, const void *data, size_t len,
                    char hex[DIGEST_HEX_LEN + 1]);

/* Writes 2*n random hex characters (from the OS's generator) and a NUL into hex. */
int random_hex(char *hex, size_t n);
