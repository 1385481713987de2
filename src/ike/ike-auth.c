/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE_AUTH and EAP (RFC 7296 1.2, 2.15, 2.16):
 *
 *   from ike-init.c -> IKE_AUTH request (IDi, [IDr], AUTH or none for EAP,
 *     CP, SA, TSi, TSr)
 *   <- IKE_AUTH response(s), from ike_session_input(): for EAP the gateway's
 *     certificate and signature first, then EAP round trips, then our AUTH
 *     from the MSK; at last the gateway's AUTH, configuration payload,
 *     narrowed selectors and the chosen ESP proposal -> CHILD_SA keys to the
 *     owner (child-sa.c), established; liveness checks (ike-info.c) and the
 *     rekey timers start.
 *   A tunnel refused after the gateway authenticated us: DELETE of the IKE
 *   SA it keeps, then the session fails.
 *   AUTH_LIFETIME (RFC 4478), here or in a later INFORMATIONAL -> the owner.
 */
#include "ike/ike-session-priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"
#include "ike/ike-id.h"

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

void ikes_send_auth(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t auth[IKE_PRF_MAX_LEN];
    size_t auth_len = 0;
    struct ike_cp_attr attrs[6];
    unsigned n_attrs = 0;

    if (s->auth == IKE_AUTHM_PSK && our_auth(s, auth, &auth_len) < 0) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "cannot compute our AUTH payload");
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
            ikes_fail(s, IKE_FAIL_CONFIG, "cannot sign with our private key: %s", g_strerror(-r));
            return;
        }
    }

    ikes_begin_encrypted(s, &b, IKE_AUTH, false, s->sa.next_id);
    ike_build_id(&b, IKE_PL_IDI, s->idi.type, s->idi.data, s->idi.len);
    if (!s->reauth)
        ike_build_notify(&b, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
    if (s->mobike_wanted)
        ike_build_notify(&b, 0, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
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
    bool sent = ikes_send_built_request(s, &b, &ikes_ex_auth);
    uip_wipe(auth, sizeof(auth));
    if (!sent) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "cannot build IKE_AUTH");
        return;
    }
    _LOGS(LOG_INFO, s, "sent IKE_AUTH (%s)",
          s->auth == IKE_AUTHM_PSK ? "PSK" : s->auth == IKE_AUTHM_CERT ? "certificate" : "EAP");
    ikes_set_state(s, ST_AUTH_SENT);
}

/* Our next EAP message; false when it cannot be built: the session failed. */
static bool send_eap(struct ike_session *s, const uint8_t *eap, size_t len)
{
    struct ike_builder b;

    ikes_begin_encrypted(s, &b, IKE_AUTH, false, s->sa.next_id);
    /* the EAP message is already encoded: code, id, length, type, data */
    if (ike_builder_add(&b, IKE_PL_EAP, false, eap, len) < 0) {
        ike_builder_clear(&b);
        ikes_fail(s, IKE_FAIL_PROTOCOL, "cannot build the EAP message");
        return false;
    }
    if (!ikes_send_built_request(s, &b, &ikes_ex_auth)) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "cannot build the EAP message");
        return false;
    }
    return true;
}

