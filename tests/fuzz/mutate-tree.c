/* mutate-tree.c: a structure-aware libFuzzer mutator for compose files. Byte mutation of a YAML file
 * mostly makes text that does not parse, or keys the loader rejects at once; this one parses the input,
 * changes its tree the way compose files differ (keys of the compose schema, values of the shapes the
 * loader parses, subtrees moved, copied and dropped), and writes it back as YAML, so the loader's deep
 * paths (extends, depends_on, ports, volumes, deploy, healthchecks, interpolation) see valid-looking
 * files. Input that does not parse as a mapping falls back to libFuzzer's own byte mutation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/strbuf.h"
#include "yaml/emit.h"
#include "yaml/yaml.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define MAX_NODES 4000

static const char *const keys[] = {
        "services",
        "image",
        "build",
        "context",
        "dockerfile",
        "args",
        "command",
        "entrypoint",
        "environment",
        "env_file",
        "ports",
        "expose",
        "volumes",
        "networks",
        "aliases",
        "depends_on",
        "condition",
        "required",
        "healthcheck",
        "test",
        "interval",
        "timeout",
        "retries",
        "start_period",
        "disable",
        "deploy",
        "mode",
        "replicas",
        "resources",
        "limits",
        "reservations",
        "cpus",
        "memory",
        "restart_policy",
        "update_config",
        "rollback_config",
        "placement",
        "constraints",
        "labels",
        "configs",
        "secrets",
        "source",
        "target",
        "uid",
        "gid",
        "file",
        "content",
        "environment",
        "external",
        "name",
        "driver",
        "driver_opts",
        "extends",
        "service",
        "profiles",
        "restart",
        "user",
        "working_dir",
        "hostname",
        "dns",
        "extra_hosts",
        "cap_add",
        "cap_drop",
        "privileged",
        "read_only",
        "tmpfs",
        "ulimits",
        "nofile",
        "soft",
        "hard",
        "sysctls",
        "logging",
        "options",
        "stop_signal",
        "stop_grace_period",
        "init",
        "network_mode",
        "shm_size",
        "platform",
        "pull_policy",
        "scale",
        "links",
        "security_opt",
        "devices",
        "ipv4_address",
        "ipam",
        "config",
        "subnet",
        "attachable",
        "internal",
        "published",
        "protocol",
        "host_ip",
        "type",
        "bind",
        "create_host_path",
        "propagation",
        "volume",
        "nocopy",
        "x-common",
        "<<",
        "include",
        "version",
        "container_name",
        "mem_limit",
        "stdin_open",
        "tty",
        "post_start",
        "develop",
        "annotations",
};

static const char *const values[] = {
        "",
        "0",
        "1",
        "-1",
        "3",
        "65535",
        "65536",
        "99999",
        "1.5",
        "0.5",
        "1e3",
        "true",
        "false",
        "null",
        "~",
        "yes",
        "x",
        "web",
        "db",
        "${TAG}",
        "${TAG:-2}",
        "${NOPE:?must be set}",
        "${TAG:+set}",
        "$$HOME",
        "$",
        "${",
        "8080:80",
        "127.0.0.1:8080:80/udp",
        "[::1]:53:53/udp",
        "3000-3005",
        "3000-3005:4000-4005",
        "80/sctp",
        "./data:/data:ro",
        "data:/data",
        "/srv:/srv:rw,z",
        "../x:/x",
        "/abs",
        "~/home",
        "web.env",
        "site.conf",
        "service_healthy",
        "service_started",
        "service_completed_successfully",
        "host",
        "none",
        "bridge",
        "service:web",
        "container:x",
        "1g",
        "512m",
        "10s",
        "1m30s",
        "-5s",
        "CMD-SHELL",
        "NONE",
        "always",
        "unless-stopped",
        "on-failure:3",
        "no",
        "SIGKILL",
        "SIGTERM",
        "1000:1000",
        "root",
        "A=1",
        "B",
        "=C",
        "node.role==manager",
        "global",
        "replicated",
        "busybox:latest",
        ("registry.example.com:5000/a/b:1@sha256:"
         "0000000000000000000000000000000000000000000000000000000000000000"),
};

typedef struct Rng {
        uint64_t s;
} Rng;

static uint32_t next(Rng *r)
{
        r->s ^= r->s << 13;
        r->s ^= r->s >> 7;
        r->s ^= r->s << 17;
        return (uint32_t)(r->s >> 11);
}

static size_t pick(Rng *r, size_t n)
{
        return n ? next(r) % n : 0;
}

/* Every node of the tree, with its parent (NULL for the root). */
typedef struct Nodes {
        cJSON *node[MAX_NODES], *parent[MAX_NODES];
        size_t n;
} Nodes;

static void collect(Nodes *ns, cJSON *node, cJSON *parent)
{
        if (ns->n == MAX_NODES)
                return;
        ns->node[ns->n] = node;
        ns->parent[ns->n++] = parent;
        for (cJSON *c = node->child; c; c = c->next)
                collect(ns, c, node);
}

