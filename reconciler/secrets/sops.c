/* sops.c: the SOPS tree: its metadata, the data key (age, Shamir key groups), the value cipher and the
 * MAC, as sops 3 reads and writes them. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "../util/base64.h"
#include "../util/cleanup.h"
#include "sops-store.h"
#include "sops.h"
#include "../util/json.h"

#define DATA_KEY_LEN    32
#define IV_LEN          32
#define TAG_LEN         16
#define DEPTH_MAX       64
#define DEFAULT_SUFFIX  "_unencrypted"
#define WRITTEN_VERSION "3.9.4"
#define ENC_PREFIX      "ENC[AES256_GCM,data:"
#define HASH_KEY_INFO   "berth: keyed hash of SOPS plain text, v1"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

/* Wipes the strings of a tree that held plain text, then frees it. */
static void tree_wipe(cJSON *n)
{
        for (cJSON *c = n ? n->child : NULL; c; c = c->next)
                tree_wipe(c);
        if (n && n->valuestring)
                OPENSSL_cleanse(n->valuestring, strlen(n->valuestring));
        if (n && n->string)
                OPENSSL_cleanse(n->string, strlen(n->string));
}

static void tree_wipep(cJSON **n)
{
        tree_wipe(*n);
        cJSON_Delete(*n);
}

/* sops mixes these into the MAC first when only encrypted values count, so that the two kinds of MAC
 * of one tree differ. */
static const unsigned char MAC_ONLY_INIT[32] = { 0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52,
                                                 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
                                                 0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6,
                                                 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69 };

SopsFormat sops_format_of(const char *path)
{
        const char *base = strrchr(path, '/');
        const char *ext = strrchr(base ? base + 1 : path, '.');
        if (!ext)
                return SOPS_BINARY;
        if (strcmp(ext, ".yaml") == 0 || strcmp(ext, ".yml") == 0)
                return SOPS_YAML;
        if (strcmp(ext, ".json") == 0)
                return SOPS_JSON;
        if (strcmp(ext, ".env") == 0)
                return SOPS_DOTENV;
        if (strcmp(ext, ".ini") == 0)
                return SOPS_INI;
        return SOPS_BINARY;
}

const char *sops_format_name(SopsFormat f)
{
        static const char *const names[] = { "yaml", "json", "dotenv", "ini", "binary" };
        return f <= SOPS_BINARY ? names[f] : "unknown";
}

bool sops_maybe(SopsFormat f, const char *data, size_t len)
{
        if (!memmem(data, len, "mac", 3) || !memmem(data, len, "lastmodified", 12))
                return false;
        if (f == SOPS_DOTENV)
                return (len >= 9 && memcmp(data, "sops_mac=", 9) == 0) ||
                       memmem(data, len, "\nsops_mac=", 10);
        if (f == SOPS_INI)
                return memmem(data, len, "[sops]", 6) != NULL;
        return memmem(data, len, "sops", 4) != NULL;
}

int sops_dotenv_names(const char *data, size_t len, StrBuf *out)
{
        for (const char *q = data, *end = data + len; q < end;) {
                const char *nl = memchr(q, '\n', (size_t)(end - q)), *e = nl ? nl : end;
                const char *eq = memchr(q, '=', (size_t)(e - q));
                /* Comments ("#ENC[...]") and the metadata ("sops_*") are no names. */
                if (eq && *q != '#' && strncmp(q, "sops_", 5) != 0 &&
                    (strbuf_add(out, q, (size_t)(eq - q + 1)) < 0 || strbuf_addch(out, '\n') < 0))
                        return -ENOMEM;
                q = nl ? nl + 1 : end;
        }
        return 0;
}

void sops_plain_done(SopsPlain *p)
{
        if (p->data)
                OPENSSL_clear_free(p->data, p->len + 1);
        OPENSSL_cleanse(p, sizeof(*p));
}

/* ---- numbers as Go prints them (the MAC covers their text) ---- */

/* strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that read back as v, never an exponent. */
static void go_float(double v, char *out, size_t size)
{
        char e[40], digits[24];
        int prec, exp;

        if (isnan(v)) {
                snprintf(out, size, "NaN");
                return;
        }
        if (isinf(v)) {
                snprintf(out, size, v > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (v == 0) {
                snprintf(out, size, signbit(v) ? "-0" : "0");
                return;
        }
        for (prec = 1; prec <= 17; prec++) {
                snprintf(e, sizeof(e), "%.*e", prec - 1, v);
                if (strtod(e, NULL) == v)
                        break;
        }
        const char *p = e;
        bool neg = *p == '-';
        size_t n = 0;
        if (neg)
                p++;
        for (; *p && *p != 'e'; p++)
                if (*p != '.' && n < sizeof(digits) - 1)
                        digits[n++] = *p;
        digits[n] = '\0';
        exp = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
        StrBuf sb;
        strbuf_init(&sb, size - 1);
        if (neg)
                strbuf_addch(&sb, '-');
        if (exp < 0) {
                strbuf_add(&sb, "0.", 2);
                for (int i = -1; i > exp; i--)
                        strbuf_addch(&sb, '0');
                strbuf_addstr(&sb, digits);
        } else {
                for (int i = 0; i <= exp || i < (int)n; i++) {
                        if (i == exp + 1)
                                strbuf_addch(&sb, '.');
                        strbuf_addch(&sb, i < (int)n ? digits[i] : '0');
                }
        }
        snprintf(out, size, "%s", strbuf_str(&sb));
        strbuf_done(&sb);
}

static bool text_is_int(const char *s)
{
        if (*s == '-' || *s == '+')
                s++;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
                return s[2] != '\0';
        return *s && strspn(s, "0123456789") == strlen(s);
}

static bool number_is_int(const cJSON *n)
{
        if (n->valuestring)
                return text_is_int(n->valuestring);
        return n->valuedouble == floor(n->valuedouble) && fabs(n->valuedouble) < 9007199254740992.0;
}

/* The bytes of a leaf as sops.ToBytes writes them. */
static const char *leaf_text(const cJSON *n, char *buf, size_t size)
{
        if (cJSON_IsString(n))
                return n->valuestring;
        if (cJSON_IsBool(n))
                return cJSON_IsTrue(n) ? "True" : "False";
        if (cJSON_IsNumber(n)) {
                if (number_is_int(n))
                        snprintf(buf, size, "%.0f", n->valuedouble);
                else
                        go_float(n->valuedouble, buf, size);
                return buf;
        }
        return NULL;
}

/* ---- AES-256-GCM values: ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] ---- */

static int gcm(bool seal, const unsigned char key[DATA_KEY_LEN], const unsigned char *iv, size_t iv_len,
               const char *aad, const unsigned char *in, size_t n, unsigned char *out,
               unsigned char tag[TAG_LEN])
{
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int len = 0, ok;

        if (!c)
                return -ENOMEM;
        ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, seal) &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) &&
             EVP_CipherInit_ex(c, NULL, NULL, key, iv, seal) &&
             EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) &&
             (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n)) &&
             (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag)) &&
             EVP_CipherFinal_ex(c, out + (n ? len : 0), &len) > 0 &&
             (!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag));
        EVP_CIPHER_CTX_free(c);
        return ok ? 0 : -EBADMSG;
}

