/* runtime.h: a stack's decrypted files on tmpfs, where a standalone engine bind-mounts them from.
 *
 * A SOPS file that a container mounts (a compose secret or config, a bind-mounted file) must reach the
 * engine as a file, and plain text must never be on disk: it is written under a private runtime
 * directory on tmpfs (BERTH_RUNTIME_DIR; default /run/berth for root, else $XDG_RUNTIME_DIR/berth),
 * <root>/<repo key>/<stack>/ with the stack's relative paths, directories 0700, files 0444 (a container
 * may run as any user; the 0700 directories keep the host's other users out). It is removed with the
 * stack, and written again by every deploy, since tmpfs is empty after a reboot. */
#pragma once

#include "../compose/project.h"
#include "../util/envmap.h"
#include "../util/error.h"

/* The stack's runtime directory (not created). repo: the repo identity ("local" outside a repo). */
int runtime_stack_dir(const EnvMap *env, const char *repo, const char *stack, char **ret, BerthError *err);
/* Makes dir hold exactly the project's plain files: refuses a root that is not on tmpfs. */
int runtime_write(const char *dir, const Project *p, BerthError *err);
/* The path a plain file of the project has under dir (owned). */
char *runtime_path(const char *dir, const Project *p, const char *file);
/* Removes the stack's runtime directory, if there is one. */
int runtime_remove(const EnvMap *env, const char *repo, const char *stack);
