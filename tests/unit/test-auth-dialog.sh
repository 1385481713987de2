#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nm-uipsec-auth-dialog through its stdin/stdout protocol, as NetworkManager's agents run it.
# No display and no network: the window is never opened (its absence is one of the cases), and
# the Secret Service cases run a private session bus (dbus-run-session) with gnome-keyring; they
# are skipped, with the reason, when dbus-run-session, gnome-keyring-daemon or secret-tool is
# missing.  TAP output.
#   usage: test-auth-dialog.sh PATH/TO/nm-uipsec-auth-dialog
set -uo pipefail

ad=${1:?usage: $0 nm-uipsec-auth-dialog}
ad=$(realpath "$ad")
service=org.freedesktop.NetworkManager.uipsec
uuid=6a5e1f8e-3a4b-4c1d-9e2f-0123456789ab

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# never reach a desktop's bus, keyring or display from here
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
export XDG_RUNTIME_DIR=$tmp/run HOME=$tmp/home LC_ALL=C.UTF-8
mkdir -m 700 "$XDG_RUNTIME_DIR" "$HOME"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # DESCRIPTION COMMAND...: one test point from a command's status
  local what=$1; shift
  if "$@"; then ok "$what"; else
    not_ok "$what"
    { echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"; } | sed 's/^/# /'
  fi
}

# input D:KEY=VALUE (vpn.data) / S:KEY=VALUE (vpn.secrets) ...: the agent's stdin, up to DONE
input() {
  local item kind kv
  for item in "$@"; do
    kind=${item%%:*} kv=${item#*:}
    case $kind in
      D) printf 'DATA_KEY=%s\nDATA_VAL=%s\n\n' "${kv%%=*}" "${kv#*=}" ;;
      S) printf 'SECRET_KEY=%s\nSECRET_VAL=%s\n\n' "${kv%%=*}" "${kv#*=}" ;;
    esac
  done
  printf 'DONE\n'
}

