/* project.c: loading a compose project: files, environment, merge, extends, profiles, finalisation. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../schema/schema.h"
#include "../secrets/sops.h"
#include "../util/digest.h"
#include "../util/fileio.h"
#include "dotenv.h"
#include "interp.h"
#include "merge.h"
#include "normalize.h"
#include "project.h"
#include "../yaml/yaml.h"

#define COMPOSE_FILE_MAX ((size_t)8 * 1024 * 1024)
#define ENV_FILE_MAX     ((size_t)1024 * 1024)
#define MAX_SERVICES     10000
#define MAX_FILES        64
#define MAX_REPLICAS     1000
#define HASH_FILE_MAX    ((size_t)64 * 1024 * 1024)

extern const unsigned char compose_schema_json[];
extern const size_t compose_schema_json_len;

typedef struct Loaded {
        char *path;
        cJSON *doc;
} Loaded;

typedef struct Loader {
        ComposeCtx c;
        const ComposeOptions *o;
        Project *p;
        EnvLookup env; /* OS environment over .env */
        const char *home;
        Source *src;   /* a reference: the caller's source, or the directory's */
        Loaded *cache; /* files loaded for extends */
        size_t n_cache;
        char **chain; /* extends chain, for cycle errors */
        size_t n_chain;
        bool keyed; /* p->secret_key is set (by the first SOPS file read) */
} Loader;

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

/* ---- interpolation and type casts ---- */

typedef enum Cast {
        CAST_NONE,
        CAST_INT,
        CAST_FLOAT,
        CAST_BOOL,
} Cast;

/* Where compose turns interpolated strings back into the type the schema wants (compose-go's table). */
static const struct {
        const char *pattern;
        Cast cast;
} cast_table[] = {
        { "services.*.configs.*.mode", CAST_INT },
        { "services.*.cpu_count", CAST_INT },
        { "services.*.cpu_percent", CAST_FLOAT },
        { "services.*.cpu_period", CAST_INT },
        { "services.*.cpu_quota", CAST_INT },
        { "services.*.cpu_rt_period", CAST_INT },
        { "services.*.cpu_rt_runtime", CAST_INT },
        { "services.*.cpus", CAST_FLOAT },
        { "services.*.cpu_shares", CAST_INT },
        { "services.*.init", CAST_BOOL },
        { "services.*.deploy.replicas", CAST_INT },
        { "services.*.deploy.update_config.parallelism", CAST_INT },
        { "services.*.deploy.update_config.max_failure_ratio", CAST_FLOAT },
        { "services.*.deploy.rollback_config.parallelism", CAST_INT },
        { "services.*.deploy.rollback_config.max_failure_ratio", CAST_FLOAT },
        { "services.*.deploy.restart_policy.max_attempts", CAST_INT },
        { "services.*.deploy.placement.max_replicas_per_node", CAST_INT },
        { "services.*.healthcheck.retries", CAST_INT },
        { "services.*.healthcheck.disable", CAST_BOOL },
        { "services.*.oom_kill_disable", CAST_BOOL },
        { "services.*.oom_score_adj", CAST_INT },
        { "services.*.pids_limit", CAST_INT },
        { "services.*.ports.*.target", CAST_INT },
        { "services.*.privileged", CAST_BOOL },
        { "services.*.read_only", CAST_BOOL },
        { "services.*.scale", CAST_INT },
        { "services.*.secrets.*.mode", CAST_INT },
        { "services.*.stdin_open", CAST_BOOL },
        { "services.*.tty", CAST_BOOL },
        { "services.*.ulimits.*", CAST_INT },
        { "services.*.ulimits.*.hard", CAST_INT },
        { "services.*.ulimits.*.soft", CAST_INT },
        { "services.*.volumes.*.read_only", CAST_BOOL },
        { "services.*.volumes.*.volume.nocopy", CAST_BOOL },
        { "networks.*.external", CAST_BOOL },
        { "networks.*.internal", CAST_BOOL },
        { "networks.*.attachable", CAST_BOOL },
        { "networks.*.enable_ipv6", CAST_BOOL },
        { "volumes.*.external", CAST_BOOL },
        { "secrets.*.external", CAST_BOOL },
        { "configs.*.external", CAST_BOOL },
};

#define MAX_PATH_DEPTH 64

static Cast cast_for(const char *const *parts, size_t n)
{
        for (size_t i = 0; i < ELEMENTSOF(cast_table); i++) {
                const char *p = cast_table[i].pattern;
                size_t k = 0;
                for (; k < n && *p; k++) {
                        const char *dot = strchrnul(p, '.');
                        size_t len = (size_t)(dot - p);
                        if (!(len == 1 && p[0] == '*') &&
                            (strlen(parts[k]) != len || memcmp(parts[k], p, len) != 0))
                                break;
                        p = *dot ? dot + 1 : dot;
                }
                if (k == n && !*p)
                        return cast_table[i].cast;
        }
        return CAST_NONE;
}

static void path_render(const char *const *parts, const bool *is_index, size_t n, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < n && len < size; i++) {
                int k = is_index[i] ? snprintf(buf + len, size - len, "[%s]", parts[i])
                                    : snprintf(buf + len, size - len, "%s%s", i ? "." : "", parts[i]);
                if (k < 0)
                        break;
                len += (size_t)k;
        }
}

typedef struct Walk {
        Loader *l;
        const char *parts[MAX_PATH_DEPTH];
        bool is_index[MAX_PATH_DEPTH];
        char idx[MAX_PATH_DEPTH][16];
        size_t n;
} Walk;

