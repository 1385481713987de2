/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Import and export of strongSwan .sswan profiles (properties/uip-sswan.c) and
 * the core editor plugin module around it.
 *
 *   - every good fixture: parse -> every vpn.data key, DNS, the files it will
 *     write; write them (folder 0700, files 0600, PEM that OpenSSL reads);
 *     export -> import again -> the same connection and byte-identical files;
 *   - every bad fixture: the expected GError (domain, code, words of the
 *     message), and nothing written;
 *   - export refusals: psk, options the format lacks, out-of-range values,
 *     encrypted keys without their password, a CA file of two certificates;
 *   - every key of the settings table has an export rule;
 *   - the module: only the factory exported, properties, capabilities, import
 *     and export through libnm's NMVpnEditorPlugin API, the editor library
 *     missing (a clear error), then present (a stand-in's factory is called).
 *
 * Each fixture must be listed in good[] or bad[]: a new file without a row fails.
 * Everything is written below one temporary folder, also XDG_DATA_HOME.
 */
#include "uip-sswan.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "common/uip-settings.h"
#include "fixture-util.h"
#include "nm-uipsec-editor-plugin.h"

/* ---- fixtures -------------------------------------------------------------------------------- */

#define UUID1 "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e01"
#define UUID2 "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e02"
#define UUID3 "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e03"
#define UUID4 "7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e04"

#define MAX_KV 16

struct good {
    const char *file;
    const char *id;
    const char *uuid;
    const char *dns4, *dns6; /* comma-separated, NULL = no ipv4/ipv6 DNS */
    guint n_files;
    struct {
        const char *key, *value;
    } kv[MAX_KV]; /* the whole vpn.data; "@DIR@" = the certificate folder */
};

/* clang-format off */
static const struct good good[] = {
    {"good-eap.sswan", "Example EAP", UUID1, NULL, NULL, 1, {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_EAP_MSCHAPV2},
        {UIP_KEY_GATEWAY, "198.18.0.1"},
        {UIP_KEY_PORT, "4500"},
        {UIP_KEY_REMOTE_ID, "vpn.example.test"},
        {UIP_KEY_CA_CERT, "@DIR@/Example EAP-ca.pem"},
        {UIP_KEY_USER, "alice"},
        {UIP_KEY_IKE, "aes256gcm16-prfsha256-ecp256"},
        {UIP_KEY_ESP, "aes256gcm16"},
        {UIP_KEY_MTU, "1400"},
        {UIP_KEY_NAT_KEEPALIVE, "30"},
        {UIP_KEY_VIRTUAL_IPV6, UIP_VALUE_YES},
        {UIP_KEY_PASSWORD_FLAGS, "1"},
    }},
    {"good-cert.sswan", "Example certificate", UUID2, "198.18.0.53", "2001:db8::53", 3, {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_CERT},
        {UIP_KEY_GATEWAY, "vpn.example.test"},
        {UIP_KEY_REMOTE_ID, "vpn.example.test"},
        {UIP_KEY_CA_CERT, "@DIR@/Example certificate-ca.pem"},
        {UIP_KEY_LOCAL_ID, "client@example.test"},
        {UIP_KEY_USER_CERT, "@DIR@/Example certificate-cert.pem"},
        {UIP_KEY_USER_KEY, "@DIR@/Example certificate-key.pem"},
        {UIP_KEY_REMOTE_TS, "198.18.10.0/24,2001:db8:10::/48"},
        {UIP_KEY_VIRTUAL_IPV6, UIP_VALUE_YES},
    }},
    {"good-eap-tls.sswan", "Example EAP-TLS (legacy p12)", UUID3, "198.18.0.53", "", 2, {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_EAP_TLS},
        {UIP_KEY_GATEWAY, "2001:db8::1"},
        {UIP_KEY_USER_CERT, "@DIR@/Example EAP-TLS _legacy p12_-cert.pem"},
        {UIP_KEY_USER_KEY, "@DIR@/Example EAP-TLS _legacy p12_-key.pem"},
        {UIP_KEY_REMOTE_TS, "198.18.20.0/24,198.18.21.0/24"},
        {UIP_KEY_VIRTUAL_IPV6, UIP_VALUE_YES},
    }},
    {"good-minimal.sswan", "Minimal", UUID4, NULL, NULL, 0, {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_EAP_MSCHAPV2},
        {UIP_KEY_GATEWAY, "vpn.example.test"},
        {UIP_KEY_USER, "bob"},
        {UIP_KEY_VIRTUAL_IPV6, UIP_VALUE_YES},
        {UIP_KEY_PASSWORD_FLAGS, "1"},
    }},
};
/* clang-format on */

struct bad {
    const char *file;
    GQuark (*domain)(void);
    int code;
    const char *words[4]; /* each must be in the message */
};

static GQuark nm_domain(void)
{
    return NM_CONNECTION_ERROR;
}

static GQuark uip_domain(void)
{
    return UIP_SETTINGS_ERROR;
}

#define NM_FAILED  nm_domain, NM_CONNECTION_ERROR_FAILED
#define UIP_INVAL  uip_domain, UIP_SETTINGS_ERROR_INVALID_VALUE
#define UIP_MISSNG uip_domain, UIP_SETTINGS_ERROR_MISSING

