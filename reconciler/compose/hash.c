/* hash.c: a service's content hash (DESIGN.md, "The content hash"). */
#include <errno.h>
#include <string.h>

#include "../util/digest.h"
#include "../util/strbuf.h"
#include "project.h"
#include "../util/json.h"

/* s with every "root/" (and a trailing "root") written as "@/" ("@"); root NULL: s as it is. */
static char *rooted(const char *s, const char *root)
{
        StrBuf out = STRBUF_INIT;
        size_t rl = root ? strlen(root) : 0;
        while (*s) {
                if (rl && strncmp(s, root, rl) == 0 && (s[rl] == '/' || s[rl] == '"' || s[rl] == '\0')) {
                        strbuf_addch(&out, '@');
                        s += rl;
                        continue;
                }
                strbuf_addch(&out, *s++);
        }
        return strbuf_detach(&out);
}

/* A file's path (rooted) and the digest of its contents the loader read through the source. */
static int hash_file(Digest *d, const Project *p, const char *path)
{
        _cleanup_free_ char *name = rooted(path, p->root);
        if (!name)
                return -ENOMEM;
        digest_update(d, name, strlen(name) + 1);
        const char *sum = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->contents, path));
        if (!sum)
                return digest_update(d, "\0missing", 8);
        return digest_update(d, sum, strlen(sum) + 1);
}

int project_service_hash(const Project *p, const char *service, const char *image_digest, char ret[65])
{
        cJSON *services = cJSON_GetObjectItemCaseSensitive(p->model, "services");
        cJSON *svc = cJSON_GetObjectItemCaseSensitive(services, service);
        _cleanup_cjson_ cJSON *copy = NULL;
        _cleanup_(digest_freep) Digest *d = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        if (!svc)
                return -ENOENT;
        copy = cJSON_Duplicate(svc, 1);
        d = digest_new();
        if (!copy || !d)
                return -ENOMEM;
        /* What compose leaves out too: these change how a service is built or scaled, not what runs. */
        static const char *const skip[] = { "build", "pull_policy", "depends_on", "profiles", "scale" };
        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                cJSON_DeleteItemFromObjectCaseSensitive(copy, skip[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(copy, "deploy"),
                                                "replicas");
        /* A secret value changes the hash, keyed: the label shows nothing that could be guessed back. */
        if ((r = project_redact(p, copy, REDACT_HASH)) < 0)
                return r;
        _cleanup_free_ char *raw = json_print(copy, false);
        if (!raw || !(text = rooted(raw, p->root)))
                return -ENOMEM;
        digest_update(d, "berth-service-v1", 17);
        digest_update(d, text, strlen(text) + 1);
        cJSON *files = cJSON_GetObjectItemCaseSensitive(p->refs, service);
        for (cJSON *f = files ? files->child : NULL; f; f = f->next)
                if ((r = hash_file(d, p, f->valuestring)) < 0)
                        return r;
        if (image_digest) {
                digest_update(d, "image", 6);
                digest_update(d, image_digest, strlen(image_digest) + 1);
        }
        return digest_final_hex(d, ret);
}
