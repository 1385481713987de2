/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Apple ".mobileconfig" profiles -> uipsec connections (see uip-mobileconfig.h).
 *
 * Flow: bytes -> (a signed profile: the CMS content, signature checked against
 * the certificates it carries, not their trust) -> the XML property list as a
 * small tree (GMarkup; depth and size bounded) -> the payloads: exactly one
 * com.apple.vpn.managed with VPNType IKEv2, certificate payloads -> vpn.data,
 * vpn.secrets and the files to write (UipSswanImport of uip-sswan.c).
 *
 * Keys of the VPN payload's IKEv2 dictionary, as dotted paths in messages:
 *
 *   RemoteAddress                gateway (required)
 *   RemoteIdentifier             remote-id
 *   LocalIdentifier              local-id
 *   AuthenticationMethod         SharedSecret (the default) -> psk; Certificate
 *    + ExtendedAuthEnabled       -> cert, or eap-tls with EAP; None with EAP ->
 *                                eap-mschapv2.  Refused: None without EAP,
 *                                SharedSecret with EAP, Certificate with EAP
 *                                and AuthName/AuthPassword (two rounds).
 *   SharedSecret                 psk secret (at least 20 characters); absent:
 *                                psk-flags 1, the secret agent asks
 *   AuthName / AuthPassword      user / password secret; no AuthPassword:
 *                                password-flags 1
 *   PayloadCertificateUUID       the com.apple.security.pkcs12 payload of that
 *                                PayloadUUID -> CERT_DIR/<name>-cert.pem and
 *                                -key.pem -> user-cert, user-key; its Password
 *                                -> the key written encrypted with it and the
 *                                user-key-password secret
 *   IKESecurityAssociationParameters, ChildSecurityAssociationParameters:
 *     EncryptionAlgorithm        AES-128, AES-256, AES-128-GCM, AES-256-GCM,
 *                                ChaCha20Poly1305 (DES, 3DES refused)
 *     IntegrityAlgorithm         SHA2-256, -384, -512 (SHA1-96/-160 refused);
 *                                with GCM/ChaCha20 it gives the IKE PRF, and
 *                                is unused for ESP
 *     DiffieHellmanGroup         14, 15, 16, 19, 20, 31 (others refused)
 *     LifeTimeInMinutes          rekey-ike / rekey-child (seconds)
 *                                -> ike / esp in strongSwan's syntax; a missing
 *                                key of a present dictionary has Apple's
 *                                default (AES-256, SHA2-256, group 14)
 *   EnablePFS                    esp gets the child dictionary's group
 *   DeadPeerDetectionRate        dpd-interval: None 0, Low 1800, Medium 600,
 *                                High 60 (Apple's documented periods); absent:
 *                                uipsec's default (30 s), not Apple's Medium
 *   DisableMOBIKE                mobike no
 *   NATKeepAliveInterval, MTU    nat-keepalive, mtu
 *   UserDefinedName              connection.id (else the payload's or the
 *                                profile's PayloadDisplayName)
 * The VPN payload's PayloadUUID is the connection's uuid when it is one.
 * Its DNS dictionary: ServerAddresses -> ipv4.dns / ipv6.dns with
 * ignore-auto-dns (they replace the gateway's servers, as in a .sswan
 * import), SearchDomains -> dns-search of both, DNSProtocol Cleartext only.
 * CA certificates: every com.apple.security.root, .pem (one certificate or a
 * chain) and .pkcs1 payload, one after the other in CERT_DIR/<name>-ca.pem
 * -> ca-cert.
 *
 * Ignored, as they change nothing uipsec does: the Payload* keys other than
 * the above, ConsentText and the rest of the profile's own keys,
 * NATKeepAliveOffloadEnable, OnDemandUserOverrideDisabled, DisconnectOnIdleTimer,
 * CertificateType and ServerCertificateType (the key in the bundle and the
 * gateway's certificate decide), payloads of other types (Wi-Fi, mail, ...)
 * and PKCS#12 payloads no VPN refers to.
 *
 * Refused by name: VPNType other than IKEv2, more than one VPN payload (one
 * connection per file: importing only one would drop the others), per-app VPN
 * payloads, encrypted profiles, DisableRedirect, OnDemandEnabled/OnDemandRules,
 * IncludeAllNetworks, ExcludeLocalNetworks and the other Exclude... keys,
 * EnforceRoutes, EnableFallback, DisconnectOnIdle, UseConfigurationAttributeInternalIPSubnet,
 * EnableCertificateRevocationCheck, StrictRevocationCheck,
 * ServerCertificateCommonName and ServerCertificateIssuerCommonName (uipsec
 * binds the gateway to remote-id, not to a CN), TLSMinimumVersion/Maximum,
 * and at the payload level Proxies, IPv4, VendorConfig, VPNSubType, DNS over
 * HTTPS/TLS and DNS search domains without servers; any
 * key not named here.  Binary property lists are refused with the command that
 * converts them.
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "uip-mobileconfig.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "common/uip-secret.h"
#include "common/uip-settings.h"

#define MAX_DEPTH 16    /* plist nesting (a VPN profile needs 5) */
#define MAX_NODES 20000 /* plist values */

#define T_CONFIGURATION "Configuration"
#define T_VPN           "com.apple.vpn.managed"
#define T_VPN_APPLAYER  "com.apple.vpn.managed.applayer"
#define T_PKCS12        "com.apple.security.pkcs12"

/* ---- the property list as a tree ------------------------------------------------------------- */

enum pl_type {
    PL_DICT,
    PL_ARRAY,
    PL_STRING,
    PL_INTEGER,
    PL_REAL,
    PL_TRUE,
    PL_FALSE,
    PL_DATA,
    PL_DATE,
};

struct pl {
    enum pl_type type;
    GString *text;    /* leaves: the element's text */
    GPtrArray *keys;  /* DICT: char *, parallel to items */
    GPtrArray *items; /* DICT, ARRAY: struct pl * */
};

static const struct {
    const char *element;
    enum pl_type type;
} pl_elements[] = {
    {"dict", PL_DICT},       {"array", PL_ARRAY}, {"string", PL_STRING}, {"integer", PL_INTEGER},
    {"real", PL_REAL},       {"true", PL_TRUE},   {"false", PL_FALSE},   {"data", PL_DATA},
    {"date", PL_DATE},
};

static void pl_free(gpointer p)
{
    struct pl *n = p;

    if (!n)
        return;
    if (n->text) { /* secrets are strings too: every text is wiped */
        gsize size = n->text->allocated_len;
        uip_free_secret(g_string_free(n->text, FALSE), size);
    }
    if (n->keys)
        g_ptr_array_unref(n->keys);
    if (n->items)
        g_ptr_array_unref(n->items);
    g_free(n);
}

struct pl_parser {
    struct pl *root;   /* the <plist>'s value */
    GPtrArray *stack;  /* open containers and leaves (borrowed) */
    GString *key;      /* the text of an open <key>, else NULL */
    char *pending_key; /* a dict's key waiting for its value */
    guint nodes;
    gboolean in_plist, plist_done;
};

/* A property list that is XML but not a valid plist: stops the GMarkup parser. */
#define markup_fail(error, ...)                                                                    \
    g_set_error((error), G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, __VA_ARGS__)

static struct pl *pl_top(struct pl_parser *p)
{
    return p->stack->len ? p->stack->pdata[p->stack->len - 1] : NULL;
}

static void pl_start(GMarkupParseContext *ctx, const char *element, const char **names,
                     const char **values, gpointer user_data, GError **error)
{
    struct pl_parser *p = user_data;
    struct pl *top = pl_top(p), *n;
    gsize i;

    if (strcmp(element, "plist") == 0) {
        if (p->in_plist || p->plist_done || top)
            markup_fail(error, _("<plist> is not the outermost element"));
        p->in_plist = TRUE;
        return;
    }
    if (!p->in_plist) {
        markup_fail(error, _("the document is not a property list (no <plist>)"));
        return;
    }
    if (p->key) {
        markup_fail(error, _("an element inside <key>"));
        return;
    }
    if (strcmp(element, "key") == 0) {
        if (!top || top->type != PL_DICT || p->pending_key)
            markup_fail(error, _("<key> outside a <dict> or without a value"));
        else
            p->key = g_string_new(NULL);
        return;
    }
    for (i = 0; i < G_N_ELEMENTS(pl_elements); i++)
        if (strcmp(element, pl_elements[i].element) == 0)
            break;
    if (i == G_N_ELEMENTS(pl_elements)) {
        g_autofree char *e = uip_sswan_shown(element);
        markup_fail(error, _("unknown element <%s>"), e);
        return;
    }
    if (top && top->type != PL_DICT && top->type != PL_ARRAY) {
        markup_fail(error, _("an element inside a value"));
        return;
    }
    if (top && top->type == PL_DICT && !p->pending_key) {
        markup_fail(error, _("a value in a <dict> without its <key>"));
        return;
    }
    if (!top && p->root) {
        markup_fail(error, _("more than one value in <plist>"));
        return;
    }
    if (p->stack->len >= MAX_DEPTH || ++p->nodes > MAX_NODES) {
        markup_fail(error, _("the property list is nested too deeply or too large"));
        return;
    }

    n = g_new0(struct pl, 1);
    n->type = pl_elements[i].type;
    if (n->type == PL_DICT || n->type == PL_ARRAY) {
        n->items = g_ptr_array_new_with_free_func(pl_free);
        if (n->type == PL_DICT)
            n->keys = g_ptr_array_new_with_free_func(g_free);
    } else {
        n->text = g_string_new(NULL);
    }
    if (!top)
        p->root = n;
    else {
        g_ptr_array_add(top->items, n);
        if (top->type == PL_DICT)
            g_ptr_array_add(top->keys, g_steal_pointer(&p->pending_key));
    }
    g_ptr_array_add(p->stack, n);
}

static void pl_end(GMarkupParseContext *ctx, const char *element, gpointer user_data,
                   GError **error)
{
    struct pl_parser *p = user_data;
    struct pl *top = pl_top(p);

    if (strcmp(element, "plist") == 0) {
        if (!p->root)
            markup_fail(error, _("an empty <plist>"));
        p->in_plist = FALSE;
        p->plist_done = TRUE;
        return;
    }
    if (strcmp(element, "key") == 0) {
        /* keys are compared as they are: no duplicate in one dict */
        for (guint i = 0; i < top->keys->len; i++)
            if (strcmp(top->keys->pdata[i], p->key->str) == 0) {
                g_autofree char *k = uip_sswan_shown(p->key->str);
                markup_fail(error, _("the key “%s” appears twice in one <dict>"), k);
                return;
            }
        p->pending_key = g_string_free(g_steal_pointer(&p->key), FALSE);
        return;
    }
    if (top && top->type == PL_DICT && p->pending_key) {
        markup_fail(error, _("a <key> without its value"));
        return;
    }
    g_ptr_array_remove_index(p->stack, p->stack->len - 1);
}

static void pl_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data,
                    GError **error)
{
    struct pl_parser *p = user_data;
    struct pl *top = pl_top(p);

    if (p->key) {
        g_string_append_len(p->key, text, (gssize)len);
        return;
    }
    if (top && top->text) {
        if (top->text->len + len > UIP_MOBILECONFIG_MAX_SIZE)
            markup_fail(error, _("the property list is nested too deeply or too large"));
        else
            g_string_append_len(top->text, text, (gssize)len);
        return;
    }
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isspace(text[i])) {
            markup_fail(error, _("text outside a value"));
            return;
        }
}

/* The XML property list in @data -> its tree, or NULL with an NM_CONNECTION_ERROR. */
static struct pl *pl_parse(const char *data, gsize len, GError **error)
{
    static const GMarkupParser parser = {pl_start, pl_end, pl_text, NULL, NULL};
    struct pl_parser p = {.stack = g_ptr_array_new()};
    GMarkupParseContext *ctx;
    g_autoptr(GError) local = NULL;
    gboolean ok;

    ctx = g_markup_parse_context_new(&parser, G_MARKUP_PREFIX_ERROR_POSITION, &p, NULL);
    ok = g_markup_parse_context_parse(ctx, data, (gssize)len, &local) &&
         g_markup_parse_context_end_parse(ctx, &local);
    g_markup_parse_context_free(ctx);
    if (ok && !p.plist_done) {
        markup_fail(&local, _("the document is not a property list (no <plist>)"));
        ok = FALSE;
    }
    g_ptr_array_unref(p.stack);
    if (p.key)
        uip_free_secret_str(g_string_free(p.key, FALSE));
    g_free(p.pending_key);
    if (!ok) {
        g_autofree char *why = g_utf8_make_valid(local->message, -1);
        pl_free(p.root);
        g_set_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED,
                    _("The profile is not a valid XML property list: %s"), why);
        return NULL;
    }
    return p.root;
}

