/* test-swarm.c: compose services, networks and objects to swarm specs, from the model alone (no
 * engine): the mapping's pieces that a parity run could hide behind a default. */
#include <stdlib.h>
#include <unistd.h>

#include "compose/project.h"
#include "swarm/drift.h"
#include "swarm/spec.h"
#include "load.h"
#include "tap.h"

static int warnings;
static void count_warning(void *ud, const char *msg)
{
        warnings++;
        printf("# warning: %s\n", msg);
}

/* The value at a path of "/"-separated keys and array indexes, printed compactly. */
static char *at(const cJSON *j, const char *path)
{
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *save = NULL, *k = strtok_r(buf, "/", &save); k && j; k = strtok_r(NULL, "/", &save))
                j = (*k >= '0' && *k <= '9') ? cJSON_GetArrayItem(j, atoi(k))
                                             : cJSON_GetObjectItemCaseSensitive(j, k);
        return j ? cJSON_PrintUnformatted(j) : strdup("(none)");
}

#define ASSERT_AT(j, path, want)                                                                            \
        do {                                                                                                \
                char *got_ = at((j), (path));                                                               \
                ASSERT_STREQ(got_, (want));                                                                 \
                free(got_);                                                                                 \
        } while (0)

TEST(service_specs_as_docker_stack_deploy_maps_them)
{
        Project *p = load("services:\n"
                          "  web:\n"
                          "    image: app:1\n"
                          "    command: [serve, --port, \"80\"]\n"
                          "    environment: {B: \"2\", A: \"1\", U: null}\n"
                          "    cap_add: [net_admin]\n"
                          "    restart: on-failure:3\n"
                          "    stop_grace_period: 1m30s\n"
                          "    ports: [\"8080:80\", {target: 81, published: 9091, mode: host}]\n"
                          "    secrets: [{source: tok, target: t.txt, mode: 0400}]\n"
                          "    deploy:\n"
                          "      replicas: 3\n"
                          "      labels: [tier=front]\n"
                          "      resources: {limits: {cpus: \"1.5\", memory: 1G}}\n"
                          "      update_config: {delay: 10s, order: start-first}\n"
                          "    privileged: true\n"
                          "secrets: {tok: {file: ./tok.txt}}\n");
        ASSERT_TRUE(p != NULL);
        if (!p)
                return;
        cJSON *refs = cJSON_Parse(
                "{\"secrets\": {\"tok\": {\"Name\": \"st_tok_0123456789ab\", \"ID\": \"sid\"}}}");
        cJSON *spec = NULL;
        BerthError err = { 0 };
        warnings = 0;
        ASSERT_OK(swarm_service_spec(p, "web", "hash", NULL, NULL, &(SwarmRefs){ refs }, NULL, count_warning,
                                     NULL, &spec, &err));
        ASSERT_AT(spec, "Name", "\"st_web\"");
        ASSERT_AT(spec, "Labels/com.docker.stack.namespace", "\"st\"");
        ASSERT_AT(spec, "Labels/com.docker.stack.image", "\"app:1\"");
        ASSERT_AT(spec, "Labels/tier", "\"front\"");
        ASSERT_AT(spec, "Labels/io.berth.content-hash", "\"hash\"");
        ASSERT_AT(spec, "TaskTemplate/ContainerSpec/Args", "[\"serve\",\"--port\",\"80\"]");
        /* In order, and a variable without a value passed by name for the engine to leave unset. */
        ASSERT_AT(spec, "TaskTemplate/ContainerSpec/Env", "[\"A=1\",\"B=2\",\"U\"]");
        ASSERT_AT(spec, "TaskTemplate/ContainerSpec/CapabilityAdd", "[\"CAP_NET_ADMIN\"]");
        ASSERT_AT(spec, "TaskTemplate/ContainerSpec/StopGracePeriod", "90000000000");
        ASSERT_AT(spec, "TaskTemplate/ContainerSpec/Secrets/0/File",
                  "{\"Name\":\"t.txt\",\"UID\":\"0\",\"GID\":\"0\",\"Mode\":256}");
        ASSERT_AT(spec, "TaskTemplate/ContainerSpec/Secrets/0/SecretName", "\"st_tok_0123456789ab\"");
        ASSERT_AT(spec, "TaskTemplate/RestartPolicy", "{\"Condition\":\"on-failure\",\"MaxAttempts\":3}");
        ASSERT_AT(spec, "TaskTemplate/Resources/Limits",
                  "{\"NanoCPUs\":1500000000,\"MemoryBytes\":1073741824}");
        ASSERT_AT(spec, "TaskTemplate/Networks/0/Target", "\"st_default\"");
        ASSERT_AT(spec, "TaskTemplate/Networks/0/Aliases", "[\"web\"]");
        ASSERT_AT(spec, "Mode/Replicated/Replicas", "3");
        ASSERT_AT(spec, "UpdateConfig",
                  "{\"Parallelism\":1,\"Delay\":10000000000,\"Order\":\"start-first\"}");
        ASSERT_AT(spec, "EndpointSpec/Ports/0",
                  "{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":8080,\"PublishMode\":"
                  "\"ingress\"}");
        ASSERT_AT(spec, "EndpointSpec/Ports/1/PublishMode", "\"host\"");
        /* privileged is named, not dropped silently. */
        ASSERT_EQ(warnings, 1);
        cJSON_Delete(spec);

        /* A secret the swarm does not have is an error that names it. */
        cJSON_Delete(refs);
        refs = cJSON_Parse("{}");
        spec = NULL;
        err = (BerthError){ 0 };
        ASSERT_TRUE(swarm_service_spec(p, "web", "hash", NULL, NULL, &(SwarmRefs){ refs }, NULL, NULL, NULL,
                                       &spec, &err) < 0);
        ASSERT_CONTAINS(err.msg, "\"tok\" is not a secret of the swarm");
        cJSON_Delete(refs);
        project_free(p);
}

