/* ci.h: human output of a reconcile, shaped for the CI it runs in: GitLab collapsible sections when
 * GITLAB_CI is set, GitHub ::group:: lines and the step summary when GITHUB_ACTIONS is set, plain
 * text otherwise. Reads a ReconcilePlan; writes to the given stream (and $GITHUB_STEP_SUMMARY). */
#pragma once

#include <stdio.h>

#include "../reconcile/reconcile.h"

typedef enum CiKind {
        CI_NONE,
        CI_GITLAB,
        CI_GITHUB,
} CiKind;

CiKind ci_detect(const EnvMap *env);
/* A section folded by default unless collapsed is false (one that failed, to be read). */
void ci_section_start(FILE *f, CiKind ci, const char *id, const char *title, bool collapsed);
void ci_section_end(FILE *f, CiKind ci, const char *id);
/* The plan: one line per stack with its reason, then each changing container with its own. */
void ci_print_plan(FILE *f, CiKind ci, const ReconcilePlan *plan);
/* The closing table over a run's plans (one per target): stack, target, action, result, duration. */
void ci_print_summary(FILE *f, const ReconcilePlan *const *plans, size_t n);
/* A line per stack that failed (and whether it was rolled back), with its error and hint: for stderr. */
void ci_print_failures(FILE *f, const ReconcilePlan *const *plans, size_t n);
/* GitHub: the same table in Markdown, appended to the step summary file. */
int ci_step_summary(const char *path, const ReconcilePlan *const *plans, size_t n);
