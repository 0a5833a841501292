/* policy.c: the policy file, and the check of a compose project's canonical model against it. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../yaml/yaml.h"
#include "../util/fileio.h"
#include "policy.h"

#define POLICY_FILE_MAX ((size_t)1024 * 1024)

enum {
        R_PRIVILEGED,
        R_HOST_NETWORK,
        R_HOST_PID,
        R_HOST_IPC,
        R_HOST_USERNS,
        R_HOST_UTS,
        R_HOST_CGROUP,
        R_JOIN_CONTAINERS,
        R_DEVICES,
        R_UNCONFINED,
        R_N_FLAGS,
};

/* The file's keys; a yes/no rule's index is its flag. */
static const char *const flag_names[R_N_FLAGS] = {
        [R_PRIVILEGED] = "privileged",   [R_HOST_NETWORK] = "host_network",       [R_HOST_PID] = "host_pid",
        [R_HOST_IPC] = "host_ipc",       [R_HOST_USERNS] = "host_userns",         [R_HOST_UTS] = "host_uts",
        [R_HOST_CGROUP] = "host_cgroup", [R_JOIN_CONTAINERS] = "join_containers", [R_DEVICES] = "devices",
        [R_UNCONFINED] = "unconfined",
};

struct Policy {
        bool allow[R_N_FLAGS];
        bool low_ports_all;
        int *low_ports;
        size_t n_low_ports;
        char **cap_add; /* upper case, without "CAP_" */
        size_t n_cap_add;
        char **bind_paths; /* absolute, normalised */
        size_t n_bind_paths;
};

/* Paths that hand over the engine itself, or every stack's data: a bind of one of them, of anything
 * under one, or of a directory holding one is allowed only when the policy lists that exact path. */
static const char *const engine_paths[] = {
        "/run/docker.sock",    "/var/run/docker.sock", "/run/containerd",
        "/var/run/containerd", "/var/lib/docker",      "/var/lib/containerd",
};

Policy *policy_free(Policy *p)
{
        if (p) {
                free(p->low_ports);
                strv_free(p->cap_add);
                strv_free(p->bind_paths);
                free(p);
        }
        return NULL;
}

int policy_default(Policy **ret)
{
        return (*ret = calloc(1, sizeof(Policy))) ? 0 : -ENOMEM;
}

static void cap_normalise(const char *in, char *out, size_t size)
{
        if (strncasecmp(in, "CAP_", 4) == 0)
                in += 4;
        size_t i = 0;
        for (; in[i] && i + 1 < size; i++)
                out[i] = (char)toupper((unsigned char)in[i]);
        out[i] = '\0';
}

#define fail_at(err, map, node, file, ...) srcmap_fail(err, map, node, file, __VA_ARGS__)

static int parse_list(const cJSON *v, const SrcMap *map, const char *file, Policy *p, BerthError *err)
{
        bool caps = strcmp(v->string, "cap_add") == 0;
        size_t n = (size_t)cJSON_GetArraySize(v);
        char **list = calloc(n + 1, sizeof(char *));
        if (!list)
                return -ENOMEM;
        if (caps)
                p->cap_add = list;
        else
                p->bind_paths = list;
        size_t *count = caps ? &p->n_cap_add : &p->n_bind_paths;
        for (const cJSON *e = v->child; e; e = e->next) {
                if (!cJSON_IsString(e) || !e->valuestring[0])
                        return fail_at(err, map, e, file, v->string, "must be a list of %s",
                                       caps ? "capability names" : "absolute paths");
                char buf[64];
                if (caps) {
                        cap_normalise(e->valuestring, buf, sizeof(buf));
                        list[*count] = strdup(buf);
                } else {
                        if (e->valuestring[0] != '/')
                                return fail_at(err, map, e, file, v->string,
                                               "\"%s\" is not an absolute path", e->valuestring);
                        list[*count] = path_absolute("/", e->valuestring);
                }
                if (!list[(*count)++])
                        return -ENOMEM;
        }
        return 0;
}

