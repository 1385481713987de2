/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TUN offloads (src/engine/offload.c): TSO and USO super-packets cut into
 * valid segments, segments coalesced back (GRO) into what the kernel expects, with
 * flow order kept and bad segments left alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <glib.h>

#include "engine/csum.h"
#include "engine/offload.h"
#include "test-packets.h"

#define MSS 1400
#define TCP_FLAGS_ACK_PSH 0x18

static struct uip_pool pool;

/* An IP header (no options) for @len bytes in all, from @src to @dst. */
static void ip_header(uint8_t *d, int family, uint8_t proto, size_t len, uint16_t id,
                      const char *src, const char *dst)
{
    if (family == AF_INET) {
        d[0] = 0x45;
        uip_put16(d + 2, (uint16_t)len);
        uip_put16(d + 4, id);
        d[6] = 0x40;
        d[8] = 64;
        d[9] = proto;
        inet_pton(AF_INET, src, d + 12);
        inet_pton(AF_INET, dst, d + 16);
        uip_put16(d + 10, uip_csum_fold(uip_csum_add(0, d, 20)));
    } else {
        d[0] = 0x60;
        uip_put16(d + 4, (uint16_t)(len - 40));
        d[6] = proto;
        d[7] = 64;
        inet_pton(AF_INET6, src, d + 8);
        inet_pton(AF_INET6, dst, d + 24);
    }
}

/* A TCP packet with a 12-byte timestamp option; checksum valid unless @partial,
 * in which case the field holds the pseudo-header sum like a TSO packet from the kernel. */
static size_t tcp_packet(uint8_t *d, int family, uint32_t seq, uint8_t flags, size_t payload,
                         uint16_t sport, bool partial)
{
    size_t l4 = family == AF_INET ? 20 : 40, thl = 32, len = l4 + thl + payload;

    memset(d, 0, l4 + thl);
    if (family == AF_INET)
        ip_header(d, family, IPPROTO_TCP, len, 0x1234, "198.18.2.1", "198.18.1.1");
    else
        ip_header(d, family, IPPROTO_TCP, len, 0, "2001:db8:2::1", "2001:db8:1::1");
    uint8_t *t = d + l4;
    uip_put16(t, sport);
    uip_put16(t + 2, 40000);
    uip_put32(t + 4, seq);
    uip_put32(t + 8, 777);
    t[12] = (uint8_t)(thl / 4) << 4;
    t[13] = flags;
    uip_put16(t + 14, 512);
    t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10; /* NOP NOP TS */
    uip_put32(t + 24, 1000), uip_put32(t + 28, 2000);
    for (size_t i = 0; i < payload; i++)
        t[thl + i] = (uint8_t)(seq + i);
    const uint8_t *src = d + (family == AF_INET ? 12 : 8), *dst = d + (family == AF_INET ? 16 : 24);
    uint32_t ps = uip_csum_pseudo(family, src, dst, IPPROTO_TCP, (uint32_t)(thl + payload));
    if (partial)
        uip_put16(t + 16, uip_csum_fold_nocomp(ps));
    else
        uip_put16(t + 16, uip_csum_fold(uip_csum_add(ps, t, thl + payload)));
    return len;
}

static bool tcp_csum_ok(const uint8_t *d, size_t len)
{
    int family = d[0] >> 4 == 4 ? AF_INET : AF_INET6;
    size_t l4 = family == AF_INET ? 20 : 40;
    const uint8_t *src = d + (family == AF_INET ? 12 : 8), *dst = d + (family == AF_INET ? 16 : 24);
    uint32_t ps = uip_csum_pseudo(family, src, dst, IPPROTO_TCP, (uint32_t)(len - l4));
    if (family == AF_INET && uip_csum_fold(uip_csum_add(0, d, 20)) != 0)
        return false;
    return uip_csum_fold(uip_csum_add(ps, d + l4, len - l4)) == 0;
}

struct collected {
    GPtrArray *pkts; /* struct uip_pkt * */
    GPtrArray *frames; /* GBytes: vnet hdr + packet */
};

static void collect_segment(void *ctx, struct uip_pkt *p)
{
    g_ptr_array_add(((struct collected *)ctx)->pkts, p);
}

