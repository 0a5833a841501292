#!/bin/sh
# apt-install PACKAGE...: installs Debian packages inside an image build, and leaves no package lists
# or downloaded archives in the layer. The build argument APT_SOURCES, when set, is the one archive
# asked (a mirror, or the test rig's local archive: "deb [trusted=yes] http://127.0.0.1:PORT ./"); it
# is never written to the image's /etc/apt, so the image keeps Debian's own sources.
set -eu
if [ -n "${APT_SOURCES:-}" ]; then
        mkdir -p /tmp/apt-sources.d
        printf '%s\n' "$APT_SOURCES" >/tmp/apt-sources.list
        apt() { apt-get -o Dir::Etc::SourceList=/tmp/apt-sources.list -o Dir::Etc::SourceParts=/tmp/apt-sources.d "$@"; }
else
        apt() { apt-get "$@"; }
fi
apt update -qq
DEBIAN_FRONTEND=noninteractive apt install -y -qq --no-install-recommends "$@"
rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /tmp/apt-sources.list /tmp/apt-sources.d
