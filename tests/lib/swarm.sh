# swarm.sh: a swarm of two nodes for the tests of swarm stacks, sourced after rig.sh. swarm_start makes
# two network namespaces joined by a veth pair (10.231.0.1 and 10.231.0.2, addresses that exist only
# inside them), runs a dockerd in each (own data, socket, bridge and iptables: a namespace has its own),
# makes the first a manager (`swarm init`) and joins the second as a worker. The nodes are named
# berth-manager and berth-worker, with the labels zone=a and zone=b for placement. The rig's test image is loaded into both, as
# nothing can be pulled. Sets BERTH_TEST_SWARM_HOST (the manager's socket), BERTH_TEST_SWARM_WORKER
# (the worker's) and BERTH_TEST_SWARM_NS (the manager's namespace: `ip netns exec` reaches published
# ports there). A registry runs inside the manager's namespace, BERTH_TEST_SWARM_REGISTRY (10.231.0.1:5000,
# plain HTTP, which both dockerds are told to trust), so that images pinned by digest are pulled by
# the nodes. If the swarm cannot be made, it says why and returns 1.
# This kernel has no IPVS: a service's virtual IP and the ingress routing mesh do not route here, so the
# tests reach tasks through DNS round robin (endpoint_mode: dnsrr) and host-mode ports. Overlay
# networks (VXLAN) between the nodes work.

# Each test's swarm has a directory of its own (and namespaces named after its process), so that two
# tests can each have one at the same time. A caller that starts and stops it from two shells names it.
SWARM_DIR=${SWARM_DIR:-${BERTH_RIG_DIR:-/nonexistent}/swarm-$$}

swarm_start() {
        local d=$SWARM_DIR ns1=berth-sw1-$$ ns2=berth-sw2-$$ token m w
        command -v ip >/dev/null || { echo "swarm: ip (iproute2) is missing" >&2; return 1; }
        mkdir -p "$d"
        echo "$ns1 $ns2" >"$d/netns"
        ip netns add "$ns1" && ip netns add "$ns2" &&
                ip link add "bsw1-$$" type veth peer name "bsw2-$$" &&
                ip link set "bsw1-$$" netns "$ns1" && ip link set "bsw2-$$" netns "$ns2" &&
                ip -n "$ns1" addr add 10.231.0.1/24 dev "bsw1-$$" && ip -n "$ns2" addr add 10.231.0.2/24 dev "bsw2-$$" &&
                ip -n "$ns1" link set "bsw1-$$" up && ip -n "$ns2" link set "bsw2-$$" up &&
                ip -n "$ns1" link set lo up && ip -n "$ns2" link set lo up || {
                echo "swarm: FATAL: cannot make the nodes' network namespaces" >&2
                return 1
        }
        # A registry inside the swarm's network, for images pinned by digest: both nodes pull from it.
        mkdir -p "$d/registry/data"
        printf '%s\n' "version: 0.1" "log:" "  level: warn" "storage:" "  filesystem:" \
                "    rootdirectory: $d/registry/data" "  delete:" "    enabled: true" "http:" \
                "  addr: 10.231.0.1:5000" >"$d/registry/config.yml"
        (setsid nsenter "--net=/run/netns/$ns1" docker-registry serve "$d/registry/config.yml" \
                >>"$d/registry/registry.log" 2>&1 &
                echo $! >"$d/registry/registry.pid")
        RIG_NETNS=$ns1 RIG_HOSTNAME=berth-manager rig_dockerd_in "$d/manager" "" --default-address-pool base=10.232.0.0/16,size=24 \
                --insecure-registry 10.231.0.1:5000 || return 1
        RIG_NETNS=$ns2 RIG_HOSTNAME=berth-worker rig_dockerd_in "$d/worker" "" --default-address-pool base=10.233.0.0/16,size=24 \
                --insecure-registry 10.231.0.1:5000 || return 1
        m="unix://$d/manager/docker.sock" w="unix://$d/worker/docker.sock"
        if ! DOCKER_HOST=$m docker swarm init --advertise-addr 10.231.0.1 --default-addr-pool 10.234.0.0/16 \
                >"$d/init.log" 2>&1; then
                echo "swarm: FATAL: swarm init failed:" >&2
                cat "$d/init.log" >&2
                return 1
        fi
        token=$(DOCKER_HOST=$m docker swarm join-token -q worker)
        if ! DOCKER_HOST=$w docker swarm join --token "$token" 10.231.0.1:2377 >"$d/join.log" 2>&1; then
                echo "swarm: FATAL: the worker cannot join the manager:" >&2
                cat "$d/join.log" >&2
                return 1
        fi
        for _ in $(seq 1 60); do
                [ "$(DOCKER_HOST=$m docker node ls --format '{{.Status}}' | grep -c Ready)" = 2 ] && break
                sleep 0.5
        done
        DOCKER_HOST=$m docker node update --label-add zone=a "$(DOCKER_HOST=$m docker info -f '{{.Swarm.NodeID}}')" >/dev/null &&
                DOCKER_HOST=$m docker node update --label-add zone=b "$(DOCKER_HOST=$w docker info -f '{{.Swarm.NodeID}}')" >/dev/null || {
                echo "swarm: FATAL: the nodes are not both ready:" >&2
                DOCKER_HOST=$m docker node ls >&2
                return 1
        }
        docker save "$BERTH_TEST_IMAGE" >"$d/image.tar" &&
                DOCKER_HOST=$m docker load -q -i "$d/image.tar" >/dev/null &&
                DOCKER_HOST=$w docker load -q -i "$d/image.tar" >/dev/null || {
                echo "swarm: FATAL: cannot load the test image into the nodes" >&2
                return 1
        }
        rm -f "$d/image.tar"
        ip netns exec "$ns1" curl -sf -o /dev/null http://10.231.0.1:5000/v2/ || {
                echo "swarm: FATAL: the swarm's registry does not answer:" >&2
                tail -n 20 "$d/registry/registry.log" >&2
                return 1
        }
        export BERTH_TEST_SWARM_HOST=$m BERTH_TEST_SWARM_WORKER=$w BERTH_TEST_SWARM_NS=$ns1
        export BERTH_TEST_SWARM_REGISTRY=10.231.0.1:5000
}

swarm_stop() {
        local d=$SWARM_DIR
        [ -d "$d" ] || return 0
        for n in worker manager; do
                [ -S "$d/$n/docker.sock" ] && DOCKER_HOST="unix://$d/$n/docker.sock" docker swarm leave -f >/dev/null 2>&1
                rig_dockerd_stop_in "$d/$n"
        done
        [ -f "$d/registry/registry.pid" ] && kill "$(cat "$d/registry/registry.pid")" 2>/dev/null
        for ns in $(cat "$d/netns" 2>/dev/null); do ip netns del "$ns" 2>/dev/null; done
        rm -rf "$d"
        unset BERTH_TEST_SWARM_HOST BERTH_TEST_SWARM_WORKER BERTH_TEST_SWARM_NS BERTH_TEST_SWARM_REGISTRY
}

# A test's own swarm: refuses to run outside the suite's rig, and removes the swarm when the test ends
# (a test that sets a trap of its own calls swarm_stop in it).
swarm_test_start() {
        [ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
        trap 'swarm_stop' EXIT
        swarm_start || tap_bail "cannot make the two-node swarm (see above)"
}
