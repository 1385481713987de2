/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IKEv2 initiator's exchanges (RFC 7296), as explicit steps:
 *
 *   start -> IKE_SA_INIT request (SA, KE, Ni, NAT-D with a source hash that
 *     cannot match, so the gateway encapsulates ESP in UDP as our engine needs)
 *   <- IKE_SA_INIT response: COOKIE / INVALID_KE_PAYLOAD -> retry once;
 *     else select the proposal, g^ir, SKEYSEED, SK_* keys; switch to NAT-T
 *   -> IKE_AUTH request (IDi, [IDr], AUTH or none for EAP, CP, SA, TSi, TSr)
 *   <- IKE_AUTH response(s): EAP round trips, then the gateway's AUTH,
 *     configuration payload, narrowed selectors and the chosen ESP proposal
 *     -> CHILD_SA keys to the owner (engine), established
 *   <- INFORMATIONAL requests: liveness, DELETE -> answered (responses cached
 *     for retransmitted requests); our own liveness checks when quiet;
 *     DELETE on close.
 *   Rekeying (CREATE_CHILD_SA, RFC 7296 2.8 / 2.18), either side:
 *   <- the gateway's: answered, new CHILD_SA installed beside the old one until
 *     the gateway deletes it; a new IKE SA (the gateway's) replaces ours, the
 *     old one lives until deleted
 *   -> ours, on timers: new CHILD_SA, then DELETE of the old; new IKE SA,
 *     then DELETE of the old.  A request of the gateway's that collides with
 *     ours gets TEMPORARY_FAILURE (RFC 7296 2.25), and it retries.
 *
 * Messages that would not fit 1280 bytes go out as RFC 7383 fragments when
 * both sides support them; fragments received are decrypted one by one and
 * reassembled (bounded count and size) before parsing.
 *
 * Each received message is parsed whole (and decrypted) before any state
 * changes.  Our requests are retransmitted with exponential backoff, a
 * bounded number of times.
 */
#include "ike/ike-session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/uip-be.h"
#include "common/uip-log.h"
#include "common/uip-secret.h"
#include "ike/cert-auth.h"
#include "ike/dh.h"
#include "ike/eap.h"
#include "ike/ike-crypto.h"
#include "ike/payload.h"
#include "ike/proposal.h"

#define NONCE_LEN          32
#define DEFAULT_TRIES      5
#define DEFAULT_BASE_MS    1000
#define CLOSE_TRIES        2
#define NATT_PORT          4500
#define SHA1_LEN           20
#define IKE_MAX_FRAGMENTS  32
#define IKE_FRAG_PATH_MTU  1280 /* RFC 7383 2.5.1: what IPv6 guarantees */
#define CREATE_RETRIES_MAX 5 /* a new CHILD_SA refused with TEMPORARY_FAILURE: asked again */

enum state {
    ST_IDLE,
    ST_INIT_SENT,
    ST_AUTH_SENT,
    ST_EAP,
    ST_EAP_AUTH_SENT, /* EAP done, AUTH from the MSK sent */
    ST_ESTABLISHED,
    ST_CLOSING,
    ST_DONE, /* failed or closed: silent */
};

static const char *const state_names[] = {
    [ST_IDLE] = "IDLE",
    [ST_INIT_SENT] = "IKE_SA_INIT_SENT",
    [ST_AUTH_SENT] = "IKE_AUTH_SENT",
    [ST_EAP] = "EAP",
    [ST_EAP_AUTH_SENT] = "EAP_AUTH_SENT",
    [ST_ESTABLISHED] = "ESTABLISHED",
    [ST_CLOSING] = "CLOSING",
    [ST_DONE] = "DONE",
};

struct ike_id_value {
    uint8_t type;
    uint8_t *data;
    size_t len;
    uint8_t *body; /* ID payload body: type, 3 reserved, data (for AUTH) */
    size_t body_len;
};

/* One IKE SA's keys and message IDs.  After a rekey the old one lives on
 * until the gateway deletes it. */
struct sa_ctx {
    uint64_t spi_i, spi_r;
    bool we_initiated; /* we are its original initiator (the I flag is ours) */
    struct ike_selected sel;
    struct ike_keys *keys;
    struct ike_sk_ctx *enc, *dec;
    uint32_t next_id;      /* message ID of our next request */
    uint32_t peer_next_id; /* the gateway's next request */
    GPtrArray *last_response; /* our answer to its last request (datagrams), for retransmissions */
};

/* SPIs of a CHILD_SA installed in the engine. */
struct child_ids {
    uint32_t spi_in, spi_out;
    bool installed;
};

struct ike_session {
    GMainContext *ctx;
    struct ike_session_callbacks cb;
    void *user;

    /* configuration */
    struct sockaddr_storage gateway;
    socklen_t gateway_len;
    struct sockaddr_storage local;
    socklen_t local_len;
    enum ike_auth_method auth;
    uint8_t *psk;
    size_t psk_len;
    struct eap_peer *eap;
    struct ike_trust *trust;  /* for the gateway's certificate */
    struct ike_cred *cred;    /* our certificate and key */
    uint32_t peer_hashes;     /* SIGNATURE_HASH_ALGORITHMS of the gateway, as a mask */
    uint8_t *idr_body;        /* the gateway's IDr payload body, for its later EAP AUTH */
    size_t idr_body_len;
    bool gateway_verified;    /* its certificate signature checked (EAP's first step) */
    char *gateway_host;       /* its address as text, for the certificate check */
    struct ike_id_value idi;
    struct ike_id_value idr; /* type 0: not configured */
    struct ike_proposal ike_props[IKE_MAX_PROPOSALS];
    unsigned n_ike_props;
    struct ike_proposal esp_props[IKE_MAX_PROPOSALS]; /* IKE_AUTH offer: no KE */
    unsigned n_esp_props;
    struct ike_proposal esp_pfs_props[IKE_MAX_PROPOSALS]; /* as configured: KE = PFS on rekey */
    bool vip4, vip6;
    bool vip4_hint_set, vip6_hint_set;
    uint8_t vip4_hint[4];
    uint8_t vip6_hint[17];
    struct uip_ts tsi[IKE_SESSION_MAX_TS];
    unsigned n_tsi;
    struct uip_ts tsr[IKE_SESSION_MAX_TS];
    unsigned n_tsr;
    unsigned dpd_interval;
    unsigned tries_max;
    unsigned base_ms;

    /* IKE SA */
    enum state state;
    struct sa_ctx sa;  /* current */
    struct sa_ctx old; /* replaced by a rekey, until deleted */
    bool has_old;
    /* IKE SA rekey collision (RFC 7296 2.8.2): the gateway's new IKE SA, made
     * by answering its rekey while ours was out, until the nonces decide */
    struct sa_ctx ike_coll;
    bool has_ike_coll;
    uint8_t ike_coll_lower[IKE_NONCE_MAX_LEN];
    size_t ike_coll_lower_len;
    struct ike_dh *dh;
    bool ke_retried;
    uint8_t *cookie;
    size_t cookie_len;
    uint8_t ni[NONCE_LEN];
    uint8_t nr[IKE_NONCE_MAX_LEN];
    size_t nr_len;
    GBytes *init_req;  /* RealMessage1 for our AUTH */
    GBytes *init_resp; /* RealMessage2 for the gateway's AUTH */
    bool natt;
    bool frag_wanted;  /* configured: announce RFC 7383 support */
    bool frag_ok;      /* both sides support IKE fragmentation */
    size_t frag_max;   /* largest IKE message we send whole (path MTU 1280) */
    struct {
        uint32_t msg_id;
        bool response;
        uint16_t total, have;
        uint8_t first_type;
        size_t bytes;
        GBytes *parts[IKE_MAX_FRAGMENTS];
    } frags; /* a fragmented message being reassembled */

    /* our requests (always on the current IKE SA) */
    GPtrArray *request; /* outstanding request (its datagrams), for retransmission */
    enum {
        REQ_OTHER,
        REQ_REKEY_CHILD,      /* or, with no CHILD_SA left, a new one */
        REQ_REKEY_IKE,
        REQ_DELETE_CHILD,     /* the old CHILD_SA after our rekey */
        REQ_DELETE_REDUNDANT, /* our new CHILD_SA after a lost rekey collision */
    } request_kind;
    uint32_t request_id;
    unsigned tries;
    GSource *retransmit;

    /* CHILD_SA: the current one and, during a rekey, the one it replaces */
    struct child_ids cur;
    struct child_ids prev;
    uint32_t reqid;
    struct ike_child child; /* as reported */
    struct ike_established info;

    /* CHILD_SA rekey collision (RFC 7296 2.8.1): the SA made by answering
     * the gateway's rekey while ours was out.  Only its inbound half is
     * installed until the nonces decide; its outbound keys wait here. */
    struct {
        bool active;
        bool promoted; /* the gateway deleted the old SA first: its SA is current */
        struct child_ids ids;
        struct ike_child child;
        uint8_t *out_keymat; /* wiped */
        size_t out_keymat_len;
        uint8_t lower_nonce[IKE_NONCE_MAX_LEN]; /* the lower of its two nonces */
        size_t lower_len;
    } coll;
    struct child_ids redundant; /* the gateway's SA of a collision we won, until it deletes it */
    unsigned create_retries;    /* TEMPORARY_FAILUREs to our request for a new CHILD_SA */

    /* our rekeys */
    unsigned child_rekey_time, ike_rekey_time;
    GSource *child_rekey_timer, *ike_rekey_timer;
    uint32_t rk_spi_in;               /* CHILD rekey: our new inbound SPI */
    uint64_t rk_spi;                  /* IKE rekey: our new SPI */
    uint8_t rk_ni[NONCE_LEN];         /* our nonce of the rekey */
    struct ike_dh *rk_dh;             /* IKE rekey: our new key */
    struct ike_proposal rk_props[IKE_MAX_PROPOSALS]; /* what the rekey offered */
    unsigned n_rk_props;

    /* liveness */
    GSource *dpd_timer;
    int64_t last_seen_us;

    uint64_t dropped; /* datagrams ignored: malformed, wrong SPI, old */
};

const char *ike_failure_name(enum ike_failure f)
{
    switch (f) {
    case IKE_FAIL_AUTH:
        return "auth";
    case IKE_FAIL_UNREACHABLE:
        return "unreachable";
    case IKE_FAIL_PROPOSAL:
        return "proposal";
    case IKE_FAIL_CONFIG:
        return "config";
    case IKE_FAIL_DEAD_PEER:
        return "dead-peer";
    case IKE_FAIL_PROTOCOL:
        return "protocol";
    }
    return "unknown";
}

#define _LOGS(level, s, fmt, ...)                                                                  \
    _LOG(level, "[%016" G_GINT64_MODIFIER "x] " fmt, (s)->sa.spi_i, ##__VA_ARGS__)

/* ---- state ------------------------------------------------------------------ */

static void set_state(struct ike_session *s, enum state next)
{
    static const unsigned allowed[] = {
        [ST_IDLE] = 1u << ST_INIT_SENT | 1u << ST_DONE,
        [ST_INIT_SENT] = 1u << ST_INIT_SENT | 1u << ST_AUTH_SENT | 1u << ST_DONE,
        [ST_AUTH_SENT] = 1u << ST_EAP | 1u << ST_ESTABLISHED | 1u << ST_DONE | 1u << ST_CLOSING,
        [ST_EAP] = 1u << ST_EAP | 1u << ST_EAP_AUTH_SENT | 1u << ST_DONE | 1u << ST_CLOSING,
        [ST_EAP_AUTH_SENT] = 1u << ST_ESTABLISHED | 1u << ST_DONE | 1u << ST_CLOSING,
        [ST_ESTABLISHED] = 1u << ST_CLOSING | 1u << ST_DONE,
        [ST_CLOSING] = 1u << ST_DONE,
        [ST_DONE] = 0,
    };

    if (!(allowed[s->state] & (1u << next))) {
        _LOGS(LOG_ERR, s, "refused state change %s -> %s", state_names[s->state],
              state_names[next]);
        g_assert_not_reached();
    }
    _LOGS(LOG_DEBUG, s, "%s -> %s", state_names[s->state], state_names[next]);
    s->state = next;
}

static void stop_timer(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static void arm_timer(struct ike_session *s, GSource **src, unsigned seconds, GSourceFunc fn);
static void report_keys(struct ike_session *s, const struct sa_ctx *sa);
static gboolean on_child_rekey_timer(gpointer data);
static gboolean on_ike_rekey_timer(gpointer data);

static void remove_child_ids(struct ike_session *s, struct child_ids *c)
{
    if (c->installed && s->cb.child_delete)
        s->cb.child_delete(s->user, s->reqid, c->spi_in, c->spi_out);
    c->installed = false;
}

static void coll_clear(struct ike_session *s)
{
    uip_free_secret(g_steal_pointer(&s->coll.out_keymat), s->coll.out_keymat_len);
    s->coll.out_keymat_len = 0;
    s->coll.active = s->coll.promoted = false;
}

static void remove_child(struct ike_session *s)
{
    remove_child_ids(s, &s->prev);
    remove_child_ids(s, &s->cur);
    remove_child_ids(s, &s->redundant);
    if (s->coll.active && !s->coll.promoted)
        remove_child_ids(s, &s->coll.ids);
    coll_clear(s);
}

/* The end: report, and never send again. */
static void fail(struct ike_session *s, enum ike_failure reason, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void fail(struct ike_session *s, enum ike_failure reason, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (s->state == ST_DONE)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    _LOGS(LOG_ERR, s, "failed (%s): %s", ike_failure_name(reason), msg);
    set_state(s, ST_DONE);
    stop_timer(&s->retransmit);
    stop_timer(&s->dpd_timer);
    stop_timer(&s->child_rekey_timer);
    stop_timer(&s->ike_rekey_timer);
    remove_child(s);
    if (s->cb.failed)
        s->cb.failed(s->user, reason, msg);
}

/* ---- sending ---------------------------------------------------------------- */

/* Send a message: one datagram, or its fragments. */
static void transmit(struct ike_session *s, GPtrArray *msg)
{
    for (unsigned i = 0; i < msg->len; i++) {
        gsize len;
        const uint8_t *d = g_bytes_get_data(msg->pdata[i], &len);
        int r = s->cb.send(s->user, s->natt, d, len);
        if (r < 0)
            _LOGS(LOG_WARNING, s, "cannot send %zu bytes: %s", (size_t)len, g_strerror(-r));
    }
}

static GPtrArray *dgrams_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
}

static GPtrArray *dgrams_one(GBytes *b)
{
    GPtrArray *a = dgrams_new();
    g_ptr_array_add(a, b);
    return a;
}

static gboolean on_retransmit(gpointer data);

static void arm_retransmit(struct ike_session *s)
{
    unsigned ms = s->base_ms << MIN(s->tries, 6u);

    stop_timer(&s->retransmit);
    s->retransmit = g_timeout_source_new(ms);
    g_source_set_callback(s->retransmit, on_retransmit, s, NULL);
    g_source_attach(s->retransmit, s->ctx);
}

static void send_request_kind(struct ike_session *s, GPtrArray *msg, uint32_t msg_id, int kind)
{
    g_clear_pointer(&s->request, g_ptr_array_unref);
    s->request_kind = kind;
    s->request = msg;
    s->request_id = msg_id;
    s->tries = 0;
    transmit(s, msg);
    arm_retransmit(s);
}

static void send_request(struct ike_session *s, GPtrArray *msg, uint32_t msg_id)
{
    send_request_kind(s, msg, msg_id, REQ_OTHER);
}

static void request_done(struct ike_session *s)
{
    stop_timer(&s->retransmit);
    g_clear_pointer(&s->request, g_ptr_array_unref);
}

static gboolean on_retransmit(gpointer data)
{
    struct ike_session *s = data;
    unsigned max = s->state == ST_CLOSING ? CLOSE_TRIES : s->tries_max;

    if (++s->tries >= max) {
        stop_timer(&s->retransmit);
        g_clear_pointer(&s->request, g_ptr_array_unref);
        switch (s->state) {
        case ST_CLOSING:
            set_state(s, ST_DONE);
            remove_child(s);
            if (s->cb.closed)
                s->cb.closed(s->user);
            break;
        case ST_ESTABLISHED:
            fail(s, IKE_FAIL_DEAD_PEER, "the gateway stopped answering (%u tries)", max);
            break;
        default:
            fail(s, IKE_FAIL_UNREACHABLE, "no answer from the gateway (%u tries)", max);
            break;
        }
        return G_SOURCE_REMOVE;
    }
    _LOGS(LOG_INFO, s, "retransmitting request %u (try %u of %u)", s->request_id, s->tries + 1,
          max);
    transmit(s, s->request);
    arm_retransmit(s);
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
    return g ? dgrams_one(g) : NULL;
}

static GPtrArray *seal_on(struct sa_ctx *sa, struct ike_builder *b)
{
    return seal_frag(sa, b, 0);
}

static GPtrArray *seal(struct ike_session *s, struct ike_builder *b)
{
    return seal_frag(&s->sa, b, s->frag_ok ? s->frag_max : 0);
}

/* Seal the message built in @b, free the builder, and send it as our next
 * request (of @kind).  False when it could not be built: nothing was sent. */
static bool send_built_request(struct ike_session *s, struct ike_builder *b, int kind)
{
    GPtrArray *msg = seal(s, b);

    ike_builder_clear(b);
    if (!msg)
        return false;
    send_request_kind(s, msg, s->sa.next_id++, kind);
    return true;
}

static void begin_encrypted_on(struct sa_ctx *sa, struct ike_builder *b, uint8_t exchange,
                               bool response, uint32_t msg_id)
{
    ike_builder_init(b, sa->spi_i, sa->spi_r, exchange,
                     (sa->we_initiated ? IKE_FLAG_INITIATOR : 0) |
                         (response ? IKE_FLAG_RESPONSE : 0),
                     msg_id);
    ike_builder_sk_begin(b, ike_sk_iv_len(sa->enc));
}

static void begin_encrypted(struct ike_session *s, struct ike_builder *b, uint8_t exchange,
                            bool response, uint32_t msg_id)
{
    begin_encrypted_on(&s->sa, b, exchange, response, msg_id);
}

static void sa_ctx_clear(struct sa_ctx *sa)
{
    ike_keys_free(sa->keys);
    ike_sk_ctx_free(sa->enc);
    ike_sk_ctx_free(sa->dec);
    g_clear_pointer(&sa->last_response, g_ptr_array_unref);
    memset(sa, 0, sizeof(*sa));
}

/* ---- IKE_SA_INIT ------------------------------------------------------------ */

/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port) */
static void nat_hash(const struct ike_session *s, const struct sockaddr *sa, uint8_t out[SHA1_LEN])
{
    uint8_t buf[8 + 8 + 16 + 2];
    size_t n = 16;
    unsigned md_len;

    uip_put64(buf, s->sa.spi_i);
    uip_put64(buf + 8, s->sa.spi_r);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(buf + n, &in->sin_addr, 4);
        n += 4;
        memcpy(buf + n, &in->sin_port, 2);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(buf + n, &in6->sin6_addr, 16);
        n += 16;
        memcpy(buf + n, &in6->sin6_port, 2);
    }
    n += 2;
    EVP_Digest(buf, n, out, &md_len, EVP_sha1(), NULL);
}

static void send_init(struct ike_session *s)
{
    struct ike_builder b;
    const uint8_t *pub;
    size_t pub_len;
    uint8_t natd_src[SHA1_LEN], natd_dst[SHA1_LEN];
    uint16_t group;

    if (ike_proposals_first_ke(s->ike_props, s->n_ike_props, &group) < 0) {
        fail(s, IKE_FAIL_CONFIG, "the IKE proposals name no key exchange method");
        return;
    }
    if (!s->dh || ike_dh_group(s->dh) != group) {
        ike_dh_free(g_steal_pointer(&s->dh));
        int r = ike_dh_new(group, &s->dh);
        if (r < 0) {
            fail(s, IKE_FAIL_CONFIG, "cannot create a %s key: %s",
                 ike_transform_name(IKE_TRANS_KE, group), g_strerror(-r));
            return;
        }
    }
    ike_dh_public(s->dh, &pub, &pub_len);
    /* A source hash that cannot match: the gateway believes we are behind a
     * NAT and encapsulates ESP in UDP, which is all our engine speaks. */
    RAND_bytes(natd_src, sizeof(natd_src));
    nat_hash(s, (const struct sockaddr *)&s->gateway, natd_dst);

    ike_builder_init(&b, s->sa.spi_i, 0, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
    if (s->cookie)
        ike_build_notify(&b, 0, NULL, 0, IKE_N_COOKIE, s->cookie, s->cookie_len);
    ike_build_sa(&b, s->ike_props, s->n_ike_props);
    ike_build_ke(&b, group, pub, pub_len);
    ike_build_nonce(&b, s->ni, sizeof(s->ni));
    ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd_src, sizeof(natd_src));
    ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd_dst,
                     sizeof(natd_dst));
    if (s->frag_wanted)
        ike_build_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    if (s->auth != IKE_AUTHM_PSK) {
        uint8_t hashes[IKE_SIG_HASH_DATA_LEN];
        size_t hl;
        if (ike_sig_hash_build(hashes, sizeof(hashes), &hl) == 0)
            ike_build_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes, hl);
    }
    if (ike_builder_finish(&b) < 0) {
        ike_builder_clear(&b);
        fail(s, IKE_FAIL_CONFIG, "cannot build IKE_SA_INIT");
        return;
    }
    g_clear_pointer(&s->init_req, g_bytes_unref);
    s->init_req = g_bytes_new(ike_builder_data(&b), ike_builder_len(&b));
    ike_builder_clear(&b);
    _LOGS(LOG_INFO, s, "sending IKE_SA_INIT (%s)", ike_transform_name(IKE_TRANS_KE, group));
    if (s->state != ST_INIT_SENT)
        set_state(s, ST_INIT_SENT);
    s->sa.next_id = 1;
    send_request(s, dgrams_one(g_bytes_ref(s->init_req)), 0);
}

