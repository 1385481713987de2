/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The uipsec connection editor: the NMVpnEditor that nm-connection-editor and
 * GNOME Settings show for a uipsec connection.
 *
 * One source for two libraries: compiled against GTK 3 it is
 * libnm-vpn-plugin-uipsec-editor.so, against GTK 4
 * libnm-gtk4-vpn-plugin-uipsec-editor.so (the few API differences are the
 * small helpers under "GTK 3 / GTK 4" below).  The widgets come from
 * nm-uipsec-dialog.ui, built into the library as a GResource (the GTK 4 copy
 * is converted from the GTK 3 one at build time).  The core plugin
 * (nm-uipsec-editor-plugin.c) loads the library and calls
 * nm_vpn_editor_factory_uipsec(), the only symbol it exports.
 *
 * fields[] below maps each settings key to its widget.  Every edit
 * re-validates the page with the service's own table (uip_settings_validate_one()
 * per field, uip_settings_validate() for the whole set; proposals through the
 * real IKE proposal parser, uip_tunnel_settings_init()), marks the fields at
 * fault (the "error" style class on the field and its label, a warning icon in
 * an entry) with their reason as tooltip, worded with the field's label
 * (uip_settings_validate_field(), never a key), and emits "changed";
 * update_connection() refuses, with that same error, anything the service
 * would refuse.  Fields that the chosen authentication method does not use are
 * hidden (also through the host's gtk_widget_show_all()), keep their text, and
 * are not written.  A new connection keeps its secrets for this user only.
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include <NetworkManager.h>
#include <gtk/gtk.h>
#include <glib/gi18n-lib.h>
#include <nma-cert-chooser.h>
#include <nma-ui-utils.h>

#include "common/uip-pkcs11-uri.h"
#include "common/uip-secret.h"
#include "common/uip-settings.h"
#include "nm-uipsec-editor-plugin.h"
#include "service/tunnel-settings.h"

#if GTK_CHECK_VERSION(4, 0, 0)
#define UIP_GTK4 1
#else
#define UIP_GTK4 0
#endif

#define UI_RESOURCE "/org/freedesktop/network-manager-uipsec/nm-uipsec-dialog.ui"

/* The page's GtkBuilder, for tests: g_object_get_data(widget, UIP_EDITOR_BUILDER_DATA). */
#define UIP_EDITOR_BUILDER_DATA "uip-builder"
/* A widget's own tooltip, put back when it is no longer marked invalid. */
#define TOOLTIP_DATA "uip-tooltip"

/* vpn.secrets as a table: its values are wiped when freed. */
static GHashTable *new_secrets_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                 (GDestroyNotify)uip_free_secret_str);
}

/* ---- GTK 3 / GTK 4 --------------------------------------------------------------------------- */

static const char *entry_get_text(GtkWidget *entry)
{
#if UIP_GTK4
    return gtk_editable_get_text(GTK_EDITABLE(entry));
#else
    return gtk_entry_get_text(GTK_ENTRY(entry));
#endif
}

static void entry_set_text(GtkWidget *entry, const char *text)
{
#if UIP_GTK4
    gtk_editable_set_text(GTK_EDITABLE(entry), text ? text : "");
#else
    gtk_entry_set_text(GTK_ENTRY(entry), text ? text : "");
#endif
}

static gboolean check_get_active(GtkWidget *check)
{
#if UIP_GTK4
    return gtk_check_button_get_active(GTK_CHECK_BUTTON(check));
#else
    return gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(check));
#endif
}

static void check_set_active(GtkWidget *check, gboolean active)
{
#if UIP_GTK4
    gtk_check_button_set_active(GTK_CHECK_BUTTON(check), active);
#else
    gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(check), active);
#endif
}

static void widget_set_error_class(GtkWidget *widget, gboolean error)
{
#if UIP_GTK4
    if (error)
        gtk_widget_add_css_class(widget, "error");
    else
        gtk_widget_remove_css_class(widget, "error");
#else
    GtkStyleContext *context = gtk_widget_get_style_context(widget);

    if (error)
        gtk_style_context_add_class(context, "error");
    else
        gtk_style_context_remove_class(context, "error");
#endif
}

static void box_append(GtkWidget *box, GtkWidget *child)
{
#if UIP_GTK4
    gtk_box_append(GTK_BOX(box), child);
#else
    gtk_box_pack_start(GTK_BOX(box), child, FALSE, TRUE, 0);
#endif
    gtk_widget_set_visible(child, TRUE);
}

/* The window @widget is in, or NULL. */
static GtkWindow *widget_window(GtkWidget *widget)
{
#if UIP_GTK4
    GtkRoot *root = gtk_widget_get_root(widget);
    return GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL;
#else
    GtkWidget *top = gtk_widget_get_toplevel(widget);
    return gtk_widget_is_toplevel(top) && GTK_IS_WINDOW(top) ? GTK_WINDOW(top) : NULL;
#endif
}

/* A copy of @widget's tooltip text, or NULL. */
static char *widget_dup_tooltip(GtkWidget *widget)
{
#if UIP_GTK4
    return g_strdup(gtk_widget_get_tooltip_text(widget));
#else
    return gtk_widget_get_tooltip_text(widget);
#endif
}

/* The text of a button's label without its mnemonic underscore, newly allocated. */
static char *button_dup_label(GtkWidget *button)
{
#if UIP_GTK4
    const char *label = GTK_IS_CHECK_BUTTON(button)
                            ? gtk_check_button_get_label(GTK_CHECK_BUTTON(button))
                            : gtk_button_get_label(GTK_BUTTON(button));
#else
    const char *label = gtk_button_get_label(GTK_BUTTON(button));
#endif
    GString *out = g_string_new(NULL);

    for (const char *p = label ? label : ""; *p; p++) {
        if (*p == '_' && p[1] != '_')
            continue;
        if (*p == '_')
            p++;
        g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* Kept out of gtk_widget_show_all() (GTK 3: nm-connection-editor calls it on the page, which
 * would show the fields of every method); GTK 4 has no show_all. */
static void widget_keep_visibility(GtkWidget *widget)
{
#if !UIP_GTK4
    gtk_widget_set_no_show_all(widget, TRUE);
#endif
}

/* Calls @fn on every widget inside @widget (not @widget itself), depth first. */
static void widget_walk(GtkWidget *widget, void (*fn)(GtkWidget *, gpointer), gpointer user)
{
#if UIP_GTK4
    for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c)) {
        fn(c, user);
        widget_walk(c, fn, user);
    }
#else
    g_autoptr(GList) children = NULL;

    if (!GTK_IS_CONTAINER(widget))
        return;
    children = gtk_container_get_children(GTK_CONTAINER(widget));
    for (GList *l = children; l; l = l->next) {
        fn(l->data, user);
        widget_walk(l->data, fn, user);
    }
#endif
}

