/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificate authentication for the IKEv2 initiator through OpenSSL 3:
 * X509 / X509_STORE for the chain, EVP_PKEY with EVP_DigestSign /
 * EVP_DigestVerify for every signature (nothing hand-rolled; the only byte
 * work is framing: the RFC 7427 AUTH layout and RFC 4754 r || s <-> DER).
 *
 * Trust: ike_trust_new() reads the CA file into an X509_STORE (each
 *        certificate a trust anchor) and keeps the certificates for the
 *        CERTREQ hashes; without a file, OpenSSL's default paths.
 * In:    the session hands over the gateway's CERT bodies, IDr, AUTH and
 *        its signed octets -> validate: parse every certificate and the AUTH
 *        layout (AlgorithmIdentifier, PSS parameters, r || s length) ->
 *        X509_verify_cert() (intermediates untrusted, purpose any, time,
 *        security level 2) -> chain_policy() (curves, CA:TRUE, keyUsage) ->
 *        IDr bound to the end-entity (SAN / subject DN / key ID), expected
 *        host in the SAN -> EVP_DigestVerify() with the end-entity's key.
 * Out:   ike_cred_load() reads our certificate and key (wiped file buffers,
 *        password callback, never a prompt; or opens a PKCS#11 token,
 *        pkcs11-key.c, when the key is a pkcs11: URI), checks they match ->
 *        ike_cred_sign() = AlgorithmIdentifier length | AlgorithmIdentifier
 *        (RFC 7427 Appendix A bytes) | EVP_DigestSign() signature.
 *
 * Errors are int codes (see cert-auth.h) plus an optional reason string,
 * which never holds key material.  The OpenSSL error queue is cleared on
 * the way out of every failure so no stale error leaks to other callers.
 */
#include "ike/cert-auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <glib.h>

#include "common/uip-file.h"
#include "common/uip-pkcs11-uri.h"
#include "common/uip-secret.h"
#include "ike/ike-err.h"
#include "ike/ike-id.h"
#include "ike/ike-types.h"
#include "ike/pkcs11-key.h"

#define CERTREQ_HASH_LEN 20            /* SHA-1, RFC 7296 3.7 */
#define PSS_MAX_SALT     1024
#define CERT_AUTH_LEVEL  2 /* OpenSSL security level of the gateway's chain: 112 bits */

/* ---- RFC 7427 Appendix A AlgorithmIdentifier encodings (used when signing) ------------- */

/* A.1.2-A.1.4: sha{256,384,512}WithRSAEncryption, OID 1.2.840.113549.1.1.{11,12,13}, NULL */
static const uint8_t algid_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                           0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t algid_rsa_sha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                           0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t algid_rsa_sha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                           0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
/* A.3.2-A.3.4: ecdsa-with-SHA{256,384,512}, OID 1.2.840.10045.4.3.{2,3,4}, parameters absent */
static const uint8_t algid_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                             0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t algid_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                             0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t algid_ecdsa_sha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                             0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};

/* A named type for STACK_OF(X509), which clang-format cannot lay out. */
typedef STACK_OF(X509) x509_list;

enum key_kind {
    KEY_RSA = 1,
    KEY_EC = 2,
};

struct sign_alg {
    enum key_kind kind;
    uint16_t hash; /* IKE_HASH_* */
    const char *md;
    const uint8_t *algid;
    size_t algid_len;
};

static const struct sign_alg sign_algs[] = {
    {KEY_RSA, IKE_HASH_SHA2_256, "SHA256", algid_rsa_sha256, sizeof(algid_rsa_sha256)},
    {KEY_RSA, IKE_HASH_SHA2_384, "SHA384", algid_rsa_sha384, sizeof(algid_rsa_sha384)},
    {KEY_RSA, IKE_HASH_SHA2_512, "SHA512", algid_rsa_sha512, sizeof(algid_rsa_sha512)},
    {KEY_EC, IKE_HASH_SHA2_256, "SHA256", algid_ecdsa_sha256, sizeof(algid_ecdsa_sha256)},
    {KEY_EC, IKE_HASH_SHA2_384, "SHA384", algid_ecdsa_sha384, sizeof(algid_ecdsa_sha384)},
    {KEY_EC, IKE_HASH_SHA2_512, "SHA512", algid_ecdsa_sha512, sizeof(algid_ecdsa_sha512)},
};

/* Curves for our own EC keys and for RFC 4754 (methods 9, 10, 11). */
struct curve_info {
    const char *group; /* OpenSSL group name */
    uint16_t hash;     /* the curve's hash (RFC 4754) */
    size_t half;       /* byte length of r and of s */
};

static const struct curve_info curves[] = {
    {"prime256v1", IKE_HASH_SHA2_256, 32},
    {"secp384r1", IKE_HASH_SHA2_384, 48},
    {"secp521r1", IKE_HASH_SHA2_512, 66},
};

/* ---- helpers ------------------------------------------------------------------------------ */

/* Map an OpenSSL failure that is not a verdict on the input: out of memory or internal. */
static int ossl_fail(void)
{
    unsigned long e = ERR_peek_last_error();

    ERR_clear_error();
    if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
        return -ENOMEM;
    return -EIO;
}

static const char *hash_md(uint16_t hash)
{
    switch (hash) {
    case IKE_HASH_SHA2_256:
        return "SHA256";
    case IKE_HASH_SHA2_384:
        return "SHA384";
    case IKE_HASH_SHA2_512:
        return "SHA512";
    default:
        return NULL;
    }
}

static bool bytes_eq_icase(const uint8_t *a, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (g_ascii_tolower(a[i]) != g_ascii_tolower(b[i]))
            return false;
    return true;
}

/* A whole (small) file in a buffer that is wiped when freed: key files go through here. */
static int read_file_err(const char *what, const char *path, const struct uip_file_owner *as,
                         struct uip_file_data *out, char *err, size_t err_len)
{
    int r = uip_file_read(path, as, UIP_FILE_MAX_LEN, out);

