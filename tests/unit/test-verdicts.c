/* test-verdicts.c: reconcile_plan's verdict for each stack of a real git repo against what a fake engine
 * says runs (a container list with berth's labels): new, unchanged (not even parsed), changed, another
 * repo's, deleted from git (pruned or kept), invalid (alone, with file:line:col), and the order the
 * stacks are applied in (a network one creates and another uses, depends_on_stacks, and a circle). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fake-engine.h"
#include "gitrepo.h"
#include "reconcile/reconcile.h"
#include "tap.h"

static char dir[256], state[300];
static char first[41], head[41];
static char containers[8192];

static const char SVC[] = "services:\n  web:\n    image: busybox\n";

static void write_file(const char *rel, const char *text)
{
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        free(repo_sh(dir, "mkdir -p $(dirname %s)", rel));
        FILE *f = fopen(path, "we");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

/* One running container of stack, labelled as berth labels what it deploys. */
static size_t live_json(char *buf, size_t size, const char *stack, const char *repo, const char *commit)
{
        return (size_t)snprintf(
                buf, size,
                "{\"Id\":\"id-%s\",\"Names\":[\"/%s-web-1\"],\"State\":\"running\",\"Status\":\"Up\","
                "\"Labels\":{\"" LABEL_PROJECT "\":\"%s\",\"" LABEL_SERVICE "\":\"web\",\"" LABEL_NUMBER
                "\":\"1\",\"" LABEL_MANAGED "\":\"true\",\"" LABEL_REPO "\":\"%s\",\"" LABEL_COMMIT
                "\":\"%s\",\"" LABEL_CONTAINERS "\":\"1\",\"" LABEL_CONTENT_HASH "\":\"h\"}}",
                stack, stack, stack, repo, commit);
}

static void make_repo(void)
{
        snprintf(dir, sizeof(dir), "/tmp/berth-test-verdicts-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        snprintf(state, sizeof(state), "%s-state", dir);
        free(repo_sh(dir, "git init -q -b main ."));
        write_file("stacks/same/compose.yaml", SVC);
        write_file("stacks/changed/compose.yaml", SVC);
        write_file("stacks/theirs/compose.yaml", SVC);
        repo_commit(dir, "one");
        write_file("stacks/changed/compose.yaml", "services:\n  web:\n    image: busybox:1\n");
        write_file("stacks/new/compose.yaml", SVC);
        write_file("stacks/broken/compose.yaml", "services:\n  web:\n    image: [busybox\n");
        /* net creates the network shared; user joins it from outside, so waits for net */
        write_file("stacks/net/compose.yaml",
                   "services:\n  web:\n    image: busybox\n    networks: [shared]\n"
                   "networks:\n  shared:\n    name: shared\n");
        write_file("stacks/user/compose.yaml",
                   "services:\n  web:\n    image: busybox\n    networks: [shared]\n"
                   "networks:\n  shared:\n    external: true\n");
        write_file("stacks/after/compose.yaml", SVC);
        write_file("stacks/after/stack.json", "{\"depends_on_stacks\": [\"new\"]}");
        write_file("stacks/ring-a/compose.yaml", SVC);
        write_file("stacks/ring-a/stack.json", "{\"depends_on_stacks\": [\"ring-b\"]}");
        write_file("stacks/ring-b/compose.yaml", SVC);
        write_file("stacks/ring-b/stack.json", "{\"depends_on_stacks\": [\"ring-a\"]}");
        repo_commit(dir, "two");
        repo_rev(dir, "HEAD~1", first);
        repo_rev(dir, "HEAD", head);
}

static const StackPlan *stack(const ReconcilePlan *p, const char *name)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->stacks[i].name, name) == 0)
                        return &p->stacks[i];
        return NULL;
}

static StackVerdict verdict(const ReconcilePlan *p, const char *name)
{
        const StackPlan *s = stack(p, name);
        return s ? s->verdict : (StackVerdict)-1;
}

static bool waits_for(const ReconcilePlan *p, const char *name, const char *other)
{
        const StackPlan *s = stack(p, name);
        for (size_t k = 0; s && k < s->n_after; k++)
                if (strcmp(p->stacks[s->after[k]].name, other) == 0)
                        return true;
        return false;
}

/* Plans the repo's head against the fake engine, which lists the containers in `containers`. */
static int plan(Repo *repo, bool prune, ReconcilePlan *ret, BerthError *err)
{
        FakeRoute routes[] = {
                { "GET", "/_ping", { 200, "Api-Version: 1.43\r\n", "OK" } },
                { "GET", "/containers/json", { 200, NULL, containers } },
                { "GET", "/volumes", { 200, NULL, "{\"Volumes\":[]}" } }, /* deploy records: none */
                { "GET", "/services", { 503, NULL, "{\"message\":\"This node is not a swarm manager.\"}" } },
        };
        FakeEngine f;
        if (fake_start_routes(&f, routes, 4) < 0)
                abort();
        char host[160];
        snprintf(host, sizeof(host), "unix://%s", f.path);
        EngineConfig cfg = { .host = host, .timeout_s = 10 };
        EngineClient *c = NULL;
        EnvMap env;
        envmap_init(&env);
        ReconcileOptions o = { .prune = prune, .env = &env, .state_dir = state, .health_timeout_s = 5 };
        int r = engine_client_new(&cfg, &c, err);
        if (r >= 0)
                r = reconcile_plan(c, repo, &o, ret, err);
        engine_client_free(c);
        fake_stop(&f);
        envmap_done(&env);
        return r;
}

