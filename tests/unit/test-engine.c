/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two engines in one process: each has a fake TUN (a SOCK_SEQPACKET
 * socketpair whose other end the test holds) and a UDP "socket" (a datagram
 * socketpair whose other end the test holds and forwards as the wire).
 *
 *   test tunA <-> [engine A] <-> wireA  ==test forwards==  wireB <-> [engine B] <-> tunB test
 *
 * Because the test carries every datagram across, it can replay, tamper,
 * reorder and hold packets back.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <openssl/rand.h>

#include "engine/engine.h"
#include "engine/esp.h"
#include "test-packets.h"

struct side {
    struct uip_engine *e;
    int tun[2]; /* [0] engine, [1] test */
    int udp[2]; /* [0] engine, [1] test (the wire) */
    GArray *events;
    GPtrArray *ike;
};

struct ev {
    uint32_t spi;
    bool inbound;
    unsigned events;
};

static void on_sa_event(void *user, uint32_t spi, bool inbound, uint32_t reqid, unsigned events)
{
    struct side *s = user;
    struct ev e = {spi, inbound, events};
    g_array_append_val(s->events, e);
}

static void on_ike(void *user, const uint8_t *msg, size_t len, const struct sockaddr *from,
                   socklen_t fl)
{
    struct side *s = user;
    g_ptr_array_add(s->ike, g_bytes_new(msg, len));
}

static void side_init_with(struct side *s, const char *name, unsigned keepalive,
                           unsigned pool_size, unsigned crypto_threads);

static void side_init(struct side *s, const char *name, unsigned keepalive)
{
    side_init_with(s, name, keepalive, 64, 0);
}

static void side_init_with(struct side *s, const char *name, unsigned keepalive,
                           unsigned pool_size, unsigned crypto_threads)
{
    struct uip_engine_config cfg;
    struct uip_engine_callbacks cb = {.ike_packet = on_ike, .sa_event = on_sa_event};

    memset(s, 0, sizeof(*s));
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s->tun), ==, 0);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_DGRAM, 0, s->udp), ==, 0);
    fcntl(s->tun[1], F_SETFL, O_NONBLOCK);
    fcntl(s->udp[1], F_SETFL, O_NONBLOCK);
    s->events = g_array_new(FALSE, FALSE, sizeof(struct ev));
    s->ike = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    uip_engine_config_init(&cfg);
    cfg.tun_name = name;
    cfg.tun_fd = s->tun[0];
    cfg.udp_fd = s->udp[0];
    cfg.keepalive_interval = keepalive;
    cfg.pool_size = pool_size;
    cfg.crypto_threads = crypto_threads;
    g_assert_cmpint(uip_engine_new(&cfg, &cb, s, NULL, &s->e), ==, 0);
}

static void side_clear(struct side *s)
{
    uip_engine_free(s->e);
    for (int i = 0; i < 2; i++) {
        close(s->tun[i]);
        close(s->udp[i]);
    }
    g_array_unref(s->events);
    g_ptr_array_unref(s->ike);
}

static void iterate(void)
{
    for (int i = 0; i < 50 && g_main_context_iteration(NULL, FALSE); i++)
        ;
}

/* Read one datagram the test holds on @fd, waiting up to 2 s while the engines run. */
static ssize_t take(int fd, uint8_t *buf, size_t len)
{
    for (int i = 0; i < 400; i++) {
        iterate();
        ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
        if (n >= 0)
            return n;
        g_assert_cmpint(errno, ==, EAGAIN);
        struct pollfd pfd = {fd, POLLIN, 0};
        poll(&pfd, 1, 5);
    }
    return -1;
}

/* Nothing arrives on @fd within ~100 ms. */
static void assert_nothing(int fd)
{
    uint8_t buf[4096];
    for (int i = 0; i < 20; i++) {
        iterate();
        g_assert_cmpint(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), <, 0);
        g_usleep(5000);
    }
}

/* Carry one datagram from @a's wire to @b's wire; returns its length (copy in @buf). */
static ssize_t carry(struct side *a, struct side *b, uint8_t *buf, size_t len)
{
    ssize_t n = take(a->udp[1], buf, len);
    g_assert_cmpint(n, >, 0);
    g_assert_cmpint(send(b->udp[1], buf, (size_t)n, 0), ==, n);
    return n;
}

struct suite {
    const char *name;
    enum uip_encr encr;
    enum uip_integ integ;
};

static const struct suite suites[] = {
    {"aes128gcm16", UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE},
    {"aes256gcm16", UIP_ENCR_AES_GCM_16_256, UIP_INTEG_NONE},
    {"chacha20poly1305", UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE},
    {"aes128-sha256", UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128},
    {"aes256-sha384", UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_384_192},
    {"aes256-sha512", UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_512_256},
};

/*
 * Install a CHILD_SA between a (local 198.18.1.0/24, 2001:db8:1::/64) and b
 * (198.18.2.0/24, 2001:db8:2::/64): a->b uses @spi_ab, b->a @spi_ba.
 */
