#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nmcli connection import / export of .sswan profiles, and import of Apple .mobileconfig
# profiles, through the core plugin
# (libnm-vpn-plugin-uipsec.so), as a user runs them: nmcli loads the module named by the
# [libnm] plugin= line of a .name file.  nmcli 1.42 has no --offline import, so a
# NetworkManager must run: a private system bus (dbus-daemon, our own socket and policy
# folder) and NetworkManager in a fresh network + mount namespace (only lo, nothing managed,
# tmpfs /run and /var/lib/NetworkManager, /etc/NetworkManager from a temp folder, where its
# keyfiles go).  Both are started and ended here by PID.  Nothing else is touched: the
# imported certificates go to XDG_DATA_HOME in the temp folder.
#
# Usage: test-nmcli-import.sh PLUGIN.so FIXTURES_DIR
# Needs root, NetworkManager, dbus-daemon, unshare, python3; without them exits 77 (skip),
# or fails when UIP_NETNS_REQUIRED=1.
set -euo pipefail

plugin=${1:?plugin module}
fixtures=${2:?fixtures folder}
NM_BIN=${UIP_NM:-/usr/sbin/NetworkManager}

skip() {
    if [ -n "${UIP_NETNS_REQUIRED:-}" ]; then
        echo "FAIL (UIP_NETNS_REQUIRED): $*" >&2
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*" >&2
    [ -n "${tmp:-}" ] && [ -f "$tmp/nm.log" ] && tail -30 "$tmp/nm.log" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, a NetworkManager)"
for c in nmcli dbus-daemon unshare python3 timeout; do
    command -v "$c" >/dev/null || skip "no $c"
done
[ -x "$NM_BIN" ] || skip "no NetworkManager at $NM_BIN"
[ -r /usr/share/dbus-1/system.conf ] || skip "no /usr/share/dbus-1/system.conf"
[ -r /usr/share/dbus-1/system.d/org.freedesktop.NetworkManager.conf ] ||
    skip "no NetworkManager D-Bus policy"
[ -r "$plugin" ] || fail "no plugin module $plugin"
# The uninstrumented nmcli cannot load a module built with -Db_sanitize (the runtime must
# come first; preloaded, nmcli hangs at exit).  test-import-export loads it the way nmcli
# does, under the sanitizers; this test runs in the normal build.
case $(ldd "$plugin") in
*libasan.so* | *libubsan.so*)
    echo "SKIP: $plugin is built with sanitizers, nmcli cannot load it"
    exit 77
    ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uip-nmcli-import.XXXXXX")
