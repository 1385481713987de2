#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# screenshot-editor.sh [BUILD_DIR] [OUT_DIR]: a manual check (not a meson test) of our GTK 3
# editor inside the real host, nm-connection-editor, with screenshots to look at.
#
#   - a real NetworkManager on a private system bus in namespace uips-cl (tests/e2e/lib-e2e.sh,
#     UIP_E2E_PREFIX=uips; no gateway is started: nothing is activated);
#   - a uipsec connection added with nmcli (vpn.persistent no);
#   - Xvfb (1280x1024) with openbox when installed, a private session bus, and
#     nm-connection-editor --edit=UUID finding our plugin through NM_VPN_PLUGIN_DIR (a private
#     .name file whose [libnm] plugin= is BUILD/properties/libnm-vpn-plugin-uipsec.so);
#   - xdotool opens "Advanced…" (its mnemonic), ticks "Reconnect automatically" (Shift+Tab
#     twice from the first field: the last check box before Close), closes (Tab, space),
#     clicks Save; nmcli must then say vpn.persistent yes; a second round shows it ticked
#     and unticks it: no.  Windows are found by the editor's PID, not by their titles.
#   - UIPS_LANGS (default C): the languages to do this in, e.g. "C de fr": po/LANG.po compiled
#     now and shown to the editor (in its own mount namespace) at the build's LOCALEDIR, the
#     locale LANG_COUNTRY.UTF-8 compiled into a private LOCPATH; nothing is installed.
#
# Screenshots (root window and the window's contents, PNG, through xwd and xwd2png.py) and
# the window geometries go to OUT_DIR (default /tmp/uips-shots); names have a "LANG-" prefix
# for languages other than C:
#   01-editor.png / 01-editor-window.png              the editor, VPN tab
#   02-advanced.png / 02-advanced-window.png          the Advanced window as opened
#   03-advanced-toggled(-window).png                  after ticking "Reconnect automatically"
#   04-advanced-reopened(-window).png                 second round: as opened again
#   05-advanced-untoggled(-window).png                after unticking it
#   1N-method-AUTH(-window).png                       the VPN tab of a saved connection of each
#                                                     method (eap-mschapv2, cert with a key on a
#                                                     token, eap-tls, psk): its fields only,
#                                                     whatever the host showed
#   20-marks(-window).png                             psk: gateway emptied, port 70000: marked
#   21-marks-save-tooltip.png                         the pointer on Save: the editor's reason
#   (UIPS_ROUNDS=0: only these, without the vpn.persistent rounds 01-05)
# Before the shots (UIPS_IMPORT=1, the default), import-cancel.py: a .sswan import through the
# core plugin whose editor goes unsaved leaves none of its files 10 s later; saved, they stay.
#   geometry.txt                                      screen, editor and Advanced windows
#   gtk4/LANG-gtk4-*.png                              the GTK 4 editor in the small GtkDialog
#                                                     host of test-editor-gtk4 (each method, the
#                                                     Advanced window, the marks), when
#                                                     UIPS_GTK4=1 (default) and it is built
#
# Bounded in time (UIPS_LIMIT seconds, default 120 + 90 per language); ends only what it
# started, by PID, and deletes only its namespaces.  Exit 0 pass, 1 fail, 77 a tool missing or not root.
# Needs (Debian): network-manager network-manager-gnome xvfb x11-apps xdotool python3-gi
# gir1.2-gdkpixbuf-2.0, optionally openbox (without a window manager windows sit at 0,0);
# and what tests/e2e needs.

SRC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_ARG=${1:-$SRC_ROOT/build}
OUT=${2:-/tmp/uips-shots}
export UIP_E2E_PREFIX=${UIP_E2E_PREFIX:-uips}
LANGS=${UIPS_LANGS:-C}
LIMIT=${UIPS_LIMIT:-$((120 + 90 * $(wc -w <<<"$LANGS")))}
PY=/usr/bin/python3 # Debian's: it has gi (the python3 on PATH may not)
CON=uips-editor

# shellcheck source=tests/e2e/lib-e2e.sh
. "$SRC_ROOT/tests/e2e/lib-e2e.sh"

