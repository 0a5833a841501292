#!/bin/bash
# test-api.sh: berth-api against a real file:// origin, driven with curl, checked with the git CLI (what
# was committed, by whom, with which trailers), the docker CLI (what a reconcile of the origin then
# runs) and berth config (what the rendered file means). Every error path answers problem+json.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
[ -n "${BERTH_API:-}" ] || tap_bail "BERTH_API (the berth-api binary) is not set"
W=$(mktemp -d)
cleanup() {
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null
        for s in apiw inj existing chain; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        apiimg_clear
        rm -rf "$W"
}
# By berth's label, under any tag: an image of the same inputs left from another run would be tagged
# again instead of built, and keep that run's commit.
apiimg_clear() { docker images -q --filter label=io.berth.image=apiimg | sort -u | xargs -r docker rmi -f >/dev/null 2>&1; }
trap cleanup EXIT
for s in apiw inj existing chain; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
apiimg_clear
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export BERTH_STATE_DIR=$W/state
git init -q --bare -b main "$W/origin.git"
git clone -q "file://$W/origin.git" "$W/seed" 2>/dev/null
mkdir -p "$W/seed/templates/hello" "$W/seed/stacks/existing"
printf 'services:\n  s:\n    image: berth-test/busybox:latest\n    command: ["echo", "${greeting}"]\n' >"$W/seed/templates/hello/compose.yaml"
printf '{"title": "Hello", "version": "0.1.0", "options": {"type": "object", "properties": {"greeting": {"type": "string", "default": "hi"}}}}\n' >"$W/seed/templates/hello/definition.json"
printf 'services:\n  x:\n    image: berth-test/busybox:latest\n' >"$W/seed/stacks/existing/compose.yaml"
printf 'FROM berth-test/busybox:latest\nRUN echo built >/built\n' >"$W/seed/Dockerfile-apiimg"
mkdir -p "$W/seed/stacks/chain"
printf 'services:\n  front:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    depends_on: [back]\n  back:\n    image: berth-test/busybox:latest\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n' >"$W/seed/stacks/chain/compose.yaml"
# A definition whose options reach what the policy guards.
mkdir -p "$W/seed/templates/tool"
printf 'services:\n  t:\n    image: berth-test/busybox:latest\n    privileged: ${privileged}\n    ports: ["${port}:80"]\n    volumes: ["${mount}:/data"]\n' >"$W/seed/templates/tool/compose.yaml"
printf '{"title": "Tool", "version": "1.0.0", "options": {"type": "object", "properties": {"privileged": {"type": "boolean", "default": false}, "port": {"type": "integer", "default": 8080}, "mount": {"type": "string", "default": "./data"}}}}\n' >"$W/seed/templates/tool/definition.json"
(cd "$W/seed" && git add -A && git commit -qm seed && git push -q origin main 2>/dev/null)

read_token=read-token-$RANDOM$RANDOM-0123456789
write_token=write-token-$RANDOM$RANDOM-0123456789
{
        printf '%s' "$read_token" | "$BERTH_API" hash-token viewer read
        printf '%s' "$write_token" | "$BERTH_API" hash-token alice write
} >"$W/tokens"
tap_like "hash-token writes a line with the token's hash, never the token" "$(cat "$W/tokens")" "^sha256:[0-9a-f]{64} viewer read"
tap_is "(the token itself is not in the file)" "$(grep -c "$write_token" "$W/tokens")" "0"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'low_ports: [443]\nprivilged: true\n' >"$W/bad-policy.yaml"
out=$("$BERTH_API" --listen "127.0.0.1:$port" --repo "$W/origin.git" --workdir "$W/clone" --token-file "$W/tokens" --policy "$W/bad-policy.yaml" 2>&1)
tap_like "a policy file with a mistake stops the server, naming file:line:col" "$? $out" "^1 .*bad-policy.yaml:2:1: .*unknown rule \"privilged\""
printf '# what stacks made by the API may ask of the host\nlow_ports: [443]\nbind_paths: [/srv/shared]\n' >"$W/policy.yaml"
"$BERTH_API" --listen "127.0.0.1:$port" --repo "$W/origin.git" --workdir "$W/clone" --token-file "$W/tokens" \
        --templates "$SOURCE_DIR/templates" --policy "$W/policy.yaml" 2>"$W/api.log" &