static const struct ike_pl *find_notify(const struct ike_msg *m, uint16_t type,
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
static uint16_t error_notify(const struct ike_msg *m)
{
    for (const struct ike_pl *pl = ike_msg_find(m, IKE_PL_NOTIFY, NULL); pl;
         pl = ike_msg_find(m, IKE_PL_NOTIFY, pl)) {
        struct ike_notify n;
        if (ike_notify_parse(pl, &n) == 0 && n.type < 16384)
            return n.type;
    }
    return 0;
}

static const char *notify_name(uint16_t type)
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
    default:
        return "error";
    }
}

/*
 * An error in the gateway's answer to a request on an established IKE SA
 * that means the gateway has given the IKE SA up (RFC 7296 2.21.2, 3.10.1;
 * strongSwan destroys it after sending either): end the session, which
 * tells NetworkManager, rather than keep a tunnel nobody serves.  True when
 * it did.
 */
static bool gateway_gave_up(struct ike_session *s, uint16_t err, const char *request)
{
    if (err != IKE_N_INVALID_SYNTAX && err != IKE_N_AUTHENTICATION_FAILED)
        return false;
    fail(s, IKE_FAIL_PROTOCOL, "the gateway answered our %s with %s, which ends the IKE SA",
         request, notify_name(err));
    return true;
}

static void send_auth(struct ike_session *s);

static void on_init_response(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_notify n;
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n_reply;
    struct ike_ke ke;
    struct ike_nonce nonce;
    const struct ike_pl *pl;

    if (find_notify(m, IKE_N_COOKIE, &n)) {
        if (s->cookie || n.data_len < 1 || n.data_len > 64) {
            fail(s, IKE_FAIL_PROTOCOL, "the gateway keeps asking for a cookie");
            return;
        }
        _LOGS(LOG_INFO, s, "gateway asks for a cookie: retrying");
        s->cookie = g_memdup2(n.data, n.data_len);
        s->cookie_len = n.data_len;
        request_done(s);
        send_init(s);
        return;
    }
    if (find_notify(m, IKE_N_INVALID_KE_PAYLOAD, &n)) {
        uint16_t group = n.data_len == 2 ? uip_get16(n.data) : 0;
        if (s->ke_retried || ike_proposals_prefer_ke(s->ike_props, s->n_ike_props, group) < 0) {
            fail(s, IKE_FAIL_PROPOSAL,
                 "the gateway wants key exchange method %u, which we do not offer", group);
            return;
        }
        _LOGS(LOG_INFO, s, "gateway prefers %s: retrying", ike_transform_name(IKE_TRANS_KE, group));
        s->ke_retried = true;
        request_done(s);
        send_init(s);
        return;
    }
    uint16_t err = error_notify(m);
    if (err) {
        fail(s, err == IKE_N_NO_PROPOSAL_CHOSEN ? IKE_FAIL_PROPOSAL : IKE_FAIL_PROTOCOL,
             "the gateway answered IKE_SA_INIT with %s%s", notify_name(err),
             err == IKE_N_NO_PROPOSAL_CHOSEN ? ": no common IKE proposal" : "");
        return;
    }

    pl = ike_msg_find(m, IKE_PL_SA, NULL);
    if (!pl || ike_sa_parse(pl, reply, G_N_ELEMENTS(reply), &n_reply) < 0 ||
        ike_proposal_select_reply(s->ike_props, s->n_ike_props, reply, n_reply, &s->sa.sel) < 0) {
        fail(s, IKE_FAIL_PROPOSAL, "the gateway chose an IKE proposal we did not offer");
        return;
    }
    pl = ike_msg_find(m, IKE_PL_KE, NULL);
    if (!pl || ike_ke_parse(pl, &ke) < 0 || ke.group != ike_dh_group(s->dh) ||
        ke.group != s->sa.sel.ke) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway's key exchange payload does not match");
        return;
    }
    pl = ike_msg_find(m, IKE_PL_NONCE, NULL);
    if (!pl || ike_nonce_parse(pl, &nonce) < 0) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway sent no valid nonce");
        return;
    }
    if (m->hdr.spi_r == 0) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway's SPI is zero");
        return;
    }
    if (!find_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP, NULL)) {
        fail(s, IKE_FAIL_CONFIG, "the gateway does not support NAT traversal (RFC 3948), "
                                 "which this client needs for ESP in UDP");
        return;
    }

    if (find_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n))
        ike_sig_hash_parse(n.data, n.data_len, &s->peer_hashes);
    s->frag_ok = s->frag_wanted && find_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
    _LOGS(LOG_DEBUG, s, "IKE fragmentation %s", s->frag_ok ? "on" : "off");

    /* keys */
    uint8_t *gir = NULL;
    size_t gir_len;
    int r = ike_dh_compute(s->dh, ke.data, ke.len, &gir, &gir_len);
    if (r < 0) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway's public key is invalid");
        return;
    }
    memcpy(s->nr, nonce.data, nonce.len);
    s->nr_len = nonce.len;
    s->sa.spi_r = m->hdr.spi_r;
    uint8_t skeyseed[IKE_PRF_MAX_LEN], spi_i[8], spi_r[8];
    struct ike_crypto_suite suite = {s->sa.sel.encr, s->sa.sel.encr_keylen, s->sa.sel.integ,
                                     s->sa.sel.prf};
    uip_put64(spi_i, s->sa.spi_i);
    uip_put64(spi_r, s->sa.spi_r);
    r = ike_skeyseed(suite.prf, s->ni, sizeof(s->ni), s->nr, s->nr_len, gir, gir_len, skeyseed);
    if (r == 0)
        r = ike_keys_derive(&suite, skeyseed, ike_prf_len(suite.prf), s->ni, sizeof(s->ni), s->nr,
                            s->nr_len, spi_i, spi_r, &s->sa.keys);
    uip_wipe(skeyseed, sizeof(skeyseed));
    uip_free_secret(gir, gir_len);
    ike_dh_free(g_steal_pointer(&s->dh));
    if (r == 0)
        r = ike_sk_ctx_new_from_keys(s->sa.keys, true, true, &s->sa.enc);
    if (r == 0)
        r = ike_sk_ctx_new_from_keys(s->sa.keys, true, false, &s->sa.dec);
    if (r < 0) {
        fail(s, IKE_FAIL_PROTOCOL, "key derivation failed: %s", g_strerror(-r));
        return;
    }
    g_clear_pointer(&s->init_resp, g_bytes_unref);
    s->init_resp = g_bytes_new(m->buf, m->len);
    ike_selected_to_string(&s->sa.sel, s->info.ike_proposal, sizeof(s->info.ike_proposal));
    _LOGS(LOG_INFO, s, "IKE_SA_INIT done: %s, responder SPI %016" G_GINT64_MODIFIER "x",
          s->info.ike_proposal, s->sa.spi_r);
    request_done(s);
    s->sa.we_initiated = true;
    report_keys(s, &s->sa);
    s->natt = true; /* RFC 7296 2.23: after NAT detection, port 4500 */
    send_auth(s);
}

/* ---- IKE_AUTH ------------------------------------------------------------------ */

static int id_from_string(const char *str, struct ike_id_value *id)
{
    uint8_t addr[16];

    memset(id, 0, sizeof(*id));
    if (inet_pton(AF_INET, str, addr) == 1) {
        id->type = IKE_ID_IPV4_ADDR;
        id->data = g_memdup2(addr, 4);
        id->len = 4;
    } else if (inet_pton(AF_INET6, str, addr) == 1) {
        id->type = IKE_ID_IPV6_ADDR;
        id->data = g_memdup2(addr, 16);
        id->len = 16;
    } else {
        size_t n = strlen(str);
        if (n == 0 || n > 255)
            return -EINVAL;
        id->type = strchr(str, '@') ? IKE_ID_RFC822_ADDR : IKE_ID_FQDN;
        id->data = (uint8_t *)g_strdup(str);
        id->len = n;
    }
    id->body_len = 4 + id->len;
    id->body = g_malloc0(id->body_len);
    id->body[0] = id->type;
    memcpy(id->body + 4, id->data, id->len);
    return 0;
}

static int id_from_bytes(uint8_t type, const uint8_t *data, size_t len, struct ike_id_value *id)
{
    if (len == 0 || len > 1024)
        return -EINVAL;
    memset(id, 0, sizeof(*id));
    id->type = type;
    id->data = g_memdup2(data, len);
    id->len = len;
    id->body_len = 4 + len;
    id->body = g_malloc0(id->body_len);
    id->body[0] = type;
    memcpy(id->body + 4, data, len);
    return 0;
}

