/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internet checksum (RFC 1071) helpers for the packets the engine writes or
 * rewrites itself: ICMP errors, TSO segments, GRO super-packets.
 *
 * A "partial" sum is an unfolded ones' complement sum of big-endian 16-bit
 * words; uip_csum_fold() folds it and returns its complement, ready to store.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/uip-be.h" /* uip_get16() ..., used with these sums */

/* Add @len bytes at @p to the partial sum @sum. */
uint32_t uip_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* Fold to 16 bits, without the final complement. */
uint16_t uip_csum_fold_nocomp(uint32_t sum);

/* Fold and complement: the value to store in a checksum field. */
static inline uint16_t uip_csum_fold(uint32_t sum)
{
    return (uint16_t)~uip_csum_fold_nocomp(sum);
}

/* Partial sum of the TCP/UDP pseudo-header of @family with @l4_len bytes of @proto. */
uint32_t uip_csum_pseudo(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
                         uint32_t l4_len);