api_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
U=http://127.0.0.1:$port
req() { # method path token [body [content-type]] -> "status body"
        local ct=${5:-application/json}
        curl -s -o "$W/body" -w '%{http_code} %{content_type}' -X "$1" ${3:+-H "Authorization: Bearer $3"} \
                ${4:+-H "Content-Type: $ct" --data-binary "$4"} "$U$2" >"$W/status"
        printf '%s %s' "$(cat "$W/status")" "$(cat "$W/body")"
}
field() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/body" "$1"; }

tap_like "GET /healthz is open" "$(req GET /healthz)" '^200 application/json \{"status":"ok"\}'
# The routes served and the routes documented are one set.
documented=$(curl -s "$U/openapi.yaml" | /usr/bin/python3 -c 'import sys, yaml; d = yaml.safe_load(sys.stdin); print("\n".join(sorted("%s %s" % (m.upper(), p) for p, ops in d["paths"].items() for m in ops if m in ("get", "post", "put", "patch", "delete"))))')
tap_is "GET /openapi.yaml documents exactly the routes served" "$documented" "$("$BERTH_API" routes | sort)"
tap_like "GET /stacks without a token is 401, as problem+json" "$(req GET /stacks)" '^401 application/problem\+json .*"status":401'
tap_like "a wrong token is 401 too" "$(req GET /stacks not-a-token-at-all-xxxx)" '^401 '
out=$(req GET /stacks "$read_token")
tap_like "a read token lists the stacks" "$out" '^200 application/json .*"name":"existing"'
out=$(req GET /stackDefinitions "$read_token")
tap_is "GET /stackDefinitions: the repo's own and the built-in ones" "$(field 'sorted((d["name"], d["source"]) for d in d)')" \
        "[('hello', 'repo'), ('scheduled-job', 'built-in'), ('static-site', 'built-in'), ('tool', 'repo'), ('webapp-db', 'built-in'), ('worker', 'built-in')]"
tap_is "with their options' schema" "$(field '[x["options"]["properties"]["greeting"]["default"] for x in d if x["name"] == "hello"]')" "['hi']"

body='{"name": "apiw", "definition": "worker", "options": {"image": "berth-test/busybox:latest", "command": "sleep 3600", "healthcheck": "true", "replicas": 2}}'
tap_like "a read token cannot write: 403" "$(req POST /stacks "$read_token" "$body")" '^403 application/problem\+json'
before=$(git -C "$W/origin.git" rev-parse main)
out=$(req POST '/stacks?dry_run=true' "$write_token" "$body")
tap_like "dry_run renders and validates, and returns the files" "$out" '^200 .*"stacks/apiw/compose.yaml"'
tap_is "but commits nothing" "$(git -C "$W/origin.git" rev-parse main)" "$before"
out=$(req POST /stacks "$write_token" "$body")
tap_like "POST /stacks creates the stack: 201 with the commit" "$out" '^201 application/json .*"commit":"[0-9a-f]{40}"'
commit=$(field 'd["commit"]')
tap_is "the origin's branch is at that commit" "$(git -C "$W/origin.git" rev-parse main)" "$commit"
tap_is "authored by the token's name" "$(git -C "$W/origin.git" log -1 --format='%an <%ae>' main)" "alice <alice@berth-api>"
tap_like "with provenance trailers" "$(git -C "$W/origin.git" log -1 --format='%B' main)" "Berth-Template: worker.*Berth-Template-Version: 1.0.0.*Berth-Options-Hash: sha256:[0-9a-f]{64}"
tap_is "and stack.json says what it was made from" "$(git -C "$W/origin.git" show main:stacks/apiw/stack.json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["definition"], d["definition_version"], d["options"]["replicas"], d["options"]["concurrency"], d["enabled"])')" "worker 1.0.0 2 4 True"
tap_like "the same name again is 409" "$(req POST /stacks "$write_token" "$body")" '^409 application/problem\+json .*"pointer":"/name"'
tap_like "a name that exists in git already (not made by the API) is 409 too" "$(req POST /stacks "$write_token" '{"name": "existing", "definition": "hello"}')" '^409 '
# The deploy mode: the preview plans in it, stack.json records it, a re-render keeps it.
out=$(req POST '/stacks?dry_run=true' "$write_token" '{"name": "sw1", "definition": "hello"}')
tap_is "a preview plans in berth.yaml's mode (compose here)" "$(field 'd["plan"].get("mode")')" "compose"
out=$(req POST '/stacks?dry_run=true' "$write_token" '{"name": "sw1", "definition": "hello", "mode": "swarm"}')
tap_like "one in swarm mode plans as swarm, and this engine, no manager, says so" \
        "$(field 'd["plan"].get("mode") + ": " + d["plan"].get("error", "")')" "^swarm: the engine at .* is not a swarm manager"