chmod 700 "$tmp"
DBUS_PID='' NM_PID=''
stop() { # PID: TERM, then KILL after 5 s
    local i
    kill -TERM "$1" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    [ -n "$NM_PID" ] && stop "$NM_PID"
    [ -n "$DBUS_PID" ] && stop "$DBUS_PID"
    wait 2>/dev/null || true
    if [ "$rc" = 0 ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap cleanup EXIT

# ---- the private bus
mkdir -p "$tmp/dbus/system.d" "$tmp/etc/system-connections" "$tmp/etc/VPN" "$tmp/vpn" \
    "$tmp/data"
chmod 700 "$tmp/etc/system-connections"
sed -e '/<user>/d' -e '/<fork\/>/d' -e '/<standard_system_servicedirs\/>/d' \
    -e '/<servicehelper>/d' -e '/<pidfile>/d' -e '/<syslog\/>/d' \
    -e "s|<listen>.*</listen>|<listen>unix:path=$tmp/dbus/socket</listen>|" \
    -e "s|<includedir>system.d</includedir>|<includedir>$tmp/dbus/system.d</includedir>|" \
    -e '/<includedir>\/etc\/dbus-1\/system.d<\/includedir>/d' -e '/<include .*>.*<\/include>/d' \
    /usr/share/dbus-1/system.conf >"$tmp/dbus/system.conf"
grep -q "<listen>unix:path=$tmp/dbus/socket</listen>" "$tmp/dbus/system.conf" ||
    fail "cannot adapt /usr/share/dbus-1/system.conf"
cp /usr/share/dbus-1/system.d/org.freedesktop.NetworkManager.conf "$tmp/dbus/system.d/"
dbus-daemon --config-file="$tmp/dbus/system.conf" --nofork --nopidfile --nosyslog \
    >"$tmp/dbus.log" 2>&1 &
DBUS_PID=$!
for ((i = 0; i < 100; i++)); do
    [ -S "$tmp/dbus/socket" ] && break
    sleep 0.1
done
[ -S "$tmp/dbus/socket" ] || fail "the private dbus-daemon did not start: $(cat "$tmp/dbus.log")"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/dbus/socket

# ---- NetworkManager, managing nothing
cat >"$tmp/etc/NetworkManager.conf" <<EOF
[main]
plugins=keyfile
no-auto-default=*
auth-polkit=false
dns=none
rc-manager=unmanaged
systemd-resolved=false
hostname-mode=none

[keyfile]
unmanaged-devices=*

[connectivity]
enabled=false
EOF
unshare --net --mount --propagation private \
    sh -c "mount -t tmpfs -o mode=0755 uip-nmcli-run /run &&
           mount -t tmpfs -o mode=0700 uip-nmcli-state /var/lib/NetworkManager &&
           mount --bind '$tmp/etc' /etc/NetworkManager &&
           exec '$NM_BIN' --debug --config /etc/NetworkManager/NetworkManager.conf \
               --state-file /var/lib/NetworkManager/NetworkManager.state" \
    >"$tmp/nm.log" 2>&1 &
NM_PID=$!
st=
for ((i = 0; i < 300; i++)); do
    kill -0 "$NM_PID" 2>/dev/null || break
    st=$(timeout -s KILL 10 nmcli -t -f RUNNING general 2>/dev/null) || st=
    [ "$st" = running ] && break
    sleep 0.1
done
[ "$st" = running ] || fail "NetworkManager did not start"

# ---- nmcli with our plugin: a .name file whose plugin= is the module under test
sed -e "s|@LIBEXECDIR@|/nonexistent|" -e "s|^plugin=.*|plugin=$plugin|" \
    "$(dirname "$0")/../../data/nm-uipsec-service.name.in" >"$tmp/vpn/nm-uipsec-service.name"
chmod 644 "$tmp/vpn/nm-uipsec-service.name"
nm() { NM_VPN_PLUGIN_DIR=$tmp/vpn XDG_DATA_HOME=$tmp/data timeout -s KILL 60 nmcli "$@"; }
certs=$tmp/data/NetworkManager-uipsec
ok=0
pass() { echo "ok - $*"; ok=$((ok + 1)); }
expect_field() { # NAME FIELD VALUE
    local v
    v=$(nm -g "$2" connection show "$1") || fail "nmcli connection show $1"
    [ "$v" = "$3" ] || fail "$1: $2 is '$v', expected '$3'"
}

# 1. a certificate profile: keys, DNS, files
out=$(nm connection import type uipsec file "$fixtures/good-cert.sswan") ||
    fail "import good-cert.sswan: $out"
uuid=7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e02
echo "$out" | grep -q "$uuid" || fail "import said: $out"
expect_field "Example certificate" connection.uuid "$uuid"
expect_field "Example certificate" vpn.service-type org.freedesktop.NetworkManager.uipsec
data=$(nm -g vpn.data connection show "Example certificate")
for kv in "auth = cert" "gateway = vpn.example.test" "local-id = client@example.test" \
    "user-cert = $certs/Example certificate-cert.pem" "user-key = $certs/Example certificate-key.pem" \
    "ca-cert = $certs/Example certificate-ca.pem" 'remote-ts = 198.18.10.0/24\\,2001\:db8\:10\:\:/48'; do
    # (nmcli -g escapes "," and ":" in values with a backslash)
    printf '%s\n' "$data" | grep -qF -- "$kv" || fail "vpn.data lacks '$kv': $data"
done
expect_field "Example certificate" ipv4.dns 198.18.0.53
expect_field "Example certificate" ipv4.ignore-auto-dns yes
for f in ca cert key; do
    # (named after the connection)
    [ "$(stat -c %a "$certs/Example certificate-$f.pem")" = 600 ] || fail "Example certificate-$f.pem is not 0600"
done
[ "$(stat -c %a "$certs")" = 700 ] || fail "$certs is not 0700"
[ -f "$tmp/etc/system-connections/Example certificate.nmconnection" ] ||
    fail "NetworkManager wrote no keyfile"
pass "nmcli connection import type uipsec (certificate profile)"

# 2. export to a file, delete, import the export: the same vpn.data
nm connection export "Example certificate" "$tmp/export.sswan" >/dev/null ||
    fail "nmcli connection export"
python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); assert p["uuid"] == sys.argv[2], p' \
    "$tmp/export.sswan" "$uuid" || fail "the export is not the expected JSON"
[ "$(stat -c %a "$tmp/export.sswan")" = 600 ] || fail "the export is not 0600"
nm connection delete "Example certificate" >/dev/null || fail "nmcli connection delete"
nm connection import type uipsec file "$tmp/export.sswan" >/dev/null ||
    fail "import of the export"
again=$(nm -g vpn.data connection show "Example certificate")
[ "$again" = "$data" ] || fail "re-import differs: '$again' vs '$data'"
pass "nmcli connection export, then import of the export"

# 3. export to stdout
out=$(nm connection export "Example certificate") || fail "nmcli connection export (stdout)"
case $out in *'"type" : "ikev2-cert"'* | *'"type": "ikev2-cert"'*) ;; *) fail "export to stdout: $out" ;; esac
pass "nmcli connection export to stdout"