static struct pl *pl_get(struct pl *dict, const char *key)
{
    for (guint i = 0; dict && dict->type == PL_DICT && i < dict->keys->len; i++)
        if (strcmp(dict->keys->pdata[i], key) == 0)
            return dict->items->pdata[i];
    return NULL;
}

/* ---- import ---------------------------------------------------------------------------------- */

struct import {
    UipSswanImport *imp;
    GPtrArray *dns4, *dns6, *search; /* char *: ipv4.dns, ipv6.dns, dns-search of both */
    GHashTable *data;    /* vpn.data: UIP_KEY_* -> value */
    GHashTable *secrets; /* vpn.secrets: UIP_KEY_* -> value (wiped) */
    GPtrArray *problems; /* GError: every problem of the profile */
    GPtrArray *unknown;  /* char *: the dotted paths of unknown keys */
};

G_GNUC_PRINTF(2, 3)
static void problem(struct import *im, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(im->problems,
                    g_error_new_literal(NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED, msg));
    ERR_clear_error();
}

static void refuse(struct import *im, const char *path, const char *reason)
{
    problem(im, _("The profile field “%s” cannot be imported: %s"), path, reason);
}

static void keep(struct import *im, GError *local)
{
    if (local)
        g_ptr_array_add(im->problems, local);
}

static void set_key(struct import *im, const char *key, const char *value, const char *path)
{
    GError *local = NULL;

    uip_sswan_set_key(im->data, key, value, path, &local);
    keep(im, local);
}

