#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two ESP engines (uip-static, static random keys) in two network namespaces joined by
# a veth, real TUN devices, real kernel traffic through them:
#
#   uipt-a: uipt-a0 198.51.100.1/24 ==== ESP in UDP 4500 ==== uipt-b: uipt-b0 198.51.100.2/24
#           TUN 198.18.10.1, 2001:db8:10::1                          TUN 198.18.20.1, 2001:db8:20::1
#
# Asserts, for each transform (aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256
# aes256-sha384 aes256-sha512):
#   - before any engine runs, each side's protected addresses are unreachable from the
#     other although a default route leads there in cleartext (so a pass is not cleartext);
#   - ping both ways, IPv4 and IPv6 inner, every echo answered;
#   - the engines' counters (SIGUSR1 "stats" line): what one side sent is what the other
#     received, at least the pings, and drop_icv/replay/malformed/padding/no_sa stay 0;
#   - for aes128gcm16 and aes128-sha256: iperf3 TCP both ways, IPv4 and IPv6 inner; UDP
#     from a UDP_SEGMENT sender (QUIC's way), every datagram whole, and cut by the engine
#     from super-datagrams where the kernel has USO for TUN devices;
#   - for the same two: path MTU. A DF packet larger than the TUN MTU gets the kernel's
#     "message too long, mtu=<TUN MTU>"; and with the TUN MTU raised to 1500 so that the
#     engine itself receives a packet it cannot fit, the engine counts drop_too_big and
#     answers ICMP "frag needed" (IPv4) / ICMPv6 "packet too big" (IPv6) with an MTU no
#     larger than its own.
#
# Usage: test-tunnel.sh [BUILD_DIR]   (or MESON_BUILD_ROOT=..., UIP_STATIC=/path/uip-static)
# Tunables: UIP_TRANSFORMS, UIP_IPERF_TRANSFORMS, UIP_MTU_TRANSFORMS (space-separated
# lists), UIP_IPERF_SECS (default 3), UIP_KEEP_TMP=1 keeps the logs of a failed run.
# Exit: 0 pass, 77 skip (not root, no TUN, missing tool), 1 fail.

# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
uip_init "$@"
uip_need iperf3 ss timeout

NSA=uipt-a NSB=uipt-b
VA=uipt-a0 VB=uipt-b0
OA=198.51.100.1 OB=198.51.100.2
OA6=2001:db8:ff00::1 OB6=2001:db8:ff00::2 # only for the cleartext trap
A4=198.18.10.1 B4=198.18.20.1
A6=2001:db8:10::1 B6=2001:db8:20::1
NETA4=198.18.10.0/24 NETB4=198.18.20.0/24
NETA6=2001:db8:10::/64 NETB6=2001:db8:20::/64
TUNA=uipt-a-tun TUNB=uipt-b-tun

TRANSFORMS=${UIP_TRANSFORMS:-"aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256 aes256-sha384 aes256-sha512"}
IPERF_TRANSFORMS=${UIP_IPERF_TRANSFORMS:-"aes128gcm16 aes128-sha256"}
MTU_TRANSFORMS=${UIP_MTU_TRANSFORMS:-"aes128gcm16 aes128-sha256"}
IPERF_SECS=${UIP_IPERF_SECS:-3}
PINGS=5
declare -a SUMMARY=()
a_out=0 b_out=0

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- set-up
uip_step "namespaces $NSA / $NSB"
uip_ns_pair "$NSA" "$NSB" "$VA" "$VB" "$OA/24" "$OB/24"
ip -n "$NSA" -6 addr add "$OA6/64" dev "$VA" nodad
ip -n "$NSB" -6 addr add "$OB6/64" dev "$VB" nodad
# The pitfall: plain default routes through the outer link would carry inner traffic
# in cleartext.  Each side refuses its protected prefixes arriving on the outer link.
ip -n "$NSA" route add default via "$OB"
ip -n "$NSB" route add default via "$OA"
ip -n "$NSA" -6 route add default via "$OB6"
ip -n "$NSB" -6 route add default via "$OA6"
uip_protect "$NSA" "$VA" "$NETA4" "$NETA6"
uip_protect "$NSB" "$VB" "$NETB4" "$NETB6"
uip_ping "$NSA" "$OA" "$OB" 2 || uip_fail "the outer link does not work"