static void collect_frame(void *ctx, const uint8_t *frame, size_t len)
{
    g_ptr_array_add(((struct collected *)ctx)->frames, g_bytes_new(frame, len));
}

static void collected_init(struct collected *c)
{
    c->pkts = g_ptr_array_new();
    c->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

static void collected_clear(struct collected *c)
{
    for (unsigned i = 0; i < c->pkts->len; i++)
        uip_pool_put(&pool, c->pkts->pdata[i]);
    g_ptr_array_unref(c->pkts);
    g_ptr_array_unref(c->frames);
}

static struct uip_pkt *pkt_copy(const uint8_t *d, size_t len)
{
    struct uip_pkt *p = uip_pool_get(&pool);
    g_assert_nonnull(p);
    p->data += 16; /* like after decapsulation: more headroom used */
    memcpy(p->data, d, len);
    p->len = (uint32_t)len;
    return p;
}

/* A UDP super-packet as the kernel hands it over for a UDP_SEGMENT sender: headers for the
 * whole, the checksum field holding the pseudo-header sum. */
static size_t udp_super_packet(uint8_t *d, int family, size_t payload)
{
    size_t l4 = family == AF_INET ? 20 : 40, len = l4 + 8 + payload;

    memset(d, 0, l4 + 8);
    if (family == AF_INET) /* the IDs of the segments wrap */
        ip_header(d, family, IPPROTO_UDP, len, 0xfffe, "198.18.1.1", "198.18.2.1");
    else
        ip_header(d, family, IPPROTO_UDP, len, 0, "2001:db8:1::1", "2001:db8:2::1");
    uint8_t *u = d + l4;
    uip_put16(u, 50000);
    uip_put16(u + 2, 443);
    uip_put16(u + 4, (uint16_t)(8 + payload));
    for (size_t i = 0; i < payload; i++)
        u[8 + i] = (uint8_t)(i * 7 + 3);
    const uint8_t *src = d + (family == AF_INET ? 12 : 8), *dst = d + (family == AF_INET ? 16 : 24);
    uip_put16(u + 6, uip_csum_fold_nocomp(uip_csum_pseudo(family, src, dst, IPPROTO_UDP,
                                                          (uint32_t)(8 + payload))));
    return len;
}

static void test_udp_split(void)
{
    static uint8_t super[70000];
    for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
        size_t l4 = family == AF_INET ? 20 : 40, seg = 1200, payload = 40 * seg + 77;
        size_t len = udp_super_packet(super, family, payload);
        struct virtio_net_hdr h = {
            .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
            .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
            .hdr_len = (uint16_t)(l4 + 8),
            .gso_size = (uint16_t)seg,
            .csum_start = (uint16_t)l4,
            .csum_offset = 6,
        };
        struct collected c;
        collected_init(&c);
        g_assert_cmpint(uip_gso_split(&h, super, len, &pool, collect_segment, &c), ==, 41);
        g_assert_cmpuint(c.pkts->len, ==, 41);
        for (unsigned i = 0; i < c.pkts->len; i++) {
            const struct uip_pkt *q = c.pkts->pdata[i];
            const uint8_t *d = q->data, *u = d + l4;
            size_t chunk = i < 40 ? seg : 77;
            g_assert_cmpuint(q->len, ==, l4 + 8 + chunk);
            if (family == AF_INET) {
                g_assert_cmpuint(uip_get16(d + 2), ==, q->len);
                g_assert_cmpuint(uip_get16(d + 4), ==, (uint16_t)(0xfffe + i));
                g_assert_cmpuint(uip_csum_fold(uip_csum_add(0, d, 20)), ==, 0);
            } else {
                g_assert_cmpuint(uip_get16(d + 4), ==, q->len - 40);
            }
            g_assert_cmpuint(uip_get16(u), ==, 50000);
            g_assert_cmpuint(uip_get16(u + 2), ==, 443);
            g_assert_cmpuint(uip_get16(u + 4), ==, 8 + chunk);
            g_assert_cmpuint(uip_get16(u + 6), !=, 0);
            const uint8_t *src = d + (family == AF_INET ? 12 : 8);
            const uint8_t *dst = d + (family == AF_INET ? 16 : 24);
            uint32_t ps = uip_csum_pseudo(family, src, dst, IPPROTO_UDP, (uint32_t)(8 + chunk));
            g_assert_cmpuint(uip_csum_fold(uip_csum_add(ps, u, 8 + chunk)), ==, 0);
            g_assert_cmpmem(u + 8, chunk, super + l4 + 8 + i * seg, chunk);
        }

        /* GRO with USO: the datagrams come back as one UDP super-packet, which the kernel
         * cuts into the same datagrams */
        struct collected out, again;
        collected_init(&out);
        collected_init(&again);
        struct uip_gro g = {.udp = true};
        for (unsigned i = 0; i < c.pkts->len; i++) {
            struct uip_pkt *p = c.pkts->pdata[i];
            uip_gro_add(&g, pkt_copy(p->data, p->len), &pool, collect_frame, &out);
        }
        uip_gro_flush(&g, &pool, collect_frame, &out);
        g_assert_cmpuint(out.frames->len, ==, 1);
        g_assert_cmpuint(g.coalesced, ==, 40);
        unsigned seen = 0;
        for (unsigned k = 0; k < out.frames->len; k++) {
            gsize flen;
            const uint8_t *f = g_bytes_get_data(out.frames->pdata[k], &flen);
            struct virtio_net_hdr gh;
            memcpy(&gh, f, sizeof(gh));
            g_assert_cmpuint(gh.gso_type, ==, VIRTIO_NET_HDR_GSO_UDP_L4);
            g_assert_cmpuint(gh.flags, ==, VIRTIO_NET_HDR_F_NEEDS_CSUM);
            g_assert_cmpuint(gh.gso_size, ==, seg);
            g_assert_cmpuint(gh.csum_start, ==, l4);
            g_assert_cmpuint(gh.csum_offset, ==, 6);
            g_assert_cmpuint(gh.hdr_len, ==, l4 + 8);
            g_assert_cmpuint(uip_get16(f + UIP_VNET_HDR_LEN + l4 + 4), ==,
                             flen - UIP_VNET_HDR_LEN - l4);
            int n = uip_gso_split(&gh, f + UIP_VNET_HDR_LEN, flen - UIP_VNET_HDR_LEN, &pool,
                                  collect_segment, &again);
            g_assert_cmpint(n, >, 1);
            seen += (unsigned)n;
        }
        g_assert_cmpuint(seen, ==, 41);
        for (unsigned i = 0; i < 41; i++) {
            struct uip_pkt *a = c.pkts->pdata[i], *b = again.pkts->pdata[i];
            g_assert_cmpuint(a->len, ==, b->len);
            /* the same datagram; IPv4's ID is the only header field allowed to differ */
            if (family == AF_INET) {
                g_assert_cmpmem(a->data + 12, a->len - 12, b->data + 12, b->len - 12);
                g_assert_cmpmem(a->data, 4, b->data, 4);
            } else {
                g_assert_cmpmem(a->data, a->len, b->data, b->len);
            }
        }
        collected_clear(&c);
        collected_clear(&out);
        collected_clear(&again);
        g_assert_cmpuint(pool.avail, ==, pool.size);
    }
}

