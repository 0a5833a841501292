#!/bin/bash
# test-digest.sh: stacks pinned by digest, checked with the docker CLI and the registry's HTTP API. A
# service from a registry records the digest it resolved (io.berth.image-digest); berth status shows
# it; a tag moved in the registry shows in `berth plan --all` and is not applied unless pull_policy
# says always; a rollback brings back the exact bytes the earlier deploy ran, not what the tag names now.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
[ -n "${BERTH_TEST_REGISTRY:-}" ] || tap_bail "the rig has no registry"
W=$(mktemp -d)
REG=$BERTH_TEST_REGISTRY
NS=dg$$
IMG=$REG/$NS/dapp
cleanup() {
        "$BERTH" down -p dstack -t 0 >/dev/null 2>&1
        "$BERTH" down -p bp -t 0 >/dev/null 2>&1
        docker images -q --filter label=io.berth.image=bpapp | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
        docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$IMG:" | xargs -r docker rmi -f >/dev/null 2>&1
        docker images -q --filter label=berth.test=digest | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
export DOCKER_CONFIG=$W/docker
mkdir -p "$DOCKER_CONFIG"
# The docker CLI is the independent client here: it builds, pushes and moves the tag.
echo "$BERTH_TEST_REGISTRY_PASSWORD" | docker login -u "$BERTH_TEST_REGISTRY_USER" --password-stdin "$REG" >/dev/null 2>&1 ||
        tap_bail "docker login to the rig's registry failed"
build_push() {
        mkdir -p "$W/img$1"
        printf 'FROM berth-test/busybox:latest\nLABEL berth.test=digest\nRUN echo %s > /v\nCMD ["sleep", "3600"]\n' "$1" >"$W/img$1/Dockerfile"
        DOCKER_BUILDKIT=0 docker build -q -t "$IMG:1" "$W/img$1" >/dev/null 2>&1 && docker push -q "$IMG:1" >/dev/null
}
digest() {
        curl -s -o /dev/null -D - -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" \
                -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/$NS/dapp/manifests/1" |
                sed -n 's/^Docker-Content-Digest: \(.*\)\r$/\1/Ip'
}
export BERTH_REGISTRY=$REG BERTH_REGISTRY_USER=$BERTH_TEST_REGISTRY_USER BERTH_REGISTRY_PASSWORD=$BERTH_TEST_REGISTRY_PASSWORD
export BERTH_STATE_DIR=$W/state
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com

build_push one || tap_bail "cannot build and push the test image"
d1=$(digest)
id1=$(docker inspect -f '{{.Id}}' "$IMG:1")
git init -q -b main "$W/repo"
cd "$W/repo" || exit 1
mkdir -p stacks/dstack
printf 'services:\n  app:\n    image: %s:1\n    stop_signal: SIGKILL\n    environment: [STEP=1]\n' "$IMG" >stacks/dstack/compose.yaml
git add -A && git commit -qm one
c1=$(git rev-parse HEAD)
out=$("$BERTH" reconcile 2>&1)
tap_is "a stack of a registry image deploys" "$?" "0"
tap_is "its container records the registry's digest (io.berth.image-digest)" \
        "$(docker inspect -f '{{index .Config.Labels "io.berth.image-digest"}}' dstack-app-1)" "$IMG@$d1"
tap_like "berth status shows the service's digest" "$("$BERTH" status)" "dstack +${c1:0:12} .*app@${d1:0:19}"
tap_is "and its JSON has it whole" "$("$BERTH" status --format json | /usr/bin/python3 -c 'import json,sys; print([s["digests"] for s in json.load(sys.stdin) if s["stack"] == "dstack"][0]["app"])')" "$IMG@$d1"

# The tag moves in the registry; the engine's own copy of :1 stays the first image.
build_push two || tap_bail "cannot push the second image"
d2=$(digest)
docker tag "$id1" "$IMG:1"
tap_is "(the registry's tag names other bytes now)" "$([ -n "$d2" ] && [ "$d2" != "$d1" ] && echo moved)" "moved"
out=$("$BERTH" plan --all 2>&1)
tap_like "berth plan --all shows the tag moved, with both digests" "$out" "service \"app\": image tag moved: $d1 -> $d2"
tap_like "and keeps it: pull_policy does not say always" "$out" "kept: pull_policy: always would pull it"
"$BERTH" reconcile --all >/dev/null 2>&1
tap_is "a reconcile leaves the running container on the first image" "$(docker inspect -f '{{.Image}}' dstack-app-1)" "$id1"

# pull_policy: always takes the move.
printf 'services:\n  app:\n    image: %s:1\n    pull_policy: always\n    stop_signal: SIGKILL\n    environment: [STEP=2]\n' "$IMG" >stacks/dstack/compose.yaml
git commit -qam two
out=$("$BERTH" reconcile 2>&1)
tap_is "with pull_policy: always the moved tag is pulled and deployed" "$? $(docker exec dstack-app-1 cat /v)" "0 two"
tap_is "and the new digest recorded" "$(docker inspect -f '{{index .Config.Labels "io.berth.image-digest"}}' dstack-app-1)" "$IMG@$d2"

# A rollback to the first commit runs the first image again, though its tag names the second now.
out=$("$BERTH" rollback dstack 2>&1)
tap_is "berth rollback succeeds" "$?" "0"
tap_is "the rolled-back container runs the first image, by digest (docker inspect)" \
        "$(docker inspect -f '{{.Image}}' dstack-app-1) $(docker exec dstack-app-1 cat /v)" "$id1 one"
tap_is "and records that digest" "$(docker inspect -f '{{index .Config.Labels "io.berth.image-digest"}}' dstack-app-1)" "$IMG@$d1"
tap_is "while the tag itself still names the second image on this engine" "$(docker inspect -f '{{.Id}}' "$IMG:1" | grep -c "$id1")" "0"

# The health gate's own rollback runs the exact bytes too: the tag is moved again, and a deploy that
# pulls it and fails its healthcheck is put back as the deployed commit ran it.
build_push three || tap_bail "cannot push the third image"
printf 'health_timeout: 15\n' >berth.yaml
printf 'services:\n  app:\n    image: %s:1\n    pull_policy: always\n    stop_signal: SIGKILL\n    environment: [STEP=3]\n    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1}\n' "$IMG" >stacks/dstack/compose.yaml
git add -A && git commit -qm three
out=$("$BERTH" reconcile 2>&1)
tap_like "a deploy that fails its health gate fails and is rolled back" "$? $out" "^1 .*rolled back"
tap_is "to the first image, by digest, though the tag now names the third here too" \
        "$(docker inspect -f '{{.Image}}' dstack-app-1) $(docker exec dstack-app-1 cat /v) $(docker exec dstack-app-1 cat /v 2>&1 | grep -c three)" "$id1 one 0"

# A commit's stacks run what that commit's own descriptors built, even when the tag has moved since.
git init -q -b main "$W/repo2"
cd "$W/repo2" || exit 1
mkdir -p images/bpapp stacks/bp
printf 'FROM berth-test/busybox:latest\nRUN echo built-here > /v\nCMD ["sleep", "3600"]\n' >images/bpapp/Dockerfile
printf '{"repository": "${NS}/bpapp", "registry": "${REG}"}\n' >images/bpapp/image.json
printf 'image_variables: [NS, REG]\n' >berth.yaml
printf 'services:\n  app:\n    image: %s/%s/bpapp:latest\n    stop_signal: SIGKILL\n' "$REG" "$NS" >stacks/bp/compose.yaml
git add -A && git commit -qm "image and stack"
out=$(REG=$REG NS=$NS "$BERTH" build --push 2>&1)
tap_like "berth build pushes the repo's image with latest (the default branch)" "$? $out" "^0 .*pushed $REG/$NS/bpapp:latest sha256:"
built=$(docker inspect -f '{{.Id}}' "$REG/$NS/bpapp:latest")
bdigest=$(sed -n "s|^image bpapp: pushed $REG/$NS/bpapp:latest \(sha256:[0-9a-f]*\)\$|\1|p" <<<"$out")
# Another pipeline's build takes the tag on this engine.
docker tag berth-test/busybox:latest "$REG/$NS/bpapp:latest"
out=$(REG=$REG NS=$NS "$BERTH" reconcile 2>&1)
tap_is "the stack of the same commit deploys" "$?" "0"
tap_is "and runs the image that commit built, not what the tag names now (docker inspect)" \
        "$(docker inspect -f '{{.Image}}' bp-app-1) $(docker exec bp-app-1 cat /v 2>&1)" "$built built-here"
tap_is "by the digest its push reported" "$(docker inspect -f '{{index .Config.Labels "io.berth.image-digest"}}' bp-app-1)" "$REG/$NS/bpapp@$bdigest"
tap_done