static const struct bad bad[] = {
    {"bad-empty.sswan", NM_FAILED, {"empty"}},
    {"bad-json-truncated.sswan", NM_FAILED, {"not valid JSON"}},
    {"bad-json-trailing-comma.sswan", NM_FAILED, {"not valid JSON"}},
    {"bad-not-object.sswan", NM_FAILED, {"not a JSON object"}},
    {"bad-not-utf8.sswan", NM_FAILED, {"UTF-8"}},
    {"bad-nul.sswan", NM_FAILED, {"NUL"}},
    {"bad-deep.sswan", NM_FAILED, {"nested too deeply"}},
    {"bad-unknown-fields.sswan",
     NM_FAILED,
     {"“colour”", "“remote.bogus”", "“local.extra”", "lost"}},
    {"bad-no-uuid.sswan", NM_FAILED, {"no “uuid”"}},
    {"bad-uuid.sswan", NM_FAILED, {"“uuid”", "not a UUID"}},
    {"bad-no-name.sswan", NM_FAILED, {"no “name”"}},
    {"bad-no-addr.sswan", NM_FAILED, {"no “remote.addr”"}},
    {"bad-type-unknown.sswan", NM_FAILED, {"“ikev2-psk”", "unknown"}},
    {"bad-type-cert-eap.sswan", NM_FAILED, {"“ikev2-cert-eap”", "not supported"}},
    {"bad-type-byod.sswan", NM_FAILED, {"“ikev2-byod-eap”", "not supported"}},
    {"bad-port-string.sswan", NM_FAILED, {"“remote.port”", "integer"}},
    {"bad-port-range.sswan", UIP_INVAL, {"“remote.port”", "“port”", "70000"}},
    {"bad-mtu-float.sswan", NM_FAILED, {"“mtu”", "integer"}},
    {"bad-mtu-range.sswan", UIP_INVAL, {"“mtu”", "576"}},
    {"bad-remote-object.sswan", NM_FAILED, {"“remote”", "object"}},
    {"bad-subnets-numbers.sswan", NM_FAILED, {"“split-tunneling.subnets”", "array of strings"}},
    {"bad-subnets-range.sswan", UIP_INVAL, {"“split-tunneling.subnets”", "“remote-ts”"}},
    {"bad-excluded.sswan", NM_FAILED, {"“split-tunneling.excluded”"}},
    {"bad-block-ipv4.sswan", NM_FAILED, {"“split-tunneling.block-ipv4”"}},
    {"bad-block-ipv6.sswan", NM_FAILED, {"“split-tunneling.block-ipv6”"}},
    {"bad-certreq.sswan", NM_FAILED, {"“remote.certreq”"}},
    {"bad-strict-revocation.sswan", NM_FAILED, {"“remote.revocation.strict”", "revocation"}},
    {"bad-bool-string.sswan", NM_FAILED, {"“remote.certreq”", "true or false"}},
    {"bad-apps.sswan", NM_FAILED, {"“apps”"}},
    {"bad-excluded-apps.sswan", NM_FAILED, {"“excluded-apps”"}},
    {"bad-proxy.sswan", NM_FAILED, {"“proxy”"}},
    {"bad-no-eap-id.sswan", UIP_MISSNG, {"“user”", "eap-mschapv2"}},
    {"bad-p12-on-eap.sswan", NM_FAILED, {"“local.p12”", "“ikev2-eap”"}},
    {"bad-base64.sswan", NM_FAILED, {"“remote.cert”", "base64"}},
    {"bad-cert-garbage.sswan", NM_FAILED, {"“remote.cert”", "X.509"}},
    {"bad-gateway.sswan", UIP_INVAL, {"“remote.addr”", "“gateway”"}},
    {"bad-proposal.sswan", UIP_INVAL, {"“ike-proposal”", "“ike”"}},
    {"bad-dns.sswan", NM_FAILED, {"“dns-servers”", "dns.example.test", "IP address"}},
    {"bad-cert-no-p12.sswan", NM_FAILED, {"“ikev2-cert”", "“local.p12”"}},
    {"bad-p12-password.sswan", NM_FAILED, {"“local.p12”", "password", "openssl pkcs12"}},
    {"bad-p12-garbage.sswan", NM_FAILED, {"“local.p12”", "PKCS#12"}},
    {"bad-eap-id-on-cert.sswan", NM_FAILED, {"“local.eap_id”", "“ikev2-cert”"}},
    {"bad-rsa-pss.sswan", NM_FAILED, {"“local.rsa-pss”"}},
};

static const char *plugin_path; /* the built core module */
static const char *fake_editor; /* tests/properties/fake-editor.c, built */
static char *plugin_dir;        /* a copy of both, for the module tests */

static char *fixture_path(const char *name)
{
    return g_test_build_filename(G_TEST_DIST, "fixtures", name, NULL);
}

static void read_fixture(const char *name, char **data, gsize *len)
{
    g_autofree char *path = fixture_path(name);
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_get_contents(path, data, len, &error));
    g_assert_no_error(error);
}

