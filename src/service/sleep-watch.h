/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine woke up: logind's PrepareForSleep(false) signal
 * (org.freedesktop.login1.Manager) on the system bus, where logind runs.
 * The tunnel notices a resume by itself as well (tunnel.c: CLOCK_BOOTTIME
 * against CLOCK_MONOTONIC); the signal only makes it sooner.  A signal from
 * anyone but the owner of org.freedesktop.login1 is not listened to.
 */
#pragma once

#include <gio/gio.h>

struct uip_sleep_watch;

/* Call @resumed after each resume; NULL @bus: no watch (returns NULL). */
struct uip_sleep_watch *uip_sleep_watch_new(GDBusConnection *bus, void (*resumed)(void *user),
                                            void *user);
void uip_sleep_watch_free(struct uip_sleep_watch *w);
