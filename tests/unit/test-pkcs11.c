/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keys on a PKCS#11 token (src/ike/pkcs11-key.c through ike_cred_load(),
 * the URI parser common/uip-pkcs11-uri.c), against a real SoftHSM2 token
 * made in a temporary folder (SOFTHSM2_CONF points at a configuration whose
 * tokendir is there): a P-256 key and an RSA 2048 key imported from PKCS#8
 * files with softhsm2-util, their certificates written to the token with
 * pkcs11-tool.  Each signature made on the token is verified here with the
 * certificate's public key through OpenSSL: the RFC 7427 AUTH our IKE code
 * sends (ECDSA, RSASSA-PKCS1-v1_5), RSASSA-PSS as TLS 1.3 signs, and a TLS
 * 1.2 and 1.3 handshake with the token key as the client's (EAP-TLS).
 * A wrong or missing PIN, an unknown object or token are refused with a
 * message that says so and never holds the PIN.  The service's privilege
 * drop for a token key (uid 0 kept, no capabilities, seccomp) still lets a
 * key loaded before it sign after it.
 *
 * Skipped (exit 77) only when softhsm2 or pkcs11-tool is not installed.
 */
#include "ike/cert-auth.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/uip-pkcs11-uri.h"
#include "common/uip-settings.h"
#include "ike/ike-types.h"
#include "ike/pkcs11-key.h"
#include "ike/pkcs11-signer.h"
#include "ike/pkcs11-wire.h"
#include "service/privileges.h"

#define PIN       "2468"
#define WRONG_PIN "975310"

#define KEY_EC   "pkcs11:token=uipsec;object=ec-key;type=private"
#define KEY_RSA  "pkcs11:token=uipsec;object=rsa-key;type=private"
#define CERT_EC  "pkcs11:token=uipsec;object=ec-key;type=cert"
#define CERT_RSA "pkcs11:token=uipsec;id=%02;type=cert"

static char *tmpdir;
static char *module; /* libsofthsm2.so */
static X509 *ec_cert, *rsa_cert;
static char *ec_cert_file, *rsa_cert_file;

/* ---- the token ------------------------------------------------------------------------------ */

static char *tmp_path(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static X509 *self_signed(EVP_PKEY *k, const char *cn)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_get_subject_name(x);

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    g_assert_cmpint(X509_sign(x, k, EVP_sha256()), >, 0);
    return x;
}

static void run(const char *const *argv)
{
    g_autofree char *out = NULL, *errout = NULL;
    g_autoptr(GError) error = NULL;
    int status;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout,
                      &status, &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("%s: %s\n%s%s", argv[0], error->message, out ? out : "", errout ? errout : "");
}

/* A key into the token (softhsm2-util --import of PKCS#8), its certificate next to it. */
static X509 *import(EVP_PKEY *k, const char *label, const char *id, char **cert_file)
{
    g_autofree char *kfile = tmp_path(label);
    g_autofree char *cfile = g_strconcat(kfile, ".der", NULL);
    X509 *x = self_signed(k, label);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    FILE *f = fopen(kfile, "w");

    g_assert_nonnull(f);
    g_assert_cmpint(PEM_write_PKCS8PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), ==, 1);
    fclose(f);
    g_assert_true(g_file_set_contents(cfile, (const char *)der, len, NULL));
    OPENSSL_free(der);
    run((const char *const[]){"softhsm2-util", "--import", kfile, "--token", "uipsec", "--label",
                              label, "--id", id, "--pin", PIN, NULL});
    run((const char *const[]){"pkcs11-tool", "--module", module, "--token-label", "uipsec",
                              "--login", "--pin", PIN, "--write-object", cfile, "--type", "cert",
                              "--label", label, "--id", id, NULL});
    g_unlink(kfile); /* the private key is on the token only */
    *cert_file = tmp_path(g_str_has_prefix(label, "ec") ? "ec.pem" : "rsa.pem");
    f = fopen(*cert_file, "w");
    PEM_write_X509(f, x);
    fclose(f);
    return x;
}

