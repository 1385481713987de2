# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers shared by the network-namespace tests (tests/netns/test-*.sh) and the
# demo (demo/run-demo.sh): locating uip-static, two namespaces joined by a veth,
# starting/stopping engines with static keys, reading their counters, and a
# cleanup trap that ends only the processes this script started (by PID) and
# deletes only the namespaces it created.
#
# A sourcing script calls uip_init "$@" first; it then has:
#   UIP_STATIC  the uip-static binary      UIP_TMP  a private temporary folder
# and registers namespaces with uip_ns_pair, processes with uip_track.
#
# Exit codes follow meson: 0 pass, 77 skip (not root, no TUN, missing tool), else fail.

UIP_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UIP_SRC_ROOT=$(cd "$UIP_LIB_DIR/../.." && pwd)
# shellcheck source=tests/lib-deps.sh
. "$UIP_SRC_ROOT/tests/lib-deps.sh" # uip_deb_of, uip_swan_missing: the package for a message

declare -a UIP_PIDS=()      # processes we started and have not reaped yet
declare -a UIP_NETNS=()     # namespaces we created
declare -A ENG_PID=() ENG_TUN=() ENG_MTU=() ENG_OUT=() ENG_ERR=() STATS=()
UIP_TMP=

uip_log() { printf '%s\n' "$*"; }
uip_step() { printf '\n== %s   [%ss]\n' "$*" "$SECONDS"; }
uip_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
uip_skip() {
    # CI sets UIP_NETNS_REQUIRED=1: there a missing prerequisite is a failure, not a skip
    if [ -n "${UIP_NETNS_REQUIRED:-}" ]; then
        uip_fail "prerequisite missing (UIP_NETNS_REQUIRED is set): $*"
    fi
    printf 'SKIP: %s\n' "$*" >&2
    exit 77
}

# uip_init "$@": find the build folder ($1, else $MESON_BUILD_ROOT, else <repo>/build)
# and uip-static ($UIP_STATIC, else BUILD/tests/tools/uip-static); check prerequisites;
# make the temporary folder and install the EXIT trap.
uip_init() {
    local build=${1:-${MESON_BUILD_ROOT:-$UIP_SRC_ROOT/build}}
    UIP_BUILD=$(cd "$build" 2>/dev/null && pwd) || UIP_BUILD=$build
    UIP_STATIC=${UIP_STATIC:-$UIP_BUILD/tests/tools/uip-static}

    [ "$(id -u)" = 0 ] || uip_skip "needs root (network namespaces, TUN)"
    [ -c /dev/net/tun ] || uip_skip "no /dev/net/tun"
    uip_need ip openssl ping sysctl
    [ -x "$UIP_STATIC" ] ||
        uip_fail "uip-static not found at $UIP_STATIC (build it: ninja -C $UIP_BUILD tests/tools/uip-static, or set UIP_STATIC)"

    UIP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/uip-netns.XXXXXX") || uip_fail "mktemp failed"
    trap uip_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# uip_need CMD...: skip when a tool is missing (tests/install-deps.sh installs it), naming
# the package that ships it.
uip_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 ||
            uip_skip "'$c' is not installed (Debian: $(uip_deb_of "$c"))"
    done
}

uip_track() { UIP_PIDS+=("$1"); }

# True while PID runs (a zombie answers kill -0, so read its state too).
uip_alive() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    case ${st%% *} in Z | X | x | '') return 1 ;; esac
    return 0
}

# uip_dumpcap_wait LOG PID: wait (up to 30 s) until dumpcap (PID, its stderr in LOG) says
# "Capturing on", then a moment more for its filter; fails the test if it never does.
# dumpcap loads Wireshark's libraries first: on a busy 2-core machine that took over 5 s.
uip_dumpcap_wait() {
    local i
    for ((i = 0; i < 300; i++)); do
        grep -q 'Capturing on' "$1" && break
        uip_alive "$2" || break
        sleep 0.1
    done
    grep -q 'Capturing on' "$1" || uip_fail "dumpcap did not start: $(cat "$1")"
    sleep 0.3 # "Capturing on" comes a moment before the filter is attached
}

