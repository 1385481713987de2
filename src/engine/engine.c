/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's data path, driven by the caller's GMainContext.
 *
 * Outbound: TUN readable -> read up to FILL x `budget` frames into pool
 * buffers and the fair queue (fq.c: one FIFO per inner flow, the fattest
 * flow shed over 64 packets; reading pauses while the queue holds 1 MiB)
 * -> take up to `budget` frames by deficit round robin (an idle source of
 * default priority gives another turn per main loop iteration while frames
 * wait) -> with TUN offload: TCP and UDP super-packets cut into segments by
 * uip_gso_split -> parse the flow -> outbound SA from the flow cache
 * (selector scan only on a miss) -> too big? ICMP back into the TUN -> ESP
 * encap in place -> collect into a batch (with crypto threads the seals wait
 * for the batch and run together: crypto-pool.h) -> sendmmsg (UDP GSO where
 * the kernel has it) to the peer.
 *
 * Inbound: UDP readable -> recvmmsg a batch into pool buffers -> demux:
 * non-ESP marker -> IKE callback; 0xFF -> NAT keepalive, dropped; else ESP
 * -> SA by SPI (hash) -> decap in place (with crypto threads: replay check
 * now, the opens of the batch together, then in order padding, replay
 * commit and the rest; an IKE packet first lets the waiting ones through)
 * -> next header / selector check -> into the TUN (with TUN offload: through
 * uip_gro, which merges a flow's consecutive TCP segments and writes at the
 * end of the batch).
 *
 * Why outbound reads ahead: the TUN's ring is one FIFO for every flow, and
 * the kernel drops at its tail when it is full, so under a flood a ping
 * waited behind or was lost with it.  Reading a small frame costs much less
 * than encrypting and sending it, so the engine keeps the ring short and
 * sheds the flood where flows can be told apart.  Big (TSO) frames make
 * reading pause at the byte limit instead: they come from TCP, which keeps
 * its own pace from the losses at the ring as before, and shedding 64 KiB
 * frames cost TCP a quarter of its throughput.  Inbound needs no queue: the
 * socket's FIFO is short while the engine keeps up, and when it does not,
 * only decrypting would tell flows apart.
 *
 * Nothing else is queued inside the engine: a packet is in the fair queue,
 * on its way, or dropped and counted; buffers come from a fixed pool.  SA
 * events are collected on the SA and delivered from an idle source, so
 * callbacks never run in the middle of a batch.
 */
#include "engine/engine.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <glib-unix.h>

#include "common/uip-log.h"
#include "engine/crypto-pool.h"
#include "engine/esp.h"
#include "engine/flow.h"
#include "engine/fq.h"
#include "engine/icmp.h"
#include "engine/offload.h"
#include "engine/pkt.h"
#include "engine/tun.h"
#include "engine/udp.h"

#define DEFAULT_BUDGET    64
#define DEFAULT_POOL_SIZE 256
#define FILL              4 /* TUN frames read per frame sent in a turn, at most */
#define DEFAULT_PATH_MTU  1500
#define FLOW_CACHE_SIZE   1024       /* power of two */
#define FQ_BYTE_LIMIT     (1u << 20) /* reading pauses here: 16 TSO frames */
/* The TUN's ring (txqueuelen, 500 by default): long enough to hold what arrives while
 * the engine is not scheduled (a flood's sender and receiver busy on a 2-core laptop);
 * the fair queue drains it when the engine runs, so it is no standing queue.  Under a
 * 1.3 Gbit/s UDP flood: ping loss 8 % at 500, 4 % at 1000, 26 % at 100. */
#define TUN_TXQUEUELEN 1000
#define UDP_HDR_LEN    8
#define RX_JOBS        64 /* inbound ESP packets opened together (crypto pool) */

struct flow_cache_entry {
    uint32_t gen; /* valid while equal to the engine's gen */
    struct uip_flow key;
    struct uip_sa *sa; /* NULL: no SA covers this flow */
};

struct uip_engine {
    GMainContext *ctx;
    struct uip_engine_callbacks cb;
    void *user;

    int tun_fd;
    bool own_tun;
    int udp_fd;
    bool own_udp;
    bool udp_offload;   /* UDP GSO/GRO wanted (not no_offload) */
    struct uip_udp udp; /* batched I/O state of udp_fd */
    char tun_name[IFNAMSIZ];
    bool set_tun_mtu;
    bool vnet; /* TUN frames carry a virtio_net_hdr: TSO in, GRO out */
    struct uip_gro gro;

    GSource *tun_src;
    GSource *more_src; /* while the fair queue holds frames */
    GSource *udp_src;
    GSource *timer_src;
    GSource *event_src;

    struct uip_pool pool;
    struct uip_fq fq; /* frames read from the TUN, waiting to be sent */
    struct uip_udp_batch tx;
    /* the seals of tx's packets (with crypto threads), and the inbound packets waiting for
     * their opens (each with its SA and sequence number; with crypto threads, a batch) */
    struct uip_crypto_pool *crypto;
    struct uip_crypto_job tx_jobs[UIP_UDP_BATCH];
    struct uip_crypto_job rx_jobs[RX_JOBS];
    struct uip_pkt *rx_job_pkts[RX_JOBS];
    uint64_t rx_job_seq[RX_JOBS];
    unsigned n_rx_jobs;
    struct uip_udp_batch rx;
    unsigned budget;

