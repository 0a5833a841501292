# debian.sh: the Debian 12 base image berth's own images build from, made here rather than pulled (no
# registry outside the machine is reached). Sourced after rig.sh. debian_base makes:
#   - debian:bookworm-slim on the rig's engine: `debootstrap --variant=minbase bookworm`, apt's caches
#     emptied, imported with the CMD the official image has;
#   - a local apt archive of exactly the packages berth's Dockerfiles install (and their dependencies),
#     served on 127.0.0.1 while the test runs: DEBIAN_APT_SOURCES is the sources line a build passes
#     as APT_SOURCES (with `docker build --network host`), so a build reaches nothing but 127.0.0.1.
# Both come from Debian's archive once and are kept under ~/.cache/berth-debian, keyed by the package
# list, so a second run (the sanitizer build's) makes them from the cache in seconds.

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What docker/berth and docker/berth-api install, in their build and final stages.
DEBIAN_PACKAGES="gcc libc6-dev meson ninja-build pkg-config python3 libgit2-dev libyaml-dev libcurl4-openssl-dev
libcjson-dev libssl-dev libarchive-dev libmicrohttpd-dev libnghttp2-dev libidn2-dev librtmp-dev libpsl-dev libkrb5-dev libldap-dev libzstd-dev libbrotli-dev nettle-dev libacl1-dev liblzma-dev liblz4-dev libbz2-dev
ca-certificates git curl libyaml-0-2 libcjson1 libnghttp2-14 libidn2-0 librtmp1 libpsl5 libgssapi-krb5-2
libldap-2.5-0 libzstd1 libbrotli1 libnettle8 libacl1 liblzma5 liblz4-1 libbz2-1.0 libmicrohttpd12"

debian_base() {
        local key cache root
        command -v debootstrap >/dev/null || { echo "debian: debootstrap is not installed" >&2; return 1; }
        command -v dpkg-scanpackages >/dev/null || { echo "debian: dpkg-scanpackages is missing (dpkg-dev)" >&2; return 1; }
        key=$(printf '%s\n' bookworm "$DEBIAN_PACKAGES" | sha256sum | cut -c1-12)
        cache=${XDG_CACHE_HOME:-$HOME/.cache}/berth-debian/$key
        mkdir -p "$cache/debs"
        if [ ! -f "$cache/rootfs.tar" ] || [ ! -f "$cache/debs/Packages.gz" ]; then
                echo "debian: making bookworm (minbase) and the packages' archive from $DEBIAN_MIRROR (cached in $cache)" >&2
                root=$(mktemp -d /tmp/berth-debian.XXXXXX)
                # First everything the images install, dependencies resolved by debootstrap, into the
                # cache; then the minbase system from that cache (its packages are among them).
                if ! debootstrap --variant=minbase --download-only --cache-dir="$cache/debs" \
                        --include="$(echo $DEBIAN_PACKAGES | tr ' ' ,)" bookworm "$root/dl" "$DEBIAN_MIRROR" \
                        >"$cache/debootstrap.log" 2>&1 ||
                        ! debootstrap --variant=minbase --cache-dir="$cache/debs" bookworm "$root/fs" "$DEBIAN_MIRROR" \
                                >>"$cache/debootstrap.log" 2>&1; then
                        echo "debian: FATAL: debootstrap failed; its log ends with:" >&2
                        tail -n 20 "$cache/debootstrap.log" >&2
                        rm -rf "$root"
                        return 1
                fi
                # Slimmed as the official image is (debuerreotype --slimify): no documentation, manual
                # pages or translations, now or from packages installed later, and no package lists or
                # downloaded packages kept.
                printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
                        'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
                        'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
                        'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' \
                        >"$root/fs/etc/dpkg/dpkg.cfg.d/docker"
                printf '%s\n' 'APT::Keep-Downloaded-Packages "false";' >"$root/fs/etc/apt/apt.conf.d/docker-clean"
                find "$root/fs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
                find "$root/fs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
                rm -rf "$root/fs/usr/share/man/"* "$root/fs/usr/share/groff/"* "$root/fs/usr/share/info/"* \
                        "$root/fs/usr/share/lintian/"* "$root/fs/usr/share/linda/"* \
                        "$root/fs/var/cache/apt/archives/"*.deb "$root/fs/var/lib/apt/lists/"* "$root/fs/debootstrap"
                tar -C "$root/fs" --numeric-owner -cf "$cache/rootfs.tar.part" . &&
                        mv "$cache/rootfs.tar.part" "$cache/rootfs.tar"
                (cd "$cache/debs" && dpkg-scanpackages --multiversion . 2>/dev/null | gzip -9 >Packages.gz.part &&
                        mv Packages.gz.part Packages.gz)
                rm -rf "$root"
        fi
        [ -f "$cache/rootfs.tar" ] && [ -s "$cache/debs/Packages.gz" ] || {
                echo "debian: FATAL: no base system in $cache" >&2
                return 1
        }
        # Imported once per base system: another import would be another image, and every build's
        # layer cache from it would start again.
        if [ "$(docker image inspect -f '{{index .Config.Labels "io.berth.debian-base"}}' debian:bookworm-slim 2>/dev/null)" != "$key" ] &&
                ! docker import --change 'CMD ["bash"]' --change "LABEL io.berth.debian-base=$key" \
                        "$cache/rootfs.tar" debian:bookworm-slim >/dev/null; then
                echo "debian: FATAL: cannot import the base system as debian:bookworm-slim" >&2
                return 1
        fi
        local port
        port=$(rig_free_port)
        (setsid /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$cache/debs" "$port" \
                >"$BERTH_RIG_DIR/apt-archive.log" 2>&1 &
                echo $! >"$BERTH_RIG_DIR/apt-archive.pid")
        for _ in $(seq 1 100); do
                if curl -sf -o /dev/null "http://127.0.0.1:$port/Packages.gz"; then
                        export DEBIAN_APT_SOURCES="deb [trusted=yes] http://127.0.0.1:$port ./"
                        return 0
                fi
                sleep 0.1
        done
        echo "debian: FATAL: the local apt archive does not answer" >&2
        return 1
}

