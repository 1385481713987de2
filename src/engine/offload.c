/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TSO split and GRO coalescing for a TUN device opened with IFF_VNET_HDR.
 *
 * Outbound: TUN read (virtio_net_hdr + TCP or UDP super-packet) ->
 * uip_gso_split() copies headers + one segment of payload into a pool buffer
 * per segment, fixes lengths, IPv4 ID, TCP sequence number and flags, and
 * checksums -> ESP encap.
 *
 * Inbound: decrypted packet -> uip_gro_add(): a TCP segment that continues
 * its flow's open item (same headers, next sequence number, not longer than
 * the first segment, valid checksum) has its payload appended, and so has a
 * UDP datagram when the TUN takes UDP super-packets (USO: same headers, not
 * longer than the first, valid non-zero checksum); anything else becomes a
 * new item -> uip_gro_flush() at the end of the batch writes each item to
 * the TUN, super-packets with gso_type TCPV4/TCPV6/UDP_L4 and a
 * pseudo-header checksum for the kernel to complete (a UDP socket without
 * UDP_GRO gets the datagrams back one by one, as they were sent).
 */
#include "engine/offload.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/csum.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

int uip_offload_finish_csum(const struct virtio_net_hdr *h, uint8_t *pkt, size_t len)
{
    size_t start = h->csum_start, off = h->csum_offset;

    if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return 0;
    if (start > len || off + 2 > len - start)
        return -EINVAL;
    uint16_t c = uip_csum_fold(uip_csum_add(0, pkt + start, len - start));
    if (c == 0 && off == 6)
        c = 0xffff; /* UDP: 0 means "no checksum" */
    uip_put16(pkt + start + off, c);
    return 0;
}

/* The pseudo-header sum of the IP packet @pkt for @l4_len bytes of @proto. */
static uint32_t pseudo_sum(const uint8_t *pkt, int family, uint8_t proto, size_t l4_len)
{
    return uip_csum_pseudo(family, pkt + (family == AF_INET ? 12 : 8),
                           pkt + (family == AF_INET ? 16 : 24), proto, (uint32_t)l4_len);
}

/* The TCP or UDP checksum of the @len-byte packet @pkt, into its field (UDP's 0 goes out as
 * 0xffff: 0 means "no checksum" there). */
static void l4_checksum(uint8_t *pkt, int family, uint8_t proto, size_t l4, size_t len)
{
    uint8_t *field = pkt + l4 + (proto == IPPROTO_UDP ? 6 : 16);
    uint16_t c;

    field[0] = field[1] = 0;
    c = uip_csum_fold(uip_csum_add(pseudo_sum(pkt, family, proto, len - l4), pkt + l4, len - l4));
    uip_put16(field, c == 0 && proto == IPPROTO_UDP ? 0xffff : c);
}

static void ipv4_checksum(uint8_t *pkt, size_t hl)
{
    pkt[10] = pkt[11] = 0;
    uip_put16(pkt + 10, uip_csum_fold(uip_csum_add(0, pkt, hl)));
}

int uip_gso_split(const struct virtio_net_hdr *h, const uint8_t *pkt, size_t len,
                  struct uip_pool *pool, uip_segment_fn emit, void *ctx)
{
    unsigned gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    size_t l4 = h->csum_start, mss = h->gso_size, l4hl;
    int family, proto;

