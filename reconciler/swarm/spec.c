/* spec.c: compose service, network, config and secret to swarm Engine API JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/strbuf.h"
#include "../util/units.h"
#include "spec.h"
#include "../util/json.h"

#define get(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

/* Keys a swarm service honours; anything else (but x-* extensions) is reported, as `docker stack
 * deploy` says "Ignoring unsupported options", so nothing is dropped unsaid. */
static const char *const supported[] = {
        "image",       "command",   "entrypoint", "environment",   "env_file",
        "ports",       "volumes",   "networks",   "healthcheck",   "user",
        "working_dir", "labels",    "deploy",     "stop_signal",   "stop_grace_period",
        "init",        "read_only", "cap_add",    "cap_drop",      "extra_hosts",
        "ulimits",     "sysctls",   "logging",    "secrets",       "configs",
        "hostname",    "tty",       "stdin_open", "dns",           "dns_search",
        "dns_opt",     "group_add", "isolation",  "oom_score_adj", "restart",
};

static void check_keys(const cJSON *svc, const char *service, void (*warn)(void *, const char *), void *ud)
{
        char msg[512];
        for (const cJSON *k = svc->child; k && warn; k = k->next) {
                bool ok = strncmp(k->string, "x-", 2) == 0;
                for (size_t i = 0; i < ELEMENTSOF(supported) && !ok; i++)
                        ok = strcmp(k->string, supported[i]) == 0;
                if (!ok) {
                        snprintf(msg, sizeof(msg),
                                 "services.%s.%s is not supported by a swarm service and is ignored",
                                 service, k->string);
                        warn(ud, msg);
                }
        }
}

static int identity_labels(cJSON *labels, const Project *p, const char *hash, const char *digest,
                           const DeployIdentity *id)
{
        cJSON_AddStringToObject(labels, LABEL_STACK_NAMESPACE, p->name);
        cJSON_AddStringToObject(labels, LABEL_MANAGED, "true");
        cJSON_AddStringToObject(labels, LABEL_STACK, p->name);
        cJSON_AddStringToObject(labels, LABEL_REPO, id && id->repo ? id->repo : "local");
        if (id && id->commit)
                cJSON_AddStringToObject(labels, LABEL_COMMIT, id->commit);
        if (id && id->refs)
                cJSON_AddStringToObject(labels, LABEL_REFS, id->refs);
        if (hash)
                cJSON_AddStringToObject(labels, LABEL_CONTENT_HASH, hash);
        if (digest)
                cJSON_AddStringToObject(labels, LABEL_IMAGE_DIGEST, digest);
        if (id && id->containers) {
                char n[16];
                snprintf(n, sizeof(n), "%u", id->containers);
                cJSON_AddStringToObject(labels, LABEL_CONTAINERS, n);
        }
        return 0;
}

/* labels: a {key: value} map in the model; each becomes a string. */
static int copy_labels(cJSON *to, const cJSON *from)
{
        for (const cJSON *l = from ? from->child : NULL; l; l = l->next) {
                if (cJSON_IsString(l))
                        cJSON_AddStringToObject(to, l->string, l->valuestring);
                else if (cJSON_IsNull(l))
                        cJSON_AddStringToObject(to, l->string, "");
                else {
                        _cleanup_free_ char *s = cJSON_PrintUnformatted(l);
                        if (!s)
                                return -ENOMEM;
                        cJSON_AddStringToObject(to, l->string, s);
                }
        }
        return 0;
}

/* deploy.labels is a list ("k=v") or a map in the model. */
static int deploy_labels(cJSON *to, const cJSON *from)
{
        if (!cJSON_IsArray(from))
                return copy_labels(to, from);
        for (const cJSON *l = from->child; l; l = l->next) {
                const char *s = cJSON_GetStringValue(l);
                if (!s)
                        continue;
                const char *eq = strchr(s, '=');
                _cleanup_free_ char *k = eq ? strndup(s, (size_t)(eq - s)) : strdup(s);
                if (!k)
                        return -ENOMEM;
                cJSON_AddStringToObject(to, k, eq ? eq + 1 : "");
        }
        return 0;
}

