/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CHILD_SA rekeys (CREATE_CHILD_SA, RFC 7296 1.3.3, 2.8), either side:
 *
 *   <- the gateway's, from ike-info.c: answered, the new CHILD_SA installed
 *     beside the old one until the gateway deletes it
 *   -> ours, on the child rekey timer or ike_session_rekey_child(): new
 *     CHILD_SA, then DELETE of the old; with no CHILD_SA left (the gateway
 *     deleted it) the same exchange asks for a new one (RFC 7296 1.3.1)
 *   Collisions (RFC 7296 2.8.1): the gateway's rekey while ours is out is
 *     answered and its SA goes in inbound only; our response decides by the
 *     nonces which new SA is redundant, and its initiator deletes it.
 *   A refused rekey is tried again: soon after TEMPORARY_FAILURE, else later.
 */
#include "ike/ike-session-priv.h"

#include <string.h>
#include <openssl/rand.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"

/*
 * PFS is required of every CHILD_SA rekey, the gateway's too, when each of our ESP proposals
 * names a key exchange method (and none of them "none", which makes it optional).
 */
static bool pfs_required(const struct ike_session *s)
{
    if (!s->n_esp_props)
        return false;
    for (unsigned i = 0; i < s->n_esp_props; i++) {
        const struct ike_proposal *p = &s->esp_pfs_props[i];
        bool ke = false;
        for (unsigned j = 0; j < p->n_transforms && j < IKE_MAX_TRANSFORMS; j++) {
            if (p->transforms[j].type != IKE_TRANS_KE)
                continue;
            if (p->transforms[j].id == IKE_KE_NONE)
                return false;
            ke = true;
        }
        if (!ke)
            return false;
    }
    return true;
}

/*
 * The gateway rekeys our CHILD_SA (RFC 7296 2.8): we answer with a new SA,
 * install it beside the old one, and wait for the gateway to delete the old.
 * @collision: our own rekey of it is out (RFC 7296 2.8.1): the new SA goes in
 * inbound only and waits in s->coll until the nonces of both exchanges say
 * which of the two new SAs is redundant (see ikes_on_rekey_child_response()).
 */
