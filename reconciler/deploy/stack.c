/* stack.c: up and down for one stack. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/digest.h"
#include "../registry/auth.h"
#include "ops.h"
#include "record.h"
#include "runtime.h"
#include "stack.h"
#include "../util/json.h"

static cJSON *services_of(const Project *p)
{
        return cJSON_GetObjectItemCaseSensitive(p->model, "services");
}

/* ---- images ---- */

/* Warns when the registry's tag names other bytes than the engine's copy of it. */
static void check_tag(EngineClient *c, const cJSON *s, const char *image, const char *local,
                      const StackOptions *o)
{
        _cleanup_free_ char *auth = registry_auth_for(o->env, image), *now = NULL;
        BerthError e = { 0 };
        char line[700];
        const char *at = local ? strchr(local, '@') : NULL;
        if (registry_digest(c, image, auth, &now, &e) < 0)
                snprintf(line, sizeof(line),
                         "service \"%s\": cannot ask the registry where \"%s\" points: %s", s->string, image,
                         e.msg);
        else if (at && strcmp(at + 1, now) == 0)
                return;
        else {
                const char *policy =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "pull_policy"));
                bool always = policy && strcmp(policy, "always") == 0;
                snprintf(line, sizeof(line), "service \"%s\": image tag moved: %s -> %s (%s)", s->string,
                         at ? at + 1 : "none here", now,
                         always ? "pull_policy: always pulls it"
                                : "kept: pull_policy: always would pull it");
        }
        o->warn(o->ud, line);
}

static int image_pull(EngineClient *c, const char *image, const char *auth, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, what = STRBUF_INIT, out = STRBUF_INIT;
        const char *slash = strrchr(image, '/');
        const char *colon = strrchr(slash ? slash : image, ':');
        const char *at = strchr(image, '@');
        out.max = ENGINE_RESPONSE_MAX;
        strbuf_addstr(&path, "/images/create?fromImage=");
        if (colon && !at) {
                _cleanup_free_ char *repo = strndup(image, (size_t)(colon - image));
                engine_escape(repo ? repo : image, &path);
                strbuf_addstr(&path, "&tag=");
                engine_escape(colon + 1, &path);
        } else
                engine_escape(image, &path);
        strbuf_addf(&what, "pull image \"%s\"", image);
        int r = engine_call_raw(c, "POST", path.buf, NULL, 0, NULL, auth, what.buf, 1800, NULL, &out, err);
        return r < 0 ? r : engine_stream_check(&out, what.buf, err);
}

/* What a service runs: its pin when it has one (a rollback brings back the exact bytes), else its
 * image as the model names it. */
static const char *service_image(const cJSON *s, const StackOptions *o)
{
        const char *pin = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o->pins, s->string));
        return pin ? pin : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "image"));
}

/* Makes sure every service's image is there, before anything changes; returns their ids, and the
 * registry digests of those that have one. A dry run pulls nothing: a plan must not change the engine,
 * and an image still to be pulled has no id yet. */
