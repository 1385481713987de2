/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificate authentication for the IKEv2 initiator, all through OpenSSL 3
 * (X509, X509_STORE, EVP_PKEY, EVP_DigestSign / EVP_DigestVerify):
 *
 *   trust    the CA certificates the gateway must chain to: a PEM file
 *            (several certificates allowed) or the system store; the
 *            CERTREQ payload data (RFC 7296 3.7) derived from the CA file
 *   peer     the gateway's IKE_AUTH response: CERT payloads (X.509, the
 *            end-entity first), IDr, AUTH: chain, identity binding and
 *            signature (RFC 7296 2.15, RFC 7427, RFC 4754)
 *   own      our certificate and private key for client certificate
 *            authentication: the CERT payload, a default IDi and a
 *            method 14 AUTH (RFC 7427)
 *   notify   SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) build and parse
 *
 * Flow: configuration -> ike_trust_new() (+ ike_cred_load() for client
 * certificates) -> IKE_SA_INIT response: ike_sig_hash_parse() on the peer's
 * notify, ike_trust_certreq_data() for our CERTREQ -> IKE_AUTH request:
 * ike_cred_cert_der() / ike_cred_id() / ike_cred_sign() over our signed
 * octets -> IKE_AUTH response: ike_cert_verify_peer() over the gateway's
 * signed octets (ike_signed_octets() in ike-crypto.h).
 *
 * Every int function returns 0 or a negative errno-style code listed at the
 * function; common to all: -EINVAL for a NULL pointer or a bad argument,
 * -ENOMEM, -EIO for an unexpected OpenSSL failure.  On failure
 * out-parameters are left untouched.  @err / @err_len (may be NULL / 0)
 * receive a one-line human-readable reason on failure: never key material
 * or passwords.  Private keys live only in OpenSSL objects (wiped on free);
 * key files are read into buffers that are wiped.  Nothing here logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* Hash algorithm IDs of SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 7, IANA registry). */
enum {
    IKE_HASH_SHA1 = 1,
    IKE_HASH_SHA2_256 = 2,
    IKE_HASH_SHA2_384 = 3,
    IKE_HASH_SHA2_512 = 4,
    IKE_HASH_IDENTITY = 5, /* RFC 8420 */
};

#define IKE_CERT_MAX_CHAIN    16 /* CERT payloads looked at: end-entity + intermediates */
#define IKE_SIG_HASH_DATA_LEN 6  /* our SIGNATURE_HASH_ALGORITHMS data: 2, 3, 4 */

/* ---- trust anchors ------------------------------------------------------------------------ */

struct ike_trust;
struct uip_file_owner;

/*
 * Build the trust store: from @ca_file (PEM, one or more certificates, every
 * one a trust anchor; a single DER certificate is accepted too) or, when
 * @ca_file is NULL or "", from OpenSSL's default system locations.
 * Returns 0, -ENOENT / -EACCES / other -errno (cannot read the file),
 * -EBADMSG (no certificate in the file, or a malformed one), -ENOMEM, -EIO.
 */
int ike_trust_new(const char *ca_file, struct ike_trust **out, char *err, size_t err_len);

/*
 * The same, reading @ca_file as the user @as (uip-file.h: regular files only,
 * no final symlink, at most UIP_FILE_MAX_LEN; -EINVAL, -ELOOP, -EFBIG too).
 * NULL @as: with the caller's rights.
 */
int ike_trust_new_as(const char *ca_file, const struct uip_file_owner *as,
                     struct ike_trust **out, char *err, size_t err_len);

/* Another reference (a service loads the files once and every IKE SA shares them). */
struct ike_trust *ike_trust_ref(struct ike_trust *t);

/* Drops a reference; the last frees. NULL is fine. */
void ike_trust_free(struct ike_trust *t);

/*
 * CERTREQ payload data for X.509 (encoding 4): the SHA-1 hash of the
 * SubjectPublicKeyInfo of each certificate of the CA file, concatenated
 * (RFC 7296 3.7; IKE_CERTREQ_HASH_LEN = 20 bytes each), in file order.
 * On success *@out (g_free) holds *@out_len bytes.
 * Returns 0, -ENODATA (system store: no CA file, send no CERTREQ data),
 * -EINVAL, -ENOMEM, -EIO.
 */