static char *tmp_base; /* everything the tests write, XDG_DATA_HOME included */

/* This test's own folder below tmp_base (created), named after the test. */
static const char *test_home(void)
{
    static char *home;

    g_free(home);
    home = g_build_filename(tmp_base, "t", g_test_get_path(), NULL);
    g_assert_cmpint(g_mkdir_with_parents(home, 0700), ==, 0);
    return home;
}

/* A folder path inside it, not created. */
static char *new_dir(const char *name)
{
    return g_build_filename(test_home(), name, NULL);
}

static char *expand(const char *value, const char *dir)
{
    g_auto(GStrv) parts = g_strsplit(value, "@DIR@", -1);
    return g_strjoinv(dir, parts);
}

static void assert_mode(const char *path, guint mode)
{
    GStatBuf st;

    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, mode);
}

/* The IP config's DNS servers, comma-separated; NULL when there is no such setting. */
static char *dns_of(NMConnection *c, const char *setting_name)
{
    NMSettingIPConfig *s = NM_SETTING_IP_CONFIG(nm_connection_get_setting_by_name(c, setting_name));
    g_autoptr(GPtrArray) list = g_ptr_array_new();

    if (!s || !nm_setting_ip_config_get_ignore_auto_dns(s))
        return NULL;
    for (guint i = 0; i < nm_setting_ip_config_get_num_dns(s); i++)
        g_ptr_array_add(list, (gpointer)nm_setting_ip_config_get_dns(s, i));
    g_ptr_array_add(list, NULL);
    return g_strjoinv(",", (char **)list->pdata);
}

static void check_connection(NMConnection *c, const struct good *g, const char *dir)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(c);
    NMSettingConnection *s_con = nm_connection_get_setting_connection(c);
    g_autofree char *dns4 = dns_of(c, NM_SETTING_IP4_CONFIG_SETTING_NAME);
    g_autofree char *dns6 = dns_of(c, NM_SETTING_IP6_CONFIG_SETTING_NAME);
    guint n = 0;

    g_assert_true(nm_connection_verify(c, NULL));
    g_assert_cmpstr(nm_setting_connection_get_id(s_con), ==, g->id);
    g_assert_cmpstr(nm_setting_connection_get_uuid(s_con), ==, g->uuid);
    g_assert_cmpstr(nm_setting_connection_get_connection_type(s_con), ==,
                    NM_SETTING_VPN_SETTING_NAME);
    g_assert_nonnull(s_vpn);
    g_assert_cmpstr(nm_setting_vpn_get_service_type(s_vpn), ==, UIP_VPN_SERVICE);
    for (; n < MAX_KV && g->kv[n].key; n++) {
        g_autofree char *want = expand(g->kv[n].value, dir);
        g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, g->kv[n].key), ==, want);
    }
    g_assert_cmpuint(nm_setting_vpn_get_num_data_items(s_vpn), ==, n);
    g_assert_cmpuint(nm_setting_vpn_get_num_secrets(s_vpn), ==, 0);
    g_assert_cmpstr(dns4, ==, g->dns4);
    g_assert_cmpstr(dns6, ==, g->dns6);
}

/* The files of @c exist with mode 0600 and OpenSSL reads them. */
static void check_files(NMConnection *c, const char *dir)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(c);
    const char *ca = nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_CA_CERT);
    const char *cert = nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_CERT);
    const char *key = nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_KEY);

    if (!ca && !cert)
        return;
    assert_mode(dir, 0700);
    for (const char *const *p = (const char *const[]){ca, cert, key, NULL}, *const *end = p + 3;
         p < end; p++) {
        g_autofree char *text = NULL;
        gsize len;
        BIO *bio;

        if (!*p)
            continue;
        assert_mode(*p, 0600);
        g_assert_true(g_file_get_contents(*p, &text, &len, NULL));
        bio = BIO_new_mem_buf(text, (int)len);
        if (*p == key) {
            EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
            g_assert_nonnull(k);
            g_assert_nonnull(strstr(text, "-----BEGIN PRIVATE KEY-----"));
            EVP_PKEY_free(k);
        } else {
            X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
            g_assert_nonnull(x);
            X509_free(x);
        }
        BIO_free(bio);
    }
}

static GHashTable *file_contents(NMConnection *c)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(c);
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *keys[] = {UIP_KEY_CA_CERT, UIP_KEY_USER_CERT, UIP_KEY_USER_KEY};

    for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *path = nm_setting_vpn_get_data_item(s_vpn, keys[i]);
        char *text = NULL;
        if (path && g_file_get_contents(path, &text, NULL, NULL))
            g_hash_table_insert(t, g_strdup(path), text);
    }
    return t;
}

/* ---- good profiles --------------------------------------------------------------------------- */

