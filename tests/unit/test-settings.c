/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The settings-key table (src/common/uip-settings.c): every key reachable and
 * consistent, table-driven good and bad values for every key type, unknown
 * keys, keys required by the auth method (secrets with their flags), error
 * messages that name the key and never quote a secret, the proposal hook and
 * the getters' defaults.
 */
#include "common/uip-settings.h"

#include <string.h>
#include <glib.h>

/* Secret values used below: no error message may ever contain them. */
#define SECRET_PSK  "Sekr1t-PSK-value-of-28-chars"
#define SECRET_PASS "Sekr1t-password"

/* A string -> string table of the NULL-terminated key, value pairs. */
static GHashTable *table_new(const char *first_key, ...) G_GNUC_NULL_TERMINATED;
static GHashTable *table_new(const char *first_key, ...)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    va_list ap;

    va_start(ap, first_key);
    for (const char *k = first_key; k; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        g_hash_table_insert(t, g_strdup(k), g_strdup(v));
    }
    va_end(ap);
    return t;
}

/* A valid PSK connection; tests change one thing in it. */
static GHashTable *psk_data(void)
{
    return table_new(UIP_KEY_GATEWAY, "vpn.example.org", UIP_KEY_AUTH, UIP_AUTH_NAME_PSK, NULL);
}

static void assert_no_secret(const GError *error)
{
    g_assert_nonnull(error);
    g_assert_null(strstr(error->message, SECRET_PSK));
    g_assert_null(strstr(error->message, SECRET_PASS));
}

/* Each key is a macro, in the table once, reachable by lookup, and consistent. */
static void test_table(void)
{
    static const char *const keys[] = {
        UIP_KEY_GATEWAY,
        UIP_KEY_PORT,
        UIP_KEY_LOCAL_ID,
        UIP_KEY_REMOTE_ID,
        UIP_KEY_AUTH,
        UIP_KEY_CA_CERT,
        UIP_KEY_USER_CERT,
        UIP_KEY_USER_KEY,
        UIP_KEY_USER,
        UIP_KEY_IKE,
        UIP_KEY_ESP,
        UIP_KEY_VIRTUAL_IPV4,
        UIP_KEY_VIRTUAL_IPV6,
        UIP_KEY_REMOTE_TS,
        UIP_KEY_LOCAL_TS,
        UIP_KEY_MTU,
        UIP_KEY_DPD_INTERVAL,
        UIP_KEY_DPD_ACTION,
        UIP_KEY_NAT_KEEPALIVE,
        UIP_KEY_FRAGMENTATION,
        UIP_KEY_MOBIKE,
        UIP_KEY_REKEY_CHILD,
        UIP_KEY_REKEY_IKE,
        UIP_KEY_PSK_FLAGS,
        UIP_KEY_PASSWORD_FLAGS,
        UIP_KEY_USER_KEY_PASSWORD_FLAGS,
        UIP_KEY_PSK,
        UIP_KEY_PASSWORD,
        UIP_KEY_USER_KEY_PASSWORD,
    };
    gsize n;
    const struct uip_setting *all = uip_settings_all(&n);

    g_assert_cmpuint(n, ==, G_N_ELEMENTS(keys));
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        const struct uip_setting *s = uip_settings_lookup(keys[i]);
        g_assert_nonnull(s);
        g_assert_cmpstr(s->key, ==, keys[i]);
        g_assert_true(s >= all && s < all + n);
    }
    for (gsize i = 0; i < n; i++) {
        const struct uip_setting *s = &all[i];
        g_autoptr(GError) error = NULL;

        g_test_message("key %s", s->key);
        g_assert_true(uip_settings_lookup(s->key) == s); /* unique */
        g_assert_nonnull(s->name);
        g_assert_cmpstr(uip_setting_get_name(s), !=, "");
        /* the defaults are valid values */
        if (s->default_value)
            g_assert_true(uip_settings_validate_one(s->key, s->default_value, &error));
        g_assert_no_error(error);
        switch (s->type) {
        case UIP_SETTING_STRING:
            g_assert_true(s->secret);
            break;
        case UIP_SETTING_ENUM:
            g_assert_nonnull(s->enum_values);
            g_assert_nonnull(s->enum_values[0]);
            break;
        case UIP_SETTING_UINT:
            g_assert_cmpuint(s->min, <=, s->max);
            g_assert_nonnull(s->default_value);
            break;
        case UIP_SETTING_BOOL:
            g_assert_nonnull(s->default_value);
            break;
        case UIP_SETTING_SECRET_FLAGS: {
            const struct uip_setting *secret = uip_settings_lookup(s->secret_key);
            g_assert_nonnull(secret);
            g_assert_true(secret->secret);
            g_assert_cmpstr(secret->flags_key, ==, s->key);
            g_assert_cmpuint(s->max, ==, UIP_SECRET_FLAGS_ALL);
            break;
        }
        default:
            break;
        }
        if (s->secret) {
            const struct uip_setting *flags = uip_settings_lookup(s->flags_key);
            g_assert_nonnull(flags);
            g_assert_cmpint(flags->type, ==, UIP_SETTING_SECRET_FLAGS);
            g_assert_false(flags->secret);
            g_assert_cmpuint(s->required_auth, !=, UIP_AUTH_BITS_ALL);
        } else {
            g_assert_cmpint(s->type, !=, UIP_SETTING_STRING);
        }
    }
    g_assert_null(uip_settings_lookup(NULL));
    g_assert_null(uip_settings_lookup(""));
    g_assert_null(uip_settings_lookup("Gateway"));
    g_assert_null(uip_settings_lookup("gateway "));
}

