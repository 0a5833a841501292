#!/bin/bash
# test-build.sh: `berth build` of image descriptors from a real git repo, checked with the docker CLI
# (what the image holds, its labels) and the registry's own HTTP API (what was pushed, with htpasswd
# auth).
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
[ -n "${BERTH_TEST_REGISTRY:-}" ] || tap_bail "the rig has no registry"
W=$(mktemp -d)
REG=$BERTH_TEST_REGISTRY
NS=team$$ # the registry outlives a run: each run pushes to a repository of its own
export REG NS
# Every image the test's descriptors made, by the label berth gives them, under whatever name or none:
# an image left from another run would be found by its build hash and not be rebuilt.
cleanup_images() {
        for i in tb-app tb-flat tb-bad tb-broken tb-other tb-dir; do
                docker images -q --filter "label=io.berth.image=$i" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
        done
}
cleanup() { cleanup_images; rm -rf "$W"; }
trap cleanup EXIT
cleanup_images
tags() { curl -s -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" "http://$REG/v2/$1/tags/list"; }
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main "$W/repo"
cd "$W/repo" || exit 1
commit() { git add -A && git commit -qm "$1"; }
build() { "$BERTH" build "$@" 2>&1; }

mkdir -p images/tb-app/files
cat >images/tb-app/Dockerfile <<'DF'
FROM berth-test/busybox:latest AS base
ARG GREETING=none
COPY . /ctx/
RUN echo "$GREETING" > /greeting
FROM base AS final
RUN echo final > /stage
DF
cat >images/tb-app/image.json <<'JSON'
{
  "repository": "${NS}/tb-app",
  "registry": "${REG}",
  "tags": ["1.0", "${CI_COMMIT_TAG:-dev}"],
  "build_args": {"GREETING": "hello"}
}
JSON
printf 'secret.key\n*.tmp\n!keep.tmp\n' >images/tb-app/.dockerignore
echo s >images/tb-app/secret.key
echo k >images/tb-app/keep.tmp
echo j >images/tb-app/junk.tmp
echo hi >images/tb-app/files/hello.txt
printf 'FROM berth-test/busybox:latest\nCOPY images/tb-flat.txt /flat.txt\n' >Dockerfile-tb-flat
mkdir -p images && echo flat >images/tb-flat.txt
# image.json reads only the variables berth.yaml allows (and the CI's commit variables).
printf 'image_variables: [NS, REG]\n' >berth.yaml
commit "images"
head1=$(git rev-parse HEAD)

out=$(build)
tap_is "berth build builds every descriptor" "$?" "0"
tap_like "and says what it built, with its tags, the commit's short id and latest (the default branch)" "$out" "image tb-app: building $REG/$NS/tb-app:1.0, :dev, :${head1:0:8}, :latest from images/tb-app/"
tap_like "the build's output streams, one prefixed line per step" "$out" "image tb-app: Step 1/[0-9]+ : FROM berth-test/busybox:latest AS base"
img=$REG/$NS/tb-app:1.0
tap_is "build args reach the build" "$(docker run --rm "$img" cat /greeting)" "hello"
tap_is "the last stage is built by default" "$(docker run --rm "$img" cat /stage)" "final"
tap_is ".dockerignore leaves files out, and its exception keeps one" "$(docker run --rm "$img" ls -A /ctx | tr '\n' ' ')" ".dockerignore Dockerfile files image.json keep.tmp "
tap_is "every tag names the same image" "$(docker inspect -f '{{.Id}}' "$img")" "$(docker inspect -f '{{.Id}}' "$REG/$NS/tb-app:dev")"
tap_is "the image carries the commit it was built from" "$(docker inspect -f '{{index .Config.Labels "org.opencontainers.image.revision"}} {{index .Config.Labels "io.berth.image"}}' "$img")" "$head1 tb-app"
tap_is "the flat layout: Dockerfile-<name>, the repo's top as context" "$(docker run --rm tb-flat:latest cat /flat.txt)" "flat"

# The working tree is never read: only what the commit holds is built.
echo changed >images/tb-app/files/hello.txt
build tb-app >/dev/null
tap_is "an uncommitted change is not built" "$(docker run --rm "$img" cat /ctx/files/hello.txt)" "hi"
git checkout -q images/tb-app/files/hello.txt

# A target stage, and --tag for a release.
sed -i 's/"build_args"/"target": "base", "build_args"/' images/tb-app/image.json
commit "target base"
build --tag v1.2.3 tb-app >/dev/null
tap_is "target builds that stage only" "$(docker run --rm "$REG/$NS/tb-app:v1.2.3" sh -c 'cat /stage 2>/dev/null || echo no-stage')" "no-stage"

# Push: no credentials, wrong ones, then the CI's variables.
out=$(build --push tb-app)
tap_like "a push without credentials fails, and says how to give them" "$? $out" "^1 .*push $REG/$NS/tb-app:1.0: (no basic auth credentials|unauthorized).*hint: no credentials for $REG"
out=$(BERTH_REGISTRY=$REG BERTH_REGISTRY_USER=berth BERTH_REGISTRY_PASSWORD=not-the-password-123 "$BERTH" build --push tb-app 2>&1)
tap_like "a push with a wrong password fails clearly" "$? $out" "^1 .*push $REG/$NS/tb-app:1.0: unauthorized"
tap_check "and the password appears nowhere in the output" bash -c "! grep -q not-the-password-123 <<<\"\$1\"" _ "$out"
tap_like "nothing reached the registry" "$(tags $NS/tb-app)" '"code":"NAME_UNKNOWN"'
# The CI's credentials are for one registry: a repo that names another never receives them. A listener
# on loopback stands in for the other registry and records every request's Authorization header.
trap_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 - "$trap_port" "$W/trap.log" <<'PY' &
import http.server, sys
log = open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    def handle_one_request(self):
        try:
            super().handle_one_request()
        except Exception:
            pass
    def do_any(self):
        log.write("%s %s auth=%s\n" % (self.command, self.path, self.headers.get("Authorization", "")))
        log.flush()
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="trap"')
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_any
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
srv.timeout = 1
for _ in range(120):
    srv.handle_request()
PY
trap_pid=$!
sleep 0.5
cp -r images/tb-app images/tb-other
sed -i "s|\"registry\": \"\${REG}\"|\"registry\": \"127.0.0.1:$trap_port\"|" images/tb-other/image.json
commit "an image for another registry"
out=$(BERTH_REGISTRY=$REG BERTH_REGISTRY_USER=$BERTH_TEST_REGISTRY_USER BERTH_REGISTRY_PASSWORD=$BERTH_TEST_REGISTRY_PASSWORD "$BERTH" build --push tb-other 2>&1)
tap_like "credentials are not sent to a registry a repo file names, and the output says so" "$? $out" "^1 .*BERTH_REGISTRY_USER and BERTH_REGISTRY_PASSWORD are for \"$REG\", not for 127.0.0.1:$trap_port, so they were not sent"
tap_like "the other registry was asked (the push was tried)" "$(cat "$W/trap.log" 2>/dev/null)" "GET /v2/"
tap_is "but never saw a credential" "$(grep -c 'auth=Basic' "$W/trap.log")" "0"
kill $trap_pid 2>/dev/null
git rm -rq images/tb-other && commit "no other"
out=$(BERTH_REGISTRY_USER=$BERTH_TEST_REGISTRY_USER BERTH_REGISTRY_PASSWORD=$BERTH_TEST_REGISTRY_PASSWORD "$BERTH" build --push tb-app 2>&1)
tap_like "credentials without BERTH_REGISTRY are not sent anywhere, with a hint" "$? $out" "^1 .*are for no registry, not for $REG, so they were not sent: set BERTH_REGISTRY"
out=$(BERTH_REGISTRY=$REG BERTH_REGISTRY_USER=$BERTH_TEST_REGISTRY_USER BERTH_REGISTRY_PASSWORD=$BERTH_TEST_REGISTRY_PASSWORD CI_COMMIT_TAG=v2.0.0 "$BERTH" build --push --report "$W/report.json" tb-app 2>&1)
tap_is "a push with the CI's credentials succeeds" "$?" "0"
short=$(git rev-parse --short=8 HEAD)
tap_is "the registry has every tag, the CI's tag and the commit's among them (a tag pipeline: no latest)" "$(tags $NS/tb-app | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)["tags"]))')" "$(python3 -c 'import sys; print(sorted(["1.0", "v2.0.0", sys.argv[1]]))' "$short")"
tap_check "and the password appears nowhere in the output" bash -c "! grep -qF \"\$1\" <<<\"\$2\"" _ "$BERTH_TEST_REGISTRY_PASSWORD" "$out"
tap_is "the JSON report says what was pushed" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([(i["image"], i["result"], i["tags"]) for i in d["images"]])' "$W/report.json")" "[('tb-app', 'pushed (not rebuilt)', ['1.0', 'v2.0.0', '$short'])]"
mkdir -p "$W/dcfg"
printf '{"auths": {"%s": {"auth": "%s"}}}' "$REG" "$(printf '%s:%s' "$BERTH_TEST_REGISTRY_USER" "$BERTH_TEST_REGISTRY_PASSWORD" | base64 -w0)" >"$W/dcfg/config.json"
out=$(DOCKER_CONFIG=$W/dcfg "$BERTH" build --push --tag from-config tb-app 2>&1)
tap_is "credentials from \$DOCKER_CONFIG/config.json work too" "$? $(tags $NS/tb-app | grep -o from-config)" "0 from-config"

# Broken descriptors fail alone, each with its place.
mkdir -p images/tb-bad images/tb-broken
printf 'FROM berth-test/busybox:latest\nRUN echo one\nRUN exit 3\n' >images/tb-bad/Dockerfile
cp images/tb-bad/Dockerfile images/tb-broken/
printf '{\n  "tags": ["ok", "bad tag"]\n}\n' >images/tb-broken/image.json
echo "v2" >images/tb-app/files/hello.txt
commit "broken ones"
head2=$(git rev-parse HEAD)
out=$(build)
tap_is "a run with a broken image fails" "$?" "1"
tap_like "a failing RUN names the Dockerfile, the step and the engine's message" "$out" "images/tb-bad/Dockerfile: build failed at Step 3/[0-9]+ : RUN exit 3: The command '/bin/sh -c exit 3' returned a non-zero code: 3"
tap_like "a bad image.json names its file:line:col" "$out" "images/tb-broken/image.json:2:18: tags\\[1\\]: \"bad tag\" is not a valid tag"
tap_is "while the good one is still built" "$(docker run --rm "$img" cat /ctx/files/hello.txt)" "v2"

# A build argument cannot carry a CI secret that berth.yaml does not allow into a pushed image.
sed -i 's/"GREETING": "hello"/"GREETING": "${SECRET_TOKEN}"/' images/tb-app/image.json
commit "a secret as a build arg"
out=$(SECRET_TOKEN=s3cr3t-t0ken "$BERTH" build tb-app 2>&1)
tap_like "image.json cannot read a variable berth.yaml does not list" "$? $out" "^1 .*images/tb-app/image.json:[0-9]+:[0-9]+: build_args.GREETING: .*SECRET_TOKEN.*image_variables"
tap_is "and the secret's value is nowhere in the output" "$(grep -c s3cr3t-t0ken <<<"$out")" "0"
sed -i 's/"${SECRET_TOKEN}"/"hello"/' images/tb-app/image.json
commit "no secret"

# --since: only what changed, as the context would send it (the flat image's context is the whole
# repo, less what its .dockerignore leaves out).
git rm -rq images/tb-bad images/tb-broken
printf 'images/tb-app\n' >.dockerignore
commit "fixed"
echo "v3" >images/tb-app/files/hello.txt
commit "app only"
out=$(build --since HEAD~1)
tap_like "--since builds only the images whose context changed" "$out" "1 of 2 images to build"
tap_like "(the changed one)" "$out" "image tb-app: built"
prev=$(git rev-parse HEAD~1)
out=$(build --rev "$prev" tb-flat)
tap_like "an older commit of the branch (--rev) gets its short id, never latest" "$? $out" "^0 .*image tb-flat: (building|tagging) tb-flat:${prev:0:8} from the repo's top"
out=$(build nosuch)
tap_is "an unknown image name is a usage error" "$?" "64"

# image_dirs: descriptors in other directories (berth's own repo keeps its images in docker/).
mkdir -p docker/tb-dir && printf 'FROM berth-test/busybox:latest\nRUN echo other > /other\n' >docker/tb-dir/Dockerfile
printf '{"repository": "${NS}/tb-dir"}\n' >docker/tb-dir/image.json
commit "an image in docker/"
out=$(build tb-dir)
tap_is "a descriptor outside images/ is not one until berth.yaml lists its directory" "$?" "64"
printf 'image_variables: [NS]\nimage_dirs: [images, docker]\n' >berth.yaml && commit "image_dirs"
out=$(build tb-dir)
tap_is "with image_dirs: [images, docker] it builds" "$? $(docker run --rm "$NS/tb-dir:latest" cat /other 2>&1)" "0 other"
printf 'image_variables: [NS]\nimage_dirs: [images, ../outside]\n' >berth.yaml && commit "a bad image dir"
out=$(build)
tap_like "a directory outside the repo is refused, naming berth.yaml:line:col" "$? $out" "^1 .*berth.yaml:2:[0-9]+: image_dirs: must be a directory of the repo"
tap_done
