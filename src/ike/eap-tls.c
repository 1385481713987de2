/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAP-TLS peer method (RFC 5216, RFC 9190) on OpenSSL 3 with memory BIOs.
 *
 * Where a message comes from: the Type-Data of an EAP-Request/EAP-TLS from
 * the EAP peer (eap.c), itself from an IKE_AUTH response the IKE layer
 * decrypted and authenticated.  What happens to it: the Flags octet and the
 * optional TLS Message Length are validated, the fragment is appended to the
 * reassembly buffer (bounded by the announced length and by
 * EAP_TLS_MAX_MESSAGE_LEN); an incomplete message is acknowledged with an
 * empty response; a complete one is written into the read BIO, then the TLS
 * handshake is driven (SSL_do_handshake) or, once it finished, records are
 * read (SSL_read: TLS 1.3 NewSessionTicket and the 0x00 success indication).
 * The gateway's certificate is checked in the verify callback: chain against
 * the ike_trust store, identity with ike_cert_check_identity().  Where the
 * answer goes: whatever OpenSSL wrote into the write BIO is queued and sent
 * in EAP-Responses of at most the fragment size, one per request (the
 * gateway acknowledges each fragment with an empty request); with nothing to
 * send, an empty response.
 *
 * State: WAIT_START -(Start)-> HANDSHAKE -(TLS 1.2: handshake done)->
 * FINISHED; HANDSHAKE -(TLS 1.3: our Finished written)-> WAIT_RESULT
 * -(0x00 application data)-> FINISHED; any error -> FAILED.
 */
#include "ike/eap-tls.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "common/uip-be.h"
#include "common/uip-log.h"
#include "common/uip-secret.h"
#include "ike/cert-auth.h"
#include "ike/eap.h"
#include "ike/ike-types.h"

#define EAP_HDR_LEN     4                 /* Code, Identifier, Length */
#define TLS_HDR_LEN     (EAP_HDR_LEN + 2) /* + Type, Flags */
#define TLS_LENGTH_LEN  4                 /* TLS Message Length */
#define MAX_SERVER_ID   1024
#define MAX_CHAIN_DEPTH 16 /* as IKE_CERT_MAX_CHAIN */

/* RFC 5216 2.3 and RFC 9190 2.3: 128 octets of key material, MSK = the first 64 */
#define KEY_MATERIAL_LEN 128
static const char label_tls12[] = "client EAP encryption";
static const char label_tls13[] = "EXPORTER_EAP_TLS_Key_Material";

#define TLS_LOG(level, t, fmt, ...) _LOG(level, "SPI %016" PRIx64 ": " fmt, (t)->spi, ##__VA_ARGS__)
#define TLS_LOGD(t, ...)            TLS_LOG(LOG_DEBUG, t, __VA_ARGS__)
#define TLS_LOGI(t, ...)            TLS_LOG(LOG_INFO, t, __VA_ARGS__)
#define TLS_LOGW(t, ...)            TLS_LOG(LOG_WARNING, t, __VA_ARGS__)

enum eap_tls_state {
    TLS_ST_WAIT_START,  /* before the gateway's EAP-TLS Start */
    TLS_ST_HANDSHAKE,   /* TLS handshake running */
    TLS_ST_WAIT_RESULT, /* TLS 1.3: our Finished sent, waiting for the success indication */
    TLS_ST_FINISHED,    /* gateway authenticated, handshake over: MSK available */
    TLS_ST_FAILED,
    TLS_ST_COUNT,
};

static const char *const state_names[TLS_ST_COUNT] = {
    [TLS_ST_WAIT_START] = "WAIT_START",   [TLS_ST_HANDSHAKE] = "HANDSHAKE",
    [TLS_ST_WAIT_RESULT] = "WAIT_RESULT", [TLS_ST_FINISHED] = "FINISHED",
    [TLS_ST_FAILED] = "FAILED",
};

