/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PKCS#11 URI parsing (RFC 7512; see uip-pkcs11-uri.h).
 *
 * "pkcs11:" path ["?" query]: the path is ';'-separated name=value pairs,
 * the query '&'-separated ones; each value is percent-decoded, then checked
 * (text attributes: printable UTF-8; id: any bytes).  The whole URI is
 * parsed before anything is kept.
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "common/uip-pkcs11-uri.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#define URI_MAX 4095 /* as the path settings */

/* clang-format off */
G_DEFINE_QUARK(uip-pkcs11-uri-error-quark, uip_pkcs11_uri_error)
/* clang-format on */

gboolean uip_pkcs11_is_uri(const char *s)
{
    return s && g_ascii_strncasecmp(s, UIP_PKCS11_SCHEME, strlen(UIP_PKCS11_SCHEME)) == 0;
}

void uip_pkcs11_uri_clear(struct uip_pkcs11_uri *u)
{
    if (!u)
        return;
    g_free(u->token);
    g_free(u->manufacturer);
    g_free(u->serial);
    g_free(u->model);
    g_free(u->object);
    g_free(u->id);
    g_free(u->module_path);
    memset(u, 0, sizeof(*u));
}

/* %XX decoding of @len bytes; NULL when a '%' is not followed by two hex digits. */
static GBytes *pct_decode(const char *s, size_t len)
{
    GByteArray *b = g_byte_array_sized_new((guint)len);

    for (size_t i = 0; i < len; i++) {
        guint8 c = (guint8)s[i];

        if (c == '%') {
            int hi = i + 2 < len ? g_ascii_xdigit_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? g_ascii_xdigit_value(s[i + 2]) : -1;

            if (hi < 0 || lo < 0) {
                g_byte_array_unref(b);
                return NULL;
            }
            c = (guint8)(hi << 4 | lo);
            i += 2;
        }
        g_byte_array_append(b, &c, 1);
    }
    return g_byte_array_free_to_bytes(b);
}

static gboolean bad(GError **error, const char *reason)
{
    /* TRANSLATORS: %s says what is wrong in a PKCS#11 URI (pkcs11:token=...;object=...) */
    g_set_error(error, UIP_PKCS11_URI_ERROR, 0, _("malformed PKCS#11 URI: %s"), reason);
    return FALSE;
}

/* A decoded text value: printable UTF-8 without NUL, not empty. */
static char *text_value(GBytes *v)
{
    gsize n;
    const char *d = g_bytes_get_data(v, &n);

    if (n == 0 || memchr(d, 0, n) || !g_utf8_validate(d, (gssize)n, NULL))
        return NULL;
    for (const char *p = d; p < d + n; p = g_utf8_next_char(p))
        if (!g_unichar_isprint(g_utf8_get_char(p)))
            return NULL;
    return g_strndup(d, n);
}

static gboolean set_text(char **slot, GBytes *v, const char *name, GError **error)
{
    char *t = text_value(v);

    if (!t) {
        g_autofree char *m = g_strdup_printf(_("“%s” must be printable text"), name);
        return bad(error, m);
    }
    *slot = t;
    return TRUE;
}

static gboolean set_attr(struct uip_pkcs11_uri *u, const char *name, GBytes *v, gboolean query,
                         GError **error)
{
    if (!query && strcmp(name, "token") == 0)
        return set_text(&u->token, v, name, error);
    if (!query && strcmp(name, "manufacturer") == 0)
        return set_text(&u->manufacturer, v, name, error);
    if (!query && strcmp(name, "serial") == 0)
        return set_text(&u->serial, v, name, error);
    if (!query && strcmp(name, "model") == 0)
        return set_text(&u->model, v, name, error);
    if (!query && strcmp(name, "object") == 0)
        return set_text(&u->object, v, name, error);
    if (!query && strcmp(name, "id") == 0) {
        gsize n;
        const guint8 *d = g_bytes_get_data(v, &n);

        if (n == 0)
            return bad(error, _("“id” is empty"));
        u->id = g_memdup2(d, n);
        u->id_len = n;
        return TRUE;
    }
    if (!query && strcmp(name, "type") == 0) {
        g_autofree char *t = text_value(v);

        if (g_strcmp0(t, "private") == 0)
            u->type = UIP_PKCS11_TYPE_PRIVATE;
        else if (g_strcmp0(t, "cert") == 0)
            u->type = UIP_PKCS11_TYPE_CERT;
        else if (g_strcmp0(t, "public") == 0)
            u->type = UIP_PKCS11_TYPE_PUBLIC;
        else
            return bad(error, _("“type” must be private, cert or public"));
        return TRUE;
    }
    if (query && strcmp(name, "module-path") == 0) {
        if (!set_text(&u->module_path, v, name, error))
            return FALSE;
        if (u->module_path[0] != '/')
            return bad(error, _("“module-path” must be an absolute file path"));
        return TRUE;
    }
    if (strcmp(name, "pin-value") == 0 || strcmp(name, "pin-source") == 0)
        return bad(error, _("the PIN does not belong in the URI: it is asked for as the private "
                            "key password (PIN)"));
    {
        g_autofree char *m = g_strdup_printf(_("attribute “%s” is not supported"), name);
        return bad(error, m);
    }
}

static gboolean parse_list(struct uip_pkcs11_uri *u, const char *list, char sep, gboolean query,
                           GHashTable *seen, GError **error)
{
    char seps[2] = {sep, 0};
    g_auto(GStrv) items = g_strsplit(list, seps, -1);

    for (guint i = 0; items[i]; i++) {
        const char *eq = strchr(items[i], '=');
        g_autofree char *name = NULL;
        g_autoptr(GBytes) v = NULL;

        if (items[i][0] == 0 && !items[i + 1] && i > 0)
            continue; /* a trailing separator */
        if (!eq || eq == items[i])
            return bad(error, _("every attribute must be name=value"));
        name = g_ascii_strdown(items[i], eq - items[i]);
        if (!g_hash_table_add(seen, g_strdup(name))) {
            g_autofree char *m = g_strdup_printf(_("attribute “%s” appears twice"), name);
            return bad(error, m);
        }
        v = pct_decode(eq + 1, strlen(eq + 1));
        if (!v)
            return bad(error, _("a percent sign must be followed by two hexadecimal digits"));
        if (!set_attr(u, name, v, query, error))
            return FALSE;
    }
    return TRUE;
}

gboolean uip_pkcs11_uri_parse(const char *s, struct uip_pkcs11_uri *out, GError **error)
{
    struct uip_pkcs11_uri u = {0};
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *path = NULL;
    const char *q;

    g_return_val_if_fail(out, FALSE);
    memset(out, 0, sizeof(*out));
    if (!uip_pkcs11_is_uri(s))
        return bad(error, _("it must start with “pkcs11:”"));
    if (strlen(s) > URI_MAX)
        return bad(error, _("too long"));
    s += strlen(UIP_PKCS11_SCHEME);
    q = strchr(s, '?');
    path = q ? g_strndup(s, (gsize)(q - s)) : g_strdup(s);
    if (!path[0])
        return bad(error, _("it names no token object (e.g. pkcs11:token=…;object=…)"));
    if (!parse_list(&u, path, ';', FALSE, seen, error) ||
        (q && !parse_list(&u, q + 1, '&', TRUE, seen, error))) {
        uip_pkcs11_uri_clear(&u);
        return FALSE;
    }
    *out = u;
    return TRUE;
}
