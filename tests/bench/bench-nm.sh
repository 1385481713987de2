#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-nm.sh: NetworkManager + our plugin (nm-uipsec-service) next to NetworkManager +
# NetworkManager-strongswan (charon-nm with kernel-libipsec), in one run, with one
# NetworkManager that has both plugins, against the same strongSwan gateway (charon +
# kernel-libipsec, PSK, IKE aes128gcm16-prfsha256-x25519, ESP aes128gcm16, virtual IPv4
# from a pool, restarted with the same configuration for each plugin).
#
#   uipn-cl [192.0.2.1] uipn-cl0 ==veth== uipn-gw0 [192.0.2.2] uipn-gw, bridge uipn-br
#   (no ports): 198.18.2.1 = protected net 198.18.2.0/24, pool 198.18.100.0/24
#   In uipn-cl: a private dbus-daemon and NetworkManager, which spawns the plugins.
#
# The mechanics are the e2e suite's (tests/e2e/lib-e2e.sh, docs/e2e.md): only the names
# differ (uipn-* instead of uipe-*), so this can run next to the e2e suite.
#
# For each plugin:
#   - `nmcli connection up` to activated (nmcli --wait returns), UIP_BENCH_UPS times,
#     with a down (and nothing left on the gateway) in between: median, min, first, all;
#     also the part of it NetworkManager's log shows ("starting PLUGIN" to "set state:
#     activated"), which leaves out nmcli's own start-up and its D-Bus round trips.
#     (nm-uipsec-service is spawned for each activation and quits after down; charon-nm
#     stays, libnm's 180 s quit timer: only its first activation includes its start.)
#   - each activation split into its parts, as far as they show from outside (median over
#     the activations / the first, in ms): NetworkManager starts the plugin -> its PID, the
#     service process -> its D-Bus name, NeedSecrets call and answer, Connect call ->
#     IKE_SA_INIT sent -> answered -> IKE_AUTH sent -> answered -> Ip4Config reported ->
#     NetworkManager "activated". NetworkManager's log (VPN at TRACE, with the plugin's
#     stderr: our service logs at debug level with millisecond times) gives the D-Bus and
#     NetworkManager moments; a dumpcap capture of IKE on the client's outer link gives
#     the IKE packets' times (without dumpcap/tshark: our service's IKE log lines, and
#     none for charon-nm, whose log has whole seconds). Per activation the parts add up
#     to "starting -> activated"; their medians need not;
#   - after the last up: iperf3 TCP, one stream, UIP_BENCH_SECS, client -> protected host
#     and back (-R), from the virtual IP;
#   - CPU seconds (utime+stime) of the plugin process and of the gateway charon over the
#     two iperf3 runs; peak RSS (VmHWM) of the plugin process and of the gateway charon,
#     read while the connection is still up (right before down).
# "Through the tunnel": the gateway refuses the protected net on its outer link (ip rule
# ... prohibit) and the client has a default route to it, so a cleartext path fails; the
# protected host is checked unreachable before each plugin's first up, and the gateway's
# view of the SA (IKE and ESP suite, virtual IP) is checked before the iperf3 runs.
#
# Output: the e2e helpers' progress lines, then a side-by-side table and a last line
# "nm throughput ratio ours/strongswan: X.XX" (sum of both directions).
#
# Run as root:   bash tests/bench/bench-nm.sh [BUILD_DIR]     (about 45 s with the defaults)
# Environment:
#   UIP_BENCH_SECS     iperf3 seconds per direction (default 5; 1..60)
#   UIP_BENCH_UPS      activations timed per plugin (default 5; 1..20)
#   UIP_BENCH_PLUGINS  "uipsec strongswan" (default, in that order); one alone for debugging
#   UIP_KEEP_TMP=1     keep the temp folder (NetworkManager and charon logs) of a failed run;
#                      =always, of every run (the service's debug log is in NetworkManager's)
# Packages: those of the e2e suite (network-manager, dbus-daemon, dbus-system-bus-common,
# network-manager-strongswan, strongswan-nm, strongswan-charon, strongswan-swanctl,
# libstrongswan-standard-plugins, libcharon-extra-plugins, libcharon-extauth-plugins, iperf3;
# tests/install-deps.sh installs them).
# Exit: 0 done, 77 skip (not root, something missing), 1 failure.