void ikes_rekey_child(struct ike_session *s, const struct ike_msg *m,
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

    bool pfs = pfs_required(s);
    if (ike_proposal_choose(pfs ? s->esp_pfs_props : s->esp_props, s->n_esp_props, theirs,
                            n_theirs, &chosen, &sel) < 0 ||
        ike_selected_esp_params(&sel, &esp) < 0) {
        ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_NO_PROPOSAL_CHOSEN);
        _LOGS(LOG_WARNING, s, "refused the gateway's CHILD_SA rekey: no acceptable proposal");
        return;
    }
    if (pfs && sel.ke == IKE_KE_NONE) {
        ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_NO_PROPOSAL_CHOSEN);
        _LOGS(LOG_WARNING, s,
              "refused the gateway's CHILD_SA rekey: no key exchange, but our ESP proposals "
              "require PFS");
        return;
    }
    /* their TSi is their side (our remote), TSr ours: cut to what we would ask for */
    const struct ike_ts_want policy = {s->tsr, s->n_tsr, s->tsi, s->n_tsi};
    if (ikes_read_ts_pair(s, m, &policy, c.remote_ts, &c.n_remote_ts, c.local_ts,
                          &c.n_local_ts) < 0) {
        ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_TS_UNACCEPTABLE);
        _LOGS(LOG_WARNING, s, "refused the gateway's CHILD_SA: traffic selectors unacceptable");
        return;
    }
    if (sel.ke && ikes_refuse_ke_group(s, m, sel.ke))
        return;
    if (sel.ke && ikes_rekey_dh(m, sel.ke, &dh, &gir, &gir_len) < 0) {
        ikes_refuse_malformed(s, &s->sa, IKE_CREATE_CHILD_SA, id,
                              "KE payload of its CHILD_SA rekey");
        return;
    }
    bool rnd;
    do {
        rnd = ikes_random(s, (uint8_t *)&spi_in, sizeof(spi_in));
    } while (rnd && (spi_in < 256 || spi_in == s->cur.spi_in || spi_in == s->rk_spi_in));
    if (!rnd || !ikes_random(s, nr, sizeof(nr))) {
        ike_dh_free(dh);
        uip_free_secret(gir, gir_len);
        return;
    }

    /* the gateway initiated: its nonce first, its direction (to us) the first keys */
    uint8_t *keep = NULL;
    size_t keep_len = 0;
    int r = ikes_install_child(s, &c, &esp, spi_in, false, gir, gir_len, ni->data, ni->len, nr,
                               sizeof(nr), collision ? &keep : NULL, &keep_len);
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        ike_dh_free(dh);
        ikes_send_error_response(s, &s->sa, IKE_CREATE_CHILD_SA, id, IKE_N_TEMPORARY_FAILURE);
        return;
    }

    struct ike_builder b;
    chosen.spi_len = 4;
    uip_put32(chosen.spi, spi_in);
    ikes_begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, true, id);
    ike_build_sa(&b, &chosen, 1);
    ike_build_nonce(&b, nr, sizeof(nr));
    ikes_add_ke(&b, dh);
    ike_build_ts(&b, IKE_PL_TSI, c.remote_ts, c.n_remote_ts);
    ike_build_ts(&b, IKE_PL_TSR, c.local_ts, c.n_local_ts);
    ikes_respond(&s->sa, &b, s);
    ike_dh_free(dh);

    if (collision) {
        s->coll.active = true;
        s->coll.promoted = false;
        s->coll.ids = (struct child_ids){spi_in, esp.spi, true};
        s->coll.child = c;
        s->coll.out_keymat = keep;
        s->coll.out_keymat_len = keep_len;
        s->coll.lower_len =
            ikes_lower_nonce(ni->data, ni->len, nr, sizeof(nr), s->coll.lower_nonce);
        _LOGS(LOG_INFO, s,
              "CHILD_SA rekey collision: answered the gateway's rekey (%08x/%08x, inbound only "
              "until ours completes)",
              spi_in, esp.spi);
        return;
    }
    /* the old one stays until the gateway deletes it; an older one goes now */
    ikes_remove_child_ids(s, &s->prev);
    s->prev = s->cur;
    s->cur = (struct child_ids){spi_in, esp.spi, true};
    s->child = c;
    if (s->prev.installed)
        _LOGS(LOG_INFO, s, "CHILD_SA rekeyed by the gateway: %08x/%08x replaces %08x/%08x",
              spi_in, esp.spi, s->prev.spi_in, s->prev.spi_out);
    else
        _LOGS(LOG_INFO, s, "new CHILD_SA from the gateway: %08x/%08x", spi_in, esp.spi);
    ikes_arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, ikes_on_child_rekey_timer);
    if (s->cb.child_rekeyed)
        s->cb.child_rekeyed(s->user, &s->child);
}

gboolean ikes_on_child_rekey_timer(gpointer data)
{
    struct ike_session *s = data;

    g_source_unref(g_steal_pointer(&s->child_rekey_timer));
    ike_session_rekey_child(s);
    return G_SOURCE_REMOVE;
}

/* The gateway said no (@err) to our rekey: the old SA goes on; try again soon
 * after a collision (TEMPORARY_FAILURE), later otherwise. */
void ikes_rekey_refused(struct ike_session *s, const char *what, uint16_t err, GSource **timer,
                        GSourceFunc fn)
{
    _LOGS(LOG_WARNING, s, "the gateway refused our %s rekey (%s); retrying later", what,
          ikes_notify_name(err));
    ikes_arm_timer(s, timer, err == IKE_N_TEMPORARY_FAILURE ? 2 : 30, fn);
}

/* Rekey the CHILD_SA; or, when the gateway deleted it, ask for a new one
 * (the same exchange without REKEY_SA, RFC 7296 1.3.1). */
