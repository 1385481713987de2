/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Security associations of the ESP engine, their counters and lifetimes.
 *
 * An SA is one direction of a CHILD_SA: its SPI, keyed crypto context,
 * sequence number (outbound) or replay window (inbound), traffic selectors,
 * lifetimes and counters.  SAs of one CHILD_SA share a reqid; a rekeyed
 * CHILD_SA gets new SAs with the same reqid.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/uip-ts.h"
#include "engine/esp-crypto.h"
#include "engine/replay.h"

/* Why a packet was dropped.  Keep uip_drop_name() in sync. */
enum uip_drop {
    UIP_DROP_NO_SA,         /* inbound SPI unknown, or no outbound SA covers the packet */
    UIP_DROP_REPLAY,        /* duplicate or left of the window */
    UIP_DROP_ICV,           /* integrity check failed */
    UIP_DROP_PADDING,       /* padding bytes or pad length wrong */
    UIP_DROP_MALFORMED,     /* too short, bad lengths, not IP, bad next header */
    UIP_DROP_QUEUE_FULL,    /* no buffer, or the socket / TUN would block */
    UIP_DROP_TOO_BIG,       /* inner packet larger than the tunnel MTU (ICMP sent back) */
    UIP_DROP_POLICY,        /* decrypted packet outside the SA's traffic selectors */
    UIP_DROP_EXPIRED,       /* SA past its hard lifetime or out of sequence numbers */
    UIP_DROP_IO,            /* other socket / TUN error */
    UIP_DROP_FLOW_QUEUE,    /* shed by the outbound fair queue: the fattest flow over its limit */
    UIP_DROP__MAX
};

const char *uip_drop_name(enum uip_drop reason);

struct uip_counters {
    uint64_t pkts_in;
    uint64_t bytes_in; /* inner bytes */
    uint64_t pkts_out;
    uint64_t bytes_out;
    uint64_t drops[UIP_DROP__MAX];
};

/* Limits; 0 means no limit. */
struct uip_lifetime {
    uint64_t bytes;
    uint64_t packets;
    uint64_t seconds;
};

#define UIP_SA_MAX_TS 32

struct uip_sa_config {
    uint32_t spi; /* host byte order, != 0 */
    bool inbound;
    uint32_t reqid; /* groups the SAs of one CHILD_SA; != 0 */
    enum uip_encr encr;
    enum uip_integ integ;
    const uint8_t *keymat; /* uip_esp_keymat_len(encr, integ) bytes; copied, not kept */
    size_t keymat_len;
    bool esn;
    uint32_t replay_window; /* inbound; 0 = engine default */
    struct uip_lifetime soft;
    struct uip_lifetime hard;
    /* Selectors from our point of view: local = our side, remote = the peer's side.
     * No selectors = any IPv4 and any IPv6. */
    struct uip_ts local_ts[UIP_SA_MAX_TS];
    unsigned n_local_ts;
    struct uip_ts remote_ts[UIP_SA_MAX_TS];
    unsigned n_remote_ts;
};

struct uip_sa_stats {
    uint32_t spi;
    bool inbound;
    uint32_t reqid;
    uint64_t seq; /* outbound: last sequence number sent; inbound: highest received */
    uint64_t pkts;
    uint64_t bytes;
    uint64_t drops[UIP_DROP__MAX];
    bool soft_expired;
    bool hard_expired;
};

struct uip_sa {
    uint32_t spi;
    bool inbound;
    bool esn;
    uint32_t reqid;
    struct uip_esp_crypto crypto;
    struct uip_esp_crypto *lanes; /* copies of crypto for the crypto pool's other lanes */
    unsigned n_lanes;             /* (lane 0, the engine's thread, uses crypto) */
    uint64_t seq; /* outbound: last sequence number used */
    struct uip_replay replay;
    struct uip_lifetime soft;
    struct uip_lifetime hard;
    int64_t installed_us; /* g_get_monotonic_time() at install */
    uint64_t pkts;
    uint64_t bytes;
    uint64_t drops[UIP_DROP__MAX];
    bool soft_expired;
    bool hard_expired; /* also set when the sequence number space is used up */
    uint32_t max_inner;      /* largest inner packet that fits the path MTU (set by the engine) */
    unsigned pending_events; /* bitmask of enum uip_sa_event not yet delivered */
    struct uip_ts local_ts[UIP_SA_MAX_TS];
    unsigned n_local_ts;
    struct uip_ts remote_ts[UIP_SA_MAX_TS];
    unsigned n_remote_ts;
};

/* Events an SA raises for its owner. */
enum uip_sa_event {
    UIP_SA_EVENT_SOFT_EXPIRE = 1 << 0, /* time to rekey */
    UIP_SA_EVENT_HARD_EXPIRE = 1 << 1, /* the SA no longer carries traffic */
    UIP_SA_EVENT_SEQ_EXHAUSTED = 1 << 2, /* outbound: no sequence numbers left; stopped sending */
};

/*
 * Create an SA from @cfg.  Returns 0 and the SA in @out, or -EINVAL (bad
 * SPI/reqid/transform/key length/selectors), -ENOMEM, -EIO.
 */
int uip_sa_new(const struct uip_sa_config *cfg, uint32_t default_window, struct uip_sa **out);

/* Wipe the keys and free. NULL is fine. */
void uip_sa_free(struct uip_sa *sa);

/* Keyed copies of the SA's crypto for @lanes lanes in all (crypto-pool.h; 1: none).  Returns
 * 0 or -ENOMEM (then the SA has none). */
int uip_sa_set_lanes(struct uip_sa *sa, unsigned lanes);


/*
 * Account one packet of @bytes inner bytes that passed through @sa and check
 * the byte and packet lifetimes.  Returns the events newly raised (also ORed
 * into sa->pending_events), 0 if none.
 */
unsigned uip_sa_account(struct uip_sa *sa, uint32_t bytes);

/* Check the time lifetimes at monotonic time @now_us; returns newly raised events. */
unsigned uip_sa_check_time(struct uip_sa *sa, int64_t now_us);

void uip_sa_get_stats(const struct uip_sa *sa, struct uip_sa_stats *st);

/*
 * True when an inner packet from @src to @dst (family, proto, ports) is
 * covered by the SA's selectors.  @outbound_view: src must be in local_ts and
 * dst in remote_ts; otherwise (an inbound packet) src in remote_ts, dst in local_ts.
 */
struct uip_flow;
bool uip_sa_covers(const struct uip_sa *sa, const struct uip_flow *f, bool outbound_view);
