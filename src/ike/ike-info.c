/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's requests on an established IKE SA, and liveness:
 *
 *   <- requests from ike_session_input(), answered (ike-msg-io.c):
 *     INFORMATIONAL: liveness checks, notifies, REDIRECT (ike-redirect.c), DELETE (of a CHILD_SA: the
 *       end of a rekey or a collision, or an expiry -> we ask for a new one
 *       (child-rekey.c); of the IKE SA: the end)
 *     CREATE_CHILD_SA -> child-rekey.c, ike-rekey.c, also while our rekey of
 *       the same SA is out (a collision, decided there); while another of our
 *       requests is out, TEMPORARY_FAILURE (RFC 7296 2.25) and it retries;
 *       a second CHILD_SA: NO_ADDITIONAL_SAS
 *     on the old IKE SA (or the gateway's redundant one): its DELETE is
 *       answered, CREATE_CHILD_SA gets TEMPORARY_FAILURE
 *     malformed: INVALID_SYNTAX, which ends the IKE SA and the session
 *   -> our liveness check (an empty INFORMATIONAL; NAT-D in it under MOBIKE,
 *     its answer goes to ike-mobike.c) once the gateway has been quiet for the
 *     DPD interval, or at once with quick retransmissions after a resume
 *     (ike_session_check_liveness()).
 *   An error in the gateway's answers that means it gave the IKE SA up ends
 *   the session (ikes_gateway_gave_up()).
 */
#include "ike/ike-session-priv.h"

#include "common/uip-be.h"

/*
 * An error in the gateway's answer to a request on an established IKE SA
 * that means the gateway has given the IKE SA up (RFC 7296 2.21.2, 3.10.1;
 * strongSwan destroys it after sending either): end the session, which
 * tells NetworkManager, rather than keep a tunnel nobody serves.  True when
 * it did.
 */
bool ikes_gateway_gave_up(struct ike_session *s, uint16_t err, const char *request)
{
    if (err != IKE_N_INVALID_SYNTAX && err != IKE_N_AUTHENTICATION_FAILED)
        return false;
    ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway answered our %s with %s, which ends the IKE SA",
              request, ikes_notify_name(err));
    return true;
}

/*
 * The gateway's request @what was malformed: answer INVALID_SYNTAX.  That
 * ends the IKE SA on both sides (RFC 7296 2.21.2; strongSwan destroys it at
 * once), so end the session too instead of keeping a tunnel nobody serves.
 */
void ikes_refuse_malformed(struct ike_session *s, struct sa_ctx *sa, uint8_t exchange,
                           uint32_t msg_id, const char *what)
{
    ikes_send_error_response(s, sa, exchange, msg_id, IKE_N_INVALID_SYNTAX);
    ikes_fail(s, IKE_FAIL_PROTOCOL,
              "the gateway's %s was malformed (answered INVALID_SYNTAX, which ends the IKE SA)",
              what);
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
bool ikes_refuse_ke_group(struct ike_session *s, const struct ike_msg *m, uint16_t group)
{
    uint8_t data[2];
    uint16_t theirs = request_ke_group(m);

    if (theirs == group)
        return false;
    uip_put16(data, group);
    ikes_send_error_response_data(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                                  IKE_N_INVALID_KE_PAYLOAD, data, sizeof(data));
    _LOGS(LOG_INFO, s, "the gateway's KE payload is of group %u, we chose %s: INVALID_KE_PAYLOAD",
          theirs, ike_transform_name(IKE_TRANS_KE, group));
    return true;
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
        ikes_refuse_malformed(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                              "CREATE_CHILD_SA request (SA or nonce payload)");
        return;
    }
    /* take the group its KE payload is for, where we accept it (RFC 7296 1.3) */
    uint16_t ke_group = request_ke_group(m);
    if (ke_group)
        ike_proposals_front_ke(theirs, n_theirs, ke_group);
    /* RFC 7296 2.25: while we rekey the IKE SA, or delete a CHILD_SA, or
     * rekey the CHILD_SA and the gateway the IKE SA, it tries again later */
    bool child_rekey_out = ikes_request_is(s, &ikes_ex_rekey_child);
    bool ike_rekey_out = ikes_request_is(s, &ikes_ex_rekey_ike);
    if (ike_rekey_out && theirs[0].protocol == IKE_PROTO_IKE && !s->has_ike_coll && !s->has_old) {
        ikes_rekey_ike(s, m, theirs, n_theirs, &ni, true);
        return;
    }
    if (ike_rekey_out || ikes_request_is(s, &ikes_ex_delete_child) ||
        ikes_request_is(s, &ikes_ex_delete_redundant) ||
        (child_rekey_out && theirs[0].protocol == IKE_PROTO_IKE)) {
        ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                                 IKE_N_TEMPORARY_FAILURE);
        _LOGS(LOG_INFO, s, "rekey collision: asked the gateway to retry later");
        return;
    }
    if (theirs[0].protocol == IKE_PROTO_IKE) {
        ikes_rekey_ike(s, m, theirs, n_theirs, &ni, false);
        return;
    }
    if (ikes_find_notify(m, IKE_N_REKEY_SA, &n)) {
        uint32_t spi = n.spi_size == 4 ? uip_get32(n.spi) : 0;
        if (n.protocol != IKE_PROTO_ESP || spi != s->cur.spi_out) {
            ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                                     IKE_N_CHILD_SA_NOT_FOUND);
            return;
        }
        if (child_rekey_out && s->coll.active) {
            /* a second rekey of the same SA before ours is answered */
            ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                                     IKE_N_TEMPORARY_FAILURE);
            return;
        }
        ikes_rekey_child(s, m, theirs, n_theirs, &ni, child_rekey_out);
        return;
    }
    if (!s->cur.installed && !child_rekey_out) {
        /* it deleted our CHILD_SA (an expiry, say) and makes a new one */
        ikes_rekey_child(s, m, theirs, n_theirs, &ni, false);
        return;
    }
    /* a second CHILD_SA: one tunnel is all a VPN connection needs */
    ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, m->hdr.msg_id,
                             child_rekey_out ? IKE_N_TEMPORARY_FAILURE : IKE_N_NO_ADDITIONAL_SAS);
}

