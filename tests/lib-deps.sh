# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Which Debian 12 package ships each program and strongSwan plugin that the tests, the demo
# and the benchmarks check for, so that a "missing" message names the package to install
# (tests/install-deps.sh installs every one of them by name).  Sourced by tests/netns/lib.sh
# (and through it by the interop and e2e helpers, the demo and bench-nm.sh) and by
# tests/bench/bench-engine.sh and bench-ike.sh.
#
#   uip_deb_of TOOL            the package that ships the program TOOL
#   uip_swan_missing PLUGIN...  one line "PLUGIN (Debian: PACKAGE)" for each strongSwan plugin
#                              of the list that is not installed; status 1 when any is missing

declare -A UIP_DEB_TOOL=(
    [ip]=iproute2 [ss]=iproute2 [ping]=iputils-ping [sysctl]=procps [ethtool]=ethtool
    [nft]=nftables [iperf3]=iperf3 [openssl]=openssl [python3]=python3
    [tshark]=tshark [dumpcap]=wireshark-common
    [unshare]=util-linux [nsenter]=util-linux [mount]=mount
    [timeout]=coreutils [stdbuf]=coreutils [mkfifo]=coreutils [awk]=mawk [sed]=sed
    [swanctl]=strongswan-swanctl [pki]=strongswan-pki
    [nmcli]=network-manager [dbus-daemon]=dbus-daemon [conntrack]=conntrack
    [softhsm2-util]=softhsm2 [pkcs11-tool]=opensc
)

# Debian 12 (strongSwan 5.9.8): the package of /usr/lib/ipsec/plugins/libstrongswan-NAME.so
declare -A UIP_DEB_SWAN_PLUGIN=(
    [random]=libstrongswan [nonce]=libstrongswan [pem]=libstrongswan [pkcs1]=libstrongswan
    [pkcs8]=libstrongswan [x509]=libstrongswan [pubkey]=libstrongswan
    [constraints]=libstrongswan [kdf]=libstrongswan [sha1]=libstrongswan [sha2]=libstrongswan
    [hmac]=libstrongswan [aes]=libstrongswan [kernel-netlink]=libstrongswan
    [resolve]=libstrongswan
    [openssl]=libstrongswan-standard-plugins [gcm]=libstrongswan-standard-plugins
    [socket-default]=strongswan-libcharon [vici]=strongswan-swanctl
    [kernel-libipsec]=libcharon-extra-plugins [eap-identity]=libcharon-extra-plugins
    [eap-tls]=libcharon-extra-plugins
    [eap-mschapv2]=libcharon-extauth-plugins
)
UIP_SWAN_PLUGIN_DIR=/usr/lib/ipsec/plugins

uip_deb_of() { printf '%s\n' "${UIP_DEB_TOOL[$1]:-the package that ships $1}"; }

uip_swan_missing() {
    local p rc=0
    local -A seen=()
    for p in "$@"; do
        [ -z "${seen[$p]:-}" ] || continue
        seen[$p]=1
        [ -e "$UIP_SWAN_PLUGIN_DIR/libstrongswan-$p.so" ] && continue
        printf '%s (Debian: %s)\n' "$p" "${UIP_DEB_SWAN_PLUGIN[$p]:-the package that ships libstrongswan-$p.so}"
        rc=1
    done
    return "$rc"
}
