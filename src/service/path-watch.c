/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flow: a NETLINK_ROUTE socket joined to the link, IPv4/IPv6 address and
 * IPv4/IPv6 route groups -> readable: drain every pending notification
 * (ENOBUFS means some were lost: a change all the same) -> (re)arm the
 * debounce timer -> quiet for its interval: changed().  A burst (a link going
 * down removes its addresses and routes one by one) makes one call.
 */
#include "service/path-watch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

struct uip_path_watch {
    int fd;
    guint watch;
    guint debounce;
    unsigned debounce_ms;
    void (*changed)(void *user);
    void *user;
};

static gboolean on_quiet(gpointer data)
{
    struct uip_path_watch *w = data;

    w->debounce = 0;
    w->changed(w->user);
    return G_SOURCE_REMOVE;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
    struct uip_path_watch *w = data;
    char buf[16384];
    bool any = false;

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0 || (n < 0 && errno == ENOBUFS)) {
            any = true;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (any) {
        g_clear_handle_id(&w->debounce, g_source_remove);
        w->debounce = g_timeout_add(w->debounce_ms, on_quiet, w);
    }
    return G_SOURCE_CONTINUE;
}

struct uip_path_watch *uip_path_watch_new(unsigned debounce_ms, void (*changed)(void *user),
                                          void *user)
{
    struct sockaddr_nl sa = {
        .nl_family = AF_NETLINK,
        .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
                     RTMGRP_IPV6_ROUTE,
    };
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

    if (fd < 0)
        return NULL;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    struct uip_path_watch *w = g_new0(struct uip_path_watch, 1);
    w->fd = fd;
    w->debounce_ms = debounce_ms;
    w->changed = changed;
    w->user = user;
    w->watch = g_unix_fd_add(fd, G_IO_IN, on_readable, w);
    return w;
}

void uip_path_watch_free(struct uip_path_watch *w)
{
    if (!w)
        return;
    g_clear_handle_id(&w->watch, g_source_remove);
    g_clear_handle_id(&w->debounce, g_source_remove);
    close(w->fd);
    g_free(w);
}