    GHashTable *in_sas; /* SPI -> struct uip_sa*, inbound */
    GPtrArray *out_sas; /* struct uip_sa*, outbound, install order */
    struct flow_cache_entry *flow_cache;
    uint32_t gen;

    struct sockaddr_storage peer;
    socklen_t peer_len;
    unsigned path_mtu;
    unsigned mtu;
    unsigned keepalive_interval;
    unsigned replay_window;
    int64_t last_tx_us;

    struct uip_engine_stats st;
};

int uip_engine_raise_priority(void)
{
    return setpriority(PRIO_PROCESS, 0, UIP_ENGINE_NICE) < 0 ? -errno : 0;
}

void uip_engine_config_init(struct uip_engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->tun_fd = -1;
    cfg->udp_fd = -1;
}

static void drop(struct uip_engine *e, struct uip_sa *sa, enum uip_drop reason)
{
    e->st.c.drops[reason]++;
    if (sa)
        sa->drops[reason]++;
}

/* ---- SA events ------------------------------------------------------------ */

static gboolean deliver_events(gpointer data)
{
    struct uip_engine *e = data;
    struct pending {
        uint32_t spi, reqid;
        bool inbound;
        unsigned ev;
    };
    g_autoptr(GArray) todo = g_array_new(FALSE, FALSE, sizeof(struct pending));
    GHashTableIter it;
    gpointer v;

    e->event_src = NULL;
    g_hash_table_iter_init(&it, e->in_sas);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct uip_sa *sa = v;
        if (sa->pending_events) {
            struct pending p = {sa->spi, sa->reqid, true, sa->pending_events};
            g_array_append_val(todo, p);
            sa->pending_events = 0;
        }
    }
    for (unsigned i = 0; i < e->out_sas->len; i++) {
        struct uip_sa *sa = e->out_sas->pdata[i];
        if (sa->pending_events) {
            struct pending p = {sa->spi, sa->reqid, false, sa->pending_events};
            g_array_append_val(todo, p);
            sa->pending_events = 0;
        }
    }
    for (unsigned i = 0; i < todo->len; i++) {
        struct pending *p = &g_array_index(todo, struct pending, i);
        _LOGI("SA %08x (%s, reqid %u): %s%s%s", p->spi, p->inbound ? "in" : "out", p->reqid,
              (p->ev & UIP_SA_EVENT_SOFT_EXPIRE) ? "soft-expired " : "",
              (p->ev & UIP_SA_EVENT_HARD_EXPIRE) ? "hard-expired " : "",
              (p->ev & UIP_SA_EVENT_SEQ_EXHAUSTED) ? "sequence numbers exhausted, stopped sending"
                                                   : "");
        if (e->cb.sa_event)
            e->cb.sa_event(e->user, p->spi, p->inbound, p->reqid, p->ev);
    }
    return G_SOURCE_REMOVE;
}

static void schedule_events(struct uip_engine *e)
{
    if (e->event_src)
        return;
    e->event_src = g_idle_source_new();
    g_source_set_callback(e->event_src, deliver_events, e, NULL);
    g_source_attach(e->event_src, e->ctx);
    g_source_unref(e->event_src);
}

/* ---- MTU -------------------------------------------------------------------- */

static unsigned outer_overhead(const struct uip_engine *e)
{
    return (e->peer.ss_family == AF_INET6 ? 40 : 20) + UDP_HDR_LEN;
}

static uint32_t sa_max_inner(const struct uip_engine *e, enum uip_encr encr, enum uip_integ integ)
{
    unsigned room = e->path_mtu > outer_overhead(e) ? e->path_mtu - outer_overhead(e) : 0;
    return (uint32_t)uip_esp_max_inner(encr, integ, room);
}

static void update_mtu(struct uip_engine *e)
{
    unsigned mtu = UINT32_MAX;

    for (unsigned i = 0; i < e->out_sas->len; i++) {
        struct uip_sa *sa = e->out_sas->pdata[i];
        sa->max_inner = sa_max_inner(e, sa->crypto.encr, sa->crypto.integ);
        mtu = MIN(mtu, sa->max_inner);
    }
    if (e->out_sas->len == 0)
        mtu = sa_max_inner(e, UIP_ENCR_AES_CBC_256, UIP_INTEG_HMAC_SHA2_512_256);
    if (mtu == e->mtu)
        return;
    e->mtu = mtu;
    if (e->set_tun_mtu && e->own_tun) {
        int r = uip_tun_set_mtu(e->tun_name, mtu);
        if (r < 0)
            _LOGW("cannot set MTU %u on %s: %s", mtu, e->tun_name, g_strerror(-r));
    }
    _LOGD("tunnel MTU %u (path MTU %u)", mtu, e->path_mtu);
}

unsigned uip_engine_mtu(const struct uip_engine *e)
{
    return e->mtu;
}

/* ---- outbound ------------------------------------------------------------- */

static struct uip_sa *lookup_out(struct uip_engine *e, const struct uip_flow *f)
{
    struct flow_cache_entry *ent = &e->flow_cache[uip_flow_hash(f) & (FLOW_CACHE_SIZE - 1)];
    struct uip_sa *found = NULL;

