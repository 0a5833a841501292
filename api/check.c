/* check.c: a stack's directory as a change would commit it, loaded as the reconciler does and policed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compose/project.h"
#include "source/source.h"
#include "util/digest.h"
#include "util/fileio.h"

void stack_check_done(StackCheck *c)
{
        policy_violations_done(&c->violations);
}

typedef struct Files {
        ChangeSet set; /* repo-relative paths with their data: the directory as it will be */
        const char *dir;
} Files;

static int collect(void *ud, const char *path, unsigned mode, const void *data, size_t len)
{
        Files *f = ud;
        char full[600];
        snprintf(full, sizeof(full), "%s/%s", f->dir, path);
        return change_set_add(&f->set, full, data, len);
}

static bool at_or_under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Drops the files at or under path (a change that removes a file or a whole directory). */
static void files_remove(ChangeSet *s, const char *path)
{
        size_t kept = 0;
        for (size_t i = 0; i < s->n; i++) {
                if (at_or_under(s->items[i].path, path)) {
                        free(s->items[i].path);
                        free(s->items[i].data);
                } else
                        s->items[kept++] = s->items[i];
        }
        s->n = kept;
}

static int files_apply(Files *f, const ChangeSet *changes)
{
        for (size_t i = 0; changes && i < changes->n; i++) {
                const FileChange *c = &changes->items[i];
                if (!at_or_under(c->path, f->dir))
                        continue;
                files_remove(&f->set, c->path);
                if (c->data && change_set_add(&f->set, c->path, c->data, c->len) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int stack_check(const Policy *pol, Repo *repo, const char *head, const char *name, const ChangeSet *changes,
                StackCheck *c, Project **ret_project, Source **ret_source)
{
        char dir[300], root[128], project_dir[450], nonce[DIGEST_HEX_LEN + 1];
        _cleanup_source_ Source *src = NULL;
        _cleanup_(project_freep) Project *p = NULL;
        int r;

        snprintf(dir, sizeof(dir), "stacks/%s", name);
        Files f = { .dir = dir };
        if (head && head[0] && (r = repo_walk(repo, head, dir, collect, &f, NULL)) < 0 && r != -ENOENT)
                goto out;
        if ((r = files_apply(&f, changes)) < 0)
                goto out;
        /* A fresh random root: a template cannot name the stack's own directory by an absolute path and
         * have the policy take a host path for the stack's own. */
        if ((r = random_hex(nonce, 16)) < 0) {
                error_set(&c->err, -EIO, NULL, 0, 0, NULL, "no randomness for the check's root");
                goto out;
        }
        snprintf(root, sizeof(root), "/berth-api-%s", nonce);
        snprintf(project_dir, sizeof(project_dir), "%s/%s", root, dir);
        if ((r = source_memory_new(root, "the stack as it would be committed", &src)) < 0)
                goto out;
        for (size_t i = 0; i < f.set.n && r >= 0; i++)
                r = source_memory_add(src, f.set.items[i].path, f.set.items[i].data, f.set.items[i].len);
        if (r < 0)
                goto out;
        EnvMap env;
        envmap_init(&env);
        /* No files named: the directory's own compose files, overrides merged, as reconcile finds them. */
        ComposeOptions o = { .project_name = name,
                             .project_directory = project_dir,
                             .cwd = project_dir,
                             .os_env = &env,
                             .secrets_unread = true,
                             .source = src };
        r = project_load(&o, &p, &c->err);
        envmap_done(&env);
        if (r < 0) {
                error_unroot(&c->err, root);
                r = r == -ENOMEM ? r : -EINVAL;
                goto out;
        }
        r = policy_check(pol, p, p->dir, &c->violations);
        if (r > 0)
                r = -EPERM;
        if (r >= 0 && ret_project) {
                *ret_project = TAKE_PTR(p);
                *ret_source = TAKE_PTR(src);
        }
out:
        change_set_done(&f.set);
        return r < 0 ? r : 0;
}
