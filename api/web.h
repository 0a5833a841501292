/* web.h: the web page's files, compiled into berth-api (api/web/, embedded by api/web/embed.py). */
#pragma once

#include <stddef.h>

typedef struct WebAsset {
        const char *name; /* "app.js" */
        const char *type; /* its Content-Type */
        const unsigned char *data;
        size_t len;
        const char *etag; /* quoted, from a digest of data */
} WebAsset;

extern const WebAsset web_assets[];
extern const size_t web_n_assets;

/* The asset of that name, or NULL. */
const WebAsset *web_asset(const char *name);
