#!/bin/bash
# test-api-git.sh: berth-api on the rig's git server (smart HTTP with basic auth) configured from one
# file, and its faults: wrong or misplaced credentials, an origin that goes away and comes back, and a
# SIGKILL in the middle of a create. What happened is checked with the git CLI over the same server
# and on the server's repository itself; no reply or log ever holds the password.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
[ -n "${BERTH_TEST_GIT_URL:-}" ] || tap_bail "the rig's git server is not running"
[ -n "${BERTH_API:-}" ] || tap_bail "BERTH_API (the berth-api binary) is not set"
W=$(mktemp -d)
name=cfg-$$
origin=$BERTH_TEST_GIT_ROOT/$name.git
url=$BERTH_TEST_GIT_URL/$name.git
cleanup() {
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null
        rm -rf "$W" "$origin" "$origin.away"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
basic=$(printf '%s:%s' "$BERTH_TEST_GIT_USER" "$BERTH_TEST_GIT_PASSWORD" | base64 -w0)
gith() { git -c credential.helper= -c "http.extraHeader=Authorization: Basic $basic" "$@"; }

git init -q --bare -b main "$origin"
gith clone -q "$url" "$W/seed" 2>/dev/null
mkdir -p "$W/seed/templates/hello"
printf 'services:\n  s:\n    image: berth-test/busybox:latest\n    command: ["echo", "${greeting}"]\n' >"$W/seed/templates/hello/compose.yaml"
printf '{"title": "Hello", "version": "0.1.0", "options": {"type": "object", "properties": {"greeting": {"type": "string", "default": "hi"}}}}\n' >"$W/seed/templates/hello/definition.json"
(cd "$W/seed" && git add -A && git commit -qm seed && gith push -q origin main 2>/dev/null)
tap_is "the seed went up over HTTP" "$(git -C "$origin" log --format=%s main)" "seed"

token=write-token-$RANDOM$RANDOM-0123456789
printf '%s' "$token" | "$BERTH_API" hash-token alice write >"$W/tokens"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$port
req() { # method path [body] -> "status body"; the headers go to $W/headers
        curl -s -D "$W/headers" -o "$W/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
                ${3:+-H "Content-Type: application/json" --data-binary "$3"} "$U$2" >"$W/status"
        printf '%s %s' "$(cat "$W/status")" "$(cat "$W/body")"
        cat "$W/body" >>"$W/replies"
}
start_cmd() { # command...: starts berth-api through command and waits until it answers
        "$@" 2>>"$W/api.log" &
        api_pid=$!
        for _ in $(seq 100); do curl -fs "$U/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
        return 1
}
start() { # [env...]: starts berth-api from $W/berth-api.yaml and waits until it answers
        start_cmd env "$@" "$BERTH_API" --config "$W/berth-api.yaml"
}

# Credentials: wrong ones stop the start with a clear error; ones put in the URL are refused outright.
out=$(BERTH_API_GIT_USER=$BERTH_TEST_GIT_USER BERTH_API_GIT_PASSWORD=not-the-password-77 "$BERTH_API" \
        --listen "127.0.0.1:$port" --repo "$url" --workdir "$W/bad" --token-file "$W/tokens" 2>&1)
tap_like "a wrong git password: berth-api says it cannot reach the repo" "$? $out" "^1 berth-api: cannot open the config repo: cannot fetch"
tap_is "without echoing the password" "$(grep -c not-the-password-77 <<<"$out")" "0"
out=$("$BERTH_API" --listen "127.0.0.1:$port" --repo "http://$BERTH_TEST_GIT_USER:$BERTH_TEST_GIT_PASSWORD@${url#http://}" \
        --workdir "$W/bad2" --token-file "$W/tokens" 2>&1)
tap_like "credentials in the repo URL are refused" "$? $out" "^64 berth-api: the repo URL holds credentials"
tap_is "(and not printed)" "$(grep -c "$BERTH_TEST_GIT_PASSWORD" <<<"$out")" "0"

# One config file, as a container would mount it, and the password from a file.
printf '%s\n' "$BERTH_TEST_GIT_PASSWORD" >"$W/git-password"
printf 'listen: 127.0.0.1:%s\nrepo: %s\nworkdir: %s\ntoken_file: %s\ngit_user: %s\ngit_password_file: %s\n' \
        "$port" "$url" "$W/clone" "$W/tokens" "$BERTH_TEST_GIT_USER" "$W/git-password" >"$W/berth-api.yaml"
printf 'listen: 127.0.0.1:1\nrepo: x\nwebhook: y\n' >"$W/bad.yaml"
out=$("$BERTH_API" --config "$W/bad.yaml" 2>&1)
tap_like "a config file with an unknown setting names file:line:col" "$? $out" "^1 .*bad.yaml:3:1: .*unknown setting \"webhook\""
start
tap_is "berth-api starts from its config file alone" "$?" "0"
out=$(req POST /stacks '{"name": "h1", "definition": "hello", "options": {"greeting": "over http"}}')
tap_like "POST /stacks over an HTTP origin: 201" "$out" '^201 .*"commit":"[0-9a-f]{40}"'
commit=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"])' "$W/body")
tap_is "the server's branch is at that commit (git ls-remote over HTTP)" "$(gith ls-remote "$url" refs/heads/main | cut -f1)" "$commit"
tap_like "holding the rendered file" "$(git -C "$origin" show main:stacks/h1/compose.yaml)" "over http"
tap_like "GET /stacks reads it back" "$(req GET /stacks)" '^200 .*"name":"h1"'

# The origin goes away: 503 with a retry hint, nothing lost; back again, all works.
mv "$origin" "$origin.away"
out=$(req POST /stacks '{"name": "h2", "definition": "hello"}')
tap_like "the origin unreachable: POST is 503, as problem+json" "$out" '^503 \{"type":"about:blank","title":"config repo unreachable"'
tap_like "with a Retry-After hint" "$(cat "$W/headers")" 'Retry-After: [0-9]+'
tap_like "GET /stacks too" "$(req GET /stacks)" '^503 '
mv "$origin.away" "$origin"
tap_is "nothing was pushed meanwhile" "$(git -C "$origin" rev-parse main)" "$commit"
tap_like "back again, the next POST works" "$(req POST /stacks '{"name": "h2", "definition": "hello"}')" '^201 '
tap_is "and the tree holds both stacks" "$(git -C "$origin" ls-tree --name-only main:stacks | tr '\n' ' ')" "h1 h2 "

# SIGKILL while a create is being pushed (the server's pre-receive hook holds the push), then a restart.
printf '#!/bin/sh\ntouch %s/in-hook\nsleep 3\ntouch %s/hook-done\n' "$W" "$W" >"$origin/hooks/pre-receive"
chmod +x "$origin/hooks/pre-receive"
before=$(git -C "$origin" rev-parse main)
req POST /stacks '{"name": "h3", "definition": "hello"}' >/dev/null &
for _ in $(seq 100); do [ -e "$W/in-hook" ] && break; sleep 0.1; done
kill -9 "$api_pid"
wait "$api_pid" 2>/dev/null
api_pid=
tap_check "berth-api was killed in the middle of the push" test -e "$W/in-hook" -a ! -e "$W/hook-done"
for _ in $(seq 100); do [ -e "$W/hook-done" ] && break; sleep 0.1; done
sleep 0.5
rm -f "$origin/hooks/pre-receive"
tap_check "the origin is sound (git fsck)" git -C "$origin" fsck --strict --no-progress
files=$(git -C "$origin" ls-tree -r --name-only main -- stacks/h3 | tr '\n' ' ')
tap_check "the create landed whole or not at all ($([ -n "$files" ] && echo landed || echo not landed))" \
        test "$files" = "" -o "$files" = "stacks/h3/compose.yaml stacks/h3/stack.json "
tap_like "and nothing else moved the branch" "$(git -C "$origin" log --format=%s "$before..main")" '^(|berth-api: create stack h3 from hello 0.1.0)$'
start
tap_is "berth-api restarts on the same work directory" "$?" "0"
tap_like "the next request works" "$(req POST /stacks '{"name": "h4", "definition": "hello"}')" '^201 '
want=$([ -n "$files" ] && echo 409 || echo 201)
tap_like "asking for h3 again: $want, as the origin says" "$(req POST /stacks '{"name": "h3", "definition": "hello"}')" "^$want "
tap_is "the tree holds h1 to h4" "$(git -C "$origin" ls-tree --name-only main:stacks | tr '\n' ' ')" "h1 h2 h3 h4 "
tap_is "each made by one commit" "$(git -C "$origin" log --format=%s main | grep -c '^berth-api: create stack h3 ')" "1"

# SIGTERM while a create is being pushed: the request in flight finishes, then the server exits.
rm -f "$W/in-hook" "$W/hook-done"
printf '#!/bin/sh\ntouch %s/in-hook\nsleep 2\ntouch %s/hook-done\n' "$W" "$W" >"$origin/hooks/pre-receive"
chmod +x "$origin/hooks/pre-receive"
(req POST /stacks '{"name": "h5", "definition": "hello"}' >"$W/h5.out") &
poster=$!
for _ in $(seq 100); do [ -e "$W/in-hook" ] && break; sleep 0.1; done
kill -TERM "$api_pid"
wait "$poster"
tap_like "SIGTERM during a push: the request in flight still gets its 201" "$(cat "$W/h5.out")" '^201 '
wait "$api_pid"
tap_is "and then the server exits cleanly" "$?" "0"
api_pid=
rm -f "$origin/hooks/pre-receive"
tap_is "with the commit on the origin" "$(git -C "$origin" log -1 --format=%s main)" "berth-api: create stack h5 from hello 0.1.0"
# The origin over https: its certificate is checked against the system's CA bundle, which libgit2
# reads when it first connects (gitops/lazy-ca.c). Signed by a CA the bundle does not hold, it is
# refused; with that CA added to the bundle (bind-mounted in a mount namespace of this test's own), a
# create lands on the origin.
[ -n "${BERTH_TEST_GIT_TLS_URL:-}" ] || tap_bail "the rig's git server has no https listener"
tls_url=$BERTH_TEST_GIT_TLS_URL/$name.git
out=$(BERTH_API_GIT_USER=$BERTH_TEST_GIT_USER BERTH_API_GIT_PASSWORD=$BERTH_TEST_GIT_PASSWORD "$BERTH_API" \
        --listen "127.0.0.1:$port" --repo "$tls_url" --workdir "$W/tls-untrusted" --token-file "$W/tokens" 2>&1)
tap_like "an https origin whose certificate the system's CAs did not sign: refused" "$? $out" \
        "^1 berth-api: cannot open the config repo: cannot fetch.*certificate"
cat /etc/ssl/certs/ca-certificates.crt "$BERTH_RIG_DIR/certs/ca/ca.pem" >"$W/bundle.crt"
sed "s|^repo: .*|repo: $tls_url|; s|^workdir: .*|workdir: $W/tls-clone|" "$W/berth-api.yaml" >"$W/berth-api-tls.yaml"
start_cmd unshare -m sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && exec "$2" --config "$3"' sh \
        "$W/bundle.crt" "$BERTH_API" "$W/berth-api-tls.yaml"
tap_is "with the rig's CA in the system's bundle, berth-api starts on the https origin" "$?" "0"
tap_like "POST /stacks over https: 201" "$(req POST /stacks '{"name": "h6", "definition": "hello", "options": {"greeting": "over https"}}')" '^201 '
tap_like "the origin holds it (git, on the server's repository)" "$(git -C "$origin" show main:stacks/h6/compose.yaml 2>&1)" "over https"
kill "$api_pid"
wait "$api_pid" 2>/dev/null
api_pid=
tap_is "the git password is in no reply and no log" "$(cat "$W/replies" "$W/api.log" | grep -c "$BERTH_TEST_GIT_PASSWORD")" "0"
tap_done
