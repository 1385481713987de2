/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the protected IKE message path: the session's own
 * receive function, ike_receive() (src/ike/ike-recv.c), with an IKE SA whose
 * keys are fixed, over the message codec (src/ike/payload.c) and message
 * protection (ike_sk_* in src/ike/ike-crypto.c).  fuzz-ike-parse.c covers the
 * codec without keys.
 *
 * At the first call one pair of fixed-key SK contexts (encrypt + decrypt)
 * is made per suite and direction (initiator -> responder, responder ->
 * initiator): AES-GCM-16-256, ChaCha20-Poly1305, AES-CBC-256 +
 * HMAC-SHA2-256-128, AES-CBC-128 + HMAC-SHA2-512-256.  For each input a
 * session-like context (struct ike_recv_ctx) is made: one IKE SA with the
 * decrypt context of the suite and direction, our request out and the
 * peer's next request both expected with the same message ID, established,
 * no fragments kept.
 *
 * Input byte 0 (selector):
 *   bits 0-1  suite              bit 2  direction
 *   bit 3     mode: 0 = A (raw), 1 = B (valid protection of fuzzed content)
 *   mode A: bit 4  0 = the context takes the message's SPIs, message ID and
 *                  I flag (so that it gets as far as decryption), 1 = fixed ones
 *           bit 5  the message ID is the one answered last (our kept answer)
 *   mode B: bits 4-5 layout: builder SK | hand-laid SK + ike_sk_encrypt() |
 *                  builder with a cleartext Vendor ID before SK | builder SKF
 *   bits 6-7  mode B exchange: IKE_SA_INIT + n
 *
 * Mode A: the rest is a whole received message, through ike_receive().
 *
 * Mode B: byte 1 is the first inner payload type, byte 2 options (bit 0
 * Response flag, bit 1 start the AEAD IV counter at its last value and
 * check that the next seal is refused, bits 2-5 SKF fragment number/total),
 * the rest the plaintext inner chain.  The message is built and sealed
 * with the encrypt context (message ID 0 for IKE_SA_INIT, else 1), then
 * received: first with one bit flipped anywhere, then as sealed.
 *
 * Whatever ike_receive() takes is checked (every view inside what was
 * parsed or decrypted, placement, every interpreter on every payload).
 * Aborts when:
 *   - sealing a message that fits fails;
 *   - an AEAD context seals again after its last IV;
 *   - ike_receive() gives a reason only the session decides, or takes a
 *     message that breaks placement or points outside what it parsed;
 *   - a protected message with one bit flipped is taken, or kept as a
 *     fragment, or leaves a trace (the message as sealed then fails);
 *   - the message as sealed is not decrypted, or its exact reason is not
 *     the one the layout dictates (IKE_SA_INIT: WRONG_DIRECTION, or
 *     PLACEMENT for its SK; a Vendor ID in the clear: PLACEMENT; one of
 *     several fragments: FRAGMENT_PENDING), or, taken, its inner chain is
 *     not exactly the plaintext.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ike/ike-crypto.h"
#include "ike/ike-recv.h"
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

#define FIX_SPI_I 0x1122334455667788ULL
#define FIX_SPI_R 0x99aabbccddeeff00ULL

/* The session-like context of one input (static: ike_receive() keeps pointers to nothing). */
static struct sa_ctx rx_sa;
static struct ike_frags rx_frags;
static struct ike_recv rx;

/*
 * One IKE SA with @dec: our request @msg_id is out and the peer's next
 * request is @msg_id too, or (@answered) @msg_id was its last one, whose
 * answer we keep.
 */
static void make_ctx(struct ike_recv_ctx *c, struct ike_sk_ctx *dec, bool we_initiated,
                     uint64_t spi_i, uint64_t spi_r, uint32_t msg_id, bool answered)
{
    static GPtrArray *kept_answer; /* only its presence matters */

    if (!kept_answer)
        kept_answer = g_ptr_array_new();
    ike_frags_reset(&rx_frags);
    memset(&rx_sa, 0, sizeof(rx_sa));
    rx_sa.spi_i = spi_i;
    rx_sa.spi_r = spi_r;
    rx_sa.we_initiated = we_initiated;
    rx_sa.dec = dec;
    rx_sa.peer_next_id = answered ? msg_id + 1 : msg_id;
    rx_sa.last_response = kept_answer;
    *c = (struct ike_recv_ctx){
        .init_sent = true,
        .init_spi_i = spi_i,
        .sa = {&rx_sa},
        .request_out = true,
        .request_id = msg_id,
        .established = true,
        .frags = &rx_frags,
    };
}

/*
 * Receive @wire as the session does.  What is taken is checked: placement,
 * every view inside the datagram or the decrypted chain, every interpreter on
 * every payload.  Returns true when taken (rx holds it until ike_recv_clear()),
 * else false with the reason.
 */
static bool receive(const struct ike_recv_ctx *c, const uint8_t *wire, size_t wire_len,
                    enum ike_drop *why)
{
    const struct ike_msg *m = &rx.m;
    const struct ike_pl *p = NULL;

