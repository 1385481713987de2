/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for src/ike/ike-crypto.c: PRF, prf+, IKE and CHILD_SA key derivation,
 * the SK payload and AUTH.
 *
 * Vectors (numbers only, transcribed from the published documents):
 *   RFC 4231 section 4, test cases 1, 2 and 6 (the HMAC-SHA-256/384/512
 *     vectors RFC 4868 section 2.7.1 reuses for PRF-HMAC-SHA2)
 *   NIST SP 800-135 IKEv2 KDF component test, SHA2-256, DKM length 3072 bits
 *     (the CAVS sample vector in usnistgov/ACVP-Server
 *     src/crypto/test/NIST.CVP.Crypto.IKEv2.Tests/IKEv2Tests.cs): SKEYSEED,
 *     DKM, DKM(Child SA), DKM(Child SA D-H), SKEYSEED(Rekey)
 *   RFC 7634 Appendix B: an IKEv2 INFORMATIONAL message protected with
 *     ChaCha20-Poly1305 (as also used by strongSwan's test_message_chapoly.c)
 *
 * Everything else is checked against an independent computation in this file
 * (OpenSSL one-shot HMAC iterated by hand for prf+, one-shot EVP ciphers for
 * the SK payload), so that only the exact RFC 7296 layouts pass: nonce and SPI
 * order, the prf+ counter octet, the key order SK_d SK_ai SK_ar SK_ei SK_er
 * SK_pi SK_pr, the AAD / ICV coverage and the pad length octet.
 */
#include "ike/ike-crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/uip-secret.h"
#include "ike/ike-types.h"

#include "test-util.h"

/* ---------------------------------------------------------------------------------------------
 * Helpers and the independent reference computations
 */

struct prf_case {
    uint16_t id;
    const char *digest;
    size_t len;
};

static const struct prf_case prfs[] = {
    {IKE_PRF_HMAC_SHA2_256, "SHA256", 32},
    {IKE_PRF_HMAC_SHA2_384, "SHA384", 48},
    {IKE_PRF_HMAC_SHA2_512, "SHA512", 64},
};

/* Reference HMAC: OpenSSL's one-shot EVP_Q_mac. Returns the output length. */
static size_t ref_hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *data,
                       size_t data_len, uint8_t *out)
{
    size_t out_len = 0;

    g_assert_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, key, key_len, data, data_len, out,
                               EVP_MAX_MD_SIZE, &out_len));
    return out_len;
}

/* Reference prf+ (RFC 7296 2.13), written out by hand: T1 = prf(K, S | 1), Tn = prf(K, Tn-1 | S |
 * n). */
static void ref_prf_plus(const struct prf_case *p, const uint8_t *key, size_t key_len,
                         const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    g_autofree uint8_t *in = g_malloc(p->len + seed_len + 1);
    uint8_t t[EVP_MAX_MD_SIZE];
    size_t t_len = 0, done = 0;

    for (unsigned n = 1; done < out_len; n++) {
        size_t in_len = 0, take;

        g_assert_cmpuint(n, <=, 255);
        memcpy(in, t, t_len);
        in_len += t_len;
        memcpy(in + in_len, seed, seed_len);
        in_len += seed_len;
        in[in_len++] = (uint8_t)n;
        t_len = ref_hmac(p->digest, key, key_len, in, in_len, t);
        g_assert_cmpuint(t_len, ==, p->len);
        take = MIN(t_len, out_len - done);
        memcpy(out + done, t, take);
        done += take;
    }
}

/* a | b | c | d into a new buffer */
static uint8_t *concat4(const uint8_t *a, size_t la, const uint8_t *b, size_t lb, const uint8_t *c,
                        size_t lc, const uint8_t *d, size_t ld, size_t *len)
{
    uint8_t *out = g_malloc(la + lb + lc + ld + 1);

    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    if (lc)
        memcpy(out + la + lb, c, lc);
    if (ld)
        memcpy(out + la + lb + lc, d, ld);
    *len = la + lb + lc + ld;
    return out;
}

/* ---------------------------------------------------------------------------------------------
 * PRF: RFC 4231 / RFC 4868 2.7.1 known answers
 */

struct prf_kat {
    const char *name;
    const char *key; /* hex, or NULL: @key_byte repeated @key_rep times */
    uint8_t key_byte;
    size_t key_rep;
    const char *data;   /* ASCII */
    const char *out[3]; /* PRF-HMAC-SHA-256, -384, -512 */
};

static const struct prf_kat prf_kats[] = {
    {"rfc4231-1",
     NULL,
     0x0b,
     20,
     "Hi There",
     {"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
      "faea9ea9076ede7f4af152e8b2fa9cb6",
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
      "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"}},
    {"rfc4231-2",
     "4a656665",
     0,
     0,
     "what do ya want for nothing?",
     {"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
      "8e2240ca5e69e2c78b3239ecfab21649",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"}},
    /* a key longer than the hash block: what SKEYSEED's Ni | Nr key may be */
    {"rfc4231-6",
     NULL,
     0xaa,
     131,
     "Test Using Larger Than Block-Size Key - Hash Key First",
     {"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
      "0c2ef6ab4030fe8296248df163f44952",
      "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
      "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"}},
};

static void test_prf_kat(void)
{
    for (size_t k = 0; k < G_N_ELEMENTS(prf_kats); k++) {
        const struct prf_kat *v = &prf_kats[k];
        uint8_t key[256], want[64], out[IKE_PRF_MAX_LEN];
        size_t key_len;

        if (v->key) {
            key_len = test_unhex(v->key, key, sizeof(key));
        } else {
            key_len = v->key_rep;
            memset(key, v->key_byte, key_len);
        }
        for (size_t p = 0; p < G_N_ELEMENTS(prfs); p++) {
            size_t want_len = test_unhex(v->out[p], want, sizeof(want));

            g_assert_cmpuint(want_len, ==, prfs[p].len);
            g_assert_cmpuint(ike_prf_len(prfs[p].id), ==, prfs[p].len);
            g_assert_true(ike_prf_supported(prfs[p].id));
            g_assert_cmpint(
                ike_prf(prfs[p].id, key, key_len, (const uint8_t *)v->data, strlen(v->data), out),
                ==, 0);
            g_assert_cmpmem(out, want_len, want, want_len);
        }
    }
}

static void test_prf_misuse(void)
{
    static const uint16_t unsupported[] = {0, 1, 2, 3, 4, 8, 9};
    uint8_t key[8] = {1}, out[IKE_PRF_MAX_LEN];

    for (size_t k = 0; k < G_N_ELEMENTS(unsupported); k++) {
        g_assert_false(ike_prf_supported(unsupported[k]));
        g_assert_cmpuint(ike_prf_len(unsupported[k]), ==, 0);
        g_assert_cmpint(ike_prf(unsupported[k], key, 8, key, 8, out), ==, -EINVAL);
    }
    g_assert_cmpint(ike_prf(IKE_PRF_HMAC_SHA2_256, NULL, 8, key, 8, out), ==, -EINVAL);
    g_assert_cmpint(ike_prf(IKE_PRF_HMAC_SHA2_256, key, 0, key, 8, out), ==, -EINVAL);
    g_assert_cmpint(ike_prf(IKE_PRF_HMAC_SHA2_256, key, 8, NULL, 8, out), ==, -EINVAL);
    g_assert_cmpint(ike_prf(IKE_PRF_HMAC_SHA2_256, key, 8, key, 8, NULL), ==, -EINVAL);
    /* empty data is fine */
    g_assert_cmpint(ike_prf(IKE_PRF_HMAC_SHA2_256, key, 8, NULL, 0, out), ==, 0);
}

/* ---------------------------------------------------------------------------------------------
 * prf+
 */

static void test_prf_plus(void)
{
    uint8_t key[100], seed[300];

    test_random_bytes(key, sizeof(key));
    test_random_bytes(seed, sizeof(seed));
    for (size_t p = 0; p < G_N_ELEMENTS(prfs); p++) {
        size_t h = prfs[p].len;
        size_t lens[] = {1, h - 1, h, h + 1, 2 * h + 7, 7 * h, 255 * h};

        for (size_t k = 0; k < G_N_ELEMENTS(lens); k++) {
            g_autofree uint8_t *got = g_malloc(lens[k]);
            g_autofree uint8_t *want = g_malloc(lens[k]);

            ref_prf_plus(&prfs[p], key, 37, seed, 123, want, lens[k]);
            g_assert_cmpint(ike_prf_plus(prfs[p].id, key, 37, seed, 123, got, lens[k]), ==, 0);
            g_assert_cmpmem(got, lens[k], want, lens[k]);
        }

        /* the first two blocks, spelled out: T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02) */
        {
            uint8_t t1[64], t2[64], in[64 + 5 + 1], got[128];

            memcpy(in, seed, 5);
            in[5] = 0x01;
            ref_hmac(prfs[p].digest, key, 20, in, 6, t1);
            memcpy(in, t1, h);
            memcpy(in + h, seed, 5);
            in[h + 5] = 0x02;
            ref_hmac(prfs[p].digest, key, 20, in, h + 6, t2);
            g_assert_cmpint(ike_prf_plus(prfs[p].id, key, 20, seed, 5, got, 2 * h), ==, 0);
            g_assert_cmpmem(got, h, t1, h);
            g_assert_cmpmem(got + h, h, t2, h);
        }

        /* 255 iterations at most (the counter is one octet); 0 bytes is a caller error */
        {
            size_t too_long = 255 * h + 1;
            g_autofree uint8_t *out = g_malloc(too_long);

            memset(out, 0x5a, too_long);
            g_assert_cmpint(ike_prf_plus(prfs[p].id, key, 20, seed, 5, out, too_long), ==, -EINVAL);
            g_assert_cmpint(ike_prf_plus(prfs[p].id, key, 20, seed, 5, out, 0), ==, -EINVAL);
            for (size_t i = 0; i < too_long; i++)
                g_assert_cmpuint(out[i], ==, 0x5a);
        }
        /* an empty seed is allowed by the construction */
        {
            uint8_t got[40], want[40];

            ref_prf_plus(&prfs[p], key, 20, seed, 0, want, sizeof(want));
            g_assert_cmpint(ike_prf_plus(prfs[p].id, key, 20, NULL, 0, got, sizeof(got)), ==, 0);
            g_assert_cmpmem(got, sizeof(got), want, sizeof(want));
        }
    }
    g_assert_cmpint(ike_prf_plus(2, key, 20, seed, 5, seed, 10), ==, -EINVAL);
    g_assert_cmpint(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, NULL, 20, seed, 5, seed, 10), ==, -EINVAL);
    g_assert_cmpint(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, key, 20, NULL, 5, seed, 10), ==, -EINVAL);
    g_assert_cmpint(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, key, 20, seed, 5, NULL, 10), ==, -EINVAL);
}

