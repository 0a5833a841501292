#!/bin/bash
# test-api-secrets.sh: write-only options through berth-api, end to end. berth-api encrypts them into the
# stack's SOPS .env to the repo's age recipient and never shows them; the pipeline's reconcile, holding
# the age key, puts them in the containers. Checked through independent clients: git on the origin, a
# second SOPS implementation (tests/lib/sops_ref.py) for the .env, and the docker CLI for the containers.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/api.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
command -v age-keygen >/dev/null || tap_bail "age is not installed (tests/install-deps.sh)"
W=$(mktemp -d)
cleanup() {
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null
        "$BERTH" down -p v1 -v -t 0 >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
"$BERTH" down -p v1 -v -t 0 >/dev/null 2>&1
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export PYTHONPATH=$SOURCE_DIR/tests/lib

# A definition with two write-only options (one required, with a pattern) and a plain one.
mkdir -p "$W/templates/vault"
cat >"$W/templates/vault/definition.json" <<'EOF'
{
  "title": "Service with secrets", "version": "1.0.0",
  "options": {
    "type": "object", "additionalProperties": false, "required": ["api_key"],
    "properties": {
      "greeting": {"type": "string", "default": "hello", "pattern": "^[a-z]+$"},
      "api_key": {"type": "string", "writeOnly": true, "pattern": "^[A-Za-z0-9-]+$"},
      "smtp_password": {"type": "string", "writeOnly": true}
    }
  }
}
EOF
cat >"$W/templates/vault/compose.yaml" <<'EOF'
services:
  app:
    image: berth-test/busybox:latest
    command: ["sh", "-c", "exec sleep 3600"]
    stop_signal: SIGKILL
    environment:
      GREETING: ${greeting}
      API_KEY: ${api_key}
      SMTP_PASSWORD: ${smtp_password}
EOF

git init -q --bare -b main "$W/origin.git"
git clone -q "file://$W/origin.git" "$W/seed" 2>/dev/null
echo "# config" >"$W/seed/README"
(cd "$W/seed" && git add -A && git commit -qm init && git push -q origin main 2>/dev/null)
token=$(api_token w write)
reader=$(api_token r read)
api_serve "$W/origin.git" --templates "$W/templates"
tip() { git -C "$W/origin.git" rev-parse main; }
status() { api_req "$token" "$@" | cut -d' ' -f1; }
key1=Key-One-$RANDOM$RANDOM
# Quotes, a backslash, a dollar sign and spaces: nothing of it may be taken for syntax on the way.
smtp1="p\"a\\ss\$word with space $RANDOM"
body() { # api_key smtp_password [greeting]
        /usr/bin/python3 -c 'import json, sys
o = {"definition": "vault", "options": {}}
for k, v in zip(("api_key", "smtp_password", "greeting"), sys.argv[1:]):
    if v: o["options"][k] = v
print(json.dumps(o))' "$@"
}
named() { /usr/bin/python3 -c 'import json, sys; o = json.loads(sys.argv[1]); o["name"] = "v1"; print(json.dumps(o))' "$1"; }

h=$(tip)
tap_is "with no .sops.yaml in the repo, a write-only value is refused (422): there is nowhere to encrypt it to" \
        "$(status POST /stacks "$(named "$(body "$key1" "$smtp1")")")" "422"
tap_like "and the problem says what to add" "$(cat "$W/body")" "nowhere to encrypt to.*\.sops\.yaml"
tap_is "and nothing is committed" "$(tip)" "$h"

age-keygen -o "$W/age.key" 2>/dev/null
printf 'creation_rules:\n  - path_regex: ^stacks/.*/\\.env$\n    age: %s\n' "$(age-keygen -y "$W/age.key")" >"$W/seed/.sops.yaml"
(cd "$W/seed" && git add -A && git commit -qm sops && git push -q origin main 2>/dev/null)
h=$(tip)
tap_is "a required write-only option left out is refused (422)" "$(status POST /stacks "$(named "$(body "" "$smtp1")")")" "422"
tap_like "at its pointer" "$(cat "$W/body")" '"pointer": *"/options/api_key"'
bad="Bad Value-$RANDOM$RANDOM"
tap_is "a write-only value out of its pattern is refused (422)" "$(status POST /stacks "$(named "$(body "$bad" "")")")" "422"
tap_is "without the value in the reply" "$(grep -c -- "$bad" "$W/body")" "0"
tap_is "a write-only value of more than one line is refused (422)" \
        "$(status POST /stacks "$(named "$(body "$key1" "line one
line two")")")" "422"
tap_is "and none of these committed anything" "$(tip)" "$h"

tap_is "a preview (dry run) answers 200" "$(status POST '/stacks?dry_run=true' "$(named "$(body "$key1" "$smtp1")")")" "200"
tap_like "showing the .env as git would hold it, encrypted" "$(cat "$W/body")" 'api_key=ENC\[AES256_GCM'
tap_is "with neither value in it, and nothing committed" "$(grep -c -F -e "$key1" -e "$smtp1" "$W/body") $(tip)" "0 $h"

tap_is "create with both write-only values answers 201" "$(status POST /stacks "$(named "$(body "$key1" "$smtp1")")")" "201" || sed 's/^/# /' "$W/body"
tap_is "neither value is in the reply" "$(grep -c -F -e "$key1" -e "$smtp1" "$W/body")" "0"
git -C "$W/origin.git" show main:stacks/v1/.env >"$W/env1"
tap_is "the commit holds the stack's compose file, stack.json and .env" \
        "$(git -C "$W/origin.git" ls-tree -r --name-only main stacks/v1 | tr '\n' ' ')" "stacks/v1/.env stacks/v1/compose.yaml stacks/v1/stack.json "
decrypt() {
        /usr/bin/python3 -c 'import json, sys, sops_ref
print(json.dumps(sops_ref.decrypt("dotenv", open(sys.argv[1]).read(), sys.argv[2]), sort_keys=True))' "$1" "$W/age.key" 2>&1
}
expect=$(/usr/bin/python3 -c 'import json, sys
q = lambda v: "\"" + "".join("\\" + c if c in "\\\"$" else c for c in v) + "\""
print(json.dumps({"api_key": q(sys.argv[1]), "smtp_password": q(sys.argv[2])}, sort_keys=True))' "$key1" "$smtp1")
tap_is "a second SOPS implementation decrypts the .env (MAC checked) to the values given, quoted for dotenv" "$(decrypt "$W/env1")" "$expect"
tap_is "no value is in git's history, the compose file or stack.json" \
        "$(git -C "$W/origin.git" log -p --all | grep -c -F -e "$key1" -e "$smtp1")" "0"
tap_like "the compose file keeps the placeholders, for the reconciler to fill" "$(git -C "$W/origin.git" show main:stacks/v1/compose.yaml)" 'API_KEY: \$\{api_key\}'
tap_like "the commit names the write-only options it set, not their values" "$(git -C "$W/origin.git" log -1 --format=%B main)" "Berth-Write-Only: api_key, smtp_password"
tap_like "the stack says which write-only values it has" "$(api_req "$reader" GET /stacks/v1)" '"write_only_set": *\[ *"api_key", *"smtp_password" *\]'
for p in /stacks /stacks/v1 /stacks/v1/history /stackDefinitions; do
        api_req "$reader" GET "$p" >/dev/null
        tap_is "GET $p shows no value" "$(grep -c -F -e "$key1" -e "$smtp1" "$W/body")" "0"
done

git clone -q "file://$W/origin.git" "$W/repo" 2>/dev/null
out=$(cd "$W/repo" && SOPS_AGE_KEY_FILE=$W/age.key "$BERTH" reconcile 2>&1)
tap_is "berth reconcile, holding the age key, deploys the stack" "$?" "0" || printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
tap_is "and prints no value" "$(printf '%s' "$out" | grep -c -F -e "$key1" -e "$smtp1")" "0"
envof() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' v1-app-1 | grep "^$1=" | cut -d= -f2-; }
tap_is "the container has the api key given to berth-api (docker inspect)" "$(envof API_KEY)" "$key1"
tap_is "and the SMTP password, every character as typed" "$(envof SMTP_PASSWORD)" "$smtp1"

h=$(tip)
tap_is "changing a plain option without the write-only ones answers 200" "$(status PUT /stacks/v1 "$(body "" "" "bonjour")")" "200" || sed 's/^/# /' "$W/body"
tap_is "the .env is kept byte for byte" "$(git -C "$W/origin.git" show main:stacks/v1/.env | cmp - "$W/env1" && echo same)" "same"
tap_like "and the option changed" "$(git -C "$W/origin.git" show main:stacks/v1/compose.yaml)" "GREETING: bonjour"
h=$(tip)
key2=Key-Two-$RANDOM$RANDOM
tap_is "a new value for one write-only option, while another is stored, is refused (422)" "$(status PUT /stacks/v1 "$(body "$key2" "")")" "422"
tap_like "naming the one to give again" "$(cat "$W/body")" 'give it again.*"pointer": *"/options/smtp_password"'
tap_is "and nothing is committed" "$(tip)" "$h"
smtp2="second-$RANDOM"
tap_is "new values for both answer 200" "$(status PUT /stacks/v1 "$(body "$key2" "$smtp2" bonjour)")" "200" || sed 's/^/# /' "$W/body"
git -C "$W/origin.git" show main:stacks/v1/.env >"$W/env2"
tap_like "the .env decrypts to the new values" "$(decrypt "$W/env2")" "\"api_key\": \"\\\\\"$key2"
(cd "$W/repo" && git pull -q 2>/dev/null && SOPS_AGE_KEY_FILE=$W/age.key "$BERTH" reconcile >/dev/null 2>&1)
tap_is "and the next reconcile gives the container the new api key" "$(envof API_KEY) $(envof GREETING)" "$key2 bonjour"

# What berth-api cannot carry over, because it cannot read it: a value that is no write-only option.
/usr/bin/python3 -c 'import sys, sops_ref
sys.stdout.write(sops_ref.encrypt("dotenv", "api_key=a\nsmtp_password=b\nOTHER=c\n", [sys.argv[1]]))' "$(age-keygen -y "$W/age.key")" >"$W/seed/x.env"
(cd "$W/seed" && git pull -q 2>/dev/null && mv x.env stacks/v1/.env && git add -A && git commit -qm "hand edit" && git push -q origin main 2>/dev/null)
h=$(tip)
tap_is "new values over a .env holding more than the write-only options are refused (409)" "$(status PUT /stacks/v1 "$(body "$key2" "$smtp2")")" "409"
tap_like "naming what would be lost" "$(cat "$W/body")" "sets OTHER"
printf 'OTHER=plain\n' >"$W/seed/stacks/v1/.env"
(cd "$W/seed" && git add -A && git commit -qm "plain env" && git push -q origin main 2>/dev/null)
h=$(tip)
tap_is "and over someone's plain .env (409), which berth-api would otherwise replace" "$(status PUT /stacks/v1 "$(body "$key2" "$smtp2")")" "409"
tap_is "the plain .env is kept" "$(git -C "$W/origin.git" show main:stacks/v1/.env) $(tip)" "OTHER=plain $h"

# Under the sanitizers a leak (a value's buffer among them) makes this exit non-zero.
kill -TERM "$api_pid"
wait "$api_pid"
tap_is "berth-api stops cleanly (no leak, no sanitizer report)" "$? $(grep -c -e 'Sanitizer' -e 'runtime error' "$W/api.log")" "0 0"
api_pid=
tap_is "berth-api's log (with its access log) holds no value" \
        "$(grep -c -F -e "$key1" -e "$smtp1" -e "$key2" -e "$smtp2" -e "$bad" "$W/api.log")" "0"
tap_done