static void test_auth_names(void)
{
    static const struct {
        const char *s;
        enum uip_auth a;
    } t[] = {
        {UIP_AUTH_NAME_PSK, UIP_AUTH_PSK},
        {UIP_AUTH_NAME_CERT, UIP_AUTH_CERT},
        {UIP_AUTH_NAME_EAP_MSCHAPV2, UIP_AUTH_EAP_MSCHAPV2},
        {UIP_AUTH_NAME_EAP_TLS, UIP_AUTH_EAP_TLS},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        g_assert_cmpint(uip_auth_from_string(t[i].s), ==, t[i].a);
        g_assert_cmpstr(uip_auth_to_string(t[i].a), ==, t[i].s);
    }
    g_assert_cmpint(uip_auth_from_string("PSK"), ==, UIP_AUTH_INVALID);
    g_assert_cmpint(uip_auth_from_string(""), ==, UIP_AUTH_INVALID);
    g_assert_cmpint(uip_auth_from_string(NULL), ==, UIP_AUTH_INVALID);
    g_assert_null(uip_auth_to_string(UIP_AUTH_INVALID));
    g_assert_null(uip_auth_to_string((enum uip_auth)4));
}

/* ---- values, per type ------------------------------------------------------------------------ */

static const struct {
    const char *key, *value;
    gboolean ok;
} values[] = {
    /* HOST */
    {UIP_KEY_GATEWAY, "198.51.100.7", TRUE},
    {UIP_KEY_GATEWAY, "2001:db8::1", TRUE},
    {UIP_KEY_GATEWAY, "::ffff:198.51.100.7", TRUE},
    {UIP_KEY_GATEWAY, "vpn.example.org", TRUE},
    {UIP_KEY_GATEWAY, "vpn.example.org.", TRUE},
    {UIP_KEY_GATEWAY, "gw", TRUE},
    {UIP_KEY_GATEWAY, "x-1.example", TRUE},
    {UIP_KEY_GATEWAY, "bücher.example", TRUE}, /* IDN */
    {UIP_KEY_GATEWAY, "-gw.example", FALSE},
    {UIP_KEY_GATEWAY, "gw-.example", FALSE},
    {UIP_KEY_GATEWAY, "gw..example", FALSE},
    {UIP_KEY_GATEWAY, ".", FALSE},
    {UIP_KEY_GATEWAY, "gw_1.example", FALSE},
    {UIP_KEY_GATEWAY, "gw example", FALSE},
    {UIP_KEY_GATEWAY, "198.51.100.300", FALSE}, /* all-digit last label: a bad address */
    {UIP_KEY_GATEWAY, "198.51.100", FALSE},
    {UIP_KEY_GATEWAY, "[2001:db8::1]", FALSE},
    {UIP_KEY_GATEWAY, "2001:db8::1::2", FALSE},
    {UIP_KEY_GATEWAY, "vpn.example.org:500", FALSE},
    {UIP_KEY_GATEWAY, "\xff\xfe", FALSE},
    /* UINT */
    {UIP_KEY_PORT, "1", TRUE},
    {UIP_KEY_PORT, "500", TRUE},
    {UIP_KEY_PORT, "65535", TRUE},
    {UIP_KEY_PORT, "0", FALSE},
    {UIP_KEY_PORT, "65536", FALSE},
    {UIP_KEY_PORT, "70000", FALSE},
    {UIP_KEY_PORT, "-1", FALSE},
    {UIP_KEY_PORT, "+500", FALSE},
    {UIP_KEY_PORT, " 500", FALSE},
    {UIP_KEY_PORT, "500 ", FALSE},
    {UIP_KEY_PORT, "0x1f4", FALSE},
    {UIP_KEY_PORT, "5e2", FALSE},
    {UIP_KEY_PORT, "99999999999999999999", FALSE}, /* overflow */
    {UIP_KEY_MTU, "0", TRUE},
    {UIP_KEY_MTU, "576", TRUE},
    {UIP_KEY_MTU, "1400", TRUE},
    {UIP_KEY_MTU, "9000", TRUE},
    {UIP_KEY_MTU, "575", FALSE},
    {UIP_KEY_MTU, "1", FALSE},
    {UIP_KEY_MTU, "9001", FALSE},
    {UIP_KEY_DPD_INTERVAL, "0", TRUE},
    {UIP_KEY_DPD_INTERVAL, "3600", TRUE},
    {UIP_KEY_DPD_INTERVAL, "3601", FALSE},
    {UIP_KEY_NAT_KEEPALIVE, "0", TRUE},
    {UIP_KEY_NAT_KEEPALIVE, "3600", TRUE},
    {UIP_KEY_NAT_KEEPALIVE, "3601", FALSE},
    {UIP_KEY_REKEY_CHILD, "0", TRUE},
    {UIP_KEY_REKEY_CHILD, "86400", TRUE},
    {UIP_KEY_REKEY_CHILD, "86401", FALSE},
    {UIP_KEY_REKEY_IKE, "14400", TRUE},
    {UIP_KEY_REKEY_IKE, "86401", FALSE},
    {UIP_KEY_REKEY_IKE, "1h", FALSE},
    /* SECRET_FLAGS */
    {UIP_KEY_PSK_FLAGS, "0", TRUE},
    {UIP_KEY_PSK_FLAGS, "1", TRUE},
    {UIP_KEY_PSK_FLAGS, "7", TRUE},
    {UIP_KEY_PSK_FLAGS, "8", FALSE},
    {UIP_KEY_PASSWORD_FLAGS, "2", TRUE},
    {UIP_KEY_PASSWORD_FLAGS, "agent-owned", FALSE},
    {UIP_KEY_USER_KEY_PASSWORD_FLAGS, "4", TRUE},
    {UIP_KEY_USER_KEY_PASSWORD_FLAGS, "16", FALSE},
    /* IDENTITY */
    {UIP_KEY_LOCAL_ID, "@client.example.org", TRUE},
    {UIP_KEY_LOCAL_ID, "C=DE, O=Example, CN=client", TRUE},
    {UIP_KEY_LOCAL_ID, "user@example.org", TRUE},
    {UIP_KEY_LOCAL_ID, "del\x7f", FALSE},
    {UIP_KEY_REMOTE_ID, "vpn.example.org", TRUE},
    {UIP_KEY_REMOTE_ID, "Grüße 🌍", TRUE},
    {UIP_KEY_REMOTE_ID, "tab\there", FALSE},
    {UIP_KEY_REMOTE_ID, "new\nline", FALSE},
    {UIP_KEY_REMOTE_ID, "\x1b[31mred", FALSE},
    {UIP_KEY_REMOTE_ID, "bad \xc3\x28 utf8", FALSE},
    {UIP_KEY_USER, "alice", TRUE},
    {UIP_KEY_USER, "EXAMPLE\\alice", TRUE},
    {UIP_KEY_USER, "alice\r", FALSE},
    /* ENUM */
    {UIP_KEY_AUTH, "psk", TRUE},
    {UIP_KEY_AUTH, "cert", TRUE},
    {UIP_KEY_AUTH, "eap-mschapv2", TRUE},
    {UIP_KEY_AUTH, "eap-tls", TRUE},
    {UIP_KEY_AUTH, "PSK", FALSE},
    {UIP_KEY_AUTH, "eap", FALSE},
    {UIP_KEY_AUTH, "psk ", FALSE},
    {UIP_KEY_DPD_ACTION, "restart", TRUE},
    {UIP_KEY_DPD_ACTION, "fail", TRUE},
    {UIP_KEY_DPD_ACTION, "clear", FALSE}, /* strongSwan's, not ours */
    {UIP_KEY_DPD_ACTION, "Restart", FALSE},
    {UIP_KEY_DPD_ACTION, "yes", FALSE},
    {UIP_KEY_DPD_ACTION, "fail ", FALSE},
    /* PATH */
    {UIP_KEY_CA_CERT, "/etc/ipsec.d/cacerts/ca.pem", TRUE},
    {UIP_KEY_CA_CERT, "/home/alice/My Certs/ca é.crt", TRUE},
    {UIP_KEY_CA_CERT, "ca.pem", FALSE},
    {UIP_KEY_CA_CERT, "~/ca.pem", FALSE},
    {UIP_KEY_CA_CERT, "file:///etc/ca.pem", FALSE},
    {UIP_KEY_USER_CERT, "/etc/ipsec.d/certs/me.pem", TRUE},
    {UIP_KEY_USER_CERT, "/etc/new\nline.pem", FALSE},
    {UIP_KEY_USER_KEY, "/etc/ipsec.d/private/me.key", TRUE},
    {UIP_KEY_USER_KEY, "./me.key", FALSE},
    /* BOOL */
    {UIP_KEY_VIRTUAL_IPV4, "yes", TRUE},
    {UIP_KEY_VIRTUAL_IPV4, "no", TRUE},
    {UIP_KEY_VIRTUAL_IPV4, "true", FALSE},
    {UIP_KEY_VIRTUAL_IPV6, "yes", TRUE},
    {UIP_KEY_VIRTUAL_IPV6, "1", FALSE},
    {UIP_KEY_VIRTUAL_IPV6, "Yes", FALSE},
    {UIP_KEY_FRAGMENTATION, "no", TRUE},
    {UIP_KEY_FRAGMENTATION, "off", FALSE},
    {UIP_KEY_MOBIKE, "no", TRUE},
    {UIP_KEY_MOBIKE, "false", FALSE},
    /* CIDR_LIST */
    {UIP_KEY_REMOTE_TS, "10.0.0.0/8", TRUE},
    {UIP_KEY_REMOTE_TS, "10.0.0.0/8,192.0.2.0/24", TRUE},
    {UIP_KEY_REMOTE_TS, "10.0.0.0/8, 2001:db8::/32", TRUE},
    {UIP_KEY_REMOTE_TS, "0.0.0.0/0,::/0", TRUE},
    {UIP_KEY_REMOTE_TS, "192.0.2.7", TRUE},    /* a host */
    {UIP_KEY_REMOTE_TS, "192.0.2.7/24", TRUE}, /* host bits cleared, as uip_ts_parse() */
    {UIP_KEY_REMOTE_TS,
     "1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,"
     "5.0.0.0/8,6.0.0.0/8,7.0.0.0/8,8.0.0.0/8",
     TRUE},
    {UIP_KEY_REMOTE_TS,
     "1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,"
     "5.0.0.0/8,6.0.0.0/8,7.0.0.0/8,8.0.0.0/8,9.0.0.0/8",
     TRUE}, /* more than 8 (the limit was 8 once); at most UIP_SETTINGS_MAX_TS: ts-limit */
    {UIP_KEY_REMOTE_TS, "192.0.2.0-192.0.2.255", FALSE}, /* a range, even one that is a prefix */
    {UIP_KEY_REMOTE_TS, "192.0.2.1-192.0.2.9", FALSE},
    {UIP_KEY_REMOTE_TS, "10.0.0.0/33", FALSE},
    {UIP_KEY_REMOTE_TS, "10.0.0.0/8,", FALSE},
    {UIP_KEY_REMOTE_TS, ",10.0.0.0/8", FALSE},
    {UIP_KEY_REMOTE_TS, "10.0.0.0/8,,192.0.2.0/24", FALSE},
    {UIP_KEY_REMOTE_TS, "10.0.0.0/8 192.0.2.0/24", FALSE},
    {UIP_KEY_LOCAL_TS, "2001:db8:1::/48", TRUE},
    {UIP_KEY_LOCAL_TS, "2001:db8::/129", FALSE},
    {UIP_KEY_LOCAL_TS, "lan.example/24", FALSE},
    {UIP_KEY_LOCAL_TS, "10.0.0.0/8;192.0.2.0/24", FALSE},
    /* PROPOSAL (no parser plugged in: syntax only) */
    {UIP_KEY_IKE, "aes256gcm16-prfsha384-x25519", TRUE},
    {UIP_KEY_IKE, "aes256gcm16-prfsha384-x25519,aes256-sha2_256-modp2048", TRUE},
    {UIP_KEY_IKE, "AES256-SHA256-ECP256", TRUE},
    {UIP_KEY_IKE, "aes256-sha256 - x25519 , aes128-sha256-x25519", TRUE},
    {UIP_KEY_IKE, "aes256-sha256-x25519!", FALSE},
    {UIP_KEY_IKE, "aes256--sha256", FALSE},
    {UIP_KEY_IKE, "aes256-sha256,", FALSE},
    {UIP_KEY_IKE, "aes256-sha256-", FALSE},
    {UIP_KEY_IKE, "aes256/sha256", FALSE},
    {UIP_KEY_ESP, "aes256gcm16,aes256-sha256", TRUE},
    {UIP_KEY_ESP, "aes256gcm16-esn", TRUE},
    {UIP_KEY_ESP, "aes256\tsha256", FALSE},
    {UIP_KEY_ESP, "aes256;sha256", FALSE},
    /* STRING (secrets: any UTF-8) */
    {UIP_KEY_PSK, SECRET_PSK, TRUE},
    {UIP_KEY_PSK, "0x0123456789abcdef0123456789abcdef", TRUE},
    {UIP_KEY_PSK, "pässwörd with spaces\t!", TRUE},
    /* at least 20 characters (UIP_PSK_MIN_LEN), not bytes */
    {UIP_KEY_PSK, "0123456789abcdefghi", FALSE},
    {UIP_KEY_PSK, "0123456789abcdefghij", TRUE},
    {UIP_KEY_PSK, "äöüäöüäöüäöüäöüäöüä", FALSE},
    {UIP_KEY_PSK, "äöüäöüäöüäöüäöüäöüäö", TRUE},
    {UIP_KEY_PSK, "Sekr1t-PSK-value\xff", FALSE},
    {UIP_KEY_PASSWORD, SECRET_PASS, TRUE},
    {UIP_KEY_PASSWORD, "Sekr1t-password\xc3", FALSE},
    {UIP_KEY_USER_KEY_PASSWORD, "pw", TRUE},
    {UIP_KEY_USER_KEY_PASSWORD, "\xff", FALSE},
};