static void test_good(gconstpointer user_data)
{
    const struct good *g = user_data;
    g_autofree char *data = NULL, *dir = new_dir("certs"), *json = NULL, *out = NULL;
    g_autofree char *again_json = NULL;
    g_autoptr(UipSswanImport) imp = NULL;
    g_autoptr(NMConnection) again = NULL;
    g_autoptr(GHashTable) files = NULL, files_again = NULL;
    g_autoptr(GError) error = NULL;
    NMConnection *c;
    gsize len;

    read_fixture(g->file, &data, &len);

    /* parse: nothing written yet */
    imp = uip_sswan_parse(data, len, dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(imp);
    c = uip_sswan_import_get_connection(imp);
    check_connection(c, g, dir);
    g_assert_cmpuint(uip_sswan_import_get_n_files(imp), ==, g->n_files);
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));

    /* write the files */
    g_assert_true(uip_sswan_import_write_files(imp, &error));
    g_assert_no_error(error);
    check_files(c, dir);
    files = file_contents(c);
    g_assert_cmpuint(g_hash_table_size(files), ==, g->n_files);

    /* export, import again: the same connection, the same files */
    json = uip_sswan_export_data(c, &error);
    g_assert_no_error(error);
    g_assert_nonnull(json);
    again = uip_sswan_import_data(json, strlen(json), dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(again);
    check_connection(again, g, dir);
    g_assert_true(nm_connection_compare(c, again, NM_SETTING_COMPARE_FLAG_EXACT));
    files_again = file_contents(again);
    g_assert_cmpuint(g_hash_table_size(files_again), ==, g_hash_table_size(files));
    {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, files);
        while (g_hash_table_iter_next(&it, &k, &v))
            g_assert_cmpstr(g_hash_table_lookup(files_again, k), ==, v);
    }

    /* and the export is stable */
    again_json = uip_sswan_export_data(again, &error);
    g_assert_no_error(error);
    if (g->n_files < 2) /* a new PKCS#12 bundle has a new salt each time */
        g_assert_cmpstr(again_json, ==, json);

    /* to a file: 0600 (it may hold a private key) */
    out = g_build_filename(test_home(), "out.sswan", NULL);
    g_assert_true(uip_sswan_export_file(c, out, &error));
    g_assert_no_error(error);
    assert_mode(out, 0600);
}

/* Parsing the same bytes twice gives equal connections; a fixture file imports through the path
 * API. */
static void test_import_file(void)
{
    g_autofree char *path = fixture_path("good-cert.sswan");
    g_autofree char *dir = new_dir("certs");
    g_autoptr(NMConnection) c = NULL;
    g_autoptr(GError) error = NULL;

    c = uip_sswan_import_file(path, dir, &error);
    g_assert_no_error(error);
    check_connection(c, &good[1], dir);
    check_files(c, dir);

    g_clear_object(&c);
    c = uip_sswan_import_file("/nonexistent/x.sswan", dir, &error);
    g_assert_null(c);
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* The files are named after the connection; one of that name with other contents (another
 * connection's) is left alone and the import takes "<name>-2"; the same contents again (the
 * same profile imported again) are reused. */
static void test_import_names(void)
{
    g_autofree char *path = fixture_path("good-eap.sswan");
    g_autofree char *dir = new_dir("certs");
    g_autofree char *ca = NULL, *ca2 = NULL, *kept = NULL;
    g_autoptr(NMConnection) c = NULL;
    g_autoptr(GError) error = NULL;
    const char *got;

    c = uip_sswan_import_file(path, dir, &error);
    g_assert_no_error(error);
    ca = g_build_filename(dir, "Example EAP-ca.pem", NULL);
    got = nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(c), UIP_KEY_CA_CERT);
    g_assert_cmpstr(got, ==, ca);

    /* again: the same file */
    g_clear_object(&c);
    c = uip_sswan_import_file(path, dir, &error);
    g_assert_no_error(error);
    got = nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(c), UIP_KEY_CA_CERT);
    g_assert_cmpstr(got, ==, ca);

    /* another connection's file of that name */
    g_assert_true(g_file_set_contents(ca, "another CA\n", -1, NULL));
    g_clear_object(&c);
    c = uip_sswan_import_file(path, dir, &error);
    g_assert_no_error(error);
    ca2 = g_build_filename(dir, "Example EAP-2-ca.pem", NULL);
    got = nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(c), UIP_KEY_CA_CERT);
    g_assert_cmpstr(got, ==, ca2);
    g_assert_true(g_file_get_contents(ca, &kept, NULL, NULL));
    g_assert_cmpstr(kept, ==, "another CA\n");
    g_assert_true(g_file_test(ca2, G_FILE_TEST_IS_REGULAR));
}

/* The files an import created are known by the connection's UUID (the core plugin removes them
 * when the editor opened on the import is cancelled), once; files reused are not among them. */
