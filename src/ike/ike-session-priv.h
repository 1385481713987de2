/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IKEv2 initiator's insides, shared by its own files only: not
 * installed, never included outside them (ike-session.h is the interface).
 *
 * Which file holds what (each file's top says where its messages come from
 * and where they go):
 *
 *   ike-session.c  life cycle (new, start, close, free), the state and its
 *                  one setter, timers, ikes_fail(), and the input: each
 *                  datagram through ike-recv.c, then handed to the step it
 *                  belongs to, or its drop counted
 *   ike-recv.c     the receive path (also fuzzed on its own): matched to its
 *                  IKE SA, message ID checked, decrypted, reassembled from
 *                  RFC 7383 fragments, parsed whole, or a typed drop
 *   ike-msg-io.c   sending for every exchange: the queue of our exchanges
 *                  (one request out at a time), our requests and their
 *                  retransmission, our answers (kept for a retransmitted
 *                  request), SK sealing, RFC 7383 fragments, notify look-ups
 *   ike-init.c     IKE_SA_INIT: request, cookie / KE retry, the IKE SA keys
 *   ike-auth.c     IKE_AUTH: PSK, certificate, EAP; the gateway's AUTH,
 *                  configuration payload and first CHILD_SA: established
 *   child-sa.c     CHILD_SA keys and bookkeeping shared by IKE_AUTH and
 *                  the rekeys; the KE and nonce helpers of every rekey
 *   child-rekey.c  CHILD_SA rekeys, ours and the gateway's, and their
 *                  collisions (RFC 7296 2.8.1)
 *   ike-rekey.c    IKE SA rekeys, ours and the gateway's, and their
 *                  collisions (RFC 7296 2.8.2)
 *   ike-info.c     the gateway's requests on an established IKE SA
 *                  (INFORMATIONAL, CREATE_CHILD_SA) and our liveness checks
 *   ike-mobike.c   MOBIKE (RFC 4555): UPDATE_SA_ADDRESSES after our address
 *                  changed, NAT rebinding seen in the liveness checks' NAT-D
 *   ike-redirect.c redirects to another gateway (RFC 5685) in IKE_SA_INIT,
 *                  IKE_AUTH and INFORMATIONAL
 *
 * Functions used by more than one of these files carry the prefix ikes_
 * (static library: no short generic name with external linkage); their log
 * lines name them without it, as before the split (see _LOGS).
 */
#pragma once

#include "common/uip-log.h"
#include "ike/ike-session.h"
#include "ike/cert-auth.h"
#include "ike/dh.h"
#include "ike/eap.h"
#include "ike/ike-crypto.h"
#include "ike/ike-recv.h"
#include "ike/payload.h"
#include "ike/proposal.h"

#define NONCE_LEN          32
#define DEFAULT_TRIES      5
#define DEFAULT_BASE_MS    1000
#define CLOSE_TRIES        2
#define NATT_PORT          4500
#define SHA1_LEN           20
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

struct ike_id_value {
    uint8_t type;
    uint8_t *data;
    size_t len;
    uint8_t *body; /* ID payload body: type, 3 reserved, data (for AUTH) */
    size_t body_len;
};

/* SPIs of a CHILD_SA installed in the engine. */
struct child_ids {
    uint32_t spi_in, spi_out;
    bool installed;
};

/* One of our exchanges, started when the request slot is free (ikes_busy()). */
typedef void (*ikes_exchange_fn)(struct ike_session *s);

/*
 * What our request that is out is for (strongSwan's task, reduced to what an
 * initiator with a window of one needs): the exchange type of its answer, and
 * the step that takes the answer, in the file of its exchange.  Running out of
 * retransmissions fails the session (unreachable before it is up, a dead peer
 * after) or ends a close; a session that ends drops its request with it.
 */
struct ikes_exchange {
    const char *name;
    uint8_t type; /* IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL */
    void (*on_response)(struct ike_session *s, const struct ike_msg *m);
    bool probe;   /* its answer proves the gateway alive: a late one is a doubt */
};

