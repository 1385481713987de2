/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logind's PrepareForSleep(false) reaches the tunnel (src/service/sleep-watch.c),
 * on a private bus (GTestDBus) where a second connection plays logind: it owns
 * org.freedesktop.login1 and emits the signal.  Going to sleep (true) and the
 * same signal from a connection that does not own the name are not taken.
 */
#include <gio/gio.h>

#include "service/sleep-watch.h"

static void on_resumed(void *user)
{
    (*(unsigned *)user)++;
}

static void emit(GDBusConnection *c, gboolean sleeping)
{
    g_assert_true(g_dbus_connection_emit_signal(c, NULL, "/org/freedesktop/login1",
                                                "org.freedesktop.login1.Manager",
                                                "PrepareForSleep",
                                                g_variant_new("(b)", sleeping), NULL));
    g_assert_true(g_dbus_connection_flush_sync(c, NULL, NULL));
}

/* Run the context until @n reaches @want or 2 s passed. */
static void wait_for(unsigned *n, unsigned want)
{
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

    while (*n < want && g_get_monotonic_time() < end)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(1000);
}

static void settle(void)
{
    gint64 end = g_get_monotonic_time() + 200 * 1000;

    while (g_get_monotonic_time() < end)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(1000);
}

static GDBusConnection *connect_to(GTestDBus *bus)
{
    GDBusConnection *c = g_dbus_connection_new_for_address_sync(
        g_test_dbus_get_bus_address(bus),
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, NULL);
    g_assert_nonnull(c);
    return c;
}

static void test_resume(void)
{
    g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
    unsigned resumed = 0;

    g_test_dbus_up(bus);
    GDBusConnection *service = connect_to(bus);
    GDBusConnection *logind = connect_to(bus);
    GDBusConnection *other = connect_to(bus);
    g_autoptr(GVariant) r = g_dbus_connection_call_sync(
        logind, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "RequestName", g_variant_new("(su)", "org.freedesktop.login1", 4 /* DO_NOT_QUEUE */),
        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
    g_assert_nonnull(r);

    struct uip_sleep_watch *w = uip_sleep_watch_new(service, on_resumed, &resumed);
    g_assert_nonnull(w);
    settle(); /* the match rule is in place */

    emit(logind, TRUE); /* going to sleep: nothing */
    emit(other, FALSE); /* not logind: nothing */
    settle();
    g_assert_cmpuint(resumed, ==, 0);
    emit(logind, FALSE);
    wait_for(&resumed, 1);
    g_assert_cmpuint(resumed, ==, 1);
    emit(logind, FALSE);
    wait_for(&resumed, 2);
    g_assert_cmpuint(resumed, ==, 2);

    uip_sleep_watch_free(w);
    emit(logind, FALSE); /* freed: no callback */
    settle();
    g_assert_cmpuint(resumed, ==, 2);
    g_assert_null(uip_sleep_watch_new(NULL, on_resumed, &resumed));

    g_object_unref(other);
    g_object_unref(logind);
    g_object_unref(service);
    g_test_dbus_down(bus);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sleep-watch/resume", test_resume);
    return g_test_run();
}
