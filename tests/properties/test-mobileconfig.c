/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Import of Apple .mobileconfig profiles (properties/uip-mobileconfig.c),
 * fixtures in mobileconfig/ (regenerate with make-mobileconfig-fixtures.py):
 *
 *   - every good fixture: parse -> the whole vpn.data and vpn.secrets, the
 *     connection's id and uuid, nothing written; write -> folder 0700, files
 *     0600 that OpenSSL reads (an encrypted key with the profile's password);
 *   - every bad fixture: the expected GError, whose message names the Apple
 *     key(s), and nothing written;
 *   - every algorithm and group the importer maps gives a proposal that
 *     uipsec's IKE parser takes (each refused one names the Apple key);
 *   - the content test that sends a file to this importer or the .sswan one;
 *   - the core module as nmcli drives it (nm_vpn_editor_plugin_import): a
 *     .mobileconfig and a .sswan through the same call.
 *
 * Each fixture must have a row: a new file without one fails.
 */
#include "uip-mobileconfig.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/pem.h>

#include "common/uip-settings.h"
#include "fixture-util.h"
#include "ike/ike-types.h"
#include "ike/proposal.h"

#define UUID_VPN "0c2f7b1e-6a4d-4e1b-9c3a-2b1d0e0f1a02"
#define PSK      "a pre-shared key of 32 character"
#define MAX_KV   20

struct kv {
    const char *key, *value; /* "@DIR@" = the certificate folder */
};

struct good {
    const char *file;
    const char *id;
    const char *uuid; /* NULL: a new one */
    guint n_files;
    const char *dns; /* "ipv4.dns|ipv6.dns|dns-search", comma-separated; NULL: no DNS setting */
    struct kv data[MAX_KV];
    struct kv secrets[4];
};

#define CA(name)   {UIP_KEY_CA_CERT, "@DIR@/" name "-ca.pem"}
#define CERT(name) {UIP_KEY_USER_CERT, "@DIR@/" name "-cert.pem"}, {UIP_KEY_USER_KEY, "@DIR@/" name "-key.pem"}

/* clang-format off */
static const struct kv psk_data[] = {
    {UIP_KEY_AUTH, UIP_AUTH_NAME_PSK},
    {UIP_KEY_GATEWAY, "198.18.0.1"},
    {UIP_KEY_REMOTE_ID, "vpn.example.test"},
    {UIP_KEY_LOCAL_ID, "client.example.test"},
    {UIP_KEY_PSK_FLAGS, "0"},
    {UIP_KEY_DPD_INTERVAL, "60"},
    {UIP_KEY_NAT_KEEPALIVE, "30"},
    {UIP_KEY_MTU, "1400"},
    {UIP_KEY_MOBIKE, UIP_VALUE_NO},
    {UIP_KEY_IKE, "aes256gcm16-prfsha384-ecp384"},
    {UIP_KEY_REKEY_IKE, "3600"},
    {UIP_KEY_ESP, "aes256-sha256-ecp256"},
    {UIP_KEY_REKEY_CHILD, "1800"},
};

static const struct good good[] = {
    {"good-psk.mobileconfig", "Example PSK", UUID_VPN, 1, NULL, {
        CA("Example PSK"),
    }, {{UIP_KEY_PSK, PSK}}},
    {"good-signed.mobileconfig", "Example PSK", UUID_VPN, 1, NULL, {
        CA("Example PSK"),
    }, {{UIP_KEY_PSK, PSK}}},
    {"good-eap.mobileconfig", "Example EAP", UUID_VPN, 1,
     "198.18.0.53|2001:db8::53|corp.example.test", {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_EAP_MSCHAPV2},
        {UIP_KEY_GATEWAY, "vpn.example.test"},
        {UIP_KEY_REMOTE_ID, "vpn.example.test"},
        {UIP_KEY_USER, "alice"},
        {UIP_KEY_PASSWORD_FLAGS, "0"},
        {UIP_KEY_DPD_INTERVAL, "1800"},
        {UIP_KEY_IKE, "aes128-sha256-modp2048"},
        {UIP_KEY_ESP, "chacha20poly1305"},
        CA("Example EAP"),
    }, {{UIP_KEY_PASSWORD, "alice's password"}}},
    {"good-minimal.mobileconfig", "managed", NULL, 0, NULL, {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_PSK},
        {UIP_KEY_GATEWAY, "2001:db8::1"},
        {UIP_KEY_PSK_FLAGS, "1"},
        {UIP_KEY_ESP, "aes256-sha256-modp2048"},
    }, {{NULL}}},
    {"good-cert.mobileconfig", "Example certificate", UUID_VPN, 3, NULL, {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_CERT},
        {UIP_KEY_GATEWAY, "198.18.0.1"},
        {UIP_KEY_REMOTE_ID, "vpn.example.test"},
        {UIP_KEY_LOCAL_ID, "client@example.test"},
        {UIP_KEY_DPD_INTERVAL, "0"},
        {UIP_KEY_USER_KEY_PASSWORD_FLAGS, "0"},
        CERT("Example certificate"),
        CA("Example certificate"),
    }, {{UIP_KEY_USER_KEY_PASSWORD, "correct horse"}}},
    {"good-eap-tls.mobileconfig", "Example EAP-TLS", UUID_VPN, 3, NULL, {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_EAP_TLS},
        {UIP_KEY_GATEWAY, "198.18.0.1"},
        {UIP_KEY_REMOTE_ID, "vpn.example.test"},
        {UIP_KEY_LOCAL_ID, "client@example.test"},
        CERT("Example EAP-TLS"),
        CA("Example EAP-TLS"),
    }, {{NULL}}},
};
/* clang-format on */

