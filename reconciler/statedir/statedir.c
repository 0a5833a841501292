/* statedir.c: stacks' directories on the host, written through directory fds with a manifest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../source/source.h"
#include "../util/digest.h"
#include "../util/fileio.h"
#include "../util/strbuf.h"
#include "statedir.h"
#include "../util/json.h"

#define MANIFEST_MAX ((size_t)64 * 1024 * 1024)
#define WALK_DEPTH   64

struct StateDir {
        char *path; /* <state>/<key> */
        int fd;
};

int statedir_default(const EnvMap *env, char **ret, BerthError *err)
{
        const char *state = envmap_get(env, "BERTH_STATE_DIR");
        const char *home = envmap_get(env, "HOME");
        if (state && *state)
                *ret = strdup(state);
        else if (geteuid() == 0)
                *ret = strdup("/var/lib/berth");
        else if (home && *home)
                *ret = path_join(home, ".local/state/berth");
        else {
                error_set(err, -EINVAL, NULL, 0, 0, NULL,
                          "no state directory: neither BERTH_STATE_DIR nor HOME is set");
                error_hint(err, "set BERTH_STATE_DIR to a directory that only this user can write");
                return -EINVAL;
        }
        return *ret ? 0 : -ENOMEM;
}

static int owned(const struct stat *st, const char *shown, BerthError *err)
{
        if (st->st_uid == geteuid())
                return 0;
        error_set(err, -EPERM, NULL, 0, 0, NULL, "\"%s\" is owned by uid %u, not by this user (%u)", shown,
                  (unsigned)st->st_uid, (unsigned)geteuid());
        error_hint(err, "the state directory must be private to the user berth runs as");
        return -EPERM;
}

/* Makes (0700) and opens the directory name under dirfd, never through a symlink, and checks that this
 * user owns it; one with group or other bits is narrowed to 0700. */
static int private_dir(int dirfd, const char *name, const char *shown, BerthError *err)
{
        if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
                return error_set(err, -errno, NULL, 0, 0, NULL, "cannot create \"%s\": %s", shown,
                                 strerror(errno));
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return error_set(err, -errno, NULL, 0, 0, NULL, "cannot open \"%s\": %s%s", shown,
                                 strerror(errno), errno == ELOOP ? " (it is a symlink)" : "");
        int r = fstat(fd, &st) < 0 ? -errno : owned(&st, shown, err);
        if (r < 0) {
                close(fd);
                return r;
        }
        if ((st.st_mode & 077) && fchmod(fd, 0700) < 0) {
                int e = errno;
                close(fd);
                return error_set(err, -e, NULL, 0, 0, NULL, "cannot make \"%s\" private: %s", shown,
                                 strerror(e));
        }
        return fd;
}