/* ---------------------------------------------------------------------------------------------
 * SP 800-135 IKEv2 KDF (CAVS sample vector, SHA2-256, DKM 3072 bits)
 */

#define CAVS_NI                                                                                    \
    "0a58fea9c1d4fee2e74e1aad6fb02dd5f318eb127465a112be8dc3c04d5dba62"                             \
    "eae708f9dc1b2362afd6ba4bda3cf5000f4979fbcbadbcfda9291593829c4e90"                             \
    "5c21db0c2ee15175ce77a8a0dadf25c7f175bc53fd91b636a9b3c50b203de9b9"                             \
    "d6dc463dcb4048f101e26498ceaed3afbcd931394a7e099392dfff82e5d6fa85"                             \
    "c2e8a8ab90ad363a66795dc32798847e405acd87988140f973058917273a6b0b"                             \
    "afb962c75e2b1a21e79c08beeb82168bf8b4b57f3dce867bf7862a7b8acbc21b"                             \
    "e838021913daf64340c055ed17aaf7b6e1d0ca33ae890ddbdb83f4e615aad5e3"                             \
    "bff58c3db70bac81a0dfbabe5391fc62bca4659e22a0741e01d8d06e67d9bb41"
#define CAVS_NR                                                                                    \
    "e4fdfa68df6171d9eaff8b7b5ad31e7c6098d259f3397c9854cbefe7449b0864"                             \
    "c1df16ddece8b26567560f8d59182a44c19149c2d0d72606a160021ade3d23c7"                             \
    "c6936c91a4b6bec37adf38cfc84b851c68dcee06f81306f63abbefc07e231e30"                             \
    "58c49437a557df617eac01663593d2a3e594699284c0a35eae6931492ccb2a43"                             \
    "db72a600a3899205d681d2b76b1280e456339bb10e0c584aecfdae31c77a4c40"                             \
    "dbcb345f782ac32835d4c220c1e97254ded6a40075dd717b00b69c86a49e8017"                             \
    "73026536ae02d58a649827f1ba67610ee936dffd11c9d5a9156631916a0a0046"                             \
    "ec0ba42f56f2a18de83d5d71a985b0cc9eec2c06b3d907ca58454419f374069d"
#define CAVS_GIR      "9d469de41b4739c7dd01f19aa94f17e48150ae9dbede94832142db19"
#define CAVS_GIR_NEW  "c2987b0767006c3b9aea491bfed1646a3d7194639492b8d45b23b383"
#define CAVS_SPII     "c8de93111750e409"
#define CAVS_SPIR     "32d51b33508997fa"
#define CAVS_SKEYSEED "eec13ac67c2e072abb684ab4e7b6ce3e7f400af8b96bed48e113497ed337f8d4"
#define CAVS_DKM                                                                                   \
    "bc83518f63b762874ac57947cdfae33a8d9724df0b83ee4b6df38c23fc2ad829"                             \
    "f4d70b5a68dd1f5a52416f09758638aedf919c09a17c5298cdb703bb75b1005c"                             \
    "ba0109739aaa4efd2fe7534c95ad05e546e4419931270eddcab68ac1589d7fde"                             \
    "47f5b9e8d5b614cb24ec3caf515497a9e99ee6f1b318ff153b539ef071dcaff9"                             \
    "b41945dcb780700d69e5dc888a91de195c52825badfd0ab4c33cec71ab5c2b4b"                             \
    "adefe5455455ce5d8ae91721a2091bcccc1514e69482c9c8da1d9f0f187eedda"                             \
    "916393570a8c0a8dfabc26d8ed31e8ea47662515972a22d11d692bc1fac6395a"                             \
    "ecd82a01ab78daafcd6f3070b1201f158a19331b5d21ceee66fccd2ea37bc076"                             \
    "48b9539a52dbf797af53e31a0e8706dd86cf5081ebabd095f281d23c222dd3bc"                             \
    "5abf06869017ca8f751cafcc85abea6ba88c139d1f32a12f7f486cf57eae5d85"                             \
    "551b97f3963616d8f597c70efa98c1e1fa369fb77a80b1ec5fe533890672c455"                             \
    "1172eab1b7fd68ad08c4d4c69f2a867302065ca730aa6915bc2cfb6d93820977"
#define CAVS_DKM_CHILD                                                                             \
    "c725012285d56e53244a9baaaf95abfca543708d333a3f3a86ba660e00edd4d4"                             \
    "89bcd631819fda0413382edd9f53d1ed718e056c2ad91d38de90f06cd434de70"                             \
    "141d051c021e7ddd6e4137946b4770dca59a4decabdd866852eb557fdd995646"                             \
    "613ff2923f5f23aa58c8fbd5ad52cf2eac9bda97faad5596695f4a747a0f1cc6"                             \
    "a1f78b2181138fb19ac24574d2e6b3a40d6e688abb919a27d793b76568ec66bd"                             \
    "099f6f476b705c1472d774a1516a11311b887688f36649e24227640ea8d8666b"                             \
    "9f452217e7103b6f0a92b6adb8fbda650ba58d6ac13ac6f6b6361a5d1c44f1e9"                             \
    "f22196c96295115c5d01a120e7265962d20353a049286908da776c2165f706a1"                             \
    "6f43d85fcd319f89c4386340bcb8ed10df38345cb68af719abaf997e9789a5f1"                             \
    "9a392dcecd78168ba282f0b30555c7a47031a3156d12d7158aa41b863b8394d3"                             \
    "0fec63120e89cbc5750eed7786f7d5961b1f2e6faca641ed776d2211bee757b6"                             \
    "8b77f94056172553715da9fbd1c9a8728f28a2f3c9714a4917490132562484cd"
#define CAVS_DKM_CHILD_DH                                                                          \
    "140a1f2a3c94318ece6edfa8c63f37d8d45982de8b6cbfe34011150db0253e34"                             \
    "de3796d4aa579954a0bbf234794eb6e7ece2a8f91100f5507df4ee8e66c7813d"                             \
    "4c0ff64d484a3494c54b0d9c605ea24234a49a010ce5c352feb9e1060c8c7872"                             \
    "29466296cdc9d11bb9d221ed2bb39544572464254ec02a0fbe777b07402c775e"                             \
    "b6d3e53cd16214c707f851942cc7da92a811b6c5c82f29d9fc3751b0ebff9898"                             \
    "fb14372402a6989ffb9cc32dfe7e2cea32fd882e09804d7fea34ce3b5eb6f303"                             \
    "e095c48a452b0a3eccada81af22195ebbaad289aeabdab074c94e751496bde39"                             \
    "d868ebf1d693f36d1c3c672bbb59c9f77aeb68de57d77da231b7f13d6d277f60"                             \
    "0c3d3086c4de7b3a59127f4cb9c118935574f30e1b7c88b52c8c3531fdbd38ee"                             \
    "3d14c69e81803ced6e7501fa0180f6d110b648272002dc1ad5bf09dc83188011"                             \
    "da1d48632e0d2453c8abdd8e9fd32a576aeb9ddfb0a024f674441c20a950d9bd"                             \
    "8cd7b30933cc0d8e87b55e8aa9d913579b410417b3acc13c14bf73c457327873"
#define CAVS_SKEYSEED_REKEY "05f796c8df322a7e33283ae5fa2f376d8d5efa0ac3745fc548e430031424c121"

struct cavs {
    uint8_t ni[256], nr[256], gir[64], gir_new[64], spii[8], spir[8];
    uint8_t skeyseed[32], dkm[384], dkm_child[384], dkm_child_dh[384], skeyseed_rekey[32];
    size_t ni_len, nr_len, gir_len, gir_new_len;
};

static void cavs_load(struct cavs *v)
{
    v->ni_len = test_unhex(CAVS_NI, v->ni, sizeof(v->ni));
    v->nr_len = test_unhex(CAVS_NR, v->nr, sizeof(v->nr));
    v->gir_len = test_unhex(CAVS_GIR, v->gir, sizeof(v->gir));
    v->gir_new_len = test_unhex(CAVS_GIR_NEW, v->gir_new, sizeof(v->gir_new));
    g_assert_cmpuint(test_unhex(CAVS_SPII, v->spii, sizeof(v->spii)), ==, 8);
    g_assert_cmpuint(test_unhex(CAVS_SPIR, v->spir, sizeof(v->spir)), ==, 8);
    g_assert_cmpuint(test_unhex(CAVS_SKEYSEED, v->skeyseed, sizeof(v->skeyseed)), ==, 32);
    g_assert_cmpuint(test_unhex(CAVS_DKM, v->dkm, sizeof(v->dkm)), ==, 384);
    g_assert_cmpuint(test_unhex(CAVS_DKM_CHILD, v->dkm_child, sizeof(v->dkm_child)), ==, 384);
    g_assert_cmpuint(test_unhex(CAVS_DKM_CHILD_DH, v->dkm_child_dh, sizeof(v->dkm_child_dh)), ==,
                     384);
    g_assert_cmpuint(test_unhex(CAVS_SKEYSEED_REKEY, v->skeyseed_rekey, sizeof(v->skeyseed_rekey)),
                     ==, 32);
    g_assert_cmpuint(v->ni_len, ==, 256);
    g_assert_cmpuint(v->nr_len, ==, 256);
}

