/* digest.c: what a registry says of an image reference, through the engine (digest.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/strbuf.h"
#include "auth.h"
#include "digest.h"

size_t registry_repository_len(const char *image)
{
        const char *at = strchr(image, '@');
        size_t n = at ? (size_t)(at - image) : strlen(image);
        const char *slash = memrchr(image, '/', n);
        const char *from = slash ? slash : image;
        const char *colon = memrchr(from, ':', n - (size_t)(from - image));
        return colon ? (size_t)(colon - image) : n;
}

/* The X-Registry-Auth header for the image's registry, from the CI's variables or config.json; NULL
 * without env or credentials (an anonymous pull). */
char *registry_auth_for(const EnvMap *env, const char *image)
{
        _cleanup_free_ char *registry = registry_of(image);
        char *header = NULL;
        bool found = false;
        if (!env || registry_auth_header(env, registry, &header, &found) < 0 || !found) {
                free(header);
                return NULL;
        }
        return header;
}

/* What the registry says the tag names now ("sha256:..."), without pulling it. */
int registry_digest(EngineClient *c, const char *image, const char *auth, char **ret, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT, what = STRBUF_INIT, out = STRBUF_INIT;
        out.max = ENGINE_RESPONSE_MAX;
        strbuf_addstr(&path, "/distribution/");
        strbuf_addstr(&path, image);
        strbuf_addstr(&path, "/json");
        strbuf_addf(&what, "ask the registry about \"%s\"", image);
        int r = engine_call_raw(c, "GET", path.buf, NULL, 0, NULL, auth, what.buf, 60, NULL, &out, err);
        if (r < 0)
                return r;
        _cleanup_cjson_ cJSON *j = cJSON_ParseWithLength(out.buf, out.len);
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(j, "Descriptor"), "digest"));
        if (!d)
                return error_set(err, -EPROTO, NULL, 0, 0, NULL, "%s: no digest in the reply", what.buf);
        *ret = strdup(d);
        return *ret ? 0 : -ENOMEM;
}
