/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted IKEv2 responder, the "fake gateway" of the in-process tests of
 * struct ike_session (src/ike/ike-session.h).  It is built from the project's
 * own payload codec (payload.h), key derivation and message protection
 * (ike-crypto.h), DH (dh.h) and proposals (proposal.h), so that a test can
 * drive a session through whole exchanges without sockets or a real peer.
 *
 * Flow: the session's send callback hands each datagram to the test; the test
 * opens it with fgw_open() (parse, decrypt with the gateway's keys, check the
 * message ID and the I flag), asserts on what it carries, and makes the
 * gateway's answer with an fgw_answer_*() function, or a request of the
 * gateway's own with an fgw_*_request() function; the datagram these return
 * goes back to the session through ike_session_input().  The gateway has no
 * queue, no timers and no sockets: the test decides what is delivered, dropped
 * or delivered twice, and in which order.
 *
 * What a real gateway would check, it checks with g_assert: the session's PSK
 * AUTH, its NAT-D destination hash, message IDs, the SPI in a REKEY_SA notify.
 * A session that breaks the protocol makes the test fail where it broke.
 *
 * Only what the session tests need: IPv4, PSK, no cookies, fragments only in a
 * request built for it (fgw_fragmented_request()).
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "common/uip-ts.h"
#include "ike/ike-crypto.h"
#include "ike/ike-types.h"
#include "ike/payload.h"
#include "ike/proposal.h"

/* One direction of a CHILD_SA: encryption key (+ salt) and integrity key. */
#define FGW_KEYMAT_MAX 128
/* The gateway's nonces, unless fgw_set_next_nonce() says otherwise. */
#define FGW_NONCE_LEN 32

struct fgw_config {
    const char *psk;           /* the shared key (copied) */
    const char *ike_proposals; /* what it accepts, strongSwan syntax; NULL: FGW_IKE_DEFAULT */
    const char *esp_proposals; /* NULL: FGW_ESP_DEFAULT */
    const char *id;            /* its IDr (FQDN); NULL: "gw.example.net" */
    struct sockaddr_in addr;   /* its address and IKE port, for NAT-D */
    struct sockaddr_in client; /* the client's address as the gateway sees it */
};

#define FGW_IKE_DEFAULT "aes256gcm16-prfsha384-x25519"
#define FGW_ESP_DEFAULT "aes256gcm16-noesn"

/* One IKE SA as the gateway sees it. */
struct fgw_sa {
    uint64_t spi_i, spi_r;
    bool gw_initiated; /* the gateway is its original initiator (it rekeyed the IKE SA) */
    struct ike_selected sel;
    struct ike_keys *keys;
    struct ike_sk_ctx *enc, *dec;
    uint32_t next_id;      /* message ID of the gateway's next request */
    uint32_t peer_next_id; /* message ID of the session's next request */
    bool waiting;          /* a request of the gateway's is unanswered */
};

/* One CHILD_SA as the gateway sees it. */
struct fgw_child {
    uint32_t spi_in;  /* the gateway's inbound SPI: the session's outbound SA */
    uint32_t spi_out; /* the session's inbound SPI */
    char encr[32];    /* engine names, as the session reports them */
    char integ[16];
    bool esn;
    size_t keymat_len;               /* per direction */
    uint8_t key_in[FGW_KEYMAT_MAX];  /* session -> gateway: the session's outbound keymat */
    uint8_t key_out[FGW_KEYMAT_MAX]; /* gateway -> session: the session's inbound keymat */
    struct uip_ts ts_client;         /* the first traffic selector of each side */
    struct uip_ts ts_gateway;
};

/* The exchange the gateway started and waits for (fgw_*_request()). */
enum fgw_pending {
    FGW_PENDING_NONE,
    FGW_PENDING_CHILD_REKEY,
    FGW_PENDING_IKE_REKEY,
};

