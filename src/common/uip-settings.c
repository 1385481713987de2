/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The settings-key table and its validation (see uip-settings.h).
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "common/uip-settings.h"
#include "common/uip-file.h"
#include "common/uip-pkcs11-uri.h"
#include "common/uip-ts.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

/* clang-format off */
G_DEFINE_QUARK(uip-settings-error-quark, uip_settings_error)
/* clang-format on */

/* Indexed by enum uip_auth. */
static const char *const auth_values[] = {
    UIP_AUTH_NAME_PSK, UIP_AUTH_NAME_CERT, UIP_AUTH_NAME_EAP_MSCHAPV2, UIP_AUTH_NAME_EAP_TLS, NULL,
};
G_STATIC_ASSERT(G_N_ELEMENTS(auth_values) == UIP_AUTH_EAP_TLS + 2);
G_STATIC_ASSERT(UIP_AUTH_BITS_ALL == (UIP_AUTH_BIT(UIP_AUTH_EAP_TLS + 1) - 1));

static const char *const dpd_action_values[] = {
    UIP_DPD_ACTION_RESTART,
    UIP_DPD_ACTION_FAIL,
    NULL,
};

#define IDENTITY_MAX 255  /* bytes: identities, user name */
#define PATH_MAX_LEN 4095 /* bytes, as Linux PATH_MAX without the NUL */
#define PROPOSAL_MAX 2048 /* bytes of a proposal list */

#define SECS(k, n, def, mx)                                                                        \
    {                                                                                              \
        .key = k, .name = n, .type = UIP_SETTING_UINT, .default_value = def, .min = 0, .max = mx   \
    }
#define FLAGS(k, n, s)                                                                             \
    {                                                                                              \
        .key = k, .name = n, .type = UIP_SETTING_SECRET_FLAGS, .secret_key = s,                    \
        .default_value = "0", .min = 0, .max = UIP_SECRET_FLAGS_ALL                                \
    }

