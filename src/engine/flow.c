/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inner packet header parsing for selector matching.
 * In: a packet read from TUN (outbound) or just decrypted (inbound).
 * Out: its flow key, or -EINVAL so the caller drops it as malformed.
 */
#include "engine/flow.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "common/uip-be.h"

static bool has_ports(uint8_t proto)
{
    return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
           proto == IPPROTO_UDPLITE;
}

int uip_flow_parse(const uint8_t *pkt, size_t len, struct uip_flow *f, size_t *ip_len)
{
    struct uip_flow fl;
    size_t hl, tot;

    if (len < 1)
        return -EINVAL;
    memset(&fl, 0, sizeof(fl));
    switch (pkt[0] >> 4) {
    case 4:
        if (len < 20)
            return -EINVAL;
        hl = (size_t)(pkt[0] & 0x0f) * 4;
        tot = uip_get16(pkt + 2);
        if (hl < 20 || tot < hl || tot > len)
            return -EINVAL;
        fl.family = AF_INET;
        fl.proto = pkt[9];
        memcpy(fl.src, pkt + 12, 4);
        memcpy(fl.dst, pkt + 16, 4);
        /* ports only in the first fragment */
        if (has_ports(fl.proto) && (uip_get16(pkt + 6) & 0x1fff) == 0 && tot >= hl + 4) {
            fl.sport = uip_get16(pkt + hl);
            fl.dport = uip_get16(pkt + hl + 2);
        }
        break;
    case 6:
        if (len < 40)
            return -EINVAL;
        tot = 40 + (size_t)uip_get16(pkt + 4);
        if (tot > len)
            return -EINVAL;
        fl.family = AF_INET6;
        fl.proto = pkt[6];
        memcpy(fl.src, pkt + 8, 16);
        memcpy(fl.dst, pkt + 24, 16);
        if (has_ports(fl.proto) && tot >= 44) {
            fl.sport = uip_get16(pkt + 40);
            fl.dport = uip_get16(pkt + 42);
        }
        break;
    default:
        return -EINVAL;
    }
    *f = fl;
    if (ip_len)
        *ip_len = tot;
    return 0;
}

uint32_t uip_flow_hash(const struct uip_flow *f)
{
    /* FNV-1a over the key; only steers a cache, not a security boundary
     * (a collision costs one selector scan, bounded by the SA count). */
    uint32_t h = 2166136261u;
    size_t alen = f->family == AF_INET ? 4 : 16;
    const uint8_t hdr[6] = {f->family, f->proto, (uint8_t)(f->sport >> 8), (uint8_t)f->sport,
                            (uint8_t)(f->dport >> 8), (uint8_t)f->dport};

    for (size_t i = 0; i < sizeof(hdr); i++)
        h = (h ^ hdr[i]) * 16777619u;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ f->src[i]) * 16777619u;
    for (size_t i = 0; i < alen; i++)
        h = (h ^ f->dst[i]) * 16777619u;
    return h;
}
