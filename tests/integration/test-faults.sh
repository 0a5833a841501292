#!/bin/bash
# test-faults.sh: dockerd killed in the middle of `berth up`, and of `berth reconcile`, and restarted:
# running again converges, with no duplicate containers and no lost volume data, and the interrupted
# run says it failed. Runs alone: it crashes the engine.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
WORK=$(mktemp -d)
down_all() { for p in crash ra rb rc rd; do "$BERTH" down -p $p -v -t 0 >/dev/null 2>&1; done; docker network rm berth-lock >/dev/null 2>&1; }
trap 'rig_dockerd_alive || rig_dockerd >/dev/null; down_all; rm -rf "$WORK"' EXIT
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

# The same in the middle of a reconcile of four stacks from a git repo. Their services restart
# themselves (restart: always), so after the engine is back the half-deployed stacks look healthy:
# only the io.berth.containers count tells the next run that containers are missing.
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
R=$WORK/repo
git init -q -b main "$R"
for st in ra rb rc rd; do
        mkdir -p "$R/stacks/$st"
        {
                echo "services:"
                for i in 1 2 3 4 5; do
                        printf '  s%d:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    restart: always\n    volumes: [keep:/keep]\n' "$i"
                done
                printf 'volumes:\n  keep: {}\n'
        } >"$R/stacks/$st/compose.yaml"
done
printf 'parallel: 1\n' >"$R/berth.yaml"
git -C "$R" add -A && git -C "$R" commit -qm "four stacks"
docker volume create --label com.docker.compose.project=rd --label com.docker.compose.volume=keep rd_keep >/dev/null
docker run --rm -v rd_keep:/keep berth-test/busybox:latest sh -c 'echo precious > /keep/data'
mine() { docker ps -a --filter "label=io.berth.repo=$R/" "$@"; } # a repo without an origin is known by its path

(cd "$R" && "$BERTH" reconcile --report "$WORK/crash.json" >"$WORK/rec1.log" 2>&1) &
rpid=$!
# A stack counts as half-deployed with 1 to 4 of its 5 containers: kill the engine while one is.
partial() {
        for st in ra rb rc rd; do
                n=$(mine -q --filter "label=com.docker.compose.project=$st" 2>/dev/null | wc -l)
                [ "$n" -ge 1 ] && [ "$n" -le 4 ] && { echo "$st"; return 0; }
        done
        return 1
}
for _ in $(seq 1 600); do
        half=$(partial) && break
        sleep 0.02
done
rig_dockerd_kill
wait $rpid
tap_is "the reconcile cut short by the engine's death fails" "$?" "1"
tap_like "and its report says which stacks failed (never ok for all)" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted(set(s["result"] for s in d["stacks"])))' "$WORK/crash.json")" "FAILED"
tap_like "its output names the engine as the cause" "$(cat "$WORK/rec1.log")" "Docker engine"
rig_dockerd
tap_check "dockerd is back" docker version
before=$(mine -q | wc -l)
tap_check "some containers of the first run exist, not all ($before of 20)" test "$before" -gt 0 -a "$before" -lt 20

tap_is "the dead run's lock is still there (it could not unlock a dead engine)" "$(docker network ls -q --filter name=berth-lock | wc -l)" "1"

out=$(cd "$R" && "$BERTH" reconcile --lock-timeout 5 2>&1)
tap_is "the next reconcile converges" "$?" "0"
tap_like "taking over the lock the dead run left, and saying so" "$out" "warning: taking over a stale reconcile lock \\(.* pid [0-9]+: its process is gone\\)"
tap_like "the half-deployed stack ($half) is noticed from its labels alone" "$half $out" "^(r[a-d]) .*stack \1 +update +[1-4] of its 5 containers exist: checking live state"
names=$(mine --format '{{.Names}}' | sort)
tap_is "20 containers, no duplicates" "$(echo "$names" | wc -l) $(echo "$names" | sort -u | wc -l)" "20 20"
tap_is "all running" "$(mine -q --filter status=running | wc -l)" "20"
tap_is "the volume's data survived" "$(docker exec rd-s1-1 cat /keep/data)" "precious"
out=$(cd "$R" && "$BERTH" reconcile 2>&1)
tap_like "a third reconcile has nothing left to do" "$out" "0 of 4 stacks to change"
tap_done
