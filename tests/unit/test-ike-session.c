/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IKE session state machine (src/ike/ike-session.c) against a scripted
 * gateway (ike-fake-gateway.h), in process: no sockets, no threads.
 *
 * The session's send callback queues each datagram; the test opens it as the
 * gateway (decrypts it with the gateway's keys), asserts on it, and feeds the
 * gateway's answer or request back with ike_session_input().  Every callback
 * of the session is recorded as an event; a test checks the events it
 * expects in order and ends with none left over, so that an extra install,
 * delete or failure is an error too.  Timers (retransmissions, liveness
 * checks) run in the test's own GMainContext, iterated only where a test
 * waits for one, with timeouts of milliseconds from the configuration.
 *
 * As strongSwan's src/libcharon/tests/suites/test_child_rekey.c drives two
 * IKE_SAs against each other, but one side here is a small scripted gateway.
 */
#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "common/uip-be.h"
#include "common/uip-log.h"
#include "ike/ike-session.h"

#include "ike-fake-gateway.h"
#include "test-sa-body.h"

#define PSK        "correct horse battery staple"
#define GATEWAY    "192.0.2.1"
#define CLIENT     "198.51.100.7"
#define REQID      7
#define VIP        "10.10.0.5"
#define LONG_MS    60000 /* retransmissions that never come during a test */
#define WAIT_MS    5000  /* the longest a test waits for a timer */
#define MAX_EVENTS 64

/* ---- what the session did -------------------------------------------------------------------- */

enum ev_type {
    EV_INSTALL,
    EV_DELETE,
    EV_ESTABLISHED,
    EV_FAILED,
    EV_CHILD_REKEYED,
    EV_IKE_REKEYED,
    EV_CLOSED,
    EV_AUTH_LIFETIME,
    EV_REDIRECTED,
    EV_LIVENESS_DOUBT,
};

static const char *const ev_names[] = {
    [EV_INSTALL] = "child_install",
    [EV_DELETE] = "child_delete",
    [EV_ESTABLISHED] = "established",
    [EV_FAILED] = "failed",
    [EV_CHILD_REKEYED] = "child_rekeyed",
    [EV_IKE_REKEYED] = "ike_rekeyed",
    [EV_CLOSED] = "closed",
    [EV_AUTH_LIFETIME] = "auth_lifetime",
    [EV_REDIRECTED] = "redirected",
    [EV_LIVENESS_DOUBT] = "liveness_doubt",
};

struct ev {
    enum ev_type type;
    unsigned seq; /* order among all events and datagrams */
    /* CHILD_SA: install, delete, rekeyed, established */
    uint32_t reqid, spi_in, spi_out;
    bool has_key_in, has_key_out; /* install: which halves */
    size_t key_len_in, key_len_out;
    uint8_t key_in[FGW_KEYMAT_MAX], key_out[FGW_KEYMAT_MAX];
    char encr[32], integ[16];
    bool esn;
    unsigned n_local_ts, n_remote_ts;
    struct uip_ts local_ts, remote_ts;
    /* established (child and domains not kept) */
    struct ike_established info;
    /* failed */
    enum ike_failure reason;
    char message[256];
    /* auth_lifetime */
    unsigned seconds;
    /* ike_rekeyed */
    char proposal[128];
    /* redirected */
    struct sockaddr_storage gateway;
};

struct sent {
    GBytes *data;
    bool natt;
    unsigned seq;
};

struct h {
    GMainContext *ctx;
    struct ike_session *s;
    struct fgw *gw;
    struct ike_session_config cfg;
    struct fgw_config gw_cfg;
    GQueue sent;       /* struct sent * */
    GQueue events;     /* struct ev * */
    GPtrArray *keep;   /* popped events, for the test to look at until the end */
    GPtrArray *msgs;   /* opened messages */
    unsigned n_sent;   /* datagrams the session sent in all */
    unsigned seq;      /* events and datagrams so far */
    unsigned sent_seq; /* seq of the datagram h_sent() returned last */
};

static void record_child(struct ev *e, const struct ike_child *c)
{
    e->reqid = c->reqid;
    e->spi_in = c->in.spi;
    e->spi_out = c->out.spi;
    g_strlcpy(e->encr, c->encr_name ? c->encr_name : "", sizeof(e->encr));
    g_strlcpy(e->integ, c->integ_name ? c->integ_name : "", sizeof(e->integ));
    e->esn = c->esn;
    e->n_local_ts = c->n_local_ts;
    e->n_remote_ts = c->n_remote_ts;
    if (c->n_local_ts)
        e->local_ts = c->local_ts[0];
    if (c->n_remote_ts)
        e->remote_ts = c->remote_ts[0];
}

static struct ev *ev_new(struct h *h, enum ev_type type)
{
    struct ev *e = g_new0(struct ev, 1);

    e->type = type;
    e->seq = h->seq++;
    g_queue_push_tail(&h->events, e);
    g_assert_cmpuint(g_queue_get_length(&h->events), <, MAX_EVENTS);
    return e;
}

static int cb_send(void *user, bool natt, const struct sockaddr *to, socklen_t to_len,
                   const uint8_t *msg, size_t len)
{
    struct h *h = user;
    const struct sockaddr_in *in = (const struct sockaddr_in *)to;

    /* to the gateway: its IKE port, or its NAT-T port once the session moved there */
    g_assert_cmpint(to->sa_family, ==, AF_INET);
    g_assert_cmpuint(to_len, ==, sizeof(struct sockaddr_in));
    g_assert_cmphex(in->sin_addr.s_addr, ==, h->gw_cfg.addr.sin_addr.s_addr);
    g_assert_cmpuint(ntohs(in->sin_port), ==, natt ? 4500 : ntohs(h->gw_cfg.addr.sin_port));
    struct sent *s = g_new0(struct sent, 1);

    s->data = g_bytes_new(msg, len);
    s->natt = natt;
    s->seq = h->seq++;
    g_queue_push_tail(&h->sent, s);
    h->n_sent++;
    return 0;
}

static int cb_child_install(void *user, const struct ike_child *c)
{
    struct ev *e = ev_new(user, EV_INSTALL);

    record_child(e, c);
    if (c->in.keymat) {
        g_assert_cmpuint(c->in.keymat_len, <=, FGW_KEYMAT_MAX);
        e->has_key_in = true;
        e->key_len_in = c->in.keymat_len;
        memcpy(e->key_in, c->in.keymat, c->in.keymat_len);
    }
    if (c->out.keymat) {
        g_assert_cmpuint(c->out.keymat_len, <=, FGW_KEYMAT_MAX);
        e->has_key_out = true;
        e->key_len_out = c->out.keymat_len;
        memcpy(e->key_out, c->out.keymat, c->out.keymat_len);
    }
    return 0;
}

static void cb_child_delete(void *user, uint32_t reqid, uint32_t spi_in, uint32_t spi_out)
{
    struct ev *e = ev_new(user, EV_DELETE);

    e->reqid = reqid;
    e->spi_in = spi_in;
    e->spi_out = spi_out;
}

static void cb_established(void *user, const struct ike_established *info)
{
    struct ev *e = ev_new(user, EV_ESTABLISHED);

    e->info = *info;
    e->info.domains = NULL;
    e->info.child = NULL;
    g_assert_nonnull(info->child);
    record_child(e, info->child);
}

static void cb_failed(void *user, enum ike_failure reason, const char *message)
{
    struct ev *e = ev_new(user, EV_FAILED);

    e->reason = reason;
    g_strlcpy(e->message, message, sizeof(e->message));
}

static void cb_child_rekeyed(void *user, const struct ike_child *c)
{
    record_child(ev_new(user, EV_CHILD_REKEYED), c);
}

static void cb_ike_rekeyed(void *user, const char *proposal)
{
    struct ev *e = ev_new(user, EV_IKE_REKEYED);

    g_strlcpy(e->proposal, proposal, sizeof(e->proposal));
}

static void cb_closed(void *user)
{
    ev_new(user, EV_CLOSED);
}

static void cb_auth_lifetime(void *user, unsigned seconds)
{
    ev_new(user, EV_AUTH_LIFETIME)->seconds = seconds;
}

static void cb_redirected(void *user, const struct sockaddr *gw, socklen_t len)
{
    struct ev *e = ev_new(user, EV_REDIRECTED);

    g_assert_cmpuint(len, <=, sizeof(e->gateway));
    memcpy(&e->gateway, gw, len);
}

static void cb_liveness_doubt(void *user)
{
    ev_new(user, EV_LIVENESS_DOUBT);
}

static const struct ike_session_callbacks callbacks = {
    .send = cb_send,
    .child_install = cb_child_install,
    .child_delete = cb_child_delete,
    .established = cb_established,
    .failed = cb_failed,
    .child_rekeyed = cb_child_rekeyed,
    .ike_rekeyed = cb_ike_rekeyed,
    .closed = cb_closed,
    .auth_lifetime = cb_auth_lifetime,
    .redirected = cb_redirected,
    .liveness_doubt = cb_liveness_doubt,
};

/* ---- harness --------------------------------------------------------------------------------- */

static void sockaddr4(const char *addr, uint16_t port, struct sockaddr_in *out)
{
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    out->sin_port = htons(port);
    g_assert_cmpint(inet_pton(AF_INET, addr, &out->sin_addr), ==, 1);
}

/* Defaults: PSK, a virtual IPv4 address, no timers that could fire during a test. */
static void h_init(struct h *h)
{
    memset(h, 0, sizeof(*h));
    h->ctx = g_main_context_new();
    h->keep = g_ptr_array_new_with_free_func(g_free);
    h->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)fgw_msg_free);
    g_queue_init(&h->sent);
    g_queue_init(&h->events);

    sockaddr4(GATEWAY, 500, (struct sockaddr_in *)&h->cfg.gateway);
    h->cfg.gateway_len = sizeof(struct sockaddr_in);
    sockaddr4(CLIENT, 500, (struct sockaddr_in *)&h->cfg.local);
    h->cfg.local_len = sizeof(struct sockaddr_in);
    h->cfg.auth = IKE_AUTHM_PSK;
    h->cfg.psk = (const uint8_t *)PSK;
    h->cfg.psk_len = strlen(PSK);
    h->cfg.virtual_ipv4 = true;
    h->cfg.reqid = REQID;
    h->cfg.retransmit_tries = 3;
    h->cfg.retransmit_base_ms = LONG_MS;

    h->gw_cfg.psk = PSK;
    sockaddr4(GATEWAY, 500, &h->gw_cfg.addr);
    sockaddr4(CLIENT, 500, &h->gw_cfg.client);
}

/* Create the gateway and the session (h->cfg, h->gw_cfg as the test left them), send IKE_SA_INIT.
 */
static void h_start(struct h *h)
{
    char err[256] = "";

    h->gw = fgw_new(&h->gw_cfg);
    g_assert_cmpint(ike_session_new(&h->cfg, &callbacks, h, h->ctx, &h->s, err, sizeof(err)), ==,
                    0);
    ike_session_start(h->s);
}

static void h_teardown(struct h *h)
{
    /* every datagram and every callback was looked at */
    g_assert_cmpuint(g_queue_get_length(&h->sent), ==, 0);
    if (!g_queue_is_empty(&h->events))
        g_error("unchecked event %s", ev_names[((struct ev *)g_queue_peek_head(&h->events))->type]);
    ike_session_free(h->s);
    fgw_free(h->gw);
    g_ptr_array_unref(h->msgs);
    g_ptr_array_unref(h->keep);
    /* nothing of the session's is left in the context */
    while (g_main_context_iteration(h->ctx, FALSE))
        ;
    g_main_context_unref(h->ctx);
}

static gboolean on_wait_timeout(gpointer data)
{
    *(bool *)data = true;
    return G_SOURCE_REMOVE;
}

/* Run the session's timers until @q has something or @ms passed.  False on timeout. */
static bool h_wait(struct h *h, GQueue *q, unsigned ms)
{
    bool timed_out = false;
    GSource *t = g_timeout_source_new(ms);

    g_source_set_callback(t, on_wait_timeout, &timed_out, NULL);
    g_source_attach(t, h->ctx);
    while (g_queue_is_empty(q) && !timed_out)
        g_main_context_iteration(h->ctx, TRUE);
    g_source_destroy(t);
    g_source_unref(t);
    return !g_queue_is_empty(q);
}

/* The next datagram the session sent (asserts there is one); @natt may be NULL. */
static GBytes *h_sent(struct h *h, bool *natt)
{
    struct sent *s = g_queue_pop_head(&h->sent);

    g_assert_nonnull(s);
    if (natt)
        *natt = s->natt;
    h->sent_seq = s->seq;
    GBytes *b = s->data;
    g_free(s);
    return b;
}

static GBytes *h_wait_sent(struct h *h, unsigned ms, bool *natt)
{
    if (!h_wait(h, &h->sent, ms))
        g_error("the session sent nothing within %u ms", ms);
    return h_sent(h, natt);
}

static void h_no_sent(struct h *h)
{
    g_assert_cmpuint(g_queue_get_length(&h->sent), ==, 0);
}

/* The next datagram, opened by the gateway (freed at teardown). */
static struct fgw_msg *h_open(struct h *h)
{
    g_autoptr(GBytes) b = h_sent(h, NULL);
    struct fgw_msg *m = fgw_open(h->gw, b);

    g_ptr_array_add(h->msgs, m);
    return m;
}

/* Give the session a datagram of the gateway's (consumed). */
static void h_input(struct h *h, GBytes *b)
{
    gsize len;
    const uint8_t *d = g_bytes_get_data(b, &len);

    ike_session_input(h->s, d, len, (const struct sockaddr *)&h->gw_cfg.addr,
                      sizeof(h->gw_cfg.addr));
    g_bytes_unref(b);
}

/* The next event, which must be of @type (kept until teardown). */
static struct ev *h_event(struct h *h, enum ev_type type)
{
    struct ev *e = g_queue_pop_head(&h->events);

    if (!e)
        g_error("expected %s, the session did nothing", ev_names[type]);
    if (e->type != type)
        g_error("expected %s, got %s%s%s", ev_names[type], ev_names[e->type],
                e->type == EV_FAILED ? ": " : "", e->type == EV_FAILED ? e->message : "");
    g_ptr_array_add(h->keep, e);
    return e;
}

static struct ev *h_wait_event(struct h *h, enum ev_type type, unsigned ms)
{
    if (!h_wait(h, &h->events, ms))
        g_error("no %s within %u ms", ev_names[type], ms);
    return h_event(h, type);
}

static void h_no_events(struct h *h)
{
    if (!g_queue_is_empty(&h->events))
        g_error("unexpected event %s",
                ev_names[((struct ev *)g_queue_peek_head(&h->events))->type]);
}

/* The session installed @c: the inbound half (@in) and/or the outbound half (@out), keys as the
 * gateway derived them, nothing of the other half. */
static void assert_install(const struct ev *e, const struct fgw_child *c, bool in, bool out)
{
    g_assert_cmpuint(e->reqid, ==, REQID);
    g_assert_cmpstr(e->encr, ==, c->encr);
    g_assert_cmpstr(e->integ, ==, c->integ);
    g_assert_cmpint(e->esn, ==, c->esn);
    g_assert_cmpint(e->has_key_in, ==, in);
    g_assert_cmpint(e->has_key_out, ==, out);
    if (in) {
        g_assert_cmphex(e->spi_in, ==, c->spi_out);
        g_assert_cmpmem(e->key_in, e->key_len_in, c->key_out, c->keymat_len);
    }
    if (out) {
        g_assert_cmphex(e->spi_out, ==, c->spi_in);
        g_assert_cmpmem(e->key_out, e->key_len_out, c->key_in, c->keymat_len);
    }
}

