#!/bin/bash
# test-swarm.sh: swarm stacks (`berth up/down/ps --swarm`) on a swarm of two nodes (tests/lib/swarm.sh),
# checked with the docker CLI and python3-docker. First the rig itself: two nodes ready, named and
# labelled, a global service runs one task on each, a placement constraint is honoured, an overlay
# network carries traffic between the nodes. Then berth: what `docker stack` sees of its stacks, a
# no-op deploy that writes nothing (the engine's events counted), a changed config made a new object
# with only its user updated, global and placed services, errors and warnings, `docker stack rm` and
# `berth down --swarm`; and parity with `docker stack deploy` on the compose files of
# tests/data/swarm-parity, each deployed by both tools and compared field by field (swarm_parity.py).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
. "$(dirname "$0")/../lib/swarm.sh"
swarm_test_start
sw() { DOCKER_HOST=$BERTH_TEST_SWARM_HOST docker "$@"; }
# Waits until the service's running tasks are on these nodes (sorted, space-separated).
tasks_on() { # service expected
        local got
        for _ in $(seq 1 60); do
                got=$(sw service ps --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' "$1" |
                        awk '$2 == "Running" {print $1}' | sort | tr '\n' ' ')
                [ "$got" = "$2" ] && break
                sleep 0.5
        done
        echo "$got"
}

tap_is "two nodes, both ready: a manager and a worker" \
        "$(sw node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | sort | tr '\n' ',')" \
        "berth-manager Ready Leader,berth-worker Ready ,"
tap_is "labelled for placement" "$(sw node inspect -f '{{.Description.Hostname}}={{.Spec.Labels.zone}}' berth-manager berth-worker | tr '\n' ' ')" \
        "berth-manager=a berth-worker=b "
sw network create -d overlay --attachable rigcheck >/dev/null
sw service create -q --name rigglobal --mode global --network rigcheck --endpoint-mode dnsrr \
        berth-test/busybox:latest httpd -f -p 8080 -h /etc >/dev/null 2>&1
tap_is "a global service runs one task on each node" "$(tasks_on rigglobal "berth-manager berth-worker ")" "berth-manager berth-worker "
sw service create -q --name rigplaced --replicas 2 --constraint node.labels.zone==b \
        berth-test/busybox:latest sleep 3600 >/dev/null 2>&1
tap_is "a constraint on a node label places both replicas on that node" "$(tasks_on rigplaced "berth-worker berth-worker ")" "berth-worker berth-worker "
# From the manager's task to both tasks' overlay addresses: one of them is on the other node.
c=$(sw ps -q --filter label=com.docker.swarm.service.name=rigglobal | head -1)
answers=$(sw exec "$c" sh -c 'for ip in $(nslookup tasks.rigglobal 2>/dev/null | sed -n "s/^Address: *\([0-9.]*\)$/\1/p"); do printf "GET /hostname HTTP/1.0\r\n\r\n" | nc -w 3 "$ip" 8080 | head -1; done' 2>&1)
tap_is "the overlay network carries traffic to the task on each node" "$(grep -c '200 OK' <<<"$answers")" "2"
sw service rm rigglobal rigplaced >/dev/null
sw network rm rigcheck >/dev/null 2>&1

W=$(mktemp -d)
trap 'swarm_stop; rm -rf "$W"' EXIT
bsw() { DOCKER_HOST=$BERTH_TEST_SWARM_HOST "$BERTH" "$@" 2>&1; }
mkdir -p "$W/app"
cd "$W/app" || exit 1
cat >compose.yaml <<'YAML'
services:
  web:
    image: berth-test/busybox:latest
    command: httpd -f -p 8080 -h /etc
    configs: [{source: site, target: /etc/site.txt}]
    secrets: [token]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      placement: {constraints: [node.labels.zone == b]}
  agent:
    image: berth-test/busybox:latest
    command: sleep 3600
    deploy: {mode: global}
    volumes: [state:/state]
configs:
  site: {file: ./site.txt}
