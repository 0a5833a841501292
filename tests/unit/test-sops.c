/* test-sops.c: SOPS documents (secrets/sops.h): every format round trip, the rules that pick which
 * values are encrypted, the MAC against changed, reordered, removed and re-typed values, several
 * recipients, key groups joined by Shamir's scheme, and the errors for a wrong key, an unknown version
 * and a value that does not decrypt. What another implementation writes and reads is checked by
 * tests/integration/test-sops-interop.sh (sops-age, and a writer in Python). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "compose/project.h"
#include "secrets/age.h"
#include "secrets/sops.h"
#include "tap.h"

/* The age spec's example identity, and two more made for this test by age-keygen. */
static const char *const KEY1 = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
static const char *const KEY2 = "AGE-SECRET-KEY-1Y2GRVRWS39EUGEPJVDMRNUZ3M2VHHMPSHZDEUDGWDMZUAQ5XAKHS8SAY47";
static const char *const KEY3 = "AGE-SECRET-KEY-1VA0YCA2PLQ382PX7SV48C3U9QHV90QHSUE8SVXZ32TN9EAHEYYES2ZNMNA";

typedef struct Keys {
        AgeIdentities ids[3];
        unsigned char rcpt[3][AGE_KEY_LEN];
} Keys;

static void keys_init(Keys *k)
{
        const char *src[] = { KEY1, KEY2, KEY3 };
        memset(k, 0, sizeof(*k));
        for (int i = 0; i < 3; i++) {
                BerthError err = { 0 };
                if (age_identities_add(&k->ids[i], src[i], strlen(src[i]), "test", &err) < 0 ||
                    k->ids[i].n != 1)
                        TAP_FAIL("key %d: %s", i, err.msg);
                else
                        memcpy(k->rcpt[i], k->ids[i].items[0].public_key, AGE_KEY_LEN);
        }
}

static void keys_done(Keys *k)
{
        for (int i = 0; i < 3; i++)
                age_identities_done(&k->ids[i]);
}

static char *enc(SopsFormat f, const char *plain, const SopsEncryptOptions *o)
{
        char *out = NULL;
        size_t len = 0;
        BerthError err = { 0 };
        int r = sops_encrypt(f, plain, strlen(plain), "test", o, &out, &len, &err);
        if (r < 0)
                TAP_FAIL("encrypt: %d %s", r, err.msg);
        return out;
}

/* Decrypts doc; returns the result, the plain text in *ret (owned), the error in *err. */
static int dec(SopsFormat f, const char *doc, const AgeIdentities *ids, char **ret, BerthError *err)
{
        SopsPlain p = { 0 };
        int r = sops_decrypt(f, doc, strlen(doc), "test.file", ids, &p, err);
        if (r > 0 && ret)
                *ret = strndup(p.data, p.len);
        sops_plain_done(&p);
        return r;
}

/* doc with the first "from" replaced by "to" (owned). */
static char *replace(const char *doc, const char *from, const char *to)
{
        const char *at = strstr(doc, from);
        if (!at)
                return strdup(doc);
        size_t n = strlen(doc) - strlen(from) + strlen(to);
        char *out = calloc(1, n + 1);
        memcpy(out, doc, (size_t)(at - doc));
        strcat(out, to);
        strcat(out, at + strlen(from));
        return out;
}

TEST(round_trip_every_format)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 1 };
        static const struct {
                SopsFormat f;
                const char *plain, *want;
        } cases[] = {
                { SOPS_YAML,
                  "db:\n  password: s3cr3t\n  port: 5432\n  ratio: 1.5\n  tls: true\nlist:\n- a\n- 2\n",
                  NULL },
                { SOPS_JSON, "{\"a\": {\"b\": \"c\", \"n\": 3}, \"arr\": [1, \"x\", false]}",
                  "{\n  \"a\": {\n    \"b\": \"c\",\n    \"n\": 3\n  },\n  \"arr\": [1, \"x\", "
                  "false]\n}\n" },
                { SOPS_DOTENV, "DB_PASSWORD=hunter2\nMULTI=a\\nb\n# a note\nTOKEN=x=y\n", NULL },
                { SOPS_INI, "top = 1\n\n[db]\npassword = pw\n; a comment\nuser = me\n", NULL },
                { SOPS_BINARY, "any\x01 bytes\nat all\xff", NULL },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *doc = enc(cases[i].f, cases[i].plain, &o), *plain = NULL;
                BerthError err = { 0 };
                ASSERT_TRUE(doc && strstr(doc, "ENC[AES256_GCM,data:"));
                /* No plain value is left in the document: the secrets are gone from it. */
                ASSERT_TRUE(doc && !strstr(doc, "hunter2") && !strstr(doc, "s3cr3t") &&
                            !strstr(doc, "bytes"));
                ASSERT_EQ(dec(cases[i].f, doc, &k.ids[0], &plain, &err), 1);
                ASSERT_STREQ(plain ? plain : "", cases[i].want ? cases[i].want : cases[i].plain);
        }
        keys_done(&k);
}