static void id_from_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

static void id_clear(struct ike_id_value *id)
{
    g_free(id->data);
    g_free(id->body);
    memset(id, 0, sizeof(*id));
}

/* Our signed octets (RFC 7296 2.15): RealMessage1 | Nr | prf(SK_pi, IDi body). */
static int our_signed_octets(struct ike_session *s, uint8_t **so, size_t *so_len)
{
    gsize req_len;
    const uint8_t *req = g_bytes_get_data(s->init_req, &req_len);

    return ike_signed_octets(s->sa.sel.prf, req, req_len, s->nr, s->nr_len, s->sa.keys->sk_pi,
                             s->sa.keys->sk_p_len, s->idi.body, s->idi.body_len, so, so_len);
}

static bool auth_is_eap(const struct ike_session *s)
{
    return s->auth == IKE_AUTHM_EAP_MSCHAPV2 || s->auth == IKE_AUTHM_EAP_TLS;
}

/* AUTH for our side: prf(prf(secret, "Key Pad for IKEv2"), <InitiatorSignedOctets>) */
static int our_auth(struct ike_session *s, uint8_t *auth, size_t *auth_len)
{
    uint8_t *so = NULL;
    size_t so_len;
    uint16_t prf = s->sa.sel.prf;
    int r;

    r = our_signed_octets(s, &so, &so_len);
    if (r < 0)
        return r;
    if (s->auth == IKE_AUTHM_PSK) {
        r = ike_auth_psk(prf, s->psk, s->psk_len, so, so_len, auth);
    } else {
        const uint8_t *msk = NULL;
        size_t msk_len = 0;
        eap_peer_get_msk(s->eap, &msk, &msk_len);
        r = ike_auth_eap(prf, msk, msk_len, s->sa.keys->sk_pi, s->sa.keys->sk_p_len, so, so_len, auth);
    }
    uip_free_secret(so, so_len);
    *auth_len = ike_prf_len(prf);
    return r;
}

static void add_ts_payloads(struct ike_session *s, struct ike_builder *b)
{
    ike_build_ts(b, IKE_PL_TSI, s->tsi, s->n_tsi);
    ike_build_ts(b, IKE_PL_TSR, s->tsr, s->n_tsr);
}

static void send_auth(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t auth[IKE_PRF_MAX_LEN];
    size_t auth_len = 0;
    struct ike_cp_attr attrs[6];
    unsigned n_attrs = 0;

    if (s->auth == IKE_AUTHM_PSK && our_auth(s, auth, &auth_len) < 0) {
        fail(s, IKE_FAIL_PROTOCOL, "cannot compute our AUTH payload");
        return;
    }
    if (s->vip4) {
        /* the address we hold, when reauthenticating (RFC 7296 3.15.1) */
        attrs[n_attrs++] = s->vip4_hint_set
                               ? (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_ADDRESS, 4, s->vip4_hint}
                               : (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_ADDRESS, 0, NULL};
        attrs[n_attrs++] = (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_DNS, 0, NULL};
    }
    if (s->vip6) {
        attrs[n_attrs++] = s->vip6_hint_set
                               ? (struct ike_cp_attr){IKE_CFG_INTERNAL_IP6_ADDRESS, 17, s->vip6_hint}
                               : (struct ike_cp_attr){IKE_CFG_INTERNAL_IP6_ADDRESS, 0, NULL};
        attrs[n_attrs++] = (struct ike_cp_attr){IKE_CFG_INTERNAL_IP6_DNS, 0, NULL};
    }
    if (n_attrs)
        attrs[n_attrs++] = (struct ike_cp_attr){IKE_CFG_INTERNAL_DNS_DOMAIN, 0, NULL};

    uint8_t *sig = NULL, sig_method = 0;
    size_t sig_len = 0;
    if (s->auth == IKE_AUTHM_CERT) {
        uint8_t *so = NULL;
        size_t so_len;
        int r = our_signed_octets(s, &so, &so_len);
        if (r == 0)
            r = ike_cred_sign(s->cred, ike_cred_choose_hash(s->cred, s->peer_hashes), so, so_len,
                              &sig_method, &sig, &sig_len);
        uip_free_secret(so, so_len);
        if (r < 0) {
            fail(s, IKE_FAIL_CONFIG, "cannot sign with our private key: %s", g_strerror(-r));
            return;
        }
    }

    begin_encrypted(s, &b, IKE_AUTH, false, s->sa.next_id);
    ike_build_id(&b, IKE_PL_IDI, s->idi.type, s->idi.data, s->idi.len);
    if (s->cred && s->auth == IKE_AUTHM_CERT) { /* EAP-TLS sends it inside TLS */
        size_t der_len;
        const uint8_t *der = ike_cred_cert_der(s->cred, &der_len);
        ike_build_cert(&b, IKE_PL_CERT, IKE_CERT_X509_SIG, der, der_len);
    }
    if (s->trust) {
        /* strongSwan sends its certificate when asked (send_cert = ifasked) */
        uint8_t *req = NULL;
        size_t req_len = 0;
        ike_trust_certreq_data(s->trust, &req, &req_len);
        ike_build_cert(&b, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, req, req_len);
        g_free(req);
    }
    if (s->idr.type)
        ike_build_id(&b, IKE_PL_IDR, s->idr.type, s->idr.data, s->idr.len);
    if (auth_len)
        ike_build_auth(&b, IKE_AUTH_PSK, auth, auth_len);
    if (sig)
        ike_build_auth(&b, sig_method, sig, sig_len);
    g_free(sig);
    if (n_attrs)
        ike_build_cp(&b, IKE_CFG_REQUEST, attrs, n_attrs);
    ike_build_sa(&b, s->esp_props, s->n_esp_props);
    add_ts_payloads(s, &b);
    bool sent = send_built_request(s, &b, REQ_OTHER);
    uip_wipe(auth, sizeof(auth));
    if (!sent) {
        fail(s, IKE_FAIL_PROTOCOL, "cannot build IKE_AUTH");
        return;
    }
    _LOGS(LOG_INFO, s, "sent IKE_AUTH (%s)",
          s->auth == IKE_AUTHM_PSK ? "PSK" : s->auth == IKE_AUTHM_CERT ? "certificate" : "EAP");
    set_state(s, ST_AUTH_SENT);
}

static void send_eap(struct ike_session *s, const uint8_t *eap, size_t len)
{
    struct ike_builder b;

    begin_encrypted(s, &b, IKE_AUTH, false, s->sa.next_id);
    /* the EAP message is already encoded: code, id, length, type, data */
    ike_builder_add(&b, IKE_PL_EAP, false, eap, len);
    if (!send_built_request(s, &b, REQ_OTHER))
        fail(s, IKE_FAIL_PROTOCOL, "cannot build the EAP message");
}

static void send_eap_auth(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t auth[IKE_PRF_MAX_LEN];
    size_t auth_len;

    if (our_auth(s, auth, &auth_len) < 0) {
        fail(s, IKE_FAIL_PROTOCOL, "cannot compute our AUTH payload from the EAP key");
        return;
    }
    begin_encrypted(s, &b, IKE_AUTH, false, s->sa.next_id);
    ike_build_auth(&b, IKE_AUTH_PSK, auth, auth_len); /* RFC 7296 2.16: shared key method */
    bool sent = send_built_request(s, &b, REQ_OTHER);
    uip_wipe(auth, sizeof(auth));
    if (!sent) {
        fail(s, IKE_FAIL_PROTOCOL, "cannot build IKE_AUTH");
        return;
    }
    set_state(s, ST_EAP_AUTH_SENT);
}

/* The gateway's signed octets: RealMessage2 | Ni | prf(SK_pr, IDr body). */
static int peer_signed_octets(struct ike_session *s, uint8_t **so, size_t *so_len)
{
    gsize resp_len;
    const uint8_t *resp = g_bytes_get_data(s->init_resp, &resp_len);

    return ike_signed_octets(s->sa.sel.prf, resp, resp_len, s->ni, sizeof(s->ni),
                             s->sa.keys->sk_pr, s->sa.keys->sk_p_len, s->idr_body,
                             s->idr_body_len, so, so_len);
}

/* The gateway's AUTH by signature: its certificate chain, identity and signature. */
static bool verify_gateway_cert(struct ike_session *s, const struct ike_msg *m,
                                const struct ike_id *id, const struct ike_auth *auth)
{
    struct ike_cert_blob certs[IKE_CERT_MAX_CHAIN];
    unsigned n = 0;
    char err[256] = "";
    uint8_t *so = NULL;
    size_t so_len;

    for (const struct ike_pl *pl = ike_msg_find(m, IKE_PL_CERT, NULL);
         pl && n < IKE_CERT_MAX_CHAIN; pl = ike_msg_find(m, IKE_PL_CERT, pl)) {
        struct ike_cert c;
        if (ike_cert_parse(pl, &c) == 0)
            certs[n++] = (struct ike_cert_blob){c.encoding, c.data, c.len};
    }
    if (n == 0) {
        fail(s, IKE_FAIL_AUTH, "the gateway sent no certificate");
        return false;
    }
    if (!s->trust) {
        int r = ike_trust_new(NULL, &s->trust, err, sizeof(err));
        if (r < 0) {
            fail(s, IKE_FAIL_CONFIG, "cannot load the system's trusted certificates: %s", err);
            return false;
        }
    }
    int r = peer_signed_octets(s, &so, &so_len);
    if (r == 0)
        r = ike_cert_verify_peer(s->trust, certs, n, id->id_type, id->data, id->len,
                                 s->idr.type ? NULL : s->gateway_host, auth->method, auth->data,
                                 auth->len, so, so_len, err, sizeof(err));
    uip_free_secret(so, so_len);
    switch (r) {
    case 0:
        return true;
    case -EKEYREJECTED:
        fail(s, IKE_FAIL_AUTH, "the gateway's certificate is not trusted: %s", err);
        break;
    case -EACCES:
        fail(s, IKE_FAIL_AUTH, "the gateway's certificate does not match its identity: %s", err);
        break;
    case -EPERM:
        fail(s, IKE_FAIL_AUTH, "the gateway's signature is wrong: %s", err);
        break;
    default:
        fail(s, IKE_FAIL_AUTH, "cannot verify the gateway's authentication: %s",
             *err ? err : g_strerror(-r));
        break;
    }
    return false;
}

/* Check the gateway's IDr and AUTH: a signature, or a shared key / the EAP MSK. */
static bool verify_gateway(struct ike_session *s, const struct ike_msg *m)
{
    const struct ike_pl *pl_id = ike_msg_find(m, IKE_PL_IDR, NULL);
    const struct ike_pl *pl_auth = ike_msg_find(m, IKE_PL_AUTH, NULL);
    struct ike_id id;
    struct ike_auth auth;

    if (pl_id) {
        if (ike_id_parse(pl_id, &id) < 0) {
            fail(s, IKE_FAIL_AUTH, "the gateway's identity payload is malformed");
            return false;
        }
        if (s->idr.type && (id.id_type != s->idr.type || id.len != s->idr.len ||
                            memcmp(id.data, s->idr.data, id.len) != 0)) {
            fail(s, IKE_FAIL_AUTH, "the gateway's identity is not the configured remote identity");
            return false;
        }
        g_free(s->idr_body);
        s->idr_body = g_memdup2(pl_id->body, pl_id->body_len);
        s->idr_body_len = pl_id->body_len;
    } else if (!s->idr_body) {
        fail(s, IKE_FAIL_AUTH, "the gateway sent no identity");
        return false;
    }
    if (!pl_auth || ike_auth_parse(pl_auth, &auth) < 0) {
        fail(s, IKE_FAIL_AUTH, "the gateway sent no AUTH payload");
        return false;
    }
    if (auth.method != IKE_AUTH_PSK) {
        if (!pl_id) {
            fail(s, IKE_FAIL_AUTH, "the gateway signed without sending its identity");
            return false;
        }
        return verify_gateway_cert(s, m, &id, &auth);
    }
    /* shared key: a PSK of ours, or the MSK of a finished EAP exchange */
    if (s->auth == IKE_AUTHM_CERT || (auth_is_eap(s) && !s->gateway_verified)) {
        fail(s, IKE_FAIL_AUTH, "the gateway authenticates with a shared key, but %s",
             s->auth == IKE_AUTHM_CERT ? "we use certificates" : "EAP needs its certificate");
        return false;
    }
    uint8_t *so = NULL;
    size_t so_len;
    uint8_t expected[IKE_PRF_MAX_LEN];
    uint16_t prf = s->sa.sel.prf;
    int r = peer_signed_octets(s, &so, &so_len);
    if (r == 0) {
        if (s->auth == IKE_AUTHM_PSK) {
            r = ike_auth_psk(prf, s->psk, s->psk_len, so, so_len, expected);
        } else {
            const uint8_t *msk = NULL;
            size_t msk_len = 0;
            eap_peer_get_msk(s->eap, &msk, &msk_len);
            r = ike_auth_eap(prf, msk, msk_len, s->sa.keys->sk_pr, s->sa.keys->sk_p_len, so, so_len,
                             expected);
        }
    }
    uip_free_secret(so, so_len);
    if (r == 0)
        r = ike_auth_verify(expected, ike_prf_len(prf), auth.data, auth.len);
    uip_wipe(expected, sizeof(expected));
    if (r < 0) {
        fail(s, IKE_FAIL_AUTH, "the gateway's AUTH payload is wrong (wrong pre-shared key?)");
        return false;
    }
    return true;
}

