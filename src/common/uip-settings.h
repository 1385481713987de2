/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every vpn.data / vpn.secrets key of the uipsec VPN service, defined once.
 *
 * One descriptor table (uip-settings.c) gives each key its type, range,
 * allowed values, default, whether and when it is required, whether it is a
 * secret, and a translatable human name.  The service, the editor,
 * import/export and the tests all validate through it; nobody else spells a
 * key as a string literal: use the UIP_KEY_* macros.
 *
 * Values are the strings libnm's nm_setting_vpn_foreach_data_item() /
 * _foreach_secret() give: an absent key and an empty value mean the same
 * ("not set", so the default applies).  Secret flags keys ("psk-flags", ...)
 * live in vpn.data next to the other data keys, as in every NM VPN plugin.
 *
 * Errors are GErrors in UIP_SETTINGS_ERROR with a translatable message that
 * names the key.  A secret's value never appears in a message or a log line.
 */
#pragma once

#include <glib.h>

#include "common/uip-file.h"

/* The VPN service type (vpn.service-type) and D-Bus name of NetworkManager-uipsec. */
#define UIP_VPN_SERVICE "org.freedesktop.NetworkManager.uipsec"

/* ---- vpn.data keys --------------------------------------------------------------------------- */

#define UIP_KEY_GATEWAY       "gateway"       /* IPv4/IPv6 address or DNS name; required */
#define UIP_KEY_PORT          "port"          /* IKE port, 1..65535, default 500 */
#define UIP_KEY_LOCAL_ID      "local-id"      /* our IDi, printable, <= 255 bytes */
#define UIP_KEY_REMOTE_ID     "remote-id"     /* the gateway's expected IDr, ditto */
#define UIP_KEY_AUTH          "auth"          /* UIP_AUTH_NAME_*; required */
#define UIP_KEY_CA_CERT       "ca-cert"       /* absolute path; empty = system store */
#define UIP_KEY_USER_CERT     "user-cert"     /* absolute path or pkcs11: URI; cert, eap-tls */
#define UIP_KEY_USER_KEY      "user-key"      /* absolute path or pkcs11: URI; cert, eap-tls */
#define UIP_KEY_USER          "user"          /* EAP identity; required for eap-mschapv2 */
#define UIP_KEY_IKE           "ike"           /* IKE proposals (strongSwan syntax) */
#define UIP_KEY_ESP           "esp"           /* ESP proposals */
#define UIP_KEY_VIRTUAL_IPV4  "virtual-ipv4"  /* yes/no, default yes */
#define UIP_KEY_VIRTUAL_IPV6  "virtual-ipv6"  /* yes/no, default no */
#define UIP_KEY_REMOTE_TS     "remote-ts"     /* comma-separated CIDR prefixes */
#define UIP_KEY_LOCAL_TS      "local-ts"      /* comma-separated CIDR prefixes */
#define UIP_KEY_MTU           "mtu"           /* 576..9000; 0 or empty = automatic */
#define UIP_KEY_DPD_INTERVAL  "dpd-interval"  /* seconds, 0..3600, default 30; 0 = off */
#define UIP_KEY_DPD_ACTION    "dpd-action"    /* UIP_DPD_ACTION_*, default restart */
#define UIP_KEY_NAT_KEEPALIVE "nat-keepalive" /* seconds, 0..3600, default 20; 0 = off */
#define UIP_KEY_FRAGMENTATION "fragmentation" /* yes/no, default yes (RFC 7383) */
#define UIP_KEY_MOBIKE        "mobike"        /* yes/no, default yes (RFC 4555) */
#define UIP_KEY_REKEY_CHILD   "rekey-child"   /* seconds, 0..86400; 0 = the gateway rekeys */
#define UIP_KEY_REKEY_IKE     "rekey-ike"     /* seconds, 0..86400; 0 = the gateway rekeys */

/* NM secret flags (UIP_SECRET_FLAG_*, 0..7) of each secret, also in vpn.data. */
#define UIP_KEY_PSK_FLAGS               "psk-flags"
#define UIP_KEY_PASSWORD_FLAGS          "password-flags"
#define UIP_KEY_USER_KEY_PASSWORD_FLAGS "user-key-password-flags"