TEST(plain_files_are_not_documents)
{
        Keys k;
        keys_init(&k);
        const char *plain[] = { "A=1\nB=2\n", "services:\n  web:\n    image: x\n",
                                "{\"mac\": 1, \"sops\": 2}", "mac lastmodified sops but no document" };
        SopsFormat fs[] = { SOPS_DOTENV, SOPS_YAML, SOPS_JSON, SOPS_BINARY };
        for (size_t i = 0; i < 4; i++) {
                BerthError err = { 0 };
                ASSERT_EQ(dec(fs[i], plain[i], &k.ids[0], NULL, &err), 0);
                ASSERT_TRUE(!err.set);
        }
        ASSERT_EQ(sops_format_of("stacks/a/.env"), SOPS_DOTENV);
        ASSERT_EQ(sops_format_of("db.enc.yml"), SOPS_YAML);
        ASSERT_EQ(sops_format_of("x.ini"), SOPS_INI);
        ASSERT_EQ(sops_format_of("a.json"), SOPS_JSON);
        ASSERT_EQ(sops_format_of("dir.yaml/password"), SOPS_BINARY);
        keys_done(&k);
}

TEST(mac_refuses_changes)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 1 };
        _cleanup_free_ char *doc = enc(SOPS_YAML, "a: one\nb: two\nuser_unencrypted: app\n", &o);
        BerthError err = { 0 };

        /* Reordered values: each still decrypts, the MAC does not. */
        char *a = strstr(doc, "a: ENC"), *b = strstr(doc, "b: ENC"), *nl_a = strchr(a, '\n'),
             *nl_b = strchr(b, '\n');
        _cleanup_free_ char *swapped = calloc(1, strlen(doc) + 1);
        strncat(swapped, doc, (size_t)(a - doc));
        strncat(swapped, b, (size_t)(nl_b - b + 1));
        strncat(swapped, a, (size_t)(nl_a - a + 1));
        strcat(swapped, nl_b + 1);
        ASSERT_EQ(dec(SOPS_YAML, swapped, &k.ids[0], NULL, &err), -EBADMSG);
        ASSERT_TRUE(strstr(err.msg, "MAC mismatch") != NULL);

        /* A plain value covered by the MAC, changed. */
        err = (BerthError){ 0 };
        _cleanup_free_ char *changed = replace(doc, "user_unencrypted: app", "user_unencrypted: root");
        ASSERT_EQ(dec(SOPS_YAML, changed, &k.ids[0], NULL, &err), -EBADMSG);

        /* A value removed. */
        err = (BerthError){ 0 };
        _cleanup_free_ char *removed = strndup(doc, (size_t)(a - doc));
        removed = realloc(removed, strlen(doc) + 1);
        strcat(removed, nl_a + 1);
        ASSERT_EQ(dec(SOPS_YAML, removed, &k.ids[0], NULL, &err), -EBADMSG);

        /* A value moved to another key: its path is its additional data, so it does not decrypt. */
        err = (BerthError){ 0 };
        _cleanup_free_ char *moved = replace(doc, "a: ENC", "z: ENC");
        ASSERT_EQ(dec(SOPS_YAML, moved, &k.ids[0], NULL, &err), -EBADMSG);
        ASSERT_STREQ(err.path, "z");
        ASSERT_TRUE(strstr(err.msg, "does not decrypt") != NULL);

        /* A value's type changed: the tag covers the bytes, the MAC the typed value. */
        err = (BerthError){ 0 };
        _cleanup_free_ char *retyped = replace(strstr(doc, "a: ENC"), "type:str", "type:int");
        _cleanup_free_ char *whole = calloc(1, strlen(doc) + 8);
        strncat(whole, doc, (size_t)(strstr(doc, "a: ENC") - doc));
        strcat(whole, retyped);
        ASSERT_TRUE(dec(SOPS_YAML, whole, &k.ids[0], NULL, &err) < 0);

        /* A bit of the MAC itself. */
        err = (BerthError){ 0 };
        char *mac = strstr(doc, "mac: ENC[AES256_GCM,data:");
        ASSERT_TRUE(mac != NULL);
        mac += strlen("mac: ENC[AES256_GCM,data:");
        *mac = *mac == 'A' ? 'B' : 'A';
        ASSERT_EQ(dec(SOPS_YAML, doc, &k.ids[0], NULL, &err), -EBADMSG);
        keys_done(&k);
}