/* Short printable UTF-8: quoted in messages as is. */
static gboolean is_plain(const char *v)
{
    if (!g_utf8_validate(v, -1, NULL) || g_utf8_strlen(v, -1) > 64)
        return FALSE;
    for (const char *p = v; *p; p = g_utf8_next_char(p))
        if (!g_unichar_isprint(g_utf8_get_char(p)))
            return FALSE;
    return TRUE;
}

/* UIP_SETTINGS_MAX_TS networks are fine, one more is refused, naming the key and the limit. */
static void test_ts_limit(void)
{
    for (unsigned n = UIP_SETTINGS_MAX_TS; n <= UIP_SETTINGS_MAX_TS + 1; n++) {
        g_autoptr(GString) v = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_autofree char *limit = g_strdup_printf("%u", UIP_SETTINGS_MAX_TS);

        for (unsigned i = 0; i < n; i++)
            g_string_append_printf(v, "%s198.18.%u.0/24", i ? "," : "", i);
        gboolean ok = uip_settings_validate_one(UIP_KEY_REMOTE_TS, v->str, &error);
        if (n == UIP_SETTINGS_MAX_TS) {
            g_assert_no_error(error);
            g_assert_true(ok);
        } else {
            g_assert_false(ok);
            g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
            g_assert_nonnull(strstr(error->message, UIP_KEY_REMOTE_TS));
            g_assert_nonnull(strstr(error->message, limit));
        }
    }
}

