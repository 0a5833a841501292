#!/bin/bash
# test-package.sh: berth as a packager and a new user receive it. From a clone of the repo's committed
# head: `meson dist` makes a tarball that builds from scratch, with --version naming the commit; the
# default build links the system's shared libraries (no libgit2 or OpenSSL inside the binary);
# `meson install` puts every file in place; dpkg-buildpackage makes the packages berth and berth-api,
# which lintian passes; they install with apt into a fresh Debian 12 chroot (debootstrap, with only
# their dependencies from Debian, kept in a cache) and work there: `berth config` on the bundled
# example, `man` on every page, the service's user and root-only credential files, and the unit
# verified and scored by systemd-analyze. Checked with git, tar, ldd, dpkg, lintian, man and
# systemd-analyze, never through berth's own reading of itself.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/debian.sh"
for c in debootstrap dpkg-buildpackage lintian pandoc systemd-analyze man; do
        command -v "$c" >/dev/null || tap_bail "$c is not installed (tests/install-deps.sh installs it)"
done
[ "$(id -u)" = 0 ] || tap_bail "a chroot needs root"
W=$(mktemp -d)
trap 'umount "$W/root/proc" 2>/dev/null; rm -rf "$W"' EXIT
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com

git clone -q "$SOURCE_DIR" "$W/src" || tap_bail "cannot clone $SOURCE_DIR"
commit=$(git -C "$W/src" rev-parse --short=12 HEAD)
version=$(sed -n "s/^        version : '\(.*\)',/\1/p" "$W/src/meson.build")

# The release tarball, and a build from it alone.
meson setup "$W/b" "$W/src" -Dtests=false >"$W/setup.log" 2>&1 &&
        meson dist -C "$W/b" --no-tests --formats xztar >"$W/dist.log" 2>&1
tap_is "meson dist makes the tarball" "$? $(ls "$W/b/meson-dist/")" "0 berth-$version.tar.xz
berth-$version.tar.xz.sha256sum"
mkdir "$W/x" && tar -C "$W/x" -xf "$W/b/meson-dist/berth-$version.tar.xz"
tap_is "it carries the commit it was made from" "$(cat "$W/x/berth-$version/.berth-commit")" "$commit"
tap_is "and no .git" "$(ls -a "$W/x/berth-$version" | grep -c '^\.git$')" "0"
meson setup "$W/xb" "$W/x/berth-$version" >"$W/xsetup.log" 2>&1 && ninja -C "$W/xb" >"$W/xbuild.log" 2>&1
rc=$?
tap_is "the tarball builds from scratch (tests and all)" "$rc" "0"
[ $rc = 0 ] || tail -n 20 "$W/xsetup.log" "$W/xbuild.log" | sed 's/^/# /'
tap_is "berth --version names the version and the commit" "$("$W/xb/reconciler/berth" --version)" \
        "berth $version (commit $commit)"
tap_is "berth-api --version too" "$("$W/xb/api/berth-api" --version)" "berth-api $version (commit $commit)"
tap_like "the default build loads libgit2 as a shared library" "$(ldd "$W/xb/reconciler/berth")" 'libgit2\.so'
tap_like "and OpenSSL's libcrypto" "$(ldd "$W/xb/reconciler/berth")" 'libcrypto\.so'
tap_is "and has no mbedTLS call wrapped inside" "$(nm "$W/xb/reconciler/berth" 2>/dev/null | grep -c __wrap_mbedtls)" "0"

# meson install, into a staging directory.
DESTDIR="$W/inst" meson install -C "$W/xb" --no-rebuild >"$W/install.log" 2>&1
tap_is "meson install" "$?" "0"
for f in usr/local/bin/berth usr/local/bin/berth-api usr/local/share/man/man1/berth.1 \
        usr/local/share/man/man1/berth-reconcile.1 usr/local/share/man/man8/berth-api.8 \
        usr/local/share/man/man5/berth.yaml.5 usr/local/share/man/man5/berth-templates.5 \
        usr/local/share/bash-completion/completions/berth usr/local/share/zsh/vendor-completions/_berth \
        usr/local/share/berth/templates/webapp-db/definition.json usr/local/lib/sysusers.d/berth-api.conf \
        usr/local/share/doc/berth-api/examples/config.yaml; do
        tap_check "installs /$f" test -s "$W/inst/$f"
done
unit=$(find "$W/inst" -name berth-api.service)
tap_check "installs the unit, pointing at the installed binary" grep -qx 'ExecStart=/usr/local/bin/berth-api' "$unit"

