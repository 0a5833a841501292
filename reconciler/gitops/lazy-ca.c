/* lazy-ca.c: libgit2's CA certificates read when its first TLS connection is set up, not at start-up.
 *
 * Debian's libgit2 1.5 (built with mbedTLS) parses the system's CA bundle inside git_libgit2_init:
 * about 150 certificates, base64 decoded in constant time, took 4 ms of a 15 ms no-op reconcile, which
 * opens no TLS connection at all (its config repo is a local checkout; only berth-api's fetch and
 * push may be https). Linked in with --wrap (meson.build, static_deps), libgit2's calls come here: the
 * parse is noted against the chain libgit2 hands over, and made into that same chain before the first
 * TLS context is set up, which is before any certificate is checked against it. A chain freed before
 * then is forgotten. A bundle that does not parse leaves the chain short, as it would have at init:
 * libgit2 goes on without it there too, and a peer it cannot verify is then refused. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

int __real_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
void __real_mbedtls_x509_crt_free(mbedtls_x509_crt *crt);
int __real_mbedtls_ssl_setup(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf);
int __wrap_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
void __wrap_mbedtls_x509_crt_free(mbedtls_x509_crt *crt);
int __wrap_mbedtls_ssl_setup(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_x509_crt *pending; /* the chain whose file is not parsed yet, or NULL */
static char *pending_path;

/* Called with lock held. */
static void parse_pending(void)
{
        if (pending)
                (void)__real_mbedtls_x509_crt_parse_file(pending, pending_path);
        pending = NULL;
        free(pending_path);
        pending_path = NULL;
}

int __wrap_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path)
{
        char *copy = strdup(path);
        if (!copy)
                return __real_mbedtls_x509_crt_parse_file(chain, path);
        pthread_mutex_lock(&lock);
        /* A second location (GIT_OPT_SET_SSL_CERT_LOCATIONS) while one waits: the first is made now, so
         * that only one is ever pending. */
        parse_pending();
        pending = chain;
        pending_path = copy;
        pthread_mutex_unlock(&lock);
        return 0;
}

void __wrap_mbedtls_x509_crt_free(mbedtls_x509_crt *crt)
{
        pthread_mutex_lock(&lock);
        if (crt && crt == pending) {
                pending = NULL;
                free(pending_path);
                pending_path = NULL;
        }
        pthread_mutex_unlock(&lock);
        __real_mbedtls_x509_crt_free(crt);
}

int __wrap_mbedtls_ssl_setup(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf)
{
        pthread_mutex_lock(&lock);
        parse_pending();
        pthread_mutex_unlock(&lock);
        return __real_mbedtls_ssl_setup(ssl, conf);
}
