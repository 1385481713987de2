/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The outbound fair queue: inner packets read from the TUN wait here, one
 * FIFO per flow bucket, and leave by deficit round robin, so a flood in one
 * flow cannot delay or starve the others (a ping, an SSH session, a call).
 *
 * Why in the engine: a TUN device never stops its transmit queue; it drops
 * when its ring (txqueuelen packets) is full, so a kernel qdisc in front of
 * it never holds a backlog to schedule, and the ring itself is one FIFO for
 * every flow.  The engine therefore reads the ring ahead into this queue
 * (up to a byte limit, so TCP's big frames wait in the ring rather than be
 * shed) and sheds load here, where flows can be told apart.
 *
 * Scheduling follows fq_codel (RFC 8290) without CoDel: a bucket that turns
 * active joins the "new" list and is served before the "old" list, so sparse
 * flows (one packet now and then) see almost no queue; each visit grants a
 * quantum of bytes.  While the queue is over its packet or byte limit, the
 * fattest bucket loses its oldest packet (so its sender hears of it soonest).
 *
 * Packets are chained through pkt->next; the queue never allocates.  Not thread safe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "engine/pkt.h"

#define UIP_FQ_BUCKETS 1024 /* power of two */
#define UIP_FQ_QUANTUM 1514

struct uip_fq_bucket {
    struct uip_pkt *head, *tail;
    uint32_t bytes;
    uint32_t pkts;
    int32_t deficit;
    int16_t next; /* next bucket on its list, -1 = end */
    uint8_t list; /* 0 = idle, 1 = new, 2 = old */
};

struct uip_fq_list {
    int16_t head, tail; /* -1 = empty */
};

struct uip_fq {
    struct uip_fq_bucket b[UIP_FQ_BUCKETS];
    struct uip_fq_list new_flows, old_flows;
    uint32_t seed;
    unsigned pkts, pkt_limit;
    uint64_t bytes, byte_limit;
    uint64_t dropped; /* packets dropped over a limit */
};

/* An empty queue holding at most @pkt_limit packets and @byte_limit bytes. */
void uip_fq_init(struct uip_fq *q, unsigned pkt_limit, uint64_t byte_limit, uint32_t seed);

/*
 * Queue @p (its flow hash @hash) at the tail of its bucket.  When the queue
 * is then over a limit, packets of the fattest bucket (possibly @p's) are
 * dropped into @pool.  Returns the number dropped (also added to q->dropped).
 */
unsigned uip_fq_enqueue(struct uip_fq *q, struct uip_pkt *p, uint32_t hash, struct uip_pool *pool);

/* The next packet by deficit round robin, or NULL when the queue is empty. */
struct uip_pkt *uip_fq_dequeue(struct uip_fq *q);

/* Return every queued packet to @pool. */
void uip_fq_purge(struct uip_fq *q, struct uip_pool *pool);

static inline bool uip_fq_empty(const struct uip_fq *q)
{
    return q->pkts == 0;
}
