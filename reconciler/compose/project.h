/* project.h: one compose project, loaded and resolved into compose's canonical model.
 *
 * project_load() reads the compose files and the environment, and returns a Project that owns all of
 * it: the canonical model (long syntax, defaults filled, keys sorted, as `docker compose config`
 * prints it), the positions of its nodes, and for each service the files whose contents it depends
 * on, with a digest of each file's contents. Every file is read through a project source (source.h):
 * the caller's, or else the directory the project is in (the top of its git work tree, if it is in
 * one). Paths in the model are absolute under the source's root; the content hash reads that root as
 * "@", so a stack hashes the same wherever its files are written. Nothing in a Project refers to the
 * options it was loaded with. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../secrets/age.h"
#include "../source/source.h"
#include "../util/envmap.h"
#include "../util/names.h"
#include "../util/error.h"
#include "../util/srcmap.h"

typedef struct ComposeOptions {
        char **files; /* -f, in order; none: COMPOSE_FILE, then the standard names */
        size_t n_files;
        const char *project_name;      /* -p */
        const char *project_directory; /* --project-directory */
        char **env_files;              /* --env-file; none: <project dir>/.env if present */
        size_t n_env_files;
        char **profiles; /* --profile, added to COMPOSE_PROFILES */
        size_t n_profiles;
        const EnvMap *os_env; /* the process environment; it wins over .env */
        const char *cwd;      /* NULL: the current directory */
        Source *source;       /* borrowed; NULL: the project's directory (see above) */
        /* The keys that open SOPS files (secrets/sops.h): a .env or env_file that is one is decrypted
         * in memory. NULL: none; such a file is an error that names the keys it needs. */
        const AgeIdentities *age_keys;
        /* Leave SOPS files closed (berth-api, which holds no key): a SOPS dotenv file gives its names
         * with empty values, other files count as they are. */
        bool secrets_unread;
} ComposeOptions;

/* A file of the project that is a SOPS document, decrypted: what a container mounts instead of it. */
typedef struct PlainFile {
        char *path; /* as the model names it */
        char *data; /* wiped when the project is freed */
        size_t len;
} PlainFile;

typedef struct Project {
        char *name;
        char *dir;       /* absolute project directory */
        char **files;    /* absolute paths of the compose files read, NULL-terminated */
        cJSON *model;    /* the canonical model */
        cJSON *refs;     /* { service: [absolute file paths its config depends on] } */
        cJSON *contents; /* { path: sha256 of its contents, or null when it is missing } for refs */
        char *root;      /* the source's root: what the hash reads as "@" */
        SrcMap *src;     /* positions of the model's nodes */
        EnvMap dotenv;   /* what the .env files said */
        char **warnings; /* NULL-terminated */
        /* The values read from SOPS files. Wherever one of them is part of a string of the model, that
         * string shows nowhere: outputs print it redacted, hashes take it keyed with secret_key (derived
         * from the age key that opened the file: unknown to anyone who holds only the repo). */
        char **secrets; /* NULL-terminated */
        size_t n_secrets;
        unsigned char secret_key[32];
        /* Mounted files (secrets, configs, bind mounts) that are SOPS documents, decrypted. */
        PlainFile *plain_files;
        size_t n_plain_files;
} Project;

int project_load(const ComposeOptions *opts, Project **ret, BerthError *err);
Project *project_free(Project *p);

/* A service's content hash (DESIGN.md): its canonical config without build, pull_policy, replicas,
 * depends_on and profiles, the contents of every file it references, and image_digest when known. */
int project_service_hash(const Project *p, const char *service, const char *image_digest, char ret[65]);

typedef enum RedactMode {
        REDACT_TEXT, /* "**redacted**" */
        REDACT_HASH, /* "hmac-sha256:" and the string's HMAC under secret_key */
} RedactMode;

/* The decrypted content of a mounted SOPS file of the model; NULL when path is no such file. */
const PlainFile *project_plain_file(const Project *p, const char *path);

/* Whether s holds one of the project's secret values. */
bool project_is_secret(const Project *p, const char *s);
/* Replaces, in place, every string under node that holds a secret value (see Project.secrets). */
int project_redact(const Project *p, cJSON *node, RedactMode mode);

DEFINE_TRIVIAL_CLEANUP_FUNC(Project *, project_free)
#define _cleanup_project_ _cleanup_(project_freep)
