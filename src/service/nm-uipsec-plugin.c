/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NetworkManager side of the service (see nm-uipsec-plugin.h).
 *
 *   NeedSecrets -> need_secrets(): which secrets the auth method still lacks
 *   Connect / ConnectInteractive -> validate every key (uip_settings), resolve
 *     the gateway, start the tunnel; or ask for secrets (interactive)
 *   tunnel established -> Config, Ip4Config, Ip6Config (ip-config.h)
 *   tunnel failed -> Failure(LOGIN_FAILED | CONNECT_FAILED | BAD_IP_CONFIG), stop
 *   logind's PrepareForSleep(false) -> uip_tunnel_resumed() (sleep-watch.h)
 *   Disconnect -> IKE DELETE, then (idle) the TUN device goes, keys are wiped
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "service/nm-uipsec-plugin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "common/uip-log.h"
#include "common/uip-secret.h"
#include "common/uip-settings.h"
#include "ike/cert-auth.h"
#include "service/file-access.h"
#include "service/ip-config.h"
#include "service/privileges.h"
#include "service/sleep-watch.h"
#include "service/tunnel-settings.h"
#include "service/tunnel.h"
#include "service/warm-up.h"

G_STATIC_ASSERT(UIP_SECRET_FLAG_NONE == NM_SETTING_SECRET_FLAG_NONE);
G_STATIC_ASSERT(UIP_SECRET_FLAG_AGENT_OWNED == NM_SETTING_SECRET_FLAG_AGENT_OWNED);
G_STATIC_ASSERT(UIP_SECRET_FLAG_NOT_SAVED == NM_SETTING_SECRET_FLAG_NOT_SAVED);
G_STATIC_ASSERT(UIP_SECRET_FLAG_NOT_REQUIRED == NM_SETTING_SECRET_FLAG_NOT_REQUIRED);

/* How long Disconnect waits for the gateway to confirm the DELETE. */
#define CLOSE_WAIT_MS 2000

struct _NMUipsecPlugin {
    NMVpnServicePlugin parent;
    GHashTable *data;    /* vpn.data of the active connection */
    GHashTable *secrets; /* vpn.secrets; values wiped when freed */
    struct uip_file_owners owners; /* whose rights the connection's files are read with */
    struct uip_tunnel *tunnel;
    struct uip_sleep_watch *sleep; /* logind: the machine woke up */
    struct sockaddr_storage gateway;
    socklen_t gateway_len;
    GCancellable *resolving;
    guint close_wait;
    guint teardown;
    gboolean established;
    gboolean gateway_moved; /* redirected: NetworkManager needs the new external gateway */
    char *service_user;     /* who we become once the tunnel runs; NULL: keep our rights */
};

G_DEFINE_TYPE(NMUipsecPlugin, nm_uipsec_plugin, NM_TYPE_VPN_SERVICE_PLUGIN)

/* ---- settings --------------------------------------------------------------------------------- */

static void copy_item(const char *key, const char *value, gpointer table)
{
    g_hash_table_insert(table, g_strdup(key), g_strdup(value));
}

static void free_secret_value(gpointer p)
{
    uip_free_secret_str(p);
}

static GHashTable *new_secrets_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_secret_value);
}

/* vpn.data and vpn.secrets of @connection as two string tables; FALSE without a VPN setting. */
static gboolean read_settings(NMConnection *connection, GHashTable **data, GHashTable **secrets,
                              GError **error)
{
    NMSettingVpn *s_vpn = nm_connection_get_setting_vpn(connection);

    if (!s_vpn) {
        g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION,
                            _("The connection has no VPN setting"));
        return FALSE;
    }
    *data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    *secrets = new_secrets_table();
    nm_setting_vpn_foreach_data_item(s_vpn, copy_item, *data);
    nm_setting_vpn_foreach_secret(s_vpn, copy_item, *secrets);
    return TRUE;
}

static void clear_settings(NMUipsecPlugin *self)
{
    g_clear_pointer(&self->data, g_hash_table_unref);
    g_clear_pointer(&self->secrets, g_hash_table_unref); /* wipes the values */
    uip_file_owners_clear(&self->owners);
}

