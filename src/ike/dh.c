/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKEv2 key exchange through OpenSSL 3 EVP_PKEY.
 *
 * In:  a negotiated group (IKE_KE_*) when the state machine builds a KE
 *      payload, and later the peer's KE data.
 * Key: ike_dh_new() generates an ephemeral EVP_PKEY (X25519, EC on a named
 *      curve, or DH on the RFC 3526 named groups "modp_2048/3072/4096" -- not
 *      the RFC 7919 ffdhe groups, which IKE numbers differently) and caches
 *      the public value in KE payload encoding.
 * Out: ike_dh_compute() imports the peer value into its own EVP_PKEY,
 *      validates it (length, curve membership, 1 < y < p-1 and subgroup,
 *      non-zero X25519 result), derives g^ir with EVP_PKEY_derive and hands
 *      it back in a buffer the caller frees with uip_free_secret().
 *
 * No key exchange arithmetic is done here: only encoding, decoding and checks.
 * Nothing is logged (the key material is secret and the peer value is not
 * interesting); callers log the error code.
 */
#include "ike/dh.h"

#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <glib.h>

#include "common/uip-secret.h"
#include "ike/ike-types.h"

enum dh_kind {
    KIND_X25519,
    KIND_ECP,
    KIND_MODP,
};

struct group_info {
    uint16_t id; /* IKE_KE_* */
    enum dh_kind kind;
    const char *ossl; /* OpenSSL algorithm ("X25519") or group name */
    int nid;          /* curve NID for ECP (test-only import), else 0 */
    uint16_t pub_len; /* KE payload key exchange data */
    uint16_t sec_len; /* g^ir */
};

static const struct group_info groups[] = {
    /* RFC 8031: 32-byte public value and shared secret */
    {IKE_KE_CURVE25519, KIND_X25519, "X25519", 0, 32, 32},
    /* RFC 5903 7: x || y, shared secret = x */
    {IKE_KE_ECP256, KIND_ECP, "P-256", NID_X9_62_prime256v1, 64, 32},
    {IKE_KE_ECP384, KIND_ECP, "P-384", NID_secp384r1, 96, 48},
    /* RFC 3526 / RFC 7296 3.4: values as long as the prime */
    {IKE_KE_MODP2048, KIND_MODP, "modp_2048", 0, 256, 256},
    {IKE_KE_MODP3072, KIND_MODP, "modp_3072", 0, 384, 384},
    {IKE_KE_MODP4096, KIND_MODP, "modp_4096", 0, 512, 512},
};

struct ike_dh {
    const struct group_info *g;
    EVP_PKEY *key;
    size_t pub_len;
    uint8_t pub[IKE_DH_MAX_PUBLIC_LEN];
};

static const struct group_info *group_info(uint16_t group)
{
    for (size_t k = 0; k < G_N_ELEMENTS(groups); k++)
        if (groups[k].id == group)
            return &groups[k];
    return NULL;
}

bool ike_dh_supported(uint16_t group)
{
    return group_info(group) != NULL;
}

size_t ike_dh_public_len(uint16_t group)
{
    const struct group_info *g = group_info(group);

    return g ? g->pub_len : 0;
}

size_t ike_dh_secret_len(uint16_t group)
{
    const struct group_info *g = group_info(group);

    return g ? g->sec_len : 0;
}

uint16_t ike_dh_group(const struct ike_dh *dh)
{
    return dh ? dh->g->id : IKE_KE_NONE;
}

/* ECP coordinate / field length: half the public value. */
static size_t field_len(const struct group_info *g)
{
    return g->pub_len / 2;
}

/* Copy a BIGNUM parameter of @key big-endian, left-padded, into @out (@len bytes). */
static int get_bn_padded(const EVP_PKEY *key, const char *name, uint8_t *out, size_t len)
{
    BIGNUM *bn = NULL;
    int r = 0;

    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
        return -EIO;
    if (BN_bn2binpad(bn, out, (int)len) != (int)len)
        r = -EIO;
    BN_free(bn);
    return r;
}