int ike_trust_certreq_data(const struct ike_trust *t, uint8_t **out, size_t *out_len);

/*
 * The trust store itself, for a TLS context (EAP-TLS: SSL_CTX_set1_cert_store()
 * takes its own reference).  Every CA-file certificate is a trust anchor
 * (X509_V_FLAG_PARTIAL_CHAIN is set on it).  Owned by @t; the caller must not
 * change it.  NULL for a NULL @t.
 */
X509_STORE *ike_trust_store(const struct ike_trust *t);

/* ---- the gateway's certificate and AUTH ------------------------------------------------- */

/* One CERT payload body (the Certificate Data and its encoding, as from ike_cert_parse()). */
struct ike_cert_blob {
    uint8_t encoding; /* IKE_CERT_*; only IKE_CERT_X509_SIG is used */
    const uint8_t *data;
    size_t len;
};

/*
 * Authenticate the gateway from its IKE_AUTH response.
 *
 * @certs / @n: the CERT payloads in message order; the first must be an
 *   X.509 certificate (encoding 4, DER): the end-entity; further X.509 ones
 *   are untrusted intermediates; other encodings are ignored.  At most
 *   IKE_CERT_MAX_CHAIN are looked at.
 * @id_type / @id / @id_len: the IDr payload (ID type and identification
 *   data).  It must be bound to the end-entity certificate: IKE_ID_FQDN ->
 *   a subjectAltName dNSName equal to it (ASCII case-insensitive),
 *   IKE_ID_IPV4_ADDR / IKE_ID_IPV6_ADDR -> a SAN iPAddress, IKE_ID_RFC822_ADDR
 *   -> a SAN rfc822Name (case-insensitive), IKE_ID_DER_ASN1_DN -> the subject
 *   DN (X509_NAME_cmp), IKE_ID_KEY_ID -> the subjectKeyIdentifier; other ID
 *   types are never bound.
 * @expected_host: NULL when a remote identity is configured (the caller
 *   compares IDr with it, ike_id_equal()); otherwise the gateway's address
 *   (IPv4 / IPv6 literal, matched against the SAN iPAddress entries) and/or
 *   DNS name (matched case-insensitively against the SAN dNSName entries, no
 *   wildcards), several separated by blanks: the end-entity certificate must
 *   contain one of them.
 * @auth_method / @auth / @auth_len: the AUTH payload.  Supported:
 *   IKE_AUTH_DIGITAL_SIGNATURE (RFC 7427: 1-byte AlgorithmIdentifier length,
 *   AlgorithmIdentifier DER, signature) with sha{256,384,512}WithRSAEncryption,
 *   RSASSA-PSS (hash SHA-256/384/512, MGF1 with SHA-256/384/512, explicit
 *   salt length, trailer field 1) and ecdsa-with-SHA{256,384,512};
 *   IKE_AUTH_ECDSA_SHA256_P256 / _SHA384_P384 / _SHA512_P521 (RFC 4754:
 *   r || s, each the curve's byte length; the key must be on that curve).
 * @signed_octets / @so_len: the responder's signed octets
 *   (ike_signed_octets(): its IKE_SA_INIT response | Ni | prf(SK_pr, IDr')).
 *
 * IKE_AUTH_RSA_SIG (method 1: RSASSA-PKCS1-v1_5 with SHA-1) is refused.
 *
 * Checks, in order: everything parses (certificates, AUTH layout), the chain
 * verifies against @t (intermediates untrusted, purpose any, validity time,
 * OpenSSL security level 2: RSA and other keys of 112-bit strength at least,
 * no SHA-1 signature except the trust anchor's own), the chain's policy
 * (EC keys on P-256, P-384 or P-521 only; the end-entity not a CA
 * certificate, basicConstraints CA:TRUE, unless it is itself in the CA file;
 * with keyUsage, digitalSignature in it), the identity is bound, the
 * signature verifies with the end-entity's public key.
 * Returns 0 (authenticated), -EBADMSG (malformed or missing certificate,
 * malformed AUTH: truncated, bad AlgorithmIdentifier, bad parameters, wrong
 * r||s length), -EOPNOTSUPP (unsupported AUTH method or signature algorithm,
 * method 1, first CERT not X.509), -EKEYREJECTED (chain not trusted or
 * against the policy; @err holds the X509 verify error string or the rule
 * that failed), -EACCES (IDr not bound to the certificate, or
 * @expected_host not in it), -EPERM (the signature does not verify with the
 * certificate's key, or the key type does not fit the algorithm),
 * -EINVAL, -ENOMEM, -EIO.
 */