static void warn_unset(void *ud, const char *name, size_t len)
{
        Loader *l = ud;
        compose_warn(&l->c, "the \"%.*s\" variable is not set, defaulting to a blank string", (int)len,
                     name);
}

static int cast_value(Walk *w, cJSON *parent, cJSON *node, Cast cast)
{
        char path[512];
        const char *s = node->valuestring;
        cJSON *n = NULL;

        path_render(w->parts, w->is_index, w->n, path, sizeof(path));
        if (cast == CAST_BOOL) {
                if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "y") ||
                    !strcasecmp(s, "on"))
                        n = cJSON_CreateTrue();
                else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "n") ||
                         !strcasecmp(s, "off"))
                        n = cJSON_CreateFalse();
                else
                        return compose_fail(&w->l->c, -EINVAL, node, false, path, "\"%s\" is not a boolean",
                                            s);
        } else {
                char *end;
                double d = strtod(s, &end);
                if (!*s || *end || (cast == CAST_INT && d != (double)(long long)d))
                        return compose_fail(&w->l->c, -EINVAL, node, false, path, "\"%s\" is not %s", s,
                                            cast == CAST_INT ? "an integer" : "a number");
                n = cJSON_CreateNumber(d);
                if (n && !(n->valuestring = strdup(s))) {
                        cJSON_Delete(n);
                        return -ENOMEM;
                }
        }
        if (!n)
                return -ENOMEM;
        compose_pos_copy(&w->l->c, n, node);
        compose_swap(parent, node, n);
        return 0;
}

static int interpolate(Walk *w, cJSON *parent, cJSON *node)
{
        int r;

        if (cJSON_IsString(node) && interp_needed(node->valuestring)) {
                _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
                Interp ip = { .env = &w->l->env, .on_unset = warn_unset, .userdata = w->l };
                BerthError ierr = { 0 };
                r = interp_expand(&ip, node->valuestring, strlen(node->valuestring), &out, &ierr);
                if (r < 0) {
                        char path[512];
                        path_render(w->parts, w->is_index, w->n, path, sizeof(path));
                        return compose_fail(&w->l->c, r, node, false, path, "%s", ierr.msg);
                }
                /* cJSON allocates with malloc by default, so the value can be swapped in place. */
                free(node->valuestring);
                node->valuestring = strbuf_detach(&out);
                if (!node->valuestring)
                        return -ENOMEM;
                Cast cast = cast_for(w->parts, w->n);
                if (cast != CAST_NONE && parent)
                        return cast_value(w, parent, node, cast);
                return 0;
        }
        if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
                return 0;
        if (w->n >= MAX_PATH_DEPTH)
                return 0;
        int i = 0;
        for (cJSON *ch = node->child, *next; ch; ch = next, i++) {
                next = ch->next;
                if (cJSON_IsArray(node)) {
                        snprintf(w->idx[w->n], sizeof(w->idx[0]), "%d", i);
                        w->parts[w->n] = w->idx[w->n];
                        w->is_index[w->n] = true;
                } else {
                        w->parts[w->n] = ch->string;
                        w->is_index[w->n] = false;
                }
                w->n++;
                r = interpolate(w, node, ch);
                w->n--;
                if (r < 0)
                        return r;
        }
        return 0;
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

static int add_secret(Project *p, const char *value)
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
static int read_plain(Loader *l, const char *path, size_t max, const cJSON *node, const char *keypath,
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

static void free_plain(char *buf, size_t len)
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

/* Records the digest of a file's contents (as read_plain() gave them, with secret and key) in
 * p->contents. mounted: the file is mounted into containers (a secret, config or bind mount), so a
 * decrypted SOPS document is kept for the deploy to write where the engine can mount it. */
static int note_read(Loader *l, const char *path, const char *buf, size_t len, bool secret,
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

static int note_contents(Loader *l, const char *path, const cJSON *node, const char *keypath, bool mounted)
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
        int r = read_plain(l, path, HASH_FILE_MAX, node, keypath, "file", &buf, &len, &secret, key);
        if (r < 0)
                return r;
        r = note_read(l, path, buf, len, secret, key, mounted);
        OPENSSL_cleanse(key, sizeof(key));
        free_plain(buf, len);
        return r;
}

/* ---- one file ---- */

static int load_file(Loader *l, const char *path, const cJSON *node, const char *keypath, cJSON **ret)
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

        Walk w = { .l = l };
        r = interpolate(&w, NULL, doc);
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

static int add_file(Project *p, size_t *n, const char *abs);

/* ---- extends ---- */

static int cached_file(Loader *l, const char *path, const cJSON *node, const char *keypath, cJSON **ret)
{
        for (size_t i = 0; i < l->n_cache; i++)
                if (strcmp(l->cache[i].path, path) == 0) {
                        *ret = l->cache[i].doc;
                        return 0;
                }
        cJSON *doc = NULL;
        _cleanup_free_ char *saved_dir = l->p->dir;
        /* A file reached through extends resolves its relative paths from its own directory. */
        l->p->dir = path_dirname(path);
        int r = l->p->dir ? load_file(l, path, node, keypath, &doc) : -ENOMEM;
        free(l->p->dir);
        l->p->dir = TAKE_PTR(saved_dir);
        if (r < 0)
                return r;
        Loaded *c = realloc(l->cache, (l->n_cache + 1) * sizeof(Loaded));
        if (!c) {
                cJSON_Delete(doc);
                return -ENOMEM;
        }
        l->cache = c;
        l->cache[l->n_cache++] = (Loaded){ .path = strdup(path), .doc = doc };
        /* A file extended from is one of the project's files: a change to it changes the project. */
        size_t n = 0;
        while (l->p->files && l->p->files[n])
                n++;
        if ((r = add_file(l->p, &n, path)) < 0)
                return r;
        *ret = doc;
        return 0;
}

static int resolve_extends(Loader *l, cJSON *services, const char *name, const char *file)
{
        cJSON *svc = cJSON_GetObjectItemCaseSensitive(services, name);
        cJSON *ext = cJSON_GetObjectItemCaseSensitive(svc, "extends");
        cJSON *base_services = services;
        const char *base_file = file;
        char id[1024], path[512];
        int r;

        if (!cJSON_IsObject(ext))
                return 0;
        const char *base_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ext, "service"));
        const char *ext_file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ext, "file"));
        snprintf(path, sizeof(path), "services.%s.extends", name);
        snprintf(id, sizeof(id), "%s:%s", file, name);
        for (size_t i = 0; i < l->n_chain; i++)
                if (strcmp(l->chain[i], id) == 0) {
                        _cleanup_strbuf_ StrBuf cyc = STRBUF_INIT;
                        for (size_t k = i; k < l->n_chain; k++)
                                strbuf_addf(&cyc, "%s -> ", strrchr(l->chain[k], ':') + 1);
                        strbuf_addstr(&cyc, name);
                        return compose_fail(&l->c, -ELOOP, ext, true, path, "extends cycle: %s",
                                            strbuf_str(&cyc));
                }
        if (l->n_chain >= 32)
                return compose_fail(&l->c, -ELOOP, ext, true, path, "extends chain too long");
        l->chain[l->n_chain++] = strdup(id);

        if (ext_file) {
                cJSON *doc;
                r = cached_file(l, ext_file, cJSON_GetObjectItemCaseSensitive(ext, "file"), path, &doc);
                if (r < 0)
                        goto out;
                base_services = cJSON_GetObjectItemCaseSensitive(doc, "services");
                base_file = ext_file;
        }
        if (!cJSON_GetObjectItemCaseSensitive(base_services, base_name)) {
                r = compose_fail(&l->c, -ENOENT, cJSON_GetObjectItemCaseSensitive(ext, "service"), false,
                                 path, "cannot extend service \"%s\": no such service in \"%s\"", base_name,
                                 base_file);
                goto out;
        }
        r = resolve_extends(l, base_services, base_name, base_file);
        if (r < 0)
                goto out;
        cJSON *copy = srcmap_duplicate(l->c.src, cJSON_GetObjectItemCaseSensitive(base_services, base_name));
        if (!copy) {
                r = -ENOMEM;
                goto out;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "extends");
        cJSON_DeleteItemFromObjectCaseSensitive(svc, "extends");
        r = merge_service(&l->c, copy, svc);
        if (r >= 0)
                r = compose_replace(&l->c, services, name, copy);
        else
                cJSON_Delete(copy);