static void read_cp(struct ike_session *s, const struct ike_msg *m)
{
    const struct ike_pl *pl = ike_msg_find(m, IKE_PL_CP, NULL);
    struct ike_established *in = &s->info;
    GPtrArray *domains = g_ptr_array_new();
    struct ike_cp cp;
    unsigned left_out = 0;

    if (pl && ike_cp_parse(pl, &cp) == 0 && cp.cfg_type == IKE_CFG_REPLY) {
        left_out = cp.n_skipped;
        for (unsigned i = 0; i < cp.n_attrs; i++) {
            const struct ike_cp_attr *a = &cp.attrs[i];
            switch (a->type) {
            case IKE_CFG_INTERNAL_IP4_ADDRESS:
                if (a->len == 4 && !in->has_vip4) {
                    memcpy(in->vip4, a->value, 4);
                    in->has_vip4 = true;
                }
                break;
            case IKE_CFG_INTERNAL_IP6_ADDRESS:
                if (a->len == 17 && !in->has_vip6) {
                    memcpy(in->vip6, a->value, 16);
                    in->vip6_prefix = a->value[16];
                    in->has_vip6 = true;
                }
                break;
            case IKE_CFG_INTERNAL_IP4_DNS:
                if (a->len == 4 && in->n_dns4 < IKE_SESSION_MAX_DNS)
                    memcpy(in->dns4[in->n_dns4++], a->value, 4);
                else
                    left_out++;
                break;
            case IKE_CFG_INTERNAL_IP6_DNS:
                if (a->len == 16 && in->n_dns6 < IKE_SESSION_MAX_DNS)
                    memcpy(in->dns6[in->n_dns6++], a->value, 16);
                else
                    left_out++;
                break;
            case IKE_CFG_INTERNAL_IP4_SUBNET:
                if (a->len == 8 && in->n_subnets >= IKE_SESSION_MAX_SUBNETS) {
                    left_out++;
                } else if (a->len == 8) {
                    struct uip_ts *ts = &in->subnets[in->n_subnets];
                    uip_ts_any(ts, AF_INET);
                    for (int k = 0; k < 4; k++) {
                        ts->start[k] = a->value[k] & a->value[4 + k];
                        ts->end[k] = (uint8_t)(ts->start[k] | ~a->value[4 + k]);
                    }
                    in->n_subnets++;
                }
                break;
            case IKE_CFG_INTERNAL_IP6_SUBNET:
                if (a->len == 17 && in->n_subnets >= IKE_SESSION_MAX_SUBNETS) {
                    left_out++;
                } else if (a->len == 17 && a->value[16] <= 128) {
                    char buf[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];
                    inet_ntop(AF_INET6, a->value, addr, sizeof(addr));
                    snprintf(buf, sizeof(buf), "%s/%u", addr, a->value[16]);
                    if (uip_ts_parse(buf, &in->subnets[in->n_subnets]) == 0)
                        in->n_subnets++;
                }
                break;
            case IKE_CFG_INTERNAL_DNS_DOMAIN:
                if (a->len > 0 && a->len < 256) {
                    char *d = g_strndup((const char *)a->value, a->len);
                    bool ok = true;
                    for (char *c = d; *c; c++)
                        ok &= g_ascii_isalnum(*c) || *c == '-' || *c == '.';
                    if (ok && strlen(d) == a->len)
                        g_ptr_array_add(domains, d);
                    else
                        g_free(d);
                }
                break;
            default:
                break;
            }
        }
    }
    if (left_out)
        _LOGS(LOG_WARNING, s,
              "configuration payload: %u attributes left out (at most %u DNS servers per family, "
              "%u subnets, %u attributes)",
              left_out, IKE_SESSION_MAX_DNS, IKE_SESSION_MAX_SUBNETS, IKE_CP_MAX_ATTRS);
    g_ptr_array_add(domains, NULL);
    g_strfreev(in->domains);
    in->domains = (char **)g_ptr_array_free(domains, FALSE);
}

static bool read_ts(struct ike_session *s, const struct ike_msg *m, uint8_t type,
                    struct uip_ts *ts, unsigned *n)
{
    const struct ike_pl *pl = ike_msg_find(m, type, NULL);
    unsigned skipped;

    if (!pl || ike_ts_parse(pl, ts, IKE_SESSION_MAX_TS, n, &skipped) < 0 || *n == 0)
        return false;
    if (skipped)
        _LOGS(LOG_WARNING, s,
              "%s: %u traffic selectors left out (only %u IPv4/IPv6 ranges are used; other types "
              "are not supported)",
              type == IKE_PL_TSI ? "TSi" : "TSr", skipped, IKE_SESSION_MAX_TS);
    return true;
}

/* TSi and TSr of a request or response, both required. */
static bool read_ts_pair(struct ike_session *s, const struct ike_msg *m, struct uip_ts *tsi,
                         unsigned *n_tsi,
                         struct uip_ts *tsr, unsigned *n_tsr)
{
    return read_ts(s, m, IKE_PL_TSI, tsi, n_tsi) && read_ts(s, m, IKE_PL_TSR, tsr, n_tsr);
}

/*
 * Derive a CHILD_SA's keys (RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir] | Ni |
 * Nr), the exchange initiator's direction first), fill @c and hand it to the
 * owner.  @we_initiated: we started this exchange (@ni is ours).  The key
 * material is wiped before returning.  With @keep_out (a rekey collision)
 * only the inbound half goes in; a copy of the outbound keys is returned in
 * *keep_out (free with uip_free_secret()).  0, or -errno of
 * derivation/install.
 */
static int install_child(struct ike_session *s, struct ike_child *c,
                         const struct ike_esp_params *esp, uint32_t spi_in, bool we_initiated,
                         const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
                         const uint8_t *nr, size_t nr_len, uint8_t **keep_out, size_t *keep_len)
{
    struct ike_child_keys *ck = NULL;
    int r = ike_child_keys_derive(s->sa.sel.prf, s->sa.keys->sk_d, s->sa.keys->sk_d_len, gir,
                                  gir_len, ni, ni_len, nr, nr_len, esp->encr_keymat_len,
                                  esp->integ_keymat_len, &ck);
    if (r < 0)
        return r;
    size_t len = ck->encr_len + ck->integ_len;
    c->reqid = s->reqid;
    c->encr_name = esp->encr_name;
    c->integ_name = esp->integ_name;
    c->esn = esp->esn;
    c->in = (struct ike_child_sa){spi_in, we_initiated ? ck->r2i : ck->i2r, len};
    c->out = (struct ike_child_sa){esp->spi, we_initiated ? ck->i2r : ck->r2i, len};
    if (keep_out) {
        *keep_out = g_memdup2(c->out.keymat, len);
        *keep_len = len;
        c->out.keymat = NULL;
    }
    r = s->cb.child_install ? s->cb.child_install(s->user, c) : 0;
    c->in.keymat = c->out.keymat = NULL;
    ike_child_keys_free(ck);
    if (r < 0 && keep_out)
        uip_free_secret(g_steal_pointer(keep_out), len);
    return r;
}

/* Tests only: hand the SA's keys to a dissector. */
static void report_keys(struct ike_session *s, const struct sa_ctx *sa)
{
    const struct ike_crypto_suite *su = &sa->keys->suite;

    if (s->cb.debug_keys)
        s->cb.debug_keys(s->user, sa->spi_i, sa->spi_r, ike_encr_keyword(su->encr, su->encr_keylen),
                         ike_integ_keyword(su->integ), sa->keys->sk_ei, sa->keys->sk_er,
                         sa->keys->sk_e_len, sa->keys->sk_ai, sa->keys->sk_ar, sa->keys->sk_a_len);
}

/*
 * The keys of a rekeyed IKE SA @n (RFC 7296 2.18): SKEYSEED from the current
 * SA's SK_d and the new g^ir, then SK_* with the new SPIs and nonces (the
 * rekey initiator's first).  0 or -errno; @n's keys and contexts are set.
 */
static int derive_rekeyed_sa(struct ike_session *s, struct sa_ctx *n, const uint8_t *gir,
                             size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                             size_t nr_len)
{
    uint8_t skeyseed[IKE_PRF_MAX_LEN], spi_i[8], spi_r[8];
    struct ike_crypto_suite suite = {n->sel.encr, n->sel.encr_keylen, n->sel.integ, n->sel.prf};

    uip_put64(spi_i, n->spi_i);
    uip_put64(spi_r, n->spi_r);
    int r = ike_skeyseed_rekey(s->sa.sel.prf, s->sa.keys->sk_d, s->sa.keys->sk_d_len, gir, gir_len,
                               ni, ni_len, nr, nr_len, skeyseed);
    if (r == 0)
        r = ike_keys_derive(&suite, skeyseed, ike_prf_len(suite.prf), ni, ni_len, nr, nr_len, spi_i,
                            spi_r, &n->keys);
    uip_wipe(skeyseed, sizeof(skeyseed));
    if (r == 0)
        r = ike_sk_ctx_new_from_keys(n->keys, n->we_initiated, true, &n->enc);
    if (r == 0)
        r = ike_sk_ctx_new_from_keys(n->keys, n->we_initiated, false, &n->dec);
    return r;
}

/* Make @n the current IKE SA after a rekey; the old one is kept (@keep_old) or dropped. */
static void switch_sa(struct ike_session *s, struct sa_ctx *n, bool keep_old)
{
    request_done(s); /* a pending request belonged to the old SA */
    sa_ctx_clear(&s->old);
    s->has_old = keep_old;
    if (keep_old)
        s->old = s->sa;
    else
        sa_ctx_clear(&s->sa);
    s->sa = *n;
    ike_selected_to_string(&n->sel, s->info.ike_proposal, sizeof(s->info.ike_proposal));
    report_keys(s, &s->sa);
    arm_timer(s, &s->ike_rekey_timer, s->ike_rekey_time, on_ike_rekey_timer);
    if (s->cb.ike_rekeyed)
        s->cb.ike_rekeyed(s->user, s->info.ike_proposal);
}

/* An IKE SA rekey collision ends with the gateway's new IKE SA as the current
 * one; the old one is kept (@keep_old) until the gateway deletes it, or dropped. */
static void ike_coll_adopt(struct ike_session *s, bool keep_old)
{
    s->has_ike_coll = false;
    switch_sa(s, &s->ike_coll, keep_old);
    memset(&s->ike_coll, 0, sizeof(s->ike_coll)); /* its keys now belong to s->sa */
}

static void start_dpd(struct ike_session *s);
static int coll_promote(struct ike_session *s);

/*
 * The gateway authenticated us and keeps an IKE SA, but the tunnel we asked
 * for cannot be used: tell it to delete the IKE SA (once, without waiting:
 * the session fails right after), so that no half-open SA lingers there.
 */
static void fail_established(struct ike_session *s, enum ike_failure reason, const char *what,
                             const char *detail)
{
    struct ike_builder b;
    GPtrArray *msg;

    begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    ike_build_delete(&b, IKE_PROTO_IKE, NULL, 0);
    msg = seal(s, &b);
    ike_builder_clear(&b);
    if (msg) {
        s->sa.next_id++;
        transmit(s, msg);
        g_ptr_array_unref(msg);
        _LOGS(LOG_INFO, s, "sent DELETE for the IKE SA the gateway keeps");
    }
    fail(s, reason, "%s%s", what, detail);
}

/* An AUTH_LIFETIME notify in @m (RFC 4478) goes to the owner, who reauthenticates. */
static void report_auth_lifetime(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_notify n;

    if (!find_notify(m, IKE_N_AUTH_LIFETIME, &n))
        return;
    if (n.data_len != 4) {
        _LOGS(LOG_WARNING, s, "ignored an AUTH_LIFETIME notify of %zu octets", n.data_len);
        return;
    }
    unsigned secs = uip_get32(n.data);
    _LOGS(LOG_INFO, s, "the gateway asks for reauthentication within %u s (AUTH_LIFETIME)", secs);
    if (s->cb.auth_lifetime)
        s->cb.auth_lifetime(s->user, secs);
}

static void on_auth_done(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n_reply;
    struct ike_selected sel;
    struct ike_esp_params esp;
    const struct ike_pl *pl;

    if (!verify_gateway(s, m))
        return;
    uint16_t err = error_notify(m);
    if (err) {
        /* the IKE SA is up, the CHILD_SA is not */
        fail_established(s,
                         err == IKE_N_INTERNAL_ADDRESS_FAILURE || err == IKE_N_FAILED_CP_REQUIRED
                             ? IKE_FAIL_CONFIG
                             : IKE_FAIL_PROPOSAL,
                         "the gateway refused the tunnel: ", notify_name(err));
        return;
    }
    pl = ike_msg_find(m, IKE_PL_SA, NULL);
    if (!pl || ike_sa_parse(pl, reply, G_N_ELEMENTS(reply), &n_reply) < 0 ||
        ike_proposal_select_reply(s->esp_props, s->n_esp_props, reply, n_reply, &sel) < 0 ||
        ike_selected_esp_params(&sel, &esp) < 0) {
        fail_established(s, IKE_FAIL_PROPOSAL, "the gateway chose an ESP proposal we did not offer",
                         "");
        return;
    }
    struct ike_child *c = &s->child;
    if (!read_ts_pair(s, m, c->local_ts, &c->n_local_ts, c->remote_ts, &c->n_remote_ts)) {
        fail_established(s, IKE_FAIL_PROPOSAL, "the gateway sent no usable traffic selectors", "");
        return;
    }
    read_cp(s, m);
    if ((s->vip4 || s->vip6) && !s->info.has_vip4 && !s->info.has_vip6) {
        fail_established(s, IKE_FAIL_CONFIG, "the gateway assigned no virtual IP address", "");
        return;
    }

    s->cur.spi_out = esp.spi;
    int r = install_child(s, c, &esp, s->cur.spi_in, true, NULL, 0, s->ni, sizeof(s->ni), s->nr,
                          s->nr_len, NULL, NULL);
    if (r < 0) {
        fail_established(s, IKE_FAIL_CONFIG, "cannot install the CHILD_SA: ", g_strerror(-r));
        return;
    }
    s->cur.installed = true;
    ike_selected_to_string(&sel, s->info.esp_proposal, sizeof(s->info.esp_proposal));
    s->info.child = c;
    request_done(s);
    set_state(s, ST_ESTABLISHED);
    _LOGS(LOG_INFO, s, "established: %s, CHILD_SA %08x/%08x", s->info.esp_proposal, s->cur.spi_in,
          s->cur.spi_out);
    start_dpd(s);
    arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, on_child_rekey_timer);
    arm_timer(s, &s->ike_rekey_timer, s->ike_rekey_time, on_ike_rekey_timer);
    if (s->cb.established)
        s->cb.established(s->user, &s->info);
    if (s->state == ST_ESTABLISHED)
        report_auth_lifetime(s, m);
}

static void on_auth_response(struct ike_session *s, const struct ike_msg *m)
{
    const struct ike_pl *pl_eap = ike_msg_find(m, IKE_PL_EAP, NULL);

    if (find_notify(m, IKE_N_AUTHENTICATION_FAILED, NULL)) {
        fail(s, IKE_FAIL_AUTH, "the gateway rejected our authentication (AUTHENTICATION_FAILED)");
        return;
    }
    if (!auth_is_eap(s) || s->state == ST_EAP_AUTH_SENT) {
        on_auth_done(s, m);
        return;
    }
    /* EAP: the first response carries the gateway's identity and signature;
     * it must verify before we answer anything derived from our password. */
    if (s->state == ST_AUTH_SENT) {
        const struct ike_pl *pl_auth = ike_msg_find(m, IKE_PL_AUTH, NULL);
        struct ike_auth a;
        if (!pl_auth || ike_auth_parse(pl_auth, &a) < 0 || a.method == IKE_AUTH_PSK) {
            fail(s, IKE_FAIL_AUTH, "the gateway did not authenticate with a certificate, "
                                   "which EAP requires");
            return;
        }
        if (!verify_gateway(s, m))
            return;
        s->gateway_verified = true;
        _LOGS(LOG_INFO, s, "gateway certificate verified; starting EAP");
        /* EAP-TLS: the TLS certificate must carry the identity just verified */
        if (s->idr_body_len <= 4 ||
            eap_peer_set_server_id(s->eap, s->idr_body[0], s->idr_body + 4, s->idr_body_len - 4,
                                   s->idr.type ? NULL : s->gateway_host) < 0) {
            fail(s, IKE_FAIL_AUTH, "the gateway's identity is unusable for EAP");
            return;
        }
    }
    if (!pl_eap) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway sent no EAP message");
        return;
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    int r = eap_peer_process(s->eap, pl_eap->body, pl_eap->body_len, &out, &out_len);
    request_done(s);
    if (r == 0) {
        send_eap(s, out, out_len);
        g_free(out);
        if (s->state != ST_EAP)
            set_state(s, ST_EAP);
    } else if (r == EAP_DONE_SUCCESS) {
        send_eap_auth(s);
    } else if (r == -EACCES || r == -EKEYREJECTED) {
        const char *why = eap_peer_failure_message(s->eap);
        fail(s, IKE_FAIL_AUTH, "EAP authentication failed%s%s", why ? ": " : "", why ? why : "");
    } else {
        const char *why = eap_peer_failure_message(s->eap);
        fail(s, IKE_FAIL_PROTOCOL, "EAP failed: %s", why ? why : g_strerror(-r));
    }
}

