/* loader.h: what the files that load a compose project share (project.c drives them): the loader's
 * state, and each step's entry point. Internal to compose/: nothing outside includes it.
 *
 *   casts.c     interpolation of a file and the type casts compose makes after it
 *   files.c     reading through the project source (SOPS files decrypted), one compose file loaded
 *   extends.c   services extending others, in this file or another
 *   discover.c  which files, which .env, which name, which profiles, which source
 *   finalize.c  environment and references resolved, resources named, cycles refused, order fixed */
#pragma once

#include "../schema/schema.h"
#include "../secrets/sops.h"
#include "../util/digest.h"
#include "../util/fileio.h"
#include "dotenv.h"
#include "interp.h"
#include "merge.h"
#include "normalize.h"
#include "project.h"

#define COMPOSE_FILE_MAX ((size_t)8 * 1024 * 1024)
#define ENV_FILE_MAX     ((size_t)1024 * 1024)
#define MAX_SERVICES     10000
#define MAX_FILES        64
#define MAX_REPLICAS     1000
#define HASH_FILE_MAX    ((size_t)64 * 1024 * 1024)

typedef struct Loaded {
        char *path;
        cJSON *doc;
} Loaded;

typedef struct Loader {
        ComposeCtx c;
        const ComposeOptions *o;
        Project *p;
        EnvLookup env; /* OS environment over .env */
        const char *home;
        Source *src;   /* a reference: the caller's source, or the directory's */
        Loaded *cache; /* files loaded for extends */
        size_t n_cache;
        char **chain; /* extends chain, for cycle errors */
        size_t n_chain;
        bool keyed; /* p->secret_key is set (by the first SOPS file read) */
} Loader;

int loader_interpolate(Loader *l, cJSON *doc);
int loader_add_secret(Project *p, const char *value);
int loader_read_plain(Loader *l, const char *path, size_t max, const cJSON *node, const char *keypath,
                      const char *what, char **ret, size_t *ret_len, bool *ret_secret,
                      unsigned char hash_key[32]);
void loader_free_plain(char *buf, size_t len);
int loader_note_read(Loader *l, const char *path, const char *buf, size_t len, bool secret,
                     const unsigned char key[32], bool mounted);
int loader_note_contents(Loader *l, const char *path, const cJSON *node, const char *keypath, bool mounted);
int loader_load_file(Loader *l, const char *path, const cJSON *node, const char *keypath, cJSON **ret);
int loader_resolve_extends(Loader *l, cJSON *services, const char *name, const char *file);
int loader_read_dotenv(Loader *l, const char *path, bool required);
const char *loader_env_get(Loader *l, const char *key);
int loader_add_file(Project *p, size_t *n, const char *abs);
int loader_find_files(Loader *l, const char *cwd);
int loader_choose_name(Loader *l);
int loader_apply_profiles(Loader *l, cJSON *services);
int loader_open_source(Loader *l, const ComposeOptions *o, const char *cwd);
int loader_finalize_service(Loader *l, cJSON *services, cJSON *svc);
int loader_check_cycles(Loader *l, cJSON *services);
int loader_finalize_resources(Loader *l, const char *key);
void loader_order_top_level(cJSON *model);
int loader_check_secret_labels(Loader *l);
