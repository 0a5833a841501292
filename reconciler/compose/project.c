/* project.c: loading a compose project: the steps (loader.h) in order, and the Project they make. */
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
        if ((r = loader_open_source(l, o, cwd)) < 0)
                return r;
        if (!(p->root = strdup(l->src->root)) || !(p->contents = cJSON_CreateObject()))
                return -ENOMEM;

        /* The OS environment wins over .env. */
        l->env.maps[l->env.n++] = o->os_env;
        l->env.maps[l->env.n++] = &p->dotenv;
        if (o->n_env_files) {
                for (size_t i = 0; i < o->n_env_files; i++) {
                        _cleanup_free_ char *abs = path_absolute(cwd, o->env_files[i]);
                        if (!abs || (r = loader_read_dotenv(l, abs, true)) < 0)
                                return abs ? r : -ENOMEM;
                }
        } else {
                _cleanup_free_ char *dotenv = path_join(p->dir, ".env");
                if (!dotenv || (r = loader_read_dotenv(l, dotenv, false)) < 0)
                        return dotenv ? r : -ENOMEM;
        }

        if ((r = loader_find_files(l, cwd)) < 0)
                return r;
        for (char **f = p->files; *f; f++) {
                cJSON *doc = NULL;
                if ((r = loader_load_file(l, *f, NULL, NULL, &doc)) < 0)
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
        /* loader_resolve_extends() replaces service nodes, so first note the names that need it (few, usually). */
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
                if ((r = loader_resolve_extends(l, services, extending[i], p->files[0])) < 0)
                        return r;
        if ((r = loader_choose_name(l)) < 0 || (r = loader_apply_profiles(l, services)) < 0)
                return r;
        if (!(p->refs = cJSON_CreateObject()))
                return -ENOMEM;
        for (cJSON *s = services ? services->child : NULL; s; s = s->next)
                if ((r = loader_finalize_service(l, services, s)) < 0)
                        return r;
        if ((r = loader_check_cycles(l, services)) < 0)
                return r;
        static const char *const tops[] = { "networks", "volumes", "secrets", "configs" };
        for (size_t i = 0; i < ELEMENTSOF(tops); i++)
                if ((r = loader_finalize_resources(l, tops[i])) < 0)
                        return r;
        if (!services && !cJSON_AddObjectToObject(p->model, "services"))
                return -ENOMEM;
        if ((r = loader_check_secret_labels(l)) < 0)
                return r;
        compose_sort(p->model);
        loader_order_top_level(p->model);
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