static void window_destroy(GtkWidget *window)
{
#if UIP_GTK4
    gtk_window_destroy(GTK_WINDOW(window));
#else
    gtk_widget_destroy(window);
#endif
}

/* ---- the fields ------------------------------------------------------------------------------ */

enum field_kind {
    FIELD_ENTRY,        /* a GtkEntry; empty = not set (the default applies) */
    FIELD_BOOL,         /* a GtkCheckButton: UIP_VALUE_YES / UIP_VALUE_NO */
    FIELD_CHECK,        /* a GtkCheckButton for an ENUM key of two values: .checked / .unchecked */
    FIELD_AUTH,         /* the GtkComboBoxText of UIP_AUTH_NAME_* ids */
    FIELD_SECRET,       /* a GtkEntry with libnma's password storage menu */
    FIELD_CA_CERT,      /* the CA NMACertChooser, off while "system CAs" is checked */
    FIELD_USER_CERT,    /* the certificate of the user NMACertChooser */
    FIELD_USER_KEY,     /* its private key */
    FIELD_KEY_PASSWORD, /* its key password, with the chooser's password storage menu */
};

#define AUTH_CERTS (UIP_AUTH_BIT(UIP_AUTH_CERT) | UIP_AUTH_BIT(UIP_AUTH_EAP_TLS))

struct field {
    const char *key;    /* UIP_KEY_* */
    const char *widget; /* builder id (the choosers are exposed under theirs) */
    const char *label;  /* builder id of its label, hidden with it; NULL if none */
    enum field_kind kind;
    guint auth;                      /* UIP_AUTH_BIT()s of the methods that use it */
    const char *checked, *unchecked; /* FIELD_CHECK: the value of each state */
};

/*
 * Every key of the settings table but the secret flags, which go with their
 * secret.  test-editor.c checks that a connection with every key set comes
 * back unchanged.
 */