struct fgw {
    struct fgw_config cfg;
    char *psk;
    char *id;
    struct ike_proposal ike_props[IKE_MAX_PROPOSALS];
    unsigned n_ike_props;
    struct ike_proposal esp_props[IKE_MAX_PROPOSALS];
    unsigned n_esp_props;

    struct fgw_sa sa;  /* the current IKE SA */
    struct fgw_sa old; /* the one a rekey replaced (has_old) */
    bool has_old;
    struct fgw_sa spare; /* IKE SA rekey collision: the redundant new IKE SA (has_spare) */
    bool has_spare;
    uint8_t spare_lower[IKE_NONCE_MAX_LEN]; /* the lower nonce of the session's exchange */
    size_t spare_lower_len;

    /* IKE_SA_INIT, for the AUTH payloads */
    GBytes *init_req, *init_resp;
    uint8_t ni[IKE_NONCE_MAX_LEN], nr[IKE_NONCE_MAX_LEN];
    size_t ni_len, nr_len;

    /* the gateway's own CREATE_CHILD_SA request */
    struct {
        enum fgw_pending kind;
        uint8_t nonce[IKE_NONCE_MAX_LEN];
        size_t nonce_len;
        struct ike_dh *dh;
        uint32_t spi;     /* CHILD_SA: its new inbound SPI */
        uint64_t ike_spi; /* IKE SA: its SPI of the new SA */
        struct ike_proposal offered[IKE_MAX_PROPOSALS];
        unsigned n_offered;
        struct uip_ts ts_client, ts_gateway;
    } rk;

    uint8_t next_nonce[IKE_NONCE_MAX_LEN]; /* fgw_set_next_nonce() */
    size_t next_nonce_len;
};

struct fgw *fgw_new(const struct fgw_config *cfg);
void fgw_free(struct fgw *gw);

/* The nonce of the gateway's next CREATE_CHILD_SA request or answer (16..256 octets), once. */
void fgw_set_next_nonce(struct fgw *gw, const uint8_t *nonce, size_t len);

/* ---- what the session sent ------------------------------------------------------------------- */

/* A message of the session's, parsed and (but IKE_SA_INIT) decrypted. */
struct fgw_msg {
    struct ike_msg m;  /* outer and inner payloads; views into buf */
    struct fgw_sa *sa; /* the gateway's IKE SA it came on; NULL for IKE_SA_INIT */
    GBytes *raw;       /* the datagram as sent */
    uint8_t *buf;      /* decrypted copy */
    size_t len;
};

/*
 * Parse, check payload placement, decrypt with the keys of the IKE SA its
 * SPIs name, and check its message ID: a request must carry the session's
 * next one, a response the ID of the gateway's unanswered request.
 */
struct fgw_msg *fgw_open(struct fgw *gw, GBytes *dgram);
void fgw_msg_free(struct fgw_msg *m);

bool fgw_msg_is(const struct fgw_msg *m, uint8_t exchange, bool response);
/* The first notify of @type (@out may be NULL). */
bool fgw_msg_notify(const struct fgw_msg *m, uint16_t type, struct ike_notify *out);
/* How many payloads of @type the message carries (outer and inner). */
unsigned fgw_msg_count(const struct fgw_msg *m, uint8_t type);
/* The Nonce payload; asserts there is one. */
struct ike_nonce fgw_msg_nonce(const struct fgw_msg *m);
/* The ESP SPIs of the Delete payloads, into @spis (at most @max); returns the count. */
unsigned fgw_msg_deleted_esp(const struct fgw_msg *m, uint32_t *spis, unsigned max);
/* Whether a Delete payload names the IKE SA. */
bool fgw_msg_deletes_ike(const struct fgw_msg *m);

/* ---- IKE_SA_INIT and IKE_AUTH ---------------------------------------------------------------- */

enum fgw_natd {
    FGW_NATD_MATCH,    /* the NAT-D hashes of the addresses the gateway sees */
    FGW_NATD_MISMATCH, /* hashes that match nothing (a NAT on either side) */
    FGW_NATD_NONE,     /* no NAT-D notifies: a gateway without NAT traversal */
};