# run "INPUT-ITEMS" DIALOG-ARGS...: the dialog with INPUT then QUIT on stdin; out, err, rc
run() {
  local items=$1; shift
  # shellcheck disable=SC2086 # items are words on purpose
  { input $items; printf 'QUIT\n'; } |
    timeout 30 "$ad" -u "$uuid" -n "Office VPN" -s "$service" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
eui() { run "$1" --external-ui-mode -i "${@:2}"; } # external UI mode, interaction allowed

# group GROUP KEY: the value of KEY in [GROUP] of the key file in $tmp/out
group() {
  awk -v g="[$1]" -v k="$2" '
    /^\[/ { in_g = ($0 == g) }
    in_g && index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$tmp/out"
}
has_group() { grep -qxF "[$1]" "$tmp/out"; }
groups() { grep '^\[' "$tmp/out" | tr '\n' ' '; }
is() { [ "$1" = "$2" ]; }

psk=(D:gateway=vpn.example.com D:auth=psk)
eap=(D:gateway=vpn.example.com D:auth=eap-mschapv2 D:user=alice)

# ---- external UI mode (nmcli --ask, GNOME Shell) ----------------------------------------------

eui "${psk[*]}"
check "psk: exit 0" is "$rc" 0
check "psk: [VPN Plugin UI] first, Version=2, title and description" \
  eval '[ "$(head -1 "$tmp/out")" = "[VPN Plugin UI]" ] &&
        [ "$(group "VPN Plugin UI" Version)" = 2 ] &&
        [ "$(group "VPN Plugin UI" Title)" = "Authenticate VPN “Office VPN”" ] &&
        group "VPN Plugin UI" Description | grep -q "Office VPN"'
check "psk: the PSK is asked, with its label" \
  eval '[ "$(groups)" = "[VPN Plugin UI] [psk] " ] &&
        [ "$(group psk ShouldAsk)" = true ] && [ "$(group psk IsSecret)" = true ] &&
        [ "$(group psk Label)" = "Pre-shared key" ] && [ -z "$(group psk Value)" ]'

eui "${eap[*]}"
check "eap-mschapv2: only the password is asked" \
  eval '[ "$rc" = 0 ] && [ "$(groups)" = "[VPN Plugin UI] [password] " ] &&
        [ "$(group password ShouldAsk)" = true ] && [ "$(group password Label)" = Password ]'

if command -v openssl >/dev/null; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:x \
    -out "$tmp/enc.key" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/clear.key" 2>/dev/null
  cert=(D:gateway=vpn.example.com D:auth=cert D:user-cert=/etc/hostname)
  eui "${cert[*]} D:user-key=$tmp/enc.key"
  check "cert, encrypted key: the key password is asked" \
    eval '[ "$rc" = 0 ] && [ "$(groups)" = "[VPN Plugin UI] [user-key-password] " ] &&
          [ "$(group user-key-password ShouldAsk)" = true ] &&
          [ "$(group user-key-password Label)" = "Private key password" ]'
  eui "${cert[*]} D:user-key=$tmp/clear.key"
  check "cert, clear key: nothing is asked" \
    eval '[ "$rc" = 0 ] && [ "$(groups)" = "[VPN Plugin UI] " ]'
else
  skip "cert, encrypted key: the key password is asked" "no openssl"
  skip "cert, clear key: nothing is asked" "no openssl"
fi

eui "D:gateway=vpn.example.com D:auth=eap-tls D:user-cert=/etc/hostname D:user-key=pkcs11:token=uipsec;object=vpn-key"
check "key on a token: its PIN is asked (the key password, labelled Token PIN)" \
  eval '[ "$rc" = 0 ] && [ "$(groups)" = "[VPN Plugin UI] [user-key-password] " ] &&
        [ "$(group user-key-password ShouldAsk)" = true ] &&
        [ "$(group user-key-password Label)" = "Token PIN" ]'

eui "${psk[*]} D:psk-flags=4"
check "NOT_REQUIRED flags: not asked" eval '[ "$rc" = 0 ] && [ "$(groups)" = "[VPN Plugin UI] " ]'

eui "${psk[*]} D:psk-flags=0 S:psk=s3cret-of-20-characters"
check "flags 0, secret given: not asked, its value passed back" \
  eval '[ "$rc" = 0 ] && [ "$(group psk ShouldAsk)" = false ] && [ "$(group psk Value)" = s3cret-of-20-characters ]'

eui "${psk[*]} D:psk-flags=2 S:psk=s3cret-of-20-characters"
check "NOT_SAVED flags: asked even with a value" \
  eval '[ "$(group psk ShouldAsk)" = true ] && [ "$(group psk Value)" = s3cret-of-20-characters ]'

eui "${psk[*]} S:psk=s3cret-of-20-characters" --reprompt
check "--reprompt: asked again, pre-filled" \
  eval '[ "$(group psk ShouldAsk)" = true ] && [ "$(group psk Value)" = s3cret-of-20-characters ]'

run "${psk[*]}" --external-ui-mode
check "without --allow-interaction: described, not asked" \
  eval '[ "$rc" = 0 ] && [ "$(group psk ShouldAsk)" = false ]'

eui "${eap[*]}" --hint vpn.secrets.psk -t "x-vpn-message:Token expired"
check "hints: a hinted secret is added, a message replaces the description" \
  eval '[ "$(groups)" = "[VPN Plugin UI] [psk] [password] " ] &&
        [ "$(group "VPN Plugin UI" Description)" = "Token expired" ]'

# the answer is built in one buffer that must never grow after a secret is in it (a grown
# GString frees its old copy unwiped; the dialog asserts that it did not): a long message and
# a long secret of characters the key file escapes
long_msg=$(printf 'm%.0s' $(seq 3000))
long_secret=$(printf '\\%.0s' $(seq 2000))
eui "${psk[*]} D:psk-flags=2 S:psk=$long_secret" -t "x-vpn-message:$long_msg"
check "a long message and a long escaped secret: passed back whole" \
  eval '[ "$rc" = 0 ] && [ "$(group "VPN Plugin UI" Description)" = "$long_msg" ] &&
        [ "$(group psk Value | wc -c)" = 4001 ]'

eui "${psk[*]}" -t psk -t vpn.secrets.gateway -t bogus
check "hints: a bare key works, non-secrets and unknown keys are ignored" \
  eval '[ "$rc" = 0 ] && [ "$(groups)" = "[VPN Plugin UI] [psk] " ]'

# a value with a leading blank and a backslash must be escaped as GKeyFile does
printf 'DATA_KEY=auth\nDATA_VAL=psk\n\nSECRET_KEY=psk\nSECRET_VAL= a\\b\n\nDONE\n' |
  timeout 30 "$ad" -u "$uuid" -n x -s "$service" --external-ui-mode -i >"$tmp/out" 2>"$tmp/err"
check "key file escaping: leading blank, backslash" eval '[ "$(group psk Value)" = "\\sa\\\\b" ]'

# ---- standard mode (nm-applet) ------------------------------------------------------------------

# all known: the answer, then the dialog waits for QUIT
mkfifo "$tmp/in"
timeout 30 "$ad" -u "$uuid" -n "Office VPN" -s "$service" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
pid=$!
exec 3>"$tmp/in"
input "${eap[@]}" S:password=pw0rd >&3
printf 'password\npw0rd\n\n\n' >"$tmp/expected"
for _ in $(seq 100); do cmp -s "$tmp/out" "$tmp/expected" && break; sleep 0.05; done
check "standard mode, all known: key/value pairs then an empty line" cmp -s "$tmp/out" "$tmp/expected"
sleep 0.2
check "standard mode: still waiting for QUIT after answering" kill -0 "$pid"
printf 'QUIT\n' >&3
wait "$pid"
rc=$?
exec 3>&-
check "standard mode: exits 0 on QUIT" is "$rc" 0

# EOF instead of QUIT also ends it, at once
start=$SECONDS
input "${eap[@]}" S:password=pw0rd | timeout 30 "$ad" -u "$uuid" -n x -s "$service" \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
check "standard mode: exits 0 on EOF, without waiting" eval '[ "$rc" = 0 ] && [ $((SECONDS - start)) -lt 10 ]'

run "${psk[*]} D:psk-flags=4"
check "standard mode, nothing wanted: just the empty line" \
  eval '[ "$rc" = 0 ] && [ "$(od -An -c "$tmp/out" | tr -d " ")" = "\n\n" ]'

run "${eap[*]}"
check "standard mode, secret missing, no --allow-interaction: exit 1, no answer" \
  eval '[ "$rc" = 1 ] && [ ! -s "$tmp/out" ] && grep -q "allow-interaction" "$tmp/err"'

run "${eap[*]} D:password-flags=2 S:password=pw0rd"
check "standard mode, NOT_SAVED without --allow-interaction: the given value is passed back" \
  eval '[ "$rc" = 0 ] && [ "$(head -2 "$tmp/out" | tr "\n" " ")" = "password pw0rd " ]'

run "${eap[*]}" -i
check "standard mode, secret missing, no display: exit 1 with a message" \
  eval '[ "$rc" = 1 ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/err" ]'

# ---- bad invocations -----------------------------------------------------------------------------

input "${psk[@]}" | timeout 30 "$ad" -u "$uuid" -n x -s org.freedesktop.NetworkManager.openvpn \
  --external-ui-mode >"$tmp/out" 2>"$tmp/err"
rc=$?
check "another service: exit 1" eval '[ "$rc" = 1 ] && [ ! -s "$tmp/out" ]'
input "${psk[@]}" | timeout 30 "$ad" -n x -s "$service" --external-ui-mode >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no --uuid: exit 1" is "$rc" 1

# ---- saved secrets (Secret Service) -------------------------------------------------------------

agent=(D:gateway=vpn.example.com D:auth=psk D:psk-flags=1)

start=$SECONDS
eui "${agent[*]}"
check "agent-owned, no session bus: asked, at once" \
  eval '[ "$rc" = 0 ] && [ "$(group psk ShouldAsk)" = true ] && [ $((SECONDS - start)) -lt 10 ]'

if ! command -v dbus-run-session >/dev/null || ! command -v dbus-daemon >/dev/null; then
  skip "agent-owned, session bus without a Secret Service: asked, at once" "no dbus-run-session"
else
  # a bus that can activate nothing: the Secret Service is simply not there
  cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp/run</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
  start=$SECONDS
  { input "${agent[@]}"; printf 'QUIT\n'; } |
    timeout 30 dbus-run-session --config-file="$tmp/bus.conf" -- \
      "$ad" -u "$uuid" -n x -s "$service" --external-ui-mode -i >"$tmp/out" 2>"$tmp/err"
  rc=$?
  check "agent-owned, session bus without a Secret Service: asked, at once" \
    eval '[ "$rc" = 0 ] && [ "$(group psk ShouldAsk)" = true ] && [ $((SECONDS - start)) -lt 10 ]'
fi

keyring_cases=(
  "agent-owned, saved in the keyring: not asked, its value passed back"
  "agent-owned, saved, --reprompt: asked, pre-filled"
  "agent-owned, saved for another connection: asked"
  "agent-owned, standard mode without interaction: the saved value is passed back"
)
why=
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null || why="no $tool (packages dbus, gnome-keyring, libsecret-tools)"
done
if [ -n "$why" ]; then
  for c in "${keyring_cases[@]}"; do skip "$c" "$why"; done
else
  # inside a private session bus: an unlocked keyring holding one saved PSK, then the cases;
  # each case writes its output to $tmp/kN.out and its status to $tmp/kN.rc
  cat >"$tmp/keyring.sh" <<'EOF'
set -u
ad=$1 service=$2 uuid=$3 tmp=$4
printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 ||
  { echo "gnome-keyring-daemon --unlock failed" >&2; exit 2; }
printf 'saved-psk-of-20-characters' | secret-tool store --label="Office VPN PSK" \
  connection-uuid "$uuid" setting-name vpn setting-key psk ||
  { echo "secret-tool store failed" >&2; exit 2; }
input='DATA_KEY=auth\nDATA_VAL=psk\n\nDATA_KEY=psk-flags\nDATA_VAL=1\n\nDONE\nQUIT\n'
k() { # N UUID ARGS...
  local i=$1 u=$2; shift 2
  printf "$input" | timeout 20 "$ad" -u "$u" -n x -s "$service" "$@" >"$tmp/k$i.out" 2>"$tmp/k$i.err"
  echo $? >"$tmp/k$i.rc"
}
k 1 "$uuid" --external-ui-mode -i
k 2 "$uuid" --external-ui-mode -i --reprompt
k 3 00000000-0000-0000-0000-000000000000 --external-ui-mode -i
k 4 "$uuid"
EOF
  mkdir -p "$HOME/.local/share"
  timeout 60 dbus-run-session -- bash "$tmp/keyring.sh" "$ad" "$service" "$uuid" "$tmp" \
    >"$tmp/keyring.log" 2>&1
  krc=$?
  if [ "$krc" != 0 ] || [ ! -f "$tmp/k4.rc" ]; then
    reason="the test keyring could not be set up: $(tr '\n' ' ' <"$tmp/keyring.log" | cut -c1-200)"
    for c in "${keyring_cases[@]}"; do skip "$c" "$reason"; done
  else
    kcase() { cp "$tmp/k$1.out" "$tmp/out"; cp "$tmp/k$1.err" "$tmp/err"; rc=$(cat "$tmp/k$1.rc"); }
    kcase 1
    check "${keyring_cases[0]}" \
      eval '[ "$rc" = 0 ] && [ "$(group psk ShouldAsk)" = false ] && [ "$(group psk Value)" = saved-psk-of-20-characters ]'
    kcase 2
    check "${keyring_cases[1]}" \
      eval '[ "$rc" = 0 ] && [ "$(group psk ShouldAsk)" = true ] && [ "$(group psk Value)" = saved-psk-of-20-characters ]'
    kcase 3
    check "${keyring_cases[2]}" \
      eval '[ "$rc" = 0 ] && [ "$(group psk ShouldAsk)" = true ] && [ -z "$(group psk Value)" ]'
    kcase 4
    printf 'psk\nsaved-psk-of-20-characters\n\n\n' >"$tmp/expected"
    check "${keyring_cases[3]}" eval '[ "$rc" = 0 ] && cmp -s "$tmp/out" "$tmp/expected"'
  fi
fi

echo "1..$n"
[ "$failed" = 0 ]
