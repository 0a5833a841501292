/* container.c: compose service to Engine API container-create JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "../util/units.h"
#include "container.h"
#include "runtime.h"
#include "../util/json.h"

void container_spec_done(ContainerSpec *s)
{
        free(s->name);
        free(s->platform);
        cJSON_Delete(s->body);
        cJSON_Delete(s->networks);
        *s = (ContainerSpec){ 0 };
}

static cJSON *service_of(const Project *p, const char *service)
{
        return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->model, "services"),
                                                service);
}

char *container_name(const Project *p, const char *service, unsigned number)
{
        const char *fixed = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(service_of(p, service), "container_name"));
        StrBuf sb = STRBUF_INIT;
        if (fixed ? strbuf_addstr(&sb, fixed) < 0
                  : strbuf_addf(&sb, "%s-%s-%u", p->name, service, number) < 0) {
                strbuf_done(&sb);
                return NULL;
        }
        return strbuf_detach(&sb);
}

const char *container_network_name(const Project *p, const char *key)
{
        cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->model, "networks"),
                                                    key);
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "name"));
}

/* Keys the standalone deploy honours; anything else (but x-* extensions) is reported. */
static const char *const supported[] = {
        "image",         "build",
        "command",       "entrypoint",
        "environment",   "ports",
        "expose",        "volumes",
        "tmpfs",         "networks",
        "network_mode",  "restart",
        "healthcheck",   "depends_on",
        "user",          "working_dir",
        "labels",        "deploy",
        "stop_signal",   "stop_grace_period",
        "init",          "read_only",
        "cap_add",       "cap_drop",
        "mem_limit",     "mem_reservation",
        "cpus",          "cpu_shares",
        "pids_limit",    "extra_hosts",
        "ulimits",       "sysctls",
        "logging",       "secrets",
        "configs",       "container_name",
        "hostname",      "domainname",
        "privileged",    "tty",
        "stdin_open",    "dns",
        "dns_search",    "dns_opt",
        "security_opt",  "shm_size",
        "group_add",     "profiles",
        "pull_policy",   "platform",
        "mac_address",   "ipc",
        "pid",           "userns_mode",
        "oom_score_adj", "oom_kill_disable",
        "devices",
};

int container_check_service(const Project *p, const char *service, void (*warn)(void *ud, const char *msg),
                            void *ud, BerthError *err)
{
        cJSON *svc = service_of(p, service);
        char msg[512];

        for (cJSON *k = svc ? svc->child : NULL; k; k = k->next) {
                bool ok = strncmp(k->string, "x-", 2) == 0;
                for (size_t i = 0; i < ELEMENTSOF(supported) && !ok; i++)
                        ok = strcmp(k->string, supported[i]) == 0;
                if (!ok) {
                        snprintf(msg, sizeof(msg),
                                 "services.%s.%s is not supported by berth on a standalone engine and is "
                                 "ignored",
                                 service, k->string);
                        warn(ud, msg);
                }
        }
        cJSON *secrets = cJSON_GetObjectItemCaseSensitive(p->model, "secrets");
        for (cJSON *s = cJSON_GetObjectItemCaseSensitive(svc, "secrets")
                                ? cJSON_GetObjectItemCaseSensitive(svc, "secrets")->child
                                : NULL;
             s; s = s->next) {
                const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "source"));
                cJSON *decl = cJSON_GetObjectItemCaseSensitive(secrets, src ? src : "");
                if (decl && !cJSON_HasObjectItem(decl, "file") &&
                    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(decl, "external")))
                        return error_set(err, -EOPNOTSUPP, NULL, 0, 0, NULL,
                                         "services.%s.secrets: secret \"%s\" is not from a file; a "
                                         "standalone engine can only bind-mount file secrets",
                                         service, src);
        }
        return 0;
}

