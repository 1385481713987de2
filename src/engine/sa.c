/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SA life cycle: keyed at creation (one crypto context per direction, and a
 * copy per extra lane of the engine's crypto pool), accounted per packet
 * against its lifetimes, wiped at free.
 */
#include "engine/sa.h"

#include <errno.h>
#include <string.h>
#include <glib.h>

#include "common/uip-secret.h"
#include "engine/flow.h"

static const char *const drop_names[UIP_DROP__MAX] = {
    [UIP_DROP_NO_SA] = "no_sa",
    [UIP_DROP_REPLAY] = "replay",
    [UIP_DROP_ICV] = "icv",
    [UIP_DROP_PADDING] = "padding",
    [UIP_DROP_MALFORMED] = "malformed",
    [UIP_DROP_QUEUE_FULL] = "queue_full",
    [UIP_DROP_TOO_BIG] = "too_big",
    [UIP_DROP_POLICY] = "policy",
    [UIP_DROP_EXPIRED] = "expired",
    [UIP_DROP_IO] = "io",
    [UIP_DROP_FLOW_QUEUE] = "flow_queue",
};

const char *uip_drop_name(enum uip_drop reason)
{
    if ((unsigned)reason >= UIP_DROP__MAX)
        return "unknown";
    return drop_names[reason];
}

static int copy_ts(struct uip_ts *dst, unsigned *n_dst, const struct uip_ts *src, unsigned n)
{
    if (n > UIP_SA_MAX_TS)
        return -EINVAL;
    if (n == 0) {
        uip_ts_any(&dst[0], AF_INET);
        uip_ts_any(&dst[1], AF_INET6);
        *n_dst = 2;
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        if (src[i].family != AF_INET && src[i].family != AF_INET6)
            return -EINVAL;
        if (src[i].port_start > src[i].port_end)
            return -EINVAL;
        dst[i] = src[i];
    }
    *n_dst = n;
    return 0;
}

int uip_sa_new(const struct uip_sa_config *cfg, uint32_t default_window, struct uip_sa **out)
{
    struct uip_sa *sa;
    int r;

    if (cfg->spi == 0 || cfg->reqid == 0)
        return -EINVAL;
    sa = g_new0(struct uip_sa, 1);
    sa->spi = cfg->spi;
    sa->inbound = cfg->inbound;
    sa->esn = cfg->esn;
    sa->reqid = cfg->reqid;
    sa->soft = cfg->soft;
    sa->hard = cfg->hard;
    sa->installed_us = g_get_monotonic_time();

    r = copy_ts(sa->local_ts, &sa->n_local_ts, cfg->local_ts, cfg->n_local_ts);
    if (r == 0)
        r = copy_ts(sa->remote_ts, &sa->n_remote_ts, cfg->remote_ts, cfg->n_remote_ts);
    if (r == 0)
        r = uip_esp_crypto_init(&sa->crypto, cfg->encr, cfg->integ, cfg->keymat, cfg->keymat_len,
                                !cfg->inbound);
    if (r == 0 && cfg->inbound)
        r = uip_replay_init(&sa->replay,
                            cfg->replay_window ? cfg->replay_window : default_window, cfg->esn);
    if (r < 0) {
        uip_sa_free(sa);
        return r;
    }
    *out = sa;
    return 0;
}

static void clear_lanes(struct uip_sa *sa)
{
    for (unsigned i = 0; i < sa->n_lanes; i++)
        uip_esp_crypto_clear(&sa->lanes[i]);
    g_free(sa->lanes);
    sa->lanes = NULL;
    sa->n_lanes = 0;
}

int uip_sa_set_lanes(struct uip_sa *sa, unsigned lanes)
{
    clear_lanes(sa);
    if (lanes <= 1)
        return 0;
    sa->lanes = g_new0(struct uip_esp_crypto, lanes - 1);
    for (unsigned i = 0; i < lanes - 1; i++) {
        if (uip_esp_crypto_dup(&sa->crypto, &sa->lanes[i]) < 0) {
            clear_lanes(sa);
            return -ENOMEM;
        }
        sa->n_lanes++;
    }
    return 0;
}

void uip_sa_free(struct uip_sa *sa)
{
    if (!sa)
        return;
    clear_lanes(sa);
    uip_esp_crypto_clear(&sa->crypto);
    uip_replay_clear(&sa->replay);
    uip_free_secret(sa, sizeof(*sa));
}

static unsigned sa_raise(struct uip_sa *sa, unsigned ev)
{
    ev &= ~sa->pending_events;
    if (ev & UIP_SA_EVENT_SOFT_EXPIRE) {
        if (sa->soft_expired)
            ev &= ~(unsigned)UIP_SA_EVENT_SOFT_EXPIRE;
        sa->soft_expired = true;
    }
    if (ev & (UIP_SA_EVENT_HARD_EXPIRE | UIP_SA_EVENT_SEQ_EXHAUSTED)) {
        if (sa->hard_expired)
            ev &= ~(unsigned)(UIP_SA_EVENT_HARD_EXPIRE | UIP_SA_EVENT_SEQ_EXHAUSTED);
        sa->hard_expired = true;
    }
    sa->pending_events |= ev;
    return ev;
}

static bool over(uint64_t value, uint64_t limit)
{
    return limit && value >= limit;
}

unsigned uip_sa_account(struct uip_sa *sa, uint32_t bytes)
{
    unsigned ev = 0;

    sa->pkts++;
    sa->bytes += bytes;
    if (!sa->soft_expired && (over(sa->pkts, sa->soft.packets) || over(sa->bytes, sa->soft.bytes)))
        ev |= UIP_SA_EVENT_SOFT_EXPIRE;
    if (!sa->hard_expired && (over(sa->pkts, sa->hard.packets) || over(sa->bytes, sa->hard.bytes)))
        ev |= UIP_SA_EVENT_HARD_EXPIRE;
    return ev ? sa_raise(sa, ev) : 0;
}

unsigned uip_sa_check_time(struct uip_sa *sa, int64_t now_us)
{
    uint64_t age = now_us > sa->installed_us ? (uint64_t)(now_us - sa->installed_us) / 1000000u : 0;
    unsigned ev = 0;

    if (!sa->soft_expired && over(age, sa->soft.seconds))
        ev |= UIP_SA_EVENT_SOFT_EXPIRE;
    if (!sa->hard_expired && over(age, sa->hard.seconds))
        ev |= UIP_SA_EVENT_HARD_EXPIRE;
    return ev ? sa_raise(sa, ev) : 0;
}

void uip_sa_get_stats(const struct uip_sa *sa, struct uip_sa_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->spi = sa->spi;
    st->inbound = sa->inbound;
    st->reqid = sa->reqid;
    st->seq = sa->inbound ? sa->replay.top : sa->seq;
    st->pkts = sa->pkts;
    st->bytes = sa->bytes;
    memcpy(st->drops, sa->drops, sizeof(st->drops));
    st->soft_expired = sa->soft_expired;
    st->hard_expired = sa->hard_expired;
}

static bool ts_list_match(const struct uip_ts *ts, unsigned n, const struct uip_flow *f,
                          const uint8_t *addr, uint16_t port)
{
    for (unsigned i = 0; i < n; i++)
        if (uip_ts_match(&ts[i], f->family, addr, f->proto, port))
            return true;
    return false;
}

bool uip_sa_covers(const struct uip_sa *sa, const struct uip_flow *f, bool outbound_view)
{
    const uint8_t *local_addr = outbound_view ? f->src : f->dst;
    const uint8_t *remote_addr = outbound_view ? f->dst : f->src;
    uint16_t local_port = outbound_view ? f->sport : f->dport;
    uint16_t remote_port = outbound_view ? f->dport : f->sport;

    return ts_list_match(sa->local_ts, sa->n_local_ts, f, local_addr, local_port) &&
           ts_list_match(sa->remote_ts, sa->n_remote_ts, f, remote_addr, remote_port);
}