static int cmp_strings(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Env as "K=V" sorted, as the docker CLI sends it (so a reordered file changes nothing); a variable
 * without a value is passed by name, for the engine to leave unset. */
static int build_env(cJSON *cs, const cJSON *env)
{
        size_t n = 0, i = 0;
        for (const cJSON *e = env ? env->child : NULL; e; e = e->next)
                n++;
        if (!n)
                return 0;
        _cleanup_free_ char **v = calloc(n, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (const cJSON *e = env->child; e; e = e->next) {
                StrBuf kv = STRBUF_INIT;
                if (cJSON_IsString(e))
                        strbuf_addf(&kv, "%s=%s", e->string, e->valuestring);
                else if (cJSON_IsNumber(e))
                        strbuf_addf(&kv, "%s=%.17g", e->string, e->valuedouble);
                else if (cJSON_IsBool(e))
                        strbuf_addf(&kv, "%s=%s", e->string, cJSON_IsTrue(e) ? "true" : "false");
                else
                        strbuf_addstr(&kv, e->string);
                v[i++] = strbuf_detach(&kv);
        }
        qsort(v, i, sizeof(char *), cmp_strings);
        cJSON *a = cJSON_AddArrayToObject(cs, "Env");
        for (size_t k = 0; k < i; k++) {
                json_append(a, cJSON_CreateString(v[k] ? v[k] : ""));
                free(v[k]);
        }
        return a ? 0 : -ENOMEM;
}

/* Mounts, as convert.Volumes makes them: a named volume by its engine name, labelled with the stack
 * and carrying its driver, so that each node creates it as the model says. */
static int build_mounts(const Project *p, cJSON *cs, const cJSON *svc, const char *svcpath, BerthError *err)
{
        const cJSON *vols = get(p->model, "volumes");
        cJSON *mounts = NULL;
        int r;
        for (const cJSON *v = get(svc, "volumes") ? get(svc, "volumes")->child : NULL; v; v = v->next) {
                const char *type = cJSON_GetStringValue(get(v, "type"));
                const char *src = cJSON_GetStringValue(get(v, "source"));
                const char *dst = cJSON_GetStringValue(get(v, "target"));
                if (!type || !dst)
                        continue;
                if (!mounts && !(mounts = cJSON_AddArrayToObject(cs, "Mounts")))
                        return -ENOMEM;
                cJSON *m = cJSON_CreateObject();
                if (!m || !cJSON_AddItemToArray(mounts, m))
                        return -ENOMEM;
                cJSON_AddStringToObject(m, "Type", type);
                cJSON_AddStringToObject(m, "Target", dst);
                if (cJSON_IsTrue(get(v, "read_only")))
                        cJSON_AddTrueToObject(m, "ReadOnly");
                if (strcmp(type, "volume") == 0 && src) {
                        const cJSON *decl = get(vols, src);
                        const char *full = cJSON_GetStringValue(get(decl, "name"));
                        cJSON_AddStringToObject(m, "Source", full ? full : src);
                        cJSON *vo = cJSON_AddObjectToObject(m, "VolumeOptions");
                        if (cJSON_IsTrue(get(get(v, "volume"), "nocopy")))
                                cJSON_AddTrueToObject(vo, "NoCopy");
                        if (!cJSON_IsTrue(get(decl, "external"))) {
                                cJSON *labels = cJSON_AddObjectToObject(vo, "Labels");
                                if ((r = copy_labels(labels, get(decl, "labels"))) < 0)
                                        return r;
                                cJSON_AddStringToObject(labels, LABEL_STACK_NAMESPACE, p->name);
                                const char *driver = cJSON_GetStringValue(get(decl, "driver"));
                                const cJSON *opts = get(decl, "driver_opts");
                                if (driver || opts) {
                                        cJSON *dc = cJSON_AddObjectToObject(vo, "DriverConfig");
                                        cJSON_AddStringToObject(dc, "Name", driver ? driver : "");
                                        if (opts && (r = copy_labels(cJSON_AddObjectToObject(dc, "Options"),
                                                                     opts)) < 0)
                                                return r;
                                }
                        }
                } else if (src)
                        cJSON_AddStringToObject(m, "Source", src);
                const char *prop = cJSON_GetStringValue(get(get(v, "bind"), "propagation"));
                if (strcmp(type, "bind") == 0 && prop)
                        cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "BindOptions"), "Propagation",
                                                prop);
                const cJSON *size = get(get(v, "tmpfs"), "size");
                if (strcmp(type, "tmpfs") == 0 && size) {
                        int64_t bytes;
                        char path[300];
                        snprintf(path, sizeof(path), "%s.volumes.tmpfs.size", svcpath);
                        if ((r = spec_bytes(size, path, &bytes, err)) < 0)
                                return r;
                        cJSON_AddNumberToObject(cJSON_AddObjectToObject(m, "TmpfsOptions"), "SizeBytes",
                                                (double)bytes);
                }
        }
        return 0;
}

