/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libnm-vpn-plugin-uipsec.so: the NMVpnEditorPlugin of uipsec.
 *
 * nmcli and the connection editors dlopen() this module (the [libnm] plugin=
 * line of nm-uipsec-service.name) and call nm_vpn_editor_plugin_factory(), the
 * only symbol it exports (libnm-vpn-plugin-uipsec.ver).  It links no GTK:
 * import and export (uip-sswan.c) work in nmcli.  The editor widget is in
 * libnm-vpn-plugin-uipsec-editor.so (GTK 3) or
 * libnm-gtk4-vpn-plugin-uipsec-editor.so (GTK 4), both from one source, found
 * in the folder of this module and loaded on the first get_editor(): the GTK 4
 * one when GTK 4 is in the process (GTK 3 and 4 cannot share one), else the
 * GTK 3 one.  They are never unloaded (they register GTypes).  This is what
 * NetworkManager's nm_vpn_plugin_utils_load_editor() does for the other VPN
 * plugins; that helper is not in any library, hence this small copy.
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "nm-uipsec-editor-plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "common/uip-settings.h"
#include "uip-mobileconfig.h"
#include "uip-sswan.h"

struct _UipEditorPlugin {
    GObject parent;
};

enum {
    PROP_0,
    PROP_NAME,
    PROP_DESC,
    PROP_SERVICE,
};

static void editor_plugin_interface_init(NMVpnEditorPluginInterface *iface);

G_DEFINE_TYPE_WITH_CODE(UipEditorPlugin, uip_editor_plugin, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(NM_TYPE_VPN_EDITOR_PLUGIN,
                                              editor_plugin_interface_init))

/* ---- the editor library ---------------------------------------------------------------------- */

G_LOCK_DEFINE_STATIC(editor_lock);
static void *editor_handles[2]; /* [0] GTK 3, [1] GTK 4; never closed */

/* A symbol only GTK 4 has (GTK 3 has gtk_container_add() instead). */
static gboolean gtk4_in_process(void)
{
    return dlsym(RTLD_DEFAULT, "gtk_window_set_child") != NULL &&
           dlsym(RTLD_DEFAULT, "gtk_container_add") == NULL;
}

/* The folder this module was loaded from. */
static char *module_dir(void)
{
    Dl_info info;

    if (!dladdr((const void *)module_dir, &info) || !info.dli_fname)
        return NULL;
    return g_path_get_dirname(info.dli_fname);
}

/* As NetworkManager checks its plugins: a regular file of root (or ours), writable by no other. */
static gboolean check_library(const char *path, GError **error)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("The connection editor of uipsec is not installed (%s is missing)"), path);
        return FALSE;
    }
    if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
        (st.st_mode & (S_IWGRP | S_IWOTH))) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("Refusing to load %s: not a regular file owned by root (or you) and "
                      "writable by nobody else"),
                    path);
        return FALSE;
    }
    return TRUE;
}

/* The editor library of this process's GTK, loaded once; NULL with @error. */
static void *editor_library(GError **error)
{
    const guint gtk4 = gtk4_in_process() ? 1 : 0;
    const char *name = gtk4 ? UIP_EDITOR_LIBRARY_GTK4 : UIP_EDITOR_LIBRARY_GTK3;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    void *handle;

    G_LOCK(editor_lock);
    handle = editor_handles[gtk4];
    if (handle)
        goto out;
    dir = module_dir();
    if (!dir) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("Cannot find the folder of the uipsec VPN plugin"));
        goto out;
    }
    path = g_build_filename(dir, name, NULL);
    if (!check_library(path, error))
        goto out;
    handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (!handle) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("Cannot load the connection editor of uipsec: %s"), dlerror());
        goto out;
    }
    editor_handles[gtk4] = handle;
out:
    G_UNLOCK(editor_lock);
    return handle;
}

/* ---- imports not saved ----------------------------------------------------------------------- */

/*
 * nm-connection-editor (and GNOME Settings) import a file, then open the editor on the new
 * connection; Cancel there would leave the certificate and key files the import wrote.  So an
 * editor made for a connection that an import of this process wrote files for
 * (uip_sswan_import_take_created()) takes them along; when the editor goes, NetworkManager
 * is asked whether it has the connection, and if it still has not after IMPORT_SAVE_WAIT
 * seconds (the host may be adding it just then), the files go too.  Without an answer (no
 * NetworkManager) or if the host exits first, they stay.
 */
#define IMPORT_SAVE_WAIT 10

struct unsaved_import {
    char *uuid;
    char **files;
    NMClient *client;
    guint timeout;
};

static void unsaved_import_free(struct unsaved_import *u)
{
    if (u->timeout)
        g_source_remove(u->timeout);
    if (u->client)
        g_signal_handlers_disconnect_by_data(u->client, u);
    g_clear_object(&u->client);
    g_free(u->uuid);
    g_strfreev(u->files);
    g_free(u);
}

static gboolean on_import_not_saved(gpointer user_data)
{
    struct unsaved_import *u = user_data;

    u->timeout = 0;
    for (guint i = 0; u->files[i]; i++)
        if (g_unlink(u->files[i]) != 0 && errno != ENOENT)
            g_warning("Cannot remove %s: %s", u->files[i], g_strerror(errno));
    unsaved_import_free(u);
    return G_SOURCE_REMOVE;
}

