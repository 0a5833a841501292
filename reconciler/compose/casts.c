/* casts.c: interpolation of a loaded file, and the type casts compose makes after it. */
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

typedef enum Cast {
        CAST_NONE,
        CAST_INT,
        CAST_FLOAT,
        CAST_BOOL,
} Cast;

/* Where compose turns interpolated strings back into the type the schema wants (compose-go's table). */
static const struct {
        const char *pattern;
        Cast cast;
} cast_table[] = {
        { "services.*.configs.*.mode", CAST_INT },
        { "services.*.cpu_count", CAST_INT },
        { "services.*.cpu_percent", CAST_FLOAT },
        { "services.*.cpu_period", CAST_INT },
        { "services.*.cpu_quota", CAST_INT },
        { "services.*.cpu_rt_period", CAST_INT },
        { "services.*.cpu_rt_runtime", CAST_INT },
        { "services.*.cpus", CAST_FLOAT },
        { "services.*.cpu_shares", CAST_INT },
        { "services.*.init", CAST_BOOL },
        { "services.*.deploy.replicas", CAST_INT },
        { "services.*.deploy.update_config.parallelism", CAST_INT },
        { "services.*.deploy.update_config.max_failure_ratio", CAST_FLOAT },
        { "services.*.deploy.rollback_config.parallelism", CAST_INT },
        { "services.*.deploy.rollback_config.max_failure_ratio", CAST_FLOAT },
        { "services.*.deploy.restart_policy.max_attempts", CAST_INT },
        { "services.*.deploy.placement.max_replicas_per_node", CAST_INT },
        { "services.*.healthcheck.retries", CAST_INT },
        { "services.*.healthcheck.disable", CAST_BOOL },
        { "services.*.oom_kill_disable", CAST_BOOL },
        { "services.*.oom_score_adj", CAST_INT },
        { "services.*.pids_limit", CAST_INT },
        { "services.*.ports.*.target", CAST_INT },
        { "services.*.privileged", CAST_BOOL },
        { "services.*.read_only", CAST_BOOL },
        { "services.*.scale", CAST_INT },
        { "services.*.secrets.*.mode", CAST_INT },
        { "services.*.stdin_open", CAST_BOOL },
        { "services.*.tty", CAST_BOOL },
        { "services.*.ulimits.*", CAST_INT },
        { "services.*.ulimits.*.hard", CAST_INT },
        { "services.*.ulimits.*.soft", CAST_INT },
        { "services.*.volumes.*.read_only", CAST_BOOL },
        { "services.*.volumes.*.volume.nocopy", CAST_BOOL },
        { "networks.*.external", CAST_BOOL },
        { "networks.*.internal", CAST_BOOL },
        { "networks.*.attachable", CAST_BOOL },
        { "networks.*.enable_ipv6", CAST_BOOL },
        { "volumes.*.external", CAST_BOOL },
        { "secrets.*.external", CAST_BOOL },
        { "configs.*.external", CAST_BOOL },
};

#define MAX_PATH_DEPTH 64

static Cast cast_for(const char *const *parts, size_t n)
{
        for (size_t i = 0; i < ELEMENTSOF(cast_table); i++) {
                const char *p = cast_table[i].pattern;
                size_t k = 0;
                for (; k < n && *p; k++) {
                        const char *dot = strchrnul(p, '.');
                        size_t len = (size_t)(dot - p);
                        if (!(len == 1 && p[0] == '*') &&
                            (strlen(parts[k]) != len || memcmp(parts[k], p, len) != 0))
                                break;
                        p = *dot ? dot + 1 : dot;
                }
                if (k == n && !*p)
                        return cast_table[i].cast;
        }
        return CAST_NONE;
}

static void path_render(const char *const *parts, const bool *is_index, size_t n, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < n && len < size; i++) {
                int k = is_index[i] ? snprintf(buf + len, size - len, "[%s]", parts[i])
                                    : snprintf(buf + len, size - len, "%s%s", i ? "." : "", parts[i]);
                if (k < 0)
                        break;
                len += (size_t)k;
        }
}

typedef struct Walk {
        Loader *l;
        const char *parts[MAX_PATH_DEPTH];
        bool is_index[MAX_PATH_DEPTH];
        char idx[MAX_PATH_DEPTH][16];
        size_t n;
} Walk;

static void warn_unset(void *ud, const char *name, size_t len)
{
        Loader *l = ud;
        compose_warn(&l->c, "the \"%.*s\" variable is not set, defaulting to a blank string", (int)len,
                     name);
}

static int cast_value(Walk *w, cJSON *parent, cJSON *node, Cast cast)
{
        char path[512];
        const char *s = node->valuestring;
        cJSON *n = NULL;

        path_render(w->parts, w->is_index, w->n, path, sizeof(path));
        if (cast == CAST_BOOL) {
                if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "y") ||
                    !strcasecmp(s, "on"))
                        n = cJSON_CreateTrue();
                else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "n") ||
                         !strcasecmp(s, "off"))
                        n = cJSON_CreateFalse();
                else
                        return compose_fail(&w->l->c, -EINVAL, node, false, path, "\"%s\" is not a boolean",
                                            s);
        } else {
                char *end;
                double d = strtod(s, &end);
                if (!*s || *end || (cast == CAST_INT && d != (double)(long long)d))
                        return compose_fail(&w->l->c, -EINVAL, node, false, path, "\"%s\" is not %s", s,
                                            cast == CAST_INT ? "an integer" : "a number");
                n = cJSON_CreateNumber(d);
                if (n && !(n->valuestring = strdup(s))) {
                        cJSON_Delete(n);
                        return -ENOMEM;
                }
        }
        if (!n)
                return -ENOMEM;
        compose_pos_copy(&w->l->c, n, node);
        compose_swap(parent, node, n);
        return 0;
}

static int interpolate(Walk *w, cJSON *parent, cJSON *node)
{
        int r;

        if (cJSON_IsString(node) && interp_needed(node->valuestring)) {
                _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
                Interp ip = { .env = &w->l->env, .on_unset = warn_unset, .userdata = w->l };
                BerthError ierr = { 0 };
                r = interp_expand(&ip, node->valuestring, strlen(node->valuestring), &out, &ierr);
                if (r < 0) {
                        char path[512];
                        path_render(w->parts, w->is_index, w->n, path, sizeof(path));
                        return compose_fail(&w->l->c, r, node, false, path, "%s", ierr.msg);
                }
                /* cJSON allocates with malloc by default, so the value can be swapped in place. */
                free(node->valuestring);
                node->valuestring = strbuf_detach(&out);
                if (!node->valuestring)
                        return -ENOMEM;
                Cast cast = cast_for(w->parts, w->n);
                if (cast != CAST_NONE && parent)
                        return cast_value(w, parent, node, cast);
                return 0;
        }
        if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
                return 0;
        if (w->n >= MAX_PATH_DEPTH)
                return 0;
        int i = 0;
        for (cJSON *ch = node->child, *next; ch; ch = next, i++) {
                next = ch->next;
                if (cJSON_IsArray(node)) {
                        snprintf(w->idx[w->n], sizeof(w->idx[0]), "%d", i);
                        w->parts[w->n] = w->idx[w->n];
                        w->is_index[w->n] = true;
                } else {
                        w->parts[w->n] = ch->string;
                        w->is_index[w->n] = false;
                }
                w->n++;
                r = interpolate(w, node, ch);
                w->n--;
                if (r < 0)
                        return r;
        }
        return 0;
}

int loader_interpolate(Loader *l, cJSON *doc)
{
        Walk w = { .l = l };
        return interpolate(&w, NULL, doc);
}
