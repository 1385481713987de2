/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for src/ike/cert-auth.c: trust store, the gateway's certificate
 * chain / identity / AUTH signature, our own credential and its RFC 7427
 * AUTH, SIGNATURE_HASH_ALGORITHMS and CERTREQ data.
 *
 * The whole PKI is generated at test time through the OpenSSL API (no key
 * is committed): a root CA (RSA 2048), an intermediate (P-256), a second
 * unrelated CA, gateway certificates with SAN DNS gw.example.test and SAN IP
 * 192.0.2.2 (RSA 2048 and P-256 / P-384 under the intermediate, RSA 3072
 * and P-521 directly under the root), an expired one, and client ones.
 *
 * Known values: the RFC 7427 Appendix A AlgorithmIdentifier encodings
 * (A.1.2-A.1.4 sha*WithRSAEncryption, A.3.2-A.3.4 ecdsa-with-SHA*, A.4.1
 * RSASSA-PSS with empty parameters, A.4.3 RSASSA-PSS with SHA-256), written
 * out byte for byte below; RSASSA-PSS with SHA-384 / SHA-512 follows the
 * A.4.3 layout with the SHA-384 / SHA-512 OIDs and salt lengths 48 / 64.
 * Classic AUTH methods 9/10/11 (RFC 4754 r || s) and the PSS signatures are
 * produced independently here with EVP; method 1 (RSA with SHA-1) is refused.
 * The certificate policy (security level 2, curves, keyUsage, CA:TRUE) with
 * certificates made for each rule.
 */
#include "ike/cert-auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/ike-id.h"
#include "ike/ike-types.h"

#define GW_FQDN "gw.example.test"
#define GW_IP   "192.0.2.2"
#define PASS    "correct horse"

/* ---- RFC 7427 Appendix A ------------------------------------------------------------------- */

static const uint8_t rfc_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t rfc_rsa_sha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t rfc_rsa_sha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
static const uint8_t rfc_rsa_sha1[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                       0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
static const uint8_t rfc_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t rfc_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t rfc_ecdsa_sha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
/* A.4.1: RSASSA-PSS with empty parameters (= the SHA-1 defaults) */
static const uint8_t rfc_pss_empty[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                        0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x00};
/* A.4.3: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt 32 */
static const uint8_t rfc_pss_sha256[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
    0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20};
static const uint8_t pss_sha384[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
    0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30};
static const uint8_t pss_sha512[] = {
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30,
    0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
    0x02, 0x03, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
    0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40};

/* ---- the test PKI ---------------------------------------------------------------------------- */

struct party {
    const char *name;
    EVP_PKEY *key;
    X509 *cert;
    bool via_int; /* issued by the intermediate (sends it as a second CERT) */
    char *cert_file;
    char *key_file;
    struct ike_cred *cred;
};

static char *tmpdir;
static EVP_PKEY *ca_key, *ca2_key, *int_key;
static X509 *ca_cert, *ca2_cert, *int_cert;
static char *ca_file, *ca2_file, *ca_both_file, *ca_der_file;
static struct ike_trust *trust;

enum { GW_RSA2048, GW_RSA3072, GW_P256, GW_P384, GW_P521, N_GW };
static struct party gws[N_GW] = {
    [GW_RSA2048] = {.name = "rsa2048", .via_int = true},
    [GW_RSA3072] = {.name = "rsa3072"},
    [GW_P256] = {.name = "p256", .via_int = true},
    [GW_P384] = {.name = "p384", .via_int = true},
    [GW_P521] = {.name = "p521"},
};
static struct party expired = {.name = "expired", .via_int = true};
static struct party client_ec = {.name = "client-ec"};
static struct party client_rsa = {.name = "client-rsa"}; /* no SAN */
static X509 *leaf_under_leaf;                            /* issued by gws[GW_P256] (CA:FALSE) */

static int serial = 1;

static void add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    g_assert_nonnull(ext);
    g_assert_cmpint(X509_add_ext(x, ext, -1), ==, 1);
    X509_EXTENSION_free(ext);
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
                       const char *san, long not_before, long not_after)
{
    X509 *x = X509_new();
    X509_NAME *nm;
    X509V3_CTX v3;

    g_assert_nonnull(x);
    g_assert_cmpint(X509_set_version(x, X509_VERSION_3), ==, 1);
    g_assert_cmpint(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), ==, 1);
    g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), not_before));
    g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), not_after));
    g_assert_cmpint(X509_set_pubkey(x, key), ==, 1);
    nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"uipsec test", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    g_assert_cmpint(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm), ==, 1);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    add_ext(x, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(x, &v3, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    if (san)
        add_ext(x, &v3, NID_subject_alt_name, san);
    g_assert_cmpint(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()), >, 0);
    return x;
}

static EVP_PKEY *gen_rsa(unsigned bits)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    g_assert_nonnull(k);
    return k;
}

static EVP_PKEY *gen_ec(const char *curve)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
    g_assert_nonnull(k);
    return k;
}

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static void write_certs(const char *path, X509 *const *xs, size_t n)
{
    BIO *bio = BIO_new_file(path, "w");
    g_assert_nonnull(bio);
    for (size_t i = 0; i < n; i++)
        g_assert_cmpint(PEM_write_bio_X509(bio, xs[i]), ==, 1);
    BIO_free(bio);
}

/* PKCS#8, encrypted with AES-256-CBC when @pass is set */
static void write_key(const char *path, EVP_PKEY *k, const char *pass, bool append)
{
    BIO *bio = BIO_new_file(path, append ? "a" : "w");
    g_assert_nonnull(bio);
    if (pass)
        g_assert_cmpint(
            PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)pass),
            ==, 1);
    else
        g_assert_cmpint(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), ==, 1);
    BIO_free(bio);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

static void party_files(struct party *p, const char *pass)
{
    char *name = g_strdup_printf("%s.crt", p->name);
    p->cert_file = tmp_path(name);
    g_free(name);
    name = g_strdup_printf("%s.key", p->name);
    p->key_file = tmp_path(name);
    g_free(name);
    write_certs(p->cert_file, &p->cert, 1);
    write_key(p->key_file, p->key, pass, false);
}

