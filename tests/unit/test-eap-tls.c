/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAP-TLS peer (src/ike/eap-tls.c through src/ike/eap.c) against an
 * in-process EAP-TLS server: OpenSSL SSL_accept() over memory BIOs plus
 * EAP-TLS framing (RFC 5216 / RFC 9190), written here for the test only.
 * The server checks our framing strictly (Identifiers, lengths, L/M flags,
 * fragment sizes) and derives the MSK with the exporter on its side, so a
 * run passes only when both sides agree on every octet of it.
 *
 * Throwaway certificates are made at start with OpenSSL: a CA, a second
 * unrelated CA, server certificates (right name, wrong name, wrong CA, CA:TRUE) and
 * client certificates (RSA 3072 from the CA, so that our TLS flight needs
 * fragments; EC from the other CA), written as PEM into a temp folder for
 * ike_trust_new() / ike_cred_load().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/cert-auth.h"
#include "ike/eap-tls.h"
#include "ike/eap.h"
#include "ike/ike-types.h"
#include "common/uip-log.h"

#include "test-util.h"

#define GW_NAME     "gw.example.test"
#define GW_ADDR     "192.0.2.2"
#define CLIENT_NAME "client.example.test"

/* ---- test PKI -------------------------------------------------------------------------------- */

struct pki_item {
    X509 *cert;
    EVP_PKEY *key;
    char *cert_file;
    char *key_file;
};

static struct {
    char *dir;
    struct pki_item ca, ca2;
    struct pki_item srv;       /* CA, SAN DNS:gw.example.test, IP:192.0.2.2 */
    struct pki_item srv_wrong; /* CA, SAN DNS:other.example.test */
    struct pki_item srv_ca2;   /* other CA, SAN DNS:gw.example.test */
    struct pki_item srv_is_ca; /* as srv, but CA:TRUE */
    struct pki_item cli;       /* CA, RSA 3072, SAN DNS:client.example.test */
    struct pki_item cli_ca2;   /* other CA, EC */
    struct pki_item cli_dn;    /* CA, EC, no SAN, subject O=Example, CN=dn client */
} pki;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    g_assert_nonnull(ext);
    g_assert_cmpint(X509_add_ext(x, ext, -1), ==, 1);
    X509_EXTENSION_free(ext);
}

static void write_item(struct pki_item *it, const char *name)
{
    FILE *f;

    it->cert_file = g_strdup_printf("%s/%s.pem", pki.dir, name);
    it->key_file = g_strdup_printf("%s/%s.key", pki.dir, name);
    f = fopen(it->cert_file, "w");
    g_assert_nonnull(f);
    g_assert_cmpint(PEM_write_X509(f, it->cert), ==, 1);
    fclose(f);
    f = fopen(it->key_file, "w");
    g_assert_nonnull(f);
    g_assert_cmpint(PEM_write_PrivateKey(f, it->key, NULL, NULL, 0, NULL, NULL), ==, 1);
    fclose(f);
}

/* A certificate for @cn (and @org) signed by @issuer (NULL: self-signed CA). */
static void make_item(struct pki_item *it, const char *name, const char *org, const char *cn,
                      bool rsa, const struct pki_item *issuer, const char *san)
{
    static long serial = 1;
    X509_NAME *subj;
    X509 *x = X509_new();

    it->key = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072)
                  : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    g_assert_nonnull(it->key);
    g_assert_nonnull(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, it->key);
    subj = X509_get_subject_name(x);
    if (org)
        X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : subj);
    if (!issuer) {
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(x, x, NID_subject_key_identifier, "hash");
    } else {
        add_ext(x, issuer->cert, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer->cert, NID_authority_key_identifier, "keyid");
    }
    if (san)
        add_ext(x, issuer ? issuer->cert : x, NID_subject_alt_name, san);
    g_assert_cmpint(X509_sign(x, issuer ? issuer->key : it->key, EVP_sha256()), >, 0);
    it->cert = x;
    write_item(it, name);
}

static void pki_setup(void)
{
    g_autoptr(GError) error = NULL;

    pki.dir = g_dir_make_tmp("test-eap-tls-XXXXXX", &error);
    g_assert_no_error(error);
    make_item(&pki.ca, "ca", NULL, "test CA", false, NULL, NULL);
    make_item(&pki.ca2, "ca2", NULL, "other CA", false, NULL, NULL);
    make_item(&pki.srv, "srv", NULL, GW_NAME, false, &pki.ca, "DNS:" GW_NAME ",IP:" GW_ADDR);
    make_item(&pki.srv_wrong, "srv-wrong", NULL, "other.example.test", false, &pki.ca,
              "DNS:other.example.test");
    make_item(&pki.srv_ca2, "srv-ca2", NULL, GW_NAME, false, &pki.ca2, "DNS:" GW_NAME);
    make_item(&pki.srv_is_ca, "srv-is-ca", NULL, GW_NAME, false, &pki.ca,
              "DNS:" GW_NAME ",IP:" GW_ADDR);
    X509_EXTENSION_free(X509_delete_ext(
        pki.srv_is_ca.cert, X509_get_ext_by_NID(pki.srv_is_ca.cert, NID_basic_constraints, -1)));
    add_ext(pki.srv_is_ca.cert, pki.ca.cert, NID_basic_constraints, "CA:TRUE");
    g_assert_cmpint(X509_sign(pki.srv_is_ca.cert, pki.ca.key, EVP_sha256()), >, 0);
    g_free(pki.srv_is_ca.cert_file);
    g_free(pki.srv_is_ca.key_file);
    write_item(&pki.srv_is_ca, "srv-is-ca");
    make_item(&pki.cli, "cli", NULL, CLIENT_NAME, true, &pki.ca, "DNS:" CLIENT_NAME);
    make_item(&pki.cli_ca2, "cli-ca2", NULL, CLIENT_NAME, false, &pki.ca2, "DNS:" CLIENT_NAME);
    make_item(&pki.cli_dn, "cli-dn", "Example", "dn client", false, &pki.ca, NULL);
}

static void item_clear(struct pki_item *it)
{
    g_unlink(it->cert_file);
    g_unlink(it->key_file);
    g_free(it->cert_file);
    g_free(it->key_file);
    X509_free(it->cert);
    EVP_PKEY_free(it->key);
}

static void pki_teardown(void)
{
    item_clear(&pki.ca);
    item_clear(&pki.ca2);
    item_clear(&pki.srv);
    item_clear(&pki.srv_wrong);
    item_clear(&pki.srv_ca2);
    item_clear(&pki.srv_is_ca);
    item_clear(&pki.cli);
    item_clear(&pki.cli_ca2);
    item_clear(&pki.cli_dn);
    g_rmdir(pki.dir);
    g_free(pki.dir);
}

