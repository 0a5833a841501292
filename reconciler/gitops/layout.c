/* layout.c: the config repo's layout at a commit: its stacks and its image descriptors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fileio.h"
#include "../util/names.h"
#include "../util/strbuf.h"
#include "repo-private.h"

static void drop_stack(void *p);

void stack_list_done(StackList *l)
{
        for (size_t i = 0; i < l->n; i++)
                drop_stack(&l->items[i]);
        free(l->items);
        *l = (StackList){ 0 };
}

static int cmp_name(const void *key, const void *item)
{
        return strcmp(key, ((const StackDesc *)item)->name);
}

void stack_desc_meta_path(const StackDesc *d, char *buf, size_t size)
{
        if (*d->dir)
                snprintf(buf, size, "%s/stack.json", d->dir);
        else
                snprintf(buf, size, "stack-%s.json", d->name);
}

const StackDesc *stack_list_find(const StackList *l, const char *name)
{
        return l->n ? bsearch(name, l->items, l->n, sizeof(StackDesc), cmp_name) : NULL;
}

/* Sorts items (each starting with its char *name) with cmp, which puts the one that wins a name first,
 * and drops the others through drop(); returns the new count. */

static void drop_stack(void *p)
{
        StackDesc *s = p;
        free(s->name);
        free(s->dir);
        free(s->file);
}

static int add_stack(StackList *l, size_t *alloc, const char *name, const char *dir, const char *file)
{
        if (l->n == *alloc) {
                size_t n = *alloc ? *alloc * 2 : 64;
                StackDesc *v = realloc(l->items, n * sizeof(StackDesc));
                if (!v)
                        return -ENOMEM;
                l->items = v;
                *alloc = n;
        }
        StackDesc *s = &l->items[l->n];
        *s = (StackDesc){ .name = strdup(name), .dir = strdup(dir), .file = file ? strdup(file) : NULL };
        if (!s->name || !s->dir || (file && !s->file))
                return -ENOMEM;
        l->n++;
        return 0;
}

static bool compose_name(const char *n)
{
        return strcmp(n, "compose.yaml") == 0 || strcmp(n, "compose.yml") == 0 ||
               strcmp(n, "docker-compose.yaml") == 0 || strcmp(n, "docker-compose.yml") == 0;
}

/* By name; of two stacks with one name, the stacks/<name>/ one (no file) first: it wins. */
static int cmp_stacks(const void *a, const void *b)
{
        const StackDesc *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : (x->file != NULL) - (y->file != NULL);
}

int repo_stacks(Repo *r, const char *commit, StackList *ret, void (*warn)(void *, const char *), void *ud,
                BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *root = NULL;
        _cleanup_(git_tree_freep) git_tree *stacks = NULL;
        _cleanup_(git_tree_entry_freep) git_tree_entry *se = NULL;
        StackList l = { 0 };
        size_t alloc = 0;
        char msg[512];
        int rr;

        if ((rr = repo_tree_of(r, commit, &root, err)) < 0)
                return rr;
        /* stacks/<name>/ with one of the standard compose file names */
        if (git_tree_entry_bypath(&se, root, "stacks") == 0 && git_tree_entry_type(se) == GIT_OBJECT_TREE &&
            git_tree_lookup(&stacks, r->repo, git_tree_entry_id(se)) == 0) {
                size_t n = git_tree_entrycount(stacks);
                for (size_t i = 0; i < n; i++) {
                        const git_tree_entry *e = git_tree_entry_byindex(stacks, i);
                        const char *name = git_tree_entry_name(e);
                        if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
                                continue;
                        _cleanup_(git_tree_freep) git_tree *sub = NULL;
                        bool has_compose = false;
                        if (git_tree_lookup(&sub, r->repo, git_tree_entry_id(e)) < 0)
                                continue;
                        for (size_t k = 0; k < git_tree_entrycount(sub) && !has_compose; k++)
                                has_compose =
                                        compose_name(git_tree_entry_name(git_tree_entry_byindex(sub, k)));
                        if (!has_compose)
                                continue;
                        if (!project_name_valid(name)) {
                                snprintf(msg, sizeof(msg),
                                         "stacks/%s: not a valid stack name (^[a-z0-9][a-z0-9_-]{0,62}$), "
                                         "skipped",
                                         name);
                                if (warn)
                                        warn(ud, msg);
                                continue;
                        }
                        char dir[300];
                        snprintf(dir, sizeof(dir), "stacks/%s", name);
                        if ((rr = add_stack(&l, &alloc, name, dir, NULL)) < 0)
                                goto fail;
                }
        }
        /* The flat layout of the original design: docker-compose-<name>.yml at the top. */
        size_t n = git_tree_entrycount(root);
        for (size_t i = 0; i < n; i++) {
                const git_tree_entry *e = git_tree_entry_byindex(root, i);
                const char *f = git_tree_entry_name(e);
                size_t len = strlen(f);
                if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || strncmp(f, "docker-compose-", 15) != 0 ||
                    !(len > 19 && (strcmp(f + len - 4, ".yml") == 0 || strcmp(f + len - 5, ".yaml") == 0)))
                        continue;
                char name[128];
                size_t nl = len - 15 - (f[len - 4] == '.' ? 4 : 5);
                if (nl == 0 || nl >= sizeof(name))
                        continue;
                memcpy(name, f + 15, nl);
                name[nl] = '\0';
                if (!project_name_valid(name)) {
                        snprintf(msg, sizeof(msg), "%s: not a valid stack name, skipped", f);
                        if (warn)
                                warn(ud, msg);
                        continue;
                }
                if ((rr = add_stack(&l, &alloc, name, "", f)) < 0)
                        goto fail;
        }
        l.n = repo_sort_unique(l.items, l.n, sizeof(StackDesc), cmp_stacks, drop_stack);
        *ret = l;
        return 0;
