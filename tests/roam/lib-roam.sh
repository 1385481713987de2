# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The roaming testbed (issue 11), shared by tests/roam/test-roam.sh and
# tests/bench/bench-roam.sh: a real NetworkManager manages two uplinks of a "laptop", a router
# NATs both towards a real strongSwan gateway, and a VPN connection made with nmcli
# (vpn.persistent=yes) must live through network events while pings and a TCP stream run.
#
#                  uipr-wd0 "wired" ==veth== uipr-wd1 [198.51.100.1/24]
#   uipr-cl        198.51.100.2/24 (metric 100)      \
#   NetworkManager                                    uipr-rt (router, NAT) uipr-rt0 [192.0.2.1/24,
#   + dbus-daemon  uipr-wf0 "wifi"  ==veth== uipr-wf1 /   192.0.2.3/24] ==veth== uipr-gw0 [192.0.2.2/24]
#                  203.0.113.2/24 (metric 600)  [203.0.113.1/24]                   uipr-gw: charon
#
#   - uipr-cl: NetworkManager (private D-Bus, lib-e2e.sh) manages uipr-wd0 and uipr-wf0 through
#     keyfiles with static addresses (IPv4 and IPv6, 2001:db8:a::2/64 and 2001:db8:b::2/64),
#     route metric 100 (wired) and 600 (wifi); everything else is unmanaged.  The kernel
#     ignores routes through a link without carrier (ignore_routes_with_linkdown), so that a
#     pulled cable moves the default route at once, before NetworkManager reacts (6 s later).
#     An nft table counts what leaves either uplink for the inner prefixes (198.18.0.0/15 both
#     ways, 2001:db8:2::/64): anything there is a leak (IKE and ESP go to 192.0.2.2).
#   - uipr-rt: forwards; the wired subnet leaves masqueraded (192.0.2.1; readdr's new wired
#     address 198.51.100.3 as 192.0.2.4), the wifi subnet source-NATed to 192.0.2.3: the two
#     uplinks are two NATs with two public addresses, as at home and at a hotspot, so the
#     gateway sees the client's address change on a switch.
#   - uipr-gw: strongSwan charon with kernel-libipsec (lib-interop.sh gw_start), MOBIKE on
#     (strongSwan's default; gw_conn writes mobike = no, roam_gw_conn turns it on) or off,
#     dpd_delay 5 s, protected 198.18.2.0/24 (bridge uipr-br, refused in the clear: prohibit
#     rule), pool 198.18.100.0/24.
#
# Names come from UIP_ROAM_PREFIX (4 letters, default uipr), which becomes lib-e2e.sh's prefix.
# Every process is started by us and ended by PID (uipi_track); the namespaces are ours.
#
# One case (roam_case NAME): gateway (re)started, VPN added (vpn.persistent yes, dpd-interval 2)
# and activated, then during the event: ping every 10 ms from the virtual IP to 198.18.2.1, an
# iperf3 TCP stream (8 Mbit/s, bounded) started before the event, NetworkManager's GENERAL.STATE
# polled every 0.25 s.  Measured: outage (the longest gap: from the first lost ping to the first
# answered again), pings lost, time from the event being noticeable to traffic again (suspend,
# gwrestart), whether the TCP connection carried data again after the outage, whether
# NetworkManager kept the VPN activated throughout, the virtual IP after, the gateway's view of
# the client's address, leaks; after `nmcli connection down`: no IKE_SA left on the gateway.
# One TSV row per case goes to $ROAM_RESULTS; roam_table prints them.

# ---------------------------------------------------------------- names

ROAM_PREFIX=${UIP_ROAM_PREFIX:-uipr}
if ! [[ $ROAM_PREFIX =~ ^[a-z]{4}$ ]] || [[ $ROAM_PREFIX =~ ^uip[ein]$ ]]; then
    printf 'FAIL: UIP_ROAM_PREFIX must be 4 lowercase letters other than uipe/uipi/uipn (the e2e, interop and bench-nm names), not "%s"\n' "$ROAM_PREFIX" >&2
    exit 1
fi
UIP_E2E_PREFIX=$ROAM_PREFIX
# shellcheck source=tests/e2e/lib-e2e.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib-e2e.sh"

# shellcheck disable=SC2034 # used by the e2e and interop helpers
{
    NS_RT=$P-rt
    WD=$P-wd0 WD_R=$P-wd1 WF=$P-wf0 WF_R=$P-wf1 RT_UP=$P-rt0
    VETH_CL=$WD # e2e_nm_start waits for this one
    WD_GWA=198.51.100.1 WD_A=198.51.100.2 WD_A2=198.51.100.3 WD_NET=198.51.100.0/24
    WF_GWA=203.0.113.1 WF_A=203.0.113.2 WF_NET=203.0.113.0/24
    WD6_GWA=2001:db8:a::1 WD6_A=2001:db8:a::2 WF6_GWA=2001:db8:b::1 WF6_A=2001:db8:b::2
    PUB_WD=192.0.2.1 PUB_WF=192.0.2.3 PUB_WD2=192.0.2.4 # the router's public addresses (OUT_GW=192.0.2.2)
    NAT_PORTS=20000-29999              # natport: the masquerade's new port range
    GW2_OUT=192.0.2.6                  # redirect: the gateway's second address (connection roam2)
    INNER4=198.18.0.0/15
}
ROAM_NAT_TABLE=${P}_nat ROAM_LEAK_TABLE=${P}_leak
ROAM_DIR='' ROAM_RESULTS=''
ROAM_TAB=$'\t'
ROAM_GW_DPD=5s    # the gateway's dpd_delay (suspend: it must delete our SA while we sleep)
ROAM_SETTLE=${UIP_ROAM_SETTLE:-8} # seconds watched after every event (NM acts on a lost carrier after 6 s)
ROAM_ENFORCE=1    # 1: a missed target fails the case; 0: it is reported only
# Bounds of the test (the issue's targets in brackets): outage of a MOBIKE case [0.5 s], of a
# case without MOBIKE [2 s]; traffic again after resume / a gateway restart is noticeable [3 s].
ROAM_BOUND_MOBIKE_MS=${UIP_ROAM_BOUND_MOBIKE_MS:-2000}
ROAM_BOUND_NOMOBIKE_MS=${UIP_ROAM_BOUND_NOMOBIKE_MS:-5000}
ROAM_BOUND_AFTER_MS=${UIP_ROAM_BOUND_AFTER_MS:-10000}
# how long traffic may take to come back at all before a case gives up (seconds after the event
# is noticeable)
ROAM_WAIT=${UIP_ROAM_WAIT:-15}
ROAM_WAIT_LONG=${UIP_ROAM_WAIT_LONG:-20} # suspend, gwrestart