    if (r < 0)
        ike_set_err(err, err_len, "cannot read %s '%s'%s%s: %s", what, path, as ? " as " : "",
                    as ? as->name : "", uip_file_strerror(r));
    return r;
}

/* Parse exactly @len bytes of DER as one certificate; NULL if malformed or trailing bytes. */
static X509 *x509_from_der(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x;

    if (len == 0 || len > LONG_MAX)
        return NULL;
    x = d2i_X509(NULL, &p, (long)len);
    if (x && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

/*
 * All PEM certificates of a buffer (other PEM blocks skipped), or a single
 * DER certificate when there is no PEM one.  Returns 0 with at least one
 * certificate, -EBADMSG, -ENOMEM.
 */
static int load_certs(const struct uip_file_data *fb, bool first_only, x509_list **out)
{
    x509_list *sk;
    BIO *bio;
    int r = 0;

    if (fb->len > INT_MAX)
        return -EBADMSG;
    sk = sk_X509_new_null();
    bio = BIO_new_mem_buf(fb->data, (int)fb->len);
    if (!sk || !bio) {
        r = -ENOMEM;
        goto out;
    }
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x) {
            unsigned long e = ERR_peek_last_error();
            /* the end of the input: no further BEGIN line */
            if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
                r = ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE ? -ENOMEM : -EBADMSG;
            ERR_clear_error();
            break;
        }
        if (!sk_X509_push(sk, x)) {
            X509_free(x);
            r = -ENOMEM;
            break;
        }
        if (first_only)
            break;
    }
    if (r == 0 && sk_X509_num(sk) == 0) {
        X509 *x = x509_from_der(fb->data, fb->len);
        ERR_clear_error();
        if (!x)
            r = -EBADMSG;
        else if (!sk_X509_push(sk, x)) {
            X509_free(x);
            r = -ENOMEM;
        }
    }
out:
    BIO_free(bio);
    if (r < 0) {
        sk_X509_pop_free(sk, X509_free);
        return r;
    }
    *out = sk;
    return 0;
}

/* ---- trust anchors ------------------------------------------------------------------------ */

struct ike_trust {
    grefcount ref;
    X509_STORE *store;
    x509_list *cas; /* the CA file's certificates; NULL: system store */
};

struct ike_trust *ike_trust_ref(struct ike_trust *t)
{
    if (t)
        g_ref_count_inc(&t->ref);
    return t;
}

void ike_trust_free(struct ike_trust *t)
{
    if (!t || !g_ref_count_dec(&t->ref))
        return;
    X509_STORE_free(t->store);
    sk_X509_pop_free(t->cas, X509_free);
    g_free(t);
}

int ike_trust_new(const char *ca_file, struct ike_trust **out, char *err, size_t err_len)
{
    return ike_trust_new_as(ca_file, NULL, out, err, err_len);
}

int ike_trust_new_as(const char *ca_file, const struct uip_file_owner *as,
                     struct ike_trust **out, char *err, size_t err_len)
{
    struct ike_trust *t;
    struct uip_file_data fb = {0};
    int r;

    if (!out)
        return -EINVAL;
    t = g_new0(struct ike_trust, 1);
    g_ref_count_init(&t->ref);
    t->store = X509_STORE_new();
    if (!t->store) {
        r = -ENOMEM;
        goto fail;
    }

    if (!ca_file || !*ca_file) {
        if (X509_STORE_set_default_paths(t->store) != 1) {
            r = ossl_fail();
            ike_set_err(err, err_len, "cannot load the system CA store");
            goto fail;
        }
        *out = t;
        return 0;
    }

    r = read_file_err("CA file", ca_file, as, &fb, err, err_len);
    if (r < 0)
        goto fail;
    r = load_certs(&fb, false, &t->cas);
    uip_file_data_clear(&fb);
    if (r < 0) {
        ike_set_err(err, err_len, "CA file '%s': no certificate or a malformed one", ca_file);
        goto fail;
    }
    for (int i = 0; i < sk_X509_num(t->cas); i++) {
        if (X509_STORE_add_cert(t->store, sk_X509_value(t->cas, i)) != 1) {
            /* the same certificate twice in the file is not an error */
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
                r = ossl_fail();
                goto fail;
            }
            ERR_clear_error();
        }
    }
    /* Every certificate of the file is trusted as an anchor, self-signed or not. */
    X509_STORE_set_flags(t->store, X509_V_FLAG_PARTIAL_CHAIN);
    *out = t;
    return 0;

fail:
    ERR_clear_error();
    ike_trust_free(t);
    return r;
}

X509_STORE *ike_trust_store(const struct ike_trust *t)
{
    return t ? t->store : NULL;
}

int ike_trust_certreq_data(const struct ike_trust *t, uint8_t **out, size_t *out_len)
{
    uint8_t *buf;
    size_t n;

    if (!t || !out || !out_len)
        return -EINVAL;
    if (!t->cas)
        return -ENODATA;
    n = (size_t)sk_X509_num(t->cas);
    buf = g_malloc(n * CERTREQ_HASH_LEN);
    for (size_t i = 0; i < n; i++) {
        X509_PUBKEY *pk = X509_get_X509_PUBKEY(sk_X509_value(t->cas, (int)i));
        unsigned char *spki = NULL;
        int spki_len = pk ? i2d_X509_PUBKEY(pk, &spki) : -1;
        int ok = spki_len > 0 && EVP_Q_digest(NULL, "SHA1", NULL, spki, (size_t)spki_len,
                                              buf + i * CERTREQ_HASH_LEN, NULL) == 1;
        OPENSSL_free(spki);
        if (!ok) {
            g_free(buf);
            return ossl_fail();
        }
    }
    *out = buf;
    *out_len = n * CERTREQ_HASH_LEN;
    return 0;
}

/* ---- AUTH payload: validate ---------------------------------------------------------------- */

