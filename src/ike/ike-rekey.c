/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE SA rekeys (CREATE_CHILD_SA, RFC 7296 1.3.2, 2.18), either side:
 *
 *   <- the gateway's, from ike-info.c: answered; its new IKE SA replaces
 *     ours, the old one lives until the gateway deletes it
 *   -> ours, on the IKE rekey timer or ike_session_rekey_ike(): new IKE SA,
 *     then DELETE of the old one over itself, without waiting for the answer
 *   Collisions (RFC 7296 2.8.2): the gateway's rekey while ours is out is
 *     answered and its new SA waits; our response decides by the nonces: we
 *     delete our redundant SA and take the gateway's, or keep ours and wait
 *     for its DELETE of its own.
 */
#include "ike/ike-session-priv.h"

#include <string.h>
#include <openssl/rand.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"

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
    ikes_request_done(s); /* a pending request belonged to the old SA */
    ikes_sa_ctx_clear(&s->old);
    s->has_old = keep_old;
    if (keep_old)
        s->old = s->sa;
    else
        ikes_sa_ctx_clear(&s->sa);
    s->sa = *n;
    ike_selected_to_string(&n->sel, s->info.ike_proposal, sizeof(s->info.ike_proposal));
    ikes_report_keys(s, &s->sa);
    ikes_arm_timer(s, &s->ike_rekey_timer, s->ike_rekey_time, ikes_on_ike_rekey_timer);
    if (s->cb.ike_rekeyed)
        s->cb.ike_rekeyed(s->user, s->info.ike_proposal);
}

/* An IKE SA rekey collision ends with the gateway's new IKE SA as the current
 * one; the old one is kept (@keep_old) until the gateway deletes it, or dropped. */
void ikes_ike_coll_adopt(struct ike_session *s, bool keep_old)
{
    s->has_ike_coll = false;
    switch_sa(s, &s->ike_coll, keep_old);
    memset(&s->ike_coll, 0, sizeof(s->ike_coll)); /* its keys now belong to s->sa */
}

/* The gateway rekeys the IKE SA (RFC 7296 2.18): the new SA is the gateway's,
 * so there we are the responder; the old one stays until it is deleted.
 * @collision: our own IKE SA rekey is out (RFC 7296 2.8.2): the new SA waits
 * in s->ike_coll until ours completes (ikes_on_rekey_ike_response()). */
void ikes_rekey_ike(struct ike_session *s, const struct ike_msg *m,
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
        ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_NO_PROPOSAL_CHOSEN);
        _LOGS(LOG_WARNING, s, "refused the gateway's IKE_SA rekey: no acceptable proposal");
        return;
    }
    if (ikes_refuse_ke_group(s, m, n.sel.ke))
        return;
    if (ikes_rekey_dh(m, n.sel.ke, &dh, &gir, &gir_len) < 0) {
        ikes_refuse_malformed(s, &s->sa, IKE_CREATE_CHILD_SA, id, "KE payload of its IKE_SA rekey");
        return;
    }
    /* the new SA is the gateway's: its SPI is SPIi, ours SPIr */
    n.spi_i = uip_get64(n.sel.spi);
    bool rnd;
    do {
        rnd = ikes_random(s, (uint8_t *)&n.spi_r, sizeof(n.spi_r));
    } while (rnd && n.spi_r == 0);
    if (!rnd || !ikes_random(s, nr, sizeof(nr))) {
        ike_dh_free(dh);
        uip_free_secret(gir, gir_len);
        return;
    }
    int r = derive_rekeyed_sa(s, &n, gir, gir_len, ni->data, ni->len, nr, sizeof(nr));
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        ike_dh_free(dh);
        ikes_sa_ctx_clear(&n);
        ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_NO_PROPOSAL_CHOSEN);
        return;
    }

    struct ike_builder b;
    chosen.spi_len = 8;
    uip_put64(chosen.spi, n.spi_r);
    ikes_begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, true, id);
    ike_build_sa(&b, &chosen, 1);
    ike_build_nonce(&b, nr, sizeof(nr));
    ikes_add_ke(&b, dh);
    ikes_respond(&s->sa, &b, s);
    ike_dh_free(dh);

    if (collision) {
        s->ike_coll = n;
        s->has_ike_coll = true;
        s->ike_coll_lower_len =
            ikes_lower_nonce(ni->data, ni->len, nr, sizeof(nr), s->ike_coll_lower);
        _LOGS(LOG_INFO, s, "IKE_SA rekey collision: answered the gateway's rekey; ours decides");
        return;
    }
    /* the old SA lives until the gateway deletes it */
    switch_sa(s, &n, true);
    _LOGS(LOG_INFO, s, "IKE_SA rekeyed by the gateway: %s", s->info.ike_proposal);
}

gboolean ikes_on_ike_rekey_timer(gpointer data)
{
    struct ike_session *s = data;

    g_source_unref(g_steal_pointer(&s->ike_rekey_timer));
    ike_session_rekey_ike(s);
    return G_SOURCE_REMOVE;
}

