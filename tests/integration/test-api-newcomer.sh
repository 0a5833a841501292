#!/bin/bash
# test-api-newcomer.sh: berth-api as a new user meets it: an empty bare origin (the obvious first repo),
# a token made with hash-token, the built-in definitions. The first stack is created in the empty repo
# (berth-api makes the branch's first commit), checked with the git CLI.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/api.sh"
[ -n "${BERTH_API:-}" ] || tap_bail "BERTH_API (the berth-api binary) is not set"
W=$(mktemp -d)
cleanup() {
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT
git init -q --bare -b main "$W/origin.git"
token=$(api_token me write)
api_serve "$W/origin.git" --templates "$SOURCE_DIR/templates"
req() { api_req "$token" "$@"; }
tap_is "an empty origin serves an empty list of stacks" "$(req GET /stacks)" "200 []"
tap_like "and the built-in definitions" "$(req GET /stackDefinitions)" '^200 .*"name":"static-site"'
tap_like "the first stack is created in the empty repo" \
        "$(req POST /stacks '{"name": "first", "definition": "worker", "options": {"image": "berth-test/busybox:latest", "command": "sleep 3600", "healthcheck": "true"}}')" '^201 .*"commit"'
tap_is "as the branch's first commit, with no parent" "$(git -C "$W/origin.git" log --format='%P|%s' main)" "|berth-api: create stack first from worker 1.0.0"
tap_is "holding the stack's files" "$(git -C "$W/origin.git" ls-tree -r --name-only main | tr '\n' ' ')" "stacks/first/compose.yaml stacks/first/stack.json "
tap_like "the list shows it" "$(req GET /stacks)" '^200 \[\{"name":"first"'
tap_like "a second stack goes on top of the first" \
        "$(req POST /stacks '{"name": "second", "definition": "worker", "options": {"image": "berth-test/busybox:latest", "command": "sleep 3600", "healthcheck": "true"}}')" '^201 '
tap_is "two commits on the branch" "$(git -C "$W/origin.git" rev-list --count main)" "2"
# A stack pushed by hand that does not load: the list says why, where its numbers would be.
git clone -q "file://$W/origin.git" "$W/hand" 2>/dev/null
mkdir -p "$W/hand/stacks/broken"
printf 'services:\n  x:\n    image: berth-test/busybox:latest\n    portz: [80]\n' >"$W/hand/stacks/broken/compose.yaml"
(cd "$W/hand" && git add -A && git -c user.name=t -c user.email=t@e commit -qm broken && git push -q origin main 2>/dev/null)
out=$(req GET /stacks)
problem=$(printf '%s' "${out#* }" | /usr/bin/python3 -c 'import json,sys; print([s.get("problem") for s in json.load(sys.stdin) if s["name"] == "broken"][0])')
tap_like "a stack that does not load says why, with file:line:col" "$problem" '^stacks/broken/compose.yaml:4:5: .*portz'
tap_is "the valid ones have no problem" "$(printf '%s' "${out#* }" | /usr/bin/python3 -c 'import json,sys; print(sorted(s["name"] for s in json.load(sys.stdin) if "problem" not in s))')" "['first', 'second']"
tap_like "the stack's own reply says so too" "$(req GET /stacks/broken)" '^200 .*"problem":"stacks/broken/compose.yaml:4:5'
tap_done