static void token_setup(void)
{
    g_autofree char *conf = NULL, *tokens = NULL, *text = NULL;
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

    tmpdir = g_dir_make_tmp("uip-pkcs11-XXXXXX", NULL);
    conf = tmp_path("softhsm2.conf");
    tokens = tmp_path("tokens");
    g_assert_cmpint(g_mkdir(tokens, 0700), ==, 0);
    text = g_strdup_printf("directories.tokendir = %s\nobjectstore.backend = file\n"
                           "log.level = ERROR\nslots.removable = false\n",
                           tokens);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_setenv("SOFTHSM2_CONF", conf, TRUE);
    run((const char *const[]){"softhsm2-util", "--init-token", "--free", "--label", "uipsec",
                              "--pin", PIN, "--so-pin", "13579", NULL});
    /* a second card, which a URI without token= also matches */
    run((const char *const[]){"softhsm2-util", "--init-token", "--free", "--label", "other",
                              "--pin", "8642", "--so-pin", "13579", NULL});
    ec_cert = import(ec, "ec-key", "01", &ec_cert_file);
    rsa_cert = import(rsa, "rsa-key", "02", &rsa_cert_file);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
}

static void rm_rf(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(path, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            rm_rf(p);
        else
            g_unlink(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(path);
}

/* ---- URI syntax ------------------------------------------------------------------------------ */

static void test_uri_parse(void)
{
    struct uip_pkcs11_uri u;
    g_autoptr(GError) e = NULL;

    g_assert_true(uip_pkcs11_uri_parse(
        "pkcs11:token=my%20card;object=vpn-key;id=%01%ff;type=private?module-path=/usr/lib/x.so",
        &u, &e));
    g_assert_no_error(e);
    g_assert_cmpstr(u.token, ==, "my card");
    g_assert_cmpstr(u.object, ==, "vpn-key");
    g_assert_cmpuint(u.id_len, ==, 2);
    g_assert_cmpuint(u.id[0], ==, 0x01);
    g_assert_cmpuint(u.id[1], ==, 0xff);
    g_assert_cmpint(u.type, ==, UIP_PKCS11_TYPE_PRIVATE);
    g_assert_cmpstr(u.module_path, ==, "/usr/lib/x.so");
    uip_pkcs11_uri_clear(&u);
    g_assert_true(uip_pkcs11_is_uri("PKCS11:object=a"));
    g_assert_false(uip_pkcs11_is_uri("/etc/key.pem"));

    static const struct {
        const char *uri;
        const char *words; /* in the message */
    } bad[] = {
        {"pkcs11:", "names no token object"},
        {"pkcs11:?module-path=/x.so", "names no token object"},
        {"pkcs11:object=a;object=b", "“object” appears twice"},
        {"pkcs11:object", "name=value"},
        {"pkcs11:=a", "name=value"},
        {"pkcs11:object=%4", "percent sign"},
        {"pkcs11:object=%zz", "percent sign"},
        {"pkcs11:object=a%00b", "printable"},
        {"pkcs11:id=", "“id” is empty"},
        {"pkcs11:type=secret-key", "private, cert or public"},
        {"pkcs11:object=a?pin-value=1234", "PIN"},
        {"pkcs11:object=a?pin-source=file:/x", "PIN"},
        {"pkcs11:object=a?module-path=lib.so", "absolute"},
        {"pkcs11:slot-id=1", "“slot-id” is not supported"},
        {"pkcs11:object=a;module-path=/x.so", "“module-path” is not supported"},
        {"file:///etc/key.pem", "pkcs11:"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;

        g_assert_false(uip_pkcs11_uri_parse(bad[i].uri, &u, &err));
        g_assert_error(err, UIP_PKCS11_URI_ERROR, 0);
        if (!strstr(err->message, bad[i].words))
            g_error("%s: '%s' lacks '%s'", bad[i].uri, err->message, bad[i].words);
        g_assert_null(strstr(err->message, "1234"));
        g_assert_null(u.object);
    }
}

/* The settings: user-cert / user-key take a URI (ca-cert does not), with the parser's reason
 * for a malformed one; the private key password is then wanted, as the PIN. */
static void test_settings(void)
{
    static const struct {
        const char *key, *value;
        const char *words; /* NULL: valid */
    } cases[] = {
        {UIP_KEY_USER_KEY, KEY_EC, NULL},
        {UIP_KEY_USER_KEY, "pkcs11:object=vpn%20key?module-path=/usr/lib/p11.so", NULL},
        {UIP_KEY_USER_CERT, CERT_RSA, NULL},
        {UIP_KEY_USER_KEY, "/etc/ipsec.d/private/me.key", NULL},
        {UIP_KEY_USER_KEY, "pkcs11:object=a;object=b",
         "malformed PKCS#11 URI: attribute “object” appears twice"},
        {UIP_KEY_USER_KEY, "pkcs11:", "names no token object"},
        {UIP_KEY_USER_CERT, "pkcs11:object=a?pin-value=" PIN, "the PIN does not belong"},
        {UIP_KEY_USER_KEY, "pkcs12:object=a", "absolute file path or a PKCS#11 URI"},
        {UIP_KEY_CA_CERT, "pkcs11:object=ca", "absolute file path"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        gboolean ok = uip_settings_validate_one(cases[i].key, cases[i].value, &e);

        if (!cases[i].words) {
            g_assert_no_error(e);
            g_assert_true(ok);
            continue;
        }
        g_assert_false(ok);
        g_assert_error(e, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
        if (!strstr(e->message, cases[i].words) || !strstr(e->message, cases[i].key))
            g_error("%s=%s: '%s' lacks '%s' or the key", cases[i].key, cases[i].value, e->message,
                    cases[i].words);
        g_assert_null(strstr(e->message, "=" PIN));
    }

    /* the PIN is asked for a token key; a clear key file needs no password */
    for (int token = 0; token < 2; token++) {
        g_autoptr(GHashTable) data = g_hash_table_new(g_str_hash, g_str_equal);
        g_auto(GStrv) wanted = NULL;

        g_hash_table_insert(data, UIP_KEY_GATEWAY, "192.0.2.1");
        g_hash_table_insert(data, UIP_KEY_AUTH, UIP_AUTH_NAME_CERT);
        g_hash_table_insert(data, UIP_KEY_USER_CERT, ec_cert_file);
        g_hash_table_insert(data, UIP_KEY_USER_KEY, token ? KEY_EC : ec_cert_file);
        g_assert_true(uip_settings_validate(data, NULL, NULL));
        wanted = uip_settings_secrets_wanted(data, NULL);
        g_assert_cmpuint(g_strv_length(wanted), ==, token ? 1 : 0);
        if (token)
            g_assert_cmpstr(wanted[0], ==, UIP_KEY_USER_KEY_PASSWORD);
    }
}

/* ---- signatures made on the token ----------------------------------------------------------- */

/* Whether @sig over @data verifies with @x's public key (RSASSA-PKCS1-v1_5 for RSA). */
static int verify(X509 *x, const char *md, bool rsa, const uint8_t *sig, size_t sig_len,
                  const uint8_t *data, size_t len)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int r;

    g_assert_cmpint(EVP_DigestVerifyInit_ex(m, &pctx, md, NULL, NULL, X509_get0_pubkey(x), NULL),
                    ==, 1);
    if (rsa)
        g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), ==, 1);
    r = EVP_DigestVerify(m, sig, sig_len, data, len);
    ERR_clear_error();
    EVP_MD_CTX_free(m);
    return r;
}

/* The RFC 7427 AUTH of ike_cred_sign() verified with @x's public key. */
static void check_auth(const struct ike_cred *c, X509 *x, uint16_t hash, const char *md, bool rsa)
{
    uint8_t so[300], method = 0, *auth = NULL;
    size_t auth_len = 0;

    for (size_t i = 0; i < sizeof(so); i++)
        so[i] = (uint8_t)g_test_rand_int();
    g_assert_cmpint(ike_cred_sign(c, hash, so, sizeof(so), &method, &auth, &auth_len), ==, 0);
    g_assert_cmpuint(method, ==, IKE_AUTH_DIGITAL_SIGNATURE);
    g_assert_cmpuint(auth_len, >, 1u + auth[0]);
    g_assert_cmpint(verify(x, md, rsa, auth + 1 + auth[0], auth_len - 1 - auth[0], so, sizeof(so)),
                    ==, 1);
    /* and not for other data */
    so[0] ^= 1;
    g_assert_cmpint(verify(x, md, rsa, auth + 1 + auth[0], auth_len - 1 - auth[0], so, sizeof(so)),
                    !=, 1);
    g_free(auth);
}

/* Test data: in this process (libp11 here), or in the signer process the service uses. */
static const char MODE_LOCAL[] = "in-process", MODE_SIGNER[] = "signer";

static void use_mode(gconstpointer mode)
{
    ike_p11_use_signer(mode == MODE_SIGNER ? "/proc/self/exe" : NULL);
}

static struct ike_cred *load_ok(const char *cert, const char *key)
{
    struct ike_cred *c = NULL;
    char err[256] = "";
    int r = ike_cred_load(cert, key, PIN, &c, err, sizeof(err));

    if (r < 0)
        g_error("ike_cred_load(%s, %s): %d %s", cert, key, r, err);
    return c;
}

static void test_ec_sign(gconstpointer mode)
{
    use_mode(mode);
    struct ike_cred *c = load_ok(ec_cert_file, KEY_EC);

    g_assert_cmpuint(ike_cred_choose_hash(c, 1u << IKE_HASH_SHA2_256), ==, IKE_HASH_SHA2_256);
    check_auth(c, ec_cert, 0, "SHA256", false);
    check_auth(c, ec_cert, IKE_HASH_SHA2_384, "SHA384", false);
    ike_cred_free(c);
}

static void test_rsa_sign(gconstpointer mode)
{
    use_mode(mode);
    struct ike_cred *c = load_ok(rsa_cert_file, KEY_RSA);

    check_auth(c, rsa_cert, 0, "SHA256", true);
    check_auth(c, rsa_cert, IKE_HASH_SHA2_512, "SHA512", true);
    ike_cred_free(c);
}

/* RSASSA-PSS as TLS 1.3 signs (OpenSSL pads, the token does the raw RSA operation). */
static void test_rsa_pss(gconstpointer mode)
{
    use_mode(mode);
    struct ike_cred *c = load_ok(rsa_cert_file, KEY_RSA);
    uint8_t data[100] = {1, 2, 3}, sig[512];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;

    g_assert_cmpint(EVP_DigestSignInit_ex(m, &pctx, "SHA256", NULL, NULL, ike_cred_pkey(c), NULL),
                    ==, 1);
    g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), ==, 1);
    g_assert_cmpint(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), ==, 1);
    g_assert_cmpint(EVP_DigestSign(m, sig, &sig_len, data, sizeof(data)), ==, 1);
    EVP_MD_CTX_reset(m);
    g_assert_cmpint(
        EVP_DigestVerifyInit_ex(m, &pctx, "SHA256", NULL, NULL, X509_get0_pubkey(rsa_cert), NULL),
        ==, 1);
    g_assert_cmpint(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), ==, 1);
    g_assert_cmpint(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), ==, 1);
    g_assert_cmpint(EVP_DigestVerify(m, sig, sig_len, data, sizeof(data)), ==, 1);
    EVP_MD_CTX_free(m);
    ike_cred_free(c);
}

