/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKEv2 PRF, key derivation, SK payload protection and AUTH computation,
 * through OpenSSL 3 EVP (EVP_MAC "HMAC", EVP_CIPHER AES-CBC / AES-GCM /
 * ChaCha20-Poly1305).
 *
 * Keys: g^ir (dh.c) -> ike_skeyseed() -> ike_keys_derive() -> struct ike_keys
 *       -> ike_sk_ctx_new_from_keys() (one keyed context per direction) and
 *       SK_d -> ike_child_keys_derive() -> ESP engine KEYMAT.
 * Out:  the message builder lays out header + SK header + inner payloads
 *       (right after the SK header, or after a reserved IV gap);
 *       ike_sk_encrypt() / ike_sk_encrypt_after_iv() writes the IV, pads,
 *       fixes both length fields, encrypts in place and appends the ICV.
 * In:   the parser locates the SK payload; ike_sk_decrypt() checks lengths,
 *       verifies the ICV (CBC: constant-time compare before decrypting; AEAD:
 *       the tag), decrypts in place and returns the inner payloads without
 *       padding, for the parser's second pass.
 * AUTH: ike_signed_octets() + ike_auth_psk() / ike_auth_eap(), compared with
 *       ike_auth_verify() (CRYPTO_memcmp).
 *
 * Secrets live in OpenSSL contexts (cleansed on free) or in buffers wiped
 * with uip_wipe() / uip_free_secret() when dropped.  Nothing is logged here.
 */
#include "ike/ike-crypto.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <glib.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"
#include "ike/dh.h"
#include "ike/ike-types.h"

#define AEAD_SALT_LEN  4
#define AEAD_IV_LEN    8  /* RFC 5282, RFC 7634 */
#define AEAD_NONCE_LEN 12 /* salt || IV */
#define AEAD_ICV_LEN   16
#define CBC_BLOCK      16

#define KEY_PAD     "Key Pad for IKEv2" /* RFC 7296 2.15, 17 octets, no NUL */
#define KEY_PAD_LEN (sizeof(KEY_PAD) - 1)

/* ---- transform tables ------------------------------------------------------------------- */

struct prf_info {
    uint16_t id;
    const char *digest; /* OpenSSL digest name */
    uint8_t len;        /* output length = preferred key length */
};

static const struct prf_info prf_table[] = {
    {IKE_PRF_HMAC_SHA2_256, "SHA256", 32},
    {IKE_PRF_HMAC_SHA2_384, "SHA384", 48},
    {IKE_PRF_HMAC_SHA2_512, "SHA512", 64},
};

struct integ_info {
    uint16_t id;
    const char *digest;
    uint8_t key_len; /* RFC 4868 2.1.1 */
    uint8_t icv_len; /* RFC 4868 2.3: half the output */
};

static const struct integ_info integ_table[] = {
    {IKE_INTEG_HMAC_SHA2_256_128, "SHA256", 32, 16},
    {IKE_INTEG_HMAC_SHA2_384_192, "SHA384", 48, 24},
    {IKE_INTEG_HMAC_SHA2_512_256, "SHA512", 64, 32},
};

struct encr_info {
    uint16_t id;
    uint16_t keylen_bits; /* required attribute value, 0 = none allowed */
    const char *ossl;
    uint8_t key_len;  /* cipher key without salt */
    uint8_t salt_len; /* AEAD */
    uint8_t iv_len;   /* on the wire */
    uint8_t icv_len;  /* AEAD tag; 0 = from the INTEG transform */
    uint8_t align;    /* inner + padding + pad length multiple */
    bool aead;
};

static const struct encr_info encr_table[] = {
    {IKE_ENCR_AES_CBC, 128, "AES-128-CBC", 16, 0, CBC_BLOCK, 0, CBC_BLOCK, false},
    {IKE_ENCR_AES_CBC, 256, "AES-256-CBC", 32, 0, CBC_BLOCK, 0, CBC_BLOCK, false},
    /* RFC 5282: no alignment needed, so no padding is sent */
    {IKE_ENCR_AES_GCM_16, 128, "AES-128-GCM", 16, AEAD_SALT_LEN, AEAD_IV_LEN, AEAD_ICV_LEN, 1,
     true},
    {IKE_ENCR_AES_GCM_16, 256, "AES-256-GCM", 32, AEAD_SALT_LEN, AEAD_IV_LEN, AEAD_ICV_LEN, 1,
     true},
    /* RFC 7634: no Key Length attribute (256 accepted too) */
    {IKE_ENCR_CHACHA20_POLY1305, 0, "ChaCha20-Poly1305", 32, AEAD_SALT_LEN, AEAD_IV_LEN,
     AEAD_ICV_LEN, 1, true},
};

