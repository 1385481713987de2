#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The demo: NetworkManager-uipsec as a user meets it.  A real strongSwan gateway (charon +
# kernel-libipsec) in one network namespace, a real NetworkManager on a private D-Bus in
# another, our plugin installed into NetworkManager's VPN folder; then
#
#   nmcli connection add type vpn vpn-type uipsec ...   (PSK, virtual IP, DNS from the gateway)
#   nmcli connection up demo-vpn
#
# shows what NetworkManager applied (nmcli, the TUN device, its routes, resolv.conf), pings the
# protected network (unreachable before), runs iperf3 through the tunnel both ways, then
# `nmcli connection down` and checks that nothing is left behind.
#
#   uipd-cl: NetworkManager, nm-uipsec-service   uipd-gw: charon, protected 198.18.2.0/24
#   192.0.2.1 uipd-cl0 ==================== uipd-gw0 192.0.2.2
#
# Usage: sudo demo/run-demo.sh [BUILD_DIR]   With no argument it first installs the packages
# (tests/install-deps.sh) and builds into ./build.  UIP_DEMO_SECS: iperf3 seconds (default 5).
# The ESP engine alone with static keys: demo/run-engine-demo.sh.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -eq 0 ] && [ -z "${MESON_BUILD_ROOT:-}" ]; then
    bash "$src/tests/install-deps.sh"
    [ -f "$src/build/build.ninja" ] || meson setup "$src/build" >/dev/null
    ninja -C "$src/build" >/dev/null
fi

# shellcheck source=tests/e2e/lib-e2e.sh
. "$src/tests/e2e/lib-e2e.sh"
# our own names, so that the demo never meets a test run
NS_GW=uipd-gw NS_CL=uipd-cl VETH_GW=uipd-gw0 VETH_CL=uipd-cl0 BR_GW=uipd-br CL_TUN=uipd-tun0
UIP_NETNS_REQUIRED=1 # a demo that cannot run says why and fails
e2e_init "$@"
SECS=${UIP_DEMO_SECS:-5}
GW_PSK=$(openssl rand -hex 16)
GW_EAP_PASSWORD=$(openssl rand -hex 8) # (the gateway config wants one; unused here)
export GW_PSK GW_EAP_PASSWORD

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '    %s\n' "$@"; }
run() { printf '  $ %s\n' "$*"; }

say "1. Network: gateway namespace $NS_GW, client namespace $NS_CL"
e2e_setup_net
uipi_pki
gw_start "$(gw_conn demo psk)"
show "strongSwan gateway up at $OUT_GW (PSK, identities $GW_ID / $CL_ID, pool $POOL4, DNS $DNS4)"
uipi_assert_unreachable
show "$PROT4 (protected network $NET4) is unreachable from the client before the tunnel"

say "2. NetworkManager with the uipsec plugin"
e2e_dbus_start
e2e_nm_start

say "3. The connection, made with nmcli"
data="gateway=$OUT_GW, auth=psk, local-id=$CL_ID, remote-id=$GW_ID, virtual-ipv4=yes, virtual-ipv6=yes"
run nmcli connection add type vpn vpn-type uipsec con-name demo-vpn autoconnect no \
    vpn.data "\"$data\"" vpn.secrets "\"psk=<32 hex digits>\""
e2e_nmcli connection add type vpn vpn-type uipsec con-name demo-vpn autoconnect no \
    vpn.data "$data" vpn.secrets "psk=$GW_PSK" | sed 's/^/    /'

say "4. Up"
run nmcli connection up demo-vpn
e2e_up demo-vpn
show "activated in $UP_SECS s; TUN device $E2E_TUN"
run "nmcli connection show demo-vpn | grep -E '^(GENERAL.STATE|VPN.VPN-STATE|IP4|IP6)'"
e2e_nmcli connection show demo-vpn | grep -E '^(GENERAL\.STATE|VPN\.VPN-STATE|IP4|IP6)' | sed 's/^/    /'
run ip addr show dev "$E2E_TUN"
ip -n "$NS_CL" addr show dev "$E2E_TUN" | sed 's/^/    /'
run ip route show dev "$E2E_TUN"
ip -n "$NS_CL" route show dev "$E2E_TUN" | sed 's/^/    /'
run cat /run/NetworkManager/resolv.conf
e2e_resolv | sed 's/^/    /'

say "5. Traffic through the tunnel"
vip=$(e2e_tun_addr4 "$E2E_TUN" | head -n 1)
vip=${vip%/*}
for ((i = 0; i < 20; i++)); do
    ip netns exec "$NS_CL" ping -n -c 1 -W 1 "$PROT4" >/dev/null 2>&1 && break
done
uip_ping "$NS_CL" "$vip" "$PROT4" 5 || uip_fail "ping through the tunnel failed"
uip_iperf_server "$NS_GW"
uip_iperf "$NS_CL" "$vip" "$PROT4" "$SECS" || uip_fail "iperf3 client -> gateway failed"
up=$IPERF_MBPS
uip_iperf "$NS_CL" "$vip" "$PROT4" "$SECS" -R || uip_fail "iperf3 gateway -> client failed"
down=$IPERF_MBPS
uip_stop "$IPERF_PID" TERM 5 || true
show "iperf3 TCP, $SECS s each way: client -> gateway $up Mbit/s, gateway -> client $down Mbit/s"
show "(the gateway's kernel-libipsec, not our client, limits these: see tests/bench/)"
run ip netns exec "$NS_GW" swanctl --list-sas
gw_sas | sed 's/^/    /' | head -n 12

say "6. Down"
run nmcli connection down demo-vpn
e2e_down demo-vpn
e2e_expect_clean "$E2E_TUN"

say "Demo done: up in $UP_SECS s, iperf3 $up / $down Mbit/s through the tunnel."
