/* files.c: reading through the project source, and one compose file loaded and checked. */
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../yaml/yaml.h"
#include "loader.h"

extern const unsigned char compose_schema_json[];
extern const size_t compose_schema_json_len;

static Schema *compose_schema_instance;

static void compose_schema_build(void)
{
        if (schema_new((const char *)compose_schema_json, compose_schema_json_len, &compose_schema_instance,
                       NULL) < 0)
                compose_schema_instance = NULL;
}

static Schema *compose_schema(void)
{
        /* Built once per process (compiling it is not free), and once only although berth-api's request
         * threads may ask at the same moment; after that it is only read. */
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, compose_schema_build);
        return compose_schema_instance;
}

/* ---- reading through the source ---- */

/* Reads path through the project source. An error for a file that a node of the model names (node not
 * NULL) is placed at that node; the message never shows the file's content. */
static int read_source(Loader *l, const char *path, size_t max, const cJSON *node, const char *keypath,
                       const char *what, char **ret, size_t *ret_len)
{
        BerthError e = { 0 };
        int r = source_read(l->src, path, max, ret, ret_len, &e);
        if (r >= 0)
                return r;
        if (r == -ENOMEM)
                return r;
        if (node) {
                if (r == -ENOENT)
                        return compose_fail(&l->c, r, node, false, keypath, "%s \"%s\" not found", what,
                                            path);
                /* A backing's error names the file apart; the source's own refusal names it in its text. */
                if (e.file[0])
                        compose_fail(&l->c, r, node, false, keypath, "%s \"%s\": %s", what, path, e.msg);
                else
                        compose_fail(&l->c, r, node, false, keypath, "%s %s", what, e.msg);
                if (e.hint[0])
                        error_hint(l->c.err, "%s", e.hint);
                return r;
        }
        if (r == -ENOENT)
                return error_set(l->c.err, r, path, 0, 0, NULL, "%s not found", what);
        if (l->c.err && !l->c.err->set)
                *l->c.err = e;
        return r;
}

