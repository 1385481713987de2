#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A short demo of the ESP data plane, before IKE exists: two engines (uip-static) with
# static random keys, one per network namespace, each with its TUN device:
#
#   uipd-l                                                uipd-r
#   198.18.30.1 [TUN] -- uip-static -- uipd-l0 203.0.113.1 ==== ESP in UDP 4500 ====
#                                      uipd-r0 203.0.113.2 -- uip-static -- [TUN] 198.18.40.1
#
# It pings and runs iperf3 (TCP, 5 s) through the tunnel both ways, prints the results
# and the engines' counters, then removes everything it made.
#
# Usage: sudo demo/run-engine-demo.sh [BUILD_DIR]   (default: build/ in the source tree; or set
# MESON_BUILD_ROOT, or UIP_STATIC=/path/to/uip-static)
# UIP_DEMO_TRANSFORM picks the transform: aes128gcm16 (default), aes256gcm16,
# chacha20poly1305, aes128-sha256, aes256-sha384, aes256-sha512.

# With no build given, set everything up first: packages, then a build in ./build.
if [ $# -eq 0 ] && [ -z "${MESON_BUILD_ROOT:-}" ] && [ -z "${UIP_STATIC:-}" ]; then
    src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    bash "$src/tests/install-deps.sh" || exit 1
    [ -f "$src/build/build.ninja" ] || meson setup "$src/build" >/dev/null || exit 1
    ninja -C "$src/build" tests/tools/uip-static >/dev/null || exit 1
fi

# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/netns/lib.sh"
uip_init "$@"
uip_need iperf3 ss timeout

NSL=uipd-l NSR=uipd-r
OL=203.0.113.1 OR=203.0.113.2
IL=198.18.30.1 IR=198.18.40.1
TRANSFORM=${UIP_DEMO_TRANSFORM:-aes128gcm16}
SECS=${UIP_DEMO_SECS:-5}

counters() { # NAME: the engine's counters, three to a line
    tr ' ' '\n' <<<"${STATS[$1]#stats }" | awk -F= 'NF == 2 {
        printf "      %-16s %12s", $1, $2; if (++n % 3 == 0) printf "\n" }
        END { if (n % 3) printf "\n" }'
}

uip_step "Setting up two namespaces: $NSL ($OL) and $NSR ($OR)"
uip_ns_pair "$NSL" "$NSR" uipd-l0 uipd-r0 "$OL/24" "$OR/24"

uip_step "Starting two ESP engines ($TRANSFORM, random keys made for this run)"
uip_write_pair "$TRANSFORM" true "$UIP_TMP/l.conf" "$UIP_TMP/r.conf" uipd-l-tun uipd-r-tun \
    "$OL" "$OR" "198.18.30.0/24" "198.18.40.0/24"
uip_engine_start l "$NSL" "$UIP_TMP/l.conf"
uip_engine_start r "$NSR" "$UIP_TMP/r.conf"
ip -n "$NSL" addr add "$IL/32" dev "${ENG_TUN[l]}"
ip -n "$NSL" route add 198.18.40.0/24 dev "${ENG_TUN[l]}" src "$IL"
ip -n "$NSR" addr add "$IR/32" dev "${ENG_TUN[r]}"
ip -n "$NSR" route add 198.18.30.0/24 dev "${ENG_TUN[r]}" src "$IR"
uip_log "  left : ${ENG_TUN[l]} $IL, MTU ${ENG_MTU[l]}, sends with SPI $SA_SPI_AB"
uip_log "  right: ${ENG_TUN[r]} $IR, MTU ${ENG_MTU[r]}, sends with SPI $SA_SPI_BA"

uip_step "Ping through the tunnel"
ip netns exec "$NSL" ping -n -c 4 -i 0.2 -w 10 -I "$IL" "$IR" || uip_fail "ping $IL -> $IR failed"
echo
ip netns exec "$NSR" ping -n -c 4 -i 0.2 -w 10 -I "$IR" "$IL" || uip_fail "ping $IR -> $IL failed"

uip_iperf_server "$NSR"
uip_step "iperf3 TCP, $SECS s, left -> right"
uip_iperf "$NSL" "$IL" "$IR" "$SECS" || uip_fail "iperf3 left -> right failed"
up=$IPERF_MBPS
uip_log "  left -> right: $up Mbit/s"
uip_step "iperf3 TCP, $SECS s, right -> left"
uip_iperf "$NSL" "$IL" "$IR" "$SECS" -R || uip_fail "iperf3 right -> left failed"
down=$IPERF_MBPS
uip_log "  right -> left: $down Mbit/s"

uip_step "Engine counters"
uip_stats l
uip_stats r
uip_log "  left engine ($NSL):"
counters l
uip_log "  right engine ($NSR):"
counters r

uip_engine_stop l
uip_engine_stop r
uip_step "Done: $TRANSFORM, ping OK both ways, iperf3 $up Mbit/s left->right, $down Mbit/s right->left"
uip_log "  (engines stopped, namespaces $NSL and $NSR removed on exit)"
exit 0