static void test_import_created(void)
{
    g_autofree char *path = fixture_path("good-cert.sswan");
    g_autofree char *dir = new_dir("certs");
    g_autoptr(NMConnection) c = NULL, again = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) created = NULL, none = NULL;
    NMSettingVpn *s_vpn;

    g_strfreev(uip_sswan_import_take_created(UUID2)); /* other tests' imports */
    c = uip_sswan_import_file(path, dir, &error);
    g_assert_no_error(error);
    s_vpn = nm_connection_get_setting_vpn(c);
    created = uip_sswan_import_take_created(UUID2);
    g_assert_nonnull(created);
    g_assert_cmpuint(g_strv_length(created), ==, 3);
    g_assert_true(g_strv_contains((const char *const *)created,
                                  nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_CA_CERT)));
    g_assert_true(g_strv_contains((const char *const *)created,
                                  nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_CERT)));
    g_assert_true(g_strv_contains((const char *const *)created,
                                  nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_KEY)));
    g_assert_null(uip_sswan_import_take_created(UUID2));
    /* the same profile again: the same files, none created */
    again = uip_sswan_import_file(path, dir, &error);
    g_assert_no_error(error);
    g_assert_true(nm_connection_compare(c, again, NM_SETTING_COMPARE_FLAG_EXACT));
    none = uip_sswan_import_take_created(UUID2);
    g_assert_null(none);
}

/* A profile with several problems names them all, not only the first. */
static void test_import_problems(void)
{
    static const char json[] =
        "{\"uuid\": \"7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e09\", \"name\": \"Two\","
        " \"type\": \"ikev2-eap\","
        " \"remote\": {\"addr\": \"vpn.example.test\", \"port\": 70000, \"certreq\": false},"
        " \"local\": {\"eap_id\": \"bob\"},"
        " \"split-tunneling\": {\"block-ipv4\": true},"
        " \"dns-servers\": \"not-an-address\"}";
    g_autofree char *dir = new_dir("certs");
    g_autoptr(NMConnection) c = NULL;
    g_autoptr(GError) error = NULL;

    c = uip_sswan_import_data(json, strlen(json), dir, &error);
    g_assert_null(c);
    g_assert_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED);
    if (g_test_verbose())
        g_printerr("%s\n", error->message);
    g_assert_nonnull(strstr(error->message, "4 problems"));
    g_assert_nonnull(strstr(error->message, "“remote.certreq”"));
    g_assert_nonnull(strstr(error->message, "“split-tunneling.block-ipv4”"));
    g_assert_nonnull(strstr(error->message, "“remote.port”"));
    g_assert_nonnull(strstr(error->message, "“dns-servers”"));
    /* nothing written */
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

/* ---- bad profiles ---------------------------------------------------------------------------- */

static void test_bad(gconstpointer user_data)
{
    const struct bad *b = user_data;
    g_autofree char *path = fixture_path(b->file);
    g_autofree char *dir = new_dir("certs");
    g_autoptr(NMConnection) c = NULL;
    g_autoptr(GError) error = NULL;

    c = uip_sswan_import_file(path, dir, &error);
    g_assert_null(c);
    fixture_assert_refused(b->file, error, b->domain(), b->code, b->words,
                           G_N_ELEMENTS(b->words));
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS)); /* nothing written */
}

/* Every fixture has a row above. */
static void test_fixtures_listed(void)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    FIXTURE_ADD_NAMES(names, good);
    FIXTURE_ADD_NAMES(names, bad);
    fixture_assert_listed("fixtures", names, "test-import-export.c");
}

/* A few inputs that are no fixture files. */
static void test_bad_buffers(void)
{
    static const char *const inputs[] = {
        "{}",
        "null",
        "42",
        "\"x\"",
        "{\"uuid\": 1}",
        "{\"uuid\": \"\"}",
        "{\"remote\": []}",
        "{\"split-tunneling\": {\"subnets\": [[]]}}",
        "{\"a\": {\"b\": {\"c\": {}}}}",
        "{\"\\u0000\": 1}",
        "{\"uuid\": \"7f1b8a62-3c1e-4b7e-9d55-0a1b2c3d4e0\"}",
        "{\"\x01\": 1}",
        /* escapes json-glib takes but JSON has not (found by fuzz-import), a lone surrogate */
        "{\n  \"uAfTAD\\\\\\7777777777777\\\\l\"user-k",
        "{\"name\": \"\\377\"}",
        "{\"name\": \"\\x41\"}",
        "{\"name\": \"\\u12\"}",
        "{\"name\": \"\\ud800\"}",
    };

    for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(UipSswanImport) imp =
            uip_sswan_parse(inputs[i], strlen(inputs[i]), "/nonexistent", &error);
        g_assert_null(imp);
        g_assert_nonnull(error);
        g_assert_true(g_utf8_validate(error->message, -1, NULL));
    }
}

/* ---- export refusals ------------------------------------------------------------------------- */

/* The connection of good-cert.sswan, imported into this test's folder. */
static NMConnection *cert_connection(void)
{
    g_autofree char *data = NULL, *dir = new_dir("certs");
    g_autoptr(GError) error = NULL;
    NMConnection *c;
    gsize len;

    read_fixture("good-cert.sswan", &data, &len);
    c = uip_sswan_import_data(data, len, dir, &error);
    g_assert_no_error(error);
    return c;
}

static void export_fails(NMConnection *c, const char *word)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *json = uip_sswan_export_data(c, &error);

    g_assert_null(json);
    g_assert_nonnull(error);
    if (!strstr(error->message, word))
        g_error("“%s” not in: %s", word, error->message);
}

