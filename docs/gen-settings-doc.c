/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The settings reference, generated from the one settings table
 * (src/common/uip-settings.c) and the text below, so that it cannot drift:
 *
 *   gen-settings-doc --man VERSION     nm-settings-uipsec(5) in roff (built and installed)
 *   gen-settings-doc --markdown        the table of README.md
 *   gen-settings-doc --check README    exit 1 unless README.md holds that table verbatim
 *
 * Every key of the table needs an entry here: a key without one fails the
 * build (the man page is made at build time), an entry for no key too.
 * Text: plain English; `code` in backquotes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "common/uip-settings.h"

struct doc {
    const char *key;
    const char *text;
    const char *dflt; /* NULL: the table's default_value, or none */
};

static const struct doc docs[] = {
    {UIP_KEY_GATEWAY, "IPv4/IPv6 address or DNS name of the gateway", NULL},
    {UIP_KEY_PORT, "IKE port, 1-65535 (NAT-T moves to 4500)", NULL},
    {UIP_KEY_AUTH,
     "how we authenticate: `psk` a pre-shared key, `cert` our certificate, `eap-mschapv2` a "
     "user name and password, `eap-tls` our certificate inside EAP",
     NULL},
    {UIP_KEY_LOCAL_ID, "our IKE identity (IDi), in strongSwan's syntax (see `remote-id`)",
     "our address (psk), `user` (eap-mschapv2), the certificate's subject (cert, eap-tls)"},
    {UIP_KEY_REMOTE_ID,
     "the gateway's expected identity (IDr), in strongSwan's syntax: `@vpn.example.com` an FQDN "
     "(matched against a DNS subjectAltName), `user@example.com` an e-mail address "
     "(rfc822Name), `@@user@example.com` an e-mail address forced, `@#0123abcd` a key ID (the "
     "subjectKeyIdentifier), `C=DE, O=Example, CN=vpn` (or `/C=DE/O=Example/CN=vpn`) a "
     "distinguished name (the certificate's subject), an IPv4/IPv6 address (an iPAddress "
     "subjectAltName), anything else an FQDN; strongSwan's prefixes `fqdn:`, `email:`, "
     "`keyid:`, `asn1dn:`, `ipv4:`, `ipv6:` too. A malformed DN is refused",
     "none: the gateway's certificate must name the `gateway` as configured: its host name (DNS "
     "subjectAltName) or its address (iPAddress subjectAltName)"},
    {UIP_KEY_CA_CERT,
     "file with the CA certificate(s) that must sign the gateway's certificate (not used with "
     "`auth=psk`: there the gateway must prove the pre-shared key, and one that signs instead "
     "is refused). For a connection private to users (`connection.permissions`), read as the "
     "user",
     "system trust store"},
    {UIP_KEY_USER_CERT,
     "our certificate (PEM or DER), `auth=cert` and `auth=eap-tls`; read as the connection's "
     "user when it is private to users. Or, with the key on a token, a PKCS#11 URI of the "
     "certificate there, e.g. `pkcs11:token=uipsec;object=vpn-key;type=cert`",
     ""},
    {UIP_KEY_USER_KEY,
     "its private key (PEM: PKCS#8, encrypted PKCS#8, or traditional RSA/EC), or a key on a "
     "smartcard or token as a PKCS#11 URI (RFC 7512), e.g. "
     "`pkcs11:token=uipsec;object=vpn-key;type=private`: `token`, `manufacturer`, `serial`, "
     "`model`, `object`, `id`, `type` and `?module-path=` (else p11-kit's proxy finds the "
     "system's registered modules); the PIN is `user-key-password`, never `pin-value` in the "
     "URI. The key signs on the token, in a helper process that keeps uid 0 with no "
     "capabilities",
     "in `user-cert`"},
    {UIP_KEY_USER, "EAP identity, `auth=eap-mschapv2`; optional for `auth=eap-tls`",
     "eap-tls: `local-id`, else the certificate's dNSName or subject DN"},
    {UIP_KEY_IKE, "IKE proposals in strongSwan syntax, e.g. `aes256gcm16-prfsha384-x25519`",
     "strong defaults (AES-GCM, ChaCha20-Poly1305, AES-CBC+SHA2; x25519, ECP-256/384, "
     "MODP-2048+)"},
    {UIP_KEY_ESP, "ESP proposals in strongSwan syntax, e.g. `aes128gcm16`; a key exchange "
     "method in them asks for PFS on every CHILD_SA rekey, the gateway's too",
     "AES-GCM, ChaCha20-Poly1305, AES-CBC+SHA2, no PFS"},
    {UIP_KEY_VIRTUAL_IPV4, "`yes`/`no`: ask the gateway for an IPv4 address", NULL},
    {UIP_KEY_VIRTUAL_IPV6, "`yes`/`no`: ask the gateway for an IPv6 address", NULL},
    {UIP_KEY_REMOTE_TS,
     "comma-separated prefixes to send through the tunnel (split tunnel); what the gateway "
     "answers is narrowed to them",
     "everything, IPv4 and IPv6"},
    {UIP_KEY_LOCAL_TS, "comma-separated local prefixes", "our virtual address"},
    {UIP_KEY_MTU, "tunnel MTU, 576-9000", "from the path MTU and the transform"},
    {UIP_KEY_DPD_INTERVAL, "seconds of silence before a liveness check, 0 = off", NULL},
    {UIP_KEY_DPD_ACTION,
     "when the gateway stops answering after the tunnel was up: `restart` makes a new IKE SA "
     "from scratch, up to 5 times with pauses of 0, 2, 4, 8, 16 s, asking for the same virtual "
     "IP; the TUN device and NetworkManager's connection stay meanwhile (packets are dropped, "
     "never sent in the clear), and only the last failure reaches NetworkManager; `fail` tells "
     "NetworkManager at once",
     NULL},
    {UIP_KEY_NAT_KEEPALIVE, "seconds between NAT keepalives, 0 = off", NULL},
    {UIP_KEY_FRAGMENTATION, "`yes`/`no`: IKE fragmentation (RFC 7383)", NULL},
    {UIP_KEY_MOBIKE,
     "`yes`/`no`: MOBIKE (RFC 4555): when our address changes, the IKE SA and CHILD_SA move "
     "with it (same virtual IP, connections inside survive) if the gateway supports it; `no`, "
     "or a gateway without it: a new IKE SA from the new address",
     NULL},
    {UIP_KEY_REKEY_CHILD,
     "seconds until we rekey the CHILD_SA, 0 = leave it to the gateway (an SA without ESN is "
     "also rekeyed 2^24 packets before its sequence numbers run out)",
     NULL},
    {UIP_KEY_REKEY_IKE, "seconds until we rekey the IKE SA, 0 = leave it to the gateway", NULL},
    {UIP_KEY_PSK_FLAGS, "NetworkManager secret flags of `psk`: 0 saved, 1 agent-owned, 2 ask "
     "every time, 4 not required", NULL},
    {UIP_KEY_PASSWORD_FLAGS, "secret flags of `password` (as `psk-flags`)", NULL},
    {UIP_KEY_USER_KEY_PASSWORD_FLAGS, "secret flags of `user-key-password` (as `psk-flags`)",
     NULL},
    {UIP_KEY_PSK,
     "the pre-shared key, `auth=psk`: at least 20 characters (charon-nm's rule: our AUTH goes "
     "out before the gateway proves anything, so a short key could be guessed offline from one "
     "attempt); shorter keys are refused by the service and marked in the editor",
     ""},
    {UIP_KEY_PASSWORD, "the EAP password, `auth=eap-mschapv2`", ""},
    {UIP_KEY_USER_KEY_PASSWORD,
     "the private key's passphrase, when the key file is encrypted; the token's PIN when "
     "`user-key` is a PKCS#11 URI (asked as \"Token PIN\")",
     ""},
};

