/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The connection editor (properties/nm-uipsec-editor.c), built once against
 * GTK 3 and once against GTK 4, driven through libnm exactly as the connection
 * editors do: load the core plugin module, get_editor(), read the widgets,
 * edit them, update_connection().
 *
 *   - every field shows the connection's value, for a connection with every key;
 *   - what is written back for each authentication method: exactly the keys
 *     that method uses, unchanged (together: every key of the settings table);
 *   - edits through the widgets emit "changed" and are written;
 *   - invalid and missing values: update_connection() fails naming the key,
 *     the field gets the "error" style class, and loses it once fixed;
 *   - libnma's password storage menu decides the flags and whether the secret
 *     is kept;
 *   - the Advanced window opens and closes; the library exports only its factory.
 *
 * Run by with-xvfb.sh on an X server of its own.  The widgets are found by
 * their builder ids through the GtkBuilder the page carries
 * (g_object_get_data(widget, "uip-builder")).
 */
#include <dlfcn.h>
#include <libintl.h>
#include <string.h>
#include <unistd.h>

#include <NetworkManager.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <nma-cert-chooser.h>
#include <nma-ui-utils.h>

#include "common/uip-settings.h"
#include "../properties/fixture-util.h"

#if GTK_CHECK_VERSION(4, 0, 0)
#define UIP_GTK4 1
#else
#define UIP_GTK4 0
#endif

static NMVpnEditorPlugin *plugin;

/* ---- GTK 3 / GTK 4 --------------------------------------------------------------------------- */

static const char *entry_text(GtkWidget *w)
{
#if UIP_GTK4
    return gtk_editable_get_text(GTK_EDITABLE(w));
#else
    return gtk_entry_get_text(GTK_ENTRY(w));
#endif
}

static void entry_type(GtkWidget *w, const char *text)
{
#if UIP_GTK4
    gtk_editable_set_text(GTK_EDITABLE(w), text);
#else
    gtk_entry_set_text(GTK_ENTRY(w), text);
#endif
}

static gboolean check_active(GtkWidget *w)
{
#if UIP_GTK4
    return gtk_check_button_get_active(GTK_CHECK_BUTTON(w));
#else
    return gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w));
#endif
}

static void check_click(GtkWidget *w, gboolean active)
{
#if UIP_GTK4
    gtk_check_button_set_active(GTK_CHECK_BUTTON(w), active);
#else
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(w), active);
#endif
}

/* As a click does: the button's "clicked" handlers run. */
static void button_click(GtkWidget *w)
{
#if UIP_GTK4
    g_signal_emit_by_name(w, "clicked"); /* (activate waits for its animation) */
#else
    gtk_button_clicked(GTK_BUTTON(w));
#endif
}

static gboolean has_error_class(GtkWidget *w)
{
#if UIP_GTK4
    return gtk_widget_has_css_class(w, "error");
#else
    return gtk_style_context_has_class(gtk_widget_get_style_context(w), "error");
#endif
}

/* The direct children of @w. */
static GPtrArray *children_of(GtkWidget *w)
{
    GPtrArray *out = g_ptr_array_new();
#if UIP_GTK4
    for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
        g_ptr_array_add(out, c);
#else
    g_autoptr(GList) children = GTK_IS_CONTAINER(w) ? gtk_container_get_children(GTK_CONTAINER(w))
                                                    : NULL;
    for (GList *l = children; l; l = l->next)
        g_ptr_array_add(out, l->data);
#endif
    return out;
}

/* The GtkEntry widgets inside @w that are on screen, into @out. */
static void mapped_entries(GtkWidget *w, GPtrArray *out)
{
    g_autoptr(GPtrArray) children = children_of(w);

    for (guint i = 0; i < children->len; i++) {
        GtkWidget *c = children->pdata[i];
        if (GTK_IS_ENTRY(c) && gtk_widget_get_mapped(c))
            g_ptr_array_add(out, c);
        mapped_entries(c, out);
    }
}

static void run_pending(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* ---- connections ----------------------------------------------------------------------------- */

/* Keys and values, NULL-terminated. */
typedef const char *const kv_t[];

static NMConnection *new_connection(const char *const *data, const char *const *secrets)
{
    NMConnection *c = nm_simple_connection_new();
    NMSetting *s_con = nm_setting_connection_new();
    NMSetting *s_vpn = nm_setting_vpn_new();
    g_autofree char *uuid = nm_utils_uuid_generate();

    g_object_set(s_con, NM_SETTING_CONNECTION_ID, "editor test", NM_SETTING_CONNECTION_UUID, uuid,
                 NM_SETTING_CONNECTION_TYPE, NM_SETTING_VPN_SETTING_NAME, NULL);
    nm_connection_add_setting(c, s_con);
    g_object_set(s_vpn, NM_SETTING_VPN_SERVICE_TYPE, UIP_VPN_SERVICE, NULL);
    for (guint i = 0; data && data[i]; i += 2)
        nm_setting_vpn_add_data_item(NM_SETTING_VPN(s_vpn), data[i], data[i + 1]);
    for (guint i = 0; secrets && secrets[i]; i += 2)
        nm_setting_vpn_add_secret(NM_SETTING_VPN(s_vpn), secrets[i], secrets[i + 1]);
    nm_connection_add_setting(c, s_vpn);
    return c;
}

static void count_item(const char *key, const char *value, gpointer user_data)
{
    (*(guint *)user_data)++;
}

/* vpn.data (or vpn.secrets) of @c is exactly @kv. */
static void assert_items(NMConnection *c, gboolean secrets, const char *const *kv)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(c);
    guint n = 0, expected = 0;

    g_assert_nonnull(s_vpn);
    g_assert_cmpstr(nm_setting_vpn_get_service_type(s_vpn), ==, UIP_VPN_SERVICE);
    for (guint i = 0; kv[i]; i += 2, expected++) {
        const char *v = secrets ? nm_setting_vpn_get_secret(s_vpn, kv[i])
                                : nm_setting_vpn_get_data_item(s_vpn, kv[i]);
        if (g_strcmp0(v, kv[i + 1]) != 0)
            g_error("%s “%s”: “%s”, expected “%s”", secrets ? "secret" : "data", kv[i], v,
                    kv[i + 1]);
    }
    if (secrets)
        nm_setting_vpn_foreach_secret(s_vpn, count_item, &n);
    else
        nm_setting_vpn_foreach_data_item(s_vpn, count_item, &n);
    g_assert_cmpuint(n, ==, expected);
}

/* ---- the editor ------------------------------------------------------------------------------ */

struct page {
    NMVpnEditor *editor;
    GtkBuilder *builder;
    guint changed; /* "changed" emissions */
};

static void on_changed(NMVpnEditor *editor, gpointer user_data)
{
    ((struct page *)user_data)->changed++;
}

static void page_open(struct page *p, NMConnection *c)
{
    g_autoptr(GError) error = NULL;
    GObject *widget;

    p->editor = nm_vpn_editor_plugin_get_editor(plugin, c, &error);
    g_assert_no_error(error);
    g_assert_true(NM_IS_VPN_EDITOR(p->editor));
    widget = nm_vpn_editor_get_widget(p->editor);
    g_assert_true(GTK_IS_WIDGET(widget));
    p->builder = g_object_get_data(widget, "uip-builder");
    g_assert_true(GTK_IS_BUILDER(p->builder));
    p->changed = 0;
    g_signal_connect(p->editor, "changed", G_CALLBACK(on_changed), p);
}

static gboolean token_menus_filled(struct page *p);

/* Closed once libnma's token menus are filled (test_token_menu() closes one before), so that no
 * module scan of libnma still runs when the program ends. */
static void page_close(struct page *p)
{
    for (int i = 0; i < 400 && !token_menus_filled(p); i++) {
        g_usleep(25000);
        run_pending();
    }
    g_clear_object(&p->editor);
    p->builder = NULL;
    run_pending();
}

static GtkWidget *w(struct page *p, const char *id)
{
    GObject *o = gtk_builder_get_object(p->builder, id);

    if (!GTK_IS_WIDGET(o))
        g_error("no widget “%s”", id);
    return GTK_WIDGET(o);
}

static NMACertChooser *chooser(struct page *p, const char *id)
{
    return NMA_CERT_CHOOSER(w(p, id));
}

static void set_auth(struct page *p, const char *auth)
{
    g_assert_true(gtk_combo_box_set_active_id(GTK_COMBO_BOX(w(p, "auth_combo")), auth));
}

/* update_connection() on a fresh connection succeeds: the new connection. */
static NMConnection *save(struct page *p)
{
    g_autoptr(NMConnection) c = new_connection(NULL, NULL);
    g_autoptr(GError) error = NULL;

    if (!nm_vpn_editor_update_connection(p->editor, c, &error))
        g_error("update_connection: %s", error->message);
    return g_steal_pointer(&c);
}