out:
        free(l->chain[--l->n_chain]);
        return r;
}

/* ---- environment and files ---- */

static int read_dotenv(Loader *l, const char *path, bool required)
{
        char *buf = NULL;
        size_t len = 0;
        EnvLookup os = { .maps = { l->o->os_env }, .n = l->o->os_env ? 1 : 0 };
        EnvMap vars;
        bool secret = false;
        int r;

        if (!required && source_kind(l->src, path) == SRC_MISSING)
                return 0;
        r = read_plain(l, path, ENV_FILE_MAX, NULL, NULL, "env file", &buf, &len, &secret, NULL);
        if (r < 0)
                return r;
        envmap_init(&vars);
        r = dotenv_parse(buf, len, path, &os, &vars, l->c.err);
        free_plain(buf, len);
        for (size_t i = 0; r >= 0 && i < vars.n; i++)
                if ((r = envmap_set(&l->p->dotenv, vars.keys[i], vars.values[i])) >= 0 && secret)
                        r = add_secret(l->p, vars.values[i]);
        envmap_done(&vars);
        return r;
}

static const char *env_get(Loader *l, const char *key)
{
        return envlookup_get(&l->env, key, strlen(key));
}

static int add_file(Project *p, size_t *n, const char *abs)
{
        if (*n >= MAX_FILES)
                return -E2BIG;
        char **f = realloc(p->files, (*n + 2) * sizeof(char *));
        if (!f)
                return -ENOMEM;
        p->files = f;
        if (!(p->files[*n] = strdup(abs)))
                return -ENOMEM;
        p->files[++*n] = NULL;
        return 0;
}

