/* hash.c: a service's content hash (DESIGN.md, "The content hash"). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../util/digest.h"
#include "../util/strbuf.h"
#include "project.h"

#define HASH_FILE_MAX ((size_t)64 * 1024 * 1024)

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

static int hash_file(Digest *d, const char *path, const char *root)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char buf[65536];
        size_t total = 0;
        ssize_t n;

        _cleanup_free_ char *name = rooted(path, root);
        if (!name)
                return -ENOMEM;
        digest_update(d, name, strlen(name) + 1);
        if (fd < 0)
                return digest_update(d, "\0missing", 8);
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                total += (size_t)n;
                if (total > HASH_FILE_MAX)
                        return -EFBIG;
                digest_update(d, buf, (size_t)n);
        }
        return n < 0 ? -errno : digest_update(d, "\0", 1);
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
        _cleanup_free_ char *raw = cJSON_PrintUnformatted(copy);
        if (!raw || !(text = rooted(raw, p->hash_root)))
                return -ENOMEM;
        digest_update(d, "berth-service-v1", 17);
        digest_update(d, text, strlen(text) + 1);
        cJSON *files = cJSON_GetObjectItemCaseSensitive(p->refs, service);
        for (cJSON *f = files ? files->child : NULL; f; f = f->next)
                if ((r = hash_file(d, f->valuestring, p->hash_root)) < 0)
                        return r;
        if (image_digest) {
                digest_update(d, "image", 6);
                digest_update(d, image_digest, strlen(image_digest) + 1);
        }
        return digest_final_hex(d, ret);
}
