/* metrics.c: counters and a latency histogram per route, printed as Prometheus text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

/* Seconds: from a cached read to a push under contention. */
static const double bounds[METRICS_BUCKETS - 1] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,   0.25,   0.5,   1,    2.5 };

void metrics_init(Metrics *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
}

void metrics_done(Metrics *m)
{
        pthread_mutex_destroy(&m->lock);
}

void metrics_request(Metrics *m, int route, int status, double seconds)
{
        size_t i = route >= 0 && route < METRICS_ROUTES_MAX ? (size_t)route : METRICS_ROUTES_MAX;
        size_t b = 0;
        while (b < METRICS_BUCKETS - 1 && seconds > bounds[b])
                b++;
        pthread_mutex_lock(&m->lock);
        RouteMetrics *r = &m->routes[i];
        r->bucket[b]++;
        r->count++;
        r->sum += seconds;
        /* A route answers with a handful of statuses; past the table's room they are not itemised. */
        for (size_t s = 0; s < METRICS_STATUSES_MAX; s++)
                if (r->statuses[s] == status || r->statuses[s] == 0) {
                        r->statuses[s] = status;
                        r->by_status[s]++;
                        break;
                }
        pthread_mutex_unlock(&m->lock);
}

void metrics_commit(Metrics *m)
{
        pthread_mutex_lock(&m->lock);
        m->commits++;
        pthread_mutex_unlock(&m->lock);
}

void metrics_conflict(Metrics *m)
{
        pthread_mutex_lock(&m->lock);
        m->conflicts++;
        pthread_mutex_unlock(&m->lock);
}

int metrics_render(Metrics *m, const char *const *methods, const char *const *patterns, size_t n_routes,
                   const WriterStats *ws, StrBuf *out)
{
        if (n_routes > METRICS_ROUTES_MAX)
                n_routes = METRICS_ROUTES_MAX;
        pthread_mutex_lock(&m->lock);
        strbuf_addf(out, "# HELP berth_api_requests_total Requests answered, by route and status.\n"
                         "# TYPE berth_api_requests_total counter\n");
        for (size_t i = 0; i <= n_routes; i++) {
                size_t k = i < n_routes ? i : METRICS_ROUTES_MAX;
                const char *method = i < n_routes ? methods[i] : "",
                           *route = i < n_routes ? patterns[i] : "";
                for (size_t s = 0; s < METRICS_STATUSES_MAX && m->routes[k].statuses[s]; s++)
                        strbuf_addf(out,
                                    "berth_api_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} "
                                    "%lu\n",
                                    method, route, m->routes[k].statuses[s], m->routes[k].by_status[s]);
        }
        strbuf_addf(out, "# HELP berth_api_request_duration_seconds Time to answer a request.\n"
                         "# TYPE berth_api_request_duration_seconds histogram\n");
        for (size_t i = 0; i <= n_routes; i++) {
                size_t k = i < n_routes ? i : METRICS_ROUTES_MAX;
                const RouteMetrics *r = &m->routes[k];
                const char *method = i < n_routes ? methods[i] : "",
                           *route = i < n_routes ? patterns[i] : "";
                if (!r->count)
                        continue;
                unsigned long cum = 0;
                for (size_t b = 0; b < METRICS_BUCKETS; b++) {
                        char le[32];
                        cum += r->bucket[b];
                        if (b < METRICS_BUCKETS - 1)
                                snprintf(le, sizeof(le), "%g", bounds[b]);
                        else
                                snprintf(le, sizeof(le), "+Inf");
                        strbuf_addf(out,
                                    "berth_api_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                                    "le=\"%s\"} %lu\n",
                                    method, route, le, cum);
                }
                strbuf_addf(out,
                            "berth_api_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
                            "berth_api_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %lu\n",
                            method, route, r->sum, method, route, r->count);
        }
        strbuf_addf(out,
                    "# HELP berth_api_commits_total Commits pushed to the config repo.\n"
                    "# TYPE berth_api_commits_total counter\nberth_api_commits_total %lu\n"
                    "# HELP berth_api_conflicts_total Changes refused because the stack had changed.\n"
                    "# TYPE berth_api_conflicts_total counter\nberth_api_conflicts_total %lu\n",
                    m->commits, m->conflicts);
        pthread_mutex_unlock(&m->lock);
        strbuf_addf(out,
                    "# HELP berth_api_pushes_total Pushes tried.\n"
                    "# TYPE berth_api_pushes_total counter\nberth_api_pushes_total %lu\n"
                    "# HELP berth_api_push_retries_total Pushes rejected because the branch had moved, "
                    "then retried.\n"
                    "# TYPE berth_api_push_retries_total counter\nberth_api_push_retries_total %lu\n"
                    "# HELP berth_api_git_failures_total Fetches or pushes that failed and were tried "
                    "again.\n"
                    "# TYPE berth_api_git_failures_total counter\nberth_api_git_failures_total %lu\n",
                    ws->pushes, ws->rejected, ws->failed_tries);
        return out->len ? 0 : -ENOMEM;
}