/*
 * Answer the session's IKE_SA_INIT: SA with the gateway's choice, KE, Nr,
 * NAT-D notifies; derive the IKE SA keys.  If the session's KE payload is not
 * of the chosen group, the answer is INVALID_KE_PAYLOAD naming it instead
 * and nothing is kept.  Asserts the session's NAT-D destination hash names
 * the gateway's address and its source hash does not name the client's
 * (the session fakes a NAT so that ESP goes in UDP).
 */
GBytes *fgw_answer_init(struct fgw *gw, const struct fgw_msg *req, enum fgw_natd natd);

/* Answer the session's IKE_SA_INIT with one notify only (e.g. REDIRECT); nothing is kept. */
GBytes *fgw_answer_init_notify(struct fgw *gw, const struct fgw_msg *req, uint16_t type,
                               const uint8_t *data, size_t len);
/* Answer the session's IKE_SA_INIT with a COOKIE notify only (RFC 7296 2.6); nothing is kept. */
GBytes *fgw_answer_cookie(struct fgw *gw, const struct fgw_msg *req, const uint8_t *cookie,
                          size_t len);

struct fgw_auth_opts {
    bool vip4;            /* assign a virtual IPv4 address (CP reply) */
    uint8_t vip4_addr[4]; /* ... this one; TSi narrowed to it */
    unsigned n_dns4;
    uint8_t dns4[4][4];
    const char *tsr;        /* the gateway's side, narrowed (uip_ts_parse()); NULL: as asked */
    const char *const *tsr_list; /* NULL-terminated: its TSr as these selectors instead */
    const struct ike_cp_attr *cp_extra; /* more attributes in its CP reply (with vip4) */
    unsigned n_cp_extra;
    uint32_t auth_lifetime; /* AUTH_LIFETIME notify (RFC 4478), seconds; 0: none */
    bool mobike;            /* MOBIKE_SUPPORTED (RFC 4555), when the session offered it */
    const uint8_t *redirect; /* REDIRECT notify data (RFC 5685): IDr, AUTH and this only */
    size_t redirect_len;
    bool wrong_auth;        /* the gateway's AUTH computed with another key */
    uint8_t auth_method;    /* its AUTH method; 0: PSK (another makes the data a junk signature) */
};

/*
 * Answer the session's IKE_AUTH: verify its PSK AUTH (asserted), choose from
 * its ESP offer, and send IDr, AUTH, CP reply, SA, TSi, TSr.  The CHILD_SA
 * goes to @child.
 */
GBytes *fgw_answer_auth(struct fgw *gw, const struct fgw_msg *req, const struct fgw_auth_opts *o,
                        struct fgw_child *child);

/* ---- CHILD_SAs ------------------------------------------------------------------------------- */

/*
 * The gateway rekeys @old (REKEY_SA naming its inbound SPI; NULL: a new
 * CHILD_SA) with its ESP proposals, plus a KE payload and KE transforms of
 * @pfs when not 0.  The selectors are @old's (or 0.0.0.0/0 both sides).
 */
GBytes *fgw_child_rekey_request(struct fgw *gw, const struct fgw_child *old, uint16_t pfs);
/* The session's answer to it: the new CHILD_SA into @out (asserts it is usable). */
void fgw_child_rekey_finish(struct fgw *gw, const struct fgw_msg *resp, struct fgw_child *out);
/* The session refused the gateway's rekey (the test checked how): forget it. */
void fgw_rekey_abandon(struct fgw *gw);

/*
 * Answer the session's CREATE_CHILD_SA (a rekey of @old, whose REKEY_SA must
 * name @old->spi_out, or with @old NULL a new CHILD_SA): choose from its
 * offer, with PFS when its offer has a KE method; the new CHILD_SA into @out.
 */
GBytes *fgw_answer_child_rekey(struct fgw *gw, const struct fgw_msg *req,
                               const struct fgw_child *old, struct fgw_child *out);

/* ---- IKE SA rekeys --------------------------------------------------------------------------- */