/* A secret: validated like vpn.secrets (a PSK's length), its flags 0 (NetworkManager keeps it). */
static void set_secret(struct import *im, const char *key, const char *flags_key,
                       const char *value, const char *path)
{
    g_autoptr(GError) local = NULL;

    if (!uip_settings_validate_one(key, value, &local)) {
        g_prefix_error(&local, _("The profile field “%s” cannot be imported: "), path);
        keep(im, g_steal_pointer(&local));
        return;
    }
    g_hash_table_replace(im->secrets, (gpointer)key, g_strdup(value));
    set_key(im, flags_key, "0", path);
}

/* A value's text if it is a <string> (NULL when absent); a problem if it is something else. */
static const char *get_string(struct import *im, struct pl *dict, const char *key,
                              const char *path)
{
    struct pl *n = pl_get(dict, key);

    if (!n)
        return NULL;
    if (n->type != PL_STRING) {
        problem(im, _("The profile field “%s” must be a string"), path);
        return NULL;
    }
    return n->text->str;
}

/* A <true/>, <false/>, or an <integer> 0 or 1 (what Apple's VPN keys use); @def when absent. */
static gboolean get_bool(struct import *im, struct pl *dict, const char *key, const char *path,
                         gboolean def)
{
    struct pl *n = pl_get(dict, key);
    g_autofree char *t = NULL;

    if (!n)
        return def;
    if (n->type == PL_TRUE || n->type == PL_FALSE)
        return n->type == PL_TRUE;
    t = n->type == PL_INTEGER ? g_strstrip(g_strdup(n->text->str)) : NULL;
    if (g_strcmp0(t, "0") == 0 || g_strcmp0(t, "1") == 0)
        return t[0] == '1';
    problem(im, _("The profile field “%s” must be true or false (or 0 or 1)"), path);
    return def;
}

/* An <integer> as decimal text (newly allocated) without sign or blanks; NULL when absent. */
static char *get_uint_text(struct import *im, struct pl *dict, const char *key, const char *path)
{
    struct pl *n = pl_get(dict, key);
    g_autofree char *t = NULL;
    guint64 v;

    if (!n)
        return NULL;
    t = n->type == PL_INTEGER ? g_strstrip(g_strdup(n->text->str)) : NULL;
    if (!t || !g_ascii_string_to_unsigned(t, 10, 0, G_MAXUINT32, &v, NULL)) {
        problem(im, _("The profile field “%s” must be a whole number"), path);
        return NULL;
    }
    return g_strdup_printf("%" G_GUINT64_FORMAT, v);
}

/* A <data> value decoded (newly allocated); NULL when absent or with a problem. */
static guint8 *get_data(struct import *im, struct pl *dict, const char *key, const char *path,
                        gsize *len)
{
    struct pl *n = pl_get(dict, key);
    GError *local = NULL;
    guint8 *out;

    if (!n)
        return NULL;
    if (n->type != PL_DATA) {
        problem(im, _("The profile field “%s” must be data"), path);
        return NULL;
    }
    out = uip_sswan_base64_decode(path, n->text->str, len, &local);
    keep(im, local);
    return out;
}

/* How the importer treats a key of a dictionary. */
enum key_rule {
    K_MAPPED,       /* read by the mapping */
    K_IGNORED,      /* changes nothing uipsec does */
    K_REFUSED_TRUE, /* a boolean: refused when true, with the reason */
    K_REFUSED,      /* refused when present, with the reason */
};

struct key_desc {
    const char *key;
    enum key_rule rule;
    const char *reason; /* N_(), for K_REFUSED* */
};

/* The Payload* keys every payload has, and what the importer makes of them. */
#define PAYLOAD_KEYS                                                                               \
    {"PayloadType", K_MAPPED, NULL}, {"PayloadUUID", K_MAPPED, NULL},                              \
        {"PayloadDisplayName", K_MAPPED, NULL}, {"PayloadVersion", K_IGNORED, NULL},               \
        {"PayloadIdentifier", K_IGNORED, NULL}, {"PayloadDescription", K_IGNORED, NULL},           \
        {"PayloadOrganization", K_IGNORED, NULL}

static const struct key_desc vpn_keys[] = {
    PAYLOAD_KEYS,
    {"UserDefinedName", K_MAPPED, NULL},
    {"VPNType", K_MAPPED, NULL},
    {"IKEv2", K_MAPPED, NULL},
    {"VPNSubType", K_REFUSED, N_("VPN plug-ins of other apps are not supported")},
    {"VendorConfig", K_REFUSED, N_("VPN plug-ins of other apps are not supported")},
    {"Proxies", K_REFUSED, N_("NetworkManager connections have no manual HTTP proxy")},
    {"DNS", K_MAPPED, NULL},
    {"IPv4", K_REFUSED, N_("uipsec routes what the gateway's traffic selectors say")},
    {"OnDemandEnabled", K_REFUSED_TRUE,
     N_("NetworkManager does not start VPN connections on demand")},
    {"OnDemandRules", K_REFUSED, N_("NetworkManager does not start VPN connections on demand")},
};

static const struct key_desc ikev2_keys[] = {
    {"RemoteAddress", K_MAPPED, NULL},
    {"RemoteIdentifier", K_MAPPED, NULL},
    {"LocalIdentifier", K_MAPPED, NULL},
    {"AuthenticationMethod", K_MAPPED, NULL},
    {"ExtendedAuthEnabled", K_MAPPED, NULL},
    {"SharedSecret", K_MAPPED, NULL},
    {"AuthName", K_MAPPED, NULL},
    {"AuthPassword", K_MAPPED, NULL},
    {"PayloadCertificateUUID", K_MAPPED, NULL},
    {"IKESecurityAssociationParameters", K_MAPPED, NULL},
    {"ChildSecurityAssociationParameters", K_MAPPED, NULL},
    {"EnablePFS", K_MAPPED, NULL},
    {"DeadPeerDetectionRate", K_MAPPED, NULL},
    {"DisableMOBIKE", K_MAPPED, NULL},
    {"NATKeepAliveInterval", K_MAPPED, NULL},
    {"MTU", K_MAPPED, NULL},
    {"NATKeepAliveOffloadEnable", K_IGNORED, NULL},
    {"OnDemandUserOverrideDisabled", K_IGNORED, NULL},
    {"DisconnectOnIdleTimer", K_IGNORED, NULL},
    {"CertificateType", K_IGNORED, NULL},
    {"ServerCertificateType", K_IGNORED, NULL},
    {"DisableRedirect", K_REFUSED_TRUE,
     N_("uipsec always follows a redirect of the gateway (RFC 5685)")},
    {"OnDemandEnabled", K_REFUSED_TRUE,
     N_("NetworkManager does not start VPN connections on demand")},
    {"OnDemandRules", K_REFUSED, N_("NetworkManager does not start VPN connections on demand")},
    {"IncludeAllNetworks", K_REFUSED_TRUE,
     N_("blocking traffic outside the tunnel is not supported")},
    {"ExcludeLocalNetworks", K_REFUSED_TRUE, N_("excluded networks are not supported")},
    {"ExcludeCellularServices", K_REFUSED_TRUE, N_("excluded networks are not supported")},
    {"ExcludeAPNs", K_REFUSED_TRUE, N_("excluded networks are not supported")},
    {"ExcludeDeviceCommunication", K_REFUSED_TRUE, N_("excluded networks are not supported")},
    {"EnforceRoutes", K_REFUSED_TRUE, N_("uipsec routes what the gateway's traffic selectors say")},
    {"UseConfigurationAttributeInternalIPSubnet", K_REFUSED_TRUE,
     N_("uipsec routes what the gateway's traffic selectors say")},
    {"EnableFallback", K_REFUSED_TRUE, N_("falling back to cellular data is not supported")},
    {"DisconnectOnIdle", K_REFUSED_TRUE, N_("disconnecting when idle is not supported")},
    {"EnableCertificateRevocationCheck", K_REFUSED_TRUE,
     N_("uipsec does not check certificate revocation (CRL, OCSP)")},
    {"StrictRevocationCheck", K_REFUSED_TRUE,
     N_("uipsec does not check certificate revocation (CRL, OCSP)")},
    {"ServerCertificateCommonName", K_REFUSED,
     N_("uipsec binds the gateway's certificate to the remote identity, not to a common name")},
    {"ServerCertificateIssuerCommonName", K_REFUSED,
     N_("uipsec binds the gateway's certificate to the remote identity, not to a common name")},
    {"TLSMinimumVersion", K_REFUSED, N_("the EAP-TLS versions cannot be set")},
    {"TLSMaximumVersion", K_REFUSED, N_("the EAP-TLS versions cannot be set")},
};