set -euo pipefail
# shellcheck source=tests/e2e/lib-e2e.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib-e2e.sh"

# Our own names (lib-e2e.sh set uipe-*, the e2e suite's): never collide with a running suite.
# shellcheck disable=SC2034 # used by the e2e and interop helpers
{
    NS_GW=uipn-gw NS_CL=uipn-cl
    VETH_GW=uipn-gw0 VETH_CL=uipn-cl0
    BR_GW=uipn-br
    CL_TUN=uipn-tun0
    NS_GW2=uipn-gw2 VETH_GW1=uipn-gw1 VETH_GW2=uipn-gw20 BR_GW2=uipn-br2 # (no second gateway here)
}

BENCH_SECS=${UIP_BENCH_SECS:-5}
BENCH_UPS=${UIP_BENCH_UPS:-5}
BENCH_PLUGINS=${UIP_BENCH_PLUGINS:-uipsec strongswan}
BENCH_PLUGINS=${BENCH_PLUGINS//,/ }
IKE_PROP=aes128gcm16-prfsha256-x25519
ESP_PROP=aes128gcm16
IKE_EXPECT=AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519
ESP_EXPECT=AES_GCM_16_128

if ! [[ $BENCH_SECS =~ ^[0-9]+$ ]] || ((BENCH_SECS < 1 || BENCH_SECS > 60)); then
    uip_fail "UIP_BENCH_SECS must be an integer in 1..60"
fi
if ! [[ $BENCH_UPS =~ ^[0-9]+$ ]] || ((BENCH_UPS < 1 || BENCH_UPS > 20)); then
    uip_fail "UIP_BENCH_UPS must be an integer in 1..20"
fi
for p in $BENCH_PLUGINS; do
    case $p in uipsec | strongswan) ;; *) uip_fail "UIP_BENCH_PLUGINS: uipsec and/or strongswan, not '$p'" ;; esac
done

# one NetworkManager with both plugins (.name files, D-Bus policies); e2e_plugin_select
# switches which one e2e_vpn_add and the process look-up use
E2E_PLUGINS=$BENCH_PLUGINS
UIP_E2E_PLUGIN=${BENCH_PLUGINS%% *}
e2e_init "$@"

# a failed run (not an interrupted one): NetworkManager's VPN lines, the plugin's stderr,
# the gateway's log; then the e2e clean-up (NetworkManager, plugins, bus, gateway, namespaces)
bench_exit() {
    local rc=$?
    set +eE
    trap - ERR
    if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "$rc" != 130 ] && [ "$rc" != 143 ]; then
        e2e_nm_dump 40
        gw_log_tail 20
    fi
    (exit "$rc")
    e2e_cleanup
}
trap bench_exit EXIT
trap 'printf "FAIL: unexpected failure (status %s) of: %s\n" "$?" "$BASH_COMMAND" >&2' ERR
set -E

GW_PSK=$(openssl rand -hex 16)
GW_EAP_PASSWORD=$(openssl rand -hex 8) # (gw_start writes an EAP secret too; unused here)
export GW_PSK GW_EAP_PASSWORD
CLK_TCK=$(getconf CLK_TCK)
declare -A R=() # results: R[plugin.key]

# cpu_ticks PID: utime+stime of the whole process (all threads), in clock ticks.
cpu_ticks() {
    local st
    st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    awk '{ print $12 + $13 }' <<<"$st"
}

# proc_mib PID FIELD: VmHWM / VmRSS of PID in MiB (one decimal).
proc_mib() {
    awk -v f="$2:" '$1 == f { printf "%.1f\n", $2 / 1024; found = 1 } END { exit !found }' "/proc/$1/status"
}