TEST(rules_pick_the_encrypted_values)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 1,
                                 .encrypted_regex = "^(data|stringData)$" };
        const char *plain = "kind: Secret\ndata:\n  password: pw\n  nested:\n    deep: v\nname: web\n";
        _cleanup_free_ char *doc = enc(SOPS_YAML, plain, &o), *back = NULL;
        BerthError err = { 0 };
        ASSERT_TRUE(doc && strstr(doc, "kind: Secret") && strstr(doc, "name: web"));
        ASSERT_TRUE(doc && strstr(doc, "password: ENC[") && strstr(doc, "deep: ENC["));
        ASSERT_TRUE(doc && strstr(doc, "encrypted_regex: ^(data|stringData)$"));
        ASSERT_EQ(dec(SOPS_YAML, doc, &k.ids[0], &back, &err), 1);
        ASSERT_STREQ(back ? back : "", plain);

        /* encrypted_suffix: only keys that end so. */
        SopsEncryptOptions s = { .recipients = o.recipients,
                                 .n_recipients = 1,
                                 .encrypted_suffix = "_secret" };
        _cleanup_free_ char *doc2 = enc(SOPS_DOTENV, "USER=app\nPASS_secret=pw\n", &s), *back2 = NULL;
        ASSERT_TRUE(doc2 && strstr(doc2, "USER=app\n") && strstr(doc2, "PASS_secret=ENC["));
        ASSERT_EQ(dec(SOPS_DOTENV, doc2, &k.ids[0], &back2, &err), 1);
        ASSERT_STREQ(back2 ? back2 : "", "USER=app\nPASS_secret=pw\n");

        /* Two rules at once are refused, as sops refuses them. */
        SopsEncryptOptions two = o;
        two.unencrypted_suffix = "_plain";
        char *out = NULL;
        size_t len;
        ASSERT_EQ(sops_encrypt(SOPS_YAML, plain, strlen(plain), "t", &two, &out, &len, &err), -EINVAL);
        keys_done(&k);
}

TEST(mac_only_encrypted)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 1,
                                 .encrypted_regex = "^pass",
                                 .mac_only_encrypted = true };
        _cleanup_free_ char *doc = enc(SOPS_YAML, "user: app\npassword: pw\n", &o), *back = NULL;
        BerthError err = { 0 };
        ASSERT_TRUE(doc && strstr(doc, "mac_only_encrypted: true"));
        /* A value left in clear is outside this MAC: changing it is allowed... */
        _cleanup_free_ char *changed = replace(doc, "user: app", "user: other");
        ASSERT_EQ(dec(SOPS_YAML, changed, &k.ids[0], &back, &err), 1);
        ASSERT_STREQ(back ? back : "", "user: other\npassword: pw\n");
        /* ...but not turning the setting off, which changes what the MAC covers. */
        _cleanup_free_ char *off = replace(doc, "mac_only_encrypted: true", "mac_only_encrypted: false");
        ASSERT_EQ(dec(SOPS_YAML, off, &k.ids[0], NULL, &err), -EBADMSG);
        keys_done(&k);
}

TEST(recipients_and_wrong_keys)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 2 };
        _cleanup_free_ char *doc = enc(SOPS_DOTENV, "A=secret\n", &o);
        BerthError err = { 0 };
        ASSERT_EQ(dec(SOPS_DOTENV, doc, &k.ids[0], NULL, &err), 1);
        ASSERT_EQ(dec(SOPS_DOTENV, doc, &k.ids[1], NULL, &err), 1);
        ASSERT_EQ(dec(SOPS_DOTENV, doc, &k.ids[2], NULL, &err), -ENOKEY);
        char r1[100], r2[100];
        age_recipient_format(k.rcpt[0], r1, sizeof(r1));
        age_recipient_format(k.rcpt[1], r2, sizeof(r2));
        ASSERT_TRUE(strstr(err.msg, r1) && strstr(err.msg, r2));
        ASSERT_TRUE(strstr(err.hint, "SOPS_AGE_KEY") != NULL);
        ASSERT_TRUE(!strstr(err.msg, "AGE-SECRET") && !strstr(err.msg, "secret\n"));
        AgeIdentities none = { 0 };
        ASSERT_EQ(dec(SOPS_DOTENV, doc, &none, NULL, &err), -ENOKEY);

        /* The hash key follows the identity that opened the file: the same on every host with that key. */
        SopsPlain p1 = { 0 }, p2 = { 0 };
        ASSERT_EQ(sops_decrypt(SOPS_DOTENV, doc, strlen(doc), "t", &k.ids[0], &p1, &err), 1);
        _cleanup_free_ char *again = enc(SOPS_DOTENV, "A=secret\n", &o);
        ASSERT_EQ(sops_decrypt(SOPS_DOTENV, again, strlen(again), "t", &k.ids[0], &p2, &err), 1);
        ASSERT_TRUE(memcmp(p1.hash_key, p2.hash_key, 32) == 0);
        sops_plain_done(&p2);
        ASSERT_EQ(sops_decrypt(SOPS_DOTENV, doc, strlen(doc), "t", &k.ids[1], &p2, &err), 1);
        ASSERT_TRUE(memcmp(p1.hash_key, p2.hash_key, 32) != 0);
        sops_plain_done(&p1);
        sops_plain_done(&p2);
        keys_done(&k);
}

