# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Helpers for the interop tests against a real strongSwan gateway (tests/interop/).
#
#   uipi-cl [192.0.2.1/24, 2001:db8:ff::1/64] uipi-cl0 ==veth== uipi-gw0 [192.0.2.2/24,
#   2001:db8:ff::2/64] uipi-gw, bridge uipi-br (no ports): 198.18.2.1/24, 2001:db8:2::1/64
#
# The gateway is charon + kernel-libipsec (the kernel here has no ESP) under unshare with
# a private /run, its own strongswan.conf (STRONGSWAN_CONF), SWANCTL_DIR, vici socket and
# filelog.  The protected prefixes refuse packets that arrive in cleartext on uipi-gw0
# (ip rule ... prohibit), and the client namespace has default routes towards the gateway,
# so "reachable" really means "through the tunnel".
#
# The client under test reads an uip-ike-client config (docs/uip-ike-client.md) and prints
# "established ..." / "failed ..." lines.  With UIP_INTEROP_CLIENT=standin (or when
# uip-ike-client is not built and UIP_INTEROP_CLIENT=auto) a second charon with
# kernel-libipsec stands in for it: the same config file is translated into a swanctl
# connection, and a monitor turns its state into the same event lines, so every case
# (and every gateway configuration) runs unchanged against either client.
#
# Reused from tests/netns/lib.sh: uip_log/uip_step/uip_fail/uip_skip, uip_alive/uip_stop/
# uip_wait/uip_track, uip_ns_pair, uip_protect, uip_ping, uip_iperf(_server), uip_cleanup.

# shellcheck source=tests/netns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../netns/lib.sh"
# shellcheck disable=SC2034 # used by test-interop.sh
UIPI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# UIP_INTEROP_PREFIX (4 letters, default uipi) names the namespaces and links, so that two
# runs (a developer's and a helper's) can share a machine.
P=${UIP_INTEROP_PREFIX:-uipi}
NS_GW=$P-gw NS_CL=$P-cl
VETH_GW=$P-gw0 VETH_CL=$P-cl0
OUT_GW=192.0.2.2 OUT_CL=192.0.2.1
OUT6_GW=2001:db8:ff::2 OUT6_CL=2001:db8:ff::1
BR_GW=$P-br
PROT4=198.18.2.1 PROT6=2001:db8:2::1
NET4=198.18.2.0/24 NET6=2001:db8:2::/64
POOL4=198.18.100.0/24 POOL6=2001:db8:100::/112
DNS4=198.18.2.53 DNS6=2001:db8:2::53
DNS_DOMAIN=corp.example.test
GW_ID=gw.example.test CL_ID=client.example.test
EAP_USER=alice
CL_TUN=$P-tun0
CHARON=${UIP_CHARON:-/usr/lib/ipsec/charon}
# The plugins every charon here loads, in this order (kernel-libipsec before kernel-netlink:
# the kernel has no ESP), and swanctl's; uipi_init checks that each one is installed.
UIPI_CHARON_PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints kdf sha1 sha2 hmac gcm aes kernel-libipsec kernel-netlink socket-default vici eap-identity eap-mschapv2 eap-tls"
UIPI_SWANCTL_PLUGINS="pem pkcs1 pkcs8 x509 pubkey openssl"

GW_DIR='' GW_PID='' GW_LOG=''
CL_KIND='' CL_PID='' CL_OUT='' CL_ERR='' CL_CONF='' CL_DIR='' CL_LOG='' CL_MON_PID=''
declare -A EV=() # the fields of the last event line (EV[event], EV[reason], EV[vip4], ...)

# ---------------------------------------------------------------- set-up

# uipi_init "$@": build folder ($1, else $MESON_BUILD_ROOT, else <repo>/build), the client
# (UIP_IKE_CLIENT, else BUILD/tests/tools/uip-ike-client), prerequisites, temp folder,
# EXIT trap (kills only our PIDs, deletes only our namespaces and temp folder).
uipi_init() {
    local build=${1:-${MESON_BUILD_ROOT:-$UIP_SRC_ROOT/build}}
    UIP_BUILD=$(cd "$build" 2>/dev/null && pwd) || UIP_BUILD=$build
    UIP_IKE_CLIENT=${UIP_IKE_CLIENT:-$UIP_BUILD/tests/tools/uip-ike-client}

    [ "$(id -u)" = 0 ] || uip_skip "needs root (network namespaces, TUN)"
    [ -c /dev/net/tun ] || uip_skip "no /dev/net/tun"
    uip_need ip openssl ping iperf3 ss unshare mount timeout stdbuf swanctl pki awk sed nft
    [ -x "$CHARON" ] || uip_skip "no charon at $CHARON (Debian: strongswan-charon)"
    local missing
    # shellcheck disable=SC2086 # the lists are words
    missing=$(uip_swan_missing $UIPI_CHARON_PLUGINS $UIPI_SWANCTL_PLUGINS) ||
        uip_skip "strongSwan plugins missing: ${missing//$'\n'/, }"

    case ${UIP_INTEROP_CLIENT:-auto} in
    ours) [ -x "$UIP_IKE_CLIENT" ] || uip_fail "uip-ike-client not found at $UIP_IKE_CLIENT" ;;
    standin) ;;
    auto)
        if [ -x "$UIP_IKE_CLIENT" ]; then
            UIP_INTEROP_CLIENT=ours
        elif [ -n "${UIP_NETNS_REQUIRED:-}" ]; then
            uip_fail "uip-ike-client not found at $UIP_IKE_CLIENT (build it: ninja -C $UIP_BUILD tests/tools/uip-ike-client)"
        else
            UIP_INTEROP_CLIENT=standin
        fi
        ;;
    *) uip_fail "UIP_INTEROP_CLIENT must be ours, standin or auto" ;;
    esac
    CL_KIND=$UIP_INTEROP_CLIENT

    UIP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/uip-interop.XXXXXX") || uip_fail "mktemp failed"
    chmod 700 "$UIP_TMP"
    : >"$UIP_TMP/pids"
    trap uipi_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# Processes started inside a case subshell are not in the parent's UIP_PIDS: they are
