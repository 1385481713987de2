#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Roaming tests (issue 11): a real NetworkManager with two uplinks ("wired", "wifi") behind a
# NAT router keeps a persistent VPN connection (nmcli, vpn.persistent yes) to a real strongSwan
# gateway through network events, with pings every 10 ms and a TCP stream running.  Topology,
# measurements and the cases: lib-roam.sh.
#
#   switch     the wired link goes down: traffic moves to wifi
#   back       (after a switch) the wired link comes back and is the default route again
#   readdr     the wired profile gets another address (nmcli connection modify + device reapply)
#   flap       both uplinks down for 3 s, then up
#   natrebind  the router's conntrack table flushed (conntrack -F)
#   natport    the router masquerades into another port range, conntrack flushed
#   suspend    the plugin stopped (SIGSTOP) until the gateway's DPD deleted its IKE_SA, then SIGCONT
#   gwrestart  the gateway's charon killed, a new one 2 s later
#   nomobike   switch, the gateway with mobike = no
#   nomobike-cl  switch, the client with vpn.data mobike=no
#
# Targets (the issue's in brackets; the bounds are generous on this shared 2-core machine):
# MOBIKE cases: outage <= UIP_ROAM_BOUND_MOBIKE_MS (2000) [500] (flap: traffic again that soon
# after the uplinks are back), TCP survives, same virtual IP; without MOBIKE: outage <= UIP_ROAM_BOUND_NOMOBIKE_MS (5000) [2000]; suspend and gwrestart:
# traffic again <= UIP_ROAM_BOUND_AFTER_MS (10000) [3000] after the event is noticeable (SIGCONT
# once the gateway deleted the SA / the new charon up); every case: NetworkManager keeps the VPN
# activated throughout, the gateway sees the client on the expected public address, nothing of
# the inner prefixes leaves an uplink in the clear, no IKE_SA left after nmcli connection down.
#
# Usage: test-roam.sh [BUILD_DIR]   (or MESON_BUILD_ROOT=...)
#   UIP_ROAM_CASES   space/comma separated case names (default: all)
#   UIP_ROAM_PLUGIN  uipsec (default) | strongswan: NetworkManager-strongswan's charon-nm as a
#                    baseline; its missed targets are reported, not failed
#   UIP_ROAM_PREFIX  namespace and link name prefix (4 letters, default uipr)
#   UIP_ROAM_SETTLE, UIP_ROAM_WAIT, UIP_ROAM_WAIT_LONG, UIP_ROAM_BOUND_*: see lib-roam.sh
#   UIP_KEEP_TMP=1   keep the temp folder (NetworkManager log, gateway logs) of a failed run
# Exit: 0 all selected cases pass (or SKIP), 77 skip (not root, something missing, unless
# UIP_NETNS_REQUIRED=1), 1 otherwise.

set -euo pipefail
UIP_E2E_PLUGIN=${UIP_ROAM_PLUGIN:-uipsec}
# shellcheck source=tests/roam/lib-roam.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-roam.sh"
roam_init "$@"
[ "$E2E_PLUGIN" = uipsec ] || ROAM_ENFORCE=0

read -r -a SELECTED <<<"$(roam_cases_of "${UIP_ROAM_CASES:-all}")"
uip_log "roam: plugin=$E2E_PLUGIN ($E2E_PROGRAM), cases: ${SELECTED[*]}, namespaces $NS_CL / $NS_RT / $NS_GW"
roam_setup

roam_run "$E2E_PLUGIN" "${SELECTED[@]}"

printf '\n== roam summary (plugin %s, %s)\n' "$E2E_PLUGIN" "$(git -C "$UIP_SRC_ROOT" describe --always --dirty 2>/dev/null || echo '?')"
printf '%s\n' "${ROAM_OUTCOMES[@]}"
printf '\n'
roam_table
[ "$ROAM_FAILED" = 0 ] || exit 1
exit 0