/* ---- tearing down ----------------------------------------------------------------------------- */

static gboolean do_teardown(gpointer user)
{
    NMUipsecPlugin *self = user;

    self->teardown = 0;
    g_clear_handle_id(&self->close_wait, g_source_remove);
    g_clear_pointer(&self->sleep, uip_sleep_watch_free);
    g_clear_pointer(&self->tunnel, uip_tunnel_free); /* removes the TUN device, wipes keys */
    clear_settings(self);
    self->established = FALSE;
    return G_SOURCE_REMOVE;
}

/* Free the tunnel from an idle source: we may be inside one of its callbacks. */
static void schedule_teardown(NMUipsecPlugin *self)
{
    if (!self->teardown)
        self->teardown = g_idle_add(do_teardown, self);
}

static NMVpnPluginFailure failure_of(enum ike_failure reason)
{
    switch (reason) {
    case IKE_FAIL_AUTH:
        return NM_VPN_PLUGIN_FAILURE_LOGIN_FAILED;
    case IKE_FAIL_CONFIG:
        return NM_VPN_PLUGIN_FAILURE_BAD_IP_CONFIG;
    default:
        return NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED;
    }
}

static void fail(NMUipsecPlugin *self, NMVpnPluginFailure failure, const char *message)
{
    _LOGE("connection failed: %s", message);
    schedule_teardown(self);
    nm_vpn_service_plugin_failure(NM_VPN_SERVICE_PLUGIN(self), failure);
}

/* ---- tunnel events ---------------------------------------------------------------------------- */

/* What the reports to NetworkManager are made of. */
static struct uip_report_input report_input(NMUipsecPlugin *self, const struct ike_established *info)
{
    guint mtu = uip_settings_get_uint(self->data, UIP_KEY_MTU);

    return (struct uip_report_input){
        .info = info,
        .tundev = uip_tunnel_tun_name(self->tunnel),
        .mtu = mtu ? mtu : uip_tunnel_mtu(self->tunnel),
        .gateway = (const struct sockaddr *)&self->gateway,
    };
}

/* Hand NetworkManager the IPv4 and IPv6 configuration, for the families we have. */
static void report_ip_config(NMUipsecPlugin *self, const struct uip_report_input *in)
{
    NMVpnServicePlugin *plugin = NM_VPN_SERVICE_PLUGIN(self);
    GVariant *ip4 = uip_report_ip4(in), *ip6 = uip_report_ip6(in);

    if (ip4)
        nm_vpn_service_plugin_set_ip4_config(plugin, ip4);
    if (ip6)
        nm_vpn_service_plugin_set_ip6_config(plugin, ip6);
}

static void on_established(void *user, const struct ike_established *info)
{
    NMUipsecPlugin *self = user;
    struct uip_report_input in = report_input(self, info);

    if (self->established)
        return;
    if (!info->has_vip4 && !info->has_vip6) {
        fail(self, NM_VPN_PLUGIN_FAILURE_BAD_IP_CONFIG,
             "the gateway assigned no virtual IPv4 or IPv6 address (request one with "
             "virtual-ipv4=yes or virtual-ipv6=yes, and give the gateway a pool)");
        return;
    }
    self->established = TRUE;
    _LOGI("tunnel up on %s: IKE %s, ESP %s", in.tundev, info->ike_proposal, info->esp_proposal);
    nm_vpn_service_plugin_set_config(NM_VPN_SERVICE_PLUGIN(self), uip_report_config(&in));
    report_ip_config(self, &in);
}

/* A new IKE SA replaced the old (reauthentication, or a restart after the
 * gateway stopped answering).  With new virtual addresses NetworkManager
 * gets the new IP configuration. */