/* ---- INFORMATIONAL ----------------------------------------------------------------- */

/* Answer the gateway's request @msg_id on @sa with the payloads @b already holds. */
static void respond(struct sa_ctx *sa, struct ike_builder *b, struct ike_session *s)
{
    GPtrArray *msg = seal_on(sa, b);

    ike_builder_clear(b);
    if (!msg)
        return;
    g_clear_pointer(&sa->last_response, g_ptr_array_unref);
    sa->last_response = msg;
    transmit(s, msg);
}

static void send_response(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                          uint32_t msg_id, const uint32_t *del_spis, unsigned n_del)
{
    struct ike_builder b;

    begin_encrypted_on(sa, &b, exchange, true, msg_id);
    if (n_del)
        ike_build_delete(&b, IKE_PROTO_ESP, del_spis, n_del);
    respond(sa, &b, s);
}

static void send_error_response_data(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                                     uint32_t msg_id, uint16_t notify, const uint8_t *data,
                                     size_t len)
{
    struct ike_builder b;

    begin_encrypted_on(sa, &b, exchange, true, msg_id);
    ike_build_notify(&b, 0, NULL, 0, notify, data, len);
    respond(sa, &b, s);
}

static void send_error_response(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                                uint32_t msg_id, uint16_t notify)
{
    send_error_response_data(s, sa, exchange, msg_id, notify, NULL, 0);
}

/*
 * The gateway's request @what was malformed: answer INVALID_SYNTAX.  That
 * ends the IKE SA on both sides (RFC 7296 2.21.2; strongSwan destroys it at
 * once), so end the session too instead of keeping a tunnel nobody serves.
 */
static void refuse_malformed(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                             uint32_t msg_id, const char *what)
{
    send_error_response(s, sa, exchange, msg_id, IKE_N_INVALID_SYNTAX);
    fail(s, IKE_FAIL_PROTOCOL,
         "the gateway's %s was malformed (answered INVALID_SYNTAX, which ends the IKE SA)", what);
}

/* The group of the request's KE payload, 0 if it has none (or an unreadable one). */
static uint16_t request_ke_group(const struct ike_msg *m)
{
    const struct ike_pl *pl = ike_msg_find(m, IKE_PL_KE, NULL);
    struct ike_ke ke;

    return pl && ike_ke_parse(pl, &ke) == 0 ? ke.group : 0;
}

/*
 * We chose KE method @group from the gateway's proposals but its KE payload
 * is of another group (or missing): answer INVALID_KE_PAYLOAD naming ours
 * (RFC 7296 1.3, 3.10.1), and it retries.  True when that was sent.
 */
static bool refuse_ke_group(struct ike_session *s, const struct ike_msg *m, uint16_t group)
{
    uint8_t data[2];

    if (request_ke_group(m) == group)
        return false;
    uip_put16(data, group);
    send_error_response_data(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                             IKE_N_INVALID_KE_PAYLOAD, data, sizeof(data));
    _LOGS(LOG_INFO, s, "the gateway's KE payload is of group %u, we chose %s: INVALID_KE_PAYLOAD",
          request_ke_group(m), ike_transform_name(IKE_TRANS_KE, group));
    return true;
}

/* g^ir for a KE payload of the request with our new key of @group; our public
 * value goes to @dh_out.  0 or -errno. */
static int rekey_dh(const struct ike_msg *m, uint16_t group, struct ike_dh **dh_out,
                    uint8_t **gir, size_t *gir_len)
{
    const struct ike_pl *pl = ike_msg_find(m, IKE_PL_KE, NULL);
    struct ike_ke ke;
    struct ike_dh *dh;
    int r;

    if (!pl || ike_ke_parse(pl, &ke) < 0 || ke.group != group)
        return -EBADMSG;
    r = ike_dh_new(group, &dh);
    if (r < 0)
        return r;
    r = ike_dh_compute(dh, ke.data, ke.len, gir, gir_len);
    if (r < 0) {
        ike_dh_free(dh);
        return r;
    }
    *dh_out = dh;
    return 0;
}

static void add_ke(struct ike_builder *b, const struct ike_dh *dh)
{
    const uint8_t *pub;
    size_t len;

    if (dh && ike_dh_public(dh, &pub, &len) == 0)
        ike_build_ke(b, ike_dh_group(dh), pub, len);
}

/* Compare two nonces over their common length (RFC 7296 2.8.1; as strongSwan does). */
static int nonce_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return memcmp(a, b, MIN(a_len, b_len));
}

/* The lower of an exchange's two nonces, into @out (IKE_NONCE_MAX_LEN octets). */
static size_t lower_nonce(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                          uint8_t *out)
{
    bool a_lower = nonce_cmp(a, a_len, b, b_len) < 0;
    size_t len = MIN(a_lower ? a_len : b_len, IKE_NONCE_MAX_LEN);

    memcpy(out, a_lower ? a : b, len);
    return len;
}

/*
 * RFC 7296 2.8.1 / 2.8.2: our rekey (our nonce s->rk_ni, the gateway's @nr)
 * collided with the gateway's, whose exchange's lower nonce is @theirs.  The
 * new SA whose exchange holds the lowest of the four nonces is redundant and
 * its initiator deletes it: true when that is ours.
 */
static bool collision_lost(const struct ike_session *s, const struct ike_nonce *nr,
                           const uint8_t *theirs, size_t theirs_len)
{
    uint8_t ours[IKE_NONCE_MAX_LEN];
    size_t ours_len = lower_nonce(s->rk_ni, sizeof(s->rk_ni), nr->data, nr->len, ours);

    return nonce_cmp(ours, ours_len, theirs, theirs_len) < 0;
}

/*
 * The gateway rekeys our CHILD_SA (RFC 7296 2.8): we answer with a new SA,
 * install it beside the old one, and wait for the gateway to delete the old.
 * @collision: our own rekey of it is out (RFC 7296 2.8.1): the new SA goes in
 * inbound only and waits in s->coll until the nonces of both exchanges say
 * which of the two new SAs is redundant (see on_rekey_child_response()).
 */
static void rekey_child(struct ike_session *s, const struct ike_msg *m,
                        const struct ike_proposal *theirs, unsigned n_theirs,
                        const struct ike_nonce *ni, bool collision)
{
    uint32_t id = m->hdr.msg_id;
    struct ike_proposal chosen;
    struct ike_selected sel;
    struct ike_esp_params esp;
    struct ike_child c = s->child;
    uint8_t nr[NONCE_LEN], *gir = NULL;
    size_t gir_len = 0;
    struct ike_dh *dh = NULL;
    uint32_t spi_in;

    if (ike_proposal_choose(s->esp_props, s->n_esp_props, theirs, n_theirs, &chosen, &sel) < 0 ||
        ike_selected_esp_params(&sel, &esp) < 0) {
        send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_NO_PROPOSAL_CHOSEN);
        _LOGS(LOG_WARNING, s, "refused the gateway's CHILD_SA rekey: no acceptable proposal");
        return;
    }
    /* their TSi is their side (our remote), TSr ours */
    if (!read_ts_pair(s, m, c.remote_ts, &c.n_remote_ts, c.local_ts, &c.n_local_ts)) {
        send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_TS_UNACCEPTABLE);
        return;
    }
    if (sel.ke && refuse_ke_group(s, m, sel.ke))
        return;
    if (sel.ke && rekey_dh(m, sel.ke, &dh, &gir, &gir_len) < 0) {
        refuse_malformed(s, &s->sa, IKE_CREATE_CHILD_SA, id, "KE payload of its CHILD_SA rekey");
        return;
    }
    do {
        RAND_bytes((uint8_t *)&spi_in, sizeof(spi_in));
    } while (spi_in < 256 || spi_in == s->cur.spi_in || spi_in == s->rk_spi_in);
    RAND_bytes(nr, sizeof(nr));

    /* the gateway initiated: its nonce first, its direction (to us) the first keys */
    uint8_t *keep = NULL;
    size_t keep_len = 0;
    int r = install_child(s, &c, &esp, spi_in, false, gir, gir_len, ni->data, ni->len, nr,
                          sizeof(nr), collision ? &keep : NULL, &keep_len);
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        ike_dh_free(dh);
        send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_TEMPORARY_FAILURE);
        return;
    }

    struct ike_builder b;
    chosen.spi_len = 4;
    uip_put32(chosen.spi, spi_in);
    begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, true, id);
    ike_build_sa(&b, &chosen, 1);
    ike_build_nonce(&b, nr, sizeof(nr));
    add_ke(&b, dh);
    ike_build_ts(&b, IKE_PL_TSI, c.remote_ts, c.n_remote_ts);
    ike_build_ts(&b, IKE_PL_TSR, c.local_ts, c.n_local_ts);
    respond(&s->sa, &b, s);
    ike_dh_free(dh);

    if (collision) {
        s->coll.active = true;
        s->coll.promoted = false;
        s->coll.ids = (struct child_ids){spi_in, esp.spi, true};
        s->coll.child = c;
        s->coll.out_keymat = keep;
        s->coll.out_keymat_len = keep_len;
        s->coll.lower_len = lower_nonce(ni->data, ni->len, nr, sizeof(nr), s->coll.lower_nonce);
        _LOGS(LOG_INFO, s,
              "CHILD_SA rekey collision: answered the gateway's rekey (%08x/%08x, inbound only "
              "until ours completes)",
              spi_in, esp.spi);
        return;
    }
    /* the old one stays until the gateway deletes it; an older one goes now */
    remove_child_ids(s, &s->prev);
    s->prev = s->cur;
    s->cur = (struct child_ids){spi_in, esp.spi, true};
    s->child = c;
    if (s->prev.installed)
        _LOGS(LOG_INFO, s, "CHILD_SA rekeyed by the gateway: %08x/%08x replaces %08x/%08x",
              spi_in, esp.spi, s->prev.spi_in, s->prev.spi_out);
    else
        _LOGS(LOG_INFO, s, "new CHILD_SA from the gateway: %08x/%08x", spi_in, esp.spi);
    arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, on_child_rekey_timer);
    if (s->cb.child_rekeyed)
        s->cb.child_rekeyed(s->user, &s->child);
}

/* The gateway rekeys the IKE SA (RFC 7296 2.18): the new SA is the gateway's,
 * so there we are the responder; the old one stays until it is deleted.
 * @collision: our own IKE SA rekey is out (RFC 7296 2.8.2): the new SA waits
 * in s->ike_coll until ours completes (on_rekey_ike_response()). */
static void rekey_ike(struct ike_session *s, const struct ike_msg *m,
                      const struct ike_proposal *theirs, unsigned n_theirs,
                      const struct ike_nonce *ni, bool collision)
{
    uint32_t id = m->hdr.msg_id;
    struct ike_proposal chosen;
    struct sa_ctx n = {0};
    uint8_t nr[NONCE_LEN], *gir = NULL;
    size_t gir_len;
    struct ike_dh *dh = NULL;

    if (ike_proposal_choose(s->ike_props, s->n_ike_props, theirs, n_theirs, &chosen, &n.sel) < 0 ||
        n.sel.spi_len != 8) {
        send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_NO_PROPOSAL_CHOSEN);
        _LOGS(LOG_WARNING, s, "refused the gateway's IKE_SA rekey: no acceptable proposal");
        return;
    }
    if (refuse_ke_group(s, m, n.sel.ke))
        return;
    if (rekey_dh(m, n.sel.ke, &dh, &gir, &gir_len) < 0) {
        refuse_malformed(s, &s->sa, IKE_CREATE_CHILD_SA, id, "KE payload of its IKE_SA rekey");
        return;
    }
    /* the new SA is the gateway's: its SPI is SPIi, ours SPIr */
    n.spi_i = uip_get64(n.sel.spi);
    do {
        RAND_bytes((uint8_t *)&n.spi_r, sizeof(n.spi_r));
    } while (n.spi_r == 0);
    RAND_bytes(nr, sizeof(nr));
    int r = derive_rekeyed_sa(s, &n, gir, gir_len, ni->data, ni->len, nr, sizeof(nr));
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        ike_dh_free(dh);
        sa_ctx_clear(&n);
        send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_NO_PROPOSAL_CHOSEN);
        return;
    }

    struct ike_builder b;
    chosen.spi_len = 8;
    uip_put64(chosen.spi, n.spi_r);
    begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, true, id);
    ike_build_sa(&b, &chosen, 1);
    ike_build_nonce(&b, nr, sizeof(nr));
    add_ke(&b, dh);
    respond(&s->sa, &b, s);
    ike_dh_free(dh);

    if (collision) {
        s->ike_coll = n;
        s->has_ike_coll = true;
        s->ike_coll_lower_len = lower_nonce(ni->data, ni->len, nr, sizeof(nr), s->ike_coll_lower);
        _LOGS(LOG_INFO, s, "IKE_SA rekey collision: answered the gateway's rekey; ours decides");
        return;
    }
    /* the old SA lives until the gateway deletes it */
    switch_sa(s, &n, true);
    _LOGS(LOG_INFO, s, "IKE_SA rekeyed by the gateway: %s", s->info.ike_proposal);
}

static void on_create_child(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_proposal theirs[IKE_MAX_PROPOSALS];
    unsigned n_theirs;
    struct ike_nonce ni;
    struct ike_notify n;
    const struct ike_pl *pl_sa = ike_msg_find(m, IKE_PL_SA, NULL);
    const struct ike_pl *pl_n = ike_msg_find(m, IKE_PL_NONCE, NULL);

    if (!pl_sa || !pl_n || ike_sa_parse(pl_sa, theirs, G_N_ELEMENTS(theirs), &n_theirs) < 0 ||
        n_theirs == 0 || ike_nonce_parse(pl_n, &ni) < 0) {
        refuse_malformed(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                         "CREATE_CHILD_SA request (SA or nonce payload)");
        return;
    }
    /* take the group its KE payload is for, where we accept it (RFC 7296 1.3) */
    uint16_t ke_group = request_ke_group(m);
    if (ke_group)
        ike_proposals_front_ke(theirs, n_theirs, ke_group);
    /* RFC 7296 2.25: while we rekey the IKE SA, or delete a CHILD_SA, or
     * rekey the CHILD_SA and the gateway the IKE SA, it tries again later */
    bool child_rekey_out = s->request && s->request_kind == REQ_REKEY_CHILD;
    bool ike_rekey_out = s->request && s->request_kind == REQ_REKEY_IKE;
    if (ike_rekey_out && theirs[0].protocol == IKE_PROTO_IKE && !s->has_ike_coll && !s->has_old) {
        rekey_ike(s, m, theirs, n_theirs, &ni, true);
        return;
    }
    if (s->request && (ike_rekey_out || s->request_kind == REQ_DELETE_CHILD ||
                       s->request_kind == REQ_DELETE_REDUNDANT ||
                       (child_rekey_out && theirs[0].protocol == IKE_PROTO_IKE))) {
        send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                            IKE_N_TEMPORARY_FAILURE);
        _LOGS(LOG_INFO, s, "rekey collision: asked the gateway to retry later");
        return;
    }
    if (theirs[0].protocol == IKE_PROTO_IKE) {
        rekey_ike(s, m, theirs, n_theirs, &ni, false);
        return;
    }
    if (find_notify(m, IKE_N_REKEY_SA, &n)) {
        uint32_t spi = n.spi_size == 4 ? uip_get32(n.spi) : 0;
        if (n.protocol != IKE_PROTO_ESP || spi != s->cur.spi_out) {
            send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                                IKE_N_CHILD_SA_NOT_FOUND);
            return;
        }
        if (child_rekey_out && s->coll.active) {
            /* a second rekey of the same SA before ours is answered */
            send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                                IKE_N_TEMPORARY_FAILURE);
            return;
        }
        rekey_child(s, m, theirs, n_theirs, &ni, child_rekey_out);
        return;
    }
    if (!s->cur.installed && !child_rekey_out) {
        /* it deleted our CHILD_SA (an expiry, say) and makes a new one */
        rekey_child(s, m, theirs, n_theirs, &ni, false);
        return;
    }
    /* a second CHILD_SA: one tunnel is all a VPN connection needs */
    send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                        child_rekey_out ? IKE_N_TEMPORARY_FAILURE : IKE_N_NO_ADDITIONAL_SAS);
}

