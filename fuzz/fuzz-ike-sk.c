/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the protected IKE message path: the message codec
 * (src/ike/payload.c) together with an IKE SA that really decrypts
 * (ike_sk_* in src/ike/ike-crypto.c).  fuzz-ike-parse.c covers the codec
 * without keys.
 *
 * At the first call one pair of fixed-key SK contexts (encrypt + decrypt)
 * is made per suite and direction (initiator -> responder, responder ->
 * initiator): AES-GCM-16-256, ChaCha20-Poly1305, AES-CBC-256 +
 * HMAC-SHA2-256-128, AES-CBC-128 + HMAC-SHA2-512-256.
 *
 * Input byte 0 (selector):
 *   bits 0-1  suite              bit 2  direction
 *   bit 3     mode: 0 = A (raw), 1 = B (valid protection of fuzzed content)
 *   bits 4-5  mode B layout: builder SK | hand-laid SK + ike_sk_encrypt() |
 *             builder with a cleartext Vendor ID before SK | builder SKF
 *   bits 6-7  exchange: IKE_SA_INIT + n
 *
 * Mode A: the rest is a whole received message.  If it parses and has an
 * SK/SKF payload, a copy goes through ike_sk_decrypt() (nearly always an
 * ICV/tag failure: the length, alignment and tag checks are what runs);
 * whatever decrypts is parsed and interpreted as below.
 *
 * Mode B: byte 1 is the first inner payload type, byte 2 options (bit 0
 * Response flag, bit 1 start the AEAD IV counter at its last value and
 * check that the next seal is refused, bits 2-5 SKF fragment number/total),
 * the rest the plaintext inner chain.  The message is built, sealed with
 * the encrypt context and then taken through the receive path exactly as
 * ike-session.c does: ike_msg_parse() ->
 * ike_sk_parse() -> ike_sk_decrypt() with the other side's context on a
 * copy -> ike_msg_parse_inner() -> ike_msg_check_placement() -> every
 * interpreter on every payload.  Aborts when:
 *   - sealing a message that fits fails, or the result does not parse;
 *   - an AEAD context seals again after its last IV;
 *   - decryption fails, or does not give back exactly the plaintext;
 *   - a message with one bit flipped anywhere still decrypts;
 *   - any view returned by the codec points outside what it parsed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ike/ike-crypto.h"
#include "ike/payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_SUITES 4

struct suite {
    uint16_t encr, encr_keylen, integ;
    size_t encr_key_len, integ_key_len;
};

static const struct suite suites[N_SUITES] = {
    {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, 36, 0},
    {IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_NONE, 36, 0},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, 32, 32},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_512_256, 16, 64},
};

/* [suite][direction]: enc seals what that side sends, dec is the peer's inbound context */
static struct ike_sk_ctx *enc_ctx[N_SUITES][2], *dec_ctx[N_SUITES][2];

static struct ike_proposal props[IKE_MAX_PROPOSALS];
static struct uip_ts ts[IKE_TS_MAX];
static struct ike_cp cp;

static void setup(void)
{
    uint8_t ek[IKE_ENCR_MAX_KEY_LEN], ak[IKE_INTEG_MAX_KEY_LEN];

    for (unsigned s = 0; s < N_SUITES; s++) {
        const struct suite *su = &suites[s];

        for (unsigned d = 0; d < 2; d++) {
            for (size_t i = 0; i < sizeof(ek); i++)
                ek[i] = (uint8_t)(0x10 * (s + 1) + 0x80 * d + i);
            for (size_t i = 0; i < sizeof(ak); i++)
                ak[i] = (uint8_t)(0xa5 ^ (0x10 * (s + 1) + 0x80 * d + i));
            if (ike_sk_ctx_new(su->encr, su->encr_keylen, su->integ, ek, su->encr_key_len,
                               su->integ_key_len ? ak : NULL, su->integ_key_len, true,
                               &enc_ctx[s][d]) != 0 ||
                ike_sk_ctx_new(su->encr, su->encr_keylen, su->integ, ek, su->encr_key_len,
                               su->integ_key_len ? ak : NULL, su->integ_key_len, false,
                               &dec_ctx[s][d]) != 0)
                abort();
        }
    }
}

