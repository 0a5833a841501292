#!/bin/bash
# test-secrets.sh: a stack's passwords in git, SOPS-encrypted to an age key, deployed by a reconcile that
# holds only the key (SOPS_AGE_KEY, as a masked CI variable holds it). The container sees the values of
# a SOPS env_file and of a SOPS .env used in interpolation (checked with the docker CLI); no byte of
# them shows in any output, report, label, the state directory or the repo. Re-encrypting the same
# values recreates nothing; a changed value recreates exactly its users; a tampered file, or no key,
# fails that stack alone with a clear error and leaves its running container as it was, while the other
# stacks go on; a label that would carry a secret is refused. SOPS files that containers mount (a compose
# secret, a config, a bind-mounted file) are decrypted onto tmpfs (0700 directories), never to disk, and
# go with the stack.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
STACKS="vault plain"
cleanup() {
        for s in $STACKS; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        rm -rf "$W" "$BERTH_RUNTIME_DIR"
}
trap cleanup EXIT
for s in $STACKS; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
export BERTH_STATE_DIR=$W/state
. "$(dirname "$0")/../lib/repo.sh"
repo_start
cid() { docker inspect -f '{{.Id}}' "$1" 2>/dev/null; }
envof() { docker exec "$1" sh -c "echo \"\$$2\""; }

# The age key: the deploy job holds it, the repo holds its public half.
age-keygen -o "$W/key.txt" 2>/dev/null || tap_bail "age-keygen (Debian's age) is missing"
KEY=$(grep '^AGE-SECRET-KEY-' "$W/key.txt")
RCPT=$(sed -n 's/^# public key: //p' "$W/key.txt")
# The decrypted files that containers mount live on tmpfs, here the test's own directory under /dev/shm.
export BERTH_RUNTIME_DIR=/dev/shm/berth-test-$$
rec() { (cd "$W/repo" && SOPS_AGE_KEY="$KEY" "$BERTH" reconcile --report "$W/report.json" "$@" 2>&1); }
# The distinctive plain texts that must show nowhere but inside the containers.
TOKEN=tok-5f3a9c-$RANDOM-secret
PASSWORD=pw-8d2e1b-$RANDOM-secret

mkdir -p stacks/vault stacks/plain
printf 'creation_rules:\n  - path_regex: stacks/.*\n    age: %s\n' "$RCPT" >.sops.yaml
printf 'API_TOKEN=%s\n' "$TOKEN" >stacks/vault/app.env
printf 'DB_PASSWORD=%s\nLOG_LEVEL=info\n' "$PASSWORD" >stacks/vault/.env
printf '%s' "$PASSWORD" >stacks/vault/db_password.txt
printf 'api:\n  token: %s\n  port: 8080\n' "$TOKEN" >stacks/vault/settings.yaml
printf 'KEY-%s\n' "$TOKEN" >stacks/vault/tls.key
for f in app.env .env db_password.txt settings.yaml tls.key; do
        "$BERTH" secrets encrypt -i "stacks/vault/$f" || tap_bail "berth secrets encrypt $f failed"
done
cat >stacks/vault/compose.yaml <<'YAML'
services:
  app:
    image: berth-test/busybox:latest
    command: ["sleep", "3600"]
    env_file: app.env
    environment:
      DB_PASSWORD: ${DB_PASSWORD}
      DSN: postgres://app:${DB_PASSWORD}@db/app
    secrets: [db_password]
    configs: [{source: settings, target: /etc/app/settings.yaml}]
    volumes: ["./tls.key:/etc/tls.key:ro"]
    stop_signal: SIGKILL
  side:
    image: berth-test/busybox:latest
    command: ["sleep", "3600"]
    environment:
      LOG_LEVEL: ${LOG_LEVEL}
    stop_signal: SIGKILL
secrets:
  db_password: {file: db_password.txt}
configs:
  settings: {file: settings.yaml}
YAML
printf 'services:\n  p:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    environment: [V=1]\n    stop_signal: SIGKILL\n' >stacks/plain/compose.yaml
commit "stacks with SOPS files"
tap_is "the files in git are encrypted" "$(g grep -c -e "$TOKEN" -e "$PASSWORD" HEAD -- . | wc -l)" "0"

