#!/bin/bash
# run.sh: the main job on the bundled example, as a CI runner would run it: the example config repo
# (ci/example, committed into a scratch git repo) is planned and reconciled onto a private Docker
# engine that this script starts and removes again (tests/lib/rig.sh). Installs what is needed and
# builds berth first. Nothing is pulled: the stacks run the FROM-scratch busybox image built here.
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
bash tests/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
berth=$top/build/reconciler/berth

. tests/lib/rig.sh
trap 'set +e; rig_stop' EXIT
rig_start || { echo "run: the private engine could not start" >&2; exit 1; }

repo=$(mktemp -d /tmp/berth-example.XXXXXX)
trap 'set +e; rig_stop; rm -rf "$repo"' EXIT
cp -r ci/example/. "$repo"
rm -f "$repo/run.sh"
export GIT_AUTHOR_NAME=berth GIT_AUTHOR_EMAIL=berth@example.com GIT_COMMITTER_NAME=berth GIT_COMMITTER_EMAIL=berth@example.com
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" commit -qm "the example config repo"
WEB_PORT=$(rig_free_port)
export WEB_PORT
cd "$repo"

echo "### berth plan"
"$berth" plan
echo
echo "### berth reconcile"
"$berth" reconcile --report report.json
echo
echo "### the web stack answers on 127.0.0.1:$WEB_PORT"
curl -fsS "http://127.0.0.1:$WEB_PORT/index.html"
echo
echo "### berth status"
"$berth" status
echo
echo "### a second reconcile: nothing to do"
"$berth" reconcile
