/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The receive path of the IKEv2 initiator: one function from a datagram to
 * either a message the state machine may act on or the reason it may not
 * (enum ike_drop, ike-session.h).  The session (ike-session.c) and the
 * fuzzer (fuzz/fuzz-ike-sk.c) call the same function.  It keeps no state of
 * its own: what it needs of the session comes in struct ike_recv_ctx, and all
 * it changes there is the fragment reassembly.  It logs nothing: the session
 * counts the reasons and logs them rate-limited.
 *
 * Internal to src/ike and its fuzzer; not installed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "ike/ike-crypto.h"
#include "ike/ike-session.h"
#include "ike/payload.h"
#include "ike/proposal.h"

#define IKE_MAX_FRAGMENTS 32 /* RFC 7383 fragments of one message we keep */

/* One IKE SA's keys and message IDs.  After a rekey the old one lives on
 * until the gateway deletes it. */
struct sa_ctx {
    uint64_t spi_i, spi_r;
    bool we_initiated; /* we are its original initiator (the I flag is ours) */
    struct ike_selected sel;
    struct ike_keys *keys;
    struct ike_sk_ctx *enc, *dec;
    uint32_t next_id;         /* message ID of our next request */
    uint32_t peer_next_id;    /* the gateway's next request */
    GPtrArray *last_response; /* our answer to its last request (datagrams), for retransmissions */
};

/* A fragmented message being reassembled (RFC 7383 2.6): the decrypted content of each part. */
struct ike_frags {
    uint32_t msg_id;
    bool response;
    uint16_t total, have;
    uint8_t first_type;
    size_t bytes;
    GBytes *parts[IKE_MAX_FRAGMENTS];
};

/* What the receive path needs to know of its session when a datagram arrives. */
struct ike_recv_ctx {
    bool init_sent;      /* our IKE_SA_INIT is out: its response is wanted ... */
    uint64_t init_spi_i; /* ... naming this SPI of ours */
    /* The IKE SAs a message may belong to (NULL: none): the current one first,
     * which carries our requests, then e.g. the one a rekey replaced. */
    struct sa_ctx *sa[3];
    bool request_out; /* our request request_id on sa[0] waits for its response */
    uint32_t request_id;
    bool established; /* the gateway's requests are taken (before: IKE_DROP_NOT_YET) */
    struct ike_frags *frags;
};

/* A received message, parsed whole. */
struct ike_recv {
    struct ike_msg m;     /* outer payloads: views into the datagram; inner ones into plain/whole */
    struct sa_ctx *sa;    /* the IKE SA it came on; NULL for IKE_SA_INIT */
    const uint8_t *inner; /* the decrypted inner payload chain (NULL for IKE_SA_INIT) */
    size_t inner_len;
    unsigned n_frags; /* reassembled from this many fragments; 0: one datagram */
    /* owned, wiped by ike_recv_clear() */
    uint8_t *plain; /* the datagram, decrypted in place */
    size_t plain_len;
    GBytes *whole; /* the reassembled inner chain */
};

/*
 * Take one datagram from the gateway, in this order:
 *   validate       ike_msg_parse()                          IKE_DROP_MALFORMED
 *   IKE_SA_INIT    our SPI, a response without the I flag, wanted, message ID 0,
 *                  placement: done (no keys yet)
 *   find the SA    SPIs of ctx->sa[], with keys               UNKNOWN_SPI
 *   direction      the I flag names its original initiator    WRONG_DIRECTION
 *   placement      the payloads in the clear, before any key is used: only SK/SKF
 *                  (ike_msg_check_placement())              PLACEMENT, UNKNOWN_EXCHANGE
 *   protected      an SK/SKF payload                          UNPROTECTED
 *   message ID     a response answers ctx->request_id on sa[0] (LATE_RESPONSE); a
 *                  request is the SA's next (OLD_, FUTURE_REQUEST), or the last one
 *                  again while our answer is kept: verified on a copy (DECRYPT), and
 *                  in fragments only its fragment 1 (RETRANSMIT_FRAGMENT, RFC 7383
 *                  2.6.1), then RETRANSMIT_ANSWERED: out->sa set, the caller sends
 *                  sa->last_response again
 *   decrypt        ike_sk_decrypt() on a copy                 DECRYPT
 *   reassemble     SKF into ctx->frags    FRAGMENT_PENDING, _DUPLICATE, _LIMIT
 *   parse          ike_msg_parse_inner()                      MALFORMED
 *   placement      again, with the inner payloads             PLACEMENT
 *   state          a request before ctx->established          NOT_YET
 * Returns true with the message in *@out (@buf must outlive it; release with
 * ike_recv_clear()), or false with the reason in *@why and nothing in *@out to
 * release.  Nothing of the session changes but ctx->frags.
 */
bool ike_receive(const struct ike_recv_ctx *ctx, const uint8_t *buf, size_t len,
                 struct ike_recv *out, enum ike_drop *why);

/* Whether @why is part of normal operation rather than an error (a repeated answer or
 * fragment, a kept answer sent again, a fragment kept): the session logs those at debug level. */
bool ike_drop_normal(enum ike_drop why);

/* Wipe and free what ike_receive() decrypted into @r; fine twice. */
void ike_recv_clear(struct ike_recv *r);

/* Forget a message being reassembled, wiping its fragments. */
void ike_frags_reset(struct ike_frags *f);
