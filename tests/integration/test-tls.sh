#!/bin/bash
# test-tls.sh: berth against the rig's engine over TCP with mutual TLS, as a remote-TLS CI runner uses it,
# and every way that must fail cleanly without deploying anything.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
WORK=$(mktemp -d)
trap 'docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=tls) >/dev/null 2>&1; rm -rf "$WORK"' EXIT
cat >"$WORK/compose.yaml" <<'YAML'
services:
  app:
    image: berth-test/busybox:latest
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
YAML
tls() { env -u DOCKER_HOST DOCKER_HOST="$BERTH_TEST_TLS_HOST" DOCKER_TLS_VERIFY=1 "$@"; }
count() { docker ps -aq --filter label=com.docker.compose.project=tls | wc -l; }

out=$(cd "$WORK" && tls DOCKER_CERT_PATH="$BERTH_TEST_CERTS" "$BERTH" up -p tls 2>&1)
tap_is "up over tcp:// with mutual TLS deploys" "$? $(count)" "0 1"
tap_like "berth ps over TLS sees it" "$(tls DOCKER_CERT_PATH="$BERTH_TEST_CERTS" "$BERTH" ps -p tls)" "tls-app-1"
docker rm -f tls-app-1 >/dev/null

out=$(cd "$WORK" && tls DOCKER_CERT_PATH="$BERTH_TEST_BAD_CERTS" "$BERTH" up -p tls 2>&1)
tap_like "a client certificate the daemon does not trust fails clearly" "$? $out" "^1 .*cannot talk to the Docker engine at $BERTH_TEST_TLS_HOST"
tap_is "and deploys nothing" "$(count)" "0"

mkdir -p "$WORK/wrongca" && cp "$BERTH_TEST_CERTS/cert.pem" "$BERTH_TEST_CERTS/key.pem" "$WORK/wrongca/"
cp "$BERTH_TEST_BAD_CERTS/rogue-ca.pem" "$WORK/wrongca/ca.pem"
out=$(cd "$WORK" && tls DOCKER_CERT_PATH="$WORK/wrongca" "$BERTH" up -p tls 2>&1)
tap_like "a wrong CA fails verification of the daemon, clearly" "$? $out" "^1 .*(certificate|SSL)"
tap_is "and deploys nothing" "$(count)" "0"

out=$(cd "$WORK" && env -u DOCKER_TLS_VERIFY DOCKER_HOST="$BERTH_TEST_TLS_HOST" "$BERTH" up -p tls 2>&1)
tap_like "plain HTTP to a TLS daemon fails with a hint" "$? $out" "^1 .*hint: the daemon speaks TLS"
tap_is "and deploys nothing" "$(count)" "0"

out=$(cd "$WORK" && tls DOCKER_CERT_PATH="$WORK/nowhere" "$BERTH" up -p tls 2>&1)
tap_like "missing certificates are named" "$? $out" "^1 .*$WORK/nowhere/ca.pem\" is missing"
tap_done