static int find_files(Loader *l, const char *cwd)
{
        static const char *const names[] = { "compose.yaml", "compose.yml", "docker-compose.yaml",
                                             "docker-compose.yml" };
        static const char *const overrides[] = { "compose.override.yaml", "compose.override.yml",
                                                 "docker-compose.override.yaml",
                                                 "docker-compose.override.yml" };
        size_t n = 0;
        int r;

        for (size_t i = 0; i < l->o->n_files; i++) {
                _cleanup_free_ char *abs =
                        strcmp(l->o->files[i], "-") == 0 ? NULL : path_absolute(cwd, l->o->files[i]);
                if (!abs)
                        return error_set(l->c.err, -EINVAL, l->o->files[i], 0, 0, NULL,
                                         "invalid compose file path");
                if ((r = add_file(l->p, &n, abs)) < 0)
                        return r;
        }
        if (n)
                return 0;
        const char *cf = env_get(l, "COMPOSE_FILE");
        if (cf && *cf) {
                const char *sep = env_get(l, "COMPOSE_PATH_SEPARATOR");
                char s = sep && *sep ? sep[0] : ':';
                _cleanup_free_ char *copy = strdup(cf);
                if (!copy)
                        return -ENOMEM;
                for (char *tok = copy, *next; tok; tok = next) {
                        next = strchr(tok, s);
                        if (next)
                                *next++ = '\0';
                        if (!*tok)
                                continue;
                        _cleanup_free_ char *abs = path_absolute(l->p->dir, tok);
                        if (!abs || (r = add_file(l->p, &n, abs)) < 0)
                                return abs ? r : -ENOMEM;
                }
                return 0;
        }
        for (size_t k = 0; k < 2; k++) {
                const char *const *list = k ? overrides : names;
                for (size_t i = 0; i < 4; i++) {
                        _cleanup_free_ char *abs = path_join(l->p->dir, list[i]);
                        if (!abs)
                                return -ENOMEM;
                        if (source_kind(l->src, abs) == SRC_FILE) {
                                if ((r = add_file(l->p, &n, abs)) < 0)
                                        return r;
                                break;
                        }
                }
                if (n == 0) {
                        error_set(l->c.err, -ENOENT, NULL, 0, 0, NULL, "no compose file found in \"%s\"",
                                  l->p->dir);
                        error_hint(l->c.err, "name one with -f, or add compose.yaml to the directory");
                        return -ENOENT;
                }
        }
        return 0;
}

static char *name_from_dir(const char *dir)
{
        const char *base = strrchr(dir, '/');
        base = base ? base + 1 : dir;
        StrBuf sb = STRBUF_INIT;
        for (const char *s = base; *s; s++) {
                char ch = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
                if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ((ch == '_' || ch == '-') && sb.len))
                        strbuf_addch(&sb, ch);
        }
        return strbuf_detach(&sb);
}

static int choose_name(Loader *l)
{
        const char *n = l->o->project_name;
        cJSON *top = cJSON_GetObjectItemCaseSensitive(l->p->model, "name");

        if (!n || !*n)
                n = env_get(l, "COMPOSE_PROJECT_NAME");
        if ((!n || !*n) && cJSON_IsString(top))
                n = top->valuestring;
        if (n && *n) {
                if (!project_name_valid(n)) {
                        if (top && n == top->valuestring)
                                compose_fail(&l->c, -EINVAL, top, false, "name",
                                             "invalid project name \"%s\"", n);
                        else
                                error_set(l->c.err, -EINVAL, NULL, 0, 0, NULL, "invalid project name \"%s\"",
                                          n);
                        error_hint(l->c.err, "project names are lowercase letters, digits, \"_\" and \"-\", "
                                             "starting with a letter or digit");
                        return -EINVAL;
                }
                l->p->name = strdup(n);
        } else {
                l->p->name = name_from_dir(l->p->dir);
                if (l->p->name && !project_name_valid(l->p->name))
                        return error_set(l->c.err, -EINVAL, NULL, 0, 0, NULL,
                                         "cannot derive a project name from \"%s\": use -p", l->p->dir);
        }
        if (!l->p->name)
                return -ENOMEM;
        cJSON_DeleteItemFromObjectCaseSensitive(l->p->model, "name");
        cJSON_AddStringToObject(l->p->model, "name", l->p->name);
        return 0;
}

/* ---- profiles ---- */

static bool profile_active(Loader *l, const char *profile)
{
        for (size_t i = 0; i < l->o->n_profiles; i++)
                if (strcmp(l->o->profiles[i], profile) == 0 || strcmp(l->o->profiles[i], "*") == 0)
                        return true;
        const char *env = env_get(l, "COMPOSE_PROFILES");
        if (!env)
                return false;
        size_t n = strlen(profile);
        for (const char *s = env; *s;) {
                const char *comma = strchrnul(s, ',');
                size_t len = (size_t)(comma - s);
                if ((len == n && memcmp(s, profile, n) == 0) || (len == 1 && *s == '*'))
                        return true;
                s = *comma ? comma + 1 : comma;
        }
        return false;
}

static int apply_profiles(Loader *l, cJSON *services)
{
        for (cJSON *s = services ? services->child : NULL, *next; s; s = next) {
                next = s->next;
                cJSON *profiles = cJSON_GetObjectItemCaseSensitive(s, "profiles");
                if (!cJSON_GetArraySize(profiles))
                        continue;
                bool on = false;
                for (cJSON *p = profiles->child; p && !on; p = p->next)
                        on = cJSON_IsString(p) && profile_active(l, p->valuestring);
                if (!on)
                        cJSON_Delete(cJSON_DetachItemViaPointer(services, s));
        }
        return 0;
}

/* ---- finalisation ---- */

/* refs is the service's list in Project.refs, made once per service by finalize_service(). */
static int add_ref(cJSON *list, const char *file)
{
        for (cJSON *f = list->child; f; f = f->next)
                if (strcmp(f->valuestring, file) == 0)
                        return 0;
        cJSON_AddItemToArray(list, cJSON_CreateString(file));
        return 0;
}

