/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uip-ike-client: our IKEv2 initiator and ESP engine without NetworkManager,
 * for the interop tests.  Reports (never applies) addresses and routes, one
 * event per line on stdout.  See docs/uip-ike-client.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>

#include "common/uip-log.h"
#include "common/uip-secret.h"
#include "common/uip-pkcs11-uri.h"
#include "common/uip-settings.h"
#include "ike/cert-auth.h"
#include "ike/pkcs11-key.h"
#include "ike/pkcs11-signer.h"
#include "service/tunnel-settings.h"
#include "service/tunnel.h"

static GMainLoop *loop;
static struct uip_tunnel *tunnel;
static int exit_code;
static const char *gateway_text;

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, s, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof(*in);
        return 0;
    }
    if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return 0;
    }
    return -EINVAL;
}

static void append_ts(GString *s, const char *key, const struct uip_ts *ts, unsigned n)
{
    char buf[128];

    g_string_append_printf(s, " %s=", key);
    for (unsigned i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", uip_ts_to_string(&ts[i], buf, sizeof(buf)));
}

/* ---- session callbacks ---------------------------------------------------------- */

static void cb_established(void *user, const struct ike_established *in)
{
    g_autoptr(GString) s = g_string_new("established");
    char buf[INET6_ADDRSTRLEN];
    const struct ike_child *c = in->child;

    g_string_append_printf(s, " tun=%s mtu=%u gateway=%s", uip_tunnel_tun_name(tunnel),
                           uip_tunnel_mtu(tunnel), gateway_text);
    if (in->has_vip4)
        g_string_append_printf(s, " vip4=%s", inet_ntop(AF_INET, in->vip4, buf, sizeof(buf)));
    if (in->has_vip6)
        g_string_append_printf(s, " vip6=%s", inet_ntop(AF_INET6, in->vip6, buf, sizeof(buf)));
    for (unsigned i = 0; i < in->n_dns4; i++)
        g_string_append_printf(s, "%s%s", i ? "," : " dns4=",
                               inet_ntop(AF_INET, in->dns4[i], buf, sizeof(buf)));
    for (unsigned i = 0; i < in->n_dns6; i++)
        g_string_append_printf(s, "%s%s", i ? "," : " dns6=",
                               inet_ntop(AF_INET6, in->dns6[i], buf, sizeof(buf)));
    if (in->domains && in->domains[0]) {
        g_autofree char *d = g_strjoinv(",", in->domains);
        g_string_append_printf(s, " domains=%s", d);
    }
    if (in->n_subnets)
        append_ts(s, "subnets", in->subnets, in->n_subnets);
    append_ts(s, "local-ts", c->local_ts, c->n_local_ts);
    append_ts(s, "remote-ts", c->remote_ts, c->n_remote_ts);
    g_string_append_printf(s, " ike=%s esp=%s spi-in=%08x spi-out=%08x", in->ike_proposal,
                           in->esp_proposal, c->in.spi, c->out.spi);
    printf("%s\n", s->str);
    fflush(stdout);
}

static void cb_child_rekeyed(void *user, const struct ike_child *c)
{
    printf("child-rekeyed spi-in=%08x spi-out=%08x\n", c->in.spi, c->out.spi);
    fflush(stdout);
}

static void cb_ike_rekeyed(void *user, const char *proposal)
{
    printf("ike-rekeyed ike=%s\n", proposal);
    fflush(stdout);
}

static void cb_reestablished(void *user, const struct ike_established *in, bool same,
                             bool restarted)
{
    char buf[INET6_ADDRSTRLEN];

    printf("%s same-addresses=%s", restarted ? "restarted" : "reauthenticated", same ? "yes" : "no");
    if (in->has_vip4)
        printf(" vip4=%s", inet_ntop(AF_INET, in->vip4, buf, sizeof(buf)));
    if (in->has_vip6)
        printf(" vip6=%s", inet_ntop(AF_INET6, in->vip6, buf, sizeof(buf)));
    printf(" ike=%s spi-in=%08x spi-out=%08x\n", in->ike_proposal, in->child->in.spi,
           in->child->out.spi);
    fflush(stdout);
}

static void cb_redirected(void *user, const struct sockaddr *gw, socklen_t len)
{
    char buf[INET6_ADDRSTRLEN] = "?";
    const void *a = gw->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)gw)->sin_addr
                                             : (const void *)&((const struct sockaddr_in6 *)gw)->sin6_addr;

    inet_ntop(gw->sa_family, a, buf, sizeof(buf));
    printf("redirected gateway=%s\n", buf);
    fflush(stdout);
}