static void test_cavs_ikev2_kdf(void)
{
    const uint16_t prf = IKE_PRF_HMAC_SHA2_256;
    /* a suite whose seven keys take the first 288 of the 384 DKM bytes */
    const struct ike_crypto_suite suite = {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, prf};
    struct cavs v;
    uint8_t skeyseed[IKE_PRF_MAX_LEN], dkm[384];
    g_autofree uint8_t *seed = NULL;
    size_t seed_len;
    struct ike_keys *k = NULL;
    struct ike_child_keys *ck = NULL;

    cavs_load(&v);

    /* SKEYSEED = prf(Ni | Nr, g^ir) */
    g_assert_cmpint(ike_skeyseed(prf, v.ni, v.ni_len, v.nr, v.nr_len, v.gir, v.gir_len, skeyseed),
                    ==, 0);
    g_assert_cmpmem(skeyseed, 32, v.skeyseed, 32);

    /* DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
    seed = concat4(v.ni, v.ni_len, v.nr, v.nr_len, v.spii, 8, v.spir, 8, &seed_len);
    g_assert_cmpint(ike_prf_plus(prf, skeyseed, 32, seed, seed_len, dkm, sizeof(dkm)), ==, 0);
    g_assert_cmpmem(dkm, sizeof(dkm), v.dkm, sizeof(v.dkm));

    /* the same through the key split: SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr */
    g_assert_cmpint(
        ike_keys_derive(&suite, skeyseed, 32, v.ni, v.ni_len, v.nr, v.nr_len, v.spii, v.spir, &k),
        ==, 0);
    g_assert_cmpuint(k->sk_d_len, ==, 32);
    g_assert_cmpuint(k->sk_a_len, ==, 64);
    g_assert_cmpuint(k->sk_e_len, ==, 32);
    g_assert_cmpuint(k->sk_p_len, ==, 32);
    g_assert_cmpmem(k->sk_d, 32, v.dkm, 32);
    g_assert_cmpmem(k->sk_ai, 64, v.dkm + 32, 64);
    g_assert_cmpmem(k->sk_ar, 64, v.dkm + 96, 64);
    g_assert_cmpmem(k->sk_ei, 32, v.dkm + 160, 32);
    g_assert_cmpmem(k->sk_er, 32, v.dkm + 192, 32);
    g_assert_cmpmem(k->sk_pi, 32, v.dkm + 224, 32);
    g_assert_cmpmem(k->sk_pr, 32, v.dkm + 256, 32);

    /* DKM(Child SA) = prf+(SK_d, Ni | Nr), split i->r (enc 64, integ 128), then r->i */
    g_assert_cmpint(ike_child_keys_derive(prf, k->sk_d, k->sk_d_len, NULL, 0, v.ni, v.ni_len, v.nr,
                                          v.nr_len, 64, 128, &ck),
                    ==, 0);
    g_assert_cmpuint(ck->keymat_len, ==, 384);
    g_assert_cmpmem(ck->keymat, 384, v.dkm_child, 384);
    g_assert_cmpmem(ck->ei, 64, v.dkm_child, 64);
    g_assert_cmpmem(ck->ai, 128, v.dkm_child + 64, 128);
    g_assert_cmpmem(ck->er, 64, v.dkm_child + 192, 64);
    g_assert_cmpmem(ck->ar, 128, v.dkm_child + 256, 128);
    ike_child_keys_free(ck);

    /* DKM(Child SA D-H) = prf+(SK_d, g^ir (new) | Ni | Nr) */
    g_assert_cmpint(ike_child_keys_derive(prf, k->sk_d, k->sk_d_len, v.gir_new, v.gir_new_len, v.ni,
                                          v.ni_len, v.nr, v.nr_len, 64, 128, &ck),
                    ==, 0);
    g_assert_cmpmem(ck->keymat, 384, v.dkm_child_dh, 384);
    ike_child_keys_free(ck);

    /* SKEYSEED(Rekey) = prf(SK_d (old), g^ir (new) | Ni | Nr) */
    g_assert_cmpint(ike_skeyseed_rekey(prf, k->sk_d, k->sk_d_len, v.gir_new, v.gir_new_len, v.ni,
                                       v.ni_len, v.nr, v.nr_len, skeyseed),
                    ==, 0);
    g_assert_cmpmem(skeyseed, 32, v.skeyseed_rekey, 32);

    ike_keys_free(k);
}

/* ---------------------------------------------------------------------------------------------
 * Key derivation for every suite, against the reference prf+
 */

struct suite_case {
    uint16_t encr, keylen, integ;
    size_t e_len, a_len;
};

static const struct suite_case suites[] = {
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, 16, 32},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_384_192, 16, 48},
    {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_512_256, 16, 64},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, 32, 32},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, 32, 48},
    {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, 32, 64},
    /* RFC 5282 / RFC 7634: key + 4-byte salt, no SK_a */
    {IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, 20, 0},
    {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, 36, 0},
    {IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_NONE, 36, 0},
    {IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE, 36, 0},
};

static void test_keys_all_suites(void)
{
    uint8_t ni[32], nr[48], spii[8], spir[8], gir[256];

    test_random_bytes(ni, sizeof(ni));
    test_random_bytes(nr, sizeof(nr));
    test_random_bytes(spii, sizeof(spii));
    test_random_bytes(spir, sizeof(spir));
    test_random_bytes(gir, sizeof(gir));

    for (size_t p = 0; p < G_N_ELEMENTS(prfs); p++) {
        uint8_t skeyseed[IKE_PRF_MAX_LEN], want_seed[EVP_MAX_MD_SIZE];
        g_autofree uint8_t *nonces = NULL, *seed = NULL;
        size_t nonces_len, seed_len, h = prfs[p].len;

        /* SKEYSEED = prf(Ni | Nr, g^ir) */
        nonces = concat4(ni, sizeof(ni), nr, sizeof(nr), NULL, 0, NULL, 0, &nonces_len);
        ref_hmac(prfs[p].digest, nonces, nonces_len, gir, sizeof(gir), want_seed);
        g_assert_cmpint(
            ike_skeyseed(prfs[p].id, ni, sizeof(ni), nr, sizeof(nr), gir, sizeof(gir), skeyseed),
            ==, 0);
        g_assert_cmpmem(skeyseed, h, want_seed, h);
        /* swapping the nonces must change it */
        g_assert_cmpint(
            ike_skeyseed(prfs[p].id, nr, sizeof(nr), ni, sizeof(ni), gir, sizeof(gir), want_seed),
            ==, 0);
        g_assert_true(memcmp(skeyseed, want_seed, h) != 0);

        seed = concat4(ni, sizeof(ni), nr, sizeof(nr), spii, 8, spir, 8, &seed_len);
        for (size_t s = 0; s < G_N_ELEMENTS(suites); s++) {
            const struct suite_case *sc = &suites[s];
            struct ike_crypto_suite suite = {sc->encr, sc->keylen, sc->integ, prfs[p].id};
            size_t total = h + 2 * sc->a_len + 2 * sc->e_len + 2 * h;
            g_autofree uint8_t *want = g_malloc(total);
            struct ike_keys *k = NULL;
            const uint8_t *w = want;

            g_assert_cmpint(ike_crypto_suite_check(&suite), ==, 0);
            ref_prf_plus(&prfs[p], skeyseed, h, seed, seed_len, want, total);
            g_assert_cmpint(ike_keys_derive(&suite, skeyseed, h, ni, sizeof(ni), nr, sizeof(nr),
                                            spii, spir, &k),
                            ==, 0);
            g_assert_cmpuint(k->sk_d_len, ==, h);
            g_assert_cmpuint(k->sk_p_len, ==, h);
            g_assert_cmpuint(k->sk_a_len, ==, sc->a_len);
            g_assert_cmpuint(k->sk_e_len, ==, sc->e_len);
            g_assert_cmpmem(k->sk_d, h, w, h);
            w += h;
            g_assert_cmpmem(k->sk_ai, sc->a_len, w, sc->a_len);
            w += sc->a_len;
            g_assert_cmpmem(k->sk_ar, sc->a_len, w, sc->a_len);
            w += sc->a_len;
            g_assert_cmpmem(k->sk_ei, sc->e_len, w, sc->e_len);
            w += sc->e_len;
            g_assert_cmpmem(k->sk_er, sc->e_len, w, sc->e_len);
            w += sc->e_len;
            g_assert_cmpmem(k->sk_pi, h, w, h);
            w += h;
            g_assert_cmpmem(k->sk_pr, h, w, h);
            g_assert_true(memcmp(&k->suite, &suite, sizeof(suite)) == 0);
            ike_keys_free(k);
        }

        /* rekey: prf(SK_d (old), g^ir (new) | Ni | Nr) */
        {
            uint8_t sk_d[64], got[IKE_PRF_MAX_LEN], want[EVP_MAX_MD_SIZE];
            g_autofree uint8_t *data = NULL;
            size_t data_len;

            test_random_bytes(sk_d, sizeof(sk_d));
            data = concat4(gir, 100, ni, sizeof(ni), nr, sizeof(nr), NULL, 0, &data_len);
            ref_hmac(prfs[p].digest, sk_d, h, data, data_len, want);
            g_assert_cmpint(ike_skeyseed_rekey(prfs[p].id, sk_d, h, gir, 100, ni, sizeof(ni), nr,
                                               sizeof(nr), got),
                            ==, 0);
            g_assert_cmpmem(got, h, want, h);
        }
    }
}

static void test_suite_check(void)
{
    static const struct {
        struct ike_crypto_suite s;
        int r;
    } cases[] = {
        {{IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256}, -EINVAL},
        {{IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256},
         -EINVAL},
        {{IKE_ENCR_AES_CBC, 128, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_256}, -EINVAL},
        {{3 /* 3DES */, 0, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256}, -EOPNOTSUPP},
        {{IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256}, -EOPNOTSUPP},
        {{IKE_ENCR_AES_CBC, 0, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256}, -EOPNOTSUPP},
        {{IKE_ENCR_AES_GCM_16, 0, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_256}, -EOPNOTSUPP},
        {{IKE_ENCR_CHACHA20_POLY1305, 128, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_256}, -EOPNOTSUPP},
        {{IKE_ENCR_AES_CBC, 128, 2 /* HMAC-SHA1-96 */, IKE_PRF_HMAC_SHA2_256}, -EOPNOTSUPP},
        {{IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, 2 /* PRF-HMAC-SHA1 */}, -EOPNOTSUPP},
        {{IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, 0}, -EOPNOTSUPP},
    };
    uint8_t buf[64] = {0};
    struct ike_keys *k = (struct ike_keys *)&k;

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_cmpint(ike_crypto_suite_check(&cases[i].s), ==, cases[i].r);
        g_assert_cmpint(ike_keys_derive(&cases[i].s, buf, 32, buf, 16, buf, 16, buf, buf, &k), ==,
                        cases[i].r);
        g_assert_true(k == (struct ike_keys *)&k);
    }
    g_assert_cmpint(ike_crypto_suite_check(NULL), ==, -EINVAL);
    ike_keys_free(NULL);
}