tap_like "an unknown mode: 422 at /mode" "$(req POST /stacks "$write_token" '{"name": "sw2", "definition": "hello", "mode": "kube"}')" '^422 .*"pointer":"/mode"'
tap_like "a stack created with a mode" "$(req POST /stacks "$write_token" '{"name": "swc", "definition": "hello", "mode": "compose"}')" '^201 '
tap_is "has it in its stack.json, and GET /stacks/swc says so" \
        "$(git -C "$W/origin.git" show main:stacks/swc/stack.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])') $(req GET /stacks/swc "$read_token" >/dev/null; field 'd["mode"]')" "compose compose"
req PUT '/stacks/swc?dry_run=true' "$write_token" '{"options": {"greeting": "yo"}}' >/dev/null
tap_is "and a re-render with options alone keeps it" "$(field 'json.loads(d["files"]["stacks/swc/stack.json"])["mode"]')" "compose"
commit=$(git -C "$W/origin.git" rev-parse main) # the newest commit the API made, for what follows

# Bad requests, each with its status and the place that is wrong.
tap_like "options against the schema: 422 with the option's pointer" "$(req POST /stacks "$write_token" '{"name": "b1", "definition": "worker", "options": {"image": "busybox", "command": "x", "healthcheck": "true", "replicas": 99}}')" '^422 .*"pointer":"/options/replicas"'
tap_like "a required option missing: 422" "$(req POST /stacks "$write_token" '{"name": "b2", "definition": "worker", "options": {"image": "busybox"}}')" '^422 .*"pointer":"/options"'
tap_like "an invalid stack name: 422 at /name" "$(req POST /stacks "$write_token" '{"name": "../etc", "definition": "hello"}')" '^422 .*"pointer":"/name"'
tap_like "an unknown definition: 422 at /definition" "$(req POST /stacks "$write_token" '{"name": "b3", "definition": "nope"}')" '^422 .*"pointer":"/definition"'
tap_like "a body that is not JSON: 400" "$(req POST /stacks "$write_token" '{"name": ')" '^400 application/problem\+json'
tap_like "a body that is not declared JSON: 415" "$(req POST /stacks "$write_token" '{"name": "x"}' text/plain)" '^415 '
head -c 1200000 /dev/zero | tr '\0' 'a' >"$W/big"
tap_like "a body over the limit: 413" "$(curl -s -w '%{http_code}' -o /dev/null -X POST -H "Authorization: Bearer $write_token" -H 'Content-Type: application/json' --data-binary "@$W/big" "$U/stacks")" '^413$'
tap_like "an unknown route: 404" "$(req GET /nowhere "$read_token")" '^404 application/problem\+json'
tap_like "a method a route does not serve: 405" "$(req PUT /healthz "$read_token")" '^405 '

