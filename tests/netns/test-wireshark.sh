#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Independent wire-format check of the ESP engine: capture the ESP-in-UDP packets two
# uip-static engines exchange on a veth, then let Wireshark's own ESP dissector (tshark,
# with the keys in its esp_sa table) check the ICV and decrypt every packet, and let
# esp-check.py (a second, RFC-only implementation) do the same.
#
#   uipw-a: uipw-a0 198.51.100.11/24 ==== ESP in UDP 4500 ==== uipw-b: uipw-b0 198.51.100.12/24
#           TUN 198.18.10.1, 2001:db8:10::1                            TUN 198.18.20.1, 2001:db8:20::1
#
# What Wireshark 4.0 (Debian 12) can check, from its packet-ipsec.c:
#   - AES-GCM-16 (128/256): ICV (tag, with AAD = SPI||seq) and decryption;
#   - AES-CBC + HMAC-SHA-256-128 / 384-192 / 512-256: ICV and decryption;
#   - no ChaCha20-Poly1305 (no such algorithm in its table);
#   - no extended sequence numbers: its ICV/AAD never include seq-high, so with ESN it
#     decrypts but flags every ICV as bad; that is expected and not counted against us.
# esp-check.py covers what Wireshark cannot: ChaCha20-Poly1305 and ICVs under ESN; it
# also checks padding, alignment, inner lengths, sequence and nonce uniqueness.
#
# Each case is TRANSFORM:ESN.  Per case: ping both ways (IPv4+IPv6 inner, sizes up to a
# full TUN MTU), iperf3 TCP for a few, capture with dumpcap (filter udp port 4500), then:
#   - every captured ESP frame decrypts in tshark to an inner IPv4/IPv6 packet between
#     the inner addresses (transforms Wireshark supports), ICV "good" when ESN is off;
#   - no Malformed / error expert info; no outer frame larger than the 1500-byte path;
#   - esp-check.py verifies every frame (all transforms, ESN or not);
#   - the number of ESP frames equals what the engines say they sent (when dumpcap
#     dropped nothing).
# First of all, the same checks run on reference packets made by esp-check.py, so a
# broken Wireshark set-up shows up as such and is not blamed on the engine.
#
# Usage: test-wireshark.sh [BUILD_DIR]   (or MESON_BUILD_ROOT=..., UIP_STATIC=...)
# Tunables: UIP_WS_CASES="aes128gcm16:0 ...", UIP_KEEP_TMP=1 keeps captures and keys of a
# failed run (the keys are random, made for this run only).
# Exit: 0 pass, 77 skip, 1 fail.

# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
uip_init "$@"
uip_need tshark dumpcap python3 iperf3 ss timeout ethtool

ESP_CHECK=$UIP_LIB_DIR/esp-check.py
if python3 -c 'import cryptography' 2>/dev/null; then
    PYCHECK=1
else
    PYCHECK=0
    uip_log "note: python3-cryptography is missing: the esp-check.py half (ChaCha20, ESN ICVs) is skipped"
fi

NSA=uipw-a NSB=uipw-b
VA=uipw-a0 VB=uipw-b0
OA=198.51.100.11 OB=198.51.100.12
A4=198.18.10.1 B4=198.18.20.1
A6=2001:db8:10::1 B6=2001:db8:20::1
NETA4=198.18.10.0/24 NETB4=198.18.20.0/24
NETA6=2001:db8:10::/64 NETB6=2001:db8:20::/64
CASES=${UIP_WS_CASES:-"aes128gcm16:0 aes256gcm16:0 chacha20poly1305:0 aes128-sha256:0 aes256-sha384:0 aes256-sha512:0 aes128gcm16:1 chacha20poly1305:1 aes128-sha256:1"}
IPERF_CASES=${UIP_WS_IPERF_CASES:-"aes128gcm16:0 aes128-sha256:0"}