void ike_crypto_warm_up(void)
{
    uint8_t b;

    EVP_MAC_free(EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL));
    for (size_t k = 0; k < G_N_ELEMENTS(prf_table); k++)
        EVP_MD_free(EVP_MD_fetch(NULL, prf_table[k].digest, NULL));
    for (size_t k = 0; k < G_N_ELEMENTS(integ_table); k++)
        EVP_MD_free(EVP_MD_fetch(NULL, integ_table[k].digest, NULL));
    for (size_t k = 0; k < G_N_ELEMENTS(encr_table); k++)
        EVP_CIPHER_free(EVP_CIPHER_fetch(NULL, encr_table[k].ossl, NULL));
    if (RAND_bytes(&b, 1) != 1) /* instantiates the DRBG; a failure shows again where it matters */
        return;
    ike_dh_warm_up();
}

static const struct prf_info *prf_info(uint16_t prf)
{
    for (size_t k = 0; k < G_N_ELEMENTS(prf_table); k++)
        if (prf_table[k].id == prf)
            return &prf_table[k];
    return NULL;
}

static const struct integ_info *integ_info(uint16_t integ)
{
    for (size_t k = 0; k < G_N_ELEMENTS(integ_table); k++)
        if (integ_table[k].id == integ)
            return &integ_table[k];
    return NULL;
}

static const struct encr_info *encr_info(uint16_t encr, uint16_t keylen_bits)
{
    if (encr == IKE_ENCR_CHACHA20_POLY1305 && keylen_bits == 256)
        keylen_bits = 0;
    for (size_t k = 0; k < G_N_ELEMENTS(encr_table); k++)
        if (encr_table[k].id == encr && encr_table[k].keylen_bits == keylen_bits)
            return &encr_table[k];
    return NULL;
}

size_t ike_prf_len(uint16_t prf)
{
    const struct prf_info *p = prf_info(prf);

    return p ? p->len : 0;
}

bool ike_prf_supported(uint16_t prf)
{
    return prf_info(prf) != NULL;
}

/* Transforms of a suite; -EOPNOTSUPP for unknown IDs, -EINVAL for a bad combination. */
static int suite_info(const struct ike_crypto_suite *s, const struct encr_info **e,
                      const struct integ_info **i, const struct prf_info **p)
{
    if (!s)
        return -EINVAL;
    *e = encr_info(s->encr, s->encr_keylen);
    *p = prf_info(s->prf);
    *i = s->integ == IKE_INTEG_NONE ? NULL : integ_info(s->integ);
    if (!*e || !*p || (s->integ != IKE_INTEG_NONE && !*i))
        return -EOPNOTSUPP;
    /* RFC 5282 / RFC 7634: an AEAD comes without INTEG; CBC needs one. */
    if ((*e)->aead != (*i == NULL))
        return -EINVAL;
    return 0;
}

int ike_crypto_suite_check(const struct ike_crypto_suite *s)
{
    const struct encr_info *e;
    const struct integ_info *i;
    const struct prf_info *p;

    return suite_info(s, &e, &i, &p);
}

/* ---- HMAC ------------------------------------------------------------------------------- */

struct part {
    const uint8_t *ptr;
    size_t len;
};

/* A keyed HMAC context for @digest. */
static int hmac_new(const char *digest, const uint8_t *key, size_t key_len, EVP_MAC_CTX **out)
{
    OSSL_PARAM params[2];
    EVP_MAC_CTX *ctx;
    EVP_MAC *mac;

    mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (!mac)
        return -EIO;
    ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (!ctx)
        return -ENOMEM;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, key_len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return -EIO;
    }
    *out = ctx;
    return 0;
}

/* One MAC over the concatenation of @parts, with the already keyed @ctx; @out_len bytes out. */
static int hmac_parts(EVP_MAC_CTX *ctx, bool first, const struct part *parts, size_t n,
                      uint8_t *out, size_t out_len)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    size_t md_len;
    int r = -EIO;

    /* The first use is already initialised; later ones restart with the same key. */
    if (!first && EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
        return -EIO;
    for (size_t k = 0; k < n; k++)
        if (parts[k].len && EVP_MAC_update(ctx, parts[k].ptr, parts[k].len) != 1)
            return -EIO;
    if (EVP_MAC_final(ctx, md, &md_len, sizeof(md)) == 1 && md_len >= out_len) {
        memcpy(out, md, out_len);
        r = 0;
    }
    uip_wipe(md, sizeof(md));
    return r;
}

static bool parts_valid(const struct part *parts, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!parts[k].ptr && parts[k].len)
            return false;
    return true;
}