/* Fill dh->pub from dh->key in KE payload encoding. */
static int fill_public(struct ike_dh *dh)
{
    const struct group_info *g = dh->g;
    size_t len = sizeof(dh->pub);
    int r;

    switch (g->kind) {
    case KIND_X25519:
        if (EVP_PKEY_get_raw_public_key(dh->key, dh->pub, &len) != 1 || len != g->pub_len)
            return -EIO;
        break;
    case KIND_ECP:
        /* RFC 5903 7: the x and y coordinates, each padded to the field length */
        r = get_bn_padded(dh->key, OSSL_PKEY_PARAM_EC_PUB_X, dh->pub, field_len(g));
        if (r == 0)
            r = get_bn_padded(dh->key, OSSL_PKEY_PARAM_EC_PUB_Y, dh->pub + field_len(g),
                              field_len(g));
        if (r < 0)
            return r;
        break;
    case KIND_MODP:
        /* RFC 7296 3.4: left-padded with zeros to the length of the prime */
        r = get_bn_padded(dh->key, OSSL_PKEY_PARAM_PUB_KEY, dh->pub, g->pub_len);
        if (r < 0)
            return r;
        break;
    }
    dh->pub_len = g->pub_len;
    return 0;
}

static EVP_PKEY *generate(const struct group_info *g)
{
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key = NULL;
    OSSL_PARAM params[3];
    const char *alg;
    int n = 0;

    switch (g->kind) {
    case KIND_X25519:
        alg = "X25519";
        break;
    case KIND_ECP:
        alg = "EC";
        params[n++] =
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->ossl, 0);
        params[n++] = OSSL_PARAM_construct_utf8_string(
            OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
            (char *)OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED, 0);
        break;
    case KIND_MODP:
    default:
        alg = "DH";
        params[n++] =
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->ossl, 0);
        break;
    }
    params[n] = OSSL_PARAM_construct_end();

    ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    if (!ctx)
        return NULL;
    if (EVP_PKEY_keygen_init(ctx) != 1 || (n > 0 && EVP_PKEY_CTX_set_params(ctx, params) != 1) ||
        EVP_PKEY_keygen(ctx, &key) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* Take ownership of @key (freed on failure) and wrap it. */
static int wrap_key(const struct group_info *g, EVP_PKEY *key, struct ike_dh **out)
{
    struct ike_dh *dh;
    int r;

    dh = g_try_new0(struct ike_dh, 1);
    if (!dh) {
        EVP_PKEY_free(key);
        return -ENOMEM;
    }
    dh->g = g;
    dh->key = key;
    r = fill_public(dh);
    if (r < 0) {
        ike_dh_free(dh);
        return r;
    }
    *out = dh;
    return 0;
}

void ike_dh_warm_up(void)
{
    for (size_t k = 0; k < G_N_ELEMENTS(groups); k++) {
        if (groups[k].kind == KIND_MODP) {
            EVP_PKEY_CTX_free(EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL));
        } else {
            struct ike_dh *dh = NULL;
            if (ike_dh_new(groups[k].id, &dh) == 0)
                ike_dh_free(dh);
        }
    }
}

int ike_dh_new(uint16_t group, struct ike_dh **out)
{
    const struct group_info *g = group_info(group);
    EVP_PKEY *key;

    if (!out)
        return -EINVAL;
    if (!g)
        return -EOPNOTSUPP;
    key = generate(g);
    if (!key)
        return -EIO;
    return wrap_key(g, key, out);
}

