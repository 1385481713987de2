/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESP encapsulation/decapsulation of one SA pair (src/engine/esp.c): round
 * trips for every transform, padding, replay, sequence number exhaustion,
 * ESN across the 2^32 boundary, lifetimes.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <openssl/rand.h>

#include "engine/esp.h"
#include "test-packets.h"

struct suite {
    enum uip_encr encr;
    enum uip_integ integ;
};

static const struct suite suites[] = {
    {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE},
    {UIP_ENCR_AES_GCM_16_256, UIP_INTEG_NONE},
    {UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE},
    {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128},
    {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_384_192},
    {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_512_256},
};

/* An outbound and an inbound SA with the same keys, as the two ends see them. */
static void make_pair(const struct suite *s, bool esn, struct uip_sa **out, struct uip_sa **in)
{
    struct uip_sa_config c = {0};
    uint8_t key[128];
    size_t klen = uip_esp_keymat_len(s->encr, s->integ);

    g_assert_cmpuint(klen, >, 0);
    g_assert_cmpuint(klen, <=, sizeof(key));
    g_assert_cmpint(RAND_bytes(key, (int)klen), ==, 1);
    c.spi = 0xc0ffee01;
    c.reqid = 1;
    c.encr = s->encr;
    c.integ = s->integ;
    c.keymat = key;
    c.keymat_len = klen;
    c.esn = esn;
    c.inbound = false;
    g_assert_cmpint(uip_sa_new(&c, 0, out), ==, 0);
    c.inbound = true;
    g_assert_cmpint(uip_sa_new(&c, 0, in), ==, 0);
}

static struct uip_pkt *new_pkt(void)
{
    struct uip_pkt *p = g_malloc(sizeof(*p));
    uip_pkt_reset(p);
    return p;
}

static void test_roundtrip(void)
{
    static const size_t lens[] = {28, 29, 30, 31, 60, 61, 100, 1000, 1399, 1400, 1438, 1500};

    for (unsigned si = 0; si < G_N_ELEMENTS(suites); si++) {
        for (int esn = 0; esn < 2; esn++) {
            struct uip_sa *out, *in;
            g_autofree struct uip_pkt *p = new_pkt();
            uint8_t orig[2048];

            make_pair(&suites[si], esn, &out, &in);
            for (unsigned li = 0; li < G_N_ELEMENTS(lens); li++) {
                size_t plen = lens[li] - 28;
                size_t n = test_udp_packet(orig, 4, "198.18.1.1", "198.18.2.1", 1, 2, plen, li);
                uip_pkt_reset(p);
                memcpy(p->data, orig, n);
                p->len = (uint32_t)n;
                g_assert_cmpint(uip_esp_encap(out, p, UIP_ESP_NH_IPV4), ==, 0);
                g_assert_cmpuint(p->len, ==,
                                 n + uip_esp_overhead(suites[si].encr, suites[si].integ, n));
                /* header on the wire: SPI and low 32 bits of the sequence number */
                g_assert_cmpuint((uint32_t)p->data[0] << 24 | (uint32_t)p->data[1] << 16 |
                                     (uint32_t)p->data[2] << 8 | p->data[3],
                                 ==, 0xc0ffee01);
                g_assert_cmpuint(p->data[7], ==, li + 1);
                /* the plaintext is not visible */
                if (plen >= 16)
                    g_assert_null(memmem(p->data, p->len, orig + 28, 16));
                uint8_t nh = 0;
                g_assert_cmpint(uip_esp_decap(in, p, &nh), ==, 0);
                g_assert_cmpuint(nh, ==, UIP_ESP_NH_IPV4);
                g_assert_cmpuint(p->len, ==, n);
                g_assert_cmpmem(p->data, p->len, orig, n);
            }
            g_assert_cmpuint(out->pkts, ==, G_N_ELEMENTS(lens));
            g_assert_cmpuint(in->pkts, ==, G_N_ELEMENTS(lens));
            g_assert_cmpuint(out->bytes, ==, in->bytes);
            uip_sa_free(out);
            uip_sa_free(in);
        }
    }
}

