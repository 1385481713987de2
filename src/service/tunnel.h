/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One VPN tunnel: the IKEv2 session, the ESP engine with its TUN device, and
 * the sockets between them and the gateway, in the caller's GMainContext.
 *
 * Shared by nm-uipsec-service and the uip-ike-client test tool, so that both
 * run the same glue.  It reports what the session negotiated (established,
 * rekeyed, failed, closed) and never configures addresses, routes or DNS.
 *
 *   rtnetlink --> path watch --> route look-up --> new sockets, ike_session_path_changed()
 *   gateway --UDP 500--> sock500 --> ike_session_input()
 *   gateway --UDP 4500--> engine: ESP -> TUN; non-ESP marker -> ike_session_input()
 *   ike_session send() --> sock500, or the engine's socket once NAT-T is on
 *   ike_session child_install()/child_delete() --> engine SA table
 */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "engine/engine.h"
#include "ike/ike-session.h"

/* Attempts to start again after the gateway stopped answering (about two minutes in all). */
#define UIP_TUNNEL_RESTART_TRIES 5

/* Rekey an outbound SA without ESN with 2^24 sequence numbers left (seconds at any rate). */
#define UIP_TUNNEL_REKEY_PACKETS (UINT32_MAX - (1u << 24))

struct uip_tunnel_params {
    struct ike_session_config ike; /* gateway (with the IKE port) and everything else; .local is
                                    * filled in by uip_tunnel_new() unless bind_local is set */
    const char *tun_name;          /* NULL = the kernel picks */
    bool set_tun_mtu;              /* tools: the engine sets the MTU (NM does it for the service) */
    unsigned nat_keepalive;        /* seconds; 0 = off */
    const struct sockaddr *bind_local; /* tools: source address to bind to; NULL = the route's */
    socklen_t bind_local_len;
    bool bind_device;              /* bind both sockets to the outgoing device (host-to-host) */
    /* Follow the way to the gateway (the service; tools that bind_local do not): both sockets
     * bound to the device and source address of the route to the gateway (never through our
     * TUN), watched over rtnetlink; when it changes the sockets move and the IKE SA follows
     * with MOBIKE, or a new one is made from the new address.  Also checks at once that the
     * gateway still knows us after a resume. */
    bool follow_path;
    /* The gateway stopped answering (DPD) after the tunnel was up: make a new
     * IKE SA from scratch this many times, with growing pauses, keeping the
     * TUN device, before reporting the failure; 0 = report it at once. */
    unsigned restart_tries;
    /* Outbound SAs without ESN rekey after this many packets (their sequence numbers end at
     * 2^32 - 1); 0 = UIP_TUNNEL_REKEY_PACKETS.  Tools lower it to test the rekey. */
    uint64_t rekey_packets;
};

struct uip_tunnel_callbacks {
    void (*established)(void *user, const struct ike_established *info);
    void (*failed)(void *user, enum ike_failure reason, const char *message);
    void (*closed)(void *user); /* after uip_tunnel_close() */
    void (*child_rekeyed)(void *user, const struct ike_child *child); /* may be NULL */
    void (*ike_rekeyed)(void *user, const char *proposal);            /* may be NULL */
    /* A new IKE SA and CHILD_SA replaced the old ones: a reauthentication
     * (make-before-break), or (@restarted) a new start after the gateway
     * stopped answering.  @same_addresses: the virtual addresses did not
     * change.  May be NULL. */
    void (*reestablished)(void *user, const struct ike_established *info, bool same_addresses,
                          bool restarted);
    /* The gateway sent us to another (RFC 5685): @gateway, which the next established or
     * reestablished is about.  May be NULL. */
    void (*redirected)(void *user, const struct sockaddr *gateway, socklen_t len);
    void (*debug_keys)(void *user, uint64_t spi_i, uint64_t spi_r, const char *encr,
                       const char *integ, const uint8_t *sk_ei, const uint8_t *sk_er,
                       size_t e_len, const uint8_t *sk_ai, const uint8_t *sk_ar,
                       size_t a_len); /* tests only; may be NULL */
};

struct uip_tunnel;

/*
 * Open the IKE socket and create the session (nothing sent yet).  0, or a
 * negative errno with a message in @err: -ENETUNREACH (no route to the
 * gateway), -EINVAL (bad session config: the message says what), or the
 * errno of the socket.
 */
int uip_tunnel_new(const struct uip_tunnel_params *p, const struct uip_tunnel_callbacks *cb,
                   void *user, struct uip_tunnel **out, char *err, size_t err_len);

/*
 * Send IKE_SA_INIT, then make the ESP engine (the TUN device and the NAT-T
 * socket) while it travels: about 1.5 ms of the way to the tunnel that no
 * longer waits.  Right after uip_tunnel_new(), before the main loop runs
 * again.  0, or a negative errno of the TUN device / socket with a message in
 * @err (-EINVAL: a bad TUN name); then free the tunnel (the gateway's
 * half-open IKE SA times out).
 */
int uip_tunnel_start(struct uip_tunnel *t, char *err, size_t err_len);

/* Rekey the CHILD_SA now (ike_session_rekey_child()). */
void uip_tunnel_rekey_child(struct uip_tunnel *t);
/* Rekey the IKE SA now (ike_session_rekey_ike()). */
void uip_tunnel_rekey_ike(struct uip_tunnel *t);

/* The machine woke up (logind's PrepareForSleep(false)): look the way to the gateway up again
 * and check at once that it still knows us.  The tunnel also notices a resume by itself (a
 * jump of CLOCK_BOOTTIME against CLOCK_MONOTONIC, or a long gap between its ticks). */
void uip_tunnel_resumed(struct uip_tunnel *t);

/* Send DELETE; closed() follows (when the gateway answers, or its retransmits give up). */
void uip_tunnel_close(struct uip_tunnel *t);

/* Remove the TUN device, wipe all keys, close the sockets.  Sends nothing. NULL is fine. */
void uip_tunnel_free(struct uip_tunnel *t);

const char *uip_tunnel_tun_name(const struct uip_tunnel *t);
unsigned uip_tunnel_mtu(const struct uip_tunnel *t);
/* Our address as the gateway sees it (before NAT), with port 0. */
const struct sockaddr *uip_tunnel_local(const struct uip_tunnel *t, socklen_t *len);
struct uip_engine *uip_tunnel_engine(struct uip_tunnel *t);
