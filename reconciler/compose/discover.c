/* discover.c: a project's files, .env, name, profiles and source. */
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

int loader_read_dotenv(Loader *l, const char *path, bool required)
{
        char *buf = NULL;
        size_t len = 0;
        EnvLookup os = { .maps = { l->o->os_env }, .n = l->o->os_env ? 1 : 0 };
        EnvMap vars;
        bool secret = false;
        int r;

        if (!required && source_kind(l->src, path) == SRC_MISSING)
                return 0;
        r = loader_read_plain(l, path, ENV_FILE_MAX, NULL, NULL, "env file", &buf, &len, &secret, NULL);
        if (r < 0)
                return r;
        envmap_init(&vars);
        r = dotenv_parse(buf, len, path, &os, &vars, l->c.err);
        loader_free_plain(buf, len);
        for (size_t i = 0; r >= 0 && i < vars.n; i++)
                if ((r = envmap_set(&l->p->dotenv, vars.keys[i], vars.values[i])) >= 0 && secret)
                        r = loader_add_secret(l->p, vars.values[i]);
        envmap_done(&vars);
        return r;
}

const char *loader_env_get(Loader *l, const char *key)
{
        return envlookup_get(&l->env, key, strlen(key));
}

int loader_add_file(Project *p, size_t *n, const char *abs)
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

int loader_find_files(Loader *l, const char *cwd)
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
                if ((r = loader_add_file(l->p, &n, abs)) < 0)
                        return r;
        }
        if (n)
                return 0;
        const char *cf = loader_env_get(l, "COMPOSE_FILE");
        if (cf && *cf) {
                const char *sep = loader_env_get(l, "COMPOSE_PATH_SEPARATOR");
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
                        if (!abs || (r = loader_add_file(l->p, &n, abs)) < 0)
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
                                if ((r = loader_add_file(l->p, &n, abs)) < 0)
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

int loader_choose_name(Loader *l)
{
        const char *n = l->o->project_name;
        cJSON *top = cJSON_GetObjectItemCaseSensitive(l->p->model, "name");

        if (!n || !*n)
                n = loader_env_get(l, "COMPOSE_PROJECT_NAME");
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
        const char *env = loader_env_get(l, "COMPOSE_PROFILES");
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

int loader_apply_profiles(Loader *l, cJSON *services)
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

int loader_open_source(Loader *l, const ComposeOptions *o, const char *cwd)
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
