/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service's side of the PKCS#11 signer (see pkcs11-remote.h; messages:
 * pkcs11-wire.h).
 *
 * Flow: a SOCK_SEQPACKET pair -> posix_spawn() of the service's binary with
 * IKE_P11_SIGNER_ARG and our peer's end as fd 3 -> LOAD (the PIN wiped from
 * our buffer once sent) -> the public key and certificate -> a proxy key:
 * the public key with an RSA_METHOD / EC_KEY_METHOD whose private operations
 * ask the signer (RSA: the block OpenSSL encoded or PSS-padded, sent with its
 * padding; ECDSA: the digest).  OpenSSL 3 treats a key with a method of its
 * own as a legacy ("foreign") key and calls the method for EVP_DigestSign()
 * and TLS alike; libp11 builds its token keys the same way.  These methods
 * are deprecated in OpenSSL 3 in favour of providers (a provider would need
 * key management, signature and encoder tables of its own for the same two
 * operations), hence OPENSSL_SUPPRESS_DEPRECATED in this file alone.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "ike/pkcs11-remote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <glib.h>

#include "ike/ike-err.h"
#include "ike/pkcs11-wire.h"

extern char **environ;

struct ike_p11_remote {
    int fd;
    pid_t pid;
    GMutex lock; /* one request at a time */
};

static int rsa_idx = -1, ec_idx = -1;
static RSA_METHOD *rsa_meth;
static EC_KEY_METHOD *ec_meth;

/*
 * Send @q, read the answer into @ans (IKE_P11_WIRE_MAX bytes) and open it in @a, placed at the
 * blobs; the signer's reason goes to @err.  Returns the signer's result, or -EIO when it does
 * not answer.  @q's buffer is wiped after sending (the PIN).
 */
static int ask(struct ike_p11_remote *r, struct ike_p11_wire *q, uint8_t *ans,
               struct ike_p11_wire *a, char *err, size_t err_len)
{
    ssize_t n = -1;
    uint32_t rc = 0;
    char reason[512];

    if (q->bad)
        return -EMSGSIZE;
    g_mutex_lock(&r->lock);
    if (ike_p11_wire_send(r->fd, q))
        n = ike_p11_wire_recv(r->fd, ans);
    OPENSSL_cleanse(q->buf, q->len);
    g_mutex_unlock(&r->lock);
    *a = (struct ike_p11_wire){.buf = ans, .len = n > 0 ? (size_t)n : 0};
    if (!ike_p11_wire_get_u32(a, &rc) || !ike_p11_wire_get_str(a, reason, sizeof(reason))) {
        ike_set_err(err, err_len, "the PKCS#11 signer process does not answer");
        return -EIO;
    }
    if ((int32_t)rc < 0)
        ike_set_err(err, err_len, "%s", reason);
    return (int32_t)rc > 0 ? -EIO : (int32_t)rc;
}

/* A private-key operation: @op with @padding (RSA) on @data; the result into @out (@cap). */
static int remote_sign(struct ike_p11_remote *r, enum ike_p11_op op, int padding,
                       const unsigned char *data, int len, unsigned char *out, size_t cap)
{
    uint8_t req[IKE_P11_WIRE_MAX], ans[IKE_P11_WIRE_MAX];
    struct ike_p11_wire q = {.buf = req}, a;
    const uint8_t *sig;
    size_t sig_len = 0;

    if (!r || len < 0)
        return -1;
    ike_p11_wire_put_u32(&q, op);
    if (op == IKE_P11_OP_RSA)
        ike_p11_wire_put_u32(&q, (uint32_t)padding);
    ike_p11_wire_put(&q, data, (size_t)len);
    if (ask(r, &q, ans, &a, NULL, 0) < 0 || !(sig = ike_p11_wire_get(&a, &sig_len)) ||
        sig_len > cap)
        return -1;
    memcpy(out, sig, sig_len);
    return (int)sig_len;
}

static int remote_rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
                               int padding)
{
    return remote_sign(RSA_get_ex_data(rsa, rsa_idx), IKE_P11_OP_RSA, padding, from, flen, to,
                       (size_t)RSA_size(rsa));
}

static ECDSA_SIG *remote_ecdsa_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
                                        const BIGNUM *rp, EC_KEY *ec)
{
    unsigned char der[512];
    const unsigned char *p = der;
    int n = remote_sign(EC_KEY_get_ex_data(ec, ec_idx), IKE_P11_OP_ECDSA, 0, dgst, dlen, der,
                        sizeof(der));

    return n > 0 ? d2i_ECDSA_SIG(NULL, &p, n) : NULL;
}

static int remote_ecdsa_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
                             unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *rp,
                             EC_KEY *ec)
{
    ECDSA_SIG *s = remote_ecdsa_sign_sig(dgst, dlen, kinv, rp, ec);
    int n = s ? i2d_ECDSA_SIG(s, NULL) : -1;

    if (n <= 0 || n > ECDSA_size(ec)) {
        ECDSA_SIG_free(s);
        return 0;
    }
    *siglen = (unsigned int)i2d_ECDSA_SIG(s, &sig);
    ECDSA_SIG_free(s);
    return 1;
}

static bool methods_init(void)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;

        rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
        ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
        if (rsa_meth && ec_meth) {
            RSA_meth_set1_name(rsa_meth, "uipsec PKCS#11 signer");
            RSA_meth_set_priv_enc(rsa_meth, remote_rsa_priv_enc);
            EC_KEY_METHOD_get_sign(ec_meth, NULL, &setup, NULL);
            EC_KEY_METHOD_set_sign(ec_meth, remote_ecdsa_sign, setup, remote_ecdsa_sign_sig);
        }
        g_once_init_leave(&once, 1);
    }
    return rsa_meth && ec_meth && rsa_idx >= 0 && ec_idx >= 0;
}