# uip_stop PID [SIGNAL] [SECONDS]: signal one of our processes, wait for it to end
# (bounded), kill it if it does not, reap it and forget it.  Returns its status.
uip_stop() {
    local pid=$1 sig=${2:-TERM} secs=${3:-5} i rc=0 keep=() p
    if uip_alive "$pid"; then
        kill "-$sig" "$pid" 2>/dev/null
        for ((i = 0; i < secs * 10; i++)); do
            uip_alive "$pid" || break
            sleep 0.1
        done
        if uip_alive "$pid"; then
            printf 'note: PID %s did not end on SIG%s within %ss, killing it\n' "$pid" "$sig" "$secs" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null || rc=$?
    for p in "${UIP_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    UIP_PIDS=("${keep[@]}")
    return "$rc"
}

# uip_wait PID SECONDS: let one of our processes end by itself (bounded), stop it if it
# does not, reap it and forget it.  Returns its status.
uip_wait() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        uip_alive "$1" || break
        sleep 0.1
    done
    uip_stop "$1" TERM 2
}

uip_cleanup() {
    local rc=$? pid ns
    trap - EXIT
    for pid in "${UIP_PIDS[@]}"; do
        uip_stop "$pid" TERM 3 || true
    done
    for ns in "${UIP_NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [ -n "$UIP_TMP" ] && [ -d "$UIP_TMP" ]; then
        if [ "${UIP_KEEP_TMP:-}" = always ] ||
            { [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "${UIP_KEEP_TMP:-}" ]; }; then
            printf 'kept %s\n' "$UIP_TMP" >&2
        else
            rm -rf "$UIP_TMP"
        fi
    fi
    exit "$rc"
}

# uip_ns_pair NSA NSB VETHA VETHB ADDRA/LEN ADDRB/LEN: two fresh namespaces and a veth.
uip_ns_pair() {
    local a=$1 b=$2 va=$3 vb=$4 aa=$5 ab=$6 ns
    for ns in "$a" "$b"; do
        ip netns del "$ns" 2>/dev/null # a leftover of an earlier run of this same script
        ip netns add "$ns" || uip_fail "cannot create namespace $ns"
        UIP_NETNS+=("$ns")
        ip -n "$ns" link set lo up
        # No DAD: addresses are usable at once, and the TUNs need no link-local chatter.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0 \
            net.ipv6.conf.default.accept_ra=0 >/dev/null
    done
    ip link add "$va" netns "$a" type veth peer name "$vb" netns "$b" ||
        uip_fail "cannot create veth $va/$vb"
    ip -n "$a" addr add "$aa" dev "$va"
    ip -n "$b" addr add "$ab" dev "$vb"
    ip -n "$a" link set "$va" up
    ip -n "$b" link set "$vb" up
}

# uip_protect NS OUTER-LINK PREFIX...: the namespace refuses packets for its protected
# PREFIXes that arrive on its outer link (cleartext), so only the tunnel can reach them.
uip_protect() {
    local ns=$1 link=$2 p fam
    shift 2
    for fam in -4 -6; do
        ip -n "$ns" "$fam" rule add pref 100 lookup local
        ip -n "$ns" "$fam" rule del pref 0 lookup local 2>/dev/null
    done
    for p in "$@"; do
        case $p in *:*) fam=-6 ;; *) fam=-4 ;; esac
        ip -n "$ns" "$fam" rule add pref 10 iif "$link" to "$p" prohibit ||
            uip_fail "cannot add the prohibit rule for $p in $ns"
    done
}

uip_hex() { openssl rand -hex "$1"; }
# A random SPI above the reserved range 0..255 (RFC 4303 2.1).
uip_spi() { printf '0x%s' "$(openssl rand -hex 4 | sed 's/^./c/')"; }

# uip_keylen TRANSFORM: KEYMAT bytes (AEAD key||salt, or CBC key||HMAC key).
uip_keylen() {
    case $1 in
    aes128gcm16) echo 20 ;;
    aes256gcm16 | chacha20poly1305) echo 36 ;;
    aes128-sha256) echo 48 ;;
    aes256-sha384) echo 80 ;;
    aes256-sha512) echo 96 ;;
    *) uip_fail "unknown transform $1" ;;
    esac
}
uip_encr() { echo "${1%%-*}"; }
uip_integ() { case $1 in *-*) echo "${1#*-}" ;; *) echo none ;; esac; }

