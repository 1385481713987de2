/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the IKE session itself (src/ike/ike-session.c and the
 * exchange files): ike_session_input() driven through its states by a script
 * of operations, against the scripted gateway of the unit tests
 * (tests/unit/ike-fake-gateway.c), which holds the other side's keys.
 * fuzz-ike-sk.c covers the receive path alone; here the state machine
 * behind it takes what gets through.
 *
 * Per input: a PSK session (SPIs, nonces and COOKIE2 from a counter: the
 * session's random hook) and a gateway.  Byte 0 configures:
 *   bit 0  establish first (IKE_SA_INIT and IKE_AUTH answered by the gateway)
 *   bit 1  IKE fragmentation offered       bit 2  MOBIKE offered
 *   bit 3  ESP proposals with PFS (ecp256) bit 4  remote-ts 10.1.0.0/16
 *   bit 5  retransmissions after 1 ms (else never during an input)
 * then operations, each one byte (value % 11) and its operands:
 *   0 RAW        len16, bytes: a datagram as it comes (spoofed, anything)
 *   1 INIT       flags, msg id, PAYLOADS: an unprotected IKE_SA_INIT answer with
 *                our SPI (a spoofed error notify, COOKIE, a full answer ...)
 *   2 SCRIPT     the gateway answers our last IKE_SA_INIT or IKE_AUTH for real
 *                (only while the session took nothing but the gateway's own)
 *   3 REQUEST    exchange, id delta, PAYLOADS: a request of the gateway's,
 *                sealed with its keys (message ID: its next + delta)
 *   4 RESPONSE   id delta, PAYLOADS: an answer to our last request, sealed
 *   5 FRAGMENTS  exchange, n, order, PAYLOADS: a request in n RFC 7383 fragments,
 *                delivered in an order from the operand, some twice
 *   6 REPLAY     index: one of the last 8 datagrams delivered, again
 *   7 API        which: rekey CHILD_SA / IKE SA, liveness check, probe, path
 *                changed, close, traffic seen
 *   8 TIMERS     run what is due (after 2 ms with bit 5)
 *   9 CHILDREKEY pfs: the gateway rekeys the CHILD_SA it set up (a valid request;
 *                with ECP-256 when pfs is odd)
 *   10 IKEREKEY  the gateway rekeys the IKE SA (a valid request)
 * PAYLOADS: count (<= 12), then per payload: type, length (one byte), body.
 *
 * Logging is off unless UIP_FUZZ_LOG is set (then every line, debug included).
 *
 * Aborts (besides the sanitizers and the session's own assertions, e.g. an
 * illegal state change) when the session breaks its contract: it sends or
 * reports anything after failed() or closed(), fails twice, or reports
 * established() twice.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <glib.h>

#include "common/uip-be.h"
#include "common/uip-log.h"
#include "ike/ike-session.h"
#include "ike/payload.h"
#include "ike-fake-gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PSK       "a pre-shared key for the fuzzer, long enough"
#define KEEP      8
#define MAX_PL    12
#define MAX_BYTES 3000

struct run {
    GMainContext *ctx;
    struct ike_session *s;
    struct fgw *gw;
    struct sockaddr_in gw_addr;
    uint64_t rnd;
    bool over;        /* failed() or closed() */
    bool established;
    bool clean;       /* the session took only what the gateway made: its script may go on */
    GBytes *last_init, *last_auth; /* our last IKE_SA_INIT / IKE_AUTH request */
    bool init_answered, auth_answered;
    struct fgw_child child; /* the CHILD_SA of the gateway's IKE_AUTH answer */
    bool has_child;
    struct ike_hdr last_req; /* our last request on the NAT-T port */
    bool has_last_req;
    GBytes *kept[KEEP];
    unsigned n_kept;
};

static struct run *cur;

/* Deterministic "random" bytes: SPIs, nonces, COOKIE2 (keys stay OpenSSL's). */
static void fuzz_random(void *buf, size_t len)
{
    uint8_t *p = buf;

    for (size_t i = 0; i < len; i++) {
        cur->rnd = cur->rnd * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (uint8_t)(cur->rnd >> 56);
    }
}

static int cb_send(void *user, bool natt, const struct sockaddr *to, socklen_t to_len,
                   const uint8_t *msg, size_t len)
{
    struct run *r = user;
    struct ike_hdr h;

    if (r->over)
        abort(); /* it sends nothing more */
    if (ike_hdr_parse(msg, len, &h) < 0)
        abort(); /* we send what parses */
    if (h.flags & IKE_FLAG_RESPONSE)
        return 0;
    if (h.exchange == IKE_SA_INIT) {
        g_clear_pointer(&r->last_init, g_bytes_unref);
        r->last_init = g_bytes_new(msg, len);
        r->init_answered = false;
    } else if (h.exchange == IKE_AUTH) {
        g_clear_pointer(&r->last_auth, g_bytes_unref);
        r->last_auth = g_bytes_new(msg, len);
        r->auth_answered = false;
    }
    if (natt) {
        r->last_req = h;
        r->has_last_req = true;
    }
    return 0;
}

static int cb_child_install(void *user, const struct ike_child *c)
{
    struct run *r = user;

    if (r->over || c->n_local_ts > IKE_SESSION_MAX_TS || c->n_remote_ts > IKE_SESSION_MAX_TS)
        abort();
    return 0;
}

static void cb_child_delete(void *user, uint32_t reqid, uint32_t spi_in, uint32_t spi_out)
{
    (void)reqid;
    (void)spi_in;
    (void)spi_out;
    (void)user;
}

static void cb_established(void *user, const struct ike_established *info)
{
    struct run *r = user;

    if (r->over || r->established || !info->child || info->n_subnets > IKE_SESSION_MAX_SUBNETS)
        abort();
    r->established = true;
}

static void cb_failed(void *user, enum ike_failure reason, const char *message)
{
    struct run *r = user;

    (void)reason;
    if (r->over || !message)
        abort();
    r->over = true;
}

static void cb_closed(void *user)
{
    struct run *r = user;

    if (r->over)
        abort();
    r->over = true;
}

static const struct ike_session_callbacks callbacks = {
    .send = cb_send,
    .child_install = cb_child_install,
    .child_delete = cb_child_delete,
    .established = cb_established,
    .failed = cb_failed,
    .closed = cb_closed,
};

/* ---- input ----------------------------------------------------------------------------------- */

struct in {
    const uint8_t *p;
    size_t left;
};

static bool take(struct in *in, size_t n, const uint8_t **out)
{
    if (in->left < n)
        return false;
    *out = in->p;
    in->p += n;
    in->left -= n;
    return true;
}

static unsigned byte(struct in *in)
{
    const uint8_t *b;

    return take(in, 1, &b) ? b[0] : 0;
}

/* PAYLOADS into @b (an SK being built, or a chain); what the builder refuses is left out. */
static void payloads(struct in *in, struct ike_builder *b)
{
    unsigned n = byte(in) % (MAX_PL + 1), total = 0;

    for (unsigned i = 0; i < n && in->left >= 2; i++) {
        uint8_t type = (uint8_t)byte(in);
        unsigned len = byte(in);
        const uint8_t *body;
        if (len > in->left)
            len = (unsigned)in->left;
        take(in, len, &body);
        if (total + len > MAX_BYTES)
            break;
        total += len + 4;
        ike_builder_add(b, type, false, body, len);
    }
}

static uint64_t drops_total(const struct run *r)
{
    uint64_t d[IKE_DROP__MAX], t = 0;

    ike_session_drops(r->s, d);
    for (unsigned i = 0; i < IKE_DROP__MAX; i++)
        t += d[i];
    return t;
}

/* Give the session a datagram (consumed); @gateways: made by the gateway itself. */
static void deliver(struct run *r, GBytes *b, bool gateways)
{
    gsize len;
    const uint8_t *d = g_bytes_get_data(b, &len);
    uint64_t before = drops_total(r);

    ike_session_input(r->s, d, len, (const struct sockaddr *)&r->gw_addr, sizeof(r->gw_addr));
    if (!gateways && drops_total(r) == before)
        r->clean = false; /* taken: the session may have moved where the gateway is not */
    if (r->n_kept == KEEP) {
        g_bytes_unref(r->kept[0]);
        memmove(r->kept, r->kept + 1, (KEEP - 1) * sizeof(r->kept[0]));
        r->n_kept--;
    }
    r->kept[r->n_kept++] = b;
}

static void op_init(struct run *r, struct in *in)
{
    struct ike_builder b;
    unsigned flags = byte(in), id = byte(in);

    ike_builder_init(&b, ike_session_spi_i(r->s), (flags & 1) ? 0x1122334455667788ull : 0,
                     IKE_SA_INIT, (flags & 2) ? IKE_FLAG_INITIATOR : IKE_FLAG_RESPONSE,
                     (flags & 4) ? id : 0);
    payloads(in, &b);
    if (ike_builder_finish(&b) == 0)
        deliver(r, g_bytes_new(ike_builder_data(&b), ike_builder_len(&b)), false);
    ike_builder_clear(&b);
}

static const struct fgw_auth_opts auth_opts = {
    .vip4 = true,
    .vip4_addr = {10, 10, 0, 5},
    .n_dns4 = 1,
    .dns4 = {{10, 10, 0, 1}},
    .tsr = "10.1.0.0/16",
};

static void op_script(struct run *r)
{
    if (!r->clean || r->over)
        return;
    if (r->last_init && !r->init_answered && !r->last_auth) {
        struct fgw_msg *m = fgw_open(r->gw, r->last_init);
        r->init_answered = true;
        deliver(r, fgw_answer_init(r->gw, m, FGW_NATD_MATCH), true);
        fgw_msg_free(m);
    } else if (r->last_auth && !r->auth_answered && r->init_answered) {
        struct fgw_msg *m = fgw_open(r->gw, r->last_auth);
        r->auth_answered = true;
        deliver(r, fgw_answer_auth(r->gw, m, &auth_opts, &r->child), true);
        r->has_child = true;
        fgw_msg_free(m);
    }
}

static const uint8_t exchanges[] = {IKE_CREATE_CHILD_SA, IKE_INFORMATIONAL, IKE_AUTH, 40};

static void op_request(struct run *r, struct in *in)
{
    struct ike_builder b;
    uint8_t exchange = exchanges[byte(in) % sizeof(exchanges)];
    int8_t delta = (int8_t)byte(in);

    if (!r->gw->sa.enc)
        return;
    r->gw->sa.waiting = false;
    fgw_begin_request(r->gw, NULL, &b, exchange);
    if (delta)
        uip_put32(ike_builder_data(&b) + 20, r->gw->sa.next_id - 1 + (uint32_t)(int32_t)delta);
    payloads(in, &b);
    GBytes *m = fgw_try_seal(r->gw, NULL, &b);
    if (m)
        deliver(r, m, true);
}

static void op_response(struct run *r, struct in *in)
{
    struct ike_builder b;
    int8_t delta = (int8_t)byte(in);
    struct fgw_sa *sa = &r->gw->sa;

    if (!sa->enc || !r->has_last_req || r->last_req.spi_i != sa->spi_i ||
        r->last_req.spi_r != sa->spi_r)
        return;
    ike_builder_init(&b, sa->spi_i, sa->spi_r, r->last_req.exchange,
                     IKE_FLAG_RESPONSE | (sa->gw_initiated ? IKE_FLAG_INITIATOR : 0),
                     r->last_req.msg_id + (uint32_t)(int32_t)delta);
    ike_builder_sk_begin(&b, ike_sk_iv_len(sa->enc));
    payloads(in, &b);
    GBytes *m = fgw_try_seal(r->gw, NULL, &b);
    if (m)
        deliver(r, m, true);
}

static void op_fragments(struct run *r, struct in *in)
{
    struct ike_builder chain;
    uint8_t exchange = exchanges[byte(in) % 2];
    unsigned n = 1 + byte(in) % 5, order = byte(in);

    if (!r->gw->sa.enc)
        return;
    ike_builder_init_chain(&chain);
    payloads(in, &chain);
    if (ike_builder_finish(&chain) < 0 || ike_builder_len(&chain) < n) {
        ike_builder_clear(&chain);
        return;
    }
    r->gw->sa.waiting = false;
    GPtrArray *parts = fgw_fragmented_request(r->gw, NULL, exchange, &chain, n);
    ike_builder_clear(&chain);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = (i + order) % n;
        deliver(r, g_bytes_ref(parts->pdata[k]), true);
        if (order & (0x10u << (i % 4)))
            deliver(r, g_bytes_ref(parts->pdata[k]), true); /* twice */
    }
    g_ptr_array_unref(parts);
}

/* A valid CHILD_SA or IKE SA rekey of the gateway's (what it keeps of it is forgotten: the
 * session's answer is not read). */
static void op_gw_rekey(struct run *r, struct in *in, bool ike)
{
    unsigned pfs = byte(in);

    if (!r->gw->sa.enc || !r->has_child)
        return;
    if (r->gw->rk.kind != FGW_PENDING_NONE)
        fgw_rekey_abandon(r->gw);
    r->gw->sa.waiting = false;
    if (ike)
        deliver(r, fgw_ike_rekey_request(r->gw, NULL), true);
    else
        deliver(r, fgw_child_rekey_request(r->gw, &r->child, (pfs & 1) ? IKE_KE_ECP256 : 0),
                true);
}

static void op_api(struct run *r, struct in *in)
{
    switch (byte(in) % 7) {
    case 0:
        ike_session_rekey_child(r->s);
        break;
    case 1:
        ike_session_rekey_ike(r->s);
        break;
    case 2:
        ike_session_check_liveness(r->s);
        break;
    case 3:
        ike_session_probe(r->s);
        break;
    case 4:
        ike_session_path_changed(r->s);
        break;
    case 5:
        ike_session_close(r->s);
        break;
    default:
        ike_session_traffic_seen(r->s);
        break;
    }
}

static void op_timers(struct run *r, bool fast)
{
    if (fast)
        g_usleep(2000);
    for (unsigned i = 0; i < 4 && g_main_context_iteration(r->ctx, FALSE); i++)
        ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    struct run r = {.clean = true, .rnd = 0x5eed};
    struct ike_session_config cfg = {0};
    struct fgw_config gw_cfg = {0};
    unsigned conf = byte(&in);
    char err[256];

    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
    /* silent unless asked (UIP_FUZZ_LOG=1: every line, to reproduce a finding) */
    uip_log_setup(getenv("UIP_FUZZ_LOG") ? LOG_DEBUG : LOG_CRIT, false, "fuzz");
    cur = &r;
    r.ctx = g_main_context_new();
    r.gw_addr.sin_family = AF_INET;
    r.gw_addr.sin_port = htons(500);
    inet_pton(AF_INET, "192.0.2.1", &r.gw_addr.sin_addr);
    memcpy(&cfg.gateway, &r.gw_addr, sizeof(r.gw_addr));
    cfg.gateway_len = sizeof(r.gw_addr);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(500)};
    inet_pton(AF_INET, "198.51.100.7", &local.sin_addr);
    memcpy(&cfg.local, &local, sizeof(local));
    cfg.local_len = sizeof(local);
    cfg.auth = IKE_AUTHM_PSK;
    cfg.psk = (const uint8_t *)PSK;
    cfg.psk_len = strlen(PSK);
    cfg.virtual_ipv4 = true;
    cfg.reqid = 7;
    cfg.fragmentation = conf & 2;
    cfg.mobike = conf & 4;
    cfg.esp_proposals = (conf & 8) ? "aes256gcm16-ecp256" : NULL;
    if (conf & 16) {
        if (uip_ts_parse("10.1.0.0/16", &cfg.remote_ts[0]) == 0)
            cfg.n_remote_ts = 1;
    }
    cfg.retransmit_tries = 3;
    cfg.retransmit_base_ms = (conf & 32) ? 1 : 600000;
    cfg.random = fuzz_random;
    gw_cfg.psk = PSK;
    gw_cfg.addr = r.gw_addr;
    gw_cfg.client = local;

    r.gw = fgw_new(&gw_cfg);
    if (ike_session_new(&cfg, &callbacks, &r, r.ctx, &r.s, err, sizeof(err)) < 0)
        abort();
    ike_session_start(r.s);
    if (conf & 1) {
        op_script(&r);
        op_script(&r);
    }
    for (unsigned ops = 0; in.left && ops < 64; ops++) {
        const uint8_t *p;
        unsigned op = byte(&in) % 11;
        switch (op) {
        case 0: {
            unsigned len = byte(&in) << 8;
            len |= byte(&in);
            if (len > in.left)
                len = (unsigned)in.left;
            take(&in, len, &p);
            deliver(&r, g_bytes_new(p, len), false);
            break;
        }
        case 1:
            op_init(&r, &in);
            break;
        case 2:
            op_script(&r);
            break;
        case 3:
            op_request(&r, &in);
            break;
        case 4:
            op_response(&r, &in);
            break;
        case 5:
            op_fragments(&r, &in);
            break;
        case 6:
            if (r.n_kept) {
                GBytes *b = r.kept[byte(&in) % r.n_kept];
                deliver(&r, g_bytes_ref(b), false);
            }
            break;
        case 7:
            op_api(&r, &in);
            break;
        case 9:
        case 10:
            op_gw_rekey(&r, &in, op == 10);
            break;
        case 8:
            op_timers(&r, conf & 32);
            break;
        }
    }

    ike_session_free(r.s);
    fgw_free(r.gw);
    while (g_main_context_iteration(r.ctx, FALSE))
        ;
    g_main_context_unref(r.ctx);
    g_clear_pointer(&r.last_init, g_bytes_unref);
    g_clear_pointer(&r.last_auth, g_bytes_unref);
    for (unsigned i = 0; i < r.n_kept; i++)
        g_bytes_unref(r.kept[i]);
    cur = NULL;
    return 0;
}
