#!/bin/bash
# test-up.sh: `berth up`, `down` and `ps` against the rig's private engine. Every result is read back
# with the docker CLI, never through berth's own engine client.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || { tap_bail "the test rig is not running: run the suite through tests/run.sh"; }
DATA="$SOURCE_DIR/tests/data/deploy"
WORK=$(mktemp -d)
# Only this test's stacks: other tests share the engine and run beside it.
cleanup() {
        for s in feat order scale badimg extvol clash failing netmode; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
stage() { rm -rf "$WORK/$1"; cp -r "$DATA/$1" "$WORK/$1"; }
berth() { "$BERTH" "$@"; }
insp() { docker inspect -f "$1" "$2" 2>&1; }


# --- a stack with most service keys ---------------------------------------------------------------
stage features
export WEB_PORT=$(free_port) UDP_PORT=$(free_port) PLATFORM=$(docker version -f '{{.Server.Os}}/{{.Server.Arch}}')
out=$(cd "$WORK/features" && berth up -p feat --wait --timeout 60 2>&1)
tap_is "up deploys the features stack" "$?" "0"
tap_like "up prints the plan with a reason per container" "$out" "create +feat-web-1 +new service"
tap_is "devices reach the container" "$(insp '{{range .HostConfig.Devices}}{{.PathOnHost}}:{{.PathInContainer}}:{{.CgroupPermissions}}{{end}}' feat-web-1)" "/dev/null:/dev/berth-null:r"
tap_is "the platform is the one asked for" "$(insp '{{.Platform}}' feat-web-1)/$(docker image inspect -f '{{.Architecture}}' berth-test/busybox:latest)" "${PLATFORM%%/*}/${PLATFORM#*/}"
tap_is "the port is reachable on 127.0.0.1" "$(curl -s "http://127.0.0.1:$WEB_PORT/")" "hello-world"
env=$(insp '{{range .Config.Env}}{{println .}}{{end}}' feat-web-1)
tap_like "environment and env_file reach the container" "$env" "GREETING=world"
tap_like "env_file values are set" "$env" "FROM_FILE=yes"
tap_is "names follow compose: <stack>-<service>-<n>" "$(docker ps --filter label=com.docker.compose.project=feat --format '{{.Names}}' | sort | tr '\n' ' ')" "feat-client-1 feat-web-1 "
tap_is "compose labels" "$(insp '{{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}} {{index .Config.Labels "com.docker.compose.oneoff"}}' feat-web-1)" "web 1 False"
tap_like "berth labels carry the content hash" "$(insp '{{index .Config.Labels "io.berth.managed"}} {{index .Config.Labels "io.berth.content-hash"}}' feat-web-1)" "^true [0-9a-f]{64}$"
tap_is "service labels are kept" "$(insp '{{index .Config.Labels "team"}}' feat-web-1)" "platform"
mounts=$(insp '{{range .Mounts}}{{.Type}}:{{.Destination}}:{{.RW}} {{end}}' feat-web-1)
tap_like "named volume mounted read-write" "$mounts" "volume:/data:true"
tap_like "bind mount read-only" "$mounts" "bind:/etc/site.conf:false"
tap_like "secret bind-mounted read-only under /run/secrets" "$mounts" "bind:/run/secrets/token:false"
tap_is "config mounted at its target" "$(docker exec feat-web-1 cat /etc/motd)" "welcome"
tap_is "volume is named <stack>_<key>" "$(insp '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{end}}{{end}}' feat-web-1)" "feat_data"
tap_is "restart policy" "$(insp '{{.HostConfig.RestartPolicy.Name}}' feat-web-1)" "unless-stopped"
tap_is "user and working_dir" "$(insp '{{.Config.User}} {{.Config.WorkingDir}}' feat-client-1)" "1000:1000 /tmp"
tap_is "init, read_only, caps" "$(insp '{{.HostConfig.Init}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}}' feat-web-1)" "true true [CHOWN] [NET_RAW]"
tap_is "resource limits: mem_limit, cpus, pids_limit" "$(insp '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' feat-web-1)" "67108864 500000000 100"
tap_is "extra_hosts, ulimits, sysctls" "$(insp '{{.HostConfig.ExtraHosts}} {{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}/{{.Hard}}{{end}} {{index .HostConfig.Sysctls "net.core.somaxconn"}}' feat-web-1)" "[registry.internal:10.1.2.3] nofile=1024/2048 1024"
tap_is "logging driver and options" "$(insp '{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}}' feat-web-1)" "json-file 1m"
tap_is "stop_signal and stop_grace_period" "$(insp '{{.Config.StopSignal}} {{.Config.StopTimeout}}' feat-web-1)" "SIGINT 7"
tap_like "tmpfs from both syntaxes" "$(insp '{{.HostConfig.Tmpfs}} {{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}' feat-web-1)" "map\[/run:\].*tmpfs:/scratch"
tap_is "connected to both networks (the second after create)" "$(insp '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' feat-web-1)" "feat_back feat_front "
tap_is "network aliases resolve between containers" "$(docker exec feat-client-1 wget -q -O - http://portal:8080/)" "hello-world"
tap_is "the internal network is internal" "$(docker network inspect -f '{{.Internal}}' feat_back)" "true"
tap_is "healthcheck from the file" "$(insp '{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}}' feat-web-1)" "[CMD wget -q -O /dev/null http://127.0.0.1:8080/] 1s 10"
tap_like "docker-compose (the peer) sees the stack" "$(cd "$WORK/features" && docker-compose -p feat ps 2>&1)" "feat-web-1"
tap_like "berth ps lists the stack" "$(berth ps -p feat)" "feat-web-1 +web +running"
tap_is "berth ps --format json" "$(berth ps -p feat --format json | python3 -c 'import json,sys; print(sorted(c["Service"] for c in json.load(sys.stdin)))')" "['client', 'web']"

# --- network_mode ---
stage netmode
(cd "$WORK/netmode" && berth up -p netmode --wait --timeout 60 >/dev/null 2>&1)
tap_is "network_mode: service:X joins X's network namespace" "$(insp '{{.HostConfig.NetworkMode}}' netmode-side-1)" "container:$(insp '{{.Id}}' netmode-web-1)"
tap_is "so the sidecar reaches the service on 127.0.0.1" "$(docker exec netmode-side-1 wget -q -O - http://127.0.0.1:8080/ 2>&1)" "shared"
tap_is "network_mode: none has no network" "$(insp '{{.HostConfig.NetworkMode}} {{len .NetworkSettings.Networks}}' netmode-isolated-1)" "none 1"

# --- minimal change -------------------------------------------------------------------------------
before=$(insp '{{.Id}} {{.State.StartedAt}}' feat-web-1; insp '{{.Id}} {{.State.StartedAt}}' feat-client-1)
out=$(cd "$WORK/features" && berth up -p feat 2>&1)
after=$(insp '{{.Id}} {{.State.StartedAt}}' feat-web-1; insp '{{.Id}} {{.State.StartedAt}}' feat-client-1)
tap_is "a second up leaves container IDs and StartedAt unchanged" "$after" "$before"
tap_like "and says there is nothing to do" "$out" "0 changes"
web_id=$(insp '{{.Id}}' feat-web-1) client_id=$(insp '{{.Id}}' feat-client-1)
echo "FROM_FILE=changed" >"$WORK/features/web.env"
out=$(cd "$WORK/features" && berth up -p feat --wait 2>&1)
tap_like "a changed env_file recreates the service that uses it, and says why" "$out" "recreate +feat-web-1 +configuration changed"
tap_is "exactly one container ID changed" "$( [ "$(insp '{{.Id}}' feat-web-1)" != "$web_id" ] && echo web-new; [ "$(insp '{{.Id}}' feat-client-1)" = "$client_id" ] && echo client-same)" "web-new
client-same"
echo "welcome back" >"$WORK/features/motd.txt"
(cd "$WORK/features" && berth up -p feat --wait >/dev/null 2>&1)
tap_is "a changed config file recreates the service that mounts it" "$(docker exec feat-web-1 cat /etc/motd)" "welcome back"

docker stop feat-client-1 >/dev/null
(cd "$WORK/features" && berth up -p feat >/dev/null 2>&1)
tap_is "a container stopped by hand is started again" "$(insp '{{.State.Running}} {{.Id}}' feat-client-1)" "true $client_id"
docker rm -f feat-client-1 >/dev/null
(cd "$WORK/features" && berth up -p feat >/dev/null 2>&1)
tap_is "a container removed by hand is recreated" "$(insp '{{.State.Running}}' feat-client-1)" "true"

# --- ordering -------------------------------------------------------------------------------------
stage order
out=$(cd "$WORK/order" && berth up -p order --wait --timeout 60 2>&1)
healthy_at=$(docker inspect -f '{{range .State.Health.Log}}{{if eq .ExitCode 0}}{{.End}}{{"\n"}}{{end}}{{end}}' order-db-1 | head -1)
migrated_at=$(insp '{{.State.FinishedAt}}' order-migrate-1)
app_at=$(insp '{{.State.StartedAt}}' order-app-1)
tap_is "migrate completed successfully" "$(insp '{{.State.Status}} {{.State.ExitCode}}' order-migrate-1)" "exited 0"
tap_is "app started after db was healthy and migrate had finished" "$(python3 - "$healthy_at" "$migrated_at" "$app_at" <<'PY'
import sys
from datetime import datetime
def t(s): return datetime.fromisoformat(s[:26].rstrip("Z"))
h, m, a = map(t, sys.argv[1:])
print("ordered" if h <= a and m <= a else f"not ordered: healthy {h} migrated {m} app {a}")
PY
)" "ordered"
tap_is "app saw what migrate wrote" "$(docker logs order-app-1 2>&1)" "migrated"