static void install_child(struct side *a, struct side *b, const struct suite *s, uint32_t spi_ab,
                          uint32_t spi_ba, uint32_t reqid, const struct uip_lifetime *soft,
                          const struct uip_lifetime *hard)
{
    uint8_t k_ab[128], k_ba[128];
    size_t klen = uip_esp_keymat_len(s->encr, s->integ);
    struct uip_sa_config c = {0};

    g_assert_cmpint(RAND_bytes(k_ab, (int)klen), ==, 1);
    g_assert_cmpint(RAND_bytes(k_ba, (int)klen), ==, 1);
    c.reqid = reqid;
    c.encr = s->encr;
    c.integ = s->integ;
    c.keymat_len = klen;
    c.esn = true;
    if (soft)
        c.soft = *soft;
    if (hard)
        c.hard = *hard;

    /* a's view */
    g_assert_cmpint(uip_ts_parse("198.18.1.0/24", &c.local_ts[0]), ==, 0);
    g_assert_cmpint(uip_ts_parse("2001:db8:1::/64", &c.local_ts[1]), ==, 0);
    g_assert_cmpint(uip_ts_parse("198.18.2.0/24", &c.remote_ts[0]), ==, 0);
    g_assert_cmpint(uip_ts_parse("2001:db8:2::/64", &c.remote_ts[1]), ==, 0);
    c.n_local_ts = c.n_remote_ts = 2;
    c.inbound = false, c.spi = spi_ab, c.keymat = k_ab;
    g_assert_cmpint(uip_engine_sa_add(a->e, &c), ==, 0);
    c.inbound = true, c.spi = spi_ba, c.keymat = k_ba;
    g_assert_cmpint(uip_engine_sa_add(a->e, &c), ==, 0);

    /* b's view: selectors swapped */
    struct uip_ts tmp[UIP_SA_MAX_TS];
    memcpy(tmp, c.local_ts, sizeof(tmp));
    memcpy(c.local_ts, c.remote_ts, sizeof(tmp));
    memcpy(c.remote_ts, tmp, sizeof(tmp));
    c.inbound = true, c.spi = spi_ab, c.keymat = k_ab;
    g_assert_cmpint(uip_engine_sa_add(b->e, &c), ==, 0);
    c.inbound = false, c.spi = spi_ba, c.keymat = k_ba;
    g_assert_cmpint(uip_engine_sa_add(b->e, &c), ==, 0);
}

/* A packet from the 1-side to the 2-side: into @from's TUN, carried, out of @to's TUN unchanged. */
static void pass_packet(struct side *from, struct side *to, int family, size_t payload,
                        uint32_t seed)
{
    uint8_t pkt[2048], wire[4096], got[4096];
    const char *src = family == 4 ? "198.18.1.1" : "2001:db8:1::1";
    const char *dst = family == 4 ? "198.18.2.1" : "2001:db8:2::1";
    size_t n = test_udp_packet(pkt, family, src, dst, 4000, 5000, payload, seed);
    g_assert_cmpint(write(from->tun[1], pkt, n), ==, (ssize_t)n);
    ssize_t w = carry(from, to, wire, sizeof(wire));
    g_assert_cmpint(w, >, (ssize_t)n); /* grew by the ESP overhead */
    ssize_t g = take(to->tun[1], got, sizeof(got));
    g_assert_cmpmem(got, g, pkt, n);
}

/* The same from the 2-side to the 1-side. */
static void pass_reverse(struct side *from, struct side *to, int family, size_t payload)
{
    uint8_t pkt[2048], wire[4096], got[4096];
    const char *src = family == 4 ? "198.18.2.7" : "2001:db8:2::7";
    const char *dst = family == 4 ? "198.18.1.9" : "2001:db8:1::9";
    size_t n = test_udp_packet(pkt, family, src, dst, 53, 40000, payload, 99);

    g_assert_cmpint(write(from->tun[1], pkt, n), ==, (ssize_t)n);
    carry(from, to, wire, sizeof(wire));
    ssize_t g = take(to->tun[1], got, sizeof(got));
    g_assert_cmpmem(got, g, pkt, n);
}