static void test_values(void)
{
    gsize n;
    const struct uip_setting *all = uip_settings_all(&n);
    gboolean *tested_good = g_new0(gboolean, n), *tested_bad = g_new0(gboolean, n);

    for (unsigned i = 0; i < G_N_ELEMENTS(values); i++) {
        const struct uip_setting *s = uip_settings_lookup(values[i].key);
        g_autoptr(GError) error = NULL;
        gboolean ok = uip_settings_validate_one(values[i].key, values[i].value, &error);

        g_assert_nonnull(s);
        if (s->secret) {
            g_test_message("%s = (secret)", values[i].key);
        } else {
            g_autofree char *esc = g_strescape(values[i].value, NULL);
            g_test_message("%s = \"%s\"", values[i].key, esc);
        }
        if (values[i].ok) {
            g_assert_no_error(error);
            g_assert_true(ok);
            tested_good[s - all] = TRUE;
            continue;
        }
        g_assert_false(ok);
        g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
        g_assert_nonnull(strstr(error->message, s->key));
        tested_bad[s - all] = TRUE;
        assert_no_secret(error);
        if (s->secret) {
            g_assert_null(strstr(error->message, "Sekr1t"));
        } else if (is_plain(values[i].value)) {
            /* a plain value is quoted as is */
            g_assert_nonnull(strstr(error->message, values[i].value));
        }
        /* an invalid value also fails the whole-connection check */
        {
            g_autoptr(GHashTable) data = psk_data();
            g_autoptr(GHashTable) secrets = table_new(UIP_KEY_PSK, SECRET_PSK, NULL);
            g_autoptr(GError) error2 = NULL;
            g_hash_table_insert(s->secret ? secrets : data, g_strdup(s->key),
                                g_strdup(values[i].value));
            g_assert_false(uip_settings_validate(data, secrets, &error2));
            g_assert_error(error2, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
            g_assert_cmpstr(error2->message, ==, error->message);
        }
    }
    /* every key has good and bad values */
    for (gsize i = 0; i < n; i++) {
        g_test_message("coverage of %s", all[i].key);
        g_assert_true(tested_good[i]);
        g_assert_true(tested_bad[i]);
    }
    g_free(tested_good);
    g_free(tested_bad);
}

/* DNS name limits: labels of 63 bytes, names of 253. */
static void test_dns_limits(void)
{
    g_autofree char *l63 = g_strnfill(63, 'a');
    g_autofree char *l64 = g_strnfill(64, 'a');
    g_autofree char *ok_label = g_strconcat(l63, ".example", NULL);
    g_autofree char *long_label = g_strconcat(l64, ".example", NULL);
    /* 4 * 63 + 3 dots = 255 > 253; 3 * 63 + 61 + 3 dots = 253 */
    g_autofree char *l61 = g_strnfill(61, 'b');
    g_autofree char *name253 = g_strjoin(".", l63, l63, l63, l61, NULL);
    g_autofree char *name255 = g_strjoin(".", l63, l63, l63, l63, NULL);
    g_autofree char *name253_dot = g_strconcat(name253, ".", NULL);

    g_assert_cmpuint(strlen(name253), ==, 253);
    g_assert_true(uip_settings_validate_one(UIP_KEY_GATEWAY, ok_label, NULL));
    g_assert_false(uip_settings_validate_one(UIP_KEY_GATEWAY, long_label, NULL));
    g_assert_true(uip_settings_validate_one(UIP_KEY_GATEWAY, name253, NULL));
    g_assert_true(uip_settings_validate_one(UIP_KEY_GATEWAY, name253_dot, NULL));
    g_assert_false(uip_settings_validate_one(UIP_KEY_GATEWAY, name255, NULL));
}

static void test_message_format(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *long_id = g_strnfill(300, 'a');

    g_assert_false(uip_settings_validate_one(UIP_KEY_PORT, "70000", &error));
    g_assert_cmpstr(error->message, ==,
                    "Invalid value “70000” for “port”: must be between 1 and 65535");
    g_clear_error(&error);
    g_assert_false(uip_settings_validate_one(UIP_KEY_MTU, "100", &error));
    g_assert_cmpstr(error->message, ==,
                    "Invalid value “100” for “mtu”: must be 0 or between 576 and 9000");
    g_clear_error(&error);
    g_assert_false(uip_settings_validate_one(UIP_KEY_AUTH, "pki", &error));
    g_assert_cmpstr(error->message, ==,
                    "Invalid value “pki” for “auth”: must be one of psk, cert, eap-mschapv2, "
                    "eap-tls");
    g_clear_error(&error);
    g_assert_false(uip_settings_validate_one(UIP_KEY_PSK, "bad\xff", &error));
    g_assert_cmpstr(error->message, ==, "Invalid value for “psk”: must be valid UTF-8 text");
    g_clear_error(&error);
    /* a short PSK: the rule named, the key never quoted */
    g_assert_false(uip_settings_validate_one(UIP_KEY_PSK, "Sekr1t-of-19-chars!", &error));
    g_assert_cmpstr(error->message, ==,
                    "Invalid value for “psk”: must be at least 20 characters long (a shorter key "
                    "can be guessed offline)");
    g_clear_error(&error);
    g_assert_true(uip_settings_validate_one(UIP_KEY_PSK, "Sekr1t-of-20-chars!!", &error));
    /* identities: at most 255 bytes; long values are cut in the message */
    g_assert_true(uip_settings_validate_one(UIP_KEY_LOCAL_ID, long_id + 45, NULL));
    g_assert_false(uip_settings_validate_one(UIP_KEY_LOCAL_ID, long_id + 44, &error));
    g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
    g_assert_nonnull(strstr(error->message, "“local-id”"));
    g_assert_nonnull(strstr(error->message, "…"));
    g_assert_cmpuint(strlen(error->message), <, 200);
    g_clear_error(&error);
    /* control characters are escaped in the message */
    g_assert_false(uip_settings_validate_one(UIP_KEY_REMOTE_ID, "a\nb", &error));
    g_assert_null(strchr(error->message, '\n'));
    g_assert_nonnull(strstr(error->message, "a\\nb"));
    g_clear_error(&error);
    /* the offending network is named */
    g_assert_false(
        uip_settings_validate_one(UIP_KEY_REMOTE_TS, "10.0.0.0/8,10.0.0.1-10.0.0.3", &error));
    g_assert_nonnull(strstr(error->message, "“10.0.0.1-10.0.0.3” is not"));
}

/* ---- unknown keys and empty values ----------------------------------------------------------- */

static void test_unknown_keys(void)
{
    struct {
        GHashTable *data, *secrets;
        const char *named;
    } t[] = {
        {table_new(UIP_KEY_GATEWAY, "gw", UIP_KEY_AUTH, "psk", "bogus", "1", NULL),
         table_new(UIP_KEY_PSK, SECRET_PSK, NULL), "“bogus”"},
        {table_new(UIP_KEY_GATEWAY, "gw", UIP_KEY_AUTH, "psk", "Port", "1", NULL), NULL, "“Port”"},
        /* a secret in vpn.data: rejected, and its value not quoted */
        {table_new(UIP_KEY_GATEWAY, "gw", UIP_KEY_AUTH, "psk", UIP_KEY_PSK, SECRET_PSK, NULL), NULL,
         "“psk”"},
        /* a data key in vpn.secrets */
        {table_new(UIP_KEY_GATEWAY, "gw", UIP_KEY_AUTH, "psk", NULL),
         table_new(UIP_KEY_PSK, SECRET_PSK, UIP_KEY_PSK_FLAGS, "0", NULL), "“psk-flags”"},
        {table_new(UIP_KEY_GATEWAY, "gw", UIP_KEY_AUTH, "psk", NULL),
         table_new(UIP_KEY_PSK, SECRET_PSK, "pskvalue", SECRET_PASS, NULL), "“pskvalue”"},
        /* an unknown key wins over a bad value and a missing key */
        {table_new(UIP_KEY_PORT, "0", "zzz", "1", NULL), NULL, "“zzz”"},
        /* unprintable key names are escaped */
        {table_new(UIP_KEY_GATEWAY, "gw", UIP_KEY_AUTH, "psk", "a\nb", "1", NULL), NULL, "“a\\nb”"},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        g_autoptr(GError) error = NULL;

        g_test_message("case %u", i);
        g_assert_false(uip_settings_validate(t[i].data, t[i].secrets, &error));
        g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_UNKNOWN_KEY);
        g_assert_nonnull(strstr(error->message, t[i].named));
        assert_no_secret(error);
        g_hash_table_unref(t[i].data);
        if (t[i].secrets)
            g_hash_table_unref(t[i].secrets);
    }

    {
        g_autoptr(GError) error = NULL;
        g_assert_false(uip_settings_validate_one("bogus", "1", &error));
        g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_UNKNOWN_KEY);
        g_assert_nonnull(strstr(error->message, "“bogus”"));
    }
}