static const struct field fields[] = {
    {UIP_KEY_GATEWAY, "gateway_entry", "gateway_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_PORT, "port_entry", "port_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_REMOTE_ID, "remote_id_entry", "remote_id_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_CA_CERT, "ca_chooser", NULL, FIELD_CA_CERT, UIP_AUTH_BITS_ALL},
    {UIP_KEY_AUTH, "auth_combo", "auth_label", FIELD_AUTH, UIP_AUTH_BITS_ALL},
    {UIP_KEY_LOCAL_ID, "local_id_entry", "local_id_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_USER, "user_entry", "user_label", FIELD_ENTRY, UIP_AUTH_BIT(UIP_AUTH_EAP_MSCHAPV2)},
    {UIP_KEY_PASSWORD, "password_entry", "password_label", FIELD_SECRET,
     UIP_AUTH_BIT(UIP_AUTH_EAP_MSCHAPV2)},
    {UIP_KEY_PSK, "psk_entry", "psk_label", FIELD_SECRET, UIP_AUTH_BIT(UIP_AUTH_PSK)},
    {UIP_KEY_USER_CERT, "user_chooser", NULL, FIELD_USER_CERT, AUTH_CERTS},
    {UIP_KEY_USER_KEY, "user_chooser", NULL, FIELD_USER_KEY, AUTH_CERTS},
    {UIP_KEY_USER_KEY_PASSWORD, "user_chooser", NULL, FIELD_KEY_PASSWORD, AUTH_CERTS},
    /* the Advanced window */
    {UIP_KEY_IKE, "ike_entry", "ike_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_ESP, "esp_entry", "esp_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_VIRTUAL_IPV4, "virtual_ipv4_check", NULL, FIELD_BOOL, UIP_AUTH_BITS_ALL},
    {UIP_KEY_VIRTUAL_IPV6, "virtual_ipv6_check", NULL, FIELD_BOOL, UIP_AUTH_BITS_ALL},
    {UIP_KEY_REMOTE_TS, "remote_ts_entry", "remote_ts_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_LOCAL_TS, "local_ts_entry", "local_ts_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_MTU, "mtu_entry", "mtu_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_DPD_INTERVAL, "dpd_entry", "dpd_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_DPD_ACTION, "dpd_restart_check", NULL, FIELD_CHECK, UIP_AUTH_BITS_ALL,
     UIP_DPD_ACTION_RESTART, UIP_DPD_ACTION_FAIL},
    {UIP_KEY_NAT_KEEPALIVE, "nat_keepalive_entry", "nat_keepalive_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_FRAGMENTATION, "fragmentation_check", NULL, FIELD_BOOL, UIP_AUTH_BITS_ALL},
    {UIP_KEY_MOBIKE, "mobike_check", NULL, FIELD_BOOL, UIP_AUTH_BITS_ALL},
    {UIP_KEY_REKEY_CHILD, "rekey_child_entry", "rekey_child_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
    {UIP_KEY_REKEY_IKE, "rekey_ike_entry", "rekey_ike_label", FIELD_ENTRY, UIP_AUTH_BITS_ALL},
};

/* The choices of the auth combo, in this order. */
static const struct {
    enum uip_auth auth;
    const char *label;
} auth_choices[] = {
    {UIP_AUTH_EAP_MSCHAPV2, N_("User name and password (EAP-MSCHAPv2)")},
    {UIP_AUTH_CERT, N_("Certificate")},
    {UIP_AUTH_EAP_TLS, N_("Certificate through EAP (EAP-TLS)")},
    {UIP_AUTH_PSK, N_("Pre-shared key")},
};

/* A new connection starts with this method. */
#define AUTH_DEFAULT UIP_AUTH_EAP_MSCHAPV2

/* ---- the editor object ----------------------------------------------------------------------- */

#define UIP_TYPE_VPN_EDITOR (uip_vpn_editor_get_type())
G_DECLARE_FINAL_TYPE(UipVpnEditor, uip_vpn_editor, UIP, VPN_EDITOR, GObject)

struct _UipVpnEditor {
    GObject parent;
    GtkBuilder *builder;
    GtkWidget *widget;   /* the page (ours: a reference) */
    GtkWidget *advanced; /* the Advanced window (ours: a reference; destroyed in dispose) */
    GtkWindow *host;     /* the window it was last opened over, until that one is destroyed */
    GtkWidget *ca_chooser, *user_chooser;
    gboolean loading; /* filling the widgets: no "changed" */
};

static void editor_interface_init(NMVpnEditorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(UipVpnEditor, uip_vpn_editor, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(NM_TYPE_VPN_EDITOR, editor_interface_init))

static GtkWidget *ui(UipVpnEditor *self, const char *id)
{
    GObject *object = gtk_builder_get_object(self->builder, id);

    g_return_val_if_fail(GTK_IS_WIDGET(object), NULL);
    return GTK_WIDGET(object);
}

static enum uip_auth current_auth(UipVpnEditor *self)
{
    return uip_auth_from_string(gtk_combo_box_get_active_id(GTK_COMBO_BOX(ui(self, "auth_combo"))));
}

static gboolean field_applies(const struct field *f, enum uip_auth auth)
{
    if (f->auth == UIP_AUTH_BITS_ALL)
        return TRUE;
    return auth != UIP_AUTH_INVALID && (f->auth & UIP_AUTH_BIT(auth));
}

/* The secret flags shown by a secret field's storage menu. */
static guint field_secret_flags(UipVpnEditor *self, const struct field *f)
{
    if (f->kind == FIELD_KEY_PASSWORD)
        return nma_cert_chooser_get_key_password_flags(NMA_CERT_CHOOSER(self->user_chooser));
    return nma_utils_menu_to_secret_flags(ui(self, f->widget));
}

/* The value a field holds, NULL when it is not set. */
static char *field_get(UipVpnEditor *self, const struct field *f)
{
    /* a PKCS#11 token gives its URI (not a path): the path check refuses it */
    NMSetting8021xCKScheme scheme = NM_SETTING_802_1X_CK_SCHEME_UNKNOWN;
    GtkWidget *w = ui(self, f->widget);
    const char *text = NULL;
    char *value = NULL;

    switch (f->kind) {
    case FIELD_ENTRY:
    case FIELD_SECRET:
        text = entry_get_text(w);
        break;
    case FIELD_BOOL:
        text = check_get_active(w) ? UIP_VALUE_YES : UIP_VALUE_NO;
        break;
    case FIELD_CHECK:
        text = check_get_active(w) ? f->checked : f->unchecked;
        break;
    case FIELD_AUTH:
        text = gtk_combo_box_get_active_id(GTK_COMBO_BOX(w));
        break;
    case FIELD_CA_CERT:
        if (check_get_active(ui(self, "ca_system_check")))
            return NULL;
        /* fall through */
    case FIELD_USER_CERT:
        value = nma_cert_chooser_get_cert(NMA_CERT_CHOOSER(w), &scheme);
        break;
    case FIELD_USER_KEY:
        value = nma_cert_chooser_get_key(NMA_CERT_CHOOSER(w), &scheme);
        break;
    case FIELD_KEY_PASSWORD:
        text = nma_cert_chooser_get_key_password(NMA_CERT_CHOOSER(w));
        break;
    }
    if (!value && text)
        value = g_strdup(text);
    if (value && !value[0])
        g_clear_pointer(&value, g_free);
    return value;
}

/* A user certificate or key may be on a token: libnma shows a PKCS#11 URI as the token's
 * object, without looking for a file of that name. */
static NMSetting8021xCKScheme chooser_scheme(const char *value)
{
    return uip_pkcs11_is_uri(value) ? NM_SETTING_802_1X_CK_SCHEME_PKCS11
                                    : NM_SETTING_802_1X_CK_SCHEME_PATH;
}

/*
 * Inside a libnma certificate chooser (a GtkGrid, libnma's nma-cert-chooser.ui): the
 * certificate in row 0, the key in row 2, its password in row 3; labels in column 0, the
 * button or entry in column 1.
 */
static int field_chooser_row(const struct field *f)
{
    switch (f->kind) {
    case FIELD_CA_CERT:
    case FIELD_USER_CERT:
        return 0;
    case FIELD_USER_KEY:
        return 2;
    case FIELD_KEY_PASSWORD:
        return 3;
    default:
        return -1;
    }
}

/* The label the user sees beside @f, or NULL (check buttons carry their own). */
static GtkWidget *field_label_widget(UipVpnEditor *self, const struct field *f)
{
    const int row = field_chooser_row(f);
    GtkWidget *label;

    if (f->label)
        return ui(self, f->label);
    if (row < 0)
        return NULL;
    label = gtk_grid_get_child_at(GTK_GRID(ui(self, f->widget)), 0, row);
    return GTK_IS_LABEL(label) ? label : NULL;
}

/* The widget that takes @f's mark: the entry, or the chooser's button or entry. */
static GtkWidget *field_mark_widget(UipVpnEditor *self, const struct field *f)
{
    const int row = field_chooser_row(f);
    GtkWidget *cell;

    if (row < 0)
        return ui(self, f->widget);
    cell = gtk_grid_get_child_at(GTK_GRID(ui(self, f->widget)), 1, row);
    return cell ? cell : ui(self, f->widget);
}

/* @f's name as the user sees it (without the mnemonic underscore), newly allocated. */
static char *field_dup_label(UipVpnEditor *self, const struct field *f)
{
    GtkWidget *label = field_label_widget(self, f);

    if (label && gtk_label_get_text(GTK_LABEL(label))[0])
        return g_strdup(gtk_label_get_text(GTK_LABEL(label)));
    if (f->kind == FIELD_BOOL || f->kind == FIELD_CHECK)
        return button_dup_label(ui(self, f->widget));
    return g_strdup(uip_setting_get_name(uip_settings_lookup(f->key)));
}

/*
 * Mark @f invalid, with @reason as its tooltip, or not (@reason NULL): the "error" style class
 * on the field and on its label (red whatever has the focus, GTK 4 included), and a warning
 * icon in an entry, so that an empty field shows its mark too.  A chooser as a whole keeps
 * the mark of any of its fields (the certificate, first in fields[], clears it).
 */
static void field_mark(UipVpnEditor *self, const struct field *f, const char *reason)
{
    GtkWidget *w = ui(self, f->widget);
    GtkWidget *target = field_mark_widget(self, f);
    GtkWidget *label = field_label_widget(self, f);

    if (target != w) {
        widget_set_error_class(target, reason != NULL);
        gtk_widget_set_tooltip_text(target, reason);
    }
    if (target == w || reason || f->kind == FIELD_USER_CERT || f->kind == FIELD_CA_CERT) {
        widget_set_error_class(w, reason != NULL);
        gtk_widget_set_tooltip_text(w,
                                    reason ? reason : g_object_get_data(G_OBJECT(w), TOOLTIP_DATA));
    }
    if (label)
        widget_set_error_class(label, reason != NULL);
    /* (GTK 4 keeps room for an icon once its tooltip is set, even to NULL: only when marked) */
    if (GTK_IS_ENTRY(target) && reason) {
        gtk_entry_set_icon_from_icon_name(GTK_ENTRY(target), GTK_ENTRY_ICON_PRIMARY,
                                          "dialog-warning-symbolic");
        gtk_entry_set_icon_tooltip_text(GTK_ENTRY(target), GTK_ENTRY_ICON_PRIMARY, reason);
    } else if (GTK_IS_ENTRY(target) &&
               gtk_entry_get_icon_name(GTK_ENTRY(target), GTK_ENTRY_ICON_PRIMARY)) {
        gtk_entry_set_icon_tooltip_text(GTK_ENTRY(target), GTK_ENTRY_ICON_PRIMARY, NULL);
        gtk_entry_set_icon_from_icon_name(GTK_ENTRY(target), GTK_ENTRY_ICON_PRIMARY, NULL);
    }
}

/* What a secret field's placeholder says: where the secret is kept (and the PSK's rule). */
static void secret_update_placeholder(UipVpnEditor *self, const struct field *f, guint flags)
{
    GtkWidget *entry = field_mark_widget(self, f);
    const char *where;
    g_autofree char *text = NULL;

    if (!GTK_IS_ENTRY(entry))
        return;
    if (flags & UIP_SECRET_FLAG_NOT_REQUIRED)
        where = _("Not required");
    else if (flags & UIP_SECRET_FLAG_NOT_SAVED)
        where = _("Asked for every time");
    else if (flags & UIP_SECRET_FLAG_AGENT_OWNED)
        where = _("Saved for this user only");
    else
        where = _("Saved for all users");
    if (g_str_equal(f->key, UIP_KEY_PSK))
        /* TRANSLATORS: "Saved for this user only; at least 20 characters" */
        text = g_strdup_printf(_("%s; at least %u characters"), where, UIP_PSK_MIN_LEN);
    gtk_entry_set_placeholder_text(GTK_ENTRY(entry), text ? text : where);
}

/*
 * Read the page into @data and @secrets (vpn.data / vpn.secrets as the
 * service reads them) and mark the fields at fault.  FALSE with the first
 * error, in fields[] order: a bad value, a missing one, each worded with the
 * field's label (uip_settings_validate_field()), then whatever
 * uip_settings_validate() finds in the whole set.
 */
static gboolean read_page(UipVpnEditor *self, GHashTable *data, GHashTable *secrets, GError **error)
{
    const enum uip_auth auth = current_auth(self);
    g_autoptr(GError) first = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        const struct field *f = &fields[i];
        const struct uip_setting *s = uip_settings_lookup(f->key);
        g_autofree char *value = NULL;
        g_autofree char *label = NULL;
        g_autoptr(GError) local = NULL;
        guint flags = 0;

        g_assert(s);
        if (!field_applies(f, auth)) {
            field_mark(self, f, NULL);
            continue;
        }
        value = field_get(self, f);
        label = field_dup_label(self, f);

        if (s->secret) {
            g_autofree char *flags_text = NULL;

            flags = field_secret_flags(self, f);
            secret_update_placeholder(self, f, flags);
            flags_text = g_strdup_printf("%u", flags);
            if (!uip_settings_validate_field(s->flags_key, flags_text, label, &local))
                goto bad;
            g_hash_table_insert(data, g_strdup(s->flags_key), g_steal_pointer(&flags_text));
            /* asked every time, or not needed: nothing to keep */
            if (flags & (UIP_SECRET_FLAG_NOT_SAVED | UIP_SECRET_FLAG_NOT_REQUIRED))
                g_clear_pointer(&value, uip_free_secret_str);
        }

        if (!uip_settings_validate_field(f->key, value, label, &local))
            goto bad;

        if (f->kind == FIELD_CA_CERT && !value && !check_get_active(ui(self, "ca_system_check"))) {
            g_set_error(&local, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                        _("%s: choose a file, or use the system's CA certificates"), label);
            goto bad;
        }
        /* required by this method (a secret: only when NetworkManager keeps it) */
        if (!value && auth != UIP_AUTH_INVALID && (s->required_auth & UIP_AUTH_BIT(auth)) &&
            (!s->secret || flags == UIP_SECRET_FLAG_NONE)) {
            g_set_error(&local, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                        _("%s is required"), label);
            goto bad;
        }
        field_mark(self, f, NULL);
        if (value)
            g_hash_table_insert(s->secret ? secrets : data, g_strdup(f->key),
                                g_steal_pointer(&value));
        continue;
    bad:
        if (s->secret)
            g_clear_pointer(&value, uip_free_secret_str);
        field_mark(self, f, local->message);
        if (!first)
            first = g_steal_pointer(&local);
    }

    if (first) {
        g_propagate_error(error, g_steal_pointer(&first));
        return FALSE;
    }
    return uip_settings_validate(data, secrets, error);
}

static gboolean page_is_valid(UipVpnEditor *self, GError **error)
{
    g_autoptr(GHashTable) data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) secrets = new_secrets_table();

    return read_page(self, data, secrets, error);
}

/* ---- reacting to edits ----------------------------------------------------------------------- */

/* Show the fields of the chosen method, hide the others (setup_visibility() makes it last). */
static void update_visibility(UipVpnEditor *self)
{
    const enum uip_auth auth = current_auth(self);
    gboolean passwords = FALSE;

    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        const struct field *f = &fields[i];
        gboolean on = field_applies(f, auth);

        if (f->auth == UIP_AUTH_BITS_ALL)
            continue;
        gtk_widget_set_visible(ui(self, f->widget), on);
        if (f->label)
            gtk_widget_set_visible(ui(self, f->label), on);
        if (on && f->kind == FIELD_SECRET)
            passwords = TRUE;
    }
    gtk_widget_set_visible(ui(self, "show_passwords_check"), passwords);
}

static void changed(UipVpnEditor *self)
{
    if (self->loading)
        return;
    page_is_valid(self, NULL);
    g_signal_emit_by_name(self, "changed");
}

static void on_changed(GObject *object, gpointer user_data)
{
    changed(UIP_VPN_EDITOR(user_data));
}

static void on_auth_changed(GObject *object, gpointer user_data)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(user_data);

    update_visibility(self);
    changed(self);
}

static void on_ca_system_toggled(GObject *object, gpointer user_data)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(user_data);

    gtk_widget_set_sensitive(self->ca_chooser, !check_get_active(ui(self, "ca_system_check")));
    changed(self);
}