/* ---- vpn.secrets keys ------------------------------------------------------------------------ */

#define UIP_KEY_PSK               "psk"               /* required for psk (if flags are 0) */
#define UIP_KEY_PASSWORD          "password"          /* required for eap-mschapv2 (ditto) */
#define UIP_KEY_USER_KEY_PASSWORD "user-key-password" /* never required; a token key: its PIN */

/* ---- values ---------------------------------------------------------------------------------- */

#define UIP_AUTH_NAME_PSK          "psk"
#define UIP_AUTH_NAME_CERT         "cert"
#define UIP_AUTH_NAME_EAP_MSCHAPV2 "eap-mschapv2"
#define UIP_AUTH_NAME_EAP_TLS      "eap-tls"

#define UIP_VALUE_YES "yes"
#define UIP_VALUE_NO  "no"

/* dpd-action: when the gateway stops answering (DPD) after the tunnel was up, start a new IKE
 * SA from scratch a few times, keeping the TUN device (restart), or report the failure at
 * once (fail) */
#define UIP_DPD_ACTION_RESTART "restart"
#define UIP_DPD_ACTION_FAIL    "fail"

/*
 * NetworkManager's secret flags (NMSettingSecretFlags in libnm's
 * nm-setting.h), spelled here so that src/common needs no libnm headers.
 * Same values; the service checks them with G_STATIC_ASSERT.
 */
#define UIP_SECRET_FLAG_NONE         0x0 /* NM_SETTING_SECRET_FLAG_NONE: saved by NM */
#define UIP_SECRET_FLAG_AGENT_OWNED  0x1 /* NM_SETTING_SECRET_FLAG_AGENT_OWNED */
#define UIP_SECRET_FLAG_NOT_SAVED    0x2 /* NM_SETTING_SECRET_FLAG_NOT_SAVED: asked each time */
#define UIP_SECRET_FLAG_NOT_REQUIRED 0x4 /* NM_SETTING_SECRET_FLAG_NOT_REQUIRED */
#define UIP_SECRET_FLAGS_ALL         0x7

/* A pre-shared key has at least this many characters (charon-nm's rule): our AUTH goes out
 * before the gateway proves anything, so a short key could be guessed offline from it. */
#define UIP_PSK_MIN_LEN 20

/* At most this many prefixes in "local-ts" / "remote-ts" (= IKE_SESSION_MAX_TS = UIP_SA_MAX_TS). */
#define UIP_SETTINGS_MAX_TS 32

/* ---- the descriptor table -------------------------------------------------------------------- */

enum uip_auth {
    UIP_AUTH_PSK,
    UIP_AUTH_CERT,
    UIP_AUTH_EAP_MSCHAPV2,
    UIP_AUTH_EAP_TLS,
    UIP_AUTH_INVALID = -1,
};

/* Bits of uip_setting.required_auth. */
#define UIP_AUTH_BIT(a)   (1u << (a))
#define UIP_AUTH_BITS_ALL 0xfu /* required whatever the auth method */

enum uip_setting_type {
    UIP_SETTING_STRING,       /* any UTF-8 string (secrets) */
    UIP_SETTING_ENUM,         /* one of enum_values */
    UIP_SETTING_BOOL,         /* "yes" or "no" */
    UIP_SETTING_UINT,         /* decimal digits, min..max (or 0 when zero_ok) */
    UIP_SETTING_HOST,         /* IPv4/IPv6 address or DNS name (IDN allowed) */
    UIP_SETTING_PATH,         /* absolute file path, printable; not checked for existence */
    UIP_SETTING_CIDR_LIST,    /* "ADDR/PREFIX" or "ADDR" items, comma-separated; no ranges */
    UIP_SETTING_PROPOSAL,     /* proposal list: see uip_settings_set_proposal_validator() */
    UIP_SETTING_IDENTITY,     /* printable UTF-8, at most max_len bytes */
    UIP_SETTING_SECRET_FLAGS, /* NM secret flags of secret_key: 0..UIP_SECRET_FLAGS_ALL */
};

enum uip_proposal_kind {
    UIP_PROPOSAL_IKE,
    UIP_PROPOSAL_ESP,
};

