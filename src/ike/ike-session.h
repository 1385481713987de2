/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IKEv2 initiator: one IKE SA with its CHILD_SA, from IKE_SA_INIT to
 * DELETE, in the caller's GMainContext.
 *
 * It knows nothing of TUN devices or NetworkManager.  Its owner moves
 * datagrams (send callback; ike_session_input() for what arrives on port
 * 500 or, behind the non-ESP marker, on the NAT-T port), installs the
 * CHILD_SA keys it hands over into the ESP engine, and reports the result.
 * Key material goes to the child_install callback and nowhere else; the
 * session wipes its copies when it drops them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>

#include "common/uip-ts.h"
#include "ike/ike-types.h"

#define IKE_SESSION_MAX_TS      32 /* traffic selectors per side (= UIP_SA_MAX_TS, UIP_SETTINGS_MAX_TS) */
#define IKE_SESSION_MAX_DNS     8  /* DNS servers per family */
#define IKE_SESSION_MAX_SUBNETS 64 /* INTERNAL_IP4/6_SUBNET routes */

enum ike_auth_method {
    IKE_AUTHM_PSK,
    IKE_AUTHM_EAP_MSCHAPV2,
    IKE_AUTHM_CERT,
    IKE_AUTHM_EAP_TLS, /* our certificate inside EAP-TLS; the gateway signs with its own */
};

/* Why a session failed; the service maps these onto NetworkManager's reasons. */
enum ike_failure {
    IKE_FAIL_AUTH,        /* authentication failed, either side */
    IKE_FAIL_UNREACHABLE, /* no answer from the gateway */
    IKE_FAIL_PROPOSAL,    /* no common proposal / traffic selectors unacceptable */
    IKE_FAIL_CONFIG,      /* the gateway's configuration payload is unusable, or ours is bad */
    IKE_FAIL_DEAD_PEER,   /* the gateway stopped answering after the tunnel was up */
    IKE_FAIL_PROTOCOL,    /* the gateway broke the protocol or closed the SA */
};

const char *ike_failure_name(enum ike_failure f);

struct ike_session_config {
    struct sockaddr_storage gateway; /* with the IKE port (500) */
    socklen_t gateway_len;
    struct sockaddr_storage local; /* our address as the gateway sees the first packet (NAT-D) */
    socklen_t local_len;
    uint16_t natt_port;           /* the gateway's NAT-T port, 0 = 4500 */
    enum ike_auth_method auth;
    const uint8_t *psk; /* copied */
    size_t psk_len;
    const char *eap_identity; /* EAP user name; copied.  EAP-TLS: NULL = local_id, else the
                               * certificate's identity (ike_cred_id_string()) */
    const char *eap_password; /* copied, wiped after use */
    const char *ca_cert;          /* CA file for the gateway's certificate; NULL/"" = system store */
    const char *user_cert;        /* IKE_AUTHM_CERT, _EAP_TLS: our certificate (PEM) */
    const char *user_key;         /* its private key (PEM); NULL = in user_cert */
    const char *user_key_password; /* copied, wiped after use */
    /* Loaded already (the service reads the files once, as the connection's owner, before it
     * drops its rights): when set, ca_cert / user_cert / user_key are not read; referenced. */
    struct ike_trust *trust;
    struct ike_cred *cred;
    const char *local_id;  /* our IDi; NULL = our address (PSK), user (EAP), certificate (cert) */
    const char *remote_id; /* the gateway's expected IDr; NULL = its address, not sent */
    /* The gateway as configured, when a DNS name (copied): without remote_id its certificate
     * may name it (a subjectAltName dNSName) instead of the address.  NULL = none. */
    const char *gateway_name;
    const char *ike_proposals; /* strongSwan syntax; NULL = defaults */
    const char *esp_proposals;
    bool virtual_ipv4;
    bool virtual_ipv6;
    /* Reauthentication: ask for these addresses (the ones we hold) in the
     * configuration payload instead of any, so the gateway keeps them. */
    bool vip4_hint_set, vip6_hint_set;
    uint8_t vip4_hint[4];
    uint8_t vip6_hint[16];
    /* A new IKE SA beside one we hold (reauthentication): no INITIAL_CONTACT.
     * Otherwise the first IKE_AUTH carries it (RFC 7296 2.4), so the gateway
     * drops what it still keeps of an earlier connection of ours (after a
     * crash, a suspend, a lost DELETE) and its address lease. */
    bool reauth;
    /* After a redirect (RFC 5685): the gateway that sent us to this one, named in
     * REDIRECTED_FROM; family 0 = none (REDIRECT_SUPPORTED is sent instead). */
    struct sockaddr_storage redirected_from;
    struct uip_ts local_ts[IKE_SESSION_MAX_TS]; /* none: any of the families requested */
    unsigned n_local_ts;
    struct uip_ts remote_ts[IKE_SESSION_MAX_TS]; /* none: 0.0.0.0/0 and ::/0 */
    unsigned n_remote_ts;
    bool fragmentation;          /* RFC 7383 IKE fragmentation when the gateway supports it */
    bool mobike;                 /* RFC 4555: offer MOBIKE, so that the IKE SA can move with our
                                  * address (ike_session_path_changed()) */
    unsigned dpd_interval;       /* seconds; 0 = no liveness checks */
    unsigned child_rekey_time;   /* seconds until we rekey the CHILD_SA; 0 = leave it to the gateway */
    unsigned ike_rekey_time;     /* seconds until we rekey the IKE SA; 0 = leave it to the gateway */
    uint32_t reqid;              /* the engine's reqid of our CHILD_SAs; 0 = 1 */
    unsigned retransmit_tries;   /* 0 = 5 */
    unsigned retransmit_base_ms; /* first timeout; 0 = 1000, then doubling */
    /* The clock of liveness checks in microseconds; NULL = CLOCK_BOOTTIME, which
     * goes on during suspend, so that the first check after a resume sees the
     * whole quiet time and asks the gateway at once.  Tests set their own. */
    int64_t (*liveness_clock_us)(void);
    /* Where SPIs, nonces and COOKIE2 come from; NULL = OpenSSL's RAND_bytes().  Tests set
     * their own to choose which side's nonce is lower (rekey collisions).  Keys come from
     * OpenSSL always. */
    void (*random)(void *buf, size_t len);
};

