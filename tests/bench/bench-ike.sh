#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-ike.sh: our IKEv2 client (uip-ike-client: IKE initiator + ESP engine over TUN)
# against a strongSwan client (charon + kernel-libipsec), side by side, in one run,
# against the SAME strongSwan gateway (charon + kernel-libipsec, PSK, virtual IPv4 pool).
#
#   uipj-cl [203.0.113.1/24] uipj-cl0 ==veth== uipj-gw0 [203.0.113.2/24] uipj-gw
#   uipj-gw: bridge uipj-br (no ports) 198.18.50.1/24 = protected net 198.18.50.0/24,
#            pool 198.18.150.0/24 for the clients' virtual IPv4.
#
# Both clients negotiate IKE aes128gcm16-prfsha256-x25519 and ESP aes128gcm16 (the
# gateway accepts nothing else; its own view of the SAs is checked). For each client:
#   - time to tunnel up: ours from process start to its "established" line; strongSwan
#     from the start of "swanctl --initiate" to its return (charon's own start-up, to
#     the vici socket answering, and the connection load are reported separately);
#   - iperf3 TCP, one stream, BENCH_SECONDS, client->gateway and gateway->client (-R),
#     to 198.18.50.1 from the virtual IP;
#   - peak RSS (VmHWM) of the client process and of the gateway charon during that
#     client's run (the gateway's high-water mark is reset with /proc/PID/clear_refs
#     before each run), plus CPU seconds of both during the iperf3 runs.
# "Through the tunnel" is checked: the protected net is unreachable in cleartext before
# each client comes up (gateway-side ip rule "iif uipj-gw0 to 198.18.50.0/24 prohibit",
# with the local rule moved behind it, and a default route in the client namespace),
# and the client's TUN (ours: its TUN; strongSwan: ipsec0) must carry at least the
# iperf3 payload in each direction.
#
# Output: a side-by-side table; last line "throughput ratio ours/strongswan-client: X.XX"
# (sum of both directions). JSON to tests/bench/out/bench-ike.json.
#
# Run as root:   sudo tests/bench/bench-ike.sh      (about 1 minute with the defaults)
# Environment:
#   UIP_IKE_CLIENT   our client (default <repo>/build/tests/tools/uip-ike-client)
#   BENCH_SECONDS    iperf3 duration per direction (default 10; at most 40)
#   BENCH_PARTS      "ours,strongswan" (default); one of them alone for debugging
#   BENCH_OUT        JSON output (default <repo>/tests/bench/out/bench-ike.json)
#   BENCH_KEEP=1     keep the work dir (configs, logs, iperf3 JSON) also on success
#
# Debian packages needed (tests/install-deps.sh installs them):
#   iproute2 iputils-ping iperf3 procps util-linux mount coreutils python3
#   strongswan-charon strongswan-swanctl libstrongswan-standard-plugins (openssl, gcm)
#   libcharon-extra-plugins (kernel-libipsec)
# Machine facts this relies on (see TESTBED.md): no kernel ESP, so every charon loads
# kernel-libipsec before kernel-netlink and uses encap = yes; no systemd, so each charon
# runs under unshare with a private tmpfs on /run (its pid file) and its own vici socket.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib-deps.sh
. "$REPO_ROOT/tests/lib-deps.sh" # uip_deb_of, uip_swan_missing
UIP_IKE_CLIENT=${UIP_IKE_CLIENT:-$REPO_ROOT/build/tests/tools/uip-ike-client}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_PARTS=${BENCH_PARTS:-ours,strongswan}
BENCH_OUT=${BENCH_OUT:-$REPO_ROOT/tests/bench/out/bench-ike.json}

CHARON=/usr/lib/ipsec/charon
# Every charon's plugins (kernel-libipsec before kernel-netlink: no kernel ESP), swanctl's
CHARON_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 pubkey kdf sha1 sha2 hmac gcm aes kernel-libipsec kernel-netlink socket-default vici"
SWANCTL_PLUGINS="pem pkcs1 pkcs8 x509 pubkey openssl"
NS_GW=uipj-gw
NS_CL=uipj-cl
VETH_GW=uipj-gw0
VETH_CL=uipj-cl0
BR_GW=uipj-br
OUT_GW=203.0.113.2
OUT_CL=203.0.113.1
PROT=198.18.50.1
NET=198.18.50.0/24
POOL=198.18.150.0/24
TUN_OURS=uipj-tun0
TUN_SWAN=ipsec0 # kernel-libipsec's fixed TUN name
GW_ID=gw.bench.test
CL_ID=client.bench.test
IKE_PROP=aes128gcm16-prfsha256-x25519
ESP_PROP=aes128gcm16
IKE_EXPECT=AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519
ESP_EXPECT=AES_GCM_16_128
IPERF_PORT=5201

log() { printf '[bench-ike %(%T)T] %s\n' -1 "$*" >&2; }
die() {
    log "FAIL: $*"
    exit 1
}

# ---------------------------------------------------------------- preconditions
[[ $EUID -eq 0 ]] || die "must run as root"
[[ -c /dev/net/tun ]] || die "no /dev/net/tun"
for tool in ip iperf3 ping python3 swanctl unshare mount sysctl timeout ss mkfifo; do
    command -v "$tool" >/dev/null || die "missing tool: $tool (Debian: $(uip_deb_of "$tool"))"