static void cb_failed(void *user, enum ike_failure reason, const char *message)
{
    g_autofree char *m = g_strdup(message);
    g_strdelimit(m, " \t\n", '_');
    printf("failed reason=%s message=%s\n", ike_failure_name(reason), m);
    fflush(stdout);
    exit_code = 1;
    g_main_loop_quit(loop);
}

static void cb_closed(void *user)
{
    printf("closed\n");
    fflush(stdout);
    g_main_loop_quit(loop);
}

static void hex(GString *s, const char *key, const uint8_t *p, size_t n)
{
    g_string_append_printf(s, " %s=", key);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(s, "%02x", p[i]);
}

static void cb_debug_keys(void *user, uint64_t spi_i, uint64_t spi_r, const char *encr,
                          const char *integ, const uint8_t *ei, const uint8_t *er, size_t e_len,
                          const uint8_t *ai, const uint8_t *ar, size_t a_len)
{
    if (g_strcmp0(g_getenv("UIP_IKE_DEBUG_KEYS"), "1") != 0)
        return;
    g_autoptr(GString) s = g_string_new("ike-keys");
    g_string_append_printf(s, " spi-i=%016" G_GINT64_MODIFIER "x spi-r=%016" G_GINT64_MODIFIER "x",
                           spi_i, spi_r);
    hex(s, "sk-ei", ei, e_len);
    hex(s, "sk-er", er, e_len);
    hex(s, "sk-ai", ai, a_len);
    hex(s, "sk-ar", ar, a_len);
    g_string_append_printf(s, " encr=%s integ=%s", encr ? encr : "?", integ ? integ : "none");
    printf("%s\n", s->str);
    fflush(stdout);
}

/* ---- I/O and signals ---------------------------------------------------------------- */

static gboolean on_usr1(gpointer data)
{
    struct uip_engine_stats st;

    uip_engine_stats(uip_tunnel_engine(tunnel), &st);
    g_autofree char *s = uip_engine_stats_to_string(&st);
    printf("stats %s\n", s);
    fflush(stdout);
    return G_SOURCE_CONTINUE;
}

static gboolean on_usr2(gpointer data)
{
    uip_tunnel_rekey_child(tunnel);
    return G_SOURCE_CONTINUE;
}

static gboolean on_hup(gpointer data)
{
    uip_tunnel_rekey_ike(tunnel);
    return G_SOURCE_CONTINUE;
}

static gboolean on_give_up(gpointer data)
{
    printf("closed\n");
    fflush(stdout);
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_term(gpointer data)
{
    uip_tunnel_close(tunnel);
    g_timeout_add_seconds(5, on_give_up, NULL);
    return G_SOURCE_CONTINUE;
}

/* Keys of the [ike] group that are not connection settings. */
static const char *const tool_keys[] = {"local", "tun", "retransmit-tries", "rekey-packets", NULL};

/*
 * The [ike] group as the service's vpn.data / vpn.secrets tables.  Unlike a
 * NetworkManager profile, an absent virtual-ipv4 means "no" and an absent
 * dpd-interval means 0 here (the interop tests' gateways are set up that way).
 */
static gboolean read_settings(GKeyFile *kf, GHashTable *data, GHashTable *secrets, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "ike", NULL, error);

    if (!keys)
        return FALSE;
    for (unsigned i = 0; keys[i]; i++) {
        const struct uip_setting *s = uip_settings_lookup(keys[i]);
        if (g_strv_contains(tool_keys, keys[i]))
            continue;
        g_hash_table_insert(s && s->secret ? secrets : data, g_strdup(keys[i]),
                            g_key_file_get_string(kf, "ike", keys[i], NULL));
    }
    if (!g_hash_table_contains(data, UIP_KEY_VIRTUAL_IPV4))
        g_hash_table_insert(data, g_strdup(UIP_KEY_VIRTUAL_IPV4), g_strdup(UIP_VALUE_NO));
    if (!g_hash_table_contains(data, UIP_KEY_DPD_INTERVAL))
        g_hash_table_insert(data, g_strdup(UIP_KEY_DPD_INTERVAL), g_strdup("0"));
    if (!g_hash_table_contains(data, UIP_KEY_AUTH))
        g_hash_table_insert(data, g_strdup(UIP_KEY_AUTH), g_strdup(UIP_AUTH_NAME_PSK));
    return TRUE;
}

static void config_failure(const char *message)
{
    g_autofree char *m = g_strdup(message);
    g_strdelimit(m, " \t\n", '_');
    printf("failed reason=config message=%s\n", m);
    fflush(stdout);
}

static void free_secret_value(gpointer p)
{
    uip_free_secret_str(p);
}

