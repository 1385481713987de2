/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The prompt of a build without GTK (-Dgtk=disabled): it can only refuse.
 * Agents that ask themselves (nmcli --ask, GNOME Shell) use --external-ui-mode
 * and never get here.
 */
#include "auth-dialog.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

gboolean ad_prompt(const char *title, const char *message, GPtrArray *secrets, GError **error)
{
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        _("This auth dialog was built without GTK and cannot ask for secrets "
                          "in a window; agents that ask themselves run it with "
                          "--external-ui-mode"));
    return FALSE;
}