/* out (p->len bytes) = prf(key, parts...) */
static int prf_parts(const struct prf_info *p, const uint8_t *key, size_t key_len,
                     const struct part *parts, size_t n, uint8_t *out)
{
    uint8_t tmp[IKE_PRF_MAX_LEN];
    EVP_MAC_CTX *ctx;
    int r;

    if (!key || !key_len || !out || !parts_valid(parts, n))
        return -EINVAL;
    r = hmac_new(p->digest, key, key_len, &ctx);
    if (r < 0)
        return r;
    r = hmac_parts(ctx, true, parts, n, tmp, p->len);
    EVP_MAC_CTX_free(ctx);
    if (r == 0)
        memcpy(out, tmp, p->len);
    uip_wipe(tmp, sizeof(tmp));
    return r;
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
            uint8_t *out)
{
    const struct prf_info *p = prf_info(prf);
    struct part parts[] = {{data, data_len}};

    if (!p)
        return -EINVAL;
    return prf_parts(p, key, key_len, parts, G_N_ELEMENTS(parts), out);
}

/* prf+ (RFC 7296 2.13) over the concatenated seed @parts; @out_len bytes into @out. */
static int prf_plus_parts(const struct prf_info *p, const uint8_t *key, size_t key_len,
                          const struct part *seed, size_t n_seed, uint8_t *out, size_t out_len)
{
    struct part parts[8];
    uint8_t t[IKE_PRF_MAX_LEN];
    uint8_t counter;
    uint8_t *buf;
    EVP_MAC_CTX *ctx = NULL;
    size_t done = 0;
    int r;

    if (!key || !key_len || !out || !out_len || n_seed + 2 > G_N_ELEMENTS(parts) ||
        !parts_valid(seed, n_seed))
        return -EINVAL;
    if (out_len > (size_t)IKE_PRF_PLUS_MAX_ITER * p->len)
        return -EINVAL;

    buf = g_try_malloc(out_len);
    if (!buf)
        return -ENOMEM;
    r = hmac_new(p->digest, key, key_len, &ctx);
    if (r < 0)
        goto out;

    /* Tn = prf(K, Tn-1 | S | n), T0 empty; the counter is a single octet 0x01..0xff */
    for (unsigned iter = 1; done < out_len; iter++) {
        size_t n = 0, take;

        if (iter > 1)
            parts[n++] = (struct part){t, p->len};
        for (size_t k = 0; k < n_seed; k++)
            parts[n++] = seed[k];
        counter = (uint8_t)iter;
        parts[n++] = (struct part){&counter, 1};
        r = hmac_parts(ctx, iter == 1, parts, n, t, p->len);
        if (r < 0)
            goto out;
        take = MIN((size_t)p->len, out_len - done);
        memcpy(buf + done, t, take);
        done += take;
    }
    memcpy(out, buf, out_len);
    r = 0;
out:
    EVP_MAC_CTX_free(ctx);
    uip_wipe(t, sizeof(t));
    uip_free_secret(buf, out_len);
    return r;
}

int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
                 size_t seed_len, uint8_t *out, size_t out_len)
{
    const struct prf_info *p = prf_info(prf);
    struct part parts[] = {{seed, seed_len}};

    if (!p)
        return -EINVAL;
    return prf_plus_parts(p, key, key_len, parts, G_N_ELEMENTS(parts), out, out_len);
}

/* ---- IKE SA keys ------------------------------------------------------------------------ */

int ike_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                 const uint8_t *gir, size_t gir_len, uint8_t *skeyseed)
{
    const struct prf_info *p = prf_info(prf);
    uint8_t *nonces;
    struct part data[] = {{gir, gir_len}};
    int r;

    if (!p || !ni || !ni_len || !nr || !nr_len || !gir || !gir_len || !skeyseed)
        return -EINVAL;
    /* The PRF key is Ni | Nr: concatenate (not secret, but wiped with the rest). */
    nonces = g_try_malloc(ni_len + nr_len);
    if (!nonces)
        return -ENOMEM;
    memcpy(nonces, ni, ni_len);
    memcpy(nonces + ni_len, nr, nr_len);
    r = prf_parts(p, nonces, ni_len + nr_len, data, G_N_ELEMENTS(data), skeyseed);
    uip_free_secret(nonces, ni_len + nr_len);
    return r;
}

int ike_skeyseed_rekey(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
                       const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
                       const uint8_t *nr, size_t nr_len, uint8_t *skeyseed)
{
    const struct prf_info *p = prf_info(old_prf);
    struct part data[] = {{gir, gir_len}, {ni, ni_len}, {nr, nr_len}};

    if (!p || !gir || !gir_len || !ni || !ni_len || !nr || !nr_len)
        return -EINVAL;
    return prf_parts(p, old_sk_d, old_sk_d_len, data, G_N_ELEMENTS(data), skeyseed);
}

