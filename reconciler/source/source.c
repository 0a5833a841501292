/* source.c: the project source interface, its path confinement, and the directory and memory backings. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/fileio.h"
#include "../util/strbuf.h"
#include "source.h"

int source_init(Source *s, const SourceOps *ops, const char *root, const char *what)
{
        s->ops = ops;
        s->n_ref = 1;
        s->root = path_absolute("/", root);
        s->what = strdup(what ? what : root);
        return s->root && s->what ? 0 : -ENOMEM;
}

Source *source_ref(Source *s)
{
        if (s)
                s->n_ref++;
        return s;
}

Source *source_unref(Source *s)
{
        if (!s || --s->n_ref > 0)
                return NULL;
        free(s->root);
        free(s->what);
        strv_free(s->allowed);
        strv_free(s->explicit);
        s->ops->free(s);
        return NULL;
}

/* path folded against the root; *ret_rel points into *ret past the root, or is NULL when outside. */
static int fold(const Source *s, const char *path, char **ret, const char **ret_rel)
{
        char *abs = path_absolute(s->root, path);
        if (!abs)
                return -ENOMEM;
        size_t rl = strlen(s->root);
        *ret_rel = NULL;
        if (strcmp(s->root, "/") == 0)
                *ret_rel = abs + 1;
        else if (strncmp(abs, s->root, rl) == 0 && (abs[rl] == '/' || abs[rl] == '\0'))
                *ret_rel = abs[rl] ? abs + rl + 1 : abs + rl;
        *ret = abs;
        return 0;
}

int source_relative(const Source *s, const char *path, char **ret)
{
        _cleanup_free_ char *abs = NULL;
        const char *rel;
        int r = fold(s, path, &abs, &rel);
        if (r < 0)
                return r;
        if (!rel)
                return -EACCES;
        return (*ret = strdup(rel)) ? 0 : -ENOMEM;
}

static bool under(char *const *list, const char *abs)
{
        for (char *const *p = list; p && *p; p++) {
                size_t n = strlen(*p);
                if (strncmp(abs, *p, n) == 0 && (abs[n] == '\0' || abs[n] == '/' || strcmp(*p, "/") == 0))
                        return true;
        }
        return false;
}

static bool named(char *const *list, const char *abs)
{
        for (char *const *p = list; p && *p; p++)
                if (strcmp(*p, abs) == 0)
                        return true;
        return false;
}

/* A host file outside the source that may be read: regular files only, opened without blocking. */
static int host_read(const char *abs, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_close_ int fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT
                                       : error_set(err, -errno, abs, 0, 0, NULL, "cannot open file: %s",
                                                   strerror(errno));
        return file_read_fd(fd, abs, max, ret, ret_len, err);
}

int source_read(Source *s, const char *path, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_free_ char *abs = NULL;
        const char *rel;
        int r = fold(s, path, &abs, &rel);
        if (r < 0)
                return r;
        if (rel && !named(s->explicit, abs)) {
                BerthError e = { 0 };
                r = s->ops->read(s, rel, max, ret, ret_len, &e);
                /* Backings name files relative to the root; the caller knows them by their paths. */
                if (r < 0 && e.set && strcmp(e.file, rel) == 0)
                        snprintf(e.file, sizeof(e.file), "%s", abs);
                if (r < 0 && e.set && err && !err->set)
                        *err = e;
                return r;
        }
        if (named(s->explicit, abs) || under(s->allowed, abs))
                return host_read(abs, max, ret, ret_len, err);
        error_set(err, -EACCES, NULL, 0, 0, NULL, "\"%s\" is outside the stack's source (%s)", path,
                  s->what);
        error_hint(err, "a stack reads only files of its repo; allow a host path with allow_host_paths in "
                        "berth.yaml (BERTH_ALLOW_HOST_PATHS for berth config and up)");
        return -EACCES;
}

SourceKind source_kind(Source *s, const char *path)
{
        _cleanup_free_ char *abs = NULL;
        const char *rel;
        struct stat st;
        if (fold(s, path, &abs, &rel) < 0)
                return SRC_MISSING;
        if (rel && !named(s->explicit, abs))
                return s->ops->kind(s, rel);
        if (!named(s->explicit, abs) && !under(s->allowed, abs))
                return SRC_OTHER;
        if (stat(abs, &st) < 0)
                return SRC_MISSING;
        return S_ISREG(st.st_mode) ? SRC_FILE : S_ISDIR(st.st_mode) ? SRC_DIR : SRC_OTHER;
}