# Every case: NAME -> "gateway-mobike client-options event class".  Classes: mobike (the issue's
# MOBIKE targets), flap (the same, counted from the uplinks' return), nomobike, resume, restart,
# redirect (RFC 5685: the gateway sends the client to its second address, GW2_OUT).
ROAM_ALL_CASES="switch back readdr flap natrebind natport suspend gwrestart nomobike nomobike-cl redirect"
declare -A ROAM_CASE=(
    [switch]="yes - switch mobike"
    [back]="yes - back mobike"
    [readdr]="yes - readdr mobike"
    [flap]="yes - flap flap"
    [natrebind]="yes - natrebind mobike"
    [natport]="yes - natport mobike"
    [suspend]="yes - suspend resume"
    [gwrestart]="yes - gwrestart restart"
    [nomobike]="no - switch nomobike"
    [nomobike-cl]="yes mobike=no switch nomobike"
    [redirect]="yes - redirect redirect"
)
# the client's public address the gateway should see after each event (its path)
declare -A ROAM_PATH_AFTER=([switch]=$PUB_WF [nomobike]=$PUB_WF [nomobike-cl]=$PUB_WF [readdr]=$PUB_WD2)

# ---------------------------------------------------------------- set-up

# roam_init "$@": e2e_init (root, tools, plugin, temp folder, EXIT trap) for the plugins of
# E2E_PLUGINS / UIP_E2E_PLUGIN (set by the caller), and conntrack.
roam_init() {
    local main
    e2e_init "$@"
    uip_need conntrack stdbuf
    ROAM_DIR=$UIP_TMP/roam
    ROAM_RESULTS=$ROAM_DIR/results.tsv
    mkdir -p "$ROAM_DIR"
    : >"$ROAM_RESULTS"
    # our service runs from a copy: a rebuild during the run (ninja relinks it) must not make
    # NetworkManager fail to start it
    case " $E2E_PLUGINS " in
    *" uipsec "*)
        main=$E2E_PLUGIN
        e2e_plugin_select uipsec
        cp "$E2E_PROGRAM" "$ROAM_DIR/nm-uipsec-service" || uip_fail "cannot copy $E2E_PROGRAM"
        UIP_E2E_SERVICE=$ROAM_DIR/nm-uipsec-service
        e2e_plugin_select "$main"
        ;;
    esac
    GW_PSK=$(openssl rand -hex 16)
    GW_EAP_PASSWORD=$(openssl rand -hex 8) # (gw_start writes an EAP secret too; unused here)
    export GW_PSK GW_EAP_PASSWORD
}

# roam_setup: the whole testbed: namespaces, test PKI, the private bus, NetworkManager.
roam_setup() {
    trap 'printf "FAIL: set-up: unexpected failure (status %s) of: %s\n" "$?" "$BASH_COMMAND" >&2' ERR
    roam_setup_net
    uipi_pki
    e2e_dbus_start
    roam_nm_start
    trap - ERR
}

# roam_setup_net: the three namespaces of the picture above.  The gateway side is the interop
# topology (uipi_setup_net) with the router in the client's place.
roam_setup_net() {
    local ns=$NS_CL
    NS_CL=$NS_RT VETH_CL=$RT_UP OUT_CL=$PUB_WD uipi_setup_net
    ip -n "$NS_RT" addr add "$PUB_WF/24" dev "$RT_UP"
    ip -n "$NS_RT" addr add "$PUB_WD2/24" dev "$RT_UP"

    ip netns del "$ns" 2>/dev/null || true # a leftover of an earlier run with this prefix
    ip netns add "$ns" || uip_fail "cannot create namespace $ns"
    UIP_NETNS+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0 \
        net.ipv4.conf.all.ignore_routes_with_linkdown=1 net.ipv6.conf.all.ignore_routes_with_linkdown=1
    ip link add "$WD" netns "$NS_CL" type veth peer name "$WD_R" netns "$NS_RT" || uip_fail "cannot create veth $WD"
    ip link add "$WF" netns "$NS_CL" type veth peer name "$WF_R" netns "$NS_RT" || uip_fail "cannot create veth $WF"
    ip -n "$NS_RT" addr add "$WD_GWA/24" dev "$WD_R"
    ip -n "$NS_RT" addr add "$WF_GWA/24" dev "$WF_R"
    ip -n "$NS_RT" -6 addr add "$WD6_GWA/64" dev "$WD_R" nodad
    ip -n "$NS_RT" -6 addr add "$WF6_GWA/64" dev "$WF_R" nodad
    ip -n "$NS_RT" link set "$WD_R" up
    ip -n "$NS_RT" link set "$WF_R" up
    ip netns exec "$NS_RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    roam_nat_set
    roam_leak_table
}

# roam_nat_set [PORTS]: the router's NAT: wired masqueraded (with PORTS: UDP and TCP mapped into
# that port range), but its second address (readdr) source-NATed to a public address of its
# own (a new address from the provider), wifi source-NATed to the second public address.
roam_nat_set() {
    local ports=${1:-} wired="masquerade"
    [ -z "$ports" ] || wired="meta l4proto { tcp, udp } masquerade to :$ports
        oifname \"$RT_UP\" ip saddr $WD_NET masquerade"
    ip netns exec "$NS_RT" nft delete table ip "$ROAM_NAT_TABLE" 2>/dev/null || true
    ip netns exec "$NS_RT" nft -f - <<EOF || uip_fail "the router's nft NAT table failed"
table ip $ROAM_NAT_TABLE {
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "$RT_UP" ip saddr $WD_A2 snat to $PUB_WD2
        oifname "$RT_UP" ip saddr $WD_NET $wired
        oifname "$RT_UP" ip saddr $WF_NET snat to $PUB_WF
    }
}
EOF
}

# roam_leak_table: (re)create the client's leak counters (so they start at 0).
roam_leak_table() {
    ip netns exec "$NS_CL" nft delete table inet "$ROAM_LEAK_TABLE" 2>/dev/null || true
    ip netns exec "$NS_CL" nft -f - <<EOF || uip_fail "the client's nft leak counters failed"
table inet $ROAM_LEAK_TABLE {
    chain out {
        type filter hook postrouting priority 0; policy accept;
        oifname { "$WD", "$WF" } ip daddr $INNER4 counter
        oifname { "$WD", "$WF" } ip saddr $INNER4 counter
        oifname { "$WD", "$WF" } ip6 daddr $NET6 counter
    }
}
EOF
}

