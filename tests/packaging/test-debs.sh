#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages, as a user gets them: build them with dpkg-buildpackage from the tracked
# files of this checkout, check them with lintian (no errors), install both .debs with apt,
# then run the e2e PSK case through the installed paths (the .name file NetworkManager reads,
# its program, the installed D-Bus policy, the system user made by the package).
#
# It installs packages into the system it runs on: run it in a fresh Debian 12 root,
#   bash tests/fresh-root.sh 'bash tests/packaging/test-debs.sh'
# Not part of tests/run-tests.sh (it builds everything once more).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
[ "$(id -u)" = 0 ] || { echo "run as root (in a fresh root)" >&2; exit 2; }

bash tests/install-deps.sh
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends debhelper dpkg-dev lintian >/dev/null

work=$(mktemp -d /tmp/uip-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/network-manager-uipsec"
git -C "$top" ls-files -z | tar --null -T - -cf - | tar -x -C "$work/network-manager-uipsec"

echo "== dpkg-buildpackage"
(cd "$work/network-manager-uipsec" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
    { tail -n 60 "$work/build.log" >&2; echo "FAIL: dpkg-buildpackage" >&2; exit 1; }
ls -l "$work"/*.deb

echo "== lintian"
lintian --fail-on error --suppress-tags-from-file /dev/null "$work"/*.changes || {
    echo "FAIL: lintian reports errors" >&2
    exit 1
}

echo "== install"
apt-get install -y -qq "$work"/network-manager-uipsec_*.deb "$work"/network-manager-uipsec-gnome_*.deb
getent passwd nm-uipsec || { echo "FAIL: the package made no user nm-uipsec" >&2; exit 1; }
for f in /usr/lib/NetworkManager/nm-uipsec-service /usr/lib/NetworkManager/VPN/nm-uipsec-service.name \
    /usr/share/man/man5/nm-settings-uipsec.5.gz /usr/lib/NetworkManager/nm-uipsec-auth-dialog; do
    [ -e "$f" ] || { echo "FAIL: $f is not installed" >&2; exit 1; }
done

echo "== e2e psk through the installed paths"
UIP_E2E_INSTALLED=1 UIP_NETNS_REQUIRED=1 UIP_E2E_CASES=psk \
    bash tests/e2e/test-e2e.sh "$work/network-manager-uipsec/obj-$(dpkg-architecture -qDEB_HOST_GNU_TYPE)"
echo "PASS: packages build, lintian has no errors, the installed plugin connects"