done
[[ -x $CHARON ]] || die "missing $CHARON (Debian: strongswan-charon)"
# shellcheck disable=SC2086 # lists of words
missing=$(uip_swan_missing $CHARON_PLUGINS $SWANCTL_PLUGINS) ||
    die "missing strongSwan plugins: ${missing//$'\n'/, }"
if ! [[ $BENCH_SECONDS =~ ^[0-9]+$ ]] || ((BENCH_SECONDS < 1 || BENCH_SECONDS > 40)); then
    die "BENCH_SECONDS must be an integer in 1..40"
fi
want_part() { [[ ",$BENCH_PARTS," == *",$1,"* ]]; }
want_part ours || want_part strongswan || die "BENCH_PARTS must name ours and/or strongswan"
if want_part ours; then
    [[ -x $UIP_IKE_CLIENT ]] ||
        die "uip-ike-client not found at $UIP_IKE_CLIENT (build it: ninja -C build tests/tools/uip-ike-client, or set UIP_IKE_CLIENT)"
fi

# Debian's python3 (a pyenv/venv shim on PATH can take a second per start on a busy machine)
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=$(command -v python3)

WORK=$(mktemp -d /tmp/uipj-bench.XXXXXX)
chmod 700 "$WORK"
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# ---------------------------------------------------------------- process bookkeeping
# Every background process is a direct child of this shell: it is ours if its ppid is $$.
declare -A BG_NAME=() # pid -> label
CREATED_NS=()
CLEANED=0

