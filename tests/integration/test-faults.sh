#!/bin/bash
# test-faults.sh: dockerd killed in the middle of `berth up` and restarted: running `up` again
# converges, with no duplicate containers and no lost volume data. Runs alone: it crashes the engine.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
WORK=$(mktemp -d)
trap 'rig_dockerd_alive || rig_dockerd >/dev/null; "$BERTH" down -p crash -v -t 0 >/dev/null 2>&1; rm -rf "$WORK"' EXIT
rig_dockerd_alive() { docker version >/dev/null 2>&1; }

{
        echo "services:"
        for i in $(seq 1 20); do
                printf '  s%d:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    volumes: [keep:/keep]\n' "$i"
        done
        printf 'volumes:\n  keep: {}\n'
} >"$WORK/compose.yaml"

# Data that must survive: written into the stack's volume before anything else happens.
docker volume create --label com.docker.compose.project=crash --label com.docker.compose.volume=keep crash_keep >/dev/null
docker run --rm -v crash_keep:/keep berth-test/busybox:latest sh -c 'echo precious > /keep/data'

(cd "$WORK" && "$BERTH" up -p crash --parallel 2 >"$WORK/first.log" 2>&1) &
upid=$!
# Kill the engine once some, but not all, containers exist.
for _ in $(seq 1 200); do
        n=$(docker ps -aq --filter label=com.docker.compose.project=crash 2>/dev/null | wc -l)
        [ "$n" -ge 3 ] && break
        sleep 0.05
done
rig_dockerd_kill
wait $upid
first=$?
tap_is "the interrupted up failed (and said so)" "$first" "1"
tap_like "its error names the engine" "$(cat "$WORK/first.log")" "Docker engine"
rig_dockerd
tap_check "dockerd is back" docker version

out=$(cd "$WORK" && "$BERTH" up -p crash 2>&1)
tap_is "up again converges" "$?" "0"
names=$(docker ps -a --filter label=com.docker.compose.project=crash --format '{{.Names}}' | sort)
tap_is "20 containers, no duplicates" "$(echo "$names" | wc -l) $(echo "$names" | sort -u | wc -l)" "20 20"
tap_is "all running" "$(docker ps --filter label=com.docker.compose.project=crash --filter status=running -q | wc -l)" "20"
tap_is "the volume's data survived" "$(docker exec crash-s1-1 cat /keep/data)" "precious"
out=$(cd "$WORK" && "$BERTH" up -p crash 2>&1)
tap_like "a third up has nothing left to do" "$out" "0 changes"
tap_done
