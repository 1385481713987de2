/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inbound anti-replay window.
 *
 * Flow: the inbound ESP path reads the SPI and the 32-bit sequence number from
 * the wire and finds the SA; uip_replay_check() then infers the full 64-bit
 * number (ESN, RFC 4303 Appendix A2) and rejects duplicates and packets left
 * of the window before any crypto is spent on them.  The packet is decrypted
 * with the inferred high 32 bits in the ICV/AAD; only when the ICV verified
 * does uip_replay_commit() mark the number and slide the window, and the
 * packet goes on to the TUN device.  A forged packet thus never moves the
 * window.
 *
 * Layout (RFC 6479): a ring of nblocks 64-bit blocks, nblocks a power of two
 * and at least window/64 + 1, so the window [top - window + 1, top] always
 * fits in the ring with one spare block.  Number s lives at bit (s & 63) of
 * block (s >> 6) & (nblocks - 1).  Sliding forward zeroes only the blocks
 * stepped into, never more than nblocks of them, so even a huge jump costs
 * bounded work, and no bit is ever shifted.  Bits that the ring still holds
 * left of the window are ignored: the left edge is checked arithmetically.
 *
 * ESN inference (RFC 4303 A2.1), with top = Th:Tl, window W and bottom
 * Bl = Tl - W + 1 (mod 2^32):
 *   Tl >= W - 1 (window inside one subspace):  lo >= Bl -> Th, else Th + 1
 *   Tl <  W - 1 (window spans two subspaces):  lo >= Bl -> Th - 1, else Th
 * i.e. lo is placed in [top - W + 1, top - W + 2^32].  Th - 1 does not exist
 * when Th is 0 (such a packet lies before the first number): -ESTALE.  Th + 1
 * does not exist when Th is 0xffffffff (the sender must have rekeyed long
 * before): -EINVAL.  The resynchronisation of A3 is not done here.
 *
 * Without ESN the number is the 32-bit value on the wire; the sender never
 * wraps (it rekeys first), so plain comparison is enough.  Number 0 is never
 * sent, with or without ESN.
 */
#include "engine/replay.h"

#include <errno.h>
#include <glib.h>

#define BLOCK_BITS  64u
#define BLOCK_SHIFT 6u

int uip_replay_init(struct uip_replay *r, uint32_t window, bool esn)
{
    uint32_t nblocks = 1;
    uint64_t *bitmap;

    if (window > UIP_REPLAY_MAX_WINDOW)
        return -EINVAL;
    if (window == 0)
        window = UIP_REPLAY_DEFAULT_WINDOW;
    window = (window + BLOCK_BITS - 1) & ~(BLOCK_BITS - 1);

    while (nblocks < window / BLOCK_BITS + 1)
        nblocks <<= 1;

    bitmap = g_try_new0(uint64_t, nblocks);
    if (!bitmap)
        return -ENOMEM;

    *r = (struct uip_replay){
        .top = 0,
        .window = window,
        .nblocks = nblocks,
        .esn = esn,
        .bitmap = bitmap,
    };
    return 0;
}

void uip_replay_clear(struct uip_replay *r)
{
    if (!r)
        return;
    g_free(r->bitmap);
    *r = (struct uip_replay){0};
}

static inline uint64_t *block_of(const struct uip_replay *r, uint64_t seq)
{
    return &r->bitmap[(seq >> BLOCK_SHIFT) & (r->nblocks - 1)];
}

static inline uint64_t bit_of(uint64_t seq)
{
    return UINT64_C(1) << (seq & (BLOCK_BITS - 1));
}

/* The full number for @seq_lo (RFC 4303 A2.1); see the top of the file. */
static int infer_seq(const struct uip_replay *r, uint32_t seq_lo, uint64_t *seq)
{
    uint32_t tl, th, bl;

    if (!r->esn) {
        *seq = seq_lo;
        return 0;
    }

    tl = (uint32_t)r->top;
    th = (uint32_t)(r->top >> 32);
    bl = tl - r->window + 1;

    if (tl >= r->window - 1) {
        if (seq_lo < bl) {
            if (th == UINT32_MAX)
                return -EINVAL;
            th++;
        }
    } else if (seq_lo >= bl) {
        if (th == 0)
            return -ESTALE;
        th--;
    }

    *seq = (uint64_t)th << 32 | seq_lo;
    return 0;
}

/* Where @seq stands against the window, bitmap included. */
static int classify(const struct uip_replay *r, uint64_t seq)
{
    if (seq == 0)
        return -EINVAL;
    if (seq > r->top)
        return 0;
    if (r->top - seq >= r->window)
        return -ESTALE;
    if (*block_of(r, seq) & bit_of(seq))
        return -EALREADY;
    return 0;
}

int uip_replay_check(const struct uip_replay *r, uint32_t seq_lo, uint64_t *seq)
{
    uint64_t s;
    int ret;

    ret = infer_seq(r, seq_lo, &s);
    if (ret < 0)
        return ret;
    ret = classify(r, s);
    if (ret < 0)
        return ret;

    *seq = s;
    return 0;
}

int uip_replay_commit(struct uip_replay *r, uint64_t seq)
{
    int ret;

    if (!r->esn && seq > UINT32_MAX)
        return -EINVAL;
    ret = classify(r, seq);
    if (ret < 0)
        return ret;

    if (seq > r->top) {
        uint64_t cur = r->top >> BLOCK_SHIFT;
        uint64_t steps = (seq >> BLOCK_SHIFT) - cur;

        if (steps > r->nblocks)
            steps = r->nblocks;
        for (uint64_t i = 1; i <= steps; i++)
            r->bitmap[(cur + i) & (r->nblocks - 1)] = 0;
        r->top = seq;
    }

    *block_of(r, seq) |= bit_of(seq);
    return 0;
}