# median / min of numbers (one a line)
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minimum() { sort -g | head -n 1; }

# nm_span NAME: seconds from NetworkManager's "starting PLUGIN" to "set state: activated"
# for the last activation of NAME (its log since e2e_up's mark): the part of the activation
# inside NetworkManager and the plugin, without nmcli's own start and D-Bus round trips.
nm_span() {
    local i out=''
    for ((i = 0; i < 20; i++)); do
        out=$(e2e_log_since | awk -v n="\"$1\"" '
            index($0, n) && / starting [a-z]+$/ && a == "" { a = $2 }
            index($0, n) && /: set state: activated/ && b == "" { b = $2 }
            END { gsub(/[][]/, "", a); gsub(/[][]/, "", b); if (a != "" && b != "") printf "%.3f", b - a }')
        [ -z "$out" ] || break
        sleep 0.05
    done
    printf '%s\n' "${out:-?}"
}

# plugin_pid: the one process of the selected plugin that NetworkManager spawned
# (recognised by its executable: the e2e helper also lists charon-nm when it lingers).
plugin_pid() {
    local want p found=''
    case $E2E_PLUGIN in
    uipsec) want=$(readlink -f "$E2E_PROGRAM") ;;
    strongswan) want=$(readlink -f "$CHARON_NM") ;;
    esac
    for p in $(e2e_plugin_pids); do
        [ "$(readlink -f "/proc/$p/exe" 2>/dev/null)" = "$want" ] && found="$found $p"
    done
    found=${found# }
    if [ -z "$found" ] || [ "$(wc -w <<<"$found")" != 1 ]; then
        uip_fail "expected one $E2E_PLUGIN process ($want), found: '$found'"
    fi
    printf '%s\n' "$found"
}