/* The session removed @c from the engine, both halves. */
static void assert_delete(const struct ev *e, const struct fgw_child *c)
{
    g_assert_cmpuint(e->reqid, ==, REQID);
    g_assert_cmphex(e->spi_in, ==, c->spi_out);
    g_assert_cmphex(e->spi_out, ==, c->spi_in);
}

/* The session's CHILD_SA as reported is @c. */
static void assert_child_is(const struct ev *e, const struct fgw_child *c)
{
    g_assert_cmphex(e->spi_in, ==, c->spi_out);
    g_assert_cmphex(e->spi_out, ==, c->spi_in);
}

static void assert_failed(const struct ev *e, enum ike_failure reason)
{
    if (e->reason != reason)
        g_error("failed with %s (%s), expected %s", ike_failure_name(e->reason), e->message,
                ike_failure_name(reason));
}

static const struct fgw_auth_opts default_auth = {
    .vip4 = true,
    .vip4_addr = {10, 10, 0, 5},
    .n_dns4 = 2,
    .dns4 = {{10, 10, 0, 1}, {10, 10, 0, 2}},
    .tsr = "10.0.0.0/8",
};

/* Start, IKE_SA_INIT, IKE_AUTH: established with the CHILD_SA @c. */
/* Start the session, answer its IKE_SA_INIT: its IKE_AUTH request. */
static struct fgw_msg *h_start_to_auth(struct h *h)
{
    h_start(h);
    struct fgw_msg *init = h_open(h);
    h_input(h, fgw_answer_init(h->gw, init, FGW_NATD_MATCH));
    return h_open(h);
}

static void h_establish_with(struct h *h, const struct fgw_auth_opts *o, struct fgw_child *c)
{
    h_start(h);
    struct fgw_msg *init = h_open(h);
    h_input(h, fgw_answer_init(h->gw, init, FGW_NATD_MATCH));
    struct fgw_msg *auth = h_open(h);
    h_input(h, fgw_answer_auth(h->gw, auth, o, c));
    assert_install(h_event(h, EV_INSTALL), c, true, true);
    assert_child_is(h_event(h, EV_ESTABLISHED), c);
}

/*
 * A session that reauthenticates (a second IKE SA beside one we hold): no
 * INITIAL_CONTACT, which would make the gateway drop the SA that still
 * carries the traffic, and the virtual address we hold asked for by value.
 */
static void test_reauth_session(void)
{
    static const uint8_t held[4] = {198, 18, 100, 7};
    struct h h;

    h_init(&h);
    h.cfg.reauth = true;
    h.cfg.vip4_hint_set = true;
    memcpy(h.cfg.vip4_hint, held, 4);
    struct fgw_msg *auth = h_start_to_auth(&h);
    g_assert_true(fgw_msg_is(auth, IKE_AUTH, false));
    g_assert_false(fgw_msg_notify(auth, IKE_N_INITIAL_CONTACT, NULL));
    struct ike_cp cp;
    g_assert_cmpint(ike_cp_parse(ike_msg_find(&auth->m, IKE_PL_CP, NULL), &cp), ==, 0);
    g_assert_cmpuint(cp.attrs[0].type, ==, IKE_CFG_INTERNAL_IP4_ADDRESS);
    g_assert_cmpmem(cp.attrs[0].value, cp.attrs[0].len, held, 4);
    ike_session_free(h.s);
    h.s = NULL;
    fgw_free(h.gw);
    h.gw = NULL;
    g_ptr_array_unref(h.msgs);
    g_ptr_array_unref(h.keep);
    while (g_main_context_iteration(h.ctx, FALSE))
        ;
    g_main_context_unref(h.ctx);
}

static void h_establish(struct h *h, struct fgw_child *c)
{
    h_establish_with(h, &default_auth, c);
    h_no_events(h);
    h_no_sent(h);
}

/* The session answers a request of the gateway's: open it, check it is the answer. */
static struct fgw_msg *h_open_answer(struct h *h, uint8_t exchange)
{
    struct fgw_msg *m = h_open(h);

    g_assert_true(fgw_msg_is(m, exchange, true));
    return m;
}

static struct fgw_msg *h_open_request(struct h *h, uint8_t exchange)
{
    struct fgw_msg *m = h_open(h);

    g_assert_true(fgw_msg_is(m, exchange, false));
    return m;
}

/* Our CHILD_SA rekey @req of @old answered: @new installed and reported, then our DELETE of
 * @old answered and @old removed. */
static void h_our_child_rekey_done(struct h *h, const struct fgw_msg *req, const struct fgw_child *old,
                                   struct fgw_child *new)
{
    h_input(h, fgw_answer_child_rekey(h->gw, req, old, new));
    assert_install(h_event(h, EV_INSTALL), new, true, true);
    h_event(h, EV_CHILD_REKEYED);
    struct fgw_msg *del = h_open_request(h, IKE_INFORMATIONAL);
    h_input(h, fgw_answer_delete(h->gw, del, &old->spi_in, 1));
    assert_delete(h_event(h, EV_DELETE), old);
}

static void assert_ts(const struct uip_ts *ts, const char *want)
{
    char buf[128];

    uip_ts_to_string(ts, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, want);
}

static void h_input_dropped(struct h *h, GBytes *b, enum ike_drop why);

/* ---- 1. PSK happy path ----------------------------------------------------------------------- */

