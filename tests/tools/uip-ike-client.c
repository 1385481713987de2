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
#include "engine/engine.h"
#include "ike/ike-session.h"

static GMainLoop *loop;
static struct uip_engine *engine;
static struct ike_session *session;
static int sock500 = -1;
static int exit_code;
static uint64_t last_pkts_in;
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

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void append_ts(GString *s, const char *key, const struct uip_ts *ts, unsigned n)
{
    char buf[128];

    g_string_append_printf(s, " %s=", key);
    for (unsigned i = 0; i < n; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", uip_ts_to_string(&ts[i], buf, sizeof(buf)));
}

/* ---- session callbacks ---------------------------------------------------------- */

static int cb_send(void *user, bool natt, const uint8_t *msg, size_t len)
{
    if (natt)
        return uip_engine_send_ike(engine, msg, len);
    return send(sock500, msg, len, MSG_DONTWAIT) < 0 ? -errno : 0;
}

static int cb_child_install(void *user, const struct ike_child *c)
{
    struct uip_sa_config sa;
    int r;

    memset(&sa, 0, sizeof(sa));
    sa.reqid = c->reqid;
    if (uip_encr_from_name(c->encr_name, &sa.encr) < 0 ||
        uip_integ_from_name(c->integ_name, &sa.integ) < 0)
        return -EINVAL;
    sa.esn = c->esn;
    memcpy(sa.local_ts, c->local_ts, sizeof(struct uip_ts) * MIN(c->n_local_ts, UIP_SA_MAX_TS));
    sa.n_local_ts = MIN(c->n_local_ts, UIP_SA_MAX_TS);
    memcpy(sa.remote_ts, c->remote_ts, sizeof(struct uip_ts) * MIN(c->n_remote_ts, UIP_SA_MAX_TS));
    sa.n_remote_ts = MIN(c->n_remote_ts, UIP_SA_MAX_TS);

    sa.inbound = true;
    sa.spi = c->in.spi;
    sa.keymat = c->in.keymat;
    sa.keymat_len = c->in.keymat_len;
    r = uip_engine_sa_add(engine, &sa);
    if (r < 0)
        return r;
    sa.inbound = false;
    sa.spi = c->out.spi;
    sa.keymat = c->out.keymat;
    sa.keymat_len = c->out.keymat_len;
    r = uip_engine_sa_add(engine, &sa);
    if (r < 0)
        uip_engine_sa_del(engine, c->in.spi, true);
    return r;
}

static void cb_child_delete(void *user, uint32_t reqid, uint32_t spi_in, uint32_t spi_out)
{
    uip_engine_sa_del(engine, spi_in, true);
    uip_engine_sa_del(engine, spi_out, false);
}

static void cb_established(void *user, const struct ike_established *in)
{
    g_autoptr(GString) s = g_string_new("established");
    char buf[INET6_ADDRSTRLEN];
    const struct ike_child *c = in->child;

    g_string_append_printf(s, " tun=%s mtu=%u gateway=%s", uip_engine_tun_name(engine),
                           uip_engine_mtu(engine), gateway_text);
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

static void on_ike_packet(void *user, const uint8_t *msg, size_t len, const struct sockaddr *from,
                          socklen_t from_len)
{
    ike_session_input(session, msg, len);
}

static gboolean on_sock500(gint fd, GIOCondition cond, gpointer data)
{
    uint8_t buf[65536];

    for (int i = 0; i < 16; i++) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0)
            break;
        ike_session_input(session, buf, (size_t)n);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_tick(gpointer data)
{
    struct uip_engine_stats st;

    uip_engine_stats(engine, &st);
    if (st.c.pkts_in != last_pkts_in) {
        last_pkts_in = st.c.pkts_in;
        ike_session_traffic_seen(session);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_usr1(gpointer data)
{
    struct uip_engine_stats st;

    uip_engine_stats(engine, &st);
    g_autofree char *s = uip_engine_stats_to_string(&st);
    printf("stats %s\n", s);
    fflush(stdout);
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
    ike_session_close(session);
    g_timeout_add_seconds(5, on_give_up, NULL);
    return G_SOURCE_CONTINUE;
}

static bool yes(GKeyFile *kf, const char *key)
{
    g_autofree char *v = g_key_file_get_string(kf, "ike", key, NULL);
    return v && (g_ascii_strcasecmp(v, "yes") == 0 || g_ascii_strcasecmp(v, "true") == 0);
}

static int ts_list(const char *s, struct uip_ts *ts, unsigned *n)
{
    *n = 0;
    if (!s || !*s)
        return 0;
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    for (unsigned i = 0; parts[i]; i++) {
        if (*n >= IKE_SESSION_MAX_TS || uip_ts_parse(parts[i], &ts[*n]) < 0)
            return -EINVAL;
        (*n)++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    struct ike_session_config cfg;
    struct uip_engine_config ecfg;
    char err[256];
    const char *level = g_getenv("UIP_LOG_LEVEL");

    uip_log_setup(level ? atoi(level) : LOG_INFO, false, "uip-ike-client");
    if (argc != 2) {
        fprintf(stderr, "usage: %s CONFIG.ini\n", argv[0]);
        return 2;
    }
    if (!g_key_file_load_from_file(kf, argv[1], G_KEY_FILE_NONE, &error)) {
        fprintf(stderr, "%s: %s\n", argv[1], error->message);
        return 2;
    }
#define GET(k) g_autofree char *k = g_key_file_get_string(kf, "ike", #k, NULL)
    GET(gateway);
    GET(local);
    GET(tun);
    GET(auth);
    GET(psk);
    GET(user);
    GET(password);
    g_autofree char *local_id = g_key_file_get_string(kf, "ike", "local-id", NULL);
    g_autofree char *remote_id = g_key_file_get_string(kf, "ike", "remote-id", NULL);
    GET(ike);
    g_autofree char *ca_cert = g_key_file_get_string(kf, "ike", "ca-cert", NULL);
    g_autofree char *user_cert = g_key_file_get_string(kf, "ike", "user-cert", NULL);
    g_autofree char *user_key = g_key_file_get_string(kf, "ike", "user-key", NULL);
    g_autofree char *key_pw = g_key_file_get_string(kf, "ike", "user-key-password", NULL);
    GET(esp);
    g_autofree char *local_ts = g_key_file_get_string(kf, "ike", "local-ts", NULL);
    g_autofree char *remote_ts = g_key_file_get_string(kf, "ike", "remote-ts", NULL);
#undef GET
    int port = g_key_file_has_key(kf, "ike", "port", NULL)
                   ? g_key_file_get_integer(kf, "ike", "port", NULL)
                   : 500;

    memset(&cfg, 0, sizeof(cfg));
    if (!gateway || parse_addr(gateway, port, &cfg.gateway, &cfg.gateway_len) < 0) {
        fprintf(stderr, "%s: [ike] gateway must be an IP address\n", argv[1]);
        return 2;
    }
    if (!auth || g_str_equal(auth, "psk")) {
        cfg.auth = IKE_AUTHM_PSK;
        cfg.psk = (const uint8_t *)psk;
        cfg.psk_len = psk ? strlen(psk) : 0;
    } else if (g_str_equal(auth, "eap-mschapv2")) {
        cfg.auth = IKE_AUTHM_EAP_MSCHAPV2;
        cfg.eap_identity = user;
        cfg.eap_password = password;
    } else if (g_str_equal(auth, "cert")) {
        cfg.auth = IKE_AUTHM_CERT;
        cfg.user_cert = user_cert;
        cfg.user_key = user_key;
        cfg.user_key_password = key_pw;
    } else {
        printf("failed reason=config message=auth_method_%s_not_supported\n", auth);
        return 1;
    }
    cfg.ca_cert = ca_cert;
    gateway_text = gateway;
    cfg.local_id = local_id;
    cfg.remote_id = remote_id;
    cfg.ike_proposals = ike;
    cfg.esp_proposals = esp;
    cfg.virtual_ipv4 = yes(kf, "virtual-ipv4");
    cfg.virtual_ipv6 = yes(kf, "virtual-ipv6");
    cfg.fragmentation = !g_key_file_has_key(kf, "ike", "fragmentation", NULL) ||
                        yes(kf, "fragmentation");
    cfg.dpd_interval = (unsigned)g_key_file_get_integer(kf, "ike", "dpd-interval", NULL);
    cfg.child_rekey_time = (unsigned)g_key_file_get_integer(kf, "ike", "rekey-child", NULL);
    cfg.ike_rekey_time = (unsigned)g_key_file_get_integer(kf, "ike", "rekey-ike", NULL);
    cfg.retransmit_tries = (unsigned)g_key_file_get_integer(kf, "ike", "retransmit-tries", NULL);
    if (ts_list(local_ts, cfg.local_ts, &cfg.n_local_ts) < 0 ||
        ts_list(remote_ts, cfg.remote_ts, &cfg.n_remote_ts) < 0) {
        fprintf(stderr, "%s: bad traffic selector\n", argv[1]);
        return 2;
    }

    /* port 500: a connected socket, which also tells us our address */
    sock500 = socket(cfg.gateway.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (local) {
        struct sockaddr_storage la;
        socklen_t ll;
        if (parse_addr(local, 0, &la, &ll) < 0 || bind(sock500, (struct sockaddr *)&la, ll) < 0) {
            fprintf(stderr, "cannot bind to %s\n", local);
            return 2;
        }
    }
    if (connect(sock500, (struct sockaddr *)&cfg.gateway, cfg.gateway_len) < 0) {
        printf("failed reason=unreachable message=%s\n", g_strerror(errno));
        return 1;
    }
    cfg.local_len = sizeof(cfg.local);
    getsockname(sock500, (struct sockaddr *)&cfg.local, &cfg.local_len);

    uip_engine_config_init(&ecfg);
    ecfg.tun_name = tun;
    ecfg.set_tun_mtu = true;
    ecfg.local = cfg.local;
    ecfg.local_len = cfg.local_len;
    set_port(&ecfg.local, 0);
    ecfg.peer = cfg.gateway;
    ecfg.peer_len = cfg.gateway_len;
    set_port(&ecfg.peer, 4500);
    ecfg.keepalive_interval = g_key_file_has_key(kf, "ike", "nat-keepalive", NULL)
                                  ? (unsigned)g_key_file_get_integer(kf, "ike", "nat-keepalive", NULL)
                                  : 20;
    struct uip_engine_callbacks ecb = {.ike_packet = on_ike_packet};
    loop = g_main_loop_new(NULL, FALSE);
    int r = uip_engine_new(&ecfg, &ecb, NULL, NULL, &engine);
    if (r < 0) {
        printf("failed reason=config message=cannot_start_the_ESP_engine:_%s\n", g_strerror(-r));
        return 1;
    }

    struct ike_session_callbacks cb = {
        .send = cb_send,
        .child_install = cb_child_install,
        .child_delete = cb_child_delete,
        .established = cb_established,
        .failed = cb_failed,
        .closed = cb_closed,
        .child_rekeyed = cb_child_rekeyed,
        .ike_rekeyed = cb_ike_rekeyed,
        .debug_keys = cb_debug_keys,
    };
    r = ike_session_new(&cfg, &cb, NULL, NULL, &session, err, sizeof(err));
    if (psk)
        uip_wipe(psk, strlen(psk));
    if (password)
        uip_wipe(password, strlen(password));
    if (key_pw)
        uip_wipe(key_pw, strlen(key_pw));
    g_clear_pointer(&kf, g_key_file_unref);
    if (r < 0) {
        g_strdelimit(err, " ", '_');
        printf("failed reason=config message=%s\n", err);
        uip_engine_free(engine);
        return 1;
    }

    g_unix_fd_add(sock500, G_IO_IN, on_sock500, NULL);
    g_timeout_add_seconds(1, on_tick, NULL);
    g_unix_signal_add(SIGUSR1, on_usr1, NULL);
    g_unix_signal_add(SIGTERM, on_term, NULL);
    g_unix_signal_add(SIGINT, on_term, NULL);
    ike_session_start(session);
    g_main_loop_run(loop);

    ike_session_free(session);
    uip_engine_free(engine);
    close(sock500);
    g_main_loop_unref(loop);
    return exit_code;
}
