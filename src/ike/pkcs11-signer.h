/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PKCS#11 signer: a process of its own that holds the token session and
 * signs for the service (issue 14).
 *
 * Why a process: the module must keep root's uid to sign after the service
 * dropped its rights (SoftHSM2 reopens its root-only token files on every
 * operation, pcscd admits root), and capabilities can only be dropped
 * thread by thread.  The service has GLib's threads (gmain, gdbus) from its
 * first moments, so a uid-0 service would keep root's capabilities in them.
 * The signer is the service's own binary executed again with
 * IKE_P11_SIGNER_ARG (a fresh, single-threaded image) with its socket as
 * fd IKE_P11_SIGNER_FD.  While it is the only thread, @drop (the service's:
 * every capability gone for good, NO_NEW_PRIVS); then it logs in, then
 * @lock_down (the service's seccomp filter, on every thread: the module may
 * have started some), and it answers the requests of pkcs11-wire.h until the service closes its
 * end or dies.  The service itself then becomes its unprivileged user like
 * any other connection.  pkcs11-remote.c is the service's side.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether this process was started as the signer (the first thing main() asks). */
bool ike_p11_signer_wanted(int argc, char **argv);

/*
 * Serve the signer's socket; returns the process's exit status (0 when the
 * service closed its end).  @drop runs first, @lock_down after the login
 * (either NULL: none): 0, or a negative errno-style code with a reason in
 * @err, which the service gets as the load's failure.
 */
int ike_p11_signer_main(int (*drop)(char *err, size_t err_len),
                        int (*lock_down)(char *err, size_t err_len));
