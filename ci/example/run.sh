#!/bin/bash
# run.sh: the main job on the bundled example repo. Installs what is needed, builds berth, and prints
# the resolved model of every stack in ci/example, with each service's content hash.
set -eu
cd "$(dirname "$0")/../.."
bash tests/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
for stack in ci/example/stacks/*/; do
        name=$(basename "$stack")
        echo "### stack $name"
        build/reconciler/berth config -p "$name" --project-directory "$stack"
        build/reconciler/berth config -p "$name" --project-directory "$stack" --hash | sed 's/^/# hash /'
done
