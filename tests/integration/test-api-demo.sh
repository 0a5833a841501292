#!/bin/bash
# test-api-demo.sh: the README's berth-api walk-through, as its script runs it non-interactively
# (ci/example/api-demo.sh --check): an empty bare repo, a token, berth-api, a static-site stack created
# as the page creates it, the pipeline's reconcile, and the stack healthy per the docker CLI; then once
# more with the page itself, in headless Chromium, making the stack and following it until it is healthy.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
out=$(bash "$SOURCE_DIR/ci/example/api-demo.sh" --check 2>&1)
tap_is "the walk-through runs to its end" "$?" "0" || printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
tap_like "the stack was created in the empty repo" "$out" 'created: \{"name":"site","commit":"[0-9a-f]{40}"\}'
tap_like "and is deployed and healthy" "$out" "api-demo: the stack is deployed and healthy"
tap_is "nothing of it is left on the engine" "$(docker ps -aq --filter label=com.docker.compose.project=site | wc -l)" "0"
# The same walk-through with the page itself (headless Chromium) making the stack in the empty repo.
out=$(BERTH_DEMO_PAGE=1 bash "$SOURCE_DIR/ci/example/api-demo.sh" --check 2>&1)
code=$?
while IFS= read -r line; do
        case $line in
        "ok "*) tap_result ok "the page: ${line#ok * - }" ;;
        "not ok "*) tap_result fail "the page: ${line#not ok * - }" ;;
        "#"*) echo "$line" ;;
        esac
done <<<"$out"
tap_is "from the page, too, the stack ends deployed and healthy" "$code $(grep -c 'deployed and healthy' <<<"$out")" "0 1" ||
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
tap_done