# The policy: what a form may not ask of the host is a 422 naming the service, the key and the rule.
tool() { req POST "/stacks${2:-}" "$write_token" "{\"name\": \"pol\", \"definition\": \"tool\", \"options\": $1}"; }
out=$(tool '{"privileged": true}')
tap_like "privileged: 422 refused by the policy" "$out" '^422 application/problem\+json .*"title":"refused by the policy"'
tap_is "naming the service, the key, the rule and the place in the rendered file" "$(field '[(v["service"], v["key"], v["rule"], v["where"]) for v in d["violations"]]')" "[('t', 'privileged', 'privileged', 'stacks/pol/compose.yaml:4:17')]"
tap_like "host port 80 is refused (rule low_ports)" "$(tool '{"port": 80}')" '^422 .*"key":"ports\[0\].published","rule":"low_ports"'
tap_like "443, which the policy lists, is allowed" "$(tool '{"port": 443}' '?dry_run=true')" '^200 '
tap_like "a bind of the docker socket is refused (rule bind_paths)" "$(tool '{"mount": "/var/run/docker.sock"}')" '^422 .*"key":"volumes\[0\].source","rule":"bind_paths"'
tap_like "so is one climbing out of the stack's directory" "$(tool '{"mount": "../../.."}')" '^422 .*"rule":"bind_paths"'
tap_like "a path under bind_paths is allowed" "$(tool '{"mount": "/srv/shared/media"}' '?dry_run=true')" '^200 '
tap_like "and the stack's own directory always is" "$(tool '{"mount": "./data"}' '?dry_run=true')" '^200 '
tap_like "several refusals are all listed" "$(tool '{"privileged": true, "port": 22, "mount": "/"}'; echo; field 'len(d["violations"])')" '^422 .*3$'
tap_is "none of them committed anything" "$(git -C "$W/origin.git" rev-parse main)" "$commit"
tap_is "and the server's clone is clean" "$(git -C "$W/clone" status --porcelain 2>/dev/null | wc -l)" "0"

# Injection: an option value with newlines and YAML stays one string; a "$" cannot reach CI variables.
out=$(req POST /stacks "$write_token" '{"name": "inj", "definition": "hello", "options": {"greeting": "x\n    privileged: true\n    y: ${CI_JOB_TOKEN}"}}')
tap_like "a hostile option value is accepted as a value" "$out" '^201 '
git -C "$W/origin.git" show main:stacks/inj/compose.yaml >"$W/inj.yaml"
cfg=$(cd "$W" && CI_JOB_TOKEN=ci-secret "$BERTH" config -f inj.yaml --format json 2>&1)
# berth config prints a literal "$" as "$$", so that its output loads again with the same value.
tap_is "it is one string in the deployed model, its \$ kept literal" "$(printf '%s' "$cfg" | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["services"]["s"]; print(repr(s["command"][1]), "privileged" in s)')" "'x\\n    privileged: true\\n    y: \$\${CI_JOB_TOKEN}' False"
tap_is "the CI variable's value is nowhere in it" "$(grep -c ci-secret <<<"$cfg")" "0"

tap_is "a stack not deployed yet says so" "$(req GET /stacks "$read_token" >/dev/null; field '[x["live"]["deployed"] for x in d if x["name"] == "inj"]')" "[False]"

# End to end: the origin, reconciled, runs what the API committed; DELETE removes it.
git clone -q "file://$W/origin.git" "$W/deploy" 2>/dev/null
out=$(cd "$W/deploy" && "$BERTH" reconcile 2>&1)
tap_is "a reconcile of the origin deploys the API's stack: 2 replicas running" "$(docker ps --filter label=com.docker.compose.project=apiw --filter status=running -q | wc -l)" "2"
deployed=$(git -C "$W/deploy" rev-parse HEAD)
out=$(req GET /stacks/apiw "$read_token")
tap_is "GET /stacks/{name} reports what runs, as the engine has it" "$(field '(lambda l: (l["deployed"], l["commit"], l["running"], l["desired"], l["drift"], [(s["name"], s["state"], s["running"]) for s in l["services"]]))(d["live"])')" \
        "(True, '$deployed', 2, 2, False, [('worker', 'running', 2)])"