static int parse_low_ports(const cJSON *v, const SrcMap *map, const char *file, Policy *p, BerthError *err)
{
        if (cJSON_IsBool(v)) {
                p->low_ports_all = cJSON_IsTrue(v);
                return 0;
        }
        if (!cJSON_IsArray(v))
                return fail_at(err, map, v, file, "low_ports",
                               "must be true, false or a list of ports from 1 to 1023");
        if (!(p->low_ports = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(int))))
                return -ENOMEM;
        for (const cJSON *e = v->child; e; e = e->next) {
                if (!cJSON_IsNumber(e) || e->valuedouble < 1 || e->valuedouble > 1023 ||
                    e->valuedouble != (double)(int)e->valuedouble)
                        return fail_at(err, map, e, file, "low_ports", "must be a port from 1 to 1023");
                p->low_ports[p->n_low_ports++] = (int)e->valuedouble;
        }
        return 0;
}

int policy_parse(const char *text, size_t len, const char *file, Policy **ret, BerthError *err)
{
        _cleanup_cjson_ cJSON *doc = NULL;
        _cleanup_srcmap_ SrcMap *map = srcmap_new();
        _cleanup_policy_ Policy *p = NULL;
        int r = policy_default(&p);
        if (r < 0 || !map)
                return -ENOMEM;
        if ((r = yaml_load(text, len, file, NULL, map, &doc, err)) < 0)
                return r;
        if (cJSON_IsNull(doc)) {
                *ret = TAKE_PTR(p);
                return 0;
        }
        if (!cJSON_IsObject(doc))
                return fail_at(err, map, doc, file, NULL, "must be a mapping of rules");
        for (const cJSON *v = doc->child; v; v = v->next) {
                size_t i = 0;
                while (i < R_N_FLAGS && strcmp(flag_names[i], v->string) != 0)
                        i++;
                if (i < R_N_FLAGS) {
                        if (!cJSON_IsBool(v))
                                return fail_at(err, map, v, file, v->string, "must be true or false");
                        p->allow[i] = cJSON_IsTrue(v);
                } else if (strcmp(v->string, "low_ports") == 0) {
                        if ((r = parse_low_ports(v, map, file, p, err)) < 0)
                                return r;
                } else if (strcmp(v->string, "cap_add") == 0 || strcmp(v->string, "bind_paths") == 0) {
                        if (!cJSON_IsArray(v))
                                return fail_at(err, map, v, file, v->string, "must be a list");
                        if ((r = parse_list(v, map, file, p, err)) < 0)
                                return r;
                } else
                        return fail_at(err, map, SRCMAP_KEY(v), file, v->string,
                                       "unknown rule \"%s\" (rules: privileged, host_network, host_pid, "
                                       "host_ipc, host_userns, host_uts, host_cgroup, join_containers, "
                                       "devices, unconfined, cap_add, low_ports, bind_paths)",
                                       v->string);
        }
        *ret = TAKE_PTR(p);
        return 0;
}

int policy_load(const char *path, Policy **ret, BerthError *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = file_read(path, POLICY_FILE_MAX, &text, &len, err);
        return r < 0 ? r : policy_parse(text, len, path, ret, err);
}

void policy_violations_done(PolicyViolations *v)
{
        free(v->items);
        *v = (PolicyViolations){ 0 };
}

/* ---- the check ---- */

typedef struct Check {
        const Policy *pol;
        const Project *p;
        const char *stack_dir;
        PolicyViolations *out;
        int oom;
} Check;

static void refuse(Check *c, const char *service, const cJSON *node, const char *rule, const char *fmt, ...)
        _printf_(5, 6);