int loader_add_secret(Project *p, const char *value)
{
        if (!value || !*value || project_is_secret(p, value))
                return 0;
        char **v = realloc(p->secrets, (p->n_secrets + 2) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        p->secrets = v;
        if (!(p->secrets[p->n_secrets] = strdup(value)))
                return -ENOMEM;
        p->secrets[++p->n_secrets] = NULL;
        return 0;
}

/* Reads path as read_source() does; a SOPS document is decrypted, its plain text returned instead, and
 * *ret_plain (when not NULL) says so, with the key its hashes are keyed with in hash_key. */
int loader_read_plain(Loader *l, const char *path, size_t max, const cJSON *node, const char *keypath,
                      const char *what, char **ret, size_t *ret_len, bool *ret_secret,
                      unsigned char hash_key[32])
{
        static const AgeIdentities none;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_source(l, path, max, node, keypath, what, &buf, &len);
        if (r < 0)
                return r;
        if (ret_secret)
                *ret_secret = false;
        SopsFormat f = sops_format_of(path);
        if (!sops_maybe(f, buf, len)) {
                *ret = TAKE_PTR(buf);
                *ret_len = len;
                return 0;
        }
        if (l->o->secrets_unread && f == SOPS_DOTENV) {
                /* The names only: enough to check the stack, nothing of the values. */
                StrBuf names = STRBUF_INIT;
                r = sops_dotenv_names(buf, len, &names);
                *ret_len = names.len;
                if (r < 0 || !(*ret = strbuf_detach(&names))) {
                        strbuf_done(&names);
                        return -ENOMEM;
                }
                return 0;
        }
        if (l->o->secrets_unread) {
                *ret = TAKE_PTR(buf);
                *ret_len = len;
                return 0;
        }
        SopsPlain plain = { 0 };
        BerthError e = { 0 };
        r = sops_decrypt(f, buf, len, path, l->o->age_keys ? l->o->age_keys : &none, &plain, &e);
        if (r < 0) {
                if (r == -ENOMEM)
                        return r;
                /* The SOPS error names the file (and the value's path in it); placed where the model
                 * names the file, when it does. */
                if (node)
                        compose_fail(&l->c, r, node, false, keypath, "%s \"%s\": %s%s%s", what, path,
                                     e.path[0] ? e.path : "", e.path[0] ? ": " : "", e.msg);
                else
                        error_set(l->c.err, r, path, 0, 0, NULL, "%s%s%s", e.path[0] ? e.path : "",
                                  e.path[0] ? ": " : "", e.msg);
                if (e.hint[0])
                        error_hint(l->c.err, "%s", e.hint);
                return r;
        }
        if (r == 0) {
                *ret = TAKE_PTR(buf);
                *ret_len = len;
                return 0;
        }
        if (!(*ret = malloc(plain.len + 1))) {
                sops_plain_done(&plain);
                return -ENOMEM;
        }
        memcpy(*ret, plain.data, plain.len + 1);
        *ret_len = plain.len;
        if (ret_secret)
                *ret_secret = true;
        if (hash_key)
                memcpy(hash_key, plain.hash_key, 32);
        /* The first SOPS file's key keys the project's hashes; a host has one key for a repo, usually. */
        if (!l->keyed)
                memcpy(l->p->secret_key, plain.hash_key, 32);
        l->keyed = true;
        sops_plain_done(&plain);
        return 1;
}

void loader_free_plain(char *buf, size_t len)
{
        if (buf)
                OPENSSL_cleanse(buf, len);
        free(buf);
}

/* Records the digest of a file a service depends on (null when it is missing) in p->contents. */
static int keep_plain(Project *p, const char *path, const char *data, size_t len)
{
        if (project_plain_file(p, path))
                return 0;
        PlainFile *v = realloc(p->plain_files, (p->n_plain_files + 1) * sizeof(PlainFile));
        if (!v)
                return -ENOMEM;
        p->plain_files = v;
        PlainFile *f = &v[p->n_plain_files];
        *f = (PlainFile){ .path = strdup(path), .data = malloc(len + 1), .len = len };
        if (!f->path || !f->data) {
                free(f->path);
                free(f->data);
                return -ENOMEM;
        }
        memcpy(f->data, data, len);
        f->data[len] = '\0';
        p->n_plain_files++;
        return 0;
}

/* Records the digest of a file's contents (as loader_read_plain() gave them, with secret and key) in
 * p->contents. mounted: the file is mounted into containers (a secret, config or bind mount), so a
 * decrypted SOPS document is kept for the deploy to write where the engine can mount it. */
int loader_note_read(Loader *l, const char *path, const char *buf, size_t len, bool secret,
                     const unsigned char key[32], bool mounted)
{
        char out[12 + DIGEST_HEX_LEN + 1] = "hmac-sha256:";
        int r;
        if (cJSON_HasObjectItem(l->p->contents, path))
                return 0;
        if (secret) {
                /* Plain text, so that re-encrypting the same value changes nothing; keyed, so that the
                 * hash tells nothing about a short password to one who cannot decrypt. */
                r = digest_hmac_hex(key, 32, buf, len, out + 12);
                if (r >= 0 && mounted)
                        r = keep_plain(l->p, path, buf, len);
        } else {
                _cleanup_(digest_freep) Digest *d = digest_new();
                r = !d || digest_update(d, buf, len) < 0 || digest_final_hex(d, out + 12) < 0 ? -ENOMEM : 0;
        }
        if (r < 0)
                return r;
        return cJSON_AddStringToObject(l->p->contents, path, secret ? out : out + 12) ? 0 : -ENOMEM;
}

int loader_note_contents(Loader *l, const char *path, const cJSON *node, const char *keypath, bool mounted)
{
        if (cJSON_HasObjectItem(l->p->contents, path))
                return 0;
        SourceKind k = source_kind(l->src, path);
        if (k == SRC_DIR)
                return cJSON_AddStringToObject(l->p->contents, path, "directory") ? 0 : -ENOMEM;
        /* compose leaves a missing config file to the engine; the hash notes that it is missing. */
        if (k == SRC_MISSING)
                return cJSON_AddNullToObject(l->p->contents, path) ? 0 : -ENOMEM;
        char *buf = NULL;
        size_t len = 0;
        bool secret = false;
        unsigned char key[32];
        int r = loader_read_plain(l, path, HASH_FILE_MAX, node, keypath, "file", &buf, &len, &secret, key);
        if (r < 0)
                return r;
        r = loader_note_read(l, path, buf, len, secret, key, mounted);
        OPENSSL_cleanse(key, sizeof(key));
        loader_free_plain(buf, len);
        return r;
}

/* ---- one file ---- */

int loader_load_file(Loader *l, const char *path, const cJSON *node, const char *keypath, cJSON **ret)
{
        _cleanup_free_ char *buf = NULL, *dir = NULL;
        _cleanup_cjson_ cJSON *doc = NULL;
        size_t len;
        int r;

        r = read_source(l, path, COMPOSE_FILE_MAX, node, keypath, "compose file", &buf, &len);
        if (r < 0)
                return r;
        r = yaml_load(buf, len, path, NULL, l->c.src, &doc, l->c.err);
        if (r < 0)
                return r;
        if (cJSON_IsNull(doc))
                return error_set(l->c.err, -EINVAL, path, 0, 0, NULL, "empty compose file");
        if (!cJSON_IsObject(doc))
                return compose_fail(&l->c, -EINVAL, doc, false, NULL,
                                    "the top level must be a mapping, not a %s",
                                    cJSON_IsArray(doc) ? "list" : "scalar");

        r = loader_interpolate(l, doc);
        if (r < 0)
                return r;

        Schema *schema = compose_schema();
        if (!schema)
                return error_set(l->c.err, -ENOMEM, NULL, 0, 0, NULL, "cannot load the compose schema");
        r = schema_validate(schema, doc, l->c.src, l->c.err);
        if (r < 0)
                return r;
        cJSON *services = cJSON_GetObjectItemCaseSensitive(doc, "services");
        if (cJSON_GetArraySize(services) > MAX_SERVICES)
                return compose_fail(&l->c, -E2BIG, services, true, "services", "more than %d services",
                                    MAX_SERVICES);

        if (cJSON_HasObjectItem(doc, "version")) {
                compose_warn(&l->c, "%s: the attribute \"version\" is obsolete and ignored", path);
                cJSON_DeleteItemFromObjectCaseSensitive(doc, "version");
        }
        dir = path_dirname(path);
        if (!dir)
                return -ENOMEM;
        /* Paths in the project's own files resolve from the project directory, as in compose. */
        r = normalize_file(&l->c, doc, l->p->dir ? l->p->dir : dir, l->home);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}