static int build_ports(cJSON *body, cJSON *host, const cJSON *svc)
{
        cJSON *exposed = cJSON_AddObjectToObject(body, "ExposedPorts");
        cJSON *bindings = cJSON_AddObjectToObject(host, "PortBindings");
        char key[64];
        if (!exposed || !bindings)
                return -ENOMEM;
        for (cJSON *p = cJSON_GetObjectItemCaseSensitive(svc, "ports")
                                ? cJSON_GetObjectItemCaseSensitive(svc, "ports")->child
                                : NULL;
             p; p = p->next) {
                const char *proto = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "protocol"));
                const char *pub = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "published"));
                const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "host_ip"));
                snprintf(key, sizeof(key), "%d/%s",
                         (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "target")),
                         proto ? proto : "tcp");
                if (!cJSON_HasObjectItem(exposed, key))
                        cJSON_AddObjectToObject(exposed, key);
                cJSON *list = cJSON_GetObjectItemCaseSensitive(bindings, key);
                if (!list && !(list = cJSON_AddArrayToObject(bindings, key)))
                        return -ENOMEM;
                cJSON *b = cJSON_CreateObject();
                if (!b)
                        return -ENOMEM;
                cJSON_AddStringToObject(b, "HostIp", ip ? ip : "");
                cJSON_AddStringToObject(b, "HostPort", pub ? pub : "");
                cJSON_AddItemToArray(list, b);
        }
        for (cJSON *e = cJSON_GetObjectItemCaseSensitive(svc, "expose")
                                ? cJSON_GetObjectItemCaseSensitive(svc, "expose")->child
                                : NULL;
             e; e = e->next) {
                _cleanup_free_ char *t =
                        cJSON_IsString(e) ? strdup(e->valuestring) : cJSON_PrintUnformatted(e);
                if (!t)
                        return -ENOMEM;
                snprintf(key, sizeof(key), "%s%s", t, strchr(t, '/') ? "" : "/tcp");
                if (!cJSON_HasObjectItem(exposed, key))
                        cJSON_AddObjectToObject(exposed, key);
        }
        return 0;
}

static int add_bind(cJSON *binds, const char *src, const char *dst, bool ro, const char *extra)
{
        StrBuf sb = STRBUF_INIT;
        int r = strbuf_addf(&sb, "%s:%s:%s%s%s", src, dst, ro ? "ro" : "rw", extra ? "," : "",
                            extra ? extra : "");
        if (r >= 0 && !json_append(binds, cJSON_CreateString(strbuf_str(&sb))))
                r = -ENOMEM;
        strbuf_done(&sb);
        return r;
}

/* Secrets and configs from files are bind-mounted read-only, as compose does on a standalone engine. */
/* The host path a file of the project is mounted from: its decrypted copy on tmpfs, if it is a SOPS
 * document; else where it is. */
static char *mount_source(const Project *p, const DeployIdentity *id, const char *file)
{
        if (id && id->runtime_dir && project_plain_file(p, file))
                return runtime_path(id->runtime_dir, p, file);
        return strdup(file);
}