# uip_write_pair TRANSFORM ESN CONF_A CONF_B TUN_A TUN_B OUTER_A OUTER_B TS_A TS_B
# Writes two mirrored uip-static configs with fresh random keys and SPIs, and leaves
# SA_SPI_AB SA_SPI_BA SA_KEY_AB SA_KEY_BA (A->B and B->A) for the caller.
uip_write_pair() {
    local t=$1 esn=$2 ca=$3 cb=$4 tuna=$5 tunb=$6 oa=$7 ob=$8 tsa=$9 tsb=${10} len
    len=$(uip_keylen "$t")
    SA_SPI_AB=$(uip_spi)
    SA_SPI_BA=$(uip_spi)
    while [ "$SA_SPI_BA" = "$SA_SPI_AB" ]; do SA_SPI_BA=$(uip_spi); done
    SA_KEY_AB=$(uip_hex "$len")
    SA_KEY_BA=$(uip_hex "$len")
    _uip_conf "$ca" "$tuna" "$oa" "$ob" "$SA_SPI_AB" "$SA_SPI_BA" "$t" "$SA_KEY_AB" "$SA_KEY_BA" "$esn" "$tsa" "$tsb"
    _uip_conf "$cb" "$tunb" "$ob" "$oa" "$SA_SPI_BA" "$SA_SPI_AB" "$t" "$SA_KEY_BA" "$SA_KEY_AB" "$esn" "$tsb" "$tsa"
}

_uip_conf() {
    (
        umask 077
        cat >"$1" <<EOF
[engine]
tun = $2
local = $3
local-port = 4500
remote = $4
remote-port = 4500
path-mtu = 1500
keepalive = 0
replay-window = 1024

[child test]
spi-out = $5
spi-in = $6
encr = $(uip_encr "$7")
integ = $(uip_integ "$7")
key-out = $8
key-in = $9
esn = ${10}
local-ts = ${11}
remote-ts = ${12}
EOF
    )
}

# uip_engine_start NAME NS CONF: run uip-static in NS, wait (10 s at most) for its
# "ready tun=.. mtu=.." line; sets ENG_PID/ENG_TUN/ENG_MTU[NAME].
uip_engine_start() {
    local name=$1 ns=$2 conf=$3 i line pid
    ENG_OUT[$name]=$UIP_TMP/engine-$name.out
    ENG_ERR[$name]=$UIP_TMP/engine-$name.err
    : >"${ENG_OUT[$name]}"
    ip netns exec "$ns" "$UIP_STATIC" "$conf" >"${ENG_OUT[$name]}" 2>"${ENG_ERR[$name]}" &
    pid=$!
    uip_track "$pid"
    ENG_PID[$name]=$pid
    for ((i = 0; i < 100; i++)); do
        line=$(grep -m1 '^ready ' "${ENG_OUT[$name]}" 2>/dev/null)
        [ -n "$line" ] && break
        if ! uip_alive "$pid"; then
            uip_engine_dump "$name"
            uip_fail "engine $name (uip-static $conf) exited before it was ready"
        fi
        sleep 0.1
    done
    [ -n "$line" ] || {
        uip_engine_dump "$name"
        uip_fail "engine $name printed no 'ready' line within 10 s (is its stdout flushed?)"
    }
    ENG_TUN[$name]=$(sed -n 's/.*tun=\([^ ]*\).*/\1/p' <<<"$line")
    ENG_MTU[$name]=$(sed -n 's/.*mtu=\([0-9]*\).*/\1/p' <<<"$line")
    if [ -z "${ENG_TUN[$name]}" ] || [ -z "${ENG_MTU[$name]}" ]; then
        uip_fail "engine $name: cannot parse its ready line: $line"
    fi
    ip -n "$ns" link show "${ENG_TUN[$name]}" >/dev/null 2>&1 ||
        uip_fail "engine $name: TUN ${ENG_TUN[$name]} does not exist in $ns"
}

uip_engine_dump() {
    local name=$1
    printf -- '--- engine %s stdout (last lines):\n' "$name" >&2
    tail -n 5 "${ENG_OUT[$name]}" >&2 2>/dev/null
    printf -- '--- engine %s stderr (last lines):\n' "$name" >&2
    tail -n 15 "${ENG_ERR[$name]}" >&2 2>/dev/null
}

