#!/bin/bash
# test-hostfiles.sh: what berth promises about the host's files. A stack whose container writes a tree
# of files under a relative bind mount keeps that data, byte for byte, through an update, a files-only
# update, a failed update rolled back by the health gate, `berth rollback`, --all drift repair and a
# prune (checked by checksums from the host and from inside the container). Symlinks that a container
# planted are never followed, unsafe names in git trees and symlinks that leave the stack are refused,
# a stack reads nothing outside its repo unless berth.yaml allows it, and `berth plan` changes nothing
# on the engine (watched through the engine's own events).
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
STACKS="db other evil plan slow"
cleanup() {
        for s in $STACKS; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        docker network rm berth-lock >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
for s in $STACKS; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
export BERTH_STATE_DIR=$W/state
. "$(dirname "$0")/../lib/repo.sh"
repo_start
rec() { (cd "$W/repo" && "$BERTH" reconcile "$@" 2>&1); }
cid() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }

# The container fills its data directory once: a table, a nested file and 64 KiB of random bytes.
db_stack() { # MODE [extra service lines]
        cat <<YAML
services:
  db:
    image: berth-test/busybox:latest
    command: ["sh", "-c", "mkdir -p /var/lib/db/pgdata/sub; [ -f /var/lib/db/pgdata/table ] || { seq 1 5000 >/var/lib/db/pgdata/table; echo deep >/var/lib/db/pgdata/sub/deep; dd if=/dev/urandom of=/var/lib/db/pgdata/blob bs=1024 count=64 2>/dev/null; }; exec sleep 3600"]
    environment: [MODE=$1]
    volumes: ["./data:/var/lib/db", "./conf:/conf:ro"]
    stop_signal: SIGKILL
$2
YAML
}
mkdir -p stacks/db/data stacks/db/conf stacks/other
db_stack one >stacks/db/compose.yaml
echo "greeting = one" >stacks/db/conf/app.conf
touch stacks/db/data/.gitkeep
printf 'services:\n  o:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n' >stacks/other/compose.yaml
printf 'health_timeout: 8s\n' >berth.yaml
commit "first"
first=$(g rev-parse HEAD)
out=$(rec)
tap_is "the first reconcile deploys the stacks" "$?" "0"

# The stack's directory on the host: found by its manifest beside it.
manifest=$(find "$W/state" -name db.manifest)
sdir=${manifest%.manifest}
data=$sdir/stacks/db/data
for _ in $(seq 50); do docker exec db-db-1 test -f /var/lib/db/pgdata/blob 2>/dev/null && break; sleep 0.2; done
inside() { docker exec db-db-1 sh -c 'cd /var/lib/db && find . -type f ! -name .gitkeep | sort | xargs sha256sum'; }
host() { (cd "$data" && find . -type f ! -name .gitkeep | sort | xargs sha256sum); }
sums=$(inside)
tap_is "the container wrote its tree of files (3 files)" "$(printf '%s\n' "$sums" | grep -c pgdata)" "3"
tap_is "the host sees the same bytes" "$(host)" "$sums"
intact() { # step
        tap_is "$1: the data is intact, seen from the container" "$(inside)" "$sums"
        tap_is "$1: and from the host" "$(host)" "$sums"
}

# 1. An update recreates the container; the data stays.
old=$(cid db-db-1)
db_stack two >stacks/db/compose.yaml
commit "update"
out=$(rec)
tap_is "an update succeeds" "$?" "0"
tap_is "and recreated the container" "$([ "$(cid db-db-1)" != "$old" ] && echo new)" "new"
intact "update"

# 2. A files-only update (a file of a bind-mounted directory, and .gitkeep gone from data/).
old=$(cid db-db-1)
echo "greeting = two" >stacks/db/conf/app.conf
g rm -q stacks/db/data/.gitkeep
commit "files only"
out=$(rec)
tap_like "a files-only update updates the files in place" "$out" "its files are updated in place"
tap_is "without touching the container" "$(cid db-db-1)" "$old"
tap_is "which sees the new file" "$(docker exec db-db-1 cat /conf/app.conf)" "greeting = two"
intact "files-only update"