static int resolve_environment(Loader *l, cJSON *svc, const char *name, cJSON *refs)
{
        cJSON *env_files = cJSON_GetObjectItemCaseSensitive(svc, "env_file");
        cJSON *environment = cJSON_GetObjectItemCaseSensitive(svc, "environment");
        char path[512];
        int r;

        snprintf(path, sizeof(path), "services.%s.env_file", name);
        if (cJSON_GetArraySize(env_files) > 0) {
                EnvMap from_files;
                envmap_init(&from_files);
                for (cJSON *f = env_files->child; f; f = f->next) {
                        const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "path"));
                        bool required = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f, "required"));
                        char *buf = NULL;
                        size_t len = 0;
                        bool secret = false;
                        unsigned char key[32];
                        if (!file)
                                continue;
                        if (!required && source_kind(l->src, file) == SRC_MISSING)
                                continue;
                        r = read_plain(l, file, ENV_FILE_MAX, f, path, "env file", &buf, &len, &secret, key);
                        if (r >= 0) {
                                BerthError ferr = { 0 };
                                r = dotenv_parse(buf, len, file, &l->env, &from_files, &ferr);
                                if (r < 0 && l->c.err)
                                        *l->c.err = ferr;
                                /* Every value of the file, as dotenv_parse() resolved it. */
                                for (size_t i = 0; r >= 0 && secret && i < from_files.n; i++)
                                        r = add_secret(l->p, from_files.values[i]);
                                /* Hashed from what was read: a SOPS file is decrypted once. */
                                if (r >= 0)
                                        r = note_read(l, file, buf, len, secret, key, false);
                        }
                        OPENSSL_cleanse(key, sizeof(key));
                        free_plain(buf, len);
                        if (r < 0) {
                                envmap_done(&from_files);
                                return r;
                        }
                        if ((r = add_ref(refs, file)) < 0) {
                                envmap_done(&from_files);
                                return r;
                        }
                }
                if (!environment && !(environment = cJSON_AddObjectToObject(svc, "environment"))) {
                        envmap_done(&from_files);
                        return -ENOMEM;
                }
                /* "environment" wins over env_file. */
                for (size_t i = 0; i < from_files.n; i++)
                        if (!cJSON_HasObjectItem(environment, from_files.keys[i]))
                                cJSON_AddStringToObject(environment, from_files.keys[i],
                                                        from_files.values[i]);
                envmap_done(&from_files);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(svc, "env_file");
        for (cJSON *e = environment ? environment->child : NULL; e; e = e->next) {
                if (!cJSON_IsNull(e))
                        continue;
                const char *v = env_get(l, e->string);
                if (v) {
                        cJSON *s = compose_string_at(&l->c, v, e);
                        if (!s)
                                return -ENOMEM;
                        compose_swap(environment, e, s);
                        e = s;
                }
        }
        return 0;
}

static int check_refs(Loader *l, cJSON *svc, const char *name, cJSON *refs, const char *key,
                      const char *what)
{
        cJSON *top = cJSON_GetObjectItemCaseSensitive(l->p->model, key);
        cJSON *used = cJSON_GetObjectItemCaseSensitive(svc, key);
        char path[512];
        int i = 0;

        for (cJSON *u = used ? used->child : NULL; u; u = u->next, i++) {
                const char *ref =
                        cJSON_IsArray(used)
                                ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "source"))
                                : u->string;
                if (cJSON_IsArray(used) && strcmp(key, "volumes") == 0) {
                        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "type"));
                        if (!type || strcmp(type, "volume") != 0 || !ref)
                                continue; /* binds, tmpfs and anonymous volumes need no declaration */
                }
                if (!ref)
                        continue;
                cJSON *decl = cJSON_GetObjectItemCaseSensitive(top, ref);
                if (!decl) {
                        snprintf(path, sizeof(path), "services.%s.%s", name, key);
                        return compose_fail(&l->c, -EINVAL, u, cJSON_IsObject(used), path,
                                            "service \"%s\" refers to undefined %s \"%s\"", name, what, ref);
                }
                cJSON *fnode = cJSON_GetObjectItemCaseSensitive(decl, "file");
                const char *file = cJSON_GetStringValue(fnode);
                int r;
                snprintf(path, sizeof(path), "%s.%s.file", key, ref);
                if (file &&
                    ((r = note_contents(l, file, fnode, path, true)) < 0 || (r = add_ref(refs, file)) < 0))
                        return r;
        }
        return 0;
}