static void test_empty_values(void)
{
    g_autoptr(GError) error = NULL;

    /* empty = not set: fine for optional keys, MISSING for gateway/auth */
    g_assert_true(uip_settings_validate_one(UIP_KEY_CA_CERT, "", NULL));
    g_assert_true(uip_settings_validate_one(UIP_KEY_MTU, "", NULL));
    g_assert_true(uip_settings_validate_one(UIP_KEY_USER_CERT, NULL, NULL));
    g_assert_true(uip_settings_validate_one(UIP_KEY_PSK, "", NULL));
    g_assert_false(uip_settings_validate_one(UIP_KEY_GATEWAY, "", &error));
    g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING);
    g_assert_nonnull(strstr(error->message, "“gateway”"));
    g_clear_error(&error);
    g_assert_false(uip_settings_validate_one(UIP_KEY_AUTH, NULL, &error));
    g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING);
    g_clear_error(&error);

    /* empty optional values pass the whole-connection check too */
    {
        g_autoptr(GHashTable) data = psk_data();
        g_autoptr(GHashTable) secrets = table_new(UIP_KEY_PSK, SECRET_PSK, NULL);
        g_hash_table_insert(data, g_strdup(UIP_KEY_MTU), g_strdup(""));
        g_hash_table_insert(data, g_strdup(UIP_KEY_REMOTE_TS), g_strdup(""));
        g_assert_true(uip_settings_validate(data, secrets, &error));
        g_assert_no_error(error);
    }
}