# also recorded as "PID STARTTIME" in $UIP_TMP/pids, so that the parent can end them
# (only if the same process still runs) when it is interrupted.
uipi_track() {
    local st
    uip_track "$1"
    st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }') || st=
    printf '%s %s\n' "$1" "$st" >>"$UIP_TMP/pids"
}

uipi_kill_recorded() {
    local pid st now
    [ -n "$UIP_TMP" ] && [ -r "$UIP_TMP/pids" ] || return 0
    while read -r pid st; do
        uip_alive "$pid" || continue
        now=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $20 }') || now=
        [ "$now" = "$st" ] || continue
        kill -TERM "$pid" 2>/dev/null || true
    done <"$UIP_TMP/pids"
    sleep 0.3
    while read -r pid st; do
        uip_alive "$pid" || continue
        now=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $20 }') || now=
        if [ "$now" = "$st" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    done <"$UIP_TMP/pids"
}

uipi_cleanup() {
    local rc=$?
    set +e
    uipi_kill_recorded
    (exit "$rc")
    uip_cleanup
}

# uipi_setup_net: both namespaces, the veth, the protected bridge, prohibit rules and
# default routes in the client namespace.
uipi_setup_net() {
    # (lib.sh helpers are not written for set -e: call them in a tested context)
    uip_ns_pair "$NS_GW" "$NS_CL" "$VETH_GW" "$VETH_CL" "$OUT_GW/24" "$OUT_CL/24" || uip_fail "namespace set-up failed"
    ip -n "$NS_GW" -6 addr add "$OUT6_GW/64" dev "$VETH_GW" nodad
    ip -n "$NS_CL" -6 addr add "$OUT6_CL/64" dev "$VETH_CL" nodad
    ip -n "$NS_GW" link add "$BR_GW" type bridge
    ip -n "$NS_GW" addr add "$PROT4/24" dev "$BR_GW"
    ip -n "$NS_GW" -6 addr add "$PROT6/64" dev "$BR_GW" nodad
    ip -n "$NS_GW" link set "$BR_GW" up
    # A plain client: default routes towards the gateway, as on a real network.
    ip -n "$NS_CL" route add default via "$OUT_GW"
    ip -n "$NS_CL" -6 route add default via "$OUT6_GW"
    ip netns exec "$NS_GW" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    uip_protect "$NS_GW" "$VETH_GW" "$NET4" "$NET6" || uip_fail "prohibit rules failed"
}

# uipi_assert_unreachable: the protected hosts must not answer in cleartext.
uipi_assert_unreachable() {
    if ip netns exec "$NS_CL" ping -n -c 1 -W 1 "$PROT4" >/dev/null 2>&1; then
        uip_fail "$PROT4 answers in cleartext before the tunnel is up: the test would prove nothing"
    fi
    if ip netns exec "$NS_CL" ping -6 -n -c 1 -W 1 "$PROT6" >/dev/null 2>&1; then
        uip_fail "$PROT6 answers in cleartext before the tunnel is up: the test would prove nothing"
    fi
}

# ---------------------------------------------------------------- test PKI

# uipi_pki: a test CA (RSA 3072), gateway certificates (RSA 3072 and ECDSA P-256, SAN DNS
# gw.example.test), client certificates (RSA 3072, ECDSA P-256, SAN client.example.test),
# a second, unrelated CA and a client certificate it issued (cl-other, ECDSA P-256, same
# SAN: the EAP-TLS negative case); all made now, in $UIP_TMP/pki, removed with it.
uipi_pki() {
    local d=$UIP_TMP/pki n
    PKI=$d
    [ -e "$d/ca.pem" ] && return 0
    mkdir -p "$d"
    (
        set -e
        umask 077
        cd "$d"
        pki --gen --type rsa --size 3072 --outform pem >ca.key
        pki --self --ca --lifetime 30 --in ca.key --type rsa --dn "CN=uipi test CA" --outform pem >ca.pem
        pki --gen --type ecdsa --size 256 --outform pem >other-ca.key
        pki --self --ca --lifetime 30 --in other-ca.key --type ecdsa --dn "CN=uipi other CA" --outform pem >other-ca.pem
        for n in gw-rsa:rsa:3072:$GW_ID gw-ecdsa:ecdsa:256:$GW_ID cl-rsa:rsa:3072:$CL_ID cl-ecdsa:ecdsa:256:$CL_ID; do
            IFS=: read -r name type size id <<<"$n"
            pki --gen --type "$type" --size "$size" --outform pem >"$name.key"
            pki --pub --in "$name.key" --type "$type" |
                pki --issue --cacert ca.pem --cakey ca.key --lifetime 30 --dn "CN=$id" --san "$id" \
                    --flag serverAuth --flag clientAuth --flag ikeIntermediate --outform pem >"$name.pem"
            # PKCS#8 copy for the client under test
            openssl pkey -in "$name.key" -out "$name.p8.pem"
        done
        pki --gen --type ecdsa --size 256 --outform pem >cl-other.key
        pki --pub --in cl-other.key --type ecdsa |
            pki --issue --cacert other-ca.pem --cakey other-ca.key --lifetime 30 --dn "CN=$CL_ID" \
                --san "$CL_ID" --flag clientAuth --outform pem >cl-other.pem
        openssl pkey -in cl-other.key -out cl-other.p8.pem
    ) >"$UIP_TMP/pki.log" 2>&1 || true
    for n in ca other-ca gw-rsa gw-ecdsa cl-rsa cl-ecdsa cl-other; do
        if ! [ -s "$d/$n.pem" ] || ! [ -s "$d/$n.key" ]; then
            cat "$UIP_TMP/pki.log" >&2
            uip_fail "making the test certificates with pki failed ($n)"
        fi
    done
}