uip_step "before the tunnel: protected addresses must be unreachable"
# Stand-ins for the inner addresses (on lo) while no engine runs.
ip -n "$NSA" addr add "$A4/32" dev lo
ip -n "$NSA" -6 addr add "$A6/128" dev lo nodad
ip -n "$NSB" addr add "$B4/32" dev lo
ip -n "$NSB" -6 addr add "$B6/128" dev lo nodad
probes=("$NSA $A4 $B4" "$NSB $B4 $A4" "$NSA $A6 $B6" "$NSB $B6 $A6")
probe_pids=()
for probe in "${probes[@]}"; do # in parallel: each waits out its 1 s timeout
    read -r ns src dst <<<"$probe"
    ip netns exec "$ns" ping -n -c 1 -W 1 -I "$src" "$dst" >/dev/null 2>&1 &
    probe_pids+=($!)
    uip_track "$!"
done
for i in "${!probes[@]}"; do
    read -r ns src dst <<<"${probes[$i]}"
    if uip_wait "${probe_pids[$i]}" 5; then
        uip_fail "$dst answered $src in cleartext without a tunnel: the test set-up would let a broken tunnel pass"
    fi
    uip_log "  $src -> $dst unreachable (good)"
done
ip -n "$NSA" addr del "$A4/32" dev lo
ip -n "$NSA" -6 addr del "$A6/128" dev lo
ip -n "$NSB" addr del "$B4/32" dev lo
ip -n "$NSB" -6 addr del "$B6/128" dev lo

uip_iperf_server "$NSB"

# ---------------------------------------------------------------- checks

# counters_match WHAT MIN: what a sent is what b received and the reverse, at least MIN.
counters_match() {
    local what=$1 min=$2 a_out a_in b_out b_in
    sleep 0.2 # let a last late reply land
    uip_stats a
    uip_stats b
    uip_stat a_out a pkts_out
    uip_stat a_in a pkts_in
    uip_stat b_out b pkts_out
    uip_stat b_in b pkts_in
    uip_log "  counters after $what: a out=$a_out in=$a_in, b out=$b_out in=$b_in"
    if [ "$a_out" -lt "$min" ] || [ "$b_out" -lt "$min" ]; then
        uip_fail "$T: after $what the engines sent fewer ESP packets than the $min pings (a=$a_out b=$b_out)"
    fi
    if [ "$3" = exact ]; then
        if [ "$a_out" != "$b_in" ] || [ "$b_out" != "$a_in" ]; then
            uip_fail "$T: after $what a sent $a_out and b received $b_in, b sent $b_out and a received $a_in"
        fi
    elif [ "$b_in" -gt "$a_out" ] || [ "$a_in" -gt "$b_out" ]; then
        uip_fail "$T: a peer received more than was sent (a out=$a_out, b in=$b_in, b out=$b_out, a in=$a_in)"
    fi
    uip_check_no_drops a
    uip_check_no_drops b
}

# udp_rcvbuf_errors NS: the namespace's UDP RcvbufErrors (datagrams the kernel dropped
# because a socket's receive buffer was full), from /proc/net/snmp.
# shellcheck disable=SC2016 # single quotes around an awk program
udp_rcvbuf_errors() {
    ip netns exec "$1" awk '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 }
        else print $(col["RcvbufErrors"]) }' /proc/net/snmp
}

