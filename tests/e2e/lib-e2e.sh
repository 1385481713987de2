# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the end-to-end tests (tests/e2e/): a real NetworkManager, driven by nmcli,
# activates a VPN connection through a VPN service plugin against a real strongSwan
# gateway.
#
#   uipe-cl [192.0.2.1/24, 2001:db8:ff::1/64] uipe-cl0 ==veth== uipe-gw0 [192.0.2.2/24,
#   2001:db8:ff::2/64] uipe-gw, bridge uipe-br (no ports): 198.18.2.1/24, 2001:db8:2::1/64
#
# A second gateway (for two tunnels at once), behind the first one as a router:
#   uipe-gw uipe-gw1 [198.51.100.1/24] ==veth== uipe-gw20 [198.51.100.2/24] uipe-gw2,
#   outer address 203.0.113.2/32 (lo), bridge uipe-br2: 198.18.3.1/24, 2001:db8:3::1/64
#
# In uipe-cl run, all started (and ended) by us, by PID:
#   - a private system-style dbus-daemon (the stock system.conf without <user>, service
#     activation, pid file or syslog; its <includedir> holds NetworkManager's policy and
#     the plugins' policies) listening on $E2E_DIR/dbus/system_bus_socket;
#   - NetworkManager --debug under unshare --mount with tmpfs on /run and
#     /var/lib/NetworkManager, a private folder bind-mounted over /etc/NetworkManager
#     (NetworkManager.conf, the keyfile of uipe-cl0, VPN/*.name) and /sys read-only (so
#     that it manages the veth without udev).  Its stdout+stderr, which also carry the
#     VPN plugin's stderr, go to $E2E_NM_LOG.
# NetworkManager spawns the plugin itself (program= of the .name file).  Two plugins:
#   uipsec      ours: BUILD/src/service/nm-uipsec-service, policy SRC/data/nm-uipsec-service.conf;
#               with UIP_E2E_INSTALLED=1 the installed ones (a package): the .name file of
#               /usr/lib/NetworkManager/VPN as it is, its program, /usr/share/dbus-1 policy
#   strongswan  NetworkManager-strongswan's charon-nm, with kernel-libipsec (no kernel ESP
#               here) and its own strongswan.conf through a wrapper script
#
# Reused: tests/interop/lib-interop.sh (gateway: uipi_setup_net, uipi_pki, gw_conn, gw_start,
# gw_stop, gw_kill, gw_sas, uipi_assert_unreachable, uipi_track, uipi_cleanup) and through
# it tests/netns/lib.sh (uip_log/uip_step/uip_fail/uip_skip, uip_alive/uip_stop, uip_ping,
# uip_iperf(_server)).

# shellcheck source=tests/interop/lib-interop.sh
. "$(dirname "${BASH_SOURCE[0]}")/../interop/lib-interop.sh"

# Our names and addresses (the interop defaults are uipi-*).  UIP_E2E_PREFIX (4 letters,
# default uipe) names the namespaces, links and private mounts, so that two runs can share
# a machine.
P=${UIP_E2E_PREFIX:-uipe}
NS_GW=$P-gw NS_CL=$P-cl
VETH_GW=$P-gw0 VETH_CL=$P-cl0
BR_GW=$P-br
CL_TUN=$P-tun0
# shellcheck disable=SC2034 # used by the interop helpers and test-e2e.sh
{
    NS_GW2=$P-gw2 VETH_GW1=$P-gw1 VETH_GW2=$P-gw20 BR_GW2=$P-br2
    LINK_GW1=198.51.100.1 LINK_GW2=198.51.100.2
    OUT_GW2=203.0.113.2
    PROT4_2=198.18.3.1 PROT6_2=2001:db8:3::1
    NET4_2=198.18.3.0/24 NET6_2=2001:db8:3::/64
    POOL4_2=198.18.101.0/24 POOL6_2=2001:db8:101::/112
    DNS4_2=198.18.3.53 DNS6_2=2001:db8:3::53
    DNS_DOMAIN_2=corp2.example.test
}

NM_BIN=${UIP_NM:-/usr/sbin/NetworkManager}
CHARON_NM=${UIP_CHARON_NM:-/usr/lib/ipsec/charon-nm}
# the plugins charon-nm loads (kernel-libipsec before kernel-netlink: no kernel ESP)
E2E_CHARON_NM_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints kdf sha1 sha2 hmac gcm aes kernel-libipsec kernel-netlink socket-default eap-identity eap-mschapv2 resolve"
E2E_DIR='' E2E_ETC='' E2E_NM_LOG='' E2E_BUS=''
DBUS_PID='' NM_PID=''
E2E_PLUGIN='' E2E_SERVICE='' E2E_PROGRAM='' E2E_AUTH_DIALOG=''
# Every plugin NetworkManager gets (.name file, D-Bus policy), space separated; set it
# before e2e_init to run several side by side (e2e_plugin_select switches between them).
# Empty: only E2E_PLUGIN.
E2E_PLUGINS=''
GW2_PID='' GW2_DIR='' GW2_LOG=''
UP_SECS='' UP_OUT='' E2E_TUN=''
declare -A E2E_F=() # runtime fields of the last e2e_fields call (E2E_F[IP4.ADDRESS[1]], ...)

# ---------------------------------------------------------------- set-up

