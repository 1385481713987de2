/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wiping helpers for secrets: PSKs, passwords, private keys and every derived
 * key.  Plain memset() may be optimised away; these may not.
 */
#pragma once

#include <stddef.h>
#include <glib.h>

/* Overwrite @len bytes at @p with zeros in a way the compiler keeps. */
void uip_wipe(void *p, size_t len);

/* Wipe @len bytes, then g_free(). NULL is fine. */
void uip_free_secret(void *p, size_t len);

/* Wipe a NUL-terminated string up to its terminator, then g_free(). NULL is fine. */
void uip_free_secret_str(char *s);