static void on_show_passwords_toggled(GObject *object, gpointer user_data)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(user_data);
    const gboolean show = check_get_active(ui(self, "show_passwords_check"));

    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        if (fields[i].kind == FIELD_SECRET)
            gtk_entry_set_visibility(GTK_ENTRY(ui(self, fields[i].widget)), show);
}

/*
 * The Advanced window is a modal dialog of the window the page is in at the time (the
 * editor's dialog of nm-connection-editor, GNOME Settings' window): in front of it, centred
 * on it, in its window group (nm-connection-editor gives each editor a group of its own, and
 * a modal window outside it cannot take the input), gone with it.  GTK 4 keeps a dangling
 * parent in a window it destroys with its parent while someone holds a reference (we do):
 * there, on_parent_destroy() only hides it.
 */
static void on_parent_destroy(GtkWidget *parent, gpointer user_data)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(user_data);

    gtk_window_set_transient_for(GTK_WINDOW(self->advanced), NULL);
    gtk_widget_set_visible(self->advanced, FALSE);
    self->host = NULL;
}

static void on_advanced_clicked(GObject *object, gpointer user_data)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(user_data);
    GtkWindow *window = GTK_WINDOW(self->advanced);
    GtkWindow *parent = widget_window(self->widget);

    if (parent != self->host) {
        if (self->host)
            g_signal_handlers_disconnect_by_func(self->host, on_parent_destroy, self);
        if (parent)
            g_signal_connect_object(parent, "destroy", G_CALLBACK(on_parent_destroy), self, 0);
        self->host = parent;
    }
    gtk_window_set_transient_for(window, parent);
    gtk_window_set_modal(window, TRUE);
    gtk_window_set_destroy_with_parent(window, !UIP_GTK4);
    if (parent && gtk_window_has_group(parent))
        gtk_window_group_add_window(gtk_window_get_group(parent), window);
