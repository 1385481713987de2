/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Known-answer and property tests for src/engine/esp-crypto.c.
 *
 * Vectors (numbers only, transcribed from the published documents):
 *   draft-mcgrew-gcm-test-01 section 4: AES-GCM ESP packets, 128 and 256-bit
 *     keys, 32-bit and 64-bit (ESN) sequence numbers
 *   RFC 7634 Appendix A: ChaCha20-Poly1305 ESP packet
 *   RFC 3602 section 4: AES-CBC cases 1-4 and ESP packet cases 5-8
 *   NIST SP 800-38A F.2.5: AES-256-CBC
 *   RFC 4868 section 2.7.2: HMAC-SHA-256-128 / 384-192 / 512-256 (all twelve
 *     AUTH vectors, with erratum 1785 for AUTH512-4)
 *
 * RFC 4868's messages (8, 28 and 50 bytes) cannot be the authenticated part of
 * an AES-CBC ESP packet (8 + 16 + 16n bytes, + 4 with ESN), so the integrity
 * vectors are checked in two steps: they validate the reference ICV below
 * (OpenSSL's one-shot HMAC, truncated by this file's own table), and every CBC
 * packet sealed by the code under test, keyed with the RFC 4868 keys, must
 * carry exactly the reference ICV.
 */
#include "engine/esp-crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "test-util.h"

#define BUF_MAX 2048

/* ---------------------------------------------------------------------------------------------
 * Helpers
 */

static bool all_zero(const void *p, size_t len)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < len; i++)
        if (b[i])
            return false;
    return true;
}

struct pair {
    enum uip_encr encr;
    enum uip_integ integ;
};

static const struct pair valid_pairs[] = {
    {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE},
    {UIP_ENCR_AES_GCM_16_256, UIP_INTEG_NONE},
    {UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE},
    {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128},
    {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_384_192},
    {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_512_256},
    {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_256_128},
    {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_384_192},
    {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_512_256},
};

static void init_ok(struct uip_esp_crypto *c, enum uip_encr encr, enum uip_integ integ,
                    const uint8_t *keymat, size_t keymat_len, bool encrypt)
{
    g_assert_cmpint(uip_esp_crypto_init(c, encr, integ, keymat, keymat_len, encrypt), ==, 0);
}

static void init_random(struct uip_esp_crypto *enc, struct uip_esp_crypto *dec,
                        const struct pair *p)
{
    uint8_t keymat[128];
    size_t len = uip_esp_keymat_len(p->encr, p->integ);

    g_assert_cmpuint(len, >, 0);
    g_assert_cmpuint(len, <=, sizeof(keymat));
    test_random_bytes(keymat, len);
    init_ok(enc, p->encr, p->integ, keymat, len, true);
    if (dec)
        init_ok(dec, p->encr, p->integ, keymat, len, false);
}

/* Lay out an ESP packet around @inner: header, IV, inner, 1 2 3 ... padding, trailer. */
static size_t build_plain(const struct uip_esp_crypto *c, uint8_t *esp, uint32_t spi,
                          uint32_t seq_lo, const uint8_t *inner, size_t inner_len,
                          uint8_t next_header)
{
    size_t pad = (c->align - (inner_len + UIP_ESP_TRAILER_LEN) % c->align) % c->align;
    uint8_t *pt = esp + UIP_ESP_HDR_LEN + c->iv_len;

    test_put_be32(esp, spi);
    test_put_be32(esp + 4, seq_lo);
    memcpy(pt, inner, inner_len);
    for (size_t i = 0; i < pad; i++)
        pt[inner_len + i] = (uint8_t)(i + 1);
    pt[inner_len + pad] = (uint8_t)pad;
    pt[inner_len + pad + 1] = next_header;
    return inner_len + pad + UIP_ESP_TRAILER_LEN;
}

/* Reference ICV: OpenSSL one-shot HMAC, truncated per this table (RFC 4868 2.3). */
static size_t ref_icv(enum uip_integ integ, const uint8_t *key, const uint8_t *data, size_t len,
                      uint32_t seq_hi, bool esn, uint8_t *out)
{
    const EVP_MD *md;
    size_t key_len, icv_len;
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned int full_len = 0;
    g_autofree uint8_t *msg = g_malloc(len + 4);

    switch (integ) {
    case UIP_INTEG_HMAC_SHA2_256_128:
        md = EVP_sha256(), key_len = 32, icv_len = 16;
        break;
    case UIP_INTEG_HMAC_SHA2_384_192:
        md = EVP_sha384(), key_len = 48, icv_len = 24;
        break;
    case UIP_INTEG_HMAC_SHA2_512_256:
        md = EVP_sha512(), key_len = 64, icv_len = 32;
        break;
    default:
        g_assert_not_reached();
    }
    memcpy(msg, data, len);
    if (esn)
        test_put_be32(msg + len, seq_hi);
    g_assert_nonnull(HMAC(md, key, (int)key_len, msg, len + (esn ? 4 : 0), full, &full_len));
    g_assert_cmpuint(full_len, ==, 2 * icv_len);
    memcpy(out, full, icv_len);
    return icv_len;
}

static int open_copy(struct uip_esp_crypto *dec, const uint8_t *pkt, size_t len, uint32_t seq_hi,
                     bool esn)
{
    /* Exactly @len bytes on the heap, so ASan sees any read past the packet. */
    g_autofree uint8_t *b = g_malloc(len ? len : 1);

    memcpy(b, pkt, len);
    return uip_esp_open(dec, b, len, seq_hi, esn);
}

/*
 * @pkt is a valid packet for @dec.  Every single-bit change anywhere in it
 * (SPI, sequence number, IV, ciphertext, ICV), other ESN high bits, and every
 * truncation must be refused; afterwards the context still opens @pkt.
 */
