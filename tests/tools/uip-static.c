/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uip-static: one ESP engine with SAs from a key file, for the namespace
 * tests, the demo and the benchmark (before IKE negotiates keys).
 * See docs/uip-static.md for the file format.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib-unix.h>

#include "common/uip-log.h"
#include "common/uip-secret.h"
#include "engine/engine.h"

static GMainLoop *loop;
static struct uip_engine *engine;

static void print_stats(void)
{
    struct uip_engine_stats st;

    uip_engine_stats(engine, &st);
    g_autofree char *s = uip_engine_stats_to_string(&st);
    printf("stats %s\n", s);
    fflush(stdout);
}

static gboolean on_usr1(gpointer data)
{
    print_stats();
    return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer data)
{
    g_main_loop_quit(loop);
    return G_SOURCE_CONTINUE;
}

static void on_sa_event(void *user, uint32_t spi, bool inbound, uint32_t reqid, unsigned events)
{
    printf("event spi=%08x dir=%s reqid=%u%s%s%s\n", spi, inbound ? "in" : "out", reqid,
           (events & UIP_SA_EVENT_SOFT_EXPIRE) ? " soft-expire" : "",
           (events & UIP_SA_EVENT_HARD_EXPIRE) ? " hard-expire" : "",
           (events & UIP_SA_EVENT_SEQ_EXHAUSTED) ? " seq-exhausted" : "");
    fflush(stdout);
}

static int parse_sockaddr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    if (port < 0 || port > 65535)
        return -EINVAL;
    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof(*sin);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*sin6);
        return 0;
    }
    return -EINVAL;
}

static int get_int(GKeyFile *kf, const char *group, const char *key, int def)
{
    g_autoptr(GError) err = NULL;
    int v = g_key_file_get_integer(kf, group, key, &err);
    return err ? def : v;
}

static uint64_t get_u64(GKeyFile *kf, const char *group, const char *key)
{
    g_autofree char *s = g_key_file_get_string(kf, group, key, NULL);
    return s ? g_ascii_strtoull(s, NULL, 0) : 0;
}

static gboolean parse_ts_list(const char *s, struct uip_ts *ts, unsigned *n, GError **error)
{
    *n = 0;
    if (!s)
        return TRUE;
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    for (unsigned i = 0; parts[i]; i++) {
        if (*n >= UIP_SA_MAX_TS || uip_ts_parse(parts[i], &ts[*n]) < 0) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "bad traffic selector '%s'", parts[i]);
            return FALSE;
        }
        (*n)++;
    }
    return TRUE;
}