static int resolve_images(EngineClient *c, const Project *p, const StackOptions *o, cJSON *ids,
                          cJSON *digests, BerthError *err)
{
        bool dry_run = o->dry_run;
        for (cJSON *s = services_of(p)->child; s; s = s->next) {
                const char *image = service_image(s, o);
                bool pinned = cJSON_HasObjectItem(o->pins, s->string);
                const char *policy =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "pull_policy"));
                _cleanup_free_ char *id = NULL, *digest = NULL;
                BerthError e2 = { 0 };
                int r;
                if (!image)
                        return error_set(
                                err, -EINVAL, NULL, 0, 0, NULL,
                                "service \"%s\" has no image: building images is done by `berth build`",
                                s->string);
                if (cJSON_HasObjectItem(ids, image))
                        continue;
                bool always = policy && strcmp(policy, "always") == 0;
                r = always ? -ENOENT : ops_image(c, image, NULL, &id, &digest, &e2);
                if (r == -ENOENT && dry_run && !(policy && strcmp(policy, "never") == 0)) {
                        char line[600];
                        snprintf(line, sizeof(line),
                                 "service \"%s\": image \"%s\" will be pulled when applied", s->string,
                                 image);
                        if (o->warn)
                                o->warn(o->ud, line);
                        continue;
                }
                if (r == -ENOENT && !(policy && strcmp(policy, "never") == 0)) {
                        BerthError pe = { 0 };
                        _cleanup_free_ char *auth = registry_auth_for(o->env, image);
                        r = image_pull(c, image, auth, &pe);
                        if (r < 0)
                                return error_set(err, r, NULL, 0, 0, NULL,
                                                 "service \"%s\": image \"%s\" is not on the engine and "
                                                 "cannot be pulled: %s",
                                                 s->string, image, pe.msg);
                        r = ops_image(c, image, NULL, &id, &digest, &e2);
                }
                if (r == -ENOENT)
                        return error_set(
                                err, r, NULL, 0, 0, NULL,
                                "service \"%s\": image \"%s\" is not on the engine (pull_policy: never)",
                                s->string, image);
                if (r < 0) {
                        *err = e2;
                        return r;
                }
                cJSON_AddStringToObject(ids, image, id);
                /* One from a registry host: its digest is what other engines must share. */
                _cleanup_free_ char *registry = registry_of(image);
                if (o->check_tags && o->warn && !pinned && registry)
                        check_tag(c, s, image, digest, o);
                if (digest)
                        cJSON_AddStringToObject(digests, image, digest);
                else if (o->warn && registry) {
                        char line[600];
                        snprintf(line, sizeof(line),
                                 "service \"%s\": image \"%s\" has no registry digest (built here, never "
                                 "pushed or pulled): other engines may run other bytes under that name",
                                 s->string, image);
                        o->warn(o->ud, line);
                }
        }
        return 0;
}

/* ---- networks and volumes ---- */

static int exists(EngineClient *c, const char *kind, const char *name, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        BerthError e2 = { 0 };
        strbuf_addf(&path, "/%s/", kind);
        engine_escape(name, &path);
        int r = engine_call(c, "GET", path.buf, NULL, "inspect", 0, NULL, NULL, &e2);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                *err = e2;
                return r;
        }
        return 1;
}

static void add_labels(cJSON *labels, const Project *p, const char *key_label, const char *key,
                       const DeployIdentity *id)
{
        cJSON_AddStringToObject(labels, LABEL_PROJECT, p->name);
        cJSON_AddStringToObject(labels, key_label, key);
        cJSON_AddStringToObject(labels, LABEL_MANAGED, "true");
        cJSON_AddStringToObject(labels, LABEL_STACK, p->name);
        cJSON_AddStringToObject(labels, LABEL_REPO, id && id->repo ? id->repo : "local");
}

/* What networks and volumes share: 0 when it exists, 1 when it is to be created (done with dry_run),
 * an error when it is external and missing. *ret_decl and *ret_name point into the model. */
static int resource_preflight(EngineClient *c, const Project *p, const char *kind, const char *key,
                              const char *user, const cJSON *provided, cJSON **ret_decl,
                              const char **ret_name, BerthError *err)
{
        cJSON *decl =
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->model, kind), key);
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(decl, "name"));
        int r;
        if (!name)
                return 0;
        if ((r = exists(c, kind, name, err)) != 0)
                return r < 0 ? r : 0;
        /* Another stack of the run creates it, and this one is applied after that one. */
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, "external")) &&
            cJSON_HasObjectItem(cJSON_GetObjectItemCaseSensitive(provided, kind), name))
                return 0;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, "external")))
                return error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                 "service \"%s\" uses external %.*s \"%s\", which does not exist", user,
                                 (int)strlen(kind) - 1, kind, name);
        *ret_decl = decl;
        *ret_name = name;
        return 1;
}

/* The network-only parts of a create: flags and IPAM. */
static void network_body(const cJSON *decl, cJSON *body)
{
        static const char *const flags[][2] = { { "internal", "Internal" },
                                                { "attachable", "Attachable" },
                                                { "enable_ipv6", "EnableIPv6" } };
        cJSON_AddTrueToObject(body, "CheckDuplicate");
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, flags[i][0])))
                        cJSON_AddTrueToObject(body, flags[i][1]);
        cJSON *ipam = cJSON_GetObjectItemCaseSensitive(decl, "ipam");
        if (!ipam)
                return;
        cJSON *ip = cJSON_AddObjectToObject(body, "IPAM");
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ipam, "driver"));
        cJSON_AddStringToObject(ip, "Driver", d ? d : "default");
        cJSON *cfgs = cJSON_AddArrayToObject(ip, "Config");
        cJSON *config = cJSON_GetObjectItemCaseSensitive(ipam, "config");
        for (cJSON *cf = config ? config->child : NULL; cf; cf = cf->next) {
                cJSON *o = cJSON_CreateObject();
                static const char *const keys[][2] = { { "subnet", "Subnet" },
                                                       { "gateway", "Gateway" },
                                                       { "ip_range", "IPRange" } };
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        const char *v =
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cf, keys[i][0]));
                        if (v)
                                cJSON_AddStringToObject(o, keys[i][1], v);
                }
                cJSON_AddItemToArray(cfgs, o);
        }
}