static void check_tamper(struct uip_esp_crypto *dec, const uint8_t *pkt, size_t len,
                         uint32_t seq_hi, bool esn)
{
    size_t fixed = UIP_ESP_HDR_LEN + dec->iv_len + dec->icv_len;
    uint8_t buf[BUF_MAX];

    g_assert_cmpuint(len, <=, sizeof(buf));
    for (size_t k = 0; k < len; k++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            memcpy(buf, pkt, len);
            buf[k] ^= (uint8_t)(1u << ((k + bit) % 8));
            g_assert_cmpint(uip_esp_open(dec, buf, len, seq_hi, esn), ==, -EBADMSG);
        }
    }

    if (esn) {
        g_assert_cmpint(open_copy(dec, pkt, len, seq_hi ^ 1, true), ==, -EBADMSG);
        g_assert_cmpint(open_copy(dec, pkt, len, seq_hi ^ 0x80000000u, true), ==, -EBADMSG);
        g_assert_cmpint(open_copy(dec, pkt, len, seq_hi, false), ==, -EBADMSG);
    } else {
        /* ESN changes the AAD (12 bytes) or the MAC input (+4 bytes) even when high is 0 */
        g_assert_cmpint(open_copy(dec, pkt, len, 0, true), ==, -EBADMSG);
        g_assert_cmpint(open_copy(dec, pkt, len, 1, true), ==, -EBADMSG);
    }

    for (size_t t = 0; t < len; t++) {
        int r = open_copy(dec, pkt, t, seq_hi, esn);

        if (t < fixed + dec->align || (t - fixed) % dec->align)
            g_assert_cmpint(r, ==, -EINVAL);
        else
            g_assert_cmpint(r, ==, -EBADMSG);
    }
    /* longer than sent: the ICV is looked for in the wrong place */
    memcpy(buf, pkt, len);
    memset(buf + len, 0, dec->align);
    g_assert_cmpint(uip_esp_open(dec, buf, len + dec->align, seq_hi, esn), ==, -EBADMSG);
    g_assert_cmpint(uip_esp_open(dec, buf, len + 1, seq_hi, esn), ==, -EINVAL);

    /* failures left nothing behind in the context */
    g_assert_cmpint(open_copy(dec, pkt, len, seq_hi, esn), ==, 0);
    g_assert_cmpuint(ERR_peek_error(), ==, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Names, key lengths, sizes
 */

static void test_names(void)
{
    static const struct {
        enum uip_encr encr;
        const char *name;
    } encrs[] = {
        {UIP_ENCR_AES_GCM_16_128, "aes128gcm16"},
        {UIP_ENCR_AES_GCM_16_256, "aes256gcm16"},
        {UIP_ENCR_CHACHA20_POLY1305, "chacha20poly1305"},
        {UIP_ENCR_AES_CBC_128, "aes128"},
        {UIP_ENCR_AES_CBC_256, "aes256"},
    };
    static const struct {
        enum uip_integ integ;
        const char *name;
    } integs[] = {
        {UIP_INTEG_NONE, "none"},
        {UIP_INTEG_HMAC_SHA2_256_128, "sha256"},
        {UIP_INTEG_HMAC_SHA2_384_192, "sha384"},
        {UIP_INTEG_HMAC_SHA2_512_256, "sha512"},
    };
    static const char *const bad[] = {
        "",     "none",      "null",         "AES128",   "aes128gcm", "aes128gcm16 ", "aes192",
        "sha1", "sha256_96", "aes256gcm128", "chacha20", "3des",      "sha2_256",
    };
    enum uip_encr e;
    enum uip_integ i;

    for (size_t k = 0; k < G_N_ELEMENTS(encrs); k++) {
        g_assert_cmpstr(uip_encr_name(encrs[k].encr), ==, encrs[k].name);
        e = UIP_ENCR_NONE;
        g_assert_cmpint(uip_encr_from_name(encrs[k].name, &e), ==, 0);
        g_assert_cmpint(e, ==, encrs[k].encr);
    }
    for (size_t k = 0; k < G_N_ELEMENTS(integs); k++) {
        g_assert_cmpstr(uip_integ_name(integs[k].integ), ==, integs[k].name);
        i = (enum uip_integ)99;
        g_assert_cmpint(uip_integ_from_name(integs[k].name, &i), ==, 0);
        g_assert_cmpint(i, ==, integs[k].integ);
    }

    /* always a printable string for logs */
    g_assert_cmpstr(uip_encr_name(UIP_ENCR_NONE), ==, "none");
    g_assert_cmpstr(uip_encr_name((enum uip_encr)42), ==, "unknown");
    g_assert_cmpstr(uip_integ_name((enum uip_integ)42), ==, "unknown");

    /* failures leave the out-parameter alone */
    for (size_t k = 0; k < G_N_ELEMENTS(bad); k++) {
        e = (enum uip_encr)77;
        g_assert_cmpint(uip_encr_from_name(bad[k], &e), ==, -EINVAL);
        g_assert_cmpint(e, ==, 77);
        if (strcmp(bad[k], "none") == 0)
            continue;
        i = (enum uip_integ)77;
        g_assert_cmpint(uip_integ_from_name(bad[k], &i), ==, -EINVAL);
        g_assert_cmpint(i, ==, 77);
    }
    g_assert_cmpint(uip_encr_from_name(NULL, &e), ==, -EINVAL);
    g_assert_cmpint(uip_integ_from_name(NULL, &i), ==, -EINVAL);
    g_assert_cmpint(uip_encr_from_name("aes128", NULL), ==, -EINVAL);
    g_assert_cmpint(uip_integ_from_name("sha256", NULL), ==, -EINVAL);
}

static void test_keymat_len(void)
{
    static const struct {
        enum uip_encr encr;
        enum uip_integ integ;
        size_t len;
    } cases[] = {
        /* RFC 4106 8.1 / RFC 7634 2: key + 4 salt bytes; RFC 4868 2.1.1: key = hash length */
        {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, 20},
        {UIP_ENCR_AES_GCM_16_256, UIP_INTEG_NONE, 36},
        {UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE, 36},
        {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128, 16 + 32},
        {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_384_192, 16 + 48},
        {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_512_256, 16 + 64},
        {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_256_128, 32 + 32},
        {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_384_192, 32 + 48},
        {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_512_256, 32 + 64},
        /* invalid pairs */
        {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_HMAC_SHA2_256_128, 0},
        {UIP_ENCR_AES_GCM_16_256, UIP_INTEG_HMAC_SHA2_512_256, 0},
        {UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_HMAC_SHA2_384_192, 0},
        {UIP_ENCR_AES_CBC_128, UIP_INTEG_NONE, 0},
        {UIP_ENCR_AES_CBC_256, UIP_INTEG_NONE, 0},
        {UIP_ENCR_NONE, UIP_INTEG_NONE, 0},
        {UIP_ENCR_NONE, UIP_INTEG_HMAC_SHA2_256_128, 0},
        {(enum uip_encr)6, UIP_INTEG_NONE, 0},
        {(enum uip_encr)255, UIP_INTEG_HMAC_SHA2_256_128, 0},
        {UIP_ENCR_AES_CBC_128, (enum uip_integ)4, 0},
        {UIP_ENCR_AES_CBC_128, (enum uip_integ)255, 0},
    };
    static const struct {
        uint8_t iv, icv, align;
        bool aead;
    } params[] = {
        {8, 16, 4, true},    {8, 16, 4, true},    {8, 16, 4, true},
        {16, 16, 16, false}, {16, 24, 16, false}, {16, 32, 16, false},
        {16, 16, 16, false}, {16, 24, 16, false}, {16, 32, 16, false},
    };
    uint8_t keymat[256];
    struct uip_esp_crypto c;

    memset(keymat, 0x5a, sizeof(keymat));
    for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
        size_t len = cases[k].len;

        g_assert_cmpuint(uip_esp_keymat_len(cases[k].encr, cases[k].integ), ==, len);
        if (len == 0) {
            /* rejected by init, whatever the key length offered */
            for (size_t l = 0; l <= 100; l += 4) {
                memset(&c, 0xa5, sizeof(c));
                g_assert_cmpint(
                    uip_esp_crypto_init(&c, cases[k].encr, cases[k].integ, keymat, l, true), ==,
                    -EINVAL);
                g_assert_true(all_zero(&c, sizeof(c)));
            }
            continue;
        }

        /* only the exact length is accepted */
        for (size_t l = 0; l <= len + 20; l++) {
            if (l == len)
                continue;
            memset(&c, 0xa5, sizeof(c));
            g_assert_cmpint(
                uip_esp_crypto_init(&c, cases[k].encr, cases[k].integ, keymat, l, l & 1), ==,
                -EINVAL);
            g_assert_true(all_zero(&c, sizeof(c)));
        }
        memset(&c, 0xa5, sizeof(c));
        g_assert_cmpint(uip_esp_crypto_init(&c, cases[k].encr, cases[k].integ, NULL, len, true), ==,
                        -EINVAL);
        g_assert_true(all_zero(&c, sizeof(c)));

        for (int enc = 0; enc <= 1; enc++) {
            memset(&c, 0xa5, sizeof(c));
            init_ok(&c, cases[k].encr, cases[k].integ, keymat, len, enc);
            g_assert_cmpint(c.encr, ==, cases[k].encr);
            g_assert_cmpint(c.integ, ==, cases[k].integ);
            g_assert_cmpuint(c.iv_len, ==, params[k].iv);
            g_assert_cmpuint(c.icv_len, ==, params[k].icv);
            g_assert_cmpuint(c.align, ==, params[k].align);
            g_assert_cmpint(c.aead, ==, params[k].aead);
            g_assert_cmpint(c.encrypt, ==, enc);
            g_assert_nonnull(c.cipher);
            g_assert_true(params[k].aead ? c.mac == NULL : c.mac != NULL);
            if (params[k].aead)
                g_assert_cmpmem(c.salt, 4, keymat + len - 4, 4);
            else
                g_assert_true(all_zero(c.salt, sizeof(c.salt)));
            g_assert_cmpuint(c.iv_len, <=, UIP_ESP_MAX_IV_LEN);
            g_assert_cmpuint(c.icv_len, <=, UIP_ESP_MAX_ICV_LEN);
            uip_esp_crypto_clear(&c);
            g_assert_true(all_zero(&c, sizeof(c)));
        }
    }
    g_assert_cmpint(
        uip_esp_crypto_init(NULL, UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, keymat, 20, true), ==,
        -EINVAL);
}

