#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-engine.sh: our ESP engine (uip-static, static keys) against strongSwan
# charon + kernel-libipsec, wireguard-go and OpenVPN 2.6, and no tunnel at all, side by
# side, in one run on the same two namespaces.
#
#   uipb-l [192.0.2.1] uipb-l0 ==veth== uipb-r0 [192.0.2.2] uipb-r
#   inner: 198.18.1.1 (net 198.18.1.0/24)  <-- tunnel over the veth -->  198.18.2.1 (198.18.2.0/24)
#
# The tunnels, each alone in turn (one userspace process per side):
#   ours      uip-static: ESP AES-GCM-128 in UDP 4500, static keys
#   libipsec  strongSwan charon + kernel-libipsec: IKEv2 PSK, ESP AES-GCM-128 in UDP 4500
#   wg        wireguard-go (foreground, -f), keys from `wg genkey`: ChaCha20-Poly1305, UDP 51820
#   ovpn      OpenVPN 2.6 peer-to-peer over UDP 1194, TLS with self-signed certificates and
#             --peer-fingerprint, data channel AES-256-GCM (negotiated, checked in its log;
#             not static-key --secret mode, which only does CBC), --disable-dco (userspace,
#             as the others; the kernel's ovpn module would move the data channel out of it)
#   none      no tunnel: iperf3 straight over the veth between 192.0.2.1 and 192.0.2.2
#   cores     ours again, TCP left->right only: the sending (left) engine pinned to one CPU
#             with no crypto thread, then on two CPUs with one (src/engine/crypto-pool.h);
#             the right engine as in "ours" (unpinned, crypto-threads 0 there too)
# For each: iperf3 TCP, one stream, left->right and right->left (BENCH_SECONDS each);
# CPU time (utime+stime, all threads, /proc/PID/stat) of the tunnel process on each side
# over each iperf3 run, as core-seconds per GB (1e9 bytes) the iperf3 receiver got; peak
# RSS (VmHWM) of both tunnel processes; then (not for "none") a UDP flood left->right with
# the sender's VmRSS sampled every 0.5 s and ping through the tunnel meanwhile (median,
# max, loss), and UDP left->right from a QUIC-style sender (UDP_SEGMENT super-datagrams,
# tests/netns/udp-gso.py; through ours also with USO off on its TUN).  Last lines of output:
#   ratio ours/wireguard-go: X.XX          (TCP, sum of both directions, as all ratios)
#   ratio ours/openvpn: X.XX
#   ratio ours/no-tunnel: X.XX
#   flood ping median/max/loss: ours A ms/B ms/C %, kernel-libipsec ..., wireguard-go ..., openvpn ...
#   cpu core-s/GB (send/recv side, l2r): ours X/Y, kernel-libipsec ..., wireguard-go ..., openvpn ...
#   cores (l2r, sending engine): 1 CPU no crypto thread A Gbit/s (B core-s/GB), 2 CPUs 1 thread ...
#   QUIC-style UDP through ours: A kpps delivered with USO, B kpps without
#   throughput ratio ours/kernel-libipsec: X.XX
# Figures also go to tests/bench/out/bench-engine.json.
#
# Run as root from anywhere:   sudo tests/bench/bench-engine.sh
# Environment:
#   UIP_STATIC            uip-static binary (default <repo>/build/tests/tools/uip-static)
#   BENCH_SECONDS         iperf3 TCP duration per direction (default 10)
#   BENCH_FLOOD_SECONDS   UDP flood duration (default 10)
#   BENCH_QUIC_SECONDS    QUIC-style UDP (UDP_SEGMENT sender) duration (default 5)
#   BENCH_FLOOD_RATE      iperf3 -b for the flood through ours, wireguard-go, OpenVPN (default 10G)
#   BENCH_LIBIPSEC_FLOOD_RATE  iperf3 -b for the kernel-libipsec flood (default 10G)
#   BENCH_PARTS           "none,ours,cores,libipsec,wg,ovpn" (default, run in that order); a subset
#                         for debugging. A part whose package is missing is skipped (logged).
#   BENCH_OUT             JSON output (default <repo>/tests/bench/out/bench-engine.json)
#   BENCH_KEEP=1          keep the work dir (configs, logs, iperf3 JSON) also on success
#
# Debian packages needed (tests/install-deps.sh installs them): iproute2 iputils-ping procps
#   util-linux mount openssl python3 iperf3 strongswan-charon strongswan-swanctl
#   libstrongswan-standard-plugins (openssl, gcm) libcharon-extra-plugins (kernel-libipsec);
#   wireguard-go wireguard-tools (part wg), openvpn (part ovpn); optional: tshark, git.
# tshark (optional) checks that the pings cross the outer link as ESP in UDP only; git
# (optional) records the commit measured.
# Machine facts this relies on: the kernel has no ESP, so charon runs with kernel-libipsec
# (loaded before kernel-netlink) and encap = yes; no "dummy" link type, so charon's inner
# address sits on a bridge without ports; no systemd, so charon gets a private /run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib-deps.sh
. "$REPO_ROOT/tests/lib-deps.sh" # uip_deb_of, uip_swan_missing
UIP_STATIC=${UIP_STATIC:-$REPO_ROOT/build/tests/tools/uip-static}
UIP_CRYPTO_BENCH=${UIP_CRYPTO_BENCH:-$(dirname "$UIP_STATIC")/uip-crypto-bench}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_FLOOD_SECONDS=${BENCH_FLOOD_SECONDS:-10}
BENCH_QUIC_SECONDS=${BENCH_QUIC_SECONDS:-5}
BENCH_FLOOD_RATE=${BENCH_FLOOD_RATE:-10G}
BENCH_LIBIPSEC_FLOOD_RATE=${BENCH_LIBIPSEC_FLOOD_RATE:-10G}
BENCH_PARTS=${BENCH_PARTS:-none,ours,cores,libipsec,wg,ovpn}
BENCH_OUT=${BENCH_OUT:-$REPO_ROOT/tests/bench/out/bench-engine.json}

CHARON=/usr/lib/ipsec/charon
# Explicit plugin lists: kernel-libipsec before kernel-netlink (the kernel has no ESP).
CHARON_PLUGINS="random nonce openssl pem pkcs1 x509 pubkey kdf sha1 sha2 hmac gcm aes kernel-libipsec kernel-netlink socket-default vici"
SWANCTL_PLUGINS="pem pkcs1 x509 pubkey"
NS_L=uipb-l
NS_R=uipb-r
VETH_L=uipb-l0
VETH_R=uipb-r0
OUTER_L=192.0.2.1
OUTER_R=192.0.2.2
INNER_L=198.18.1.1
INNER_R=198.18.2.1
NET_L=198.18.1.0/24
NET_R=198.18.2.0/24
TUN_L=uipbl0
TUN_R=uipbr0
BR_L=uipblbr
BR_R=uipbrbr
IPERF_PORT=5201
WG_L=uipbwl0    # wireguard-go's UAPI socket is /var/run/wireguard/NAME.sock, shared by
WG_R=uipbwr0    # both namespaces: the two names differ
WG_PORT=51820
OVPN_L=uipbol0
OVPN_R=uipbor0
OVPN_PORT=1194
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[bench %(%T)T] %s\n' -1 "$*" >&2; }
die() {
    log "FAIL: $*"
    exit 1
}

# ---------------------------------------------------------------- preconditions
[[ $EUID -eq 0 ]] || die "must run as root"
for tool in ip iperf3 ping openssl python3 unshare mount timeout ss stdbuf getconf; do
    command -v "$tool" >/dev/null || die "missing tool: $tool (Debian: $(uip_deb_of "$tool"))"
done
[[ $BENCH_SECONDS =~ ^[0-9]+$ && $BENCH_FLOOD_SECONDS =~ ^[0-9]+$ ]] ||
    die "BENCH_SECONDS / BENCH_FLOOD_SECONDS must be integers"
for part in ${BENCH_PARTS//,/ }; do
    case $part in none | ours | cores | libipsec | wg | ovpn) ;; *) die "BENCH_PARTS: unknown part '$part' (none,ours,cores,libipsec,wg,ovpn)" ;; esac
done
want_part() { [[ ",$BENCH_PARTS," == *",$1,"* ]]; }
# A part whose programs are missing is skipped with this reason (reported, not a failure).
declare -A SKIP=()
if want_part ours || want_part cores; then
    [[ -x $UIP_STATIC ]] || die "uip-static not found at $UIP_STATIC (build it: ninja -C build tests/tools/uip-static)"
fi
if want_part cores; then
    command -v taskset >/dev/null || die "missing tool: taskset (Debian: util-linux)"
    [[ -x $UIP_CRYPTO_BENCH ]] || die "uip-crypto-bench not found at $UIP_CRYPTO_BENCH"