typedef struct ResourceKind {
        const char *kind;           /* the model's key: "networks" */
        const char *noun;           /* "network", for messages */
        const char *label;          /* com.docker.compose.network */
        const char *default_driver; /* "bridge" */
        const char *opts_field;     /* where driver_opts go in the create body */
        void (*extra)(const cJSON *decl, cJSON *body);
} ResourceKind;

static const ResourceKind NETWORK = {
        "networks", "network", LABEL_NETWORK, "bridge", "Options", network_body
};
static const ResourceKind VOLUME = { "volumes", "volume", LABEL_VOLUME, "local", "DriverOpts", NULL };

/* Creates a network or volume the model declares, unless it exists: 0 when it does, 1 when it is to be
 * (or was) created, an error when it is external and missing. dry_run only checks. */
static int ensure_resource(EngineClient *c, const Project *p, const ResourceKind *k, const char *key,
                           const char *user, const StackOptions *o, bool dry_run, BerthError *err)
{
        cJSON *decl = NULL;
        const char *name = NULL;
        const DeployIdentity *id = &o->id;
        int r = resource_preflight(c, p, k->kind, key, user, o->provided, &decl, &name, err);
        if (r <= 0 || dry_run)
                return r;
        _cleanup_cjson_ cJSON *body = cJSON_CreateObject();
        if (!body)
                return -ENOMEM;
        const char *driver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(decl, "driver"));
        cJSON_AddStringToObject(body, "Name", name);
        cJSON_AddStringToObject(body, "Driver", driver ? driver : k->default_driver);
        cJSON *opts = cJSON_GetObjectItemCaseSensitive(decl, "driver_opts");
        if (opts)
                json_set(body, k->opts_field, cJSON_Duplicate(opts, 1));
        cJSON *labels = cJSON_GetObjectItemCaseSensitive(decl, "labels");
        labels = labels ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject();
        add_labels(labels, p, k->label, key, id);
        cJSON_AddItemToObject(body, "Labels", labels);
        if (k->extra)
                k->extra(decl, body);
        _cleanup_strbuf_ StrBuf what = STRBUF_INIT, path = STRBUF_INIT;
        strbuf_addf(&what, "create %s \"%s\"", k->noun, name);
        strbuf_addf(&path, "/%s/create", k->kind);
        r = engine_call(c, "POST", path.buf, body, what.buf, 0, NULL, NULL, err);
        /* A concurrent up may have made it in between: that is what we wanted. */
        return r == -EEXIST ? 0 : r < 0 ? r : 1;
}

/* Each network and volume the services use, once, with the first service that uses it (for errors). */
static int used_resources(const Project *p, cJSON *nets, cJSON *vols)
{
        for (cJSON *s = services_of(p)->child; s; s = s->next) {
                cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "networks");
                for (cJSON *k = n ? n->child : NULL; k; k = k->next)
                        if (!cJSON_HasObjectItem(nets, k->string) &&
                            !cJSON_AddStringToObject(nets, k->string, s->string))
                                return -ENOMEM;
                cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "volumes");
                for (cJSON *k = v ? v->child : NULL; k; k = k->next) {
                        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "type"));
                        const char *src =
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "source"));
                        if (type && src && strcmp(type, "volume") == 0 && !cJSON_HasObjectItem(vols, src) &&
                            !cJSON_AddStringToObject(vols, src, s->string))
                                return -ENOMEM;
                }
        }
        return 0;
}

/* Checks every network and volume (externals must exist). With dry_run it only checks, and leaves in
 * nets and vols just the ones still to create, which the second call creates. */