static void test_overhead(void)
{
    /* hand-computed: header 8 + IV + pad to align + trailer 2 + ICV */
    static const struct {
        enum uip_encr encr;
        enum uip_integ integ;
        size_t inner, overhead;
    } cases[] = {
        {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, 0, 8 + 8 + 4 + 16},
        {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, 1, 8 + 8 + 3 + 16},
        {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, 2, 8 + 8 + 2 + 16},
        {UIP_ENCR_AES_GCM_16_256, UIP_INTEG_NONE, 3, 8 + 8 + 5 + 16},
        {UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE, 1400, 8 + 8 + 4 + 16},
        {UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE, 1402, 8 + 8 + 2 + 16},
        {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128, 0, 8 + 16 + 16 + 16},
        {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128, 14, 8 + 16 + 2 + 16},
        {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128, 15, 8 + 16 + 17 + 16},
        {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_384_192, 1400, 8 + 16 + 8 + 24},
        {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_512_256, 1500, 8 + 16 + 4 + 32},
        {UIP_ENCR_AES_CBC_256, UIP_INTEG_NONE, 100, 0},
        {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_HMAC_SHA2_256_128, 100, 0},
        {UIP_ENCR_NONE, UIP_INTEG_NONE, 100, 0},
    };

    for (size_t k = 0; k < G_N_ELEMENTS(cases); k++)
        g_assert_cmpuint(uip_esp_overhead(cases[k].encr, cases[k].integ, cases[k].inner), ==,
                         cases[k].overhead);
    g_assert_cmpuint(uip_esp_overhead(UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, SIZE_MAX), ==, 0);

    /* max_inner against room: 1400 - 8 - 8 - 16 = 1368, aligned already -> inner 1366 */
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, 1400), ==, 1366);
    /* 1401 - 32 = 1369 -> 1368 -> 1366; 1403 - 32 = 1371 -> 1368 */
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, 1403), ==, 1366);
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE, 1404), ==, 1370);
    /* smallest room: 32 + 4 -> inner 2; one byte less fits nothing */
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE, 36), ==, 2);
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE, 35), ==, 0);
    /* 1400 - 8 - 16 - 16 = 1360 = 85 blocks -> 1358 */
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128, 1400), ==,
                     1358);
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_AES_CBC_128, UIP_INTEG_NONE, 1400), ==, 0);
    g_assert_cmpuint(uip_esp_max_inner(UIP_ENCR_NONE, UIP_INTEG_NONE, 1400), ==, 0);

    for (size_t p = 0; p < G_N_ELEMENTS(valid_pairs); p++) {
        enum uip_encr e = valid_pairs[p].encr;
        enum uip_integ i = valid_pairs[p].integ;
        struct uip_esp_crypto c;
        size_t fixed, prev_total = 0;

        init_random(&c, NULL, &valid_pairs[p]);
        fixed = UIP_ESP_HDR_LEN + c.iv_len + c.icv_len;
        for (size_t inner = 0; inner <= 1600; inner++) {
            size_t total = inner + uip_esp_overhead(e, i, inner);

            g_assert_cmpuint(total, >=, fixed + inner + UIP_ESP_TRAILER_LEN);
            g_assert_cmpuint((total - fixed) % c.align, ==, 0);
            g_assert_cmpuint(total - fixed - inner - UIP_ESP_TRAILER_LEN, <, c.align);
            g_assert_cmpuint(total, >=, prev_total);
            prev_total = total;
        }
        for (size_t room = 0; room <= 1600; room++) {
            size_t m = uip_esp_max_inner(e, i, room);

            if (m == 0) {
                /* nothing fits at all */
                g_assert_cmpuint(uip_esp_overhead(e, i, 0), >, room);
                continue;
            }
            g_assert_cmpuint(m + uip_esp_overhead(e, i, m), <=, room);
            g_assert_cmpuint(m + 1 + uip_esp_overhead(e, i, m + 1), >, room);
        }
        uip_esp_crypto_clear(&c);
    }
}

/* ---------------------------------------------------------------------------------------------
 * AEAD known answers
 */

struct aead_kat {
    const char *name;
    enum uip_encr encr;
    const char *key;   /* cipher key, without salt */
    const char *nonce; /* salt (4) || IV (8) */
    const char *spi;
    const char *seq; /* 4 bytes, or 8 bytes: 64-bit ESN */
    const char *pt;  /* payload || padding || pad length || next header */
    const char *ct;  /* ciphertext || 16-byte ICV */
};