static int cmp_items(const void *a, const void *b, void *key)
{
        const char *x = cJSON_GetStringValue(get(*(cJSON *const *)a, (const char *)key));
        const char *y = cJSON_GetStringValue(get(*(cJSON *const *)b, (const char *)key));
        return strcmp(x ? x : "", y ? y : "");
}

/* Sorts an array of objects by a string member (stable enough: names are unique). */
static int sort_by_key(cJSON *arr, const char *key)
{
        int n = cJSON_GetArraySize(arr);
        if (n < 2)
                return 0;
        _cleanup_free_ cJSON **v = calloc((size_t)n, sizeof(cJSON *));
        if (!v)
                return -ENOMEM;
        for (int i = n - 1; i >= 0; i--)
                v[i] = cJSON_DetachItemFromArray(arr, i);
        qsort_r(v, (size_t)n, sizeof(cJSON *), cmp_items, (void *)key);
        for (int i = 0; i < n; i++)
                cJSON_AddItemToArray(arr, v[i]);
        return 0;
}

/* Secrets and configs by reference: the object's engine name and id, the file's target (a relative
 * one is under /run/secrets, or / for a config), owner and mode (0444 unless the model says). */
static int build_refs(cJSON *cs, const cJSON *svc, const SwarmRefs *refs, const char *kind,
                      const char *field, const char *id_key, const char *name_key, const char *svcpath,
                      BerthError *err)
{
        const cJSON *list = get(svc, kind);
        const cJSON *objects = get(refs ? refs->objects : NULL, kind);
        cJSON *out = NULL;
        for (const cJSON *s = list ? list->child : NULL; s; s = s->next) {
                const char *src = cJSON_GetStringValue(get(s, "source"));
                const char *target = cJSON_GetStringValue(get(s, "target"));
                const cJSON *obj = get(objects, src ? src : "");
                const char *name = cJSON_GetStringValue(get(obj, "Name"));
                const char *oid = cJSON_GetStringValue(get(obj, "ID"));
                const cJSON *uid = get(s, "uid"), *gid = get(s, "gid"), *mode = get(s, "mode");
                if (!src || !name || !oid)
                        return error_set(err, -ENOENT, NULL, 0, 0, svcpath,
                                         "%s: \"%s\" is not a %s of the swarm", kind, src ? src : "?",
                                         strcmp(kind, "configs") == 0 ? "config" : "secret");
                if (!out && !(out = cJSON_AddArrayToObject(cs, field)))
                        return -ENOMEM;
                cJSON *r = cJSON_CreateObject();
                cJSON *f = cJSON_AddObjectToObject(r, "File");
                cJSON_AddStringToObject(f, "Name", target ? target : src);
                cJSON_AddStringToObject(f, "UID", cJSON_IsString(uid) ? uid->valuestring : "0");
                cJSON_AddStringToObject(f, "GID", cJSON_IsString(gid) ? gid->valuestring : "0");
                cJSON_AddNumberToObject(f, "Mode", cJSON_IsNumber(mode) ? mode->valuedouble : 0444);
                cJSON_AddStringToObject(r, id_key, oid);
                cJSON_AddStringToObject(r, name_key, name);
                cJSON_AddItemToArray(out, r);
        }
        /* Sorted by name, as the docker CLI does, so that the order in the file changes nothing. */
        return out ? sort_by_key(out, name_key) : 0;
}

static int cpus_ns(const cJSON *v, const char *path, double *ret, BerthError *err)
{
        char *end = NULL;
        double c = cJSON_IsNumber(v)   ? v->valuedouble
                   : cJSON_IsString(v) ? strtod(v->valuestring, &end)
                                       : -1;
        if ((end && *end) || c < 0)
                return error_set(err, -EINVAL, NULL, 0, 0, path, "invalid number of CPUs");
        *ret = (double)(int64_t)(c * 1e9 + 0.5);
        return 0;
}