_uip_stats_count() { cat "${ENG_OUT[$1]}" "${ENG_ERR[$1]}" 2>/dev/null | grep -c '^stats '; }
_uip_stats_last() { cat "${ENG_OUT[$1]}" "${ENG_ERR[$1]}" 2>/dev/null | grep '^stats ' | tail -n 1; }

# uip_stats NAME: SIGUSR1 the engine and wait (5 s at most) for a new counters line
# in STATS[NAME].
uip_stats() {
    local name=$1 pid=${ENG_PID[$1]} before i
    before=$(_uip_stats_count "$name")
    uip_alive "$pid" || {
        uip_engine_dump "$name"
        uip_fail "engine $name is no longer running"
    }
    kill -USR1 "$pid"
    for ((i = 0; i < 50; i++)); do
        if [ "$(_uip_stats_count "$name")" -gt "$before" ]; then
            STATS[$name]=$(_uip_stats_last "$name")
            return 0
        fi
        sleep 0.1
    done
    uip_engine_dump "$name"
    uip_fail "engine $name printed no 'stats' line within 5 s of SIGUSR1"
}

# uip_stat VAR NAME KEY: set VAR to a counter from the last STATS[NAME] line (fails
# when the line lacks it).  Runs in the calling shell, so the failure exits the script.
uip_stat() {
    local _uip_sv
    _uip_sv=$(tr ' ' '\n' <<<"${STATS[$2]}" | sed -n "s/^$3=//p" | head -n 1)
    [[ $_uip_sv =~ ^[0-9]+$ ]] ||
        uip_fail "engine $2: the stats line has no numeric '$3' counter: ${STATS[$2]}"
    printf -v "$1" '%s' "$_uip_sv"
}

# uip_engine_stop NAME: SIGTERM, wait for the final counters line and the exit.
uip_engine_stop() {
    local name=$1 pid=${ENG_PID[$1]} rc=0
    [ -n "$pid" ] || return 0
    uip_stop "$pid" TERM 5 || rc=$?
    ENG_PID[$name]=
    STATS[$name]=$(_uip_stats_last "$name")
    if [ "$rc" != 0 ]; then
        uip_engine_dump "$name"
        uip_fail "engine $name exited with status $rc on SIGTERM (expected 0)"
    fi
}

# uip_check_no_drops NAME: the counters that must stay 0 on a clean path.
UIP_MUST_BE_ZERO="drop_icv drop_replay drop_malformed drop_padding drop_no_sa"
uip_check_no_drops() {
    local name=$1 k v bad=
    for k in $UIP_MUST_BE_ZERO; do
        uip_stat v "$name" "$k"
        [ "$v" = 0 ] || bad="$bad $k=$v"
    done
    [ -z "$bad" ] || uip_fail "engine $name has unexpected drops:$bad (${STATS[$name]})"
}

# uip_tun_addr NS TUN ADDR4 ADDR6 PEER4/LEN PEER6/LEN: inner addresses on the TUN and
# routes to the peer's protected prefixes through it (what NetworkManager will do).
uip_tun_addr() {
    local ns=$1 tun=$2 a4=$3 a6=$4 p4=$5 p6=$6
    ip -n "$ns" addr add "$a4/32" dev "$tun" || uip_fail "cannot add $a4 on $tun"
    ip -n "$ns" -6 addr add "$a6/128" dev "$tun" nodad || uip_fail "cannot add $a6 on $tun"
    ip -n "$ns" route add "$p4" dev "$tun" src "$a4" || uip_fail "cannot route $p4 via $tun"
    ip -n "$ns" -6 route add "$p6" dev "$tun" src "$a6" || uip_fail "cannot route $p6 via $tun"
}