static const struct doc *doc_of(const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(docs); i++)
        if (strcmp(docs[i].key, key) == 0)
            return &docs[i];
    return NULL;
}

static const char *dflt_of(const struct uip_setting *s, const struct doc *d)
{
    if (d->dflt)
        return d->dflt;
    if (!s->default_value && s->required_auth == UIP_AUTH_BITS_ALL)
        return "(required)";
    return s->default_value ? s->default_value : "";
}

/* Every key documented, and no entry for a key that does not exist. */
static gboolean complete(void)
{
    gsize n;
    const struct uip_setting *all = uip_settings_all(&n);
    gboolean ok = TRUE;

    for (gsize i = 0; i < n; i++)
        if (!doc_of(all[i].key)) {
            fprintf(stderr, "gen-settings-doc: no text for the key \"%s\"\n", all[i].key);
            ok = FALSE;
        }
    for (size_t i = 0; i < G_N_ELEMENTS(docs); i++)
        if (!uip_settings_lookup(docs[i].key)) {
            fprintf(stderr, "gen-settings-doc: text for \"%s\", which is no key\n", docs[i].key);
            ok = FALSE;
        }
    return ok;
}

/* ---- Markdown ---------------------------------------------------------------------------------- */

static char *markdown(void)
{
    GString *out = g_string_new("| key | value | default |\n| --- | --- | --- |\n");
    gsize n;
    const struct uip_setting *all = uip_settings_all(&n);

    for (gsize i = 0; i < n; i++) {
        const struct doc *d = doc_of(all[i].key);
        const char *dv = dflt_of(&all[i], d);
        gboolean code = !d->dflt && all[i].default_value;

        g_string_append_printf(out, "| %s`%s` | %s | %s%s%s |\n", all[i].secret ? "secret " : "",
                               all[i].key, d->text, code ? "`" : "", dv, code ? "`" : "");
    }
    return g_string_free(out, FALSE);
}

