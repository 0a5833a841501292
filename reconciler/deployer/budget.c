/* budget.c: a counting semaphore with a size that can be read back. */
#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>

#include "budget.h"

struct OpBudget {
        sem_t slots;
        unsigned n;
};

int op_budget_new(unsigned slots, OpBudget **ret)
{
        OpBudget *b = calloc(1, sizeof(OpBudget));
        if (!b)
                return -ENOMEM;
        b->n = slots < 1 ? 1 : slots > OP_BUDGET_MAX ? OP_BUDGET_MAX : slots;
        if (sem_init(&b->slots, 0, b->n) < 0) {
                int r = -errno;
                free(b);
                return r;
        }
        *ret = b;
        return 0;
}

OpBudget *op_budget_free(OpBudget *b)
{
        if (b) {
                sem_destroy(&b->slots);
                free(b);
        }
        return NULL;
}

unsigned op_budget_slots(const OpBudget *b)
{
        return b->n;
}

void op_budget_take(OpBudget *b)
{
        while (sem_wait(&b->slots) < 0 && errno == EINTR)
                ;
}

void op_budget_give(OpBudget *b)
{
        sem_post(&b->slots);
}
