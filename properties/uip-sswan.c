/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strongSwan ".sswan" profiles <-> uipsec connections (see uip-sswan.h).
 *
 * The format is the one of the strongSwan VPN Client for Android
 * (docs.strongswan.org, "VPN Profile Import for the Android VPN Client"):
 * one JSON object, UTF-8.  Field by field:
 *
 *   uuid                       connection.uuid (required, an RFC 4122 UUID)
 *   name                       connection.id (required)
 *   type                       auth (required): ikev2-eap -> eap-mschapv2,
 *                              ikev2-cert -> cert, ikev2-eap-tls -> eap-tls;
 *                              ikev2-cert-eap and ikev2-byod-eap are refused
 *                              (two authentication rounds, TNC).  The format
 *                              has no pre-shared key type: psk connections
 *                              cannot be exported.
 *   remote.addr / .port / .id  gateway / port / remote-id
 *   remote.cert                base64 of the CA (or server) certificate, DER or
 *                              PEM -> CERT_DIR/<name>-ca.pem -> ca-cert
 *   remote.certreq             true (the default) only: uipsec always sends
 *                              certificate requests
 *   remote.revocation.crl/ocsp accepted, whatever the value: uipsec checks no
 *                              revocation, which is what false asks for and
 *                              what the client does when it finds no CRL/OCSP
 *   remote.revocation.strict   false only
 *   local.id                   local-id
 *   local.eap_id               user (ikev2-eap only)
 *   local.p12                  base64 of a PKCS#12 bundle without password
 *                              (ikev2-cert, ikev2-eap-tls; required there) ->
 *                              CERT_DIR/<name>-cert.pem (the certificate, then
 *                              any others of the bundle) and <name>-key.pem
 *                              (the key, unencrypted PKCS#8) -> user-cert and
 *                              user-key.  A bundle that needs a password is
 *                              refused with instructions to convert it: the
 *                              import API cannot ask for one.
 *   local.rsa-pss              false only (uipsec signs RSA with PKCS#1 v1.5)
 *   ike-proposal, esp-proposal ike, esp
 *   mtu, nat-keepalive         mtu, nat-keepalive
 *   split-tunneling.subnets    remote-ts (array, or a string of blank-separated items)
 *   split-tunneling.excluded   refused when not empty (no excluded subnets)
 *   split-tunneling.block-ipv4/-ipv6  false only
 *   dns-servers                ipv4.dns / ipv6.dns with ignore-auto-dns on
 *                              both: the servers replace the gateway's ones
 *   apps, excluded-apps        refused when not empty (no per-app VPN)
 *   proxy                      refused (NetworkManager has no manual proxy)
 * and, fixed: virtual-ipv6 yes (the strongSwan clients always ask the gateway
 * for an IPv4 and an IPv6 address; uipsec asks only for IPv4 by default), and
 * password-flags 1 (agent-owned) for ikev2-eap: the profile carries no password.
 *
 * Any other field is unknown.  Unknown fields and refused values fail the
 * import with a GError that names them (all unknown ones at once): libnm's
 * import has no way to return warnings, and importing a profile without part
 * of it would silently change what it does.  Numbers, booleans and strings
 * must have their JSON type; null counts as absent.
 *
 * Export is the reverse; keys of vpn.data without a profile field must hold
 * their default value (export_rules[]), and a connection that needs something
 * the format cannot say (a psk, an encrypted key without its password, an MTU
 * outside 1280..1500, ...) is refused with a GError naming the key.
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "uip-sswan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "common/uip-pkcs11-uri.h"
#include "common/uip-secret.h"
#include "common/uip-settings.h"

#define MAX_DEPTH        8             /* JSON nesting (the format needs 3) */
#define MAX_FILE_LEN     (1024 * 1024) /* certificate and key files read for export */
#define MAX_P12_MAC_ITER 1000000       /* PKCS#12 MAC iterations (OpenSSL: 2048, Java: 10000) */
#define MAX_LISTED       8             /* unknown fields named in one message */

/* What the strongSwan VPN Client for Android accepts (its Constants.java). */
#define SSWAN_MTU_MIN       1280
#define SSWAN_MTU_MAX       1500
#define SSWAN_KEEPALIVE_MIN 10
#define SSWAN_KEEPALIVE_MAX 120

/* Profile field names, used in code and in messages. */
#define F_UUID            "uuid"
#define F_NAME            "name"
#define F_TYPE            "type"
#define F_REMOTE          "remote"
#define F_REMOTE_ADDR     "remote.addr"
#define F_REMOTE_PORT     "remote.port"
#define F_REMOTE_ID       "remote.id"
#define F_REMOTE_CERT     "remote.cert"
#define F_REMOTE_CERTREQ  "remote.certreq"
#define F_REVOCATION      "remote.revocation"
#define F_REVOC_CRL       "remote.revocation.crl"
#define F_REVOC_OCSP      "remote.revocation.ocsp"
#define F_REVOC_STRICT    "remote.revocation.strict"
#define F_LOCAL           "local"
#define F_LOCAL_ID        "local.id"
#define F_LOCAL_EAP_ID    "local.eap_id"
#define F_LOCAL_P12       "local.p12"
#define F_LOCAL_RSA_PSS   "local.rsa-pss"
#define F_IKE_PROPOSAL    "ike-proposal"
#define F_ESP_PROPOSAL    "esp-proposal"
#define F_DNS_SERVERS     "dns-servers"
#define F_MTU             "mtu"
#define F_NAT_KEEPALIVE   "nat-keepalive"
#define F_SPLIT           "split-tunneling"
#define F_SPLIT_SUBNETS   "split-tunneling.subnets"
#define F_SPLIT_EXCLUDED  "split-tunneling.excluded"
#define F_SPLIT_BLOCK4    "split-tunneling.block-ipv4"
#define F_SPLIT_BLOCK6    "split-tunneling.block-ipv6"
#define F_APPS            "apps"
#define F_EXCLUDED_APPS   "excluded-apps"
#define F_PROXY           "proxy"
#define F_PROXY_HOST      "proxy.host"
#define F_PROXY_PORT      "proxy.port"
#define F_PROXY_EXCLUSION "proxy.exclusions"

enum field_type {
    FT_STRING,
    FT_INT,
    FT_BOOL,
    FT_OBJECT,
    FT_STRINGS, /* an array of strings, or one string of blank-separated items */
};

/* Every field the format defines; anything else is unknown. */
static const struct field {
    const char *path;
    enum field_type type;
} fields[] = {
    {F_UUID, FT_STRING},           {F_NAME, FT_STRING},
    {F_TYPE, FT_STRING},           {F_REMOTE, FT_OBJECT},
    {F_REMOTE_ADDR, FT_STRING},    {F_REMOTE_PORT, FT_INT},
    {F_REMOTE_ID, FT_STRING},      {F_REMOTE_CERT, FT_STRING},
    {F_REMOTE_CERTREQ, FT_BOOL},   {F_REVOCATION, FT_OBJECT},
    {F_REVOC_CRL, FT_BOOL},        {F_REVOC_OCSP, FT_BOOL},
    {F_REVOC_STRICT, FT_BOOL},     {F_LOCAL, FT_OBJECT},
    {F_LOCAL_ID, FT_STRING},       {F_LOCAL_EAP_ID, FT_STRING},
    {F_LOCAL_P12, FT_STRING},      {F_LOCAL_RSA_PSS, FT_BOOL},
    {F_IKE_PROPOSAL, FT_STRING},   {F_ESP_PROPOSAL, FT_STRING},
    {F_DNS_SERVERS, FT_STRINGS},   {F_MTU, FT_INT},
    {F_NAT_KEEPALIVE, FT_INT},     {F_SPLIT, FT_OBJECT},
    {F_SPLIT_SUBNETS, FT_STRINGS}, {F_SPLIT_EXCLUDED, FT_STRINGS},
    {F_SPLIT_BLOCK4, FT_BOOL},     {F_SPLIT_BLOCK6, FT_BOOL},
    {F_APPS, FT_STRINGS},          {F_EXCLUDED_APPS, FT_STRINGS},
    {F_PROXY, FT_OBJECT},          {F_PROXY_HOST, FT_STRING},
    {F_PROXY_PORT, FT_INT},        {F_PROXY_EXCLUSION, FT_STRINGS},
};

/* The profile types; auth NULL = not supported, with the reason. */
static const struct profile_type {
    const char *name;
    const char *auth;        /* UIP_AUTH_NAME_* */
    gboolean eap_id;         /* local.eap_id is used */
    gboolean certificate;    /* local.p12 is used (and required) */
    const char *unsupported; /* N_() */
} profile_types[] = {
    {"ikev2-eap", UIP_AUTH_NAME_EAP_MSCHAPV2, TRUE, FALSE, NULL},
    {"ikev2-cert", UIP_AUTH_NAME_CERT, FALSE, TRUE, NULL},
    {"ikev2-eap-tls", UIP_AUTH_NAME_EAP_TLS, FALSE, TRUE, NULL},
    {"ikev2-cert-eap", NULL, FALSE, FALSE,
     N_("certificate authentication followed by EAP (two authentication rounds) is not supported")},
    {"ikev2-byod-eap", NULL, FALSE, FALSE, N_("EAP with TNC (BYOD) is not supported")},
};

typedef STACK_OF(X509) x509_list;

struct out_file {
    char *path;
    char *base, *suffix; /* path = CERT_DIR/<base><suffix> (or <base>-N<suffix>) */
    gboolean reused;     /* the file is there with these contents already: not ours to remove */
    guint8 *data;
    gsize len;
    gboolean secret; /* a private key: wiped when freed */
};

struct _UipSswanImport {
    NMConnection *connection;
    char *cert_dir;
    GPtrArray *files; /* struct out_file */
};

/* ---- helpers --------------------------------------------------------------------------------- */

G_GNUC_PRINTF(2, 3)
static gboolean fail(GError **error, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED, msg);
    ERR_clear_error();
    return FALSE;
}

/* A new slot at the end of @problems (GErrors) for one more problem: every problem of a profile
 * is reported at once. */
static GError **problem(GPtrArray *problems)
{
    g_ptr_array_add(problems, NULL);
    return (GError **)&problems->pdata[problems->len - 1];
}

/* Keep @local (if any) among @problems. */
static void keep_problem(GPtrArray *problems, GError *local)
{
    if (local)
        g_ptr_array_add(problems, local);
}

/* The problems as one error: the only one as it is, several one a line. */
static gboolean report_problems(GPtrArray *problems, GError **error)
{
    g_autoptr(GString) list = g_string_new(NULL);

    if (problems->len == 1) {
        g_propagate_error(error, g_ptr_array_steal_index(problems, 0));
        return FALSE;
    }
    for (guint i = 0; i < problems->len; i++)
        g_string_append_printf(list, "\n- %s", ((GError *)problems->pdata[i])->message);
    return fail(error,
                g_dngettext(GETTEXT_PACKAGE, "The profile has %u problem:%s",
                            "The profile has %u problems:%s", problems->len),
                problems->len, list->str);
}

/* "The profile field “F” cannot be imported: REASON" */
static gboolean refuse(GError **error, const char *field, const char *reason)
{
    return fail(error, _("The profile field “%s” cannot be imported: %s"), field, reason);
}

/* A string from the input made safe to quote: at most 64 characters, no control characters. */
static char *shown(const char *s)
{
    g_autofree char *head = NULL;
    gboolean plain = g_utf8_validate(s, -1, NULL);

    for (const char *p = s; plain && *p; p = g_utf8_next_char(p))
        if (!g_unichar_isprint(g_utf8_get_char(p)))
            plain = FALSE;
    if (plain) {
        if (g_utf8_strlen(s, -1) <= 64)
            return g_strdup(s);
        head = g_utf8_substring(s, 0, 64);
        return g_strconcat(head, "…", NULL);
    }
    head = g_strndup(s, 64);
    return g_strescape(head, NULL);
}

/* A connection name made safe as a file name: letters, digits, "-_ ." (no leading dot), the
 * rest "_"; "uipsec" when nothing is left. */
static char *file_name_base(const char *id)
{
    g_autoptr(GString) name = g_string_new(NULL);

    for (const char *p = id; p && *p && g_utf8_validate(id, -1, NULL); p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_isalnum(c) || c == '-' || c == '_' || c == ' ' || (c == '.' && name->len))
            g_string_append_unichar(name, c);
        else
            g_string_append_c(name, '_');
    }
    if (!name->len)
        g_string_append(name, "uipsec");
    return g_string_free(g_steal_pointer(&name), FALSE);
}