struct bad {
    const char *file;
    gboolean settings_error; /* UIP_SETTINGS_ERROR INVALID_VALUE, else NM_CONNECTION_ERROR */
    const char *words[4];    /* each must be in the message */
};

static const struct bad bad[] = {
    {"bad-empty.mobileconfig", FALSE, {"empty"}},
    {"bad-binary.mobileconfig", FALSE, {"binary property list", "plistutil", "plutil"}},
    {"bad-truncated.mobileconfig", FALSE, {"not a valid XML property list"}},
    {"bad-not-plist.mobileconfig", FALSE, {"not a valid XML property list", "<plist>"}},
    {"bad-duplicate-key.mobileconfig", FALSE, {"“PayloadType”", "twice"}},
    {"bad-deep.mobileconfig", FALSE, {"nested too deeply"}},
    {"bad-signed-tampered.mobileconfig", FALSE, {"signed profile", "signature"}},
    {"bad-not-configuration.mobileconfig", FALSE, {"not a configuration profile"}},
    {"bad-encrypted.mobileconfig", FALSE, {"“EncryptedPayloadContent”", "encrypted"}},
    {"bad-no-vpn.mobileconfig", FALSE, {"no VPN payload", "com.apple.vpn.managed"}},
    {"bad-two-vpns.mobileconfig", FALSE, {"2 VPN payloads"}},
    {"bad-applayer.mobileconfig", FALSE, {"“com.apple.vpn.managed.applayer”", "applications"}},
    {"bad-vpn-type.mobileconfig", FALSE, {"“com.apple.vpn.managed.VPNType”", "“IPSec”", "IKEv2"}},
    {"bad-short-psk.mobileconfig", TRUE, {"“IKEv2.SharedSecret”", "20"}},
    {"bad-redirect.mobileconfig", FALSE, {"“IKEv2.DisableRedirect”", "redirect"}},
    {"bad-on-demand-several.mobileconfig",
     FALSE,
     {"3 problems", "“IKEv2.OnDemandEnabled”", "“IKEv2.OnDemandRules”",
      "“IKEv2.IncludeAllNetworks”"}},
    {"bad-exclude-local.mobileconfig", FALSE, {"“IKEv2.ExcludeLocalNetworks”"}},
    {"bad-server-cn.mobileconfig", FALSE, {"“IKEv2.ServerCertificateCommonName”"}},
    {"bad-tls-version.mobileconfig", FALSE, {"“IKEv2.TLSMinimumVersion”"}},
    {"bad-revocation.mobileconfig", FALSE, {"“IKEv2.EnableCertificateRevocationCheck”"}},
    {"bad-fallback.mobileconfig", FALSE, {"“IKEv2.EnableFallback”"}},
    {"bad-proxies.mobileconfig", FALSE, {"“com.apple.vpn.managed.Proxies”", "proxy"}},
    {"bad-dns-https.mobileconfig", FALSE, {"“com.apple.vpn.managed.DNS.DNSProtocol”", "HTTPS"}},
    {"bad-dns-address.mobileconfig",
     FALSE,
     {"“com.apple.vpn.managed.DNS.ServerAddresses”", "“dns.example.test”"}},
    {"bad-dns-search-only.mobileconfig",
     FALSE,
     {"“com.apple.vpn.managed.DNS.SearchDomains”", "ServerAddresses"}},
    {"bad-unknown-keys.mobileconfig",
     FALSE,
     {"“IKEv2.Bogus”", "“com.apple.vpn.managed.Colour”",
      "“IKEv2.IKESecurityAssociationParameters.Extra”", "lost"}},
    {"bad-3des.mobileconfig",
     FALSE,
     {"“IKEv2.IKESecurityAssociationParameters.EncryptionAlgorithm”", "“3DES”"}},
    {"bad-sha1.mobileconfig",
     FALSE,
     {"“IKEv2.ChildSecurityAssociationParameters.IntegrityAlgorithm”", "“SHA1-96”"}},
    {"bad-dh-group.mobileconfig",
     FALSE,
     {"“IKEv2.IKESecurityAssociationParameters.DiffieHellmanGroup”", "= 2"}},
    {"bad-lifetime.mobileconfig",
     TRUE,
     {"“IKEv2.IKESecurityAssociationParameters.LifeTimeInMinutes”", "“rekey-ike”", "120000"}},
    {"bad-mtu.mobileconfig", TRUE, {"“IKEv2.MTU”", "“mtu”"}},
    {"bad-dpd-value.mobileconfig", FALSE, {"“IKEv2.DeadPeerDetectionRate”", "“Sometimes”"}},
    {"bad-string-type.mobileconfig", FALSE, {"“IKEv2.RemoteAddress”", "string"}},
    {"bad-bool-type.mobileconfig", FALSE, {"“IKEv2.DisableMOBIKE”", "true or false"}},
    {"bad-no-address.mobileconfig", FALSE, {"no “IKEv2.RemoteAddress”"}},
    {"bad-none-no-eap.mobileconfig", FALSE, {"“IKEv2.AuthenticationMethod”", "“None”"}},
    {"bad-psk-eap.mobileconfig", FALSE, {"“IKEv2.ExtendedAuthEnabled”", "pre-shared key"}},
    {"bad-cert-eap-name.mobileconfig", FALSE, {"“IKEv2.ExtendedAuthEnabled”", "two"}},
    {"bad-psk-on-cert.mobileconfig", FALSE, {"“IKEv2.SharedSecret”", "“cert”"}},
    {"bad-no-cert-uuid.mobileconfig", FALSE, {"no “IKEv2.PayloadCertificateUUID”"}},
    {"bad-cert-uuid-not-p12.mobileconfig",
     FALSE,
     {"“IKEv2.PayloadCertificateUUID”", "com.apple.security.pkcs12"}},
    {"bad-p12-wrong-password.mobileconfig",
     FALSE,
     {"“com.apple.security.pkcs12.PayloadContent”", "password"}},
    {"bad-p12-no-password.mobileconfig",
     FALSE,
     {"“com.apple.security.pkcs12.PayloadContent”", "password"}},
    {"bad-no-eap-name.mobileconfig", FALSE, {"no “IKEv2.AuthName”"}},
};

