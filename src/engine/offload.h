/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TUN offloads (IFF_VNET_HDR): fewer, larger packets between the kernel and
 * the engine, so the per-packet syscall cost is paid once per super-packet.
 *
 * Outbound (TSO, USO): the kernel hands over TCP super-packets of up to
 * 64 KiB, and UDP ones from senders that use UDP_SEGMENT (QUIC; Linux 6.2+),
 * with a virtio_net_hdr; uip_gso_split() cuts them into MTU-sized segments
 * with their own headers and checksums, each in a pool buffer, for ESP.
 *
 * Inbound (GRO): decrypted packets go into a struct uip_gro, which appends
 * consecutive in-order TCP segments of one flow into one super-packet (and
 * UDP datagrams of one flow, with USO); at the end of a batch
 * uip_gro_flush() writes each super-packet (or plain packet) to the TUN with
 * its virtio_net_hdr.  Per-flow order is kept.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "engine/pkt.h"

#define UIP_VNET_HDR_LEN  ((unsigned)sizeof(struct virtio_net_hdr))
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* Linux 6.2 headers; Debian 12 has 6.1 */
#endif
#define UIP_GRO_MAX_ITEMS 64

/*
 * Complete the checksum of a packet the kernel handed over with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM (the field holds the pseudo-header sum).
 * Returns 0 or -EINVAL when csum_start/csum_offset lie outside the packet.
 */
int uip_offload_finish_csum(const struct virtio_net_hdr *h, uint8_t *pkt, size_t len);

/* Called with each segment; takes ownership of @p. */
typedef void (*uip_segment_fn)(void *ctx, struct uip_pkt *p);

/*
 * Cut the super-packet @pkt (@len bytes, described by @h with gso_type TCPV4,
 * TCPV6 or UDP_L4) into segments of at most h->gso_size payload bytes, each a
 * complete IP packet (lengths, IPv4 ID and header checksum, TCP sequence
 * number and flags, TCP or UDP length and checksum fixed) in a buffer from
 * @pool, handed to @emit in order.  Returns the number of segments; -EINVAL
 * for a super-packet whose headers do not add up (nothing emitted); -ENOBUFS
 * when the pool ran dry (the segments before were emitted, the rest are
 * lost).
 */
int uip_gso_split(const struct virtio_net_hdr *h, const uint8_t *pkt, size_t len,
                  struct uip_pool *pool, uip_segment_fn emit, void *ctx);

struct uip_gro_item {
    struct uip_pkt *p; /* the (super-)packet; p->data is its IP header */
    uint32_t flow;     /* hash of protocol, addresses and ports, 0 when neither TCP nor UDP */
    uint8_t proto;     /* IPPROTO_TCP or IPPROTO_UDP */
    uint32_t next_seq; /* TCP: sequence number the next segment must carry */
    uint16_t gso_size; /* payload bytes of each segment but the last */
    uint16_t l4_off;   /* offset of the TCP / UDP header */
    uint16_t hdr_len;  /* IP + TCP / UDP header bytes */
    uint16_t count;    /* segments in it */
    bool open;         /* more segments may be appended */
};

struct uip_gro {
    bool udp; /* UDP datagrams too: the TUN takes UDP super-packets (USO) */
    unsigned n;
    uint64_t coalesced; /* segments appended to another (statistics) */
    struct uip_gro_item items[UIP_GRO_MAX_ITEMS];
};

/* Writes one packet to the TUN: @frame starts with the virtio_net_hdr. */
typedef void (*uip_tun_write_fn)(void *ctx, const uint8_t *frame, size_t len);

/*
 * Take ownership of the decrypted inner packet @p (p->data/p->len, a parsed
 * IP packet).  It is appended to the flow's open super-packet when it
 * continues it, else it starts a new item.  When all items are in use they
 * are flushed first.
 */
void uip_gro_add(struct uip_gro *g, struct uip_pkt *p, struct uip_pool *pool,
                 uip_tun_write_fn write, void *ctx);

/* Write every item in arrival order, each with its virtio_net_hdr, and free them. */
void uip_gro_flush(struct uip_gro *g, struct uip_pool *pool, uip_tun_write_fn write, void *ctx);
