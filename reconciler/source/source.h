/* source.h: a project source, the one way the compose loader reads a stack's files.
 *
 * Three backings share one interface: git objects (a commit read straight from the repo; gitops/
 * makes it), a buffer in memory (a template rendered before it is committed), and a directory opened
 * as a file descriptor (a working tree, for `berth config` and `up`). A source has a root: the
 * absolute directory that the model's paths name, where the files are (a directory) or will be
 * written (a commit's stack, under the state dir). Every path asked of a source is folded lexically
 * against that root; one that leaves it is refused with -EACCES, unless it is a host path the
 * source was told to allow (berth.yaml's allow-list) or one the user named on the command line.
 * Only regular files are read, so a FIFO or a device can neither hang nor leak.
 *
 * A Source is reference-counted; source_unref() frees it with its backing's state. Returned buffers
 * belong to the caller and are NUL-terminated. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"

typedef enum SourceKind {
        SRC_MISSING = 0,
        SRC_FILE,
        SRC_DIR,
        SRC_OTHER, /* a symlink that leaves the source, a FIFO, a device, a submodule */
} SourceKind;

typedef struct Source Source;

typedef struct SourceOps {
        /* rel is folded, relative and inside the source ("" is its root). */
        int (*read)(Source *s, const char *rel, size_t max, char **ret, size_t *ret_len, BerthError *err);
        SourceKind (*kind)(Source *s, const char *rel);
        void (*free)(Source *s);
} SourceOps;

struct Source {
        const SourceOps *ops;
        unsigned n_ref;
        char *root;      /* absolute, folded, without a trailing "/" (except "/" itself) */
        char *what;      /* for messages: "commit 93b2975645cf", "directory /srv/config" */
        char **allowed;  /* host paths (files or directories) outside the root that may be read */
        char **explicit; /* files the user named (-f, --env-file): read where they are */
};

/* Makes s with ops and root (made absolute and folded); the backing fills the rest. */
int source_init(Source *s, const SourceOps *ops, const char *root, const char *what);
Source *source_ref(Source *s);
Source *source_unref(Source *s);

/* The path relative to the root ("" for the root itself), or -EACCES when it leaves the root.
 * path may be absolute or relative to the root. */
int source_relative(const Source *s, const char *path, char **ret);
/* Reads a regular file. -ENOENT when it is not there; -EACCES (with a message that names the path
 * and the source, never the content) when it is outside and not allowed, or is no regular file. */
int source_read(Source *s, const char *path, size_t max, char **ret, size_t *ret_len, BerthError *err);
SourceKind source_kind(Source *s, const char *path);
/* Adds host paths that may be read although outside the root (absolute, folded). */
int source_allow(Source *s, const char *const *paths, size_t n);
/* Adds a file the user named; it is read where it is. */
int source_explicit(Source *s, const char *path);

/* A directory, opened once; reads go through openat2(RESOLVE_BENEATH), so neither ".." nor a
 * symlink can lead out of it. */
int source_dir_new(const char *root, Source **ret, BerthError *err);

/* Files in memory, added with source_memory_add() (rel: relative, no "." or ".." parts). */
int source_memory_new(const char *root, const char *what, Source **ret);
int source_memory_add(Source *s, const char *rel, const void *data, size_t len);

/* inner's files, read with lock(ud) held: a source that threads share when its backing (a git
 * repository) may be used by one thread at a time. Takes a reference on inner. */
int source_locked_new(Source *inner, void (*lock)(void *ud), void (*unlock)(void *ud), void *ud,
                      Source **ret);

/* A name of a tree entry that is safe to write under a directory: not empty, ".", "..", ".git", and
 * without "/" or control characters. */
bool source_name_valid(const char *name, size_t len);
/* Every part of a relative path passes source_name_valid(). */
bool source_path_valid(const char *rel);

static inline void source_unrefp(Source **s)
{
        source_unref(*s);
}
#define _cleanup_source_ _cleanup_(source_unrefp)