static void pki_setup(void)
{
    static const char *gw_san = "DNS:" GW_FQDN ",IP:" GW_IP;
    X509 *both[2];
    unsigned char *der = NULL;
    int len;
    char err[256];

    tmpdir = g_dir_make_tmp("uipsec-cert-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);

    ca_key = gen_rsa(2048);
    ca_cert = make_cert(ca_key, "Test Root CA", NULL, NULL, true, NULL, -3600, 86400);
    ca2_key = gen_ec("P-256");
    ca2_cert = make_cert(ca2_key, "Other CA", NULL, NULL, true, NULL, -3600, 86400);
    int_key = gen_ec("P-256");
    int_cert = make_cert(int_key, "Test Intermediate", ca_cert, ca_key, true, NULL, -3600, 86400);

    gws[GW_RSA2048].key = gen_rsa(2048);
    gws[GW_RSA3072].key = gen_rsa(3072);
    gws[GW_P256].key = gen_ec("P-256");
    gws[GW_P384].key = gen_ec("P-384");
    gws[GW_P521].key = gen_ec("P-521");
    for (int i = 0; i < N_GW; i++) {
        struct party *g = &gws[i];
        g->cert = make_cert(g->key, GW_FQDN, g->via_int ? int_cert : ca_cert,
                            g->via_int ? int_key : ca_key, false, gw_san, -3600, 86400);
        party_files(g, i == GW_P384 ? PASS : NULL);
        g_assert_cmpint(ike_cred_load(g->cert_file, g->key_file, i == GW_P384 ? PASS : NULL,
                                      &g->cred, err, sizeof(err)),
                        ==, 0);
    }

    EVP_PKEY_up_ref(gws[GW_P256].key);
    expired.key = gws[GW_P256].key;
    expired.cert =
        make_cert(expired.key, GW_FQDN, int_cert, int_key, false, gw_san, -2 * 86400, -86400);
    party_files(&expired, NULL);

    client_ec.key = gen_ec("P-256");
    client_ec.cert = make_cert(client_ec.key, "client", ca_cert, ca_key, false,
                               "email:user@example.test,DNS:client.example.test", -3600, 86400);
    party_files(&client_ec, NULL);
    EVP_PKEY_up_ref(gws[GW_RSA2048].key);
    client_rsa.key = gws[GW_RSA2048].key;
    client_rsa.cert =
        make_cert(client_rsa.key, "client rsa", ca_cert, ca_key, false, NULL, -3600, 86400);
    party_files(&client_rsa, PASS);

    leaf_under_leaf = make_cert(gws[GW_P384].key, "leaf under leaf", gws[GW_P256].cert,
                                gws[GW_P256].key, false, gw_san, -3600, 86400);

    ca_file = tmp_path("ca.pem");
    write_certs(ca_file, &ca_cert, 1);
    ca2_file = tmp_path("ca2.pem");
    write_certs(ca2_file, &ca2_cert, 1);
    ca_both_file = tmp_path("ca-both.pem");
    both[0] = ca_cert;
    both[1] = ca2_cert;
    write_certs(ca_both_file, both, 2);
    ca_der_file = tmp_path("ca.der");
    len = i2d_X509(ca_cert, &der);
    g_assert_cmpint(len, >, 0);
    write_bytes(ca_der_file, der, (size_t)len);
    OPENSSL_free(der);

    g_assert_cmpint(ike_trust_new(ca_file, &trust, err, sizeof(err)), ==, 0);
}

static void party_free(struct party *p)
{
    ike_cred_free(p->cred);
    X509_free(p->cert);
    EVP_PKEY_free(p->key);
    g_free(p->cert_file);
    g_free(p->key_file);
}

static void pki_teardown(void)
{
    GDir *d;
    const char *name;

    ike_trust_free(trust);
    for (int i = 0; i < N_GW; i++)
        party_free(&gws[i]);
    party_free(&expired);
    party_free(&client_ec);
    party_free(&client_rsa);
    X509_free(leaf_under_leaf);
    X509_free(ca_cert);
    X509_free(ca2_cert);
    X509_free(int_cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(ca2_key);
    EVP_PKEY_free(int_key);
    g_free(ca_file);
    g_free(ca2_file);
    g_free(ca_both_file);
    g_free(ca_der_file);

    d = g_dir_open(tmpdir, 0, NULL);
    while (d && (name = g_dir_read_name(d))) {
        char *p = tmp_path(name);
        g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(tmpdir);
    g_free(tmpdir);
}

/* ---- helpers --------------------------------------------------------------------------------- */

struct der {
    unsigned char *p;
    size_t len;
};

static struct der cert_der(X509 *x)
{
    struct der d = {0};
    int len = i2d_X509(x, &d.p);
    g_assert_cmpint(len, >, 0);
    d.len = (size_t)len;
    return d;
}

static uint8_t so[200]; /* the signed octets (random) */

static int verify_full(const struct ike_trust *t, X509 *ee, X509 *inter, uint8_t id_type,
                       const void *id, size_t id_len, const char *host, uint8_t method,
                       const uint8_t *auth, size_t auth_len, const uint8_t *sig_so, size_t so_len,
                       char *err, size_t err_len)
{
    struct der d0 = cert_der(ee), d1 = {0};
    struct ike_cert_blob blobs[2] = {{IKE_CERT_X509_SIG, d0.p, d0.len}};
    unsigned n = 1;
    int r;

    if (inter) {
        d1 = cert_der(inter);
        blobs[1] = (struct ike_cert_blob){IKE_CERT_X509_SIG, d1.p, d1.len};
        n = 2;
    }
    r = ike_cert_verify_peer(t, blobs, n, id_type, id, id_len, host, method, auth, auth_len, sig_so,
                             so_len, err, err_len);
    OPENSSL_free(d0.p);
    OPENSSL_free(d1.p);
    g_assert_cmpint(ERR_peek_error(), ==, 0); /* no stale OpenSSL errors left behind */
    return r;
}

/* The gateway @g, IDr = FQDN, no expected host, over `so`. */
static int verify_gw(const struct party *g, uint8_t method, const uint8_t *auth, size_t auth_len)
{
    char err[256] = "";
    int r = verify_full(trust, g->cert, g->via_int ? int_cert : NULL, IKE_ID_FQDN, GW_FQDN,
                        strlen(GW_FQDN), NULL, method, auth, auth_len, so, sizeof(so), err,
                        sizeof(err));

    g_assert_true(r == 0 || err[0] != '\0'); /* every failure says why */
    return r;
}

/* EVP signature over @m: @pad RSA padding (0: not RSA), PSS salt and MGF1 digest. */
static uint8_t *evp_sign(EVP_PKEY *k, const char *md, int pad, int salt, const char *mgf,
                         const uint8_t *m, size_t m_len, size_t *sig_len)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    uint8_t *sig;

    g_assert_cmpint(EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, k, NULL), ==, 1);
    if (pad)
        g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(pctx, pad), ==, 1);
    if (pad == RSA_PKCS1_PSS_PADDING) {
        g_assert_cmpint(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), ==, 1);
        g_assert_cmpint(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf, NULL), ==, 1);
    }
    g_assert_cmpint(EVP_DigestSign(mctx, NULL, sig_len, m, m_len), ==, 1);
    sig = g_malloc(*sig_len);
    g_assert_cmpint(EVP_DigestSign(mctx, sig, sig_len, m, m_len), ==, 1);
    EVP_MD_CTX_free(mctx);
    return sig;
}

/* RFC 7427 AUTH data: length | AlgorithmIdentifier | signature */
static uint8_t *auth14(const uint8_t *algid, size_t algid_len, const uint8_t *sig, size_t sig_len,
                       size_t *len)
{
    uint8_t *a = g_malloc(1 + algid_len + sig_len);
    a[0] = (uint8_t)algid_len;
    memcpy(a + 1, algid, algid_len);
    memcpy(a + 1 + algid_len, sig, sig_len);
    *len = 1 + algid_len + sig_len;
    return a;
}

/* DER ECDSA signature -> RFC 4754 r || s with @half bytes each */
static uint8_t *ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t half)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r, *s;
    uint8_t *raw = g_malloc(2 * half);

    g_assert_nonnull(es);
    ECDSA_SIG_get0(es, &r, &s);
    g_assert_cmpint(BN_bn2binpad(r, raw, (int)half), ==, (int)half);
    g_assert_cmpint(BN_bn2binpad(s, raw + half, (int)half), ==, (int)half);
    ECDSA_SIG_free(es);
    return raw;
}

/* ---- sign with ike_cred_sign, verify with ike_cert_verify_peer ------------------------------ */

static void test_sign_verify(void)
{
    static const uint16_t hashes[] = {0, IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512};

    for (int i = 0; i < N_GW; i++) {
        for (size_t h = 0; h < G_N_ELEMENTS(hashes); h++) {
            uint8_t method = 0;
            uint8_t *auth = NULL;
            size_t auth_len = 0;

            g_assert_cmpint(
                ike_cred_sign(gws[i].cred, hashes[h], so, sizeof(so), &method, &auth, &auth_len),
                ==, 0);
            g_assert_cmpint(method, ==, IKE_AUTH_DIGITAL_SIGNATURE);
            g_assert_cmpint(verify_gw(&gws[i], method, auth, auth_len), ==, 0);
            g_free(auth);
        }
    }
}

static void test_client_sign_verify(void)
{
    struct party *ps[] = {&client_ec, &client_rsa};

    for (size_t i = 0; i < G_N_ELEMENTS(ps); i++) {
        struct ike_cred *c = NULL;
        uint8_t method, id_type;
        uint8_t *auth;
        const uint8_t *id, *der;
        size_t auth_len, id_len, der_len;
        char err[256];
        struct ike_cert_blob blob;

        g_assert_cmpint(ike_cred_load(ps[i]->cert_file, ps[i]->key_file,
                                      ps[i] == &client_rsa ? PASS : NULL, &c, err, sizeof(err)),
                        ==, 0);
        g_assert_cmpint(ike_cred_sign(c, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);
        ike_cred_id(c, &id_type, &id, &id_len);
        der = ike_cred_cert_der(c, &der_len);
        blob = (struct ike_cert_blob){IKE_CERT_X509_SIG, der, der_len};
        g_assert_cmpint(ike_cert_verify_peer(trust, &blob, 1, id_type, id, id_len, NULL, method,
                                             auth, auth_len, so, sizeof(so), err, sizeof(err)),
                        ==, 0);
        g_free(auth);
        ike_cred_free(c);
    }
}

/* The AlgorithmIdentifier of every AUTH we produce is the RFC 7427 Appendix A encoding. */
static void test_algid_rfc7427(void)
{
    static const struct {
        int gw;
        uint16_t hash;
        const uint8_t *algid;
        size_t len;
    } cases[] = {
        {GW_RSA2048, IKE_HASH_SHA2_256, rfc_rsa_sha256, sizeof(rfc_rsa_sha256)},
        {GW_RSA2048, IKE_HASH_SHA2_384, rfc_rsa_sha384, sizeof(rfc_rsa_sha384)},
        {GW_RSA3072, IKE_HASH_SHA2_512, rfc_rsa_sha512, sizeof(rfc_rsa_sha512)},
        {GW_RSA3072, 0, rfc_rsa_sha256, sizeof(rfc_rsa_sha256)},
        {GW_P256, IKE_HASH_SHA2_256, rfc_ecdsa_sha256, sizeof(rfc_ecdsa_sha256)},
        {GW_P256, IKE_HASH_SHA2_384, rfc_ecdsa_sha384, sizeof(rfc_ecdsa_sha384)},
        {GW_P256, IKE_HASH_SHA2_512, rfc_ecdsa_sha512, sizeof(rfc_ecdsa_sha512)},
        {GW_P256, 0, rfc_ecdsa_sha256, sizeof(rfc_ecdsa_sha256)},
        {GW_P384, 0, rfc_ecdsa_sha384, sizeof(rfc_ecdsa_sha384)},
        {GW_P521, 0, rfc_ecdsa_sha512, sizeof(rfc_ecdsa_sha512)},
    };

    g_assert_cmpint(sizeof(rfc_rsa_sha256), ==, 15);
    g_assert_cmpint(sizeof(rfc_ecdsa_sha256), ==, 12);
    g_assert_cmpint(sizeof(rfc_pss_sha256), ==, 67);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint8_t method;
        uint8_t *auth;
        size_t auth_len;

        g_assert_cmpint(ike_cred_sign(gws[cases[i].gw].cred, cases[i].hash, so, sizeof(so), &method,
                                      &auth, &auth_len),
                        ==, 0);
        g_assert_cmpuint(auth_len, >, 1 + cases[i].len);
        g_assert_cmpuint(auth[0], ==, cases[i].len);
        g_assert_cmpmem(auth + 1, cases[i].len, cases[i].algid, cases[i].len);
        if (cases[i].gw == GW_RSA2048) /* PKCS#1: the signature is the modulus size */
            g_assert_cmpuint(auth_len, ==, 1 + cases[i].len + 256);
        if (cases[i].gw == GW_RSA3072)
            g_assert_cmpuint(auth_len, ==, 1 + cases[i].len + 384);
        g_free(auth);
    }
}

