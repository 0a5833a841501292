/* redact.c: a project's secret values (read from SOPS files) kept out of outputs and unkeyed hashes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../util/digest.h"
#include "project.h"

const PlainFile *project_plain_file(const Project *p, const char *path)
{
        for (size_t i = 0; path && i < p->n_plain_files; i++)
                if (strcmp(p->plain_files[i].path, path) == 0)
                        return &p->plain_files[i];
        return NULL;
}

bool project_is_secret(const Project *p, const char *s)
{
        for (size_t i = 0; s && i < p->n_secrets; i++)
                if (strstr(s, p->secrets[i]))
                        return true;
        return false;
}

int project_redact(const Project *p, cJSON *node, RedactMode mode)
{
        if (!p->n_secrets || !node)
                return 0;
        for (cJSON *c = node->child; c; c = c->next) {
                int r = project_redact(p, c, mode);
                if (r < 0)
                        return r;
        }
        if (!cJSON_IsString(node) || !project_is_secret(p, node->valuestring))
                return 0;
        if (mode == REDACT_TEXT)
                return cJSON_SetValuestring(node, "**redacted**") ? 0 : -ENOMEM;
        char hex[12 + DIGEST_HEX_LEN + 1] = "hmac-sha256:";
        if (digest_hmac_hex(p->secret_key, sizeof(p->secret_key), node->valuestring,
                            strlen(node->valuestring), hex + 12) < 0)
                return -EIO;
        return cJSON_SetValuestring(node, hex) ? 0 : -ENOMEM;
}