static void send_eap_auth(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t auth[IKE_PRF_MAX_LEN];
    size_t auth_len;

    if (our_auth(s, auth, &auth_len) < 0) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "cannot compute our AUTH payload from the EAP key");
        return;
    }
    ikes_begin_encrypted(s, &b, IKE_AUTH, false, s->sa.next_id);
    ike_build_auth(&b, IKE_AUTH_PSK, auth, auth_len); /* RFC 7296 2.16: shared key method */
    bool sent = ikes_send_built_request(s, &b, &ikes_ex_auth);
    uip_wipe(auth, sizeof(auth));
    if (!sent) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "cannot build IKE_AUTH");
        return;
    }
    ikes_set_state(s, ST_EAP_AUTH_SENT);
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
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway sent no certificate");
        return false;
    }
    if (!s->trust) {
        int r = ike_trust_new(NULL, &s->trust, err, sizeof(err));
        if (r < 0) {
            ikes_fail(s, IKE_FAIL_CONFIG, "cannot load the system's trusted certificates: %s", err);
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
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway's certificate is not trusted: %s", err);
        break;
    case -EACCES:
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway's certificate does not match its identity: %s",
                  err);
        break;
    case -EPERM:
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway's signature is wrong: %s", err);
        break;
    default:
        ikes_fail(s, IKE_FAIL_AUTH, "cannot verify the gateway's authentication: %s",
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
            ikes_fail(s, IKE_FAIL_AUTH, "the gateway's identity payload is malformed");
            return false;
        }
        if (s->idr.type &&
            !ike_id_equal(s->idr.type, s->idr.data, s->idr.len, id.id_type, id.data, id.len)) {
            ikes_fail(s, IKE_FAIL_AUTH,
                      "the gateway's identity is not the configured remote identity");
            return false;
        }
        g_free(s->idr_body);
        s->idr_body = g_memdup2(pl_id->body, pl_id->body_len);
        s->idr_body_len = pl_id->body_len;
    } else if (!s->idr_body) {
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway sent no identity");
        return false;
    }
    if (!pl_auth || ike_auth_parse(pl_auth, &auth) < 0) {
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway sent no AUTH payload");
        return false;
    }
    if (auth.method != IKE_AUTH_PSK && s->auth == IKE_AUTHM_PSK) {
        /* with a shared key the gateway proves it knows it: a signature instead would widen
         * trust to any certificate the system store accepts for its name (issue 12) */
        ikes_fail(s, IKE_FAIL_AUTH,
                  "the gateway signed instead of proving the pre-shared key (AUTH method %u), "
                  "which a PSK connection does not accept",
                  auth.method);
        return false;
    }
    if (auth.method != IKE_AUTH_PSK) {
        if (!pl_id) {
            ikes_fail(s, IKE_FAIL_AUTH, "the gateway signed without sending its identity");
            return false;
        }
        return verify_gateway_cert(s, m, &id, &auth);
    }
    /* shared key: a PSK of ours, or the MSK of a finished EAP exchange */
    if (s->auth == IKE_AUTHM_CERT || (auth_is_eap(s) && !s->gateway_verified)) {
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway authenticates with a shared key, but %s",
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
        ikes_fail(s, IKE_FAIL_AUTH, "the gateway's AUTH payload is wrong (wrong pre-shared key?)");
        return false;
    }
    return true;
}

/* An INTERNAL_IP4_SUBNET (address, netmask) or INTERNAL_IP6_SUBNET (address, prefix length)
 * attribute as a selector; false when malformed. */
static bool cp_subnet(const struct ike_cp_attr *a, struct uip_ts *ts)
{
    if (a->type == IKE_CFG_INTERNAL_IP4_SUBNET) {
        if (a->len != 8)
            return false;
        uip_ts_any(ts, AF_INET);
        for (int k = 0; k < 4; k++) {
            ts->start[k] = a->value[k] & a->value[4 + k];
            ts->end[k] = (uint8_t)(ts->start[k] | ~a->value[4 + k]);
        }
        return true;
    }
    if (a->len != 17 || a->value[16] > 128)
        return false;
    char buf[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, a->value, addr, sizeof(addr));
    snprintf(buf, sizeof(buf), "%s/%u", addr, a->value[16]);
    return uip_ts_parse(buf, ts) == 0;
}

/*
 * The configuration reply.  Nothing is dropped silently: attributes past the caps (DNS servers
 * per family, subnets, attributes per payload) or malformed are logged once and counted in
 * info.n_cp_left_out; subnets are routes into the tunnel, so they are cut to the CHILD_SA's
 * remote selectors (already cut to what we asked for: the user's remote-ts), and what lies
 * beyond is logged once and counted in info.n_subnets_narrowed, never routed: a gateway cannot
 * widen a split tunnel with INTERNAL_IP4_SUBNET 0.0.0.0/0.
 */