fail:
        stack_list_done(&l);
        return rr;
}

/* ---- image descriptors ---- */

static void drop_image(void *p)
{
        ImageDesc *d = p;
        free(d->name);
        free(d->dir);
        free(d->dockerfile);
        free(d->config);
}

void image_list_done(ImageList *l)
{
        for (size_t i = 0; i < l->n; i++)
                drop_image(&l->items[i]);
        free(l->items);
        *l = (ImageList){ 0 };
}

static int cmp_image_name(const void *key, const void *item)
{
        return strcmp(key, ((const ImageDesc *)item)->name);
}

const ImageDesc *image_list_find(const ImageList *l, const char *name)
{
        return l->n ? bsearch(name, l->items, l->n, sizeof(ImageDesc), cmp_image_name) : NULL;
}

static int add_image(ImageList *l, size_t *alloc, const char *name, const char *dir, const char *dockerfile,
                     const char *config)
{
        if (l->n == *alloc) {
                size_t n = *alloc ? *alloc * 2 : 16;
                ImageDesc *v = realloc(l->items, n * sizeof(ImageDesc));
                if (!v)
                        return -ENOMEM;
                l->items = v;
                *alloc = n;
        }
        ImageDesc *d = &l->items[l->n];
        *d = (ImageDesc){ .name = strdup(name),
                          .order = l->n,
                          .dir = strdup(dir),
                          .dockerfile = strdup(dockerfile),
                          .config = strdup(config) };
        if (!d->name || !d->dir || !d->dockerfile || !d->config)
                return -ENOMEM;
        l->n++;
        return 0;
}

/* By name; of two images with one name, the one from a directory first, and of directories the one
 * listed first (add_image numbered them in that order): it wins. */
static int cmp_images(const void *a, const void *b)
{
        const ImageDesc *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        if (c)
                return c;
        if ((*x->dir == '\0') != (*y->dir == '\0'))
                return (*x->dir == '\0') - (*y->dir == '\0');
        return (x->order > y->order) - (x->order < y->order);
}

static void image_warn(void (*warn)(void *, const char *), void *ud, const char *path)
{
        char msg[512];
        snprintf(msg, sizeof(msg), "%s: not a valid image name (^[a-z0-9][a-z0-9_-]{0,62}$), skipped", path);
        if (warn)
                warn(ud, msg);
}

static const char *const image_dirs_default[] = { "images", NULL };

int repo_images(Repo *r, const char *commit, const char *const *dirs, ImageList *ret,
                void (*warn)(void *, const char *), void *ud, BerthError *err)
{
        _cleanup_(git_tree_freep) git_tree *root = NULL;
        ImageList l = { 0 };
        size_t alloc = 0;
        char a[300], b[300], c[300];
        int rr;

        if ((rr = repo_tree_of(r, commit, &root, err)) < 0)
                return rr;
        for (const char *const *dir = dirs ? dirs : image_dirs_default; *dir; dir++) {
                _cleanup_(git_tree_freep) git_tree *images = NULL;
                _cleanup_(git_tree_entry_freep) git_tree_entry *ie = NULL;
                if (git_tree_entry_bypath(&ie, root, *dir) < 0 ||
                    git_tree_entry_type(ie) != GIT_OBJECT_TREE ||
                    git_tree_lookup(&images, r->repo, git_tree_entry_id(ie)) < 0)
                        continue;
                for (size_t i = 0; i < git_tree_entrycount(images); i++) {
                        const git_tree_entry *e = git_tree_entry_byindex(images, i);
                        const char *name = git_tree_entry_name(e);
                        _cleanup_(git_tree_freep) git_tree *sub = NULL;
                        if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
                            git_tree_lookup(&sub, r->repo, git_tree_entry_id(e)) < 0 ||
                            !git_tree_entry_byname(sub, "Dockerfile"))
                                continue;
                        snprintf(a, sizeof(a), "%s/%s", *dir, name);
                        if (!project_name_valid(name)) {
                                image_warn(warn, ud, a);
                                continue;
                        }
                        snprintf(b, sizeof(b), "%s/%s/Dockerfile", *dir, name);
                        snprintf(c, sizeof(c), "%s/%s/image.json", *dir, name);
                        if ((rr = add_image(&l, &alloc, name, a, b, c)) < 0)
                                goto fail;
                }
        }
        /* The flat layout: Dockerfile-<name> at the top, the whole repo its context. */
        for (size_t i = 0; i < git_tree_entrycount(root); i++) {
                const git_tree_entry *e = git_tree_entry_byindex(root, i);
                const char *f = git_tree_entry_name(e);
                if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || strncmp(f, "Dockerfile-", 11) != 0 ||
                    !f[11])
                        continue;
                if (!project_name_valid(f + 11)) {
                        image_warn(warn, ud, f);
                        continue;
                }
                snprintf(c, sizeof(c), "image-%s.json", f + 11);
                if ((rr = add_image(&l, &alloc, f + 11, "", f, c)) < 0)
                        goto fail;
        }
        l.n = repo_sort_unique(l.items, l.n, sizeof(ImageDesc), cmp_images, drop_image);
        *ret = l;
        return 0;
fail:
        image_list_done(&l);
        return rr;
}
