/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which way the gateway is: the outgoing device and our source address on
 * it, from the kernel's routing (rtnetlink), never through our own TUN
 * device.
 *
 * A tunnel that covers the gateway's address (a full tunnel whose host route
 * to the gateway went away with the device NetworkManager had put it on, or a
 * host-to-host tunnel) would route IKE and ESP into itself; then the best
 * route of the main table that covers the gateway through another device is
 * taken, and the sockets are bound to that device.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct uip_route {
    int ifindex;
    char ifname[IFNAMSIZ];
    struct sockaddr_storage src; /* our address on it, port 0 */
    socklen_t src_len;
};

/*
 * The way to @dst avoiding the device @avoid_ifindex (0: none).  0, or
 * -ENETUNREACH when there is none now (no route, no usable address, the link
 * is down), or another -errno.
 */
int uip_route_lookup(const struct sockaddr *dst, int avoid_ifindex, struct uip_route *out);

/* The address octets of @sa (IPv4 or IPv6), their count in @len. */
const uint8_t *uip_addr_bytes(const struct sockaddr *sa, size_t *len);

/* Same device and same source address? */
bool uip_route_equal(const struct uip_route *a, const struct uip_route *b);

/* "198.51.100.2 on uipr-wd0" into @buf. */
const char *uip_route_to_string(const struct uip_route *r, char *buf, size_t len);