static void test_export_refused(void)
{
    static const struct {
        const char *key, *value, *word;
    } cases[] = {
        {UIP_KEY_AUTH, UIP_AUTH_NAME_PSK, "pre-shared key"},
        {UIP_KEY_LOCAL_TS, "198.18.40.0/24", "“local-ts”"},
        {UIP_KEY_DPD_INTERVAL, "60", "“dpd-interval”"},
        {UIP_KEY_DPD_ACTION, UIP_DPD_ACTION_FAIL, "“dpd-action”"},
        {UIP_KEY_FRAGMENTATION, UIP_VALUE_NO, "“fragmentation”"},
        {UIP_KEY_REKEY_IKE, "3600", "“rekey-ike”"},
        {UIP_KEY_REKEY_CHILD, "600", "“rekey-child”"},
        {UIP_KEY_VIRTUAL_IPV4, UIP_VALUE_NO, "“virtual-ipv4”"},
        {UIP_KEY_MTU, "9000", "1280"},
        {UIP_KEY_NAT_KEEPALIVE, "0", "“nat-keepalive”"},
        {UIP_KEY_PORT, "0", "“port”"},
        {"no-such-key", "1", "“no-such-key”"},
        {UIP_KEY_PSK, "a secret long enough to be valid", "“psk”"},
        {UIP_KEY_USER_CERT, "/nonexistent/cert.pem", "“user-cert”"},
        {UIP_KEY_CA_CERT, "/nonexistent/ca.pem", "“ca-cert”"},
        {UIP_KEY_USER_KEY, "pkcs11:token=uipsec;object=vpn-key", "the key is on a token"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(NMConnection) c = cert_connection();
        nm_setting_vpn_add_data_item(nm_connection_get_setting_vpn(c), cases[i].key,
                                     cases[i].value);
        export_fails(c, cases[i].word);
    }

    /* defaults of options the format lacks are fine */
    {
        g_autoptr(NMConnection) c = cert_connection();
        NMSettingVpn *s = nm_connection_get_setting_vpn(c);
        g_autoptr(GError) error = NULL;
        g_autofree char *json = NULL;

        nm_setting_vpn_add_data_item(s, UIP_KEY_DPD_INTERVAL, "30");
        nm_setting_vpn_add_data_item(s, UIP_KEY_DPD_ACTION, UIP_DPD_ACTION_RESTART);
        nm_setting_vpn_add_data_item(s, UIP_KEY_FRAGMENTATION, UIP_VALUE_YES);
        nm_setting_vpn_add_data_item(s, UIP_KEY_VIRTUAL_IPV6, UIP_VALUE_NO);
        nm_setting_vpn_add_data_item(s, UIP_KEY_PSK_FLAGS, "2");
        json = uip_sswan_export_data(c, &error);
        g_assert_no_error(error);
        g_assert_null(strstr(json, "dpd"));
    }

    /* not a uipsec connection */
    {
        g_autoptr(NMConnection) c = cert_connection();
        g_object_set(nm_connection_get_setting_vpn(c), NM_SETTING_VPN_SERVICE_TYPE,
                     "org.freedesktop.NetworkManager.openvpn", NULL);
        export_fails(c, "not a uipsec");
    }

    /* a CA file of two certificates */
    {
        g_autoptr(NMConnection) c = cert_connection();
        NMSettingVpn *s = nm_connection_get_setting_vpn(c);
        g_autofree char *ca = NULL, *two = NULL;
        g_autofree char *path = g_build_filename(test_home(), "two.pem", NULL);

        g_assert_true(
            g_file_get_contents(nm_setting_vpn_get_data_item(s, UIP_KEY_CA_CERT), &ca, NULL, NULL));
        two = g_strconcat(ca, ca, NULL);
        g_assert_true(g_file_set_contents(path, two, -1, NULL));
        nm_setting_vpn_add_data_item(s, UIP_KEY_CA_CERT, path);
        export_fails(c, "holds 2 certificates");
    }
}

/* A clear key goes into the bundle without a password: the user is told (issue 12, item 12). */
static void test_export_clear_key_warns(void)
{
    if (g_test_subprocess()) {
        g_autoptr(NMConnection) c = cert_connection();
        g_autoptr(GError) error = NULL;
        g_autofree char *json = uip_sswan_export_data(c, &error);

        g_assert_no_error(error);
        g_assert_nonnull(strstr(json, "\"p12\""));
        return;
    }
    /* structured logging: the message is checked where the user sees it, on stderr */
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*private key of*without a password*");
}

/* An encrypted key: refused without its password; with it, a bundle under that password. */
static void test_export_encrypted_key(void)
{
    g_autoptr(NMConnection) c = cert_connection();
    NMSettingVpn *s = nm_connection_get_setting_vpn(c);
    g_autofree char *path = g_build_filename(test_home(), "enc.pem", NULL);
    g_autofree char *json = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NMConnection) again = NULL;
    EVP_PKEY *key;
    BIO *in, *out;

    in = BIO_new_file(nm_setting_vpn_get_data_item(s, UIP_KEY_USER_KEY), "r");
    key = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    g_assert_nonnull(key);
    out = BIO_new_file(path, "w");
    g_assert_true(
        PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), "Sekr1t", 6, NULL, NULL));
    BIO_free(in);
    BIO_free(out);
    EVP_PKEY_free(key);
    nm_setting_vpn_add_data_item(s, UIP_KEY_USER_KEY, path);

    export_fails(c, "“user-key-password”");

    nm_setting_vpn_add_secret(s, UIP_KEY_USER_KEY_PASSWORD, "wrong");
    export_fails(c, "wrong password");

    nm_setting_vpn_add_secret(s, UIP_KEY_USER_KEY_PASSWORD, "Sekr1t");
    json = uip_sswan_export_data(c, &error);
    g_assert_no_error(error);
    g_assert_null(strstr(json, "Sekr1t"));

    /* which our own import then refuses: it cannot ask for the password */
    again = uip_sswan_import_data(json, strlen(json), test_home(), &error);
    g_assert_null(again);
    g_assert_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "password"));
}