# uipi_p11_signer PID WHAT: the one PKCS#11 signer process (src/ike/pkcs11-signer.h) that is a
# child of PID (WHAT: the client / the service, for the message); fails when there is none.
uipi_p11_signer() {
    local p found=''
    for p in /proc/[0-9]*; do
        [ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$1" ] || continue
        tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- '--pkcs11-signer' && found+=" ${p#/proc/}"
    done
    [ "$(wc -w <<<"$found")" = 1 ] || uip_fail "expected one PKCS#11 signer process of the $2 $1, found:${found:- none}"
    printf '%s\n' "${found# }"
}

# uipi_p11_token: a SoftHSM2 token "uipk" in $UIP_TMP/p11 (its own softhsm2.conf, exported as
# SOFTHSM2_CONF for the client) holding the client keys cl-ecdsa (id 01) and cl-rsa (id 02)
# of the PKI and their certificates; P11_PIN is its user PIN.  The key files stay out of it
# afterwards: the client has only the token.
uipi_p11_token() {
    local d=$UIP_TMP/p11 mod n id
    P11_PIN=$(openssl rand -hex 4)
    export SOFTHSM2_CONF=$d/softhsm2.conf
    [ -e "$d/done" ] && { P11_PIN=$(cat "$d/pin"); return 0; }
    uip_need softhsm2-util pkcs11-tool
    mod=$(find /usr/lib /usr/lib64 -name libsofthsm2.so -path '*softhsm*' 2>/dev/null | head -n 1)
    [ -n "$mod" ] || uip_skip "libsofthsm2.so is not installed (Debian: softhsm2)"
    mkdir -p "$d/tokens"
    chmod 700 "$d"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
        "$d/tokens" >"$SOFTHSM2_CONF"
    printf '%s\n' "$P11_PIN" >"$d/pin"
    {
        softhsm2-util --init-token --free --label uipk --pin "$P11_PIN" --so-pin "$P11_PIN$P11_PIN"
        for n in cl-ecdsa:01 cl-rsa:02; do
            id=${n#*:} n=${n%%:*}
            softhsm2-util --import "$PKI/$n.p8.pem" --token uipk --label "$n" --id "$id" --pin "$P11_PIN"
            openssl x509 -in "$PKI/$n.pem" -outform der -out "$d/$n.der"
            pkcs11-tool --module "$mod" --token-label uipk --login --pin "$P11_PIN" \
                --write-object "$d/$n.der" --type cert --label "$n" --id "$id"
        done
    } >"$d/make.log" 2>&1 || { cat "$d/make.log" >&2; uip_fail "making the SoftHSM2 token failed"; }
    touch "$d/done"
}

# ---------------------------------------------------------------- gateway

# gw_conn NAME AUTH [key=value...]: emit one swanctl connection for the gateway.
#   AUTH: psk | eap | eap-tls | cert-rsa | cert-ecdsa  (eap-tls: the gateway signs with
#         gw-rsa in IKE and is the EAP-TLS server with the same certificate, strongSwan's
#         default AAA identity; the client certificate must chain to ca.pem)
#   keys: local_ts (default NET4,NET6), pools (pool4,pool6), remote_id (CL_ID), local_id
#         (GW_ID: the gateway's own identity; a DN must be its certificate's subject), and
#         strongSwan's own settings, left at strongSwan's defaults unless given, as a
#         gateway administrator leaves them: proposals, esp_proposals (default: "default",
#         strongSwan's long list of every algorithm it has loaded, no PFS; issue 10),
#         dpd_delay, rekey_time (IKE, 4h), reauth_time (none), over_time, child_rekey_time
#         (1h), child_life_time, unique (no), mobike (no here, strongSwan's default is
#         yes: the roaming cases turn it on), local_addrs (OUT_GW).  A case that sets an IKE or CHILD_SA time
#         also gets rand_time = 0 there, so that its rekeys happen when it says.  Below
#         10 s, strongSwan's default CHILD_SA life_time (rekey_time * 110 / 100, in whole
#         seconds) equals child_rekey_time and its default over_time (10 % of rekey_time)
#         is 0: give child_life_time / over_time too, or the SA ends instead of rekeying.
gw_conn() {
    local name=$1 auth=$2 kv
    shift 2
    local local_ts="$NET4,$NET6" pools=pool4,pool6 proposals=default esp=default remote_id=$CL_ID
    local dpd_delay='' rekey_time='' reauth_time='' over_time='' child_rekey_time='' child_life_time=''
    local unique='' ike_rand='' child_rand='' mobike=no local_addrs=$OUT_GW local_id=$GW_ID
    for kv in "$@"; do
        case ${kv%%=*} in
        local_ts) local_ts=${kv#*=} ;;
        pools) pools=${kv#*=} ;;
        proposals) proposals=${kv#*=} ;;
        esp_proposals) esp=${kv#*=} ;;
        dpd_delay) dpd_delay=${kv#*=} ;;
        rekey_time) rekey_time=${kv#*=} ike_rand=0 ;;
        reauth_time) reauth_time=${kv#*=} ike_rand=0 ;;
        over_time) over_time=${kv#*=} ;;
        child_rekey_time) child_rekey_time=${kv#*=} child_rand=0 ;;
        child_life_time) child_life_time=${kv#*=} child_rand=0 ;;
        unique) unique=${kv#*=} ;;
        mobike) mobike=${kv#*=} ;;
        local_addrs) local_addrs=${kv#*=} ;;
        remote_id) remote_id=${kv#*=} ;;
        local_id) local_id=${kv#*=} ;;
        *) uip_fail "gw_conn: unknown key $kv" ;;
        esac
    done
    local localauth remoteauth
    case $auth in
    psk)
        localauth="auth = psk
            id = $local_id"
        remoteauth="auth = psk
            id = $remote_id"
        ;;
    eap)
        localauth="auth = pubkey
            id = $local_id
            certs = $PKI/gw-rsa.pem"
        remoteauth="auth = eap-mschapv2
            eap_id = %any"
        ;;
    eap-tls)
        localauth="auth = pubkey
            id = $local_id
            certs = $PKI/gw-rsa.pem"
        remoteauth="auth = eap-tls
            id = $remote_id
            eap_id = %any
            cacerts = $PKI/ca.pem"
        ;;
    cert-rsa | cert-ecdsa)
        local t=${auth#cert-}
        localauth="auth = pubkey
            id = $local_id
            certs = $PKI/gw-$t.pem"
        remoteauth="auth = pubkey
            id = $remote_id
            cacerts = $PKI/ca.pem"
        ;;
    *) uip_fail "gw_conn: unknown auth $auth" ;;
    esac
    cat <<EOF
    $name {
        version = 2
        local_addrs = $local_addrs
        remote_addrs = %any
        encap = yes
        mobike = $mobike
        fragmentation = yes
        send_cert = always
        proposals = $proposals
        pools = $pools
        ${dpd_delay:+dpd_delay = $dpd_delay}
        ${rekey_time:+rekey_time = $rekey_time}
        ${reauth_time:+reauth_time = $reauth_time}
        ${over_time:+over_time = $over_time}
        ${ike_rand:+rand_time = $ike_rand}
        ${unique:+unique = $unique}
        local {
            $localauth
        }
        remote {
            $remoteauth
        }
        children {
            net {
                mode = tunnel
                local_ts = $local_ts
                esp_proposals = $esp
                ${child_rekey_time:+rekey_time = $child_rekey_time}
                ${child_life_time:+life_time = $child_life_time}
                ${child_rand:+rand_time = $child_rand}
                dpd_action = clear
                start_action = none
            }
        }
    }
