/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private key on a PKCS#11 token through libp11 (see pkcs11-key.h).
 *
 * Flow: parse the URI (common/uip-pkcs11-uri.c) -> PKCS11_CTX_load() of the
 * module-path or p11-kit's proxy -> the slots with a token matching the
 * URI's token / manufacturer / serial / model -> log in with the PIN when
 * the token asks for it -> the private keys matching object / id (exactly
 * one) -> PKCS11_get_private_key(): an EVP_PKEY that signs on the token.
 * The certificate, when its setting is a URI too, is looked up the same way
 * among the certificates of the matching tokens and copied.
 */
#include "ike/pkcs11-key.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include <libp11.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <glib.h>

#include "common/uip-pkcs11-uri.h"
#include "ike/ike-err.h"
#include "ike/pkcs11-remote.h"

#ifndef UIP_P11_KIT_PROXY
#define UIP_P11_KIT_PROXY "p11-kit-proxy.so"
#endif

/* The URIs in messages carry no secret: pin-value is refused by the parser. */

/* PKCS#11 return values of C_Login (PKCS#11 v2.40 section 11.1) */
#define P11_CKR_PIN_INCORRECT 0xa0
#define P11_CKR_PIN_INVALID   0xa1
#define P11_CKR_PIN_LEN_RANGE 0xa2
#define P11_CKR_PIN_EXPIRED   0xa3
#define P11_CKR_PIN_LOCKED    0xa4

struct ike_p11 {
    PKCS11_CTX *ctx;
    PKCS11_SLOT *slots;
    unsigned n_slots;
    PKCS11_SLOT *logged_in; /* the slot we logged in on, or NULL: not twice */
    struct ike_p11_remote *remote; /* or all of that in the signer process */
};

static char *signer_exe; /* ike_p11_use_signer() */

void ike_p11_use_signer(const char *exe)
{
    g_free(signer_exe);
    signer_exe = g_strdup(exe);
}

void ike_p11_free(struct ike_p11 *p)
{
    if (!p)
        return;
    ike_p11_remote_free(p->remote);
    /* no C_Logout: the login state is the module's, per token, and another context of this
     * process (an IKE SA made meanwhile) may still sign; unloading finalises the module
     * when the last context goes (p11-kit's proxy counts them) */
    if (p->slots)
        PKCS11_release_all_slots(p->ctx, p->slots, p->n_slots);
    if (p->ctx) {
        PKCS11_CTX_unload(p->ctx);
        PKCS11_CTX_free(p->ctx);
    }
    g_free(p);
    ERR_clear_error();
}

static bool text_match(const char *want, const char *have)
{
    return !want || g_strcmp0(want, have) == 0;
}

static bool token_match(const struct uip_pkcs11_uri *u, const PKCS11_TOKEN *t)
{
    return t && text_match(u->token, t->label) && text_match(u->manufacturer, t->manufacturer) &&
           text_match(u->serial, t->serialnr) && text_match(u->model, t->model);
}

static bool object_match(const struct uip_pkcs11_uri *u, const char *label, const unsigned char *id,
                         size_t id_len)
{
    return text_match(u->object, label) &&
           (!u->id || (id_len == u->id_len && memcmp(id, u->id, id_len) == 0));
}

static int parse(const char *uri, enum uip_pkcs11_type want, const char *what,
                 struct uip_pkcs11_uri *u, char *err, size_t err_len)
{
    GError *e = NULL;

    if (!uip_pkcs11_uri_parse(uri, u, &e)) {
        ike_set_err(err, err_len, "%s: %s", what, e->message);
        g_error_free(e);
        return -EINVAL;
    }
    if (u->type != UIP_PKCS11_TYPE_ANY && u->type != want) {
        ike_set_err(err, err_len, "%s: the URI '%s' names no %s (type=)", what, uri,
                    want == UIP_PKCS11_TYPE_CERT ? "certificate" : "private key");
        uip_pkcs11_uri_clear(u);
        return -EINVAL;
    }
    return 0;
}