struct eap_tls {
    enum eap_tls_state state;
    uint64_t spi;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio; /* gateway -> OpenSSL; owned by ssl */
    BIO *wbio; /* OpenSSL -> gateway; owned by ssl */
    size_t frag_size;

    /* reassembly of the gateway's message */
    GByteArray *in;
    size_t in_total;
    bool in_progress;

    /* our queued message and how much of it went out */
    GByteArray *out;
    size_t out_off;

    /* the identity the gateway's certificate must carry */
    bool have_server_id;
    uint8_t server_id_type;
    uint8_t *server_id;
    size_t server_id_len;
    char *expected_host;
    bool server_checked; /* the verify callback bound the end-entity certificate */

    int verify_rc;      /* -EKEYREJECTED / -EACCES from the verify callback, else 0 */
    int alert_received; /* last TLS alert description from the gateway, -1 = none */
    int version;        /* TLS1_2_VERSION / TLS1_3_VERSION once the handshake finished */
    char reason[256];
    bool have_msk;
    uint8_t msk[EAP_TLS_MSK_LEN];
};

/* ---- state ----------------------------------------------------------------------------------- */

static void set_state(struct eap_tls *t, enum eap_tls_state next)
{
    static const unsigned allowed[TLS_ST_COUNT] = {
        [TLS_ST_WAIT_START] = 1u << TLS_ST_HANDSHAKE | 1u << TLS_ST_FAILED,
        [TLS_ST_HANDSHAKE] = 1u << TLS_ST_WAIT_RESULT | 1u << TLS_ST_FINISHED | 1u << TLS_ST_FAILED,
        [TLS_ST_WAIT_RESULT] = 1u << TLS_ST_FINISHED | 1u << TLS_ST_FAILED,
        [TLS_ST_FINISHED] = 1u << TLS_ST_FAILED,
        [TLS_ST_FAILED] = 0,
    };

    if (!(allowed[t->state] & (1u << next))) {
        TLS_LOGW(t, "EAP-TLS: illegal state change %s -> %s refused", state_names[t->state],
                 state_names[next]);
        return;
    }
    TLS_LOGD(t, "EAP-TLS: %s -> %s", state_names[t->state], state_names[next]);
    t->state = next;
}

G_GNUC_PRINTF(2, 3)
static void set_reason(struct eap_tls *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
    va_end(ap);
}

/* ---- set-up ---------------------------------------------------------------------------------- */

/* The gateway's certificate: chain (OpenSSL's verdict in @ok), then policy and identity at
 * depth 0. */
