/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Too-big errors.  In: an inner packet read from TUN that exceeds the tunnel
 * MTU.  Out: an ICMP/ICMPv6 error in a pool buffer, which the engine writes
 * into the TUN; the original packet is dropped and counted as too_big.
 */
#include "engine/icmp.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define ICMP4_MAX_QUOTE 548 /* keep the error within 576 bytes (RFC 1812 4.3.2.3) */
#define ICMP6_MIN_MTU   1280

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

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
    put16(ip + 2, (uint16_t)total);
    ip[8] = 64;
    ip[9] = IPPROTO_ICMP;
    memcpy(ip + 12, orig + 16, 4); /* from the unreachable destination */
    memcpy(ip + 16, orig + 12, 4); /* to the sender */
    put16(ip + 10, csum_fold(csum_add(0, ip, 20)));

    icmp[0] = 3; /* destination unreachable */
    icmp[1] = 4; /* fragmentation needed and DF set */
    put16(icmp + 6, (uint16_t)mtu);
    memcpy(icmp + 8, orig, quote);
    put16(icmp + 2, csum_fold(csum_add(0, icmp, 8 + quote)));
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
    uint8_t pseudo[8] = {0};

    memset(ip, 0, 48);
    ip[0] = 0x60;
    put16(ip + 4, (uint16_t)plen);
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

    /* RFC 8200 8.1 pseudo-header: src, dst, upper-layer length, next header */
    pseudo[2] = (uint8_t)(plen >> 8);
    pseudo[3] = (uint8_t)plen;
    pseudo[7] = IPPROTO_ICMPV6;
    uint32_t sum = csum_add(0, ip + 8, 32);
    sum = csum_add(sum, pseudo, sizeof(pseudo));
    sum = csum_add(sum, icmp, plen);
    put16(icmp + 2, csum_fold(sum));
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