static void test_every_transform(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(suites); i++) {
        struct side a, b;
        struct uip_engine_stats sa, sb;
        struct uip_sa_stats ss;

        side_init(&a, "fakeA", 0);
        side_init(&b, "fakeB", 0);
        install_child(&a, &b, &suites[i], 0x1000 + i, 0x2000 + i, 1, NULL, NULL);
        g_test_message("%s: MTU %u", suites[i].name, uip_engine_mtu(a.e));
        g_assert_cmpuint(uip_engine_mtu(a.e), ==,
                         uip_esp_max_inner(suites[i].encr, suites[i].integ, 1500 - 28));
        for (size_t len = 0; len <= 1300; len += 433) {
            pass_packet(&a, &b, 4, len, (uint32_t)len);
            pass_packet(&a, &b, 6, len, (uint32_t)len);
            pass_reverse(&b, &a, 4, len);
            pass_reverse(&b, &a, 6, len);
        }
        uip_engine_stats(a.e, &sa);
        uip_engine_stats(b.e, &sb);
        g_assert_cmpuint(sa.c.pkts_out, ==, 8);
        g_assert_cmpuint(sb.c.pkts_in, ==, 8);
        g_assert_cmpuint(sa.c.pkts_in, ==, 8);
        g_assert_cmpuint(sb.c.pkts_out, ==, 8);
        g_assert_cmpuint(sa.c.bytes_out, ==, sb.c.bytes_in);
        for (unsigned d = 0; d < UIP_DROP__MAX; d++) {
            g_assert_cmpuint(sa.c.drops[d], ==, 0);
            g_assert_cmpuint(sb.c.drops[d], ==, 0);
        }
        g_assert_cmpint(uip_engine_sa_stats(a.e, 0x1000 + i, false, &ss), ==, 0);
        g_assert_cmpuint(ss.pkts, ==, 8);
        g_assert_cmpuint(ss.seq, ==, 8);
        g_assert_cmpint(uip_engine_sa_stats(b.e, 0x1000 + i, true, &ss), ==, 0);
        g_assert_cmpuint(ss.pkts, ==, 8);
        g_assert_cmpuint(sa.pool_avail, ==, sa.pool_size); /* no buffer leaked */
        g_assert_cmpuint(sb.pool_avail, ==, sb.pool_size);
        side_clear(&a);
        side_clear(&b);
    }
}

static void test_rekey_without_loss(void)
{
    struct side a, b;
    uint8_t pkt[2048], held[4096], wire[4096], got[4096];
    struct uip_engine_stats st;

    side_init(&a, "fakeA", 0);
    side_init(&b, "fakeB", 0);
    install_child(&a, &b, &suites[0], 0x1001, 0x2001, 7, NULL, NULL);
    pass_packet(&a, &b, 4, 100, 1);

    /* a packet under the old SA is still in flight when the rekey happens */
    size_t n = test_udp_packet(pkt, 4, "198.18.1.1", "198.18.2.1", 1, 2, 200, 2);
    g_assert_cmpint(write(a.tun[1], pkt, n), ==, (ssize_t)n);
    ssize_t hl = take(a.udp[1], held, sizeof(held));
    g_assert_cmpint(hl, >, 0);

    /* new CHILD_SA with the same reqid: B accepts both inbound SAs, A's outbound is replaced */
    install_child(&a, &b, &suites[1], 0x1002, 0x2002, 7, NULL, NULL);
    pass_packet(&a, &b, 4, 300, 3); /* new SA */
    uint8_t spi_new[4] = {0, 0, 0x10, 0x02};
    g_assert_cmpint(write(a.tun[1], pkt, n), ==, (ssize_t)n);
    ssize_t w = take(a.udp[1], wire, sizeof(wire));
    g_assert_cmpmem(wire, 4, spi_new, 4);
    g_assert_cmpint(send(b.udp[1], wire, (size_t)w, 0), ==, w);
    g_assert_cmpint(take(b.tun[1], got, sizeof(got)), ==, (ssize_t)n);

    /* the late old-SA packet still gets through */
    g_assert_cmpint(send(b.udp[1], held, (size_t)hl, 0), ==, hl);
    ssize_t g = take(b.tun[1], got, sizeof(got));
    g_assert_cmpmem(got, g, pkt, n);

    /* after the old inbound SA is deleted, its packets are "no SA" */
    g_assert_cmpint(uip_engine_sa_del(b.e, 0x1001, true), ==, 0);
    g_assert_cmpint(uip_engine_sa_del(b.e, 0x1001, true), ==, -ENOENT);
    g_assert_cmpint(send(b.udp[1], held, (size_t)hl, 0), ==, hl);
    assert_nothing(b.tun[1]);
    uip_engine_stats(b.e, &st);
    g_assert_cmpuint(st.c.drops[UIP_DROP_NO_SA], ==, 1);
    g_assert_cmpuint(st.c.pkts_in, ==, 4);
    g_assert_cmpuint(st.c.drops[UIP_DROP_REPLAY], ==, 0);
    g_assert_cmpint(uip_engine_sa_stats(a.e, 0x1001, false, &(struct uip_sa_stats){0}), ==,
                    -ENOENT);

    /* deleting the outbound SA: nothing covers the traffic any more */
    g_assert_cmpint(uip_engine_sa_del(a.e, 0x1002, false), ==, 0);
    g_assert_cmpint(write(a.tun[1], pkt, n), ==, (ssize_t)n);
    assert_nothing(a.udp[1]);
    uip_engine_stats(a.e, &st);
    g_assert_cmpuint(st.c.drops[UIP_DROP_NO_SA], ==, 1);
    side_clear(&a);
    side_clear(&b);
}

