/* fuzz-age.c: libFuzzer target for the age envelope: the header, its stanzas, the armor, the STREAM
 * payload (secrets/age.c), and the identity and recipient encodings (Bech32). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secrets/age.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The key the corpus was made for (the spec's example), so inputs reach the MAC and payload. */
        static const char id[] =
                "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
        AgeIdentities ids = { 0 }, parsed = { 0 };
        unsigned char *out = NULL, key[AGE_KEY_LEN];
        size_t out_len = 0;
        if (age_identities_add(&ids, id, strlen(id), "fuzz", NULL) < 0)
                abort();
        if (age_decrypt(&ids, data, size, &out, &out_len, NULL) == 0)
                age_plain_free(out, out_len);
        (void)age_identities_add(&parsed, (const char *)data, size, "fuzz", NULL);
        char *text = strndup((const char *)data, size < 300 ? size : 300);
        if (text)
                (void)age_recipient_parse(text, key, NULL);
        free(text);
        age_identities_done(&parsed);
        age_identities_done(&ids);
        return 0;
}