# The Debian packages.
(cd "$W/src" && dpkg-buildpackage -b -us -uc) >"$W/deb.log" 2>&1
rc=$?
tap_is "dpkg-buildpackage -b builds them" "$rc" "0"
[ $rc = 0 ] || tail -n 30 "$W/deb.log" | sed 's/^/# /'
deb=$W/berth_${version}_amd64.deb api=$W/berth-api_${version}_amd64.deb
tap_like "berth depends on the shared libraries it links" "$(dpkg-deb -f "$deb" Depends)" \
        'libgit2-1\.5.*libssl3|libssl3.*libgit2-1\.5'
tap_like "berth-api depends on libmicrohttpd and on something that makes its user" \
        "$(dpkg-deb -f "$api" Depends)" 'libmicrohttpd12.*systemd'
# (Its notice that it runs as root goes to stderr; its findings to stdout.)
lint=$(lintian --fail-on error,warning "$W/berth_${version}_amd64.changes" 2>"$W/lintian.err")
tap_is "lintian passes them (no error, no warning)" "$? $lint" "0 "
tap_like "berth ships its man pages" "$(dpkg-deb -c "$deb")" 'man1/berth-reconcile\.1\.gz'
tap_like "berth-api ships its unit and its man page" "$(dpkg-deb -c "$api")" 'berth-api\.service'
tap_like "and berth-api(8)" "$(dpkg-deb -c "$api")" 'man8/berth-api\.8\.gz'
if [ -n "${BERTH_PACKAGES_OUT:-}" ]; then
        tap_check "the packages are kept in BERTH_PACKAGES_OUT" \
                sh -c 'mkdir -p "$0" && cp "$1" "$2" "$0"/ && dpkg-deb -I "$0/$(basename "$1")" >/dev/null' \
                "$BERTH_PACKAGES_OUT" "$deb" "$api"
fi

# A fresh Debian 12 with the packages' dependencies (from Debian's archive once, then from a cache),
# and nothing of berth's.
include=libgit2-1.5,libyaml-0-2,libcurl4,libcjson1,libssl3,libarchive13,libmicrohttpd12,systemd,man-db,groff-base,git
debian_chroot bookworm "$include" "$W/root" || tap_bail "cannot make a bookworm chroot with debootstrap (see above)"
tap_is "berth is not in the fresh system" "$(chroot "$W/root" sh -c 'command -v berth berth-api' | wc -l)" "0"
cp "$deb" "$api" "$W/root/tmp/"
# apt takes local packages by a ./ path; their dependencies are all there, so nothing is downloaded.
out=$(chroot "$W/root" sh -c "cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y ./$(basename "$deb") ./$(basename "$api")" 2>&1)
rc=$?
tap_is "apt installs both into it" "$rc" "0"
[ $rc = 0 ] || echo "$out" | tail -n 20 | sed 's/^/# /'
tap_is "berth --version there" "$(chroot "$W/root" berth --version)" "berth $version (commit $commit)"
cp -r "$SOURCE_DIR/ci/example" "$W/root/tmp/example"
out=$(chroot "$W/root" sh -c 'cd /tmp/example/stacks/web && berth config' 2>&1)
tap_like "berth config on the bundled example, there" "$? $out" '^0 name: web'
for page in berth berth-reconcile berth-api berth.yaml berth-templates; do
        # --warnings: troff's complaints about the page, which a reader would see too.
        out=$(chroot "$W/root" env MANWIDTH=80 man --warnings "$page" 2>&1 >/dev/null)
        tap_is "man $page, there, without a warning" "$? $out" "0 "
        tap_like "and it has its NAME" "$(chroot "$W/root" env MANWIDTH=80 man "$page" 2>/dev/null | head -n 4)" "NAME"
done
tap_like "the package made the service's user" "$(chroot "$W/root" getent passwd berth-api)" \
        '^berth-api:x:[0-9]+:[0-9]+:berth-api:/var/lib/berth-api:'
tap_is "and its credential files, empty and root's alone" \
        "$(stat -c '%a %U %s' "$W/root/etc/berth-api/tokens" "$W/root/etc/berth-api/git-password")" "600 root 0
600 root 0"
tap_is "the built-in templates are where berth-api looks" \
        "$(ls "$W/root/usr/share/berth/templates" | tr '\n' ' ')" "scheduled-job static-site webapp-db worker "
out=$(chroot "$W/root" systemd-analyze verify /lib/systemd/system/berth-api.service 2>&1)
tap_is "systemd-analyze verify passes the unit" "$? $out" "0 "
out=$(chroot "$W/root" systemd-analyze security --offline=true --threshold=25 /lib/systemd/system/berth-api.service 2>&1)
rc=$?
score=$(echo "$out" | sed -n 's/.*Overall exposure level for berth-api.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security: overall exposure $score"
tap_is "its sandbox scores 2.5 or less in systemd-analyze security (lower is safer)" \
        "$rc $(awk -v s="$score" 'BEGIN { print (s != "" && s <= 2.5) ? "ok" : "exposure " s }')" "0 ok"
umount "$W/root/proc"
tap_done