WS_CFG=$UIP_TMP/wireshark # private Wireshark configuration folder (WIRESHARK_CONFIG_DIR)
mkdir -p "$WS_CFG" "$UIP_TMP/home"
declare -a SUMMARY=()
a_out=0 b_out=0
declare -A WS_UNSUPPORTED=()

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# iperf3's TCP payload (server port 5201) is random bytes: shown as plain data,
# so that no heuristic dissector (Thrift, ...) takes it for its protocol and
# reports errors that say nothing about our ESP.
run_tshark() {
    WIRESHARK_CONFIG_DIR=$WS_CFG HOME=$UIP_TMP/home tshark -n \
        -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
        -o esp.do_esp_sequence_analysis:TRUE -d tcp.port==5201,data "$@" 2>>"$UIP_TMP/tshark.err"
}

# Wireshark 4.0 names (esp_encryption_type_vals / esp_authentication_type_vals).
ws_supported() { case $1 in chacha20poly1305) return 1 ;; esac; return 0; }
ws_sa_line() { # SPI TRANSFORM KEYHEX SRC DST
    local spi=$1 t=$2 key=$3 src=$4 dst=$5 ek
    case $t in
    aes128gcm16 | aes256gcm16)
        printf '"IPv4","%s","%s","%s","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""\n' \
            "$src" "$dst" "$spi" "$key"
        return
        ;;
    aes128-*) ek=32 ;;
    aes256-*) ek=64 ;;
    esac
    local auth
    case $t in
    *-sha256) auth="HMAC-SHA-256-128 [RFC4868]" ;;
    *-sha384) auth="HMAC-SHA-384-192 [RFC4868]" ;;
    *-sha512) auth="HMAC-SHA-512-256 [RFC4868]" ;;
    esac
    printf '"IPv4","%s","%s","%s","AES-CBC [RFC3602]","0x%s","%s","0x%s"\n' \
        "$src" "$dst" "$spi" "${key:0:ek}" "$auth" "${key:ek}"
}