extern const struct ikes_exchange ikes_ex_init;          /* ike-init.c */
extern const struct ikes_exchange ikes_ex_auth;          /* ike-auth.c, every IKE_AUTH round */
extern const struct ikes_exchange ikes_ex_rekey_child;   /* child-rekey.c, or a new CHILD_SA */
extern const struct ikes_exchange ikes_ex_delete_child;  /* child-rekey.c: the old one */
extern const struct ikes_exchange ikes_ex_delete_redundant; /* child-rekey.c: collision lost */
extern const struct ikes_exchange ikes_ex_rekey_ike;     /* ike-rekey.c */
extern const struct ikes_exchange ikes_ex_liveness;      /* ike-info.c */
extern const struct ikes_exchange ikes_ex_update;        /* ike-mobike.c */
extern const struct ikes_exchange ikes_ex_close;         /* ike-session.c: DELETE of the IKE SA */
#define IKES_QUEUE_MAX 4

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
    char *gateway_host;       /* its address and configured name (blank between), for the
                               * certificate check: expected_host of cert-auth.h */
    struct ike_id_value idi;
    struct ike_id_value idr; /* type 0: not configured */
    struct ike_proposal ike_props[IKE_MAX_PROPOSALS];
    unsigned n_ike_props;
    struct ike_proposal esp_props[IKE_MAX_PROPOSALS]; /* IKE_AUTH offer: no KE */
    unsigned n_esp_props;
    struct ike_proposal esp_pfs_props[IKE_MAX_PROPOSALS]; /* as configured: KE = PFS on rekey */
    bool vip4, vip6;
    bool vip4_hint_set, vip6_hint_set;
    bool reauth; /* no INITIAL_CONTACT */
    int64_t (*clock_us)(void); /* liveness: CLOCK_BOOTTIME unless a test sets one */
    void (*random)(void *buf, size_t len); /* SPIs, nonces, COOKIE2: OpenSSL's unless a test
                                            * sets one */
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
    uint16_t ke_superseded; /* the KE group of our IKE_SA_INIT before INVALID_KE_PAYLOAD */
    uint8_t *cookie;        /* sent in our IKE_SA_INIT */
    size_t cookie_len;
    uint8_t *cookie_next;   /* asked for: our next retransmission carries it */
    size_t cookie_next_len;
    /* IKE_SA_INIT answers are unprotected (RFC 7296 2.21.1): one with an error notify, or
     * unusable, is remembered and the wait goes on; when the retransmissions run out with
     * nothing valid, the session fails with the last of them */
    struct {
        bool set;
        enum ike_failure reason;
        char msg[192];
    } init_error;
    uint8_t ni[NONCE_LEN];
    uint8_t nr[IKE_NONCE_MAX_LEN];
    size_t nr_len;
    GBytes *init_req;  /* RealMessage1 for our AUTH */
    GBytes *init_resp; /* RealMessage2 for the gateway's AUTH */
    bool natt;
    bool frag_wanted;  /* configured: announce RFC 7383 support */
    bool frag_ok;      /* both sides support IKE fragmentation */
    size_t frag_max;   /* largest IKE message we send whole (path MTU 1280) */
    struct ike_frags frags; /* a fragmented message being reassembled (ike-recv.c) */

    /* our requests (always on the current IKE SA) */
    GPtrArray *request; /* outstanding request (its datagrams), for retransmission */
    const struct ikes_exchange *request_ex; /* what it is for */
    uint32_t request_id;
    unsigned tries;
    bool quick; /* this request retransmits fast and few times (a check after a resume) */
    GSource *retransmit;
    /* our exchanges waiting for the request slot (a window of one, RFC 7296
     * 2.3), started in order as soon as it is free: no polling */
    ikes_exchange_fn queued[IKES_QUEUE_MAX];
    unsigned n_queued;
    GSource *queue_idle;

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

    int64_t resent_us; /* s->clock_us() when we last sent a kept answer again; 0: never */

    /* liveness */
    GSource *dpd_timer;
    int64_t last_seen_us;

    /* MOBIKE (RFC 4555, ike-mobike.c) */
    bool mobike_wanted;  /* configured: offer MOBIKE_SUPPORTED */
    bool mobike;         /* both sides support it: the IKE SA may move */
    struct sockaddr_storage natt_gateway; /* the gateway's address with its NAT-T port */
    uint8_t cookie2[16]; /* of the UPDATE_SA_ADDRESSES out, echoed in its answer */
    uint8_t natd_seen[SHA1_LEN]; /* the gateway's NAT-D hash of our address and port */
    bool natd_seen_set;
    unsigned n_additional; /* the gateway's other addresses (ADDITIONAL_IP*_ADDRESS) */
    struct sockaddr_storage additional[4];

    /* redirect (RFC 5685, ike-redirect.c): the gateway that sent us here, if one did */
    struct sockaddr_storage redirected_from;

    /* datagrams not taken, per reason (ike_session_drops()); each reason logged at most
     * once per DROP_LOG_INTERVAL_US, with the count since its last line */
    struct {
        uint64_t total;
        uint64_t unlogged;
        int64_t logged_us; /* monotonic; 0: never */
    } drops[IKE_DROP__MAX];
};