/* Records a refusal; KEY() then says where in the service it is. */
static void refuse(Check *c, const char *service, const cJSON *node, const char *rule, const char *fmt, ...)
{
        PolicyViolation *v = realloc(c->out->items, (c->out->n + 1) * sizeof(PolicyViolation));
        if (!v) {
                c->oom = -ENOMEM;
                return;
        }
        c->out->items = v;
        v = &v[c->out->n++];
        *v = (PolicyViolation){ 0 };
        snprintf(v->service, sizeof(v->service), "%s", service ? service : "");
        snprintf(v->rule, sizeof(v->rule), "%s", rule);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->message, sizeof(v->message), fmt, ap);
        va_end(ap);
        /* Where it is, relative to the source's root, as the repo names the file. */
        const SrcPos *pos = node ? srcmap_get(c->p->src, node) : NULL;
        if (pos && pos->file) {
                const char *f = pos->file;
                size_t rl = c->p->root ? strlen(c->p->root) : 0;
                if (rl && strncmp(f, c->p->root, rl) == 0 && f[rl] == '/')
                        f += rl + 1;
                snprintf(v->where, sizeof(v->where), "%s:%u:%u", f, pos->line, pos->col);
        }
}

#define KEY(c, ...)                                                                                         \
        snprintf((c)->out->items[(c)->out->n - 1].key, sizeof((c)->out->items[0].key), __VA_ARGS__)

static bool path_under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        if (strcmp(dir, "/") == 0)
                return path[0] == '/';
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool listed_exactly(const Policy *pol, const char *path)
{
        for (size_t i = 0; i < pol->n_bind_paths; i++)
                if (strcmp(pol->bind_paths[i], path) == 0)
                        return true;
        return false;
}

/* Why a host path may not be mounted or read, or NULL when it may. */
static const char *host_path_refusal(const Check *c, const char *raw)
{
        _cleanup_free_ char *path = path_absolute("/", raw);
        if (!path)
                return "cannot be checked";
        for (size_t i = 0; i < ELEMENTSOF(engine_paths); i++)
                if (path_under(path, engine_paths[i]) || path_under(engine_paths[i], path))
                        return listed_exactly(c->pol, path)
                                       ? NULL
                                       : "reaches the Docker engine or its data: list this exact path in "
                                         "bind_paths to allow it";
        if (c->stack_dir && path_under(path, c->stack_dir) && strcmp(path, "/") != 0)
                return NULL;
        for (size_t i = 0; i < c->pol->n_bind_paths; i++)
                if (path_under(path, c->pol->bind_paths[i]))
                        return NULL;
        return "is outside the stack's directory and the policy's bind_paths";
}

static bool is_host(const cJSON *v)
{
        return cJSON_IsString(v) && strcmp(v->valuestring, "host") == 0;
}

static bool is_container(const cJSON *v)
{
        return cJSON_IsString(v) && strncmp(v->valuestring, "container:", 10) == 0;
}

static void check_namespaces(Check *c, const char *svc, const cJSON *s)
{
        static const struct {
                const char *key;
                unsigned rule;
                const char *what;
        } ns[] = {
                { "network_mode", R_HOST_NETWORK, "network" },
                { "pid", R_HOST_PID, "process" },
                { "ipc", R_HOST_IPC, "IPC" },
                { "userns_mode", R_HOST_USERNS, "user" },
                { "uts", R_HOST_UTS, "UTS" },
                { "cgroup", R_HOST_CGROUP, "cgroup" },
        };
        for (size_t i = 0; i < ELEMENTSOF(ns); i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, ns[i].key);
                if (is_host(v) && !c->pol->allow[ns[i].rule]) {
                        refuse(c, svc, v, flag_names[ns[i].rule], "%s: host shares the host's %s namespace",
                               ns[i].key, ns[i].what);
                        KEY(c, "%s", ns[i].key);
                } else if (is_container(v) && !c->pol->allow[R_JOIN_CONTAINERS]) {
                        refuse(c, svc, v, "join_containers", "%s: %s joins a container outside the stack",
                               ns[i].key, v->valuestring);
                        KEY(c, "%s", ns[i].key);
                }
        }
        const cJSON *vf = cJSON_GetObjectItemCaseSensitive(s, "volumes_from");
        int i = 0;
        for (const cJSON *e = vf ? vf->child : NULL; e; e = e->next, i++)
                if (is_container(e) && !c->pol->allow[R_JOIN_CONTAINERS]) {
                        refuse(c, svc, e, "join_containers",
                               "volumes_from: %s mounts the volumes of a container outside the stack",
                               e->valuestring);
                        KEY(c, "volumes_from[%d]", i);
                }
}