static void test_drops_and_counters(void)
{
    struct side a, b;
    uint8_t pkt[2048], wire[4096], bad[4096];
    struct uip_engine_stats st;
    struct uip_sa_stats ss;

    side_init(&a, "fakeA", 0);
    side_init(&b, "fakeB", 0);
    install_child(&a, &b, &suites[3], 0x1001, 0x2001, 1, NULL, NULL);

    size_t n = test_udp_packet(pkt, 4, "198.18.1.1", "198.18.2.1", 1, 2, 500, 5);
    g_assert_cmpint(write(a.tun[1], pkt, n), ==, (ssize_t)n);
    ssize_t w = take(a.udp[1], wire, sizeof(wire));

    /* tampered: ICV */
    memcpy(bad, wire, (size_t)w);
    bad[w - 1] ^= 1;
    send(b.udp[1], bad, (size_t)w, 0);
    /* truncated below header+IV+trailer+ICV: malformed */
    send(b.udp[1], wire, 20, 0);
    send(b.udp[1], wire, 5, 0);
    /* unknown SPI */
    memcpy(bad, wire, (size_t)w);
    bad[3] ^= 0x55;
    send(b.udp[1], bad, (size_t)w, 0);
    /* genuine, then replayed */
    send(b.udp[1], wire, (size_t)w, 0);
    send(b.udp[1], wire, (size_t)w, 0);
    /* NAT keepalive and an IKE message */
    send(b.udp[1], "\xff", 1, 0);
    send(b.udp[1], "\0\0\0\0hello ike", 13, 0);
    uint8_t got[4096];
    g_assert_cmpint(take(b.tun[1], got, sizeof(got)), ==, (ssize_t)n);
    assert_nothing(b.tun[1]);

    uip_engine_stats(b.e, &st);
    g_assert_cmpuint(st.c.drops[UIP_DROP_ICV], ==, 1);
    g_assert_cmpuint(st.c.drops[UIP_DROP_MALFORMED], ==, 2);
    g_assert_cmpuint(st.c.drops[UIP_DROP_NO_SA], ==, 1);
    g_assert_cmpuint(st.c.drops[UIP_DROP_REPLAY], ==, 1);
    g_assert_cmpuint(st.c.pkts_in, ==, 1);
    g_assert_cmpuint(st.keepalive_in, ==, 1);
    g_assert_cmpuint(st.ike_in, ==, 1);
    g_assert_cmpuint(b.ike->len, ==, 1);
    g_assert_cmpmem(g_bytes_get_data(b.ike->pdata[0], NULL), g_bytes_get_size(b.ike->pdata[0]),
                    "hello ike", 9);
    g_assert_cmpint(uip_engine_sa_stats(b.e, 0x1001, true, &ss), ==, 0);
    g_assert_cmpuint(ss.drops[UIP_DROP_ICV], ==, 1);
    g_assert_cmpuint(ss.drops[UIP_DROP_REPLAY], ==, 1);

    /* outbound traffic no SA covers (wrong source) and garbage from the TUN */
    n = test_udp_packet(pkt, 4, "198.18.9.1", "198.18.2.1", 1, 2, 10, 5);
    write(a.tun[1], pkt, n);
    write(a.tun[1], "\x45garbage", 8);
    /* IKE out: with the marker */
    g_assert_cmpint(uip_engine_send_ike(a.e, (const uint8_t *)"IKE!", 4), ==, 0);
    ssize_t r = take(a.udp[1], bad, sizeof(bad));
    g_assert_cmpmem(bad, r, "\0\0\0\0IKE!", 8);
    assert_nothing(a.udp[1]);
    uip_engine_stats(a.e, &st);
    g_assert_cmpuint(st.c.drops[UIP_DROP_NO_SA], ==, 1);
    g_assert_cmpuint(st.c.drops[UIP_DROP_MALFORMED], ==, 1);
    side_clear(&a);
    side_clear(&b);
}