void ike_session_rekey_child(struct ike_session *s)
{
    struct ike_builder b;
    uint8_t spi_be[4], old_be[4];
    bool create = !s->cur.installed;

    if (ikes_busy(s, ike_session_rekey_child))
        return;
    do {
        if (!ikes_random(s, (uint8_t *)&s->rk_spi_in, sizeof(s->rk_spi_in)))
            return;
    } while (s->rk_spi_in < 256 || s->rk_spi_in == s->cur.spi_in);
    if (!ikes_random(s, s->rk_ni, sizeof(s->rk_ni)))
        return;
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

    ikes_begin_encrypted(s, &b, IKE_CREATE_CHILD_SA, false, s->sa.next_id);
    if (!create)
        ike_build_notify(&b, IKE_PROTO_ESP, old_be, 4, IKE_N_REKEY_SA, NULL, 0);
    ike_build_sa(&b, s->rk_props, s->n_rk_props);
    ike_build_nonce(&b, s->rk_ni, sizeof(s->rk_ni));
    ikes_add_ke(&b, s->rk_dh);
    ike_build_ts(&b, IKE_PL_TSI, s->child.local_ts, s->child.n_local_ts);
    ike_build_ts(&b, IKE_PL_TSR, s->child.remote_ts, s->child.n_remote_ts);
    if (!ikes_send_built_request(s, &b, &ikes_ex_rekey_child))
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
int ikes_coll_promote(struct ike_session *s)
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
    ikes_remove_child_ids(s, &s->prev);
    s->prev = s->cur;
    s->cur = s->coll.ids;
    s->child = c;
    s->coll.promoted = true;
    _LOGS(LOG_INFO, s, "CHILD_SA rekeyed by the gateway: %08x/%08x replaces %08x/%08x",
          s->cur.spi_in, s->cur.spi_out, s->prev.spi_in, s->prev.spi_out);
    ikes_arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, ikes_on_child_rekey_timer);
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
    int r = s->coll.promoted ? 0 : ikes_coll_promote(s);

    ikes_coll_clear(s);
    if (r < 0)
        ikes_fail(s, IKE_FAIL_CONFIG, "cannot install the new CHILD_SA: %s", g_strerror(-r));
    return r == 0;
}

