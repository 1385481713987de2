/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the IKEv2 message codec (src/ike/payload.c).
 *
 * The first input byte picks the mode, the rest is the data:
 *   - the data is parsed as a whole message (ike_msg_parse); if it has an
 *     SK/SKF, its body is then taken as already decrypted plaintext and
 *     parsed as the inner chain (ike_msg_parse_inner);
 *   - if it does not parse, the data is taken as an inner chain instead:
 *     its first byte is the first inner payload type, the rest the
 *     plaintext, appended to a synthetic message with one SK payload;
 * then every payload found goes through its interpreter and, with its type
 * changed, through every other interpreter; placement is checked against
 * the exchange chosen by the mode byte.  Payloads that interpret fine are
 * rebuilt with the builder and parsed again: the result must be equal.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/payload.h"
#include "ike/proposal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t all_types[] = {
    IKE_PL_SA,   IKE_PL_KE,    IKE_PL_IDI,    IKE_PL_IDR,    IKE_PL_CERT,   IKE_PL_CERTREQ,
    IKE_PL_AUTH, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_DELETE, IKE_PL_VENDOR, IKE_PL_TSI,
    IKE_PL_TSR,  IKE_PL_SK,    IKE_PL_CP,     IKE_PL_EAP,    IKE_PL_SKF,
};

static struct ike_proposal props[IKE_MAX_PROPOSALS], props2[IKE_MAX_PROPOSALS];
static struct uip_ts ts[IKE_TS_MAX], ts2[IKE_TS_MAX];
static struct ike_cp cp, cp2;

/* Build one payload into a chain builder and view it again. */
static const uint8_t *rebuilt(struct ike_builder *b, int r, struct ike_pl *pl, uint8_t type)
{
    if (r != 0 || ike_builder_finish(b) != 0)
        abort(); /* the builder refuses what the parser accepted */
    if (ike_builder_len(b) < 4)
        abort();
    pl->type = type;
    pl->body = ike_builder_data(b) + 4;
    pl->body_len = ike_builder_len(b) - 4;
    return pl->body;
}

static void check_sa(const struct ike_pl *pl)
{
    struct ike_builder b;
    struct ike_pl again;
    unsigned n, n2;

    if (ike_sa_parse(pl, props, IKE_MAX_PROPOSALS, &n) != 0)
        return;
    if (n > IKE_MAX_PROPOSALS)
        abort();
    /* the parser keeps only transforms we support, and says which types it saw */
    for (unsigned i = 0; i < n; i++) {
        for (unsigned t = 0; t < props[i].n_transforms; t++) {
            const struct ike_transform *x = &props[i].transforms[t];
            if (x->unknown_attr || !ike_transform_supported(x->type, x->id, x->keylen) ||
                !(props[i].types_present & IKE_TRANS_BIT(x->type)))
                abort();
        }
        if (props[i].n_transforms == 0)
            return; /* nothing to rebuild a proposal from */
    }
    ike_builder_init_chain(&b);
    rebuilt(&b, ike_build_sa(&b, props, n), &again, IKE_PL_SA);
    if (ike_sa_parse(&again, props2, IKE_MAX_PROPOSALS, &n2) != 0 || n2 != n)
        abort();
    for (unsigned i = 0; i < n; i++) {
        if (props[i].num != props2[i].num || props[i].protocol != props2[i].protocol ||
            props[i].spi_len != props2[i].spi_len ||
            memcmp(props[i].spi, props2[i].spi, props[i].spi_len) != 0 ||
            props[i].n_transforms != props2[i].n_transforms)
            abort();
        for (unsigned t = 0; t < props[i].n_transforms; t++) {
            const struct ike_transform *x = &props[i].transforms[t], *y = &props2[i].transforms[t];
            if (x->type != y->type || x->id != y->id || x->keylen != y->keylen || y->unknown_attr)
                abort();
        }
    }
    ike_builder_clear(&b);
}

static void check_ts(const struct ike_pl *pl)
{
    struct ike_builder b;
    struct ike_pl again;
    unsigned n, n2, skipped;

    if (ike_ts_parse(pl, ts, IKE_TS_MAX, &n, &skipped) != 0 || n == 0)
        return;
    ike_builder_init_chain(&b);
    rebuilt(&b, ike_build_ts(&b, pl->type, ts, n), &again, pl->type);
    if (ike_ts_parse(&again, ts2, IKE_TS_MAX, &n2, &skipped) != 0 || n2 != n || skipped != 0 ||
        memcmp(ts, ts2, n * sizeof(ts[0])) != 0)
        abort();
    ike_builder_clear(&b);
}