/* ---- RSASSA-PSS, produced here with EVP ------------------------------------------------------ */

static void test_pss(void)
{
    static const struct {
        const uint8_t *algid;
        size_t len;
        const char *md;
        int salt;
    } cases[] = {
        {rfc_pss_sha256, sizeof(rfc_pss_sha256), "SHA256", 32},
        {pss_sha384, sizeof(pss_sha384), "SHA384", 48},
        {pss_sha512, sizeof(pss_sha512), "SHA512", 64},
    };
    int gw_ids[] = {GW_RSA2048, GW_RSA3072};

    for (size_t g = 0; g < G_N_ELEMENTS(gw_ids); g++) {
        const struct party *gw = &gws[gw_ids[g]];
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            size_t sig_len, auth_len;
            uint8_t *sig = evp_sign(gw->key, cases[i].md, RSA_PKCS1_PSS_PADDING, cases[i].salt,
                                    cases[i].md, so, sizeof(so), &sig_len);
            uint8_t *auth = auth14(cases[i].algid, cases[i].len, sig, sig_len, &auth_len);

            g_assert_cmpint(verify_gw(gw, IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len), ==, 0);
            /* the same signature under PKCS#1 v1.5 does not verify */
            g_free(auth);
            auth = auth14(rfc_rsa_sha256, sizeof(rfc_rsa_sha256), sig, sig_len, &auth_len);
            g_assert_cmpint(verify_gw(gw, IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len), ==, -EPERM);
            g_free(auth);
            /* nor when the salt length in the parameters differs */
            if (i == 0) {
                uint8_t algid[sizeof(rfc_pss_sha256)];
                memcpy(algid, rfc_pss_sha256, sizeof(algid));
                algid[sizeof(algid) - 1] = 20;
                auth = auth14(algid, sizeof(algid), sig, sig_len, &auth_len);
                g_assert_cmpint(verify_gw(gw, IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len), ==,
                                -EPERM);
                g_free(auth);
            }
            g_free(sig);
        }
    }

    /* salt 20 declared and used: fine */
    {
        uint8_t algid[sizeof(rfc_pss_sha256)];
        size_t sig_len, auth_len;
        uint8_t *sig = evp_sign(gws[GW_RSA2048].key, "SHA256", RSA_PKCS1_PSS_PADDING, 20, "SHA256",
                                so, sizeof(so), &sig_len);
        uint8_t *auth;

        memcpy(algid, rfc_pss_sha256, sizeof(algid));
        algid[sizeof(algid) - 1] = 20;
        auth = auth14(algid, sizeof(algid), sig, sig_len, &auth_len);
        g_assert_cmpint(verify_gw(&gws[GW_RSA2048], IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len), ==,
                        0);
        g_free(auth);

        /* A.4.1 empty parameters = SHA-1 defaults: not supported */
        auth = auth14(rfc_pss_empty, sizeof(rfc_pss_empty), sig, sig_len, &auth_len);
        g_assert_cmpint(verify_gw(&gws[GW_RSA2048], IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len), ==,
                        -EOPNOTSUPP);
        g_free(auth);

        /* PSS with an EC certificate */
        auth = auth14(rfc_pss_sha256, sizeof(rfc_pss_sha256), sig, sig_len, &auth_len);
        g_assert_cmpint(verify_gw(&gws[GW_P256], IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len), ==,
                        -EPERM);
        g_free(auth);
        g_free(sig);
    }
}

/* ---- classic methods 1 and 9/10/11, produced here with EVP ----------------------------------- */

static void test_classic(void)
{
    static const struct {
        int gw;
        uint8_t method;
        const char *md;
        size_t half;
    } ec[] = {
        {GW_P256, IKE_AUTH_ECDSA_SHA256_P256, "SHA256", 32},
        {GW_P384, IKE_AUTH_ECDSA_SHA384_P384, "SHA384", 48},
        {GW_P521, IKE_AUTH_ECDSA_SHA512_P521, "SHA512", 66},
    };
    size_t sig_len;
    uint8_t *sig;

    /* method 1: RSASSA-PKCS1-v1_5 with SHA-1, refused even when the signature is right */
    for (int g = GW_RSA2048; g <= GW_RSA3072; g++) {
        char err[256] = "";

        sig = evp_sign(gws[g].key, "SHA1", RSA_PKCS1_PADDING, 0, NULL, so, sizeof(so), &sig_len);
        g_assert_cmpint(verify_full(trust, gws[g].cert, gws[g].via_int ? int_cert : NULL,
                                    IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), NULL, IKE_AUTH_RSA_SIG,
                                    sig, sig_len, so, sizeof(so), err, sizeof(err)),
                        ==, -EOPNOTSUPP);
        g_assert_nonnull(strstr(err, "AUTH method 1 (RSA signature with SHA-1) refused"));
        g_free(sig);
    }

    /* methods 9, 10, 11: RFC 4754 r || s */
    for (size_t i = 0; i < G_N_ELEMENTS(ec); i++) {
        const struct party *g = &gws[ec[i].gw];
        uint8_t *raw;

        sig = evp_sign(g->key, ec[i].md, 0, 0, NULL, so, sizeof(so), &sig_len);
        raw = ecdsa_der_to_raw(sig, sig_len, ec[i].half);
        g_assert_cmpint(verify_gw(g, ec[i].method, raw, 2 * ec[i].half), ==, 0);
        /* wrong length */
        g_assert_cmpint(verify_gw(g, ec[i].method, raw, 2 * ec[i].half - 1), ==, -EBADMSG);
        /* s flipped */
        raw[2 * ec[i].half - 1] ^= 0x01;
        g_assert_cmpint(verify_gw(g, ec[i].method, raw, 2 * ec[i].half), ==, -EPERM);
        raw[2 * ec[i].half - 1] ^= 0x01;
        /* the DER signature under method 14 verifies too */
        {
            static const uint8_t *algids[] = {rfc_ecdsa_sha256, rfc_ecdsa_sha384, rfc_ecdsa_sha512};
            size_t auth_len;
            uint8_t *auth = auth14(algids[i], 12, sig, sig_len, &auth_len);
            g_assert_cmpint(verify_gw(g, IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len), ==, 0);
            g_free(auth);
        }
        g_free(raw);
        g_free(sig);
    }

    /* method 9 (P-256) with a P-384 certificate: the curve must fit */
    sig = g_malloc0(64);
    sig[31] = sig[63] = 1;
    g_assert_cmpint(verify_gw(&gws[GW_P384], IKE_AUTH_ECDSA_SHA256_P256, sig, 64), ==, -EPERM);
    g_assert_cmpint(verify_gw(&gws[GW_RSA2048], IKE_AUTH_ECDSA_SHA256_P256, sig, 64), ==, -EPERM);
    /* unsupported methods */
    g_assert_cmpint(verify_gw(&gws[GW_P256], IKE_AUTH_PSK, sig, 32), ==, -EOPNOTSUPP);
    g_assert_cmpint(verify_gw(&gws[GW_P256], IKE_AUTH_DSS_SIG, sig, 40), ==, -EOPNOTSUPP);
    g_free(sig);
}

/* ---- trust failures -------------------------------------------------------------------------- */

