/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PKCS#11 signer process (see pkcs11-signer.h; messages: pkcs11-wire.h).
 *
 * Flow: main() sees IKE_P11_SIGNER_ARG -> ike_p11_signer_main(): fd 3 must
 * be a SOCK_SEQPACKET socket; every other fd above 2 is closed; the process
 * dies with its parent -> @drop, while this is the only thread (modules
 * start threads of their own: OpenSC's constructor registers a
 * GApplication, which starts GLib's gmain and gdbus threads, and those
 * inherit what the process has when they start) -> LOAD: ike_p11_load()
 * here (module, login; the PIN is wiped at once) -> @lock_down (seccomp
 * acts on every thread) -> the public key and certificate back ->
 * RSA / ECDSA: EVP_PKEY_sign() on the token's key, no digest (the service
 * hashed and, for RSA, encoded or PSS-padded) -> end of file: unload, exit.
 */
#include "ike/pkcs11-signer.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ike/pkcs11-key.h"
#include "ike/pkcs11-wire.h"

bool ike_p11_signer_wanted(int argc, char **argv)
{
    return argc == 2 && strcmp(argv[1], IKE_P11_SIGNER_ARG) == 0;
}

static bool reply(int fd, int r, const char *reason, const void *a, size_t alen, const void *b,
                  size_t blen)
{
    uint8_t buf[IKE_P11_WIRE_MAX];
    struct ike_p11_wire w = {.buf = buf};
    bool sent;

    ike_p11_wire_put_u32(&w, (uint32_t)r);
    ike_p11_wire_put_str(&w, reason);
    ike_p11_wire_put(&w, a, alen);
    ike_p11_wire_put(&w, b, blen);
    if (w.bad) {
        w.len = 0;
        w.bad = false;
        ike_p11_wire_put_u32(&w, (uint32_t)-EMSGSIZE);
        ike_p11_wire_put_str(&w, "the answer of the PKCS#11 signer is too long");
        ike_p11_wire_put(&w, NULL, 0);
        ike_p11_wire_put(&w, NULL, 0);
    }
    sent = ike_p11_wire_send(fd, &w);
    OPENSSL_cleanse(buf, w.len);
    return sent;
}

struct signer {
    int fd;
    struct ike_p11 *token;
    EVP_PKEY *key;
};

/* LOAD: 0 when the key is ready (and answered). */
static int load(struct signer *s, struct ike_p11_wire *w, const char *dropped,
                int (*lock_down)(char *, size_t))
{
    char key_uri[4096], cert_uri[4096], pin[1024], err[512] = "";
    unsigned char *pub = NULL, *cert_der = NULL;
    X509 *cert = NULL;
    int pub_len = 0, cert_len = 0, r;
    bool ok = ike_p11_wire_get_str(w, key_uri, sizeof(key_uri)) &&
              ike_p11_wire_get_str(w, cert_uri, sizeof(cert_uri)) &&
              ike_p11_wire_get_str(w, pin, sizeof(pin));

    OPENSSL_cleanse(w->buf, w->len);
    if (!ok) {
        OPENSSL_cleanse(pin, sizeof(pin));
        reply(s->fd, -EINVAL, "a malformed request to the PKCS#11 signer", NULL, 0, NULL, 0);
        return -EINVAL;
    }
    if (*dropped) {
        snprintf(err, sizeof(err), "%s", dropped);
        r = -EPERM;
    } else {
        r = ike_p11_load(key_uri, *cert_uri ? cert_uri : NULL, *pin ? pin : NULL, &s->token,
                         &s->key, *cert_uri ? &cert : NULL, err, sizeof(err));
    }
    OPENSSL_cleanse(pin, sizeof(pin));
    if (r == 0 && lock_down)
        r = lock_down(err, sizeof(err));
    if (r == 0) {
        pub_len = i2d_PUBKEY(s->key, &pub);
        cert_len = cert ? i2d_X509(cert, &cert_der) : 0;
        if (pub_len <= 0 || cert_len < 0) {
            snprintf(err, sizeof(err), "cannot encode the public key or certificate of the token");
            r = -EIO;
        }
    }
    if (!reply(s->fd, r, err, pub, r == 0 ? (size_t)pub_len : 0, cert_der,
               r == 0 ? (size_t)cert_len : 0) &&
        r == 0)
        r = -EPIPE;
    OPENSSL_free(pub);
    OPENSSL_free(cert_der);
    X509_free(cert);
    ERR_clear_error();
    return r;
}

