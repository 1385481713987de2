/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAP peer (RFC 3748) for the IKEv2 initiator's IKE_AUTH exchange, with one
 * configured method: EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02,
 * RFC 2759; eap_peer_new()) or EAP-TLS (RFC 5216, RFC 9190; eap_peer_new_tls(),
 * the method itself in eap-tls.h).
 *
 * The IKE layer hands in the body of each EAP payload received from the
 * gateway and sends back what eap_peer_process() produces in the EAP payload
 * of its next IKE_AUTH request.  A successful run looks like:
 *
 *   gateway                              peer
 *   Request/Identity           ->        Response/Identity (configured identity)
 *   Request/MSCHAPv2 Challenge ->        Response/MSCHAPv2 Response
 *                                          (PeerChallenge, NT-Response, Name)
 *   Request/MSCHAPv2 Success   ->        verify "S=", Response/MSCHAPv2 Success
 *   EAP-Success                ->        EAP_DONE_SUCCESS; MSK for the AUTH payload
 *
 * With EAP-TLS the requests after the Identity round are EAP-TLS ones (see
 * eap-tls.h); EAP-Success is accepted only once the TLS handshake finished
 * with the gateway's certificate verified and bound to the identity given to
 * eap_peer_set_server_id() (and, with TLS 1.3, after the protected success
 * indication); the MSK is then the EAP-TLS one.
 *
 * The Identity round is optional (the gateway may know the identity from IDi).
 * A Request for any other method (MSCHAPv2 when EAP-TLS is configured and
 * vice versa) is answered with a Nak proposing the configured method (an
 * Expanded Nak for expanded types); Notification requests are
 * acknowledged.  The peer never retries nor changes passwords: an MSCHAPv2
 * Failure request ends the run with -EACCES and no Failure response is sent
 * (as strongSwan's and Windows' clients do), the caller tears the IKE SA down.
 *
 * Return codes follow src/ike conventions: 0 or a positive status, or a
 * negative errno-style code; out-parameters are written only when 0 is
 * returned.  Every negative result except -EINVAL ends the run: later calls
 * return -EPROTO.  Nothing secret is logged; the password is hashed at
 * creation (the copy wiped at once) and all key material is wiped on free.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ike/mschapv2.h"

struct eap_peer;
struct ike_cred;
struct ike_trust;

/* Positive results of eap_peer_process() (0 = "send *out"). */
enum {
    EAP_DONE_SUCCESS = 1, /* EAP-Success, the method authenticated the gateway: MSK ready */
};

#define EAP_PEER_MSK_LEN          MSCHAPV2_MSK_LEN /* = EAP_TLS_MSK_LEN, 64 */
#define EAP_PEER_MAX_IDENTITY_LEN 256              /* octets */
#define EAP_PEER_MAX_MESSAGE_LEN  128              /* kept octets of a gateway's M= text */
#define EAP_PEER_MAX_ROUNDS       32  /* requests processed before giving up (MSCHAPv2) */
#define EAP_PEER_MAX_ROUNDS_TLS   128 /* the same for EAP-TLS: fragments count */

/*
 * Create a peer.  @identity is what an EAP-Identity request is answered with;
 * @username is the MSCHAPv2 Name ("DOMAIN\user" allowed: the domain is left
 * out of the challenge hash only).  Either may be NULL to use the other; the
 * one used must be 1..EAP_PEER_MAX_IDENTITY_LEN (identity) or
 * 1..MSCHAPV2_MAX_USERNAME_LEN (username) octets.  @password is UTF-8, at most
 * MSCHAPV2_MAX_PASSWORD_CHARS UTF-16 units; only its NtPasswordHash is kept.
 * Returns 0, -EINVAL (bad argument), -ENOTSUP (OpenSSL legacy provider with
 * MD4/DES not available), -EIO (OpenSSL failure).
 */
int eap_peer_new(const char *identity, const char *username, const char *password,
                 struct eap_peer **out);

/*
 * Create a peer for EAP-TLS.  @identity (1..EAP_PEER_MAX_IDENTITY_LEN octets)
 * answers an EAP-Identity request; @cred is our certificate and key, @trust
 * the anchors for the gateway's TLS certificate (OpenSSL keeps its own
 * references: both may be freed after this returns).
 * Returns 0, -EINVAL (bad argument), -ENOMEM, -EIO (OpenSSL failure).
 */
int eap_peer_new_tls(const char *identity, const struct ike_cred *cred,
                     const struct ike_trust *trust, struct eap_peer **out);

