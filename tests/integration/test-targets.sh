#!/bin/bash
# test-targets.sh: berth.yaml targets. One config repo fans out to two real engines (the rig's, by its
# socket, and a second dockerd, by TCP with mutual TLS); what runs where is read back with the docker
# CLI on each engine.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
rig_second_start || tap_bail "the second engine could not start"
W=$(mktemp -d)
H1=$DOCKER_HOST H2=$BERTH_TEST_HOST2
d1() { DOCKER_HOST=$H1 docker "$@"; }
d2() { DOCKER_HOST=$H2 docker "$@"; }
stacks="web api edge-cache orphan"
cleanup() {
        for s in $stacks; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        rig_second_stop
        rm -rf "$W"
}
trap cleanup EXIT
for s in $stacks; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main "$W/repo"
cd "$W/repo" || exit 1
commit() { git add -A && git commit -qm "$1"; }
rec() { "$BERTH" reconcile "$@" 2>&1; }
projects() { # this test's stacks on one engine (others may share it)
        "$@" ps -a --filter label=io.berth.managed=true --format '{{.Label "com.docker.compose.project"}}' |
                grep -xE 'web|api|edge-cache|orphan' | sort -u | tr '\n' ' '
}
for s in $stacks; do
        mkdir -p "stacks/$s"
        printf 'services:\n  app:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n' >"stacks/$s/compose.yaml"
done
cat >berth.yaml <<'YAML'
targets:
  main:                 # no host: the runner's engine (DOCKER_HOST)
    stacks: [web, "api*"]
  edge:
    host: ${EDGE_HOST}
    cert_path: ${EDGE_CERTS}
    stacks: [web, "edge-*"]
YAML
commit "two targets"
export EDGE_HOST=$BERTH_TEST_TLS_HOST2 EDGE_CERTS=$BERTH_TEST_CERTS

out=$("$BERTH" plan --format json 2>/dev/null)
tap_is "plan --format json gives each stack its target" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted((s["target"], s["stack"], s["action"]) for s in d["stacks"]))' <<<"$out")" \
        "[('edge', 'edge-cache', 'deploy'), ('edge', 'web', 'deploy'), ('main', 'api', 'deploy'), ('main', 'web', 'deploy')]"
out=$(rec --report "$W/report.json")
tap_is "a reconcile over two targets succeeds" "$?" "0"
tap_is "the runner's engine runs the stacks mapped to main" "$(projects d1)" "api web "
tap_is "the second engine (over TLS) runs the ones mapped to edge" "$(projects d2)" "edge-cache web "
tap_like "a stack no target takes is named in a warning" "$out" "warning: stack orphan is in no target of berth.yaml"
tap_like "the summary has a target column" "$out" "web +edge +deploy +ok"
tap_like "the plan is printed per target" "$out" "repo .* target edge: 2 of 2 stacks to change"
tap_is "the report names the target of each result" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted((s["target"], s["stack"], s["result"]) for s in d["stacks"]))' "$W/report.json")" \
        "[('edge', 'edge-cache', 'ok'), ('edge', 'web', 'ok'), ('main', 'api', 'ok'), ('main', 'web', 'ok')]"
tap_is "each engine holds no lock afterwards" "$(d1 network ls -q --filter name=berth-lock | wc -l) $(d2 network ls -q --filter name=berth-lock | wc -l)" "0 0"

out=$("$BERTH" status 2>/dev/null)
tap_is "berth status in the repo shows every target's stacks" "$(awk 'NR > 1 { print $1, $2 }' <<<"$out" | grep -E ' (web|api|edge-cache|orphan)$' | sort | tr '\n' ',')" \
        "edge edge-cache,edge web,main api,main web,"