/* The label of each key's field, by builder id; a chooser's by its grid cell (column 0). */
static const struct {
    const char *key, *label, *chooser;
    int row;
} labels[] = {
    {UIP_KEY_GATEWAY, "gateway_label"},
    {UIP_KEY_PORT, "port_label"},
    {UIP_KEY_REMOTE_ID, "remote_id_label"},
    {UIP_KEY_AUTH, "auth_label"},
    {UIP_KEY_LOCAL_ID, "local_id_label"},
    {UIP_KEY_USER, "user_label"},
    {UIP_KEY_PASSWORD, "password_label"},
    {UIP_KEY_PSK, "psk_label"},
    {UIP_KEY_IKE, "ike_label"},
    {UIP_KEY_ESP, "esp_label"},
    {UIP_KEY_REMOTE_TS, "remote_ts_label"},
    {UIP_KEY_LOCAL_TS, "local_ts_label"},
    {UIP_KEY_MTU, "mtu_label"},
    {UIP_KEY_DPD_INTERVAL, "dpd_label"},
    {UIP_KEY_NAT_KEEPALIVE, "nat_keepalive_label"},
    {UIP_KEY_REKEY_CHILD, "rekey_child_label"},
    {UIP_KEY_REKEY_IKE, "rekey_ike_label"},
    {UIP_KEY_CA_CERT, NULL, "ca_chooser", 0},
    {UIP_KEY_USER_CERT, NULL, "user_chooser", 0},
    {UIP_KEY_USER_KEY, NULL, "user_chooser", 2},
};

/* The text the user reads beside @key's field (no mnemonic underscore). */
static const char *field_label(struct page *p, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(labels); i++) {
        GtkWidget *l;

        if (strcmp(labels[i].key, key) != 0)
            continue;
        l = labels[i].label
                ? w(p, labels[i].label)
                : gtk_grid_get_child_at(GTK_GRID(w(p, labels[i].chooser)), 0, labels[i].row);
        g_assert_true(GTK_IS_LABEL(l));
        g_assert_cmpstr(gtk_label_get_text(GTK_LABEL(l)), !=, "");
        return gtk_label_get_text(GTK_LABEL(l));
    }
    g_error("no label for “%s”", key);
}

/* A message the user reads about @key names its field as labelled, not the key. */
static void assert_names_label(struct page *p, const char *message, const char *key)
{
    const char *label = field_label(p, key);
    g_autofree char *quoted = g_strdup_printf("“%s”", key);

    if (!message || !strstr(message, label))
        g_error("“%s” does not name the field “%s”", message, label);
    if (strstr(message, quoted) || strchr(label, '_'))
        g_error("“%s” names the key %s", message, quoted);
}

/* update_connection() fails naming @key's field (as labelled); nothing is written. */
static void save_fails(struct page *p, const char *key)
{
    static kv_t before = {UIP_KEY_GATEWAY, "untouched.example.test", NULL};
    g_autoptr(NMConnection) c = new_connection(before, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false(nm_vpn_editor_update_connection(p->editor, c, &error));
    g_assert_error(error, UIP_SETTINGS_ERROR, error->code);
    assert_names_label(p, error->message, key);
    assert_items(c, FALSE, before);
}

/* ---- every field ----------------------------------------------------------------------------- */

#define CA   "/etc/uipsec/ca.pem"
#define CERT "/etc/uipsec/alice.pem"
#define KEY  "/etc/uipsec/alice.key"

static kv_t all_data = {UIP_KEY_GATEWAY,
                        "vpn.example.test",
                        UIP_KEY_PORT,
                        "4500",
                        UIP_KEY_LOCAL_ID,
                        "alice@example.test",
                        UIP_KEY_REMOTE_ID,
                        "vpn.example.test",
                        UIP_KEY_AUTH,
                        UIP_AUTH_NAME_EAP_MSCHAPV2,
                        UIP_KEY_CA_CERT,
                        CA,
                        UIP_KEY_USER_CERT,
                        CERT,
                        UIP_KEY_USER_KEY,
                        KEY,
                        UIP_KEY_USER,
                        "alice",
                        UIP_KEY_IKE,
                        "aes256gcm16-prfsha384-ecp384,aes128-sha256-modp2048",
                        UIP_KEY_ESP,
                        "aes256gcm16,aes128-sha256",
                        UIP_KEY_VIRTUAL_IPV4,
                        UIP_VALUE_NO,
                        UIP_KEY_VIRTUAL_IPV6,
                        UIP_VALUE_YES,
                        UIP_KEY_REMOTE_TS,
                        "10.0.0.0/8,fd00::/8",
                        UIP_KEY_LOCAL_TS,
                        "192.168.1.0/24",
                        UIP_KEY_MTU,
                        "1400",
                        UIP_KEY_DPD_INTERVAL,
                        "60",
                        UIP_KEY_DPD_ACTION,
                        UIP_DPD_ACTION_FAIL,
                        UIP_KEY_NAT_KEEPALIVE,
                        "25",
                        UIP_KEY_FRAGMENTATION,
                        UIP_VALUE_NO,
                        UIP_KEY_MOBIKE,
                        UIP_VALUE_NO,
                        UIP_KEY_REKEY_CHILD,
                        "3600",
                        UIP_KEY_REKEY_IKE,
                        "14400",
                        UIP_KEY_PSK_FLAGS,
                        "1",
                        UIP_KEY_PASSWORD_FLAGS,
                        "0",
                        UIP_KEY_USER_KEY_PASSWORD_FLAGS,
                        "0",
                        NULL};
static kv_t all_secrets = {UIP_KEY_PSK, "a shared secret, long enough", UIP_KEY_PASSWORD,
                           "s3cret",    UIP_KEY_USER_KEY_PASSWORD,      "key pass",
                           NULL};

/* The keys of all_data every method writes. */
#define COMMON_WRITTEN                                                                             \
    UIP_KEY_GATEWAY, "vpn.example.test", UIP_KEY_PORT, "4500", UIP_KEY_LOCAL_ID,                   \
        "alice@example.test", UIP_KEY_REMOTE_ID, "vpn.example.test", UIP_KEY_CA_CERT, CA,          \
        UIP_KEY_IKE, "aes256gcm16-prfsha384-ecp384,aes128-sha256-modp2048", UIP_KEY_ESP,           \
        "aes256gcm16,aes128-sha256", UIP_KEY_VIRTUAL_IPV4, UIP_VALUE_NO, UIP_KEY_VIRTUAL_IPV6,     \
        UIP_VALUE_YES, UIP_KEY_REMOTE_TS, "10.0.0.0/8,fd00::/8", UIP_KEY_LOCAL_TS,                 \
        "192.168.1.0/24", UIP_KEY_MTU, "1400", UIP_KEY_DPD_INTERVAL, "60", UIP_KEY_DPD_ACTION,     \
        UIP_DPD_ACTION_FAIL, UIP_KEY_NAT_KEEPALIVE, "25", UIP_KEY_FRAGMENTATION, UIP_VALUE_NO,     \
        UIP_KEY_MOBIKE, UIP_VALUE_NO, UIP_KEY_REKEY_CHILD, "3600", UIP_KEY_REKEY_IKE, "14400"

static const struct {
    const char *entry, *key;
} entries[] = {
    {"gateway_entry", UIP_KEY_GATEWAY},
    {"port_entry", UIP_KEY_PORT},
    {"local_id_entry", UIP_KEY_LOCAL_ID},
    {"remote_id_entry", UIP_KEY_REMOTE_ID},
    {"user_entry", UIP_KEY_USER},
    {"ike_entry", UIP_KEY_IKE},
    {"esp_entry", UIP_KEY_ESP},
    {"remote_ts_entry", UIP_KEY_REMOTE_TS},
    {"local_ts_entry", UIP_KEY_LOCAL_TS},
    {"mtu_entry", UIP_KEY_MTU},
    {"dpd_entry", UIP_KEY_DPD_INTERVAL},
    {"nat_keepalive_entry", UIP_KEY_NAT_KEEPALIVE},
    {"rekey_child_entry", UIP_KEY_REKEY_CHILD},
    {"rekey_ike_entry", UIP_KEY_REKEY_IKE},
};

static const char *kv_get(const char *const *kv, const char *key)
{
    for (guint i = 0; kv[i]; i += 2)
        if (strcmp(kv[i], key) == 0)
            return kv[i + 1];
    return NULL;
}

static void mark_keys(NMConnection *c, GHashTable *seen)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(c);
    g_autofree const char **data = nm_setting_vpn_get_data_keys(s_vpn, NULL);
    g_autofree const char **secrets = nm_setting_vpn_get_secret_keys(s_vpn, NULL);

    for (guint i = 0; data && data[i]; i++)
        g_hash_table_add(seen, g_strdup(data[i]));
    for (guint i = 0; secrets && secrets[i]; i++)
        g_hash_table_add(seen, g_strdup(secrets[i]));
}