# e2e_init "$@": build folder ($1, else $MESON_BUILD_ROOT, else <repo>/build), the plugin
# (UIP_E2E_PLUGIN: uipsec (default) or strongswan; also those in E2E_PLUGINS),
# prerequisites, temp folder, EXIT trap.
e2e_init() {
    # The interop client under test is not used here: no need for uip-ike-client.
    UIP_INTEROP_CLIENT=standin
    uipi_init "$@"
    trap e2e_cleanup EXIT
    uip_need nmcli dbus-daemon nsenter mount
    [ -x "$NM_BIN" ] || uip_skip "no NetworkManager at $NM_BIN (Debian: network-manager)"
    [ -r /usr/share/dbus-1/system.conf ] ||
        uip_skip "no /usr/share/dbus-1/system.conf (Debian: dbus-system-bus-common)"
    [ -r /usr/share/dbus-1/system.d/org.freedesktop.NetworkManager.conf ] ||
        uip_skip "no NetworkManager D-Bus policy (Debian: network-manager)"
    case $UIP_TMP in
    /run/* | /var/run/* | /var/lib/NetworkManager/* | /etc/NetworkManager/*)
        uip_fail "the temp folder $UIP_TMP would be hidden from NetworkManager by its private mounts: set TMPDIR"
        ;;
    esac

    local p main=${UIP_E2E_PLUGIN:-uipsec}
    case " $E2E_PLUGINS " in *" $main "*) ;; *) E2E_PLUGINS="$main${E2E_PLUGINS:+ $E2E_PLUGINS}" ;; esac
    for p in $E2E_PLUGINS; do e2e_plugin_select "$p"; done
    e2e_plugin_select "$main"

    E2E_DIR=$UIP_TMP/e2e
    E2E_ETC=$E2E_DIR/etc-NetworkManager
    E2E_NM_LOG=$E2E_DIR/NetworkManager.log
    E2E_BUS=unix:path=$E2E_DIR/dbus/system_bus_socket
    mkdir -p "$E2E_DIR/dbus/system.d" "$E2E_DIR/lib-VPN" "$E2E_ETC"/{conf.d,system-connections,VPN,dispatcher.d}
    chmod 700 "$E2E_DIR" "$E2E_ETC/system-connections"
}

# e2e_plugin_select NAME: the plugin (uipsec | strongswan, one of E2E_PLUGINS) that
# e2e_add, e2e_install_plugin, e2e_plugin_pids and e2e_nm_dump work with from now on:
# sets E2E_PLUGIN, E2E_SERVICE, E2E_PROGRAM (for strongswan, once installed: the wrapper
# NetworkManager runs) and E2E_AUTH_DIALOG; skips when the plugin is not installed.
e2e_plugin_select() {
    E2E_PLUGIN=$1
    case $E2E_PLUGIN in
    uipsec)
        E2E_SERVICE=org.freedesktop.NetworkManager.uipsec
        E2E_PROGRAM=${UIP_E2E_SERVICE:-$UIP_BUILD/src/service/nm-uipsec-service}
        if [ "${UIP_E2E_INSTALLED:-0}" = 1 ]; then
            E2E_INSTALLED_NAME=/usr/lib/NetworkManager/VPN/nm-uipsec-service.name
            [ -r "$E2E_INSTALLED_NAME" ] || uip_fail "UIP_E2E_INSTALLED=1: no $E2E_INSTALLED_NAME"
            E2E_PROGRAM=$(sed -n 's/^program=//p' "$E2E_INSTALLED_NAME")
            E2E_AUTH_DIALOG=$(sed -n 's/^auth-dialog=//p' "$E2E_INSTALLED_NAME")
            E2E_POLICY=/usr/share/dbus-1/system.d/nm-uipsec-service.conf
            [ -x "$E2E_PROGRAM" ] || uip_fail "the installed .name file names $E2E_PROGRAM, which is not there"
            [ -r "$E2E_POLICY" ] || uip_fail "no installed D-Bus policy $E2E_POLICY"
            return
        fi
        E2E_POLICY=$UIP_SRC_ROOT/data/nm-uipsec-service.conf
        E2E_AUTH_DIALOG=${UIP_E2E_AUTH_DIALOG:-$UIP_BUILD/auth-dialog/nm-uipsec-auth-dialog}
        [ -x "$E2E_PROGRAM" ] ||
            uip_skip "the VPN service is not built: no $E2E_PROGRAM (ninja -C $UIP_BUILD, or UIP_E2E_PLUGIN=strongswan)"
        [ -r "$UIP_SRC_ROOT/data/nm-uipsec-service.conf" ] ||
            uip_skip "no D-Bus policy $UIP_SRC_ROOT/data/nm-uipsec-service.conf"
        ;;
    strongswan)
        E2E_SERVICE=org.freedesktop.NetworkManager.strongswan
        E2E_PROGRAM=$CHARON_NM
        if [ -n "$E2E_DIR" ] && [ -x "$E2E_DIR/charon-nm/charon-nm" ]; then
            E2E_PROGRAM=$E2E_DIR/charon-nm/charon-nm
        fi
        E2E_AUTH_DIALOG=
        [ -x "$CHARON_NM" ] || uip_skip "no $CHARON_NM (Debian: strongswan-nm)"
        [ -r /usr/share/dbus-1/system.d/nm-strongswan-service.conf ] ||
            uip_skip "no nm-strongswan-service.conf D-Bus policy (Debian: strongswan-nm)"
        [ -r /usr/lib/NetworkManager/VPN/nm-strongswan-service.name ] ||
            uip_skip "no nm-strongswan-service.name (Debian: network-manager-strongswan)"
        local missing
        # shellcheck disable=SC2086 # a list of words
        missing=$(uip_swan_missing $E2E_CHARON_NM_PLUGINS) ||
            uip_skip "strongSwan plugins of charon-nm missing: ${missing//$'\n'/, }"
        ;;
    *) uip_fail "UIP_E2E_PLUGIN (and E2E_PLUGINS) must be uipsec or strongswan, not '$E2E_PLUGIN'" ;;
    esac
}

# e2e_cleanup (EXIT trap): a running case ended, active VPN connections down, then
# NetworkManager, the plugin processes it spawned (by PID, read before NetworkManager
# ends), the bus; then the interop clean-up (recorded PIDs, namespaces, temp folder).
E2E_CASE_PID='' # a test case running in a background subshell (test-e2e.sh)
e2e_cleanup() {
    local rc=$? pid plugins=''
    set +eE
    trap - ERR
    if [ -n "$E2E_CASE_PID" ]; then
        uip_stop "$E2E_CASE_PID" TERM 20 >/dev/null 2>&1
        E2E_CASE_PID=''
    fi
    if [ -n "$NM_PID" ] && uip_alive "$NM_PID"; then
        e2e_down_all >/dev/null 2>&1
        plugins=$(e2e_plugin_pids)
        uip_stop "$NM_PID" TERM 10 >/dev/null 2>&1
    fi
    for pid in $plugins $(e2e_plugin_pids); do
        uip_stop "$pid" TERM 5 >/dev/null 2>&1
    done
    [ -n "$DBUS_PID" ] && uip_stop "$DBUS_PID" TERM 5 >/dev/null 2>&1
    NM_PID='' DBUS_PID=''
    (exit "$rc")
    uipi_cleanup
}

# e2e_setup_net: the interop topology with our names (uipe-*).
e2e_setup_net() {
    uipi_setup_net
}

# e2e_setup_gw2: the second gateway namespace, reached through the first one (a router).
e2e_setup_gw2() {
    ip netns del "$NS_GW2" 2>/dev/null || true # a leftover of an earlier run of this script
    ip netns add "$NS_GW2" || uip_fail "cannot create namespace $NS_GW2"
    UIP_NETNS+=("$NS_GW2")
    ip -n "$NS_GW2" link set lo up
    ip netns exec "$NS_GW2" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
        net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
    ip link add "$VETH_GW1" netns "$NS_GW" type veth peer name "$VETH_GW2" netns "$NS_GW2" ||
        uip_fail "cannot create veth $VETH_GW1/$VETH_GW2"
    ip -n "$NS_GW" addr add "$LINK_GW1/24" dev "$VETH_GW1"
    ip -n "$NS_GW2" addr add "$LINK_GW2/24" dev "$VETH_GW2"
    ip -n "$NS_GW" link set "$VETH_GW1" up
    ip -n "$NS_GW2" link set "$VETH_GW2" up
    ip -n "$NS_GW2" addr add "$OUT_GW2/32" dev lo
    ip -n "$NS_GW" route add "$OUT_GW2/32" via "$LINK_GW2"
    ip -n "$NS_GW2" route add default via "$LINK_GW1"
    ip -n "$NS_GW2" link add "$BR_GW2" type bridge
    ip -n "$NS_GW2" addr add "$PROT4_2/24" dev "$BR_GW2"
    ip -n "$NS_GW2" -6 addr add "$PROT6_2/64" dev "$BR_GW2" nodad
    ip -n "$NS_GW2" link set "$BR_GW2" up
    uip_protect "$NS_GW2" "$VETH_GW2" "$NET4_2" "$NET6_2" || uip_fail "prohibit rules failed in $NS_GW2"
    # the first gateway must not route the second one's protected prefixes either
    ip -n "$NS_GW" route add prohibit "$NET4_2"
    ip -n "$NS_GW" -6 route add prohibit "$NET6_2"
}

# gw2_run CMD...: run a gateway helper (gw_conn, gw_start, gw_stop, gw_kill, gw_sas,
# gw_log_tail) for the second gateway: the interop globals are shadowed for its duration.
gw2_run() {
    local NS_GW=$NS_GW2 OUT_GW=$OUT_GW2 PROT4=$PROT4_2 PROT6=$PROT6_2 NET4=$NET4_2 NET6=$NET6_2
    local POOL4=$POOL4_2 POOL6=$POOL6_2 DNS4=$DNS4_2 DNS6=$DNS6_2 DNS_DOMAIN=$DNS_DOMAIN_2
    local GW_PID=$GW2_PID GW_DIR=$GW2_DIR GW_LOG=$GW2_LOG rc=0
    "$@" || rc=$?
    GW2_PID=$GW_PID GW2_DIR=$GW_DIR GW2_LOG=$GW_LOG
    return "$rc"
}

# ---------------------------------------------------------------- D-Bus

# e2e_dbus_start: the private system bus.  The stock system.conf, minus <user>, <fork>,
# service activation, pid file and syslog; our socket; our policy folder only.
e2e_dbus_start() {
    local d=$E2E_DIR/dbus i
    sed -e '/<user>/d' -e '/<fork\/>/d' -e '/<standard_system_servicedirs\/>/d' \
        -e '/<servicehelper>/d' -e '/<pidfile>/d' -e '/<syslog\/>/d' \
        -e "s|<listen>.*</listen>|<listen>unix:path=$d/system_bus_socket</listen>|" \
        -e "s|<includedir>system.d</includedir>|<includedir>$d/system.d</includedir>|" \
        -e '/<includedir>\/etc\/dbus-1\/system.d<\/includedir>/d' \
        -e '/<include .*>.*<\/include>/d' \
        /usr/share/dbus-1/system.conf >"$d/system.conf"
    if ! grep -q "<listen>unix:path=$d/system_bus_socket</listen>" "$d/system.conf" ||
        ! grep -q "<includedir>$d/system.d</includedir>" "$d/system.conf"; then
        uip_fail "cannot adapt /usr/share/dbus-1/system.conf (unexpected layout)"
    fi
    if grep -qE '<user>|<servicehelper>|standard_system_servicedirs|/etc/dbus-1' "$d/system.conf"; then
        uip_fail "the adapted system.conf still has <user>/activation/system includes: $d/system.conf"
    fi
    cp /usr/share/dbus-1/system.d/org.freedesktop.NetworkManager.conf "$d/system.d/"
    for i in $E2E_PLUGINS; do
        case $i in
        uipsec) cp "$E2E_POLICY" "$d/system.d/" ;;
        strongswan) cp /usr/share/dbus-1/system.d/nm-strongswan-service.conf "$d/system.d/" ;;
        esac
    done
    ip netns exec "$NS_CL" dbus-daemon --config-file="$d/system.conf" --nofork --nopidfile \
        --nosyslog --print-address=1 >"$d/address" 2>"$d/dbus.log" &
    DBUS_PID=$!
    uipi_track "$DBUS_PID"
    for ((i = 0; i < 100; i++)); do
        [ -S "$d/system_bus_socket" ] && [ -s "$d/address" ] && break
        uip_alive "$DBUS_PID" || break
        sleep 0.1
    done
    if ! [ -S "$d/system_bus_socket" ] || ! uip_alive "$DBUS_PID"; then
        cat "$d/dbus.log" >&2
        uip_fail "the private dbus-daemon did not start"
    fi
    # (dbus-daemon cannot raise its fd limit here: that complaint is harmless)
    if grep -viE 'fd limit' "$d/dbus.log" | grep -qiE 'fail|error|warn'; then
        cat "$d/dbus.log" >&2
        uip_fail "dbus-daemon complained about its configuration (a policy file skipped?)"
    fi
}

# ---------------------------------------------------------------- plugins

# e2e_install_plugin: the .name file of the selected plugin in NetworkManager's private
# VPN folder (and, for strongSwan, charon-nm's configuration and a wrapper that selects it).
# (e2e_nm_start installs every plugin of E2E_PLUGINS.)
# e2e_uipsec_name FILE [CORE_MODULE EDITOR_MODULE]: our .name file, as installed
# (data/nm-uipsec-service.name.in) with the built service and auth dialog; with the modules
# also the [libnm] plugin and the [GNOME] properties an editor host loads.
e2e_uipsec_name() {
    cat >"$1" <<EOF
[VPN Connection]
name=uipsec
service=$E2E_SERVICE
program=$E2E_PROGRAM
supports-multiple-connections=true
${2:+
[libnm]
plugin=$2
}
[GNOME]
auth-dialog=$E2E_AUTH_DIALOG
${3:+properties=$3}
supports-external-ui-mode=true
supports-hints=true
EOF
}

e2e_install_plugin() {
    case $E2E_PLUGIN in
    uipsec)
        if [ "${UIP_E2E_INSTALLED:-0}" = 1 ]; then
            cp "$E2E_INSTALLED_NAME" "$E2E_ETC/VPN/nm-uipsec-service.name"
        else
            e2e_uipsec_name "$E2E_ETC/VPN/nm-uipsec-service.name"
        fi
        ;;
    strongswan)
        local d=$E2E_DIR/charon-nm
        mkdir -p "$d/ca"
        # kernel-libipsec before kernel-netlink (no kernel ESP); an empty CA folder
        # (PSK needs none, and the system store takes a while to load); a file log.
        cat >"$d/strongswan.conf" <<EOF
charon-nm {
    load = $E2E_CHARON_NM_PLUGINS
    ca_dir = $d/ca
    retransmit_tries = 3
    retransmit_timeout = 1
    retransmit_base = 1.4
    send_vendor_id = no
    syslog {
    }
    filelog {
        charon-nm {
            path = $d/charon-nm.log
            time_format = %T
            ike_name = yes
            flush_line = yes
            default = 1
            ike = 2
            cfg = 2
            knl = 1
        }
    }
}
EOF
        cat >"$d/charon-nm" <<EOF
#!/bin/sh
STRONGSWAN_CONF=$d/strongswan.conf
export STRONGSWAN_CONF
exec $CHARON_NM "\$@"
EOF
        chmod 755 "$d/charon-nm"
        E2E_PROGRAM=$d/charon-nm
        # NetworkManager prefers /usr/lib/NetworkManager/VPN over /etc/NetworkManager/VPN:
        # it sees an empty folder there (bind mount), so this copy with our wrapper counts.
        # NetworkManager-strongswan's auth dialog is GTK only (no display here): a stand-in
        # answers nmcli's --external-ui-mode query ("ask for the secret 'password'"), and
        # nmcli then takes the value from its passwd-file.
        cat >"$d/auth-dialog" <<'EOF'
#!/bin/sh
# stand-in for nm-strongswan-auth-dialog --external-ui-mode: read the data nmcli sends
# (up to DONE), then describe the one secret, "password"
while IFS= read -r line; do [ "$line" = DONE ] && break; done
printf '[VPN Plugin UI]\nVersion=2\nDescription=strongSwan password\nTitle=strongSwan\n\n'
printf '[password]\nValue=\nLabel=Password\nIsSecret=true\nShouldAsk=true\n'
EOF
        chmod 755 "$d/auth-dialog"
        sed -e "s|^program=.*|program=$d/charon-nm|" -e "s|^auth-dialog=.*|auth-dialog=$d/auth-dialog|" \
            /usr/lib/NetworkManager/VPN/nm-strongswan-service.name >"$E2E_ETC/VPN/nm-strongswan-service.name"
        grep -q "^program=$d/charon-nm\$" "$E2E_ETC/VPN/nm-strongswan-service.name" ||
            uip_fail "cannot write the strongSwan .name file"
        ;;
    esac
    chmod 644 "$E2E_ETC"/VPN/*.name
}

# e2e_plugin_pids: the plugin processes NetworkManager spawned.  NetworkManager detaches
# them (their parent is PID 1), so they are recognised by their mount namespace, which is
# NetworkManager's private one (nothing else runs in it), and their program.
E2E_NM_MNTNS=''
e2e_plugin_pids() {
    local p cmd
    [ -n "$E2E_NM_MNTNS" ] || return 0
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$E2E_NM_MNTNS" ] || continue
        p=${p#/proc/}
        [ "$p" != "$NM_PID" ] || continue
        uip_alive "$p" || continue
        cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
        case $cmd in
        "$E2E_PROGRAM "* | "$CHARON_NM "* | "/bin/sh $E2E_PROGRAM "*) printf '%s\n' "$p" ;;
        esac
    done
}

# ---------------------------------------------------------------- NetworkManager

# e2e_nm_start: NetworkManager in uipe-cl (see the top of this file) with the plugins of
# E2E_PLUGINS; waits until it runs and uipe-cl0 is connected with its keyfile profile.
e2e_nm_start() {
    local i st p main=$E2E_PLUGIN
    cat >"$E2E_ETC/NetworkManager.conf" <<EOF
[main]
plugins=keyfile
no-auto-default=*
auth-polkit=false
dns=default
rc-manager=unmanaged
systemd-resolved=false
hostname-mode=none
dhcp=internal

[keyfile]
unmanaged-devices=except:interface-name:$VETH_CL

[connectivity]
enabled=false

[logging]
level=DEBUG
domains=ALL,VPN:TRACE,VPN_PLUGIN:TRACE
EOF
    (
        umask 077
        cat >"$E2E_ETC/system-connections/$VETH_CL.nmconnection" <<EOF
[connection]
id=$VETH_CL
uuid=$(cat /proc/sys/kernel/random/uuid)
type=ethernet
interface-name=$VETH_CL
autoconnect=true

[ethernet]

[ipv4]
method=manual
address1=$OUT_CL/24,$OUT_GW
may-fail=false

[ipv6]
method=manual
address1=$OUT6_CL/64,$OUT6_GW
addr-gen-mode=eui64
may-fail=false
EOF
    )
    for p in $E2E_PLUGINS; do
        e2e_plugin_select "$p"
        e2e_install_plugin
    done
    e2e_plugin_select "$main"
    # UIP_SECCOMP_STRICT: a system call the allow-list misses kills the service (a test failure)
    ip netns exec "$NS_CL" env DBUS_SYSTEM_BUS_ADDRESS="$E2E_BUS" UIP_SECCOMP_STRICT=1 \
        unshare --mount --propagation private \
        sh -c "mount -t tmpfs -o mode=0755 $P-run /run &&
               mount -t tmpfs -o mode=0700 $P-nmstate /var/lib/NetworkManager &&
               mount --bind '$E2E_ETC' /etc/NetworkManager &&
               mount --bind '$E2E_DIR/lib-VPN' /usr/lib/NetworkManager/VPN &&
               mount -o remount,bind,ro /sys &&
               exec '$NM_BIN' --debug --config /etc/NetworkManager/NetworkManager.conf \
                   --state-file /var/lib/NetworkManager/NetworkManager.state" \
        >"$E2E_NM_LOG" 2>&1 &
    NM_PID=$!
    uipi_track "$NM_PID"
    for ((i = 0; i < 50; i++)); do
        E2E_NM_MNTNS=$(readlink "/proc/$NM_PID/ns/mnt" 2>/dev/null) || E2E_NM_MNTNS=
        [ "$(readlink "/proc/$NM_PID/exe" 2>/dev/null)" = "$NM_BIN" ] && break
        sleep 0.1
    done
    if [ "$E2E_NM_MNTNS" = "$(readlink /proc/self/ns/mnt)" ]; then
        e2e_nm_dump 20
        uip_fail "NetworkManager did not get its own mount namespace"
    fi
    for ((i = 0; i < 300; i++)); do
        uip_alive "$NM_PID" || break
        st=$(e2e_nmcli -t -f RUNNING general 2>/dev/null) || st=
        [ "$st" = running ] && break
        sleep 0.1
    done
    if [ "$st" != running ]; then
        e2e_nm_dump 60
        uip_fail "NetworkManager did not start (30 s)"
    fi
    for ((i = 0; i < 300; i++)); do
        st=$(e2e_nmcli -t -f DEVICE,STATE device 2>/dev/null | sed -n "s/^$VETH_CL://p")
        [ "$st" = connected ] && break
        uip_alive "$NM_PID" || break
        sleep 0.1
    done
    if [ "$st" != connected ]; then
        e2e_nmcli device >&2 2>&1 || true
        e2e_nm_dump 60
        uip_fail "NetworkManager did not connect $VETH_CL (state '$st' after 30 s)"
    fi
    uip_log "NetworkManager $("$NM_BIN" --version) running (PID $NM_PID), $VETH_CL connected; plugin $E2E_PLUGIN: $E2E_PROGRAM"
}

# e2e_nmcli ARGS...: nmcli against our NetworkManager, in its mount namespace, so that it
# reads the same VPN/*.name files (for auth-dialog=) as NetworkManager.
e2e_nmcli() {
    DBUS_SYSTEM_BUS_ADDRESS=$E2E_BUS NM_VPN_PLUGIN_DIR=$E2E_ETC/VPN \
        timeout 120 nsenter -t "$NM_PID" -m nmcli "$@"
}

# e2e_nm_read PATH: a file as NetworkManager sees it (its private mount namespace).
e2e_nm_read() { cat "/proc/$NM_PID/root$1"; }

# e2e_nm_dump [LINES]: the tail of NetworkManager's log (which carries the plugin's stderr),
# and, for strongSwan, of charon-nm's log.  (test-e2e.sh prints it when a case fails.)
e2e_nm_dump() {
    local n=${1:-60}
    printf -- '--- NetworkManager log, VPN lines (last %s of %s):\n' "$n" "$E2E_NM_LOG" >&2
    { grep -E 'vpn|VPN|plugin|uipsec|strongswan' "$E2E_NM_LOG" 2>/dev/null | tail -n "$n" >&2; } || true
    printf -- '--- plugin stderr (lines not from NetworkManager, last %s):\n' "$n" >&2
    { grep -vE '^<(trace|debug|info|warn|error)>' "$E2E_NM_LOG" 2>/dev/null | tail -n "$n" >&2; } || true
    if [ "$E2E_PLUGIN" = strongswan ]; then
        printf -- '--- charon-nm log (last %s):\n' "$n" >&2
        tail -n "$n" "$E2E_DIR/charon-nm/charon-nm.log" >&2 2>/dev/null || true
    fi
    return 0
}

# e2e_sanitizer_reports: how many sanitizer reports (ASan/LSan/UBSan, from an instrumented
# plugin) and seccomp refusals (UIP_SECCOMP_STRICT: a system call the allow-list misses; both
# reach its stderr, which is in NetworkManager's log) the log holds so far.
E2E_SAN_RE='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer)|seccomp refused system call'
e2e_sanitizer_reports() { grep -cE "$E2E_SAN_RE" "$E2E_NM_LOG" 2>/dev/null || true; }

# e2e_log_mark: remember where NetworkManager's log ends now (e2e_log_since reads after it).
E2E_MARK=0
e2e_log_mark() { E2E_MARK=$(wc -l <"$E2E_NM_LOG"); }
e2e_log_since() { tail -n +"$((E2E_MARK + 1))" "$E2E_NM_LOG"; }

# ---------------------------------------------------------------- connections

# e2e_add NAME KEY=VALUE... [-- SECRET=VALUE...]: a VPN connection of the selected plugin.
# vpn.data and vpn.secrets are given as lists; a connection of the same name is replaced.
e2e_add() {
    local name=$1 data='' secrets='' kv sec=0
    shift
    for kv in "$@"; do
        if [ "$kv" = -- ]; then
            sec=1
            continue
        fi
        if [ "$sec" = 1 ]; then
            secrets=${secrets:+$secrets, }$kv
        else
            data=${data:+$data, }$kv
        fi
    done
    e2e_nmcli connection delete id "$name" >/dev/null 2>&1 || true
    local out
    out=$(e2e_nmcli connection add type vpn vpn-type "$E2E_SERVICE" con-name "$name" \
        autoconnect no vpn.data "$data" ${secrets:+vpn.secrets "$secrets"} 2>&1) ||
        uip_fail "nmcli connection add $name failed: $out"
}

# e2e_vpn_add NAME KEY=VALUE... [-- SECRET=VALUE...]: a connection for the selected
# plugin, written with our keys (src/common/uip-settings.h) and translated for
# NetworkManager-strongswan when that is the plugin (its keys: nm_service.c of charon-nm;
# lists are ';'-separated there).  Our keys it has no setting for are dropped, others fail.
e2e_vpn_add() {
    local name=$1 kv k v sec=0 virt=no
    shift
    if [ "$E2E_PLUGIN" = uipsec ]; then
        e2e_add "$name" "$@"
        return
    fi
    local data=() secrets=() proposal=()
    for kv in "$@"; do
        if [ "$kv" = -- ]; then
            sec=1
            continue
        fi
        k=${kv%%=*} v=${kv#*=}
        if [ "$sec" = 1 ]; then
            case $k in
            psk | password | user-key-password) secrets+=("password=$v") ;;
            *) uip_fail "e2e_vpn_add: no strongSwan secret for $k" ;;
            esac
            continue
        fi
        case $k in
        gateway) data+=("address=$v") ;;
        auth)
            case $v in
            psk) data+=(method=psk) ;;
            eap-mschapv2) data+=(method=eap) ;;
            cert) data+=(method=key) ;;
            *) uip_fail "e2e_vpn_add: no strongSwan method for auth=$v" ;;
            esac
            ;;
        local-id) data+=("local-identity=$v") ;;
        remote-id) data+=("remote-identity=$v") ;;
        user) data+=("user=$v") ;;
        ca-cert) data+=("certificate=$v") ;;
        user-cert) data+=("usercert=$v") ;;
        user-key) data+=("userkey=$v") ;;
        virtual-ipv4 | virtual-ipv6) [ "$v" != yes ] || virt=yes ;;
        remote-ts) data+=("remote-ts=${v//,/;}") ;;
        ike | esp) proposal+=("$k=${v//,/;}") ;; # only used with proposal=yes
        psk-flags | password-flags | user-key-password-flags) data+=("password-flags=$v") ;;
        dpd-interval | nat-keepalive | rekey-child | rekey-ike | fragmentation | mtu) ;; # no such setting
        *) uip_fail "e2e_vpn_add: no strongSwan key for $k" ;;
        esac
    done
    [ "${#proposal[@]}" = 0 ] || data+=(proposal=yes "${proposal[@]}")
    e2e_add "$name" "${data[@]}" "virtual=$virt" encap=yes ipcomp=no -- "${secrets[@]}"
}

# e2e_up NAME [nmcli up args...]: activate and time it; sets UP_SECS, UP_OUT and E2E_TUN
# (the TUN device that appeared).  Fails the case when activation fails.
e2e_up() {
    e2e_up_try "$@" || {
        printf '%s\n' "$UP_OUT" >&2
        uip_fail "nmcli connection up $1 failed"
    }
    uip_log "  up $1: activated in $UP_SECS s (nmcli connection up -> activated); TUN ${E2E_TUN:-?}"
}

# e2e_up_try NAME [args...]: like e2e_up, but returns nmcli's status instead of failing.
e2e_up_try() {
    local name=$1 t0 t1 rc=0 before after
    shift
    before=$(e2e_tuns)
    e2e_log_mark
    t0=$(date +%s.%N)
    UP_OUT=$(e2e_nmcli --wait 60 connection up id "$name" "$@" 2>&1) || rc=$?
    t1=$(date +%s.%N)
    UP_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    after=$(e2e_tuns)
    E2E_TUN=$(e2e_vpn_iface "$name")
    [ -n "$E2E_TUN" ] ||
        E2E_TUN=$(comm -13 <(printf '%s\n' "$before" | sort) <(printf '%s\n' "$after" | sort) | head -n 1)
    return "$rc"
}

# e2e_down NAME: deactivate (nmcli waits for it); fails when nmcli does.
e2e_down() {
    local out
    out=$(e2e_nmcli --wait 30 connection down id "$1" 2>&1) || {
        printf '%s\n' "$out" >&2
        uip_fail "nmcli connection down $1 failed"
    }
    uip_log "  down $1"
}

# e2e_down_all: every active VPN connection down (clean-up; errors ignored).
e2e_down_all() {
    local uuid
    for uuid in $(e2e_nmcli -t -f UUID,TYPE connection show --active 2>/dev/null | sed -n 's/:vpn$//p'); do
        e2e_nmcli --wait 20 connection down uuid "$uuid" >/dev/null 2>&1 || true
    done
}

# e2e_tuns: the TUN devices in the client namespace, one a line.
e2e_tuns() {
    ip -n "$NS_CL" -o link show type tun 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

# e2e_vpn_iface NAME: the IP interface (the plugin's TUN) of the connection's last
# activation, from NetworkManager's log ('vpn[...,"NAME",if:4:(tun0)]').
e2e_vpn_iface() {
    e2e_log_since | sed -n "s/^.*vpn\[[^]]*,\"$1\",if:[0-9]*[:,][^]]*(\([^)]*\))\].*\$/\1/p" | head -n 1
}

# e2e_vpn_config: what NetworkManager logged of the plugin's Config/Ip4Config/Ip6Config
# since e2e_log_mark (its "vpn-config:" trace lines).
e2e_vpn_config() {
    e2e_log_since | sed -n 's/^<trace> \[[0-9.]*\] vpn-config: //p'
}

# e2e_fields NAME: the runtime fields of an active connection into E2E_F[].
e2e_fields() {
    local line
    E2E_F=()
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        E2E_F[${line%%:*}]=${line#*:}
    done < <(e2e_nmcli -t -e no connection show id "$1" 2>/dev/null)
}

# e2e_field_has NAME FIELD-REGEX VALUE-REGEX: some runtime field matching FIELD-REGEX has a
# value matching VALUE-REGEX.
e2e_field_has() {
    local k
    e2e_fields "$1"
    for k in "${!E2E_F[@]}"; do
        [[ $k =~ ^($2)$ ]] || continue
        [[ ${E2E_F[$k]} =~ $3 ]] && return 0
    done
    return 1
}

# e2e_field_values NAME FIELD-REGEX: the values of the matching runtime fields, one a line.
e2e_field_values() {
    local k
    e2e_fields "$1"
    for k in "${!E2E_F[@]}"; do
        if [[ $k =~ ^($2)$ ]]; then printf '%s\n' "${E2E_F[$k]}"; fi
    done | sort
}

# e2e_expect_field NAME FIELD-REGEX VALUE-REGEX WHAT: fail unless e2e_field_has.
e2e_expect_field() {
    if ! e2e_field_has "$1" "$2" "$3"; then
        e2e_nmcli -t -e no connection show id "$1" 2>&1 | grep -E '^(GENERAL|IP4|IP6|VPN)\.' >&2
        uip_fail "$4: no runtime field $2 matching '$3' for $1"
    fi
    uip_log "  nmcli: $4 ok ($(e2e_field_values "$1" "$2" | grep -E -- "$3" | head -n 1 || true))"
}

# e2e_vpn_state NAME: VPN.VPN-STATE of the connection (empty when not active).
e2e_vpn_state() {
    e2e_fields "$1"
    printf '%s\n' "${E2E_F[VPN.VPN-STATE]:-}"
}

# e2e_general_state NAME: GENERAL.STATE of the connection (empty when not active).
e2e_general_state() {
    e2e_fields "$1"
    printf '%s\n' "${E2E_F[GENERAL.STATE]:-}"
}

# e2e_expect_activated NAME: VPN state "VPN connected" and GENERAL.STATE activated.
e2e_expect_activated() {
    local s g
    s=$(e2e_vpn_state "$1")
    g=$(e2e_general_state "$1")
    case $s in
    *"VPN connected"*) ;;
    *) uip_fail "VPN state of $1 is '$s', expected 'VPN connected'" ;;
    esac
    [ "$g" = activated ] || uip_fail "GENERAL.STATE of $1 is '$g', expected activated"
    uip_log "  nmcli: $1 VPN.VPN-STATE '$s', GENERAL.STATE '$g'"
}

# e2e_tun_addr4 TUN: the IPv4 addresses on TUN, one a line (ADDR/LEN); e2e_tun_addr6 likewise.
e2e_tun_addr4() { ip -n "$NS_CL" -4 -o addr show dev "$1" 2>/dev/null | awk '{ print $4 }'; }
e2e_tun_addr6() { ip -n "$NS_CL" -6 -o addr show dev "$1" scope global 2>/dev/null | awk '{ print $4 }'; }

# e2e_expect_route DEST TUN [FAMILY]: a route for DEST through TUN in the main table.
e2e_expect_route() {
    local fam=${3:--4} r
    r=$(ip -n "$NS_CL" "$fam" route show "$1" dev "$2" 2>/dev/null)
    if [ -z "$r" ]; then
        ip -n "$NS_CL" "$fam" route show >&2
        uip_fail "no route for $1 on $2"
    fi
    uip_log "  route: $1 dev $2 ($(tr -s ' ' <<<"$r" | head -n 1))"
}

# e2e_resolv: NetworkManager's resolv.conf (rc-manager=unmanaged: /run/NetworkManager/resolv.conf
# in its own mount namespace).
e2e_resolv() { e2e_nm_read /run/NetworkManager/resolv.conf 2>/dev/null; }

# e2e_expect_dns SERVER [DOMAIN]: resolv.conf lists SERVER (and DOMAIN in search).
e2e_expect_dns() {
    local r i
    # NetworkManager writes resolv.conf shortly after the activation is reported
    for ((i = 0; i < 30; i++)); do
        r=$(e2e_resolv)
        grep -qE "^nameserver $1\$" <<<"$r" && { [ -z "${2:-}" ] || grep -qE "^search .*\\b$2\\b" <<<"$r"; } && break
        sleep 0.1
    done
    grep -qE "^nameserver $1\$" <<<"$r" || { printf '%s\n' "$r" >&2; uip_fail "nameserver $1 missing from NetworkManager's resolv.conf"; }
    if [ -n "${2:-}" ]; then
        grep -qE "^search .*\\b$2\\b" <<<"$r" || { printf '%s\n' "$r" >&2; uip_fail "search domain $2 missing from NetworkManager's resolv.conf"; }
    fi
    uip_log "  resolv.conf: $(grep -E '^(nameserver|search)' <<<"$r" | tr '\n' ';' | sed 's/;$//')"
}

# e2e_expect_no_dns SERVER: resolv.conf does not list SERVER (after down).
e2e_expect_no_dns() {
    local r i
    for ((i = 0; i < 30; i++)); do
        r=$(e2e_resolv)
        grep -qE "^nameserver $1\$" <<<"$r" || return 0
        sleep 0.1
    done
    printf '%s\n' "$r" >&2
    uip_fail "nameserver $1 still in NetworkManager's resolv.conf after down"
}

# e2e_expect_clean [TUN] [SECONDS]: nothing left behind: no such TUN (or no TUN at all),
# no plugin process, no IKE_SA on the gateway, no active VPN connection.  With
# E2E_PLUGIN_STAYS=1 (charon-nm: it keeps running, with its TUNs, until libnm's quit timer)
# only the IKE_SA and the active connection are checked.
E2E_PLUGIN_STAYS=0
e2e_expect_clean() {
    local tun=${1:-} secs=${2:-10} i left what
    for ((i = 0; i < secs * 10; i++)); do
        left=''
        if [ "$E2E_PLUGIN_STAYS" != 1 ]; then
            if [ -n "$tun" ]; then
                if ip -n "$NS_CL" link show "$tun" >/dev/null 2>&1; then left="$left TUN:$tun"; fi
            elif [ -n "$(e2e_tuns)" ]; then
                left="$left TUNs:$(e2e_tuns | tr '\n' ' ')"
            fi
            if [ -n "$(e2e_plugin_pids)" ]; then left="$left plugin-PIDs:$(e2e_plugin_pids | tr '\n' ' ')"; fi
        fi
        if [ -n "$GW_PID" ] && gw_sas | grep -q ESTABLISHED; then left="$left gateway-IKE_SA"; fi
        if [ -n "$GW2_PID" ] && gw2_run gw_sas | grep -q ESTABLISHED; then left="$left gateway2-IKE_SA"; fi
        if e2e_nmcli -t -f TYPE connection show --active 2>/dev/null | grep -qx vpn; then left="$left active-VPN"; fi
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        e2e_tuns >&2
        if [ -n "$GW_PID" ]; then gw_sas >&2; fi
        uip_fail "left behind after down ($secs s):$left"
    fi
    what="no IKE_SA on the gateway, no active VPN connection"
    [ "$E2E_PLUGIN_STAYS" = 1 ] || what="no ${tun:-TUN}, no plugin process, $what"
    uip_log "  nothing left behind ($what)"
}

# e2e_wait_vpn_gone NAME SECONDS: wait (wall clock) until the connection is no longer
# active (failed or down); the elapsed time goes to E2E_GONE_SECS.  Returns 1 on timeout.
# shellcheck disable=SC2034 # read by test-e2e.sh
E2E_GONE_SECS=''
e2e_wait_vpn_gone() {
    local t0 now s
    t0=$(date +%s.%N)
    while :; do
        s=$(e2e_general_state "$1")
        now=$(date +%s.%N)
        # shellcheck disable=SC2034 # read by test-e2e.sh
        E2E_GONE_SECS=$(awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
        case $s in '' | deactivated | deactivating) return 0 ;; esac
        awk -v a="$t0" -v b="$now" -v m="$2" 'BEGIN { exit !(b - a > m) }' && return 1
        sleep 0.1
    done
}