/* ---- key groups: the data key split as HashiCorp's shamir.Split does (y bytes, then x) ---- */

static unsigned char gmul(unsigned char a, unsigned char b)
{
        unsigned char p = 0;
        while (b) {
                if (b & 1)
                        p ^= a;
                a = (unsigned char)((a << 1) ^ (a & 0x80 ? 0x1b : 0));
                b >>= 1;
        }
        return p;
}

/* A share of secret at x for a polynomial with the given coefficients (degree threshold-1). */
static void share(const unsigned char *secret, const unsigned char coef[][32], int degree, unsigned char x,
                  unsigned char out[33])
{
        for (int b = 0; b < 32; b++) {
                unsigned char y = 0;
                for (int d = degree; d >= 1; d--)
                        y = gmul((unsigned char)(y ^ coef[d - 1][b]), x);
                out[b] = y ^ secret[b];
        }
        out[32] = x;
}

TEST(key_groups_with_shamir)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 1 };
        _cleanup_free_ char *doc = enc(SOPS_JSON, "{\"password\": \"pw\"}", &o);
        ASSERT_TRUE(doc != NULL);
        if (!doc)
                return;
        /* The data key, as the holder of KEY1 can read it. */
        cJSON *tree = cJSON_Parse(doc);
        cJSON *sops = cJSON_GetObjectItem(tree, "sops");
        const char *armored = cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(sops, "age"), 0), "enc"));
        unsigned char *key = NULL;
        size_t key_len = 0;
        BerthError err = { 0 };
        ASSERT_OK(age_decrypt(&k.ids[0], armored, strlen(armored), &key, &key_len, &err));
        ASSERT_EQ(key_len, 32u);
        if (key_len != 32)
                return;
        /* Three groups, any two of which make the key: one share to each of the three keys. */
        unsigned char coef[1][32], sh[3][33];
        RAND_bytes(coef[0], 32);
        cJSON *groups = cJSON_CreateArray();
        for (int g = 0; g < 3; g++) {
                share(key, coef, 1, (unsigned char)(17 + 40 * g), sh[g]);
                char *wrapped = NULL, rc[100];
                size_t wl;
                ASSERT_OK(age_encrypt(&k.rcpt[g], 1, sh[g], 33, true, &wrapped, &wl, &err));
                age_recipient_format(k.rcpt[g], rc, sizeof(rc));
                cJSON *entry = cJSON_CreateObject();
                cJSON_AddStringToObject(entry, "enc", wrapped);
                cJSON_AddStringToObject(entry, "recipient", rc);
                cJSON *grp = cJSON_CreateObject();
                cJSON_AddItemToArray(cJSON_AddArrayToObject(grp, "age"), entry);
                cJSON_AddItemToArray(groups, grp);
                free(wrapped);
        }
        age_plain_free(key, key_len);
        cJSON_DeleteItemFromObject(sops, "age");
        cJSON_AddItemToObject(sops, "key_groups", groups);
        cJSON_AddNumberToObject(sops, "shamir_threshold", 2);
        char *grouped = cJSON_Print(tree);
        cJSON_Delete(tree);

        /* One key opens one group only: not enough. */
        err = (BerthError){ 0 };
        ASSERT_EQ(dec(SOPS_JSON, grouped, &k.ids[1], NULL, &err), -ENOKEY);
        ASSERT_TRUE(strstr(err.msg, "1 of the file's key groups, and 2 are needed") != NULL);
        /* Two keys (any two) make the data key. */
        AgeIdentities two = { 0 };
        ASSERT_OK(age_identities_add(&two, KEY2, strlen(KEY2), "t", &err));
        ASSERT_OK(age_identities_add(&two, KEY3, strlen(KEY3), "t", &err));
        char *plain = NULL;
        ASSERT_EQ(dec(SOPS_JSON, grouped, &two, &plain, &err), 1);
        ASSERT_TRUE(plain && strstr(plain, "\"password\": \"pw\""));
        free(plain);
        age_identities_done(&two);
        free(grouped);
        keys_done(&k);
}