EOF
}

# gw_start CONNECTION-TEXT: (re)start the gateway charon with those connections, the
# pools and the secrets; wait for its vici socket; load everything.  GW_CHARON_EXTRA: more
# charon { } settings (one per line).
gw_start() {
    local conns=$1 i
    uipi_pki
    gw_stop
    GW_DIR=$(mktemp -d "$UIP_TMP/gw.XXXXXX")
    _swanctl_dirs "$GW_DIR"
    chmod 700 "$GW_DIR"
    GW_LOG=$GW_DIR/charon.log
    cp "$PKI/ca.pem" "$GW_DIR/x509ca/"
    cp "$PKI/gw-rsa.key" "$GW_DIR/rsa/"
    cp "$PKI/gw-ecdsa.key" "$GW_DIR/ecdsa/"
    _charon_conf "$GW_DIR" gw "${GW_CHARON_EXTRA:-}"
    {
        printf 'connections {\n%s\n}\n' "$conns"
        cat <<EOF
pools {
    pool4 {
        addrs = $POOL4
        dns = $DNS4
        # INTERNAL_IP4_SUBNET: the protected network, for split routes
        subnet = $NET4
        # INTERNAL_DNS_DOMAIN (RFC 8598, type 25): numbered attributes are sent as raw bytes
        25 = $DNS_DOMAIN
    }
    pool6 {
        addrs = $POOL6
        dns = $DNS6
    }
}
secrets {
    ike-psk {
        id-gw = $GW_ID
        id-cl = $CL_ID
        secret = "$GW_PSK"
    }
    eap-alice {
        id = $EAP_USER
        secret = "$GW_EAP_PASSWORD"
    }
}
EOF
    } >"$GW_DIR/swanctl.conf"
    _charon_start "$GW_DIR" "$NS_GW"
    GW_PID=$CHARON_PID
}

gw_stop() {
    [ -n "$GW_PID" ] || return 0
    uip_stop "$GW_PID" TERM 5 || true
    GW_PID=
}

# gw_kill: SIGKILL the gateway (DPD test): no DELETE, no goodbye.
gw_kill() {
    [ -n "$GW_PID" ] || return 0
    uip_stop "$GW_PID" KILL 5 || true
    GW_PID=
}

gw_swanctl() { STRONGSWAN_CONF="$GW_DIR/strongswan.conf" SWANCTL_DIR=$GW_DIR timeout 20 swanctl "$@" --uri "unix://$GW_DIR/vici.sock"; }
gw_sas() { gw_swanctl --list-sas 2>&1; }

gw_log_tail() {
    [ -n "$GW_LOG" ] || return 0
    printf -- '--- gateway charon log (last %s lines of %s):\n' "${1:-40}" "$GW_LOG" >&2
    tail -n "${1:-40}" "$GW_LOG" >&2 2>/dev/null || true
}

# _swanctl_dirs DIR: the credential folders swanctl --load-all reads below SWANCTL_DIR.
_swanctl_dirs() {
    mkdir -p "$1"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
}