/* encap into @p a copy of a fixed packet; returns the ESP length */
static uint32_t encap_one(struct uip_sa *out, struct uip_pkt *p, uint8_t nh)
{
    uint8_t orig[256];
    size_t n = test_udp_packet(orig, 4, "198.18.1.1", "198.18.2.1", 1, 2, 100, 7);
    uip_pkt_reset(p);
    memcpy(p->data, orig, n);
    p->len = (uint32_t)n;
    g_assert_cmpint(uip_esp_encap(out, p, nh), ==, 0);
    return p->len;
}

static void test_replay_and_tamper(void)
{
    for (unsigned si = 0; si < G_N_ELEMENTS(suites); si++) {
        struct uip_sa *out, *in;
        g_autofree struct uip_pkt *p = new_pkt();
        g_autofree struct uip_pkt *q = new_pkt();
        uint8_t nh;

        make_pair(&suites[si], true, &out, &in);
        uint32_t len = encap_one(out, p, UIP_ESP_NH_IPV4);
        uint8_t copy[2048];
        memcpy(copy, p->data, len);

        /* a flipped bit anywhere is an ICV failure, and the window does not move */
        for (uint32_t i = 0; i < len; i += 7) {
            uip_pkt_reset(q);
            memcpy(q->data, copy, len);
            q->len = len;
            q->data[i] ^= 0x10;
            int r = uip_esp_decap(in, q, &nh);
            if (i < 4)
                g_assert_cmpint(r, ==, -EBADMSG); /* SPI is authenticated too */
            else
                g_assert_true(r == -EBADMSG || r == -ESTALE || r == -EALREADY || r == -EINVAL);
        }
        g_assert_cmpuint(in->replay.top, ==, 0);
        /* truncations are malformed */
        for (uint32_t l = 0; l < 8u + in->crypto.iv_len + 2u + in->crypto.icv_len; l++) {
            uip_pkt_reset(q);
            memcpy(q->data, copy, l);
            q->len = l;
            g_assert_cmpint(uip_esp_decap(in, q, &nh), ==, -EINVAL);
        }
        /* the genuine packet passes once, then is a replay */
        uip_pkt_reset(q);
        memcpy(q->data, copy, len);
        q->len = len;
        g_assert_cmpint(uip_esp_decap(in, q, &nh), ==, 0);
        uip_pkt_reset(q);
        memcpy(q->data, copy, len);
        q->len = len;
        g_assert_cmpint(uip_esp_decap(in, q, &nh), ==, -EALREADY);
        g_assert_cmpint(uip_esp_drop_reason(-EALREADY), ==, UIP_DROP_REPLAY);
        uip_sa_free(out);
        uip_sa_free(in);
    }
}