/* The certificate from the token too: the same one as the file's. */
static void test_cert_on_token(gconstpointer mode)
{
    use_mode(mode);
    struct ike_cred *c = load_ok(CERT_EC, KEY_EC);
    struct ike_cred *r = load_ok(CERT_RSA, KEY_RSA);
    size_t len;
    const uint8_t *der = ike_cred_cert_der(c, &len);

    g_assert_cmpint(X509_cmp(ike_cred_x509(c), ec_cert), ==, 0);
    g_assert_nonnull(der);
    g_assert_cmpint(X509_cmp(ike_cred_x509(r), rsa_cert), ==, 0);
    check_auth(c, ec_cert, 0, "SHA256", false);
    ike_cred_free(c);
    ike_cred_free(r);
}

/* An explicit module instead of p11-kit's proxy. */
static void test_module_path(gconstpointer mode)
{
    use_mode(mode);
    g_autofree char *uri = g_strdup_printf("%s?module-path=%s", KEY_EC, module);
    struct ike_cred *c = load_ok(ec_cert_file, uri);

    check_auth(c, ec_cert, 0, "SHA256", false);
    ike_cred_free(c);
}

/* ---- refusals -------------------------------------------------------------------------------- */

static void expect_fail(const char *cert, const char *key, const char *pin, int want,
                        const char *words)
{
    struct ike_cred *c = NULL;
    char err[256] = "";
    int r = ike_cred_load(cert, key, pin, &c, err, sizeof(err));

    g_assert_cmpint(r, ==, want);
    g_assert_null(c);
    if (!strstr(err, words))
        g_error("%s: '%s' lacks '%s'", key, err, words);
    g_assert_null(strstr(err, WRONG_PIN));
    g_assert_null(strstr(err, PIN));
}

