#!/bin/bash
# soak.sh: the long run of the model-based soak (tests/integration/test-soak.py): STEPS random commits
# (default 2,000), each reconciled and checked against the engine, on a test rig of its own. Prints a
# line per step; a failure prints its seed and the smallest history that shows it.
#   bash tests/soak.sh [STEPS] [SEED]
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
bash tests/install-deps.sh || exit 1
{ [ -f build/build.ninja ] || meson setup build -Dwerror=true >/dev/null; } && ninja -C build >/dev/null || exit 1
. tests/lib/rig.sh
trap rig_stop EXIT
rig_start || exit 1
start=$(date +%s)
BERTH=$top/build/reconciler/berth BERTH_API=$top/build/api/berth-api SOURCE_DIR=$top SOAK_STEPS=${1:-2000} \
        SOAK_SEED=${2:-$(( $(date +%s%N) % 1000000000 ))} /usr/bin/python3 tests/integration/test-soak.py
rc=$?
echo "soak: ${1:-2000} steps in $(( $(date +%s) - start )) s, exit $rc"
exit $rc