static void test_bad_padding(void)
{
    /* Seal a packet whose padding bytes are wrong with the raw transform,
     * so the ICV is valid and only the padding check can catch it. */
    struct uip_sa *out, *in;
    g_autofree struct uip_pkt *p = new_pkt();
    uint8_t nh;

    make_pair(&suites[3], false, &out, &in); /* CBC: 16-byte alignment, real padding */
    struct uip_esp_crypto *c = &out->crypto;
    uint8_t *esp = p->buf + UIP_PKT_HEADROOM;
    size_t pt_len = 32; /* 27 payload + 3 padding + 2 trailer */
    memset(esp, 0, 8 + c->iv_len + pt_len + c->icv_len);
    esp[0] = 0xc0, esp[1] = 0xff, esp[2] = 0xee, esp[3] = 0x01;
    esp[7] = 1;
    g_assert_cmpint(uip_esp_crypto_make_iv(c, 1, esp + 8), ==, 0);
    uint8_t *pt = esp + 8 + c->iv_len;
    pt[27] = 1, pt[28] = 2, pt[29] = 9; /* should be 3 */
    pt[30] = 3;
    pt[31] = UIP_ESP_NH_IPV4;
    g_assert_cmpint(uip_esp_seal(c, esp, pt_len, 0, false), ==, 0);
    p->data = esp;
    p->len = (uint32_t)(8 + c->iv_len + pt_len + c->icv_len);
    g_assert_cmpint(uip_esp_decap(in, p, &nh), ==, -EPROTO);
    g_assert_cmpint(uip_esp_drop_reason(-EPROTO), ==, UIP_DROP_PADDING);
    /* a bad padding does not commit the sequence number */
    g_assert_cmpuint(in->replay.top, ==, 0);

    /* pad length larger than the payload */
    p->data = esp;
    memset(pt, 0, pt_len);
    pt[30] = 31;
    pt[31] = UIP_ESP_NH_IPV4;
    esp[7] = 2;
    g_assert_cmpint(uip_esp_crypto_make_iv(c, 2, esp + 8), ==, 0);
    g_assert_cmpint(uip_esp_seal(c, esp, pt_len, 0, false), ==, 0);
    p->len = (uint32_t)(8 + c->iv_len + pt_len + c->icv_len);
    g_assert_cmpint(uip_esp_decap(in, p, &nh), ==, -EPROTO);
    uip_sa_free(out);
    uip_sa_free(in);
}

static void test_seq_exhaustion(void)
{
    for (int esn = 0; esn < 2; esn++) {
        struct uip_sa *out, *in;
        g_autofree struct uip_pkt *p = new_pkt();

        make_pair(&suites[0], esn, &out, &in);
        out->seq = esn ? UINT64_MAX - 1 : UINT32_MAX - 1;
        encap_one(out, p, UIP_ESP_NH_IPV4); /* the last number */
        g_assert_cmpuint(out->seq, ==, esn ? UINT64_MAX : UINT32_MAX);
        g_assert_false(out->hard_expired);
        uip_pkt_reset(p);
        p->len = 40;
        g_assert_cmpint(uip_esp_encap(out, p, UIP_ESP_NH_IPV4), ==, -EKEYEXPIRED);
        g_assert_true(out->hard_expired);
        g_assert_true(out->pending_events & UIP_SA_EVENT_SEQ_EXHAUSTED);
        /* and it stays stopped: never wraps to 0 */
        g_assert_cmpint(uip_esp_encap(out, p, UIP_ESP_NH_IPV4), ==, -EKEYEXPIRED);
        g_assert_cmpuint(out->seq, ==, esn ? UINT64_MAX : UINT32_MAX);
        uip_sa_free(out);
        uip_sa_free(in);
    }
}

static void test_esn_wrap(void)
{
    /* Sender crosses 2^32: the receiver infers the high bits, and the ICV
     * (which covers them) verifies. */
    for (unsigned si = 0; si < G_N_ELEMENTS(suites); si++) {
        struct uip_sa *out, *in;
        g_autofree struct uip_pkt *p = new_pkt();
        uint8_t nh;

        make_pair(&suites[si], true, &out, &in);
        out->seq = 0xfffffff0ull;
        in->replay.top = 0xfffffff0ull; /* as if 1 .. 0xfffffff0 had been received */
        for (int i = 0; i < 40; i++) {
            encap_one(out, p, UIP_ESP_NH_IPV4);
            g_assert_cmpint(uip_esp_decap(in, p, &nh), ==, 0);
        }
        g_assert_cmpuint(in->replay.top, ==, 0x100000018ull);
        /* a receiver with the wrong idea of the high bits fails the ICV */
        encap_one(out, p, UIP_ESP_NH_IPV4);
        in->replay.top = 0x200000018ull;
        g_assert_cmpint(uip_esp_decap(in, p, &nh), !=, 0);
        uip_sa_free(out);
        uip_sa_free(in);
    }
}