static void test_refusals(gconstpointer mode)
{
    use_mode(mode);
    expect_fail(ec_cert_file, KEY_EC, WRONG_PIN, -EACCES, "the PIN of the token 'uipsec' is wrong");
    expect_fail(ec_cert_file, KEY_EC, NULL, -ENOKEY, "needs its PIN");
    expect_fail(ec_cert_file, KEY_EC, "", -ENOKEY, "needs its PIN");
    expect_fail(ec_cert_file, "pkcs11:token=uipsec;object=no-such-key", PIN, -ENOENT,
                "no private key matches 'pkcs11:token=uipsec;object=no-such-key'");
    expect_fail(ec_cert_file, "pkcs11:token=no-such-token;object=ec-key", PIN, -ENODEV,
                "no token matches");
    expect_fail(ec_cert_file, "pkcs11:token=uipsec", PIN, -ENOTUNIQ, "2 private keys match");
    /* two tokens ask for a PIN: it is tried on neither */
    expect_fail(ec_cert_file, "pkcs11:object=ec-key", PIN, -ENOTUNIQ,
                "2 tokens that ask for a PIN match 'pkcs11:object=ec-key': add token=");
    expect_fail(ec_cert_file, CERT_EC, PIN, -EINVAL, "names no private key");
    expect_fail("pkcs11:token=uipsec;object=none;type=cert", KEY_EC, PIN, -ENOENT,
                "no certificate matches");
    expect_fail(ec_cert_file, "pkcs11:object=ec-key?module-path=/nonexistent/p11.so", PIN, -ELIBACC,
                "cannot load the PKCS#11 module '/nonexistent/p11.so'");
    expect_fail(ec_cert_file, "pkcs11:object=ec-key;pin-value=" PIN, PIN, -EINVAL, "the PIN");
    expect_fail(CERT_EC, "/nonexistent/key.pem", PIN, -EINVAL, "needs its private key there");
    /* the key must be the certificate's */
    expect_fail(rsa_cert_file, KEY_EC, PIN, -EKEYREJECTED, "does not belong");
    /* and the right PIN still works after all that */
    ike_cred_free(load_ok(ec_cert_file, KEY_EC));
}