static void test_psk_established(void)
{
    struct h h;
    struct fgw_child c0;
    static const uint8_t client[4] = {198, 51, 100, 7};
    bool natt;

    h_init(&h);
    h_start(&h);

    /* IKE_SA_INIT on port 500: SA, KE, Ni, NAT-D (checked by the gateway) */
    g_autoptr(GBytes) init_raw = h_sent(&h, &natt);
    g_assert_false(natt);
    struct fgw_msg *init = fgw_open(h.gw, init_raw);
    g_ptr_array_add(h.msgs, init);
    g_assert_true(fgw_msg_is(init, IKE_SA_INIT, false));
    g_assert_cmphex(init->m.hdr.spi_i, ==, ike_session_spi_i(h.s));
    g_assert_cmpuint(fgw_msg_count(init, IKE_PL_SA), ==, 1);
    g_assert_cmpuint(fgw_msg_count(init, IKE_PL_KE), ==, 1);
    g_assert_cmpuint(fgw_msg_count(init, IKE_PL_NONCE), ==, 1);
    h_input(&h, fgw_answer_init(h.gw, init, FGW_NATD_MATCH));

    /* IKE_AUTH on the NAT-T port, message 1: IDi (our address), AUTH (checked), CP, SA, TS */
    g_autoptr(GBytes) auth_raw = h_sent(&h, &natt);
    g_assert_true(natt);
    struct fgw_msg *auth = fgw_open(h.gw, auth_raw);
    g_ptr_array_add(h.msgs, auth);
    g_assert_true(fgw_msg_is(auth, IKE_AUTH, false));
    g_assert_cmpuint(auth->m.hdr.msg_id, ==, 1);
    struct ike_id idi;
    g_assert_cmpint(ike_id_parse(ike_msg_find(&auth->m, IKE_PL_IDI, NULL), &idi), ==, 0);
    g_assert_cmpuint(idi.id_type, ==, IKE_ID_IPV4_ADDR);
    g_assert_cmpmem(idi.data, idi.len, client, 4);
    g_assert_cmpuint(fgw_msg_count(auth, IKE_PL_IDR), ==, 0); /* no remote_id configured */
    /* a first connection: the gateway may drop what it keeps of an earlier one (RFC 7296 2.4) */
    g_assert_true(fgw_msg_notify(auth, IKE_N_INITIAL_CONTACT, NULL));
    struct ike_cp cp;
    g_assert_cmpint(ike_cp_parse(ike_msg_find(&auth->m, IKE_PL_CP, NULL), &cp), ==, 0);
    g_assert_cmpuint(cp.cfg_type, ==, IKE_CFG_REQUEST);
    g_assert_cmpuint(cp.n_attrs, ==, 3);
    g_assert_cmpuint(cp.attrs[0].type, ==, IKE_CFG_INTERNAL_IP4_ADDRESS);
    g_assert_cmpuint(cp.attrs[0].len, ==, 0);
    g_assert_cmpuint(cp.attrs[1].type, ==, IKE_CFG_INTERNAL_IP4_DNS);
    g_assert_cmpuint(cp.attrs[2].type, ==, IKE_CFG_INTERNAL_DNS_DOMAIN);
    struct ike_proposal offer[IKE_MAX_PROPOSALS];
    unsigned n_offer;
    g_assert_cmpint(
        ike_sa_parse(ike_msg_find(&auth->m, IKE_PL_SA, NULL), offer, IKE_MAX_PROPOSALS, &n_offer),
        ==, 0);
    g_assert_cmpuint(n_offer, ==, 2);
    g_assert_cmpuint(offer[0].spi_len, ==, 4);
    uint32_t our_spi = uip_get32(offer[0].spi);
    for (unsigned i = 0; i < n_offer; i++) {
        g_assert_cmpmem(offer[i].spi, 4, offer[0].spi, 4); /* one SPI for all proposals */
        g_assert_false(offer[i].types_present & IKE_TRANS_BIT(IKE_TRANS_KE)); /* no KE in AUTH */
    }
    h_input(&h, fgw_answer_auth(h.gw, auth, &default_auth, &c0));
    g_assert_cmphex(c0.spi_out, ==, our_spi);

    /* the CHILD_SA, both halves, with the gateway's keys; then the tunnel is up */
    struct ev *e = h_event(&h, EV_INSTALL);
    assert_install(e, &c0, true, true);
    g_assert_cmpstr(e->encr, ==, "aes256gcm16");
    g_assert_cmpstr(e->integ, ==, "none");
    g_assert_cmpuint(e->n_local_ts, ==, 1);
    g_assert_cmpuint(e->n_remote_ts, ==, 1);
    assert_ts(&e->local_ts, VIP "/32");
    assert_ts(&e->remote_ts, "10.0.0.0/8");

    e = h_event(&h, EV_ESTABLISHED);
    assert_child_is(e, &c0);
    g_assert_true(e->info.has_vip4);
    g_assert_false(e->info.has_vip6);
    g_assert_cmpmem(e->info.vip4, 4, default_auth.vip4_addr, 4);
    g_assert_cmpuint(e->info.n_dns4, ==, 2);
    g_assert_cmpmem(e->info.dns4[0], 4, default_auth.dns4[0], 4);
    g_assert_cmpmem(e->info.dns4[1], 4, default_auth.dns4[1], 4);
    g_assert_cmpuint(e->info.n_dns6, ==, 0);
    g_assert_cmpstr(e->info.ike_proposal, ==, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519");
    g_assert_cmpstr(e->info.esp_proposal, ==, "ESP:AES_GCM_16_256/NO_EXT_SEQ");
    h_no_events(&h);
    h_no_sent(&h);

    /* the session answers a liveness check from the gateway, on the NAT-T port */
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    g_autoptr(GBytes) dpd_raw = h_sent(&h, &natt);
    g_assert_true(natt);
    struct fgw_msg *dpd = fgw_open(h.gw, dpd_raw);
    g_ptr_array_add(h.msgs, dpd);
    g_assert_true(fgw_msg_is(dpd, IKE_INFORMATIONAL, true));
    g_assert_cmpuint(dpd->m.n_pl, ==, dpd->m.n_outer); /* nothing inside */
    h_teardown(&h);
}

/*
 * Answers to our IKE_SA_INIT that are not taken (RFC 7296 2.21.1): the request stays out, is
 * sent again (@init each time) until the retransmissions run out, and then the session fails
 * with @reason, the last such answer's: returned.
 */
static struct ev *h_init_gives_up(struct h *h, const struct fgw_msg *init, enum ike_failure reason)
{
    struct ev *e = h_wait_event(h, EV_FAILED, WAIT_MS);
    unsigned n = 0;

    assert_failed(e, reason);
    while (!g_queue_is_empty(&h->sent)) {
        g_autoptr(GBytes) b = h_sent(h, NULL);
        g_assert_true(g_bytes_equal(b, init->raw));
        n++;
    }
    g_assert_cmpuint(n, ==, h->cfg.retransmit_tries - 1);
    return e;
}

/*
 * NAT-D hashes that match nothing change nothing (the session always puts
 * ESP in UDP); a gateway that sends none cannot do NAT-T: IKE_FAIL_CONFIG.
 */
static void test_natd(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h_start(&h);
    h_input(&h, fgw_answer_init(h.gw, h_open(&h), FGW_NATD_MISMATCH));
    h_input(&h, fgw_answer_auth(h.gw, h_open(&h), &default_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    h_teardown(&h);

    h_init(&h);
    h.cfg.retransmit_base_ms = 20;
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    h_input(&h, fgw_answer_init(h.gw, init, FGW_NATD_NONE));
    struct ev *e = h_init_gives_up(&h, init, IKE_FAIL_CONFIG);
    g_assert_nonnull(strstr(e->message, "NAT traversal"));
    h_teardown(&h);
}

/*
 * A gateway under load asks for a cookie (RFC 7296 2.6): IKE_SA_INIT again with
 * the COOKIE notify first, at the time of the first retransmission (the COOKIE is
 * unprotected: a full answer to the first request before then would be taken), and that
 * second request is the one our AUTH signs (the gateway checks it).  Asked again for
 * another cookie, the session waits for a valid answer until the retransmissions run out,
 * then gives up: IKE_FAIL_PROTOCOL.
 */
static void test_cookie(void)
{
    static const uint8_t cookie[] = "a cookie of the gateway's";
    struct h h;
    struct fgw_child c0;
    struct ike_notify nt;

    h_init(&h);
    h.cfg.retransmit_base_ms = 20;
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    h_input(&h, fgw_answer_cookie(h.gw, init, cookie, sizeof(cookie)));
    h_no_sent(&h);
    g_assert_true(h_wait(&h, &h.sent, WAIT_MS));
    struct fgw_msg *init2 = h_open(&h);
    g_assert_cmpuint(init2->m.pl[0].type, ==, IKE_PL_NOTIFY);
    g_assert_cmpint(ike_notify_parse(&init2->m.pl[0], &nt), ==, 0);
    g_assert_cmpuint(nt.type, ==, IKE_N_COOKIE);
    g_assert_cmpmem(nt.data, nt.data_len, cookie, sizeof(cookie));
    g_assert_cmphex(init2->m.hdr.spi_i, ==, init->m.hdr.spi_i);
    /* the COOKIE answer again: the one we took */
    h_input_dropped(&h, fgw_answer_cookie(h.gw, init, cookie, sizeof(cookie)),
                    IKE_DROP_SUPERSEDED);
    h_input(&h, fgw_answer_init(h.gw, init2, FGW_NATD_MATCH));
    /* retransmissions of the first request, if any, went before this */
    struct fgw_msg *auth = h_open(&h);
    while (fgw_msg_is(auth, IKE_SA_INIT, false))
        auth = h_open(&h);
    h_input(&h, fgw_answer_auth(h.gw, auth, &default_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    h_teardown(&h);

    static const uint8_t other[] = "another cookie";
    h_init(&h);
    h.cfg.retransmit_base_ms = 20;
    h_start(&h);
    h_input(&h, fgw_answer_cookie(h.gw, h_open(&h), cookie, sizeof(cookie)));
    g_assert_true(h_wait(&h, &h.sent, WAIT_MS));
    struct fgw_msg *again = h_open(&h);
    while (!fgw_msg_notify(again, IKE_N_COOKIE, NULL))
        again = h_open(&h);
    h_input(&h, fgw_answer_cookie(h.gw, again, other, sizeof(other)));
    struct ev *e = h_init_gives_up(&h, again, IKE_FAIL_PROTOCOL);
    g_assert_nonnull(strstr(e->message, "cookie"));
    h_teardown(&h);
}

/* The gateway wants another group: one retry with it (INVALID_KE_PAYLOAD, RFC 7296 1.2). */
static void test_invalid_ke(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h.gw_cfg.ike_proposals = "aes128gcm16-prfsha256-ecp256";
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    g_autoptr(GBytes) refusal = fgw_answer_init(h.gw, init, FGW_NATD_MATCH);
    h_input(&h, g_bytes_ref(refusal));
    struct fgw_msg *init2 = h_open(&h);
    struct ike_ke ke;
    g_assert_cmpint(ike_ke_parse(ike_msg_find(&init2->m, IKE_PL_KE, NULL), &ke), ==, 0);
    g_assert_cmpuint(ke.group, ==, IKE_KE_ECP256);
    g_assert_cmphex(init2->m.hdr.spi_i, ==, init->m.hdr.spi_i);
    h_input(&h, fgw_answer_init(h.gw, init2, FGW_NATD_MATCH));
    h_input(&h, fgw_answer_auth(h.gw, h_open(&h), &default_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    struct ev *e = h_event(&h, EV_ESTABLISHED);
    g_assert_cmpstr(e->info.ike_proposal, ==, "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256");
    h_teardown(&h);
}

/* The gateway's AUTH does not verify: IKE_FAIL_AUTH, nothing installed, nothing more sent. */
static void test_wrong_gateway_auth(void)
{
    struct h h;
    struct fgw_child c0;
    struct fgw_auth_opts o = default_auth;

    o.wrong_auth = true;
    h_init(&h);
    h_start(&h);
    h_input(&h, fgw_answer_init(h.gw, h_open(&h), FGW_NATD_MATCH));
    h_input(&h, fgw_answer_auth(h.gw, h_open(&h), &o, &c0));
    assert_failed(h_event(&h, EV_FAILED), IKE_FAIL_AUTH);
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- IKE_AUTH refusals ----------------------------------------------------------------------- */

/* No virtual address although we asked for one: IKE_FAIL_CONFIG, and the IKE SA is deleted. */
static void test_no_virtual_ip(void)
{
    struct h h;
    struct fgw_child c0;
    struct fgw_auth_opts o = default_auth;

    o.vip4 = false;
    h_init(&h);
    h_start(&h);
    h_input(&h, fgw_answer_init(h.gw, h_open(&h), FGW_NATD_MATCH));
    h_input(&h, fgw_answer_auth(h.gw, h_open(&h), &o, &c0));
    assert_failed(h_event(&h, EV_FAILED), IKE_FAIL_CONFIG);
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_deletes_ike(del));
    h_input(&h, fgw_answer_empty(h.gw, del));
    h_no_sent(&h);
    h_teardown(&h);
}

/* AUTHENTICATION_FAILED from the gateway (a wrong PSK on our side): IKE_FAIL_AUTH. */
static void test_authentication_failed(void)
{
    struct h h;

    h_init(&h);
    h_start(&h);
    h_input(&h, fgw_answer_init(h.gw, h_open(&h), FGW_NATD_MATCH));
    struct fgw_msg *auth = h_open_request(&h, IKE_AUTH);
    h_input(&h, fgw_answer_notify(h.gw, auth, IKE_N_AUTHENTICATION_FAILED));
    assert_failed(h_event(&h, EV_FAILED), IKE_FAIL_AUTH);
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- 2. the gateway rekeys the CHILD_SA, then deletes the old one ---------------------------- */

static void test_gateway_child_rekey(gconstpointer data)
{
    uint16_t pfs = GPOINTER_TO_UINT(data);
    struct h h;
    struct fgw_child c0, c1;

    h_init(&h);
    h_establish(&h, &c0);

    g_autoptr(GBytes) rekey = fgw_child_rekey_request(h.gw, &c0, pfs);
    h_input(&h, g_bytes_ref(rekey));
    struct fgw_msg *resp = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    g_assert_cmpuint(fgw_msg_count(resp, IKE_PL_KE), ==, pfs ? 1 : 0);
    fgw_child_rekey_finish(h.gw, resp, &c1);
    g_assert_cmphex(c1.spi_out, !=, c0.spi_out);
    /* the new SA goes in beside the old one, which stays until the gateway deletes it */
    assert_install(h_event(&h, EV_INSTALL), &c1, true, true);
    assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c1);
    h_no_events(&h);
    h_no_sent(&h);

    /* the request again (our answer was lost): the same answer, no second CHILD_SA */
    h_input(&h, g_bytes_ref(rekey));
    g_autoptr(GBytes) again = h_sent(&h, NULL);
    g_assert_true(g_bytes_equal(again, resp->raw));
    h_no_events(&h);

    h_input(&h, fgw_informational_request(h.gw, NULL, &c0.spi_in, 1, false));
    struct fgw_msg *del = h_open_answer(&h, IKE_INFORMATIONAL);
    uint32_t spis[4];
    /* the answer names our half of the old SA (RFC 7296 1.4.1) */
    g_assert_cmpuint(fgw_msg_deleted_esp(del, spis, 4), ==, 1);
    g_assert_cmphex(spis[0], ==, c0.spi_out);
    assert_delete(h_event(&h, EV_DELETE), &c0);
    h_no_events(&h);

    /* and the new SA is the one the session rekeys next */
    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    struct fgw_child c2;
    h_input(&h, fgw_answer_child_rekey(h.gw, req, &c1, &c2));
    assert_install(h_event(&h, EV_INSTALL), &c2, true, true);
    h_event(&h, EV_CHILD_REKEYED);
    struct fgw_msg *del2 = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_cmpuint(fgw_msg_deleted_esp(del2, spis, 4), ==, 1);
    g_assert_cmphex(spis[0], ==, c1.spi_out);
    h_input(&h, fgw_answer_delete(h.gw, del2, &c1.spi_in, 1));
    assert_delete(h_event(&h, EV_DELETE), &c1);
    h_teardown(&h);
}

/* ---- our own CHILD_SA rekey: new SA, then DELETE of the old one once the gateway answers ----- */

static void test_our_child_rekey(void)
{
    struct h h;
    struct fgw_child c0, c1;
    uint32_t spis[4];

    h_init(&h);
    h.cfg.esp_proposals = "aes256gcm16-x25519"; /* PFS on rekey */
    h_establish(&h, &c0);

    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    g_assert_cmpuint(req->m.hdr.msg_id, ==, 2);
    g_assert_cmpuint(fgw_msg_count(req, IKE_PL_KE), ==, 1);
    h_input(&h, fgw_answer_child_rekey(h.gw, req, &c0, &c1));
    assert_install(h_event(&h, EV_INSTALL), &c1, true, true);
    assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c1);
    /* the old SA stays until the gateway confirmed its deletion */
    h_no_events(&h);
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_cmpuint(fgw_msg_deleted_esp(del, spis, 4), ==, 1);
    g_assert_cmphex(spis[0], ==, c0.spi_out);
    h_input(&h, fgw_answer_delete(h.gw, del, &c0.spi_in, 1));
    assert_delete(h_event(&h, EV_DELETE), &c0);
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- our CHILD_SA rekey refused for now ------------------------------------------------------ */

/* TEMPORARY_FAILURE (RFC 7296 2.25): the old SA goes on, and the session asks again soon. */
static void test_rekey_temporary_failure(void)
{
    struct h h;
    struct fgw_child c0, c1;

    h_init(&h);
    h_establish(&h, &c0);
    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    h_input(&h, fgw_answer_notify(h.gw, req, IKE_N_TEMPORARY_FAILURE));
    h_no_events(&h);
    h_no_sent(&h);

    g_autoptr(GBytes) again = h_wait_sent(&h, WAIT_MS, NULL);
    struct fgw_msg *req2 = fgw_open(h.gw, again);
    g_ptr_array_add(h.msgs, req2);
    g_assert_true(fgw_msg_is(req2, IKE_CREATE_CHILD_SA, false));
    g_assert_cmpuint(req2->m.hdr.msg_id, ==, req->m.hdr.msg_id + 1);
    h_our_child_rekey_done(&h, req2, &c0, &c1);
    h_teardown(&h);
}

/* The gateway rekeys while our DELETE of the old SA is out: asked to retry (RFC 7296 2.25). */
static void test_gateway_rekey_during_our_delete(void)
{
    struct h h;
    struct fgw_child c0, c1, c2;

    h_init(&h);
    h_establish(&h, &c0);
    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    h_input(&h, fgw_answer_child_rekey(h.gw, req, &c0, &c1));
    assert_install(h_event(&h, EV_INSTALL), &c1, true, true);
    h_event(&h, EV_CHILD_REKEYED);
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);

    h_input(&h, fgw_child_rekey_request(h.gw, &c1, 0));
    struct fgw_msg *resp = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    g_assert_true(fgw_msg_notify(resp, IKE_N_TEMPORARY_FAILURE, NULL));
    fgw_rekey_abandon(h.gw); /* it will try again */
    h_no_events(&h);

    h_input(&h, fgw_answer_delete(h.gw, del, &c0.spi_in, 1));
    assert_delete(h_event(&h, EV_DELETE), &c0);
    h_input(&h, fgw_child_rekey_request(h.gw, &c1, 0));
    fgw_child_rekey_finish(h.gw, h_open_answer(&h, IKE_CREATE_CHILD_SA), &c2);
    assert_install(h_event(&h, EV_INSTALL), &c2, true, true);
    h_event(&h, EV_CHILD_REKEYED);
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- the gateway deletes the CHILD_SA alone -------------------------------------------------- */

/* An expiry, say: the IKE SA stays, and the session asks for a new CHILD_SA a second later. */
static void test_gateway_deletes_child_sa(void)
{
    struct h h;
    struct fgw_child c0, c1;
    uint32_t spis[4];

    h_init(&h);
    h_establish(&h, &c0);
    h_input(&h, fgw_informational_request(h.gw, NULL, &c0.spi_in, 1, false));
    struct fgw_msg *resp = h_open_answer(&h, IKE_INFORMATIONAL);
    g_assert_cmpuint(fgw_msg_deleted_esp(resp, spis, 4), ==, 1);
    g_assert_cmphex(spis[0], ==, c0.spi_out);
    assert_delete(h_event(&h, EV_DELETE), &c0);
    h_no_events(&h);

    g_autoptr(GBytes) create = h_wait_sent(&h, WAIT_MS, NULL);
    struct fgw_msg *req = fgw_open(h.gw, create);
    g_ptr_array_add(h.msgs, req);
    /* a new CHILD_SA (no REKEY_SA), for the same selectors */
    h_input(&h, fgw_answer_child_rekey(h.gw, req, NULL, &c1));
    assert_ts(&c1.ts_client, VIP "/32");
    assert_ts(&c1.ts_gateway, "10.0.0.0/8");
    assert_install(h_event(&h, EV_INSTALL), &c1, true, true);
    assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c1);
    h_no_sent(&h); /* no old SA to delete */
    h_no_events(&h);
    h_teardown(&h);
}

/* ---- 3. the gateway rekeys the IKE SA with strongSwan's default proposals -------------------- */

static void test_gateway_ike_rekey_large_sa(void)
{
    struct h h;
    struct fgw_child c0, c1;
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n;
    char buf[256];

    h_init(&h);
    h_establish(&h, &c0);

    h_input(&h, fgw_ike_rekey_request(h.gw, test_sw_default_ike));
    struct fgw_msg *resp = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    /* a chosen proposal, not INVALID_SYNTAX (issue 10) */
    g_assert_false(fgw_msg_notify(resp, IKE_N_INVALID_SYNTAX, NULL));
    g_assert_cmpint(
        ike_sa_parse(ike_msg_find(&resp->m, IKE_PL_SA, NULL), reply, IKE_MAX_PROPOSALS, &n), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(reply[0].num, ==, 1);
    g_assert_cmpuint(reply[0].spi_len, ==, 8);
    ike_proposal_to_string(&reply[0], buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519");
    fgw_ike_rekey_finish(h.gw, resp);
    struct ev *e = h_event(&h, EV_IKE_REKEYED);
    g_assert_cmpstr(e->proposal, ==,
                    "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519");
    h_no_events(&h);

    /* the gateway deletes the old IKE SA over itself: answered there, the session goes on */
    h_input(&h, fgw_informational_request(h.gw, &h.gw->old, NULL, 0, true));
    struct fgw_msg *del = h_open_answer(&h, IKE_INFORMATIONAL);
    g_assert_true(del->sa == &h.gw->old);
    h_no_events(&h);

    /* a liveness check on the new IKE SA (its first message ID) is answered on it */
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    struct fgw_msg *dpd = h_open_answer(&h, IKE_INFORMATIONAL);
    g_assert_true(dpd->sa == &h.gw->sa);
    g_assert_cmpuint(dpd->m.hdr.msg_id, ==, 0);
    g_assert_cmphex(ike_session_spi_i(h.s), ==, h.gw->sa.spi_i); /* the gateway's SPI is SPIi */

    /* our next request goes on the new IKE SA from message ID 0; the CHILD_SA keys come from
     * its SK_d, which the gateway derived on its own */
    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    g_assert_true(req->sa == &h.gw->sa);
    g_assert_cmpuint(req->m.hdr.msg_id, ==, 0);
    g_assert_false(req->m.hdr.flags & IKE_FLAG_INITIATOR); /* the gateway's SA now */
    h_our_child_rekey_done(&h, req, &c0, &c1);

    /* the old IKE SA is gone: a message on it is not answered */
    h_input(&h, fgw_informational_request(h.gw, &h.gw->old, NULL, 0, false));
    h_no_sent(&h);
    h_no_events(&h);
    h_teardown(&h);
}

/* ---- our own IKE SA rekey -------------------------------------------------------------------- */

static void test_our_ike_rekey(void)
{
    struct h h;
    struct fgw_child c0, c1;

    h_init(&h);
    h_establish(&h, &c0);
    uint64_t old_spi = ike_session_spi_i(h.s);

    ike_session_rekey_ike(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    g_assert_cmpuint(fgw_msg_count(req, IKE_PL_KE), ==, 1);
    h_input(&h, fgw_answer_ike_rekey(h.gw, req));
    struct ev *e = h_event(&h, EV_IKE_REKEYED);
    g_assert_cmpstr(e->proposal, ==, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519");
    g_assert_cmphex(ike_session_spi_i(h.s), ==, h.gw->sa.spi_i);
    g_assert_cmphex(ike_session_spi_i(h.s), !=, old_spi);
    /* the old IKE SA is deleted over itself, without waiting for the answer */
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(del->sa == &h.gw->old);
    g_assert_true(fgw_msg_deletes_ike(del));
    h_input(&h, fgw_answer_empty(h.gw, del));
    h_no_sent(&h);

    /* the new IKE SA carries on: the session's requests and answers */
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    struct fgw_msg *dpd = h_open_answer(&h, IKE_INFORMATIONAL);
    g_assert_true(dpd->sa == &h.gw->sa);
    g_assert_true(dpd->m.hdr.flags & IKE_FLAG_INITIATOR); /* ours */
    ike_session_rekey_child(h.s);
    struct fgw_msg *rk = h_open_request(&h, IKE_CREATE_CHILD_SA);
    g_assert_cmpuint(rk->m.hdr.msg_id, ==, 0);
    h_input(&h, fgw_answer_child_rekey(h.gw, rk, &c0, &c1));
    assert_install(h_event(&h, EV_INSTALL), &c1, true, true); /* keys from the new SK_d */
    h_event(&h, EV_CHILD_REKEYED);
    struct fgw_msg *del2 = h_open_request(&h, IKE_INFORMATIONAL);
    h_input(&h, fgw_answer_delete(h.gw, del2, &c0.spi_in, 1));
    assert_delete(h_event(&h, EV_DELETE), &c0);
    h_no_events(&h);
    h_teardown(&h);
}

/* ---- rekeys on the configured timers --------------------------------------------------------- */

/* child_rekey_time / ike_rekey_time of 1 s: the session starts the rekey on its own. */
static void test_rekey_timer(gconstpointer data)
{
    bool ike = GPOINTER_TO_INT(data);
    struct h h;
    struct fgw_child c0, c1;
    struct ike_notify nt;

    h_init(&h);
    if (ike)
        h.cfg.ike_rekey_time = 1;
    else
        h.cfg.child_rekey_time = 1;
    h_establish(&h, &c0);

    g_autoptr(GBytes) raw = h_wait_sent(&h, WAIT_MS, NULL);
    struct fgw_msg *req = fgw_open(h.gw, raw);
    g_ptr_array_add(h.msgs, req);
    g_assert_true(fgw_msg_is(req, IKE_CREATE_CHILD_SA, false));
    if (ike) {
        g_assert_false(fgw_msg_notify(req, IKE_N_REKEY_SA, NULL));
        h_input(&h, fgw_answer_ike_rekey(h.gw, req));
        h_event(&h, EV_IKE_REKEYED);
        struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
        g_assert_true(fgw_msg_deletes_ike(del));
        g_assert_true(del->sa == &h.gw->old);
    } else {
        g_assert_true(fgw_msg_notify(req, IKE_N_REKEY_SA, &nt));
        g_assert_cmphex(uip_get32(nt.spi), ==, c0.spi_out);
        h_input(&h, fgw_answer_child_rekey(h.gw, req, &c0, &c1));
        assert_install(h_event(&h, EV_INSTALL), &c1, true, true);
        h_event(&h, EV_CHILD_REKEYED);
        struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
        h_input(&h, fgw_answer_delete(h.gw, del, &c0.spi_in, 1));
        assert_delete(h_event(&h, EV_DELETE), &c0);
    }
    h_no_events(&h);
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- 4. a malformed CREATE_CHILD_SA from the gateway ----------------------------------------- */

static void test_malformed_create_child(void)
{
    struct h h;
    struct fgw_child c0;
    struct ike_builder b;
    uint8_t nonce[32] = {1}, old_spi[4];

    h_init(&h);
    h_establish(&h, &c0);

    /* a CHILD_SA rekey without its SA payload */
    fgw_begin_request(h.gw, NULL, &b, IKE_CREATE_CHILD_SA);
    uip_put32(old_spi, c0.spi_in);
    ike_build_notify(&b, IKE_PROTO_ESP, old_spi, 4, IKE_N_REKEY_SA, NULL, 0);
    ike_build_nonce(&b, nonce, sizeof(nonce));
    ike_build_ts(&b, IKE_PL_TSI, &c0.ts_gateway, 1);
    ike_build_ts(&b, IKE_PL_TSR, &c0.ts_client, 1);
    h_input(&h, fgw_seal(h.gw, NULL, &b));

    struct fgw_msg *resp = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    unsigned answered = h.sent_seq;
    g_assert_true(fgw_msg_notify(resp, IKE_N_INVALID_SYNTAX, NULL));
    g_assert_cmpuint(fgw_msg_count(resp, IKE_PL_SA), ==, 0);
    /* INVALID_SYNTAX ends the IKE SA on both sides: after the answer the tunnel goes, the
     * session fails */
    struct ev *e = h_event(&h, EV_DELETE);
    assert_delete(e, &c0);
    g_assert_cmpuint(e->seq, >, answered);
    assert_failed(h_event(&h, EV_FAILED), IKE_FAIL_PROTOCOL);

    /* and it is silent from then on */
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- 5. INVALID_SYNTAX in the gateway's answer to our CHILD_SA rekey ------------------------- */

static void test_rekey_answer_invalid_syntax(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h_establish(&h, &c0);

    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    h_input(&h, fgw_answer_notify(h.gw, req, IKE_N_INVALID_SYNTAX));
    assert_delete(h_event(&h, EV_DELETE), &c0);
    struct ev *e = h_event(&h, EV_FAILED);
    assert_failed(e, IKE_FAIL_PROTOCOL);
    g_assert_nonnull(strstr(e->message, "INVALID_SYNTAX"));
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- 6. AUTH_LIFETIME ------------------------------------------------------------------------ */

static void test_auth_lifetime(void)
{
    struct h h;
    struct fgw_child c0;
    struct fgw_auth_opts o = default_auth;
    struct ike_builder b;
    uint8_t secs[4];

    o.auth_lifetime = 3600;
    h_init(&h);
    h_establish_with(&h, &o, &c0);
    /* after established: the owner reauthenticates with the tunnel up */
    g_assert_cmpuint(h_event(&h, EV_AUTH_LIFETIME)->seconds, ==, 3600);
    h_no_events(&h);

    /* later in an INFORMATIONAL request (RFC 4478 3) */
    fgw_begin_request(h.gw, NULL, &b, IKE_INFORMATIONAL);
    uip_put32(secs, 1800);
    ike_build_notify(&b, 0, NULL, 0, IKE_N_AUTH_LIFETIME, secs, 4);
    h_input(&h, fgw_seal(h.gw, NULL, &b));
    h_open_answer(&h, IKE_INFORMATIONAL);
    g_assert_cmpuint(h_event(&h, EV_AUTH_LIFETIME)->seconds, ==, 1800);

    /* one of the wrong size is ignored, and still answered */
    fgw_begin_request(h.gw, NULL, &b, IKE_INFORMATIONAL);
    ike_build_notify(&b, 0, NULL, 0, IKE_N_AUTH_LIFETIME, secs, 2);
    h_input(&h, fgw_seal(h.gw, NULL, &b));
    h_open_answer(&h, IKE_INFORMATIONAL);
    h_no_events(&h);
    h_teardown(&h);
}

/* ---- 7. CHILD_SA rekey collision (RFC 7296 2.8.1) -------------------------------------------- */

/* Nonces compare over their common length, as strongSwan does. */
static int nonce_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return memcmp(a, b, MIN(a_len, b_len));
}

static struct ike_nonce lower(const struct ike_nonce *a, const struct ike_nonce *b)
{
    return nonce_cmp(a->data, a->len, b->data, b->len) < 0 ? *a : *b;
}

/*
 * Both sides rekey c0 at once.  The SA made by the exchange holding the
 * lowest of the four nonces is redundant; its initiator deletes it.
 * @session_loses: the gateway picks its nonces so that the session's
 * exchange holds the lowest one.
 */
static void test_child_rekey_collision(gconstpointer data)
{
    bool session_loses = GPOINTER_TO_INT(data);
    struct h h;
    struct fgw_child c0, c_gw, c_ours;
    uint8_t low[32], high[32];
    uint32_t spis[4];

    memset(low, 0x00, sizeof(low));
    memset(high, 0xff, sizeof(high));
    h_init(&h);
    h_establish(&h, &c0);

    /* ours goes out ... */
    ike_session_rekey_child(h.s);
    struct fgw_msg *ours = h_open_request(&h, IKE_CREATE_CHILD_SA);
    struct ike_nonce n_ours = fgw_msg_nonce(ours);

    /* ... and crosses the gateway's */
    fgw_set_next_nonce(h.gw, session_loses ? high : low, 32);
    h_input(&h, fgw_child_rekey_request(h.gw, &c0, 0));
    struct fgw_msg *answer = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    struct ike_nonce n_answer = fgw_msg_nonce(answer);
    fgw_child_rekey_finish(h.gw, answer, &c_gw);
    /* until the nonces decide, the gateway's new SA goes in inbound only */
    assert_install(h_event(&h, EV_INSTALL), &c_gw, true, false);
    h_no_events(&h);

    /* the gateway answers ours */
    fgw_set_next_nonce(h.gw, session_loses ? low : high, 32);
    g_autoptr(GBytes) ours_answer = fgw_answer_child_rekey(h.gw, ours, &c0, &c_ours);

    /* what RFC 7296 2.8.1 says, from the four nonces on the wire: our exchange (our nonce,
     * the gateway's answer) against the gateway's (its nonce, our answer) */
    struct ike_nonce gw_in_ours = {session_loses ? low : high, 32};
    struct ike_nonce gw_in_theirs = {session_loses ? high : low, 32};
    struct ike_nonce lo_ours = lower(&n_ours, &gw_in_ours);
    struct ike_nonce lo_theirs = lower(&gw_in_theirs, &n_answer);
    bool ours_lowest = nonce_cmp(lo_ours.data, lo_ours.len, lo_theirs.data, lo_theirs.len) < 0;
    g_assert_cmpint(ours_lowest, ==, session_loses);

    h_input(&h, g_bytes_ref(ours_answer));
    if (session_loses) {
        /* the gateway's SA wins: its outbound half goes in, ours never does */
        assert_install(h_event(&h, EV_INSTALL), &c_gw, false, true);
        assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c_gw);
        h_no_events(&h);
        /* we delete our redundant SA */
        struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
        g_assert_cmpuint(fgw_msg_deleted_esp(del, spis, 4), ==, 1);
        g_assert_cmphex(spis[0], ==, c_ours.spi_out);
        h_input(&h, fgw_answer_delete(h.gw, del, &c_ours.spi_in, 1));
        h_no_events(&h);
        /* the gateway, as the winner, deletes the old SA */
        h_input(&h, fgw_informational_request(h.gw, NULL, &c0.spi_in, 1, false));
        struct fgw_msg *resp = h_open_answer(&h, IKE_INFORMATIONAL);
        g_assert_cmpuint(fgw_msg_deleted_esp(resp, spis, 4), ==, 1);
        g_assert_cmphex(spis[0], ==, c0.spi_out);
        assert_delete(h_event(&h, EV_DELETE), &c0);
    } else {
        /* ours wins: installed whole, then we delete the old SA */
        assert_install(h_event(&h, EV_INSTALL), &c_ours, true, true);
        assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c_ours);
        h_no_events(&h);
        struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
        g_assert_cmpuint(fgw_msg_deleted_esp(del, spis, 4), ==, 1);
        g_assert_cmphex(spis[0], ==, c0.spi_out);
        /* meanwhile the gateway deletes its redundant SA */
        h_input(&h, fgw_informational_request(h.gw, NULL, &c_gw.spi_in, 1, false));
        struct fgw_msg *resp = h_open_answer(&h, IKE_INFORMATIONAL);
        g_assert_cmpuint(fgw_msg_deleted_esp(resp, spis, 4), ==, 1);
        g_assert_cmphex(spis[0], ==, c_gw.spi_out);
        assert_delete(h_event(&h, EV_DELETE), &c_gw);
        h_no_events(&h);
        /* then answers our DELETE of the old one */
        h_input(&h, fgw_answer_delete(h.gw, del, &c0.spi_in, 1));
        assert_delete(h_event(&h, EV_DELETE), &c0);
    }
    h_no_events(&h);
    h_no_sent(&h);

    /* the survivor is the CHILD_SA the session rekeys next */
    const struct fgw_child *winner = session_loses ? &c_gw : &c_ours;
    struct fgw_child c2;
    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    h_input(&h, fgw_answer_child_rekey(h.gw, req, winner, &c2));
    assert_install(h_event(&h, EV_INSTALL), &c2, true, true);
    h_event(&h, EV_CHILD_REKEYED);
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
    h_input(&h, fgw_answer_delete(h.gw, del, &winner->spi_in, 1));
    assert_delete(h_event(&h, EV_DELETE), winner);
    h_teardown(&h);
}

/*
 * The gateway wins the collision and does not wait for the nonces of our
 * exchange: it deletes the old SA before answering ours (@refuse false), or
 * refuses ours with TEMPORARY_FAILURE (@refuse true).  Either way its SA takes
 * over, whole, and the session installs nothing of its own rekey.
 */
static void test_child_rekey_collision_gateway_first(gconstpointer data)
{
    bool refuse = GPOINTER_TO_INT(data);
    struct h h;
    struct fgw_child c0, c_gw, c_ours, c2;
    uint8_t low[32], high[32];
    uint32_t spis[4];

    memset(low, 0x00, sizeof(low));
    memset(high, 0xff, sizeof(high));
    h_init(&h);
    h_establish(&h, &c0);
    ike_session_rekey_child(h.s);
    struct fgw_msg *ours = h_open_request(&h, IKE_CREATE_CHILD_SA);
    fgw_set_next_nonce(h.gw, high, 32);
    h_input(&h, fgw_child_rekey_request(h.gw, &c0, 0));
    fgw_child_rekey_finish(h.gw, h_open_answer(&h, IKE_CREATE_CHILD_SA), &c_gw);
    assert_install(h_event(&h, EV_INSTALL), &c_gw, true, false);
    h_no_events(&h);

    if (refuse) {
        h_input(&h, fgw_answer_notify(h.gw, ours, IKE_N_TEMPORARY_FAILURE));
        assert_install(h_event(&h, EV_INSTALL), &c_gw, false, true);
        assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c_gw);
        h_no_events(&h);
        h_no_sent(&h);
        h_input(&h, fgw_informational_request(h.gw, NULL, &c0.spi_in, 1, false));
        struct fgw_msg *resp = h_open_answer(&h, IKE_INFORMATIONAL);
        g_assert_cmpuint(fgw_msg_deleted_esp(resp, spis, 4), ==, 1);
        g_assert_cmphex(spis[0], ==, c0.spi_out);
        assert_delete(h_event(&h, EV_DELETE), &c0);
    } else {
        /* the old SA goes first: the gateway's SA takes over at once */
        h_input(&h, fgw_informational_request(h.gw, NULL, &c0.spi_in, 1, false));
        struct fgw_msg *resp = h_open_answer(&h, IKE_INFORMATIONAL);
        g_assert_cmpuint(fgw_msg_deleted_esp(resp, spis, 4), ==, 1);
        g_assert_cmphex(spis[0], ==, c0.spi_out);
        assert_install(h_event(&h, EV_INSTALL), &c_gw, false, true);
        assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c_gw);
        assert_delete(h_event(&h, EV_DELETE), &c0);
        h_no_events(&h);
        /* then ours is answered, with the lowest nonce: we delete our redundant SA */
        fgw_set_next_nonce(h.gw, low, 32);
        h_input(&h, fgw_answer_child_rekey(h.gw, ours, &c0, &c_ours));
        h_no_events(&h);
        struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
        g_assert_cmpuint(fgw_msg_deleted_esp(del, spis, 4), ==, 1);
        g_assert_cmphex(spis[0], ==, c_ours.spi_out);
        h_input(&h, fgw_answer_delete(h.gw, del, &c_ours.spi_in, 1));
    }
    h_no_events(&h);
    h_no_sent(&h);

    /* the gateway's SA is the one the session rekeys next */
    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    h_our_child_rekey_done(&h, req, &c_gw, &c2);
    h_teardown(&h);
}

/* ---- IKE SA rekey collision (RFC 7296 2.8.2) ------------------------------------------------- */

/*
 * Both sides rekey the IKE SA at once; the gateway answers ours, we answer
 * its.  The new IKE SA whose exchange holds the lowest of the four nonces is
 * redundant and its initiator deletes it over itself; the winner's initiator
 * deletes the old IKE SA.  Either way the survivor carries the session on.
 */
static void test_ike_rekey_collision(gconstpointer data)
{
    bool session_loses = GPOINTER_TO_INT(data);
    struct h h;
    struct fgw_child c0, c1;
    uint8_t low[32], high[32];

    memset(low, 0x00, sizeof(low));
    memset(high, 0xff, sizeof(high));
    h_init(&h);
    h_establish(&h, &c0);

    ike_session_rekey_ike(h.s);
    struct fgw_msg *ours = h_open_request(&h, IKE_CREATE_CHILD_SA);
    fgw_set_next_nonce(h.gw, session_loses ? high : low, 32);
    h_input(&h, fgw_ike_rekey_request(h.gw, NULL));
    /* answered with a new SA (not TEMPORARY_FAILURE): the nonces decide once ours is answered */
    struct fgw_msg *answer = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    g_assert_cmpuint(fgw_msg_count(answer, IKE_PL_SA), ==, 1);
    h_no_events(&h);
    fgw_set_next_nonce(h.gw, session_loses ? low : high, 32);
    g_autoptr(GBytes) ours_answer = fgw_answer_ike_rekey(h.gw, ours);
    fgw_ike_rekey_finish(h.gw, answer);
    g_assert_cmpint(h.gw->sa.gw_initiated, ==, session_loses);

    h_input(&h, g_bytes_ref(ours_answer));
    h_event(&h, EV_IKE_REKEYED);
    h_no_events(&h);
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_deletes_ike(del));
    if (session_loses) {
        /* we delete our redundant IKE SA over itself; the gateway deletes the old one */
        g_assert_true(del->sa == &h.gw->spare);
        h_input(&h, fgw_answer_empty(h.gw, del));
        h_no_sent(&h);
        h_input(&h, fgw_informational_request(h.gw, &h.gw->old, NULL, 0, true));
        g_assert_true(h_open_answer(&h, IKE_INFORMATIONAL)->sa == &h.gw->old);
    } else {
        /* we delete the old IKE SA; the gateway deletes its redundant one */
        g_assert_true(del->sa == &h.gw->old);
        h_input(&h, fgw_answer_empty(h.gw, del));
        h_no_sent(&h);
        h_input(&h, fgw_informational_request(h.gw, &h.gw->spare, NULL, 0, true));
        g_assert_true(h_open_answer(&h, IKE_INFORMATIONAL)->sa == &h.gw->spare);
    }
    h_no_events(&h);

    /* the survivor carries on both ways; CHILD_SA keys from its SK_d */
    g_assert_cmphex(ike_session_spi_i(h.s), ==, h.gw->sa.spi_i);
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    g_assert_true(h_open_answer(&h, IKE_INFORMATIONAL)->sa == &h.gw->sa);
    ike_session_rekey_child(h.s);
    struct fgw_msg *req = h_open_request(&h, IKE_CREATE_CHILD_SA);
    g_assert_true(req->sa == &h.gw->sa);
    g_assert_cmpuint(req->m.hdr.msg_id, ==, 0);
    h_our_child_rekey_done(&h, req, &c0, &c1);
    h_teardown(&h);
}

/* ---- 8. the end: the gateway's DELETE, and ours ---------------------------------------------- */

static void test_gateway_deletes_ike_sa(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h_establish(&h, &c0);
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, true));
    struct fgw_msg *resp = h_open_answer(&h, IKE_INFORMATIONAL);
    unsigned answered = h.sent_seq;
    g_assert_cmpuint(resp->m.n_pl, ==, resp->m.n_outer); /* an empty answer, first */
    struct ev *d = h_event(&h, EV_DELETE);
    assert_delete(d, &c0);
    g_assert_cmpuint(d->seq, >, answered);
    struct ev *e = h_event(&h, EV_FAILED);
    assert_failed(e, IKE_FAIL_PROTOCOL);
    g_assert_nonnull(strstr(e->message, "closed the connection"));
    h_no_sent(&h);
    h_teardown(&h);
}

/* Established, then ike_session_close(): the CHILD_SA goes at once, and our DELETE of the IKE SA
 * goes out (returned, opened). */
static struct fgw_msg *h_establish_and_close(struct h *h, struct fgw_child *c0)
{
    h_establish(h, c0);
    ike_session_close(h->s);
    assert_delete(h_event(h, EV_DELETE), c0);
    return h_open_request(h, IKE_INFORMATIONAL);
}

static void test_close(gconstpointer data)
{
    bool answered = GPOINTER_TO_INT(data);
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    if (!answered)
        h.cfg.retransmit_base_ms = 10;
    /* the tunnel goes at once; DELETE of the IKE SA goes out */
    struct fgw_msg *del = h_establish_and_close(&h, &c0);
    h_no_events(&h);
    g_assert_true(fgw_msg_deletes_ike(del));
    if (answered) {
        /* closed once the gateway confirms */
        h_input(&h, fgw_answer_empty(h.gw, del));
        h_event(&h, EV_CLOSED);
    } else {
        /* or once it gave up waiting: one retransmission (the same bytes) */
        g_autoptr(GBytes) again = h_wait_sent(&h, WAIT_MS, NULL);
        g_assert_true(g_bytes_equal(again, del->raw));
        h_wait_event(&h, EV_CLOSED, WAIT_MS);
    }
    h_no_sent(&h);
    /* silent from then on */
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    h_no_sent(&h);
    h_no_events(&h);
    h_teardown(&h);
}

/*
 * We close while the gateway closes: each answers the other's DELETE (RFC
 * 7296 1.4.1).  The user asked for the end, so the owner hears closed, once,
 * and never failed.
 */
static void test_close_crossing_gateway_delete(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    struct fgw_msg *del = h_establish_and_close(&h, &c0);
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, true));
    h_open_answer(&h, IKE_INFORMATIONAL);
    h_input(&h, fgw_answer_empty(h.gw, del));
    h_event(&h, EV_CLOSED);
    h_no_events(&h);
    h_no_sent(&h);
    h_teardown(&h);
}

/*
 * We close while the gateway rekeys the CHILD_SA: the tunnel is going, so
 * nothing goes into the engine any more and the owner hears of no rekey.
 */
static void test_close_crossing_child_rekey(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    struct fgw_msg *del = h_establish_and_close(&h, &c0);
    h_input(&h, fgw_child_rekey_request(h.gw, &c0, 0));
    h_open_answer(&h, IKE_CREATE_CHILD_SA);
    h_no_events(&h);
    h_input(&h, fgw_answer_empty(h.gw, del));
    h_event(&h, EV_CLOSED);
    h_no_events(&h);
    h_teardown(&h);
}

/* ---- 9. retransmissions ---------------------------------------------------------------------- */

/* Lost answers to IKE_SA_INIT and IKE_AUTH: the same bytes again, then the delayed answer works. */
static void test_retransmit_lost_answers(void)
{
    struct h h;
    struct fgw_child c0;
    bool natt;

    h_init(&h);
    h.cfg.retransmit_base_ms = 20;
    h_start(&h);

    struct fgw_msg *init = h_open(&h);
    g_autoptr(GBytes) init_answer = fgw_answer_init(h.gw, init, FGW_NATD_MATCH); /* lost */
    g_autoptr(GBytes) init_again = h_wait_sent(&h, WAIT_MS, &natt);
    g_assert_false(natt);
    g_assert_true(g_bytes_equal(init_again, init->raw));
    h_no_sent(&h);
    h_input(&h, g_bytes_ref(init_answer));

    struct fgw_msg *auth = h_open(&h);
    g_autoptr(GBytes) auth_answer = fgw_answer_auth(h.gw, auth, &default_auth, &c0); /* lost */
    g_autoptr(GBytes) auth_again = h_wait_sent(&h, WAIT_MS, &natt);
    g_assert_true(natt);
    g_assert_true(g_bytes_equal(auth_again, auth->raw));
    h_input(&h, g_bytes_ref(auth_answer));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    /* the answer also stopped the retransmissions; a duplicate answer is ignored */
    h_input(&h, g_bytes_ref(auth_answer));
    g_assert_false(h_wait(&h, &h.sent, 200));
    h_no_events(&h);

    /* the other way round: a request of the gateway's twice gets the same answer twice */
    g_autoptr(GBytes) dpd = fgw_informational_request(h.gw, NULL, NULL, 0, false);
    h_input(&h, g_bytes_ref(dpd));
    struct fgw_msg *answer = h_open_answer(&h, IKE_INFORMATIONAL);
    h_input(&h, g_bytes_ref(dpd));
    g_autoptr(GBytes) answer_again = h_sent(&h, NULL);
    g_assert_true(g_bytes_equal(answer_again, answer->raw));
    h_no_events(&h);
    h_teardown(&h);
}

/* No answer at all before the tunnel is up: retransmit_tries sends, then IKE_FAIL_UNREACHABLE. */
static void test_retransmit_unreachable(void)
{
    struct h h;

    h_init(&h);
    h.cfg.retransmit_base_ms = 10;
    h_start(&h);
    g_autoptr(GBytes) first = h_sent(&h, NULL);
    assert_failed(h_wait_event(&h, EV_FAILED, WAIT_MS), IKE_FAIL_UNREACHABLE);
    g_assert_cmpuint(h.n_sent, ==, h.cfg.retransmit_tries);
    while (!g_queue_is_empty(&h.sent)) {
        g_autoptr(GBytes) again = h_sent(&h, NULL);
        g_assert_true(g_bytes_equal(again, first));
    }
    /* nothing more, ever */
    g_assert_false(h_wait(&h, &h.sent, 100));
    h_teardown(&h);
}

/* The same after the tunnel is up: the liveness check goes unanswered, IKE_FAIL_DEAD_PEER. */
static void test_retransmit_dead_peer(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h.cfg.dpd_interval = 1;
    h.cfg.retransmit_base_ms = 10;
    h_establish(&h, &c0);
    unsigned before = h.n_sent;

    /* a liveness check when quiet, answered: nothing happens */
    g_autoptr(GBytes) dpd1 = h_wait_sent(&h, WAIT_MS, NULL);
    struct fgw_msg *check = fgw_open(h.gw, dpd1);
    g_ptr_array_add(h.msgs, check);
    g_assert_true(fgw_msg_is(check, IKE_INFORMATIONAL, false));
    g_assert_cmpuint(check->m.n_pl, ==, check->m.n_outer); /* empty */
    h_input(&h, fgw_answer_empty(h.gw, check));
    h_no_events(&h);

    /* the next one is not answered */
    g_autoptr(GBytes) dpd2 = h_wait_sent(&h, WAIT_MS, NULL);
    struct fgw_msg *check2 = fgw_open(h.gw, dpd2);
    g_ptr_array_add(h.msgs, check2);
    g_assert_cmpuint(check2->m.hdr.msg_id, ==, check->m.hdr.msg_id + 1);
    unsigned first = h.n_sent;
    /* at its first retransmission the owner hears that the gateway may have forgotten us
     * (once: the owner may try a new IKE SA beside this one) */
    h_wait_event(&h, EV_LIVENESS_DOUBT, WAIT_MS);
    g_assert_cmpuint(h.n_sent - first, ==, 1);
    assert_delete(h_wait_event(&h, EV_DELETE, WAIT_MS), &c0);
    assert_failed(h_event(&h, EV_FAILED), IKE_FAIL_DEAD_PEER);
    g_assert_cmpuint(h.n_sent - first, ==, h.cfg.retransmit_tries - 1);
    while (!g_queue_is_empty(&h.sent)) {
        g_autoptr(GBytes) again = h_sent(&h, NULL);
        g_assert_true(g_bytes_equal(again, dpd2));
    }
    g_assert_cmpuint(first - before, ==, 2);
    h_teardown(&h);
}

/* A clock the test moves: the liveness clock of the suspend test. */
static int64_t fake_now_us;
static int64_t fake_clock_us(void)
{
    return fake_now_us;
}

/*
 * Suspend and resume: the liveness clock counts the time asleep (the
 * session's default is CLOCK_BOOTTIME), so right after a resume the quiet
 * time is long and the session asks the gateway at once, instead of after
 * another full dpd-interval of a clock that stood still.
 */
static void test_liveness_after_resume(void)
{
    struct h h;
    struct fgw_child c0;

    fake_now_us = (int64_t)1000 * G_USEC_PER_SEC;
    h_init(&h);
    h.cfg.dpd_interval = 30;
    h.cfg.liveness_clock_us = fake_clock_us;
    h_establish(&h, &c0);
    /* awake and quiet for less than dpd-interval: no check */
    fake_now_us += (int64_t)29 * G_USEC_PER_SEC;
    g_assert_false(h_wait(&h, &h.sent, 1500));
    /* an hour asleep: the next tick (within a second) checks */
    fake_now_us += (int64_t)3600 * G_USEC_PER_SEC;
    g_autoptr(GBytes) dpd = h_wait_sent(&h, 1500, NULL);
    struct fgw_msg *check = fgw_open(h.gw, dpd);
    g_ptr_array_add(h.msgs, check);
    g_assert_true(fgw_msg_is(check, IKE_INFORMATIONAL, false));
    g_assert_cmpuint(check->m.n_pl, ==, check->m.n_outer); /* an empty liveness check */
    h_input(&h, fgw_answer_empty(h.gw, check));
    h_no_events(&h);
    /* answered: quiet again from now */
    g_assert_false(h_wait(&h, &h.sent, 1500));
    h_teardown(&h);
}

/* In PSK mode the gateway must prove the key: a signature instead (RSA, method 1) is refused,
 * even though no certificate was checked yet (issue 12). */
static void test_psk_gateway_signs(void)
{
    struct h h;
    struct fgw_child c0;
    struct fgw_auth_opts o = default_auth;

    h_init(&h);
    struct fgw_msg *auth = h_start_to_auth(&h);
    o.auth_method = 1;
    h_input(&h, fgw_answer_auth(h.gw, auth, &o, &c0));
    struct ev *f = h_event(&h, EV_FAILED);
    assert_failed(f, IKE_FAIL_AUTH);
    g_assert_nonnull(strstr(f->message, "signed instead"));
    while (!g_queue_is_empty(&h.sent))
        g_bytes_unref(h_sent(&h, NULL));
    h_teardown(&h);
}

/* ---- 9a. the random hook ---------------------------------------------------------------------- */

static unsigned fake_random_calls;

/* Bytes 1, 2, 3, ... in each call: what the session takes for SPIs and nonces. */
static void fake_random(void *buf, size_t len)
{
    uint8_t *b = buf;

    fake_random_calls++;
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(i + 1);
}

/* With the hook, the session's SPI and nonce are the test's: the orderings that depend on
 * them (which nonce is lower in a collision) can be chosen. */
static void test_random_hook(void)
{
    struct h h;
    uint8_t want[32];

    fake_random_calls = 0;
    h_init(&h);
    h.cfg.random = fake_random;
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    uint64_t spi;
    fake_random(want, sizeof(want));
    memcpy(&spi, want, sizeof(spi)); /* the SPI is the hook's 8 bytes as a number */
    g_assert_cmphex(init->m.hdr.spi_i, ==, spi);
    struct ike_nonce ni = fgw_msg_nonce(init);
    g_assert_cmpmem(ni.data, ni.len, want, sizeof(want));
    g_assert_cmpuint(fake_random_calls, >=, 3); /* the SPI, the first CHILD_SA's SPI, Ni */
    h_teardown(&h);
}

/* ---- 9b. the request queue, quick checks, MOBIKE (RFC 4555) ---------------------------------- */

/* A rekey asked for while a request is out waits in the queue and goes as soon as the answer
 * came: in the next main-loop iteration, not a second later. */
static void test_queue_runs_when_free(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h_establish(&h, &c0);
    ike_session_check_liveness(h.s);
    struct fgw_msg *check = h_open_request(&h, IKE_INFORMATIONAL);
    ike_session_rekey_ike(h.s);
    ike_session_rekey_ike(h.s); /* queued once */
    h_no_sent(&h);
    h_input(&h, fgw_answer_empty(h.gw, check));
    g_autoptr(GBytes) rk = h_wait_sent(&h, 100, NULL);
    struct fgw_msg *req = fgw_open(h.gw, rk);
    g_ptr_array_add(h.msgs, req);
    g_assert_true(fgw_msg_is(req, IKE_CREATE_CHILD_SA, false));
    g_assert_cmpuint(req->m.hdr.msg_id, ==, check->m.hdr.msg_id + 1);
    h_input(&h, fgw_answer_ike_rekey(h.gw, req));
    h_event(&h, EV_IKE_REKEYED);
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL); /* the old IKE SA */
    g_assert_true(fgw_msg_deletes_ike(del));
    h_input(&h, fgw_answer_empty(h.gw, del));
    g_assert_false(h_wait(&h, &h.sent, 200)); /* the second call did not queue a second rekey */
    h_no_events(&h);
    h_teardown(&h);
}

/* After a resume: one check with fast retransmissions; unanswered, the gateway is dead in
 * about 2 s (250 + 500 + 1000 ms), not after the normal schedule. */
static void test_check_liveness_quick(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h_establish(&h, &c0);
    int64_t t0 = g_get_monotonic_time();
    ike_session_check_liveness(h.s);
    struct fgw_msg *check = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_cmpuint(check->m.n_pl, ==, check->m.n_outer); /* empty: no MOBIKE */
    h_wait_event(&h, EV_LIVENESS_DOUBT, WAIT_MS);
    assert_delete(h_wait_event(&h, EV_DELETE, WAIT_MS), &c0);
    assert_failed(h_event(&h, EV_FAILED), IKE_FAIL_DEAD_PEER);
    int64_t took = g_get_monotonic_time() - t0;
    g_assert_cmpint(took, >=, 1700 * 1000);
    g_assert_cmpint(took, <, 3000 * 1000);
    g_assert_cmpuint(g_queue_get_length(&h.sent), ==, 2); /* two retransmissions */
    while (!g_queue_is_empty(&h.sent))
        g_bytes_unref(h_sent(&h, NULL));
    h_teardown(&h);
}

static const struct fgw_auth_opts mobike_auth = {
    .vip4 = true,
    .vip4_addr = {10, 10, 0, 5},
    .mobike = true,
};

static void h_establish_mobike(struct h *h, struct fgw_child *c)
{
    h->cfg.mobike = true;
    h_establish_with(h, &mobike_auth, c);
    g_assert_true(ike_session_mobike(h->s));
    h_no_events(h);
    h_no_sent(h);
}

/* Our address changed: UPDATE_SA_ADDRESSES with NAT-D and COOKIE2 (asserted by the gateway);
 * answered, the IKE SA and the CHILD_SA stay as they are: no callback at all. */
static void test_mobike_update(void)
{
    struct h h;
    struct fgw_child c0;
    struct sockaddr_in moved;

    h_init(&h);
    h_establish_mobike(&h, &c0);
    g_assert_cmpint(ike_session_path_changed(h.s), ==, 0);
    struct fgw_msg *up = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_notify(up, IKE_N_UPDATE_SA_ADDRESSES, NULL));
    sockaddr4("203.0.113.9", 4500, &moved);
    h_input(&h, fgw_answer_mobike(h.gw, up, &moved, 0));
    h_no_events(&h);
    g_assert_false(h_wait(&h, &h.sent, 100));
    /* the tunnel still works: a rekey goes on as before */
    struct fgw_child c1;
    ike_session_rekey_child(h.s);
    struct fgw_msg *rk = h_open_request(&h, IKE_CREATE_CHILD_SA);
    g_assert_cmpuint(rk->m.hdr.msg_id, ==, up->m.hdr.msg_id + 1);
    h_our_child_rekey_done(&h, rk, &c0, &c1);
    h_teardown(&h);
}

/* The path changed while a liveness check was out (into the old path): it goes again at once
 * from the new address, and UPDATE_SA_ADDRESSES follows its answer. */
static void test_mobike_update_behind_request(void)
{
    struct h h;
    struct fgw_child c0;
    struct sockaddr_in moved;

    h_init(&h);
    h_establish_mobike(&h, &c0);
    ike_session_check_liveness(h.s);
    struct fgw_msg *check = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_notify(check, IKE_N_NAT_DETECTION_DESTINATION_IP, NULL));
    g_assert_false(fgw_msg_notify(check, IKE_N_UPDATE_SA_ADDRESSES, NULL));
    g_assert_cmpint(ike_session_path_changed(h.s), ==, 0);
    g_autoptr(GBytes) again = h_sent(&h, NULL);
    g_assert_true(g_bytes_equal(again, check->raw));
    h_no_sent(&h);
    sockaddr4("203.0.113.9", 4500, &moved);
    h_input(&h, fgw_answer_mobike(h.gw, check, &moved, 0));
    g_autoptr(GBytes) upb = h_wait_sent(&h, 100, NULL);
    struct fgw_msg *up = fgw_open(h.gw, upb);
    g_ptr_array_add(h.msgs, up);
    g_assert_true(fgw_msg_notify(up, IKE_N_UPDATE_SA_ADDRESSES, NULL));
    h_input(&h, fgw_answer_mobike(h.gw, up, &moved, 0));
    h_no_events(&h);
    h_no_sent(&h);
    h_teardown(&h);
}