    if (ent->gen == e->gen && memcmp(&ent->key, f, sizeof(*f)) == 0)
        return ent->sa;
    for (unsigned i = 0; i < e->out_sas->len; i++) {
        struct uip_sa *sa = e->out_sas->pdata[i];
        if (uip_sa_covers(sa, f, true)) {
            found = sa;
            break;
        }
    }
    ent->gen = e->gen;
    ent->key = *f;
    ent->sa = found;
    return found;
}

static void tun_write_frame(void *data, const uint8_t *frame, size_t len)
{
    struct uip_engine *e = data;

    if (write(e->tun_fd, frame, len) < 0)
        drop(e, NULL, errno == EAGAIN || errno == ENOBUFS ? UIP_DROP_QUEUE_FULL : UIP_DROP_IO);
}

/* Hand @p (a complete inner packet) to the TUN; takes ownership. */
static void tun_output(struct uip_engine *e, struct uip_pkt *p)
{
    if (e->vnet) {
        uip_gro_add(&e->gro, p, &e->pool, tun_write_frame, e);
        return;
    }
    tun_write_frame(e, p->data, p->len);
    uip_pool_put(&e->pool, p);
}

static void tun_output_flush(struct uip_engine *e)
{
    if (e->vnet)
        uip_gro_flush(&e->gro, &e->pool, tun_write_frame, e);
}

static void send_too_big(struct uip_engine *e, struct uip_sa *sa, struct uip_pkt *p, unsigned mtu)
{
    struct uip_pkt *icmp = uip_pool_get(&e->pool);

    drop(e, sa, UIP_DROP_TOO_BIG);
    if (!icmp)
        return;
    if (uip_icmp_too_big(p->data, p->len, mtu, icmp) == 0) {
        e->st.icmp_sent++;
        tun_output(e, icmp);
    } else {
        uip_pool_put(&e->pool, icmp);
    }
}

/* With crypto threads: seal the batch's packets, and leave out any whose seal failed. */
static void seal_tx(struct uip_engine *e)
{
    unsigned kept = 0;

    uip_crypto_pool_run(e->crypto, e->tx_jobs, e->tx.n);
    for (unsigned i = 0; i < e->tx.n; i++) {
        if (e->tx_jobs[i].result < 0) {
            drop(e, e->tx_jobs[i].sa, UIP_DROP_IO);
            uip_pool_put(&e->pool, e->tx.pkts[i]);
            continue;
        }
        e->tx.pkts[kept++] = e->tx.pkts[i];
    }
    e->tx.n = kept;
}

static void flush_tx(struct uip_engine *e)
{
    unsigned n;

    if (e->crypto && e->tx.n)
        seal_tx(e);
    n = e->tx.n;
    if (n == 0)
        return;
    unsigned sent = uip_udp_send_batch(&e->udp, &e->pool, &e->tx);
    if (sent < n)
        e->st.c.drops[UIP_DROP_QUEUE_FULL] += n - sent;
    if (sent)
        e->last_tx_us = g_get_monotonic_time();
}

/* Takes ownership of @p: queued for sending, or returned to the pool. */
static void outbound(struct uip_engine *e, struct uip_pkt *p)
{
    struct uip_flow f;
    struct uip_sa *sa;
    size_t ip_len;
    int r;

    if (uip_flow_parse(p->data, p->len, &f, &ip_len) < 0) {
        drop(e, NULL, UIP_DROP_MALFORMED);
        goto out;
    }
    sa = lookup_out(e, &f);
    if (!sa) {
        drop(e, NULL, UIP_DROP_NO_SA);
        goto out;
    }
    if (p->len > sa->max_inner) {
        /* IPv4 without DF may go on and be fragmented outside the tunnel */
        if (f.family == AF_INET6 || (p->data[6] & 0x40)) {
            send_too_big(e, sa, p, sa->max_inner);
            goto out;
        }
    }
    uint32_t inner_len = p->len;
    uint8_t nh = f.family == AF_INET ? UIP_ESP_NH_IPV4 : UIP_ESP_NH_IPV6;
    /* with crypto threads the seal waits for the batch (flush_tx) */
    r = e->crypto ? uip_esp_encap_prepare(sa, p, nh, &e->tx_jobs[e->tx.n])
                  : uip_esp_encap(sa, p, nh);
    if (sa->pending_events)
        schedule_events(e);
    if (r < 0) {
        drop(e, sa, uip_esp_drop_reason(r));
        goto out;
    }
    e->st.c.pkts_out++;
    e->st.c.bytes_out += inner_len;
    e->tx.pkts[e->tx.n++] = p;
    if (e->tx.n == UIP_UDP_BATCH)
        flush_tx(e);
    return;
out:
    uip_pool_put(&e->pool, p);
}

static void outbound_segment(void *data, struct uip_pkt *p)
{
    outbound(data, p);
}

