/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Batched UDP I/O.  Receive: one recvmmsg fills up to a batch of pool
 * buffers.  Send: ESP packets collected by the outbound path leave in one
 * sendmmsg; what the kernel does not take is dropped, never queued.
 */
#include "engine/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
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

void uip_udp_init(struct uip_udp *u, int fd, bool offload)
{
    int proto = 0, one = 1;
    socklen_t len = sizeof(proto);

    u->fd = fd;
    u->gso = u->gro = false;
    if (!offload || getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0 ||
        proto != IPPROTO_UDP)
        return;
    u->gso = true; /* tried on the first send; dropped if the kernel says no */
    u->gro = setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)) == 0;
}

int uip_udp_recv_batch(struct uip_udp *u, struct uip_pool *pool, struct uip_udp_batch *b,
                       unsigned max)
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
        if (u->gro) {
            b->msgs[n].msg_hdr.msg_control = b->cmsg[n];
            b->msgs[n].msg_hdr.msg_controllen = sizeof(b->cmsg[n]);
        }
    }
    b->n = 0;
    if (n == 0)
        return 0;

    r = recvmmsg(u->fd, b->msgs, n, MSG_DONTWAIT, NULL);
    int err = errno;
    unsigned got = r > 0 ? (unsigned)r : 0;
    for (unsigned i = got; i < n; i++)
        uip_pool_put(pool, b->pkts[i]);
    if (r < 0)
        return (err == EAGAIN || err == EWOULDBLOCK) ? 0 : -err;
    for (unsigned i = 0; i < got; i++) {
        struct msghdr *mh = &b->msgs[i].msg_hdr;
        b->pkts[i]->len = (mh->msg_flags & MSG_TRUNC) ? 0 : b->msgs[i].msg_len;
        b->gso_size[i] = 0;
        if (!u->gro || (mh->msg_flags & MSG_CTRUNC))
            continue;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
            if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
                c->cmsg_len >= CMSG_LEN(sizeof(int))) {
                int size;
                memcpy(&size, CMSG_DATA(c), sizeof(size));
                if (size > 0 && (unsigned)size < b->pkts[i]->len)
                    b->gso_size[i] = (uint16_t)size;
            }
        }
    }
    b->n = got;
    return (int)got;
}

/* Describe packets [first, first + count) of @b as message @m, a GSO send when count > 1. */
static void fill_msg(struct uip_udp_batch *b, unsigned m, unsigned first, unsigned count)
{
    struct msghdr *mh = &b->msgs[m].msg_hdr;

    memset(&b->msgs[m], 0, sizeof(b->msgs[m]));
    mh->msg_iov = &b->iov[first];
    mh->msg_iovlen = count;
    if (count > 1) {
        uint16_t seg = (uint16_t)b->pkts[first]->len;
        mh->msg_control = b->cmsg[m];
        mh->msg_controllen = CMSG_SPACE(sizeof(seg));
        struct cmsghdr *c = CMSG_FIRSTHDR(mh);
        c->cmsg_level = IPPROTO_UDP; /* SOL_UDP */
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(seg));
        memcpy(CMSG_DATA(c), &seg, sizeof(seg));
    }
}

/* Group @b's packets into messages; returns the number of messages, sizes in @count. */
static unsigned group(const struct uip_udp *u, struct uip_udp_batch *b, unsigned count[])
{
    unsigned m = 0;

    for (unsigned i = 0; i < b->n;) {
        unsigned first = i, seg = b->pkts[i]->len, total = seg;
        i++;
        /* the kernel cuts a GSO send at the segment size: equal sizes, only
         * the last may be shorter */
        while (u->gso && i < b->n && i - first < UIP_UDP_GSO_MAX_SEGS &&
               b->pkts[i]->len <= seg && total + b->pkts[i]->len <= 65000) {
            total += b->pkts[i]->len;
            i++;
            if (b->pkts[i - 1]->len < seg)
                break;
        }
        fill_msg(b, m, first, i - first);
        count[m++] = i - first;
    }
    return m;
}

unsigned uip_udp_send_batch(struct uip_udp *u, struct uip_pool *pool, struct uip_udp_batch *b)
{
    unsigned count[UIP_UDP_BATCH];
    unsigned sent = 0, n = b->n, nmsg, done = 0;

    for (unsigned i = 0; i < n; i++) {
        b->iov[i].iov_base = b->pkts[i]->data;
        b->iov[i].iov_len = b->pkts[i]->len;
    }
    nmsg = group(u, b, count);
    while (done < nmsg) {
        int r = sendmmsg(u->fd, b->msgs + done, nmsg - done, MSG_DONTWAIT);
        if (r > 0) {
            for (int k = 0; k < r; k++)
                sent += count[done + (unsigned)k];
            done += (unsigned)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && u->gso && count[done] > 1 &&
            (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
            /* this kernel or device cannot do UDP GSO: resend the rest one by one */
            u->gso = false;
            unsigned skipped = 0;
            for (unsigned k = 0; k < done; k++)
                skipped += count[k];
            unsigned m = done;
            for (unsigned i = skipped; i < n; i++) {
                fill_msg(b, m, i, 1);
                count[m++] = 1;
            }
            nmsg = m;
            continue;
        }
        break;
    }
    for (unsigned i = 0; i < n; i++)
        uip_pool_put(pool, b->pkts[i]);
    b->n = 0;
    return sent;
}