/* The proxy key of @der (SubjectPublicKeyInfo), or NULL. */
static EVP_PKEY *proxy_key(struct ike_p11_remote *r, const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    EVP_PKEY *pub = len <= LONG_MAX ? d2i_PUBKEY(NULL, &p, (long)len) : NULL, *pk = NULL;
    RSA *rsa = NULL;
    EC_KEY *ec = NULL;

    if (!pub || !methods_init() || !(pk = EVP_PKEY_new()))
        goto fail;
    switch (EVP_PKEY_get_base_id(pub)) {
    case EVP_PKEY_RSA:
        rsa = EVP_PKEY_get1_RSA(pub);
        /* the method before the assignment, which decides whether the key is foreign */
        if (!rsa || !RSA_set_method(rsa, rsa_meth) || !RSA_set_ex_data(rsa, rsa_idx, r))
            goto fail;
        RSA_set_flags(rsa, RSA_FLAG_EXT_PKEY);
        if (!EVP_PKEY_assign_RSA(pk, rsa))
            goto fail;
        rsa = NULL;
        break;
    case EVP_PKEY_EC:
        ec = EVP_PKEY_get1_EC_KEY(pub);
        if (!ec || !EC_KEY_set_method(ec, ec_meth) || !EC_KEY_set_ex_data(ec, ec_idx, r) ||
            !EVP_PKEY_assign_EC_KEY(pk, ec))
            goto fail;
        ec = NULL;
        break;
    default:
        goto fail;
    }
    EVP_PKEY_free(pub);
    return pk;
fail:
    RSA_free(rsa);
    EC_KEY_free(ec);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(pub);
    ERR_clear_error();
    return NULL;
}

static int spawn(const char *exe, struct ike_p11_remote *r, char *err, size_t err_len)
{
    char *argv[] = {(char *)"nm-uipsec-pkcs11-signer", (char *)IKE_P11_SIGNER_ARG, NULL};
    posix_spawn_file_actions_t fa;
    int sv[2], theirs, e;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        e = errno;
        goto fail;
    }
    r->fd = sv[0];
    /* dup2 onto itself would keep close-on-exec */
    theirs = sv[1] == IKE_P11_SIGNER_FD ? fcntl(sv[1], F_DUPFD_CLOEXEC, 10) : sv[1];
    if (theirs < 0) {
        e = errno;
        close(sv[1]);
        goto fail;
    }
    if (theirs != sv[1])
        close(sv[1]);
    e = posix_spawn_file_actions_init(&fa);
    if (e == 0) {
        e = posix_spawn_file_actions_adddup2(&fa, theirs, IKE_P11_SIGNER_FD);
        if (e == 0)
            e = posix_spawn(&r->pid, exe, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    close(theirs);
    if (e == 0)
        return 0;
fail:
    ike_set_err(err, err_len, "cannot start the PKCS#11 signer process '%s': %s", exe,
                g_strerror(e));
    return -EIO;
}

int ike_p11_remote_load(const char *exe, const char *key_uri, const char *cert_uri,
                        const char *pin, struct ike_p11_remote **out, EVP_PKEY **key_out,
                        X509 **cert_out, char *err, size_t err_len)
{
    uint8_t req[IKE_P11_WIRE_MAX], ans[IKE_P11_WIRE_MAX];
    struct ike_p11_wire q = {.buf = req}, a;
    struct ike_p11_remote *r;
    const uint8_t *pub, *cert_der;
    size_t pub_len = 0, cert_len = 0;
    EVP_PKEY *pk = NULL;
    X509 *cert = NULL;
    int rc;

    if (!exe || !key_uri || !out || !key_out || (cert_uri && !cert_out))
        return -EINVAL;
    r = g_new0(struct ike_p11_remote, 1);
    r->fd = -1;
    g_mutex_init(&r->lock);
    rc = spawn(exe, r, err, err_len);
    if (rc < 0)
        goto fail;
    ike_p11_wire_put_u32(&q, IKE_P11_OP_LOAD);
    ike_p11_wire_put_str(&q, key_uri);
    ike_p11_wire_put_str(&q, cert_uri);
    ike_p11_wire_put_str(&q, pin);
    rc = ask(r, &q, ans, &a, err, err_len);
    if (rc < 0)
        goto fail;
    pub = ike_p11_wire_get(&a, &pub_len);
    cert_der = ike_p11_wire_get(&a, &cert_len);
    if (pub)
        pk = proxy_key(r, pub, pub_len);
    if (cert_der && cert_len) {
        const unsigned char *p = cert_der;
        cert = d2i_X509(NULL, &p, (long)cert_len);
    }
    if (!pk || (cert_uri && !cert)) {
        ike_set_err(err, err_len, "the PKCS#11 signer sent a key or certificate OpenSSL cannot use");
        rc = -EIO;
        goto fail;
    }
    *out = r;
    *key_out = pk;
    if (cert_uri)
        *cert_out = cert;
    ERR_clear_error();
    return 0;
fail:
    EVP_PKEY_free(pk);
    X509_free(cert);
    ike_p11_remote_free(r);
    ERR_clear_error();
    return rc;
}

void ike_p11_remote_free(struct ike_p11_remote *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd); /* the signer reads end of file, unloads the module and exits */
    if (r->pid > 0)
        while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    g_mutex_clear(&r->lock);
    g_free(r);
}