void ikes_on_rekey_child_response(struct ike_session *s, const struct ike_msg *m)
{
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    unsigned n_reply;
    struct ike_selected sel;
    struct ike_esp_params esp;
    struct ike_nonce nr;
    struct ike_child c = s->child;
    /* the selectors we sent: the gateway may narrow them, never widen them */
    const struct ike_ts_want asked = {s->child.local_ts, s->child.n_local_ts, s->child.remote_ts,
                                      s->child.n_remote_ts};
    const struct ike_pl *pl_sa = ike_msg_find(m, IKE_PL_SA, NULL);
    const struct ike_pl *pl_n = ike_msg_find(m, IKE_PL_NONCE, NULL);
    uint16_t err = ikes_error_notify(m);

    ikes_request_done(s);
    if (ikes_gateway_gave_up(s, err, "CHILD_SA rekey"))
        return;
    if (err && s->coll.active) {
        _LOGS(LOG_INFO, s, "the gateway refused our CHILD_SA rekey (%s) and rekeyed it itself",
              ikes_notify_name(err));
        coll_concede(s);
        return;
    }
    if (err && !s->cur.installed) {
        /* busy making one itself, say: it may send it, or we ask again */
        if (err == IKE_N_TEMPORARY_FAILURE && ++s->create_retries <= CREATE_RETRIES_MAX) {
            _LOGS(LOG_INFO, s, "the gateway cannot make a new CHILD_SA yet; asking again");
            ikes_arm_timer(s, &s->child_rekey_timer, 1, ikes_on_child_rekey_timer);
            return;
        }
        ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway deleted the tunnel and refused a new one (%s)",
                  ikes_notify_name(err));
        return;
    }
    if (err) {
        ikes_rekey_refused(s, "CHILD_SA", err, &s->child_rekey_timer, ikes_on_child_rekey_timer);
        return;
    }
    if (!pl_sa || !pl_n || ike_sa_parse(pl_sa, reply, G_N_ELEMENTS(reply), &n_reply) < 0 ||
        ike_proposal_select_reply(s->rk_props, s->n_rk_props, reply, n_reply, &sel) < 0 ||
        ike_selected_esp_params(&sel, &esp) < 0 || ike_nonce_parse(pl_n, &nr) < 0 ||
        ikes_read_ts_pair(s, m, &asked, c.local_ts, &c.n_local_ts, c.remote_ts,
                          &c.n_remote_ts) < 0) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway's answer to our CHILD_SA rekey is unusable");
        return;
    }
    /* PFS: the group we offered and the gateway chose */
    uint8_t *gir = NULL;
    size_t gir_len = 0;
    if (!sel.ke && pfs_required(s)) {
        ikes_fail(s, IKE_FAIL_PROTOCOL,
                  "the gateway answered our CHILD_SA rekey without the key exchange (PFS) we "
                  "require");
        return;
    }
    if (sel.ke) {
        const struct ike_pl *pl_ke = ike_msg_find(m, IKE_PL_KE, NULL);
        struct ike_ke ke;
        if (!s->rk_dh || sel.ke != ike_dh_group(s->rk_dh) || !pl_ke || ike_ke_parse(pl_ke, &ke) < 0 ||
            ke.group != sel.ke || ike_dh_compute(s->rk_dh, ke.data, ke.len, &gir, &gir_len) < 0) {
            ikes_fail(s, IKE_FAIL_PROTOCOL,
                      "the gateway's key exchange in our CHILD_SA rekey is unusable");
            return;
        }
    }
    ike_dh_free(g_steal_pointer(&s->rk_dh));

    struct ike_builder b;
    if (s->coll.active) {
        if (ikes_collision_lost(s, &nr, s->coll.lower_nonce, s->coll.lower_len)) {
            uip_free_secret(gir, gir_len);
            _LOGS(LOG_INFO, s, "CHILD_SA rekey collision lost: deleting our redundant %08x/%08x",
                  s->rk_spi_in, esp.spi);
            if (!coll_concede(s))
                return;
            ikes_begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
            ike_build_delete(&b, IKE_PROTO_ESP, &s->rk_spi_in, 1);
            ikes_send_built_request(s, &b, &ikes_ex_delete_redundant);
            return;
        }
        _LOGS(LOG_INFO, s, "CHILD_SA rekey collision won: the gateway deletes its %08x/%08x",
              s->coll.ids.spi_in, s->coll.ids.spi_out);
        if (!s->coll.promoted) {
            ikes_remove_child_ids(s, &s->redundant);
            s->redundant = s->coll.ids;
        }
        ikes_coll_clear(s);
    }
    int r = ikes_install_child(s, &c, &esp, s->rk_spi_in, true, gir, gir_len, s->rk_ni,
                               sizeof(s->rk_ni), nr.data, nr.len, NULL, NULL);
    uip_free_secret(gir, gir_len);
    if (r < 0) {
        ikes_fail(s, IKE_FAIL_CONFIG, "cannot install the new CHILD_SA: %s", g_strerror(-r));
        return;
    }
    ikes_remove_child_ids(s, &s->prev);
    s->prev = s->cur;
    s->cur = (struct child_ids){s->rk_spi_in, esp.spi, true};
    s->child = c;
    ikes_arm_timer(s, &s->child_rekey_timer, s->child_rekey_time, ikes_on_child_rekey_timer);
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
    ikes_begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    ike_build_delete(&b, IKE_PROTO_ESP, &s->prev.spi_in, 1);
    ikes_send_built_request(s, &b, &ikes_ex_delete_child);
}

const struct ikes_exchange ikes_ex_rekey_child = {"CHILD_SA rekey", IKE_CREATE_CHILD_SA,
                                                  ikes_on_rekey_child_response, false};

/* The answer to our DELETE of the old CHILD_SA after our rekey: it is gone. */
static void on_delete_child_response(struct ike_session *s, const struct ike_msg *m)
{
    ikes_request_done(s);
    if (ikes_gateway_gave_up(s, ikes_error_notify(m), "INFORMATIONAL request"))
        return; /* the session is over: nothing more to do */
    _LOGS(LOG_INFO, s, "old CHILD_SA %08x/%08x deleted", s->prev.spi_in, s->prev.spi_out);
    ikes_remove_child_ids(s, &s->prev);
}

const struct ikes_exchange ikes_ex_delete_child = {"DELETE of the old CHILD_SA", IKE_INFORMATIONAL,
                                                   on_delete_child_response, false};

/* The answer to our DELETE of our redundant CHILD_SA (a collision we lost). */
static void on_delete_redundant_response(struct ike_session *s, const struct ike_msg *m)
{
    ikes_request_done(s);
    ikes_gateway_gave_up(s, ikes_error_notify(m), "INFORMATIONAL request");
}

const struct ikes_exchange ikes_ex_delete_redundant = {
    "DELETE of the redundant CHILD_SA", IKE_INFORMATIONAL, on_delete_redundant_response, false};