declare -A NEED=([Xvfb]=xvfb [xwd]=x11-apps [xdotool]=xdotool [nm-connection-editor]=network-manager-gnome
    [dbus-daemon]=dbus-daemon [nmcli]=network-manager)
for t in "${!NEED[@]}"; do
    command -v "$t" >/dev/null 2>&1 || uip_skip "'$t' is not installed (Debian: ${NEED[$t]})"
done
if ! [ -x "$PY" ] ||
    ! "$PY" -c 'import gi; gi.require_version("GdkPixbuf", "2.0"); from gi.repository import GdkPixbuf' 2>/dev/null; then
    uip_skip "no $PY with GdkPixbuf introspection (Debian: python3-gi gir1.2-gdkpixbuf-2.0)"
fi

X_PID='' WM_PID='' SBUS_PID='' ED_PID='' WD_PID=''
X_DIR=''

shots_cleanup() {
    local rc=$? p
    set +eE
    for p in "$ED_PID" "$WM_PID" "$X_PID" "$SBUS_PID"; do
        [ -n "$p" ] && uip_stop "$p" TERM 5 >/dev/null 2>&1
    done
    if [ -n "$WD_PID" ]; then
        kill -TERM "$WD_PID" 2>/dev/null
        wait "$WD_PID" 2>/dev/null
    fi
    (exit "$rc")
    e2e_cleanup
}

e2e_init "$BUILD_ARG"
trap shots_cleanup EXIT

# the time bound: a watchdog that ends this script (its EXIT trap cleans up)
(
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "$LIMIT" &
    sp=$!
    wait "$sp" && { printf 'FAIL: time limit (%s s) reached\n' "$LIMIT" >&2; kill -TERM $$; }
) &
WD_PID=$!

CORE_SO=$UIP_BUILD/properties/libnm-vpn-plugin-uipsec.so
if ! [ -r "$CORE_SO" ] || ! [ -r "$UIP_BUILD/properties/libnm-vpn-plugin-uipsec-editor.so" ]; then
    uip_fail "the editor plugins are not built in $UIP_BUILD/properties (ninja -C $UIP_BUILD)"
fi
# a copy of the modules, so that a rebuild meanwhile (a shared build tree) changes nothing here
MODS=$UIP_TMP/modules
mkdir -p "$MODS" && cp "$CORE_SO" "$UIP_BUILD"/properties/libnm-*vpn-plugin-uipsec-editor.so "$MODS/" ||
    uip_fail "cannot copy the modules to $MODS"