fi
# shellcheck disable=SC2086 # lists of words
if want_part libipsec; then
    if ! command -v swanctl >/dev/null; then
        SKIP[libipsec]="swanctl missing (Debian: strongswan-swanctl)"
    elif [[ ! -x $CHARON ]]; then
        SKIP[libipsec]="$CHARON missing (Debian: strongswan-charon)"
    elif ! missing=$(uip_swan_missing $CHARON_PLUGINS $SWANCTL_PLUGINS); then
        SKIP[libipsec]="strongSwan plugins missing: ${missing//$'\n'/, }"
    fi
fi
if want_part wg; then
    for tool in wireguard-go wg; do
        command -v "$tool" >/dev/null || SKIP[wg]="$tool missing (Debian: wireguard-go wireguard-tools)"
    done
fi
if want_part ovpn; then
    command -v openvpn >/dev/null || SKIP[ovpn]="openvpn missing (Debian: openvpn)"
fi

WORK=$(mktemp -d /tmp/uipb-bench.XXXXXX)
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# ---------------------------------------------------------------- process bookkeeping
# Every background process is a direct child of this shell: it is ours if its ppid is $$.
declare -A BG_NAME=()   # pid -> label
CREATED_NS=()
CHARON_LOGS=()
CLEANED=0

pid_alive() {   # pid: alive and not a zombie (no fork: used in the sampling loop)
    local stat st
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${stat##*) }
    st=${st%% *}
    [[ -n $st && $st != Z && $st != X ]]
}

pid_ours() {    # pid: still our child (guards against pid reuse after bash reaped it)
    local stat rest ppid
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    rest=${stat##*) }
    read -r _ ppid _ <<<"$rest"
    [[ $ppid == "$$" ]]
}

bg_start() {    # label outfile cmd...: start in background (stderr to outfile.err), PID in $BG_PID
    local label=$1 out=$2
    shift 2
    "$@" >"$out" 2>"$out.err" &
    BG_PID=$!
    BG_NAME[$BG_PID]=$label
}

bg_stop() {     # pid [signal]: signal, wait up to 3 s, then SIGKILL; reap
    local pid=$1 sig=${2:-TERM} i
    if pid_alive "$pid" && pid_ours "$pid"; then
        kill "-$sig" "$pid" 2>/dev/null || true
        for ((i = 0; i < 30; i++)); do
            pid_alive "$pid" || break
            sleep 0.1
        done
        if pid_alive "$pid" && pid_ours "$pid"; then
            log "${BG_NAME[$pid]:-pid $pid} did not stop on SIG$sig, killing"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
    unset "BG_NAME[$pid]"
}

bg_wait() {     # pid seconds: wait for exit, bounded; 1 if still running
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        pid_alive "$pid" || {
            wait "$pid" 2>/dev/null || true
            unset "BG_NAME[$pid]"
            return 0
        }
        sleep 0.1
    done
    return 1
}

cleanup() {
    local rc=$? pid ns
    [[ $CLEANED -eq 1 ]] && return 0
    CLEANED=1
    set +e
    for pid in "${!BG_NAME[@]}"; do
        bg_stop "$pid"
    done
    for ns in "${CREATED_NS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [[ $rc -ne 0 ]]; then
        local f
        for f in "${CHARON_LOGS[@]}"; do
            [[ -s $f ]] || continue
            log "---- tail of $f"
            tail -n 40 "$f" >&2
        done
        for f in "$WORK"/uip-static-*.out "$WORK"/uip-static-*.out.err; do
            [[ -s $f ]] || continue
            log "---- tail of $f"
            tail -n 20 "$f" >&2
        done
    fi
    if [[ $rc -ne 0 || ${BENCH_KEEP:-0} == 1 ]]; then
        log "work dir kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_until() {  # seconds description cmd...: poll every 0.1 s until the deadline
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$((${EPOCHREALTIME/./} + secs * 1000000))
    while ((${EPOCHREALTIME/./} < deadline)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timeout (${secs}s) waiting for $what"
}

nsx() { ip netns exec "$@"; }

usec_to_s() { printf '%d.%03d' $(($1 / 1000000)) $(($1 % 1000000 / 1000)); }

result() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }
result_of() { awk -F '\t' -v k="$1" '$1 == k { v = $2 } END { print v }' "$RESULTS"; }

proc_kib() {    # pid field (VmRSS|VmHWM): value in KiB into $KIB (no fork)
    local k v _
    KIB=
    { while read -r k v _; do
        [[ $k == "$2:" ]] && KIB=$v && return 0
    done <"/proc/$1/status"; } 2>/dev/null
    return 1
}

cpu_ticks() {   # pid: utime+stime of the whole process (all threads), clock ticks, into $TICKS
    local stat
    local -a f
    TICKS=
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    read -r -a f <<<"${stat##*) }" # f[0] is field 3 (state): utime is field 14, stime 15
    TICKS=$((f[11] + f[12]))
}

kib_to_mib() { printf '%d.%d' $(($1 / 1024)) $((($1 % 1024) * 10 / 1024)); }

# ---------------------------------------------------------------- namespaces
ns_prepare() {  # name: delete a stale copy nobody uses, then create
    local ns=$1
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] ||
            die "namespace $ns exists and has processes: another bench run?"
        log "deleting stale namespace $ns"
        ip netns del "$ns"
    fi
    ip netns add "$ns"
    CREATED_NS+=("$ns")
}

setup_namespaces() {
    ns_prepare "$NS_L"
    ns_prepare "$NS_R"
    ip link add "$VETH_L" netns "$NS_L" type veth peer name "$VETH_R" netns "$NS_R"
    local ns veth addr peer net
    for side in L R; do
        if [[ $side == L ]]; then
            ns=$NS_L veth=$VETH_L addr=$OUTER_L peer=$OUTER_R net=$NET_L
        else
            ns=$NS_R veth=$VETH_R addr=$OUTER_R peer=$OUTER_L net=$NET_R
        fi
        nsx "$ns" ip link set lo up
        nsx "$ns" ip addr add "$addr/24" dev "$veth"
        nsx "$ns" ip link set "$veth" up
        # A default route to the peer: without the tunnel, inner traffic leaves in
        # cleartext and must be refused by the peer (next rule), not answered.
        nsx "$ns" ip route add default via "$peer"
        # Refuse cleartext from the outer link to the protected net: move the local
        # rule behind a prohibit rule for iif <veth>.
        nsx "$ns" ip rule add pref 1000 lookup local
        nsx "$ns" ip rule del pref 0 lookup local
        nsx "$ns" ip rule add pref 100 iif "$veth" to "$net" prohibit
    done
    wait_until 5 "veth link" nsx "$NS_L" ping -c 1 -W 1 "$OUTER_R"
}

inner_unreachable() {   # assert that L cannot reach R's inner address (tunnel not up)
    if nsx "$NS_L" ping -n -c 1 -W 1 -I "$INNER_L" "$INNER_R" >/dev/null 2>&1; then
        die "$INNER_R answers in cleartext before the tunnel is up: the test would prove nothing"
    fi
    if nsx "$NS_R" ping -n -c 1 -W 1 -I "$INNER_R" "$INNER_L" >/dev/null 2>&1; then
        die "$INNER_L answers in cleartext before the tunnel is up: the test would prove nothing"
    fi
}

inner_reachable() {
    wait_until 10 "ping $INNER_L -> $INNER_R through the tunnel" \
        nsx "$NS_L" ping -n -c 1 -W 1 -I "$INNER_L" "$INNER_R"
    wait_until 10 "ping $INNER_R -> $INNER_L through the tunnel" \
        nsx "$NS_R" ping -n -c 1 -W 1 -I "$INNER_R" "$INNER_L"
}

# ---------------------------------------------------------------- iperf3 / ping
IPERF_SRV=
iperf_server() {        # ns bind-addr label
    local ns=$1 addr=$2 label=$3
    bg_start "iperf3 server $label" "$WORK/iperf-srv-$label.out" \
        ip netns exec "$ns" iperf3 -s -1 -B "$addr" -p "$IPERF_PORT"
    IPERF_SRV=$BG_PID
    wait_until 5 "iperf3 server in $ns" \
        bash -c "ip netns exec '$ns' ss -Hltn 'sport = :$IPERF_PORT' | grep -q ."
}

iperf_json() {          # json-file python-expression-on-j: print value or "nan"
    python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        j = json.load(f)
    if "error" in j:
        print("nan"); sys.exit(0)
    print(eval(sys.argv[2], {"j": j}))
except Exception:
    print("nan")
EOF
}

# The tunnel processes whose CPU time iperf_tcp measures (empty: none, as for "none").
CPU_PID_L=
CPU_PID_R=

# iperf_tcp PART-DIR reverse(0|1) [server-addr client-addr]: TCP one stream, client in L,
# server in R, between the inner addresses unless given. Result: Gbit/s at the receiver
# in IPERF_GBPS, bytes received in IPERF_BYTES; both recorded as PART.tcp_DIR_gbps /
# _bytes, and the CPU time of CPU_PID_L / CPU_PID_R over the run as PART.cpu_DIR_l_ms /
# _r_ms (DIR: l2r or r2l).
iperf_tcp() {
    local label=$1 rev=$2 dst=${3:-$INNER_R} src=${4:-$INNER_L} json=$WORK/iperf-$1.json rc=0
    local part=${1%-*} dir=${1##*-} cl0='' cr0=''
    local -a extra=()
    if [[ $rev -eq 1 ]]; then extra=(-R); fi
    iperf_server "$NS_R" "$dst" "$label"
    if [[ -n $CPU_PID_L ]]; then
        cpu_ticks "$CPU_PID_L" || die "$label: cannot read the CPU time of $CPU_PID_L"
        cl0=$TICKS
        cpu_ticks "$CPU_PID_R" || die "$label: cannot read the CPU time of $CPU_PID_R"
        cr0=$TICKS
    fi
    # In the background so that a signal to this script runs the trap at once.
    bg_start "iperf3 client $label" "$json" \
        timeout $((BENCH_SECONDS + 20)) ip netns exec "$NS_L" iperf3 -J -c "$dst" -B "$src" \
        -p "$IPERF_PORT" -t "$BENCH_SECONDS" --connect-timeout 3000 "${extra[@]}"
    wait "$BG_PID" || rc=$?
    if [[ -n $CPU_PID_L ]]; then
        cpu_ticks "$CPU_PID_L" || die "$label: tunnel process $CPU_PID_L died during iperf3"
        result "$part.cpu_${dir}_l_ms" $(((TICKS - cl0) * 1000 / CLK_TCK))
        cpu_ticks "$CPU_PID_R" || die "$label: tunnel process $CPU_PID_R died during iperf3"
        result "$part.cpu_${dir}_r_ms" $(((TICKS - cr0) * 1000 / CLK_TCK))
    fi
    unset "BG_NAME[$BG_PID]"
    bg_wait "$IPERF_SRV" 5 || bg_stop "$IPERF_SRV"
    [[ $rc -eq 0 ]] || {
        cat "$json.err" >&2
        tail -n 5 "$json" >&2
        die "iperf3 $label failed (rc $rc)"
    }
    IPERF_GBPS=$(iperf_json "$json" 'round(j["end"]["sum_received"]["bits_per_second"] / 1e9, 3)')
    IPERF_BYTES=$(iperf_json "$json" 'j["end"]["sum_received"]["bytes"]')
    [[ $IPERF_GBPS != nan ]] || die "no throughput in $json"
    result "$part.tcp_${dir}_gbps" "$IPERF_GBPS"
    result "$part.tcp_${dir}_bytes" "$IPERF_BYTES"
    result "$part.tcp_${dir}_retransmits" "$(iperf_json "$json" 'j["end"]["sum_sent"]["retransmits"]')"
    log "  $label: $IPERF_GBPS Gbit/s"
}

udp_snmp() {    # ns: "InErrors RcvbufErrors SndbufErrors" of the namespace's UDP (IPv4)
    # shellcheck disable=SC2016 # awk program, run through ip netns exec
    nsx "$1" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
        $1 == "Udp:" { print $c["InErrors"], $c["RcvbufErrors"], $c["SndbufErrors"] }' /proc/net/snmp
}

# Where flood packets were lost: the left TUN's queue (tx_dropped: the tunnel process
# did not read fast enough), UDP buffer overruns in either namespace (the tunnel's
# socket or iperf3's socket). Prints "key value" lines; call with "before" and "after" files.
loss_counters() {       # tun-dev outer-udp-port
    local tun=$1 port=$2 a b c
    printf 'l_tun_tx_dropped %s\n' "$(nsx "$NS_L" cat "/sys/class/net/$tun/statistics/tx_dropped")"
    read -r a b c <<<"$(udp_snmp "$NS_L")"
    printf 'l_udp_in_errors %s\nl_udp_rcvbuf_errors %s\nl_udp_sndbuf_errors %s\n' "$a" "$b" "$c"
    read -r a b c <<<"$(udp_snmp "$NS_R")"
    printf 'r_udp_in_errors %s\nr_udp_rcvbuf_errors %s\nr_udp_sndbuf_errors %s\n' "$a" "$b" "$c"
    # drops of the receiving tunnel's own socket(s) on its outer UDP port, last column
    # (the key keeps its name for all tunnels: r_esp_socket_drops)
    # shellcheck disable=SC2016 # awk program
    printf 'r_esp_socket_drops %s\n' "$(nsx "$NS_R" awk -v p=":$(printf '%04X' "$port")" \
        'substr($2, length($2) - 4) == p { s += $NF } END { print s + 0 }' /proc/net/udp /proc/net/udp6)"
}

# flood label sender-pid rate sender-tun [outer-udp-port]: UDP flood L->R for
# BENCH_FLOOD_SECONDS, sampling the sender's VmRSS every 0.5 s, ping L->R through the
# tunnel meanwhile.
flood() {
    local label=$1 spid=$2 rate=$3 tun=$4 port=${5:-4500} secs=$BENCH_FLOOD_SECONDS
    local json=$WORK/flood-$label.json pingout=$WORK/ping-$label.out
    local samples=$WORK/rss-$label.tsv cli ping_pid t0 now i
    iperf_server "$NS_R" "$INNER_R" "flood-$label"
    local rss0 t0us next
    proc_kib "$spid" VmRSS || die "$label: cannot read VmRSS of $spid"
    rss0=$KIB
    loss_counters "$tun" "$port" >"$WORK/loss-$label.before"
    : >"$samples"
    t0=$EPOCHREALTIME
    t0us=${t0/./}
    bg_start "iperf3 flood client $label" "$json" \
        timeout $((secs + 25)) ip netns exec "$NS_L" iperf3 -J -u -b "$rate" -c "$INNER_R" \
        -B "$INNER_L" -p "$IPERF_PORT" -t "$secs" --connect-timeout 3000
    cli=$BG_PID
    # ping: secs*5 requests at 0.2 s; -W bounds the wait for late replies.
    bg_start "ping $label" "$pingout" \
        timeout $((secs + 20)) ip netns exec "$NS_L" ping -n -i 0.2 -c $((secs * 5)) -W 10 \
        -I "$INNER_L" "$INNER_R"
    ping_pid=$BG_PID
    # Sample every 0.5 s (on a fixed grid) until the client is done, at most (secs + 25) s.
    for ((i = 0; i < (secs + 25) * 2; i++)); do
        now=$EPOCHREALTIME
        proc_kib "$spid" VmRSS && printf '%s\t%s\n' "$(usec_to_s $((${now/./} - t0us)))" "$KIB" >>"$samples"
        pid_alive "$cli" || break
        next=$((t0us + (i + 1) * 500000 - ${EPOCHREALTIME/./}))
        if ((next > 0)); then sleep "$(usec_to_s "$next")"; fi
    done
    bg_wait "$cli" 2 || bg_stop "$cli"
    bg_wait "$ping_pid" 25 || bg_stop "$ping_pid" INT
    bg_wait "$IPERF_SRV" 3 || bg_stop "$IPERF_SRV"
    pid_alive "$spid" || die "$label: tunnel process $spid died during the flood"
    loss_counters "$tun" "$port" >"$WORK/loss-$label.after"
    awk -v l="$label" 'NR == FNR { b[$1] = $2; next } { printf "%s.flood.%s\t%d\n", l, $1, $2 - b[$1] }' \
        "$WORK/loss-$label.before" "$WORK/loss-$label.after" >>"$RESULTS"

    local sent_gbps recv_gbps lost
    sent_gbps=$(iperf_json "$json" 'round(j["end"]["sum_sent"]["bits_per_second"] / 1e9, 3)')
    # Receiver figures arrive with the final exchange; a clogged tunnel may lose them.
    recv_gbps=$(iperf_json "$json" 'round(j["end"]["sum_received"]["bits_per_second"] / 1e9, 3)')
    lost=$(iperf_json "$json" 'round(j["end"]["sum"]["lost_percent"], 1)')
    python3 - "$samples" "$pingout" "$rss0" "$label" "$rate" "$secs" "$sent_gbps" "$recv_gbps" "$lost" >>"$RESULTS" <<'EOF'
import re, sys
samples, pingout, rss0, label, rate, secs, sent, recv, lost = sys.argv[1:]
pts = []
for line in open(samples):
    t, kib = line.split()
    pts.append((float(t), int(kib)))
mib = lambda k: round(k / 1024, 1)
rss0 = int(rss0)
out = {
    "rate": rate, "seconds": secs,
    "udp_offered_gbps": sent, "udp_delivered_gbps": recv, "udp_lost_percent": lost,
    "rss_before_mib": mib(rss0),
    "rss_max_mib": mib(max([k for _, k in pts] + [rss0])),
    "rss_end_mib": mib(pts[-1][1] if pts else rss0),
    "rss_growth_mib": mib(max([k for _, k in pts] + [rss0]) - rss0),
    "rss_samples": ";".join("%.1f:%s" % (t, mib(k)) for t, k in pts),
}
text = open(pingout).read()
m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
out["ping_sent"], out["ping_received"] = (m.group(1), m.group(2)) if m else ("0", "0")
m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/", text)
for k, v in zip(("ping_min_ms", "ping_avg_ms", "ping_max_ms"), m.groups() if m else ("nan",) * 3):
    out[k] = v
rtt = sorted(float(t) for t in re.findall(r"icmp_seq=\d+ .*time=([\d.]+) ms", text))
n = len(rtt)
out["ping_median_ms"] = ("%.3f" % ((rtt[(n - 1) // 2] + rtt[n // 2]) / 2)) if n else "nan"
sent = int(out["ping_sent"])
out["ping_loss_percent"] = ("%.1f" % (100.0 * (sent - int(out["ping_received"])) / sent)) if sent else "nan"
for k, v in out.items():
    print("%s.flood.%s\t%s" % (label, k, v))
EOF
    log "  flood $label: $(grep -P "^$label\.flood\.(rss_growth_mib|rss_max_mib|ping_median_ms|ping_max_ms|ping_loss_percent)\t" "$RESULTS" | tr '\t\n' '= ')"
}

link_bytes() {  # ns dev: "rx_bytes tx_bytes rx_packets tx_packets"
    nsx "$1" cat "/sys/class/net/$2/statistics/rx_bytes" "/sys/class/net/$2/statistics/tx_bytes" \
        "/sys/class/net/$2/statistics/rx_packets" "/sys/class/net/$2/statistics/tx_packets" | tr '\n' ' '
}

# tcp_both_via part dev: iperf_tcp left->right and right->left through the tunnel whose
# left TUN is dev, which must carry at least 90 % of what iperf3 delivered each way
# (tx, then rx): else the traffic bypassed the tunnel.
tcp_both_via() {
    local part=$1 dev=$2 before after
    read -r -a before <<<"$(link_bytes "$NS_L" "$dev")"
    iperf_tcp "$part-l2r" 0
    read -r -a after <<<"$(link_bytes "$NS_L" "$dev")"
    ((after[1] - before[1] >= IPERF_BYTES * 9 / 10)) ||
        die "left $dev tx grew by $((after[1] - before[1])) B for $IPERF_BYTES B of iperf3: traffic bypassed the tunnel"
    read -r -a before <<<"$(link_bytes "$NS_L" "$dev")"
    iperf_tcp "$part-r2l" 1
    read -r -a after <<<"$(link_bytes "$NS_L" "$dev")"
    ((after[0] - before[0] >= IPERF_BYTES * 9 / 10)) ||
        die "left $dev rx grew by $((after[0] - before[0])) B for $IPERF_BYTES B of iperf3: traffic bypassed the tunnel"
    result "$part.tunnel_l_rx_bytes" "${after[0]}"
    result "$part.tunnel_l_tx_bytes" "${after[1]}"
}

rss_peaks() {   # part pid-l pid-r: peak RSS (VmHWM) of both tunnel processes
    proc_kib "$2" VmHWM && result "$1.rss_peak_l_mib" "$(kib_to_mib "$KIB")"
    proc_kib "$3" VmHWM && result "$1.rss_peak_r_mib" "$(kib_to_mib "$KIB")"
}

tunnel_routes() {       # dev-l dev-r: each side's route to the other's net, then pings through
    nsx "$NS_L" ip route add "$NET_R" dev "$1" src "$INNER_L"
    nsx "$NS_R" ip route add "$NET_L" dev "$2" src "$INNER_R"
    inner_reachable
}

# quic label: UDP left->right the way QUIC senders send it (tests/netns/udp-gso.py: 1200-byte
# datagrams, 32 to a sendmsg with UDP_SEGMENT) for BENCH_QUIC_SECONDS, as fast as the sender
# goes; what the tunnel delivered to a receiver on the right (label.quic.kpps, .gbps: read by
# it, checked whole, or dropped at its socket when it could not keep up: .read_kpps).
# With USO on a TUN device (Linux 6.2+) the tunnel reads super-datagrams; without, the kernel
# cuts them before the TUN.
quic() {
    local label=$1 secs=$BENCH_QUIC_SECONDS
    local out=$WORK/quic-$label.recv sout=$WORK/quic-$label.send i rpid sent sbytes el got gbytes
    bg_start "udp-gso receiver $label" "$out" timeout $((secs + 20)) ip netns exec "$NS_R" \
        python3 "$REPO_ROOT/tests/netns/udp-gso.py" recv "$INNER_R" 40600 2
    rpid=$BG_PID
    for ((i = 0; i < 50; i++)); do
        grep -q ready "$out" && break
        sleep 0.1
    done
    nsx "$NS_L" timeout $((secs + 10)) python3 "$REPO_ROOT/tests/netns/udp-gso.py" send "$INNER_R" \
        40600 1200 0 "$secs" >"$sout" 2>&1 || die "$label: the UDP_SEGMENT sender failed: $(cat "$sout")"
    bg_wait "$rpid" 15 || bg_stop "$rpid"
    read -r _ sent sbytes el <"$sout"
    read -r _ got gbytes _ _ _ _ _ drops <<<"$(grep '^recv' "$out")"
    [ -n "$drops" ] || die "$label: the UDP_SEGMENT receiver said nothing: $(cat "$out")"
    # what the tunnel delivered: read by the receiver, or dropped at its full socket
    result "$label.quic.sent_kpps" "$(awk -v n="$sent" -v t="$el" 'BEGIN { printf "%.0f", n / t / 1000 }')"
    result "$label.quic.kpps" "$(awk -v n="$got" -v d="$drops" -v t="$el" 'BEGIN { printf "%.0f", (n + d) / t / 1000 }')"
    result "$label.quic.gbps" "$(awk -v n="$got" -v d="$drops" -v t="$el" 'BEGIN { printf "%.2f", (n + d) * 1200 * 8 / t / 1e9 }')"
    result "$label.quic.read_kpps" "$(awk -v n="$got" -v t="$el" 'BEGIN { printf "%.0f", n / t / 1000 }')"
    log "  QUIC-style UDP $label: sent $sent, delivered $((got + drops)) datagrams in $el s ($got read by the receiver, $drops dropped at its socket)"
}

# tunnel_measure part pid-l pid-r dev-l flood-rate [outer-udp-port]: the tunnel's MTU, TCP
# both ways through dev-l with the CPU time of both processes, their peak RSS, the flood.
tunnel_measure() {
    local part=$1 pid_l=$2 pid_r=$3 dev=$4 rate=$5 port=${6:-4500}
    result "$part.tun_mtu" "$(nsx "$NS_L" cat "/sys/class/net/$dev/mtu")"
    CPU_PID_L=$pid_l CPU_PID_R=$pid_r
    tcp_both_via "$part" "$dev"
    CPU_PID_L='' CPU_PID_R=''
    rss_peaks "$part" "$pid_l" "$pid_r"
    flood "$part" "$pid_l" "$rate" "$dev" "$port"
    quic "$part"
}

# wire_check label [spi-l2r [udp-port protocol]]: capture the outer link while pinging
# through the tunnel. Each ping must cross it as PROTOCOL (tshark's name, default esp) in
# UDP PORT (default 4500), with the expected SPI if given, and no packet to or from the
# inner addresses may appear in cleartext.
wire_check() {
    local label=$1 spi=${2:-} port=${3:-4500} proto=${4:-esp}
    local pcap=$WORK/wire-$1.pcap fields=$WORK/wire-$1.txt pid
    if ! command -v tshark >/dev/null; then
        log "  tshark not installed: wire check skipped"
        return 0
    fi
    bg_start "tshark $label" "$WORK/tshark-$label.out" \
        ip netns exec "$NS_L" timeout 15 tshark -n -i "$VETH_L" \
        -f "udp port $port or net 198.18.0.0/15" -a duration:3 -w "$pcap"
    pid=$BG_PID
    wait_until 10 "tshark capturing on $VETH_L" grep -q "Capturing on" "$WORK/tshark-$label.out.err"
    sleep 0.3 # "Capturing on" comes a moment before the capture filter is attached
    nsx "$NS_L" ping -n -c 5 -i 0.2 -W 1 -I "$INNER_L" "$INNER_R" >/dev/null ||
        die "$label: ping through the tunnel failed during the wire check"
    bg_wait "$pid" 12 || bg_stop "$pid" INT
    tshark -n -r "$pcap" -T fields -E separator=' ' -e ip.src -e ip.dst -e frame.protocols \
        -e esp.spi >"$fields" 2>/dev/null || die "$label: cannot read $pcap"
    local l2r r2l clear
    l2r=$(awk -v s="$OUTER_L" -v d="$OUTER_R" -v spi="$spi" -v p=":$proto" \
        '$1 == s && $2 == d && substr($3, length($3) - length(p) + 1) == p && (spi == "" || tolower($4) == "0x" spi)' "$fields" | wc -l)
    r2l=$(awk -v s="$OUTER_R" -v d="$OUTER_L" -v p=":$proto" \
        '$1 == s && $2 == d && substr($3, length($3) - length(p) + 1) == p' "$fields" | wc -l)
    clear=$(awk '$1 ~ /^198\.1[89]\./ || $2 ~ /^198\.1[89]\./' "$fields" | wc -l)
    ((l2r >= 4 && r2l >= 4 && clear == 0)) || {
        cat "$fields" >&2
        die "$label: wire check: $l2r $proto packets out, $r2l in (want >= 4 each${spi:+, SPI 0x$spi}), $clear inner packets in cleartext"
    }
    result "$label.wire_packets" "$l2r $proto out, $r2l in, 0 cleartext"
    log "  wire: 5 pings = $l2r $proto packets in UDP $port out${spi:+ (SPI 0x$spi)}, $r2l in, none in cleartext"
}

# ---------------------------------------------------------------- strongSwan (kernel-libipsec)
CHARON_PID_L=
CHARON_PID_R=

charon_start() {        # side(l|r) ns outer-local outer-remote inner net-local net-remote br
    local side=$1 ns=$2 me=$3 peer=$4 inner=$5 lnet=$6 rnet=$7 br=$8
    local d=$WORK/charon-$side
    mkdir -p "$d"
    ip -n "$ns" link add "$br" type bridge
    ip -n "$ns" addr add "$inner/24" dev "$br"
    ip -n "$ns" link set "$br" up
    cat >"$d/strongswan.conf" <<EOF
charon {
    load = $CHARON_PLUGINS
    port = 500
    port_nat_t = 4500
    install_virtual_ip = no
    retransmit_tries = 3
    syslog {
    }
    filelog {
        bench {
            path = $d/charon.log
            time_format = %T
            ike_name = yes
            flush_line = yes
            default = 1
            knl = 1
        }
    }
    plugins {
        vici {
            socket = unix://$d/vici.sock
        }
    }
}
swanctl {
    load = $SWANCTL_PLUGINS
}
EOF
    local myid=$side.bench.invalid peerid
    [[ $side == l ]] && peerid=r.bench.invalid || peerid=l.bench.invalid
    cat >"$d/swanctl.conf" <<EOF
connections {
    bench {
        version = 2
        local_addrs = $me
        remote_addrs = $peer
        encap = yes
        mobike = no
        proposals = aes128gcm16-prfsha256-x25519
        dpd_delay = 0
        local {
            auth = psk
            id = $myid
        }
        remote {
            auth = psk
            id = $peerid
        }
        children {
            net {
                mode = tunnel
                local_ts = $lnet
                remote_ts = $rnet
                esp_proposals = aes128gcm16
                start_action = none
                dpd_action = none
            }
        }
    }
}
secrets {
    ike-bench {
        id-l = l.bench.invalid
        id-r = r.bench.invalid
        secret = 0x$CHARON_PSK
    }
}
EOF
    CHARON_LOGS+=("$d/charon.log")
    # charon's pid file is /run/charon.pid (compiled in): private tmpfs /run per instance.
    bg_start "charon-$side" "$d/charon.stdout" \
        ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" \
        unshare --mount --propagation private \
        sh -c "mount -t tmpfs -o mode=0755 charon-run /run && exec $CHARON"
    CHARON_PID=$BG_PID
    wait_until 10 "charon-$side vici socket" \
        env STRONGSWAN_CONF="$d/strongswan.conf" swanctl --stats --uri "unix://$d/vici.sock"
    pid_alive "$CHARON_PID" || die "charon-$side exited"
    STRONGSWAN_CONF="$d/strongswan.conf" swanctl --load-all --file "$d/swanctl.conf" \
        --uri "unix://$d/vici.sock" >"$d/load.out" 2>&1 || {
        cat "$d/load.out" >&2
        die "swanctl --load-all for charon-$side failed"
    }
}

swanctl_l() {
    STRONGSWAN_CONF="$WORK/charon-l/strongswan.conf" swanctl "$@" --uri "unix://$WORK/charon-l/vici.sock"
}

run_libipsec() {
    log "== strongSwan charon + kernel-libipsec, aes128gcm16"
    CHARON_PSK=$(openssl rand -hex 32)
    charon_start r "$NS_R" "$OUTER_R" "$OUTER_L" "$INNER_R" "$NET_R" "$NET_L" "$BR_R"
    CHARON_PID_R=$CHARON_PID
    charon_start l "$NS_L" "$OUTER_L" "$OUTER_R" "$INNER_L" "$NET_L" "$NET_R" "$BR_L"
    CHARON_PID_L=$CHARON_PID
    inner_unreachable
    local t0=$EPOCHREALTIME
    timeout 20 env STRONGSWAN_CONF="$WORK/charon-l/strongswan.conf" swanctl --initiate \
        --child net --timeout 15 --uri "unix://$WORK/charon-l/vici.sock" >"$WORK/charon-l/initiate.out" 2>&1 || {
        cat "$WORK/charon-l/initiate.out" >&2
        die "swanctl --initiate failed"
    }
    local t1=$EPOCHREALTIME
    result libipsec.setup_ms $(((${t1/./} - ${t0/./}) / 1000))
    swanctl_l --list-sas >"$WORK/charon-l/sas.out"
    grep -q 'INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128' "$WORK/charon-l/sas.out" || {
        cat "$WORK/charon-l/sas.out" >&2
        die "no installed CHILD_SA with ESP-in-UDP and AES_GCM_16-128"
    }
    # kernel-libipsec's TUN: the one device in table 220's route to the remote net.
    local tdev_l tdev_r
    tdev_l=$(nsx "$NS_L" ip -o route show table 220 | awk '$1 == "'"$NET_R"'" { for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | head -n1)
    tdev_r=$(nsx "$NS_R" ip -o route show table 220 | awk '$1 == "'"$NET_L"'" { for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }' | head -n1)
    [[ -n $tdev_l && -n $tdev_r ]] || {
        nsx "$NS_L" ip route show table all >&2
        die "kernel-libipsec routes not found in table 220"
    }
    inner_reachable
    wire_check libipsec
    tunnel_measure libipsec "$CHARON_PID_L" "$CHARON_PID_R" "$tdev_l" "$BENCH_LIBIPSEC_FLOOD_RATE"
    swanctl_l --list-sas >"$WORK/charon-l/sas-after.out" 2>&1 || true
    bg_stop "$CHARON_PID_L"
    bg_stop "$CHARON_PID_R"
    ip -n "$NS_L" link del "$BR_L"
    ip -n "$NS_R" link del "$BR_R"
}

# ---------------------------------------------------------------- ours (uip-static)
UIP_PID_L=
UIP_PID_R=

# UIP_THREADS (crypto threads, default 0) and UIP_CPUS (taskset's list, default none) apply.
uip_start() {   # side(l|r) ns tun local remote spi-out spi-in key-out key-in lnet rnet
    local side=$1 ns=$2 tun=$3 me=$4 peer=$5 spo=$6 spi=$7 ko=$8 ki=$9 lnet=${10} rnet=${11}
    local cfg=$WORK/uip-static-$side.ini out=$WORK/uip-static-$side.out
    local -a pin=()
    [[ -z ${UIP_CPUS:-} ]] || pin=(taskset -c "$UIP_CPUS")
    (
        umask 077
        cat >"$cfg" <<EOF
[engine]
tun = $tun
local = $me
local-port = 4500
remote = $peer
remote-port = 4500
path-mtu = 1500
crypto-threads = ${UIP_THREADS:-0}

[child bench]
spi-out = 0x$spo
spi-in = 0x$spi
encr = aes128gcm16
integ = none
key-out = $ko
key-in = $ki
esn = true
local-ts = $lnet
remote-ts = $rnet
EOF
    )
    # stdbuf: the ready and stats lines go to a file, keep stdout line-buffered.
    bg_start "uip-static-$side" "$out" ip netns exec "$ns" "${pin[@]}" stdbuf -oL -eL "$UIP_STATIC" "$cfg"
    UIP_PID=$BG_PID
    local i
    for ((i = 0; i < 100; i++)); do
        grep -qs "^ready tun=$tun " "$out" && break
        pid_alive "$UIP_PID" || die "uip-static-$side exited before ready"
        sleep 0.1
    done
    grep -qs "^ready tun=$tun " "$out" || die "uip-static-$side: no ready line within 10 s"
    UIP_MTU=$(sed -n "s/^ready tun=$tun mtu=\([0-9]*\).*/\1/p" "$out" | head -n1)
}

# uip_stats pid side: SIGUSR1, wait for the next "stats" line, parse it into UIP_STATS[].
declare -A UIP_STATS=()
uip_stats() {
    local pid=$1 out=$WORK/uip-static-$2.out n i line kv
    n=$(grep -c '^stats ' "$out" || true)
    kill -USR1 "$pid"
    for ((i = 0; i < 50; i++)); do
        (($(grep -c '^stats ' "$out" || true) > n)) && break
        sleep 0.1
    done
    line=$(grep '^stats ' "$out" | tail -n1)
    (($(grep -c '^stats ' "$out" || true) > n)) || die "uip-static-$2: no stats line after SIGUSR1"
    UIP_STATS=()
    for kv in ${line#stats }; do
        UIP_STATS[${kv%%=*}]=${kv#*=}
    done
    UIP_STATS_LINE=${line#stats }
}

# ours_up [THREADS CPUS]: both engines with fresh keys, addressed and routed; the left one with
# THREADS crypto threads pinned to CPUS (taskset list; empty: not pinned).  SPI_LR: its SPI.
ours_up() {
    # AES-GCM-128 KEYMAT: 16 bytes key || 4 bytes salt, one per direction.
    local k_lr k_rl spi_rl
    k_lr=$(openssl rand -hex 20)
    k_rl=$(openssl rand -hex 20)
    SPI_LR=$(printf '%08x' $((0x$(openssl rand -hex 4) | 0x100)))
    spi_rl=$(printf '%08x' $((0x$(openssl rand -hex 4) | 0x100)))
    UIP_THREADS=${1:-0} UIP_CPUS=${2:-} \
        uip_start l "$NS_L" "$TUN_L" "$OUTER_L" "$OUTER_R" "$SPI_LR" "$spi_rl" "$k_lr" "$k_rl" "$NET_L" "$NET_R"
    UIP_PID_L=$UIP_PID
    uip_start r "$NS_R" "$TUN_R" "$OUTER_R" "$OUTER_L" "$spi_rl" "$SPI_LR" "$k_rl" "$k_lr" "$NET_R" "$NET_L"
    UIP_PID_R=$UIP_PID
    nsx "$NS_L" ip addr add "$INNER_L/32" dev "$TUN_L"
    nsx "$NS_R" ip addr add "$INNER_R/32" dev "$TUN_R"
    inner_unreachable
    tunnel_routes "$TUN_L" "$TUN_R"
}

ours_down() {
    bg_stop "$UIP_PID_L"
    bg_stop "$UIP_PID_R"
    # The TUN devices (and their routes) went away with the processes.
    ! nsx "$NS_L" ip link show "$TUN_L" >/dev/null 2>&1 || die "$TUN_L still exists after uip-static-l exited"
}

run_ours() {
    log "== ours: uip-static, aes128gcm16, static keys"
    ours_up
    result ours.tun_mtu "$UIP_MTU"
    wire_check ours "$SPI_LR"

    local before_l before_r
    CPU_PID_L=$UIP_PID_L CPU_PID_R=$UIP_PID_R
    uip_stats "$UIP_PID_L" l
    before_l=${UIP_STATS[bytes_out]:?no bytes_out in stats}
    uip_stats "$UIP_PID_R" r
    before_r=${UIP_STATS[bytes_in]:?no bytes_in in stats}
    iperf_tcp ours-l2r 0
    uip_stats "$UIP_PID_L" l
    ((UIP_STATS[bytes_out] - before_l >= IPERF_BYTES * 9 / 10)) ||
        die "left engine bytes_out grew by $((UIP_STATS[bytes_out] - before_l)) for $IPERF_BYTES B of iperf3: traffic bypassed the tunnel"
    before_l=${UIP_STATS[bytes_in]}
    uip_stats "$UIP_PID_R" r
    ((UIP_STATS[bytes_in] - before_r >= IPERF_BYTES * 9 / 10)) ||
        die "right engine bytes_in grew by $((UIP_STATS[bytes_in] - before_r)) for $IPERF_BYTES B of iperf3"
    iperf_tcp ours-r2l 1
    uip_stats "$UIP_PID_L" l
    ((UIP_STATS[bytes_in] - before_l >= IPERF_BYTES * 9 / 10)) ||
        die "left engine bytes_in grew by $((UIP_STATS[bytes_in] - before_l)) for $IPERF_BYTES B of iperf3: traffic bypassed the tunnel"
    CPU_PID_L='' CPU_PID_R=''
    rss_peaks ours "$UIP_PID_L" "$UIP_PID_R"
    flood ours "$UIP_PID_L" "$BENCH_FLOOD_RATE" "$TUN_L"
    quic ours
    # the same without USO: the kernel cuts the super-datagrams before the TUN
    if nsx "$NS_L" ethtool -K "$TUN_L" tx-udp-segmentation off 2>/dev/null; then
        quic ours-nouso
        nsx "$NS_L" ethtool -K "$TUN_L" tx-udp-segmentation on
    fi
    uip_stats "$UIP_PID_L" l
    result ours.stats_l "$UIP_STATS_LINE"
    uip_stats "$UIP_PID_R" r
    result ours.stats_r "$UIP_STATS_LINE"
    ours_down
}

# cores: TCP left->right with the sending engine on 1 CPU and no crypto thread, then on 2
# CPUs with 1 (results cores.t0 / cores.t1: .tcp_l2r_gbps, .cpu_l2r_l_ms, .tcp_l2r_bytes).
run_cores() {
    local setting threads cpus
    for setting in 0:0 1:0,1; do
        threads=${setting%%:*} cpus=${setting#*:}
        log "== cores: ours, the sending engine on CPUs $cpus with $threads crypto thread(s)"
        ours_up "$threads" "$cpus"
        CPU_PID_L=$UIP_PID_L CPU_PID_R=$UIP_PID_R
        iperf_tcp "cores.t$threads-l2r" 0
        CPU_PID_L='' CPU_PID_R=''
        result "cores.t$threads.threads_running" \
            "$(grep -lx uip-crypto /proc/"$UIP_PID_L"/task/*/comm 2>/dev/null | wc -l)"
        ours_down
        # the pool alone, nothing else running: seals of the engine's batches (32 x 1400 B)
        result "cores.t$threads.pool_gbps" "$(taskset -c "$cpus" "$UIP_CRYPTO_BENCH" "$threads" 5 32 |
            sed -n 's/.* gbps=\([0-9.]*\).*/\1/p')"
        log "  the pool alone on CPUs $cpus: $(result_of "cores.t$threads.pool_gbps") Gbit/s sealed"
    done
}

# ---------------------------------------------------------------- no tunnel
run_none() {
    log "== no tunnel: iperf3 over the veth, $OUTER_L <-> $OUTER_R"
    CPU_PID_L='' CPU_PID_R=''
    iperf_tcp none-l2r 0 "$OUTER_R" "$OUTER_L"
    iperf_tcp none-r2l 1 "$OUTER_R" "$OUTER_L"
    result none.tun_mtu "$(nsx "$NS_L" cat "/sys/class/net/$VETH_L/mtu")"
}

# ---------------------------------------------------------------- wireguard-go
wg_start() {    # side(l|r) ns dev key-file peer-pubkey peer-outer inner net-remote
    local side=$1 ns=$2 dev=$3 key=$4 peerpub=$5 peer=$6 inner=$7 rnet=$8
    local sock=/var/run/wireguard/$dev.sock
    [[ ! -S $sock ]] || die "$sock exists: another wireguard-go named $dev is running"
    bg_start "wireguard-go-$side" "$WORK/wg-$side.out" ip netns exec "$ns" wireguard-go -f "$dev"
    WG_PID=$BG_PID
    wait_until 10 "wireguard-go-$side UAPI socket $sock" test -S "$sock"
    pid_alive "$WG_PID" || die "wireguard-go-$side exited"
    nsx "$ns" wg set "$dev" private-key "$key" listen-port "$WG_PORT" \
        peer "$peerpub" endpoint "$peer:$WG_PORT" allowed-ips "$rnet" ||
        die "wg set $dev failed"
    nsx "$ns" ip addr add "$inner/32" dev "$dev"
    nsx "$ns" ip link set "$dev" up
}

run_wg() {
    log "== wireguard-go $(wireguard-go --version 2>/dev/null | sed -n 's/^wireguard-go //p' | head -n1), ChaCha20-Poly1305, UDP $WG_PORT"
    local d=$WORK/wg pub_l pub_r pid_l pid_r hs
    mkdir -p "$d"
    (
        umask 077
        wg genkey >"$d/l.key"
        wg genkey >"$d/r.key"
    )
    pub_l=$(wg pubkey <"$d/l.key")
    pub_r=$(wg pubkey <"$d/r.key")
    wg_start l "$NS_L" "$WG_L" "$d/l.key" "$pub_r" "$OUTER_R" "$INNER_L" "$NET_R"
    pid_l=$WG_PID
    wg_start r "$NS_R" "$WG_R" "$d/r.key" "$pub_l" "$OUTER_L" "$INNER_R" "$NET_L"
    pid_r=$WG_PID
    inner_unreachable
    tunnel_routes "$WG_L" "$WG_R"
    hs=$(nsx "$NS_L" wg show "$WG_L" latest-handshakes | awk '{ print $2 }')
    [[ -n $hs && $hs != 0 ]] || die "wireguard-go: no handshake with the peer on $WG_L"
    wire_check wg "" "$WG_PORT" wg
    tunnel_measure wg "$pid_l" "$pid_r" "$WG_L" "$BENCH_FLOOD_RATE" "$WG_PORT"
    nsx "$NS_L" wg show "$WG_L" transfer >"$d/transfer-l.out" 2>&1 || true
    bg_stop "$pid_l"
    bg_stop "$pid_r"
    # wireguard-go removes its TUN and UAPI socket on SIGTERM
    ! nsx "$NS_L" ip link show "$WG_L" >/dev/null 2>&1 || die "$WG_L still exists after wireguard-go-l exited"
}

# ---------------------------------------------------------------- OpenVPN 2.6
ovpn_start() {  # side(l|r) ns dev outer-local outer-remote inner inner-peer tls-role cert key peer-fp
    local side=$1 ns=$2 dev=$3 me=$4 peer=$5 inner=$6 ipeer=$7 role=$8 cert=$9 key=${10} fp=${11}
    local -a dh=()
    if [[ $role == server ]]; then dh=(--dh none); fi # ECDHE only; a client refuses the option
    bg_start "openvpn-$side" "$WORK/ovpn-$side.out" ip netns exec "$ns" openvpn \
        --dev "$dev" --dev-type tun --proto udp --local "$me" --lport "$OVPN_PORT" \
        --remote "$peer" --rport "$OVPN_PORT" --ifconfig "$inner" "$ipeer" \
        "--tls-$role" "${dh[@]}" --cert "$cert" --key "$key" --peer-fingerprint "$fp" \
        --data-ciphers AES-256-GCM --disable-dco --hand-window 15 --script-security 1 \
        --verb 3 --suppress-timestamps
    OVPN_PID=$BG_PID
}

run_ovpn() {
    log "== OpenVPN $(openvpn --version 2>/dev/null | awk 'NR == 1 { print $2 }'), p2p TLS with --peer-fingerprint, AES-256-GCM, --disable-dco, UDP $OVPN_PORT"
    local d=$WORK/ovpn side fp_l fp_r pid_l pid_r
    mkdir -p "$d"
    for side in l r; do
        (
            umask 077
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
                -subj "/CN=$side.bench.invalid" -keyout "$d/$side.key" -out "$d/$side.crt" 2>"$d/req-$side.err"
        ) || {
            cat "$d/req-$side.err" >&2
            die "openssl req for OpenVPN's $side certificate failed"
        }
    done
    fp_l=$(openssl x509 -in "$d/l.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
    fp_r=$(openssl x509 -in "$d/r.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
    ovpn_start r "$NS_R" "$OVPN_R" "$OUTER_R" "$OUTER_L" "$INNER_R" "$INNER_L" server "$d/r.crt" "$d/r.key" "$fp_l"
    pid_r=$OVPN_PID
    ovpn_start l "$NS_L" "$OVPN_L" "$OUTER_L" "$OUTER_R" "$INNER_L" "$INNER_R" client "$d/l.crt" "$d/l.key" "$fp_r"
    pid_l=$OVPN_PID
    for side in l r; do
        wait_until 20 "openvpn-$side: Initialization Sequence Completed" \
            grep -q 'Initialization Sequence Completed' "$WORK/ovpn-$side.out"
        # the data channel's cipher, as negotiated (NCP, also in p2p mode since 2.6)
        grep -q "^Data Channel: cipher 'AES-256-GCM'" "$WORK/ovpn-$side.out" || {
            grep -i 'cipher\|data channel' "$WORK/ovpn-$side.out" >&2
            die "openvpn-$side: the data channel is not AES-256-GCM"
        }
    done
    { pid_alive "$pid_l" && pid_alive "$pid_r"; } || die "openvpn exited"
    tunnel_routes "$OVPN_L" "$OVPN_R"
    wire_check ovpn "" "$OVPN_PORT" openvpn
    tunnel_measure ovpn "$pid_l" "$pid_r" "$OVPN_L" "$BENCH_FLOOD_RATE" "$OVPN_PORT"
    bg_stop "$pid_l"
    bg_stop "$pid_r"
    ! nsx "$NS_L" ip link show "$OVPN_L" >/dev/null 2>&1 || die "$OVPN_L still exists after openvpn-l exited"
}

# ---------------------------------------------------------------- main
log "host: nproc=$(nproc), $(date -u +%Y-%m-%dT%H:%M:%SZ), kernel $(uname -r)"
result host.nproc "$(nproc)"
result host.timestamp "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
result host.kernel "$(uname -r)"
result host.loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
result host.git_head "$(GIT_OPTIONAL_LOCKS=0 git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
result config.tcp_seconds "$BENCH_SECONDS"
result config.flood_seconds "$BENCH_FLOOD_SECONDS"
setup_namespaces

for part in none ours cores libipsec wg ovpn; do
    want_part "$part" || continue
    if [[ -n ${SKIP[$part]:-} ]]; then
        log "== $part skipped: ${SKIP[$part]}"
        result "$part.skipped" "${SKIP[$part]}"
        continue
    fi
    "run_$part"
done

# Report: table + JSON, built before cleanup, printed after it so that the ratio
# line is the last line of output.
mkdir -p "$(dirname "$BENCH_OUT")"
REPORT=$(python3 - "$RESULTS" "$BENCH_OUT" <<'EOF'
import json, math, re, sys
res_path, out_path = sys.argv[1:]
flat = {}
for line in open(res_path):
    k, _, v = line.rstrip("\n").partition("\t")
    flat[k] = v

def num(v):
    try:
        f = float(v)
    except ValueError:
        return v
    if math.isnan(f):
        return None
    return int(f) if f.is_integer() and "." not in v else f

tree = {}
for k, v in flat.items():
    node = tree
    *path, leaf = k.split(".")
    for p in path:
        node = node.setdefault(p, {})
    if leaf == "rss_samples":
        node[leaf] = [[float(t), float(m)] for t, m in (s.split(":") for s in v.split(";") if s)]
    elif leaf.startswith("stats_"):
        node[leaf] = {a: num(b) for a, b in (kv.split("=", 1) for kv in v.split())}
    else:
        node[leaf] = num(v)

def g(side, key):
    node = tree.get(side, {})
    for p in key.split("."):
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node

def tsum(side):
    a, b = g(side, "tcp_l2r_gbps"), g(side, "tcp_r2l_gbps")
    return None if a is None or b is None else round(a + b, 3)

# parts in the order of the columns; names for the table, the JSON and the last lines
PARTS = ("ours", "libipsec", "wg", "ovpn", "none")
HEAD = {"ours": "ours (uip-static)", "libipsec": "kernel-libipsec", "wg": "wireguard-go",
        "ovpn": "openvpn", "none": "no tunnel"}
SHORT = {"ours": "ours", "libipsec": "kernel-libipsec", "wg": "wireguard-go",
         "ovpn": "openvpn", "none": "no-tunnel"}

def core_s_per_gb(side, d, lr):
    """CPU core-seconds of side lr's tunnel process per GB iperf3 received, direction d."""
    ms, nbytes = g(side, "cpu_%s_%s_ms" % (d, lr)), g(side, "tcp_%s_bytes" % d)
    if ms is None or not nbytes:
        return None
    return round(ms / 1000 / (nbytes / 1e9), 3)

for side in PARTS:
    if side in tree and "skipped" not in tree[side]:
        tree[side]["tcp_sum_gbps"] = tsum(side)
        if side != "none":
            # send side of l2r is the left process, of r2l the right one
            tree[side]["core_s_per_gb"] = {
                "l2r_send": core_s_per_gb(side, "l2r", "l"), "l2r_recv": core_s_per_gb(side, "l2r", "r"),
                "r2l_send": core_s_per_gb(side, "r2l", "r"), "r2l_recv": core_s_per_gb(side, "r2l", "l")}

def ratio(a, b):
    sa, sb = tsum(a), tsum(b)
    return round(sa / sb, 2) if sa is not None and sb else None

tree["ratio_ours_over_libipsec"] = ratio("ours", "libipsec")
tree["ratio_ours_over_wg"] = ratio("ours", "wg")
tree["ratio_ours_over_ovpn"] = ratio("ours", "ovpn")
tree["ratio_ours_over_none"] = ratio("ours", "none")
tree["names"] = {"ours": "uip-static (AES-GCM-128, static keys)",
                 "libipsec": "strongSwan charon + kernel-libipsec (IKEv2 PSK, ESP aes128gcm16, UDP encap)",
                 "wg": "wireguard-go (userspace, ChaCha20-Poly1305, keys from wg genkey)",
                 "ovpn": "OpenVPN 2.6 p2p over UDP, TLS with --peer-fingerprint, data channel AES-256-GCM, --disable-dco",
                 "none": "no tunnel: iperf3 over the veth between the outer addresses"}
with open(out_path, "w") as f:
    # one [seconds, MiB] pair per line
    f.write(re.sub(r"\[\s+([-\d.]+),\s+([-\d.]+)\s+\]", r"[\1, \2]", json.dumps(tree, indent=2)) + "\n")

cols = [p for p in PARTS if p in tree]

def fmt(v, unit=""):
    if v is None:
        return "n/a"
    return "%s%s" % (v, unit)

def ran(side):
    return side in tree and "skipped" not in tree[side]

def flooded(side):
    return ran(side) and g(side, "flood.rate") is not None

def ping(side):
    if not flooded(side):
        return "n/a"
    if g(side, "flood.ping_avg_ms") is None:
        return "none answered"
    return "%.1f / %.1f / %.1f" % (g(side, "flood.ping_min_ms"), g(side, "flood.ping_avg_ms"),
                                   g(side, "flood.ping_max_ms"))

def other_rcvbuf(side):
    v = [g(side, "flood." + k) for k in ("l_udp_rcvbuf_errors", "r_udp_rcvbuf_errors", "r_esp_socket_drops")]
    return None if None in v else v[0] + v[1] - v[2]

def answered(side):
    if not flooded(side):
        return "n/a"
    return "%s / %s" % (g(side, "flood.ping_received"), g(side, "flood.ping_sent"))

def flood_cfg(side):
    return "%s, %s s" % (g(side, "flood.rate"), g(side, "flood.seconds")) if flooded(side) else "n/a"

def cell(side, key):
    if side in tree and "skipped" in tree[side]:
        return "skipped"
    if callable(key):
        return fmt(key(side))
    return fmt(g(side, key))

def cps(side, key):
    v = g(side, "core_s_per_gb." + key)
    return "n/a" if v is None else "%.2f" % v

rows = [
    ("TCP left->right (Gbit/s)", "tcp_l2r_gbps"),
    ("TCP right->left (Gbit/s)", "tcp_r2l_gbps"),
    ("TCP sum (Gbit/s)", "tcp_sum_gbps"),
    ("TCP retransmits l2r / r2l", lambda s: "%s / %s" % (fmt(g(s, "tcp_l2r_retransmits")), fmt(g(s, "tcp_r2l_retransmits")))),
    ("CPU core-s/GB, l2r: send side (left)", lambda s: cps(s, "l2r_send")),
    ("CPU core-s/GB, l2r: recv side (right)", lambda s: cps(s, "l2r_recv")),
    ("CPU core-s/GB, r2l: send side (right)", lambda s: cps(s, "r2l_send")),
    ("CPU core-s/GB, r2l: recv side (left)", lambda s: cps(s, "r2l_recv")),
    ("tunnel MTU (left)", "tun_mtu"),
    ("peak RSS left, VmHWM (MiB)", "rss_peak_l_mib"),
    ("peak RSS right, VmHWM (MiB)", "rss_peak_r_mib"),
    ("UDP flood: iperf3 -b, seconds", flood_cfg),
    ("  UDP sent by iperf3 (Gbit/s)", "flood.udp_offered_gbps"),
    ("  UDP delivered (Gbit/s)", "flood.udp_delivered_gbps"),
    ("  UDP lost (%)", "flood.udp_lost_percent"),
    ("    pkts dropped: left TUN queue", "flood.l_tun_tx_dropped"),
    ("    right tunnel socket rcvbuf", "flood.r_esp_socket_drops"),
    ("    other UDP rcvbuf (iperf3)", other_rcvbuf),
    ("  sender VmRSS before (MiB)", "flood.rss_before_mib"),
    ("  sender VmRSS max (MiB)", "flood.rss_max_mib"),
    ("  sender VmRSS growth (MiB)", "flood.rss_growth_mib"),
    ("  ping answered / sent", answered),
    ("  ping median (ms)", "flood.ping_median_ms"),
    ("  ping min/avg/max (ms)", ping),
    ("  ping loss (%)", "flood.ping_loss_percent"),
    ("QUIC-style UDP (UDP_SEGMENT): sent (kpps)", "quic.sent_kpps"),
    ("  delivered (kpps)", "quic.kpps"),
    ("  delivered (Gbit/s)", "quic.gbps"),
    ("  read by the receiver (kpps)", "quic.read_kpps"),
]
table = [[label] + [cell(s, key) for s in cols] for label, key in rows]
w = [max(len(r[i]) for r in table + [[""] + [HEAD[s] for s in cols]]) for i in range(len(cols) + 1)]
print("bench-engine: nproc=%s, %s, load %s; TCP %s s per direction, 1 stream" % (
    g("host", "nproc"), g("host", "timestamp"), g("host", "loadavg"), g("config", "tcp_seconds")))
print("  ".join(["%-*s" % (w[0], "")] + ["%*s" % (w[i + 1], HEAD[s]) for i, s in enumerate(cols)]))
for r in table:
    print("  ".join(["%-*s" % (w[0], r[0])] + ["%*s" % (w[i + 1], c) for i, c in enumerate(r[1:])]))
for s in cols:
    if "skipped" in tree[s]:
        print("%s skipped: %s" % (HEAD[s], tree[s]["skipped"]))
print("figures: %s" % out_path)

def r2(v):
    return "%.2f" % v if v is not None else "n/a"

def ping_mml(side):
    if not flooded(side) or g(side, "flood.ping_loss_percent") is None:
        return "%s n/a" % SHORT[side]
    med, mx = g(side, "flood.ping_median_ms"), g(side, "flood.ping_max_ms")
    return "%s %s ms/%s ms/%s %%" % (SHORT[side], "n/a" if med is None else "%.1f" % med,
                                     "n/a" if mx is None else "%.1f" % mx,
                                     "%.1f" % g(side, "flood.ping_loss_percent"))

tunnels = ("ours", "libipsec", "wg", "ovpn")
print("ratio ours/wireguard-go: %s" % r2(tree["ratio_ours_over_wg"]))
print("ratio ours/openvpn: %s" % r2(tree["ratio_ours_over_ovpn"]))
print("ratio ours/no-tunnel: %s" % r2(tree["ratio_ours_over_none"]))
print("flood ping median/max/loss: %s" % ", ".join(ping_mml(s) for s in tunnels))
def cpu_lr(side):
    if g(side, "core_s_per_gb") is None:
        return "%s n/a" % SHORT[side]
    return "%s %s/%s" % (SHORT[side], cps(side, "l2r_send"), cps(side, "l2r_recv"))

print("cpu core-s/GB (send/recv side, l2r): %s" % ", ".join(cpu_lr(s) for s in tunnels))

def core_run(t):
    gbps, ms, nb = (g("cores", "t%d.%s" % (t, k)) for k in ("tcp_l2r_gbps", "cpu_l2r_l_ms",
                                                          "tcp_l2r_bytes"))
    if gbps is None:
        return None, "n/a"
    cps_ = "%.2f" % (ms / 1000 / (nb / 1e9)) if ms is not None and nb else "n/a"
    return gbps, "%s Gbit/s (%s core-s/GB, %s thread(s) seen; the pool alone %s Gbit/s)" % (
        gbps, cps_, g("cores", "t%d.threads_running" % t), g("cores", "t%d.pool_gbps" % t))

if "cores" in tree and "skipped" not in tree["cores"]:
    (g0, s0), (g1, s1) = core_run(0), core_run(1)
    p0, p1 = g("cores", "t0.pool_gbps"), g("cores", "t1.pool_gbps")
    print("cores (l2r, sending engine): 1 CPU no crypto thread %s; 2 CPUs 1 crypto thread %s; "
          "ratio %s (the pool alone: %s)" % (s0, s1, r2(g1 / g0) if g0 and g1 else "n/a",
                                             r2(p1 / p0) if p0 and p1 else "n/a"))
if g("ours-nouso", "quic.kpps") is not None:
    print("QUIC-style UDP through ours: %s kpps delivered with USO, %s kpps without" % (
        g("ours", "quic.kpps"), g("ours-nouso", "quic.kpps")))
print("throughput ratio ours/kernel-libipsec: %s" % r2(tree["ratio_ours_over_libipsec"]))
EOF
)
cleanup
printf '%s\n' "$REPORT"
