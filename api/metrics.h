/* metrics.h: berth-api's Prometheus metrics: requests by route and status, their latency, and what the
 * git writes did. One lock guards it all; a request takes it once, after its reply is made. */
#pragma once

#include <pthread.h>

#include "gitops/write.h"
#include "util/strbuf.h"

#define METRICS_BUCKETS      12
#define METRICS_ROUTES_MAX   32
#define METRICS_STATUSES_MAX 16

typedef struct RouteMetrics {
        unsigned long by_status[METRICS_STATUSES_MAX];
        int statuses[METRICS_STATUSES_MAX];
        unsigned long bucket[METRICS_BUCKETS]; /* cumulative when printed, not here */
        unsigned long count;
        double sum;
} RouteMetrics;

typedef struct Metrics {
        pthread_mutex_t lock;
        /* [0..n_routes) the route table's routes, [n_routes] requests that matched none */
        RouteMetrics routes[METRICS_ROUTES_MAX + 1];
        unsigned long commits, conflicts;
} Metrics;

void metrics_init(Metrics *m);
void metrics_done(Metrics *m);
/* route: the index in the route table, or -1 for no route. */
void metrics_request(Metrics *m, int route, int status, double seconds);
void metrics_commit(Metrics *m);
void metrics_conflict(Metrics *m);
/* The text exposition format; labels from routes[i] "METHOD PATTERN". */
int metrics_render(Metrics *m, const char *const *methods, const char *const *patterns, size_t n_routes,
                   const WriterStats *ws, StrBuf *out);