typedef struct Value {
        unsigned char *plain; /* NUL-terminated; wiped when freed */
        size_t len;
        char type[16];
        unsigned char iv[IV_LEN]; /* as the value had it, when it was of sops's length */
        bool has_iv;
} Value;

static void value_done(Value *v)
{
        if (v->plain)
                OPENSSL_clear_free(v->plain, v->len + 1);
        v->plain = NULL;
}

static bool is_b64_char(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
               c == '/' || c == '=';
}

/* A field "name:base64" ending at ',' (or ']' for the last). */
static const char *field(const char *p, const char *name, const char **ret, size_t *ret_len)
{
        size_t nl = strlen(name);
        if (strncmp(p, name, nl) != 0)
                return NULL;
        p += nl;
        const char *s = p;
        while (is_b64_char(*p))
                p++;
        *ret = s;
        *ret_len = (size_t)(p - s);
        return p;
}

/* -EINVAL: not of the form; -EBADMSG: does not decrypt (changed, or another key). */
static int value_decrypt(const char *text, const unsigned char key[DATA_KEY_LEN], const char *aad,
                         Value *ret)
{
        const char *d, *iv, *tag, *p = text;
        size_t dl, ivl, tagl;
        unsigned char ivb[256], tagb[TAG_LEN + 3];

        if (strncmp(p, ENC_PREFIX, 15) != 0)
                return -EINVAL;
        if (!(p = field(p + 15, "data:", &d, &dl)) || *p != ',' || !(p = field(p + 1, "iv:", &iv, &ivl)) ||
            *p != ',' || !(p = field(p + 1, "tag:", &tag, &tagl)) || *p != ',' ||
            strncmp(p + 1, "type:", 5) != 0)
                return -EINVAL;
        p += 6;
        const char *close = strchr(p, ']');
        if (!close || close[1] != '\0' || close == p || (size_t)(close - p) >= sizeof(ret->type))
                return -EINVAL;
        memcpy(ret->type, p, (size_t)(close - p));
        ret->type[close - p] = '\0';
        if (ivl == 0 || ivl > 4 * (sizeof(ivb) / 3) || tagl != 24)
                return -EINVAL;
        ssize_t niv = base64_decode_padded(iv, ivl, ivb);
        ssize_t ntag = base64_decode_padded(tag, tagl, tagb);
        if (niv <= 0 || ntag != TAG_LEN)
                return -EINVAL;
        _cleanup_free_ unsigned char *ct = malloc(dl / 4 * 3 + 3);
        if (!ct)
                return -ENOMEM;
        ssize_t nct = base64_decode_padded(d, dl, ct);
        if (nct < 0)
                return -EINVAL;
        if (!(ret->plain = OPENSSL_zalloc((size_t)nct + 1)))
                return -ENOMEM;
        ret->len = (size_t)nct;
        if (niv == IV_LEN) {
                memcpy(ret->iv, ivb, IV_LEN);
                ret->has_iv = true;
        }
        int r = gcm(false, key, ivb, (size_t)niv, aad, ct, (size_t)nct, ret->plain, tagb);
        if (r < 0)
                value_done(ret);
        return r;
}

/* reuse_iv: the IV the same value had at the same path (an edit keeps unchanged values' ciphertext, as
 * sops edit does); NULL: a fresh one. */
static int value_encrypt(const void *plain, size_t n, const char *type,
                         const unsigned char key[DATA_KEY_LEN], const char *aad,
                         const unsigned char *reuse_iv, StrBuf *out)
{
        unsigned char iv[IV_LEN], tag[TAG_LEN];
        _cleanup_free_ unsigned char *ct = malloc(n + 1);
        int r;

        if (!ct)
                return -ENOMEM;
        if (reuse_iv)
                memcpy(iv, reuse_iv, IV_LEN);
        else if (RAND_bytes(iv, sizeof(iv)) != 1)
                return -EIO;
        if ((r = gcm(true, key, iv, sizeof(iv), aad, plain, n, ct, tag)) < 0)
                return r;
        if ((r = strbuf_addstr(out, ENC_PREFIX)) < 0 || (r = base64_encode(out, ct, n, true)) < 0 ||
            (r = strbuf_addstr(out, ",iv:")) < 0 || (r = base64_encode(out, iv, sizeof(iv), true)) < 0 ||
            (r = strbuf_addstr(out, ",tag:")) < 0 || (r = base64_encode(out, tag, sizeof(tag), true)) < 0)
                return r;
        return strbuf_addf(out, ",type:%s]", type);
}

/* ---- which values are encrypted ---- */

typedef struct Rules {
        const char *enc_suffix;
        const char *unenc_suffix;
        regex_t enc_re;
        regex_t unenc_re;
        bool has_enc_re;
        bool has_unenc_re;
        bool mac_only;
} Rules;