static void test_untrusted(void)
{
    struct ike_trust *t2 = NULL, *sys = NULL;
    uint8_t method, *auth;
    size_t auth_len;
    char err[256];
    const struct party *g = &gws[GW_P256];

    g_assert_cmpint(ike_cred_sign(g->cred, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);

    /* wrong CA */
    g_assert_cmpint(ike_trust_new(ca2_file, &t2, err, sizeof(err)), ==, 0);
    err[0] = '\0';
    g_assert_cmpint(verify_full(t2, g->cert, int_cert, IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), NULL,
                                method, auth, auth_len, so, sizeof(so), err, sizeof(err)),
                    ==, -EKEYREJECTED);
    g_test_message("wrong CA: %s", err);
    g_assert_nonnull(strstr(err, "unable to get local issuer certificate"));

    /* the system store does not know our test CA */
    g_assert_cmpint(ike_trust_new(NULL, &sys, err, sizeof(err)), ==, 0);
    g_assert_cmpint(verify_full(sys, g->cert, int_cert, IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), NULL,
                                method, auth, auth_len, so, sizeof(so), err, sizeof(err)),
                    ==, -EKEYREJECTED);

    /* intermediate missing */
    g_assert_cmpint(verify_full(trust, g->cert, NULL, IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), NULL,
                                method, auth, auth_len, so, sizeof(so), err, sizeof(err)),
                    ==, -EKEYREJECTED);

    /* a non-CA certificate as the issuer (the whole chain sent) */
    {
        struct der d[3] = {cert_der(leaf_under_leaf), cert_der(g->cert), cert_der(int_cert)};
        struct ike_cert_blob b[3];

        for (int i = 0; i < 3; i++)
            b[i] = (struct ike_cert_blob){IKE_CERT_X509_SIG, d[i].p, d[i].len};
        g_assert_cmpint(ike_cert_verify_peer(trust, b, 3, IKE_ID_FQDN, (const uint8_t *)GW_FQDN,
                                             strlen(GW_FQDN), NULL, method, auth, auth_len, so,
                                             sizeof(so), err, sizeof(err)),
                        ==, -EKEYREJECTED);
        g_test_message("non-CA issuer: %s", err);
        g_assert_nonnull(strstr(err, "invalid CA certificate"));
        for (int i = 0; i < 3; i++)
            OPENSSL_free(d[i].p);
    }

    /* both CAs in one file: trusted */
    ike_trust_free(t2);
    t2 = NULL;
    g_assert_cmpint(ike_trust_new(ca_both_file, &t2, err, sizeof(err)), ==, 0);
    g_assert_cmpint(verify_full(t2, g->cert, int_cert, IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), NULL,
                                method, auth, auth_len, so, sizeof(so), err, sizeof(err)),
                    ==, 0);
    ike_trust_free(t2);
    t2 = NULL;
    /* the CA as a DER file */
    g_assert_cmpint(ike_trust_new(ca_der_file, &t2, err, sizeof(err)), ==, 0);
    g_assert_cmpint(verify_full(t2, g->cert, int_cert, IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), NULL,
                                method, auth, auth_len, so, sizeof(so), err, sizeof(err)),
                    ==, 0);

    ike_trust_free(t2);
    ike_trust_free(sys);
    g_free(auth);
}

static void test_expired(void)
{
    struct ike_cred *c = NULL;
    uint8_t method, *auth;
    size_t auth_len;
    char err[256] = "";

    g_assert_cmpint(ike_cred_load(expired.cert_file, expired.key_file, NULL, &c, err, sizeof(err)),
                    ==, 0);
    g_assert_cmpint(ike_cred_sign(c, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);
    g_assert_cmpint(verify_full(trust, expired.cert, int_cert, IKE_ID_FQDN, GW_FQDN,
                                strlen(GW_FQDN), NULL, method, auth, auth_len, so, sizeof(so), err,
                                sizeof(err)),
                    ==, -EKEYREJECTED);
    g_test_message("expired: %s", err);
    g_assert_nonnull(strstr(err, "expired"));
    g_free(auth);
    ike_cred_free(c);
}

/* ---- identity -------------------------------------------------------------------------------- */

static void test_identity(void)
{
    static const uint8_t ip_ok[] = {192, 0, 2, 2}, ip_bad[] = {192, 0, 2, 3};
    static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    const struct party *g = &gws[GW_P384];
    unsigned char *dn = NULL, *dn_other = NULL;
    int dn_len, dn_other_len;
    uint8_t method, *auth;
    size_t auth_len;
    char err[256];
    const struct {
        uint8_t type;
        const void *id;
        size_t len;
        const char *host;
        int expect;
    } cases[] = {
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), NULL, 0},
        {IKE_ID_FQDN, "GW.Example.TEST", 15, NULL, 0},
        {IKE_ID_FQDN, "gw2.example.test", 16, NULL, -EACCES},
        {IKE_ID_FQDN, "gw.example.tes", 14, NULL, -EACCES},
        {IKE_ID_FQDN, "gw.example.test\0x", 17, NULL, -EACCES},
        {IKE_ID_FQDN, "", 0, NULL, -EACCES},
        {IKE_ID_IPV4_ADDR, ip_ok, 4, NULL, 0},
        {IKE_ID_IPV4_ADDR, ip_bad, 4, NULL, -EACCES},
        {IKE_ID_IPV6_ADDR, ip6, 16, NULL, -EACCES},
        {IKE_ID_RFC822_ADDR, GW_FQDN, strlen(GW_FQDN), NULL, -EACCES},
        {IKE_ID_KEY_ID, GW_FQDN, strlen(GW_FQDN), NULL, -EACCES},
        {IKE_ID_DER_ASN1_GN, GW_FQDN, strlen(GW_FQDN), NULL, -EACCES},
        /* expected host (no remote identity configured) */
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), GW_FQDN, 0},
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), "GW.EXAMPLE.test", 0},
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), GW_IP, 0},
        {IKE_ID_IPV4_ADDR, ip_ok, 4, GW_IP, 0},
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), "gw2.example.test", -EACCES},
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), "example.test", -EACCES},
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), "192.0.2.9", -EACCES},
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), "2001:db8::2", -EACCES},
        {IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), "", -EACCES},
    };

    g_assert_cmpint(ike_cred_sign(g->cred, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        err[0] = '\0';
        g_assert_cmpint(verify_full(trust, g->cert, int_cert, cases[i].type, cases[i].id,
                                    cases[i].len, cases[i].host, method, auth, auth_len, so,
                                    sizeof(so), err, sizeof(err)),
                        ==, cases[i].expect);
        if (cases[i].expect)
            g_assert_cmpstr(err, !=, "");
    }

    /* ID_DER_ASN1_DN: the subject DN, and another DN */
    dn_len = i2d_X509_NAME(X509_get_subject_name(g->cert), &dn);
    dn_other_len = i2d_X509_NAME(X509_get_subject_name(int_cert), &dn_other);
    g_assert_cmpint(verify_full(trust, g->cert, int_cert, IKE_ID_DER_ASN1_DN, dn, (size_t)dn_len,
                                NULL, method, auth, auth_len, so, sizeof(so), err, sizeof(err)),
                    ==, 0);
    g_assert_cmpint(verify_full(trust, g->cert, int_cert, IKE_ID_DER_ASN1_DN, dn_other,
                                (size_t)dn_other_len, NULL, method, auth, auth_len, so, sizeof(so),
                                err, sizeof(err)),
                    ==, -EACCES);
    g_assert_cmpint(verify_full(trust, g->cert, int_cert, IKE_ID_DER_ASN1_DN, dn,
                                (size_t)dn_len - 1, NULL, method, auth, auth_len, so, sizeof(so),
                                err, sizeof(err)),
                    ==, -EACCES);
    OPENSSL_free(dn);
    OPENSSL_free(dn_other);
    g_free(auth);

    /* remote-id in strongSwan's syntax: @fqdn is the dNSName, a DN text the subject */
    {
        static const char *const texts[] = {"@gw.example.test", "@GW.example.test",
                                            "O=uipsec test, CN=gw.example.test",
                                            "/O=uipsec test/CN=gw.example.test", "192.0.2.2"};
        static const char *const wrong[] = {"gw.example.test@", "@@gw.example.test",
                                            "O=uipsec test, CN=other.example.test",
                                            "CN=gw.example.test", "@#0123"};

        g_assert_cmpint(ike_cred_sign(g->cred, 0, so, sizeof(so), &method, &auth, &auth_len), ==,
                        0);
        for (size_t i = 0; i < G_N_ELEMENTS(texts) + G_N_ELEMENTS(wrong); i++) {
            bool good = i < G_N_ELEMENTS(texts);
            const char *text = good ? texts[i] : wrong[i - G_N_ELEMENTS(texts)];
            uint8_t t, *d;
            size_t l;

            g_test_message("%s", text);
            g_assert_cmpint(ike_id_from_text(text, &t, &d, &l, NULL), ==, 0);
            g_assert_cmpint(verify_full(trust, g->cert, int_cert, t, d, l, NULL, method, auth,
                                        auth_len, so, sizeof(so), err, sizeof(err)),
                            ==, good ? 0 : -EACCES);
            g_free(d);
        }
        g_free(auth);
    }

    /* ID_RFC822_ADDR against the client certificate's SAN email */
    {
        struct ike_cred *c = NULL;
        g_assert_cmpint(
            ike_cred_load(client_ec.cert_file, client_ec.key_file, NULL, &c, err, sizeof(err)), ==,
            0);
        g_assert_cmpint(ike_cred_sign(c, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);
        g_assert_cmpint(verify_full(trust, client_ec.cert, NULL, IKE_ID_RFC822_ADDR,
                                    "User@Example.test", 17, NULL, method, auth, auth_len, so,
                                    sizeof(so), err, sizeof(err)),
                        ==, 0);
        g_assert_cmpint(verify_full(trust, client_ec.cert, NULL, IKE_ID_RFC822_ADDR,
                                    "other@example.test", 18, NULL, method, auth, auth_len, so,
                                    sizeof(so), err, sizeof(err)),
                        ==, -EACCES);
        g_free(auth);
        ike_cred_free(c);
    }
}

/* ---- certificate policy (issue 12, item 6) ------------------------------------------------- */

/*
 * A gateway certificate for GW_FQDN / GW_IP issued by @issuer (NULL: self-signed) with
 * @md, basicConstraints @bc and keyUsage @ku (NULL: no extension), subject CN @cn.
 */
static X509 *policy_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const EVP_MD *md,
                         const char *bc, const char *ku, const char *cn)
{
    X509 *x = X509_new();
    X509_NAME *nm;
    X509V3_CTX v3;

    g_assert_cmpint(X509_set_version(x, X509_VERSION_3), ==, 1);
    g_assert_cmpint(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), ==, 1);
    g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    g_assert_cmpint(X509_set_pubkey(x, key), ==, 1);
    nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    g_assert_cmpint(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm), ==, 1);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    if (bc)
        add_ext(x, &v3, NID_basic_constraints, bc);
    if (ku)
        add_ext(x, &v3, NID_key_usage, ku);
    add_ext(x, &v3, NID_subject_alt_name, "DNS:" GW_FQDN ",IP:" GW_IP);
    g_assert_cmpint(X509_sign(x, issuer_key ? issuer_key : key, md), >, 0);
    return x;
}