# analyse LABEL PCAP MIN_ESP SA...   (SA = SPI:TRANSFORM:KEYHEX:ESN:SRC:DST)
# Sets AN_ESP (ESP frames seen) and AN_NOTE; fails with the tshark evidence.
analyse() {
    local label=$1 pcap=$2 min=$3 sa spi t key esn src dst
    shift 3
    local -a pyargs=()
    local ws_spis="" esn_spis="" unsupported=""
    : >"$WS_CFG/esp_sa"
    for sa in "$@"; do
        IFS=: read -r spi t key esn src dst <<<"$sa"
        pyargs+=(--sa "$spi:$t:$key:$esn")
        if ws_supported "$t"; then
            ws_sa_line "$spi" "$t" "$key" "$src" "$dst" >>"$WS_CFG/esp_sa"
            ws_spis="$ws_spis ${spi,,}"
            [ "$esn" = 1 ] && esn_spis="$esn_spis ${spi,,}"
        else
            unsupported="$t"
            WS_UNSUPPORTED[$t]=1
        fi
    done

    # One line per ESP frame (and per frame with an error): the fields Wireshark fills in
    # when it could decrypt, and the severities of its expert infos (Malformed is an error).
    run_tshark -r "$pcap" -Y 'esp || _ws.malformed || _ws.expert.severity == "Error"' \
        -T fields -E separator=/t -E occurrence=a -E aggregator=, \
        -e frame.number -e esp.spi -e esp.sequence -e esp.icv_good -e esp.icv_bad \
        -e esp.protocol -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e frame.len \
        -e _ws.expert.severity -e _ws.expert.message \
        >"$UIP_TMP/fields.txt" || uip_fail "$label: tshark could not read $pcap (see below)$(cat "$UIP_TMP/tshark.err")"
    local res
    res=$(awk -F '\t' -v ws=" $ws_spis " -v esnl=" $esn_spis " \
        -v a4="$A4" -v b4="$B4" -v a6="$A6" -v b6="$B6" '
        function inner4(s, d,  n, ss, dd) {
            n = split(s, ss, ","); split(d, dd, ",")
            return n == 2 && (ss[2] == a4 || ss[2] == b4) && (dd[2] == a4 || dd[2] == b4) && ss[2] != dd[2]
        }
        function inner6(s, d) { return (s == a6 || s == b6) && (d == a6 || d == b6) && s != d }
        {
            n = split($12, sev, ","); err = 0
            for (i = 1; i <= n; i++) if (sev[i] + 0 >= 8388608) err = 1 # PI_ERROR
            if (err) { bad++; if (nb++ < 5) why = why " frame " $1 ": expert error \"" $13 "\";" }
            if ($2 == "") next
            esp++; spi = tolower($2)
            if ($11 > 1514) { bad++; if (nb++ < 5) why = why " frame " $1 ": " $11 " bytes on a 1500-byte path;" }
            if (index(ws, " " spi " ") == 0) { other++; next }
            checked++
            isesn = index(esnl, " " spi " ") > 0
            if ($6 == "0x04" && inner4($7, $8)) v4++
            else if ($6 == "0x29" && inner6($9, $10)) v6++
            else { bad++; if (nb++ < 5) why = why " frame " $1 ": not decrypted to an inner packet between the tunnel addresses (next header \"" $6 "\");" ; next }
            if (isesn) { esnbad += ($5 == "1"); next }
            if ($4 == "1" && $5 == "0") good++
            else { bad++; if (nb++ < 5) why = why " frame " $1 ": ICV not good (good=" $4 " bad=" $5 ");" }
        }
        END { printf "%d %d %d %d %d %d %d %d %s\n", esp, checked, other, v4, v6, good, esnbad, bad, why }' \
        "$UIP_TMP/fields.txt")
    local n_esp n_checked n_other n_v4 n_v6 n_good n_esnbad n_bad why
    read -r n_esp n_checked n_other n_v4 n_v6 n_good n_esnbad n_bad why <<<"$res"
    AN_ESP=$n_esp
    uip_log "  wireshark: $n_esp ESP frames; $n_checked with a key Wireshark can use: $n_v4 IPv4 + $n_v6 IPv6 inner decrypted, $n_good ICV good${esn_spis:+, $n_esnbad ICV flagged bad under ESN (expected: Wireshark 4.0 has no ESN)}"
    [ -n "$unsupported" ] && uip_log "  wireshark: $n_other frames of $unsupported: not verifiable, Wireshark 4.0 has no ChaCha20-Poly1305"
    if [ "$n_bad" != 0 ]; then
        local first
        first=$(grep -o 'frame [0-9]*' <<<"$why" | head -n 1 | grep -o '[0-9]*')
        uip_log "--- tshark, first failing frame $first:"
        run_tshark -r "$pcap" -Y "frame.number == $first" -O esp,ip,ipv6 | sed -n '/^Frame/,$p' | head -n 60
        uip_fail "$label: Wireshark rejects $n_bad frames:$why"
    fi
    [ "$n_esp" -ge "$min" ] || uip_fail "$label: only $n_esp ESP frames captured, expected at least $min"

    if [ "$PYCHECK" = 1 ]; then
        uip_log "  esp-check.py:"
        python3 "$ESP_CHECK" verify --pcap "$pcap" "${pyargs[@]}" --inner 198.18.0.0/15 \
            --inner 2001:db8::/32 --min-packets "$min" ||
            uip_fail "$label: esp-check.py rejects the capture (see above)"
    fi
}

# ---------------------------------------------------------------- harness self-check
uip_step "self-check: reference packets from esp-check.py through the same checks"
if [ "$PYCHECK" = 1 ]; then
    ref_sas=()
    ref_args=()
    n=0
    for c in aes128gcm16:0 aes256gcm16:0 chacha20poly1305:0 aes128-sha256:0 aes256-sha384:0 \
        aes256-sha512:0 aes128gcm16:1 aes128-sha256:1 chacha20poly1305:1; do
        n=$((n + 1))
        t=${c%:*}
        spi=$(printf '0x%08x' $((0x1000 + n)))
        key=$(uip_hex "$(uip_keylen "$t")")
        ref_sas+=("$spi:$t:$key:${c#*:}:$OA:$OB")
        ref_args+=(--sa "$spi:$t:$key:${c#*:}")
    done
    python3 "$ESP_CHECK" synth --out "$UIP_TMP/reference.pcap" --src "$OA" --dst "$OB" \
        --inner-src4 "$A4" --inner-dst4 "$B4" --inner-src6 "$A6" --inner-dst6 "$B6" \
        "${ref_args[@]}" || uip_fail "esp-check.py synth failed"
    analyse "self-check" "$UIP_TMP/reference.pcap" 36 "${ref_sas[@]}"
    uip_log "  self-check passed: the Wireshark set-up decrypts reference ESP"
else
    uip_log "  skipped (needs python3-cryptography)"
fi

# ---------------------------------------------------------------- set-up
uip_step "namespaces $NSA / $NSB"
uip_ns_pair "$NSA" "$NSB" "$VA" "$VB" "$OA/24" "$OB/24"
# The engines send runs of ESP packets as UDP GSO super-datagrams, and a veth
# passes those on whole, so the capture would see them unsegmented.  Have the
# kernel cut them before the capture point, as a real NIC puts single packets
# on the wire.
for side in "$NSA:$VA" "$NSB:$VB"; do
    ip netns exec "${side%%:*}" ethtool -K "${side#*:}" tx-udp-segmentation off >/dev/null ||
        uip_fail "cannot turn off UDP segmentation offload on ${side#*:}"
done
# Keep the ephemeral ports of the inner TCP connections in a range where
# Wireshark 4.0 registers no dissector: a random port such as 48049 (CBSP)
# would have tshark parse iperf3's control bytes as that protocol and call
# them malformed, which says nothing about our ESP.
for ns in "$NSA" "$NSB"; do
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="40000 40999" ||
        uip_fail "cannot set the local port range in $ns"
done
uip_ping "$NSA" "$OA" "$OB" 2 || uip_fail "the outer link does not work"
uip_iperf_server "$NSB"

# ---------------------------------------------------------------- per case
for case in $CASES; do
    T=${case%:*}
    ESN=${case#*:}
    esn_word=false
    [ "$ESN" = 1 ] && esn_word=true
    uip_step "$T, ESN $esn_word"
    uip_write_pair "$T" "$esn_word" "$UIP_TMP/a.conf" "$UIP_TMP/b.conf" uipw-a-tun uipw-b-tun \
        "$OA" "$OB" "$NETA4,$NETA6" "$NETB4,$NETB6"
    uip_engine_start a "$NSA" "$UIP_TMP/a.conf"
    uip_engine_start b "$NSB" "$UIP_TMP/b.conf"
    uip_tun_addr "$NSA" "${ENG_TUN[a]}" "$A4" "$A6" "$NETB4" "$NETB6"
    uip_tun_addr "$NSB" "${ENG_TUN[b]}" "$B4" "$B6" "$NETA4" "$NETA6"
    m=${ENG_MTU[a]}

    pcap=$UIP_TMP/$T-esn$ESN.pcap
    ip netns exec "$NSA" dumpcap -q -i "$VA" -f 'udp port 4500' -P -w "$pcap" \
        2>"$UIP_TMP/dumpcap.err" &
    cap_pid=$!
    uip_track "$cap_pid"
    uip_dumpcap_wait "$UIP_TMP/dumpcap.err" "$cap_pid"

    sent=0
    for dir in "$NSA $A4 $B4" "$NSB $B4 $A4" "$NSA $A6 $B6" "$NSB $B6 $A6"; do
        read -r ns src dst <<<"$dir"
        uip_ping "$ns" "$src" "$dst" 4 || uip_fail "$T: ping $src -> $dst failed"
        sent=$((sent + 8))
    done
    # Payload sizes around the padding boundaries, up to a packet that fills the TUN MTU.
    for s in 0 1 2 3 13 14 15 16 17 100 1000 $((m - 28)); do
        uip_ping "$NSA" "$A4" "$B4" 1 -s "$s" -M "do" >/dev/null ||
            uip_fail "$T: IPv4 ping of $s bytes (TUN MTU $m) failed"
        sent=$((sent + 2))
    done
    for s in 0 1 2 3 13 14 15 16 17 100 1000 $((m - 48)); do
        uip_ping "$NSB" "$B6" "$A6" 1 -s "$s" -M "do" >/dev/null ||
            uip_fail "$T: IPv6 ping of $s bytes (TUN MTU $m) failed"
        sent=$((sent + 2))
    done
    uip_log "  pings: 4 each way IPv4 and IPv6, and sizes 0..$((m - 28)) (IPv4) / 0..$((m - 48)) (IPv6) bytes"
    if in_list "$case" "$IPERF_CASES"; then
        for run in "$A4 $B4" "$A4 $B4 -R" "$A6 $B6" "$A6 $B6 -R"; do
            read -r src dst rev <<<"$run"
            # shellcheck disable=SC2086 # $rev is empty or -R
            out=$(timeout 20 ip netns exec "$NSA" iperf3 -c "$dst" -B "$src" -n 1M -f m \
                --connect-timeout 3000 $rev 2>&1) ||
                uip_fail "$T: iperf3 $src -> $dst $rev failed: $(tail -n 5 <<<"$out")"
        done
        uip_log "  iperf3: 1 MB TCP each way, IPv4 and IPv6"
    fi
    sleep 0.3
    uip_stop "$cap_pid" INT 5 || true
    cap_dropped=$(sed -n "s/^Packets received\/dropped on interface.*: [0-9]*\/\([0-9]*\) .*/\1/p" \
        "$UIP_TMP/dumpcap.err" | head -n 1)

    uip_stats a
    uip_stats b
    uip_check_no_drops a
    uip_check_no_drops b
    uip_stat a_out a pkts_out
    uip_stat b_out b pkts_out
    uip_engine_stop a
    uip_engine_stop b

    analyse "$T ESN $esn_word" "$pcap" "$sent" \
        "$SA_SPI_AB:$T:$SA_KEY_AB:$ESN:$OA:$OB" "$SA_SPI_BA:$T:$SA_KEY_BA:$ESN:$OB:$OA"
    if [ "${cap_dropped:-x}" = 0 ]; then
        [ "$AN_ESP" = $((a_out + b_out)) ] ||
            uip_fail "$T: captured $AN_ESP ESP frames but the engines sent $a_out + $b_out"
        uip_log "  capture: $AN_ESP ESP frames = what the engines sent ($a_out + $b_out)"
    else
        uip_log "  capture: $AN_ESP ESP frames, engines sent $a_out + $b_out (dumpcap dropped ${cap_dropped:-?})"
    fi

    if ! ws_supported "$T"; then
        verdict="esp-check.py only (Wireshark 4.0 has no ChaCha20-Poly1305)"
    elif [ "$ESN" = 1 ]; then
        verdict="Wireshark decrypts all; ICV by esp-check.py (Wireshark 4.0 has no ESN)"
    else
        verdict="Wireshark: ICV good + decrypted, all frames"
    fi
    [ "$PYCHECK" = 1 ] || verdict="$verdict; esp-check.py skipped"
    SUMMARY+=("$(printf '%-17s ESN %-5s %5s ESP frames  %s' "$T" "$esn_word" "$AN_ESP" "$verdict")")
done

uip_step "summary (PASS, ${SECONDS}s)"
for line in "${SUMMARY[@]}"; do uip_log "  $line"; done
if [ "${#WS_UNSUPPORTED[@]}" != 0 ]; then
    uip_log "  not verifiable with Wireshark $(tshark -v 2>/dev/null | sed -n '1s/.*(Wireshark) \([^ ]*\).*/\1/p'): ${!WS_UNSUPPORTED[*]}"
fi
exit 0