# _charon_conf DIR NAME [extra charon settings]: strongswan.conf for one charon.
# kernel-libipsec comes before kernel-netlink in the explicit load list (no kernel ESP).
_charon_conf() {
    local d=$1 name=$2 extra=${3:-} ikelevel=${4:-2}
    cat >"$d/strongswan.conf" <<EOF
charon {
    load = $UIPI_CHARON_PLUGINS
    port = 500
    port_nat_t = 4500
    retransmit_tries = 3
    retransmit_timeout = 1
    retransmit_base = 1.4
    half_open_timeout = 10
    send_vendor_id = no
    $extra
    syslog {
    }
    filelog {
        $name {
            path = $d/charon.log
            time_format = %T
            ike_name = yes
            flush_line = yes
            default = 1
            ike = $ikelevel
            cfg = 2
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
    load = $UIPI_SWANCTL_PLUGINS
}
EOF
}

# _charon_start DIR NS: charon in NS with a private /run; load DIR/swanctl.conf and the
# credentials in DIR (SWANCTL_DIR).  Sets CHARON_PID.
_charon_start() {
    local d=$1 ns=$2 i
    ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" \
        unshare --mount --propagation private \
        sh -c "mount -t tmpfs -o mode=0755 $P-run /run && exec $CHARON" \
        >"$d/charon.stdout" 2>&1 &
    CHARON_PID=$!
    uipi_track "$CHARON_PID"
    for ((i = 0; i < 100; i++)); do
        [ -S "$d/vici.sock" ] &&
            STRONGSWAN_CONF="$d/strongswan.conf" timeout 5 swanctl --stats --uri "unix://$d/vici.sock" >/dev/null 2>&1 &&
            break
        uip_alive "$CHARON_PID" || break
        sleep 0.1
    done
    if ! uip_alive "$CHARON_PID"; then
        cat "$d/charon.stdout" >&2
        tail -n 20 "$d/charon.log" >&2 2>/dev/null
        uip_fail "charon ($d) exited at start"
    fi
    STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR=$d timeout 20 swanctl --load-all \
        --uri "unix://$d/vici.sock" >"$d/load.out" 2>&1 || {
        cat "$d/load.out" >&2
        tail -n 20 "$d/charon.log" >&2 2>/dev/null
        uip_fail "swanctl --load-all ($d) failed"
    }
    if grep -vE "^opening directory '.*' failed" "$d/load.out" | grep -qiE 'failed|error'; then
        cat "$d/load.out" >&2
        uip_fail "swanctl --load-all ($d) reported a problem"
    fi
}

# ---------------------------------------------------------------- client

# cl_conf FILE key=value...: write an uip-ike-client config ([ike] group).  Defaults:
# gateway, local, tun, retransmit-tries=3, dpd-interval=0, nat-keepalive=20.
cl_conf() {
    local f=$1 kv
    shift
    declare -A c=([gateway]=$OUT_GW [port]=500 [local]=$OUT_CL [tun]=$CL_TUN
        [retransmit-tries]=3 [dpd-interval]=0 [nat-keepalive]=20)
    local order=(gateway port local tun auth psk user password local-id remote-id ca-cert
        user-cert user-key ike esp virtual-ipv4 virtual-ipv6 local-ts remote-ts dpd-interval
        nat-keepalive retransmit-tries)
    for kv in "$@"; do c[${kv%%=*}]=${kv#*=}; done
    (
        umask 077
        printf '[ike]\n'
        for kv in "${order[@]}"; do
            if [ -n "${c[$kv]:-}" ]; then printf '%s = %s\n' "$kv" "${c[$kv]}"; fi
        done
        for kv in "${!c[@]}"; do
            case " ${order[*]} " in *" $kv "*) ;; *) printf '%s = %s\n' "$kv" "${c[$kv]}" ;; esac
        done
    ) >"$f"
}

# cl_get FILE KEY: one value from a client config.
cl_get() { sed -n "s/^$2 = //p" "$1" | head -n 1; }

# cl_start CONF: start the client under test (ours or the stand-in) in the client namespace.
cl_start() {
    CL_CONF=$1
    CL_DIR=$(mktemp -d "$UIP_TMP/cl.XXXXXX")
    mkdir -p "$CL_DIR"
    chmod 700 "$CL_DIR"
    CL_OUT=$CL_DIR/client.out
    CL_ERR=$CL_DIR/client.err
    CL_LOG=$CL_ERR
    : >"$CL_OUT"
    : >"$CL_ERR"
    EV=()
    CL_SEEN=0
    if [ "$CL_KIND" = ours ]; then
        # no stdbuf: the client flushes each event line itself, and stdbuf's
        # preloaded library would come before the sanitizer runtime of an ASan build
        ip netns exec "$NS_CL" env G_MESSAGES_DEBUG=all \
            "$UIP_IKE_CLIENT" "$CL_CONF" >"$CL_OUT" 2>"$CL_ERR" &
        CL_PID=$!
        uipi_track "$CL_PID"
    else
        standin_start "$CL_CONF"
    fi
}

# cl_wait EVENT-REGEX SECONDS: wait for a line matching ^(EVENT-REGEX) on the client's
# stdout (after those already consumed); parse it into EV[].  Returns 1 on timeout.
CL_SEEN=0
cl_wait() {
    local re=$1 secs=$2 i line n
    for ((i = 0; i < secs * 10; i++)); do
        n=$(wc -l <"$CL_OUT")
        line=$(grep -nE "^($re)( |\$)" "$CL_OUT" 2>/dev/null | awk -F: -v s="$CL_SEEN" '$1 > s' | head -n 1) || true
        if [ -n "$line" ]; then
            CL_SEEN=${line%%:*}
            _ev_parse "${line#*:}"
            return 0
        fi
        if [ -n "$CL_PID" ] && ! uip_alive "$CL_PID" && [ "$n" = "$(wc -l <"$CL_OUT")" ]; then
            # the client ended: one last look
            line=$(grep -nE "^($re)( |\$)" "$CL_OUT" 2>/dev/null | awk -F: -v s="$CL_SEEN" '$1 > s' | head -n 1) || true
            [ -z "$line" ] || { CL_SEEN=${line%%:*}; _ev_parse "${line#*:}"; return 0; }
            return 1
        fi
        sleep 0.1
    done
    return 1
}

_ev_parse() {
    local w
    EV=([line]="$1")
    EV[event]=${1%% *}
    for w in ${1#* }; do
        case $w in *=*) EV[${w%%=*}]=${w#*=} ;; esac
    done
}

cl_dump() {
    printf -- '--- client (%s) stdout:\n' "$CL_KIND" >&2
    tail -n 20 "$CL_OUT" >&2 2>/dev/null || true
    printf -- '--- client (%s) log (last %s lines of %s):\n' "$CL_KIND" "${1:-40}" "$CL_LOG" >&2
    tail -n "${1:-40}" "$CL_LOG" >&2 2>/dev/null || true
}

# cl_established SECONDS: wait for established (or failed); fail the case otherwise.
cl_established() {
    if ! cl_wait 'established|failed' "${1:-30}"; then
        cl_dump
        gw_log_tail
        uip_fail "no established/failed line from the client within ${1:-30} s"
    fi
    if [ "${EV[event]}" != established ]; then
        cl_dump
        gw_log_tail
        uip_fail "client failed: ${EV[line]}"
    fi
    UP_VIP4=${EV[vip4]:-} UP_VIP6=${EV[vip6]:-}
    uip_log "  ${EV[line]}"
}

# cl_expect_failure REASON SECONDS: the client must print "failed reason=REASON" in time.
cl_expect_failure() {
    local want=$1 secs=$2 t0=$SECONDS
    if ! cl_wait 'established|failed' "$secs"; then
        cl_dump
        gw_log_tail
        uip_fail "no failed line from the client within $secs s (expected reason=$want)"
    fi
    uip_log "  ${EV[line]}   [after $((SECONDS - t0)) s]"
    if [ "${EV[event]}" != failed ] || [ "${EV[reason]:-}" != "$want" ]; then
        cl_dump
        gw_log_tail
        uip_fail "expected 'failed reason=$want', got: ${EV[line]}"
    fi
}

# cl_apply: what NetworkManager does with an established event: addresses on the TUN,
# one route per remote traffic selector through it.
cl_apply() {
    local tun=${EV[tun]:-} ts src
    [ -n "$tun" ] || uip_fail "established line without tun=: ${EV[line]}"
    ip -n "$NS_CL" link set "$tun" up 2>/dev/null || true
    if [ -n "${EV[vip4]:-}" ]; then
        ip -n "$NS_CL" addr replace "${EV[vip4]}/32" dev "$tun" || uip_fail "cannot add ${EV[vip4]} on $tun"
    fi
    if [ -n "${EV[vip6]:-}" ]; then
        ip -n "$NS_CL" -6 addr replace "${EV[vip6]}/128" dev "$tun" nodad || uip_fail "cannot add ${EV[vip6]} on $tun"
    fi
    for ts in ${EV[remote-ts]//,/ }; do
        case $ts in
        *:*) src=${EV[vip6]:-} ;;
        *) src=${EV[vip4]:-} ;;
        esac
        case $ts in
        0.0.0.0/0) _route "$tun" "$src" 0.0.0.0/1 128.0.0.0/1 ;;
        ::/0) _route "$tun" "$src" ::/1 8000::/1 ;;
        *) _route "$tun" "$src" "$ts" ;;
        esac
    done
}