/* ---- required keys by auth method ------------------------------------------------------------ */

struct pair {
    const char *key, *value;
};

static GHashTable *table_of(const struct pair *p)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (; p && p->key; p++)
        g_hash_table_insert(t, g_strdup(p->key), g_strdup(p->value));
    return t;
}

static void test_required(void)
{
    static const struct {
        const char *what;
        struct pair data[8];
        struct pair secrets[4];
        const char *missing; /* NULL: valid */
    } t[] = {
        {"nothing", {{0}}, {{0}}, UIP_KEY_GATEWAY},
        {"no auth", {{UIP_KEY_GATEWAY, "gw"}}, {{0}}, UIP_KEY_AUTH},
        {"empty gateway", {{UIP_KEY_GATEWAY, ""}, {UIP_KEY_AUTH, "psk"}}, {{0}}, UIP_KEY_GATEWAY},
        /* psk */
        {"psk",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}},
         {{UIP_KEY_PSK, SECRET_PSK}},
         NULL},
        {"psk without secret",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}},
         {{0}},
         UIP_KEY_PSK},
        {"psk empty secret",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}},
         {{UIP_KEY_PSK, ""}},
         UIP_KEY_PSK},
        {"psk flags 0",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}, {UIP_KEY_PSK_FLAGS, "0"}},
         {{0}},
         UIP_KEY_PSK},
        {"psk agent-owned",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}, {UIP_KEY_PSK_FLAGS, "1"}},
         {{0}},
         NULL},
        {"psk not saved",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}, {UIP_KEY_PSK_FLAGS, "2"}},
         {{0}},
         NULL},
        {"psk not required",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}, {UIP_KEY_PSK_FLAGS, "4"}},
         {{0}},
         NULL},
        {"psk other flags do not count",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "psk"}, {UIP_KEY_PASSWORD_FLAGS, "1"}},
         {{0}},
         UIP_KEY_PSK},
        /* eap-mschapv2 */
        {"mschapv2",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "eap-mschapv2"}, {UIP_KEY_USER, "alice"}},
         {{UIP_KEY_PASSWORD, SECRET_PASS}},
         NULL},
        {"mschapv2 without user",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "eap-mschapv2"}},
         {{UIP_KEY_PASSWORD, SECRET_PASS}},
         UIP_KEY_USER},
        {"mschapv2 without password",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "eap-mschapv2"}, {UIP_KEY_USER, "alice"}},
         {{0}},
         UIP_KEY_PASSWORD},
        {"mschapv2 agent-owned password",
         {{UIP_KEY_GATEWAY, "gw"},
          {UIP_KEY_AUTH, "eap-mschapv2"},
          {UIP_KEY_USER, "alice"},
          {UIP_KEY_PASSWORD_FLAGS, "3"}},
         {{0}},
         NULL},
        {"mschapv2 needs no psk",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "eap-mschapv2"}, {UIP_KEY_USER, "alice"}},
         {{UIP_KEY_PASSWORD, SECRET_PASS}},
         NULL},
        /* cert */
        {"cert",
         {{UIP_KEY_GATEWAY, "gw"},
          {UIP_KEY_AUTH, "cert"},
          {UIP_KEY_USER_CERT, "/c.pem"},
          {UIP_KEY_USER_KEY, "/k.pem"}},
         {{0}},
         NULL},
        {"cert without user-cert",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "cert"}, {UIP_KEY_USER_KEY, "/k.pem"}},
         {{0}},
         UIP_KEY_USER_CERT},
        {"cert without user-key",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "cert"}, {UIP_KEY_USER_CERT, "/c.pem"}},
         {{0}},
         UIP_KEY_USER_KEY},
        {"cert, key password optional",
         {{UIP_KEY_GATEWAY, "gw"},
          {UIP_KEY_AUTH, "cert"},
          {UIP_KEY_USER_CERT, "/c.pem"},
          {UIP_KEY_USER_KEY, "/k.pem"},
          {UIP_KEY_USER_KEY_PASSWORD_FLAGS, "0"}},
         {{0}},
         NULL},
        /* eap-tls */
        {"eap-tls",
         {{UIP_KEY_GATEWAY, "gw"},
          {UIP_KEY_AUTH, "eap-tls"},
          {UIP_KEY_USER_CERT, "/c.pem"},
          {UIP_KEY_USER_KEY, "/k.pem"}},
         {{UIP_KEY_USER_KEY_PASSWORD, "pw"}},
         NULL},
        {"eap-tls without user-key",
         {{UIP_KEY_GATEWAY, "gw"}, {UIP_KEY_AUTH, "eap-tls"}, {UIP_KEY_USER_CERT, "/c.pem"}},
         {{0}},
         UIP_KEY_USER_KEY},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
        g_autoptr(GHashTable) data = table_of(t[i].data);
        g_autoptr(GHashTable) secrets = table_of(t[i].secrets);
        g_autoptr(GError) error = NULL;
        g_autofree char *quoted = NULL;
        gboolean ok;

        g_test_message("case %s", t[i].what);
        ok = uip_settings_validate(data, secrets, &error);
        if (!t[i].missing) {
            g_assert_no_error(error);
            g_assert_true(ok);
            continue;
        }
        g_assert_false(ok);
        g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING);
        quoted = g_strdup_printf("“%s”", t[i].missing);
        g_assert_nonnull(strstr(error->message, quoted));
        assert_no_secret(error);
    }

    /* NULL tables are empty ones */
    {
        g_autoptr(GError) error = NULL;
        g_assert_false(uip_settings_validate(NULL, NULL, &error));
        g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING);
        g_assert_nonnull(strstr(error->message, "“gateway”"));
    }
    {
        g_autoptr(GHashTable) data =
            table_new(UIP_KEY_GATEWAY, "gw", UIP_KEY_AUTH, "cert", UIP_KEY_USER_CERT, "/c",
                      UIP_KEY_USER_KEY, "/k", NULL);
        g_assert_true(uip_settings_validate(data, NULL, NULL));
    }
}