static const struct key_desc dns_keys[] = {
    {"ServerAddresses", K_MAPPED, NULL},
    {"SearchDomains", K_MAPPED, NULL},
    {"DNSProtocol", K_MAPPED, NULL},
};

static const struct key_desc sa_keys[] = {
    {"EncryptionAlgorithm", K_MAPPED, NULL},
    {"IntegrityAlgorithm", K_MAPPED, NULL},
    {"DiffieHellmanGroup", K_MAPPED, NULL},
    {"LifeTimeInMinutes", K_MAPPED, NULL},
};

/*
 * Check the keys of @dict (at dotted @prefix) against @desc: unknown ones to im->unknown,
 * refusals to im->problems.
 */
static void check_keys(struct import *im, struct pl *dict, const char *prefix,
                       const struct key_desc *desc, gsize n_desc)
{
    for (guint i = 0; i < dict->keys->len; i++) {
        const char *key = dict->keys->pdata[i];
        g_autofree char *path = g_strconcat(prefix, ".", key, NULL);
        const struct key_desc *d = NULL;

        for (gsize k = 0; k < n_desc && !d; k++)
            if (strcmp(desc[k].key, key) == 0)
                d = &desc[k];
        if (!d) {
            g_ptr_array_add(im->unknown, uip_sswan_shown(path));
            continue;
        }
        if (d->rule == K_REFUSED_TRUE && get_bool(im, dict, key, path, FALSE))
            refuse(im, path, _(d->reason));
        else if (d->rule == K_REFUSED) {
            struct pl *n = dict->items->pdata[i];
            /* an empty list of rules asks for nothing */
            if (!(n->type == PL_ARRAY && n->items->len == 0))
                refuse(im, path, _(d->reason));
        }
    }
}

/* ---- proposals -------------------------------------------------------------------------------- */

static const struct {
    const char *apple, *ours; /* ours NULL: refused */
    gboolean aead;
} encryptions[] = {
    {"AES-128", "aes128", FALSE},
    {"AES-256", "aes256", FALSE},
    {"AES-128-GCM", "aes128gcm16", TRUE},
    {"AES-256-GCM", "aes256gcm16", TRUE},
    {"ChaCha20Poly1305", "chacha20poly1305", TRUE},
    {"DES", NULL, FALSE},
    {"3DES", NULL, FALSE},
};

static const struct {
    const char *apple, *ours;
} integrities[] = {
    {"SHA2-256", "sha256"}, {"SHA2-384", "sha384"}, {"SHA2-512", "sha512"},
    {"SHA1-96", NULL},      {"SHA1-160", NULL},
};

static const struct {
    guint group;
    const char *ours;
} dh_groups[] = {
    {14, "modp2048"}, {15, "modp3072"}, {16, "modp4096"},
    {19, "ecp256"},   {20, "ecp384"},   {31, "curve25519"},
};

/*
 * One SecurityAssociationParameters dictionary -> a proposal in strongSwan's
 * syntax (newly allocated; NULL with a problem).  IKE: ENCR-INTEG-DH, or
 * ENCR-PRF-DH with an AEAD cipher; ESP: ENCR-INTEG or ENCR, with -DH when
 * @with_dh.  @lifetime: LifeTimeInMinutes as seconds, or NULL.
 */
static char *sa_proposal(struct import *im, struct pl *sa, const char *prefix, gboolean ike,
                         gboolean with_dh, char **lifetime)
{
    g_autofree char *p_enc = g_strconcat(prefix, ".EncryptionAlgorithm", NULL);
    g_autofree char *p_int = g_strconcat(prefix, ".IntegrityAlgorithm", NULL);
    g_autofree char *p_dh = g_strconcat(prefix, ".DiffieHellmanGroup", NULL);
    g_autofree char *p_life = g_strconcat(prefix, ".LifeTimeInMinutes", NULL);
    const char *enc = "AES-256", *integ = "SHA2-256", *v; /* Apple's defaults */
    const char *our_enc = NULL, *our_int = NULL, *our_dh = NULL;
    g_autofree char *dh_text = NULL, *minutes = NULL;
    gboolean aead = FALSE, ok = TRUE, known_enc = FALSE, known_int = FALSE;
    guint dh = 14;

    if (sa) {
        g_assert(sa->type == PL_DICT);
        check_keys(im, sa, prefix, sa_keys, G_N_ELEMENTS(sa_keys));
        if ((v = get_string(im, sa, "EncryptionAlgorithm", p_enc)))
            enc = v;
        if ((v = get_string(im, sa, "IntegrityAlgorithm", p_int)))
            integ = v;
        dh_text = get_uint_text(im, sa, "DiffieHellmanGroup", p_dh);
        if (dh_text)
            dh = (guint)g_ascii_strtoull(dh_text, NULL, 10);
        minutes = get_uint_text(im, sa, "LifeTimeInMinutes", p_life);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(encryptions); i++)
        if (strcmp(encryptions[i].apple, enc) == 0) {
            known_enc = TRUE;
            our_enc = encryptions[i].ours;
            aead = encryptions[i].aead;
            if (!our_enc)
                problem(im, _("The profile field “%s” = “%s” cannot be imported: uipsec has "
                              "no such weak cipher (AES, AES-GCM and ChaCha20-Poly1305 only)"),
                        p_enc, enc);
        }
    if (aead && !ike)
        integ = "SHA2-256"; /* ESP with an AEAD cipher has no integrity algorithm: unused */
    for (gsize i = 0; i < G_N_ELEMENTS(integrities); i++)
        if (strcmp(integrities[i].apple, integ) == 0) {
            known_int = TRUE;
            our_int = integrities[i].ours;
            if (!our_int)
                problem(im, _("The profile field “%s” = “%s” cannot be imported: uipsec has "
                              "no SHA-1 integrity (SHA2-256, -384 and -512 only)"),
                        p_int, integ);
        }
    for (gsize i = 0; i < G_N_ELEMENTS(dh_groups); i++)
        if (dh_groups[i].group == dh)
            our_dh = dh_groups[i].ours;
    if (!known_enc) {
        g_autofree char *s = uip_sswan_shown(enc);
        problem(im, _("The profile field “%s” has the unknown value “%s”"), p_enc, s);
    }
    if (!known_int) {
        g_autofree char *s = uip_sswan_shown(integ);
        problem(im, _("The profile field “%s” has the unknown value “%s”"), p_int, s);
    }
    if (!our_dh && (ike || with_dh))
        problem(im, _("The profile field “%s” = %u cannot be imported: uipsec has the groups "
                      "14, 15, 16, 19, 20 and 31"),
                p_dh, dh);
    ok = our_enc && our_int && (our_dh || !(ike || with_dh));
    if (lifetime)
        *lifetime = minutes ? g_strdup_printf("%" G_GUINT64_FORMAT,
                                              g_ascii_strtoull(minutes, NULL, 10) * 60)
                            : NULL;
    if (!ok)
        return NULL;
    if (ike)
        return aead ? g_strdup_printf("%s-prf%s-%s", our_enc, our_int, our_dh)
                    : g_strdup_printf("%s-%s-%s", our_enc, our_int, our_dh);
    return g_strdup_printf("%s%s%s%s%s", our_enc, aead ? "" : "-", aead ? "" : our_int,
                           with_dh ? "-" : "", with_dh ? our_dh : "");
}