_route() {
    local tun=$1 src=$2 p
    shift 2
    for p in "$@"; do
        ip -n "$NS_CL" route replace "$p" dev "$tun" ${src:+src "$src"} ||
            uip_fail "cannot route $p via $tun"
    done
}

# cl_stop: SIGTERM (ours) / terminate (stand-in); waits for the exit (10 s at most).
# Returns the client's exit status.
cl_stop() {
    local rc=0
    if [ "$CL_KIND" = ours ]; then
        [ -n "$CL_PID" ] || return 0
        uip_stop "$CL_PID" TERM 10 || rc=$?
        CL_PID=
    else
        standin_stop || rc=$?
    fi
    return "$rc"
}

# ---------------------------------------------------------------- stand-in client

# standin_start CONF: a second charon (kernel-libipsec) in the client namespace, with the
# client config translated to a swanctl connection; a monitor initiates it and writes
# uip-ike-client-style event lines to $CL_OUT.
standin_start() {
    local conf=$1 d=$CL_DIR/charon
    mkdir -p "$d"
    _swanctl_dirs "$d"
    CL_LOG=$d/charon.log
    local auth psk user password lid rid ca ucert ukey ike esp v4 v6 lts rts dpd tries
    auth=$(cl_get "$conf" auth)
    psk=$(cl_get "$conf" psk)
    user=$(cl_get "$conf" user)
    password=$(cl_get "$conf" password)
    lid=$(cl_get "$conf" local-id)
    rid=$(cl_get "$conf" remote-id)
    ca=$(cl_get "$conf" ca-cert)
    ucert=$(cl_get "$conf" user-cert)
    ukey=$(cl_get "$conf" user-key)
    ike=$(cl_get "$conf" ike)
    esp=$(cl_get "$conf" esp)
    v4=$(cl_get "$conf" virtual-ipv4)
    v6=$(cl_get "$conf" virtual-ipv6)
    lts=$(cl_get "$conf" local-ts)
    rts=$(cl_get "$conf" remote-ts)
    dpd=$(cl_get "$conf" dpd-interval)
    tries=$(cl_get "$conf" retransmit-tries)
    local vips=
    [ "$v4" = yes ] && vips=0.0.0.0
    [ "$v6" = yes ] && vips=${vips:+$vips,}::
    local lauth rauth secrets=
    case $auth in
    psk)
        lauth="auth = psk
            id = ${lid:-$OUT_CL}"
        rauth="auth = psk
            id = ${rid:-$OUT_GW}"
        secrets="ike-1 {
        id-1 = ${lid:-$OUT_CL}
        id-2 = ${rid:-$OUT_GW}
        secret = \"$psk\"
    }"
        ;;
    eap-mschapv2)
        lauth="auth = eap-mschapv2
            id = ${lid:-$OUT_CL}
            eap_id = $user"
        rauth="auth = pubkey
            id = ${rid:-$OUT_GW}
            ${ca:+cacerts = $ca}"
        secrets="eap-1 {
        id = $user
        secret = \"$password\"
    }"
        ;;
    cert)
        case $(head -n 1 "$ukey") in
        *EC*) cp "$ukey" "$d/ecdsa/client.key" ;;
        *RSA*) cp "$ukey" "$d/rsa/client.key" ;;
        *) cp "$ukey" "$d/private/client.key" ;;
        esac
        lauth="auth = pubkey
            id = ${lid:-$OUT_CL}
            certs = $ucert"
        rauth="auth = pubkey
            id = ${rid:-$OUT_GW}
            ${ca:+cacerts = $ca}"
        ;;
    *) uip_fail "stand-in: unsupported auth '$auth'" ;;
    esac
    # Proposals our client offers by default (docs: strongSwan-style strings).
    [ -n "$ike" ] || ike="aes256gcm16-aes128gcm16-chacha20poly1305-prfsha384-prfsha256-x25519-ecp256-ecp384-modp2048,aes256-aes128-sha384-sha256-x25519-ecp256-ecp384-modp2048"
    [ -n "$esp" ] || esp="aes256gcm16-aes128gcm16-chacha20poly1305,aes256-aes128-sha384-sha256"
    cat >"$d/swanctl.conf" <<EOF
