/* fuzz-sops.c: libFuzzer target for SOPS documents (secrets/sops.c, sops-store.c): the five formats'
 * readers, the flattened metadata, the value cipher's text form, the rules, key groups and the MAC.
 * The first byte picks the format; the rest is the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secrets/sops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The key the corpus was encrypted to (the age spec's example), so inputs reach the values. */
        static const char id[] =
                "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
        AgeIdentities ids = { 0 };
        SopsPlain plain = { 0 };

        if (size < 1)
                return 0;
        SopsFormat f = (SopsFormat)(data[0] % 5);
        const char *doc = (const char *)data + 1;
        size_t len = size - 1;
        if (age_identities_add(&ids, id, strlen(id), "fuzz", NULL) < 0)
                abort();
        if (sops_decrypt(f, doc, len, "fuzz", &ids, &plain, NULL) > 0) {
                /* What decrypts encrypts again, and that decrypts to the same plain text. */
                char *again = NULL;
                size_t again_len = 0;
                SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN]) &
                                                       ids.items[0].public_key,
                                         .n_recipients = 1 };
                if (f != SOPS_BINARY &&
                    sops_encrypt(f, plain.data, plain.len, "fuzz", &o, &again, &again_len, NULL) == 0) {
                        SopsPlain back = { 0 };
                        if (sops_decrypt(f, again, again_len, "fuzz", &ids, &back, NULL) != 1)
                                abort();
                        sops_plain_done(&back);
                        free(again);
                }
                sops_plain_done(&plain);
        }
        age_identities_done(&ids);
        return 0;
}
