/* budget.h: how many engine operations may be in flight at once.
 *
 * One budget is shared by every stack of a run, so stacks applied side by side cannot flood the engine
 * together: a create, a start, a stop or a removal each holds one slot while the engine works on it.
 * Waiting (health gates, depends_on conditions) holds none. */
#pragma once

#include "../util/cleanup.h"

/* The most operations a budget allows, whatever it is asked for. */
#define OP_BUDGET_MAX 256

typedef struct OpBudget OpBudget;

/* slots is clamped to 1..OP_BUDGET_MAX. */
int op_budget_new(unsigned slots, OpBudget **ret);
OpBudget *op_budget_free(OpBudget *b);
unsigned op_budget_slots(const OpBudget *b);
void op_budget_take(OpBudget *b);
void op_budget_give(OpBudget *b);

DEFINE_TRIVIAL_CLEANUP_FUNC(OpBudget *, op_budget_free)