connections {
    uipi {
        version = 2
        local_addrs = $(cl_get "$conf" local)
        remote_addrs = $(cl_get "$conf" gateway)
        encap = yes
        mobike = no
        fragmentation = yes
        proposals = $ike
        ${vips:+vips = $vips}
        dpd_delay = ${dpd:-0}s
        local {
            $lauth
        }
        remote {
            $rauth
        }
        children {
            uipi {
                mode = tunnel
                esp_proposals = $esp
                local_ts = ${lts:-dynamic}
                remote_ts = ${rts:-0.0.0.0/0,::/0}
                start_action = none
                dpd_action = clear
            }
        }
    }
}
secrets {
    $secrets
}
EOF
    local ikelevel=2
    [ "${UIP_IKE_DEBUG_KEYS:-}" = 1 ] && ikelevel=4
    # kernel-libipsec insists on installing the VIP and its routes (table 220) itself;
    # cl_apply then only "replaces" the same address and adds main-table routes.
    _charon_conf "$d" cl "retransmit_tries = ${tries:-3}" "$ikelevel"
    _charon_start "$d" "$NS_CL"
    CL_PID=$CHARON_PID
    CL_SADIR=$d
    _standin_monitor "$d" >>"$CL_OUT" 2>>"$CL_ERR" &
    CL_MON_PID=$!
    uipi_track "$CL_MON_PID"
}

cl_swanctl() { STRONGSWAN_CONF="$CL_SADIR/strongswan.conf" SWANCTL_DIR=$CL_SADIR timeout 20 swanctl "$@" --uri "unix://$CL_SADIR/vici.sock"; }

# The stand-in's monitor: initiate, then print what uip-ike-client would print.
_standin_monitor() {
    local d=$1 out rc sas reason
    set +eE
    trap - ERR
    out=$(cl_swanctl --initiate --child uipi --timeout 40 2>&1)
    rc=$?
    printf '%s\n' "$out" >"$d/initiate.out"
    if [ "$rc" != 0 ]; then
        reason=protocol
        if grep -qE 'AUTHENTICATION_FAILED|constraint check failed|no trusted .* public key found|authentication of .* failed|no matching peer config|EAP[_A-Z0-9]* method failed|received EAP_FAILURE' "$d/charon.log"; then
            reason=auth
        elif grep -qE 'NO_PROPOSAL_CHOSEN|no proposal found|received proposals .* inacceptable' "$d/charon.log"; then
            reason=proposal
        elif grep -qE 'giving up after [0-9]+ retransmits|peer not responding' "$d/charon.log"; then
            reason=unreachable
        fi
        printf 'failed reason=%s message=stand-in_charon:_%s\n' "$reason" \
            "$(grep -E 'giving up|received .*notify error|failed|inacceptable|no trusted|constraint' "$d/charon.log" |
                grep -vE 'handling .* attribute failed' | tail -n 1 | sed -e 's/^.*] <[^>]*> *//' -e 's/ /_/g' | cut -c1-120)"
        return 0
    fi
    sas=$(cl_swanctl --list-sas 2>&1)
    printf '%s\n' "$sas" >"$d/sas.out"
    _standin_established "$sas"
    if [ "${UIP_IKE_DEBUG_KEYS:-}" = 1 ]; then
        _standin_keys "$d/charon.log" "$sas"
    fi
    # after that: rekeys and the death of the peer
    local nchild nike ndel
    local seen_child=0 seen_ike=0
    while :; do
        sleep 0.2
        # read the DELETE count before the rekey count: a rekey logs "rekeyed" before the
        # old IKE_SA's DELETE arrives, so a rekey never looks like a deletion
        ndel=$(grep -cE 'received DELETE for IKE_SA' "$d/charon.log")
        nchild=$(grep -cE 'CHILD_SA uipi\{[0-9]+\} established' "$d/charon.log")
        nike=$(grep -cE 'IKE_SA uipi\[[0-9]+\] rekeyed|IKE_SA .* rekeyed between' "$d/charon.log")
        while [ "$seen_child" -lt $((nchild - 1)) ]; do
            seen_child=$((seen_child + 1))
            printf 'child-rekeyed\n'
        done
        while [ "$seen_ike" -lt "$nike" ]; do
            seen_ike=$((seen_ike + 1))
            printf 'ike-rekeyed\n'
        done
        if grep -qE 'giving up after [0-9]+ retransmits' "$d/charon.log"; then
            printf 'failed reason=dead-peer message=stand-in_charon:_giving_up_after_retransmits\n'
            return 0
        fi
        # a DELETE for the IKE_SA that is not the end of a rekey
        if [ "$ndel" -gt "$nike" ]; then
            printf 'failed reason=protocol message=gateway_deleted_the_IKE_SA\n'
            return 0
        fi
    done
}

# Turn the stand-in's swanctl --list-sas into an "established" line.
_standin_established() {
    awk -v tun="ipsec0" '
        /^uipi: #/ && !ike { ikesa = 1 }
        ikesa && /^  local / {
            if (match($0, /\[[^]]*\]$/)) {
                n = split(substr($0, RSTART + 1, RLENGTH - 2), v, " ")
                for (i = 1; i <= n; i++) if (v[i] ~ /:/) vip6 = v[i]; else vip4 = v[i]
            }
        }
        ikesa && /^  remote / { split($4, g, "["); gw = g[1] }
        ikesa && /^  [A-Z0-9_]+(-[0-9]+)?\// && !ike { ike = $1 }
        /INSTALLED, TUNNEL/ { n = split($0, f, "ESP:"); esp = f[2]; sub(/[ ,].*/, "", esp) }
        /^    in  / { spiin = $2; sub(/,$/, "", spiin) }
        /^    out / { spiout = $2; sub(/,$/, "", spiout) }
        /^    local  / { lts = $2; for (i = 3; i <= NF; i++) lts = lts "," $i }
        /^    remote / { rts = $2; for (i = 3; i <= NF; i++) rts = rts "," $i }
        END {
            printf "established tun=%s mtu=1400 gateway=%s", tun, gw
            if (vip4 != "") printf " vip4=%s", vip4
            if (vip6 != "") printf " vip6=%s", vip6
            printf " local-ts=%s remote-ts=%s ike=%s esp=%s spi-in=%s spi-out=%s\n", lts, rts, ike, esp, spiin, spiout
        }' <<<"$1"
}

