/* stack.c: a stack's services, networks, configs and secrets on a swarm manager. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../registry/digest.h"
#include "../registry/auth.h"
#include "../util/base64.h"
#include "../util/digest.h"
#include "../util/strbuf.h"
#include "drift.h"
#include "stack.h"
#include "../util/json.h"

#define get(o, k)       cJSON_GetObjectItemCaseSensitive((o), (k))
#define OBJECT_DATA_MAX ((size_t)500 * 1024) /* swarm's limit for a config or secret */

const char *swarm_action_name(SwarmActionKind k)
{
        static const char *const names[] = { "noop", "create", "update", "remove" };
        return names[k];
}

void swarm_result_done(SwarmResult *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->actions[i].service);
                free(r->actions[i].digest);
                free(r->actions[i].path);
                free(r->actions[i].auth);
                cJSON_Delete(r->actions[i].spec);
        }
        free(r->actions);
        *r = (SwarmResult){ 0 };
}

/* GET path?filters=<json> into *ret. The swarm's lists answer 503 off a manager: that is said plainly,
 * so no separate call has to ask first. */
int swarm_engine_list(EngineClient *c, const char *path, const char *filter, const char *what, cJSON **ret,
                      BerthError *err)
{
        _cleanup_strbuf_ StrBuf p = STRBUF_INIT;
        long status = 0;
        int r;
        /* Podman answers the swarm endpoints with 404: there is no swarm to ask about. */
        if (engine_client_kind(c) == ENGINE_PODMAN)
                return error_set(
                        err, -EOPNOTSUPP, NULL, 0, 0, NULL,
                        "the engine at %s is %s, which has no swarm mode (mode: swarm needs a Docker "
                        "Engine swarm manager; deploy this stack with mode: compose)",
                        engine_client_host(c), engine_client_product(c));
        strbuf_addf(&p, "%s%cfilters=", path, strchr(path, '?') ? '&' : '?');
        if ((r = engine_escape(filter, &p)) < 0)
                return r;
        r = engine_call(c, "GET", strbuf_str(&p), NULL, what, 0, &status, ret, err);
        if (r < 0 && status == 503) {
                *err = (BerthError){ 0 }; /* the engine's own words, replaced by plainer ones */
                return error_set(
                        err, -EOPNOTSUPP, NULL, 0, 0, NULL,
                        "the engine at %s is not a swarm manager (mode: swarm needs one: docker swarm "
                        "init, or a manager's address)",
                        engine_client_host(c));
        }
        return r;
}

static int list_stack(EngineClient *c, const char *path, const char *stack, const char *what, cJSON **ret,
                      BerthError *err)
{
        _cleanup_strbuf_ StrBuf f = STRBUF_INIT;
        strbuf_addf(&f, "{\"label\":[\"%s=%s\"]}", LABEL_STACK_NAMESPACE, stack);
        return swarm_engine_list(c, path, strbuf_str(&f), what, ret, err);
}

static int add_action(SwarmResult *res, SwarmActionKind kind, const char *service, const char *reason)
{
        SwarmAction *v = realloc(res->actions, (res->n + 1) * sizeof(SwarmAction));
        if (!v)
                return -ENOMEM;
        res->actions = v;
        v[res->n] = (SwarmAction){ .kind = kind, .service = strdup(service) };
        snprintf(v[res->n].reason, sizeof(v[res->n].reason), "%s", reason);
        if (!v[res->n].service)
                return -ENOMEM;
        res->n++;
        return 0;
}

static void report(const SwarmOptions *o, const SwarmAction *a, const char *error)
{
        if (o->on_action)
                o->on_action(o->ud, a, error);
}

/* ---- configs and secrets ---- */

/* The content of a config or secret of the model: its file read through the source, its inline
 * content, or the environment variable it names. */
static int object_content(const Project *p, Source *src, const EnvMap *env, const char *kind,
                          const char *key, char **ret, size_t *ret_len, BerthError *err)
{
        const cJSON *decl = get(get(p->model, kind), key);
        const char *file = cJSON_GetStringValue(get(decl, "file"));
        const char *content = cJSON_GetStringValue(get(decl, "content"));
        const char *var = cJSON_GetStringValue(get(decl, "environment"));
        const PlainFile *plain = file ? project_plain_file(p, file) : NULL;
        if (plain) {
                /* A SOPS file: the decrypted bytes, sent over the API and written nowhere. */
                if (!(*ret = malloc(plain->len + 1)))
                        return -ENOMEM;
                memcpy(*ret, plain->data, plain->len + 1);
                *ret_len = plain->len;
                return 0;
        }
        if (file)
                return source_read(src, file, OBJECT_DATA_MAX, ret, ret_len, err);
        const char *v = content ? content : var && env ? envmap_get(env, var) : NULL;
        if (!v)
                return error_set(err, -ENOENT, NULL, 0, 0, NULL, "%s.%s: %s", kind, key,
                                 var ? "its environment variable is not set"
                                     : "it has no file, content or environment");
        *ret_len = strlen(v);
        return (*ret = strdup(v)) ? 0 : -ENOMEM;
}

/* The content's digest for the object's name: keyed (as the content hash keys them) when the content is,
 * or holds, a secret from a SOPS file, since names show to anyone who may list the swarm's objects. */