static const struct aead_kat aead_kats[] = {
    /* draft-mcgrew-gcm-test-01 section 4, test cases in order of appearance; case 7 uses
     * a 192-bit key, which ESP here does not offer */
    {"gcm-test-01 case 1 (AES-128, ESN)", UIP_ENCR_AES_GCM_16_128,
     "4c80cdefbb5d10da906ac73c3613a634", "2e443b684956ed7e3b244cfe", "00004321", "8765432100000000",
     "45000048699a000080114db7c0a80102 c0a801010a9bf15638d3010000010000"
     "00000000045f736970045f7564700373 69700963796265726369747902646b00"
     "0021000101020201",
     "fecf537e729d5b07dc30df528dd22b76 8d1b98736696a6fd348509fa13ceac34"
     "cfa2436f14a3f3cf65925bf1f4a13c5d 15b21e1884f5ff6247aeabb786b93bce"
     "61bc17d768fd9732459018148f6cbe72 2fd04796562dfdb4"},
    {"gcm-test-01 case 2 (AES-128)", UIP_ENCR_AES_GCM_16_128, "feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "0000a5f8", "0000000a",
     "4500003e698f000080114dccc0a80102 c0a801010a980035002a2343b2d00100"
     "00010000000000000373697009637962 65726369747902646b00000100010001",
     "deb22cd9b07c72c16e3a65beeb8df304 a5a5897d33ae530f1ba76d5d114d2a5c"
     "3de81827c10e9a4f51330d0eec416642 cfbb85a5b47e48a4ec3b9ba95d918bd1"
     "83b70d3aa8bc6ee4c309e9d85a41ad4a"},
    {"gcm-test-01 case 3 (AES-256)", UIP_ENCR_AES_GCM_16_256,
     "abbccddef00112233445566778899aab abbccddef00112233445566778899aab",
     "112233440102030405060708", "4a2cbfe3", "00000002",
     "4500003069a6400080062690c0a80102 9389155e0a9e008b2dc57ee000000000"
     "7002400020bf0000020405b401010402 01020201",
     "ff425c9b724599df7a3bcd510194e00d 6a78107f1b0b1cbf06efae9d65a5d763"
     "748a637985771d347f0545659f14e99d ef842d8eb335f4eecfdbf831824b4c49"
     "15956c96"},
    {"gcm-test-01 case 4 (AES-128, zero key)", UIP_ENCR_AES_GCM_16_128,
     "00000000000000000000000000000000", "000000000000000000000000", "00000000", "00000001",
     "4500003c99c500008001cb7a40679318 010101010800075c0200440061626364"
     "65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201",
     "4688daf2f973a392732909c331d56d60 f694abaa414b5e7ff5fdcdfff5e9a284"
     "456476492719ffb64de7d9dca1e1d894 bc3bd57873ed4d181d19d4d5c8c18af3"
     "f821d496eeb096e98ad2b69e4799c71d"},
    {"gcm-test-01 case 5 (AES-128, ESN)", UIP_ENCR_AES_GCM_16_128,
     "3de09874b388e6491988d0c3607eae1f", "57690e434e280000a2fca1a3", "42f67e3f", "1010101010101010",
     "4500003c99c300008001cb7c40679318 010101010800085c0200430061626364"
     "65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201",
     "fba2caa4853cf9f0f22cb10d86dd83b0 fec75691cf1a04b00d1138ec9c357917"
     "65acbd8701ad79845bf9fe3fba487bc9 1755e6662b4c8d0d1f5e22739530320a"
     "e0d731cc978ecafaeae88f00e80d6e48"},
    {"gcm-test-01 case 6 (AES-128, ESN)", UIP_ENCR_AES_GCM_16_128,
     "3de09874b388e6491988d0c3607eae1f", "57690e434e280000a2fca1a3", "42f67e3f", "1010101010101010",
     "4500001c42a200008001441f406793b6 e00000020a00f5ff01020201",
     "fba2ca845e5df9f0f22c3e6e86dd831e 1fc65792cd1af9130e1379ed369f071f"
     "35e034be95f112e4e7d05d35"},
    {"gcm-test-01 case 8 (AES-128, ESN, high bits 0)", UIP_ENCR_AES_GCM_16_128,
     "abbccddef00112233445566778899aab", "decaf888cafedebaceface74", "00000100", "0000000000000001",
     "4500004933ba00007f119106c3fb1d10 c2b1d326c02831ce0035dd7b800302d5"
     "00004e20001e8c18d75b81dc91baa047 6b91b924b280389d92c963bac046ec95"
     "9b6266c04722b14923010101",
     "18a6fd42f72cbf4ab2a2ea901f73d814 e3e7f243d95412e1c349c1d2fbec168f"
     "9190feebaf2cb01984e65863965d7472 b79da345e0e780191f0d2f0e0f496c22"
     "6f2127b27db35724e7845d68651f57e6 5f354f75ff17015769623436"},
    {"gcm-test-01 case 9 (AES-256, ESN)", UIP_ENCR_AES_GCM_16_256,
     "abbccddef00112233445566778899aab abbccddef00112233445566778899aab",
     "73616c74616e640169766563", "17405e67", "156f3126dd0db99b",
     "45080028732c00004006e9f90a010612 0a01038f06b88023dd6bafbecb712602"
     "50101f646d540001",
     "f2d69ecdbd5a0d5b8d5ef38bad4da58d 1f278fde98ef67549d524a3018d9a57f"
     "f4d3a31ce673119e451626c2415771e3 b7eebca614c89b35"},
    {"gcm-test-01 case 10 (AES-128, ESN)", UIP_ENCR_AES_GCM_16_128,
     "3de09874b388e6491988d0c3607eae1f", "57690e434e280000a2fca1a3", "42f67e3f", "1010101010101010",
     "45000049333e00007f119182c3fb1d10 c2b1d326c02831ce0035cb458003025b"
     "000001e0001e8c18d65759d52284a035 2c71475c8880391c764d6e5ee0496b32"
     "5ae270c03899493915010101",
     "fba2cad12fc1f9f00d3cebf305410db8 3d7784b607323d220f24b0a97d541828"
     "00cadb0f68d99ef0e0c0c89ae9bea888 4e52d65bc1afd0740f742444747b5b39"
     "ab533163aad4550ee5160975cdb608c5 769189609763b8e18caa81e2"},
    {"gcm-test-01 case 11 (AES-256, ESN)", UIP_ENCR_AES_GCM_16_256,
     "abbccddef00112233445566778899aab abbccddef00112233445566778899aab",
     "73616c74616e640169766563", "17405e67", "156f3126dd0db99b",
     "636973636f0172756c65730174686501 6e6574776501646566696e6501746865"
     "746563686e6f6c6f6769657301746861 7477696c6c01646566696e65746f6d6f"
     "72726f7701020201",
     "d4b7ed86a1777f2ea13d6973d324c69e 7b43f826fb56831226508bebd2dceb18"
     "d0a6df10e5487df074113e14c641024e 3e6773d91a62ee429b043a10e3efe6b0"
     "12a49363412364f8c0cac587f249e56b 11e24f30e44ccc76"},
    {"gcm-test-01 case 12 (AES-128, empty payload)", UIP_ENCR_AES_GCM_16_128,
     "7d773d00c144c525ac619d18c84a3f47", "d966426743457e9182443bc6", "335467ae", "ffffffff",
     "01020201", "437f866bcb3f699fe9b0822bac961c45 04bef270"},
    {"gcm-test-01 case 13 (AES-128, ESN)", UIP_ENCR_AES_GCM_16_128,
     "abbccddef00112233445566778899aab", "decaf888cafedebaceface74", "00000100", "0000000000000001",
     "746f016265016f72016e6f7401746f01 62650001",
     "29c9fc69a197d038ccdd14e2ddfcaa05 43332164412503524303ed3c6c5f2838 43af8c3e"},
    {"gcm-test-01 case 14 (AES-256, ESN all ones)", UIP_ENCR_AES_GCM_16_256,
     "6c6567616c697a656d6172696a75616e 61616e64646f69746265666f72656961",
     "7475726e333021696765746d", "796b6963", "ffffffffffffffff",
     "45000030da3a00008001df3bc0a80005 c0a800010800c6cd0200070061626364"
     "65666768696a6b6c6d6e6f7071727374 01020201",
     "f97ab2aa356d8edce17644ac8c78e25d d24dedbb29ebf1b64a274b39b49c3a86"
     "4cd3d78ca4ae68a32b42458fb57dbe82 1dcc63b9d0937ba2945f669368661a32"
     "9fb4c053"},
    /* RFC 7634 Appendix A: ESP example (KEYMAT 80..a3, SPI 0x01020304, seq 5) */
    {"RFC 7634 A (ChaCha20-Poly1305)", UIP_ENCR_CHACHA20_POLY1305,
     "808182838485868788898a8b8c8d8e8f 909192939495969798999a9b9c9d9e9f",
     "a0a1a2a3 1011121314151617", "01020304", "00000005",
     "45000054a6f200004001e778c6336405 c000020508005b7a3a080000553bec10"
     "0007362708090a0b0c0d0e0f10111213 1415161718191a1b1c1d1e1f20212223"
     "2425262728292a2b2c2d2e2f30313233 3435363701020204",
     "24039428b97f417e3c13753a4f05087b 67c352e6a7fab1b982d466ef407ae5c6"
     "14ee8099d52844eb61aa95dfab4c02f7 2aa71e7c4c4f64c9befe2facc638e8f3"
     "cbec163fac469b502773f6fb94e664da 9165b82829f641e0"
     "76aaa8266b7fb0f7b11b369907e1ad43"},
};

static void run_aead_kat(gconstpointer data)
{
    const struct aead_kat *v = data;
    uint8_t keymat[64], nonce[12], spi[4], seq[8], pt[BUF_MAX], ct[BUF_MAX], expect[BUF_MAX];
    size_t key_len, spi_len, seq_len, pt_len, ct_len, len;
    struct uip_esp_crypto enc, dec;
    uint32_t seq_hi;
    bool esn;

    key_len = test_unhex(v->key, keymat, sizeof(keymat));
    g_assert_cmpuint(test_unhex(v->nonce, nonce, sizeof(nonce)), ==, 12);
    memcpy(keymat + key_len, nonce, 4); /* KEYMAT = key || salt */
    spi_len = test_unhex(v->spi, spi, sizeof(spi));
    seq_len = test_unhex(v->seq, seq, sizeof(seq));
    pt_len = test_unhex(v->pt, pt, sizeof(pt));
    ct_len = test_unhex(v->ct, ct, sizeof(ct));
    g_assert_cmpuint(spi_len, ==, 4);
    g_assert_true(seq_len == 4 || seq_len == 8);
    g_assert_cmpuint(ct_len, ==, pt_len + 16);
    g_assert_cmpuint(pt_len % 4, ==, 0);
    esn = seq_len == 8;
    seq_hi = esn ? test_get_be32(seq) : 0;

    /* on the wire: SPI, low 32 bits of the sequence number, IV, ciphertext, ICV */
    len = UIP_ESP_HDR_LEN + 8 + ct_len;
    memcpy(expect, spi, 4);
    memcpy(expect + 4, seq + seq_len - 4, 4);
    memcpy(expect + 8, nonce + 4, 8);
    memcpy(expect + 16, ct, ct_len);

    init_ok(&enc, v->encr, UIP_INTEG_NONE, keymat, key_len + 4, true);
    init_ok(&dec, v->encr, UIP_INTEG_NONE, keymat, key_len + 4, false);
    g_assert_cmpuint(len, ==, pt_len + uip_esp_overhead(v->encr, UIP_INTEG_NONE, 0) - 4);

    /* seal twice on the same context: the per-packet nonce reset must be complete */
    for (int round = 0; round < 2; round++) {
        g_autofree uint8_t *pkt = g_malloc(len);

        memcpy(pkt, expect, UIP_ESP_HDR_LEN + 8);
        memcpy(pkt + 16, pt, pt_len);
        g_assert_cmpint(uip_esp_seal(&enc, pkt, pt_len, seq_hi, esn), ==, 0);
        g_assert_cmpmem(pkt, len, expect, len);
    }

    {
        g_autofree uint8_t *pkt = g_memdup2(expect, len);

        g_assert_cmpint(uip_esp_open(&dec, pkt, len, seq_hi, esn), ==, 0);
        g_assert_cmpmem(pkt, 16, expect, 16);
        g_assert_cmpmem(pkt + 16, pt_len, pt, pt_len);
        g_assert_cmpmem(pkt + 16 + pt_len, 16, ct + pt_len, 16);
    }

    check_tamper(&dec, expect, len, seq_hi, esn);

    uip_esp_crypto_clear(&enc);
    uip_esp_crypto_clear(&dec);
}

/* ---------------------------------------------------------------------------------------------
 * RFC 4868 and the reference ICV
 */

struct auth_kat {
    const char *name;
    enum uip_integ integ;
    const char *key;
    const char *data;
    const char *icv; /* HMAC-SHA-xxx-yyy, truncated */
};

