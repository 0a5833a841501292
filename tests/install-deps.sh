#!/bin/bash
# install-deps.sh: installs from Debian 12 everything berth needs to build and test. Idempotent: apt is
# only asked when something is missing.
set -eu
packages=(
        # build
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev python3
        libgit2-dev libyaml-dev libcurl4-openssl-dev libcjson-dev libssl-dev libarchive-dev libmicrohttpd-dev
        # the real components the tests start, and the clients that check them
        docker.io iptables busybox-static openssl docker-compose python3-docker python3-jsonschema
        json-schema-test-suite git jq hyperfine clang-format procps
)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "install-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