# The stand-in logs its SK_* keys at ike level 4: turn them into an ike-keys line.
_standin_keys() {
    local log=$1 sas=$2 spii spir
    spii=$(sed -n 's/^uipi: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i.* \([0-9a-f]*\)_r.*/\1/p' <<<"$sas")
    spir=$(sed -n 's/^uipi: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i.* \([0-9a-f]*\)_r.*/\2/p' <<<"$sas")
    awk -v spii="$spii" -v spir="$spir" -v ike="$(awk '/^  [A-Z0-9_]+(-[0-9]+)?\//{print $1; exit}' <<<"$sas")" '
        # "Sk_ei secret => 36 bytes @ 0x..." then hex dump lines "... <uipi|1>   16: 3B 35 ..."
        /Sk_(ei|er|ai|ar) secret =>/ {
            match($0, /Sk_[a-z][a-z]/); cur = tolower(substr($0, RSTART, RLENGTH))
            if (cur in k) cur = ""      # keep the first IKE_SA (before any rekey)
            else k[cur] = ""
            next
        }
        cur != "" && /> +[0-9]+: [0-9A-F][0-9A-F]( |$)/ {
            line = $0; sub(/^.*> +[0-9]+: /, "", line)
            n = split(substr(line, 1, 48), b, " ")
            for (i = 1; i <= n; i++) if (b[i] ~ /^[0-9A-F][0-9A-F]$/) k[cur] = k[cur] tolower(b[i])
            next
        }
        { cur = "" }
        END {
            split(ike, p, "/"); encr = p[1]; integ = (p[2] ~ /^HMAC/) ? p[2] : "none"
            printf "ike-keys spi-i=%s spi-r=%s sk-ei=%s sk-er=%s sk-ai=%s sk-ar=%s encr=%s integ=%s\n",
                spii, spir, k["sk_ei"], k["sk_er"], k["sk_ai"], k["sk_ar"], encr, integ
        }' "$log"
}

standin_stop() {
    local rc=0
    [ -n "$CL_PID" ] || return 0
    if uip_alive "$CL_PID"; then
        cl_swanctl --terminate --ike uipi --timeout 5 >"$CL_SADIR/terminate.out" 2>&1 || true
    fi
    [ -n "$CL_MON_PID" ] && { uip_stop "$CL_MON_PID" TERM 2 || true; }
    CL_MON_PID=
    uip_stop "$CL_PID" TERM 5 || rc=$?
    CL_PID=
    printf 'closed\n' >>"$CL_OUT"
    return "$rc"
}

# ---------------------------------------------------------------- checks

# ping_through COUNT ADDR...: COUNT replies from each protected address (v4 from vip4,
# v6 from vip6).
ping_through() {
    local n=$1 a src
    shift
    for a in "$@"; do
        case $a in *:*) src=${UP_VIP6:-} ;; *) src=${UP_VIP4:-} ;; esac
        [ -n "$src" ] || uip_fail "no virtual IP of the family of $a to ping from"
        # the first packets may race the last route/address: retry the first one a little
        local i
        for ((i = 0; i < 20; i++)); do
            ip netns exec "$NS_CL" ping -n -c 1 -W 1 -I "$src" "$a" >/dev/null 2>&1 && break
        done
        uip_ping "$NS_CL" "$src" "$a" "$n" || {
            cl_dump 20
            gw_log_tail 20
            uip_fail "ping $src -> $a through the tunnel failed"
        }
    done
}

# gw_expect_one_sa NAME: wait (5 s at most: a rekey or a DELETE may be under way) until the
# gateway lists exactly one IKE_SA of connection NAME and one installed CHILD_SA; fail
# otherwise.  Sets GW_SA_VIP4 to the virtual IPv4 address of that IKE_SA's peer.
gw_expect_one_sa() {
    local i sas nike nchild
    for ((i = 0; i < 50; i++)); do
        sas=$(gw_sas)
        nike=$(grep -c "^$1: #" <<<"$sas" || true)
        nchild=$(grep -c 'INSTALLED' <<<"$sas" || true)
        [ "$nike" = 1 ] && [ "$nchild" = 1 ] && break
        sleep 0.1
    done
    if [ "$nike" != 1 ] || [ "$nchild" != 1 ]; then
        printf '%s\n' "$sas" >&2
        uip_fail "the gateway lists $nike IKE_SAs of $1 and $nchild installed CHILD_SAs (expected one each)"
    fi
    # "  remote 'client.example.test' @ 192.0.2.1[4500] [198.18.100.1 2001:db8:100::1]"
    GW_SA_VIP4=$(sed -n 's/^  remote .*\] \[\([0-9.]*\)[] ].*$/\1/p' <<<"$sas" | head -n 1)
}

# no_invalid_syntax: neither side sent or received INVALID_SYNTAX (issue 10).
no_invalid_syntax() {
    local f
    for f in "$GW_LOG" "$CL_ERR" "$CL_OUT"; do
        if grep -q INVALID_SYNTAX "$f"; then
            grep -m3 -B3 INVALID_SYNTAX "$f" >&2
            uip_fail "INVALID_SYNTAX in $f"
        fi
    done
}

# in_pool4 ADDR / in_pool6 ADDR
in_pool4() { [[ $1 =~ ^198\.18\.100\.([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] && [ "${BASH_REMATCH[1]}" -le 254 ]; }
in_pool6() { [[ $1 =~ ^2001:db8:100::[0-9a-f]{1,4}$ ]]; }