enum sig_kind {
    SIG_RSA_PKCS1 = 1, /* RSASSA-PKCS1-v1_5 */
    SIG_RSA_PSS,
    SIG_ECDSA_DER, /* RFC 7427: Ecdsa-Sig-Value */
    SIG_ECDSA_RAW, /* RFC 4754: r || s */
};

struct sig_spec {
    enum sig_kind kind;
    const char *md;
    const char *mgf1_md;            /* PSS */
    int salt_len;                   /* PSS */
    const struct curve_info *curve; /* ECDSA_RAW: the key's required curve */
    const uint8_t *sig;
    size_t sig_len;
};

static const char *digest_nid_md(int nid)
{
    switch (nid) {
    case NID_sha256:
        return "SHA256";
    case NID_sha384:
        return "SHA384";
    case NID_sha512:
        return "SHA512";
    default:
        return NULL;
    }
}

/* Parameters of a digest or a PKCS#1 v1.5 / ECDSA signature AlgorithmIdentifier: absent or NULL. */
static bool params_absent_or_null(const X509_ALGOR *alg)
{
    int ptype;

    X509_ALGOR_get0(NULL, &ptype, NULL, alg);
    return ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL;
}

/* Decode the SEQUENCE parameter of @alg as @it; NULL if it is not one. */
static void *unpack_params(const X509_ALGOR *alg, const ASN1_ITEM *it)
{
    const void *pval;
    int ptype;

    X509_ALGOR_get0(NULL, &ptype, &pval, alg);
    if (ptype != V_ASN1_SEQUENCE || !pval)
        return NULL;
    return ASN1_item_unpack((const ASN1_STRING *)pval, it);
}

/*
 * RSASSA-PSS-params (RFC 4055 3.1): hash SHA-256/384/512 (the SHA-1 default
 * is refused), MGF1 with one of them, salt length (default 20), trailer 1.
 */
static int pss_params(const X509_ALGOR *alg, struct sig_spec *s, char *err, size_t err_len)
{
    RSA_PSS_PARAMS *pss = unpack_params(alg, ASN1_ITEM_rptr(RSA_PSS_PARAMS));
    X509_ALGOR *mgf_hash = NULL;
    int64_t salt = 20;
    int r = 0;

    if (!pss) {
        ike_set_err(err, err_len, "AUTH: malformed RSASSA-PSS parameters");
        r = -EBADMSG;
        goto out;
    }
    if (!pss->hashAlgorithm || !pss->maskGenAlgorithm) {
        ike_set_err(err, err_len, "AUTH: RSASSA-PSS with SHA-1 (default parameters) not supported");
        r = -EOPNOTSUPP;
        goto out;
    }
    s->md = digest_nid_md(OBJ_obj2nid(pss->hashAlgorithm->algorithm));
    if (!params_absent_or_null(pss->hashAlgorithm)) {
        ike_set_err(err, err_len, "AUTH: malformed RSASSA-PSS hash parameters");
        r = -EBADMSG;
        goto out;
    }
    if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1) {
        ike_set_err(err, err_len, "AUTH: RSASSA-PSS mask generation function not supported");
        r = -EOPNOTSUPP;
        goto out;
    }
    mgf_hash = unpack_params(pss->maskGenAlgorithm, ASN1_ITEM_rptr(X509_ALGOR));
    if (!mgf_hash || !params_absent_or_null(mgf_hash)) {
        ike_set_err(err, err_len, "AUTH: malformed RSASSA-PSS MGF1 parameters");
        r = -EBADMSG;
        goto out;
    }
    s->mgf1_md = digest_nid_md(OBJ_obj2nid(mgf_hash->algorithm));
    if (!s->md || !s->mgf1_md) {
        ike_set_err(err, err_len, "AUTH: RSASSA-PSS hash not supported (SHA-256/384/512 only)");
        r = -EOPNOTSUPP;
        goto out;
    }
    if (pss->saltLength && !ASN1_INTEGER_get_int64(&salt, pss->saltLength))
        salt = -1;
    if (salt < 0 || salt > PSS_MAX_SALT) {
        ike_set_err(err, err_len, "AUTH: bad RSASSA-PSS salt length");
        r = -EBADMSG;
        goto out;
    }
    if (pss->trailerField) {
        int64_t trailer = 0;
        if (!ASN1_INTEGER_get_int64(&trailer, pss->trailerField) || trailer != 1) {
            ike_set_err(err, err_len, "AUTH: bad RSASSA-PSS trailer field");
            r = -EBADMSG;
            goto out;
        }
    }
    s->kind = SIG_RSA_PSS;
    s->salt_len = (int)salt;
out:
    X509_ALGOR_free(mgf_hash);
    RSA_PSS_PARAMS_free(pss);
    ERR_clear_error();
    return r;
}

/* RFC 7427 section 3: | ASN.1 length (1) | AlgorithmIdentifier | Signature Value | */
static int parse_digital_signature(const uint8_t *auth, size_t auth_len, struct sig_spec *s,
                                   char *err, size_t err_len)
{
    const unsigned char *p;
    X509_ALGOR *alg;
    size_t alg_len;
    int nid, r = 0;

    if (auth_len < 1 || (alg_len = auth[0]) == 0 || auth_len <= 1 + alg_len) {
        ike_set_err(err, err_len, "AUTH: truncated digital signature");
        return -EBADMSG;
    }
    p = auth + 1;
    alg = d2i_X509_ALGOR(NULL, &p, (long)alg_len);
    if (!alg || p != auth + 1 + alg_len) {
        X509_ALGOR_free(alg);
        ERR_clear_error();
        ike_set_err(err, err_len, "AUTH: malformed AlgorithmIdentifier");
        return -EBADMSG;
    }
    s->sig = auth + 1 + alg_len;
    s->sig_len = auth_len - 1 - alg_len;

    nid = OBJ_obj2nid(alg->algorithm);
    switch (nid) {
    case NID_sha256WithRSAEncryption:
    case NID_sha384WithRSAEncryption:
    case NID_sha512WithRSAEncryption:
        s->kind = SIG_RSA_PKCS1;
        s->md = nid == NID_sha256WithRSAEncryption   ? "SHA256"
                : nid == NID_sha384WithRSAEncryption ? "SHA384"
                                                     : "SHA512";
        break;
    case NID_ecdsa_with_SHA256:
    case NID_ecdsa_with_SHA384:
    case NID_ecdsa_with_SHA512:
        s->kind = SIG_ECDSA_DER;
        s->md = nid == NID_ecdsa_with_SHA256   ? "SHA256"
                : nid == NID_ecdsa_with_SHA384 ? "SHA384"
                                               : "SHA512";
        break;
    case NID_rsassaPss:
        r = pss_params(alg, s, err, err_len);
        goto out;
    default: {
        char name[80];
        OBJ_obj2txt(name, sizeof(name), alg->algorithm, 0);
        ike_set_err(err, err_len, "AUTH: signature algorithm %s not supported", name);
        r = -EOPNOTSUPP;
        goto out;
    }
    }
    if (!params_absent_or_null(alg)) {
        ike_set_err(err, err_len, "AUTH: unexpected AlgorithmIdentifier parameters");
        r = -EBADMSG;
    }
out:
    X509_ALGOR_free(alg);
    ERR_clear_error();
    return r;
}