pid_alive() { # pid: alive and not a zombie (no fork)
    local stat st
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${stat##*) }
    st=${st%% *}
    [[ -n $st && $st != Z && $st != X ]]
}

pid_ours() { # pid: still our child (guards against PID reuse)
    local stat rest ppid
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    rest=${stat##*) }
    read -r _ ppid _ <<<"$rest"
    [[ $ppid == "$$" ]]
}

bg_start() { # label outfile cmd...: background, stdout to outfile, stderr to outfile.err
    local label=$1 out=$2
    shift 2
    "$@" >"$out" 2>"$out.err" &
    BG_PID=$!
    BG_NAME[$BG_PID]=$label
}

bg_stop() { # pid [signal] [seconds]: signal, wait, then SIGKILL; reap
    local pid=$1 sig=${2:-TERM} secs=${3:-3} i rc=0
    if pid_alive "$pid" && pid_ours "$pid"; then
        kill "-$sig" "$pid" 2>/dev/null || true
        for ((i = 0; i < secs * 10; i++)); do
            pid_alive "$pid" || break
            sleep 0.1
        done
        if pid_alive "$pid" && pid_ours "$pid"; then
            log "${BG_NAME[$pid]:-pid $pid} did not stop on SIG$sig within ${secs}s, killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || rc=$?
    unset "BG_NAME[$pid]"
    return "$rc"
}

bg_wait() { # pid seconds: wait for the exit, bounded; 1 if still running
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

DUMP_FILES=()
cleanup() {
    local rc=$? pid ns f
    [[ $CLEANED -eq 1 ]] && return 0
    CLEANED=1
    set +e
    # clients first (they say goodbye to the gateway), the gateway last
    for pid in "${!BG_NAME[@]}"; do
        [[ ${BG_NAME[$pid]} == "gateway charon" ]] || bg_stop "$pid" TERM 5
    done
    for pid in "${!BG_NAME[@]}"; do bg_stop "$pid" TERM 5; done
    for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [[ $rc -ne 0 ]]; then
        for f in "${DUMP_FILES[@]}"; do
            [[ -s $f ]] || continue
            log "---- tail of $f"
            tail -n 30 "$f" >&2
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
trap 'exit 130' INT
trap 'exit 143' TERM

nsx() { ip netns exec "$@"; }
now_us() { local t=$EPOCHREALTIME; REPLY=${t/./}; }
us_to_s() { printf '%d.%03d' $(($1 / 1000000)) $(($1 % 1000000 / 1000)); }
result() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }

wait_until() { # seconds description cmd...: poll every 0.1 s until the deadline
    local secs=$1 what=$2 end
    shift 2
    now_us
    end=$((REPLY + secs * 1000000))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        now_us
        ((REPLY < end)) || die "timeout (${secs}s) waiting for $what"
        sleep 0.1
    done
}

proc_kib() { # pid field (VmRSS|VmHWM): KiB into $KIB (no fork)
    local k v _
    KIB=
    { while read -r k v _; do
        [[ $k == "$2:" ]] && KIB=$v && return 0
    done <"/proc/$1/status"; } 2>/dev/null
    return 1
}
kib_to_mib() { printf '%d.%d' $(($1 / 1024)) $((($1 % 1024) * 10 / 1024)); }

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # pid: utime+stime in clock ticks into $TICKS (no fork)
    local stat rest
    local -a f
    TICKS=0
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    rest=${stat##*) }
    read -r -a f <<<"$rest"
    TICKS=$((f[11] + f[12])) # fields 14, 15 of the whole line
}
ticks_to_s() { printf '%d.%02d' $(($1 / CLK_TCK)) $((($1 % CLK_TCK) * 100 / CLK_TCK)); }

# Reset the peak-RSS mark of a process (Linux >= 4.0: write 5 to clear_refs).
hwm_reset() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || log "note: cannot reset VmHWM of $1"; }

# ---------------------------------------------------------------- namespaces
ns_prepare() { # name: delete a stale copy nobody uses, then create
    local ns=$1
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] ||
            die "namespace $ns exists and has processes: another bench-ike run?"
        log "deleting stale namespace $ns"
        ip netns del "$ns"
    fi
    ip netns add "$ns"
    CREATED_NS+=("$ns")
    nsx "$ns" ip link set lo up
}

setup_net() {
    ns_prepare "$NS_GW"
    ns_prepare "$NS_CL"
    ip link add "$VETH_GW" netns "$NS_GW" type veth peer name "$VETH_CL" netns "$NS_CL"
    nsx "$NS_GW" ip addr add "$OUT_GW/24" dev "$VETH_GW"
    nsx "$NS_CL" ip addr add "$OUT_CL/24" dev "$VETH_CL"
    nsx "$NS_GW" ip link set "$VETH_GW" up
    nsx "$NS_CL" ip link set "$VETH_CL" up
    # the protected net: a bridge without ports (no "dummy" link type here)
    nsx "$NS_GW" ip link add "$BR_GW" type bridge
    nsx "$NS_GW" ip addr add "$PROT/24" dev "$BR_GW"
    nsx "$NS_GW" ip link set "$BR_GW" up
    nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
    # A plain client: a default route towards the gateway. Without the tunnel, traffic to
    # the protected net leaves in cleartext and the gateway must refuse it: move the local
    # rule behind a prohibit rule for what arrives on the outer link.
    nsx "$NS_CL" ip route add default via "$OUT_GW"
    nsx "$NS_GW" ip rule add pref 100 lookup local
    nsx "$NS_GW" ip rule del pref 0 lookup local
    nsx "$NS_GW" ip rule add pref 10 iif "$VETH_GW" to "$NET" prohibit
    wait_until 5 "the veth link" nsx "$NS_CL" ping -n -c 1 -W 1 "$OUT_GW"
}

assert_unreachable() {
    if nsx "$NS_CL" ping -n -c 1 -W 1 "$PROT" >/dev/null 2>&1; then
        die "$PROT answers in cleartext without a tunnel: the benchmark would prove nothing"
    fi
}

udp_errs() { # ns: "InErrors RcvbufErrors" of the namespace's UDP (IPv4)
    # shellcheck disable=SC2016 # awk program, run through ip netns exec
    nsx "$1" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
        $1 == "Udp:" { print $c["InErrors"], $c["RcvbufErrors"] }' /proc/net/snmp
}

tun_bytes() { # dev: "rx_bytes tx_bytes" of a link in the client namespace
    nsx "$NS_CL" cat "/sys/class/net/$1/statistics/rx_bytes" "/sys/class/net/$1/statistics/tx_bytes" |
        tr '\n' ' '
}

# ---------------------------------------------------------------- charon
swanctl_dirs() {
    mkdir -p "$1"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
}

charon_conf() { # dir name
    cat >"$1/strongswan.conf" <<EOF
charon {
    load = $CHARON_PLUGINS
    port = 500
    port_nat_t = 4500
    retransmit_tries = 3
    retransmit_timeout = 1
    send_vendor_id = no
    syslog {
    }
    filelog {
        $2 {
            path = $1/charon.log
            time_format = %T
            ike_name = yes
            flush_line = yes
            default = 1
        }
    }
    plugins {
        vici {
            socket = unix://$1/vici.sock
        }
    }
}
swanctl {
    load = $SWANCTL_PLUGINS
}
EOF
}

dswanctl() { # dir swanctl-args...
    local d=$1
    shift
    STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR=$d timeout 25 swanctl "$@" --uri "unix://$d/vici.sock"
}

# charon_start label ns dir: start charon, wait for vici, load dir/swanctl.conf.
# Sets CHARON_PID, CHARON_READY_US (start -> vici answers), CHARON_LOAD_US (load-all).
charon_start() {
    local label=$1 ns=$2 d=$3 t0 t1 i
    DUMP_FILES+=("$d/charon.log")
    now_us
    t0=$REPLY
    bg_start "$label" "$d/charon.stdout" \
        ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" \
        unshare --mount --propagation private \
        sh -c "mount -t tmpfs -o mode=0755 uipj-run /run && exec $CHARON"
    CHARON_PID=$BG_PID
    for ((i = 0; i < 100; i++)); do
        [[ -S $d/vici.sock ]] && dswanctl "$d" --stats >/dev/null 2>&1 && break
        pid_alive "$CHARON_PID" || die "$label exited at start ($(cat "$d/charon.stdout" "$d/charon.stdout.err" 2>/dev/null | tail -n 3))"
        sleep 0.02
    done
    ((i < 100)) || die "$label: no vici socket after 2 s"
    now_us
    t1=$REPLY
    CHARON_READY_US=$((t1 - t0))
    dswanctl "$d" --load-all >"$d/load.out" 2>&1 || {
        cat "$d/load.out" >&2
        die "$label: swanctl --load-all failed"
    }
    if grep -vE "^opening directory '.*' failed" "$d/load.out" | grep -qiE 'failed|error'; then
        cat "$d/load.out" >&2
        die "$label: swanctl --load-all reported a problem"
    fi
    now_us
    CHARON_LOAD_US=$((REPLY - t1))
    [[ $(cat "/proc/$CHARON_PID/comm" 2>/dev/null) == charon ]] ||
        die "$label: PID $CHARON_PID is not charon (the exec chain changed?)"
}

GW_DIR=$WORK/gw
GW_PID=
gateway_start() {
    mkdir -p "$GW_DIR"
    swanctl_dirs "$GW_DIR"
    charon_conf "$GW_DIR" gw
    cat >"$GW_DIR/swanctl.conf" <<EOF
connections {
    bench {
        version = 2
        local_addrs = $OUT_GW
        remote_addrs = %any
        encap = yes
        mobike = no
        proposals = $IKE_PROP
        pools = pool4
        dpd_delay = 0
        rekey_time = 4h
        rand_time = 0
        unique = replace
        local {
            auth = psk
            id = $GW_ID
        }
        remote {
            auth = psk
            id = $CL_ID
        }
        children {
            net {
                mode = tunnel
                local_ts = $NET
                esp_proposals = $ESP_PROP
                rekey_time = 1h
                rand_time = 0
                start_action = none
            }
        }
    }
}
pools {
    pool4 {
        addrs = $POOL
    }
}
secrets {
    ike-bench {
        id-gw = $GW_ID
        id-cl = $CL_ID
        secret = "$PSK"
    }
}
EOF
    charon_start "gateway charon" "$NS_GW" "$GW_DIR"
    GW_PID=$CHARON_PID
    result gateway.charon_start_s "$(us_to_s "$CHARON_READY_US")"
    log "gateway charon up (pid $GW_PID, $(us_to_s "$CHARON_READY_US") s to vici)"
}

# gw_check_sa label: the gateway's own view of the SA: the expected suite, a virtual IP
# from the pool; prints "IKE ESP VIP".
gw_check_sa() {
    local label=$1 sas ike esp vip
    sas=$(dswanctl "$GW_DIR" --list-sas 2>&1) || die "$label: swanctl --list-sas on the gateway failed"
    printf '%s\n' "$sas" >"$WORK/gw-sas-$label.txt"
    ike=$(awk '/^bench: #[0-9]+, ESTABLISHED/ { e = 1; next } e && /^  [A-Z0-9_]+(-[0-9]+)?\// { print $1; exit }' <<<"$sas")
    esp=$(sed -n 's/.*INSTALLED, TUNNEL[^,]*, ESP:\([^ ,]*\).*/\1/p' <<<"$sas" | head -n 1)
    vip=$(sed -n "s/^  remote .*\[\([0-9.]*\)\]\$/\1/p" <<<"$sas" | head -n 1)
    # swanctl prints AES_GCM_16-128: compare in the "_128" spelling
    ike=${ike//-/_}
    esp=${esp//-/_}
    [[ $ike == "$IKE_EXPECT" ]] || die "$label: gateway IKE SA uses '$ike', expected $IKE_EXPECT: $sas"
    [[ $esp == "$ESP_EXPECT" ]] || die "$label: gateway CHILD_SA uses '$esp', expected $ESP_EXPECT: $sas"
    [[ $(grep -c 'ESTABLISHED' <<<"$sas") -eq 1 ]] || die "$label: the gateway has not exactly one IKE_SA: $sas"
    GW_IKE=$ike GW_ESP=$esp GW_VIP=$vip
}

# ---------------------------------------------------------------- traffic
IPERF_SRV=
iperf_server() {
    bg_start "iperf3 server" "$WORK/iperf-server.out" \
        ip netns exec "$NS_GW" iperf3 -s -B "$PROT" -p "$IPERF_PORT"
    IPERF_SRV=$BG_PID
    wait_until 5 "the iperf3 server" \
        bash -c "ip netns exec '$NS_GW' ss -Hltn 'sport = :$IPERF_PORT' | grep -q ."
}

iperf_json() { # json-file: "Mbit/s bytes retransmits" at the receiver, or "nan nan nan"
    "$PYTHON" - "$1" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        j = json.load(f)
    e = j["end"]
    print(round(e["sum_received"]["bits_per_second"] / 1e6, 1), e["sum_received"]["bytes"],
          e["sum_sent"].get("retransmits", "nan"))
except Exception:
    print("nan nan nan")
EOF
}

# iperf_tcp label vip reverse(0|1): one TCP stream for BENCH_SECONDS from the client
# namespace (bound to the virtual IP) to the protected host; Mbit/s at the receiver in
# IPERF_MBPS, bytes received in IPERF_BYTES.
iperf_tcp() {
    local label=$1 vip=$2 rev=$3 json=$WORK/iperf-$1.json rc=0
    local -a extra=()
    [[ $rev -eq 1 ]] && extra=(-R)
    bg_start "iperf3 client $label" "$json" \
        timeout $((BENCH_SECONDS + 20)) ip netns exec "$NS_CL" iperf3 -J -c "$PROT" -B "$vip" \
        -p "$IPERF_PORT" -t "$BENCH_SECONDS" --connect-timeout 3000 "${extra[@]}"
    wait "$BG_PID" || rc=$?
    unset "BG_NAME[$BG_PID]"
    [[ $rc -eq 0 ]] || {
        cat "$json.err" >&2
        tail -n 5 "$json" >&2
        die "iperf3 $label failed (rc $rc)"
    }
    read -r IPERF_MBPS IPERF_BYTES IPERF_RETR <<<"$(iperf_json "$json")"
    [[ $IPERF_MBPS != nan ]] || die "no throughput in $json"
}

wait_ping() { # vip: the protected host answers through the tunnel
    wait_until 10 "ping $1 -> $PROT through the tunnel" nsx "$NS_CL" ping -n -c 1 -W 1 -I "$1" "$PROT"
}

# measure label tun vip client-pid: both iperf3 directions, TUN counters, CPU, peak RSS,
# UDP socket losses in both namespaces and the client TUN's queue drops.
measure() {
    local label=$1 tun=$2 vip=$3 cpid=$4 rx0 tx0 rx1 tx1 c0 g0 c1 g1 up down
    local gie0 gre0 cie0 cre0 gie1 gre1 cie1 cre1 td0 td1
    wait_ping "$vip"
    result "$label.tun_mtu" "$(nsx "$NS_CL" cat "/sys/class/net/$tun/mtu")"
    read -r gie0 gre0 <<<"$(udp_errs "$NS_GW")"
    read -r cie0 cre0 <<<"$(udp_errs "$NS_CL")"
    td0=$(nsx "$NS_CL" cat "/sys/class/net/$tun/statistics/tx_dropped")
    read -r rx0 tx0 <<<"$(tun_bytes "$tun")"
    cpu_ticks "$cpid"
    c0=$TICKS
    cpu_ticks "$GW_PID"
    g0=$TICKS
    iperf_tcp "$label-up" "$vip" 0
    up=$IPERF_MBPS
    result "$label.tcp_up_mbps" "$up"
    result "$label.tcp_up_retransmits" "$IPERF_RETR"
    local up_bytes=$IPERF_BYTES
    read -r rx1 tx1 <<<"$(tun_bytes "$tun")"
    ((tx1 - tx0 >= up_bytes)) ||
        die "$label: $tun sent $((tx1 - tx0)) bytes for $up_bytes bytes of iperf3 payload: not through the tunnel"
    log "  $label client->gateway: $up Mbit/s"
    iperf_tcp "$label-down" "$vip" 1
    down=$IPERF_MBPS
    result "$label.tcp_down_mbps" "$down"
    result "$label.tcp_down_retransmits" "$IPERF_RETR"
    local down_bytes=$IPERF_BYTES
    read -r rx0 tx0 <<<"$(tun_bytes "$tun")"
    ((rx0 - rx1 >= down_bytes)) ||
        die "$label: $tun received $((rx0 - rx1)) bytes for $down_bytes bytes of iperf3 payload: not through the tunnel"
    log "  $label gateway->client: $down Mbit/s"
    cpu_ticks "$cpid"
    c1=$TICKS
    cpu_ticks "$GW_PID"
    g1=$TICKS
    read -r gie1 gre1 <<<"$(udp_errs "$NS_GW")"
    read -r cie1 cre1 <<<"$(udp_errs "$NS_CL")"
    td1=$(nsx "$NS_CL" cat "/sys/class/net/$tun/statistics/tx_dropped")
    result "$label.gateway_udp_rcvbuf_errors" $((gre1 - gre0))
    result "$label.gateway_udp_in_errors" $((gie1 - gie0))
    result "$label.client_udp_rcvbuf_errors" $((cre1 - cre0))
    result "$label.client_udp_in_errors" $((cie1 - cie0))
    result "$label.client_tun_tx_dropped" $((td1 - td0))
    result "$label.tcp_sum_mbps" "$(awk -v a="$up" -v b="$down" 'BEGIN { printf "%.1f", a + b }')"
    result "$label.client_cpu_s" "$(ticks_to_s $((c1 - c0)))"
    result "$label.gateway_cpu_s" "$(ticks_to_s $((g1 - g0)))"
    result "$label.tun" "$tun"
    result "$label.tun_bytes_checked" yes
    pid_alive "$cpid" || die "$label: the client process $cpid died"
    proc_kib "$cpid" VmHWM || die "$label: cannot read VmHWM of $cpid"
    result "$label.client_peak_rss_mib" "$(kib_to_mib "$KIB")"
    proc_kib "$cpid" VmRSS && result "$label.client_rss_end_mib" "$(kib_to_mib "$KIB")"
    proc_kib "$GW_PID" VmHWM || die "cannot read VmHWM of the gateway charon"
    result "$label.gateway_peak_rss_mib" "$(kib_to_mib "$KIB")"
    proc_kib "$GW_PID" VmRSS && result "$label.gateway_rss_end_mib" "$(kib_to_mib "$KIB")"
}

# ---------------------------------------------------------------- (a) our client
stamp_lines() { # fifo: its lines to stdout, each prefixed with its arrival time (us)
    local l t
    while IFS= read -r l; do
        t=$EPOCHREALTIME
        printf '%s %s\n' "${t/./}" "$l"
    done <"$1"
}

ours_stats() { # pid out-file: SIGUSR1, wait for a new "stats" line; into STATS_LINE
    local n0 i
    n0=$(grep -c ' stats ' "$2" || true)
    kill -USR1 "$1"
    for ((i = 0; i < 50; i++)); do
        [[ $(grep -c ' stats ' "$2" || true) -gt $n0 ]] && break
        sleep 0.1
    done
    ((i < 50)) || die "ours: no stats line within 5 s of SIGUSR1"
    STATS_LINE=$(grep ' stats ' "$2" | tail -n 1 | cut -d' ' -f3-)
}

run_ours() {
    local d=$WORK/ours conf pid stamper t0 line i ts tun vip rts p
    mkdir -p "$d"
    conf=$d/client.ini
    (
        umask 077
        cat >"$conf" <<EOF
[ike]
gateway = $OUT_GW
port = 500
local = $OUT_CL
tun = $TUN_OURS
auth = psk
psk = $PSK
local-id = $CL_ID
remote-id = $GW_ID
ike = $IKE_PROP
esp = $ESP_PROP
virtual-ipv4 = yes
virtual-ipv6 = no
remote-ts = $NET
dpd-interval = 0
nat-keepalive = 20
rekey-child = 0
rekey-ike = 0
retransmit-tries = 3
EOF
    )
    log "(a) our client: $UIP_IKE_CLIENT"
    assert_unreachable
    hwm_reset "$GW_PID"
    DUMP_FILES+=("$d/client.out" "$d/client.err")
    # stdout through a FIFO to a time stamper: the "established" time is its arrival,
    # not when a poll loop happens to look.
    mkfifo "$d/stdout.fifo"
    # (the FIFO is opened inside the background child: only it blocks until the writer)
    bg_start "stamper" "$d/client.out" stamp_lines "$d/stdout.fifo"
    stamper=$BG_PID
    now_us
    t0=$REPLY
    ip netns exec "$NS_CL" "$UIP_IKE_CLIENT" "$conf" >"$d/stdout.fifo" 2>"$d/client.err" &
    pid=$!
    BG_NAME[$pid]="uip-ike-client"
    line=
    for ((i = 0; i < 300; i++)); do
        line=$(grep -m1 -E '^[0-9]+ (established|failed)( |$)' "$d/client.out" 2>/dev/null) || true
        [[ -n $line ]] && break
        pid_alive "$pid" || { sleep 0.1; line=$(grep -m1 -E '^[0-9]+ (established|failed)( |$)' "$d/client.out" 2>/dev/null) || true; break; }
        sleep 0.05
    done
    [[ -n $line ]] || die "ours: no established/failed line within 15 s"
    ts=${line%% *}
    line=${line#* }
    [[ $line == established* ]] || die "ours: $line"
    result ours.tunnel_up_s "$(us_to_s $((ts - t0)))"
    result ours.established "$line"
    log "  $line"
    log "  ours: process start -> established: $(us_to_s $((ts - t0))) s"
    tun=$(sed -n 's/.* tun=\([^ ]*\).*/\1/p' <<<"$line")
    vip=$(sed -n 's/.* vip4=\([^ ]*\).*/\1/p' <<<"$line")
    rts=$(sed -n 's/.* remote-ts=\([^ ]*\).*/\1/p' <<<"$line")
    [[ -n $tun && -n $vip && -n $rts ]] || die "ours: cannot parse tun/vip4/remote-ts from: $line"
    [[ $line =~ \ ike=(IKE:)?$IKE_EXPECT\  ]] || log "note: ours reports ike=$(sed -n 's/.* ike=\([^ ]*\).*/\1/p' <<<"$line"), expected $IKE_EXPECT"
    # what NetworkManager would do: the virtual IP on the TUN, a route per remote TS
    nsx "$NS_CL" ip link set "$tun" up
    nsx "$NS_CL" ip addr replace "$vip/32" dev "$tun"
    for p in ${rts//,/ }; do
        nsx "$NS_CL" ip route replace "$p" dev "$tun" src "$vip"
    done
    gw_check_sa ours
    result ours.gateway_ike "$GW_IKE"
    result ours.gateway_esp "$GW_ESP"
    result ours.gateway_vip "$GW_VIP"
    result ours.vip "$vip"
    # IKE alone (our log: IKE_SA_INIT sent -> established), without the process start
    local ike_ms
    ike_ms=$(awk '/sending IKE_SA_INIT/ && !a { a = $1 } / established: / && !b { b = $1 }
        END { gsub(/^[^[]*\[|\].*$/, "", a); gsub(/^[^[]*\[|\].*$/, "", b)
              if (a != "" && b != "") printf "%.3f", b - a }' "$d/client.err")
    [[ -z $ike_ms ]] || result ours.ike_exchange_s "$ike_ms"
    # the engine's counters before and after the iperf3 runs
    ours_stats "$pid" "$d/client.out"
    local st0=$STATS_LINE
    measure ours "$tun" "$vip" "$pid"
    ours_stats "$pid" "$d/client.out"
    result ours.engine_stats "$STATS_LINE"
    result ours.engine_drops_during_iperf "$("$PYTHON" - "$st0" "$STATS_LINE" <<'PYEOF'
import sys
a, b = (dict(kv.split("=", 1) for kv in x.split() if "=" in kv) for x in sys.argv[1:])
d = ["%s=%d" % (k, int(b[k]) - int(a.get(k, 0))) for k in b if k.startswith("drop_") and int(b[k]) != int(a.get(k, 0))]
print(",".join(d) or "none")
PYEOF
)"
    # goodbye: IKE DELETE, then exit
    local rc=0 tc
    now_us
    tc=$REPLY
    bg_stop "$pid" TERM 10 || rc=$?
    now_us
    result ours.close_s "$(us_to_s $((REPLY - tc)))"
    result ours.exit_status "$rc"
    [[ $rc -eq 0 ]] || log "note: uip-ike-client exited with status $rc on SIGTERM"
    grep -q ' closed$' "$d/client.out" || log "note: uip-ike-client printed no 'closed' line"
    bg_wait "$stamper" 3 || bg_stop "$stamper"
    ! nsx "$NS_CL" ip link show "$tun" >/dev/null 2>&1 || die "ours: $tun still exists after the exit"
    wait_until 5 "the gateway to drop our IKE_SA" bash -c \
        "! STRONGSWAN_CONF='$GW_DIR/strongswan.conf' timeout 5 swanctl --list-sas --uri 'unix://$GW_DIR/vici.sock' 2>/dev/null | grep -q ESTABLISHED"
}

# ---------------------------------------------------------------- (b) strongSwan client
run_swan() {
    local d=$WORK/swan t0 t1 rc=0 sas vip
    mkdir -p "$d"
    swanctl_dirs "$d"
    charon_conf "$d" cl
    cat >"$d/swanctl.conf" <<EOF
connections {
    bench {
        version = 2
        local_addrs = $OUT_CL
        remote_addrs = $OUT_GW
        encap = yes
        mobike = no
        proposals = $IKE_PROP
        vips = 0.0.0.0
        dpd_delay = 0
        local {
            auth = psk
            id = $CL_ID
        }
        remote {
            auth = psk
            id = $GW_ID
        }
        children {
            bench {
                mode = tunnel
                esp_proposals = $ESP_PROP
                local_ts = dynamic
                remote_ts = $NET
                start_action = none
            }
        }
    }
}
secrets {
    ike-bench {
        id-cl = $CL_ID
        id-gw = $GW_ID
        secret = "$PSK"
    }
}
EOF
    log "(b) strongSwan client: charon + kernel-libipsec"
    assert_unreachable
    hwm_reset "$GW_PID"
    charon_start "client charon" "$NS_CL" "$d"
    local cpid=$CHARON_PID
    result strongswan.charon_start_s "$(us_to_s "$CHARON_READY_US")"
    result strongswan.conn_load_s "$(us_to_s "$CHARON_LOAD_US")"
    now_us
    t0=$REPLY
    dswanctl "$d" --initiate --child bench --timeout 20 >"$d/initiate.out" 2>&1 || rc=$?
    now_us
    t1=$REPLY
    [[ $rc -eq 0 ]] || {
        tail -n 20 "$d/initiate.out" >&2
        die "strongswan: swanctl --initiate failed (rc $rc)"
    }
    result strongswan.tunnel_up_s "$(us_to_s $((t1 - t0)))"
    log "  strongswan: charon start -> vici $(us_to_s "$CHARON_READY_US") s, load $(us_to_s "$CHARON_LOAD_US") s, swanctl --initiate $(us_to_s $((t1 - t0))) s"
    sas=$(dswanctl "$d" --list-sas 2>&1)
    printf '%s\n' "$sas" >"$d/sas.out"
    vip=$(sed -n 's/^  local .*\[\([0-9.]*\)\]$/\1/p' <<<"$sas" | head -n 1)
    [[ -n $vip ]] || die "strongswan: no virtual IP in: $sas"
    wait_until 5 "the virtual IP on $TUN_SWAN" bash -c "ip -n '$NS_CL' -4 addr show dev '$TUN_SWAN' | grep -q 'inet $vip/'"
    gw_check_sa strongswan
    result strongswan.gateway_ike "$GW_IKE"
    result strongswan.gateway_esp "$GW_ESP"
    result strongswan.gateway_vip "$GW_VIP"
    result strongswan.vip "$vip"
    measure strongswan "$TUN_SWAN" "$vip" "$cpid"
    now_us
    t0=$REPLY
    dswanctl "$d" --terminate --ike bench --timeout 10 >"$d/terminate.out" 2>&1 || log "note: swanctl --terminate failed"
    now_us
    result strongswan.close_s "$(us_to_s $((REPLY - t0)))"
    bg_stop "$cpid" TERM 5 || true
}

# ---------------------------------------------------------------- main
PSK=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
SECONDS=0
log "namespaces $NS_GW / $NS_CL, BENCH_SECONDS=$BENCH_SECONDS, parts: $BENCH_PARTS"
setup_net
assert_unreachable
gateway_start
iperf_server
if want_part ours; then run_ours; fi
if want_part strongswan; then run_swan; fi
bg_stop "$IPERF_SRV" TERM 3 || true
proc_kib "$GW_PID" VmRSS && result gateway.rss_end_mib "$(kib_to_mib "$KIB")"
result meta.bench_seconds "$BENCH_SECONDS"
result meta.client "$UIP_IKE_CLIENT"
result meta.strongswan_version "$(dpkg-query -W -f '${Version}' strongswan-charon 2>/dev/null || echo unknown)"
result meta.kernel "$(uname -r)"
result meta.date "$(date -u +%FT%TZ)"
result meta.ike "$IKE_PROP"
result meta.esp "$ESP_PROP"
result meta.wall_s "$SECONDS"

mkdir -p "$(dirname "$BENCH_OUT")"
"$PYTHON" - "$RESULTS" "$BENCH_OUT" <<'EOF'
import json, sys
res, out = sys.argv[1:]
d = {}
for line in open(res):
    k, v = line.rstrip("\n").split("\t", 1)
    top, _, key = k.partition(".")
    for conv in (int, float):
        try:
            v = conv(v)
            break
        except ValueError:
            pass
    d.setdefault(top, {})[key] = v

def num(v):
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

def g(c, k):
    return d.get(c, {}).get(k, "-")

cols = [("ours", "ours (uip-ike-client)"), ("strongswan", "strongSwan client (charon)")]
rows = [
    ("tunnel up [s]", "tunnel_up_s"),
    ("  (ours: IKE exchange alone, from its log [s])", "ike_exchange_s"),
    ("  (strongSwan: charon start to vici [s])", "charon_start_s"),
    ("  (strongSwan: connection load [s])", "conn_load_s"),
    ("close (ours: SIGTERM to exit; strongSwan: --terminate) [s]", "close_s"),
    ("TCP client->gateway [Mbit/s]", "tcp_up_mbps"),
    ("TCP gateway->client [Mbit/s]", "tcp_down_mbps"),
    ("TCP sum [Mbit/s]", "tcp_sum_mbps"),
    ("TCP retransmits up/down", None),
    ("client peak RSS (VmHWM) [MiB]", "client_peak_rss_mib"),
    ("gateway charon peak RSS in run [MiB]", "gateway_peak_rss_mib"),
    ("client CPU during iperf3 [s]", "client_cpu_s"),
    ("gateway CPU during iperf3 [s]", "gateway_cpu_s"),
    ("client TUN / MTU", None),
    ("UDP rcvbuf errors gateway/client", None),
    ("client TUN tx_dropped", "client_tun_tx_dropped"),
    ("gateway view: IKE", "gateway_ike"),
    ("gateway view: ESP", "gateway_esp"),
    ("virtual IP", "gateway_vip"),
]
w0 = max(len(r[0]) for r in rows) + 2
w = max([32] + [len(str(g("ours", k))) + 2 for k in ("gateway_ike", "gateway_esp")])
print()
print("%-*s%-*s%s" % (w0, "", w, cols[0][1], cols[1][1]))
for label, key in rows:
    vals = []
    for c, _ in cols:
        if label.startswith("TCP retransmits"):
            vals.append("%s/%s" % (num(g(c, "tcp_up_retransmits")), num(g(c, "tcp_down_retransmits"))))
        elif label.startswith("client TUN /"):
            vals.append("%s / %s" % (g(c, "tun"), num(g(c, "tun_mtu"))))
        elif label.startswith("UDP rcvbuf"):
            vals.append("%s/%s" % (num(g(c, "gateway_udp_rcvbuf_errors")), num(g(c, "client_udp_rcvbuf_errors"))))
        else:
            v = g(c, key)
            if key.endswith("_s") and isinstance(v, float):
                v = "%.3f" % v
            vals.append(num(v))
    if key in ("charon_start_s", "conn_load_s"):
        vals[0] = "-"
    if key == "ike_exchange_s":
        vals[1] = "-"
    print("%-*s%-*s%s" % (w0, label, w, vals[0], vals[1]))
if "engine_stats" in d.get("ours", {}):
    st = dict(kv.split("=", 1) for kv in str(d["ours"]["engine_stats"]).split() if "=" in kv)
    drops = {k: v for k, v in st.items() if k.startswith("drop_") and v != "0"}
    # (drop_no_sa: the kernel's IPv6 router solicitations / MLD on the TUN, no IPv6 SA)
    print("our engine: offload=%s, drops in total: %s; during iperf3: %s" % (st.get("offload", "?"),
          ", ".join("%s=%s" % kv for kv in drops.items()) or "none",
          d["ours"].get("engine_drops_during_iperf", "?")))
ratio = None
a, b = g("ours", "tcp_sum_mbps"), g("strongswan", "tcp_sum_mbps")
if isinstance(a, float) and isinstance(b, float) and b > 0:
    ratio = round(a / b, 2)
d["ratio_ours_over_strongswan_client"] = ratio
with open(out, "w") as f:
    json.dump(d, f, indent=2, sort_keys=True)
    f.write("\n")
print("JSON: %s" % out)
print("throughput ratio ours/strongswan-client: %s" % ("%.2f" % ratio if ratio is not None else "n/a"))
EOF