static const char *const import_suffixes[] = {"-ca.pem", "-cert.pem", "-key.pem"};

/*
 * The start of the names of the files an import of connection @id writes to @cert_dir: the
 * connection's name (the user finds them by it), "Office" for Office-ca.pem ...; at most 64
 * characters.  uip_sswan_import_write_files() adds "-2" ... when a file of that name holds
 * something else.
 */
static char *import_file_base(const char *cert_dir, const char *id, const char *uuid)
{
    g_autofree char *base = file_name_base(id);

    if (g_utf8_strlen(base, -1) > 64)
        return g_utf8_substring(base, 0, 64);
    return g_steal_pointer(&base);
}

static void out_file_free(gpointer p)
{
    struct out_file *f = p;

    g_free(f->path);
    g_free(f->base);
    g_free(f->suffix);
    if (f->secret)
        uip_free_secret(f->data, f->len);
    else
        g_free(f->data);
    g_free(f);
}

/* The contents of a memory BIO, copied (NULL if empty). */
static guint8 *bio_steal(BIO *bio, gsize *len)
{
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);

    if (n <= 0 || !p)
        return NULL;
    *len = (gsize)n;
    return g_memdup2(p, (gsize)n);
}

/* Strict base64 (blanks and line breaks allowed, as the Android client's decoder does). */
static guint8 *base64_decode(const char *field, const char *s, gsize *out_len, GError **error)
{
    gsize n = 0, pad = 0;
    guint8 *out;

    for (const char *p = s; *p; p++) {
        if (g_ascii_isspace(*p))
            continue;
        if (*p == '=')
            pad++;
        else if (pad || !(g_ascii_isalnum(*p) || *p == '+' || *p == '/')) /* data after '=' too */
            return fail(error, _("The profile field “%s” is not valid base64"), field), NULL;
        n++;
    }
    if (n == 0 || n % 4 != 0 || pad > 2) {
        fail(error, _("The profile field “%s” is not valid base64"), field);
        return NULL;
    }
    out = g_base64_decode(s, out_len);
    if (!out || *out_len == 0) {
        g_free(out);
        fail(error, _("The profile field “%s” is not valid base64"), field);
        return NULL;
    }
    return out;
}

/*
 * JSON nesting depth, escapes and NUL characters, checked on the raw text
 * before json-glib parses it: its parser recurses, accepts escapes JSON does
 * not have (\377 gives a byte that is not UTF-8), and a string with \u0000
 * would be cut short.  FALSE with @error.
 */
static gboolean scan_text(const char *s, gsize len, GError **error)
{
    gboolean in_string = FALSE;
    guint depth = 0;

    for (gsize i = 0; i < len; i++) {
        char c = s[i];

        if (in_string) {
            if (c == '\\') {
                /* JSON's escapes only: json-glib would also take octal ones such as \777 */
                char e = i + 1 < len ? s[i + 1] : '\0';
                if (e == 'u') {
                    for (gsize k = i + 2; k < i + 6; k++)
                        if (k >= len || !g_ascii_isxdigit(s[k]))
                            return fail(error, _("The profile holds an invalid escape sequence"));
                    if (g_ascii_strncasecmp(s + i + 2, "0000", 4) == 0)
                        return fail(error, _("The profile holds a NUL character in a string"));
                } else if (!e || !strchr("\"\\/bfnrt", e)) {
                    return fail(error, _("The profile holds an invalid escape sequence"));
                }
                i++; /* skip the escaped character (the hex digits are plain characters) */
            } else if (c == '"') {
                in_string = FALSE;
            }
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '{' || c == '[') {
            if (++depth > MAX_DEPTH)
                return fail(error, _("The profile is nested too deeply (more than %u levels)"),
                            MAX_DEPTH);
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return TRUE;
}

static gboolean is_uuid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};

    for (guint g = 0; g < G_N_ELEMENTS(groups); g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!g_ascii_isxdigit(*s))
                return FALSE;
        if (g + 1 < G_N_ELEMENTS(groups) && *s++ != '-')
            return FALSE;
    }
    return *s == '\0';
}

/* ---- the shape of the JSON ------------------------------------------------------------------- */

static const struct field *field_lookup(const char *path)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        if (strcmp(fields[i].path, path) == 0)
            return &fields[i];
    return NULL;
}

static gboolean value_of_type(JsonNode *node, GType type)
{
    return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

/* Strings (also in arrays) are valid UTF-8: an escaped lone surrogate (\ud800) is not. */
static gboolean text_ok(JsonNode *node)
{
    if (value_of_type(node, G_TYPE_STRING))
        return g_utf8_validate(json_node_get_string(node), -1, NULL);
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *a = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(a); i++)
            if (!text_ok(json_array_get_element(a, i)))
                return FALSE;
    }
    return TRUE;
}

static gboolean wrong_type(GError **error, const char *path, enum field_type type)
{
    switch (type) {
    case FT_STRING:
        return fail(error, _("The profile field “%s” must be a string"), path);
    case FT_INT:
        return fail(error, _("The profile field “%s” must be an integer"), path);
    case FT_BOOL:
        return fail(error, _("The profile field “%s” must be true or false"), path);
    case FT_OBJECT:
        return fail(error, _("The profile field “%s” must be an object"), path);
    case FT_STRINGS:
        return fail(error, _("The profile field “%s” must be a string or an array of strings"),
                    path);
    }
    g_return_val_if_reached(FALSE);
}

/*
 * Check the members of @obj (at @prefix, NULL for the top level) against
 * fields[]: the type of each known one (FALSE with @error), the dotted path of
 * each unknown one added to @unknown.
 */
