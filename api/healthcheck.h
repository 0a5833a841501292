/* healthcheck.h: the container's health check, a client of the server's /healthz. */
#pragma once

#include <stdbool.h>

/* GET /healthz on the server listening on listen_on (HOST:PORT, unix:PATH); 0 for a 200, else 1 with
 * why on stderr. */
int api_healthcheck(const char *listen_on);
