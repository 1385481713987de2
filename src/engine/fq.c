/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flow: engine reads a TUN frame -> uip_fq_enqueue(hash of its flow) ->
 * bucket FIFO; a bucket turning active joins the new list; over a limit ->
 * drop the oldest packet of the fattest bucket -> engine asks uip_fq_dequeue():
 * new list first, then old; a bucket out of deficit gets a quantum and goes
 * to the old list's tail; an emptied new bucket moves to the old list once,
 * an emptied old bucket leaves.  See fq.h for why this lives in the engine.
 */
#include "engine/fq.h"

#include <string.h>

enum { LIST_IDLE, LIST_NEW, LIST_OLD };

void uip_fq_init(struct uip_fq *q, unsigned pkt_limit, uint64_t byte_limit, uint32_t seed)
{
    memset(q, 0, sizeof(*q));
    q->new_flows.head = q->new_flows.tail = -1;
    q->old_flows.head = q->old_flows.tail = -1;
    q->pkt_limit = pkt_limit ? pkt_limit : 1;
    q->byte_limit = byte_limit;
    q->seed = seed;
}

static void list_push(struct uip_fq *q, struct uip_fq_list *l, int16_t i)
{
    q->b[i].next = -1;
    if (l->tail < 0)
        l->head = i;
    else
        q->b[l->tail].next = i;
    l->tail = i;
}

static int16_t list_pop(struct uip_fq *q, struct uip_fq_list *l)
{
    int16_t i = l->head;

    if (i >= 0) {
        l->head = q->b[i].next;
        if (l->head < 0)
            l->tail = -1;
    }
    return i;
}

static struct uip_pkt *bucket_pop(struct uip_fq *q, struct uip_fq_bucket *b)
{
    struct uip_pkt *p = b->head;

    if (!p)
        return NULL;
    b->head = p->next;
    if (!b->head)
        b->tail = NULL;
    p->next = NULL;
    b->bytes -= p->len;
    b->pkts--;
    q->bytes -= p->len;
    q->pkts--;
    return p;
}

static bool over_limit(const struct uip_fq *q)
{
    return q->pkts > q->pkt_limit || (q->byte_limit && q->bytes > q->byte_limit);
}

static struct uip_fq_bucket *fattest(struct uip_fq *q)
{
    struct uip_fq_bucket *fat = NULL;
    const struct uip_fq_list *lists[2] = {&q->new_flows, &q->old_flows};

    /* only active buckets hold packets, and they are all on a list */
    for (unsigned l = 0; l < 2; l++)
        for (int16_t i = lists[l]->head; i >= 0; i = q->b[i].next)
            if (!fat || q->b[i].bytes > fat->bytes)
                fat = &q->b[i];
    return fat;
}

/* Drop the oldest packet of the fattest bucket; an emptied bucket stays on
 * its list and leaves at dequeue.  Scans only active buckets: a few. */
static unsigned shed(struct uip_fq *q, struct uip_pool *pool)
{
    struct uip_fq_bucket *fat = fattest(q);

    if (!fat || !fat->head)
        return 0;
    uip_pool_put(pool, bucket_pop(q, fat));
    q->dropped++;
    return 1;
}

unsigned uip_fq_enqueue(struct uip_fq *q, struct uip_pkt *p, uint32_t hash, struct uip_pool *pool)
{
    int16_t i = (int16_t)((hash ^ q->seed) & (UIP_FQ_BUCKETS - 1));
    struct uip_fq_bucket *b = &q->b[i];
    unsigned dropped = 0;

    p->next = NULL;
    if (b->tail)
        b->tail->next = p;
    else
        b->head = p;
    b->tail = p;
    b->bytes += p->len;
    b->pkts++;
    q->bytes += p->len;
    q->pkts++;
    if (b->list == LIST_IDLE) {
        b->list = LIST_NEW;
        b->deficit = UIP_FQ_QUANTUM;
        list_push(q, &q->new_flows, i);
    }
    while (over_limit(q)) {
        unsigned n = shed(q, pool);
        if (n == 0)
            break;
        dropped += n;
    }
    return dropped;
}

struct uip_pkt *uip_fq_dequeue(struct uip_fq *q)
{
    for (;;) {
        struct uip_fq_list *l = q->new_flows.head >= 0 ? &q->new_flows : &q->old_flows;
        int16_t i = l->head;
        if (i < 0)
            return NULL;
        struct uip_fq_bucket *b = &q->b[i];
        if (b->deficit <= 0) {
            b->deficit += UIP_FQ_QUANTUM;
            list_pop(q, l);
            b->list = LIST_OLD;
            list_push(q, &q->old_flows, i);
            continue;
        }
        struct uip_pkt *p = bucket_pop(q, b);
        if (!p) {
            list_pop(q, l);
            /* a new bucket that ran dry goes through the old list once, so a flow
             * cannot win new-flow priority back by pausing between packets */
            if (l == &q->new_flows && q->old_flows.head >= 0) {
                b->list = LIST_OLD;
                list_push(q, &q->old_flows, i);
            } else {
                b->list = LIST_IDLE;
            }
            continue;
        }
        b->deficit -= (int32_t)p->len;
        return p;
    }
}

void uip_fq_purge(struct uip_fq *q, struct uip_pool *pool)
{
    struct uip_pkt *p;

    while ((p = uip_fq_dequeue(q)))
        uip_pool_put(pool, p);
}