/* DELETE an IKE SA over itself, without waiting for the answer. */
void ikes_send_ike_delete_on(struct ike_session *s, struct sa_ctx *sa)
{
    struct ike_builder b;

    ikes_begin_encrypted_on(sa, &b, IKE_INFORMATIONAL, false, sa->next_id++);
    ike_build_delete(&b, IKE_PROTO_IKE, NULL, 0);
    GPtrArray *msg = ikes_seal_on(sa, &b);
    ike_builder_clear(&b);
    if (msg) {
        ikes_transmit(s, msg);
        g_ptr_array_unref(msg);
    }
}

void ike_session_rekey_ike(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t spi_be[8];
    const uint8_t *pub;
    size_t pub_len;

    if (ikes_busy(s, ike_session_rekey_ike))
        return;
    ike_dh_free(g_steal_pointer(&s->rk_dh));
    if (ike_dh_new(s->sa.sel.ke, &s->rk_dh) < 0)
        return;
    do {
        if (!ikes_random(s, (uint8_t *)&s->rk_spi, sizeof(s->rk_spi)))
            return;
    } while (s->rk_spi == 0);
    uip_put64(spi_be, s->rk_spi);
    if (!ikes_random(s, s->rk_ni, sizeof(s->rk_ni)))
        return;
    memcpy(s->rk_props, s->ike_props, sizeof(s->ike_props));
    s->n_rk_props = s->n_ike_props;
    ike_proposals_prefer_ke(s->rk_props, s->n_rk_props, s->sa.sel.ke);
    ike_proposals_set_spi(s->rk_props, s->n_rk_props, spi_be, 8);
    ike_dh_public(s->rk_dh, &pub, &pub_len);

    ikes_begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, false, s->sa.next_id);
    ike_build_sa(&b, s->rk_props, s->n_rk_props);
    ike_build_nonce(&b, s->rk_ni, sizeof(s->rk_ni));
    ike_build_ke(&b, s->sa.sel.ke, pub, pub_len);
    if (ikes_send_built_request(s, &b, &ikes_ex_rekey_ike))
        _LOGS(LOG_INFO, s, "rekeying the IKE_SA");
}

void ikes_on_rekey_ike_response(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n_reply;
    struct ike_nonce nr;
    struct ike_ke ke;
    struct sa_ctx n = {0};
    const struct ike_pl *pl_sa = ike_msg_find(m, IKE_PL_SA, NULL);
    const struct ike_pl *pl_n = ike_msg_find(m, IKE_PL_NONCE, NULL);
    const struct ike_pl *pl_ke = ike_msg_find(m, IKE_PL_KE, NULL);
    uint16_t err = ikes_error_notify(m);

    ikes_request_done(s);
    if (ikes_gateway_gave_up(s, err, "IKE_SA rekey"))
        return;
    if (err && s->has_ike_coll) {
        _LOGS(LOG_INFO, s, "the gateway refused our IKE_SA rekey (%s) and rekeyed it itself",
              ikes_notify_name(err));
        ikes_ike_coll_adopt(s, true); /* the old one until the gateway deletes it */
        return;
    }
    if (err) {
        ikes_rekey_refused(s, "IKE_SA", err, &s->ike_rekey_timer, ikes_on_ike_rekey_timer);
        return;
    }
    if (!pl_sa || !pl_n || !pl_ke || ike_sa_parse(pl_sa, reply, G_N_ELEMENTS(reply), &n_reply) < 0 ||
        ike_proposal_select_reply(s->rk_props, s->n_rk_props, reply, n_reply, &n.sel) < 0 ||
        n.sel.spi_len != 8 || ike_nonce_parse(pl_n, &nr) < 0 || ike_ke_parse(pl_ke, &ke) < 0 ||
        ke.group != ike_dh_group(s->rk_dh)) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway's answer to our IKE_SA rekey is unusable");
        return;
    }
    uint8_t *gir = NULL;
    size_t gir_len;
    int r = ike_dh_compute(s->rk_dh, ke.data, ke.len, &gir, &gir_len);
    ike_dh_free(g_steal_pointer(&s->rk_dh));
    if (r < 0) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway's public key in the IKE_SA rekey is invalid");
        return;
    }
    /* ours: we are its initiator */
    n.we_initiated = true;
    n.spi_i = s->rk_spi;
    n.spi_r = uip_get64(n.sel.spi);
    r = derive_rekeyed_sa(s, &n, gir, gir_len, s->rk_ni, sizeof(s->rk_ni), nr.data, nr.len);
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        ikes_sa_ctx_clear(&n);
        ikes_fail(s, IKE_FAIL_PROTOCOL, "IKE_SA rekey key derivation failed");
        return;
    }

    if (s->has_ike_coll) {
        if (ikes_collision_lost(s, &nr, s->ike_coll_lower, s->ike_coll_lower_len)) {
            _LOGS(LOG_INFO, s, "IKE_SA rekey collision lost: deleting our redundant IKE_SA");
            ikes_send_ike_delete_on(s, &n);
            ikes_sa_ctx_clear(&n);
            ikes_ike_coll_adopt(s, true); /* the old one until the gateway deletes it */
            return;
        }
        _LOGS(LOG_INFO, s, "IKE_SA rekey collision won: the gateway deletes its redundant IKE_SA");
    }
    /* delete the old IKE SA over itself; we do not wait for the answer */
    ikes_send_ike_delete_on(s, &s->sa);
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

const struct ikes_exchange ikes_ex_rekey_ike = {"IKE SA rekey", IKE_CREATE_CHILD_SA,
                                                ikes_on_rekey_ike_response, false};