static const struct uip_setting settings[] = {
    {.key = UIP_KEY_GATEWAY,
     .name = N_("Gateway"),
     .type = UIP_SETTING_HOST,
     .required_auth = UIP_AUTH_BITS_ALL},
    {.key = UIP_KEY_PORT,
     .name = N_("Port"),
     .type = UIP_SETTING_UINT,
     .default_value = "500",
     .min = 1,
     .max = 65535},
    {.key = UIP_KEY_LOCAL_ID,
     .name = N_("Local identity"),
     .type = UIP_SETTING_IDENTITY,
     .max_len = IDENTITY_MAX,
     .ike_identity = TRUE},
    {.key = UIP_KEY_REMOTE_ID,
     .name = N_("Remote identity"),
     .type = UIP_SETTING_IDENTITY,
     .max_len = IDENTITY_MAX,
     .ike_identity = TRUE},
    {.key = UIP_KEY_AUTH,
     .name = N_("Authentication"),
     .type = UIP_SETTING_ENUM,
     .required_auth = UIP_AUTH_BITS_ALL,
     .enum_values = auth_values},
    {.key = UIP_KEY_CA_CERT,
     .name = N_("CA certificate"),
     .type = UIP_SETTING_PATH,
     .max_len = PATH_MAX_LEN},
    {.key = UIP_KEY_USER_CERT,
     .name = N_("User certificate"),
     .type = UIP_SETTING_PATH,
     .required_auth = UIP_AUTH_BIT(UIP_AUTH_CERT) | UIP_AUTH_BIT(UIP_AUTH_EAP_TLS),
     .max_len = PATH_MAX_LEN,
     .pkcs11_ok = TRUE},
    {.key = UIP_KEY_USER_KEY,
     .name = N_("User private key"),
     .type = UIP_SETTING_PATH,
     .required_auth = UIP_AUTH_BIT(UIP_AUTH_CERT) | UIP_AUTH_BIT(UIP_AUTH_EAP_TLS),
     .max_len = PATH_MAX_LEN,
     .pkcs11_ok = TRUE},
    {.key = UIP_KEY_USER,
     .name = N_("User name"),
     .type = UIP_SETTING_IDENTITY,
     .required_auth = UIP_AUTH_BIT(UIP_AUTH_EAP_MSCHAPV2),
     .max_len = IDENTITY_MAX},
    {.key = UIP_KEY_IKE,
     .name = N_("IKE proposals"),
     .type = UIP_SETTING_PROPOSAL,
     .max_len = PROPOSAL_MAX,
     .proposal = UIP_PROPOSAL_IKE},
    {.key = UIP_KEY_ESP,
     .name = N_("ESP proposals"),
     .type = UIP_SETTING_PROPOSAL,
     .max_len = PROPOSAL_MAX,
     .proposal = UIP_PROPOSAL_ESP},
    {.key = UIP_KEY_VIRTUAL_IPV4,
     .name = N_("Request an IPv4 address"),
     .type = UIP_SETTING_BOOL,
     .default_value = UIP_VALUE_YES},
    {.key = UIP_KEY_VIRTUAL_IPV6,
     .name = N_("Request an IPv6 address"),
     .type = UIP_SETTING_BOOL,
     .default_value = UIP_VALUE_NO},
    {.key = UIP_KEY_REMOTE_TS, .name = N_("Remote networks"), .type = UIP_SETTING_CIDR_LIST},
    {.key = UIP_KEY_LOCAL_TS, .name = N_("Local networks"), .type = UIP_SETTING_CIDR_LIST},
    {.key = UIP_KEY_MTU,
     .name = N_("MTU"),
     .type = UIP_SETTING_UINT,
     .default_value = "0",
     .min = 576,
     .max = 9000,
     .zero_ok = TRUE},
    SECS(UIP_KEY_DPD_INTERVAL, N_("Dead peer detection interval"), "30", 3600),
    {.key = UIP_KEY_DPD_ACTION,
     .name = N_("Action when the gateway stops answering"),
     .type = UIP_SETTING_ENUM,
     .default_value = UIP_DPD_ACTION_RESTART,
     .enum_values = dpd_action_values},
    SECS(UIP_KEY_NAT_KEEPALIVE, N_("NAT keepalive interval"), "20", 3600),
    {.key = UIP_KEY_FRAGMENTATION,
     .name = N_("IKE fragmentation"),
     .type = UIP_SETTING_BOOL,
     .default_value = UIP_VALUE_YES},
    {.key = UIP_KEY_MOBIKE,
     .name = N_("Mobility (MOBIKE)"),
     .type = UIP_SETTING_BOOL,
     .default_value = UIP_VALUE_YES},
    SECS(UIP_KEY_REKEY_CHILD, N_("Child SA rekey time"), "0", 86400),
    SECS(UIP_KEY_REKEY_IKE, N_("IKE SA rekey time"), "0", 86400),
    FLAGS(UIP_KEY_PSK_FLAGS, N_("Pre-shared key flags"), UIP_KEY_PSK),
    FLAGS(UIP_KEY_PASSWORD_FLAGS, N_("Password flags"), UIP_KEY_PASSWORD),
    FLAGS(UIP_KEY_USER_KEY_PASSWORD_FLAGS, N_("Private key password flags"),
          UIP_KEY_USER_KEY_PASSWORD),
    {.key = UIP_KEY_PSK,
     .name = N_("Pre-shared key"),
     .type = UIP_SETTING_STRING,
     .secret = TRUE,
     .required_auth = UIP_AUTH_BIT(UIP_AUTH_PSK),
     .flags_key = UIP_KEY_PSK_FLAGS,
     .min_len = UIP_PSK_MIN_LEN},
    {.key = UIP_KEY_PASSWORD,
     .name = N_("Password"),
     .type = UIP_SETTING_STRING,
     .secret = TRUE,
     .required_auth = UIP_AUTH_BIT(UIP_AUTH_EAP_MSCHAPV2),
     .flags_key = UIP_KEY_PASSWORD_FLAGS},
    {.key = UIP_KEY_USER_KEY_PASSWORD,
     .name = N_("Private key password"),
     .type = UIP_SETTING_STRING,
     .secret = TRUE,
     .flags_key = UIP_KEY_USER_KEY_PASSWORD_FLAGS},
};

