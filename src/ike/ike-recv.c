/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The receive path: from a datagram to a message parsed whole, or a drop.
 *
 *   <- ike_session_input() (the owner's datagram, non-ESP marker removed), or
 *      the fuzzer with a context of fixed keys
 *   ike_receive(): header and payload chain checked; IKE_SA_INIT responses
 *      checked against what we sent; everything else matched to one of the
 *      IKE SAs in the context, its I flag and message ID checked and its
 *      payloads in the clear placed before any key is used; then a copy is
 *      decrypted, SKF fragments are kept until the message is whole (bounded
 *      count and size), the inner chain is parsed and placed
 *   -> a struct ike_recv for the state machine (ike-session.c dispatches it),
 *      or an enum ike_drop that the session counts.
 * Nothing here logs, and nothing changes but the fragment reassembly.
 */
#include "ike/ike-recv.h"

#include <errno.h>
#include <string.h>

#include "common/uip-secret.h"

/* The reasons: their names, and which of them are part of normal operation (no error). */
static const struct {
    const char *name;
    bool normal;
} drops[IKE_DROP__MAX] = {
    [IKE_DROP_MALFORMED] = {"malformed", false},
    [IKE_DROP_UNKNOWN_EXCHANGE] = {"unknown-exchange", false},
    [IKE_DROP_UNKNOWN_SPI] = {"unknown-spi", false},
    [IKE_DROP_WRONG_DIRECTION] = {"wrong-direction", false},
    [IKE_DROP_PLACEMENT] = {"placement", false},
    [IKE_DROP_UNPROTECTED] = {"unprotected", false},
    [IKE_DROP_LATE_RESPONSE] = {"late-response", true},
    [IKE_DROP_RETRANSMIT_ANSWERED] = {"retransmit-answered", true},
    [IKE_DROP_OLD_REQUEST] = {"old-request", false},
    [IKE_DROP_FUTURE_REQUEST] = {"future-request", false},
    [IKE_DROP_DECRYPT] = {"decrypt", false},
    [IKE_DROP_FRAGMENT_PENDING] = {"fragment-pending", true},
    [IKE_DROP_FRAGMENT_DUPLICATE] = {"fragment-duplicate", true},
    [IKE_DROP_FRAGMENT_LIMIT] = {"fragment-limit", false},
    [IKE_DROP_NOT_YET] = {"not-yet", false},
    [IKE_DROP_WRONG_EXCHANGE] = {"wrong-exchange", false},
    [IKE_DROP_NOT_RUNNING] = {"not-running", false},
    [IKE_DROP_WRONG_ADDRESS] = {"wrong-address", false},
    [IKE_DROP_INIT_UNUSABLE] = {"init-unusable", false},
    [IKE_DROP_SUPERSEDED] = {"superseded", true},
    [IKE_DROP_RETRANSMIT_FRAGMENT] = {"retransmit-fragment", true},
    [IKE_DROP_RETRANSMIT_LIMITED] = {"retransmit-limited", true},
};

const char *ike_drop_name(enum ike_drop why)
{
    return (unsigned)why < IKE_DROP__MAX && drops[why].name ? drops[why].name : "unknown";
}

bool ike_drop_normal(enum ike_drop why)
{
    return (unsigned)why < IKE_DROP__MAX && drops[why].normal;
}

/* ---- fragments (RFC 7383 2.6) ------------------------------------------------------------- */

void ike_frags_reset(struct ike_frags *f)
{
    for (unsigned i = 0; i < IKE_MAX_FRAGMENTS; i++)
        if (f->parts[i]) {
            gsize n = 0;
            uip_wipe((void *)g_bytes_get_data(f->parts[i], &n), n);
            g_clear_pointer(&f->parts[i], g_bytes_unref);
        }
    memset(f, 0, sizeof(*f));
}

/*
 * Keep the decrypted content of one fragment.  Returns 0 and the whole inner
 * chain in @out when the message is complete; -EAGAIN (more to come),
 * -EALREADY (a fragment already kept), -E2BIG (more fragments or bytes than
 * one message may have: the reassembly is abandoned), -EBADMSG (numbers).
 */
static int frags_add(struct ike_frags *f, const struct ike_msg *m, const struct ike_sk *sk,
                     const uint8_t *inner, size_t inner_len, GBytes **out)
{
    bool response = m->hdr.flags & IKE_FLAG_RESPONSE;

    if (sk->frag_num == 0 || sk->frag_num > sk->frag_total)
        return -EBADMSG;
    if (sk->frag_total > IKE_MAX_FRAGMENTS) {
        ike_frags_reset(f);
        return -E2BIG;
    }
    if (f->total &&
        (f->msg_id != m->hdr.msg_id || f->response != response || f->total != sk->frag_total))
        ike_frags_reset(f); /* a new message: the old one will never complete */
    if (f->parts[sk->frag_num - 1])
        return -EALREADY;
    if (f->bytes + inner_len > IKE_MAX_MSG_LEN) {
        ike_frags_reset(f);
        return -E2BIG;
    }
    f->msg_id = m->hdr.msg_id;
    f->response = response;
    f->total = sk->frag_total;
    if (sk->frag_num == 1)
        f->first_type = sk->first_type;
    f->parts[sk->frag_num - 1] = g_bytes_new(inner, inner_len);
    f->bytes += inner_len;
    if (++f->have < f->total)
        return -EAGAIN;
    GByteArray *all = g_byte_array_sized_new((guint)f->bytes);
    for (unsigned i = 0; i < f->total; i++) {
        gsize n = 0;
        const uint8_t *d = g_bytes_get_data(f->parts[i], &n);
        g_byte_array_append(all, d, (guint)n);
    }
    *out = g_byte_array_free_to_bytes(all);
    return 0;
}

static enum ike_drop frags_drop_reason(int r)
{
    switch (r) {
    case -EAGAIN:
        return IKE_DROP_FRAGMENT_PENDING;
    case -EALREADY:
        return IKE_DROP_FRAGMENT_DUPLICATE;
    case -E2BIG:
        return IKE_DROP_FRAGMENT_LIMIT;
    default:
        return IKE_DROP_MALFORMED;
    }
}

/* ---- the path ----------------------------------------------------------------------------- */

void ike_recv_clear(struct ike_recv *r)
{
    if (r->plain) {
        uip_wipe(r->plain, r->plain_len);
        g_clear_pointer(&r->plain, g_free);
    }
    if (r->whole) {
        gsize n = 0;
        uip_wipe((void *)g_bytes_get_data(r->whole, &n), n);
        g_clear_pointer(&r->whole, g_bytes_unref);
    }
    r->plain_len = 0;
    r->inner = NULL;
    r->inner_len = 0;
}

static bool drop(struct ike_recv *out, enum ike_drop *why, enum ike_drop reason)
{
    ike_recv_clear(out);
    *why = reason;
    return false;
}

/* ike_msg_check_placement() as a drop reason; 0 when every payload is where it may be. */
static int placement(const struct ike_msg *m, enum ike_drop *reason)
{
    int r = ike_msg_check_placement(m);

    if (r < 0)
        *reason = r == -EOPNOTSUPP ? IKE_DROP_UNKNOWN_EXCHANGE : IKE_DROP_PLACEMENT;
    return r;
}

/* The IKE SA of the context whose SPIs the message names, or NULL. */
static struct sa_ctx *find_sa(const struct ike_recv_ctx *ctx, const struct ike_hdr *h)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(ctx->sa); i++)
        if (ctx->sa[i] && h->spi_i == ctx->sa[i]->spi_i && h->spi_r == ctx->sa[i]->spi_r)
            return ctx->sa[i];
    return NULL;
}

