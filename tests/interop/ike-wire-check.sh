#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ike-wire-check.sh: let Wireshark's own IKEv2 dissector (tshark 4.0) decrypt a captured
# IKE conversation with the SK_* keys the client printed, and check that every message
# after IKE_SA_INIT decrypts, passes its integrity check and dissects cleanly.
# Called by test-interop.sh (case "wire"); environment:
#   UIP_WIRE_PCAP  capture (udp port 500 or 4500) of one run
#   UIP_WIRE_KEYS  "ike-keys spi-i=<16 hex> spi-r=<16 hex> sk-ei=<hex> sk-er=<hex>
#                   sk-ai=<hex> sk-ar=<hex> encr=<name> integ=<name>"
#   UIP_WIRE_TMP   a private folder for the Wireshark profile
#   UIP_WIRE_EXPECT_DNS4 / _DNS6 / _DOMAIN   attributes the CFG_REPLY must carry (optional)
#
# Wireshark facts (packet-isakmp.c, 4.0): the UAT "ikev2_decryption_table" (a file of
# that name in the profile folder) has one record per IKE_SA with the fields
#   Initiator's SPI, Responder's SPI (8 bytes hex each), SK_ei, SK_er (hex; for AES-GCM
#   key followed by the 4-byte salt), encryption algorithm (quoted name such as
#   "AES-GCM-256 with 16 octet ICV [RFC5282]"), SK_ai, SK_ar (hex, empty for AEAD),
#   integrity algorithm (quoted name such as "HMAC_SHA2_256_128 [RFC4868]",
#   "NONE [RFC4306]" for AEAD).  There is no ChaCha20-Poly1305 in its list.
# The decrypted payloads appear under isakmp.enc.decrypted; a bad ICV or tag gives the
# expert info isakmp.ikev2.integrity_checksum.
# Exit: 0 pass, 1 fail.

set -euo pipefail

die() {
    printf 'FAIL: ike-wire-check: %s\n' "$*" >&2
    exit 1
}

pcap=${UIP_WIRE_PCAP:?}
keys=${UIP_WIRE_KEYS:?}
tmp=${UIP_WIRE_TMP:?}
[ -s "$pcap" ] || die "empty capture $pcap"

declare -A K=()
for w in ${keys#ike-keys }; do K[${w%%=*}]=${w#*=}; done
for k in spi-i spi-r sk-ei sk-er encr; do
    [ -n "${K[$k]:-}" ] || die "ike-keys line lacks $k: $keys"
done
for k in spi-i spi-r; do [[ ${K[$k]} =~ ^[0-9a-fA-F]{16}$ ]] || die "$k is not 16 hex digits: ${K[$k]}"; done

# Our names (IANA-ish "AES_GCM_16_256", strongSwan's "AES_GCM_16-256", or proposal
# keywords) to Wireshark's.
ws_encr() {
    local n
    n=$(tr '[:lower:]' '[:upper:]' <<<"$1" | tr -- '-' '_')
    case $n in
    AES_GCM_16_128 | AES128GCM16 | ENCR_AES_GCM_16_128) echo "AES-GCM-128 with 16 octet ICV [RFC5282]" ;;
    AES_GCM_16_256 | AES256GCM16 | ENCR_AES_GCM_16_256) echo "AES-GCM-256 with 16 octet ICV [RFC5282]" ;;
    AES_CBC_128 | AES128 | ENCR_AES_CBC_128) echo "AES-CBC-128 [RFC3602]" ;;
    AES_CBC_192 | AES192) echo "AES-CBC-192 [RFC3602]" ;;
    AES_CBC_256 | AES256 | ENCR_AES_CBC_256) echo "AES-CBC-256 [RFC3602]" ;;
    *) return 1 ;;
    esac
}
ws_integ() {
    local n
    n=$(tr '[:lower:]' '[:upper:]' <<<"${1:-none}" | tr -- '-' '_')
    case $n in
    NONE | '' | AUTH_NONE) echo "NONE [RFC4306]" ;;
    HMAC_SHA2_256_128 | SHA256 | AUTH_HMAC_SHA2_256_128) echo "HMAC_SHA2_256_128 [RFC4868]" ;;
    HMAC_SHA2_384_192 | SHA384 | AUTH_HMAC_SHA2_384_192) echo "HMAC_SHA2_384_192 [RFC4868]" ;;
    HMAC_SHA2_512_256 | SHA512 | AUTH_HMAC_SHA2_512_256) echo "HMAC_SHA2_512_256 [RFC4868]" ;;
    HMAC_SHA1_96 | SHA1) echo "HMAC_SHA1_96 [RFC2404]" ;;
    *) return 1 ;;
    esac
}
encr=$(ws_encr "${K[encr]}") || die "Wireshark 4.0 cannot decrypt IKE encryption '${K[encr]}' (use AES-GCM or AES-CBC for the wire check)"
integ=$(ws_integ "${K[integ]:-none}") || die "unknown IKE integrity '${K[integ]:-}'"

