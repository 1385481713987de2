/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the PKCS#11 URI parser (src/common/uip-pkcs11-uri.c)
 * as the settings validation uses it for user-key / user-cert.
 *
 * Input: the URI (a NUL byte ends it early; "pkcs11:" is put in front when
 * byte 0 is odd, so that most inputs reach the attribute parser).  Aborts
 * when the parser and the settings validation disagree, when a refusal has
 * no message, when a success leaves a text attribute that is empty or not
 * printable UTF-8, an id of length 0, or a module-path that is not absolute.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "common/uip-pkcs11-uri.h"
#include "common/uip-settings.h"

static void check_text(const char *t)
{
    if (!t)
        return;
    if (!t[0] || !g_utf8_validate(t, -1, NULL))
        abort();
    for (const char *p = t; *p; p = g_utf8_next_char(p))
        if (!g_unichar_isprint(g_utf8_get_char(p)))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    struct uip_pkcs11_uri u;
    gboolean ok, valid;

    if (size == 0 || size > 8192)
        return 0;
    text = g_strdup_printf("%s%.*s", (data[0] & 1) ? UIP_PKCS11_SCHEME : "", (int)(size - 1),
                           (const char *)data + 1);
    ok = uip_pkcs11_uri_parse(text, &u, &e1);
    if (ok == (e1 != NULL) || (e1 && !e1->message[0]))
        abort();
    if (ok) {
        check_text(u.token);
        check_text(u.manufacturer);
        check_text(u.serial);
        check_text(u.model);
        check_text(u.object);
        check_text(u.module_path);
        if ((u.id && u.id_len == 0) || (!u.id && u.id_len) ||
            (u.module_path && u.module_path[0] != '/'))
            abort();
    }
    uip_pkcs11_uri_clear(&u);
    /* the settings take exactly the URIs the parser takes (a path aside) */
    valid = uip_settings_validate_one(UIP_KEY_USER_KEY, text, &e2);
    if (uip_pkcs11_is_uri(text) && valid != ok)
        abort();
    return 0;
}
