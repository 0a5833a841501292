#!/bin/bash
# test-images.sh: berth's own images (docker/berth, docker/berth-api), built for real with the docker
# CLI from debian:bookworm-slim, which the rig makes itself (tests/lib/debian.sh: debootstrap, and a
# local apt archive on 127.0.0.1, so a build reaches nothing else). The runner image reconciles the
# example config repo against the rig's engine over mutual TLS, also as the GitLab template's image
# variant run by gitlab-ci-local; the API image, configured by its environment alone and then by one
# mounted file, answers 200 on /healthz and is reported healthy by its own HEALTHCHECK. Checked with
# the docker CLI and curl.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
. "$(dirname "$0")/../lib/debian.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
debian_base || tap_bail "cannot make debian:bookworm-slim with debootstrap (see above)"
W=$(mktemp -d)
RUNNER=berth-test/berth:$$ API=berth-test/berth-api:$$
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
cleanup() {
        docker rm -f imgapi-env imgapi-file >/dev/null 2>&1
        for s in web worker; do "$BERTH" down -p "$s" -t 0 >/dev/null 2>&1; done
        docker rmi -f "$RUNNER" "$API" >/dev/null 2>&1
        for i in berth berth-api; do
                docker images -q --filter "label=io.berth.image=$i" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
        done
        docker volume ls -q --filter name=gcl- | xargs -r docker volume rm -f >/dev/null 2>&1
        debian_base_stop
        rm -rf "$W"
}
trap cleanup EXIT
# The container's health as its HEALTHCHECK reports it, once healthy or after 30 s.
health_of() { # container
        local h=
        for _ in $(seq 1 60); do
                h=$(docker inspect -f '{{.State.Health.Status}}' "$1")
                [ "$h" = healthy ] && break
                sleep 0.5
        done
        echo "$h"
}
# The commit the binary under test names in its --version, given to the image builds as the CI's commit
# would be, so that the images' berth names it too.
commit=$("$BERTH" --version | sed -n 's/.*(commit \(.*\))$/\1/p')
build() { # dockerfile tag
        DOCKER_BUILDKIT=0 docker build -q --network host --build-arg "APT_SOURCES=$DEBIAN_APT_SOURCES" \
                --build-arg "BERTH_COMMIT=$commit" \
                -f "$SOURCE_DIR/$1" -t "$2" "$SOURCE_DIR" 2>&1
}

out=$(build docker/berth/Dockerfile "$RUNNER")
tap_is "docker build of docker/berth/Dockerfile succeeds" "$? $(tail -n1 <<<"$out")" "0 $(docker inspect -f '{{.Id}}' "$RUNNER" 2>&1)"
out=$(build docker/berth-api/Dockerfile "$API")
tap_is "docker build of docker/berth-api/Dockerfile succeeds" "$? $(tail -n1 <<<"$out")" "0 $(docker inspect -f '{{.Id}}' "$API" 2>&1)"
# berth's repo lists docker/ as an image dir: berth builds them as any config repo's descriptors, from
# the commit (the same files as the docker CLI sent: every layer comes from its cache).
out=$(cd "$SOURCE_DIR" && APT_SOURCES=$DEBIAN_APT_SOURCES CI_COMMIT_SHA=$commit "$BERTH" build berth berth-api 2>&1)
tap_like "berth build builds them too, from berth's own repo" "$? $out" "^0 .*image berth: built .*image berth-api: built "
short=$(git -C "$SOURCE_DIR" rev-parse --short=8 HEAD)
tap_is "tagged with the commit, and running the same berth" "$(docker run --rm "berth:$short" berth --version 2>&1)" "$("$BERTH" --version)"
size=$(docker image inspect -f '{{.Size}}' "$RUNNER")
echo "# runner image: $((size / 1000000)) MB; API image: $(( $(docker image inspect -f '{{.Size}}' "$API") / 1000000 )) MB (debian:bookworm-slim: $(( $(docker image inspect -f '{{.Size}}' debian:bookworm-slim) / 1000000 )) MB)"

# The runner image: what a CI job gets.
tap_is "the runner image runs as the unprivileged user berth by default" \
        "$(docker image inspect -f '{{.Config.User}}' "$RUNNER") $(docker run --rm "$RUNNER" id -u)" "berth 10001"
