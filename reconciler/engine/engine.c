/* engine.c: Docker Engine API calls over libcurl. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../util/fileio.h"
#include "engine.h"
#include "../util/json.h"

struct EngineClient {
        EngineConfig cfg;
        CURL *curl;
        char *base;        /* "http://localhost" or "https://host:port" */
        char *socket_path; /* for unix:// */
        char *ca, *cert, *key;
        char version[16];
        EngineKind kind;
        char product[64]; /* "Docker 24.0.7", "Podman 4.3.1" */
        char errbuf[CURL_ERROR_SIZE];
};

typedef struct Sink {
        StrBuf *out;
        bool too_big;
        const EngineStream *stream; /* lines handed on as they come (2xx replies); NULL: all kept */
        CURL *curl;
        int rr; /* what the line callback failed with */
} Sink;

typedef struct HeaderSink {
        char api_version[16];
        char server[64]; /* "Docker/24.0.7 (linux)", "Libpod/4.3.1 (linux)" */
} HeaderSink;

void engine_config_done(EngineConfig *cfg)
{
        free(cfg->host);
        free(cfg->cert_path);
        *cfg = (EngineConfig){ 0 };
}

int engine_config_from_env(EngineConfig *cfg, const EnvMap *env, const char *host_override, BerthError *err)
{
        const char *host = host_override ? host_override : (env ? envmap_get(env, "DOCKER_HOST") : NULL);
        const char *verify = env ? envmap_get(env, "DOCKER_TLS_VERIFY") : NULL;
        const char *tls = env ? envmap_get(env, "DOCKER_TLS") : NULL;
        const char *certs = env ? envmap_get(env, "DOCKER_CERT_PATH") : NULL;
        const char *config = env ? envmap_get(env, "DOCKER_CONFIG") : NULL;
        const char *home = env ? envmap_get(env, "HOME") : NULL;

        *cfg = (EngineConfig){ .timeout_s = 120 };
        if (!host || !*host)
                host = "unix:///var/run/docker.sock";
        if (strncmp(host, "unix://", 7) != 0 && strncmp(host, "tcp://", 6) != 0)
                return error_set(err, -EINVAL, NULL, 0, 0, NULL,
                                 "unsupported Docker host \"%s\": use unix:///path or tcp://host:port",
                                 host);
        cfg->host = strdup(host);
        /* As the docker CLI: any non-empty DOCKER_TLS_VERIFY turns verification on. DOCKER_TLS alone
         * would mean TLS without verification, which berth never does: it verifies then too. */
        cfg->tls = (verify && *verify) || (tls && *tls);
        if (certs && *certs)
                cfg->cert_path = strdup(certs);
        else if (config && *config)
                cfg->cert_path = strdup(config);
        else
                cfg->cert_path = path_join(home ? home : "/root", ".docker");
        if (!cfg->host || !cfg->cert_path) {
                engine_config_done(cfg);
                return -ENOMEM;
        }
        if (cfg->tls && strncmp(host, "unix://", 7) == 0)
                cfg->tls = false; /* TLS applies to TCP only, as in the docker CLI */
        return 0;
}

/* Hands the complete lines of a streamed reply on, keeping only the unfinished one: a long build's
 * output never piles up in memory. An error reply is kept whole, for its message. */
static int sink_lines(Sink *s)
{
        long status = 0;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 300)
                return 0;
        size_t start = 0;
        for (char *nl; (nl = memchr(s->out->buf + start, '\n', s->out->len - start));) {
                size_t n = (size_t)(nl - (s->out->buf + start));
                if (n && (s->rr = s->stream->line(s->stream->ud, s->out->buf + start, n)) < 0)
                        return s->rr;
                start += n + 1;
        }
        memmove(s->out->buf, s->out->buf + start, s->out->len - start);
        s->out->len -= start;
        s->out->buf[s->out->len] = '\0';
        return 0;
}

static size_t write_cb(char *data, size_t size, size_t n, void *userdata)
{
        Sink *s = userdata;
        size_t len = size * n;
        if (strbuf_add(s->out, data, len) < 0) {
                s->too_big = true;
                return 0;
        }
        if (s->stream && s->stream->line && sink_lines(s) < 0)
                return 0;
        return len;
}