/* What UDP GRO leaves alone: datagrams without USO on the TUN, IPv4 datagrams without a
 * checksum or with a bad one; and it never merges TCP into UDP of the same ports. */
static size_t udp_datagram(uint8_t *buf)
{
    size_t n = udp_super_packet(buf, AF_INET, 1000); /* one datagram of 1000 bytes */
    struct virtio_net_hdr h = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 6};
    g_assert_cmpint(uip_offload_finish_csum(&h, buf, n), ==, 0); /* as after ESP */
    return n;
}

static void test_udp_gro_refuses(void)
{
    static uint8_t buf[4000];
    struct collected out;
    collected_init(&out);
    for (int round = 0; round < 4; round++) {
        struct uip_gro g = {.udp = round != 0};
        for (int i = 0; i < 3; i++) {
            size_t n = udp_datagram(buf);
            if (round == 1)
                uip_put16(buf + 26, 0); /* no checksum */
            if (round == 2)
                buf[100] ^= 1; /* a bad checksum */
            if (round == 3 && i == 1) {
                n = tcp_packet(buf, AF_INET, 1, 0x10, 1000, 50000, false);
                inet_pton(AF_INET, "198.18.1.1", buf + 12); /* the UDP flow's addresses */
                inet_pton(AF_INET, "198.18.2.1", buf + 16);
                uip_put16(buf + 22, 443);
            }
            uip_gro_add(&g, pkt_copy(buf, n), &pool, collect_frame, &out);
        }
        /* round 3: the second datagram joins the first, the TCP segment stays apart */
        g_assert_cmpuint(g.coalesced, ==, round == 3 ? 1 : 0);
        g_assert_cmpuint(g.n, ==, round == 3 ? 2 : 3);
        uip_gro_flush(&g, &pool, collect_frame, &out);
    }
    collected_clear(&out);
    g_assert_cmpuint(pool.avail, ==, pool.size);
}

