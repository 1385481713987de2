/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for src/ike/dh.c: IKEv2 key exchange through OpenSSL EVP_PKEY.
 *
 * Vectors (numbers only, transcribed from the published documents):
 *   RFC 7748 section 6.1: X25519 Alice/Bob private keys, public keys and K
 *   RFC 5903 section 8.1: 256-bit random ECP group, i / gix,giy / r / grx,gry / girx
 *   RFC 3526 section 3: the 2048-bit MODP prime (whole), and the first and
 *     last words of the 3072-bit (section 4) and 4096-bit (section 5) primes
 *
 * Properties: every group agrees between two local parties with exact
 * lengths; every malformed peer value (wrong length, point off the curve,
 * y outside 1 < y < p-1 or outside the prime-order subgroup, X25519 points
 * giving an all-zero secret) is -EBADMSG with the out-parameters untouched;
 * OpenSSL allocation failures give an error, never a crash or a leak.
 */
#include "ike/dh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/uip-secret.h"
#include "ike/ike-types.h"

#include "test-util.h"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 */

static void assert_mem(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    g_assert_cmpmem(got, got_len, want, want_len);
}

struct group_case {
    uint16_t id;
    const char *name;
    size_t pub_len;
    size_t sec_len;
};

static const struct group_case all_groups[] = {
    {IKE_KE_CURVE25519, "curve25519", 32, 32}, {IKE_KE_ECP256, "ecp256", 64, 32},
    {IKE_KE_ECP384, "ecp384", 96, 48},         {IKE_KE_MODP2048, "modp2048", 256, 256},
    {IKE_KE_MODP3072, "modp3072", 384, 384},   {IKE_KE_MODP4096, "modp4096", 512, 512},
};

static struct ike_dh *new_ok(uint16_t group)
{
    struct ike_dh *dh = NULL;

    g_assert_cmpint(ike_dh_new(group, &dh), ==, 0);
    g_assert_nonnull(dh);
    g_assert_cmpuint(ike_dh_group(dh), ==, group);
    return dh;
}

static void public_of(const struct ike_dh *dh, const uint8_t **pub, size_t *len)
{
    g_assert_cmpint(ike_dh_public(dh, pub, len), ==, 0);
}

/* ike_dh_compute() must refuse @peer with -EBADMSG and leave the out-parameters alone. */
static void expect_bad_peer(struct ike_dh *dh, const uint8_t *peer, size_t len)
{
    uint8_t *secret = (uint8_t *)&secret;
    size_t secret_len = 12345;

    g_assert_cmpint(ike_dh_compute(dh, peer, len, &secret, &secret_len), ==, -EBADMSG);
    g_assert_true(secret == (uint8_t *)&secret);
    g_assert_cmpuint(secret_len, ==, 12345);
}

/* The prime OpenSSL uses for a named DH group, big-endian, @len bytes. */
static void openssl_prime(const char *group_name, uint8_t *out, size_t len)
{
    OSSL_PARAM params[2];
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key = NULL;
    BIGNUM *p = NULL;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    g_assert_nonnull(ctx);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group_name, 0);
    params[1] = OSSL_PARAM_construct_end();
    g_assert_cmpint(EVP_PKEY_paramgen_init(ctx), ==, 1);
    g_assert_cmpint(EVP_PKEY_CTX_set_params(ctx, params), ==, 1);
    g_assert_cmpint(EVP_PKEY_paramgen(ctx, &key), ==, 1);
    g_assert_cmpint(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &p), ==, 1);
    g_assert_cmpint(BN_bn2binpad(p, out, (int)len), ==, (int)len);
    BN_free(p);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
}

static const char *modp_name(uint16_t group)
{
    switch (group) {
    case IKE_KE_MODP2048:
        return "modp_2048";
    case IKE_KE_MODP3072:
        return "modp_3072";
    default:
        return "modp_4096";
    }
}

