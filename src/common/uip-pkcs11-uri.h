/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PKCS#11 URIs (RFC 7512) in the user-cert / user-key settings: a key or a
 * certificate on a token (smartcard, YubiKey PIV, SoftHSM2), e.g.
 *
 *   pkcs11:token=uipsec;object=vpn-key;type=private
 *   pkcs11:serial=0123abcd;id=%01?module-path=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
 *
 * One parser for the settings validation (src/common/uip-settings.c), the
 * editor and the key loader (src/ike/pkcs11-key.c).
 *
 * Accepted path attributes: token, manufacturer, serial, model (which token),
 * object, id (which object; id is percent-encoded bytes), type (private, cert
 * or public); accepted query attributes: module-path (an absolute path of the
 * PKCS#11 module; without it p11-kit's proxy module loads every module the
 * system registered).  Every attribute at most once, values percent-decoded
 * (RFC 3986 %XX), printable UTF-8.  Refused: pin-value and pin-source (the PIN
 * is the secret user-key-password, asked through the auth dialog, never
 * stored in vpn.data), every other attribute (library-*, slot-*,
 * module-name: not supported; an unknown one would silently match more than
 * meant), an empty path (it would pick any key of any token).
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define UIP_PKCS11_SCHEME "pkcs11:"

enum uip_pkcs11_type {
    UIP_PKCS11_TYPE_ANY = 0, /* no type= attribute */
    UIP_PKCS11_TYPE_PRIVATE,
    UIP_PKCS11_TYPE_CERT,
    UIP_PKCS11_TYPE_PUBLIC,
};

struct uip_pkcs11_uri {
    char *token; /* token label; NULL: any */
    char *manufacturer;
    char *serial;
    char *model;
    char *object; /* CKA_LABEL */
    uint8_t *id;  /* CKA_ID; NULL: any */
    size_t id_len;
    enum uip_pkcs11_type type;
    char *module_path; /* NULL: p11-kit's proxy module */
};

/* Whether @s starts with "pkcs11:" (ASCII case-insensitive, as RFC 3986 schemes): a token
 * object, not a file path.  NULL is FALSE. */
gboolean uip_pkcs11_is_uri(const char *s);

#define UIP_PKCS11_URI_ERROR (uip_pkcs11_uri_error_quark())
GQuark uip_pkcs11_uri_error_quark(void);

/*
 * Parse @s into @out (cleared first; uip_pkcs11_uri_clear() it).  On failure
 * FALSE with a translatable message in @error (UIP_PKCS11_URI_ERROR, code 0)
 * saying what is wrong in the URI; @out is left cleared.
 */
gboolean uip_pkcs11_uri_parse(const char *s, struct uip_pkcs11_uri *out, GError **error);

void uip_pkcs11_uri_clear(struct uip_pkcs11_uri *u);