static void on_peer_request(struct ike_session *s, struct sa_ctx *sa, const struct ike_msg *m)
{
    uint32_t id = m->hdr.msg_id;

    if (sa == &s->old || sa == &s->ike_coll) {
        /* After a rekey the gateway deletes the old IKE SA (or, after a
         * collision it lost, its redundant new one).  A CHILD_SA rekey it
         * started there meanwhile is refused with TEMPORARY_FAILURE (its keys
         * would come from that SA's SK_d), so it retries on the current SA;
         * anything else gets an empty answer. */
        if (m->hdr.exchange == IKE_CREATE_CHILD_SA) {
            send_error_response(s, sa, m->hdr.exchange, id, IKE_N_TEMPORARY_FAILURE);
            _LOGS(LOG_INFO, s, "CREATE_CHILD_SA on the old IKE SA: asked the gateway to retry");
            return;
        }
        bool delete_ike = false;
        for (const struct ike_pl *pl = ike_msg_find(m, IKE_PL_DELETE, NULL); pl;
             pl = ike_msg_find(m, IKE_PL_DELETE, pl)) {
            struct ike_delete del;
            if (ike_delete_parse(pl, &del) == 0 && del.protocol == IKE_PROTO_IKE)
                delete_ike = true;
        }
        send_response(s, sa, m->hdr.exchange, id, NULL, 0);
        if (delete_ike && sa == &s->ike_coll) {
            _LOGS(LOG_INFO, s, "IKE_SA rekey collision won: the gateway deleted its redundant IKE_SA");
            sa_ctx_clear(&s->ike_coll);
            s->has_ike_coll = false;
        } else if (delete_ike) {
            _LOGS(LOG_INFO, s, "old IKE_SA deleted");
            sa_ctx_clear(&s->old);
            s->has_old = false;
        }
        return;
    }
    if (m->hdr.exchange == IKE_CREATE_CHILD_SA) {
        on_create_child(s, m);
        return;
    }
    if (m->hdr.exchange != IKE_INFORMATIONAL) {
        refuse_malformed(s, sa, m->hdr.exchange, id, "request of an unexpected exchange type");
        return;
    }

    bool delete_ike = false, delete_cur = false, delete_prev = false;
    bool delete_red = false, delete_coll = false;
    bool coll_pending = s->coll.active && !s->coll.promoted;
    for (const struct ike_pl *pl = ike_msg_find(m, IKE_PL_DELETE, NULL); pl;
         pl = ike_msg_find(m, IKE_PL_DELETE, pl)) {
        struct ike_delete del;
        if (ike_delete_parse(pl, &del) < 0)
            continue;
        if (del.protocol == IKE_PROTO_IKE)
            delete_ike = true;
        for (unsigned i = 0; del.protocol == IKE_PROTO_ESP && i < del.n_spis; i++) {
            uint32_t spi = ike_delete_spi(&del, i);
            delete_cur |= s->cur.installed && spi == s->cur.spi_out;
            delete_prev |= s->prev.installed && spi == s->prev.spi_out;
            delete_red |= s->redundant.installed && spi == s->redundant.spi_out;
            delete_coll |= coll_pending && spi == s->coll.ids.spi_out;
        }
    }
    if (delete_ike && s->has_ike_coll) {
        /* it won the collision and deleted the old IKE SA before our rekey
         * was answered: its new SA takes over (ours it will delete) */
        send_response(s, sa, IKE_INFORMATIONAL, id, NULL, 0);
        _LOGS(LOG_INFO, s, "IKE_SA rekey collision lost: the gateway deleted the old IKE_SA");
        ike_coll_adopt(s, false);
        return;
    }
    if (delete_ike) {
        send_response(s, sa, IKE_INFORMATIONAL, id, NULL, 0);
        fail(s, IKE_FAIL_PROTOCOL, "the gateway closed the connection");
        return;
    }
    if (delete_cur && !coll_pending) {
        /* not the end of the connection (that deletes the IKE SA): an
         * expiry, or an administrator.  The IKE SA stays; unless the gateway
         * makes a new CHILD_SA first, we ask for one in a second. */
        send_response(s, sa, IKE_INFORMATIONAL, id, &s->cur.spi_in, 1);
        _LOGS(LOG_WARNING, s, "the gateway deleted the CHILD_SA %08x/%08x; asking for a new one",
              s->cur.spi_in, s->cur.spi_out);
        remove_child(s);
        s->create_retries = 0;
        arm_timer(s, &s->child_rekey_timer, 1, on_child_rekey_timer);
        return;
    }

    /* the end of a rekey, or of a collision; our answer names our inbound SPIs */
    uint32_t spis[3];
    unsigned n = 0;
    if (delete_red) {
        _LOGS(LOG_INFO, s, "redundant CHILD_SA %08x/%08x deleted", s->redundant.spi_in,
              s->redundant.spi_out);
        spis[n++] = s->redundant.spi_in;
        remove_child_ids(s, &s->redundant);
    }
    if (delete_coll) {
        /* the gateway lost the collision: our rekey goes on as usual */
        _LOGS(LOG_INFO, s, "CHILD_SA rekey collision won: the gateway deleted its redundant %08x/%08x",
              s->coll.ids.spi_in, s->coll.ids.spi_out);
        spis[n++] = s->coll.ids.spi_in;
        remove_child_ids(s, &s->coll.ids);
        coll_clear(s);
    } else if (delete_cur) {
        /* the gateway won the collision and deleted the old SA before our
         * rekey was answered: its SA takes over now */
        spis[n++] = s->cur.spi_in;
        if (coll_promote(s) < 0) {
            send_response(s, sa, IKE_INFORMATIONAL, id, spis, n);
            fail(s, IKE_FAIL_CONFIG, "cannot install the new CHILD_SA");
            return;
        }
        delete_prev = true; /* the old SA, now s->prev */
    }
    if (delete_prev) {
        _LOGS(LOG_INFO, s, "old CHILD_SA %08x/%08x deleted", s->prev.spi_in, s->prev.spi_out);
        if (!delete_cur)
            spis[n++] = s->prev.spi_in;
        remove_child_ids(s, &s->prev);
    }
    /* or a liveness check, or notifies: an empty answer */
    send_response(s, sa, IKE_INFORMATIONAL, id, spis, n);
    report_auth_lifetime(s, m);
}

static gboolean on_dpd(gpointer data)
{
    struct ike_session *s = data;
    int64_t quiet = g_get_monotonic_time() - s->last_seen_us;

    if (s->state != ST_ESTABLISHED || s->request)
        return G_SOURCE_CONTINUE;
    if (quiet < (int64_t)s->dpd_interval * G_USEC_PER_SEC)
        return G_SOURCE_CONTINUE;
    struct ike_builder b;
    begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    if (send_built_request(s, &b, REQ_OTHER))
        _LOGS(LOG_DEBUG, s, "liveness check sent");
    return G_SOURCE_CONTINUE;
}

static void start_dpd(struct ike_session *s)
{
    s->last_seen_us = g_get_monotonic_time();
    if (!s->dpd_interval)
        return;
    s->dpd_timer = g_timeout_source_new_seconds(1);
    g_source_set_callback(s->dpd_timer, on_dpd, s, NULL);
    g_source_attach(s->dpd_timer, s->ctx);
}

/* ---- our rekeys ----------------------------------------------------------------------- */

static void arm_timer(struct ike_session *s, GSource **src, unsigned seconds, GSourceFunc fn)
{
    stop_timer(src);
    if (!seconds)
        return;
    *src = g_timeout_source_new_seconds(seconds);
    g_source_set_callback(*src, fn, s, NULL);
    g_source_attach(*src, s->ctx);
}

static gboolean on_child_rekey_timer(gpointer data)
{
    struct ike_session *s = data;

    g_source_unref(g_steal_pointer(&s->child_rekey_timer));
    ike_session_rekey_child(s);
    return G_SOURCE_REMOVE;
}

static gboolean on_ike_rekey_timer(gpointer data)
{
    struct ike_session *s = data;

    g_source_unref(g_steal_pointer(&s->ike_rekey_timer));
    ike_session_rekey_ike(s);
    return G_SOURCE_REMOVE;
}

/* Another request is out: try again in a second. */
static bool busy(struct ike_session *s, GSource **timer, GSourceFunc fn)
{
    if (s->state != ST_ESTABLISHED)
        return true;
    if (s->request) {
        arm_timer(s, timer, 1, fn);
        return true;
    }
    return false;
}

/* The gateway said no (@err) to our rekey: the old SA goes on; try again soon
 * after a collision (TEMPORARY_FAILURE), later otherwise. */
static void rekey_refused(struct ike_session *s, const char *what, uint16_t err, GSource **timer,
                          GSourceFunc fn)
{
    _LOGS(LOG_WARNING, s, "the gateway refused our %s rekey (%s); retrying later", what,
          notify_name(err));
    arm_timer(s, timer, err == IKE_N_TEMPORARY_FAILURE ? 2 : 30, fn);
}

/* Rekey the CHILD_SA; or, when the gateway deleted it, ask for a new one
 * (the same exchange without REKEY_SA, RFC 7296 1.3.1). */
void ike_session_rekey_child(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t spi_be[4], old_be[4];
    bool create = !s->cur.installed;

    if (busy(s, &s->child_rekey_timer, on_child_rekey_timer))
        return;
    do {
        RAND_bytes((uint8_t *)&s->rk_spi_in, sizeof(s->rk_spi_in));
    } while (s->rk_spi_in < 256 || s->rk_spi_in == s->cur.spi_in);
    RAND_bytes(s->rk_ni, sizeof(s->rk_ni));
    uip_put32(spi_be, s->rk_spi_in);
    uip_put32(old_be, s->cur.spi_in);
    /* the ESP proposals as configured: a key exchange method in them means PFS */
    memcpy(s->rk_props, s->esp_pfs_props, sizeof(s->esp_pfs_props));
    s->n_rk_props = s->n_esp_props;
    ike_proposals_set_spi(s->rk_props, s->n_rk_props, spi_be, 4);
    uint16_t pfs;
    ike_dh_free(g_steal_pointer(&s->rk_dh));
    if (ike_proposals_first_ke(s->rk_props, s->n_rk_props, &pfs) == 0 && pfs &&
        ike_dh_new(pfs, &s->rk_dh) < 0)
        return;

    begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, false, s->sa.next_id);
    if (!create)
        ike_build_notify(&b, IKE_PROTO_ESP, old_be, 4, IKE_N_REKEY_SA, NULL, 0);
    ike_build_sa(&b, s->rk_props, s->n_rk_props);
    ike_build_nonce(&b, s->rk_ni, sizeof(s->rk_ni));
    add_ke(&b, s->rk_dh);
    ike_build_ts(&b, IKE_PL_TSI, s->child.local_ts, s->child.n_local_ts);
    ike_build_ts(&b, IKE_PL_TSR, s->child.remote_ts, s->child.n_remote_ts);
    if (!send_built_request(s, &b, REQ_REKEY_CHILD))
        return;
    if (create)
        _LOGS(LOG_INFO, s, "asking for a new CHILD_SA");
    else
        _LOGS(LOG_INFO, s, "rekeying CHILD_SA %08x/%08x", s->cur.spi_in, s->cur.spi_out);
}

/*
 * A rekey collision ends with the gateway's new SA as the winner: its
 * outbound half goes in (replacing the old one), it becomes current, and
 * the old SA waits for the gateway's DELETE.  0 or -errno (nothing changed).
 */
static int coll_promote(struct ike_session *s)
{
    struct ike_child c = s->coll.child;

    c.in.keymat = NULL;
    c.out.keymat = s->coll.out_keymat;
    c.out.keymat_len = s->coll.out_keymat_len;
    int r = s->cb.child_install ? s->cb.child_install(s->user, &c) : 0;
    c.out.keymat = NULL;
    uip_free_secret(g_steal_pointer(&s->coll.out_keymat), s->coll.out_keymat_len);
    s->coll.out_keymat_len = 0;
    if (r < 0)
        return r;
    remove_child_ids(s, &s->prev);
    s->prev = s->cur;
    s->cur = s->coll.ids;
    s->child = c;
    s->coll.promoted = true;
    _LOGS(LOG_INFO, s, "CHILD_SA rekeyed by the gateway: %08x/%08x replaces %08x/%08x",
          s->cur.spi_in, s->cur.spi_out, s->prev.spi_in, s->prev.spi_out);
    arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, on_child_rekey_timer);
    if (s->cb.child_rekeyed)
        s->cb.child_rekeyed(s->user, &s->child);
    return 0;
}

/*
 * Our rekey collided with the gateway's and was refused or lost: the
 * gateway's SA is the new one.  False when the session failed.
 */
static bool coll_concede(struct ike_session *s)
{
    int r = s->coll.promoted ? 0 : coll_promote(s);

    coll_clear(s);
    if (r < 0)
        fail(s, IKE_FAIL_CONFIG, "cannot install the new CHILD_SA: %s", g_strerror(-r));
    return r == 0;
}