static int login(struct ike_p11 *p, PKCS11_SLOT *slot, const char *pin, char *err, size_t err_len)
{
    unsigned long e;
    int reason;

    if (!slot->token->loginRequired || p->logged_in == slot)
        return 0;
    if (!pin || !*pin) {
        ike_set_err(err, err_len, "the token '%s' needs its PIN (the private key password)",
                    slot->token->label);
        return -ENOKEY;
    }
    if (PKCS11_login(slot, 0, pin) == 0) {
        p->logged_in = slot;
        return 0;
    }
    e = ERR_peek_last_error();
    reason = ERR_GET_LIB(e) == ERR_get_CKR_code() ? ERR_GET_REASON(e) : 0;
    ERR_clear_error();
    switch (reason) {
    case P11_CKR_PIN_INCORRECT:
    case P11_CKR_PIN_INVALID:
    case P11_CKR_PIN_LEN_RANGE:
        ike_set_err(err, err_len, "the PIN of the token '%s' is wrong", slot->token->label);
        return -EACCES;
    case P11_CKR_PIN_LOCKED:
        ike_set_err(err, err_len, "the PIN of the token '%s' is locked (too many wrong PINs)",
                    slot->token->label);
        return -EKEYREVOKED;
    case P11_CKR_PIN_EXPIRED:
        ike_set_err(err, err_len, "the PIN of the token '%s' has expired", slot->token->label);
        return -EKEYREVOKED;
    default:
        ike_set_err(err, err_len, "cannot log in to the token '%s' (PKCS#11 error 0x%x)",
                    slot->token->label, (unsigned)reason);
        return -EIO;
    }
}

/*
 * The one object the URI names among those of the matching tokens: a private key (*@out a
 * PKCS11_KEY; logs in on its token first) or, with @want_cert, a certificate (an X509 owned
 * by libp11).
 */
static int find_object(struct ike_p11 *p, const struct uip_pkcs11_uri *u, const char *uri,
                       bool want_cert, const char *pin, void **out, char *err, size_t err_len)
{
    const char *what = want_cert ? "certificate" : "private key";
    void *found = NULL;
    unsigned n_found = 0, n_tokens = 0, n_login = 0;
    int r;

    /* the PIN goes to one token only: a wrong one counts against the card's retries */
    for (unsigned i = 0; !want_cert && i < p->n_slots; i++)
        if (token_match(u, p->slots[i].token) && p->slots[i].token->initialized &&
            p->slots[i].token->loginRequired)
            n_login++;
    if (n_login > 1) {
        ike_set_err(err, err_len,
                    "%u tokens that ask for a PIN match '%s': add token= or serial= to the URI",
                    n_login, uri);
        return -ENOTUNIQ;
    }
    for (unsigned i = 0; i < p->n_slots; i++) {
        PKCS11_SLOT *slot = &p->slots[i];
        PKCS11_KEY *keys = NULL;
        PKCS11_CERT *certs = NULL;
        unsigned n = 0;

        if (!token_match(u, slot->token) || !slot->token->initialized)
            continue;
        n_tokens++;
        r = want_cert ? 0 : login(p, slot, pin, err, err_len);
        if (r < 0)
            return r;
        r = want_cert ? PKCS11_enumerate_certs(slot->token, &certs, &n)
                      : PKCS11_enumerate_keys(slot->token, &keys, &n);
        if (r < 0) {
            ERR_clear_error();
            ike_set_err(err, err_len, "cannot list the %ss of the token '%s'", what,
                        slot->token->label);
            return -EIO;
        }
        for (unsigned k = 0; k < n; k++) {
            bool hit = want_cert ? certs[k].x509 &&
                                       object_match(u, certs[k].label, certs[k].id, certs[k].id_len)
                                 : object_match(u, keys[k].label, keys[k].id, keys[k].id_len);
            if (hit) {
                found = want_cert ? (void *)certs[k].x509 : (void *)&keys[k];
                n_found++;
            }
        }
    }
    if (n_tokens == 0) {
        ike_set_err(err, err_len, "no token matches '%s' (is it inserted?)", uri);
        return -ENODEV;
    }
    if (n_found == 0) {
        ike_set_err(err, err_len, "no %s matches '%s' on the token", what, uri);
        return -ENOENT;
    }
    if (n_found > 1) {
        ike_set_err(err, err_len, "%u %ss match '%s': add object= or id= to the URI", n_found, what,
                    uri);
        return -ENOTUNIQ;
    }
    *out = found;
    return 0;
}