void ikes_on_peer_request(struct ike_session *s, struct sa_ctx *sa, const struct ike_msg *m)
{
    uint32_t id = m->hdr.msg_id;

    if (sa == &s->old || sa == &s->ike_coll) {
        /* After a rekey the gateway deletes the old IKE SA (or, after a
         * collision it lost, its redundant new one).  A CHILD_SA rekey it
         * started there meanwhile is refused with TEMPORARY_FAILURE (its keys
         * would come from that SA's SK_d), so it retries on the current SA;
         * anything else gets an empty answer. */
        if (m->hdr.exchange == IKE_CREATE_CHILD_SA) {
            ikes_send_error_response(s, sa, m->hdr.exchange, id, IKE_N_TEMPORARY_FAILURE);
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
        ikes_send_response(s, sa, m->hdr.exchange, id, NULL, 0);
        if (delete_ike && sa == &s->ike_coll) {
            _LOGS(LOG_INFO, s, "IKE_SA rekey collision won: the gateway deleted its redundant IKE_SA");
            ikes_sa_ctx_clear(&s->ike_coll);
            s->has_ike_coll = false;
        } else if (delete_ike) {
            _LOGS(LOG_INFO, s, "old IKE_SA deleted");
            ikes_sa_ctx_clear(&s->old);
            s->has_old = false;
        }
        return;
    }
    if (m->hdr.exchange == IKE_CREATE_CHILD_SA && s->state == ST_CLOSING) {
        /* the tunnel is going: nothing new goes into the engine */
        ikes_send_error_response(s, sa, m->hdr.exchange, id, IKE_N_TEMPORARY_FAILURE);
        _LOGS(LOG_INFO, s, "CREATE_CHILD_SA while we close the IKE SA: refused");
        return;
    }
    if (m->hdr.exchange == IKE_CREATE_CHILD_SA) {
        on_create_child(s, m);
        return;
    }
    if (m->hdr.exchange != IKE_INFORMATIONAL) {
        ikes_refuse_malformed(s, sa, m->hdr.exchange, id, "request of an unexpected exchange type");
        return;
    }
    if (s->state == ST_ESTABLISHED && ikes_redirect_in_request(s, sa, m))
        return;

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
        ikes_send_response(s, sa, IKE_INFORMATIONAL, id, NULL, 0);
        _LOGS(LOG_INFO, s, "IKE_SA rekey collision lost: the gateway deleted the old IKE_SA");
        ikes_ike_coll_adopt(s, false);
        return;
    }
    if (delete_ike && s->state == ST_CLOSING) {
        /* our DELETE and its own crossed (RFC 7296 1.4.1): answer; the
         * answer to ours ends the close as usual */
        ikes_send_response(s, sa, IKE_INFORMATIONAL, id, NULL, 0);
        _LOGS(LOG_INFO, s, "the gateway deleted the IKE SA while we did");
        return;
    }
    if (delete_ike) {
        ikes_send_response(s, sa, IKE_INFORMATIONAL, id, NULL, 0);
        ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway closed the connection");
        return;
    }
    if (delete_cur && !coll_pending) {
        /* not the end of the connection (that deletes the IKE SA): an
         * expiry, or an administrator.  The IKE SA stays; unless the gateway
         * makes a new CHILD_SA first, we ask for one in a second. */
        ikes_send_response(s, sa, IKE_INFORMATIONAL, id, &s->cur.spi_in, 1);
        _LOGS(LOG_WARNING, s, "the gateway deleted the CHILD_SA %08x/%08x; asking for a new one",
              s->cur.spi_in, s->cur.spi_out);
        ikes_remove_child(s);
        s->create_retries = 0;
        ikes_arm_timer(s, &s->child_rekey_timer, 1, ikes_on_child_rekey_timer);
        return;
    }

    /* the end of a rekey, or of a collision; our answer names our inbound SPIs */
    uint32_t spis[3];
    unsigned n = 0;
    if (delete_red) {
        _LOGS(LOG_INFO, s, "redundant CHILD_SA %08x/%08x deleted", s->redundant.spi_in,
              s->redundant.spi_out);
        spis[n++] = s->redundant.spi_in;
        ikes_remove_child_ids(s, &s->redundant);
    }
    if (delete_coll) {
        /* the gateway lost the collision: our rekey goes on as usual */
        _LOGS(LOG_INFO, s, "CHILD_SA rekey collision won: the gateway deleted its redundant %08x/%08x",
              s->coll.ids.spi_in, s->coll.ids.spi_out);
        spis[n++] = s->coll.ids.spi_in;
        ikes_remove_child_ids(s, &s->coll.ids);
        ikes_coll_clear(s);
    } else if (delete_cur) {
        /* the gateway won the collision and deleted the old SA before our
         * rekey was answered: its SA takes over now */
        spis[n++] = s->cur.spi_in;
        if (ikes_coll_promote(s) < 0) {
            ikes_send_response(s, sa, IKE_INFORMATIONAL, id, spis, n);
            ikes_fail(s, IKE_FAIL_CONFIG, "cannot install the new CHILD_SA");
            return;
        }
        delete_prev = true; /* the old SA, now s->prev */
    }
    if (delete_prev) {
        _LOGS(LOG_INFO, s, "old CHILD_SA %08x/%08x deleted", s->prev.spi_in, s->prev.spi_out);
        if (!delete_cur)
            spis[n++] = s->prev.spi_in;
        ikes_remove_child_ids(s, &s->prev);
    }
    /* or a liveness check, or notifies: an empty answer */
    ikes_send_response(s, sa, IKE_INFORMATIONAL, id, spis, n);
    ikes_report_auth_lifetime(s, m);
}

