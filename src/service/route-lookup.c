/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Route look-ups over rtnetlink (see route-lookup.h).
 *
 * Flow: RTM_GETROUTE for the gateway's address, as `ip route get` asks ->
 * the kernel's device and preferred source.  If that device is the one to
 * avoid (our TUN) or there is no route: dump the main table, keep the
 * unicast routes that cover the gateway through another device whose link is
 * not down, take the longest prefix and then the lowest metric, and ask the
 * kernel again with that device as the outgoing interface, for its source.
 */
#include "service/route-lookup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NL_BUF 32768

struct nl_req {
    struct nlmsghdr nh;
    struct rtmsg rt;
    char attrs[64];
};

const uint8_t *uip_addr_bytes(const struct sockaddr *sa, size_t *len)
{
    if (sa->sa_family == AF_INET) {
        *len = 4;
        return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
    }
    *len = 16;
    return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static void add_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static int nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct timeval tv = {.tv_sec = 1};

    if (fd < 0)
        return -errno;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* One route of a reply: what a look-up or a dump needs of it. */
struct route_info {
    int oif;
    bool has_src;
    uint8_t src[16];
    uint8_t dst[16];
    unsigned dst_len;
    unsigned metric;
    unsigned table;
    unsigned type;
    bool linkdown;
};

static void parse_route(const struct nlmsghdr *nh, struct route_info *ri)
{
    const struct rtmsg *rt = NLMSG_DATA(nh);
    int len = (int)RTM_PAYLOAD(nh);

    memset(ri, 0, sizeof(*ri));
    ri->dst_len = rt->rtm_dst_len;
    ri->table = rt->rtm_table;
    ri->type = rt->rtm_type;
    ri->linkdown = rt->rtm_flags & RTNH_F_LINKDOWN;
    for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        size_t alen = RTA_PAYLOAD(a);
        switch (a->rta_type) {
        case RTA_OIF:
            if (alen >= sizeof(int))
                memcpy(&ri->oif, RTA_DATA(a), sizeof(int));
            break;
        case RTA_PREFSRC:
            if (alen <= sizeof(ri->src)) {
                memcpy(ri->src, RTA_DATA(a), alen);
                ri->has_src = true;
            }
            break;
        case RTA_DST:
            if (alen <= sizeof(ri->dst))
                memcpy(ri->dst, RTA_DATA(a), alen);
            break;
        case RTA_PRIORITY:
            if (alen >= sizeof(uint32_t))
                memcpy(&ri->metric, RTA_DATA(a), sizeof(uint32_t));
            break;
        case RTA_TABLE:
            if (alen >= sizeof(uint32_t))
                memcpy(&ri->table, RTA_DATA(a), sizeof(uint32_t));
            break;
        }
    }
}

/* Does the prefix @pfx/@plen hold @addr (@alen octets)? */
static bool prefix_holds(const uint8_t *pfx, unsigned plen, const uint8_t *addr, size_t alen)
{
    if (plen > alen * 8)
        return false;
    size_t whole = plen / 8;
    if (memcmp(pfx, addr, whole) != 0)
        return false;
    unsigned rest = plen % 8;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (pfx[whole] & mask) == (addr[whole] & mask);
}

/* Ask the kernel the way to @dst (through @oif when not 0). */
static int get_route(int fd, const struct sockaddr *dst, int oif, struct route_info *ri)
{
    struct nl_req req;
    size_t alen;
    const uint8_t *a = uip_addr_bytes(dst, &alen);
    char buf[NL_BUF];

    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    req.nh.nlmsg_type = RTM_GETROUTE;
    req.nh.nlmsg_flags = NLM_F_REQUEST;
    req.nh.nlmsg_seq = 1;
    req.rt.rtm_family = (unsigned char)dst->sa_family;
    req.rt.rtm_dst_len = (unsigned char)(alen * 8);
    add_attr(&req, RTA_DST, a, alen);
    if (oif)
        add_attr(&req, RTA_OIF, &oif, sizeof(oif));
    if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
        return -errno;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0)
        return -errno;
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
         nh = NLMSG_NEXT(nh, n)) {
        if (nh->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(nh);
            return e->error ? e->error : -ENETUNREACH;
        }
        if (nh->nlmsg_type == RTM_NEWROUTE) {
            parse_route(nh, ri);
            return ri->type == RTN_UNICAST || ri->type == RTN_LOCAL ? 0 : -ENETUNREACH;
        }
    }
    return -EIO;
}