static int ensure_resources(EngineClient *c, const Project *p, const StackOptions *o, cJSON *nets,
                            cJSON *vols, bool dry_run, BerthError *err)
{
        int r;
        for (int kind = 0; kind < 2; kind++) {
                cJSON *set = kind ? vols : nets;
                for (cJSON *k = set->child, *next; k; k = next) {
                        next = k->next;
                        r = ensure_resource(c, p, kind ? &VOLUME : &NETWORK, k->string, k->valuestring, o,
                                            dry_run, err);
                        if (r < 0)
                                return r;
                        if (dry_run && r == 0)
                                cJSON_Delete(cJSON_DetachItemViaPointer(set, k));
                }
        }
        return 0;
}

/* ---- up ---- */

/* On failure, the service's last log lines go into the hint, on one line. */
static void hint_logs(EngineClient *c, const LiveContainer *lc, BerthError *err)
{
        _cleanup_strbuf_ StrBuf logs = STRBUF_INIT;
        BerthError le = { 0 };
        if (ops_logs_tail(c, lc->id, 10, &logs, &le) >= 0 && logs.len) {
                for (char *q = logs.buf; *q; q++)
                        if (*q == '\n' || *q == '\r')
                                *q = q[1] ? '|' : '\0';
                error_hint(err, "service \"%s\", last log lines: %s", lc->service, logs.buf);
        } else
                error_hint(err, "service \"%s\"", lc->service);
}

static int wait_all(EngineClient *c, const Project *p, long timeout_s, BerthError *err)
{
        LiveSet live = { 0 };
        int r = live_list(c, p->name, &live, err);
        for (size_t i = 0; i < live.n && r >= 0; i++) {
                LiveContainer *lc = &live.items[i];
                if (lc->oneoff || !lc->service ||
                    !cJSON_GetObjectItemCaseSensitive(services_of(p), lc->service))
                        continue;
                if ((r = ops_wait(c, lc->id, lc->name, WAIT_HEALTHY, timeout_s, err)) < 0)
                        hint_logs(c, lc, err);
        }
        /* A service without a healthcheck can look running an instant before it exits: look once more
         * after a moment, and fail on anything that stopped or restarted since. */
        if (r >= 0) {
                struct timespec settle = { .tv_sec = 1, .tv_nsec = 0 };
                nanosleep(&settle, NULL);
        }
        for (size_t i = 0; i < live.n && r >= 0; i++) {
                LiveContainer *lc = &live.items[i];
                _cleanup_cjson_ cJSON *j = NULL;
                if (lc->oneoff || !lc->service ||
                    !cJSON_GetObjectItemCaseSensitive(services_of(p), lc->service))
                        continue;
                if ((r = ops_inspect(c, lc->id, &j, err)) < 0)
                        break;
                cJSON *state = cJSON_GetObjectItemCaseSensitive(j, "State");
                double restarts = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, "RestartCount"));
                if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running")) || restarts > 0) {
                        r = error_set(err, -ECHILD, NULL, 0, 0, NULL, "container \"%s\" %s with status %d",
                                      lc->name, restarts > 0 ? "is restarting, last exited" : "exited",
                                      (int)cJSON_GetNumberValue(
                                              cJSON_GetObjectItemCaseSensitive(state, "ExitCode")));
                        hint_logs(c, lc, err);
                }
        }
        live_done(&live);
        return r;
}

/* Engine operations mostly wait on the daemon, so twice its CPUs keeps it busy without a pile-up. */
unsigned stack_parallelism(EngineClient *c)
{
        _cleanup_cjson_ cJSON *info = NULL;
        BerthError e = { 0 };
        if (engine_call(c, "GET", "/info", NULL, "engine info", 0, NULL, &info, &e) < 0)
                return 4;
        double n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(info, "NCPU"));
        unsigned p = n > 0 ? (unsigned)n * 2 : 4;
        return p < 4 ? 4 : p > 32 ? 32 : p;
}

