/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SA payloads as real gateways send them, written in strongSwan's log syntax
 * ("IKE:AES_CBC_128/HMAC_SHA2_256_128/..., IKE:..."), turned into the SA
 * payload body byte for byte (proposal and transform substructures, Key
 * Length attributes), including transforms this project does not implement.
 * Shared by the proposal tests and the fake gateway of the session tests.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * Verbatim from a Debian 12 strongSwan 5.9.8 gateway left at
 * 'proposals = default' and 'esp_proposals = default' (its charon log,
 * "configured proposals: ..." when it sent its own IKE_SA and CHILD_SA rekeys,
 * with the openssl plugin loaded): two IKE proposals of 34 and 36 transforms,
 * two ESP proposals.
 */
extern const char test_sw_default_ike[];
extern const char test_sw_default_esp[];

/* Append one transform substructure (with a TV Key Length attribute when @keylen). */
void test_put_transform(GByteArray *a, uint8_t type, uint16_t id, uint16_t keylen, bool last);

/*
 * The body of an SA payload with the proposals of @list ("IKE:A/B/C, ESP:..."),
 * numbered from 1, each with the @spi_len bytes of @spi as its SPI (@spi NULL:
 * 0x11, 0x12, ...).  Aborts on a transform name it does not know.
 */
GByteArray *test_sa_body(const char *list, const uint8_t *spi, uint8_t spi_len);