# gw_check_sa: the gateway's own view: exactly one IKE_SA, with the expected IKE and ESP
# suites and a virtual IP; sets GW_IKE GW_ESP GW_VIP.
gw_check_sa() {
    local sas
    sas=$(gw_sas)
    GW_IKE=$(awk '/^bench: #[0-9]+, ESTABLISHED/ { e = 1; next } e && /^  [A-Z0-9_]+(-[0-9]+)?\// { print $1; exit }' <<<"$sas")
    GW_ESP=$(sed -n 's/.*INSTALLED, TUNNEL[^,]*, ESP:\([^ ,]*\).*/\1/p' <<<"$sas" | head -n 1)
    GW_VIP=$(sed -n 's/^  remote .*\[\([0-9.]*\)\]$/\1/p' <<<"$sas" | head -n 1)
    GW_IKE=${GW_IKE//-/_} GW_ESP=${GW_ESP//-/_}
    if [ "$GW_IKE" != "$IKE_EXPECT" ] || [ "$GW_ESP" != "$ESP_EXPECT" ] ||
        [ "$(grep -c ESTABLISHED <<<"$sas")" != 1 ] || [ -z "$GW_VIP" ]; then
        printf '%s\n' "$sas" >&2
        uip_fail "gateway: expected one IKE_SA with $IKE_EXPECT, ESP $ESP_EXPECT and a virtual IP"
    fi
}

# ---------------------------------------------------------------- activation, part by part
# act_events NAME: the moments of the last activation of NAME that NetworkManager's log
# (its lines and the plugin's stderr, which it carries) shows, one "KEY EPOCH" line each:
# nm_start ("starting PLUGIN"), spawned ("VPN service has PID"), svc_main (our service's
# "main: starting as"), bus_name (the plugin's D-Bus name appeared), ns_call / ns_done
# (NeedSecrets called / answered), connect_call / connect_done (Connect or
# ConnectInteractive), log_init_sent / log_init_done / log_auth_sent / log_established
# (our service's IKE lines at debug level: IDLE -> IKE_SA_INIT_SENT, IKE_SA_INIT done,
# -> IKE_AUTH_SENT, -> ESTABLISHED), config / ip4config (the plugin's Config and Ip4Config
# reached NetworkManager), activated. charon-nm writes its IKE lines to its own log with
# whole seconds only: its IKE moments come from the capture (act_parts).
act_events() {
    e2e_log_since | awk -v n="\"$1\"" '
        function nmt(t) { t = $2; gsub(/[][]/, "", t); return t }
        function ut(t) { t = $1; sub(/^uipsec\[/, "", t); sub(/\]$/, "", t); return t }
        function put(k, t) { if (!(k in e)) { e[k] = t; print k, t } }
        index($0, n) && / starting [a-z]+$/ { put("nm_start", nmt()) }
        index($0, n) && /: starting: VPN service has PID / { put("spawned", nmt()) }
        /^uipsec\[[0-9.]+\] [a-z]+: main: starting as / { put("svc_main", ut()) }
        index($0, n) && /: dbus: name owner :/ { put("bus_name", nmt()) }
        index($0, n) && /: dbus: call NeedSecrets / { put("ns_call", nmt()) }
        index($0, n) && /: service indicated / { put("ns_done", nmt()) }
        index($0, n) && /: dbus: call Connect/ { put("connect_call", nmt()) }
        index($0, n) && /: connect: success from Connect/ { put("connect_done", nmt()) }
        /^uipsec\[[0-9.]+\] debug: .* IDLE -> IKE_SA_INIT_SENT$/ { put("log_init_sent", ut()) }
        /^uipsec\[[0-9.]+\] [a-z]+: .* IKE_SA_INIT done: / { put("log_init_done", ut()) }
        /^uipsec\[[0-9.]+\] debug: .* -> IKE_AUTH_SENT$/ { put("log_auth_sent", ut()) }
        /^uipsec\[[0-9.]+\] debug: .* -> ESTABLISHED$/ { put("log_established", ut()) }
        index($0, n) && /: config: reply received/ { put("config", nmt()) }
        index($0, n) && /: config4: reply received/ { put("ip4config", nmt()) }
        index($0, n) && /: set state: activated/ { put("activated", nmt()) }'
}

# The parts of an activation, in order: KEY<TAB>label; act_parts computes them.
ACT_PARTS="spawn	NetworkManager: starting -> service PID (spawn)
busname	service process start -> D-Bus name
busmain	  of it: service PID -> its first log line (main)
secrets	D-Bus name (running: starting) -> NeedSecrets call
needsec	NeedSecrets call -> answered
toconn	NeedSecrets answered -> Connect call
initout	Connect call -> IKE_SA_INIT sent
initrtt	IKE_SA_INIT sent -> answered
authout	IKE_SA_INIT answered -> IKE_AUTH sent
authrtt	IKE_AUTH sent -> answered
config	IKE_AUTH answered -> Ip4Config reported
activate	Ip4Config reported -> NetworkManager activated
total	sum: starting -> activated"

# act_parts EVENTS [IKE-FIELDS]: "ACT PART MS" lines from act_events' lines prefixed by
# the activation's number, and from tshark's fields (epoch, source, exchange type) of the
# IKE packets on the client's outer link if there is a capture. The IKE moments on the
# wire, within each activation (starting to activated): the first IKE_SA_INIT request
# (34) from the client, the last IKE_SA_INIT answer before the first IKE_AUTH request
# (35), the last IKE_AUTH answer; without a capture, our service's log lines. With a
# capture, an activation whose four IKE moments are not all on it takes them from our
# service's log ("ACT from-log": here dumpcap at times got none of the packets of a run's
# last activation, 5 runs of 9 with 12 activations, and its own count says it never
# received them), or, without such log lines (charon-nm), gives "ACT missing-ike".
act_parts() {
    awk -v cl="$OUT_CL" -v cap="${2:+1}" '
        FILENAME == ARGV[1] { ev[$1, $2] = $3; if ($1 > nact) nact = $1; next }
        { t[++np] = $1; src[np] = $2; ex[np] = $3 }
        function d(a, b) { return (a == "" || b == "") ? "" : sprintf("%.1f", (b - a) * 1000) }
        function out(i, k, v) { if (v != "") print i, k, v }
        END {
            for (i = 1; i <= nact; i++) {
                s = ev[i, "nm_start"]; e = ev[i, "activated"]
                if (s == "" || e == "") continue
                is = ""; id = ""; as = ""; ad = ""
                for (j = 1; j <= np; j++) {
                    if (t[j] < s || t[j] > e) continue
                    if (ex[j] == 34 && src[j] == cl && is == "") is = t[j]
                    if (ex[j] == 35 && src[j] == cl && as == "") as = t[j]
                    if (ex[j] == 34 && src[j] != cl && as == "") id = t[j]
                    if (ex[j] == 35 && src[j] != cl) ad = t[j]
                }
                miss = cap && (is == "" || id == "" || as == "" || ad == "")
                if (!cap || miss) { is = ev[i, "log_init_sent"]; id = ev[i, "log_init_done"]
                                    as = ev[i, "log_auth_sent"]; ad = ev[i, "log_established"] }
                if (miss) print i, (is == "" ? "missing-ike" : "from-log")
                sp = ev[i, "spawned"]; bn = ev[i, "bus_name"]
                out(i, "spawn", d(s, sp))
                out(i, "busname", d(sp, bn))
                out(i, "busmain", d(sp, ev[i, "svc_main"]))
                out(i, "secrets", d(bn != "" ? bn : s, ev[i, "ns_call"]))
                out(i, "needsec", d(ev[i, "ns_call"], ev[i, "ns_done"]))
                out(i, "toconn", d(ev[i, "ns_done"], ev[i, "connect_call"]))
                out(i, "initout", d(ev[i, "connect_call"], is))
                out(i, "initrtt", d(is, id))
                out(i, "authout", d(id, as))
                out(i, "authrtt", d(as, ad))
                out(i, "config", d(ad, ev[i, "ip4config"]))
                out(i, "activate", d(ev[i, "ip4config"], e))
                out(i, "total", d(s, e))
            }
        }' "$1" "${2:-/dev/null}"
}

# ike_capture_start FILE: dumpcap on the client's outer link, IKE only (UDP 500, and 4500
# with the non-ESP marker), PID in CAP_PID; empty when dumpcap or tshark is missing.
CAP_PID=''
ike_capture_start() {
    CAP_PID=''
    command -v dumpcap >/dev/null && command -v tshark >/dev/null || return 0
    ip netns exec "$NS_CL" dumpcap -q -i "$VETH_CL" -f 'udp port 500 or (udp port 4500 and udp[8:4] = 0)' \
        -w "$1" >"$1.log" 2>&1 &
    CAP_PID=$!
    uipi_track "$CAP_PID"
    uip_dumpcap_wait "$1.log" "$CAP_PID"
}

# act_table PLUGIN: ends the capture; each part of the activations as "median / first"
# (ms) into R[PLUGIN.act_KEY], where the IKE moments came from into R[PLUGIN.act_src].
act_table() {
    local p=$1 key label vals n fields=''
    if [ -n "$CAP_PID" ]; then
        uip_stop "$CAP_PID" INT 10 >/dev/null 2>&1 || true
        CAP_PID=''
        fields=$UIP_TMP/ike-$p.txt
        tshark -n -r "$UIP_TMP/ike-$p.pcapng" -Y isakmp -T fields -E separator=' ' \
            -e frame.time_epoch -e ip.src -e isakmp.exchangetype >"$fields" 2>"$fields.err" ||
            uip_fail "cannot read the capture $UIP_TMP/ike-$p.pcapng: $(grep -v 'Running as user' "$fields.err")"
        R[$p.act_src]="capture on $VETH_CL ($(wc -l <"$fields") IKE packets)"
    elif [ "$p" = uipsec ]; then
        R[$p.act_src]="the service's log (no dumpcap/tshark)"
    else
        R[$p.act_src]="none (no dumpcap/tshark; charon-nm logs whole seconds)"
    fi
    act_parts "$UIP_TMP/act-$p" "$fields" >"$UIP_TMP/parts-$p"
    if grep -q ' from-log$' "$UIP_TMP/parts-$p"; then
        R[$p.act_src]+="; the service's log for activation(s) $(awk '$2 == "from-log" { printf "%s%s", sep, $1; sep = " " }' "$UIP_TMP/parts-$p"), not on it"
    fi
    if grep -q ' missing-ike$' "$UIP_TMP/parts-$p"; then
        cat "$fields" >&2
        uip_fail "$p: the capture on $VETH_CL lacks IKE_SA_INIT or IKE_AUTH of activation(s) $(awk '$2 == "missing-ike" { printf "%s ", $1 }' "$UIP_TMP/parts-$p")"
    fi
    while IFS='	' read -r key label; do
        vals=$(awk -v k="$key" '$2 == k { print $3 }' "$UIP_TMP/parts-$p")
        [ -n "$vals" ] || continue
        R[$p.act_$key]="$(median <<<"$vals") / $(awk -v k="$key" '$2 == k && $1 == 1 { print $3 }' "$UIP_TMP/parts-$p")"
        n=$(wc -l <<<"$vals")
        # charon-nm stays between activations: it starts (and gets its name) only once
        ((n == BENCH_UPS)) || R[$p.act_$key]+=" ($n of $BENCH_UPS)"
    done <<<"$ACT_PARTS"
}

# run_plugin PLUGIN: the measurements of one plugin into R[PLUGIN.*].
run_plugin() {
    local p=$1 name=bench-$1 i times=() spans=() dev vip pid gpid c0 g0 c1 g1 t0 t1
    uip_step "$p"
    e2e_plugin_select "$p"
    E2E_PLUGIN_STAYS=0
    [ "$p" = strongswan ] && E2E_PLUGIN_STAYS=1
    # a fresh gateway (same configuration) for each plugin: its peak RSS is this run's
    gw_start "$(gw_conn bench psk "proposals=$IKE_PROP" "esp_proposals=$ESP_PROP" pools=pool4 "local_ts=$NET4")"
    gpid=$GW_PID
    [ "$(cat "/proc/$gpid/comm" 2>/dev/null)" = charon ] || uip_fail "gateway PID $gpid is not charon"
    uipi_assert_unreachable
    uip_log "  ($PROT4 unreachable in cleartext before up)"
    e2e_vpn_add "$name" "gateway=$OUT_GW" auth=psk "local-id=$CL_ID" "remote-id=$GW_ID" \
        virtual-ipv4=yes "ike=$IKE_PROP" "esp=$ESP_PROP" -- "psk=$GW_PSK"

    ike_capture_start "$UIP_TMP/ike-$p.pcapng"
    : >"$UIP_TMP/act-$p"
    for ((i = 1; i <= BENCH_UPS; i++)); do
        e2e_up "$name"
        times+=("$UP_SECS")
        spans+=("$(nm_span "$name")")
        act_events "$name" | sed "s/^/$i /" >>"$UIP_TMP/act-$p"
        if ((i < BENCH_UPS)); then
            e2e_down "$name"
            e2e_expect_clean "$E2E_TUN" 15
        fi
    done
    R[$p.up_all]="${times[*]}"
    R[$p.up_first]=${times[0]}
    R[$p.up_median]=$(printf '%s\n' "${times[@]}" | median)
    R[$p.up_min]=$(printf '%s\n' "${times[@]}" | minimum)
    R[$p.nm_all]="${spans[*]}"
    R[$p.nm_median]=$(printf '%s\n' "${spans[@]}" | median)
    act_table "$p"

    e2e_expect_activated "$name"
    if [ "$p" = uipsec ]; then dev=$E2E_TUN; else dev=ipsec0; fi # charon-nm: kernel-libipsec's TUN
    vip=$(e2e_tun_addr4 "$dev" | head -n 1)
    vip=${vip%/*}
    in_pool4 "$vip" || uip_fail "no virtual IP from $POOL4 on $dev: '$vip'"
    pid=$(plugin_pid)
    R[$p.pid]=$pid
    R[$p.proc]=$(tr '\0' ' ' <"/proc/$pid/cmdline" | awk '{ print $1 }')
    R[$p.proc]=${R[$p.proc]##*/}
    R[$p.dev]="$dev / $(ip -n "$NS_CL" -o link show "$dev" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"
    for ((i = 0; i < 20; i++)); do
        ip netns exec "$NS_CL" ping -n -c 1 -W 1 -I "$vip" "$PROT4" >/dev/null 2>&1 && break
    done
    uip_ping "$NS_CL" "$vip" "$PROT4" 3 || uip_fail "ping $vip -> $PROT4 through the tunnel failed"
    gw_check_sa
    [ "$GW_VIP" = "$vip" ] || uip_fail "the gateway gave $GW_VIP, $dev has $vip"
    R[$p.suite]="$GW_IKE, ESP $GW_ESP"
    uip_log "  plugin PID $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")), $dev $vip; gateway: IKE $GW_IKE, ESP $GW_ESP"

    uip_iperf_server "$NS_GW"
    c0=$(cpu_ticks "$pid")
    g0=$(cpu_ticks "$gpid")
    t0=$EPOCHREALTIME
    uip_iperf "$NS_CL" "$vip" "$PROT4" "$BENCH_SECS" || uip_fail "iperf3 client -> gateway failed"
    R[$p.tcp_up]=$IPERF_MBPS
    uip_log "  iperf3 TCP client -> $PROT4 ($BENCH_SECS s): $IPERF_MBPS Mbit/s"
    uip_iperf "$NS_CL" "$vip" "$PROT4" "$BENCH_SECS" -R || uip_fail "iperf3 gateway -> client (-R) failed"
    R[$p.tcp_down]=$IPERF_MBPS
    uip_log "  iperf3 TCP $PROT4 -> client ($BENCH_SECS s, -R): $IPERF_MBPS Mbit/s"
    t1=$EPOCHREALTIME
    c1=$(cpu_ticks "$pid") || uip_fail "the plugin process $pid died during iperf3"
    g1=$(cpu_ticks "$gpid") || uip_fail "the gateway charon died during iperf3"
    uip_stop "$IPERF_PID" TERM 3 || true
    R[$p.cpu]=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    R[$p.gw_cpu]=$(awk -v t=$((g1 - g0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    R[$p.wall]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    R[$p.tcp_sum]=$(awk -v a="${R[$p.tcp_up]}" -v b="${R[$p.tcp_down]}" 'BEGIN { printf "%.1f", a + b }')
    # peak RSS while still up (charon-nm outlives the connection; ours quits after down)
    R[$p.hwm]=$(proc_mib "$pid" VmHWM) || uip_fail "cannot read VmHWM of $pid"
    R[$p.rss]=$(proc_mib "$pid" VmRSS) || uip_fail "cannot read VmRSS of $pid"
    R[$p.gw_hwm]=$(proc_mib "$gpid" VmHWM) || uip_fail "cannot read VmHWM of the gateway charon"
    uip_log "  CPU over $(printf '%s' "${R[$p.wall]}") s of iperf3: plugin ${R[$p.cpu]} s, gateway charon ${R[$p.gw_cpu]} s; peak RSS: plugin ${R[$p.hwm]} MiB, gateway ${R[$p.gw_hwm]} MiB"

    e2e_down "$name"
    e2e_expect_clean "$E2E_TUN" 15
    e2e_nmcli connection delete id "$name" >/dev/null 2>&1 || true
    if [ "$p" = strongswan ]; then
        # charon-nm would linger for libnm's quit timer: end it (NetworkManager spawned it for us)
        uip_stop "$pid" TERM 5 >/dev/null 2>&1 || true
    fi
    gw_stop
}

uip_log "bench-nm: plugins '$BENCH_PLUGINS', $BENCH_UPS activations each, iperf3 $BENCH_SECS s per direction"
uip_log "  IKE $IKE_PROP, ESP $ESP_PROP, PSK, virtual IPv4 from $POOL4; namespaces $NS_CL / $NS_GW"
e2e_setup_net
uipi_pki
e2e_dbus_start
e2e_nm_start
SECONDS=0
for p in $BENCH_PLUGINS; do run_plugin "$p"; done

# ---------------------------------------------------------------- report
col_name() {
    case $1 in
    uipsec) printf 'NM + nm-uipsec-service' ;;
    strongswan) printf 'NM + NM-strongswan (charon-nm)' ;;
    esac
}
# the table: LABEL<TAB>KEY lines; each column as wide as its widest cell
TABLE="nmcli up -> activated, median [s]	up_median
  min [s]	up_min
  first (cold) [s]	up_first
  all $BENCH_UPS [s]	up_all
  in NetworkManager's log: median [s]	nm_median
  in NetworkManager's log: all [s]	nm_all
