/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESP tunnel-mode encapsulation and decapsulation of one packet, in place
 * (RFC 4303), with the SA's sequence numbers, replay window and lifetimes.
 */
#pragma once

#include <stdint.h>

#include "engine/crypto-pool.h"
#include "engine/pkt.h"
#include "engine/sa.h"

#define UIP_ESP_NH_IPV4  4
#define UIP_ESP_NH_IPV6  41
#define UIP_ESP_NH_DUMMY 59

/*
 * Turn the inner packet at p->data (p->len bytes) into an ESP packet
 * (SPI .. ICV) in place, using the next sequence number of outbound @sa.
 * Returns 0; -EKEYEXPIRED when @sa is past its hard lifetime or has no
 * sequence numbers left (it then never sends again: the number never wraps);
 * -EMSGSIZE when the packet does not fit the buffer; -EIO on a crypto failure.
 * On failure the packet content is unspecified and must be dropped.
 * Lifetime events raised are ORed into sa->pending_events.
 */
int uip_esp_encap(struct uip_sa *sa, struct uip_pkt *p, uint8_t next_header);

/*
 * uip_esp_encap() without the seal, for the crypto pool: the same results
 * but -EIO, and the seal described in @job (uip_esp_seal() of job->esp with
 * a lane's context seals it; a failed seal drops the packet, its sequence
 * number stays used).
 */
int uip_esp_encap_prepare(struct uip_sa *sa, struct uip_pkt *p, uint8_t next_header,
                          struct uip_crypto_job *job);

/*
 * Read the SPI of the ESP packet at @esp (@len bytes). Returns 0 or -EINVAL
 * when it is too short to be ESP.
 */
int uip_esp_peek_spi(const uint8_t *esp, size_t len, uint32_t *spi);

/*
 * Verify and decrypt the ESP packet at p->data for inbound @sa, in place:
 * on success p->data/p->len is the inner packet and @next_header its type.
 * The replay window is checked before and committed only after the ICV
 * verified.  Returns 0 or why to drop it (see uip_esp_drop_reason()):
 * -EINVAL malformed, -EALREADY/-ESTALE replay, -EBADMSG ICV failure,
 * -EPROTO bad padding, -EKEYEXPIRED hard-expired SA, -EIO crypto failure.
 * On failure the SA's state is unchanged.
 */
int uip_esp_decap(struct uip_sa *sa, struct uip_pkt *p, uint8_t *next_header);

/*
 * uip_esp_decap() in halves around the open, for the crypto pool: _prepare
 * checks the lengths and the replay window (nothing changes) and describes
 * the open in @job with the full sequence number in @seq; once the job
 * succeeded, _finish checks the padding and commits @seq (-EALREADY when a
 * copy of the packet earlier in the batch took it), and the results are
 * uip_esp_decap()'s.
 */
int uip_esp_decap_prepare(struct uip_sa *sa, struct uip_pkt *p, uint64_t *seq,
                          struct uip_crypto_job *job);
int uip_esp_decap_finish(struct uip_sa *sa, struct uip_pkt *p, uint64_t seq,
                         uint8_t *next_header);

/* Map a uip_esp_encap/decap error to the drop counter it belongs to. */
enum uip_drop uip_esp_drop_reason(int err);
