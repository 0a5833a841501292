#!/bin/bash
# test-api-demo.sh: the README's berth-api walk-through, as its script runs it non-interactively
# (ci/example/api-demo.sh --check): an empty bare repo, a token, berth-api, a static-site stack created
# as the page creates it, the pipeline's reconcile, and the stack healthy per the docker CLI.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
out=$(bash "$SOURCE_DIR/ci/example/api-demo.sh" --check 2>&1)
tap_is "the walk-through runs to its end" "$?" "0" || printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
tap_like "the stack was created in the empty repo" "$out" 'created: \{"name":"site","commit":"[0-9a-f]{40}"\}'
tap_like "and is deployed and healthy" "$out" "api-demo: the stack is deployed and healthy"
tap_is "nothing of it is left on the engine" "$(docker ps -aq --filter label=com.docker.compose.project=site | wc -l)" "0"
tap_done
