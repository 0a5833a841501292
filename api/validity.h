/* validity.h: whether each stack of the branch loads as the reconciler will load it, and why not.
 *
 * A stack that does not load shows only dashes otherwise: never deployed, and nothing says why. Loading
 * every stack on every listing would cost a listing of thousands its speed, so a verdict is kept by what
 * decides it: the git id of the stack's directory (or flat file), which changes exactly when its content
 * does. A stack that reads files outside its directory is judged per branch head instead. The cache is
 * shared by the request threads (its own lock) and bounded. */
#pragma once

#include <pthread.h>

#include "gitops/repo.h"

typedef struct ValidityEntry ValidityEntry;

typedef struct Validity {
        pthread_mutex_t lock;
        ValidityEntry *items;
        size_t n;
} Validity;

void validity_init(Validity *v);
void validity_done(Validity *v);
/* NULL when stack d loads at head; otherwise why not (a new string the caller frees). */
char *validity_problem(Validity *v, Repo *repo, const char *head, const StackDesc *d);