static gpointer proposal_validator; /* uip_proposal_validator_fn, atomic */
static gpointer id_validator;       /* uip_id_validator_fn, atomic */

/* ---- lookups --------------------------------------------------------------------------------- */

const struct uip_setting *uip_settings_lookup(const char *key)
{
    if (!key)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(settings); i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

const struct uip_setting *uip_settings_all(gsize *n_settings)
{
    if (n_settings)
        *n_settings = G_N_ELEMENTS(settings);
    return settings;
}

const char *uip_setting_get_name(const struct uip_setting *setting)
{
    g_return_val_if_fail(setting, NULL);
    return _(setting->name);
}

const char *uip_setting_get_prompt_name(const struct uip_setting *setting, GHashTable *data)
{
    g_return_val_if_fail(setting, NULL);
    if (g_strcmp0(setting->key, UIP_KEY_USER_KEY_PASSWORD) == 0 &&
        uip_pkcs11_is_uri(uip_settings_get_string(data, UIP_KEY_USER_KEY)))
        return _("Token PIN");
    return _(setting->name);
}

enum uip_auth uip_auth_from_string(const char *s)
{
    if (!s)
        return UIP_AUTH_INVALID;
    for (int i = 0; auth_values[i]; i++)
        if (strcmp(auth_values[i], s) == 0)
            return (enum uip_auth)i;
    return UIP_AUTH_INVALID;
}

const char *uip_auth_to_string(enum uip_auth auth)
{
    if ((int)auth < 0 || (int)auth > UIP_AUTH_EAP_TLS)
        return NULL;
    return auth_values[auth];
}

void uip_settings_set_proposal_validator(uip_proposal_validator_fn fn)
{
    g_atomic_pointer_set(&proposal_validator, (gpointer)fn);
}

void uip_settings_set_id_validator(uip_id_validator_fn fn)
{
    g_atomic_pointer_set(&id_validator, (gpointer)fn);
}

/* ---- value checks ---------------------------------------------------------------------------- */

/*
 * A user-supplied string made safe to quote in a message: at most 64
 * characters, control characters and invalid UTF-8 escaped.
 */
static char *display(const char *s)
{
    const gsize max_chars = 64;
    gboolean plain = g_utf8_validate(s, -1, NULL);

    if (plain)
        for (const char *p = s; *p; p = g_utf8_next_char(p))
            if (!g_unichar_isprint(g_utf8_get_char(p))) {
                plain = FALSE;
                break;
            }
    if (plain) {
        if (g_utf8_strlen(s, -1) <= (glong)max_chars)
            return g_strdup(s);
        g_autofree char *head = g_utf8_substring(s, 0, (glong)max_chars);
        return g_strconcat(head, "…", NULL);
    }
    g_autofree char *head = g_strndup(s, max_chars);
    g_autofree char *esc = g_strescape(head, NULL);
    return strlen(s) > max_chars ? g_strconcat(esc, "…", NULL) : g_steal_pointer(&esc);
}

/* Sets an INVALID_VALUE error: "Invalid value “v” for “key”: <reason>", never quoting secrets;
 * for a field of a form (no key: uip_settings_validate_field()) "<label>: <reason>". */
static gboolean invalid(GError **error, const struct uip_setting *s, const char *value,
                        const char *reason)
{
    if (!s->key) {
        /* TRANSLATORS: a field of the connection editor as it is labelled, and what it allows */
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE, _("%s: %s"),
                    s->name, reason);
    } else if (s->secret) {
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE,
                    _("Invalid value for “%s”: %s"), s->key, reason);
    } else {
        g_autofree char *shown = display(value);
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE,
                    _("Invalid value “%s” for “%s”: %s"), shown, s->key, reason);
    }
    return FALSE;
}

