/* engine.h: the Docker Engine API over libcurl, on a unix socket or TCP with mutual TLS.
 *
 * An EngineClient owns one curl handle and is not thread-safe: a worker thread takes its own with
 * engine_client_clone(). The API version is negotiated once, in engine_client_new(), from /_ping and
 * never goes below ENGINE_API_MIN. Responses are capped in size; every call has a timeout. An engine
 * error becomes one line in err that says what was being done and the engine's own message. TLS
 * verification, once asked for, is never turned off. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "../util/envmap.h"
#include "../util/error.h"
#include "../util/strbuf.h"

#define ENGINE_API_MIN      "1.41"
#define ENGINE_API_MAX      "1.45"
#define ENGINE_RESPONSE_MAX ((size_t)64 * 1024 * 1024)

typedef struct EngineConfig {
        char *host;      /* unix:///path or tcp://host:port */
        bool tls;        /* DOCKER_TLS_VERIFY: mutual TLS with verification */
        char *cert_path; /* holds ca.pem, cert.pem, key.pem */
        long timeout_s;  /* a call's default limit */
} EngineConfig;

/* Fills cfg from DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and DOCKER_CONFIG as the docker CLI
 * reads them; host_override (--host) wins when given. */
int engine_config_from_env(EngineConfig *cfg, const EnvMap *env, const char *host_override, BerthError *err);
void engine_config_done(EngineConfig *cfg);

typedef struct EngineClient EngineClient;

int engine_client_new(const EngineConfig *cfg, EngineClient **ret, BerthError *err);
/* A client for another thread, sharing the negotiated version. */
int engine_client_clone(const EngineClient *c, EngineClient **ret, BerthError *err);
EngineClient *engine_client_free(EngineClient *c);
const char *engine_client_version(const EngineClient *c);
/* The engine that answered /_ping: Docker, or Podman's Docker-compatible service (no swarm, and its
 * own defaults where the user wrote none). */
typedef enum EngineKind {
        ENGINE_DOCKER,
        ENGINE_PODMAN,
} EngineKind;
EngineKind engine_client_kind(const EngineClient *c);
/* "Docker 24.0.7", "Podman 4.3.1": for status, reports and messages. */
const char *engine_client_product(const EngineClient *c);
const char *engine_client_host(const EngineClient *c);

/* One API call. path starts with "/" and is prefixed with the negotiated version. body may be NULL.
 * what names the action for errors ("create container web-app-1"). Returns 0 on 2xx/304 with the
 * parsed JSON (NULL for an empty body) in *ret_json if asked for, or a negative errno: -ENOENT for 404,
 * -EEXIST for 409, -EINVAL for 400, -EACCES for 401/403, -EIO otherwise; *ret_status gets the code. */
int engine_call(EngineClient *c, const char *method, const char *path, const cJSON *body, const char *what,
                long timeout_s, long *ret_status, cJSON **ret_json, BerthError *err);
/* Like engine_call, but the raw body goes to out (not parsed), for logs and streams. The body may be a
 * tar stream: content_type says so. */
int engine_call_raw(EngineClient *c, const char *method, const char *path, const void *body, size_t body_len,
                    const char *content_type, const char *extra_header, const char *what, long timeout_s,
                    long *ret_status, StrBuf *out, BerthError *err);
/* A call whose request body is made as it is sent (read: into buf, up to size; 0 at the end, < 0 when
 * it cannot go on, read_failed then says so) and whose reply is handed on line by line as it comes
 * (line: < 0 stops the call with that error). Either may be NULL. */
typedef struct EngineStream {
        ssize_t (*read)(void *ud, char *buf, size_t size);
        bool (*read_failed)(void *ud);
        int (*line)(void *ud, const char *line, size_t len);
        void *ud;
} EngineStream;

int engine_call_stream(EngineClient *c, const char *method, const char *path, const EngineStream *stream,
                       const char *content_type, const char *extra_header, const char *what, long timeout_s,
                       BerthError *err);
/* The error a line of a streamed JSON reply (pull, build, push) carries ({"error": ...} or
 * {"errorDetail": {"message": ...}}), or NULL. */
const char *engine_stream_error(const cJSON *line);
/* Checks a streamed JSON reply (pull, build, push) for {"error": ...} messages. */
int engine_stream_check(const StrBuf *body, const char *what, BerthError *err);

/* Percent-encodes s for a query string into out. */
int engine_escape(const char *s, StrBuf *out);

DEFINE_TRIVIAL_CLEANUP_FUNC(EngineClient *, engine_client_free)
#define _cleanup_engine_ _cleanup_(engine_client_freep)
