/* files.c: SOPS files on disk: rules, reading, and editing on tmpfs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../util/cleanup.h"
#include "../util/fileio.h"
#include "files.h"

/* The creation rule for file: from the first .sops.yaml found from its directory up, as sops finds it. */
int sops_rule_for_file(const char *file, SopsRule *rule, BerthError *err)
{
        _cleanup_free_ char *abs = path_absolute(NULL, file), *dir = NULL;
        if (!abs)
                return -ENOMEM;
        dir = path_dirname(abs);
        while (dir) {
                _cleanup_free_ char *cfg = path_join(dir, ".sops.yaml");
                _cleanup_free_ char *buf = NULL;
                size_t len;
                if (!cfg)
                        return -ENOMEM;
                int r = file_read(cfg, SOPS_FILE_MAX, &buf, &len, err);
                if (r == -ENOENT) {
                        if (err)
                                *err = (BerthError){ 0 };
                        if (strcmp(dir, "/") == 0)
                                break;
                        char *up = path_dirname(dir);
                        free(dir);
                        dir = up;
                        continue;
                }
                if (r < 0)
                        return r;
                const char *rel = abs + strlen(dir) + (strcmp(dir, "/") != 0);
                return sops_rule_find(buf, len, cfg, rel, abs, rule, err);
        }
        return error_set(err, -ENOENT, file, 0, 0, NULL,
                         "no recipient: give --age, or add a .sops.yaml with creation_rules");
}

int sops_read_file(const char *file, const AgeIdentities *ids, SopsPlain *plain, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = file_read(file, SOPS_FILE_MAX, &buf, &len, err);
        if (r >= 0)
                r = sops_decrypt(sops_format_of(file), buf, len, file, ids, plain, err);
        if (r == 0)
                return error_set(err, -EINVAL, file, 0, 0, NULL,
                                 "this is no SOPS document (it has no sops metadata)");
        return r < 0 ? r : 0;
}

int sops_encrypt_file(const char *file, char *const *recipients, size_t n, char **ret, size_t *ret_len,
                      BerthError *err)
{
        _cleanup_(sops_rule_done) SopsRule rule = { 0 };
        _cleanup_free_ char *plain = NULL;
        size_t len = 0;
        int r = n ? 0 : sops_rule_for_file(file, &rule, err);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sops_rule_add_recipients(&rule, recipients[i], err);
        if (r < 0 || (r = file_read(file, SOPS_FILE_MAX, &plain, &len, err)) < 0)
                return r;
        r = sops_encrypt(sops_format_of(file), plain, len, file, &rule.o, ret, ret_len, err);
        OPENSSL_cleanse(plain, len);
        return r;
}

static bool on_tmpfs(const char *dir)
{
        struct statfs fs;
        return statfs(dir, &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
}

/* Overwrites the file with zeros before it is unlinked: tmpfs pages may be reused. */
static void wipe(const char *path)
{
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return;
        if (fstat(fd, &st) == 0 && st.st_size > 0) {
                char zero[4096] = { 0 };
                for (off_t left = st.st_size; left > 0; left -= (off_t)sizeof(zero))
                        if (write(fd, zero, left < (off_t)sizeof(zero) ? (size_t)left : sizeof(zero)) < 0)
                                break;
        }
        close(fd);
}

/* The plain text through the editor, on tmpfs: into *ret (the caller cleanses and frees it). */
static int edit_on_tmpfs(const char *file, const SopsPlain *plain, int (*editor)(void *ud, const char *path),
                         void *ud, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        const char *base = xdg && *xdg && on_tmpfs(xdg) ? xdg : "/dev/shm";
        if (!on_tmpfs(base))
                return error_set(err, -EPERM, file, 0, 0, NULL,
                                 "no tmpfs to edit on (%s); berth writes no plain text to disk", base);
        const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        if (asprintf(&dir, "%s/berth-edit-XXXXXX", base) < 0 || !mkdtemp(dir) ||
            asprintf(&path, "%s/%s", dir, name) < 0)
                return error_set(err, -errno, file, 0, 0, NULL, "cannot make a place to edit in on %s: %m",
                                 base);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r = fd < 0 ? -errno : fd_write_all(fd, plain->data, plain->len);
        if (fd >= 0)
                close(fd);
        if (r >= 0)
                r = editor(ud, path);
        if (r >= 0)
                r = file_read(path, SOPS_FILE_MAX, ret, ret_len, err);
        wipe(path);
        unlink(path);
        rmdir(dir);
        return r < 0 ? r : 0;
}

int sops_edit_file(const char *file, const AgeIdentities *ids, int (*editor)(void *ud, const char *path),
                   void *ud, bool *ret_unchanged, BerthError *err)
{
        _cleanup_(sops_plain_done) SopsPlain plain = { 0 };
        _cleanup_free_ char *old = NULL, *edited = NULL, *doc = NULL;
        size_t old_len = 0, edited_len = 0, doc_len = 0;
        struct stat st;
        int r;

        *ret_unchanged = false;
        if ((r = sops_read_file(file, ids, &plain, err)) < 0 ||
            (r = file_read(file, SOPS_FILE_MAX, &old, &old_len, err)) < 0)
                return r;
        if (stat(file, &st) < 0)
                return error_set(err, -errno, file, 0, 0, NULL, "%m");
        if ((r = edit_on_tmpfs(file, &plain, editor, ud, &edited, &edited_len, err)) < 0)
                return r;
        if (edited_len == plain.len && CRYPTO_memcmp(edited, plain.data, plain.len) == 0) {
                OPENSSL_cleanse(edited, edited_len);
                *ret_unchanged = true;
                return 0;
        }
        r = sops_edit(sops_format_of(file), old, old_len, edited, edited_len, file, ids, &doc, &doc_len,
                      err);
        OPENSSL_cleanse(edited, edited_len);
        if (r < 0)
                return r;
        if ((r = file_replace_at(AT_FDCWD, file, doc, doc_len, st.st_mode & 07777)) < 0)
                return error_set(err, r, file, 0, 0, NULL, "cannot write it back: %s", strerror(-r));
        return 0;
}
