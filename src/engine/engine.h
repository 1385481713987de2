/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ESP engine: a TUN device, a UDP socket (shared with IKE), a table of
 * SAs, and the data path between them, running in the caller's GMainContext.
 * It knows nothing of IKE or NetworkManager: keys and selectors come in
 * through uip_engine_sa_add(), events go out through callbacks.
 *
 * All functions return 0 or a negative errno-style code as documented;
 * out-parameters are untouched on failure.  Callbacks must not free the
 * engine (defer that to an idle source); they may add/delete SAs and send
 * IKE messages.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>

#include "engine/sa.h"

struct uip_engine;

struct uip_engine_callbacks {
    /* An IKE message (non-ESP marker stripped) arrived on the shared socket. */
    void (*ike_packet)(void *user, const uint8_t *msg, size_t len, const struct sockaddr *from,
                       socklen_t from_len);
    /* @events (enum uip_sa_event bits) happened to SA @spi; delivered from an idle source. */
    void (*sa_event)(void *user, uint32_t spi, bool inbound, uint32_t reqid, unsigned events);
};

struct uip_engine_config {
    const char *tun_name; /* TUN device to create; NULL = kernel picks */
    int tun_fd;           /* -1: create the TUN device; else use this fd as the TUN (tests:
                           * a SOCK_SEQPACKET socketpair end); made non-blocking, not closed */
    int udp_fd;           /* -1: open and bind a socket on @local; else use this connected
                           * socket (shared with its owner); made non-blocking, not closed */
    struct sockaddr_storage local; /* UDP bind address (normally port 4500) */
    socklen_t local_len;
    struct sockaddr_storage peer; /* the gateway's ESP-in-UDP address */
    socklen_t peer_len;
    unsigned path_mtu;           /* outer path MTU; 0 = 1500 */
    unsigned keepalive_interval; /* NAT keepalive after this many idle seconds; 0 = off */
    unsigned replay_window;      /* default for inbound SAs; 0 = UIP_REPLAY_DEFAULT_WINDOW */
    unsigned budget;             /* packets per fd dispatch; 0 = 64 */
    unsigned pool_size;          /* packet buffers; 0 = 256 */
    bool set_tun_mtu;            /* the engine sets the TUN MTU itself (tools; NM does it for the service) */
    bool no_offload;             /* do not ask the TUN device for TSO/GRO (IFF_VNET_HDR) */
    unsigned crypto_threads;     /* threads that seal and open with the engine's own
                                  * (crypto-pool.h), 0..UIP_CRYPTO_POOL_MAX_THREADS; 0 = none */
};

struct uip_engine_stats {
    struct uip_counters c;
    uint64_t ike_in;
    uint64_t keepalive_in;
    uint64_t keepalive_out;
    uint64_t dummy_in;   /* next header 59 packets, dropped silently (RFC 4303 2.6) */
    uint64_t icmp_sent;  /* too-big errors written into the TUN */
    uint64_t tso_in;     /* TCP and UDP super-packets read from the TUN (split into segments) */
    uint64_t gro_coalesced; /* inbound segments merged into a super-packet for the TUN */
    bool offload;        /* the TUN device does TSO/GRO */
    unsigned pool_avail; /* free buffers now */
    unsigned pool_size;
    unsigned n_sa;
};

/* Defaults: no fds given (-1), everything else 0 (= default). */
void uip_engine_config_init(struct uip_engine_config *cfg);

/* The data path's nice value. */
#define UIP_ENGINE_NICE (-10)

/*
 * Give the calling process the data path's scheduling priority, nice
 * UIP_ENGINE_NICE (needs CAP_SYS_NICE: before a privilege drop).  The kernel's
 * own IPsec runs in softirq, ahead of every application; a userspace data path
 * at the default priority waits for the CPU like the bulk sender it carries,
 * and every flow waits with it (bench-engine.sh flood on 2 cores: ping median
 * 5.6 -> 1.9 ms, loss 2 -> 0 %).  Returns 0 or -errno: the tunnel works without
 * it, only slower to react under load.
 */
int uip_engine_raise_priority(void);

/*
 * Create the TUN device and the UDP socket and start serving them in @ctx
 * (NULL = default context).  Returns 0 and the engine in @out, -EINVAL for a
 * bad config, -ENOMEM, or the errno of opening the TUN device or the socket.
 */
int uip_engine_new(const struct uip_engine_config *cfg, const struct uip_engine_callbacks *cb,
                   void *user, GMainContext *ctx, struct uip_engine **out);

/* Stop serving, close TUN and socket (the TUN device disappears), wipe all keys. */
void uip_engine_free(struct uip_engine *e);

const char *uip_engine_tun_name(const struct uip_engine *e);
int uip_engine_udp_fd(const struct uip_engine *e);

/*
 * Tunnel MTU: the largest inner packet that fits the path MTU after outer
 * IP/UDP headers and ESP overhead of every outbound SA (with none yet, of the
 * costliest transform).
 */
unsigned uip_engine_mtu(const struct uip_engine *e);

/*
 * Take @fd (a UDP socket the caller opened and bound to our new address,
 * e.g. with uip_udp_open()) as the engine's socket from now on: connected to
 * the peer, the old one closed.  Packets go on with the same SAs; nothing
 * queued is lost (there is no queue).  Only when the engine opened its own
 * socket.  0 (@fd is the engine's), or -errno (@fd is still the caller's).
 */
int uip_engine_replace_udp(struct uip_engine *e, int fd);

/* Change the peer (e.g. after NAT detection moved IKE to port 4500). 0 or -errno. */
int uip_engine_set_peer(struct uip_engine *e, const struct sockaddr *peer, socklen_t len);

/*
 * Install an SA.  Inbound: added to the SPI table beside any older SA of the
 * same reqid, so both are accepted until the old one is deleted (rekey
 * without loss).  Outbound: replaces the outbound SA of the same reqid (the
 * old one is freed), else adds a new one; outbound packets go to the first SA,
 * in install order, whose selectors cover them.
 * Returns 0, -EEXIST (inbound SPI in use), -EINVAL, -ENOMEM, -EIO.
 */
int uip_engine_sa_add(struct uip_engine *e, const struct uip_sa_config *cfg);

/* Delete an SA and wipe its keys. 0 or -ENOENT. */
int uip_engine_sa_del(struct uip_engine *e, uint32_t spi, bool inbound);

/* Counters of one SA. 0 or -ENOENT. */
int uip_engine_sa_stats(const struct uip_engine *e, uint32_t spi, bool inbound,
                        struct uip_sa_stats *st);

void uip_engine_stats(const struct uip_engine *e, struct uip_engine_stats *st);

/*
 * Send an IKE message to the peer on the shared socket, prefixed with the
 * non-ESP marker.  0, -EMSGSIZE, or -errno of the send.
 */
int uip_engine_send_ike(struct uip_engine *e, const uint8_t *msg, size_t len);

/*
 * Run one received UDP datagram through the inbound path as if it came from
 * the socket (demux, decap, TUN write).  For tests and fuzzers.
 */
void uip_engine_inject_udp(struct uip_engine *e, const uint8_t *data, size_t len);

/* Format the engine counters as "key=value ..." (for logs and tools). */
char *uip_engine_stats_to_string(const struct uip_engine_stats *st);