static void rules_done(Rules *r)
{
        if (r->has_enc_re)
                regfree(&r->enc_re);
        if (r->has_unenc_re)
                regfree(&r->unenc_re);
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* sops's shouldBeEncrypted: each rule looks at every key on the path. */
static bool should_encrypt(const Rules *r, const char *const *parts, size_t n)
{
        bool enc = true;
        if (r->unenc_suffix && *r->unenc_suffix)
                for (size_t i = 0; i < n && enc; i++)
                        enc = !ends_with(parts[i], r->unenc_suffix);
        if (r->enc_suffix && *r->enc_suffix) {
                enc = false;
                for (size_t i = 0; i < n && !enc; i++)
                        enc = ends_with(parts[i], r->enc_suffix);
        }
        if (r->has_unenc_re)
                for (size_t i = 0; i < n && enc; i++)
                        enc = regexec(&r->unenc_re, parts[i], 0, NULL, 0) != 0;
        if (r->has_enc_re) {
                enc = false;
                for (size_t i = 0; i < n && !enc; i++)
                        enc = regexec(&r->enc_re, parts[i], 0, NULL, 0) == 0;
        }
        return enc;
}

static int rules_init(Rules *r, const char *enc_re, const char *unenc_re, const char *enc_suffix,
                      const char *unenc_suffix, bool mac_only, const char *file, BerthError *err)
{
        int n = !!(enc_re && *enc_re) + !!(unenc_re && *unenc_re) + !!(enc_suffix && *enc_suffix) +
                !!(unenc_suffix && *unenc_suffix);
        *r = (Rules){ .enc_suffix = enc_suffix, .unenc_suffix = unenc_suffix, .mac_only = mac_only };
        if (n > 1)
                return error_set(err, -EINVAL, file, 0, 0, NULL,
                                 "more than one of encrypted_regex, unencrypted_regex, encrypted_suffix and "
                                 "unencrypted_suffix is set; sops allows one");
        if (n == 0)
                r->unenc_suffix = DEFAULT_SUFFIX;
        if (enc_re && *enc_re) {
                if (regcomp(&r->enc_re, enc_re, REG_EXTENDED | REG_NOSUB) != 0)
                        return error_set(err, -EINVAL, file, 0, 0, NULL,
                                         "encrypted_regex \"%s\" does not compile", enc_re);
                r->has_enc_re = true;
        }
        if (unenc_re && *unenc_re) {
                if (regcomp(&r->unenc_re, unenc_re, REG_EXTENDED | REG_NOSUB) != 0)
                        return error_set(err, -EINVAL, file, 0, 0, NULL,
                                         "unencrypted_regex \"%s\" does not compile", unenc_re);
                r->has_unenc_re = true;
        }
        return 0;
}

/* ---- the walk over the tree, in document order, as sops walks it ---- */

/* Puts fresh in old's place, under old's name. */
static void replace_node(cJSON *parent, cJSON *old, cJSON *fresh)
{
        fresh->string = old->string;
        old->string = NULL;
        cJSON_ReplaceItemViaPointer(parent, old, fresh);
}

typedef struct Walk {
        bool seal;
        const Rules *rules;
        const unsigned char *key;
        EVP_MD_CTX *mac;
        const char *parts[DEPTH_MAX];
        size_t depth;
        /* The binary format's one value, which may hold NUL bytes that a cJSON string cannot. */
        bool binary;
        unsigned char *raw;
        size_t raw_len;
        /* {digest of path, type and plain text: IV}: what an edit keeps (NULL: nothing kept). */
        cJSON *stash;
        const char *file;
        BerthError *err;
} Walk;

/* The stash's key for a value: a digest, so that no plain text is held twice. */
static int stash_key(const char *aad, const char *type, const void *plain, size_t len, char hex[65])
{
        unsigned char md[32];
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
                 EVP_DigestUpdate(c, aad, strlen(aad) + 1) && EVP_DigestUpdate(c, type, strlen(type) + 1) &&
                 EVP_DigestUpdate(c, plain, len) && EVP_DigestFinal_ex(c, md, NULL);
        EVP_MD_CTX_free(c);
        for (size_t i = 0; ok && i < sizeof(md); i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        return ok ? 0 : -ENOMEM;
}

static char *path_of(const Walk *w, const char *sep, const char *end)
{
        StrBuf sb = STRBUF_INIT;
        for (size_t i = 0; i < w->depth; i++) {
                strbuf_addstr(&sb, w->parts[i]);
                if (i + 1 < w->depth || end)
                        strbuf_addstr(&sb, i + 1 < w->depth ? sep : end);
        }
        if (w->depth == 0 && end)
                strbuf_addstr(&sb, end);
        return strbuf_detach(&sb);
}

static bool is_binary_data(const Walk *w)
{
        return w->binary && w->depth == 1 && strcmp(w->parts[0], "data") == 0;
}

static cJSON *typed_node(const Value *v, bool comment, const char *file, BerthError *err)
{
        const char *s = (const char *)v->plain;
        cJSON *n = NULL;
        char *end;

        if (comment || strcmp(v->type, "str") == 0 || strcmp(v->type, "bytes") == 0 ||
            strcmp(v->type, "time") == 0 || strcmp(v->type, "comment") == 0) {
                n = cJSON_CreateString(s);
                if (n && comment)
                        n->type |= SOPS_COMMENT;
                return n;
        }
        if (strcmp(v->type, "int") == 0) {
                long long i = strtoll(s, &end, 10);
                if (!*s || *end)
                        goto bad;
                char buf[32];
                snprintf(buf, sizeof(buf), "%lld", i);
                if ((n = cJSON_CreateNumber((double)i)))
                        n->valuestring = strdup(buf);
                return n;
        }
        if (strcmp(v->type, "float") == 0) {
                double d = strtod(s, &end);
                if (!*s || *end)
                        goto bad;
                char buf[400];
                go_float(d, buf, sizeof(buf));
                if ((n = cJSON_CreateNumber(d)))
                        n->valuestring = strdup(buf);
                return n;
        }
        if (strcmp(v->type, "bool") == 0) {
                static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
                static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
                for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                        if (strcmp(s, yes[i]) == 0)
                                return cJSON_CreateTrue();
                        if (strcmp(s, no[i]) == 0)
                                return cJSON_CreateFalse();
                }
                goto bad;
        }
        error_set(err, -EINVAL, file, 0, 0, NULL, "a value has the unknown type \"%s\"", v->type);
        return NULL;
bad:
        error_set(err, -EINVAL, file, 0, 0, NULL, "a value of type %s does not read as one", v->type);
        return NULL;
}

static int mac_add(Walk *w, const cJSON *n)
{
        char buf[400];
        const char *t = leaf_text(n, buf, sizeof(buf));
        return t && EVP_DigestUpdate(w->mac, t, strlen(t)) != 1 ? -EIO : 0;
}

static int leaf_open(Walk *w, cJSON *parent, cJSON *n)
{
        bool comment = sops_is_comment(n);
        bool enc = should_encrypt(w->rules, w->parts, w->depth);
        int r;

        if (enc && !(cJSON_IsString(n) && n->valuestring[0] == '\0')) {
                if (!cJSON_IsString(n)) {
                        _cleanup_free_ char *path = path_of(w, ".", NULL);
                        return error_set(w->err, -EINVAL, w->file, 0, 0, path,
                                         "this value should be encrypted but is not; the file was edited "
                                         "without sops");
                }
                _cleanup_free_ char *aad = path_of(w, ":", ":");
                Value v = { 0 };
                if (!aad)
                        return -ENOMEM;
                r = value_decrypt(n->valuestring, w->key, aad, &v);
                if (r < 0 && comment)
                        /* sops before 3 left comments in clear; so does it for them. */
                        return 0;
                if (r < 0) {
                        _cleanup_free_ char *path = path_of(w, ".", NULL);
                        if (r == -ENOMEM)
                                return r;
                        error_set(w->err, r, w->file, 0, 0, path,
                                  r == -EINVAL
                                          ? "this value is not of the form "
                                            "ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]"
                                          : "this value does not decrypt with the file's data key: it was "
                                            "changed, or moved, without sops");
                        error_hint(w->err, "restore it from git, or set it again with `sops edit` or "
                                           "`berth secrets edit`");
                        return r;
                }
                if (w->stash && v.has_iv) {
                        char k[65];
                        StrBuf ivs = STRBUF_INIT;
                        if (stash_key(aad, v.type, v.plain, v.len, k) < 0 ||
                            base64_encode(&ivs, v.iv, IV_LEN, true) < 0 ||
                            !cJSON_AddStringToObject(w->stash, k, strbuf_str(&ivs))) {
                                strbuf_done(&ivs);
                                value_done(&v);
                                return -ENOMEM;
                        }
                        strbuf_done(&ivs);
                }
                if (is_binary_data(w) && !comment) {
                        w->raw = v.plain;
                        w->raw_len = v.len;
                        if (EVP_DigestUpdate(w->mac, v.plain, v.len) != 1)
                                return -EIO;
                        return 0;
                }
                if (memchr(v.plain, '\0', v.len)) {
                        value_done(&v);
                        _cleanup_free_ char *path = path_of(w, ".", NULL);
                        return error_set(w->err, -EINVAL, w->file, 0, 0, path, "a value holds a NUL byte");
                }
                cJSON *t = typed_node(&v, comment, w->file, w->err);
                value_done(&v);
                if (!t)
                        return w->err && w->err->set ? -EINVAL : -ENOMEM;
                replace_node(parent, n, t);
                n = t;
        }
        if (!comment && (!w->rules->mac_only || enc))
                return mac_add(w, n);
        return 0;
}

static int leaf_seal(Walk *w, cJSON *parent, cJSON *n)
{
        bool comment = sops_is_comment(n);
        bool enc = should_encrypt(w->rules, w->parts, w->depth);
        char buf[400];
        int r;

        if (!comment && (!w->rules->mac_only || enc)) {
                if (is_binary_data(w)) {
                        if (EVP_DigestUpdate(w->mac, w->raw, w->raw_len) != 1)
                                return -EIO;
                } else if ((r = mac_add(w, n)) < 0)
                        return r;
        }
        if (!enc)
                return 0;
        const char *type = comment                                 ? "comment"
                           : cJSON_IsString(n)                     ? "str"
                           : cJSON_IsBool(n)                       ? "bool"
                           : cJSON_IsNumber(n) && number_is_int(n) ? "int"
                                                                   : "float";
        const char *text = is_binary_data(w) ? (const char *)w->raw : leaf_text(n, buf, sizeof(buf));
        size_t len = is_binary_data(w) ? w->raw_len : text ? strlen(text) : 0;
        if (!text || len == 0)
                return 0; /* sops leaves empty strings as they are */
        _cleanup_free_ char *aad = path_of(w, ":", ":");
        StrBuf sb = STRBUF_INIT;
        if (!aad)
                return -ENOMEM;
        unsigned char iv[IV_LEN + 3], *reuse = NULL;
        if (w->stash) {
                char k[65];
                if (stash_key(aad, type, text, len, k) < 0)
                        return -ENOMEM;
                const char *b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w->stash, k));
                if (b && base64_decode_padded(b, strlen(b), iv) == IV_LEN)
                        reuse = iv;
        }
        if ((r = value_encrypt(text, len, type, w->key, aad, reuse, &sb)) < 0) {
                strbuf_done(&sb);
                return r;
        }
        cJSON *s = cJSON_CreateString(strbuf_str(&sb));
        strbuf_done(&sb);
        if (!s)
                return -ENOMEM;
        if (comment)
                s->type |= SOPS_COMMENT;
        replace_node(parent, n, s);
        return 0;
}