static gboolean check_object(JsonObject *obj, const char *prefix, GPtrArray *unknown,
                             GError **error)
{
    g_autoptr(GList) members = json_object_get_members(obj);

    for (GList *l = members; l; l = l->next) {
        const char *member = l->data;
        g_autofree char *path = prefix ? g_strconcat(prefix, ".", member, NULL) : g_strdup(member);
        const struct field *f = field_lookup(path);
        JsonNode *node = json_object_get_member(obj, member);
        gboolean ok;

        if (!f) {
            g_ptr_array_add(unknown, shown(path));
            continue;
        }
        if (JSON_NODE_HOLDS_NULL(node))
            continue;
        if (!text_ok(node))
            return fail(error, _("The profile field “%s” is not valid UTF-8 text"), path);
        switch (f->type) {
        case FT_STRING:
            ok = value_of_type(node, G_TYPE_STRING);
            break;
        case FT_INT:
            ok = value_of_type(node, G_TYPE_INT64);
            break;
        case FT_BOOL:
            ok = value_of_type(node, G_TYPE_BOOLEAN);
            break;
        case FT_OBJECT:
            ok = JSON_NODE_HOLDS_OBJECT(node);
            if (ok && !check_object(json_node_get_object(node), path, unknown, error))
                return FALSE;
            break;
        case FT_STRINGS:
            ok = value_of_type(node, G_TYPE_STRING);
            if (JSON_NODE_HOLDS_ARRAY(node)) {
                JsonArray *a = json_node_get_array(node);
                ok = TRUE;
                for (guint i = 0; i < json_array_get_length(a); i++)
                    ok = ok && value_of_type(json_array_get_element(a, i), G_TYPE_STRING);
            }
            break;
        default:
            g_return_val_if_reached(FALSE);
        }
        if (!ok)
            return wrong_type(error, path, f->type);
    }
    return TRUE;
}

/* The node at a dotted @path, or NULL when absent or null (types already checked). */
static JsonNode *lookup(JsonObject *root, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    JsonObject *obj = root;
    JsonNode *node = NULL;

    for (guint i = 0; parts[i]; i++) {
        if (!obj || !json_object_has_member(obj, parts[i]))
            return NULL;
        node = json_object_get_member(obj, parts[i]);
        if (JSON_NODE_HOLDS_NULL(node))
            return NULL;
        obj = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    }
    return node;
}

/* A string field, NULL when absent or empty. */
static const char *get_string(JsonObject *root, const char *path)
{
    JsonNode *node = lookup(root, path);
    const char *s = node ? json_node_get_string(node) : NULL;

    return s && s[0] ? s : NULL;
}

static gboolean get_bool(JsonObject *root, const char *path, gboolean def)
{
    JsonNode *node = lookup(root, path);

    return node ? json_node_get_boolean(node) : def;
}

/* An integer field as decimal text (the settings table checks the range), or NULL. */
static char *get_int_text(JsonObject *root, const char *path)
{
    JsonNode *node = lookup(root, path);

    return node ? g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node)) : NULL;
}

/* A FT_STRINGS field as a list of non-empty items (blanks removed); never NULL. */
static GPtrArray *get_strings(JsonObject *root, const char *path)
{
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    JsonNode *node = lookup(root, path);

    if (node && JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *a = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            /* as the Android client: "10.0.0.1 - 10.0.0.9" is one item */
            g_auto(GStrv) words =
                g_strsplit_set(json_array_get_string_element(a, i), " \t\r\n", -1);
            g_autofree char *item = g_strjoinv("", words);
            if (item[0])
                g_ptr_array_add(items, g_steal_pointer(&item));
        }
    } else if (node) {
        g_auto(GStrv) words = g_strsplit_set(json_node_get_string(node), " \t\r\n", -1);
        for (guint i = 0; words[i]; i++)
            if (words[i][0])
                g_ptr_array_add(items, g_strdup(words[i]));
    }
    return items;
}

/* ---- certificates and keys ------------------------------------------------------------------- */

/* One certificate, DER or PEM, as PEM text. */
/* One certificate, DER or PEM (with @several: one or more in PEM, in their order) -> PEM. */
static gboolean cert_to_pem(const char *field, const guint8 *der, gsize len, gboolean several,
                            guint8 **pem, gsize *pem_len, GError **error)
{
    const unsigned char *p = der;
    X509 *x = NULL, *more = NULL;
    BIO *in = NULL, *out = NULL;
    gboolean ok = FALSE;

    if (len > G_MAXINT)
        return fail(error, _("The certificate in “%s” is too large"), field);
    x = d2i_X509(NULL, &p, (long)len);
    if (x && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    if (!x) {
        in = BIO_new_mem_buf(der, (int)len);
        x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
    }
    if (!x) {
        fail(error, _("The profile field “%s” does not hold an X.509 certificate"), field);
        goto out;
    }
    out = BIO_new(BIO_s_mem());
    if (!out || !PEM_write_bio_X509(out, x))
        goto convert;
    while (in && (more = PEM_read_bio_X509(in, NULL, NULL, NULL))) {
        if (!several) {
            fail(error, _("The profile field “%s” holds more than one certificate"), field);
            goto out;
        }
        if (!PEM_write_bio_X509(out, more))
            goto convert;
        g_clear_pointer(&more, X509_free);
    }
    if (!(*pem = bio_steal(out, pem_len)))
        goto convert;
    ok = TRUE;
    goto out;
convert:
    fail(error, _("Cannot convert the certificate in “%s”"), field);
out:
    X509_free(x);
    X509_free(more);
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    return ok;
}

/*
 * PKCS12_parse(), retried with OpenSSL 3's "legacy" provider: it holds the
 * algorithms of older bundles (RC2, 3DES: what "openssl pkcs12 -legacy", macOS
 * and many tools produce).  Loaded for this call only, next to "default"
 * (loading a provider by hand stops the automatic loading of the default one).
 */
static int pkcs12_parse_legacy(PKCS12 *p12, const char *pass, EVP_PKEY **key, X509 **cert,
                               x509_list **ca)
{
    OSSL_PROVIDER *def = OSSL_PROVIDER_load(NULL, "default");
    OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(NULL, "legacy");
    int r = legacy ? PKCS12_parse(p12, pass, key, cert, ca) : 0;

    if (legacy)
        OSSL_PROVIDER_unload(legacy);
    if (def)
        OSSL_PROVIDER_unload(def);
    return r;
}

static gboolean key_type_supported(EVP_PKEY *key)
{
    return EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "EC");
}

/*
 * A PKCS#12 bundle (the profile's @field) -> the certificate (then the
 * bundle's other certificates) and the private key, as PEM.  @password: the
 * bundle's password when the format carries one (then the key is written as
 * encrypted PKCS#8, AES-256, with that password), else NULL or "": only a
 * bundle without password is taken, and the key is written unencrypted.
 */
static gboolean p12_to_pem(const char *field, const guint8 *der, gsize len, const char *password,
                           guint8 **cert_pem, gsize *cert_len, guint8 **key_pem, gsize *key_len,
                           GError **error)
{
    const unsigned char *p = der;
    const ASN1_INTEGER *iter = NULL;
    PKCS12 *p12 = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    x509_list *ca = NULL;
    BIO *cout = NULL, *kout = NULL;
    const char *pass;
    gboolean ok = FALSE;

    if (len > G_MAXLONG)
        return fail(error, _("The profile field “%s” is too large"), field);
    p12 = d2i_PKCS12(NULL, &p, (long)len);
    if (!p12 || p != der + len) {
        fail(error, _("The profile field “%s” does not hold a PKCS#12 bundle"), field);
        goto out;
    }
    /* The MAC is checked before anything is decrypted: a bundle without one is refused,
     * so that no key derivation runs with parameters nobody vouched for. */
    if (!PKCS12_mac_present(p12)) {
        fail(error, _("The PKCS#12 bundle in “%s” has no integrity check (MAC)"), field);
        goto out;
    }
    PKCS12_get0_mac(NULL, NULL, NULL, &iter, p12);
    if (iter && (ASN1_INTEGER_get(iter) < 1 || ASN1_INTEGER_get(iter) > MAX_P12_MAC_ITER)) {
        fail(error, _("The PKCS#12 bundle in “%s” has an unreasonable iteration count"),
             field);
        goto out;
    }
    if (password && password[0]) {
        if (!PKCS12_verify_mac(p12, password, -1)) {
            fail(error, _("The password given for the PKCS#12 bundle in “%s” does not open it"),
                 field);
            goto out;
        }
        pass = password;
    } else if (PKCS12_verify_mac(p12, "", 0))
        pass = "";
    else if (PKCS12_verify_mac(p12, NULL, 0))
        pass = NULL;
    else {
        fail(error,
             _("The PKCS#12 bundle in “%s” is protected by a password, which importing cannot "
               "ask for.  Remove the password (for example: openssl pkcs12 -in bundle.p12 -nodes "
               "| openssl pkcs12 -export -passout pass: -out clear.p12) and put the base64 of "
               "the new bundle into the profile"),
             field);
        goto out;
    }
    if (!PKCS12_parse(p12, pass, &key, &cert, &ca)) {
        ERR_clear_error();
        if (!pkcs12_parse_legacy(p12, pass, &key, &cert, &ca)) {
            fail(error, _("Cannot read the PKCS#12 bundle in “%s”"), field);
            goto out;
        }
    }
    if (!key || !cert) {
        fail(error, _("The PKCS#12 bundle in “%s” does not hold a certificate and its private key"),
             field);
        goto out;
    }
    if (X509_check_private_key(cert, key) != 1) {
        fail(error,
             _("In the PKCS#12 bundle of “%s”, the private key does not belong to the "
               "certificate"),
             field);
        goto out;
    }
    if (!key_type_supported(key)) {
        fail(error, _("The private key in “%s” is of a type uipsec cannot use (RSA or EC only)"),
             field);
        goto out;
    }

    cout = BIO_new(BIO_s_mem());
    kout = BIO_new(BIO_s_secmem()); /* wiped when freed */
    if (!cout || !kout || !PEM_write_bio_X509(cout, cert))
        goto convert_failed;
    for (int i = 0; ca && i < sk_X509_num(ca); i++)
        if (!PEM_write_bio_X509(cout, sk_X509_value(ca, i)))
            goto convert_failed;
    if (pass && pass[0] ? !PEM_write_bio_PKCS8PrivateKey(kout, key, EVP_aes_256_cbc(),
                                                         (char *)pass, (int)strlen(pass), NULL,
                                                         NULL)
                        : !PEM_write_bio_PrivateKey(kout, key, NULL, NULL, 0, NULL, NULL))
        goto convert_failed;
    *cert_pem = bio_steal(cout, cert_len);
    *key_pem = bio_steal(kout, key_len); /* the caller wipes this copy */
    if (!*cert_pem || !*key_pem)
        goto convert_failed;
    ok = TRUE;
    goto out;

convert_failed:
    g_clear_pointer(cert_pem, g_free);
    if (*key_pem)
        uip_free_secret(g_steal_pointer(key_pem), *key_len);
    fail(error, _("Cannot convert the PKCS#12 bundle in “%s”"), field);
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    BIO_free(cout);
    BIO_free(kout);
    ERR_clear_error();
    return ok;
}

