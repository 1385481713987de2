/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Asking the user in a GTK 3 window: libnma's NMAVpnPasswordDialog (the look
 * of every other NetworkManager VPN plugin) when libnma was found and at
 * most three secrets are asked, otherwise a plain GtkDialog with one
 * password entry per secret.  GTK is initialised here, only when a window is
 * really needed, so the external UI mode and the tests need no display.
 */
#include "auth-dialog.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>
#if HAVE_LIBNMA
#include <nma-vpn-password-dialog.h>
#endif

#include "common/uip-secret.h"

/* "Pre-shared key:" */
static char *entry_label(const struct ad_secret *secret)
{
    /* TRANSLATORS: the label of a password entry; %s is the secret's name ("Password") */
    return g_strdup_printf(_("%s:"), secret->label);
}

/* Replace @secret's value by @text from an entry; an empty entry gives no value. */
static void take_entry_text(struct ad_secret *secret, const char *text)
{
    uip_free_secret_str(g_steal_pointer(&secret->value));
    if (text && text[0])
        secret->value = g_strdup(text);
}

#if HAVE_LIBNMA
/* The dialog's three password entries, first to last. */
static const struct {
    void (*show)(NMAVpnPasswordDialog *dialog, gboolean show);
    void (*set_label)(NMAVpnPasswordDialog *dialog, const char *label);
    void (*set)(NMAVpnPasswordDialog *dialog, const char *password);
    const char *(*get)(NMAVpnPasswordDialog *dialog);
} nma_entries[] = {
    {nma_vpn_password_dialog_set_show_password, nma_vpn_password_dialog_set_password_label,
     nma_vpn_password_dialog_set_password, nma_vpn_password_dialog_get_password},
    {nma_vpn_password_dialog_set_show_password_secondary,
     nma_vpn_password_dialog_set_password_secondary_label,
     nma_vpn_password_dialog_set_password_secondary,
     nma_vpn_password_dialog_get_password_secondary},
    {nma_vpn_password_dialog_set_show_password_ternary,
     nma_vpn_password_dialog_set_password_ternary_label,
     nma_vpn_password_dialog_set_password_ternary, nma_vpn_password_dialog_get_password_ternary},
};

static gboolean prompt_nma(const char *title, const char *message, GPtrArray *asked)
{
    NMAVpnPasswordDialog *dialog;
    gboolean ok;

    dialog = NMA_VPN_PASSWORD_DIALOG(nma_vpn_password_dialog_new(title, message, NULL));
    for (guint i = 0; i < G_N_ELEMENTS(nma_entries); i++) {
        struct ad_secret *secret = i < asked->len ? asked->pdata[i] : NULL;

        nma_entries[i].show(dialog, secret != NULL);
        if (secret) {
            g_autofree char *label = entry_label(secret);

            nma_entries[i].set_label(dialog, label);
            nma_entries[i].set(dialog, secret->value ? secret->value : "");
        }
    }
    gtk_widget_show(GTK_WIDGET(dialog));
    ok = nma_vpn_password_dialog_run_and_block(dialog);
    for (guint i = 0; ok && i < asked->len; i++)
        take_entry_text(asked->pdata[i], nma_entries[i].get(dialog));
    gtk_widget_destroy(GTK_WIDGET(dialog));
    return ok;
}
#endif

static gboolean prompt_plain(const char *title, const char *message, GPtrArray *asked)
{
    g_autofree GtkWidget **entries = g_new0(GtkWidget *, asked->len);
    GtkWidget *dialog, *content, *grid, *label;
    gboolean ok;

    dialog = gtk_dialog_new_with_buttons(title, NULL, GTK_DIALOG_MODAL, _("_Cancel"),
                                         GTK_RESPONSE_CANCEL, _("_OK"), GTK_RESPONSE_OK, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
    gtk_window_set_icon_name(GTK_WINDOW(dialog), "dialog-password");
    content = gtk_dialog_get_content_area(GTK_DIALOG(dialog));
    gtk_container_set_border_width(GTK_CONTAINER(content), 12);
    gtk_box_set_spacing(GTK_BOX(content), 12);

    label = gtk_label_new(message);
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(label), 50);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_container_add(GTK_CONTAINER(content), label);

    grid = gtk_grid_new();
    gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
    gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
    gtk_container_add(GTK_CONTAINER(content), grid);
    for (guint i = 0; i < asked->len; i++) {
        struct ad_secret *secret = asked->pdata[i];
        g_autofree char *text = entry_label(secret);

        label = gtk_label_new(text);
        gtk_label_set_xalign(GTK_LABEL(label), 1);
        entries[i] = gtk_entry_new();
        gtk_entry_set_visibility(GTK_ENTRY(entries[i]), FALSE);
        gtk_entry_set_activates_default(GTK_ENTRY(entries[i]), TRUE);
        gtk_entry_set_input_purpose(GTK_ENTRY(entries[i]), GTK_INPUT_PURPOSE_PASSWORD);
        gtk_widget_set_hexpand(entries[i], TRUE);
        gtk_entry_set_text(GTK_ENTRY(entries[i]), secret->value ? secret->value : "");
        gtk_grid_attach(GTK_GRID(grid), label, 0, (int)i, 1, 1);
        gtk_grid_attach(GTK_GRID(grid), entries[i], 1, (int)i, 1, 1);
    }
    gtk_widget_show_all(dialog);
    gtk_window_present(GTK_WINDOW(dialog));

    ok = gtk_dialog_run(GTK_DIALOG(dialog)) == GTK_RESPONSE_OK;
    for (guint i = 0; ok && i < asked->len; i++)
        take_entry_text(asked->pdata[i], gtk_entry_get_text(GTK_ENTRY(entries[i])));
    gtk_widget_destroy(dialog);
    return ok;
}

gboolean ad_prompt(const char *title, const char *message, GPtrArray *secrets, GError **error)
{
    g_autoptr(GPtrArray) asked = g_ptr_array_new();
    gboolean ok;

    for (guint i = 0; i < secrets->len; i++) {
        struct ad_secret *secret = secrets->pdata[i];

        if (secret->ask)
            g_ptr_array_add(asked, secret);
    }
    if (!asked->len)
        return TRUE;

    if (!gtk_init_check(NULL, NULL)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            _("Cannot open a window to ask for the secrets (no display)"));
        return FALSE;
    }

#if HAVE_LIBNMA
    if (asked->len <= G_N_ELEMENTS(nma_entries))
        ok = prompt_nma(title, message, asked);
    else
#endif
        ok = prompt_plain(title, message, asked);

    if (!ok)
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled by the user"));
    return ok;
}
