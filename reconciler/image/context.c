/* context.c: a commit's directory as a tar stream for /build, written with libarchive, and its hash. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../util/digest.h"

#include "context.h"
#include "ignore.h"
#include "../util/json.h"

typedef struct TarCtx {
        struct archive *a;
        struct archive_entry *e;
        const Ignore *ig;
        const char *dockerfile;
        ContextStats *stats;
        BerthError *err;
        const char *dir;
} TarCtx;

typedef struct FdSink {
        int fd;
        bool gone; /* the reader closed its end */
} FdSink;

static la_ssize_t write_cb(struct archive *a, void *ud, const void *buf, size_t len)
{
        FdSink *s = ud;
        for (size_t done = 0; done < len;) {
                ssize_t n = write(s->fd, (const char *)buf + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        s->gone = errno == EPIPE;
                        archive_set_error(a, errno, "cannot send the build context: %m");
                        return -1;
                }
                done += (size_t)n;
        }
        return (la_ssize_t)len;
}

static int add_file(void *ud, const char *path, unsigned mode, const void *data, size_t len)
{
        TarCtx *t = ud;
        if (!context_sends(t->ig, t->dockerfile, path)) {
                t->stats->excluded++;
                return 0;
        }
        archive_entry_clear(t->e);
        archive_entry_set_pathname(t->e, path);
        archive_entry_set_uid(t->e, 0);
        archive_entry_set_gid(t->e, 0);
        /* One fixed time: the same commit gives the same bytes, so the engine's build cache holds. */
        archive_entry_set_mtime(t->e, 0, 0);
        if ((mode & 0170000) == 0120000) {
                char target[4096];
                snprintf(target, sizeof(target), "%.*s",
                         (int)(len < sizeof(target) - 1 ? len : sizeof(target) - 1), (const char *)data);
                archive_entry_set_filetype(t->e, AE_IFLNK);
                archive_entry_set_perm(t->e, 0777);
                archive_entry_set_symlink(t->e, target);
                archive_entry_set_size(t->e, 0);
                len = 0;
        } else {
                archive_entry_set_filetype(t->e, AE_IFREG);
                archive_entry_set_perm(t->e, (mode & 0111) ? 0755 : 0644);
                archive_entry_set_size(t->e, (la_int64_t)len);
        }
        if (archive_write_header(t->a, t->e) != ARCHIVE_OK ||
            (len && archive_write_data(t->a, data, len) != (la_ssize_t)len))
                return error_set(t->err, -EIO, NULL, 0, 0, NULL,
                                 "cannot add %s%s%s to the build context: %s", t->dir, *t->dir ? "/" : "",
                                 path, archive_error_string(t->a));
        t->stats->files++;
        t->stats->bytes += len;
        return 0;
}

int context_ignore(Repo *r, const char *commit, const char *dir, Ignore *ret, BerthError *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        size_t len = 0;
        *ret = (Ignore){ 0 };
        if (strbuf_addf(&path, "%s%s.dockerignore", dir, *dir ? "/" : "") < 0)
                return -ENOMEM;
        int rr = repo_read(r, commit, strbuf_str(&path), &buf, &len, err);
        if (rr == -ENOENT)
                return 0;
        return rr < 0 ? rr : ignore_parse(buf, len, ret);
}

bool context_sends(const Ignore *ig, const char *dockerfile, const char *path)
{
        return strcmp(path, dockerfile) == 0 || strcmp(path, ".dockerignore") == 0 ||
               !ignore_excludes(ig, path);
}

int context_tar(Repo *r, const char *commit, const char *dir, const char *dockerfile, int fd,
                ContextStats *stats, BerthError *err)
{
        Ignore ig = { 0 };
        ContextStats st = { 0 };
        FdSink sink = { .fd = fd };
        int rr;

        if ((rr = context_ignore(r, commit, dir, &ig, err)) < 0)
                return rr;
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        TarCtx t = {
                .a = a, .e = e, .ig = &ig, .dockerfile = dockerfile, .stats = &st, .err = err, .dir = dir
        };
        if (!a || !e) {
                rr = -ENOMEM;
                goto out;
        }
        /* pax: names longer than ustar's 100 bytes, and the engine reads it. */
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open2(a, &sink, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
                rr = error_set(err, -EIO, NULL, 0, 0, NULL, "cannot start the build context: %s",
                               archive_error_string(a));
                goto out;
        }
        if ((rr = repo_walk(r, commit, dir, add_file, &t, err)) < 0) {
                if (sink.gone)
                        rr = -EPIPE;
                else if (rr == -ENOENT)
                        rr = error_set(err, rr, NULL, 0, 0, NULL,
                                       "the build context \"%s\" is not in the commit", dir);
                goto out;
        }
        if (archive_write_close(a) != ARCHIVE_OK) {
                rr = sink.gone ? -EPIPE
                               : error_set(err, -EIO, NULL, 0, 0, NULL,
                                           "cannot finish the build context: %s", archive_error_string(a));
                goto out;
        }
        if (stats)
                *stats = st;
out:
        archive_entry_free(e);
        archive_write_free(a);
        ignore_done(&ig);
        return rr;
}

typedef struct HashCtx {
        Digest *d;
        const Ignore *ig;
        const char *dockerfile;
} HashCtx;

static int hash_file(void *ud, const char *path, unsigned mode, const char *blob_id)
{
        HashCtx *h = ud;
        char m[16];
        if (!context_sends(h->ig, h->dockerfile, path))
                return 0;
        snprintf(m, sizeof(m), "%o", mode);
        digest_update(h->d, path, strlen(path) + 1);
        digest_update(h->d, m, strlen(m) + 1);
        return digest_update(h->d, blob_id, strlen(blob_id) + 1);
}

int context_hash(Repo *r, const char *commit, const char *dir, const char *dockerfile, const char *target,
                 const cJSON *build_args, char ret[65], BerthError *err)
{
        _cleanup_(digest_freep) Digest *d = digest_new();
        _cleanup_free_ char *args = build_args ? json_print(build_args, false) : NULL;
        Ignore ig = { 0 };
        int rr;
        if (!d || (build_args && !args))
                return -ENOMEM;
        if ((rr = context_ignore(r, commit, dir, &ig, err)) < 0)
                return rr;
        digest_update(d, "berth-build-v1", 15);
        digest_update(d, dockerfile, strlen(dockerfile) + 1);
        digest_update(d, target ? target : "", strlen(target ? target : "") + 1);
        digest_update(d, args ? args : "{}", strlen(args ? args : "{}") + 1);
        HashCtx h = { .d = d, .ig = &ig, .dockerfile = dockerfile };
        rr = repo_walk_ids(r, commit, dir, hash_file, &h, err);
        ignore_done(&ig);
        if (rr == -ENOENT)
                return error_set(err, rr, NULL, 0, 0, NULL, "the build context \"%s\" is not in the commit",
                                 dir);
        return rr < 0 ? rr : digest_final_hex(d, ret);
}