/* Verify @ee (signed over `so` with @key, RFC 7427 SHA-256) against @t; the reason in @err. */
static int verify_policy(const struct ike_trust *t, X509 *ee, EVP_PKEY *key, char *err,
                         size_t err_len)
{
    bool rsa = EVP_PKEY_is_a(key, "RSA");
    size_t sig_len, auth_len;
    uint8_t *sig =
        evp_sign(key, "SHA256", rsa ? RSA_PKCS1_PADDING : 0, 0, NULL, so, sizeof(so), &sig_len);
    uint8_t *auth =
        auth14(rsa ? rfc_rsa_sha256 : rfc_ecdsa_sha256, rsa ? 15 : 12, sig, sig_len, &auth_len);
    int r;

    err[0] = '\0';
    r = verify_full(t, ee, NULL, IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN), GW_IP,
                    IKE_AUTH_DIGITAL_SIGNATURE, auth, auth_len, so, sizeof(so), err, err_len);
    g_test_message("%s", err);
    g_free(sig);
    g_free(auth);
    return r;
}

static void test_policy(void)
{
    EVP_PKEY *rsa1024 = gen_rsa(1024), *p224 = gen_ec("P-224"),
             *brainpool = gen_ec("brainpoolP256r1"), *p256 = gws[GW_P256].key;
    const char *ee_bc = "critical,CA:FALSE", *ee_ku = "critical,digitalSignature";
    const struct {
        const char *what;
        EVP_PKEY *key;
        const EVP_MD *md;
        const char *bc, *ku;
        const char *reason; /* NULL: accepted */
    } cases[] = {
        {"good", p256, EVP_sha256(), ee_bc, ee_ku, NULL},
        {"no keyUsage", p256, EVP_sha384(), ee_bc, NULL, NULL},
        {"no basicConstraints", gws[GW_RSA2048].key, EVP_sha256(), NULL, ee_ku, NULL},
        {"nonRepudiation too", p256, EVP_sha256(), ee_bc, "digitalSignature,nonRepudiation", NULL},
        {"SHA-1 signature", p256, EVP_sha1(), ee_bc, ee_ku, "no SHA-1 or weaker signatures"},
        {"RSA-1024", rsa1024, EVP_sha256(), ee_bc, ee_ku, "RSA keys of 2048 bits at least"},
        {"keyEncipherment only", gws[GW_RSA2048].key, EVP_sha256(), ee_bc,
         "critical,keyEncipherment", "keyUsage lacks digitalSignature"},
        {"CA:TRUE", p256, EVP_sha256(), "critical,CA:TRUE", ee_ku, "it is a CA certificate"},
        {"P-224", p224, EVP_sha256(), ee_bc, ee_ku, "elliptic curve secp224r1"},
        {"brainpoolP256r1", brainpool, EVP_sha256(), ee_bc, ee_ku,
         "elliptic curve brainpoolP256r1"},
    };
    char err[256];

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        X509 *ee = policy_cert(cases[i].key, ca_cert, ca_key, cases[i].md, cases[i].bc, cases[i].ku,
                               GW_FQDN);

        g_test_message("%s", cases[i].what);
        if (!cases[i].reason) {
            g_assert_cmpint(verify_policy(trust, ee, cases[i].key, err, sizeof(err)), ==, 0);
        } else {
            g_assert_cmpint(verify_policy(trust, ee, cases[i].key, err, sizeof(err)), ==,
                            -EKEYREJECTED);
            g_assert_nonnull(strstr(err, cases[i].reason));
        }
        X509_free(ee);
    }

    /* an intermediate on another curve, and one signed with SHA-1: refused by name */
    {
        const struct {
            EVP_PKEY *key;
            const EVP_MD *md;
            const char *reason;
        } inters[] = {
            {p224, EVP_sha256(), "elliptic curve secp224r1 (depth 1"},
            {int_key, EVP_sha1(), "no SHA-1 or weaker signatures in the chain) (depth 1"},
        };
        uint8_t method, *auth;
        size_t auth_len;

        g_assert_cmpint(
            ike_cred_sign(gws[GW_P256].cred, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(inters); i++) {
            X509 *inter = policy_cert(inters[i].key, ca_cert, ca_key, inters[i].md,
                                      "critical,CA:TRUE", "critical,keyCertSign", "intermediate");
            X509 *ee = policy_cert(p256, inter, inters[i].key, EVP_sha256(), ee_bc, ee_ku, GW_FQDN);

            g_assert_cmpint(verify_full(trust, ee, inter, IKE_ID_FQDN, GW_FQDN, strlen(GW_FQDN),
                                        NULL, method, auth, auth_len, so, sizeof(so), err,
                                        sizeof(err)),
                            ==, -EKEYREJECTED);
            g_test_message("intermediate: %s", err);
            g_assert_nonnull(strstr(err, inters[i].reason));
            X509_free(ee);
            X509_free(inter);
        }
        g_free(auth);
    }

    /* a self-signed gateway certificate with CA:TRUE pinned as the CA file: the user
     * trusts exactly it, so it may be its own end entity */
    {
        X509 *self = policy_cert(p256, NULL, NULL, EVP_sha256(), "critical,CA:TRUE", NULL, GW_FQDN);
        g_autofree char *path = tmp_path("pinned.pem");
        struct ike_trust *pinned = NULL;

        write_certs(path, &self, 1);
        g_assert_cmpint(ike_trust_new(path, &pinned, err, sizeof(err)), ==, 0);
        g_assert_cmpint(verify_policy(pinned, self, p256, err, sizeof(err)), ==, 0);
        /* but not as an end entity under our CA */
        X509_free(self);
        self = policy_cert(p256, ca_cert, ca_key, EVP_sha256(), "critical,CA:TRUE", NULL, GW_FQDN);
        g_assert_cmpint(verify_policy(pinned, self, p256, err, sizeof(err)), ==, -EKEYREJECTED);
        ike_trust_free(pinned);
        X509_free(self);
    }

    EVP_PKEY_free(rsa1024);
    EVP_PKEY_free(p224);
    EVP_PKEY_free(brainpool);
}

