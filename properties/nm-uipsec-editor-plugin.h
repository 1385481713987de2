/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The core VPN editor plugin of uipsec (libnm-vpn-plugin-uipsec.so): what
 * nmcli, nm-connection-editor and GNOME Settings load through the [libnm]
 * plugin= line of the .name file.  GTK-free: name, description, service,
 * capabilities, import/export of .sswan profiles; the editor widget lives in
 * a separate library loaded on demand (see get_editor in the .c file).
 */
#pragma once

#include <NetworkManager.h>

#define UIP_TYPE_EDITOR_PLUGIN (uip_editor_plugin_get_type())
G_DECLARE_FINAL_TYPE(UipEditorPlugin, uip_editor_plugin, UIP, EDITOR_PLUGIN, GObject)

/* The editor libraries, looked up in the folder of the core plugin. */
#define UIP_EDITOR_LIBRARY_GTK3 "libnm-vpn-plugin-uipsec-editor.so"
#define UIP_EDITOR_LIBRARY_GTK4 "libnm-gtk4-vpn-plugin-uipsec-editor.so"

/*
 * The factory each editor library exports under this name (and only it):
 * returns a new NMVpnEditor for @connection, or NULL with @error set.
 */
#define UIP_EDITOR_FACTORY_SYMBOL "nm_vpn_editor_factory_uipsec"
typedef NMVpnEditor *(*UipEditorFactory)(NMVpnEditorPlugin *editor_plugin, NMConnection *connection,
                                         GError **error);
NMVpnEditor *nm_vpn_editor_factory_uipsec(NMVpnEditorPlugin *editor_plugin,
                                          NMConnection *connection, GError **error);