# 3. A failed update: the health gate rolls it back.
db_stack three '    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1}' >stacks/db/compose.yaml
commit "unhealthy"
out=$(rec)
tap_like "an unhealthy update is rolled back by the health gate" "$out" "FAILED, rolled back"
tap_like "to the previous version" "$(docker inspect -f '{{.Config.Env}}' db-db-1)" "MODE=two"
intact "health-gate rollback"
g revert --no-edit HEAD >/dev/null && g push -q origin main 2>/dev/null
rec >/dev/null

# 4. berth rollback.
out=$(cd "$W/repo" && "$BERTH" rollback db 2>&1)
tap_is "berth rollback succeeds" "$?" "0"
tap_is "and restores the files of the version before" "$(docker exec db-db-1 cat /conf/app.conf)" "greeting = one"
intact "berth rollback"

# 5. Drift repaired by --all.
docker rm -f db-db-1 >/dev/null
out=$(rec --all --allow-downgrade)
tap_like "--all repairs a container removed by hand" "$(docker ps --format '{{.Names}}' --filter name=db-db-1)" "db-db-1"
intact "--all drift repair"

# 6. A symlink a container planted is never followed: neither as a file berth writes nor as a
# directory on the way to one.
echo "victim" >"$W/victim"
mkdir -p "$W/victimdir"
docker exec db-db-1 sh -c "ln -s '$W/victim' /var/lib/db/settings.ini; ln -s '$W/victimdir' /var/lib/db/sub"
mkdir -p stacks/db/data
echo "from git" >stacks/db/data/settings.ini
commit "a file where the container planted a link"
out=$(rec)
tap_is "a planted symlink is not written through" "$(cat "$W/victim")" "victim"
tap_is "the file berth wrote replaced the link" "$(cat "$data/settings.ini")" "from git"
mkdir -p stacks/db/data/sub && echo x >stacks/db/data/sub/x.conf
commit "a directory where the container planted a link"
out=$(rec)
tap_is "a reconcile that meets a planted directory link fails" "$?" "1"
tap_like "and says where" "$out" "cannot write \"stacks/db/data/sub\".*symlink or file is in the way"
tap_is "nothing was written through it" "$(ls -A "$W/victimdir")" ""
tap_like "the other stacks are still fine" "$(docker ps --format '{{.Names}}')" "other-o-1"
docker exec db-db-1 rm /var/lib/db/sub
g rm -rq stacks/db/data/sub stacks/db/data/settings.ini && commit "drop them"
out=$(rec)
tap_like "a commit that undoes a files-only sync brings the host's files back" "$out" "stack db +update +its files on this host are older"
intact "planted symlinks"

# 7. Unsafe names in a git tree and symlinks out of the stack are errors of that stack alone.
mkdir -p stacks/evil
printf 'services:\n  e:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n' >stacks/evil/compose.yaml
ln -s ../../../../../../etc/passwd stacks/evil/passwd
commit "a link out of the stack"
out=$(rec)
tap_is "a symlink that leaves the stack fails the run" "$?" "1"
tap_like "naming it" "$out" "stacks/evil/passwd.*symlink leads outside"
tap_is "and nothing of it is on the host" "$(find "$W/state" -name passwd | wc -l)" "0"
g rm -q stacks/evil/passwd && commit "no link"
blob=$(g hash-object -w stacks/evil/compose.yaml)
evil=$(printf '100644 blob %s\tcompose.yaml\n100644 blob %s\t..\n' "$blob" "$blob" | g mktree)
stacks=$(g ls-tree HEAD:stacks | grep -v "	evil$"; printf '040000 tree %s\tevil\n' "$evil")
stacks_tree=$(printf '%s\n' "$stacks" | g mktree)
root=$(g ls-tree HEAD | grep -v "	stacks$"; printf '040000 tree %s\tstacks\n' "$stacks_tree")
c=$(printf '%s\n' "$root" | g mktree | xargs -I{} git -C "$W/repo" commit-tree {} -p HEAD -m "crafted")
g update-ref refs/heads/main "$c"
out=$(rec)
tap_is "a tree entry named .. fails the run" "$?" "1"
tap_like "with the path and the commit" "$out" "commit ${c:0:12}: \"stacks/evil/..\" has an unsafe name"
tap_like "while the other stacks stay reconciled" "$(docker ps --format '{{.Names}}')" "other-o-1"
g reset -q --hard origin/main
g rm -rq stacks/evil && commit "no evil"
rec >/dev/null