/*
 * The gateway rekeys the IKE SA.  @sa_list: its SA payload in strongSwan's log
 * syntax (test-sa-body.h), e.g. test_sw_default_ike; NULL: its own proposals.
 * Its KE payload is of the current IKE SA's group.
 */
GBytes *fgw_ike_rekey_request(struct fgw *gw, const char *sa_list);
/*
 * The session's answer: the new IKE SA becomes current, the old one gw->old.
 * After a collision (the gateway answered the session's rekey while its own
 * was out, RFC 7296 2.8.2) the exchange with the lowest of the four nonces
 * made the redundant SA: the other new SA becomes current, the redundant one
 * stays in gw->spare (its initiator deletes it over itself).
 */
void fgw_ike_rekey_finish(struct fgw *gw, const struct fgw_msg *resp);
/*
 * Answer the session's IKE SA rekey; the new IKE SA becomes current, the old
 * one gw->old.  While the gateway's own IKE SA rekey is out (a collision) it
 * goes to gw->spare until fgw_ike_rekey_finish() decides.
 */
GBytes *fgw_answer_ike_rekey(struct fgw *gw, const struct fgw_msg *req);

/* ---- any message ----------------------------------------------------------------------------- */

/* Start a request of the gateway's on @sa (NULL: the current IKE SA): takes its next message ID. */
void fgw_begin_request(struct fgw *gw, struct fgw_sa *sa, struct ike_builder *b, uint8_t exchange);
/*
 * A request of the gateway's on @sa (NULL: the current IKE SA) as @n RFC 7383
 * fragments of @chain (an inner payload chain from ike_builder_init_chain(),
 * finished), cut in equal parts and each sealed on its own; takes its next
 * message ID.  The datagrams in order (GBytes).
 */
GPtrArray *fgw_fragmented_request(struct fgw *gw, struct fgw_sa *sa, uint8_t exchange,
                                  const struct ike_builder *chain, unsigned n);
/* Start the answer to @req, on its IKE SA. */
void fgw_begin_response(struct fgw *gw, const struct fgw_msg *req, struct ike_builder *b);
/* Close the SK payload, encrypt with @sa's keys (NULL: the current IKE SA), clear @b. */
GBytes *fgw_seal(struct fgw *gw, struct fgw_sa *sa, struct ike_builder *b);
/* The same, NULL (and @b cleared) when the builder failed: for the fuzzer's messages. */
GBytes *fgw_try_seal(struct fgw *gw, struct fgw_sa *sa, struct ike_builder *b);

/*
 * MOBIKE (RFC 4555): answer the session's UPDATE_SA_ADDRESSES or liveness
 * check.  If @error is not 0, only that error notify.  Else, when the request
 * has NAT-D (asserted for UPDATE_SA_ADDRESSES, with a COOKIE2 and a NAT-D
 * destination hash of the gateway's NAT-T address), the gateway's NAT-D: its
 * own NAT-T address, and @seen, the client's address and port as it sees
 * them; COOKIE2 echoed.
 */
GBytes *fgw_answer_mobike(struct fgw *gw, const struct fgw_msg *req, const struct sockaddr_in *seen,
                          uint16_t error);

/* An answer with no payloads, with one error or status notify, with ESP Delete payloads. */
GBytes *fgw_answer_empty(struct fgw *gw, const struct fgw_msg *req);
GBytes *fgw_answer_notify(struct fgw *gw, const struct fgw_msg *req, uint16_t type);
GBytes *fgw_answer_delete(struct fgw *gw, const struct fgw_msg *req, const uint32_t *spis,
                          unsigned n);

/*
 * An INFORMATIONAL request on @sa (NULL: the current IKE SA): Delete of the
 * ESP SPIs @spis (host order), of the IKE SA (@delete_ike), or nothing (a
 * liveness check).
 */
GBytes *fgw_informational_request(struct fgw *gw, struct fgw_sa *sa, const uint32_t *spis,
                                  unsigned n, bool delete_ike);