static char *tmp_base; /* everything the tests write, XDG_DATA_HOME included */

static char *fixture_path(const char *name)
{
    return g_test_build_filename(G_TEST_DIST, "mobileconfig", name, NULL);
}

/* A fresh folder path for this test (not created). */
static char *new_dir(void)
{
    static guint n;
    return g_strdup_printf("%s/certs-%u", tmp_base, ++n);
}

static void check_kv(NMSettingVpn *s_vpn, const struct kv *kv, gsize n_max, const char *dir,
                     gboolean secrets)
{
    guint n = 0;

    for (; n < n_max && kv[n].key; n++) {
        g_auto(GStrv) parts = g_strsplit(kv[n].value, "@DIR@", -1);
        g_autofree char *want = g_strjoinv(dir, parts);
        const char *got = secrets ? nm_setting_vpn_get_secret(s_vpn, kv[n].key)
                                  : nm_setting_vpn_get_data_item(s_vpn, kv[n].key);
        if (g_strcmp0(got, want) != 0)
            g_error("%s: “%s” instead of “%s”", kv[n].key, got, want);
    }
    g_assert_cmpuint(secrets ? nm_setting_vpn_get_num_secrets(s_vpn)
                             : nm_setting_vpn_get_num_data_items(s_vpn),
                     ==, n);
}

