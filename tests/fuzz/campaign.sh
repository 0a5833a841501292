#!/bin/bash
# campaign.sh: a fuzzing campaign over every libFuzzer target, under ASan and UBSan. Builds the targets
# with clang (-Dfuzz=true) into build-fuzz/, runs each for RUNS executions (default 10,000,000) on 2
# jobs from its corpus in tests/fuzz/corpus/<target>, merges what is new back into that corpus
# (minimised, so the replay tests stay fast), and prints one line per target: executions, new inputs,
# crashes. A crash stops the campaign with exit 1 and leaves its input in tests/fuzz/out/. compose-tree
# is the compose loader under a mutator of YAML trees rather than bytes (tests/fuzz/mutate-tree.c).
#   [MAX_TIME=SECONDS] bash tests/fuzz/campaign.sh [RUNS] [TARGET...]
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
runs=${1:-10000000}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml interp dotenv json compose compose-tree ignore source render release api age sops)
bash tests/install-deps.sh || exit 1
CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null 2>&1 ||
        CC=clang meson setup --reconfigure build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
        exit 1
ninja -C build-fuzz >/dev/null || exit 1
mkdir -p tests/fuzz/out
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
status=0
for t in "${targets[@]}"; do
        bin=$top/build-fuzz/tests/fuzz/fuzz-$t
        # compose-tree is the compose loader under a mutator of YAML trees: it shares compose's corpus.
        corpus=$top/tests/fuzz/corpus/${t%-tree}
        new=$(mktemp -d)
        logs=$(mktemp -d)
        before=$(ls "$corpus" | wc -l)
        start=$(date +%s)
        # Two workers share the runs; each writes fuzz-<n>.log in the current directory, and the last
        # stats line of each says how many inputs it executed. MAX_TIME (seconds) caps a slow target.
        (cd "$logs" && "$bin" -runs=$((runs / 2)) -jobs=2 -workers=2 ${MAX_TIME:+-max_total_time=$MAX_TIME} \
                -artifact_prefix="$top/tests/fuzz/out/$t-" -print_final_stats=1 "$new" "$corpus" >parent.log 2>&1)
        rc=$?
        execs=$(cat "$logs"/fuzz-*.log 2>/dev/null | grep -o 'stat::number_of_executed_units: *[0-9]*' |
                awk '{s += $2} END {print s + 0}')
        crashes=$(ls tests/fuzz/out/"$t"-* 2>/dev/null | wc -l)
        "$bin" -merge=1 "$corpus" "$new" >/dev/null 2>&1
        after=$(ls "$corpus" | wc -l)
        echo "fuzz-$t: $execs executions in $(( $(date +%s) - start )) s, corpus $before -> $after, crashes $crashes"
        rm -rf "$new" "$logs"
        if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then status=1; fi
done
exit $status