tap_like "(with the target column)" "$out" "^TARGET +STACK"
out=$(rec)
# Targets plan and apply side by side, so their sections come in either order.
tap_like "a second run changes nothing on either target" "$? $out" "^0 .*target main: 0 of 2 stacks to change"
tap_like "(neither on edge)" "$out" "target edge: 0 of 2 stacks to change"
out=$("$BERTH" plan --target edge 2>&1)
tap_like "--target plans one target only" "$out" "target edge"
tap_unlike() { if grep -qE "$3" <<<"$2"; then tap_result fail "$1" "matched: $3"; else tap_result ok "$1"; fi; }
tap_unlike "and not the other" "$out" "target main"
"$BERTH" plan --target nosuch >/dev/null 2>"$W/err"
tap_is "an unknown --target is a usage error" "$? $(cat "$W/err")" "64 berth.yaml: there is no target \"nosuch\""

# web leaves edge: it is removed there and untouched on main.
web1=$(d1 inspect -f '{{.Id}}' web-app-1)
sed -i 's/stacks: \[web, "edge-\*"\]/stacks: ["edge-*"]/' berth.yaml
commit "web only on main"
out=$(rec)
tap_like "a stack moved off a target is removed there, and the plan says why" "$out" "stack web +remove +berth.yaml maps it to other targets than edge"
tap_is "the second engine no longer runs it" "$(projects d2)" "edge-cache "
tap_is "the first still runs the same container" "$(d1 inspect -f '{{.Id}}' web-app-1)" "$web1"

# A target that cannot be reached fails alone.
api1=$(d1 inspect -f '{{.Id}}' api-app-1)
printf 'services:\n  app:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3601"]\n    stop_signal: SIGKILL\n' >stacks/api/compose.yaml
commit "api changes"
out=$(EDGE_HOST=tcp://127.0.0.1:1 rec)
tap_like "an unreachable target makes the run fail, naming it" "$? $out" "^1 .*target edge: .*127.0.0.1:1"
tap_like "while the other target is still reconciled" "$(d1 inspect -f '{{.Config.Cmd}}' api-app-1) $(d1 inspect -f '{{.Id}}' api-app-1)" "3601.* [0-9a-f]{64}$"
tap_check "(and the container was really replaced)" test "$(d1 inspect -f '{{.Id}}' api-app-1)" != "$api1"

out=$(env -u EDGE_HOST "$BERTH" plan 2>&1)
tap_like "a target whose host variable is unset is an error at its berth.yaml line" "$? $out" "^1 berth.yaml:5:11: targets.edge.host: the variable EDGE_HOST is not set"
out=$(EDGE_HOST=$H1 "$BERTH" plan 2>&1)
tap_like "two targets on one engine are refused (each would prune the other's stacks)" "$? $out" "^1 .*targets main and edge are the same engine"
tap_is "and nothing changed" "$(projects d1)|$(projects d2)" "api web |edge-cache "

# Targets fan out: a stack that takes a few seconds to come up healthy on each engine is in its health
# gate on both at once. Each engine's events say when its container was created and became healthy.
printf 'services:\n  app:\n    image: berth-test/busybox:latest\n    command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 3600"]\n    stop_signal: SIGKILL\n    healthcheck:\n      test: ["CMD", "test", "-f", "/tmp/ready"]\n      interval: 1s\n' |
        tee stacks/api/compose.yaml >stacks/edge-cache/compose.yaml
commit "a slow api on main, a slow edge-cache on edge"
t0=$(date +%s.%N)
out=$(rec)
tap_is "both targets deploy their slow stack" "$?" "0"
span() { # engine, project: "created healthy" in ns from that engine's events
        "$1" events --since "$t0" --until "$(date +%s.%N)" --filter "label=com.docker.compose.project=$2" --format '{{.Action}} {{.TimeNano}}' |
                awk '$1 == "create" && !c { c = $2 } /^health_status: healthy/ && !h { h = $NF } END { print c, h }'
}
read -r c1 h1 <<<"$(span d1 api)"
read -r c2 h2 <<<"$(span d2 edge-cache)"
tap_is "and the two health gates overlapped: each engine created its container before the other's became healthy" \
        "$([ -n "$h1" ] && [ -n "$h2" ] && [ "$c1" -lt "$h2" ] && [ "$c2" -lt "$h1" ] && echo overlapped || echo "main $c1..$h1 edge $c2..$h2")" "overlapped"
tap_done
