#!/bin/bash
# run.sh: every test, as CI runs it. Installs what is needed, starts the test rig (a private dockerd),
# then builds and runs the whole suite twice: plain, and with -Db_sanitize=address,undefined. Ends with
# one line "N passed, N failed", counting every TAP check of every test in both builds, after the
# run's duration.
#
# run.sh --quick: what needs no root and no engine (unit, style, compose and fuzz-replay suites), in one
# plain build, for the edit-build-test loop. The build's -dev packages must be there already.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
started=$(date +%s)
took() { local s=$(($(date +%s) - started)); echo "run: took ${s}s ($((s / 60))m $((s % 60))s)"; }
if [ "${1:-}" = --quick ]; then
        dir="$top/build-quick"
        { [ -f "$dir/build.ninja" ] || meson setup "$dir" -Dwerror=true >"$dir.setup.log" 2>&1; } &&
                ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -n 40 "$dir.setup.log" "$dir.build.log" 2>/dev/null; echo "0 passed, 1 failed"; exit 1; }
        meson test -C "$dir" --suite unit --suite style --suite compose --suite fuzz --print-errorlogs | tail -n 15
        rc=${PIPESTATUS[0]}
        took
        exit "$rc"
fi
bash tests/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
. tests/lib/rig.sh
trap rig_stop EXIT
if ! rig_start; then
        echo "run: the test rig could not start, so nothing was tested"
        echo "0 passed, 1 failed"
        exit 1
fi

passed=0
failed=0
count() { # builddir: adds up the TAP checks (or whole tests) recorded in meson's log
        local log=$1/meson-logs/testlog.json
        [ -f "$log" ] || { failed=$((failed + 1)); return; }
        read -r p f < <(python3 - "$log" <<'PY'
import json, re, sys
p = f = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    out = t.get("stdout") or ""
    oks = len(re.findall(r"^ok \d+", out, re.M))
    nots = len(re.findall(r"^not ok \d+", out, re.M))
    good = t["result"] in ("OK", "EXPECTEDFAIL")
    if oks + nots == 0:
        oks, nots = (1, 0) if good else (0, 1)
    elif not good and nots == 0:
        nots = 1  # crashed or leaked after its checks
    p += oks
    f += nots
print(p, f)
PY
        )
        passed=$((passed + p))
        failed=$((failed + f))
}

for variant in plain sanitize; do
        dir="$top/build-test-$variant"
        opts=(-Dwerror=true)
        # The sanitizer build links the libraries in (-Dstatic_deps=true): both ways of linking are
        # tested, and libgit2's own functions have names in a leak report (tests/lsan.supp).
        [ $variant = sanitize ] && opts+=(-Db_sanitize=address,undefined -Db_lundef=false -Dstatic_deps=true)
        # The soak's 60 random steps in the plain build, 30 (another seed) under the sanitizers, which
        # make each step slower: the whole run stays within the hour.
        soak_steps=60
        [ $variant = sanitize ] && soak_steps=30
        echo "=== $variant build"
        if ! { meson setup --wipe "$dir" "${opts[@]}" >"$dir.setup.log" 2>&1 || meson setup "$dir" "${opts[@]}" >"$dir.setup.log" 2>&1; } ||
                ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
                echo "run: the $variant build failed:"
                tail -n 40 "$dir.setup.log" "$dir.build.log" 2>/dev/null
                failed=$((failed + 1))
                continue
        fi
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                LSAN_OPTIONS=suppressions=$top/tests/lsan.supp SOAK_STEPS=$soak_steps \
                meson test -C "$dir" --no-suite once --print-errorlogs --num-processes 2 --timeout-multiplier 3 | tail -n 25
        count "$dir"
done
# The concurrency suite once more under ThreadSanitizer: a race is a failure even when the results come
# out right. Only what that suite runs is built.
dir="$top/build-test-thread"
echo "=== thread build (the concurrency suite)"
if { meson setup --wipe "$dir" -Dwerror=true -Db_sanitize=thread -Db_lundef=false >"$dir.setup.log" 2>&1 ||
        meson setup "$dir" -Dwerror=true -Db_sanitize=thread -Db_lundef=false >"$dir.setup.log" 2>&1; } &&
        targets=$(meson introspect "$dir" --tests | python3 -c 'import json, sys
for t in json.load(sys.stdin):
    if any(s.split(":")[-1] == "concurrency" for s in t["suite"]):
        print(" ".join(t["depends"]))') &&
        ninja -C "$dir" $(meson introspect "$dir" --targets | python3 -c 'import json, sys
ids = set(sys.argv[1].split())
print(" ".join(f for t in json.load(sys.stdin) if t["id"] in ids for f in t["filename"]))' "$targets" | sed "s|$dir/||g") >"$dir.build.log" 2>&1; then
        TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
                meson test -C "$dir" --no-rebuild --suite concurrency --print-errorlogs --num-processes 1 --timeout-multiplier 3 | tail -n 15
        count "$dir"
else
        echo "run: the thread build failed:"
        tail -n 40 "$dir.setup.log" "$dir.build.log" 2>/dev/null
        failed=$((failed + 1))
fi
# What builds berth anew from the committed head (the release tarball and the Debian packages, other
# compilers, Debian 13), once: it is the same whichever build runs it.
# The Debian packages it builds are kept as the run's release artifact, beside the images a release
# pushes (docs/images.md).
echo "=== once: packages, compilers, Debian 13"
if [ -f "$top/build-test-plain/build.ninja" ]; then
        rm -rf "$top/dist/debian"
        BERTH_PACKAGES_OUT="$top/dist/debian" meson test -C "$top/build-test-plain" --no-rebuild --suite once \
                --print-errorlogs --num-processes 1 | tail -n 15
        count "$top/build-test-plain"
        ls "$top/dist/debian"/*.deb 2>/dev/null | sed 's/^/run: package kept: /'
else
        failed=$((failed + 1))
fi
took
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