static void on_reestablished(void *user, const struct ike_established *info, bool same,
                             bool restarted)
{
    NMUipsecPlugin *self = user;
    struct uip_report_input in = report_input(self, info);

    _LOGI("%s: IKE %s, ESP %s%s", restarted ? "re-established" : "reauthenticated",
          info->ike_proposal, info->esp_proposal, same ? "" : "; new virtual addresses");
    if (self->gateway_moved) {
        /* another gateway (RFC 5685 redirect): its address for NetworkManager's host route */
        self->gateway_moved = FALSE;
        nm_vpn_service_plugin_set_config(NM_VPN_SERVICE_PLUGIN(self), uip_report_config(&in));
        report_ip_config(self, &in);
    } else if (!same) {
        report_ip_config(self, &in);
    }
}

static void on_failed(void *user, enum ike_failure reason, const char *message)
{
    NMUipsecPlugin *self = user;

    _LOGW("IKE failure (%s)", ike_failure_name(reason));
    fail(self, failure_of(reason), message);
}

static void on_closed(void *user)
{
    NMUipsecPlugin *self = user;

    _LOGI("IKE SA deleted");
    schedule_teardown(self);
}

static void on_child_rekeyed(void *user, const struct ike_child *c)
{
    _LOGI("CHILD_SA rekeyed: SPIs in %08x out %08x", c->in.spi, c->out.spi);
}

static void on_ike_rekeyed(void *user, const char *proposal)
{
    _LOGI("IKE SA rekeyed: %s", proposal);
}

static void on_redirected(void *user, const struct sockaddr *gw, socklen_t len)
{
    NMUipsecPlugin *self = user;

    if (len > sizeof(self->gateway))
        return;
    memcpy(&self->gateway, gw, len);
    self->gateway_len = len;
    self->gateway_moved = self->established;
}

static void on_resumed(void *user)
{
    NMUipsecPlugin *self = user;

    if (self->tunnel)
        uip_tunnel_resumed(self->tunnel);
}

static const struct uip_tunnel_callbacks tunnel_callbacks = {
    .established = on_established,
    .failed = on_failed,
    .closed = on_closed,
    .child_rekeyed = on_child_rekeyed,
    .ike_rekeyed = on_ike_rekeyed,
    .reestablished = on_reestablished,
    .redirected = on_redirected,
};

/* ---- connecting ------------------------------------------------------------------------------- */

static gboolean start_tunnel(NMUipsecPlugin *self, GError **error)
{
    struct uip_tunnel_params p;
    char err[256] = "";
    int r;

    uip_warm_up_wait();
    if (!uip_tunnel_params_from_settings(self->data, self->secrets,
                                         (const struct sockaddr *)&self->gateway,
                                         self->gateway_len, &p, error) ||
        !uip_tunnel_params_load_files(&p, &self->owners, error))
        return FALSE;
    r = uip_tunnel_new(&p, &tunnel_callbacks, self, &self->tunnel, err, sizeof(err));
    uip_tunnel_params_unload_files(&p); /* the tunnel holds its own references */
    /* the session copied what it needs: drop our copies of the secrets now */
    g_hash_table_remove_all(self->secrets);
    if (r == 0) {
        r = uip_tunnel_start(self->tunnel, err, sizeof(err));
        if (r < 0)
            g_clear_pointer(&self->tunnel, uip_tunnel_free);
    }
    if (r < 0) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR,
                    r == -EINVAL ? NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS
                                 : NM_VPN_PLUGIN_ERROR_LAUNCH_FAILED,
                    _("Cannot start the tunnel: %s"), err);
        return FALSE;
    }
    /* the system bus NetworkManager talks to us on; without one (tests), no watch */
    g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
    self->sleep = uip_sleep_watch_new(bus, on_resumed, self);
    /* the TUN device, the sockets and the files are ours: nothing more needs root */
    /* (a key on a token signs in the signer process, which keeps uid 0: privileges.c) */
    if (self->service_user && uip_privileges_drop(self->service_user, err, sizeof(err)) < 0) {
        g_clear_pointer(&self->sleep, uip_sleep_watch_free);
        g_clear_pointer(&self->tunnel, uip_tunnel_free);
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_LAUNCH_FAILED,
                    _("Cannot drop the service’s privileges: %s"), err);
        return FALSE;
    }
    return TRUE;
}