static void test_policy_and_dummy(void)
{
    struct side a, b;
    uint8_t k[20];
    uint8_t pkt[2048], wire[4096];
    struct uip_sa_config c = {0};
    struct uip_engine_stats st;

    side_init(&a, "fakeA", 0);
    side_init(&b, "fakeB", 0);
    g_assert_cmpint(RAND_bytes(k, sizeof(k)), ==, 1);
    c.reqid = 1;
    c.encr = UIP_ENCR_AES_GCM_16_128;
    c.keymat = k;
    c.keymat_len = sizeof(k);
    c.esn = true;
    /* A sends anything (no selectors); B accepts only 198.18.1.0/24 -> 198.18.2.0/24 */
    c.spi = 0x3001;
    g_assert_cmpint(uip_engine_sa_add(a.e, &c), ==, 0);
    g_assert_cmpint(uip_ts_parse("198.18.2.0/24", &c.local_ts[0]), ==, 0);
    g_assert_cmpint(uip_ts_parse("198.18.1.0/24", &c.remote_ts[0]), ==, 0);
    c.n_local_ts = c.n_remote_ts = 1;
    c.inbound = true;
    g_assert_cmpint(uip_engine_sa_add(b.e, &c), ==, 0);
    g_assert_cmpint(uip_engine_sa_add(b.e, &c), ==, -EEXIST);

    size_t n = test_udp_packet(pkt, 4, "198.18.77.1", "198.18.2.1", 1, 2, 10, 5);
    write(a.tun[1], pkt, n);
    carry(&a, &b, wire, sizeof(wire));
    n = test_udp_packet(pkt, 6, "2001:db8:1::1", "2001:db8:2::1", 1, 2, 10, 5);
    write(a.tun[1], pkt, n);
    carry(&a, &b, wire, sizeof(wire));
    assert_nothing(b.tun[1]);
    uip_engine_stats(b.e, &st);
    g_assert_cmpuint(st.c.drops[UIP_DROP_POLICY], ==, 2);

    /* a dummy packet (next header 59) is dropped silently, not counted as a drop */
    struct uip_sa *dummy;
    c.inbound = false;
    c.n_local_ts = c.n_remote_ts = 0;
    g_assert_cmpint(uip_sa_new(&c, 0, &dummy), ==, 0);
    dummy->seq = 100;
    struct uip_pkt *p = g_malloc(sizeof(*p));
    uip_pkt_reset(p);
    memset(p->data, 0, 40);
    p->len = 40;
    g_assert_cmpint(uip_esp_encap(dummy, p, UIP_ESP_NH_DUMMY), ==, 0);
    uip_engine_inject_udp(b.e, p->data, p->len);
    /* next header that is neither IPv4 nor IPv6: malformed */
    uip_pkt_reset(p);
    n = test_udp_packet(p->data, 4, "198.18.1.1", "198.18.2.1", 1, 2, 10, 5);
    p->len = (uint32_t)n;
    g_assert_cmpint(uip_esp_encap(dummy, p, UIP_ESP_NH_IPV6), ==, 0);
    uip_engine_inject_udp(b.e, p->data, p->len);
    uip_engine_stats(b.e, &st);
    g_assert_cmpuint(st.dummy_in, ==, 1);
    g_assert_cmpuint(st.c.drops[UIP_DROP_MALFORMED], ==, 1);
    g_assert_cmpuint(st.c.drops[UIP_DROP_POLICY], ==, 2);
    g_free(p);
    uip_sa_free(dummy);
    side_clear(&a);
    side_clear(&b);
}

static void test_lifetime_events(void)
{
    struct side a, b;
    struct uip_lifetime soft = {.packets = 3}, hard = {.packets = 5};
    uint8_t pkt[2048];
    struct uip_engine_stats st;

    side_init(&a, "fakeA", 0);
    side_init(&b, "fakeB", 0);
    install_child(&a, &b, &suites[2], 0x1001, 0x2001, 1, &soft, &hard);
    for (int i = 0; i < 5; i++)
        pass_packet(&a, &b, 4, 64, (uint32_t)i);
    iterate();
    /* A's outbound and B's inbound each raised soft (after 3) and hard (after 5) */
    unsigned out_ev = 0, in_ev = 0;
    for (unsigned i = 0; i < a.events->len; i++) {
        struct ev *e = &g_array_index(a.events, struct ev, i);
        g_assert_cmpuint(e->spi, ==, 0x1001);
        g_assert_false(e->inbound);
        out_ev |= e->events;
    }
    for (unsigned i = 0; i < b.events->len; i++) {
        struct ev *e = &g_array_index(b.events, struct ev, i);
        g_assert_cmpuint(e->spi, ==, 0x1001);
        g_assert_true(e->inbound);
        in_ev |= e->events;
    }
    g_assert_cmpuint(out_ev, ==, UIP_SA_EVENT_SOFT_EXPIRE | UIP_SA_EVENT_HARD_EXPIRE);
    g_assert_cmpuint(in_ev, ==, UIP_SA_EVENT_SOFT_EXPIRE | UIP_SA_EVENT_HARD_EXPIRE);
    /* a hard-expired SA carries nothing */
    size_t n = test_udp_packet(pkt, 4, "198.18.1.1", "198.18.2.1", 1, 2, 10, 5);
    write(a.tun[1], pkt, n);
    assert_nothing(a.udp[1]);
    uip_engine_stats(a.e, &st);
    g_assert_cmpuint(st.c.drops[UIP_DROP_EXPIRED], ==, 1);

    /* seconds: the 1 s timer raises soft expiry */
    struct uip_lifetime soft_s = {.seconds = 1};
    g_array_set_size(a.events, 0);
    install_child(&a, &b, &suites[0], 0x1002, 0x2002, 2, &soft_s, NULL);
    for (int i = 0; i < 300 && a.events->len < 2; i++) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(10000);
    }
    g_assert_cmpuint(a.events->len, ==, 2); /* outbound 0x1002 and inbound 0x2002 */
    for (unsigned i = 0; i < a.events->len; i++)
        g_assert_cmpuint(g_array_index(a.events, struct ev, i).events, ==,
                         UIP_SA_EVENT_SOFT_EXPIRE);
    side_clear(&a);
    side_clear(&b);
}

