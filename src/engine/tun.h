/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TUN device: created (IFF_TUN | IFF_NO_PI, non-blocking) by the engine,
 * which reads outbound inner packets from it and writes decrypted ones to it.
 * Addresses and routes are the owner's business (NetworkManager's).
 */
#pragma once

#include <net/if.h>

#include <stdbool.h>

/*
 * Create TUN device @name (NULL or "" = let the kernel pick "tunN").  The
 * actual name goes to @ifname.  With @vnet_hdr every packet read or written
 * carries a struct virtio_net_hdr in front, and the kernel is asked for TCP
 * segmentation offload (TSO super-packets, partial checksums); @vnet_hdr is
 * cleared when the kernel cannot do that.  @uso (may be NULL) tells whether
 * it also takes and gives UDP super-packets (USO, Linux 6.2+).  Returns the
 * fd (O_NONBLOCK, O_CLOEXEC) or -errno.
 */
int uip_tun_open(const char *name, char ifname[IFNAMSIZ], bool *vnet_hdr, bool *uso);

/* Set the MTU of @ifname.  Returns 0 or -errno. */
int uip_tun_set_mtu(const char *ifname, unsigned mtu);

/* Bring @ifname up.  Returns 0 or -errno. */
int uip_tun_set_up(const char *ifname);

/* Set the length of the device's transmit ring (txqueuelen); -errno. */
int uip_tun_set_txqueuelen(const char *ifname, unsigned len);
