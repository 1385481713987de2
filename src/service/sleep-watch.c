/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flow: a signal subscription on the bus, for PrepareForSleep from the name
 * org.freedesktop.login1 (the bus daemon matches the name's owner) ->
 * argument false (waking up; true is going to sleep, when there is nothing
 * to do: the tunnel cannot stop the sleep) -> resumed().
 */
#include "service/sleep-watch.h"

#include "common/uip-log.h"

#define LOGIND_NAME      "org.freedesktop.login1"
#define LOGIND_PATH      "/org/freedesktop/login1"
#define LOGIND_INTERFACE "org.freedesktop.login1.Manager"

struct uip_sleep_watch {
    GDBusConnection *bus;
    guint sub;
    void (*resumed)(void *user);
    void *user;
};

static void on_signal(GDBusConnection *bus, const char *sender, const char *path,
                      const char *interface, const char *member, GVariant *params, gpointer data)
{
    struct uip_sleep_watch *w = data;
    gboolean sleeping;

    if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(b)")))
        return;
    g_variant_get(params, "(b)", &sleeping);
    if (sleeping)
        return;
    _LOGI("the machine woke up (logind)");
    w->resumed(w->user);
}

struct uip_sleep_watch *uip_sleep_watch_new(GDBusConnection *bus, void (*resumed)(void *user),
                                            void *user)
{
    if (!bus)
        return NULL;
    struct uip_sleep_watch *w = g_new0(struct uip_sleep_watch, 1);
    w->bus = g_object_ref(bus);
    w->resumed = resumed;
    w->user = user;
    w->sub = g_dbus_connection_signal_subscribe(bus, LOGIND_NAME, LOGIND_INTERFACE,
                                                "PrepareForSleep", LOGIND_PATH, NULL,
                                                G_DBUS_SIGNAL_FLAGS_NONE, on_signal, w, NULL);
    return w;
}

void uip_sleep_watch_free(struct uip_sleep_watch *w)
{
    if (!w)
        return;
    g_dbus_connection_signal_unsubscribe(w->bus, w->sub);
    g_object_unref(w->bus);
    g_free(w);
}