static int build_resources(cJSON *task, const cJSON *res, const char *svcpath, BerthError *err)
{
        static const char *const kinds[][2] = { { "limits", "Limits" }, { "reservations", "Reservations" } };
        cJSON *out = cJSON_AddObjectToObject(task, "Resources");
        char path[300];
        int r;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                const cJSON *k = get(res, kinds[i][0]);
                if (!k)
                        continue;
                cJSON *o = cJSON_AddObjectToObject(out, kinds[i][1]);
                const cJSON *cpus = get(k, "cpus"), *mem = get(k, "memory"), *pids = get(k, "pids");
                double ns = 0;
                int64_t bytes;
                if (cpus) {
                        snprintf(path, sizeof(path), "%s.deploy.resources.%s.cpus", svcpath, kinds[i][0]);
                        if ((r = cpus_ns(cpus, path, &ns, err)) < 0)
                                return r;
                        cJSON_AddNumberToObject(o, "NanoCPUs", ns);
                }
                if (mem) {
                        snprintf(path, sizeof(path), "%s.deploy.resources.%s.memory", svcpath, kinds[i][0]);
                        if ((r = spec_bytes(mem, path, &bytes, err)) < 0)
                                return r;
                        cJSON_AddNumberToObject(o, "MemoryBytes", (double)bytes);
                }
                if (cJSON_IsNumber(pids) && i == 0)
                        cJSON_AddNumberToObject(o, "Pids", pids->valuedouble);
        }
        return 0;
}

/* deploy.restart_policy, else the service's restart (always and unless-stopped restart on any exit,
 * on-failure[:N] on failure), as convertRestartPolicy does. */
static int build_restart(cJSON *task, const cJSON *svc, const char *svcpath, BerthError *err)
{
        const cJSON *rp = get(get(svc, "deploy"), "restart_policy");
        const char *restart = cJSON_GetStringValue(get(svc, "restart"));
        char path[300];
        int r;
        if (rp) {
                cJSON *o = cJSON_AddObjectToObject(task, "RestartPolicy");
                const char *cond = cJSON_GetStringValue(get(rp, "condition"));
                if (cond)
                        cJSON_AddStringToObject(o, "Condition", cond);
                snprintf(path, sizeof(path), "%s.deploy.restart_policy", svcpath);
                if ((r = spec_duration(o, "Delay", get(rp, "delay"), path, err)) < 0 ||
                    (r = spec_duration(o, "Window", get(rp, "window"), path, err)) < 0)
                        return r;
                if (cJSON_IsNumber(get(rp, "max_attempts")))
                        cJSON_AddNumberToObject(o, "MaxAttempts", get(rp, "max_attempts")->valuedouble);
                return 0;
        }
        if (!restart || strcmp(restart, "no") == 0)
                return 0;
        cJSON *o = cJSON_AddObjectToObject(task, "RestartPolicy");
        if (strcmp(restart, "always") == 0 || strcmp(restart, "unless-stopped") == 0)
                cJSON_AddStringToObject(o, "Condition", "any");
        else if (strncmp(restart, "on-failure", 10) == 0) {
                cJSON_AddStringToObject(o, "Condition", "on-failure");
                long max = restart[10] == ':' ? strtol(restart + 11, NULL, 10) : 0;
                if (max > 0)
                        cJSON_AddNumberToObject(o, "MaxAttempts", (double)max);
        }
        return 0;
}

static int build_update(cJSON *spec, const char *key, const cJSON *uc, const char *path, BerthError *err)
{
        int r;
        if (!uc)
                return 0;
        cJSON *o = cJSON_AddObjectToObject(spec, key);
        const cJSON *par = get(uc, "parallelism");
        cJSON_AddNumberToObject(o, "Parallelism", cJSON_IsNumber(par) ? par->valuedouble : 1);
        if ((r = spec_duration(o, "Delay", get(uc, "delay"), path, err)) < 0 ||
            (r = spec_duration(o, "Monitor", get(uc, "monitor"), path, err)) < 0)
                return r;
        const char *fa = cJSON_GetStringValue(get(uc, "failure_action"));
        const char *order = cJSON_GetStringValue(get(uc, "order"));
        if (fa)
                cJSON_AddStringToObject(o, "FailureAction", fa);
        if (cJSON_IsNumber(get(uc, "max_failure_ratio")))
                cJSON_AddNumberToObject(o, "MaxFailureRatio", get(uc, "max_failure_ratio")->valuedouble);
        if (order)
                cJSON_AddStringToObject(o, "Order", order);
        return 0;
}