# roam_leaks: packets counted so far by the leak counters; roam_leak_rules: the rules that
# counted any, with their counts.
roam_leaks() {
    ip netns exec "$NS_CL" nft list table inet "$ROAM_LEAK_TABLE" 2>/dev/null |
        awk '{ for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}
roam_leak_rules() {
    ip netns exec "$NS_CL" nft list table inet "$ROAM_LEAK_TABLE" 2>/dev/null |
        awk '/counter packets [1-9]/ { sub(/^[ \t]*/, ""); sub(/ counter packets /, ": "); sub(/ bytes .*/, " packets"); print }' |
        tr '\n' ';'
}

# roam_nm_start: NetworkManager (e2e_nm_start) managing both uplinks: a conf.d snippet widens
# unmanaged-devices to both; the wired profile is e2e_nm_start's keyfile (its addresses given
# through the variables it reads), with metric 100 set after; the wifi one is added with nmcli.
roam_nm_start() {
    local out
    printf '[keyfile]\nunmanaged-devices=except:interface-name:%s;except:interface-name:%s\n' "$WD" "$WF" \
        >"$E2E_ETC/conf.d/90-roam.conf"
    OUT_CL=$WD_A OUT_GW=$WD_GWA OUT6_CL=$WD6_A OUT6_GW=$WD6_GWA e2e_nm_start
    out=$(e2e_nmcli connection add type ethernet con-name "$WF" ifname "$WF" autoconnect yes \
        ipv4.method manual ipv4.addresses "$WF_A/24" ipv4.gateway "$WF_GWA" ipv4.route-metric 600 \
        ipv6.method manual ipv6.addresses "$WF6_A/64" ipv6.gateway "$WF6_GWA" ipv6.route-metric 600 2>&1) ||
        uip_fail "nmcli connection add $WF failed: $out"
    e2e_nmcli connection modify "$WD" ipv4.route-metric 100 ipv6.route-metric 100 ||
        uip_fail "nmcli connection modify $WD failed"
    e2e_nmcli device reapply "$WD" >/dev/null || uip_fail "nmcli device reapply $WD failed"
    roam_wait_uplinks 30 || uip_fail "the uplinks are not both connected with the wired default route"
    uip_log "  uplinks: $(roam_uplinks_text)"
}

# roam_uplinks_text: the device states and the default route, on one line.
roam_uplinks_text() {
    printf '%s; default %s' "$(e2e_nmcli -t -f DEVICE,STATE device 2>/dev/null | grep -E "^($WD|$WF):" | tr '\n' ' ')" \
        "$(ip -n "$NS_CL" -4 route show default | head -n 1 | tr -s ' ')"
}

# roam_wait_uplinks SECONDS: both uplinks connected in NetworkManager, with the wired address
# of the profile, and the first IPv4 default route through the wired one.
roam_wait_uplinks() {
    local i st def
    for ((i = 0; i < $1 * 5; i++)); do
        st=$(e2e_nmcli -t -f DEVICE,STATE device 2>/dev/null | grep -cE "^($WD|$WF):connected\$" || true)
        def=$(ip -n "$NS_CL" -4 route show default | head -n 1)
        if [ "$st" = 2 ] && [[ $def == *" dev $WD "* ]] &&
            ip -n "$NS_CL" -4 addr show dev "$WD" | grep -q " $WD_A/24 "; then
            return 0
        fi
        sleep 0.2
    done
    uip_log "  uplinks not ready: $(roam_uplinks_text)" >&2
    return 1
}

# roam_net_reset: after a case, the network as at the start: both uplinks up, the wired profile
# with its address, the router's NAT as set up, no conntrack entries, fresh leak counters.
roam_net_reset() {
    ip -n "$NS_RT" link set "$WD_R" up 2>/dev/null || true
    ip -n "$NS_RT" link set "$WF_R" up 2>/dev/null || true
    if ! e2e_nmcli -g ipv4.addresses connection show id "$WD" 2>/dev/null | grep -q "^$WD_A/24\$"; then
        e2e_nmcli connection modify "$WD" ipv4.addresses "$WD_A/24" ipv4.gateway "$WD_GWA" >/dev/null 2>&1 || true
        e2e_nmcli device reapply "$WD" >/dev/null 2>&1 || e2e_nmcli connection up id "$WD" >/dev/null 2>&1 || true
    fi
    roam_nat_set
    ip netns exec "$NS_RT" conntrack -F >/dev/null 2>&1 || true
    roam_leak_table
    if ! roam_wait_uplinks 20; then
        # NetworkManager may keep a profile blocked after its device vanished: ask for it
        e2e_nmcli connection up id "$WD" >/dev/null 2>&1 || true
        e2e_nmcli connection up id "$WF" >/dev/null 2>&1 || true
        roam_wait_uplinks 20 || uip_fail "the uplinks did not come back after the case"
    fi
}

# roam_gw_conn MOBIKE: the gateway's connection (gw_conn) with mobike = MOBIKE (yes|no) and
# its DPD on.
roam_gw_conn() {
    local c
    c=$(gw_conn roam psk pools=pool4 "local_ts=$NET4" "dpd_delay=$ROAM_GW_DPD")
    c=${c/mobike = no/mobike = $1}
    grep -q "mobike = $1\$" <<<"$c" || uip_fail "roam_gw_conn: cannot set mobike = $1 in gw_conn's output"
    printf '%s\n' "$c"
}

# ---------------------------------------------------------------- the VPN

# roam_vpn_add NAME [KEY=VALUE...]: the PSK connection for the selected plugin, persistent,
# dpd-interval 2 s (our plugin; charon-nm has no such setting).
roam_vpn_add() {
    local name=$1 out
    shift
    e2e_vpn_add "$name" "gateway=$OUT_GW" auth=psk "local-id=$CL_ID" "remote-id=$GW_ID" \
        virtual-ipv4=yes dpd-interval=2 "$@" -- "psk=$GW_PSK"
    out=$(e2e_nmcli connection modify id "$name" vpn.persistent yes 2>&1) ||
        uip_fail "nmcli connection modify $name vpn.persistent yes failed: $out"
}

# roam_vip_dev: where the virtual IP lives: our TUN, or charon-nm's kernel-libipsec TUN.
roam_vip_dev() {
    case $E2E_PLUGIN in
    uipsec) printf '%s\n' "$E2E_TUN" ;;
    *) printf 'ipsec0\n' ;;
    esac
}

# roam_vip: the virtual IPv4 address now (empty when there is none).
roam_vip() {
    local a
    a=$(e2e_tun_addr4 "$(roam_vip_dev)" 2>/dev/null | head -n 1) || a=''
    printf '%s\n' "${a%/*}"
}

# roam_plugin_pid: the one process of the selected plugin that NetworkManager spawned (charon-nm
# of an earlier case was ended by roam_case_end, so e2e_plugin_pids lists only this one).
roam_plugin_pid() {
    local pids
    pids=$(e2e_plugin_pids | tr '\n' ' ')
    pids=${pids% }
    [[ $pids =~ ^[0-9]+$ ]] || uip_fail "expected one $E2E_PLUGIN process ($E2E_PROGRAM), found: '$pids'"
    printf '%s\n' "$pids"
}

# roam_gw_peer: the client's address:port as the gateway's IKE_SA has it (empty: no IKE_SA).
roam_gw_peer() {
    gw_sas | sed -n 's/^  remote .* @ \([0-9.:a-f]*\)\[\([0-9]*\)\].*$/\1:\2/p' | head -n 1
}