secrets:
  token: {environment: APP_TOKEN}
volumes:
  state: {}
YAML
echo "site one" >site.txt
out=$(APP_TOKEN=s3cr3t-one bsw up --swarm --wait -p app)
tap_like "berth up --swarm --wait creates the stack's services" "$? $out" "^0 .*stack app: 2 changes.*create +app_agent.*create +app_web"
tap_is "and returns once every task runs (docker CLI, read at once)" \
        "$(sw service ls --filter label=com.docker.stack.namespace=app --format '{{.Name}} {{.Replicas}}' | sort | tr '\n' ' ')" \
        "app_agent 2/2 app_web 2/2 "
tap_is "docker stack ls and services see it" "$(sw stack ls --format '{{.Name}}:{{.Services}}' | grep '^app:') $(sw stack services app --format '{{.Name}}' | sort | tr '\n' ' ')" \
        "app:2 app_agent app_web "
tap_is "the global service runs one task on each node" "$(tasks_on app_agent "berth-manager berth-worker ")" "berth-manager berth-worker "
tap_is "the placement constraint puts both replicas on the worker" "$(tasks_on app_web "berth-worker berth-worker ")" "berth-worker berth-worker "
wc=$(DOCKER_HOST=$BERTH_TEST_SWARM_WORKER docker ps -q --filter label=com.docker.swarm.service.name=app_web | head -1)
tap_is "the config and the environment's secret are in the task" \
        "$(DOCKER_HOST=$BERTH_TEST_SWARM_WORKER docker exec "$wc" cat /etc/site.txt /run/secrets/token 2>&1 | tr '\n' ' ')" "site one s3cr3t-one"
tap_like "the config is named after its content" "$(sw config ls --format '{{.Name}}')" "^app_site_[0-9a-f]{12}$"
tap_like "an image only the nodes have (no registry digest) gets a warning saying nodes may differ" "$out" \
        "service \"web\": image \"berth-test/busybox:latest\" has no digest from a registry .*may differ"
tap_is "and the secret's value is in no output" "$(grep -c s3cr3t-one <<<"$out")" "0"

since=$(date +%s.%N)
out=$(APP_TOKEN=s3cr3t-one bsw up --swarm -p app)
sleep 1
tap_like "an unchanged stack: nothing to do" "$? $out" "^0 .*stack app: 0 changes"
# Swarm's own progress (an update's state moving on) is an event too, but no call of a client's.
tap_is "and no write call reached the engine (its events for services, configs, secrets, networks)" \
        "$(sw events --since "$since" --until "$(date +%s.%N)" --filter type=service --filter type=config --filter type=secret --filter type=network --format '{{.Type}} {{.Action}} {{.Actor.Attributes}}' | grep -v 'updatestate\.')" ""

agent_v=$(sw service inspect -f '{{.Version.Index}}' app_agent)
web_v=$(sw service inspect -f '{{.Version.Index}}' app_web)
echo "site two" >site.txt
out=$(APP_TOKEN=s3cr3t-one bsw up --swarm -p app)
tap_like "a changed config file updates exactly its user, saying why" "$? $out" "^0 .*stack app: 1 change\b.*update +app_web +content hash "
tap_is "a new config object holds the new content; the old one is still there" "$(sw config ls --format '{{.Name}}' | grep -c '^app_site_')" "2"
site1=$(sw config ls --format '{{.Name}} {{.CreatedAt}}' | grep '^app_site_' | sort -k2 | head -1 | cut -d' ' -f1)
tap_is "the service runs the new one, the other service was not touched" \
        "$( [ "$(sw service inspect -f '{{.Version.Index}}' app_web)" != "$web_v" ] && echo web-updated) $( [ "$(sw service inspect -f '{{.Version.Index}}' app_agent)" = "$agent_v" ] && echo agent-untouched)" \
        "web-updated agent-untouched"
