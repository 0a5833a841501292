/* fileio.c: size-capped file reads, UTF-8 checks and lexical path helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "strbuf.h"

int file_read_fd(int fd, const char *name, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;

        if (fstat(fd, &st) < 0)
                return error_set(err, -errno, name, 0, 0, NULL, "cannot stat file: %s", strerror(errno));
        if (S_ISDIR(st.st_mode))
                return error_set(err, -EISDIR, name, 0, 0, NULL, "is a directory, expected a file");
        /* A FIFO would hang the read and a device could leak or never end: only regular files. */
        if (!S_ISREG(st.st_mode))
                return error_set(err, -EACCES, name, 0, 0, NULL, "is not a regular file");
        if ((uint64_t)st.st_size > max)
                return error_set(err, -EFBIG, name, 0, 0, NULL, "file too large (%lld bytes, limit %zu)",
                                 (long long)st.st_size, max);
        size_t alloc = (size_t)st.st_size + 1;
        buf = malloc(alloc);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= alloc) {
                        if (alloc > max)
                                return error_set(err, -EFBIG, name, 0, 0, NULL,
                                                 "file too large (limit %zu bytes)", max);
                        char *p = realloc(buf, alloc * 2);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        alloc *= 2;
                }
                ssize_t k = read(fd, buf + len, alloc - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return error_set(err, -errno, name, 0, 0, NULL, "cannot read file: %s",
                                         strerror(errno));
                }
                if (k == 0)
                        break;
                len += (size_t)k;
                if (len > max)
                        return error_set(err, -EFBIG, name, 0, 0, NULL, "file too large (limit %zu bytes)",
                                         max);
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int file_read_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return error_set(err, -errno, path, 0, 0, NULL, "cannot open file: %s", strerror(errno));
        return file_read_fd(fd, path, max, ret, ret_len, err);
}

int file_read(const char *path, size_t max, char **ret, size_t *ret_len, BerthError *err)
{
        return file_read_at(AT_FDCWD, path, max, ret, ret_len, err);
}

int utf8_validate(const char *s, size_t len, unsigned *ret_line, unsigned *ret_col)
{
        const unsigned char *p = (const unsigned char *)s;
        unsigned line = 1, col = 1;
        size_t i = 0;

        while (i < len) {
                unsigned char c = p[i];
                size_t n;
                uint32_t cp;

                if (c < 0x80) {
                        if (c == '\n') {
                                line++;
                                col = 1;
                        } else
                                col++;
                        i++;
                        continue;
                }
                if ((c & 0xE0) == 0xC0) {
                        n = 2;
                        cp = c & 0x1F;
                } else if ((c & 0xF0) == 0xE0) {
                        n = 3;
                        cp = c & 0x0F;
                } else if ((c & 0xF8) == 0xF0) {
                        n = 4;
                        cp = c & 0x07;
                } else
                        goto bad;
                if (i + n > len)
                        goto bad;
                for (size_t k = 1; k < n; k++) {
                        if ((p[i + k] & 0xC0) != 0x80)
                                goto bad;
                        cp = (cp << 6) | (p[i + k] & 0x3F);
                }
                /* Overlong forms, surrogates and values past Unicode are invalid too. */
                if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
                        goto bad;
                i += n;
                col++;
        }
        return 1;
bad:
        if (ret_line)
                *ret_line = line;
        if (ret_col)
                *ret_col = col;
        return 0;
}

char *path_join(const char *dir, const char *path)
{
        StrBuf sb = STRBUF_INIT;

        if (path[0] == '/' || !dir || !dir[0])
                return strdup(path);
        if (strbuf_addstr(&sb, dir) < 0 ||
            (sb.len && sb.buf[sb.len - 1] != '/' && strbuf_addch(&sb, '/') < 0) ||
            strbuf_addstr(&sb, path) < 0) {
                strbuf_done(&sb);
                return NULL;
        }
        return strbuf_detach(&sb);
}

char *path_absolute(const char *base, const char *path)
{
        _cleanup_free_ char *joined = NULL, *cwd = NULL;
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        const char *p;

        if (path[0] != '/') {
                if (!base || base[0] != '/') {
                        cwd = getcwd(NULL, 0);
                        if (!cwd)
                                return NULL;
                        _cleanup_free_ char *b = base ? path_join(cwd, base) : strdup(cwd);
                        if (!b)
                                return NULL;
                        joined = path_join(b, path);
                } else
                        joined = path_join(base, path);
        } else
                joined = strdup(path);
        if (!joined)
                return NULL;

        /* Fold "." and ".." segment by segment into out. */
        p = joined;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *e = strchrnul(p, '/');
                size_t n = (size_t)(e - p);
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        /* skip */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = out.buf ? strrchr(out.buf, '/') : NULL;
                        if (slash) {
                                out.len = (size_t)(slash - out.buf);
                                out.buf[out.len] = '\0';
                        }
                } else if (strbuf_addch(&out, '/') < 0 || strbuf_add(&out, p, n) < 0)
                        return NULL;
                p = e;
        }
        if (out.len == 0 && strbuf_addch(&out, '/') < 0)
                return NULL;
        return strbuf_detach(&out);
}

char *path_dirname(const char *path)
{
        const char *slash = strrchr(path, '/');
        if (!slash)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, (size_t)(slash - path));
}

int fd_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* The directory that holds name, opened for fsync. */
static int open_parent(int dirfd, const char *name)
{
        const char *slash = strrchr(name, '/');
        if (!slash)
                return openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (slash == name)
                return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *dir = strndup(name, (size_t)(slash - name));
        return dir ? openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

int file_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
        static unsigned counter;
        _cleanup_free_ char *tmp = NULL;
        int fd = -1, r;
        /* A name of its own: several threads of one process may replace files side by side. */
        for (int tries = 0; fd < 0 && tries < 100; tries++) {
                free(tmp);
                tmp = NULL;
                if (asprintf(&tmp, "%s.berth-tmp-%d-%u", name, (int)getpid(),
                             __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)) < 0) {
                        tmp = NULL; /* asprintf leaves it undefined */
                        return -ENOMEM;
                }
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
        }
        if (fd < 0)
                return -EEXIST;
        /* The mode exactly as asked, whatever the umask took away. */
        r = fchmod(fd, mode) < 0 ? -errno : fd_write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        int dfd = open_parent(dirfd, name);
        if (dfd >= 0) {
                if (fsync(dfd) < 0)
                        r = -errno;
                close(dfd);
        }
        return r;
}