chmod 755 "$MODS" "$MODS"/*.so
CORE_SO=$MODS/libnm-vpn-plugin-uipsec.so
mkdir -p "$OUT" || uip_fail "cannot make $OUT"
rm -f "$OUT"/*.png "$OUT"/gtk4/*.png "$OUT"/geometry.txt

uip_step "NetworkManager (namespace $NS_CL, private bus)"
e2e_setup_net
e2e_dbus_start
e2e_nm_start

# The .name file the editor reads: as installed (data/nm-uipsec-service.name.in), with the
# built modules.  libnm wants it and the modules owned by root and not writable by others.
ED_VPN=$E2E_DIR/editor-VPN
mkdir -p "$ED_VPN"
e2e_uipsec_name "$ED_VPN/nm-uipsec-service.name" "$CORE_SO" "$MODS/libnm-vpn-plugin-uipsec-editor"
chmod 644 "$ED_VPN/nm-uipsec-service.name"

uip_step "a uipsec connection ($CON)"
e2e_add "$CON" "gateway=$OUT_GW" auth=psk "local-id=$CL_ID" "remote-id=$GW_ID" virtual-ipv4=yes \
    -- "psk=$(openssl rand -hex 16)"
UUID=$(e2e_nmcli -g connection.uuid connection show id "$CON") || uip_fail "no UUID for $CON"
persistent() { e2e_nmcli -g vpn.persistent connection show id "$CON"; }
vpn_data() { e2e_nmcli -g vpn.data connection show id "$CON"; }
P0=$(persistent)
uip_log "  $CON $UUID: vpn.persistent $P0; vpn.data $(vpn_data)"
[ "$P0" = no ] || uip_fail "vpn.persistent of a new connection is '$P0', expected no"

uip_step "X server, session bus, window manager"
X_DIR=$UIP_TMP/x
mkdir -p "$X_DIR/runtime" && chmod 700 "$X_DIR" "$X_DIR/runtime"
Xvfb -displayfd 3 -nolisten tcp -noreset -screen 0 1280x1024x24 3>"$X_DIR/display" >"$X_DIR/xvfb.log" 2>&1 &
X_PID=$!
uipi_track "$X_PID"
for ((i = 0; i < 200; i++)); do
    grep -q '[0-9]' "$X_DIR/display" 2>/dev/null && break
    uip_alive "$X_PID" || break
    sleep 0.1
done
grep -q '[0-9]' "$X_DIR/display" 2>/dev/null || { cat "$X_DIR/xvfb.log" >&2; uip_fail "Xvfb did not start"; }
DISPLAY=":$(tr -dc 0-9 <"$X_DIR/display")"
export DISPLAY
export XDG_RUNTIME_DIR=$X_DIR/runtime HOME=$X_DIR XDG_CONFIG_HOME=$X_DIR/config XDG_CACHE_HOME=$X_DIR/cache
export GDK_BACKEND=x11 NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory
unset WAYLAND_DISPLAY LANGUAGE
dbus-daemon --session --nofork --nopidfile --print-address=1 >"$X_DIR/session-bus" 2>"$X_DIR/session-bus.log" &
SBUS_PID=$!
uipi_track "$SBUS_PID"
for ((i = 0; i < 100; i++)); do
    [ -s "$X_DIR/session-bus" ] && break
    sleep 0.1
done
[ -s "$X_DIR/session-bus" ] || uip_fail "the session dbus-daemon did not start"
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$X_DIR/session-bus")
export DBUS_SESSION_BUS_ADDRESS
WM=none
if command -v openbox >/dev/null 2>&1; then
    openbox --sm-disable >"$X_DIR/openbox.log" 2>&1 &
    WM_PID=$!
    uipi_track "$WM_PID"
    WM=openbox
    sleep 1
fi
uip_log "  DISPLAY $DISPLAY (Xvfb PID $X_PID), window manager: $WM${WM_PID:+ (PID $WM_PID)}"

# shot NAME [WINDOW]: the root window (NAME.png) and, given WINDOW, that window's contents
# (NAME-window.png, without the window manager's frame).
shot() {
    xwd -root -silent >"$X_DIR/$1.xwd" || uip_fail "xwd -root failed ($1)"
    "$PY" "$SRC_ROOT/tests/editor/xwd2png.py" "$X_DIR/$1.xwd" "$OUT/$1.png" || uip_fail "screenshot $1: no PNG"
    if [ -n "${2:-}" ]; then
        xwd -id "$2" -silent >"$X_DIR/$1-window.xwd" || uip_fail "xwd -id $2 failed ($1)"
        "$PY" "$SRC_ROOT/tests/editor/xwd2png.py" "$X_DIR/$1-window.xwd" "$OUT/$1-window.png" ||
            uip_fail "screenshot $1-window: no PNG"
    fi
    uip_log "  screenshot $OUT/$1.png${2:+ and $1-window.png}"
}

# find_window PID SECONDS [EXCEPT]: the first visible window of process PID other than EXCEPT
# (GTK sets _NET_WM_PID: no need to know the titles, which are translated)
find_window() {
    local w='' i c
    for ((i = 0; i < $2 * 2; i++)); do
        for c in $(xdotool search --onlyvisible --pid "$1" 2>/dev/null); do
            [ "$c" = "${3:-}" ] && continue
            w=$c
            break
        done
        [ -z "$w" ] || break
        sleep 0.5
    done
    if [ -z "$w" ]; then
        printf 'no new visible window of PID %s in %s s; visible windows:\n' "$1" "$2" >&2
        xdotool search --onlyvisible --name '' 2>/dev/null | while read -r i; do
            printf '  %s "%s"\n' "$i" "$(xdotool getwindowname "$i" 2>/dev/null)" >&2
        done
        return 1
    fi
    printf '%s\n' "$w"
}

# focus WINDOW: make it the active window (through the window manager when there is one)
focus() {
    if [ "$WM" != none ]; then
        timeout 10 xdotool windowactivate --sync "$1" 2>/dev/null || timeout 10 xdotool windowfocus --sync "$1"
    else
        timeout 10 xdotool windowfocus --sync "$1"
    fi
    sleep 0.5
}

# keys KEY...: typed (XTEST) into the focused window, a pause after each
keys() {
    local k
    for k in "$@"; do
        xdotool key --clearmodifiers "$k"
        sleep 0.4
    done
}

# click_save WINDOW: a click on the editor's Save button, the last one at the bottom right.
# (Not its mnemonic: in French nm-connection-editor's "_Exporter…" and "_Enregistrer" share
# Alt+E, which then only moves the focus.)
click_save() {
    local WIDTH HEIGHT
    eval "$(xdotool getwindowgeometry --shell "$1" | grep -E '^(WIDTH|HEIGHT)=[0-9]+$')"
    xdotool mousemove --window "$1" --sync $((WIDTH - 30)) $((HEIGHT - 20)) click 1
    sleep 0.3
    xdotool mousemove 1270 1014
}

geometry() { # geometry LABEL WINDOW: its title, and where its contents are (no frame)
    printf '%s (window %s, "%s"):\n' "$1" "$2" "$(xdotool getwindowname "$2")" >>"$OUT/geometry.txt"
    if command -v xwininfo >/dev/null; then
        xwininfo -id "$2" | sed -n 's/^ *\(Absolute upper-left [XY]\|Width\|Height\): */  \1: /p' >>"$OUT/geometry.txt"
    else # (xdotool adds the frame's offset once too often to a reparented window)
        xdotool getwindowgeometry "$2" | sed -n 's/^ *\(Position\|Geometry\)/  \1/p' >>"$OUT/geometry.txt"
    fi
}

