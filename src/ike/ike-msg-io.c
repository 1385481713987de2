/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How IKE messages go out, for every exchange:
 *
 *   our requests: an exchange file builds the payloads inside SK
 *     (ikes_begin_encrypted()), ikes_send_built_request() seals them ->
 *     the owner's send callback; retransmitted with exponential backoff, a
 *     bounded number of times (then the session fails, or ends its close),
 *     until the response ends it (ikes_request_done())
 *   our answers to the gateway's requests: ikes_respond() seals and sends
 *     them, and keeps them on their IKE SA for a retransmitted request
 *   Messages that would not fit 1280 bytes go out as RFC 7383 fragments when
 *   both sides support them, each encrypted on its own.  (What comes in,
 *   fragments too, goes through ike-recv.c.)
 *   Notify look-ups for every exchange: one type, the first error, its name.
 */
#include "ike/ike-session-priv.h"

#include <netinet/in.h>
#include <string.h>

#include "common/uip-be.h"

/* Send a message: one datagram, or its fragments. */
void ikes_transmit(struct ike_session *s, GPtrArray *msg)
{
    for (unsigned i = 0; i < msg->len; i++) {
        gsize len;
        const uint8_t *d = g_bytes_get_data(msg->pdata[i], &len);
        const struct sockaddr_storage *to = s->natt ? &s->natt_gateway : &s->gateway;
        int r = s->cb.send(s->user, s->natt, (const struct sockaddr *)to, s->gateway_len, d, len);
        if (r < 0)
            _LOGS(LOG_WARNING, s, "cannot send %zu bytes: %s", (size_t)len, g_strerror(-r));
    }
}

/* The same IP address (ports aside)? */
bool ikes_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->sa_family == AF_INET6)
        return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
    return false;
}

