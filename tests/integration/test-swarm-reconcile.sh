#!/bin/bash
# test-swarm-reconcile.sh: `mode: swarm` in a config repo, reconciled by `berth reconcile` onto the
# two-node swarm (tests/lib/swarm.sh) and checked with the docker CLI: stacks deployed as services
# from git, one stack in compose mode beside them (its stack.json), a no-op reconcile that writes
# nothing (the engine's events), a changed config file updating only its user, a failing healthcheck
# that makes the stack FAILED and rolled back to the previous commit, drift repaired with --all (a
# service scaled and one changed by hand), a downgrade refused, `berth rollback`, a stack switched
# from compose to swarm, `docker stack rm` on a berth stack and the next reconcile putting it back, a
# stack deleted from git pruned with its configs and networks but its volume kept, an invalid stack
# failing alone, a swarm stack on an engine that is no manager failing alone, and `berth status`.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
. "$(dirname "$0")/../lib/swarm.sh"
swarm_test_start
W=$(mktemp -d)
trap 'swarm_stop; rm -rf "$W"' EXIT
export BERTH_STATE_DIR=$W/state
sw() { DOCKER_HOST=$BERTH_TEST_SWARM_HOST docker "$@"; }
wk() { DOCKER_HOST=$BERTH_TEST_SWARM_WORKER docker "$@"; }
rec() { DOCKER_HOST=$BERTH_TEST_SWARM_HOST "$BERTH" "$@" 2>&1; }
commit() { git add -A && git commit -qm "$1" && git rev-parse HEAD; }
label() { sw service inspect -f "{{index .Spec.Labels \"$2\"}}" "$1"; }
# The writes the engine saw since a time: services, configs, secrets and networks made, changed or removed.
writes_since() {
        sw events --since "$1" --until "$(date +%s.%N)" --filter type=service --filter type=config \
                --filter type=secret --filter type=network --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}' |
                grep -v 'updatestate\.'
}

mkdir -p "$W/repo/stacks/web" "$W/repo/stacks/db" "$W/repo/stacks/plain"
cd "$W/repo" || exit 1
git init -q -b main && git config user.email ci@example.com && git config user.name ci
cat >berth.yaml <<'YAML'
mode: swarm
prune: true
health_timeout: 40s
YAML
cat >stacks/web/compose.yaml <<'YAML'
services:
  site:
    image: berth-test/busybox:latest
    command: httpd -f -p 8080 -h /etc
    stop_grace_period: 1s
    configs: [{source: page, target: /etc/page.txt}]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config: {monitor: 2s}
  worker:
    image: berth-test/busybox:latest
    command: sleep 3600
    stop_grace_period: 1s
    networks: [back]
configs:
  page: {file: ./page.txt}
networks:
  back: {}
YAML
echo "page one" >stacks/web/page.txt
cat >stacks/db/compose.yaml <<'YAML'
services:
  db:
    image: berth-test/busybox:latest
    command: sh -c 'echo row >/data/table; exec sleep 3600'
    volumes: [data:/data]
    deploy: {placement: {constraints: [node.labels.zone == a]}}
volumes:
  data: {}
YAML
cat >stacks/plain/compose.yaml <<'YAML'
services:
  app:
    image: berth-test/busybox:latest
    command: sleep 3600
YAML
echo '{"mode": "compose"}' >stacks/plain/stack.json
c1=$(commit one)

out=$(rec reconcile)
tap_like "berth reconcile deploys mode: swarm stacks as services, a compose stack as containers" "$? $out" \
        "^0 .*db +deploy +ok.*plain +deploy +ok.*web +deploy +ok"
tap_is "a service's image without a registry digest is warned of once, naming its stack, though planned twice and applied" \
        "$(grep -c '^warning: stack web: service "site": image .* has no digest from a registry' <<<"$out")" "1"
tap_is "docker stack ls shows the swarm stacks" "$(sw stack ls --format '{{.Name}} {{.Services}}' | sort | tr '\n' ' ')" "db 1 web 2 "
tap_is "their services run every task at once (docker CLI)" \
        "$(sw service ls --filter label=com.docker.stack.namespace=web --format '{{.Name}} {{.Replicas}}' | sort | tr '\n' ' ')" \
        "web_site 2/2 web_worker 1/1 "