/*
 * IKEv2.@name -> @proposal_key and @rekey_key.  Without the dictionary: nothing, or with
 * @always a proposal of Apple's defaults (EnablePFS alone asks for the default group).
 */
static void import_sa(struct import *im, struct pl *ikev2, const char *name, gboolean ike,
                      gboolean with_dh, gboolean always, const char *proposal_key,
                      const char *rekey_key)
{
    struct pl *sa = pl_get(ikev2, name);
    g_autofree char *path = g_strconcat("IKEv2.", name, NULL);
    g_autofree char *life_path = g_strconcat(path, ".LifeTimeInMinutes", NULL);
    g_autofree char *life = NULL, *proposal = NULL;

    if (sa && sa->type != PL_DICT) {
        problem(im, _("The profile field “%s” must be a dictionary"), path);
        return;
    }
    if (!sa && !always)
        return;
    proposal = sa_proposal(im, sa, path, ike, with_dh, &life);
    set_key(im, proposal_key, proposal, path);
    set_key(im, rekey_key, life, life_path);
}

static void import_proposals(struct import *im, struct pl *ikev2)
{
    gboolean pfs = get_bool(im, ikev2, "EnablePFS", "IKEv2.EnablePFS", FALSE);

    import_sa(im, ikev2, "IKESecurityAssociationParameters", TRUE, TRUE, FALSE, UIP_KEY_IKE,
              UIP_KEY_REKEY_IKE);
    import_sa(im, ikev2, "ChildSecurityAssociationParameters", FALSE, pfs, pfs, UIP_KEY_ESP,
              UIP_KEY_REKEY_CHILD);
}

/* ---- authentication and certificates ---------------------------------------------------------- */

/* The payload of @uuid among @payloads, or NULL. */
static struct pl *payload_by_uuid(struct pl *payloads, const char *uuid)
{
    for (guint i = 0; i < payloads->items->len; i++) {
        struct pl *p = payloads->items->pdata[i];
        struct pl *u = pl_get(p, "PayloadUUID");
        if (u && u->type == PL_STRING && strcmp(u->text->str, uuid) == 0)
            return p;
    }
    return NULL;
}

static const char *payload_type(struct pl *payload)
{
    struct pl *t = pl_get(payload, "PayloadType");
    return t && t->type == PL_STRING ? t->text->str : NULL;
}

/* Every CA payload -> one PEM file -> ca-cert. */
static void import_cas(struct import *im, struct pl *payloads, const char *base)
{
    static const char *const ca_types[] = {"com.apple.security.root", "com.apple.security.pem",
                                           "com.apple.security.pkcs1", NULL};
    g_autoptr(GByteArray) all = g_byte_array_new();
    const char *path;

    for (guint i = 0; i < payloads->items->len; i++) {
        struct pl *p = payloads->items->pdata[i];
        const char *type = payload_type(p);
        g_autofree char *field = NULL;
        g_autofree guint8 *der = NULL;
        g_autofree guint8 *pem = NULL;
        gsize len = 0, pem_len = 0;
        GError *local = NULL;

        if (!type || !g_strv_contains(ca_types, type))
            continue;
        field = g_strconcat(type, ".PayloadContent", NULL);
        der = get_data(im, p, "PayloadContent", field, &len);
        if (!der) {
            if (!pl_get(p, "PayloadContent"))
                problem(im, _("The profile has no “%s”"), field);
            continue;
        }
        /* a PEM payload may hold a chain: every CA goes into the one file anyway */
        if (!uip_sswan_cert_to_pem(field, der, len, TRUE, &pem, &pem_len, &local)) {
            keep(im, local);
            continue;
        }
        g_byte_array_append(all, pem, (guint)pem_len);
    }
    if (!all->len)
        return;
    path = uip_sswan_import_add_file(im->imp, base, "-ca.pem", all->data, all->len, FALSE);
    g_byte_array_free(g_steal_pointer(&all), FALSE);
    set_key(im, UIP_KEY_CA_CERT, path, "com.apple.security.root");
}

/* IKEv2.PayloadCertificateUUID -> its PKCS#12 payload -> user-cert, user-key (+ password). */
static void import_identity(struct import *im, struct pl *payloads, const char *uuid,
                            const char *base)
{
    const char *field = T_PKCS12 ".PayloadContent";
    struct pl *p = payload_by_uuid(payloads, uuid);
    const char *password, *path;
    guint8 *der, *cert = NULL, *key = NULL;
    gsize len = 0, cert_len = 0, key_len = 0;
    GError *local = NULL;

    if (!p || g_strcmp0(payload_type(p), T_PKCS12) != 0) {
        g_autofree char *u = uip_sswan_shown(uuid);
        problem(im,
                _("The profile field “%s” names “%s”, which is not the PayloadUUID of a %s "
                  "payload in the profile"),
                "IKEv2.PayloadCertificateUUID", u, T_PKCS12);
        return;
    }
    password = get_string(im, p, "Password", T_PKCS12 ".Password");
    der = get_data(im, p, "PayloadContent", field, &len);
    if (!der) {
        if (!pl_get(p, "PayloadContent"))
            problem(im, _("The profile has no “%s”"), field);
        return;
    }
    if (!uip_sswan_p12_to_pem(field, der, len, password, &cert, &cert_len, &key, &key_len,
                              &local)) {
        uip_free_secret(der, len);
        keep(im, local);
        return;
    }
    uip_free_secret(der, len);
    path = uip_sswan_import_add_file(im->imp, base, "-cert.pem", cert, cert_len, FALSE);
    set_key(im, UIP_KEY_USER_CERT, path, field);
    path = uip_sswan_import_add_file(im->imp, base, "-key.pem", key, key_len, TRUE);
    set_key(im, UIP_KEY_USER_KEY, path, field);
    if (password && password[0])
        set_secret(im, UIP_KEY_USER_KEY_PASSWORD, UIP_KEY_USER_KEY_PASSWORD_FLAGS, password,
                   T_PKCS12 ".Password");
}