#define JEFE4    "4a656665"
#define HI_THERE "4869205468657265"
#define WHAT_DO  "7768617420646f2079612077616e7420666f72206e6f7468696e673f"
#define DD50                                                                                       \
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"                             \
    "dddddddddddddddddddddddddddddddddddd"
#define CD50                                                                                       \
    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"                             \
    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

/* RFC 4868 section 2.7.2 */
static const struct auth_kat auth_kats[] = {
    {"AUTH256-1", UIP_INTEG_HMAC_SHA2_256_128,
     "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", HI_THERE,
     "198a607eb44bfbc69903a0f1cf2bbdc5"},
    {"AUTH256-2", UIP_INTEG_HMAC_SHA2_256_128, JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4,
     WHAT_DO, "167f928588c5cc2eef8e3093caa0e87c"},
    {"AUTH256-3", UIP_INTEG_HMAC_SHA2_256_128,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", DD50,
     "cdcb1220d1ecccea91e53aba3092f962"},
    {"AUTH256-4", UIP_INTEG_HMAC_SHA2_256_128,
     "0102030405060708090a0b0c0d0e0f10 1112131415161718191a1b1c1d1e1f20", CD50,
     "372efcf9b40b35c2115b1346903d2ef4"},
    {"AUTH384-1", UIP_INTEG_HMAC_SHA2_384_192,
     "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
     "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
     HI_THERE, "b6a8d5636f5c6a7224f9977dcf7ee6c7 fb6d0c48cbdee973"},
    {"AUTH384-2", UIP_INTEG_HMAC_SHA2_384_192,
     JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4, WHAT_DO,
     "2c7353974f1842fd66d53c452ca42122 b28c0b594cfb184d"},
    {"AUTH384-3", UIP_INTEG_HMAC_SHA2_384_192,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     DD50, "809f439be00274321d4a538652164b53 554a508184a0c316"},
    {"AUTH384-4", UIP_INTEG_HMAC_SHA2_384_192,
     "0102030405060708090a0b0c0d0e0f10 1112131415161718191a1b1c1d1e1f20"
     "0a0b0c0d0e0f10111213141516171819",
     CD50, "5b540085c6e6358096532b2493609ed1 cb298f774f87bb5c"},
    {"AUTH512-1", UIP_INTEG_HMAC_SHA2_512_256,
     "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
     "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
     HI_THERE, "637edc6e01dce7e6742a99451aae82df 23da3e92439e590e43e761b33e910fb8"},
    {"AUTH512-2", UIP_INTEG_HMAC_SHA2_512_256,
     JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4 JEFE4
         JEFE4,
     WHAT_DO, "cb370917ae8a7ce28cfd1d8f4705d614 1c173b2a9362c15df235dfb251b15454"},
    {"AUTH512-3", UIP_INTEG_HMAC_SHA2_512_256,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     DD50, "2ee7acd783624ca9398710f3ee05ae41 b9f9b0510c87e49e586cc9bf961733d8"},
    /* key as corrected by RFC 4868 erratum 1785 (the RFC prints 80 bytes) */
    {"AUTH512-4", UIP_INTEG_HMAC_SHA2_512_256,
     "0102030405060708090a0b0c0d0e0f10 1112131415161718191a1b1c1d1e1f20"
     "2122232425262728292a2b2c2d2e2f30 3132333435363738393a3b3c3d3e3f40",
     CD50, "5e6688e5a3daec826ca32eaea224eff5 e700628947470e13ad01302561bab108"},
};

static const struct auth_kat *auth_kat(const char *name)
{
    for (size_t k = 0; k < G_N_ELEMENTS(auth_kats); k++)
        if (strcmp(auth_kats[k].name, name) == 0)
            return &auth_kats[k];
    g_assert_not_reached();
}

static void test_rfc4868_reference(void)
{
    for (size_t k = 0; k < G_N_ELEMENTS(auth_kats); k++) {
        const struct auth_kat *v = &auth_kats[k];
        uint8_t key[64], data[64], icv[32], out[32];
        size_t key_len = test_unhex(v->key, key, sizeof(key));
        size_t data_len = test_unhex(v->data, data, sizeof(data));
        size_t icv_len = test_unhex(v->icv, icv, sizeof(icv));

        /* RFC 4868 2.1.1: the key is as long as the hash output; 2.3: ICV half of it */
        g_assert_cmpuint(key_len, ==, 2 * icv_len);
        g_assert_cmpuint(uip_esp_keymat_len(UIP_ENCR_AES_CBC_128, v->integ), ==, 16 + key_len);
        g_assert_cmpuint(ref_icv(v->integ, key, data, data_len, 0, false, out), ==, icv_len);
        g_assert_cmpmem(out, icv_len, icv, icv_len);
        /* the ESN form appends the four high-order bytes */
        g_assert_cmpuint(data_len, >=, 4);
        g_assert_cmpuint(ref_icv(v->integ, key, data, data_len - 4,
                                 test_get_be32(data + data_len - 4), true, out),
                         ==, icv_len);
        g_assert_cmpmem(out, icv_len, icv, icv_len);
    }
}

/* ---------------------------------------------------------------------------------------------
 * AES-CBC + HMAC known answers
 */

struct cbc_kat {
    const char *name;
    enum uip_encr encr;
    const char *key;
    const char *auth; /* RFC 4868 vector whose key is the integrity key */
    uint32_t spi, seq;
    const char *iv;
    const char *pt;      /* whole payload..trailer, or NULL: built from payload */
    const char *payload; /* inner packet, padded 1 2 3 ... here */
    uint8_t next_header;
    const char *ct;
};

static const struct cbc_kat cbc_kats[] = {
    /* RFC 3602 section 4, cases 1-4: the plaintext taken as payload..trailer */
    {"RFC 3602 case 1", UIP_ENCR_AES_CBC_128, "06a9214036b8a15b512e03d534120006", "AUTH256-1",
     0x00004321, 1, "3dafba429d9eb430b422da802c9fac41",
     "53696e676c6520626c6f636b206d7367" /* "Single block msg" */, NULL, 0,
     "e353779c1079aeb82708942dbe77181a"},
    {"RFC 3602 case 2", UIP_ENCR_AES_CBC_128, "c286696d887c9aa0611bbb3e2025a45a", "AUTH384-2",
     0x12345678, 0xfffffffe, "562e17996d093d28ddb3ba695a2e6f58",
     "000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f", NULL, 0,
     "d296cd94c2cccf8a3a863028b5e1dc0a 7586602d253cfff91b8266bea6d61ab1"},
    {"RFC 3602 case 3", UIP_ENCR_AES_CBC_128, "6c3ea0477630ce21a2ce334aa746c2cd", "AUTH512-3",
     0xffffffff, 3, "c782dc4c098c66cbd9cd27d825682c81",
     /* "This is a 48-byte message (exactly 3 AES blocks)" */
     "5468697320697320612034382d627974 65206d657373616765202865786163746c"
     "7920332041455320626c6f636b7329",
     NULL, 0,
     "d0a02b3836451753d493665d33f0e886 2dea54cdb293abc7506939276772f8d5"
     "021c19216bad525c8579695d83ba2684"},
    {"RFC 3602 case 4", UIP_ENCR_AES_CBC_128, "56e47a38c5598974bc46903dba290349", "AUTH256-4",
     0x00000100, 4, "8ce82eefbea0da3c44699ed7db51b7d9",
     "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
     "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf d0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
     NULL, 0,
     "c30e32ffedc0774e6aff6af0869f71aa 0f3af07a9a31a9c684db207eb0ef8e4e"
     "35907aa632c3ffdf868bb7b29d3d46ad 83ce9f9a102ee99d49a53e87f4c3da55"},
    /* RFC 3602 section 4, cases 5-8: ESP packets (their ICV is HMAC-SHA1-96, not ours) */
    {"RFC 3602 case 5", UIP_ENCR_AES_CBC_128, "90d382b410eeba7ad938c46cec1a82bf", "AUTH512-4",
     0x00004321, 1, "e96e8c08ab465763fd098d45dd3ff893", NULL,
     "08000ebda70a00008e9c083db95b0700 08090a0b0c0d0e0f1011121314151617"
     "18191a1b1c1d1e1f2021222324252627 28292a2b2c2d2e2f3031323334353637",
     1,
     "f663c25d325c18c6a9453e194e120849 a4870b66cc6b9965330013b4898dc856"
     "a4699e523a55db080b59ec3a8e4b7e52 775b07d1db34ed9c538ab50c551b874a"
     "a269add047ad2d5913ac19b7cfbad4a6"},
    {"RFC 3602 case 6", UIP_ENCR_AES_CBC_128, "90d382b410eeba7ad938c46cec1a82bf", "AUTH384-4",
     0x00004321, 8, "69d08df7d203329db093fc4924e5bd80", NULL,
     "0800b5e8a80a0500a69c083d0b660e00 777777777777777777777777", 1,
     "f51995881ec4e0c4488987ce742e8109 689bb379d2d750c0d915dca346a89f75"},
    {"RFC 3602 case 7", UIP_ENCR_AES_CBC_128, "0123456789abcdef0123456789abcdef", "AUTH256-2",
     0x00008765, 2, "f4e765244f6407adf13dc1380f673f37", NULL,
     "45000054090400004001f988c0a87b03 c0a87bc808009f76a90a0100b49c083d"
     "02a2040008090a0b0c0d0e0f10111213 1415161718191a1b1c1d1e1f20212223"
     "2425262728292a2b2c2d2e2f30313233 34353637",
     4,
     "773b5241a4c449225e4f3ce5ed611b0c 237ca96cf74a93013c1b0ea1a0cf70f8"
     "e4ecaec78ac53aad7a0f022b859243c6 47752e94a859352b8a4d4d2decd136e5"
     "c177f132ad3fbfb2201ac9904c74ee0a 109e0ca1e4dfe9d5a100b842f1c22f0d"},
    {"RFC 3602 case 8", UIP_ENCR_AES_CBC_128, "0123456789abcdef0123456789abcdef", "AUTH384-1",
     0x00008765, 5, "85d47224b5f3dd5d2101d4ea8dffab22", NULL,
     "45000044090c00004001f990c0a87b03 c0a87bc80800d63caa0a0200c69c083d"
     "a3de0300ffffffffffffffffffffffff ffffffffffffffffffffffffffffffff"
     "ffffffff",
     4,
     "15b92683819596a8047232cc00f7048f e45318e11f8a0f62ede3c3fc61203bb5"
     "0f980a08c9843fd3a1b06d5c07ff9639 b7eb7dfb3512e5de435e7207ed971ef3"
     "d2726d9b5ef6affc6d17a0decbb13892"},
    /* NIST SP 800-38A F.2.5 CBC-AES256.Encrypt */
    {"SP 800-38A F.2.5", UIP_ENCR_AES_CBC_256,
     "603deb1015ca71be2b73aef0857d7781 1f352c073b6108d72d9810a30914dff4", "AUTH256-3", 0xc0ffee00,
     0x80000000, "000102030405060708090a0b0c0d0e0f",
     "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
     "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
     NULL, 0,
     "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b"},
    {"SP 800-38A F.2.5 (sha512)", UIP_ENCR_AES_CBC_256,
     "603deb1015ca71be2b73aef0857d7781 1f352c073b6108d72d9810a30914dff4", "AUTH512-1", 1, 1,
     "000102030405060708090a0b0c0d0e0f",
     "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
     "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
     NULL, 0,
     "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d"
     "39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b"},
};

