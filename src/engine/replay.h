/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inbound anti-replay window: RFC 6479 ring of 64-bit blocks, with 64-bit
 * extended sequence numbers (RFC 4303 section 3.3.3 and Appendix A2/A3).
 *
 * Use: uip_replay_check() before decryption (it infers the high 32 bits of an
 * ESN from the low 32 bits on the wire), then uip_replay_commit() only after
 * the ICV has been verified.  No allocation after uip_replay_init().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define UIP_REPLAY_DEFAULT_WINDOW 1024u
#define UIP_REPLAY_MAX_WINDOW     (1u << 16)

struct uip_replay {
    uint64_t top;     /* highest sequence number committed so far (0: none yet) */
    uint32_t window;  /* window size in packets (a multiple of 64) */
    uint32_t nblocks; /* ring size in 64-bit blocks: a power of two > window/64 */
    bool esn;
    uint64_t *bitmap; /* nblocks blocks */
};

/*
 * Set up a window of at least @window packets (rounded up to a multiple of
 * 64; 0 = UIP_REPLAY_DEFAULT_WINDOW; more than UIP_REPLAY_MAX_WINDOW is
 * -EINVAL).  Returns 0, -EINVAL or -ENOMEM.
 */
int uip_replay_init(struct uip_replay *r, uint32_t window, bool esn);
void uip_replay_clear(struct uip_replay *r);

/*
 * Check the received low 32 bits @seq_lo.  On success stores the full 64-bit
 * sequence number to @seq (without ESN: @seq_lo) and returns 0.  Returns
 * -EALREADY for a duplicate, -ESTALE when it lies left of the window (with
 * ESN also: before the first subspace), -EINVAL for sequence number 0 (never
 * sent; with ESN: inferred as 0, or past 2^64 - 1).  Changes nothing.
 */
int uip_replay_check(const struct uip_replay *r, uint32_t seq_lo, uint64_t *seq);

/*
 * Mark @seq (as returned by uip_replay_check) received, sliding the window
 * when it is ahead.  Call only after the ICV verified.  Returns 0, or
 * -EALREADY if it was marked meanwhile, -ESTALE if the window slid past it
 * meanwhile, -EINVAL for 0 (or, without ESN, more than 32 bits).  Nothing is
 * changed on failure.
 */
int uip_replay_commit(struct uip_replay *r, uint64_t seq);