static void on_connection_added(NMClient *client, NMRemoteConnection *connection,
                                gpointer user_data)
{
    struct unsaved_import *u = user_data;

    if (g_strcmp0(nm_connection_get_uuid(NM_CONNECTION(connection)), u->uuid) == 0)
        unsaved_import_free(u); /* saved: the files are its */
}

static void on_client_ready(GObject *source, GAsyncResult *result, gpointer user_data)
{
    struct unsaved_import *u = user_data;

    u->client = nm_client_new_finish(result, NULL);
    if (!u->client || !nm_client_get_nm_running(u->client) ||
        nm_client_get_connection_by_uuid(u->client, u->uuid)) {
        unsaved_import_free(u);
        return;
    }
    g_signal_connect(u->client, NM_CLIENT_CONNECTION_ADDED, G_CALLBACK(on_connection_added), u);
    u->timeout = g_timeout_add_seconds(IMPORT_SAVE_WAIT, on_import_not_saved, u);
}

static void on_import_editor_gone(gpointer user_data, GObject *editor)
{
    nm_client_new_async(NULL, on_client_ready, user_data);
}

/* If @connection comes from an import of this process, its new files go with @editor unless
 * the connection is saved. */
static void watch_import(NMVpnEditor *editor, NMConnection *connection)
{
    const char *uuid = nm_connection_get_uuid(connection);
    struct unsaved_import *u;
    char **files;

    files = uuid ? uip_sswan_import_take_created(uuid) : NULL;
    if (!files)
        return;
    u = g_new0(struct unsaved_import, 1);
    u->uuid = g_strdup(uuid);
    u->files = files;
    g_object_weak_ref(G_OBJECT(editor), on_import_editor_gone, u);
}

static NMVpnEditor *get_editor(NMVpnEditorPlugin *plugin, NMConnection *connection, GError **error)
{
    UipEditorFactory factory;
    NMVpnEditor *editor;
    void *handle;

    g_return_val_if_fail(UIP_IS_EDITOR_PLUGIN(plugin), NULL);
    g_return_val_if_fail(NM_IS_CONNECTION(connection), NULL);
    g_return_val_if_fail(!error || !*error, NULL);

    handle = editor_library(error);
    if (!handle)
        return NULL;
    *(void **)&factory = dlsym(handle, UIP_EDITOR_FACTORY_SYMBOL);
    if (!factory) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("The connection editor of uipsec has no %s"), UIP_EDITOR_FACTORY_SYMBOL);
        return NULL;
    }
    editor = factory(plugin, connection, error);
    if (!editor && error && !*error)
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
                    _("The connection editor of uipsec failed"));
    if (editor)
        watch_import(editor, connection);
    return editor;
}

/* ---- the rest of the interface --------------------------------------------------------------- */

static NMVpnEditorPluginCapability get_capabilities(NMVpnEditorPlugin *plugin)
{
    return NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT | NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT |
           NM_VPN_EDITOR_PLUGIN_CAPABILITY_IPV6;
}

/* By content: an Apple profile (XML or binary property list, or signed) or a .sswan one. */
static NMConnection *import_from_file(NMVpnEditorPlugin *plugin, const char *path, GError **error)
{
    if (uip_mobileconfig_file_looks_like(path))
        return uip_mobileconfig_import_file(path, NULL, error);
    return uip_sswan_import_file(path, NULL, error);
}

static gboolean export_to_file(NMVpnEditorPlugin *plugin, const char *path,
                               NMConnection *connection, GError **error)
{
    return uip_sswan_export_file(connection, path, error);
}

static char *get_suggested_filename(NMVpnEditorPlugin *plugin, NMConnection *connection)
{
    g_return_val_if_fail(NM_IS_CONNECTION(connection), NULL);
    return uip_sswan_suggested_filename(connection);
}

static void editor_plugin_interface_init(NMVpnEditorPluginInterface *iface)
{
    iface->get_editor = get_editor;
    iface->get_capabilities = get_capabilities;
    iface->import_from_file = import_from_file;
    iface->export_to_file = export_to_file;
    iface->get_suggested_filename = get_suggested_filename;
}

static void get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    switch (prop_id) {
    case PROP_NAME:
        g_value_set_string(value, _("IPsec IKEv2 (uipsec)"));
        break;
    case PROP_DESC:
        g_value_set_string(value, _("IKEv2 IPsec VPN with its own user-space IKE and ESP; "
                                    "imports and exports strongSwan .sswan profiles and "
                                    "imports Apple .mobileconfig IKEv2 profiles"));
        break;
    case PROP_SERVICE:
        g_value_set_string(value, UIP_VPN_SERVICE);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
        break;
    }
}

static void uip_editor_plugin_init(UipEditorPlugin *plugin)
{
}

static void uip_editor_plugin_class_init(UipEditorPluginClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->get_property = get_property;
    g_object_class_override_property(object_class, PROP_NAME, NM_VPN_EDITOR_PLUGIN_NAME);
    g_object_class_override_property(object_class, PROP_DESC, NM_VPN_EDITOR_PLUGIN_DESCRIPTION);
    g_object_class_override_property(object_class, PROP_SERVICE, NM_VPN_EDITOR_PLUGIN_SERVICE);
}

/* ---- the entry point ------------------------------------------------------------------------- */

NMVpnEditorPlugin *nm_vpn_editor_plugin_factory(GError **error)
{
    g_return_val_if_fail(!error || !*error, NULL);

    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    return g_object_new(UIP_TYPE_EDITOR_PLUGIN, NULL);
}