/* ---- the in-process EAP-TLS server ----------------------------------------------------------- */

struct srv_opts {
    int version;                      /* TLS1_2_VERSION / TLS1_3_VERSION */
    const struct pki_item *cert;      /* default pki.srv */
    const struct pki_item *client_ca; /* trusted for client certificates; default pki.ca */
    size_t frag;                      /* TLS octets per request; default 1024 */
    size_t client_frag;               /* the most we accept per response; default 1024 */
    bool no_indication;               /* TLS 1.3 without the 0x00 (strongSwan 5.9.8 style) */
    const char *post;                 /* instead of the 0x00: this application data (any TLS) */
    size_t post_len;
    bool close_notify; /* then close_notify */
    int tickets;       /* TLS 1.3 NewSessionTickets; -1 = none */
};

struct srv {
    struct srv_opts o;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio;
    uint8_t id;
    GByteArray *out;
    size_t out_off;
    GByteArray *in;
    size_t in_total;
    bool done;
    bool failed; /* the handshake failed: an alert is (was) on its way */
    bool indication_sent;
    unsigned frags_sent;     /* requests carrying TLS data */
    unsigned acks_received;  /* empty responses to our fragments */
    unsigned client_frags;   /* responses carrying TLS data */
    unsigned client_first_l; /* responses with the L flag */
    uint8_t msk[EAP_TLS_MSK_LEN];
    bool have_msk;
};

static struct srv *srv_new(const struct srv_opts *o)
{
    struct srv *s = g_new0(struct srv, 1);
    X509_STORE *store;

    s->o = *o;
    if (!s->o.cert)
        s->o.cert = &pki.srv;
    if (!s->o.client_ca)
        s->o.client_ca = &pki.ca;
    if (!s->o.frag)
        s->o.frag = 1024;
    if (!s->o.client_frag)
        s->o.client_frag = EAP_TLS_FRAGMENT_SIZE;
    s->ctx = SSL_CTX_new(TLS_server_method());
    g_assert_nonnull(s->ctx);
    SSL_CTX_set_min_proto_version(s->ctx, s->o.version);
    SSL_CTX_set_max_proto_version(s->ctx, s->o.version);
    g_assert_cmpint(SSL_CTX_use_certificate(s->ctx, s->o.cert->cert), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey(s->ctx, s->o.cert->key), ==, 1);
    store = SSL_CTX_get_cert_store(s->ctx);
    g_assert_cmpint(X509_STORE_add_cert(store, s->o.client_ca->cert), ==, 1);
    SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_num_tickets(s->ctx,
                            s->o.tickets < 0 ? 0 : (size_t)(s->o.tickets ? s->o.tickets : 2));
    SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
    s->ssl = SSL_new(s->ctx);
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(s->rbio, -1);
    SSL_set_bio(s->ssl, s->rbio, s->wbio);
    SSL_set_accept_state(s->ssl);
    s->out = g_byte_array_new();
    s->in = g_byte_array_new();
    RAND_bytes(&s->id, 1);
    return s;
}

static void srv_free(struct srv *s)
{
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
    g_byte_array_unref(s->out);
    g_byte_array_unref(s->in);
    g_free(s);
}

static GByteArray *eap_msg(uint8_t code, uint8_t id, int type, const void *data, size_t len)
{
    GByteArray *b = g_byte_array_new();
    uint8_t hdr[5] = {code, id, 0, 0, (uint8_t)type};

    test_put_be16(hdr + 2, (uint16_t)(4 + (type >= 0) + len));
    g_byte_array_append(b, hdr, type >= 0 ? 5 : 4);
    if (len)
        g_byte_array_append(b, data, (guint)len);
    return b;
}

/* An EAP-Request/EAP-TLS with @flags, an optional TLS Message Length and @data. */
static GByteArray *tls_req(uint8_t id, uint8_t flags, uint32_t total, const void *data, size_t len)
{
    uint8_t *body = g_malloc(5 + len + 1);
    size_t n = 0;
    GByteArray *b;

    body[n++] = flags;
    if (flags & EAP_TLS_FLAG_LENGTH) {
        test_put_be32(body + n, total);
        n += 4;
    }
    if (len)
        memcpy(body + n, data, len);
    b = eap_msg(EAP_CODE_REQUEST, id, EAP_TYPE_TLS, body, n + len);
    g_free(body);
    return b;
}

static GByteArray *srv_start(struct srv *s)
{
    s->id++;
    return tls_req(s->id, EAP_TLS_FLAG_START, 0, NULL, 0);
}

/* The next fragment of the server's queue, or an empty request (an acknowledgement). */
static GByteArray *srv_fragment(struct srv *s)
{
    size_t rest = s->out->len - s->out_off, n = MIN(rest, s->o.frag);
    uint8_t flags = 0;
    GByteArray *b;

    if (s->out_off == 0 && rest > n)
        flags = EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE;
    else if (rest > n)
        flags = EAP_TLS_FLAG_MORE;
    s->id++;
    b = tls_req(s->id, flags, (uint32_t)rest, s->out->data + s->out_off, n);
    s->out_off += n;
    if (n)
        s->frags_sent++;
    if (s->out_off == s->out->len) {
        g_byte_array_set_size(s->out, 0);
        s->out_off = 0;
    }
    return b;
}

static void srv_derive_msk(struct srv *s)
{
    static const uint8_t type_tls = EAP_TYPE_TLS;
    uint8_t km[128];

    if (SSL_version(s->ssl) == TLS1_3_VERSION)
        g_assert_cmpint(SSL_export_keying_material(s->ssl, km, sizeof(km),
                                                   "EXPORTER_EAP_TLS_Key_Material", 29, &type_tls,
                                                   1, 1),
                        ==, 1);
    else
        g_assert_cmpint(SSL_export_keying_material(s->ssl, km, sizeof(km), "client EAP encryption",
                                                   21, NULL, 0, 0),
                        ==, 1);
    memcpy(s->msk, km, sizeof(s->msk));
    s->have_msk = true;
}

static void srv_collect(struct srv *s)
{
    size_t pending = BIO_ctrl_pending(s->wbio);
    guint old = s->out->len;

    if (!pending)
        return;
    g_byte_array_set_size(s->out, old + (guint)pending);
    g_assert_cmpint(BIO_read(s->wbio, s->out->data + old, (int)pending), ==, (int)pending);
}

/*
 * The server's answer to the peer's response @r: checked strictly, then the
 * next fragment, an acknowledgement, the next TLS flight, EAP-Success or
 * EAP-Failure.
 */
