/* keys.c: age identities from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the sops keys file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../util/cleanup.h"
#include "../util/fileio.h"
#include "keys.h"

#define KEYS_FILE_MAX ((size_t)1024 * 1024)

static const char *env_get(const EnvMap *env, const char *key)
{
        return env ? envmap_get(env, key) : NULL;
}

static int add_file(AgeIdentities *ids, const char *path, bool required, BerthError *err)
{
        char *buf = NULL;
        size_t len = 0;
        BerthError e = { 0 };
        int r = file_read(path, KEYS_FILE_MAX, &buf, &len, &e);
        if (r == -ENOENT && !required)
                return 0;
        if (r < 0) {
                if (err && !err->set)
                        *err = e;
                return r;
        }
        r = age_identities_add(ids, buf, len, path, err);
        OPENSSL_clear_free(buf, len);
        return r;
}

int secrets_keys_load(const EnvMap *env, AgeIdentities *ids, BerthError *err)
{
        const char *key = env_get(env, "SOPS_AGE_KEY");
        const char *file = env_get(env, "SOPS_AGE_KEY_FILE");
        int r;

        if (key && *key && (r = age_identities_add(ids, key, strlen(key), "SOPS_AGE_KEY", err)) < 0)
                return r;
        if (file && *file && (r = add_file(ids, file, true, err)) < 0)
                return r;
        const char *xdg = env_get(env, "XDG_CONFIG_HOME");
        const char *home = env_get(env, "HOME");
        _cleanup_free_ char *base = xdg && *xdg     ? strdup(xdg)
                                    : home && *home ? path_join(home, ".config")
                                                    : NULL;
        if (!base)
                return 0;
        _cleanup_free_ char *path = path_join(base, "sops/age/keys.txt");
        if (!path)
                return -ENOMEM;
        return add_file(ids, path, false, err);
}
