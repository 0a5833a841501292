#!/bin/bash
# test-readme-walk.sh: the README's "Five minutes" walk, run as a newcomer would type it: its shell
# blocks and step 4's command are read from README.md, not copied here, so the walk cannot drift from
# what berth does. Two changes only, both of the machine, not of berth: the README's ports (8080, 8081)
# become free ones, and `nginx:1.27` is an image built here from the busybox test image (nothing is
# pulled). Every result is read back with the docker CLI, curl and git.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
cleanup() {
        "$BERTH" down -p hello -v -t 0 >/dev/null 2>&1
        docker rmi nginx:1.27 >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
cleanup
mkdir -p "$W/bin" "$W/image" "$W/walk"
ln -s "$BERTH" "$W/bin/berth"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
P1=$(free_port)
P2=$(free_port)

# The walk's image: a web server on port 80 with a page of its own, under the README's name.
printf '<!DOCTYPE html>\n<title>hello from the walk</title>\n<h1>hello</h1>\n<p>served by busybox</p>\n<p>tail</p>\n' \
        >"$W/image/index.html"
printf 'FROM %s\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n' \
        "$BERTH_TEST_IMAGE" >"$W/image/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t nginx:1.27 "$W/image" >/dev/null 2>&1 || tap_bail "cannot build the walk's image"

# Steps 1 to 3 are the section's ```sh blocks; step 4 is the first inline command of its item.
/usr/bin/python3 - "$SOURCE_DIR/README.md" "$W/walk" "$P1" "$P2" <<'EOF' || tap_bail "README.md has no five-minute walk"
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("## Five minutes"):]
section = section[:section.index("\n## ", 1)]
blocks = [re.sub(r"^ {3}", "", b, flags=re.M) for b in re.findall(r"```sh\n(.*?)^ *```", section, re.S | re.M)]
step4 = re.search(r"^4\. Delete it from git: `([^`]*)`", section, re.M).group(1)
assert len(blocks) == 3, f"{len(blocks)} sh blocks"
for i, b in enumerate(blocks + [step4 + "\n"]):
    b = b.replace("8080", sys.argv[3]).replace("8081", sys.argv[4])
    open(f"{sys.argv[2]}/step{i + 1}.sh", "w").write(b)
EOF
export PATH="$W/bin:$PATH" GIT_AUTHOR_NAME=newcomer GIT_AUTHOR_EMAIL=n@example.org \
        GIT_COMMITTER_NAME=newcomer GIT_COMMITTER_EMAIL=n@example.org
step() { # N DIR: runs the step's block as a script, stopping at its first failure
        (cd "$2" && bash -e "$W/walk/step$1.sh") 2>&1
}
cid() { docker inspect -f '{{.Id}}' hello-web-1 2>/dev/null; }
published() { docker inspect -f '{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{.HostIp}}:{{.HostPort}}{{end}}{{end}}' hello-web-1 2>/dev/null; }

out=$(step 1 "$W")
rc=$?
tap_is "step 1 makes a config repo with one commit" "$rc $(git -C "$W/config" log --format=%s main 2>&1)" "0 hello"
tap_is "holding the stack's compose file" "$(git -C "$W/config" ls-tree -r --name-only main)" "stacks/hello/compose.yaml"

out=$(step 2 "$W/config")
rc=$?
tap_is "step 2 runs to its end" "$rc" "0"
tap_like "its plan says a new stack, as the README says" "$out" "stack hello +deploy +new stack: not on this engine yet"
tap_is "its curl shows the page's first four lines" "$(printf '%s\n' "$out" | grep -A3 '^<!DOCTYPE' | tail -1)" "<p>served by busybox</p>"
tap_is "the container runs, as docker sees it" "$(docker inspect -f '{{.State.Status}}' hello-web-1 2>&1)" "running"
tap_is "published on 127.0.0.1 at the README's port" "$(published)" "127.0.0.1:$P1"
first=$(cid)

out=$(step 3 "$W/config")
rc=$?
tap_is "step 3 runs to its end" "$rc" "0"
tap_is "the change is a second commit" "$(git -C "$W/config" log -1 --format=%s main)" "move hello to $P2"
tap_like "hello-web-1 was recreated" "$first $(cid)" "^[0-9a-f]{64} [0-9a-f]{64}$"
tap_check_fails "as a new container" test "$first" = "$(cid)"
tap_is "on the new port" "$(published)" "127.0.0.1:$P2"
tap_is "which answers" "$(curl -s "http://127.0.0.1:$P2/" | sed -n 2p)" "<title>hello from the walk</title>"
tap_check_fails "and the old port does not" curl -s -m 5 "http://127.0.0.1:$P1/"
tap_like "berth status names the stack and the commit it runs" "$out" \
        "hello.*$(git -C "$W/config" rev-parse --short=7 HEAD)"

out=$(step 4 "$W/config")
tap_is "step 4 runs to its end" "$?" "0"
tap_is "the container is gone" "$(docker ps -aq --filter label=com.docker.compose.project=hello)" ""
tap_is "so is its network" "$(docker network ls -q --filter label=com.docker.compose.project=hello)" ""

for f in ci/gitlab/berth.gitlab-ci.yml ci/github/berth.yml; do
        grep -q "$f" "$SOURCE_DIR/README.md" || tap_bail "step 5 no longer names $f"
        tap_check "step 5's $f exists" test -s "$SOURCE_DIR/$f"
done
tap_done