/* "ipv4.dns|ipv6.dns|dns-search" of @c (ignore-auto-dns on both), or NULL without them. */
static char *dns_of(NMConnection *c)
{
    NMSettingIPConfig *s4 = nm_connection_get_setting_ip4_config(c);
    NMSettingIPConfig *s6 = nm_connection_get_setting_ip6_config(c);
    g_autoptr(GString) out = g_string_new(NULL);

    if (!s4 || !s6 || nm_setting_ip_config_get_num_dns(s4) + nm_setting_ip_config_get_num_dns(s6) == 0)
        return NULL;
    g_assert_true(nm_setting_ip_config_get_ignore_auto_dns(s4));
    g_assert_true(nm_setting_ip_config_get_ignore_auto_dns(s6));
    for (guint i = 0; i < nm_setting_ip_config_get_num_dns(s4); i++)
        g_string_append_printf(out, "%s%s", i ? "," : "", nm_setting_ip_config_get_dns(s4, i));
    g_string_append_c(out, '|');
    for (guint i = 0; i < nm_setting_ip_config_get_num_dns(s6); i++)
        g_string_append_printf(out, "%s%s", i ? "," : "", nm_setting_ip_config_get_dns(s6, i));
    g_string_append_c(out, '|');
    g_assert_cmpuint(nm_setting_ip_config_get_num_dns_searches(s4), ==,
                     nm_setting_ip_config_get_num_dns_searches(s6));
    for (guint i = 0; i < nm_setting_ip_config_get_num_dns_searches(s4); i++) {
        g_assert_cmpstr(nm_setting_ip_config_get_dns_search(s4, i), ==,
                        nm_setting_ip_config_get_dns_search(s6, i));
        g_string_append_printf(out, "%s%s", i ? "," : "",
                               nm_setting_ip_config_get_dns_search(s4, i));
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static void test_good(gconstpointer user_data)
{
    const struct good *g = user_data;
    g_autofree char *path = fixture_path(g->file), *dir = new_dir(), *data = NULL;
    g_autoptr(UipSswanImport) imp = NULL;
    g_autoptr(GError) error = NULL;
    struct kv all[G_N_ELEMENTS(psk_data) + MAX_KV] = {{NULL}};
    gboolean psk = g_str_has_prefix(g->file, "good-psk") || g_str_has_prefix(g->file, "good-sig");
    NMConnection *c;
    NMSettingVpn *s_vpn;
    gsize len, n = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_true(uip_mobileconfig_looks_like(data, len));
    imp = uip_mobileconfig_parse(data, len, dir, &error);
    g_assert_no_error(error);
    c = uip_sswan_import_get_connection(imp);
    g_assert_true(nm_connection_verify(c, NULL));
    g_assert_cmpstr(nm_connection_get_id(c), ==, g->id);
    if (g->uuid)
        g_assert_cmpstr(nm_connection_get_uuid(c), ==, g->uuid);
    else
        g_assert_true(g_uuid_string_is_valid(nm_connection_get_uuid(c)));
    s_vpn = nm_connection_get_setting_vpn(c);
    g_assert_cmpstr(nm_setting_vpn_get_service_type(s_vpn), ==, UIP_VPN_SERVICE);
    {
        g_autofree char *dns = dns_of(c);
        g_assert_cmpstr(dns, ==, g->dns);
    }
    for (gsize i = 0; psk && i < G_N_ELEMENTS(psk_data); i++)
        all[n++] = psk_data[i];
    for (gsize i = 0; i < MAX_KV && g->data[i].key; i++)
        all[n++] = g->data[i];
    check_kv(s_vpn, all, n, dir, FALSE);
    check_kv(s_vpn, g->secrets, G_N_ELEMENTS(g->secrets), dir, TRUE);
    g_assert_cmpuint(uip_sswan_import_get_n_files(imp), ==, g->n_files);
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS)); /* parsing writes nothing */

    g_assert_true(uip_sswan_import_write_files(imp, &error));
    g_assert_no_error(error);
    if (!g->n_files)
        return;
    g_assert_cmpuint(g_stat(dir, &(GStatBuf){0}), ==, 0);
    for (const char *const *k = (const char *const[]){UIP_KEY_CA_CERT, UIP_KEY_USER_CERT,
                                                      UIP_KEY_USER_KEY, NULL};
         *k; k++) {
        const char *file = nm_setting_vpn_get_data_item(s_vpn, *k);
        const char *pw = nm_setting_vpn_get_secret(s_vpn, UIP_KEY_USER_KEY_PASSWORD);
        g_autofree char *text = NULL;
        GStatBuf st;
        BIO *bio;

        if (!file)
            continue;
        g_assert_cmpint(g_stat(file, &st), ==, 0);
        g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
        g_assert_true(g_file_get_contents(file, &text, &len, NULL));
        bio = BIO_new_mem_buf(text, (int)len);
        if (strcmp(*k, UIP_KEY_USER_KEY) == 0) {
            /* encrypted with the profile's password when it had one */
            EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(pw ? pw : ""));
            g_assert_nonnull(key);
            g_assert_true(uip_key_file_is_encrypted(file, NULL) == (pw != NULL));
            EVP_PKEY_free(key);
        } else {
            guint certs = 0;
            X509 *x;
            while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
                certs++;
                X509_free(x);
            }
            /* good-eap: a root and a PEM payload, one after the other; good-eap-tls: a PEM
             * payload with a chain of two */
            g_assert_cmpuint(certs, ==,
                             strcmp(*k, UIP_KEY_CA_CERT) == 0 &&
                                     (strcmp(g->file, "good-eap.mobileconfig") == 0 ||
                                      strcmp(g->file, "good-eap-tls.mobileconfig") == 0)
                                 ? 2
                                 : 1);
        }
        BIO_free(bio);
    }
}