/* Copy the next @len bytes of a key stream; returns the position after them. */
static const uint8_t *take(uint8_t *dst, const uint8_t *pos, size_t len)
{
    memcpy(dst, pos, len);
    return pos + len;
}

int ike_keys_derive(const struct ike_crypto_suite *s, const uint8_t *skeyseed, size_t skeyseed_len,
                    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                    const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
                    struct ike_keys **out)
{
    const struct encr_info *e;
    const struct integ_info *i;
    const struct prf_info *p;
    struct part seed[] = {{ni, ni_len}, {nr, nr_len}, {spi_i, IKE_SPI_LEN}, {spi_r, IKE_SPI_LEN}};
    struct ike_keys *k;
    uint8_t *stream;
    const uint8_t *pos;
    size_t total;
    int r;

    r = suite_info(s, &e, &i, &p);
    if (r < 0)
        return r;
    if (!skeyseed || !skeyseed_len || !ni || !ni_len || !nr || !nr_len || !spi_i || !spi_r || !out)
        return -EINVAL;

    k = g_try_new0(struct ike_keys, 1);
    if (!k)
        return -ENOMEM;
    k->suite = *s;
    k->sk_d_len = p->len;
    k->sk_a_len = i ? i->key_len : 0;
    k->sk_e_len = (size_t)e->key_len + e->salt_len;
    k->sk_p_len = p->len;
    total = k->sk_d_len + 2 * k->sk_a_len + 2 * k->sk_e_len + 2 * k->sk_p_len;

    stream = g_try_malloc(total);
    if (!stream) {
        ike_keys_free(k);
        return -ENOMEM;
    }
    r = prf_plus_parts(p, skeyseed, skeyseed_len, seed, G_N_ELEMENTS(seed), stream, total);
    if (r < 0)
        goto out;

    /* RFC 7296 2.14: taken in order SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr */
    pos = stream;
    pos = take(k->sk_d, pos, k->sk_d_len);
    pos = take(k->sk_ai, pos, k->sk_a_len);
    pos = take(k->sk_ar, pos, k->sk_a_len);
    pos = take(k->sk_ei, pos, k->sk_e_len);
    pos = take(k->sk_er, pos, k->sk_e_len);
    pos = take(k->sk_pi, pos, k->sk_p_len);
    take(k->sk_pr, pos, k->sk_p_len);
    *out = k;
    k = NULL;
out:
    uip_free_secret(stream, total);
    ike_keys_free(k);
    return r;
}

void ike_keys_free(struct ike_keys *k)
{
    uip_free_secret(k, sizeof(*k));
}

/* ---- CHILD_SA keys ---------------------------------------------------------------------- */

int ike_child_keys_derive(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *gir,
                          size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                          size_t nr_len, size_t encr_len, size_t integ_len,
                          struct ike_child_keys **out)
{
    const struct prf_info *p = prf_info(prf);
    struct part seed[] = {{gir, gir_len}, {ni, ni_len}, {nr, nr_len}};
    struct ike_child_keys *k;
    size_t dir, total;
    int r;

    if (!p || !sk_d || !sk_d_len || (!gir && gir_len) || !ni || !ni_len || !nr || !nr_len || !out)
        return -EINVAL;
    if (encr_len > SIZE_MAX / 4 || integ_len > SIZE_MAX / 4)
        return -EINVAL;
    dir = encr_len + integ_len;
    total = 2 * dir;
    if (!dir || total > (size_t)IKE_PRF_PLUS_MAX_ITER * p->len)
        return -EINVAL;

    k = g_try_malloc0(sizeof(*k) + total);
    if (!k)
        return -ENOMEM;
    /* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (RFC 7296 2.17); an empty g^ir adds nothing */
    r = prf_plus_parts(p, sk_d, sk_d_len, seed, G_N_ELEMENTS(seed), k->keymat, total);
    if (r < 0) {
        uip_free_secret(k, sizeof(*k) + total);
        return r;
    }
    k->encr_len = encr_len;
    k->integ_len = integ_len;
    k->keymat_len = total;
    /* initiator -> responder first, encryption before integrity (RFC 7296 2.17) */
    k->i2r = k->ei = k->keymat;
    k->ai = k->ei + encr_len;
    k->r2i = k->er = k->keymat + dir;
    k->ar = k->er + encr_len;
    *out = k;
    return 0;
}

void ike_child_keys_free(struct ike_child_keys *k)
{
    if (!k)
        return;
    uip_free_secret(k, sizeof(*k) + k->keymat_len);
}

