/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake gateway of the session tests: see ike-fake-gateway.h.  Every step
 * is what a responder does in RFC 7296 (sections 1.2, 1.3, 2.14 - 2.18, 2.23),
 * written out with the project's own primitives; each surprise is an assert.
 */
#include "ike-fake-gateway.h"

#include <arpa/inet.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"
#include "ike/dh.h"

#include "test-sa-body.h"

#define SHA1_LEN 20

/* ---- small helpers --------------------------------------------------------------------------- */

static void sa_clear(struct fgw_sa *sa)
{
    ike_keys_free(sa->keys);
    ike_sk_ctx_free(sa->enc);
    ike_sk_ctx_free(sa->dec);
    memset(sa, 0, sizeof(*sa));
}

static uint32_t random_esp_spi(void)
{
    uint32_t spi;

    do {
        RAND_bytes((uint8_t *)&spi, sizeof(spi));
    } while (spi < 256);
    return spi;
}

static uint64_t random_ike_spi(void)
{
    uint64_t spi;

    do {
        RAND_bytes((uint8_t *)&spi, sizeof(spi));
    } while (spi == 0);
    return spi;
}

/* The gateway's next nonce: the one the test set, or 32 random octets. */
static size_t take_nonce(struct fgw *gw, uint8_t *out)
{
    size_t len = gw->next_nonce_len;

    if (len) {
        memcpy(out, gw->next_nonce, len);
        gw->next_nonce_len = 0;
        return len;
    }
    RAND_bytes(out, FGW_NONCE_LEN);
    return FGW_NONCE_LEN;
}

void fgw_set_next_nonce(struct fgw *gw, const uint8_t *nonce, size_t len)
{
    g_assert_cmpuint(len, >=, IKE_NONCE_MIN_LEN);
    g_assert_cmpuint(len, <=, IKE_NONCE_MAX_LEN);
    memcpy(gw->next_nonce, nonce, len);
    gw->next_nonce_len = len;
}

/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP | port). */
static void nat_hash(uint64_t spi_i, uint64_t spi_r, const struct sockaddr_in *a,
                     uint8_t out[SHA1_LEN])
{
    uint8_t buf[8 + 8 + 4 + 2];
    unsigned md_len;

    uip_put64(buf, spi_i);
    uip_put64(buf + 8, spi_r);
    memcpy(buf + 16, &a->sin_addr, 4);
    memcpy(buf + 20, &a->sin_port, 2);
    g_assert_true(EVP_Digest(buf, sizeof(buf), out, &md_len, EVP_sha1(), NULL));
}

static void parse_sa(const struct fgw_msg *m, struct ike_proposal *props, unsigned *n)
{
    const struct ike_pl *pl = ike_msg_find(&m->m, IKE_PL_SA, NULL);

    g_assert_nonnull(pl);
    g_assert_cmpint(ike_sa_parse(pl, props, IKE_MAX_PROPOSALS, n), ==, 0);
    g_assert_cmpuint(*n, >=, 1);
}

/* The KE payload; asserts there is one. */
static struct ike_ke msg_ke(const struct fgw_msg *m)
{
    const struct ike_pl *pl = ike_msg_find(&m->m, IKE_PL_KE, NULL);
    struct ike_ke ke;

    g_assert_nonnull(pl);
    g_assert_cmpint(ike_ke_parse(pl, &ke), ==, 0);
    return ke;
}

/* The first selector of TSi or TSr. */
static struct uip_ts msg_ts(const struct fgw_msg *m, uint8_t type)
{
    const struct ike_pl *pl = ike_msg_find(&m->m, type, NULL);
    struct uip_ts ts[IKE_TS_MAX];
    unsigned n = 0;

    g_assert_nonnull(pl);
    g_assert_cmpint(ike_ts_parse(pl, ts, IKE_TS_MAX, &n, NULL), ==, 0);
    g_assert_cmpuint(n, >=, 1);
    return ts[0];
}

/* No error notify in an answer of the session's (it would explain the failure). */
static void assert_no_error(const struct fgw_msg *m)
{
    for (const struct ike_pl *pl = ike_msg_find(&m->m, IKE_PL_NOTIFY, NULL); pl;
         pl = ike_msg_find(&m->m, IKE_PL_NOTIFY, pl)) {
        struct ike_notify n;
        g_assert_cmpint(ike_notify_parse(pl, &n), ==, 0);
        if (n.type < 16384)
            g_error("the session answered with error notify %u", n.type);
    }
}

/* Our public value and g^ir for the peer's KE payload. */
static void dh_exchange(uint16_t group, const struct ike_ke *peer, struct ike_dh **dh,
                        uint8_t **gir, size_t *gir_len)
{
    g_assert_cmpuint(peer->group, ==, group);
    if (!*dh)
        g_assert_cmpint(ike_dh_new(group, dh), ==, 0);
    g_assert_cmpint(ike_dh_compute(*dh, peer->data, peer->len, gir, gir_len), ==, 0);
}

static void add_ke(struct ike_builder *b, const struct ike_dh *dh)
{
    const uint8_t *pub;
    size_t len;

    g_assert_cmpint(ike_dh_public(dh, &pub, &len), ==, 0);
    g_assert_cmpint(ike_build_ke(b, ike_dh_group(dh), pub, len), ==, 0);
}

/*
 * A CHILD_SA's keys (RFC 7296 2.17) on the current IKE SA; the exchange's
 * initiator's nonce first, its direction first in KEYMAT.
 */
static void derive_child(struct fgw *gw, const struct ike_selected *sel, bool gw_initiated,
                         const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
                         const uint8_t *nr, size_t nr_len, struct fgw_child *c)
{
    struct ike_esp_params esp;
    struct ike_child_keys *ck = NULL;

    g_assert_cmpint(ike_selected_esp_params(sel, &esp), ==, 0);
    g_assert_cmpint(ike_child_keys_derive(gw->sa.sel.prf, gw->sa.keys->sk_d, gw->sa.keys->sk_d_len,
                                          gir, gir_len, ni, ni_len, nr, nr_len, esp.encr_keymat_len,
                                          esp.integ_keymat_len, &ck),
                    ==, 0);
    c->keymat_len = ck->encr_len + ck->integ_len;
    g_assert_cmpuint(c->keymat_len, <=, FGW_KEYMAT_MAX);
    memcpy(c->key_in, gw_initiated ? ck->r2i : ck->i2r, c->keymat_len);
    memcpy(c->key_out, gw_initiated ? ck->i2r : ck->r2i, c->keymat_len);
    g_strlcpy(c->encr, esp.encr_name, sizeof(c->encr));
    g_strlcpy(c->integ, esp.integ_name, sizeof(c->integ));
    c->esn = esp.esn;
    ike_child_keys_free(ck);
}

