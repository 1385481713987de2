/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-util.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>

/* ---- hex test data ----------------------------------------------------------------------------
 */

/* Decode @hex into @out (at most @max bytes); white space between any two digits is skipped. */
size_t test_unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    int hi = -1;

    for (const char *s = hex; *s; s++) {
        int v;

        if (g_ascii_isspace(*s))
            continue;
        v = g_ascii_xdigit_value(*s);
        g_assert_cmpint(v, >=, 0);
        if (hi < 0) {
            hi = v;
            continue;
        }
        g_assert_cmpuint(n, <, max);
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    g_assert_cmpint(hi, ==, -1);
    return n;
}

/* Decode @hex into a heap buffer of exactly the decoded size (at least one byte). */
uint8_t *test_unhex_dup(const char *hex, size_t *len)
{
    size_t max = strlen(hex) / 2 + 1;
    g_autofree uint8_t *tmp = g_malloc(max);

    *len = test_unhex(hex, tmp, max);
    return g_memdup2(*len ? tmp : (const uint8_t *)"", MAX(*len, 1));
}

/* ---- big-endian fields ------------------------------------------------------------------------
 */

/* 16-bit big-endian read. */
uint16_t test_get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* 32-bit big-endian read. */
uint32_t test_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 16-bit big-endian write. */
void test_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* 32-bit big-endian write. */
void test_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- random data ------------------------------------------------------------------------------
 */

/* Bytes from g_test_rand_int_range(), so a failing run repeats with its --seed. */
void test_random_bytes(uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)g_test_rand_int_range(0, 256);
}

/* ---- OpenSSL allocation hooks: count, and fail on demand --------------------------------------
 */

static bool mem_hooks_installed;
static gint n_allocs;
static gint n_frees;
static gint fail_countdown; /* > 0: the n-th allocation from now fails */

/* True for the allocation that test_mem_fail_after() armed (counting down to it). */
static bool inject_failure(void)
{
    return g_atomic_int_get(&fail_countdown) > 0 && g_atomic_int_dec_and_test(&fail_countdown);
}

/* OpenSSL's malloc: counted, or NULL when the armed failure is due. */
static void *hook_malloc(size_t n, const char *file, int line)
{
    if (inject_failure())
        return NULL;
    g_atomic_int_inc(&n_allocs);
    return malloc(n);
}

/* OpenSSL's realloc: an allocation (and a free of a non-NULL @p), or NULL when due to fail. */
static void *hook_realloc(void *p, size_t n, const char *file, int line)
{
    if (inject_failure())
        return NULL;
    g_atomic_int_inc(&n_allocs);
    if (p)
        g_atomic_int_inc(&n_frees);
    return realloc(p, n);
}

/* OpenSSL's free: counted when @p is not NULL. */
static void hook_free(void *p, const char *file, int line)
{
    if (p)
        g_atomic_int_inc(&n_frees);
    free(p);
}

/* Install the hooks; OpenSSL accepts them only before its first allocation. */
bool test_mem_hooks_install(void)
{
    mem_hooks_installed = CRYPTO_set_mem_functions(hook_malloc, hook_realloc, hook_free) == 1;
    return mem_hooks_installed;
}

/* Whether the hooks are in place. */
bool test_mem_hooks_installed(void)
{
    return mem_hooks_installed;
}

/* Current allocation and free counts (NULL: not wanted). */
void test_mem_counts(int *allocs, int *frees)
{
    if (allocs)
        *allocs = g_atomic_int_get(&n_allocs);
    if (frees)
        *frees = g_atomic_int_get(&n_frees);
}

/* Arm (n > 0) or disarm (0) the failure of the n-th allocation from now. */
void test_mem_fail_after(int n)
{
    g_atomic_int_set(&fail_countdown, n);
}

/* Disarm; true when the armed allocation failure never came. */
bool test_mem_fail_cancel(void)
{
    bool pending = g_atomic_int_get(&fail_countdown) > 0;

    g_atomic_int_set(&fail_countdown, 0);
    return pending;
}
