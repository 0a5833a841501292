/* age.h: the age file format (age-encryption.org/v1) with X25519 recipients, on OpenSSL 3 alone.
 *
 * What SOPS files carry as their data key's envelope, read and written as the age tool does: the
 * binary format and its ASCII armor, the header's stanzas and MAC, the STREAM payload. Only native
 * X25519 stanzas are unwrapped; other stanzas are skipped, as the spec asks. Parsing is strict (canonical
 * base64, exact lengths), so that a file that another implementation would refuse is refused here too.
 *
 * Secret material (identities, file keys, plain text) is wiped before its memory is freed. Returned
 * buffers belong to the caller; age_plain_free() wipes and frees a decrypted one. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"

#define AGE_KEY_LEN 32

typedef struct AgeIdentity {
        unsigned char secret[AGE_KEY_LEN];
        unsigned char public_key[AGE_KEY_LEN];
} AgeIdentity;

typedef struct AgeIdentities {
        AgeIdentity *items;
        size_t n;
} AgeIdentities;

/* The failures a caller tells apart (the test vectors of the age project name the same classes). */
enum {
        AGE_E_HEADER = -EINVAL,    /* the header (or armor) does not parse */
        AGE_E_NO_MATCH = -ENOKEY,  /* no stanza is addressed to any identity given */
        AGE_E_MAC = -EKEYREJECTED, /* the header's MAC does not verify: it was changed */
        AGE_E_PAYLOAD = -EBADMSG,  /* the payload does not decrypt to its end */
};

/* Adds the identities in text: lines of "AGE-SECRET-KEY-1...", blank lines and "#" comments, as
 * age-keygen writes a keys file and SOPS_AGE_KEY holds them. Errors name the line, never the key. */
int age_identities_add(AgeIdentities *ids, const char *text, size_t len, const char *what, BerthError *err);
void age_identities_done(AgeIdentities *ids);

/* "age1..." to its 32 bytes, and back (ret: at least 63 bytes). */
int age_recipient_parse(const char *text, unsigned char ret[AGE_KEY_LEN], BerthError *err);
int age_recipient_format(const unsigned char key[AGE_KEY_LEN], char *ret, size_t size);

/* Whether data is an age file (binary or armored). */
bool age_is_file(const void *data, size_t len);
/* Decrypts data (binary or armored). On AGE_E_NO_MATCH, err says how many X25519 recipients the file
 * has and how many identities were tried; never a secret. */
int age_decrypt(const AgeIdentities *ids, const void *data, size_t len, unsigned char **ret, size_t *ret_len,
                BerthError *err);
void age_plain_free(unsigned char *plain, size_t len);
/* Encrypts plain to each recipient; armored as the age tool's -a writes it when armor is set. */
int age_encrypt(const unsigned char (*recipients)[AGE_KEY_LEN], size_t n, const void *plain, size_t len,
                bool armor, char **ret, size_t *ret_len, BerthError *err);
