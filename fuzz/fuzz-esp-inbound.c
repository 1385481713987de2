/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the engine's inbound path: a UDP datagram goes
 * through the demux (IKE marker, keepalive, ESP), SA lookup, decapsulation,
 * next-header and selector checks, into a fake TUN.
 *
 * The first input byte picks the mode:
 *   even: the rest is the raw datagram (reaches the checks before the ICV);
 *   odd:  the rest is an inner packet that we encrypt with one of the
 *         installed transforms first (reaches what follows a valid ICV).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/esp.h"

#define N_SUITES 6

static const struct {
    enum uip_encr encr;
    enum uip_integ integ;
} suites[N_SUITES] = {
    {UIP_ENCR_AES_GCM_16_128, UIP_INTEG_NONE},
    {UIP_ENCR_AES_GCM_16_256, UIP_INTEG_NONE},
    {UIP_ENCR_CHACHA20_POLY1305, UIP_INTEG_NONE},
    {UIP_ENCR_AES_CBC_128, UIP_INTEG_HMAC_SHA2_256_128},
    {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_384_192},
    {UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_512_256},
};

static struct uip_engine *engine;
static struct uip_sa *senders[N_SUITES];
static struct uip_pkt pkt;
static int tun[2], udp[2];

static void setup(void)
{
    struct uip_engine_config cfg;
    uint8_t key[128];

    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, tun);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, udp);
    fcntl(tun[1], F_SETFL, O_NONBLOCK);
    uip_engine_config_init(&cfg);
    cfg.tun_fd = tun[0];
    cfg.udp_fd = udp[0];
    cfg.pool_size = 8;
    if (uip_engine_new(&cfg, NULL, NULL, NULL, &engine) < 0)
        abort();
    for (unsigned i = 0; i < N_SUITES; i++) {
        struct uip_sa_config c = {0};
        for (unsigned k = 0; k < sizeof(key); k++)
            key[k] = (uint8_t)(k * 13 + i);
        c.spi = 0x100 + i;
        c.reqid = 1 + i;
        c.encr = suites[i].encr;
        c.integ = suites[i].integ;
        c.keymat = key;
        c.keymat_len = uip_esp_keymat_len(c.encr, c.integ);
        c.esn = i % 2 == 0;
        c.replay_window = 64;
        if (i == 1) { /* one SA with narrow selectors */
            uip_ts_parse("198.18.0.0/16", &c.local_ts[0]);
            uip_ts_parse("198.19.0.0/16", &c.remote_ts[0]);
            c.n_local_ts = c.n_remote_ts = 1;
        }
        c.inbound = true;
        if (uip_engine_sa_add(engine, &c) < 0)
            abort();
        c.inbound = false;
        if (uip_sa_new(&c, 0, &senders[i]) < 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t drain[2048];

    if (!engine)
        setup();
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++, size--;

    if (mode & 1) {
        struct uip_sa *s = senders[(mode >> 1) % N_SUITES];
        if (size > 1500)
            return 0;
        uip_pkt_reset(&pkt);
        memcpy(pkt.data, data, size);
        pkt.len = (uint32_t)size;
        if (mode & 0x80)
            s->seq += mode; /* jumps ahead, so the replay window slides too */
        uint8_t nh = (mode & 0x40) ? UIP_ESP_NH_IPV6 : (mode & 0x20) ? UIP_ESP_NH_DUMMY
                                                                    : UIP_ESP_NH_IPV4;
        if (uip_esp_encap(s, &pkt, nh) == 0)
            uip_engine_inject_udp(engine, pkt.data, pkt.len);
    } else {
        uip_engine_inject_udp(engine, data, size);
    }
    while (recv(tun[1], drain, sizeof(drain), MSG_DONTWAIT) > 0)
        ;
    return 0;
}
