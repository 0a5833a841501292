/* test-plan.c: the plan as a pure function of model, hashes and live containers: no engine needed. */
#include <stdlib.h>
#include <unistd.h>

#include "compose/project.h"
#include "deploy/plan.h"
#include "load.h"
#include "tap.h"

static LiveContainer live(const char *service, unsigned number, const char *hash, const char *state)
{
        char id[64], name[64];
        snprintf(id, sizeof(id), "id-%s-%u", service, number);
        snprintf(name, sizeof(name), "st-%s-%u", service, number);
        return (LiveContainer){ .id = strdup(id),
                                .name = strdup(name),
                                .service = strdup(service),
                                .number = number,
                                .hash = strdup(hash),
                                .state = strdup(state) };
}

static void live_items_free(LiveContainer *items, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(items[i].id);
                free(items[i].name);
                free(items[i].service);
                free(items[i].hash);
                free(items[i].state);
        }
}

static const char *summary(const Plan *plan, char *buf, size_t size)
{
        size_t n = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < plan->n && n < size; i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%s:%s#%u", i ? " " : "",
                                      action_kind_name(plan->actions[i].kind), plan->actions[i].service,
                                      plan->actions[i].number);
        return buf;
}

static const char *const yaml =
        "services:\n"
        "  web:\n    image: busybox\n    deploy:\n      replicas: 2\n"
        "    depends_on:\n      db:\n        condition: service_started\n        restart: true\n"
        "  db:\n    image: busybox\n"
        "  cache:\n    image: busybox\n    depends_on: [db]\n";

TEST(nothing_live_creates_everything)
{
        Project *p = load(yaml);
        ASSERT_TRUE(p);
        if (!p)
                return;
        ServiceHash h[] = { { "web", "W" }, { "db", "D" }, { "cache", "C" } };
        LiveSet ls = { 0 };
        Plan plan = { 0 };
        char buf[512];
        ASSERT_OK(plan_services(p, h, 3, &ls, false, &plan));
        ASSERT_STREQ(summary(&plan, buf, sizeof(buf)),
                     "create:cache#1 create:db#1 create:web#1 create:web#2");
        ASSERT_STREQ(plan.actions[0].reason, "new service");
        ASSERT_STREQ(plan.actions[2].container_name, "st-web-1");
        ASSERT_EQ(plan_changes(&plan), 4);
        plan_done(&plan);
        project_free(p);
}

TEST(each_live_container_gets_the_least_action)
{
        Project *p = load(yaml);
        ASSERT_TRUE(p);
        if (!p)
                return;
        ServiceHash h[] = { { "web", "W" }, { "db", "D2" }, { "cache", "C" } };
        LiveContainer items[] = {
                live("web", 1, "W", "running"),   live("web", 2, "W", "exited"),
                live("web", 3, "W", "running"),   live("db", 1, "D1", "running"),
                live("cache", 1, "C", "running"), live("gone", 1, "G", "running"),
        };
        LiveSet ls = { .items = items, .n = 6 };
        Plan plan = { 0 };
        char buf[512];
        ASSERT_OK(plan_services(p, h, 3, &ls, false, &plan));
        /* db's hash changed: recreate; web#2 stopped: start; web#3 above replicas: remove; web#1 waits on
         * db with restart: true, so it restarts; cache depends on db without restart: untouched. */
        ASSERT_STREQ(summary(&plan, buf, sizeof(buf)),
                     "noop:cache#1 recreate:db#1 orphan:gone#1 restart:web#1 start:web#2 remove:web#3");
        for (size_t i = 0; i < plan.n; i++) {
                const Action *a = &plan.actions[i];
                if (a->kind == ACTION_RECREATE)
                        ASSERT_CONTAINS(a->reason, "content hash D1 -> D2");
                if (a->kind == ACTION_START)
                        ASSERT_STREQ(a->reason, "container is exited");
                if (a->kind == ACTION_REMOVE)
                        ASSERT_STREQ(a->reason, "scaled down to 2");
                if (a->kind == ACTION_RESTART)
                        ASSERT_CONTAINS(a->reason, "its dependency \"db\" is replaced");
                if (a->kind == ACTION_ORPHAN)
                        ASSERT_CONTAINS(a->reason, "use --remove-orphans");
        }
        plan_done(&plan);

        ASSERT_OK(plan_services(p, h, 3, &ls, true, &plan));
        ASSERT_CONTAINS(summary(&plan, buf, sizeof(buf)), "remove:gone#1");
        plan_done(&plan);
        live_items_free(items, ls.n);
        project_free(p);
}

TEST(unchanged_stack_has_no_changes)
{
        Project *p = load(yaml);
        ASSERT_TRUE(p);
        if (!p)
                return;
        ServiceHash h[] = { { "web", "W" }, { "db", "D" }, { "cache", "C" } };
        LiveContainer items[] = { live("web", 1, "W", "running"), live("web", 2, "W", "running"),
                                  live("db", 1, "D", "running"), live("cache", 1, "C", "running") };
        LiveSet ls = { .items = items, .n = 4 };
        Plan plan = { 0 };
        ASSERT_OK(plan_services(p, h, 3, &ls, true, &plan));
        ASSERT_EQ(plan.n, 4);
        ASSERT_EQ(plan_changes(&plan), 0);
        plan_done(&plan);
        live_items_free(items, ls.n);
        project_free(p);
}

TAP_MAIN()
