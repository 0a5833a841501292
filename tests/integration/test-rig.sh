#!/bin/bash
# test-rig.sh: the rig itself, checked with the docker CLI: the private engine answers on its socket and
# over mutual TLS, refuses a client it does not trust, and runs the busybox test image. Without the rig
# this fails: integration tests never skip.
. "$(dirname "$0")/../lib/tap.sh"

tap_plan 10
if [ -z "${BERTH_RIG_DIR:-}" ] || [ -z "${DOCKER_HOST:-}" ]; then
        tap_bail "the test rig is not running: run the suite through tests/run.sh"
fi
tap_check "engine answers on the private unix socket" docker version --format '{{.Server.APIVersion}}'
tap_check "engine answers over mutual TLS on 127.0.0.1" \
        env DOCKER_HOST="$BERTH_TEST_TLS_HOST" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$BERTH_TEST_CERTS" docker version
tap_check_fails "a client certificate from another CA is refused" \
        env DOCKER_HOST="$BERTH_TEST_TLS_HOST" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$BERTH_TEST_BAD_CERTS" docker version
tap_check_fails "plain HTTP to the TLS port is refused" \
        env DOCKER_HOST="$BERTH_TEST_TLS_HOST" DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker version
out=$(docker run --rm "$BERTH_TEST_IMAGE" sh -c 'echo hello from busybox' 2>&1)
tap_is "the busybox test image runs" "$out" "hello from busybox"
base=$(docker image inspect "$BERTH_TEST_IMAGE" --format '{{len .RootFS.Layers}}')
tap_is "the test image is built from scratch (2 layers: busybox and its links)" "$base" "2"
tap_is "the registry refuses a client without credentials" \
        "$(curl -s -o /dev/null -w '%{http_code}' "http://$BERTH_TEST_REGISTRY/v2/")" "401"
tap_is "and answers one with them" "$(curl -s -o /dev/null -w '%{http_code}' \
        -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" "http://$BERTH_TEST_REGISTRY/v2/")" "200"
# The git server: smart HTTP behind basic auth.
git init -q --bare "$BERTH_TEST_GIT_ROOT/rig-check.git"
tap_is "the git server refuses a client without credentials" \
        "$(curl -s -o /dev/null -w '%{http_code}' "$BERTH_TEST_GIT_URL/rig-check.git/info/refs?service=git-receive-pack")" "401"
W=$(mktemp -d)
basic=$(printf '%s:%s' "$BERTH_TEST_GIT_USER" "$BERTH_TEST_GIT_PASSWORD" | base64 -w0)
(cd "$W" && git init -q -b main . && echo x >f && git add f &&
        git -c user.name=t -c user.email=t@example.com commit -qm x &&
        git -c "http.extraHeader=Authorization: Basic $basic" push -q "$BERTH_TEST_GIT_URL/rig-check.git" main 2>/dev/null)
tap_is "and takes a push over HTTP from one with them" "$(git -C "$BERTH_TEST_GIT_ROOT/rig-check.git" log --format=%s main 2>&1)" "x"
rm -rf "$W" "$BERTH_TEST_GIT_ROOT/rig-check.git"
tap_done
