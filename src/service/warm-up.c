/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "service/warm-up.h"

#include <glib.h>

#include "common/uip-log.h"
#include "ike/ike-crypto.h"
#include "service/privileges.h"

static GThread *thread;

static gpointer run(gpointer data)
{
    g_autofree char *user = data;

    ike_crypto_warm_up();
    if (user)
        uip_privileges_prepare(user);
    return NULL;
}

void uip_warm_up_start(const char *user)
{
    g_autoptr(GError) error = NULL;

    if (thread)
        return;
    thread = g_thread_try_new("uip-warm-up", run, g_strdup(user), &error);
    if (!thread)
        _LOGD("warm-up thread not started: %s", error->message); /* only slower */
}

void uip_warm_up_wait(void)
{
    if (thread)
        g_thread_join(g_steal_pointer(&thread));
}