tap_is "each service carries the commit it was deployed from" "$(label web_site io.berth.commit) $(label db_db io.berth.commit)" "$c1 $c1"
tap_is "the compose stack runs as a container, not a service" \
        "$(sw ps --filter label=com.docker.compose.project=plain --format '{{.Names}} {{.State}}') $(sw service ls -q --filter label=com.docker.stack.namespace=plain | wc -l)" \
        "plain-app-1 running 0"
tap_like "berth status shows each stack in its mode" "$(rec status)" "web +${c1:0:12} +2/2 .* swarm .*site"
tap_like "and its JSON names the mode" "$(rec status --format json | /usr/bin/python3 -c 'import json,sys; print(sorted((s["stack"], s["mode"]) for s in json.load(sys.stdin)))')" \
        "\('db', 'swarm'\), \('plain', 'compose'\), \('web', 'swarm'\)"

since=$(date +%s.%N)
out=$(rec reconcile)
tap_like "a second reconcile changes nothing" "$? $out" "^0 .*0 of 3 stacks to change"
tap_is "and makes no write call (the engine's events)" "$(writes_since "$since")" ""

# A changed config file: a new config object, and exactly its user updated.
worker_v=$(sw service inspect -f '{{.Version.Index}}' web_worker)
old_cfg=$(sw config ls --filter label=com.docker.stack.namespace=web --format '{{.Name}}')
echo "page two" >stacks/web/page.txt
c2=$(commit two)
out=$(rec reconcile)
tap_like "a changed config file updates the stack, saying why" "$? $out" "^0 .*stacks/web/page.txt changed.*update +web_site +content hash"
tap_is "only its user was updated (worker's version unchanged)" "$(sw service inspect -f '{{.Version.Index}}' web_worker) $(label web_site io.berth.commit)" "$worker_v $c2"
new_cfg=$(sw config ls --filter label=com.docker.stack.namespace=web --format '{{.Name}}' | grep -vx "$old_cfg")
tap_like "a new config named after the new content, the previous one kept for a rollback" "$new_cfg $(sw config ls -q --filter name="$old_cfg" | wc -l)" "^web_page_[0-9a-f]{12} 1$"
c=$(sw ps -q --filter label=com.docker.swarm.service.name=web_site | head -1)
tap_is "the site's task serves the new page" "$(sw exec "$c" cat /etc/page.txt)" "page two"

# A healthcheck that never passes: the update fails, and reconcile puts the previous commit back.
/usr/bin/python3 - stacks/web/compose.yaml <<'PY'
import sys, yaml
p = sys.argv[1]
d = yaml.safe_load(open(p))
d["services"]["site"]["healthcheck"] = {"test": ["CMD", "false"], "interval": "1s", "retries": 1, "start_period": "0s"}
yaml.safe_dump(d, open(p, "w"))
PY
c3=$(commit "broken health")
out=$(rec reconcile)
tap_like "a service that never turns healthy fails the stack, which is rolled back" "$? $out" "^1 .*web +update +FAILED, rolled back"
tap_like "the report says why: the update paused or the tasks' state" "$out" "(update paused|not converged after).*web_site"
tap_is "the service runs the previous commit's spec again: no healthcheck, its commit label" \
        "$(sw service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Healthcheck}} {{index .Spec.Labels "io.berth.commit"}}' web_site)" "<nil> $c2"
git revert --no-edit HEAD >/dev/null && c4=$(git rev-parse HEAD)
out=$(rec reconcile)
tap_like "the fix, reconciled, deploys" "$? $out" "^0 .*web +(update|skip)"

# Drift: a service scaled by hand, another changed by hand; --all puts both back.
sw service scale -d web_site=3 >/dev/null
sw service update -d --env-add HAND=1 web_worker >/dev/null
out=$(rec reconcile --all --dry-run)
tap_like "reconcile --all --dry-run reports both as drift" "$? $out" "update +web_site +replicas 3 -> 2.*update +web_worker +changed on the engine: TaskTemplate.ContainerSpec.Env differs"
out=$(rec reconcile --all)
tap_like "reconcile --all repairs them" "$? $out" "^0 .*web +update +ok"
tap_is "the docker CLI sees 2 replicas and no hand-made variable" \
        "$(sw service inspect -f '{{.Spec.Mode.Replicated.Replicas}} {{.Spec.TaskTemplate.ContainerSpec.Env}}' web_site web_worker | tr '\n' ' ')" "2 [] 1 [] "