static GByteArray *srv_next(struct srv *s, const GByteArray *r)
{
    size_t len, hdr = 6, data_len;
    uint8_t flags;

    g_assert_cmpuint(r->len, >=, 6);
    g_assert_cmpuint(r->data[0], ==, EAP_CODE_RESPONSE);
    g_assert_cmpuint(r->data[1], ==, s->id);
    len = test_get_be16(r->data + 2);
    g_assert_cmpuint(len, ==, r->len);
    g_assert_cmpuint(r->data[4], ==, EAP_TYPE_TLS);
    flags = r->data[5];
    g_assert_cmpuint(flags & ~(EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE), ==, 0);
    if (flags & EAP_TLS_FLAG_LENGTH) {
        g_assert_cmpuint(len, >=, 10);
        g_assert_true(flags & EAP_TLS_FLAG_MORE); /* we only send L on the first of several */
        g_assert_cmpuint(s->in->len, ==, 0);
        s->in_total = test_get_be32(r->data + 6);
        hdr = 10;
        s->client_first_l++;
    }
    data_len = len - hdr;

    /* an acknowledgement of our fragment */
    if (s->out_off < s->out->len) {
        g_assert_cmpuint(flags, ==, 0);
        g_assert_cmpuint(data_len, ==, 0);
        s->acks_received++;
        return srv_fragment(s);
    }
    if (data_len) {
        g_assert_cmpuint(data_len, <=, s->o.client_frag);
        g_byte_array_append(s->in, r->data + hdr, (guint)data_len);
        s->client_frags++;
        if (flags & EAP_TLS_FLAG_MORE) {
            g_assert_cmpuint(s->in->len, <, s->in_total);
            s->id++;
            return tls_req(s->id, 0, 0, NULL, 0); /* acknowledgement */
        }
        if (s->in_total)
            g_assert_cmpuint(s->in->len, ==, s->in_total);
        s->in_total = 0;
    } else {
        /* the peer's final empty response */
        g_assert_cmpuint(flags, ==, 0);
        g_assert_true(s->done);
        s->id++;
        if (s->failed)
            return eap_msg(EAP_CODE_FAILURE, s->id, -1, NULL, 0);
        return eap_msg(EAP_CODE_SUCCESS, s->id, -1, NULL, 0);
    }

    g_assert_cmpint(BIO_write(s->rbio, s->in->data, (int)s->in->len), ==, (int)s->in->len);
    g_byte_array_set_size(s->in, 0);
    if (!s->done) {
        int ret = SSL_do_handshake(s->ssl);
        if (ret == 1) {
            s->done = true;
            srv_derive_msk(s);
            if (s->o.post_len) {
                g_assert_cmpint(SSL_write(s->ssl, s->o.post, (int)s->o.post_len), ==,
                                (int)s->o.post_len);
            } else if (SSL_version(s->ssl) == TLS1_3_VERSION && !s->o.no_indication) {
                g_assert_cmpint(SSL_write(s->ssl, "", 1), ==, 1); /* the 0x00 indication */
                s->indication_sent = true;
            }
            if (s->o.close_notify)
                SSL_shutdown(s->ssl);
        } else if (SSL_get_error(s->ssl, ret) != SSL_ERROR_WANT_READ) {
            s->done = s->failed = true; /* the alert goes out below */
            ERR_clear_error();
        }
    }
    srv_collect(s);
    if (s->out->len == 0 && s->done) {
        s->id++;
        return eap_msg(s->failed ? EAP_CODE_FAILURE : EAP_CODE_SUCCESS, s->id, -1, NULL, 0);
    }
    g_assert_cmpuint(s->out->len, >, 0);
    return srv_fragment(s);
}

/* ---- driving the peer ------------------------------------------------------------------------ */

/* Feed @req (consumed) to the peer; the result; *@resp the response on 0. */
static int feed(struct eap_peer *peer, GByteArray *req, GByteArray **resp)
{
    uint8_t *out = (uint8_t *)0x1, *sentinel = out;
    size_t out_len = 4242;
    int r;

    r = eap_peer_process(peer, req->data, req->len, &out, &out_len);
    g_byte_array_unref(req);
    if (r == 0) {
        g_assert_nonnull(out);
        g_assert_cmpuint(out_len, >=, 5);
        g_assert_cmpuint(test_get_be16(out + 2), ==, out_len);
        g_assert_cmpuint(out_len, <=, 4 + 2 + 4 + EAP_TLS_FRAGMENT_SIZE);
        *resp = g_byte_array_new_take(out, out_len);
    } else {
        g_assert_true(out == sentinel); /* out-params untouched */
        g_assert_cmpuint(out_len, ==, 4242);
        *resp = NULL;
    }
    return r;
}

static struct eap_peer *peer_new(const struct pki_item *cli, const char *identity)
{
    char err[256] = "";
    struct ike_cred *cred = NULL;
    struct ike_trust *trust = NULL;
    struct eap_peer *peer = NULL;

    g_assert_cmpint(ike_cred_load(cli->cert_file, cli->key_file, NULL, &cred, err, sizeof(err)), ==,
                    0);
    g_assert_cmpint(ike_trust_new(pki.ca.cert_file, &trust, err, sizeof(err)), ==, 0);
    g_assert_cmpint(eap_peer_new_tls(identity, cred, trust, &peer), ==, 0);
    /* OpenSSL holds its own references */
    ike_cred_free(cred);
    ike_trust_free(trust);
    eap_peer_set_spi(peer, 0x1122334455667788ULL);
    return peer;
}

static void set_gw_id(struct eap_peer *peer, const char *host)
{
    g_assert_cmpint(
        eap_peer_set_server_id(peer, IKE_ID_FQDN, (const uint8_t *)GW_NAME, strlen(GW_NAME), host),
        ==, 0);
}

/* Identity round, then the server's Start and everything after it. */
static int run(struct eap_peer *peer, struct srv *s)
{
    GByteArray *resp = NULL;
    GByteArray *req;
    int r;

    s->id++;
    r = feed(peer, eap_msg(EAP_CODE_REQUEST, s->id, EAP_TYPE_IDENTITY, NULL, 0), &resp);
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpuint(resp->data[4], ==, EAP_TYPE_IDENTITY);
    g_byte_array_unref(resp);

    req = srv_start(s);
    for (unsigned i = 0; i < 500; i++) {
        r = feed(peer, req, &resp);
        if (r != 0)
            return r;
        req = srv_next(s, resp);
        g_byte_array_unref(resp);
    }
    g_assert_not_reached();
    return -1;
}

