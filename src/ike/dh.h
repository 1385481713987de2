/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKEv2 key exchange (the KE payload's "Key Exchange Data" and g^ir), all
 * through OpenSSL 3 EVP_PKEY.
 *
 *   group 31 Curve25519 (RFC 8031):  public value = 32-byte u-coordinate,
 *                                    g^ir = 32 bytes, never all-zero
 *   group 19/20 ECP-256/384 (RFC 5903): public value = x || y (no 0x04 prefix),
 *                                    g^ir = x coordinate of the shared point
 *   group 14/15/16 MODP-2048/3072/4096 (RFC 3526 primes, g = 2, RFC 7296 3.4):
 *                                    public value and g^ir big-endian, left-padded
 *                                    with zeros to the length of the prime
 *
 * Flow: ike_dh_new() when building the KE payload (IKE_SA_INIT or
 * CREATE_CHILD_SA with PFS) -> ike_dh_public() into the payload ->
 * ike_dh_compute() with the peer's KE data -> g^ir into ike-crypto.c
 * (SKEYSEED / KEYMAT) -> uip_free_secret() on g^ir, ike_dh_free() on the key.
 *
 * Every function returns 0 or a negative errno-style code; on failure the
 * out-parameters are left untouched.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_DH_MAX_PUBLIC_LEN 512 /* MODP-4096 */

struct ike_dh;

/* Whether @group (IKE_KE_*) is one this module implements. */
bool ike_dh_supported(uint16_t group);

/* Length of the KE payload's key exchange data for @group; 0 if unsupported. */
size_t ike_dh_public_len(uint16_t group);

/* Length of g^ir for @group; 0 if unsupported. */
size_t ike_dh_secret_len(uint16_t group);

/*
 * OpenSSL's first-use work for every group: a throwaway key pair of the
 * elliptic ones (cheap), the key management of the MODP ones (no key: too
 * slow to spend ahead).  See ike_crypto_warm_up().
 */
void ike_dh_warm_up(void);

/*
 * Generate an ephemeral key pair for @group.
 * Returns 0, -EOPNOTSUPP (group not supported), -EINVAL (@out NULL),
 * -ENOMEM, -EIO (OpenSSL failure).
 */
int ike_dh_new(uint16_t group, struct ike_dh **out);

/*
 * Test-only: a key pair from a known private value, for known-answer tests.
 * Curve25519: the 32-byte scalar as in RFC 7748; ECP: the big-endian private
 * scalar of exactly the field length (32 / 48 bytes). MODP groups are not
 * supported here (OpenSSL 3.0 does not derive a DH public key on import).
 * Returns 0, -EOPNOTSUPP, -EINVAL (bad length or scalar), -ENOMEM, -EIO.
 * Never use this in the protocol: IKE key exchange keys are ephemeral.
 */
int ike_dh_new_from_private(uint16_t group, const uint8_t *priv, size_t priv_len,
                            struct ike_dh **out);

/* The group the key belongs to (IKE_KE_*). */
uint16_t ike_dh_group(const struct ike_dh *dh);

/*
 * Our public value in KE payload encoding.  *@pub points into @dh and stays
 * valid until ike_dh_free().  Returns 0 or -EINVAL (NULL argument).
 */
int ike_dh_public(const struct ike_dh *dh, const uint8_t **pub, size_t *len);

/*
 * Validate the peer's public value and compute g^ir.  The peer value must
 * have exactly ike_dh_public_len() bytes; ECP points must be on the curve;
 * MODP values must satisfy 1 < y < p-1 (and lie in the prime-order subgroup);
 * a Curve25519 result must not be all-zero.
 * On success *@secret is a new buffer of *@secret_len bytes (ike_dh_secret_len())
 * that the caller must release with uip_free_secret(*secret, *secret_len).
 * Returns 0, -EINVAL (NULL argument), -EBADMSG (invalid peer value),
 * -ENOMEM, -EIO (OpenSSL failure).
 */
int ike_dh_compute(struct ike_dh *dh, const uint8_t *peer, size_t len, uint8_t **secret,
                   size_t *secret_len);

/* Free the key pair; OpenSSL wipes the private key. NULL is fine. */
void ike_dh_free(struct ike_dh *dh);
