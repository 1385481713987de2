/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE_SA_INIT (RFC 7296 1.2):
 *
 *   ike_session_start() -> IKE_SA_INIT request (SA, KE, Ni, NAT-D with a
 *     source hash that cannot match, so the gateway encapsulates ESP in UDP
 *     as our engine needs), sent as our request (ike-msg-io.c)
 *   <- its response, from ike_session_input(): REDIRECT -> ike-redirect.c;
 *     INVALID_KE_PAYLOAD -> retry once with that group, at once; COOKIE -> the next
 *     retransmission carries it (ikes_init_retry()); an error notify or an answer we cannot
 *     use -> remembered, and the wait goes on: it is unprotected (RFC 7296 2.21.1), so the
 *     session fails with it only when the retransmissions run out with nothing valid
 *     (ikes_init_give_up()); answers to a request we replaced -> not taken; else select the
 *     proposal, g^ir, SKEYSEED, SK_* keys; switch to NAT-T -> IKE_AUTH (ike-auth.c)
 */
#include "ike/ike-session-priv.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"

/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port) */
void ikes_nat_hash(const struct ike_session *s, const struct sockaddr *sa, uint8_t out[SHA1_LEN])
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

/*
 * The two NAT-D notifies toward @gateway (its address and port).  A source
 * hash that cannot match: the gateway believes we are behind a NAT and
 * encapsulates ESP in UDP, which is all our engine speaks (also after MOBIKE
 * moved us: RFC 4555 3.5 redoes NAT detection in UPDATE_SA_ADDRESSES).
 */
bool ikes_build_natd(struct ike_session *s, struct ike_builder *b, const struct sockaddr *gateway)
{
    uint8_t natd_src[SHA1_LEN], natd_dst[SHA1_LEN];

    if (!ikes_random(s, natd_src, sizeof(natd_src)))
        return false;
    ikes_nat_hash(s, gateway, natd_dst);
    ike_build_notify(b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd_src, sizeof(natd_src));
    ike_build_notify(b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd_dst,
                     sizeof(natd_dst));
    return true;
}

void ikes_send_init(struct ike_session *s)
{
    struct ike_builder b;
    const uint8_t *pub;
    size_t pub_len;
    uint16_t group;

    if (ike_proposals_first_ke(s->ike_props, s->n_ike_props, &group) < 0) {
        ikes_fail(s, IKE_FAIL_CONFIG, "the IKE proposals name no key exchange method");
        return;
    }
    if (!s->dh || ike_dh_group(s->dh) != group) {
        ike_dh_free(g_steal_pointer(&s->dh));
        int r = ike_dh_new(group, &s->dh);
        if (r < 0) {
            ikes_fail(s, IKE_FAIL_CONFIG, "cannot create a %s key: %s",
                      ike_transform_name(IKE_TRANS_KE, group), g_strerror(-r));
            return;
        }
    }
    ike_dh_public(s->dh, &pub, &pub_len);

    ike_builder_init(&b, s->sa.spi_i, 0, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
    if (s->cookie)
        ike_build_notify(&b, 0, NULL, 0, IKE_N_COOKIE, s->cookie, s->cookie_len);
    ike_build_sa(&b, s->ike_props, s->n_ike_props);
    ike_build_ke(&b, group, pub, pub_len);
    ike_build_nonce(&b, s->ni, sizeof(s->ni));
    if (!ikes_build_natd(s, &b, (const struct sockaddr *)&s->gateway)) {
        ike_builder_clear(&b);
        return;
    }
    if (s->frag_wanted)
        ike_build_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    ikes_add_redirect_notify(s, &b);
    if (s->auth != IKE_AUTHM_PSK) {
        uint8_t hashes[IKE_SIG_HASH_DATA_LEN];
        size_t hl;
        if (ike_sig_hash_build(hashes, sizeof(hashes), &hl) == 0)
            ike_build_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes, hl);
    }
    if (ike_builder_finish(&b) < 0) {
        ike_builder_clear(&b);
        ikes_fail(s, IKE_FAIL_CONFIG, "cannot build IKE_SA_INIT");
        return;
    }
    g_clear_pointer(&s->init_req, g_bytes_unref);
    s->init_req = g_bytes_new(ike_builder_data(&b), ike_builder_len(&b));
    ike_builder_clear(&b);
    _LOGS(LOG_INFO, s, "sending IKE_SA_INIT (%s)", ike_transform_name(IKE_TRANS_KE, group));
    if (s->state != ST_INIT_SENT)
        ikes_set_state(s, ST_INIT_SENT);
    s->sa.next_id = 1;
    ikes_send_request(s, ikes_dgrams_one(g_bytes_ref(s->init_req)), 0, &ikes_ex_init);
}