static void check_done(struct eap_peer *peer, struct srv *s)
{
    const uint8_t *msk = NULL;
    size_t msk_len = 0;
    GByteArray *resp;

    g_assert_true(s->have_msk);
    g_assert_cmpint(eap_peer_get_msk(peer, &msk, &msk_len), ==, 0);
    g_assert_cmpmem(msk, msk_len, s->msk, sizeof(s->msk));
    g_assert_null(eap_peer_failure_message(peer));
    /* the server authenticated our certificate */
    g_assert_cmpint(SSL_get_verify_result(s->ssl), ==, X509_V_OK);
    g_assert_nonnull(SSL_get0_peer_certificate(s->ssl));
    /* the run is over */
    g_assert_cmpint(feed(peer, eap_msg(EAP_CODE_SUCCESS, s->id, -1, NULL, 0), &resp), ==, -EPROTO);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void run_ok(const struct srv_opts *o, struct srv **out_srv)
{
    struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
    struct srv *s = srv_new(o);
    const uint8_t *msk;
    size_t msk_len;

    g_assert_cmpint(eap_peer_get_msk(peer, &msk, &msk_len), ==, -ENODATA);
    set_gw_id(peer, NULL);
    g_assert_cmpint(run(peer, s), ==, EAP_DONE_SUCCESS);
    g_assert_cmpint(SSL_version(s->ssl), ==, o->version);
    check_done(peer, s);
    eap_peer_free(peer);
    if (out_srv)
        *out_srv = s;
    else
        srv_free(s);
}

static void test_tls12(void)
{
    struct srv *s;

    run_ok(&(struct srv_opts){.version = TLS1_2_VERSION}, &s);
    /* RSA-3072 client certificate: our flight went out in fragments with L on the first */
    g_assert_cmpuint(s->client_first_l, >=, 1);
    g_assert_cmpuint(s->client_frags, >=, 3);
    srv_free(s);
}

static void test_tls13(void)
{
    struct srv *s;

    run_ok(&(struct srv_opts){.version = TLS1_3_VERSION}, &s);
    g_assert_true(s->indication_sent);
    srv_free(s);
    /* no tickets: the 0x00 alone after our Finished */
    run_ok(&(struct srv_opts){.version = TLS1_3_VERSION, .tickets = -1}, NULL);
}

/* The EAP-TLS MSK must not be the exporter output of another label or length. */
static void test_msk_derivation(void)
{
    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
        struct srv *s;
        uint8_t other[64];

        run_ok(&(struct srv_opts){.version = v}, &s);
        /* 64 octets asked directly: equal for the TLS 1.2 PRF, different for TLS 1.3 (the
         * length is an input of HKDF-Expand-Label), so the 128 of RFC 9190 matter */
        if (v == TLS1_3_VERSION) {
            static const uint8_t t = EAP_TYPE_TLS;
            g_assert_cmpint(SSL_export_keying_material(
                                s->ssl, other, 64, "EXPORTER_EAP_TLS_Key_Material", 29, &t, 1, 1),
                            ==, 1);
            g_assert_true(memcmp(other, s->msk, 64) != 0);
            /* strongSwan 5.9.8's pre-RFC 9190 derivation differs too */
            g_assert_cmpint(SSL_export_keying_material(s->ssl, other, 64, "client EAP encryption",
                                                       21, NULL, 0, 0),
                            ==, 1);
            g_assert_true(memcmp(other, s->msk, 64) != 0);
        }
        srv_free(s);
    }
}

static void test_server_fragments(void)
{
    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
        struct srv *s;

        run_ok(&(struct srv_opts){.version = v, .frag = 100}, &s);
        /* the server's certificate flight alone needs several fragments: each was acked */
        g_assert_cmpuint(s->frags_sent, >=, 5);
        g_assert_cmpuint(s->acks_received, >=, 4);
        srv_free(s);
    }
}

/* Drive eap_tls directly with a small fragment size of ours. */
static void test_client_fragments(void)
{
    char err[256];
    struct ike_cred *cred = NULL;
    struct ike_trust *trust = NULL;
    struct eap_tls *t = NULL;
    struct srv *s = srv_new(&(struct srv_opts){.version = TLS1_3_VERSION, .client_frag = 64});
    GByteArray *req;
    const uint8_t *msk;
    size_t msk_len;

    g_assert_cmpint(
        ike_cred_load(pki.cli.cert_file, pki.cli.key_file, NULL, &cred, err, sizeof(err)), ==, 0);
    g_assert_cmpint(ike_trust_new(pki.ca.cert_file, &trust, err, sizeof(err)), ==, 0);
    g_assert_cmpint(eap_tls_new(cred, trust, &t), ==, 0);
    g_assert_cmpint(eap_tls_set_fragment_size(t, EAP_TLS_MIN_FRAGMENT - 1), ==, -EINVAL);
    g_assert_cmpint(eap_tls_set_fragment_size(t, EAP_TLS_FRAGMENT_SIZE + 1), ==, -EINVAL);
    g_assert_cmpint(eap_tls_set_fragment_size(t, 64), ==, 0);
    g_assert_cmpint(
        eap_tls_set_server_id(t, IKE_ID_FQDN, (const uint8_t *)GW_NAME, strlen(GW_NAME), NULL), ==,
        0);
    g_assert_null(eap_tls_version_name(t));

    req = srv_start(s);
    for (;;) {
        uint8_t *out = NULL;
        size_t out_len = 0;
        GByteArray *resp;

        if (req->data[0] == EAP_CODE_SUCCESS) {
            g_byte_array_unref(req);
            break;
        }
        g_assert_false(eap_tls_finished(t));
        g_assert_cmpint(
            eap_tls_process(t, req->data[1], req->data + 5, req->len - 5, &out, &out_len), ==, 0);
        g_byte_array_unref(req);
        resp = g_byte_array_new_take(out, out_len);
        req = srv_next(s, resp);
        g_byte_array_unref(resp);
    }
    g_assert_cmpuint(s->client_frags, >=, 20);
    g_assert_true(eap_tls_finished(t));
    g_assert_cmpstr(eap_tls_version_name(t), ==, "TLSv1.3");
    g_assert_cmpint(eap_tls_get_msk(t, &msk, &msk_len), ==, 0);
    g_assert_cmpmem(msk, msk_len, s->msk, sizeof(s->msk));
    eap_tls_free(t);
    ike_cred_free(cred);
    ike_trust_free(trust);
    srv_free(s);
}