static int walk(Walk *w, cJSON *node)
{
        for (cJSON *c = node->child, *next; c; c = next) {
                next = c->next;
                bool member = cJSON_IsObject(node) && !sops_is_comment(c);
                if (member) {
                        if (w->depth >= DEPTH_MAX)
                                return error_set(w->err, -E2BIG, w->file, 0, 0, NULL,
                                                 "the document nests too deep");
                        w->parts[w->depth++] = c->string;
                }
                int r = 0;
                if (cJSON_IsObject(c) || cJSON_IsArray(c))
                        r = walk(w, c);
                else if (!cJSON_IsNull(c))
                        r = w->seal ? leaf_seal(w, node, c) : leaf_open(w, node, c);
                if (member)
                        w->depth--;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- metadata ---- */

static const char *meta_string(const cJSON *meta, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
        if (cJSON_IsString(v))
                return v->valuestring;
        if (cJSON_IsNumber(v) && v->valuestring)
                return v->valuestring;
        return NULL;
}

static bool meta_bool(const cJSON *meta, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
        const char *s = cJSON_GetStringValue(v);
        return cJSON_IsTrue(v) ||
               (s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "1") == 0));
}

/* RFC 3339 as Go formats it back: no fractional seconds, "Z" for a zero offset. This is the MAC's
 * additional data. */