static void test_too_big(void)
{
    struct side a, b;
    uint8_t pkt[2048], got[4096];
    struct uip_engine_stats st;

    side_init(&a, "fakeA", 0);
    side_init(&b, "fakeB", 0);
    install_child(&a, &b, &suites[0], 0x1001, 0x2001, 1, NULL, NULL);
    unsigned mtu = uip_engine_mtu(a.e);

    for (int family = 4; family <= 6; family += 2) {
        size_t hl = family == 4 ? 20 : 40;
        /* exactly the MTU passes */
        pass_packet(&a, &b, family, mtu - hl - 8, 1);
        /* one more byte bounces as ICMP "fragmentation needed" / ICMPv6 "packet too big" */
        const char *src = family == 4 ? "198.18.1.1" : "2001:db8:1::1";
        const char *dst = family == 4 ? "198.18.2.1" : "2001:db8:2::1";
        size_t n = test_udp_packet(pkt, family, src, dst, 1, 2, mtu - hl - 8 + 1, 2);
        g_assert_cmpint(write(a.tun[1], pkt, n), ==, (ssize_t)n);
        ssize_t g = take(a.tun[1], got, sizeof(got));
        g_assert_cmpint(g, >, 0);
        if (family == 4) {
            g_assert_cmpuint(got[9], ==, 1); /* ICMP */
            g_assert_cmpmem(got + 12, 4, pkt + 16, 4);
            g_assert_cmpmem(got + 16, 4, pkt + 12, 4);
            g_assert_cmpuint(test_csum(got, 20, 0), ==, 0);
            g_assert_cmpuint(got[20], ==, 3);
            g_assert_cmpuint(got[21], ==, 4);
            g_assert_cmpuint((unsigned)(got[26] << 8 | got[27]), ==, mtu);
            g_assert_cmpuint(test_csum(got + 20, (size_t)g - 20, 0), ==, 0);
            g_assert_cmpmem(got + 28, 28, pkt, 28); /* quotes the original header */
        } else {
            g_assert_cmpuint(got[6], ==, 58);
            g_assert_cmpuint(got[40], ==, 2);
            unsigned m = (unsigned)(got[44] << 24 | got[45] << 16 | got[46] << 8 | got[47]);
            g_assert_cmpuint(m, ==, mtu);
            g_assert_cmpuint(g, <=, 1280);
            /* checksum over pseudo-header + message */
            uint8_t pseudo[40];
            memcpy(pseudo, got + 8, 32);
            memset(pseudo + 32, 0, 8);
            pseudo[34] = (uint8_t)((g - 40) >> 8);
            pseudo[35] = (uint8_t)(g - 40);
            pseudo[39] = 58;
            uint16_t c1 = test_csum(pseudo, 40, 0);
            uint32_t sum = (uint16_t)~c1;
            g_assert_cmpuint(test_csum(got + 40, (size_t)g - 40, sum), ==, 0);
        }
        assert_nothing(a.udp[1]);
    }
    uip_engine_stats(a.e, &st);
    g_assert_cmpuint(st.c.drops[UIP_DROP_TOO_BIG], ==, 2);
    g_assert_cmpuint(st.icmp_sent, ==, 2);

    /* IPv4 without DF goes through (fragmented outside the tunnel instead) */
    size_t n = test_udp_packet(pkt, 4, "198.18.1.1", "198.18.2.1", 1, 2, mtu, 3);
    pkt[6] = 0;
    pkt[10] = pkt[11] = 0;
    uint16_t c = test_csum(pkt, 20, 0);
    pkt[10] = (uint8_t)(c >> 8), pkt[11] = (uint8_t)c;
    g_assert_cmpint(write(a.tun[1], pkt, n), ==, (ssize_t)n);
    uint8_t wire[4096];
    carry(&a, &b, wire, sizeof(wire));
    g_assert_cmpint(take(b.tun[1], got, sizeof(got)), ==, (ssize_t)n);
    side_clear(&a);
    side_clear(&b);
}

static void test_keepalive(void)
{
    struct side a;
    uint8_t buf[16];

    side_init(&a, "fakeA", 1);
    ssize_t n = take(a.udp[1], buf, sizeof(buf)); /* within 2 s */
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(buf[0], ==, 0xff);
    struct uip_engine_stats st;
    uip_engine_stats(a.e, &st);
    g_assert_cmpuint(st.keepalive_out, >=, 1);
    side_clear(&a);
}

