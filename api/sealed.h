/* sealed.h: a stack's write-only options, committed as its SOPS-encrypted .env.
 *
 * berth-api holds public keys only. It encrypts the write-only values of a request to the age
 * recipients that the config repo's .sops.yaml gives stacks/<name>/.env, and can never read them back:
 * all it knows of a stack's sealed values is their names (a SOPS dotenv file keeps its keys in clear).
 * The reconciler, which holds the private key, fills the rendered file's ${option} placeholders from
 * that .env. A .env is written whole, so changing one write-only option takes all of them again; a
 * request that gives none keeps the file as it is. */
#pragma once

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "gitops/repo.h"
#include "template/render.h"

typedef struct Sealed {
        cJSON *given; /* the request's write-only values, taken out of its options (wiped when done) */
        char *env;    /* the .env to commit, or NULL: the stack's stays as it is */
        size_t env_len;
        char *was; /* the .env it replaces, as read at the request's head; NULL: none */
        size_t was_len;
} Sealed;

/* Takes the write-only values out of options (filled and validated by definition_options): options is
 * then what may be shown and committed in clear. A value must be one line of text; on a refusal fills
 * res and returns its status. */
int sealed_take(const Definition *d, cJSON *options, Sealed *s, Response *res);
/* Which write-only values the stack will have, checked (a required one given now or before; none of
 * the old ones lost), and the given ones encrypted into s->env. On a refusal fills res and returns its
 * status. */
int sealed_seal(Repo *repo, const char *head, const char *stack, const Definition *d, Sealed *s,
                Response *res);
/* Whether the stack's .env at head is the one sealed_seal() saw: a commit retried onto a newer head
 * must not replace a .env that someone changed meanwhile. */
bool sealed_current(const Sealed *s, Repo *repo, const char *head, const char *stack);
/* The names the SOPS .env of the stack directory dir sets at head, as a JSON array; NULL: none. */
cJSON *sealed_names(Repo *repo, const char *head, const char *dir);
/* "db_password, smtp_password": the names of the given values, for a commit message. */
void sealed_given_names(const Sealed *s, char *out, size_t size);
void sealed_done(Sealed *s);