/* Valid UTF-8 of printable characters only (no control characters). */
static gboolean is_printable(const char *s)
{
    if (!g_utf8_validate(s, -1, NULL))
        return FALSE;
    for (const char *p = s; *p; p = g_utf8_next_char(p))
        if (!g_unichar_isprint(g_utf8_get_char(p)))
            return FALSE;
    return TRUE;
}

/* Decimal digits only (no sign, no blanks), no overflow of guint. */
static gboolean parse_uint(const char *s, guint *out)
{
    guint64 v = 0;

    if (!*s)
        return FALSE;
    for (const char *p = s; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
        v = v * 10 + (guint64)(*p - '0');
        if (v > G_MAXUINT)
            return FALSE;
    }
    *out = (guint)v;
    return TRUE;
}

static gboolean check_uint(const struct uip_setting *s, const char *value, GError **error)
{
    g_autofree char *reason = NULL;
    guint v;

    if (parse_uint(value, &v) && ((v >= s->min && v <= s->max) || (s->zero_ok && v == 0)))
        return TRUE;
    if (s->type == UIP_SETTING_SECRET_FLAGS)
        reason = g_strdup_printf(_("must be secret flags between %u and %u"), s->min, s->max);
    else if (s->zero_ok)
        reason = g_strdup_printf(_("must be 0 or between %u and %u"), s->min, s->max);
    else
        reason = g_strdup_printf(_("must be between %u and %u"), s->min, s->max);
    return invalid(error, s, value, reason);
}

/* A DNS name in ASCII (RFC 1123 labels); the last label not all digits. */
static gboolean is_dns_name(const char *name)
{
    gsize len = strlen(name);
    gboolean all_digits = TRUE;
    gsize label = 0;

    if (len && name[len - 1] == '.') /* absolute name */
        len--;
    if (len == 0 || len > 253)
        return FALSE;
    for (gsize i = 0; i <= len; i++) {
        char c = i < len ? name[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63 || name[i - 1] == '-')
                return FALSE;
            if (i == len && all_digits)
                return FALSE;
            label = 0;
            all_digits = TRUE;
            continue;
        }
        if (!g_ascii_isalnum(c) && c != '-')
            return FALSE;
        if (c == '-' && label == 0)
            return FALSE;
        if (!g_ascii_isdigit(c))
            all_digits = FALSE;
        label++;
    }
    return TRUE;
}

static gboolean check_host(const struct uip_setting *s, const char *value, GError **error)
{
    if (g_hostname_is_ip_address(value))
        return TRUE;
    if (g_utf8_validate(value, -1, NULL) && g_hostname_is_non_ascii(value)) {
        g_autofree char *ascii = g_hostname_to_ascii(value);
        if (ascii && is_dns_name(ascii))
            return TRUE;
    } else if (is_dns_name(value)) {
        return TRUE;
    }
    return invalid(error, s, value, _("must be an IP address or a DNS name"));
}

static gboolean check_path(const struct uip_setting *s, const char *value, GError **error)
{
    if (s->pkcs11_ok && uip_pkcs11_is_uri(value)) {
        struct uip_pkcs11_uri u;
        g_autoptr(GError) e = NULL;

        if (!uip_pkcs11_uri_parse(value, &u, &e)) {
            /* a PIN put in the URI is not shown back */
            struct uip_setting unquoted = *s;

            unquoted.secret = strstr(value, "pin-") != NULL;
            return invalid(error, &unquoted, value, e->message);
        }
        uip_pkcs11_uri_clear(&u);
        return TRUE;
    }
    if (s->pkcs11_ok && value[0] != '/')
        return invalid(error, s, value,
                       _("must be an absolute file path or a PKCS#11 URI (pkcs11:…)"));
    if (value[0] != '/')
        return invalid(error, s, value, _("must be an absolute file path"));
    if (!is_printable(value))
        return invalid(error, s, value, _("must be printable text"));
    return TRUE;
}

