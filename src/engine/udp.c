/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Batched UDP I/O.  Receive: one recvmmsg fills up to a batch of pool
 * buffers.  Send: ESP packets collected by the outbound path leave in one
 * sendmmsg; what the kernel does not take is dropped, never queued.
 */
#include "engine/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

int uip_udp_open(const struct sockaddr *local, socklen_t local_len)
{
    int fd, one = 1;
    int pmtu = IP_PMTUDISC_DONT;

    fd = socket(local->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* Room for a few bursts of the peer's sendmmsg batches while this
     * process waits for the CPU, and no more: deeper means more latency. */
    int rcvbuf = UIP_UDP_RCVBUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    /* Let the outer packet be fragmented rather than lost when the path
     * MTU is smaller than we assumed. */
    if (local->sa_family == AF_INET)
        (void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
    else
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof(pmtu));
    if (bind(fd, local, local_len) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

int uip_udp_recv_batch(int fd, struct uip_pool *pool, struct uip_udp_batch *b, unsigned max)
{
    unsigned n = 0;
    int r;

    if (max > UIP_UDP_BATCH)
        max = UIP_UDP_BATCH;
    for (; n < max; n++) {
        struct uip_pkt *p = uip_pool_get(pool);
        if (!p)
            break;
        b->pkts[n] = p;
        b->iov[n].iov_base = p->data;
        b->iov[n].iov_len = UIP_PKT_MAX_LEN;
        memset(&b->msgs[n], 0, sizeof(b->msgs[n]));
        b->msgs[n].msg_hdr.msg_iov = &b->iov[n];
        b->msgs[n].msg_hdr.msg_iovlen = 1;
        b->msgs[n].msg_hdr.msg_name = &b->addrs[n];
        b->msgs[n].msg_hdr.msg_namelen = sizeof(b->addrs[n]);
    }
    b->n = 0;
    if (n == 0)
        return 0;

    r = recvmmsg(fd, b->msgs, n, MSG_DONTWAIT, NULL);
    int err = errno;
    unsigned got = r > 0 ? (unsigned)r : 0;
    for (unsigned i = got; i < n; i++)
        uip_pool_put(pool, b->pkts[i]);
    if (r < 0)
        return (err == EAGAIN || err == EWOULDBLOCK) ? 0 : -err;
    for (unsigned i = 0; i < got; i++) {
        struct uip_pkt *p = b->pkts[i];
        p->len = (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : b->msgs[i].msg_len;
    }
    b->n = got;
    return (int)got;
}

unsigned uip_udp_send_batch(int fd, struct uip_pool *pool, struct uip_udp_batch *b)
{
    unsigned sent = 0, n = b->n;

    for (unsigned i = 0; i < n; i++) {
        b->iov[i].iov_base = b->pkts[i]->data;
        b->iov[i].iov_len = b->pkts[i]->len;
        memset(&b->msgs[i], 0, sizeof(b->msgs[i]));
        b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
        b->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    while (sent < n) {
        int r = sendmmsg(fd, b->msgs + sent, n - sent, MSG_DONTWAIT);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            break;
        }
        sent += (unsigned)r;
    }
    for (unsigned i = 0; i < n; i++)
        uip_pool_put(pool, b->pkts[i]);
    b->n = 0;
    return sent;
}