/* Adding a key to the settings table forces a decision about its export. */
static void test_export_rules_complete(void)
{
    gsize n;
    const struct uip_setting *all = uip_settings_all(&n);

    for (gsize i = 0; i < n; i++)
        if (!all[i].secret && !uip_sswan_export_knows_key(all[i].key))
            g_error("no export rule for “%s” in properties/uip-sswan.c", all[i].key);
    g_assert_false(uip_sswan_export_knows_key("no-such-key"));
}

static void test_suggested_filename(void)
{
    static const struct {
        const char *id, *file;
    } cases[] = {
        {"Office", "Office.sswan"},     {"a/b\\c", "a_b_c.sswan"}, {".hidden", "_hidden.sswan"},
        {"Büro 2.0", "Büro 2.0.sswan"}, {"", "uipsec.sswan"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(NMConnection) c = nm_simple_connection_new();
        NMSetting *s = nm_setting_connection_new();
        g_autofree char *name = NULL;

        g_object_set(s, NM_SETTING_CONNECTION_ID, cases[i].id, NULL);
        nm_connection_add_setting(c, s);
        name = uip_sswan_suggested_filename(c);
        g_assert_cmpstr(name, ==, cases[i].file);
    }
}

/* ---- the module ------------------------------------------------------------------------------ */

static NMVpnEditorPlugin *load_plugin(void)
{
    static NMVpnEditorPlugin *plugin;
    g_autofree char *path = g_build_filename(plugin_dir, "libnm-vpn-plugin-uipsec.so", NULL);
    g_autoptr(GError) error = NULL;

    if (!plugin) {
        /* as nmcli does it (nm_vpn_plugin_info_load_editor_plugin) */
        plugin = nm_vpn_editor_plugin_load_from_file(path, UIP_VPN_SERVICE, getuid(), NULL, NULL,
                                                     &error);
        g_assert_no_error(error);
        g_assert_nonnull(plugin);
    }
    return plugin;
}

static void test_module(void)
{
    NMVpnEditorPlugin *plugin = load_plugin();
    g_autofree char *path = g_build_filename(plugin_dir, "libnm-vpn-plugin-uipsec.so", NULL);
    g_autofree char *name = NULL, *desc = NULL, *service = NULL, *file = NULL;
    g_autofree char *fixture = fixture_path("good-eap.sswan");
    g_autofree char *out = g_build_filename(test_home(), "out.sswan", NULL);
    g_autofree char *expect_ca = NULL;
    g_autoptr(NMConnection) c = NULL, again = NULL;
    g_autoptr(GError) error = NULL;
    void *handle;

    /* only the factory is visible */
    handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    g_assert_nonnull(handle);
    g_assert_nonnull(dlsym(handle, "nm_vpn_editor_plugin_factory"));
    g_assert_null(dlsym(handle, "uip_sswan_parse"));
    g_assert_null(dlsym(handle, "uip_settings_validate"));
    g_assert_null(dlsym(handle, "uip_editor_plugin_get_type"));
    dlclose(handle);

    g_object_get(plugin, NM_VPN_EDITOR_PLUGIN_NAME, &name, NM_VPN_EDITOR_PLUGIN_DESCRIPTION, &desc,
                 NM_VPN_EDITOR_PLUGIN_SERVICE, &service, NULL);
    g_assert_cmpstr(name, ==, "IPsec IKEv2 (uipsec)");
    g_assert_nonnull(desc);
    g_assert_cmpstr(service, ==, UIP_VPN_SERVICE);
    g_assert_cmpuint(nm_vpn_editor_plugin_get_capabilities(plugin), ==,
                     NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT |
                         NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT |
                         NM_VPN_EDITOR_PLUGIN_CAPABILITY_IPV6);

    /* import: the files go to the user's data folder */
    c = nm_vpn_editor_plugin_import(plugin, fixture, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    expect_ca =
        g_build_filename(g_get_user_data_dir(), UIP_SSWAN_DATA_SUBDIR, "Example EAP-ca.pem", NULL);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(c), UIP_KEY_CA_CERT),
                    ==, expect_ca);
    assert_mode(expect_ca, 0600);

    file = nm_vpn_editor_plugin_get_suggested_filename(plugin, c);
    g_assert_cmpstr(file, ==, "Example EAP.sswan");

    g_assert_true(nm_vpn_editor_plugin_export(plugin, out, c, &error));
    g_assert_no_error(error);
    again = nm_vpn_editor_plugin_import(plugin, out, &error);
    g_assert_no_error(error);
    g_assert_true(nm_connection_compare(c, again, NM_SETTING_COMPARE_FLAG_EXACT));

    /* a bad file: the error comes through libnm unchanged */
    g_clear_object(&again);
    g_free(fixture);
    fixture = fixture_path("bad-unknown-fields.sswan");
    again = nm_vpn_editor_plugin_import(plugin, fixture, &error);
    g_assert_null(again);
    g_assert_error(error, NM_CONNECTION_ERROR, NM_CONNECTION_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "“remote.bogus”"));
}