static void test_every_field(void)
{
    g_autoptr(NMConnection) c = new_connection(all_data, all_secrets);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    NMSetting8021xCKScheme scheme;
    struct page p;
    gsize n_settings;
    const struct uip_setting *settings = uip_settings_all(&n_settings);

    page_open(&p, c);

    /* what the page shows */
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
        g_assert_cmpstr(entry_text(w(&p, entries[i].entry)), ==, kv_get(all_data, entries[i].key));
    g_assert_cmpstr(gtk_combo_box_get_active_id(GTK_COMBO_BOX(w(&p, "auth_combo"))), ==,
                    UIP_AUTH_NAME_EAP_MSCHAPV2);
    g_assert_false(check_active(w(&p, "virtual_ipv4_check")));
    g_assert_true(check_active(w(&p, "virtual_ipv6_check")));
    g_assert_false(check_active(w(&p, "fragmentation_check")));
    g_assert_false(check_active(w(&p, "dpd_restart_check"))); /* dpd-action=fail */
    g_assert_false(check_active(w(&p, "ca_system_check")));
    {
        g_autofree char *ca = nma_cert_chooser_get_cert(chooser(&p, "ca_chooser"), &scheme);
        g_autofree char *cert = NULL, *key = NULL;

        g_assert_cmpstr(ca, ==, CA);
        g_assert_cmpint(scheme, ==, NM_SETTING_802_1X_CK_SCHEME_PATH);
        cert = nma_cert_chooser_get_cert(chooser(&p, "user_chooser"), &scheme);
        g_assert_cmpstr(cert, ==, CERT);
        key = nma_cert_chooser_get_key(chooser(&p, "user_chooser"), &scheme);
        g_assert_cmpstr(key, ==, KEY);
        g_assert_cmpint(scheme, ==, NM_SETTING_802_1X_CK_SCHEME_PATH);
    }
    g_assert_cmpstr(nma_cert_chooser_get_key_password(chooser(&p, "user_chooser")), ==, "key pass");
    g_assert_cmpstr(entry_text(w(&p, "psk_entry")), ==, "a shared secret, long enough");
    g_assert_cmpstr(entry_text(w(&p, "password_entry")), ==, "s3cret");
    g_assert_cmpint(nma_utils_menu_to_secret_flags(w(&p, "psk_entry")), ==,
                    NM_SETTING_SECRET_FLAG_AGENT_OWNED);
    g_assert_cmpint(nma_utils_menu_to_secret_flags(w(&p, "password_entry")), ==,
                    NM_SETTING_SECRET_FLAG_NONE);
    g_assert_cmpint(nma_cert_chooser_get_key_password_flags(chooser(&p, "user_chooser")), ==,
                    NM_SETTING_SECRET_FLAG_NONE);

    /* the method's fields only; nothing marked */
    g_assert_true(gtk_widget_get_visible(w(&p, "user_entry")));
    g_assert_true(gtk_widget_get_visible(w(&p, "password_entry")));
    g_assert_false(gtk_widget_get_visible(w(&p, "psk_entry")));
    g_assert_false(gtk_widget_get_visible(w(&p, "user_chooser")));
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
        g_assert_false(has_error_class(w(&p, entries[i].entry)));

    /* EAP-MSCHAPv2: user name and password */
    {
        static kv_t data = {COMMON_WRITTEN,
                            UIP_KEY_AUTH,
                            UIP_AUTH_NAME_EAP_MSCHAPV2,
                            UIP_KEY_USER,
                            "alice",
                            UIP_KEY_PASSWORD_FLAGS,
                            "0",
                            NULL};
        static kv_t secrets = {UIP_KEY_PASSWORD, "s3cret", NULL};
        g_autoptr(NMConnection) out = save(&p);

        assert_items(out, FALSE, data);
        assert_items(out, TRUE, secrets);
        mark_keys(out, seen);
    }
    g_assert_cmpuint(p.changed, ==, 0);

    /* certificate: the user chooser */
    set_auth(&p, UIP_AUTH_NAME_CERT);
    g_assert_cmpuint(p.changed, ==, 1);
    g_assert_false(gtk_widget_get_visible(w(&p, "user_entry")));
    g_assert_false(gtk_widget_get_visible(w(&p, "password_entry")));
    g_assert_true(gtk_widget_get_visible(w(&p, "user_chooser")));
    {
        static kv_t data = {COMMON_WRITTEN,
                            UIP_KEY_AUTH,
                            UIP_AUTH_NAME_CERT,
                            UIP_KEY_USER_CERT,
                            CERT,
                            UIP_KEY_USER_KEY,
                            KEY,
                            UIP_KEY_USER_KEY_PASSWORD_FLAGS,
                            "0",
                            NULL};
        static kv_t secrets = {UIP_KEY_USER_KEY_PASSWORD, "key pass", NULL};
        g_autoptr(NMConnection) out = save(&p);

        assert_items(out, FALSE, data);
        assert_items(out, TRUE, secrets);
        mark_keys(out, seen);
    }

    /* EAP-TLS: the same fields */
    set_auth(&p, UIP_AUTH_NAME_EAP_TLS);
    {
        g_autoptr(NMConnection) out = save(&p);
        NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(out);

        g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_AUTH), ==,
                        UIP_AUTH_NAME_EAP_TLS);
        g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_KEY), ==, KEY);
    }

    /* pre-shared key, agent-owned */
    set_auth(&p, UIP_AUTH_NAME_PSK);
    g_assert_true(gtk_widget_get_visible(w(&p, "psk_entry")));
    g_assert_false(gtk_widget_get_visible(w(&p, "user_chooser")));
    {
        static kv_t data = {COMMON_WRITTEN,    UIP_KEY_AUTH, UIP_AUTH_NAME_PSK,
                            UIP_KEY_PSK_FLAGS, "1",          NULL};
        static kv_t secrets = {UIP_KEY_PSK, "a shared secret, long enough", NULL};
        g_autoptr(NMConnection) out = save(&p);

        assert_items(out, FALSE, data);
        assert_items(out, TRUE, secrets);
        mark_keys(out, seen);
    }

    /* together: every key of the settings table */
    for (gsize i = 0; i < n_settings; i++)
        if (!g_hash_table_contains(seen, settings[i].key))
            g_error("the editor never writes “%s”", settings[i].key);

    page_close(&p);
}

/* ---- edits ----------------------------------------------------------------------------------- */

static void test_edits(void)
{
    g_autoptr(NMConnection) c = new_connection(all_data, all_secrets);
    g_autoptr(NMConnection) out = NULL;
    NMSettingVpn *s_vpn;
    struct page p;
    guint n;

    page_open(&p, c);

    entry_type(w(&p, "gateway_entry"), "198.51.100.7");
    g_assert_cmpuint(p.changed, >, 0);
    n = p.changed;
    entry_type(w(&p, "port_entry"), "");
    entry_type(w(&p, "user_entry"), "bob");
    entry_type(w(&p, "password_entry"), "hunter2");
    entry_type(w(&p, "mtu_entry"), "1280");
    entry_type(w(&p, "remote_ts_entry"), "");
    check_click(w(&p, "virtual_ipv6_check"), FALSE);
    check_click(w(&p, "fragmentation_check"), TRUE);
    check_click(w(&p, "dpd_restart_check"), TRUE);
    check_click(w(&p, "ca_system_check"), TRUE);
    g_assert_false(gtk_widget_get_sensitive(w(&p, "ca_chooser")));
    g_assert_cmpuint(p.changed, >=, n + 9);

    out = save(&p);
    s_vpn = nm_connection_get_setting_vpn(out);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_GATEWAY), ==, "198.51.100.7");
    g_assert_null(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_PORT));
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER), ==, "bob");
    g_assert_cmpstr(nm_setting_vpn_get_secret(s_vpn, UIP_KEY_PASSWORD), ==, "hunter2");
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_MTU), ==, "1280");
    g_assert_null(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_REMOTE_TS));
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_VIRTUAL_IPV6), ==, UIP_VALUE_NO);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_FRAGMENTATION), ==, UIP_VALUE_YES);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_DPD_ACTION), ==,
                    UIP_DPD_ACTION_RESTART);
    g_assert_null(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_CA_CERT));
    g_clear_object(&out);

    /* a CA file again, and certificate authentication with other files */
    check_click(w(&p, "ca_system_check"), FALSE);
    nma_cert_chooser_set_cert(chooser(&p, "ca_chooser"), "/srv/ca2.pem",
                              NM_SETTING_802_1X_CK_SCHEME_PATH);
    set_auth(&p, UIP_AUTH_NAME_CERT);
    nma_cert_chooser_set_cert(chooser(&p, "user_chooser"), "/srv/bob.crt",
                              NM_SETTING_802_1X_CK_SCHEME_PATH);
    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), "/srv/bob.key",
                             NM_SETTING_802_1X_CK_SCHEME_PATH);
    out = save(&p);
    s_vpn = nm_connection_get_setting_vpn(out);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_CA_CERT), ==, "/srv/ca2.pem");
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_CERT), ==, "/srv/bob.crt");
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_KEY), ==, "/srv/bob.key");

    /* the setting is updated in place: its other properties stay; vpn.persistent is what
     * the "Reconnect automatically" check box shows (test_persistent) */
    {
        g_autoptr(NMConnection) keep = new_connection(NULL, NULL);
        g_autoptr(GError) error = NULL;

        g_object_set(nm_connection_get_setting_vpn(keep), NM_SETTING_VPN_PERSISTENT, TRUE,
                     NM_SETTING_VPN_TIMEOUT, 42, NULL);
        g_assert_true(nm_vpn_editor_update_connection(p.editor, keep, &error));
        g_assert_no_error(error);
        g_assert_false(nm_setting_vpn_get_persistent(nm_connection_get_setting_vpn(keep)));
        g_assert_cmpuint(nm_setting_vpn_get_timeout(nm_connection_get_setting_vpn(keep)), ==, 42);
    }

    page_close(&p);
}