/* The gateway refuses the new address: the IKE SA cannot move; the session fails as a dead
 * peer, so that its owner makes a new one. */
static void test_mobike_refused(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h_establish_mobike(&h, &c0);
    g_assert_cmpint(ike_session_path_changed(h.s), ==, 0);
    struct fgw_msg *up = h_open_request(&h, IKE_INFORMATIONAL);
    h_input(&h, fgw_answer_mobike(h.gw, up, NULL, IKE_N_UNACCEPTABLE_ADDRESSES));
    assert_delete(h_event(&h, EV_DELETE), &c0);
    struct ev *f = h_event(&h, EV_FAILED);
    assert_failed(f, IKE_FAIL_DEAD_PEER);
    g_assert_nonnull(strstr(f->message, "UNACCEPTABLE_ADDRESSES"));
    h_teardown(&h);
}

/* Offered, but the gateway does not support it (or it is off): the owner must start over. */
static void test_mobike_not_supported(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h.cfg.mobike = true;
    struct fgw_msg *auth = h_start_to_auth(&h);
    g_assert_true(fgw_msg_notify(auth, IKE_N_MOBIKE_SUPPORTED, NULL));
    h_input(&h, fgw_answer_auth(h.gw, auth, &default_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    g_assert_false(ike_session_mobike(h.s));
    g_assert_cmpint(ike_session_path_changed(h.s), ==, -EOPNOTSUPP);
    h_no_sent(&h);
    h_teardown(&h);

    /* not configured: not offered, even to a gateway that would */
    h_init(&h);
    auth = h_start_to_auth(&h);
    g_assert_false(fgw_msg_notify(auth, IKE_N_MOBIKE_SUPPORTED, NULL));
    h_input(&h, fgw_answer_auth(h.gw, auth, &mobike_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    g_assert_false(ike_session_mobike(h.s));
    g_assert_cmpint(ike_session_path_changed(h.s), ==, -EOPNOTSUPP);
    h_teardown(&h);
}

/* A NAT rebinding: the gateway's NAT-D in the answer to a liveness check names another port
 * than in the last one; UPDATE_SA_ADDRESSES follows at once.  The same port again: nothing. */
static void test_mobike_nat_rebinding(void)
{
    struct h h;
    struct fgw_child c0;
    struct sockaddr_in seen1, seen2;

    sockaddr4("203.0.113.9", 40001, &seen1);
    sockaddr4("203.0.113.9", 40002, &seen2);
    h_init(&h);
    h_establish_mobike(&h, &c0);
    /* the owner's probe (we send, nothing comes back): under MOBIKE an UPDATE_SA_ADDRESSES,
     * which moves the gateway's ESP to wherever we are seen from now; not a second one while
     * it is out */
    ike_session_probe(h.s);
    struct fgw_msg *c1 = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_notify(c1, IKE_N_UPDATE_SA_ADDRESSES, NULL));
    g_assert_true(fgw_msg_notify(c1, IKE_N_NAT_DETECTION_DESTINATION_IP, NULL));
    ike_session_probe(h.s);
    h_no_sent(&h);
    h_input(&h, fgw_answer_mobike(h.gw, c1, &seen1, 0));
    ike_session_check_liveness(h.s);
    struct fgw_msg *c2 = h_open_request(&h, IKE_INFORMATIONAL);
    h_input(&h, fgw_answer_mobike(h.gw, c2, &seen1, 0));
    g_assert_false(h_wait(&h, &h.sent, 100));
    ike_session_check_liveness(h.s);
    struct fgw_msg *c3 = h_open_request(&h, IKE_INFORMATIONAL);
    h_input(&h, fgw_answer_mobike(h.gw, c3, &seen2, 0));
    struct fgw_msg *up = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_notify(up, IKE_N_UPDATE_SA_ADDRESSES, NULL));
    h_input(&h, fgw_answer_mobike(h.gw, up, &seen2, 0));
    h_no_events(&h);
    h_no_sent(&h);
    h_teardown(&h);
}

/* ---- 9c. redirect (RFC 5685) ----------------------------------------------------------------- */

#define NEW_GW "203.0.113.20"

/* REDIRECT notify data: IPv4 identity NEW_GW, then @nonce (may be NULL). */
static size_t redirect_data(uint8_t *out, const uint8_t *nonce, size_t nonce_len)
{
    out[0] = 1; /* IPv4 */
    out[1] = 4;
    g_assert_cmpint(inet_pton(AF_INET, NEW_GW, out + 2), ==, 1);
    if (nonce)
        memcpy(out + 6, nonce, nonce_len);
    return 6 + nonce_len;
}

static void assert_redirected_to_new_gw(const struct ev *e)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)&e->gateway;
    char addr[INET_ADDRSTRLEN];

    g_assert_cmpint(in->sin_family, ==, AF_INET);
    g_assert_cmpuint(ntohs(in->sin_port), ==, 500);
    inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
    g_assert_cmpstr(addr, ==, NEW_GW);
}