/* Test-only ECP import: OpenSSL 3.0 does not derive Q = d*G on import, so do it here. */
static int ecp_from_private(const struct group_info *g, const uint8_t *priv, EVP_PKEY **out)
{
    uint8_t pub[1 + IKE_DH_MAX_PUBLIC_LEN];
    size_t pub_len = 1 + g->pub_len;
    EC_GROUP *group = NULL;
    EC_POINT *point = NULL;
    BN_CTX *bnctx = NULL;
    BIGNUM *d = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    int r = -EIO;

    group = EC_GROUP_new_by_curve_name_ex(NULL, NULL, g->nid);
    point = group ? EC_POINT_new(group) : NULL;
    bnctx = BN_CTX_new();
    d = BN_secure_new();
    if (!group || !point || !bnctx || !d) {
        r = -ENOMEM;
        goto out;
    }
    if (!BN_bin2bn(priv, (int)field_len(g), d))
        goto out;
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) {
        r = -EINVAL;
        goto out;
    }
    if (EC_POINT_mul(group, point, d, NULL, NULL, bnctx) != 1 ||
        EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub, pub_len, bnctx) !=
            pub_len)
        goto out;

    bld = OSSL_PARAM_BLD_new();
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl, 0) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1)
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
        goto out;
    *out = key;
    key = NULL;
    r = 0;
out:
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* d is BN_secure: its copy here is cleared on free */
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    BN_CTX_free(bnctx);
    EC_POINT_free(point);
    EC_GROUP_free(group);
    return r;
}

int ike_dh_new_from_private(uint16_t group, const uint8_t *priv, size_t priv_len,
                            struct ike_dh **out)
{
    const struct group_info *g = group_info(group);
    EVP_PKEY *key = NULL;
    int r;

    if (!out || !priv)
        return -EINVAL;
    if (!g || g->kind == KIND_MODP)
        return -EOPNOTSUPP;
    if (priv_len != (g->kind == KIND_X25519 ? g->pub_len : field_len(g)))
        return -EINVAL;

    if (g->kind == KIND_X25519) {
        key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, priv_len);
        if (!key)
            return -EIO;
    } else {
        r = ecp_from_private(g, priv, &key);
        if (r < 0)
            return r;
    }
    return wrap_key(g, key, out);
}

int ike_dh_public(const struct ike_dh *dh, const uint8_t **pub, size_t *len)
{
    if (!dh || !pub || !len)
        return -EINVAL;
    *pub = dh->pub;
    *len = dh->pub_len;
    return 0;
}

/* Build an EVP_PKEY from a public-key OSSL_PARAM set of type @alg. -EBADMSG if refused. */
static int import_public(const char *alg, const OSSL_PARAM *params, EVP_PKEY **out)
{
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key = NULL;
    int r = 0;

    ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    if (!ctx)
        return -ENOMEM;
    if (EVP_PKEY_fromdata_init(ctx) != 1)
        r = -EIO;
    else if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) != 1)
        r = -EBADMSG;
    EVP_PKEY_CTX_free(ctx);
    if (r == 0)
        *out = key;
    return r;
}

/* Full public-key validation of @key (EC: on curve, not infinity, order; DH: range, subgroup). */
static int check_public(EVP_PKEY *key)
{
    EVP_PKEY_CTX *ctx;
    int ok;

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (!ctx)
        return -ENOMEM;
    ok = EVP_PKEY_public_check(ctx);
    EVP_PKEY_CTX_free(ctx);
    return ok == 1 ? 0 : -EBADMSG;
}

static int peer_ecp(const struct ike_dh *dh, const uint8_t *peer, EVP_PKEY **out)
{
    const struct group_info *g = dh->g;
    uint8_t point[1 + IKE_DH_MAX_PUBLIC_LEN];
    OSSL_PARAM params[3];
    EVP_PKEY *key = NULL;
    int r;

    /* RFC 5903 7: x || y on the wire; SEC 1 uncompressed form for OpenSSL */
    point[0] = POINT_CONVERSION_UNCOMPRESSED;
    memcpy(point + 1, peer, g->pub_len);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->ossl, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + g->pub_len);
    params[2] = OSSL_PARAM_construct_end();
    r = import_public("EC", params, &key);
    if (r < 0)
        return r;
    r = check_public(key);
    if (r < 0) {
        EVP_PKEY_free(key);
        return r;
    }
    *out = key;
    return 0;
}