/* ---- TLS (EAP-TLS) with the token key -------------------------------------------------------- */

static int accept_any(int ok, X509_STORE_CTX *ctx)
{
    return 1;
}

/* A TLS handshake over memory BIOs: the server asks for the client's certificate, which must
 * be @x, signed for with the token key. */
static void handshake(const struct ike_cred *c, X509 *x, int version)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
    EVP_PKEY *skey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *scert = self_signed(skey, "server");
    SSL *s, *cl;
    BIO *sb, *cb;
    bool s_done = false, c_done = false;

    g_assert_cmpint(SSL_CTX_use_certificate(sctx, scert), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey(sctx, skey), ==, 1);
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, accept_any);
    g_assert_cmpint(SSL_CTX_use_certificate(cctx, ike_cred_x509(c)), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey(cctx, ike_cred_pkey(c)), ==, 1);
    SSL_CTX_set_min_proto_version(sctx, version);
    SSL_CTX_set_max_proto_version(sctx, version);
    SSL_CTX_set_min_proto_version(cctx, version);
    SSL_CTX_set_max_proto_version(cctx, version);
    s = SSL_new(sctx);
    cl = SSL_new(cctx);
    g_assert_cmpint(BIO_new_bio_pair(&sb, 0, &cb, 0), ==, 1);
    SSL_set_bio(s, sb, sb);
    SSL_set_bio(cl, cb, cb);
    SSL_set_accept_state(s);
    SSL_set_connect_state(cl);
    for (int i = 0; i < 20 && !(s_done && c_done); i++) {
        int rc = SSL_do_handshake(cl);
        int rs = SSL_do_handshake(s);

        if (rc <= 0)
            g_assert_cmpint(SSL_get_error(cl, rc), ==, SSL_ERROR_WANT_READ);
        if (rs <= 0)
            g_assert_cmpint(SSL_get_error(s, rs), ==, SSL_ERROR_WANT_READ);
        c_done = rc == 1;
        s_done = rs == 1;
    }
    g_assert_true(s_done && c_done);
    g_assert_cmpint(SSL_version(s), ==, version);
    {
        X509 *peer = SSL_get1_peer_certificate(s);
        g_assert_nonnull(peer);
        g_assert_cmpint(X509_cmp(peer, x), ==, 0);
        X509_free(peer);
    }
    SSL_free(s);
    SSL_free(cl);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    X509_free(scert);
    EVP_PKEY_free(skey);
}