    if (len < 20)
        return -EINVAL;
    family = pkt[0] >> 4 == 4 ? AF_INET : pkt[0] >> 4 == 6 ? AF_INET6 : 0;
    proto = family == AF_INET ? pkt[9] : family == AF_INET6 && len >= 40 ? pkt[6] : -1;
    if (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) {
        if (family != (gso == VIRTIO_NET_HDR_GSO_TCPV4 ? AF_INET : AF_INET6) ||
            proto != IPPROTO_TCP)
            return -EINVAL;
    } else if (gso == VIRTIO_NET_HDR_GSO_UDP_L4) {
        if (!family || proto != IPPROTO_UDP)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    if (family == AF_INET ? (pkt[0] & 0xf) < 5 || (size_t)(pkt[0] & 0xf) * 4 != l4 : l4 != 40)
        return -EINVAL;
    if (mss == 0 || l4 + (proto == IPPROTO_UDP ? 8 : 20) > len)
        return -EINVAL;
    l4hl = proto == IPPROTO_UDP ? 8 : (size_t)(pkt[l4 + 12] >> 4) * 4;
    if ((proto == IPPROTO_TCP && l4hl < 20) || l4 + l4hl > len)
        return -EINVAL;
    size_t hdr = l4 + l4hl, payload = len - hdr;
    size_t nseg = payload ? (payload + mss - 1) / mss : 1;
    if (hdr + mss > UIP_PKT_MAX_LEN)
        return -EINVAL;

    uint32_t seq0 = proto == IPPROTO_TCP ? uip_get32(pkt + l4 + 4) : 0;
    uint16_t id0 = uip_get16(pkt + 4);
    uint8_t flags0 = proto == IPPROTO_TCP ? pkt[l4 + 13] : 0;

    for (size_t i = 0; i < nseg; i++) {
        size_t chunk = payload - i * mss < mss ? payload - i * mss : mss;
        struct uip_pkt *q = uip_pool_get(pool);
        if (!q)
            return -ENOBUFS;
        uint8_t *d = q->data;
        memcpy(d, pkt, hdr);
        memcpy(d + hdr, pkt + hdr + i * mss, chunk);
        q->len = (uint32_t)(hdr + chunk);
        if (family == AF_INET) {
            uip_put16(d + 2, (uint16_t)(hdr + chunk));
            uip_put16(d + 4, (uint16_t)(id0 + i));
            ipv4_checksum(d, l4);
        } else {
            uip_put16(d + 4, (uint16_t)(hdr + chunk - 40));
        }
        if (proto == IPPROTO_UDP) {
            uip_put16(d + l4 + 4, (uint16_t)(8 + chunk));
        } else {
            uip_put32(d + l4 + 4, seq0 + (uint32_t)(i * mss));
            uint8_t f = flags0;
            if (i + 1 < nseg)
                f &= (uint8_t) ~(TCP_FIN | TCP_PSH);
            if (i > 0)
                f &= (uint8_t)~TCP_CWR;
            d[l4 + 13] = f;
        }
        l4_checksum(d, family, (uint8_t)proto, l4, q->len);
        emit(ctx, q);
    }
    return (int)nseg;
}

/* ---- GRO ------------------------------------------------------------------ */

struct l4_info {
    int family;
    uint8_t proto;    /* IPPROTO_TCP or IPPROTO_UDP */
    uint16_t l4;
    uint16_t hdr;     /* IP + TCP/UDP header bytes */
    uint16_t payload; /* TCP/UDP payload bytes */
    uint8_t flags;    /* TCP's */
    uint32_t seq;     /* TCP's */
    uint32_t flow;
    bool candidate; /* may be coalesced */
};

static uint32_t flow_hash(const uint8_t *a, size_t n, const uint8_t *ports, uint8_t proto)
{
    uint32_t h = 2166136261u ^ proto;
    for (size_t i = 0; i < n; i++)
        h = (h ^ a[i]) * 16777619u;
    for (size_t i = 0; i < 4; i++)
        h = (h ^ ports[i]) * 16777619u;
    return h | 1; /* 0 means "neither TCP nor UDP" */
}

/* Fill @t for a TCP packet, or a UDP one when @udp; false for anything else. */
static bool l4_parse(const struct uip_pkt *p, bool udp, struct l4_info *t)
{
    const uint8_t *d = p->data;
    size_t len = p->len, l4, min;
    bool simple;

    memset(t, 0, sizeof(*t));
    if (len < 20)
        return false;
    if (d[0] >> 4 == 4) {
        l4 = (size_t)(d[0] & 0xf) * 4;
        t->proto = d[9];
        min = t->proto == IPPROTO_UDP ? 8 : 20;
        if ((t->proto != IPPROTO_TCP && (!udp || t->proto != IPPROTO_UDP)) ||
            (uip_get16(d + 6) & 0x1fff) || l4 < 20 || l4 + min > len)
            return false;
        t->family = AF_INET;
        simple = l4 == 20 && !(uip_get16(d + 6) & 0x2000) && uip_get16(d + 2) == len;
        t->flow = flow_hash(d + 12, 8, d + l4, t->proto);
    } else if (d[0] >> 4 == 6) {
        l4 = 40;
        t->proto = len >= 40 ? d[6] : 0;
        min = t->proto == IPPROTO_UDP ? 8 : 20;
        if ((t->proto != IPPROTO_TCP && (!udp || t->proto != IPPROTO_UDP)) || len < l4 + min)
            return false;
        t->family = AF_INET6;
        simple = (size_t)uip_get16(d + 4) + 40 == len;
        t->flow = flow_hash(d + 8, 32, d + l4, t->proto);
    } else {
        return false;
    }
    uint32_t sum = pseudo_sum(d, t->family, t->proto, len - l4);
    if (t->proto == IPPROTO_UDP) {
        t->l4 = (uint16_t)l4;
        t->hdr = (uint16_t)(l4 + 8);
        t->payload = (uint16_t)(len - l4 - 8);
        /* no checksum (IPv4's 0) would get one: such datagrams stay as they are, and so
         * does one with a bad checksum, for the kernel to drop */
        t->candidate = simple && t->payload > 0 && uip_get16(d + l4 + 4) == len - l4 &&
                       uip_get16(d + l4 + 6) != 0 &&
                       uip_csum_fold_nocomp(uip_csum_add(sum, d + l4, len - l4)) == 0xffff;
        return true;
    }
    size_t thl = (size_t)(d[l4 + 12] >> 4) * 4;
    if (thl < 20 || l4 + thl > len)
        return true; /* TCP, but never coalesced */
    t->l4 = (uint16_t)l4;
    t->hdr = (uint16_t)(l4 + thl);
    t->payload = (uint16_t)(len - l4 - thl);
    t->flags = d[l4 + 13];
    t->seq = uip_get32(d + l4 + 4);
    if (!simple || t->payload == 0 || (t->flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_URG |
                                                    TCP_CWR | TCP_ECE)) || !(t->flags & TCP_ACK))
        return true;
    /* a segment with a bad checksum is left for the kernel to drop */
    t->candidate = uip_csum_fold_nocomp(uip_csum_add(sum, d + l4, len - l4)) == 0xffff;
    return true;
}