# 8. Nothing read from outside the repo, unless berth.yaml allows it; only regular files.
mkdir -p "$W/hostconf"
echo "SECRET_FROM_HOST=s3cr3t-line" >"$W/hostconf/x.env"
printf 'services:\n  o:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    env_file: %s/hostconf/x.env\n' "$W" >stacks/other/compose.yaml
commit "an absolute env_file"
out=$(cd "$W/repo" && "$BERTH" plan 2>&1)
tap_like "an env_file outside the repo is a file:line:col error" "$out" "stacks/other/compose.yaml:5:15: services.o.env_file: env file \"$W/hostconf/x.env\" is outside the stack's source"
tap_is "which never shows the file's content" "$(printf '%s' "$out" | grep -c s3cr3t)" "0"
printf 'health_timeout: 8s\nallow_host_paths: ["%s/hostconf"]\n' "$W" >berth.yaml
commit "allow the host path"
out=$(rec)
tap_like "a host path berth.yaml allows is read" "$(docker inspect -f '{{.Config.Env}}' other-o-1)" "SECRET_FROM_HOST"
printf 'services:\n  o:\n    image: berth-test/busybox:latest\n    env_file: ../../../../../../etc/hostname\n' >stacks/other/compose.yaml
commit "a relative escape"
out=$(cd "$W/repo" && "$BERTH" plan 2>&1)
tap_like "a ../ that escapes the repo is refused at its line" "$out" "stacks/other/compose.yaml:4:15: services.o.env_file: .*is outside the stack's source"
mkfifo "$W/repo/stacks/other/fifo.env"
printf 'services:\n  o:\n    image: berth-test/busybox:latest\n    env_file: fifo.env\n' >stacks/other/compose.yaml
out=$(cd "$W/repo/stacks/other" && timeout 10 "$BERTH" config 2>&1)
tap_like "berth config on a working tree refuses a FIFO (no hang)" "$out" "is not a regular file"
rm -f "$W/repo/stacks/other/fifo.env"
printf 'services:\n  o:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n' >stacks/other/compose.yaml
commit "other back"
rec >/dev/null

# A stack's refs are told apart whole: shared/common.env must not hide common.env.
mkdir -p shared
echo "LEVEL=shared" >shared/common.env
echo "TOP=one" >common.env
printf 'services:\n  o:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    env_file: [../../shared/common.env, ../../common.env]\n' >stacks/other/compose.yaml
commit "two env files whose names end alike"
rec >/dev/null
echo "TOP=two" >common.env
commit "the top one changes"
out=$(rec)
tap_like "a change to common.env is seen although shared/common.env is read too" "$out" "stack other +update +common.env changed"
tap_like "and reaches the container" "$(docker inspect -f '{{.Config.Env}}' other-o-1)" "TOP=two"

# berth.yaml's numbers are bounded, with their place.
printf 'parallel: 100000\n' >berth.yaml
commit "a parallel too large"
out=$(cd "$W/repo" && "$BERTH" plan 2>&1)
tap_like "a parallel out of bounds is a berth.yaml:line:col error" "$? $out" "^1 .*berth.yaml:1:11: parallel: must be a whole number from 1 to 64"
printf 'health_timeout: 8s\nallow_host_paths: ["%s/hostconf"]\n' "$W" >berth.yaml
commit "parallel back"