/*
 * The keys of a new IKE SA made by CREATE_CHILD_SA (RFC 7296 2.18) with the
 * current SA's PRF and SK_d; @n has its SPIs, selection and role set.
 */
static void derive_rekeyed_sa(struct fgw *gw, struct fgw_sa *n, const uint8_t *gir, size_t gir_len,
                              const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
    uint8_t skeyseed[IKE_PRF_MAX_LEN], spi_i[8], spi_r[8];
    struct ike_crypto_suite suite = {n->sel.encr, n->sel.encr_keylen, n->sel.integ, n->sel.prf};

    uip_put64(spi_i, n->spi_i);
    uip_put64(spi_r, n->spi_r);
    g_assert_cmpint(ike_skeyseed_rekey(gw->sa.sel.prf, gw->sa.keys->sk_d, gw->sa.keys->sk_d_len,
                                       gir, gir_len, ni, ni_len, nr, nr_len, skeyseed),
                    ==, 0);
    g_assert_cmpint(ike_keys_derive(&suite, skeyseed, ike_prf_len(suite.prf), ni, ni_len, nr,
                                    nr_len, spi_i, spi_r, &n->keys),
                    ==, 0);
    uip_wipe(skeyseed, sizeof(skeyseed));
    g_assert_cmpint(ike_sk_ctx_new_from_keys(n->keys, n->gw_initiated, true, &n->enc), ==, 0);
    g_assert_cmpint(ike_sk_ctx_new_from_keys(n->keys, n->gw_initiated, false, &n->dec), ==, 0);
}

/* Nonces compare over their common length (RFC 7296 2.8.1, as strongSwan does). */
static int nonce_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return memcmp(a, b, MIN(a_len, b_len));
}

/* The lower of two nonces into @out; returns its length. */
static size_t lower_nonce(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
                          uint8_t *out)
{
    bool a_lower = nonce_cmp(a, a_len, b, b_len) < 0;

    memcpy(out, a_lower ? a : b, a_lower ? a_len : b_len);
    return a_lower ? a_len : b_len;
}

/* @n becomes the current IKE SA; the current one is kept as gw->old. */
static void switch_sa(struct fgw *gw, struct fgw_sa *n)
{
    sa_clear(&gw->old);
    gw->old = gw->sa;
    gw->has_old = true;
    gw->sa = *n;
    memset(n, 0, sizeof(*n));
}

/* ---- life cycle ------------------------------------------------------------------------------ */

struct fgw *fgw_new(const struct fgw_config *cfg)
{
    struct fgw *gw = g_new0(struct fgw, 1);
    char err[64] = "";

    gw->cfg = *cfg;
    gw->psk = g_strdup(cfg->psk);
    gw->id = g_strdup(cfg->id ? cfg->id : "gw.example.net");
    gw->cfg.psk = gw->psk;
    gw->cfg.id = gw->id;
    g_assert_cmpint(ike_proposals_parse(cfg->ike_proposals ? cfg->ike_proposals : FGW_IKE_DEFAULT,
                                        IKE_PROTO_IKE, gw->ike_props, IKE_MAX_PROPOSALS,
                                        &gw->n_ike_props, err, sizeof(err)),
                    ==, 0);
    g_assert_cmpint(ike_proposals_parse(cfg->esp_proposals ? cfg->esp_proposals : FGW_ESP_DEFAULT,
                                        IKE_PROTO_ESP, gw->esp_props, IKE_MAX_PROPOSALS,
                                        &gw->n_esp_props, err, sizeof(err)),
                    ==, 0);
    gw->cfg.ike_proposals = gw->cfg.esp_proposals = NULL;
    return gw;
}

void fgw_free(struct fgw *gw)
{
    if (!gw)
        return;
    sa_clear(&gw->sa);
    sa_clear(&gw->old);
    sa_clear(&gw->spare);
    ike_dh_free(gw->rk.dh);
    g_clear_pointer(&gw->init_req, g_bytes_unref);
    g_clear_pointer(&gw->init_resp, g_bytes_unref);
    uip_free_secret_str(gw->psk);
    g_free(gw->id);
    uip_free_secret(gw, sizeof(*gw));
}

/* ---- received messages ----------------------------------------------------------------------- */

static struct fgw_sa *find_sa(struct fgw *gw, const struct ike_hdr *h)
{
    if (h->spi_i == gw->sa.spi_i && h->spi_r == gw->sa.spi_r && gw->sa.keys)
        return &gw->sa;
    if (gw->has_old && h->spi_i == gw->old.spi_i && h->spi_r == gw->old.spi_r)
        return &gw->old;
    if (gw->has_spare && h->spi_i == gw->spare.spi_i && h->spi_r == gw->spare.spi_r)
        return &gw->spare;
    return NULL;
}

struct fgw_msg *fgw_open(struct fgw *gw, GBytes *dgram)
{
    struct fgw_msg *fm = g_new0(struct fgw_msg, 1);
    gsize len;
    const uint8_t *d = g_bytes_get_data(dgram, &len);
    struct ike_msg *m = &fm->m;

    fm->raw = g_bytes_ref(dgram);
    fm->buf = g_memdup2(d, len);
    fm->len = len;
    g_assert_cmpint(ike_msg_parse(fm->buf, len, m), ==, 0);
    g_assert_cmpint(ike_msg_check_placement(m), ==, 0);
    bool response = m->hdr.flags & IKE_FLAG_RESPONSE;

    if (m->hdr.exchange == IKE_SA_INIT) {
        g_assert_false(response);
        g_assert_true(m->hdr.flags & IKE_FLAG_INITIATOR);
        g_assert_cmpuint(m->hdr.msg_id, ==, 0);
        g_assert_cmpuint(m->hdr.spi_r, ==, 0);
        return fm;
    }