/*
 * EAP-TLS: the identity the gateway's TLS certificate must be bound to, see
 * eap_tls_set_server_id(): the IDr it authenticated with in IKE and, when no
 * remote identity is configured, its address or DNS name (@expected_host).
 * Call it once the gateway's IKE certificate verified, before the first
 * EAP-TLS request.  A no-op for MSCHAPv2 (which proves the gateway through
 * its authenticator response).  Returns 0, -EINVAL.
 */
int eap_peer_set_server_id(struct eap_peer *peer, uint8_t id_type, const uint8_t *id, size_t id_len,
                           const char *expected_host);

/* Wipe all secrets and free. NULL is fine. */
void eap_peer_free(struct eap_peer *peer);

/* Tag the peer's log lines with the IKE SA's initiator SPI. */
void eap_peer_set_spi(struct eap_peer *peer, uint64_t spi);

/*
 * Process one EAP message from the gateway (@in: @in_len octets, the EAP
 * payload body; octets beyond the EAP Length field are ignored as padding,
 * RFC 3748 4).
 * Returns
 *   0                 *out (g_malloc'd, free with g_free) / *out_len is the
 *                     EAP Response to send in the next IKE_AUTH request
 *   EAP_DONE_SUCCESS  EAP-Success after a verified MSCHAPv2 exchange or a
 *                     finished EAP-TLS one; nothing to send;
 *                     eap_peer_get_msk() now works
 *   -EINVAL           NULL argument (the run is not ended)
 *   -EBADMSG          malformed message: lengths (EAP Length vs. buffer,
 *                     MS-Length vs. EAP Length, Value-Size), unknown code,
 *                     a Nak or Response from the gateway, a Success request
 *                     whose "S=" is not 40 hex digits, EAP-TLS framing (see
 *                     eap_tls_process())
 *   -EMSGSIZE         EAP-TLS: a TLS message above EAP_TLS_MAX_MESSAGE_LEN
 *   -EACCES           authentication failed: MSCHAPv2 Failure request (see
 *                     eap_peer_failure_code/_message()), EAP-Failure,
 *                     EAP-Success before the gateway proved knowledge of the
 *                     password or before the EAP-TLS run finished, a wrong
 *                     authenticator response (the gateway is not who it
 *                     claims to be), a TLS certificate of the gateway not
 *                     bound to its identity, a TLS alert from the gateway
 *   -EKEYREJECTED     EAP-TLS: the gateway's TLS certificate is not trusted
 *   -EPROTO           well-formed but not acceptable now (e.g. a second
 *                     Challenge, Identity after the method started, an
 *                     MSCHAPv2 opcode out of order, EAP-TLS out of order or
 *                     TLS records refused, more than EAP_PEER_MAX_ROUNDS(_TLS)
 *                     requests), or the run already ended
 *   -ENOTSUP, -EIO, -ENOMEM  crypto failure (legacy provider, RAND_bytes, EVP, TLS)
 */
int eap_peer_process(struct eap_peer *peer, const uint8_t *in, size_t in_len, uint8_t **out,
                     size_t *out_len);

/*
 * The MSK (EAP_PEER_MSK_LEN octets: mschapv2_msk() or the EAP-TLS MSK of
 * eap-tls.h) for the IKEv2 AUTH payload, once eap_peer_process() returned
 * EAP_DONE_SUCCESS.
 * *msk points into @peer and is valid until eap_peer_free(); do not copy it
 * without wiping the copy.  Returns 0, -EINVAL, -ENODATA (not done yet).
 */
int eap_peer_get_msk(const struct eap_peer *peer, const uint8_t **msk, size_t *msk_len);

/*
 * After -EACCES from an MSCHAPv2 Failure request: the gateway's M= text,
 * printable ASCII only (others replaced by '?'), at most
 * EAP_PEER_MAX_MESSAGE_LEN characters; for logs and the user.  NULL when
 * there was no Failure request or it carried no M= text.  EAP-TLS: after a
 * failure of the method, its reason (eap_tls_failure_reason()); after an
 * early EAP-Success, why it was refused; else NULL.
 */
const char *eap_peer_failure_message(const struct eap_peer *peer);

/* The E= code of that Failure request (691 = bad user/password, ...), 0 when none. */
int eap_peer_failure_code(const struct eap_peer *peer);

/* Name of an MS-CHAPv2 E= code ("ERROR_AUTHENTICATION_FAILURE"), "unknown" otherwise. */
const char *eap_mschapv2_error_name(int code);

/*
 * For the methods (eap-tls.c): a zeroed EAP-Response with Identifier
 * @identifier, Type @type and @data_len octets after the Type octet, which
 * the caller fills; *len is its whole length (at most 65535: asserted).
 * Free with g_free.
 */
uint8_t *eap_response_new(uint8_t identifier, uint8_t type, size_t data_len, size_t *len);