/* IKE_SA_INIT: the response to ours, unprotected; no keys yet. */
static bool take_init(const struct ike_recv_ctx *ctx, struct ike_recv *out, enum ike_drop *why)
{
    const struct ike_hdr *h = &out->m.hdr;
    enum ike_drop reason;

    if (h->spi_i != ctx->init_spi_i)
        return drop(out, why, IKE_DROP_UNKNOWN_SPI);
    if (!(h->flags & IKE_FLAG_RESPONSE) || (h->flags & IKE_FLAG_INITIATOR))
        return drop(out, why, IKE_DROP_WRONG_DIRECTION);
    if (!ctx->init_sent || h->msg_id != 0)
        return drop(out, why, IKE_DROP_LATE_RESPONSE);
    if (placement(&out->m, &reason) < 0)
        return drop(out, why, reason);
    return true;
}

/*
 * The gateway's last request again, answered already: is it one to send our answer again for?
 * Only when it verifies (no answer again to what the gateway did not send), and of a request
 * in fragments only for its fragment number 1 (RFC 7383 2.6.1), not once per fragment.
 */
static bool retransmit_to_answer(const struct sa_ctx *sa, const uint8_t *buf, size_t len,
                                 struct ike_recv *out, enum ike_drop *why)
{
    struct ike_msg *m = &out->m;
    bool skf = m->pl[m->sk].type == IKE_PL_SKF;
    struct ike_sk sk;
    uint8_t *copy, *inner;
    size_t inner_len;

    if (ike_sk_parse(&m->pl[m->sk], &sk) < 0)
        return drop(out, why, IKE_DROP_MALFORMED);
    if (skf && sk.frag_num != 1)
        return drop(out, why, IKE_DROP_RETRANSMIT_FRAGMENT);
    size_t body_off = (size_t)(sk.enc - buf);
    copy = g_memdup2(buf, len);
    int r = ike_sk_decrypt(sa->dec, copy, len, body_off - (skf ? 8 : 4), body_off, &inner,
                           &inner_len);
    uip_wipe(copy, len);
    g_free(copy);
    if (r < 0)
        return drop(out, why, IKE_DROP_DECRYPT);
    return true;
}