int stack_up(EngineClient *c, const Project *p, const StackOptions *o, StackResult *ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *ids = cJSON_CreateObject(), *nets = cJSON_CreateObject(),
                              *vols = cJSON_CreateObject(), *digests = cJSON_CreateObject();
        LiveSet live = { 0 };
        int r;

        *ret = (StackResult){ 0 };
        if (!ids || !nets || !vols || !digests || used_resources(p, nets, vols) < 0)
                return -ENOMEM;
        for (cJSON *s = services_of(p) ? services_of(p)->child : NULL; s; s = s->next)
                if ((r = container_check_service(p, s->string, o->warn, o->ud, err)) < 0)
                        return r;
        if ((r = resolve_images(c, p, o, ids, digests, err)) < 0 ||
            (r = ensure_resources(c, p, o, nets, vols, true, err)) < 0)
                return r;

        size_t n = (size_t)cJSON_GetArraySize(services_of(p));
        ret->hashes = calloc(n ? n : 1, sizeof(ServiceHash));
        if (!ret->hashes)
                return -ENOMEM;
        for (cJSON *s = services_of(p)->child; s; s = s->next) {
                char hex[65];
                const char *image = service_image(s, o);
                const char *digest = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(digests, image));
                bool pinned = cJSON_HasObjectItem(o->pins, s->string);
                r = project_service_hash(p, s->string,
                                         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ids, image)),
                                         hex);
                if (r < 0)
                        return error_set(err, r, NULL, 0, 0, NULL, "cannot hash service \"%s\"", s->string);
                ServiceHash *h = &ret->hashes[ret->n_hashes++];
                *h = (ServiceHash){ .service = s->string,
                                    .hash = strdup(hex),
                                    .image = pinned ? strdup(image) : NULL,
                                    .digest = digest ? strdup(digest) : NULL };
                if (!h->hash || (pinned && !h->image) || (digest && !h->digest))
                        return -ENOMEM;
        }
        if ((r = live_list(c, p->name, &live, err)) < 0)
                return r;
        r = plan_services(p, ret->hashes, ret->n_hashes, &live, o->remove_orphans, &ret->plan);
        live_done(&live);
        if (r < 0)
                return r;
        if (o->on_plan)
                o->on_plan(o->ud, p, &ret->plan);
        if (o->dry_run)
                return 0;
        /* The decrypted files the containers mount, written again on every deploy: tmpfs is empty after a
         * reboot, and a container that restarts then needs them. */
        _cleanup_free_ char *runtime = NULL;
        if (p->n_plain_files && ((r = runtime_stack_dir(o->env, o->id.repo, p->name, &runtime, err)) < 0 ||
                                 (r = runtime_write(runtime, p, err)) < 0))
                return r;
        /* Nothing to change: no threads, no engine sizing; only --wait still has work. */
        if (plan_changes(&ret->plan) == 0)
                return o->wait ? wait_all(c, p, o->timeout_s, err) : 0;
        if ((r = ensure_resources(c, p, o, nets, vols, false, err)) < 0)
                return r;
        DeployIdentity id = o->id;
        id.runtime_dir = runtime;
        if (id.commit)
                for (cJSON *s = services_of(p)->child; s; s = s->next)
                        id.containers += plan_replicas(s);
        ApplyOptions ao = { .budget = o->budget,
                            .parallel = o->parallel ? o->parallel
                                        : o->budget ? 0
                                                    : stack_parallelism(c),
                            .timeout_s = o->timeout_s,
                            .id = &id,
                            .progress = o->progress,
                            .ud = o->ud };
        /* A deploy that makes containers is told by their labels, so a record of an earlier one goes
         * first (were the deploy cut short, its containers' count would be hidden behind the record); one
         * that makes none (a scale-down, or a change to a service scaled to 0) writes a record when it
         * is done (record.h), or status would name an older commit. */
        bool creates = false;
        for (size_t i = 0; i < ret->plan.n; i++)
                creates |= ret->plan.actions[i].kind == ACTION_CREATE ||
                           ret->plan.actions[i].kind == ACTION_RECREATE;
        if (id.commit && creates && (r = record_remove(c, p->name, err)) < 0)
                return r;
        r = apply_plan(c, p, &ret->plan, ret->hashes, ret->n_hashes, &ao, &ret->report, err);
        if (r < 0)
                return r;
        if (ret->report.failed)
                return error_set(err, -EIO, NULL, 0, 0, NULL, "%zu service%s of stack \"%s\" failed",
                                 ret->report.failed, ret->report.failed == 1 ? "" : "s", p->name);
        if (id.commit && !creates && (r = record_write(c, p->name, &id, err)) < 0)
                return r;
        if (o->wait)
                return wait_all(c, p, o->timeout_s, err);
        return 0;
}

/* ---- down ---- */

typedef struct DownTask {
        EngineClient *root;
        LiveContainer *lc;
        const DownOptions *o;
        pthread_mutex_t *lock;
        int r;
        BerthError err;
} DownTask;