/* Run against a server that should be refused; the result and the reason. */
static void run_refused(const struct srv_opts *o, const char *host, bool set_id, int want,
                        const char *reason_part)
{
    struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
    struct srv *s = srv_new(o);
    GByteArray *resp;
    const char *why;

    if (set_id)
        set_gw_id(peer, host);
    g_assert_cmpint(run(peer, s), ==, want);
    why = eap_peer_failure_message(peer);
    g_assert_nonnull(why);
    if (!strstr(why, reason_part))
        g_error("reason '%s' lacks '%s'", why, reason_part);
    /* over, and no MSK */
    g_assert_cmpint(feed(peer, eap_msg(EAP_CODE_SUCCESS, s->id, -1, NULL, 0), &resp), ==, -EPROTO);
    {
        const uint8_t *msk;
        size_t msk_len;
        g_assert_cmpint(eap_peer_get_msk(peer, &msk, &msk_len), ==, -ENODATA);
    }
    eap_peer_free(peer);
    srv_free(s);
}

static void test_untrusted_server(void)
{
    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++)
        run_refused(&(struct srv_opts){.version = v, .cert = &pki.srv_ca2}, NULL, true,
                    -EKEYREJECTED, "not trusted");
}

/* the certificate policy of the gateway's IKE certificate holds for its TLS one too */
static void test_server_policy(void)
{
    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++)
        run_refused(&(struct srv_opts){.version = v, .cert = &pki.srv_is_ca}, NULL, true,
                    -EKEYREJECTED, "it is a CA certificate");
}

static void test_server_identity(void)
{
    /* a trusted certificate for another name */
    run_refused(&(struct srv_opts){.version = TLS1_2_VERSION, .cert = &pki.srv_wrong}, NULL, true,
                -EACCES, "IDr");
    run_refused(&(struct srv_opts){.version = TLS1_3_VERSION, .cert = &pki.srv_wrong}, NULL, true,
                -EACCES, "IDr");
    /* the right name, but not the gateway address we connected to */
    run_refused(&(struct srv_opts){.version = TLS1_3_VERSION}, "192.0.2.9", true, -EACCES,
                "192.0.2.9");
    /* no identity given: nothing to bind the certificate to */
    run_refused(&(struct srv_opts){.version = TLS1_2_VERSION}, NULL, false, -EACCES,
                "no gateway identity");

    /* name and address both in the certificate */
    {
        struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
        struct srv *s = srv_new(&(struct srv_opts){.version = TLS1_3_VERSION});

        set_gw_id(peer, GW_ADDR);
        g_assert_cmpint(run(peer, s), ==, EAP_DONE_SUCCESS);
        check_done(peer, s);
        eap_peer_free(peer);
        srv_free(s);
    }
    /* an identity of a type the certificate cannot carry */
    {
        struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
        struct srv *s = srv_new(&(struct srv_opts){.version = TLS1_2_VERSION});

        g_assert_cmpint(eap_peer_set_server_id(peer, IKE_ID_KEY_ID, (const uint8_t *)"k", 1, NULL),
                        ==, 0);
        g_assert_cmpint(run(peer, s), ==, -EACCES);
        eap_peer_free(peer);
        srv_free(s);
    }
}

static void test_client_refused(void)
{
    /* the server trusts only the other CA: it sends an alert */
    run_refused(&(struct srv_opts){.version = TLS1_2_VERSION, .client_ca = &pki.ca2}, NULL, true,
                -EACCES, "alert");
    run_refused(&(struct srv_opts){.version = TLS1_3_VERSION, .client_ca = &pki.ca2}, NULL, true,
                -EACCES, "alert");
}

/* EAP-Success at every point before the run finished is refused. */
static void test_early_success(void)
{
    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
        for (unsigned stop = 0; stop < 8; stop++) {
            struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
            struct srv *s = srv_new(&(struct srv_opts){.version = v});
            GByteArray *req, *resp = NULL;
            unsigned i;
            int r = 0;

            set_gw_id(peer, NULL);
            /* stop 0: before anything; then after @stop server messages */
            req = srv_start(s);
            for (i = 0; i < stop; i++) {
                r = feed(peer, req, &resp);
                g_assert_cmpint(r, ==, 0);
                req = srv_next(s, resp);
                g_byte_array_unref(resp);
                if (req->data[0] == EAP_CODE_SUCCESS)
                    break;
            }
            if (req->data[0] == EAP_CODE_SUCCESS) {
                /* the genuine end: stop is past the whole run */
                g_assert_cmpint(feed(peer, req, &resp), ==, EAP_DONE_SUCCESS);
            } else {
                g_byte_array_unref(req);
                r = feed(peer, eap_msg(EAP_CODE_SUCCESS, s->id, -1, NULL, 0), &resp);
                g_assert_cmpint(r, ==, -EACCES);
            }
            eap_peer_free(peer);
            srv_free(s);
        }
    }

    /* TLS 1.3 without the protected success indication (strongSwan 5.9.8): refused */
    for (int tickets = -1; tickets <= 2; tickets += 3) {
        struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
        struct srv *s = srv_new(&(struct srv_opts){
            .version = TLS1_3_VERSION, .no_indication = true, .tickets = tickets});

        set_gw_id(peer, NULL);
        g_assert_cmpint(run(peer, s), ==, -EACCES);
        g_assert_nonnull(strstr(eap_peer_failure_message(peer), "protected success indication"));
        eap_peer_free(peer);
        srv_free(s);
    }
}

/* What may follow the handshake: the 0x00 indication (TLS 1.3), alerts, nothing else. */
static void test_after_handshake(void)
{
    /* the indication, then close_notify: fine */
    run_ok(&(struct srv_opts){.version = TLS1_3_VERSION, .close_notify = true}, NULL);
    /* close_notify instead of the indication */
    run_refused(
        &(struct srv_opts){.version = TLS1_3_VERSION, .no_indication = true, .close_notify = true},
        NULL, true, -EPROTO, "without the protected success indication");
    /* other application data */
    run_refused(&(struct srv_opts){.version = TLS1_3_VERSION, .post = "\0\0", .post_len = 2}, NULL,
                true, -EPROTO, "application data (2 octets)");
    run_refused(&(struct srv_opts){.version = TLS1_3_VERSION, .post = "\1", .post_len = 1}, NULL,
                true, -EPROTO, "application data (1 octets)");
    run_refused(&(struct srv_opts){.version = TLS1_2_VERSION, .post = "", .post_len = 1}, NULL,
                true, -EPROTO, "application data");
}

