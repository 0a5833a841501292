#!/bin/bash
# test-compilers.sh: berth built by the other compilers and on the next Debian. The rest of the suite
# builds with Debian 12's GCC; here the repo's committed head is built warning-free (-Dwerror=true) with
# Debian 12's clang, and on Debian 13, which has newer everything (GCC 14, clang 19, libgit2 1.9,
# OpenSSL 3.5, curl 8.14, meson 1.7), with GCC and with clang, in a debootstrap chroot of trixie with
# the packages the build and the unit tests need (from Debian's archive once, then from a cache). With
# each, the unit, compose-error and fuzz-replay suites pass. (The compose suite's peer test needs
# docker-compose 1.29.2, which Debian 13 no longer has; it runs on Debian 12 in the rest of the suite.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/debian.sh"
command -v debootstrap >/dev/null || tap_bail "debootstrap is not installed (tests/install-deps.sh installs it)"
[ "$(id -u)" = 0 ] || tap_bail "a chroot needs root"
W=$(mktemp -d)
trap 'umount "$W/root/proc" 2>/dev/null; rm -rf "$W"' EXIT

include=gcc,libc6-dev,clang,meson,ninja-build,pkg-config,python3,libgit2-dev,libyaml-dev,libcurl4-openssl-dev,libcjson-dev,libssl-dev,libarchive-dev,libmicrohttpd-dev,git,ca-certificates,json-schema-test-suite,python3-jsonschema,age,man-db,groff-base,zsh,bash-completion,bsdextrautils
debian_chroot trixie "$include" "$W/root" || tap_bail "cannot make a trixie chroot with debootstrap (see above)"
tap_like "the chroot is Debian 13" "$(cat "$W/root/etc/debian_version")" '^13\.'
echo "# $(chroot "$W/root" sh -c 'gcc --version | head -n 1; clang --version | head -n 1; printf "libgit2 %s, OpenSSL %s, curl %s, meson %s\n" $(pkg-config --modversion libgit2 openssl libcurl) $(meson --version)' | tr '\n' ';')"
git clone -q "$SOURCE_DIR" "$W/root/src" || tap_bail "cannot clone $SOURCE_DIR"

# One build and its tests: where ("12": this machine, "13": the chroot) and which compiler.
build_and_test() { # debian cc
        local at=() src=/src b=/b-$2 what="$2 on Debian $1"
        if [ "$1" = 13 ]; then at=(chroot "$W/root"); else src=$W/root/src b=$W/b-$2; fi
        "${at[@]}" sh -c "cd $src && CC=$2 meson setup $b -Dwerror=true" >"$W/$1-$2-setup.log" 2>&1 &&
                "${at[@]}" ninja -C "$b" >"$W/$1-$2-build.log" 2>&1
        local rc=$?
        tap_is "builds with $what, -Dwerror=true" "$rc" "0"
        [ $rc = 0 ] || { tail -n 30 "$W/$1-$2-setup.log" "$W/$1-$2-build.log" | sed 's/^/# /'; return; }
        tap_is "without a warning ($what)" "$(grep -c 'warning:' "$W/$1-$2-build.log")" "0"
        local out n
        out=$("${at[@]}" sh -c "cd $src && meson test -C $b --no-rebuild --suite unit --suite fuzz --print-errorlogs && meson test -C $b --no-rebuild config-errors --print-errorlogs" 2>&1)
        rc=$?
        tap_is "its unit, fuzz-replay and compose-error tests pass ($what)" "$rc" "0"
        [ $rc = 0 ] || echo "$out" | grep -E 'ERROR|FAIL|not ok|^#' | head -n 40 | sed 's/^/# /'
        n=$("${at[@]}" meson test -C "$b" --list --suite unit --suite fuzz 2>/dev/null | grep -c ' / ')
        tap_is "and every one of them ran ($what)" "$(echo "$out" | sed -n 's/^Ok: *\([0-9]*\).*/\1/p' | tr '\n' ' ')" "$n 1 "
}
build_and_test 12 clang
build_and_test 13 gcc
build_and_test 13 clang
umount "$W/root/proc"
tap_done