int statedir_open(const char *state_dir, const char *identity, bool create, StateDir **ret, BerthError *err)
{
        _cleanup_(digest_freep) Digest *d = digest_new();
        char hex[DIGEST_HEX_LEN + 1];
        _cleanup_free_ char *abs = path_absolute("/", state_dir), *parent = NULL;
        if (!d || !abs || digest_update(d, identity, strlen(identity)) < 0 || digest_final_hex(d, hex) < 0)
                return -ENOMEM;
        hex[16] = '\0';
        if (!create) {
                StateDir *sd = calloc(1, sizeof(StateDir));
                if (!sd || !(sd->path = path_join(abs, hex))) {
                        free(sd);
                        return -ENOMEM;
                }
                /* Reading is checked as writing is: a directory another user controls is no state. */
                struct stat st;
                int r = stat(abs, &st) == 0 ? owned(&st, abs, err) : 0;
                if (r < 0) {
                        statedir_free(sd);
                        return r;
                }
                sd->fd = open(sd->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                *ret = sd;
                return 0;
        }
        /* Missing parents are made as root's `install -d` would (0755); the state dir itself is private. */
        _cleanup_free_ char *copy = strdup(abs);
        for (char *p = copy ? copy + 1 : NULL; p && (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(copy, 0755);
                *p = '/';
        }
        if (!(parent = path_dirname(abs)))
                return -ENOMEM;
        _cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return error_set(err, -errno, NULL, 0, 0, NULL, "cannot open \"%s\": %s", parent,
                                 strerror(errno));
        const char *base = strrchr(abs, '/') + 1;
        _cleanup_close_ int sfd = private_dir(pfd, *base ? base : ".", abs, err);
        if (sfd < 0)
                return sfd;
        StateDir *sd = calloc(1, sizeof(StateDir));
        if (!sd || !(sd->path = path_join(abs, hex))) {
                free(sd);
                return -ENOMEM;
        }
        sd->fd = private_dir(sfd, hex, sd->path, err);
        if (sd->fd < 0) {
                int r = sd->fd;
                statedir_free(sd);
                return r;
        }
        *ret = sd;
        return 0;
}

StateDir *statedir_free(StateDir *sd)
{
        if (!sd)
                return NULL;
        if (sd->fd >= 0)
                close(sd->fd);
        free(sd->path);
        free(sd);
        return NULL;
}

char *statedir_stack_path(const StateDir *sd, const char *stack)
{
        return path_join(sd->path, stack);
}

/* ---- small files of berth's own, next to the stacks' directories ---- */

static char *own_file(const char *stack, const char *suffix)
{
        StrBuf sb = STRBUF_INIT;
        if (strbuf_addf(&sb, "%s.%s", stack, suffix) < 0) {
                strbuf_done(&sb);
                return NULL;
        }
        return strbuf_detach(&sb);
}

static int read_own(StateDir *sd, const char *name, size_t max, char **ret, size_t *ret_len)
{
        if (sd->fd < 0)
                return -ENOENT;
        _cleanup_close_ int fd = openat(sd->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        return file_read_fd(fd, name, max, ret, ret_len, NULL);
}

void statedir_marker_read(StateDir *sd, const char *stack, char ret[41])
{
        _cleanup_free_ char *name = own_file(stack, "commit"), *buf = NULL;
        size_t len = 0;
        ret[0] = '\0';
        if (name && read_own(sd, name, 64, &buf, &len) >= 0 && len >= 40)
                snprintf(ret, 41, "%.40s", buf);
}

/* ---- the images each deploy ran ---- */

#define PINS_MAX ((size_t)1024 * 1024)

static cJSON *pins_load(StateDir *sd, const char *stack)
{
        _cleanup_free_ char *name = own_file(stack, "images"), *buf = NULL;
        size_t len = 0;
        cJSON *doc = name && read_own(sd, name, PINS_MAX, &buf, &len) >= 0 ? cJSON_ParseWithLength(buf, len)
                                                                           : NULL;
        if (!cJSON_IsObject(doc)) {
                cJSON_Delete(doc);
                doc = cJSON_CreateObject();
        }
        return doc;
}

int statedir_pins_write(StateDir *sd, const char *stack, const char *commit, const cJSON *pins,
                        BerthError *err)
{
        _cleanup_cjson_ cJSON *doc = pins_load(sd, stack);
        _cleanup_free_ char *name = own_file(stack, "images"), *text = NULL;
        if (!doc || !name)
                return -ENOMEM;
        /* The newest last: a commit deployed again moves to the end, the oldest beyond the limit go. */
        cJSON_DeleteItemFromObjectCaseSensitive(doc, commit);
        json_set(doc, commit, cJSON_Duplicate(pins, true));
        while (cJSON_GetArraySize(doc) > STATEDIR_PINS_KEPT)
                cJSON_DeleteItemFromArray(doc, 0);
        if (!(text = json_print(doc, true)))
                return -ENOMEM;
        int r = file_replace_at(sd->fd, name, text, strlen(text), 0600);
        return r < 0 ? error_set(err, r, NULL, 0, 0, NULL, "cannot record the images of stack \"%s\": %s",
                                 stack, strerror(-r))
                     : 0;
}

cJSON *statedir_pins_read(StateDir *sd, const char *stack, const char *commit)
{
        _cleanup_cjson_ cJSON *doc = pins_load(sd, stack);
        cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, commit);
        return cJSON_IsObject(p) ? cJSON_Duplicate(p, true) : NULL;
}

/* ---- walking a stack's directory without following links ---- */

/* The directory rel (relative to dirfd; "" is dirfd itself) as a new fd; with create, missing parts
 * are made. A part that is a symlink (or anything but a directory) fails with -ENOTDIR. */
static int open_dirs(int dirfd, const char *rel, bool create)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (const char *p = rel; fd >= 0 && *p;) {
                const char *slash = strchrnul(p, '/');
                char part[256];
                size_t n = (size_t)(slash - p);
                if (n == 0 || n >= sizeof(part)) {
                        close(fd);
                        return -EINVAL;
                }
                memcpy(part, p, n);
                part[n] = '\0';
                if (create && mkdirat(fd, part, 0755) < 0 && errno != EEXIST) {
                        int e = -errno;
                        close(fd);
                        return e;
                }
                int next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int e = next < 0 ? (errno == ELOOP ? -ENOTDIR : -errno) : 0;
                close(fd);
                if (next < 0)
                        return e;
                fd = next;
                p = *slash ? slash + 1 : slash;
        }
        return fd < 0 ? -errno : fd;
}

/* rel's directory opened (see open_dirs) and its last part in *ret_name (pointing into rel). */
static int open_parent(int dirfd, const char *rel, bool create, const char **ret_name)
{
        const char *slash = strrchr(rel, '/');
        *ret_name = slash ? slash + 1 : rel;
        if (!slash)
                return open_dirs(dirfd, "", false);
        _cleanup_free_ char *dir = strndup(rel, (size_t)(slash - rel));
        return dir ? open_dirs(dirfd, dir, create) : -ENOMEM;
}

/* ---- the manifest ---- */

/* A line: "<kind> <sha256|-> <path>", kind f (file), l (symlink) or d (directory). */
typedef struct Entry {
        char kind;
        char sum[DIGEST_HEX_LEN + 1];
        char *path;
} Entry;

typedef struct Manifest {
        Entry *items;
        size_t n, alloc;
} Manifest;

static void manifest_done(Manifest *m)
{
        for (size_t i = 0; i < m->n; i++)
                free(m->items[i].path);
        free(m->items);
        *m = (Manifest){ 0 };
}

static int manifest_add(Manifest *m, char kind, const char *sum, const char *path, size_t len)
{
        if (m->n == m->alloc) {
                size_t n = m->alloc ? m->alloc * 2 : 64;
                Entry *v = realloc(m->items, n * sizeof(Entry));
                if (!v)
                        return -ENOMEM;
                m->items = v;
                m->alloc = n;
        }
        Entry *e = &m->items[m->n];
        e->kind = kind;
        snprintf(e->sum, sizeof(e->sum), "%s", sum ? sum : "-");
        if (!(e->path = strndup(path, len)))
                return -ENOMEM;
        m->n++;
        return 0;
}

static int manifest_read(StateDir *sd, const char *stack, Manifest *ret)
{
        _cleanup_free_ char *name = own_file(stack, "manifest"), *buf = NULL;
        size_t len = 0;
        if (!name)
                return -ENOMEM;
        int r = read_own(sd, name, MANIFEST_MAX, &buf, &len);
        if (r == -ENOENT)
                return 0; /* never synced, or synced by a berth without manifests: nothing to delete */
        if (r < 0)
                return r;
        for (char *line = buf; *line;) {
                char *nl = strchrnul(line, '\n');
                char *sp1 = memchr(line, ' ', (size_t)(nl - line));
                char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(nl - sp1 - 1)) : NULL;
                if (sp2 && sp1 == line + 1 && (size_t)(sp2 - sp1 - 1) <= DIGEST_HEX_LEN) {
                        char sum[DIGEST_HEX_LEN + 1];
                        snprintf(sum, sizeof(sum), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
                        _cleanup_free_ char *path = strndup(sp2 + 1, (size_t)(nl - sp2 - 1));
                        /* A manifest edited by hand must not lead a delete outside the directory. */
                        if (path && source_path_valid(path) &&
                            (r = manifest_add(ret, line[0], sum, path, strlen(path))) < 0)
                                return r;
                }
                line = *nl ? nl + 1 : nl;
        }
        return 0;
}

static int manifest_write(StateDir *sd, const char *stack, const Manifest *a, const Manifest *b)
{
        _cleanup_free_ char *name = own_file(stack, "manifest");
        _cleanup_strbuf_ StrBuf sb = STRBUF_INIT;
        if (!name)
                return -ENOMEM;
        strbuf_addstr(&sb, "");
        for (const Manifest *m = a; m; m = m == a ? b : NULL)
                for (size_t i = 0; i < m->n; i++)
                        if (strbuf_addf(&sb, "%c %s %s\n", m->items[i].kind, m->items[i].sum,
                                        m->items[i].path) < 0)
                                return -ENOMEM;
        return file_replace_at(sd->fd, name, sb.buf, sb.len, 0600);
}

static const Entry *manifest_find(const Manifest *m, const char *path)
{
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->items[i].path, path) == 0)
                        return &m->items[i];
        return NULL;
}

