/* files.h: SOPS files on disk, for the people who keep them (`berth secrets`): the creation rule a new
 * file gets from .sops.yaml, a file opened, and an edit whose plain text lives only on tmpfs. */
#pragma once

#include <stdbool.h>

#include "../util/error.h"
#include "rules.h"
#include "sops.h"

#define SOPS_FILE_MAX ((size_t)16 * 1024 * 1024)

/* The creation rule for file: from the first .sops.yaml found from its directory up, as sops finds
 * it. -ENOENT, said so, when there is none. */
int sops_rule_for_file(const char *file, SopsRule *rule, BerthError *err);
/* Encrypts file's plain text (in the format of its extension) to recipients (each an age recipient or
 * a comma-separated list of them), or with none to the rule .sops.yaml has for it; *ret is the SOPS
 * document. */
int sops_encrypt_file(const char *file, char *const *recipients, size_t n, char **ret, size_t *ret_len,
                      BerthError *err);
/* Reads and decrypts file; a file without SOPS metadata is -EINVAL, said so. */
int sops_read_file(const char *file, const AgeIdentities *ids, SopsPlain *plain, BerthError *err);
/* Decrypts file into a 0600 file in a directory of its own on tmpfs ($XDG_RUNTIME_DIR, else /dev/shm;
 * never a disk), has editor change it there, wipes and removes it, and encrypts what was written back
 * into file, keeping its recipients, its rules and the ciphertext of every value not changed.
 * *ret_unchanged says the editor changed nothing (file is then untouched). An editor that fails
 * (< 0) leaves file as it was, with its error returned. */
int sops_edit_file(const char *file, const AgeIdentities *ids, int (*editor)(void *ud, const char *path),
                   void *ud, bool *ret_unchanged, BerthError *err);