/* A frame read from a TUN with virtio_net_hdr; takes ownership of @p. */
static void outbound_vnet(struct uip_engine *e, struct uip_pkt *p)
{
    struct virtio_net_hdr h;

    if (p->len < UIP_VNET_HDR_LEN) {
        drop(e, NULL, UIP_DROP_MALFORMED);
        uip_pool_put(&e->pool, p);
        return;
    }
    memcpy(&h, p->data, UIP_VNET_HDR_LEN);
    p->data += UIP_VNET_HDR_LEN;
    p->len -= UIP_VNET_HDR_LEN;
    if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        e->st.tso_in++;
        int r = uip_gso_split(&h, p->data, p->len, &e->pool, outbound_segment, e);
        if (r < 0)
            drop(e, NULL, r == -ENOBUFS ? UIP_DROP_QUEUE_FULL : UIP_DROP_MALFORMED);
        uip_pool_put(&e->pool, p);
        return;
    }
    if (uip_offload_finish_csum(&h, p->data, p->len) < 0) {
        drop(e, NULL, UIP_DROP_MALFORMED);
        uip_pool_put(&e->pool, p);
        return;
    }
    outbound(e, p);
}

/* The fair queue's bucket for a TUN frame: its flow's hash (0 for what does
 * not parse; outbound() drops that). */
static uint32_t frame_hash(const struct uip_engine *e, const struct uip_pkt *p)
{
    unsigned lead = e->vnet ? UIP_VNET_HDR_LEN : 0;
    struct uip_flow f;

    if (p->len <= lead || uip_flow_parse(p->data + lead, p->len - lead, &f, NULL) < 0)
        return 0;
    return uip_flow_hash(&f);
}

/* Empty the TUN's ring into the outbound queue. */
static void tun_fill(struct uip_engine *e)
{
    unsigned lead = e->vnet ? UIP_VNET_HDR_LEN : 0;

    for (unsigned i = 0; i < FILL * e->budget && e->fq.bytes < FQ_BYTE_LIMIT; i++) {
        struct uip_pkt *p = uip_pool_get(&e->pool);
        if (!p)
            break; /* the rest waits in the TUN queue, which the kernel bounds */
        /* the packet itself lands at the usual headroom */
        p->data -= lead;
        ssize_t n = read(e->tun_fd, p->data, UIP_PKT_MAX_LEN + lead);
        if (n <= 0) {
            uip_pool_put(&e->pool, p);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                drop(e, NULL, UIP_DROP_IO);
            break;
        }
        p->len = (uint32_t)n;
        e->st.c.drops[UIP_DROP_FLOW_QUEUE] += uip_fq_enqueue(&e->fq, p, frame_hash(e, p), &e->pool);
    }
}

static void tun_serve(struct uip_engine *e)
{
    for (unsigned i = 0; i < e->budget; i++) {
        struct uip_pkt *p = uip_fq_dequeue(&e->fq);
        if (!p)
            break;
        if (e->vnet)
            outbound_vnet(e, p);
        else
            outbound(e, p);
    }
    flush_tx(e);
    tun_output_flush(e); /* ICMP errors */
}

static gboolean tun_more(gpointer data);

/* One turn: fill, send up to budget frames in fair order, and keep an idle
 * source while frames are left. */
static void tun_work(struct uip_engine *e)
{
    tun_fill(e);
    tun_serve(e);
    if (!uip_fq_empty(&e->fq) && !e->more_src) {
        /* default priority: a turn in every main loop iteration, like the fds */
        e->more_src = g_idle_source_new();
        g_source_set_priority(e->more_src, G_PRIORITY_DEFAULT);
        g_source_set_callback(e->more_src, tun_more, e, NULL);
        g_source_attach(e->more_src, e->ctx);
    }
}

static gboolean tun_more(gpointer data)
{
    struct uip_engine *e = data;

    tun_work(e);
    if (!uip_fq_empty(&e->fq))
        return G_SOURCE_CONTINUE;
    g_source_unref(e->more_src);
    e->more_src = NULL;
    return G_SOURCE_REMOVE;
}

static gboolean tun_readable(gint fd, GIOCondition cond, gpointer data)
{
    struct uip_engine *e = data;

    /* while frames wait, tun_more() reads too: one turn per iteration */
    if (!e->more_src)
        tun_work(e);
    return G_SOURCE_CONTINUE;
}

/* ---- inbound -------------------------------------------------------------- */

static bool is_ike(const uint8_t *d, size_t len)
{
    return len >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0;
}

/* An opened ESP packet of @sa (sequence number @seq): padding, replay commit, next header,
 * selectors, into the TUN; takes ownership of @p. */
static void inbound_deliver(struct uip_engine *e, struct uip_sa *sa, struct uip_pkt *p,
                            uint64_t seq)
{
    struct uip_flow f;
    uint8_t nh;
    size_t ip_len;
    int r;

    r = uip_esp_decap_finish(sa, p, seq, &nh);
    if (sa->pending_events)
        schedule_events(e);
    if (r < 0) {
        drop(e, sa, uip_esp_drop_reason(r));
        goto out;
    }
    if (nh == UIP_ESP_NH_DUMMY) {
        e->st.dummy_in++;
        goto out;
    }
    if ((nh != UIP_ESP_NH_IPV4 && nh != UIP_ESP_NH_IPV6) ||
        uip_flow_parse(p->data, p->len, &f, &ip_len) < 0 ||
        (nh == UIP_ESP_NH_IPV4) != (f.family == AF_INET)) {
        drop(e, sa, UIP_DROP_MALFORMED);
        goto out;
    }
    if (!uip_sa_covers(sa, &f, false)) {
        drop(e, sa, UIP_DROP_POLICY);
        goto out;
    }
    p->len = (uint32_t)ip_len; /* drop TFC padding after the IP packet */
    e->st.c.pkts_in++;
    e->st.c.bytes_in += ip_len;
    tun_output(e, p);
    return;
out:
    uip_pool_put(&e->pool, p);
}