tap_is "and the stack's files, as git holds them" "$(field '[(f["path"], "Berth" in f.get("content", "") or f["path"].endswith("compose.yaml")) for f in d["files"]]')" \
        "[('stacks/apiw/compose.yaml', True), ('stacks/apiw/stack.json', False)]"
tap_is "whose compose file is the one committed" "$(field '[f["content"] for f in d["files"] if f["path"].endswith("compose.yaml")][0]')" "$(git -C "$W/origin.git" show main:stacks/apiw/compose.yaml)"
docker stop -t 0 "$(docker ps -q --filter label=com.docker.compose.project=apiw | head -1)" >/dev/null
tap_is "a container stopped behind berth's back is drift" "$(req GET /stacks "$read_token" >/dev/null; field '[(x["live"]["running"], x["live"]["drift"], x["live"].get("drift_detail")) for x in d if x["name"] == "apiw"]')" "[(1, True, 'not running')]"
out=$(cd "$W/deploy" && "$BERTH" reconcile --all 2>&1)
# Restart through the engine, in dependency order; logs as the engine has them.
started() { docker ps -q --filter label=com.docker.compose.project=chain | xargs docker inspect -f '{{.Name}} {{.State.StartedAt}}' | sort; }
before=$(started)
since=$(date +%s)
out=$(req POST /stacks/chain/restart "$write_token")
tap_is "POST /stacks/{name}/restart restarts its containers, dependencies first" "$(field '[(c["service"], c["container"]) for c in d["restarted"]]')" "[('back', 'chain-back-1'), ('front', 'chain-front-1')]"
after=$(started)
tap_is "the engine says each started again (StartedAt changed) and runs" "$(join -j1 <(echo "$before") <(echo "$after") | awk '$2 != $3' | wc -l) $(docker ps -q --filter label=com.docker.compose.project=chain --filter status=running | wc -l)" "2 2"
tap_is "in that order, by the engine's events" "$(docker events --since "$since" --until "$(($(date +%s) + 1))" --filter event=start --filter label=com.docker.compose.project=chain --format '{{.Actor.Attributes.name}}' | tr '\n' ' ')" "chain-back-1 chain-front-1 "
tap_like "a read token may not restart: 403" "$(req POST /stacks/chain/restart "$read_token")" '^403 '
tap_like "restart of a stack not in git: 404 (the engine's other containers are out of reach)" "$(req POST /stacks/not-ours/restart "$write_token")" '^404 '
out=$(req GET '/stacks/inj/logs?tail=20' "$read_token")
tap_is "GET /stacks/{name}/logs: each container's last lines, as docker logs has them" "$(field '[c["log"] for c in d["containers"]][0]')" "$(docker logs "$(docker ps -aq --filter label=com.docker.compose.project=inj | head -1)" 2>&1)"
tap_is "filtered by service" "$(req GET '/stacks/chain/logs?service=back' "$read_token" >/dev/null; field '[c["container"] for c in d["containers"]]')" "['chain-back-1']"
tap_like "a bad tail: 400" "$(req GET '/stacks/chain/logs?tail=lots' "$read_token")" '^400 '
# Images: berth build, then GET /images reports what the engine holds, as the docker CLI sees it.
out=$(cd "$W/deploy" && "$BERTH" build apiimg 2>&1)
out=$(req GET /images "$read_token")
tap_is "GET /images: each descriptor with the images built from it" "$(field '[(i["name"], i["dockerfile"], [(b["id"], b["tags"], b["commit"]) for b in i["built"]]) for i in d]')" \
        "[('apiimg', 'Dockerfile-apiimg', [('$(docker image inspect -f '{{.Id}}' apiimg:latest)', $(docker image inspect -f '{{json .RepoTags}}' apiimg:latest | python3 -c 'import json,sys; print(json.load(sys.stdin))'), '$deployed')])]"