ws=$tmp/ws-ike
mkdir -p "$ws/profile" "$ws/home"
chmod 700 "$ws"

write_table() { # SK_EI to use (the real one, or a corrupted one for the control run)
    {
        printf '# ikev2_decryption_table written by ike-wire-check.sh\n'
        printf '%s,%s,%s,%s,"%s",%s,%s,"%s"\n' "${K[spi-i]}" "${K[spi-r]}" "$1" "${K[sk-er]}" \
            "$encr" "${K[sk-ai]:-}" "${K[sk-ar]:-}" "$integ"
    } >"$ws/profile/ikev2_decryption_table"
}

run_tshark() {
    WIRESHARK_CONFIG_DIR=$ws/profile HOME=$ws/home tshark -n -r "$pcap" "$@" 2>>"$ws/tshark.err"
}

# One line per IKE frame: frame, I-SPI, exchange, response flag, decrypted?, bad ICV?,
# malformed?, expert severities, payload types (all, including decrypted ones).
frames() {
    run_tshark -Y isakmp -T fields -E separator=/t -E occurrence=a -E aggregator=, \
        -e frame.number -e isakmp.ispi -e isakmp.exchangetype -e isakmp.flag_r \
        -e isakmp.enc.decrypted -e isakmp.ikev2.integrity_checksum -e _ws.malformed \
        -e _ws.expert.severity -e isakmp.typepayload -e _ws.expert.message
}

