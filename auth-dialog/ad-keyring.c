/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Secrets that NetworkManager's agents keep in the Secret Service (GNOME
 * Keyring, KWallet's bridge, KeePassXC ...) for agent-owned VPN secrets.
 *
 * The schema is the one libnma, nm-applet and GNOME Shell save VPN secrets
 * under; the schema name itself is not matched, as items written by other
 * tools (secret-tool) lack it.  Each lookup runs the default main context
 * until it completes or a timeout cancels it, so a Secret Service that hangs
 * costs at most that long, once.
 */
#include "auth-dialog.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <NetworkManager.h>

#include "common/uip-secret.h"

/* Long enough for the user to type a keyring password when a prompt unlocks it. */
#define KEYRING_TIMEOUT_MS (60 * 1000)

#define ATTR_UUID    "connection-uuid"
#define ATTR_SETTING "setting-name"
#define ATTR_KEY     "setting-key"

static const SecretSchema nm_connection_schema = {
    "org.freedesktop.NetworkManager.Connection",
    SECRET_SCHEMA_DONT_MATCH_NAME,
    {
        {ATTR_UUID, SECRET_SCHEMA_ATTRIBUTE_STRING},
        {ATTR_SETTING, SECRET_SCHEMA_ATTRIBUTE_STRING},
        {ATTR_KEY, SECRET_SCHEMA_ATTRIBUTE_STRING},
        {NULL, 0},
    },
};

/* Set after a failed or timed-out lookup: later ones would fail the same way. */
static gboolean keyring_unusable;
static gboolean keyring_used;

struct lookup {
    GCancellable *cancellable;
    char *secret; /* the result; wiped by the caller */
    GError *error;
    gboolean done;
    gboolean timed_out;
};

/*
 * TRUE when GLib would find a session bus without autolaunching one: GLib's
 * last resort, dbus-launch, may start a bus (or wait for an X server) that
 * no Secret Service lives on.
 */
static gboolean session_bus_configured(void)
{
    const char *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
    g_autofree char *socket = NULL;

    if (address && address[0])
        return TRUE;
    socket = g_build_filename(g_get_user_runtime_dir(), "bus", NULL);
    return g_file_test(socket, G_FILE_TEST_EXISTS);
}

/* The first item's secret as a new string, or NULL (not text, or not loaded). */
static char *item_secret(SecretItem *item)
{
    g_autoptr(SecretValue) value = secret_item_get_secret(item);
    const char *bytes;
    gsize len;

    if (!value)
        return NULL;
    bytes = secret_value_get(value, &len);
    if (!bytes || memchr(bytes, '\0', len) || !g_utf8_validate(bytes, (gssize)len, NULL))
        return NULL;
    return g_strndup(bytes, len);
}

static void search_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    struct lookup *lookup = user_data;
    GList *items = secret_service_search_finish(NULL, result, &lookup->error);

    if (items)
        lookup->secret = item_secret(items->data);
    g_list_free_full(items, g_object_unref);
    lookup->done = TRUE;
    g_main_context_wakeup(NULL);
}

static gboolean search_timeout(gpointer user_data)
{
    struct lookup *lookup = user_data;

    lookup->timed_out = TRUE;
    g_cancellable_cancel(lookup->cancellable);
    return G_SOURCE_REMOVE;
}

char *ad_keyring_lookup(const char *uuid, const char *key, gboolean allow_interaction)
{
    g_autoptr(GHashTable) attrs = NULL;
    g_autoptr(GCancellable) cancellable = NULL;
    struct lookup lookup = {0};
    SecretSearchFlags flags = SECRET_SEARCH_LOAD_SECRETS;
    guint timeout_id;

    g_return_val_if_fail(uuid && key, NULL);

    if (keyring_unusable)
        return NULL;
    if (!session_bus_configured()) {
        g_printerr(_("No session bus: saved secrets cannot be looked up.\n"));
        keyring_unusable = TRUE;
        return NULL;
    }
    if (allow_interaction)
        flags |= SECRET_SEARCH_UNLOCK;

    attrs = secret_attributes_build(&nm_connection_schema, ATTR_UUID, uuid, ATTR_SETTING,
                                    NM_SETTING_VPN_SETTING_NAME, ATTR_KEY, key, NULL);
    cancellable = g_cancellable_new();
    lookup.cancellable = cancellable;
    keyring_used = TRUE;

    secret_service_search(NULL, &nm_connection_schema, attrs, flags, cancellable, search_done,
                          &lookup);
    timeout_id = g_timeout_add(KEYRING_TIMEOUT_MS, search_timeout, &lookup);
    while (!lookup.done)
        g_main_context_iteration(NULL, TRUE);
    if (!lookup.timed_out)
        g_source_remove(timeout_id);

    if (lookup.error) {
        /* key names are not secret; values never reach a message */
        g_printerr(_("Cannot look up the saved secret “%s”: %s\n"), key,
                   lookup.timed_out ? _("the Secret Service did not answer in time")
                                    : lookup.error->message);
        g_clear_error(&lookup.error);
        keyring_unusable = TRUE;
        uip_free_secret_str(g_steal_pointer(&lookup.secret));
    }
    return lookup.secret;
}

void ad_keyring_close(void)
{
    if (keyring_used)
        secret_service_disconnect();
}