static int finalize_service(Loader *l, cJSON *services, cJSON *svc)
{
        const char *name = svc->string;
        cJSON *refs = cJSON_AddArrayToObject(l->p->refs, name);
        char path[512];
        int r;

        if (!refs)
                return -ENOMEM;
        snprintf(path, sizeof(path), "services.%s", name);
        if (!cJSON_HasObjectItem(svc, "image") && !cJSON_HasObjectItem(svc, "build"))
                return compose_fail(&l->c, -EINVAL, svc, true, path,
                                    "service \"%s\" has neither an image nor a build context", name);
        if ((r = resolve_environment(l, svc, name, refs)) < 0)
                return r;

        cJSON *deps = cJSON_GetObjectItemCaseSensitive(svc, "depends_on");
        for (cJSON *d = deps ? deps->child : NULL; d; d = d->next) {
                if (cJSON_GetObjectItemCaseSensitive(services, d->string))
                        continue;
                snprintf(path, sizeof(path), "services.%s.depends_on", name);
                compose_fail(&l->c, -EINVAL, d, true, path,
                             "service \"%s\" depends on undefined service \"%s\"", name, d->string);
                error_hint(l->c.err, "is \"%s\" misspelt, or disabled by a profile?", d->string);
                return -EINVAL;
        }

        if (!cJSON_HasObjectItem(svc, "network_mode") &&
            !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(svc, "networks"))) {
                cJSON *nets = cJSON_GetObjectItemCaseSensitive(svc, "networks");
                if (!nets && !(nets = cJSON_AddObjectToObject(svc, "networks")))
                        return -ENOMEM;
                cJSON_AddNullToObject(nets, "default");
        }
        cJSON *nets = cJSON_GetObjectItemCaseSensitive(svc, "networks");
        if (cJSON_GetObjectItemCaseSensitive(nets, "default")) {
                cJSON *top = cJSON_GetObjectItemCaseSensitive(l->p->model, "networks");
                if (!top && !(top = cJSON_AddObjectToObject(l->p->model, "networks")))
                        return -ENOMEM;
                if (!cJSON_HasObjectItem(top, "default"))
                        cJSON_AddObjectToObject(top, "default");
        }
        if ((r = check_refs(l, svc, name, refs, "networks", "network")) < 0 ||
            (r = check_refs(l, svc, name, refs, "volumes", "volume")) < 0 ||
            (r = check_refs(l, svc, name, refs, "secrets", "secret")) < 0 ||
            (r = check_refs(l, svc, name, refs, "configs", "config")) < 0)
                return r;

        /* Bind-mounted files of the project are part of what the service runs. */
        cJSON *vols = cJSON_GetObjectItemCaseSensitive(svc, "volumes");
        for (cJSON *v = vols ? vols->child : NULL; v; v = v->next) {
                const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "type"));
                const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "source"));
                /* Only files of the source: a bind of a host path (or of a directory containers write
                 * to) is the engine's business, and berth never reads it. */
                _cleanup_free_ char *rel = NULL;
                if (type && src && strcmp(type, "bind") == 0 && source_relative(l->src, src, &rel) >= 0 &&
                    source_kind(l->src, src) == SRC_FILE &&
                    ((r = note_contents(l, src, v, NULL, true)) < 0 || (r = add_ref(refs, src)) < 0))
                        return r;
        }

        cJSON *deploy = cJSON_GetObjectItemCaseSensitive(svc, "deploy");
        cJSON *replicas = cJSON_GetObjectItemCaseSensitive(deploy, "replicas");
        /* A count the engine will be asked for one container at a time: bounded, and whole. */
        if (cJSON_IsNumber(replicas) && (replicas->valuedouble < 0 || replicas->valuedouble > MAX_REPLICAS ||
                                         replicas->valuedouble != (double)(long)replicas->valuedouble)) {
                snprintf(path, sizeof(path), "services.%s.deploy.replicas", name);
                return compose_fail(&l->c, -EINVAL, replicas, false, path,
                                    "replicas must be a whole number from 0 to %d, not %.15g", MAX_REPLICAS,
                                    replicas->valuedouble);
        }
        if (cJSON_HasObjectItem(svc, "container_name") && cJSON_IsNumber(replicas) &&
            replicas->valuedouble > 1)
                return compose_fail(&l->c, -EINVAL, replicas, false, path,
                                    "service \"%s\" sets container_name, so it cannot have %g replicas",
                                    name, replicas->valuedouble);
        return 0;
}

/* depends_on must not loop: compose refuses a cycle, and a deploy would wait on it forever. Depth-first,
 * with a colour per service; the error names the whole cycle at the first service's depends_on. */
static int check_cycles_from(Loader *l, cJSON *services, cJSON *svc, cJSON *colour, const char **stack,
                             size_t depth)
{
        cJSON *mark = cJSON_GetObjectItemCaseSensitive(colour, svc->string);
        if (mark && mark->valueint == 2)
                return 0;
        if (mark && mark->valueint == 1) {
                _cleanup_strbuf_ StrBuf cyc = STRBUF_INIT;
                size_t from = 0;
                while (from < depth && strcmp(stack[from], svc->string) != 0)
                        from++;
                for (size_t k = from; k < depth; k++)
                        strbuf_addf(&cyc, "%s -> ", stack[k]);
                strbuf_addstr(&cyc, svc->string);
                cJSON *first = cJSON_GetObjectItemCaseSensitive(services, stack[from]);
                char path[512];
                snprintf(path, sizeof(path), "services.%s.depends_on", stack[from]);
                return compose_fail(&l->c, -ELOOP, cJSON_GetObjectItemCaseSensitive(first, "depends_on"),
                                    true, path, "circular dependency: %s", strbuf_str(&cyc));
        }
        if (depth >= MAX_SERVICES)
                return -ELOOP;
        if (!mark && !(mark = cJSON_AddNumberToObject(colour, svc->string, 1)))
                return -ENOMEM;
        cJSON_SetNumberValue(mark, 1);
        stack[depth] = svc->string;
        cJSON *deps = cJSON_GetObjectItemCaseSensitive(svc, "depends_on");
        for (cJSON *d = deps ? deps->child : NULL; d; d = d->next) {
                cJSON *dep = cJSON_GetObjectItemCaseSensitive(services, d->string);
                int r;
                if (dep && (r = check_cycles_from(l, services, dep, colour, stack, depth + 1)) < 0)
                        return r;
        }
        cJSON_SetNumberValue(mark, 2);
        return 0;
}