static int object_digest(const Project *p, const char *file, const char *data, size_t len,
                         char hex[DIGEST_HEX_LEN + 1])
{
        const char *keyed =
                file && project_plain_file(p, file) ? cJSON_GetStringValue(get(p->contents, file)) : NULL;
        if (keyed && strncmp(keyed, "hmac-sha256:", 12) == 0 && strlen(keyed + 12) == DIGEST_HEX_LEN) {
                memcpy(hex, keyed + 12, DIGEST_HEX_LEN + 1);
                return 0;
        }
        if (p->n_secrets && project_is_secret(p, data))
                return digest_hmac_hex(p->secret_key, sizeof(p->secret_key), data, len, hex);
        _cleanup_(digest_freep) Digest *d = digest_new();
        return !d || digest_update(d, data, len) < 0 || digest_final_hex(d, hex) < 0 ? -ENOMEM : 0;
}

/* Makes sure every config and secret the services use exists, named by its content: {kind: {key:
 * {Name, ID}}} in refs (an ID of "" in a dry run for one not made yet). */
static int ensure_objects(EngineClient *c, const Project *p, const SwarmOptions *o, Source *src, cJSON *refs,
                          BerthError *err)
{
        static const char *const kinds[][2] = { { "configs", "config" }, { "secrets", "secret" } };
        int r;
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                cJSON *out = cJSON_AddObjectToObject(refs, kinds[k][0]);
                const cJSON *services = get(p->model, "services");
                for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
                        for (const cJSON *u = get(s, kinds[k][0]) ? get(s, kinds[k][0])->child : NULL; u;
                             u = u->next) {
                                const char *key = cJSON_GetStringValue(get(u, "source"));
                                const cJSON *decl = get(get(p->model, kinds[k][0]), key ? key : "");
                                char name[300], path[64], what[400];
                                _cleanup_free_ char *data = NULL;
                                _cleanup_cjson_ cJSON *found = NULL;
                                size_t len = 0;
                                if (!key || get(out, key))
                                        continue;
                                if (!decl)
                                        return error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                                         "services.%s.%s: \"%s\" is not declared under %s",
                                                         s->string, kinds[k][0], key, kinds[k][0]);
                                if (cJSON_IsTrue(get(decl, "external"))) {
                                        const char *n = cJSON_GetStringValue(get(decl, "name"));
                                        snprintf(name, sizeof(name), "%s", n ? n : key);
                                } else {
                                        char hex[DIGEST_HEX_LEN + 1];
                                        if ((r = object_content(p, src, o->env, kinds[k][0], key, &data,
                                                                &len, err)) < 0)
                                                return r;
                                        if ((r = object_digest(p, cJSON_GetStringValue(get(decl, "file")),
                                                               data, len, hex)) < 0)
                                                return r;
                                        if ((r = swarm_object_name(p, kinds[k][0], key, hex, name,
                                                                   sizeof(name))) < 0)
                                                return error_set(err, r, NULL, 0, 0, NULL,
                                                                 "%s.%s: name too long", kinds[k][0], key);
                                }
                                snprintf(path, sizeof(path), "/%s", kinds[k][0]);
                                _cleanup_cjson_ cJSON *filter = cJSON_CreateObject();
                                cJSON *names = cJSON_AddArrayToObject(filter, "name");
                                json_append(names, cJSON_CreateString(name));
                                _cleanup_free_ char *f = cJSON_PrintUnformatted(filter);
                                if (!f)
                                        return -ENOMEM;
                                snprintf(what, sizeof(what), "look up %s %s", kinds[k][1], name);
                                if ((r = swarm_engine_list(c, path, f, what, &found, err)) < 0)
                                        return r;
                                const char *id = NULL;
                                /* The name filter matches prefixes: take the exact one. */
                                for (const cJSON *e = found ? found->child : NULL; e && !id; e = e->next)
                                        if (strcmp(cJSON_GetStringValue(get(get(e, "Spec"), "Name"))
                                                           ? cJSON_GetStringValue(
                                                                     get(get(e, "Spec"), "Name"))
                                                           : "",
                                                   name) == 0)
                                                id = cJSON_GetStringValue(get(e, "ID"));
                                cJSON *ref = cJSON_AddObjectToObject(out, key);
                                cJSON_AddStringToObject(ref, "Name", name);
                                if (id) {
                                        cJSON_AddStringToObject(ref, "ID", id);
                                        continue;
                                }
                                if (cJSON_IsTrue(get(decl, "external")))
                                        return error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                                         "%s.%s: the external %s \"%s\" does not exist",
                                                         kinds[k][0], key, kinds[k][1], name);
                                if (o->dry_run) {
                                        cJSON_AddStringToObject(ref, "ID", "");
                                        continue;
                                }
                                _cleanup_cjson_ cJSON *body = cJSON_CreateObject();
                                _cleanup_cjson_ cJSON *created = NULL;
                                _cleanup_free_ char *b64 = base64_string(data, len, false);
                                if (!body || !b64)
                                        return -ENOMEM;
                                cJSON_AddStringToObject(body, "Name", name);
                                cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
                                cJSON_AddStringToObject(labels, LABEL_STACK_NAMESPACE, p->name);
                                cJSON_AddStringToObject(labels, LABEL_MANAGED, "true");
                                cJSON_AddStringToObject(labels, LABEL_STACK, p->name);
                                cJSON_AddStringToObject(body, "Data", b64);
                                snprintf(path, sizeof(path), "/%s/create", kinds[k][0]);
                                snprintf(what, sizeof(what), "create %s %s", kinds[k][1], name);
                                if ((r = engine_call(c, "POST", path, body, what, 0, NULL, &created, err)) <
                                    0)
                                        return r;
                                cJSON_AddStringToObject(ref, "ID",
                                                        cJSON_GetStringValue(get(created, "ID"))
                                                                ? cJSON_GetStringValue(get(created, "ID"))
                                                                : "");
                        }
        }
        return 0;
}