# ---------------------------------------------------------------- languages

# The editor's translations are found in LOCALEDIR (compiled in: the build's prefix and
# localedir); for a language other than C the editor runs in a mount namespace of its own
# where an overlay makes LOCALEDIR hold the catalogue compiled from po/LANG.po now, and with
# the locale LANG_COUNTRY.UTF-8 compiled into a private LOCPATH (localedef).
LOCALEDIR=$("$PY" - "$UIP_BUILD/meson-info/intro-buildoptions.json" <<'PYEOF' 2>/dev/null
import json, os, sys
opts = {o["name"]: o["value"] for o in json.load(open(sys.argv[1]))}
print(os.path.join(opts["prefix"], opts["localedir"]))
PYEOF
) || LOCALEDIR=''
L='' LC='' LMO='' LPFX=''

# lang_setup L: the locale and catalogue of language L (C: none); 1 when it cannot be had
lang_setup() {
    L=$1 LPFX="$1-" LMO=$X_DIR/mo-$1
    if [ "$L" = C ]; then
        LC=C.UTF-8 LPFX=''
        return 0
    fi
    LC=${L}_${L^^}.UTF-8
    [ -r "$SRC_ROOT/po/$L.po" ] || { uip_log "  no po/$L.po: $L skipped"; return 1; }
    [ -n "$LOCALEDIR" ] || { uip_log "  the build's localedir is unknown: $L skipped"; return 1; }
    if ! command -v localedef >/dev/null || ! command -v msgfmt >/dev/null || ! command -v gettext >/dev/null; then
        uip_log "  localedef, msgfmt or gettext missing (Debian: libc-bin, gettext, gettext-base): $L skipped"
        return 1
    fi
    mkdir -p "$X_DIR/locale" "$LMO/$L/LC_MESSAGES"
    if [ ! -d "$X_DIR/locale/$LC" ] &&
        ! localedef -i "${L}_${L^^}" -f UTF-8 "$X_DIR/locale/$LC" >"$X_DIR/localedef-$L.log" 2>&1; then
        uip_log "  localedef ${L}_${L^^} failed (Debian: locales has the sources): $L skipped"
        return 1
    fi
    msgfmt -o "$LMO/$L/LC_MESSAGES/NetworkManager-uipsec.mo" "$SRC_ROOT/po/$L.po" ||
        { uip_log "  msgfmt po/$L.po failed: $L skipped"; return 1; }
}

