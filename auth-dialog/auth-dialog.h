/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the parts of nm-uipsec-auth-dialog: main.c (protocol with the
 * secret agent), ad-keyring.c (secrets saved in the Secret Service) and
 * ad-prompt-*.c (asking the user in a window).
 */
#pragma once

#include <glib.h>

#include "common/uip-settings.h"

/* One secret the connection needs. */
struct ad_secret {
    const struct uip_setting *setting; /* its descriptor: key, flags key, human name */
    const char *label;                 /* what to call it (uip_setting_get_prompt_name()) */
    char *value;                       /* known or entered value, NULL = none; wiped on free */
    gboolean ask;                      /* the user should be asked (missing, not saved, reprompt) */
};

/* Wipe the value and free @secret.  NULL is fine. */
void ad_secret_free(struct ad_secret *secret);

/* ---- ad-keyring.c ---------------------------------------------------------------------------- */

/*
 * The secret @key of the VPN connection @uuid as NetworkManager's agents
 * (nm-applet, libnma, GNOME Shell) save it in the Secret Service (schema
 * "org.freedesktop.NetworkManager.Connection", setting-name "vpn"), or NULL
 * when there is none or the service cannot be reached.  Free the result with
 * uip_free_secret_str().
 *
 * Never blocks for long: without a session bus it returns NULL at once, and
 * a lookup that takes longer than a timeout is cancelled; after a failure
 * further lookups return NULL at once.  With @allow_interaction a locked
 * keyring may be unlocked (the Secret Service then prompts the user).
 * Errors are printed on stderr without any secret.
 */
char *ad_keyring_lookup(const char *uuid, const char *key, gboolean allow_interaction);

/* Drop the Secret Service connection, if one was made. */
void ad_keyring_close(void);

/* ---- ad-prompt-gtk.c / ad-prompt-none.c ------------------------------------------------------ */

/*
 * Ask the user, in a window titled @title showing @message, for each secret
 * of @secrets (struct ad_secret *) whose .ask is set, pre-filled with its
 * current value; on OK, replace those values with what was entered (NULL
 * for an empty field) and return TRUE.  FALSE with G_IO_ERROR_CANCELLED when
 * the user cancelled, or another error when no window can be shown (no
 * display, or the dialog was built without GTK).
 */
gboolean ad_prompt(const char *title, const char *message, GPtrArray *secrets, GError **error);