static void test_keys_misuse(void)
{
    const struct ike_crypto_suite s = {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE,
                                       IKE_PRF_HMAC_SHA2_256};
    uint8_t b[64] = {1, 2, 3};
    struct ike_keys *k = (struct ike_keys *)&k;
    uint8_t out[IKE_PRF_MAX_LEN];

    g_assert_cmpint(ike_keys_derive(&s, NULL, 32, b, 16, b, 16, b, b, &k), ==, -EINVAL);
    g_assert_cmpint(ike_keys_derive(&s, b, 0, b, 16, b, 16, b, b, &k), ==, -EINVAL);
    g_assert_cmpint(ike_keys_derive(&s, b, 32, NULL, 16, b, 16, b, b, &k), ==, -EINVAL);
    g_assert_cmpint(ike_keys_derive(&s, b, 32, b, 0, b, 16, b, b, &k), ==, -EINVAL);
    g_assert_cmpint(ike_keys_derive(&s, b, 32, b, 16, NULL, 16, b, b, &k), ==, -EINVAL);
    g_assert_cmpint(ike_keys_derive(&s, b, 32, b, 16, b, 16, NULL, b, &k), ==, -EINVAL);
    g_assert_cmpint(ike_keys_derive(&s, b, 32, b, 16, b, 16, b, NULL, &k), ==, -EINVAL);
    g_assert_cmpint(ike_keys_derive(&s, b, 32, b, 16, b, 16, b, b, NULL), ==, -EINVAL);
    g_assert_true(k == (struct ike_keys *)&k);

    g_assert_cmpint(ike_skeyseed(2, b, 16, b, 16, b, 32, out), ==, -EINVAL);
    g_assert_cmpint(ike_skeyseed(IKE_PRF_HMAC_SHA2_256, b, 0, b, 16, b, 32, out), ==, -EINVAL);
    g_assert_cmpint(ike_skeyseed(IKE_PRF_HMAC_SHA2_256, b, 16, b, 16, NULL, 32, out), ==, -EINVAL);
    g_assert_cmpint(ike_skeyseed(IKE_PRF_HMAC_SHA2_256, b, 16, b, 16, b, 32, NULL), ==, -EINVAL);
    g_assert_cmpint(ike_skeyseed_rekey(IKE_PRF_HMAC_SHA2_256, NULL, 32, b, 32, b, 16, b, 16, out),
                    ==, -EINVAL);
    g_assert_cmpint(ike_skeyseed_rekey(IKE_PRF_HMAC_SHA2_256, b, 32, b, 0, b, 16, b, 16, out), ==,
                    -EINVAL);
}

/* ---------------------------------------------------------------------------------------------
 * CHILD_SA keys
 */

static void test_child_keys(void)
{
    uint8_t sk_d[64], ni[32], nr[32], gir[97];

    test_random_bytes(sk_d, sizeof(sk_d));
    test_random_bytes(ni, sizeof(ni));
    test_random_bytes(nr, sizeof(nr));
    test_random_bytes(gir, sizeof(gir));

    for (size_t p = 0; p < G_N_ELEMENTS(prfs); p++) {
        static const size_t lens[][2] = {{20, 0}, {36, 0}, {16, 32}, {32, 64}, {1, 0}};
        size_t h = prfs[p].len;

        for (size_t l = 0; l < G_N_ELEMENTS(lens); l++) {
            for (int with_dh = 0; with_dh < 2; with_dh++) {
                size_t e = lens[l][0], a = lens[l][1], total = 2 * (e + a), seed_len;
                g_autofree uint8_t *want = g_malloc(total);
                g_autofree uint8_t *seed = NULL;
                struct ike_child_keys *k = NULL;

                if (with_dh)
                    seed = concat4(gir, sizeof(gir), ni, sizeof(ni), nr, sizeof(nr), NULL, 0,
                                   &seed_len);
                else
                    seed = concat4(ni, sizeof(ni), nr, sizeof(nr), NULL, 0, NULL, 0, &seed_len);
                ref_prf_plus(&prfs[p], sk_d, h, seed, seed_len, want, total);
                g_assert_cmpint(ike_child_keys_derive(prfs[p].id, sk_d, h, with_dh ? gir : NULL,
                                                      with_dh ? sizeof(gir) : 0, ni, sizeof(ni), nr,
                                                      sizeof(nr), e, a, &k),
                                ==, 0);
                g_assert_cmpuint(k->encr_len, ==, e);
                g_assert_cmpuint(k->integ_len, ==, a);
                g_assert_cmpuint(k->keymat_len, ==, total);
                g_assert_cmpmem(k->keymat, total, want, total);
                g_assert_true(k->i2r == k->keymat && k->ei == k->keymat);
                g_assert_true(k->ai == k->keymat + e);
                g_assert_true(k->r2i == k->keymat + e + a && k->er == k->r2i);
                g_assert_true(k->ar == k->er + e);
                ike_child_keys_free(k);
            }
        }

        /* 255 PRF blocks at most */
        {
            struct ike_child_keys *k = (struct ike_child_keys *)&k;
            size_t max = 255 * h;

            g_assert_cmpint(
                ike_child_keys_derive(prfs[p].id, sk_d, h, NULL, 0, ni, 32, nr, 32, max / 2, 0, &k),
                ==, 0);
            ike_child_keys_free(k);
            k = (struct ike_child_keys *)&k;
            g_assert_cmpint(ike_child_keys_derive(prfs[p].id, sk_d, h, NULL, 0, ni, 32, nr, 32,
                                                  max / 2 + 1, 0, &k),
                            ==, -EINVAL);
            g_assert_true(k == (struct ike_child_keys *)&k);
        }
    }

    {
        struct ike_child_keys *k = (struct ike_child_keys *)&k;

        g_assert_cmpint(ike_child_keys_derive(IKE_PRF_HMAC_SHA2_256, sk_d, 32, NULL, 0, ni, 32, nr,
                                              32, 0, 0, &k),
                        ==, -EINVAL);
        g_assert_cmpint(ike_child_keys_derive(IKE_PRF_HMAC_SHA2_256, sk_d, 32, NULL, 5, ni, 32, nr,
                                              32, 16, 32, &k),
                        ==, -EINVAL);
        g_assert_cmpint(ike_child_keys_derive(IKE_PRF_HMAC_SHA2_256, NULL, 32, NULL, 0, ni, 32, nr,
                                              32, 16, 32, &k),
                        ==, -EINVAL);
        g_assert_cmpint(ike_child_keys_derive(IKE_PRF_HMAC_SHA2_256, sk_d, 32, NULL, 0, ni, 0, nr,
                                              32, 16, 32, &k),
                        ==, -EINVAL);
        g_assert_cmpint(ike_child_keys_derive(7 + 1, sk_d, 32, NULL, 0, ni, 32, nr, 32, 16, 32, &k),
                        ==, -EINVAL);
        g_assert_cmpint(ike_child_keys_derive(IKE_PRF_HMAC_SHA2_256, sk_d, 32, NULL, 0, ni, 32, nr,
                                              32, SIZE_MAX / 2, SIZE_MAX / 2, &k),
                        ==, -EINVAL);
        g_assert_true(k == (struct ike_child_keys *)&k);
        ike_child_keys_free(NULL);
    }
}

/* ---------------------------------------------------------------------------------------------
 * SK payload
 */

struct sk_case {
    const char *name;
    uint16_t encr, keylen, integ;
    const char *cipher; /* OpenSSL name, for the reference */
    size_t key_len;     /* without salt */
    size_t salt_len;
    size_t iv_len;
    size_t icv_len;
    const char *digest; /* HMAC digest, CBC only */
    size_t ikey_len;
    size_t align;
};

static const struct sk_case sk_cases[] = {
    {"aes128-sha256", IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, "AES-128-CBC", 16, 0, 16,
     16, "SHA256", 32, 16},
    {"aes128-sha384", IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_384_192, "AES-128-CBC", 16, 0, 16,
     24, "SHA384", 48, 16},
    {"aes128-sha512", IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_512_256, "AES-128-CBC", 16, 0, 16,
     32, "SHA512", 64, 16},
    {"aes256-sha256", IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, "AES-256-CBC", 32, 0, 16,
     16, "SHA256", 32, 16},
    {"aes256-sha384", IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, "AES-256-CBC", 32, 0, 16,
     24, "SHA384", 48, 16},
    {"aes256-sha512", IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, "AES-256-CBC", 32, 0, 16,
     32, "SHA512", 64, 16},
    {"aes128gcm16", IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, "AES-128-GCM", 16, 4, 8, 16, NULL, 0,
     1},
    {"aes256gcm16", IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, "AES-256-GCM", 32, 4, 8, 16, NULL, 0,
     1},
    {"chacha20poly1305", IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_NONE, "ChaCha20-Poly1305", 32, 4,
     8, 16, NULL, 0, 1},
};

struct sk_keys {
    uint8_t ekey[IKE_ENCR_MAX_KEY_LEN];
    uint8_t ikey[IKE_INTEG_MAX_KEY_LEN];
};

static bool is_aead(const struct sk_case *tc)
{
    return tc->integ == IKE_INTEG_NONE;
}

static struct ike_sk_ctx *sk_ctx(const struct sk_case *tc, const struct sk_keys *k, bool encrypt)
{
    struct ike_sk_ctx *c = NULL;

    g_assert_cmpint(ike_sk_ctx_new(tc->encr, tc->keylen, tc->integ, k->ekey,
                                   tc->key_len + tc->salt_len, is_aead(tc) ? NULL : k->ikey,
                                   tc->ikey_len, encrypt, &c),
                    ==, 0);
    g_assert_nonnull(c);
    g_assert_cmpuint(ike_sk_iv_len(c), ==, tc->iv_len);
    g_assert_cmpuint(ike_sk_icv_len(c), ==, tc->icv_len);
    return c;
}

/*
 * An IKE_AUTH request up to the SK body: header (length 0, filled in by the
 * code under test), optionally a cleartext Vendor ID payload before the SK
 * payload (sk_off > 28), the SK (or, with @skf, SKF) payload header, then
 * @inner_len bytes of inner payloads.  Returns body_off.
 */
static size_t build_plain(uint8_t *msg, size_t sk_off, bool skf, const uint8_t *inner,
                          size_t inner_len)
{
    uint8_t sk_type = skf ? IKE_PL_SKF : IKE_PL_SK;
    size_t body_off = sk_off + (skf ? 8 : 4);

    for (int i = 0; i < 16; i++)
        msg[i] = (uint8_t)(0x10 + i); /* SPIi, SPIr */
    msg[16] = sk_off == IKE_HDR_LEN ? sk_type : IKE_PL_VENDOR;
    msg[17] = IKE_VERSION;
    msg[18] = IKE_AUTH;
    msg[19] = IKE_FLAG_INITIATOR;
    test_put_be32(msg + 20, 1);
    test_put_be32(msg + 24, 0);
    if (sk_off > IKE_HDR_LEN) {
        msg[IKE_HDR_LEN] = sk_type;
        msg[IKE_HDR_LEN + 1] = 0;
        test_put_be16(msg + IKE_HDR_LEN + 2, (uint16_t)(sk_off - IKE_HDR_LEN));
        for (size_t i = IKE_HDR_LEN + 4; i < sk_off; i++)
            msg[i] = (uint8_t)i;
    }
    msg[sk_off] = IKE_PL_IDI; /* first inner payload */
    msg[sk_off + 1] = 0;
    test_put_be16(msg + sk_off + 2, 0);
    if (skf) {
        test_put_be16(msg + sk_off + 4, 1); /* Fragment Number */
        test_put_be16(msg + sk_off + 6, 1); /* Total Fragments */
    }
    memcpy(msg + body_off, inner, inner_len);
    return body_off;
}

