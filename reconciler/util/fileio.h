/* fileio.h: reading whole files with a size limit, and replacing one whole or not at all. A buffer
 * returned is owned by the caller and NUL-terminated (the NUL is not counted in *ret_len). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define FILE_MAX_DEFAULT ((size_t)8 * 1024 * 1024)

/* Reads the open file fd (named name in errors); anything but a regular file is refused. */
int file_read_fd(int fd, const char *name, size_t max, char **ret, size_t *ret_len, BerthError *err);
int file_read(const char *path, size_t max, char **ret, size_t *ret_len, BerthError *err);
/* Like file_read but relative to the directory fd dirfd (AT_FDCWD allowed). */
int file_read_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, BerthError *err);
/* Writes all of data to fd, resuming after EINTR and short writes. */
int fd_write_all(int fd, const void *data, size_t len);
/* Replaces name (relative to dirfd; AT_FDCWD: the working directory) with data and mode, whole or not
 * at all: written to a new file beside it, fsync'ed, renamed over it, and its directory fsync'ed, so
 * that a crash or a power cut at any point leaves the old file or the new one, never a part. A symlink
 * at name is replaced, never followed. */
int file_replace_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* Checks for valid UTF-8; on failure returns false and the 1-based line and column of the bad byte. */
int utf8_validate(const char *s, size_t len, unsigned *ret_line, unsigned *ret_col);
/* Joins dir and a relative path; absolute paths are returned as they are. */
char *path_join(const char *dir, const char *path);
/* Makes path absolute against base, folding "." and ".." lexically. */
char *path_absolute(const char *base, const char *path);
char *path_dirname(const char *path);