/* ---- invalid values -------------------------------------------------------------------------- */

/* Typing @bad into @entry marks it and makes saving fail naming @key; @good heals it. */
static void check_bad_entry(struct page *p, const char *entry, const char *key, const char *bad,
                            const char *good)
{
    g_autoptr(NMConnection) out = NULL;

    g_autofree char *tip = NULL;

    entry_type(w(p, entry), bad);
    g_assert_true(has_error_class(w(p, entry)));
    /* the reason, as the tooltip of the field and of its warning icon */
#if UIP_GTK4
    tip = g_strdup(gtk_widget_get_tooltip_text(w(p, entry)));
#else
    tip = gtk_widget_get_tooltip_text(w(p, entry));
#endif
    assert_names_label(p, tip, key);
    g_assert_nonnull(gtk_entry_get_icon_name(GTK_ENTRY(w(p, entry)), GTK_ENTRY_ICON_PRIMARY));
    save_fails(p, key);
    for (gsize i = 0; i < G_N_ELEMENTS(entries); i++)
        if (strcmp(entries[i].entry, entry) != 0)
            g_assert_false(has_error_class(w(p, entries[i].entry)));
    entry_type(w(p, entry), good);
    g_assert_false(has_error_class(w(p, entry)));
    g_assert_null(gtk_entry_get_icon_name(GTK_ENTRY(w(p, entry)), GTK_ENTRY_ICON_PRIMARY));
    out = save(p);
}

static void test_invalid(void)
{
    g_autoptr(NMConnection) c = new_connection(all_data, all_secrets);
    struct page p;

    page_open(&p, c);

    check_bad_entry(&p, "gateway_entry", UIP_KEY_GATEWAY, "bad host!", "vpn.example.test");
    check_bad_entry(&p, "gateway_entry", UIP_KEY_GATEWAY, "", "2001:db8::1");
    check_bad_entry(&p, "port_entry", UIP_KEY_PORT, "99999", "500");
    check_bad_entry(&p, "port_entry", UIP_KEY_PORT, "0", "");
    check_bad_entry(&p, "remote_id_entry", UIP_KEY_REMOTE_ID, "tab\there", "");
    /* strongSwan's identity syntax, as the service parses it */
    check_bad_entry(&p, "remote_id_entry", UIP_KEY_REMOTE_ID, "C=DE, Bogus=x",
                    "C=DE, O=Example, CN=vpn");
    check_bad_entry(&p, "local_id_entry", UIP_KEY_LOCAL_ID, "@#0", "@vpn.example.test");
    /* the service's proposal parser, not only the syntax */
    check_bad_entry(&p, "ike_entry", UIP_KEY_IKE, "aes999-sha256-modp2048", "aes128-sha256-ecp256");
    check_bad_entry(&p, "esp_entry", UIP_KEY_ESP, "aes256gcm16,", "");
    check_bad_entry(&p, "remote_ts_entry", UIP_KEY_REMOTE_TS, "10.0.0.0/33", "0.0.0.0/0,::/0");
    check_bad_entry(&p, "local_ts_entry", UIP_KEY_LOCAL_TS, "10.0.0.1-10.0.0.9", "");
    check_bad_entry(&p, "mtu_entry", UIP_KEY_MTU, "100", "0");
    check_bad_entry(&p, "dpd_entry", UIP_KEY_DPD_INTERVAL, "-1", "0");
    check_bad_entry(&p, "nat_keepalive_entry", UIP_KEY_NAT_KEEPALIVE, "3601", "");
    check_bad_entry(&p, "rekey_child_entry", UIP_KEY_REKEY_CHILD, "1h", "");
    check_bad_entry(&p, "rekey_ike_entry", UIP_KEY_REKEY_IKE, "86401", "86400");
    check_bad_entry(&p, "user_entry", UIP_KEY_USER, "", "carol");

    /* a field of another method is not checked */
    entry_type(w(&p, "user_entry"), "");
    set_auth(&p, UIP_AUTH_NAME_PSK);
    g_assert_false(has_error_class(w(&p, "user_entry")));
    g_clear_object(&c);
    c = save(&p);

    /* a pre-shared key NetworkManager keeps must be there */
    nma_utils_update_password_storage(w(&p, "psk_entry"), NM_SETTING_SECRET_FLAG_NONE, NULL, NULL);
    check_bad_entry(&p, "psk_entry", UIP_KEY_PSK, "", "a better secret, long enough");
    /* at least 20 characters, and the field says so */
    check_bad_entry(&p, "psk_entry", UIP_KEY_PSK, "19 characters long!", "20 characters long!!");
    g_assert_nonnull(strstr(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "psk_entry"))), "20"));

    /* a CA file, or the system's */
    check_click(w(&p, "ca_system_check"), FALSE);
    /* (libnma's choosers say "changed" when the user picks a file, not when a program sets
     * one: saving checks again, and marks) */
    nma_cert_chooser_set_cert(chooser(&p, "ca_chooser"), NULL, NM_SETTING_802_1X_CK_SCHEME_PATH);
    save_fails(&p, UIP_KEY_CA_CERT);
    g_assert_true(has_error_class(w(&p, "ca_chooser")));
    nma_cert_chooser_set_cert(chooser(&p, "ca_chooser"), "relative/ca.pem",
                              NM_SETTING_802_1X_CK_SCHEME_PATH);
    save_fails(&p, UIP_KEY_CA_CERT);
    check_click(w(&p, "ca_system_check"), TRUE);
    g_assert_false(has_error_class(w(&p, "ca_chooser")));
    g_clear_object(&c);
    c = save(&p);

    /* certificates are required with certificate authentication */
    set_auth(&p, UIP_AUTH_NAME_CERT);
    nma_cert_chooser_set_cert(chooser(&p, "user_chooser"), NULL, NM_SETTING_802_1X_CK_SCHEME_PATH);
    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), NULL, NM_SETTING_802_1X_CK_SCHEME_PATH);
    save_fails(&p, UIP_KEY_USER_CERT);
    g_assert_true(has_error_class(w(&p, "user_chooser")));
    nma_cert_chooser_set_cert(chooser(&p, "user_chooser"), CERT, NM_SETTING_802_1X_CK_SCHEME_PATH);
    save_fails(&p, UIP_KEY_USER_KEY);
    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), KEY, NM_SETTING_802_1X_CK_SCHEME_PATH);
    g_clear_object(&c);
    c = save(&p);
    g_assert_false(has_error_class(w(&p, "user_chooser")));

    page_close(&p);
}

/* the host (below): the page in a dialog, as nm-connection-editor shows it */
static GtkWidget *host_new(struct page *p);
static void host_show_all(GtkWidget *dialog);
static void host_destroy(GtkWidget *dialog);
static void shot(GtkWidget *window, const char *name);

/* A key (and a certificate) on a PKCS#11 token: the chooser takes the pkcs11: URIs as they are,
 * no file looked for, and they are saved unchanged with the PIN as the key password; in the
 * host, after its show_all, the one password entry of the chooser is that PIN's (libnma's
 * "certificate password" for a token certificate stays hidden: the PIN would go nowhere); a
 * malformed URI is refused naming the field. */