static size_t read_cb(char *buf, size_t size, size_t n, void *userdata)
{
        const EngineStream *st = userdata;
        ssize_t r = st->read(st->ud, buf, size * n);
        return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

/* The value of header name (with its colon) in the line data, into buf; false if it is another one. */
static bool header_value(const char *data, size_t len, const char *name, char *buf, size_t size)
{
        size_t nl = strlen(name), k = 0;
        if (len <= nl || strncasecmp(data, name, nl) != 0)
                return false;
        const char *v = data + nl;
        while (v < data + len && *v == ' ')
                v++;
        while (k + 1 < size && v + k < data + len && v[k] != '\r' && v[k] != '\n')
                k++;
        memcpy(buf, v, k);
        buf[k] = '\0';
        return true;
}

static size_t header_cb(char *data, size_t size, size_t n, void *userdata)
{
        HeaderSink *h = userdata;
        size_t len = size * n;
        if (!header_value(data, len, "Api-Version:", h->api_version, sizeof(h->api_version)))
                header_value(data, len, "Server:", h->server, sizeof(h->server));
        return len;
}

/* Which engine answers, from the Server header of its /_ping: Podman's compat API calls itself
 * Libpod (its /version's Components say "Podman Engine" too, at the cost of another request). */
static void engine_identify(EngineClient *c, const char *server)
{
        const char *slash = strchr(server, '/');
        size_t n = slash ? strcspn(slash + 1, " ") : 0;
        c->kind = strncmp(server, "Libpod/", 7) == 0 ? ENGINE_PODMAN : ENGINE_DOCKER;
        if (slash)
                snprintf(c->product, sizeof(c->product), "%s %.*s",
                         c->kind == ENGINE_PODMAN ? "Podman" : "Docker", (int)n, slash + 1);
        else
                snprintf(c->product, sizeof(c->product), "%s",
                         c->kind == ENGINE_PODMAN ? "Podman" : "Docker");
}

static int version_cmp(const char *a, const char *b)
{
        unsigned amaj = 0, amin = 0, bmaj = 0, bmin = 0;
        sscanf(a, "%u.%u", &amaj, &amin);
        sscanf(b, "%u.%u", &bmaj, &bmin);
        return amaj != bmaj ? (amaj < bmaj ? -1 : 1) : amin == bmin ? 0 : (amin < bmin ? -1 : 1);
}

/* Options every call needs; curl_easy_reset() clears them, so they are applied per call. */
static void base_options(EngineClient *c)
{
        curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
        curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        if (c->socket_path)
                curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
        if (c->cfg.tls) {
                curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca);
                curl_easy_setopt(c->curl, CURLOPT_SSLCERT, c->cert);
                curl_easy_setopt(c->curl, CURLOPT_SSLKEY, c->key);
                curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
                curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
        }
}

static int client_init(EngineClient *c, const EngineConfig *cfg, BerthError *err)
{
        c->cfg = (EngineConfig){ .host = strdup(cfg->host), .tls = cfg->tls, .timeout_s = cfg->timeout_s };
        if (cfg->cert_path)
                c->cfg.cert_path = strdup(cfg->cert_path);
        if (!c->cfg.host || (cfg->cert_path && !c->cfg.cert_path))
                return -ENOMEM;
        if (strncmp(cfg->host, "unix://", 7) == 0) {
                c->socket_path = strdup(cfg->host + 7);
                c->base = strdup("http://localhost");
        } else {
                StrBuf b = STRBUF_INIT;
                if (strbuf_addf(&b, "%s://%s", cfg->tls ? "https" : "http", cfg->host + 6) < 0)
                        return -ENOMEM;
                c->base = strbuf_detach(&b);
        }
        if (!c->base || (strncmp(cfg->host, "unix://", 7) == 0 && !c->socket_path))
                return -ENOMEM;
        if (cfg->tls) {
                c->ca = path_join(cfg->cert_path, "ca.pem");
                c->cert = path_join(cfg->cert_path, "cert.pem");
                c->key = path_join(cfg->cert_path, "key.pem");
                if (!c->ca || !c->cert || !c->key)
                        return -ENOMEM;
                const char *files[] = { c->ca, c->cert, c->key };
                for (size_t i = 0; i < ELEMENTSOF(files); i++)
                        if (access(files[i], R_OK) < 0)
                                return error_set(err, -ENOENT, NULL, 0, 0, NULL,
                                                 "cannot use TLS with %s: \"%s\" is missing or unreadable",
                                                 cfg->host, files[i]);
        }
        c->curl = curl_easy_init();
        return c->curl ? 0 : -ENOMEM;
}

static int status_errno(long status)
{
        switch (status) {
        case 400:
                return -EINVAL;
        case 401:
        case 403:
                return -EACCES;
        case 404:
                return -ENOENT;
        case 409:
                return -EEXIST;
        default:
                return -EIO;
        }
}

/* The engine's {"message": ...}, or the body's first line. */
static void engine_message(const StrBuf *body, char *buf, size_t size)
{
        _cleanup_cjson_ cJSON *j = body->len ? cJSON_ParseWithLength(body->buf, body->len) : NULL;
        const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "message"));
        if (m)
                snprintf(buf, size, "%s", m);
        else {
                const char *s = strbuf_str(body);
                size_t n = strcspn(s, "\r\n");
                snprintf(buf, size, "%.*s", (int)(n > 300 ? 300 : n), s);
        }
}