/* ---- roff -------------------------------------------------------------------------------------- */

/* Plain text -> roff: `code` bold, backslashes and minus signs escaped, no leading dot. */
static void roff_text(GString *out, const char *s)
{
    gboolean bold = FALSE;

    if (*s == '.' || *s == '\'')
        g_string_append(out, "\\&");
    for (; *s; s++) {
        switch (*s) {
        case '`':
            g_string_append(out, bold ? "\\fR" : "\\fB");
            bold = !bold;
            break;
        case '\\':
            g_string_append(out, "\\e");
            break;
        case '-':
            g_string_append(out, "\\-");
            break;
        default:
            g_string_append_c(out, *s);
        }
    }
    if (bold)
        g_string_append(out, "\\fR");
}

static void roff_entry(GString *out, const struct uip_setting *s, const struct doc *d)
{
    const char *dv = dflt_of(s, d);

    g_string_append(out, ".TP\n.B ");
    roff_text(out, s->key);
    g_string_append_c(out, '\n');
    roff_text(out, d->text);
    g_string_append(out, ".\n");
    if (s->type == UIP_SETTING_ENUM && s->enum_values) {
        g_string_append(out, ".br\nValues: ");
        for (unsigned j = 0; s->enum_values[j]; j++) {
            g_string_append(out, j ? ", \\fB" : "\\fB");
            roff_text(out, s->enum_values[j]);
            g_string_append(out, "\\fR");
        }
        g_string_append(out, ".\n");
    }
    if (s->type == UIP_SETTING_UINT)
        g_string_append_printf(out, ".br\nRange: %u\\-%u%s.\n", s->min, s->max,
                               s->zero_ok ? ", or 0" : "");
    if (s->required_auth == UIP_AUTH_BITS_ALL)
        g_string_append(out, ".br\nRequired.\n");
    else if (s->required_auth) {
        gboolean first = TRUE;
        g_string_append(out, ".br\nRequired with \\fBauth\\fR=");
        for (int a = UIP_AUTH_PSK; a <= UIP_AUTH_EAP_TLS; a++)
            if (s->required_auth & UIP_AUTH_BIT(a)) {
                g_string_append_printf(out, "%s\\fB", first ? "" : ", ");
                roff_text(out, uip_auth_to_string((enum uip_auth)a));
                g_string_append(out, "\\fR");
                first = FALSE;
            }
        g_string_append(out, ".\n");
    }
    if (*dv && *dv != '(') {
        g_string_append(out, ".br\nDefault: ");
        roff_text(out, dv);
        g_string_append(out, ".\n");
    }
}