/* AuthenticationMethod + ExtendedAuthEnabled -> auth; the secrets; the identity's payload. */
static void import_auth(struct import *im, struct pl *ikev2, struct pl *payloads,
                        const char *base)
{
    const char *method = get_string(im, ikev2, "AuthenticationMethod",
                                    "IKEv2.AuthenticationMethod");
    gboolean eap = get_bool(im, ikev2, "ExtendedAuthEnabled", "IKEv2.ExtendedAuthEnabled", FALSE);
    const char *psk = get_string(im, ikev2, "SharedSecret", "IKEv2.SharedSecret");
    const char *name = get_string(im, ikev2, "AuthName", "IKEv2.AuthName");
    const char *password = get_string(im, ikev2, "AuthPassword", "IKEv2.AuthPassword");
    const char *cert_uuid = get_string(im, ikev2, "PayloadCertificateUUID",
                                       "IKEv2.PayloadCertificateUUID");
    const char *auth = NULL;
    g_autofree char *agent = g_strdup_printf("%u", UIP_SECRET_FLAG_AGENT_OWNED);

    if (!method)
        method = "SharedSecret"; /* Apple's default */
    if (strcmp(method, "SharedSecret") == 0 && !eap)
        auth = UIP_AUTH_NAME_PSK;
    else if (strcmp(method, "Certificate") == 0 && !eap)
        auth = UIP_AUTH_NAME_CERT;
    else if (strcmp(method, "Certificate") == 0 && !name && !password)
        auth = UIP_AUTH_NAME_EAP_TLS;
    else if (strcmp(method, "Certificate") == 0)
        refuse(im, "IKEv2.ExtendedAuthEnabled",
               _("certificate authentication followed by EAP (two authentication rounds) is "
                 "not supported"));
    else if (strcmp(method, "None") == 0 && eap)
        auth = UIP_AUTH_NAME_EAP_MSCHAPV2;
    else if (strcmp(method, "None") == 0)
        refuse(im, "IKEv2.AuthenticationMethod",
               _("“None” without ExtendedAuthEnabled leaves no way to authenticate"));
    else if (strcmp(method, "SharedSecret") == 0)
        refuse(im, "IKEv2.ExtendedAuthEnabled",
               _("EAP together with a pre-shared key is not supported"));
    else {
        g_autofree char *m = uip_sswan_shown(method);
        problem(im, _("The profile field “%s” has the unknown value “%s”"),
                "IKEv2.AuthenticationMethod", m);
    }
    if (!auth)
        return;
    set_key(im, UIP_KEY_AUTH, auth, "IKEv2.AuthenticationMethod");

    /* each key with the method that uses it; anything else would be dropped */
    if (psk && strcmp(auth, UIP_AUTH_NAME_PSK) != 0)
        problem(im, _("The profile field “%s” cannot be imported: it is not used with “%s”"),
                "IKEv2.SharedSecret", auth);
    if ((name || password) && strcmp(auth, UIP_AUTH_NAME_EAP_MSCHAPV2) != 0)
        problem(im, _("The profile field “%s” cannot be imported: it is not used with “%s”"),
                name ? "IKEv2.AuthName" : "IKEv2.AuthPassword", auth);
    if (cert_uuid && strcmp(auth, UIP_AUTH_NAME_CERT) != 0 &&
        strcmp(auth, UIP_AUTH_NAME_EAP_TLS) != 0)
        problem(im, _("The profile field “%s” cannot be imported: it is not used with “%s”"),
                "IKEv2.PayloadCertificateUUID", auth);

    if (strcmp(auth, UIP_AUTH_NAME_PSK) == 0) {
        if (psk)
            set_secret(im, UIP_KEY_PSK, UIP_KEY_PSK_FLAGS, psk, "IKEv2.SharedSecret");
        else
            set_key(im, UIP_KEY_PSK_FLAGS, agent, "IKEv2.SharedSecret");
    } else if (strcmp(auth, UIP_AUTH_NAME_EAP_MSCHAPV2) == 0) {
        if (!name)
            problem(im,
                    _("The profile has no “%s”: uipsec needs the EAP user name in the "
                      "connection"),
                    "IKEv2.AuthName");
        set_key(im, UIP_KEY_USER, name, "IKEv2.AuthName");
        if (password)
            set_secret(im, UIP_KEY_PASSWORD, UIP_KEY_PASSWORD_FLAGS, password,
                       "IKEv2.AuthPassword");
        else
            set_key(im, UIP_KEY_PASSWORD_FLAGS, agent, "IKEv2.AuthPassword");
    } else if (!cert_uuid) {
        problem(im,
                _("The profile has no “%s”: with certificate authentication it must name the "
                  "%s payload of the user's certificate and key"),
                "IKEv2.PayloadCertificateUUID", T_PKCS12);
    } else {
        import_identity(im, payloads, cert_uuid, base);
    }
}

/* ---- DNS -------------------------------------------------------------------------------------- */

/* Each string of the array @key of @dict to @take (FALSE: not valid); FALSE with a problem. */
static gboolean get_strings(struct import *im, struct pl *dict, const char *key, const char *path,
                            gboolean (*take)(struct import *im, const char *s))
{
    struct pl *n = pl_get(dict, key);
    gboolean strings = n && n->type == PL_ARRAY;

    if (!n)
        return TRUE;
    for (guint i = 0; strings && i < n->items->len; i++)
        strings = ((struct pl *)n->items->pdata[i])->type == PL_STRING;
    if (!strings) {
        problem(im, _("The profile field “%s” must be a list of strings"), path);
        return FALSE;
    }
    for (guint i = 0; i < n->items->len; i++) {
        struct pl *item = n->items->pdata[i];
        if (!take(im, g_strstrip(item->text->str))) {
            g_autofree char *v = uip_sswan_shown(item->text->str);
            problem(im, _("The profile field “%s” holds “%s”, which is not valid there"), path, v);
            return FALSE;
        }
    }
    return TRUE;
}

/* An IPv4 or IPv6 address, to the servers of its family. */
static gboolean dns_address(struct import *im, const char *s)
{
    guint8 buf[16];

    if (inet_pton(AF_INET, s, buf) == 1)
        g_ptr_array_add(im->dns4, g_strdup(s));
    else if (inet_pton(AF_INET6, s, buf) == 1)
        g_ptr_array_add(im->dns6, g_strdup(s));
    else
        return FALSE;
    return TRUE;
}

/* A DNS domain (letters, digits, '-' and '.', at most 253 characters), to the search list. */
static gboolean dns_domain(struct import *im, const char *s)
{
    gsize n = strlen(s);

    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
            return FALSE;
    if (n == 0 || n > 253)
        return FALSE;
    g_ptr_array_add(im->search, g_strdup(s));
    return TRUE;
}

/* com.apple.vpn.managed.DNS: the servers replace the gateway's ones, with their search list. */
static void import_dns(struct import *im, struct pl *dns)
{
    const char *proto;

    if (dns->type != PL_DICT) {
        problem(im, _("The profile field “%s” must be a dictionary"), T_VPN ".DNS");
        return;
    }
    check_keys(im, dns, T_VPN ".DNS", dns_keys, G_N_ELEMENTS(dns_keys));
    proto = get_string(im, dns, "DNSProtocol", T_VPN ".DNS.DNSProtocol");
    if (proto && strcmp(proto, "Cleartext") != 0)
        refuse(im, T_VPN ".DNS.DNSProtocol", _("encrypted DNS (HTTPS, TLS) is not supported"));
    get_strings(im, dns, "ServerAddresses", T_VPN ".DNS.ServerAddresses", dns_address);
    get_strings(im, dns, "SearchDomains", T_VPN ".DNS.SearchDomains", dns_domain);
    if (im->search->len && !im->dns4->len && !im->dns6->len)
        refuse(im, T_VPN ".DNS.SearchDomains",
               _("search domains without ServerAddresses are not supported"));
}