# uip_ping NS SRC DST COUNT [extra ping args]: COUNT echo replies must come back within
# a deadline.  (With a deadline ping sends one more request each interval until COUNT
# replies are in, so a reply delayed past the interval on a busy machine is no failure;
# a real loss in the tunnel shows in the engines' counters.)
uip_ping() {
    local ns=$1 src=$2 dst=$3 n=$4 out got
    shift 4
    out=$(ip netns exec "$ns" ping -n -q -c "$n" -i 0.1 -W 2 -w $((n + 5)) -I "$src" "$@" "$dst" 2>&1)
    got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' <<<"$out")
    if [ "${got:-0}" -lt "$n" ]; then
        printf '%s\n' "$out" >&2
        return 1
    fi
    printf '  ping %-15s -> %-15s %s\n' "$src" "$dst" "$(grep -o '[0-9]* packets transmitted, [0-9]* received' <<<"$out"), rtt $(sed -n 's/^rtt.*= \([^ ]*\) ms/\1/p' <<<"$out") ms"
}

# uip_iperf NS SRC DST SECS [-R]: one bounded TCP run through the tunnel (server
# already running at DST); prints the receiver's rate and sets IPERF_MBPS (and IPERF_OUT,
# iperf3's output).
uip_iperf() {
    local ns=$1 src=$2 dst=$3 secs=$4 out
    shift 4
    out=$(timeout $((secs + 15)) ip netns exec "$ns" iperf3 -c "$dst" -B "$src" -t "$secs" -f m \
        --connect-timeout 3000 "$@" 2>&1)
    IPERF_OUT=$out
    IPERF_MBPS=$(awk '/receiver$/ { for (i = 1; i < NF; i++) if ($(i+1) == "Mbits/sec") r = $i } END { print r }' <<<"$out")
    if [ -z "$IPERF_MBPS" ]; then
        printf '%s\n' "$out" | tail -n 20 >&2
        return 1
    fi
}

# uip_iperf_stall NS SRC DST SECS: uip_iperf with DST sending to SRC (-R) and a report
# every 0.1 s, so that the counts are what SRC's side received; sets IPERF_MBPS, and
# IPERF_STALL / IPERF_STALL_AT: the longest run of consecutive reports that carried
# (almost) nothing (under 10 kB each), in seconds, and when it began (seconds into the
# run).  A stall in either direction shows: without ACKs the sender stops within a window.
# Fails when iperf3 fails or when fewer than half the reports can be read.
uip_iperf_stall() {
    local n
    uip_iperf "$1" "$2" "$3" "$4" -R -i 0.1 || return 1
    read -r n IPERF_STALL IPERF_STALL_AT < <(awk '
        # "[  5]   1.20-1.30   sec  3.38 MBytes   283 Mbits/sec" (the final summary lines
        # end with sender/receiver); the transfer unit adapts: Bytes, KBytes, MBytes, GBytes
        $1 == "[" { $1 = "[" $2; $2 = ""; $0 = $0 }
        $3 == "sec" && $NF !~ /^(sender|receiver)$/ && split($2, t, "-") == 2 {
            n++
            b = $4 * (($5 == "KBytes") ? 1024 : ($5 == "MBytes") ? 1048576 : ($5 == "GBytes") ? 1073741824 : 1)
            if (b < 10000) {
                if (run == 0) from = t[1]
                run += t[2] - t[1]
                if (run > best) { best = run; at = from }
            } else {
                run = 0
            }
        }
        END { printf "%d %.1f %.1f\n", n, best, at }' <<<"$IPERF_OUT")
    if [ "$n" -lt $(($4 * 5)) ]; then
        printf '%s\n' "$IPERF_OUT" | tail -n 20 >&2
        printf 'uip_iperf_stall: only %s of about %s reports of 0.1 s could be read\n' "$n" $(($4 * 10)) >&2
        return 1
    fi
}

# uip_iperf_server NS: start one iperf3 server (both families) in NS; sets IPERF_PID.
uip_iperf_server() {
    local ns=$1 i
    ip netns exec "$ns" iperf3 -s --idle-timeout 30 >"$UIP_TMP/iperf-server-$ns.log" 2>&1 &
    IPERF_PID=$!
    uip_track "$IPERF_PID"
    for ((i = 0; i < 50; i++)); do
        ip netns exec "$ns" ss -Hltn 'sport = :5201' 2>/dev/null | grep -q . && return 0
        uip_alive "$IPERF_PID" || break
        sleep 0.1
    done
    cat "$UIP_TMP/iperf-server-$ns.log" >&2
    uip_fail "iperf3 server did not start in $ns"
}