static int parse_auth(uint8_t method, const uint8_t *auth, size_t auth_len, struct sig_spec *s,
                      char *err, size_t err_len)
{
    const struct curve_info *c;

    memset(s, 0, sizeof(*s));
    switch (method) {
    case IKE_AUTH_DIGITAL_SIGNATURE:
        return parse_digital_signature(auth, auth_len, s, err, err_len);
    case IKE_AUTH_RSA_SIG:
        /* RFC 7296 2.15: RSASSA-PKCS1-v1_5 with SHA-1, which we do not accept (a gateway
         * that got our SIGNATURE_HASH_ALGORITHMS can sign with RFC 7427, method 14) */
        ike_set_err(err, err_len,
                    "AUTH method 1 (RSA signature with SHA-1) refused: SHA-1 signatures are not "
                    "accepted; the gateway must use RFC 7427 signatures (method 14)");
        return -EOPNOTSUPP;
    case IKE_AUTH_ECDSA_SHA256_P256:
    case IKE_AUTH_ECDSA_SHA384_P384:
    case IKE_AUTH_ECDSA_SHA512_P521:
        c = &curves[method - IKE_AUTH_ECDSA_SHA256_P256];
        if (auth_len != 2 * c->half) {
            ike_set_err(err, err_len, "AUTH: ECDSA signature of %zu bytes, expected %zu", auth_len,
                        2 * c->half);
            return -EBADMSG;
        }
        s->kind = SIG_ECDSA_RAW;
        s->md = hash_md(c->hash);
        s->curve = c;
        break;
    default:
        ike_set_err(err, err_len, "AUTH method %u not supported with certificates", method);
        return -EOPNOTSUPP;
    }
    s->sig = auth;
    s->sig_len = auth_len;
    return 0;
}

/* ---- AUTH payload: verify ------------------------------------------------------------------ */

static bool key_on_curve(EVP_PKEY *pk, const char *group)
{
    char name[64];

    if (EVP_PKEY_get_group_name(pk, name, sizeof(name), NULL) != 1)
        return false;
    return strcmp(name, group) == 0;
}

/* RFC 4754 r || s -> DER Ecdsa-Sig-Value for OpenSSL. */
static int ecdsa_raw_to_der(const uint8_t *sig, size_t half, unsigned char **der, size_t *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
    BIGNUM *s = BN_bin2bn(sig + half, (int)half, NULL);
    int len;

    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return ossl_fail();
    }
    *der = NULL;
    len = i2d_ECDSA_SIG(es, der);
    ECDSA_SIG_free(es);
    if (len <= 0)
        return ossl_fail();
    *der_len = (size_t)len;
    return 0;
}

static int verify_sig(const struct sig_spec *s, EVP_PKEY *pk, const uint8_t *so, size_t so_len,
                      char *err, size_t err_len)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *der = NULL;
    const uint8_t *sig = s->sig;
    size_t sig_len = s->sig_len;
    bool rsa = EVP_PKEY_is_a(pk, "RSA");
    int r;

    switch (s->kind) {
    case SIG_RSA_PKCS1:
        r = rsa ? 0 : -EPERM;
        break;
    case SIG_RSA_PSS:
        r = rsa || EVP_PKEY_is_a(pk, "RSA-PSS") ? 0 : -EPERM;
        break;
    case SIG_ECDSA_DER:
        r = EVP_PKEY_is_a(pk, "EC") ? 0 : -EPERM;
        break;
    case SIG_ECDSA_RAW:
        r = EVP_PKEY_is_a(pk, "EC") && key_on_curve(pk, s->curve->group) ? 0 : -EPERM;
        break;
    default:
        r = -EINVAL;
    }
    if (r < 0) {
        ike_set_err(err, err_len,
                    "AUTH: the signature algorithm does not fit the certificate's key");
        goto out;
    }
    if (s->kind == SIG_ECDSA_RAW) {
        r = ecdsa_raw_to_der(s->sig, s->curve->half, &der, &sig_len);
        if (r < 0)
            goto out;
        sig = der;
    }

    mctx = EVP_MD_CTX_new();
    if (!mctx) {
        r = -ENOMEM;
        goto out;
    }
    if (EVP_DigestVerifyInit_ex(mctx, &pctx, s->md, NULL, NULL, pk, NULL) != 1) {
        r = ossl_fail();
        goto out;
    }
    if (s->kind == SIG_RSA_PKCS1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        r = ossl_fail();
        goto out;
    }
    if (s->kind == SIG_RSA_PSS && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                                   EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, s->mgf1_md, NULL) != 1 ||
                                   EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, s->salt_len) != 1)) {
        /* e.g. parameters an RSA-PSS key's restrictions forbid */
        ERR_clear_error();
        ike_set_err(err, err_len, "AUTH: RSASSA-PSS parameters refused for this key");
        r = -EPERM;
        goto out;
    }
    if (EVP_DigestVerify(mctx, sig, sig_len, so, so_len) != 1) {
        ike_set_err(err, err_len, "AUTH: signature verification failed");
        r = -EPERM;
        goto out;
    }
    r = 0;