static int build_file_refs(const Project *p, const DeployIdentity *id, cJSON *binds, const cJSON *svc,
                           const char *key, const char *dir)
{
        cJSON *top = cJSON_GetObjectItemCaseSensitive(p->model, key);
        for (cJSON *s = cJSON_GetObjectItemCaseSensitive(svc, key)
                                ? cJSON_GetObjectItemCaseSensitive(svc, key)->child
                                : NULL;
             s; s = s->next) {
                const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "source"));
                const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "target"));
                const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(top, src ? src : ""), "file"));
                char path[1024];
                if (!src || !file)
                        continue;
                if (target && target[0] == '/')
                        snprintf(path, sizeof(path), "%s", target);
                else
                        snprintf(path, sizeof(path), "%s/%s", dir, target ? target : src);
                _cleanup_free_ char *from = mount_source(p, id, file);
                if (!from)
                        return -ENOMEM;
                int r = add_bind(binds, from, path, true, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_mounts(const Project *p, const DeployIdentity *id, cJSON *host, const cJSON *svc,
                        const char *svcpath, BerthError *err)
{
        cJSON *binds = cJSON_AddArrayToObject(host, "Binds");
        cJSON *mounts = cJSON_AddArrayToObject(host, "Mounts");
        cJSON *vols = cJSON_GetObjectItemCaseSensitive(p->model, "volumes");
        int r;
        if (!binds || !mounts)
                return -ENOMEM;
        for (cJSON *v = cJSON_GetObjectItemCaseSensitive(svc, "volumes")
                                ? cJSON_GetObjectItemCaseSensitive(svc, "volumes")->child
                                : NULL;
             v; v = v->next) {
                const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "type"));
                const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "source"));
                const char *dst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "target"));
                bool ro = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "read_only"));
                cJSON *bind = cJSON_GetObjectItemCaseSensitive(v, "bind");
                if (!type || !dst)
                        continue;
                _cleanup_free_ char *plain = NULL;
                if (strcmp(type, "bind") == 0 && src && id && id->runtime_dir &&
                    project_plain_file(p, src)) {
                        if (!(plain = mount_source(p, id, src)))
                                return -ENOMEM;
                        src = plain;
                }
                if (strcmp(type, "bind") == 0 &&
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bind, "create_host_path"))) {
                        /* Binds create a missing host path, as the short syntax promises; Mounts would refuse. */
                        _cleanup_strbuf_ StrBuf extra = STRBUF_INIT;
                        const char *sel =
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bind, "selinux"));
                        const char *prop =
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bind, "propagation"));
                        if (sel)
                                strbuf_addstr(&extra, sel);
                        if (prop)
                                strbuf_addf(&extra, "%s%s", extra.len ? "," : "", prop);
                        if ((r = add_bind(binds, src, dst, ro, extra.len ? extra.buf : NULL)) < 0)
                                return r;
                        continue;
                }
                cJSON *m = cJSON_CreateObject();
                if (!m || !cJSON_AddItemToArray(mounts, m))
                        return -ENOMEM;
                cJSON_AddStringToObject(m, "Type", type);
                cJSON_AddStringToObject(m, "Target", dst);
                if (ro)
                        cJSON_AddTrueToObject(m, "ReadOnly");
                if (strcmp(type, "volume") == 0 && src) {
                        /* Named volumes mount by their engine name (<project>_<key> unless named). */
                        const char *full = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(vols, src), "name"));
                        cJSON_AddStringToObject(m, "Source", full ? full : src);
                        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                                    cJSON_GetObjectItemCaseSensitive(v, "volume"), "nocopy")))
                                cJSON_AddTrueToObject(cJSON_AddObjectToObject(m, "VolumeOptions"), "NoCopy");
                } else if (src)
                        cJSON_AddStringToObject(m, "Source", src);
                if (strcmp(type, "bind") == 0) {
                        const char *prop =
                                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bind, "propagation"));
                        if (prop)
                                cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "BindOptions"),
                                                        "Propagation", prop);
                }
                if (strcmp(type, "tmpfs") == 0) {
                        cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "tmpfs");
                        cJSON *size = cJSON_GetObjectItemCaseSensitive(t, "size");
                        int64_t bytes;
                        if (size) {
                                char path[300];
                                snprintf(path, sizeof(path), "%s.volumes.tmpfs.size", svcpath);
                                if ((r = spec_bytes(size, path, &bytes, err)) < 0)
                                        return r;
                                cJSON_AddNumberToObject(cJSON_AddObjectToObject(m, "TmpfsOptions"),
                                                        "SizeBytes", (double)bytes);
                        }
                }
        }
        if ((r = build_file_refs(p, id, binds, svc, "secrets", "/run/secrets")) < 0 ||
            (r = build_file_refs(p, id, binds, svc, "configs", "")) < 0)
                return r;
        cJSON *tmpfs = cJSON_GetObjectItemCaseSensitive(svc, "tmpfs");
        if (cJSON_IsArray(tmpfs)) {
                cJSON *t = cJSON_AddObjectToObject(host, "Tmpfs");
                for (cJSON *it = tmpfs->child; it; it = it->next) {
                        if (!cJSON_IsString(it))
                                continue;
                        const char *colon = strchr(it->valuestring, ':');
                        _cleanup_free_ char *dst =
                                colon ? strndup(it->valuestring, (size_t)(colon - it->valuestring))
                                      : strdup(it->valuestring);
                        if (!dst)
                                return -ENOMEM;
                        cJSON_AddStringToObject(t, dst, colon ? colon + 1 : "");
                }
        }
        return 0;
}