# roam_gw_how: how the gateway learnt where the client is now, from its log since the event
# (ROAM_GW_LOG/ROAM_GW_MARK): "new IKE_SA" (an IKE_SA_INIT came), "MOBIKE" (UPDATE_SA_ADDRESSES),
# "NAT-T" (it followed the source of an IKE or ESP packet), "-" (nothing changed).
ROAM_GW_LOG='' ROAM_GW_MARK=0
roam_gw_how() {
    local log
    if [ "$GW_LOG" = "$ROAM_GW_LOG" ]; then
        log=$(tail -n +"$((ROAM_GW_MARK + 1))" "$GW_LOG" 2>/dev/null) || log=''
    else
        log=$(cat "$GW_LOG" 2>/dev/null) || log='' # a new gateway (gwrestart)
    fi
    if grep -q 'parsed IKE_SA_INIT request' <<<"$log"; then
        printf 'new IKE_SA\n'
    elif grep -q 'N(UPD_SA_ADDR)' <<<"$log"; then
        printf 'MOBIKE\n'
    elif grep -q 'remote endpoint changed' <<<"$log"; then
        printf 'NAT-T\n'
    else
        printf -- '-\n'
    fi
}

# roam_gw_ike_sas: how many IKE_SAs the gateway lists.
roam_gw_ike_sas() { gw_sas | grep -cE '^[^ ].*: #[0-9]+, (ESTABLISHED|CONNECTING|REKEYING|DELETING|REKEYED|PASSIVE|CREATED)' || true; }

# ---------------------------------------------------------------- measurements

# roam_ping_start SRC SECONDS: ping SRC -> PROT4 every 10 ms with receive timestamps (-D),
# for SECONDS at the most (roam_ping_stop ends it earlier).
ROAM_PING_PID='' ROAM_PING_T0=''
roam_ping_start() {
    ROAM_PING_T0=$EPOCHREALTIME
    ip netns exec "$NS_CL" stdbuf -oL ping -n -D -i 0.01 -W 1 -w "$2" -I "$1" "$PROT4" \
        >"$ROAM_DIR/ping.out" 2>"$ROAM_DIR/ping.err" &
    ROAM_PING_PID=$!
    uipi_track "$ROAM_PING_PID"
}

roam_ping_stop() { roam_end ROAM_PING_PID INT; }

# roam_end VAR [SIGNAL]: end the process whose PID is in VAR (if any), and empty VAR.
roam_end() {
    [ -z "${!1}" ] || uip_stop "${!1}" "${2:-TERM}" 3 >/dev/null 2>&1 || true
    printf -v "$1" '%s' ''
}

# An answer later than ping's -W 1 counts as lost: a ping in flight when the suspend case stops
# the plugin is answered once it continues, 11 s later, before any new traffic flows (one such
# answer after 100 answered pings looked like traffic flowing again and ended the watch early).
ROAM_PING_LATE='match($0, /time=[0-9.]+/) && substr($0, RSTART + 5, RLENGTH - 5) + 0 >= 1000 { next }'

# roam_ping_flowing: the last 100 pings (one second) were all answered in time, the last one
# less than 0.3 s ago.
roam_ping_flowing() {
    awk -v now="$EPOCHREALTIME" "$ROAM_PING_LATE"'
        /bytes from/ && match($0, /icmp_seq=[0-9]+/) {
            s[n++] = substr($0, RSTART + 9, RLENGTH - 9) + 0; t = substr($1, 2, length($1) - 2) }
        END { exit !(n >= 100 && s[n - 1] - s[n - 100] == 99 && now - t < 0.3) }' "$ROAM_DIR/ping.out"
}

