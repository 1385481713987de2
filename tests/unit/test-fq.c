/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The outbound fair queue on its own: a packet of a sparse flow overtakes a
 * flood's backlog, bulk flows share by bytes, the fattest flow is shed at
 * the limits, and every buffer returns to the pool.
 */
#include <glib.h>

#include "engine/fq.h"
#include "engine/pkt.h"

#define FLOW_A 0x11u
#define FLOW_B 0x22u
#define FLOW_C 0x33u

/* Packets carry their flow in byte 0 and their sequence number in bytes 1-2. */
static struct uip_pkt *pkt(struct uip_pool *pool, uint8_t flow, uint16_t seq, uint32_t len)
{
    struct uip_pkt *p = uip_pool_get(pool);
    g_assert_nonnull(p);
    p->len = len;
    p->data[0] = flow;
    p->data[1] = (uint8_t)(seq >> 8);
    p->data[2] = (uint8_t)seq;
    return p;
}

static uint16_t seq_of(const struct uip_pkt *p)
{
    return (uint16_t)(p->data[1] << 8 | p->data[2]);
}

static void test_sparse_flow_overtakes(void)
{
    struct uip_pool pool;
    static struct uip_fq q;
    struct uip_pkt *p;
    unsigned pos = 0, ping_pos = 0;

    g_assert_cmpint(uip_pool_init(&pool, 128), ==, 0);
    uip_fq_init(&q, 120, 0, 0);
    for (unsigned i = 0; i < 100; i++)
        g_assert_cmpuint(uip_fq_enqueue(&q, pkt(&pool, FLOW_A, i, 1400), FLOW_A, &pool), ==, 0);
    g_assert_cmpuint(uip_fq_enqueue(&q, pkt(&pool, FLOW_B, 0, 84), FLOW_B, &pool), ==, 0);
    g_assert_cmpuint(q.pkts, ==, 101);
    uint16_t next_a = 0;
    while ((p = uip_fq_dequeue(&q))) {
        pos++;
        if (p->data[0] == FLOW_B) {
            ping_pos = pos;
        } else {
            g_assert_cmpuint(seq_of(p), ==, next_a); /* a flow keeps its order */
            next_a++;
        }
        uip_pool_put(&pool, p);
    }
    /* the flood's bucket uses up its quantum (two packets), then the ping goes:
     * without the queue it would have waited behind all 100 */
    g_assert_cmpuint(ping_pos, ==, 3);
    g_assert_cmpuint(next_a, ==, 100);
    g_assert_true(uip_fq_empty(&q));
    g_assert_cmpuint(pool.avail, ==, pool.size);
    uip_pool_clear(&pool);
}

static void test_bulk_flows_share_bytes(void)
{
    struct uip_pool pool;
    static struct uip_fq q;
    uint64_t bytes[2] = {0, 0};

    g_assert_cmpint(uip_pool_init(&pool, 256), ==, 0);
    uip_fq_init(&q, 256, 0, 0);
    /* A sends big packets, B small ones: byte fairness, not packet fairness */
    for (unsigned i = 0; i < 40; i++)
        uip_fq_enqueue(&q, pkt(&pool, FLOW_A, i, 1500), FLOW_A, &pool);
    for (unsigned i = 0; i < 200; i++)
        uip_fq_enqueue(&q, pkt(&pool, FLOW_B, i, 300), FLOW_B, &pool);
    /* while both are backlogged (A holds 60000 bytes, B 60000), each gets its share */
    for (unsigned i = 0; i < 100; i++) {
        struct uip_pkt *p = uip_fq_dequeue(&q);
        g_assert_nonnull(p);
        bytes[p->data[0] == FLOW_B] += p->len;
        uip_pool_put(&pool, p);
    }
    g_test_message("after 100 dequeues: A %" G_GUINT64_FORMAT " bytes, B %" G_GUINT64_FORMAT,
                   bytes[0], bytes[1]);
    g_assert_cmpuint(bytes[0], >, 0);
    g_assert_cmpuint(bytes[1], >, 0);
    /* within one quantum plus one packet of each other */
    uint64_t diff = bytes[0] > bytes[1] ? bytes[0] - bytes[1] : bytes[1] - bytes[0];
    g_assert_cmpuint(diff, <=, UIP_FQ_QUANTUM + 1500);
    uip_fq_purge(&q, &pool);
    g_assert_cmpuint(pool.avail, ==, pool.size);
    uip_pool_clear(&pool);
}