/* ---- SK payload ------------------------------------------------------------------------- */

struct ike_sk_ctx {
    const struct encr_info *e;
    const struct integ_info *i; /* NULL for AEAD */
    EVP_CIPHER_CTX *cipher;     /* keyed once; per message only the IV is set */
    EVP_MAC_CTX *mac;           /* keyed once (CBC); reinitialised per message */
    uint64_t iv_next;           /* AEAD: next IV (a counter, unique per key) */
    bool iv_exhausted;
    bool encrypt;
    uint8_t salt[AEAD_SALT_LEN];
    uint8_t iv_len;
    uint8_t icv_len;
};

static int sk_init_cipher(struct ike_sk_ctx *c, const uint8_t *key)
{
    EVP_CIPHER *cipher;
    int ok;

    cipher = EVP_CIPHER_fetch(NULL, c->e->ossl, NULL);
    if (!cipher)
        return -EIO;
    c->cipher = EVP_CIPHER_CTX_new();
    if (!c->cipher) {
        EVP_CIPHER_free(cipher);
        return -ENOMEM;
    }
    ok = EVP_CipherInit_ex2(c->cipher, cipher, key, NULL, c->encrypt ? 1 : 0, NULL);
    EVP_CIPHER_free(cipher);
    if (ok != 1 || EVP_CIPHER_CTX_get_key_length(c->cipher) != c->e->key_len)
        return -EIO;
    if (c->e->aead)
        return EVP_CIPHER_CTX_get_iv_length(c->cipher) == AEAD_NONCE_LEN ? 0 : -EIO;
    if (EVP_CIPHER_CTX_get_iv_length(c->cipher) != c->e->iv_len ||
        EVP_CIPHER_CTX_get_block_size(c->cipher) != CBC_BLOCK)
        return -EIO;
    /* IKE pads itself (RFC 7296 3.14); PKCS#7 padding would add a block. */
    return EVP_CIPHER_CTX_set_padding(c->cipher, 0) == 1 ? 0 : -EIO;
}