/* ---- import ---------------------------------------------------------------------------------- */

/* Put @value (may be NULL: nothing) under @key, checked at once so the error names @field too. */
static gboolean set_key(GHashTable *data, const char *key, const char *value, const char *field,
                        GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!value || !value[0])
        return TRUE;
    if (!uip_settings_validate_one(key, value, &local)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   _("The profile field “%s” cannot be imported: "), field);
        return FALSE;
    }
    g_hash_table_replace(data, (gpointer)key, g_strdup(value));
    return TRUE;
}

/* Hold @data (taken over) for CERT_DIR/<base>@suffix; returns that path (borrowed). */
static const char *add_file(UipSswanImport *imp, const char *base, const char *suffix, guint8 *data,
                            gsize len, gboolean secret)
{
    struct out_file *f = g_new0(struct out_file, 1);
    g_autofree char *name = g_strconcat(base, suffix, NULL);

    f->path = g_build_filename(imp->cert_dir, name, NULL);
    f->base = g_strdup(base);
    f->suffix = g_strdup(suffix);
    f->data = data;
    f->len = len;
    f->secret = secret;
    g_ptr_array_add(imp->files, f);
    return f->path;
}

static gboolean import_certs(UipSswanImport *imp, JsonObject *root, const char *base,
                             const struct profile_type *type, GHashTable *data, GError **error)
{
    const char *b64, *path;

    b64 = get_string(root, F_REMOTE_CERT);
    if (b64) {
        g_autofree guint8 *der = NULL;
        guint8 *pem = NULL;
        gsize len = 0, pem_len = 0;

        der = base64_decode(F_REMOTE_CERT, b64, &len, error);
        if (!der || !cert_to_pem(F_REMOTE_CERT, der, len, FALSE, &pem, &pem_len, error))
            return FALSE;
        path = add_file(imp, base, import_suffixes[0], pem, pem_len, FALSE);
        if (!set_key(data, UIP_KEY_CA_CERT, path, F_REMOTE_CERT, error))
            return FALSE;
    }

    b64 = get_string(root, F_LOCAL_P12);
    if (b64 && !type->certificate)
        return fail(error,
                    _("The profile field “%s” cannot be imported: it is not used with type "
                      "“%s”"),
                    F_LOCAL_P12, type->name);
    if (!b64 && type->certificate)
        return fail(error,
                    _("A profile of type “%s” must carry the user certificate and key in “%s”: "
                      "uipsec has no certificate store to choose them from"),
                    type->name, F_LOCAL_P12);
    if (b64) {
        guint8 *der, *cert = NULL, *key = NULL;
        gsize len, cert_len = 0, key_len = 0;
        gboolean ok;

        der = base64_decode(F_LOCAL_P12, b64, &len, error);
        if (!der)
            return FALSE;
        ok = p12_to_pem(F_LOCAL_P12, der, len, NULL, &cert, &cert_len, &key, &key_len, error);
        uip_free_secret(der, len);
        if (!ok)
            return FALSE;
        path = add_file(imp, base, import_suffixes[1], cert, cert_len, FALSE);
        if (!set_key(data, UIP_KEY_USER_CERT, path, F_LOCAL_P12, error))
            return FALSE;
        path = add_file(imp, base, import_suffixes[2], key, key_len, TRUE);
        if (!set_key(data, UIP_KEY_USER_KEY, path, F_LOCAL_P12, error))
            return FALSE;
    }
    return TRUE;
}

/* The values the Android client has but uipsec cannot honour, each one to @problems. */
static void check_unsupported(JsonObject *root, const struct profile_type *type,
                              GPtrArray *problems)
{
    g_autoptr(GPtrArray) excluded = get_strings(root, F_SPLIT_EXCLUDED);
    g_autoptr(GPtrArray) apps = get_strings(root, F_APPS);
    g_autoptr(GPtrArray) excluded_apps = get_strings(root, F_EXCLUDED_APPS);

    if (!get_bool(root, F_REMOTE_CERTREQ, TRUE))
        refuse(problem(problems), F_REMOTE_CERTREQ,
                      _("uipsec always sends certificate requests; false is not supported"));
    if (get_bool(root, F_REVOC_STRICT, FALSE))
        refuse(problem(problems), F_REVOC_STRICT,
                      _("uipsec does not check certificate revocation (CRL, OCSP)"));
    if (get_bool(root, F_LOCAL_RSA_PSS, FALSE))
        refuse(problem(problems), F_LOCAL_RSA_PSS,
                      _("uipsec signs with RSA PKCS#1 v1.5; RSA-PSS is not supported"));
    if (get_string(root, F_LOCAL_EAP_ID) && !type->eap_id)
        fail(problem(problems),
                    _("The profile field “%s” cannot be imported: it is not used with type "
                      "“%s”"),
                    F_LOCAL_EAP_ID, type->name);
    if (excluded->len)
        refuse(problem(problems), F_SPLIT_EXCLUDED, _("excluded subnets are not supported"));
    if (get_bool(root, F_SPLIT_BLOCK4, FALSE))
        refuse(problem(problems), F_SPLIT_BLOCK4,
                      _("blocking traffic outside the tunnel is not supported"));
    if (get_bool(root, F_SPLIT_BLOCK6, FALSE))
        refuse(problem(problems), F_SPLIT_BLOCK6,
                      _("blocking traffic outside the tunnel is not supported"));
    if (apps->len)
        refuse(problem(problems), F_APPS, _("a VPN for some applications only is not supported"));
    if (excluded_apps->len)
        refuse(problem(problems), F_EXCLUDED_APPS,
                      _("a VPN for some applications only is not supported"));
    if (lookup(root, F_PROXY))
        refuse(problem(problems), F_PROXY, _("NetworkManager connections have no manual HTTP proxy"));
}

/* dns-servers -> the address lists of each family; FALSE with @error on a bad address. */
static gboolean import_dns(JsonObject *root, GPtrArray *dns4, GPtrArray *dns6, GError **error)
{
    g_autoptr(GPtrArray) servers = get_strings(root, F_DNS_SERVERS);
    guint8 buf[16];

    for (guint i = 0; i < servers->len; i++) {
        const char *s = servers->pdata[i];

        if (inet_pton(AF_INET, s, buf) == 1)
            g_ptr_array_add(dns4, g_strdup(s));
        else if (inet_pton(AF_INET6, s, buf) == 1)
            g_ptr_array_add(dns6, g_strdup(s));
        else {
            g_autofree char *v = shown(s);
            return fail(error, _("The profile field “%s” holds “%s”, which is not an IP address"),
                        F_DNS_SERVERS, v);
        }
    }
    return TRUE;
}

