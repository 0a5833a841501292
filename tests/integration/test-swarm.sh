#!/bin/bash
# test-swarm.sh: swarm stacks. For now the rig's swarm itself (tests/lib/swarm.sh), checked with the
# docker CLI: two nodes ready, named and labelled, a global service runs one task on each, a
# placement constraint on a node label is honoured, and an overlay network carries traffic between
# the nodes' tasks.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/rig.sh"
. "$(dirname "$0")/../lib/swarm.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
trap 'swarm_stop' EXIT
swarm_start || tap_bail "cannot make the two-node swarm (see above)"
sw() { DOCKER_HOST=$BERTH_TEST_SWARM_HOST docker "$@"; }
# Waits until the service's running tasks are on these nodes (sorted, space-separated).
tasks_on() { # service expected
        local got
        for _ in $(seq 1 60); do
                got=$(sw service ps --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' "$1" |
                        awk '$2 == "Running" {print $1}' | sort | tr '\n' ' ')
                [ "$got" = "$2" ] && break
                sleep 0.5
        done
        echo "$got"
}

tap_is "two nodes, both ready: a manager and a worker" \
        "$(sw node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | sort | tr '\n' ',')" \
        "berth-manager Ready Leader,berth-worker Ready ,"
tap_is "labelled for placement" "$(sw node inspect -f '{{.Description.Hostname}}={{.Spec.Labels.zone}}' berth-manager berth-worker | tr '\n' ' ')" \
        "berth-manager=a berth-worker=b "
sw network create -d overlay --attachable rigcheck >/dev/null
sw service create -q --name rigglobal --mode global --network rigcheck --endpoint-mode dnsrr \
        berth-test/busybox:latest httpd -f -p 8080 -h /etc >/dev/null 2>&1
tap_is "a global service runs one task on each node" "$(tasks_on rigglobal "berth-manager berth-worker ")" "berth-manager berth-worker "
sw service create -q --name rigplaced --replicas 2 --constraint node.labels.zone==b \
        berth-test/busybox:latest sleep 3600 >/dev/null 2>&1
tap_is "a constraint on a node label places both replicas on that node" "$(tasks_on rigplaced "berth-worker berth-worker ")" "berth-worker berth-worker "
# From the manager's task to both tasks' overlay addresses: one of them is on the other node.
c=$(sw ps -q --filter label=com.docker.swarm.service.name=rigglobal | head -1)
answers=$(sw exec "$c" sh -c 'for ip in $(nslookup tasks.rigglobal 2>/dev/null | sed -n "s/^Address: *\([0-9.]*\)$/\1/p"); do printf "GET /hostname HTTP/1.0\r\n\r\n" | nc -w 3 "$ip" 8080 | head -1; done' 2>&1)
tap_is "the overlay network carries traffic to the task on each node" "$(grep -c '200 OK' <<<"$answers")" "2"
sw service rm rigglobal rigplaced >/dev/null
tap_done