/* In IKE_SA_INIT (unauthenticated): followed only with our nonce in it; a REDIRECT without it
 * is ignored and the session keeps waiting for the real answer. */
static void test_redirect_init(void)
{
    struct h h;
    uint8_t data[6 + 64];

    h_init(&h);
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    g_assert_true(fgw_msg_notify(init, IKE_N_REDIRECT_SUPPORTED, NULL));
    g_assert_false(fgw_msg_notify(init, IKE_N_REDIRECTED_FROM, NULL));
    struct ike_nonce ni = fgw_msg_nonce(init);
    uint8_t wrong[32];
    memset(wrong, 0x5a, sizeof(wrong));
    h_input(&h, fgw_answer_init_notify(h.gw, init, IKE_N_REDIRECT, data,
                                       redirect_data(data, wrong, sizeof(wrong))));
    h_no_events(&h);
    h_no_sent(&h);
    h_input(&h, fgw_answer_init_notify(h.gw, init, IKE_N_REDIRECT, data,
                                       redirect_data(data, ni.data, ni.len)));
    assert_redirected_to_new_gw(h_event(&h, EV_REDIRECTED));
    h_no_events(&h); /* no failure */
    g_assert_false(h_wait(&h, &h.sent, 200)); /* and no retransmission: over */
    h_teardown(&h);
}