static gboolean check_cidr_list(const struct uip_setting *s, const char *value, GError **error)
{
    g_auto(GStrv) items = g_strsplit(value, ",", -1);
    guint n = g_strv_length(items);

    if (n > UIP_SETTINGS_MAX_TS) {
        g_autofree char *reason =
            g_strdup_printf(_("at most %u networks are allowed"), UIP_SETTINGS_MAX_TS);
        return invalid(error, s, value, reason);
    }
    for (guint i = 0; i < n; i++) {
        g_autofree char *item = g_strstrip(g_strdup(items[i]));
        struct uip_ts ts;

        if (!item[0])
            return invalid(error, s, value, _("empty network in the list"));
        if (strchr(item, '-') || uip_ts_parse(item, &ts) < 0 || !uip_ts_is_prefix(&ts, NULL)) {
            g_autofree char *shown = display(item);
            g_autofree char *reason =
                g_strdup_printf(_("“%s” is not an address or an address/prefix"), shown);
            return invalid(error, s, value, reason);
        }
    }
    return TRUE;
}

/* The syntax check used when no proposal parser is plugged in. */
static gboolean proposal_syntax_ok(const char *value, const char **why)
{
    g_auto(GStrv) proposals = g_strsplit(value, ",", -1);

    for (guint i = 0; proposals[i]; i++) {
        g_auto(GStrv) words = NULL;

        if (!g_strstrip(proposals[i])[0]) { /* g_strsplit("") gives no words at all */
            *why = _("empty proposal or algorithm");
            return FALSE;
        }
        words = g_strsplit(proposals[i], "-", -1);

        for (guint j = 0; words[j]; j++) {
            char *w = g_strstrip(words[j]);
            if (!w[0]) {
                *why = _("empty proposal or algorithm");
                return FALSE;
            }
            for (const char *p = w; *p; p++)
                if (!g_ascii_isalnum(*p) && *p != '_') {
                    *why = _("algorithm names may contain only letters, digits and “_”");
                    return FALSE;
                }
        }
    }
    return TRUE;
}

static gboolean check_proposal(const struct uip_setting *s, const char *value, GError **error)
{
    uip_proposal_validator_fn fn =
        (uip_proposal_validator_fn)g_atomic_pointer_get(&proposal_validator);
    const char *why = NULL;

    if (!is_printable(value))
        return invalid(error, s, value, _("must be printable text"));
    if (fn) {
        g_autofree char *reason = NULL;
        if (fn(s->proposal, value, &reason))
            return TRUE;
        return invalid(error, s, value, reason ? reason : _("not a valid proposal list"));
    }
    if (!proposal_syntax_ok(value, &why))
        return invalid(error, s, value, why);
    return TRUE;
}

static gboolean check_ike_identity(const struct uip_setting *s, const char *value, GError **error)
{
    uip_id_validator_fn fn = (uip_id_validator_fn)g_atomic_pointer_get(&id_validator);
    g_autofree char *detail = NULL, *reason = NULL;

    if (!fn || fn(value, &detail))
        return TRUE;
    /* the parser's detail is English: quoted, not translated */
    reason = detail ? g_strdup_printf(_("not an identity in strongSwan's syntax (%s)"), detail)
                    : g_strdup(_("not an identity in strongSwan's syntax"));
    return invalid(error, s, value, reason);
}