    if (!ike_receive(c, wire, wire_len, &rx, why)) {
        if ((unsigned)*why >= IKE_DROP__MAX || *why == IKE_DROP_WRONG_EXCHANGE ||
            *why == IKE_DROP_NOT_RUNNING || rx.plain || rx.whole)
            abort();
        return false;
    }
    if (ike_msg_check_placement(m) != 0 || (rx.sa == NULL) != (m->hdr.exchange == IKE_SA_INIT) ||
        (rx.sa && (!m->inner_parsed || m->sk < 0)))
        abort();
    check_view(wire, wire_len, m->buf, m->len);
    if (rx.whole) {
        gsize n = 0;
        const uint8_t *d = g_bytes_get_data(rx.whole, &n);
        check_view(d, n, rx.inner, rx.inner_len);
    } else if (rx.sa) {
        check_view(rx.plain, rx.plain_len, rx.inner, rx.inner_len);
    }
    for (unsigned i = 0; i < m->n_pl; i++) {
        const struct ike_pl *pl = &m->pl[i];

        if (pl->inner != (i >= m->n_outer))
            abort();
        if (pl->inner)
            check_view(rx.inner, rx.inner_len, pl->body, pl->body_len);
        else
            check_view(wire, wire_len, pl->body, pl->body_len);
        interpret(pl);
        (void)ike_pl_name(pl->type);
    }
    while ((p = ike_msg_find(m, IKE_PL_NOTIFY, p)))
        (void)ike_pl_name(p->type);
    (void)ike_drop_name(*why);
    return true;
}

/* Mode A: a message as received. */
static void raw_message(unsigned suite, unsigned dir, uint8_t sel, const uint8_t *data, size_t size)
{
    struct ike_recv_ctx c;
    struct ike_hdr h = {.spi_i = FIX_SPI_I, .spi_r = FIX_SPI_R, .msg_id = 1};
    enum ike_drop why;
    bool we_initiated = dir != 0;
    /* exact-size buffer, so ASan sees any read past the end */
    uint8_t *wire = g_memdup2(data, size);

    if (!(sel & 0x10) && ike_hdr_parse(wire, size, &h) == 0)
        we_initiated = !(h.flags & IKE_FLAG_INITIATOR);
    make_ctx(&c, dec_ctx[suite][dir], we_initiated, h.spi_i, h.spi_r,
             (sel & 0x20) ? h.msg_id - 1 : h.msg_id, sel & 0x20);
    (void)receive(&c, wire, size, &why);
    ike_recv_clear(&rx);
    g_free(wire);
}

enum layout { LAYOUT_SK, LAYOUT_HAND, LAYOUT_CLEAR_FIRST, LAYOUT_SKF };

/*
 * Seal @chain as the inner payloads of a new message.  On success *@out is
 * the exact-size message (g_free), 0 returned; -EMSGSIZE / -EINVAL when the
 * input cannot make a valid message (too long, bad fragment numbers).
 */
static int seal(struct ike_sk_ctx *enc, enum layout layout, uint8_t exchange, uint8_t flags,
                uint32_t msg_id, uint8_t first_type, uint16_t frag_num, uint16_t frag_total,
                const uint8_t *chain, size_t chain_len, uint8_t **out, size_t *out_len)
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
        ike_builder_init(&b, FIX_SPI_I, FIX_SPI_R, exchange, flags, msg_id);
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
    ike_builder_init(&b, FIX_SPI_I, FIX_SPI_R, exchange, flags, msg_id);
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
    struct ike_sk_ctx *enc = enc_ctx[suite][dir];
    struct ike_recv_ctx c;
    enum ike_drop why;
    uint8_t first_type, opt, flags, *wire = NULL, *copy;
    uint16_t frag_num, frag_total;
    uint32_t msg_id = exchange == IKE_SA_INIT ? 0 : 1;
    size_t wire_len, bit;
    bool taken;
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

    r = seal(enc, layout, exchange, flags, msg_id, first_type, frag_num, frag_total, data, size,
             &wire, &wire_len);
    if (r == -EMSGSIZE || (r == -EINVAL && layout == LAYOUT_SKF && frag_num > frag_total))
        return;
    if (r != 0)
        abort();
    if ((opt & 2) && suites[suite].integ == IKE_INTEG_NONE)
        iv_exhausted(enc);
    if (ike_msg_parse(wire, wire_len, &rx.m) != 0)
        abort(); /* what we sealed must parse */

    /* the receiver: the other end of the direction, expecting this message ID */
    make_ctx(&c, dec_ctx[suite][dir], dir != 0, FIX_SPI_I, FIX_SPI_R, msg_id, false);

    /* a single flipped bit anywhere: a protected message must not be taken, nor kept */
    bit = (size * 131u + first_type * 7u + opt) % (wire_len * 8);
    copy = g_memdup2(wire, wire_len);
    copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    taken = receive(&c, copy, wire_len, &why);
    ike_recv_clear(&rx);
    if (exchange != IKE_SA_INIT &&
        (taken || why == IKE_DROP_FRAGMENT_PENDING || why == IKE_DROP_FRAGMENT_DUPLICATE))
        abort();
    g_free(copy);

    /* the message as sealed: decrypted, and dropped only where the layout says */
    taken = receive(&c, wire, wire_len, &why);
    if (exchange == IKE_SA_INIT) {
        /* only a response from the responder gets as far as its placement: SK is not allowed */
        if (taken ||
            why != (dir == 0 || !(opt & 1) ? IKE_DROP_WRONG_DIRECTION : IKE_DROP_PLACEMENT))
            abort();
    } else if (layout == LAYOUT_CLEAR_FIRST) {
        if (taken || why != IKE_DROP_PLACEMENT)
            abort();
    } else if (layout == LAYOUT_SKF && frag_total > 1) {
        if (taken || why != IKE_DROP_FRAGMENT_PENDING)
            abort();
    } else if (!taken) {
        /* the fuzzed chain may not parse, or hold payloads the exchange may not carry */
        if (why != IKE_DROP_MALFORMED && why != IKE_DROP_PLACEMENT)
            abort();
    } else if (rx.inner_len != size || (size && memcmp(rx.inner, data, size) != 0) ||
               rx.n_frags != (layout == LAYOUT_SKF ? 1u : 0u)) {
        abort(); /* what we sealed must come back byte for byte */
    }
    ike_recv_clear(&rx);
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
        raw_message(suite, dir, sel, data, size);
    return 0;
}