int ike_cert_verify_peer(const struct ike_trust *t, const struct ike_cert_blob *certs, unsigned n,
                         uint8_t id_type, const uint8_t *id, size_t id_len,
                         const char *expected_host, uint8_t auth_method, const uint8_t *auth,
                         size_t auth_len, const uint8_t *signed_octets, size_t so_len, char *err,
                         size_t err_len);

/*
 * The identity binding step of ike_cert_verify_peer() on its own, for a
 * certificate of the gateway that arrives elsewhere (the EAP-TLS server
 * certificate): @x must be bound to @id_type / @id / @id_len (rules as above)
 * and, unless @expected_host is NULL, contain @expected_host in its
 * subjectAltName.  The chain is not looked at.
 * Returns 0, -EACCES (not bound, or host missing; @err says which), -EINVAL.
 */
int ike_cert_check_identity(X509 *x, uint8_t id_type, const uint8_t *id, size_t id_len,
                            const char *expected_host, char *err, size_t err_len);

/*
 * The certificate policy of ike_cert_verify_peer() beyond OpenSSL's chain
 * verification, for a chain OpenSSL verified elsewhere (the EAP-TLS server
 * certificate, from the TLS verify callback at depth 0; security level 2 is
 * the TLS context's): EC keys of @ctx's chain on P-256, P-384 or P-521; the
 * certificate verified (X509_STORE_CTX_get0_cert()) no CA certificate
 * unless it is the whole chain (pinned in the CA file), and with
 * digitalSignature when it has keyUsage.
 * Returns 0, -EKEYREJECTED (@err names the rule), -EINVAL.
 */
int ike_cert_check_policy(X509_STORE_CTX *ctx, char *err, size_t err_len);

/* ---- our own certificate ------------------------------------------------------------------- */

struct ike_cred;

/*
 * Load our certificate (PEM; the first certificate of @cert_file) and its
 * private key from @key_file (PEM: PKCS#8, encrypted PKCS#8 or traditional
 * RSA / EC, encrypted ones with @key_password; NULL / "" @key_file: the key
 * is read from @cert_file).  A @key_file that is a PKCS#11 URI
 * ("pkcs11:...", common/uip-pkcs11-uri.h) names a key on a token, with
 * @key_password as its PIN, and then @cert_file may be a PKCS#11 URI too
 * (ike_p11_load() in pkcs11-key.h, whose codes it returns as well: -ELIBACC,
 * -ENODEV, -EACCES wrong PIN, -EKEYREVOKED, -ENOTUNIQ, -ENOKEY no PIN,
 * -ENOENT no such object; -EINVAL for a malformed URI or a certificate URI
 * with a key file).  RSA and EC (P-256, P-384, P-521) keys; the key
 * must be the certificate's.  The password is never prompted for.
 * Returns 0, -ENOENT / -EACCES / other -errno (cannot read a file),
 * -EBADMSG (no certificate or no private key found, malformed),
 * -ENOKEY (the key is encrypted and @key_password is missing or wrong:
 * OpenSSL cannot tell a wrong password from a corrupt encrypted key),
 * -EOPNOTSUPP (key type other than RSA / EC, or another curve),
 * -EKEYREJECTED (the key does not match the certificate), -ENOMEM, -EIO.
 */
int ike_cred_load(const char *cert_file, const char *key_file, const char *key_password,
                  struct ike_cred **out, char *err, size_t err_len);

/* The same, reading both files as the user @as (see ike_trust_new_as()). */
int ike_cred_load_as(const char *cert_file, const char *key_file, const char *key_password,
                     const struct uip_file_owner *as, struct ike_cred **out, char *err,
                     size_t err_len);

