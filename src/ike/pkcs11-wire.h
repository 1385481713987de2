/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The messages between the service and its PKCS#11 signer process
 * (pkcs11-signer.c serves them, pkcs11-remote.c asks), one SOCK_SEQPACKET
 * message each way per request, both ends on the same host (native byte
 * order).  A message is a sequence of fields, each a 32-bit length and its
 * bytes; the first field of a request is its operation (enum ike_p11_op,
 * 4 bytes):
 *
 *   LOAD   key URI, certificate URI ("" = none), PIN ("" = none)
 *          -> result, reason, public key (SubjectPublicKeyInfo DER),
 *             certificate (DER, "" = none)
 *   RSA    padding (RSA_PKCS1_PADDING / RSA_NO_PADDING, 4 bytes), the block
 *          to put through the private key (an encoded DigestInfo, or a PSS
 *          block OpenSSL padded) -> result, reason, the result block
 *   ECDSA  the digest -> result, reason, the signature (DER ECDSA-Sig-Value)
 *
 * The result is 4 bytes: 0 or a negative errno-style code (pkcs11-key.h);
 * the reason a one-line text without the PIN.  The signer answers LOAD once,
 * then signs until the service closes its end.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define IKE_P11_WIRE_MAX   16384 /* bytes in one message: certificates of a few KiB fit */
#define IKE_P11_SIGNER_ARG "--pkcs11-signer" /* the one argument of the signer process */
#define IKE_P11_SIGNER_FD  3                 /* its end of the socket pair */

enum ike_p11_op {
    IKE_P11_OP_LOAD = 1,
    IKE_P11_OP_RSA = 2,
    IKE_P11_OP_ECDSA = 3,
};

struct ike_p11_wire {
    uint8_t *buf;
    size_t len; /* written, or the message's length when reading */
    size_t pos; /* the next field to read */
    bool bad;   /* a field did not fit / was cut short */
};

static inline void ike_p11_wire_put(struct ike_p11_wire *w, const void *data, size_t len)
{
    uint32_t n = (uint32_t)len;

    if (w->bad || len > IKE_P11_WIRE_MAX || w->len + sizeof(n) + len > IKE_P11_WIRE_MAX) {
        w->bad = true;
        return;
    }
    memcpy(w->buf + w->len, &n, sizeof(n));
    if (len)
        memcpy(w->buf + w->len + sizeof(n), data, len);
    w->len += sizeof(n) + len;
}

static inline void ike_p11_wire_put_str(struct ike_p11_wire *w, const char *s)
{
    ike_p11_wire_put(w, s ? s : "", s ? strlen(s) : 0);
}

static inline void ike_p11_wire_put_u32(struct ike_p11_wire *w, uint32_t v)
{
    ike_p11_wire_put(w, &v, sizeof(v));
}

/* The next field: its bytes (in the buffer) and length; NULL when the message has none. */
static inline const uint8_t *ike_p11_wire_get(struct ike_p11_wire *w, size_t *len)
{
    uint32_t n;
    const uint8_t *p;

    if (w->bad || w->len - w->pos < sizeof(n)) {
        w->bad = true;
        return NULL;
    }
    memcpy(&n, w->buf + w->pos, sizeof(n));
    if (n > w->len - w->pos - sizeof(n)) {
        w->bad = true;
        return NULL;
    }
    p = w->buf + w->pos + sizeof(n);
    w->pos += sizeof(n) + n;
    *len = n;
    return p;
}

static inline bool ike_p11_wire_get_u32(struct ike_p11_wire *w, uint32_t *v)
{
    size_t n;
    const uint8_t *p = ike_p11_wire_get(w, &n);

    if (!p || n != sizeof(*v)) {
        w->bad = true;
        return false;
    }
    memcpy(v, p, sizeof(*v));
    return true;
}

/* A text field as a NUL-terminated copy in @out (@cap bytes); false when it does not fit or
 * holds a NUL. */
static inline bool ike_p11_wire_get_str(struct ike_p11_wire *w, char *out, size_t cap)
{
    size_t n;
    const uint8_t *p = ike_p11_wire_get(w, &n);

    if (!p || n >= cap || memchr(p, 0, n)) {
        w->bad = true;
        return false;
    }
    memcpy(out, p, n);
    out[n] = 0;
    return true;
}

/* Send the message in @w on @fd (never SIGPIPE); whether it went whole. */
static inline bool ike_p11_wire_send(int fd, const struct ike_p11_wire *w)
{
    ssize_t n;

    do
        n = send(fd, w->buf, w->len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)w->len;
}

/* Receive one message on @fd into @buf (IKE_P11_WIRE_MAX bytes): its length, 0 at end of file,
 * -1 on an error or a message longer than that. */
static inline ssize_t ike_p11_wire_recv(int fd, uint8_t *buf)
{
    ssize_t n;

    do
        n = recv(fd, buf, IKE_P11_WIRE_MAX, MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    return n > IKE_P11_WIRE_MAX ? -1 : n;
}