static void test_burst_is_bounded(void)
{
    /* Far more packets than the pool holds, without letting the engine run:
     * they wait in the (kernel-bounded) fake TUN queue, the engine reads them
     * into its fair queue and sends them in budgets, sheds what is over the
     * queue's limit, counts every one, and every buffer comes back. */
    struct side a, b;
    uint8_t pkt[2048], wire[4096];
    struct uip_engine_stats st;
    unsigned written = 0, carried = 0;

    side_init(&a, "fakeA", 0);
    side_init(&b, "fakeB", 0);
    install_child(&a, &b, &suites[0], 0x1001, 0x2001, 1, NULL, NULL);
    size_t n = test_udp_packet(pkt, 4, "198.18.1.1", "198.18.2.1", 1, 2, 1000, 1);
    fcntl(a.tun[1], F_SETFL, O_NONBLOCK);
    for (int i = 0; i < 1000; i++) {
        if (write(a.tun[1], pkt, n) == (ssize_t)n)
            written++;
        if (i % 50 == 49) {
            iterate();
            while (recv(a.udp[1], wire, sizeof(wire), MSG_DONTWAIT) > 0)
                carried++;
        }
    }
    for (int i = 0; i < 100; i++) {
        iterate();
        while (recv(a.udp[1], wire, sizeof(wire), MSG_DONTWAIT) > 0)
            carried++;
    }
    uip_engine_stats(a.e, &st);
    g_test_message(
        "written %u, carried %u, queue_full %" G_GUINT64_FORMAT ", flow_queue %" G_GUINT64_FORMAT,
        written, carried, st.c.drops[UIP_DROP_QUEUE_FULL], st.c.drops[UIP_DROP_FLOW_QUEUE]);
    g_assert_cmpuint(carried + st.c.drops[UIP_DROP_QUEUE_FULL] + st.c.drops[UIP_DROP_FLOW_QUEUE],
                     ==, written);
    g_assert_cmpuint(st.pool_avail, ==, st.pool_size);
    side_clear(&a);
    side_clear(&b);
}

static void test_sparse_flow_through_flood(void)
{
    /* A flood of one flow fills the TUN's ring, then one packet of another flow
     * (a ping, an SSH keystroke) arrives behind it.  The engine empties the ring
     * into its fair queue, sheds the flood over the queue's limit, and the late
     * packet leaves among the first, not behind the whole flood. */
    struct side a, b;
    uint8_t flood[2048], ping[2048], wire[4096], got[4096];
    struct uip_engine_stats st;
    unsigned pos = 0, ping_pos = 0, flood_out = 0;
    const unsigned n_flood = 60; /* the pool holds 64, the fair queue 32 */

    side_init(&a, "fakeA", 0);
    side_init(&b, "fakeB", 0);
    install_child(&a, &b, &suites[0], 0x1001, 0x2001, 1, NULL, NULL);
    size_t nf = test_udp_packet(flood, 4, "198.18.1.1", "198.18.2.1", 5001, 5201, 1200, 1);
    size_t np = test_udp_packet(ping, 4, "198.18.1.1", "198.18.2.1", 40000, 22, 40, 2);
    for (unsigned i = 0; i < n_flood; i++)
        g_assert_cmpint(write(a.tun[1], flood, nf), ==, (ssize_t)nf);
    g_assert_cmpint(write(a.tun[1], ping, np), ==, (ssize_t)np);
    /* carry what A sends, in order, and see where the late packet comes out of B */
    for (;;) {
        ssize_t w = take(a.udp[1], wire, sizeof(wire));
        if (w < 0)
            break;
        g_assert_cmpint(send(b.udp[1], wire, (size_t)w, 0), ==, w);
        ssize_t g = take(b.tun[1], got, sizeof(got));
        g_assert_cmpint(g, >, 0);
        pos++;
        if ((size_t)g == np && memcmp(got, ping, np) == 0)
            ping_pos = pos;
        else
            flood_out++;
        if (ping_pos && flood_out >= 3)
            break;
    }
    uip_engine_stats(a.e, &st);
    g_test_message("late packet left as number %u; flow_queue drops %" G_GUINT64_FORMAT, ping_pos,
                   st.c.drops[UIP_DROP_FLOW_QUEUE]);
    g_assert_cmpuint(ping_pos, >=, 1);
    g_assert_cmpuint(ping_pos, <=, 3); /* the flood's first quantum, then the ping */
    g_assert_cmpuint(st.c.drops[UIP_DROP_FLOW_QUEUE], >, 0);
    while (take(a.udp[1], wire, sizeof(wire)) > 0)
        ;
    uip_engine_stats(a.e, &st);
    g_assert_cmpuint(st.c.pkts_out + st.c.drops[UIP_DROP_FLOW_QUEUE], ==, n_flood + 1);
    g_assert_cmpuint(st.pool_avail, ==, st.pool_size);
    side_clear(&a);
    side_clear(&b);
}

/*
 * A burst of @n packets from @from to @to, in four flows: all written into @from's TUN before
 * the engines run, so they are sealed as batches; the ESP packets are then sent into @to's
 * wire together, so they are opened as one.  @dup_at >= 0: that packet is carried twice,
 * right after itself; @tamper_at >= 0: a byte of that one's ciphertext is flipped (indexes
 * in the wire's order, which the fair queue interleaves).  Every packet but the tampered one
 * must come out of @to's TUN once, intact.
 */
