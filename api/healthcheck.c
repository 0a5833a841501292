/* healthcheck.c: `berth-api healthcheck`, the image's HEALTHCHECK: GET /healthz where the server
 * listens, as its own settings say (the same file and environment), so the check follows a port or
 * socket the deployment chose. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "healthcheck.h"

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
        return size * n;
}

int api_healthcheck(const char *listen_on)
{
        char url[300];
        const char *colon = strrchr(listen_on, ':');
        CURL *h = curl_easy_init();
        long status = 0;
        CURLcode rc;

        if (!h)
                return 1;
        if (strncmp(listen_on, "unix:", 5) == 0) {
                curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, listen_on + 5);
                snprintf(url, sizeof(url), "http://localhost/healthz");
        } else {
                /* A server on every address answers on the loopback one. */
                int n = colon ? (int)(colon - listen_on) : 0;
                bool any = n == 0 || (n == 7 && strncmp(listen_on, "0.0.0.0", 7) == 0);
                snprintf(url, sizeof(url), "http://%.*s%s/healthz", any ? 9 : n,
                         any ? "127.0.0.1" : listen_on, colon ? colon : "");
        }
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        rc = curl_easy_perform(h);
        if (rc == CURLE_OK)
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
        if (status == 200)
                return 0;
        if (rc != CURLE_OK)
                fprintf(stderr, "berth-api healthcheck: %s: %s\n", url, curl_easy_strerror(rc));
        else
                fprintf(stderr, "berth-api healthcheck: %s: HTTP %ld\n", url, status);
        return 1;
}
