/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The selector-relevant fields of an inner IP packet: family, addresses,
 * protocol and ports (0 when the protocol has none or the packet is a
 * non-first fragment).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct uip_flow {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t proto;
    uint16_t sport; /* host byte order */
    uint16_t dport;
    uint8_t src[16];
    uint8_t dst[16];
};

/*
 * Parse the IPv4 or IPv6 header at @pkt.  Checks that @len is at least the
 * header and that the header's own total length does not exceed @len.
 * Returns 0, or -EINVAL for anything that is not a well-formed IP packet
 * (@f untouched).  @ip_len gets the packet length from the IP header.
 */
int uip_flow_parse(const uint8_t *pkt, size_t len, struct uip_flow *f, size_t *ip_len);

/* A hash of the whole flow key, for the outbound flow cache. */
uint32_t uip_flow_hash(const struct uip_flow *f);