static void test_split_and_coalesce(void)
{
    static uint8_t super[70000];
    for (int family = AF_INET; family; family = family == AF_INET ? AF_INET6 : 0) {
        size_t l4 = family == AF_INET ? 20 : 40, hdr = l4 + 32;
        size_t payload = 10 * MSS + 123;
        size_t len = tcp_packet(super, family, 5000, TCP_FLAGS_ACK_PSH, payload, 80, true);
        struct virtio_net_hdr h = {
            .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
            .gso_type = family == AF_INET ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
            .hdr_len = (uint16_t)hdr,
            .gso_size = MSS,
            .csum_start = (uint16_t)l4,
            .csum_offset = 16,
        };
        struct collected c, out, again;
        collected_init(&c);
        collected_init(&out);
        collected_init(&again);

        g_assert_cmpint(uip_gso_split(&h, super, len, &pool, collect_segment, &c), ==, 11);
        g_assert_cmpuint(c.pkts->len, ==, 11);
        for (unsigned i = 0; i < c.pkts->len; i++) {
            struct uip_pkt *p = c.pkts->pdata[i];
            size_t chunk = i < 10 ? MSS : 123;
            g_assert_cmpuint(p->len, ==, hdr + chunk);
            g_assert_true(tcp_csum_ok(p->data, p->len));
            g_assert_cmpuint(uip_get32(p->data + l4 + 4), ==, 5000 + i * MSS);
            g_assert_cmpuint(p->data[l4 + 13], ==, i < 10 ? 0x10 : TCP_FLAGS_ACK_PSH);
            g_assert_cmpmem(p->data + hdr, chunk, super + hdr + i * MSS, chunk);
            if (family == AF_INET)
                g_assert_cmpuint(uip_get16(p->data + 4), ==, 0x1234 + i);
        }

        /* GRO: the segments come back as one super-packet */
        struct uip_gro g = {0};
        for (unsigned i = 0; i < c.pkts->len; i++) {
            struct uip_pkt *p = c.pkts->pdata[i];
            uip_gro_add(&g, pkt_copy(p->data, p->len), &pool, collect_frame, &out);
        }
        g_assert_cmpuint(g.n, ==, 1);
        g_assert_cmpuint(g.coalesced, ==, 10);
        uip_gro_flush(&g, &pool, collect_frame, &out);
        g_assert_cmpuint(out.frames->len, ==, 1);
        gsize flen;
        const uint8_t *f = g_bytes_get_data(out.frames->pdata[0], &flen);
        struct virtio_net_hdr gh;
        memcpy(&gh, f, sizeof(gh));
        g_assert_cmpuint(flen, ==, UIP_VNET_HDR_LEN + len);
        g_assert_cmpuint(gh.flags, ==, VIRTIO_NET_HDR_F_NEEDS_CSUM);
        g_assert_cmpuint(gh.gso_type, ==, h.gso_type);
        g_assert_cmpuint(gh.gso_size, ==, MSS);
        g_assert_cmpuint(gh.hdr_len, ==, hdr);
        g_assert_cmpuint(gh.csum_start, ==, l4);
        g_assert_cmpuint(gh.csum_offset, ==, 16);
        /* apart from IDs and checksums it is the original super-packet */
        g_assert_cmpmem(f + UIP_VNET_HDR_LEN + hdr, payload, super + hdr, payload);
        g_assert_cmpuint(f[UIP_VNET_HDR_LEN + l4 + 13], ==, TCP_FLAGS_ACK_PSH);

        /* what the kernel does with it: complete the checksum, or cut it again */
        uint8_t *copy = g_memdup2(f + UIP_VNET_HDR_LEN, len);
        g_assert_cmpint(uip_offload_finish_csum(&gh, copy, len), ==, 0);
        g_assert_true(tcp_csum_ok(copy, len));
        g_free(copy);
        g_assert_cmpint(uip_gso_split(&gh, f + UIP_VNET_HDR_LEN, len, &pool, collect_segment,
                                      &again),
                        ==, 11);
        for (unsigned i = 0; i < 11; i++) {
            struct uip_pkt *a = c.pkts->pdata[i], *b = again.pkts->pdata[i];
            g_assert_cmpmem(a->data, a->len, b->data, b->len);
        }
        collected_clear(&c);
        collected_clear(&out);
        collected_clear(&again);
        g_assert_cmpuint(pool.avail, ==, pool.size);
    }
}