tap_is "it holds berth, the same version as this build" "$(docker run --rm "$RUNNER" berth --version)" "$("$BERTH" --version)"
tap_like "git, and the CA certificates" "$(docker run --rm "$RUNNER" sh -c 'git --version && test -s /etc/ssl/certs/ca-certificates.crt && echo certs' 2>&1)" "^git version 2\.[0-9.]+
certs$"
tap_is "no compiler, package lists or the build's apt source are left in it" \
        "$(docker run --rm "$RUNNER" sh -c 'command -v gcc cc meson; ls /var/lib/apt/lists | grep -v -e lock -e partial; grep -rl 127.0.0.1 /etc/apt; echo clean')" "clean"

# The example config repo, checked out as a CI job finds it: owned by another user (root), readable.
repo=$W/example
cp -r "$SOURCE_DIR/ci/example/." "$repo"
rm -f "$repo/run.sh"
git -C "$repo" init -q -b main && git -C "$repo" add -A && git -C "$repo" commit -qm "the example config repo"
chmod -R a+rX "$W"
# The engine's client certificates as the CI's file variables give them: readable by the job's user.
mkdir -p "$W/certs" && cp "$BERTH_TEST_CERTS"/{ca,cert,key}.pem "$W/certs/" && chown -R 10001 "$W/certs"
# Bind-mounted repo files land in the state directory, which the engine must see at the same path:
# the runner shares the target host's (a socket-bound runner's setup).
state=$W/state
mkdir -p "$state" && chown 10001 "$state" && chmod 700 "$state"
WEB_PORT=$(rig_free_port)
runner() {
        docker run --rm --network host -v "$repo:/repo:ro" -w /repo -v "$W/certs:/certs:ro" -v "$state:$state" \
                -e DOCKER_HOST="$BERTH_TEST_TLS_HOST" -e DOCKER_TLS_VERIFY=1 -e DOCKER_CERT_PATH=/certs \
                -e BERTH_STATE_DIR="$state" -e WEB_PORT="$WEB_PORT" "$RUNNER" "$@" 2>&1
}
out=$(runner berth reconcile --report /tmp/report.json)
tap_like "the runner image reconciles the example repo over mutual TLS" "$? $out" "^0 .*stack web .*stack worker "
head=$(git -C "$repo" rev-parse HEAD)
tap_is "the example's containers run, from that commit (docker CLI)" \
        "$(docker ps --filter label=io.berth.managed=true --filter "label=io.berth.commit=$head" --format '{{.Label "com.docker.compose.project"}}/{{.Label "com.docker.compose.service"}}' | sort | tr '\n' ' ')" \
        "web/probe web/site worker/runner worker/runner "
tap_is "and the site answers on 127.0.0.1" "$(curl -fsS "http://127.0.0.1:$WEB_PORT/index.html" 2>&1 | head -c 200 | grep -c berth)" "1"
out=$(runner berth plan --detailed-exitcode)
tap_is "a plan in the image afterwards: nothing to do" "$?" "0"
out=$(docker run --rm --user 0 -e HOME=/home/berth -v "$repo:/repo:ro" -w /repo "$RUNNER" sh -c \
        'rm /etc/gitconfig /home/berth/.gitconfig && exec setpriv --reuid 10001 --regid 10001 --clear-groups berth plan' 2>&1)
tap_like "without the image's safe.directory, another user's checkout is refused, clearly" "$? $out" \
        '^1 cannot open the config repo: "\." is owned by another user than this one \(uid 10001\).*safe.directory'

# The GitLab template's image variant, run by gitlab-ci-local with the docker executor: the job runs in
# the runner image (its helper steps in debian:bookworm-slim, as nothing can be pulled).
gl=$W/gl
mkdir -p "$gl/ci/gitlab" "$gl/stacks/imgjob"
cp "$SOURCE_DIR/ci/gitlab/"*.gitlab-ci.yml "$gl/ci/gitlab/"
printf 'include:\n  - local: ci/gitlab/berth-image.gitlab-ci.yml\n' >"$gl/.gitlab-ci.yml"
printf 'services:\n  svc:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n' >"$gl/stacks/imgjob/compose.yaml"
git -C "$gl" init -q -b main && git -C "$gl" add -A && git -C "$gl" commit -qm "a stack"
# File variables, as GitLab's CI/CD settings give them: gitlab-ci-local reads a path as one.
printf 'BERTH_TLS_CA: %s\nBERTH_TLS_CERT: %s\nBERTH_TLS_KEY: %s\n' "$BERTH_TEST_CERTS/ca.pem" \
        "$BERTH_TEST_CERTS/cert.pem" "$BERTH_TEST_CERTS/key.pem" >"$gl/.gitlab-ci-local-variables.yml"