/* Open the waiting packets together (with crypto threads, on the pool's lanes), then deliver
 * them in their order. */
static void inbound_flush_jobs(struct uip_engine *e)
{
    unsigned n = e->n_rx_jobs;

    if (n == 0)
        return;
    e->n_rx_jobs = 0;
    uip_crypto_pool_run(e->crypto, e->rx_jobs, n);
    for (unsigned i = 0; i < n; i++) {
        struct uip_crypto_job *j = &e->rx_jobs[i];
        if (j->result < 0) {
            drop(e, j->sa, uip_esp_drop_reason(j->result));
            uip_pool_put(&e->pool, e->rx_job_pkts[i]);
            continue;
        }
        inbound_deliver(e, j->sa, e->rx_job_pkts[i], e->rx_job_seq[i]);
    }
}

/* One datagram from the socket; takes ownership of @p.  An ESP packet waits for its open in
 * rx_jobs (inbound_flush_jobs(): at once without crypto threads, else when the batch ends);
 * anything else goes first through the packets waiting there, so the order stays and the IKE
 * callback, which may delete SAs, never runs while a packet of one waits. */
static void inbound(struct uip_engine *e, struct uip_pkt *p, const struct sockaddr *from,
                    socklen_t from_len)
{
    struct uip_sa *sa = NULL;
    uint32_t spi;
    int r;

    if (p->len == 1 && p->data[0] == 0xff) {
        e->st.keepalive_in++;
        goto out;
    }
    if (is_ike(p->data, p->len)) {
        e->st.ike_in++;
        inbound_flush_jobs(e);
        if (e->cb.ike_packet)
            e->cb.ike_packet(e->user, p->data + 4, p->len - 4, from, from_len);
        goto out;
    }
    if (uip_esp_peek_spi(p->data, p->len, &spi) < 0) {
        drop(e, NULL, UIP_DROP_MALFORMED);
        goto out;
    }
    sa = g_hash_table_lookup(e->in_sas, GUINT_TO_POINTER(spi));
    if (!sa) {
        drop(e, NULL, UIP_DROP_NO_SA);
        goto out;
    }
    const unsigned n = e->n_rx_jobs;
    r = uip_esp_decap_prepare(sa, p, &e->rx_job_seq[n], &e->rx_jobs[n]);
    if (sa->pending_events)
        schedule_events(e);
    if (r < 0) {
        drop(e, sa, uip_esp_drop_reason(r));
        goto out;
    }
    e->rx_job_pkts[n] = p;
    e->n_rx_jobs = n + 1;
    if (!e->crypto || e->n_rx_jobs == RX_JOBS)
        inbound_flush_jobs(e);
    return;
out:
    uip_pool_put(&e->pool, p);
}

/* A UDP GRO datagram: several datagrams of @seg bytes (the last may be
 * shorter) back to back.  Each gets its own buffer, as if received alone. */
static unsigned inbound_gro(struct uip_engine *e, struct uip_pkt *p, unsigned seg,
                            const struct sockaddr *from, socklen_t from_len)
{
    unsigned n = 0;

    for (uint32_t off = 0; off < p->len; off += seg, n++) {
        uint32_t len = MIN(seg, p->len - off);
        struct uip_pkt *q = uip_pool_get(&e->pool);
        if (!q) {
            drop(e, NULL, UIP_DROP_QUEUE_FULL);
            continue;
        }
        memcpy(q->data, p->data + off, len);
        q->len = len;
        inbound(e, q, from, from_len);
    }
    uip_pool_put(&e->pool, p);
    return n;
}

static gboolean udp_readable(gint fd, GIOCondition cond, gpointer data)
{
    struct uip_engine *e = data;
    unsigned done = 0;

    while (done < e->budget) {
        int n = uip_udp_recv_batch(&e->udp, &e->pool, &e->rx, MIN(UIP_UDP_BATCH, e->budget - done));
        if (n < 0) {
            /* ICMP errors surface here on a connected socket; they are not fatal, but each
             * counts against the budget, so a stream of them cannot hold the main loop */
            if (n != -ECONNREFUSED && n != -EINTR) {
                drop(e, NULL, UIP_DROP_IO);
                break;
            }
            done++;
            continue;
        }
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            struct uip_pkt *p = e->rx.pkts[i];
            if (p->len == 0) {
                drop(e, NULL, UIP_DROP_MALFORMED);
                uip_pool_put(&e->pool, p);
                continue;
            }
            const struct sockaddr *from = (struct sockaddr *)&e->rx.addrs[i];
            socklen_t from_len = e->rx.msgs[i].msg_hdr.msg_namelen;
            if (e->rx.gso_size[i])
                done += inbound_gro(e, p, e->rx.gso_size[i], from, from_len);
            else {
                inbound(e, p, from, from_len);
                done++;
            }
        }
    }
    inbound_flush_jobs(e);
    tun_output_flush(e);
    return G_SOURCE_CONTINUE;
}

