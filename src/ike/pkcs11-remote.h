/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service's side of the PKCS#11 signer (pkcs11-signer.h): start it, have
 * it log in, and get an EVP_PKEY of the token key's public half whose
 * private-key operations are requests to the signer, so EVP_DigestSign()
 * (IKE AUTH) and SSL_CTX_use_PrivateKey() (EAP-TLS) use it as any key.
 * Used by pkcs11-key.c once ike_p11_use_signer() named the binary.
 */
#pragma once

#include <stddef.h>

#include <openssl/types.h>

struct ike_p11_remote;

/*
 * Start @exe as the signer, have it load @key_uri / @cert_uri with @pin
 * (ike_p11_load()'s arguments, results and error codes, plus -EIO when the
 * signer cannot be started or stops answering).
 */
int ike_p11_remote_load(const char *exe, const char *key_uri, const char *cert_uri,
                        const char *pin, struct ike_p11_remote **out, EVP_PKEY **key_out,
                        X509 **cert_out, char *err, size_t err_len);

/* Ends the signer (it exits when its socket closes) and reaps it; free the key first.  NULL is
 * fine. */
void ike_p11_remote_free(struct ike_p11_remote *r);
