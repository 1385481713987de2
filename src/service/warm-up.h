/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Work every connection needs and none depends on, done on a thread from the
 * start of the process while NetworkManager and the service still talk over
 * D-Bus (NeedSecrets, Connect): libnm's setting classes, which NeedSecrets
 * parses the connection into, OpenSSL's first-use work for every algorithm
 * (ike_crypto_warm_up()), and the privilege drop's own preparation
 * (uip_privileges_prepare(): the service user's lookup, which loads the NSS
 * modules, and the seccomp filter's compilation).  Before, OpenSSL's work,
 * the lookup and the compilation sat between Connect and IKE_AUTH (about
 * 3.5, 2.5 and 1.3 ms), and libnm's classes inside NeedSecrets (about 0.9 ms).
 */
#pragma once

/* Start the thread; @user (may be NULL) is the user the service will become. */
void uip_warm_up_start(const char *user);

/* Wait for it to finish (at once if it has, or never ran); before the tunnel
 * starts, and so before the seccomp filter, which wants a single thread. */
void uip_warm_up_wait(void);