static void test_bad(gconstpointer user_data)
{
    const struct bad *b = user_data;
    g_autofree char *path = fixture_path(b->file), *dir = new_dir();
    g_autoptr(NMConnection) c = NULL;
    g_autoptr(GError) error = NULL;

    c = uip_mobileconfig_import_file(path, dir, &error);
    g_assert_null(c);
    if (b->settings_error)
        fixture_assert_refused(b->file, error, UIP_SETTINGS_ERROR,
                               UIP_SETTINGS_ERROR_INVALID_VALUE, b->words, G_N_ELEMENTS(b->words));
    else
        fixture_assert_refused(b->file, error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED,
                               b->words, G_N_ELEMENTS(b->words));
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS)); /* nothing written */
}

/* Every fixture has a row above. */
static void test_fixtures_listed(void)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    FIXTURE_ADD_NAMES(names, good);
    FIXTURE_ADD_NAMES(names, bad);
    fixture_assert_listed("mobileconfig", names, "test-mobileconfig.c");
}

/* The IKE parser of the service takes @proposal. */
static void assert_proposal(const char *proposal, uint8_t protocol)
{
    struct ike_proposal props[IKE_MAX_PROPOSALS];
    char why[128] = "";
    unsigned n = 0;

    if (ike_proposals_parse(proposal, protocol, props, IKE_MAX_PROPOSALS, &n, why, sizeof(why)))
        g_error("“%s” is not a valid proposal: %s", proposal, why);
    g_assert_cmpuint(n, ==, 1);
}

/* A PSK profile whose IKE and child SA dictionaries hold @enc, @integ and @group. */
static UipSswanImport *parse_algorithms(const char *enc, const char *integ, guint group,
                                        GError **error)
{
    g_autofree char *dir = new_dir();
    g_autofree char *sa = g_strdup_printf(
        "<dict><key>EncryptionAlgorithm</key><string>%s</string>"
        "<key>IntegrityAlgorithm</key><string>%s</string>"
        "<key>DiffieHellmanGroup</key><integer>%u</integer></dict>",
        enc, integ, group);
    g_autofree char *xml = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>"
        "<key>PayloadType</key><string>Configuration</string>"
        "<key>PayloadContent</key><array><dict>"
        "<key>PayloadType</key><string>com.apple.vpn.managed</string>"
        "<key>VPNType</key><string>IKEv2</string>"
        "<key>IKEv2</key><dict>"
        "<key>RemoteAddress</key><string>198.18.0.1</string>"
        "<key>SharedSecret</key><string>%s</string>"
        "<key>EnablePFS</key><true/>"
        "<key>IKESecurityAssociationParameters</key>%s"
        "<key>ChildSecurityAssociationParameters</key>%s"
        "</dict></dict></array></dict></plist>\n",
        PSK, sa, sa);

    return uip_mobileconfig_parse(xml, strlen(xml), dir, error);
}

