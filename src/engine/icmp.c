/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Too-big errors.  In: an inner packet read from TUN that exceeds the tunnel
 * MTU.  Out: an ICMP/ICMPv6 error in a pool buffer, which the engine writes
 * into the TUN; the original packet is dropped and counted as too_big.
 */
#include "engine/icmp.h"

#include "engine/csum.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define ICMP4_MAX_QUOTE 548 /* keep the error within 576 bytes (RFC 1812 4.3.2.3) */
#define ICMP6_MIN_MTU   1280

static int too_big_v4(const uint8_t *orig, size_t len, unsigned mtu, struct uip_pkt *out)
{
    size_t hl = (size_t)(orig[0] & 0x0f) * 4;
    uint16_t frag = (uint16_t)(orig[6] << 8 | orig[7]);

    if (!(frag & 0x4000))
        return -EAGAIN; /* no DF */
    if (frag & 0x1fff)
        return -EINVAL; /* only for the first fragment */
    if (orig[9] == IPPROTO_ICMP && len > hl) {
        uint8_t type = orig[hl];
        if (type != 0 && type != 8 && type != 13 && type != 14)
            return -EINVAL; /* never answer an ICMP error with one */
    }

    size_t quote = len < ICMP4_MAX_QUOTE ? len : ICMP4_MAX_QUOTE;
    uint8_t *ip = out->data, *icmp = ip + 20;
    size_t total = 20 + 8 + quote;

    memset(ip, 0, 28);
    ip[0] = 0x45;
    uip_put16(ip + 2, (uint16_t)total);
    ip[8] = 64;
    ip[9] = IPPROTO_ICMP;
    memcpy(ip + 12, orig + 16, 4); /* from the unreachable destination */
    memcpy(ip + 16, orig + 12, 4); /* to the sender */
    uip_put16(ip + 10, uip_csum_fold(uip_csum_add(0, ip, 20)));

    icmp[0] = 3; /* destination unreachable */
    icmp[1] = 4; /* fragmentation needed and DF set */
    uip_put16(icmp + 6, (uint16_t)mtu);
    memcpy(icmp + 8, orig, quote);
    uip_put16(icmp + 2, uip_csum_fold(uip_csum_add(0, icmp, 8 + quote)));
    out->len = (uint32_t)total;
    return 0;
}

static int too_big_v6(const uint8_t *orig, size_t len, unsigned mtu, struct uip_pkt *out)
{
    if (orig[6] == IPPROTO_ICMPV6 && len > 40 && orig[40] < 128)
        return -EINVAL; /* never answer an ICMPv6 error with one */
    if (mtu < ICMP6_MIN_MTU)
        mtu = ICMP6_MIN_MTU;

    size_t quote = ICMP6_MIN_MTU - 40 - 8;
    if (quote > len)
        quote = len;
    uint8_t *ip = out->data, *icmp = ip + 40;
    uint32_t plen = (uint32_t)(8 + quote);

    memset(ip, 0, 48);
    ip[0] = 0x60;
    uip_put16(ip + 4, (uint16_t)plen);
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 64;
    memcpy(ip + 8, orig + 24, 16);
    memcpy(ip + 24, orig + 8, 16);

    icmp[0] = 2; /* packet too big */
    icmp[4] = (uint8_t)(mtu >> 24);
    icmp[5] = (uint8_t)(mtu >> 16);
    icmp[6] = (uint8_t)(mtu >> 8);
    icmp[7] = (uint8_t)mtu;
    memcpy(icmp + 8, orig, quote);

    /* RFC 8200 8.1: the checksum covers a pseudo-header */
    uint32_t sum = uip_csum_pseudo(AF_INET6, ip + 8, ip + 24, IPPROTO_ICMPV6, plen);
    sum = uip_csum_add(sum, icmp, plen);
    uip_put16(icmp + 2, uip_csum_fold(sum));
    out->len = 40 + plen;
    return 0;
}

int uip_icmp_too_big(const uint8_t *orig, size_t len, unsigned mtu, struct uip_pkt *out)
{
    if (len < 1)
        return -EINVAL;
    switch (orig[0] >> 4) {
    case 4:
        if (len < 20)
            return -EINVAL;
        return too_big_v4(orig, len, mtu, out);
    case 6:
        if (len < 40)
            return -EINVAL;
        return too_big_v6(orig, len, mtu, out);
    default:
        return -EINVAL;
    }
}