struct uip_setting {
    const char *key;  /* UIP_KEY_* */
    const char *name; /* N_() human name: show it through uip_setting_get_name() */
    enum uip_setting_type type;
    gboolean secret;           /* lives in vpn.secrets, not in vpn.data */
    guint required_auth;       /* UIP_AUTH_BIT()s of the auth methods that need it; 0 = optional */
    const char *flags_key;     /* secret: its flags key in vpn.data; SECRET_FLAGS: NULL */
    const char *secret_key;    /* SECRET_FLAGS: the secret these flags are for */
    const char *default_value; /* NULL = none; always a valid value */
    guint min, max;            /* UINT, SECRET_FLAGS: inclusive range */
    gboolean zero_ok;          /* UINT: 0 is also fine ("automatic", "off") */
    gsize max_len;             /* length limit in bytes; 0 = none */
    gsize min_len;             /* STRING: at least this many characters when set; 0 = none */
    gboolean ike_identity;     /* IDENTITY: an IKE identity, see uip_settings_set_id_validator() */
    const char *const *enum_values;  /* ENUM: NULL-terminated */
    enum uip_proposal_kind proposal; /* PROPOSAL: which parser */
    gboolean pkcs11_ok; /* PATH: a PKCS#11 URI (common/uip-pkcs11-uri.h) is fine too */
};

/* ---- errors ---------------------------------------------------------------------------------- */

#define UIP_SETTINGS_ERROR (uip_settings_error_quark())
GQuark uip_settings_error_quark(void);

typedef enum {
    UIP_SETTINGS_ERROR_UNKNOWN_KEY,   /* no such key, or a data key among the secrets (or back) */
    UIP_SETTINGS_ERROR_INVALID_VALUE, /* the value does not fit the key's type or range */
    UIP_SETTINGS_ERROR_MISSING,       /* a required key (given the auth method) is not set */
} UipSettingsError;

/* ---- lookups --------------------------------------------------------------------------------- */

/* The descriptor of @key, or NULL when there is none. */
const struct uip_setting *uip_settings_lookup(const char *key);

/* The whole table, in a stable order; its length goes to *@n_settings. */
const struct uip_setting *uip_settings_all(gsize *n_settings);

/* The translated human name of @setting ("Gateway"). */
const char *uip_setting_get_name(const struct uip_setting *setting);

/* The name to ask for the secret @setting by, given the connection's @data: its human name,
 * except the private key password of a key on a token (user-key a pkcs11: URI): "Token PIN". */
const char *uip_setting_get_prompt_name(const struct uip_setting *setting, GHashTable *data);

/* "psk" -> UIP_AUTH_PSK ...; UIP_AUTH_INVALID for NULL or anything else. */
enum uip_auth uip_auth_from_string(const char *s);
/* UIP_AUTH_PSK -> "psk" ...; NULL when out of range. */
const char *uip_auth_to_string(enum uip_auth auth);

/* ---- validation ------------------------------------------------------------------------------ */

/*
 * Plug in the real proposal parser (the service passes a wrapper around
 * ike_proposals_parse(): src/common must not depend on src/ike).  The hook
 * returns TRUE when @value is a valid list for @kind; otherwise FALSE and, if
 * it can, a newly allocated translated reason in *@reason (never NULL
 * @reason), which the settings error then quotes.  NULL removes the hook.
 *
 * Without a hook, a proposal list is accepted when it is proposals separated
 * by commas of keywords separated by dashes, none empty, keywords of
 * [A-Za-z0-9_] (blanks around them allowed): the syntax, not the algorithms.
 *
 * Set it once at start-up, before any validation; the pointer is accessed
 * atomically.
 */
typedef gboolean (*uip_proposal_validator_fn)(enum uip_proposal_kind kind, const char *value,
                                              char **reason);
void uip_settings_set_proposal_validator(uip_proposal_validator_fn fn);

/*
 * The same for IKE identities (local-id, remote-id: strongSwan's syntax, parsed by
 * ike_id_from_text() in the service): TRUE when @value parses, else FALSE and, if it can, a
 * newly allocated reason in *@reason.  Without a hook an identity only has to be printable.
 */