static void test_algorithms(void)
{
    static const char *const encs[] = {"AES-128", "AES-256", "AES-128-GCM", "AES-256-GCM",
                                       "ChaCha20Poly1305"};
    static const char *const integs[] = {"SHA2-256", "SHA2-384", "SHA2-512"};
    static const guint groups[] = {14, 15, 16, 19, 20, 31};
    static const struct {
        const char *enc, *integ;
        guint group;
        const char *key; /* named in the refusal */
    } refused[] = {
        {"3DES", "SHA2-256", 14, "IKESecurityAssociationParameters.EncryptionAlgorithm"},
        {"DES", "SHA2-256", 14, "ChildSecurityAssociationParameters.EncryptionAlgorithm"},
        {"AES-256", "SHA1-160", 14, "IKESecurityAssociationParameters.IntegrityAlgorithm"},
        {"AES-256", "MD5", 14, "ChildSecurityAssociationParameters.IntegrityAlgorithm"},
        {"AES-256", "SHA2-256", 2, "IKESecurityAssociationParameters.DiffieHellmanGroup"},
        {"AES-256", "SHA2-256", 5, "ChildSecurityAssociationParameters.DiffieHellmanGroup"},
        {"AES-256", "SHA2-256", 21, "IKESecurityAssociationParameters.DiffieHellmanGroup"},
        {"AES-256", "SHA2-256", 32, "IKESecurityAssociationParameters.DiffieHellmanGroup"},
        {"Blowfish", "SHA2-256", 14, "IKESecurityAssociationParameters.EncryptionAlgorithm"},
        {"AES-256", "SHA1-128", 14, "IKESecurityAssociationParameters.IntegrityAlgorithm"},
    };

    for (gsize e = 0; e < G_N_ELEMENTS(encs); e++)
        for (gsize i = 0; i < G_N_ELEMENTS(integs); i++)
            for (gsize g = 0; g < G_N_ELEMENTS(groups); g++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(UipSswanImport) imp =
                    parse_algorithms(encs[e], integs[i], groups[g], &error);
                NMSettingVpn *s_vpn;

                g_assert_no_error(error);
                s_vpn = nm_connection_get_setting_vpn(uip_sswan_import_get_connection(imp));
                assert_proposal(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_IKE), IKE_PROTO_IKE);
                assert_proposal(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_ESP), IKE_PROTO_ESP);
            }
    for (gsize r = 0; r < G_N_ELEMENTS(refused); r++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(UipSswanImport) imp =
            parse_algorithms(refused[r].enc, refused[r].integ, refused[r].group, &error);

        g_assert_null(imp);
        g_assert_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED);
        if (!strstr(error->message, refused[r].key))
            g_error("“%s” not in: %s", refused[r].key, error->message);
    }
}