/* No editor library next to the module: a clear error; with one, its factory is called. */
static void test_editor(void)
{
    NMVpnEditorPlugin *plugin = load_plugin();
    g_autoptr(NMConnection) c = nm_simple_connection_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *dest = g_build_filename(plugin_dir, UIP_EDITOR_LIBRARY_GTK3, NULL);
    g_autofree char *contents = NULL;
    NMVpnEditor *editor;
    gsize len;

    editor = nm_vpn_editor_plugin_get_editor(plugin, c, &error);
    g_assert_null(editor);
    g_assert_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "not installed"));
    g_assert_nonnull(strstr(error->message, UIP_EDITOR_LIBRARY_GTK3));
    g_clear_error(&error);

    /* world-writable: refused */
    g_assert_true(g_file_get_contents(fake_editor, &contents, &len, NULL));
    g_assert_true(g_file_set_contents(dest, contents, (gssize)len, NULL));
    g_assert_cmpint(g_chmod(dest, 0777), ==, 0);
    editor = nm_vpn_editor_plugin_get_editor(plugin, c, &error);
    g_assert_null(editor);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "Refusing"));
    g_clear_error(&error);

    g_assert_cmpint(g_chmod(dest, 0755), ==, 0);
    editor = nm_vpn_editor_plugin_get_editor(plugin, c, &error);
    g_assert_null(editor);
    g_assert_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION);
    g_assert_cmpstr(error->message, ==, "stand-in editor: called");
}

/* ---- main ------------------------------------------------------------------------------------ */

static void copy_file(const char *from, const char *to)
{
    g_autofree char *contents = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(from, &contents, &len, NULL));
    g_assert_true(g_file_set_contents(to, contents, (gssize)len, NULL));
    g_assert_cmpint(g_chmod(to, 0755), ==, 0);
}

int main(int argc, char **argv)
{
    g_autofree char *module_copy = NULL, *data_home = NULL;
    int r;

    /* before anything asks GLib for the user data folder (it is looked up once) */
    tmp_base = g_dir_make_tmp("uip-import-export-XXXXXX", NULL);
    g_assert_nonnull(tmp_base);
    data_home = g_build_filename(tmp_base, "data", NULL);
    g_setenv("XDG_DATA_HOME", data_home, TRUE);
    g_test_init(&argc, &argv, NULL);
    g_assert_cmpstr(g_get_user_data_dir(), ==, data_home);

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *name = g_strdup_printf("/import-export/good/%s", good[i].file);
        g_test_add_data_func(name, &good[i], test_good);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *name = g_strdup_printf("/import-export/bad/%s", bad[i].file);
        g_test_add_data_func(name, &bad[i], test_bad);
    }
    g_test_add_func("/import-export/fixtures-listed", test_fixtures_listed);
    g_test_add_func("/import-export/bad-buffers", test_bad_buffers);
    g_test_add_func("/import-export/import-file", test_import_file);
    g_test_add_func("/import-export/import-names", test_import_names);
    g_test_add_func("/import-export/import-problems", test_import_problems);
    g_test_add_func("/import-export/import-created", test_import_created);
    g_test_add_func("/import-export/export-refused", test_export_refused);
    g_test_add_func("/import-export/export-encrypted-key", test_export_encrypted_key);
    g_test_add_func("/import-export/export-clear-key-warns", test_export_clear_key_warns);
    g_test_add_func("/import-export/export-rules-complete", test_export_rules_complete);
    g_test_add_func("/import-export/suggested-filename", test_suggested_filename);

    /* The module, from a private copy: the editor library is looked up next to it. */
    plugin_path = g_getenv("UIP_PLUGIN_PATH");
    fake_editor = g_getenv("UIP_FAKE_EDITOR_PATH");
    if (plugin_path && fake_editor) {
        plugin_dir = g_build_filename(tmp_base, "plugin", NULL);
        g_assert_cmpint(g_mkdir(plugin_dir, 0755), ==, 0);
        module_copy = g_build_filename(plugin_dir, "libnm-vpn-plugin-uipsec.so", NULL);
        copy_file(plugin_path, module_copy);
        g_test_add_func("/import-export/module", test_module);
        g_test_add_func("/import-export/editor", test_editor);
    }

    r = g_test_run();

    if (r == 0)
        fixture_rm_rf(tmp_base);
    g_free(plugin_dir);
    g_free(tmp_base);
    return r;
}