static void on_rekey_child_response(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n_reply;
    struct ike_selected sel;
    struct ike_esp_params esp;
    struct ike_nonce nr;
    struct ike_child c = s->child;
    const struct ike_pl *pl_sa = ike_msg_find(m, IKE_PL_SA, NULL);
    const struct ike_pl *pl_n = ike_msg_find(m, IKE_PL_NONCE, NULL);
    uint16_t err = error_notify(m);

    request_done(s);
    if (gateway_gave_up(s, err, "CHILD_SA rekey"))
        return;
    if (err && s->coll.active) {
        _LOGS(LOG_INFO, s, "the gateway refused our CHILD_SA rekey (%s) and rekeyed it itself",
              notify_name(err));
        coll_concede(s);
        return;
    }
    if (err && !s->cur.installed) {
        /* busy making one itself, say: it may send it, or we ask again */
        if (err == IKE_N_TEMPORARY_FAILURE && ++s->create_retries <= CREATE_RETRIES_MAX) {
            _LOGS(LOG_INFO, s, "the gateway cannot make a new CHILD_SA yet; asking again");
            arm_timer(s, &s->child_rekey_timer, 1, on_child_rekey_timer);
            return;
        }
        fail(s, IKE_FAIL_PROTOCOL, "the gateway deleted the tunnel and refused a new one (%s)",
             notify_name(err));
        return;
    }
    if (err) {
        rekey_refused(s, "CHILD_SA", err, &s->child_rekey_timer, on_child_rekey_timer);
        return;
    }
    if (!pl_sa || !pl_n || ike_sa_parse(pl_sa, reply, G_N_ELEMENTS(reply), &n_reply) < 0 ||
        ike_proposal_select_reply(s->rk_props, s->n_rk_props, reply, n_reply, &sel) < 0 ||
        ike_selected_esp_params(&sel, &esp) < 0 || ike_nonce_parse(pl_n, &nr) < 0 ||
        !read_ts_pair(s, m, c.local_ts, &c.n_local_ts, c.remote_ts, &c.n_remote_ts)) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway's answer to our CHILD_SA rekey is unusable");
        return;
    }
    /* PFS: the group we offered and the gateway chose */
    uint8_t *gir = NULL;
    size_t gir_len = 0;
    if (sel.ke) {
        const struct ike_pl *pl_ke = ike_msg_find(m, IKE_PL_KE, NULL);
        struct ike_ke ke;
        if (!s->rk_dh || sel.ke != ike_dh_group(s->rk_dh) || !pl_ke || ike_ke_parse(pl_ke, &ke) < 0 ||
            ke.group != sel.ke || ike_dh_compute(s->rk_dh, ke.data, ke.len, &gir, &gir_len) < 0) {
            fail(s, IKE_FAIL_PROTOCOL, "the gateway's key exchange in our CHILD_SA rekey is unusable");
            return;
        }
    }
    ike_dh_free(g_steal_pointer(&s->rk_dh));

    struct ike_builder b;
    if (s->coll.active) {
        if (collision_lost(s, &nr, s->coll.lower_nonce, s->coll.lower_len)) {
            uip_free_secret(gir, gir_len);
            _LOGS(LOG_INFO, s, "CHILD_SA rekey collision lost: deleting our redundant %08x/%08x",
                  s->rk_spi_in, esp.spi);
            if (!coll_concede(s))
                return;
            begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
            ike_build_delete(&b, IKE_PROTO_ESP, &s->rk_spi_in, 1);
            send_built_request(s, &b, REQ_DELETE_REDUNDANT);
            return;
        }
        _LOGS(LOG_INFO, s, "CHILD_SA rekey collision won: the gateway deletes its %08x/%08x",
              s->coll.ids.spi_in, s->coll.ids.spi_out);
        if (!s->coll.promoted) {
            remove_child_ids(s, &s->redundant);
            s->redundant = s->coll.ids;
        }
        coll_clear(s);
    }
    int r = install_child(s, &c, &esp, s->rk_spi_in, true, gir, gir_len, s->rk_ni,
                          sizeof(s->rk_ni), nr.data, nr.len, NULL, NULL);
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        fail(s, IKE_FAIL_CONFIG, "cannot install the new CHILD_SA: %s", g_strerror(-r));
        return;
    }
    remove_child_ids(s, &s->prev);
    s->prev = s->cur;
    s->cur = (struct child_ids){s->rk_spi_in, esp.spi, true};
    s->child = c;
    arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, on_child_rekey_timer);
    if (s->prev.installed)
        _LOGS(LOG_INFO, s, "CHILD_SA rekeyed: %08x/%08x replaces %08x/%08x", s->cur.spi_in,
              s->cur.spi_out, s->prev.spi_in, s->prev.spi_out);
    else /* a new one after the gateway deleted ours */
        _LOGS(LOG_INFO, s, "new CHILD_SA %08x/%08x", s->cur.spi_in, s->cur.spi_out);
    if (s->cb.child_rekeyed)
        s->cb.child_rekeyed(s->user, &s->child);
    if (!s->prev.installed)
        return;

    /* delete the old one; its inbound SA takes late packets until then */
    begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    ike_build_delete(&b, IKE_PROTO_ESP, &s->prev.spi_in, 1);
    send_built_request(s, &b, REQ_DELETE_CHILD);
}

/* DELETE an IKE SA over itself, without waiting for the answer. */
static void send_ike_delete_on(struct ike_session *s, struct sa_ctx *sa)
{
    struct ike_builder b;

    begin_encrypted_on(sa, &b, IKE_INFORMATIONAL, false, sa->next_id++);
    ike_build_delete(&b, IKE_PROTO_IKE, NULL, 0);
    GPtrArray *msg = seal_on(sa, &b);
    ike_builder_clear(&b);
    if (msg) {
        transmit(s, msg);
        g_ptr_array_unref(msg);
    }
}

void ike_session_rekey_ike(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t spi_be[8];
    const uint8_t *pub;
    size_t pub_len;

    if (busy(s, &s->ike_rekey_timer, on_ike_rekey_timer))
        return;
    ike_dh_free(g_steal_pointer(&s->rk_dh));
    if (ike_dh_new(s->sa.sel.ke, &s->rk_dh) < 0)
        return;
    do {
        RAND_bytes((uint8_t *)&s->rk_spi, sizeof(s->rk_spi));
    } while (s->rk_spi == 0);
    uip_put64(spi_be, s->rk_spi);
    RAND_bytes(s->rk_ni, sizeof(s->rk_ni));
    memcpy(s->rk_props, s->ike_props, sizeof(s->ike_props));
    s->n_rk_props = s->n_ike_props;
    ike_proposals_prefer_ke(s->rk_props, s->n_rk_props, s->sa.sel.ke);
    ike_proposals_set_spi(s->rk_props, s->n_rk_props, spi_be, 8);
    ike_dh_public(s->rk_dh, &pub, &pub_len);

    begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, false, s->sa.next_id);
    ike_build_sa(&b, s->rk_props, s->n_rk_props);
    ike_build_nonce(&b, s->rk_ni, sizeof(s->rk_ni));
    ike_build_ke(&b, s->sa.sel.ke, pub, pub_len);
    if (send_built_request(s, &b, REQ_REKEY_IKE))
        _LOGS(LOG_INFO, s, "rekeying the IKE_SA");
}

static void on_rekey_ike_response(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n_reply;
    struct ike_nonce nr;
    struct ike_ke ke;
    struct sa_ctx n = {0};
    const struct ike_pl *pl_sa = ike_msg_find(m, IKE_PL_SA, NULL);
    const struct ike_pl *pl_n = ike_msg_find(m, IKE_PL_NONCE, NULL);
    const struct ike_pl *pl_ke = ike_msg_find(m, IKE_PL_KE, NULL);
    uint16_t err = error_notify(m);

    request_done(s);
    if (gateway_gave_up(s, err, "IKE_SA rekey"))
        return;
    if (err && s->has_ike_coll) {
        _LOGS(LOG_INFO, s, "the gateway refused our IKE_SA rekey (%s) and rekeyed it itself",
              notify_name(err));
        ike_coll_adopt(s, true); /* the old one until the gateway deletes it */
        return;
    }
    if (err) {
        rekey_refused(s, "IKE_SA", err, &s->ike_rekey_timer, on_ike_rekey_timer);
        return;
    }
    if (!pl_sa || !pl_n || !pl_ke || ike_sa_parse(pl_sa, reply, G_N_ELEMENTS(reply), &n_reply) < 0 ||
        ike_proposal_select_reply(s->rk_props, s->n_rk_props, reply, n_reply, &n.sel) < 0 ||
        n.sel.spi_len != 8 || ike_nonce_parse(pl_n, &nr) < 0 || ike_ke_parse(pl_ke, &ke) < 0 ||
        ke.group != ike_dh_group(s->rk_dh)) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway's answer to our IKE_SA rekey is unusable");
        return;
    }
    uint8_t *gir = NULL;
    size_t gir_len;
    int r = ike_dh_compute(s->rk_dh, ke.data, ke.len, &gir, &gir_len);
    ike_dh_free(g_steal_pointer(&s->rk_dh));
    if (r < 0) {
        fail(s, IKE_FAIL_PROTOCOL, "the gateway's public key in the IKE_SA rekey is invalid");
        return;
    }
    /* ours: we are its initiator */
    n.we_initiated = true;
    n.spi_i = s->rk_spi;
    n.spi_r = uip_get64(n.sel.spi);
    r = derive_rekeyed_sa(s, &n, gir, gir_len, s->rk_ni, sizeof(s->rk_ni), nr.data, nr.len);
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        sa_ctx_clear(&n);
        fail(s, IKE_FAIL_PROTOCOL, "IKE_SA rekey key derivation failed");
        return;
    }

    if (s->has_ike_coll) {
        if (collision_lost(s, &nr, s->ike_coll_lower, s->ike_coll_lower_len)) {
            _LOGS(LOG_INFO, s, "IKE_SA rekey collision lost: deleting our redundant IKE_SA");
            send_ike_delete_on(s, &n);
            sa_ctx_clear(&n);
            ike_coll_adopt(s, true); /* the old one until the gateway deletes it */
            return;
        }
        _LOGS(LOG_INFO, s, "IKE_SA rekey collision won: the gateway deletes its redundant IKE_SA");
    }
    /* delete the old IKE SA over itself; we do not wait for the answer */
    send_ike_delete_on(s, &s->sa);
    switch_sa(s, &n, false);
    if (s->has_ike_coll) {
        /* the gateway's redundant one, until it deletes it */
        s->old = s->ike_coll;
        s->has_old = true;
        s->has_ike_coll = false;
        memset(&s->ike_coll, 0, sizeof(s->ike_coll));
    }
    _LOGS(LOG_INFO, s, "IKE_SA rekeyed: %s", s->info.ike_proposal);
}

void ike_session_traffic_seen(struct ike_session *s)
{
    s->last_seen_us = g_get_monotonic_time();
}

/* ---- input ------------------------------------------------------------------------ */

static void frags_reset(struct ike_session *s)
{
    for (unsigned i = 0; i < IKE_MAX_FRAGMENTS; i++)
        if (s->frags.parts[i]) {
            gsize n = 0;
            uip_wipe((void *)g_bytes_get_data(s->frags.parts[i], &n), n);
            g_clear_pointer(&s->frags.parts[i], g_bytes_unref);
        }
    memset(&s->frags, 0, sizeof(s->frags));
}

/*
 * RFC 7383 2.6: keep the decrypted content of one fragment.  Returns true
 * and the whole inner chain in @out when the message is complete.
 */
static bool frags_add(struct ike_session *s, const struct ike_msg *m, const struct ike_sk *sk,
                      const uint8_t *inner, size_t inner_len, GBytes **out)
{
    bool response = m->hdr.flags & IKE_FLAG_RESPONSE;

    if (sk->frag_total > IKE_MAX_FRAGMENTS || sk->frag_num == 0 || sk->frag_num > sk->frag_total)
        return false;
    if (s->frags.total &&
        (s->frags.msg_id != m->hdr.msg_id || s->frags.response != response ||
         s->frags.total != sk->frag_total))
        frags_reset(s); /* a new message: the old one will never complete */
    if (s->frags.parts[sk->frag_num - 1])
        return false; /* duplicate */
    if (s->frags.bytes + inner_len > IKE_MAX_MSG_LEN) {
        frags_reset(s);
        return false;
    }
    s->frags.msg_id = m->hdr.msg_id;
    s->frags.response = response;
    s->frags.total = sk->frag_total;
    if (sk->frag_num == 1)
        s->frags.first_type = sk->first_type;
    s->frags.parts[sk->frag_num - 1] = g_bytes_new(inner, inner_len);
    s->frags.bytes += inner_len;
    if (++s->frags.have < s->frags.total)
        return false;
    GByteArray *all = g_byte_array_sized_new((guint)s->frags.bytes);
    for (unsigned i = 0; i < s->frags.total; i++) {
        gsize n = 0;
        const uint8_t *d = g_bytes_get_data(s->frags.parts[i], &n);
        g_byte_array_append(all, d, (guint)n);
    }
    *out = g_byte_array_free_to_bytes(all);
    return true;
}

/* The IKE SA a message belongs to, or NULL. */
static struct sa_ctx *find_sa(struct ike_session *s, const struct ike_hdr *h)
{
    if (h->spi_i == s->sa.spi_i && h->spi_r == s->sa.spi_r)
        return &s->sa;
    if (s->has_old && h->spi_i == s->old.spi_i && h->spi_r == s->old.spi_r)
        return &s->old;
    if (s->has_ike_coll && h->spi_i == s->ike_coll.spi_i && h->spi_r == s->ike_coll.spi_r)
        return &s->ike_coll;
    return NULL;
}

bool ike_session_owns(const struct ike_session *s, const uint8_t *msg, size_t len)
{
    struct ike_hdr h;

    if (ike_hdr_parse(msg, len, &h) < 0)
        return false;
    return h.spi_i == s->sa.spi_i || (s->has_old && h.spi_i == s->old.spi_i) ||
           (s->has_ike_coll && h.spi_i == s->ike_coll.spi_i);
}