    struct fgw_sa *sa = find_sa(gw, &m->hdr);
    g_assert_nonnull(sa);
    fm->sa = sa;
    /* the I flag: set by the original initiator of the IKE SA (RFC 7296 3.1) */
    g_assert_cmpint(!!(m->hdr.flags & IKE_FLAG_INITIATOR), ==, !sa->gw_initiated);
    g_assert_cmpint(m->sk, >=, 0);
    struct ike_sk sk;
    g_assert_cmpint(ike_sk_parse(&m->pl[m->sk], &sk), ==, 0);
    g_assert_cmpuint(sk.frag_total, ==, 0);
    size_t body_off = (size_t)(sk.enc - fm->buf);
    uint8_t *inner;
    size_t inner_len;
    g_assert_cmpint(
        ike_sk_decrypt(sa->dec, fm->buf, len, body_off - 4, body_off, &inner, &inner_len), ==, 0);
    g_assert_cmpint(ike_msg_parse_inner(m, sk.first_type, inner, inner_len), ==, 0);
    g_assert_cmpint(ike_msg_check_placement(m), ==, 0);

    if (response) {
        g_assert_true(sa->waiting);
        g_assert_cmpuint(m->hdr.msg_id, ==, sa->next_id - 1);
        sa->waiting = false;
    } else {
        g_assert_cmpuint(m->hdr.msg_id, ==, sa->peer_next_id);
        sa->peer_next_id++;
    }
    return fm;
}

void fgw_msg_free(struct fgw_msg *m)
{
    if (!m)
        return;
    g_bytes_unref(m->raw);
    uip_free_secret(m->buf, m->len);
    g_free(m);
}

bool fgw_msg_is(const struct fgw_msg *m, uint8_t exchange, bool response)
{
    return m->m.hdr.exchange == exchange && !!(m->m.hdr.flags & IKE_FLAG_RESPONSE) == response;
}

bool fgw_msg_notify(const struct fgw_msg *m, uint16_t type, struct ike_notify *out)
{
    for (const struct ike_pl *pl = ike_msg_find(&m->m, IKE_PL_NOTIFY, NULL); pl;
         pl = ike_msg_find(&m->m, IKE_PL_NOTIFY, pl)) {
        struct ike_notify n;
        g_assert_cmpint(ike_notify_parse(pl, &n), ==, 0);
        if (n.type == type) {
            if (out)
                *out = n;
            return true;
        }
    }
    return false;
}

unsigned fgw_msg_count(const struct fgw_msg *m, uint8_t type)
{
    unsigned n = 0;

    for (const struct ike_pl *pl = ike_msg_find(&m->m, type, NULL); pl;
         pl = ike_msg_find(&m->m, type, pl))
        n++;
    return n;
}

struct ike_nonce fgw_msg_nonce(const struct fgw_msg *m)
{
    const struct ike_pl *pl = ike_msg_find(&m->m, IKE_PL_NONCE, NULL);
    struct ike_nonce n;

    g_assert_nonnull(pl);
    g_assert_cmpint(ike_nonce_parse(pl, &n), ==, 0);
    return n;
}

unsigned fgw_msg_deleted_esp(const struct fgw_msg *m, uint32_t *spis, unsigned max)
{
    unsigned n = 0;

    for (const struct ike_pl *pl = ike_msg_find(&m->m, IKE_PL_DELETE, NULL); pl;
         pl = ike_msg_find(&m->m, IKE_PL_DELETE, pl)) {
        struct ike_delete del;
        g_assert_cmpint(ike_delete_parse(pl, &del), ==, 0);
        for (unsigned i = 0; del.protocol == IKE_PROTO_ESP && i < del.n_spis; i++) {
            g_assert_cmpuint(n, <, max);
            spis[n++] = ike_delete_spi(&del, i);
        }
    }
    return n;
}

bool fgw_msg_deletes_ike(const struct fgw_msg *m)
{
    for (const struct ike_pl *pl = ike_msg_find(&m->m, IKE_PL_DELETE, NULL); pl;
         pl = ike_msg_find(&m->m, IKE_PL_DELETE, pl)) {
        struct ike_delete del;
        g_assert_cmpint(ike_delete_parse(pl, &del), ==, 0);
        if (del.protocol == IKE_PROTO_IKE)
            return true;
    }
    return false;
}

/* ---- building -------------------------------------------------------------------------------- */

void fgw_begin_request(struct fgw *gw, struct fgw_sa *sa, struct ike_builder *b, uint8_t exchange)
{
    if (!sa)
        sa = &gw->sa;
    g_assert_nonnull(sa->enc);
    g_assert_false(sa->waiting); /* one request at a time (RFC 7296 2.3, window 1) */
    sa->waiting = true;
    ike_builder_init(b, sa->spi_i, sa->spi_r, exchange, sa->gw_initiated ? IKE_FLAG_INITIATOR : 0,
                     sa->next_id++);
    g_assert_cmpint(ike_builder_sk_begin(b, ike_sk_iv_len(sa->enc)), ==, 0);
}

GPtrArray *fgw_fragmented_request(struct fgw *gw, struct fgw_sa *sa, uint8_t exchange,
                                  const struct ike_builder *chain, unsigned n)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    const uint8_t *d = ike_builder_data(chain);
    size_t len = ike_builder_len(chain), part = (len + n - 1) / n;

    if (!sa)
        sa = &gw->sa;
    g_assert_false(sa->waiting);
    sa->waiting = true;
    uint32_t id = sa->next_id++;
    for (unsigned i = 0; i < n; i++) {
        struct ike_builder b;
        size_t off = MIN(len, i * part);
        ike_builder_init(&b, sa->spi_i, sa->spi_r, exchange,
                         sa->gw_initiated ? IKE_FLAG_INITIATOR : 0, id);
        g_assert_cmpint(ike_builder_skf_begin(&b, (uint16_t)(i + 1), (uint16_t)n,
                                              ike_builder_first_type(chain),
                                              ike_sk_iv_len(sa->enc)),
                        ==, 0);
        g_assert_cmpint(ike_builder_append(&b, d + off, MIN(part, len - off), NULL), ==, 0);
        g_ptr_array_add(out, fgw_seal(gw, sa, &b));
    }
    return out;
}

void fgw_begin_response(struct fgw *gw, const struct fgw_msg *req, struct ike_builder *b)
{
    struct fgw_sa *sa = req->sa;

    g_assert_nonnull(sa);
    g_assert_false(req->m.hdr.flags & IKE_FLAG_RESPONSE);
    ike_builder_init(b, sa->spi_i, sa->spi_r, req->m.hdr.exchange,
                     IKE_FLAG_RESPONSE | (sa->gw_initiated ? IKE_FLAG_INITIATOR : 0),
                     req->m.hdr.msg_id);
    g_assert_cmpint(ike_builder_sk_begin(b, ike_sk_iv_len(sa->enc)), ==, 0);
}