static int strv_push(char ***v, const char *s)
{
        size_t n = 0;
        while (*v && (*v)[n])
                n++;
        char **x = realloc(*v, (n + 2) * sizeof(char *));
        if (!x)
                return -ENOMEM;
        *v = x;
        if (!(x[n] = path_absolute("/", s)))
                return -ENOMEM;
        x[n + 1] = NULL;
        return 0;
}

int source_allow(Source *s, const char *const *paths, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int r = strv_push(&s->allowed, paths[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int source_explicit(Source *s, const char *path)
{
        return strv_push(&s->explicit, path);
}

bool source_name_valid(const char *name, size_t len)
{
        if (len == 0 || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.') ||
            (len == 4 && strncasecmp(name, ".git", 4) == 0))
                return false;
        /* Control characters (a newline above all) would break the manifest's lines and the logs. */
        for (size_t i = 0; i < len; i++)
                if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                        return false;
        return true;
}

bool source_path_valid(const char *rel)
{
        if (!*rel)
                return false;
        for (const char *p = rel;;) {
                const char *slash = strchrnul(p, '/');
                if (!source_name_valid(p, (size_t)(slash - p)))
                        return false;
                if (!*slash)
                        return true;
                p = slash + 1;
        }
}

/* ---- a directory ---- */

typedef struct DirSource {
        Source s;
        int fd;
} DirSource;

static int dir_open(DirSource *d, const char *rel, int flags)
{
        /* O_PATH takes no other flags than these; openat2 refuses what it would ignore. */
        int extra = (flags & O_PATH) ? O_CLOEXEC : O_CLOEXEC | O_NOCTTY;
        struct open_how how = { .flags = (unsigned long long)(flags | extra),
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        const char *p = *rel ? rel : ".";
        long fd = syscall(SYS_openat2, d->fd, p, &how, sizeof(how));
        return fd < 0 ? -errno : (int)fd;
}

static int dir_read(Source *s, const char *rel, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        DirSource *d = (DirSource *)s;
        _cleanup_close_ int fd = dir_open(d, rel, O_RDONLY | O_NONBLOCK);
        if (fd == -ENOENT)
                return -ENOENT;
        if (fd == -EXDEV || fd == -ELOOP) {
                error_set(err, -EACCES, rel, 0, 0, NULL, "leads outside %s through a symlink", s->what);
                return -EACCES;
        }
        if (fd < 0)
                return error_set(err, fd, rel, 0, 0, NULL, "cannot open file: %s", strerror(-fd));
        return file_read_fd(fd, rel, max, ret, ret_len, err);
}

static SourceKind dir_kind(Source *s, const char *rel)
{
        _cleanup_close_ int fd = dir_open((DirSource *)s, rel, O_PATH);
        struct stat st;
        if (fd == -ENOENT)
                return SRC_MISSING;
        if (fd < 0 || fstat(fd, &st) < 0)
                return SRC_OTHER;
        return S_ISREG(st.st_mode) ? SRC_FILE : S_ISDIR(st.st_mode) ? SRC_DIR : SRC_OTHER;
}

static void dir_free(Source *s)
{
        DirSource *d = (DirSource *)s;
        if (d->fd >= 0)
                close(d->fd);
        free(d);
}

static const SourceOps dir_ops = { .read = dir_read, .kind = dir_kind, .free = dir_free };

int source_dir_new(const char *root, Source **ret, BerthError *err)
{
        DirSource *d = calloc(1, sizeof(DirSource));
        if (!d)
                return -ENOMEM;
        d->fd = -1;
        _cleanup_free_ char *what = NULL;
        StrBuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "directory %s", root);
        what = strbuf_detach(&sb);
        int r = source_init(&d->s, &dir_ops, root, what);
        if (r < 0) {
                source_unref(&d->s);
                return r;
        }
        d->fd = open(d->s.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (d->fd < 0) {
                r = error_set(err, -errno, NULL, 0, 0, NULL, "cannot open \"%s\": %s", d->s.root,
                              strerror(errno));
                source_unref(&d->s);
                return r;
        }
        *ret = &d->s;
        return 0;
}

/* ---- memory ---- */

typedef struct MemFile {
        char *rel;
        char *data;
        size_t len;
} MemFile;

typedef struct MemSource {
        Source s;
        MemFile *files;
        size_t n;
} MemSource;

static int mem_read(Source *s, const char *rel, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        MemSource *m = (MemSource *)s;
        for (size_t i = 0; i < m->n; i++) {
                if (strcmp(m->files[i].rel, rel) != 0)
                        continue;
                if (m->files[i].len > max)
                        return error_set(err, -EFBIG, rel, 0, 0, NULL,
                                         "file too large (%zu bytes, limit %zu)", m->files[i].len, max);
                char *buf = malloc(m->files[i].len + 1);
                if (!buf)
                        return -ENOMEM;
                memcpy(buf, m->files[i].data, m->files[i].len);
                buf[m->files[i].len] = '\0';
                *ret = buf;
                if (ret_len)
                        *ret_len = m->files[i].len;
                return 0;
        }
        return -ENOENT;
}

static SourceKind mem_kind(Source *s, const char *rel)
{
        MemSource *m = (MemSource *)s;
        size_t rl = strlen(rel);
        for (size_t i = 0; i < m->n; i++) {
                if (strcmp(m->files[i].rel, rel) == 0)
                        return SRC_FILE;
                if (rl == 0 || (strncmp(m->files[i].rel, rel, rl) == 0 && m->files[i].rel[rl] == '/'))
                        return SRC_DIR;
        }
        return SRC_MISSING;
}

static void mem_free(Source *s)
{
        MemSource *m = (MemSource *)s;
        for (size_t i = 0; i < m->n; i++) {
                free(m->files[i].rel);
                free(m->files[i].data);
        }
        free(m->files);
        free(m);
}

static const SourceOps mem_ops = { .read = mem_read, .kind = mem_kind, .free = mem_free };

int source_memory_new(const char *root, const char *what, Source **ret)
{
        MemSource *m = calloc(1, sizeof(MemSource));
        if (!m)
                return -ENOMEM;
        int r = source_init(&m->s, &mem_ops, root, what ? what : "memory");
        if (r < 0) {
                source_unref(&m->s);
                return r;
        }
        *ret = &m->s;
        return 0;
}

int source_memory_add(Source *s, const char *rel, const void *data, size_t len)
{
        MemSource *m = (MemSource *)s;
        if (s->ops != &mem_ops || !source_path_valid(rel))
                return -EINVAL;
        MemFile *v = realloc(m->files, (m->n + 1) * sizeof(MemFile));
        if (!v)
                return -ENOMEM;
        m->files = v;
        MemFile *f = &m->files[m->n];
        f->rel = strdup(rel);
        f->data = malloc(len + 1);
        if (!f->rel || !f->data) {
                free(f->rel);
                free(f->data);
                return -ENOMEM;
        }
        memcpy(f->data, data, len);
        f->data[len] = '\0';
        f->len = len;
        m->n++;
        return 0;
}

/* ---- a source shared by threads: another source's reads, one at a time ---- */

typedef struct LockedSource {
        Source s;
        Source *inner;
        void (*lock)(void *ud);
        void (*unlock)(void *ud);
        void *ud;
} LockedSource;

static int locked_read(Source *s, const char *rel, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        LockedSource *l = (LockedSource *)s;
        l->lock(l->ud);
        int r = l->inner->ops->read(l->inner, rel, max, ret, ret_len, err);
        l->unlock(l->ud);
        return r;
}

static SourceKind locked_kind(Source *s, const char *rel)
{
        LockedSource *l = (LockedSource *)s;
        l->lock(l->ud);
        SourceKind k = l->inner->ops->kind(l->inner, rel);
        l->unlock(l->ud);
        return k;
}

static void locked_free(Source *s)
{
        LockedSource *l = (LockedSource *)s;
        source_unref(l->inner);
        free(l);
}

static const SourceOps locked_ops = { .read = locked_read, .kind = locked_kind, .free = locked_free };

static size_t strv_len(char **v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

int source_locked_new(Source *inner, void (*lock)(void *ud), void (*unlock)(void *ud), void *ud,
                      Source **ret)
{
        LockedSource *l = calloc(1, sizeof(LockedSource));
        if (!l)
                return -ENOMEM;
        int r = source_init(&l->s, &locked_ops, inner->root, inner->what);
        l->inner = source_ref(inner);
        l->lock = lock;
        l->unlock = unlock;
        l->ud = ud;
        if (r >= 0)
                r = source_allow(&l->s, (const char *const *)inner->allowed, strv_len(inner->allowed));
        for (char **e = inner->explicit; r >= 0 && e && *e; e++)
                r = source_explicit(&l->s, *e);
        if (r < 0) {
                source_unref(&l->s);
                return r;
        }
        *ret = &l->s;
        return 0;
}
