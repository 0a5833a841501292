#!/bin/bash
# test-gitlab.sh: the GitLab template run for real by gitlab-ci-local (shell executor): a config repo
# that includes ci/gitlab/berth.gitlab-ci.yml is pushed to a bare origin and its pipeline deploys the
# stacks; then a change and a deletion are pushed and the pipeline runs again. Checked with the docker CLI.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
command -v gitlab-ci-local >/dev/null || tap_bail "gitlab-ci-local is not installed (tests/install-deps.sh installs it)"
W=$(mktemp -d)
stacks="glweb glapi glold"
cleanup() {
        for s in $stacks; do "$BERTH" down -p "$s" -t 0 >/dev/null 2>&1; done
        docker images -q --filter label=io.berth.image=glimg | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
cleanup_first() {
        for s in $stacks; do "$BERTH" down -p "$s" -t 0 >/dev/null 2>&1; done
        docker images -q --filter label=io.berth.image=glimg | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
}
cleanup_first
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q --bare -b main "$W/origin.git"
git clone -q "file://$W/origin.git" "$W/repo" 2>/dev/null
cd "$W/repo" || exit 1
mkdir -p ci stacks/glweb stacks/glapi stacks/glold
cp "$SOURCE_DIR/ci/gitlab/berth.gitlab-ci.yml" ci/
printf 'include:\n  - local: ci/berth.gitlab-ci.yml\n' >.gitlab-ci.yml
for s in glweb glapi glold; do
        printf 'services:\n  svc:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    environment: [VERSION=1]\n' >"stacks/$s/compose.yaml"
done
git add -A && git commit -qm "three stacks" && git push -q origin main 2>/dev/null
pipeline() { gitlab-ci-local --variable "BERTH=$BERTH" --variable "BERTH_DOCKER_HOST=$DOCKER_HOST" "$@" 2>&1; }

out=$(pipeline)
tap_like "the pipeline runs berth:reconcile and passes" "$? $out" "^0 .*PASS +berth:reconcile"
tap_is "the stacks are live" "$(docker ps --filter label=io.berth.managed=true --format '{{.Label "com.docker.compose.project"}}' | grep '^gl' | sort | tr '\n' ' ')" "glapi glold glweb "
report=$(find .gitlab-ci-local/artifacts -name berth-report.json | head -1)
tap_is "the report was kept as an artifact" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stacks"]))' "$report" 2>&1)" "3"

web=$(docker inspect -f '{{.Id}}' glweb-svc-1) api=$(docker inspect -f '{{.Id}}' glapi-svc-1)
sed -i 's/VERSION=1/VERSION=2/' stacks/glweb/compose.yaml
git rm -rq stacks/glold
git commit -qam "change glweb, delete glold" && git push -q origin main 2>/dev/null
out=$(pipeline --variable CI_PIPELINE_SOURCE=merge_request_event berth:plan)
tap_like "a merge request runs berth:plan, which says what would change" "$? $out" "^0 .*stack glweb +update .*stack glold +remove +removed from git"
tap_is "and changes nothing" "$(docker inspect -f '{{.Id}}' glweb-svc-1)" "$web"
out=$(pipeline)
tap_like "the second pipeline passes" "$? $out" "^0 .*PASS +berth:reconcile"
tap_is "exactly the changed stack was updated" "$( [ "$(docker inspect -f '{{.Id}}' glweb-svc-1)" != "$web" ] && echo web-new; [ "$(docker inspect -f '{{.Id}}' glapi-svc-1)" = "$api" ] && echo api-same)" "web-new
api-same"
tap_like "with the new version" "$(docker inspect -f '{{.Config.Env}}' glweb-svc-1)" "VERSION=2"
tap_is "and the deleted stack was removed" "$(docker ps -aq --filter label=com.docker.compose.project=glold | wc -l)" "0"

# Images: the default branch builds and pushes them before it deploys; a release tag runs berth release.
mkdir -p images/glimg
printf 'FROM berth-test/busybox:latest\nRUN echo release > /release\n' >images/glimg/Dockerfile
printf '{"tags": ["stable"]}\n' >images/glimg/image.json
printf 'registry: ${REG}/gl%s\n' "$$" >berth.yaml
git add -A && git commit -qm "an image" && git push -q origin main 2>/dev/null
short=$(git rev-parse --short=8 HEAD)
registry_vars=(--variable "REG=$BERTH_TEST_REGISTRY" --variable "CI_REGISTRY=$BERTH_TEST_REGISTRY"
        --variable "CI_REGISTRY_USER=$BERTH_TEST_REGISTRY_USER" --variable "CI_REGISTRY_PASSWORD=$BERTH_TEST_REGISTRY_PASSWORD")
gl_tags() { curl -s -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" "http://$BERTH_TEST_REGISTRY/v2/gl$$/glimg/tags/list" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["tags"])))'; }
out=$(pipeline "${registry_vars[@]}")
tap_like "the default branch's pipeline runs berth:images and berth:reconcile, and passes" "$? $out" "^0 .*PASS +berth:images.*PASS +berth:reconcile"
tap_is "the registry has the image with its own tag, the commit's short id and latest" "$(gl_tags)" "$(printf '%s\n' latest stable "$short" | sort | tr '\n' ' ' | sed 's/ $//')"
git tag -a "v3.1.$$" -m release && git push -q origin "v3.1.$$" 2>/dev/null
web=$(docker inspect -f '{{.Id}}' glweb-svc-1)
out=$(pipeline --variable CI_COMMIT_TAG=v3.1.$$ --variable CI_COMMIT_BRANCH= "${registry_vars[@]}")
tap_like "a tag pipeline runs berth:release and passes" "$? $out" "^0 .*PASS +berth:release"
tap_is "the registry has the version's tags (GitLab's registry credentials used)" "$(gl_tags)" \
        "$(printf '%s\n' 3 3.1 "3.1.$$" latest stable "$short" | sort | tr '\n' ' ' | sed 's/ $//')"
log=$(find .gitlab-ci-local/output -name '*release*.log' | head -1)
digest=$(curl -s -o /dev/null -D - -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://$BERTH_TEST_REGISTRY/v2/gl$$/glimg/manifests/3.1.$$" | sed -n 's/^Docker-Content-Digest: \(.*\)\r$/\1/Ip')
tap_like "the job's log says what it pushed, with the registry's digest" "$(cat "$log" 2>&1)" "pushed $BERTH_TEST_REGISTRY/gl$$/glimg:3.1.$$ $digest"
# A missing or empty log would hold no password too: it must be there first.
tap_check "and holds no password" bash -c "test -s \"\$2\" && ! grep -qF \"\$1\" \"\$2\"" _ "$BERTH_TEST_REGISTRY_PASSWORD" "$log"
tap_is "and the tag pipeline deployed nothing" "$(grep -c 'berth:reconcile' <<<"$out") $(docker inspect -f '{{.Id}}' glweb-svc-1)" "0 $web"
tap_done
