#!/bin/bash
# api-demo.sh: berth-api from nothing, as the README's walk-through does it: an empty bare repo as the
# origin, a token made with hash-token, berth-api started on it with the shipped definitions, the page
# opened, a stack created. A loop then plays the CI pipeline (`berth reconcile` of the origin every few
# seconds), so what the page creates is deployed.
#
#   bash ci/example/api-demo.sh            # runs until Ctrl-C; prints the page's address and the token
#   bash ci/example/api-demo.sh --check    # non-interactive: creates a static-site stack through the
#                                          # API as the page's Create does, reconciles, checks it healthy
#
# The engine: DOCKER_HOST when it answers, else a private one started here (tests/lib/rig.sh). Nothing
# is pulled: the stack runs the FROM-scratch busybox image that the private engine builds.
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
check=false
[ "${1:-}" = "--check" ] && check=true
if [ -z "${BERTH:-}" ]; then
        bash tests/install-deps.sh
        [ -d build ] || meson setup build >/dev/null
        ninja -C build >/dev/null
fi
berth=${BERTH:-$top/build/reconciler/berth}
berth_api=${BERTH_API:-$top/build/api/berth-api}
. tests/lib/rig.sh
demo=$(mktemp -d /tmp/berth-demo.XXXXXX)
stop() {
        set +e
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
        (cd "$demo/pipeline" 2>/dev/null && "$berth" down -p site -v -t 0 >/dev/null 2>&1)
        [ -n "${own_engine:-}" ] && rig_stop
        rm -rf "$demo"
}
trap stop EXIT
if ! docker version >/dev/null 2>&1; then
        own_engine=1
        rig_start || { echo "api-demo: no Docker engine answers, and a private one could not start" >&2; exit 1; }
fi
export GIT_AUTHOR_NAME=berth GIT_AUTHOR_EMAIL=berth@example.com GIT_COMMITTER_NAME=berth GIT_COMMITTER_EMAIL=berth@example.com

# 1. The origin: an empty bare repo. berth-api makes the branch's first commit.
git init -q --bare -b main "$demo/origin.git"
# 2. A token, and its line for the token file (the file never holds the token itself).
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$token" | "$berth_api" hash-token me write >"$demo/tokens"
# 3. berth-api on the origin, with the definitions berth ships.
port=$(rig_free_port)
"$berth_api" --listen "127.0.0.1:$port" --repo "$demo/origin.git" --workdir "$demo/clone" \
        --token-file "$demo/tokens" --templates "$top/templates" 2>"$demo/api.log" &
api_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { echo "api-demo: berth-api did not start:" >&2; cat "$demo/api.log" >&2; exit 1; }

# The pipeline: what a CI job runs on every push, here on demand.
pipeline() {
        rm -rf "$demo/pipeline"
        git clone -q "file://$demo/origin.git" "$demo/pipeline" 2>/dev/null || return 0 # no commit yet
        (cd "$demo/pipeline" && "$berth" reconcile)
}

if ! $check; then
        echo "berth-api is serving an empty repo."
        echo "  open    http://127.0.0.1:$port/"
        echo "  token   $token"
        echo "Sign in, choose New stack, pick Static site (image berth-test/busybox:latest if nothing can be"
        echo "pulled here), Create. Every 10 s the pipeline below reconciles the origin. Ctrl-C stops it all."
        while sleep 10; do pipeline 2>&1 | sed 's/^/pipeline: /'; done
fi

# --check: what the page's Create sends, then the pipeline, then the engine asked with the docker CLI.
# With BERTH_DEMO_PAGE set, the page itself does it, in headless Chromium (tests/web/newcomer.py).
site_port=$(rig_free_port)
if [ -n "${BERTH_DEMO_PAGE:-}" ]; then
        /usr/bin/python3 "$top/tests/web/newcomer.py" "http://127.0.0.1:$port/" "$token" "$site_port" \
                "${BERTH_WEB_SHOTS:-$demo/shots}" \
                "rm -rf '$demo/pipeline' && git clone -q 'file://$demo/origin.git' '$demo/pipeline' && cd '$demo/pipeline' && '$berth' reconcile" ||
                { echo "api-demo: the page's walk-through failed" >&2; exit 1; }
else
code=$(curl -s -o "$demo/reply" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"name\": \"site\", \"definition\": \"static-site\", \"options\": {\"image\": \"berth-test/busybox:latest\", \"port\": $site_port}}" \
        "http://127.0.0.1:$port/stacks")
[ "$code" = 201 ] || { echo "api-demo: creating the stack answered $code: $(cat "$demo/reply")" >&2; exit 1; }
echo "created: $(cat "$demo/reply")"
pipeline
fi
status=$(docker ps --filter label=com.docker.compose.project=site --format '{{.Status}}')
echo "the engine runs: $status"
case $status in *"(healthy)"*) echo "api-demo: the stack is deployed and healthy" ;; *) echo "api-demo: the stack is not healthy" >&2; exit 1 ;; esac