/* ---- networks ---- */

/* Creates the networks the services attach to that are missing; each is an action of res. */
static int ensure_networks(EngineClient *c, const Project *p, const SwarmOptions *o, SwarmResult *res,
                           BerthError *err)
{
        _cleanup_cjson_ cJSON *keys = swarm_service_networks(p);
        int r;
        if (!keys)
                return -ENOMEM;
        for (const cJSON *k = keys->child; k; k = k->next) {
                const cJSON *decl = get(get(p->model, "networks"), k->string);
                char name[300], path[400], what[400];
                _cleanup_strbuf_ StrBuf esc = STRBUF_INIT;
                swarm_network_name(p, k->string, name, sizeof(name));
                if ((r = engine_escape(name, &esc)) < 0)
                        return r;
                snprintf(path, sizeof(path), "/networks/%s", strbuf_str(&esc));
                snprintf(what, sizeof(what), "inspect network %s", name);
                BerthError e = { 0 };
                r = engine_call(c, "GET", path, NULL, what, 0, NULL, NULL, &e);
                if (r == 0)
                        continue;
                if (r != -ENOENT) {
                        *err = e;
                        return r;
                }
                if (cJSON_IsTrue(get(decl, "external")))
                        return error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                         "networks.%s: the external network \"%s\" does not exist",
                                         k->string, name);
                if ((r = add_action(res, SWARM_CREATE, k->string, "does not exist")) < 0)
                        return r;
                SwarmAction *a = &res->actions[res->n - 1];
                a->network = true;
                report(o, a, NULL);
                if (o->dry_run)
                        continue;
                _cleanup_cjson_ cJSON *body = NULL;
                if ((r = swarm_network_spec(p, k->string, &o->id, &body, err)) < 0)
                        return r;
                snprintf(what, sizeof(what), "create network %s", name);
                if (body)
                        r = engine_call(c, "POST", "/networks/create", body, what, 0, NULL, NULL, err);
                report(o, a, r < 0 ? err->msg : "");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- services ---- */

static int prune_objects(EngineClient *c, const char *stack, const SwarmOptions *o, BerthError *err);

/* The swarm content hash: the service's own (its config and files), the names of the configs and
 * secrets it uses (which carry their contents' digests, so an `environment:` secret's value counts)
 * and the image it runs. */
static int service_hash(const Project *p, const char *service, const cJSON *refs, const char *image,
                        char ret[DIGEST_HEX_LEN + 1])
{
        char base[65];
        _cleanup_(digest_freep) Digest *d = digest_new();
        const cJSON *svc = get(get(p->model, "services"), service);
        if (!d || project_service_hash(p, service, NULL, base) < 0)
                return -ENOMEM;
        digest_update(d, "swarm\0", 6);
        digest_update(d, base, strlen(base));
        digest_update(d, image, strlen(image) + 1);
        static const char *const kinds[] = { "configs", "secrets" };
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                for (const cJSON *u = get(svc, kinds[k]) ? get(svc, kinds[k])->child : NULL; u;
                     u = u->next) {
                        const char *n = cJSON_GetStringValue(
                                get(get(get(refs, kinds[k]), cJSON_GetStringValue(get(u, "source"))
                                                                     ? cJSON_GetStringValue(get(u, "source"))
                                                                     : ""),
                                    "Name"));
                        if (n)
                                digest_update(d, n, strlen(n) + 1);
                }
        return digest_final_hex(d, ret);
}

/* A create or update, with the registry credentials the nodes pull with (X-Registry-Auth). */
static int service_write(EngineClient *c, const char *path, const cJSON *spec, const char *auth,
                         const char *what, BerthError *err)
{
        _cleanup_free_ char *body = json_print(spec, false);
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        if (!body)
                return -ENOMEM;
        return engine_call_raw(c, "POST", path, body, strlen(body), "application/json", auth, what, 0, NULL,
                               &out, err);
}

/* A service's image whose digest the registry must be asked for: neither pinned by the file nor by
 * the deploy a rollback goes back to (which runs those bytes, whatever the tag names now). */
static bool needs_asking(const SwarmOptions *o, const char *service, const char *image)
{
        const char *pin = cJSON_GetStringValue(get(o->pins, service));
        return image && !strchr(image, '@') && !(pin && strchr(pin, '@'));
}

/* One question per image and deploy, as services often share one: the answer, or its error, in seen. */
static void ask_registry(EngineClient *c, const char *image, const char *auth, cJSON *seen)
{
        _cleanup_free_ char *d = NULL;
        BerthError e = { 0 };
        if (get(seen, image))
                return;
        if (registry_digest(c, image, auth, &d, &e) < 0)
                cJSON_AddStringToObject(cJSON_AddObjectToObject(seen, image), "error", e.msg);
        else
                cJSON_AddStringToObject(seen, image, d);
}

/* The X-Registry-Auth for image, NULL for none: read from the docker config once per registry and
 * deploy, not once per service. Owned by auths. */
static const char *auth_for(const EnvMap *env, const char *image, cJSON *auths)
{
        _cleanup_free_ char *registry = registry_of(image);
        const char *key = registry ? registry : "";
        const cJSON *known = get(auths, key);
        if (!known) {
                _cleanup_free_ char *auth = registry_auth_for(env, image);
                known = auth ? cJSON_AddStringToObject(auths, key, auth) : cJSON_AddNullToObject(auths, key);
        }
        return cJSON_GetStringValue(known);
}

/* The registry asked about the stack's images on a second connection while the first reads the stack's
 * services, networks and objects: the question goes through the manager to the registry, and took
 * longer than all of those reads together (13 of a 26 ms no-op `up --swarm`). resolve_image() then
 * finds the answers in images; it asks itself when no second connection could be made. */
typedef struct Prefetch {
        EngineClient *c; /* a clone: one client is one connection, for one thread */
        const Project *p;
        const SwarmOptions *o;
        cJSON *images, *auths; /* the main thread's, untouched by it until the join */
        pthread_t thread;
        bool started;
} Prefetch;

static void *prefetch_run(void *ud)
{
        Prefetch *f = ud;
        const cJSON *services = get(f->p->model, "services");
        for (const cJSON *s = services ? services->child : NULL; s; s = s->next) {
                const char *image = cJSON_GetStringValue(get(s, "image"));
                if (needs_asking(f->o, s->string, image))
                        ask_registry(f->c, image, auth_for(f->o->env, image, f->auths), f->images);
        }
        return NULL;
}

static void prefetch_start(EngineClient *c, const Project *p, const SwarmOptions *o, cJSON *images,
                           cJSON *auths, Prefetch *f)
{
        BerthError e = { 0 };
        const cJSON *services = get(p->model, "services");
        bool any = false;
        *f = (Prefetch){ .p = p, .o = o, .images = images, .auths = auths };
        for (const cJSON *s = services ? services->child : NULL; s && !any; s = s->next)
                any = needs_asking(o, s->string, cJSON_GetStringValue(get(s, "image")));
        if (!any || engine_client_clone(c, &f->c, &e) < 0)
                return;
        f->started = pthread_create(&f->thread, NULL, prefetch_run, f) == 0;
}

static void prefetch_join(Prefetch *f)
{
        if (f->started)
                pthread_join(f->thread, NULL);
        f->started = false;
        f->c = engine_client_free(f->c);
}

/* The image pinned by the digest its registry gives the tag now, as `docker stack deploy
 * --resolve-image always` does, so that every node runs the same bytes: *pinned "repo:tag@sha256:...",
 * *digest "repo@sha256:..." (the label). Neither when the registry cannot say (an image built here
 * and never pushed): a warning, and each node runs what it has under the name. */
static void resolve_image(EngineClient *c, const char *service, const char *image, const char *auth,
                          const SwarmOptions *o, cJSON *seen, char **pinned, char **digest)
{
        _cleanup_free_ char *d = NULL;
        char msg[700];
        *pinned = *digest = NULL;
        if (strchr(image, '@'))
                return;
        const char *pin = cJSON_GetStringValue(get(o->pins, service));
        const char *pat = pin ? strchr(pin, '@') : NULL;
        if (pat)
                d = strdup(pat + 1);
        else {
                ask_registry(c, image, auth, seen);
                if (cJSON_IsString(get(seen, image)))
                        d = strdup(get(seen, image)->valuestring);
        }
        if (!d) {
                const char *why = cJSON_GetStringValue(get(get(seen, image), "error"));
                snprintf(msg, sizeof(msg),
                         "service \"%s\": image \"%s\" has no digest from a registry (%s): each node runs "
                         "what it "
                         "has under that name, which may differ",
                         service, image, why ? why : "?");
                if (o->warn)
                        o->warn(o->ud, msg);
                return;
        }
        StrBuf p = STRBUF_INIT, g = STRBUF_INIT;
        strbuf_addf(&p, "%s@%s", image, d);
        strbuf_addf(&g, "%.*s@%s", (int)registry_repository_len(image), image, d);
        *pinned = strbuf_detach(&p);
        *digest = strbuf_detach(&g);
}

static double replicas_of(const cJSON *spec)
{
        const cJSON *r = get(get(get(spec, "Mode"), "Replicated"), "Replicas");
        return cJSON_IsNumber(r) ? r->valuedouble : -1;
}

/* What to do with one service: the spec berth would write against what runs (cur; NULL: nothing), and
 * why, in reason. */
static SwarmActionKind service_verdict(const cJSON *spec, const cJSON *cur, const char *hash,
                                       const char *digest, char *reason, size_t size)
{
        char where[200];
        if (!cur) {
                snprintf(reason, size, "not running");
                return SWARM_CREATE;
        }
        const cJSON *labels = get(get(cur, "Spec"), "Labels");
        const char *had = cJSON_GetStringValue(get(labels, LABEL_CONTENT_HASH));
        const char *was = cJSON_GetStringValue(get(labels, LABEL_IMAGE_DIGEST));
        const char *wat = was ? strchr(was, '@') : NULL, *dat = digest ? strchr(digest, '@') : NULL;
        double want = replicas_of(spec), have = replicas_of(get(cur, "Spec"));
        if (wat && dat && strcmp(wat, dat) != 0)
                snprintf(reason, size, "image tag moved: %.19s -> %.19s", wat + 1, dat + 1);
        else if (!had || strcmp(had, hash) != 0)
                snprintf(reason, size, "content hash %.12s -> %.12s", had ? had : "(none)", hash);
        else if (want != have)
                snprintf(reason, size, "replicas %.0f -> %.0f", have, want);
        else if (!swarm_spec_covers(spec, get(cur, "Spec"), where, sizeof(where)))
                snprintf(reason, size, "changed on the engine: %s differs", where);
        else {
                snprintf(reason, size, "up to date");
                return SWARM_NOOP;
        }
        return SWARM_UPDATE;
}

static const cJSON *live_service(const cJSON *live, const char *name)
{
        for (const cJSON *l = live ? live->child : NULL; l; l = l->next) {
                const char *n = cJSON_GetStringValue(get(get(l, "Spec"), "Name"));
                if (n && strcmp(n, name) == 0)
                        return l;
        }
        return NULL;
}

/* The service's action, with what apply writes: the spec, where it goes and the registry
 * credentials the nodes pull with. */
static int plan_service(EngineClient *c, const Project *p, const SwarmOptions *o, const cJSON *s,
                        const cJSON *live, const cJSON *refs, cJSON *images, cJSON *auths,
                        const DeployIdentity *id, SwarmResult *ret, BerthError *err)
{
        const char *image = cJSON_GetStringValue(get(s, "image"));
        char hash[DIGEST_HEX_LEN + 1], name[300], reason[256] = "", path[400];
        _cleanup_cjson_ cJSON *spec = NULL;
        _cleanup_free_ char *pinned = NULL, *digest = NULL;
        int r;
        if (!image)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL, "services.%s: no image to run", s->string);
        const char *auth = auth_for(o->env, image, auths);
        resolve_image(c, s->string, image, auth, o, images, &pinned, &digest);
        if ((r = service_hash(p, s->string, refs, pinned ? pinned : image, hash)) < 0 ||
            (r = swarm_service_spec(p, s->string, hash, pinned, digest, &(SwarmRefs){ refs }, id, o->warn,
                                    o->ud, &spec, err)) < 0)
                return r;
        snprintf(name, sizeof(name), "%s_%s", p->name, s->string);
        const cJSON *cur = live_service(live, name);
        SwarmActionKind kind = service_verdict(spec, cur, hash, digest, reason, sizeof(reason));
        if ((r = add_action(ret, kind, s->string, reason)) < 0)
                return r;
        SwarmAction *a = &ret->actions[ret->n - 1];
        a->digest = TAKE_PTR(digest);
        if (kind == SWARM_NOOP)
                return 0;
        /* An update writes the full spec at the version read: a concurrent change makes the engine
         * refuse. */
        if (kind == SWARM_CREATE)
                snprintf(path, sizeof(path), "/services/create");
        else
                snprintf(path, sizeof(path), "/services/%s/update?version=%.0f",
                         cJSON_GetStringValue(get(cur, "ID")),
                         cJSON_GetNumberValue(get(get(cur, "Version"), "Index")));
        a->spec = TAKE_PTR(spec);
        if (!(a->path = strdup(path)) || (auth && !(a->auth = strdup(auth))))
                return -ENOMEM;
        return 0;
}

