/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for libnm-vpn-plugin-uipsec-editor.so in test-import-export: its
 * factory only reports that it was called, so the test sees the core plugin
 * find, check, load and call the editor library without GTK or a display.
 */
#include "nm-uipsec-editor-plugin.h"

NMVpnEditor *nm_vpn_editor_factory_uipsec(NMVpnEditorPlugin *editor_plugin,
                                          NMConnection *connection, GError **error)
{
    g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION,
                        "stand-in editor: called");
    return NULL;
}