/* A TLS peer naks MSCHAPv2 (and expanded types) proposing EAP-TLS, and vice versa. */
static void test_nak(void)
{
    struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
    struct srv *s;
    GByteArray *resp;
    static const uint8_t ms_challenge[] = {1, 1, 0, 21, 16, 0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0,  0,  0, 0, 0, 0, 0, 'x'};
    static const uint8_t expanded[] = {0, 0, 0x9, 0, 0, 0, 1};

    g_assert_cmpint(
        feed(peer,
             eap_msg(EAP_CODE_REQUEST, 3, EAP_TYPE_MSCHAPV2, ms_challenge, sizeof(ms_challenge)),
             &resp),
        ==, 0);
    {
        const uint8_t want[] = {EAP_CODE_RESPONSE, 3, 0, 6, EAP_TYPE_NAK, EAP_TYPE_TLS};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);
    g_assert_cmpint(
        feed(peer, eap_msg(EAP_CODE_REQUEST, 4, 254, expanded, sizeof(expanded)), &resp), ==, 0);
    {
        const uint8_t want[] = {
            EAP_CODE_RESPONSE, 4, 0, 20, 254, 0, 0, 0, 0, 0, 0, 3, 254, 0, 0, 0, 0, 0, 0,
            EAP_TYPE_TLS};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);
    /* an unknown method: Nak too; the Identity round is still allowed */
    g_assert_cmpint(feed(peer, eap_msg(EAP_CODE_REQUEST, 5, 4 /* MD5 */, "x", 1), &resp), ==, 0);
    g_assert_cmpuint(resp->data[4], ==, EAP_TYPE_NAK);
    g_assert_cmpuint(resp->data[5], ==, EAP_TYPE_TLS);
    g_byte_array_unref(resp);

    /* and the run still works */
    s = srv_new(&(struct srv_opts){.version = TLS1_2_VERSION});
    set_gw_id(peer, NULL);
    g_assert_cmpint(run(peer, s), ==, EAP_DONE_SUCCESS);
    check_done(peer, s);
    srv_free(s);
    eap_peer_free(peer);

    /* once EAP-TLS started, a method change is a protocol error; so is Identity */
    for (unsigned what = 0; what < 2; what++) {
        GByteArray *req;

        peer = peer_new(&pki.cli, CLIENT_NAME);
        s = srv_new(&(struct srv_opts){.version = TLS1_2_VERSION});
        set_gw_id(peer, NULL);
        g_assert_cmpint(feed(peer, srv_start(s), &resp), ==, 0);
        g_byte_array_unref(resp);
        req = what == 0 ? eap_msg(EAP_CODE_REQUEST, 9, EAP_TYPE_MSCHAPV2, ms_challenge,
                                  sizeof(ms_challenge))
                        : eap_msg(EAP_CODE_REQUEST, 9, EAP_TYPE_IDENTITY, NULL, 0);
        g_assert_cmpint(feed(peer, req, &resp), ==, -EPROTO);
        eap_peer_free(peer);
        srv_free(s);
    }

    /* an MSCHAPv2 peer naks EAP-TLS proposing MSCHAPv2 */
    g_assert_cmpint(eap_peer_new("alice", NULL, "pw", &peer), ==, 0);
    g_assert_cmpint(feed(peer, tls_req(7, EAP_TLS_FLAG_START, 0, NULL, 0), &resp), ==, 0);
    {
        const uint8_t want[] = {EAP_CODE_RESPONSE, 7, 0, 6, EAP_TYPE_NAK, EAP_TYPE_MSCHAPV2};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);
    /* and the server id is a no-op for it */
    g_assert_cmpint(eap_peer_set_server_id(peer, IKE_ID_FQDN, (const uint8_t *)"x", 1, NULL), ==,
                    0);
    eap_peer_free(peer);
}

/* ---- malformed input ------------------------------------------------------------------------- */

struct bad_case {
    const char *what;
    bool started; /* after Start (our ClientHello sent) */
    GByteArray *(*make)(uint8_t id);
    GByteArray *(*second)(uint8_t id); /* a following message, when the first is a fragment */
    int want;
};

static const uint8_t junk[64] = {0x16, 0x03, 0x03, 0x00, 0x3b, 0x02, 0x00, 0x00, 0x37, 0x03};

static GByteArray *b_no_flags(uint8_t id)
{
    return eap_msg(EAP_CODE_REQUEST, id, EAP_TYPE_TLS, NULL, 0);
}
static GByteArray *b_start_l(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_START | EAP_TLS_FLAG_LENGTH, 0, NULL, 0);
}
static GByteArray *b_start_data(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_START, 0, junk, 4);
}
static GByteArray *b_data_first(uint8_t id)
{
    return tls_req(id, 0, 0, junk, sizeof(junk));
}
static GByteArray *b_l_truncated(uint8_t id)
{
    static const uint8_t d[] = {EAP_TLS_FLAG_LENGTH, 0, 0, 1};
    return eap_msg(EAP_CODE_REQUEST, id, EAP_TYPE_TLS, d, sizeof(d));
}
static GByteArray *b_l_short(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH, 10, junk, sizeof(junk));
}
static GByteArray *b_l_long_unfragmented(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH, sizeof(junk) + 1, junk, sizeof(junk));
}
static GByteArray *b_l_huge(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE, EAP_TLS_MAX_MESSAGE_LEN + 1, junk,
                   sizeof(junk));
}
static GByteArray *b_l_4g(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE, 0xffffffffu, junk, sizeof(junk));
}
static GByteArray *b_m_without_l(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_MORE, 0, junk, sizeof(junk));
}
static GByteArray *b_m_complete(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE, sizeof(junk), junk, sizeof(junk));
}
static GByteArray *b_l_zero(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH, 0, NULL, 0);
}
static GByteArray *b_first_of_100(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE, 100, junk, 40);
}
static GByteArray *b_too_much(uint8_t id)
{
    return tls_req(id, 0, 0, junk, 61); /* 40 + 61 > 100 */
}
static GByteArray *b_too_much_more(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_MORE, 0, junk, 61); /* 40 + 61 > 100, more announced */
}
static GByteArray *b_too_little(uint8_t id)
{
    return tls_req(id, 0, 0, junk, 59); /* 40 + 59 < 100, and no M */
}
static GByteArray *b_other_total(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE, 200, junk, 10);
}
static GByteArray *b_empty_more(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_MORE, 0, NULL, 0);
}
static GByteArray *b_eap_len_over(uint8_t id)
{
    GByteArray *b = tls_req(id, 0, 0, junk, 8);
    test_put_be16(b->data + 2, (uint16_t)(b->len + 1));
    return b;
}
static GByteArray *b_eap_len_under(uint8_t id)
{
    GByteArray *b = tls_req(id, 0, 0, junk, 8);
    test_put_be16(b->data + 2, 3);
    return b;
}
static GByteArray *b_garbage_tls(uint8_t id)
{
    uint8_t g[300];
    for (size_t i = 0; i < sizeof(g); i++)
        g[i] = (uint8_t)(i * 7 + 3);
    return tls_req(id, 0, 0, g, sizeof(g));
}
static GByteArray *b_second_start(uint8_t id)
{
    return tls_req(id, EAP_TLS_FLAG_START, 0, NULL, 0);
}
static GByteArray *b_ack_nothing(uint8_t id)
{
    return tls_req(id, 0, 0, NULL, 0);
}