int ike_sk_ctx_new(uint16_t encr, uint16_t encr_keylen, uint16_t integ, const uint8_t *encr_key,
                   size_t encr_key_len, const uint8_t *integ_key, size_t integ_key_len,
                   bool encrypt, struct ike_sk_ctx **out)
{
    const struct encr_info *e = encr_info(encr, encr_keylen);
    const struct integ_info *i = integ == IKE_INTEG_NONE ? NULL : integ_info(integ);
    struct ike_sk_ctx *c;
    int r;

    if (!out || !encr_key)
        return -EINVAL;
    if (!e || (integ != IKE_INTEG_NONE && !i))
        return -EOPNOTSUPP;
    if (e->aead != (i == NULL) || encr_key_len != (size_t)e->key_len + e->salt_len)
        return -EINVAL;
    if (i ? !integ_key || integ_key_len != i->key_len : integ_key_len != 0)
        return -EINVAL;

    c = g_try_new0(struct ike_sk_ctx, 1);
    if (!c)
        return -ENOMEM;
    c->e = e;
    c->i = i;
    c->encrypt = encrypt;
    c->iv_len = e->iv_len;
    c->icv_len = e->aead ? e->icv_len : i->icv_len;

    r = sk_init_cipher(c, encr_key);
    if (r < 0)
        goto fail;
    if (e->aead) {
        memcpy(c->salt, encr_key + e->key_len, AEAD_SALT_LEN);
        /* A random start keeps IVs unique even if a second context got the same key. */
        if (encrypt && RAND_bytes((unsigned char *)&c->iv_next, sizeof(c->iv_next)) != 1) {
            r = -EIO;
            goto fail;
        }
    } else {
        r = hmac_new(i->digest, integ_key, integ_key_len, &c->mac);
        if (r < 0)
            goto fail;
        if (EVP_MAC_CTX_get_mac_size(c->mac) < i->icv_len) {
            r = -EIO;
            goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    ike_sk_ctx_free(c);
    return r;
}

int ike_sk_ctx_new_from_keys(const struct ike_keys *k, bool initiator, bool outbound,
                             struct ike_sk_ctx **out)
{
    /* The initiator's messages use SK_ei/SK_ai, the responder's SK_er/SK_ar. */
    bool use_i = initiator == outbound;

    if (!k)
        return -EINVAL;
    return ike_sk_ctx_new(k->suite.encr, k->suite.encr_keylen, k->suite.integ,
                          use_i ? k->sk_ei : k->sk_er, k->sk_e_len,
                          k->sk_a_len ? (use_i ? k->sk_ai : k->sk_ar) : NULL, k->sk_a_len, outbound,
                          out);
}

void ike_sk_ctx_free(struct ike_sk_ctx *c)
{
    if (!c)
        return;
    EVP_CIPHER_CTX_free(c->cipher);
    EVP_MAC_CTX_free(c->mac);
    uip_free_secret(c, sizeof(*c));
}

size_t ike_sk_iv_len(const struct ike_sk_ctx *c)
{
    return c ? c->iv_len : 0;
}

size_t ike_sk_icv_len(const struct ike_sk_ctx *c)
{
    return c ? c->icv_len : 0;
}

/* Padding so that inner + padding + pad length byte is a multiple of the alignment. */
static size_t sk_pad_len(const struct ike_sk_ctx *c, size_t inner_len)
{
    size_t align = c->e->align;

    return (align - (inner_len + 1) % align) % align;
}

size_t ike_sk_overhead(const struct ike_sk_ctx *c, size_t inner_len)
{
    if (!c)
        return 0;
    return (size_t)c->iv_len + sk_pad_len(c, inner_len) + 1 + c->icv_len;
}

size_t ike_sk_max_inner(const struct ike_sk_ctx *c, size_t room)
{
    size_t fixed, enc;

    if (!c)
        return 0;
    fixed = (size_t)c->iv_len + c->icv_len;
    if (room < fixed + c->e->align)
        return 0;
    enc = (room - fixed) / c->e->align * c->e->align;
    return enc - 1;
}

/* Set the nonce/IV (@iv: the wire IV) and, for AEAD, feed AAD = msg[0, aad_len). */
static int sk_start(struct ike_sk_ctx *c, const uint8_t *iv, const uint8_t *msg, size_t aad_len)
{
    uint8_t nonce[AEAD_NONCE_LEN];
    int outl, ok;

    if (!c->e->aead) {
        ok = EVP_CipherInit_ex2(c->cipher, NULL, NULL, iv, c->encrypt ? 1 : 0, NULL) == 1;
        return ok ? 0 : -EIO;
    }
    /* RFC 5282 / RFC 7634: nonce = salt || IV */
    memcpy(nonce, c->salt, AEAD_SALT_LEN);
    memcpy(nonce + AEAD_SALT_LEN, iv, AEAD_IV_LEN);
    ok = EVP_CipherInit_ex2(c->cipher, NULL, NULL, nonce, c->encrypt ? 1 : 0, NULL) == 1 &&
         aad_len <= INT_MAX && EVP_CipherUpdate(c->cipher, NULL, &outl, msg, (int)aad_len) == 1;
    uip_wipe(nonce, sizeof(nonce));
    return ok ? 0 : -EIO;
}

/* Encrypt or decrypt @len bytes at @p in place, nothing buffered. */
static int sk_cipher(struct ike_sk_ctx *c, uint8_t *p, size_t len)
{
    int outl;

    if (len > INT_MAX || EVP_CipherUpdate(c->cipher, p, &outl, p, (int)len) != 1 ||
        outl != (int)len)
        return -EIO;
    return 0;
}

/* Truncated HMAC over msg[0, len) into @icv (c->icv_len bytes). */
static int sk_mac(struct ike_sk_ctx *c, const uint8_t *msg, size_t len, uint8_t *icv)
{
    struct part parts[] = {{msg, len}};

    return hmac_parts(c->mac, false, parts, G_N_ELEMENTS(parts), icv, c->icv_len);
}

/* @gap: the plaintext already sits iv_len bytes after @body_off (else right at it). */
static int sk_encrypt(struct ike_sk_ctx *c, uint8_t *msg, size_t sk_off, size_t body_off,
                      size_t inner_len, size_t buf_size, size_t *msg_len, bool gap)
{
    uint8_t iv[IKE_SK_MAX_IV_LEN];
    size_t pad, enc_len, total;
    uint8_t *pt;
    int finl, r;

    if (!c || !c->encrypt || !msg || !msg_len)
        return -EINVAL;
    if (sk_off < IKE_HDR_LEN || body_off < sk_off + IKE_GENERIC_HDR_LEN)
        return -EINVAL;
    if (inner_len > IKE_MAX_MSG_LEN || body_off > IKE_MAX_MSG_LEN)
        return -EMSGSIZE;
    pad = sk_pad_len(c, inner_len);
    enc_len = inner_len + pad + 1;
    total = body_off + c->iv_len + enc_len + c->icv_len;
    if (total > IKE_MAX_MSG_LEN)
        return -EMSGSIZE;
    if (total > buf_size)
        return -ENOSPC;

    /* IV: CBC random and unpredictable (RFC 7296 3.14), AEAD a never-repeating counter */
    if (c->e->aead) {
        if (c->iv_exhausted)
            return -EOVERFLOW;
        uip_put64(iv, c->iv_next);
        /* consumed even if encryption fails below */
        c->iv_next++;
        c->iv_exhausted = c->iv_next == 0;
    } else if (RAND_bytes(iv, c->iv_len) != 1) {
        return -EIO;
    }

    /* [SK hdr][inner] -> [SK hdr][IV][inner][padding][pad length] */
    pt = msg + body_off + c->iv_len;
    if (!gap)
        memmove(pt, msg + body_off, inner_len);
    memcpy(msg + body_off, iv, c->iv_len);
    memset(pt + inner_len, 0, pad);
    pt[inner_len + pad] = (uint8_t)pad;

    /* Lengths first: both are inside the AAD / the ICV. */
    uip_put16(msg + sk_off + 2, (uint16_t)(total - sk_off));
    uip_put32(msg + 24, (uint32_t)total);

    r = sk_start(c, iv, msg, body_off);
    if (r < 0)
        return r;
    r = sk_cipher(c, pt, enc_len);
    if (r < 0)
        return r;
    if (EVP_CipherFinal_ex(c->cipher, pt + enc_len, &finl) != 1 || finl != 0)
        return -EIO;
    if (c->e->aead) {
        if (EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_GET_TAG, c->icv_len, pt + enc_len) != 1)
            return -EIO;
    } else {
        /* RFC 7296 3.14: from the IKE header through the pad length */
        r = sk_mac(c, msg, total - c->icv_len, pt + enc_len);
        if (r < 0)
            return r;
    }
    *msg_len = total;
    return 0;
}

int ike_sk_encrypt(struct ike_sk_ctx *c, uint8_t *msg, size_t sk_off, size_t body_off,
                   size_t inner_len, size_t buf_size, size_t *msg_len)
{
    return sk_encrypt(c, msg, sk_off, body_off, inner_len, buf_size, msg_len, false);
}

int ike_sk_encrypt_after_iv(struct ike_sk_ctx *c, uint8_t *msg, size_t sk_off, size_t body_off,
                            size_t inner_len, size_t buf_size, size_t *msg_len)
{
    return sk_encrypt(c, msg, sk_off, body_off, inner_len, buf_size, msg_len, true);
}

int ike_sk_decrypt(struct ike_sk_ctx *c, uint8_t *msg, size_t msg_len, size_t sk_off,
                   size_t body_off, uint8_t **inner, size_t *inner_len)
{
    uint8_t icv[IKE_SK_MAX_ICV_LEN];
    size_t enc_len, pad;
    uint8_t *pt, *tag;
    int finl, r;

    if (!c || c->encrypt || !msg || !inner || !inner_len)
        return -EINVAL;
    if (sk_off < IKE_HDR_LEN || body_off < sk_off + IKE_GENERIC_HDR_LEN)
        return -EINVAL;
    if (msg_len > IKE_MAX_MSG_LEN || body_off > msg_len)
        return -EBADMSG;
    /* The SK payload ends the message and the header agrees with what arrived. */
    if (uip_get32(msg + 24) != msg_len || sk_off + uip_get16(msg + sk_off + 2) != msg_len)
        return -EBADMSG;
    if (msg_len - body_off < (size_t)c->iv_len + c->icv_len + c->e->align)
        return -EBADMSG;
    enc_len = msg_len - body_off - c->iv_len - c->icv_len;
    if (enc_len % c->e->align)
        return -EBADMSG;
    pt = msg + body_off + c->iv_len;
    tag = pt + enc_len;

    if (!c->e->aead) {
        /* verify before decrypting: no padding oracle */
        r = sk_mac(c, msg, msg_len - c->icv_len, icv);
        if (r < 0)
            return r;
        r = CRYPTO_memcmp(icv, tag, c->icv_len) == 0 ? 0 : -EBADMSG;
        uip_wipe(icv, sizeof(icv));
        if (r < 0)
            return r;
    }
    r = sk_start(c, msg + body_off, msg, body_off);
    if (r < 0)
        return r;
    r = sk_cipher(c, pt, enc_len);
    if (r < 0)
        return r;
    if (c->e->aead && EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_SET_TAG, c->icv_len, tag) != 1)
        return -EIO;
    if (EVP_CipherFinal_ex(c->cipher, pt + enc_len, &finl) != 1 || finl != 0) {
        /* AEAD tag mismatch: drop the unauthenticated plaintext */
        uip_wipe(pt, enc_len);
        return c->e->aead ? -EBADMSG : -EIO;
    }

    /* RFC 7296 3.14: Pad Length counts the padding octets before it */
    pad = pt[enc_len - 1];
    if (pad + 1 > enc_len)
        return -EBADMSG;
    *inner = pt;
    *inner_len = enc_len - 1 - pad;
    return 0;
}