/* @value is non-empty. */
static gboolean check_value(const struct uip_setting *s, const char *value, GError **error)
{
    if (s->max_len && strlen(value) > s->max_len) {
        g_autofree char *reason =
            g_strdup_printf(_("must be at most %u bytes long"), (unsigned)s->max_len);
        return invalid(error, s, value, reason);
    }

    switch (s->type) {
    case UIP_SETTING_STRING:
        if (!g_utf8_validate(value, -1, NULL))
            return invalid(error, s, value, _("must be valid UTF-8 text"));
        if (s->min_len && g_utf8_strlen(value, -1) < (glong)s->min_len) {
            g_autofree char *reason = g_strdup_printf(
                _("must be at least %u characters long (a shorter key can be guessed offline)"),
                (unsigned)s->min_len);
            return invalid(error, s, value, reason);
        }
        return TRUE;
    case UIP_SETTING_ENUM:
        for (guint i = 0; s->enum_values[i]; i++)
            if (strcmp(s->enum_values[i], value) == 0)
                return TRUE;
        {
            g_autofree char *list = g_strjoinv(", ", (char **)s->enum_values);
            g_autofree char *reason = g_strdup_printf(_("must be one of %s"), list);
            return invalid(error, s, value, reason);
        }
    case UIP_SETTING_BOOL:
        if (strcmp(value, UIP_VALUE_YES) == 0 || strcmp(value, UIP_VALUE_NO) == 0)
            return TRUE;
        return invalid(error, s, value, _("must be “yes” or “no”"));
    case UIP_SETTING_UINT:
    case UIP_SETTING_SECRET_FLAGS:
        return check_uint(s, value, error);
    case UIP_SETTING_HOST:
        return check_host(s, value, error);
    case UIP_SETTING_PATH:
        return check_path(s, value, error);
    case UIP_SETTING_CIDR_LIST:
        return check_cidr_list(s, value, error);
    case UIP_SETTING_PROPOSAL:
        return check_proposal(s, value, error);
    case UIP_SETTING_IDENTITY:
        if (!is_printable(value))
            return invalid(error, s, value, _("must be printable text"));
        return !s->ike_identity || check_ike_identity(s, value, error);
    }
    g_return_val_if_reached(FALSE);
}

/* ---- validation ------------------------------------------------------------------------------ */

static gboolean unknown_key(GError **error, const char *key, gboolean in_secrets)
{
    g_autofree char *shown = display(key);
    const struct uip_setting *s = uip_settings_lookup(key);

    if (s && s->secret)
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_UNKNOWN_KEY,
                    _("“%s” is a secret and must not be stored in the VPN data"), shown);
    else if (s)
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_UNKNOWN_KEY,
                    _("“%s” is not a secret and must not be stored in the VPN secrets"), shown);
    else if (in_secrets)
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_UNKNOWN_KEY,
                    _("Unknown key “%s” in the VPN secrets"), shown);
    else
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_UNKNOWN_KEY,
                    _("Unknown key “%s” in the VPN data"), shown);
    return FALSE;
}

gboolean uip_settings_validate_one(const char *key, const char *value, GError **error)
{
    const struct uip_setting *s = uip_settings_lookup(key);

    g_return_val_if_fail(key, FALSE);
    g_return_val_if_fail(!error || !*error, FALSE);

    if (!s) {
        g_autofree char *shown = display(key);
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_UNKNOWN_KEY,
                    _("Unknown key “%s”"), shown);
        return FALSE;
    }
    if (!value || !value[0]) {
        if (s->required_auth == UIP_AUTH_BITS_ALL) {
            g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                        _("Missing value for “%s” (%s)"), s->key, uip_setting_get_name(s));
            return FALSE;
        }
        return TRUE;
    }
    return check_value(s, value, error);
}

gboolean uip_settings_validate_field(const char *key, const char *value, const char *label,
                                     GError **error)
{
    const struct uip_setting *s = uip_settings_lookup(key);
    struct uip_setting field;

    g_return_val_if_fail(s && label, FALSE);
    g_return_val_if_fail(!error || !*error, FALSE);

    if (!value || !value[0]) {
        if (s->required_auth == UIP_AUTH_BITS_ALL) {
            g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING, _("%s is required"),
                        label);
            return FALSE;
        }
        return TRUE;
    }
    /* the same checks, with the label in the place of the key */
    field = *s;
    field.key = NULL;
    field.name = label;
    return check_value(&field, value, error);
}