out:
    OPENSSL_free(der);
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return r;
}

/* ---- identity ------------------------------------------------------------------------------ */

/* Is there a subjectAltName entry of @gen_type equal to @v? */
static bool san_has(X509 *x, int gen_type, const uint8_t *v, size_t len, bool icase)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    bool found = false;

    for (int i = 0; gens && !found && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        const ASN1_STRING *s;

        if (g->type != gen_type)
            continue;
        switch (gen_type) {
        case GEN_DNS:
            s = g->d.dNSName;
            break;
        case GEN_EMAIL:
            s = g->d.rfc822Name;
            break;
        case GEN_IPADD:
            s = g->d.iPAddress;
            break;
        default:
            continue;
        }
        if (!s || (size_t)ASN1_STRING_length(s) != len)
            continue;
        if (icase)
            found = bytes_eq_icase(ASN1_STRING_get0_data(s), v, len);
        else
            found = memcmp(ASN1_STRING_get0_data(s), v, len) == 0;
    }
    GENERAL_NAMES_free(gens);
    ERR_clear_error();
    return found;
}

static bool id_bound(X509 *x, uint8_t id_type, const uint8_t *id, size_t id_len)
{
    switch (id_type) {
    case IKE_ID_FQDN:
        return id_len > 0 && san_has(x, GEN_DNS, id, id_len, true);
    case IKE_ID_RFC822_ADDR:
        return id_len > 0 && san_has(x, GEN_EMAIL, id, id_len, true);
    case IKE_ID_IPV4_ADDR:
        return id_len == 4 && san_has(x, GEN_IPADD, id, id_len, false);
    case IKE_ID_IPV6_ADDR:
        return id_len == 16 && san_has(x, GEN_IPADD, id, id_len, false);
    case IKE_ID_DER_ASN1_DN: {
        unsigned char *subject = NULL;
        int n = i2d_X509_NAME(X509_get_subject_name(x), &subject);
        bool eq = n > 0 && ike_id_equal(IKE_ID_DER_ASN1_DN, id, id_len, IKE_ID_DER_ASN1_DN, subject,
                                        (size_t)n);

        OPENSSL_free(subject);
        ERR_clear_error();
        return eq;
    }
    case IKE_ID_KEY_ID: {
        /* strongSwan's @#hex: the certificate's subjectKeyIdentifier */
        const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);

        ERR_clear_error();
        return id_len > 0 && skid && (size_t)ASN1_STRING_length(skid) == id_len &&
               memcmp(ASN1_STRING_get0_data(skid), id, id_len) == 0;
    }
    default:
        return false;
    }
}

static bool host_in_cert(X509 *x, const char *host)
{
    uint8_t addr[16];
    size_t len = strlen(host);

    if (inet_pton(AF_INET, host, addr) == 1)
        return san_has(x, GEN_IPADD, addr, 4, false);
    if (inet_pton(AF_INET6, host, addr) == 1)
        return san_has(x, GEN_IPADD, addr, 16, false);
    return len > 0 && san_has(x, GEN_DNS, (const uint8_t *)host, len, true);
}

/* Any of the blank-separated @hosts (an address, a DNS name) in @x's subjectAltName? */
static bool any_host_in_cert(X509 *x, const char *hosts)
{
    g_auto(GStrv) each = g_strsplit(hosts, " ", -1);
    bool found = false;

    for (unsigned i = 0; each[i] && !found; i++)
        found = host_in_cert(x, each[i]);
    return found;
}

/* @x's subject DN as text in the notation @flags (X509_NAME_print_ex); g_free, NULL on failure. */
static char *subject_dup(X509 *x, unsigned long flags)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *p = NULL, *out = NULL;
    long n;

    if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, flags) >= 0) {
        n = BIO_get_mem_data(bio, &p);
        if (n > 0)
            out = g_strndup(p, (gsize)n);
    }
    BIO_free(bio);
    ERR_clear_error();
    return out;
}

static void subject_str(X509 *x, char *buf, size_t size)
{
    g_autofree char *dn = subject_dup(x, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);

    g_strlcpy(buf, dn ? dn : "", size);
}

int ike_cert_check_identity(X509 *x, uint8_t id_type, const uint8_t *id, size_t id_len,
                            const char *expected_host, char *err, size_t err_len)
{
    if (!x || (!id && id_len))
        return -EINVAL;
    if (!id_bound(x, id_type, id, id_len)) {
        ike_set_err(err, err_len, "the gateway's IDr (type %u) is not in its certificate", id_type);
        return -EACCES;
    }
    if (expected_host && !any_host_in_cert(x, expected_host)) {
        g_auto(GStrv) hosts = g_strsplit(expected_host, " ", -1);
        g_autofree char *shown = g_strjoinv("' or '", hosts);
        ike_set_err(err, err_len, "the gateway's certificate is not for '%s'", shown);
        return -EACCES;
    }
    return 0;
}

/* ---- the gateway ---------------------------------------------------------------------------- */

/* Is @pk an EC key on a curve we accept (P-256, P-384, P-521), or not EC at all? */
static bool curve_allowed(EVP_PKEY *pk)
{
    if (!EVP_PKEY_is_a(pk, "EC"))
        return true;
    for (size_t i = 0; i < G_N_ELEMENTS(curves); i++)
        if (key_on_curve(pk, curves[i].group))
            return true;
    return false;
}

/*
 * Our rules beyond OpenSSL's chain verification (which ran at security
 * level CERT_AUTH_LEVEL): every key of the chain on an accepted curve; the
 * end-entity no CA (basicConstraints CA:TRUE) unless it is itself a trust
 * anchor of the CA file (a pinned self-signed gateway certificate), and
 * fit for signing (digitalSignature, when it has keyUsage at all).
 */