/*
 * Reference protection, one-shot EVP: @msg holds the header (lengths set), the
 * IV at @body_off and @enc_len bytes of plaintext (inner, padding, pad length)
 * after it; encrypt them and write the ICV.  Returns the message length.
 */
static size_t ref_seal(const struct sk_case *tc, const struct sk_keys *k, uint8_t *msg,
                       size_t body_off, size_t enc_len)
{
    uint8_t *iv = msg + body_off, *pt = iv + tc->iv_len, *icv = pt + enc_len;
    size_t total = body_off + tc->iv_len + enc_len + tc->icv_len;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, tc->cipher, NULL);
    int outl;

    g_assert_nonnull(ctx);
    g_assert_nonnull(cipher);
    if (is_aead(tc)) {
        uint8_t nonce[12];

        memcpy(nonce, k->ekey + tc->key_len, 4); /* salt */
        memcpy(nonce + 4, iv, 8);
        g_assert_cmpint(EVP_EncryptInit_ex2(ctx, cipher, k->ekey, nonce, NULL), ==, 1);
        g_assert_cmpint(EVP_EncryptUpdate(ctx, NULL, &outl, msg, (int)body_off), ==, 1);
        g_assert_cmpint(EVP_EncryptUpdate(ctx, pt, &outl, pt, (int)enc_len), ==, 1);
        g_assert_cmpint(EVP_EncryptFinal_ex(ctx, pt + outl, &outl), ==, 1);
        g_assert_cmpint(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, icv), ==, 1);
    } else {
        uint8_t md[EVP_MAX_MD_SIZE];

        g_assert_cmpint(EVP_EncryptInit_ex2(ctx, cipher, k->ekey, iv, NULL), ==, 1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        g_assert_cmpint(EVP_EncryptUpdate(ctx, pt, &outl, pt, (int)enc_len), ==, 1);
        g_assert_cmpint(outl, ==, (int)enc_len);
        g_assert_cmpint(EVP_EncryptFinal_ex(ctx, pt + outl, &outl), ==, 1);
        g_assert_cmpint(outl, ==, 0);
        /* RFC 7296 3.14: ICV over everything from the IKE header through the pad length */
        g_assert_cmpuint(ref_hmac(tc->digest, k->ikey, tc->ikey_len, msg, total - tc->icv_len, md),
                         >=, tc->icv_len);
        memcpy(icv, md, tc->icv_len);
    }
    EVP_CIPHER_free(cipher);
    EVP_CIPHER_CTX_free(ctx);
    return total;
}

static void set_lengths(uint8_t *msg, size_t sk_off, size_t total)
{
    test_put_be32(msg + 24, (uint32_t)total);
    test_put_be16(msg + sk_off + 2, (uint16_t)(total - sk_off));
}

static void expect_decrypt_fails(struct ike_sk_ctx *dec, const uint8_t *msg, size_t len,
                                 size_t sk_off, size_t body_off, int want)
{
    g_autofree uint8_t *work = g_malloc(len ? len : 1);
    uint8_t *inner = (uint8_t *)&inner;
    size_t inner_len = 999;

    /* exactly @len bytes, so that ASan sees any read past the message */
    if (len)
        memcpy(work, msg, len);
    g_assert_cmpint(ike_sk_decrypt(dec, work, len, sk_off, body_off, &inner, &inner_len), ==, want);
    g_assert_true(inner == (uint8_t *)&inner);
    g_assert_cmpuint(inner_len, ==, 999);
}

#define MSG_MAX 2048

/* Encrypt @inner, check every byte against the reference, decrypt it back. Returns the length. */
static size_t roundtrip_gap(const struct sk_case *tc, const struct sk_keys *k,
                            struct ike_sk_ctx *enc, struct ike_sk_ctx *dec, size_t sk_off, bool skf,
                            const uint8_t *inner, size_t inner_len, uint8_t *msg, bool gap)
{
    uint8_t ref[MSG_MAX], work[MSG_MAX];
    size_t body_off, len = 0, pad, enc_len, ref_len;
    uint8_t *got = NULL;
    size_t got_len = 0;

    body_off = build_plain(msg, sk_off, skf, inner, inner_len);
    if (gap) {
        /* a builder that reserved the IV room, and some padding room after the inner payloads */
        memmove(msg + body_off + tc->iv_len, msg + body_off, inner_len);
        memset(msg + body_off, 0, tc->iv_len);
        memset(msg + body_off + tc->iv_len + inner_len, 0xee, 20);
        g_assert_cmpint(
            ike_sk_encrypt_after_iv(enc, msg, sk_off, body_off, inner_len, MSG_MAX, &len), ==, 0);
    } else {
        g_assert_cmpint(ike_sk_encrypt(enc, msg, sk_off, body_off, inner_len, MSG_MAX, &len), ==,
                        0);
    }

    /* lengths: the whole message, the SK payload to its end, overhead as announced */
    pad = is_aead(tc) ? 0 : (16 - (inner_len + 1) % 16) % 16;
    enc_len = inner_len + pad + 1;
    g_assert_cmpuint(len, ==, body_off + tc->iv_len + enc_len + tc->icv_len);
    g_assert_cmpuint(len, ==, body_off + inner_len + ike_sk_overhead(enc, inner_len));
    g_assert_cmpuint(test_get_be32(msg + 24), ==, len);
    g_assert_cmpuint(test_get_be16(msg + sk_off + 2), ==, len - sk_off);
    g_assert_cmpuint(enc_len % tc->align, ==, 0);

    /* the same bytes from the reference, given the IV the code chose */
    build_plain(ref, sk_off, skf, inner, inner_len);
    set_lengths(ref, sk_off, len);
    memcpy(ref + body_off, msg + body_off, tc->iv_len);
    memcpy(ref + body_off + tc->iv_len, inner, inner_len);
    memset(ref + body_off + tc->iv_len + inner_len, 0, pad);
    ref[body_off + tc->iv_len + inner_len + pad] = (uint8_t)pad;
    ref_len = ref_seal(tc, k, ref, body_off, enc_len);
    g_assert_cmpmem(msg, len, ref, ref_len);

    memcpy(work, msg, len);
    g_assert_cmpint(ike_sk_decrypt(dec, work, len, sk_off, body_off, &got, &got_len), ==, 0);
    g_assert_true(got == work + body_off + tc->iv_len);
    g_assert_cmpmem(got, got_len, inner, inner_len);
    return len;
}

static size_t roundtrip_one(const struct sk_case *tc, const struct sk_keys *k,
                            struct ike_sk_ctx *enc, struct ike_sk_ctx *dec, size_t sk_off, bool skf,
                            const uint8_t *inner, size_t inner_len, uint8_t *msg)
{
    return roundtrip_gap(tc, k, enc, dec, sk_off, skf, inner, inner_len, msg, false);
}

static void random_keys(const struct sk_case *tc, struct sk_keys *k)
{
    test_random_bytes(k->ekey, sizeof(k->ekey));
    test_random_bytes(k->ikey, sizeof(k->ikey));
}

static void run_sk_roundtrip(gconstpointer data)
{
    const struct sk_case *tc = data;
    static const size_t offs[][2] = {{IKE_HDR_LEN, 0}, {IKE_HDR_LEN + 20, 0}, {IKE_HDR_LEN, 1}};
    struct sk_keys k;
    struct ike_sk_ctx *enc, *dec;
    uint8_t inner[1500], msg[MSG_MAX], prev_iv[16] = {0};

    random_keys(tc, &k);
    test_random_bytes(inner, sizeof(inner));
    enc = sk_ctx(tc, &k, true);
    dec = sk_ctx(tc, &k, false);

    for (size_t o = 0; o < G_N_ELEMENTS(offs); o++) {
        for (size_t n = 0; n <= 70; n++) {
            size_t body_off = offs[o][0] + (offs[o][1] ? 8 : 4);

            roundtrip_one(tc, &k, enc, dec, offs[o][0], offs[o][1], inner, n, msg);
            if (n > 0) {
                /* AEAD: the IV is a counter; CBC: a fresh random block */
                if (is_aead(tc)) {
                    uint8_t want[8];

                    memcpy(want, prev_iv, 8);
                    for (int i = 7; i >= 0; i--)
                        if (++want[i] != 0)
                            break;
                    g_assert_cmpmem(msg + body_off, 8, want, 8);
                } else {
                    g_assert_true(memcmp(msg + body_off, prev_iv, 16) != 0);
                }
            }
            memcpy(prev_iv, msg + body_off, tc->iv_len);
        }
    }
    roundtrip_one(tc, &k, enc, dec, IKE_HDR_LEN, false, inner, sizeof(inner), msg);
    /* the builder variant: plaintext already after a reserved IV gap */
    for (size_t n = 0; n <= 40; n++) {
        roundtrip_gap(tc, &k, enc, dec, IKE_HDR_LEN, false, inner, n, msg, true);
        roundtrip_gap(tc, &k, enc, dec, IKE_HDR_LEN + 16, true, inner, n, msg, true);
    }

    ike_sk_ctx_free(enc);
    ike_sk_ctx_free(dec);
}

/* Every flipped bit, every truncation, every extension: -EBADMSG. */
static void run_sk_tamper(gconstpointer data)
{
    const struct sk_case *tc = data;
    const size_t sk_off = IKE_HDR_LEN + 12, body_off = sk_off + 4;
    struct sk_keys k;
    struct ike_sk_ctx *enc, *dec;
    uint8_t inner[37], msg[MSG_MAX], work[MSG_MAX];
    size_t len;

    random_keys(tc, &k);
    test_random_bytes(inner, sizeof(inner));
    enc = sk_ctx(tc, &k, true);
    dec = sk_ctx(tc, &k, false);
    len = roundtrip_one(tc, &k, enc, dec, sk_off, false, inner, sizeof(inner), msg);

    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(work, msg, len);
            work[i] ^= (uint8_t)(1u << bit);
            expect_decrypt_fails(dec, work, len, sk_off, body_off, -EBADMSG);
        }
    }
    for (size_t l = 0; l < len; l++) {
        /* as received, and with both length fields made to agree with the truncation */
        expect_decrypt_fails(dec, msg, l, sk_off, body_off, -EBADMSG);
        if (l >= body_off) {
            memcpy(work, msg, l);
            set_lengths(work, sk_off, l);
            expect_decrypt_fails(dec, work, l, sk_off, body_off, -EBADMSG);
        }
    }
    for (size_t extra = 1; extra <= 16; extra++) {
        memcpy(work, msg, len);
        memset(work + len, 0, extra);
        set_lengths(work, sk_off, len + extra);
        expect_decrypt_fails(dec, work, len + extra, sk_off, body_off, -EBADMSG);
    }
    /* the untouched message still decrypts: the context survived all that */
    {
        uint8_t *got;
        size_t got_len;

        memcpy(work, msg, len);
        g_assert_cmpint(ike_sk_decrypt(dec, work, len, sk_off, body_off, &got, &got_len), ==, 0);
        g_assert_cmpmem(got, got_len, inner, sizeof(inner));
    }
    ike_sk_ctx_free(enc);
    ike_sk_ctx_free(dec);
}

