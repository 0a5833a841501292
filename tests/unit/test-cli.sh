#!/bin/bash
# test-cli.sh: the CLI's surface, which needs no engine: every verb's --help and its shell completion
# come from one option table, so they name the same options; the completion script works in bash and
# loads in zsh; usage errors exit 64 and name what is wrong. Usage: test-cli.sh BERTH SOURCE_DIR
BERTH=$1
. "$2/tests/lib/tap.sh"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

"$BERTH" completion bash >"$W/berth.bash"
tap_is "berth completion bash exits 0" "$?" "0"
verbs=$("$BERTH" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} /^$/ && on {on = 0}' | tr '\n' ' ')
tap_like "berth --help lists the verbs" "$verbs" "^config up down ps plan reconcile rollback build release status secrets completion man $"

# What bash offers after "berth VERB ... CUR", with the previous word PREV.
complete_words() { # cur words...
        local cur=$1
        shift
        bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _berth; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' \
                _ "$W/berth.bash" berth "$@" "$cur" | sort | tr '\n' ' '
}

for verb in $verbs; do
        help_opts=$("$BERTH" "$verb" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort | tr '\n' ' ')
        comp_opts=$(complete_words -- "$verb" | tr ' ' '\n' | grep -E '^--' | sort | tr '\n' ' ')
        tap_is "$verb: the completion offers exactly the options --help documents" "$comp_opts" "$help_opts"
done

# The manual pages come from the same tables: each renders without a warning from man(1), and names
# every option its --help does.
for verb in "" $verbs; do
        page=$("$BERTH" man $verb | LC_ALL=C.UTF-8 MANWIDTH=200 man --warnings -l - 2>"$W/man.err" | col -b)
        tap_is "berth man $verb renders without a warning" "$(cat "$W/man.err")" ""
        [ -n "$verb" ] || continue
        help_opts=$("$BERTH" "$verb" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort | tr '\n' ' ')
        man_opts=$(grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' <<<"$page" | grep -oE -- '--[a-z-]+' | sort | tr '\n' ' ')
        tap_is "berth-$verb(1) documents exactly the options --help does" "$man_opts" "$help_opts"
done
tap_like "berth(1) lists every verb's page" "$("$BERTH" man | LC_ALL=C.UTF-8 man -l - 2>/dev/null | col -b | grep -oE 'berth-[a-z]+\(1\)' | sort -u | wc -l)" "^$(wc -w <<<"$verbs")$"
missing=$(for verb in $verbs; do [ -s "$(dirname "$BERTH")/cli/berth-$verb.1" ] || echo "$verb"; done | tr '\n' ' ')
tap_is "the build makes (and installs) a page for every verb (reconciler/cli/meson.build)" "$missing" ""
"$BERTH" man nope >/dev/null 2>"$W/err"
tap_is "berth man of no such verb is a usage error" "$? $(cat "$W/err")" '64 berth man: there is no verb "nope"'

tap_is "a verb completes from its prefix" "$(complete_words re)" "reconcile release "
tap_is "a choice completes to its values" "$(complete_words "" ps --format)" "json table "
touch "$W/compose.yaml"
tap_is "a FILE argument completes to files" "$(cd "$W" && complete_words comp up -f)" "compose.yaml "
tap_is "a number completes to nothing" "$(complete_words "" up --timeout)" ""
tap_is "short options are offered too" "$(complete_words -H status | tr -d ' ')" "-H"
if command -v zsh >/dev/null; then
        "$BERTH" completion zsh >"$W/_berth"
        tap_is "the zsh script loads and defines the completion" \
                "$(zsh -f -c "autoload -U compinit && compinit -u -D; source '$W/_berth'; whence -w _berth" 2>&1)" "_berth: function"
else
        tap_result fail "zsh is installed for the zsh completion check (tests/install-deps.sh)"
fi

out=$("$BERTH" up --timeout soon 2>&1)
tap_like "a bad number: exit 64, naming the option and its range" "$? $out" "^64 berth up: --timeout takes a whole number from 1 to 86400, not \"soon\""
out=$("$BERTH" ps --format xml 2>&1)
tap_like "a bad choice: exit 64, naming the choices" "$? $out" "^64 berth ps: --format takes one of table\|json, not \"xml\""
out=$("$BERTH" plan --frobnicate 2>&1)
tap_like "an unknown option: exit 64, in berth's words" "$? $out" "^64 berth plan: unknown option \"--frobnicate\""
out=$("$BERTH" rollback 2>&1)
tap_like "a missing argument: exit 64, saying which" "$? $out" "^64 berth rollback: missing arguments: STACK"
out=$("$BERTH" config extra 2>&1)
tap_like "an argument too many: exit 64" "$? $out" "^64 berth config: unexpected argument \"extra\""
tap_done