static void test_gro_keeps_order(void)
{
    uint8_t buf[2048];
    struct collected out;
    struct uip_gro g = {0};
    collected_init(&out);

#define ADD(len_) uip_gro_add(&g, pkt_copy(buf, (len_)), &pool, collect_frame, &out)
    size_t n;
    n = tcp_packet(buf, AF_INET, 100, 0x10, 1000, 80, false); /* A1 */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 900, 0x10, 1000, 81, false); /* B1 */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 1100, 0x10, 1000, 80, false); /* A2: joins A1 */
    ADD(n);
    n = test_udp_packet(buf, 4, "198.18.2.1", "198.18.1.1", 53, 53, 100, 1); /* not TCP */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 2100, 0x11, 0, 80, false); /* A FIN: new item, closes A */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 2100, 0x10, 1000, 80, false); /* A3 after FIN: must not join A1 */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 1900, 0x10, 1000, 81, false); /* B2: joins B1 */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 5000, 0x10, 1000, 81, false); /* B gap: new item */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 6000, 0x10, 500, 81, false); /* shorter: joins, closes */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 6500, 0x10, 500, 81, false); /* after a short one: new item */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 7000, 0x10, 500, 81, false);
    buf[n - 1] ^= 0xff; /* bad checksum: its own item, never coalesced */
    ADD(n);
    n = tcp_packet(buf, AF_INET, 7000, 0x10, 500, 81, false); /* must not pass the bad one */
    ADD(n);
#undef ADD
    g_assert_cmpuint(g.coalesced, ==, 3);
    uip_gro_flush(&g, &pool, collect_frame, &out);
    static const struct {
        uint16_t sport;
        uint32_t seq;
        size_t payload;
    } want[] = {{80, 100, 2000},  {81, 900, 2000},  {0, 0, 0},
                {80, 2100, 0},    {80, 2100, 1000}, {81, 5000, 1500},
                {81, 6500, 500},  {81, 7000, 500},  {81, 7000, 500}};
    g_assert_cmpuint(out.frames->len, ==, G_N_ELEMENTS(want));
    for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
        gsize flen;
        const uint8_t *f = g_bytes_get_data(out.frames->pdata[i], &flen);
        const uint8_t *d = f + UIP_VNET_HDR_LEN;
        if (want[i].sport == 0) {
            g_assert_cmpuint(d[9], ==, IPPROTO_UDP);
            continue;
        }
        g_assert_cmpuint(uip_get16(d + 20), ==, want[i].sport);
        g_assert_cmpuint(uip_get32(d + 24), ==, want[i].seq);
        g_assert_cmpuint(flen - UIP_VNET_HDR_LEN - 52, ==, want[i].payload);
    }
    collected_clear(&out);
    g_assert_cmpuint(pool.avail, ==, pool.size);
}