static int build_resources(cJSON *host, const cJSON *svc, const char *svcpath, BerthError *err)
{
        cJSON *limits = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, "deploy"),
                                                 "resources"),
                "limits");
        cJSON *mem = cJSON_GetObjectItemCaseSensitive(svc, "mem_limit");
        cJSON *cpus = cJSON_GetObjectItemCaseSensitive(svc, "cpus");
        cJSON *pids = cJSON_GetObjectItemCaseSensitive(svc, "pids_limit");
        char path[300];
        int64_t bytes;
        int r;

        if (!mem)
                mem = cJSON_GetObjectItemCaseSensitive(limits, "memory");
        if (!cpus)
                cpus = cJSON_GetObjectItemCaseSensitive(limits, "cpus");
        if (!pids)
                pids = cJSON_GetObjectItemCaseSensitive(limits, "pids");
        if (mem) {
                snprintf(path, sizeof(path), "%s.mem_limit", svcpath);
                if ((r = spec_bytes(mem, path, &bytes, err)) < 0)
                        return r;
                cJSON_AddNumberToObject(host, "Memory", (double)bytes);
        }
        cJSON *res = cJSON_GetObjectItemCaseSensitive(svc, "mem_reservation");
        if (res) {
                snprintf(path, sizeof(path), "%s.mem_reservation", svcpath);
                if ((r = spec_bytes(res, path, &bytes, err)) < 0)
                        return r;
                cJSON_AddNumberToObject(host, "MemoryReservation", (double)bytes);
        }
        if (cpus) {
                double c = cJSON_IsNumber(cpus)   ? cpus->valuedouble
                           : cJSON_IsString(cpus) ? strtod(cpus->valuestring, NULL)
                                                  : 0;
                if (c > 0)
                        cJSON_AddNumberToObject(host, "NanoCpus", (double)(int64_t)(c * 1e9));
        }
        if (cJSON_IsNumber(pids))
                cJSON_AddNumberToObject(host, "PidsLimit", pids->valuedouble);
        cJSON *shares = cJSON_GetObjectItemCaseSensitive(svc, "cpu_shares");
        if (cJSON_IsNumber(shares))
                cJSON_AddNumberToObject(host, "CpuShares", shares->valuedouble);
        cJSON *shm = cJSON_GetObjectItemCaseSensitive(svc, "shm_size");
        if (shm) {
                snprintf(path, sizeof(path), "%s.shm_size", svcpath);
                if ((r = spec_bytes(shm, path, &bytes, err)) < 0)
                        return r;
                cJSON_AddNumberToObject(host, "ShmSize", (double)bytes);
        }
        return 0;
}

/* devices: "host[:container[:permissions]]", or {source, target, permissions}. */
static int build_devices(cJSON *host, const cJSON *svc, const char *svcpath, BerthError *err)
{
        cJSON *devices = cJSON_GetObjectItemCaseSensitive(svc, "devices");
        if (!cJSON_IsArray(devices))
                return 0;
        cJSON *out = cJSON_AddArrayToObject(host, "Devices");
        if (!out)
                return -ENOMEM;
        for (cJSON *d = devices->child; d; d = d->next) {
                _cleanup_free_ char *copy = NULL;
                const char *src = NULL, *dst = NULL, *perms = NULL;
                if (cJSON_IsString(d)) {
                        if (!(copy = strdup(d->valuestring)))
                                return -ENOMEM;
                        src = copy;
                        char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                        if (c1) {
                                *c1 = '\0';
                                dst = c1 + 1;
                        }
                        if (c2) {
                                *c2 = '\0';
                                perms = c2 + 1;
                        }
                } else {
                        src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "source"));
                        dst = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "target"));
                        perms = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "permissions"));
                }
                if (!src || src[0] != '/' || (dst && *dst && dst[0] != '/') ||
                    (perms && (!*perms || strspn(perms, "rwm") != strlen(perms))))
                        return error_set(err, -EINVAL, NULL, 0, 0, svcpath,
                                         "invalid device \"%s\": want /host/path[:/container/path[:rwm]]",
                                         cJSON_IsString(d) ? d->valuestring : "(mapping)");
                cJSON *e = cJSON_CreateObject();
                if (!e || !cJSON_AddItemToArray(out, e))
                        return -ENOMEM;
                cJSON_AddStringToObject(e, "PathOnHost", src);
                cJSON_AddStringToObject(e, "PathInContainer", dst && *dst ? dst : src);
                cJSON_AddStringToObject(e, "CgroupPermissions", perms ? perms : "rwm");
        }
        return 0;
}

