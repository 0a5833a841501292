/* runtime.c: decrypted files of a stack on tmpfs (runtime.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../util/digest.h"
#include "../util/fileio.h"
#include "runtime.h"

static int runtime_root(const EnvMap *env, char **ret)
{
        const char *dir = env ? envmap_get(env, "BERTH_RUNTIME_DIR") : NULL;
        const char *xdg = env ? envmap_get(env, "XDG_RUNTIME_DIR") : NULL;
        if (dir && *dir)
                *ret = strdup(dir);
        else if (geteuid() == 0 || !xdg || !*xdg)
                *ret = geteuid() == 0 ? strdup("/run/berth") : NULL;
        else
                *ret = path_join(xdg, "berth");
        if (!*ret && geteuid() != 0 && asprintf(ret, "/dev/shm/berth-%u", (unsigned)geteuid()) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

int runtime_stack_dir(const EnvMap *env, const char *repo, const char *stack, char **ret, BerthError *err)
{
        _cleanup_free_ char *root = NULL;
        _cleanup_(digest_freep) Digest *d = digest_new();
        char hex[DIGEST_HEX_LEN + 1];
        if (!d || runtime_root(env, &root) < 0 ||
            digest_update(d, repo ? repo : "local", strlen(repo ? repo : "local")) < 0 ||
            digest_final_hex(d, hex) < 0)
                return -ENOMEM;
        hex[16] = '\0';
        return asprintf(ret, "%s/%s/%s", root, hex, stack) < 0 ? -ENOMEM : 0;
}

char *runtime_path(const char *dir, const Project *p, const char *file)
{
        size_t n = strlen(p->root);
        const char *rel = strncmp(file, p->root, n) == 0 && file[n] == '/' ? file + n + 1 : file;
        while (*rel == '/')
                rel++;
        return path_join(dir, rel);
}

static int mkdirs(const char *path, BerthError *err)
{
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                        return error_set(err, -errno, copy, 0, 0, NULL,
                                         "cannot make the runtime directory: %m");
                *p = '/';
        }
        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                return error_set(err, -errno, copy, 0, 0, NULL, "cannot make the runtime directory: %m");
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int write_file(const char *path, const PlainFile *f, BerthError *err)
{
        int r = file_replace_at(AT_FDCWD, path, f->data, f->len, 0444);
        return r < 0 ? error_set(err, r, path, 0, 0, NULL, "cannot write a decrypted file: %s", strerror(-r))
                     : 0;
}

/* Whether path holds exactly f's bytes (then it is left alone: a running container mounts it). */
static bool same_file(const char *path, const PlainFile *f)
{
        char *buf = NULL;
        size_t len = 0;
        bool same = file_read(path, f->len + 1, &buf, &len, NULL) >= 0 && len == f->len &&
                    CRYPTO_memcmp(buf, f->data, len) == 0;
        if (buf)
                OPENSSL_clear_free(buf, len);
        return same;
}

/* The files under the directory being cleaned that the project still has (nftw() takes no context). */
static _Thread_local const Project *keep_project;
static _Thread_local const char *keep_dir;

static int drop_stale(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag != FTW_F && flag != FTW_SL)
                return 0;
        for (size_t i = 0; i < keep_project->n_plain_files; i++) {
                _cleanup_free_ char *want =
                        runtime_path(keep_dir, keep_project, keep_project->plain_files[i].path);
                if (want && strcmp(want, path) == 0)
                        return 0;
        }
        unlink(path);
        return 0;
}

int runtime_write(const char *dir, const Project *p, BerthError *err)
{
        struct statfs fs;
        int r;

        if ((r = mkdirs(dir, err)) < 0)
                return r;
        if (statfs(dir, &fs) < 0)
                return error_set(err, -errno, dir, 0, 0, NULL, "cannot inspect the runtime directory: %m");
        if (fs.f_type != TMPFS_MAGIC && fs.f_type != RAMFS_MAGIC) {
                error_set(
                        err, -EPERM, dir, 0, 0, NULL,
                        "the runtime directory is not on tmpfs, and berth writes no decrypted file to disk");
                error_hint(err,
                           "set BERTH_RUNTIME_DIR to a directory on tmpfs (such as under /run or /dev/shm)");
                return -EPERM;
        }
        for (size_t i = 0; i < p->n_plain_files; i++) {
                const PlainFile *f = &p->plain_files[i];
                _cleanup_free_ char *path = runtime_path(dir, p, f->path);
                _cleanup_free_ char *parent = path ? path_dirname(path) : NULL;
                if (!parent)
                        return -ENOMEM;
                if ((r = mkdirs(parent, err)) < 0)
                        return r;
                if (!same_file(path, f) && (r = write_file(path, f, err)) < 0)
                        return r;
        }
        /* Files of the stack's earlier commits that no longer are. */
        keep_project = p;
        keep_dir = dir;
        nftw(dir, drop_stale, 16, FTW_PHYS);
        keep_project = NULL;
        return 0;
}

int runtime_remove(const EnvMap *env, const char *repo, const char *stack)
{
        _cleanup_free_ char *dir = NULL;
        int r = runtime_stack_dir(env, repo, stack, &dir, NULL);
        if (r < 0)
                return r;
        if (access(dir, F_OK) < 0)
                return 0;
        return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}
