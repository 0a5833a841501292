#!/bin/bash
# check-source.sh: house-style checks on the sources (STYLE.md): no banned unsafe libc calls, every
# file opens with a line saying what it is for, and the format matches .clang-format.
. "$(dirname "$0")/lib/tap.sh"
cd "$(dirname "$0")/.."
tap_plan 3
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find reconciler api tests -name '*.[ch]')
banned=$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok|gets|system|popen)[[:space:]]*\(' \
        $(echo "$files" | grep -E '^(reconciler|api)/') | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' )
tap_is "no banned calls (sprintf strcpy strcat atoi atol strtok gets system popen) in reconciler/ and api/" "$banned" ""
nohead=""
for f in $files; do head -n 1 "$f" | grep -q '^/\* ' || nohead="$nohead $f"; done
tap_is "every C file opens with a /* one-line purpose */" "$nohead" ""
if command -v clang-format >/dev/null; then
        bad=$(for f in $files; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
        tap_is "sources match .clang-format" "$bad" ""
else
        tap_result fail "sources match .clang-format" "clang-format is not installed"
fi
tap_done