static void test_pkcs11(void)
{
    static const char key_uri[] = "pkcs11:token=uipsec;object=vpn-key;type=private";
    static const char cert_uri[] = "pkcs11:token=uipsec;id=%01;type=cert";
    static kv_t data = {UIP_KEY_GATEWAY,   "vpn.example.test", UIP_KEY_AUTH,
                        UIP_AUTH_NAME_CERT, UIP_KEY_USER_CERT, cert_uri,
                        UIP_KEY_USER_KEY,  key_uri,           UIP_KEY_USER_KEY_PASSWORD_FLAGS,
                        "0",               NULL};
    static kv_t secrets = {UIP_KEY_USER_KEY_PASSWORD, "246810", NULL};
    g_autoptr(NMConnection) c = new_connection(data, secrets);
    g_autoptr(NMConnection) out = NULL;
    g_autoptr(GPtrArray) shown = g_ptr_array_new();
    NMSettingVpn *s_vpn;
    GtkWidget *dialog;
    struct page p;

    page_open(&p, c);
    dialog = host_new(&p);
    host_show_all(dialog);
    run_pending();
    mapped_entries(w(&p, "user_chooser"), shown);
    g_assert_cmpuint(shown->len, ==, 1);
    g_assert_cmpstr(entry_text(shown->pdata[0]), ==, "246810");
    shot(dialog, "pkcs11");
    out = save(&p);
    s_vpn = nm_connection_get_setting_vpn(out);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_CERT), ==, cert_uri);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_KEY), ==, key_uri);
    g_assert_cmpstr(nm_setting_vpn_get_secret(s_vpn, UIP_KEY_USER_KEY_PASSWORD), ==, "246810");
    g_clear_object(&out);

    /* a key file with a certificate on the token is saved too (the service refuses it) and a
     * key URI set by a program, as the token menu does */
    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), "pkcs11:object=other%20key",
                             NM_SETTING_802_1X_CK_SCHEME_PKCS11);
    out = save(&p);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(out),
                                                 UIP_KEY_USER_KEY),
                    ==, "pkcs11:object=other%20key");

    /* a file again, its path with a space (the token menu's chooser speaks file: URIs) */
    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), "/etc/uipsec/my key.pem",
                             NM_SETTING_802_1X_CK_SCHEME_PATH);
    g_clear_object(&out);
    out = save(&p);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(out),
                                                 UIP_KEY_USER_KEY),
                    ==, "/etc/uipsec/my key.pem");

    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), "pkcs11:object=a;object=b",
                             NM_SETTING_802_1X_CK_SCHEME_PKCS11);
    save_fails(&p, UIP_KEY_USER_KEY);
    g_assert_true(has_error_class(w(&p, "user_chooser")));
    host_destroy(dialog);
    page_close(&p);
}

/* ---- the token menu -------------------------------------------------------------------------- */

/* A SoftHSM2 token made for this process (token_setup(), before the first editor: the module
 * reads SOFTHSM2_CONF when it is first loaded), or NULL without softhsm2-util. */
#define MENU_TOKEN "uipsec-editor"
static char *token_dir;

static void token_setup(void)
{
    g_autofree char *tool = g_find_program_in_path("softhsm2-util");
    g_autofree char *conf = NULL, *tokens = NULL, *text = NULL;
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;

    if (!tool)
        return;
    token_dir = g_dir_make_tmp("uip-editor-token-XXXXXX", NULL);
    g_assert_nonnull(token_dir);
    conf = g_build_filename(token_dir, "softhsm2.conf", NULL);
    tokens = g_build_filename(token_dir, "tokens", NULL);
    g_assert_cmpint(g_mkdir(tokens, 0700), ==, 0);
    text = g_strdup_printf("directories.tokendir = %s\nobjectstore.backend = file\n", tokens);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_setenv("SOFTHSM2_CONF", conf, TRUE);
    g_assert_true(g_spawn_sync(NULL,
                               (char *[]){tool, "--init-token", "--free", "--label", MENU_TOKEN,
                                          "--pin", "2468", "--so-pin", "13579", NULL},
                               NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("softhsm2-util: %s", err);
}

struct menu_rows {
    GType button;
    GPtrArray *labels; /* of every row that has one */
    guint menus, rows;
};

static void collect_menu_rows(GtkWidget *w, struct menu_rows *m)
{
    g_autoptr(GPtrArray) children = children_of(w);

    for (guint i = 0; i < children->len; i++) {
        GtkWidget *c = children->pdata[i];
        if (GTK_IS_COMBO_BOX(c) && G_TYPE_CHECK_INSTANCE_TYPE(w, m->button)) {
            GtkTreeModel *model = gtk_combo_box_get_model(GTK_COMBO_BOX(c));
            GtkTreeIter it;

            m->menus++;
            for (gboolean ok = gtk_tree_model_get_iter_first(model, &it); ok;
                 ok = gtk_tree_model_iter_next(model, &it)) {
                char *label = NULL;
                m->rows++;
                gtk_tree_model_get(model, &it, 0, &label, -1);
                if (label)
                    g_ptr_array_add(m->labels, label);
            }
        }
        collect_menu_rows(c, m);
    }
}

/* Whether libnma's module scan has filled the user chooser's menus (more than their first
 * three rows: the choice, a separator, "Select from file"). */
static gboolean token_menus_filled(struct page *p)
{
    struct menu_rows m = {g_type_from_name("NMACertChooserButton"),
                          g_ptr_array_new_with_free_func(g_free)};
    gboolean filled;

    collect_menu_rows(w(p, "user_chooser"), &m);
    filled = m.menus == 0 || m.rows > 3 * m.menus;
    g_ptr_array_unref(m.labels);
    return filled;
}

/*
 * The user chooser's buttons offer the system's PKCS#11 tokens (libnma's token menu, which
 * picks a key or certificate on a token and writes its pkcs11: URI): the token made here
 * appears in the menus once libnma's asynchronous module scan ends.  And a page closed before
 * that scan ends (every other test here) must not crash: libnma's scan holds no reference on
 * its button, so the editor keeps the chooser until the scan is done.
 */
static void test_token_menu(void)
{
    static kv_t data = {UIP_KEY_GATEWAY, "vpn.example.test", UIP_KEY_AUTH, UIP_AUTH_NAME_CERT,
                        NULL};
    g_autoptr(NMConnection) c = new_connection(data, NULL);
    g_autoptr(GPtrArray) rows = NULL;
    struct page p;
    guint hits = 0;

    if (!token_dir) {
        g_test_skip("softhsm2-util not installed");
        return;
    }
    page_open(&p, c);
    for (int i = 0; i < 100 && hits < 2; i++) {
        struct menu_rows m = {g_type_from_name("NMACertChooserButton"),
                              g_ptr_array_new_with_free_func(g_free)};

        g_assert_true(m.button != 0);
        g_usleep(50000);
        run_pending();
        collect_menu_rows(w(&p, "user_chooser"), &m);
        hits = 0;
        for (guint k = 0; k < m.labels->len; k++)
            hits += g_str_has_prefix(m.labels->pdata[k], MENU_TOKEN);
        g_clear_pointer(&rows, g_ptr_array_unref);
        rows = m.labels;
    }
    if (hits != 2) {
        g_autofree char *all = NULL;
        g_ptr_array_add(rows, NULL);
        all = g_strjoinv(" | ", (char **)rows->pdata);
        g_error("the token “%s” is in %u of the 2 menus: %s", MENU_TOKEN, hits, all);
    }
    page_close(&p);

    /* closed at once, before the scan ends: the chooser outlives the page until it does */
    {
        gpointer kept;

        page_open(&p, c);
        kept = w(&p, "user_chooser");
        g_object_add_weak_pointer(kept, &kept);
        g_clear_object(&p.editor);
        run_pending();
        for (int i = 0; i < 400 && kept; i++) {
            g_usleep(25000);
            run_pending();
        }
        if (kept)
            g_error("the chooser of a closed page is still there 10 s later");
    }
}

/* A connection with no uipsec data yet (the "Add" button): defaults, gateway missing. */
static void test_new_connection(void)
{
    g_autoptr(NMConnection) c = new_connection(NULL, NULL);
    g_autoptr(NMConnection) out = NULL;
    NMSettingVpn *s_vpn;
    struct page p;

    nm_connection_remove_setting(c, NM_TYPE_SETTING_VPN);
    page_open(&p, c);
    g_assert_cmpstr(entry_text(w(&p, "gateway_entry")), ==, "");
    g_assert_true(has_error_class(w(&p, "gateway_entry")));
    g_assert_nonnull(gtk_combo_box_get_active_id(GTK_COMBO_BOX(w(&p, "auth_combo"))));
    g_assert_true(check_active(w(&p, "virtual_ipv4_check")));
    g_assert_false(check_active(w(&p, "virtual_ipv6_check")));
    g_assert_true(check_active(w(&p, "fragmentation_check")));
    g_assert_true(check_active(w(&p, "mobike_check")));      /* mobike=yes */
    g_assert_true(check_active(w(&p, "dpd_restart_check"))); /* dpd-action=restart */
    g_assert_true(check_active(w(&p, "ca_system_check")));
    /* the table's defaults as placeholders */
    g_assert_cmpstr(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "port_entry"))), ==, "500");
    g_assert_cmpstr(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "dpd_entry"))), ==, "30");
    save_fails(&p, UIP_KEY_GATEWAY);

    entry_type(w(&p, "gateway_entry"), "vpn.example.test");
    set_auth(&p, UIP_AUTH_NAME_EAP_MSCHAPV2);
    entry_type(w(&p, "user_entry"), "alice");
    nma_utils_update_password_storage(w(&p, "password_entry"), NM_SETTING_SECRET_FLAG_NOT_SAVED,
                                      NULL, NULL);
    out = save(&p);
    s_vpn = nm_connection_get_setting_vpn(out);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_GATEWAY), ==, "vpn.example.test");
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_VIRTUAL_IPV4), ==, UIP_VALUE_YES);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_DPD_ACTION), ==,
                    UIP_DPD_ACTION_RESTART);
    g_assert_null(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_PORT));
    g_assert_null(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_CA_CERT));

    page_close(&p);
}

