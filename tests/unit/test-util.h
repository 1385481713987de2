/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the unit tests: hex test data, big-endian fields, OpenSSL allocation hooks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- hex test data ----------------------------------------------------------------------------
 */

/*
 * Hex digits in @hex (white space anywhere ignored) into @out, at most @max
 * bytes.  Asserts on a non-hex character, an odd digit count or overflow.
 * Returns the byte count.
 */
size_t test_unhex(const char *hex, uint8_t *out, size_t max);

/*
 * As test_unhex(), into a heap buffer of exactly the decoded size (one byte
 * when empty) so that ASan sees any overread; g_free() it.  *@len gets the size.
 */
uint8_t *test_unhex_dup(const char *hex, size_t *len);

/* ---- big-endian fields ------------------------------------------------------------------------
 */

/* Read a 16-bit big-endian value at @p. */
uint16_t test_get_be16(const uint8_t *p);

/* Read a 32-bit big-endian value at @p. */
uint32_t test_get_be32(const uint8_t *p);

/* Write @v as 16-bit big-endian at @p. */
void test_put_be16(uint8_t *p, uint16_t v);

/* Write @v as 32-bit big-endian at @p. */
void test_put_be32(uint8_t *p, uint32_t v);

/* ---- random data ------------------------------------------------------------------------------
 */

/* Fill @p with @len bytes from the GLib test PRNG (reproducible with --seed). */
void test_random_bytes(uint8_t *p, size_t len);

/* ---- OpenSSL allocation hooks: count, and fail on demand --------------------------------------
 */

/*
 * Route OpenSSL's malloc/realloc/free through counting hooks.  Call in main()
 * before OpenSSL's first allocation, or OpenSSL refuses; returns whether the
 * hooks are in place (see test_mem_hooks_installed()).
 */
bool test_mem_hooks_install(void);

/* Whether test_mem_hooks_install() succeeded. */
bool test_mem_hooks_installed(void);

/*
 * The number of OpenSSL allocations (malloc, realloc) and frees (free,
 * realloc of a non-NULL pointer) so far; either pointer may be NULL.
 */
void test_mem_counts(int *allocs, int *frees);

/* Make the @n-th OpenSSL allocation from now fail (n > 0); 0 disarms. */
void test_mem_fail_after(int n);

/*
 * Disarm test_mem_fail_after().  Returns true when the armed failure had not
 * fired yet: fewer than n allocations happened since it was armed.
 */
bool test_mem_fail_cancel(void);
