#!/bin/bash
# test-debian13.sh: berth on the next Debian, which has newer everything: GCC 14, clang 19, libgit2 1.9,
# OpenSSL 3.5, curl 8.14, meson 1.7. A debootstrap chroot of trixie with the packages the build and the
# unit tests need (from Debian's archive once, then from a cache); in it, the repo's committed head is
# built warning-free (-Dwerror=true) with GCC and with clang, and the unit, compose-error and
# fuzz-replay suites pass with each. (The compose suite's peer test needs docker-compose 1.29.2, which
# Debian 13 no longer has; it runs on Debian 12 in the rest of the suite.)
. "$(dirname "$0")/../lib/tap.sh"
command -v debootstrap >/dev/null || tap_bail "debootstrap is not installed (tests/install-deps.sh installs it)"
[ "$(id -u)" = 0 ] || tap_bail "a chroot needs root"
W=$(mktemp -d)
trap 'umount "$W/root/proc" 2>/dev/null; rm -rf "$W"' EXIT

include=gcc,libc6-dev,clang,meson,ninja-build,pkg-config,python3,libgit2-dev,libyaml-dev,libcurl4-openssl-dev,libcjson-dev,libssl-dev,libarchive-dev,libmicrohttpd-dev,git,ca-certificates,json-schema-test-suite,python3-jsonschema,age,man-db,groff-base,zsh,bash-completion,bsdextrautils
key=$(echo "trixie $include" | sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/berth-debian/trixie-$key
if [ ! -f "$cache/rootfs.tar" ]; then
        mkdir -p "$cache"
        echo "# making a trixie chroot with debootstrap (cached in $cache)"
        debootstrap --variant=minbase --include="$include" trixie "$W/mk" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
                >"$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log" | sed 's/^/# /'; tap_bail "debootstrap failed"; }
        rm -rf "$W/mk/var/cache/apt/archives/"*.deb
        tar -C "$W/mk" --numeric-owner -cf "$cache/rootfs.tar.part" . && mv "$cache/rootfs.tar.part" "$cache/rootfs.tar"
        rm -rf "$W/mk"
fi
mkdir "$W/root" && tar -C "$W/root" -xf "$cache/rootfs.tar" || tap_bail "cannot unpack the chroot"
mount -t proc proc "$W/root/proc"
tap_like "the chroot is Debian 13" "$(cat "$W/root/etc/debian_version")" '^13\.'
echo "# $(chroot "$W/root" sh -c 'gcc --version | head -n 1; clang --version | head -n 1; printf "libgit2 %s, OpenSSL %s, curl %s, meson %s\n" $(pkg-config --modversion libgit2 openssl libcurl) $(meson --version)' | tr '\n' ';')"
git clone -q "$SOURCE_DIR" "$W/root/src" || tap_bail "cannot clone $SOURCE_DIR"

for cc in gcc clang; do
        chroot "$W/root" sh -c "cd /src && CC=$cc meson setup /b-$cc -Dwerror=true" >"$W/$cc-setup.log" 2>&1 &&
                chroot "$W/root" ninja -C "/b-$cc" >"$W/$cc-build.log" 2>&1
        rc=$?
        tap_is "builds with $cc on Debian 13, -Dwerror=true" "$rc" "0"
        [ $rc = 0 ] || { tail -n 30 "$W/$cc-setup.log" "$W/$cc-build.log" | sed 's/^/# /'; continue; }
        tap_is "without a warning" "$(grep -c 'warning:' "$W/$cc-build.log")" "0"
        out=$(chroot "$W/root" sh -c "cd /src && meson test -C /b-$cc --no-rebuild --suite unit --suite fuzz --print-errorlogs && meson test -C /b-$cc --no-rebuild config-errors --print-errorlogs" 2>&1)
        rc=$?
        tap_is "its unit, fuzz-replay and compose-error tests pass ($cc)" "$rc" "0"
        [ $rc = 0 ] || echo "$out" | grep -E 'ERROR|FAIL|not ok|^#' | head -n 40 | sed 's/^/# /'
        tap_like "and they all ran: 43 and 1 ($cc)" "$(echo "$out" | grep -E '^Ok:' | tr -s ' ' | tr '\n' ' ')" '^Ok: 43 Ok: 1 $'
done
umount "$W/root/proc"
tap_done