/* An auth method the table does not know: nothing selected, marked, refused.  Keys the table
 * does not know are dropped. */
static void test_unknown_auth(void)
{
    static kv_t data = {
        UIP_KEY_GATEWAY, "vpn.example.test", UIP_KEY_AUTH, "xauth", "no-such-key", "1", NULL};
    static kv_t written = {UIP_KEY_GATEWAY,
                           "vpn.example.test",
                           UIP_KEY_AUTH,
                           UIP_AUTH_NAME_PSK,
                           UIP_KEY_PSK_FLAGS,
                           "0",
                           NULL};
    static kv_t secrets = {UIP_KEY_PSK, "a pre-shared key, long enough", NULL};
    g_autoptr(NMConnection) c = new_connection(data, NULL);
    g_autoptr(NMConnection) out = NULL;
    struct page p;

    page_open(&p, c);
    g_assert_null(gtk_combo_box_get_active_id(GTK_COMBO_BOX(w(&p, "auth_combo"))));
    g_assert_true(has_error_class(w(&p, "auth_combo")));
    save_fails(&p, UIP_KEY_AUTH);
    set_auth(&p, UIP_AUTH_NAME_PSK);
    g_assert_false(has_error_class(w(&p, "auth_combo")));
    entry_type(w(&p, "psk_entry"), "a pre-shared key, long enough");
    out = save(&p);
    /* the check buttons are written as shown */
    g_assert_cmpstr(
        nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_FRAGMENTATION), ==,
        UIP_VALUE_YES);
    g_assert_cmpstr(
        nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_DPD_ACTION), ==,
        UIP_DPD_ACTION_RESTART);
    g_assert_cmpstr(
        nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_MOBIKE), ==,
        UIP_VALUE_YES);
    nm_setting_vpn_remove_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_MOBIKE);
    nm_setting_vpn_remove_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_VIRTUAL_IPV4);
    nm_setting_vpn_remove_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_VIRTUAL_IPV6);
    nm_setting_vpn_remove_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_FRAGMENTATION);
    nm_setting_vpn_remove_data_item(nm_connection_get_setting_vpn(out), UIP_KEY_DPD_ACTION);
    assert_items(out, FALSE, written);
    assert_items(out, TRUE, secrets);
    page_close(&p);
}

/* ---- vpn.persistent --------------------------------------------------------------------------- */

/* "Reconnect automatically" is NetworkManager's vpn.persistent (not vpn.data): shown as the
 * connection has it, written back, off for a new connection. */
static void test_persistent(void)
{
    static kv_t data = {UIP_KEY_GATEWAY, "vpn.example.test", UIP_KEY_AUTH, UIP_AUTH_NAME_PSK, NULL};
    static kv_t secrets = {UIP_KEY_PSK, "a pre-shared key, long enough", NULL};
    g_autoptr(NMConnection) c = new_connection(data, secrets);
    g_autoptr(NMConnection) out = NULL, out2 = NULL;
    struct page p;

    g_object_set(nm_connection_get_setting_vpn(c), NM_SETTING_VPN_PERSISTENT, TRUE, NULL);
    page_open(&p, c);
    g_assert_true(check_active(w(&p, "persistent_check")));
    out = save(&p);
    g_assert_true(nm_setting_vpn_get_persistent(nm_connection_get_setting_vpn(out)));
    g_assert_null(nm_setting_vpn_get_data_item(nm_connection_get_setting_vpn(out), "persistent"));
    check_click(w(&p, "persistent_check"), FALSE);
    out2 = save(&p);
    g_assert_false(nm_setting_vpn_get_persistent(nm_connection_get_setting_vpn(out2)));
    page_close(&p);

    g_autoptr(NMConnection) fresh = new_connection(NULL, NULL);
    nm_connection_remove_setting(fresh, NM_TYPE_SETTING_VPN);
    page_open(&p, fresh);
    g_assert_false(check_active(w(&p, "persistent_check")));
    page_close(&p);
}

/* ---- secret flags ---------------------------------------------------------------------------- */

static void test_secret_flags(void)
{
    static const struct {
        NMSettingSecretFlags flags;
        const char *flags_text;
        gboolean kept;
    } cases[] = {
        {NM_SETTING_SECRET_FLAG_NONE, "0", TRUE},
        {NM_SETTING_SECRET_FLAG_AGENT_OWNED, "1", TRUE},
        {NM_SETTING_SECRET_FLAG_NOT_SAVED, "2", FALSE},
        {NM_SETTING_SECRET_FLAG_NOT_REQUIRED, "4", FALSE},
    };
    static kv_t data = {UIP_KEY_GATEWAY, "vpn.example.test", UIP_KEY_AUTH, UIP_AUTH_NAME_PSK, NULL};
    g_autoptr(NMConnection) c = new_connection(data, NULL);
    struct page p;

    page_open(&p, c);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(NMConnection) out = NULL;
        NMSettingVpn *s_vpn;

        nma_utils_update_password_storage(w(&p, "psk_entry"), cases[i].flags, NULL, NULL);
        entry_type(w(&p, "psk_entry"), "a pre-shared key value, long enough");
        out = save(&p);
        s_vpn = nm_connection_get_setting_vpn(out);
        g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_PSK_FLAGS), ==,
                        cases[i].flags_text);
        g_assert_cmpstr(nm_setting_vpn_get_secret(s_vpn, UIP_KEY_PSK), ==,
                        cases[i].kept ? "a pre-shared key value, long enough" : NULL);
    }

    /* the key password of the certificate chooser */
    set_auth(&p, UIP_AUTH_NAME_CERT);
    nma_cert_chooser_set_cert(chooser(&p, "user_chooser"), CERT, NM_SETTING_802_1X_CK_SCHEME_PATH);
    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), KEY, NM_SETTING_802_1X_CK_SCHEME_PATH);
    nma_cert_chooser_set_key_password(chooser(&p, "user_chooser"), "pem pass");
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(NMConnection) out = NULL;
        NMSettingVpn *s_vpn;

        nma_cert_chooser_update_key_password_storage(chooser(&p, "user_chooser"), cases[i].flags,
                                                     NULL, NULL);
        nma_cert_chooser_set_key_password(chooser(&p, "user_chooser"), "pem pass");
        out = save(&p);
        s_vpn = nm_connection_get_setting_vpn(out);
        g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_USER_KEY_PASSWORD_FLAGS), ==,
                        cases[i].flags_text);
        g_assert_cmpstr(nm_setting_vpn_get_secret(s_vpn, UIP_KEY_USER_KEY_PASSWORD), ==,
                        cases[i].kept ? "pem pass" : NULL);
    }
    page_close(&p);
}

/* ---- the Advanced window, the library -------------------------------------------------------- */

/* The mnemonic keys (Alt+letter) of the labels under @widget, counted in @seen. */
static void collect_mnemonics(GtkWidget *widget, GHashTable *seen)
{
    if (GTK_IS_LABEL(widget)) {
        guint key = gtk_label_get_mnemonic_keyval(GTK_LABEL(widget));
        if (key != GDK_KEY_VoidSymbol) {
            key = gdk_keyval_to_lower(key);
            const char *other = g_hash_table_lookup(seen, GUINT_TO_POINTER(key));
            if (other)
                g_error("Alt+%s is on “%s” and on “%s”: it only moves the focus between them",
                        gdk_keyval_name(key), other, gtk_label_get_label(GTK_LABEL(widget)));
            g_hash_table_insert(seen, GUINT_TO_POINTER(key),
                                (gpointer)gtk_label_get_label(GTK_LABEL(widget)));
        }
    }
#if UIP_GTK4
    for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c))
        collect_mnemonics(c, seen);