/* ---- the payloads ----------------------------------------------------------------------------- */

static void import_ikev2(struct import *im, struct pl *ikev2)
{
    g_autofree char *keepalive = NULL, *mtu = NULL;
    const char *dpd;

    check_keys(im, ikev2, "IKEv2", ikev2_keys, G_N_ELEMENTS(ikev2_keys));
    if (!pl_get(ikev2, "RemoteAddress"))
        problem(im, _("The profile has no “%s”"), "IKEv2.RemoteAddress");
    set_key(im, UIP_KEY_GATEWAY, get_string(im, ikev2, "RemoteAddress", "IKEv2.RemoteAddress"),
            "IKEv2.RemoteAddress");
    set_key(im, UIP_KEY_REMOTE_ID,
            get_string(im, ikev2, "RemoteIdentifier", "IKEv2.RemoteIdentifier"),
            "IKEv2.RemoteIdentifier");
    set_key(im, UIP_KEY_LOCAL_ID, get_string(im, ikev2, "LocalIdentifier", "IKEv2.LocalIdentifier"),
            "IKEv2.LocalIdentifier");

    dpd = get_string(im, ikev2, "DeadPeerDetectionRate", "IKEv2.DeadPeerDetectionRate");
    if (dpd) {
        /* Apple's periods: NEVPNIKEv2DeadPeerDetectionRate */
        static const char *const rates[][2] = {
            {"None", "0"}, {"Low", "1800"}, {"Medium", "600"}, {"High", "60"}};
        const char *seconds = NULL;
        for (gsize i = 0; i < G_N_ELEMENTS(rates); i++)
            if (strcmp(rates[i][0], dpd) == 0)
                seconds = rates[i][1];
        if (!seconds) {
            g_autofree char *s = uip_sswan_shown(dpd);
            problem(im, _("The profile field “%s” has the unknown value “%s”"),
                    "IKEv2.DeadPeerDetectionRate", s);
        }
        set_key(im, UIP_KEY_DPD_INTERVAL, seconds, "IKEv2.DeadPeerDetectionRate");
    }
    if (get_bool(im, ikev2, "DisableMOBIKE", "IKEv2.DisableMOBIKE", FALSE))
        set_key(im, UIP_KEY_MOBIKE, UIP_VALUE_NO, "IKEv2.DisableMOBIKE");
    keepalive = get_uint_text(im, ikev2, "NATKeepAliveInterval", "IKEv2.NATKeepAliveInterval");
    set_key(im, UIP_KEY_NAT_KEEPALIVE, keepalive, "IKEv2.NATKeepAliveInterval");
    mtu = get_uint_text(im, ikev2, "MTU", "IKEv2.MTU");
    set_key(im, UIP_KEY_MTU, mtu, "IKEv2.MTU");
    import_proposals(im, ikev2);
}

/* The one VPN payload of @payloads, or NULL with a problem. */
static struct pl *find_vpn(struct import *im, struct pl *payloads)
{
    struct pl *vpn = NULL;
    guint n = 0;

    for (guint i = 0; i < payloads->items->len; i++) {
        struct pl *p = payloads->items->pdata[i];
        const char *type;

        if (p->type != PL_DICT) {
            problem(im, _("The profile field “%s” must hold dictionaries"), "PayloadContent");
            return NULL;
        }
        type = payload_type(p);
        if (!type) {
            problem(im, _("A payload of the profile has no “%s”"), "PayloadType");
            return NULL;
        }
        if (strcmp(type, T_VPN_APPLAYER) == 0)
            refuse(im, T_VPN_APPLAYER, _("a VPN for some applications only is not supported"));
        if (strcmp(type, T_VPN) == 0 && n++ == 0)
            vpn = p;
    }
    if (n == 0 && im->problems->len == 0)
        problem(im, _("The profile holds no VPN payload (%s)"), T_VPN);
    if (n > 1)
        problem(im,
                _("The profile holds %u VPN payloads: uipsec imports one connection from a file, "
                  "and importing only one would drop the others"),
                n);
    return n == 1 ? vpn : NULL;
}

static char *payload_string(struct pl *dict, const char *key)
{
    struct pl *n = pl_get(dict, key);

    return n && n->type == PL_STRING && n->text->len && g_utf8_validate(n->text->str, -1, NULL)
               ? g_strdup(n->text->str)
               : NULL;
}

static void import_profile(struct import *im, struct pl *root, char **id, char **uuid)
{
    struct pl *payloads = pl_get(root, "PayloadContent"), *vpn, *ikev2;
    const char *type, *vpn_type;
    g_autofree char *base = NULL;

    if (g_strcmp0(payload_type(root), T_CONFIGURATION) != 0) {
        problem(im, _("The profile is not a configuration profile (its “%s” is not “%s”)"),
                "PayloadType", T_CONFIGURATION);
        return;
    }
    if (pl_get(root, "EncryptedPayloadContent") ||
        get_bool(im, root, "IsEncrypted", "IsEncrypted", FALSE)) {
        refuse(im, "EncryptedPayloadContent",
               _("the profile is encrypted for one device; ask for an unencrypted one"));
        return;
    }
    if (!payloads || payloads->type != PL_ARRAY) {
        problem(im, _("The profile field “%s” must hold dictionaries"), "PayloadContent");
        return;
    }
    vpn = find_vpn(im, payloads);
    if (!vpn)
        return;
    check_keys(im, vpn, T_VPN, vpn_keys, G_N_ELEMENTS(vpn_keys));
    type = T_VPN ".VPNType";
    vpn_type = get_string(im, vpn, "VPNType", type);
    if (g_strcmp0(vpn_type, "IKEv2") != 0) {
        g_autofree char *v = vpn_type ? uip_sswan_shown(vpn_type) : g_strdup("");
        problem(im, _("The profile field “%s” is “%s”: only IKEv2 VPNs can be imported"), type,
                v);
        return;
    }
    ikev2 = pl_get(vpn, "IKEv2");
    if (!ikev2 || ikev2->type != PL_DICT) {
        problem(im, _("The profile field “%s” must be a dictionary"), T_VPN ".IKEv2");
        return;
    }

    /* the connection's name and uuid, then the files named after it */
    *id = payload_string(vpn, "UserDefinedName");
    if (!*id)
        *id = payload_string(vpn, "PayloadDisplayName");
    if (!*id)
        *id = payload_string(root, "PayloadDisplayName");
    if (!*id)
        *id = g_strdup(_("Imported IKEv2 VPN"));
    *uuid = payload_string(vpn, "PayloadUUID");
    if (*uuid && g_uuid_string_is_valid(*uuid)) {
        char *down = g_ascii_strdown(*uuid, -1);
        g_free(*uuid);
        *uuid = down;
    } else {
        g_free(*uuid);
        *uuid = nm_utils_uuid_generate();
    }
    base = uip_sswan_import_file_base(im->imp, *id, *uuid);

    import_ikev2(im, ikev2);
    import_auth(im, ikev2, payloads, base);
    import_cas(im, payloads, base);
    if (pl_get(vpn, "DNS"))
        import_dns(im, pl_get(vpn, "DNS"));
}

/* ---- the file --------------------------------------------------------------------------------- */