static void check_cp(const struct ike_pl *pl)
{
    struct ike_builder b;
    struct ike_pl again;

    if (ike_cp_parse(pl, &cp) != 0)
        return;
    ike_builder_init_chain(&b);
    rebuilt(&b, ike_build_cp(&b, cp.cfg_type, cp.attrs, cp.n_attrs), &again, IKE_PL_CP);
    if (ike_cp_parse(&again, &cp2) != 0 || cp2.cfg_type != cp.cfg_type || cp2.n_attrs != cp.n_attrs)
        abort();
    for (unsigned i = 0; i < cp.n_attrs; i++)
        if (cp.attrs[i].type != cp2.attrs[i].type || cp.attrs[i].len != cp2.attrs[i].len ||
            (cp.attrs[i].len &&
             memcmp(cp.attrs[i].value, cp2.attrs[i].value, cp.attrs[i].len) != 0))
            abort();
    ike_builder_clear(&b);
}

static void check_simple(const struct ike_pl *pl)
{
    struct ike_builder b;
    struct ike_pl again;
    int r;

    ike_builder_init_chain(&b);
    switch (pl->type) {
    case IKE_PL_EAP: {
        struct ike_eap e, e2;
        if (ike_eap_parse(pl, &e) != 0)
            break;
        r = ike_build_eap(&b, e.code, e.id, e.type, e.data, e.data_len);
        rebuilt(&b, r, &again, IKE_PL_EAP);
        if (ike_eap_parse(&again, &e2) != 0 || e2.packet_len != e.packet_len ||
            memcmp(e2.packet, e.packet, e.packet_len) != 0)
            abort();
        break;
    }
    case IKE_PL_NOTIFY: {
        struct ike_notify n, n2;
        if (ike_notify_parse(pl, &n) != 0)
            break;
        r = ike_build_notify(&b, n.protocol, n.spi, n.spi_size, n.type, n.data, n.data_len);
        rebuilt(&b, r, &again, IKE_PL_NOTIFY);
        if (ike_notify_parse(&again, &n2) != 0 || n2.type != n.type || n2.data_len != n.data_len ||
            n2.spi_size != n.spi_size)
            abort();
        break;
    }
    case IKE_PL_DELETE: {
        struct ike_delete d, d2;
        uint32_t spis[64];
        if (ike_delete_parse(pl, &d) != 0 || (d.protocol == IKE_PROTO_IKE && d.n_spis) ||
            d.n_spis > 64)
            break;
        for (unsigned i = 0; i < d.n_spis; i++)
            spis[i] = ike_delete_spi(&d, i);
        r = ike_build_delete(&b, d.protocol, spis, d.n_spis);
        rebuilt(&b, r, &again, IKE_PL_DELETE);
        if (ike_delete_parse(&again, &d2) != 0 || d2.n_spis != d.n_spis ||
            memcmp(d2.spis, d.spis, (size_t)d.n_spis * d.spi_size) != 0)
            abort();
        break;
    }
    case IKE_PL_IDI:
    case IKE_PL_IDR: {
        struct ike_id id;
        if (ike_id_parse(pl, &id) == 0)
            rebuilt(&b, ike_build_id(&b, pl->type, id.id_type, id.data, id.len), &again, pl->type);
        break;
    }
    case IKE_PL_AUTH: {
        struct ike_auth a;
        if (ike_auth_parse(pl, &a) == 0)
            rebuilt(&b, ike_build_auth(&b, a.method, a.data, a.len), &again, IKE_PL_AUTH);
        break;
    }
    case IKE_PL_KE: {
        struct ike_ke k;
        if (ike_ke_parse(pl, &k) == 0)
            rebuilt(&b, ike_build_ke(&b, k.group, k.data, k.len), &again, IKE_PL_KE);
        break;
    }
    case IKE_PL_NONCE: {
        struct ike_nonce n;
        if (ike_nonce_parse(pl, &n) == 0)
            rebuilt(&b, ike_build_nonce(&b, n.data, n.len), &again, IKE_PL_NONCE);
        break;
    }
    case IKE_PL_CERT:
    case IKE_PL_CERTREQ: {
        struct ike_cert c;
        r = pl->type == IKE_PL_CERT ? ike_cert_parse(pl, &c) : ike_certreq_parse(pl, &c);
        if (r == 0)
            rebuilt(&b, ike_build_cert(&b, pl->type, c.encoding, c.data, c.len), &again, pl->type);
        break;
    }
    default:
        break;
    }
    ike_builder_clear(&b);
}