out=$(APP_TOKEN=s3cr3t-two bsw up --swarm -p app)
tap_like "a changed secret value (from the environment) updates its user too" "$? $out" "^0 .*stack app: 1 change\b.*update +app_web "
tap_is "and its value is in no output" "$(grep -c s3cr3t-two <<<"$out")" "0"
tap_like "the config that neither spec nor previous spec uses is removed" "$out" "remove +$site1: done"
tap_is "one config is left, and both secrets (the previous one for a rollback)" \
        "$(sw config ls -q --filter label=com.docker.stack.namespace=app | wc -l) $(sw secret ls -q --filter label=com.docker.stack.namespace=app | wc -l) $(sw config ls --format '{{.Name}}' | grep -c "^$site1\$")" "1 2 0"
tap_like "berth ps --swarm lists the tasks with their nodes" "$(bsw ps --swarm -p app)" "app_agent\.[^ ]+ +berth-(manager|worker) +running"

# Convergence: a healthcheck that never passes keeps the tasks from running; an update whose tasks
# fail is rolled back by swarm (failure_action: rollback). Both fail the deploy, saying why.
mkdir -p "$W/hc" && cd "$W/hc" || exit 1
hc_stack() { # healthcheck command
        printf 'services:\n  svc:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    healthcheck: {test: ["CMD", "%s"], interval: 1s, timeout: 1s, retries: 1}\n    deploy:\n      update_config: {failure_action: rollback, monitor: 4s}\n' "$1" >compose.yaml
}
hc_stack false
out=$(bsw up --swarm --wait --timeout 10 -p hcbad)
tap_like "a healthcheck that never passes: --wait fails, with the task's error" "$? $out" "^1 .*not converged after 10s: .*hcbad_svc.*unhealthy container"
hc_stack true
out=$(bsw up --swarm --wait --timeout 60 -p hcroll)
tap_is "a healthy version converges" "$?" "0"
hc_stack false
out=$(bsw up --swarm --wait --timeout 90 -p hcroll)
tap_like "an update whose tasks fail their healthcheck is rolled back by swarm, and the deploy fails saying so" "$? $out" "^1 .*service hcroll_svc: update rolled back by swarm"
tap_is "the service runs its previous spec again (docker CLI)" "$(sw service inspect -f '{{index .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test 1}}' hcroll_svc)" "true"
bsw down --swarm -p hcbad >/dev/null
bsw down --swarm -p hcroll >/dev/null
cd "$W/app" || exit 1