/* Big-endian @v +/- a small @delta, in place (no wrap expected). */
static void be_add(uint8_t *v, size_t len, int delta)
{
    while (delta > 0) {
        for (size_t i = len; i-- > 0;)
            if (++v[i] != 0)
                break;
        delta--;
    }
    while (delta < 0) {
        for (size_t i = len; i-- > 0;)
            if (v[i]-- != 0)
                break;
        delta++;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Tables and lengths
 */

static void test_lengths(void)
{
    static const uint16_t unsupported[] = {0, 1, 2, 5, 18, 21, 22, 24, 32};

    for (size_t k = 0; k < G_N_ELEMENTS(all_groups); k++) {
        const struct group_case *g = &all_groups[k];

        g_assert_true(ike_dh_supported(g->id));
        g_assert_cmpuint(ike_dh_public_len(g->id), ==, g->pub_len);
        g_assert_cmpuint(ike_dh_secret_len(g->id), ==, g->sec_len);
        g_assert_cmpuint(ike_dh_public_len(g->id), <=, IKE_DH_MAX_PUBLIC_LEN);
    }
    for (size_t k = 0; k < G_N_ELEMENTS(unsupported); k++) {
        struct ike_dh *dh = (struct ike_dh *)&dh;

        g_assert_false(ike_dh_supported(unsupported[k]));
        g_assert_cmpuint(ike_dh_public_len(unsupported[k]), ==, 0);
        g_assert_cmpuint(ike_dh_secret_len(unsupported[k]), ==, 0);
        g_assert_cmpint(ike_dh_new(unsupported[k], &dh), ==, -EOPNOTSUPP);
        g_assert_true(dh == (struct ike_dh *)&dh);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Two local parties agree, for every group
 */

static void run_agree(gconstpointer data)
{
    const struct group_case *g = data;
    struct ike_dh *a = new_ok(g->id), *b = new_ok(g->id), *c = new_ok(g->id);
    const uint8_t *pa, *pb, *pc;
    size_t la, lb, lc;
    uint8_t *sa = NULL, *sb = NULL, *sc = NULL, *sa2 = NULL;
    size_t lsa = 0, lsb = 0, lsc = 0, lsa2 = 0;

    public_of(a, &pa, &la);
    public_of(b, &pb, &lb);
    public_of(c, &pc, &lc);
    g_assert_cmpuint(la, ==, g->pub_len);
    g_assert_cmpuint(lb, ==, g->pub_len);
    g_assert_cmpuint(lc, ==, g->pub_len);
    g_assert_true(memcmp(pa, pb, la) != 0);

    g_assert_cmpint(ike_dh_compute(a, pb, lb, &sa, &lsa), ==, 0);
    g_assert_cmpint(ike_dh_compute(b, pa, la, &sb, &lsb), ==, 0);
    g_assert_cmpuint(lsa, ==, g->sec_len);
    assert_mem(sa, lsa, sb, lsb);

    /* the key can be used again (e.g. a retransmitted KE) and gives the same g^ir */
    g_assert_cmpint(ike_dh_compute(a, pb, lb, &sa2, &lsa2), ==, 0);
    assert_mem(sa, lsa, sa2, lsa2);

    /* another peer, another secret */
    g_assert_cmpint(ike_dh_compute(a, pc, lc, &sc, &lsc), ==, 0);
    g_assert_cmpuint(lsc, ==, g->sec_len);
    g_assert_true(memcmp(sa, sc, lsa) != 0);

    uip_free_secret(sa, lsa);
    uip_free_secret(sa2, lsa2);
    uip_free_secret(sb, lsb);
    uip_free_secret(sc, lsc);
    ike_dh_free(a);
    ike_dh_free(b);
    ike_dh_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Known answers
 */

/* RFC 7748 section 6.1 */
#define X25519_A     "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define X25519_A_PUB "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define X25519_B     "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define X25519_B_PUB "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define X25519_K     "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

/* RFC 5903 section 8.1 */
#define P256_I    "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433"
#define P256_GIX  "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180"
#define P256_GIY  "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3"
#define P256_R    "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53"
#define P256_GRX  "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63"
#define P256_GRY  "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB"
#define P256_GIRX "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE"

struct kat {
    const char *name;
    uint16_t group;
    const char *priv_i, *pub_i, *priv_r, *pub_r, *secret;
};

static const struct kat kats[] = {
    {"x25519-rfc7748-6.1", IKE_KE_CURVE25519, X25519_A, X25519_A_PUB, X25519_B, X25519_B_PUB,
     X25519_K},
    /* RFC 5903 7: the KE payload carries gix || giy; the secret is girx */
    {"ecp256-rfc5903-8.1", IKE_KE_ECP256, P256_I, P256_GIX P256_GIY, P256_R, P256_GRX P256_GRY,
     P256_GIRX},
};

static void run_kat(gconstpointer data)
{
    const struct kat *v = data;
    uint8_t priv_i[64], pub_i[128], priv_r[64], pub_r[128], want[64];
    size_t l_priv_i = test_unhex(v->priv_i, priv_i, sizeof(priv_i));
    size_t l_pub_i = test_unhex(v->pub_i, pub_i, sizeof(pub_i));
    size_t l_priv_r = test_unhex(v->priv_r, priv_r, sizeof(priv_r));
    size_t l_pub_r = test_unhex(v->pub_r, pub_r, sizeof(pub_r));
    size_t l_want = test_unhex(v->secret, want, sizeof(want));
    struct ike_dh *i = NULL, *r = NULL;
    const uint8_t *pub;
    size_t pub_len;
    uint8_t *s_i = NULL, *s_r = NULL;
    size_t l_s_i = 0, l_s_r = 0;

    g_assert_cmpuint(l_pub_i, ==, ike_dh_public_len(v->group));
    g_assert_cmpuint(l_want, ==, ike_dh_secret_len(v->group));

    g_assert_cmpint(ike_dh_new_from_private(v->group, priv_i, l_priv_i, &i), ==, 0);
    g_assert_cmpint(ike_dh_new_from_private(v->group, priv_r, l_priv_r, &r), ==, 0);
    public_of(i, &pub, &pub_len);
    assert_mem(pub, pub_len, pub_i, l_pub_i);
    public_of(r, &pub, &pub_len);
    assert_mem(pub, pub_len, pub_r, l_pub_r);

    g_assert_cmpint(ike_dh_compute(i, pub_r, l_pub_r, &s_i, &l_s_i), ==, 0);
    g_assert_cmpint(ike_dh_compute(r, pub_i, l_pub_i, &s_r, &l_s_r), ==, 0);
    assert_mem(s_i, l_s_i, want, l_want);
    assert_mem(s_r, l_s_r, want, l_want);

    uip_free_secret(s_i, l_s_i);
    uip_free_secret(s_r, l_s_r);
    ike_dh_free(i);
    ike_dh_free(r);
}

/* RFC 3526 section 3 */
#define MODP2048_P                                                                                 \
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"                                        \
    "29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"                                        \
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245"                                        \
    "E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"                                        \
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D"                                        \
    "C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F"                                        \
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D"                                        \
    "670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"                                        \
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9"                                        \
    "DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"                                        \
    "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF"
/* all RFC 3526 primes start like this (2^64 - 1, then pi); RFC 7919 ffdhe primes do not */
#define MODP_HEAD     "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1"
#define MODP3072_TAIL "43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF" /* section 4 */
#define MODP4096_TAIL "86FFB7DC 90A6C08F 4DF435C9 34063199 FFFFFFFF FFFFFFFF" /* section 5 */

/* The groups are IKE's RFC 3526 MODP groups, not TLS's RFC 7919 ffdhe groups. */
static void test_modp_primes(void)
{
    uint8_t p[512], want[512], head[32], tail[32];
    size_t l_want = test_unhex(MODP2048_P, want, sizeof(want));
    size_t l_head = test_unhex(MODP_HEAD, head, sizeof(head));
    size_t l_tail;

    openssl_prime("modp_2048", p, 256);
    assert_mem(p, 256, want, l_want);

    openssl_prime("modp_3072", p, 384);
    g_assert_cmpmem(p, l_head, head, l_head);
    l_tail = test_unhex(MODP3072_TAIL, tail, sizeof(tail));
    g_assert_cmpmem(p + 384 - l_tail, l_tail, tail, l_tail);

    openssl_prime("modp_4096", p, 512);
    g_assert_cmpmem(p, l_head, head, l_head);
    l_tail = test_unhex(MODP4096_TAIL, tail, sizeof(tail));
    g_assert_cmpmem(p + 512 - l_tail, l_tail, tail, l_tail);
}

/* ---------------------------------------------------------------------------------------------
 * Invalid peer values
 */

static void test_invalid_length(void)
{
    uint8_t buf[IKE_DH_MAX_PUBLIC_LEN + 2];

    for (size_t k = 0; k < G_N_ELEMENTS(all_groups); k++) {
        const struct group_case *g = &all_groups[k];
        struct ike_dh *a = new_ok(g->id), *b = new_ok(g->id);
        const uint8_t *pb;
        size_t lb;

        public_of(b, &pb, &lb);
        memset(buf, 0, sizeof(buf));
        memcpy(buf, pb, lb);
        expect_bad_peer(a, buf, lb - 1);
        expect_bad_peer(a, buf, lb + 1);
        expect_bad_peer(a, buf, 0);
        /* a 0x04-prefixed SEC 1 point is one byte too long for RFC 5903 */
        if (g->id == IKE_KE_ECP256 || g->id == IKE_KE_ECP384) {
            buf[0] = 0x04;
            memcpy(buf + 1, pb, lb);
            expect_bad_peer(a, buf, lb + 1);
        }
        ike_dh_free(a);
        ike_dh_free(b);
    }
}

static void test_invalid_ecp(void)
{
    static const uint16_t ecp[] = {IKE_KE_ECP256, IKE_KE_ECP384};

    for (size_t k = 0; k < G_N_ELEMENTS(ecp); k++) {
        struct ike_dh *a = new_ok(ecp[k]), *b = new_ok(ecp[k]);
        size_t n = ike_dh_public_len(ecp[k]), f = n / 2;
        uint8_t peer[IKE_DH_MAX_PUBLIC_LEN];
        const uint8_t *pb;
        size_t lb;
        uint8_t *s = NULL;
        size_t ls = 0;

        public_of(b, &pb, &lb);

        /* y off by one bit, and x off by one bit: not on the curve */
        memcpy(peer, pb, n);
        peer[n - 1] ^= 1;
        expect_bad_peer(a, peer, n);
        memcpy(peer, pb, n);
        peer[f - 1] ^= 1;
        expect_bad_peer(a, peer, n);
        /* (0, 0): not on the curve (nor the point at infinity, which has no x || y form) */
        memset(peer, 0, n);
        expect_bad_peer(a, peer, n);
        /* coordinates >= p */
        memset(peer, 0xff, n);
        expect_bad_peer(a, peer, n);

        /* the unmodified point is fine, so the refusals above were about the point */
        g_assert_cmpint(ike_dh_compute(a, pb, lb, &s, &ls), ==, 0);
        uip_free_secret(s, ls);
        ike_dh_free(a);
        ike_dh_free(b);
    }
}

static void test_invalid_modp(void)
{
    static const uint16_t modp[] = {IKE_KE_MODP2048, IKE_KE_MODP3072, IKE_KE_MODP4096};

    for (size_t k = 0; k < G_N_ELEMENTS(modp); k++) {
        size_t n = ike_dh_public_len(modp[k]);
        struct ike_dh *a = new_ok(modp[k]);
        uint8_t p[IKE_DH_MAX_PUBLIC_LEN], y[IKE_DH_MAX_PUBLIC_LEN];
        uint8_t *s = NULL;
        size_t ls = 0;

        openssl_prime(modp_name(modp[k]), p, n);

        memset(y, 0, n); /* y = 0 */
        expect_bad_peer(a, y, n);
        y[n - 1] = 1; /* y = 1 */
        expect_bad_peer(a, y, n);
        memcpy(y, p, n);
        be_add(y, n, -1); /* y = p - 1 */
        expect_bad_peer(a, y, n);
        memcpy(y, p, n); /* y = p */
        expect_bad_peer(a, y, n);
        be_add(y, n, 1); /* y = p + 1 */
        expect_bad_peer(a, y, n);
        memset(y, 0xff, n); /* y = 2^(8n) - 1 > p */
        expect_bad_peer(a, y, n);
        /*
         * y = p - 2 = -2 mod p is in range but not in the order-q subgroup: p = 7 mod 8
         * and p = 3 mod 4 make 2 a quadratic residue and -1 a non-residue, so -2 is
         * not a square (RFC 3526 primes are 2^64 - 1 in their low bits).
         */
        memcpy(y, p, n);
        be_add(y, n, -2);
        expect_bad_peer(a, y, n);

        /* y = 2 = g is a valid public value (of private key 1) */
        memset(y, 0, n);
        y[n - 1] = 2;
        g_assert_cmpint(ike_dh_compute(a, y, n, &s, &ls), ==, 0);
        g_assert_cmpuint(ls, ==, n);
        uip_free_secret(s, ls);
        ike_dh_free(a);
    }
}

static void test_invalid_x25519(void)
{
    /* u-coordinates (little-endian) whose X25519 with any clamped scalar is 0 */
    static const char *const small_order[] = {
        "0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
        "0100000000000000000000000000000000000000000000000000000000000000", /* 1 */
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p = 0 */
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1 = 1 */
    };
    struct ike_dh *a = new_ok(IKE_KE_CURVE25519);
    uint8_t u[32];

    for (size_t k = 0; k < G_N_ELEMENTS(small_order); k++) {
        g_assert_cmpuint(test_unhex(small_order[k], u, sizeof(u)), ==, 32);
        expect_bad_peer(a, u, sizeof(u));
    }
    ike_dh_free(a);
}

/* ---------------------------------------------------------------------------------------------
 * Misuse
 */

static void test_misuse(void)
{
    uint8_t priv[64], p256_n[32];
    struct ike_dh *dh = new_ok(IKE_KE_CURVE25519);
    struct ike_dh *out = (struct ike_dh *)&out;
    const uint8_t *pub = (const uint8_t *)&pub;
    size_t len = 777;
    uint8_t *secret = (uint8_t *)&secret;

    g_assert_cmpint(ike_dh_new(IKE_KE_CURVE25519, NULL), ==, -EINVAL);
    g_assert_cmpint(ike_dh_public(NULL, &pub, &len), ==, -EINVAL);
    g_assert_cmpint(ike_dh_public(dh, NULL, &len), ==, -EINVAL);
    g_assert_cmpint(ike_dh_public(dh, &pub, NULL), ==, -EINVAL);
    g_assert_true(pub == (const uint8_t *)&pub);
    g_assert_cmpuint(len, ==, 777);
    g_assert_cmpint(ike_dh_compute(NULL, priv, 32, &secret, &len), ==, -EINVAL);
    g_assert_cmpint(ike_dh_compute(dh, NULL, 32, &secret, &len), ==, -EINVAL);
    g_assert_cmpint(ike_dh_compute(dh, priv, 32, NULL, &len), ==, -EINVAL);
    g_assert_cmpint(ike_dh_compute(dh, priv, 32, &secret, NULL), ==, -EINVAL);
    g_assert_true(secret == (uint8_t *)&secret);
    g_assert_cmpuint(ike_dh_group(NULL), ==, IKE_KE_NONE);
    ike_dh_free(NULL);

    memset(priv, 0x42, sizeof(priv));
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_MODP2048, priv, 32, &out), ==, -EOPNOTSUPP);
    g_assert_cmpint(ike_dh_new_from_private(7, priv, 32, &out), ==, -EOPNOTSUPP);
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_CURVE25519, priv, 31, &out), ==, -EINVAL);
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_ECP256, priv, 33, &out), ==, -EINVAL);
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_ECP384, priv, 32, &out), ==, -EINVAL);
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_ECP256, NULL, 32, &out), ==, -EINVAL);
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_ECP256, priv, 32, NULL), ==, -EINVAL);
    /* ECP scalars must be in [1, n-1] */
    memset(priv, 0, 32);
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_ECP256, priv, 32, &out), ==, -EINVAL);
    test_unhex("FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551", p256_n,
               sizeof(p256_n)); /* the order of P-256 */
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_ECP256, p256_n, 32, &out), ==, -EINVAL);
    g_assert_true(out == (struct ike_dh *)&out);
    p256_n[31] -= 1; /* n - 1 is fine */
    g_assert_cmpint(ike_dh_new_from_private(IKE_KE_ECP256, p256_n, 32, &out), ==, 0);
    ike_dh_free(out);
    ike_dh_free(dh);
}