tap_like "(its tags: latest and the commit's short id)" "$(field '[b["tags"] for i in d for b in i["built"]]')" "apiimg:${deployed:0:8}.*apiimg:latest|apiimg:latest.*apiimg:${deployed:0:8}"
# Disabled: kept in git, removed from the engine, its volume kept; enabled again: back.
docker volume create --label com.docker.compose.project=apiw apiw_keep >/dev/null
tap_like "PATCH {enabled: false} commits it" "$(req PATCH /stacks/apiw "$write_token" '{"enabled": false}')" '^200 .*"enabled":false'
tap_like "the same again is 409" "$(req PATCH /stacks/apiw "$write_token" '{"enabled": false}')" '^409 '
out=$(cd "$W/deploy" && git pull -q origin main 2>/dev/null && "$BERTH" reconcile 2>&1)
tap_like "the reconcile says it is disabled" "$out" "stack apiw +remove +disabled in stacks/apiw/stack.json"
tap_is "and removes its containers" "$(docker ps -aq --filter label=com.docker.compose.project=apiw | wc -l)" "0"
tap_is "but keeps its volume" "$(docker volume ls -q --filter name=apiw_keep)" "apiw_keep"
tap_is "and its files stay in git" "$(git -C "$W/origin.git" ls-tree --name-only main:stacks/apiw | tr '\n' ' ')" "compose.yaml stack.json "
out=$(cd "$W/deploy" && "$BERTH" plan 2>&1)
tap_like "a plan after that says disabled" "$out" "stack apiw +skip +disabled in stacks/apiw/stack.json"
req PATCH /stacks/apiw "$write_token" '{"enabled": true}' >/dev/null
out=$(cd "$W/deploy" && git pull -q origin main 2>/dev/null && "$BERTH" reconcile 2>&1)
tap_is "enabled again, it is deployed again" "$(docker ps --filter label=com.docker.compose.project=apiw --filter status=running -q | wc -l)" "2"
docker volume rm apiw_keep >/dev/null 2>&1

# PUT re-renders with new options; history lists what changed the stack; revert brings a version back.
replicas() { git -C "$W/origin.git" show main:stacks/apiw/stack.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["options"]["replicas"])'; }
out=$(req PUT /stacks/apiw "$write_token" '{"options": {"image": "berth-test/busybox:latest", "command": "sleep 3600", "healthcheck": "true", "replicas": 1}}')
tap_like "PUT re-renders the stack with new options" "$out" '^200 .*"commit":"[0-9a-f]{40}"'
tap_is "which stack.json records" "$(replicas)" "1"
tap_like "PUT of a stack that is not there: 404" "$(req PUT /stacks/nope "$write_token" '{"definition": "hello"}')" '^404 '
out=$(req GET /stacks/apiw/history "$read_token")
tap_is "history: the commits that changed the stack, newest first" "$(field '[c["subject"] for c in d]')" \
        "['berth-api: update stack apiw from worker 1.0.0', 'berth-api: enable stack apiw', 'berth-api: disable stack apiw', 'berth-api: create stack apiw from worker 1.0.0']"
tap_is "marking the one deployed (the update is not reconciled yet)" "$(field '[c.get("deployed", False) for c in d]')" "[False, True, False, False]"
out=$(cd "$W/deploy" && git pull -q origin main 2>/dev/null && "$BERTH" reconcile 2>&1)
tap_is "the update, reconciled, runs 1 replica" "$(docker ps --filter label=com.docker.compose.project=apiw --filter status=running -q | wc -l)" "1"
created=$(field 'd[-1]["commit"]')
# The update only scaled it down: no container was made, and the live state must not call that drift.
tap_is "after the scale-down the live state has no drift: 1 desired, 1 running, at the new commit" \
        "$(req GET /stacks "$read_token" >/dev/null; field '[(x["live"]["running"], x["live"]["desired"], x["live"]["drift"], x["live"]["commit"]) for x in d if x["name"] == "apiw"]')" \
        "[(1, 1, False, '$(git -C "$W/deploy" rev-parse HEAD)')]"