static int build_mode(cJSON *spec, const cJSON *deploy, const char *svcpath, BerthError *err)
{
        const char *mode = cJSON_GetStringValue(get(deploy, "mode"));
        const cJSON *replicas = get(deploy, "replicas");
        cJSON *m = cJSON_AddObjectToObject(spec, "Mode");
        if (!mode || strcmp(mode, "replicated") == 0) {
                cJSON *r = cJSON_AddObjectToObject(m, "Replicated");
                cJSON_AddNumberToObject(r, "Replicas", cJSON_IsNumber(replicas) ? replicas->valuedouble : 1);
        } else if (strcmp(mode, "global") == 0 || strcmp(mode, "global-job") == 0) {
                if (replicas)
                        return error_set(err, -EINVAL, NULL, 0, 0, svcpath,
                                         "deploy.replicas can only be used with replicated or "
                                         "replicated-job mode");
                cJSON_AddObjectToObject(m, strcmp(mode, "global") == 0 ? "Global" : "GlobalJob");
        } else if (strcmp(mode, "replicated-job") == 0) {
                cJSON *j = cJSON_AddObjectToObject(m, "ReplicatedJob");
                if (cJSON_IsNumber(replicas)) {
                        cJSON_AddNumberToObject(j, "MaxConcurrent", replicas->valuedouble);
                        cJSON_AddNumberToObject(j, "TotalCompletions", replicas->valuedouble);
                }
        } else
                return error_set(err, -EINVAL, NULL, 0, 0, svcpath, "deploy.mode: unknown mode \"%s\"",
                                 mode);
        return 0;
}

static int build_placement(cJSON *task, const cJSON *pl)
{
        cJSON *o = cJSON_AddObjectToObject(task, "Placement");
        int r;
        if (!o)
                return -ENOMEM;
        if ((r = spec_string_list(o, "Constraints", get(pl, "constraints"))) < 0)
                return r;
        const cJSON *prefs = get(pl, "preferences");
        if (cJSON_GetArraySize(prefs) > 0) {
                cJSON *a = cJSON_AddArrayToObject(o, "Preferences");
                for (const cJSON *p = prefs->child; p; p = p->next) {
                        const char *spread = cJSON_GetStringValue(get(p, "spread"));
                        if (!spread)
                                continue;
                        cJSON *e = cJSON_CreateObject();
                        cJSON_AddStringToObject(cJSON_AddObjectToObject(e, "Spread"), "SpreadDescriptor",
                                                spread);
                        cJSON_AddItemToArray(a, e);
                }
        }
        if (cJSON_IsNumber(get(pl, "max_replicas_per_node")))
                cJSON_AddNumberToObject(o, "MaxReplicas", get(pl, "max_replicas_per_node")->valuedouble);
        return 0;
}

/* Networks by engine name, sorted, each with the service's name as an alias (convertServiceNetworks). */
static int build_networks(const Project *p, cJSON *task, const cJSON *svc, const char *service)
{
        const cJSON *nets = get(svc, "networks");
        cJSON *a = cJSON_AddArrayToObject(task, "Networks");
        int r;
        if (!a)
                return -ENOMEM;
        for (const cJSON *n = nets ? nets->child : NULL; n || !nets; n = n ? n->next : NULL) {
                const char *key = n ? n->string : "default";
                char name[300];
                swarm_network_name(p, key, name, sizeof(name));
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "Target", name);
                cJSON *aliases = cJSON_AddArrayToObject(e, "Aliases");
                for (const cJSON *al = get(n, "aliases") ? get(n, "aliases")->child : NULL; al;
                     al = al->next)
                        if (cJSON_IsString(al))
                                json_append(aliases, cJSON_CreateString(al->valuestring));
                json_append(aliases, cJSON_CreateString(service));
                if (get(n, "driver_opts") &&
                    (r = copy_labels(cJSON_AddObjectToObject(e, "DriverOpts"), get(n, "driver_opts"))) < 0)
                        return r;
                cJSON_AddItemToArray(a, e);
                if (!nets)
                        break;
        }
        return sort_by_key(a, "Target");
}

static int build_endpoint(cJSON *spec, const cJSON *svc)
{
        const char *mode = cJSON_GetStringValue(get(get(svc, "deploy"), "endpoint_mode"));
        cJSON *ep = cJSON_AddObjectToObject(spec, "EndpointSpec");
        cJSON_AddStringToObject(ep, "Mode", mode ? mode : "vip");
        const cJSON *ports = get(svc, "ports");
        if (cJSON_GetArraySize(ports) == 0)
                return 0;
        cJSON *a = cJSON_AddArrayToObject(ep, "Ports");
        for (const cJSON *pt = ports->child; pt; pt = pt->next) {
                const char *proto = cJSON_GetStringValue(get(pt, "protocol"));
                const char *pub = cJSON_GetStringValue(get(pt, "published"));
                const char *pmode = cJSON_GetStringValue(get(pt, "mode"));
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "Protocol", proto ? proto : "tcp");
                cJSON_AddNumberToObject(e, "TargetPort", cJSON_GetNumberValue(get(pt, "target")));
                if (pub && *pub)
                        cJSON_AddNumberToObject(e, "PublishedPort", (double)strtol(pub, NULL, 10));
                cJSON_AddStringToObject(e, "PublishMode", pmode ? pmode : "ingress");
                cJSON_AddItemToArray(a, e);
        }
        return 0;
}