static void read_cp(struct ike_session *s, const struct ike_msg *m)
{
    const struct ike_pl *pl = ike_msg_find(m, IKE_PL_CP, NULL);
    struct ike_established *in = &s->info;
    GPtrArray *domains = g_ptr_array_new();
    struct ike_cp cp;
    unsigned left_out = 0, n_raw = 0;
    struct uip_ts *raw = g_new(struct uip_ts, IKE_CP_MAX_ATTRS);

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
            case IKE_CFG_INTERNAL_IP6_SUBNET:
                if (a->len == 0)
                    break; /* an empty one echoes our request */
                if (cp_subnet(a, &raw[n_raw]))
                    n_raw++;
                else
                    left_out++;
                break;
            case IKE_CFG_INTERNAL_DNS_DOMAIN:
                if (a->len > 0 && a->len < 256) {
                    char *d = g_strndup((const char *)a->value, a->len);
                    bool ok = true;
                    for (char *c = d; *c; c++)
                        ok &= g_ascii_isalnum(*c) || *c == '-' || *c == '.';
                    if (ok && strlen(d) == a->len) {
                        g_ptr_array_add(domains, d);
                    } else {
                        g_free(d);
                        left_out++;
                    }
                } else {
                    left_out++;
                }
                break;
            default:
                break;
            }
        }
    }
    if (n_raw) {
        const struct ike_child *c = &s->child;
        unsigned changed = 0, room = IKE_SESSION_MAX_SUBNETS - in->n_subnets;
        unsigned n = 0;
        uip_ts_narrow(c->remote_ts, c->n_remote_ts, raw, n_raw, in->subnets + in->n_subnets, room,
                      &n, &changed);
        in->n_subnets += n;
        if (changed) {
            char buf[96];
            in->n_subnets_narrowed += changed;
            _LOGS(LOG_WARNING, s,
                  "configuration payload: %u of %u subnets (first %s) lie beyond the tunnel's "
                  "remote traffic selectors or past %u: narrowed or not used as routes",
                  changed, n_raw, uip_ts_to_string(&raw[0], buf, sizeof(buf)),
                  IKE_SESSION_MAX_SUBNETS);
        }
    }
    g_free(raw);
    if (left_out) {
        in->n_cp_left_out += left_out;
        _LOGS(LOG_WARNING, s,
              "configuration payload: %u attributes left out (malformed, or past %u DNS servers "
              "per family or %u attributes)",
              left_out, IKE_SESSION_MAX_DNS, IKE_CP_MAX_ATTRS);
    }
    g_ptr_array_add(domains, NULL);
    g_strfreev(in->domains);
    in->domains = (char **)g_ptr_array_free(domains, FALSE);
}

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

    ikes_begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    ike_build_delete(&b, IKE_PROTO_IKE, NULL, 0);
    msg = ikes_seal(s, &b);
    ike_builder_clear(&b);
    if (msg) {
        s->sa.next_id++;
        ikes_transmit(s, msg);
        g_ptr_array_unref(msg);
        _LOGS(LOG_INFO, s, "sent DELETE for the IKE SA the gateway keeps");
    }
    ikes_fail(s, reason, "%s%s", what, detail);
}

