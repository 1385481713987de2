#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-roam.sh: the roaming events of tests/roam (issue 11) through NetworkManager +
# NetworkManager-strongswan (charon-nm with kernel-libipsec) and through NetworkManager + our
# plugin (nm-uipsec-service), in one run, with one NetworkManager that has both plugins, on the
# roaming testbed of tests/roam/lib-roam.sh (two uplinks behind a NAT router, a strongSwan
# gateway restarted for every row; its own names, uipb-* by default, so that it can run next to
# the test suites).
#
# For each event and plugin: a persistent VPN (vpn.persistent yes) is activated with nmcli, then
# during the event: ping every 10 ms from the virtual IP through the tunnel, an iperf3 TCP stream
# started before it, NetworkManager's state polled.  One table, a row per event and plugin:
#   outage ms       the longest gap of the pings: first lost to first answered again
#   pings lost      pings never answered
#   after event ms  (suspend, gwrestart, flap) from the event being noticeable (the plugin
#                   continued once the gateway's DPD deleted its SA / the new charon up / the
#                   uplinks back) to traffic again
#   TCP survived    the same TCP connection carried data after the outage
#   NM kept         NetworkManager showed the VPN activated throughout (no down/up)
#   same VIP, gateway sees, moved by (MOBIKE, new IKE_SA, NAT-T), leaks, IKE_SAs left after down
# The issue's targets for ours: switch with MOBIKE <= 0.5 s outage, without MOBIKE <= 2 s, resume
# and gateway restart <= 3 s after the event is noticeable, TCP survives every MOBIKE case; the
# "result" column says whether a row met the test suite's (more generous) bounds; nothing here
# fails on a missed target.
#
# Run as root:   bash tests/bench/bench-roam.sh [BUILD_DIR]   (about 6 minutes with all events)
# Environment:
#   UIP_BENCH_EVENTS   space/comma separated events (tests/roam/test-roam.sh lists them;
#                      default: all)
#   UIP_BENCH_PLUGINS  "strongswan uipsec" (default, in that order); one alone for debugging
#   UIP_ROAM_PREFIX    namespace prefix (default uipb); UIP_ROAM_*: see tests/roam/lib-roam.sh
#   UIP_KEEP_TMP=1     keep the temp folder (NetworkManager and charon logs) of a failed run
# Packages: those of the e2e suite plus conntrack (tests/install-deps.sh installs them).
# Exit: 0 done, 77 skip (not root, something missing), 1 the testbed failed.

set -euo pipefail
BENCH_PLUGINS=${UIP_BENCH_PLUGINS:-strongswan uipsec}
BENCH_PLUGINS=${BENCH_PLUGINS//,/ }
for p in $BENCH_PLUGINS; do
    case $p in uipsec | strongswan) ;; *)
        printf 'FAIL: UIP_BENCH_PLUGINS: uipsec and/or strongswan, not "%s"\n' "$p" >&2
        exit 1
        ;;
    esac
done
UIP_ROAM_PREFIX=${UIP_ROAM_PREFIX:-uipb}
# shellcheck source=tests/roam/lib-roam.sh
. "$(dirname "${BASH_SOURCE[0]}")/../roam/lib-roam.sh"
# one NetworkManager with both plugins (after sourcing: lib-e2e.sh empties E2E_PLUGINS); roam_run
# selects the one of each row
E2E_PLUGINS=$BENCH_PLUGINS
UIP_E2E_PLUGIN=${BENCH_PLUGINS%% *}
roam_init "$@"
ROAM_ENFORCE=0

read -r -a EVENTS <<<"$(roam_cases_of "${UIP_BENCH_EVENTS:-all}")"
uip_log "bench-roam: plugins '$BENCH_PLUGINS', events: ${EVENTS[*]}; namespaces $NS_CL / $NS_RT / $NS_GW"
roam_setup
SECONDS=0
for e in "${EVENTS[@]}"; do
    for p in $BENCH_PLUGINS; do roam_run "$p" "$e"; done
done

printf '\n== bench-roam %s, commit %s, %s, NetworkManager %s, strongSwan %s, %s s\n' \
    "$(date -u +%FT%TZ)" "$(git -C "$UIP_SRC_ROOT" describe --always --dirty 2>/dev/null || echo '?')" \
    "$(uname -r)" "$("$NM_BIN" --version)" "$(dpkg-query -W -f '${Version}' strongswan-nm 2>/dev/null || echo '?')" \
    "$SECONDS"
roam_table
# a case that failed before its measurement (the testbed, not a missed target) fails the run
[ "$ROAM_FAILED" = 0 ] || exit 1
exit 0
