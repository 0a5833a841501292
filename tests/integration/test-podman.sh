#!/bin/bash
# test-podman.sh: berth against a real Podman service (Debian's podman 4.3, rootful, through its Docker-
# compatible API), read back with the podman CLI and over the published ports: up and a no-op up, a
# reconcile that deploys, skips, updates with the volume's data kept, holds a broken update back with
# the health gate (Podman without systemd runs no healthchecks of its own: berth runs them while it
# waits), prunes, and refuses swarm mode before anything changes; the engine named by status and the
# report.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
rig_podman_start || tap_bail "the Podman service could not start"
export DOCKER_HOST=$BERTH_TEST_PODMAN_HOST
export BERTH_STATE_DIR=$BERTH_RIG_DIR/podman-state
W=$(mktemp -d)
cleanup() {
        rig_podman_stop
        rm -rf "$W" "$BERTH_STATE_DIR"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
port() { rig_free_port; }
P1=$(port) P2=$(port)
pm() { rig_podman "$@"; }

# ---- berth up, as on any engine
mkdir -p "$W/app/site"
echo "hello from podman" >"$W/app/site/index.html"
cat >"$W/app/compose.yaml" <<YAML
services:
  web:
    image: $BERTH_TEST_IMAGE
    command: ["httpd", "-f", "-p", "8080", "-h", "/site"]
    ports: ["127.0.0.1:$P1:8080"]
    volumes: ["./site:/site:ro"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
  worker:
    image: $BERTH_TEST_IMAGE
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    depends_on:
      web:
        condition: service_healthy
    volumes: ["data:/data"]
volumes:
  data:
YAML
out=$(cd "$W/app" && "$BERTH" up 2>&1)
tap_like "berth up on Podman creates the stack" "$? $out" "^0 stack app: 2 changes"
tap_is "podman runs both containers" "$(pm ps --format '{{.Names}}' | grep '^app-' | sort | tr '\n' ' ')" "app-web-1 app-worker-1 "
tap_is "the published port answers, from the relative bind mount" "$(curl -s "http://127.0.0.1:$P1/")" "hello from podman"
tap_like "the healthcheck ran: podman says healthy" "$(pm inspect -f '{{.State.Health.Status}}' app-web-1)" "^healthy$"
out=$(cd "$W/app" && "$BERTH" up 2>&1)
tap_like "a second up is a no-op" "$? $out" "^0 stack app: 0 changes"
out=$("$BERTH" status 2>&1)
tap_like "berth status names the engine" "$out" "engine: Podman [0-9]+\.[0-9]+"
tap_like "and shows the stack running and healthy (Podman's list has no health: berth asks it by filter)" "$out" "app +- +2/2 +healthy"
tap_is "its JSON too" "$("$BERTH" status --format json | /usr/bin/python3 -c 'import json,sys; print({s["engine"].split()[0] for s in json.load(sys.stdin)})')" "{'Podman'}"
out=$(cd "$W/app" && "$BERTH" down -v -t 0 2>&1)
tap_is "berth down removes it" "$? $(pm ps -a --format '{{.Names}}' | grep -c '^app-')" "0 0"
tap_is "and -v its volume" "$(pm volume ls --format '{{.Name}}' | grep -c '^app_data$')" "0"

# ---- reconcile from a config repo
git init -q -b main "$W/repo"
cd "$W/repo" || exit 1
commit() { git add -A && git commit -qm "$1"; }
rec() { "$BERTH" reconcile --report "$W/report.json" "$@" 2>&1; }
echo "health_timeout: 30s" >berth.yaml
mkdir -p stacks/shop stacks/notes
cat >stacks/shop/compose.yaml <<YAML
services:
  web:
    image: $BERTH_TEST_IMAGE
    command: ["httpd", "-f", "-p", "8080", "-h", "/data"]
    environment: [VERSION=one]
    ports: ["127.0.0.1:$P2:8080"]
    volumes: ["data:/data"]
    stop_signal: SIGKILL
volumes:
  data:
YAML
cat >stacks/notes/compose.yaml <<YAML
services:
  app:
    image: $BERTH_TEST_IMAGE
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
YAML
commit one
out=$(rec)
tap_like "reconcile deploys both stacks on Podman" "$? $out" "^0 .*notes +deploy +ok.*shop +deploy +ok"
tap_is "podman runs them" "$(pm ps --format '{{.Names}}' | grep -E '^(shop|notes)-' | sort | tr '\n' ' ')" "notes-app-1 shop-web-1 "
tap_is "the report names the engine" "$(/usr/bin/python3 -c 'import json,sys; print({s["engine"].split()[0] for s in json.load(open(sys.argv[1]))["stacks"]})' "$W/report.json")" "{'Podman'}"
out=$(rec)
tap_like "a second reconcile changes nothing (Podman's defaults are not drift)" "$? $out" "^0 .*0 of 2 stacks to change"
out=$(rec --all)
tap_like "and --all, comparing every service with what Podman runs, finds no drift either" "$? $out" "^0 .*0 of 2 stacks to change"
tap_like "(each stack checked and up to date)" "$out" "stack shop +skip +checking live state \(--all\); every service is up to date"

pm exec shop-web-1 sh -c 'echo kept > /data/index.html'
sed -i 's/VERSION=one/VERSION=two/' stacks/shop/compose.yaml
commit two
out=$(rec)
tap_like "a changed stack is updated" "$? $out" "^0 .*shop +update +ok"
tap_like "the new version runs" "$(pm inspect -f '{{.Config.Env}}' shop-web-1)" "VERSION=two"
tap_is "the volume's data is kept across the update" "$(curl -s "http://127.0.0.1:$P2/index.html")" "kept"
good=$(git rev-parse HEAD)

# ---- the health gate
sed -i 's/VERSION=two/VERSION=bad/' stacks/shop/compose.yaml
cat >>stacks/shop/compose.yaml <<'YAML'
YAML
/usr/bin/python3 - stacks/shop/compose.yaml <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("    stop_signal: SIGKILL\n", "    stop_signal: SIGKILL\n    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 1s\n      retries: 2\n", 1)
open(p, "w").write(s)
PY
commit bad
out=$(rec)
tap_like "a version that never turns healthy fails its gate and is rolled back" "$? $out" "^1 .*shop +update +FAILED, rolled back"
tap_like "(podman said unhealthy: berth ran the checks)" "$out" "unhealthy"
tap_like "the previous version runs again" "$(pm inspect -f '{{.Config.Env}}' shop-web-1)" "VERSION=two"
tap_is "labelled with the commit it now runs" "$(pm inspect -f '{{index .Config.Labels "io.berth.commit"}}' shop-web-1)" "$good"
tap_is "and the data is still there" "$(curl -s "http://127.0.0.1:$P2/index.html")" "kept"
git revert --no-edit HEAD >/dev/null
out=$(rec)
tap_like "reverted in git, the stack converges" "$? $out" "^0 "

# ---- swarm mode: refused, with the reason, before anything changes
mkdir -p stacks/swarmy
printf 'services:\n  app:\n    image: %s\n    command: ["sleep", "3600"]\n' "$BERTH_TEST_IMAGE" >stacks/swarmy/compose.yaml
echo '{"mode": "swarm"}' >stacks/swarmy/stack.json
commit swarmy
out=$(rec)
tap_like "a mode: swarm stack on Podman fails, saying Podman has no swarm mode" "$? $out" "^1 .*Podman [0-9.]+, which has no swarm mode"
tap_is "nothing of it was created" "$(pm ps -a --format '{{.Names}}' | grep -c '^swarmy')" "0"
tap_like "the other stacks are not held back" "$out" "notes +skip"
git rm -rq stacks/swarmy && commit "no swarm"

# ---- prune: a stack deleted from git goes, its volume stays
git rm -rq stacks/shop && commit "shop gone"
out=$(rec)
tap_like "a stack deleted from git is removed" "$? $out" "^0 .*shop +remove +ok"
tap_is "its container is gone" "$(pm ps -a --format '{{.Names}}' | grep -c '^shop-')" "0"
tap_is "its volume is kept (prune_volumes is off)" "$(pm volume ls --format '{{.Name}}' | grep -c '^shop_data$')" "1"
tap_done