static bool cap_allowed(const Policy *pol, const char *cap)
{
        char want[64];
        cap_normalise(cap, want, sizeof(want));
        for (size_t i = 0; i < pol->n_cap_add; i++)
                if (strcmp(pol->cap_add[i], want) == 0 || strcmp(pol->cap_add[i], "ALL") == 0)
                        return true;
        return false;
}

/* Confinement off: no seccomp filter or a custom one, no AppArmor, no SELinux labels, /proc and /sys
 * unmasked. */
static bool unconfining(const char *opt)
{
        static const char *const prefixes[] = { "seccomp", "apparmor", "label", "systempaths" };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                size_t n = strlen(prefixes[i]);
                if (strncmp(opt, prefixes[i], n) != 0 || (opt[n] != '=' && opt[n] != ':'))
                        continue;
                const char *val = opt + n + 1;
                if (i == 0)
                        return strcmp(val, "builtin") != 0 && strcmp(val, "default") != 0;
                if (i == 2)
                        return strcmp(val, "disable") == 0 || strncmp(val, "type:", 5) == 0;
                return strcmp(val, "unconfined") == 0;
        }
        return false;
}

static bool low_port_allowed(const Policy *pol, long port)
{
        if (pol->low_ports_all)
                return true;
        for (size_t i = 0; i < pol->n_low_ports; i++)
                if (pol->low_ports[i] == port)
                        return true;
        return false;
}

static void check_ports(Check *c, const char *svc, const cJSON *s)
{
        const cJSON *ports = cJSON_GetObjectItemCaseSensitive(s, "ports");
        int i = 0;
        for (const cJSON *e = ports ? ports->child : NULL; e; e = e->next, i++) {
                const cJSON *pub = cJSON_GetObjectItemCaseSensitive(e, "published");
                const char *txt = cJSON_IsString(pub) ? pub->valuestring : NULL;
                char *end = NULL;
                long lo = txt ? strtol(txt, &end, 10) : 0, hi = lo;
                if (end && *end == '-')
                        hi = strtol(end + 1, NULL, 10);
                for (long port = lo; port >= 1 && port <= hi && port < 1024; port++)
                        if (!low_port_allowed(c->pol, port)) {
                                refuse(c, svc, pub, "low_ports",
                                       "ports: host port %ld is below 1024, reserved for the host's own "
                                       "services",
                                       port);
                                KEY(c, "ports[%d].published", i);
                                break;
                        }
        }
}

/* Refuses a host path (at node, or the string node itself) the policy does not allow; true when it did,
 * for the caller's KEY(). */
static bool check_host_path_at(Check *c, const char *svc, const cJSON *node, const char *path,
                               const char *what)
{
        const char *why = host_path_refusal(c, path);
        if (why)
                refuse(c, svc, node, "bind_paths", "%s %s %s", what, path, why);
        return why != NULL;
}

static bool check_host_path(Check *c, const char *svc, const cJSON *node, const char *what)
{
        return check_host_path_at(c, svc, node, node->valuestring, what);
}

static void check_mounts(Check *c, const char *svc, const cJSON *s)
{
        const cJSON *vols = cJSON_GetObjectItemCaseSensitive(s, "volumes");
        int i = 0;
        for (const cJSON *e = vols ? vols->child : NULL; e; e = e->next, i++) {
                const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
                const cJSON *src = cJSON_GetObjectItemCaseSensitive(e, "source");
                if (!type || (strcmp(type, "bind") != 0 && strcmp(type, "npipe") != 0) ||
                    !cJSON_IsString(src))
                        continue;
                if (check_host_path(c, svc, src, "volumes: the bind mount of"))
                        KEY(c, "volumes[%d].source", i);
        }
        static const char *const device_keys[] = { "devices", "device_cgroup_rules", "gpus" };
        for (size_t k = 0; k < ELEMENTSOF(device_keys) && !c->pol->allow[R_DEVICES]; k++) {
                const cJSON *d = cJSON_GetObjectItemCaseSensitive(s, device_keys[k]);
                if (d && (!cJSON_IsArray(d) || cJSON_GetArraySize(d) > 0)) {
                        refuse(c, svc, d, "devices", "%s: gives the container host devices", device_keys[k]);
                        KEY(c, "%s", device_keys[k]);
                }
        }
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "deploy"), "resources"),
                "reservations");
        const cJSON *rd = cJSON_GetObjectItemCaseSensitive(res, "devices");
        if (rd && cJSON_GetArraySize(rd) > 0 && !c->pol->allow[R_DEVICES]) {
                refuse(c, svc, rd, "devices",
                       "deploy.resources.reservations.devices: gives the container host devices");
                KEY(c, "deploy.resources.reservations.devices");
        }
}