/* Without remote-id: the gateway's configured name (DNS SAN) or its address (IP SAN). */
static void test_expected_name(void)
{
    EVP_PKEY *k = gws[GW_P256].key;
    X509 *dns_only =
        make_cert(k, "dns only", ca_cert, ca_key, false, "DNS:vpn.example.test", -3600, 86400);
    uint8_t method, *auth;
    size_t auth_len;
    char err[256];
    const struct {
        const char *hosts;
        int expect;
    } cases[] = {
        {"vpn.example.test", 0},
        {"192.0.2.2 vpn.example.test", 0},
        {"192.0.2.2 VPN.Example.TEST", 0},
        {"192.0.2.2", -EACCES},
        {"192.0.2.2 other.example.test", -EACCES},
        {"192.0.2.2 example.test", -EACCES},
    };

    g_assert_cmpint(ike_cred_sign(gws[GW_P256].cred, 0, so, sizeof(so), &method, &auth, &auth_len),
                    ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        err[0] = '\0';
        g_assert_cmpint(verify_full(trust, dns_only, NULL, IKE_ID_FQDN, "vpn.example.test", 16,
                                    cases[i].hosts, method, auth, auth_len, so, sizeof(so), err,
                                    sizeof(err)),
                        ==, cases[i].expect);
        if (cases[i].expect)
            g_test_message("%s: %s", cases[i].hosts, err);
    }
    g_assert_cmpint(verify_full(trust, dns_only, NULL, IKE_ID_FQDN, "vpn.example.test", 16,
                                "192.0.2.2 other.example.test", method, auth, auth_len, so,
                                sizeof(so), err, sizeof(err)),
                    ==, -EACCES);
    g_assert_cmpstr(err, ==,
                    "the gateway's certificate is not for '192.0.2.2' or 'other.example.test'");
    g_free(auth);
    X509_free(dns_only);
}

/* remote-id @#hex: a KEY_ID, bound to the certificate's subjectKeyIdentifier */
static void test_key_id(void)
{
    EVP_PKEY *k = gws[GW_P256].key;
    X509 *x = policy_cert(k, ca_cert, ca_key, EVP_sha256(), "critical,CA:FALSE",
                          "critical,digitalSignature", GW_FQDN);
    const ASN1_OCTET_STRING *skid;
    g_autofree char *text = NULL, *other = NULL;
    uint8_t method, *auth, t, *d;
    size_t auth_len, l;
    char err[256];
    X509V3_CTX v3;

    X509V3_set_ctx(&v3, ca_cert, x, NULL, NULL, 0);
    add_ext(x, &v3, NID_subject_key_identifier, "hash");
    g_assert_cmpint(X509_sign(x, ca_key, EVP_sha256()), >, 0);
    skid = X509_get0_subject_key_id(x);
    g_assert_nonnull(skid);
    {
        g_autoptr(GString) hex = g_string_new("@#");
        for (int i = 0; i < ASN1_STRING_length(skid); i++)
            g_string_append_printf(hex, "%02x", ASN1_STRING_get0_data(skid)[i]);
        text = g_strdup(hex->str);
        hex->str[2] = hex->str[2] == '0' ? '1' : '0'; /* another first byte */
        other = g_strdup(hex->str);
    }
    g_assert_cmpint(ike_cred_sign(gws[GW_P256].cred, 0, so, sizeof(so), &method, &auth, &auth_len),
                    ==, 0);
    g_assert_cmpint(ike_id_from_text(text, &t, &d, &l, NULL), ==, 0);
    g_assert_cmpuint(t, ==, IKE_ID_KEY_ID);
    g_assert_cmpint(verify_full(trust, x, NULL, t, d, l, NULL, method, auth, auth_len, so,
                                sizeof(so), err, sizeof(err)),
                    ==, 0);
    g_free(d);
    g_assert_cmpint(ike_id_from_text(other, &t, &d, &l, NULL), ==, 0);
    g_assert_cmpint(verify_full(trust, x, NULL, t, d, l, NULL, method, auth, auth_len, so,
                                sizeof(so), err, sizeof(err)),
                    ==, -EACCES);
    g_free(d);
    /* a certificate without one binds no key ID */
    g_assert_cmpint(ike_id_from_text(text, &t, &d, &l, NULL), ==, 0);
    g_assert_cmpint(verify_full(trust, gws[GW_P256].cert, int_cert, t, d, l, NULL, method, auth,
                                auth_len, so, sizeof(so), err, sizeof(err)),
                    ==, -EACCES);
    g_free(d);
    g_free(auth);
    X509_free(x);
}

/* ---- tampering and malformed input ----------------------------------------------------------- */

static void test_tampered(void)
{
    for (int i = 0; i < N_GW; i++) {
        uint8_t method, *auth;
        size_t auth_len;

        g_assert_cmpint(ike_cred_sign(gws[i].cred, 0, so, sizeof(so), &method, &auth, &auth_len),
                        ==, 0);
        so[sizeof(so) / 2] ^= 0x80;
        g_assert_cmpint(verify_gw(&gws[i], method, auth, auth_len), ==, -EPERM);
        so[sizeof(so) / 2] ^= 0x80;
        g_assert_cmpint(verify_gw(&gws[i], method, auth, auth_len), ==, 0);
        auth[auth_len - 1] ^= 0x01;
        g_assert_cmpint(verify_gw(&gws[i], method, auth, auth_len), ==, -EPERM);
        auth[auth_len - 1] ^= 0x01;
        /* a signature of another key, same algorithm */
        g_assert_cmpint(verify_gw(&gws[i == GW_P256 ? GW_P384 : GW_P256], method, auth, auth_len),
                        <, 0);
        g_free(auth);
    }
}