static int perform(EngineClient *c, const char *method, const char *path, bool versioned, const void *body,
                   size_t body_len, const char *content_type, const char *extra_header, long timeout_s,
                   long *ret_status, StrBuf *out, HeaderSink *hs, const EngineStream *stream,
                   const char *what, BerthError *err)
{
        _cleanup_strbuf_ StrBuf url = STRBUF_INIT;
        struct curl_slist *headers = NULL;
        Sink sink = { .out = out, .stream = stream, .curl = c->curl };
        char hdr[256];
        CURLcode cc;
        long status = 0;

        if (versioned ? strbuf_addf(&url, "%s/v%s%s", c->base, c->version, path) < 0
                      : strbuf_addf(&url, "%s%s", c->base, path) < 0)
                return -ENOMEM;
        curl_easy_reset(c->curl);
        base_options(c);
        c->errbuf[0] = '\0';
        curl_easy_setopt(c->curl, CURLOPT_URL, url.buf);
        curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, timeout_s > 0 ? timeout_s : c->cfg.timeout_s);
        curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &sink);
        if (hs) {
                curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, header_cb);
                curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, hs);
        }
        if (stream && stream->read) {
                /* A body of unknown length, sent as it is made (chunked). */
                curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
                curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, read_cb);
                curl_easy_setopt(c->curl, CURLOPT_READDATA, stream);
                headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
                snprintf(hdr, sizeof(hdr), "Content-Type: %s",
                         content_type ? content_type : "application/octet-stream");
                headers = curl_slist_append(headers, hdr);
        } else if (body) {
                curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
                snprintf(hdr, sizeof(hdr), "Content-Type: %s",
                         content_type ? content_type : "application/json");
                headers = curl_slist_append(headers, hdr);
        } else if (strcmp(method, "POST") == 0) {
                curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
                curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        }
        if (extra_header)
                headers = curl_slist_append(headers, extra_header);
        /* Docker answers at once; waiting for "100 Continue" only adds a round trip. */
        headers = curl_slist_append(headers, "Expect:");
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
        cc = curl_easy_perform(c->curl);
        curl_slist_free_all(headers);
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        if (ret_status)
                *ret_status = status;
        if (sink.rr < 0)
                return sink.rr;
        if (stream && stream->read_failed && stream->read_failed(stream->ud))
                return -EIO; /* the reader has said why */
        if (sink.too_big)
                return error_set(err, -E2BIG, NULL, 0, 0, NULL,
                                 "%s: the engine's response exceeded %zu bytes", what, out->max);
        if (cc == CURLE_COULDNT_CONNECT && c->socket_path)
                return error_set(err, -ECONNREFUSED, NULL, 0, 0, NULL,
                                 "%s: cannot reach the Docker engine at %s: %s", what, c->cfg.host,
                                 access(c->socket_path, F_OK) < 0
                                         ? "the socket does not exist (is dockerd running?)"
                                         : "the socket refused the connection (is dockerd running, "
                                           "and may this user use it?)");
        if (cc != CURLE_OK)
                return error_set(err, cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED, NULL, 0,
                                 0, NULL, "%s: cannot talk to the Docker engine at %s: %s", what,
                                 c->cfg.host, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
        if (status >= 400) {
                char msg[512];
                engine_message(out, msg, sizeof(msg));
                return error_set(err, status_errno(status), NULL, 0, 0, NULL, "%s: %s", what, msg);
        }
        return 0;
}

int engine_client_new(const EngineConfig *cfg, EngineClient **ret, BerthError *err)
{
        _cleanup_engine_ EngineClient *c = calloc(1, sizeof(EngineClient));
        _cleanup_strbuf_ StrBuf body = STRBUF_INIT;
        HeaderSink hs = { { 0 } };
        long status = 0;
        int r;

        if (!c)
                return -ENOMEM;
        body.max = 1024 * 1024;
        if ((r = client_init(c, cfg, err)) < 0)
                return r;
        /* A caller that set a shorter limit for its calls (berth-api) gets it for the ping too. */
        long ping_s = cfg->timeout_s > 0 && cfg->timeout_s < 15 ? cfg->timeout_s : 15;
        r = perform(c, "GET", "/_ping", false, NULL, 0, NULL, NULL, ping_s, &status, &body, &hs, NULL,
                    "connect", err);
        if (r < 0) {
                if (status == 400 && strstr(strbuf_str(&body), "HTTPS"))
                        error_hint(err,
                                   "the daemon speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH");
                return r;
        }
        if (!hs.api_version[0])
                return error_set(err, -EPROTO, NULL, 0, 0, NULL,
                                 "connect: %s did not say which API version it speaks", cfg->host);
        if (version_cmp(hs.api_version, ENGINE_API_MIN) < 0)
                return error_set(err, -EPROTONOSUPPORT, NULL, 0, 0, NULL,
                                 "connect: the Docker engine at %s speaks API %s; berth needs %s (Docker "
                                 "20.10) or newer",
                                 cfg->host, hs.api_version, ENGINE_API_MIN);
        snprintf(c->version, sizeof(c->version), "%s",
                 version_cmp(hs.api_version, ENGINE_API_MAX) > 0 ? ENGINE_API_MAX : hs.api_version);
        engine_identify(c, hs.server);
        *ret = TAKE_PTR(c);
        return 0;
}