/* Every interpreter once on @pl as it is. */
static void interpret(const struct ike_pl *pl)
{
    union {
        struct ike_ke ke;
        struct ike_id id;
        struct ike_cert cert;
        struct ike_auth auth;
        struct ike_nonce nonce;
        struct ike_notify notify;
        struct ike_delete del;
        struct ike_vendor vendor;
        struct ike_eap eap;
        struct ike_sk sk;
    } u;
    unsigned n, skipped;

    switch (pl->type) {
    case IKE_PL_SA:
        ike_sa_parse(pl, props, IKE_MAX_PROPOSALS, &n);
        check_sa(pl);
        break;
    case IKE_PL_KE:
        ike_ke_parse(pl, &u.ke);
        break;
    case IKE_PL_IDI:
    case IKE_PL_IDR:
        ike_id_parse(pl, &u.id);
        break;
    case IKE_PL_CERT:
        ike_cert_parse(pl, &u.cert);
        break;
    case IKE_PL_CERTREQ:
        ike_certreq_parse(pl, &u.cert);
        break;
    case IKE_PL_AUTH:
        ike_auth_parse(pl, &u.auth);
        break;
    case IKE_PL_NONCE:
        ike_nonce_parse(pl, &u.nonce);
        break;
    case IKE_PL_NOTIFY:
        ike_notify_parse(pl, &u.notify);
        break;
    case IKE_PL_DELETE:
        if (ike_delete_parse(pl, &u.del) == 0)
            for (unsigned i = 0; i <= u.del.n_spis && i < 1024; i++)
                (void)ike_delete_spi(&u.del, i);
        break;
    case IKE_PL_VENDOR:
        ike_vendor_parse(pl, &u.vendor);
        break;
    case IKE_PL_TSI:
    case IKE_PL_TSR:
        ike_ts_parse(pl, ts, IKE_TS_MAX, &n, &skipped);
        ike_ts_parse(pl, ts, 1, &n, NULL);
        check_ts(pl);
        break;
    case IKE_PL_CP:
        ike_cp_parse(pl, &cp);
        check_cp(pl);
        break;
    case IKE_PL_EAP:
        ike_eap_parse(pl, &u.eap);
        break;
    case IKE_PL_SK:
    case IKE_PL_SKF:
        ike_sk_parse(pl, &u.sk);
        break;
    default:
        break;
    }
    check_simple(pl);
}

static void interpret_all(const struct ike_msg *m)
{
    const struct ike_pl *p = NULL;

    for (unsigned i = 0; i < m->n_pl; i++) {
        struct ike_pl v = m->pl[i];

        interpret(&v);
        for (unsigned t = 0; t < sizeof(all_types); t++) {
            v.type = all_types[t];
            interpret(&v);
        }
    }
    (void)ike_msg_check_placement(m);
    while ((p = ike_msg_find(m, IKE_PL_NOTIFY, p)))
        (void)ike_pl_name(p->type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ike_msg m;
    uint8_t mode;

    if (size < 1)
        return 0;
    mode = data[0];
    data++, size--;

    if (ike_msg_parse(data, size, &m) == 0) {
        if (m.sk >= 0) {
            const struct ike_pl *sk = &m.pl[m.sk];
            size_t skip = sk->type == IKE_PL_SKF ? 4 : 0;
            if (sk->body_len >= skip)
                (void)ike_msg_parse_inner(&m, sk->next, sk->body + skip, sk->body_len - skip);
        }
        interpret_all(&m);
        if (mode & 1) {
            m.hdr.exchange = (uint8_t)(IKE_SA_INIT + (mode >> 1) % 4);
            (void)ike_msg_check_placement(&m);
        }
    } else if (size >= 1) {
        memset(&m, 0, sizeof(m));
        m.hdr.exchange = (uint8_t)(IKE_SA_INIT + (mode >> 1) % 5);
        m.sk = 0;
        m.n_outer = m.n_pl = 1;
        m.pl[0].type = IKE_PL_SK;
        m.pl[0].next = data[0];
        if (ike_msg_parse_inner(&m, data[0], data + 1, size - 1) == 0)
            interpret_all(&m);
    }
    return 0;
}