/* Same flow, same header bytes apart from lengths, IDs, sequence numbers and checksums. */
static bool same_headers(const uint8_t *a, const uint8_t *b, const struct l4_info *t)
{
    size_t l4 = t->l4;

    if (t->family == AF_INET) {
        if (a[1] != b[1] || (a[6] & 0xe0) != (b[6] & 0xe0) || a[8] != b[8] ||
            memcmp(a + 12, b + 12, 8) != 0)
            return false;
    } else {
        if (memcmp(a, b, 4) != 0 || a[7] != b[7] || memcmp(a + 8, b + 8, 32) != 0)
            return false;
    }
    if (memcmp(a + l4, b + l4, 4) != 0) /* ports */
        return false;
    return t->proto == IPPROTO_UDP ||
           (memcmp(a + l4 + 8, b + l4 + 8, 5) == 0 &&                /* ack, data offset */
            memcmp(a + l4 + 14, b + l4 + 14, 2) == 0 &&              /* window */
            memcmp(a + l4 + 20, b + l4 + 20, t->hdr - l4 - 20) == 0); /* options */
}

static bool try_append(struct uip_gro *g, struct uip_gro_item *it, struct uip_pkt *p,
                       const struct l4_info *t)
{
    struct uip_pkt *s = it->p;

    if (!it->open || it->proto != t->proto || it->hdr_len != t->hdr || it->l4_off != t->l4 ||
        (t->proto == IPPROTO_TCP && t->seq != it->next_seq) || t->payload > it->gso_size ||
        s->len + t->payload > 65535u ||
        (size_t)(s->data - s->buf) + s->len + t->payload > sizeof(s->buf) ||
        !same_headers(s->data, p->data, t))
        return false;
    memcpy(s->data + s->len, p->data + t->hdr, t->payload);
    s->len += t->payload;
    it->next_seq += t->payload;
    it->count++;
    g->coalesced++;
    if (t->flags & TCP_PSH) {
        s->data[t->l4 + 13] |= TCP_PSH;
        it->open = false;
    }
    if (t->payload < it->gso_size)
        it->open = false;
    return true;
}