/* The session to the new gateway names the old one in REDIRECTED_FROM. */
static void test_redirected_from(void)
{
    struct h h;
    struct ike_notify n;

    h_init(&h);
    struct sockaddr_in *from = (struct sockaddr_in *)&h.cfg.redirected_from;
    sockaddr4("192.0.2.99", 500, from);
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    g_assert_false(fgw_msg_notify(init, IKE_N_REDIRECT_SUPPORTED, NULL));
    g_assert_true(fgw_msg_notify(init, IKE_N_REDIRECTED_FROM, &n));
    g_assert_cmpuint(n.data_len, ==, 6);
    g_assert_cmpuint(n.data[0], ==, 1);
    g_assert_cmpuint(n.data[1], ==, 4);
    g_assert_cmpmem(n.data + 2, 4, &from->sin_addr, 4);
    h_teardown(&h);
}

/* In the last IKE_AUTH response, after the gateway's AUTH: no CHILD_SA, the IKE SA deleted.
 * With the wrong AUTH (@data 0): an authentication failure, not a redirect. */
static void test_redirect_auth(gconstpointer data)
{
    bool verified = GPOINTER_TO_INT(data);
    struct h h;
    struct fgw_child c0;
    uint8_t rd[6];
    struct fgw_auth_opts o = default_auth;

    h_init(&h);
    struct fgw_msg *auth = h_start_to_auth(&h);
    o.redirect = rd;
    o.redirect_len = redirect_data(rd, NULL, 0);
    o.wrong_auth = !verified;
    h_input(&h, fgw_answer_auth(h.gw, auth, &o, &c0));
    if (verified) {
        assert_redirected_to_new_gw(h_event(&h, EV_REDIRECTED));
        struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
        g_assert_true(fgw_msg_deletes_ike(del));
        h_no_events(&h);
        g_assert_false(h_wait(&h, &h.sent, 200));
    } else {
        assert_failed(h_event(&h, EV_FAILED), IKE_FAIL_AUTH);
        while (!g_queue_is_empty(&h.sent))
            g_bytes_unref(h_sent(&h, NULL));
    }
    h_teardown(&h);
}

/* In an INFORMATIONAL request on the established IKE SA: answered, then the owner is told; the
 * session goes on until its owner closes it. */
static void test_redirect_informational(void)
{
    struct h h;
    struct fgw_child c0;
    struct ike_builder b;
    uint8_t data[6];

    h_init(&h);
    h_establish(&h, &c0);
    fgw_begin_request(h.gw, NULL, &b, IKE_INFORMATIONAL);
    ike_build_notify(&b, 0, NULL, 0, IKE_N_REDIRECT, data, redirect_data(data, NULL, 0));
    h_input(&h, fgw_seal(h.gw, NULL, &b));
    assert_redirected_to_new_gw(h_event(&h, EV_REDIRECTED));
    h_open_answer(&h, IKE_INFORMATIONAL);
    h_no_events(&h);
    ike_session_close(h.s);
    assert_delete(h_event(&h, EV_DELETE), &c0);
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_deletes_ike(del));
    h_input(&h, fgw_answer_empty(h.gw, del));
    h_event(&h, EV_CLOSED);
    h_teardown(&h);
}

/* A gateway named by FQDN is not followed (yet): a configuration failure that says so. */
static void test_redirect_fqdn(void)
{
    struct h h;
    struct fgw_child c0;
    struct ike_builder b;
    uint8_t data[2 + 14] = {3, 14};

    memcpy(data + 2, "gw.example.net", 14);
    h_init(&h);
    h_establish(&h, &c0);
    fgw_begin_request(h.gw, NULL, &b, IKE_INFORMATIONAL);
    ike_build_notify(&b, 0, NULL, 0, IKE_N_REDIRECT, data, sizeof(data));
    h_input(&h, fgw_seal(h.gw, NULL, &b));
    h_open_answer(&h, IKE_INFORMATIONAL);
    assert_delete(h_event(&h, EV_DELETE), &c0);
    struct ev *f = h_event(&h, EV_FAILED);
    assert_failed(f, IKE_FAIL_CONFIG);
    g_assert_nonnull(strstr(f->message, "by name"));
    h_teardown(&h);
}

/* ---- 10. what the session does not take: one drop counted, nothing else ---------------------- */

/* The session counted exactly one more drop, of @why, between @before and now. */
static void assert_one_drop(struct h *h, const uint64_t before[IKE_DROP__MAX], enum ike_drop why)
{
    uint64_t after[IKE_DROP__MAX];

    ike_session_drops(h->s, after);
    for (unsigned i = 0; i < IKE_DROP__MAX; i++)
        if (after[i] != before[i] + (i == why))
            g_error("expected one drop of %s; %s went from %" G_GUINT64_FORMAT
                    " to %" G_GUINT64_FORMAT,
                    ike_drop_name(why), ike_drop_name(i), before[i], after[i]);
}

/* Give the session @b (consumed): one drop of @why, nothing sent, no callback. */
static void h_input_dropped(struct h *h, GBytes *b, enum ike_drop why)
{
    uint64_t before[IKE_DROP__MAX];
    unsigned sent = h->n_sent;

    ike_session_drops(h->s, before);
    h_input(h, b);
    assert_one_drop(h, before, why);
    g_assert_cmpuint(h->n_sent, ==, sent);
    h_no_events(h);
}

