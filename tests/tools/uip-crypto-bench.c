/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uip-crypto-bench THREADS [SECONDS]: how fast the engine's crypto pool
 * (src/engine/crypto-pool.h) seals, with THREADS helper threads besides the
 * calling one, alone on the machine: batches of 32 packets of 1400 bytes
 * (the engine's UDP batch), AES-GCM-128, for SECONDS (default 3).  Prints
 * "crypto-bench threads=T lanes=L gbps=G batches=B".  For bench-engine.sh's
 * "cores" part, under taskset: what the pool gives where cores are free,
 * which a 2-core machine running both tunnel ends and iperf3 cannot show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "engine/crypto-pool.h"
#include "engine/esp.h"
#include "engine/sa.h"

#define BATCH_MAX 1024
#define LEN   1400

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 0;
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    struct uip_sa_config cfg = {.spi = 0x1000, .reqid = 1, .encr = UIP_ENCR_AES_GCM_16_128};
    uint8_t keymat[20];
    struct uip_crypto_pool *pool = NULL;
    unsigned batch = argc > 3 ? (unsigned)atoi(argv[3]) : 32;
    struct uip_crypto_job jobs[BATCH_MAX];
    struct uip_pkt *pkts = g_malloc0(sizeof(*pkts) * BATCH_MAX); /* (64 KiB buffers) */
    struct uip_sa *sa;
    uint64_t batches = 0;
    double t0, t;

    if (argc < 2 || threads > UIP_CRYPTO_POOL_MAX_THREADS || seconds <= 0 || batch == 0 ||
        batch > BATCH_MAX) {
        fprintf(stderr, "usage: %s THREADS(0..%d) [SECONDS [BATCH]]\n", argv[0],
                UIP_CRYPTO_POOL_MAX_THREADS);
        return 2;
    }
    memset(keymat, 0x5a, sizeof(keymat));
    cfg.keymat = keymat;
    cfg.keymat_len = uip_esp_keymat_len(cfg.encr, cfg.integ);
    if (uip_sa_new(&cfg, 0, &sa) < 0)
        return 1;
    if (threads) {
        pool = uip_crypto_pool_new(threads);
        if (!pool || uip_sa_set_lanes(sa, uip_crypto_pool_lanes(pool)) < 0)
            return 1;
    }
    t0 = now();
    do {
        for (unsigned i = 0; i < batch; i++) {
            struct uip_pkt *p = &pkts[i];
            uip_pkt_reset(p);
            p->len = LEN;
            if (uip_esp_encap_prepare(sa, p, UIP_ESP_NH_IPV4, &jobs[i]) < 0)
                return 1;
        }
        uip_crypto_pool_run(pool, jobs, batch);
        for (unsigned i = 0; i < batch; i++)
            if (jobs[i].result < 0)
                return 1;
        batches++;
        t = now();
    } while (t - t0 < seconds);
    printf("crypto-bench threads=%u lanes=%u gbps=%.3f batches=%" G_GUINT64_FORMAT "\n", threads,
           uip_crypto_pool_lanes(pool), (double)batches * batch * LEN * 8 / (t - t0) / 1e9,
           batches);
    uip_crypto_pool_free(pool);
    uip_sa_free(sa);
    g_free(pkts);
    return 0;
}
