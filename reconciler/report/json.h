/* json.h: the reconcile report as JSON (what `plan --format json` prints and `reconcile --report FILE`
 * keeps as a CI artifact): the commit, and per stack and target its action, reason, result, commits,
 * and each service's outcome. Never a secret: reasons and errors are berth's own words. */
#pragma once

#include <stdio.h>

#include "../reconcile/reconcile.h"

cJSON *report_json(const ReconcilePlan *const *plans, size_t n);
/* Prints it to f. */
int report_json_print(FILE *f, const ReconcilePlan *const *plans, size_t n);
/* Writes it to path whole or not at all (a CI artifact may be read while the job runs). */
int report_json_write(const char *path, const ReconcilePlan *const *plans, size_t n);