/*
 * A message on the gateway's current IKE SA built by hand, so that the
 * gateway's own message IDs stay as they are.  With every field 0: an empty
 * INFORMATIONAL request, sealed with the gateway's keys.
 */
struct craft {
    uint8_t exchange;   /* 0: INFORMATIONAL */
    uint8_t flags;      /* IKE_FLAG_* as sent */
    int id_delta;       /* crafted(): the message ID is the gateway's next one + this */
    uint64_t spi_r_xor; /* another responder SPI */
    bool clear_notify;  /* AUTH_LIFETIME in the clear, before SK */
    bool no_sk;         /* that notify alone, no SK payload */
    bool flip_icv;      /* the last byte (ICV or tag) changed */
    size_t truncate;    /* only so many bytes */
};

static GBytes *crafted_id(struct h *h, const struct craft *c, uint32_t msg_id)
{
    struct fgw_sa *sa = &h->gw->sa;
    struct ike_builder b;
    uint8_t life[4];
    GBytes *g;
    gsize len;

    uip_put32(life, 3600);
    ike_builder_init(&b, sa->spi_i, sa->spi_r ^ c->spi_r_xor,
                     c->exchange ? c->exchange : IKE_INFORMATIONAL, c->flags, msg_id);
    if (c->clear_notify || c->no_sk)
        g_assert_cmpint(ike_build_notify(&b, 0, NULL, 0, IKE_N_AUTH_LIFETIME, life, 4), ==, 0);
    if (c->no_sk) {
        g_assert_cmpint(ike_builder_finish(&b), ==, 0);
        g = g_bytes_new(ike_builder_data(&b), ike_builder_len(&b));
        ike_builder_clear(&b);
    } else {
        g_assert_cmpint(ike_builder_sk_begin(&b, ike_sk_iv_len(sa->enc)), ==, 0);
        g = fgw_seal(h->gw, sa, &b);
    }
    uint8_t *d = g_bytes_unref_to_data(g, &len);
    if (c->flip_icv)
        d[len - 1] ^= 1;
    if (c->truncate)
        len = c->truncate;
    return g_bytes_new_take(d, len);
}

static GBytes *crafted(struct h *h, const struct craft *c)
{
    return crafted_id(h, c, h->gw->sa.next_id + (uint32_t)c->id_delta);
}

static const struct {
    const char *what;
    struct craft c;
    enum ike_drop why;
} drop_cases[] = {
    {"a few bytes", {.truncate = 20}, IKE_DROP_MALFORMED},
    {"an exchange RFC 7296 does not have", {.exchange = 43}, IKE_DROP_UNKNOWN_EXCHANGE},
    {"another responder SPI", {.spi_r_xor = 1}, IKE_DROP_UNKNOWN_SPI},
    {"a response with the I flag",
     {.flags = IKE_FLAG_RESPONSE | IKE_FLAG_INITIATOR},
     IKE_DROP_WRONG_DIRECTION},
    {"a request with the I flag", {.flags = IKE_FLAG_INITIATOR}, IKE_DROP_WRONG_DIRECTION},
    {"AUTH_LIFETIME outside SK", {.clear_notify = true}, IKE_DROP_PLACEMENT},
    {"AUTH_LIFETIME and no SK", {.no_sk = true}, IKE_DROP_UNPROTECTED},
    {"a response to no request", {.flags = IKE_FLAG_RESPONSE}, IKE_DROP_LATE_RESPONSE},
    {"an IKE_SA_INIT response, long after",
     {.exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE},
     IKE_DROP_LATE_RESPONSE},
    {"a request older than the last", {.id_delta = -2}, IKE_DROP_OLD_REQUEST},
    {"a request past the next", {.id_delta = 1}, IKE_DROP_FUTURE_REQUEST},
    {"a corrupted ICV", {.flip_icv = true}, IKE_DROP_DECRYPT},
};

/*
 * On an established IKE SA, each message the receive path must not take is
 * counted under its own reason and changes nothing: afterwards the
 * gateway's next request is answered as if none had come.
 */
static void test_drops(void)
{
    struct h h;
    struct fgw_child c0;
    uint64_t before[IKE_DROP__MAX];

    h_init(&h);
    h_establish(&h, &c0);
    /* two requests of the gateway's answered, so that one can be older than the last */
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    h_open_answer(&h, IKE_INFORMATIONAL);
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    struct fgw_msg *last = h_open_answer(&h, IKE_INFORMATIONAL);

    for (unsigned i = 0; i < G_N_ELEMENTS(drop_cases); i++) {
        g_test_message("%s: %s", drop_cases[i].what, ike_drop_name(drop_cases[i].why));
        h_input_dropped(&h, crafted(&h, &drop_cases[i].c), drop_cases[i].why);
    }

    /* a valid request of the gateway's, but from another address: not taken */
    {
        struct sockaddr_in stranger;
        gsize len;
        g_autoptr(GBytes) b = crafted(&h, &(struct craft){.id_delta = -1});
        const uint8_t *d = g_bytes_get_data(b, &len);
        sockaddr4("203.0.113.66", 500, &stranger);
        ike_session_drops(h.s, before);
        ike_session_input(h.s, d, len, (const struct sockaddr *)&stranger, sizeof(stranger));
        assert_one_drop(&h, before, IKE_DROP_WRONG_ADDRESS);
        h_no_sent(&h);
        h_no_events(&h);
    }

    /* the gateway's last request again: our kept answer again, and nothing else */
    ike_session_drops(h.s, before);
    h_input(&h, crafted(&h, &(struct craft){.id_delta = -1}));
    g_autoptr(GBytes) again = h_sent(&h, NULL);
    g_assert_true(g_bytes_equal(again, last->raw));
    assert_one_drop(&h, before, IKE_DROP_RETRANSMIT_ANSWERED);
    h_no_events(&h);

    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    h_open_answer(&h, IKE_INFORMATIONAL); /* the message ID the gateway expects */
    h_no_events(&h);
    g_assert_cmpstr(ike_drop_name(IKE_DROP__MAX), ==, "unknown");
    h_teardown(&h);
}

/* Before the tunnel is up: answers again (late), and a request of the gateway's (not yet). */
static void test_drops_setup(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    g_autoptr(GBytes) init_answer = fgw_answer_init(h.gw, init, FGW_NATD_MATCH);
    h_input(&h, g_bytes_ref(init_answer));
    struct fgw_msg *auth = h_open(&h);
    h_input_dropped(&h, g_bytes_ref(init_answer), IKE_DROP_LATE_RESPONSE);
    h_input_dropped(&h, crafted(&h, &(struct craft){0}), IKE_DROP_NOT_YET);

    g_autoptr(GBytes) auth_answer = fgw_answer_auth(h.gw, auth, &default_auth, &c0);
    h_input(&h, g_bytes_ref(auth_answer));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    h_input_dropped(&h, g_bytes_ref(auth_answer), IKE_DROP_LATE_RESPONSE);

    /* the gateway's first request is still the one the session expects */
    h_input(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false));
    h_open_answer(&h, IKE_INFORMATIONAL);
    h_no_events(&h);
    h_teardown(&h);
}

/*
 * A request of the gateway's in RFC 7383 fragments: kept until whole (each
 * part counted as pending, a part again as a duplicate), then taken; more
 * fragments than one message may have are refused.
 */
static void test_drops_fragments(void)
{
    struct h h;
    struct fgw_child c0;
    struct ike_builder chain;
    uint8_t life[4];

    h_init(&h);
    h_establish(&h, &c0);
    uip_put32(life, 3600);
    ike_builder_init_chain(&chain);
    g_assert_cmpint(ike_build_notify(&chain, 0, NULL, 0, IKE_N_AUTH_LIFETIME, life, 4), ==, 0);
    g_assert_cmpint(ike_build_notify(&chain, 0, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0), ==, 0);
    g_assert_cmpint(ike_builder_finish(&chain), ==, 0);

    g_autoptr(GPtrArray) parts = fgw_fragmented_request(h.gw, NULL, IKE_INFORMATIONAL, &chain, 3);
    h_input_dropped(&h, g_bytes_ref(parts->pdata[0]), IKE_DROP_FRAGMENT_PENDING);
    h_input_dropped(&h, g_bytes_ref(parts->pdata[2]), IKE_DROP_FRAGMENT_PENDING);
    h_input_dropped(&h, g_bytes_ref(parts->pdata[0]), IKE_DROP_FRAGMENT_DUPLICATE);
    h_input(&h, g_bytes_ref(parts->pdata[1]));
    g_assert_cmpuint(h_event(&h, EV_AUTH_LIFETIME)->seconds, ==, 3600);
    struct fgw_msg *answer = h_open_answer(&h, IKE_INFORMATIONAL);
    h_no_events(&h);
    /* the request again, all its fragments (RFC 7383 2.6.1): our answer again on fragment 1
     * only, once; the request again at once: not again (at most every 500 ms) */
    uint64_t before[IKE_DROP__MAX];
    unsigned resent = h.n_sent;
    ike_session_drops(h.s, before);
    h_input(&h, g_bytes_ref(parts->pdata[0]));
    g_autoptr(GBytes) again = h_sent(&h, NULL);
    g_assert_true(g_bytes_equal(again, answer->raw));
    assert_one_drop(&h, before, IKE_DROP_RETRANSMIT_ANSWERED);
    h_input_dropped(&h, g_bytes_ref(parts->pdata[1]), IKE_DROP_RETRANSMIT_FRAGMENT);
    h_input_dropped(&h, g_bytes_ref(parts->pdata[2]), IKE_DROP_RETRANSMIT_FRAGMENT);
    for (unsigned i = 0; i < 3; i++)
        h_input_dropped(&h, g_bytes_ref(parts->pdata[i]),
                        i == 0 ? IKE_DROP_RETRANSMIT_LIMITED : IKE_DROP_RETRANSMIT_FRAGMENT);
    g_assert_cmpuint(h.n_sent - resent, ==, 1);
    /* a fragment 1 that does not verify: no answer again */
    {
        gsize len;
        const uint8_t *d = g_bytes_get_data(parts->pdata[0], &len);
        g_autofree uint8_t *bad = g_memdup2(d, len);
        bad[len - 1] ^= 1;
        h_input_dropped(&h, g_bytes_new(bad, len), IKE_DROP_DECRYPT);
    }

    /* 33 parts: more than a message may have */
    g_autoptr(GPtrArray) many = fgw_fragmented_request(h.gw, NULL, IKE_INFORMATIONAL, &chain, 33);
    h_input_dropped(&h, g_bytes_ref(many->pdata[0]), IKE_DROP_FRAGMENT_LIMIT);
    ike_builder_clear(&chain);
    h_teardown(&h);
}

/* A response of another exchange than our request; nothing taken once the session is over. */
static void test_drops_closing(void)
{
    struct h h;
    struct fgw_child c0;

    h_init(&h);
    struct fgw_msg *del = h_establish_and_close(&h, &c0);
    struct craft ccsa_answer = {.exchange = IKE_CREATE_CHILD_SA, .flags = IKE_FLAG_RESPONSE};
    h_input_dropped(&h, crafted_id(&h, &ccsa_answer, del->m.hdr.msg_id), IKE_DROP_WRONG_EXCHANGE);
    h_input(&h, fgw_answer_empty(h.gw, del));
    h_event(&h, EV_CLOSED);
    h_input_dropped(&h, fgw_informational_request(h.gw, NULL, NULL, 0, false),
                    IKE_DROP_NOT_RUNNING);
    h_teardown(&h);
}

/* ---- checks on what the gateway sends (issue 12) --------------------------------------------- */

/*
 * RFC 7296 2.9: a gateway may narrow the selectors we asked for, never widen them.  Asked for
 * 198.18.5.0/24, a gateway answering 0.0.0.0/0 (and INTERNAL_IP4_SUBNET 0.0.0.0/0) does not
 * turn the split tunnel into a full one: we keep 198.18.5.0/24, and the subnets are cut to it
 * (one outside dropped), each counted.
 */
static void test_ts_split_tunnel_kept(void)
{
    static const uint8_t subnets[][8] = {
        {0, 0, 0, 0, 0, 0, 0, 0},                   /* 0.0.0.0/0 */
        {198, 18, 5, 0, 255, 255, 255, 128},        /* 198.18.5.0/25: inside */
        {203, 0, 113, 0, 255, 255, 255, 0},         /* outside */
    };
    struct ike_cp_attr extra[G_N_ELEMENTS(subnets)];
    struct fgw_auth_opts o = default_auth;
    struct fgw_child c0;
    struct h h;

    for (unsigned i = 0; i < G_N_ELEMENTS(subnets); i++)
        extra[i] = (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_SUBNET, 8, subnets[i]};
    o.tsr = "0.0.0.0/0";
    o.cp_extra = extra;
    o.n_cp_extra = G_N_ELEMENTS(extra);
    h_init(&h);
    g_assert_cmpint(uip_ts_parse("198.18.5.0/24", &h.cfg.remote_ts[0]), ==, 0);
    h.cfg.n_remote_ts = 1;
    struct fgw_msg *auth = h_start_to_auth(&h);
    h_input(&h, fgw_answer_auth(h.gw, auth, &o, &c0));
    struct ev *e = h_event(&h, EV_INSTALL);
    g_assert_cmpuint(e->n_remote_ts, ==, 1);
    assert_ts(&e->remote_ts, "198.18.5.0/24");
    e = h_event(&h, EV_ESTABLISHED);
    g_assert_cmpuint(e->n_remote_ts, ==, 1);
    assert_ts(&e->remote_ts, "198.18.5.0/24");
    g_assert_cmpuint(e->info.n_ts_narrowed, ==, 1);
    g_assert_cmpuint(e->info.n_subnets, ==, 2);
    assert_ts(&e->info.subnets[0], "198.18.5.0/24");
    assert_ts(&e->info.subnets[1], "198.18.5.0/25");
    g_assert_cmpuint(e->info.n_subnets_narrowed, ==, 2);
    h_no_events(&h);
    h_no_sent(&h);

    /* the gateway rekeys the CHILD_SA with its 0.0.0.0/0 again: we answer with what we
     * take, and the new SA has it */
    struct fgw_child c1;
    h_input(&h, fgw_child_rekey_request(h.gw, &c0, 0));
    struct fgw_msg *resp = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    fgw_child_rekey_finish(h.gw, resp, &c1);
    assert_ts(&c1.ts_gateway, "198.18.5.0/24");
    e = h_event(&h, EV_INSTALL);
    assert_ts(&e->remote_ts, "198.18.5.0/24");
    e = h_event(&h, EV_CHILD_REKEYED);
    g_assert_cmpuint(e->n_remote_ts, ==, 1);
    assert_ts(&e->remote_ts, "198.18.5.0/24");
    h_no_events(&h);
    h_no_sent(&h);
    h_teardown(&h);
}

/* A gateway answering only outside what we asked for: the tunnel fails, and says why. */
static void test_ts_outside_refused(void)
{
    struct fgw_auth_opts o = default_auth;
    struct fgw_child c0;
    struct h h;

    o.tsr = "203.0.113.0/24";
    h_init(&h);
    g_assert_cmpint(uip_ts_parse("198.18.5.0/24", &h.cfg.remote_ts[0]), ==, 0);
    h.cfg.n_remote_ts = 1;
    h_input(&h, fgw_answer_auth(h.gw, h_start_to_auth(&h), &o, &c0));
    struct ev *e = h_event(&h, EV_FAILED);
    assert_failed(e, IKE_FAIL_PROPOSAL);
    g_assert_nonnull(strstr(e->message, "TS_UNACCEPTABLE"));
    struct fgw_msg *del = h_open_request(&h, IKE_INFORMATIONAL);
    g_assert_true(fgw_msg_deletes_ike(del));
    h_input(&h, fgw_answer_empty(h.gw, del));
    h_no_sent(&h);
    h_teardown(&h);
}

