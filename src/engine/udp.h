/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's UDP socket (port 4500, ESP in UDP, RFC 3948), read and
 * written in batches with recvmmsg/sendmmsg.  Shared with IKE: datagrams
 * starting with the 4-byte non-ESP marker are IKE messages.
 */
#pragma once

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "engine/pkt.h"

#define UIP_UDP_BATCH  32          /* datagrams per recvmmsg/sendmmsg */
#define UIP_UDP_RCVBUF (1 << 20) /* socket receive buffer: about 5 ms at 1 Gbit/s */

#define UIP_UDP_GSO_MAX_SEGS 64 /* segments in one GSO send (UDP_MAX_SEGMENTS) */
#define UIP_UDP_CMSG_SPACE 32   /* room for one UDP_SEGMENT / UDP_GRO control message */

struct uip_udp_batch {
    unsigned n;
    struct uip_pkt *pkts[UIP_UDP_BATCH];
    uint16_t gso_size[UIP_UDP_BATCH]; /* receive: segment size of a GRO datagram, 0 = plain */
    struct mmsghdr msgs[UIP_UDP_BATCH];
    struct iovec iov[UIP_UDP_BATCH];
    struct sockaddr_storage addrs[UIP_UDP_BATCH];
    alignas(struct cmsghdr) uint8_t cmsg[UIP_UDP_BATCH][UIP_UDP_CMSG_SPACE];
};

/* The socket and what its kernel can do. */
struct uip_udp {
    int fd;
    bool gso; /* UDP_SEGMENT: one send carries several equal-sized datagrams */
    bool gro; /* UDP_GRO: one receive may return several, split by gso_size */
};

/*
 * Open a non-blocking UDP socket of @local's family bound to @local.
 * Returns the fd or -errno.
 */
int uip_udp_open(const struct sockaddr *local, socklen_t local_len);

/*
 * Set up @u for socket @fd: turn on UDP GRO and note whether UDP GSO can be
 * used (only on UDP sockets; a test's socketpair gets neither).
 */
void uip_udp_init(struct uip_udp *u, int fd, bool offload);

/*
 * Receive up to @max (<= UIP_UDP_BATCH) datagrams into packets from @pool.
 * Sets b->n and each packet's len; b->addrs[i] holds the sender.  A datagram
 * that did not fit its buffer gets len = 0 (to be dropped as malformed).
 * Returns the number received (0 when nothing was waiting or the pool is
 * empty) or -errno on a socket error.
 */
struct uip_pool;
int uip_udp_recv_batch(struct uip_udp *u, struct uip_pool *pool, struct uip_udp_batch *b,
                       unsigned max);

/*
 * Send the b->n packets of @b on the connected socket and return every
 * packet to @pool.  Runs of equal-sized packets leave in one GSO send when
 * u->gso (turned off for good if the kernel refuses it).  Returns how many
 * packets the kernel took; the rest were dropped (the socket would block or
 * failed): the caller counts them.
 */
unsigned uip_udp_send_batch(struct uip_udp *u, struct uip_pool *pool, struct uip_udp_batch *b);