# too_big FAMILY: see the header.  Side a sends a 1500-byte DF packet to b.
too_big() {
    local fam=$1 m=${ENG_MTU[a]} size src dst out x before after want
    if [ "$fam" = 4 ]; then
        size=1472 src=$A4 dst=$B4 want='Frag needed and DF set (mtu = [0-9]*)'
    else
        size=1452 src=$A6 dst=$B6 want='Packet too big: mtu=[0-9]*'
    fi
    [ "$m" -lt 1500 ] || uip_fail "$T: TUN MTU $m leaves no room for ESP in a 1500-byte path"

    out=$(ip netns exec "$NSA" ping -n -c 1 -W 1 -w 2 -M "do" -s "$size" -I "$src" "$dst" 2>&1)
    # iputils prints "mtu=N" for IPv4 and "mtu: N" for IPv6
    grep -Eq "message too long, mtu(=|: )$m\b" <<<"$out" ||
        uip_fail "$T: IPv$fam ping -M do -s $size: expected the kernel's 'message too long, mtu=$m', got: $out"
    uip_log "  IPv$fam 1500-byte DF packet, TUN MTU $m: kernel says 'message too long, mtu=$m'"

    ip -n "$NSA" link set "${ENG_TUN[a]}" mtu 1500
    uip_stats a
    uip_stat before a drop_too_big
    out=$(ip netns exec "$NSA" ping -n -c 2 -i 0.5 -W 1 -w 3 -M "do" -s "$size" -I "$src" "$dst" 2>&1)
    uip_stats a
    uip_stat after a drop_too_big
    ip -n "$NSA" link set "${ENG_TUN[a]}" mtu "$m"
    [ "$after" -gt "$before" ] ||
        uip_fail "$T: IPv$fam 1500-byte DF packet into a TUN raised to MTU 1500: drop_too_big stayed $before (ping said: $out)"
    x=$(grep -o "$want" <<<"$out" | head -n 1 | grep -o '[0-9][0-9]*' | tail -n 1)
    [ -n "$x" ] ||
        uip_fail "$T: IPv$fam: the engine dropped the too-big packet (drop_too_big $before -> $after) but no ICMP '${want%%(*}' reached ping; ping said: $out"
    [ "$x" -le "$m" ] ||
        uip_fail "$T: IPv$fam: the engine's ICMP announces mtu $x, more than its TUN MTU $m"
    if [ "$fam" = 6 ] && [ "$x" -lt 1280 ]; then
        uip_fail "$T: ICMPv6 packet too big announces mtu $x < 1280"
    fi
    uip_log "  IPv$fam same packet into the engine (TUN MTU raised to 1500): drop_too_big $before -> $after, ping got '$(grep -o "$want" <<<"$out" | head -n 1)'"
}

# uso FAMILY SRC DST: UDP the way QUIC sends it (UDP_SEGMENT, tests/netns/udp-gso.py): 640
# datagrams of 1200 bytes, 32 to a send.  Every one arrives whole; with USO on the TUN
# device (Linux 6.2+: ethtool's tx-udp-segmentation) they reach the engine as
# super-datagrams, which it cuts itself (its counter tso_in), and the receiving engine
# writes them to its TUN merged again (gro_coalesced), which the kernel cuts for the
# receiver's socket.
uso() {
    local fam=$1 dst=$3 out=$UIP_TMP/uso-$1.out t0 t1 g0 g1 pid i n
    uip_stats a
    uip_stat t0 a tso_in
    uip_stats b
    uip_stat g0 b gro_coalesced
    ip netns exec "$NSB" python3 "$UIP_LIB_DIR/udp-gso.py" recv "$dst" 40500 1 >"$out" 2>&1 &
    pid=$!
    uip_track "$pid"
    for ((i = 0; i < 50; i++)); do
        grep -q ready "$out" && break
        sleep 0.1
    done
    ip netns exec "$NSA" python3 "$UIP_LIB_DIR/udp-gso.py" send "$dst" 40500 1200 640 >/dev/null ||
        uip_fail "$T: the UDP_SEGMENT sender failed ($fam); the receiver: $(cat "$out")"
    for ((i = 0; i < 100; i++)); do # it ends after a second without a datagram
        uip_alive "$pid" || break
        sleep 0.1
    done
    uip_stop "$pid" TERM 1 >/dev/null || true
    read -r _ n _ <<<"$(grep '^recv' "$out")"
    [ "${n:-0}" = 640 ] || uip_fail "$T: of 640 UDP_SEGMENT datagrams ($fam) $(cat "$out")"
    uip_stats a
    uip_stat t1 a tso_in
    uip_stats b
    uip_stat g1 b gro_coalesced
    if ip netns exec "$NSA" ethtool -k "${ENG_TUN[a]}" | grep -q '^tx-udp-segmentation: on'; then
        ((t1 > t0)) || uip_fail "$T: USO is on, but no super-datagram reached the engine ($fam)"
        ((g1 > g0)) || uip_fail "$T: USO is on, but the receiving engine merged no datagram ($fam)"
        uip_log "  UDP_SEGMENT $fam: 640 of 640 datagrams, $((t1 - t0)) super-datagrams cut by the sending engine, $((g1 - g0)) datagrams merged by the receiving one"
    else
        uip_log "  UDP_SEGMENT $fam: 640 of 640 datagrams (no USO on this kernel: the kernel cut them)"
    fi
}