static void test_malformed_auth(void)
{
    const struct party *g = &gws[GW_RSA2048];
    uint8_t method, *auth, *bad;
    size_t auth_len;
    static const uint8_t garbage[] = {0x0f, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0x04,
                                      0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d};

    g_assert_cmpint(ike_cred_sign(g->cred, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);

    /* every truncation: up to the AlgorithmIdentifier -EBADMSG, then a short signature -EPERM */
    for (size_t k = 0; k < auth_len; k++) {
        int r = verify_gw(g, method, k ? auth : NULL, k);
        g_assert_cmpint(r, ==, k <= 1 + sizeof(rfc_rsa_sha256) ? -EBADMSG : -EPERM);
    }
    g_assert_cmpint(verify_gw(g, method, garbage, sizeof(garbage)), ==, -EBADMSG);

    bad = g_memdup2(auth, auth_len);
    bad[0] = 0; /* zero-length AlgorithmIdentifier */
    g_assert_cmpint(verify_gw(g, method, bad, auth_len), ==, -EBADMSG);
    bad[0] = 0xff; /* longer than the payload allows */
    g_assert_cmpint(verify_gw(g, method, bad, 1 + sizeof(rfc_rsa_sha256) + 10), ==, -EBADMSG);
    bad[0] = sizeof(rfc_rsa_sha256) - 1; /* AlgorithmIdentifier cut, 1 byte left over */
    g_assert_cmpint(verify_gw(g, method, bad, auth_len), ==, -EBADMSG);
    bad[0] = sizeof(rfc_rsa_sha256) + 1; /* AlgorithmIdentifier + 1 trailing byte */
    g_assert_cmpint(verify_gw(g, method, bad, auth_len), ==, -EBADMSG);
    memcpy(bad, auth, auth_len);
    bad[1 + 13] = 0x04; /* parameters: OCTET STRING instead of NULL */
    g_assert_cmpint(verify_gw(g, method, bad, auth_len), ==, -EBADMSG);
    memcpy(bad, auth, auth_len);
    bad[1 + 12] = 0x05; /* sha1WithRSAEncryption: not in RFC 7427's set we accept */
    g_assert_cmpint(verify_gw(g, method, bad, auth_len), ==, -EOPNOTSUPP);
    g_free(bad);

    /* sha1WithRSAEncryption spelled out as in RFC 7427 A.1.1 */
    {
        size_t sig_len, len;
        uint8_t *sig =
            evp_sign(g->key, "SHA1", RSA_PKCS1_PADDING, 0, NULL, so, sizeof(so), &sig_len);
        uint8_t *a = auth14(rfc_rsa_sha1, sizeof(rfc_rsa_sha1), sig, sig_len, &len);
        g_assert_cmpint(verify_gw(g, IKE_AUTH_DIGITAL_SIGNATURE, a, len), ==, -EOPNOTSUPP);
        g_free(a);
        g_free(sig);
    }
    /* empty classic signatures (method 1 is refused whatever it holds) */
    g_assert_cmpint(verify_gw(g, IKE_AUTH_RSA_SIG, NULL, 0), ==, -EOPNOTSUPP);
    g_assert_cmpint(verify_gw(&gws[GW_P256], IKE_AUTH_ECDSA_SHA256_P256, NULL, 0), ==, -EBADMSG);
    g_free(auth);
}

static void test_malformed_cert(void)
{
    const struct party *g = &gws[GW_P256];
    struct der ee = cert_der(g->cert), in = cert_der(int_cert);
    static const uint8_t garbage[] = {0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef};
    uint8_t method, *auth, *longer;
    size_t auth_len;
    char err[256];
    struct ike_cert_blob b[3];

#define VERIFY(blobs, n)                                                                           \
    ike_cert_verify_peer(trust, blobs, n, IKE_ID_FQDN, (const uint8_t *)GW_FQDN, strlen(GW_FQDN),  \
                         NULL, method, auth, auth_len, so, sizeof(so), err, sizeof(err))

    g_assert_cmpint(ike_cred_sign(g->cred, 0, so, sizeof(so), &method, &auth, &auth_len), ==, 0);

    b[0] = (struct ike_cert_blob){IKE_CERT_X509_SIG, ee.p, ee.len};
    b[1] = (struct ike_cert_blob){IKE_CERT_X509_SIG, in.p, in.len};
    g_assert_cmpint(VERIFY(b, 2), ==, 0);
    /* a CRL-encoded payload among them is ignored */
    b[2] = b[1];
    b[1] = (struct ike_cert_blob){IKE_CERT_CRL, garbage, sizeof(garbage)};
    g_assert_cmpint(VERIFY(b, 3), ==, 0);

    g_assert_cmpint(VERIFY(b, 0), ==, -EBADMSG);
    b[0] = (struct ike_cert_blob){IKE_CERT_X509_SIG, garbage, sizeof(garbage)};
    g_assert_cmpint(VERIFY(b, 1), ==, -EBADMSG);
    b[0] = (struct ike_cert_blob){IKE_CERT_X509_SIG, ee.p, ee.len - 1};
    g_assert_cmpint(VERIFY(b, 1), ==, -EBADMSG);
    longer = g_malloc(ee.len + 1);
    memcpy(longer, ee.p, ee.len);
    longer[ee.len] = 0;
    b[0] = (struct ike_cert_blob){IKE_CERT_X509_SIG, longer, ee.len + 1};
    g_assert_cmpint(VERIFY(b, 1), ==, -EBADMSG);
    b[0] = (struct ike_cert_blob){IKE_CERT_X509_SIG, ee.p, 0};
    g_assert_cmpint(VERIFY(b, 1), ==, -EBADMSG);
    b[0] = (struct ike_cert_blob){IKE_CERT_X509_SIG, ee.p, ee.len};
    b[1] = (struct ike_cert_blob){IKE_CERT_X509_SIG, garbage, sizeof(garbage)};
    g_assert_cmpint(VERIFY(b, 2), ==, -EBADMSG);
    b[0] = (struct ike_cert_blob){IKE_CERT_HASH_URL_X509, ee.p, ee.len};
    g_assert_cmpint(VERIFY(b, 1), ==, -EOPNOTSUPP);
    /* misuse */
    g_assert_cmpint(ike_cert_verify_peer(NULL, b, 1, IKE_ID_FQDN, (const uint8_t *)GW_FQDN, 15,
                                         NULL, method, auth, auth_len, so, sizeof(so), NULL, 0),
                    ==, -EINVAL);
    g_assert_cmpint(ike_cert_verify_peer(trust, NULL, 1, IKE_ID_FQDN, (const uint8_t *)GW_FQDN, 15,
                                         NULL, method, auth, auth_len, so, sizeof(so), NULL, 0),
                    ==, -EINVAL);
#undef VERIFY
    g_free(longer);
    g_free(auth);
    OPENSSL_free(ee.p);
    OPENSSL_free(in.p);
}

/* ---- our credential -------------------------------------------------------------------------- */

static void test_cred_load(void)
{
    struct ike_cred *c = NULL, *const sentinel = (struct ike_cred *)&c;
    char *combined = tmp_path("combined.pem"), *garbage_key = tmp_path("garbage.key");
    char *trad = tmp_path("trad.key"), *missing = tmp_path("missing.pem");
    char err[256];
    BIO *bio;

    /* plain PKCS#8, encrypted PKCS#8 */
    g_assert_cmpint(
        ike_cred_load(gws[GW_P256].cert_file, gws[GW_P256].key_file, NULL, &c, err, sizeof(err)),
        ==, 0);
    ike_cred_free(c);
    g_assert_cmpint(
        ike_cred_load(client_rsa.cert_file, client_rsa.key_file, PASS, &c, err, sizeof(err)), ==,
        0);
    ike_cred_free(c);

    /* wrong or missing password */
    c = sentinel;
    err[0] = '\0';
    g_assert_cmpint(
        ike_cred_load(client_rsa.cert_file, client_rsa.key_file, "wrong", &c, err, sizeof(err)), ==,
        -ENOKEY);
    g_assert_true(c == sentinel);
    g_assert_null(strstr(err, "wrong\"")); /* the password never shows up */
    g_test_message("wrong password: %s", err);
    g_assert_cmpint(
        ike_cred_load(client_rsa.cert_file, client_rsa.key_file, NULL, &c, err, sizeof(err)), ==,
        -ENOKEY);
    g_assert_cmpint(
        ike_cred_load(client_rsa.cert_file, client_rsa.key_file, "", &c, err, sizeof(err)), ==,
        -ENOKEY);

    /* key of another certificate */
    g_assert_cmpint(
        ike_cred_load(gws[GW_P256].cert_file, gws[GW_P521].key_file, NULL, &c, err, sizeof(err)),
        ==, -EKEYREJECTED);
    g_assert_cmpint(
        ike_cred_load(gws[GW_RSA3072].cert_file, gws[GW_P256].key_file, NULL, &c, err, sizeof(err)),
        ==, -EKEYREJECTED);
    g_assert_true(c == sentinel);

    /* files */
    g_assert_cmpint(ike_cred_load(missing, gws[GW_P256].key_file, NULL, &c, err, sizeof(err)), ==,
                    -ENOENT);
    g_assert_cmpint(ike_cred_load(gws[GW_P256].cert_file, missing, NULL, &c, err, sizeof(err)), ==,
                    -ENOENT);
    write_bytes(garbage_key, "not a key\n", 10);
    g_assert_cmpint(ike_cred_load(gws[GW_P256].cert_file, garbage_key, NULL, &c, err, sizeof(err)),
                    ==, -EBADMSG);
    g_assert_cmpint(ike_cred_load(garbage_key, gws[GW_P256].key_file, NULL, &c, err, sizeof(err)),
                    ==, -EBADMSG);
    /* a key file as certificate file: no certificate */
    g_assert_cmpint(
        ike_cred_load(gws[GW_P256].key_file, gws[GW_P256].key_file, NULL, &c, err, sizeof(err)), ==,
        -EBADMSG);
    g_assert_cmpint(ike_cred_load(NULL, NULL, NULL, &c, err, sizeof(err)), ==, -EINVAL);
    g_assert_true(c == sentinel);

    /* certificate and encrypted key in one file, no key file */
    write_certs(combined, &gws[GW_P384].cert, 1);
    write_key(combined, gws[GW_P384].key, PASS, true);
    g_assert_cmpint(ike_cred_load(combined, NULL, PASS, &c, err, sizeof(err)), ==, 0);
    ike_cred_free(c);

    /* traditional (non-PKCS#8) encrypted RSA key */
    bio = BIO_new_file(trad, "w");
    g_assert_cmpint(PEM_write_bio_PrivateKey_traditional(bio, gws[GW_RSA2048].key,
                                                         EVP_aes_128_cbc(), (unsigned char *)PASS,
                                                         strlen(PASS), NULL, NULL),
                    ==, 1);
    BIO_free(bio);
    g_assert_cmpint(ike_cred_load(gws[GW_RSA2048].cert_file, trad, PASS, &c, err, sizeof(err)), ==,
                    0);
    ike_cred_free(c);
    c = sentinel;
    g_assert_cmpint(ike_cred_load(gws[GW_RSA2048].cert_file, trad, "nope", &c, err, sizeof(err)),
                    ==, -ENOKEY);
    g_assert_true(c == sentinel);

    /* key types other than RSA and EC P-256/384/521 */
    {
        const char *types[] = {"ED25519", "secp256k1"};
        for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
            struct party p = {.name = i ? "k1" : "ed25519"};

            p.key = i ? gen_ec(types[i]) : EVP_PKEY_Q_keygen(NULL, NULL, types[i]);
            g_assert_nonnull(p.key);
            p.cert = make_cert(p.key, "other key", ca_cert, ca_key, false, "DNS:x.example.test",
                               -3600, 86400);
            party_files(&p, NULL);
            g_assert_cmpint(ike_cred_load(p.cert_file, p.key_file, NULL, &c, err, sizeof(err)), ==,
                            -EOPNOTSUPP);
            g_assert_true(c == sentinel);
            party_free(&p);
        }
    }

    g_free(combined);
    g_free(garbage_key);
    g_free(trad);
    g_free(missing);
}