tap_like "revert to the first version makes a new commit" "$(req POST /stacks/apiw/revert "$write_token" "{\"to\": \"$created\"}")" '^201 .*"commit"'
tap_is "the stack's files are as they were then" "$(git -C "$W/origin.git" diff --stat "$created" main -- stacks/apiw | wc -l) $(replicas)" "0 2"
out=$(cd "$W/deploy" && git pull -q origin main 2>/dev/null && "$BERTH" reconcile 2>&1)
tap_is "the revert, reconciled, runs 2 replicas again" "$(docker ps --filter label=com.docker.compose.project=apiw --filter status=running -q | wc -l)" "2"
tap_is "and the history marks it deployed" "$(req GET /stacks/apiw/history "$read_token" >/dev/null; field '[(c["subject"][:23], c.get("deployed", False)) for c in d][:2]')" "[('berth-api: revert stack', True), ('berth-api: update stack', False)]"
tap_like "revert to where it already is: 409" "$(req POST /stacks/apiw/revert "$write_token" "{\"to\": \"$created\"}")" '^409 '
tap_like "revert to a commit that does not exist: 422" "$(req POST /stacks/apiw/revert "$write_token" '{"to": "0123456789abcdef0123456789abcdef01234567"}')" '^422 .*"pointer":"/to"'
tap_like "DELETE /stacks/apiw commits its removal" "$(req DELETE /stacks/apiw "$write_token")" '^200 .*"commit"'
tap_is "the stack's files are gone from the branch" "$(git -C "$W/origin.git" ls-tree -r --name-only main | grep -c '^stacks/apiw/')" "0"
tap_like "DELETE of a stack that is not there: 404" "$(req DELETE /stacks/apiw "$write_token")" '^404 '
out=$(cd "$W/deploy" && git pull -q origin main 2>/dev/null && "$BERTH" reconcile 2>&1)
tap_is "and the next reconcile removes it from the engine" "$(docker ps -aq --filter label=com.docker.compose.project=apiw | wc -l)" "0"

# Two berth-api processes on one origin, 50 clients at once each creating its own stack, while a third
# writer pushes unrelated commits with the git CLI: every create lands exactly once, nothing is lost.
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BERTH_API" --listen "127.0.0.1:$port2" --repo "$W/origin.git" --workdir "$W/clone2" --token-file "$W/tokens" \
        --templates "$SOURCE_DIR/templates" 2>"$W/api2.log" &
api2_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port2/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
git clone -q "file://$W/origin.git" "$W/third" 2>/dev/null
(
        cd "$W/third" || exit 1
        for i in $(seq 20); do
                echo "$i" >"unrelated-$i.txt"
                git add -A && git commit -qm "unrelated $i"
                until git push -q origin main 2>/dev/null; do git pull -q --rebase origin main 2>/dev/null; done
        done
) &
third=$!
for i in $(seq 50); do
        p=$([ $((i % 2)) = 0 ] && echo "$port" || echo "$port2")
        curl -s -o "$W/c$i.out" -w '%{http_code}\n' -X POST -H "Authorization: Bearer $write_token" \
                -H 'Content-Type: application/json' \
                --data-binary "{\"name\": \"c$i\", \"definition\": \"hello\", \"options\": {\"greeting\": \"n$i\"}}" \
                "http://127.0.0.1:$p/stacks" >"$W/c$i.code" &
done
wait $third
for i in $(seq 50); do while [ ! -s "$W/c$i.code" ]; do sleep 0.1; done; done
sleep 0.5
tap_is "all 50 creates answered 201" "$(cat "$W"/c*.code | sort | uniq -c | sed 's/^ *//')" "50 201" ||
        { grep -h -v '"commit"' "$W"/c*.out | sed 's/^/# /'; kill -0 "$api2_pid" 2>/dev/null || { echo "# the second replica died:"; tail -n 30 "$W/api2.log" | sed 's/^/# /'; }; }
