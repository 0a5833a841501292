#!/bin/bash
# test-release.sh: `berth release` at git tags, checked through the registry's own HTTP API (tags/list,
# and each manifest's Docker-Content-Digest, which must be what berth printed and reported) and the
# docker CLI: semver tags, latest moved only by the highest release, pre-releases, one image's release,
# an unchanged image tagged and pushed but not rebuilt, the registry down, the registry stopped in the
# middle of a release, wrong credentials, and the
# seed's workflow: a stack deployed with SYS_VER naming the release.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
[ -n "${BERTH_TEST_REGISTRY:-}" ] || tap_bail "the rig has no registry"
W=$(mktemp -d)
REG=$BERTH_TEST_REGISTRY
NS=rel$$ # the registry outlives a run: each run pushes to a repository of its own
export REG NS
# Every image the test's descriptors made, by the label berth gives them, under whatever name or none:
# an image left from another run would be found by its build hash and not be rebuilt.
cleanup_images() {
        for i in rel-app rel-web; do
                docker images -q --filter "label=io.berth.image=$i" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1
        done
}
cleanup() {
        [ -n "${reg2_pid:-}" ] && kill -9 "$reg2_pid" 2>/dev/null
        "$BERTH" down -p relstack -t 0 >/dev/null 2>&1
        cleanup_images
        rm -rf "$W"
}
trap cleanup EXIT
cleanup_images
curl_reg() { curl -s -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" "$@"; }
tags() { curl_reg "http://$REG/v2/$NS/$1/tags/list" | /usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin).get("tags") or [])))'; }
# The digest the registry itself gives the manifest a tag names.
digest() {
        curl_reg -o /dev/null -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
                "http://$REG/v2/$NS/$1/manifests/$2" | sed -n 's/^Docker-Content-Digest: \(.*\)\r$/\1/Ip'
}
printed() { sed -n "s|^image $1: pushed $REG/$NS/$1:$2 \(sha256:[0-9a-f]*\)\$|\1|p" <<<"$3"; }
export BERTH_REGISTRY=$REG BERTH_REGISTRY_USER=$BERTH_TEST_REGISTRY_USER BERTH_REGISTRY_PASSWORD=$BERTH_TEST_REGISTRY_PASSWORD
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q -b main "$W/repo"
cd "$W/repo" || exit 1
release() { "$BERTH" release "$@" 2>&1; }

for i in rel-app rel-web; do
        mkdir -p images/$i
        printf 'FROM berth-test/busybox:latest\nCOPY version.txt /version.txt\nCMD ["sleep", "3600"]\n' >images/$i/Dockerfile
        printf '{"repository": "${NS}/%s", "registry": "${REG}"}\n' $i >images/$i/image.json
        echo "$i one" >images/$i/version.txt
done
printf 'image_variables: [NS, REG]\n' >berth.yaml
git add -A && git commit -qm "images"
git tag -a image_v0.0.5 -m "release 0.0.5"
short5=$(git rev-parse --short=8 HEAD)

out=$(release --tag image_v0.0.5 --report "$W/r5.json")
tap_is "berth release at image_v0.0.5 succeeds" "$?" "0"
tap_is "the registry has 0.0.5, 0.0, 0, latest and the commit's short id" "$(tags rel-app)" "$(printf '%s\n' 0 0.0 0.0.5 latest "$short5" | sort | tr '\n' ' ' | sed 's/ $//')"
d5=$(digest rel-app 0.0.5)
tap_like "the registry answers a digest for 0.0.5" "$d5" "^sha256:[0-9a-f]{64}$"
tap_is "berth printed exactly the registry's digest" "$(printed rel-app 0.0.5 "$out")" "$d5"
tap_is "every tag of the release names those bytes" "$(for t in 0.0 0 latest "$short5"; do digest rel-app "$t"; done | sort -u)" "$d5"
tap_is "the JSON report has each pushed reference with the registry's digest" \
        "$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["release"], d["version"], sorted({p["digest"] for i in d["images"] if i["image"] == "rel-app" for p in i["pushed"]}), len([p for i in d["images"] for p in i["pushed"]]))' "$W/r5.json")" \
        "image_v0.0.5 0.0.5 ['$d5'] 10"