# Ordering: an older commit is refused; berth rollback goes there on purpose.
out=$(rec reconcile --rev "$c1")
tap_like "reconciling an older commit is refused" "$? $out" "^1 .*refusing to downgrade"
out=$(rec rollback web --to "$c1")
tap_like "berth rollback deploys the stack as that commit had it" "$? $out" "^0 .*web"
c=$(sw ps -q --filter label=com.docker.swarm.service.name=web_site --filter status=running | head -1)
for _ in $(seq 1 40); do
        [ "$(sw exec "$c" cat /etc/page.txt 2>/dev/null)" = "page one" ] && break
        sleep 0.5
        c=$(sw ps -q --filter label=com.docker.swarm.service.name=web_site --filter status=running | head -1)
done
tap_is "and its task serves that commit's page again" "$(sw exec "$c" cat /etc/page.txt) $(label web_site io.berth.commit)" "page one $c1"
out=$(rec reconcile)
tap_like "the next reconcile brings it forward to HEAD" "$? $out" "^0 .*web +update +ok"

# A stack switched from compose to swarm in its stack.json.
echo '{"mode": "swarm"}' >stacks/plain/stack.json
c5=$(commit "plain as swarm")
out=$(rec reconcile)
tap_like "a stack whose mode changed is redeployed in the new one, saying so" "$? $out" "^0 .*plain +update +deployed as containers, its mode is now swarm"
tap_is "its container is gone and its service runs" \
        "$(sw ps -aq --filter label=com.docker.compose.project=plain | wc -l) $(sw service ls --filter name=plain_app --format '{{.Replicas}}')" "0 1/1"

# docker stack rm works on a berth stack, and the next reconcile sees it missing.
sw stack rm plain >/dev/null
for _ in $(seq 1 40); do [ -z "$(sw network ls -q --filter label=com.docker.stack.namespace=plain)" ] && break; sleep 0.5; done
tap_is "docker stack rm removed berth's stack" "$(sw service ls -q --filter label=com.docker.stack.namespace=plain | wc -l)" "0"
out=$(rec reconcile)
tap_like "and reconcile deploys it again" "$? $out" "^0 .*plain +deploy +ok"

# A stack deleted from git: pruned with its configs and networks; its volume stays.
node=$(sw service ps -f desired-state=running --format '{{.Node}}' db_db | head -1)
tap_is "the db task wrote into its volume on the manager (placement zone a)" "$node $(sw volume ls -q --filter name=db_data)" "berth-manager db_data"
git rm -rq stacks/web stacks/db
c6=$(commit "remove web and db")
out=$(rec reconcile)
tap_like "stacks deleted from git are removed" "$? $out" "^0 .*db +remove +ok.*web +remove +ok"
for _ in $(seq 1 40); do [ -z "$(sw network ls -q --filter label=com.docker.stack.namespace=web)" ] && break; sleep 0.5; done
tap_is "with their services, configs and networks (docker CLI)" \
        "$(sw service ls -q --filter label=com.docker.stack.namespace=web | wc -l) $(sw config ls -q --filter label=com.docker.stack.namespace=web | wc -l) $(sw network ls -q --filter label=com.docker.stack.namespace=web | wc -l) $(sw service ls -q --filter label=com.docker.stack.namespace=db | wc -l)" \
        "0 0 0 0"
tap_is "but the volume and what the task wrote there are kept" \
        "$(sw run --rm -v db_data:/data berth-test/busybox:latest cat /data/table)" "row"

# An invalid stack fails alone; the others still deploy.
mkdir -p stacks/broken stacks/good
printf 'services:\n  x:\n    image: berth-test/busybox:latest\n    ports: ["99999:80"]\n' >stacks/broken/compose.yaml
printf 'services:\n  y:\n    image: berth-test/busybox:latest\n    command: sleep 3600\n' >stacks/good/compose.yaml
c7=$(commit "broken and good")
out=$(rec reconcile)
tap_like "an invalid stack is reported with its file:line:col" "$? $out" "^1 .*stacks/broken/compose.yaml:4:[0-9]+: services.x.ports"
tap_is "nothing of it is on the swarm, and the good stack beside it runs" \
        "$(sw service ls -q --filter label=com.docker.stack.namespace=broken | wc -l) $(sw service ls --filter name=good_y --format '{{.Replicas}}')" "0 1/1"
git rm -rq stacks/broken && c8=$(commit "no broken")