#if !UIP_GTK4
    gtk_window_set_type_hint(window, GDK_WINDOW_TYPE_HINT_DIALOG);
    gtk_window_set_position(window, GTK_WIN_POS_CENTER_ON_PARENT);
    gtk_window_set_skip_taskbar_hint(window, TRUE);
#endif
    gtk_window_present(window);
}

static void on_advanced_close(GObject *object, gpointer user_data)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(user_data);

    gtk_widget_set_visible(self->advanced, FALSE);
}

/* ---- from the connection to the widgets ------------------------------------------------------ */

static void table_add_item(const char *key, const char *value, gpointer user_data)
{
    g_hash_table_insert(user_data, g_strdup(key), g_strdup(value));
}

static void fill_page(UipVpnEditor *self, NMSettingVpn *s_vpn)
{
    g_autoptr(GHashTable) data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) secrets = new_secrets_table();
    NMACertChooser *user_chooser = NMA_CERT_CHOOSER(self->user_chooser);

    gboolean fresh;

    if (s_vpn) {
        nm_setting_vpn_foreach_data_item(s_vpn, table_add_item, data);
        nm_setting_vpn_foreach_secret(s_vpn, table_add_item, secrets);
    }
    /* a new connection keeps its secrets for this user only (in the keyring, through the
     * secret agent), as other VPN editors do; without flags an existing one means 0: all users */
    fresh = g_hash_table_size(data) == 0;
    if (!g_hash_table_contains(data, UIP_KEY_AUTH))
        g_hash_table_insert(data, g_strdup(UIP_KEY_AUTH),
                            g_strdup(uip_auth_to_string(AUTH_DEFAULT)));

    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        const struct field *f = &fields[i];
        const struct uip_setting *s = uip_settings_lookup(f->key);
        const char *value = g_hash_table_lookup(s->secret ? secrets : data, f->key);
        GtkWidget *w = ui(self, f->widget);
        const guint flags = s->secret && fresh ? UIP_SECRET_FLAG_AGENT_OWNED
                            : s->secret        ? uip_settings_get_uint(data, s->flags_key)
                                               : 0;

        switch (f->kind) {
        case FIELD_ENTRY:
            entry_set_text(w, value);
            break;
        case FIELD_BOOL:
            /* an unset or bad value shows the default; saving writes what is shown */
            check_set_active(w, uip_settings_get_bool(data, f->key));
            break;
        case FIELD_CHECK:
            /* the same: an unset or bad value shows the default */
            value = uip_settings_get_string(data, f->key);
            if (!uip_settings_validate_one(f->key, value, NULL))
                value = s->default_value;
            check_set_active(w, g_strcmp0(value, f->checked) == 0);
            break;
        case FIELD_AUTH:
            /* an unknown method selects nothing, which is marked */
            if (!value || !gtk_combo_box_set_active_id(GTK_COMBO_BOX(w), value))
                gtk_combo_box_set_active(GTK_COMBO_BOX(w), -1);
            break;
        case FIELD_SECRET:
            entry_set_text(w, value);
            nma_utils_setup_password_storage(w, flags, NULL, NULL, TRUE, FALSE);
            break;
        case FIELD_CA_CERT:
            check_set_active(ui(self, "ca_system_check"), !value || !value[0]);
            gtk_widget_set_sensitive(w, value && value[0]);
            /* fall through */
        case FIELD_USER_CERT:
            if (value && value[0])
                nma_cert_chooser_set_cert(NMA_CERT_CHOOSER(w), value, chooser_scheme(value));
            break;
        case FIELD_USER_KEY:
            /* after the certificate: the key button is insensitive until there is one */
            if (value && value[0])
                nma_cert_chooser_set_key(user_chooser, value, chooser_scheme(value));
            break;
        case FIELD_KEY_PASSWORD:
            if (value)
                nma_cert_chooser_set_key_password(user_chooser, value);
            nma_cert_chooser_setup_key_password_storage(user_chooser, flags, NULL, NULL, TRUE,
                                                        FALSE);
            break;
        }
    }
    /* not vpn.data: NetworkManager's own vpn.persistent (kept across network changes) */
    check_set_active(ui(self, "persistent_check"), s_vpn && nm_setting_vpn_get_persistent(s_vpn));
}

