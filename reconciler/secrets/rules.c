/* rules.c: .sops.yaml creation rules (rules.h). */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "../yaml/yaml.h"
#include "../util/cleanup.h"
#include "rules.h"

void sops_rule_done(SopsRule *r)
{
        free(r->recipients);
        cJSON_Delete(r->doc);
        *r = (SopsRule){ 0 };
}

int sops_rule_add_recipients(SopsRule *r, const char *list, BerthError *err)
{
        _cleanup_free_ char *copy = strdup(list);
        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *tok = strtok_r(copy, ", \n\t", &save); tok;
             tok = strtok_r(NULL, ", \n\t", &save)) {
                unsigned char(*more)[AGE_KEY_LEN] = realloc(r->recipients, (r->n + 1) * AGE_KEY_LEN);
                if (!more)
                        return -ENOMEM;
                r->recipients = more;
                int e = age_recipient_parse(tok, r->recipients[r->n], err);
                if (e < 0)
                        return e;
                r->n++;
        }
        r->o.recipients = (const unsigned char(*)[AGE_KEY_LEN])r->recipients;
        r->o.n_recipients = r->n;
        return 0;
}

static int add_list(SopsRule *r, const cJSON *v, BerthError *err)
{
        const cJSON *a;
        int e = 0;
        if (cJSON_IsString(v))
                return sops_rule_add_recipients(r, v->valuestring, err);
        const cJSON *list = cJSON_IsArray(v) ? v : NULL;
        cJSON_ArrayForEach(a, list)
        {
                if (cJSON_IsString(a) && (e = sops_rule_add_recipients(r, a->valuestring, err)) < 0)
                        return e;
        }
        return 0;
}

static const char *str(const cJSON *rule, const char *key)
{
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rule, key));
}

int sops_rule_find(const char *text, size_t len, const char *cfg, const char *rel, const char *abs,
                   SopsRule *ret, BerthError *err)
{
        _cleanup_(srcmap_freep) SrcMap *map = srcmap_new();
        int r;

        *ret = (SopsRule){ 0 };
        if (!map)
                return -ENOMEM;
        if ((r = yaml_load(text, len, cfg, NULL, map, &ret->doc, err)) < 0)
                return r;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(ret->doc, "creation_rules"))
        {
                const char *re = str(c, "path_regex");
                if (re) {
                        regex_t rx;
                        if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
                                return error_set(err, -EINVAL, cfg, 0, 0, NULL,
                                                 "path_regex \"%s\" does not compile", re);
                        bool match = regexec(&rx, rel, 0, NULL, 0) == 0 ||
                                     (abs && regexec(&rx, abs, 0, NULL, 0) == 0);
                        regfree(&rx);
                        if (!match)
                                continue;
                }
                if ((r = add_list(ret, cJSON_GetObjectItemCaseSensitive(c, "age"), err)) < 0)
                        return r;
                const cJSON *g;
                cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(c, "key_groups"))
                {
                        if ((r = add_list(ret, cJSON_GetObjectItemCaseSensitive(g, "age"), err)) < 0)
                                return r;
                }
                if (ret->n == 0)
                        return error_set(err, -EINVAL, cfg, 0, 0, NULL,
                                         "the creation rule that matches \"%s\" names no age recipient",
                                         rel);
                ret->o.encrypted_regex = str(c, "encrypted_regex");
                ret->o.unencrypted_regex = str(c, "unencrypted_regex");
                ret->o.encrypted_suffix = str(c, "encrypted_suffix");
                ret->o.unencrypted_suffix = str(c, "unencrypted_suffix");
                ret->o.mac_only_encrypted =
                        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "mac_only_encrypted"));
                return 0;
        }
        return error_set(err, -ENOENT, cfg, 0, 0, NULL, "no creation rule matches \"%s\"", rel);
}