static void *down_one(void *userdata)
{
        DownTask *t = userdata;
        _cleanup_engine_ EngineClient *c = NULL;
        int r = engine_client_clone(t->root, &c, &t->err);
        if (t->o->budget)
                op_budget_take(t->o->budget);
        if (r >= 0 && (r = ops_stop(c, t->lc->id, t->lc->name, t->o->timeout_s, &t->err)) == -ENOENT)
                r = 0;
        if (r >= 0 && (r = ops_remove(c, t->lc->id, t->lc->name, false, &t->err)) == -ENOENT)
                r = 0;
        if (t->o->budget)
                op_budget_give(t->o->budget);
        t->r = r;
        if (t->o->progress) {
                char line[1200];
                pthread_mutex_lock(t->lock);
                t->o->progress(t->o->ud, "remove container", t->lc->name,
                               r < 0 ? error_format(&t->err, line, sizeof(line)) : NULL);
                pthread_mutex_unlock(t->lock);
        }
        return NULL;
}

typedef struct DownPool {
        DownTask *tasks;
        const size_t *order;
        size_t n, next;
        pthread_mutex_t *lock;
} DownPool;

static void *down_worker(void *userdata)
{
        DownPool *pool = userdata;
        for (;;) {
                pthread_mutex_lock(pool->lock);
                size_t i = pool->next < pool->n ? pool->order[pool->next++] : SIZE_MAX;
                pthread_mutex_unlock(pool->lock);
                if (i == SIZE_MAX)
                        return NULL;
                down_one(&pool->tasks[i]);
        }
}

/* True when some container still present depends on service (by compose's depends_on label). */
/* Whether the container's depends_on label ("svc:condition:restart,...") names service. */
static bool depends_on(const LiveContainer *lc, const char *service)
{
        size_t n = strlen(service);
        const char *deps = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(lc->raw, "Labels"), LABEL_DEPENDS_ON));
        for (const char *d = deps; d && *d;) {
                const char *end = strchrnul(d, ',');
                if ((size_t)(end - d) > n && strncmp(d, service, n) == 0 && d[n] == ':')
                        return true;
                d = *end ? end + 1 : end;
        }
        return false;
}

static bool needed_by_others(LiveSet *live, const bool *gone, const char *service)
{
        for (size_t i = 0; i < live->n; i++)
                if (!gone[i] && depends_on(&live->items[i], service))
                        return true;
        return false;
}

static int remove_labelled(EngineClient *c, const char *kind, const char *project, const DownOptions *o,
                           BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, filter = STRBUF_INIT;
        _cleanup_cjson_ cJSON *list = NULL;
        int r;
        strbuf_addf(&filter, "{\"label\":[\"%s=%s\"]}", LABEL_PROJECT, project);
        strbuf_addf(&path, "/%s?filters=", kind);
        engine_escape(filter.buf, &path);
        if ((r = engine_call(c, "GET", path.buf, NULL, "list", 0, NULL, &list, err)) < 0)
                return r;
        cJSON *items =
                strcmp(kind, "volumes") == 0 ? cJSON_GetObjectItemCaseSensitive(list, "Volumes") : list;
        for (cJSON *it = items ? items->child : NULL; it; it = it->next) {
                const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Name"));
                _cleanup_strbuf_ StrBuf p2 = STRBUF_INIT, what = STRBUF_INIT;
                if (!name)
                        continue;
                strbuf_addf(&p2, "/%s/", kind);
                engine_escape(name, &p2);
                strbuf_addf(&what, "remove %s \"%s\"", strcmp(kind, "volumes") == 0 ? "volume" : "network",
                            name);
                /* One error slot per call: a network already gone is no failure, and must not stand in the
                 * stack's error either. */
                BerthError e = { 0 };
                r = engine_call(c, "DELETE", p2.buf, NULL, what.buf, 0, NULL, NULL, &e);
                if (r == -ENOENT)
                        r = 0;
                if (o->progress)
                        o->progress(o->ud, what.buf, name, r < 0 ? e.msg : NULL);
                if (r < 0) {
                        if (err && !err->set)
                                *err = e;
                        return r;
                }
        }
        return 0;
}