GBytes *fgw_try_seal(struct fgw *gw, struct fgw_sa *sa, struct ike_builder *b)
{
    struct ike_sk_region r;
    size_t off, msg_len;
    GBytes *g = NULL;

    if (!sa)
        sa = &gw->sa;
    if (ike_builder_sk_end(b, &r) == 0) {
        size_t inner = r.plain_end - r.plain_off;
        size_t tail = ike_sk_overhead(sa->enc, inner) - ike_sk_iv_len(sa->enc);
        if (ike_builder_append(b, NULL, tail, &off) == 0 && ike_builder_finish(b) == 0 &&
            ike_sk_encrypt_after_iv(sa->enc, ike_builder_data(b), r.sk_off, r.iv_off, inner,
                                    ike_builder_len(b), &msg_len) == 0)
            g = g_bytes_new(ike_builder_data(b), msg_len);
    }
    ike_builder_clear(b);
    return g;
}

GBytes *fgw_seal(struct fgw *gw, struct fgw_sa *sa, struct ike_builder *b)
{
    GBytes *g = fgw_try_seal(gw, sa, b);

    g_assert_nonnull(g);
    return g;
}

GBytes *fgw_answer_empty(struct fgw *gw, const struct fgw_msg *req)
{
    struct ike_builder b;

    fgw_begin_response(gw, req, &b);
    return fgw_seal(gw, req->sa, &b);
}

GBytes *fgw_answer_mobike(struct fgw *gw, const struct fgw_msg *req, const struct sockaddr_in *seen,
                          uint16_t error)
{
    struct ike_builder b;
    struct ike_notify n;
    struct sockaddr_in natt = gw->cfg.addr;
    uint8_t src[SHA1_LEN], dst[SHA1_LEN];
    bool update = fgw_msg_notify(req, IKE_N_UPDATE_SA_ADDRESSES, NULL);

    g_assert_true(fgw_msg_is(req, IKE_INFORMATIONAL, false));
    if (error)
        return fgw_answer_notify(gw, req, error);
    natt.sin_port = htons(4500);
    fgw_begin_response(gw, req, &b);
    if (fgw_msg_notify(req, IKE_N_NAT_DETECTION_DESTINATION_IP, &n)) {
        nat_hash(req->sa->spi_i, req->sa->spi_r, &natt, dst);
        g_assert_cmpmem(n.data, n.data_len, dst, SHA1_LEN);
        g_assert_true(fgw_msg_notify(req, IKE_N_NAT_DETECTION_SOURCE_IP, NULL));
        nat_hash(req->sa->spi_i, req->sa->spi_r, &natt, src);
        nat_hash(req->sa->spi_i, req->sa->spi_r, seen, dst);
        ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, src, SHA1_LEN);
        ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, dst, SHA1_LEN);
    } else {
        g_assert_false(update);
    }
    if (update) {
        g_assert_true(fgw_msg_notify(req, IKE_N_COOKIE2, &n));
        g_assert_cmpuint(n.data_len, >=, 8);
        g_assert_cmpuint(n.data_len, <=, 64);
        ike_build_notify(&b, 0, NULL, 0, IKE_N_COOKIE2, n.data, n.data_len);
    }
    return fgw_seal(gw, req->sa, &b);
}

GBytes *fgw_answer_notify(struct fgw *gw, const struct fgw_msg *req, uint16_t type)
{
    struct ike_builder b;

    fgw_begin_response(gw, req, &b);
    g_assert_cmpint(ike_build_notify(&b, 0, NULL, 0, type, NULL, 0), ==, 0);
    return fgw_seal(gw, req->sa, &b);
}

GBytes *fgw_answer_delete(struct fgw *gw, const struct fgw_msg *req, const uint32_t *spis,
                          unsigned n)
{
    struct ike_builder b;

    fgw_begin_response(gw, req, &b);
    if (n)
        g_assert_cmpint(ike_build_delete(&b, IKE_PROTO_ESP, spis, n), ==, 0);
    return fgw_seal(gw, req->sa, &b);
}

GBytes *fgw_informational_request(struct fgw *gw, struct fgw_sa *sa, const uint32_t *spis,
                                  unsigned n, bool delete_ike)
{
    struct ike_builder b;

    if (!sa)
        sa = &gw->sa;
    fgw_begin_request(gw, sa, &b, IKE_INFORMATIONAL);
    if (delete_ike)
        g_assert_cmpint(ike_build_delete(&b, IKE_PROTO_IKE, NULL, 0), ==, 0);
    if (n)
        g_assert_cmpint(ike_build_delete(&b, IKE_PROTO_ESP, spis, n), ==, 0);
    return fgw_seal(gw, sa, &b);
}

/* ---- IKE_SA_INIT ----------------------------------------------------------------------------- */

