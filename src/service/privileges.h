/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Least privilege for the service, which parses IKE, X.509, TLS, EAP and ESP
 * from the network.  NetworkManager starts it as root; once the TUN device
 * and the sockets exist and the connection's files are read, it becomes a
 * dedicated system user for good:
 *
 *   - every capability goes (effective, permitted, inheritable, ambient and
 *     the bounding set).  Roaming needs none: a move makes new UDP sockets on
 *     ephemeral ports (no CAP_NET_BIND_SERVICE: we never bind 500/4500) and
 *     binds each fresh socket to its device once (SO_BINDTODEVICE on a socket
 *     not bound to a device yet needs no CAP_NET_RAW since Linux 5.7);
 *     NetworkManager sets addresses, routes and the MTU.  What is lost: the
 *     4 MiB receive buffer of SO_RCVBUFFORCE on sockets made after a move
 *     (they get net.core.rmem_max), since CAP_NET_ADMIN could change routes;
 *   - PR_SET_NO_NEW_PRIVS;
 *   - a seccomp allow-list: what GLib, GIO's D-Bus, OpenSSL and our engine
 *     call in steady state.  Anything else fails with EPERM, and calls that
 *     only an attacker would make (exec, ptrace, mount, setuid, module
 *     loading, namespaces, bpf ...) kill the process.  Threads only (clone
 *     with CLONE_THREAD), sockets of the families we use only.
 */
#pragma once

#include <glib.h>

#define UIP_SERVICE_USER_FALLBACK "nobody"

/*
 * Drop to @user (falls back to "nobody", with a warning, when @user does not
 * exist), then the rest above.  Not root: the user and capabilities stay as
 * they are, NO_NEW_PRIVS and seccomp still apply.  0, or a negative errno
 * with a message in @err (the caller must then stop: half-dropped is not an
 * option).
 */
int uip_privileges_drop(const char *user, char *err, size_t err_len);

/*
 * The same for a connection whose private key is on a PKCS#11 token (it
 * signs after the drop: IKE reauthentication, redirects, restarts, and the
 * module may reopen its token files or talk to pcscd, which admits root):
 * uid 0 stays, with every capability gone for good (securebits NOROOT,
 * NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE set and locked), NO_NEW_PRIVS and
 * the same seccomp allow-list.  Return values as uip_privileges_drop().
 */
int uip_privileges_drop_keep_uid(char *err, size_t err_len);

/*
 * Only the seccomp allow-list (tests).  @strict: a refused call traps, and
 * the handler writes the syscall number to stderr and aborts (development
 * runs set UIP_SECCOMP_STRICT=1 to find what the list misses; stricter, never
 * weaker).
 */
int uip_seccomp_install(gboolean strict, char *err, size_t err_len);