/* ---- construction ---------------------------------------------------------------------------- */

/* The widgets update_visibility() shows and hides keep their state through the host's
 * gtk_widget_show_all() on the page (nm-connection-editor calls it). */
static void setup_visibility(UipVpnEditor *self)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        const struct field *f = &fields[i];

        if (f->auth == UIP_AUTH_BITS_ALL)
            continue;
        widget_keep_visibility(ui(self, f->widget));
        if (f->label)
            widget_keep_visibility(ui(self, f->label));
    }
    widget_keep_visibility(ui(self, "show_passwords_check"));
}

/* Placeholders: the table's default for numbers (unless the .ui says better). */
static void setup_placeholders(UipVpnEditor *self)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        const struct field *f = &fields[i];
        const struct uip_setting *s = uip_settings_lookup(f->key);
        GtkWidget *w = ui(self, f->widget);

        if (f->kind != FIELD_ENTRY || s->type != UIP_SETTING_UINT || !s->default_value)
            continue;
        if (!gtk_entry_get_placeholder_text(GTK_ENTRY(w)))
            gtk_entry_set_placeholder_text(GTK_ENTRY(w), s->default_value);
    }
}

/* Line up the labels of the grids (and of the choosers) of the page, and of the Advanced window. */
static void setup_size_groups(UipVpnEditor *self)
{
    static const char *const page_labels[] = {
        "gateway_label",  "port_label", "remote_id_label", "auth_label",
        "local_id_label", "user_label", "password_label",  "psk_label",
    };
    static const char *const advanced_labels[] = {
        "ike_label", "esp_label",           "remote_ts_label",   "local_ts_label",  "mtu_label",
        "dpd_label", "nat_keepalive_label", "rekey_child_label", "rekey_ike_label",
    };
    g_autoptr(GtkSizeGroup) page = gtk_size_group_new(GTK_SIZE_GROUP_HORIZONTAL);
    g_autoptr(GtkSizeGroup) advanced = gtk_size_group_new(GTK_SIZE_GROUP_HORIZONTAL);

    for (gsize i = 0; i < G_N_ELEMENTS(page_labels); i++)
        gtk_size_group_add_widget(page, ui(self, page_labels[i]));
    nma_cert_chooser_add_to_size_group(NMA_CERT_CHOOSER(self->ca_chooser), page);
    nma_cert_chooser_add_to_size_group(NMA_CERT_CHOOSER(self->user_chooser), page);
    for (gsize i = 0; i < G_N_ELEMENTS(advanced_labels); i++)
        gtk_size_group_add_widget(advanced, ui(self, advanced_labels[i]));
}

/*
 * libnma shows a "certificate password" entry under a certificate on a PKCS#11 token (802.1X
 * has a secret for it).  We have none: the token's PIN is the key password, so the entry would
 * take a PIN that goes nowhere.  It and its label stay hidden, whatever libnma or the host
 * (show_all) do.  Found as the entry that holds a probe text set as the certificate password,
 * the label as the one whose mnemonic widget it is.
 */
#define CERT_PASSWORD_PROBE "\x01uipsec-probe"

struct cert_password_find {
    GtkWidget *entry, *label;
};

static void find_cert_password_entry(GtkWidget *w, gpointer user)
{
    struct cert_password_find *f = user;

    if (!f->entry && GTK_IS_ENTRY(w) && g_strcmp0(entry_get_text(w), CERT_PASSWORD_PROBE) == 0)
        f->entry = w;
}

static void find_cert_password_label(GtkWidget *w, gpointer user)
{
    struct cert_password_find *f = user;

    if (!f->label && GTK_IS_LABEL(w) && gtk_label_get_mnemonic_widget(GTK_LABEL(w)) == f->entry)
        f->label = w;
}

static void keep_hidden(GtkWidget *w)
{
    if (gtk_widget_get_visible(w))
        gtk_widget_set_visible(w, FALSE);
}