#else
    if (GTK_IS_CONTAINER(widget)) {
        GList *children = gtk_container_get_children(GTK_CONTAINER(widget));
        for (GList *l = children; l; l = l->next)
            collect_mnemonics(l->data, seen);
        g_list_free(children);
    }
#endif
}

static void test_advanced_window(void)
{
    g_autoptr(NMConnection) c = new_connection(all_data, all_secrets);
    GtkWidget *window;
    struct page p;

    page_open(&p, c);
    window = w(&p, "advanced_dialog");
    g_assert_false(gtk_widget_get_visible(window));
    /* each Alt+letter of the window reaches one field */
    g_autoptr(GHashTable) keys = g_hash_table_new(NULL, NULL);
    collect_mnemonics(window, keys);
    g_assert_cmpuint(g_hash_table_size(keys), >=, 15);
    g_signal_emit_by_name(w(&p, "advanced_button"), "clicked");
    run_pending();
    g_assert_true(gtk_widget_get_visible(window));
    g_signal_emit_by_name(w(&p, "advanced_close_button"), "clicked");
    run_pending();
    g_assert_false(gtk_widget_get_visible(window));
    page_close(&p);
}

/* ---- as nm-connection-editor shows it -------------------------------------------------------- */

/*
 * The page inside a GtkDialog of a window group of its own, shown with gtk_widget_show_all()
 * (GTK 3), as nm-connection-editor's editor window does; GTK 4 (GNOME Settings) presents it.
 */
static GtkWidget *host_new(struct page *p)
{
    GtkWidget *dialog = gtk_dialog_new();
    GtkWidget *content = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    GtkWidget *page = GTK_WIDGET(nm_vpn_editor_get_widget(p->editor));

    gtk_window_set_modal(GTK_WINDOW(dialog), TRUE);
#if UIP_GTK4
    gtk_box_append(GTK_BOX(content), page);
    gtk_window_present(GTK_WINDOW(dialog));
#else
    g_autoptr(GtkWindowGroup) group = gtk_window_group_new();
    gtk_window_group_add_window(group, GTK_WINDOW(dialog));
    gtk_box_pack_start(GTK_BOX(content), page, TRUE, TRUE, 0);
    gtk_widget_show_all(dialog);
#endif
    run_pending();
    return dialog;
}

/*
 * With UIP_EDITOR_SHOTS=DIR (tests/editor/screenshot-editor.sh), GTK 4: @window as drawn, to
 * DIR/<UIP_EDITOR_SHOTS_PREFIX>@name.png, for review (never compared).
 */
static void shot(GtkWidget *window, const char *name)
{
#if UIP_GTK4
    const char *dir = g_getenv("UIP_EDITOR_SHOTS");
    g_autofree char *path = NULL;
    g_autoptr(GdkPaintable) paintable = NULL;
    g_autoptr(GdkTexture) texture = NULL;
    GskRenderNode *node;
    GtkSnapshot *snapshot;
    int width, height;

    if (!dir)
        return;
    for (int i = 0; i < 20; i++) { /* let it lay out and draw */
        run_pending();
        g_usleep(10000);
    }
    width = gtk_widget_get_width(window);
    height = gtk_widget_get_height(window);
    paintable = gtk_widget_paintable_new(window);
    snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snapshot, width, height);
    node = gtk_snapshot_free_to_node(snapshot);
    g_assert_nonnull(node);
    texture = gsk_renderer_render_texture(gtk_native_get_renderer(GTK_NATIVE(window)), node,
                                          &GRAPHENE_RECT_INIT(0, 0, width, height));
    gsk_render_node_unref(node);
    path = g_strdup_printf("%s/%s%s.png", dir, g_getenv("UIP_EDITOR_SHOTS_PREFIX") ?: "", name);
    g_assert_true(gdk_texture_save_to_png(texture, path));
#else
    (void)window;
    (void)name;
#endif
}

static void host_show_all(GtkWidget *dialog)
{
#if !UIP_GTK4
    gtk_widget_show_all(dialog);
#endif
    run_pending();
}

static void host_destroy(GtkWidget *dialog)
{
#if UIP_GTK4
    gtk_window_destroy(GTK_WINDOW(dialog));
#else
    gtk_widget_destroy(dialog);
#endif
    run_pending();
}

/* The widgets of one method or another; each other widget of the page is always shown. */
static const struct {
    const char *id;
    const char *methods; /* the methods that show it, as " name " words */
} per_method[] = {
    {"user_label", " eap-mschapv2 "},
    {"user_entry", " eap-mschapv2 "},
    {"password_label", " eap-mschapv2 "},
    {"password_entry", " eap-mschapv2 "},
    {"show_passwords_check", " eap-mschapv2 psk "},
    {"psk_label", " psk "},
    {"psk_entry", " psk "},
    {"user_chooser", " cert eap-tls "},
};
static const char *const always_shown[] = {
    "gateway_entry", "port_entry", "remote_id_entry", "ca_system_check", "ca_chooser",
    "auth_combo",    "local_id_entry", "advanced_button",
};

/* What is on screen for @auth: its fields, no other method's. */
static void assert_method_shown(struct page *p, const char *auth)
{
    g_autofree char *word = g_strdup_printf(" %s ", auth);

    for (gsize i = 0; i < G_N_ELEMENTS(per_method); i++) {
        gboolean expected = strstr(per_method[i].methods, word) != NULL;

        if (gtk_widget_is_visible(w(p, per_method[i].id)) != expected)
            g_error("%s: “%s” is %s", auth, per_method[i].id, expected ? "hidden" : "shown");
        if (expected && !gtk_widget_get_mapped(w(p, per_method[i].id)))
            g_error("%s: “%s” is not on screen", auth, per_method[i].id);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(always_shown); i++)
        if (!gtk_widget_get_mapped(w(p, always_shown[i])))
            g_error("%s: “%s” is not on screen", auth, always_shown[i]);
}

static void test_host_visibility(void)
{
    static const char *const methods[] = {UIP_AUTH_NAME_EAP_MSCHAPV2, UIP_AUTH_NAME_CERT,
                                          UIP_AUTH_NAME_EAP_TLS, UIP_AUTH_NAME_PSK};

    /* a new connection, and a saved one of each method */
    for (gsize m = 0; m <= G_N_ELEMENTS(methods); m++) {
        const char *auth = m ? methods[m - 1] : UIP_AUTH_NAME_EAP_MSCHAPV2;
        g_autoptr(NMConnection) c = NULL;
        GtkWidget *dialog;
        struct page p;

        if (m) {
            kv_t data = {UIP_KEY_GATEWAY, "vpn.example.test", UIP_KEY_AUTH, auth, NULL};
            c = new_connection(data, NULL);
        } else {
            c = new_connection(NULL, NULL);
            nm_connection_remove_setting(c, NM_TYPE_SETTING_VPN);
        }
        page_open(&p, c);
        dialog = host_new(&p);
        assert_method_shown(&p, auth);
        /* switching methods, with the host showing everything again */
        for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
            set_auth(&p, methods[i]);
            run_pending();
            assert_method_shown(&p, methods[i]);
            host_show_all(dialog);
            assert_method_shown(&p, methods[i]);
            if (m == 0) {
                g_autofree char *name = g_strdup_printf("method-%s", methods[i]);
                shot(dialog, name);
            }
        }
        host_destroy(dialog);
        page_close(&p);
    }
}

/* The Advanced window opened from its button: a modal dialog of the editor's window. */
static void test_host_advanced(void)
{
    g_autoptr(NMConnection) c = new_connection(all_data, all_secrets);
    GtkWidget *dialog, *advanced;
    struct page p;

    page_open(&p, c);
    dialog = host_new(&p);
    advanced = w(&p, "advanced_dialog");
    g_assert_false(gtk_widget_get_visible(advanced));
    button_click(w(&p, "advanced_button"));
    run_pending();
    g_assert_true(gtk_widget_get_visible(advanced));
    g_assert_true(gtk_window_get_transient_for(GTK_WINDOW(advanced)) == GTK_WINDOW(dialog));
    g_assert_true(gtk_window_get_modal(GTK_WINDOW(advanced)));
#if !UIP_GTK4
    g_assert_true(gtk_window_get_destroy_with_parent(GTK_WINDOW(advanced)));
#endif
    g_assert_true(gtk_window_get_group(GTK_WINDOW(advanced)) ==
                  gtk_window_get_group(GTK_WINDOW(dialog)));
#if !UIP_GTK4
    {
        GtkWindowPosition position;

        g_assert_cmpint(gtk_window_get_type_hint(GTK_WINDOW(advanced)), ==,
                        GDK_WINDOW_TYPE_HINT_DIALOG);
        g_object_get(advanced, "window-position", &position, NULL);
        g_assert_cmpint(position, ==, GTK_WIN_POS_CENTER_ON_PARENT);
        g_assert_true(gtk_widget_get_mapped(advanced));
    }
#endif
    shot(advanced, "advanced");
    /* its fields are shown whatever the host did */
    g_assert_true(gtk_widget_is_visible(w(&p, "ike_entry")));
    g_assert_true(gtk_widget_is_visible(w(&p, "rekey_ike_entry")));
    /* a bad value there is marked, and the message names the field */
    entry_type(w(&p, "port_entry"), "70000");
    save_fails(&p, UIP_KEY_PORT);
    entry_type(w(&p, "port_entry"), "");
    check_bad_entry(&p, "rekey_ike_entry", UIP_KEY_REKEY_IKE, "86401", "");
    check_bad_entry(&p, "mtu_entry", UIP_KEY_MTU, "100", "");
    button_click(w(&p, "advanced_close_button"));
    run_pending();
    g_assert_false(gtk_widget_get_visible(advanced));
    /* opened again, then the editor's window goes: it goes too */
    button_click(w(&p, "advanced_button"));
    run_pending();
    g_assert_true(gtk_widget_get_visible(advanced));
    g_object_ref(advanced);
    host_destroy(dialog);
    g_assert_false(gtk_widget_get_visible(advanced));
    g_assert_null(gtk_window_get_transient_for(GTK_WINDOW(advanced)));
    g_object_unref(advanced);
    page_close(&p);
}