# 4. an EAP profile: the password is the agent's
nm connection import type uipsec file "$fixtures/good-eap.sswan" >/dev/null ||
    fail "import good-eap.sswan"
data=$(nm -g vpn.data connection show "Example EAP")
case ", $data," in *", password-flags = 1,"*) ;; *) fail "no password-flags = 1: $data" ;; esac
case ", $data," in *", user = alice,"*) ;; *) fail "no user = alice: $data" ;; esac
pass "nmcli connection import (EAP profile)"

# expect_refused FILE WORD VPNS: importing FILE fails with a message holding WORD and the
# number of VPN connections stays VPNS.
expect_refused() {
    local out
    if out=$(nm connection import type uipsec file "$1" 2>&1); then
        fail "$(basename "$1") was imported: $out"
    fi
    echo "$out" | grep -q "$2" || fail "nmcli did not show the error: $out"
    [ "$(nm -t -f TYPE connection show | grep -c vpn)" = "$3" ] || fail "a connection was added"
}

# 5. a bad profile: nmcli fails with our message, nothing is added
expect_refused "$fixtures/bad-unknown-fields.sswan" remote.bogus 2
pass "nmcli connection import of a bad profile fails with the plugin's message"

# 6. an Apple .mobileconfig (issue 14): EAP-TLS, its PKCS#12 identity and a PEM payload with a
#    chain of two CAs, written next to the connection's other files
mc=$(dirname "$0")/mobileconfig
out=$(nm connection import type uipsec file "$mc/good-eap-tls.mobileconfig") ||
    fail "import good-eap-tls.mobileconfig: $out"
echo "$out" | grep -qi "0C2F7B1E-6A4D-4E1B-9C3A-2B1D0E0F1A02" || fail "import said: $out"
data=$(nm -g vpn.data connection show "Example EAP-TLS")
for kv in "auth = eap-tls" "gateway = 198.18.0.1" "remote-id = vpn.example.test" \
    "user-cert = $certs/Example EAP-TLS-cert.pem" "user-key = $certs/Example EAP-TLS-key.pem" \
    "ca-cert = $certs/Example EAP-TLS-ca.pem"; do
    printf '%s\n' "$data" | grep -qF -- "$kv" || fail "vpn.data lacks '$kv': $data"
done
[ "$(grep -c 'BEGIN CERTIFICATE' "$certs/Example EAP-TLS-ca.pem")" = 2 ] ||
    fail "Example EAP-TLS-ca.pem does not hold the chain's two CAs"
openssl pkey -in "$certs/Example EAP-TLS-key.pem" -noout 2>/dev/null ||
    fail "Example EAP-TLS-key.pem is not a private key"
pass "nmcli connection import of a .mobileconfig (EAP-TLS, PKCS#12, a CA chain)"

# 7. a .mobileconfig with what uipsec cannot do: refused by name, nothing added
expect_refused "$mc/bad-3des.mobileconfig" 3DES 3
pass "nmcli connection import of a bad .mobileconfig fails with the plugin's message"

echo "$ok passed"
