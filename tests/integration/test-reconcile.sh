#!/bin/bash
# test-reconcile.sh: `berth plan` and `berth reconcile` against the rig's engine, driven by a real git
# repo with a bare origin (file://). Every result is read back with the docker CLI or git.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
cleanup() {
        for s in web api worker broken flaky flat other files scaled svcs; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        docker network rm berth-lock >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
cleanup_stacks() { for s in web api worker broken flaky flat other files scaled svcs; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done; }
cleanup_stacks # whatever an earlier run left behind
. "$(dirname "$0")/../lib/repo.sh"
repo_start
rec() { (cd "$W/repo" && "$BERTH" reconcile "$@" 2>&1); }
cid() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }
label() { docker inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null; }

service() { # name, extra yaml lines
        printf '  %s:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n%s' "$1" "${2:-}"
}
mkdir -p stacks/web stacks/api stacks/worker shared
{ echo "services:"; service site '    env_file: ../../shared/common.env
'; } >stacks/web/compose.yaml
{ echo "services:"; service app '    environment: [MODE=one]
'; service helper; } >stacks/api/compose.yaml
{ echo "services:"; service job '    volumes: [state:/state]
'; echo "volumes:"; echo "  state: {}"; } >stacks/worker/compose.yaml
echo "REGION=eu" >shared/common.env
{ echo "services:"; service flatsvc; } >docker-compose-flat.yml
commit "first"
head1=$(g rev-parse HEAD)

out=$(cd "$W/repo" && "$BERTH" plan --detailed-exitcode 2>&1)
tap_is "plan --detailed-exitcode exits 2 with changes pending" "$?" "2"
tap_like "plan says why: new stacks" "$out" "stack web +deploy +new stack"
out=$(rec --report "$W/report.json")
tap_is "the first reconcile deploys everything" "$?" "0"
tap_is "four stacks live, both layouts" "$(docker ps --filter "label=io.berth.repo=file://$W/origin" --format '{{.Label "com.docker.compose.project"}}' | sort -u | tr '\n' ' ')" "api flat web worker "
tap_is "containers carry the commit they were deployed from" "$(label web-site-1 io.berth.commit)" "$head1"
tap_is "and the repo's identity (its origin)" "$(label web-site-1 io.berth.repo)" "file://$W/origin"
tap_is "the JSON report lists every stack" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted((s["stack"], s["result"]) for s in d["stacks"]))' "$W/report.json")" "[('api', 'ok'), ('flat', 'ok'), ('web', 'ok'), ('worker', 'ok')]"
out=$(cd "$W/repo" && "$BERTH" plan --detailed-exitcode 2>&1)
tap_is "nothing to do: plan exits 0" "$?" "0"
tap_like "berth status shows each stack's commit, services and health" "$("$BERTH" status)" "api +${head1:0:12} +2/2 .*app,helper|api +${head1:0:12} +2/2 .*helper,app"
tap_like "unchanged stacks are skipped, and say since when" "$out" "stack api +skip +unchanged since ${head1:0:12}"

# A shared file changes: exactly the stack that reads it is updated.
web=$(cid web-site-1) api=$(cid api-app-1) job=$(cid worker-job-1)
echo "REGION=us" >shared/common.env
commit "shared env"
out=$(rec)
tap_like "the stack that reads the shared file is updated, and the output names the file" "$out" "stack web +update +shared/common.env changed between"
tap_is "only its container was replaced" "$([ "$(cid web-site-1)" != "$web" ] && echo web-new; [ "$(cid api-app-1)" = "$api" ] && [ "$(cid worker-job-1)" = "$job" ] && echo others-same)" "web-new
others-same"
tap_like "with the new value" "$(docker inspect -f '{{.Config.Env}}' web-site-1)" "REGION=us"

# A stack removed from git is pruned; its volume is kept. A broken stack fails alone.
docker run --rm -v worker_state:/state berth-test/busybox:latest sh -c 'echo kept > /state/f'
g rm -rq stacks/worker
mkdir -p stacks/broken
printf 'services:\n  x:\n    image: berth-test/busybox:latest\n    environment:\n      - A=1\n    ports: ["99999:80"]\n' >stacks/broken/compose.yaml
sed -i 's/MODE=one/MODE=two/' stacks/api/compose.yaml
commit "prune worker, add broken, change api"
out=$(rec)
rc=$?
tap_is "a broken stack makes the run fail" "$rc" "1"
tap_like "with its own file:line error" "$out" "stacks/broken/compose.yaml:6:13: services.x.ports\[0\]: invalid port \"99999:80\""
tap_like "while the other stacks are still reconciled" "$(docker inspect -f '{{.Config.Env}}' api-app-1)" "MODE=two"
tap_is "the stack deleted from git is removed" "$(docker ps -aq --filter label=com.docker.compose.project=worker | wc -l)" "0"
tap_is "but its volume is kept, with its data" "$(docker run --rm -v worker_state:/state berth-test/busybox:latest cat /state/f)" "kept"
g rm -rq stacks/broken && commit "drop broken"
rec >/dev/null

# An older pipeline running late is refused; nothing changes.
api=$(cid api-app-1)
out=$(rec --rev "$head1")
tap_like "an older commit than the deployed one is refused" "$? $out" "^1 .*refusing to downgrade"
tap_is "and nothing changed" "$(cid api-app-1)" "$api"
out=$(rec --rev "$head1" --allow-downgrade)
tap_like "--allow-downgrade rolls the stack back" "$(docker inspect -f '{{.Config.Env}}' api-app-1)" "MODE=one"
rec >/dev/null

# Drift: a container removed by hand is found without --all too (the labels say how many the stack
# has); --dry-run only reports.
docker rm -f api-helper-1 >/dev/null
out=$(cd "$W/repo" && "$BERTH" plan 2>&1)
tap_like "a container removed by hand is noticed from the count in its stack's labels" "$out" "stack api +update +1 of its 2 containers exist: checking live state"
tap_like "and berth status shows it as drift" "$("$BERTH" status)" "api +[0-9a-f]{12} +1/1 .*1 missing"
out=$(rec --all --dry-run)
tap_like "--all --dry-run reports the drift" "$out" "create +api-helper-1 +replica 1 is missing|create +api-helper-1 +new service"
tap_is "and changes nothing" "$(docker ps -aq --filter name=api-helper-1 | wc -l)" "0"

rec --all >/dev/null
tap_is "--all repairs it" "$(docker inspect -f '{{.State.Running}}' api-helper-1)" "true"
docker stop api-helper-1 >/dev/null
tap_like "berth status shows a container stopped by hand as drift" "$("$BERTH" status)" "api +[0-9a-f]{12} +1/2 .*not running"
out=$(rec)
tap_like "and a plain reconcile notices it and starts it again" "$out" "start +api-helper-1 +container is exited"

# A deploy that only scales a service down makes no container to carry its count, so it leaves a
# record (an empty, labelled volume): berth status sees no drift and names the new commit; a container
# removed by hand after it is drift again; a deploy that makes containers drops the record, and so
# does the stack's removal.
mkdir -p stacks/scaled
scaled() { { echo "services:"; service w "    deploy: {replicas: $1}
"; } >stacks/scaled/compose.yaml; commit "scaled to $1" && rec >/dev/null; }
record() { docker volume inspect -f "{{index .Labels \"io.berth.containers\"}} {{index .Labels \"io.berth.commit\"}}" berth-record.scaled 2>&1; }
scaled 3
scaled 2
tap_is "a scale-down leaves two containers, as docker sees it" "$(docker ps -q --filter label=com.docker.compose.project=scaled | wc -l)" "2"
tap_is "and a record of the deploy: 2 containers, at the new commit" "$(record)" "2 $(g rev-parse HEAD)"
tap_like "berth status sees no drift after a scale-down, and names the new commit" "$("$BERTH" status)" \
        "scaled +$(g rev-parse --short=12 HEAD) +2/2 +- +- +compose"
docker rm -f scaled-w-2 >/dev/null
tap_like "a container removed by hand after it is drift" "$("$BERTH" status)" "scaled +[0-9a-f]{12} +1/1 +- +1 missing"
rec --all >/dev/null
tap_is "a deploy that makes a container drops the record" "$(docker ps -q --filter label=com.docker.compose.project=scaled | wc -l) $(docker volume ls -q --filter name=berth-record.scaled)" "2 "
tap_like "and status still sees no drift" "$("$BERTH" status)" "scaled +[0-9a-f]{12} +2/2 +- +- +compose"
# Found by the soak (test-soak.py): a service deleted from git stayed as an orphan; status's JSON said
# "several" for the commit; a stack scaled to 0 was "new" at every run, and left its network when
# deleted; plan --all saw a stack skipped by later commits as "its files are updated in place".
mkdir -p stacks/svcs
echo conf >stacks/svcs/conf.txt
{ echo "services:"; service one '    volumes: [./conf.txt:/conf.txt:ro]
'; } >stacks/svcs/compose.yaml
commit "svcs: one" && rec >/dev/null
one=$(cid svcs-one-1)
{ echo "services:"; service one '    volumes: [./conf.txt:/conf.txt:ro]
'; service two; } >stacks/svcs/compose.yaml
commit "svcs: two" && rec >/dev/null
tap_is "status --format json names the last deploy's commit, and that older containers keep theirs" \
        "$("$BERTH" status --format json | python3 -c 'import json,sys; print([(s["commit"], s["several_commits"]) for s in json.load(sys.stdin) if s["stack"] == "svcs"])')" \
        "[('$(g rev-parse HEAD)', True)]"
{ echo "services:"; service one '    volumes: [./conf.txt:/conf.txt:ro]
'; } >stacks/svcs/compose.yaml
commit "svcs: one again"
out=$(rec)
tap_is "a service deleted from git is removed (prune), the other left as it was" \
        "$(docker ps -a --filter label=com.docker.compose.project=svcs --format '{{.Names}}') $([ "$(cid svcs-one-1)" = "$one" ] && echo same)" "svcs-one-1 same"
scaled 1
scaled 0
out=$(cd "$W/repo" && "$BERTH" plan --detailed-exitcode 2>&1)
tap_like "a stack scaled to 0 is deployed: no container, and plan finds nothing to do" \
        "$? $(docker ps -aq --filter label=com.docker.compose.project=scaled | wc -l) $out" "^0 0 .*stack scaled +skip"
out=$(cd "$W/repo" && "$BERTH" plan --all --detailed-exitcode 2>&1)
tap_like "plan --all, which compares every stack with the engine, finds nothing either (svcs was skipped since)" \
        "$? $out" "^0 .*stack svcs +skip"
g rm -rq stacks/scaled stacks/svcs && commit "no scaled" && rec >/dev/null
tap_is "removing the stack removes its record" "$(docker ps -aq --filter label=com.docker.compose.project=scaled | wc -l) $(docker volume ls -q --filter name=berth-record.scaled)" "0 "
tap_is "and a stack scaled to 0 is removed too: its network goes" "$(docker network ls -q --filter name=scaled_default | wc -l)" "0"

# The health gate: a version that never turns healthy is rolled back to the deployed one.
mkdir -p stacks/flaky
{ echo "services:"; service svc '    environment: [VERSION=good]
'; } >stacks/flaky/compose.yaml
commit "flaky good" && rec >/dev/null
good=$(g rev-parse HEAD)
{ echo "services:"; service svc '    environment: [VERSION=bad]
    healthcheck:
      test: ["CMD", "false"]
      interval: 200ms
      retries: 2
'; } >stacks/flaky/compose.yaml
commit "flaky bad"
out=$(rec)
tap_like "a stack that fails its health gate is reported as failed and rolled back" "$? $out" "^1 .*flaky +update +FAILED, rolled back"
tap_like "it runs the previous version again" "$(docker inspect -f '{{.Config.Env}}' flaky-svc-1)" "VERSION=good"
tap_is "labelled with the commit it now runs" "$(label flaky-svc-1 io.berth.commit)" "$good"

# Force-push: history is rewritten below the deployed commit; the stack gets a full plan and says why.
g reset -q --hard "$good~1"
mkdir -p stacks/flaky
{ echo "services:"; service svc '    environment: [VERSION=rewritten]
'; } >stacks/flaky/compose.yaml
g add -A && g commit -qm rewritten && g push -q -f origin main 2>/dev/null
rm -rf "$W/fresh" && git clone -q "file://$W/origin.git" "$W/fresh" 2>/dev/null
out=$(cd "$W/fresh" && "$BERTH" reconcile 2>&1)
tap_like "after a force-push the unknown deployed commit means a full plan, said plainly" "$out" "is not in the repo \(force-pushed away\?\): full plan"
tap_like "and it converges" "$(docker inspect -f '{{.Config.Env}}' flaky-svc-1)" "VERSION=rewritten"

# Another repo's stack of the same name is never touched or pruned.
mkdir -p "$W/other" && printf 'services:\n  x:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n' >"$W/other/compose.yaml"
(cd "$W/other" && "$BERTH" up -p other >/dev/null 2>&1)
docker rm -f other-x-1 >/dev/null
docker run -d --name other-x-1 --label com.docker.compose.project=other --label com.docker.compose.service=x \
        --label com.docker.compose.container-number=1 --label io.berth.managed=true \
        --label io.berth.repo=https://example.invalid/another berth-test/busybox:latest sleep 3600 >/dev/null
out=$(rec)
tap_is "a stack another repo deployed is not pruned" "$(docker inspect -f '{{.State.Running}}' other-x-1)" "true"

# The lock: a live lock makes a second reconciler wait, then fail clearly; a stale one expires. A run
# with nothing to change never needs the lock, so there is a change pending here.
out=$(rec)
tap_like "with nothing to change, reconcile does not wait for the lock" "$out" "0 of [0-9]+ stacks to change"
sed -i 's/"sleep", "3600"/"sleep", "3601"/' docker-compose-flat.yml
commit "flat v2"
docker network create --internal --label io.berth.lock.holder=ci-job-42 --label io.berth.lock.expires=$(($(date +%s) + 600)) berth-lock >/dev/null
out=$(rec --lock-timeout 1)
tap_like "a held lock makes reconcile fail clearly after --lock-timeout" "$? $out" "^1 .*another reconcile holds the lock on this engine \(ci-job-42"
docker network rm berth-lock >/dev/null
docker network create --internal --label io.berth.lock.holder=dead-job --label io.berth.lock.expires=$(($(date +%s) - 5)) berth-lock >/dev/null
out=$(rec --lock-timeout 1)
tap_is "a stale lock expires" "$?" "0"
tap_is "and the lock is released afterwards" "$(docker network ls -q --filter name=^berth-lock$ | wc -l)" "0"

# Two reconcilers at once on one engine: both succeed, one after the other, and nothing is doubled.
(cd "$W/fresh" && git pull -q --rebase=false origin main 2>/dev/null)
sed -i 's/VERSION=rewritten/VERSION=concurrent/' "$W/fresh/stacks/flaky/compose.yaml"
(cd "$W/fresh" && git commit -qam concurrent && git push -q origin main 2>/dev/null)
g pull -q --rebase=false 2>/dev/null || g fetch -q
(cd "$W/fresh" && "$BERTH" reconcile >"$W/r1.log" 2>&1; echo $? >"$W/r1.rc") &
(cd "$W/fresh" && "$BERTH" reconcile >"$W/r2.log" 2>&1; echo $? >"$W/r2.rc") &
wait
tap_is "two reconcilers started at once both succeed" "$(cat "$W/r1.rc") $(cat "$W/r2.rc")" "0 0" || true
[ "$(cat "$W/r1.rc") $(cat "$W/r2.rc")" = "0 0" ] || sed 's/^/#   /' "$W/r1.log" "$W/r2.log" | tail -40
tap_is "with no duplicate containers" "$(docker ps -a --filter label=com.docker.compose.project=flaky --format '{{.Names}}')" "flaky-svc-1"
tap_like "running the newest version" "$(docker inspect -f '{{.Config.Env}}' flaky-svc-1)" "VERSION=concurrent"

# berth rollback: one stack back to its previous version from git history, or to any commit.
web=$(cid web-site-1)
out=$(cd "$W/fresh" && "$BERTH" rollback api 2>&1)
tap_like "berth rollback puts one stack back to its previous version" "$? $(docker inspect -f '{{.Config.Env}}' api-app-1)" "^0 .*MODE=one"
tap_is "and leaves the other stacks alone" "$(cid web-site-1)" "$web"
out=$(cd "$W/fresh" && "$BERTH" rollback api --to HEAD 2>&1)
tap_like "--to REV takes it to any commit" "$(docker inspect -f '{{.Config.Env}}' api-app-1)" "MODE=two" || printf '%s\n' "$out" | sed 's/^/#   /' | tail -20

# Files from the repo that containers use (a bind-mounted directory, a config file) outlive the run
# that deployed them: they live in the stack's own directory under the state dir.
cd "$W/fresh" || exit 1
mkdir -p stacks/files/www
printf 'services:\n  srv:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    volumes: ["./www:/www:ro"]\n    configs: [{source: conf, target: /etc/app.conf}]\nconfigs:\n  conf:\n    file: ./app.conf\n' >stacks/files/compose.yaml
echo v1 >stacks/files/www/index.html
echo c1 >stacks/files/app.conf
git add -A && git commit -qm files && git push -q origin main 2>/dev/null
"$BERTH" reconcile >/dev/null 2>&1
tap_is "after the run, the container reads the committed files" "$(docker exec files-srv-1 cat /www/index.html /etc/app.conf | tr '\n' ' ')" "v1 c1 "
docker restart -t 0 files-srv-1 >/dev/null
tap_is "and still does after a restart (the bind sources exist)" "$(docker exec files-srv-1 cat /www/index.html /etc/app.conf | tr '\n' ' ')" "v1 c1 "
srv=$(cid files-srv-1)
out=$("$BERTH" plan --all 2>&1)
tap_like "where the plan's copy of the files lies does not change the hashes" "$out" "stack files +skip .*every service is up to date"
echo v2 >stacks/files/www/index.html
git commit -qam "new page" && git push -q origin main 2>/dev/null
"$BERTH" reconcile >/dev/null 2>&1
tap_is "a changed file in a bind-mounted directory is seen in place, as with compose" "$(cid files-srv-1) $(docker exec files-srv-1 cat /www/index.html)" "$srv v2"
echo c2 >stacks/files/app.conf
git commit -qam "new config" && git push -q origin main 2>/dev/null
"$BERTH" reconcile >/dev/null 2>&1
tap_is "a changed config file recreates the service, which reads it" "$([ "$(cid files-srv-1)" != "$srv" ] && echo new) $(docker exec files-srv-1 cat /etc/app.conf)" "new c2"
git rm -rq stacks/files && git commit -qm "no files" && git push -q origin main 2>/dev/null
"$BERTH" reconcile >/dev/null 2>&1
tap_is "a pruned stack's files go with it" "$(ls -d "$BERTH_STATE_DIR"/*/files 2>/dev/null | wc -l) $(docker ps -aq --filter label=com.docker.compose.project=files | wc -l)" "0 0"
tap_done