int ike_cert_check_policy(X509_STORE_CTX *ctx, char *err, size_t err_len)
{
    x509_list *chain = ctx ? X509_STORE_CTX_get0_chain(ctx) : NULL;
    X509 *ee = ctx ? X509_STORE_CTX_get0_cert(ctx) : NULL;
    uint32_t flags;
    char subj[256];

    if (!ee)
        return -EINVAL;
    flags = X509_get_extension_flags(ee);

    for (int i = 0; chain && i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        EVP_PKEY *pk = X509_get0_pubkey(x);

        if (!pk || !curve_allowed(pk)) {
            char curve[64] = "?";
            if (pk)
                EVP_PKEY_get_group_name(pk, curve, sizeof(curve), NULL);
            subject_str(x, subj, sizeof(subj));
            ike_set_err(
                err, err_len,
                "gateway certificate refused: elliptic curve %s (depth %d, %s); only P-256, "
                "P-384 and P-521 are accepted",
                curve, i, subj);
            return -EKEYREJECTED;
        }
    }
    subject_str(ee, subj, sizeof(subj));
    if ((flags & EXFLAG_CA) && !(chain && sk_X509_num(chain) == 1)) {
        ike_set_err(
            err, err_len,
            "gateway certificate refused: it is a CA certificate (basicConstraints CA:TRUE), "
            "not an end entity (%s)",
            subj);
        return -EKEYREJECTED;
    }
    if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(ee) & KU_DIGITAL_SIGNATURE)) {
        ike_set_err(err, err_len,
                    "gateway certificate refused: its keyUsage lacks digitalSignature (%s)", subj);
        return -EKEYREJECTED;
    }
    return 0;
}

/* The rule behind OpenSSL's refusals at our security level, for the message. */
static const char *level_rule(int e)
{
    switch (e) {
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL:
        return " (security level 2: RSA keys of 2048 bits at least)";
    case X509_V_ERR_CA_MD_TOO_WEAK:
        return " (security level 2: no SHA-1 or weaker signatures in the chain)";
    default:
        return "";
    }
}

static int verify_chain(const struct ike_trust *t, X509 *ee, x509_list *untrusted, char *err,
                        size_t err_len)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int r, e;

    if (!ctx)
        return -ENOMEM;
    if (X509_STORE_CTX_init(ctx, t->store, ee, untrusted) != 1 ||
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY) != 1) {
        X509_STORE_CTX_free(ctx);
        return ossl_fail();
    }
    /* at least level 2: 112-bit keys (RSA >= 2048), no SHA-1 signatures (OpenSSL rates
     * SHA-1 below 80 bits) except the trust anchor's own */
    if (X509_VERIFY_PARAM_get_auth_level(X509_STORE_CTX_get0_param(ctx)) < CERT_AUTH_LEVEL)
        X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx), CERT_AUTH_LEVEL);
    r = X509_verify_cert(ctx);
    e = X509_STORE_CTX_get_error(ctx);
    if (r == 1) {
        r = ike_cert_check_policy(ctx, err, err_len);
    } else if (e == X509_V_OK) {
        r = ossl_fail();
    } else {
        char subj[256];
        X509 *bad = X509_STORE_CTX_get_current_cert(ctx);

        subject_str(bad ? bad : ee, subj, sizeof(subj));
        ike_set_err(err, err_len, "gateway certificate not trusted: %s%s (depth %d, %s)",
                    X509_verify_cert_error_string(e), level_rule(e),
                    X509_STORE_CTX_get_error_depth(ctx), subj);
        r = -EKEYREJECTED;
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return r;
}

int ike_cert_verify_peer(const struct ike_trust *t, const struct ike_cert_blob *certs, unsigned n,
                         uint8_t id_type, const uint8_t *id, size_t id_len,
                         const char *expected_host, uint8_t auth_method, const uint8_t *auth,
                         size_t auth_len, const uint8_t *signed_octets, size_t so_len, char *err,
                         size_t err_len)
{
    x509_list *untrusted = NULL;
    X509 *ee = NULL;
    struct sig_spec spec;
    EVP_PKEY *pk;
    int r;

    if (!t || (!certs && n) || (!id && id_len) || (!auth && auth_len) || (!signed_octets && so_len))
        return -EINVAL;

    /* validate: certificates and the AUTH layout, before any verdict */
    if (n == 0) {
        ike_set_err(err, err_len, "no CERT payload from the gateway");
        return -EBADMSG;
    }
    if (certs[0].encoding != IKE_CERT_X509_SIG) {
        ike_set_err(err, err_len, "gateway certificate encoding %u not supported",
                    certs[0].encoding);
        return -EOPNOTSUPP;
    }
    r = parse_auth(auth_method, auth, auth_len, &spec, err, err_len);
    if (r < 0)
        return r;
    ee = x509_from_der(certs[0].data, certs[0].len);
    if (!ee) {
        ERR_clear_error();
        ike_set_err(err, err_len, "malformed gateway certificate");
        return -EBADMSG;
    }
    untrusted = sk_X509_new_null();
    if (!untrusted) {
        r = -ENOMEM;
        goto out;
    }
    for (unsigned i = 1; i < n && i < IKE_CERT_MAX_CHAIN; i++) {
        X509 *x;

        if (certs[i].encoding != IKE_CERT_X509_SIG)
            continue;
        x = x509_from_der(certs[i].data, certs[i].len);
        if (!x) {
            ERR_clear_error();
            ike_set_err(err, err_len, "malformed intermediate certificate (CERT payload %u)",
                        i + 1);
            r = -EBADMSG;
            goto out;
        }
        if (!sk_X509_push(untrusted, x)) {
            X509_free(x);
            r = -ENOMEM;
            goto out;
        }
    }

    /* chain */
    r = verify_chain(t, ee, untrusted, err, err_len);
    if (r < 0)
        goto out;

    /* identity */
    r = ike_cert_check_identity(ee, id_type, id, id_len, expected_host, err, err_len);
    if (r < 0)
        goto out;

    /* signature */
    pk = X509_get0_pubkey(ee);
    if (!pk) {
        ike_set_err(err, err_len, "the gateway's certificate has an unusable public key");
        r = -EPERM;
        goto out;
    }
    r = verify_sig(&spec, pk, signed_octets, so_len, err, err_len);
out:
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(ee);
    ERR_clear_error();
    return r;
}

