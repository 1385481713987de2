/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "engine/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20 /* Linux 6.2 headers; Debian 12 has 6.1 */
#define TUN_F_USO6 0x40
#endif

int uip_tun_open(const char *name, char ifname[IFNAMSIZ], bool *vnet_hdr, bool *uso)
{
    struct ifreq ifr;
    int fd;

    if (name && strlen(name) >= IFNAMSIZ)
        return -EINVAL;
    if (uso)
        *uso = false;
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (*vnet_hdr ? IFF_VNET_HDR : 0);
    if (name && *name)
        strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (*vnet_hdr) {
        int hdr_len = (int)sizeof(struct virtio_net_hdr);
        unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        /* UDP super-packets too (Linux 6.2+; before, EINVAL: without them) */
        bool with_uso = false;
        int r = ioctl(fd, TUNSETVNETHDRSZ, &hdr_len);
        if (r == 0) {
            with_uso = ioctl(fd, TUNSETOFFLOAD, off | TUN_F_USO4 | TUN_F_USO6) == 0;
            if (!with_uso)
                r = ioctl(fd, TUNSETOFFLOAD, off);
        }
        if (r < 0) {
            /* no offloads: start again without the header */
            close(fd);
            *vnet_hdr = false;
            return uip_tun_open(name, ifname, vnet_hdr, uso);
        }
        if (uso)
            *uso = with_uso;
    }
    memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
    ifname[IFNAMSIZ - 1] = '\0';
    return fd;
}

static int ifreq_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int r = 0;

    if (s < 0)
        return -errno;
    strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
    if (ioctl(s, req, ifr) < 0)
        r = -errno;
    close(s);
    return r;
}

int uip_tun_set_mtu(const char *ifname, unsigned mtu)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_mtu = (int)mtu;
    return ifreq_ioctl(ifname, SIOCSIFMTU, &ifr);
}

int uip_tun_set_txqueuelen(const char *ifname, unsigned len)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_qlen = (int)len;
    return ifreq_ioctl(ifname, SIOCSIFTXQLEN, &ifr);
}

int uip_tun_set_up(const char *ifname)
{
    struct ifreq ifr;
    int r;

    memset(&ifr, 0, sizeof(ifr));
    r = ifreq_ioctl(ifname, SIOCGIFFLAGS, &ifr);
    if (r < 0)
        return r;
    ifr.ifr_flags |= IFF_UP;
    return ifreq_ioctl(ifname, SIOCSIFFLAGS, &ifr);
}