static void test_cred_id(void)
{
    struct ike_cred *c = NULL;
    uint8_t id_type = 0;
    const uint8_t *id = NULL, *der;
    size_t id_len = 0, der_len;
    unsigned char *dn = NULL, *cder = NULL;
    int dn_len, cder_len;
    char err[256];

    /* SAN email first, then DNS: the first DNS entry wins */
    g_assert_cmpint(
        ike_cred_load(client_ec.cert_file, client_ec.key_file, NULL, &c, err, sizeof(err)), ==, 0);
    ike_cred_id(c, &id_type, &id, &id_len);
    g_assert_cmpint(id_type, ==, IKE_ID_FQDN);
    g_assert_cmpmem(id, id_len, "client.example.test", 19);
    der = ike_cred_cert_der(c, &der_len);
    cder_len = i2d_X509(client_ec.cert, &cder);
    g_assert_cmpmem(der, der_len, cder, (size_t)cder_len);
    OPENSSL_free(cder);
    ike_cred_free(c);

    /* no SAN: the subject DN */
    g_assert_cmpint(
        ike_cred_load(client_rsa.cert_file, client_rsa.key_file, PASS, &c, err, sizeof(err)), ==,
        0);
    ike_cred_id(c, &id_type, &id, &id_len);
    g_assert_cmpint(id_type, ==, IKE_ID_DER_ASN1_DN);
    dn_len = i2d_X509_NAME(X509_get_subject_name(client_rsa.cert), &dn);
    g_assert_cmpmem(id, id_len, dn, (size_t)dn_len);
    OPENSSL_free(dn);
    ike_cred_free(c);
}

static void test_sign_misuse(void)
{
    uint8_t method = 77, *auth = (uint8_t *)&method;
    size_t auth_len = 99;

    g_assert_cmpint(
        ike_cred_sign(gws[GW_P256].cred, IKE_HASH_SHA1, so, sizeof(so), &method, &auth, &auth_len),
        ==, -EOPNOTSUPP);
    g_assert_cmpint(ike_cred_sign(gws[GW_P256].cred, IKE_HASH_IDENTITY, so, sizeof(so), &method,
                                  &auth, &auth_len),
                    ==, -EOPNOTSUPP);
    g_assert_cmpint(ike_cred_sign(NULL, 0, so, sizeof(so), &method, &auth, &auth_len), ==, -EINVAL);
    g_assert_cmpint(ike_cred_sign(gws[GW_P256].cred, 0, NULL, 5, &method, &auth, &auth_len), ==,
                    -EINVAL);
    g_assert_cmpint(method, ==, 77);
    g_assert_true(auth == &method);
    g_assert_cmpuint(auth_len, ==, 99);
}

/* ---- trust store, CERTREQ -------------------------------------------------------------------- */

static void sha1_spki(EVP_PKEY *k, uint8_t out[20])
{
    unsigned char *spki = NULL;
    int len = i2d_PUBKEY(k, &spki);
    g_assert_cmpint(len, >, 0);
    g_assert_cmpint(EVP_Q_digest(NULL, "SHA1", NULL, spki, (size_t)len, out, NULL), ==, 1);
    OPENSSL_free(spki);
}

static void test_certreq(void)
{
    struct ike_trust *t = NULL, *const sentinel = (struct ike_trust *)&t;
    uint8_t expect[40], *data = NULL;
    size_t len = 0;
    char err[256];
    char *garbage = tmp_path("garbage-ca.pem"), *missing = tmp_path("no-such-ca.pem");

    sha1_spki(ca_key, expect);
    sha1_spki(ca2_key, expect + 20);

    g_assert_cmpint(ike_trust_new(ca_both_file, &t, err, sizeof(err)), ==, 0);
    g_assert_cmpint(ike_trust_certreq_data(t, &data, &len), ==, 0);
    g_assert_cmpmem(data, len, expect, 40);
    g_free(data);
    ike_trust_free(t);

    g_assert_cmpint(ike_trust_certreq_data(trust, &data, &len), ==, 0);
    g_assert_cmpmem(data, len, expect, 20);
    g_free(data);

    /* system store: no CERTREQ data */
    g_assert_cmpint(ike_trust_new("", &t, err, sizeof(err)), ==, 0);
    data = (uint8_t *)&len;
    g_assert_cmpint(ike_trust_certreq_data(t, &data, &len), ==, -ENODATA);
    g_assert_true(data == (uint8_t *)&len);
    ike_trust_free(t);

    /* bad CA files */
    t = sentinel;
    g_assert_cmpint(ike_trust_new(missing, &t, err, sizeof(err)), ==, -ENOENT);
    g_test_message("missing CA file: %s", err);
    write_bytes(garbage, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 58);
    g_assert_cmpint(ike_trust_new(garbage, &t, err, sizeof(err)), ==, -EBADMSG);
    write_bytes(garbage, "nothing here\n", 13);
    g_assert_cmpint(ike_trust_new(garbage, &t, err, sizeof(err)), ==, -EBADMSG);
    g_assert_cmpint(ike_trust_new(tmpdir, &t, err, sizeof(err)), ==, -EINVAL);
    g_assert_true(t == sentinel);
    g_assert_cmpint(ike_trust_new(ca_file, NULL, err, sizeof(err)), ==, -EINVAL);

    g_free(garbage);
    g_free(missing);
}

/* ---- SIGNATURE_HASH_ALGORITHMS ----------------------------------------------------------------
 */

static void test_sig_hash_notify(void)
{
    static const uint8_t ours[] = {0x00, 0x02, 0x00, 0x03, 0x00, 0x04};
    static const uint8_t peer[] = {0x00, 0x01, 0x00, 0x02, 0x00, 0x05, 0xff, 0xff, 0x00, 0x04};
    uint8_t buf[16];
    size_t len = 0;
    uint32_t mask = 0xdead;

    g_assert_cmpint(ike_sig_hash_build(buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpmem(buf, len, ours, sizeof(ours));
    g_assert_cmpint(ike_sig_hash_build(buf, 5, &len), ==, -ENOSPC);

    g_assert_cmpint(ike_sig_hash_parse(peer, sizeof(peer), &mask), ==, 0);
    g_assert_cmphex(mask, ==, (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5));
    g_assert_cmpint(ike_sig_hash_parse(peer, 3, &mask), ==, -EBADMSG);
    g_assert_cmphex(mask, ==, (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5));
    g_assert_cmpint(ike_sig_hash_parse(NULL, 0, &mask), ==, 0);
    g_assert_cmphex(mask, ==, 0);

    /* choice: the curve's hash if announced, else the strongest announced */
    g_assert_cmpuint(ike_cred_choose_hash(gws[GW_P384].cred, 0x1c), ==, IKE_HASH_SHA2_384);
    g_assert_cmpuint(ike_cred_choose_hash(gws[GW_P384].cred, 1u << 2), ==, IKE_HASH_SHA2_256);
    g_assert_cmpuint(ike_cred_choose_hash(gws[GW_P256].cred, 0x1c), ==, IKE_HASH_SHA2_256);
    g_assert_cmpuint(ike_cred_choose_hash(gws[GW_P521].cred, 0x1c), ==, IKE_HASH_SHA2_512);
    g_assert_cmpuint(ike_cred_choose_hash(gws[GW_RSA2048].cred, 0x1c), ==, IKE_HASH_SHA2_256);
    g_assert_cmpuint(ike_cred_choose_hash(gws[GW_RSA2048].cred, 0x18), ==, IKE_HASH_SHA2_512);
    g_assert_cmpuint(ike_cred_choose_hash(gws[GW_RSA2048].cred, 1u << 1), ==, 0);
}

int main(int argc, char **argv)
{
    int r;

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < sizeof(so); i++)
        so[i] = (uint8_t)g_test_rand_int();
    pki_setup();

    g_test_add_func("/ike-cert/sign-verify/gateways", test_sign_verify);
    g_test_add_func("/ike-cert/sign-verify/clients", test_client_sign_verify);
    g_test_add_func("/ike-cert/rfc7427-algorithm-identifiers", test_algid_rfc7427);
    g_test_add_func("/ike-cert/rsassa-pss", test_pss);
    g_test_add_func("/ike-cert/classic-methods", test_classic);
    g_test_add_func("/ike-cert/invalid/untrusted", test_untrusted);
    g_test_add_func("/ike-cert/invalid/expired", test_expired);
    g_test_add_func("/ike-cert/identity", test_identity);
    g_test_add_func("/ike-cert/identity/expected-name", test_expected_name);
    g_test_add_func("/ike-cert/identity/key-id", test_key_id);
    g_test_add_func("/ike-cert/policy", test_policy);
    g_test_add_func("/ike-cert/invalid/tampered", test_tampered);
    g_test_add_func("/ike-cert/invalid/auth", test_malformed_auth);
    g_test_add_func("/ike-cert/invalid/cert", test_malformed_cert);
    g_test_add_func("/ike-cert/cred/load", test_cred_load);
    g_test_add_func("/ike-cert/cred/id", test_cred_id);
    g_test_add_func("/ike-cert/cred/sign-misuse", test_sign_misuse);
    g_test_add_func("/ike-cert/certreq", test_certreq);
    g_test_add_func("/ike-cert/signature-hash-notify", test_sig_hash_notify);

    r = g_test_run();
    pki_teardown();
    return r;
}