/* The best route of the main table to @dst through a device other than @avoid: its device. */
static int best_other_device(int fd, const struct sockaddr *dst, int avoid)
{
    struct nl_req req;
    size_t alen;
    const uint8_t *a = uip_addr_bytes(dst, &alen);
    char buf[NL_BUF];
    int best = 0;
    unsigned best_len = 0, best_metric = 0;

    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    req.nh.nlmsg_type = RTM_GETROUTE;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = 2;
    req.rt.rtm_family = (unsigned char)dst->sa_family;
    if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
        return -errno;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0)
            return -errno;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
             nh = NLMSG_NEXT(nh, n)) {
            if (nh->nlmsg_type == NLMSG_DONE)
                return best ? best : -ENETUNREACH;
            if (nh->nlmsg_type == NLMSG_ERROR)
                return -EIO;
            if (nh->nlmsg_type != RTM_NEWROUTE)
                continue;
            struct route_info ri;
            parse_route(nh, &ri);
            if (ri.table != RT_TABLE_MAIN || ri.type != RTN_UNICAST || ri.linkdown ||
                ri.oif <= 0 || ri.oif == avoid || !prefix_holds(ri.dst, ri.dst_len, a, alen))
                continue;
            if (!best || ri.dst_len > best_len ||
                (ri.dst_len == best_len && ri.metric < best_metric)) {
                best = ri.oif;
                best_len = ri.dst_len;
                best_metric = ri.metric;
            }
        }
    }
}

int uip_route_lookup(const struct sockaddr *dst, int avoid_ifindex, struct uip_route *out)
{
    struct route_info ri;
    int fd = nl_open();
    int r;

    if (fd < 0)
        return fd;
    r = get_route(fd, dst, 0, &ri);
    if ((r < 0 && r != -ENETUNREACH) || (r == 0 && ri.oif == avoid_ifindex && avoid_ifindex) ||
        r == -ENETUNREACH) {
        int oif = best_other_device(fd, dst, avoid_ifindex);
        r = oif < 0 ? oif : get_route(fd, dst, oif, &ri);
    }
    close(fd);
    if (r < 0)
        return r == -ENETDOWN || r == -EHOSTUNREACH || r == -EINVAL ? -ENETUNREACH : r;
    if (!ri.has_src || ri.oif <= 0 || ri.oif == avoid_ifindex ||
        !if_indextoname((unsigned)ri.oif, out->ifname))
        return -ENETUNREACH;
    out->ifindex = ri.oif;
    memset(&out->src, 0, sizeof(out->src));
    if (dst->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&out->src;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, ri.src, 4);
        out->src_len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->src;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, ri.src, 16);
        out->src_len = sizeof(*in6);
    }
    return 0;
}

bool uip_route_equal(const struct uip_route *a, const struct uip_route *b)
{
    size_t la, lb;
    const uint8_t *pa = uip_addr_bytes((const struct sockaddr *)&a->src, &la);
    const uint8_t *pb = uip_addr_bytes((const struct sockaddr *)&b->src, &lb);

    return a->ifindex == b->ifindex && a->src.ss_family == b->src.ss_family && la == lb &&
           memcmp(pa, pb, la) == 0;
}

const char *uip_route_to_string(const struct uip_route *r, char *buf, size_t len)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    size_t alen;

    inet_ntop(r->src.ss_family, uip_addr_bytes((const struct sockaddr *)&r->src, &alen), addr,
              sizeof(addr));
    snprintf(buf, len, "%s on %s", addr, r->ifname);
    return buf;
}