static char *man(const char *version)
{
    GString *out = g_string_new(NULL);
    gsize n;
    const struct uip_setting *all = uip_settings_all(&n);

    g_string_append_printf(out,
                           ".\\\" Generated by docs/gen-settings-doc.c from the settings table; "
                           "do not edit.\n"
                           ".TH NM-SETTINGS-UIPSEC 5 \"\" \"NetworkManager-uipsec %s\" "
                           "\"File Formats Manual\"\n",
                           version);
    g_string_append(
        out,
        ".SH NAME\n"
        "nm-settings-uipsec \\- settings of NetworkManager's IPsec IKEv2 (uipsec) VPN "
        "connections\n"
        ".SH DESCRIPTION\n"
        "A connection of \\fBvpn.service-type\\fR org.freedesktop.NetworkManager.uipsec "
        "(\\fBnmcli\\fR: \\fBvpn-type uipsec\\fR) keeps its settings as key/value pairs in "
        "\\fBvpn.data\\fR and its secrets in \\fBvpn.secrets\\fR. \\fBnm-uipsec-service\\fR(8) "
        "checks them all before it sends a packet: an unknown key, a value out of range or a "
        "missing required one fails the connection with a message naming the key.\n"
        ".PP\n"
        "Set them with \\fBnmcli connection add type vpn vpn-type uipsec vpn.data "
        "\"KEY=VALUE, ...\" vpn.secrets \"KEY=VALUE\"\\fR, with "
        "\\fBnmcli connection modify\\fR, or in nm-connection-editor or GNOME Settings.\n"
        ".SH DATA\n");
    for (gsize i = 0; i < n; i++)
        if (!all[i].secret)
            roff_entry(out, &all[i], doc_of(all[i].key));
    g_string_append(out, ".SH SECRETS\n"
                          "In \\fBvpn.secrets\\fR, or asked for by a secret agent (GNOME Shell, "
                          "nm-applet, \\fBnmcli \\-\\-ask\\fR) as their \\fB*\\-flags\\fR say.\n");
    for (gsize i = 0; i < n; i++)
        if (all[i].secret)
            roff_entry(out, &all[i], doc_of(all[i].key));
    g_string_append(
        out,
        ".SH EXAMPLES\n"
        ".nf\n"
        "nmcli connection add type vpn vpn\\-type uipsec con\\-name office \\e\n"
        "    vpn.data \"gateway=vpn.example.com, auth=psk, remote\\-id=@vpn.example.com, "
        "virtual\\-ipv4=yes\" \\e\n"
        "    vpn.secrets \"psk=Correct\\-Horse\\-Battery\\-Staple\\-42\"\n"
        "nmcli connection add type vpn vpn\\-type uipsec con\\-name office \\e\n"
        "    vpn.data \"gateway=vpn.example.com, auth=eap\\-mschapv2, user=alice, "
        "password\\-flags=2\"\n"
        ".fi\n"
        ".SH SEE ALSO\n"
        "\\fBnm-uipsec-service\\fR(8), \\fBnmcli\\fR(1), \\fBnm-settings-nmcli\\fR(5), "
        "\\fBNetworkManager\\fR(8), \\fBswanctl.conf\\fR(5)\n");
    return g_string_free(out, FALSE);
}

/* ---- main -------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    g_autofree char *text = NULL;

    if (!complete())
        return 1;
    if (argc == 3 && strcmp(argv[1], "--man") == 0) {
        text = man(argv[2]);
        fputs(text, stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
        text = markdown();
        fputs(text, stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--check") == 0) {
        g_autofree char *readme = NULL;
        text = markdown();
        if (!g_file_get_contents(argv[2], &readme, NULL, NULL)) {
            fprintf(stderr, "cannot read %s\n", argv[2]);
            return 1;
        }
        if (!strstr(readme, text)) {
            fprintf(stderr,
                    "%s does not hold the settings table as docs/gen-settings-doc.c makes it;\n"
                    "replace it with the output of: gen-settings-doc --markdown\n",
                    argv[2]);
            return 1;
        }
        printf("%s holds the settings table\n", argv[2]);
        return 0;
    }
    fprintf(stderr, "usage: %s --man VERSION | --markdown | --check README.md\n", argv[0]);
    return 2;
}
