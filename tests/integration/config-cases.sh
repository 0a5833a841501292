#!/bin/bash
# config-cases.sh: runs the real `berth config` on every case directory under the given data folders and
# compares with what the case expects, exactly. A case holds its compose files and optionally:
#   args      extra command-line arguments        env       KEY=VALUE lines for the environment
#   setup     a script run first (makes files too big to commit)
#   expected.yaml / expected.json / expected.out   stdout; exit code 0
#   expected.err                                   stderr; exit code 1 and nothing on stdout
#   expected.warn                                  stderr of a passing case
# The environment is emptied first, so the host cannot leak in. Absolute paths print as @DIR@.
# BERTH_REGEN=1 rewrites the expected files from what berth prints (review the diff before committing).
set -u
berth=$1
shift
n=0
failed=0
dirs=()
for data in "$@"; do
        for d in "$data"/*/; do dirs+=("${d%/}"); done
done
echo "1..${#dirs[@]}"
for dir in "${dirs[@]}"; do
        n=$((n + 1))
        name=${dir#"$(dirname "$(dirname "$dir")")/"}
        # The project name defaults to the directory's name, so the copy keeps the case's name.
        top=$(mktemp -d)
        work="$top/$(basename "$dir")"
        mkdir "$work"
        cp -a "$dir/." "$work/"
        [ -x "$work/setup" ] && (cd "$work" && ./setup)
        args=()
        [ -f "$work/args" ] && read -r -a args < "$work/args"
        envs=()
        if [ -f "$work/env" ]; then
                while IFS= read -r line; do [ -n "$line" ] && envs+=("$line"); done < "$work/env"
        fi
        (cd "$work" && env -i PATH="$PATH" HOME=/nonexistent "${envs[@]}" "$berth" config "${args[@]}" >"$work/.out" 2>"$work/.err")
        rc=$?
        sed -i "s|$work|@DIR@|g" "$work/.out" "$work/.err"
        ok=1
        why=""
        if [ -f "$dir/expected.err" ] || { [ "${BERTH_REGEN:-}" = 1 ] && [ $rc -ne 0 ]; }; then
                if [ "${BERTH_REGEN:-}" = 1 ]; then cp "$work/.err" "$dir/expected.err"; fi
                [ $rc -eq 1 ] || { ok=0; why="exit code $rc, expected 1"; }
                [ -s "$work/.out" ] && { ok=0; why="$why; printed on stdout"; }
                diff -u "$dir/expected.err" "$work/.err" >"$work/.diff" || { ok=0; why="$why; stderr differs"; }
        else
                exp=""
                for e in expected.yaml expected.json expected.out; do [ -f "$dir/$e" ] && exp=$e; done
                if [ "${BERTH_REGEN:-}" = 1 ]; then
                        [ -n "$exp" ] || exp=expected.yaml
                        case " ${args[*]:-} " in *" json "*) exp=expected.json ;; esac
                        cp "$work/.out" "$dir/$exp"
                        if [ -s "$work/.err" ]; then cp "$work/.err" "$dir/expected.warn"; fi
                fi
                [ $rc -eq 0 ] || { ok=0; why="exit code $rc: $(head -c 300 "$work/.err")"; }
                diff -u "$dir/$exp" "$work/.out" >"$work/.diff" || { ok=0; why="$why; stdout differs"; }
                if [ -f "$dir/expected.warn" ]; then
                        diff -u "$dir/expected.warn" "$work/.err" >>"$work/.diff" || { ok=0; why="$why; warnings differ"; }
                fi
        fi
        if [ $ok = 1 ]; then
                echo "ok $n - $name"
        else
                echo "not ok $n - $name: $why"
                sed 's/^/#   /' "$work/.diff" | head -40
                failed=$((failed + 1))
        fi
        rm -rf "$top"
done
[ $failed -eq 0 ]