static void test_bad_super_packets(void)
{
    uint8_t buf[4096];
    struct collected c;
    collected_init(&c);
    size_t n = tcp_packet(buf, AF_INET, 1, 0x10, 3000, 80, true);
    struct virtio_net_hdr h = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                               .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                               .gso_size = MSS,
                               .csum_start = 20,
                               .csum_offset = 16};
    struct virtio_net_hdr bad = h;
    bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
    g_assert_cmpint(uip_gso_split(&bad, buf, n, &pool, collect_segment, &c), ==, -EINVAL);
    bad = h;
    bad.csum_start = 24;
    g_assert_cmpint(uip_gso_split(&bad, buf, n, &pool, collect_segment, &c), ==, -EINVAL);
    bad = h;
    bad.gso_size = 0;
    g_assert_cmpint(uip_gso_split(&bad, buf, n, &pool, collect_segment, &c), ==, -EINVAL);
    bad = h;
    bad.gso_type = VIRTIO_NET_HDR_GSO_UDP;
    g_assert_cmpint(uip_gso_split(&bad, buf, n, &pool, collect_segment, &c), ==, -EINVAL);
    bad = h;
    bad.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4; /* a TCP packet */
    g_assert_cmpint(uip_gso_split(&bad, buf, n, &pool, collect_segment, &c), ==, -EINVAL);
    size_t un = udp_super_packet(buf, AF_INET, 3000);
    bad.csum_start = 20;
    g_assert_cmpint(uip_gso_split(&bad, buf, 27, &pool, collect_segment, &c), ==, -EINVAL);
    bad.csum_start = 40; /* not where IPv4's header ends */
    g_assert_cmpint(uip_gso_split(&bad, buf, un, &pool, collect_segment, &c), ==, -EINVAL);
    n = tcp_packet(buf, AF_INET, 1, 0x10, 3000, 80, true);
    g_assert_cmpint(uip_gso_split(&h, buf, 30, &pool, collect_segment, &c), ==, -EINVAL);
    g_assert_cmpuint(c.pkts->len, ==, 0);
    bad = h;
    bad.csum_offset = 4000;
    g_assert_cmpint(uip_offload_finish_csum(&bad, buf, n), ==, -EINVAL);
    /* a plain packet with a partial checksum is completed */
    n = tcp_packet(buf, AF_INET6, 1, 0x18, 300, 80, true);
    h.csum_start = 40;
    g_assert_false(tcp_csum_ok(buf, n));
    g_assert_cmpint(uip_offload_finish_csum(&h, buf, n), ==, 0);
    g_assert_true(tcp_csum_ok(buf, n));
    collected_clear(&c);
}

/* uip_csum_add() (16 bytes a round, then words, then the odd byte) against the
 * byte-pair reference: every length up to 300 at every alignment, random
 * and all-ones data (the carries), also as a chain of even-length parts. */
static void test_csum_matches_reference(void)
{
    static uint8_t buf[512 + 8];
    GRand *rnd = g_rand_new_with_seed(1071);

    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < sizeof(buf); k++)
            buf[k] = pass ? 0xff : (uint8_t)g_rand_int(rnd);
        for (size_t off = 0; off < 8; off++) {
            for (size_t len = 0; len <= 300; len++) {
                const uint8_t *p = buf + off;
                uint16_t want = test_csum(p, len, 0);
                g_assert_cmphex(uip_csum_fold(uip_csum_add(0, p, len)), ==, want);
                size_t cut = (len / 3) & ~(size_t)1; /* chained: even first part */
                uint32_t sum = uip_csum_add(0, p, cut);
                g_assert_cmphex(uip_csum_fold(uip_csum_add(sum, p + cut, len - cut)), ==, want);
            }
        }
    }
    /* a whole 64 KiB of 0xff: the largest sum a packet can add */
    static uint8_t big[65535];
    memset(big, 0xff, sizeof(big));
    g_assert_cmphex(uip_csum_fold(uip_csum_add(0, big, sizeof(big))), ==,
                    test_csum(big, sizeof(big), 0));
    g_rand_free(rnd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_assert_cmpint(uip_pool_init(&pool, 128), ==, 0);
    g_test_add_func("/offload/csum-matches-reference", test_csum_matches_reference);
    g_test_add_func("/offload/split-and-coalesce", test_split_and_coalesce);
    g_test_add_func("/offload/gro-keeps-order", test_gro_keeps_order);
    g_test_add_func("/offload/bad-super-packets", test_bad_super_packets);
    g_test_add_func("/offload/udp-split", test_udp_split);
    g_test_add_func("/offload/udp-gro-refuses", test_udp_gro_refuses);
    int r = g_test_run();
    uip_pool_clear(&pool);
    return r;
}