/* Several errors at once: the same one every time, whatever the hash order. */
static void test_stable_order(void)
{
    g_autofree char *first = NULL;

    for (unsigned round = 0; round < 20; round++) {
        g_autoptr(GHashTable) data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_autoptr(GError) error = NULL;
        static const char *const bad[] = {UIP_KEY_PORT, UIP_KEY_MTU, UIP_KEY_DPD_INTERVAL,
                                          UIP_KEY_REKEY_IKE, UIP_KEY_NAT_KEEPALIVE};

        /* insert in a different order each round */
        for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
            const char *k = bad[(i + round) % G_N_ELEMENTS(bad)];
            g_hash_table_insert(data, g_strdup(k), g_strdup("99999999"));
        }
        g_assert_false(uip_settings_validate(data, NULL, &error));
        g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
        if (!first)
            first = g_strdup(error->message);
        g_assert_cmpstr(error->message, ==, first);
    }
    g_assert_nonnull(strstr(first, "“dpd-interval”")); /* sorted by key */
}

/* ---- the proposal hook ----------------------------------------------------------------------- */

static enum uip_proposal_kind last_kind;
static unsigned hook_calls;

static gboolean fake_parser(enum uip_proposal_kind kind, const char *value, char **reason)
{
    last_kind = kind;
    hook_calls++;
    if (strstr(value, "aes192")) {
        *reason = g_strdup("unsupported algorithm “aes192”");
        return FALSE;
    }
    if (strstr(value, "silent"))
        return FALSE;
    return TRUE;
}

static void test_proposal_hook(void)
{
    g_autoptr(GError) error = NULL;

    uip_settings_set_proposal_validator(fake_parser);

    g_assert_true(uip_settings_validate_one(UIP_KEY_IKE, "aes256-sha256-x25519", NULL));
    g_assert_cmpint(last_kind, ==, UIP_PROPOSAL_IKE);
    g_assert_true(uip_settings_validate_one(UIP_KEY_ESP, "aes256gcm16", NULL));
    g_assert_cmpint(last_kind, ==, UIP_PROPOSAL_ESP);
    /* the parser decides, not the fallback syntax check */
    g_assert_true(uip_settings_validate_one(UIP_KEY_ESP, "aes256--sha256", NULL));

    g_assert_false(uip_settings_validate_one(UIP_KEY_IKE, "aes192-sha256-x25519", &error));
    g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
    g_assert_cmpstr(error->message, ==,
                    "Invalid value “aes192-sha256-x25519” for “ike”: unsupported algorithm "
                    "“aes192”");
    g_clear_error(&error);
    g_assert_false(uip_settings_validate_one(UIP_KEY_ESP, "silent", &error));
    g_assert_cmpstr(error->message, ==,
                    "Invalid value “silent” for “esp”: not a valid proposal list");
    g_clear_error(&error);

    /* printable text is checked before the parser is asked */
    hook_calls = 0;
    g_assert_false(uip_settings_validate_one(UIP_KEY_ESP, "aes\n", NULL));
    g_assert_cmpuint(hook_calls, ==, 0);

    /* and through the whole-connection check */
    {
        g_autoptr(GHashTable) data = psk_data();
        g_autoptr(GHashTable) secrets = table_new(UIP_KEY_PSK, SECRET_PSK, NULL);
        g_hash_table_insert(data, g_strdup(UIP_KEY_ESP), g_strdup("aes192"));
        g_assert_false(uip_settings_validate(data, secrets, &error));
        g_assert_nonnull(strstr(error->message, "“esp”"));
        g_clear_error(&error);
    }

    uip_settings_set_proposal_validator(NULL);
    g_assert_false(uip_settings_validate_one(UIP_KEY_ESP, "aes256--sha256", NULL));
    g_assert_true(uip_settings_validate_one(UIP_KEY_ESP, "aes192", NULL));
}

/* ---- getters --------------------------------------------------------------------------------- */