/* Capabilities as the engine names them, CAP_NET_ADMIN (the docker CLI writes them so; "ALL" stays). */
static int capabilities(cJSON *cs, const char *key, const cJSON *list)
{
        if (cJSON_GetArraySize(list) == 0)
                return 0;
        cJSON *a = cJSON_AddArrayToObject(cs, key);
        if (!a)
                return -ENOMEM;
        for (const cJSON *c = list->child; c; c = c->next) {
                const char *v = cJSON_GetStringValue(c);
                if (!v)
                        continue;
                StrBuf sb = STRBUF_INIT;
                if (strcasecmp(v, "ALL") != 0 && strncasecmp(v, "CAP_", 4) != 0)
                        strbuf_addstr(&sb, "CAP_");
                for (const char *q = v; *q; q++)
                        strbuf_addf(&sb, "%c", (*q >= 'a' && *q <= 'z') ? *q - 'a' + 'A' : *q);
                json_append(a, cJSON_CreateString(strbuf_str(&sb)));
                strbuf_done(&sb);
        }
        return 0;
}

static int build_container_extras(cJSON *cs, const cJSON *svc, const char *svcpath, BerthError *err)
{
        int r;
        const cJSON *hosts = get(svc, "extra_hosts");
        if (hosts && hosts->child) {
                /* SwarmKit's notation: "IP host". */
                cJSON *a = cJSON_AddArrayToObject(cs, "Hosts");
                for (const cJSON *h = hosts->child; h; h = h->next) {
                        const cJSON *ips = cJSON_IsArray(h) ? h->child : h;
                        for (const cJSON *ip = ips; ip; ip = cJSON_IsArray(h) ? ip->next : NULL) {
                                StrBuf sb = STRBUF_INIT;
                                strbuf_addf(&sb, "%s %s", cJSON_GetStringValue(ip) ? ip->valuestring : "",
                                            h->string);
                                json_append(a, cJSON_CreateString(strbuf_str(&sb)));
                                strbuf_done(&sb);
                        }
                }
        }
        if (get(svc, "dns") || get(svc, "dns_search") || get(svc, "dns_opt")) {
                cJSON *d = cJSON_AddObjectToObject(cs, "DNSConfig");
                if ((r = spec_string_list(d, "Nameservers", get(svc, "dns"))) < 0 ||
                    (r = spec_string_list(d, "Search", get(svc, "dns_search"))) < 0 ||
                    (r = spec_string_list(d, "Options", get(svc, "dns_opt"))) < 0)
                        return r;
        }
        const cJSON *ul = get(svc, "ulimits");
        if (ul && ul->child) {
                cJSON *a = cJSON_AddArrayToObject(cs, "Ulimits");
                for (const cJSON *u = ul->child; u; u = u->next) {
                        cJSON *e = cJSON_CreateObject();
                        double soft =
                                cJSON_IsNumber(u) ? u->valuedouble : cJSON_GetNumberValue(get(u, "soft"));
                        double hard =
                                cJSON_IsNumber(u) ? u->valuedouble : cJSON_GetNumberValue(get(u, "hard"));
                        cJSON_AddStringToObject(e, "Name", u->string);
                        cJSON_AddNumberToObject(e, "Hard", hard);
                        cJSON_AddNumberToObject(e, "Soft", soft);
                        cJSON_AddItemToArray(a, e);
                }
                if ((r = sort_by_key(a, "Name")) < 0)
                        return r;
        }
        const cJSON *sysctls = get(svc, "sysctls");
        if (sysctls && sysctls->child &&
            (r = copy_labels(cJSON_AddObjectToObject(cs, "Sysctls"), sysctls)) < 0)
                return r;
        const cJSON *grace = get(svc, "stop_grace_period");
        if ((r = spec_duration(cs, "StopGracePeriod", grace, svcpath, err)) < 0 ||
            (r = spec_healthcheck(cs, get(svc, "healthcheck"), svcpath, err)) < 0 ||
            (r = capabilities(cs, "CapabilityAdd", get(svc, "cap_add"))) < 0 ||
            (r = capabilities(cs, "CapabilityDrop", get(svc, "cap_drop"))) < 0 ||
            (r = spec_string_list(cs, "Groups", get(svc, "group_add"))) < 0)
                return r;
        return 0;
}