int swarm_stack_plan(EngineClient *c, const Project *p, const SwarmOptions *o, SwarmResult *ret,
                     BerthError *err)
{
        _cleanup_cjson_ cJSON *refs = cJSON_CreateObject(), *images = cJSON_CreateObject();
        _cleanup_cjson_ cJSON *live = NULL, *auths = cJSON_CreateObject();
        /* Declared after images and auths: joined, on every return, before they are freed. */
        _cleanup_(prefetch_join) Prefetch prefetch = { 0 };
        _cleanup_(source_unrefp) Source *own = NULL;
        Source *src = o->source;
        int r;

        *ret = (SwarmResult){ 0 };
        if (!refs || !images || !auths)
                return -ENOMEM;
        if (!src) {
                if ((r = source_dir_new(p->root, &own, err)) < 0)
                        return r;
                src = own;
        }
        const cJSON *services = get(p->model, "services");
        /* How many services the stack has at this commit, so that a deploy cut short is noticed from
         * the labels alone. */
        DeployIdentity id = o->id;
        id.containers = (unsigned)cJSON_GetArraySize(services);
        prefetch_start(c, p, o, images, auths, &prefetch);
        if ((r = list_stack(c, "/services", p->name, "list services", &live, err)) < 0 ||
            (r = ensure_networks(c, p, o, ret, err)) < 0 ||
            (r = ensure_objects(c, p, o, src, refs, err)) < 0)
                return r;
        prefetch_join(&prefetch);

        for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
                if ((r = plan_service(c, p, o, s, live, refs, images, auths, &id, ret, err)) < 0)
                        return r;
        /* Services of the stack that the model no longer has. */
        for (const cJSON *l = live ? live->child : NULL; l; l = l->next) {
                const char *name = cJSON_GetStringValue(get(get(l, "Spec"), "Name"));
                size_t n = strlen(p->name);
                char path[400];
                if (!name || strncmp(name, p->name, n) != 0 || name[n] != '_' || get(services, name + n + 1))
                        continue;
                if ((r = add_action(ret, o->remove_orphans ? SWARM_REMOVE : SWARM_NOOP, name,
                                    o->remove_orphans ? "not in the model"
                                                      : "not in the model (kept: --remove-orphans "
                                                        "removes it)")) < 0)
                        return r;
                snprintf(path, sizeof(path), "/services/%s", cJSON_GetStringValue(get(l, "ID")));
                SwarmAction *a = &ret->actions[ret->n - 1];
                if (o->remove_orphans && !(a->path = strdup(path)))
                        return -ENOMEM;
        }
        return 0;
}