static void hide_cert_password(GtkWidget *chooser)
{
    struct cert_password_find f = {0};
    GtkWidget *hide[2];

    nma_cert_chooser_set_cert_password(NMA_CERT_CHOOSER(chooser), CERT_PASSWORD_PROBE);
    widget_walk(chooser, find_cert_password_entry, &f);
    nma_cert_chooser_set_cert_password(NMA_CERT_CHOOSER(chooser), "");
    if (!f.entry)
        return;
    widget_walk(chooser, find_cert_password_label, &f);
    hide[0] = f.entry;
    hide[1] = f.label;
    for (gsize i = 0; i < G_N_ELEMENTS(hide) && hide[i]; i++) {
        widget_keep_visibility(hide[i]);
        gtk_widget_set_visible(hide[i], FALSE);
        g_signal_connect(hide[i], "notify::visible", G_CALLBACK(keep_hidden), NULL);
    }
}

/*
 * libnma's token menu: the user chooser's button (NMACertChooserButton) lists the PKCS#11
 * tokens once an asynchronous gck call ends, which holds no reference on the button (libnma
 * 1.10): destroyed before that, the call's end works on a freed widget.  Real editors live
 * longer than that call; a page closed at once (tests, a quick Cancel) does not.  So when the
 * page goes before the menu is filled, the chooser is taken out of it and kept until it is.
 */
struct token_menus {
    GType type;
    GPtrArray *unfilled; /* the menus' models with their three first rows only */
};

static void find_unfilled(GtkWidget *w, gpointer user)
{
    struct token_menus *t = user;
    GtkTreeModel *model;

    /* (libnma 1.10: a widget around a GtkComboBox) */
    if (!GTK_IS_COMBO_BOX(w) || !G_TYPE_CHECK_INSTANCE_TYPE(gtk_widget_get_parent(w), t->type))
        return;
    model = gtk_combo_box_get_model(GTK_COMBO_BOX(w));
    /* its three rows (the choice, a separator, "Select from file"), or filled already */
    if (model && gtk_tree_model_iter_n_children(model, NULL) <= 3)
        g_ptr_array_add(t->unfilled, model);
}

static gboolean chooser_release(gpointer chooser)
{
    g_object_unref(chooser);
    return G_SOURCE_REMOVE;
}

/* One more menu filled: the chooser goes once every one is (it holds a reference per menu). */
static void on_token_menu_filled(GtkTreeModel *model, GtkTreePath *path, GtkTreeIter *iter,
                                 gpointer chooser)
{
    g_signal_handlers_disconnect_by_func(model, on_token_menu_filled, chooser);
    g_idle_add(chooser_release, chooser); /* after the callback that fills the menu */
}

static void on_page_destroy(GtkWidget *page, gpointer chooser)
{
    struct token_menus t = {g_type_from_name("NMACertChooserButton"), g_ptr_array_new()};
    GtkWidget *box = gtk_widget_get_parent(chooser);

    g_signal_handlers_disconnect_by_func(page, on_page_destroy, chooser);
    if (t.type && box)
        widget_walk(chooser, find_unfilled, &t);
    for (guint i = 0; i < t.unfilled->len; i++) {
        g_object_ref(chooser);
        g_signal_connect(t.unfilled->pdata[i], "row-inserted", G_CALLBACK(on_token_menu_filled),
                         chooser);
    }
    if (t.unfilled->len) /* (the references above keep it) */
#if UIP_GTK4
        gtk_box_remove(GTK_BOX(box), chooser);
#else
        gtk_container_remove(GTK_CONTAINER(box), chooser);
#endif
    g_ptr_array_free(t.unfilled, TRUE);
}

static GtkWidget *add_chooser(UipVpnEditor *self, const char *box, const char *id,
                              const char *title, NMACertChooserFlags flags)
{
    GtkWidget *chooser = nma_cert_chooser_new(title, flags);

    gtk_builder_expose_object(self->builder, id, G_OBJECT(chooser));
    box_append(ui(self, box), chooser);
    return chooser;
}

static void connect_signals(UipVpnEditor *self)
{
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        const struct field *f = &fields[i];
        GtkWidget *w = ui(self, f->widget);

        switch (f->kind) {
        case FIELD_ENTRY:
        case FIELD_SECRET:
            g_signal_connect_object(w, "changed", G_CALLBACK(on_changed), self, 0);
            break;
        case FIELD_BOOL:
        case FIELD_CHECK:
            g_signal_connect_object(w, "toggled", G_CALLBACK(on_changed), self, 0);
            break;
        case FIELD_AUTH:
            g_signal_connect_object(w, "changed", G_CALLBACK(on_auth_changed), self, 0);
            break;
        case FIELD_CA_CERT:
        case FIELD_USER_CERT:
            /* the chooser says "changed" for its certificate, key and password */
            g_signal_connect_object(w, "changed", G_CALLBACK(on_changed), self, 0);
            break;
        case FIELD_USER_KEY:
        case FIELD_KEY_PASSWORD:
            break;
        }
    }
    g_signal_connect_object(ui(self, "ca_system_check"), "toggled",
                            G_CALLBACK(on_ca_system_toggled), self, 0);
    g_signal_connect_object(ui(self, "persistent_check"), "toggled", G_CALLBACK(on_changed), self,
                            0);
    g_signal_connect_object(ui(self, "show_passwords_check"), "toggled",
                            G_CALLBACK(on_show_passwords_toggled), self, 0);
    g_signal_connect_object(ui(self, "advanced_button"), "clicked", G_CALLBACK(on_advanced_clicked),
                            self, 0);
    g_signal_connect_object(ui(self, "advanced_close_button"), "clicked",
                            G_CALLBACK(on_advanced_close), self, 0);
#if UIP_GTK4
    gtk_window_set_hide_on_close(GTK_WINDOW(self->advanced), TRUE);
#else
    g_signal_connect(self->advanced, "delete-event", G_CALLBACK(gtk_widget_hide_on_delete), NULL);
#endif
}