static NMSetting *ip_setting(GType type, const char *method, GPtrArray *dns)
{
    NMSetting *s = g_object_new(type, NM_SETTING_IP_CONFIG_METHOD, method,
                                NM_SETTING_IP_CONFIG_IGNORE_AUTO_DNS, TRUE, NULL);

    for (guint i = 0; i < dns->len; i++)
        nm_setting_ip_config_add_dns(NM_SETTING_IP_CONFIG(s), dns->pdata[i]);
    return s;
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static NMConnection *build_connection(const char *id, const char *uuid, GHashTable *data,
                                      GPtrArray *dns4, GPtrArray *dns6, GError **error)
{
    g_autoptr(NMConnection) connection = nm_simple_connection_new();
    NMSetting *s_con = nm_setting_connection_new();
    NMSetting *s_vpn = nm_setting_vpn_new();
    g_autofree const char **keys = NULL;
    guint n = 0;
    g_autoptr(GError) local = NULL;

    g_object_set(s_con, NM_SETTING_CONNECTION_ID, id, NM_SETTING_CONNECTION_UUID, uuid,
                 NM_SETTING_CONNECTION_TYPE, NM_SETTING_VPN_SETTING_NAME, NULL);
    nm_connection_add_setting(connection, s_con);

    g_object_set(s_vpn, NM_SETTING_VPN_SERVICE_TYPE, UIP_VPN_SERVICE, NULL);
    keys = (const char **)g_hash_table_get_keys_as_array(data, &n);
    qsort(keys, n, sizeof(*keys), compare_strings);
    for (guint i = 0; i < n; i++)
        nm_setting_vpn_add_data_item(NM_SETTING_VPN(s_vpn), keys[i],
                                     g_hash_table_lookup(data, keys[i]));
    nm_connection_add_setting(connection, s_vpn);

    if (dns4->len || dns6->len) {
        /* the profile's servers replace the gateway's ones, for both families */
        nm_connection_add_setting(connection, ip_setting(NM_TYPE_SETTING_IP4_CONFIG,
                                                         NM_SETTING_IP4_CONFIG_METHOD_AUTO, dns4));
        nm_connection_add_setting(connection, ip_setting(NM_TYPE_SETTING_IP6_CONFIG,
                                                         NM_SETTING_IP6_CONFIG_METHOD_AUTO, dns6));
    }

    if (!nm_connection_normalize(connection, NULL, NULL, &local)) {
        fail(error, _("The profile gives an invalid connection: %s"), local->message);
        return NULL;
    }
    return g_steal_pointer(&connection);
}

UipSswanImport *uip_sswan_parse(const char *data, gsize len, const char *cert_dir, GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) unknown = NULL;
    g_autoptr(GHashTable) vpn = NULL;
    g_autoptr(GPtrArray) subnets = NULL;
    g_autoptr(GPtrArray) dns4 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) dns6 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(UipSswanImport) imp = NULL;
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
    g_autofree char *uuid = NULL, *port = NULL, *mtu = NULL, *keepalive = NULL, *ts = NULL;
    g_autofree char *base = NULL;
    const struct profile_type *type = NULL;
    const char *name, *type_name;
    JsonNode *root;
    JsonObject *obj;

    g_return_val_if_fail(data || len == 0, NULL);
    g_return_val_if_fail(cert_dir && g_path_is_absolute(cert_dir), NULL);
    g_return_val_if_fail(!error || !*error, NULL);

    /* ---- text and JSON */
    if (len == 0)
        return fail(error, _("The profile is empty")), NULL;
    if (len > UIP_SSWAN_MAX_SIZE)
        return fail(error, _("The profile is larger than %u bytes"), UIP_SSWAN_MAX_SIZE), NULL;
    if (!g_utf8_validate(data, (gssize)len, NULL))
        return fail(error, _("The profile is not UTF-8 text")), NULL;
    if (!scan_text(data, len, error))
        return NULL;
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, data, (gssize)len, &local)) {
        g_autofree char *why = g_utf8_make_valid(local->message, -1);
        return fail(error, _("The profile is not valid JSON: %s"), why), NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return fail(error, _("The profile is not a JSON object")), NULL;
    obj = json_node_get_object(root);

    /* ---- the shape: types of known fields, then every unknown field at once */
    unknown = g_ptr_array_new_with_free_func(g_free);
    if (!check_object(obj, NULL, unknown, error))
        return NULL;
    if (unknown->len) {
        g_autofree char *msg = uip_sswan_unknown_fields_message(unknown);
        return fail(error, "%s", msg), NULL;
    }

    /* ---- required fields; from here on every problem is reported, together */
    uuid = g_ascii_strdown(get_string(obj, F_UUID) ? get_string(obj, F_UUID) : "", -1);
    if (!get_string(obj, F_UUID)) {
        fail(problem(problems), _("The profile has no “%s”"), F_UUID);
    } else if (!is_uuid(uuid)) {
        g_autofree char *v = shown(uuid);
        fail(problem(problems), _("The profile field “%s” is not a UUID: “%s”"), F_UUID, v);
    }
    name = get_string(obj, F_NAME);
    if (!name)
        fail(problem(problems), _("The profile has no “%s”"), F_NAME);
    type_name = get_string(obj, F_TYPE);
    if (!type_name)
        fail(problem(problems), _("The profile has no “%s”"), F_TYPE);
    for (gsize i = 0; type_name && i < G_N_ELEMENTS(profile_types); i++)
        if (strcmp(profile_types[i].name, type_name) == 0)
            type = &profile_types[i];
    if (type_name && !type) {
        g_autofree char *v = shown(type_name);
        fail(problem(problems), _("The profile type “%s” is unknown"), v);
    } else if (type && !type->auth) {
        fail(problem(problems), _("The profile type “%s” cannot be imported: %s"), type->name,
             _(type->unsupported));
        type = NULL;
    }
    if (!get_string(obj, F_REMOTE_ADDR))
        fail(problem(problems), _("The profile has no “%s”"), F_REMOTE_ADDR);
    if (type)
        check_unsupported(obj, type, problems);
    if (!type || !name) /* nothing to map to */
        return report_problems(problems, error), NULL;

    /* ---- the mapping */
    imp = uip_sswan_import_new(cert_dir);
    vpn = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    port = get_int_text(obj, F_REMOTE_PORT);
    mtu = get_int_text(obj, F_MTU);
    keepalive = get_int_text(obj, F_NAT_KEEPALIVE);
    subnets = get_strings(obj, F_SPLIT_SUBNETS);
    g_ptr_array_add(subnets, NULL);
    ts = g_strjoinv(",", (char **)subnets->pdata);

    {
        const struct {
            const char *key, *value, *field;
        } map[] = {
            {UIP_KEY_AUTH, type->auth, F_TYPE},
            {UIP_KEY_GATEWAY, get_string(obj, F_REMOTE_ADDR), F_REMOTE_ADDR},
            {UIP_KEY_PORT, port, F_REMOTE_PORT},
            {UIP_KEY_REMOTE_ID, get_string(obj, F_REMOTE_ID), F_REMOTE_ID},
            {UIP_KEY_LOCAL_ID, get_string(obj, F_LOCAL_ID), F_LOCAL_ID},
            {UIP_KEY_USER, get_string(obj, F_LOCAL_EAP_ID), F_LOCAL_EAP_ID},
            {UIP_KEY_IKE, get_string(obj, F_IKE_PROPOSAL), F_IKE_PROPOSAL},
            {UIP_KEY_ESP, get_string(obj, F_ESP_PROPOSAL), F_ESP_PROPOSAL},
            {UIP_KEY_MTU, mtu, F_MTU},
            {UIP_KEY_NAT_KEEPALIVE, keepalive, F_NAT_KEEPALIVE},
            {UIP_KEY_REMOTE_TS, ts, F_SPLIT_SUBNETS},
            {UIP_KEY_VIRTUAL_IPV6, UIP_VALUE_YES, F_TYPE},
        };
        for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
            GError *e = NULL;
            set_key(vpn, map[i].key, map[i].value, map[i].field, &e);
            keep_problem(problems, e);
        }
    }
    if (type->eap_id) {
        g_autofree char *flags = g_strdup_printf("%u", UIP_SECRET_FLAG_AGENT_OWNED);
        GError *e = NULL;
        set_key(vpn, UIP_KEY_PASSWORD_FLAGS, flags, F_TYPE, &e);
        keep_problem(problems, e);
    }
    {
        GError *e = NULL;
        base = import_file_base(cert_dir, name, uuid);
        import_certs(imp, obj, base, type, vpn, &e);
        keep_problem(problems, e);
        e = NULL;
        import_dns(obj, dns4, dns6, &e);
        keep_problem(problems, e);
    }
    if (problems->len)
        return report_problems(problems, error), NULL;

    /* ---- the whole connection, as the service will check it */
    if (!uip_settings_validate(vpn, NULL, &local)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   _("The profile is incomplete for uipsec: "));
        return NULL;
    }
    imp->connection = build_connection(name, uuid, vpn, dns4, dns6, error);
    if (!imp->connection)
        return NULL;
    return g_steal_pointer(&imp);
}

NMConnection *uip_sswan_import_get_connection(UipSswanImport *imp)
{
    g_return_val_if_fail(imp, NULL);
    return imp->connection;
}

guint uip_sswan_import_get_n_files(UipSswanImport *imp)
{
    g_return_val_if_fail(imp, 0);
    return imp->files->len;
}

/* The files imports of this process created, by connection UUID (uip_sswan_import_take_created). */
G_LOCK_DEFINE_STATIC(created_lock);
static GHashTable *created_files; /* UUID -> GPtrArray of paths */

static void note_created(const char *uuid, const char *path)
{
    GPtrArray *paths;

    if (!uuid)
        return;
    G_LOCK(created_lock);
    if (!created_files)
        created_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)g_ptr_array_unref);
    paths = g_hash_table_lookup(created_files, uuid);
    if (!paths) {
        paths = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(created_files, g_strdup(uuid), paths);
    }
    if (!g_ptr_array_find_with_equal_func(paths, path, g_str_equal, NULL))
        g_ptr_array_add(paths, g_strdup(path));
    G_UNLOCK(created_lock);
}