debian_base_stop() {
        [ -f "${BERTH_RIG_DIR:-/nonexistent}/apt-archive.pid" ] && kill "$(cat "$BERTH_RIG_DIR/apt-archive.pid")" 2>/dev/null
        return 0
}

# debian_chroot SUITE PACKAGES DIR: a minbase system of SUITE (bookworm, trixie) with PACKAGES (comma
# separated) unpacked in DIR, with /proc mounted (the caller unmounts it). Made by debootstrap from
# Debian's archive once, then unpacked from a tarball kept under ~/.cache/berth-debian, keyed by both.
debian_chroot() {
        local key cache mk
        key=$(echo "$1 $2" | sha256sum | cut -c1-12)
        cache=${XDG_CACHE_HOME:-$HOME/.cache}/berth-debian/$1-$key
        if [ ! -f "$cache/rootfs.tar" ]; then
                mkdir -p "$cache"
                mk=$(mktemp -d /tmp/berth-chroot.XXXXXX)
                echo "# making a $1 chroot with debootstrap (cached in $cache)"
                if ! debootstrap --variant=minbase --include="$2" "$1" "$mk/fs" "$DEBIAN_MIRROR" >"$cache/debootstrap.log" 2>&1; then
                        tail -n 20 "$cache/debootstrap.log" | sed 's/^/# /'
                        rm -rf "$mk"
                        return 1
                fi
                rm -rf "$mk/fs/var/cache/apt/archives/"*.deb
                tar -C "$mk/fs" --numeric-owner -cf "$cache/rootfs.tar.part" . && mv "$cache/rootfs.tar.part" "$cache/rootfs.tar"
                rm -rf "$mk"
        fi
        mkdir -p "$3" && tar -C "$3" -xf "$cache/rootfs.tar" && mount -t proc proc "$3/proc"
}