static void resolved(GObject *source, GAsyncResult *res, gpointer user)
{
    NMUipsecPlugin *self = user;
    g_autoptr(GError) error = NULL;
    GList *addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(source), res, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    g_clear_object(&self->resolving);
    if (!addrs) {
        g_autofree char *m = g_strdup_printf("cannot resolve the gateway “%s”: %s",
                                             uip_settings_get_string(self->data, UIP_KEY_GATEWAY),
                                             error->message);
        fail(self, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED, m);
        return;
    }
    /* the resolver sorts by RFC 6724 preference: take the first */
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addrs->data, 0);
    g_resolver_free_addresses(addrs);
    self->gateway_len = (socklen_t)g_socket_address_get_native_size(sa);
    g_socket_address_to_native(sa, &self->gateway, sizeof(self->gateway), NULL);
    _LOGI("gateway %s resolved", uip_settings_get_string(self->data, UIP_KEY_GATEWAY));
    if (!start_tunnel(self, &error))
        fail(self, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED, error->message);
}

static gboolean load_connection(NMUipsecPlugin *self, NMConnection *connection, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (self->tunnel || self->resolving) {
        g_set_error_literal(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_ALREADY_STARTED,
                            _("The VPN connection is already active"));
        return FALSE;
    }
    clear_settings(self);
    if (!read_settings(connection, &self->data, &self->secrets, error) ||
        !uip_file_owners_from_connection(connection, &self->owners, error)) {
        clear_settings(self);
        return FALSE;
    }
    if (!uip_settings_validate(self->data, self->secrets, &local)) {
        _LOGE("invalid connection: %s", local->message);
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                    _("Invalid VPN connection: %s"), local->message);
        clear_settings(self);
        return FALSE;
    }
    return TRUE;
}

static gboolean begin(NMUipsecPlugin *self, GError **error)
{
    if (uip_gateway_literal(self->data, &self->gateway, &self->gateway_len)) {
        if (!start_tunnel(self, error)) {
            _LOGE("%s", (*error)->message);
            clear_settings(self);
            return FALSE;
        }
        return TRUE;
    }
    self->resolving = g_cancellable_new();
    g_resolver_lookup_by_name_async(g_resolver_get_default(),
                                    uip_settings_get_string(self->data, UIP_KEY_GATEWAY),
                                    self->resolving, resolved, self);
    return TRUE;
}

static gboolean missing_secrets(NMUipsecPlugin *self, GError **error)
{
    g_auto(GStrv) needed = uip_settings_secrets_needed(self->data, self->secrets,
                                                       uip_file_owners_reader(&self->owners));

    if (!needed[0])
        return FALSE;
    g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                _("Missing secret “%s” (%s)"), needed[0],
                uip_setting_get_name(uip_settings_lookup(needed[0])));
    _LOGE("%s", (*error)->message);
    clear_settings(self);
    return TRUE;
}

static gboolean real_connect(NMVpnServicePlugin *plugin, NMConnection *connection, GError **error)
{
    NMUipsecPlugin *self = NM_UIPSEC_PLUGIN(plugin);

    if (!load_connection(self, connection, error) || missing_secrets(self, error))
        return FALSE;
    return begin(self, error);
}

static gboolean real_connect_interactive(NMVpnServicePlugin *plugin, NMConnection *connection,
                                         GVariant *details, GError **error)
{
    NMUipsecPlugin *self = NM_UIPSEC_PLUGIN(plugin);
    g_auto(GStrv) needed = NULL;

    if (!load_connection(self, connection, error))
        return FALSE;
    needed = uip_settings_secrets_needed(self->data, self->secrets,
                                         uip_file_owners_reader(&self->owners));
    if (needed[0]) {
        /* NewSecrets() continues with what the agent gives */
        _LOGI("asking for secret “%s”", needed[0]);
        nm_vpn_service_plugin_secrets_required(plugin, _("A secret is needed to connect"),
                                               (const char **)needed);
        return TRUE;
    }
    return begin(self, error);
}