static int verify_cb(int ok, X509_STORE_CTX *sctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct eap_tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
    char err[200] = "";
    int depth = X509_STORE_CTX_get_error_depth(sctx);

    if (!t)
        return 0;
    if (!ok) {
        if (!t->verify_rc) {
            int e = X509_STORE_CTX_get_error(sctx);
            set_reason(t, "the gateway's TLS certificate is not trusted: %s (depth %d)",
                       X509_verify_cert_error_string(e), depth);
            t->verify_rc = -EKEYREJECTED;
        }
        return 0;
    }
    if (depth != 0)
        return 1;
    if (!t->have_server_id) {
        set_reason(t, "no gateway identity to check its TLS certificate against");
        t->verify_rc = -EACCES;
    } else if (ike_cert_check_policy(sctx, err, sizeof(err)) < 0) {
        set_reason(t, "TLS certificate: %s", err);
        t->verify_rc = -EKEYREJECTED;
    } else if (ike_cert_check_identity(X509_STORE_CTX_get_current_cert(sctx), t->server_id_type,
                                       t->server_id, t->server_id_len, t->expected_host, err,
                                       sizeof(err)) < 0) {
        set_reason(t, "TLS certificate: %s", err);
        t->verify_rc = -EACCES;
    } else {
        t->server_checked = true;
        return 1;
    }
    X509_STORE_CTX_set_error(sctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

/* Remember the gateway's alerts: they say why it refused us. */
static void info_cb(const SSL *ssl, int where, int ret)
{
    struct eap_tls *t = SSL_get_app_data(ssl);

    if (t && (where & SSL_CB_ALERT) && (where & SSL_CB_READ))
        t->alert_received = ret & 0xff;
}

int eap_tls_new(const struct ike_cred *cred, const struct ike_trust *trust, struct eap_tls **out)
{
    X509_STORE *store = ike_trust_store(trust);
    X509 *cert = ike_cred_x509(cred);
    EVP_PKEY *key = ike_cred_pkey(cred);
    struct eap_tls *t;
    int r = -EIO;

    if (!out || !store || !cert || !key)
        return -EINVAL;
    t = g_new0(struct eap_tls, 1);
    t->state = TLS_ST_WAIT_START;
    t->frag_size = EAP_TLS_FRAGMENT_SIZE;
    t->alert_received = -1;
    t->in = g_byte_array_new();
    t->out = g_byte_array_new();

    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx)
        goto fail;
    if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(t->ctx, TLS1_3_VERSION) != 1)
        goto fail;
    /* no resumption, renegotiation or compression; no dummy ChangeCipherSpec in TLS 1.3
     * (there is no middlebox inside EAP, and every octet is an IKE message) */
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    /* strongSwan's libtls (5.9) sends no renegotiation_info (RFC 5746), which OpenSSL 3
     * refuses by default.  Harmless here: we never renegotiate, and the TLS session runs
     * inside an IKE SA whose gateway signature we verified, so nobody can splice a
     * handshake of their own in front of ours. */
    SSL_CTX_set_options(t->ctx, SSL_OP_LEGACY_SERVER_CONNECT);
    SSL_CTX_clear_options(t->ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_use_certificate(t->ctx, cert) != 1 || SSL_CTX_use_PrivateKey(t->ctx, key) != 1 ||
        SSL_CTX_check_private_key(t->ctx) != 1)
        goto fail;
    /* the gateway's chain: the IKE trust store, any purpose, security level 2 at least and
     * ike_cert_check_policy() in verify_cb(), as for its IKE certificate */
    SSL_CTX_set1_cert_store(t->ctx, store);
    if (SSL_CTX_set_purpose(t->ctx, X509_PURPOSE_ANY) != 1)
        goto fail;
    if (SSL_CTX_get_security_level(t->ctx) < 2)
        SSL_CTX_set_security_level(t->ctx, 2);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, verify_cb);
    SSL_CTX_set_verify_depth(t->ctx, MAX_CHAIN_DEPTH);
    SSL_CTX_set_max_cert_list(t->ctx, EAP_TLS_MAX_MESSAGE_LEN);

    t->ssl = SSL_new(t->ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        t->rbio = t->wbio = NULL;
        r = -ENOMEM;
        goto fail;
    }
    BIO_set_mem_eof_return(t->rbio, -1); /* empty = "retry", not EOF */
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_app_data(t->ssl, t);
    SSL_set_info_callback(t->ssl, info_cb);
    SSL_set_connect_state(t->ssl);
    ERR_clear_error();
    *out = t;
    return 0;

fail:
    ERR_clear_error();
    eap_tls_free(t);
    return r;
}

void eap_tls_free(struct eap_tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl); /* frees both BIOs */
    SSL_CTX_free(t->ctx);
    if (t->in)
        uip_wipe(t->in->data, t->in->len);
    g_byte_array_unref(t->in);
    if (t->out)
        uip_wipe(t->out->data, t->out->len);
    g_byte_array_unref(t->out);
    g_free(t->server_id);
    g_free(t->expected_host);
    uip_free_secret(t, sizeof(*t)); /* MSK */
}

void eap_tls_set_spi(struct eap_tls *t, uint64_t spi)
{
    if (t)
        t->spi = spi;
}