# Images pinned by digest: an image from the swarm's registry runs by the digest the registry gives its
# tag, pulled by every node; a tag moved in the registry updates the service, saying so.
R=$BERTH_TEST_SWARM_REGISTRY
reg_digest() { ip netns exec "$BERTH_TEST_SWARM_NS" curl -s -o /dev/null -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://$R/v2/pin/app/manifests/1" | sed -n 's/^Docker-Content-Digest: \(.*\)\r$/\1/Ip'; }
sw tag berth-test/busybox:latest "$R/pin/app:1" && sw push -q "$R/pin/app:1" >/dev/null
mkdir -p "$W/pin" && cd "$W/pin" || exit 1
printf 'services:\n  app:\n    image: %s/pin/app:1\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    deploy: {mode: global}\n' "$R" >compose.yaml
out=$(bsw up --swarm --wait -p pin)
d1=$(reg_digest)
tap_is "a registry image runs pinned by the digest the registry gives its tag" \
        "$? $(sw service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' pin_app)" "0 $R/pin/app:1@$d1"
tap_like "and the worker pulled exactly those bytes" "$(DOCKER_HOST=$BERTH_TEST_SWARM_WORKER docker images --digests --format '{{.Repository}}@{{.Digest}}')" "$R/pin/app@$d1"
printf 'FROM berth-test/busybox:latest\nRUN echo two > /version\n' >"$W/pin/Dockerfile.two"
DOCKER_BUILDKIT=0 sw build -q -t "$R/pin/app:1" -f "$W/pin/Dockerfile.two" "$W/pin" >/dev/null 2>&1 && sw push -q "$R/pin/app:1" >/dev/null
d2=$(reg_digest)
out=$(bsw up --swarm --wait -p pin)
tap_like "the tag moved in the registry: the service is updated, saying so" "$? $out" "^0 .*update +pin_app +image tag moved: ${d1:0:19} -> ${d2:0:19}"
wt=$(DOCKER_HOST=$BERTH_TEST_SWARM_WORKER docker ps -q --filter label=com.docker.swarm.service.name=pin_app | head -1)
tap_is "and the worker runs the new bytes" "$(DOCKER_HOST=$BERTH_TEST_SWARM_WORKER docker exec "$wt" cat /version 2>&1)" "two"
out=$(bsw up --swarm -p pin)
tap_like "then nothing more to do" "$? $out" "^0 .*stack pin: 0 changes"
bsw down --swarm -p pin >/dev/null
cd "$W/app" || exit 1

# Keys swarm cannot honour are named, not dropped silently; a standalone engine is refused clearly.
printf 'services:\n  x:\n    image: berth-test/busybox:latest\n    container_name: fixed\n    privileged: true\n' >"$W/warn.yaml"
out=$(bsw up --swarm -f "$W/warn.yaml" -p warned --dry-run)
tap_like "unsupported keys get a warning naming them" "$out" "services\.x\.container_name is not supported by a swarm service.*services\.x\.privileged is not supported"
out=$("$BERTH" up --swarm -f "$W/warn.yaml" -p warned 2>&1)
tap_like "an engine that is not a swarm manager is a clear error" "$? $out" "^1 .*is not a swarm manager"

out=$(sw stack rm app 2>&1)
tap_is "docker stack rm removes a berth stack" "$? $(sw service ls -q --filter label=com.docker.stack.namespace=app | wc -l)" "0 0"
for _ in $(seq 1 60); do [ -z "$(sw network ls -q --filter label=com.docker.stack.namespace=app)" ] && break; sleep 0.5; done
out=$(APP_TOKEN=s3cr3t-two bsw up --swarm -p app)
tap_like "and berth deploys it again" "$? $out" "^0 .*stack app: 2 changes"
out=$(bsw down --swarm -p app)
tap_like "berth down --swarm removes its services, networks, configs and secrets" "$? $out" "^0 .*remove service app_web: done.*remove network app_default: done.*remove config app_site_.*remove secret app_token_"
tap_is "nothing of the stack is left but its volume (docker CLI)" \
        "$(sw service ls -q --filter label=com.docker.stack.namespace=app | wc -l) $(sw config ls -q --filter label=com.docker.stack.namespace=app | wc -l) $(sw secret ls -q --filter label=com.docker.stack.namespace=app | wc -l) $(sw volume ls -q | grep -c '^app_state$')" \
        "0 0 0 1"

# Parity with docker stack deploy: each file deployed by both, the specs compared field by field.
for dir in "$SOURCE_DIR"/tests/data/swarm-parity/*/; do
        case=$(basename "$dir")
        out=$(cd "$dir" && P1=18081 P2=18082 P3=18083 bsw up --swarm -p "b$case")
        rc=$?
        dout=$(cd "$dir" && P1=18091 P2=18092 P3=18093 sw stack deploy -c compose.yaml "d$case" 2>&1)
        drc=$?
        diffs=$(/usr/bin/python3 "$SOURCE_DIR/tests/integration/swarm_parity.py" "$BERTH_TEST_SWARM_HOST" "b$case" "d$case" 10 2>&1)
        tap_is "parity with docker stack deploy: $case (every service spec field equal)" "$rc $drc $diffs" "0 0 "
        # What the engine stored is what berth sent: no drift is seen where nobody changed anything.
        again=$(cd "$dir" && P1=18081 P2=18082 P3=18083 bsw up --swarm --dry-run -p "b$case" | grep -v '^warning:')
        tap_is "$case: a dry run right after finds every service up to date" "$(grep -E '^stack |^  (create|update|remove) ' <<<"$again")" "stack b$case: 0 changes"
done
tap_done
