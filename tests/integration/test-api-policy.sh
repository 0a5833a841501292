#!/bin/bash
# test-api-policy.sh: berth-api's policy holds on every path that writes, checked with the git CLI on the
# origin: a revert to a revision the policy refuses today, files already in a stack's directory (an
# override that merges, a .env that interpolates), volumes that mount host storage, option names that are
# not options, and strings without a length. Each refusal leaves the origin as it was.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/api.sh"
[ -n "${BERTH_API:-}" ] || tap_bail "BERTH_API (the berth-api binary) is not set"
W=$(mktemp -d)
cleanup() {
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=admin GIT_AUTHOR_EMAIL=admin@example.com GIT_COMMITTER_NAME=admin GIT_COMMITTER_EMAIL=admin@example.com
git init -q --bare -b main "$W/origin.git"
git clone -q "file://$W/origin.git" "$W/admin" 2>/dev/null
g() { git -C "$W/admin" "$@"; }
push() { g add -A && g commit -qm "$1" && g push -q origin main 2>/dev/null && g rev-parse HEAD; }
mkdir -p "$W/admin/templates/hello" "$W/admin/templates/envmount" "$W/admin/templates/disk"
printf 'services:\n  s:\n    image: berth-test/busybox:latest\n    command: ["echo", "${greeting}"]\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n' >"$W/admin/templates/hello/compose.yaml"
printf '{"title": "Hello", "version": "0.1.0", "options": {"type": "object", "properties": {"greeting": {"type": "string", "default": "hi"}}}}\n' >"$W/admin/templates/hello/definition.json"
# The mount's host side is a variable the template leaves to the reconciler: a .env can set it.
printf 'services:\n  s:\n    image: berth-test/busybox:latest\n    volumes: ["${DATA_DIR:-./data}:/data"]\n' >"$W/admin/templates/envmount/compose.yaml"
printf '{"title": "Env mount", "version": "1.0.0"}\n' >"$W/admin/templates/envmount/definition.json"
printf 'services:\n  s:\n    image: berth-test/busybox:latest\n    volumes: ["disk:/data"]\nvolumes:\n  disk:\n    driver_opts: {type: "${fs}", device: "${device}"}\n' >"$W/admin/templates/disk/compose.yaml"
printf '{"title": "Disk", "version": "1.0.0", "options": {"type": "object", "properties": {"fs": {"type": "string", "default": "ext4"}, "device": {"type": "string", "default": "/dev/sda1"}}}}\n' >"$W/admin/templates/disk/definition.json"
# A stack that an administrator allowed once, then removed for what it asks of the host.
mkdir -p "$W/admin/stacks/root"
printf 'services:\n  r:\n    image: berth-test/busybox:latest\n    privileged: true\n    volumes: ["/var/run/docker.sock:/var/run/docker.sock", "/:/host"]\n' >"$W/admin/stacks/root/compose.yaml"
privileged=$(push "root stack, allowed then")
g rm -rq stacks/root && g commit -qm "remove the privileged stack" && g push -q origin main 2>/dev/null

write_token=$(api_token alice write)
api_serve "$W/origin.git"
req() { api_req "$write_token" "$@"; }
head_is() { git -C "$W/origin.git" rev-parse main; }

# ---- revert ----
before=$(head_is)
tap_like "a revert to a commit the policy refuses today is refused, naming the rule" \
        "$(req POST /stacks/root/revert "{\"to\": \"$privileged\"}")" '^422 .*"title":"refused by the policy".*"rule":"privileged"'
tap_like "and every violation is listed: the socket and / as binds" "$(cat "$W/body")" '"key":"volumes\[0\]\.source".*"key":"volumes\[1\]\.source"'
tap_like "a revision expression is not a commit id" "$(req POST /stacks/root/revert '{"to": "main~1"}')" '^422 .*"pointer":"/to"'
tap_like "nor is a search of the history (:/text)" "$(req POST /stacks/root/revert '{"to": ":/root stack"}')" '^422 .*not a commit id'
# A commit the origin has, on another branch: not this branch's history.
g checkout -q -b side "$privileged"
printf 'services:\n  r:\n    image: berth-test/busybox:latest\n' >"$W/admin/stacks/root/compose.yaml"
side=$(g add -A && g commit -qm "side" && g push -q origin side 2>/dev/null && g rev-parse HEAD)
g checkout -q main
git -C "$W/clone" fetch -q origin side 2>/dev/null # the API's clone holds the object: only the branch check stops it
tap_like "a commit of another branch is refused" "$(req POST /stacks/root/revert "{\"to\": \"$side\"}")" '^422 .*"title":"(not on the branch|unknown commit)"'
tap_is "the origin has not moved" "$(head_is)" "$before"

# ---- files already in the directory ----
mkdir -p "$W/admin/stacks/left"
printf 'services:\n  s:\n    privileged: true\n' >"$W/admin/stacks/left/compose.override.yaml"
before=$(push "a left-over override")
tap_like "create refuses a directory that holds files" \
        "$(req POST /stacks '{"name": "left", "definition": "hello"}')" '^409 .*stacks/left/ is not empty: it holds compose.override.yaml'
tap_is "nothing is committed" "$(head_is)" "$before"
tap_like "a stack made through the API" "$(req POST /stacks '{"name": "mine", "definition": "hello"}')" '^201 '
g pull -q --rebase origin main 2>/dev/null
printf 'services:\n  s:\n    privileged: true\n' >"$W/admin/stacks/mine/compose.override.yaml"
before=$(push "someone adds an override")
tap_like "an update checks the whole directory as the reconciler loads it: the override's privileged is refused" \
        "$(req PUT /stacks/mine '{"options": {"greeting": "again"}}')" '^422 .*"rule":"privileged"'
tap_is "and commits nothing" "$(head_is)" "$before"
tap_like "a stack whose template leaves the mount's host side to a variable" \
        "$(req POST /stacks '{"name": "envm", "definition": "envmount"}')" '^201 '
g pull -q --rebase origin main 2>/dev/null
printf 'DATA_DIR=/etc\n' >"$W/admin/stacks/envm/.env"
before=$(push "a .env that points the mount at /etc")
tap_like "an update interpolates the directory's .env as the reconciler will: /etc is refused" \
        "$(req PUT /stacks/envm '{}')" '^422 .*bind_paths.*/etc'
tap_is "and commits nothing" "$(head_is)" "$before"

# ---- volumes that mount host storage ----
tap_like "a volume of the local driver on a block device is a host path" \
        "$(req POST /stacks '{"name": "disk1", "definition": "disk"}')" '^422 .*"key":"volumes\.disk\.driver_opts\.device".*"rule":"bind_paths"'
tap_like "so is an NFS share" \
        "$(req POST /stacks '{"name": "disk2", "definition": "disk", "options": {"fs": "nfs", "device": ":/export"}}')" '^422 .*driver_opts\.device'

# ---- option names and lengths ----
tap_like "an option name the definition does not declare is refused: no CI variable filled with a literal" \
        "$(req POST /stacks '{"name": "lit", "definition": "hello", "options": {"DB_PASSWORD": "literal"}}')" '^422 .*"pointer":"/options"'
tap_like "names are exact: GREETING is not greeting" \
        "$(req POST /stacks '{"name": "lit", "definition": "hello", "options": {"GREETING": "x"}}')" '^422 .*"pointer":"/options"'
big=$(head -c 102400 /dev/zero | tr '\0' a)
printf '{"name": "big", "definition": "hello", "options": {"greeting": "%s"}}' "$big" >"$W/big.json"
tap_like "a 100 KB string is refused at its place, by the default maxLength" \
        "$(req POST /stacks "@$W/big.json")" '^422 .*"pointer":"/options/greeting"'
tap_is "none of them committed anything" "$(git -C "$W/origin.git" ls-tree --name-only main:stacks | tr '\n' ' ')" "envm left mine "
tap_done