/* ---- our own certificate ------------------------------------------------------------------- */

struct ike_cred {
    grefcount ref;
    X509 *cert;
    EVP_PKEY *key;
    enum key_kind kind;
    uint16_t default_hash;
    unsigned char *cert_der; /* OPENSSL_malloc */
    size_t cert_der_len;
    uint8_t id_type;
    uint8_t *id; /* g_malloc */
    size_t id_len;
    struct ike_p11 *token; /* the key is on a PKCS#11 token: its module and session */
};

struct ike_cred *ike_cred_ref(struct ike_cred *c)
{
    if (c)
        g_ref_count_inc(&c->ref);
    return c;
}

void ike_cred_free(struct ike_cred *c)
{
    if (!c || !g_ref_count_dec(&c->ref))
        return;
    EVP_PKEY_free(c->key);
    ike_p11_free(c->token); /* after the key, which refers to it */
    X509_free(c->cert);
    OPENSSL_free(c->cert_der);
    g_free(c->id);
    g_free(c);
}

struct pw_ctx {
    const char *pw;
    bool asked;
};

/* OpenSSL asks only for an encrypted key; no password = fail, never prompt. */
static int pw_cb(char *buf, int size, int rwflag, void *u)
{
    struct pw_ctx *pc = u;
    size_t len;

    pc->asked = true;
    if (!pc->pw || !*pc->pw)
        return -1;
    len = strlen(pc->pw);
    if (size < 0 || len > (size_t)size)
        return -1;
    memcpy(buf, pc->pw, len);
    return (int)len;
}

static int load_key(const struct uip_file_data *fb, const char *password, EVP_PKEY **out)
{
    struct pw_ctx pc = {.pw = password};
    EVP_PKEY *k;
    BIO *bio;

    if (fb->len > INT_MAX)
        return -EBADMSG;
    bio = BIO_new_mem_buf(fb->data, (int)fb->len);
    if (!bio)
        return -ENOMEM;
    k = PEM_read_bio_PrivateKey_ex(bio, NULL, pw_cb, &pc, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!k)
        return pc.asked ? -ENOKEY : -EBADMSG;
    *out = k;
    return 0;
}

static int cred_default_id(struct ike_cred *c)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(c->cert, NID_subject_alt_name, NULL, NULL);
    unsigned char *der = NULL;
    int len;

    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS && ASN1_STRING_length(g->d.dNSName) > 0) {
            c->id_type = IKE_ID_FQDN;
            c->id_len = (size_t)ASN1_STRING_length(g->d.dNSName);
            c->id = g_memdup2(ASN1_STRING_get0_data(g->d.dNSName), c->id_len);
            break;
        }
    }
    GENERAL_NAMES_free(gens);
    ERR_clear_error();
    if (c->id)
        return 0;

    len = i2d_X509_NAME(X509_get_subject_name(c->cert), &der);
    if (len <= 0)
        return ossl_fail();
    c->id_type = IKE_ID_DER_ASN1_DN;
    c->id_len = (size_t)len;
    c->id = g_memdup2(der, c->id_len);
    OPENSSL_free(der);
    return 0;
}

int ike_cred_load(const char *cert_file, const char *key_file, const char *key_password,
                  struct ike_cred **out, char *err, size_t err_len)
{
    return ike_cred_load_as(cert_file, key_file, key_password, NULL, out, err, err_len);
}

int ike_cred_load_as(const char *cert_file, const char *key_file, const char *key_password,
                     const struct uip_file_owner *as, struct ike_cred **out, char *err,
                     size_t err_len)
{
    struct uip_file_data fb = {0};
    x509_list *sk = NULL;
    struct ike_cred *c;
    int len, r;

    if (!cert_file || !*cert_file || !out)
        return -EINVAL;
    if (!key_file || !*key_file)
        key_file = cert_file;
    c = g_new0(struct ike_cred, 1);
    g_ref_count_init(&c->ref);

    if (uip_pkcs11_is_uri(key_file)) {
        /* on a token: the PIN is the key password; a certificate there too, or a file */
        r = ike_p11_load(key_file, uip_pkcs11_is_uri(cert_file) ? cert_file : NULL, key_password,
                         &c->token, &c->key, &c->cert, err, err_len);
        if (r < 0)
            goto fail;
    } else if (uip_pkcs11_is_uri(cert_file)) {
        ike_set_err(err, err_len,
                    "a certificate on a token needs its private key there too "
                    "(a pkcs11: URI as the key)");
        r = -EINVAL;
        goto fail;
    }
    if (!c->cert) {
        r = read_file_err("certificate", cert_file, as, &fb, err, err_len);
        if (r < 0)
            goto fail;
        r = load_certs(&fb, true, &sk);
        uip_file_data_clear(&fb);
        if (r < 0) {
            ike_set_err(err, err_len, "no certificate in '%s'", cert_file);
            goto fail;
        }
        c->cert = sk_X509_shift(sk);
        sk_X509_pop_free(sk, X509_free);
    }

    if (!c->token) {
        r = read_file_err("private key", key_file, as, &fb, err, err_len);
        if (r < 0)
            goto fail;
        r = load_key(&fb, key_password, &c->key);
        uip_file_data_clear(&fb);
        if (r == -ENOKEY) {
            ike_set_err(err, err_len,
                        "cannot decrypt the private key in '%s': password missing or wrong",
                        key_file);
            goto fail;
        }
        if (r < 0) {
            ike_set_err(err, err_len, "no private key in '%s'", key_file);
            goto fail;
        }
    }

    if (EVP_PKEY_is_a(c->key, "RSA")) {
        c->kind = KEY_RSA;
        c->default_hash = IKE_HASH_SHA2_256;
    } else if (EVP_PKEY_is_a(c->key, "EC")) {
        c->kind = KEY_EC;
        for (size_t i = 0; i < G_N_ELEMENTS(curves); i++)
            if (key_on_curve(c->key, curves[i].group))
                c->default_hash = curves[i].hash;
    }
    if (!c->kind || !c->default_hash) {
        ERR_clear_error();
        ike_set_err(err, err_len, "private key type not supported (RSA, EC P-256/384/521)");
        r = -EOPNOTSUPP;
        goto fail;
    }
    if (X509_check_private_key(c->cert, c->key) != 1) {
        ERR_clear_error();
        ike_set_err(err, err_len, "the private key does not belong to the certificate");
        r = -EKEYREJECTED;
        goto fail;
    }

    len = i2d_X509(c->cert, &c->cert_der);
    if (len <= 0) {
        r = ossl_fail();
        goto fail;
    }
    c->cert_der_len = (size_t)len;
    r = cred_default_id(c);
    if (r < 0)
        goto fail;
    *out = c;
    return 0;

fail:
    ERR_clear_error();
    ike_cred_free(c);
    return r;
}