/* The marks a user sees, and what they read: labels, not keys; the defaults in the fields. */
static void test_host_marks(void)
{
    g_autoptr(NMConnection) c = new_connection(NULL, NULL);
    g_autoptr(NMConnection) out = NULL;
    GtkWidget *dialog, *cert_button, *cert_label;
    NMSettingVpn *s_vpn;
    struct page p;

    nm_connection_remove_setting(c, NM_TYPE_SETTING_VPN);
    page_open(&p, c);
    dialog = host_new(&p);

    /* an empty required field: marked without the focus (its label too, and an icon) */
    g_assert_true(has_error_class(w(&p, "gateway_entry")));
    g_assert_true(has_error_class(w(&p, "gateway_label")));
    g_assert_cmpstr(gtk_entry_get_icon_name(GTK_ENTRY(w(&p, "gateway_entry")),
                                            GTK_ENTRY_ICON_PRIMARY),
                    ==, "dialog-warning-symbolic");
    save_fails(&p, UIP_KEY_GATEWAY);
    entry_type(w(&p, "port_entry"), "70000");
    shot(dialog, "marks");
    entry_type(w(&p, "port_entry"), "");
    entry_type(w(&p, "gateway_entry"), "vpn.example.test");
    g_assert_false(has_error_class(w(&p, "gateway_label")));

    /* the port says what is allowed */
    entry_type(w(&p, "port_entry"), "70000");
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(NMConnection) tmp = new_connection(NULL, NULL);

        g_assert_false(nm_vpn_editor_update_connection(p.editor, tmp, &error));
        g_assert_nonnull(strstr(error->message, "65535"));
        assert_names_label(&p, error->message, UIP_KEY_PORT);
    }
    entry_type(w(&p, "port_entry"), "");

    /* the defaults of empty fields are in the fields */
    g_assert_nonnull(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "local_id_entry"))));
    g_assert_nonnull(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "remote_id_entry"))));
    g_assert_nonnull(strstr(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "rekey_ike_entry"))),
                            "0"));
    g_assert_nonnull(
        strstr(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "rekey_child_entry"))), "0"));

    /* a new connection keeps its password for this user only, and says so */
    g_assert_cmpuint(nma_utils_menu_to_secret_flags(w(&p, "password_entry")), ==,
                     NM_SETTING_SECRET_FLAG_AGENT_OWNED);
    entry_type(w(&p, "user_entry"), "alice");
    entry_type(w(&p, "password_entry"), "");
    g_assert_nonnull(gtk_entry_get_placeholder_text(GTK_ENTRY(w(&p, "password_entry"))));
    out = save(&p);
    s_vpn = nm_connection_get_setting_vpn(out);
    g_assert_cmpstr(nm_setting_vpn_get_data_item(s_vpn, UIP_KEY_PASSWORD_FLAGS), ==, "1");

    /* a missing user certificate is marked where the user looks: its button and label */
    set_auth(&p, UIP_AUTH_NAME_CERT);
    run_pending();
    cert_label = gtk_grid_get_child_at(GTK_GRID(w(&p, "user_chooser")), 0, 0);
    cert_button = gtk_grid_get_child_at(GTK_GRID(w(&p, "user_chooser")), 1, 0);
    g_assert_true(has_error_class(cert_button));
    g_assert_true(has_error_class(cert_label));
    shot(dialog, "marks-cert");
    save_fails(&p, UIP_KEY_USER_CERT);
    {
#if UIP_GTK4
        g_autofree char *tip = g_strdup(gtk_widget_get_tooltip_text(cert_button));
#else
        g_autofree char *tip = gtk_widget_get_tooltip_text(cert_button);
#endif
        assert_names_label(&p, tip, UIP_KEY_USER_CERT);
    }
    nma_cert_chooser_set_cert(chooser(&p, "user_chooser"), CERT, NM_SETTING_802_1X_CK_SCHEME_PATH);
    save_fails(&p, UIP_KEY_USER_KEY);
    g_assert_false(has_error_class(cert_button));
    g_assert_true(has_error_class(gtk_grid_get_child_at(GTK_GRID(w(&p, "user_chooser")), 1, 2)));
    nma_cert_chooser_set_key(chooser(&p, "user_chooser"), KEY, NM_SETTING_802_1X_CK_SCHEME_PATH);
    g_clear_object(&out);
    out = save(&p);
    g_assert_false(has_error_class(w(&p, "user_chooser")));

    host_destroy(dialog);
    page_close(&p);
}

static void test_exports(void)
{
    const char *path = g_getenv("UIP_EDITOR_PATH");
    void *handle;

    g_assert_nonnull(path);
    /* loaded by the core plugin already */
    handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    g_assert_nonnull(handle);
    g_assert_nonnull(dlsym(handle, "nm_vpn_editor_factory_uipsec"));
    g_assert_null(dlsym(handle, "uip_settings_validate"));
    g_assert_null(dlsym(handle, "uip_tunnel_settings_init"));
    g_assert_null(dlsym(handle, "ike_proposals_parse"));
    g_assert_null(dlsym(handle, "uip_vpn_editor_get_type"));
    g_assert_null(dlsym(handle, "uip_editor_resources_get_resource"));
    dlclose(handle);
}

int main(int argc, char **argv)
{
    const char *plugin_path = g_getenv("UIP_PLUGIN_PATH");
    g_autoptr(GError) error = NULL;
    int r;

    g_test_init(&argc, &argv, NULL);
#if UIP_GTK4
    if (!gtk_init_check()) {
#else
    if (!gtk_init_check(&argc, &argv)) {
#endif
        if (g_strcmp0(g_getenv("UIP_NETNS_REQUIRED"), "1") == 0)
            g_error("no display (run through with-xvfb.sh)");
        g_test_skip("no display (run through with-xvfb.sh)");
        return 77;
    }
    if (!plugin_path)
        g_error("UIP_PLUGIN_PATH is not set");

    token_setup();
    plugin = nm_vpn_editor_plugin_load_from_file(plugin_path, UIP_VPN_SERVICE, (int)geteuid(), NULL,
                                                 NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(plugin);
    if (g_getenv("UIP_EDITOR_SHOTS_LOCALEDIR")) {
        /* the screenshots' translations: after the editor's own binding, made by its first
         * editor */
        g_autoptr(NMConnection) c = new_connection(NULL, NULL);
        struct page p;

        page_open(&p, c);
        page_close(&p);
        bindtextdomain("NetworkManager-uipsec", g_getenv("UIP_EDITOR_SHOTS_LOCALEDIR"));
    }

    g_test_add_func("/editor/every-field", test_every_field);
    g_test_add_func("/editor/edits", test_edits);
    g_test_add_func("/editor/invalid", test_invalid);
    g_test_add_func("/editor/pkcs11", test_pkcs11);
    g_test_add_func("/editor/token-menu", test_token_menu);
    g_test_add_func("/editor/new-connection", test_new_connection);
    g_test_add_func("/editor/unknown-auth", test_unknown_auth);
    g_test_add_func("/editor/secret-flags", test_secret_flags);
    g_test_add_func("/editor/persistent", test_persistent);
    g_test_add_func("/editor/advanced-window", test_advanced_window);
    g_test_add_func("/editor/host-visibility", test_host_visibility);
    g_test_add_func("/editor/host-advanced", test_host_advanced);
    g_test_add_func("/editor/host-marks", test_host_marks);
    g_test_add_func("/editor/exports", test_exports);
    r = g_test_run();
    if (token_dir)
        fixture_rm_rf(token_dir);
    return r;
}
