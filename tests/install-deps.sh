#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what building, testing, the demo and the benchmark need (Debian 12, as root).
set -euo pipefail

packages=(
  # build
  meson ninja-build gcc clang pkg-config libglib2.0-dev libssl-dev libnm-dev libsecret-1-dev
  gettext
  # sanitizers and libFuzzer runtime
  libclang-rt-14-dev
  # network-namespace tests, demo, benchmark
  iproute2 nftables iperf3 iputils-ping procps psmisc ethtool tshark python3 python3-cryptography
  openssl
  # the strongSwan peer of the benchmark (kernel-libipsec: this kernel has no ESP)
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libcharon-extauth-plugins
  strongswan-pki
  # end-to-end tests and demo: a real NetworkManager on a private D-Bus; NetworkManager-strongswan
  # (charon-nm) for the benchmark's comparison
  network-manager dbus-daemon network-manager-strongswan strongswan-nm
  # auth dialog: its GTK window (optional) and the Secret Service part of its test
  libgtk-3-dev libnma-dev gnome-keyring libsecret-tools
  # connection editor (GTK 3 and GTK 4, libnma; gtk4-builder-tool turns the .ui into GTK 4),
  # import/export (json-glib), and a headless X server for the editor tests
  libgtk-4-dev libnma-gtk4-dev libgtk-4-bin libjson-glib-dev xvfb
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
