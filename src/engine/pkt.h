/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packet buffers and their pool.
 *
 * Every packet lives in a fixed-size buffer taken from a pool preallocated at
 * engine start: inner packets are read from TUN at UIP_PKT_HEADROOM so the ESP
 * header and IV can be prepended in place, and UIP_PKT_TAILROOM leaves room for
 * padding, trailer and ICV.  Decapsulation moves pkt->data forward in place.
 * The pool never grows: when it is empty the packet is dropped and counted.
 * Buffers are large enough for any datagram, but pages are touched only as far
 * as a packet reaches, and the free list is LIFO, so resident memory stays
 * near (buffers in use) x (packet size).
 */
#pragma once

#include <stdalign.h>
#include <stdint.h>
#include <sys/socket.h>

#define UIP_PKT_HEADROOM 64   /* >= non-ESP marker + ESP header + largest IV */
#define UIP_PKT_TAILROOM 64   /* >= largest padding + trailer + largest ICV */
#define UIP_PKT_MAX_LEN  65535 /* largest datagram: an IKE message or (later) a GSO super-packet */
#define UIP_PKT_BUF_SIZE (UIP_PKT_HEADROOM + UIP_PKT_MAX_LEN + UIP_PKT_TAILROOM)

struct uip_pkt {
    uint8_t *data; /* first byte of the packet inside buf */
    uint32_t len;  /* bytes from data */
    struct uip_pkt *next; /* the fair queue's FIFO while queued */
    alignas(64) uint8_t buf[UIP_PKT_BUF_SIZE];
};

/* Point @p at an empty packet with full headroom. */
static inline void uip_pkt_reset(struct uip_pkt *p)
{
    p->data = p->buf + UIP_PKT_HEADROOM;
    p->len = 0;
}

static inline uint32_t uip_pkt_headroom(const struct uip_pkt *p)
{
    return (uint32_t)(p->data - p->buf);
}

static inline uint32_t uip_pkt_tailroom(const struct uip_pkt *p)
{
    return (uint32_t)(sizeof(p->buf) - uip_pkt_headroom(p) - p->len);
}

struct uip_pool {
    struct uip_pkt **stack; /* the free buffers; stack[avail - 1] is taken next */
    struct uip_pkt *slab;
    unsigned size;
    unsigned avail;
    uint64_t empty; /* times a get found the pool empty */
};

/* Preallocate @count buffers.  Returns 0 or -ENOMEM. */
int uip_pool_init(struct uip_pool *pool, unsigned count);
void uip_pool_clear(struct uip_pool *pool);

/* A reset packet, or NULL when every buffer is in use (counted in pool->empty). */
struct uip_pkt *uip_pool_get(struct uip_pool *pool);
void uip_pool_put(struct uip_pool *pool, struct uip_pkt *p);