int main(int argc, char **argv)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) data = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) secrets =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_secret_value);
    struct uip_tunnel_params p;
    struct sockaddr_storage gw, la;
    socklen_t gw_len, la_len;
    char err[256];
    const char *level = g_getenv("UIP_LOG_LEVEL");

    /* a key on a token signs in a signer process, as in the service (without its privilege
     * drop: this tool keeps root) */
    if (ike_p11_signer_wanted(argc, argv))
        return ike_p11_signer_main(NULL, NULL);
    ike_p11_use_signer("/proc/self/exe");
    uip_log_setup(level ? atoi(level) : LOG_INFO, false, "uip-ike-client");
    uip_tunnel_settings_init();
    if (argc != 2) {
        fprintf(stderr, "usage: %s CONFIG.ini\n", argv[0]);
        return 2;
    }
    if (!g_key_file_load_from_file(kf, argv[1], G_KEY_FILE_NONE, &error) ||
        !read_settings(kf, data, secrets, &error)) {
        fprintf(stderr, "%s: %s\n", argv[1], error->message);
        return 2;
    }
    g_autofree char *local = g_key_file_get_string(kf, "ike", "local", NULL);
    g_autofree char *tun = g_key_file_get_string(kf, "ike", "tun", NULL);
    int tries = g_key_file_get_integer(kf, "ike", "retransmit-tries", NULL);
    guint64 rekey_packets = g_key_file_get_uint64(kf, "ike", "rekey-packets", NULL);
    g_clear_pointer(&kf, g_key_file_unref); /* it held secrets too */

    /* the same checks and mapping as the NetworkManager service */
    if (!uip_settings_validate(data, secrets, &error)) {
        config_failure(error->message);
        return 1;
    }
    if (!uip_gateway_literal(data, &gw, &gw_len)) {
        fprintf(stderr, "%s: [ike] gateway must be an IP address\n", argv[1]);
        return 2;
    }
    if (!uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, gw_len, &p,
                                         &error)) {
        config_failure(error->message);
        return 1;
    }
    /* a key on a token is opened and logged in once, before the tunnel, as the service does
     * (file-access.c): later IKE SAs (reauthentication, restart) sign with it */
    if (uip_pkcs11_is_uri(p.ike.user_key) &&
        ike_cred_load(p.ike.user_cert, p.ike.user_key, p.ike.user_key_password, &p.ike.cred, err,
                      sizeof(err)) < 0) {
        config_failure(err);
        return 1;
    }
    gateway_text = uip_settings_get_string(data, UIP_KEY_GATEWAY);
    p.tun_name = tun;
    p.set_tun_mtu = true;
    p.rekey_packets = rekey_packets;
    p.ike.retransmit_tries = tries > 0 ? (unsigned)tries : 0;
    if (local) {
        if (parse_addr(local, 0, &la, &la_len) < 0) {
            fprintf(stderr, "%s: [ike] local must be an IP address\n", argv[1]);
            return 2;
        }
        p.bind_local = (struct sockaddr *)&la;
        p.bind_local_len = la_len;
    }

    struct uip_tunnel_callbacks cb = {
        .established = cb_established,
        .failed = cb_failed,
        .closed = cb_closed,
        .child_rekeyed = cb_child_rekeyed,
        .ike_rekeyed = cb_ike_rekeyed,
        .reestablished = cb_reestablished,
        .redirected = cb_redirected,
        .debug_keys = cb_debug_keys,
    };
    loop = g_main_loop_new(NULL, FALSE);
    int r = uip_tunnel_new(&p, &cb, NULL, &tunnel, err, sizeof(err));
    ike_cred_free(g_steal_pointer(&p.ike.cred)); /* the tunnel holds its own reference */
    g_hash_table_remove_all(secrets); /* wiped: the session keeps its own copies */
    if (r < 0) {
        g_strdelimit(err, " ", '_');
        printf("failed reason=%s message=%s\n", r == -EINVAL ? "config" : "unreachable", err);
        return 1;
    }

    g_unix_signal_add(SIGUSR1, on_usr1, NULL);
    g_unix_signal_add(SIGUSR2, on_usr2, NULL);
    g_unix_signal_add(SIGHUP, on_hup, NULL);
    g_unix_signal_add(SIGTERM, on_term, NULL);
    g_unix_signal_add(SIGINT, on_term, NULL);
    r = uip_tunnel_start(tunnel, err, sizeof(err));
    if (r < 0) {
        g_strdelimit(err, " ", '_');
        printf("failed reason=%s message=%s\n", r == -EINVAL ? "config" : "unreachable", err);
        uip_tunnel_free(tunnel);
        return 1;
    }
    g_main_loop_run(loop);

    uip_tunnel_free(tunnel);
    g_main_loop_unref(loop);
    return exit_code;
}
