/* names.h: the one rule for a stack's name, shared by the repo reader, the compose loader and the CLI. */
#pragma once

/* A compose project (stack) name: ^[a-z0-9][a-z0-9_-]{0,62}$. Nothing else can name a stack, which
 * is what keeps a name from ever being a path. Returns 1 if valid, 0 if not. */
int project_name_valid(const char *name);