iperf3 TCP client -> gateway [Mbit/s]	tcp_up
iperf3 TCP gateway -> client [Mbit/s]	tcp_down
iperf3 TCP sum [Mbit/s]	tcp_sum
plugin peak RSS (VmHWM) [MiB]	hwm
plugin RSS before down [MiB]	rss
plugin CPU during iperf3 [s]	cpu
gateway charon CPU during iperf3 [s]	gw_cpu
  (iperf3 wall time, both directions [s])	wall
gateway charon peak RSS [MiB]	gw_hwm
plugin process	proc
TUN with the virtual IP / MTU	dev"
print_table() {  # TABLE: LABEL<TAB>KEY lines
    local label key p line
    {
        line=''
        for p in $BENCH_PLUGINS; do line+="	$(col_name "$p")"; done
        printf '%s\n' "$line"
        while IFS='	' read -r label key; do
            line=$label
            for p in $BENCH_PLUGINS; do line+="	${R[$p.$key]:--}"; done
            printf '%s\n' "$line"
        done <<<"$1"
    } | awk -F'\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }; n[NR] = NF }
        END { for (r = 1; r <= NR; r++) { l = ""
                  for (i = 1; i <= n[r]; i++) l = l sprintf(i < n[r] ? "%-" (w[i] + 3) "s" : "%s", c[r, i])
                  print l } }'
}
printf '\n== bench-nm %s, %s, NetworkManager %s, strongSwan %s, iperf3 %s s per direction, %s activations\n' \
    "$(date -u +%FT%TZ)" "$(uname -r)" "$("$NM_BIN" --version)" \
    "$(dpkg-query -W -f '${Version}' strongswan-nm 2>/dev/null || echo '?')" "$BENCH_SECS" "$BENCH_UPS"
print_table "$TABLE"
printf '\nactivation, part by part [ms]: median of %s / first (cold); NetworkManager log lines and the IKE packets\n' "$BENCH_UPS"
print_table "$(awk -F'\t' '{ print $2 "\tact_" $1 }' <<<"$ACT_PARTS")
  (IKE moments from)	act_src"
for p in $BENCH_PLUGINS; do printf 'gateway view of the SA of %s: IKE %s\n' "$(col_name "$p")" "${R[$p.suite]}"; done
ratio=n/a
a=${R[uipsec.tcp_sum]:-} b=${R[strongswan.tcp_sum]:-}
if [ -n "$a" ] && [ -n "$b" ]; then
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
fi
printf 'nm throughput ratio ours/strongswan: %s\n' "$ratio"