# roam_ping_result: after roam_ping_stop, read the ping log into PING[lost] (pings never
# answered in time, in-flight ones at the stop left out), PING[gaps], PING[outage_ms] (the longest
# gap: from when its first lost ping was sent, taken as the answer before it plus one interval,
# to the first answer after it; "never" when traffic did not come back), PING[back] (epoch of
# the answer that ended the longest gap, the outage; empty without a gap: a blip of two pings
# seconds later is not when traffic came back), PING[sent], PING[answered],
# PING[desc] (each gap as START:LENGTH, START in seconds from the event).
declare -A PING=()
roam_ping_result() {
    local line
    PING=()
    line=$(awk -v t0="$ROAM_PING_T0" -v iv=0.01 -v ev="${ROAM_T_EVENT:-$ROAM_PING_T0}" "$ROAM_PING_LATE"'
        /bytes from/ && match($0, /icmp_seq=[0-9]+/) {
            s = substr($0, RSTART + 9, RLENGTH - 9) + 0
            if (!(s in t)) { t[s] = substr($1, 2, length($1) - 2); n++ }
            if (s > max) max = s
        }
        / packets transmitted/ { sent = $1 }
        END {
            gap = 0; lost = 0; gaps = 0; best = -1; back = ""
            for (s = 1; s <= max; s++) {
                if (!(s in t)) { if (!gap) gap = s; lost++; continue }
                if (gap) {
                    prev = (gap > 1) ? t[gap - 1] : t0
                    d = t[s] - prev - iv; if (d < 0) d = 0
                    if (d > best) { best = d; back = t[s] }
                    gaps++; gap = 0
                    desc = desc sprintf("%s%+.2fs:%dms", desc == "" ? "" : ",", prev + iv - ev, d * 1000 + 0.5)
                }
            }
            # pings after the last answer: in flight when ping was stopped (up to 0.3 s), or
            # an outage that never ended
            tail = sent - max
            never = (tail > 30 || n == 0)
            if (never) lost += tail
            printf "%d %d %d %s %s %s %d %s\n", sent, n, lost, gaps,
                never ? "never" : (best < 0 ? 0 : int(best * 1000 + 0.5)), back == "" ? "-" : back, never,
                desc == "" ? "-" : desc
        }' "$ROAM_DIR/ping.out")
    read -r 'PING[sent]' 'PING[answered]' 'PING[lost]' 'PING[gaps]' 'PING[outage_ms]' 'PING[back]' \
        'PING[never]' 'PING[desc]' <<<"$line"
    [ "${PING[back]}" != - ] || PING[back]=''
}

# roam_tcp_start SRC SECONDS: an iperf3 server in the gateway namespace and a TCP stream from
# SRC to it, 8 Mbit/s (so that it does not crowd out the pings), reports every 0.5 s; waits for
# its first report.
ROAM_TCP_PID='' ROAM_TCP_SRV='' ROAM_TCP_T0=''
roam_tcp_start() {
    local i
    uip_iperf_server "$NS_GW"
    # shellcheck disable=SC2034 # ended through roam_end's indirection
    ROAM_TCP_SRV=$IPERF_PID
    ROAM_TCP_T0=$EPOCHREALTIME
    timeout $(($2 + 20)) ip netns exec "$NS_CL" iperf3 -c "$PROT4" -B "$1" -t "$2" -b 8M -i 0.5 \
        --forceflush -f k --connect-timeout 3000 >"$ROAM_DIR/tcp.out" 2>&1 &
    ROAM_TCP_PID=$!
    uipi_track "$ROAM_TCP_PID"
    for ((i = 0; i < 50; i++)); do
        grep -q ' sec ' "$ROAM_DIR/tcp.out" 2>/dev/null && return 0
        uip_alive "$ROAM_TCP_PID" || break
        sleep 0.1
    done
    cat "$ROAM_DIR/tcp.out" >&2
    uip_fail "the iperf3 TCP stream through the tunnel did not start"
}

# roam_tcp_after EPOCH: does the TCP stream carry data (a 0.5 s report of more than 10 kB)
# in a report that began after EPOCH?
roam_tcp_after() {
    awk -v from="$(awk -v a="$1" -v b="$ROAM_TCP_T0" 'BEGIN { printf "%.2f", a - b }')" '
        $1 == "[" { $1 = "[" $2; $2 = ""; $0 = $0 }
        $3 == "sec" && $NF !~ /^(sender|receiver)$/ && split($2, r, "-") == 2 && r[1] + 0 >= from + 0 {
            b = $4 * (($5 == "KBytes") ? 1024 : ($5 == "MBytes") ? 1048576 : ($5 == "GBytes") ? 1073741824 : 1)
            if (b > 10000) ok = 1
        }
        END { exit !ok }' "$ROAM_DIR/tcp.out"
}

# roam_tcp_verdict EPOCH GRACE: "yes" when the same TCP connection (the iperf3 client still
# running or finished with status 0) carried data after EPOCH (the end of the outage), waiting
# up to GRACE seconds for TCP's retransmission back-off; "no (...)" otherwise.  Ends the
# stream and its server.
roam_tcp_verdict() {
    local back=$1 i rc=0 v
    if [ -z "$back" ]; then
        v="no (no traffic after the event)"
    else
        v="no (no data after the outage)"
        for ((i = 0; i < $2 * 5; i++)); do
            if roam_tcp_after "$back"; then
                v=yes
                break
            fi
            uip_alive "$ROAM_TCP_PID" || break
            sleep 0.2
        done
    fi
    if ! uip_alive "$ROAM_TCP_PID"; then
        wait "$ROAM_TCP_PID" 2>/dev/null || rc=$?
        if [ "$rc" != 0 ]; then
            v="no (iperf3 status $rc: $(grep -m1 -E 'error|unable|interrupt' "$ROAM_DIR/tcp.out" | cut -c1-60))"
        fi
    fi
    roam_end ROAM_TCP_PID
    roam_end ROAM_TCP_SRV
    printf '%s\n' "$v"
}

# roam_watch_start NAME: poll NetworkManager's GENERAL.STATE of NAME every 0.25 s ("EPOCH
# STATE" lines, "none" when not active) until roam_watch_stop (or 5 minutes).
ROAM_WATCH_PID=''
roam_watch_start() {
    (
        set +eE
        trap - ERR
        for ((i = 0; i < 1200; i++)); do
            s=$(e2e_nmcli -t -f GENERAL.STATE connection show id "$1" 2>/dev/null | sed -n 's/^GENERAL.STATE://p')
            printf '%s %s\n' "$EPOCHREALTIME" "${s:-none}"
            sleep 0.25
        done
    ) >"$ROAM_DIR/watch.out" 2>/dev/null &
    ROAM_WATCH_PID=$!
    uipi_track "$ROAM_WATCH_PID"
}

roam_watch_stop() { roam_end ROAM_WATCH_PID; }

# roam_watch_states: the distinct states polled, in order of appearance ("activated" alone:
# NetworkManager kept the VPN throughout).
roam_watch_states() {
    awk '!seen[$2]++ { printf "%s%s", sep, $2; sep = "," } END { print "" }' "$ROAM_DIR/watch.out"
}

# roam_nm_vpn_lines NAME: NetworkManager's VPN state changes of NAME since e2e_log_mark.
roam_nm_vpn_lines() {
    e2e_log_since | awk -v n="\"$1\"" 'index($0, n) && /vpn\[.*\]: (set state: |dbus: state changed: |dbus: failure)/ {
        sub(/^.*\]: /, ""); printf "%s%s", sep, $0; sep = ";" } END { print "" }'
}

# ---------------------------------------------------------------- events

# Each event sets ROAM_T_EVENT (when it began) and ROAM_T_NOTICE (when it is noticeable: the
# uplinks back, the gateway forgot us, the new gateway up).
ROAM_T_EVENT='' ROAM_T_NOTICE='' ROAM_STOPPED=''

# switch: the wired cable is pulled: its router end goes down, the client's end loses its
# carrier.  (Not `ip link set uipr-wd0 down` in the client: NetworkManager 1.42 fails the device
# at once, its IPv6 addresses being flushed, and sets the link up again and reactivates the
# profile within milliseconds.)
roam_ev_switch() {
    ROAM_T_EVENT=$EPOCHREALTIME
    ip -n "$NS_RT" link set "$WD_R" down
    ROAM_T_NOTICE=$ROAM_T_EVENT
}

roam_ev_back() {
    ROAM_T_EVENT=$EPOCHREALTIME
    ip -n "$NS_RT" link set "$WD_R" up
    ROAM_T_NOTICE=$ROAM_T_EVENT
}

# readdr: the wired profile's address changes (NetworkManager reapplies it without taking the
# device down: the old address goes, the new one comes).
roam_ev_readdr() {
    ROAM_T_EVENT=$EPOCHREALTIME
    e2e_nmcli connection modify "$WD" ipv4.addresses "$WD_A2/24" ipv4.gateway "$WD_GWA" ||
        uip_fail "nmcli connection modify $WD ipv4.addresses failed"
    e2e_nmcli device reapply "$WD" >/dev/null || uip_fail "nmcli device reapply $WD failed"
    ROAM_T_NOTICE=$ROAM_T_EVENT
}

roam_ev_flap() {
    ROAM_T_EVENT=$EPOCHREALTIME
    ip -n "$NS_RT" link set "$WD_R" down
    ip -n "$NS_RT" link set "$WF_R" down
    sleep 3
    ip -n "$NS_RT" link set "$WD_R" up
    ip -n "$NS_RT" link set "$WF_R" up
    ROAM_T_NOTICE=$EPOCHREALTIME
}

roam_ev_natrebind() {
    ROAM_T_EVENT=$EPOCHREALTIME
    ip netns exec "$NS_RT" conntrack -F >/dev/null 2>&1 || uip_fail "conntrack -F in $NS_RT failed"
    ROAM_T_NOTICE=$ROAM_T_EVENT
}

roam_ev_natport() {
    ROAM_T_EVENT=$EPOCHREALTIME
    roam_nat_set "$NAT_PORTS"
    ip netns exec "$NS_RT" conntrack -F >/dev/null 2>&1 || uip_fail "conntrack -F in $NS_RT failed"
    ROAM_T_NOTICE=$ROAM_T_EVENT
}