int ike_sk_set_iv_counter(struct ike_sk_ctx *c, uint64_t next)
{
    if (!c || !c->encrypt || !c->e->aead)
        return -EINVAL;
    c->iv_next = next;
    c->iv_exhausted = false;
    return 0;
}

/* ---- AUTH ------------------------------------------------------------------------------- */

int ike_signed_octets(uint16_t prf, const uint8_t *msg, size_t msg_len, const uint8_t *nonce,
                      size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len,
                      const uint8_t *id_body, size_t id_body_len, uint8_t **out, size_t *out_len)
{
    const struct prf_info *p = prf_info(prf);
    struct part id[] = {{id_body, id_body_len}};
    size_t total;
    uint8_t *buf;
    int r;

    /* ID payload body: type (1) + reserved (3) + data */
    if (!p || !msg || !msg_len || !nonce || !nonce_len || !sk_p || !sk_p_len || !id_body ||
        id_body_len < 4 || !out || !out_len)
        return -EINVAL;
    if (msg_len > IKE_MAX_MSG_LEN || nonce_len > IKE_MAX_MSG_LEN)
        return -EINVAL;
    total = msg_len + nonce_len + p->len;
    buf = g_try_malloc(total);
    if (!buf)
        return -ENOMEM;
    /* RealMessage | Nonce | prf(SK_p, RestOfIDPayload)   (RFC 7296 2.15) */
    memcpy(buf, msg, msg_len);
    memcpy(buf + msg_len, nonce, nonce_len);
    r = prf_parts(p, sk_p, sk_p_len, id, G_N_ELEMENTS(id), buf + msg_len + nonce_len);
    if (r < 0) {
        uip_free_secret(buf, total);
        return r;
    }
    *out = buf;
    *out_len = total;
    return 0;
}

