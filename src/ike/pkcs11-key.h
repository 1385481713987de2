/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Our private key (and optionally our certificate) on a PKCS#11 token
 * (smartcard, YubiKey PIV, SoftHSM2), selected by a PKCS#11 URI (RFC 7512,
 * common/uip-pkcs11-uri.h), through libp11: the key is an EVP_PKEY whose
 * RSA / EC method signs on the token (C_Sign; CKM_RSA_PKCS, CKM_RSA_X_509
 * for PSS padded by OpenSSL, CKM_ECDSA), so EVP_DigestSign() and
 * SSL_CTX_use_PrivateKey() use it as any other key.  The private key never
 * leaves the token.
 *
 * The module: the URI's module-path, else p11-kit's proxy module, which
 * loads every module the system registered (/usr/share/p11-kit/modules:
 * softhsm2, opensc-pkcs11, ...).  The PIN logs the token's user in once,
 * at load time; the session stays logged in for later signatures (IKE
 * reauthentication, redirects, restarts), so it is not kept.
 *
 * Int results: 0 or a negative errno-style code listed at the function;
 * @err / @err_len receive a one-line reason without the PIN.  Nothing here
 * logs.
 */
#pragma once

#include <stddef.h>

#include <openssl/types.h>

struct ike_p11;

/*
 * Open the token of @key_uri, log in with @pin when the token asks for a
 * login, and find the one private key the URI names (object= / id=; with
 * neither, the token's only private key).  With @cert_uri (NULL: none) also
 * find the certificate it names (on the same module; certificates are
 * public objects) and return a copy in *@cert_out.
 * On success *@out holds the module and session (ike_p11_free() after the
 * key) and *@key_out the key (EVP_PKEY_free()).
 * Returns 0,
 *   -EINVAL   a malformed URI, or a URI of the wrong type (@err says what),
 *   -ELIBACC  the module cannot be loaded or initialised,
 *   -ENODEV   no token matches the URI,
 *   -ENOKEY   the token needs the PIN and @pin is NULL or empty,
 *   -EACCES   the PIN is wrong, -EKEYREVOKED: the PIN is locked or expired,
 *   -ENOENT   no private key (or certificate) on the token matches,
 *   -ENOTUNIQ several objects match (@err asks for object= or id=), or several
 *             tokens that ask for a PIN (the PIN is never tried on more than one),
 *   -ENOMEM, -EIO.
 */
int ike_p11_load(const char *key_uri, const char *cert_uri, const char *pin, struct ike_p11 **out,
                 EVP_PKEY **key_out, X509 **cert_out, char *err, size_t err_len);

/*
 * From now on ike_p11_load() has the token opened and the key used in a
 * signer process (pkcs11-signer.h): @exe, this program's binary, which must
 * call ike_p11_signer_main() when ike_p11_signer_wanted(); NULL: in this
 * process again.  The same results; the key's private operations go to the
 * signer.
 */
void ike_p11_use_signer(const char *exe);

/* Closes the session and unloads the module (which logs out when nothing else of the process
 * uses it); NULL is fine.  Free the key first. */
void ike_p11_free(struct ike_p11 *p);
