/* test-age.c: the age envelope (secrets/age.h) against the spec's own example keys and against the age
 * tool itself (Debian's age, the reference implementation): what age encrypts, berth decrypts; what berth
 * encrypts, age decrypts; armored and binary. A changed header, a changed payload, a cut file and the wrong
 * key are each refused with their own error. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "secrets/age.h"
#include "tap.h"

static char dir[64];

/* Runs a shell command; every "%s" in fmt is the test's directory. Returns its output (owned). */
static __attribute__((format(printf, 1, 2))) char *sh(const char *fmt, ...)
{
        char cmd[2048], *out = calloc(1, 1 << 20);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        FILE *f = popen(cmd, "r");
        size_t n = f ? fread(out, 1, (1 << 20) - 1, f) : 0;
        if (f)
                pclose(f);
        out[n] = '\0';
        return out;
}

/* A file of the test's directory, whole (owned). */
static char *slurp(const char *name, size_t *ret_len)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "rbe");
        char *buf = calloc(1, 1 << 22);
        size_t n = f ? fread(buf, 1, (1 << 22) - 1, f) : 0;
        if (f)
                fclose(f);
        *ret_len = n;
        return buf;
}

/* The spec's example identity and the recipient it gives (c2sp.org/age, "The X25519 recipient type"). */
TEST(spec_example_keys)
{
        const char *id = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
        AgeIdentities ids = { 0 };
        BerthError err = { 0 };
        ASSERT_OK(age_identities_add(&ids, id, strlen(id), "example", &err));
        ASSERT_EQ(ids.n, 1u);
        char rec[100];
        ASSERT_OK(age_recipient_format(ids.items[0].public_key, rec, sizeof(rec)));
        ASSERT_STREQ(rec, "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj");
        unsigned char back[AGE_KEY_LEN];
        ASSERT_OK(age_recipient_parse(rec, back, &err));
        ASSERT_TRUE(memcmp(back, ids.items[0].public_key, AGE_KEY_LEN) == 0);
        /* A changed character breaks the checksum; the message never shows the line. */
        char bad[100];
        snprintf(bad, sizeof(bad), "%s", id);
        bad[20] = bad[20] == 'Q' ? 'P' : 'Q';
        err = (BerthError){ 0 };
        ASSERT_EQ(age_identities_add(&ids, bad, strlen(bad), "keys.txt", &err), -EINVAL);
        ASSERT_EQ(err.line, 1u);
        ASSERT_TRUE(strstr(err.msg, "GFPYY") == NULL);
        ASSERT_EQ(age_recipient_parse("age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk", back,
                                      NULL),
                  -EINVAL);
        age_identities_done(&ids);
}

TEST(interoperates_with_the_age_tool)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-age-XXXXXX");
        ASSERT_TRUE(mkdtemp(dir) != NULL);
        /* The tool must be there: a missing one fails the test, it does not skip it. */
        char *v = sh("age --version 2>&1; age-keygen -o %s/keys.txt 2>&1", dir);
        ASSERT_TRUE(strncmp(v, "v1.", 3) == 0 || strncmp(v, "1.", 2) == 0);
        free(v);
        size_t klen = 0;
        char *keys = slurp("keys.txt", &klen);
        AgeIdentities ids = { 0 };
        BerthError err = { 0 };
        ASSERT_OK(age_identities_add(&ids, keys, klen, "keys.txt", &err));
        ASSERT_EQ(ids.n, 1u);
        /* Without the tool's key there is nothing to go on with: stop here, failed, rather than crash. */
        if (ids.n != 1) {
                free(keys);
                return;
        }
        char rec[100];
        ASSERT_OK(age_recipient_format(ids.items[0].public_key, rec, sizeof(rec)));
        char *tool_rec = sh("age-keygen -y %s/keys.txt | tr -d '\\n'", dir);
        ASSERT_STREQ(rec, tool_rec);

        /* age encrypts, berth decrypts: armored, binary, and a payload of several chunks. */
        free(sh("printf 'db-password: s3cr3t\\n' | age -r %s -a -o %s/small.age", tool_rec, dir));
        free(sh("head -c 200000 /dev/urandom >%s/big && age -r %s -o %s/big.age %s/big", dir, tool_rec, dir,
                dir));
        size_t n = 0, out_len = 0, big_len = 0;
        unsigned char *out = NULL;
        char *small = slurp("small.age", &n);
        ASSERT_TRUE(age_is_file(small, n));
        ASSERT_OK(age_decrypt(&ids, small, n, &out, &out_len, &err));
        ASSERT_TRUE(out_len == 20 && memcmp(out, "db-password: s3cr3t\n", 20) == 0);
        age_plain_free(out, out_len);
        char *bige = slurp("big.age", &n);
        char *big = slurp("big", &big_len);
        ASSERT_OK(age_decrypt(&ids, bige, n, &out, &out_len, &err));
        ASSERT_TRUE(out_len == big_len && memcmp(out, big, big_len) == 0);
        age_plain_free(out, out_len);

        /* A changed payload byte, a changed header, a cut file, another key: each its own error. */
        bige[n - 100] ^= 1;
        ASSERT_EQ(age_decrypt(&ids, bige, n, &out, &out_len, &err), AGE_E_PAYLOAD);
        bige[n - 100] ^= 1;
        ASSERT_EQ(age_decrypt(&ids, bige, n - 70000, &out, &out_len, &err), AGE_E_PAYLOAD);
        char *mac = strstr(bige, "\n--- ");
        mac[10] = mac[10] == 'A' ? 'B' : 'A';
        ASSERT_EQ(age_decrypt(&ids, bige, n, &out, &out_len, &err), AGE_E_MAC);
        AgeIdentities other = { 0 };
        const char *example = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
        ASSERT_OK(age_identities_add(&other, example, strlen(example), "example", &err));
        err = (BerthError){ 0 };
        ASSERT_EQ(age_decrypt(&other, small, strlen(small), &out, &out_len, &err), AGE_E_NO_MATCH);
        ASSERT_TRUE(strstr(err.msg, "1 X25519 recipient") != NULL);

        /* berth encrypts (to the tool's key and another), age decrypts: armored and binary. */
        const unsigned char(*to)[AGE_KEY_LEN] = NULL;
        unsigned char two[2][AGE_KEY_LEN];
        memcpy(two[0], other.items[0].public_key, AGE_KEY_LEN);
        memcpy(two[1], ids.items[0].public_key, AGE_KEY_LEN);
        to = (const unsigned char(*)[AGE_KEY_LEN])two;
        for (int armor = 0; armor < 2; armor++) {
                char *enc = NULL, path[128];
                size_t enc_len = 0;
                ASSERT_OK(age_encrypt(to, 2, big, big_len, armor, &enc, &enc_len, &err));
                snprintf(path, sizeof(path), "%s/by-berth-%d.age", dir, armor);
                FILE *f = fopen(path, "we");
                fwrite(enc, 1, enc_len, f);
                fclose(f);
                char *same = sh("age -d -i %s/keys.txt %s | cmp - %s/big && echo same", dir, path, dir);
                ASSERT_STREQ(same, "same\n");
                free(same);
                /* and berth reads its own, with either key */
                ASSERT_OK(age_decrypt(&other, enc, enc_len, &out, &out_len, &err));
                ASSERT_TRUE(out_len == big_len && memcmp(out, big, big_len) == 0);
                age_plain_free(out, out_len);
                free(enc);
        }
        age_identities_done(&ids);
        age_identities_done(&other);
        free(keys);
        free(tool_rec);
        free(small);
        free(bige);
        free(big);
        free(sh("rm -rf %s", dir));
}

TAP_MAIN()