void uip_engine_inject_udp(struct uip_engine *e, const uint8_t *data, size_t len)
{
    struct uip_pkt *p = uip_pool_get(&e->pool);

    if (!p) {
        drop(e, NULL, UIP_DROP_QUEUE_FULL);
        return;
    }
    if (len == 0 || len > UIP_PKT_MAX_LEN) {
        drop(e, NULL, UIP_DROP_MALFORMED);
        uip_pool_put(&e->pool, p);
        return;
    }
    memcpy(p->data, data, len);
    p->len = (uint32_t)len;
    inbound(e, p, (struct sockaddr *)&e->peer, e->peer_len);
    inbound_flush_jobs(e);
    tun_output_flush(e);
}

/* ---- timers ---------------------------------------------------------------- */

static void send_keepalive(struct uip_engine *e)
{
    static const uint8_t ka = 0xff;

    if (send(e->udp_fd, &ka, 1, MSG_DONTWAIT) == 1) {
        e->st.keepalive_out++;
        e->last_tx_us = g_get_monotonic_time();
    }
}

static gboolean on_timer(gpointer data)
{
    struct uip_engine *e = data;
    int64_t now = g_get_monotonic_time();
    bool ev = false;
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, e->in_sas);
    while (g_hash_table_iter_next(&it, NULL, &v))
        ev |= uip_sa_check_time(v, now) != 0;
    for (unsigned i = 0; i < e->out_sas->len; i++)
        ev |= uip_sa_check_time(e->out_sas->pdata[i], now) != 0;
    if (ev)
        schedule_events(e);

    if (e->keepalive_interval && now - e->last_tx_us >= (int64_t)e->keepalive_interval * 1000000)
        send_keepalive(e);
    return G_SOURCE_CONTINUE;
}

/* ---- setup ----------------------------------------------------------------- */

int uip_engine_set_peer(struct uip_engine *e, const struct sockaddr *peer, socklen_t len)
{
    if (len > sizeof(e->peer) || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6))
        return -EINVAL;
    if (e->own_udp && connect(e->udp_fd, peer, len) < 0)
        return -errno;
    memcpy(&e->peer, peer, len);
    e->peer_len = len;
    update_mtu(e);
    return 0;
}

static GSource *add_fd_source(struct uip_engine *e, int fd, GUnixFDSourceFunc fn)
{
    GSource *s = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(s, (GSourceFunc)(void (*)(void))fn, e, NULL);
    g_source_attach(s, e->ctx);
    return s;
}

static void destroy_source(GSource **s);

int uip_engine_replace_udp(struct uip_engine *e, int fd)
{
    if (!e->own_udp)
        return -EINVAL;
    if (connect(fd, (struct sockaddr *)&e->peer, e->peer_len) < 0)
        return -errno;
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    destroy_source(&e->udp_src);
    close(e->udp_fd);
    e->udp_fd = fd;
    uip_udp_init(&e->udp, fd, e->udp_offload);
    e->udp_src = add_fd_source(e, fd, udp_readable);
    e->last_tx_us = 0; /* a NAT keepalive soon opens the new path through a NAT */
    return 0;
}

static void sa_free_cb(gpointer sa)
{
    uip_sa_free(sa);
}

