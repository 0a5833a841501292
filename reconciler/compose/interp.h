/* interp.h: compose variable interpolation: $VAR ${VAR} ${VAR:-d} ${VAR-d} ${VAR:?e} ${VAR?e} ${VAR:+a}
 * ${VAR+a}, nested to any depth in the default, error and alternative words, and $$ for a literal $.
 *
 * Words are expanded lazily: a default that is not used is not looked at, and its variables raise no
 * "not set" warning. Errors name the variable (a missing required one) or quote the whole template (an
 * invalid one), in compose's words. */
#pragma once

#include <stddef.h>

#include "../util/envmap.h"
#include "../util/error.h"
#include "../util/strbuf.h"

typedef void (*InterpUnsetFn)(void *userdata, const char *name, size_t len);

typedef struct Interp {
        const EnvLookup *env;
        InterpUnsetFn on_unset; /* called for each variable used while unset; may be NULL */
        void *userdata;
} Interp;

/* Appends the expansion of s[0..len) to out. On error returns -EINVAL with err's message set to
 * compose's text; nothing else of err is filled, so callers add the place. */
int interp_expand(const Interp *ip, const char *s, size_t len, StrBuf *out, BerthError *err);
/* True when s has anything interpolation would change. */
int interp_needed(const char *s);

/* s expanded from env alone, strictly: a variable used while unset is an error (-EINVAL, err's message
 * names it), for values where an empty string would silently mean something else (hosts, paths, image
 * tags). *ret is owned by the caller. */
int interp_strict(const char *s, const EnvMap *env, char **ret, BerthError *err);
