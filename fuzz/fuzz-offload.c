/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the TUN offloads (src/engine/offload.c).
 *
 * The first input byte picks the mode:
 *   even: a frame read from the TUN: a virtio_net_hdr (the next 10 bytes) and
 *         a (super-)packet (the rest), cut by uip_gso_split();
 *   odd:  decrypted inner packets (each a 2-byte length and its bytes) go
 *         through GRO, TCP only or (bit 1) UDP too, and are written out at the
 *         end: every buffer must come back to the pool, and every frame
 *         written must carry a virtio_net_hdr that uip_gso_split() accepts
 *         when it describes a super-packet.
 */
#include <assert.h>
#include <string.h>

#include "engine/offload.h"

static struct uip_pool pool;

static void emit(void *ctx, struct uip_pkt *p)
{
    (void)ctx;
    assert(p->len <= UIP_PKT_MAX_LEN);
    uip_pool_put(&pool, p);
}

static void write_frame(void *ctx, const uint8_t *frame, size_t len)
{
    struct virtio_net_hdr h;

    (void)ctx;
    assert(len >= UIP_VNET_HDR_LEN);
    memcpy(&h, frame, sizeof(h));
    if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        int n = uip_gso_split(&h, frame + UIP_VNET_HDR_LEN, len - UIP_VNET_HDR_LEN, &pool, emit,
                              NULL);
        assert(n > 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct uip_gro gro;

    if (!pool.slab && uip_pool_init(&pool, 256) < 0)
        return 0;
    if (size < 1)
        return 0;
    if (!(data[0] & 1)) {
        struct virtio_net_hdr h;
        if (size < 1 + sizeof(h))
            return 0;
        memcpy(&h, data + 1, sizeof(h));
        (void)uip_gso_split(&h, data + 1 + sizeof(h), size - 1 - sizeof(h), &pool, emit, NULL);
    } else {
        memset(&gro, 0, sizeof(gro));
        gro.udp = data[0] & 2;
        for (size_t off = 1; off + 2 <= size;) {
            size_t n = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            if (n > size - off)
                n = size - off;
            struct uip_pkt *p = uip_pool_get(&pool);
            if (!p)
                break;
            p->data += 16; /* like after decapsulation */
            memcpy(p->data, data + off, n);
            p->len = (uint32_t)n;
            off += n;
            uip_gro_add(&gro, p, &pool, write_frame, NULL);
        }
        uip_gro_flush(&gro, &pool, write_frame, NULL);
    }
    assert(pool.avail == pool.size);
    return 0;
}
