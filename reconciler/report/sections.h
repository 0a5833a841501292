/* sections.h: an apply's output while stacks run side by side.
 *
 * Each stack's progress lines are kept until the stack finishes, then printed together as its own
 * section (a GitLab section, a GitHub group; a failed one open), so the lines of stacks never
 * interleave. On a terminal a one-line counter ("12/100 stacks, 3 failed") stands below the sections.
 * One Sections serves one target's plan; several, for targets applied at once, print one at a time.
 * Reads the plan; owns only its buffers. */
#pragma once

#include <stdio.h>

#include "ci.h"

typedef struct Sections Sections;

/* counter: draw the live counter (a terminal, not a CI log). */
int sections_new(FILE *f, CiKind ci, bool counter, const ReconcilePlan *plan, Sections **ret);
Sections *sections_free(Sections *s);
/* A progress line of a stack of the plan (the ReconcileOptions.progress callback's arguments). */
void sections_progress(Sections *s, const char *stack, const Action *a, const char *phase,
                       const char *error);
/* The stack finished: its section is printed, then the counter. */
void sections_finished(Sections *s, const StackPlan *sp, size_t done, size_t total, size_t failed);
/* A target's plan, in a section of its own, written as a whole between the stacks' sections. */
void sections_print_plan(FILE *f, CiKind ci, const ReconcilePlan *plan);
/* Clears the counter line, once every stack is done. */
void sections_end(Sections *s);
