#!/bin/bash
# test-concurrent.sh: stacks reconciled side by side. What concurrency must not break is checked through
# the engine's own record (its events and the containers' Created times, read with the docker CLI): the
# engine-wide budget of operations in flight, the order of stacks that share an external network or name
# each other in depends_on_stacks, a rollback while other stacks deploy, and output that stays per stack
# with the summary and the report in plan order.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
STACKS="x-owner b-users1 b-users2 p1 p2 p3 p4 p5 p6 flaky a-slow m-slow z-fast dep-a dep-b loop1 loop2"
down_all() {
        for s in $STACKS; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        docker network rm cshared >/dev/null 2>&1
}
cleanup() {
        down_all
        docker network rm berth-lock >/dev/null 2>&1
        rm -rf "$W"
}
trap cleanup EXIT
down_all
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
git init -q --bare -b main "$W/origin.git"
git clone -q "file://$W/origin.git" "$W/repo" 2>/dev/null
cd "$W/repo" || exit 1
REPO_ID="file://$W/origin"
commit() { git add -A && git commit -qm "$1" && git push -q origin main 2>/dev/null; }
now() { date +%s.%N; }
# The engine's events of this repo's objects between two times, one JSON object a line.
events() { docker events --since "$1" --until "$(now)" --format '{{json .}}'; }

service() { # name, extra yaml lines
        printf '  %s:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n%s' "$1" "${2:-}"
}
# A service that turns healthy only after $2 seconds: its stack's health gate takes that long.
slow() {
        printf '  %s:\n    image: berth-test/busybox:latest\n    command: ["sh", "-c", "sleep %s; touch /tmp/ready; exec sleep 3600"]\n    stop_signal: SIGKILL\n    healthcheck:\n      test: ["CMD", "test", "-f", "/tmp/ready"]\n      interval: 1s\n      retries: 30\n' "$1" "$2"
}
stack() { # name, then the compose body on stdin
        mkdir -p "stacks/$1" && cat >"stacks/$1/compose.yaml"
}

