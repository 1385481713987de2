/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nm-uipsec-service: NetworkManager starts one per VPN connection (with
 * --bus-name org.freedesktop.NetworkManager.uipsec.Connection_N), talks to it
 * over D-Bus, and it runs until NetworkManager lets go of it.
 *
 * Logging: NM_VPN_LOG_LEVEL (a syslog level, as NetworkManager passes it) or
 * --debug; to syslog when NM_VPN_LOG_SYSLOG=1 and a syslog socket exists,
 * else to stderr (which NetworkManager copies into its own log).
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>

#include "common/uip-log.h"
#include "ike/pkcs11-key.h"
#include "ike/pkcs11-signer.h"
#include "service/privileges.h"
#include "service/nm-uipsec-plugin.h"
#include "service/tunnel-settings.h"
#include "service/warm-up.h"

static gboolean on_signal(gpointer loop)
{
    _LOGI("signal received: quitting");
    g_main_loop_quit(loop);
    return G_SOURCE_CONTINUE;
}

static void on_quit(NMVpnServicePlugin *plugin, gpointer loop)
{
    g_main_loop_quit(loop);
}

static int log_level(gboolean debug)
{
    const char *env = g_getenv("NM_VPN_LOG_LEVEL");
    char *end;
    long v;

    if (debug)
        return LOG_DEBUG;
    if (env && *env) {
        v = strtol(env, &end, 10);
        if (!*end && v >= 0 && v <= LOG_DEBUG)
            return (int)v;
    }
    return LOG_NOTICE;
}

static gboolean want_syslog(gboolean debug)
{
    return !debug && g_strcmp0(g_getenv("NM_VPN_LOG_SYSLOG"), "1") == 0 &&
           access("/dev/log", W_OK) == 0;
}

int main(int argc, char **argv)
{
    g_autoptr(GOptionContext) opts = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    g_autoptr(NMUipsecPlugin) plugin = NULL;
    gboolean persist = FALSE, debug = FALSE;
    g_autofree char *bus_name = NULL; /* --bus-name, else UIP_VPN_SERVICE */
    GOptionEntry entries[] = {
        {"persist", 0, 0, G_OPTION_ARG_NONE, &persist, N_("Do not quit when VPN connection terminates"), NULL},
        {"debug", 0, 0, G_OPTION_ARG_NONE, &debug, N_("Enable verbose debug logging (may expose passwords)"), NULL},
        {"bus-name", 0, 0, G_OPTION_ARG_STRING, &bus_name, N_("D-Bus name to use for this instance"), NULL},
        {NULL},
    };

    /* the PKCS#11 signer (ike/pkcs11-signer.h): this binary again, started by the service for
     * a key on a token; root's uid with no capabilities, then seccomp once logged in */
    if (ike_p11_signer_wanted(argc, argv)) {
        uip_log_setup(log_level(FALSE), want_syslog(FALSE), "nm-uipsec-pkcs11-signer");
        return ike_p11_signer_main(uip_privileges_drop_keep_uid, uip_privileges_lock_down);
    }

    /* before GLib starts a thread: each thread has a bounding set of its own */
    char err[256];
    if (uip_privileges_drop_bounding(err, sizeof(err)) < 0) {
        g_printerr("%s\n", err);
        return EXIT_FAILURE;
    }

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");

    opts = g_option_context_new(NULL);
    g_option_context_add_main_entries(opts, entries, GETTEXT_PACKAGE);
    g_option_context_set_summary(opts, _("nm-uipsec-service provides an IKEv2/IPsec VPN with a "
                                         "userspace ESP engine to NetworkManager."));
    if (!g_option_context_parse(opts, &argc, &argv, &error)) {
        g_printerr("%s\n", error->message);
        return EXIT_FAILURE;
    }

    if (!bus_name)
        bus_name = g_strdup(UIP_VPN_SERVICE);
    uip_log_setup(log_level(debug), want_syslog(debug), "nm-uipsec");
    _LOGI("starting as %s", bus_name);
    uip_warm_up_start(persist ? NULL : UIP_SERVICE_USER);
    /* a key on a token is opened and used by a signer process, so that this one, whose GLib
     * threads run already, can drop every right in all of them */
    ike_p11_use_signer("/proc/self/exe");

    uip_tunnel_settings_init(); /* "ike" / "esp" checked by the real parser */
    /* one tunnel per process (supports-multiple-connections: NetworkManager starts one per
     * connection), so it drops its rights for good once the tunnel runs; --persist keeps
     * them, to serve another */
    if (persist)
        _LOGW("--persist: the service keeps its root rights");
    plugin = nm_uipsec_plugin_new(bus_name, persist ? NULL : UIP_SERVICE_USER, &error);
    if (!plugin) {
        _LOGE("cannot start the service: %s", error->message);
        return EXIT_FAILURE;
    }
    loop = g_main_loop_new(NULL, FALSE);
    if (!persist)
        g_signal_connect(plugin, "quit", G_CALLBACK(on_quit), loop);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);

    g_main_loop_run(loop);
    uip_warm_up_wait(); /* a service NetworkManager never asked to connect */

    /* teardown: sends nothing more, removes the TUN device, wipes keys */
    nm_vpn_service_plugin_shutdown(NM_VPN_SERVICE_PLUGIN(plugin));
    g_clear_object(&plugin);
    _LOGI("stopped");
    return EXIT_SUCCESS;
}