/* AUTH = prf(prf(secret, "Key Pad for IKEv2"), SignedOctets) */
static int auth_compute(const struct prf_info *p, const uint8_t *secret, size_t secret_len,
                        const uint8_t *so, size_t so_len, uint8_t *auth)
{
    static const uint8_t key_pad[KEY_PAD_LEN] = KEY_PAD;
    struct part pad[] = {{key_pad, KEY_PAD_LEN}};
    struct part data[] = {{so, so_len}};
    uint8_t inner[IKE_PRF_MAX_LEN];
    int r;

    if (!secret || !secret_len || !so || !so_len || !auth)
        return -EINVAL;
    r = prf_parts(p, secret, secret_len, pad, G_N_ELEMENTS(pad), inner);
    if (r == 0)
        r = prf_parts(p, inner, p->len, data, G_N_ELEMENTS(data), auth);
    uip_wipe(inner, sizeof(inner));
    return r;
}

int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *signed_octets,
                 size_t signed_octets_len, uint8_t *auth)
{
    const struct prf_info *p = prf_info(prf);

    if (!p)
        return -EINVAL;
    return auth_compute(p, psk, psk_len, signed_octets, signed_octets_len, auth);
}

int ike_auth_eap(uint16_t prf, const uint8_t *msk, size_t msk_len, const uint8_t *sk_p,
                 size_t sk_p_len, const uint8_t *signed_octets, size_t signed_octets_len,
                 uint8_t *auth)
{
    const struct prf_info *p = prf_info(prf);

    if (!p)
        return -EINVAL;
    /* RFC 7296 2.16: the MSK if the method made one, else SK_pi / SK_pr */
    if (msk && msk_len)
        return auth_compute(p, msk, msk_len, signed_octets, signed_octets_len, auth);
    return auth_compute(p, sk_p, sk_p_len, signed_octets, signed_octets_len, auth);
}

int ike_auth_verify(const uint8_t *expected, size_t expected_len, const uint8_t *received,
                    size_t received_len)
{
    if (!expected || !received || !expected_len || expected_len != received_len)
        return -EBADMSG;
    return CRYPTO_memcmp(expected, received, expected_len) == 0 ? 0 : -EBADMSG;
}

int ike_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
                        const uint8_t *signed_octets, size_t signed_octets_len,
                        const uint8_t *received, size_t received_len)
{
    uint8_t expected[IKE_PRF_MAX_LEN];
    int r;

    r = ike_auth_psk(prf, psk, psk_len, signed_octets, signed_octets_len, expected);
    if (r == 0)
        r = ike_auth_verify(expected, ike_prf_len(prf), received, received_len);
    uip_wipe(expected, sizeof(expected));
    return r;
}