static void test_tls(gconstpointer mode)
{
    use_mode(mode);
    struct ike_cred *ec = load_ok(ec_cert_file, KEY_EC);
    struct ike_cred *rsa = load_ok(rsa_cert_file, KEY_RSA);

    handshake(ec, ec_cert, TLS1_2_VERSION);
    handshake(ec, ec_cert, TLS1_3_VERSION);
    handshake(rsa, rsa_cert, TLS1_2_VERSION);
    handshake(rsa, rsa_cert, TLS1_3_VERSION); /* RSASSA-PSS */
    ike_cred_free(ec);
    ike_cred_free(rsa);
}

/* ---- the signer process -------------------------------------------------------------------- */

/* The one child of this process that runs as the signer, or 0. */
static pid_t signer_pid(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
    const char *name;
    pid_t found = 0;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *stat = NULL, *cmd = NULL;
        g_autofree char *sp = g_build_filename("/proc", name, "stat", NULL);
        g_autofree char *cp = g_build_filename("/proc", name, "cmdline", NULL);
        const char *rp;
        gsize len = 0;
        int ppid = 0;

        if (!g_ascii_isdigit(*name) || !g_file_get_contents(sp, &stat, NULL, NULL) ||
            !(rp = strrchr(stat, ')')) || sscanf(rp + 2, "%*c %d", &ppid) != 1 ||
            ppid != getpid() || !g_file_get_contents(cp, &cmd, &len, NULL))
            continue;
        if (len > strlen(cmd) + 1 && strcmp(cmd + strlen(cmd) + 1, IKE_P11_SIGNER_ARG) == 0) {
            g_assert_cmpint(found, ==, 0);
            found = atoi(name);
        }
    }
    return found;
}