static int sum_of(const void *data, size_t len, char ret[DIGEST_HEX_LEN + 1])
{
        _cleanup_(digest_freep) Digest *d = digest_new();
        if (!d || digest_update(d, data, len) < 0 || digest_final_hex(d, ret) < 0)
                return -ENOMEM;
        return 0;
}

/* The digest of the regular file name in dirfd, never through a link; -ENOENT, or -EINVAL for
 * anything but a regular file. */
static int file_sum(int dirfd, const char *name, char ret[DIGEST_HEX_LEN + 1])
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        if (fd < 0)
                return errno == ELOOP ? -EINVAL : -errno;
        int r = file_read_fd(fd, name, MANIFEST_MAX, &buf, &len, NULL);
        return r < 0 ? -EINVAL : sum_of(buf, len, ret);
}

/* ---- sync ---- */

struct StateSync {
        StateDir *sd;
        char *stack;
        int fd; /* the stack's directory */
        Manifest old, now;
        unsigned tmp_seq;
        BerthError err;
};

int statedir_sync_begin(StateDir *sd, const char *stack, StateSync **ret, BerthError *err)
{
        StateSync *s = calloc(1, sizeof(StateSync));
        int r;
        if (!s || !(s->stack = strdup(stack))) {
                free(s);
                return -ENOMEM;
        }
        s->sd = sd;
        s->fd = -1;
        _cleanup_free_ char *shown = statedir_stack_path(sd, stack);
        if ((r = manifest_read(sd, stack, &s->old)) < 0) {
                statedir_sync_free(s);
                return error_set(err, r, NULL, 0, 0, NULL, "cannot read the manifest of \"%s\": %s",
                                 shown ? shown : stack, strerror(-r));
        }
        if (mkdirat(sd->fd, stack, 0700) < 0 && errno != EEXIST) {
                r = error_set(err, -errno, NULL, 0, 0, NULL, "cannot create \"%s\": %s",
                              shown ? shown : stack, strerror(errno));
                statedir_sync_free(s);
                return r;
        }
        s->fd = openat(sd->fd, stack, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->fd < 0) {
                r = error_set(err, -errno, NULL, 0, 0, NULL, "cannot open \"%s\": %s", shown ? shown : stack,
                              strerror(errno));
                statedir_sync_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

StateSync *statedir_sync_free(StateSync *s)
{
        if (!s)
                return NULL;
        if (s->fd >= 0)
                close(s->fd);
        manifest_done(&s->old);
        manifest_done(&s->now);
        free(s->stack);
        free(s);
        return NULL;
}

const BerthError *statedir_sync_error(const StateSync *s)
{
        return &s->err;
}

/* A symlink at rel pointing to target stays inside the stack's directory. */
static bool link_inside(const char *rel, const char *target)
{
        if (!*target || target[0] == '/')
                return false;
        _cleanup_strbuf_ StrBuf sb = STRBUF_INIT;
        const char *slash = strrchr(rel, '/');
        strbuf_addch(&sb, '/');
        if (slash)
                strbuf_add(&sb, rel, (size_t)(slash - rel + 1));
        strbuf_addstr(&sb, target);
        _cleanup_free_ char *folded = path_absolute("/", strbuf_str(&sb));
        /* Folding lexically is what makes this safe: ".." past the top stays at "/", so check the text
         * for climbing above the start instead. */
        int depth = 0;
        for (const char *p = strbuf_str(&sb) + 1; *p;) {
                const char *e = strchrnul(p, '/');
                size_t n = (size_t)(e - p);
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        depth--;
                else if (n && !(n == 1 && p[0] == '.'))
                        depth++;
                if (depth < 0)
                        return false;
                p = *e ? e + 1 : e;
        }
        return folded && strcmp(folded, "/") != 0;
}

static int put_fail(StateSync *s, int r, const char *rel, const char *what)
{
        _cleanup_free_ char *dir = statedir_stack_path(s->sd, s->stack);
        return error_set(&s->err, r, NULL, 0, 0, NULL, "stack \"%s\": cannot write \"%s\" in \"%s\": %s",
                         s->stack, rel, dir ? dir : s->stack, what ? what : strerror(-r));
}

int statedir_sync_put(void *ud, const char *rel, unsigned mode, const void *data, size_t len)
{
        StateSync *s = ud;
        char sum[DIGEST_HEX_LEN + 1] = "-", have[DIGEST_HEX_LEN + 1];
        const char *name;
        int r;

        if (!source_path_valid(rel))
                return put_fail(s, -EINVAL, rel, "unsafe name");
        if (mode == 040000) {
                _cleanup_close_ int fd = open_dirs(s->fd, rel, true);
                if (fd < 0)
                        return put_fail(s, fd, rel,
                                        fd == -ENOTDIR ? "a symlink or file is in the way (not followed)"
                                                       : NULL);
                return manifest_add(&s->now, 'd', NULL, rel, strlen(rel));
        }
        _cleanup_close_ int dfd = open_parent(s->fd, rel, true, &name);
        if (dfd < 0)
                return put_fail(s, dfd, rel,
                                dfd == -ENOTDIR ? "a symlink or file is in the way (not followed)" : NULL);
        char tmp[64];
        snprintf(tmp, sizeof(tmp), ".berth-tmp-%d-%u", (int)getpid(), s->tmp_seq++);
        if (mode == 0120000) {
                _cleanup_free_ char *target = strndup(data, len);
                if (!target)
                        return -ENOMEM;
                if (!link_inside(rel, target))
                        return put_fail(s, -EACCES, rel, "the symlink leads outside the stack's directory");
                if ((r = sum_of(data, len, sum)) < 0)
                        return r;
                if (symlinkat(target, dfd, tmp) < 0)
                        return put_fail(s, -errno, rel, NULL);
        } else {
                if ((r = sum_of(data, len, sum)) < 0)
                        return r;
                /* Unchanged content keeps its inode: nothing for a running container to notice. */
                struct stat st;
                if (file_sum(dfd, name, have) >= 0 && strcmp(have, sum) == 0 &&
                    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    (st.st_mode & 0777) == (mode == 0100755 ? 0755u : 0644u))
                        return manifest_add(&s->now, 'f', sum, rel, strlen(rel));
                _cleanup_close_ int fd =
                        openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                               mode == 0100755 ? 0755 : 0644);
                if (fd < 0)
                        return put_fail(s, -errno, rel, NULL);
                /* The umask must not narrow what containers need to read. */
                fchmod(fd, mode == 0100755 ? 0755 : 0644);
                for (size_t off = 0; off < len;) {
                        ssize_t k = write(fd, (const char *)data + off, len - off);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0) {
                                r = k < 0 ? -errno : -EIO;
                                unlinkat(dfd, tmp, 0);
                                return put_fail(s, r, rel, NULL);
                        }
                        off += (size_t)k;
                }
        }
        /* rename replaces a file or a link in place and never follows one. */
        if (renameat(dfd, tmp, dfd, name) < 0) {
                r = -errno;
                unlinkat(dfd, tmp, 0);
                return put_fail(s, r, rel,
                                r == -EISDIR || r == -ENOTEMPTY ? "a directory is in the way" : NULL);
        }
        return manifest_add(&s->now, mode == 0120000 ? 'l' : 'f', sum, rel, strlen(rel));
}