static void check_build(Check *c, const char *svc, const cJSON *s)
{
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(s, "build");
        if (!cJSON_IsObject(b))
                return;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, "network");
        if (is_host(v) && !c->pol->allow[R_HOST_NETWORK]) {
                refuse(c, svc, v, "host_network",
                       "build.network: host builds in the host's network namespace");
                KEY(c, "build.network");
        }
        v = cJSON_GetObjectItemCaseSensitive(b, "privileged");
        if (cJSON_IsTrue(v) && !c->pol->allow[R_PRIVILEGED]) {
                refuse(c, svc, v, "privileged",
                       "build.privileged: true builds with the "
                       "host's devices and capabilities");
                KEY(c, "build.privileged");
        }
        v = cJSON_GetObjectItemCaseSensitive(b, "entitlements");
        for (const cJSON *e = v ? v->child : NULL; e; e = e->next) {
                bool insecure = cJSON_IsString(e) && strcmp(e->valuestring, "security.insecure") == 0;
                bool hostnet = cJSON_IsString(e) && strcmp(e->valuestring, "network.host") == 0;
                if ((insecure && !c->pol->allow[R_PRIVILEGED]) ||
                    (hostnet && !c->pol->allow[R_HOST_NETWORK])) {
                        refuse(c, svc, e, insecure ? "privileged" : "host_network",
                               "build.entitlements: %s lifts the build's confinement", e->valuestring);
                        KEY(c, "build.entitlements");
                }
        }
        /* A build context on the host is read into the image: the same as a bind mount of it. */
        v = cJSON_GetObjectItemCaseSensitive(b, "context");
        if (cJSON_IsString(v) && v->valuestring[0] == '/') {
                if (check_host_path(c, svc, v, "build.context: the directory"))
                        KEY(c, "build.context");
        }
        v = cJSON_GetObjectItemCaseSensitive(b, "additional_contexts");
        for (const cJSON *e = v ? v->child : NULL; e; e = e->next)
                if (cJSON_IsString(e) && e->valuestring[0] == '/') {
                        if (check_host_path(c, svc, e, "build.additional_contexts: the directory"))
                                KEY(c, "build.additional_contexts.%s", e->string);
                }
}

static void check_service(Check *c, const char *svc, const cJSON *s)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "privileged");
        if (cJSON_IsTrue(v) && !c->pol->allow[R_PRIVILEGED]) {
                refuse(c, svc, v, "privileged",
                       "privileged: true gives the container the host's devices and capabilities");
                KEY(c, "privileged");
        }
        check_namespaces(c, svc, s);
        v = cJSON_GetObjectItemCaseSensitive(s, "cap_add");
        int i = 0;
        for (const cJSON *e = v ? v->child : NULL; e; e = e->next, i++)
                if (cJSON_IsString(e) && !cap_allowed(c->pol, e->valuestring)) {
                        refuse(c, svc, e, "cap_add", "cap_add: %s is not among the allowed capabilities",
                               e->valuestring);
                        KEY(c, "cap_add[%d]", i);
                }
        v = cJSON_GetObjectItemCaseSensitive(s, "security_opt");
        i = 0;
        for (const cJSON *e = v ? v->child : NULL; e; e = e->next, i++)
                if (cJSON_IsString(e) && unconfining(e->valuestring) && !c->pol->allow[R_UNCONFINED]) {
                        refuse(c, svc, e, "unconfined",
                               "security_opt: %s switches the container's confinement off", e->valuestring);
                        KEY(c, "security_opt[%d]", i);
                }
        check_ports(c, svc, s);
        check_mounts(c, svc, s);
        check_build(c, svc, s);
}

