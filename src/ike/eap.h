/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAP peer (RFC 3748) for the IKEv2 initiator's IKE_AUTH exchange, with
 * EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02, RFC 2759) as the only
 * method.
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
 * The Identity round is optional (the gateway may know the identity from IDi).
 * A Request for any other method is answered with a Nak proposing MSCHAPv2
 * (an Expanded Nak for expanded types); Notification requests are
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

/* Positive results of eap_peer_process() (0 = "send *out"). */
enum {
    EAP_DONE_SUCCESS = 1, /* EAP-Success after a verified MSCHAPv2 Success: MSK available */
};

#define EAP_PEER_MSK_LEN          MSCHAPV2_MSK_LEN
#define EAP_PEER_MAX_IDENTITY_LEN 256 /* octets */
#define EAP_PEER_MAX_MESSAGE_LEN  128 /* kept octets of a gateway's M= text */
#define EAP_PEER_MAX_ROUNDS       32  /* requests processed before giving up */

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
 *   EAP_DONE_SUCCESS  EAP-Success after a verified MSCHAPv2 exchange; nothing
 *                     to send; eap_peer_get_msk() now works
 *   -EINVAL           NULL argument (the run is not ended)
 *   -EBADMSG          malformed message: lengths (EAP Length vs. buffer,
 *                     MS-Length vs. EAP Length, Value-Size), unknown code,
 *                     a Nak or Response from the gateway, a Success request
 *                     whose "S=" is not 40 hex digits
 *   -EACCES           authentication failed: MSCHAPv2 Failure request (see
 *                     eap_peer_failure_code/_message()), EAP-Failure,
 *                     EAP-Success before the gateway proved knowledge of the
 *                     password, or a wrong authenticator response (the
 *                     gateway is not who it claims to be)
 *   -EPROTO           well-formed but not acceptable now (e.g. a second
 *                     Challenge, Identity after the method started, an
 *                     MSCHAPv2 opcode out of order, more than
 *                     EAP_PEER_MAX_ROUNDS requests), or the run already ended
 *   -ENOTSUP, -EIO    crypto failure (legacy provider, RAND_bytes, EVP)
 */
int eap_peer_process(struct eap_peer *peer, const uint8_t *in, size_t in_len, uint8_t **out,
                     size_t *out_len);

/*
 * The EAP-MSCHAPv2 MSK (EAP_PEER_MSK_LEN octets, see mschapv2_msk()) for the
 * IKEv2 AUTH payload, once eap_peer_process() returned EAP_DONE_SUCCESS.
 * *msk points into @peer and is valid until eap_peer_free(); do not copy it
 * without wiping the copy.  Returns 0, -EINVAL, -ENODATA (not done yet).
 */
int eap_peer_get_msk(const struct eap_peer *peer, const uint8_t **msk, size_t *msk_len);

/*
 * After -EACCES from an MSCHAPv2 Failure request: the gateway's M= text,
 * printable ASCII only (others replaced by '?'), at most
 * EAP_PEER_MAX_MESSAGE_LEN characters; for logs and the user.  NULL when
 * there was no Failure request or it carried no M= text.
 */
const char *eap_peer_failure_message(const struct eap_peer *peer);

/* The E= code of that Failure request (691 = bad user/password, ...), 0 when none. */
int eap_peer_failure_code(const struct eap_peer *peer);

/* Name of an MS-CHAPv2 E= code ("ERROR_AUTHENTICATION_FAILURE"), "unknown" otherwise. */
const char *eap_mschapv2_error_name(int code);
