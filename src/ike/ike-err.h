/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The optional one-line reason of src/ike's int results (cert-auth.h, pkcs11-key.h): @err /
 * @err_len may be NULL / 0.  Never put key material, passwords or PINs in it.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include <glib.h>

G_GNUC_PRINTF(3, 4)
static inline void ike_set_err(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    if (!err || err_len == 0)
        return;
    va_start(ap, fmt);
    g_vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}