static int check_cycles(Loader *l, cJSON *services)
{
        _cleanup_cjson_ cJSON *colour = cJSON_CreateObject();
        size_t n = (size_t)cJSON_GetArraySize(services);
        _cleanup_free_ const char **stack = calloc(n + 1, sizeof(char *));
        if (!colour || !stack)
                return -ENOMEM;
        for (cJSON *s = services ? services->child : NULL; s; s = s->next) {
                int r = check_cycles_from(l, services, s, colour, stack, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int finalize_resources(Loader *l, const char *key)
{
        cJSON *top = cJSON_GetObjectItemCaseSensitive(l->p->model, key);
        for (cJSON *it = top ? top->child : NULL; it; it = it->next) {
                if (cJSON_HasObjectItem(it, "name"))
                        continue;
                bool external = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "external"));
                _cleanup_strbuf_ StrBuf n = STRBUF_INIT;
                if (external)
                        strbuf_addstr(&n, it->string);
                else
                        strbuf_addf(&n, "%s_%s", l->p->name, it->string);
                if (!cJSON_AddStringToObject(it, "name", strbuf_str(&n)))
                        return -ENOMEM;
        }
        return 0;
}

/* compose prints the top level in this order; everything below is sorted. */
static void order_top_level(cJSON *model)
{
        static const char *const order[] = {
                "name", "services", "networks", "volumes", "configs", "secrets"
        };
        for (size_t i = ELEMENTSOF(order); i > 0; i--) {
                cJSON *it = cJSON_GetObjectItemCaseSensitive(model, order[i - 1]);
                if (!it)
                        continue;
                cJSON_DetachItemViaPointer(model, it);
                /* prepend */
                if (!model->child) {
                        model->child = it;
                        it->prev = it;
                        it->next = NULL;
                } else {
                        it->next = model->child;
                        it->prev = model->child->prev;
                        model->child->prev = it;
                        model->child = it;
                }
        }
}

/* The top of the git work tree that holds dir, else dir itself: a working tree's stack may read the
 * repo's shared files, as its commit's would, and nothing beyond. */
static char *work_tree_top(const char *dir)
{
        _cleanup_free_ char *d = strdup(dir);
        while (d) {
                _cleanup_free_ char *git = path_join(d, ".git");
                if (!git)
                        return NULL;
                if (access(git, F_OK) == 0)
                        return TAKE_PTR(d);
                if (strcmp(d, "/") == 0)
                        break;
                char *up = path_dirname(d);
                free(d);
                d = up;
        }
        return strdup(dir);
}

static int open_source(Loader *l, const ComposeOptions *o, const char *cwd)
{
        int r;
        if (o->source)
                l->src = source_ref(o->source);
        else {
                _cleanup_free_ char *top = work_tree_top(l->p->dir);
                if (!top || (r = source_dir_new(top, &l->src, l->c.err)) < 0)
                        return top ? r : -ENOMEM;
        }
        if (o->source)
                return 0;
        /* A working tree has no berth.yaml to allow host paths: BERTH_ALLOW_HOST_PATHS (":"-separated)
         * does it for `berth config` and `up`. */
        const char *allow = o->os_env ? envmap_get(o->os_env, "BERTH_ALLOW_HOST_PATHS") : NULL;
        for (const char *a = allow; a && *a;) {
                const char *end = strchrnul(a, ':');
                _cleanup_free_ char *one = strndup(a, (size_t)(end - a));
                const char *list[] = { one };
                if (!one || (one[0] == '/' && (r = source_allow(l->src, list, 1)) < 0))
                        return one ? r : -ENOMEM;
                a = *end ? end + 1 : end;
        }
        /* What the user named on the command line is read where it is. */
        for (size_t i = 0; i < o->n_files; i++) {
                _cleanup_free_ char *abs = path_absolute(cwd, o->files[i]);
                if (!abs || (r = source_explicit(l->src, abs)) < 0)
                        return abs ? r : -ENOMEM;
        }
        for (size_t i = 0; i < o->n_env_files; i++) {
                _cleanup_free_ char *abs = path_absolute(cwd, o->env_files[i]);
                if (!abs || (r = source_explicit(l->src, abs)) < 0)
                        return abs ? r : -ENOMEM;
        }
        return 0;
}

/* Labels are readable by anyone who may list containers, networks or volumes: no value from a SOPS file
 * may go there. */
static int check_labels(Loader *l, const cJSON *labels, const char *path)
{
        char where[512];
        for (const cJSON *v = labels ? labels->child : NULL; v; v = v->next)
                if (cJSON_IsString(v) && project_is_secret(l->p, v->valuestring)) {
                        snprintf(where, sizeof(where), "%s.%s", path, v->string);
                        compose_fail(
                                &l->c, -EPERM, v, false, where,
                                "this label holds a value read from a SOPS file; labels show to anyone who "
                                "can list what runs, so a secret cannot go there");
                        error_hint(l->c.err, "pass it in environment, or as a secret");
                        return -EPERM;
                }
        return 0;
}

static int check_secret_labels(Loader *l)
{
        char path[512];
        int r;
        if (!l->p->n_secrets)
                return 0;
        cJSON *services = cJSON_GetObjectItemCaseSensitive(l->p->model, "services");
        for (cJSON *s = services ? services->child : NULL; s; s = s->next) {
                snprintf(path, sizeof(path), "services.%s.labels", s->string);
                if ((r = check_labels(l, cJSON_GetObjectItemCaseSensitive(s, "labels"), path)) < 0)
                        return r;
                snprintf(path, sizeof(path), "services.%s.deploy.labels", s->string);
                cJSON *deploy = cJSON_GetObjectItemCaseSensitive(s, "deploy");
                if ((r = check_labels(l, cJSON_GetObjectItemCaseSensitive(deploy, "labels"), path)) < 0)
                        return r;
        }
        static const char *const tops[] = { "networks", "volumes", "secrets", "configs" };
        for (size_t i = 0; i < ELEMENTSOF(tops); i++) {
                cJSON *top = cJSON_GetObjectItemCaseSensitive(l->p->model, tops[i]);
                for (cJSON *o = top ? top->child : NULL; o; o = o->next) {
                        snprintf(path, sizeof(path), "%s.%s.labels", tops[i], o->string);
                        if ((r = check_labels(l, cJSON_GetObjectItemCaseSensitive(o, "labels"), path)) < 0)
                                return r;
                }
        }
        return 0;
}

static int load(Loader *l, const ComposeOptions *o)
{
        _cleanup_free_ char *cwd = o->cwd ? strdup(o->cwd) : getcwd(NULL, 0);
        Project *p = l->p;
        int r;

        if (!cwd)
                return -ENOMEM;
        if (o->project_directory)
                p->dir = path_absolute(cwd, o->project_directory);
        else if (o->n_files > 0 && strcmp(o->files[0], "-") != 0) {
                _cleanup_free_ char *f = path_absolute(cwd, o->files[0]);
                p->dir = f ? path_dirname(f) : NULL;
        } else
                p->dir = strdup(cwd);
        if (!p->dir)
                return -ENOMEM;
        if ((r = open_source(l, o, cwd)) < 0)
                return r;
        if (!(p->root = strdup(l->src->root)) || !(p->contents = cJSON_CreateObject()))
                return -ENOMEM;

        /* The OS environment wins over .env. */
        l->env.maps[l->env.n++] = o->os_env;
        l->env.maps[l->env.n++] = &p->dotenv;
        if (o->n_env_files) {
                for (size_t i = 0; i < o->n_env_files; i++) {
                        _cleanup_free_ char *abs = path_absolute(cwd, o->env_files[i]);
                        if (!abs || (r = read_dotenv(l, abs, true)) < 0)
                                return abs ? r : -ENOMEM;
                }
        } else {
                _cleanup_free_ char *dotenv = path_join(p->dir, ".env");
                if (!dotenv || (r = read_dotenv(l, dotenv, false)) < 0)
                        return dotenv ? r : -ENOMEM;
        }

        if ((r = find_files(l, cwd)) < 0)
                return r;
        for (char **f = p->files; *f; f++) {
                cJSON *doc = NULL;
                if ((r = load_file(l, *f, NULL, NULL, &doc)) < 0)
                        return r;
                if (!p->model)
                        p->model = doc;
                else {
                        r = merge_documents(&l->c, p->model, doc);
                        cJSON_Delete(doc);
                        if (r < 0)
                                return r;
                }
        }
        merge_strip_resets(&l->c, p->model);

        cJSON *services = cJSON_GetObjectItemCaseSensitive(p->model, "services");
        /* resolve_extends() replaces service nodes, so first note the names that need it (few, usually). */
        _cleanup_strv_free_ char **extending = NULL;
        size_t n_ext = 0;
        for (cJSON *s = services ? services->child : NULL; s; s = s->next) {
                if (!cJSON_HasObjectItem(s, "extends"))
                        continue;
                char **v = realloc(extending, (n_ext + 2) * sizeof(char *));
                if (!v)
                        return -ENOMEM;
                extending = v;
                if (!(extending[n_ext++] = strdup(s->string)))
                        return -ENOMEM;
                extending[n_ext] = NULL;
        }
        for (size_t i = 0; i < n_ext; i++)
                if ((r = resolve_extends(l, services, extending[i], p->files[0])) < 0)
                        return r;
        if ((r = choose_name(l)) < 0 || (r = apply_profiles(l, services)) < 0)
                return r;
        if (!(p->refs = cJSON_CreateObject()))
                return -ENOMEM;
        for (cJSON *s = services ? services->child : NULL; s; s = s->next)
                if ((r = finalize_service(l, services, s)) < 0)
                        return r;
        if ((r = check_cycles(l, services)) < 0)
                return r;
        static const char *const tops[] = { "networks", "volumes", "secrets", "configs" };
        for (size_t i = 0; i < ELEMENTSOF(tops); i++)
                if ((r = finalize_resources(l, tops[i])) < 0)
                        return r;
        if (!services && !cJSON_AddObjectToObject(p->model, "services"))
                return -ENOMEM;
        if ((r = check_secret_labels(l)) < 0)
                return r;
        compose_sort(p->model);
        order_top_level(p->model);
        return 0;
}

int project_load(const ComposeOptions *o, Project **ret, BerthError *err)
{
        _cleanup_project_ Project *p = calloc(1, sizeof(Project));
        char *chain[32];
        int r;

        if (!p || !(p->src = srcmap_new()))
                return -ENOMEM;
        envmap_init(&p->dotenv);
        Loader l = {
                .o = o, .p = p, .home = o->os_env ? envmap_get(o->os_env, "HOME") : NULL, .chain = chain
        };
        l.c = (ComposeCtx){ .src = p->src, .err = err };
        l.c.env = &l.env;

        r = load(&l, o);
        for (size_t i = 0; i < l.n_cache; i++) {
                free(l.cache[i].path);
                cJSON_Delete(l.cache[i].doc);
        }
        free(l.cache);
        source_unref(l.src);
        p->warnings = l.c.warnings;
        if (r < 0) {
                if (r == -ENOMEM)
                        error_set(err, r, NULL, 0, 0, NULL, "out of memory");
                return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

Project *project_free(Project *p)
{
        if (!p)
                return NULL;
        free(p->root);
        cJSON_Delete(p->contents);
        free(p->name);
        free(p->dir);
        strv_free(p->files);
        strv_free(p->warnings);
        cJSON_Delete(p->model);
        cJSON_Delete(p->refs);
        srcmap_free(p->src);
        envmap_done(&p->dotenv);
        for (size_t i = 0; i < p->n_secrets; i++)
                OPENSSL_cleanse(p->secrets[i], strlen(p->secrets[i]));
        strv_free(p->secrets);
        OPENSSL_cleanse(p->secret_key, sizeof(p->secret_key));
        for (size_t i = 0; i < p->n_plain_files; i++) {
                OPENSSL_cleanse(p->plain_files[i].data, p->plain_files[i].len);
                free(p->plain_files[i].data);
                free(p->plain_files[i].path);
        }
        free(p->plain_files);
        free(p);
        return NULL;
}
