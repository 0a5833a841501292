/* merge.c: compose's merge rules. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "merge.h"

typedef enum Rule {
        RULE_APPEND,  /* add the items not already there */
        RULE_REPLACE, /* the override's sequence wins whole */
        RULE_PORT,
        RULE_TARGET,
        RULE_PATH,
} Rule;

typedef enum Level {
        LEVEL_SERVICE,
        LEVEL_HEALTHCHECK,
        LEVEL_OTHER,
} Level;

static Rule rule_for(Level level, const char *key)
{
        if (level == LEVEL_HEALTHCHECK && strcmp(key, "test") == 0)
                return RULE_REPLACE;
        if (level != LEVEL_SERVICE)
                return RULE_APPEND;
        if (strcmp(key, "command") == 0 || strcmp(key, "entrypoint") == 0)
                return RULE_REPLACE;
        if (strcmp(key, "ports") == 0)
                return RULE_PORT;
        if (strcmp(key, "volumes") == 0 || strcmp(key, "secrets") == 0 || strcmp(key, "configs") == 0)
                return RULE_TARGET;
        if (strcmp(key, "env_file") == 0)
                return RULE_PATH;
        return RULE_APPEND;
}

static void item_key(Rule rule, const cJSON *it, char *buf, size_t size)
{
        const char *a = NULL, *b = NULL, *pr = NULL;
        double t = 0;

        switch (rule) {
        case RULE_PORT:
                a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "host_ip"));
                b = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "published"));
                pr = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "protocol"));
                t = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "target"));
                snprintf(buf, size, "%s|%s|%g|%s", a ? a : "", b ? b : "", t, pr ? pr : "tcp");
                return;
        case RULE_TARGET:
                a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "target"));
                if (!a)
                        a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "source"));
                snprintf(buf, size, "%s", a ? a : "");
                return;
        case RULE_PATH:
                a = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "path"));
                snprintf(buf, size, "%s", a ? a : "");
                return;
        default:
                buf[0] = '\0';
        }
}

static uint32_t tags_of(ComposeCtx *c, const cJSON *n)
{
        const SrcPos *p = srcmap_get(c->src, n);
        return p ? p->tags : 0;
}

static void merge_sequence(ComposeCtx *c, cJSON *dst, cJSON *src, Rule rule)
{
        cJSON *it;
        while ((it = src->child)) {
                cJSON_DetachItemViaPointer(src, it);
                if (rule == RULE_APPEND) {
                        bool dup = false;
                        for (cJSON *d = dst->child; d && !dup; d = d->next)
                                dup = cJSON_Compare(d, it, true);
                        if (dup)
                                cJSON_Delete(it);
                        else
                                cJSON_AddItemToArray(dst, it);
                        continue;
                }
                char k1[512], k2[512];
                cJSON *match = NULL;
                item_key(rule, it, k1, sizeof(k1));
                for (cJSON *d = dst->child; d && !match; d = d->next) {
                        item_key(rule, d, k2, sizeof(k2));
                        if (strcmp(k1, k2) == 0)
                                match = d;
                }
                if (match)
                        compose_swap(dst, match, it);
                else
                        cJSON_AddItemToArray(dst, it);
        }
}

static int merge_object(ComposeCtx *c, cJSON *dst, cJSON *src, Level level)
{
        cJSON *s;
        int r;

        while ((s = src->child)) {
                cJSON_DetachItemViaPointer(src, s);
                uint32_t tags = tags_of(c, s);
                cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, s->string);

                if (tags & SRC_TAG_RESET) {
                        if (d)
                                cJSON_DeleteItemFromObjectCaseSensitive(dst, s->string);
                        cJSON_Delete(s);
                        continue;
                }
                if (d && !(tags & SRC_TAG_OVERRIDE) && cJSON_IsObject(d) && cJSON_IsObject(s)) {
                        Level sub = level == LEVEL_SERVICE && strcmp(s->string, "healthcheck") == 0
                                            ? LEVEL_HEALTHCHECK
                                            : LEVEL_OTHER;
                        r = merge_object(c, d, s, sub);
                        cJSON_Delete(s);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (d && !(tags & SRC_TAG_OVERRIDE) && cJSON_IsArray(d) && cJSON_IsArray(s) &&
                    rule_for(level, s->string) != RULE_REPLACE) {
                        merge_sequence(c, d, s, rule_for(level, s->string));
                        cJSON_Delete(s);
                        continue;
                }
                if (d)
                        compose_swap(dst, d, s);
                else
                        cJSON_AddItemToObject(dst, s->string, s);
        }
        return 0;
}

int merge_service(ComposeCtx *c, cJSON *dst, cJSON *src)
{
        return merge_object(c, dst, src, LEVEL_SERVICE);
}

int merge_documents(ComposeCtx *c, cJSON *dst, cJSON *src)
{
        cJSON *ss = cJSON_GetObjectItemCaseSensitive(src, "services");
        cJSON *ds = cJSON_GetObjectItemCaseSensitive(dst, "services");
        int r;

        if (cJSON_IsObject(ss) && cJSON_IsObject(ds) &&
            !(tags_of(c, ss) & (SRC_TAG_RESET | SRC_TAG_OVERRIDE))) {
                cJSON *s;
                cJSON_DetachItemViaPointer(src, ss);
                while ((s = ss->child)) {
                        cJSON_DetachItemViaPointer(ss, s);
                        cJSON *d = cJSON_GetObjectItemCaseSensitive(ds, s->string);
                        uint32_t tags = tags_of(c, s);
                        if (tags & SRC_TAG_RESET) {
                                cJSON_DeleteItemFromObjectCaseSensitive(ds, s->string);
                                cJSON_Delete(s);
                        } else if (d && cJSON_IsObject(d) && cJSON_IsObject(s) &&
                                   !(tags & SRC_TAG_OVERRIDE)) {
                                r = merge_service(c, d, s);
                                cJSON_Delete(s);
                                if (r < 0) {
                                        cJSON_Delete(ss);
                                        return r;
                                }
                        } else if (d)
                                compose_swap(ds, d, s);
                        else
                                cJSON_AddItemToObject(ds, s->string, s);
                }
                cJSON_Delete(ss);
        }
        return merge_object(c, dst, src, LEVEL_OTHER);
}

void merge_strip_resets(ComposeCtx *c, cJSON *node)
{
        for (cJSON *ch = node ? node->child : NULL, *next; ch; ch = next) {
                next = ch->next;
                if (tags_of(c, ch) & SRC_TAG_RESET)
                        cJSON_Delete(cJSON_DetachItemViaPointer(node, ch));
                else
                        merge_strip_resets(c, ch);
        }
}
