/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inner IP packets for the engine tests. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Write an IPv4 (family 4) or IPv6 (6) UDP packet from @src to @dst (text
 * addresses) with @payload_len bytes of a pattern derived from @seed, DF set
 * for IPv4.  Returns its length.  @buf must hold payload_len + 48 bytes.
 */
size_t test_udp_packet(uint8_t *buf, int family, const char *src, const char *dst,
                       uint16_t sport, uint16_t dport, size_t payload_len, uint32_t seed);

/* Internet checksum over @len bytes (0 means valid when the data carries its checksum). */
uint16_t test_csum(const uint8_t *p, size_t len, uint32_t initial);