static gboolean install_child(GKeyFile *kf, const char *group, uint32_t reqid, GError **error)
{
    g_autofree char *encr_s = g_key_file_get_string(kf, group, "encr", NULL);
    g_autofree char *integ_s = g_key_file_get_string(kf, group, "integ", NULL);
    g_autofree char *lts = g_key_file_get_string(kf, group, "local-ts", NULL);
    g_autofree char *rts = g_key_file_get_string(kf, group, "remote-ts", NULL);
    struct uip_sa_config sa;
    enum uip_encr encr;
    enum uip_integ integ = UIP_INTEG_NONE;

    memset(&sa, 0, sizeof(sa));
    if (!encr_s || uip_encr_from_name(encr_s, &encr) < 0 ||
        (integ_s && uip_integ_from_name(integ_s, &integ) < 0)) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[%s]: unknown encr/integ", group);
        return FALSE;
    }
    if (!parse_ts_list(lts, sa.local_ts, &sa.n_local_ts, error) ||
        !parse_ts_list(rts, sa.remote_ts, &sa.n_remote_ts, error))
        return FALSE;
    sa.reqid = reqid;
    sa.encr = encr;
    sa.integ = integ;
    sa.esn = !g_key_file_has_key(kf, group, "esn", NULL) ||
             g_key_file_get_boolean(kf, group, "esn", NULL);
    sa.soft.packets = get_u64(kf, group, "lifetime-soft-packets");
    sa.soft.bytes = get_u64(kf, group, "lifetime-soft-bytes");
    sa.soft.seconds = get_u64(kf, group, "lifetime-soft-seconds");
    sa.hard.packets = get_u64(kf, group, "lifetime-hard-packets");
    sa.hard.bytes = get_u64(kf, group, "lifetime-hard-bytes");
    sa.hard.seconds = get_u64(kf, group, "lifetime-hard-seconds");

    for (int dir = 0; dir < 2; dir++) {
        const char *spi_key = dir ? "spi-in" : "spi-out";
        const char *key_key = dir ? "key-in" : "key-out";
        g_autofree char *hex = g_key_file_get_string(kf, group, key_key, NULL);
        size_t klen = hex ? strlen(hex) / 2 : 0;
        uint8_t *key = g_malloc0(klen + 1);
        gboolean ok = hex && strlen(hex) % 2 == 0;

        for (size_t i = 0; ok && i < klen; i++) {
            int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            key[i] = (uint8_t)(hi << 4 | lo);
        }
        sa.inbound = dir == 1;
        sa.spi = (uint32_t)get_u64(kf, group, spi_key);
        sa.keymat = key;
        sa.keymat_len = klen;
        int r = ok ? uip_engine_sa_add(engine, &sa) : -EINVAL;
        uip_free_secret(key, klen + 1);
        uip_free_secret_str(g_steal_pointer(&hex));
        if (r < 0) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s]: cannot install %s SA: %s", group, dir ? "inbound" : "outbound",
                        g_strerror(-r));
            return FALSE;
        }
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) err = NULL;
    struct uip_engine_config cfg;
    struct uip_engine_callbacks cb = {.sa_event = on_sa_event};
    const char *level = g_getenv("UIP_LOG_LEVEL");

    uip_log_setup(level ? atoi(level) : LOG_WARNING, false, "uip-static");
    if (argc != 2) {
        fprintf(stderr, "usage: %s CONFIG.ini\n", argv[0]);
        return 2;
    }
    if (!g_key_file_load_from_file(kf, argv[1], G_KEY_FILE_NONE, &err)) {
        fprintf(stderr, "%s: %s\n", argv[1], err->message);
        return 1;
    }

    g_autofree char *tun = g_key_file_get_string(kf, "engine", "tun", NULL);
    g_autofree char *local = g_key_file_get_string(kf, "engine", "local", NULL);
    g_autofree char *remote = g_key_file_get_string(kf, "engine", "remote", NULL);
    uip_engine_config_init(&cfg);
    cfg.tun_name = tun;
    cfg.set_tun_mtu = true;
    cfg.path_mtu = (unsigned)get_int(kf, "engine", "path-mtu", 0);
    cfg.keepalive_interval = (unsigned)get_int(kf, "engine", "keepalive", 0);
    cfg.replay_window = (unsigned)get_int(kf, "engine", "replay-window", 0);
    /* helper threads for ESP crypto (none by default, as in the service) */
    cfg.crypto_threads = (unsigned)get_int(kf, "engine", "crypto-threads", 0);
    if (!local || !remote ||
        parse_sockaddr(local, get_int(kf, "engine", "local-port", 4500), &cfg.local,
                       &cfg.local_len) < 0 ||
        parse_sockaddr(remote, get_int(kf, "engine", "remote-port", 4500), &cfg.peer,
                       &cfg.peer_len) < 0) {
        fprintf(stderr, "%s: [engine] needs valid local and remote addresses\n", argv[1]);
        return 1;
    }

    loop = g_main_loop_new(NULL, FALSE);
    int r = uip_engine_new(&cfg, &cb, NULL, NULL, &engine);
    if (r < 0) {
        fprintf(stderr, "cannot start the engine: %s\n", g_strerror(-r));
        return 1;
    }
    if (uip_engine_raise_priority() < 0) /* as the service does */
        fprintf(stderr, "cannot raise the priority to nice %d\n", UIP_ENGINE_NICE);

    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    uint32_t reqid = 0;
    for (unsigned i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "child"))
            continue;
        if (!install_child(kf, groups[i], ++reqid, &err)) {
            fprintf(stderr, "%s: %s\n", argv[1], err->message);
            uip_engine_free(engine);
            return 1;
        }
    }
    /* the keys are in the engine now: do not keep them in the parsed file */
    g_clear_pointer(&kf, g_key_file_unref);

    g_unix_signal_add(SIGUSR1, on_usr1, NULL);
    g_unix_signal_add(SIGTERM, on_term, NULL);
    g_unix_signal_add(SIGINT, on_term, NULL);
    printf("ready tun=%s mtu=%u\n", uip_engine_tun_name(engine), uip_engine_mtu(engine));
    fflush(stdout);

    g_main_loop_run(loop);
    print_stats();
    uip_engine_free(engine);
    g_main_loop_unref(loop);
    return 0;
}
