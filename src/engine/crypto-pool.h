/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parallel ESP crypto for an engine (issue 13, item 4: many cores).
 *
 * The engine's thread keeps everything that touches shared state: SA lookup,
 * sequence numbers and IVs, replay checks, counters and the I/O.  What is
 * left of a batch, the seals (outbound) or opens (inbound) of its packets, is
 * independent packet by packet: the pool runs them on its threads and on the
 * engine's own ("lanes"), each lane with its own keyed copy of an SA's
 * context (uip_sa_set_lanes()), and returns once every job is done
 * (fork-join).
 * So packets still leave in their order, the replay window still moves in
 * order, no queue is added and the memory stays the batch's.  A batch of
 * fewer than UIP_CRYPTO_POOL_MIN jobs runs on the engine's thread alone: a
 * lone packet (a ping, an SSH keystroke) never waits for a thread to wake.
 * The threads start with the first batch that needs them, so they inherit
 * the data path's priority and the service's dropped rights.
 *
 * Not used by the service yet (engine config crypto_threads 0): on this
 * project's 2-CPU benchmark machine the pool alone seals about as fast on
 * two CPUs as on one with the engine's batches of 32 (15-24 Gbit/s either
 * way, the host's noise; batches of 256: 18 -> 43), and a sending engine
 * with a helper thread beside both tunnel ends and iperf3 moved 0.8 times
 * the data at 1.6 times the CPU per byte (bench-engine.sh, part "cores"):
 * handing a packet to another core costs about what sealing it does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uip_sa;

#define UIP_CRYPTO_POOL_MIN 8        /* jobs in a batch before other lanes help */
#define UIP_CRYPTO_POOL_MAX_THREADS 7 /* besides the engine's own */

struct uip_esp_crypto;

struct uip_crypto_job {
    struct uip_sa *sa;
    /* what the lanes need of the SA, copied: its state changes under them (sequence numbers,
     * counters) and they must not share its cache lines */
    struct uip_esp_crypto *crypto; /* lane 0's context */
    struct uip_esp_crypto *lanes;  /* the other lanes' copies */
    bool esn;
    uint8_t *esp;    /* the ESP packet (SPI first), sealed or opened in place */
    size_t len;      /* seal: payload + padding + trailer; open: the whole ESP packet */
    uint32_t seq_hi; /* the ESN's high half */
    bool seal;
    int result;      /* uip_esp_seal() / uip_esp_open() */
};

struct uip_crypto_pool;

/* A pool of @threads helper threads (1..UIP_CRYPTO_POOL_MAX_THREADS), started on first use;
 * NULL on a bad count. */
struct uip_crypto_pool *uip_crypto_pool_new(unsigned threads);

/* Stops and joins the threads; NULL is fine. */
void uip_crypto_pool_free(struct uip_crypto_pool *pool);

/* Lanes: the helper threads and the engine's thread. */
unsigned uip_crypto_pool_lanes(const struct uip_crypto_pool *pool);

/*
 * Run @n jobs, each job's result in it; returns when all are done.  With a
 * NULL @pool, or fewer than UIP_CRYPTO_POOL_MIN jobs, on the calling thread.
 * Thread creation failing leaves the pool running on the calling thread alone.
 */
void uip_crypto_pool_run(struct uip_crypto_pool *pool, struct uip_crypto_job *jobs, unsigned n);