/* Another reference. */
struct ike_cred *ike_cred_ref(struct ike_cred *c);


/* Drops a reference; the last frees the key (OpenSSL wipes it). NULL is fine. */
void ike_cred_free(struct ike_cred *c);

/* The certificate in DER for a CERT payload with encoding IKE_CERT_X509_SIG; owned by @c. */
const uint8_t *ike_cred_cert_der(const struct ike_cred *c, size_t *len);

/*
 * A default IDi for the certificate: the first subjectAltName dNSName as
 * IKE_ID_FQDN, else the subject DN in DER as IKE_ID_DER_ASN1_DN.  The data
 * is owned by @c.
 */
void ike_cred_id(const struct ike_cred *c, uint8_t *id_type, const uint8_t **id, size_t *id_len);

/*
 * The identity of ike_cred_id() as text, e.g. for a default EAP identity:
 * the dNSName, or the subject DN in strongSwan's notation ("C=CH, O=Org,
 * CN=name"; RFC 2253 escaping).  g_free() it.  NULL for a NULL @c or when
 * OpenSSL cannot print the DN.
 */
char *ike_cred_id_string(const struct ike_cred *c);

/*
 * Our certificate and private key, for a TLS context (EAP-TLS:
 * SSL_CTX_use_certificate() / SSL_CTX_use_PrivateKey() take their own
 * references).  Owned by @c; NULL for a NULL @c.
 */
X509 *ike_cred_x509(const struct ike_cred *c);
EVP_PKEY *ike_cred_pkey(const struct ike_cred *c);

/*
 * The hash to sign with given the peer's SIGNATURE_HASH_ALGORITHMS
 * (@peer_mask from ike_sig_hash_parse()): EC keys prefer the curve's hash
 * (P-256: SHA-256, P-384: SHA-384, P-521: SHA-512), RSA keys SHA-256; else
 * the strongest of SHA-512, SHA-384, SHA-256 the peer announced.
 * Returns the IKE_HASH_* value, or 0 when the peer announced none of them.
 */
uint16_t ike_cred_choose_hash(const struct ike_cred *c, uint32_t peer_mask);

/*
 * Sign @so (our signed octets: IKE_SA_INIT request | Nr | prf(SK_pi, IDi'))
 * with @hash_alg (IKE_HASH_SHA2_256 / _384 / _512, or 0 for the key's
 * default as in ike_cred_choose_hash()): *@method = IKE_AUTH_DIGITAL_SIGNATURE
 * and *@auth (g_free) = the RFC 7427 AUTH data: the AlgorithmIdentifier
 * length, the AlgorithmIdentifier of RFC 7427 Appendix A
 * (sha*WithRSAEncryption = RSASSA-PKCS1-v1_5 for RSA keys,
 * ecdsa-with-SHA* for EC keys) and the signature (ECDSA: DER Ecdsa-Sig-Value).
 * Returns 0, -EOPNOTSUPP (other @hash_alg), -EINVAL, -ENOMEM, -EIO.
 */
int ike_cred_sign(const struct ike_cred *c, uint16_t hash_alg, const uint8_t *so, size_t so_len,
                  uint8_t *method, uint8_t **auth, size_t *auth_len);

/* ---- SIGNATURE_HASH_ALGORITHMS ------------------------------------------------------------- */

/*
 * Our notify data: the 2-byte hash IDs 2, 3, 4 (SHA2-256/384/512) in
 * network order, IKE_SIG_HASH_DATA_LEN bytes.  *@out_len = bytes written.
 * Returns 0, -ENOSPC (@out_size too small; nothing written), -EINVAL.
 */
int ike_sig_hash_build(uint8_t *out, size_t out_size, size_t *out_len);

/*
 * Parse the peer's notify data: a list of 2-byte hash IDs.  *@mask gets bit
 * (1 << id) for every ID below 32 (unknown IDs are kept as bits, IDs >= 32
 * ignored); an empty list gives 0.
 * Returns 0, -EBADMSG (odd length), -EINVAL.
 */
int ike_sig_hash_parse(const uint8_t *data, size_t len, uint32_t *mask);