static int canonical_time(const char *s, char *out, size_t size)
{
        int y, mo, d, h, mi, sec, n = 0;
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
                return -EINVAL;
        const char *p = s + 19;
        if (*p == '.') {
                p++;
                if (!(*p >= '0' && *p <= '9'))
                        return -EINVAL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        const char *zone;
        if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0 || strcmp(p, "+00:00") == 0 ||
            strcmp(p, "-00:00") == 0)
                zone = "Z";
        else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && p[3] == ':')
                zone = p;
        else
                return -EINVAL;
        snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi, sec, zone);
        return 0;
}

/* ---- the data key ---- */

static unsigned char gf_mult(unsigned char a, unsigned char b)
{
        unsigned char acc = 0;
        for (int i = 7; i >= 0; i--) {
                acc = (unsigned char)((acc << 1) ^ ((acc >> 7) ? 0x1b : 0));
                if ((b >> i) & 1)
                        acc ^= a;
        }
        return acc;
}

static unsigned char gf_inverse(unsigned char a)
{
        /* a^254 = a^-1 in GF(2^8) */
        unsigned char r = 1;
        for (int i = 0; i < 254; i++)
                r = gf_mult(r, a);
        return r;
}

/* Shamir's scheme as HashiCorp Vault's shamir package (which sops uses) lays a share out: the y bytes,
 * then the x coordinate. */
static int shamir_combine(unsigned char **parts, size_t n, size_t len, unsigned char *out)
{
        if (n < 2 || len < 2)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (parts[i][len - 1] == parts[j][len - 1])
                                return -EINVAL;
        for (size_t b = 0; b + 1 < len; b++) {
                unsigned char v = 0;
                for (size_t i = 0; i < n; i++) {
                        unsigned char basis = 1, xi = parts[i][len - 1];
                        for (size_t j = 0; j < n; j++) {
                                if (j == i)
                                        continue;
                                unsigned char xj = parts[j][len - 1];
                                basis = gf_mult(basis, gf_mult(xj, gf_inverse(xi ^ xj)));
                        }
                        v ^= gf_mult(parts[i][b], basis);
                }
                out[b] = v;
        }
        return 0;
}

static int recipients_list(const cJSON *groups, StrBuf *out)
{
        const cJSON *g, *k;
        size_t n = 0;
        cJSON_ArrayForEach(g, groups)
        {
                cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(g, "age"))
                {
                        const char *rcpt = meta_string(k, "recipient");
                        if (rcpt && n++ < 8)
                                strbuf_addf(out, "%s%s", n > 1 ? ", " : "", rcpt);
                }
        }
        if (n > 8)
                strbuf_addf(out, " and %zu more", n - 8);
        return (int)n;
}

/* One group's part of the data key: the first of its age entries that an identity opens. */
static int open_group(const cJSON *group, const AgeIdentities *ids, unsigned char **ret, size_t *ret_len,
                      size_t *ret_id, BerthError *err)
{
        const cJSON *k;
        char mine[100];
        /* Entries addressed to one of the identities first, so that a key opens its own entry at once. */
        for (int pass = 0; pass < 2; pass++)
                cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(group, "age"))
                {
                        const char *enc = meta_string(k, "enc"), *rcpt = meta_string(k, "recipient");
                        if (!enc)
                                continue;
                        for (size_t i = 0; i < ids->n; i++) {
                                age_recipient_format(ids->items[i].public_key, mine, sizeof(mine));
                                bool addressed = rcpt && strcmp(rcpt, mine) == 0;
                                if (addressed != (pass == 0))
                                        continue;
                                AgeIdentities one = { .items = &ids->items[i], .n = 1 };
                                BerthError e = { 0 };
                                int r = age_decrypt(&one, enc, strlen(enc), ret, ret_len, &e);
                                if (r >= 0) {
                                        *ret_id = i;
                                        return 0;
                                }
                                if (r == -ENOMEM)
                                        return r;
                                /* A stanza addressed to this key that does not open is worth saying. */
                                if (addressed && r != AGE_E_NO_MATCH && err && !err->set)
                                        *err = e;
                        }
                }
        return -ENOKEY;
}

