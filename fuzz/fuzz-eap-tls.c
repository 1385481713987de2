/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the EAP-TLS peer (src/ike/eap-tls.c through
 * src/ike/eap.c): EAP framing, EAP-TLS Flags / TLS Message Length,
 * fragment reassembly and acknowledgements, and OpenSSL's parsing of
 * whatever TLS records come out of the reassembly.
 *
 * At the first call a throwaway CA and client certificate (EC P-256) are
 * made with OpenSSL and written to a temp folder for ike_cred_load() /
 * ike_trust_new().
 *
 * Input: a sequence of EAP messages, each a 2-byte big-endian length and
 * that many octets (a shorter tail is the last message).  Every input gets
 * a fresh peer whose gateway identity is set.  When byte 0 of the input is
 * odd, a valid EAP-TLS Start goes first, so that the rest reaches the
 * handshake state.  Aborts when a result is not one of those documented
 * for eap_peer_process(), when a response's EAP Length is not its size,
 * when one carries more than EAP_TLS_FRAGMENT_SIZE octets of TLS data, or
 * when an MSK appears without EAP_DONE_SUCCESS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/uip-log.h"
#include "ike/cert-auth.h"
#include "ike/eap-tls.h"
#include "ike/eap.h"
#include "ike/ike-types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_cred *cred;
static struct ike_trust *trust;

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");

    if (!f || (x && PEM_write_X509(f, x) != 1) ||
        (k && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1))
        abort();
    fclose(f);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    X509_NAME *n;

    if (!x)
        abort();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), issuer ? 2 : 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        abort();
    return x;
}

static void setup(void)
{
    char err[256];
    g_autofree char *dir = g_dir_make_tmp("fuzz-eap-tls-XXXXXX", NULL);
    g_autofree char *ca_file = g_build_filename(dir, "ca.pem", NULL);
    g_autofree char *cert_file = g_build_filename(dir, "cli.pem", NULL);
    g_autofree char *key_file = g_build_filename(dir, "cli.key", NULL);
    EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *ca, *cert;

    if (!dir || !ca_key || !key)
        abort();
    ca = make_cert("fuzz CA", ca_key, NULL, NULL);
    cert = make_cert("fuzz client", key, ca, ca_key);
    write_pem(ca_file, ca, NULL);
    write_pem(cert_file, cert, NULL);
    write_pem(key_file, NULL, key);
    if (ike_trust_new(ca_file, &trust, err, sizeof(err)) < 0 ||
        ike_cred_load(cert_file, key_file, NULL, &cred, err, sizeof(err)) < 0)
        abort();
    remove(ca_file);
    remove(cert_file);
    remove(key_file);
    remove(dir);
    X509_free(ca);
    X509_free(cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    uip_log_setup(LOG_CRIT, false, NULL);
}

/* One message; false once the run ended. */
static bool feed(struct eap_peer *peer, const uint8_t *msg, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    const uint8_t *msk;
    size_t msk_len;
    int r = eap_peer_process(peer, msg, len, &out, &out_len);

    switch (r) {
    case 0:
        if (!out || out_len < 5 || out_len != (size_t)(out[2] << 8 | out[3]))
            abort();
        if (out[4] == EAP_TYPE_TLS &&
            (out_len < 6 ||
             out_len - 6 - (out[5] & EAP_TLS_FLAG_LENGTH ? 4 : 0) > EAP_TLS_FRAGMENT_SIZE))
            abort();
        g_free(out);
        if (eap_peer_get_msk(peer, &msk, &msk_len) != -ENODATA)
            abort();
        return true;
    case EAP_DONE_SUCCESS:
        if (eap_peer_get_msk(peer, &msk, &msk_len) != 0 || msk_len != EAP_PEER_MSK_LEN)
            abort();
        return false;
    case -EBADMSG:
    case -EMSGSIZE:
    case -EACCES:
    case -EKEYREJECTED:
    case -EPROTO:
    case -ENOMEM:
        return false;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t start[] = {EAP_CODE_REQUEST, 1, 0, 6, EAP_TYPE_TLS, EAP_TLS_FLAG_START};
    static const uint8_t gw[] = "gw.example.test";
    struct eap_peer *peer = NULL;
    size_t pos = 1;
    bool go = true;

    if (!cred)
        setup();
    if (size < 1)
        return 0;
    if (eap_peer_new_tls("fuzz", cred, trust, &peer) < 0 ||
        eap_peer_set_server_id(peer, IKE_ID_FQDN, gw, sizeof(gw) - 1, NULL) < 0)
        abort();
    if (data[0] & 1)
        go = feed(peer, start, sizeof(start));
    while (go && pos < size) {
        size_t len = size - pos;

        if (len >= 2) {
            size_t want = (size_t)data[pos] << 8 | data[pos + 1];
            pos += 2;
            len = MIN(want, size - pos);
        }
        go = feed(peer, data + pos, len);
        pos += len;
    }
    eap_peer_free(peer);
    return 0;
}