/* @path holds exactly @f's data (or is not there: FALSE, @exists FALSE). */
static gboolean file_holds(const char *path, const struct out_file *f, gboolean *exists)
{
    char *contents = NULL;
    gsize len = 0;
    gboolean same;

    *exists = g_file_test(path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
    if (!*exists || g_file_test(path, G_FILE_TEST_IS_SYMLINK) ||
        !g_file_get_contents(path, &contents, &len, NULL))
        return FALSE;
    same = len == f->len && CRYPTO_memcmp(contents, f->data, len) == 0;
    uip_free_secret(contents, len); /* maybe a key */
    return same;
}

/*
 * The files' names: after the connection, unless a file of such a name holds something else
 * (another connection's: never overwritten; the same contents, from importing the same
 * profile again, are reused), then "<name>-2" ... for all of them, and the connection's paths
 * follow.
 */
static gboolean settle_names(UipSswanImport *imp, GError **error)
{
    NMSettingVpn *s_vpn = imp->connection ? nm_connection_get_setting_vpn(imp->connection) : NULL;

    for (guint n = 1; n <= 100; n++) {
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        gboolean free_here = TRUE;

        for (guint i = 0; i < imp->files->len && free_here; i++) {
            const struct out_file *f = imp->files->pdata[i];
            g_autofree char *name = n == 1 ? g_strconcat(f->base, f->suffix, NULL)
                                           : g_strdup_printf("%s-%u%s", f->base, n, f->suffix);
            char *path = g_build_filename(imp->cert_dir, name, NULL);
            gboolean exists;

            g_ptr_array_add(paths, path);
            if (!file_holds(path, f, &exists) && exists)
                free_here = FALSE;
            ((struct out_file *)f)->reused = exists;
        }
        if (!free_here)
            continue;
        for (guint i = 0; i < imp->files->len; i++) {
            struct out_file *f = imp->files->pdata[i];
            const char *keys[] = {UIP_KEY_CA_CERT, UIP_KEY_USER_CERT, UIP_KEY_USER_KEY};

            for (gsize k = 0; s_vpn && k < G_N_ELEMENTS(keys); k++)
                if (g_strcmp0(nm_setting_vpn_get_data_item(s_vpn, keys[k]), f->path) == 0)
                    nm_setting_vpn_add_data_item(s_vpn, keys[k], paths->pdata[i]);
            g_free(f->path);
            f->path = g_strdup(paths->pdata[i]);
        }
        return TRUE;
    }
    return fail(error, _("The folder “%s” holds too many files named after this connection"),
                imp->cert_dir);
}

gboolean uip_sswan_import_write_files(UipSswanImport *imp, GError **error)
{
    g_return_val_if_fail(imp, FALSE);

    if (imp->files->len == 0)
        return TRUE;
    if (g_mkdir_with_parents(imp->cert_dir, 0700) != 0 || g_chmod(imp->cert_dir, 0700) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    _("Cannot create the folder “%s”: %s"), imp->cert_dir, g_strerror(e));
        return FALSE;
    }
    if (!settle_names(imp, error))
        return FALSE;
    for (guint i = 0; i < imp->files->len; i++) {
        const struct out_file *f = imp->files->pdata[i];

        if (!g_file_set_contents_full(f->path, (const char *)f->data, (gssize)f->len,
                                      G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
            return FALSE;
        if (!f->reused && imp->connection)
            note_created(nm_connection_get_uuid(imp->connection), f->path);
    }
    return TRUE;
}

char **uip_sswan_import_take_created(const char *uuid)
{
    GPtrArray *paths = NULL;
    g_autofree char *key = NULL;

    g_return_val_if_fail(uuid, NULL);
    G_LOCK(created_lock);
    if (created_files) /* the key is a copy of the table's own: freed here */
        g_hash_table_steal_extended(created_files, uuid, (gpointer *)&key, (gpointer *)&paths);
    G_UNLOCK(created_lock);
    if (!paths)
        return NULL;
    g_ptr_array_add(paths, NULL);
    return (char **)g_ptr_array_free(paths, FALSE);
}

void uip_sswan_import_free(UipSswanImport *imp)
{
    if (!imp)
        return;
    g_clear_object(&imp->connection);
    g_free(imp->cert_dir);
    g_ptr_array_unref(imp->files);
    g_free(imp);
}

/* ---- for the importers of other formats (uip-mobileconfig.c) -------------------------------- */

UipSswanImport *uip_sswan_import_new(const char *cert_dir)
{
    UipSswanImport *imp = g_new0(UipSswanImport, 1);

    g_return_val_if_fail(cert_dir && g_path_is_absolute(cert_dir), NULL);
    imp->cert_dir = g_strdup(cert_dir);
    imp->files = g_ptr_array_new_with_free_func(out_file_free);
    return imp;
}

const char *uip_sswan_import_add_file(UipSswanImport *imp, const char *base, const char *suffix,
                                      guint8 *data, gsize len, gboolean secret)
{
    return add_file(imp, base, suffix, data, len, secret);
}

char *uip_sswan_import_file_base(UipSswanImport *imp, const char *id, const char *uuid)
{
    return import_file_base(imp->cert_dir, id, uuid);
}

void uip_sswan_import_set_connection(UipSswanImport *imp, NMConnection *connection)
{
    g_clear_object(&imp->connection);
    imp->connection = connection;
}

gboolean uip_sswan_cert_to_pem(const char *field, const guint8 *der, gsize len, gboolean several,
                               guint8 **pem, gsize *pem_len, GError **error)
{
    return cert_to_pem(field, der, len, several, pem, pem_len, error);
}

gboolean uip_sswan_p12_to_pem(const char *field, const guint8 *der, gsize len,
                              const char *password, guint8 **cert_pem, gsize *cert_len,
                              guint8 **key_pem, gsize *key_len, GError **error)
{
    return p12_to_pem(field, der, len, password, cert_pem, cert_len, key_pem, key_len, error);
}

gboolean uip_sswan_set_key(GHashTable *data, const char *key, const char *value,
                           const char *field, GError **error)
{
    return set_key(data, key, value, field, error);
}

char *uip_sswan_shown(const char *s)
{
    return shown(s);
}

guint8 *uip_sswan_base64_decode(const char *field, const char *s, gsize *out_len, GError **error)
{
    return base64_decode(field, s, out_len, error);
}

char *uip_sswan_unknown_fields_message(GPtrArray *unknown)
{
    g_autoptr(GString) list = g_string_new(NULL);

    g_ptr_array_sort(unknown, compare_strings); /* json-glib keeps no member order */
    for (guint i = 0; i < unknown->len && i < MAX_LISTED; i++)
        /* TRANSLATORS: one field name in a list of them, quoted as in your other messages */
        g_string_append_printf(list, i ? _(", “%s”") : _("“%s”"), (char *)unknown->pdata[i]);
    if (unknown->len > MAX_LISTED)
        g_string_append_printf(list, _(" and %u more"), unknown->len - MAX_LISTED);
    return g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                       "The profile has a field uipsec does not know, which would "
                                       "be lost: %s",
                                       "The profile has fields uipsec does not know, which would "
                                       "be lost: %s",
                                       unknown->len),
                           list->str);
}

gboolean uip_sswan_report_problems(GPtrArray *problems, GError **error)
{
    return report_problems(problems, error);
}

NMConnection *uip_sswan_build_connection(const char *id, const char *uuid, GHashTable *data,
                                         GPtrArray *dns4, GPtrArray *dns6, GError **error)
{
    g_autoptr(GPtrArray) none = g_ptr_array_new();

    return build_connection(id, uuid, data, dns4 ? dns4 : none, dns6 ? dns6 : none, error);
}

char *uip_sswan_default_cert_dir(GError **error)
{
    g_autofree char *dir = g_build_filename(g_get_user_data_dir(), UIP_SSWAN_DATA_SUBDIR, NULL);

    if (!g_path_is_absolute(dir)) {
        fail(error, _("No folder for the certificates: the user data folder “%s” is not absolute"),
             g_get_user_data_dir());
        return NULL;
    }
    return g_steal_pointer(&dir);
}

NMConnection *uip_sswan_import_data(const char *data, gsize len, const char *cert_dir,
                                    GError **error)
{
    g_autoptr(UipSswanImport) imp = NULL;
    g_autofree char *dir = cert_dir ? g_strdup(cert_dir) : uip_sswan_default_cert_dir(error);

    if (!dir)
        return NULL;
    if (!g_path_is_absolute(dir)) {
        g_autofree char *cwd = g_get_current_dir();
        g_autofree char *abs = g_build_filename(cwd, dir, NULL);
        g_free(g_steal_pointer(&dir));
        dir = g_steal_pointer(&abs);
    }
    imp = uip_sswan_parse(data, len, dir, error);
    if (!imp || !uip_sswan_import_write_files(imp, error))
        return NULL;
    return g_object_ref(imp->connection);
}

NMConnection *uip_sswan_import_file(const char *path, const char *cert_dir, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    GStatBuf st;

    g_return_val_if_fail(path, NULL);

    if (g_stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > UIP_SSWAN_MAX_SIZE)
        return fail(error, _("The profile is larger than %u bytes"), UIP_SSWAN_MAX_SIZE), NULL;
    if (!g_file_get_contents(path, &data, &len, error))
        return NULL;
    return uip_sswan_import_data(data, len, cert_dir, error);
}

/* ---- export ---------------------------------------------------------------------------------- */

enum export_rule {
    EXPORT_MAPPED,       /* written to a profile field (or unused by the auth method) */
    EXPORT_DEFAULT_ONLY, /* the format has no such option: only the default can be exported */
    EXPORT_ANY,          /* the strongSwan clients always do it (virtual-ipv6: they ask) */
    EXPORT_NOT_PROFILE,  /* secret flags: how NetworkManager keeps secrets, not the profile */
};