static cJSON *scalar(Rng *r)
{
        switch (pick(r, 8)) {
        case 0:
                return cJSON_CreateNumber((double)(int)pick(r, 70000) - 5);
        case 1:
                return cJSON_CreateBool(pick(r, 2));
        case 2:
                return cJSON_CreateNull();
        case 3:
                return cJSON_CreateObject();
        case 4:
                return cJSON_CreateArray();
        default:
                return cJSON_CreateString(values[pick(r, sizeof(values) / sizeof(*values))]);
        }
}

/* Adds item to container (a key of the schema for a mapping), taking it over. */
static void add_to(Rng *r, cJSON *container, cJSON *item)
{
        if (!item)
                return;
        if (cJSON_IsObject(container)) {
                const char *key = keys[pick(r, sizeof(keys) / sizeof(*keys))];
                cJSON_DeleteItemFromObjectCaseSensitive(container, key);
                cJSON_AddItemToObject(container, key, item);
        } else if (cJSON_IsArray(container))
                cJSON_AddItemToArray(container, item);
        else
                cJSON_Delete(item);
}

/* Puts item where node is, under node's key: cJSON_ReplaceItemViaPointer leaves the key to the caller. */
static void replace(cJSON *parent, cJSON *node, cJSON *item)
{
        if (!item)
                return;
        if (!(item->type & cJSON_StringIsConst))
                free(item->string);
        item->string = NULL;
        item->type &= ~cJSON_StringIsConst;
        if (node->string && !(item->string = strdup(node->string))) {
                cJSON_Delete(item);
                return;
        }
        cJSON_ReplaceItemViaPointer(parent, node, item);
}

static void mutate_once(Rng *r, cJSON *root)
{
        Nodes *ns = calloc(1, sizeof(Nodes));
        if (!ns)
                return;
        collect(ns, root, NULL);
        size_t i = pick(r, ns->n), j = pick(r, ns->n);
        cJSON *node = ns->node[i], *parent = ns->parent[i];
        bool grow = ns->n < MAX_NODES / 2;
        switch (pick(r, 6)) {
        case 0: /* a value of another shape, or a schema key in a mapping */
                if (node->child || !parent)
                        add_to(r, node, grow ? scalar(r) : NULL);
                else
                        replace(parent, node, scalar(r));
                break;
        case 1: /* a subtree dropped */
                if (parent)
                        cJSON_Delete(cJSON_DetachItemViaPointer(parent, node));
                break;
        case 2: /* a subtree copied elsewhere: a service's keys into another service, say */
                if (grow && (cJSON_IsObject(node) || cJSON_IsArray(node)) && j != i)
                        add_to(r, node, cJSON_Duplicate(ns->node[j], true));
                break;
        case 3: /* a subtree replaced by a copy of another (not one of its own ancestors) */
                if (parent && grow) {
                        replace(parent, node, cJSON_Duplicate(ns->node[j], true));
                }
                break;
        case 4: /* a key renamed to another of the schema */
                if (parent && cJSON_IsObject(parent)) {
                        const char *key = keys[pick(r, sizeof(keys) / sizeof(*keys))];
                        if (!cJSON_GetObjectItemCaseSensitive(parent, key)) {
                                char *k = strdup(key);
                                if (k) {
                                        if (!(node->type & cJSON_StringIsConst))
                                                free(node->string);
                                        node->string = k;
                                        node->type &= ~cJSON_StringIsConst;
                                }
                        }
                }
                break;
        default: /* a string changed by a piece of another value */
                if (cJSON_IsString(node) && parent) {
                        StrBuf s = STRBUF_INIT;
                        const char *add = values[pick(r, sizeof(values) / sizeof(*values))];
                        size_t at = pick(r, strlen(node->valuestring) + 1);
                        strbuf_add(&s, node->valuestring, at);
                        strbuf_addstr(&s, add);
                        if (strbuf_error(&s) == 0)
                                replace(parent, node, cJSON_CreateString(strbuf_str(&s)));
                        strbuf_done(&s);
                }
                break;
        }
        free(ns);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
        Rng r = { .s = (uint64_t)seed * 0x9e3779b97f4a7c15ULL + 1 };
        YamlLimits limits = { .max_depth = 32, .max_nodes = MAX_NODES, .max_alias_nodes = 1000 };
        cJSON *root = NULL;
        BerthError err = { 0 };
        SrcMap *map = srcmap_new();
        int r_load = map && pick(&r, 8) != 0
                             ? yaml_load((const char *)data, size, "fuzz", &limits, map, &root, &err)
                             : -1;
        srcmap_free(map);
        if (r_load < 0 || !cJSON_IsObject(root)) {
                cJSON_Delete(root);
                return LLVMFuzzerMutate(data, size, max_size);
        }
        for (size_t k = 1 + pick(&r, 3); k > 0; k--)
                mutate_once(&r, root);
        StrBuf out = STRBUF_INIT;
        size_t n = 0;
        if (emit_yaml(root, 0, &out) >= 0 && out.len <= max_size) {
                n = out.len;
                memcpy(data, strbuf_str(&out), n);
        }
        strbuf_done(&out);
        cJSON_Delete(root);
        return n ? n : LLVMFuzzerMutate(data, size, max_size);
}
