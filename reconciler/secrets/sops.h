/* sops.h: SOPS documents (github.com/getsops/sops, file format of sops 3) with age keys.
 *
 * A SOPS document keeps its structure and keys in clear and encrypts each value with AES-256-GCM under
 * one data key, with the value's path as additional data; the data key travels encrypted to each age
 * recipient (or, with key groups, split by Shamir's scheme); a MAC (SHA-512 over the plain values, in
 * order, itself encrypted) makes a changed, removed or reordered value detectable. berth reads and
 * writes the five formats sops picks by a file's extension: YAML, JSON, dotenv, INI, and binary (any
 * other name: the whole file is one value, kept in a JSON document).
 *
 * Decryption is all or nothing: a document whose MAC does not verify, or one value of which does not
 * decrypt, yields no plain text at all. Messages name the file and the value's path, never a value. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"
#include "../util/strbuf.h"
#include "age.h"

typedef enum SopsFormat {
        SOPS_YAML,
        SOPS_JSON,
        SOPS_DOTENV,
        SOPS_INI,
        SOPS_BINARY,
} SopsFormat;

/* The format sops gives a file of that name. */
SopsFormat sops_format_of(const char *path);
const char *sops_format_name(SopsFormat f);

/* Cheap: whether data may be a SOPS document of format f (a plain file is almost always ruled out
 * without parsing it). */
bool sops_maybe(SopsFormat f, const char *data, size_t len);

/* The names a SOPS dotenv file sets, as "NAME=" lines with no value, appended to out: what a stack
 * needs to be checked by someone without the key (berth-api), and nothing of the values. */
int sops_dotenv_names(const char *data, size_t len, StrBuf *out);

typedef struct SopsPlain {
        char *data; /* the plain text, as `sops --decrypt` writes it; wiped by sops_plain_done() */
        size_t len;
        /* A key for hashing this plain text, derived from the age identity that opened the document: it
         * is the same on every host holding that key, and unknown to anyone who holds only the repo. */
        unsigned char hash_key[32];
} SopsPlain;

void sops_plain_done(SopsPlain *p);

/* 0 when data is no SOPS document (*ret untouched); 1 with the plain text in *ret; negative with err
 * saying what is wrong and what to do (no key matches: the file's recipients; MAC mismatch; unknown
 * version; a value that does not decrypt). */
int sops_decrypt(SopsFormat f, const char *data, size_t len, const char *file, const AgeIdentities *ids,
                 SopsPlain *ret, BerthError *err);

typedef struct SopsEncryptOptions {
        const unsigned char (*recipients)[AGE_KEY_LEN];
        size_t n_recipients;
        /* At most one of these four (sops's rule); none: unencrypted_suffix "_unencrypted". */
        const char *encrypted_regex;
        const char *unencrypted_regex;
        const char *encrypted_suffix;
        const char *unencrypted_suffix;
        bool mac_only_encrypted;
} SopsEncryptOptions;

/* Encrypts plain (a document of format f) to the recipients; the result is what sops writes. */
int sops_encrypt(SopsFormat f, const char *plain, size_t len, const char *file, const SopsEncryptOptions *o,
                 char **ret, size_t *ret_len, BerthError *err);

/* old (a SOPS document) re-encrypted with plain as its new content, as `sops edit` does it: the same
 * data key, recipients and rules, and the same ciphertext for every value that did not change, so that
 * a review's diff shows only what changed. ids must open old. */
int sops_edit(SopsFormat f, const char *old, size_t old_len, const char *plain, size_t len, const char *file,
              const AgeIdentities *ids, char **ret, size_t *ret_len, BerthError *err);