# ---- control: with a corrupted SK_ei the initiator's messages must NOT verify/decrypt,
# else this check could pass without decrypting anything.
bad=${K[sk-ei]:0:${#K[sk-ei]}-2}$(printf '%02x' $(((0x${K[sk-ei]: -2} ^ 0xff))))
write_table "$bad"
ctl=$(frames) || die "tshark failed: $(tail -n 5 "$ws/tshark.err")"
if ! awk -F'\t' -v spi="${K[spi-i],,}" '
    tolower($2) == spi && $3 != 34 && $4 != 1 && ($6 != "" || $5 == "") { n++ }
    END { exit !(n > 0) }' <<<"$ctl"; then
    printf '%s\n' "$ctl" >&2
    die "control run: a corrupted SK_ei still decrypted the initiator's messages (is the table used at all?)"
fi

# ---- the real keys
write_table "${K[sk-ei]}"
out=$(frames) || die "tshark failed: $(tail -n 5 "$ws/tshark.err")"
printf '%s\n' "$out" >"$ws/frames.tsv"
res=$(awk -F'\t' -v spi="${K[spi-i],,}" '
    tolower($2) != spi { next }
    {
        total++
        if ($3 == 34) { init++; next }
        enc++
        msg = "frame " $1 " exch " $3 (($4 == 1) ? " response" : " request")
        if ($5 == "") { bad++; why = why msg ": not decrypted; " }
        else if ($6 != "") { bad++; why = why msg ": integrity check failed; " }
        if ($7 != "") { bad++; why = why msg ": malformed; " }
        if ($8 ~ /(^|,)(8388608|Error|error)(,|$)/) { bad++; why = why msg ": expert error " $10 "; " }
        if ($3 == 35) auth++
    }
    END { printf "%d %d %d %d %d %s\n", total, init, enc, auth, bad, why }' <<<"$out")
read -r total init enc auth bad why <<<"$res"
printf '  tshark: %s IKE frames of this IKE_SA: %s IKE_SA_INIT, %s encrypted (%s IKE_AUTH)\n' \
    "$total" "$init" "$enc" "$auth"
[ "$init" -ge 2 ] || die "no IKE_SA_INIT request/response pair in the capture"
[ "$auth" -ge 2 ] || die "no IKE_AUTH request/response pair in the capture"
if [ "$bad" != 0 ]; then
    cut -f1-9 "$ws/frames.tsv" >&2
    die "$bad problem(s): $why"
fi

# ---- the decrypted contents: IKE_AUTH request and response carry what they must
req=$(awk -F'\t' '$3 == 35 && $4 != 1 { print $9; exit }' "$ws/frames.tsv")
rsp=$(awk -F'\t' -v n="$(awk -F'\t' '$3 == 35 && $4 == 1' "$ws/frames.tsv" | tail -n 1 | cut -f1)" '$1 == n { print $9 }' "$ws/frames.tsv")
has() { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }
# payload type numbers: 35 IDi 36 IDr 39 AUTH 33 SA 44 TSi 45 TSr 47 CP 46 SK
for p in 35 39 33 44 45; do has "$req" $p || die "decrypted IKE_AUTH request lacks payload type $p (payloads: $req)"; done
for p in 36 39; do has "$rsp" $p || die "decrypted last IKE_AUTH response lacks payload type $p (payloads: $rsp)"; done
printf '  decrypted IKE_AUTH request payloads: %s; last response: %s\n' "$req" "$rsp"

if [ -n "${UIP_WIRE_EXPECT_DNS4:-}${UIP_WIRE_EXPECT_DOMAIN:-}" ]; then
    cfg=$(run_tshark -Y 'isakmp.cfg.type == 2' -T fields -E occurrence=a -E aggregator=, \
        -e isakmp.cfg.attr.internal_ip4_dns -e isakmp.cfg.attr.internal_ip6_dns \
        -e isakmp.cfg.attr.type -e isakmp.cfg.attr.value)
    printf '  CFG_REPLY: %s\n' "$(tr '\t' ' ' <<<"$cfg")"
    [ -z "${UIP_WIRE_EXPECT_DNS4:-}" ] || grep -q "$UIP_WIRE_EXPECT_DNS4" <<<"$cfg" ||
        die "CFG_REPLY has no INTERNAL_IP4_DNS $UIP_WIRE_EXPECT_DNS4"
    [ -z "${UIP_WIRE_EXPECT_DNS6:-}" ] || grep -q "$UIP_WIRE_EXPECT_DNS6" <<<"$cfg" ||
        die "CFG_REPLY has no INTERNAL_IP6_DNS $UIP_WIRE_EXPECT_DNS6"
    if [ -n "${UIP_WIRE_EXPECT_DOMAIN:-}" ]; then
        hex=$(printf '%s' "$UIP_WIRE_EXPECT_DOMAIN" | od -An -tx1 | tr -d ' \n')
        tr -d ':' <<<"$cfg" | grep -qi "$hex" ||
            die "CFG_REPLY has no INTERNAL_DNS_DOMAIN (25) $UIP_WIRE_EXPECT_DOMAIN"
    fi
fi
printf '  wire check passed (Wireshark decrypted and verified every message after IKE_SA_INIT)\n'
