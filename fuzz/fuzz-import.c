/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the import of strongSwan .sswan profiles
 * (properties/uip-sswan.c), and built with -DUIP_FUZZ_MOBILECONFIG as
 * fuzz-mobileconfig, of Apple .mobileconfig profiles (properties/uip-mobileconfig.c:
 * XML property lists, signed profiles; seeds from
 * tests/properties/make-mobileconfig-fixtures.py): the input is the file's bytes.
 *
 * The parser must return either an error or a connection that
 * NetworkManager verifies and whose vpn.data and vpn.secrets pass
 * uip_settings_validate(); anything else aborts.  Parsing writes nothing:
 * the certificate and key files stay in memory under a folder that does not
 * exist, and uip_sswan_import_write_files() is never called, so fuzzing never
 * touches the home folder.  GLib criticals and warnings are fatal.
 */
#include <stdlib.h>

#include "common/uip-settings.h"
#include "uip-mobileconfig.h"
#include "uip-sswan.h"

#ifdef UIP_FUZZ_MOBILECONFIG
#define PARSE uip_mobileconfig_parse
#else
#define PARSE uip_sswan_parse
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CERT_DIR "/nonexistent/fuzz-import"

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
    g_autoptr(GHashTable) table = NULL, secrets = NULL;
    NMConnection *c;

    imp = PARSE((const char *)data, size, CERT_DIR, &error);
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
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    secrets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    nm_setting_vpn_foreach_data_item(nm_connection_get_setting_vpn(c), collect, table);
    nm_setting_vpn_foreach_secret(nm_connection_get_setting_vpn(c), collect, secrets);
    if (!uip_settings_validate(table, secrets, NULL))
        abort();
    return 0;
}