db_id=$(insp '{{.Id}}' order-db-1) app_id=$(insp '{{.Id}}' order-app-1) migrate_id=$(insp '{{.Id}}' order-migrate-1)
app_started=$(insp '{{.State.StartedAt}}' order-app-1)
out=$(cd "$WORK/order" && DB_MODE=two berth up -p order --wait --timeout 60 2>&1)
tap_like "a dependency replaced restarts the services that ask for it (restart: true), and says why" "$out" "restart +order-app-1 +its dependency \"db\" is replaced"
tap_is "db was replaced, app restarted in place, migrate untouched" "$( [ "$(insp '{{.Id}}' order-db-1)" != "$db_id" ] && echo db-new; [ "$(insp '{{.Id}}' order-app-1)" = "$app_id" ] && [ "$(insp '{{.State.StartedAt}}' order-app-1)" != "$app_started" ] && echo app-restarted; [ "$(insp '{{.Id}}' order-migrate-1)" = "$migrate_id" ] && echo migrate-same)" "db-new
app-restarted
migrate-same"

# --- scale ----------------------------------------------------------------------------------------
stage scale
(cd "$WORK/scale" && REPLICAS=3 berth up -p scale >/dev/null 2>&1)
tap_is "three replicas" "$(docker ps --filter label=com.docker.compose.service=worker --filter label=com.docker.compose.project=scale --format '{{.Names}}' | sort | tr '\n' ' ')" "scale-worker-1 scale-worker-2 scale-worker-3 "
other_id=$(insp '{{.Id}}' scale-other-1)
(cd "$WORK/scale" && REPLICAS=1 berth up -p scale >/dev/null 2>&1)
tap_is "scale down keeps the lowest-numbered replica" "$(docker ps -a --filter label=com.docker.compose.service=worker --filter label=com.docker.compose.project=scale --format '{{.Names}}')" "scale-worker-1"
tap_is "scaling one service leaves the other alone" "$(insp '{{.Id}}' scale-other-1)" "$other_id"