# suspend: the plugin stopped (SIGSTOP) until the gateway's DPD has deleted its IKE_SA (40 s at
# most), then continued.
roam_ev_suspend() {
    local pid i
    pid=$(roam_plugin_pid)
    ROAM_T_EVENT=$EPOCHREALTIME
    kill -STOP "$pid"
    ROAM_STOPPED=$pid
    for ((i = 0; i < 160; i++)); do
        [ "$(roam_gw_ike_sas)" = 0 ] && break
        sleep 0.25
    done
    kill -CONT "$pid"
    ROAM_STOPPED=''
    ROAM_T_NOTICE=$EPOCHREALTIME
    [ "$(roam_gw_ike_sas)" = 0 ] || uip_fail "the gateway kept the IKE_SA for 40 s while the plugin was stopped (its DPD?)"
    uip_log "  plugin $pid stopped for $(roam_secs "$ROAM_T_EVENT" "$ROAM_T_NOTICE") s, until the gateway's DPD deleted the IKE_SA"
}

# redirect: the gateway sends the client to its second address (swanctl --redirect, RFC 5685).
roam_ev_redirect() {
    ROAM_T_EVENT=$EPOCHREALTIME
    gw_swanctl --redirect --ike roam --gateway "$GW2_OUT" >/dev/null || uip_fail "swanctl --redirect failed"
    ROAM_T_NOTICE=$EPOCHREALTIME
}

# gwrestart: the gateway reboots: charon killed, a new one with no state 2 s later.
roam_ev_gwrestart() {
    ROAM_T_EVENT=$EPOCHREALTIME
    gw_kill
    sleep 2
    gw_start "$ROAM_GW_CONN"
    ROAM_T_NOTICE=$EPOCHREALTIME
}

# roam_secs A B: B - A in seconds (two decimals); roam_ms A B: in milliseconds.
roam_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'; }
roam_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", (b - a) * 1000 + 0.5 }'; }

# ---------------------------------------------------------------- one case