/* ---------------------------------------------------------------------------------------------
 * OpenSSL allocation failures: an error code, untouched out-parameters, no leak
 */

static void test_alloc_failures(void)
{
    /* one group of each kind keeps this quick */
    static const uint16_t groups[] = {IKE_KE_CURVE25519, IKE_KE_ECP256, IKE_KE_MODP2048};

    g_assert_true(test_mem_hooks_installed());

    for (size_t k = 0; k < G_N_ELEMENTS(groups); k++) {
        struct ike_dh *peer = new_ok(groups[k]);
        const uint8_t *pp;
        size_t lp;
        bool completed = false;

        public_of(peer, &pp, &lp);

        for (int n = 1; !completed; n++) {
            struct ike_dh *dh = (struct ike_dh *)&dh;
            int r;

            g_assert_cmpint(n, <, 5000);
            test_mem_fail_after(n);
            r = ike_dh_new(groups[k], &dh);
            completed = test_mem_fail_cancel();
            if (r < 0) {
                g_assert_true(r == -ENOMEM || r == -EIO);
                g_assert_true(dh == (struct ike_dh *)&dh);
            } else {
                ike_dh_free(dh);
            }
            ERR_clear_error();
        }

        completed = false;
        for (int n = 1; !completed; n++) {
            struct ike_dh *dh = new_ok(groups[k]);
            uint8_t *s = (uint8_t *)&s;
            size_t ls = 4242;
            int r;

            g_assert_cmpint(n, <, 5000);
            test_mem_fail_after(n);
            r = ike_dh_compute(dh, pp, lp, &s, &ls);
            completed = test_mem_fail_cancel();
            if (r < 0) {
                /* an import refused for lack of memory reads as a bad peer value */
                g_assert_true(r == -ENOMEM || r == -EIO || r == -EBADMSG);
                g_assert_true(s == (uint8_t *)&s);
                g_assert_cmpuint(ls, ==, 4242);
            } else {
                g_assert_cmpuint(ls, ==, ike_dh_secret_len(groups[k]));
                uip_free_secret(s, ls);
            }
            ike_dh_free(dh);
            ERR_clear_error();
        }
        ike_dh_free(peer);
    }
}

