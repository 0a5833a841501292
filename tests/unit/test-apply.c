/* test-apply.c: a stack's plan carried out as a graph against a fake engine: a service is created only
 * after those it depends on, and one whose dependency failed is not touched at all. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "deploy/apply.h"
#include "fake-engine.h"
#include "load.h"
#include "tap.h"

static const char *const yaml = "services:\n"
                                "  web:\n    image: busybox\n    depends_on: [api]\n"
                                "  api:\n    image: busybox\n    depends_on: [db]\n"
                                "  db:\n    image: busybox\n"
                                "  lone:\n    image: busybox\n";

/* The order the containers were created in, by name ("st-db-1 st-api-1 ..."), from the bodies' names. */
static void creates(const FakeEngine *f, char *buf, size_t size)
{
        size_t n = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < f->n_requests && n < size; i++) {
                const char *q = strstr(f->requests[i], "/containers/create?name=");
                if (strncmp(f->requests[i], "POST ", 5) == 0 && q)
                        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "", q + 24);
        }
}

static const ServiceReport *report_of(const ApplyReport *r, const char *service)
{
        for (size_t i = 0; i < r->n; i++)
                if (strcmp(r->services[i].service, service) == 0)
                        return &r->services[i];
        return NULL;
}

/* What the engine lists of the stack once its services are created (a dependent looks its dependency
 * up before it waits for it). */
#define LIVE(svc)                                                                                           \
        "{\"Id\":\"c1\",\"Names\":[\"/st-" svc "-1\"],\"State\":\"running\",\"Labels\":{"                   \
        "\"com.docker.compose.project\":\"st\",\"com.docker.compose.service\":\"" svc "\","                 \
        "\"com.docker.compose.container-number\":\"1\"}}"
static const char stack_list[] = "[" LIVE("db") "," LIVE("api") "," LIVE("web") "," LIVE("lone") "]";

static int run(const FakeRoute *routes, size_t n_routes, FakeEngine *f, ApplyReport *rep)
{
        Project *p = load(yaml);
        ServiceHash h[] = { { "web", "W" }, { "api", "A" }, { "db", "D" }, { "lone", "L" } };
        LiveSet ls = { 0 };
        Plan plan = { 0 };
        BerthError err = { 0 };
        DeployIdentity id = { .repo = "local" };
        ApplyOptions o = { .parallel = 1, .timeout_s = 5, .id = &id };
        EngineClient *c = NULL;
        char host[160];
        int r;
        if (!p || fake_start_routes(f, routes, n_routes) < 0)
                abort();
        snprintf(host, sizeof(host), "unix://%s", f->path);
        EngineConfig cfg = { .host = host, .timeout_s = 10 };
        if ((r = plan_services(p, h, 4, &ls, false, &plan)) >= 0 &&
            (r = engine_client_new(&cfg, &c, &err)) >= 0)
                r = apply_plan(c, p, &plan, h, 4, &o, rep, &err);
        engine_client_free(c);
        fake_stop(f);
        plan_done(&plan);
        project_free(p);
        return r;
}

/* An engine that creates and starts whatever it is asked to; routes[0] is a test's fault, first so that
 * it wins (none: a route nothing asks for). */
static FakeRoute routes[] = {
        { "PUT", "/nothing", { 0 } },
        { "GET", "/_ping", { 200, "Api-Version: 1.43\r\n", "OK" } },
        { "GET", "/containers/json", { 200, NULL, stack_list } },
        { "GET", "/images/busybox/json", { 200, NULL, "{\"Id\":\"sha256:b\",\"RepoDigests\":[]}" } },
        { "POST", "/containers/create", { 201, NULL, "{\"Id\":\"c1\"}" } },
        { "POST", "/containers/c1/start", { 204, NULL, NULL } },
        { "GET",
          "/containers/c1/json",
          { 200, NULL, "{\"Id\":\"c1\",\"State\":{\"Status\":\"running\",\"Running\":true}}" } },
};

TEST(dependencies_first)
{
        FakeEngine f;
        ApplyReport rep = { 0 };
        char order[512];
        ASSERT_OK(run(routes, ELEMENTSOF(routes), &f, &rep));
        creates(&f, order, sizeof(order));
        /* one operation at a time: lone may come anywhere, the chain only in its order */
        const char *db = strstr(order, "st-db-1"), *api = strstr(order, "st-api-1"),
                   *web = strstr(order, "st-web-1");
        ASSERT_TRUE(db && api && web && db < api && api < web);
        ASSERT_TRUE(strstr(order, "st-lone-1") != NULL);
        ASSERT_EQ(rep.failed, 0);
        ASSERT_EQ(report_of(&rep, "web") ? report_of(&rep, "web")->result : RESULT_FAILED, RESULT_CHANGED);
        apply_report_done(&rep);
}

TEST(a_failed_dependency_stops_its_dependents)
{
        FakeEngine f;
        ApplyReport rep = { 0 };
        char order[512];
        routes[0] = (FakeRoute){ "POST",
                                 "/containers/create?name=st-db-1",
                                 { 500, NULL, "{\"message\":\"disk full\"}" } };
        run(routes, ELEMENTSOF(routes), &f, &rep);
        creates(&f, order, sizeof(order));
        ASSERT_TRUE(!strstr(order, "st-api-1") && !strstr(order, "st-web-1")); /* never asked for */
        ASSERT_TRUE(strstr(order, "st-lone-1") != NULL);                       /* the rest goes on */
        const ServiceReport *db = report_of(&rep, "db"), *api = report_of(&rep, "api"),
                            *web = report_of(&rep, "web");
        ASSERT_TRUE(db && db->result == RESULT_FAILED);
        ASSERT_CONTAINS(db ? db->message : "", "disk full");
        ASSERT_TRUE(api && api->result == RESULT_SKIPPED && web && web->result == RESULT_SKIPPED);
        ASSERT_EQ(report_of(&rep, "lone") ? report_of(&rep, "lone")->result : RESULT_FAILED, RESULT_CHANGED);
        apply_report_done(&rep);
}

TAP_MAIN()