GBytes *fgw_answer_init(struct fgw *gw, const struct fgw_msg *req, enum fgw_natd natd)
{
    const struct ike_msg *m = &req->m;
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], chosen;
    struct ike_selected sel;
    unsigned n;
    struct ike_builder b;
    struct ike_notify nt;
    uint8_t hash[SHA1_LEN];

    g_assert_true(fgw_msg_is(req, IKE_SA_INIT, false));
    parse_sa(req, theirs, &n);
    struct ike_ke ke = msg_ke(req);
    struct ike_nonce ni = fgw_msg_nonce(req);
    /* like strongSwan: the group of its KE payload where acceptable, else INVALID_KE_PAYLOAD */
    ike_proposals_front_ke(theirs, n, ke.group);
    g_assert_cmpint(ike_proposal_choose(gw->ike_props, gw->n_ike_props, theirs, n, &chosen, &sel),
                    ==, 0);
    if (sel.ke != ke.group) {
        uint8_t group[2];
        uip_put16(group, sel.ke);
        ike_builder_init(&b, m->hdr.spi_i, 0, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
        g_assert_cmpint(ike_build_notify(&b, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD, group, 2), ==,
                        0);
        g_assert_cmpint(ike_builder_finish(&b), ==, 0);
        GBytes *g = g_bytes_new(ike_builder_data(&b), ike_builder_len(&b));
        ike_builder_clear(&b);
        return g;
    }

    /* the session's NAT-D: the destination is us, the source hash matches nothing */
    g_assert_true(fgw_msg_notify(req, IKE_N_NAT_DETECTION_DESTINATION_IP, &nt));
    nat_hash(m->hdr.spi_i, 0, &gw->cfg.addr, hash);
    g_assert_cmpmem(nt.data, nt.data_len, hash, SHA1_LEN);
    g_assert_true(fgw_msg_notify(req, IKE_N_NAT_DETECTION_SOURCE_IP, &nt));
    nat_hash(m->hdr.spi_i, 0, &gw->cfg.client, hash);
    g_assert_cmpuint(nt.data_len, ==, SHA1_LEN);
    g_assert_true(memcmp(nt.data, hash, SHA1_LEN) != 0);

    sa_clear(&gw->sa);
    gw->sa.spi_i = m->hdr.spi_i;
    gw->sa.spi_r = random_ike_spi();
    gw->sa.sel = sel;
    gw->sa.peer_next_id = 1;
    memcpy(gw->ni, ni.data, ni.len);
    gw->ni_len = ni.len;
    gw->nr_len = take_nonce(gw, gw->nr);

    struct ike_dh *dh = NULL;
    uint8_t *gir = NULL, skeyseed[IKE_PRF_MAX_LEN], spi_i[8], spi_r[8];
    size_t gir_len;
    struct ike_crypto_suite suite = {sel.encr, sel.encr_keylen, sel.integ, sel.prf};
    dh_exchange(sel.ke, &ke, &dh, &gir, &gir_len);
    uip_put64(spi_i, gw->sa.spi_i);
    uip_put64(spi_r, gw->sa.spi_r);
    g_assert_cmpint(
        ike_skeyseed(sel.prf, gw->ni, gw->ni_len, gw->nr, gw->nr_len, gir, gir_len, skeyseed), ==,
        0);
    g_assert_cmpint(ike_keys_derive(&suite, skeyseed, ike_prf_len(sel.prf), gw->ni, gw->ni_len,
                                    gw->nr, gw->nr_len, spi_i, spi_r, &gw->sa.keys),
                    ==, 0);
    uip_wipe(skeyseed, sizeof(skeyseed));
    uip_free_secret(gir, gir_len);
    g_assert_cmpint(ike_sk_ctx_new_from_keys(gw->sa.keys, false, true, &gw->sa.enc), ==, 0);
    g_assert_cmpint(ike_sk_ctx_new_from_keys(gw->sa.keys, false, false, &gw->sa.dec), ==, 0);

    ike_builder_init(&b, gw->sa.spi_i, gw->sa.spi_r, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
    ike_build_sa(&b, &chosen, 1);
    add_ke(&b, dh);
    ike_build_nonce(&b, gw->nr, gw->nr_len);
    ike_dh_free(dh);
    if (natd != FGW_NATD_NONE) {
        uint8_t src[SHA1_LEN], dst[SHA1_LEN];
        nat_hash(gw->sa.spi_i, gw->sa.spi_r, &gw->cfg.addr, src);
        nat_hash(gw->sa.spi_i, gw->sa.spi_r, &gw->cfg.client, dst);
        if (natd == FGW_NATD_MISMATCH) {
            RAND_bytes(src, sizeof(src));
            RAND_bytes(dst, sizeof(dst));
        }
        ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, src, SHA1_LEN);
        ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, dst, SHA1_LEN);
    }
    g_assert_cmpint(ike_builder_finish(&b), ==, 0);
    g_clear_pointer(&gw->init_req, g_bytes_unref);
    g_clear_pointer(&gw->init_resp, g_bytes_unref);
    gw->init_req = g_bytes_ref(req->raw);
    gw->init_resp = g_bytes_new(ike_builder_data(&b), ike_builder_len(&b));
    ike_builder_clear(&b);
    return g_bytes_ref(gw->init_resp);
}

GBytes *fgw_answer_cookie(struct fgw *gw, const struct fgw_msg *req, const uint8_t *cookie,
                          size_t len)
{
    return fgw_answer_init_notify(gw, req, IKE_N_COOKIE, cookie, len);
}