static void run_cbc_kat(gconstpointer data)
{
    const struct cbc_kat *v = data;
    const struct auth_kat *a = auth_kat(v->auth);
    uint8_t keymat[128], iv[16], pt[BUF_MAX], ct[BUF_MAX], icv[32];
    uint8_t plain[BUF_MAX], ref[BUF_MAX], pkt_nonesn[BUF_MAX];
    size_t key_len, ikey_len, pt_len, ct_len, len, icv_len = 0;
    struct uip_esp_crypto enc, dec;

    key_len = test_unhex(v->key, keymat, sizeof(keymat));
    ikey_len = test_unhex(a->key, keymat + key_len, sizeof(keymat) - key_len);
    g_assert_cmpuint(test_unhex(v->iv, iv, sizeof(iv)), ==, 16);
    ct_len = test_unhex(v->ct, ct, sizeof(ct));

    init_ok(&enc, v->encr, a->integ, keymat, key_len + ikey_len, true);
    init_ok(&dec, v->encr, a->integ, keymat, key_len + ikey_len, false);
    g_assert_cmpuint(enc.icv_len, ==, ikey_len / 2);

    if (v->pt) {
        pt_len = test_unhex(v->pt, pt, sizeof(pt));
        test_put_be32(plain, v->spi);
        test_put_be32(plain + 4, v->seq);
        memcpy(plain + 24, pt, pt_len);
    } else {
        uint8_t payload[BUF_MAX];
        size_t payload_len = test_unhex(v->payload, payload, sizeof(payload));

        pt_len = build_plain(&enc, plain, v->spi, v->seq, payload, payload_len, v->next_header);
        g_assert_cmpuint(UIP_ESP_HDR_LEN + 16 + pt_len + enc.icv_len, ==,
                         payload_len + uip_esp_overhead(v->encr, a->integ, payload_len));
    }
    memcpy(plain + 8, iv, 16);
    g_assert_cmpuint(ct_len, ==, pt_len);
    len = 24 + pt_len + enc.icv_len;

    /* the same packet with and without ESN: same ciphertext, ICV over +4 bytes */
    for (int esn = 0; esn <= 1; esn++) {
        uint32_t seq_hi = esn ? 0x01000000u + v->seq : 0;
        g_autofree uint8_t *pkt = g_malloc(len);

        memcpy(pkt, plain, 24 + pt_len);
        g_assert_cmpint(uip_esp_seal(&enc, pkt, pt_len, seq_hi, esn), ==, 0);
        g_assert_cmpmem(pkt, 24, plain, 24);
        g_assert_cmpmem(pkt + 24, pt_len, ct, ct_len);

        /* expected ICV over SPI..trailer (+ seq-high): ciphertext from the RFC, not from us */
        memcpy(ref, plain, 24);
        memcpy(ref + 24, ct, ct_len);
        icv_len = ref_icv(a->integ, keymat + key_len, ref, 24 + ct_len, seq_hi, esn, icv);
        g_assert_cmpuint(icv_len, ==, enc.icv_len);
        g_assert_cmpmem(pkt + 24 + pt_len, icv_len, icv, icv_len);
        if (esn)
            g_assert_cmpint(memcmp(pkt + 24 + pt_len, pkt_nonesn + 24 + pt_len, icv_len), !=, 0);
        else
            memcpy(pkt_nonesn, pkt, len);

        {
            g_autofree uint8_t *o = g_memdup2(pkt, len);

            g_assert_cmpint(uip_esp_open(&dec, o, len, seq_hi, esn), ==, 0);
            g_assert_cmpmem(o, 24, plain, 24);
            g_assert_cmpmem(o + 24, pt_len, plain + 24, pt_len);
        }
        check_tamper(&dec, pkt, len, seq_hi, esn);
    }

    uip_esp_crypto_clear(&enc);
    uip_esp_crypto_clear(&dec);
}

/* A packet sealed elsewhere: ICV from the reference, ciphertext from the RFC. */
static void test_cbc_open_foreign(void)
{
    const struct cbc_kat *v = &cbc_kats[4]; /* RFC 3602 case 5 */
    const struct auth_kat *a = auth_kat(v->auth);
    uint8_t keymat[128], pkt[BUF_MAX], payload[BUF_MAX];
    size_t key_len, ikey_len, ct_len, payload_len, len;
    struct uip_esp_crypto dec;

    key_len = test_unhex(v->key, keymat, sizeof(keymat));
    ikey_len = test_unhex(a->key, keymat + key_len, sizeof(keymat) - key_len);
    init_ok(&dec, v->encr, a->integ, keymat, key_len + ikey_len, false);

    test_put_be32(pkt, v->spi);
    test_put_be32(pkt + 4, v->seq);
    test_unhex(v->iv, pkt + 8, 16);
    ct_len = test_unhex(v->ct, pkt + 24, sizeof(pkt) - 24);
    len = 24 + ct_len;
    len += ref_icv(a->integ, keymat + key_len, pkt, len, 7, true, pkt + len);

    g_assert_cmpint(open_copy(&dec, pkt, len, 6, true), ==, -EBADMSG);
    g_assert_cmpint(uip_esp_open(&dec, pkt, len, 7, true), ==, 0);
    payload_len = test_unhex(v->payload, payload, sizeof(payload));
    g_assert_cmpmem(pkt + 24, payload_len, payload, payload_len);
    /* padding 1..14, pad length 14, next header 1 (ICMP) */
    for (size_t i = 0; i < 14; i++)
        g_assert_cmpuint(pkt[24 + payload_len + i], ==, i + 1);
    g_assert_cmpuint(pkt[24 + ct_len - 2], ==, 14);
    g_assert_cmpuint(pkt[24 + ct_len - 1], ==, 1);
    uip_esp_crypto_clear(&dec);
}