int stack_down(EngineClient *c, const char *project, const DownOptions *o, BerthError *err)
{
        LiveSet live = { 0 };
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        int r = live_list(c, project, &live, err);
        if (r < 0)
                return r;
        bool *gone = calloc(live.n ? live.n : 1, sizeof(bool));
        DownTask *tasks = calloc(live.n ? live.n : 1, sizeof(DownTask));
        pthread_t *threads = calloc(live.n ? live.n : 1, sizeof(pthread_t));
        size_t left = live.n;
        if (!gone || !tasks || !threads) {
                r = -ENOMEM;
                goto out;
        }
        /* Waves: each removes, in parallel, the containers nothing left depends on. */
        while (left > 0 && r >= 0) {
                size_t wave[live.n], n = 0;
                for (size_t i = 0; i < live.n; i++)
                        if (!gone[i] &&
                            !needed_by_others(&live, gone,
                                              live.items[i].service ? live.items[i].service : ""))
                                wave[n++] = i;
                if (n == 0) /* a dependency cycle in labels: take the rest together */
                        for (size_t i = 0; i < live.n; i++)
                                if (!gone[i])
                                        wave[n++] = i;
                /* A pool, not batches: a slow stop does not hold the others back. */
                for (size_t j = 0; j < n; j++)
                        tasks[wave[j]] =
                                (DownTask){ .root = c, .lc = &live.items[wave[j]], .o = o, .lock = &lock };
                DownPool pool = { .tasks = tasks, .order = wave, .n = n, .lock = &lock };
                size_t workers = o->parallel ? o->parallel : 8;
                if (workers > n)
                        workers = n;
                size_t started = 0;
                while (started < workers && pthread_create(&threads[started], NULL, down_worker, &pool) == 0)
                        started++;
                if (started == 0) /* no thread to be had: this one does the work */
                        down_worker(&pool);
                for (size_t j = 0; j < started; j++)
                        pthread_join(threads[j], NULL);
                for (size_t j = 0; j < n; j++)
                        if (tasks[wave[j]].r < 0 && r >= 0) {
                                r = tasks[wave[j]].r;
                                *err = tasks[wave[j]].err;
                        }
                for (size_t j = 0; j < n; j++)
                        gone[wave[j]] = true;
                left -= n;
        }
        if (r >= 0)
                r = remove_labelled(c, "networks", project, o, err);
        if (r >= 0)
                r = record_remove(c, project, err);
        if (r >= 0 && o->volumes)
                r = remove_labelled(c, "volumes", project, o, err);
out:
        /* The decrypted files go with the last container that mounted them. */
        if (r >= 0)
                for (size_t i = 0; i < live.n; i++)
                        if (live.items[i].repo && runtime_remove(o->env, live.items[i].repo, project) < 0)
                                break;
        if (r >= 0 && live.n == 0)
                runtime_remove(o->env, "local", project);
        free(gone);
        free(tasks);
        free(threads);
        live_done(&live);
        return r;
}

/* Whether a container of a service that i's service depends on is still to be restarted. */
static bool dependency_pending(const LiveSet *live, const bool *done, size_t i)
{
        for (size_t j = 0; j < live->n; j++)
                if (j != i && !done[j] && live->items[j].service &&
                    depends_on(&live->items[i], live->items[j].service))
                        return true;
        return false;
}

int stack_restart(EngineClient *c, const char *project, void (*done_fn)(void *ud, const LiveContainer *lc),
                  void *ud, BerthError *err)
{
        LiveSet live = { 0 };
        int r = live_list(c, project, &live, err);
        if (r < 0)
                return r;
        bool *done = calloc(live.n ? live.n : 1, sizeof(bool));
        size_t left = 0;
        if (!done) {
                live_done(&live);
                return -ENOMEM;
        }
        /* One-off containers (compose run) are not the stack's services. */
        for (size_t i = 0; i < live.n; i++)
                if (live.items[i].oneoff)
                        done[i] = true;
                else
                        left++;
        if (left == 0)
                r = error_set(err, -ENOENT, NULL, 0, 0, NULL, "stack %s has no containers", project);
        while (left > 0 && r >= 0) {
                size_t before = left;
                for (size_t pass = 0; pass < 2 && left == before; pass++)
                        for (size_t i = 0; i < live.n && r >= 0; i++) {
                                /* The second pass breaks a dependency cycle in labels: the rest in order. */
                                if (done[i] || (pass == 0 && dependency_pending(&live, done, i)))
                                        continue;
                                LiveContainer *lc = &live.items[i];
                                if ((r = ops_stop(c, lc->id, lc->name, -1, err)) >= 0 &&
                                    (r = ops_start(c, lc->id, lc->name, err)) >= 0 && done_fn)
                                        done_fn(ud, lc);
                                done[i] = true;
                                left--;
                        }
        }
        free(done);
        live_done(&live);
        return r;
}