/* The message ID: a response to our request, the gateway's next request, or its last again. */
static bool check_msg_id(const struct ike_recv_ctx *ctx, struct sa_ctx *sa, const uint8_t *buf,
                         size_t len, struct ike_recv *out, enum ike_drop *why)
{
    const struct ike_hdr *h = &out->m.hdr;

    if (h->flags & IKE_FLAG_RESPONSE) {
        if (sa != ctx->sa[0] || !ctx->request_out || h->msg_id != ctx->request_id)
            return drop(out, why, IKE_DROP_LATE_RESPONSE);
        return true;
    }
    if (h->msg_id == sa->peer_next_id)
        return true;
    if (h->msg_id + 1 == sa->peer_next_id && sa->last_response) {
        if (!retransmit_to_answer(sa, buf, len, out, why))
            return false;
        out->sa = sa; /* our answer got lost: the caller sends it again */
        return drop(out, why, IKE_DROP_RETRANSMIT_ANSWERED);
    }
    return drop(out, why,
                h->msg_id < sa->peer_next_id ? IKE_DROP_OLD_REQUEST : IKE_DROP_FUTURE_REQUEST);
}

/* Decrypt a copy of the datagram; SKF: keep it until the message is whole.  The inner chain
 * and its first payload type go to @out and @first_type. */
static bool decrypt(const struct ike_recv_ctx *ctx, const struct sa_ctx *sa, const uint8_t *buf,
                    size_t len, struct ike_recv *out, uint8_t *first_type, enum ike_drop *why)
{
    struct ike_msg *m = &out->m;
    struct ike_sk sk;
    uint8_t *inner;
    size_t inner_len;
    bool skf = m->pl[m->sk].type == IKE_PL_SKF;

    if (ike_sk_parse(&m->pl[m->sk], &sk) < 0)
        return drop(out, why, IKE_DROP_MALFORMED);
    size_t body_off = (size_t)(sk.enc - buf);
    out->plain = g_memdup2(buf, len);
    out->plain_len = len;
    if (ike_sk_decrypt(sa->dec, out->plain, len, body_off - (skf ? 8 : 4), body_off, &inner,
                       &inner_len) < 0)
        return drop(out, why, IKE_DROP_DECRYPT);
    *first_type = sk.first_type;
    out->inner = inner;
    out->inner_len = inner_len;
    if (!skf)
        return true;

    int r = frags_add(ctx->frags, m, &sk, inner, inner_len, &out->whole);
    if (r < 0)
        return drop(out, why, frags_drop_reason(r));
    *first_type = ctx->frags->first_type;
    out->n_frags = ctx->frags->total;
    ike_frags_reset(ctx->frags);
    gsize n = 0;
    out->inner = g_bytes_get_data(out->whole, &n);
    out->inner_len = n;
    return true;
}

bool ike_receive(const struct ike_recv_ctx *ctx, const uint8_t *buf, size_t len,
                 struct ike_recv *out, enum ike_drop *why)
{
    struct ike_msg *m = &out->m;
    enum ike_drop reason;
    uint8_t first_type;

    out->sa = NULL;
    out->inner = NULL;
    out->inner_len = 0;
    out->n_frags = 0;
    out->plain = NULL;
    out->plain_len = 0;
    out->whole = NULL;
    if (ike_msg_parse(buf, len, m) < 0)
        return drop(out, why, IKE_DROP_MALFORMED);
    if (m->hdr.exchange == IKE_SA_INIT)
        return take_init(ctx, out, why);

    struct sa_ctx *sa = find_sa(ctx, &m->hdr);
    if (!sa || !sa->dec)
        return drop(out, why, IKE_DROP_UNKNOWN_SPI);
    if (!!(m->hdr.flags & IKE_FLAG_INITIATOR) == sa->we_initiated)
        return drop(out, why, IKE_DROP_WRONG_DIRECTION);
    if (placement(m, &reason) < 0) /* the payloads in the clear: before any key is used */
        return drop(out, why, reason);
    if (m->sk < 0)
        return drop(out, why, IKE_DROP_UNPROTECTED);
    if (!check_msg_id(ctx, sa, buf, len, out, why) || !decrypt(ctx, sa, buf, len, out, &first_type, why))
        return false;
    if (ike_msg_parse_inner(m, first_type, out->inner, out->inner_len) < 0)
        return drop(out, why, IKE_DROP_MALFORMED);
    if (placement(m, &reason) < 0) /* now with the inner payloads */
        return drop(out, why, reason);
    if (!(m->hdr.flags & IKE_FLAG_RESPONSE) && !ctx->established)
        return drop(out, why, IKE_DROP_NOT_YET); /* nothing to answer before the tunnel is up */
    out->sa = sa;
    return true;
}