static void test_getters(void)
{
    g_autoptr(GHashTable) empty = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) blank =
        table_new(UIP_KEY_PORT, "", UIP_KEY_FRAGMENTATION, "", UIP_KEY_MTU, "", NULL);
    g_autoptr(GHashTable) set =
        table_new(UIP_KEY_PORT, "4500", UIP_KEY_MTU, "1400", UIP_KEY_DPD_INTERVAL, "0",
                  UIP_KEY_NAT_KEEPALIVE, "3600", UIP_KEY_VIRTUAL_IPV4, "no", UIP_KEY_VIRTUAL_IPV6,
                  "yes", UIP_KEY_FRAGMENTATION, "no", UIP_KEY_REKEY_IKE, "14400", UIP_KEY_PSK_FLAGS,
                  "2", UIP_KEY_AUTH, "eap-tls", UIP_KEY_GATEWAY, "gw", NULL);
    GHashTable *defaults[] = {empty, blank, NULL};

    for (unsigned i = 0; i < G_N_ELEMENTS(defaults); i++) {
        GHashTable *d = defaults[i];
        g_assert_cmpuint(uip_settings_get_uint(d, UIP_KEY_PORT), ==, 500);
        g_assert_cmpuint(uip_settings_get_uint(d, UIP_KEY_MTU), ==, 0);
        g_assert_cmpuint(uip_settings_get_uint(d, UIP_KEY_DPD_INTERVAL), ==, 30);
        g_assert_cmpuint(uip_settings_get_uint(d, UIP_KEY_NAT_KEEPALIVE), ==, 20);
        g_assert_cmpuint(uip_settings_get_uint(d, UIP_KEY_REKEY_CHILD), ==, 0);
        g_assert_cmpuint(uip_settings_get_uint(d, UIP_KEY_REKEY_IKE), ==, 0);
        g_assert_cmpuint(uip_settings_get_uint(d, UIP_KEY_PSK_FLAGS), ==, UIP_SECRET_FLAG_NONE);
        g_assert_true(uip_settings_get_bool(d, UIP_KEY_VIRTUAL_IPV4));
        g_assert_false(uip_settings_get_bool(d, UIP_KEY_VIRTUAL_IPV6));
        g_assert_true(uip_settings_get_bool(d, UIP_KEY_FRAGMENTATION));
        g_assert_null(uip_settings_get_string(d, UIP_KEY_GATEWAY));
        g_assert_null(uip_settings_get_string(d, UIP_KEY_CA_CERT));
        g_assert_cmpstr(uip_settings_get_string(d, UIP_KEY_PORT), ==, "500");
        g_assert_cmpstr(uip_settings_get_string(d, UIP_KEY_DPD_ACTION), ==, UIP_DPD_ACTION_RESTART);
        g_assert_cmpint(uip_settings_get_auth(d), ==, UIP_AUTH_INVALID);
    }

    g_assert_cmpuint(uip_settings_get_uint(set, UIP_KEY_PORT), ==, 4500);
    g_assert_cmpuint(uip_settings_get_uint(set, UIP_KEY_MTU), ==, 1400);
    g_assert_cmpuint(uip_settings_get_uint(set, UIP_KEY_DPD_INTERVAL), ==, 0);
    g_assert_cmpuint(uip_settings_get_uint(set, UIP_KEY_NAT_KEEPALIVE), ==, 3600);
    g_assert_cmpuint(uip_settings_get_uint(set, UIP_KEY_REKEY_IKE), ==, 14400);
    g_assert_cmpuint(uip_settings_get_uint(set, UIP_KEY_PSK_FLAGS), ==, UIP_SECRET_FLAG_NOT_SAVED);
    g_assert_false(uip_settings_get_bool(set, UIP_KEY_VIRTUAL_IPV4));
    g_assert_true(uip_settings_get_bool(set, UIP_KEY_VIRTUAL_IPV6));
    g_assert_false(uip_settings_get_bool(set, UIP_KEY_FRAGMENTATION));
    g_assert_cmpstr(uip_settings_get_string(set, UIP_KEY_GATEWAY), ==, "gw");
    g_assert_cmpint(uip_settings_get_auth(set), ==, UIP_AUTH_EAP_TLS);

    /* invalid input (not validated first) falls back to the default */
    {
        g_autoptr(GHashTable) bad = table_new(UIP_KEY_PORT, "70000", UIP_KEY_MTU, "5",
                                              UIP_KEY_FRAGMENTATION, "maybe", NULL);
        g_assert_cmpuint(uip_settings_get_uint(bad, UIP_KEY_PORT), ==, 500);
        g_assert_cmpuint(uip_settings_get_uint(bad, UIP_KEY_MTU), ==, 0);
        g_assert_true(uip_settings_get_bool(bad, UIP_KEY_FRAGMENTATION));
    }

    /* the wrong getter for a key's type is a programming error */
    if (g_test_undefined()) {
        g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*assertion*");
        g_assert_cmpuint(uip_settings_get_uint(set, UIP_KEY_GATEWAY), ==, 0);
        g_test_assert_expected_messages();
        g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*assertion*");
        g_assert_false(uip_settings_get_bool(set, UIP_KEY_PORT));
        g_test_assert_expected_messages();
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/settings/table", test_table);
    g_test_add_func("/settings/auth-names", test_auth_names);
    g_test_add_func("/settings/values", test_values);
    g_test_add_func("/settings/ts-limit", test_ts_limit);
    g_test_add_func("/settings/dns-limits", test_dns_limits);
    g_test_add_func("/settings/message-format", test_message_format);
    g_test_add_func("/settings/unknown-keys", test_unknown_keys);
    g_test_add_func("/settings/empty-values", test_empty_values);
    g_test_add_func("/settings/required", test_required);
    g_test_add_func("/settings/stable-order", test_stable_order);
    g_test_add_func("/settings/proposal-hook", test_proposal_hook);
    g_test_add_func("/settings/getters", test_getters);
    return g_test_run();
}