/*
 * An IKE_SA_INIT answer that refuses (an error notify) or cannot be used.  It is unprotected:
 * anyone who saw our request can send it.  So it is remembered, not acted on (RFC 7296
 * 2.21.1): the request stays out, and a valid answer may still come; when the
 * retransmissions run out with none, the session fails with the last of these
 * (ikes_init_give_up()).  The wait goes on on the quick schedule (250, 500, 1000 ms: the
 * gateway's genuine answer, if this was not it, is on its way already), so that a real
 * refusal still fails in about 2 s; set once, so that a stream of such answers cannot
 * postpone the retransmissions.
 */
static void init_unusable(struct ike_session *s, enum ike_failure reason, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void init_unusable(struct ike_session *s, enum ike_failure reason, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->init_error.msg, sizeof(s->init_error.msg), fmt, ap);
    va_end(ap);
    if (!s->init_error.set)
        _LOGS(LOG_INFO, s,
              "IKE_SA_INIT answer not taken (%s): unprotected, it may not be the gateway's; "
              "waiting for another",
              s->init_error.msg);
    s->init_error.set = true;
    s->init_error.reason = reason;
    ikes_count_drop(s, IKE_DROP_INIT_UNUSABLE);
    if (!s->quick)
        ikes_request_set_quick(s);
}

/*
 * The retransmission timer of our IKE_SA_INIT fired: when a COOKIE was asked for meanwhile,
 * this retransmission is IKE_SA_INIT again with it (true), else the same request goes
 * again (false).  Why not at once: the COOKIE answer is unprotected and, as RFC 7296 2.6
 * wants the retried request unchanged but for the cookie (SPIi, Ni, KE: responders hash
 * them into the cookie), nothing in the gateway's answer tells which of the two requests it
 * answers.  A gateway that asks for a cookie answers the request without one with nothing
 * else; so a full answer before this point answers our first request (the COOKIE was not
 * the gateway's) and is taken, and one after it is taken as the answer to the request with
 * the cookie (the one our AUTH signs).  The cost: a genuine COOKIE waits for the first
 * retransmission (retransmit_base_ms, 1 s by default).
 */
bool ikes_init_retry(struct ike_session *s)
{
    if (s->state != ST_INIT_SENT || !s->cookie_next)
        return false;
    g_free(s->cookie);
    s->cookie = g_steal_pointer(&s->cookie_next);
    s->cookie_len = s->cookie_next_len;
    _LOGS(LOG_INFO, s, "the gateway asked for a cookie: IKE_SA_INIT again with it");
    ikes_request_done(s);
    ikes_send_init(s);
    return true;
}

/* The retransmissions of our IKE_SA_INIT ran out: the last unusable answer, if any, says why. */
bool ikes_init_give_up(struct ike_session *s, unsigned tries)
{
    if (s->state != ST_INIT_SENT || !s->init_error.set)
        return false;
    ikes_fail(s, s->init_error.reason, "%s (no other answer in %u tries)", s->init_error.msg,
              tries);
    return true;
}

static bool same_bytes(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return a && a_len == b_len && !memcmp(a, b, a_len);
}

