#!/bin/bash
# lint-openapi.sh: schemas/openapi.yaml passes the OpenAPI linter (Redocly CLI, pinned in
# install-deps.sh) with the project's settings, and a broken copy does not, so the check can fail.
. "$(dirname "$0")/lib/tap.sh"
cd "$(dirname "$0")/../schemas" || exit 1
command -v redocly >/dev/null || tap_bail "redocly is not installed: run tests/install-deps.sh"
# Nothing leaves the machine: no telemetry, no update check.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
lint() { redocly lint --config redocly.yaml --format=stylish "$1" 2>&1; }
out=$(lint openapi.yaml)
# Findings are lines "LINE:COL  warning|error  RULE  message".
findings() { grep -cE '^ +[0-9]+:[0-9]+ +(warning|error) ' <<<"$1"; }
tap_like "schemas/openapi.yaml is a valid OpenAPI 3.1 document, with no warning" "$? $(findings "$out")" "^0 0$" || printf '%s\n' "$out" | sed 's/^/# /'
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cp redocly.yaml "$W/"
sed 's/^      operationId: listStacks$/      operationId: [listStacks]/' openapi.yaml >"$W/openapi.yaml"
out=$(cd "$W" && lint openapi.yaml)
tap_like "a broken copy is refused, at its line" "$? $(findings "$out") $(grep -oE '^ +[0-9]+:[0-9]+ +error' <<<"$out" | tr -s ' ' | sed 's/^ //')" "^1 1 $(grep -n 'operationId: listStacks$' openapi.yaml | cut -d: -f1):[0-9]+ error$"
tap_done