/* Which importer a file goes to: by its first bytes, not its name. */
static void test_looks_like(void)
{
    static const struct {
        const char *data;
        gsize len;
        gboolean plist;
    } cases[] = {
        {"<?xml version=\"1.0\"?><plist/>", 29, TRUE},
        {"\xef\xbb\xbf\n  <plist version=\"1.0\">", 27, TRUE},
        {"<!DOCTYPE plist PUBLIC>", 23, TRUE},
        {"bplist00\x01", 9, TRUE},
        {"\x30\x80\x06\x09", 4, TRUE}, /* BER, indefinite length: CMS */
        {"\x30\x82\x12\x34", 4, TRUE},
        {"{\"uuid\": \"x\"}", 13, FALSE}, /* .sswan */
        {"  {", 3, FALSE},
        {"0123", 4, FALSE},
        {"", 0, FALSE},
        {"<html>", 6, FALSE},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_true(uip_mobileconfig_looks_like(cases[i].data, cases[i].len) == cases[i].plist);
    g_assert_false(uip_mobileconfig_file_looks_like("/nonexistent/x.mobileconfig"));
}

/* Re-importing the same profile reuses its files (same name, same contents); a profile is not
 * changed by a failed import of another. */
static void test_import_twice(void)
{
    g_autofree char *path = fixture_path("good-eap-tls.mobileconfig"), *dir = new_dir();
    g_autoptr(NMConnection) a = NULL, b = NULL;
    g_autoptr(GError) error = NULL;

    a = uip_mobileconfig_import_file(path, dir, &error);
    g_assert_no_error(error);
    b = uip_mobileconfig_import_file(path, dir, &error);
    g_assert_no_error(error);
    g_assert_true(nm_connection_compare(a, b, NM_SETTING_COMPARE_FLAG_EXACT));
}

/* The core module as nmcli uses it ("nmcli connection import type uipsec file X" calls
 * nm_vpn_editor_plugin_import): an Apple profile and a .sswan one through the same call. */
static void test_module(void)
{
    const char *module = g_getenv("UIP_PLUGIN_PATH");
    g_autofree char *profile = fixture_path("good-psk.mobileconfig");
    g_autofree char *sswan =
        g_test_build_filename(G_TEST_DIST, "fixtures", "good-eap.sswan", NULL);
    g_autofree char *bad_profile = fixture_path("bad-redirect.mobileconfig");
    g_autofree char *copy = NULL, *want_ca = NULL;
    g_autoptr(NMVpnEditorPlugin) plugin = NULL;
    g_autoptr(NMConnection) c = NULL, s = NULL, none = NULL;
    g_autoptr(GError) error = NULL;
    NMSettingVpn *s_vpn;

    if (!module) {
        g_test_skip("UIP_PLUGIN_PATH is not set");
        return;
    }
    plugin = nm_vpn_editor_plugin_load_from_file(module, UIP_VPN_SERVICE, getuid(), NULL, NULL,
                                                 &error);
    g_assert_no_error(error);

    c = nm_vpn_editor_plugin_import(plugin, profile, &error);
    g_assert_no_error(error);
    s_vpn = nm_connection_get_setting_vpn(c);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_AUTH), ==, UIP_AUTH_NAME_PSK);
    g_assert_cmpstr(nm_setting_vpn_get_secret(s_vpn, UIP_KEY_PSK), ==, PSK);
    want_ca = g_build_filename(g_get_user_data_dir(), UIP_SSWAN_DATA_SUBDIR, "Example PSK-ca.pem",
                               NULL);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_CA_CERT), ==, want_ca);
    g_assert_true(g_file_test(want_ca, G_FILE_TEST_IS_REGULAR));

    /* the same module still takes .sswan profiles */
    s = nm_vpn_editor_plugin_import(plugin, sswan, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(nm_connection_get_id(s), ==, "Example EAP");

    /* a refusal reaches the caller (nmcli prints it) unchanged */
    none = nm_vpn_editor_plugin_import(plugin, bad_profile, &error);
    g_assert_null(none);
    g_assert_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "“IKEv2.DisableRedirect”"));

    /* the file name does not matter, the contents do */
    g_clear_error(&error);
    copy = g_build_filename(tmp_base, "profile.txt", NULL);
    {
        g_autofree char *text = NULL;
        gsize len;
        g_autoptr(NMConnection) again = NULL;
        g_assert_true(g_file_get_contents(profile, &text, &len, NULL));
        g_assert_true(g_file_set_contents(copy, text, (gssize)len, NULL));
        again = nm_vpn_editor_plugin_import(plugin, copy, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(nm_connection_get_uuid(again), ==, UUID_VPN);
    }
}

int main(int argc, char **argv)
{
    g_autofree char *data_home = NULL;
    int r;

    /* before anything asks GLib for the user data folder (it is looked up once) */
    tmp_base = g_dir_make_tmp("uip-mobileconfig-XXXXXX", NULL);
    g_assert_nonnull(tmp_base);
    data_home = g_build_filename(tmp_base, "data", NULL);
    g_setenv("XDG_DATA_HOME", data_home, TRUE);
    g_test_init(&argc, &argv, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *name = g_strdup_printf("/mobileconfig/good/%s", good[i].file);
        g_test_add_data_func(name, &good[i], test_good);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *name = g_strdup_printf("/mobileconfig/bad/%s", bad[i].file);
        g_test_add_data_func(name, &bad[i], test_bad);
    }
    g_test_add_func("/mobileconfig/fixtures-listed", test_fixtures_listed);
    g_test_add_func("/mobileconfig/algorithms", test_algorithms);
    g_test_add_func("/mobileconfig/looks-like", test_looks_like);
    g_test_add_func("/mobileconfig/import-twice", test_import_twice);
    g_test_add_func("/mobileconfig/module", test_module);
    r = g_test_run();
    if (r == 0)
        fixture_rm_rf(tmp_base);
    g_free(tmp_base);
    return r;
}