typedef gboolean (*uip_id_validator_fn)(const char *value, char **reason);
void uip_settings_set_id_validator(uip_id_validator_fn fn);

/*
 * Validate one field, for the editor: FALSE with an UNKNOWN_KEY or
 * INVALID_VALUE error.  An empty (or NULL) value is "not set": an error
 * (MISSING) only for keys required whatever the auth method (gateway, auth);
 * whether the others are required depends on the auth method, which
 * uip_settings_validate() checks.  Secrets accept any valid UTF-8 (a PSK of
 * at least UIP_PSK_MIN_LEN characters); local-id / remote-id go through the
 * identity validator when one is plugged in.
 */
gboolean uip_settings_validate_one(const char *key, const char *value, GError **error);

/*
 * The same for a field of a form (the connection editor): the message names the field by
 * @label, as the user sees it (no mnemonic underscore), and says what is allowed
 * ("Port: must be between 1 and 65535", "Gateway is required"), never the key.
 */
gboolean uip_settings_validate_field(const char *key, const char *value, const char *label,
                                     GError **error);

/*
 * Validate a whole connection: @data and @secrets are string -> string
 * tables of vpn.data and vpn.secrets (either may be NULL = empty).
 * FALSE with the first error, in this order: unknown keys (a key of the wrong
 * table counts as unknown: a secret must not be stored in vpn.data), then bad
 * values, then missing required keys for the configured auth method.  Each
 * pass goes through keys in a stable order, so the same input always gives
 * the same error.
 *
 * A required secret must be present (and non-empty) only when its flags are
 * UIP_SECRET_FLAG_NONE (0, "saved by NetworkManager"): an agent-owned or
 * not-saved secret arrives later through the secret agent, and a
 * not-required one may be absent.  Secret values must be UTF-8; a PSK has
 * at least UIP_PSK_MIN_LEN characters.
 */
gboolean uip_settings_validate(GHashTable *data, GHashTable *secrets, GError **error);

/* ---- typed getters (input already validated) ------------------------------------------------- */

/*
 * The value of @key in @data, or its default when absent or empty.  For
 * validated input; an invalid value also yields the default.  Calling a getter
 * for a key of another type is a programming error (g_return_val_if_fail).
 */
guint uip_settings_get_uint(GHashTable *data, const char *key);         /* UINT, SECRET_FLAGS */
gboolean uip_settings_get_bool(GHashTable *data, const char *key);      /* BOOL */
const char *uip_settings_get_string(GHashTable *data, const char *key); /* any data key; or NULL */
enum uip_auth uip_settings_get_auth(GHashTable *data); /* UIP_AUTH_INVALID when unset/bad */

/* ---- secrets --------------------------------------------------------------------------------- */

/*
 * The secret keys the connection's auth method uses, in table order, as a
 * NULL-terminated array (free with g_strfreev; never NULL, maybe empty):
 * psk for psk, password for eap-mschapv2, and user-key-password for cert and
 * eap-tls when the private key file is encrypted (uip_key_file_is_encrypted()) or the key
 * is on a token (a pkcs11: URI: the password is its PIN).
 * A secret whose flags say UIP_SECRET_FLAG_NOT_REQUIRED is left out.
 * The key file is read as @as (uip-file.h), or with the caller's rights when NULL.
 */
char **uip_settings_secrets_wanted(GHashTable *data, const struct uip_file_owner *as);

/*
 * Of those, the ones not present (or empty) in @secrets: what NetworkManager's
 * need_secrets must ask for, and what an auth dialog prompts for.
 */
char **uip_settings_secrets_needed(GHashTable *data, GHashTable *secrets,
                                   const struct uip_file_owner *as);

/*
 * TRUE when the PEM file at @path holds an encrypted private key
 * ("ENCRYPTED PRIVATE KEY", or a legacy "Proc-Type: 4,ENCRYPTED" header).
 * FALSE for a clear key, a DER file, or a file that cannot be read (the
 * service then reports the unreadable file when it loads it).  Read as @as
 * (NULL: the caller's rights): a regular file, at most UIP_FILE_MAX_LEN,
 * wiped after.
 */
gboolean uip_key_file_is_encrypted(const char *path, const struct uip_file_owner *as);