/* A view must lie inside [lo, lo + lo_len). */
static void check_view(const uint8_t *lo, size_t lo_len, const uint8_t *p, size_t len)
{
    volatile uint8_t sink = 0;

    if (len == 0)
        return;
    if (!p || p < lo || len > lo_len || (size_t)(p - lo) > lo_len - len)
        abort();
    /* read it all, so ASan checks the bytes too */
    for (size_t i = 0; i < len; i++)
        sink ^= p[i];
    (void)sink;
}

#define CHECK_IN_BODY(pl, p, len) check_view((pl)->body, (pl)->body_len, (p), (len))

/* Every interpreter that fits @pl's type. */
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
        if (ike_sa_parse(pl, props, IKE_MAX_PROPOSALS, &n) == 0 && n > IKE_MAX_PROPOSALS)
            abort();
        (void)ike_sa_parse(pl, props, 1, &n);
        break;
    case IKE_PL_KE:
        if (ike_ke_parse(pl, &u.ke) == 0)
            CHECK_IN_BODY(pl, u.ke.data, u.ke.len);
        break;
    case IKE_PL_IDI:
    case IKE_PL_IDR:
        if (ike_id_parse(pl, &u.id) == 0)
            CHECK_IN_BODY(pl, u.id.data, u.id.len);
        break;
    case IKE_PL_CERT:
        if (ike_cert_parse(pl, &u.cert) == 0)
            CHECK_IN_BODY(pl, u.cert.data, u.cert.len);
        break;
    case IKE_PL_CERTREQ:
        if (ike_certreq_parse(pl, &u.cert) == 0)
            CHECK_IN_BODY(pl, u.cert.data, u.cert.len);
        break;
    case IKE_PL_AUTH:
        if (ike_auth_parse(pl, &u.auth) == 0)
            CHECK_IN_BODY(pl, u.auth.data, u.auth.len);
        break;
    case IKE_PL_NONCE:
        if (ike_nonce_parse(pl, &u.nonce) == 0) {
            if (u.nonce.len < IKE_NONCE_MIN_LEN || u.nonce.len > IKE_NONCE_MAX_LEN)
                abort();
            CHECK_IN_BODY(pl, u.nonce.data, u.nonce.len);
        }
        break;
    case IKE_PL_NOTIFY:
        if (ike_notify_parse(pl, &u.notify) == 0) {
            CHECK_IN_BODY(pl, u.notify.spi, u.notify.spi_size);
            CHECK_IN_BODY(pl, u.notify.data, u.notify.data_len);
        }
        break;
    case IKE_PL_DELETE:
        if (ike_delete_parse(pl, &u.del) == 0) {
            CHECK_IN_BODY(pl, u.del.spis, (size_t)u.del.n_spis * u.del.spi_size);
            for (unsigned i = 0; i <= u.del.n_spis; i++)
                (void)ike_delete_spi(&u.del, i);
        }
        break;
    case IKE_PL_VENDOR:
        if (ike_vendor_parse(pl, &u.vendor) == 0)
            CHECK_IN_BODY(pl, u.vendor.data, u.vendor.len);
        break;
    case IKE_PL_TSI:
    case IKE_PL_TSR:
        if (ike_ts_parse(pl, ts, IKE_TS_MAX, &n, &skipped) == 0 && n > IKE_TS_MAX)
            abort();
        break;
    case IKE_PL_CP:
        if (ike_cp_parse(pl, &cp) == 0) {
            if (cp.n_attrs > IKE_CP_MAX_ATTRS)
                abort();
            for (unsigned i = 0; i < cp.n_attrs; i++)
                CHECK_IN_BODY(pl, cp.attrs[i].value, cp.attrs[i].len);
        }
        break;
    case IKE_PL_EAP:
        if (ike_eap_parse(pl, &u.eap) == 0) {
            CHECK_IN_BODY(pl, u.eap.packet, u.eap.packet_len);
            CHECK_IN_BODY(pl, u.eap.data, u.eap.data_len);
        }
        break;
    case IKE_PL_SK:
    case IKE_PL_SKF:
        if (ike_sk_parse(pl, &u.sk) == 0)
            CHECK_IN_BODY(pl, u.sk.enc, u.sk.enc_len);
        break;
    default:
        break;
    }
}

