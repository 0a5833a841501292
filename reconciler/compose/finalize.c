/* finalize.c: the merged model finalised: environment and references resolved, resources named,
 * dependency cycles refused, the top level ordered. */
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
#include "../util/json.h"

/* refs is the service's list in Project.refs, made once per service by loader_finalize_service(). */
static int refs_add_file(cJSON *list, const char *file)
{
        for (cJSON *f = list->child; f; f = f->next)
                if (strcmp(f->valuestring, file) == 0)
                        return 0;
        json_append(list, cJSON_CreateString(file));
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
                        r = loader_read_plain(l, file, ENV_FILE_MAX, f, path, "env file", &buf, &len,
                                              &secret, key);
                        if (r >= 0) {
                                BerthError ferr = { 0 };
                                r = dotenv_parse(buf, len, file, &l->env, &from_files, &ferr);
                                if (r < 0 && l->c.err)
                                        *l->c.err = ferr;
                                /* Every value of the file, as dotenv_parse() resolved it. */
                                for (size_t i = 0; r >= 0 && secret && i < from_files.n; i++)
                                        r = loader_add_secret(l->p, from_files.values[i]);
                                /* Hashed from what was read: a SOPS file is decrypted once. */
                                if (r >= 0)
                                        r = loader_note_read(l, file, buf, len, secret, key, false);
                        }
                        OPENSSL_cleanse(key, sizeof(key));
                        loader_free_plain(buf, len);
                        if (r < 0) {
                                envmap_done(&from_files);
                                return r;
                        }
                        if ((r = refs_add_file(refs, file)) < 0) {
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
                const char *v = loader_env_get(l, e->string);
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
                if (file && ((r = loader_note_contents(l, file, fnode, path, true)) < 0 ||
                             (r = refs_add_file(refs, file)) < 0))
                        return r;
        }
        return 0;
}

int loader_finalize_service(Loader *l, cJSON *services, cJSON *svc)
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
                    ((r = loader_note_contents(l, src, v, NULL, true)) < 0 ||
                     (r = refs_add_file(refs, src)) < 0))
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

int loader_check_cycles(Loader *l, cJSON *services)
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

int loader_finalize_resources(Loader *l, const char *key)
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
                if (strbuf_error(&n) < 0 || !cJSON_AddStringToObject(it, "name", strbuf_str(&n)))
                        return -ENOMEM;
        }
        return 0;
}

/* compose prints the top level in this order; everything below is sorted. */
void loader_order_top_level(cJSON *model)
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

int loader_check_secret_labels(Loader *l)
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