GBytes *fgw_answer_init_notify(struct fgw *gw, const struct fgw_msg *req, uint16_t type,
                               const uint8_t *data, size_t len)
{
    struct ike_builder b;

    g_assert_true(fgw_msg_is(req, IKE_SA_INIT, false));
    ike_builder_init(&b, req->m.hdr.spi_i, 0, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
    g_assert_cmpint(ike_build_notify(&b, 0, NULL, 0, type, data, len), ==, 0);
    g_assert_cmpint(ike_builder_finish(&b), ==, 0);
    GBytes *g = g_bytes_new(ike_builder_data(&b), ike_builder_len(&b));
    ike_builder_clear(&b);
    return g;
}

/* ---- IKE_AUTH -------------------------------------------------------------------------------- */

/* SignedOctets (RFC 7296 2.15) of one side and its PSK AUTH. */
static void psk_auth(struct fgw *gw, const char *psk, GBytes *real_msg, const uint8_t *nonce,
                     size_t nonce_len, const uint8_t *sk_p, const uint8_t *id_body,
                     size_t id_body_len, uint8_t *auth)
{
    gsize msg_len;
    const uint8_t *msg = g_bytes_get_data(real_msg, &msg_len);
    uint8_t *so = NULL;
    size_t so_len;
    uint16_t prf = gw->sa.sel.prf;

    g_assert_cmpint(ike_signed_octets(prf, msg, msg_len, nonce, nonce_len, sk_p,
                                      gw->sa.keys->sk_p_len, id_body, id_body_len, &so, &so_len),
                    ==, 0);
    g_assert_cmpint(ike_auth_psk(prf, (const uint8_t *)psk, strlen(psk), so, so_len, auth), ==, 0);
    uip_free_secret(so, so_len);
}

GBytes *fgw_answer_auth(struct fgw *gw, const struct fgw_msg *req, const struct fgw_auth_opts *o,
                        struct fgw_child *child)
{
    static const struct fgw_auth_opts none;
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], chosen;
    struct ike_selected sel;
    struct ike_auth auth;
    unsigned n;
    uint8_t expected[IKE_PRF_MAX_LEN], ours[IKE_PRF_MAX_LEN];
    size_t auth_len = ike_prf_len(gw->sa.sel.prf);
    struct ike_builder b;

    if (!o)
        o = &none;
    g_assert_true(fgw_msg_is(req, IKE_AUTH, false));
    g_assert_true(req->sa == &gw->sa);

    /* the session's AUTH: prf(prf(PSK, pad), IKE_SA_INIT request | Nr | prf(SK_pi, IDi)) */
    const struct ike_pl *pl_id = ike_msg_find(&req->m, IKE_PL_IDI, NULL);
    const struct ike_pl *pl_auth = ike_msg_find(&req->m, IKE_PL_AUTH, NULL);
    g_assert_nonnull(pl_id);
    g_assert_nonnull(pl_auth);
    g_assert_cmpint(ike_auth_parse(pl_auth, &auth), ==, 0);
    g_assert_cmpuint(auth.method, ==, IKE_AUTH_PSK);
    psk_auth(gw, gw->psk, gw->init_req, gw->nr, gw->nr_len, gw->sa.keys->sk_pi, pl_id->body,
             pl_id->body_len, expected);
    g_assert_cmpmem(auth.data, auth.len, expected, auth_len);

    /* its ESP offer */
    parse_sa(req, theirs, &n);
    g_assert_cmpint(ike_proposal_choose(gw->esp_props, gw->n_esp_props, theirs, n, &chosen, &sel),
                    ==, 0);
    memset(child, 0, sizeof(*child));
    child->spi_out = uip_get32(sel.spi);
    child->spi_in = random_esp_spi();
    derive_child(gw, &sel, false, NULL, 0, gw->ni, gw->ni_len, gw->nr, gw->nr_len, child);
    child->ts_client = msg_ts(req, IKE_PL_TSI);
    child->ts_gateway = msg_ts(req, IKE_PL_TSR);
    if (o->vip4) {
        char addr[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, o->vip4_addr, addr, sizeof(addr));
        g_assert_cmpint(uip_ts_parse(addr, &child->ts_client), ==, 0);
    }
    if (o->tsr)
        g_assert_cmpint(uip_ts_parse(o->tsr, &child->ts_gateway), ==, 0);

    /* IDr, AUTH: prf(prf(PSK, pad), IKE_SA_INIT response | Ni | prf(SK_pr, IDr)) */
    size_t id_len = strlen(gw->id);
    g_autofree uint8_t *idr_body = g_malloc0(4 + id_len);
    idr_body[0] = IKE_ID_FQDN;
    memcpy(idr_body + 4, gw->id, id_len);
    psk_auth(gw, o->wrong_auth ? "not the shared key" : gw->psk, gw->init_resp, gw->ni, gw->ni_len,
             gw->sa.keys->sk_pr, idr_body, 4 + id_len, ours);

    fgw_begin_response(gw, req, &b);
    ike_build_id(&b, IKE_PL_IDR, IKE_ID_FQDN, (const uint8_t *)gw->id, id_len);
    ike_build_auth(&b, o->auth_method ? o->auth_method : IKE_AUTH_PSK, ours, auth_len);
    if (o->redirect) {
        ike_build_notify(&b, 0, NULL, 0, IKE_N_REDIRECT, o->redirect, o->redirect_len);
        uip_wipe(ours, sizeof(ours));
        return fgw_seal(gw, req->sa, &b);
    }
    if (o->vip4) {
        g_autofree struct ike_cp_attr *attrs =
            g_new(struct ike_cp_attr, 1 + G_N_ELEMENTS(o->dns4) + o->n_cp_extra);
        unsigned na = 0;
        attrs[na++] = (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_ADDRESS, 4, o->vip4_addr};
        for (unsigned i = 0; i < o->n_dns4 && i < G_N_ELEMENTS(o->dns4); i++)
            attrs[na++] = (struct ike_cp_attr){IKE_CFG_INTERNAL_IP4_DNS, 4, o->dns4[i]};
        for (unsigned i = 0; i < o->n_cp_extra; i++)
            attrs[na++] = o->cp_extra[i];
        g_assert_cmpint(ike_build_cp(&b, IKE_CFG_REPLY, attrs, na), ==, 0);
    }
    chosen.spi_len = 4;
    uip_put32(chosen.spi, child->spi_in);
    ike_build_sa(&b, &chosen, 1);
    ike_build_ts(&b, IKE_PL_TSI, &child->ts_client, 1);
    if (o->tsr_list) {
        struct uip_ts list[64];
        unsigned nt = 0;
        for (; o->tsr_list[nt]; nt++) {
            g_assert_cmpuint(nt, <, G_N_ELEMENTS(list));
            g_assert_cmpint(uip_ts_parse(o->tsr_list[nt], &list[nt]), ==, 0);
        }
        child->ts_gateway = list[0];
        ike_build_ts(&b, IKE_PL_TSR, list, nt);
    } else {
        ike_build_ts(&b, IKE_PL_TSR, &child->ts_gateway, 1);
    }
    if (o->mobike && fgw_msg_notify(req, IKE_N_MOBIKE_SUPPORTED, NULL))
        ike_build_notify(&b, 0, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
    if (o->auth_lifetime) {
        uint8_t secs[4];
        uip_put32(secs, o->auth_lifetime);
        ike_build_notify(&b, 0, NULL, 0, IKE_N_AUTH_LIFETIME, secs, 4);
    }
    uip_wipe(ours, sizeof(ours));
    return fgw_seal(gw, req->sa, &b);
}

/* ---- CHILD_SAs ------------------------------------------------------------------------------- */

/* Add a KE transform of @group to each proposal, before ESN (RFC 7296 3.3.2 order). */
static void add_pfs(struct ike_proposal *props, unsigned n, uint16_t group)
{
    for (unsigned i = 0; i < n; i++) {
        struct ike_proposal *p = &props[i];
        unsigned at = p->n_transforms;
        g_assert_cmpuint(at, <, IKE_MAX_TRANSFORMS);
        while (at > 0 && p->transforms[at - 1].type == IKE_TRANS_ESN)
            at--;
        memmove(&p->transforms[at + 1], &p->transforms[at],
                (p->n_transforms - at) * sizeof(p->transforms[0]));
        p->transforms[at] = (struct ike_transform){IKE_TRANS_KE, group, 0, false};
        p->n_transforms++;
    }
}

GBytes *fgw_child_rekey_request(struct fgw *gw, const struct fgw_child *old, uint16_t pfs)
{
    struct ike_builder b;
    uint8_t spi[4];

    g_assert_cmpint(gw->rk.kind, ==, FGW_PENDING_NONE);
    gw->rk.kind = FGW_PENDING_CHILD_REKEY;
    gw->rk.spi = random_esp_spi();
    gw->rk.nonce_len = take_nonce(gw, gw->rk.nonce);
    memcpy(gw->rk.offered, gw->esp_props, sizeof(gw->esp_props));
    gw->rk.n_offered = gw->n_esp_props;
    uip_put32(spi, gw->rk.spi);
    ike_proposals_set_spi(gw->rk.offered, gw->rk.n_offered, spi, 4);
    if (pfs) {
        add_pfs(gw->rk.offered, gw->rk.n_offered, pfs);
        g_assert_cmpint(ike_dh_new(pfs, &gw->rk.dh), ==, 0);
    }
    if (old) {
        gw->rk.ts_client = old->ts_client;
        gw->rk.ts_gateway = old->ts_gateway;
    } else {
        uip_ts_any(&gw->rk.ts_client, AF_INET);
        uip_ts_any(&gw->rk.ts_gateway, AF_INET);
    }

    fgw_begin_request(gw, NULL, &b, IKE_CREATE_CHILD_SA);
    if (old) {
        uint8_t old_spi[4];
        uip_put32(old_spi, old->spi_in);
        ike_build_notify(&b, IKE_PROTO_ESP, old_spi, 4, IKE_N_REKEY_SA, NULL, 0);
    }
    ike_build_sa(&b, gw->rk.offered, gw->rk.n_offered);
    ike_build_nonce(&b, gw->rk.nonce, gw->rk.nonce_len);
    if (pfs)
        add_ke(&b, gw->rk.dh);
    /* the gateway initiates this exchange: TSi is its side */
    ike_build_ts(&b, IKE_PL_TSI, &gw->rk.ts_gateway, 1);
    ike_build_ts(&b, IKE_PL_TSR, &gw->rk.ts_client, 1);
    return fgw_seal(gw, NULL, &b);
}

void fgw_child_rekey_finish(struct fgw *gw, const struct fgw_msg *resp, struct fgw_child *out)
{
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    struct ike_selected sel;
    unsigned n;
    uint8_t *gir = NULL;
    size_t gir_len = 0;

    g_assert_cmpint(gw->rk.kind, ==, FGW_PENDING_CHILD_REKEY);
    g_assert_true(fgw_msg_is(resp, IKE_CREATE_CHILD_SA, true));
    assert_no_error(resp);
    parse_sa(resp, reply, &n);
    g_assert_cmpint(ike_proposal_select_reply(gw->rk.offered, gw->rk.n_offered, reply, n, &sel), ==,
                    0);
    struct ike_nonce nr = fgw_msg_nonce(resp);
    if (sel.ke) {
        struct ike_ke ke = msg_ke(resp);
        dh_exchange(sel.ke, &ke, &gw->rk.dh, &gir, &gir_len);
    } else {
        g_assert_cmpuint(fgw_msg_count(resp, IKE_PL_KE), ==, 0);
    }
    memset(out, 0, sizeof(*out));
    out->spi_in = gw->rk.spi;
    out->spi_out = uip_get32(sel.spi);
    derive_child(gw, &sel, true, gir, gir_len, gw->rk.nonce, gw->rk.nonce_len, nr.data, nr.len,
                 out);
    uip_free_secret(gir, gir_len);
    /* the session's answer: TSi still names the gateway's side */
    out->ts_gateway = msg_ts(resp, IKE_PL_TSI);
    out->ts_client = msg_ts(resp, IKE_PL_TSR);
    ike_dh_free(g_steal_pointer(&gw->rk.dh));
    gw->rk.kind = FGW_PENDING_NONE;
}

void fgw_rekey_abandon(struct fgw *gw)
{
    g_assert_cmpint(gw->rk.kind, !=, FGW_PENDING_NONE);
    ike_dh_free(g_steal_pointer(&gw->rk.dh));
    gw->rk.kind = FGW_PENDING_NONE;
}

GBytes *fgw_answer_child_rekey(struct fgw *gw, const struct fgw_msg *req,
                               const struct fgw_child *old, struct fgw_child *out)
{
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], chosen;
    struct ike_selected sel;
    struct ike_notify nt;
    unsigned n;
    uint8_t nr[IKE_NONCE_MAX_LEN], *gir = NULL;
    size_t nr_len, gir_len = 0;
    struct ike_dh *dh = NULL;
    struct ike_builder b;

    g_assert_true(fgw_msg_is(req, IKE_CREATE_CHILD_SA, false));
    if (old) {
        /* REKEY_SA names the SA by the SPI its sender receives on (RFC 7296 3.10.1) */
        g_assert_true(fgw_msg_notify(req, IKE_N_REKEY_SA, &nt));
        g_assert_cmpuint(nt.protocol, ==, IKE_PROTO_ESP);
        g_assert_cmpuint(nt.spi_size, ==, 4);
        g_assert_cmphex(uip_get32(nt.spi), ==, old->spi_out);
    } else {
        g_assert_false(fgw_msg_notify(req, IKE_N_REKEY_SA, NULL));
    }
    parse_sa(req, theirs, &n);
    uint16_t ke_group = fgw_msg_count(req, IKE_PL_KE) ? msg_ke(req).group : 0;
    if (ke_group)
        ike_proposals_front_ke(theirs, n, ke_group);
    g_assert_cmpint(ike_proposal_choose(gw->esp_props, gw->n_esp_props, theirs, n, &chosen, &sel),
                    ==, 0);
    struct ike_nonce ni = fgw_msg_nonce(req);
    nr_len = take_nonce(gw, nr);
    if (sel.ke) {
        struct ike_ke ke = msg_ke(req);
        dh_exchange(sel.ke, &ke, &dh, &gir, &gir_len);
    }
    memset(out, 0, sizeof(*out));
    out->spi_out = uip_get32(sel.spi);
    out->spi_in = random_esp_spi();
    derive_child(gw, &sel, false, gir, gir_len, ni.data, ni.len, nr, nr_len, out);
    uip_free_secret(gir, gir_len);
    out->ts_client = msg_ts(req, IKE_PL_TSI);
    out->ts_gateway = msg_ts(req, IKE_PL_TSR);

    fgw_begin_response(gw, req, &b);
    chosen.spi_len = 4;
    uip_put32(chosen.spi, out->spi_in);
    ike_build_sa(&b, &chosen, 1);
    ike_build_nonce(&b, nr, nr_len);
    if (dh)
        add_ke(&b, dh);
    ike_build_ts(&b, IKE_PL_TSI, &out->ts_client, 1);
    ike_build_ts(&b, IKE_PL_TSR, &out->ts_gateway, 1);
    ike_dh_free(dh);
    return fgw_seal(gw, req->sa, &b);
}

