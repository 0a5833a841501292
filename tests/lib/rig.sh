# rig.sh: the test rig, sourced by tests/run.sh. rig_start starts a private dockerd (its own data-root,
# exec-root and unix socket under a temporary directory) that also listens on tcp://127.0.0.1:<free
# port> with --tlsverify, using a CA and server/client certificates made here with openssl. It builds
# the busybox test image. rig_stop stops dockerd and removes everything. If dockerd does not come up,
# rig_start prints why and returns 1: the caller must fail the run, never skip.
#
# Its bridge networks come from one private /16 in /24s: the defaults allow only about 30, and a
# reconcile of 100 stacks makes 100. Containers are reached through ports on 127.0.0.1, never these.
# rig_dockerd and rig_dockerd_kill restart and crash the engine for fault tests.
#
# Exports: DOCKER_HOST (the unix socket), BERTH_TEST_TLS_HOST, BERTH_TEST_CERTS (ca.pem, cert.pem and
# key.pem for a client, as DOCKER_CERT_PATH expects), BERTH_TEST_BAD_CERTS (a client signed by another
# CA), BERTH_TEST_IMAGE, BERTH_RIG_DIR, and the registry's and the git server's (below).

# Where this file is, resolved now: callers may change directory before rig_start.
RIG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rig_free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rig_make_certs() {
        local d=$1 ca=$1/ca
        mkdir -p "$ca" "$d/server" "$d/client" "$d/badclient" || return 1
        (
                set -e
                cd "$d"
                openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=berth test CA" \
                        -keyout ca/ca-key.pem -out ca/ca.pem 2>/dev/null
                openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
                        -keyout server/key.pem -out server/req.pem 2>/dev/null
                printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server/ext.cnf
                openssl x509 -req -days 2 -in server/req.pem -CA ca/ca.pem -CAkey ca/ca-key.pem -CAcreateserial \
                        -extfile server/ext.cnf -out server/cert.pem 2>/dev/null
                openssl req -newkey rsa:2048 -nodes -subj "/CN=berth test client" \
                        -keyout client/key.pem -out client/req.pem 2>/dev/null
                printf 'extendedKeyUsage=clientAuth\n' >client/ext.cnf
                openssl x509 -req -days 2 -in client/req.pem -CA ca/ca.pem -CAkey ca/ca-key.pem -CAcreateserial \
                        -extfile client/ext.cnf -out client/cert.pem 2>/dev/null
                cp ca/ca.pem client/ca.pem
                # A client whose certificate another CA signed: the daemon must refuse it.
                openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rogue CA" \
                        -keyout badclient/ca-key.pem -out badclient/rogue-ca.pem 2>/dev/null
                openssl req -newkey rsa:2048 -nodes -subj "/CN=rogue client" \
                        -keyout badclient/key.pem -out badclient/req.pem 2>/dev/null
                openssl x509 -req -days 2 -in badclient/req.pem -CA badclient/rogue-ca.pem \
                        -CAkey badclient/ca-key.pem -CAcreateserial -extfile client/ext.cnf \
                        -out badclient/cert.pem 2>/dev/null
                cp ca/ca.pem badclient/ca.pem
                chmod 600 */key.pem
        )
}

