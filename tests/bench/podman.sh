#!/bin/bash
# podman.sh: tests/bench/podman.py with a Podman service started beside the rig's dockerd (rig.sh), and
# stopped after. Run with the rig up: (. tests/lib/rig.sh; rig_start; bash tests/bench/podman.sh BERTH)
. "$(dirname "$0")/../lib/rig.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || { echo "podman.sh: the test rig is not running" >&2; exit 1; }
rig_podman_start || exit 1
trap rig_podman_stop EXIT
/usr/bin/python3 "$(dirname "$0")/podman.py" "$@"