int uip_engine_new(const struct uip_engine_config *cfg, const struct uip_engine_callbacks *cb,
                   void *user, GMainContext *ctx, struct uip_engine **out)
{
    struct uip_engine *e;
    int r;

    if (cfg->tun_fd < 0 && cfg->tun_name && strlen(cfg->tun_name) >= IFNAMSIZ)
        return -EINVAL;
    if (cfg->udp_fd < 0 && cfg->local_len == 0)
        return -EINVAL;
    if (cfg->path_mtu && cfg->path_mtu < 576)
        return -EINVAL;

    e = g_new0(struct uip_engine, 1);
    e->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
    if (cb)
        e->cb = *cb;
    e->user = user;
    e->tun_fd = e->udp_fd = -1;
    e->budget = cfg->budget ? cfg->budget : DEFAULT_BUDGET;
    e->path_mtu = cfg->path_mtu ? cfg->path_mtu : DEFAULT_PATH_MTU;
    e->keepalive_interval = cfg->keepalive_interval;
    e->replay_window = cfg->replay_window;
    e->set_tun_mtu = cfg->set_tun_mtu;
    e->gen = 1;
    e->in_sas = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, sa_free_cb);
    e->out_sas = g_ptr_array_new_with_free_func(sa_free_cb);
    e->flow_cache = g_new0(struct flow_cache_entry, FLOW_CACHE_SIZE);
    e->last_tx_us = g_get_monotonic_time();
    if (cfg->crypto_threads > UIP_CRYPTO_POOL_MAX_THREADS) {
        r = -EINVAL;
        goto fail;
    }
    e->crypto = uip_crypto_pool_new(cfg->crypto_threads);

    unsigned pool_size = cfg->pool_size ? cfg->pool_size : DEFAULT_POOL_SIZE;
    /* a quarter of the pool at most, so cutting TSO frames, sending and receiving
     * always find buffers; reading pauses at FQ_BYTE_LIMIT, so the queue's own
     * byte limit (twice that) only guards */
    uip_fq_init(&e->fq, pool_size / 4, 2 * FQ_BYTE_LIMIT, g_random_int());
    r = uip_pool_init(&e->pool, pool_size);
    if (r < 0)
        goto fail;

    if (cfg->tun_fd >= 0) {
        e->tun_fd = cfg->tun_fd;
        g_unix_set_fd_nonblocking(e->tun_fd, TRUE, NULL);
        g_strlcpy(e->tun_name, cfg->tun_name ? cfg->tun_name : "faketun", sizeof(e->tun_name));
    } else {
        e->vnet = !cfg->no_offload;
        r = uip_tun_open(cfg->tun_name, e->tun_name, &e->vnet, &e->gro.udp);
        if (r < 0) {
            _LOGE("cannot create TUN device %s: %s", cfg->tun_name ? cfg->tun_name : "",
                  g_strerror(-r));
            goto fail;
        }
        e->tun_fd = r;
        e->own_tun = true;
    }

    if (cfg->udp_fd >= 0) {
        e->udp_fd = cfg->udp_fd;
        g_unix_set_fd_nonblocking(e->udp_fd, TRUE, NULL);
    } else {
        r = uip_udp_open((const struct sockaddr *)&cfg->local, cfg->local_len);
        if (r < 0) {
            _LOGE("cannot open the UDP socket: %s", g_strerror(-r));
            goto fail;
        }
        e->udp_fd = r;
        e->own_udp = true;
    }
    e->udp_offload = !cfg->no_offload;
    uip_udp_init(&e->udp, e->udp_fd, e->udp_offload);

    if (cfg->peer_len) {
        r = uip_engine_set_peer(e, (const struct sockaddr *)&cfg->peer, cfg->peer_len);
        if (r < 0) {
            _LOGE("cannot use the peer address: %s", g_strerror(-r));
            goto fail;
        }
    } else {
        e->peer.ss_family = cfg->local.ss_family;
        update_mtu(e);
    }
    if (e->own_tun) {
        r = uip_tun_set_txqueuelen(e->tun_name, TUN_TXQUEUELEN);
        if (r < 0)
            _LOGW("cannot set the txqueuelen of %s: %s", e->tun_name, g_strerror(-r));
        r = uip_tun_set_up(e->tun_name);
        if (r < 0)
            _LOGW("cannot bring %s up: %s", e->tun_name, g_strerror(-r));
    }

    e->tun_src = add_fd_source(e, e->tun_fd, tun_readable);
    e->udp_src = add_fd_source(e, e->udp_fd, udp_readable);
    e->timer_src = g_timeout_source_new_seconds(1);
    g_source_set_callback(e->timer_src, on_timer, e, NULL);
    g_source_attach(e->timer_src, e->ctx);

    _LOGI("engine up: TUN %s, MTU %u%s", e->tun_name, e->mtu,
          !e->vnet ? "" : e->gro.udp ? ", TSO/USO/GRO" : ", TSO/GRO");
    *out = e;
    return 0;
fail:
    uip_engine_free(e);
    return r;
}

static void destroy_source(GSource **s)
{
    if (*s) {
        g_source_destroy(*s);
        g_source_unref(*s);
        *s = NULL;
    }
}

void uip_engine_free(struct uip_engine *e)
{
    if (!e)
        return;
    destroy_source(&e->tun_src);
    destroy_source(&e->more_src);
    destroy_source(&e->udp_src);
    destroy_source(&e->timer_src);
    if (e->event_src) {
        g_source_destroy(e->event_src);
        e->event_src = NULL;
    }
    uip_crypto_pool_free(g_steal_pointer(&e->crypto));
    uip_fq_purge(&e->fq, &e->pool);
    for (unsigned i = 0; i < e->tx.n; i++)
        uip_pool_put(&e->pool, e->tx.pkts[i]);
    e->tx.n = 0;
    for (unsigned i = 0; i < e->n_rx_jobs; i++)
        uip_pool_put(&e->pool, e->rx_job_pkts[i]);
    e->n_rx_jobs = 0;
    for (unsigned i = 0; i < e->gro.n; i++)
        uip_pool_put(&e->pool, e->gro.items[i].p);
    e->gro.n = 0;
    if (e->own_tun && e->tun_fd >= 0)
        close(e->tun_fd);
    if (e->own_udp && e->udp_fd >= 0)
        close(e->udp_fd);
    g_clear_pointer(&e->in_sas, g_hash_table_destroy);
    if (e->out_sas)
        g_ptr_array_free(e->out_sas, TRUE);
    g_free(e->flow_cache);
    uip_pool_clear(&e->pool);
    g_main_context_unref(e->ctx);
    g_free(e);
}

const char *uip_engine_tun_name(const struct uip_engine *e)
{
    return e->tun_name;
}

int uip_engine_udp_fd(const struct uip_engine *e)
{
    return e->udp_fd;
}

/* ---- SA table -------------------------------------------------------------- */