/*
 * The decrypted part of the receive path: inner chain, placement, every
 * payload interpreted.  Outer payloads point into @wire, inner ones into
 * @inner.  Returns the result of ike_msg_parse_inner().
 */
static int receive_inner(struct ike_msg *m, const struct ike_sk *sk, const uint8_t *wire,
                         size_t wire_len, const uint8_t *inner, size_t inner_len)
{
    const struct ike_pl *p = NULL;
    int r;

    r = ike_msg_parse_inner(m, sk->first_type, inner, inner_len);
    if (r != 0)
        return r;
    (void)ike_msg_check_placement(m);
    for (unsigned i = 0; i < m->n_pl; i++) {
        const struct ike_pl *pl = &m->pl[i];

        if (pl->inner != (i >= m->n_outer))
            abort();
        if (pl->inner)
            check_view(inner, inner_len, pl->body, pl->body_len);
        else
            check_view(wire, wire_len, pl->body, pl->body_len);
        interpret(pl);
        (void)ike_pl_name(pl->type);
    }
    while ((p = ike_msg_find(m, IKE_PL_NOTIFY, p)))
        (void)ike_pl_name(p->type);
    return 0;
}

/* Mode A: a message as received, decrypted with fixed keys if it has an SK/SKF. */
static void raw_message(struct ike_sk_ctx *dec, const uint8_t *data, size_t size)
{
    static struct ike_msg m;
    struct ike_sk sk;
    uint8_t *wire, *copy, *inner;
    size_t body_off, sk_off, inner_len;

    /* exact-size buffers, so ASan sees any read past the end */
    wire = g_memdup2(data, size);
    if (ike_msg_parse(wire, size, &m) != 0 || m.sk < 0 || ike_sk_parse(&m.pl[m.sk], &sk) != 0) {
        g_free(wire);
        return;
    }
    check_view(wire, size, sk.enc, sk.enc_len);
    body_off = (size_t)(sk.enc - wire);
    sk_off = body_off - (m.pl[m.sk].type == IKE_PL_SKF ? 8 : 4);
    copy = g_memdup2(wire, size);
    if (ike_sk_decrypt(dec, copy, size, sk_off, body_off, &inner, &inner_len) == 0) {
        check_view(copy, size, inner, inner_len);
        (void)receive_inner(&m, &sk, wire, size, inner, inner_len);
    }
    g_free(copy);
    g_free(wire);
}

enum layout { LAYOUT_SK, LAYOUT_HAND, LAYOUT_CLEAR_FIRST, LAYOUT_SKF };

/*
 * Seal @chain as the inner payloads of a new message.  On success *@out is
 * the exact-size message (g_free), 0 returned; -EMSGSIZE / -EINVAL when the
 * input cannot make a valid message (too long, bad fragment numbers).
 */