static int build_restart(cJSON *host, const cJSON *svc)
{
        const char *restart = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "restart"));
        cJSON *policy = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, "deploy"),
                                                         "restart_policy");
        cJSON *rp = cJSON_AddObjectToObject(host, "RestartPolicy");
        char name[32] = "no";
        long retries = 0;

        if (!rp)
                return -ENOMEM;
        if (restart) {
                const char *colon = strchr(restart, ':');
                snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - restart) : (int)strlen(restart),
                         restart);
                if (colon)
                        retries = strtol(colon + 1, NULL, 10);
        } else if (policy) {
                const char *cond =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(policy, "condition"));
                snprintf(name, sizeof(name), "%s",
                         !cond || strcmp(cond, "any") == 0 ? "always"
                         : strcmp(cond, "none") == 0       ? "no"
                                                           : cond);
                cJSON *max = cJSON_GetObjectItemCaseSensitive(policy, "max_attempts");
                if (cJSON_IsNumber(max))
                        retries = (long)max->valuedouble;
        }
        cJSON_AddStringToObject(rp, "Name", name);
        if (strcmp(name, "on-failure") == 0)
                cJSON_AddNumberToObject(rp, "MaximumRetryCount", (double)retries);
        return 0;
}

static cJSON *endpoint_config(const cJSON *netcfg, const char *service, const char *cname)
{
        cJSON *ep = cJSON_CreateObject();
        cJSON *aliases = cJSON_AddArrayToObject(ep, "Aliases");
        if (!ep || !aliases) {
                cJSON_Delete(ep);
                return NULL;
        }
        json_append(aliases, cJSON_CreateString(service));
        for (cJSON *a = cJSON_GetObjectItemCaseSensitive(netcfg, "aliases")
                                ? cJSON_GetObjectItemCaseSensitive(netcfg, "aliases")->child
                                : NULL;
             a; a = a->next)
                if (cJSON_IsString(a))
                        json_append(aliases, cJSON_CreateString(a->valuestring));
        const char *v4 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(netcfg, "ipv4_address"));
        const char *v6 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(netcfg, "ipv6_address"));
        if (v4 || v6) {
                cJSON *ipam = cJSON_AddObjectToObject(ep, "IPAMConfig");
                if (v4)
                        cJSON_AddStringToObject(ipam, "IPv4Address", v4);
                if (v6)
                        cJSON_AddStringToObject(ipam, "IPv6Address", v6);
        }
        (void)cname;
        return ep;
}

static int build_networks(const Project *p, cJSON *body, cJSON *host, const cJSON *svc, const char *service,
                          const char *cname, cJSON *extra)
{
        const char *mode = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "network_mode"));
        cJSON *nets = cJSON_GetObjectItemCaseSensitive(svc, "networks");
        if (mode) {
                /* "service:x" means x's first container, as compose does. */
                if (strncmp(mode, "service:", 8) == 0) {
                        _cleanup_free_ char *other = container_name(p, mode + 8, 1);
                        StrBuf sb = STRBUF_INIT;
                        strbuf_addf(&sb, "container:%s", other ? other : "");
                        cJSON_AddStringToObject(host, "NetworkMode", strbuf_str(&sb));
                        strbuf_done(&sb);
                } else
                        cJSON_AddStringToObject(host, "NetworkMode", mode);
                return 0;
        }
        bool first = true;
        /* Sorted keys make the first network deterministic; compose uses priority, then name. */
        for (cJSON *n = nets ? nets->child : NULL; n; n = n->next) {
                const char *full = container_network_name(p, n->string);
                if (!full)
                        continue;
                cJSON *ep = endpoint_config(n, service, cname);
                if (!ep)
                        return -ENOMEM;
                if (first) {
                        cJSON_AddStringToObject(host, "NetworkMode", full);
                        cJSON *eps = cJSON_AddObjectToObject(
                                cJSON_AddObjectToObject(body, "NetworkingConfig"), "EndpointsConfig");
                        cJSON_AddItemToObject(eps, full, ep);
                        first = false;
                } else {
                        cJSON *e = cJSON_CreateObject();
                        cJSON_AddStringToObject(e, "Name", full);
                        cJSON_AddItemToObject(e, "EndpointConfig", ep);
                        cJSON_AddItemToArray(extra, e);
                }
        }
        return 0;
}