/* One direction of a CHILD_SA for the ESP engine. */
struct ike_child_sa {
    uint32_t spi; /* host order */
    const uint8_t *keymat;
    size_t keymat_len;
};

struct ike_child {
    uint32_t reqid;
    const char *encr_name; /* engine names: "aes256gcm16", ... */
    const char *integ_name;
    bool esn;
    struct ike_child_sa in;  /* the gateway's packets to us */
    struct ike_child_sa out; /* ours to it */
    struct uip_ts local_ts[IKE_SESSION_MAX_TS]; /* as narrowed by the gateway */
    unsigned n_local_ts;
    struct uip_ts remote_ts[IKE_SESSION_MAX_TS];
    unsigned n_remote_ts;
};

/* What the configuration payload and the exchanges gave us. */
struct ike_established {
    bool has_vip4, has_vip6;
    uint8_t vip4[4];
    uint8_t vip6[16];
    uint8_t vip6_prefix;
    unsigned n_dns4, n_dns6;
    uint8_t dns4[IKE_SESSION_MAX_DNS][4];
    uint8_t dns6[IKE_SESSION_MAX_DNS][16];
    char **domains;              /* INTERNAL_DNS_DOMAIN (RFC 8598), NULL-terminated */
    struct uip_ts subnets[IKE_SESSION_MAX_SUBNETS]; /* INTERNAL_IP4/6_SUBNET, cut to the
                                                     * CHILD_SA's remote selectors */
    unsigned n_subnets;
    /* Never dropped silently: each kind is logged once per message, and counted here. */
    unsigned n_ts_narrowed;      /* the gateway's selectors beyond what we asked: narrowed or
                                  * dropped (RFC 7296 2.9) */
    unsigned n_subnets_narrowed; /* INTERNAL_IP4/6_SUBNET beyond the remote selectors: narrowed
                                  * or not used as routes */
    unsigned n_cp_left_out;      /* configuration attributes past the caps, or malformed */
    const struct ike_child *child;
    char ike_proposal[128]; /* "AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519" */
    char esp_proposal[128];
};

