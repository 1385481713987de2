/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parallel ESP crypto (see crypto-pool.h).
 *
 * Flow of a batch: the engine's thread publishes the jobs (the array, the
 * finished count reset, then one atomic word: generation, job count, next
 * index) and wakes the helpers -> every lane takes the next index with a
 * compare-and-swap on that word, only while it holds the generation the lane
 * woke for (a few jobs at a time), and runs them with its own contexts ->
 * the lane that finishes the last job wakes the engine's thread, which waits
 * for that after doing its own share (each waits spinning a while first).
 * A helper that wakes late finds its generation gone and sleeps again; the array of a batch is replaced only once all its jobs are
 * done, so an index taken is always an index of the array it reads.
 */
#include "engine/crypto-pool.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <glib.h>

#include "common/uip-log.h"
#include "engine/esp-crypto.h"
#include "engine/sa.h"

#define SPIN_US 50 /* a lane looks for the next batch this long before it sleeps */

struct uip_crypto_pool {
    unsigned threads;
    bool started, failed;
    GThread *thr[UIP_CRYPTO_POOL_MAX_THREADS];
    /* (pthread's, not GLib's futex-based ones: ThreadSanitizer sees these) */
    pthread_mutex_t lock;
    pthread_cond_t start; /* a new generation, or stop */
    pthread_cond_t done;  /* the batch's last job is done */
    uint64_t gen;         /* the engine thread's */
    struct uip_crypto_job *jobs;
    atomic_bool stop;
    atomic_bool main_asleep; /* the engine's thread waits on done */
    atomic_uint sleepers;    /* helpers waiting on start */
    /* generation (16 bits), job count (16), next index (32); on a line of its own */
    alignas(64) _Atomic uint64_t word;
    alignas(64) atomic_uint finished; /* jobs of the batch done */
};