static int build_labels(const Project *p, cJSON *body, const cJSON *svc, const char *service,
                        unsigned number, const char *hash, const DeployIdentity *id)
{
        cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
        char num[16];
        if (!labels)
                return -ENOMEM;
        for (cJSON *l = cJSON_GetObjectItemCaseSensitive(svc, "labels")
                                ? cJSON_GetObjectItemCaseSensitive(svc, "labels")->child
                                : NULL;
             l; l = l->next)
                cJSON_AddStringToObject(labels, l->string, cJSON_IsString(l) ? l->valuestring : "");
        snprintf(num, sizeof(num), "%u", number);
        cJSON_AddStringToObject(labels, LABEL_PROJECT, p->name);
        cJSON_AddStringToObject(labels, LABEL_SERVICE, service);
        cJSON_AddStringToObject(labels, LABEL_NUMBER, num);
        cJSON_AddStringToObject(labels, LABEL_ONEOFF, "False");
        cJSON_AddStringToObject(labels, LABEL_CONFIG_HASH, hash);
        cJSON_AddStringToObject(labels, "com.docker.compose.project.working_dir", p->dir);
        _cleanup_strbuf_ StrBuf files = STRBUF_INIT, deps = STRBUF_INIT;
        for (char **f = p->files; f && *f; f++)
                strbuf_addf(&files, "%s%s", files.len ? "," : "", *f);
        cJSON_AddStringToObject(labels, "com.docker.compose.project.config_files", strbuf_str(&files));
        cJSON *dep = cJSON_GetObjectItemCaseSensitive(svc, "depends_on");
        for (cJSON *d = dep ? dep->child : NULL; d; d = d->next) {
                const char *cond = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "condition"));
                strbuf_addf(&deps, "%s%s:%s:%s", deps.len ? "," : "", d->string,
                            cond ? cond : "service_started",
                            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "restart")) ? "true" : "false");
        }
        cJSON_AddStringToObject(labels, LABEL_DEPENDS_ON, strbuf_str(&deps));
        cJSON_AddStringToObject(labels, LABEL_MANAGED, "true");
        cJSON_AddStringToObject(labels, LABEL_REPO, id && id->repo ? id->repo : "local");
        cJSON_AddStringToObject(labels, LABEL_STACK, p->name);
        if (id && id->commit)
                cJSON_AddStringToObject(labels, LABEL_COMMIT, id->commit);
        if (id && id->refs)
                cJSON_AddStringToObject(labels, LABEL_REFS, id->refs);
        if (id && id->containers) {
                snprintf(num, sizeof(num), "%u", id->containers);
                cJSON_AddStringToObject(labels, LABEL_CONTAINERS, num);
        }
        cJSON_AddStringToObject(labels, LABEL_CONTENT_HASH, hash);
        return 0;
}

