# tap.sh: TAP helpers for the shell integration tests. Each check prints "ok N - what" or "not ok N -
# what" with the output of the failing command; tap_done exits 1 if any check failed.
TAP_N=0
TAP_FAILED=0

tap_plan() { TAP_PLANNED=1; echo "1..$1"; }
tap_bail() { echo "Bail out! $*"; exit 1; }

tap_result() { # ok|fail description [details]
        TAP_N=$((TAP_N + 1))
        if [ "$1" = ok ]; then
                echo "ok $TAP_N - $2"
        else
                echo "not ok $TAP_N - $2"
                [ -n "${3:-}" ] && printf '%s\n' "$3" | head -30 | sed 's/^/#   /'
                TAP_FAILED=$((TAP_FAILED + 1))
        fi
}

tap_check() { # description command...
        local d=$1 out
        shift
        if out=$("$@" 2>&1); then tap_result ok "$d"; else tap_result fail "$d" "$out"; fi
}

tap_check_fails() {
        local d=$1 out
        shift
        if out=$("$@" 2>&1); then tap_result fail "$d" "unexpectedly succeeded: $out"; else tap_result ok "$d"; fi
}

tap_is() { # description got expected
        if [ "$2" = "$3" ]; then tap_result ok "$1"; else tap_result fail "$1" "got:      $2
expected: $3"; fi
}

tap_like() { # description got pattern (grep -E)
        if printf '%s' "$2" | grep -Ezq -- "$3"; then tap_result ok "$1"; else tap_result fail "$1" "got: $2
expected to match: $3"; fi
}

# Without a plan up front, tap_done prints it at the end (TAP allows either).
tap_done() {
        [ -n "${TAP_PLANNED:-}" ] || echo "1..$TAP_N"
        [ "$TAP_FAILED" -eq 0 ]
        exit $?
}