TEST(metadata_errors)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 1 };
        _cleanup_free_ char *doc = enc(SOPS_YAML, "a: b\n", &o);
        BerthError err = { 0 };
        _cleanup_free_ char *v2 = replace(doc, "version: \"3.9.4\"", "version: 2.0.0");
        ASSERT_EQ(dec(SOPS_YAML, v2, &k.ids[0], NULL, &err), -EPROTONOSUPPORT);
        ASSERT_TRUE(strstr(err.msg, "sops 2.0.0") != NULL);
        err = (BerthError){ 0 };
        _cleanup_free_ char *cre =
                replace(doc, "version: \"3.9.4\"", "version: \"3.9.4\"\n  encrypted_comment_regex: x");
        ASSERT_EQ(dec(SOPS_YAML, cre, &k.ids[0], NULL, &err), -EPROTONOSUPPORT);
        err = (BerthError){ 0 };
        _cleanup_free_ char *clear = replace(doc, "a: ENC[", "a: x\nq: ENC[");
        ASSERT_TRUE(dec(SOPS_YAML, clear, &k.ids[0], NULL, &err) < 0);
        ASSERT_TRUE(strstr(err.file, "test.file") != NULL);
        keys_done(&k);
}

/* A stack whose .env and env_file are SOPS documents, loaded from memory as berth-api and the
 * reconciler load it: with the key, values arrive and are redacted; without one, an error that names
 * the file; berth-api's way (secrets_unread), the names with empty values and nothing decrypted. */
TEST(project_with_sops_files)
{
        Keys k;
        keys_init(&k);
        SopsEncryptOptions o = { .recipients = (const unsigned char(*)[AGE_KEY_LEN])k.rcpt,
                                 .n_recipients = 1 };
        _cleanup_free_ char *dotenv = enc(SOPS_DOTENV, "PW=pw-distinct-1\n", &o);
        _cleanup_free_ char *appenv = enc(SOPS_DOTENV, "TOKEN=tok-distinct-2\n", &o);
        const char *compose = "services:\n  app:\n    image: x\n    env_file: app.env\n"
                              "    environment: {PW: \"${PW}\"}\n";
        for (int mode = 0; mode < 3; mode++) {
                Source *src = NULL;
                Project *p = NULL;
                BerthError err = { 0 };
                EnvMap env;
                envmap_init(&env);
                ASSERT_OK(source_memory_new("/srv/s", "memory", &src));
                source_memory_add(src, "compose.yaml", compose, strlen(compose));
                source_memory_add(src, ".env", dotenv, strlen(dotenv));
                source_memory_add(src, "app.env", appenv, strlen(appenv));
                ComposeOptions co = { .os_env = &env,
                                      .cwd = "/srv/s",
                                      .project_name = "s",
                                      .source = src,
                                      .age_keys = mode == 0 ? &k.ids[0] : NULL,
                                      .secrets_unread = mode == 2 };
                int r = project_load(&co, &p, &err);
                if (mode == 1) {
                        ASSERT_EQ(r, -ENOKEY);
                        ASSERT_TRUE(strstr(err.file, ".env") && strstr(err.msg, "no age key"));
                } else {
                        ASSERT_OK(r);
                        cJSON *e = p ? cJSON_GetObjectItem(
                                               cJSON_GetObjectItem(
                                                       cJSON_GetObjectItem(
                                                               cJSON_GetObjectItem(p->model, "services"),
                                                               "app"),
                                                       "environment"),
                                               "TOKEN")
                                     : NULL;
                        ASSERT_STREQ(cJSON_GetStringValue(e) ? cJSON_GetStringValue(e) : "?",
                                     mode == 0 ? "tok-distinct-2" : "");
                        ASSERT_EQ(p ? p->n_secrets : 99, mode == 0 ? 2u : 0u);
                        if (p && mode == 0) {
                                ASSERT_OK(project_redact(p, p->model, REDACT_TEXT));
                                char *text = cJSON_PrintUnformatted(p->model);
                                ASSERT_TRUE(text && !strstr(text, "distinct") &&
                                            strstr(text, "**redacted**"));
                                free(text);
                        }
                }
                project_free(p);
                source_unref(src);
                envmap_done(&env);
        }
        keys_done(&k);
}

TAP_MAIN()