static int seal(struct ike_sk_ctx *enc, enum layout layout, uint8_t exchange, uint8_t flags,
                uint8_t first_type, uint16_t frag_num, uint16_t frag_total, const uint8_t *chain,
                size_t chain_len, uint8_t **out, size_t *out_len)
{
    static const uint8_t vid[] = "uipsec fuzz";
    size_t iv_len = ike_sk_iv_len(enc);
    struct ike_builder b;
    struct ike_sk_region reg;
    size_t msg_len, tail, need;
    uint8_t *buf;
    int r;

    if (chain_len > IKE_MAX_MSG_LEN)
        return -EMSGSIZE;
    tail = ike_sk_overhead(enc, chain_len) - iv_len;

    if (layout == LAYOUT_HAND) {
        /* 28-byte header, SK generic header, the plaintext; ike_sk_encrypt() makes the IV room */
        need = IKE_HDR_LEN + IKE_GENERIC_HDR_LEN + ike_sk_overhead(enc, chain_len) + chain_len;
        buf = g_malloc0(need);
        ike_builder_init(&b, 0x1122334455667788ULL, 0x99aabbccddeeff00ULL, exchange, flags, 1);
        if (ike_builder_finish(&b) != 0 || ike_builder_len(&b) != IKE_HDR_LEN)
            abort();
        memcpy(buf, ike_builder_data(&b), IKE_HDR_LEN);
        ike_builder_clear(&b);
        buf[16] = IKE_PL_SK;
        buf[IKE_HDR_LEN] = first_type;
        memcpy(buf + IKE_HDR_LEN + IKE_GENERIC_HDR_LEN, chain, chain_len);
        r = ike_sk_encrypt(enc, buf, IKE_HDR_LEN, IKE_HDR_LEN + IKE_GENERIC_HDR_LEN, chain_len,
                           need, &msg_len);
        if (r == 0 && msg_len != need)
            abort();
        if (r != 0) {
            g_free(buf);
            return r;
        }
        *out = buf;
        *out_len = msg_len;
        return 0;
    }

    /* as ikes_seal_on() in ike-msg-io.c, with the chain appended raw after the SK header + IV */
    ike_builder_init(&b, 0x1122334455667788ULL, 0x99aabbccddeeff00ULL, exchange, flags, 1);
    if (layout == LAYOUT_CLEAR_FIRST)
        (void)ike_build_vendor(&b, vid, sizeof(vid) - 1);
    if (layout == LAYOUT_SKF)
        r = ike_builder_skf_begin(&b, frag_num, frag_total, first_type, iv_len);
    else
        r = ike_builder_sk_begin(&b, iv_len);
    if (r != 0) {
        ike_builder_clear(&b);
        if (r != -EINVAL || layout != LAYOUT_SKF)
            abort();
        return r;
    }
    if (ike_builder_sk_end(&b, &reg) != 0 || reg.plain_end != reg.plain_off ||
        reg.plain_off != reg.iv_off + iv_len)
        abort();
    r = ike_builder_append(&b, chain, chain_len, NULL);
    if (r == 0)
        r = ike_builder_append(&b, NULL, tail, NULL);
    if (r == 0)
        r = ike_builder_finish(&b);
    if (r != 0) {
        ike_builder_clear(&b);
        if (r != -EMSGSIZE)
            abort();
        return r;
    }
    buf = ike_builder_data(&b);
    if (layout != LAYOUT_SKF)
        buf[reg.sk_off] = first_type; /* nothing was chained through the builder */
    r = ike_sk_encrypt_after_iv(enc, buf, reg.sk_off, reg.iv_off, chain_len, ike_builder_len(&b),
                                &msg_len);
    if (r == 0 && msg_len != ike_builder_len(&b))
        abort();
    if (r == 0) {
        *out = g_memdup2(buf, msg_len);
        *out_len = msg_len;
    }
    ike_builder_clear(&b);
    return r;
}

/* The last AEAD IV was used: the context must refuse to seal anything more. */
static void iv_exhausted(struct ike_sk_ctx *enc)
{
    uint8_t msg[IKE_HDR_LEN + IKE_GENERIC_HDR_LEN + IKE_SK_MAX_IV_LEN + 1 + IKE_SK_MAX_ICV_LEN] = {
        0};
    size_t len;

    if (ike_sk_encrypt(enc, msg, IKE_HDR_LEN, IKE_HDR_LEN + IKE_GENERIC_HDR_LEN, 0, sizeof(msg),
                       &len) != -EOVERFLOW)
        abort();
}