/* RSA / ECDSA: the private-key operation on @data, no digest. */
static void sign(struct signer *s, enum ike_p11_op op, struct ike_p11_wire *w)
{
    uint8_t sig[1024];
    size_t sig_len = sizeof(sig), len = 0;
    uint32_t padding = 0;
    const uint8_t *data;
    EVP_PKEY_CTX *ctx = NULL;
    bool ok;

    ok = (op == IKE_P11_OP_ECDSA || ike_p11_wire_get_u32(w, &padding)) &&
         (data = ike_p11_wire_get(w, &len)) != NULL;
    if (!ok || (op == IKE_P11_OP_RSA) != (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_RSA) ||
        (op == IKE_P11_OP_RSA && padding != RSA_PKCS1_PADDING && padding != RSA_NO_PADDING) ||
        (size_t)EVP_PKEY_get_size(s->key) > sizeof(sig)) {
        reply(s->fd, -EINVAL, "a malformed request to the PKCS#11 signer", NULL, 0, NULL, 0);
        return;
    }
    ctx = EVP_PKEY_CTX_new(s->key, NULL);
    ok = ctx && EVP_PKEY_sign_init(ctx) > 0 &&
         (op != IKE_P11_OP_RSA || EVP_PKEY_CTX_set_rsa_padding(ctx, (int)padding) > 0) &&
         EVP_PKEY_sign(ctx, sig, &sig_len, data, len) > 0;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    if (ok)
        reply(s->fd, 0, "", sig, sig_len, NULL, 0);
    else
        reply(s->fd, -EIO, "the token refused to sign", NULL, 0, NULL, 0);
}

int ike_p11_signer_main(int (*drop)(char *err, size_t err_len),
                        int (*lock_down)(char *err, size_t err_len))
{
    static uint8_t buf[IKE_P11_WIRE_MAX];
    char dropped[512] = ""; /* why @drop failed, for the answer to LOAD */
    struct signer s = {.fd = IKE_P11_SIGNER_FD};
    int type = 0;
    socklen_t tl = sizeof(type);
    bool loaded = false;
    ssize_t n;

    if (getsockopt(s.fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
        fprintf(stderr, "%s: fd %d is not the service's socket; this mode is for the service "
                        "only\n", IKE_P11_SIGNER_ARG, IKE_P11_SIGNER_FD);
        return 2;
    }
    /* nothing of the service's but our socket; and no life after it */
    close_range(IKE_P11_SIGNER_FD + 1, ~0U, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() == 1)
        return 1;
    if (drop && drop(dropped, sizeof(dropped)) < 0 && !*dropped)
        snprintf(dropped, sizeof(dropped), "the PKCS#11 signer cannot drop its rights");

    while ((n = ike_p11_wire_recv(s.fd, buf)) > 0) {
        struct ike_p11_wire w = {.buf = buf, .len = (size_t)n};
        uint32_t op = 0;

        if (!ike_p11_wire_get_u32(&w, &op))
            op = 0;
        if (!loaded && op == IKE_P11_OP_LOAD) {
            if (load(&s, &w, dropped, lock_down) < 0)
                break;
            loaded = true;
        } else if (loaded && (op == IKE_P11_OP_RSA || op == IKE_P11_OP_ECDSA)) {
            sign(&s, op, &w);
        } else {
            reply(s.fd, -EINVAL, "a malformed request to the PKCS#11 signer", NULL, 0, NULL, 0);
        }
    }
    EVP_PKEY_free(s.key);
    ike_p11_free(s.token);
    return n < 0 ? 1 : 0;
}