# roam_case NAME: one case for the selected plugin (see the top of this file); appends its row
# to ROAM_RESULTS.  Exits 1 (uip_fail) when the testbed itself fails, or, with ROAM_ENFORCE=1,
# when a target is missed; 77 when the case does not apply to the plugin.
ROAM_GW_CONN=''
roam_case() {
    local c=$1 gwmob clopt event class name=roam-$1 vip vip_after wait_s tcp_secs i
    read -r gwmob clopt event class <<<"${ROAM_CASE[$c]}"
    if [ "$clopt" = mobike=no ] && [ "$E2E_PLUGIN" != uipsec ]; then
        uip_log "  (NetworkManager-strongswan has no MOBIKE setting: nothing to test for $E2E_PLUGIN)"
        roam_row "$c" - - - - - - - - - - SKIP "no mobike setting"
        exit 77
    fi
    ROAM_GW_CONN=$(roam_gw_conn "$gwmob")
    if [ "$event" = redirect ]; then
        # the same charon on a second address with a connection of its own
        ip -n "$NS_GW" addr replace "$GW2_OUT/24" dev "$VETH_GW"
        ROAM_GW_CONN+=$'\n'$(gw_conn roam2 psk pools=pool4 "local_ts=$NET4" "dpd_delay=$ROAM_GW_DPD" \
            "local_addrs=$GW2_OUT" mobike=yes)
    fi
    gw_start "$ROAM_GW_CONN"
    uipi_assert_unreachable
    # the cleartext probes just sent (IPv4 and IPv6) are what a leak looks like: counted?
    i=$(roam_leaks)
    ((i >= 2)) || uip_fail "the leak counters saw $i of the 2 cleartext probes: they would miss a leak"
    roam_leak_table
    # shellcheck disable=SC2046 # no option, or one KEY=VALUE
    roam_vpn_add "$name" $([ "$clopt" = - ] || printf '%s' "$clopt")
    e2e_up "$name"
    vip=$(roam_vip)
    in_pool4 "$vip" || uip_fail "no virtual IP from $POOL4 on $(roam_vip_dev): '$vip'"
    for ((i = 0; i < 20; i++)); do
        ip netns exec "$NS_CL" ping -n -c 1 -W 1 -I "$vip" "$PROT4" >/dev/null 2>&1 && break
    done
    uip_ping "$NS_CL" "$vip" "$PROT4" 3 || uip_fail "ping $vip -> $PROT4 through the tunnel failed before the event"
    uip_log "  virtual IP $vip; the gateway sees the client at $(roam_gw_peer); gateway mobike = $gwmob, client: ${clopt/#-/defaults}"

    if [ "$event" = back ]; then
        # first the switch to wifi, and traffic there
        roam_ev_switch
        for ((i = 0; i < ROAM_WAIT * 2; i++)); do
            ip netns exec "$NS_CL" ping -n -c 1 -W 0.5 -I "$vip" "$PROT4" >/dev/null 2>&1 && break
        done
        ip netns exec "$NS_CL" ping -n -c 1 -W 1 -I "$vip" "$PROT4" >/dev/null 2>&1 ||
            roam_give_up "$c" "precondition: no traffic over wifi $ROAM_WAIT s after the wired link went down (see the switch case)"
        [ "$(e2e_general_state "$name")" = activated ] ||
            roam_give_up "$c" "precondition: NetworkManager did not keep the VPN over the switch to wifi (see the switch case)"
        # NetworkManager's deferred reaction to the lost carrier (6 s)
        for ((i = 0; i < 50; i++)); do
            e2e_nmcli -t -f DEVICE,STATE device 2>/dev/null | grep -qx "$WD:unavailable" && break
            sleep 0.2
        done
        uip_log "  precondition: on wifi, the gateway sees the client at $(roam_gw_peer)"
    fi

    local nm_gw_before
    nm_gw_before=$(ip -n "$NS_CL" route show "$OUT_GW/32" | head -n 1)
    wait_s=$ROAM_WAIT tcp_secs=$((ROAM_SETTLE + 4))
    case $class in resume | restart) wait_s=$ROAM_WAIT_LONG tcp_secs=$((ROAM_WAIT_LONG + 30)) ;; esac
    roam_leak_table
    e2e_log_mark
    roam_tcp_start "$vip" "$tcp_secs"
    roam_watch_start "$name"
    roam_ping_start "$vip" 120
    sleep 1
    ROAM_GW_LOG=$GW_LOG
    ROAM_GW_MARK=$(wc -l <"$GW_LOG")
    uip_log "  event $event ($(date -u +%T.%N | cut -c1-12))"
    "roam_ev_$event"
    # watch for at least ROAM_SETTLE s after the event; stop once traffic flows again (1 s of
    # answers), or wait_s after the event became noticeable
    local deadline settle now
    deadline=$(awk -v t="$ROAM_T_NOTICE" -v w="$wait_s" 'BEGIN { printf "%.3f", t + w }')
    settle=$(awk -v t="$ROAM_T_EVENT" -v w="$ROAM_SETTLE" 'BEGIN { printf "%.3f", t + w }')
    while :; do
        now=$EPOCHREALTIME
        if awk -v n="$now" -v s="$settle" 'BEGIN { exit !(n >= s) }'; then
            roam_ping_flowing && break
            # NetworkManager dropped the VPN (0.5 s without it): it will not come back by itself
            [ "$(tail -n 2 "$ROAM_DIR/watch.out" | awk '$2 == "none"' | wc -l)" != 2 ] || break
        fi
        awk -v n="$now" -v d="$deadline" 'BEGIN { exit !(n >= d) }' && break
        sleep 0.2
    done
    roam_ping_stop
    roam_ping_result
    local after=- tcp kept states leaks peer sas note='' nmlines how
    if [ -n "${PING[back]}" ] && [ "${PING[never]}" = 0 ] &&
        awk -v b="${PING[back]}" -v t="$ROAM_T_NOTICE" 'BEGIN { exit !(b >= t) }'; then
        after=$(roam_ms "$ROAM_T_NOTICE" "${PING[back]}")
    elif [ "${PING[never]}" = 0 ]; then
        after=0
    else
        after=never
    fi
    # TCP retransmits with a back-off that doubles: after an outage of N s its next try may
    # come N s after traffic is back (5..30 s allowed)
    local grace=5
    [ "${PING[never]}" = 1 ] || grace=$(((PING[outage_ms] + 999) / 1000 + 3))
    ((grace <= 30)) || grace=30
    tcp=$(roam_tcp_verdict "$([ "${PING[never]}" = 1 ] || printf '%s' "${PING[back]:-$ROAM_T_EVENT}")" "$grace")
    roam_watch_stop
    states=$(roam_watch_states)
    kept=no
    [ "$states" = activated ] && kept=yes
    nmlines=$(roam_nm_vpn_lines "$name")
    vip_after=$(roam_vip)
    peer=$(roam_gw_peer)
    how=$(roam_gw_how)
    leaks=$(roam_leaks)
    uip_log "  ping: ${PING[sent]} sent, ${PING[answered]} answered, ${PING[lost]} lost in ${PING[gaps]} gap(s) (${PING[desc]}), longest outage ${PING[outage_ms]} ms, traffic again $after ms after the event was noticeable"
    uip_log "  TCP: $tcp; NetworkManager states polled: $states; the VPN's log: ${nmlines:-(no state change)}"
    uip_log "  virtual IP after: ${vip_after:-none}; the gateway sees the client at ${peer:-(no IKE_SA)} (learnt by: $how); route to the gateway: $(ip -n "$NS_CL" route get "$OUT_GW" 2>&1 | head -n 1 | tr -s ' ')(host route: $(ip -n "$NS_CL" route show "$OUT_GW/32" | tr -s ' ' | head -n 1))"
    uip_log "  leaks (packets on the uplinks to/from $INNER4 or to $NET6): $leaks$([ "$leaks" = 0 ] || printf ' (%s)' "$(roam_leak_rules)")"

    # targets
    local miss=() bound
    case $class in
    mobike | nomobike | redirect)
        bound=$ROAM_BOUND_MOBIKE_MS
        [ "$class" = mobike ] || bound=$ROAM_BOUND_NOMOBIKE_MS
        if [ "${PING[outage_ms]}" = never ]; then
            miss+=("no traffic through the tunnel $wait_s s after the $event")
        elif ((PING[outage_ms] > bound)); then
            miss+=("outage ${PING[outage_ms]} ms > $bound ms")
        fi
        ;;
    flap | resume | restart)
        bound=$ROAM_BOUND_AFTER_MS
        [ "$class" != flap ] || bound=$ROAM_BOUND_MOBIKE_MS
        if [ "$after" = never ]; then
            miss+=("no traffic through the tunnel $wait_s s after the $event was noticeable")
        elif ((after > bound)); then
            miss+=("traffic again $after ms after the $event was noticeable > $bound ms")
        fi
        ;;
    esac
    [ "$kept" = yes ] || miss+=("NetworkManager did not keep the VPN activated (states: $states; ${nmlines:-})")
    case $class in
    mobike | flap)
        [ "$how" != "new IKE_SA" ] || miss+=("the gateway got a new IKE_SA: MOBIKE should have kept the old one")
        [ "$tcp" = yes ] || miss+=("the TCP connection did not survive: $tcp")
        [ "$vip_after" = "$vip" ] || miss+=("virtual IP $vip became '${vip_after}'")
        ;;
    esac
    [ "$leaks" = 0 ] || miss+=("$leaks packets of the inner prefixes left an uplink in the clear")
    if [ "$class" = redirect ]; then
        # NetworkManager got the new external gateway: its host route moved there
        local nm_gw_after
        nm_gw_after=$(ip -n "$NS_CL" route show "$GW2_OUT/32" | head -n 1)
        uip_log "  NetworkManager's host route to the gateway: before '${nm_gw_before:-none}', after '${nm_gw_after:-none}'"
        [ -n "$nm_gw_after" ] || miss+=("NetworkManager has no host route to the new gateway $GW2_OUT")
        gw_sas | grep -q '^roam2: #' || miss+=("the gateway holds no IKE_SA of roam2 (the redirect target)")
        [ "$vip_after" = "$vip" ] || miss+=("virtual IP $vip became '${vip_after}'")
    fi
    local want=${ROAM_PATH_AFTER[$c]:-$PUB_WD}
    if [ "$kept" = yes ] && [ "${peer%:*}" != "$want" ]; then
        miss+=("the gateway sees the client at '${peer:-none}', expected $want")
    fi
    if [ "$c" = natport ] && [ "$kept" = yes ]; then
        local port=${peer##*:}
        ((port >= ${NAT_PORTS%-*} && port <= ${NAT_PORTS#*-})) 2>/dev/null ||
            miss+=("the gateway did not follow the NAT's new port (client at '$peer', NAT ports $NAT_PORTS)")
    fi

    # after down: nothing left on the gateway
    e2e_nmcli --wait 30 connection down id "$name" >/dev/null 2>&1 || true
    sas=''
    for ((i = 0; i < 50; i++)); do
        sas=$(roam_gw_ike_sas)
        [ "$sas" = 0 ] && break
        sleep 0.2
    done
    [ "$sas" = 0 ] || miss+=("$sas IKE_SA(s) left on the gateway 10 s after nmcli connection down")

    if [ "${#miss[@]}" = 0 ]; then
        note=ok
    else
        note=$(printf '%s; ' "${miss[@]}")
        note=${note%; }
    fi
    local verdict=PASS
    if [ "${#miss[@]}" != 0 ]; then verdict=MISS; fi
    case $class in mobike | nomobike | redirect) after=- ;; esac
    [ "$event" != redirect ] || ip -n "$NS_GW" addr del "$GW2_OUT/24" dev "$VETH_GW" 2>/dev/null || true
    roam_row "$c" "${PING[outage_ms]}" "${PING[lost]}" "$after" "${tcp%% *}" "$kept" \
        "$(roam_same_vip "$kept" "$vip" "$vip_after")" "${peer:--}" "$how" "$leaks" "$sas" "$verdict" "$note"
    if [ "${#miss[@]}" != 0 ]; then
        local m
        for m in "${miss[@]}"; do
            if [ "$ROAM_ENFORCE" = 1 ]; then printf 'FAIL: %s: %s\n' "$c" "$m" >&2; else uip_log "  missed: $m"; fi
        done
        [ "$ROAM_ENFORCE" != 1 ] || exit 1
    fi
}

# roam_same_vip KEPT BEFORE AFTER: yes / no, "-" when NetworkManager dropped the VPN (charon-nm
# may keep the address on its TUN meanwhile).
roam_same_vip() {
    if [ "$1" != yes ]; then
        printf -- '-\n'
    elif [ "$2" = "$3" ]; then
        printf 'yes\n'
    else
        printf 'no\n'
    fi
}

# roam_give_up CASE WHY: a case that cannot be measured (its precondition failed): its row says
# why; fails, or with ROAM_ENFORCE=0 is reported as a miss.
roam_give_up() {
    if [ "$ROAM_ENFORCE" = 1 ]; then
        roam_row "$1" - - - - - - - - - - FAIL "$2"
        uip_fail "$1: $2"
    fi
    roam_row "$1" - - - - - - - - - - MISS "$2"
    uip_log "  missed: $2"
    exit 0
}

# roam_row CASE OUTAGE LOST AFTER TCP KEPT SAMEVIP PEER HOW LEAKS SAS VERDICT NOTE
roam_row() {
    local IFS=$'\t'
    printf '%s\n' "$1${IFS}$E2E_PLUGIN${IFS}${*:2}" >>"$ROAM_RESULTS"
}

# roam_case_end: whatever the outcome: the plugin continued if it was stopped, the measuring
# processes ended, no active VPN, no VPN profile, no gateway, the network as at the start;
# charon-nm ended (it would keep its state until libnm's quit timer).
roam_case_end() {
    local name pid
    [ -z "$ROAM_STOPPED" ] || kill -CONT "$ROAM_STOPPED" 2>/dev/null || true
    roam_ping_stop
    roam_watch_stop
    roam_end ROAM_TCP_PID
    roam_end ROAM_TCP_SRV
    e2e_down_all >/dev/null 2>&1
    for name in $(e2e_nmcli -t -f NAME,TYPE connection show 2>/dev/null | sed -n 's/:vpn$//p'); do
        e2e_nmcli connection delete id "$name" >/dev/null 2>&1 || true
    done
    if [ "$E2E_PLUGIN" = strongswan ]; then
        for pid in $(e2e_plugin_pids); do uip_stop "$pid" TERM 5 >/dev/null 2>&1 || true; done
    fi
    gw_stop
    roam_net_reset
}

# roam_case_exit (the EXIT trap of a case's subshell, the case in ROAM_CUR_CASE): a row for a
# case that failed before its measurement, the logs when it failed, then roam_case_end.
ROAM_CUR_CASE=''
roam_case_exit() {
    local rc=$? c=$ROAM_CUR_CASE
    trap - EXIT ERR
    set +e
    if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
        grep -q "^$c$ROAM_TAB$E2E_PLUGIN$ROAM_TAB" "$ROAM_RESULTS" ||
            roam_row "$c" - - - - - - - - - - FAIL "the case failed before its measurement: see the log"
        [ "$ROAM_ENFORCE" != 1 ] || { e2e_nm_dump 40; gw_log_tail 20; }
    fi
    roam_case_end
    exit "$rc"
}

# ---------------------------------------------------------------- many cases

# roam_case_bg CASE: roam_case in a background subshell, so that a signal to the script is
# handled at once (e2e_cleanup ends E2E_CASE_PID first); returns its status.
roam_case_bg() {
    local rc=0
    (
        set -eE
        trap 'printf "FAIL: unexpected failure (status %s) of: %s\n" "$?" "$BASH_COMMAND" >&2' ERR
        ROAM_CUR_CASE=$1
        trap roam_case_exit EXIT
        trap 'exit 143' TERM; trap 'exit 130' INT
        roam_case "$1"
    ) &
    E2E_CASE_PID=$!
    wait "$E2E_CASE_PID" || rc=$?
    E2E_CASE_PID=''
    return "$rc"
}

# roam_run PLUGIN CASE...: each case (roam_case_bg), its outcome in ROAM_OUTCOMES
# ("PASS|MISS|FAIL|SKIP case plugin"; MISS: a missed target that is only reported).
declare -a ROAM_OUTCOMES=()
ROAM_FAILED=0
roam_run() {
    local plugin=$1 c rc san
    shift
    e2e_plugin_select "$plugin"
    for c in "$@"; do
        [ -n "${ROAM_CASE[$c]:-}" ] || uip_fail "unknown case '$c' (cases: $ROAM_ALL_CASES)"
        uip_step "roam $c ($plugin)"
        san=$(e2e_sanitizer_reports)
        rc=0
        roam_case_bg "$c" || rc=$?
        if [ "$(e2e_sanitizer_reports)" != "$san" ]; then
            printf 'FAIL: %s: the plugin reported sanitizer errors:\n' "$c" >&2
            grep -E -A20 "$E2E_SAN_RE" "$E2E_NM_LOG" | tail -n 60 >&2 || true
            rc=1
        fi
        case $rc in
        0)
            # (a missed target that is only reported: MISS)
            if grep -q "^$c$ROAM_TAB$plugin$ROAM_TAB.*${ROAM_TAB}MISS$ROAM_TAB" "$ROAM_RESULTS"; then
                ROAM_OUTCOMES+=("MISS $c $plugin")
            else
                ROAM_OUTCOMES+=("PASS $c $plugin")
            fi
            ;;
        77) ROAM_OUTCOMES+=("SKIP $c $plugin") ;;
        *)
            ROAM_OUTCOMES+=("FAIL $c $plugin")
            ROAM_FAILED=$((ROAM_FAILED + 1))
            ;;
        esac
        printf '%s\n' "${ROAM_OUTCOMES[-1]}"
    done
}

# roam_table: the rows of ROAM_RESULTS as a table.
roam_table() {
    {
        printf 'case\tplugin\toutage ms\tpings lost\tafter event ms\tTCP survived\tNM kept\tsame VIP\tgateway sees\tmoved by\tleaks\tIKE_SAs left\tresult\tnote\n'
        cat "$ROAM_RESULTS"
    } | awk -F'\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (i < NF && length($i) > w[i]) w[i] = length($i) }; n[NR] = NF }
        END { for (r = 1; r <= NR; r++) { l = ""
                  for (i = 1; i <= n[r]; i++) l = l sprintf(i < n[r] ? "%-" (w[i] + 2) "s" : "%s", c[r, i])
                  print l } }'
}

# roam_cases_of LIST: a space or comma separated list of case names ("all": every case).
roam_cases_of() {
    local l=${1:-all}
    [ "$l" != all ] || l=$ROAM_ALL_CASES
    printf '%s\n' "${l//,/ }"
}