int swarm_stack_apply(EngineClient *c, const Project *p, const SwarmOptions *o, const SwarmResult *res,
                      BerthError *err)
{
        bool wrote = false;
        int r;
        for (size_t i = 0; i < res->n; i++) {
                const SwarmAction *a = &res->actions[i];
                char what[400];
                /* Networks were made with the plan, which they are part of: services refer to them. */
                wrote |= a->kind != SWARM_NOOP;
                if (!a->path)
                        continue;
                report(o, a, NULL);
                if (a->kind == SWARM_REMOVE) {
                        snprintf(what, sizeof(what), "remove service %s", a->service);
                        r = engine_call(c, "DELETE", a->path, NULL, what, 0, NULL, NULL, err);
                } else {
                        snprintf(what, sizeof(what), "%s service %s_%s",
                                 a->kind == SWARM_CREATE ? "create" : "update", p->name, a->service);
                        r = service_write(c, a->path, a->spec, a->auth, what, err);
                }
                report(o, a, r < 0 ? err->msg : "");
                if (r < 0)
                        return r;
        }
        /* A deploy that wrote nothing made nothing unused. */
        return wrote ? prune_objects(c, p->name, o, err) : 0;
}

int swarm_stack_up(EngineClient *c, const Project *p, const SwarmOptions *o, SwarmResult *ret,
                   BerthError *err)
{
        int r = swarm_stack_plan(c, p, o, ret, err);
        return r < 0 || o->dry_run ? r : swarm_stack_apply(c, p, o, ret, err);
}