static int data_key(const cJSON *meta, const AgeIdentities *ids, const char *file,
                    unsigned char key[DATA_KEY_LEN], size_t *ret_id, BerthError *err)
{
        _cleanup_cjson_ cJSON *single = NULL;
        const cJSON *groups = cJSON_GetObjectItemCaseSensitive(meta, "key_groups");
        unsigned char *parts[16] = { 0 };
        size_t lens[16] = { 0 }, n = 0, n_groups, id = 0;
        BerthError inner = { 0 };
        int r = 0;

        if (cJSON_GetArraySize(groups) == 0) {
                if (!(single = cJSON_CreateArray()))
                        return -ENOMEM;
                cJSON *g = cJSON_CreateObject();
                cJSON_AddItemToArray(single, g);
                const cJSON *age = cJSON_GetObjectItemCaseSensitive(meta, "age");
                if (g && age)
                        json_set(g, "age", cJSON_Duplicate(age, 1));
                groups = single;
        }
        n_groups = (size_t)cJSON_GetArraySize(groups);
        if (n_groups > ELEMENTSOF(parts))
                return error_set(err, -E2BIG, file, 0, 0, NULL, "the file has more than %zu key groups",
                                 ELEMENTSOF(parts));
        const cJSON *g;
        cJSON_ArrayForEach(g, groups)
        {
                size_t which = 0;
                r = open_group(g, ids, &parts[n], &lens[n], &which, &inner);
                if (r == -ENOMEM)
                        goto out;
                if (r >= 0) {
                        if (n == 0)
                                id = which;
                        n++;
                }
        }
        long threshold = 0;
        const char *t = meta_string(meta, "shamir_threshold");
        const cJSON *tn = cJSON_GetObjectItemCaseSensitive(meta, "shamir_threshold");
        threshold = cJSON_IsNumber(tn) ? (long)tn->valuedouble : t ? strtol(t, NULL, 10) : 0;
        if (n_groups > 1 && threshold <= 0)
                threshold = (long)n_groups;
        if (n == 0 || (n_groups > 1 && (long)n < threshold)) {
                StrBuf rc = STRBUF_INIT;
                int nr = recipients_list(groups, &rc);
                if (inner.set && n == 0) {
                        /* A stanza addressed to a key given, that did not open: say why. */
                        if (err && !err->set)
                                *err = inner;
                        r = -EKEYREJECTED;
                } else if (nr == 0)
                        r = error_set(err, -ENOKEY, file, 0, 0, NULL,
                                      "the file's data key is encrypted to no age recipient (only PGP or a "
                                      "cloud KMS); berth decrypts with age keys");
                else if (n == 0)
                        r = error_set(err, -ENOKEY, file, 0, 0, NULL,
                                      "no age key given opens this file; it is encrypted to %s",
                                      strbuf_str(&rc));
                else
                        r = error_set(
                                err, -ENOKEY, file, 0, 0, NULL,
                                "the keys given open %zu of the file's key groups, and %ld are needed; its "
                                "recipients are %s",
                                n, threshold, strbuf_str(&rc));
                strbuf_done(&rc);
                if (n == 0 || nr == 0)
                        error_hint(err, "set SOPS_AGE_KEY (or SOPS_AGE_KEY_FILE) to the key of one of the "
                                        "recipients, as the sops tool reads it");
                goto out;
        }
        if (n_groups > 1) {
                for (size_t i = 1; i < n; i++)
                        if (lens[i] != lens[0]) {
                                r = error_set(err, -EINVAL, file, 0, 0, NULL,
                                              "the key groups' parts differ in length");
                                goto out;
                        }
                if (lens[0] != DATA_KEY_LEN + 1 || shamir_combine(parts, n, lens[0], key) < 0) {
                        r = error_set(err, -EINVAL, file, 0, 0, NULL,
                                      "the key groups' parts do not combine into a data key");
                        goto out;
                }
        } else {
                if (lens[0] != DATA_KEY_LEN) {
                        r = error_set(err, -EINVAL, file, 0, 0, NULL, "the data key has %zu bytes, not %d",
                                      lens[0], DATA_KEY_LEN);
                        goto out;
                }
                memcpy(key, parts[0], DATA_KEY_LEN);
        }
        *ret_id = id;
        r = 0;
out:
        for (size_t i = 0; i < n; i++)
                age_plain_free(parts[i], lens[i]);
        return r;
}

/* ---- decrypting a document ---- */

static int check_version(const cJSON *meta, const char *file, BerthError *err)
{
        const char *v = meta_string(meta, "version");
        if (!v)
                return error_set(err, -EINVAL, file, 0, 0, NULL, "the file's sops metadata has no version");
        if (strncmp(v, "3.", 2) != 0 && strcmp(v, "3") != 0)
                return error_set(err, -EPROTONOSUPPORT, file, 0, 0, NULL,
                                 "the file was written by sops %s; berth reads the format of sops 3", v);
        if (meta_string(meta, "encrypted_comment_regex") || meta_string(meta, "unencrypted_comment_regex"))
                return error_set(
                        err, -EPROTONOSUPPORT, file, 0, 0, NULL,
                        "the file uses encrypted_comment_regex or unencrypted_comment_regex, which berth "
                        "does not read; encrypt it with encrypted_regex or a suffix instead");
        return 0;
}

/* A document opened: its plain tree, its metadata and data key, its rules. */
typedef struct Opened {
        cJSON *tree;
        cJSON *meta;
        unsigned char key[DATA_KEY_LEN];
        size_t id; /* the identity that opened it */
        Rules rules;
        unsigned char *raw; /* the binary format's value */
        size_t raw_len;
} Opened;

static void opened_done(Opened *o)
{
        tree_wipe(o->tree);
        cJSON_Delete(o->tree);
        cJSON_Delete(o->meta);
        rules_done(&o->rules);
        if (o->raw)
                OPENSSL_clear_free(o->raw, o->raw_len + 1);
        OPENSSL_cleanse(o, sizeof(*o));
}

static int mac_hex(EVP_MD_CTX *mac, char hex[129])
{
        unsigned char digest[64];
        if (EVP_DigestFinal_ex(mac, digest, NULL) != 1)
                return -EIO;
        for (size_t i = 0; i < 64; i++)
                snprintf(hex + 2 * i, 3, "%02X", digest[i]);
        return 0;
}

static EVP_MD_CTX *mac_new(const Rules *rules)
{
        EVP_MD_CTX *mac = EVP_MD_CTX_new();
        if (mac && (EVP_DigestInit_ex(mac, EVP_sha512(), NULL) != 1 ||
                    (rules->mac_only && EVP_DigestUpdate(mac, MAC_ONLY_INIT, sizeof(MAC_ONLY_INIT)) != 1))) {
                EVP_MD_CTX_free(mac);
                return NULL;
        }
        return mac;
}