/* A /proc/.../status line's value ("CapEff", "Seccomp" ...). */
static char *status_field(const char *status_path, const char *field)
{
    g_autofree char *st = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(status_path, &st, NULL, NULL))
        return NULL;
    lines = g_strsplit(st, "\n", -1);
    for (char **l = lines; *l; l++)
        if (g_str_has_prefix(*l, field) && (*l)[strlen(field)] == ':')
            return g_strstrip(g_strdup(*l + strlen(field) + 1));
    return NULL;
}

/*
 * The signer the service uses: as root, uid 0 with no capabilities in any set, NO_NEW_PRIVS
 * and the strict seccomp filter (UIP_SECCOMP_STRICT, as the e2e tests run the service) in
 * every thread (p11-kit's proxy loads OpenSC's module, whose constructor starts GLib threads
 * when it is installed); still signing (three times, as reauthentications do); gone once the
 * key is freed.
 */
static void test_signer_process(void)
{
    static const char *const want[][2] = {
        {"CapInh", "0000000000000000"}, {"CapPrm", "0000000000000000"},
        {"CapEff", "0000000000000000"}, {"CapBnd", "0000000000000000"},
        {"CapAmb", "0000000000000000"}, {"NoNewPrivs", "1"},
        {"Seccomp", "2"},
    };
    g_autofree char *tasks = NULL;
    g_autoptr(GDir) d = NULL;
    struct ike_cred *c;
    const char *t;
    unsigned n = 0;
    pid_t pid;

    use_mode(MODE_SIGNER);
    c = load_ok(ec_cert_file, KEY_EC);
    pid = signer_pid();
    g_assert_cmpint(pid, >, 0);
    tasks = g_strdup_printf("/proc/%d/task", (int)pid);
    d = g_dir_open(tasks, 0, NULL);
    g_assert_nonnull(d);
    while (geteuid() == 0 && (t = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(tasks, t, "status", NULL);
        g_autofree char *name = status_field(path, "Name");

        for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
            g_autofree char *v = status_field(path, want[i][0]);
            if (g_strcmp0(v, want[i][1]) != 0)
                g_error("signer %d, thread %s (%s): %s is %s, not %s", (int)pid, t, name,
                        want[i][0], v ? v : "(none)", want[i][1]);
        }
        n++;
    }
    g_test_message("signer %d: %u thread(s) checked", (int)pid, n);
    for (int i = 0; i < 3; i++)
        check_auth(c, ec_cert, 0, "SHA256", false);
    ike_cred_free(c);
    g_assert_cmpint(kill(pid, 0), <, 0); /* reaped */
    g_assert_cmpint(errno, ==, ESRCH);
    use_mode(MODE_LOCAL);
}

/* ---- after the service's privilege drop ------------------------------------------------------ */

/* In a child, as the service does: load through the signer, drop to an unprivileged user (no
 * capabilities, NO_NEW_PRIVS, the strict seccomp filter), then sign (a reauthentication). */
static int child_sign_after_drop(void)
{
    struct ike_cred *c = NULL;
    char err[256] = "";
    uint8_t so[64] = {0}, method, *auth = NULL;
    size_t auth_len;

    ike_p11_use_signer("/proc/self/exe");
    if (ike_cred_load(ec_cert_file, KEY_EC, PIN, &c, err, sizeof(err)) < 0)
        return 2;
    if (uip_privileges_drop("nobody", err, sizeof(err)) < 0 || getuid() == 0) {
        fprintf(stderr, "child: %s\n", err);
        return 3;
    }
    for (int i = 0; i < 3; i++) {
        if (ike_cred_sign(c, 0, so, sizeof(so), &method, &auth, &auth_len) < 0)
            return 4;
        g_free(auth);
    }
    ike_cred_free(c);
    return 0;
}