static gboolean fail(GError **error, const char *msg)
{
    g_set_error_literal(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED, msg);
    ERR_clear_error();
    return FALSE;
}

/* DER or BER that starts a SEQUENCE of definite or indefinite length: a CMS message. */
static gboolean looks_like_cms(const guint8 *d, gsize len)
{
    return len >= 4 && d[0] == 0x30 && d[1] >= 0x80 && d[1] <= 0x84;
}

/* The signed content of a CMS SignedData message, or NULL with @error. */
static GBytes *cms_content(const char *data, gsize len, GError **error)
{
    BIO *in = BIO_new_mem_buf(data, (int)len);
    BIO *out = BIO_new(BIO_s_mem());
    CMS_ContentInfo *cms = in ? d2i_CMS_bio(in, NULL) : NULL;
    GBytes *content = NULL;
    char *p = NULL;
    long n;

    if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
        fail(error, _("The profile is neither a property list nor a signed profile (CMS)"));
    /* the signature is checked against the certificates the message carries, which are not
     * trusted: signing proves nothing to uipsec, this only takes the content out */
    else if (!out || CMS_verify(cms, NULL, NULL, NULL, out,
                                CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
        fail(error, _("The signed profile cannot be opened: its signature does not match its "
                      "content or the signer's certificate is not in it"));
    else if ((n = BIO_get_mem_data(out, &p)) <= 0 || n > UIP_MOBILECONFIG_MAX_SIZE)
        fail(error, _("The signed profile holds no content, or too much"));
    else
        content = g_bytes_new(p, (gsize)n);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    return content;
}

gboolean uip_mobileconfig_looks_like(const char *data, gsize len)
{
    static const char *const starts[] = {"<?xml", "<!DOCTYPE plist", "<plist", "bplist"};
    gsize i = 0;

    if (!data)
        return FALSE;
    if (looks_like_cms((const guint8 *)data, len))
        return TRUE;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && i < 256 && g_ascii_isspace(data[i]))
        i++;
    for (gsize k = 0; k < G_N_ELEMENTS(starts); k++)
        if (len - i >= strlen(starts[k]) && memcmp(data + i, starts[k], strlen(starts[k])) == 0)
            return TRUE;
    return FALSE;
}

gboolean uip_mobileconfig_file_looks_like(const char *path)
{
    char head[300];
    gssize n;
    int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);

    if (fd < 0)
        return FALSE;
    n = read(fd, head, sizeof(head));
    close(fd);
    return n > 0 && uip_mobileconfig_looks_like(head, (gsize)n);
}

static void wipe_value(gpointer p)
{
    uip_free_secret(p, strlen(p));
}

UipSswanImport *uip_mobileconfig_parse(const char *data, gsize len, const char *cert_dir,
                                       GError **error)
{
    g_autoptr(GBytes) signed_content = NULL;
    g_autoptr(UipSswanImport) imp = NULL;
    g_autoptr(GHashTable) vpn_data = NULL, secrets = NULL;
    g_autoptr(GPtrArray) problems = NULL, unknown = NULL;
    g_autoptr(GPtrArray) dns4 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) dns6 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) search = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *id = NULL, *uuid = NULL;
    g_autoptr(GError) local = NULL;
    struct pl *root = NULL;
    struct import im;
    NMConnection *connection;
    GHashTableIter it;
    gpointer k, v;

    g_return_val_if_fail(data || len == 0, NULL);
    g_return_val_if_fail(cert_dir && g_path_is_absolute(cert_dir), NULL);
    g_return_val_if_fail(!error || !*error, NULL);

    if (len == 0)
        return fail(error, _("The profile is empty")), NULL;
    if (len > UIP_MOBILECONFIG_MAX_SIZE) {
        g_set_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED,
                    _("The profile is larger than %u bytes"), UIP_MOBILECONFIG_MAX_SIZE);
        return NULL;
    }
    if (looks_like_cms((const guint8 *)data, len)) {
        signed_content = cms_content(data, len, error);
        if (!signed_content)
            return NULL;
        data = g_bytes_get_data(signed_content, &len);
    }
    if (len >= 6 && memcmp(data, "bplist", 6) == 0)
        return fail(error, _("The profile is a binary property list: convert it to XML first, "
                             "for example with: plutil -convert xml1 x.mobileconfig (macOS) or "
                             "plistutil -i x.mobileconfig -o x.xml -f xml")),
               NULL;
    if (!g_utf8_validate(data, (gssize)len, NULL))
        return fail(error, _("The profile is not UTF-8 text")), NULL;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    root = pl_parse(data, len, error);
    if (!root)
        return NULL;
    if (root->type != PL_DICT) {
        pl_free(root);
        return fail(error, _("The profile is not a configuration profile (not a dictionary)")),
               NULL;
    }

    imp = uip_sswan_import_new(cert_dir);
    vpn_data = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    secrets = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, wipe_value);
    problems = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
    unknown = g_ptr_array_new_with_free_func(g_free);
    im = (struct import){imp, dns4, dns6, search, vpn_data, secrets, problems, unknown};
    import_profile(&im, root, &id, &uuid);
    pl_free(root);
    if (unknown->len) {
        g_autofree char *msg = uip_sswan_unknown_fields_message(unknown);
        problem(&im, "%s", msg);
    }

    /* the whole connection, as the service will check it */
    if (!problems->len && !uip_settings_validate(vpn_data, secrets, &local)) {
        g_prefix_error(&local, _("The profile is incomplete for uipsec: "));
        keep(&im, g_steal_pointer(&local));
    }
    if (problems->len) {
        uip_sswan_report_problems(problems, error);
        return NULL;
    }
    connection = uip_sswan_build_connection(id, uuid, vpn_data, dns4, dns6, error);
    if (!connection)
        return NULL;
    for (guint i = 0; i < search->len; i++) {
        nm_setting_ip_config_add_dns_search(nm_connection_get_setting_ip4_config(connection),
                                            search->pdata[i]);
        nm_setting_ip_config_add_dns_search(nm_connection_get_setting_ip6_config(connection),
                                            search->pdata[i]);
    }
    g_hash_table_iter_init(&it, secrets);
    while (g_hash_table_iter_next(&it, &k, &v))
        nm_setting_vpn_add_secret(nm_connection_get_setting_vpn(connection), k, v);
    uip_sswan_import_set_connection(imp, connection);
    return g_steal_pointer(&imp);
}

NMConnection *uip_mobileconfig_import_file(const char *path, const char *cert_dir,
                                           GError **error)
{
    g_autoptr(UipSswanImport) imp = NULL;
    g_autofree char *dir = cert_dir ? g_strdup(cert_dir) : uip_sswan_default_cert_dir(error);
    g_autofree char *data = NULL;
    gsize len = 0;
    GStatBuf st;

    g_return_val_if_fail(path, NULL);

    if (!dir)
        return NULL;
    if (g_stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > UIP_MOBILECONFIG_MAX_SIZE) {
        g_set_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED,
                    _("The profile is larger than %u bytes"), UIP_MOBILECONFIG_MAX_SIZE);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, error))
        return NULL;
    imp = uip_mobileconfig_parse(data, len, dir, error);
    uip_wipe(data, len); /* the profile may hold secrets */
    if (!imp || !uip_sswan_import_write_files(imp, error))
        return NULL;
    return g_object_ref(uip_sswan_import_get_connection(imp));
}