# ---- one cold reconcile: a budget of 2, a network owner and its users, six plain stacks ----
printf 'parallel: 2\nhealth_timeout: 60\n' >berth.yaml
{ echo "services:"; service net '    networks: [shared]
'; printf 'networks:\n  shared:\n    name: cshared\n'; } | stack x-owner
# Named to come first in plan order: only the wait keeps them from starting before x-owner.
for u in b-users1 b-users2; do
        { echo "services:"; service app '    networks: [shared]
'; printf 'networks:\n  shared:\n    external: true\n    name: cshared\n'; } | stack $u
done
for i in 1 2 3 4 5 6; do { echo "services:"; service web; service api; service worker; } | stack p$i; done
{ echo "services:"; service app; } | stack flaky
commit "first"

out=$("$BERTH" plan 2>&1)
tap_is "a stack that uses an external network another stack creates is planned, not refused" "$?" "0"
tap_like "and the plan says it waits for that stack" "$out" 'stack b-users1 +deploy +new stack: not on this engine yet; after stack x-owner \(it creates network "cshared"\)'
t0=$(now)
out=$(GITLAB_CI=true "$BERTH" reconcile --report "$W/r1.json" 2>&1)
tap_is "the cold reconcile deploys every stack" "$?" "0"
events "$t0" >"$W/ev1"
docker ps -a --filter "label=io.berth.repo=$REPO_ID" -q | xargs docker inspect >"$W/in1"

# Each container was being created or started from its Created time (set as the engine begins the
# create) to its start event (sent once the start is done); berth does both within one slot of the
# budget. The most such intervals open at one time is the engine's own count of operations in flight.
overlap() { # events file, inspect file -> "max stacks-at-max"
        /usr/bin/python3 - "$1" "$2" <<'EOF'
import json, sys, datetime
def ts(s):
    s = s.rstrip("Z")
    whole, _, frac = s.partition(".")
    t = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
    return int(t) * 10**9 + int((frac + "000000000")[:9])
created = {c["Id"]: (ts(c["Created"]), c["Config"]["Labels"]["com.docker.compose.project"]) for c in json.load(open(sys.argv[2]))}
spans = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("Type") == "container" and e.get("Action") == "start" and e["id"] in created:
        begin, stack = created[e["id"]]
        spans.append((begin, e["timeNano"], stack))
points = sorted([(b, 1, s) for b, _, s in spans] + [(f, -1, s) for _, f, s in spans], key=lambda p: (p[0], p[1]))
open_, best, stacks_at_best = {}, 0, 0
for t, d, s in points:
    open_[s] = open_.get(s, 0) + d
    n = sum(open_.values())
    if n > best:
        best, stacks_at_best = n, sum(1 for v in open_.values() if v > 0)
print(len(spans), best, stacks_at_best)
EOF
}
read -r n_spans max_ops max_stacks <<<"$(overlap "$W/ev1" "$W/in1")"
tap_is "the engine saw all 22 containers created and started" "$n_spans" "22"
tap_is "never more than the budget (parallel: 2) of them in flight at once, across all stacks" "$([ "$max_ops" -le 2 ] && echo within || echo "$max_ops in flight")" "within"
tap_is "and the budget was used: two operations were in flight together" "$max_ops" "2"

# The network's create event comes before any container of the stacks that use it.
order=$(/usr/bin/python3 - "$W/ev1" <<'EOF'
import json, sys
net, users = None, []
for line in open(sys.argv[1]):
    e = json.loads(line)
    attrs = e.get("Actor", {}).get("Attributes", {})
    if e.get("Type") == "network" and e.get("Action") == "create" and attrs.get("name") == "cshared":
        net = e["timeNano"]
    if e.get("Type") == "container" and e.get("Action") == "create" and attrs.get("com.docker.compose.project") in ("b-users1", "b-users2"):
        users.append(e["timeNano"])
print("ordered" if net and len(users) == 2 and all(u > net for u in users) else f"net={net} users={users}")
EOF
)
tap_is "stacks that share an external network are applied after the stack that creates it" "$order" "ordered"
tap_is "the JSON report names what each stack waited for" "$(/usr/bin/python3 -c 'import json,sys; print(" ".join(s["stack"] + ":" + ",".join(s.get("after", [])) for s in json.load(open(sys.argv[1]))["stacks"] if s.get("after")))' "$W/r1.json")" "b-users1:x-owner b-users2:x-owner"
tap_is "and are connected to it" "$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' b-users1-app-1 b-users2-app-1 | tr -d '\n')" "cshared cshared "

# Output: a section per stack, opened and closed around its own lines only.
sections=$(printf '%s\n' "$out" | /usr/bin/python3 -c '
import re, sys
cur, seen, bad = None, [], []
for line in sys.stdin.read().split("\n"):
    m = re.search(r"section_start:\d+:berth_stack_([a-z0-9-]+)\[", line)
    if m:
        cur = m.group(1); seen.append(cur); continue
    if re.search(r"section_end:\d+:berth_stack_", line):
        cur = None; continue
    m = re.match(r"  ([a-z0-9-]+): ", line)
    if m and cur and m.group(1) != cur:
        bad.append(line)
print(len(seen), len(set(seen)), "interleaved" if bad else "clean")
')
tap_is "each stack's lines are printed as one GitLab section of its own, never interleaved" "$sections" "10 10 clean"

# ---- a failing stack rolls back while others deploy; the summary and report keep plan order ----
{ echo "services:"; printf '  app:\n    image: berth-test/busybox:latest\n    command: ["sh", "-c", "exit 3"]\n'; } | stack flaky
# 12 s: the failing stack's rollback must come inside the slow ones' health gates even on a loaded
# machine (under ASan beside other work it took 7 s once, after a 4 s gate had ended).
{ echo "services:"; slow app 12; } | stack a-slow
{ echo "services:"; slow app 12; } | stack m-slow
{ echo "services:"; service app; } | stack z-fast
commit "flaky breaks; three new stacks"
t0=$(now)
out=$("$BERTH" reconcile --report "$W/r2.json" 2>&1)
tap_is "a failed stack makes the run exit 1" "$?" "1"
events "$t0" >"$W/ev2"
tap_is "the failed stack was rolled back, the others deployed" "$(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(s["stack"] + "=" + s["result"] for s in d["stacks"] if s["action"] != "skip"))' "$W/r2.json")" "a-slow=ok flaky=FAILED, rolled back m-slow=ok z-fast=ok"
tap_like "the rolled-back stack runs its previous version" "$(docker inspect -f '{{.State.Running}} {{.Config.Cmd}}' flaky-app-1)" "true \[sleep 3600\]"
overlapped=$(/usr/bin/python3 - "$W/ev2" <<'EOF'
import json, sys
healthy, rollback = {}, None
for line in open(sys.argv[1]):
    e = json.loads(line)
    a = e.get("Actor", {}).get("Attributes", {})
    p = a.get("com.docker.compose.project")
    if e.get("Type") != "container":
        continue
    if e.get("Action", "").startswith("health_status: healthy") and p in ("a-slow", "m-slow"):
        healthy.setdefault(p, e["timeNano"])
    # The rollback's container runs the old command again: its start comes after the failed one's.
    if e.get("Action") == "start" and p == "flaky":
        rollback = e["timeNano"]
print("during" if rollback and len(healthy) == 2 and rollback < min(healthy.values()) else f"rollback={rollback} healthy={healthy}")
EOF
)
tap_is "the rollback ran while the slow stacks were still in their health gates" "$overlapped" "during"
finish_order=$(printf '%s\n' "$out" | sed -n 's/^berth: stack \([a-z0-9-]*\): .*/\1/p' | tr '\n' ' ')
tap_like "stacks finish in their own time (z-fast before the slow ones)" "$finish_order" "z-fast .*a-slow|z-fast .*m-slow"
tap_is "but the summary lists them in plan order" "$(printf '%s\n' "$out" | awk '/^STACK/{on=1; next} on && /^[a-z0-9-]+ +(skip|deploy|update|remove|refused|invalid) /{print $1}' | tr '\n' ' ')" "a-slow b-users1 b-users2 flaky m-slow p1 p2 p3 p4 p5 p6 x-owner z-fast "
tap_is "and so does the JSON report" "$(/usr/bin/python3 -c 'import json,sys; print(" ".join(s["stack"] for s in json.load(open(sys.argv[1]))["stacks"]))' "$W/r2.json")" "a-slow b-users1 b-users2 flaky m-slow p1 p2 p3 p4 p5 p6 x-owner z-fast"

# ---- depends_on_stacks ----
{ echo "services:"; service app; } | stack flaky
{ echo "services:"; slow app 3; } | stack dep-a
{ echo "services:"; service app; } | stack dep-b
echo '{"depends_on_stacks": ["dep-a"]}' >stacks/dep-b/stack.json
commit "dep-b after dep-a"
t0=$(now)
out=$(GITHUB_ACTIONS=true "$BERTH" reconcile 2>&1)
tap_is "stacks with depends_on_stacks deploy" "$?" "0"
tap_is "under GitHub each stack is a group of its own" "$(grep -cE '^::group::berth: stack dep-(a|b): deploy ok' <<<"$out") $(grep -c '^::endgroup::' <<<"$out")" "2 3"
tap_like "the plan names the stack waited for" "$out" "stack dep-b +deploy .*after stack dep-a \(depends_on_stacks\)"
after=$(events "$t0" | /usr/bin/python3 -c '
import json, sys
healthy = created = None
for line in sys.stdin:
    e = json.loads(line)
    p = e.get("Actor", {}).get("Attributes", {}).get("com.docker.compose.project")
    if e.get("Type") != "container": continue
    if p == "dep-a" and e.get("Action", "").startswith("health_status: healthy"): healthy = healthy or e["timeNano"]
    if p == "dep-b" and e.get("Action") == "create": created = e["timeNano"]
print("after" if healthy and created and created > healthy else f"healthy={healthy} created={created}")')
tap_is "dep-b's container is created only once dep-a has come up healthy" "$after" "after"

# On a terminal, a counter line stands below the sections; `script` gives berth one.
for i in 1 2; do { echo "services:"; service web '    environment: [ROUND=2]
'; service api; service worker; } | stack p$i; done
commit "two stacks change"
tty_out=$(script -qec "$BERTH reconcile" /dev/null | tr -s '\r\n' '\n\n')
tap_like "on a terminal a live counter says how far the run is" "$tty_out" "1/2 stacks, 0 failed"
tap_like "(and counts to the end)" "$tty_out" "2/2 stacks, 0 failed"
tap_unlike() { if grep -qE "$3" <<<"$2"; then tap_result fail "$1" "matched: $3"; else tap_result ok "$1"; fi; }
tap_unlike "in a CI log there is no counter" "$out" "stacks, [0-9]+ failed"

echo '{"depends_on_stacks": ["nope"]}' >stacks/dep-b/stack.json
{ echo "services:"; service app; } | stack loop1
{ echo "services:"; service app; } | stack loop2
echo '{"depends_on_stacks": ["loop2"]}' >stacks/loop1/stack.json
echo '{"depends_on_stacks": ["loop1"]}' >stacks/loop2/stack.json
commit "a missing dependency and a circle"
out=$("$BERTH" reconcile 2>&1)
tap_is "a bad depends_on_stacks makes the run fail" "$?" "1"
tap_like "a stack that names no stack of the commit is invalid, with the file and the name" "$out" 'stacks/dep-b/stack.json: depends_on_stacks\[0\]: no stack "nope" in commit'
tap_like "stacks that wait for each other are invalid, with the circle named" "$out" "stacks loop1, loop2 wait for each other"
tap_is "and nothing of them was deployed" "$({ docker ps -aq --filter label=com.docker.compose.project=loop1; docker ps -aq --filter label=com.docker.compose.project=loop2; } | wc -l)" "0"
tap_is "while dep-b stays as it was" "$(docker inspect -f '{{.State.Running}}' dep-b-app-1)" "true"

tap_done