static const struct {
    const char *key;
    enum export_rule rule;
} export_rules[] = {
    {UIP_KEY_GATEWAY, EXPORT_MAPPED},
    {UIP_KEY_PORT, EXPORT_MAPPED},
    {UIP_KEY_LOCAL_ID, EXPORT_MAPPED},
    {UIP_KEY_REMOTE_ID, EXPORT_MAPPED},
    {UIP_KEY_AUTH, EXPORT_MAPPED},
    {UIP_KEY_CA_CERT, EXPORT_MAPPED},
    {UIP_KEY_USER_CERT, EXPORT_MAPPED},
    {UIP_KEY_USER_KEY, EXPORT_MAPPED},
    {UIP_KEY_USER, EXPORT_MAPPED},
    {UIP_KEY_IKE, EXPORT_MAPPED},
    {UIP_KEY_ESP, EXPORT_MAPPED},
    {UIP_KEY_VIRTUAL_IPV4, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_VIRTUAL_IPV6, EXPORT_ANY},
    {UIP_KEY_REMOTE_TS, EXPORT_MAPPED},
    {UIP_KEY_LOCAL_TS, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_MTU, EXPORT_MAPPED},
    {UIP_KEY_DPD_INTERVAL, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_DPD_ACTION, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_NAT_KEEPALIVE, EXPORT_MAPPED},
    {UIP_KEY_FRAGMENTATION, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_MOBIKE, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_REKEY_CHILD, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_REKEY_IKE, EXPORT_DEFAULT_ONLY},
    {UIP_KEY_PSK_FLAGS, EXPORT_NOT_PROFILE},
    {UIP_KEY_PASSWORD_FLAGS, EXPORT_NOT_PROFILE},
    {UIP_KEY_USER_KEY_PASSWORD_FLAGS, EXPORT_NOT_PROFILE},
};

static gboolean export_rule_for(const char *key, enum export_rule *rule)
{
    for (gsize i = 0; i < G_N_ELEMENTS(export_rules); i++)
        if (strcmp(export_rules[i].key, key) == 0) {
            *rule = export_rules[i].rule;
            return TRUE;
        }
    return FALSE;
}

gboolean uip_sswan_export_knows_key(const char *key)
{
    enum export_rule rule;

    return key && export_rule_for(key, &rule);
}

static void collect_item(const char *key, const char *value, gpointer user_data)
{
    g_hash_table_insert(user_data, g_strdup(key), g_strdup(value));
}

/* Whether @s has its default value in @data (absent or empty counts as default). */
static gboolean has_default(GHashTable *data, const struct uip_setting *s)
{
    const char *v = g_hash_table_lookup(data, s->key);

    if (!v || !v[0])
        return TRUE;
    switch (s->type) {
    case UIP_SETTING_UINT:
        return s->default_value && uip_settings_get_uint(data, s->key) ==
                                       (guint)g_ascii_strtoull(s->default_value, NULL, 10);
    case UIP_SETTING_BOOL:
        return s->default_value &&
               uip_settings_get_bool(data, s->key) == g_str_equal(s->default_value, UIP_VALUE_YES);
    case UIP_SETTING_ENUM:
        return g_strcmp0(v, s->default_value) == 0;
    default:
        return FALSE;
    }
}

/* A file for export: at most MAX_FILE_LEN bytes. */
static gboolean read_small_file(const char *path, const char *key, char **data, gsize *len,
                                GError **error)
{
    g_autoptr(GError) local = NULL;
    GStatBuf st;

    if (g_stat(path, &st) == 0 && st.st_size > MAX_FILE_LEN)
        return fail(error, _("The file “%s” of “%s” is too large"), path, key);
    if (!g_file_get_contents(path, data, len, &local)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local), _("Cannot export “%s”: "), key);
        return FALSE;
    }
    return TRUE;
}

/* All certificates of a PEM file, or the one of a DER file; NULL with @error. */
static x509_list *read_certs(const char *path, const char *key, GError **error)
{
    g_autofree char *text = NULL;
    gsize len;
    x509_list *sk;
    BIO *bio;
    X509 *x;

    if (!read_small_file(path, key, &text, &len, error))
        return NULL;
    sk = sk_X509_new_null();
    bio = BIO_new_mem_buf(text, (int)len);
    while (bio && sk && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        if (!sk_X509_push(sk, x))
            X509_free(x);
    BIO_free(bio);
    if (sk && sk_X509_num(sk) == 0) {
        const unsigned char *p = (const unsigned char *)text;
        x = d2i_X509(NULL, &p, (long)len);
        if (x && !sk_X509_push(sk, x))
            X509_free(x);
    }
    ERR_clear_error();
    if (!sk || sk_X509_num(sk) == 0) {
        sk_X509_free(sk);
        fail(error, _("Cannot export “%s”: no certificate in “%s”"), key, path);
        return NULL;
    }
    return sk;
}

static int password_cb(char *buf, int size, int rwflag, void *user_data)
{
    const char *password = user_data;
    size_t n;

    if (!password)
        return 0; /* never prompt */
    n = strlen(password);
    if (n > (size_t)size)
        return 0;
    memcpy(buf, password, n);
    return (int)n;
}

static EVP_PKEY *read_key(const char *path, const char *password, GError **error)
{
    char *text = NULL;
    gsize len = 0;
    EVP_PKEY *key;
    BIO *bio;

    if (!read_small_file(path, UIP_KEY_USER_KEY, &text, &len, error))
        return NULL;
    bio = BIO_new_mem_buf(text, (int)len);
    key = bio ? PEM_read_bio_PrivateKey(bio, NULL, password_cb, (void *)password) : NULL;
    BIO_free(bio);
    if (!key) {
        const unsigned char *p = (const unsigned char *)text;
        key = d2i_AutoPrivateKey(NULL, &p, (long)len);
    }
    ERR_clear_error();
    if (!key) {
        if (!password && uip_key_file_is_encrypted(path, NULL))
            fail(error,
                 _("Cannot export “%s”: the private key in “%s” is encrypted and its password "
                   "(“%s”) is not in the connection"),
                 UIP_KEY_USER_KEY, path, UIP_KEY_USER_KEY_PASSWORD);
        else
            fail(error, _("Cannot export “%s”: no private key in “%s” (or a wrong password)"),
                 UIP_KEY_USER_KEY, path);
    }
    uip_free_secret(text, len);
    return key;
}

/*
 * user-cert + user-key -> base64 of a PKCS#12 bundle, protected by the key's
 * password when the key file is encrypted, else by the empty password.
 */
static char *export_p12(GHashTable *data, NMSettingVpn *s_vpn, GError **error)
{
    const char *password = nm_setting_vpn_get_secret(s_vpn, UIP_KEY_USER_KEY_PASSWORD);
    x509_list *certs = NULL;
    EVP_PKEY *key = NULL;
    X509 *leaf = NULL;
    PKCS12 *p12 = NULL;
    unsigned char *der = NULL;
    char *b64 = NULL;
    int der_len;

    if (password && !password[0])
        password = NULL;
    if (uip_pkcs11_is_uri(uip_settings_get_string(data, UIP_KEY_USER_KEY)) ||
        uip_pkcs11_is_uri(uip_settings_get_string(data, UIP_KEY_USER_CERT))) {
        fail(error,
             _("Cannot export “%s”: the key is on a token (a PKCS#11 URI), and a profile carries "
               "the key itself"),
             UIP_KEY_USER_KEY);
        goto out;
    }
    certs = read_certs(uip_settings_get_string(data, UIP_KEY_USER_CERT), UIP_KEY_USER_CERT, error);
    if (!certs)
        goto out;
    key = read_key(uip_settings_get_string(data, UIP_KEY_USER_KEY), password, error);
    if (!key)
        goto out;
    leaf = sk_X509_shift(certs);
    if (X509_check_private_key(leaf, key) != 1) {
        fail(error, _("Cannot export “%s”: the private key does not belong to the certificate"),
             UIP_KEY_USER_KEY);
        goto out;
    }
    /* The strongSwan apps import a bundle with a password (they ask), ours cannot: the clear
     * key goes into the profile as it is on disk, and the user is told so (nmcli prints it) */
    if (!password)
        g_message(_("The exported profile holds the private key of “%s” without a password: keep "
                    "it as secret as the key itself"),
                  uip_settings_get_string(data, UIP_KEY_USER_CERT));
    p12 = PKCS12_create(password ? password : "", NULL, key, leaf,
                        sk_X509_num(certs) ? certs : NULL, 0, 0, 0, 0, 0);
    der_len = p12 ? i2d_PKCS12(p12, &der) : -1;
    if (der_len <= 0) {
        fail(error, _("Cannot export “%s”: building the PKCS#12 bundle failed"), UIP_KEY_USER_KEY);
        goto out;
    }
    b64 = g_base64_encode(der, (gsize)der_len);
    OPENSSL_clear_free(der, (size_t)der_len);
out:
    sk_X509_pop_free(certs, X509_free);
    X509_free(leaf);
    EVP_PKEY_free(key);
    PKCS12_free(p12);
    ERR_clear_error();
    return b64;
}

/* ca-cert -> base64 of its (single) certificate in DER. */
static char *export_ca(const char *path, GError **error)
{
    x509_list *certs = read_certs(path, UIP_KEY_CA_CERT, error);
    unsigned char *der = NULL;
    char *b64 = NULL;
    int len;

    if (!certs)
        return NULL;
    if (sk_X509_num(certs) != 1) {
        fail(error,
             _("Cannot export “%s”: “%s” holds %d certificates, the profile format carries one"),
             UIP_KEY_CA_CERT, path, sk_X509_num(certs));
    } else if ((len = i2d_X509(sk_X509_value(certs, 0), &der)) > 0) {
        b64 = g_base64_encode(der, (gsize)len);
        OPENSSL_free(der);
    } else {
        fail(error, _("Cannot export “%s”"), UIP_KEY_CA_CERT);
    }
    sk_X509_pop_free(certs, X509_free);
    ERR_clear_error();
    return b64;
}

static void add_dns(JsonBuilder *b, NMConnection *connection, const char *setting_name, guint *n)
{
    NMSettingIPConfig *s_ip =
        NM_SETTING_IP_CONFIG(nm_connection_get_setting_by_name(connection, setting_name));

    for (guint i = 0; s_ip && i < nm_setting_ip_config_get_num_dns(s_ip); i++) {
        if (!(*n)++) {
            json_builder_set_member_name(b, F_DNS_SERVERS);
            json_builder_begin_array(b);
        }
        json_builder_add_string_value(b, nm_setting_ip_config_get_dns(s_ip, i));
    }
}

/* Checks of vpn.data before anything is written: keys, values, required keys, rules. */
static gboolean export_check(GHashTable *data, enum uip_auth auth, GError **error)
{
    g_autofree const char **keys = NULL;
    gsize n_settings;
    const struct uip_setting *all = uip_settings_all(&n_settings);
    guint n;

    keys = (const char **)g_hash_table_get_keys_as_array(data, &n);
    qsort(keys, n, sizeof(*keys), compare_strings);
    for (guint i = 0; i < n; i++) {
        const struct uip_setting *s = uip_settings_lookup(keys[i]);
        const char *v = g_hash_table_lookup(data, keys[i]);
        enum export_rule rule;
        g_autoptr(GError) local = NULL;

        if (!s || s->secret || !export_rule_for(keys[i], &rule)) {
            g_autofree char *k = shown(keys[i]);
            return fail(error, _("Cannot export “%s”: not a setting of the VPN data"), k);
        }
        if (!uip_settings_validate_one(keys[i], v, &local)) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local), _("Cannot export: "));
            return FALSE;
        }
        if (rule == EXPORT_DEFAULT_ONLY && !has_default(data, s)) {
            g_autofree char *value = shown(v);
            return fail(error,
                        _("Cannot export “%s” (%s) = “%s”: the strongSwan profile format has no "
                          "such option, only its default can be exported"),
                        s->key, uip_setting_get_name(s), value);
        }
    }
    for (gsize i = 0; i < n_settings; i++) {
        const char *v = g_hash_table_lookup(data, all[i].key);
        if (!all[i].secret && (all[i].required_auth & UIP_AUTH_BIT(auth)) && (!v || !v[0]))
            return fail(error, _("Cannot export: “%s” (%s) is not set"), all[i].key,
                        uip_setting_get_name(&all[i]));
    }
    return TRUE;
}