static int compare_keys(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of @table sorted (borrowed strings; free only the array), or NULL. */
static const char **sorted_keys(GHashTable *table, guint *n)
{
    const char **keys;

    *n = 0;
    if (!table)
        return NULL;
    keys = (const char **)g_hash_table_get_keys_as_array(table, n);
    qsort(keys, *n, sizeof(*keys), compare_keys);
    return keys;
}

static const char *lookup_value(GHashTable *table, const char *key)
{
    const char *v = table ? g_hash_table_lookup(table, key) : NULL;
    return v && v[0] ? v : NULL;
}

gboolean uip_settings_validate(GHashTable *data, GHashTable *secrets, GError **error)
{
    g_autofree const char **data_keys = NULL, **secret_keys = NULL;
    guint n_data, n_secrets;
    enum uip_auth auth;

    g_return_val_if_fail(!error || !*error, FALSE);

    data_keys = sorted_keys(data, &n_data);
    secret_keys = sorted_keys(secrets, &n_secrets);

    /* unknown keys, and keys in the wrong table */
    for (guint i = 0; i < n_data; i++) {
        const struct uip_setting *s = uip_settings_lookup(data_keys[i]);
        if (!s || s->secret)
            return unknown_key(error, data_keys[i], FALSE);
    }
    for (guint i = 0; i < n_secrets; i++) {
        const struct uip_setting *s = uip_settings_lookup(secret_keys[i]);
        if (!s || !s->secret)
            return unknown_key(error, secret_keys[i], TRUE);
    }

    /* values */
    for (guint i = 0; i < n_data; i++) {
        const char *v = lookup_value(data, data_keys[i]);
        if (v && !check_value(uip_settings_lookup(data_keys[i]), v, error))
            return FALSE;
    }
    for (guint i = 0; i < n_secrets; i++) {
        const char *v = lookup_value(secrets, secret_keys[i]);
        if (v && !check_value(uip_settings_lookup(secret_keys[i]), v, error))
            return FALSE;
    }

    /* keys required whatever the auth method (gateway, auth), in table order */
    for (gsize i = 0; i < G_N_ELEMENTS(settings); i++) {
        const struct uip_setting *s = &settings[i];

        if (s->required_auth == UIP_AUTH_BITS_ALL && !lookup_value(data, s->key)) {
            g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                        _("Missing value for “%s” (%s)"), s->key, uip_setting_get_name(s));
            return FALSE;
        }
    }

    /* keys the auth method needs; "auth" is set and valid by now */
    auth = uip_auth_from_string(lookup_value(data, UIP_KEY_AUTH));
    g_assert(auth != UIP_AUTH_INVALID);
    for (gsize i = 0; i < G_N_ELEMENTS(settings); i++) {
        const struct uip_setting *s = &settings[i];

        if (s->required_auth == UIP_AUTH_BITS_ALL || !(s->required_auth & UIP_AUTH_BIT(auth)))
            continue;
        if (!s->secret) {
            if (!lookup_value(data, s->key)) {
                g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                            _("Missing value for “%s” (%s), required with authentication “%s”"),
                            s->key, uip_setting_get_name(s), uip_auth_to_string(auth));
                return FALSE;
            }
        } else if (uip_settings_get_uint(data, s->flags_key) == UIP_SECRET_FLAG_NONE &&
                   !lookup_value(secrets, s->key)) {
            /* flags 0: NetworkManager keeps the secret, so it must be there.  Agent-owned
             * and not-saved secrets come later from the agent; not-required ones may lack. */
            g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                        _("Missing secret “%s” (%s), required with authentication “%s” when "
                          "“%s” is 0"),
                        s->key, uip_setting_get_name(s), uip_auth_to_string(auth), s->flags_key);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- getters --------------------------------------------------------------------------------- */

const char *uip_settings_get_string(GHashTable *data, const char *key)
{
    const struct uip_setting *s = uip_settings_lookup(key);
    const char *v;

    g_return_val_if_fail(s, NULL);
    v = lookup_value(data, key);
    return v ? v : s->default_value;
}

guint uip_settings_get_uint(GHashTable *data, const char *key)
{
    const struct uip_setting *s = uip_settings_lookup(key);
    const char *v;
    guint n;

    g_return_val_if_fail(s && (s->type == UIP_SETTING_UINT || s->type == UIP_SETTING_SECRET_FLAGS),
                         0);
    v = lookup_value(data, key);
    if (v && check_value(s, v, NULL) && parse_uint(v, &n))
        return n;
    if (s->default_value && parse_uint(s->default_value, &n))
        return n;
    return 0;
}

gboolean uip_settings_get_bool(GHashTable *data, const char *key)
{
    const struct uip_setting *s = uip_settings_lookup(key);
    const char *v;

    g_return_val_if_fail(s && s->type == UIP_SETTING_BOOL, FALSE);
    v = lookup_value(data, key);
    if (!v || (strcmp(v, UIP_VALUE_YES) != 0 && strcmp(v, UIP_VALUE_NO) != 0))
        v = s->default_value;
    return g_strcmp0(v, UIP_VALUE_YES) == 0;
}

enum uip_auth uip_settings_get_auth(GHashTable *data)
{
    return uip_auth_from_string(lookup_value(data, UIP_KEY_AUTH));
}

/* ---- secrets --------------------------------------------------------------------------------- */

gboolean uip_key_file_is_encrypted(const char *path, const struct uip_file_owner *as)
{
    struct uip_file_data d = {0};
    gboolean enc;

    if (!path || !path[0] || uip_file_read(path, as, UIP_FILE_MAX_LEN, &d) < 0)
        return FALSE;
    /* a PEM file is text: look only for the markers, never parse the key here */
    enc = g_strstr_len((const char *)d.data, (gssize)d.len,
                       "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
          g_strstr_len((const char *)d.data, (gssize)d.len, "Proc-Type: 4,ENCRYPTED") != NULL;
    uip_file_data_clear(&d);
    return enc;
}

char **uip_settings_secrets_wanted(GHashTable *data, const struct uip_file_owner *as)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    enum uip_auth auth = uip_settings_get_auth(data);

    for (gsize i = 0; auth != UIP_AUTH_INVALID && i < G_N_ELEMENTS(settings); i++) {
        const struct uip_setting *s = &settings[i];
        gboolean wanted;

        if (!s->secret)
            continue;
        if (uip_settings_get_uint(data, s->flags_key) & UIP_SECRET_FLAG_NOT_REQUIRED)
            continue;
        if (g_str_equal(s->key, UIP_KEY_USER_KEY_PASSWORD))
            /* an encrypted key file's password, or the PIN of a token key */
            wanted = (auth == UIP_AUTH_CERT || auth == UIP_AUTH_EAP_TLS) &&
                     (uip_pkcs11_is_uri(uip_settings_get_string(data, UIP_KEY_USER_KEY)) ||
                      uip_key_file_is_encrypted(
                          uip_settings_get_string(data, UIP_KEY_USER_KEY), as));
        else
            wanted = (s->required_auth & UIP_AUTH_BIT(auth)) != 0;
        if (wanted)
            g_ptr_array_add(keys, g_strdup(s->key));
    }
    g_ptr_array_add(keys, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&keys), FALSE);
}

char **uip_settings_secrets_needed(GHashTable *data, GHashTable *secrets,
                                   const struct uip_file_owner *as)
{
    g_auto(GStrv) wanted = uip_settings_secrets_wanted(data, as);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    for (guint i = 0; wanted[i]; i++) {
        if (!lookup_value(secrets, wanted[i]))
            g_ptr_array_add(keys, g_strdup(wanted[i]));
    }
    g_ptr_array_add(keys, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&keys), FALSE);
}