/* Its answer goes to ike-mobike.c, which reads NAT-D (a NAT rebinding) under MOBIKE. */
const struct ikes_exchange ikes_ex_liveness = {"liveness check", IKE_INFORMATIONAL,
                                               ikes_on_mobike_response, true};

/* An empty INFORMATIONAL request (RFC 7296 2.4); NAT-D in it under MOBIKE. */
static void send_liveness_check(struct ike_session *s)
{
    struct ike_builder b;

    ikes_begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    if (!ikes_mobike_add_natd(s, &b)) {
        ike_builder_clear(&b);
        return;
    }
    if (ikes_send_built_request(s, &b, &ikes_ex_liveness))
        _LOGS(LOG_DEBUG, s, "liveness check sent");
}

static gboolean on_dpd(gpointer data)
{
    struct ike_session *s = data;
    int64_t quiet = s->clock_us() - s->last_seen_us;

    if (s->state != ST_ESTABLISHED || s->request)
        return G_SOURCE_CONTINUE;
    if (quiet < (int64_t)s->dpd_interval * G_USEC_PER_SEC)
        return G_SOURCE_CONTINUE;
    send_liveness_check(s);
    return G_SOURCE_CONTINUE;
}

void ike_session_probe(struct ike_session *s)
{
    if (s->state != ST_ESTABLISHED || s->request)
        return;
    _LOGS(LOG_INFO, s, "no answer to our traffic: checking the path to the gateway");
    /* under MOBIKE the check is UPDATE_SA_ADDRESSES: if a NAT gave us another port, the
     * gateway's ESP follows its source at once, even with no NAT-D of before to compare */
    if (s->mobike)
        ikes_mobike_update(s);
    else
        send_liveness_check(s);
}

bool ike_session_in_doubt(const struct ike_session *s)
{
    return s->state == ST_ESTABLISHED && s->request && s->request_ex->probe && s->tries >= 1;
}

void ike_session_check_liveness(struct ike_session *s)
{
    if (s->state != ST_ESTABLISHED)
        return;
    if (s->request) {
        ikes_request_again(s, true);
        return;
    }
    _LOGS(LOG_INFO, s, "checking at once that the gateway still knows us");
    send_liveness_check(s);
    ikes_request_set_quick(s);
}

void ikes_start_dpd(struct ike_session *s)
{
    s->last_seen_us = s->clock_us();
    if (!s->dpd_interval)
        return;
    s->dpd_timer = g_timeout_source_new_seconds(1);
    g_source_set_callback(s->dpd_timer, on_dpd, s, NULL);
    g_source_attach(s->dpd_timer, s->ctx);
}