static int peer_modp(const struct ike_dh *dh, const uint8_t *peer, EVP_PKEY **out)
{
    const struct group_info *g = dh->g;
    BIGNUM *y = NULL, *p = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY *key = NULL;
    int r = -ENOMEM;

    y = BN_bin2bn(peer, (int)g->pub_len, NULL);
    if (!y)
        goto out;
    if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_FFC_P, &p) != 1) {
        r = -EIO;
        goto out;
    }
    /* SP 800-56A 5.6.2.3.1: 1 < y < p - 1 */
    if (!BN_sub_word(p, 1)) {
        r = -EIO;
        goto out;
    }
    if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p) >= 0) {
        r = -EBADMSG;
        goto out;
    }

    bld = OSSL_PARAM_BLD_new();
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->ossl, 0) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) != 1)
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params)
        goto out;
    r = import_public("DH", params, &key);
    if (r < 0)
        goto out;
    /* range again, and y^q = 1 mod p: the group's q is known for the named groups */
    r = check_public(key);
    if (r < 0)
        goto out;
    *out = key;
    key = NULL;
out:
    EVP_PKEY_free(key);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(p);
    BN_free(y);
    return r;
}

static int import_peer(const struct ike_dh *dh, const uint8_t *peer, EVP_PKEY **out)
{
    EVP_PKEY *key;

    switch (dh->g->kind) {
    case KIND_X25519:
        /* Any 32 bytes are a u-coordinate (RFC 7748 5); the result is checked later. */
        key = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, dh->g->pub_len);
        if (!key)
            return -ENOMEM;
        *out = key;
        return 0;
    case KIND_ECP:
        return peer_ecp(dh, peer, out);
    case KIND_MODP:
    default:
        return peer_modp(dh, peer, out);
    }
}

static bool all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;

    for (size_t k = 0; k < len; k++)
        acc |= p[k];
    return acc == 0;
}

int ike_dh_compute(struct ike_dh *dh, const uint8_t *peer, size_t len, uint8_t **secret,
                   size_t *secret_len)
{
    const struct group_info *g;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *peer_key = NULL;
    OSSL_PARAM params[2];
    unsigned int pad = 1;
    uint8_t *buf = NULL;
    size_t out_len;
    int r;

    if (!dh || !peer || !secret || !secret_len)
        return -EINVAL;
    g = dh->g;
    if (len != g->pub_len)
        return -EBADMSG;

    r = import_peer(dh, peer, &peer_key);
    if (r < 0)
        return r;

    r = -ENOMEM;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
    buf = g_try_malloc(g->sec_len);
    if (!ctx || !buf)
        goto out;
    r = -EIO;
    if (EVP_PKEY_derive_init(ctx) != 1)
        goto out;
    if (g->kind == KIND_MODP) {
        /* RFC 7296 2.14: g^ir is as long as the prime, leading zeros kept */
        params[0] = OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad);
        params[1] = OSSL_PARAM_construct_end();
        if (EVP_PKEY_CTX_set_params(ctx, params) != 1)
            goto out;
    }
    /* The peer was validated above (validate = 0 avoids a second full check). */
    if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) != 1)
        goto out;
    out_len = g->sec_len;
    if (EVP_PKEY_derive(ctx, buf, &out_len) != 1) {
        /* OpenSSL refuses an all-zero X25519 result (RFC 7748 6.1) by failing here. */
        if (g->kind == KIND_X25519)
            r = -EBADMSG;
        goto out;
    }
    if (out_len > g->sec_len)
        goto out;
    if (out_len < g->sec_len) {
        /* Left-pad, in case a provider ignored the pad request. */
        memmove(buf + (g->sec_len - out_len), buf, out_len);
        memset(buf, 0, g->sec_len - out_len);
    }
    if (g->kind == KIND_X25519 && all_zero(buf, g->sec_len)) {
        r = -EBADMSG;
        goto out;
    }
    *secret = buf;
    *secret_len = g->sec_len;
    buf = NULL;
    r = 0;
out:
    uip_free_secret(buf, g->sec_len);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer_key);
    return r;
}

void ike_dh_free(struct ike_dh *dh)
{
    if (!dh)
        return;
    EVP_PKEY_free(dh->key);
    uip_wipe(dh, sizeof(*dh));
    g_free(dh);
}