int swarm_service_spec(const Project *p, const char *service, const char *hash, const char *run_image,
                       const char *digest, const SwarmRefs *refs, const DeployIdentity *id,
                       void (*warn)(void *ud, const char *msg), void *ud, cJSON **ret, BerthError *err)
{
        const cJSON *svc = get(get(p->model, "services"), service);
        _cleanup_cjson_ cJSON *spec = cJSON_CreateObject();
        char svcpath[256], name[300];
        int r;

        if (!svc)
                return error_set(err, -ENOENT, NULL, 0, 0, NULL, "no service \"%s\"", service);
        if (!spec)
                return -ENOMEM;
        snprintf(svcpath, sizeof(svcpath), "services.%s", service);
        check_keys(svc, service, warn, ud);
        const char *image = cJSON_GetStringValue(get(svc, "image"));
        if (!image)
                return error_set(err, -EINVAL, NULL, 0, 0, svcpath, "service \"%s\" has no image to run",
                                 service);
        const cJSON *deploy = get(svc, "deploy");
        snprintf(name, sizeof(name), "%s_%s", p->name, service);
        cJSON_AddStringToObject(spec, "Name", name);
        cJSON *labels = cJSON_AddObjectToObject(spec, "Labels");
        if ((r = deploy_labels(labels, get(deploy, "labels"))) < 0 ||
            (r = identity_labels(labels, p, hash, digest, id)) < 0)
                return r;
        cJSON_AddStringToObject(labels, LABEL_STACK_IMAGE, image);

        cJSON *task = cJSON_AddObjectToObject(spec, "TaskTemplate");
        cJSON *cs = cJSON_AddObjectToObject(task, "ContainerSpec");
        if (!task || !cs)
                return -ENOMEM;
        cJSON_AddStringToObject(cs, "Image", run_image ? run_image : image);
        cJSON *clabels = cJSON_AddObjectToObject(cs, "Labels");
        if ((r = copy_labels(clabels, get(svc, "labels"))) < 0)
                return r;
        cJSON_AddStringToObject(clabels, LABEL_STACK_NAMESPACE, p->name);
        if ((r = spec_string_list(cs, "Command", get(svc, "entrypoint"))) < 0 ||
            (r = spec_string_list(cs, "Args", get(svc, "command"))) < 0 ||
            (r = build_env(cs, get(svc, "environment"))) < 0)
                return r;
        static const char *const strings[][2] = { { "hostname", "Hostname" },
                                                  { "working_dir", "Dir" },
                                                  { "user", "User" },
                                                  { "stop_signal", "StopSignal" },
                                                  { "isolation", "Isolation" } };
        spec_copy_strings(cs, svc, strings, ELEMENTSOF(strings));
        static const char *const flags[][2] = { { "tty", "TTY" },
                                                { "stdin_open", "OpenStdin" },
                                                { "read_only", "ReadOnly" },
                                                { "init", "Init" } };
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (cJSON_IsBool(get(svc, flags[i][0])))
                        cJSON_AddBoolToObject(cs, flags[i][1], cJSON_IsTrue(get(svc, flags[i][0])));
        /* As the docker CLI sends it: the engine keeps it, and a spec without it would differ. */
        cJSON *priv = cJSON_AddObjectToObject(cs, "Privileges");
        cJSON_AddNullToObject(priv, "CredentialSpec");
        cJSON_AddNullToObject(priv, "SELinuxContext");
        if (cJSON_IsNumber(get(svc, "oom_score_adj")))
                cJSON_AddNumberToObject(cs, "OomScoreAdj", get(svc, "oom_score_adj")->valuedouble);
        if ((r = build_mounts(p, cs, svc, svcpath, err)) < 0 ||
            (r = build_refs(cs, svc, refs, "secrets", "Secrets", "SecretID", "SecretName", svcpath, err)) <
                    0 ||
            (r = build_refs(cs, svc, refs, "configs", "Configs", "ConfigID", "ConfigName", svcpath, err)) <
                    0 ||
            (r = build_container_extras(cs, svc, svcpath, err)) < 0 ||
            (r = build_resources(task, get(deploy, "resources"), svcpath, err)) < 0 ||
            (r = build_restart(task, svc, svcpath, err)) < 0 ||
            (r = build_placement(task, get(deploy, "placement"))) < 0 ||
            (r = build_networks(p, task, svc, service)) < 0 ||
            (r = build_mode(spec, deploy, svcpath, err)) < 0 ||
            (r = build_update(spec, "UpdateConfig", get(deploy, "update_config"), svcpath, err)) < 0 ||
            (r = build_update(spec, "RollbackConfig", get(deploy, "rollback_config"), svcpath, err)) < 0 ||
            (r = build_endpoint(spec, svc)) < 0)
                return r;
        const cJSON *logging = get(svc, "logging");
        const char *driver = cJSON_GetStringValue(get(logging, "driver"));
        if (logging) {
                cJSON *ld = cJSON_AddObjectToObject(task, "LogDriver");
                cJSON_AddStringToObject(ld, "Name", driver ? driver : "");
                if (get(logging, "options") &&
                    (r = copy_labels(cJSON_AddObjectToObject(ld, "Options"), get(logging, "options"))) < 0)
                        return r;
        }
        *ret = spec;
        spec = NULL;
        return 0;
}