/*
 * Past the limits of old (8 selectors, 64 attributes, 8 subnets): 12 remote selectors, 80
 * subnets and 10 DNS servers in 91 attributes.  The tunnel comes up with every selector; what
 * goes past the caps (64 subnets, 8 DNS servers per family) is counted, never dropped silently.
 */
static void test_limits_past_old_caps(void)
{
    static const char *const tsr[] = {
        "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16",  "10.4.0.0/16",  "10.5.0.0/16",
        "10.6.0.0/16", "10.7.0.0/16", "10.8.0.0/16",  "10.9.0.0/16",  "10.10.0.0/16",
        "10.11.0.0/16", "10.12.0.0/16", NULL};
    uint8_t subnet[80][8], dns[10][4];
    struct ike_cp_attr extra[90];
    struct fgw_auth_opts o = default_auth;
    struct fgw_child c0;
    unsigned n = 0;
    struct h h;

    for (unsigned i = 0; i < 80; i++) {
        uint8_t s[8] = {10, 1, (uint8_t)i, 0, 255, 255, 255, 0};
        memcpy(subnet[i], s, 8);
        extra[n++] = (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_SUBNET, 8, subnet[i]};
    }
    for (unsigned i = 0; i < 10; i++) {
        uint8_t d[4] = {10, 10, 0, (uint8_t)(10 + i)};
        memcpy(dns[i], d, 4);
        extra[n++] = (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_DNS, 4, dns[i]};
    }
    o.n_dns4 = 0;
    o.tsr = NULL;
    o.tsr_list = tsr;
    o.cp_extra = extra;
    o.n_cp_extra = n;
    h_init(&h);
    h_input(&h, fgw_answer_auth(h.gw, h_start_to_auth(&h), &o, &c0));
    struct ev *e = h_event(&h, EV_INSTALL);
    g_assert_cmpuint(e->n_remote_ts, ==, 12);
    e = h_event(&h, EV_ESTABLISHED);
    g_assert_cmpuint(e->n_remote_ts, ==, 12);
    g_assert_cmpuint(e->info.n_ts_narrowed, ==, 0);
    g_assert_cmpuint(e->info.n_subnets, ==, IKE_SESSION_MAX_SUBNETS);
    g_assert_cmpuint(e->info.n_subnets_narrowed, ==, 80 - IKE_SESSION_MAX_SUBNETS);
    assert_ts(&e->info.subnets[IKE_SESSION_MAX_SUBNETS - 1], "10.1.63.0/24");
    g_assert_cmpuint(e->info.n_dns4, ==, IKE_SESSION_MAX_DNS);
    g_assert_cmpuint(e->info.n_cp_left_out, ==, 10 - IKE_SESSION_MAX_DNS);
    h_no_events(&h);
    h_no_sent(&h);
    h_teardown(&h);
}

/*
 * PFS on the gateway's rekeys: our ESP proposals name a group, so a CHILD_SA rekey of the
 * gateway's without a key exchange is refused with NO_PROPOSAL_CHOSEN (the old SA goes on);
 * with one of our groups it is taken.
 */
static void test_gateway_rekey_pfs_required(void)
{
    struct fgw_child c0, c1;
    struct ike_notify nt;
    struct h h;

    h_init(&h);
    h.cfg.esp_proposals = "aes256gcm16-ecp256";
    h_establish(&h, &c0);
    h_input(&h, fgw_child_rekey_request(h.gw, &c0, 0));
    struct fgw_msg *resp = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    g_assert_true(fgw_msg_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, &nt));
    g_assert_cmpuint(fgw_msg_count(resp, IKE_PL_SA), ==, 0);
    fgw_rekey_abandon(h.gw);
    h_no_events(&h);

    h_input(&h, fgw_child_rekey_request(h.gw, &c0, IKE_KE_ECP256));
    resp = h_open_answer(&h, IKE_CREATE_CHILD_SA);
    g_assert_cmpuint(fgw_msg_count(resp, IKE_PL_KE), ==, 1);
    fgw_child_rekey_finish(h.gw, resp, &c1);
    assert_install(h_event(&h, EV_INSTALL), &c1, true, true);
    assert_child_is(h_event(&h, EV_CHILD_REKEYED), &c1);
    h_no_events(&h);
    h_no_sent(&h);
    h_teardown(&h);
}

/*
 * Unprotected answers to IKE_SA_INIT (RFC 7296 2.21.1): a spoofed NO_PROPOSAL_CHOSEN, an
 * INVALID_KE_PAYLOAD naming a group we do not offer, or bytes that do not parse end nothing;
 * the genuine answer after them is taken.
 */
static void test_init_spoofed_error(void)
{
    static const uint8_t junk_group[2] = {0xff, 0xf0};
    struct fgw_child c0;
    struct h h;

    h_init(&h);
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    h_input_dropped(&h, fgw_answer_init_notify(h.gw, init, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0),
                    IKE_DROP_INIT_UNUSABLE);
    h_input_dropped(&h,
                    fgw_answer_init_notify(h.gw, init, IKE_N_INVALID_KE_PAYLOAD, junk_group, 2),
                    IKE_DROP_INIT_UNUSABLE);
    g_autoptr(GBytes) genuine = fgw_answer_init(h.gw, init, FGW_NATD_MATCH);
    gsize len;
    const uint8_t *d = g_bytes_get_data(genuine, &len);
    h_input_dropped(&h, g_bytes_new(d, len / 2), IKE_DROP_MALFORMED);
    h_input(&h, g_bytes_ref(genuine));
    h_input(&h, fgw_answer_auth(h.gw, h_open_request(&h, IKE_AUTH), &default_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    h_no_sent(&h);
    h_teardown(&h);
}

/*
 * A spoofed COOKIE, then the gateway's genuine answer to our first request (before our first
 * retransmission, when the request with the cookie would go): taken; no request with the
 * cookie is ever sent, and our AUTH signs the first request (the gateway checks it).
 */
static void test_init_spoofed_cookie(void)
{
    static const uint8_t cookie[] = "not the gateway's";
    struct fgw_child c0;
    struct h h;

    h_init(&h);
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    h_input(&h, fgw_answer_cookie(h.gw, init, cookie, sizeof(cookie)));
    h_no_sent(&h);
    h_input(&h, fgw_answer_init(h.gw, init, FGW_NATD_MATCH));
    struct fgw_msg *auth = h_open_request(&h, IKE_AUTH);
    h_input(&h, fgw_answer_auth(h.gw, auth, &default_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    h_event(&h, EV_ESTABLISHED);
    h_no_sent(&h);
    h_teardown(&h);
}

/* Only refusals until the retransmissions run out: the failure names the last one. */
static void test_init_only_errors(void)
{
    struct h h;

    h_init(&h);
    h.cfg.retransmit_base_ms = 20;
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    h_input(&h, fgw_answer_init_notify(h.gw, init, IKE_N_INVALID_SYNTAX, NULL, 0));
    h_input(&h, fgw_answer_init_notify(h.gw, init, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0));
    h_no_events(&h);
    struct ev *e = h_init_gives_up(&h, init, IKE_FAIL_PROPOSAL);
    g_assert_nonnull(strstr(e->message, "NO_PROPOSAL_CHOSEN"));
    g_assert_nonnull(strstr(e->message, "3 tries"));
    h_teardown(&h);
}

/*
 * After INVALID_KE_PAYLOAD (spoofed here: the gateway takes both groups) our IKE_SA_INIT goes
 * again with the group named; the gateway's answer to the first request, of the old group,
 * is an answer to a request we replaced: not taken.  The answer to the second is.
 */
static void test_init_superseded_ke(void)
{
    uint8_t group[2];
    struct fgw_child c0;
    struct h h;

    h_init(&h);
    h.gw_cfg.ike_proposals = "aes256gcm16-prfsha384-x25519-ecp256";
    h_start(&h);
    struct fgw_msg *init = h_open(&h);
    uip_put16(group, IKE_KE_ECP256);
    h_input(&h, fgw_answer_init_notify(h.gw, init, IKE_N_INVALID_KE_PAYLOAD, group, 2));
    struct fgw_msg *init2 = h_open(&h);
    struct ike_ke ke;
    g_assert_cmpint(ike_ke_parse(ike_msg_find(&init2->m, IKE_PL_KE, NULL), &ke), ==, 0);
    g_assert_cmpuint(ke.group, ==, IKE_KE_ECP256);
    h_input_dropped(&h, fgw_answer_init(h.gw, init, FGW_NATD_MATCH), IKE_DROP_SUPERSEDED);
    h_input_dropped(&h, fgw_answer_init_notify(h.gw, init, IKE_N_INVALID_KE_PAYLOAD, group, 2),
                    IKE_DROP_SUPERSEDED);
    h_input(&h, fgw_answer_init(h.gw, init2, FGW_NATD_MATCH));
    h_input(&h, fgw_answer_auth(h.gw, h_open_request(&h, IKE_AUTH), &default_auth, &c0));
    assert_install(h_event(&h, EV_INSTALL), &c0, true, true);
    struct ev *e = h_event(&h, EV_ESTABLISHED);
    g_assert_cmpstr(e->info.ike_proposal, ==, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_256");
    h_teardown(&h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (g_test_verbose())
        uip_log_setup(LOG_DEBUG, false, NULL);
    else
        uip_log_setup(LOG_CRIT, false, NULL); /* failures are expected here: keep the output */

    g_test_add_func("/ike-session/psk-established", test_psk_established);
    g_test_add_func("/ike-session/reauth-session", test_reauth_session);
    g_test_add_func("/ike-session/natd", test_natd);
    g_test_add_func("/ike-session/cookie", test_cookie);
    g_test_add_func("/ike-session/invalid-ke", test_invalid_ke);
    g_test_add_func("/ike-session/wrong-gateway-auth", test_wrong_gateway_auth);
    g_test_add_func("/ike-session/no-virtual-ip", test_no_virtual_ip);
    g_test_add_func("/ike-session/authentication-failed", test_authentication_failed);
    g_test_add_data_func("/ike-session/gateway-child-rekey", GUINT_TO_POINTER(0),
                         test_gateway_child_rekey);
    g_test_add_data_func("/ike-session/gateway-child-rekey-pfs", GUINT_TO_POINTER(IKE_KE_ECP256),
                         test_gateway_child_rekey);
    g_test_add_func("/ike-session/our-child-rekey", test_our_child_rekey);
    g_test_add_func("/ike-session/rekey-temporary-failure", test_rekey_temporary_failure);
    g_test_add_func("/ike-session/gateway-rekey-during-our-delete",
                    test_gateway_rekey_during_our_delete);
    g_test_add_func("/ike-session/gateway-deletes-child-sa", test_gateway_deletes_child_sa);
    g_test_add_func("/ike-session/gateway-ike-rekey-large-sa", test_gateway_ike_rekey_large_sa);
    g_test_add_func("/ike-session/our-ike-rekey", test_our_ike_rekey);
    g_test_add_data_func("/ike-session/rekey-timer/child", GINT_TO_POINTER(0), test_rekey_timer);
    g_test_add_data_func("/ike-session/rekey-timer/ike", GINT_TO_POINTER(1), test_rekey_timer);
    g_test_add_func("/ike-session/malformed-create-child", test_malformed_create_child);
    g_test_add_func("/ike-session/rekey-answer-invalid-syntax", test_rekey_answer_invalid_syntax);
    g_test_add_func("/ike-session/auth-lifetime", test_auth_lifetime);
    g_test_add_data_func("/ike-session/child-rekey-collision/session-wins", GINT_TO_POINTER(0),
                         test_child_rekey_collision);
    g_test_add_data_func("/ike-session/child-rekey-collision/session-loses", GINT_TO_POINTER(1),
                         test_child_rekey_collision);
    g_test_add_data_func("/ike-session/child-rekey-collision/gateway-deletes-first",
                         GINT_TO_POINTER(0), test_child_rekey_collision_gateway_first);
    g_test_add_data_func("/ike-session/child-rekey-collision/gateway-refuses-ours",
                         GINT_TO_POINTER(1), test_child_rekey_collision_gateway_first);
    g_test_add_data_func("/ike-session/ike-rekey-collision/session-wins", GINT_TO_POINTER(0),
                         test_ike_rekey_collision);
    g_test_add_data_func("/ike-session/ike-rekey-collision/session-loses", GINT_TO_POINTER(1),
                         test_ike_rekey_collision);
    g_test_add_func("/ike-session/gateway-deletes-ike-sa", test_gateway_deletes_ike_sa);
    g_test_add_data_func("/ike-session/close/answered", GINT_TO_POINTER(1), test_close);
    g_test_add_data_func("/ike-session/close/unanswered", GINT_TO_POINTER(0), test_close);
    g_test_add_func("/ike-session/close/crossing-gateway-delete",
                    test_close_crossing_gateway_delete);
    g_test_add_func("/ike-session/close/crossing-child-rekey", test_close_crossing_child_rekey);
    g_test_add_func("/ike-session/retransmit/lost-answers", test_retransmit_lost_answers);
    g_test_add_func("/ike-session/retransmit/unreachable", test_retransmit_unreachable);
    g_test_add_func("/ike-session/retransmit/dead-peer", test_retransmit_dead_peer);
    g_test_add_func("/ike-session/liveness-after-resume", test_liveness_after_resume);
    g_test_add_func("/ike-session/psk-gateway-signs", test_psk_gateway_signs);
    g_test_add_func("/ike-session/random-hook", test_random_hook);
    g_test_add_func("/ike-session/queue/runs-when-free", test_queue_runs_when_free);
    g_test_add_func("/ike-session/check-liveness-quick", test_check_liveness_quick);
    g_test_add_func("/ike-session/mobike/update", test_mobike_update);
    g_test_add_func("/ike-session/mobike/update-behind-request", test_mobike_update_behind_request);
    g_test_add_func("/ike-session/mobike/refused", test_mobike_refused);
    g_test_add_func("/ike-session/mobike/not-supported", test_mobike_not_supported);
    g_test_add_func("/ike-session/mobike/nat-rebinding", test_mobike_nat_rebinding);
    g_test_add_func("/ike-session/redirect/init", test_redirect_init);
    g_test_add_func("/ike-session/redirect/redirected-from", test_redirected_from);
    g_test_add_data_func("/ike-session/redirect/auth", GINT_TO_POINTER(1), test_redirect_auth);
    g_test_add_data_func("/ike-session/redirect/auth-unverified", GINT_TO_POINTER(0),
                         test_redirect_auth);
    g_test_add_func("/ike-session/redirect/informational", test_redirect_informational);
    g_test_add_func("/ike-session/redirect/fqdn", test_redirect_fqdn);
    g_test_add_func("/ike-session/drops/established", test_drops);
    g_test_add_func("/ike-session/drops/setup", test_drops_setup);
    g_test_add_func("/ike-session/drops/fragments", test_drops_fragments);
    g_test_add_func("/ike-session/drops/closing", test_drops_closing);
    g_test_add_func("/ike-session/ts/split-tunnel-kept", test_ts_split_tunnel_kept);
    g_test_add_func("/ike-session/ts/outside-refused", test_ts_outside_refused);
    g_test_add_func("/ike-session/limits-past-old-caps", test_limits_past_old_caps);
    g_test_add_func("/ike-session/gateway-rekey-pfs-required", test_gateway_rekey_pfs_required);
    g_test_add_func("/ike-session/init/spoofed-error", test_init_spoofed_error);
    g_test_add_func("/ike-session/init/spoofed-cookie", test_init_spoofed_cookie);
    g_test_add_func("/ike-session/init/only-errors", test_init_only_errors);
    g_test_add_func("/ike-session/init/superseded-ke", test_init_superseded_ke);
    return g_test_run();
}