int ike_p11_load(const char *key_uri, const char *cert_uri, const char *pin, struct ike_p11 **out,
                 EVP_PKEY **key_out, X509 **cert_out, char *err, size_t err_len)
{
    struct uip_pkcs11_uri ku = {0}, cu = {0};
    struct ike_p11 *p = NULL;
    PKCS11_KEY *key = NULL;
    EVP_PKEY *pk = NULL;
    X509 *cert = NULL;
    const char *module;
    int r;

    if (!key_uri || !out || !key_out || (cert_uri && !cert_out))
        return -EINVAL;
    if (signer_exe) {
        p = g_new0(struct ike_p11, 1);
        r = ike_p11_remote_load(signer_exe, key_uri, cert_uri, pin, &p->remote, key_out, cert_out,
                                err, err_len);
        if (r == 0)
            *out = g_steal_pointer(&p);
        g_free(p);
        return r;
    }
    r = parse(key_uri, UIP_PKCS11_TYPE_PRIVATE, "private key", &ku, err, err_len);
    if (r < 0)
        return r;
    if (cert_uri) {
        r = parse(cert_uri, UIP_PKCS11_TYPE_CERT, "certificate", &cu, err, err_len);
        if (r < 0)
            goto out;
        if (g_strcmp0(cu.module_path, ku.module_path) != 0) {
            ike_set_err(err, err_len,
                        "the certificate and the private key URIs name different "
                        "modules (module-path)");
            r = -EINVAL;
            goto out;
        }
    }
    module = ku.module_path ? ku.module_path : UIP_P11_KIT_PROXY;

    p = g_new0(struct ike_p11, 1);
    p->ctx = PKCS11_CTX_new();
    if (!p->ctx) {
        r = -ENOMEM;
        goto out;
    }
    if (PKCS11_CTX_load(p->ctx, module) < 0) {
        PKCS11_CTX_free(g_steal_pointer(&p->ctx));
        ike_set_err(err, err_len, "cannot load the PKCS#11 module '%s'", module);
        r = -ELIBACC;
        goto out;
    }
    if (PKCS11_enumerate_slots(p->ctx, &p->slots, &p->n_slots) < 0) {
        p->slots = NULL;
        ike_set_err(err, err_len, "the PKCS#11 module '%s' lists no slots", module);
        r = -ELIBACC;
        goto out;
    }
    r = find_object(p, &ku, key_uri, false, pin, (void **)&key, err, err_len);
    if (r < 0)
        goto out;
    if (cert_uri) {
        X509 *on_token = NULL;

        r = find_object(p, &cu, cert_uri, true, NULL, (void **)&on_token, err, err_len);
        if (r < 0)
            goto out;
        cert = X509_dup(on_token);
        if (!cert) {
            r = -ENOMEM;
            goto out;
        }
    }
    pk = PKCS11_get_private_key(key);
    if (!pk) {
        ike_set_err(err, err_len, "cannot use the private key of '%s'", key_uri);
        r = -EIO;
        goto out;
    }
    *out = g_steal_pointer(&p);
    *key_out = pk;
    if (cert_out && cert)
        *cert_out = g_steal_pointer(&cert);
    r = 0;
out:
    X509_free(cert);
    ike_p11_free(p);
    uip_pkcs11_uri_clear(&ku);
    uip_pkcs11_uri_clear(&cu);
    ERR_clear_error();
    return r;
}