void uip_gro_add(struct uip_gro *g, struct uip_pkt *p, struct uip_pool *pool,
                 uip_tun_write_fn write, void *ctx)
{
    struct l4_info t;
    bool known = l4_parse(p, g->udp, &t);

    if (known && t.candidate) {
        /* only the flow's latest item may grow: that keeps the flow in order */
        for (unsigned i = g->n; i-- > 0;) {
            if (g->items[i].flow != t.flow)
                continue;
            if (try_append(g, &g->items[i], p, &t)) {
                uip_pool_put(pool, p);
                return;
            }
            break;
        }
    }
    if (g->n == UIP_GRO_MAX_ITEMS)
        uip_gro_flush(g, pool, write, ctx);
    struct uip_gro_item *it = &g->items[g->n++];
    it->p = p;
    it->flow = known ? t.flow : 0;
    it->proto = t.proto;
    it->open = known && t.candidate && !(t.flags & TCP_PSH);
    it->next_seq = t.seq + t.payload;
    it->gso_size = t.payload;
    it->l4_off = t.l4;
    it->hdr_len = t.hdr;
    it->count = 1;
}

void uip_gro_flush(struct uip_gro *g, struct uip_pool *pool, uip_tun_write_fn write, void *ctx)
{
    for (unsigned i = 0; i < g->n; i++) {
        struct uip_gro_item *it = &g->items[i];
        uint8_t *d = it->p->data;
        size_t len = it->p->len, l4 = it->l4_off;
        bool udp = it->proto == IPPROTO_UDP;
        struct virtio_net_hdr h;

        memset(&h, 0, sizeof(h));
        if (it->count > 1) {
            int family = d[0] >> 4 == 4 ? AF_INET : AF_INET6;
            if (family == AF_INET) {
                uip_put16(d + 2, (uint16_t)len);
                ipv4_checksum(d, l4);
            } else {
                uip_put16(d + 4, (uint16_t)(len - 40));
            }
            if (udp) /* the length of the whole, as from a UDP_SEGMENT sender */
                uip_put16(d + l4 + 4, (uint16_t)(len - l4));
            /* the kernel adds the segment sum to the pseudo-header sum stored here */
            uip_put16(d + l4 + (udp ? 6 : 16),
                      uip_csum_fold_nocomp(pseudo_sum(d, family, it->proto, len - l4)));
            h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
            h.gso_type = udp                ? VIRTIO_NET_HDR_GSO_UDP_L4
                         : family == AF_INET ? VIRTIO_NET_HDR_GSO_TCPV4
                                            : VIRTIO_NET_HDR_GSO_TCPV6;
            h.hdr_len = it->hdr_len;
            h.gso_size = it->gso_size;
            h.csum_start = (uint16_t)l4;
            h.csum_offset = udp ? 6 : 16;
        }
        memcpy(d - UIP_VNET_HDR_LEN, &h, UIP_VNET_HDR_LEN);
        write(ctx, d - UIP_VNET_HDR_LEN, len + UIP_VNET_HDR_LEN);
        uip_pool_put(pool, it->p);
    }
    g->n = 0;
}