out=$(cd "$gl" && gitlab-ci-local --network host --helper-image debian:bookworm-slim --pull-policy if-not-present \
        --variable "BERTH_IMAGE=$RUNNER" --variable "BERTH_DOCKER_HOST=$BERTH_TEST_TLS_HOST" berth:reconcile 2>&1)
tap_like "the GitLab image variant's berth:reconcile runs in the runner image and passes" "$? $out" "^0 .*berth:reconcile.*starting $RUNNER.*PASS +berth:reconcile"
tap_is "and deployed the stack (docker CLI)" "$(docker ps --filter label=com.docker.compose.project=imgjob --format '{{.Label "io.berth.commit"}}')" "$(git -C "$gl" rev-parse HEAD)"
"$BERTH" down -p imgjob -t 0 >/dev/null 2>&1

# The API image, configured by its environment alone.
git init -q --bare -b main "$W/origin.git"
git clone -q "file://$W/origin.git" "$W/seed" 2>/dev/null
mkdir -p "$W/seed/stacks" && touch "$W/seed/stacks/.keep"
git -C "$W/seed" add -A && git -C "$W/seed" commit -qm seed && git -C "$W/seed" push -q origin main 2>/dev/null
chown -R 10001 "$W/origin.git"
token=$(openssl rand -hex 20)
mkdir -p "$W/api" && printf '%s' "$token" | "$BERTH_API" hash-token ci write >"$W/api/tokens" && chown -R 10001 "$W/api"
port=$(rig_free_port)
docker run -d --name imgapi-env -p "127.0.0.1:$port:8080" --health-interval 1s --health-start-period 30s \
        -v "$W/origin.git:/srv/config.git" -v "$W/api:/etc/berth-api:ro" \
        -e BERTH_API_REPO=/srv/config.git -e BERTH_API_TOKEN_FILE=/etc/berth-api/tokens "$API" >/dev/null
code=
for _ in $(seq 1 100); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
        [ "$code" = 200 ] && break
        sleep 0.2
done
tap_is "the API image answers 200 on /healthz (configured by BERTH_API_* variables)" "$code" "200"
tap_is "and lists the repo's stacks to a token" "$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/stacks")" "[]"
health=$(health_of imgapi-env)
tap_is "its HEALTHCHECK reports it healthy (docker CLI)" "$health" "healthy"
tap_is "it runs as berth, with the work directory a volume" \
        "$(docker inspect -f '{{.Config.User}} {{range $k, $v := .Config.Volumes}}{{$k}}{{end}}' imgapi-env) $(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/var/lib/berth-api"}}{{.Type}}{{end}}{{end}}' imgapi-env)" \
        "berth /var/lib/berth-api volume"
docker rm -f -v imgapi-env >/dev/null

# ... and by one mounted file, on a port of its own: the health check follows the file's listen.
printf 'repo: /srv/config.git\ntoken_file: /etc/berth-api/tokens\nlisten: 0.0.0.0:9090\n' >"$W/api/config.yaml"
chown 10001 "$W/api/config.yaml"
port=$(rig_free_port)
docker run -d --name imgapi-file -p "127.0.0.1:$port:9090" --health-interval 1s --health-start-period 30s \
        -v "$W/origin.git:/srv/config.git" -v "$W/api:/etc/berth-api:ro" \
        -e BERTH_API_CONFIG=/etc/berth-api/config.yaml "$API" >/dev/null
health=$(health_of imgapi-file)
tap_is "configured by a mounted file on port 9090, it is healthy too" "$health $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" "healthy 200"
docker rm -f -v imgapi-file >/dev/null
tap_done
