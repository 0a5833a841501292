/* extends.c: services that extend others, in the same file or another. */
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
        int r = l->p->dir ? loader_load_file(l, path, node, keypath, &doc) : -ENOMEM;
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
        if ((r = loader_add_file(l->p, &n, path)) < 0)
                return r;
        *ret = doc;
        return 0;
}

int loader_resolve_extends(Loader *l, cJSON *services, const char *name, const char *file)
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
        r = loader_resolve_extends(l, base_services, base_name, base_file);
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