static void add_string(JsonBuilder *b, const char *member, const char *value)
{
    if (!value || !value[0])
        return;
    json_builder_set_member_name(b, member);
    json_builder_add_string_value(b, value);
}

char *uip_sswan_export_data(NMConnection *connection, GError **error)
{
    NMSettingConnection *s_con;
    NMSettingVpn *s_vpn;
    g_autoptr(GHashTable) data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonGenerator) gen = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *ca = NULL;
    g_autofree char *p12 = NULL;
    const char *type = NULL, *v;
    enum uip_auth auth;
    guint n_dns = 0;
    char *text;

    g_return_val_if_fail(NM_IS_CONNECTION(connection), NULL);

    s_con = nm_connection_get_setting_connection(connection);
    s_vpn = nm_connection_get_setting_vpn(connection);
    if (!s_con || !s_vpn || g_strcmp0(nm_setting_vpn_get_service_type(s_vpn), UIP_VPN_SERVICE))
        return fail(error, _("Cannot export: not a uipsec VPN connection")), NULL;
    if (!nm_setting_connection_get_uuid(s_con) || !nm_setting_connection_get_id(s_con))
        return fail(error, _("Cannot export: the connection has no id or no UUID")), NULL;
    nm_setting_vpn_foreach_data_item(s_vpn, collect_item, data);

    auth = uip_settings_get_auth(data);
    switch (auth) {
    case UIP_AUTH_EAP_MSCHAPV2:
        type = "ikev2-eap";
        break;
    case UIP_AUTH_CERT:
        type = "ikev2-cert";
        break;
    case UIP_AUTH_EAP_TLS:
        type = "ikev2-eap-tls";
        break;
    case UIP_AUTH_PSK:
        return fail(error, _("Cannot export: the strongSwan profile format has no pre-shared key "
                             "authentication")),
               NULL;
    case UIP_AUTH_INVALID:
    default:
        return fail(error, _("Cannot export: “%s” is not set or invalid"), UIP_KEY_AUTH), NULL;
    }
    if (!export_check(data, auth, error))
        return NULL;

    v = g_hash_table_lookup(data, UIP_KEY_NAT_KEEPALIVE);
    if (v && v[0]) {
        guint k = uip_settings_get_uint(data, UIP_KEY_NAT_KEEPALIVE);
        if (k < SSWAN_KEEPALIVE_MIN || k > SSWAN_KEEPALIVE_MAX)
            return fail(error,
                        _("Cannot export “%s” = %u: the strongSwan clients take %u to %u seconds"),
                        UIP_KEY_NAT_KEEPALIVE, k, SSWAN_KEEPALIVE_MIN, SSWAN_KEEPALIVE_MAX),
                   NULL;
    }
    if (uip_settings_get_uint(data, UIP_KEY_MTU) != 0) {
        guint mtu = uip_settings_get_uint(data, UIP_KEY_MTU);
        if (mtu < SSWAN_MTU_MIN || mtu > SSWAN_MTU_MAX)
            return fail(error, _("Cannot export “%s” = %u: the strongSwan clients take %u to %u"),
                        UIP_KEY_MTU, mtu, SSWAN_MTU_MIN, SSWAN_MTU_MAX),
                   NULL;
    }
    v = g_hash_table_lookup(data, UIP_KEY_CA_CERT);
    if (v && v[0] && !(ca = export_ca(v, error)))
        return NULL;
    if ((auth == UIP_AUTH_CERT || auth == UIP_AUTH_EAP_TLS) &&
        !(p12 = export_p12(data, s_vpn, error)))
        return NULL;

    b = json_builder_new();
    json_builder_begin_object(b);
    add_string(b, F_UUID, nm_setting_connection_get_uuid(s_con));
    add_string(b, F_NAME, nm_setting_connection_get_id(s_con));
    add_string(b, F_TYPE, type);

    json_builder_set_member_name(b, F_REMOTE);
    json_builder_begin_object(b);
    add_string(b, "addr", g_hash_table_lookup(data, UIP_KEY_GATEWAY));
    v = g_hash_table_lookup(data, UIP_KEY_PORT);
    if (v && v[0]) {
        json_builder_set_member_name(b, "port");
        json_builder_add_int_value(b, uip_settings_get_uint(data, UIP_KEY_PORT));
    }
    add_string(b, "id", g_hash_table_lookup(data, UIP_KEY_REMOTE_ID));
    add_string(b, "cert", ca);
    json_builder_end_object(b);

    v = g_hash_table_lookup(data, UIP_KEY_LOCAL_ID);
    if ((v && v[0]) || auth == UIP_AUTH_EAP_MSCHAPV2 || p12) {
        json_builder_set_member_name(b, F_LOCAL);
        json_builder_begin_object(b);
        add_string(b, "id", v);
        if (auth == UIP_AUTH_EAP_MSCHAPV2)
            add_string(b, "eap_id", g_hash_table_lookup(data, UIP_KEY_USER));
        add_string(b, "p12", p12);
        json_builder_end_object(b);
    }

    add_string(b, F_IKE_PROPOSAL, g_hash_table_lookup(data, UIP_KEY_IKE));
    add_string(b, F_ESP_PROPOSAL, g_hash_table_lookup(data, UIP_KEY_ESP));
    if (uip_settings_get_uint(data, UIP_KEY_MTU) != 0) {
        json_builder_set_member_name(b, F_MTU);
        json_builder_add_int_value(b, uip_settings_get_uint(data, UIP_KEY_MTU));
    }
    v = g_hash_table_lookup(data, UIP_KEY_NAT_KEEPALIVE);
    if (v && v[0]) {
        json_builder_set_member_name(b, F_NAT_KEEPALIVE);
        json_builder_add_int_value(b, uip_settings_get_uint(data, UIP_KEY_NAT_KEEPALIVE));
    }
    v = g_hash_table_lookup(data, UIP_KEY_REMOTE_TS);
    if (v && v[0]) {
        g_auto(GStrv) items = g_strsplit(v, ",", -1);
        json_builder_set_member_name(b, F_SPLIT);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "subnets");
        json_builder_begin_array(b);
        for (guint i = 0; items[i]; i++)
            json_builder_add_string_value(b, g_strstrip(items[i]));
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    add_dns(b, connection, NM_SETTING_IP4_CONFIG_SETTING_NAME, &n_dns);
    add_dns(b, connection, NM_SETTING_IP6_CONFIG_SETTING_NAME, &n_dns);
    if (n_dns)
        json_builder_end_array(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    if (p12) /* the bundle's key is protected by the empty password at most */
        uip_wipe(p12, strlen(p12));
    return text;
}

gboolean uip_sswan_export_file(NMConnection *connection, const char *path, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *with_newline = NULL;
    gboolean ok;

    g_return_val_if_fail(path, FALSE);

    text = uip_sswan_export_data(connection, error);
    if (!text)
        return FALSE;
    with_newline = g_strconcat(text, "\n", NULL);
    ok = g_file_set_contents_full(path, with_newline, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  error);
    uip_wipe(text, strlen(text));
    uip_wipe(with_newline, strlen(with_newline));
    return ok;
}

char *uip_sswan_suggested_filename(NMConnection *connection)
{
    NMSettingConnection *s_con = nm_connection_get_setting_connection(connection);
    g_autofree char *base = file_name_base(s_con ? nm_setting_connection_get_id(s_con) : NULL);

    return g_strconcat(base, "." UIP_SSWAN_EXTENSION, NULL);
}