static const struct bad_case bad_cases[] = {
    {"no Flags octet", false, b_no_flags, NULL, -EBADMSG},
    {"Start with L", false, b_start_l, NULL, -EBADMSG},
    {"Start with data", false, b_start_data, NULL, -EBADMSG},
    {"data before Start", false, b_data_first, NULL, -EPROTO},
    {"EAP Length beyond the buffer", false, b_eap_len_over, NULL, -EBADMSG},
    {"EAP Length below the header", false, b_eap_len_under, NULL, -EBADMSG},
    {"no Flags octet (started)", true, b_no_flags, NULL, -EBADMSG},
    {"L with 3 length octets", true, b_l_truncated, NULL, -EBADMSG},
    {"TLS Message Length below the fragment", true, b_l_short, NULL, -EBADMSG},
    {"TLS Message Length above an unfragmented message", true, b_l_long_unfragmented, NULL,
     -EBADMSG},
    {"TLS Message Length above 64 KiB", true, b_l_huge, NULL, -EMSGSIZE},
    {"TLS Message Length 4 GiB", true, b_l_4g, NULL, -EMSGSIZE},
    {"M without L on the first fragment", true, b_m_without_l, NULL, -EBADMSG},
    {"M set on a complete message", true, b_m_complete, NULL, -EBADMSG},
    {"L with length 0 and no data", true, b_l_zero, NULL, -EBADMSG},
    {"fragments beyond the TLS Message Length", true, b_first_of_100, b_too_much, -EBADMSG},
    {"fragments beyond the TLS Message Length, M set", true, b_first_of_100, b_too_much_more,
     -EBADMSG},
    {"last fragment short of the TLS Message Length", true, b_first_of_100, b_too_little, -EBADMSG},
    {"second fragment announcing another length", true, b_first_of_100, b_other_total, -EBADMSG},
    {"empty fragment in a reassembly", true, b_first_of_100, b_empty_more, -EBADMSG},
    {"second Start in a reassembly", true, b_first_of_100, b_second_start, -EPROTO},
    {"garbage TLS records", true, b_garbage_tls, NULL, -EPROTO},
    {"second Start", true, b_second_start, NULL, -EPROTO},
    {"acknowledgement with nothing to acknowledge", true, b_ack_nothing, NULL, -EPROTO},
    {"EAP Length beyond the buffer (started)", true, b_eap_len_over, NULL, -EBADMSG},
};

static void test_malformed(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
        GByteArray *resp = NULL;
        uint8_t id = 40;
        int r;

        if (g_test_verbose())
            g_printerr("malformed: %s\n", c->what);
        set_gw_id(peer, NULL);
        if (c->started) {
            g_assert_cmpint(feed(peer, tls_req(++id, EAP_TLS_FLAG_START, 0, NULL, 0), &resp), ==,
                            0);
            g_byte_array_unref(resp);
        }
        r = feed(peer, c->make(++id), &resp);
        if (c->second) {
            /* the first fragment is fine: acknowledged with an empty response */
            g_assert_cmpint(r, ==, 0);
            g_assert_cmpuint(resp->len, ==, 6);
            g_assert_cmpuint(resp->data[5], ==, 0);
            g_byte_array_unref(resp);
            r = feed(peer, c->second(++id), &resp);
        }
        if (r != c->want)
            g_error("%s: got %d, want %d", c->what, r, c->want);
        /* the run is over (a bad EAP header is refused before the method sees it) */
        g_assert_cmpint(feed(peer, tls_req(++id, 0, 0, junk, 8), &resp), ==, -EPROTO);
        eap_peer_free(peer);
    }
}

/* Data from the gateway while our fragmented flight is still going out. */
static void test_data_during_fragmentation(void)
{
    struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
    struct srv *s = srv_new(&(struct srv_opts){.version = TLS1_2_VERSION});
    GByteArray *req, *resp;
    int r;

    set_gw_id(peer, NULL);
    req = srv_start(s);
    for (;;) {
        r = feed(peer, req, &resp);
        g_assert_cmpint(r, ==, 0);
        if (resp->data[5] & EAP_TLS_FLAG_MORE) /* our first fragment */
            break;
        req = srv_next(s, resp);
        g_byte_array_unref(resp);
    }
    g_byte_array_unref(resp);
    g_assert_cmpint(feed(peer, tls_req(s->id, 0, 0, junk, 10), &resp), ==, -EPROTO);
    eap_peer_free(peer);
    srv_free(s);
}

/* Random corruption of the server's first flight: no crash, only documented results. */
static void test_mutations(void)
{
    GRand *rand = g_rand_new_with_seed(0x7157);

    for (unsigned iter = 0; iter < 200; iter++) {
        struct eap_peer *peer = peer_new(&pki.cli, CLIENT_NAME);
        struct srv *s = srv_new(
            &(struct srv_opts){.version = iter % 2 ? TLS1_3_VERSION : TLS1_2_VERSION, .frag = 300});
        GByteArray *req, *resp;
        unsigned steps = 1 + (unsigned)g_rand_int_range(rand, 0, 4), flips;
        int r = 0;

        set_gw_id(peer, NULL);
        req = srv_start(s);
        for (unsigned i = 0; i < steps && r == 0; i++) {
            g_assert_cmpint(feed(peer, req, &resp), ==, 0);
            req = srv_next(s, resp);
            g_byte_array_unref(resp);
        }
        flips = 1 + (unsigned)g_rand_int_range(rand, 0, 4);
        for (unsigned f = 0; f < flips; f++) {
            guint pos = (guint)g_rand_int_range(rand, 0, (gint32)req->len);
            req->data[pos] = (uint8_t)g_rand_int_range(rand, 0, 256);
        }
        if (g_rand_int_range(rand, 0, 4) == 0)
            g_byte_array_set_size(req, (guint)g_rand_int_range(rand, 0, (gint32)req->len + 1));
        r = feed(peer, req, &resp);
        g_assert_true(r == 0 || r == EAP_DONE_SUCCESS || r == -EBADMSG || r == -EMSGSIZE ||
                      r == -EACCES || r == -EKEYREJECTED || r == -EPROTO);
        if (resp)
            g_byte_array_unref(resp);
        eap_peer_free(peer);
        srv_free(s);
    }
    g_rand_free(rand);
}