/* Pad lengths the receiver must accept (any padding) or refuse (longer than the data). */
static void run_sk_padding(gconstpointer data)
{
    const struct sk_case *tc = data;
    const size_t sk_off = IKE_HDR_LEN, body_off = sk_off + 4;
    static const struct {
        size_t inner, pad;
        int pad_len_byte; /* -1: = pad */
        bool ok;
    } cases[] = {
        {0, 15, -1, true},  {1, 14, -1, true},   {1, 30, -1, true},  {3, 28, -1, true},
        {0, 15, 16, false}, {0, 15, 255, false}, {1, 14, 16, false}, {17, 14, 32, false},
        {7, 8, 15, true},   {7, 8, 16, false},   {0, 0, -1, true},   {0, 0, 1, false},
        {5, 0, 5, true},    {5, 0, 6, false},    {2, 3, -1, true},
    };
    struct sk_keys k;
    struct ike_sk_ctx *dec;
    uint8_t inner[64];

    random_keys(tc, &k);
    test_random_bytes(inner, sizeof(inner));
    dec = sk_ctx(tc, &k, false);

    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        size_t enc_len = cases[c].inner + cases[c].pad + 1;
        uint8_t pl =
            cases[c].pad_len_byte < 0 ? (uint8_t)cases[c].pad : (uint8_t)cases[c].pad_len_byte;
        uint8_t msg[MSG_MAX], *pt, *got = NULL;
        size_t total, got_len = 0, want_inner;

        if (enc_len % tc->align)
            continue; /* not a valid CBC length */
        build_plain(msg, sk_off, false, inner, 0);
        test_random_bytes(msg + body_off, tc->iv_len);
        pt = msg + body_off + tc->iv_len;
        memcpy(pt, inner, cases[c].inner);
        test_random_bytes(pt + cases[c].inner, cases[c].pad); /* padding MAY be anything */
        pt[enc_len - 1] = pl;
        total = body_off + tc->iv_len + enc_len + tc->icv_len;
        set_lengths(msg, sk_off, total);
        g_assert_cmpuint(ref_seal(tc, &k, msg, body_off, enc_len), ==, total);

        if (!cases[c].ok) {
            expect_decrypt_fails(dec, msg, total, sk_off, body_off, -EBADMSG);
            continue;
        }
        want_inner = enc_len - 1 - pl;
        g_assert_cmpint(ike_sk_decrypt(dec, msg, total, sk_off, body_off, &got, &got_len), ==, 0);
        g_assert_cmpuint(got_len, ==, want_inner);
        g_assert_cmpmem(got, got_len, inner, want_inner);
    }
    ike_sk_ctx_free(dec);
}

/* RFC 7634 Appendix B: an INFORMATIONAL request with a SET_WINDOW_SIZE notify, ChaCha20-Poly1305.
 */
static void test_sk_kat_rfc7634(void)
{
    static const char *want_hex = "c0c1c2c3c4c5c6c7 d0d1d2d3d4d5d6d7 2e202500 00000009 00000045"
                                  "29000029 1011121314151617"
                                  "610394701f8d017f7c12924889"
                                  "6b71bfe25236efd7cdc67066906315b2";
    static const uint8_t notify[12] = {0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
                                       0x40, 0x01, 0x00, 0x00, 0x00, 0x0a};
    uint8_t key[36], want[128], msg[128], *got = NULL;
    size_t want_len = test_unhex(want_hex, want, sizeof(want)), len = 0, got_len = 0;
    struct ike_sk_ctx *enc = NULL, *dec = NULL;

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(0x80 + i); /* KEYMAT 80..9f, salt a0 a1 a2 a3 */
    g_assert_cmpuint(want_len, ==, 69);

    /* IKE header: SPIs, next payload SK, version 2.0, INFORMATIONAL, no flags, message ID 9 */
    for (int i = 0; i < 8; i++) {
        msg[i] = (uint8_t)(0xc0 + i);
        msg[8 + i] = (uint8_t)(0xd0 + i);
    }
    msg[16] = IKE_PL_SK;
    msg[17] = IKE_VERSION;
    msg[18] = IKE_INFORMATIONAL;
    msg[19] = 0;
    test_put_be32(msg + 20, 9);
    test_put_be32(msg + 24, 0);
    msg[28] = IKE_PL_NOTIFY;
    msg[29] = 0;
    test_put_be16(msg + 30, 0);
    memcpy(msg + 32, notify, sizeof(notify));

    g_assert_cmpint(
        ike_sk_ctx_new(IKE_ENCR_CHACHA20_POLY1305, 0, IKE_INTEG_NONE, key, 36, NULL, 0, true, &enc),
        ==, 0);
    g_assert_cmpint(ike_sk_set_iv_counter(enc, 0x1011121314151617ull), ==, 0);
    g_assert_cmpint(ike_sk_encrypt(enc, msg, 28, 32, sizeof(notify), sizeof(msg), &len), ==, 0);
    g_assert_cmpmem(msg, len, want, want_len);

    /* the same with the IV room reserved by the builder */
    memset(msg + 32, 0, 8);
    memcpy(msg + 40, notify, sizeof(notify));
    test_put_be32(msg + 24, 0);
    test_put_be16(msg + 30, 0);
    g_assert_cmpint(ike_sk_set_iv_counter(enc, 0x1011121314151617ull), ==, 0);
    len = 0;
    g_assert_cmpint(ike_sk_encrypt_after_iv(enc, msg, 28, 32, sizeof(notify), sizeof(msg), &len),
                    ==, 0);
    g_assert_cmpmem(msg, len, want, want_len);

    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE, key, 36, NULL,
                                   0, false, &dec),
                    ==, 0);
    memcpy(msg, want, want_len);
    g_assert_cmpint(ike_sk_decrypt(dec, msg, want_len, 28, 32, &got, &got_len), ==, 0);
    g_assert_cmpmem(got, got_len, notify, sizeof(notify));

    ike_sk_ctx_free(enc);
    ike_sk_ctx_free(dec);
}

static void test_sk_from_keys(void)
{
    static const struct ike_crypto_suite suites_[] = {
        {IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, IKE_PRF_HMAC_SHA2_384},
        {IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256},
    };
    uint8_t skeyseed[48], n[32], spi[8], inner[50];

    test_random_bytes(skeyseed, sizeof(skeyseed));
    test_random_bytes(n, sizeof(n));
    test_random_bytes(spi, sizeof(spi));
    test_random_bytes(inner, sizeof(inner));

    for (size_t s = 0; s < G_N_ELEMENTS(suites_); s++) {
        struct ike_keys *k = NULL;
        struct ike_sk_ctx *i_out, *i_in, *r_out, *r_in;
        uint8_t msg[MSG_MAX], *got;
        size_t len, got_len, body_off;

        g_assert_cmpint(
            ike_keys_derive(&suites_[s], skeyseed, sizeof(skeyseed), n, 32, n, 32, spi, spi, &k),
            ==, 0);
        g_assert_cmpint(ike_sk_ctx_new_from_keys(k, true, true, &i_out), ==, 0);
        g_assert_cmpint(ike_sk_ctx_new_from_keys(k, true, false, &i_in), ==, 0);
        g_assert_cmpint(ike_sk_ctx_new_from_keys(k, false, true, &r_out), ==, 0);
        g_assert_cmpint(ike_sk_ctx_new_from_keys(k, false, false, &r_in), ==, 0);

        /* initiator -> responder: SK_ei/SK_ai */
        body_off = build_plain(msg, IKE_HDR_LEN, false, inner, sizeof(inner));
        g_assert_cmpint(
            ike_sk_encrypt(i_out, msg, IKE_HDR_LEN, body_off, sizeof(inner), MSG_MAX, &len), ==, 0);
        expect_decrypt_fails(i_in, msg, len, IKE_HDR_LEN, body_off, -EBADMSG);
        g_assert_cmpint(ike_sk_decrypt(r_in, msg, len, IKE_HDR_LEN, body_off, &got, &got_len), ==,
                        0);
        g_assert_cmpmem(got, got_len, inner, sizeof(inner));

        /* responder -> initiator: SK_er/SK_ar */
        body_off = build_plain(msg, IKE_HDR_LEN, false, inner, sizeof(inner));
        g_assert_cmpint(
            ike_sk_encrypt(r_out, msg, IKE_HDR_LEN, body_off, sizeof(inner), MSG_MAX, &len), ==, 0);
        expect_decrypt_fails(r_in, msg, len, IKE_HDR_LEN, body_off, -EBADMSG);
        g_assert_cmpint(ike_sk_decrypt(i_in, msg, len, IKE_HDR_LEN, body_off, &got, &got_len), ==,
                        0);
        g_assert_cmpmem(got, got_len, inner, sizeof(inner));

        ike_sk_ctx_free(i_out);
        ike_sk_ctx_free(i_in);
        ike_sk_ctx_free(r_out);
        ike_sk_ctx_free(r_in);
        ike_keys_free(k);
    }
    g_assert_cmpint(ike_sk_ctx_new_from_keys(NULL, true, true, &(struct ike_sk_ctx *){NULL}), ==,
                    -EINVAL);
}

static void test_sk_sizes(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(sk_cases); t++) {
        const struct sk_case *tc = &sk_cases[t];
        struct sk_keys k;
        struct ike_sk_ctx *c;

        random_keys(tc, &k);
        c = sk_ctx(tc, &k, true);
        for (size_t room = 0; room < 200; room++) {
            size_t inner = ike_sk_max_inner(c, room);

            if (room < tc->iv_len + tc->icv_len + tc->align) {
                g_assert_cmpuint(inner, ==, 0);
                continue;
            }
            g_assert_cmpuint(inner + ike_sk_overhead(c, inner), <=, room);
            g_assert_cmpuint(inner + 1 + ike_sk_overhead(c, inner + 1), >, room);
        }
        g_assert_cmpuint(ike_sk_overhead(NULL, 5), ==, 0);
        g_assert_cmpuint(ike_sk_max_inner(NULL, 500), ==, 0);
        ike_sk_ctx_free(c);
    }
    g_assert_cmpuint(ike_sk_iv_len(NULL), ==, 0);
    g_assert_cmpuint(ike_sk_icv_len(NULL), ==, 0);
}

