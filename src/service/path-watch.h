/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Noticing that the network changed: rtnetlink notifications of links,
 * addresses and routes (IPv4 and IPv6), debounced, in the caller's
 * GMainContext.  What changed is not interpreted here: the owner looks the
 * way to its peer up again (route-lookup.h).
 */
#pragma once

#include <glib.h>

#define UIP_PATH_WATCH_DEBOUNCE_MS 100

struct uip_path_watch;

/*
 * Call @changed once things have been quiet for @debounce_ms after a burst of
 * notifications (also after the kernel dropped some: the socket overran).
 * NULL with errno set when the netlink socket cannot be opened.
 */
struct uip_path_watch *uip_path_watch_new(unsigned debounce_ms, void (*changed)(void *user),
                                          void *user);
void uip_path_watch_free(struct uip_path_watch *w);