/* Removes one entry berth wrote, if it is still what berth wrote; kept entries are not errors. */
static void remove_entry(int fd, const Entry *e)
{
        const char *name;
        _cleanup_close_ int dfd = open_parent(fd, e->path, false, &name);
        struct stat st;
        char have[DIGEST_HEX_LEN + 1];
        if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return;
        if (e->kind == 'd') {
                if (S_ISDIR(st.st_mode))
                        unlinkat(dfd, name, AT_REMOVEDIR); /* only succeeds when empty */
                return;
        }
        if (e->kind == 'l') {
                if (!S_ISLNK(st.st_mode))
                        return;
                char target[4096];
                ssize_t n = readlinkat(dfd, name, target, sizeof(target));
                if (n < 0 || sum_of(target, (size_t)n, have) < 0 || strcmp(have, e->sum) != 0)
                        return;
        } else if (!S_ISREG(st.st_mode) || file_sum(dfd, name, have) < 0 || strcmp(have, e->sum) != 0)
                return; /* a container changed or replaced it: it is theirs now */
        unlinkat(dfd, name, 0);
}

static int cmp_depth_desc(const void *a, const void *b)
{
        const Entry *x = a, *y = b;
        size_t lx = strlen(x->path), ly = strlen(y->path);
        return lx < ly ? 1 : lx > ly ? -1 : strcmp(x->path, y->path);
}