/* An IPv4 (4 octets) or IPv6 (16) address @addr with @port into @out: its length. */
socklen_t ikes_sockaddr_set(struct sockaddr_storage *out, const uint8_t *addr, size_t len,
                            uint16_t port)
{
    memset(out, 0, sizeof(*out));
    if (len == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        memcpy(&in->sin_addr, addr, 4);
        return sizeof(*in);
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    memcpy(&in6->sin6_addr, addr, 16);
    return sizeof(*in6);
}

static GPtrArray *dgrams_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

GPtrArray *ikes_dgrams_one(GBytes *b)
{
    GPtrArray *a = dgrams_new();
    g_ptr_array_add(a, b);
    return a;
}

static gboolean on_retransmit(gpointer data);

#define QUICK_BASE_MS 250 /* a quick request: 250, 500, 1000 ms, then it failed */
#define QUICK_TRIES   3

static void arm_retransmit(struct ike_session *s)
{
    unsigned ms = (s->quick ? MIN(s->base_ms, (unsigned)QUICK_BASE_MS) : s->base_ms)
                  << MIN(s->tries, 6u);

    ikes_stop_timer(&s->retransmit);
    s->retransmit = g_timeout_source_new(ms);
    g_source_set_callback(s->retransmit, on_retransmit, s, NULL);
    g_source_attach(s->retransmit, s->ctx);
}

void ikes_send_request(struct ike_session *s, GPtrArray *msg, uint32_t msg_id,
                       const struct ikes_exchange *ex)
{
    g_clear_pointer(&s->request, g_ptr_array_unref);
    s->request_ex = ex;
    s->request = msg;
    s->request_id = msg_id;
    s->tries = 0;
    s->quick = false;
    ikes_transmit(s, msg);
    arm_retransmit(s);
}

/* Is our request that is out one of @ex? */
bool ikes_request_is(const struct ike_session *s, const struct ikes_exchange *ex)
{
    return s->request && s->request_ex == ex;
}

/* The request slot is free: the first queued exchange starts from an idle
 * source (never inside the handler of the response that freed the slot). */
static gboolean run_queue(gpointer data)
{
    struct ike_session *s = data;

    ikes_stop_timer(&s->queue_idle);
    if (s->state != ST_ESTABLISHED || s->request || !s->n_queued)
        return G_SOURCE_REMOVE;
    ikes_exchange_fn start = s->queued[0];
    memmove(s->queued, s->queued + 1, --s->n_queued * sizeof(s->queued[0]));
    start(s);
    return G_SOURCE_REMOVE;
}

static void kick_queue(struct ike_session *s)
{
    if (s->queue_idle || !s->n_queued || s->request)
        return;
    s->queue_idle = g_idle_source_new();
    g_source_set_callback(s->queue_idle, run_queue, s, NULL);
    g_source_attach(s->queue_idle, s->ctx);
}

/*
 * Send the request that is out again now, its retransmissions starting
 * over (@quick: few and fast): after our address changed, or a resume.
 */
void ikes_request_again(struct ike_session *s, bool quick)
{
    if (!s->request)
        return;
    s->tries = 0;
    s->quick = quick;
    _LOGS(LOG_INFO, s, "sending request %u again now", s->request_id);
    ikes_transmit(s, s->request);
    arm_retransmit(s);
}

/* The request just sent is a quick one (few, fast retransmissions). */
void ikes_request_set_quick(struct ike_session *s)
{
    if (!s->request)
        return;
    s->quick = true;
    arm_retransmit(s);
}

void ikes_request_done(struct ike_session *s)
{
    ikes_stop_timer(&s->retransmit);
    g_clear_pointer(&s->request, g_ptr_array_unref);
    kick_queue(s);
}

/*
 * May @start send its request now?  Not before the tunnel is up (false for
 * the caller to drop it); not while another request of ours is out: then
 * @start is queued (once) and runs when the slot is free.
 */
bool ikes_busy(struct ike_session *s, ikes_exchange_fn start)
{
    if (s->state != ST_ESTABLISHED)
        return true;
    if (!s->request)
        return false;
    for (unsigned i = 0; i < s->n_queued; i++)
        if (s->queued[i] == start)
            return true;
    if (s->n_queued < IKES_QUEUE_MAX)
        s->queued[s->n_queued++] = start;
    kick_queue(s);
    return true;
}

void ikes_queue_clear(struct ike_session *s)
{
    ikes_stop_timer(&s->queue_idle);
    s->n_queued = 0;
}

static gboolean on_retransmit(gpointer data)
{
    struct ike_session *s = data;
    unsigned max = s->state == ST_CLOSING ? CLOSE_TRIES
                   : s->quick             ? MIN(s->tries_max, (unsigned)QUICK_TRIES)
                                          : s->tries_max;

    if (s->request_ex == &ikes_ex_init && ikes_init_retry(s))
        return G_SOURCE_REMOVE; /* IKE_SA_INIT again, with the cookie asked for */
    if (++s->tries >= max) {
        ikes_stop_timer(&s->retransmit);
        g_clear_pointer(&s->request, g_ptr_array_unref);
        if (ikes_init_give_up(s, max))
            return G_SOURCE_REMOVE;
        switch (s->state) {
        case ST_CLOSING:
            ikes_close_done(s);
            break;
        case ST_ESTABLISHED:
            ikes_fail(s, IKE_FAIL_DEAD_PEER, "the gateway stopped answering (%u tries)", max);
            break;
        default:
            ikes_fail(s, IKE_FAIL_UNREACHABLE, "no answer from the gateway (%u tries)", max);
            break;
        }
        return G_SOURCE_REMOVE;
    }
    _LOGS(LOG_INFO, s, "retransmitting request %u (try %u of %u)", s->request_id, s->tries + 1,
          max);
    ikes_transmit(s, s->request);
    arm_retransmit(s);
    if (s->tries == 1 && s->state == ST_ESTABLISHED && s->cb.liveness_doubt &&
        s->request_ex->probe)
        s->cb.liveness_doubt(s->user); /* last: the owner may act on it */
    return G_SOURCE_REMOVE;
}

/* Pad, encrypt and add the ICV to the SK/SKF payload the builder just closed. */
static GBytes *protect(struct sa_ctx *sa, struct ike_builder *b, const struct ike_sk_region *r)
{
    size_t off, msg_len;
    size_t inner = r->plain_end - r->plain_off;
    size_t tail = ike_sk_overhead(sa->enc, inner) - ike_sk_iv_len(sa->enc);

    if (ike_builder_append(b, NULL, tail, &off) < 0 || ike_builder_finish(b) < 0)
        return NULL;
    uint8_t *d = ike_builder_data(b);
    if (ike_sk_encrypt_after_iv(sa->enc, d, r->sk_off, r->iv_off, inner, ike_builder_len(b),
                                &msg_len) < 0)
        return NULL;
    return g_bytes_new(d, msg_len);
}

/*
 * RFC 7383: the inner chain of @b cut into SKF fragments that each fit
 * @max bytes, each encrypted on its own.  NULL on failure.
 */
static GPtrArray *fragment(struct sa_ctx *sa, struct ike_builder *b, const struct ike_sk_region *r,
                           size_t max)
{
    const uint8_t *d = ike_builder_data(b);
    const uint8_t *inner = d + r->plain_off;
    size_t inner_len = r->plain_end - r->plain_off;
    size_t chunk = ike_sk_max_inner(sa->enc, max - IKE_HDR_LEN - IKE_GENERIC_HDR_LEN - 4);
    uint8_t exchange = d[18], flags = d[19], first_type = d[r->sk_off];
    uint32_t msg_id = uip_get32(d + 20);

    if (chunk < 64)
        return NULL;
    size_t total = (inner_len + chunk - 1) / chunk;
    if (total > IKE_MAX_FRAGMENTS)
        return NULL;
    GPtrArray *out = dgrams_new();
    for (size_t i = 0; i < total; i++) {
        struct ike_builder f;
        struct ike_sk_region fr;
        size_t len = MIN(chunk, inner_len - i * chunk);
        ike_builder_init(&f, sa->spi_i, sa->spi_r, exchange, flags, msg_id);
        ike_builder_skf_begin(&f, (uint16_t)(i + 1), (uint16_t)total, first_type,
                              ike_sk_iv_len(sa->enc));
        ike_builder_append(&f, inner + i * chunk, len, NULL);
        GBytes *g = ike_builder_sk_end(&f, &fr) == 0 ? protect(sa, &f, &fr) : NULL;
        ike_builder_clear(&f);
        if (!g) {
            g_ptr_array_unref(out);
            return NULL;
        }
        g_ptr_array_add(out, g);
    }
    return out;
}

/*
 * Finish an encrypted message whose inner payloads were added after
 * ike_builder_sk_begin(): one datagram, or fragments when both sides support
 * them and it would not fit (@frag_max, 0 = never fragment).
 */
static GPtrArray *seal_frag(struct sa_ctx *sa, struct ike_builder *b, size_t frag_max)
{
    struct ike_sk_region r;

    if (ike_builder_sk_end(b, &r) < 0)
        return NULL;
    size_t inner = r.plain_end - r.plain_off;
    /* the IV is already in plain_off; the overhead adds padding and ICV */
    size_t whole = r.plain_off + inner + ike_sk_overhead(sa->enc, inner) - ike_sk_iv_len(sa->enc);
    if (frag_max && whole > frag_max) {
        GPtrArray *f = fragment(sa, b, &r, frag_max);
        if (f)
            _LOG(LOG_INFO, "[%016" G_GINT64_MODIFIER "x] message of %zu bytes sent as %u fragments",
                 sa->spi_i, whole, f->len);
        return f;
    }
    GBytes *g = protect(sa, b, &r);
    return g ? ikes_dgrams_one(g) : NULL;
}

GPtrArray *ikes_seal_on(struct sa_ctx *sa, struct ike_builder *b)
{
    return seal_frag(sa, b, 0);
}

GPtrArray *ikes_seal(struct ike_session *s, struct ike_builder *b)
{
    return seal_frag(&s->sa, b, s->frag_ok ? s->frag_max : 0);
}

/* Seal the message built in @b, free the builder, and send it as our next
 * request (of @ex).  False when it could not be built: nothing was sent. */
bool ikes_send_built_request(struct ike_session *s, struct ike_builder *b,
                             const struct ikes_exchange *ex)
{
    GPtrArray *msg = ikes_seal(s, b);

    ike_builder_clear(b);
    if (!msg)
        return false;
    ikes_send_request(s, msg, s->sa.next_id++, ex);
    return true;
}

void ikes_begin_encrypted_on(struct sa_ctx *sa, struct ike_builder *b, uint8_t exchange,
                             bool response, uint32_t msg_id)
{
    ike_builder_init(b, sa->spi_i, sa->spi_r, exchange,
                     (sa->we_initiated ? IKE_FLAG_INITIATOR : 0) |
                         (response ? IKE_FLAG_RESPONSE : 0),
                     msg_id);
    ike_builder_sk_begin(b, ike_sk_iv_len(sa->enc));
}

void ikes_begin_encrypted(struct ike_session *s, struct ike_builder *b, uint8_t exchange,
                          bool response, uint32_t msg_id)
{
    ikes_begin_encrypted_on(&s->sa, b, exchange, response, msg_id);
}

const struct ike_pl *ikes_find_notify(const struct ike_msg *m, uint16_t type,
                                      struct ike_notify *out)
{
    for (const struct ike_pl *pl = ike_msg_find(m, IKE_PL_NOTIFY, NULL); pl;
         pl = ike_msg_find(m, IKE_PL_NOTIFY, pl)) {
        struct ike_notify n;
        if (ike_notify_parse(pl, &n) == 0 && n.type == type) {
            if (out)
                *out = n;
            return pl;
        }
    }
    return NULL;
}

/* The first error notify (type < 16384), or 0. */
uint16_t ikes_error_notify(const struct ike_msg *m)
{
    for (const struct ike_pl *pl = ike_msg_find(m, IKE_PL_NOTIFY, NULL); pl;
         pl = ike_msg_find(m, IKE_PL_NOTIFY, pl)) {
        struct ike_notify n;
        if (ike_notify_parse(pl, &n) == 0 && n.type < 16384)
            return n.type;
    }
    return 0;
}

const char *ikes_notify_name(uint16_t type)
{
    switch (type) {
    case IKE_N_NO_PROPOSAL_CHOSEN:
        return "NO_PROPOSAL_CHOSEN";
    case IKE_N_INVALID_KE_PAYLOAD:
        return "INVALID_KE_PAYLOAD";
    case IKE_N_AUTHENTICATION_FAILED:
        return "AUTHENTICATION_FAILED";
    case IKE_N_TS_UNACCEPTABLE:
        return "TS_UNACCEPTABLE";
    case IKE_N_INTERNAL_ADDRESS_FAILURE:
        return "INTERNAL_ADDRESS_FAILURE";
    case IKE_N_FAILED_CP_REQUIRED:
        return "FAILED_CP_REQUIRED";
    case IKE_N_INVALID_SYNTAX:
        return "INVALID_SYNTAX";
    case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
        return "UNSUPPORTED_CRITICAL_PAYLOAD";
    case IKE_N_SINGLE_PAIR_REQUIRED:
        return "SINGLE_PAIR_REQUIRED";
    case IKE_N_INVALID_SELECTORS:
        return "INVALID_SELECTORS";
    case IKE_N_TEMPORARY_FAILURE:
        return "TEMPORARY_FAILURE";
    case IKE_N_UNACCEPTABLE_ADDRESSES:
        return "UNACCEPTABLE_ADDRESSES";
    case IKE_N_UNEXPECTED_NAT_DETECTED:
        return "UNEXPECTED_NAT_DETECTED";
    default:
        return "error";
    }
}

/* Answer the gateway's request @msg_id on @sa with the payloads @b already holds. */
void ikes_respond(struct sa_ctx *sa, struct ike_builder *b, struct ike_session *s)
{
    GPtrArray *msg = ikes_seal_on(sa, b);

    ike_builder_clear(b);
    if (!msg)
        return;
    g_clear_pointer(&sa->last_response, g_ptr_array_unref);
    sa->last_response = msg;
    ikes_transmit(s, msg);
}

void ikes_send_response(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange, uint32_t msg_id,
                        const uint32_t *del_spis, unsigned n_del)
{
    struct ike_builder b;

    ikes_begin_encrypted_on(sa, &b, exchange, true, msg_id);
    if (n_del)
        ike_build_delete(&b, IKE_PROTO_ESP, del_spis, n_del);
    ikes_respond(sa, &b, s);
}

void ikes_send_error_response_data(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                                   uint32_t msg_id, uint16_t notify, const uint8_t *data,
                                   size_t len)
{
    struct ike_builder b;

    ikes_begin_encrypted_on(sa, &b, exchange, true, msg_id);
    ike_build_notify(&b, 0, NULL, 0, notify, data, len);
    ikes_respond(sa, &b, s);
}

void ikes_send_error_response(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                              uint32_t msg_id, uint16_t notify)
{
    ikes_send_error_response_data(s, sa, exchange, msg_id, notify, NULL, 0);
}