/* Mode B: seal fuzzed inner payloads, then receive them as the session does. */
static void sealed_message(unsigned suite, unsigned dir, enum layout layout, uint8_t exchange,
                           const uint8_t *data, size_t size)
{
    static struct ike_msg m;
    struct ike_sk_ctx *enc = enc_ctx[suite][dir], *dec = dec_ctx[suite][dir];
    uint8_t first_type, opt, flags, *wire = NULL, *copy, *inner;
    uint16_t frag_num, frag_total;
    size_t wire_len, body_off, inner_len, bit;
    struct ike_sk sk;
    int r;

    if (size < 2)
        return;
    first_type = data[0];
    opt = data[1];
    data += 2, size -= 2;
    flags = (dir == 0 ? IKE_FLAG_INITIATOR : 0) | ((opt & 1) ? IKE_FLAG_RESPONSE : 0);
    frag_num = (uint16_t)(1 + ((opt >> 2) & 3));
    frag_total = (uint16_t)(frag_num + ((opt >> 4) & 3) - 1); /* may be < frag_num: refused */
    if (suites[suite].integ == IKE_INTEG_NONE &&
        ike_sk_set_iv_counter(enc, (opt & 2) ? UINT64_MAX : 0) != 0)
        abort();

    r = seal(enc, layout, exchange, flags, first_type, frag_num, frag_total, data, size, &wire,
             &wire_len);
    if (r == -EMSGSIZE || (r == -EINVAL && layout == LAYOUT_SKF && frag_num > frag_total))
        return;
    if (r != 0)
        abort();
    if ((opt & 2) && suites[suite].integ == IKE_INTEG_NONE)
        iv_exhausted(enc);

    /* ike_session_input() in ike-session.c: parse the datagram, find the SK payload */
    if (ike_msg_parse(wire, wire_len, &m) != 0 || m.sk < 0 || ike_sk_parse(&m.pl[m.sk], &sk) != 0)
        abort();
    if ((layout == LAYOUT_SKF) != (sk.frag_total != 0) ||
        sk.first_type != (layout != LAYOUT_SKF || frag_num == 1 ? first_type : IKE_PL_NONE))
        abort();
    check_view(wire, wire_len, sk.enc, sk.enc_len);
    body_off = (size_t)(sk.enc - wire);

    /* a single flipped bit anywhere must not decrypt */
    bit = (size * 131u + first_type * 7u + opt) % (wire_len * 8);
    copy = g_memdup2(wire, wire_len);
    copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    if (ike_sk_decrypt(dec, copy, wire_len, body_off - (layout == LAYOUT_SKF ? 8 : 4), body_off,
                       &inner, &inner_len) == 0)
        abort();
    g_free(copy);

    /* the real thing: what we just sealed must come back byte for byte */
    copy = g_memdup2(wire, wire_len);
    if (ike_sk_decrypt(dec, copy, wire_len, body_off - (layout == LAYOUT_SKF ? 8 : 4), body_off,
                       &inner, &inner_len) != 0)
        abort();
    if (inner != copy + body_off + ike_sk_iv_len(dec) || inner_len != size ||
        (size && memcmp(inner, data, size) != 0))
        abort();
    check_view(copy, wire_len, inner, inner_len);

    (void)receive_inner(&m, &sk, wire, wire_len, inner, inner_len);

    g_free(copy);
    g_free(wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    unsigned suite, dir;
    uint8_t sel, exchange;

    if (!ready) {
        setup();
        ready = true;
    }
    if (size < 1)
        return 0;
    sel = data[0];
    data++, size--;
    suite = sel & 3;
    dir = (sel >> 2) & 1;
    exchange = (uint8_t)(IKE_SA_INIT + (sel >> 6));

    if (sel & 8)
        sealed_message(suite, dir, (enum layout)((sel >> 4) & 3), exchange, data, size);
    else
        raw_message(dec_ctx[suite][dir], data, size);
    return 0;
}
