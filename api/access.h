/* access.h: berth-api's access log: one JSON object per line on standard error, for a log shipper.
 *
 * A line per request says who (the client's address and the token's name, never the token), what (the
 * method and path, never the query or the body), the result (the status) and how long it took. A
 * refused authentication has a line of its own ("event": "auth_refused"), with why. Lines are written
 * whole by one call each, so threads never interleave them. */
#pragma once

#include <stdio.h>

typedef struct AccessEntry {
        const char *client; /* "127.0.0.1", "unix" */
        const char *token;  /* the token's name, or NULL */
        const char *method;
        const char *path;
        int status;
        double seconds;
        const char *note; /* why a request was refused before it ran (a limit, a deadline), or NULL */
} AccessEntry;

void access_log_request(FILE *f, const AccessEntry *e);
/* reason: "no token", "unknown token", "read token asked to write". */
void access_log_auth_refused(FILE *f, const char *client, const char *method, const char *path,
                             const char *reason);