static void test_lifetimes(void)
{
    struct uip_sa_config c = {0};
    uint8_t key[20] = {1};
    struct uip_sa *sa;
    g_autofree struct uip_pkt *p = new_pkt();

    c.spi = 5;
    c.reqid = 1;
    c.encr = UIP_ENCR_AES_GCM_16_128;
    c.keymat = key;
    c.keymat_len = sizeof(key);
    c.soft.packets = 3;
    c.hard.packets = 5;
    g_assert_cmpint(uip_sa_new(&c, 0, &sa), ==, 0);
    for (int i = 1; i <= 5; i++) {
        encap_one(sa, p, UIP_ESP_NH_IPV4);
        g_assert_cmpint(sa->soft_expired, ==, i >= 3);
        g_assert_cmpint(sa->hard_expired, ==, i >= 5);
    }
    g_assert_cmpuint(sa->pending_events, ==, UIP_SA_EVENT_SOFT_EXPIRE | UIP_SA_EVENT_HARD_EXPIRE);
    uip_pkt_reset(p);
    p->len = 40;
    g_assert_cmpint(uip_esp_encap(sa, p, UIP_ESP_NH_IPV4), ==, -EKEYEXPIRED);
    uip_sa_free(sa);

    /* bytes and seconds */
    memset(&c.soft, 0, sizeof(c.soft));
    memset(&c.hard, 0, sizeof(c.hard));
    c.soft.bytes = 300;
    c.hard.seconds = 10;
    g_assert_cmpint(uip_sa_new(&c, 0, &sa), ==, 0);
    encap_one(sa, p, UIP_ESP_NH_IPV4); /* 128 bytes */
    encap_one(sa, p, UIP_ESP_NH_IPV4);
    g_assert_false(sa->soft_expired);
    encap_one(sa, p, UIP_ESP_NH_IPV4);
    g_assert_true(sa->soft_expired);
    g_assert_cmpuint(uip_sa_check_time(sa, sa->installed_us + 9 * G_USEC_PER_SEC), ==, 0);
    g_assert_cmpuint(uip_sa_check_time(sa, sa->installed_us + 10 * G_USEC_PER_SEC), ==,
                     UIP_SA_EVENT_HARD_EXPIRE);
    /* raised once only */
    g_assert_cmpuint(uip_sa_check_time(sa, sa->installed_us + 11 * G_USEC_PER_SEC), ==, 0);
    uip_sa_free(sa);
}

static void test_bad_config(void)
{
    struct uip_sa_config c = {0};
    uint8_t key[64] = {0};
    struct uip_sa *sa = NULL;

    c.spi = 1;
    c.reqid = 1;
    c.encr = UIP_ENCR_AES_GCM_16_128;
    c.keymat = key;
    c.keymat_len = 19; /* one short */
    g_assert_cmpint(uip_sa_new(&c, 0, &sa), ==, -EINVAL);
    g_assert_null(sa);
    c.keymat_len = 20;
    c.integ = UIP_INTEG_HMAC_SHA2_256_128; /* AEAD with integrity */
    g_assert_cmpint(uip_sa_new(&c, 0, &sa), ==, -EINVAL);
    c.integ = UIP_INTEG_NONE;
    c.spi = 0;
    g_assert_cmpint(uip_sa_new(&c, 0, &sa), ==, -EINVAL);
    c.spi = 1;
    c.n_local_ts = UIP_SA_MAX_TS + 1;
    g_assert_cmpint(uip_sa_new(&c, 0, &sa), ==, -EINVAL);
    g_assert_null(sa);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/esp/roundtrip", test_roundtrip);
    g_test_add_func("/esp/replay-and-tamper", test_replay_and_tamper);
    g_test_add_func("/esp/bad-padding", test_bad_padding);
    g_test_add_func("/esp/seq-exhaustion", test_seq_exhaustion);
    g_test_add_func("/esp/esn-wrap", test_esn_wrap);
    g_test_add_func("/esp/lifetimes", test_lifetimes);
    g_test_add_func("/esp/bad-config", test_bad_config);
    return g_test_run();
}
