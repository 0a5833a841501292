/* auth.c: registry credentials from CI variables and docker's config.json. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "../util/base64.h"
#include "../util/cleanup.h"
#include "../util/fileio.h"
#include "../util/strbuf.h"
#include "auth.h"
#include "../util/json.h"

char *registry_of(const char *ref)
{
        const char *slash = strchr(ref, '/');
        if (!slash)
                return NULL;
        size_t n = (size_t)(slash - ref);
        if (!memchr(ref, '.', n) && !memchr(ref, ':', n) && !(n == 9 && memcmp(ref, "localhost", 9) == 0))
                return NULL;
        return strndup(ref, n);
}

static cJSON *config_json(const EnvMap *env)
{
        const char *dir = envmap_get(env, "DOCKER_CONFIG");
        const char *home = envmap_get(env, "HOME");
        _cleanup_free_ char *base = dir && *dir ? strdup(dir) : path_join(home ? home : "/root", ".docker");
        _cleanup_free_ char *path = base ? path_join(base, "config.json") : NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len;
        if (!path || file_read(path, 4 * 1024 * 1024, &buf, &len, NULL) < 0)
                return NULL;
        return cJSON_ParseWithLength(buf, len);
}

/* user and password of one "auths" entry: {"auth": base64("user:pass")} or {"username", "password"}. */
static int entry_credentials(const cJSON *e, char **user, char **pass)
{
        const char *auth = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "auth"));
        const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "username"));
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "password"));
        if (auth && *auth) {
                size_t len = strlen(auth);
                _cleanup_free_ unsigned char *dec = malloc(len + 1);
                if (!dec)
                        return -ENOMEM;
                int n = EVP_DecodeBlock(dec, (const unsigned char *)auth, (int)len);
                if (n < 0)
                        return -EINVAL;
                while (n > 0 && len > 0 && auth[--len] == '=')
                        n--; /* EVP_DecodeBlock counts the padding */
                dec[n] = '\0';
                char *colon = strchr((char *)dec, ':');
                if (!colon)
                        return -EINVAL;
                *colon = '\0';
                *user = strdup((char *)dec);
                *pass = strdup(colon + 1);
                explicit_bzero(dec, (size_t)n);
        } else if (u && p) {
                *user = strdup(u);
                *pass = strdup(p);
        } else
                return -ENOENT;
        return *user && *pass ? 0 : -ENOMEM;
}

static const cJSON *auths_entry(const cJSON *auths, const char *registry)
{
        static const char *const prefixes[] = { "", "http://", "https://" };
        char key[512];
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                snprintf(key, sizeof(key), "%s%s", prefixes[i], registry);
                const cJSON *e = cJSON_GetObjectItemCaseSensitive(auths, key);
                if (e)
                        return e;
        }
        return NULL;
}

static char *auth_json(const char *user, const char *pass, const char *server)
{
        _cleanup_cjson_ cJSON *j = cJSON_CreateObject();
        if (!j)
                return NULL;
        if (user)
                cJSON_AddStringToObject(j, "username", user);
        if (pass)
                cJSON_AddStringToObject(j, "password", pass);
        if (server)
                cJSON_AddStringToObject(j, "serveraddress", server);
        return json_print(j, false);
}

static void free_secret(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

const char *registry_env_bound(const EnvMap *env)
{
        const char *b = envmap_get(env, "BERTH_REGISTRY");
        if (!b || !*b)
                b = envmap_get(env, "CI_REGISTRY");
        return b && *b ? b : NULL;
}

int registry_auth_header(const EnvMap *env, const char *registry, char **ret, bool *ret_found)
{
        const char *server = registry ? registry : "https://index.docker.io/v1/";
        const char *eu = envmap_get(env, "BERTH_REGISTRY_USER");
        const char *ep = envmap_get(env, "BERTH_REGISTRY_PASSWORD");
        char *user = NULL, *pass = NULL;
        int r = 0;

        *ret_found = false;
        /* The variables' credentials go only to the registry they are for: a repo file that names
         * another registry must not receive them. */
        const char *bound = registry_env_bound(env);
        if (eu && *eu && ep && bound && registry && strcmp(bound, registry) == 0) {
                user = strdup(eu);
                pass = strdup(ep);
                if (!user || !pass)
                        r = -ENOMEM;
        } else {
                _cleanup_cjson_ cJSON *cfg = config_json(env);
                const cJSON *e = auths_entry(cJSON_GetObjectItemCaseSensitive(cfg, "auths"), server);
                if (e && (r = entry_credentials(e, &user, &pass)) == -ENOENT)
                        r = 0;
        }
        if (r >= 0) {
                char *json = auth_json(user, pass, server);
                char *enc = json ? base64_string(json, strlen(json), true) : NULL;
                StrBuf h = STRBUF_INIT;
                if (!enc || strbuf_addf(&h, "X-Registry-Auth: %s", enc) < 0)
                        r = -ENOMEM;
                else {
                        *ret = strbuf_detach(&h);
                        *ret_found = user != NULL;
                }
                free_secret(json);
                free_secret(enc);
                strbuf_done(&h);
        }
        free_secret(user);
        free_secret(pass);
        return r;
}

int registry_config_header(const EnvMap *env, char **ret)
{
        _cleanup_cjson_ cJSON *cfg = config_json(env), *out = cJSON_CreateObject();
        const cJSON *auths = cJSON_GetObjectItemCaseSensitive(cfg, "auths");
        *ret = NULL;
        if (!out)
                return -ENOMEM;
        for (const cJSON *e = auths ? auths->child : NULL; e; e = e->next) {
                char *user = NULL, *pass = NULL;
                if (entry_credentials(e, &user, &pass) == 0) {
                        cJSON *x = cJSON_AddObjectToObject(out, e->string);
                        cJSON_AddStringToObject(x, "username", user);
                        cJSON_AddStringToObject(x, "password", pass);
                        cJSON_AddStringToObject(x, "serveraddress", e->string);
                }
                free_secret(user);
                free_secret(pass);
        }
        if (!out->child)
                return 0;
        char *json = json_print(out, false);
        char *enc = json ? base64_string(json, strlen(json), true) : NULL;
        StrBuf h = STRBUF_INIT;
        int r = !enc || strbuf_addf(&h, "X-Registry-Config: %s", enc) < 0 ? -ENOMEM : 0;
        if (r == 0)
                *ret = strbuf_detach(&h);
        strbuf_done(&h);
        free_secret(json);
        free_secret(enc);
        return r;
}