/* Log lines name the function (G_STRFUNC) without the ikes_ prefix, which is
 * for the linker only: they read as they did before the files were split. */
static inline const char *ikes_log_func(const char *func)
{
    return g_str_has_prefix(func, "ikes_") ? func + 5 : func;
}

#define _LOGS(level, s, fmt, ...)                                                                  \
    do {                                                                                           \
        if (uip_log_enabled(level))                                                                \
            uip_log(level, ikes_log_func(G_STRFUNC), "[%016" G_GINT64_MODIFIER "x] " fmt,          \
                    (s)->sa.spi_i, ##__VA_ARGS__);                                                 \
    } while (0)

/* ike-session.c */
/* Random bytes into @buf; false when OpenSSL has none: the session failed (IKE_FAIL_CONFIG). */
bool ikes_random(struct ike_session *s, void *buf, size_t len) G_GNUC_WARN_UNUSED_RESULT;
void ikes_set_state(struct ike_session *s, enum state next);
void ikes_stop_timer(GSource **src);
void ikes_end(struct ike_session *s);
void ikes_fail(struct ike_session *s, enum ike_failure reason, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
void ikes_count_drop(struct ike_session *s, enum ike_drop why);
void ikes_sa_ctx_clear(struct sa_ctx *sa);
void ikes_close_done(struct ike_session *s);
void ikes_arm_timer(struct ike_session *s, GSource **src, unsigned seconds, GSourceFunc fn);

/* ike-msg-io.c */
bool ikes_same_host(const struct sockaddr *a, const struct sockaddr *b);
socklen_t ikes_sockaddr_set(struct sockaddr_storage *out, const uint8_t *addr, size_t len,
                            uint16_t port);
void ikes_transmit(struct ike_session *s, GPtrArray *msg);
GPtrArray *ikes_dgrams_one(GBytes *b);
void ikes_send_request(struct ike_session *s, GPtrArray *msg, uint32_t msg_id,
                       const struct ikes_exchange *ex);
bool ikes_request_is(const struct ike_session *s, const struct ikes_exchange *ex);
void ikes_request_done(struct ike_session *s);
void ikes_request_again(struct ike_session *s, bool quick);
void ikes_request_set_quick(struct ike_session *s);
bool ikes_busy(struct ike_session *s, ikes_exchange_fn start);
void ikes_queue_clear(struct ike_session *s);
GPtrArray *ikes_seal_on(struct sa_ctx *sa, struct ike_builder *b);
GPtrArray *ikes_seal(struct ike_session *s, struct ike_builder *b);
bool ikes_send_built_request(struct ike_session *s, struct ike_builder *b,
                             const struct ikes_exchange *ex);
void ikes_begin_encrypted_on(struct sa_ctx *sa, struct ike_builder *b, uint8_t exchange,
                             bool response, uint32_t msg_id);
void ikes_begin_encrypted(struct ike_session *s, struct ike_builder *b, uint8_t exchange,
                          bool response, uint32_t msg_id);
const struct ike_pl *ikes_find_notify(const struct ike_msg *m, uint16_t type,
                                      struct ike_notify *out);
uint16_t ikes_error_notify(const struct ike_msg *m);
const char *ikes_notify_name(uint16_t type);
void ikes_respond(struct sa_ctx *sa, struct ike_builder *b, struct ike_session *s);
void ikes_send_response(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange, uint32_t msg_id,
                        const uint32_t *del_spis, unsigned n_del);
void ikes_send_error_response_data(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                                   uint32_t msg_id, uint16_t notify, const uint8_t *data,
                                   size_t len);
void ikes_send_error_response(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                              uint32_t msg_id, uint16_t notify);

/* ike-init.c */
void ikes_nat_hash(const struct ike_session *s, const struct sockaddr *sa, uint8_t out[SHA1_LEN]);
bool ikes_build_natd(struct ike_session *s, struct ike_builder *b, const struct sockaddr *gateway)
    G_GNUC_WARN_UNUSED_RESULT;
void ikes_send_init(struct ike_session *s);
bool ikes_init_retry(struct ike_session *s);
bool ikes_init_give_up(struct ike_session *s, unsigned tries);
void ikes_on_init_response(struct ike_session *s, const struct ike_msg *m);
void ikes_report_keys(struct ike_session *s, const struct sa_ctx *sa);

/* ike-auth.c */
void ikes_send_auth(struct ike_session *s);
void ikes_report_auth_lifetime(struct ike_session *s, const struct ike_msg *m);
void ikes_on_auth_response(struct ike_session *s, const struct ike_msg *m);

/* child-sa.c */
void ikes_remove_child_ids(struct ike_session *s, struct child_ids *c);
void ikes_coll_clear(struct ike_session *s);
void ikes_remove_child(struct ike_session *s);
/* What we take of TSi and TSr (in the message's roles): the gateway may only narrow it. */
struct ike_ts_want {
    const struct uip_ts *tsi;
    unsigned n_tsi;
    const struct uip_ts *tsr;
    unsigned n_tsr;
};
int ikes_read_ts_pair(struct ike_session *s, const struct ike_msg *m, const struct ike_ts_want *w,
                      struct uip_ts *tsi, unsigned *n_tsi, struct uip_ts *tsr, unsigned *n_tsr);
int ikes_install_child(struct ike_session *s, struct ike_child *c, const struct ike_esp_params *esp,
                       uint32_t spi_in, bool we_initiated, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       uint8_t **keep_out, size_t *keep_len);
int ikes_rekey_dh(const struct ike_msg *m, uint16_t group, struct ike_dh **dh_out, uint8_t **gir,
                  size_t *gir_len);
void ikes_add_ke(struct ike_builder *b, const struct ike_dh *dh);
size_t ikes_lower_nonce(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                        uint8_t *out);
bool ikes_collision_lost(const struct ike_session *s, const struct ike_nonce *nr,
                         const uint8_t *theirs, size_t theirs_len);

/* child-rekey.c */
void ikes_rekey_child(struct ike_session *s, const struct ike_msg *m,
                      const struct ike_proposal *theirs, unsigned n_theirs,
                      const struct ike_nonce *ni, bool collision);
gboolean ikes_on_child_rekey_timer(gpointer data);
void ikes_rekey_refused(struct ike_session *s, const char *what, uint16_t err, GSource **timer,
                        GSourceFunc fn);
int ikes_coll_promote(struct ike_session *s);
void ikes_on_rekey_child_response(struct ike_session *s, const struct ike_msg *m);

/* ike-rekey.c */
void ikes_send_ike_delete_on(struct ike_session *s, struct sa_ctx *sa);
void ikes_ike_coll_adopt(struct ike_session *s, bool keep_old);
void ikes_rekey_ike(struct ike_session *s, const struct ike_msg *m,
                    const struct ike_proposal *theirs, unsigned n_theirs,
                    const struct ike_nonce *ni, bool collision);
gboolean ikes_on_ike_rekey_timer(gpointer data);
void ikes_on_rekey_ike_response(struct ike_session *s, const struct ike_msg *m);

/* ike-mobike.c */
void ikes_mobike_auth_response(struct ike_session *s, const struct ike_msg *m);
bool ikes_mobike_add_natd(struct ike_session *s, struct ike_builder *b) G_GNUC_WARN_UNUSED_RESULT;
void ikes_mobike_update(struct ike_session *s);
void ikes_on_mobike_response(struct ike_session *s, const struct ike_msg *m);

/* ike-redirect.c */
void ikes_add_redirect_notify(struct ike_session *s, struct ike_builder *b);
bool ikes_redirect_in_init(struct ike_session *s, const struct ike_msg *m);
bool ikes_redirect_in_auth(struct ike_session *s, const struct ike_msg *m);
bool ikes_redirect_in_request(struct ike_session *s, struct sa_ctx *sa, const struct ike_msg *m);

/* ike-info.c */
bool ikes_gateway_gave_up(struct ike_session *s, uint16_t err, const char *request);
void ikes_refuse_malformed(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                           uint32_t msg_id, const char *what);
bool ikes_refuse_ke_group(struct ike_session *s, const struct ike_msg *m, uint16_t group);
void ikes_on_peer_request(struct ike_session *s, struct sa_ctx *sa, const struct ike_msg *m);
void ikes_start_dpd(struct ike_session *s);
