#!/bin/sh
# commit.sh: the commit berth is built from, for --version. In a git checkout of berth itself, git says
# (with -dirty when the tree has changes); in a release tarball, the file that `meson dist` wrote into
# it says (`commit.sh dist`, run as meson's dist script); in an image build, which sends no .git, the
# build argument BERTH_COMMIT says; anywhere else it is unknown. The checkout must
# be berth's own: a tarball unpacked inside some other repository (a packaging tree) is not that
# repository's commit.
set -u
# The commit alone, 12 digits, never a tag's name.
described() { git -C "$1" describe --always --dirty --abbrev=12 --match 'no-tag-is-named-this'; }
if [ "${1:-}" = dist ]; then
        described "$MESON_SOURCE_ROOT" >"$MESON_DIST_ROOT/.berth-commit"
        exit
fi
top=$1
if [ -n "${BERTH_COMMIT:-}" ]; then
        echo "$BERTH_COMMIT"
elif [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$top" && pwd -P)" ]; then
        described "$top"
elif [ -f "$top/.berth-commit" ]; then
        cat "$top/.berth-commit"
else
        echo unknown
fi