/* ---- arguments and helpers ------------------------------------------------------------------- */

static void test_new_args(void)
{
    char err[256];
    struct ike_cred *cred = NULL;
    struct ike_trust *trust = NULL;
    struct eap_peer *peer = NULL;
    g_autofree char *long_id = g_strnfill(EAP_PEER_MAX_IDENTITY_LEN + 1, 'a');

    g_assert_cmpint(
        ike_cred_load(pki.cli.cert_file, pki.cli.key_file, NULL, &cred, err, sizeof(err)), ==, 0);
    g_assert_cmpint(ike_trust_new(pki.ca.cert_file, &trust, err, sizeof(err)), ==, 0);
    g_assert_cmpint(eap_peer_new_tls(NULL, cred, trust, &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new_tls("", cred, trust, &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new_tls(long_id, cred, trust, &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new_tls("x", NULL, trust, &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new_tls("x", cred, NULL, &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new_tls("x", cred, trust, NULL), ==, -EINVAL);
    g_assert_null(peer);
    g_assert_cmpint(eap_peer_new_tls("x", cred, trust, &peer), ==, 0);
    g_assert_cmpint(eap_peer_set_server_id(peer, IKE_ID_FQDN, NULL, 0, NULL), ==, -EINVAL);
    g_assert_cmpint(eap_peer_set_server_id(NULL, IKE_ID_FQDN, (const uint8_t *)"a", 1, NULL), ==,
                    -EINVAL);
    eap_peer_free(peer);
    eap_peer_free(NULL);
    eap_tls_free(NULL);
    g_assert_cmpint(eap_tls_process(NULL, 1, NULL, 0, NULL, NULL), ==, -EINVAL);
    g_assert_false(eap_tls_finished(NULL));
    g_assert_null(eap_tls_failure_reason(NULL));
    ike_cred_free(cred);
    ike_trust_free(trust);
}

/* The default EAP identity: the certificate's dNSName, else its subject DN as text. */
static void test_cred_id_string(void)
{
    char err[256];
    struct ike_cred *cred = NULL;
    g_autofree char *a = NULL, *b = NULL;

    g_assert_cmpint(
        ike_cred_load(pki.cli.cert_file, pki.cli.key_file, NULL, &cred, err, sizeof(err)), ==, 0);
    a = ike_cred_id_string(cred);
    g_assert_cmpstr(a, ==, CLIENT_NAME);
    ike_cred_free(cred);
    g_assert_cmpint(
        ike_cred_load(pki.cli_dn.cert_file, pki.cli_dn.key_file, NULL, &cred, err, sizeof(err)), ==,
        0);
    b = ike_cred_id_string(cred);
    g_assert_cmpstr(b, ==, "O=Example, CN=dn client");
    ike_cred_free(cred);
    g_assert_null(ike_cred_id_string(NULL));
}

/* The binding check on its own (shared with the IKE certificate check). */
static void test_check_identity(void)
{
    char err[128] = "";
    static const uint8_t addr[4] = {192, 0, 2, 2};
    unsigned char *der = NULL;
    int der_len;

    g_assert_cmpint(ike_cert_check_identity(pki.srv.cert, IKE_ID_FQDN,
                                            (const uint8_t *)"GW.Example.TEST", 15, NULL, err,
                                            sizeof(err)),
                    ==, 0);
    g_assert_cmpint(
        ike_cert_check_identity(pki.srv.cert, IKE_ID_IPV4_ADDR, addr, 4, GW_NAME, err, sizeof(err)),
        ==, 0);
    g_assert_cmpint(ike_cert_check_identity(pki.srv.cert, IKE_ID_FQDN,
                                            (const uint8_t *)"gw.example", 10, NULL, err,
                                            sizeof(err)),
                    ==, -EACCES);
    g_assert_cmpint(ike_cert_check_identity(pki.srv.cert, IKE_ID_FQDN, (const uint8_t *)GW_NAME,
                                            strlen(GW_NAME), "198.51.100.1", err, sizeof(err)),
                    ==, -EACCES);
    g_assert_nonnull(strstr(err, "198.51.100.1"));
    der_len = i2d_X509_NAME(X509_get_subject_name(pki.srv.cert), &der);
    g_assert_cmpint(der_len, >, 0);
    g_assert_cmpint(ike_cert_check_identity(pki.srv.cert, IKE_ID_DER_ASN1_DN, der, (size_t)der_len,
                                            NULL, err, sizeof(err)),
                    ==, 0);
    g_assert_cmpint(ike_cert_check_identity(pki.srv_wrong.cert, IKE_ID_DER_ASN1_DN, der,
                                            (size_t)der_len, NULL, err, sizeof(err)),
                    ==, -EACCES);
    OPENSSL_free(der);
    g_assert_cmpint(
        ike_cert_check_identity(NULL, IKE_ID_FQDN, (const uint8_t *)"a", 1, NULL, err, sizeof(err)),
        ==, -EINVAL);
}

int main(int argc, char **argv)
{
    int r;

    g_test_init(&argc, &argv, NULL);
    /* the refusal tests log a warning per run */
    uip_log_setup(g_test_verbose() ? LOG_DEBUG : LOG_CRIT, false, NULL);
    pki_setup();
    g_test_add_func("/eap-tls/tls12", test_tls12);
    g_test_add_func("/eap-tls/tls13", test_tls13);
    g_test_add_func("/eap-tls/msk-derivation", test_msk_derivation);
    g_test_add_func("/eap-tls/server-fragments", test_server_fragments);
    g_test_add_func("/eap-tls/client-fragments", test_client_fragments);
    g_test_add_func("/eap-tls/untrusted-server", test_untrusted_server);
    g_test_add_func("/eap-tls/server-policy", test_server_policy);
    g_test_add_func("/eap-tls/server-identity", test_server_identity);
    g_test_add_func("/eap-tls/client-refused", test_client_refused);
    g_test_add_func("/eap-tls/early-success", test_early_success);
    g_test_add_func("/eap-tls/after-handshake", test_after_handshake);
    g_test_add_func("/eap-tls/nak", test_nak);
    g_test_add_func("/eap-tls/malformed", test_malformed);
    g_test_add_func("/eap-tls/data-during-fragmentation", test_data_during_fragmentation);
    g_test_add_func("/eap-tls/mutations", test_mutations);
    g_test_add_func("/eap-tls/new-args", test_new_args);
    g_test_add_func("/eap-tls/cred-id-string", test_cred_id_string);
    g_test_add_func("/eap-tls/check-identity", test_check_identity);
    r = g_test_run();
    pki_teardown();
    return r;
}
