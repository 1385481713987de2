/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IKEv2 initiator (RFC 7296): its life cycle, and where messages come in.
 *
 *   ike_session_new() checks the configuration; ike_session_start() sends
 *   IKE_SA_INIT (ike-init.c); ike_session_close() sends DELETE and waits for
 *   its answer (or for the retransmissions to run out: ike-msg-io.c);
 *   ike_session_free() wipes everything.
 *   ike_session_input() <- every datagram from the owner, through ike_receive()
 *     (ike-recv.c): it must answer our IKE_SA_INIT, or belong to one of our
 *     IKE SAs (the current one, the old one after a rekey, the gateway's new
 *     one in a collision) and carry the expected message ID (a retransmitted request gets our kept
 *     answer again); it is decrypted, reassembled from fragments and parsed
 *     whole before any state changes, then
 *       IKE_SA_INIT responses -> ike-init.c
 *       requests -> ike-info.c
 *       other responses -> the exchange of our request that is out
 *         (struct ikes_exchange: IKE_AUTH -> ike-auth.c, CHILD_SA rekey and
 *         DELETEs -> child-rekey.c, IKE SA rekey -> ike-rekey.c, liveness and
 *         UPDATE_SA_ADDRESSES -> ike-mobike.c, our DELETE of the IKE SA here);
 *     or it is not taken: counted per reason (ike_session_drops()) and
 *     logged at most once per reason every 10 s.
 *
 * Also here: the state with its one setter, the timers, and ikes_fail():
 * the end (report, and never send again).  The map of the other files is
 * at the top of ike-session-priv.h.
 */
#include "ike/ike-session-priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"
#include "ike/ike-id.h"

/* ---- state ---------------------------------------------------------------------------------- */

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

void ikes_set_state(struct ike_session *s, enum state next)
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

/* ---- timers --------------------------------------------------------------------------------- */

