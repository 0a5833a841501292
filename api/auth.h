/* auth.h: berth-api's bearer tokens.
 *
 * The token file holds one line per token, "sha256:<hex> <name> <role>", never the token itself;
 * roles are "read" (GET only) and "write". A request's token is hashed and compared with every line in
 * constant time. The name becomes the author of the commits the request makes. A Tokens owns its
 * entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef enum Role {
        ROLE_NONE = 0,
        ROLE_READ,
        ROLE_WRITE,
} Role;

typedef struct Token {
        unsigned char hash[32];
        char name[64];
        Role role;
} Token;

typedef struct Tokens {
        Token *items;
        size_t n;
} Tokens;

/* Reads the token file; a bad line is an error naming the file and line. */
int tokens_load(const char *path, Tokens *ret, BerthError *err);
void tokens_done(Tokens *t);
/* The entry for the token a request presented (its bytes, not NUL-terminated), or NULL. */
const Token *tokens_check(const Tokens *t, const char *token, size_t len);
/* The file's line for a token: "sha256:<hex> NAME ROLE" (ret is at least 200 bytes). */
int token_line(const char *token, size_t len, const char *name, const char *role, char *ret, size_t size);