# A swarm stack for an engine that is no manager fails alone; a compose stack beside it deploys.
mkdir -p stacks/edgeapp stacks/edgeswarm
printf 'services:\n  e:\n    image: berth-test/busybox:latest\n    command: sleep 3600\n' >stacks/edgeapp/compose.yaml
cp stacks/edgeapp/compose.yaml stacks/edgeswarm/compose.yaml
echo '{"mode": "swarm"}' >stacks/edgeswarm/stack.json
cat >berth.yaml <<YAML
mode: swarm
prune: true
health_timeout: 40s
targets:
  manager:
    host: $BERTH_TEST_SWARM_HOST
    stacks: [good, plain]
  edge:
    host: $BERTH_TEST_SWARM_WORKER
    mode: compose
    stacks: ["edge*"]
YAML
c9=$(commit targets)
out=$(rec reconcile)
tap_like "a swarm stack on a worker is refused plainly, for that stack alone" "$? $out" "^1 .*edgeswarm.*is not a swarm manager"
tap_is "the target's compose stack runs on the worker as a container (docker CLI)" \
        "$(wk ps --filter label=com.docker.compose.project=edgeapp --format '{{.Names}} {{.State}}')" "edgeapp-e-1 running"
tap_is "and the manager's stacks are untouched" "$(sw service ls --filter label=com.docker.stack.namespace=good --format '{{.Replicas}}') $(label good_y io.berth.commit)" "1/1 $c7"
wk rm -f edgeapp-e-1 >/dev/null
# SOPS files on the swarm: a secret created from the decrypted bytes over the API (named by a keyed
# digest), an env_file's value in the service's environment; no plain text in output or names.
age-keygen -o "$W/key.txt" 2>/dev/null || tap_bail "age-keygen (Debian's age) is missing"
KEY=$(grep '^AGE-SECRET-KEY-' "$W/key.txt")
RCPT=$(sed -n 's/^# public key: //p' "$W/key.txt")
SECRET=sw-pw-$RANDOM-41c7e9
mkdir -p stacks/vault
printf '%s' "$SECRET" >stacks/vault/db_password.txt
printf 'TOKEN=%s-token\n' "$SECRET" >stacks/vault/app.env
"$BERTH" secrets encrypt -i --age "$RCPT" stacks/vault/db_password.txt &&
        "$BERTH" secrets encrypt -i --age "$RCPT" stacks/vault/app.env || tap_bail "berth secrets encrypt failed"
cat >stacks/vault/compose.yaml <<'YAML'
services:
  app:
    image: berth-test/busybox:latest
    command: sleep 3600
    stop_grace_period: 1s
    env_file: app.env
    secrets: [db_password]
    deploy: {placement: {constraints: [node.role == manager]}}
secrets:
  db_password: {file: db_password.txt}
YAML
sed -i 's/stacks: \[good, plain\]/stacks: [good, plain, vault]/' berth.yaml
git rm -rq stacks/edgeswarm
c10=$(commit "a stack with SOPS files")
out=$(SOPS_AGE_KEY="$KEY" DOCKER_HOST=$BERTH_TEST_SWARM_HOST "$BERTH" reconcile 2>&1)
tap_is "a swarm stack with SOPS files deploys with SOPS_AGE_KEY" "$?" "0"
for _ in $(seq 60); do c=$(sw ps -q --filter label=com.docker.swarm.service.name=vault_app | head -1); [ -n "$c" ] && break; sleep 1; done
tap_is "its task reads the secret, decrypted" "$(sw exec "$c" cat /run/secrets/db_password)" "$SECRET"
tap_is "and the env_file's value" "$(sw exec "$c" sh -c 'echo $TOKEN')" "$SECRET-token"
plain_sha=$(printf '%s' "$SECRET" | sha256sum | cut -c1-12)
name=$(sw secret ls --filter label=com.docker.stack.namespace=vault --format '{{.Name}}')
tap_like "the secret is named by a digest" "$name" "^vault_db_password_[0-9a-f]{12}$"
tap_is "that is keyed: not the plain text's sha256" "$(printf '%s' "$name" | grep -c "$plain_sha")" "0"
tap_is "no output names the plain text" "$(printf '%s' "$out" | grep -c "$SECRET")" "0"
tap_is "no service label holds it" "$(sw service inspect -f '{{json .Spec.Labels}}' vault_app | grep -c "$SECRET")" "0"
tap_done