struct ike_session_callbacks {
    /* Send @msg to the gateway at @to (its address and port: the IKE port, or once @natt
     * its NAT-T port, behind the non-ESP marker, which the owner adds).  0 or -errno. */
    int (*send)(void *user, bool natt, const struct sockaddr *to, socklen_t to_len,
                const uint8_t *msg, size_t len);
    /* Install a CHILD_SA in the ESP engine: each direction whose keymat is
     * set (both, except in a rekey collision: the inbound half first, the
     * outbound one once the collision is decided).  0 or -errno. */
    int (*child_install)(void *user, const struct ike_child *child);
    /* Remove both SAs of a CHILD_SA. */
    void (*child_delete)(void *user, uint32_t reqid, uint32_t spi_in, uint32_t spi_out);
    /* The tunnel is up. */
    void (*established)(void *user, const struct ike_established *info);
    /* The session failed; it sends nothing more. @message is for logs and users. */
    void (*failed)(void *user, enum ike_failure reason, const char *message);
    /* The CHILD_SA / the IKE SA was rekeyed, by either side (may be NULL). */
    void (*child_rekeyed)(void *user, const struct ike_child *child);
    void (*ike_rekeyed)(void *user, const char *proposal);
    /* ike_session_close() finished (the gateway confirmed the DELETE, or gave up waiting). */
    void (*closed)(void *user);
    /* The gateway wants us to reauthenticate within @seconds (RFC 4478
     * AUTH_LIFETIME, in IKE_AUTH or later in INFORMATIONAL): a new IKE SA from
     * scratch.  The session itself does not; its owner does (may be NULL). */
    void (*auth_lifetime)(void *user, unsigned seconds);
    /* Our liveness check (or UPDATE_SA_ADDRESSES) went unanswered once and is being sent
     * again: the gateway may have restarted and forgotten us.  The session goes on as
     * before; its owner may start a new IKE SA beside it (may be NULL). */
    void (*liveness_doubt)(void *user);
    /* The gateway sends us to another one (RFC 5685) at @gateway (with port 500).  During
     * setup the session is over (no failed()); established, it goes on until its owner
     * closes it and connects to the new gateway.  NULL: a redirect fails the session. */
    void (*redirected)(void *user, const struct sockaddr *gateway, socklen_t len);
    /* Test only (may be NULL): the IKE SA's keys, for a dissector. */
    void (*debug_keys)(void *user, uint64_t spi_i, uint64_t spi_r, const char *encr,
                       const char *integ, const uint8_t *sk_ei, const uint8_t *sk_er,
                       size_t e_len, const uint8_t *sk_ai, const uint8_t *sk_ar, size_t a_len);
};

struct ike_session;

/*
 * Check @cfg and create a session.  Returns 0, or -EINVAL with a message in
 * @err (bad proposal string, missing secret, ...).  Nothing is sent yet.
 */
int ike_session_new(const struct ike_session_config *cfg, const struct ike_session_callbacks *cb,
                    void *user, GMainContext *ctx, struct ike_session **out, char *err,
                    size_t err_len);

/* Send IKE_SA_INIT. */
void ike_session_start(struct ike_session *s);

/* A datagram from the gateway (non-ESP marker already removed), received from @from
 * (NULL: the owner's socket only takes the gateway's).  From another address than the
 * gateway's (or the other addresses it named under MOBIKE) it is not taken. */
void ike_session_input(struct ike_session *s, const uint8_t *msg, size_t len,
                       const struct sockaddr *from, socklen_t from_len);

/*
 * Why a datagram did not reach the state machine: the receive path
 * (src/ike/ike-recv.c) decides those up to NOT_YET, the session the ones
 * marked "session".  The session counts each reason and logs it at most once per
 * 10 s, with the count since its last line.  Keep ike_drop_name() in sync.
 */
enum ike_drop {
    IKE_DROP_MALFORMED,           /* does not parse: header, payload chain, SK/SKF header, or
                                   * the decrypted content */
    IKE_DROP_UNKNOWN_EXCHANGE,    /* an exchange type other than the four of RFC 7296 */
    IKE_DROP_UNKNOWN_SPI,         /* names none of our IKE SAs (or one with no keys yet) */
    IKE_DROP_WRONG_DIRECTION,     /* the I flag names the wrong original initiator, or an
                                   * IKE_SA_INIT request (we only initiate) */
    IKE_DROP_PLACEMENT,           /* a payload where it may not be (ike_msg_check_placement()):
                                   * e.g. anything beside SK/SKF in the clear */
    IKE_DROP_UNPROTECTED,         /* IKE_AUTH, CREATE_CHILD_SA or INFORMATIONAL without SK/SKF:
                                   * an unauthenticated notify, not trusted */
    IKE_DROP_LATE_RESPONSE,       /* a response to no request of ours that is out: a duplicate
                                   * of one taken, or an answer on another IKE SA */
    IKE_DROP_RETRANSMIT_ANSWERED, /* the gateway's last request again (verified; in fragments:
                                   * its fragment 1): our kept answer was sent again (not an
                                   * error) */
    IKE_DROP_RETRANSMIT_FRAGMENT, /* a fragment other than number 1 of the gateway's last request
                                   * again: no answer again for it (RFC 7383 2.6.1) */
    IKE_DROP_OLD_REQUEST,         /* a request older than the gateway's last one */
    IKE_DROP_FUTURE_REQUEST,      /* a request past the next message ID (window of one) */
    IKE_DROP_DECRYPT,             /* the ICV or AEAD tag did not verify, or SK lengths/padding */
    IKE_DROP_FRAGMENT_PENDING,    /* an RFC 7383 fragment kept: more to come (not an error) */
    IKE_DROP_FRAGMENT_DUPLICATE,  /* a fragment already kept */
    IKE_DROP_FRAGMENT_LIMIT,      /* more fragments or bytes than one message may have: the
                                   * reassembly was abandoned */
    IKE_DROP_NOT_YET,             /* a request of the gateway's before the tunnel is up */
    IKE_DROP_WRONG_EXCHANGE,      /* session: a response of another exchange than our request */
    IKE_DROP_NOT_RUNNING,         /* session: not started yet, or over (failed or closed) */
    IKE_DROP_WRONG_ADDRESS,       /* session: from an address that is not the gateway's */
    IKE_DROP_INIT_UNUSABLE,       /* session: an IKE_SA_INIT answer (unprotected) with an error
                                   * notify, or unusable: remembered, the wait goes on until the
                                   * retransmissions run out (RFC 7296 2.21.1) */
    IKE_DROP_SUPERSEDED,          /* session: an answer to an IKE_SA_INIT request we replaced
                                   * (after INVALID_KE_PAYLOAD or COOKIE), or a repeat of the
                                   * COOKIE / INVALID_KE_PAYLOAD answer we acted on */
    IKE_DROP_RETRANSMIT_LIMITED,  /* session: the gateway's last request again, sooner than 500 ms
                                   * after we sent our answer again: not again (rate limit) */
    IKE_DROP__MAX
};