/* What the process runs with: its environment, user, directories, terminal and how it is stopped. */
static int build_process(cJSON *body, const cJSON *svc, const char *svcpath, BerthError *err)
{
        cJSON *env = cJSON_AddArrayToObject(body, "Env");
        int r;
        for (cJSON *e = cJSON_GetObjectItemCaseSensitive(svc, "environment")
                                ? cJSON_GetObjectItemCaseSensitive(svc, "environment")->child
                                : NULL;
             e; e = e->next) {
                /* A variable without a value stays unset, as compose does. */
                if (!cJSON_IsString(e))
                        continue;
                _cleanup_strbuf_ StrBuf kv = STRBUF_INIT;
                strbuf_addf(&kv, "%s=%s", e->string, e->valuestring);
                if ((r = spec_append(env, &kv)) < 0)
                        return r;
        }
        static const char *const strings[][2] = { { "user", "User" },
                                                  { "working_dir", "WorkingDir" },
                                                  { "hostname", "Hostname" },
                                                  { "domainname", "Domainname" },
                                                  { "stop_signal", "StopSignal" },
                                                  { "mac_address", "MacAddress" } };
        spec_copy_strings(body, svc, strings, ELEMENTSOF(strings));
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(svc, "tty")))
                cJSON_AddTrueToObject(body, "Tty");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(svc, "stdin_open")))
                cJSON_AddTrueToObject(body, "OpenStdin");
        cJSON *grace = cJSON_GetObjectItemCaseSensitive(svc, "stop_grace_period");
        if (cJSON_IsString(grace)) {
                int64_t ns;
                if (units_parse_duration(grace->valuestring, &ns) < 0)
                        return error_set(err, -EINVAL, NULL, 0, 0, svcpath,
                                         "invalid stop_grace_period \"%s\"", grace->valuestring);
                /* The engine takes whole seconds; round up so a grace period is never cut short. */
                cJSON_AddNumberToObject(body, "StopTimeout", (double)((ns + 999999999) / 1000000000));
        }
        return 0;
}

/* The HostConfig fields the model names one to one: capabilities, DNS, security options, flags,
 * namespaces, extra hosts, sysctls, ulimits, logging and the OOM score. */
static int build_host_options(cJSON *host, const cJSON *svc)
{
        int r;
        static const char *const lists[][2] = { { "cap_add", "CapAdd" },
                                                { "cap_drop", "CapDrop" },
                                                { "dns", "Dns" },
                                                { "dns_search", "DnsSearch" },
                                                { "dns_opt", "DnsOptions" },
                                                { "security_opt", "SecurityOpt" },
                                                { "group_add", "GroupAdd" } };
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                if ((r = spec_string_list(host, lists[i][1],
                                          cJSON_GetObjectItemCaseSensitive(svc, lists[i][0]))) < 0)
                        return r;
        static const char *const flags[][2] = { { "init", "Init" },
                                                { "read_only", "ReadonlyRootfs" },
                                                { "privileged", "Privileged" },
                                                { "oom_kill_disable", "OomKillDisable" } };
        for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
                cJSON *f = cJSON_GetObjectItemCaseSensitive(svc, flags[i][0]);
                if (cJSON_IsBool(f))
                        cJSON_AddBoolToObject(host, flags[i][1], cJSON_IsTrue(f));
        }
        static const char *const modes[][2] = { { "ipc", "IpcMode" },
                                                { "pid", "PidMode" },
                                                { "userns_mode", "UsernsMode" } };
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, modes[i][0]));
                if (v)
                        cJSON_AddStringToObject(host, modes[i][1], v);
        }
        cJSON *hosts = cJSON_GetObjectItemCaseSensitive(svc, "extra_hosts");
        if (hosts) {
                cJSON *eh = cJSON_AddArrayToObject(host, "ExtraHosts");
                for (cJSON *h = hosts->child; h; h = h->next) {
                        _cleanup_strbuf_ StrBuf sb = STRBUF_INIT;
                        if (cJSON_IsString(h))
                                strbuf_addf(&sb, "%s:%s", h->string ? h->string : h->valuestring,
                                            h->string ? h->valuestring : "");
                        if ((r = spec_append(eh, &sb)) < 0)
                                return r;
                }
        }
        cJSON *sysctls = cJSON_GetObjectItemCaseSensitive(svc, "sysctls");
        if (cJSON_IsObject(sysctls))
                json_set(host, "Sysctls", cJSON_Duplicate(sysctls, 1));
        cJSON *ulimits = cJSON_GetObjectItemCaseSensitive(svc, "ulimits");
        if (cJSON_IsObject(ulimits)) {
                cJSON *ul = cJSON_AddArrayToObject(host, "Ulimits");
                for (cJSON *u = ulimits->child; u; u = u->next) {
                        cJSON *e = cJSON_CreateObject();
                        double soft =
                                cJSON_IsNumber(u)
                                        ? u->valuedouble
                                        : cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(u, "soft"));
                        double hard =
                                cJSON_IsNumber(u)
                                        ? u->valuedouble
                                        : cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(u, "hard"));
                        cJSON_AddStringToObject(e, "Name", u->string);
                        cJSON_AddNumberToObject(e, "Soft", soft);
                        cJSON_AddNumberToObject(e, "Hard", hard);
                        cJSON_AddItemToArray(ul, e);
                }
        }
        cJSON *logging = cJSON_GetObjectItemCaseSensitive(svc, "logging");
        if (cJSON_IsObject(logging)) {
                cJSON *lc = cJSON_AddObjectToObject(host, "LogConfig");
                const char *driver =
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(logging, "driver"));
                cJSON_AddStringToObject(lc, "Type", driver ? driver : "json-file");
                cJSON *opts = cJSON_GetObjectItemCaseSensitive(logging, "options");
                json_set(lc, "Config", opts ? cJSON_Duplicate(opts, 1) : cJSON_CreateObject());
        }
        cJSON *oom = cJSON_GetObjectItemCaseSensitive(svc, "oom_score_adj");
        if (cJSON_IsNumber(oom))
                cJSON_AddNumberToObject(host, "OomScoreAdj", oom->valuedouble);

        return 0;
}

