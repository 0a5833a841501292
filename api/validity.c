/* validity.c: a stack's load verdict, cached by the git id of what decides it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/project.h"
#include "source/source.h"
#include "util/fileio.h"
#include "validity.h"

#define VALIDITY_SLOTS 32768 /* open addressing, kept at most 5/8 full */
#define VALIDITY_MAX   20000
#define CHECK_ROOT     "/berth-api-check"

struct ValidityEntry {
        bool used;
        char key[160];
        char *problem; /* NULL: it loads */
        bool outside;  /* it reads files outside its directory: judge it per head */
};

void validity_init(Validity *v)
{
        *v = (Validity){ 0 };
        pthread_mutex_init(&v->lock, NULL);
}

static void entries_free(Validity *v)
{
        for (size_t i = 0; v->items && i < VALIDITY_SLOTS; i++)
                free(v->items[i].problem);
        free(v->items);
        v->items = NULL;
        v->n = 0;
}

static size_t slot_of(const char *key)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (const unsigned char *c = (const unsigned char *)key; *c; c++)
                h = (h ^ *c) * 1099511628211ULL;
        return (size_t)(h & (VALIDITY_SLOTS - 1));
}

void validity_done(Validity *v)
{
        entries_free(v);
        pthread_mutex_destroy(&v->lock);
}

/* The entry for key, or the free slot where it would go (NULL when there is no table); lock held. */
static ValidityEntry *slot(const Validity *v, const char *key)
{
        if (!v->items)
                return NULL;
        for (size_t i = slot_of(key);; i = (i + 1) & (VALIDITY_SLOTS - 1))
                if (!v->items[i].used || strcmp(v->items[i].key, key) == 0)
                        return &v->items[i];
}

static const ValidityEntry *find(const Validity *v, const char *key)
{
        ValidityEntry *e = slot(v, key);
        return e && e->used ? e : NULL;
}

static void store(Validity *v, const char *key, const char *problem, bool outside)
{
        pthread_mutex_lock(&v->lock);
        if (v->n >= VALIDITY_MAX)
                entries_free(v); /* bounded: start again rather than grow */
        if (!v->items)
                v->items = calloc(VALIDITY_SLOTS, sizeof(ValidityEntry));
        ValidityEntry *e = slot(v, key);
        if (e && !e->used && (!problem || (e->problem = strdup(problem)))) {
                e->used = true;
                snprintf(e->key, sizeof(e->key), "%s", key);
                e->outside = outside;
                v->n++;
        }
        pthread_mutex_unlock(&v->lock);
}

/* Whether a path the project read lies outside the stack's own directory. */
static bool reads_outside(const Project *p, const char *dir)
{
        _cleanup_free_ char *own = path_join(CHECK_ROOT, dir);
        size_t n = own ? strlen(own) : 0;
        if (!own)
                return true;
        for (char **f = p->files; f && *f; f++)
                if (strncmp(*f, own, n) != 0 || (*f)[n] != '/')
                        return true;
        for (const cJSON *svc = p->refs ? p->refs->child : NULL; svc; svc = svc->next)
                for (const cJSON *f = svc->child; f; f = f->next)
                        if (cJSON_IsString(f) &&
                            (strncmp(f->valuestring, own, n) != 0 || f->valuestring[n] != '/'))
                                return true;
        return false;
}

/* Loads the stack from head as reconcile does (git objects, its files found as compose finds them). */
static char *load_problem(Repo *repo, const char *head, const StackDesc *d, bool *ret_outside)
{
        _cleanup_source_ Source *src = NULL;
        _cleanup_(project_freep) Project *p = NULL;
        BerthError err = { 0 };
        char line[1400];
        _cleanup_free_ char *dir = path_join(CHECK_ROOT, d->dir);
        _cleanup_free_ char *file = d->file ? path_join(CHECK_ROOT, d->file) : NULL;
        if (!dir || (d->file && !file))
                return NULL;
        int r = repo_source_new(repo, head, d->dir, CHECK_ROOT, &src, &err);
        EnvMap env;
        envmap_init(&env);
        char *files[] = { file, NULL };
        ComposeOptions o = { .files = file ? files : NULL,
                             .n_files = file ? 1 : 0,
                             .project_name = d->name,
                             .project_directory = dir,
                             .cwd = dir,
                             .os_env = &env,
                             .secrets_unread = true,
                             .source = src };
        if (r >= 0)
                r = project_load(&o, &p, &err);
        envmap_done(&env);
        *ret_outside = r >= 0 && reads_outside(p, d->dir);
        if (r >= 0 || r == -ENOMEM)
                return NULL;
        error_unroot(&err, CHECK_ROOT);
        return strdup(error_format(&err, line, sizeof(line)));
}

char *validity_problem(Validity *v, Repo *repo, const char *head, const StackDesc *d)
{
        char id[41], key[160], head_key[160];
        if (repo_path_id(repo, head, d->file ? d->file : d->dir, id, NULL) < 0)
                return NULL;
        snprintf(key, sizeof(key), "%s:%s", d->name, id);
        snprintf(head_key, sizeof(head_key), "%s:%s@%s", d->name, id, head);
        pthread_mutex_lock(&v->lock);
        const ValidityEntry *e = find(v, key);
        if (e && e->outside)
                e = find(v, head_key);
        char *problem = e && e->problem ? strdup(e->problem) : NULL;
        bool known = e != NULL;
        pthread_mutex_unlock(&v->lock);
        if (known)
                return problem;
        bool outside = false;
        problem = load_problem(repo, head, d, &outside);
        store(v, key, problem, outside);
        if (outside)
                store(v, head_key, problem, false);
        return problem;
}