int main(int argc, char **argv)
{
    /* Before OpenSSL's first allocation, or it refuses. */
    test_mem_hooks_install();

    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/ike-dh/lengths", test_lengths);
    for (size_t k = 0; k < G_N_ELEMENTS(all_groups); k++) {
        g_autofree char *path = g_strdup_printf("/ike-dh/agree/%s", all_groups[k].name);
        g_test_add_data_func(path, &all_groups[k], run_agree);
    }
    for (size_t k = 0; k < G_N_ELEMENTS(kats); k++) {
        g_autofree char *path = g_strdup_printf("/ike-dh/kat/%s", kats[k].name);
        g_test_add_data_func(path, &kats[k], run_kat);
    }
    g_test_add_func("/ike-dh/kat/modp-primes-rfc3526", test_modp_primes);
    g_test_add_func("/ike-dh/invalid/length", test_invalid_length);
    g_test_add_func("/ike-dh/invalid/ecp", test_invalid_ecp);
    g_test_add_func("/ike-dh/invalid/modp", test_invalid_modp);
    g_test_add_func("/ike-dh/invalid/x25519", test_invalid_x25519);
    g_test_add_func("/ike-dh/misuse", test_misuse);
    g_test_add_func("/ike-dh/alloc-failures", test_alloc_failures);

    return g_test_run();
}
