#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what building, testing, the demo and the benchmark need (Debian 12, as root).
set -euo pipefail

packages=(
  # build
  meson ninja-build gcc clang pkg-config libglib2.0-dev libssl-dev libnm-dev libsecret-1-dev
  gettext
  # the service's seccomp allow-list; useradd (passwd) for its system user
  libseccomp-dev passwd
  # private keys on PKCS#11 tokens: libp11 (build), p11-kit's proxy module (runtime); a
  # SoftHSM2 token and pkcs11-tool (opensc) for test-pkcs11 and the pkcs11 interop/e2e cases
  libp11-dev libp11-kit-dev p11-kit-modules softhsm2 opensc
  # sanitizers and libFuzzer runtime
  libclang-rt-14-dev
  # network-namespace tests, demo, benchmark (sysctl: procps; dumpcap: wireshark-common, a
  # dependency of tshark; unshare, nsenter: util-linux, which is Essential; mount, for the
  # private /run of charon and NetworkManager, is not)
  iproute2 nftables iperf3 iputils-ping procps psmisc ethtool tshark python3 python3-cryptography
  openssl mount
  # the benchmarks record the commit they measured
  git
  # the strongSwan gateway of the interop and e2e tests, the demo and the benchmarks
  # (kernel-libipsec: this kernel has no ESP). tests/lib-deps.sh says which package ships
  # each plugin of their load lists; openssl and gcm are in libstrongswan-standard-plugins,
  # which strongswan-charon only recommends
  strongswan-charon strongswan-swanctl libstrongswan libstrongswan-standard-plugins
  libcharon-extra-plugins libcharon-extauth-plugins strongswan-pki
  # end-to-end tests and demo: a real NetworkManager on a private D-Bus (dbus-daemon; the stock
  # /usr/share/dbus-1/system.conf is in dbus-system-bus-common, which dbus-daemon does not
  # depend on); NetworkManager-strongswan (charon-nm) for the benchmark's comparison
  network-manager dbus-daemon dbus-system-bus-common network-manager-strongswan strongswan-nm
  # bench-engine.sh's other tunnels (optional: a part whose package is missing is skipped):
  # userspace WireGuard and `wg` for its keys and peer, OpenVPN 2.6
  wireguard-go wireguard-tools openvpn
  # roaming tests: conntrack -F on the NAT router (NAT rebinding)
  conntrack
  # auth dialog: its GTK window (optional) and the Secret Service part of its test
  # (dbus-run-session: dbus-daemon)
  libgtk-3-dev libnma-dev gnome-keyring libsecret-tools
  # connection editor (GTK 3 and GTK 4, libnma; gtk4-builder-tool turns the .ui into GTK 4),
  # import/export (json-glib), and a headless X server for the editor tests
  libgtk-4-dev libnma-gtk4-dev libgtk-4-bin libjson-glib-dev xvfb
  # GTK 3 draws its check boxes from SVG icons and aborts without the SVG pixbuf loader, which
  # libgtk-3-0 only recommends
  librsvg2-common
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; the answer does not matter here
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The system user the service becomes once its tunnel runs (src/service/privileges.h); the
# e2e and roaming tests check that it does. `meson install` makes it too.
bash "$(dirname "$0")/../data/create-service-user.sh" nm-uipsec