/* ---- configs and secrets no longer used ---- */

/* Whether a spec of one of the services refers to an object named name (kind: "Configs", "Secrets"). */
static bool object_used(const cJSON *services, const char *kind, const char *name_key, const char *name)
{
        static const char *const specs[] = { "Spec", "PreviousSpec" };
        for (const cJSON *sv = services ? services->child : NULL; sv; sv = sv->next)
                for (size_t i = 0; i < ELEMENTSOF(specs); i++)
                        for (const cJSON *r =
                                     get(get(get(get(sv, specs[i]), "TaskTemplate"), "ContainerSpec"), kind)
                                             ? get(get(get(get(sv, specs[i]), "TaskTemplate"),
                                                       "ContainerSpec"),
                                                   kind)
                                                       ->child
                                             : NULL;
                             r; r = r->next)
                                if (strcmp(cJSON_GetStringValue(get(r, name_key))
                                                   ? cJSON_GetStringValue(get(r, name_key))
                                                   : "",
                                           name) == 0)
                                        return true;
        return false;
}

/* Removes the stack's configs and secrets that no service's spec, nor its previous spec (what a
 * rollback returns to), refers to: a file changed twice leaves one old object, not a trail of them. */
static int prune_objects(EngineClient *c, const char *stack, const SwarmOptions *o, BerthError *err)
{
        static const char *const kinds[][4] = { { "configs", "Configs", "ConfigName", "config" },
                                                { "secrets", "Secrets", "SecretName", "secret" } };
        _cleanup_cjson_ cJSON *services = NULL;
        int r;
        if ((r = list_stack(c, "/services", stack, "list services", &services, err)) < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                _cleanup_cjson_ cJSON *list = NULL;
                char path[400], what[400];
                snprintf(path, sizeof(path), "/%s", kinds[k][0]);
                snprintf(what, sizeof(what), "list %s", kinds[k][0]);
                if ((r = list_stack(c, path, stack, what, &list, err)) < 0)
                        return r;
                for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
                        const char *name = cJSON_GetStringValue(get(get(e, "Spec"), "Name"));
                        const char *id = cJSON_GetStringValue(get(e, "ID"));
                        if (!name || !id || object_used(services, kinds[k][1], kinds[k][2], name))
                                continue;
                        snprintf(path, sizeof(path), "/%s/%s", kinds[k][0], id);
                        snprintf(what, sizeof(what), "remove %s %s", kinds[k][3], name);
                        BerthError e2 = { 0 };
                        /* Still in use by a task on its way out: the next deploy removes it. */
                        if (engine_call(c, "DELETE", path, NULL, what, 0, NULL, NULL, &e2) == 0 &&
                            o->on_removed)
                                o->on_removed(o->ud, kinds[k][3], name);
                }
        }
        return 0;
}