int engine_client_clone(const EngineClient *src, EngineClient **ret, BerthError *err)
{
        _cleanup_engine_ EngineClient *c = calloc(1, sizeof(EngineClient));
        int r;
        if (!c)
                return -ENOMEM;
        if ((r = client_init(c, &src->cfg, err)) < 0)
                return r;
        memcpy(c->version, src->version, sizeof(c->version));
        c->kind = src->kind;
        memcpy(c->product, src->product, sizeof(c->product));
        *ret = TAKE_PTR(c);
        return 0;
}

EngineClient *engine_client_free(EngineClient *c)
{
        if (!c)
                return NULL;
        if (c->curl)
                curl_easy_cleanup(c->curl);
        engine_config_done(&c->cfg);
        free(c->base);
        free(c->socket_path);
        free(c->ca);
        free(c->cert);
        free(c->key);
        free(c);
        return NULL;
}

const char *engine_client_version(const EngineClient *c)
{
        return c->version;
}

EngineKind engine_client_kind(const EngineClient *c)
{
        return c->kind;
}

const char *engine_client_product(const EngineClient *c)
{
        return c->product;
}

const char *engine_client_host(const EngineClient *c)
{
        return c->cfg.host;
}

int engine_call_raw(EngineClient *c, const char *method, const char *path, const void *body, size_t body_len,
                    const char *content_type, const char *extra_header, const char *what, long timeout_s,
                    long *ret_status, StrBuf *out, BerthError *err)
{
        return perform(c, method, path, true, body, body_len, content_type, extra_header, timeout_s,
                       ret_status, out, NULL, NULL, what, err);
}

int engine_call_stream(EngineClient *c, const char *method, const char *path, const EngineStream *stream,
                       const char *content_type, const char *extra_header, const char *what, long timeout_s,
                       BerthError *err)
{
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        out.max = ENGINE_RESPONSE_MAX;
        int r = perform(c, method, path, true, NULL, 0, content_type, extra_header, timeout_s, NULL, &out,
                        NULL, stream, what, err);
        /* The last line may come without its newline. */
        if (r >= 0 && out.len && stream->line)
                r = stream->line(stream->ud, out.buf, out.len);
        return r;
}

int engine_call(EngineClient *c, const char *method, const char *path, const cJSON *body, const char *what,
                long timeout_s, long *ret_status, cJSON **ret_json, BerthError *err)
{
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        _cleanup_free_ char *text = NULL;
        int r;

        out.max = ENGINE_RESPONSE_MAX;
        if (body && !(text = json_print(body, false)))
                return -ENOMEM;
        r = perform(c, method, path, true, text, text ? strlen(text) : 0, NULL, NULL, timeout_s, ret_status,
                    &out, NULL, NULL, what, err);
        if (r < 0)
                return r;
        if (ret_json) {
                *ret_json = NULL;
                if (out.len) {
                        *ret_json = cJSON_ParseWithLength(out.buf, out.len);
                        if (!*ret_json)
                                return error_set(err, -EPROTO, NULL, 0, 0, NULL,
                                                 "%s: the engine's reply is not valid JSON", what);
                }
        }
        return 0;
}

const char *engine_stream_error(const cJSON *line)
{
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, "error"));
        return e ? e
                 : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetObjectItemCaseSensitive(line, "errorDetail"), "message"));
}

int engine_stream_check(const StrBuf *body, const char *what, BerthError *err)
{
        const char *s = strbuf_str(body);
        /* A stream is one JSON object per line; an error can come after a 200 status. */
        while (*s) {
                size_t n = strcspn(s, "\n");
                _cleanup_cjson_ cJSON *j = cJSON_ParseWithLength(s, n);
                const char *e = engine_stream_error(j);
                if (e)
                        return error_set(err, -EIO, NULL, 0, 0, NULL, "%s: %s", what, e);
                s += n;
                if (*s)
                        s++;
        }
        return 0;
}

int engine_escape(const char *s, StrBuf *out)
{
        static const char hex[] = "0123456789ABCDEF";
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                int r;
                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    strchr("-_.~", ch))
                        r = strbuf_addch(out, (char)ch);
                else {
                        char b[3] = { '%', hex[ch >> 4], hex[ch & 15] };
                        r = strbuf_add(out, b, 3);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}
