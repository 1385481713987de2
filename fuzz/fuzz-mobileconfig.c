/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the import of Apple .mobileconfig profiles
 * (properties/uip-mobileconfig.c): the input is the file's bytes (an XML
 * property list, a signed profile, anything).
 *
 * uip_mobileconfig_parse() must return either an error with a message that
 * can be shown, or a connection that NetworkManager verifies and whose
 * vpn.data and vpn.secrets pass uip_settings_validate(); anything else aborts.
 * Parsing writes nothing: the files stay in memory under a folder that does
 * not exist, uip_sswan_import_write_files() is never called.  GLib criticals
 * and warnings are fatal.  Seeds: fuzz/seeds/fuzz-mobileconfig (written by
 * tests/properties/make-mobileconfig-fixtures.py).
 */
#include <stdlib.h>

#include "common/uip-settings.h"
#include "uip-mobileconfig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CERT_DIR "/nonexistent/fuzz-mobileconfig"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return 0;
}

static void collect(const char *key, const char *value, gpointer table)
{
    g_hash_table_insert(table, g_strdup(key), g_strdup(value));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(UipSswanImport) imp = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) vpn_data = NULL, secrets = NULL;
    NMSettingVpn *s_vpn;
    NMConnection *c;

    imp = uip_mobileconfig_parse((const char *)data, size, CERT_DIR, &error);
    if (!imp) {
        if (!error || !error->message || !g_utf8_validate(error->message, -1, NULL))
            abort(); /* a failure must say why, in text that can be shown */
        return 0;
    }
    if (error || uip_sswan_import_get_n_files(imp) > 3)
        abort();
    c = uip_sswan_import_get_connection(imp);
    if (!c || !nm_connection_verify(c, NULL))
        abort();
    s_vpn = nm_connection_get_setting_vpn(c);
    vpn_data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    secrets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    nm_setting_vpn_foreach_data_item(s_vpn, collect, vpn_data);
    nm_setting_vpn_foreach_secret(s_vpn, collect, secrets);
    if (!uip_settings_validate(vpn_data, secrets, NULL))
        abort();
    return 0;
}