/* Removes the entries of m (those not in keep, if given), deepest first so directories empty out. */
static void remove_entries(int fd, Manifest *m, const Manifest *keep)
{
        if (m->n == 0)
                return; /* qsort wants an array, even of nothing */
        qsort(m->items, m->n, sizeof(Entry), cmp_depth_desc);
        for (size_t i = 0; i < m->n; i++)
                if (!keep || !manifest_find(keep, m->items[i].path))
                        remove_entry(fd, &m->items[i]);
}

int statedir_sync_finish(StateSync *s, const char *commit, BerthError *err)
{
        _cleanup_free_ char *marker = own_file(s->stack, "commit");
        char line[64];
        int r;
        if (!marker)
                return -ENOMEM;
        /* The union first: a run cut short in the middle still knows everything berth wrote. */
        if ((r = manifest_write(s->sd, s->stack, &s->old, &s->now)) < 0)
                return error_set(err, r, NULL, 0, 0, NULL, "cannot write the manifest of stack \"%s\": %s",
                                 s->stack, strerror(-r));
        remove_entries(s->fd, &s->old, &s->now);
        if ((r = manifest_write(s->sd, s->stack, &s->now, NULL)) < 0)
                return error_set(err, r, NULL, 0, 0, NULL, "cannot write the manifest of stack \"%s\": %s",
                                 s->stack, strerror(-r));
        snprintf(line, sizeof(line), "%s\n", commit);
        if ((r = file_replace_at(s->sd->fd, marker, line, strlen(line), 0600)) < 0)
                return error_set(err, r, NULL, 0, 0, NULL, "cannot mark stack \"%s\" synced: %s", s->stack,
                                 strerror(-r));
        return 0;
}

