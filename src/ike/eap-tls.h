/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAP-TLS peer method (RFC 5216; RFC 9190 for TLS 1.3) for the EAP peer
 * (eap.h): OpenSSL 3 SSL over memory BIOs, TLS 1.2 and 1.3, our certificate
 * and key from an ike_cred, the gateway's certificate chain verified against
 * an ike_trust store and bound to the gateway's identity.
 *
 * The EAP peer hands in the Type-Data of each EAP-Request/EAP-TLS (Flags,
 * optional TLS Message Length, TLS data) and sends back the EAP-Response this
 * produces.  A successful TLS 1.2 run (TLS 1.3 in brackets):
 *
 *   gateway                                   peer
 *   Start (S)                        ->       ClientHello
 *   ServerHello .. ServerHelloDone   ->       Certificate .. Finished
 *   [ServerHello .. Finished]                 [Certificate .. Finished]
 *   ChangeCipherSpec, Finished       ->       empty response
 *   [NewSessionTicket.., 0x00 data]  ->       [empty response]
 *   EAP-Success                      ->       eap_tls_finished(): MSK
 *
 * Messages larger than the fragment size are sent in fragments (L and M
 * flags; each answered by an empty request from the gateway), and fragmented
 * gateway messages are reassembled (each fragment answered with an empty
 * response) up to EAP_TLS_MAX_MESSAGE_LEN octets.  With TLS 1.3 the gateway
 * must send the protected success indication (one octet 0x00 of application
 * data, RFC 9190 2.5) before the run counts as finished.
 *
 * MSK: the first 64 octets of TLS-Exporter("client EAP encryption", no
 * context, 128) for TLS 1.2 (RFC 5216 2.3), of
 * TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", 0x0D, 128) for TLS 1.3
 * (RFC 9190 2.3).
 *
 * Return codes: 0 or a negative errno-style code; out-parameters are written
 * only on 0.  Every negative result of eap_tls_process() except -EINVAL ends
 * the run (later calls return -EPROTO).  No TLS alert is sent back when we
 * refuse the gateway: the IKE layer tears the IKE SA down.  Nothing secret is
 * logged; the MSK is wiped on free.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike_cred;
struct ike_trust;
struct eap_tls;

#define EAP_TLS_FRAGMENT_SIZE   1024 /* TLS octets per EAP-Response we send (as strongSwan) */
#define EAP_TLS_MIN_FRAGMENT    16   /* smallest eap_tls_set_fragment_size() */
#define EAP_TLS_MAX_MESSAGE_LEN (64 * 1024) /* a reassembled TLS message from the gateway */
#define EAP_TLS_MSK_LEN         64

/* Flags octet of EAP-TLS (RFC 5216 3.1) */
#define EAP_TLS_FLAG_LENGTH 0x80 /* L: a 4-octet TLS Message Length follows */
#define EAP_TLS_FLAG_MORE   0x40 /* M: more fragments follow */
#define EAP_TLS_FLAG_START  0x20 /* S: EAP-TLS Start */

/*
 * Create the method with our certificate and key (@cred) and the trust
 * anchors for the gateway's certificate (@trust).  Both must outlive the
 * object only until this returns: OpenSSL keeps its own references.
 * Returns 0, -EINVAL, -ENOMEM, -EIO (OpenSSL refused the key or the context).
 */
int eap_tls_new(const struct ike_cred *cred, const struct ike_trust *trust, struct eap_tls **out);

/* Wipe the MSK and free everything. NULL is fine. */
void eap_tls_free(struct eap_tls *t);

/* Tag the log lines with the IKE SA's initiator SPI. */
void eap_tls_set_spi(struct eap_tls *t, uint64_t spi);

/*
 * The most TLS octets we put in one EAP-Response (default
 * EAP_TLS_FRAGMENT_SIZE).  Returns 0, -EINVAL (NULL, or outside
 * EAP_TLS_MIN_FRAGMENT..EAP_TLS_FRAGMENT_SIZE).
 */
int eap_tls_set_fragment_size(struct eap_tls *t, size_t size);

/*
 * The identity the gateway's TLS certificate must be bound to: the IDr the
 * gateway authenticated with in IKE (type IKE_ID_*, data as in the IDr
 * payload), and, unless @expected_host is NULL, the gateway's address or DNS
 * name, which its subjectAltName must contain: the rules of
 * ike_cert_check_identity().  Must be set before the gateway's certificate
 * arrives, or the certificate is refused.  Copied.
 * Returns 0, -EINVAL (NULL, empty or longer than 1024 octets).
 */
int eap_tls_set_server_id(struct eap_tls *t, uint8_t id_type, const uint8_t *id, size_t id_len,
                          const char *expected_host);

/*
 * Process the Type-Data (@data / @data_len: Flags, [TLS Message Length], TLS
 * data; the EAP header and Type octet already removed and checked) of an
 * EAP-Request/EAP-TLS with Identifier @identifier.
 * Returns
 *   0               *out (g_malloc'd, g_free) / *out_len: the whole
 *                   EAP-Response/EAP-TLS to send, Identifier @identifier:
 *                   TLS data (possibly one fragment), or an empty response
 *                   (acknowledging a fragment, or the final one)
 *   -EINVAL         NULL argument (the run is not ended)
 *   -EBADMSG        malformed EAP-TLS framing: no Flags octet, L flag without
 *                   4 length octets, TLS Message Length shorter than the
 *                   fragment or than the fragments received, a first fragment
 *                   (M) without L, a later fragment announcing another
 *                   length, a last fragment short of it, an empty fragment,
 *                   a Start with data or with L/M
 *   -EMSGSIZE       TLS Message Length above EAP_TLS_MAX_MESSAGE_LEN
 *   -EPROTO         well-formed but wrong now: no Start first, a second
 *                   Start, data while our message is being fragmented, an
 *                   acknowledgement with nothing to acknowledge, TLS records
 *                   OpenSSL refuses (malformed or unexpected), application
 *                   data other than the TLS 1.3 success indication,
 *                   close_notify before it; or the run already ended
 *   -EKEYREJECTED   the gateway's certificate chain is not trusted
 *   -EACCES         the gateway's certificate is not bound to the expected
 *                   identity (or none was set), or the gateway sent a TLS
 *                   alert (it refused our certificate, ...)
 *   -ENOMEM, -EIO   allocation / OpenSSL failure
 * eap_tls_failure_reason() tells more after a negative result.
 */
int eap_tls_process(struct eap_tls *t, uint8_t identifier, const uint8_t *data, size_t data_len,
                    uint8_t **out, size_t *out_len);

/*
 * Whether the run may end with EAP-Success: the handshake finished with the
 * gateway's certificate verified and bound, our last message completely sent,
 * and for TLS 1.3 the protected success indication received.  The MSK is
 * available exactly then.
 */
bool eap_tls_finished(const struct eap_tls *t);

/*
 * The MSK (EAP_TLS_MSK_LEN octets) once eap_tls_finished(); *msk points into
 * @t.  Returns 0, -EINVAL, -ENODATA (not finished).
 */
int eap_tls_get_msk(const struct eap_tls *t, const uint8_t **msk, size_t *msk_len);

/* After a negative result: a one-line reason for logs and users (no secrets); else NULL. */
const char *eap_tls_failure_reason(const struct eap_tls *t);

/* The negotiated protocol ("TLSv1.2", "TLSv1.3") once the handshake finished; else NULL. */
const char *eap_tls_version_name(const struct eap_tls *t);