int swarm_object_name(const Project *p, const char *kind, const char *key, const char *sha256_hex, char *buf,
                      size_t size)
{
        const char *name = cJSON_GetStringValue(get(get(get(p->model, kind), key), "name"));
        int n = name ? snprintf(buf, size, "%s_%.12s", name, sha256_hex)
                     : snprintf(buf, size, "%s_%s_%.12s", p->name, key, sha256_hex);
        return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

void swarm_network_name(const Project *p, const char *key, char *buf, size_t size)
{
        const char *name = cJSON_GetStringValue(get(get(get(p->model, "networks"), key), "name"));
        if (name)
                snprintf(buf, size, "%s", name);
        else
                snprintf(buf, size, "%s_%s", p->name, key);
}

int swarm_network_spec(const Project *p, const char *key, const DeployIdentity *id, cJSON **ret,
                       BerthError *err)
{
        const cJSON *decl = get(get(p->model, "networks"), key);
        char name[300];
        int r;
        *ret = NULL;
        if (cJSON_IsTrue(get(decl, "external")))
                return 0;
        swarm_network_name(p, key, name, sizeof(name));
        _cleanup_cjson_ cJSON *body = cJSON_CreateObject();
        if (!body)
                return -ENOMEM;
        const char *driver = cJSON_GetStringValue(get(decl, "driver"));
        cJSON_AddStringToObject(body, "Name", name);
        cJSON_AddStringToObject(body, "Driver", driver ? driver : "overlay");
        cJSON_AddBoolToObject(body, "CheckDuplicate", true);
        if (cJSON_IsTrue(get(decl, "attachable")))
                cJSON_AddTrueToObject(body, "Attachable");
        if (cJSON_IsTrue(get(decl, "internal")))
                cJSON_AddTrueToObject(body, "Internal");
        cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
        if ((r = copy_labels(labels, get(decl, "labels"))) < 0)
                return r;
        cJSON_AddStringToObject(labels, LABEL_STACK_NAMESPACE, p->name);
        cJSON_AddStringToObject(labels, LABEL_MANAGED, "true");
        cJSON_AddStringToObject(labels, LABEL_STACK, p->name);
        cJSON_AddStringToObject(labels, LABEL_REPO, id && id->repo ? id->repo : "local");
        if (get(decl, "driver_opts") &&
            (r = copy_labels(cJSON_AddObjectToObject(body, "Options"), get(decl, "driver_opts"))) < 0)
                return r;
        const cJSON *ipam = get(decl, "ipam");
        if (ipam) {
                cJSON *o = cJSON_AddObjectToObject(body, "IPAM");
                const char *d = cJSON_GetStringValue(get(ipam, "driver"));
                cJSON_AddStringToObject(o, "Driver", d ? d : "default");
                cJSON *cfg = cJSON_AddArrayToObject(o, "Config");
                for (const cJSON *c = get(ipam, "config") ? get(ipam, "config")->child : NULL; c;
                     c = c->next) {
                        const char *subnet = cJSON_GetStringValue(get(c, "subnet"));
                        if (subnet) {
                                cJSON *e = cJSON_CreateObject();
                                cJSON_AddStringToObject(e, "Subnet", subnet);
                                cJSON_AddItemToArray(cfg, e);
                        }
                }
        }
        (void)err;
        *ret = body;
        body = NULL;
        return 0;
}

cJSON *swarm_service_networks(const Project *p)
{
        cJSON *keys = cJSON_CreateObject();
        const cJSON *services = get(p->model, "services");
        for (const cJSON *s = services ? services->child : NULL; s && keys; s = s->next) {
                const cJSON *nets = get(s, "networks");
                if (!nets || !nets->child) {
                        if (!get(keys, "default"))
                                cJSON_AddTrueToObject(keys, "default");
                        continue;
                }
                for (const cJSON *n = nets->child; n; n = n->next)
                        if (!get(keys, n->string))
                                cJSON_AddTrueToObject(keys, n->string);
        }
        return keys;
}