/* Short name of a reason for logs and counters ("late-response"), "unknown" if out of range. */
const char *ike_drop_name(enum ike_drop why);

/* The datagrams the session did not take, per reason, since it was created. */
void ike_session_drops(const struct ike_session *s, uint64_t out[IKE_DROP__MAX]);

/*
 * Is @msg (an IKE message from the gateway) for this session: does its IKE
 * SPIi name one of the session's IKE SAs (also one being set up or rekeyed)?
 * Lets one owner run two sessions on the same sockets (reauthentication).
 */
bool ike_session_owns(const struct ike_session *s, const uint8_t *msg, size_t len);

/* The engine saw traffic from the gateway: postpones liveness checks. */
void ike_session_traffic_seen(struct ike_session *s);

/*
 * Ask the gateway now whether it still knows us, with few and fast
 * retransmissions (about 2 s in all), then fail as a dead peer: after a
 * resume, when the gateway may have dropped the IKE SA meanwhile.  A request
 * that is out already goes again at once, on the same quick schedule.
 * Ignored when not established.
 */
void ike_session_check_liveness(struct ike_session *s);

/*
 * We send but hear nothing back: one check now, on the normal schedule,
 * unless a request is out (which checks already).  Under MOBIKE it is
 * UPDATE_SA_ADDRESSES, so a NAT that rebound us to another port is followed
 * (the gateway takes the new source); without MOBIKE a liveness check, whose
 * answer comes back through the NAT's new mapping (the gateway follows an
 * authenticated message's new port).  Ignored when not established.
 */
void ike_session_probe(struct ike_session *s);

/*
 * The owner moved its sockets to a new local address (the route to the
 * gateway changed).  The request that is out, if any, goes again at once
 * from there.  Then:
 *   0            MOBIKE is on: UPDATE_SA_ADDRESSES follows (RFC 4555), the IKE
 *                SA and the CHILD_SA stay; if the gateway refuses, failed()
 *                reports IKE_FAIL_DEAD_PEER
 *   -EOPNOTSUPP  established without MOBIKE: the gateway cannot follow; the
 *                owner must make a new IKE SA from the new address
 *   -EAGAIN      not established (yet, or any more): nothing to update
 */
int ike_session_path_changed(struct ike_session *s);

/* Is a liveness check (or UPDATE_SA_ADDRESSES) out and already sent again, unanswered? */
bool ike_session_in_doubt(const struct ike_session *s);

/* Did the gateway agree to MOBIKE (so far: it says so in IKE_AUTH)? */
bool ike_session_mobike(const struct ike_session *s);

/* Rekey the CHILD_SA / the IKE SA now (also done on the configured timers).
 * Ignored when not established; postponed while another request is out. */
void ike_session_rekey_child(struct ike_session *s);
void ike_session_rekey_ike(struct ike_session *s);

/* Send DELETE for the IKE SA; closed() follows. */
void ike_session_close(struct ike_session *s);

/* Wipe everything and free; sends nothing. NULL is fine. */
void ike_session_free(struct ike_session *s);

uint64_t ike_session_spi_i(const struct ike_session *s);