int container_spec_build(const Project *p, const char *service, unsigned number, const char *hash,
                         const char *run_image, const char *digest, const DeployIdentity *id,
                         ContainerSpec *ret, BerthError *err)
{
        const cJSON *svc = service_of(p, service);
        _cleanup_cjson_ cJSON *body = cJSON_CreateObject();
        _cleanup_cjson_ cJSON *extra = cJSON_CreateArray();
        _cleanup_free_ char *name = container_name(p, service, number);
        char svcpath[256];
        int r;

        if (!svc)
                return error_set(err, -ENOENT, NULL, 0, 0, NULL, "no service \"%s\"", service);
        if (!body || !extra || !name)
                return -ENOMEM;
        snprintf(svcpath, sizeof(svcpath), "services.%s", service);
        cJSON *host = cJSON_AddObjectToObject(body, "HostConfig");
        if (!host)
                return -ENOMEM;

        const char *image = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "image"));
        if (!image)
                return error_set(err, -EINVAL, NULL, 0, 0, svcpath, "service \"%s\" has no image to run",
                                 service);
        cJSON_AddStringToObject(body, "Image", run_image ? run_image : image);
        if ((r = spec_string_list(body, "Cmd", cJSON_GetObjectItemCaseSensitive(svc, "command"))) < 0 ||
            (r = spec_string_list(body, "Entrypoint", cJSON_GetObjectItemCaseSensitive(svc, "entrypoint"))) <
                    0)
                return r;

        if ((r = build_process(body, svc, svcpath, err)) < 0 ||
            (r = spec_healthcheck(body, cJSON_GetObjectItemCaseSensitive(svc, "healthcheck"), svcpath,
                                  err)) < 0 ||
            (r = build_ports(body, host, svc)) < 0 ||
            (r = build_mounts(p, id, host, svc, svcpath, err)) < 0 ||
            (r = build_resources(host, svc, svcpath, err)) < 0 || (r = build_restart(host, svc)) < 0 ||
            (r = build_devices(host, svc, svcpath, err)) < 0 ||
            (r = build_networks(p, body, host, svc, service, name, extra)) < 0 ||
            (r = build_labels(p, body, svc, service, number, hash, id)) < 0)
                return r;
        if (digest)
                cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(body, "Labels"), LABEL_IMAGE_DIGEST,
                                        digest);

        if ((r = build_host_options(host, svc)) < 0)
                return r;
        const char *platform = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(svc, "platform"));
        if (platform && !(ret->platform = strdup(platform)))
                return -ENOMEM;
        ret->name = TAKE_PTR(name);
        ret->body = TAKE_PTR(body);
        ret->networks = TAKE_PTR(extra);
        return 0;
}
