/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "common/uip-secret.h"

#include <string.h>
#include <openssl/crypto.h>

void uip_wipe(void *p, size_t len)
{
    if (p && len)
        OPENSSL_cleanse(p, len);
}

void uip_free_secret(void *p, size_t len)
{
    if (!p)
        return;
    uip_wipe(p, len);
    g_free(p);
}

void uip_free_secret_str(char *s)
{
    if (!s)
        return;
    uip_free_secret(s, strlen(s));
}