/* ---- removal ---- */

/* Counts (or, with wipe, deletes) everything under fd, never following a link. */
static int walk_tree(int fd, bool wipe, unsigned depth, uint64_t *files, uint64_t *bytes)
{
        if (depth > WALK_DEPTH)
                return -ELOOP;
        int dup_fd = dup(fd);
        DIR *dh = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!dh) {
                if (dup_fd >= 0)
                        close(dup_fd);
                return -errno;
        }
        int r = 0;
        for (struct dirent *de; (de = readdir(dh));) {
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub =
                                openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0 && (r = walk_tree(sub, wipe, depth + 1, files, bytes)) < 0)
                                break;
                        if (wipe)
                                unlinkat(fd, de->d_name, AT_REMOVEDIR);
                        continue;
                }
                (*files)++;
                *bytes += (uint64_t)st.st_size;
                if (wipe)
                        unlinkat(fd, de->d_name, 0);
        }
        closedir(dh);
        return r;
}

int statedir_remove(StateDir *sd, const char *stack, bool everything, StateKept *ret, BerthError *err)
{
        Manifest m = { 0 };
        _cleanup_free_ char *manifest = own_file(stack, "manifest"), *marker = own_file(stack, "commit");
        _cleanup_free_ char *pins = own_file(stack, "images");
        _cleanup_free_ char *shown = statedir_stack_path(sd, stack);
        uint64_t files = 0, bytes = 0;
        int r;

        *ret = (StateKept){ 0 };
        if (!manifest || !marker || !pins || !shown)
                return -ENOMEM;
        _cleanup_close_ int fd = openat(sd->fd, stack, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
                if (everything)
                        r = walk_tree(fd, true, 0, &files, &bytes);
                else if ((r = manifest_read(sd, stack, &m)) >= 0) {
                        remove_entries(fd, &m, NULL);
                        files = bytes = 0;
                        r = walk_tree(fd, false, 0, &files, &bytes);
                }
                manifest_done(&m);
                if (r < 0)
                        return error_set(err, r, NULL, 0, 0, NULL, "cannot clear \"%s\": %s", shown,
                                         strerror(-r));
                if (everything || files == 0) {
                        /* Empty directories containers left are not data. */
                        uint64_t f = 0, b = 0;
                        walk_tree(fd, true, 0, &f, &b);
                        if (unlinkat(sd->fd, stack, AT_REMOVEDIR) < 0 && errno != ENOENT)
                                return error_set(err, -errno, NULL, 0, 0, NULL, "cannot remove \"%s\": %s",
                                                 shown, strerror(errno));
                        files = bytes = 0;
                }
        } else if (errno != ENOENT)
                return error_set(err, -errno, NULL, 0, 0, NULL, "cannot open \"%s\": %s", shown,
                                 strerror(errno));
        if (files && !(ret->path = strdup(shown)))
                return -ENOMEM;
        ret->files = files;
        ret->bytes = bytes;
        if ((unlinkat(sd->fd, manifest, 0) < 0 && errno != ENOENT) ||
            (unlinkat(sd->fd, marker, 0) < 0 && errno != ENOENT) ||
            (unlinkat(sd->fd, pins, 0) < 0 && errno != ENOENT))
                return error_set(err, -errno, NULL, 0, 0, NULL, "cannot remove the manifest of \"%s\": %s",
                                 stack, strerror(errno));
        return 0;
}

void state_kept_done(StateKept *k)
{
        free(k->path);
        *k = (StateKept){ 0 };
}
