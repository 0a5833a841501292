/* config.c: berth-api's config file, and the environment's settings and git credentials. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "yaml/yaml.h"
#include "config.h"
#include "util/fileio.h"

#define CONFIG_FILE_MAX ((size_t)256 * 1024)
#define SECRET_FILE_MAX ((size_t)16 * 1024)

static const struct {
        const char *key;
        size_t offset;
} keys[] = {
        { "listen", offsetof(Config, listen) },         { "repo", offsetof(Config, repo) },
        { "branch", offsetof(Config, branch) },         { "workdir", offsetof(Config, workdir) },
        { "token_file", offsetof(Config, token_file) }, { "policy", offsetof(Config, policy) },
        { "templates", offsetof(Config, templates) },   { "docker_host", offsetof(Config, docker_host) },
        { "git_user", offsetof(Config, git_user) },
};

/* A secret from a file: its first line, without the newline (as Docker and Kubernetes mount them). An
 * empty file is no secret at all, so that a service manager's credential can be there, empty, for an
 * origin that needs no password (berth-api.service). */
static int read_secret(const char *path, char **ret, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = file_read(path, SECRET_FILE_MAX, &buf, &len, err);
        if (r < 0)
                return r;
        len = strcspn(buf, "\r\n");
        *ret = len ? strndup(buf, len) : NULL;
        explicit_bzero(buf, strlen(buf));
        return *ret || !len ? 0 : -ENOMEM;
}

int config_load(const char *path, Config *c, BerthError *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_cjson_ cJSON *doc = NULL;
        _cleanup_srcmap_ SrcMap *map = srcmap_new();
        size_t len = 0;
        int r = file_read(path, CONFIG_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        if (!map)
                return -ENOMEM;
        if ((r = yaml_load(text, len, path, NULL, map, &doc, err)) < 0)
                return r;
        if (cJSON_IsNull(doc))
                return 0;
        if (!cJSON_IsObject(doc))
                return srcmap_fail(err, map, doc, path, NULL, "must be a mapping of settings");
        for (const cJSON *v = doc->child; v; v = v->next) {
                bool secret = strcmp(v->string, "git_password_file") == 0;
                size_t i = 0;
                while (i < ELEMENTSOF(keys) && strcmp(keys[i].key, v->string) != 0)
                        i++;
                if (i == ELEMENTSOF(keys) && !secret)
                        return srcmap_fail(err, map, SRCMAP_KEY(v), path, v->string,
                                           "unknown setting \"%s\" (settings: listen, repo, branch, "
                                           "workdir, token_file, policy, templates, docker_host, "
                                           "git_user, git_password_file)",
                                           v->string);
                if (!cJSON_IsString(v) || !v->valuestring[0])
                        return srcmap_fail(err, map, v, path, v->string, "must be a non-empty string");
                if (secret) {
                        if (!c->git_password && (r = read_secret(v->valuestring, &c->git_password, err)) < 0)
                                return r;
                        continue;
                }
                char **field = (char **)((char *)c + keys[i].offset);
                if (!*field && !(*field = strdup(v->valuestring)))
                        return -ENOMEM;
        }
        return 0;
}

static int set_default(char **field, const char *value)
{
        if (*field || !value)
                return 0;
        return (*field = strdup(value)) ? 0 : -ENOMEM;
}

int config_finish(Config *c, BerthError *err)
{
        const char *token = getenv("BERTH_API_GIT_TOKEN"), *pwfile = getenv("BERTH_API_GIT_PASSWORD_FILE");
        int r = 0;
        /* What neither flags nor the file set: BERTH_API_<SETTING> (BERTH_API_REPO, ...), so that a
         * container can be configured by its environment alone. */
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char name[64];
                size_t n = (size_t)snprintf(name, sizeof(name), "BERTH_API_%s", keys[i].key);
                for (size_t j = 10; j < n; j++)
                        name[j] = (char)toupper((unsigned char)name[j]);
                if ((r = set_default((char **)((char *)c + keys[i].offset), getenv(name))) < 0)
                        return r;
        }
        if (!c->git_password && pwfile && (r = read_secret(pwfile, &c->git_password, err)) < 0)
                return r;
        /* A token is a password whose user the host ignores or names itself: GitLab takes any user
         * with a project or deploy token's value as "oauth2", GitHub as "x-access-token". */
        if ((r = set_default(&c->git_password, getenv("BERTH_API_GIT_PASSWORD"))) < 0 ||
            (r = set_default(&c->git_password, token)) < 0 ||
            (r = set_default(&c->git_user, c->git_password ? "oauth2" : NULL)) < 0 ||
            (r = set_default(&c->listen, "127.0.0.1:8080")) < 0 || (r = set_default(&c->branch, "main")) < 0)
                return r;
        if (!c->repo || !c->workdir || !c->token_file)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL,
                                 "the config repo, the work directory and the token file are needed "
                                 "(--repo, --workdir, --token-file; repo, workdir, token_file in "
                                 "--config; or BERTH_API_REPO, _WORKDIR, _TOKEN_FILE)");
        /* user:password@ in a URL ends up in logs and errors: the credentials have their own places. */
        const char *scheme = strstr(c->repo, "://");
        const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
        const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
        if (at && (!slash || at < slash))
                return error_set(err, -EINVAL, NULL, 0, 0, NULL,
                                 "the repo URL holds credentials: give them in BERTH_API_GIT_USER and "
                                 "BERTH_API_GIT_PASSWORD (or _PASSWORD_FILE, or _TOKEN) instead");
        return 0;
}

void config_done(Config *c)
{
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                free(*(char **)((char *)c + keys[i].offset));
        if (c->git_password) {
                explicit_bzero(c->git_password, strlen(c->git_password));
                free(c->git_password);
        }
        *c = (Config){ 0 };
}