static void burst(struct side *from, struct side *to, bool forward, unsigned n, int dup_at,
                  int tamper_at)
{
    const char *src = forward ? "198.18.1.1" : "198.18.2.7";
    const char *dst = forward ? "198.18.2.1" : "198.18.1.9";
    g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_autoptr(GPtrArray) wire = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_autofree bool *seen = g_new0(bool, n);
    uint8_t pkt[2048], buf[4096];
    unsigned got = 0;

    for (unsigned i = 0; i < n; i++) {
        size_t len = test_udp_packet(pkt, 4, src, dst, (uint16_t)(4000 + i % 4), 5000,
                                     100 + 29 * i, 1000 + i);
        g_assert_cmpint(write(from->tun[1], pkt, len), ==, (ssize_t)len);
        g_ptr_array_add(sent, g_bytes_new(pkt, len));
    }
    for (unsigned i = 0; i < n; i++) {
        ssize_t w = take(from->udp[1], buf, sizeof(buf));
        g_assert_cmpint(w, >, 0);
        g_ptr_array_add(wire, g_bytes_new(buf, (size_t)w));
    }
    for (unsigned i = 0; i < n; i++) {
        gsize len;
        const uint8_t *d = g_bytes_get_data(wire->pdata[i], &len);
        memcpy(buf, d, len);
        if ((int)i == tamper_at)
            buf[len / 2] ^= 0x40;
        g_assert_cmpint(send(to->udp[1], buf, len, 0), ==, (ssize_t)len);
        if ((int)i == dup_at)
            g_assert_cmpint(send(to->udp[1], buf, len, 0), ==, (ssize_t)len);
    }
    for (unsigned want = n - (tamper_at >= 0); got < want;) {
        ssize_t g = take(to->tun[1], buf, sizeof(buf));
        bool matched = false;

        g_assert_cmpint(g, >, 0);
        for (unsigned i = 0; i < n && !matched; i++) {
            gsize len;
            const uint8_t *d = g_bytes_get_data(sent->pdata[i], &len);
            if (len == (gsize)g && memcmp(d, buf, len) == 0) {
                g_assert_false(seen[i]);
                seen[i] = matched = true;
            }
        }
        g_assert_true(matched);
        got++;
    }
    assert_nothing(to->tun[1]);
}

/* Threads of this process named as the crypto pool names them. */
static unsigned crypto_threads_running(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/task", 0, NULL);
    const char *t;
    unsigned n = 0;

    while (d && (t = g_dir_read_name(d))) {
        g_autofree char *path = g_strdup_printf("/proc/self/task/%s/comm", t), *comm = NULL;
        if (g_file_get_contents(path, &comm, NULL, NULL) && g_str_has_prefix(comm, "uip-crypto"))
            n++;
    }
    return n;
}

/*
 * Crypto threads (issue 13 item 4): A seals and opens on 2 helper threads besides its own, B
 * on its own thread.  For every transform, bursts big enough to be shared out each way: B
 * opens what A's lanes sealed and A's lanes open what B sealed, every packet once and intact;
 * a duplicate inside a burst is dropped as a replay (both copies were opened side by side:
 * the window moves in order after), a tampered packet for its ICV.  Every buffer comes back.
 */
static void test_crypto_threads(void)
{
    for (gsize k = 0; k < G_N_ELEMENTS(suites); k++) {
        struct side a, b;
        struct uip_engine_stats sa, sb;

        side_init_with(&a, "fakeA", 0, 256, 2);
        side_init_with(&b, "fakeB", 0, 256, 0);
        install_child(&a, &b, &suites[k], 0x1001, 0x2001, 1, NULL, NULL);
        burst(&a, &b, true, 40, -1, -1);
        g_assert_cmpuint(crypto_threads_running(), ==, 2); /* A's, started by that burst */
        burst(&b, &a, false, 40, -1, -1);
        burst(&b, &a, false, 40, 10, 20);
        burst(&a, &b, true, 40, 5, 30);
        uip_engine_stats(a.e, &sa);
        uip_engine_stats(b.e, &sb);
        g_test_message("%s: A in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT, suites[k].name,
                       sa.c.pkts_in, sa.c.pkts_out);
        for (struct uip_engine_stats *st = &sa; st; st = st == &sa ? &sb : NULL) {
            g_assert_cmpuint(st->c.drops[UIP_DROP_REPLAY], ==, 1);
            g_assert_cmpuint(st->c.drops[UIP_DROP_ICV], ==, 1);
            g_assert_cmpuint(st->c.pkts_in, ==, 79);
            g_assert_cmpuint(st->c.pkts_out, ==, 80);
            g_assert_cmpuint(st->pool_avail, ==, st->pool_size);
        }
        side_clear(&a);
        side_clear(&b);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/engine/every-transform", test_every_transform);
    g_test_add_func("/engine/rekey-without-loss", test_rekey_without_loss);
    g_test_add_func("/engine/drops-and-counters", test_drops_and_counters);
    g_test_add_func("/engine/policy-and-dummy", test_policy_and_dummy);
    g_test_add_func("/engine/lifetime-events", test_lifetime_events);
    g_test_add_func("/engine/too-big", test_too_big);
    g_test_add_func("/engine/keepalive", test_keepalive);
    g_test_add_func("/engine/burst-is-bounded", test_burst_is_bounded);
    g_test_add_func("/engine/sparse-flow-through-flood", test_sparse_flow_through_flood);
    g_test_add_func("/engine/crypto-threads", test_crypto_threads);
    return g_test_run();
}