static uint64_t make_word(uint64_t gen, unsigned n)
{
    return (gen & 0xffff) << 48 | (uint64_t)n << 32;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

struct lane_arg {
    struct uip_crypto_pool *pool;
    unsigned lane;
};

static void run_job(struct uip_crypto_job *j, unsigned lane)
{
    struct uip_esp_crypto *c = lane ? &j->lanes[lane - 1] : j->crypto;

    j->result = j->seal ? uip_esp_seal(c, j->esp, j->len, j->seq_hi, j->esn)
                        : uip_esp_open(c, j->esp, j->len, j->seq_hi, j->esn);
}

/* Take and run jobs of generation @gen (16 bits) until none is left: a few at a time (a
 * quarter of a lane's share), so that lanes do not fight over the word for every packet. */
static void work(struct uip_crypto_pool *pool, unsigned lane, unsigned gen)
{
    const unsigned lanes = pool->threads + 1;

    for (;;) {
        uint64_t w = atomic_load(&pool->word);
        unsigned n, take;

        do {
            n = (unsigned)(w >> 32) & 0xffff;
            if ((w >> 48) != gen || (uint32_t)w >= n)
                return;
            take = MAX(1u, n / (4 * lanes));
            take = MIN(take, n - (uint32_t)w);
        } while (!atomic_compare_exchange_weak(&pool->word, &w, w + take));
        for (unsigned i = 0; i < take; i++)
            run_job(&pool->jobs[(uint32_t)w + i], lane);
        if (atomic_fetch_add(&pool->finished, take) + take == n &&
            atomic_load(&pool->main_asleep)) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

static unsigned word_gen(struct uip_crypto_pool *pool)
{
    return (unsigned)(atomic_load(&pool->word) >> 48);
}

/* A helper's wait: no batch after generation @seen yet, and no stop. */
static bool no_new_batch(struct uip_crypto_pool *pool, unsigned seen)
{
    return word_gen(pool) == seen && !atomic_load(&pool->stop);
}

/* The engine thread's wait: fewer than @n jobs of the batch done. */
static bool jobs_left(struct uip_crypto_pool *pool, unsigned n)
{
    return atomic_load(&pool->finished) < n;
}

/* Spin up to SPIN_US while @waiting(@pool, @arg); whether it still holds then (sleep on). */
static bool spin_while(bool (*waiting)(struct uip_crypto_pool *, unsigned),
                       struct uip_crypto_pool *pool, unsigned arg)
{
    int64_t until = g_get_monotonic_time() + SPIN_US;

    for (unsigned i = 1; waiting(pool, arg); i++) {
        cpu_relax();
        if (i % 64 == 0 && g_get_monotonic_time() >= until)
            return waiting(pool, arg);
    }
    return false;
}

static gpointer helper(gpointer data)
{
    struct lane_arg *a = data;
    struct uip_crypto_pool *pool = a->pool;
    unsigned lane = a->lane, seen = 0;

    g_free(a);
    while (!atomic_load(&pool->stop)) {
        /* batches come back to back while traffic flows: look for the next one a while */
        if (spin_while(no_new_batch, pool, seen)) {
            pthread_mutex_lock(&pool->lock);
            atomic_fetch_add(&pool->sleepers, 1);
            while (no_new_batch(pool, seen))
                pthread_cond_wait(&pool->start, &pool->lock);
            atomic_fetch_sub(&pool->sleepers, 1);
            pthread_mutex_unlock(&pool->lock);
        }
        seen = word_gen(pool);
        work(pool, lane, seen);
    }
    return NULL;
}

static void start_threads(struct uip_crypto_pool *pool)
{
    pool->started = true;
    for (unsigned i = 0; i < pool->threads; i++) {
        struct lane_arg *a = g_new(struct lane_arg, 1);
        g_autoptr(GError) error = NULL;

        a->pool = pool;
        a->lane = i + 1;
        pool->thr[i] = g_thread_try_new("uip-crypto", helper, a, &error);
        if (!pool->thr[i]) {
            g_free(a);
            _LOGW("cannot start crypto thread %u: %s; %u of %u run", i + 1, error->message, i,
                  pool->threads);
            pool->threads = i;
            break;
        }
    }
    pool->failed = pool->threads == 0;
}

struct uip_crypto_pool *uip_crypto_pool_new(unsigned threads)
{
    struct uip_crypto_pool *pool;

    if (threads == 0 || threads > UIP_CRYPTO_POOL_MAX_THREADS)
        return NULL;
    pool = g_new0(struct uip_crypto_pool, 1);
    pool->threads = threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->start, NULL);
    pthread_cond_init(&pool->done, NULL);
    return pool;
}

void uip_crypto_pool_free(struct uip_crypto_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->stop, true);
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; pool->started && i < pool->threads; i++)
        g_thread_join(pool->thr[i]);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->start);
    pthread_mutex_destroy(&pool->lock);
    g_free(pool);
}

unsigned uip_crypto_pool_lanes(const struct uip_crypto_pool *pool)
{
    /* (fewer once a thread failed to start: SAs made before keep copies no lane uses) */
    return pool ? pool->threads + 1 : 1;
}

void uip_crypto_pool_run(struct uip_crypto_pool *pool, struct uip_crypto_job *jobs, unsigned n)
{
    if (pool && !pool->started && n >= UIP_CRYPTO_POOL_MIN)
        start_threads(pool);
    /* (n fits the word's 16 bits: an engine batch is a few hundred packets at most) */
    if (!pool || pool->failed || n < UIP_CRYPTO_POOL_MIN || n > 0xffff) {
        for (unsigned i = 0; i < n; i++)
            run_job(&jobs[i], 0);
        return;
    }
    uint64_t gen = ++pool->gen;
    if ((gen & 0xffff) == 0) /* (0 is the helpers' "nothing seen yet") */
        gen = ++pool->gen;
    pool->jobs = jobs;
    atomic_store(&pool->finished, 0);
    atomic_store(&pool->word, make_word(gen, n));
    if (atomic_load(&pool->sleepers)) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->start);
        pthread_mutex_unlock(&pool->lock);
    }

    work(pool, 0, (unsigned)(gen & 0xffff));

    /* the others' last jobs: a few microseconds, unless a lane lost its CPU */
    if (spin_while(jobs_left, pool, n)) {
        pthread_mutex_lock(&pool->lock);
        atomic_store(&pool->main_asleep, true);
        while (jobs_left(pool, n))
            pthread_cond_wait(&pool->done, &pool->lock);
        atomic_store(&pool->main_asleep, false);
        pthread_mutex_unlock(&pool->lock);
    }
}