/* 0: no SOPS document; 1: opened, MAC verified (stash, when given, gets each value's IV). */
static int open_doc(SopsFormat f, const char *data, size_t len, const char *file, const AgeIdentities *ids,
                    cJSON *stash, Opened *o, BerthError *err)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mac = NULL;
        char hex[129], when[40];
        int r;

        *o = (Opened){ 0 };
        if (!sops_maybe(f, data, len))
                return 0;
        BerthError perr = { 0 };
        r = sops_store_load(f, data, len, file, &o->tree, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                /* Plain text that only looks like SOPS is plain text; a broken SOPS file is an error. */
                if (!memmem(data, len, ENC_PREFIX, 15))
                        return 0;
                if (err && !err->set)
                        *err = perr;
                return r;
        }
        if (!(o->meta = sops_store_take_metadata(f, o->tree)))
                return 0;
        if ((r = check_version(o->meta, file, err)) < 0)
                return r;
        const char *stored_mac = meta_string(o->meta, "mac");
        const char *lastmod = meta_string(o->meta, "lastmodified");
        if (!stored_mac || !lastmod || canonical_time(lastmod, when, sizeof(when)) < 0)
                return error_set(err, -EINVAL, file, 0, 0, NULL,
                                 "the file's sops metadata lacks a MAC or a valid lastmodified time");
        if ((r = data_key(o->meta, ids, file, o->key, &o->id, err)) < 0)
                return r;
        if ((r = rules_init(&o->rules, meta_string(o->meta, "encrypted_regex"),
                            meta_string(o->meta, "unencrypted_regex"),
                            meta_string(o->meta, "encrypted_suffix"),
                            meta_string(o->meta, "unencrypted_suffix"),
                            meta_bool(o->meta, "mac_only_encrypted"), file, err)) < 0)
                return r;
        if (!(mac = mac_new(&o->rules)))
                return -ENOMEM;
        Walk w = { .seal = false,
                   .rules = &o->rules,
                   .key = o->key,
                   .mac = mac,
                   .binary = f == SOPS_BINARY,
                   .stash = stash,
                   .file = file,
                   .err = err };
        r = walk(&w, o->tree);
        o->raw = w.raw;
        o->raw_len = w.raw_len;
        if (r < 0 || (r = mac_hex(mac, hex)) < 0)
                return r;
        Value v = { 0 };
        r = value_decrypt(stored_mac, o->key, when, &v);
        bool same = r >= 0 && v.len == 128 && CRYPTO_memcmp(v.plain, hex, 128) == 0;
        value_done(&v);
        if (r == -ENOMEM)
                return r;
        if (!same) {
                error_set(err, -EBADMSG, file, 0, 0, NULL,
                          "MAC mismatch: the file's values were changed, added, removed or reordered "
                          "without sops");
                error_hint(
                        err,
                        "restore the file from git, or make the change with `sops edit` or `berth secrets "
                        "edit`, which keep the MAC right");
                return -EBADMSG;
        }
        if (f == SOPS_BINARY && !o->raw) {
                const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o->tree, "data"));
                if (!d || *d)
                        return error_set(err, -EINVAL, file, 0, 0, NULL,
                                         "the binary document has no encrypted \"data\" value");
                if (!(o->raw = OPENSSL_zalloc(1)))
                        return -ENOMEM;
        }
        return 1;
}

int sops_decrypt(SopsFormat f, const char *data, size_t len, const char *file, const AgeIdentities *ids,
                 SopsPlain *ret, BerthError *err)
{
        _cleanup_(opened_done) Opened o = { 0 };
        StrBuf out;
        int r = open_doc(f, data, len, file, ids, NULL, &o, err);
        if (r <= 0)
                return r;
        if (f == SOPS_BINARY) {
                ret->data = (char *)TAKE_PTR(o.raw);
                ret->len = o.raw_len;
        } else {
                strbuf_init(&out, STRBUF_MAX_DEFAULT);
                r = sops_store_emit(f, o.tree, NULL, &out);
                if (r < 0) {
                        if (out.buf)
                                OPENSSL_cleanse(out.buf, out.alloc);
                        strbuf_done(&out);
                        return r;
                }
                ret->len = out.len;
                if (!(ret->data = strbuf_detach(&out)))
                        return -ENOMEM;
        }
        if (!HMAC(EVP_sha256(), ids->items[o.id].secret, AGE_KEY_LEN, (const unsigned char *)HASH_KEY_INFO,
                  strlen(HASH_KEY_INFO), ret->hash_key, NULL)) {
                sops_plain_done(ret);
                return -EIO;
        }
        return 1;
}

/* ---- encrypting one ---- */

/* Encrypts plain (already read into tree, or the binary format's bytes) in place, and its MAC. */
static int seal_tree(SopsFormat f, cJSON *tree, const char *plain, size_t len, const Rules *rules,
                     const unsigned char key[DATA_KEY_LEN], cJSON *stash, char hex[129], const char *file,
                     BerthError *err)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mac = mac_new(rules);
        if (!mac)
                return -ENOMEM;
        Walk w = { .seal = true,
                   .rules = rules,
                   .key = key,
                   .mac = mac,
                   .binary = f == SOPS_BINARY,
                   .raw = (unsigned char *)plain,
                   .raw_len = len,
                   .stash = stash,
                   .file = file,
                   .err = err };
        int r = walk(&w, tree);
        return r < 0 ? r : mac_hex(mac, hex);
}

/* Sets meta's lastmodified (now) and its MAC, in their places. */
static int seal_meta(cJSON *meta, const unsigned char key[DATA_KEY_LEN], const char *hex)
{
        char when[40];
        time_t now = time(NULL);
        struct tm tm;
        StrBuf m = STRBUF_INIT;
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        int r = value_encrypt(hex, 128, "str", key, when, NULL, &m);
        const char *vals[][2] = { { "lastmodified", when }, { "mac", strbuf_str(&m) } };
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(vals); i++) {
                cJSON *old = cJSON_GetObjectItemCaseSensitive(meta, vals[i][0]);
                cJSON *v = cJSON_CreateString(vals[i][1]);
                if (!v)
                        r = -ENOMEM;
                else if (old)
                        replace_node(meta, old, v);
                else
                        cJSON_AddItemToObject(meta, vals[i][0], v);
        }
        strbuf_done(&m);
        return r;
}