# Starts a dockerd whose state is all under DIR (data, exec root, socket, log), listening on its socket
# and on 127.0.0.1:PORT with mutual TLS (the rig's CA), plus any further flags; waits until it answers.
# PORT empty: the socket alone. RIG_NETNS set: the dockerd runs in that network namespace, and in a UTS
# namespace of its own named RIG_HOSTNAME (a swarm node's name) when that is set.
rig_dockerd_in() { # dir port flags...
        local d=$1 port=$2
        local -a tls=() netns=()
        shift 2
        [ -n "$port" ] && tls=(-H "tcp://127.0.0.1:$port" --tlsverify --tlscacert "$BERTH_RIG_DIR/certs/ca/ca.pem"
                --tlscert "$BERTH_RIG_DIR/certs/server/cert.pem" --tlskey "$BERTH_RIG_DIR/certs/server/key.pem")
        # nsenter, not `ip netns exec`: that mounts a sysfs of its own, without the cgroup mounts.
        [ -n "${RIG_NETNS:-}" ] && netns=(nsenter "--net=/run/netns/$RIG_NETNS")
        [ -n "${RIG_HOSTNAME:-}" ] && netns+=(unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$RIG_HOSTNAME")
        mkdir -p "$d"
        # setsid: a restart made by a test must outlive the test's process group.
        (setsid "${netns[@]}" dockerd --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/dockerd.pid" \
                -H "unix://$d/docker.sock" "${tls[@]}" "$@" >>"$d/dockerd.log" 2>&1 &
                echo $! >"$d/dockerd.launched")
        for _ in $(seq 1 120); do
                DOCKER_HOST="unix://$d/docker.sock" docker version >/dev/null 2>&1 && return 0
                kill -0 "$(cat "$d/dockerd.launched")" 2>/dev/null || break
                sleep 0.5
        done
        echo "rig: FATAL: the dockerd in $d did not start; its log ends with:" >&2
        tail -n 25 "$d/dockerd.log" >&2
        return 1
}

# Starts (or restarts) the rig's dockerd with the same flags.
rig_dockerd() {
        rig_dockerd_in "$BERTH_RIG_DIR" "$(cat "$BERTH_RIG_DIR/port")" --default-address-pool base=10.213.0.0/16,size=24
}

# Kills the rig's dockerd hard, as a crash would, with the containerd it runs: an orphaned containerd
# would keep the exec-root and the restarted dockerd could not start its own.
rig_dockerd_kill() {
        local pid
        pid=$(cat "$BERTH_RIG_DIR/dockerd.launched")
        kill -9 "$pid" 2>/dev/null
        pkill -9 -f "^containerd .*$BERTH_RIG_DIR" 2>/dev/null
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$BERTH_RIG_DIR/dockerd.pid" "$BERTH_RIG_DIR/exec/containerd/containerd.pid"
}

# Bridges in the rig's address pools that an earlier rig left (its dockerd killed before it could remove
# them): each holds a subnet the next dockerd would then find taken, until the pools run dry.
rig_sweep_bridges() {
        ip -o -4 addr show 2>/dev/null | awk '$4 ~ /^10\.21[345]\./ && $2 ~ /^br-/ { print $2 }' | sort -u |
                while read -r dev; do ip link del "$dev" 2>/dev/null; done
}

rig_start() {
        command -v dockerd >/dev/null || { echo "rig: dockerd is not installed (Debian package docker.io)" >&2; return 1; }
        rig_sweep_bridges
        BERTH_RIG_DIR=$(mktemp -d /tmp/berth-rig.XXXXXX)
        rig_make_certs "$BERTH_RIG_DIR/certs" || { echo "rig: cannot make certificates with openssl" >&2; return 1; }
        rig_free_port >"$BERTH_RIG_DIR/port"
        export BERTH_RIG_DIR
        rig_dockerd || return 1
        local port
        port=$(cat "$BERTH_RIG_DIR/port")
        export DOCKER_HOST="unix://$BERTH_RIG_DIR/docker.sock"
        export BERTH_TEST_TLS_HOST="tcp://127.0.0.1:$port"
        export BERTH_TEST_CERTS="$BERTH_RIG_DIR/certs/client"
        export BERTH_TEST_BAD_CERTS="$BERTH_RIG_DIR/certs/badclient"
        export BERTH_TEST_IMAGE="berth-test/busybox:latest"
        # Deployed stacks' files (bind mounts, configs) live with the rig, and go with it.
        export BERTH_STATE_DIR="$BERTH_RIG_DIR/state"
        local ctx="$BERTH_RIG_DIR/image"
        mkdir -p "$ctx"
        cp /bin/busybox "$ctx/busybox" || { echo "rig: /bin/busybox missing (Debian package busybox-static)" >&2; return 1; }
        cp "$RIG_LIB_DIR/../data/test-image/Dockerfile" "$ctx/"
        if ! DOCKER_BUILDKIT=0 docker build -q -t "$BERTH_TEST_IMAGE" "$ctx" >"$BERTH_RIG_DIR/build.log" 2>&1; then
                echo "rig: FATAL: cannot build the busybox test image:" >&2
                cat "$BERTH_RIG_DIR/build.log" >&2
                return 1
        fi
        rig_registry || return 1
        rig_git_http || return 1
        echo "rig: dockerd $(docker version --format '{{.Server.Version}}') on $DOCKER_HOST and $BERTH_TEST_TLS_HOST (tls);" \
                "registry on $BERTH_TEST_REGISTRY (basic auth);" \
                "git over HTTP on $BERTH_TEST_GIT_URL and $BERTH_TEST_GIT_TLS_URL (basic auth)"
}

# A registry (Debian's docker-registry, Distribution 2.8) on 127.0.0.1 with htpasswd auth and a password
# made for this run. Plain HTTP: the engine treats 127.0.0.0/8 registries as insecure ones, as it does
# for every such address. Sets BERTH_TEST_REGISTRY (host:port), _USER and _PASSWORD.
rig_registry() {
        local d=$BERTH_RIG_DIR/registry port
        command -v docker-registry >/dev/null || { echo "rig: docker-registry is not installed" >&2; return 1; }
        mkdir -p "$d/data"
        port=$(rig_free_port)
        export BERTH_TEST_REGISTRY="127.0.0.1:$port" BERTH_TEST_REGISTRY_USER=berth
        BERTH_TEST_REGISTRY_PASSWORD=$(openssl rand -hex 12)
        export BERTH_TEST_REGISTRY_PASSWORD
        htpasswd -Bbn "$BERTH_TEST_REGISTRY_USER" "$BERTH_TEST_REGISTRY_PASSWORD" >"$d/htpasswd" 2>/dev/null || {
                echo "rig: cannot make the registry's htpasswd (apache2-utils)" >&2
                return 1
        }
        printf '%s\n' "version: 0.1" "log:" "  level: warn" "storage:" "  filesystem:" \
                "    rootdirectory: $d/data" "  delete:" "    enabled: true" "http:" "  addr: $BERTH_TEST_REGISTRY" \
                "  secret: berth-rig" "auth:" "  htpasswd:" "    realm: berth-rig" "    path: $d/htpasswd" >"$d/config.yml"
        (setsid docker-registry serve "$d/config.yml" >>"$d/registry.log" 2>&1 &
                echo $! >"$d/registry.pid")
        for _ in $(seq 1 100); do
                [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$BERTH_TEST_REGISTRY/v2/")" = 401 ] && return 0
                sleep 0.1
        done
        echo "rig: FATAL: the registry did not start; its log ends with:" >&2
        tail -n 20 "$d/registry.log" >&2
        return 1
}

# A git server over smart HTTP: git http-backend behind nginx (Debian's) and fcgiwrap, on 127.0.0.1 with
# basic auth and a password made for this run. Bare repositories go in $BERTH_TEST_GIT_ROOT; one named
# NAME.git is served at $BERTH_TEST_GIT_URL/NAME.git. Sets BERTH_TEST_GIT_USER and _PASSWORD. Pushing
# works because nginx passes the authenticated user on (http-backend lets only a known user push).
rig_git_http() {
        local d=$BERTH_RIG_DIR/git port tls_port
        for c in nginx fcgiwrap; do
                command -v $c >/dev/null || { echo "rig: $c is not installed" >&2; return 1; }
        done
        [ -x /usr/lib/git-core/git-http-backend ] || { echo "rig: git-http-backend is missing" >&2; return 1; }
        mkdir -p "$d/repos" "$d/tmp"
        port=$(rig_free_port)
        tls_port=$(rig_free_port)
        # The same server over https too, its certificate signed by the rig's CA (which nothing trusts
        # unless a test says so). Named localhost: libgit2's mbedTLS (2.28) matches a certificate's DNS
        # names only, never its IP addresses.
        export BERTH_TEST_GIT_ROOT=$d/repos BERTH_TEST_GIT_URL="http://127.0.0.1:$port" BERTH_TEST_GIT_USER=berth
        export BERTH_TEST_GIT_TLS_URL="https://localhost:$tls_port"
        BERTH_TEST_GIT_PASSWORD=$(openssl rand -hex 12)
        export BERTH_TEST_GIT_PASSWORD
        htpasswd -bc "$d/htpasswd" "$BERTH_TEST_GIT_USER" "$BERTH_TEST_GIT_PASSWORD" >/dev/null 2>&1 || {
                echo "rig: cannot make the git server's htpasswd" >&2
                return 1
        }
        (setsid fcgiwrap -c 4 -s "unix:$d/fcgi.sock" >>"$d/fcgiwrap.log" 2>&1 &
                echo $! >"$d/fcgiwrap.pid")
        cat >"$d/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
        access_log $d/access.log;
        client_body_temp_path $d/tmp/body;
        fastcgi_temp_path $d/tmp/fastcgi;
        proxy_temp_path $d/tmp/proxy;
        uwsgi_temp_path $d/tmp/uwsgi;
        scgi_temp_path $d/tmp/scgi;
        server {
                listen 127.0.0.1:$port;
                listen 127.0.0.1:$tls_port ssl;
                ssl_certificate $BERTH_RIG_DIR/certs/server/cert.pem;
                ssl_certificate_key $BERTH_RIG_DIR/certs/server/key.pem;
                client_max_body_size 0;
                location / {
                        auth_basic "berth rig git";
                        auth_basic_user_file $d/htpasswd;
                        include /etc/nginx/fastcgi_params;
                        fastcgi_pass unix:$d/fcgi.sock;
                        fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
                        fastcgi_param GIT_PROJECT_ROOT $d/repos;
                        fastcgi_param GIT_HTTP_EXPORT_ALL "";
                        fastcgi_param PATH_INFO \$uri;
                        fastcgi_param REMOTE_USER \$remote_user;
                }
        }
}
EOF
        nginx -c "$d/nginx.conf" -p "$d" 2>>"$d/error.log" || {
                echo "rig: FATAL: nginx did not start:" >&2
                tail -n 20 "$d/error.log" >&2
                return 1
        }
        git init -q --bare "$d/repos/probe.git"
        for _ in $(seq 1 100); do
                if [ -S "$d/fcgi.sock" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' \
                        "$BERTH_TEST_GIT_URL/probe.git/info/refs?service=git-upload-pack")" = 401 ] &&
                        git -c credential.helper= -c "http.extraHeader=Authorization: Basic $(printf '%s:%s' "$BERTH_TEST_GIT_USER" "$BERTH_TEST_GIT_PASSWORD" | base64 -w0)" \
                                ls-remote "$BERTH_TEST_GIT_URL/probe.git" >/dev/null 2>&1 &&
                        [ "$(curl -s --cacert "$BERTH_RIG_DIR/certs/ca/ca.pem" -o /dev/null -w '%{http_code}' \
                                --resolve "localhost:$tls_port:127.0.0.1" "$BERTH_TEST_GIT_TLS_URL/probe.git/info/refs?service=git-upload-pack")" = 401 ]; then
                        return 0
                fi
                sleep 0.1
        done
        echo "rig: FATAL: the git server does not answer; its logs end with:" >&2
        tail -n 20 "$d/error.log" "$d/fcgiwrap.log" >&2
        return 1
}

rig_git_http_stop() {
        local d=${BERTH_RIG_DIR:-/nonexistent}/git
        [ -f "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null
        # fcgiwrap's workers are its children in its own session (setsid): the whole group goes.
        [ -f "$d/fcgiwrap.pid" ] && kill -- "-$(cat "$d/fcgiwrap.pid")" 2>/dev/null
        return 0
}

# A second engine, for tests of targets: its own data, socket, TLS port (the same CA) and bridge. It
# must not touch the first's: a dockerd without a bridge of its own deletes docker0, and two that
# both write iptables rules fight, so it gets a bridge made here and leaves iptables alone. It sets
# BERTH_TEST_HOST2 (unix) and BERTH_TEST_TLS_HOST2, and has the test image.
rig_second_start() {
        local d=$BERTH_RIG_DIR/second port
        mkdir -p "$d"
        port=$(rig_free_port)
        ip link add name berth-rig2 type bridge 2>/dev/null
        ip addr add 10.215.0.1/24 dev berth-rig2 2>/dev/null
        ip link set berth-rig2 up || { echo "rig: cannot make the second engine's bridge" >&2; return 1; }
        rig_dockerd_in "$d" "$port" --bridge=berth-rig2 --iptables=false --ip6tables=false \
                --default-address-pool base=10.214.0.0/16,size=24 || return 1
        export BERTH_TEST_HOST2="unix://$d/docker.sock" BERTH_TEST_TLS_HOST2="tcp://127.0.0.1:$port"
        docker save "$BERTH_TEST_IMAGE" | DOCKER_HOST=$BERTH_TEST_HOST2 docker load -q >/dev/null && return 0
        echo "rig: cannot load the test image into the second engine" >&2
        return 1
}

# Stops the dockerd in DIR (as rig_dockerd_in started it), removing its containers, and DIR itself.
rig_dockerd_stop_in() { # dir
        local d=$1 pid
        # dockerd's own pidfile first; the launcher's record if dockerd never got that far.
        pid=$(cat "$d/dockerd.pid" 2>/dev/null || cat "$d/dockerd.launched" 2>/dev/null)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                DOCKER_HOST="unix://$d/docker.sock" docker rm -f $(DOCKER_HOST="unix://$d/docker.sock" docker ps -aq) >/dev/null 2>&1
                # A network's bridge outlives its dockerd; left behind, its subnet is taken for good.
                DOCKER_HOST="unix://$d/docker.sock" docker network prune -f >/dev/null 2>&1
                kill "$pid"
                for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
                kill -9 "$pid" 2>/dev/null
        fi
        # A dockerd that was once SIGKILLed (test-faults) can leave shims behind, each keeping its
        # container's processes alive: kill them and what they run.
        for shim in $(pgrep -f "containerd-shim.* -address $d/exec/"); do
                pkill -9 -P "$shim" 2>/dev/null
                kill -9 "$shim" 2>/dev/null
        done
        # Leftover overlay or shm mounts would keep the directory busy.
        grep -o " $d[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        rm -rf "$d"
}

rig_second_stop() {
        [ -d "${BERTH_RIG_DIR:-/nonexistent}/second" ] || return 0
        rig_dockerd_stop_in "$BERTH_RIG_DIR/second"
        ip link del berth-rig2 2>/dev/null
        unset BERTH_TEST_HOST2 BERTH_TEST_TLS_HOST2
}

# A Podman service (Debian's podman 4.3, rootful) on a socket of its own, with its own storage and
# configuration, for the tests that run berth against Podman's Docker-compatible API. On these machines
# root lacks CAP_SYS_RESOURCE, so Podman's default nofile/nproc limits (above the current ones) cannot be
# set, and crun refuses the mixed cgroup layout: containers.conf lowers the ulimits and names runc.
# Events go to a file (no journald here). The rig's test image is loaded into it. Exports
# BERTH_TEST_PODMAN_HOST; rig_podman runs the podman CLI on that storage.
rig_podman() {
        CONTAINERS_CONF="$BERTH_RIG_DIR/podman/containers.conf" \
                CONTAINERS_STORAGE_CONF="$BERTH_RIG_DIR/podman/storage.conf" podman "$@"
}

rig_podman_start() {
        command -v podman >/dev/null || { echo "rig: podman is not installed (Debian package podman)" >&2; return 1; }
        local d="$BERTH_RIG_DIR/podman"
        mkdir -p "$d/storage" "$d/run" || return 1
        cat >"$d/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
CONF
        cat >"$d/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$d/storage"
runroot = "$d/run"
CONF
        # Started directly, not through rig_podman: $! must be podman itself, not a subshell, for
        # rig_podman_stop to stop it.
        CONTAINERS_CONF="$d/containers.conf" CONTAINERS_STORAGE_CONF="$d/storage.conf" \
                podman system service --time=0 "unix://$d/podman.sock" >"$d/service.log" 2>&1 &
        echo $! >"$d/service.pid"
        local i
        for i in $(seq 1 100); do
                curl -sf --unix-socket "$d/podman.sock" http://podman/_ping >/dev/null 2>&1 && break
                sleep 0.1
        done
        if ! curl -sf --unix-socket "$d/podman.sock" http://podman/_ping >/dev/null 2>&1; then
                echo "rig: FATAL: the Podman service did not come up:" >&2
                cat "$d/service.log" >&2
                return 1
        fi
        if ! docker save "$BERTH_TEST_IMAGE" | rig_podman load -q >"$d/load.log" 2>&1; then
                echo "rig: FATAL: cannot load the test image into Podman:" >&2
                cat "$d/load.log" >&2
                return 1
        fi
        export BERTH_TEST_PODMAN_HOST="unix://$d/podman.sock"
        echo "# rig: podman $(rig_podman --version | awk '{print $3}') on $BERTH_TEST_PODMAN_HOST"
}

rig_podman_stop() {
        local d="${BERTH_RIG_DIR:-/nonexistent}/podman"
        [ -f "$d/service.pid" ] || return 0
        rig_podman rm -af -t 0 >/dev/null 2>&1
        rig_podman pod rm -af >/dev/null 2>&1
        rig_podman volume rm -af >/dev/null 2>&1
        rig_podman network prune -f >/dev/null 2>&1
        local pid i
        pid=$(cat "$d/service.pid")
        kill "$pid" 2>/dev/null
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$d/service.pid"
        rig_podman system reset -f >/dev/null 2>&1
        rm -rf "$d"
        unset BERTH_TEST_PODMAN_HOST
}

rig_stop() {
        [ -n "${BERTH_RIG_DIR:-}" ] || return 0
        rig_podman_stop
        rig_second_stop
        rig_git_http_stop
        kill "$(cat "$BERTH_RIG_DIR/registry/registry.pid" 2>/dev/null)" 2>/dev/null
        rig_dockerd_stop_in "$BERTH_RIG_DIR"
        unset BERTH_RIG_DIR
}