# An older version released later does not move latest.
echo "rel-app four" >images/rel-app/version.txt
git commit -qam "app four" && git tag -a image_v0.0.4 -m "0.0.4"
out=$(release --tag image_v0.0.4)
tap_is "a release of an older version succeeds" "$?" "0"
tap_is "it pushes 0.0.4 with a digest of its own" "$(d4=$(digest rel-app 0.0.4); [ -n "$d4" ] && [ "$d4" != "$d5" ] && [ "$(printed rel-app 0.0.4 "$out")" = "$d4" ] && echo yes)" "yes"
tap_is "but latest still names 0.0.5's bytes" "$(digest rel-app latest)" "$d5"
tap_is "and 0.0 and 0 too (a lower patch never takes them)" "$(digest rel-app 0.0) $(digest rel-app 0)" "$(digest rel-app 0.0.4) $(digest rel-app 0.0.4)"

# A pre-release gets its full version only.
git tag -a image_v0.1.0-rc.1 -m "rc"
out=$(release --tag image_v0.1.0-rc.1)
tap_is "a pre-release is pushed as its full version, and nothing else moves" \
        "$? $(tags rel-app | tr ' ' '\n' | grep -c '^0\.1') $(digest rel-app latest)" "0 1 $d5"

# An unchanged image is tagged and pushed, not rebuilt.
git commit -q --allow-empty -m "nothing for the images" && git tag -a image_v0.0.6 -m "0.0.6"
id4=$(docker inspect -f '{{.Id}}' "$REG/$NS/rel-app:0.0.4")
out=$(release --tag image_v0.0.6)
tap_like "an image whose inputs were built before is not rebuilt, and the output says so" "$? $out" "^0 .*image rel-app: unchanged, not rebuilt: sha256:"
tap_is "the release names the very image built before (docker inspect)" "$(docker inspect -f '{{.Id}}' "$REG/$NS/rel-app:0.0.6")" "$id4"
tap_is "its push has the same digest, and latest moves to it (the highest now)" "$(digest rel-app 0.0.6) $(digest rel-app latest)" "$(digest rel-app 0.0.4) $(digest rel-app 0.0.4)"
out=$(release --tag image_v0.0.6 --no-cache)
tap_is "--no-cache builds it anyway" "$? $(docker inspect -f '{{.Id}}' "$REG/$NS/rel-app:0.0.6" | grep -c "$id4")" "0 0"

# One image's release.
git tag -a rel-web/v2.0.0 -m "web 2"
out=$(release --tag rel-web/v2.0.0)
tap_like "rel-web/v2.0.0 releases rel-web alone" "$? $out" "^0 .*1 of 2 images to release"
tap_is "rel-web has 2.0.0, 2.0, 2 and latest" "$(tags rel-web | tr ' ' '\n' | grep -E '^(2|2\.0|2\.0\.0|latest)$' | tr '\n' ' ')" "2 2.0 2.0.0 latest "
tap_is "rel-app has no 2.x" "$(tags rel-app | tr ' ' '\n' | grep -cE '^2(\.0(\.0)?)?$')" "0"

# Bad tags, the registry down, wrong credentials.
git tag release-1.0 && out=$(release --tag release-1.0)
tap_like "a tag that is no release is a usage error naming the patterns" "$? $out" "^64 .*\"release-1.0\" is not a release tag: it matches none of \"image_v\{version\}\""
out=$(release --tag image_v9.9.9)
tap_like "a tag that does not exist is a usage error" "$? $out" "^64 .*there is no tag \"image_v9.9.9\""
echo "rel-app down" >images/rel-app/version.txt
git commit -qam "app down" && git tag -a image_v0.0.7 -m "0.0.7"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(REG=127.0.0.1:$port BERTH_REGISTRY=127.0.0.1:$port release --tag image_v0.0.7)
rc=$?
tap_like "the registry down: the build succeeds" "$out" "image rel-app: built sha256:"
tap_like "the push fails naming the registry, and the exit code is 1" "$rc $out" "^1 .*push 127.0.0.1:$port/$NS/rel-app:0.0.7: .*127.0.0.1:$port"
# The registry stopped in the middle: a registry of this test's own (the rig's serves other tests),
# killed once rel-app is pushed and while rel-web builds (images build and push one after the other).
reg2=$W/registry2
port2=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$reg2/data"
printf '%s\n' "version: 0.1" "log:" "  level: warn" "storage:" "  filesystem:" "    rootdirectory: $reg2/data" \
        "http:" "  addr: 127.0.0.1:$port2" >"$reg2/config.yml"