static void test_limit_sheds_fattest(void)
{
    struct uip_pool pool;
    static struct uip_fq q;
    struct uip_pkt *p;

    g_assert_cmpint(uip_pool_init(&pool, 64), ==, 0);
    uip_fq_init(&q, 10, 0, 0);
    for (unsigned i = 0; i < 8; i++)
        g_assert_cmpuint(uip_fq_enqueue(&q, pkt(&pool, FLOW_A, i, 1000), FLOW_A, &pool), ==, 0);
    g_assert_cmpuint(uip_fq_enqueue(&q, pkt(&pool, FLOW_C, 0, 500), FLOW_C, &pool), ==, 0);
    g_assert_cmpuint(uip_fq_enqueue(&q, pkt(&pool, FLOW_C, 1, 500), FLOW_C, &pool), ==, 0);
    /* the 11th packet, of a third flow: A (the fattest) loses its oldest packet */
    g_assert_cmpuint(uip_fq_enqueue(&q, pkt(&pool, FLOW_B, 0, 84), FLOW_B, &pool), ==, 1);
    g_assert_cmpuint(q.pkts, ==, 10);
    g_assert_cmpuint(q.dropped, ==, 1);
    g_assert_cmpuint(pool.avail, ==, 64 - 10);
    bool seen_b = false;
    unsigned seen_c = 0;
    int first_a = -1;
    while ((p = uip_fq_dequeue(&q))) {
        if (p->data[0] == FLOW_A && first_a < 0)
            first_a = seq_of(p);
        seen_b |= p->data[0] == FLOW_B;
        seen_c += p->data[0] == FLOW_C;
        uip_pool_put(&pool, p);
    }
    g_assert_cmpint(first_a, ==, 1);
    g_assert_true(seen_b);
    g_assert_cmpuint(seen_c, ==, 2);
    g_assert_cmpuint(pool.avail, ==, pool.size);
    uip_pool_clear(&pool);
}

static void test_byte_limit(void)
{
    struct uip_pool pool;
    static struct uip_fq q;
    unsigned dropped = 0;

    g_assert_cmpint(uip_pool_init(&pool, 64), ==, 0);
    uip_fq_init(&q, 64, 5000, 0);
    for (unsigned i = 0; i < 10; i++)
        dropped += uip_fq_enqueue(&q, pkt(&pool, FLOW_A, i, 1400), FLOW_A, &pool);
    g_assert_cmpuint(q.bytes, <=, 5000);
    g_assert_cmpuint(q.pkts, ==, 3);
    g_assert_cmpuint(dropped, ==, 7);
    /* the newest survive: the sender learns of the loss soonest */
    struct uip_pkt *p = uip_fq_dequeue(&q);
    g_assert_cmpuint(seq_of(p), ==, 7);
    uip_pool_put(&pool, p);
    /* one frame larger than the whole limit cannot stay */
    uip_fq_purge(&q, &pool);
    g_assert_cmpuint(uip_fq_enqueue(&q, pkt(&pool, FLOW_B, 0, 6000), FLOW_B, &pool), ==, 1);
    g_assert_true(uip_fq_empty(&q));
    g_assert_null(uip_fq_dequeue(&q));
    g_assert_cmpuint(pool.avail, ==, pool.size);
    uip_pool_clear(&pool);
}

static void test_paused_flow_loses_priority(void)
{
    struct uip_pool pool;
    static struct uip_fq q;
    struct uip_pkt *p;

    g_assert_cmpint(uip_pool_init(&pool, 64), ==, 0);
    uip_fq_init(&q, 64, 0, 0);
    for (unsigned i = 0; i < 20; i++)
        uip_fq_enqueue(&q, pkt(&pool, FLOW_A, i, 1400), FLOW_A, &pool);
    uip_fq_enqueue(&q, pkt(&pool, FLOW_B, 0, 1400), FLOW_B, &pool);
    /* A's quantum (2 packets), then B's: B runs dry and joins the old list */
    for (unsigned i = 0; i < 3; i++)
        uip_pool_put(&pool, uip_fq_dequeue(&q));
    p = uip_fq_dequeue(&q); /* B is found empty on the way: A's next */
    g_assert_cmpuint(p->data[0], ==, FLOW_A);
    uip_pool_put(&pool, p);
    /* B sends a burst at once: it is on the old list, behind A's turn, not ahead */
    for (unsigned i = 1; i < 6; i++)
        uip_fq_enqueue(&q, pkt(&pool, FLOW_B, i, 1400), FLOW_B, &pool);
    /* one quantum each in turn (B A B A); a new-flow jump would give B B A A */
    char order[5] = "";
    for (unsigned i = 0; i < 4; i++) {
        p = uip_fq_dequeue(&q);
        order[i] = p->data[0] == FLOW_B ? 'B' : 'A';
        uip_pool_put(&pool, p);
    }
    g_assert_cmpstr(order, ==, "BABA");
    uip_fq_purge(&q, &pool);
    g_assert_cmpuint(pool.avail, ==, pool.size);
    uip_pool_clear(&pool);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fq/sparse-flow-overtakes", test_sparse_flow_overtakes);
    g_test_add_func("/fq/bulk-flows-share-bytes", test_bulk_flows_share_bytes);
    g_test_add_func("/fq/limit-sheds-fattest", test_limit_sheds_fattest);
    g_test_add_func("/fq/byte-limit", test_byte_limit);
    g_test_add_func("/fq/paused-flow-loses-priority", test_paused_flow_loses_priority);
    return g_test_run();
}