static void test_sk_misuse(void)
{
    const struct sk_case *cbc = &sk_cases[0], *gcm = &sk_cases[6];
    struct sk_keys k;
    struct ike_sk_ctx *enc, *dec, *out = (struct ike_sk_ctx *)&out;
    uint8_t msg[MSG_MAX], copy[MSG_MAX], inner[40], *got = (uint8_t *)&got;
    size_t len = 31337, got_len = 4242, body_off;

    random_keys(cbc, &k);
    test_random_bytes(inner, sizeof(inner));

    /* contexts: wrong key lengths, unsupported or inconsistent transforms */
    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, k.ekey, 32,
                                   k.ikey, 32, true, &out),
                    ==, -EINVAL);
    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, k.ekey, 16,
                                   k.ikey, 48, true, &out),
                    ==, -EINVAL);
    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, k.ekey, 16,
                                   NULL, 32, true, &out),
                    ==, -EINVAL);
    g_assert_cmpint(
        ike_sk_ctx_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_NONE, k.ekey, 16, NULL, 0, true, &out), ==,
        -EINVAL);
    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_HMAC_SHA2_256_128, k.ekey,
                                   20, k.ikey, 32, true, &out),
                    ==, -EINVAL);
    g_assert_cmpint(
        ike_sk_ctx_new(IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, k.ekey, 16, NULL, 0, true, &out),
        ==, -EINVAL);
    g_assert_cmpint(
        ike_sk_ctx_new(IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, k.ekey, 20, k.ikey, 4, true, &out),
        ==, -EINVAL);
    g_assert_cmpint(
        ike_sk_ctx_new(IKE_ENCR_AES_GCM_16, 192, IKE_INTEG_NONE, k.ekey, 28, NULL, 0, true, &out),
        ==, -EOPNOTSUPP);
    g_assert_cmpint(
        ike_sk_ctx_new(3, 0, IKE_INTEG_HMAC_SHA2_256_128, k.ekey, 24, k.ikey, 32, true, &out), ==,
        -EOPNOTSUPP);
    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_CBC, 128, 2, k.ekey, 16, k.ikey, 20, true, &out),
                    ==, -EOPNOTSUPP);
    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, NULL, 16,
                                   k.ikey, 32, true, &out),
                    ==, -EINVAL);
    g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, k.ekey, 16,
                                   k.ikey, 32, true, NULL),
                    ==, -EINVAL);
    g_assert_true(out == (struct ike_sk_ctx *)&out);

    enc = sk_ctx(cbc, &k, true);
    dec = sk_ctx(cbc, &k, false);

    /* wrong direction, bad offsets, no room, too big: nothing written */
    body_off = build_plain(msg, IKE_HDR_LEN, false, inner, sizeof(inner));
    memcpy(copy, msg, MSG_MAX);
    g_assert_cmpint(ike_sk_encrypt(dec, msg, IKE_HDR_LEN, body_off, 40, MSG_MAX, &len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN - 1, body_off, 40, MSG_MAX, &len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN, IKE_HDR_LEN + 3, 40, MSG_MAX, &len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_encrypt(enc, NULL, IKE_HDR_LEN, body_off, 40, MSG_MAX, &len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN, body_off, 40, MSG_MAX, NULL), ==,
                    -EINVAL);
    /* 32 + 16 IV + 48 padded + 16 ICV = 112 bytes needed */
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN, body_off, 40, 111, &len), ==, -ENOSPC);
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN, body_off, 65535 - 32 - 40, 1 << 20, &len),
                    ==, -EMSGSIZE);
    g_assert_cmpmem(msg, MSG_MAX, copy, MSG_MAX);
    g_assert_cmpuint(len, ==, 31337);
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN, body_off, 40, 112, &len), ==, 0);
    g_assert_cmpuint(len, ==, 112);

    /* decrypt: wrong direction, bad offsets */
    g_assert_cmpint(ike_sk_decrypt(enc, msg, len, IKE_HDR_LEN, body_off, &got, &got_len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_decrypt(dec, msg, len, IKE_HDR_LEN - 1, body_off, &got, &got_len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_decrypt(dec, msg, len, IKE_HDR_LEN, IKE_HDR_LEN + 2, &got, &got_len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_decrypt(dec, msg, len, IKE_HDR_LEN, body_off, NULL, &got_len), ==,
                    -EINVAL);
    g_assert_cmpint(ike_sk_decrypt(dec, msg, len, IKE_HDR_LEN, body_off, &got, NULL), ==, -EINVAL);
    /* a body offset that is not where the parser found it */
    expect_decrypt_fails(dec, msg, len, IKE_HDR_LEN, body_off + 4, -EBADMSG);
    g_assert_true(got == (uint8_t *)&got);
    g_assert_cmpuint(got_len, ==, 4242);
    g_assert_cmpint(ike_sk_decrypt(dec, msg, len, IKE_HDR_LEN, body_off, &got, &got_len), ==, 0);
    g_assert_cmpmem(got, got_len, inner, sizeof(inner));

    /* the IV counter: CBC has none; AEAD refuses to wrap */
    g_assert_cmpint(ike_sk_set_iv_counter(enc, 1), ==, -EINVAL);
    g_assert_cmpint(ike_sk_set_iv_counter(NULL, 1), ==, -EINVAL);
    ike_sk_ctx_free(enc);
    ike_sk_ctx_free(dec);

    random_keys(gcm, &k);
    enc = sk_ctx(gcm, &k, true);
    dec = sk_ctx(gcm, &k, false);
    g_assert_cmpint(ike_sk_set_iv_counter(dec, 1), ==, -EINVAL);
    g_assert_cmpint(ike_sk_set_iv_counter(enc, UINT64_MAX), ==, 0);
    body_off = build_plain(msg, IKE_HDR_LEN, false, inner, sizeof(inner));
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN, body_off, 40, MSG_MAX, &len), ==, 0);
    g_assert_cmpmem(msg + body_off, 8, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    body_off = build_plain(msg, IKE_HDR_LEN, false, inner, sizeof(inner));
    g_assert_cmpint(ike_sk_encrypt(enc, msg, IKE_HDR_LEN, body_off, 40, MSG_MAX, &len), ==,
                    -EOVERFLOW);
    ike_sk_ctx_free(enc);
    ike_sk_ctx_free(dec);
    ike_sk_ctx_free(NULL);
}

/* Keyed once per SA: AEAD messages allocate nothing in OpenSSL, CBC only HMAC's own copies. */
static void test_sk_no_alloc_per_message(void)
{
    g_assert_true(test_mem_hooks_installed());

    for (size_t t = 0; t < G_N_ELEMENTS(sk_cases); t++) {
        const struct sk_case *tc = &sk_cases[t];
        struct sk_keys k;
        struct ike_sk_ctx *enc, *dec;
        uint8_t msg[MSG_MAX], inner[100], *got;
        size_t len, got_len, body_off;
        int a0, f0, a1, f1;

        random_keys(tc, &k);
        test_random_bytes(inner, sizeof(inner));
        enc = sk_ctx(tc, &k, true);
        dec = sk_ctx(tc, &k, false);
        test_mem_counts(&a0, &f0);
        for (int n = 0; n < 32; n++) {
            body_off = build_plain(msg, IKE_HDR_LEN, false, inner, sizeof(inner));
            g_assert_cmpint(
                ike_sk_encrypt(enc, msg, IKE_HDR_LEN, body_off, sizeof(inner), MSG_MAX, &len), ==,
                0);
            g_assert_cmpint(ike_sk_decrypt(dec, msg, len, IKE_HDR_LEN, body_off, &got, &got_len),
                            ==, 0);
        }
        test_mem_counts(&a1, &f1);
        if (is_aead(tc))
            g_assert_cmpint(a1 - a0, ==, 0);
        else
            g_assert_cmpint(a1 - a0, <=, 32 * 2 * 2);
        g_assert_cmpint(a1 - a0, ==, f1 - f0);
        ike_sk_ctx_free(enc);
        ike_sk_ctx_free(dec);
    }
}

/* ---------------------------------------------------------------------------------------------
 * AUTH
 */

static void ref_auth(const char *digest, const uint8_t *secret, size_t secret_len,
                     const uint8_t *so, size_t so_len, uint8_t *out)
{
    uint8_t inner[EVP_MAX_MD_SIZE];
    size_t inner_len;

    inner_len =
        ref_hmac(digest, secret, secret_len, (const uint8_t *)"Key Pad for IKEv2", 17, inner);
    ref_hmac(digest, inner, inner_len, so, so_len, out);
}

static void test_auth(void)
{
    uint8_t msg[300], nonce[32], sk_p[64], id[4 + 15], psk[23], msk[64];

    test_random_bytes(msg, sizeof(msg));
    test_random_bytes(nonce, sizeof(nonce));
    test_random_bytes(sk_p, sizeof(sk_p));
    test_random_bytes(psk, sizeof(psk));
    test_random_bytes(msk, sizeof(msk));
    id[0] = IKE_ID_FQDN;
    id[1] = id[2] = id[3] = 0;
    memcpy(id + 4, "vpn.example.org", 15);

    for (size_t p = 0; p < G_N_ELEMENTS(prfs); p++) {
        size_t h = prfs[p].len;
        uint8_t *so = NULL, want_id[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
        uint8_t auth[IKE_PRF_MAX_LEN], auth2[IKE_PRF_MAX_LEN];
        size_t so_len = 0;

        /* SignedOctets = RealMessage | Nonce | prf(SK_p, RestOfIDPayload) */
        g_assert_cmpint(ike_signed_octets(prfs[p].id, msg, sizeof(msg), nonce, sizeof(nonce), sk_p,
                                          h, id, sizeof(id), &so, &so_len),
                        ==, 0);
        g_assert_cmpuint(so_len, ==, sizeof(msg) + sizeof(nonce) + h);
        g_assert_cmpmem(so, sizeof(msg), msg, sizeof(msg));
        g_assert_cmpmem(so + sizeof(msg), sizeof(nonce), nonce, sizeof(nonce));
        ref_hmac(prfs[p].digest, sk_p, h, id, sizeof(id), want_id);
        g_assert_cmpmem(so + sizeof(msg) + sizeof(nonce), h, want_id, h);

        /* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), SignedOctets) */
        ref_auth(prfs[p].digest, psk, sizeof(psk), so, so_len, want);
        g_assert_cmpint(ike_auth_psk(prfs[p].id, psk, sizeof(psk), so, so_len, auth), ==, 0);
        g_assert_cmpmem(auth, h, want, h);
        g_assert_cmpint(ike_auth_verify(want, h, auth, h), ==, 0);
        g_assert_cmpint(ike_auth_psk_verify(prfs[p].id, psk, sizeof(psk), so, so_len, auth, h), ==,
                        0);
        for (size_t i = 0; i < h; i++) {
            auth[i] ^= 0x20;
            g_assert_cmpint(ike_auth_verify(want, h, auth, h), ==, -EBADMSG);
            g_assert_cmpint(ike_auth_psk_verify(prfs[p].id, psk, sizeof(psk), so, so_len, auth, h),
                            ==, -EBADMSG);
            auth[i] ^= 0x20;
        }
        g_assert_cmpint(ike_auth_verify(want, h, auth, h - 1), ==, -EBADMSG);
        g_assert_cmpint(ike_auth_verify(want, h, auth, 0), ==, -EBADMSG);
        g_assert_cmpint(ike_auth_psk_verify(prfs[p].id, psk, sizeof(psk), so, so_len, auth, h + 1),
                        ==, -EBADMSG);
        g_assert_cmpint(ike_auth_psk_verify(prfs[p].id, psk, sizeof(psk) - 1, so, so_len, auth, h),
                        ==, -EBADMSG);

        /* EAP (RFC 7296 2.16): the MSK when there is one, else SK_p */
        g_assert_cmpint(ike_auth_eap(prfs[p].id, msk, sizeof(msk), sk_p, h, so, so_len, auth), ==,
                        0);
        ref_auth(prfs[p].digest, msk, sizeof(msk), so, so_len, want);
        g_assert_cmpmem(auth, h, want, h);
        g_assert_cmpint(ike_auth_psk(prfs[p].id, msk, sizeof(msk), so, so_len, auth2), ==, 0);
        g_assert_cmpmem(auth, h, auth2, h);
        g_assert_cmpint(ike_auth_eap(prfs[p].id, NULL, 0, sk_p, h, so, so_len, auth), ==, 0);
        ref_auth(prfs[p].digest, sk_p, h, so, so_len, want);
        g_assert_cmpmem(auth, h, want, h);
        g_assert_cmpint(ike_auth_eap(prfs[p].id, msk, 0, sk_p, h, so, so_len, auth2), ==, 0);
        g_assert_cmpmem(auth, h, auth2, h);

        uip_free_secret(so, so_len);
    }

    /* misuse */
    {
        uint8_t *so = (uint8_t *)&so, auth[IKE_PRF_MAX_LEN];
        size_t so_len = 55;

        g_assert_cmpint(ike_signed_octets(IKE_PRF_HMAC_SHA2_256, msg, sizeof(msg), nonce, 32, sk_p,
                                          32, id, 3, &so, &so_len),
                        ==, -EINVAL);
        g_assert_cmpint(ike_signed_octets(2, msg, sizeof(msg), nonce, 32, sk_p, 32, id, sizeof(id),
                                          &so, &so_len),
                        ==, -EINVAL);
        g_assert_cmpint(ike_signed_octets(IKE_PRF_HMAC_SHA2_256, msg, 0, nonce, 32, sk_p, 32, id,
                                          sizeof(id), &so, &so_len),
                        ==, -EINVAL);
        g_assert_cmpint(ike_signed_octets(IKE_PRF_HMAC_SHA2_256, msg, sizeof(msg), NULL, 32, sk_p,
                                          32, id, sizeof(id), &so, &so_len),
                        ==, -EINVAL);
        g_assert_cmpint(ike_signed_octets(IKE_PRF_HMAC_SHA2_256, msg, sizeof(msg), nonce, 32, NULL,
                                          32, id, sizeof(id), &so, &so_len),
                        ==, -EINVAL);
        g_assert_cmpint(ike_signed_octets(IKE_PRF_HMAC_SHA2_256, msg, sizeof(msg), nonce, 32, sk_p,
                                          32, id, sizeof(id), NULL, &so_len),
                        ==, -EINVAL);
        g_assert_true(so == (uint8_t *)&so);
        g_assert_cmpuint(so_len, ==, 55);
        g_assert_cmpint(ike_auth_psk(IKE_PRF_HMAC_SHA2_256, psk, 0, msg, 10, auth), ==, -EINVAL);
        g_assert_cmpint(ike_auth_psk(IKE_PRF_HMAC_SHA2_256, NULL, 5, msg, 10, auth), ==, -EINVAL);
        g_assert_cmpint(ike_auth_psk(IKE_PRF_HMAC_SHA2_256, psk, 5, NULL, 10, auth), ==, -EINVAL);
        g_assert_cmpint(ike_auth_psk(IKE_PRF_HMAC_SHA2_256, psk, 5, msg, 10, NULL), ==, -EINVAL);
        g_assert_cmpint(ike_auth_psk(9, psk, 5, msg, 10, auth), ==, -EINVAL);
        g_assert_cmpint(ike_auth_eap(IKE_PRF_HMAC_SHA2_256, NULL, 0, NULL, 0, msg, 10, auth), ==,
                        -EINVAL);
        g_assert_cmpint(ike_auth_verify(NULL, 0, NULL, 0), ==, -EBADMSG);
    }
}

/* ---------------------------------------------------------------------------------------------
 * OpenSSL allocation failures: an error code, untouched out-parameters, no leak
 */

static void test_alloc_failures(void)
{
    const struct ike_crypto_suite suite = {IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192,
                                           IKE_PRF_HMAC_SHA2_384};
    uint8_t b[64];
    bool completed = false;

    g_assert_true(test_mem_hooks_installed());
    test_random_bytes(b, sizeof(b));

    /* once for real first: provider loading and algorithm caches are not under test */
    {
        struct ike_keys *k = NULL;
        struct ike_child_keys *ck = NULL;
        struct ike_sk_ctx *c = NULL;

        g_assert_cmpint(ike_keys_derive(&suite, b, 48, b, 32, b, 32, b, b, &k), ==, 0);
        g_assert_cmpint(
            ike_child_keys_derive(IKE_PRF_HMAC_SHA2_384, b, 48, b, 32, b, 32, b, 32, 32, 48, &ck),
            ==, 0);
        g_assert_cmpint(ike_sk_ctx_new(IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, b, 32, b,
                                       48, true, &c),
                        ==, 0);
        ike_keys_free(k);
        ike_child_keys_free(ck);
        ike_sk_ctx_free(c);
    }

    /* leaks on the error paths show in the ASan build */
    for (int n = 1; !completed; n++) {
        struct ike_keys *k = (struct ike_keys *)&k;
        struct ike_child_keys *ck = (struct ike_child_keys *)&ck;
        struct ike_sk_ctx *c = (struct ike_sk_ctx *)&c;
        uint8_t so_auth[IKE_PRF_MAX_LEN];
        uint8_t *so = (uint8_t *)&so;
        size_t so_len = 3;
        int r1, r2, r3, r4;

        g_assert_cmpint(n, <, 2000);
        test_mem_fail_after(n);
        r1 = ike_keys_derive(&suite, b, 48, b, 32, b, 32, b, b, &k);
        r2 = ike_child_keys_derive(IKE_PRF_HMAC_SHA2_384, b, 48, b, 32, b, 32, b, 32, 32, 48, &ck);
        r3 = ike_sk_ctx_new(IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, b, 32, b, 48, true,
                            &c);
        r4 = ike_signed_octets(IKE_PRF_HMAC_SHA2_384, b, 64, b, 32, b, 48, b, 20, &so, &so_len);
        if (r4 == 0)
            r4 = ike_auth_psk(IKE_PRF_HMAC_SHA2_384, b, 16, so, so_len, so_auth);
        completed = test_mem_fail_cancel();

        if (r1 < 0)
            g_assert_true(k == (struct ike_keys *)&k);
        else
            ike_keys_free(k);
        if (r2 < 0)
            g_assert_true(ck == (struct ike_child_keys *)&ck);
        else
            ike_child_keys_free(ck);
        if (r3 < 0)
            g_assert_true(c == (struct ike_sk_ctx *)&c);
        else
            ike_sk_ctx_free(c);
        if (so != (uint8_t *)&so)
            uip_free_secret(so, so_len);
        g_assert_true(r1 == 0 || r1 == -ENOMEM || r1 == -EIO);
        g_assert_true(r2 == 0 || r2 == -ENOMEM || r2 == -EIO);
        g_assert_true(r3 == 0 || r3 == -ENOMEM || r3 == -EIO);
        g_assert_true(r4 == 0 || r4 == -ENOMEM || r4 == -EIO);
        if (completed)
            g_assert_true(r1 == 0 && r2 == 0 && r3 == 0 && r4 == 0);
        ERR_clear_error();
    }
}

int main(int argc, char **argv)
{
    /* Before OpenSSL's first allocation, or it refuses. */
    test_mem_hooks_install();

    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/ike-crypto/prf/kat-rfc4231", test_prf_kat);
    g_test_add_func("/ike-crypto/prf/misuse", test_prf_misuse);
    g_test_add_func("/ike-crypto/prf-plus", test_prf_plus);
    g_test_add_func("/ike-crypto/keys/kat-sp800-135-ikev2", test_cavs_ikev2_kdf);
    g_test_add_func("/ike-crypto/keys/all-suites", test_keys_all_suites);
    g_test_add_func("/ike-crypto/keys/suite-check", test_suite_check);
    g_test_add_func("/ike-crypto/keys/misuse", test_keys_misuse);
    g_test_add_func("/ike-crypto/child-keys", test_child_keys);
    g_test_add_func("/ike-crypto/sk/kat-rfc7634-b", test_sk_kat_rfc7634);
    for (size_t t = 0; t < G_N_ELEMENTS(sk_cases); t++) {
        g_autofree char *rt = g_strdup_printf("/ike-crypto/sk/roundtrip/%s", sk_cases[t].name);
        g_autofree char *tp = g_strdup_printf("/ike-crypto/sk/tamper/%s", sk_cases[t].name);
        g_autofree char *pd = g_strdup_printf("/ike-crypto/sk/padding/%s", sk_cases[t].name);

        g_test_add_data_func(rt, &sk_cases[t], run_sk_roundtrip);
        g_test_add_data_func(tp, &sk_cases[t], run_sk_tamper);
        g_test_add_data_func(pd, &sk_cases[t], run_sk_padding);
    }
    g_test_add_func("/ike-crypto/sk/from-keys", test_sk_from_keys);
    g_test_add_func("/ike-crypto/sk/sizes", test_sk_sizes);
    g_test_add_func("/ike-crypto/sk/misuse", test_sk_misuse);
    g_test_add_func("/ike-crypto/sk/no-alloc-per-message", test_sk_no_alloc_per_message);
    g_test_add_func("/ike-crypto/auth", test_auth);
    g_test_add_func("/ike-crypto/alloc-failures", test_alloc_failures);

    return g_test_run();
}
