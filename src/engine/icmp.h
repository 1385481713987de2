/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "Fragmentation needed" (ICMP type 3 code 4) and ICMPv6 "packet too big"
 * for an inner packet larger than the tunnel MTU, written back into the TUN
 * so the sender's path MTU discovery adapts (RFC 1191, RFC 8201) instead of
 * stalling.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "engine/pkt.h"

/*
 * Build into @out (a reset packet) the ICMP error for @orig (@len bytes, a
 * parsed IP packet) announcing @mtu.  The error appears to come from the
 * original destination, as the tunnel is the hop that cannot carry it.
 * Returns 0, -EAGAIN when no error is due (IPv4 without DF: it may be
 * fragmented instead), or -EINVAL (an ICMP error must not answer @orig,
 * e.g. it is itself an ICMP error or not a first fragment).
 */
int uip_icmp_too_big(const uint8_t *orig, size_t len, unsigned mtu, struct uip_pkt *out);