/* ---- convergence ---- */

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One service's state: 1 converged, 0 not yet (why in *why), < 0 failed (err says why). */
static int service_converged(EngineClient *c, const char *name, StrBuf *why, BerthError *err)
{
        _cleanup_cjson_ cJSON *svc = NULL, *tasks = NULL;
        _cleanup_strbuf_ StrBuf f = STRBUF_INIT;
        char path[400], what[400];
        int r;
        snprintf(path, sizeof(path), "/services/%s", name);
        snprintf(what, sizeof(what), "inspect service %s", name);
        if ((r = engine_call(c, "GET", path, NULL, what, 0, NULL, &svc, err)) < 0)
                return r;
        const char *ustate = cJSON_GetStringValue(get(get(svc, "UpdateStatus"), "State"));
        const char *umsg = cJSON_GetStringValue(get(get(svc, "UpdateStatus"), "Message"));
        if (ustate && (strcmp(ustate, "paused") == 0 || strncmp(ustate, "rollback", 8) == 0))
                return error_set(err, -EIO, NULL, 0, 0, NULL, "service %s: update %s%s%s", name,
                                 strcmp(ustate, "paused") == 0 ? "paused" : "rolled back by swarm",
                                 umsg ? ": " : "", umsg ? umsg : "");
        strbuf_addf(&f, "{\"service\":[\"%s\"]}", name);
        if ((r = swarm_engine_list(c, "/tasks", strbuf_str(&f), "list tasks", &tasks, err)) < 0)
                return r;
        const cJSON *want = get(get(get(get(svc, "Spec"), "Mode"), "Replicated"), "Replicas");
        /* A task runs the current spec when its own is the service's template (which alone carries
         * the runtime's name): until then an update has not reached it. */
        _cleanup_cjson_ cJSON *template = cJSON_Duplicate(get(get(svc, "Spec"), "TaskTemplate"), true);
        cJSON_DeleteItemFromObjectCaseSensitive(template, "Runtime");
        const cJSON *failed = NULL; /* the newest task that ended with an error: why none runs */
        int running = 0, total = 0;
        for (const cJSON *t = tasks ? tasks->child : NULL; t; t = t->next) {
                const char *st = cJSON_GetStringValue(get(get(t, "Status"), "State"));
                const char *terr = cJSON_GetStringValue(get(get(t, "Status"), "Err"));
                const char *desired = cJSON_GetStringValue(get(t, "DesiredState"));
                if (!desired || strcmp(desired, "running") != 0) {
                        const char *ts = cJSON_GetStringValue(get(get(t, "Status"), "Timestamp"));
                        const char *fts = cJSON_GetStringValue(get(get(failed, "Status"), "Timestamp"));
                        if (terr && *terr && ts && (!fts || strcmp(ts, fts) > 0))
                                failed = t;
                        continue;
                }
                total++;
                if (st && strcmp(st, "running") == 0 && cJSON_Compare(get(t, "Spec"), template, true))
                        running++;
                else if (why->len < 600) {
                        char task[340];
                        if (cJSON_IsNumber(get(t, "Slot")))
                                snprintf(task, sizeof(task), "%s.%.0f", name, get(t, "Slot")->valuedouble);
                        else
                                snprintf(task, sizeof(task), "%s on node %.12s", name,
                                         cJSON_GetStringValue(get(t, "NodeID"))
                                                 ? cJSON_GetStringValue(get(t, "NodeID"))
                                                 : "?");
                        if (st && strcmp(st, "running") == 0)
                                st = "running the previous spec";
                        strbuf_addf(why, "%stask %s: %s%s%s", why->len ? "; " : "", task, st ? st : "?",
                                    terr ? ": " : "", terr ? terr : "");
                }
        }
        if (ustate && strcmp(ustate, "updating") == 0) {
                strbuf_addf(why, "%sservice %s: updating", why->len ? "; " : "", name);
                return 0;
        }
        bool enough =
                cJSON_IsNumber(want) ? running >= (int)want->valuedouble : running >= 1 && running == total;
        if (!enough && why->len == 0)
                strbuf_addf(why, "service %s: %d of %s tasks running", name, running,
                            cJSON_IsNumber(want) ? "the" : "its");
        if (!enough && failed && why->len < 600)
                strbuf_addf(why, "; the last task ended %s: %s",
                            cJSON_GetStringValue(get(get(failed, "Status"), "State"))
                                    ? cJSON_GetStringValue(get(get(failed, "Status"), "State"))
                                    : "?",
                            cJSON_GetStringValue(get(get(failed, "Status"), "Err")));
        return enough && running == total;
}

int swarm_stack_wait(EngineClient *c, const Project *p, const SwarmResult *res, long timeout_s,
                     BerthError *err)
{
        double end = now_s() + (double)timeout_s;
        for (;;) {
                _cleanup_strbuf_ StrBuf why = STRBUF_INIT;
                bool all = true;
                for (size_t i = 0; i < res->n; i++) {
                        const SwarmAction *a = &res->actions[i];
                        char name[300];
                        if (a->network || (a->kind != SWARM_CREATE && a->kind != SWARM_UPDATE))
                                continue;
                        snprintf(name, sizeof(name), "%s_%s", p->name, a->service);
                        int r = service_converged(c, name, &why, err);
                        if (r < 0)
                                return r;
                        all = all && r > 0;
                }
                if (all)
                        return 0;
                if (now_s() >= end)
                        return error_set(err, -ETIMEDOUT, NULL, 0, 0, NULL, "not converged after %lds: %s",
                                         timeout_s, strbuf_str(&why));
                struct timespec ts = { 0, 500000000 };
                nanosleep(&ts, NULL);
        }
}

/* ---- down and ps ---- */

static int remove_all(EngineClient *c, const char *stack, const char *kind, const char *what_one,
                      void (*done)(void *, const char *, const char *), void *ud, size_t *n, BerthError *err)
{
        _cleanup_cjson_ cJSON *list = NULL;
        char path[400], what[400];
        int r;
        snprintf(path, sizeof(path), "/%s", kind);
        snprintf(what, sizeof(what), "list %s", kind);
        if ((r = list_stack(c, path, stack, what, &list, err)) < 0)
                return r;
        bool volumes = strcmp(kind, "volumes") == 0;
        /* Volumes are listed as {"Volumes": [...]} and known by their names. */
        const cJSON *items = volumes ? get(list, "Volumes") : list;
        for (const cJSON *e = items ? items->child : NULL; e; e = e->next) {
                const char *id = cJSON_GetStringValue(get(e, volumes                         ? "Name"
                                                             : strcmp(kind, "networks") == 0 ? "Id"
                                                                                             : "ID"));
                const char *name = cJSON_GetStringValue(get(e, "Name"));
                if (!name)
                        name = cJSON_GetStringValue(get(get(e, "Spec"), "Name"));
                snprintf(path, sizeof(path), "/%s/%s", kind, id ? id : "");
                snprintf(what, sizeof(what), "remove %s %s", what_one, name ? name : "?");
                if ((r = engine_call(c, "DELETE", path, NULL, what, 0, NULL, NULL, err)) < 0 && r != -ENOENT)
                        return r;
                (*n)++;
                if (done)
                        done(ud, what_one, name ? name : "?");
        }
        return 0;
}