# --- down -----------------------------------------------------------------------------------------
out=$(berth down -p feat 2>&1)
tap_is "down removes the containers and networks" "$(docker ps -aq --filter label=com.docker.compose.project=feat | wc -l) $(docker network ls -q --filter label=com.docker.compose.project=feat | wc -l)" "0 0"
tap_is "down keeps named volumes by default" "$(docker volume ls -q --filter name=feat_data)" "feat_data"
since=$(date +%s)
berth down -p order --volumes >/dev/null 2>&1
until=$(($(date +%s) + 1))
tap_is "down --volumes removes them" "$(docker volume ls -q --filter label=com.docker.compose.project=order | wc -l)" "0"
order=$(docker events --since "$since" --until "$until" --filter type=container --filter event=destroy \
        --filter label=com.docker.compose.project=order --format '{{.Actor.Attributes.name}}' | tr '\n' ' ')
tap_like "down removes dependents before what they depend on (the engine's own events)" "$order" "order-app-1 .*order-db-1"

# --- bad input and faults -------------------------------------------------------------------------
stage bad-image
out=$(cd "$WORK/bad-image" && berth up -p badimg 2>&1)
rc=$?
tap_like "a missing image is a clear error naming the service and the image" "$rc $out" "^1 .*service \"broken\": image \"registry.invalid/does-not-exist:1.0\" is not on the engine"
tap_is "and nothing of that stack was created" "$(docker ps -aq --filter label=com.docker.compose.project=badimg | wc -l) $(docker network ls -q --filter label=com.docker.compose.project=badimg | wc -l)" "0 0"

stage external-volume
out=$(cd "$WORK/external-volume" && berth up -p extvol 2>&1)
tap_like "a missing external volume is a clear error naming the service" "$out" "service \"app\" uses external volume \"berth-test-missing-volume\", which does not exist"

stage port-clash
export CLASH_PORT=$(free_port)
python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(60)" "$CLASH_PORT" &
holder=$!
# Wait until the port is really taken: on a loaded machine the holder can take a while to start.
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$CLASH_PORT") 2>/dev/null && break; sleep 0.1; done
out=$(cd "$WORK/port-clash" && berth up -p clash 2>&1)
rc=$?
kill $holder 2>/dev/null
tap_like "a port in use fails and names the service" "$rc $out" "^1 .*service second failed.*$CLASH_PORT"
tap_is "the other service stays running" "$(insp '{{.State.Running}}' clash-first-1)" "true"

stage failing
out=$(cd "$WORK/failing" && berth up -p failing --wait --timeout 20 2>&1)
rc=$?
tap_like "--wait fails on a service that exits and shows its last log lines" "$rc $out" "^1 .*crashy.*exited with status 3.*cannot open /config/app.yaml"
tap_like "an unsupported key gets a warning naming it" "$out" "services.unsupported.storage_opt is not supported"
tap_like "annotations too (the engine takes them only from API 1.43)" "$out" "services.unsupported.annotations is not supported by berth on a standalone engine and is ignored"

tap_done