TEST(global_mode_networks_and_object_names)
{
        Project *p = load("services:\n"
                          "  agent:\n"
                          "    image: agent\n"
                          "    deploy: {mode: global, endpoint_mode: dnsrr}\n"
                          "    networks: {back: {aliases: [a]}}\n"
                          "  bad:\n"
                          "    image: agent\n"
                          "    deploy: {mode: global, replicas: 2}\n"
                          "networks: {back: {attachable: true, labels: {x: y}}}\n"
                          "configs: {site: {file: ./site.txt, name: site-conf}}\n");
        ASSERT_TRUE(p != NULL);
        if (!p)
                return;
        cJSON *spec = NULL, *net = NULL;
        BerthError err = { 0 };
        ASSERT_OK(swarm_service_spec(p, "agent", "h", "agent@sha256:00", "agent@sha256:00", NULL, NULL, NULL,
                                     NULL, &spec, &err));
        ASSERT_AT(spec, "Mode", "{\"Global\":{}}");
        ASSERT_AT(spec, "EndpointSpec/Mode", "\"dnsrr\"");
        ASSERT_AT(spec, "TaskTemplate/ContainerSpec/Image", "\"agent@sha256:00\"");
        ASSERT_AT(spec, "Labels/io.berth.image-digest", "\"agent@sha256:00\"");
        ASSERT_AT(spec, "TaskTemplate/Networks/0/Aliases", "[\"a\",\"agent\"]");
        cJSON_Delete(spec);
        spec = NULL;
        ASSERT_TRUE(swarm_service_spec(p, "bad", "h", NULL, NULL, NULL, NULL, NULL, NULL, &spec, &err) < 0);
        ASSERT_CONTAINS(err.msg, "replicas can only be used with replicated");
        ASSERT_OK(swarm_network_spec(p, "back", NULL, &net, &err));
        ASSERT_AT(net, "Driver", "\"overlay\"");
        ASSERT_AT(net, "Attachable", "true");
        ASSERT_AT(net, "Labels/x", "\"y\"");
        ASSERT_AT(net, "Labels/com.docker.stack.namespace", "\"st\"");
        cJSON_Delete(net);
        char name[64];
        ASSERT_OK(swarm_object_name(p, "configs", "site", "0123456789abcdef", name, sizeof(name)));
        ASSERT_STREQ(name, "site-conf_0123456789ab");
        project_free(p);
}

/* A live spec against the one berth would send: what the engine adds is no drift, what a hand adds is. */
TEST(drift_of_a_service_changed_by_hand)
{
        const char *sent = "{\"Name\":\"st_web\",\"Labels\":{\"io.berth.commit\":\"c2\"},"
                           "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"i\",\"Args\":[\"sleep\",\"1\"],"
                           "\"Env\":[],\"Init\":false},\"Networks\":[{\"Target\":\"st_default\","
                           "\"Aliases\":[\"web\"]}]},\"Mode\":{\"Replicated\":{\"Replicas\":2}}}";
        /* As the engine stores it: the commit of an older deploy, defaults filled in, the network's ID,
         * the empty values dropped. */
        const char *stored =
                "{\"Name\":\"st_web\",\"Labels\":{\"io.berth.commit\":\"c1\",\"x\":\"y\"},"
                "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"i\",\"Args\":[\"sleep\",\"1\"],"
                "\"Isolation\":\"default\"},\"ForceUpdate\":0,\"Runtime\":\"container\","
                "\"Networks\":[{\"Target\":\"k3j5x9\",\"Aliases\":[\"web\"]}]},"
                "\"Mode\":{\"Replicated\":{\"Replicas\":2}}}";
        cJSON *want = cJSON_Parse(sent), *live = cJSON_Parse(stored);
        char where[200];
        ASSERT_TRUE(swarm_spec_covers(want, live, where, sizeof(where)));
        ASSERT_STREQ(where, "");
        /* docker service update --env-add: a field berth sent empty now holds something. */
        cJSON *cs = cJSON_GetObjectItem(cJSON_GetObjectItem(live, "TaskTemplate"), "ContainerSpec");
        cJSON *env = cJSON_AddArrayToObject(cs, "Env");
        cJSON_AddItemToArray(env, cJSON_CreateString("HAND=1"));
        ASSERT_TRUE(!swarm_spec_covers(want, live, where, sizeof(where)));
        ASSERT_STREQ(where, "TaskTemplate.ContainerSpec.Env");
        cJSON_DeleteItemFromObject(cs, "Env");
        /* --args: a value changed. */
        cJSON_ReplaceItemInArray(cJSON_GetObjectItem(cs, "Args"), 1, cJSON_CreateString("2"));
        ASSERT_TRUE(!swarm_spec_covers(want, live, where, sizeof(where)));
        ASSERT_STREQ(where, "TaskTemplate.ContainerSpec.Args[1]");
        cJSON_ReplaceItemInArray(cJSON_GetObjectItem(cs, "Args"), 1, cJSON_CreateString("1"));
        /* --read-only: a field berth never sent. */
        cJSON_AddTrueToObject(cs, "ReadOnly");
        ASSERT_TRUE(!swarm_spec_covers(want, live, where, sizeof(where)));
        ASSERT_STREQ(where, "TaskTemplate.ContainerSpec.ReadOnly");
        cJSON_Delete(want);
        cJSON_Delete(live);
}

TAP_MAIN()
