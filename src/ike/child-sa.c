/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CHILD_SA keys and bookkeeping, shared by IKE_AUTH (ike-auth.c) and the
 * rekeys (child-rekey.c, ike-rekey.c, ike-info.c):
 *
 *   keys derived (RFC 7296 2.17) -> the owner's child_install callback;
 *   SAs dropped -> its child_delete callback;
 *   traffic selectors read from a request or a response;
 *   the KE payload and nonce helpers of both kinds of rekey, and the nonce
 *   comparison that decides a rekey collision (RFC 7296 2.8.1, 2.8.2).
 */
#include "ike/ike-session-priv.h"

#include <errno.h>
#include <string.h>

#include "common/uip-secret.h"

void ikes_remove_child_ids(struct ike_session *s, struct child_ids *c)
{
    if (c->installed && s->cb.child_delete)
        s->cb.child_delete(s->user, s->reqid, c->spi_in, c->spi_out);
    c->installed = false;
}

void ikes_coll_clear(struct ike_session *s)
{
    uip_free_secret(g_steal_pointer(&s->coll.out_keymat), s->coll.out_keymat_len);
    s->coll.out_keymat_len = 0;
    s->coll.active = s->coll.promoted = false;
}

void ikes_remove_child(struct ike_session *s)
{
    ikes_remove_child_ids(s, &s->prev);
    ikes_remove_child_ids(s, &s->cur);
    ikes_remove_child_ids(s, &s->redundant);
    if (s->coll.active && !s->coll.promoted)
        ikes_remove_child_ids(s, &s->coll.ids);
    ikes_coll_clear(s);
}

/*
 * One side's selectors from @m, cut to @want (RFC 7296 2.9: the gateway may narrow what we
 * asked for, never widen it).  What was narrowed or dropped is logged once and counted in
 * s->info.n_ts_narrowed.  0, -EBADMSG (missing or unparseable), -ENOENT (nothing of it lies
 * in what we asked for: TS_UNACCEPTABLE).
 */
static int read_ts(struct ike_session *s, const struct ike_msg *m, uint8_t type,
                   const struct uip_ts *want, unsigned n_want, struct uip_ts *ts, unsigned *n)
{
    const struct ike_pl *pl = ike_msg_find(m, type, NULL);
    const char *name = type == IKE_PL_TSI ? "TSi" : "TSr";
    struct uip_ts got[IKE_SESSION_MAX_TS];
    unsigned n_got, skipped, changed;

    if (!pl || ike_ts_parse(pl, got, IKE_SESSION_MAX_TS, &n_got, &skipped) < 0 || n_got == 0)
        return -EBADMSG;
    if (skipped)
        _LOGS(LOG_WARNING, s,
              "%s: %u traffic selectors left out (only %u IPv4/IPv6 ranges are used; other types "
              "are not supported)",
              name, skipped, IKE_SESSION_MAX_TS);
    if (uip_ts_narrow(want, n_want, got, n_got, ts, IKE_SESSION_MAX_TS, n, &changed) < 0) {
        char buf[96];
        _LOGS(LOG_WARNING, s, "%s: none of the gateway's %u traffic selectors (first %s) lies in "
              "what we asked for", name, n_got, uip_ts_to_string(&got[0], buf, sizeof(buf)));
        s->info.n_ts_narrowed += n_got;
        return -ENOENT;
    }
    if (changed) {
        char buf[96];
        _LOGS(LOG_WARNING, s, "%s: %u of the gateway's %u traffic selectors (first %s) go beyond "
              "what we asked for: narrowed to it (RFC 7296 2.9), %u kept", name, changed, n_got,
              uip_ts_to_string(&got[0], buf, sizeof(buf)), *n);
        s->info.n_ts_narrowed += changed;
    }
    return 0;
}

/* TSi and TSr of a request or response, both required, each cut to what we want of it
 * (read_ts()).  0, -EBADMSG or -ENOENT. */
int ikes_read_ts_pair(struct ike_session *s, const struct ike_msg *m, const struct ike_ts_want *w,
                      struct uip_ts *tsi, unsigned *n_tsi, struct uip_ts *tsr, unsigned *n_tsr)
{
    int r = read_ts(s, m, IKE_PL_TSI, w->tsi, w->n_tsi, tsi, n_tsi);

    return r < 0 ? r : read_ts(s, m, IKE_PL_TSR, w->tsr, w->n_tsr, tsr, n_tsr);
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
int ikes_install_child(struct ike_session *s, struct ike_child *c, const struct ike_esp_params *esp,
                       uint32_t spi_in, bool we_initiated, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       uint8_t **keep_out, size_t *keep_len)
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

/* g^ir for a KE payload of the request with our new key of @group; our public
 * value goes to @dh_out.  0 or -errno. */
int ikes_rekey_dh(const struct ike_msg *m, uint16_t group, struct ike_dh **dh_out, uint8_t **gir,
                  size_t *gir_len)
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

void ikes_add_ke(struct ike_builder *b, const struct ike_dh *dh)
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
size_t ikes_lower_nonce(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
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
bool ikes_collision_lost(const struct ike_session *s, const struct ike_nonce *nr,
                         const uint8_t *theirs, size_t theirs_len)
{
    uint8_t ours[IKE_NONCE_MAX_LEN];
    size_t ours_len = ikes_lower_nonce(s->rk_ni, sizeof(s->rk_ni), nr->data, nr->len, ours);

    return nonce_cmp(ours, ours_len, theirs, theirs_len) < 0;
}
