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
 * What uip_privileges_drop(@user) can do ahead, with no rights and on another
 * thread (the warm-up, service/warm-up.h): look @user up and compile the
 * seccomp filter (together about 1.6 ms of a drop that sits between
 * IKE_SA_INIT sent and its answer).  The drop uses what it finds for the same
 * @user, else does it itself.  Once, and finished before the drop (the
 * warm-up thread is joined first).
 */
void uip_privileges_prepare(const char *user);

/*
 * The bounding set (what execve may grant) and the ambient set emptied,
 * first thing in main(): GLib's threads, started soon after, inherit that,
 * and the bounding set, like every capability set, belongs to each thread
 * (uip_privileges_drop() empties the calling thread's only).  Capabilities
 * the process holds stay until then.  Not root: nothing.  Return values as
 * uip_privileges_drop().
 */
int uip_privileges_drop_bounding(char *err, size_t err_len);

/*
 * For the PKCS#11 signer process (ike/pkcs11-signer.h), which must keep
 * root's uid for the token's module (privileges.c says why), while it has
 * one thread: uid 0 stays, with every capability gone for good (securebits
 * NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE set and locked) and
 * NO_NEW_PRIVS.  The seccomp filter is uip_privileges_lock_down()'s, after
 * the login.  Return values as uip_privileges_drop().
 */
int uip_privileges_drop_keep_uid(char *err, size_t err_len);

/* The seccomp allow-list of uip_privileges_drop(), on every thread; strict (see below) when
 * the environment has UIP_SECCOMP_STRICT=1.  Return values as uip_privileges_drop(). */
int uip_privileges_lock_down(char *err, size_t err_len);

/*
 * Only the seccomp allow-list (tests).  @strict: a refused call traps, and
 * the handler writes the syscall number to stderr and aborts (development
 * runs set UIP_SECCOMP_STRICT=1 to find what the list misses; stricter, never
 * weaker).
 */
int uip_seccomp_install(gboolean strict, char *err, size_t err_len);