TEST(each_stack_its_verdict)
{
        make_repo();
        Repo *repo = NULL;
        BerthError err = { 0 };
        ASSERT_OK(repo_open(dir, &repo, &err));
        const char *me = repo ? repo_identity(repo) : "";
        size_t n = 0;
        n += (size_t)snprintf(containers + n, sizeof(containers) - n, "[");
        n += live_json(containers + n, sizeof(containers) - n, "same", me, first);
        n += (size_t)snprintf(containers + n, sizeof(containers) - n, ",");
        n += live_json(containers + n, sizeof(containers) - n, "changed", me, first);
        n += (size_t)snprintf(containers + n, sizeof(containers) - n, ",");
        n += live_json(containers + n, sizeof(containers) - n, "theirs", "git.example.org/other", first);
        n += (size_t)snprintf(containers + n, sizeof(containers) - n, ",");
        n += live_json(containers + n, sizeof(containers) - n, "gone", me, first);
        snprintf(containers + n, sizeof(containers) - n, "]");

        ReconcilePlan p = { 0 };
        ASSERT_OK(plan(repo, true, &p, &err));
        ASSERT_STREQ(p.head, head);
        ASSERT_EQ(verdict(&p, "new"), VERDICT_DEPLOY);
        ASSERT_EQ(verdict(&p, "same"), VERDICT_SKIP);
        ASSERT_TRUE(stack(&p, "same") && !stack(&p, "same")->project); /* skipped without being parsed */
        ASSERT_EQ(verdict(&p, "changed"), VERDICT_UPDATE);
        ASSERT_CONTAINS(stack(&p, "changed") ? stack(&p, "changed")->reason : "",
                        "stacks/changed/compose.yaml changed between");
        ASSERT_EQ(verdict(&p, "theirs"), VERDICT_REFUSED);
        ASSERT_CONTAINS(stack(&p, "theirs") ? stack(&p, "theirs")->reason : "", "belongs to another repo");
        ASSERT_EQ(verdict(&p, "gone"), VERDICT_REMOVE);
        /* an invalid stack fails alone, where it is wrong */
        ASSERT_EQ(verdict(&p, "broken"), VERDICT_INVALID);
        const StackPlan *broken = stack(&p, "broken");
        ASSERT_CONTAINS(broken ? broken->error.file : "", "stacks/broken/compose.yaml");
        ASSERT_TRUE(broken && broken->error.line == 4 && broken->error.col == 1);
        ASSERT_CONTAINS(broken ? broken->error.msg : "", "flow sequence");
        ASSERT_EQ(reconcile_changes(&p), 6); /* new changed gone net user after; not the invalid */
        reconcile_plan_done(&p);

        /* prune: false keeps what git no longer has */
        ASSERT_OK(plan(repo, false, &p, &err));
        ASSERT_EQ(verdict(&p, "gone"), VERDICT_SKIP);
        ASSERT_CONTAINS(stack(&p, "gone") ? stack(&p, "gone")->reason : "", "kept (prune: false)");
        reconcile_plan_done(&p);
        repo_free(repo);
}

TEST(the_order_stacks_are_applied_in)
{
        Repo *repo = NULL;
        BerthError err = { 0 };
        ReconcilePlan p = { 0 };
        ASSERT_OK(repo_open(dir, &repo, &err));
        snprintf(containers, sizeof(containers), "[]");
        ASSERT_OK(plan(repo, true, &p, &err));
        ASSERT_TRUE(waits_for(&p, "user", "net")); /* the network it joins */
        ASSERT_TRUE(!waits_for(&p, "net", "user"));
        ASSERT_TRUE(waits_for(&p, "after", "new")); /* depends_on_stacks */
        ASSERT_TRUE(!waits_for(&p, "new", "after"));
        /* a circle: both invalid, the circle named */
        ASSERT_EQ(verdict(&p, "ring-a"), VERDICT_INVALID);
        ASSERT_EQ(verdict(&p, "ring-b"), VERDICT_INVALID);
        ASSERT_CONTAINS(stack(&p, "ring-a") ? stack(&p, "ring-a")->error.msg : "", "ring-b");
        ASSERT_EQ(verdict(&p, "new"), VERDICT_DEPLOY); /* the others go on */
        reconcile_plan_done(&p);
        repo_free(repo);
}

TEST(zz_cleanup)
{
        free(repo_sh("/tmp", "rm -rf %s %s", dir, state));
        ASSERT_TRUE(access(dir, F_OK) != 0);
}

TAP_MAIN()