void ikes_on_init_response(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_notify n;
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n_reply;
    struct ike_ke ke;
    struct ike_nonce nonce;
    const struct ike_pl *pl;

    if (ikes_redirect_in_init(s, m))
        return;
    if (ikes_find_notify(m, IKE_N_COOKIE, &n)) {
        if (same_bytes(s->cookie, s->cookie_len, n.data, n.data_len) ||
            same_bytes(s->cookie_next, s->cookie_next_len, n.data, n.data_len)) {
            ikes_count_drop(s, IKE_DROP_SUPERSEDED); /* the one we have, again */
            return;
        }
        if (s->cookie || n.data_len < 1 || n.data_len > 64) {
            init_unusable(s, IKE_FAIL_PROTOCOL, "the gateway keeps asking for a cookie");
            return;
        }
        _LOGS(LOG_INFO, s, "gateway asks for a cookie: the next retransmission carries it");
        g_free(s->cookie_next);
        s->cookie_next = g_memdup2(n.data, n.data_len);
        s->cookie_next_len = n.data_len;
        return;
    }
    if (ikes_find_notify(m, IKE_N_INVALID_KE_PAYLOAD, &n)) {
        uint16_t group = n.data_len == 2 ? uip_get16(n.data) : 0;
        if (s->ke_retried && s->dh && group == ike_dh_group(s->dh)) {
            ikes_count_drop(s, IKE_DROP_SUPERSEDED); /* the one we acted on, again */
            return;
        }
        if (s->ke_retried || ike_proposals_prefer_ke(s->ike_props, s->n_ike_props, group) < 0) {
            init_unusable(s, IKE_FAIL_PROPOSAL,
                          "the gateway wants key exchange method %u, which we do not offer",
                          group);
            return;
        }
        /* at once: the answers to the two requests differ in their KE group */
        _LOGS(LOG_INFO, s, "gateway prefers %s: retrying", ike_transform_name(IKE_TRANS_KE, group));
        s->ke_retried = true;
        s->ke_superseded = s->dh ? ike_dh_group(s->dh) : 0;
        ikes_request_done(s);
        ikes_send_init(s);
        return;
    }
    uint16_t err = ikes_error_notify(m);
    if (err) {
        init_unusable(s, err == IKE_N_NO_PROPOSAL_CHOSEN ? IKE_FAIL_PROPOSAL : IKE_FAIL_PROTOCOL,
                      "the gateway answered IKE_SA_INIT with %s%s", ikes_notify_name(err),
                      err == IKE_N_NO_PROPOSAL_CHOSEN ? ": no common IKE proposal" : "");
        return;
    }

    pl = ike_msg_find(m, IKE_PL_KE, NULL);
    if (pl && s->ke_superseded && ike_ke_parse(pl, &ke) == 0 && ke.group == s->ke_superseded &&
        ke.group != ike_dh_group(s->dh)) {
        ikes_count_drop(s, IKE_DROP_SUPERSEDED); /* to our request before INVALID_KE_PAYLOAD */
        return;
    }
    pl = ike_msg_find(m, IKE_PL_SA, NULL);
    if (!pl || ike_sa_parse(pl, reply, G_N_ELEMENTS(reply), &n_reply) < 0 ||
        ike_proposal_select_reply(s->ike_props, s->n_ike_props, reply, n_reply, &s->sa.sel) < 0) {
        init_unusable(s, IKE_FAIL_PROPOSAL, "the gateway chose an IKE proposal we did not offer");
        return;
    }
    pl = ike_msg_find(m, IKE_PL_KE, NULL);
    if (!pl || ike_ke_parse(pl, &ke) < 0 || ke.group != ike_dh_group(s->dh) ||
        ke.group != s->sa.sel.ke) {
        init_unusable(s, IKE_FAIL_PROTOCOL, "the gateway's key exchange payload does not match");
        return;
    }
    pl = ike_msg_find(m, IKE_PL_NONCE, NULL);
    if (!pl || ike_nonce_parse(pl, &nonce) < 0) {
        init_unusable(s, IKE_FAIL_PROTOCOL, "the gateway sent no valid nonce");
        return;
    }
    if (m->hdr.spi_r == 0) {
        init_unusable(s, IKE_FAIL_PROTOCOL, "the gateway's SPI is zero");
        return;
    }
    if (!ikes_find_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP, NULL)) {
        init_unusable(s, IKE_FAIL_CONFIG,
                      "the gateway does not support NAT traversal (RFC 3948), "
                      "which this client needs for ESP in UDP");
        return;
    }

    /* keys */
    uint8_t *gir = NULL;
    size_t gir_len;
    int r = ike_dh_compute(s->dh, ke.data, ke.len, &gir, &gir_len);
    if (r < 0) {
        init_unusable(s, IKE_FAIL_PROTOCOL, "the gateway's public key is invalid");
        return;
    }
    if (ikes_find_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n))
        ike_sig_hash_parse(n.data, n.data_len, &s->peer_hashes);
    s->frag_ok = s->frag_wanted && ikes_find_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
    _LOGS(LOG_DEBUG, s, "IKE fragmentation %s", s->frag_ok ? "on" : "off");
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
        ikes_fail(s, IKE_FAIL_PROTOCOL, "key derivation failed: %s", g_strerror(-r));
        return;
    }
    g_clear_pointer(&s->init_resp, g_bytes_unref);
    s->init_resp = g_bytes_new(m->buf, m->len);
    ike_selected_to_string(&s->sa.sel, s->info.ike_proposal, sizeof(s->info.ike_proposal));
    _LOGS(LOG_INFO, s, "IKE_SA_INIT done: %s, responder SPI %016" G_GINT64_MODIFIER "x",
          s->info.ike_proposal, s->sa.spi_r);
    ikes_request_done(s);
    s->sa.we_initiated = true;
    ikes_report_keys(s, &s->sa);
    s->natt = true; /* RFC 7296 2.23: after NAT detection, port 4500 */
    ikes_send_auth(s);
}

const struct ikes_exchange ikes_ex_init = {"IKE_SA_INIT", IKE_SA_INIT, ikes_on_init_response, false};

/* Tests only: hand the SA's keys to a dissector. */
void ikes_report_keys(struct ike_session *s, const struct sa_ctx *sa)
{
    const struct ike_crypto_suite *su = &sa->keys->suite;

    if (s->cb.debug_keys)
        s->cb.debug_keys(s->user, sa->spi_i, sa->spi_r, ike_encr_keyword(su->encr, su->encr_keylen),
                         ike_integ_keyword(su->integ), sa->keys->sk_ei, sa->keys->sk_er,
                         sa->keys->sk_e_len, sa->keys->sk_ai, sa->keys->sk_ar, sa->keys->sk_a_len);
}