tap_is "the final tree holds all 50 stacks" "$(git -C "$W/origin.git" ls-tree --name-only main:stacks | grep -c '^c[0-9]*$')" "50"
tap_is "each created by exactly one commit" "$(git -C "$W/origin.git" log --format=%s main | grep -c '^berth-api: create stack c[0-9]* ') $(git -C "$W/origin.git" log --format=%s main | grep '^berth-api: create stack c[0-9]* ' | sort -u | wc -l)" "50 50"
tap_is "and none of the third writer's commits was lost" "$(git -C "$W/origin.git" ls-tree --name-only main | grep -c '^unrelated-')" "20"
tap_is "each stack holds its own options" "$(git -C "$W/origin.git" show main:stacks/c37/stack.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["options"]["greeting"])')" "n37"
kill -TERM "$api2_pid"
wait "$api2_pid"
code=$?
# A replica that crashed reads as a crash: its status and the end of its log.
tap_is "the second replica stops cleanly on SIGTERM (no crash, no leak)" "$code" "0" || tail -n 30 "$W/api2.log" | sed 's/^/# /'
out=$(req GET /metrics "$read_token")
tap_like "GET /metrics counts commits" "$out" 'berth_api_commits_total (3[0-9]|[4-9][0-9])'
tap_like "and requests by route and status" "$out" 'berth_api_requests_total\{method="POST",route="/stacks",status="422"\} [1-9]'
tap_is "201s of POST /stacks: apiw, swc, inj and its 25 of the concurrent creates" "$(sed -n 's/^berth_api_requests_total{method="POST",route="\/stacks",status="201"} //p' <<<"$out")" "28"
tap_like "with a latency histogram per route" "$out" 'berth_api_request_duration_seconds_bucket\{method="GET",route="/healthz",le="\+Inf"\} [1-9]'
tap_like "and the pushes retried after a rejection" "$out" 'berth_api_push_retries_total [0-9]+'
tap_is "no credential or token in the server's log" "$(grep -c -e "$write_token" -e "$read_token" "$W/api.log")" "0"
# A template changed since a stack was rendered: GET /stacks says so, and a PUT brings it up to date.
tap_is "a stack rendered from the current template is not outdated" "$(req GET /stacks/c7 "$read_token" >/dev/null; field '(d["template_changed"], d["template_version"])')" "(False, '0.1.0')"
git -C "$W/third" pull -q --rebase origin main 2>/dev/null
sed -i 's/"echo"/"printf"/; ' "$W/third/templates/hello/compose.yaml"
sed -i 's/"0.1.0"/"0.2.0"/' "$W/third/templates/hello/definition.json"
(cd "$W/third" && git commit -qam "hello 0.2.0" && git push -q origin main 2>/dev/null)
tap_is "after the template changes, it is" "$(req GET /stacks/c7 "$read_token" >/dev/null; field '(d["template_changed"], d["template_version"], d["definition_version"])')" "(True, '0.2.0', '0.1.0')"
req PUT /stacks/c7 "$write_token" '{"options": {"greeting": "n7"}}' >/dev/null
tap_is "a PUT re-renders it from the new template" "$(req GET /stacks/c7 "$read_token" >/dev/null; field '(d["template_changed"], d["definition_version"])') $(git -C "$W/origin.git" show main:stacks/c7/compose.yaml | grep -c printf)" "(False, '0.2.0') 1"

kill -TERM "$api_pid"
wait "$api_pid"
rc=$?
tap_is "SIGTERM stops the server cleanly" "$rc" "0"
# A sanitizer's report at shutdown is in the server's log, which the test's directory takes with it.
[ $rc = 0 ] || tail -n 60 "$W/api.log" | sed 's/^/# /'
api_pid=
tap_done