const uint8_t *ike_cred_cert_der(const struct ike_cred *c, size_t *len)
{
    if (!c) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = c->cert_der_len;
    return c->cert_der;
}

void ike_cred_id(const struct ike_cred *c, uint8_t *id_type, const uint8_t **id, size_t *id_len)
{
    if (!c)
        return;
    if (id_type)
        *id_type = c->id_type;
    if (id)
        *id = c->id;
    if (id_len)
        *id_len = c->id_len;
}

char *ike_cred_id_string(const struct ike_cred *c)
{
    if (!c)
        return NULL;
    if (c->id_type == IKE_ID_FQDN)
        return g_strndup((const char *)c->id, c->id_len);
    return ike_id_dn_to_text(c->id, c->id_len); /* the subject in strongSwan's notation */
}

X509 *ike_cred_x509(const struct ike_cred *c)
{
    return c ? c->cert : NULL;
}

EVP_PKEY *ike_cred_pkey(const struct ike_cred *c)
{
    return c ? c->key : NULL;
}

uint16_t ike_cred_choose_hash(const struct ike_cred *c, uint32_t peer_mask)
{
    static const uint16_t by_strength[] = {IKE_HASH_SHA2_512, IKE_HASH_SHA2_384, IKE_HASH_SHA2_256};

    if (!c)
        return 0;
    if (peer_mask & (1u << c->default_hash))
        return c->default_hash;
    for (size_t i = 0; i < G_N_ELEMENTS(by_strength); i++)
        if (peer_mask & (1u << by_strength[i]))
            return by_strength[i];
    return 0;
}

int ike_cred_sign(const struct ike_cred *c, uint16_t hash_alg, const uint8_t *so, size_t so_len,
                  uint8_t *method, uint8_t **auth, size_t *auth_len)
{
    const struct sign_alg *alg = NULL;
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    uint8_t *buf;
    int r;

    if (!c || (!so && so_len) || !method || !auth || !auth_len)
        return -EINVAL;
    if (hash_alg == 0)
        hash_alg = c->default_hash;
    for (size_t i = 0; i < G_N_ELEMENTS(sign_algs); i++)
        if (sign_algs[i].kind == c->kind && sign_algs[i].hash == hash_alg)
            alg = &sign_algs[i];
    if (!alg)
        return -EOPNOTSUPP;

    mctx = EVP_MD_CTX_new();
    if (!mctx)
        return -ENOMEM;
    if (EVP_DigestSignInit_ex(mctx, &pctx, alg->md, NULL, NULL, c->key, NULL) != 1 ||
        (c->kind == KEY_RSA && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) ||
        EVP_DigestSign(mctx, NULL, &sig_len, so, so_len) != 1) {
        r = ossl_fail();
        goto out;
    }
    sig = OPENSSL_malloc(sig_len);
    if (!sig) {
        r = -ENOMEM;
        goto out;
    }
    if (EVP_DigestSign(mctx, sig, &sig_len, so, so_len) != 1) {
        r = ossl_fail();
        goto out;
    }

    buf = g_malloc(1 + alg->algid_len + sig_len);
    buf[0] = (uint8_t)alg->algid_len;
    memcpy(buf + 1, alg->algid, alg->algid_len);
    memcpy(buf + 1 + alg->algid_len, sig, sig_len);
    *method = IKE_AUTH_DIGITAL_SIGNATURE;
    *auth = buf;
    *auth_len = 1 + alg->algid_len + sig_len;
    r = 0;
out:
    OPENSSL_free(sig);
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return r;
}

/* ---- SIGNATURE_HASH_ALGORITHMS -------------------------------------------------------------- */

int ike_sig_hash_build(uint8_t *out, size_t out_size, size_t *out_len)
{
    static const uint16_t ours[] = {IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512};

    if (!out || !out_len)
        return -EINVAL;
    if (out_size < IKE_SIG_HASH_DATA_LEN)
        return -ENOSPC;
    for (size_t i = 0; i < G_N_ELEMENTS(ours); i++) {
        out[2 * i] = (uint8_t)(ours[i] >> 8);
        out[2 * i + 1] = (uint8_t)ours[i];
    }
    *out_len = IKE_SIG_HASH_DATA_LEN;
    return 0;
}

int ike_sig_hash_parse(const uint8_t *data, size_t len, uint32_t *mask)
{
    uint32_t m = 0;

    if ((!data && len) || !mask)
        return -EINVAL;
    if (len % 2)
        return -EBADMSG;
    for (size_t i = 0; i < len; i += 2) {
        uint16_t id = (uint16_t)(data[i] << 8 | data[i + 1]);
        if (id < 32)
            m |= 1u << id;
    }
    *mask = m;
    return 0;
}