/* ---------------------------------------------------------------------------------------------
 * Properties over every transform
 */

static void test_roundtrip(void)
{
    static const size_t lens[] = {0,    1,    2,    3,    4,    5,    13,   14,   15,   16,
                                  17,   31,   40,   63,   64,   65,   127,  255,  256,  1000,
                                  1279, 1280, 1357, 1358, 1359, 1399, 1400, 1401, 1499, 1500};

    for (size_t p = 0; p < G_N_ELEMENTS(valid_pairs); p++) {
        const struct pair *pr = &valid_pairs[p];
        struct uip_esp_crypto enc, dec, other;
        uint64_t seq = 0xfffffff0u;

        init_random(&enc, &dec, pr);
        {
            /* a decryptor with another key */
            uint8_t km[128];

            test_random_bytes(km, sizeof(km));
            init_ok(&other, pr->encr, pr->integ, km, uip_esp_keymat_len(pr->encr, pr->integ),
                    false);
        }

        for (size_t k = 0; k < G_N_ELEMENTS(lens); k++) {
            for (int esn = 0; esn <= 1; esn++) {
                size_t inner_len = lens[k], pt_len, len;
                uint32_t seq_hi = esn ? (uint32_t)(seq >> 32) : 0;
                uint8_t inner[BUF_MAX];
                g_autofree uint8_t *pkt = NULL;
                g_autofree uint8_t *copy = NULL;

                seq++;
                test_random_bytes(inner, inner_len);
                len = inner_len + uip_esp_overhead(pr->encr, pr->integ, inner_len);
                /* exactly the packet: ASan catches writes past the ICV */
                pkt = g_malloc(len);
                pt_len = build_plain(&enc, pkt, 0xabcdef01, (uint32_t)seq, inner, inner_len, 41);
                g_assert_cmpuint(UIP_ESP_HDR_LEN + enc.iv_len + pt_len + enc.icv_len, ==, len);
                g_assert_cmpint(uip_esp_crypto_make_iv(&enc, seq, pkt + UIP_ESP_HDR_LEN), ==, 0);
                g_assert_cmpint(uip_esp_seal(&enc, pkt, pt_len, seq_hi, esn), ==, 0);
                g_assert_cmpuint(test_get_be32(pkt), ==, 0xabcdef01);
                g_assert_cmpuint(test_get_be32(pkt + 4), ==, (uint32_t)seq);
                if (inner_len >= 16)
                    g_assert_cmpint(memcmp(pkt + UIP_ESP_HDR_LEN + enc.iv_len, inner, 16), !=, 0);

                copy = g_memdup2(pkt, len);
                g_assert_cmpint(uip_esp_open(&other, copy, len, seq_hi, esn), ==, -EBADMSG);
                memcpy(copy, pkt, len);
                g_assert_cmpint(uip_esp_open(&dec, copy, len, seq_hi, esn), ==, 0);
                g_assert_cmpmem(copy + UIP_ESP_HDR_LEN + enc.iv_len, inner_len, inner, inner_len);
                g_assert_cmpuint(copy[len - enc.icv_len - 1], ==, 41);
                g_assert_cmpuint(copy[len - enc.icv_len - 2], ==,
                                 pt_len - inner_len - UIP_ESP_TRAILER_LEN);
            }
        }
        uip_esp_crypto_clear(&enc);
        uip_esp_crypto_clear(&dec);
        uip_esp_crypto_clear(&other);
    }
}

/* ESN: the high-order bits are authenticated but never sent. */
static void test_esn(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(valid_pairs); p++) {
        struct uip_esp_crypto enc, dec;
        uint8_t inner[100], hi1[BUF_MAX], hi0[BUF_MAX], off[BUF_MAX];
        size_t pt_len, len;

        init_random(&enc, &dec, &valid_pairs[p]);
        test_random_bytes(inner, sizeof(inner));
        pt_len = build_plain(&enc, hi1, 0x1001, 0x00000007, inner, sizeof(inner), 4);
        test_random_bytes(hi1 + UIP_ESP_HDR_LEN, enc.iv_len); /* same IV for all three */
        len = UIP_ESP_HDR_LEN + enc.iv_len + pt_len + enc.icv_len;
        memcpy(hi0, hi1, len);
        memcpy(off, hi1, len);

        g_assert_cmpint(uip_esp_seal(&enc, hi1, pt_len, 1, true), ==, 0);
        g_assert_cmpint(uip_esp_seal(&enc, hi0, pt_len, 0, true), ==, 0);
        g_assert_cmpint(uip_esp_seal(&enc, off, pt_len, 0, false), ==, 0);

        /* same length and bytes up to the ICV (nothing of seq-high on the wire) */
        g_assert_cmpuint(len, ==, sizeof(inner) + uip_esp_overhead(enc.encr, enc.integ, 100));
        g_assert_cmpmem(hi1, len - enc.icv_len, hi0, len - enc.icv_len);
        g_assert_cmpmem(hi1, len - enc.icv_len, off, len - enc.icv_len);
        g_assert_cmpuint(test_get_be32(hi1 + 4), ==, 7);
        /* the ICVs differ */
        g_assert_cmpint(memcmp(hi1 + len - enc.icv_len, hi0 + len - enc.icv_len, enc.icv_len), !=,
                        0);
        g_assert_cmpint(memcmp(hi0 + len - enc.icv_len, off + len - enc.icv_len, enc.icv_len), !=,
                        0);

        g_assert_cmpint(open_copy(&dec, hi1, len, 0, true), ==, -EBADMSG);
        g_assert_cmpint(open_copy(&dec, hi1, len, 2, true), ==, -EBADMSG);
        g_assert_cmpint(open_copy(&dec, hi1, len, 1, false), ==, -EBADMSG);
        g_assert_cmpint(open_copy(&dec, hi1, len, 1, true), ==, 0);
        g_assert_cmpint(open_copy(&dec, hi0, len, 0, false), ==, -EBADMSG);
        g_assert_cmpint(open_copy(&dec, hi0, len, 0, true), ==, 0);
        g_assert_cmpint(open_copy(&dec, off, len, 0, true), ==, -EBADMSG);
        /* without ESN the argument is ignored */
        g_assert_cmpint(open_copy(&dec, off, len, 0, false), ==, 0);
        g_assert_cmpint(open_copy(&dec, off, len, 0xdeadbeef, false), ==, 0);

        uip_esp_crypto_clear(&enc);
        uip_esp_crypto_clear(&dec);
    }
}