out=$(rec)
tap_is "a reconcile with SOPS_AGE_KEY deploys the stacks" "$?" "0"
all_out=$out
tap_is "the container sees the env_file's value" "$(envof vault-app-1 API_TOKEN)" "$TOKEN"
tap_is "and the .env's value, interpolated" "$(envof vault-app-1 DSN)" "postgres://app:$PASSWORD@db/app"
tap_is "a service without secrets sees a plain value of the SOPS .env" "$(envof vault-side-1 LOG_LEVEL)" "info"
tap_is "the container reads the SOPS compose secret" "$(docker exec vault-app-1 cat /run/secrets/db_password)" "$PASSWORD"
tap_is "the SOPS config, decrypted" "$(docker exec vault-app-1 cat /etc/app/settings.yaml)" "$(printf 'api:\n  token: %s\n  port: 8080' "$TOKEN")"
tap_is "and the bind-mounted SOPS file" "$(docker exec vault-app-1 cat /etc/tls.key)" "KEY-$TOKEN"
rt=$(find "$BERTH_RUNTIME_DIR" -name db_password.txt)
tap_is "those files are on tmpfs, in the runtime directory" "$(stat -f -c %T "$rt")" "tmpfs"
tap_is "in directories only their owner may enter" "$(stat -c %a "$(dirname "$rt")" "$BERTH_RUNTIME_DIR")" "700
700"
tap_is "mounted from there" "$(docker inspect -f '{{range .Mounts}}{{.Source}} {{end}}' vault-app-1 | grep -o "$BERTH_RUNTIME_DIR" | wc -l)" "3"
app=$(cid vault-app-1) side=$(cid vault-side-1) plain=$(cid plain-p-1)

# Everywhere but inside the containers: the outputs, the report, labels, the state dir, the repo.
all_out+=$(cd "$W/repo" && SOPS_AGE_KEY="$KEY" "$BERTH" plan 2>&1)
all_out+=$(cd "$W/repo" && SOPS_AGE_KEY="$KEY" "$BERTH" status 2>&1)
all_out+=$(cd "$W/repo" && SOPS_AGE_KEY="$KEY" "$BERTH" status --format json 2>&1)
all_out+=$(cd "$W/repo/stacks/vault" && SOPS_AGE_KEY="$KEY" "$BERTH" config 2>&1)
all_out+=$(cd "$W/repo/stacks/vault" && SOPS_AGE_KEY="$KEY" "$BERTH" config --format json 2>&1)
all_out+=$(cd "$W/repo/stacks/vault" && SOPS_AGE_KEY="$KEY" "$BERTH" config --hash 2>&1)
all_out+=$(cat "$W/report.json")
tap_is "no output or report holds a secret" "$(printf '%s' "$all_out" | grep -c -e "$TOKEN" -e "$PASSWORD")" "0"
tap_like "berth config shows them redacted" "$(cd "$W/repo/stacks/vault" && SOPS_AGE_KEY="$KEY" "$BERTH" config)" \
        "API_TOKEN: '\*\*redacted\*\*'"
tap_is "config --show-secrets shows them to a person who asks" \
        "$(cd "$W/repo/stacks/vault" && SOPS_AGE_KEY="$KEY" "$BERTH" config --show-secrets | grep -c "$TOKEN")" "1"
labels=$(docker inspect -f '{{json .Config.Labels}}' vault-app-1 vault-side-1 plain-p-1)
tap_is "no label holds a secret" "$(printf '%s' "$labels" | grep -c -e "$TOKEN" -e "$PASSWORD")" "0"
tap_is "no file of the state directory holds one" "$(grep -rl -e "$TOKEN" -e "$PASSWORD" "$W/state" | wc -l)" "0"
tap_is "no commit of the repo holds one" "$(g log -p --all | grep -c -e "$TOKEN" -e "$PASSWORD")" "0"

# The same values encrypted again (a new data key): nothing to do.
printf 'API_TOKEN=%s\n' "$TOKEN" >stacks/vault/app.env
"$BERTH" secrets encrypt -i stacks/vault/app.env
commit "re-encrypted"
out=$(rec)
tap_is "re-encrypting the same value reconciles" "$?" "0"
tap_is "and recreates nothing" "$(cid vault-app-1) $(cid vault-side-1)" "$app $side"