int uip_engine_sa_add(struct uip_engine *e, const struct uip_sa_config *cfg)
{
    struct uip_sa *sa;
    int r;

    if (cfg->inbound && g_hash_table_contains(e->in_sas, GUINT_TO_POINTER(cfg->spi)))
        return -EEXIST;
    r = uip_sa_new(cfg, e->replay_window, &sa);
    if (r < 0)
        return r;
    if (e->crypto && (r = uip_sa_set_lanes(sa, uip_crypto_pool_lanes(e->crypto))) < 0) {
        uip_sa_free(sa);
        return r;
    }

    if (cfg->inbound) {
        g_hash_table_insert(e->in_sas, GUINT_TO_POINTER(sa->spi), sa);
    } else {
        bool replaced = false;
        for (unsigned i = 0; i < e->out_sas->len; i++) {
            struct uip_sa *old = e->out_sas->pdata[i];
            if (old->reqid == sa->reqid) {
                e->out_sas->pdata[i] = sa;
                _LOGD("outbound SA %08x replaces %08x (reqid %u)", sa->spi, old->spi, sa->reqid);
                uip_sa_free(old);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            g_ptr_array_add(e->out_sas, sa);
        e->gen++;
        update_mtu(e);
    }
    _LOGD("SA %08x installed (%s, reqid %u, %s%s%s%s)", sa->spi, cfg->inbound ? "in" : "out",
          sa->reqid, uip_encr_name(cfg->encr), cfg->integ ? "/" : "",
          cfg->integ ? uip_integ_name(cfg->integ) : "", cfg->esn ? ", esn" : "");
    return 0;
}

int uip_engine_sa_del(struct uip_engine *e, uint32_t spi, bool inbound)
{
    if (inbound)
        return g_hash_table_remove(e->in_sas, GUINT_TO_POINTER(spi)) ? 0 : -ENOENT;
    for (unsigned i = 0; i < e->out_sas->len; i++) {
        struct uip_sa *sa = e->out_sas->pdata[i];
        if (sa->spi == spi) {
            g_ptr_array_remove_index(e->out_sas, i);
            e->gen++;
            update_mtu(e);
            return 0;
        }
    }
    return -ENOENT;
}

static const struct uip_sa *find_sa(const struct uip_engine *e, uint32_t spi, bool inbound)
{
    if (inbound)
        return g_hash_table_lookup(e->in_sas, GUINT_TO_POINTER(spi));
    for (unsigned i = 0; i < e->out_sas->len; i++) {
        const struct uip_sa *sa = e->out_sas->pdata[i];
        if (sa->spi == spi)
            return sa;
    }
    return NULL;
}

int uip_engine_sa_stats(const struct uip_engine *e, uint32_t spi, bool inbound,
                        struct uip_sa_stats *st)
{
    const struct uip_sa *sa = find_sa(e, spi, inbound);

    if (!sa)
        return -ENOENT;
    uip_sa_get_stats(sa, st);
    return 0;
}

void uip_engine_stats(const struct uip_engine *e, struct uip_engine_stats *st)
{
    *st = e->st;
    st->gro_coalesced = e->gro.coalesced;
    st->offload = e->vnet;
    st->pool_avail = e->pool.avail;
    st->pool_size = e->pool.size;
    st->n_sa = g_hash_table_size(e->in_sas) + e->out_sas->len;
}

int uip_engine_send_ike(struct uip_engine *e, const uint8_t *msg, size_t len)
{
    static const uint8_t marker[4] = {0};
    struct iovec iov[2] = {{(void *)marker, 4}, {(void *)msg, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

    if (len > UIP_PKT_MAX_LEN - 4)
        return -EMSGSIZE;
    if (!e->own_udp && e->peer_len) {
        mh.msg_name = &e->peer;
        mh.msg_namelen = e->peer_len;
    }
    if (sendmsg(e->udp_fd, &mh, MSG_DONTWAIT) < 0)
        return -errno;
    e->last_tx_us = g_get_monotonic_time();
    return 0;
}

char *uip_engine_stats_to_string(const struct uip_engine_stats *st)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s,
                           "pkts_in=%" G_GUINT64_FORMAT " bytes_in=%" G_GUINT64_FORMAT
                           " pkts_out=%" G_GUINT64_FORMAT " bytes_out=%" G_GUINT64_FORMAT,
                           st->c.pkts_in, st->c.bytes_in, st->c.pkts_out, st->c.bytes_out);
    for (unsigned i = 0; i < UIP_DROP__MAX; i++)
        g_string_append_printf(s, " drop_%s=%" G_GUINT64_FORMAT, uip_drop_name(i), st->c.drops[i]);
    g_string_append_printf(
        s,
        " ike_in=%" G_GUINT64_FORMAT " keepalive_in=%" G_GUINT64_FORMAT
        " keepalive_out=%" G_GUINT64_FORMAT " dummy_in=%" G_GUINT64_FORMAT
        " icmp_sent=%" G_GUINT64_FORMAT " tso_in=%" G_GUINT64_FORMAT
        " gro_coalesced=%" G_GUINT64_FORMAT " offload=%d pool_avail=%u pool_size=%u n_sa=%u",
        st->ike_in, st->keepalive_in, st->keepalive_out, st->dummy_in, st->icmp_sent, st->tso_in,
        st->gro_coalesced, st->offload, st->pool_avail, st->pool_size, st->n_sa);
    return g_string_free(s, FALSE);
}