static void test_make_iv(void)
{
    for (size_t p = 0; p < G_N_ELEMENTS(valid_pairs); p++) {
        g_autoptr(GHashTable) seen =
            g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
        struct uip_esp_crypto c;
        uint8_t iv[UIP_ESP_MAX_IV_LEN + 4];

        init_random(&c, NULL, &valid_pairs[p]);
        if (c.aead) {
            static const uint8_t want[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

            memset(iv, 0xee, sizeof(iv));
            g_assert_cmpint(uip_esp_crypto_make_iv(&c, 0x0102030405060708ull, iv), ==, 0);
            g_assert_cmpmem(iv, 8, want, 8);
            g_assert_cmpuint(iv[8], ==, 0xee); /* exactly iv_len bytes */
            g_assert_cmpint(uip_esp_crypto_make_iv(&c, 0, iv), ==, 0);
            g_assert_true(all_zero(iv, 8));
        }
        /* unique across consecutive sequence numbers, 32-bit wrap and ESN included */
        for (uint64_t s = 0xffffe000u; s < 0x100002000ull; s++) {
            GBytes *b;

            g_assert_cmpint(uip_esp_crypto_make_iv(&c, s, iv), ==, 0);
            b = g_bytes_new(iv, c.iv_len);
            g_assert_false(g_hash_table_contains(seen, b));
            g_hash_table_add(seen, b);
        }
        if (!c.aead) {
            /* 16 unpredictable bytes: not the sequence number, not constant */
            g_assert_cmpint(uip_esp_crypto_make_iv(&c, 5, iv), ==, 0);
            g_assert_false(all_zero(iv, 8) && iv[15] == 5);
        }
        uip_esp_crypto_clear(&c);
    }
}

static void test_misuse(void)
{
    struct uip_esp_crypto zero = {0}, enc, dec;
    uint8_t buf[BUF_MAX] = {0};

    /* a zeroed (cleared or failed) context does nothing */
    g_assert_cmpint(uip_esp_seal(&zero, buf, 16, 0, false), ==, -EINVAL);
    g_assert_cmpint(uip_esp_open(&zero, buf, 64, 0, false), ==, -EINVAL);
    g_assert_cmpint(uip_esp_crypto_make_iv(&zero, 1, buf), ==, -EIO);
    uip_esp_crypto_clear(&zero);
    uip_esp_crypto_clear(&zero);
    uip_esp_crypto_clear(NULL);
    g_assert_true(all_zero(&zero, sizeof(zero)));

    for (size_t p = 0; p < G_N_ELEMENTS(valid_pairs); p++) {
        init_random(&enc, &dec, &valid_pairs[p]);
        /* each context works in the one direction it was keyed for */
        g_assert_cmpint(uip_esp_seal(&dec, buf, 16, 0, false), ==, -EINVAL);
        g_assert_cmpint(uip_esp_open(&enc, buf, 8 + enc.iv_len + 16 + enc.icv_len, 0, false), ==,
                        -EINVAL);
        /* payload..trailer must be a positive multiple of the alignment */
        for (size_t l = 0; l <= 64; l++) {
            int r = uip_esp_seal(&enc, buf, l, 0, false);

            if (l >= UIP_ESP_TRAILER_LEN && l % enc.align == 0)
                g_assert_cmpint(r, ==, 0);
            else
                g_assert_cmpint(r, ==, -EINVAL);
        }
        uip_esp_crypto_clear(&enc);
        uip_esp_crypto_clear(&dec);
        g_assert_true(all_zero(&enc, sizeof(enc)));
        g_assert_true(all_zero(&dec, sizeof(dec)));
    }
}

/*
 * Every allocation failure inside init: an error code and a zeroed struct, or
 * (where OpenSSL recovers by itself, e.g. a name-cache miss in a fetch) a
 * working context; never a half-built one, never a leak (ASan build).
 */
static void test_init_failures(void)
{
    int n_enomem = 0, n_eio = 0;

    g_assert_true(test_mem_hooks_installed());
    for (size_t p = 0; p < G_N_ELEMENTS(valid_pairs); p++) {
        const struct pair *pr = &valid_pairs[p];
        uint8_t keymat[128];
        size_t len = uip_esp_keymat_len(pr->encr, pr->integ);
        struct uip_esp_crypto c;
        bool completed = false;

        test_random_bytes(keymat, len);
        /* once for real: provider loading and algorithm caches are not under test */
        init_ok(&c, pr->encr, pr->integ, keymat, len, true);
        uip_esp_crypto_clear(&c);

        for (int n = 1; n < 500 && !completed; n++) {
            int r;

            test_mem_fail_after(n);
            memset(&c, 0xa5, sizeof(c));
            r = uip_esp_crypto_init(&c, pr->encr, pr->integ, keymat, len, n & 1);
            /* fewer than n allocations: this run saw no failure, and all later ones won't */
            completed = test_mem_fail_cancel();
            if (r == 0) {
                g_assert_nonnull(c.cipher);
                g_assert_true(c.aead ? c.mac == NULL : c.mac != NULL);
                g_assert_cmpint(c.encrypt, ==, n & 1);
                uip_esp_crypto_clear(&c);
            } else {
                g_assert_false(completed);
                g_assert_true(r == -ENOMEM || r == -EIO);
                g_assert_true(all_zero(&c, sizeof(c)));
                n_enomem += r == -ENOMEM;
                n_eio += r == -EIO;
            }
            ERR_clear_error();
        }
        g_assert_true(completed);
    }
    /* both kinds of failure were reached */
    g_assert_cmpint(n_enomem, >, 0);
    g_assert_cmpint(n_eio, >, 0);
}

/*
 * Steady state: no allocation per packet.  AEAD is allocation-free; HMAC in
 * OpenSSL before 3.5 duplicates a digest context in HMAC_Init_ex and
 * HMAC_Final (EVP_MD_CTX_copy_ex -> dupctx), two malloc/free pairs per ICV,
 * which no public non-deprecated API avoids there.  Bound that, and prove
 * nothing accumulates.
 */
static void test_no_alloc_per_packet(void)
{
    g_assert_true(test_mem_hooks_installed());
    for (size_t p = 0; p < G_N_ELEMENTS(valid_pairs); p++) {
        struct uip_esp_crypto enc, dec;
        uint8_t inner[1400], pkt[BUF_MAX], work[BUF_MAX];
        const int n = 200;
        int seal_allocs = 0, open_allocs = 0, allocs_before = 0, frees_before = 0;
        int allocs_after, frees_after;

        init_random(&enc, &dec, &valid_pairs[p]);
        test_random_bytes(inner, sizeof(inner));
        for (int k = 0; k < 16 + n; k++) {
            size_t pt_len, len;
            int a0, a1, a2;

            if (k == 16)
                test_mem_counts(&allocs_before, &frees_before);
            pt_len = build_plain(&enc, pkt, 9, (uint32_t)k, inner, (size_t)(k * 7) % 1400, 4);
            len = UIP_ESP_HDR_LEN + enc.iv_len + pt_len + enc.icv_len;

            test_mem_counts(&a0, NULL);
            g_assert_cmpint(uip_esp_crypto_make_iv(&enc, (uint64_t)k + 1, pkt + 8), ==, 0);
            g_assert_cmpint(uip_esp_seal(&enc, pkt, pt_len, 3, k & 1), ==, 0);
            test_mem_counts(&a1, NULL);
            memcpy(work, pkt, len);
            g_assert_cmpint(uip_esp_open(&dec, work, len, 3, k & 1), ==, 0);
            memcpy(work, pkt, len);
            work[len - 1] ^= 1;
            g_assert_cmpint(uip_esp_open(&dec, work, len, 3, k & 1), ==, -EBADMSG);
            test_mem_counts(&a2, NULL);
            if (k >= 16) {
                seal_allocs += a1 - a0;
                open_allocs += a2 - a1;
            }
        }
        g_test_message("%s/%s: %d allocations in %d seals, %d in %d opens", uip_encr_name(enc.encr),
                       uip_integ_name(enc.integ), seal_allocs, n, open_allocs, 2 * n);
        if (enc.aead) {
            g_assert_cmpint(seal_allocs, ==, 0);
            g_assert_cmpint(open_allocs, ==, 0);
        } else {
            g_assert_cmpint(seal_allocs, <=, 2 * n);
            g_assert_cmpint(open_allocs, <=, 2 * 2 * n);
        }
        /* whatever OpenSSL allocated inside the loop, it also freed */
        test_mem_counts(&allocs_after, &frees_after);
        g_assert_cmpint(allocs_after - allocs_before, ==, frees_after - frees_before);
        uip_esp_crypto_clear(&enc);
        uip_esp_crypto_clear(&dec);
    }
}

int main(int argc, char **argv)
{
    /* Before OpenSSL's first allocation, or it refuses. */
    test_mem_hooks_install();

    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/esp-crypto/names", test_names);
    g_test_add_func("/esp-crypto/keymat-len", test_keymat_len);
    g_test_add_func("/esp-crypto/overhead", test_overhead);
    for (size_t k = 0; k < G_N_ELEMENTS(aead_kats); k++) {
        g_autofree char *path = g_strdup_printf("/esp-crypto/kat/aead/%s", aead_kats[k].name);
        g_test_add_data_func(path, &aead_kats[k], run_aead_kat);
    }
    g_test_add_func("/esp-crypto/kat/rfc4868-reference", test_rfc4868_reference);
    for (size_t k = 0; k < G_N_ELEMENTS(cbc_kats); k++) {
        g_autofree char *path = g_strdup_printf("/esp-crypto/kat/cbc/%s", cbc_kats[k].name);
        g_test_add_data_func(path, &cbc_kats[k], run_cbc_kat);
    }
    g_test_add_func("/esp-crypto/kat/cbc-open-foreign", test_cbc_open_foreign);
    g_test_add_func("/esp-crypto/roundtrip", test_roundtrip);
    g_test_add_func("/esp-crypto/esn", test_esn);
    g_test_add_func("/esp-crypto/make-iv", test_make_iv);
    g_test_add_func("/esp-crypto/misuse", test_misuse);
    g_test_add_func("/esp-crypto/init-failures", test_init_failures);
    g_test_add_func("/esp-crypto/no-alloc-per-packet", test_no_alloc_per_packet);

    return g_test_run();
}