/* Networks and volumes are removable once the services' tasks have left them: the engine does that
 * asynchronously, so their removal is retried for a while. */
static int remove_all_when_free(EngineClient *c, const char *stack, const char *kind, const char *what_one,
                                void (*done)(void *, const char *, const char *), void *ud, size_t *n,
                                BerthError *err)
{
        for (int tries = 0;; tries++) {
                BerthError e = { 0 };
                int r = remove_all(c, stack, kind, what_one, done, ud, n, &e);
                if (r >= 0)
                        return 0;
                if (tries >= 60) {
                        *err = e;
                        return r;
                }
                struct timespec ts = { 0, 250000000 };
                nanosleep(&ts, NULL);
        }
}

int swarm_stack_down(EngineClient *c, const char *stack, bool volumes,
                     void (*done)(void *ud, const char *what, const char *name), void *ud, BerthError *err)
{
        size_t n = 0;
        int r;
        if ((r = remove_all(c, stack, "services", "service", done, ud, &n, err)) < 0 ||
            (r = remove_all_when_free(c, stack, "networks", "network", done, ud, &n, err)) < 0 ||
            (r = remove_all(c, stack, "configs", "config", done, ud, &n, err)) < 0 ||
            (r = remove_all(c, stack, "secrets", "secret", done, ud, &n, err)) < 0)
                return r;
        if (!n)
                return error_set(err, -ENOENT, NULL, 0, 0, NULL, "nothing found in stack \"%s\"", stack);
        /* The tasks' volumes on this node (swarm labels them with the namespace). */
        return volumes ? remove_all_when_free(c, stack, "volumes", "volume", done, ud, &n, err) : 0;
}

int swarm_stack_tasks(EngineClient *c, const char *stack, cJSON **ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *services = NULL, *tasks = NULL, *nodes = NULL;
        _cleanup_strbuf_ StrBuf f = STRBUF_INIT;
        int r;
        if ((r = list_stack(c, "/services", stack, "list services", &services, err)) < 0)
                return r;
        strbuf_addstr(&f, "{\"service\":[");
        for (const cJSON *s = services ? services->child : NULL; s; s = s->next)
                strbuf_addf(&f, "%s\"%s\"", s == services->child ? "" : ",",
                            cJSON_GetStringValue(get(s, "ID")));
        strbuf_addstr(&f, "]}");
        cJSON *out = cJSON_CreateArray();
        if (!out)
                return -ENOMEM;
        if (!services || !services->child) {
                *ret = out;
                return 0;
        }
        if ((r = swarm_engine_list(c, "/tasks", strbuf_str(&f), "list tasks", &tasks, err)) < 0 ||
            (r = engine_call(c, "GET", "/nodes", NULL, "list nodes", 0, NULL, &nodes, err)) < 0) {
                cJSON_Delete(out);
                return r;
        }
        for (const cJSON *t = tasks ? tasks->child : NULL; t; t = t->next) {
                const char *sid = cJSON_GetStringValue(get(t, "ServiceID")), *svc = "?", *node = "";
                const char *nid = cJSON_GetStringValue(get(t, "NodeID"));
                for (const cJSON *s = services->child; s; s = s->next)
                        if (sid && strcmp(cJSON_GetStringValue(get(s, "ID")), sid) == 0)
                                svc = cJSON_GetStringValue(get(get(s, "Spec"), "Name"));
                for (const cJSON *nd = nodes ? nodes->child : NULL; nd && nid; nd = nd->next)
                        if (strcmp(cJSON_GetStringValue(get(nd, "ID")), nid) == 0)
                                node = cJSON_GetStringValue(get(get(nd, "Description"), "Hostname"));
                const char *tid = cJSON_GetStringValue(get(t, "ID"));
                const char *desired = cJSON_GetStringValue(get(t, "DesiredState"));
                const char *state = cJSON_GetStringValue(get(get(t, "Status"), "State"));
                const char *terr = cJSON_GetStringValue(get(get(t, "Status"), "Err"));
                char task[400];
                /* As docker stack ps names a task: the service and its slot, or (global) its node. */
                if (cJSON_IsNumber(get(t, "Slot")))
                        snprintf(task, sizeof(task), "%s.%.0f", svc ? svc : "?",
                                 get(t, "Slot")->valuedouble);
                else
                        snprintf(task, sizeof(task), "%s.%s", svc ? svc : "?", node ? node : "");
                cJSON *e = cJSON_CreateObject();
                if (!e || !cJSON_AddItemToArray(out, e)) {
                        cJSON_Delete(e);
                        cJSON_Delete(out);
                        return -ENOMEM;
                }
                if (!cJSON_AddStringToObject(e, "Task", task) ||
                    !cJSON_AddStringToObject(e, "Service", svc ? svc : "?") ||
                    !cJSON_AddStringToObject(e, "ID", tid ? tid : "") ||
                    (cJSON_IsNumber(get(t, "Slot")) &&
                     !cJSON_AddNumberToObject(e, "Slot", get(t, "Slot")->valuedouble)) ||
                    !cJSON_AddStringToObject(e, "Node", node ? node : "") ||
                    !cJSON_AddStringToObject(e, "Desired", desired ? desired : "") ||
                    !cJSON_AddStringToObject(e, "State", state ? state : "") ||
                    !cJSON_AddStringToObject(e, "Error", terr ? terr : "")) {
                        cJSON_Delete(out);
                        return -ENOMEM;
                }
        }
        *ret = out;
        return 0;
}