/* ---- IKE SA rekeys --------------------------------------------------------------------------- */

GBytes *fgw_ike_rekey_request(struct fgw *gw, const char *sa_list)
{
    struct ike_builder b;
    uint8_t spi[8];

    g_assert_cmpint(gw->rk.kind, ==, FGW_PENDING_NONE);
    gw->rk.kind = FGW_PENDING_IKE_REKEY;
    gw->rk.ike_spi = random_ike_spi();
    gw->rk.nonce_len = take_nonce(gw, gw->rk.nonce);
    g_assert_cmpint(ike_dh_new(gw->sa.sel.ke, &gw->rk.dh), ==, 0);
    uip_put64(spi, gw->rk.ike_spi);

    fgw_begin_request(gw, NULL, &b, IKE_CREATE_CHILD_SA);
    if (sa_list) {
        /* byte for byte what such a gateway sends; what it offered is what we parse of it */
        g_autoptr(GByteArray) body = test_sa_body(sa_list, spi, 8);
        struct ike_pl pl = {.type = IKE_PL_SA, .body = body->data, .body_len = body->len};
        g_assert_cmpint(ike_sa_parse(&pl, gw->rk.offered, IKE_MAX_PROPOSALS, &gw->rk.n_offered), ==,
                        0);
        g_assert_cmpint(ike_builder_add(&b, IKE_PL_SA, false, body->data, body->len), ==, 0);
    } else {
        memcpy(gw->rk.offered, gw->ike_props, sizeof(gw->ike_props));
        gw->rk.n_offered = gw->n_ike_props;
        ike_proposals_set_spi(gw->rk.offered, gw->rk.n_offered, spi, 8);
        ike_build_sa(&b, gw->rk.offered, gw->rk.n_offered);
    }
    ike_build_nonce(&b, gw->rk.nonce, gw->rk.nonce_len);
    add_ke(&b, gw->rk.dh);
    return fgw_seal(gw, NULL, &b);
}

