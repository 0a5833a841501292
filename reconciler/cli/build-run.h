/* build-run.h: berth build and berth release's shell over buildrun/: what the library says, printed
 * as it comes, in CI sections, then the table of results and the JSON report. */
#pragma once

#include "buildrun/buildrun.h"

typedef struct CliBuild {
        const char *command; /* "berth build", for messages */
        const char *host;    /* -H */
        const char *report;  /* the JSON report's path, or NULL */
        BuildRun run;
} CliBuild;

/* Returns the exit code: EXIT_DONE, EXIT_FAILED (an image failed), EXIT_USAGE (an unknown image). */
int cli_build_run(const CliBuild *b);