start_reg2() {
        docker-registry serve "$reg2/config.yml" >>"$reg2/log" 2>&1 &
        reg2_pid=$!
        for _ in $(seq 1 100); do
                [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port2/v2/")" = 200 ] && return 0
                sleep 0.1
        done
        return 1
}
start_reg2 || tap_bail "the test's own registry did not start"
echo "rel-app half" >images/rel-app/version.txt
printf 'FROM berth-test/busybox:latest\nRUN sleep 4\nCOPY version.txt /version.txt\n' >images/rel-web/Dockerfile
git add -A && git commit -qm "half" && git tag -a image_v0.0.8 -m "0.0.8"
REG=127.0.0.1:$port2 BERTH_REGISTRY=127.0.0.1:$port2 "$BERTH" release --tag image_v0.0.8 >"$W/half.log" 2>&1 &
half=$!
for _ in $(seq 1 300); do
        grep -q '^image rel-web: Step 2/' "$W/half.log" && break
        sleep 0.1
done
kill -9 "$reg2_pid" && wait "$reg2_pid" 2>/dev/null
wait "$half"
rc=$? out=$(cat "$W/half.log")
tap_like "the registry stopped between two images' pushes: exit 1, the failed push names the registry" \
        "$rc $out" "^1 .*image rel-web: built sha256:.*push 127.0.0.1:$port2/$NS/rel-web:0.0.8: .*127.0.0.1:$port2"
start_reg2 || tap_bail "the test's own registry did not restart"
app8=$(curl -s -o /dev/null -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://127.0.0.1:$port2/v2/$NS/rel-app/manifests/0.0.8" | sed -n 's/^Docker-Content-Digest: \(.*\)\r$/\1/Ip')
tap_is "what was pushed before the stop is in the registry, with the digest berth printed" \
        "$(sed -n "s|^image rel-app: pushed 127.0.0.1:$port2/$NS/rel-app:0.0.8 \(sha256:[0-9a-f]*\)\$|\1|p" <<<"$out")" "${app8:-none}"
tap_is "and rel-web never got there" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://127.0.0.1:$port2/v2/$NS/rel-web/manifests/0.0.8")" "404"
kill -9 "$reg2_pid" && wait "$reg2_pid" 2>/dev/null
out=$(BERTH_REGISTRY_PASSWORD=not-the-password-42 release --tag image_v0.0.7)
rc=$?
tap_like "wrong credentials: the push fails clearly" "$rc $out" "^1 .*push $REG/$NS/rel-app:0.0.7: unauthorized"
tap_is "and the password is never printed" "$(grep -c not-the-password-42 <<<"$out")" "0"
tap_is "nothing of 0.0.7 reached the registry" "$(tags rel-app | tr ' ' '\n' | grep -c '^0\.0\.7$')" "0"

# The seed's workflow: a stack names the release through SYS_VER.
mkdir -p "$W/stack"
printf 'services:\n  app:\n    image: %s/%s/rel-app:${SYS_VER}\n    stop_signal: SIGKILL\n' "$REG" "$NS" >"$W/stack/compose.yaml"
SYS_VER=0.0.5 "$BERTH" up -f "$W/stack/compose.yaml" -p relstack >/dev/null 2>&1
tap_is "a stack deployed with SYS_VER=0.0.5 runs 0.0.5's image (docker inspect)" \
        "$(docker inspect -f '{{.Image}}' relstack-app-1 2>&1)" "$(docker inspect -f '{{.Id}}' "$REG/$NS/rel-app:0.0.5")"
tap_is "and the version the release built into it" "$(docker exec relstack-app-1 cat /version.txt)" "rel-app one"
tap_done
