/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-CHAPv2 primitives (RFC 2759) and the MPPE key derivation (RFC 3079)
 * that EAP-MSCHAPv2 uses for its MSK, through OpenSSL 3 EVP.
 *
 * MD4 and single DES live only in OpenSSL 3's "legacy" provider.  They are
 * fetched from a private OSSL_LIB_CTX holding the legacy and default
 * providers, so the rest of the process (and its default library context)
 * never sees the legacy algorithms.  Every function fails with -ENOTSUP when
 * that provider cannot be loaded (libssl3 ships it as ossl-modules/legacy.so).
 *
 * Flow on the peer (client) side, per Challenge from the authenticator:
 *   password (UTF-8) -> UTF-16LE -> MD4                     = PasswordHash
 *   SHA1(PeerChallenge | AuthChallenge | user)[0..7]        = Challenge
 *   DES(Challenge) under the 3 keys cut from PasswordHash   = NT-Response
 *   MD4(PasswordHash)                                       = PasswordHashHash
 *   SHA1(SHA1(PHH | NT-Response | magic) | Challenge | magic) = "S=" auth response
 *   SHA1(PHH | NT-Response | magic)[0..15]                  = MasterKey (RFC 3079)
 *   MSK = client send key | client receive key | 32 zero bytes (64 bytes)
 *
 * Every function returns 0 or a negative errno-style code; out-parameters are
 * written only on success.  Nothing here logs a secret.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSCHAPV2_CHALLENGE_LEN      16 /* AuthenticatorChallenge, PeerChallenge */
#define MSCHAPV2_CHALLENGE_HASH_LEN 8  /* ChallengeHash output */
#define MSCHAPV2_HASH_LEN           16 /* PasswordHash, PasswordHashHash */
#define MSCHAPV2_NT_RESPONSE_LEN    24
#define MSCHAPV2_AUTH_RESPONSE_LEN  42 /* "S=" + 40 hex digits, without NUL */
#define MSCHAPV2_MASTER_KEY_LEN     16
#define MSCHAPV2_START_KEY_LEN      16 /* 128-bit MPPE start key */
#define MSCHAPV2_MSK_LEN            64
#define MSCHAPV2_MAX_PASSWORD_CHARS 256 /* UTF-16 code units (RFC 2759 0-to-256-unicode-char) */
#define MSCHAPV2_MAX_USERNAME_LEN   256 /* octets (RFC 2759 0-to-256-char UserName) */

/*
 * NtPasswordHash (RFC 2759 8.3): MD4 over the UTF-16LE form of @password,
 * which is UTF-8 and at most MSCHAPV2_MAX_PASSWORD_CHARS UTF-16 code units.
 * Returns 0, -EINVAL (NULL, invalid UTF-8, too long), -ENOTSUP (no MD4),
 * -EIO (OpenSSL failure).
 */
int mschapv2_nt_password_hash(const char *password, uint8_t hash[MSCHAPV2_HASH_LEN]);

/* HashNtPasswordHash (RFC 2759 8.4): MD4(@hash). Returns 0, -EINVAL, -ENOTSUP, -EIO. */
int mschapv2_hash_nt_password_hash(const uint8_t hash[MSCHAPV2_HASH_LEN],
                                   uint8_t hash_hash[MSCHAPV2_HASH_LEN]);

/*
 * The part of @name that goes into ChallengeHash: what follows the first
 * backslash ("DOMAIN\user" -> "user"), else @name itself.  Points into @name.
 */
const char *mschapv2_strip_domain(const char *name);

/*
 * ChallengeHash (RFC 2759 8.2): first 8 octets of
 * SHA1(@peer_challenge | @auth_challenge | user name without domain).
 * @username is the full name as sent (domain stripped here); at most
 * MSCHAPV2_MAX_USERNAME_LEN octets.  Returns 0, -EINVAL, -EIO.
 */
int mschapv2_challenge_hash(const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                            const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                            const char *username, uint8_t challenge[MSCHAPV2_CHALLENGE_HASH_LEN]);

/*
 * ChallengeResponse (RFC 2759 8.5): @password_hash zero-padded to 21 octets,
 * cut into three 7-octet DES keys (parity added), each DES-ECB-encrypting
 * @challenge.  Returns 0, -EINVAL, -ENOTSUP (no DES), -EIO.
 */
int mschapv2_challenge_response(const uint8_t challenge[MSCHAPV2_CHALLENGE_HASH_LEN],
                                const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                                uint8_t response[MSCHAPV2_NT_RESPONSE_LEN]);

/*
 * GenerateNTResponse (RFC 2759 8.1), taking the NtPasswordHash of the password
 * (computed once with mschapv2_nt_password_hash()) instead of the password.
 * Returns 0, -EINVAL, -ENOTSUP, -EIO.
 */
int mschapv2_generate_nt_response(const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                  const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                  const char *username,
                                  const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                                  uint8_t response[MSCHAPV2_NT_RESPONSE_LEN]);

/*
 * GenerateAuthenticatorResponse (RFC 2759 8.7), taking the NtPasswordHash:
 * writes "S=" + 40 uppercase hex digits + NUL to @out.
 * Returns 0, -EINVAL, -ENOTSUP, -EIO.
 */
int mschapv2_generate_authenticator_response(const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                                             const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                                             const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                             const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                             const char *username,
                                             char out[MSCHAPV2_AUTH_RESPONSE_LEN + 1]);

/*
 * CheckAuthenticatorResponse (RFC 2759 8.8): compares @received
 * (@received_len octets, not necessarily NUL-terminated, hex digits in either
 * case) with @expected as written by mschapv2_generate_authenticator_response(),
 * in constant time over the 20 decoded octets.
 * Returns 0 (match), -EACCES (mismatch), -EBADMSG (@received is not "S=" and
 * exactly 40 hex digits), -EINVAL (NULL or malformed @expected).
 */
int mschapv2_check_authenticator_response(const char *expected, const char *received,
                                          size_t received_len);

/*
 * GetMasterKey (RFC 3079 3.4): first 16 octets of
 * SHA1(@password_hash_hash | @nt_response | "This is the MPPE Master Key").
 * Returns 0, -EINVAL, -EIO.
 */
int mschapv2_get_master_key(const uint8_t password_hash_hash[MSCHAPV2_HASH_LEN],
                            const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                            uint8_t master_key[MSCHAPV2_MASTER_KEY_LEN]);

/*
 * GetAsymmetricStartKey (RFC 3079 3.4): the first @key_len (1..20; 8 for
 * 40/56-bit, 16 for 128-bit MPPE) octets of
 * SHA1(@master_key | 40 x 0x00 | magic | 40 x 0xf2), where magic is the
 * "send key on the client side" string when (@is_send != @is_server), else
 * the "receive key on the client side" string.
 * Returns 0, -EINVAL, -EIO.
 */
int mschapv2_get_asymmetric_start_key(const uint8_t master_key[MSCHAPV2_MASTER_KEY_LEN],
                                      uint8_t *key, size_t key_len, bool is_send, bool is_server);

/*
 * The EAP-MSCHAPv2 MSK as strongSwan, Windows and hostapd use it for IKEv2:
 * MasterReceiveKey | MasterSendKey from the authenticator's point of view
 * (= the peer's send key | the peer's receive key), 16 octets each, followed
 * by 32 zero octets: 64 octets.  Computed from the NtPasswordHash and the
 * NT-Response.  Returns 0, -EINVAL, -ENOTSUP, -EIO.
 */
int mschapv2_msk(const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                 const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                 uint8_t msk[MSCHAPV2_MSK_LEN]);