static int load_plain(SopsFormat f, const char *plain, size_t len, const char *file, cJSON **tree,
                      BerthError *err)
{
        int r;
        if (f == SOPS_BINARY)
                return (*tree = cJSON_CreateObject()) && cJSON_AddStringToObject(*tree, "data", "")
                               ? 0
                               : -ENOMEM;
        if ((r = sops_store_load(f, plain, len, file, tree, err)) < 0)
                return r;
        _cleanup_cjson_ cJSON *meta = NULL;
        if (cJSON_GetObjectItemCaseSensitive(*tree, "sops") ||
            (f == SOPS_DOTENV && (meta = sops_store_take_metadata(f, *tree))))
                return error_set(err, -EEXIST, file, 0, 0, NULL, "the file is already a SOPS document");
        return 0;
}

static int emit_doc(SopsFormat f, const cJSON *tree, const cJSON *meta, char **ret, size_t *ret_len)
{
        StrBuf out = STRBUF_INIT;
        int r = sops_store_emit(f == SOPS_BINARY ? SOPS_JSON : f, tree, meta, &out);
        if (r >= 0) {
                *ret_len = out.len;
                r = (*ret = strbuf_detach(&out)) ? 0 : -ENOMEM;
        }
        strbuf_done(&out);
        return r;
}

int sops_encrypt(SopsFormat f, const char *plain, size_t len, const char *file, const SopsEncryptOptions *o,
                 char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_(tree_wipep) cJSON *tree = NULL;
        _cleanup_cjson_ cJSON *meta = NULL;
        unsigned char key[DATA_KEY_LEN];
        char hex[129];
        Rules rules = { 0 };
        int r;

        if (o->n_recipients == 0)
                return error_set(err, -EINVAL, file, 0, 0, NULL, "no age recipient to encrypt to");
        if ((r = load_plain(f, plain, len, file, &tree, err)) < 0)
                return r;
        if ((r = rules_init(&rules, o->encrypted_regex, o->unencrypted_regex, o->encrypted_suffix,
                            o->unencrypted_suffix, o->mac_only_encrypted, file, err)) < 0)
                return r;
        if (RAND_bytes(key, sizeof(key)) != 1) {
                r = -EIO;
                goto out;
        }
        if ((r = seal_tree(f, tree, plain, len, &rules, key, NULL, hex, file, err)) < 0)
                goto out;

        /* The metadata, its keys sorted as sops writes them. */
        r = -ENOMEM;
        if (!(meta = cJSON_CreateObject()))
                goto out;
        cJSON *age = cJSON_AddArrayToObject(meta, "age");
        for (size_t i = 0; age && i < o->n_recipients; i++) {
                _cleanup_free_ char *enc = NULL;
                size_t enc_len;
                char rcpt[100];
                if ((r = age_encrypt(&o->recipients[i], 1, key, sizeof(key), true, &enc, &enc_len, err)) < 0)
                        goto out;
                age_recipient_format(o->recipients[i], rcpt, sizeof(rcpt));
                cJSON *k = cJSON_CreateObject();
                if (!k || !cJSON_AddStringToObject(k, "enc", enc) ||
                    !cJSON_AddStringToObject(k, "recipient", rcpt)) {
                        cJSON_Delete(k);
                        r = -ENOMEM;
                        goto out;
                }
                cJSON_AddItemToArray(age, k);
        }
        if (o->encrypted_regex && *o->encrypted_regex)
                cJSON_AddStringToObject(meta, "encrypted_regex", o->encrypted_regex);
        if (o->encrypted_suffix && *o->encrypted_suffix)
                cJSON_AddStringToObject(meta, "encrypted_suffix", o->encrypted_suffix);
        cJSON_AddStringToObject(meta, "lastmodified", "");
        cJSON_AddStringToObject(meta, "mac", "");
        if (o->mac_only_encrypted)
                cJSON_AddTrueToObject(meta, "mac_only_encrypted");
        if (o->unencrypted_regex && *o->unencrypted_regex)
                cJSON_AddStringToObject(meta, "unencrypted_regex", o->unencrypted_regex);
        if (rules.unenc_suffix && *rules.unenc_suffix)
                cJSON_AddStringToObject(meta, "unencrypted_suffix", rules.unenc_suffix);
        if (!cJSON_AddStringToObject(meta, "version", WRITTEN_VERSION))
                goto out;
        if ((r = seal_meta(meta, key, hex)) >= 0)
                r = emit_doc(f, tree, meta, ret, ret_len);
out:
        rules_done(&rules);
        OPENSSL_cleanse(key, sizeof(key));
        return r;
}

int sops_edit(SopsFormat f, const char *old, size_t old_len, const char *plain, size_t len, const char *file,
              const AgeIdentities *ids, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_(opened_done) Opened o = { 0 };
        _cleanup_cjson_ cJSON *stash = cJSON_CreateObject();
        _cleanup_(tree_wipep) cJSON *tree = NULL;
        char hex[129];
        int r;

        if (!stash)
                return -ENOMEM;
        if ((r = open_doc(f, old, old_len, file, ids, stash, &o, err)) <= 0)
                return r < 0 ? r : error_set(err, -EINVAL, file, 0, 0, NULL, "this is no SOPS document");
        if ((r = load_plain(f, plain, len, file, &tree, err)) < 0 ||
            (r = seal_tree(f, tree, plain, len, &o.rules, o.key, stash, hex, file, err)) < 0 ||
            (r = seal_meta(o.meta, o.key, hex)) < 0)
                return r;
        return emit_doc(f, tree, o.meta, ret, ret_len);
}