# tr_ours MSGID: the translation in L of one of our strings
tr_ours() {
    if [ "$L" = C ]; then printf '%s\n' "$1"; return; fi
    LOCPATH=$X_DIR/locale LC_ALL=$LC LANGUAGE='' TEXTDOMAINDIR=$LMO gettext -d NetworkManager-uipsec -- "$1"
}
# mnemonic LABEL: the xdotool key for the mnemonic of a label ("A_dvanced…" -> alt+d)
mnemonic() {
    local c=${1#*_}
    c=${c:0:1}
    printf 'alt+%s\n' "${c,,}"
}

# editor_start LOG [UUID]: nm-connection-editor --edit=UUID (default: $UUID) in language L, in
# the background (ED_PID)
editor_start() {
    local UUID=${2:-$UUID}
    local env=(NM_VPN_PLUGIN_DIR="$ED_VPN" DBUS_SYSTEM_BUS_ADDRESS="$E2E_BUS" LC_ALL="$LC" LANG="$LC")
    if [ "$L" = C ]; then
        env "${env[@]}" nm-connection-editor --edit="$UUID" >"$1" 2>&1 &
    else
        local top=$LOCALEDIR
        while [ ! -d "$top" ]; do top=$(dirname "$top"); done
        mkdir -p "$X_DIR/ov-$L/up" "$X_DIR/ov-$L/work"
        # shellcheck disable=SC2016 # expanded by that sh, from its arguments
        env "${env[@]}" LOCPATH="$X_DIR/locale" unshare --mount --propagation private sh -c '
            mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/work" "$1" &&
            mkdir -p "$3" && mount --bind "$4" "$3" && shift 4 && exec "$@"' \
            sh "$top" "$X_DIR/ov-$L" "$LOCALEDIR" "$LMO" nm-connection-editor --edit="$UUID" >"$1" 2>&1 &
    fi
    ED_PID=$!
    uipi_track "$ED_PID"
}

# round N EXPECT: the editor on our connection; Advanced…; a shot; toggle "Reconnect
# automatically"; a shot; Close; Save; nmcli must say vpn.persistent EXPECT.  Shots
# LPFX0(2N)-advanced(-reopened) and LPFX0(2N+1)-advanced-(un)toggled; in round 1 also the editor.
round() {
    local n=$1 expect=$2 w adv i log=$X_DIR/editor-$L-$1.log s_open s_after got
    if [ "$n" = 1 ]; then
        s_open=${LPFX}02-advanced s_after=${LPFX}03-advanced-toggled
    else
        s_open=${LPFX}04-advanced-reopened s_after=${LPFX}05-advanced-untoggled
    fi
    uip_step "[$L] round $n: nm-connection-editor --edit=$UUID"
    editor_start "$log"
    w=$(find_window "$ED_PID" 60) || {
        cat "$log" >&2
        shot "fail-$L-$n-no-editor"
        uip_fail "nm-connection-editor showed no window in 60 s"
    }
    xdotool mousemove 1270 1014 # the pointer off the windows: no tooltips in the shots
    sleep 2                     # let it draw
    if [ "$n" = 1 ]; then
        geometry "[$L] editor" "$w"
        shot "${LPFX}01-editor" "$w"
    fi
    focus "$w"
    keys "$(mnemonic "$(tr_ours "A_dvanced…")")"
    adv=$(find_window "$ED_PID" 20 "$w") || {
        shot "fail-$L-$n-no-advanced"
        cat "$log" >&2
        uip_fail "$(mnemonic "$(tr_ours "A_dvanced…")") opened no Advanced window"
    }
    sleep 1
    [ "$n" = 1 ] && geometry "[$L] Advanced" "$adv"
    shot "$s_open" "$adv"
    focus "$adv"
    # the focus starts on the first field (IKE); backwards it wraps to Close, then to the
    # last check box, "Reconnect automatically"; forwards again to Close
    keys shift+Tab shift+Tab space
    sleep 0.5
    shot "$s_after" "$adv"
    keys Tab space
    sleep 0.5
    if xdotool search --onlyvisible --pid "$ED_PID" 2>/dev/null | grep -qx "$adv"; then
        uip_fail "Tab, space (Close) did not close the Advanced window"
    fi
    focus "$w"
    click_save "$w"
    for ((i = 0; i < 300; i++)); do
        uip_alive "$ED_PID" || break
        sleep 0.1
    done
    if uip_alive "$ED_PID"; then
        shot "fail-$L-$n-not-saved"
        cat "$log" >&2
        uip_fail "nm-connection-editor still runs 30 s after a click on Save"
    fi
    ED_PID=''
    got=$(persistent)
    uip_log "  after Save: vpn.persistent $got; vpn.data $(vpn_data)"
    [ "$got" = "$expect" ] || uip_fail "[$L] round $n: vpn.persistent is '$got' after saving, expected $expect"
    if grep -vE 'Gtk-WARNING.*(theme|icon)|^$' "$log" | grep -qiE 'critical|warning|error'; then
        uip_log "  editor log ([$L] round $n):"
        sed 's/^/    /' "$log"
    fi
}

# methods: the VPN tab of a connection of each method, as nm-connection-editor shows it (it
# calls gtk_widget_show_all() on our page); then, on the psk one, the gateway emptied and the
# port 70000: the marks.  Each editor is closed unsaved (ended by PID).
declare -A METHOD_UUID=()
methods_setup() {
    local m name
    e2e_add "$CON-eap-mschapv2" "gateway=$OUT_GW" auth=eap-mschapv2 user=alice password-flags=1
    # cert: a key and certificate on a token (PKCS#11 URIs, issue 14)
    e2e_add "$CON-cert" "gateway=$OUT_GW" auth=cert \
        "user-cert=pkcs11:token=YubiKey%20PIV;id=%01;type=cert" \
        "user-key=pkcs11:token=YubiKey%20PIV;id=%01;type=private" user-key-password-flags=2
    e2e_add "$CON-eap-tls" "gateway=$OUT_GW" auth=eap-tls user-cert=/etc/uipsec/alice.pem \
        user-key=/etc/uipsec/alice.key
    for m in eap-mschapv2 cert eap-tls; do
        name=$CON-$m
        METHOD_UUID[$m]=$(e2e_nmcli -g connection.uuid connection show id "$name") ||
            uip_fail "no UUID for $name"
    done
    METHOD_UUID[psk]=$UUID
}

methods() {
    local m i=0 w log
    for m in eap-mschapv2 cert eap-tls psk; do
        i=$((i + 1))
        uip_step "[$L] method $m"
        log=$X_DIR/editor-$L-method-$m.log
        sleep 1 # (the editor of the step before gone from the bus)
        editor_start "$log" "${METHOD_UUID[$m]}"
        w=$(find_window "$ED_PID" 60) || {
            cat "$log" >&2
            uip_fail "nm-connection-editor showed no window for $m"
        }
        sleep 1
        # the whole VPN tab, not only what its scrolled window shows at first
        eval "$(xdotool getwindowgeometry --shell "$w" | grep -E '^(WIDTH|HEIGHT)=[0-9]+$')"
        [ "$HEIGHT" -ge 300 ] || { cat "$log" >&2; shot "fail-$L-method-$m"; uip_fail "[$L] $m: no editor, a message (fail-$L-method-$m.png)"; }
        xdotool windowsize --sync "$w" "$WIDTH" 960 2>/dev/null || xdotool windowsize "$w" "$WIDTH" 960
        xdotool mousemove 1270 1014
        sleep 2
        geometry "[$L] method $m" "$w"
        shot "${LPFX}1$i-method-$m" "$w"
        if [ "$m" = psk ]; then
            focus "$w"
            keys "$(mnemonic "$(tr_ours "_Gateway")")" ctrl+a BackSpace
            keys "$(mnemonic "$(tr_ours "_Port")")" ctrl+a
            xdotool type --delay 100 70000
            keys Tab
            xdotool mousemove 1270 1014
            sleep 1
            shot "${LPFX}20-marks" "$w"
            # the pointer on Save: nm-connection-editor's tooltip says why it cannot save
            eval "$(xdotool getwindowgeometry --shell "$w" | grep -E '^(WIDTH|HEIGHT)=[0-9]+$')"
            xdotool mousemove --window "$w" --sync $((WIDTH - 30)) $((HEIGHT - 20))
            sleep 3
            shot "${LPFX}21-marks-save-tooltip"
            xdotool mousemove 1270 1014
        fi
        uip_stop "$ED_PID" TERM 5 >/dev/null 2>&1
        ED_PID=''
    done
}

# gtk4: test-editor-gtk4 with UIP_EDITOR_SHOTS (its host dialogs rendered to PNG), in L
gtk4_shots() {
    local t=$UIP_BUILD/tests/editor/test-editor-gtk4 dir=$OUT/gtk4
    [ "${UIPS_GTK4:-1}" = 1 ] || return 0
    [ -x "$t" ] || { uip_log "  no $t: GTK 4 shots skipped"; return 0; }
    uip_step "[$L] GTK 4 editor in the test's host dialog"
    mkdir -p "$dir"
    env UIP_EDITOR_SHOTS="$dir" UIP_EDITOR_SHOTS_PREFIX="${L}-gtk4-" \
        ${LMO:+UIP_EDITOR_SHOTS_LOCALEDIR="$LMO"} LOCPATH="$X_DIR/locale" LC_ALL="$LC" LANG="$LC" \
        UIP_PLUGIN_PATH="$CORE_SO" \
        UIP_EDITOR_PATH="$MODS/libnm-gtk4-vpn-plugin-uipsec-editor.so" \
        "$t" -p /editor/host-visibility -p /editor/host-advanced -p /editor/host-marks \
        >"$X_DIR/gtk4-$L.log" 2>&1 || { cat "$X_DIR/gtk4-$L.log" >&2; uip_fail "test-editor-gtk4 failed ($L)"; }
    uip_log "  $(find "$dir" -name "${L}-gtk4-*.png" | wc -l) PNGs in $dir"
}

# import-cancel.py: an import whose editor is dropped unsaved leaves no files; saved, they stay
import_cancel() {
    uip_step "import through the core plugin: cancelled, then saved (import-cancel.py)"
    DBUS_SYSTEM_BUS_ADDRESS="$E2E_BUS" "$PY" "$SRC_ROOT/tests/editor/import-cancel.py" "$CORE_SO" \
        "$SRC_ROOT/tests/properties/fixtures/good-cert.sswan" \
        "$HOME/.local/share/NetworkManager-uipsec" >"$X_DIR/import-cancel.log" 2>&1
    local rc=$?
    sed 's/^/  /' "$X_DIR/import-cancel.log"
    [ "$rc" = 0 ] || uip_fail "import-cancel.py failed"
}

xdotool getdisplaygeometry | sed 's/^/screen: /' >"$OUT/geometry.txt"
[ "${UIPS_IMPORT:-1}" = 1 ] && import_cancel
methods_setup
DONE=''
for lang in $LANGS; do
    lang_setup "$lang" || continue
    [ "$lang" = C ] && LMO=''
    [ "${UIPS_ROUNDS:-1}" = 1 ] && { round 1 yes; round 2 no; }
    methods
    gtk4_shots
    DONE="$DONE $lang"
done
[ -n "$DONE" ] || uip_fail "no language of '$LANGS' could be shown"

uip_step "done"
cat "$OUT/geometry.txt"
if [ "${UIPS_ROUNDS:-1}" = 1 ]; then
    uip_log "vpn.persistent round-trips through nm-connection-editor (no -> yes -> no) in:$DONE; screenshots in $OUT"
else
    uip_log "screenshots in $OUT (languages:$DONE)"
fi