static UipVpnEditor *uip_vpn_editor_new(NMConnection *connection, GError **error)
{
    g_autoptr(UipVpnEditor) self = g_object_new(UIP_TYPE_VPN_EDITOR, NULL);
    GtkComboBoxText *combo;

    self->builder = gtk_builder_new();
    /* here, not as <interface domain=...> in the .ui: GTK (3.24, 4.8) then sets the domain to
     * its own string again, and frees it first */
    gtk_builder_set_translation_domain(self->builder, GETTEXT_PACKAGE);
    if (!gtk_builder_add_from_resource(self->builder, UI_RESOURCE, error))
        return NULL;
    self->widget = g_object_ref_sink(ui(self, "uipsec_page"));
    self->advanced = g_object_ref(ui(self, "advanced_dialog"));
    g_object_set_data(G_OBJECT(self->widget), UIP_EDITOR_BUILDER_DATA, self->builder);

    self->ca_chooser = add_chooser(self, "ca_chooser_box", "ca_chooser", _("CA"),
                                   NMA_CERT_CHOOSER_FLAG_CERT | NMA_CERT_CHOOSER_FLAG_PEM);
    self->user_chooser =
        add_chooser(self, "user_chooser_box", "user_chooser", _("User"), NMA_CERT_CHOOSER_FLAG_NONE);
    hide_cert_password(self->user_chooser);
    g_signal_connect(self->widget, "destroy", G_CALLBACK(on_page_destroy), self->user_chooser);

    setup_size_groups(self);

    combo = GTK_COMBO_BOX_TEXT(ui(self, "auth_combo"));
    for (gsize i = 0; i < G_N_ELEMENTS(auth_choices); i++)
        gtk_combo_box_text_append(combo, uip_auth_to_string(auth_choices[i].auth),
                                  _(auth_choices[i].label));

    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        GtkWidget *w = ui(self, fields[i].widget);
        g_object_set_data_full(G_OBJECT(w), TOOLTIP_DATA, widget_dup_tooltip(w), g_free);
    }
    setup_placeholders(self);
    setup_visibility(self);

    self->loading = TRUE;
    fill_page(self, nm_connection_get_setting_vpn(connection));
    update_visibility(self);
    connect_signals(self);
    self->loading = FALSE;

    page_is_valid(self, NULL); /* mark what is wrong from the start */
    return g_steal_pointer(&self);
}

/* ---- NMVpnEditor ----------------------------------------------------------------------------- */

static GObject *get_widget(NMVpnEditor *editor)
{
    return G_OBJECT(UIP_VPN_EDITOR(editor)->widget);
}

static void table_remove_key(const char *key, const char *value, gpointer user_data)
{
    g_ptr_array_add(user_data, g_strdup(key));
}

static gboolean update_connection(NMVpnEditor *editor, NMConnection *connection, GError **error)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(editor);
    g_autoptr(GHashTable) data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) secrets = new_secrets_table();
    g_autoptr(GPtrArray) old_data = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) old_secrets = g_ptr_array_new_with_free_func(g_free);
    NMSettingVpn *s_vpn;
    GHashTableIter iter;
    const char *key, *value;

    g_return_val_if_fail(NM_IS_CONNECTION(connection), FALSE);

    if (!read_page(self, data, secrets, error))
        return FALSE;

    /* keep the setting (vpn.timeout ...); replace its data and secrets; vpn.persistent is the
     * "Reconnect automatically" check box */
    s_vpn = nm_connection_get_setting_vpn(connection);
    if (!s_vpn) {
        s_vpn = NM_SETTING_VPN(nm_setting_vpn_new());
        nm_connection_add_setting(connection, NM_SETTING(s_vpn));
    }
    g_object_set(s_vpn, NM_SETTING_VPN_SERVICE_TYPE, UIP_VPN_SERVICE, NM_SETTING_VPN_PERSISTENT,
                 check_get_active(ui(self, "persistent_check")), NULL);
    nm_setting_vpn_foreach_data_item(s_vpn, table_remove_key, old_data);
    nm_setting_vpn_foreach_secret(s_vpn, table_remove_key, old_secrets);
    for (guint i = 0; i < old_data->len; i++)
        nm_setting_vpn_remove_data_item(s_vpn, old_data->pdata[i]);
    for (guint i = 0; i < old_secrets->len; i++)
        nm_setting_vpn_remove_secret(s_vpn, old_secrets->pdata[i]);

    g_hash_table_iter_init(&iter, data);
    while (g_hash_table_iter_next(&iter, (gpointer *)&key, (gpointer *)&value))
        nm_setting_vpn_add_data_item(s_vpn, key, value);
    g_hash_table_iter_init(&iter, secrets);
    while (g_hash_table_iter_next(&iter, (gpointer *)&key, (gpointer *)&value))
        nm_setting_vpn_add_secret(s_vpn, key, value);
    return TRUE;
}

static void editor_interface_init(NMVpnEditorInterface *iface)
{
    iface->get_widget = get_widget;
    iface->update_connection = update_connection;
}

static void uip_vpn_editor_init(UipVpnEditor *self)
{
}

static void dispose(GObject *object)
{
    UipVpnEditor *self = UIP_VPN_EDITOR(object);

    if (self->host) {
        g_signal_handlers_disconnect_by_func(self->host, on_parent_destroy, self);
        self->host = NULL;
    }
    if (self->advanced) {
        window_destroy(self->advanced);
        g_clear_object(&self->advanced);
    }
    g_clear_object(&self->widget);
    g_clear_object(&self->builder);
    G_OBJECT_CLASS(uip_vpn_editor_parent_class)->dispose(object);
}

static void uip_vpn_editor_class_init(UipVpnEditorClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = dispose;
}

/* ---- the entry point ------------------------------------------------------------------------- */

NMVpnEditor *nm_vpn_editor_factory_uipsec(NMVpnEditorPlugin *editor_plugin,
                                          NMConnection *connection, GError **error)
{
    static gsize initialized;

    g_return_val_if_fail(NM_IS_CONNECTION(connection), NULL);
    g_return_val_if_fail(!error || !*error, NULL);

    if (g_once_init_enter(&initialized)) {
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        /* "ike" and "esp" checked by the service's own proposal parser */
        uip_tunnel_settings_init();
        g_once_init_leave(&initialized, 1);
    }
    return NM_VPN_EDITOR(uip_vpn_editor_new(connection, error));
}