void ike_session_input(struct ike_session *s, const uint8_t *buf, size_t len)
{
    struct ike_msg m;
    g_autofree uint8_t *copy = NULL;

    if (s->state == ST_DONE || s->state == ST_IDLE)
        return;
    if (ike_msg_parse(buf, len, &m) < 0) {
        s->dropped++;
        return;
    }
    bool response = m.hdr.flags & IKE_FLAG_RESPONSE;

    if (m.hdr.exchange == IKE_SA_INIT) {
        if (s->state != ST_INIT_SENT || !response || m.hdr.spi_i != s->sa.spi_i ||
            (m.hdr.flags & IKE_FLAG_INITIATOR) || m.hdr.msg_id != 0) {
            s->dropped++;
            return;
        }
        on_init_response(s, &m);
        return;
    }

    /* everything else is protected and belongs to a known IKE SA */
    struct sa_ctx *sa = find_sa(s, &m.hdr);
    if (!sa || !sa->dec || m.sk < 0 ||
        !!(m.hdr.flags & IKE_FLAG_INITIATOR) == sa->we_initiated) {
        s->dropped++;
        return;
    }
    if (response && (sa != &s->sa || !s->request || m.hdr.msg_id != s->request_id)) {
        s->dropped++; /* late duplicate */
        return;
    }
    if (!response) {
        if (m.hdr.msg_id + 1 == sa->peer_next_id && sa->last_response) {
            transmit(s, sa->last_response); /* our answer got lost */
            return;
        }
        if (m.hdr.msg_id != sa->peer_next_id) {
            s->dropped++;
            return;
        }
    }
    struct ike_sk sk;
    if (ike_sk_parse(&m.pl[m.sk], &sk) < 0) {
        s->dropped++;
        return;
    }
    copy = g_memdup2(buf, len);
    size_t body_off = (size_t)(sk.enc - buf);
    size_t sk_off = body_off - (sk.frag_total ? 8 : 4);
    uint8_t *inner;
    size_t inner_len;
    if (ike_sk_decrypt(sa->dec, copy, len, sk_off, body_off, &inner, &inner_len) < 0) {
        s->dropped++;
        _LOGS(LOG_DEBUG, s, "message %u did not decrypt: dropped", m.hdr.msg_id);
        return;
    }
    uint8_t first_type = sk.first_type;
    g_autoptr(GBytes) whole = NULL;
    if (sk.frag_total) {
        bool done = frags_add(s, &m, &sk, inner, inner_len, &whole);
        uip_wipe(copy, len);
        if (!done)
            return; /* more fragments to come */
        first_type = s->frags.first_type;
        _LOGS(LOG_INFO, s, "message %u reassembled from %u fragments", m.hdr.msg_id,
              s->frags.total);
        frags_reset(s);
        gsize n = 0;
        inner = (uint8_t *)g_bytes_get_data(whole, &n);
        inner_len = n;
    }
    if (ike_msg_parse_inner(&m, first_type, inner, inner_len) < 0) {
        uip_wipe(copy, len);
        s->dropped++;
        return;
    }
    s->last_seen_us = g_get_monotonic_time();

    if (!response) {
        if (s->state < ST_ESTABLISHED) {
            s->dropped++; /* nothing to answer before the tunnel is up */
        } else {
            sa->peer_next_id = m.hdr.msg_id + 1;
            on_peer_request(s, sa, &m);
        }
    } else if (m.hdr.exchange == IKE_AUTH &&
               (s->state == ST_AUTH_SENT || s->state == ST_EAP || s->state == ST_EAP_AUTH_SENT)) {
        on_auth_response(s, &m);
    } else if (m.hdr.exchange == IKE_CREATE_CHILD_SA && s->request_kind == REQ_REKEY_CHILD) {
        on_rekey_child_response(s, &m);
    } else if (m.hdr.exchange == IKE_CREATE_CHILD_SA && s->request_kind == REQ_REKEY_IKE) {
        on_rekey_ike_response(s, &m);
    } else if (m.hdr.exchange == IKE_INFORMATIONAL) {
        bool deleted_child = s->request_kind == REQ_DELETE_CHILD;
        request_done(s);
        if (s->state != ST_CLOSING && gateway_gave_up(s, error_notify(&m), "INFORMATIONAL request"))
            deleted_child = false; /* the session is over: nothing more to do */
        if (deleted_child) {
            _LOGS(LOG_INFO, s, "old CHILD_SA %08x/%08x deleted", s->prev.spi_in, s->prev.spi_out);
            remove_child_ids(s, &s->prev);
        }
        if (s->state == ST_CLOSING) {
            set_state(s, ST_DONE);
            remove_child(s);
            if (s->cb.closed)
                s->cb.closed(s->user);
        }
    } else {
        s->dropped++;
    }
    uip_wipe(copy, len);
    if (whole) {
        gsize n = 0;
        uip_wipe((void *)g_bytes_get_data(whole, &n), n);
    }
}

/* ---- life cycle --------------------------------------------------------------------- */

static int parse_proposals(const char *str, uint8_t protocol, struct ike_proposal *out,
                           unsigned *n, char *err, size_t err_len)
{
    char detail[64] = "";
    int r = str && *str ? ike_proposals_parse(str, protocol, out, IKE_MAX_PROPOSALS, n, detail,
                                              sizeof(detail))
                        : ike_proposals_default(protocol, out, IKE_MAX_PROPOSALS, n);
    if (r < 0)
        snprintf(err, err_len, "invalid %s proposal '%s': %s", protocol == IKE_PROTO_IKE ? "IKE" : "ESP",
                 str ? str : "", detail);
    return r < 0 ? -EINVAL : 0;
}

int ike_session_new(const struct ike_session_config *cfg, const struct ike_session_callbacks *cb,
                    void *user, GMainContext *ctx, struct ike_session **out, char *err,
                    size_t err_len)
{
    g_autofree struct ike_session *s = g_new0(struct ike_session, 1);
    char addr[INET6_ADDRSTRLEN];
    int r;

    if (!cb || !cb->send || cfg->gateway_len == 0 || cfg->gateway_len > sizeof(s->gateway) ||
        cfg->local_len > sizeof(s->local)) {
        snprintf(err, err_len, "no gateway address");
        return -EINVAL;
    }
    if (cfg->auth == IKE_AUTHM_PSK && (!cfg->psk || cfg->psk_len == 0)) {
        snprintf(err, err_len, "no pre-shared key");
        return -EINVAL;
    }
    if (cfg->auth == IKE_AUTHM_EAP_MSCHAPV2 && (!cfg->eap_identity || !cfg->eap_password)) {
        snprintf(err, err_len, "EAP needs a user name and a password");
        return -EINVAL;
    }
    if ((cfg->auth == IKE_AUTHM_CERT || cfg->auth == IKE_AUTHM_EAP_TLS) &&
        (!cfg->user_cert || !*cfg->user_cert)) {
        snprintf(err, err_len, "certificate authentication needs a certificate and a key");
        return -EINVAL;
    }
    if (cfg->n_local_ts > IKE_SESSION_MAX_TS || cfg->n_remote_ts > IKE_SESSION_MAX_TS) {
        snprintf(err, err_len, "too many traffic selectors");
        return -EINVAL;
    }
    if (parse_proposals(cfg->ike_proposals, IKE_PROTO_IKE, s->ike_props, &s->n_ike_props, err,
                        err_len) < 0 ||
        parse_proposals(cfg->esp_proposals, IKE_PROTO_ESP, s->esp_props, &s->n_esp_props, err,
                        err_len) < 0)
        return -EINVAL;

    s->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
    s->cb = *cb;
    s->user = user;
    memcpy(&s->gateway, &cfg->gateway, cfg->gateway_len);
    s->gateway_len = cfg->gateway_len;
    memcpy(&s->local, &cfg->local, cfg->local_len);
    s->local_len = cfg->local_len;
    s->auth = cfg->auth;
    s->reqid = cfg->reqid ? cfg->reqid : 1;
    s->vip4 = cfg->virtual_ipv4;
    s->vip6 = cfg->virtual_ipv6;
    s->vip4_hint_set = cfg->vip4_hint_set;
    memcpy(s->vip4_hint, cfg->vip4_hint, sizeof(s->vip4_hint));
    s->vip6_hint_set = cfg->vip6_hint_set;
    memcpy(s->vip6_hint, cfg->vip6_hint, sizeof(cfg->vip6_hint));
    s->vip6_hint[16] = 128; /* INTERNAL_IP6_ADDRESS: address and prefix length */
    s->dpd_interval = cfg->dpd_interval;
    s->child_rekey_time = cfg->child_rekey_time;
    s->frag_wanted = cfg->fragmentation;
    /* RFC 7383 2.5.1: fragments that fit 1280 bytes with the IP, UDP and non-ESP marker headers */
    s->frag_max = IKE_FRAG_PATH_MTU - (cfg->gateway.ss_family == AF_INET6 ? 40 : 20) - 8 - 4;
    s->ike_rekey_time = cfg->ike_rekey_time;
    s->tries_max = cfg->retransmit_tries ? cfg->retransmit_tries : DEFAULT_TRIES;
    s->base_ms = cfg->retransmit_base_ms ? cfg->retransmit_base_ms : DEFAULT_BASE_MS;
    char host[INET6_ADDRSTRLEN];
    id_from_sockaddr((const struct sockaddr *)&cfg->gateway, host, sizeof(host));
    s->gateway_host = g_strdup(host);
    /* the gateway's certificate: always for EAP and certificates, and for a
     * PSK profile only if it names a CA (strongSwan may still sign) */
    if (cfg->auth != IKE_AUTHM_PSK || (cfg->ca_cert && *cfg->ca_cert)) {
        char terr[200];
        r = ike_trust_new(cfg->ca_cert, &s->trust, terr, sizeof(terr));
        if (r < 0) {
            snprintf(err, err_len, "cannot load the CA certificate: %s", terr);
            ike_session_free(g_steal_pointer(&s));
            return -EINVAL;
        }
    }
    if (cfg->auth == IKE_AUTHM_CERT || cfg->auth == IKE_AUTHM_EAP_TLS) {
        char cerr[200];
        r = ike_cred_load(cfg->user_cert, cfg->user_key, cfg->user_key_password, &s->cred, cerr,
                          sizeof(cerr));
        if (r < 0) {
            snprintf(err, err_len, "cannot load our certificate or key: %s", cerr);
            ike_session_free(g_steal_pointer(&s));
            return -EINVAL;
        }
    }
    if (cfg->auth == IKE_AUTHM_PSK) {
        s->psk = g_memdup2(cfg->psk, cfg->psk_len);
        s->psk_len = cfg->psk_len;
    } else if (cfg->auth == IKE_AUTHM_EAP_MSCHAPV2) {
        r = eap_peer_new(cfg->eap_identity, cfg->eap_identity, cfg->eap_password, &s->eap);
        if (r < 0) {
            snprintf(err, err_len, "cannot set up EAP: %s", g_strerror(-r));
            ike_session_free(g_steal_pointer(&s));
            return -EINVAL;
        }
    } else if (cfg->auth == IKE_AUTHM_EAP_TLS) {
        /* the EAP identity: configured, else our IDi's text, else the certificate's */
        g_autofree char *cert_id = NULL;
        const char *eid = cfg->eap_identity && *cfg->eap_identity ? cfg->eap_identity
                          : cfg->local_id && *cfg->local_id       ? cfg->local_id
                                                                  : NULL;
        if (!eid)
            eid = cert_id = ike_cred_id_string(s->cred);
        r = eid ? eap_peer_new_tls(eid, s->cred, s->trust, &s->eap) : -EINVAL;
        if (r < 0) {
            snprintf(err, err_len, "cannot set up EAP-TLS: %s", g_strerror(-r));
            ike_session_free(g_steal_pointer(&s));
            return -EINVAL;
        }
    }

    const char *lid = cfg->local_id;
    if (!lid && cfg->auth == IKE_AUTHM_EAP_MSCHAPV2)
        lid = cfg->eap_identity;
    if (!lid && cfg->local_len) {
        id_from_sockaddr((const struct sockaddr *)&cfg->local, addr, sizeof(addr));
        lid = addr;
    }
    int id_r = 0;
    if (!cfg->local_id && s->cred) {
        uint8_t t;
        const uint8_t *d;
        size_t l;
        ike_cred_id(s->cred, &t, &d, &l);
        id_r = id_from_bytes(t, d, l, &s->idi);
        lid = "";
    } else if (lid) {
        id_r = id_from_string(lid, &s->idi);
    }
    if (!lid || id_r < 0 || (cfg->remote_id && id_from_string(cfg->remote_id, &s->idr) < 0)) {
        snprintf(err, err_len, "invalid local or remote identity");
        ike_session_free(g_steal_pointer(&s));
        return -EINVAL;
    }

    /* selectors: what was configured, else everything of the requested families */
    memcpy(s->tsr, cfg->remote_ts, sizeof(s->tsr));
    s->n_tsr = cfg->n_remote_ts;
    memcpy(s->tsi, cfg->local_ts, sizeof(s->tsi));
    s->n_tsi = cfg->n_local_ts;
    bool v4 = s->vip4 || !s->vip6, v6 = s->vip6 || !s->vip4;
    if (s->n_tsr == 0) {
        if (v4)
            uip_ts_any(&s->tsr[s->n_tsr++], AF_INET);
        if (v6)
            uip_ts_any(&s->tsr[s->n_tsr++], AF_INET6);
    }
    if (s->n_tsi == 0) {
        if (v4)
            uip_ts_any(&s->tsi[s->n_tsi++], AF_INET);
        if (v6)
            uip_ts_any(&s->tsi[s->n_tsi++], AF_INET6);
    }

    do {
        RAND_bytes((uint8_t *)&s->sa.spi_i, sizeof(s->sa.spi_i));
    } while (s->sa.spi_i == 0);
    do {
        RAND_bytes((uint8_t *)&s->cur.spi_in, sizeof(s->cur.spi_in));
    } while (s->cur.spi_in < 256);
    uint8_t spi_be[4];
    uip_put32(spi_be, s->cur.spi_in);
    ike_proposals_set_spi(s->esp_props, s->n_esp_props, spi_be, 4);
    memcpy(s->esp_pfs_props, s->esp_props, sizeof(s->esp_props));
    ike_proposals_strip_ke(s->esp_props, s->n_esp_props);
    RAND_bytes(s->ni, sizeof(s->ni));
    if (s->eap)
        eap_peer_set_spi(s->eap, s->sa.spi_i);
    *out = g_steal_pointer(&s);
    return 0;
}

void ike_session_start(struct ike_session *s)
{
    if (s->state == ST_IDLE)
        send_init(s);
}

void ike_session_close(struct ike_session *s)
{
    if (s->state == ST_DONE || s->state == ST_CLOSING)
        return;
    if (!s->sa.enc || s->state == ST_INIT_SENT) {
        /* nothing to delete on the gateway's side */
        set_state(s, ST_DONE);
        stop_timer(&s->retransmit);
        stop_timer(&s->dpd_timer);
        if (s->cb.closed)
            s->cb.closed(s->user);
        return;
    }
    struct ike_builder b;
    begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    ike_build_delete(&b, IKE_PROTO_IKE, NULL, 0);
    GPtrArray *msg = seal(s, &b);
    ike_builder_clear(&b);
    set_state(s, ST_CLOSING);
    stop_timer(&s->dpd_timer);
    stop_timer(&s->child_rekey_timer);
    stop_timer(&s->ike_rekey_timer);
    remove_child(s);
    if (!msg) {
        set_state(s, ST_DONE);
        if (s->cb.closed)
            s->cb.closed(s->user);
        return;
    }
    _LOGS(LOG_INFO, s, "closing: sending DELETE");
    request_done(s);
    send_request(s, msg, s->sa.next_id++);
}

void ike_session_free(struct ike_session *s)
{
    if (!s)
        return;
    stop_timer(&s->retransmit);
    stop_timer(&s->dpd_timer);
    stop_timer(&s->child_rekey_timer);
    stop_timer(&s->ike_rekey_timer);
    ike_dh_free(s->rk_dh);
    frags_reset(s);
    g_clear_pointer(&s->request, g_ptr_array_unref);
    g_clear_pointer(&s->init_req, g_bytes_unref);
    g_clear_pointer(&s->init_resp, g_bytes_unref);
    ike_dh_free(s->dh);
    sa_ctx_clear(&s->sa);
    sa_ctx_clear(&s->old);
    sa_ctx_clear(&s->ike_coll);
    coll_clear(s);
    eap_peer_free(s->eap);
    ike_trust_free(s->trust);
    ike_cred_free(s->cred);
    g_free(s->idr_body);
    g_free(s->gateway_host);
    uip_free_secret(s->psk, s->psk_len);
    g_free(s->cookie);
    id_clear(&s->idi);
    id_clear(&s->idr);
    g_strfreev(s->info.domains);
    if (s->ctx)
        g_main_context_unref(s->ctx);
    uip_free_secret(s, sizeof(*s));
}

uint64_t ike_session_spi_i(const struct ike_session *s)
{
    return s->sa.spi_i;
}