void fgw_ike_rekey_finish(struct fgw *gw, const struct fgw_msg *resp)
{
    struct ike_proposal reply[IKE_MAX_PROPOSALS];
    struct fgw_sa n = {0};
    unsigned np;
    uint8_t *gir = NULL;
    size_t gir_len;

    g_assert_cmpint(gw->rk.kind, ==, FGW_PENDING_IKE_REKEY);
    g_assert_true(fgw_msg_is(resp, IKE_CREATE_CHILD_SA, true));
    assert_no_error(resp);
    parse_sa(resp, reply, &np);
    g_assert_cmpint(ike_proposal_select_reply(gw->rk.offered, gw->rk.n_offered, reply, np, &n.sel),
                    ==, 0);
    g_assert_cmpuint(n.sel.spi_len, ==, 8);
    struct ike_nonce nr = fgw_msg_nonce(resp);
    struct ike_ke ke = msg_ke(resp);
    dh_exchange(ike_dh_group(gw->rk.dh), &ke, &gw->rk.dh, &gir, &gir_len);
    g_assert_cmpuint(n.sel.ke, ==, ke.group);
    /* the new IKE SA is the gateway's: its SPI is SPIi */
    n.gw_initiated = true;
    n.spi_i = gw->rk.ike_spi;
    n.spi_r = uip_get64(n.sel.spi);
    derive_rekeyed_sa(gw, &n, gir, gir_len, gw->rk.nonce, gw->rk.nonce_len, nr.data, nr.len);
    uip_free_secret(gir, gir_len);
    ike_dh_free(g_steal_pointer(&gw->rk.dh));
    gw->rk.kind = FGW_PENDING_NONE;
    if (gw->has_spare) {
        /* a collision: the exchange with the lowest nonce made the redundant SA */
        uint8_t ours[IKE_NONCE_MAX_LEN];
        size_t ours_len = lower_nonce(gw->rk.nonce, gw->rk.nonce_len, nr.data, nr.len, ours);
        if (nonce_cmp(ours, ours_len, gw->spare_lower, gw->spare_lower_len) < 0) {
            struct fgw_sa theirs = gw->spare;
            gw->spare = n; /* ours, for the gateway to delete */
            switch_sa(gw, &theirs);
        } else {
            switch_sa(gw, &n); /* theirs stays in spare: the session deletes it */
        }
        return;
    }
    switch_sa(gw, &n);
}

GBytes *fgw_answer_ike_rekey(struct fgw *gw, const struct fgw_msg *req)
{
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], chosen;
    struct fgw_sa n = {0};
    unsigned np;
    uint8_t nr[IKE_NONCE_MAX_LEN], *gir = NULL;
    size_t nr_len, gir_len;
    struct ike_dh *dh = NULL;
    struct ike_builder b;

    g_assert_true(fgw_msg_is(req, IKE_CREATE_CHILD_SA, false));
    g_assert_true(req->sa == &gw->sa);
    parse_sa(req, theirs, &np);
    struct ike_ke ke = msg_ke(req);
    ike_proposals_front_ke(theirs, np, ke.group);
    g_assert_cmpint(
        ike_proposal_choose(gw->ike_props, gw->n_ike_props, theirs, np, &chosen, &n.sel), ==, 0);
    g_assert_cmpuint(n.sel.spi_len, ==, 8);
    struct ike_nonce ni = fgw_msg_nonce(req);
    nr_len = take_nonce(gw, nr);
    dh_exchange(n.sel.ke, &ke, &dh, &gir, &gir_len);
    /* the new IKE SA is the session's: its SPI is SPIi */
    n.spi_i = uip_get64(n.sel.spi);
    n.spi_r = random_ike_spi();
    derive_rekeyed_sa(gw, &n, gir, gir_len, ni.data, ni.len, nr, nr_len);
    uip_free_secret(gir, gir_len);

    fgw_begin_response(gw, req, &b);
    chosen.spi_len = 8;
    uip_put64(chosen.spi, n.spi_r);
    ike_build_sa(&b, &chosen, 1);
    ike_build_nonce(&b, nr, nr_len);
    add_ke(&b, dh);
    ike_dh_free(dh);
    GBytes *answer = fgw_seal(gw, req->sa, &b);
    if (gw->rk.kind == FGW_PENDING_IKE_REKEY) {
        /* our own rekey is out: a collision, decided when it is answered */
        g_assert_false(gw->has_spare);
        gw->spare = n;
        gw->has_spare = true;
        gw->spare_lower_len = lower_nonce(ni.data, ni.len, nr, nr_len, gw->spare_lower);
        return answer;
    }
    switch_sa(gw, &n);
    return answer;
}