# A changed value recreates its users only.
TOKEN2=tok-77e1d0-$RANDOM-secret
printf 'API_TOKEN=%s\n' "$TOKEN2" >stacks/vault/app.env
"$BERTH" secrets encrypt -i stacks/vault/app.env
commit "new token"
out=$(rec)
tap_is "a changed value reconciles" "$?" "0"
tap_is "the container sees the new value" "$(envof vault-app-1 API_TOKEN)" "$TOKEN2"
tap_is "its service was recreated" "$([ "$(cid vault-app-1)" != "$app" ] && echo yes)" "yes"
tap_is "the other service and stack were not" "$(cid vault-side-1) $(cid plain-p-1)" "$side $plain"
tap_is "the output names no secret" "$(printf '%s' "$out" | grep -c -e "$TOKEN2" -e "$PASSWORD")" "0"
app=$(cid vault-app-1)

# A tampered file: that stack fails, untouched; the other stack's change goes on.
python3 - stacks/vault/app.env <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
i = s.index("data:") + 5
s = s[:i] + ("B" if s[i] != "B" else "C") + s[i + 1:]
open(p, "w").write(s)
PY
sed -i 's/V=1/V=2/' stacks/plain/compose.yaml
commit "tampered, and a change elsewhere"
out=$(rec)
tap_is "a tampered SOPS file fails the reconcile" "$?" "1"
tap_like "the error names the file and what is wrong" "$out" "app.env.*(does not decrypt|MAC mismatch)"
tap_is "the stack's running container is untouched" "$(cid vault-app-1) $(envof vault-app-1 API_TOKEN)" "$app $TOKEN2"
tap_is "the other stack's change was deployed" "$(envof plain-p-1 V)" "2"

# No key at all: the error lists the file's recipients, and nothing changes.
g checkout -q HEAD~1 -- stacks/vault/app.env
commit "restored"
out=$(cd "$W/repo" && "$BERTH" reconcile 2>&1)
tap_is "without the key the reconcile fails" "$?" "1"
tap_like "naming the recipient and where a key is read from" "$out" "$RCPT.*SOPS_AGE_KEY"
tap_is "and changes nothing" "$(cid vault-app-1)" "$app"
out=$(rec)
tap_is "with the key again it goes on" "$?" "0"

# A label may not carry a secret.
sed -i 's|    stop_signal: SIGKILL|    labels: {leak: "${DB_PASSWORD}"}\n    stop_signal: SIGKILL|' stacks/vault/compose.yaml
commit "a label with a secret"
out=$(rec)
tap_is "a label that would hold a secret is refused" "$?" "1"
tap_like "with the label's path" "$out" "labels.leak.*SOPS"
tap_is "the refusal shows no secret" "$(printf '%s' "$out" | grep -c -e "$PASSWORD")" "0"
tap_is "and the stack was left as it was" "$(cid vault-app-1)" "$app"
# A changed mounted secret: the new bytes, through a new container.
printf '%s' "$PASSWORD-2" >stacks/vault/db_password.txt
"$BERTH" secrets encrypt -i stacks/vault/db_password.txt
sed -i '/labels: {leak/d' stacks/vault/compose.yaml
commit "new db password"
out=$(rec)
tap_is "a changed SOPS secret file reconciles" "$?" "0"
tap_is "the container reads the new secret" "$(docker exec vault-app-1 cat /run/secrets/db_password)" "$PASSWORD-2"
tap_is "the state directory still holds no plain text" "$(grep -rl -e "$TOKEN" -e "$PASSWORD" "$W/state" | wc -l)" "0"

# A runtime directory that is not on tmpfs is refused: plain text never goes to disk.
out=$(cd "$W/repo" && BERTH_RUNTIME_DIR=$W/disk SOPS_AGE_KEY="$KEY" "$BERTH" up -p vault2 -f stacks/vault/compose.yaml 2>&1)
tap_is "a runtime directory on disk is refused" "$?" "1"
tap_like "saying why" "$out" "not on tmpfs"
tap_is "and nothing was written there" "$(find "$W/disk" -type f 2>/dev/null | wc -l)" "0"
"$BERTH" down -p vault2 -t 0 >/dev/null 2>&1

# The stack deleted from git: its decrypted files go with it.
g rm -rq stacks/vault
commit "vault removed"
out=$(rec)
tap_is "the stack is pruned" "$?" "0"
tap_is "and its decrypted files are gone" "$(find "$BERTH_RUNTIME_DIR" -type f | wc -l)" "0"
tap_done