int eap_tls_set_fragment_size(struct eap_tls *t, size_t size)
{
    if (!t || size < EAP_TLS_MIN_FRAGMENT || size > EAP_TLS_FRAGMENT_SIZE)
        return -EINVAL;
    t->frag_size = size;
    return 0;
}

int eap_tls_set_server_id(struct eap_tls *t, uint8_t id_type, const uint8_t *id, size_t id_len,
                          const char *expected_host)
{
    if (!t || !id || id_len == 0 || id_len > MAX_SERVER_ID)
        return -EINVAL;
    g_free(t->server_id);
    g_free(t->expected_host);
    t->server_id_type = id_type;
    t->server_id = g_memdup2(id, id_len);
    t->server_id_len = id_len;
    t->expected_host = g_strdup(expected_host);
    t->have_server_id = true;
    return 0;
}

bool eap_tls_finished(const struct eap_tls *t)
{
    return t && t->state == TLS_ST_FINISHED && t->have_msk && t->server_checked &&
           t->out_off == t->out->len;
}

int eap_tls_get_msk(const struct eap_tls *t, const uint8_t **msk, size_t *msk_len)
{
    if (!t || !msk || !msk_len)
        return -EINVAL;
    if (!eap_tls_finished(t))
        return -ENODATA;
    *msk = t->msk;
    *msk_len = sizeof(t->msk);
    return 0;
}

const char *eap_tls_failure_reason(const struct eap_tls *t)
{
    return t && t->reason[0] ? t->reason : NULL;
}

const char *eap_tls_version_name(const struct eap_tls *t)
{
    switch (t ? t->version : 0) {
    case TLS1_2_VERSION:
        return "TLSv1.2";
    case TLS1_3_VERSION:
        return "TLSv1.3";
    default:
        return NULL;
    }
}

/* ---- TLS ------------------------------------------------------------------------------------- */

/* Why OpenSSL stopped: our verdict on the gateway's certificate, its alert, or its bytes. */
static int ssl_failure(struct eap_tls *t, const char *what)
{
    unsigned long e = ERR_peek_error();
    int r;

    if (t->verify_rc) {
        r = t->verify_rc; /* reason set by verify_cb */
    } else if (t->alert_received > 0) {
        set_reason(t, "the gateway sent TLS alert '%s'",
                   SSL_alert_desc_string_long(t->alert_received));
        r = -EACCES;
    } else if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE) {
        set_reason(t, "%s: out of memory", what);
        r = -ENOMEM;
    } else {
        const char *why = e ? ERR_reason_error_string(e) : NULL;
        set_reason(t, "%s failed: %s", what, why ? why : "unexpected TLS data");
        r = -EPROTO;
    }
    ERR_clear_error();
    return r;
}

static int derive_msk(struct eap_tls *t)
{
    static const uint8_t type_tls = EAP_TYPE_TLS;
    uint8_t km[KEY_MATERIAL_LEN];
    int ok;

    if (t->version == TLS1_3_VERSION)
        ok = SSL_export_keying_material(t->ssl, km, sizeof(km), label_tls13,
                                        sizeof(label_tls13) - 1, &type_tls, 1, 1);
    else
        ok = SSL_export_keying_material(t->ssl, km, sizeof(km), label_tls12,
                                        sizeof(label_tls12) - 1, NULL, 0, 0);
    if (ok != 1) {
        uip_wipe(km, sizeof(km));
        ERR_clear_error();
        set_reason(t, "cannot export the EAP-TLS key material");
        return -EIO;
    }
    memcpy(t->msk, km, sizeof(t->msk));
    uip_wipe(km, sizeof(km));
    t->have_msk = true;
    return 0;
}