# 9. berth plan changes nothing on the engine: no pull, network, volume or container.
mkdir -p stacks/plan
printf 'services:\n  p:\n    image: 127.0.0.1:9/not/pulled:1\n    networks: [n]\n    volumes: [v:/v]\nnetworks:\n  n: {}\nvolumes:\n  v: {}\n' >stacks/plan/compose.yaml
commit "a new stack with an image not pulled yet"
sleep 1.1
since=$(date +%s)
out=$(cd "$W/repo" && "$BERTH" plan --all 2>&1)
tap_like "the plan shows the new stack" "$out" "stack plan +deploy"
sleep 1
events=$(docker events --since "$since" --until "$(date +%s)" --format '{{.Type}} {{.Action}}')
tap_is "and the engine saw no event at all during it" "$events" ""
g rm -rq stacks/plan && commit "no plan stack"

# 10. A prune removes what berth wrote and keeps what the containers wrote, and says so.
g rm -rq stacks/db && commit "prune db"
out=$(rec)
tap_is "the stack deleted from git is removed" "$(docker ps -aq --filter label=com.docker.compose.project=db | wc -l)" "0"
tap_like "the output names what was kept, where, and its size" "$out" "kept 3 files \([0-9.]+ KiB\) that its containers wrote, in $sdir"
tap_is "berth's own files are gone" "$(ls "$sdir/stacks/db/conf" 2>/dev/null | wc -l) $(ls "$W/state"/*/db.manifest 2>/dev/null | wc -l)" "0 0"
tap_is "prune: the data is intact on the host" "$(host)" "$sums"

# The reconcile lock is renewed while a run holds it: with a 3 s lifetime, a run that takes longer is
# still seen as alive by a second reconciler, which waits and fails instead of taking it over.
mkdir -p stacks/slow
printf 'services:\n  s:\n    image: berth-test/busybox:latest\n    command: ["sh", "-c", "sleep 8; touch /tmp/ready; exec sleep 3600"]\n    stop_signal: SIGKILL\n    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 60}\n' >stacks/slow/compose.yaml
printf 'health_timeout: 60s\n' >berth.yaml
commit "a slow stack"
(cd "$W/repo" && BERTH_LOCK_TTL=3 "$BERTH" reconcile >"$W/slow.log" 2>&1; echo $? >"$W/slow.rc") &
sleep 5
sed -i 's/3600/3601/' stacks/other/compose.yaml
commit "a change for a second reconciler"
out=$(cd "$W/repo" && BERTH_LOCK_TTL=3 "$BERTH" reconcile --lock-timeout 1 2>&1)
tap_like "a second reconciler finds the renewed lock held, not stale" "$? $out" "^1 .*another reconcile holds the lock"
wait
tap_is "while the long run succeeds" "$(cat "$W/slow.rc")" "0"
tap_is "and leaves no lock behind" "$(docker network ls -q --filter name=^berth-lock$ | wc -l)" "0"

# The state directory is private.
tap_is "the state directory and the repo's are 0700, manifests 0600" "$(stat -c %a "$W/state" "$(dirname "$manifest")") $(stat -c %a "$(dirname "$manifest")/other.manifest")" "700
700 600"
chown nobody "$W/state"
out=$(rec 2>&1)
tap_like "a state directory owned by another user is refused" "$out" "is owned by uid [0-9]+, not by this user"
chown root "$W/state"
chmod 755 "$W"
out=$(cd / && env -u HOME -u BERTH_STATE_DIR setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" plan --repo "$W/repo" 2>&1)
tap_like "without HOME or BERTH_STATE_DIR berth says what to set, and does not fall back to /tmp" "$out" "neither BERTH_STATE_DIR nor HOME is set.*set BERTH_STATE_DIR"
tap_done