/* The host paths an overlay volume's options name (lowerdir=a:b, upperdir=, workdir=), checked as binds. */
static bool check_overlay_dirs(Check *c, const char *vol, const cJSON *node)
{
        const char *o = node->valuestring;
        static const char *const keys[] = { "lowerdir=", "upperdir=", "workdir=" };
        bool refused = false;
        for (const char *opt = o; opt && *opt;) {
                const char *end = strchrnul(opt, ',');
                for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                        size_t kl = strlen(keys[k]);
                        if ((size_t)(end - opt) <= kl || strncmp(opt, keys[k], kl) != 0)
                                continue;
                        for (const char *d = opt + kl; d < end;) {
                                const char *de = memchr(d, ':', (size_t)(end - d));
                                if (!de)
                                        de = end;
                                _cleanup_free_ char *dir = strndup(d, (size_t)(de - d));
                                if (!dir) {
                                        c->oom = -ENOMEM;
                                        return refused;
                                }
                                if (check_host_path_at(c, NULL, node, dir,
                                                       "volumes: the overlay directory")) {
                                        KEY(c, "volumes.%s.driver_opts.o", vol);
                                        refused = true;
                                }
                                d = de < end ? de + 1 : end;
                        }
                }
                opt = *end ? end + 1 : end;
        }
        return refused;
}

/* Top level: a volume that mounts host storage. The local driver's device is mounted by the host's
 * kernel: a bind ("o: bind"), a block device (/dev/sda1 with type ext4), a network share (nfs, cifs):
 * each is a host path as a bind mount's source is. An overlay's directories are host paths too. */
static void check_top(Check *c, const cJSON *model)
{
        const cJSON *vols = cJSON_GetObjectItemCaseSensitive(model, "volumes");
        for (const cJSON *v = vols ? vols->child : NULL; v; v = v->next) {
                const cJSON *opts = cJSON_GetObjectItemCaseSensitive(v, "driver_opts");
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(opts, "o");
                const cJSON *dev = cJSON_GetObjectItemCaseSensitive(opts, "device");
                const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(opts, "type"));
                /* An overlay's device is a mere name; its directories are in o. */
                if (type && strcmp(type, "overlay") == 0)
                        dev = NULL;
                if (dev && !cJSON_IsString(dev)) {
                        refuse(c, NULL, dev, "bind_paths",
                               "volumes: %s: driver_opts.device must be a string", v->string);
                        KEY(c, "volumes.%s.driver_opts.device", v->string);
                } else if (dev && check_host_path(c, NULL, dev, "volumes: the device of"))
                        KEY(c, "volumes.%s.driver_opts.device", v->string);
                if (cJSON_IsString(o))
                        check_overlay_dirs(c, v->string, o);
        }
        const cJSON *nets = cJSON_GetObjectItemCaseSensitive(model, "networks");
        for (const cJSON *n = nets ? nets->child : NULL; n; n = n->next) {
                const cJSON *name = cJSON_GetObjectItemCaseSensitive(n, "name");
                if (is_host(name) && !c->pol->allow[R_HOST_NETWORK]) {
                        refuse(c, NULL, name, "host_network", "networks: %s is the host's network",
                               n->string);
                        KEY(c, "networks.%s.name", n->string);
                }
        }
}

int policy_check(const Policy *pol, const Project *p, const char *stack_dir, PolicyViolations *out)
{
        Check c = { .pol = pol, .p = p, .stack_dir = stack_dir, .out = out };
        const cJSON *services = cJSON_GetObjectItemCaseSensitive(p->model, "services");
        for (const cJSON *s = services ? services->child : NULL; s && !c.oom; s = s->next)
                check_service(&c, s->string, s);
        if (!c.oom)
                check_top(&c, p->model);
        return c.oom ? c.oom : (int)out->n;
}