/* The handshake just finished on our side: the gateway must be verified by now. */
static int handshake_done(struct eap_tls *t)
{
    const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);

    if (!t->server_checked || !SSL_get0_peer_certificate(t->ssl) ||
        SSL_get_verify_result(t->ssl) != X509_V_OK) {
        set_reason(t, "TLS handshake finished without a verified gateway certificate");
        return -EACCES;
    }
    t->version = SSL_version(t->ssl);
    TLS_LOGI(t, "EAP-TLS: %s handshake done (%s), gateway certificate verified",
             eap_tls_version_name(t) ? eap_tls_version_name(t) : "unknown",
             c ? SSL_CIPHER_get_name(c) : "?");
    if (t->version == TLS1_3_VERSION) {
        set_state(t, TLS_ST_WAIT_RESULT);
        return 0;
    }
    if (t->version != TLS1_2_VERSION) {
        set_reason(t, "unexpected TLS version 0x%04x", (unsigned)t->version);
        return -EPROTO;
    }
    int r = derive_msk(t);
    if (r == 0)
        set_state(t, TLS_ST_FINISHED);
    return r;
}

/* Records after the handshake: TLS 1.3 tickets (ignored), the 0x00 indication, alerts. */
static int read_records(struct eap_tls *t)
{
    for (;;) {
        uint8_t buf[16];
        int n, e, r;

        ERR_clear_error();
        n = SSL_read(t->ssl, buf, sizeof(buf));
        if (n > 0) {
            bool indication = n == 1 && buf[0] == 0x00;

            uip_wipe(buf, sizeof(buf));
            if (t->state != TLS_ST_WAIT_RESULT || !indication) {
                set_reason(t, "unexpected TLS application data (%d octets)", n);
                return -EPROTO;
            }
            r = derive_msk(t);
            if (r < 0)
                return r;
            set_state(t, TLS_ST_FINISHED);
            TLS_LOGI(t, "EAP-TLS: protected success indication received");
            continue;
        }
        e = SSL_get_error(t->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            return 0;
        if (e == SSL_ERROR_ZERO_RETURN) {
            /* close_notify: fine after the indication (nothing follows), not before */
            ERR_clear_error();
            if (t->state == TLS_ST_WAIT_RESULT) {
                set_reason(t, "the gateway closed TLS without the protected success indication");
                return -EPROTO;
            }
            return 0;
        }
        return ssl_failure(t, "TLS");
    }
}

/* Feed the reassembled message to OpenSSL and let it work. */
static int tls_input(struct eap_tls *t)
{
    int r;

    if (t->in->len > INT_MAX ||
        BIO_write(t->rbio, t->in->data, (int)t->in->len) != (int)t->in->len) {
        ERR_clear_error();
        return -ENOMEM;
    }
    g_byte_array_set_size(t->in, 0);

    if (t->state == TLS_ST_HANDSHAKE) {
        ERR_clear_error();
        r = SSL_do_handshake(t->ssl);
        if (r == 1) {
            r = handshake_done(t);
            if (r < 0)
                return r;
        } else if (SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ) {
            return ssl_failure(t, "TLS handshake");
        }
    }
    if (t->state == TLS_ST_WAIT_RESULT || t->state == TLS_ST_FINISHED)
        return read_records(t);
    return 0;
}

/* Move what OpenSSL wrote into our queue. */
static int collect_output(struct eap_tls *t)
{
    size_t pending = BIO_ctrl_pending(t->wbio);
    guint old = t->out->len;

    if (pending == 0)
        return 0;
    if (pending > EAP_TLS_MAX_MESSAGE_LEN - old) {
        set_reason(t, "our TLS message is too large (%zu octets)", pending);
        return -EMSGSIZE;
    }
    g_byte_array_set_size(t->out, old + (guint)pending);
    if (BIO_read(t->wbio, t->out->data + old, (int)pending) != (int)pending) {
        ERR_clear_error();
        return -EIO;
    }
    return 0;
}

/* ---- EAP-TLS framing ------------------------------------------------------------------------- */

/*
 * The next EAP-Response: the next fragment of our queue, or an empty
 * response when the queue is empty (acknowledgement / final response).
 */
static void next_response(struct eap_tls *t, uint8_t identifier, uint8_t **out, size_t *out_len)
{
    size_t rest = t->out->len - t->out_off;
    size_t n = MIN(rest, t->frag_size);
    uint8_t flags = 0;
    size_t hdr = TLS_HDR_LEN, len;
    uint8_t *buf;

    if (t->out_off == 0 && rest > n)
        flags = EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE;
    else if (rest > n)
        flags = EAP_TLS_FLAG_MORE;
    if (flags & EAP_TLS_FLAG_LENGTH)
        hdr += TLS_LENGTH_LEN;
    buf = eap_response_new(identifier, EAP_TYPE_TLS, hdr - EAP_HDR_LEN - 1 + n, &len);
    buf[5] = flags;
    if (flags & EAP_TLS_FLAG_LENGTH)
        uip_put32(buf + TLS_HDR_LEN, rest);
    if (n)
        memcpy(buf + hdr, t->out->data + t->out_off, n);
    t->out_off += n;
    if (t->out_off == t->out->len) {
        g_byte_array_set_size(t->out, 0);
        t->out_off = 0;
    }
    if (n)
        TLS_LOGD(t, "EAP-TLS: sending %zu TLS octets%s%s, %zu left", n,
                 flags & EAP_TLS_FLAG_LENGTH ? " (first fragment)" : "",
                 flags & EAP_TLS_FLAG_MORE ? " (more follow)" : "", t->out->len - t->out_off);
    *out = buf;
    *out_len = len;
}

/*
 * Add one fragment to the reassembly buffer.
 * Returns 1 (message complete), 0 (more fragments to come), or -EBADMSG / -EMSGSIZE.
 */
static int reassemble(struct eap_tls *t, uint8_t flags, bool have_total, size_t total,
                      const uint8_t *frag, size_t frag_len)
{
    if (!t->in_progress) {
        if (have_total) {
            if (total > EAP_TLS_MAX_MESSAGE_LEN) {
                set_reason(t, "TLS Message Length %zu above the %d octets allowed", total,
                           EAP_TLS_MAX_MESSAGE_LEN);
                return -EMSGSIZE;
            }
            if (total < frag_len || (!(flags & EAP_TLS_FLAG_MORE) && total != frag_len)) {
                set_reason(t, "TLS Message Length %zu does not fit the %zu octets received", total,
                           frag_len);
                return -EBADMSG;
            }
        } else if (flags & EAP_TLS_FLAG_MORE) {
            set_reason(t, "first fragment without a TLS Message Length");
            return -EBADMSG;
        } else {
            total = frag_len;
        }
        if (frag_len == 0) {
            set_reason(t, "EAP-TLS request with flags 0x%02x but no TLS data", flags);
            return -EBADMSG;
        }
        g_byte_array_set_size(t->in, 0);
        t->in_total = total;
        t->in_progress = true;
    } else {
        if (have_total && total != t->in_total) {
            set_reason(t, "fragment announces TLS Message Length %zu, the first said %zu", total,
                       t->in_total);
            return -EBADMSG;
        }
        if (frag_len == 0) {
            set_reason(t, "empty fragment");
            return -EBADMSG;
        }
    }
    if (frag_len > t->in_total - t->in->len) {
        set_reason(t, "fragments exceed the TLS Message Length %zu", t->in_total);
        return -EBADMSG;
    }
    g_byte_array_append(t->in, frag, (guint)frag_len);
    if (flags & EAP_TLS_FLAG_MORE) {
        if (t->in->len == t->in_total) {
            set_reason(t, "More Fragments set, but the %zu octets announced are all here",
                       t->in_total);
            return -EBADMSG;
        }
        return 0;
    }
    t->in_progress = false;
    if (t->in->len != t->in_total) {
        set_reason(t, "last fragment leaves the message %zu octets short",
                   t->in_total - t->in->len);
        return -EBADMSG;
    }
    return 1;
}

static int process(struct eap_tls *t, uint8_t identifier, const uint8_t *data, size_t data_len,
                   uint8_t **out, size_t *out_len)
{
    const uint8_t *frag;
    size_t frag_len, total = 0;
    bool have_total;
    uint8_t flags;
    int r;

    /* validate: Flags, TLS Message Length */
    if (data_len < 1) {
        set_reason(t, "EAP-TLS request without Flags");
        return -EBADMSG;
    }
    flags = data[0];
    have_total = flags & EAP_TLS_FLAG_LENGTH;
    if (have_total) {
        if (data_len < 1 + TLS_LENGTH_LEN) {
            set_reason(t, "EAP-TLS request with the L flag but no TLS Message Length");
            return -EBADMSG;
        }
        total = uip_get32(data + 1);
    }
    frag = data + 1 + (have_total ? TLS_LENGTH_LEN : 0);
    frag_len = data_len - 1 - (have_total ? TLS_LENGTH_LEN : 0);

    /* interpret */
    if (t->state == TLS_ST_WAIT_START) {
        if (!(flags & EAP_TLS_FLAG_START)) {
            set_reason(t, "EAP-TLS request before the Start");
            return -EPROTO;
        }
        if ((flags & (EAP_TLS_FLAG_LENGTH | EAP_TLS_FLAG_MORE)) || frag_len) {
            set_reason(t, "EAP-TLS Start with data or the L/M flags");
            return -EBADMSG;
        }
        TLS_LOGD(t, "EAP-TLS: Start from the gateway");
        set_state(t, TLS_ST_HANDSHAKE);
        ERR_clear_error();
        r = SSL_do_handshake(t->ssl);
        if (r != 1 && SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ)
            return ssl_failure(t, "TLS ClientHello");
        r = collect_output(t);
        if (r < 0)
            return r;
        next_response(t, identifier, out, out_len);
        return 0;
    }
    if (flags & EAP_TLS_FLAG_START) {
        set_reason(t, "second EAP-TLS Start");
        return -EPROTO;
    }

    /* the gateway acknowledges a fragment of ours: send the next one */
    if (t->out_off < t->out->len) {
        if (flags != 0 || frag_len != 0) {
            set_reason(t, "EAP-TLS data from the gateway while our message is being fragmented");
            return -EPROTO;
        }
        next_response(t, identifier, out, out_len);
        return 0;
    }
    if (flags == 0 && frag_len == 0 && !t->in_progress) {
        set_reason(t, "EAP-TLS acknowledgement, but nothing to acknowledge");
        return -EPROTO;
    }

    r = reassemble(t, flags, have_total, total, frag, frag_len);
    if (r < 0)
        return r;
    if (r == 0) {
        TLS_LOGD(t, "EAP-TLS: fragment received (%u of %zu octets), acknowledging", t->in->len,
                 t->in_total);
        next_response(t, identifier, out, out_len); /* empty: an acknowledgement */
        return 0;
    }
    r = tls_input(t);
    if (r == 0)
        r = collect_output(t);
    if (r < 0)
        return r;
    next_response(t, identifier, out, out_len);
    return 0;
}

int eap_tls_process(struct eap_tls *t, uint8_t identifier, const uint8_t *data, size_t data_len,
                    uint8_t **out, size_t *out_len)
{
    int r;

    if (!t || (!data && data_len) || !out || !out_len)
        return -EINVAL;
    if (t->state == TLS_ST_FAILED)
        return -EPROTO; /* the run already ended; the first reason stays */

    r = process(t, identifier, data ? data : (const uint8_t *)"", data_len, out, out_len);
    if (r < 0) {
        if (!t->reason[0])
            set_reason(t, "%s", g_strerror(-r));
        TLS_LOGW(t, "EAP-TLS failed: %s", t->reason);
        set_state(t, TLS_ST_FAILED);
        uip_wipe(t->msk, sizeof(t->msk));
        t->have_msk = false;
        ERR_clear_error();
    }
    return r;
}
