/* statedir.h: the stacks' directories on the host, where the files containers use through bind mounts
 * and file configs are written: $BERTH_STATE_DIR/<repo key>/<stack>.
 *
 * Invariants. The state directory and each repo's directory are 0700 and owned by the running user;
 * berth's own files in them (manifests, markers) are 0600. Every write goes through directory file
 * descriptors opened with O_NOFOLLOW, to a temporary name that is then renamed into place, so a
 * symlink that a container planted can neither be followed nor be written through. Each stack has a
 * manifest, <key>/<stack>.manifest, of every path berth wrote for it and the digest of what it wrote;
 * berth deletes only paths that manifest holds, and a file whose content is no longer what berth wrote
 * is kept (a container changed it). Whatever else is in a stack's directory (runtime data that
 * containers write under a bind mount) is never touched, unless a removal is asked to take everything.
 *
 * A StateDir owns the descriptor of one repo's directory; a StateSync owns one stack's sync in
 * progress. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "../util/envmap.h"
#include "../util/error.h"

typedef struct StateDir StateDir;
typedef struct StateSync StateSync;

/* The state directory the environment names: BERTH_STATE_DIR, else /var/lib/berth for root, else
 * $HOME/.local/state/berth. Without either variable (and not root) it is an error that says what to
 * set; there is no fallback into a shared directory such as /tmp. */
int statedir_default(const EnvMap *env, char **ret, BerthError *err);

/* Opens (with create, makes 0700) state_dir and the repo's directory in it, named by a digest of
 * identity so two repos on one host never share one. A state_dir owned by another user is refused.
 * Without create (a plan, which writes nothing) a missing directory is no error: paths are still
 * known, and markers read as "". */
int statedir_open(const char *state_dir, const char *identity, bool create, StateDir **ret, BerthError *err);
StateDir *statedir_free(StateDir *sd);
/* The absolute path of a stack's directory (it may not exist yet): the root its source stands for. */
char *statedir_stack_path(const StateDir *sd, const char *stack);

/* The commit a stack's directory was last synced to ("" if none); ret is 41 bytes. */
void statedir_marker_read(StateDir *sd, const char *stack, char ret[41]);

/* The exact images a deploy of commit ran, {service: "repo@sha256:..."}, kept for the stack's last
 * STATEDIR_PINS_KEPT deployed commits, so that a rollback brings back those bytes and not what the
 * tags name now. read returns a new object, or NULL when the commit has no record. */
#define STATEDIR_PINS_KEPT 20
int statedir_pins_write(StateDir *sd, const char *stack, const char *commit, const cJSON *pins,
                        BerthError *err);
cJSON *statedir_pins_read(StateDir *sd, const char *stack, const char *commit);

/* A sync: every entry of the new commit is put (parents first: directories with mode 040000, files,
 * symlinks with mode 0120000 and their target as data), then finish removes what the previous
 * manifest holds and the commit does not, writes the new manifest and marks the commit. A symlink is
 * written only if it stays inside the stack's directory. */
int statedir_sync_begin(StateDir *sd, const char *stack, StateSync **ret, BerthError *err);
int statedir_sync_put(void *sync, const char *rel, unsigned mode, const void *data, size_t len);
int statedir_sync_finish(StateSync *sync, const char *commit, BerthError *err);
StateSync *statedir_sync_free(StateSync *sync);
/* The error of a put that failed (puts have RepoFileFn's signature). */
const BerthError *statedir_sync_error(const StateSync *sync);

/* What a removal left in place. */
typedef struct StateKept {
        char *path; /* the stack's directory, when anything is left in it */
        uint64_t files, bytes;
} StateKept;

/* Removes what berth wrote for the stack (everything: the whole directory, as prune_volumes asks). */
int statedir_remove(StateDir *sd, const char *stack, bool everything, StateKept *ret, BerthError *err);
void state_kept_done(StateKept *k);

static inline void statedir_freep(StateDir **p)
{
        statedir_free(*p);
}
static inline void statedir_sync_freep(StateSync **p)
{
        statedir_sync_free(*p);
}
