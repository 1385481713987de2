/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the service reports to NetworkManager once the tunnel is up, as the
 * GVariant dictionaries of the VPN plugin D-Bus API (Config, Ip4Config,
 * Ip6Config; keys from libnm's nm-vpn-dbus-interface.h).  Pure functions of
 * the negotiated result, so that tests can check them without a bus.
 *
 * Routes: the remote traffic selectors the gateway agreed to, plus its
 * INTERNAL_IP4/6_SUBNET attributes.  A selector covering a whole family
 * (0.0.0.0/0, ::/0) makes the tunnel the default route of that family;
 * otherwise the family is split ("never-default") and gets one route per
 * prefix (ranges are cut into prefixes).  A family goes to NetworkManager
 * (has-ip4/has-ip6) when the gateway assigned an address of it.
 */
#pragma once

#include <sys/socket.h>
#include <glib.h>

#include "ike/ike-session.h"

struct uip_report_input {
    const struct ike_established *info;
    const char *tundev;
    unsigned mtu;                   /* tunnel MTU to report; 0 = none */
    const struct sockaddr *gateway; /* the gateway's outer address */
};

/* The Config dictionary (floating reference). */
GVariant *uip_report_config(const struct uip_report_input *in);

/* Ip4Config / Ip6Config (floating), or NULL when that family is not reported. */
GVariant *uip_report_ip4(const struct uip_report_input *in);
GVariant *uip_report_ip6(const struct uip_report_input *in);

/*
 * Cut the range [@start, @end] of @family (network-order bytes) into CIDR
 * prefixes, calling @fn for each, in order; at most @max of them (FALSE when
 * more would be needed: the caller then uses what it got).
 */
gboolean uip_range_to_prefixes(int family, const uint8_t *start, const uint8_t *end, unsigned max,
                               void (*fn)(void *user, const uint8_t *addr, unsigned prefix),
                               void *user);
