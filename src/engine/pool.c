/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packet pool: one slab allocated at start, a free list threaded through it.
 * get/put are O(1) and never allocate; the engine is single-threaded, so no lock.
 */
#include "engine/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int uip_pool_init(struct uip_pool *pool, unsigned count)
{
    struct uip_pkt *slab;

    if (count == 0)
        return -EINVAL;
    slab = aligned_alloc(64, sizeof(*slab) * count);
    if (!slab)
        return -ENOMEM;
    memset(pool, 0, sizeof(*pool));
    pool->slab = slab;
    pool->size = count;
    for (unsigned i = count; i-- > 0;) {
        slab[i].next_free = pool->free;
        pool->free = &slab[i];
    }
    pool->avail = count;
    return 0;
}

void uip_pool_clear(struct uip_pool *pool)
{
    free(pool->slab);
    memset(pool, 0, sizeof(*pool));
}

struct uip_pkt *uip_pool_get(struct uip_pool *pool)
{
    struct uip_pkt *p = pool->free;

    if (!p) {
        pool->empty++;
        return NULL;
    }
    pool->free = p->next_free;
    pool->avail--;
    p->next_free = NULL;
    uip_pkt_reset(p);
    return p;
}

void uip_pool_put(struct uip_pool *pool, struct uip_pkt *p)
{
    if (!p)
        return;
    p->next_free = pool->free;
    pool->free = p;
    pool->avail++;
}