static gboolean real_new_secrets(NMVpnServicePlugin *plugin, NMConnection *connection,
                                 GError **error)
{
    NMUipsecPlugin *self = NM_UIPSEC_PLUGIN(plugin);

    clear_settings(self);
    if (!load_connection(self, connection, error) || missing_secrets(self, error))
        return FALSE;
    return begin(self, error);
}

static gboolean real_need_secrets(NMVpnServicePlugin *plugin, NMConnection *connection,
                                  const char **setting_name, GError **error)
{
    g_autoptr(GHashTable) data = NULL, secrets = NULL;
    g_auto(GStrv) needed = NULL;
    struct uip_file_owners owners = {0};

    if (!read_settings(connection, &data, &secrets, error) ||
        !uip_file_owners_from_connection(connection, &owners, error))
        return FALSE;
    /* whether the key file is encrypted: read as the connection's user, like at connect */
    needed = uip_settings_secrets_needed(data, secrets, uip_file_owners_reader(&owners));
    uip_file_owners_clear(&owners);
    if (!needed[0])
        return FALSE;
    _LOGD("secret “%s” needed", needed[0]);
    *setting_name = NM_SETTING_VPN_SETTING_NAME;
    return TRUE;
}

/* ---- disconnecting ---------------------------------------------------------------------------- */

static gboolean on_close_wait(gpointer user)
{
    NMUipsecPlugin *self = user;

    self->close_wait = 0;
    _LOGW("the gateway did not confirm the DELETE in time");
    schedule_teardown(self);
    return G_SOURCE_REMOVE;
}

static gboolean real_disconnect(NMVpnServicePlugin *plugin, GError **error)
{
    NMUipsecPlugin *self = NM_UIPSEC_PLUGIN(plugin);

    if (self->resolving) {
        g_cancellable_cancel(self->resolving);
        g_clear_object(&self->resolving);
    }
    if (self->tunnel && !self->teardown && !self->close_wait) {
        _LOGI("disconnecting: sending DELETE");
        uip_tunnel_close(self->tunnel);
        self->close_wait = g_timeout_add(CLOSE_WAIT_MS, on_close_wait, self);
    } else {
        schedule_teardown(self);
    }
    return TRUE;
}

/* ---- object ----------------------------------------------------------------------------------- */

static void nm_uipsec_plugin_init(NMUipsecPlugin *self)
{
}

static void dispose(GObject *object)
{
    NMUipsecPlugin *self = NM_UIPSEC_PLUGIN(object);

    if (self->resolving) {
        g_cancellable_cancel(self->resolving);
        g_clear_object(&self->resolving);
    }
    g_clear_handle_id(&self->teardown, g_source_remove);
    do_teardown(self);
    g_clear_pointer(&self->service_user, g_free);
    G_OBJECT_CLASS(nm_uipsec_plugin_parent_class)->dispose(object);
}

static void nm_uipsec_plugin_class_init(NMUipsecPluginClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    NMVpnServicePluginClass *plugin_class = NM_VPN_SERVICE_PLUGIN_CLASS(klass);

    object_class->dispose = dispose;
    plugin_class->connect = real_connect;
    plugin_class->connect_interactive = real_connect_interactive;
    plugin_class->need_secrets = real_need_secrets;
    plugin_class->new_secrets = real_new_secrets;
    plugin_class->disconnect = real_disconnect;
}

NMUipsecPlugin *nm_uipsec_plugin_new(const char *bus_name, const char *service_user,
                                     GError **error)
{
    NMUipsecPlugin *self =
        g_initable_new(NM_TYPE_UIPSEC_PLUGIN, NULL, error, NM_VPN_SERVICE_PLUGIN_DBUS_SERVICE_NAME,
                       bus_name, NM_VPN_SERVICE_PLUGIN_DBUS_WATCH_PEER, TRUE, NULL);

    if (self)
        self->service_user = g_strdup(service_user);
    return self;
}