# ---------------------------------------------------------------- per transform
for T in $TRANSFORMS; do
    uip_step "transform $T"
    uip_write_pair "$T" true "$UIP_TMP/a.conf" "$UIP_TMP/b.conf" "$TUNA" "$TUNB" "$OA" "$OB" \
        "$NETA4,$NETA6" "$NETB4,$NETB6"
    uip_engine_start a "$NSA" "$UIP_TMP/a.conf"
    uip_engine_start b "$NSB" "$UIP_TMP/b.conf"
    uip_log "  engines ready: a ${ENG_TUN[a]} mtu ${ENG_MTU[a]}, b ${ENG_TUN[b]} mtu ${ENG_MTU[b]}"
    uip_tun_addr "$NSA" "${ENG_TUN[a]}" "$A4" "$A6" "$NETB4" "$NETB6"
    uip_tun_addr "$NSB" "${ENG_TUN[b]}" "$B4" "$B6" "$NETA4" "$NETA6"

    uip_ping "$NSA" "$A4" "$B4" "$PINGS" || uip_fail "$T: IPv4 ping $A4 -> $B4 through the tunnel failed"
    uip_ping "$NSB" "$B4" "$A4" "$PINGS" || uip_fail "$T: IPv4 ping $B4 -> $A4 through the tunnel failed"
    uip_ping "$NSA" "$A6" "$B6" "$PINGS" || uip_fail "$T: IPv6 ping $A6 -> $B6 through the tunnel failed"
    uip_ping "$NSB" "$B6" "$A6" "$PINGS" || uip_fail "$T: IPv6 ping $B6 -> $A6 through the tunnel failed"
    counters_match "the pings" $((4 * PINGS)) exact

    rates=-
    if in_list "$T" "$IPERF_TRANSFORMS"; then
        rates=
        rb_a0=$(udp_rcvbuf_errors "$NSA")
        rb_b0=$(udp_rcvbuf_errors "$NSB")
        for run in "$A4 $B4 v4 a->b" "$A4 $B4 v4 b->a -R" "$A6 $B6 v6 a->b" "$A6 $B6 v6 b->a -R"; do
            read -r src dst fam dir rev <<<"$run"
            # shellcheck disable=SC2086 # $rev is empty or -R
            uip_iperf "$NSA" "$src" "$dst" "$IPERF_SECS" $rev ||
                uip_fail "$T: iperf3 TCP $fam $dir through the tunnel failed"
            uip_log "  iperf3 TCP $fam $dir: $IPERF_MBPS Mbit/s"
            awk -v r="$IPERF_MBPS" 'BEGIN { exit !(r >= 1) }' ||
                uip_fail "$T: iperf3 $fam $dir reached only $IPERF_MBPS Mbit/s"
            rates="$rates $fam$dir=$IPERF_MBPS"
        done
        counters_match "iperf3" $((4 * PINGS)) loose
        # ESP sent but not received: the kernel's UDP receive-buffer drops should explain it.
        rb_a=$(($(udp_rcvbuf_errors "$NSA") - rb_a0))
        rb_b=$(($(udp_rcvbuf_errors "$NSB") - rb_b0))
        uip_stat a_out a pkts_out
        uip_stat a_in a pkts_in
        uip_stat b_out b pkts_out
        uip_stat b_in b pkts_in
        uip_log "  ESP lost a->b $((a_out - b_in)), b->a $((b_out - a_in)); kernel UDP receive-buffer drops during iperf3 (RcvbufErrors) in b $rb_b, in a $rb_a"
        uso 4 "$A4" "$B4"
        uso 6 "$A6" "$B6"
    fi

    if in_list "$T" "$MTU_TRANSFORMS"; then
        too_big 4
        too_big 6
        counters_match "the too-big probes" $((4 * PINGS)) loose
    fi

    uip_engine_stop a
    uip_engine_stop b
    uip_check_no_drops a
    uip_check_no_drops b
    uip_stat a_out a pkts_out
    uip_stat b_out b pkts_out
    SUMMARY+=("$(printf '%-17s mtu %-5s esp out a=%-7s b=%-7s iperf Mbit/s:%s' "$T" "${ENG_MTU[a]}" "$a_out" "$b_out" "$rates")")
done

uip_step "summary (PASS, ${SECONDS}s)"
for line in "${SUMMARY[@]}"; do uip_log "  $line"; done
exit 0