static void test_sign_after_drop(void)
{
    int status;
    pid_t pid;

    if (geteuid() != 0) {
        g_test_skip("needs root");
        return;
    }
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(child_sign_after_drop());
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

/* SoftHSM2's module: /usr/lib/<multiarch>/softhsm/ (Debian), /usr/lib64/ or /usr/lib/softhsm/. */
static char *find_module(void)
{
    static const char *const dirs[] = {"/usr/lib64", "/usr/lib", "/usr/local/lib"};
    GDir *d;
    const char *name;
    char *found = NULL;

    for (gsize i = 0; !found && i < G_N_ELEMENTS(dirs); i++) {
        found = g_build_filename(dirs[i], "softhsm", "libsofthsm2.so", NULL);
        if (g_file_test(found, G_FILE_TEST_EXISTS))
            break;
        g_clear_pointer(&found, g_free);
    }
    d = found ? NULL : g_dir_open("/usr/lib", 0, NULL);
    while (d && !found && (name = g_dir_read_name(d))) {
        found = g_build_filename("/usr/lib", name, "softhsm", "libsofthsm2.so", NULL);
        if (!g_file_test(found, G_FILE_TEST_EXISTS))
            g_clear_pointer(&found, g_free);
    }
    if (d)
        g_dir_close(d);
    return found;
}

int main(int argc, char **argv)
{
    g_autofree char *tool = g_find_program_in_path("softhsm2-util");
    g_autofree char *tool2 = g_find_program_in_path("pkcs11-tool");
    int r;

    /* this binary is the signer of its signer-mode tests, locked down as the service's */
    if (ike_p11_signer_wanted(argc, argv))
        return ike_p11_signer_main(geteuid() == 0 ? uip_privileges_drop_keep_uid : NULL,
                                   uip_privileges_lock_down);
    g_setenv("UIP_SECCOMP_STRICT", "1", TRUE);
    g_test_init(&argc, &argv, NULL);
    module = find_module();
    if (!tool || !tool2 || !module) {
        g_printerr("softhsm2 or pkcs11-tool (opensc) not installed: skipped\n");
        return 77;
    }
    token_setup();
    g_test_add_func("/pkcs11/uri-parse", test_uri_parse);
    g_test_add_func("/pkcs11/settings", test_settings);
    for (gsize i = 0; i < 2; i++) {
        const char *mode = i ? MODE_SIGNER : MODE_LOCAL;
        static const struct {
            const char *name;
            GTestDataFunc fn;
        } t[] = {
            {"ec-sign", test_ec_sign},     {"rsa-sign", test_rsa_sign},
            {"rsa-pss", test_rsa_pss},     {"cert-on-token", test_cert_on_token},
            {"module-path", test_module_path}, {"refusals", test_refusals},
            {"tls", test_tls},
        };
        for (gsize k = 0; k < G_N_ELEMENTS(t); k++) {
            g_autofree char *path = g_strdup_printf("/pkcs11/%s/%s", mode, t[k].name);
            g_test_add_data_func(path, mode, t[k].fn);
        }
    }
    g_test_add_func("/pkcs11/signer-process", test_signer_process);
    g_test_add_func("/pkcs11/sign-after-drop", test_sign_after_drop);
    r = g_test_run();
    X509_free(ec_cert);
    X509_free(rsa_cert);
    g_free(ec_cert_file);
    g_free(rsa_cert_file);
    rm_rf(tmpdir);
    g_free(tmpdir);
    g_free(module);
    return r;
}