/* An AUTH_LIFETIME notify in @m (RFC 4478) goes to the owner, who reauthenticates. */
void ikes_report_auth_lifetime(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_notify n;

    if (!ikes_find_notify(m, IKE_N_AUTH_LIFETIME, &n))
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
    if (ikes_redirect_in_auth(s, m))
        return;
    uint16_t err = ikes_error_notify(m);
    if (err) {
        /* the IKE SA is up, the CHILD_SA is not */
        fail_established(s,
                         err == IKE_N_INTERNAL_ADDRESS_FAILURE || err == IKE_N_FAILED_CP_REQUIRED
                             ? IKE_FAIL_CONFIG
                             : IKE_FAIL_PROPOSAL,
                         "the gateway refused the tunnel: ", ikes_notify_name(err));
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
    const struct ike_ts_want asked = {s->tsi, s->n_tsi, s->tsr, s->n_tsr};
    int r = ikes_read_ts_pair(s, m, &asked, c->local_ts, &c->n_local_ts, c->remote_ts,
                              &c->n_remote_ts);
    if (r == -ENOENT) {
        fail_established(s, IKE_FAIL_PROPOSAL,
                         "the gateway's traffic selectors lie outside what we asked for "
                         "(TS_UNACCEPTABLE)", "");
        return;
    }
    if (r < 0) {
        fail_established(s, IKE_FAIL_PROPOSAL, "the gateway sent no usable traffic selectors", "");
        return;
    }
    read_cp(s, m);
    if ((s->vip4 || s->vip6) && !s->info.has_vip4 && !s->info.has_vip6) {
        fail_established(s, IKE_FAIL_CONFIG, "the gateway assigned no virtual IP address", "");
        return;
    }

    s->cur.spi_out = esp.spi;
    r = ikes_install_child(s, c, &esp, s->cur.spi_in, true, NULL, 0, s->ni, sizeof(s->ni),
                               s->nr, s->nr_len, NULL, NULL);
    if (r < 0) {
        fail_established(s, IKE_FAIL_CONFIG, "cannot install the CHILD_SA: ", g_strerror(-r));
        return;
    }
    s->cur.installed = true;
    ike_selected_to_string(&sel, s->info.esp_proposal, sizeof(s->info.esp_proposal));
    s->info.child = c;
    ikes_request_done(s);
    ikes_set_state(s, ST_ESTABLISHED);
    _LOGS(LOG_INFO, s, "established: %s, CHILD_SA %08x/%08x", s->info.esp_proposal, s->cur.spi_in,
          s->cur.spi_out);
    ikes_start_dpd(s);
    ikes_arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, ikes_on_child_rekey_timer);
    ikes_arm_timer(s, &s->ike_rekey_timer, s->ike_rekey_time, ikes_on_ike_rekey_timer);
    if (s->cb.established)
        s->cb.established(s->user, &s->info);
    if (s->state == ST_ESTABLISHED)
        ikes_report_auth_lifetime(s, m);
}

void ikes_on_auth_response(struct ike_session *s, const struct ike_msg *m)
{
    const struct ike_pl *pl_eap = ike_msg_find(m, IKE_PL_EAP, NULL);

    if (ikes_find_notify(m, IKE_N_AUTHENTICATION_FAILED, NULL)) {
        ikes_fail(s, IKE_FAIL_AUTH,
                  "the gateway rejected our authentication (AUTHENTICATION_FAILED)");
        return;
    }
    ikes_mobike_auth_response(s, m);
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
            ikes_fail(s, IKE_FAIL_AUTH,
                      "the gateway did not authenticate with a certificate, "
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
            ikes_fail(s, IKE_FAIL_AUTH, "the gateway's identity is unusable for EAP");
            return;
        }
    }
    if (!pl_eap) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway sent no EAP message");
        return;
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    int r = eap_peer_process(s->eap, pl_eap->body, pl_eap->body_len, &out, &out_len);
    ikes_request_done(s);
    if (r == 0) {
        bool sent = send_eap(s, out, out_len);
        g_free(out);
        /* not sent: the session failed (ST_DONE), and stays so */
        if (sent && s->state != ST_EAP)
            ikes_set_state(s, ST_EAP);
    } else if (r == EAP_DONE_SUCCESS) {
        send_eap_auth(s);
    } else if (r == -EACCES || r == -EKEYREJECTED) {
        const char *why = eap_peer_failure_message(s->eap);
        ikes_fail(s, IKE_FAIL_AUTH, "EAP authentication failed%s%s", why ? ": " : "",
                  why ? why : "");
    } else {
        const char *why = eap_peer_failure_message(s->eap);
        ikes_fail(s, IKE_FAIL_PROTOCOL, "EAP failed: %s", why ? why : g_strerror(-r));
    }
}

const struct ikes_exchange ikes_ex_auth = {"IKE_AUTH", IKE_AUTH, ikes_on_auth_response, false};
