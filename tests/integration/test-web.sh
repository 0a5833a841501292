#!/bin/bash
# test-web.sh: berth-api's web page in headless Chromium (tests/web/flow.py) against a real berth-api,
# a real file:// origin and the rig's engine. Screenshots of each screen go to $BERTH_WEB_SHOTS (the
# build directory's web-shots/ under meson).
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
[ -n "${BERTH_API:-}" ] || tap_bail "BERTH_API (the berth-api binary) is not set"
command -v chromium >/dev/null && command -v chromedriver >/dev/null || tap_bail "chromium and chromium-driver are not installed (tests/install-deps.sh)"
# axe-core comes from npm (tests/install-deps.sh), wherever this machine's npm keeps global packages.
export AXE_DIR=${AXE_DIR:-$(npm root -g 2>/dev/null)/axe-core}
[ -f "$AXE_DIR/axe.min.js" ] || tap_bail "axe-core is not installed (tests/install-deps.sh): no $AXE_DIR/axe.min.js"
W=$(mktemp -d)
cleanup() {
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null
        for s in w1 w2 web0; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        rm -rf "$W"
}
trap cleanup EXIT
for s in w1 w2 web0; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export BERTH_STATE_DIR=$W/state
git init -q --bare -b main "$W/origin.git"
git clone -q "file://$W/origin.git" "$W/seed" 2>/dev/null
mkdir -p "$W/seed/stacks/web0"
cat >"$W/seed/stacks/web0/compose.yaml" <<'EOF'
services:
  app:
    image: berth-test/busybox:latest
    command: ["sh", "-c", "echo app-line; exec sleep 3600"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  side:
    image: berth-test/busybox:latest
    command: ["sh", "-c", "echo side-line; exec sleep 3600"]
    stop_signal: SIGKILL
EOF
(cd "$W/seed" && git add -A && git commit -qm seed && git push -q origin main 2>/dev/null)
read_token=read-token-$RANDOM$RANDOM-0123456789
write_token=write-token-$RANDOM$RANDOM-0123456789
{
        printf '%s' "$read_token" | "$BERTH_API" hash-token viewer read
        printf '%s' "$write_token" | "$BERTH_API" hash-token writer write
} >"$W/tokens"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BERTH_API" --listen "127.0.0.1:$port" --repo "$W/origin.git" --workdir "$W/clone" --token-file "$W/tokens" \
        --templates "$SOURCE_DIR/templates" 2>"$W/api.log" &
api_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
U=http://127.0.0.1:$port

# The headers that keep the page to itself, read with curl.
curl -s -D "$W/h" -o /dev/null "$U/"
tap_like "the page is served with a Content-Security-Policy: its own files only, no inline script" "$(cat "$W/h")" "Content-Security-Policy: default-src 'self'; script-src 'self'"
tap_like "and nosniff" "$(cat "$W/h")" "X-Content-Type-Options: nosniff"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/p' "$W/h")
tap_is "an unchanged page costs a 304 (cached by its content's hash)" "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$U/")" "304"
tap_is "the page is not served under /ui/, where it would have no policy" "$(curl -s -o /dev/null -w '%{http_code}' "$U/ui/index.html")" "404"
tap_like "its scripts are JavaScript modules, by type" "$(curl -s -D - -o /dev/null "$U/ui/app.js")" "Content-Type: text/javascript"

# A reconcile first, so the page has a running stack to show.
(cd "$W/seed" && "$BERTH" reconcile >/dev/null 2>&1)
shots=${BERTH_WEB_SHOTS:-$W/shots}
/usr/bin/python3 "$SOURCE_DIR/tests/web/flow.py" "$U/" "$W/origin.git" "$read_token" "$write_token" "$BERTH" "$shots" >"$W/flow.tap" 2>"$W/flow.err"
# The flow's own TAP, renumbered after the checks above.
while IFS= read -r line; do
        case $line in
        "ok "*) tap_result ok "${line#ok * - }" ;;
        "not ok "*) tap_result fail "${line#not ok * - }" ;;
        "#"*) echo "$line" ;;
        esac
done <"$W/flow.tap"
tap_like "the browser flow ran to its end (it printed its plan)" "$(tail -1 "$W/flow.tap") $(tail -5 "$W/flow.err")" "^1\.\.[0-9]+"
# Under the sanitizers a leak or an error in what the page asked for makes this exit non-zero.
kill -TERM "$api_pid"
wait "$api_pid"
tap_is "berth-api stops cleanly after the flow (no leak, no sanitizer report)" "$? $(grep -c -e 'Sanitizer' -e 'runtime error' "$W/api.log")" "0 0"
api_pid=
tap_is "no token or secret is in berth-api's log" "$(grep -c -e "$write_token" -e "$read_token" "$W/api.log")" "0"
tap_done