void ikes_stop_timer(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

void ikes_arm_timer(struct ike_session *s, GSource **src, unsigned seconds, GSourceFunc fn)
{
    ikes_stop_timer(src);
    if (!seconds)
        return;
    *src = g_timeout_source_new_seconds(seconds);
    g_source_set_callback(*src, fn, s, NULL);
    g_source_attach(*src, s->ctx);
}

/* ---- failure -------------------------------------------------------------------------------- */

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

/* CLOCK_BOOTTIME: like CLOCK_MONOTONIC, but it also counts the time asleep. */
static int64_t boottime_us(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
        return g_get_monotonic_time();
    return (int64_t)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The end of ike_session_close(): answered, or given up on. */
void ikes_close_done(struct ike_session *s)
{
    ikes_stop_timer(&s->retransmit);
    g_clear_pointer(&s->request, g_ptr_array_unref);
    ikes_set_state(s, ST_DONE);
    ikes_remove_child(s);
    if (s->cb.closed)
        s->cb.closed(s->user);
}

/* The end: report, and never send again. */
/* Random bytes for SPIs, nonces and cookies: OpenSSL's, or the test's hook.  0, or -EIO when
 * OpenSSL has none: never a predictable value in their place. */
static int random_bytes(const struct ike_session *s, void *buf, size_t len)
{
    if (s->random) {
        s->random(buf, len);
        return 0;
    }
    return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

bool ikes_random(struct ike_session *s, void *buf, size_t len)
{
    if (random_bytes(s, buf, len) == 0)
        return true;
    ikes_fail(s, IKE_FAIL_CONFIG, "no random bytes from OpenSSL (RAND_bytes failed)");
    return false;
}

/* Over: nothing more is sent, nothing is installed. */
void ikes_end(struct ike_session *s)
{
    ikes_set_state(s, ST_DONE);
    ikes_stop_timer(&s->retransmit);
    ikes_stop_timer(&s->dpd_timer);
    ikes_stop_timer(&s->child_rekey_timer);
    ikes_stop_timer(&s->ike_rekey_timer);
    ikes_queue_clear(s);
    ikes_remove_child(s);
}

void ikes_fail(struct ike_session *s, enum ike_failure reason, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (s->state == ST_DONE)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    _LOGS(LOG_ERR, s, "failed (%s): %s", ike_failure_name(reason), msg);
    ikes_end(s);
    if (s->cb.failed)
        s->cb.failed(s->user, reason, msg);
}

/* ---- input ---------------------------------------------------------------------------------- */

void ike_session_traffic_seen(struct ike_session *s)
{
    s->last_seen_us = s->clock_us();
}

bool ike_session_owns(const struct ike_session *s, const uint8_t *msg, size_t len)
{
    struct ike_hdr h;

    if (ike_hdr_parse(msg, len, &h) < 0)
        return false;
    return h.spi_i == s->sa.spi_i || (s->has_old && h.spi_i == s->old.spi_i) ||
           (s->has_ike_coll && h.spi_i == s->ike_coll.spi_i);
}

void ike_session_drops(const struct ike_session *s, uint64_t out[IKE_DROP__MAX])
{
    for (unsigned i = 0; i < IKE_DROP__MAX; i++)
        out[i] = s->drops[i].total;
}

#define DROP_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
#define RESEND_MIN_US        (500 * 1000) /* our kept answer sent again at most this often */

/* Count a datagram not taken.  Never a line per datagram: at most one per reason per
 * DROP_LOG_INTERVAL_US, with the count since the last one; what is no error at debug level
 * (ike_drop_normal()). */
void ikes_count_drop(struct ike_session *s, enum ike_drop why)
{
    int64_t now = g_get_monotonic_time();

    s->drops[why].total++;
    s->drops[why].unlogged++;
    if (s->drops[why].logged_us && now - s->drops[why].logged_us < DROP_LOG_INTERVAL_US)
        return;
    _LOGS(ike_drop_normal(why) ? LOG_DEBUG : LOG_INFO, s,
          "not taken (%s): %" G_GUINT64_FORMAT " message(s) since the last line, %" G_GUINT64_FORMAT
          " in all",
          ike_drop_name(why), s->drops[why].unlogged, s->drops[why].total);
    s->drops[why].unlogged = 0;
    s->drops[why].logged_us = now;
}

/* What ike_receive() needs to know of the session now. */
static void recv_ctx(struct ike_session *s, struct ike_recv_ctx *c)
{
    *c = (struct ike_recv_ctx){
        .init_sent = s->state == ST_INIT_SENT,
        .init_spi_i = s->sa.spi_i,
        .sa = {&s->sa, s->has_old ? &s->old : NULL, s->has_ike_coll ? &s->ike_coll : NULL},
        .request_out = s->request != NULL,
        .request_id = s->request_id,
        .established = s->state >= ST_ESTABLISHED,
        .frags = &s->frags,
    };
}

/* The answer to our DELETE of the IKE SA. */
static void on_close_response(struct ike_session *s, const struct ike_msg *m)
{
    ikes_request_done(s);
    ikes_close_done(s);
}

const struct ikes_exchange ikes_ex_close = {"DELETE", IKE_INFORMATIONAL, on_close_response, false};

/* A response to our request, parsed whole: to the step of the exchange it answers. */
static void on_response(struct ike_session *s, const struct ike_msg *m)
{
    const struct ikes_exchange *ex = s->request_ex;

    if (!ex || m->hdr.exchange != ex->type) {
        ikes_count_drop(s, IKE_DROP_WRONG_EXCHANGE);
        return;
    }
    ex->on_response(s, m);
}

/* Is @a (any port) the gateway's address, or one of the others it named (MOBIKE)? */
static bool from_gateway(const struct ike_session *s, const struct sockaddr *a)
{
    if (ikes_same_host((const struct sockaddr *)&s->gateway, a))
        return true;
    for (unsigned i = 0; i < s->n_additional; i++)
        if (ikes_same_host((const struct sockaddr *)&s->additional[i], a))
            return true;
    return false;
}

void ike_session_input(struct ike_session *s, const uint8_t *buf, size_t len,
                       const struct sockaddr *from, socklen_t from_len)
{
    struct ike_recv_ctx c;
    struct ike_recv r;
    enum ike_drop why;

    if (s->state == ST_DONE || s->state == ST_IDLE) {
        ikes_count_drop(s, IKE_DROP_NOT_RUNNING);
        return;
    }
    if (from && (from_len < sizeof(sa_family_t) || !from_gateway(s, from))) {
        ikes_count_drop(s, IKE_DROP_WRONG_ADDRESS);
        return;
    }
    recv_ctx(s, &c);
    if (!ike_receive(&c, buf, len, &r, &why)) {
        if (why == IKE_DROP_RETRANSMIT_ANSWERED) {
            /* our answer got lost: again, at most every RESEND_MIN_US (a request sent many
             * times over must not make us an amplifier) */
            int64_t now = s->clock_us();
            if (s->resent_us && now - s->resent_us < RESEND_MIN_US) {
                why = IKE_DROP_RETRANSMIT_LIMITED;
            } else {
                s->resent_us = now;
                ikes_transmit(s, r.sa->last_response);
            }
        }
        ikes_count_drop(s, why);
        return;
    }
    if (r.n_frags)
        _LOGS(LOG_INFO, s, "message %u reassembled from %u fragments", r.m.hdr.msg_id, r.n_frags);
    if (!r.sa) {
        ikes_on_init_response(s, &r.m);
    } else if (!(r.m.hdr.flags & IKE_FLAG_RESPONSE)) {
        s->last_seen_us = s->clock_us();
        r.sa->peer_next_id = r.m.hdr.msg_id + 1;
        ikes_on_peer_request(s, r.sa, &r.m);
    } else {
        s->last_seen_us = s->clock_us();
        on_response(s, &r.m);
    }
    ike_recv_clear(&r);
}

/* ---- life cycle ----------------------------------------------------------------------------- */

/* strongSwan's identity syntax (ike-id.h): @fqdn, user@fqdn, @@, @#hex, a DN, an address */
static int id_from_string(const char *str, struct ike_id_value *id)
{
    memset(id, 0, sizeof(*id));
    if (ike_id_from_text(str, &id->type, &id->data, &id->len, NULL) < 0)
        return -EINVAL;
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

void ikes_sa_ctx_clear(struct sa_ctx *sa)
{
    ike_keys_free(sa->keys);
    ike_sk_ctx_free(sa->enc);
    ike_sk_ctx_free(sa->dec);
    g_clear_pointer(&sa->last_response, g_ptr_array_unref);
    memset(sa, 0, sizeof(*sa));
}

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
        !cfg->cred && (!cfg->user_cert || !*cfg->user_cert)) {
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
    s->reauth = cfg->reauth;
    s->clock_us = cfg->liveness_clock_us ? cfg->liveness_clock_us : boottime_us;
    s->random = cfg->random;
    memcpy(s->vip4_hint, cfg->vip4_hint, sizeof(s->vip4_hint));
    s->vip6_hint_set = cfg->vip6_hint_set;
    memcpy(s->vip6_hint, cfg->vip6_hint, sizeof(cfg->vip6_hint));
    s->vip6_hint[16] = 128; /* INTERNAL_IP6_ADDRESS: address and prefix length */
    s->dpd_interval = cfg->dpd_interval;
    s->child_rekey_time = cfg->child_rekey_time;
    s->frag_wanted = cfg->fragmentation;
    s->mobike_wanted = cfg->mobike;
    s->redirected_from = cfg->redirected_from;
    memcpy(&s->natt_gateway, &cfg->gateway, sizeof(s->natt_gateway));
    if (s->natt_gateway.ss_family == AF_INET)
        ((struct sockaddr_in *)&s->natt_gateway)->sin_port = htons(cfg->natt_port ?: NATT_PORT);
    else
        ((struct sockaddr_in6 *)&s->natt_gateway)->sin6_port = htons(cfg->natt_port ?: NATT_PORT);
    /* RFC 7383 2.5.1: fragments that fit 1280 bytes with the IP, UDP and non-ESP marker headers */
    s->frag_max = IKE_FRAG_PATH_MTU - (cfg->gateway.ss_family == AF_INET6 ? 40 : 20) - 8 - 4;
    s->ike_rekey_time = cfg->ike_rekey_time;
    s->tries_max = cfg->retransmit_tries ? cfg->retransmit_tries : DEFAULT_TRIES;
    s->base_ms = cfg->retransmit_base_ms ? cfg->retransmit_base_ms : DEFAULT_BASE_MS;
    char host[INET6_ADDRSTRLEN];
    id_from_sockaddr((const struct sockaddr *)&cfg->gateway, host, sizeof(host));
    /* what the certificate must name without remote_id: the address, or the name configured */
    if (cfg->gateway_name && *cfg->gateway_name && !strchr(cfg->gateway_name, ' ') &&
        g_ascii_strcasecmp(cfg->gateway_name, host) != 0)
        s->gateway_host = g_strdup_printf("%s %s", host, cfg->gateway_name);
    else
        s->gateway_host = g_strdup(host);
    /* the gateway's certificate: for EAP and certificates (with a PSK the
     * gateway must prove the key: ike-auth.c refuses its signature) */
    if (cfg->auth != IKE_AUTHM_PSK) {
        char terr[200];
        s->trust = ike_trust_ref(cfg->trust);
        r = s->trust ? 0 : ike_trust_new(cfg->ca_cert, &s->trust, terr, sizeof(terr));
        if (r < 0) {
            snprintf(err, err_len, "cannot load the CA certificate: %s", terr);
            ike_session_free(g_steal_pointer(&s));
            return -EINVAL;
        }
    }
    if (cfg->auth == IKE_AUTHM_CERT || cfg->auth == IKE_AUTHM_EAP_TLS) {
        char cerr[200];
        s->cred = ike_cred_ref(cfg->cred);
        r = s->cred ? 0
                    : ike_cred_load(cfg->user_cert, cfg->user_key, cfg->user_key_password,
                                    &s->cred, cerr, sizeof(cerr));
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

    int rr;
    do {
        rr = random_bytes(s, (uint8_t *)&s->sa.spi_i, sizeof(s->sa.spi_i));
    } while (rr == 0 && s->sa.spi_i == 0);
    while (rr == 0) {
        rr = random_bytes(s, (uint8_t *)&s->cur.spi_in, sizeof(s->cur.spi_in));
        if (s->cur.spi_in >= 256)
            break;
    }
    if (rr == 0)
        rr = random_bytes(s, s->ni, sizeof(s->ni));
    if (rr < 0) {
        snprintf(err, err_len, "no random bytes from OpenSSL (RAND_bytes failed)");
        ike_session_free(s);
        return rr;
    }
    uint8_t spi_be[4];
    uip_put32(spi_be, s->cur.spi_in);
    ike_proposals_set_spi(s->esp_props, s->n_esp_props, spi_be, 4);
    memcpy(s->esp_pfs_props, s->esp_props, sizeof(s->esp_props));
    ike_proposals_strip_ke(s->esp_props, s->n_esp_props);
    if (s->eap)
        eap_peer_set_spi(s->eap, s->sa.spi_i);
    *out = g_steal_pointer(&s);
    return 0;
}

void ike_session_start(struct ike_session *s)
{
    if (s->state == ST_IDLE)
        ikes_send_init(s);
}

void ike_session_close(struct ike_session *s)
{
    if (s->state == ST_DONE || s->state == ST_CLOSING)
        return;
    if (!s->sa.enc || s->state == ST_INIT_SENT) {
        /* nothing to delete on the gateway's side */
        ikes_set_state(s, ST_DONE);
        ikes_stop_timer(&s->retransmit);
        ikes_stop_timer(&s->dpd_timer);
        if (s->cb.closed)
            s->cb.closed(s->user);
        return;
    }
    struct ike_builder b;
    ikes_begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    ike_build_delete(&b, IKE_PROTO_IKE, NULL, 0);
    GPtrArray *msg = ikes_seal(s, &b);
    ike_builder_clear(&b);
    ikes_set_state(s, ST_CLOSING);
    ikes_stop_timer(&s->dpd_timer);
    ikes_stop_timer(&s->child_rekey_timer);
    ikes_stop_timer(&s->ike_rekey_timer);
    ikes_queue_clear(s);
    ikes_remove_child(s);
    if (!msg) {
        ikes_set_state(s, ST_DONE);
        if (s->cb.closed)
            s->cb.closed(s->user);
        return;
    }
    _LOGS(LOG_INFO, s, "closing: sending DELETE");
    ikes_request_done(s);
    ikes_send_request(s, msg, s->sa.next_id++, &ikes_ex_close);
}

void ike_session_free(struct ike_session *s)
{
    if (!s)
        return;
    ikes_stop_timer(&s->retransmit);
    ikes_stop_timer(&s->dpd_timer);
    ikes_stop_timer(&s->child_rekey_timer);
    ikes_stop_timer(&s->ike_rekey_timer);
    ikes_queue_clear(s);
    ike_dh_free(s->rk_dh);
    ike_frags_reset(&s->frags);
    g_clear_pointer(&s->request, g_ptr_array_unref);
    g_clear_pointer(&s->init_req, g_bytes_unref);
    g_clear_pointer(&s->init_resp, g_bytes_unref);
    ike_dh_free(s->dh);
    ikes_sa_ctx_clear(&s->sa);
    ikes_sa_ctx_clear(&s->old);
    ikes_sa_ctx_clear(&s->ike_coll);
    ikes_coll_clear(s);
    eap_peer_free(s->eap);
    ike_trust_free(s->trust);
    ike_cred_free(s->cred);
    g_free(s->idr_body);
    g_free(s->gateway_host);
    uip_free_secret(s->psk, s->psk_len);
    g_free(s->cookie);
    g_free(s->cookie_next);
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
