/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The glue between one IKEv2 session and the ESP engine (see tunnel.h).
 *
 * Start: the IKE socket and the session (uip_tunnel_new()), then IKE_SA_INIT
 * out, and the engine (TUN device, NAT-T socket) made while it travels
 * (uip_tunnel_start()): nothing needs the engine before the answer.
 *
 * Flow: datagrams from the gateway's port 500 arrive on sock500 and go to the
 * session; those on the NAT-T port arrive in the engine, which decrypts ESP
 * into the TUN device and hands IKE (behind the non-ESP marker) back here.
 * The session's messages leave through sock500 or, once it moved to NAT-T,
 * through the engine's socket.  A tick every half second tells the session
 * when the engine saw traffic from the gateway, so that DPD only probes an
 * idle peer; when our ESP goes out for a second and none comes back, the
 * session probes the path at once (ike_session_probe()).
 *
 * Reauthentication (RFC 4478 AUTH_LIFETIME from the gateway; RFC 7296 2.8.3),
 * make-before-break: a second session with its own reqid starts from
 * scratch on the same sockets, asking for the virtual addresses we hold;
 * messages go to the session whose IKE SPIs they carry.  Once it is up its
 * CHILD_SA carries the traffic, the old session's outbound SA goes at once and
 * the old IKE SA is deleted.  Until then the old session serves: if the new
 * one fails, it stays and we try again later.
 *
 * Roaming: with follow_path, both sockets are bound to the device and source
 * address of the route to the gateway (route-lookup.c: never our own TUN).
 * rtnetlink changes (path-watch.c, debounced) look it up again; when it
 * changed, new sockets take over (the engine keeps its SAs) and the IKE SA
 * follows with MOBIKE (UPDATE_SA_ADDRESSES), or, if the gateway cannot follow,
 * a new IKE SA is made from the new address (a restart, below).  With no way
 * to the gateway at all, nothing is tried until one comes back.  After a
 * resume (a jump of CLOCK_BOOTTIME against CLOCK_MONOTONIC, a long gap
 * between ticks, or logind's signal through uip_tunnel_resumed()) the way is
 * looked up again and the gateway asked at once whether it still knows us.
 *
 * Restart (break-before-make): when the gateway stops answering after the
 * tunnel was up (DPD: it rebooted, the path broke, we slept), a new session
 * starts from scratch (INITIAL_CONTACT, asking for the same addresses) while
 * the TUN device and NetworkManager's connection stay; packets meanwhile have
 * no outbound SA and are dropped, never sent in the clear.  A bounded number
 * of attempts with growing pauses, then the failure is reported.
 */
#include "service/tunnel.h"

#include <errno.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

#include "common/uip-log.h"
#include "engine/udp.h"
#include "ike/session-config.h"
#include "service/path-watch.h"
#include "service/route-lookup.h"

#define IKE_RECV_BUDGET 16
#define REAUTH_RETRY_S  10 /* after a failed reauthentication, while the old SA lasts */
#define RESTART_PAUSE_MAX_S 30 /* between restart attempts: 0, 2, 4, 8, ... at most this */
#define TICK_MS          500 /* counters, one-way traffic, resumes */
#define ONE_WAY_TICKS    2   /* ticks in a row that sent ESP and got none back: probe */
#define PROBE_EVERY_US   (10 * G_USEC_PER_SEC) /* at most one such probe this often */
#define START_AFTER_DELETE_MS 1000 /* a new IKE SA waits this long for the old one's DELETE */
#define RESCUE_RETRY_S   1 /* between new IKE SAs beside a silent one */
#define REDIRECTS_MAX    5 /* redirects in a row without a tunnel between them (a loop) */
#define RESUME_SLEPT_US  (2 * G_USEC_PER_SEC) /* CLOCK_BOOTTIME ran ahead this much: we slept */
#define RESUME_GAP_US    (5 * G_USEC_PER_SEC) /* a tick this late: we were stopped */

/* One IKE session of the tunnel (the current one, its successor, its predecessor). */
struct tunnel_ike {
    struct uip_tunnel *t;
    struct ike_session *s;
    uint32_t reqid;
    uint32_t spi_out; /* the outbound SA it installed last, 0 = none */
    bool up;          /* established */
};

struct uip_tunnel {
    struct uip_tunnel_callbacks cb;
    void *user;
    struct uip_engine *engine;
    struct tunnel_ike *ike;     /* the session the connection rests on */
    struct tunnel_ike *reauth;  /* its successor being set up, or NULL */
    bool rescue;                /* ... made because the gateway stopped answering: it may
                                 * have restarted and forgotten us */
    guint rescue_timer;         /* another such attempt soon */
    guint start_timer;          /* t->ike starts when the old IKE SA's DELETE is answered, or
                                 * when this fires */
    struct tunnel_ike *retired; /* its predecessor, deleting its IKE SA, or NULL */
    GPtrArray *dead;            /* sessions to free from an idle source (inside their callbacks) */
    guint reap;
    guint reauth_timer;
    int64_t reauth_deadline_us; /* CLOCK_MONOTONIC; when the gateway ends the IKE SA; 0 = never */
    unsigned restart_tries;     /* configured */
    uint64_t rekey_packets;     /* outbound SAs without ESN: rekey after this many; 0 = default */
    unsigned restarts;          /* attempts since the tunnel was last up; 0 = not restarting */
    guint restart_timer;
    bool closing;               /* uip_tunnel_close() was called */
    bool ever_up;               /* the tunnel was established once (NetworkManager knows) */
    uint32_t next_reqid;
    struct ike_session_config cfg; /* owned copy, secrets included: for reauthentication */
    struct ike_established info;   /* what the current session got (for the address hints) */
    int sock500;
    guint sock500_watch;
    guint tick;
    uint64_t last_pkts_in, last_pkts_out;
    unsigned one_way_ticks;       /* ticks in a row with ESP out and none in */
    int64_t probed_us;            /* a one-way probe was sent */
    struct sockaddr_storage local;
    socklen_t local_len;
    /* roaming */
    bool follow;                  /* params.follow_path */
    struct uip_path_watch *watch; /* rtnetlink */
    struct uip_route route;       /* the way IKE and ESP leave now */
    bool path_down;               /* there is no way to the gateway now */
    bool restart_waits;           /* a restart waits for a way to the gateway */
    /* redirect (RFC 5685) */
    struct sockaddr_storage redirect_to; /* where the current session was sent, until we go */
    socklen_t redirect_to_len;
    guint redirect_idle;
    unsigned redirects;           /* in a row, since the tunnel was last up */
    int64_t tick_mono_us;         /* the last tick, CLOCK_MONOTONIC */
    int64_t asleep_us;            /* CLOCK_BOOTTIME - CLOCK_MONOTONIC then */
    /* for the engine, made at uip_tunnel_start() */
    char *tun_name;
    bool set_tun_mtu;
    unsigned nat_keepalive;
    char dev[IFNAMSIZ];           /* bind to this device ("": do not) */
};

static struct tunnel_ike *tunnel_ike_new(struct uip_tunnel *t, const struct ike_session_config *c,
                                         char *err, size_t err_len);
static void tunnel_ike_bury(struct tunnel_ike *ti);
static gboolean on_rescue_retry(gpointer user);
static void start_waiting(struct uip_tunnel *t);

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* The name of the interface that holds @local, for SO_BINDTODEVICE. */
static int device_of(const struct sockaddr_storage *local, char name[IFNAMSIZ])
{
    struct ifaddrs *ifa, *i;
    size_t len, ilen;
    const uint8_t *want = uip_addr_bytes((const struct sockaddr *)local, &len);
    int r = -ENODEV;

    if (getifaddrs(&ifa) < 0)
        return -errno;
    for (i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != local->ss_family)
            continue;
        if (memcmp(uip_addr_bytes(i->ifa_addr, &ilen), want, len) == 0) {
            g_strlcpy(name, i->ifa_name, IFNAMSIZ);
            r = 0;
            break;
        }
    }
    freeifaddrs(ifa);
    return r;
}

static int bind_to_device(int fd, const char *dev)
{
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0
               ? -errno
               : 0;
}

/* ---- session callbacks ------------------------------------------------------------------------ */

static int cb_send(void *user, bool natt, const struct sockaddr *to, socklen_t to_len,
                   const uint8_t *msg, size_t len)
{
    struct uip_tunnel *t = ((struct tunnel_ike *)user)->t;
    size_t alen, blen;
    const uint8_t *a = uip_addr_bytes(to, &alen);
    const uint8_t *b = uip_addr_bytes((const struct sockaddr *)&t->cfg.gateway, &blen);

    /* both sockets are connected to the gateway of now: a session of another (before a
     * redirect) has nowhere to send */
    if (to->sa_family != t->cfg.gateway.ss_family || alen != blen || memcmp(a, b, alen) != 0)
        return -EDESTADDRREQ;
    if (natt)
        return uip_engine_send_ike(t->engine, msg, len);
    return send(t->sock500, msg, len, MSG_DONTWAIT) < 0 ? -errno : 0;
}

static int cb_child_install(void *user, const struct ike_child *c)
{
    struct tunnel_ike *ti = user;
    struct uip_tunnel *t = ti->t;
    struct uip_sa_config sa;
    int r;

    memset(&sa, 0, sizeof(sa));
    sa.reqid = c->reqid;
    if (uip_encr_from_name(c->encr_name, &sa.encr) < 0 ||
        uip_integ_from_name(c->integ_name, &sa.integ) < 0)
        return -EINVAL;
    sa.esn = c->esn;
    /* without ESN the sequence numbers run out after 2^32 - 1 packets (RFC 4303 3.3.3): the
     * soft event (on_sa_event()) rekeys well before */
    if (!c->esn)
        sa.soft.packets = t->rekey_packets ? t->rekey_packets : UIP_TUNNEL_REKEY_PACKETS;
    sa.n_local_ts = MIN(c->n_local_ts, UIP_SA_MAX_TS);
    memcpy(sa.local_ts, c->local_ts, sizeof(struct uip_ts) * sa.n_local_ts);
    sa.n_remote_ts = MIN(c->n_remote_ts, UIP_SA_MAX_TS);
    memcpy(sa.remote_ts, c->remote_ts, sizeof(struct uip_ts) * sa.n_remote_ts);

    /* a direction without keys is left as it is (rekey collisions install in two steps) */
    if (c->in.keymat) {
        sa.inbound = true;
        sa.spi = c->in.spi;
        sa.keymat = c->in.keymat;
        sa.keymat_len = c->in.keymat_len;
        r = uip_engine_sa_add(t->engine, &sa);
        if (r < 0)
            return r;
    }
    if (!c->out.keymat)
        return 0;
    sa.inbound = false;
    sa.spi = c->out.spi;
    sa.keymat = c->out.keymat;
    sa.keymat_len = c->out.keymat_len;
    r = uip_engine_sa_add(t->engine, &sa);
    if (r < 0 && c->in.keymat)
        uip_engine_sa_del(t->engine, c->in.spi, true);
    if (r == 0)
        ti->spi_out = c->out.spi;
    return r;
}

static void cb_child_delete(void *user, uint32_t reqid, uint32_t spi_in, uint32_t spi_out)
{
    struct tunnel_ike *ti = user;

    uip_engine_sa_del(ti->t->engine, spi_in, true);
    uip_engine_sa_del(ti->t->engine, spi_out, false); /* -ENOENT when retired early: fine */
    if (spi_out == ti->spi_out)
        ti->spi_out = 0;
}

static void arm_reauth(struct uip_tunnel *t, unsigned seconds);
static bool restart_later(struct uip_tunnel *t, enum ike_failure reason, const char *message);

/* Did a new session get the virtual addresses the tunnel had? */
static bool same_addresses(const struct uip_tunnel *t, const struct ike_established *info)
{
    return info->has_vip4 == t->info.has_vip4 &&
           (!info->has_vip4 || !memcmp(info->vip4, t->info.vip4, 4)) &&
           info->has_vip6 == t->info.has_vip6 &&
           (!info->has_vip6 || !memcmp(info->vip6, t->info.vip6, 16));
}

/* Keep what a new session got (the address hints of the next one). */
static void keep_info(struct uip_tunnel *t, const struct ike_established *info)
{
    t->info = *info;
    t->info.domains = NULL; /* not ours to keep */
    t->info.child = NULL;
}

/* The successor is up: it takes over, the old IKE SA is deleted. */
static void reauth_done(struct uip_tunnel *t, const struct ike_established *info)
{
    struct tunnel_ike *old = t->ike;
    bool same = same_addresses(t, info);

    bool rescue = t->rescue;

    t->ike = g_steal_pointer(&t->reauth);
    t->rescue = false;
    t->reauth_deadline_us = 0;
    _LOGI("%s: new IKE SA %016" G_GINT64_MODIFIER "x, CHILD_SA %08x/%08x%s",
          rescue ? "re-established beside the silent IKE SA" : "reauthenticated",
          (guint64)ike_session_spi_i(t->ike->s), info->child->in.spi, info->child->out.spi,
          same ? ", same virtual addresses" : ", the virtual addresses changed");
    /* traffic moves to the new CHILD_SA now; the old one's inbound half stays until the
     * gateway has deleted it with the old IKE SA, so nothing in flight is lost */
    if (old->spi_out)
        uip_engine_sa_del(t->engine, old->spi_out, false);
    old->spi_out = 0;
    if (t->retired)
        tunnel_ike_bury(g_steal_pointer(&t->retired));
    if (old->up) {
        t->retired = old;
        ike_session_close(old->s);
    } else {
        tunnel_ike_bury(old);
    }
    keep_info(t, info);
    if (t->cb.reestablished)
        t->cb.reestablished(t->user, info, same, rescue);
}

static void cb_established(void *user, const struct ike_established *info)
{
    struct tunnel_ike *ti = user;
    struct uip_tunnel *t = ti->t;

    ti->up = true;
    t->one_way_ticks = 0;
    t->redirects = 0;
    memset(&t->cfg.redirected_from, 0, sizeof(t->cfg.redirected_from)); /* said once */
    if (ti == t->reauth) {
        reauth_done(t, info);
        return;
    }
    if (t->restarts) {
        bool same = same_addresses(t, info);
        _LOGI("re-established after %u attempt%s: CHILD_SA %08x/%08x%s", t->restarts,
              t->restarts == 1 ? "" : "s", info->child->in.spi, info->child->out.spi,
              same ? ", same virtual addresses" : ", the virtual addresses changed");
        t->restarts = 0;
        keep_info(t, info);
        if (t->cb.reestablished)
            t->cb.reestablished(t->user, info, same, true);
        return;
    }
    keep_info(t, info);
    t->ever_up = true;
    t->cb.established(t->user, info);
}

static void cb_failed(void *user, enum ike_failure reason, const char *message)
{
    struct tunnel_ike *ti = user;
    struct uip_tunnel *t = ti->t;
    int64_t left = t->reauth_deadline_us - g_get_monotonic_time();

    ti->up = false;
    if (ti == t->retired) {
        tunnel_ike_bury(g_steal_pointer(&t->retired));
        start_waiting(t);
        return;
    }
    if (ti == t->reauth && t->rescue) {
        /* no new IKE SA either: the gateway is gone, or still starting (no answer, or
         * NO_PROPOSAL_CHOSEN before its configuration is loaded): while the old session's
         * check stays unanswered, try again in a moment; it decides in the end, or decided
         * already (a dead peer) */
        tunnel_ike_bury(g_steal_pointer(&t->reauth));
        t->rescue = false;
        if (t->ike->up) {
            if (reason != IKE_FAIL_AUTH && reason != IKE_FAIL_CONFIG &&
                !t->rescue_timer)
                t->rescue_timer = g_timeout_add_seconds(RESCUE_RETRY_S, on_rescue_retry, t);
            return;
        }
        reason = IKE_FAIL_DEAD_PEER;
    } else if (ti == t->reauth) {
        /* the old IKE SA still serves: try again while it lasts */
        tunnel_ike_bury(g_steal_pointer(&t->reauth));
        if (t->ike->up && left > (int64_t)REAUTH_RETRY_S * G_USEC_PER_SEC) {
            _LOGW("reauthentication failed (%s: %s); trying again in %d s",
                  ike_failure_name(reason), message, REAUTH_RETRY_S);
            arm_reauth(t, REAUTH_RETRY_S);
            return;
        }
    } else if (t->reauth) {
        /* the gateway ended the old IKE SA first (a uniqueness policy, its
         * lifetime): the successor decides */
        _LOGI("the old IKE SA ended during reauthentication (%s)", message);
        return;
    }
    if (restart_later(t, reason, message))
        return;
    t->cb.failed(t->user, reason, message);
}

static void cb_closed(void *user)
{
    struct tunnel_ike *ti = user;
    struct uip_tunnel *t = ti->t;

    if (ti == t->retired) {
        _LOGI("old IKE SA deleted");
        tunnel_ike_bury(g_steal_pointer(&t->retired));
        start_waiting(t);
        return;
    }
    t->cb.closed(t->user);
}

static void cb_auth_lifetime(void *user, unsigned seconds)
{
    struct tunnel_ike *ti = user;
    struct uip_tunnel *t = ti->t;

    if (ti != t->ike)
        return;
    /* RFC 4478: reauthenticate before the lifetime ends; leave a fifth (at
     * least 2 s) for the new IKE SA to come up */
    unsigned margin = MAX(seconds / 5, 2u);
    t->reauth_deadline_us = g_get_monotonic_time() + (int64_t)seconds * G_USEC_PER_SEC;
    arm_reauth(t, seconds > margin ? seconds - margin : 0);
}

static void cb_child_rekeyed(void *user, const struct ike_child *c)
{
    struct uip_tunnel *t = ((struct tunnel_ike *)user)->t;
    if (t->cb.child_rekeyed)
        t->cb.child_rekeyed(t->user, c);
}

static void cb_ike_rekeyed(void *user, const char *proposal)
{
    struct uip_tunnel *t = ((struct tunnel_ike *)user)->t;
    if (t->cb.ike_rekeyed)
        t->cb.ike_rekeyed(t->user, proposal);
}

static void cb_debug_keys(void *user, uint64_t spi_i, uint64_t spi_r, const char *encr,
                          const char *integ, const uint8_t *ei, const uint8_t *er, size_t e_len,
                          const uint8_t *ai, const uint8_t *ar, size_t a_len)
{
    struct uip_tunnel *t = ((struct tunnel_ike *)user)->t;
    if (t->cb.debug_keys)
        t->cb.debug_keys(t->user, spi_i, spi_r, encr, integ, ei, er, e_len, ai, ar, a_len);
}

static gboolean on_redirect(gpointer user);
static struct tunnel_ike *successor_new(struct uip_tunnel *t, bool reauth, char *err,
                                        size_t err_len);
static void cb_liveness_doubt(void *user);

/* A new IKE SA beside the silent one failed a moment ago: again, if the old one is still
 * unanswered (a gateway that restarts answers before its configuration is loaded). */
static gboolean on_rescue_retry(gpointer user)
{
    struct uip_tunnel *t = user;

    t->rescue_timer = 0;
    if (t->ike->up && ike_session_in_doubt(t->ike->s))
        cb_liveness_doubt(t->ike);
    return G_SOURCE_REMOVE;
}

/*
 * The gateway did not answer our liveness check at once.  If it restarted it
 * has forgotten us and will never answer on this IKE SA: rather than wait for
 * the retransmissions to run out (half a minute), a new IKE SA is tried
 * beside it now (INITIAL_CONTACT, the same virtual addresses asked for).  A
 * gateway that answers it takes over (make-before-break: a gateway that was
 * merely slow loses nothing); one that does not leaves the decision to the
 * old session's check.  Only with dpd-action=restart.
 */
static void cb_liveness_doubt(void *user)
{
    struct tunnel_ike *ti = user;
    struct uip_tunnel *t = ti->t;
    char err[256] = "";

    /* offline: no new IKE SA would get anywhere; the way coming back moves this one */
    if (ti != t->ike || t->reauth || t->rescue_timer || !t->restart_tries || t->closing ||
        t->path_down)
        return;
    t->reauth = successor_new(t, false, err, sizeof(err));
    if (!t->reauth)
        return;
    t->rescue = true;
    _LOGI("the gateway does not answer: trying a new IKE SA beside the current one");
    ike_session_start(t->reauth->s);
}

static void cb_redirected(void *user, const struct sockaddr *gw, socklen_t len)
{
    struct tunnel_ike *ti = user;
    struct uip_tunnel *t = ti->t;

    if (ti == t->reauth) {
        /* a reauthentication sent elsewhere: the current IKE SA goes on; try again later */
        tunnel_ike_bury(g_steal_pointer(&t->reauth));
        arm_reauth(t, REAUTH_RETRY_S);
        return;
    }
    if (ti != t->ike || len > sizeof(t->redirect_to))
        return;
    memcpy(&t->redirect_to, gw, len);
    t->redirect_to_len = len;
    /* not from inside the session's own input */
    if (!t->redirect_idle)
        t->redirect_idle = g_idle_add(on_redirect, t);
}

static const struct ike_session_callbacks session_callbacks = {
    .send = cb_send,
    .child_install = cb_child_install,
    .child_delete = cb_child_delete,
    .established = cb_established,
    .failed = cb_failed,
    .closed = cb_closed,
    .auth_lifetime = cb_auth_lifetime,
    .liveness_doubt = cb_liveness_doubt,
    .child_rekeyed = cb_child_rekeyed,
    .ike_rekeyed = cb_ike_rekeyed,
    .redirected = cb_redirected,
    .debug_keys = cb_debug_keys,
};

/* ---- sessions --------------------------------------------------------------------------------- */

static struct tunnel_ike *tunnel_ike_new(struct uip_tunnel *t, const struct ike_session_config *c,
                                         char *err, size_t err_len)
{
    struct ike_session_config cfg = *c;
    struct tunnel_ike *ti = g_new0(struct tunnel_ike, 1);

    ti->t = t;
    ti->reqid = cfg.reqid = ++t->next_reqid;
    if (ike_session_new(&cfg, &session_callbacks, ti, NULL, &ti->s, err, err_len) < 0) {
        g_free(ti);
        return NULL;
    }
    return ti;
}

static gboolean reap(gpointer user)
{
    struct uip_tunnel *t = user;

    t->reap = 0;
    g_ptr_array_set_size(t->dead, 0);
    return G_SOURCE_REMOVE;
}

static void tunnel_ike_free(gpointer p)
{
    struct tunnel_ike *ti = p;

    ike_session_free(ti->s);
    g_free(ti);
}

/* Free @ti later: we may be inside one of its callbacks. */
static void tunnel_ike_bury(struct tunnel_ike *ti)
{
    struct uip_tunnel *t = ti->t;

    g_ptr_array_add(t->dead, ti);
    if (!t->reap)
        t->reap = g_idle_add(reap, t);
}

/*
 * A session to follow the current one: the tunnel's configuration, asking
 * for the virtual addresses we had.  @reauth: beside the current IKE SA (no
 * INITIAL_CONTACT); else a first connection again (INITIAL_CONTACT: the
 * gateway may still hold the old IKE SA).
 */
static struct tunnel_ike *successor_new(struct uip_tunnel *t, bool reauth, char *err,
                                        size_t err_len)
{
    struct ike_session_config cfg = t->cfg;

    cfg.reauth = reauth;
    cfg.vip4_hint_set = t->info.has_vip4;
    memcpy(cfg.vip4_hint, t->info.vip4, sizeof(cfg.vip4_hint));
    cfg.vip6_hint_set = t->info.has_vip6;
    memcpy(cfg.vip6_hint, t->info.vip6, sizeof(cfg.vip6_hint));
    return tunnel_ike_new(t, &cfg, err, err_len);
}

static gboolean on_reauth(gpointer user)
{
    struct uip_tunnel *t = user;
    char err[256] = "";

    t->reauth_timer = 0;
    if (t->reauth || !t->ike->up)
        return G_SOURCE_REMOVE;
    t->reauth = successor_new(t, true, err, sizeof(err));
    if (!t->reauth) {
        _LOGW("cannot start reauthentication: %s", err);
        return G_SOURCE_REMOVE;
    }
    _LOGI("reauthenticating: a new IKE SA beside the current one");
    ike_session_start(t->reauth->s);
    return G_SOURCE_REMOVE;
}

static void arm_reauth(struct uip_tunnel *t, unsigned seconds)
{
    g_clear_handle_id(&t->reauth_timer, g_source_remove);
    t->reauth_timer = g_timeout_add_seconds(seconds, on_reauth, t);
}

/*
 * A new IKE SA from scratch replaces the current one.  A current one that is
 * still up (our address changed and the gateway cannot follow) is deleted
 * beside it, from the new address; one that failed is just dropped.
 */
static gboolean on_start_timer(gpointer user);

static void start_over(struct uip_tunnel *t)
{
    char err[256] = "";
    struct tunnel_ike *next = successor_new(t, false, err, sizeof(err));

    if (!next) {
        t->cb.failed(t->user, IKE_FAIL_CONFIG, err);
        return;
    }
    struct tunnel_ike *old = g_steal_pointer(&t->ike);
    t->ike = next;
    if (old->up) {
        /* its DELETE first: the gateway frees the virtual address we ask for again (it
         * would give us another while the old IKE SA holds it); at most a second */
        if (t->retired)
            tunnel_ike_bury(g_steal_pointer(&t->retired));
        t->retired = old;
        ike_session_close(old->s);
        if (t->retired) {
            g_clear_handle_id(&t->start_timer, g_source_remove);
            t->start_timer = g_timeout_add(START_AFTER_DELETE_MS, on_start_timer, t);
            return;
        }
    } else {
        tunnel_ike_bury(old);
    }
    ike_session_start(t->ike->s);
}

/* The session that waits for the old IKE SA's DELETE (start_over()) starts now. */
static void start_waiting(struct uip_tunnel *t)
{
    if (!t->start_timer)
        return;
    g_clear_handle_id(&t->start_timer, g_source_remove);
    ike_session_start(t->ike->s);
}

static gboolean on_start_timer(gpointer user)
{
    struct uip_tunnel *t = user;

    t->start_timer = 0;
    ike_session_start(t->ike->s);
    return G_SOURCE_REMOVE;
}

static gboolean on_restart(gpointer user)
{
    struct uip_tunnel *t = user;

    t->restart_timer = 0;
    _LOGI("restarting (attempt %u of %u): a new IKE SA from scratch", t->restarts,
          t->restart_tries);
    start_over(t);
    return G_SOURCE_REMOVE;
}

/*
 * The current session failed: start again later if the gateway merely
 * stopped answering (after the tunnel was up) and attempts are left.  True
 * when a restart is scheduled; the failure is then not reported.
 */
static bool restart_later(struct uip_tunnel *t, enum ike_failure reason, const char *message)
{
    bool restarting = t->restarts > 0;

    /* the first failure must be a dead peer after the tunnel was up; during
     * a restart a gateway that is still booting may not answer, or answer
     * NO_PROPOSAL_CHOSEN before its configuration is loaded: everything but
     * a refused login or an unusable configuration is worth another try */
    if (!(reason == IKE_FAIL_DEAD_PEER ||
          (restarting && reason != IKE_FAIL_AUTH && reason != IKE_FAIL_CONFIG)))
        return false;
    if (t->restarts >= t->restart_tries || t->closing)
        return false;
    g_clear_handle_id(&t->reauth_timer, g_source_remove);
    t->reauth_deadline_us = 0;
    if (t->follow && t->path_down) {
        /* offline: no attempt would get anywhere; the way coming back starts one */
        _LOGW("%s; starting again once there is a way to the gateway", message);
        t->restarts = MAX(t->restarts, 1u);
        t->restart_waits = true;
        return true;
    }
    unsigned pause = t->restarts ? MIN(1u << t->restarts, (unsigned)RESTART_PAUSE_MAX_S) : 0;
    t->restarts++;
    _LOGW("%s; starting again in %u s (attempt %u of %u)", message, pause, t->restarts,
          t->restart_tries);
    t->restart_timer = g_timeout_add_seconds(pause, on_restart, t);
    return true;
}

/* The session a message from the gateway belongs to (by its IKE SPIs). */
static struct ike_session *session_for(struct uip_tunnel *t, const uint8_t *msg, size_t len)
{
    if (t->reauth && ike_session_owns(t->reauth->s, msg, len))
        return t->reauth->s;
    if (t->retired && ike_session_owns(t->retired->s, msg, len))
        return t->retired->s;
    return t->ike->s;
}

/* ---- roaming ---------------------------------------------------------------------------------- */

static int tun_ifindex(const struct uip_tunnel *t)
{
    return t->engine ? (int)if_nametoindex(uip_engine_tun_name(t->engine)) : 0;
}

/* The IKE socket toward the gateway's port 500 on the way @r: bound to its device and address. */
static int open_sock500(const struct sockaddr_storage *gw, socklen_t gw_len,
                        const struct uip_route *r)
{
    int fd = socket(r->src.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int e = 0;

    if (fd < 0)
        return -errno;
    if ((e = bind_to_device(fd, r->ifname)) < 0 ||
        (bind(fd, (const struct sockaddr *)&r->src, r->src_len) < 0 && (e = -errno)) ||
        (connect(fd, (const struct sockaddr *)gw, gw_len) < 0 &&
         (e = -errno))) {
        close(fd);
        return e;
    }
    return fd;
}

static gboolean on_sock500(gint fd, GIOCondition cond, gpointer user);

/* New sockets on the way @r for IKE and for the engine (which keeps its SAs); the old ones close. */
static int move_sockets(struct uip_tunnel *t, const struct uip_route *r)
{
    int s500 = open_sock500(&t->cfg.gateway, t->cfg.gateway_len, r);
    if (s500 < 0)
        return s500;
    int fd = uip_udp_open((const struct sockaddr *)&r->src, r->src_len);
    int e = fd < 0 ? fd : bind_to_device(fd, r->ifname);
    if (e == 0)
        e = uip_engine_replace_udp(t->engine, fd);
    if (e < 0) {
        if (fd >= 0)
            close(fd);
        close(s500);
        return e;
    }
    g_clear_handle_id(&t->sock500_watch, g_source_remove);
    close(t->sock500);
    t->sock500 = s500;
    t->sock500_watch = g_unix_fd_add(t->sock500, G_IO_IN, on_sock500, t);
    t->route = *r;
    memcpy(&t->local, &r->src, r->src_len);
    t->local_len = r->src_len;
    return 0;
}

/* The sockets are on a new way (@new_address), or the same one is back: tell the sessions. */
static void path_moved(struct uip_tunnel *t, bool new_address)
{
    if (t->restart_waits) {
        t->restart_waits = false;
        _LOGI("restarting now that there is a way to the gateway: a new IKE SA from scratch");
        start_over(t);
        return;
    }
    if (t->restart_timer || t->start_timer)
        return; /* the attempt to come starts from the new address anyway */
    if (t->retired)
        ike_session_path_changed(t->retired->s);
    if (t->reauth)
        ike_session_path_changed(t->reauth->s);
    if (ike_session_path_changed(t->ike->s) != -EOPNOTSUPP)
        return;
    if (!new_address) {
        ike_session_check_liveness(t->ike->s);
        return;
    }
    /* break-before-make: the gateway sends to the old address, which is gone */
    _LOGI("our address changed and the gateway cannot follow (no MOBIKE): a new IKE SA from "
          "the new address");
    g_clear_handle_id(&t->reauth_timer, g_source_remove);
    t->reauth_deadline_us = 0;
    if (t->reauth)
        tunnel_ike_bury(g_steal_pointer(&t->reauth));
    t->restarts = MAX(t->restarts, 1u);
    start_over(t);
}

/* Look the way to the gateway up again; move to it if it changed. */
static void path_check(struct uip_tunnel *t)
{
    struct uip_route r;
    char now[96], was[96];

    if (t->closing)
        return;
    int e = uip_route_lookup((const struct sockaddr *)&t->cfg.gateway, tun_ifindex(t), &r);
    if (e < 0) {
        if (!t->path_down)
            _LOGW("no way to the gateway now (%s); waiting for one", g_strerror(-e));
        t->path_down = true;
        return;
    }
    bool back = t->path_down;
    t->path_down = false;
    if (uip_route_equal(&r, &t->route)) {
        if (back) {
            _LOGI("the way to the gateway is back: from %s",
                  uip_route_to_string(&r, now, sizeof(now)));
            path_moved(t, false);
        }
        return;
    }
    uip_route_to_string(&t->route, was, sizeof(was));
    uip_route_to_string(&r, now, sizeof(now));
    e = move_sockets(t, &r);
    if (e < 0) {
        _LOGW("cannot move IKE and ESP to %s: %s", now, g_strerror(-e));
        t->path_down = true;
        return;
    }
    _LOGI("the way to the gateway changed: IKE and ESP now leave from %s (was %s)", now, was);
    path_moved(t, true);
}

/* Reconnect both sockets to the gateway now in t->cfg (its way looked up again). */
static int reconnect_sockets(struct uip_tunnel *t)
{
    struct uip_route r = t->route;
    int e;

    if (t->follow) {
        e = uip_route_lookup((const struct sockaddr *)&t->cfg.gateway, tun_ifindex(t), &r);
        if (e < 0)
            return e;
    } else {
        /* a fixed local address (tools): keep it, on no device */
        memcpy(&r.src, &t->local, t->local_len);
        r.src_len = t->local_len;
        r.ifname[0] = '\0';
        r.ifindex = 0;
    }
    return move_sockets(t, &r);
}

/*
 * The gateway sent the current session to another one (RFC 5685): connect
 * there from scratch, naming the old one in REDIRECTED_FROM, asking for the
 * virtual addresses we hold.  An established IKE SA is deleted first (break
 * before make: both sockets are connected to one gateway).
 */
static gboolean on_redirect(gpointer user)
{
    struct uip_tunnel *t = user;
    char was[INET6_ADDRSTRLEN] = "?", now[INET6_ADDRSTRLEN] = "?";
    size_t alen;

    t->redirect_idle = 0;
    if (t->closing)
        return G_SOURCE_REMOVE;
    if (++t->redirects > REDIRECTS_MAX) {
        t->cb.failed(t->user, IKE_FAIL_PROTOCOL,
                     "the gateways redirected us more than 5 times in a row (a loop)");
        return G_SOURCE_REMOVE;
    }
    inet_ntop(t->cfg.gateway.ss_family,
              uip_addr_bytes((const struct sockaddr *)&t->cfg.gateway, &alen), was, sizeof(was));
    inet_ntop(t->redirect_to.ss_family,
              uip_addr_bytes((const struct sockaddr *)&t->redirect_to, &alen), now, sizeof(now));
    _LOGI("redirected from gateway %s to %s", was, now);
    if (t->ike->up) {
        ike_session_close(t->ike->s); /* DELETE to the old gateway, on the sockets still its */
        t->ike->up = false;
    }
    /* the new gateway must prove the identity expected of the one we configured: with
     * certificates and no remote-id that was its host name as configured, else its address
     * (in subjectAltName), which a redirect must not widen to whatever certificate the new
     * address has (a PSK proves the gateway by itself) */
    if (!t->cfg.remote_id && t->cfg.auth != IKE_AUTHM_PSK)
        t->cfg.remote_id = g_strdup(t->cfg.gateway_name && *t->cfg.gateway_name
                                        ? t->cfg.gateway_name
                                        : was);
    t->cfg.redirected_from = t->cfg.gateway;
    memcpy(&t->cfg.gateway, &t->redirect_to, t->redirect_to_len);
    t->cfg.gateway_len = t->redirect_to_len;
    struct sockaddr_storage peer = t->cfg.gateway;
    set_port(&peer, t->cfg.natt_port ? t->cfg.natt_port : 4500);
    int e = uip_engine_set_peer(t->engine, (const struct sockaddr *)&peer, t->cfg.gateway_len);
    if (e == 0)
        e = reconnect_sockets(t);
    if (e < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "cannot reach the gateway %s we were redirected to: %s", now,
                 g_strerror(-e));
        t->cb.failed(t->user, IKE_FAIL_UNREACHABLE, msg);
        return G_SOURCE_REMOVE;
    }
    if (t->cb.redirected)
        t->cb.redirected(t->user, (const struct sockaddr *)&t->cfg.gateway, t->cfg.gateway_len);
    if (t->ever_up)
        t->restarts = MAX(t->restarts, 1u); /* reported as re-established */
    start_over(t);
    return G_SOURCE_REMOVE;
}

static void on_path_event(void *user)
{
    path_check(user);
}

static int64_t boottime_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (int64_t)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

void uip_tunnel_resumed(struct uip_tunnel *t)
{
    if (t->closing)
        return;
    if (t->follow)
        path_check(t);
    if (!t->restart_timer && !t->restart_waits && t->ike->up)
        ike_session_check_liveness(t->ike->s);
}

/* ---- I/O -------------------------------------------------------------------------------------- */

static void on_ike_packet(void *user, const uint8_t *msg, size_t len, const struct sockaddr *from,
                          socklen_t from_len)
{
    struct uip_tunnel *t = user;
    ike_session_input(session_for(t, msg, len), msg, len, from, from_len);
}

/* An SA used up its packets or time, or its sequence numbers (the engine stopped sending on
 * it): if it is the current outbound SA, rekey its CHILD_SA now.  Events of SAs a rekey
 * already replaced are for information only. */
static void on_sa_event(void *user, uint32_t spi, bool inbound, uint32_t reqid, unsigned events)
{
    struct uip_tunnel *t = user;

    if (inbound || !t->ike || !t->ike->up || spi != t->ike->spi_out)
        return;
    if (events & (UIP_SA_EVENT_SOFT_EXPIRE | UIP_SA_EVENT_HARD_EXPIRE |
                  UIP_SA_EVENT_SEQ_EXHAUSTED)) {
        _LOGI("outbound SA %08x %s: rekeying its CHILD_SA", spi,
              (events & UIP_SA_EVENT_SEQ_EXHAUSTED) ? "ran out of sequence numbers"
                                                    : "reached its lifetime");
        ike_session_rekey_child(t->ike->s);
    }
}

static gboolean on_sock500(gint fd, GIOCondition cond, gpointer user)
{
    struct uip_tunnel *t = user;
    uint8_t buf[65536];

    for (int i = 0; i < IKE_RECV_BUDGET; i++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
                             &from_len);
        if (n <= 0)
            break;
        ike_session_input(session_for(t, buf, (size_t)n), buf, (size_t)n,
                          (const struct sockaddr *)&from, from_len);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_tick(gpointer user)
{
    struct uip_tunnel *t = user;
    struct uip_engine_stats st;

    int64_t mono = g_get_monotonic_time(), asleep = boottime_us() - mono;

    uip_engine_stats(t->engine, &st);
    bool heard = st.c.pkts_in != t->last_pkts_in, sending = st.c.pkts_out != t->last_pkts_out;
    t->last_pkts_in = st.c.pkts_in;
    t->last_pkts_out = st.c.pkts_out;
    if (heard)
        ike_session_traffic_seen(t->ike->s);
    /* our packets go out and nothing comes back (a NAT that rebound us to another port, a
     * path that broke without a local change): ask the gateway now, not after dpd-interval */
    t->one_way_ticks = heard ? 0 : sending ? t->one_way_ticks + 1 : t->one_way_ticks;
    if (t->one_way_ticks >= ONE_WAY_TICKS && t->ike->up && !t->path_down &&
        mono - t->probed_us >= PROBE_EVERY_US) {
        t->probed_us = mono;
        ike_session_probe(t->ike->s);
    }
    /* asleep (CLOCK_BOOTTIME ran on, CLOCK_MONOTONIC did not) or stopped (a late tick) */
    int64_t slept = asleep - t->asleep_us, gap = mono - t->tick_mono_us;
    t->tick_mono_us = mono;
    t->asleep_us = asleep;
    if (slept > RESUME_SLEPT_US || gap > RESUME_GAP_US) {
        _LOGI("resumed after %" G_GINT64_FORMAT " s %s: checking the way to the gateway and that "
              "it still knows us",
              MAX(slept, gap) / G_USEC_PER_SEC, slept > RESUME_SLEPT_US ? "asleep" : "stopped");
        uip_tunnel_resumed(t);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- API -------------------------------------------------------------------------------------- */

int uip_tunnel_new(const struct uip_tunnel_params *p, const struct uip_tunnel_callbacks *cb,
                   void *user, struct uip_tunnel **out, char *err, size_t err_len)
{
    struct ike_session_config cfg = p->ike;
    struct uip_tunnel *t;
    char dev[IFNAMSIZ] = "";
    int r;

    t = g_new0(struct uip_tunnel, 1);
    t->cb = *cb;
    t->user = user;
    t->dead = g_ptr_array_new_with_free_func(tunnel_ike_free);
    t->restart_tries = p->restart_tries;
    t->rekey_packets = p->rekey_packets;
    t->sock500 = -1;
    t->follow = p->follow_path && !p->bind_local;
    if (t->follow) {
        r = uip_route_lookup((const struct sockaddr *)&cfg.gateway, 0, &t->route);
        if (r == 0)
            r = t->sock500 = open_sock500(&cfg.gateway, cfg.gateway_len, &t->route);
        if (r < 0) {
            snprintf(err, err_len, "no route to the gateway: %s", g_strerror(-r));
            r = -ENETUNREACH;
            goto fail;
        }
        g_strlcpy(dev, t->route.ifname, sizeof(dev));
    } else {
        t->sock500 = socket(cfg.gateway.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (t->sock500 < 0) {
            r = -errno;
            snprintf(err, err_len, "cannot open a UDP socket: %s", g_strerror(-r));
            goto fail;
        }
        if (p->bind_local && bind(t->sock500, p->bind_local, p->bind_local_len) < 0) {
            r = -errno;
            snprintf(err, err_len, "cannot bind to the local address: %s", g_strerror(-r));
            goto fail;
        }
        /* a connected socket: the kernel picks our address by the route to the gateway */
        if (connect(t->sock500, (struct sockaddr *)&cfg.gateway, cfg.gateway_len) < 0) {
            r = -errno;
            snprintf(err, err_len, "no route to the gateway: %s", g_strerror(-r));
            goto fail;
        }
    }
    t->local_len = sizeof(t->local);
    if (getsockname(t->sock500, (struct sockaddr *)&t->local, &t->local_len) < 0) {
        r = -errno;
        snprintf(err, err_len, "cannot read the local address: %s", g_strerror(-r));
        goto fail;
    }
    cfg.local = t->local;
    cfg.local_len = t->local_len;
    set_port(&t->local, 0);

    if (p->bind_device && !t->follow) {
        /* Keep IKE and ESP on the device that reaches the gateway now, whatever routes the
         * tunnel brings (a host-to-host tunnel routes the gateway's own address into it). */
        r = device_of(&t->local, dev);
        if (r == 0)
            r = bind_to_device(t->sock500, dev);
        if (r < 0) {
            snprintf(err, err_len, "cannot bind to the outgoing device: %s", g_strerror(-r));
            goto fail;
        }
    }

    /* the engine, at uip_tunnel_start(), with these */
    t->tun_name = g_strdup(p->tun_name);
    t->set_tun_mtu = p->set_tun_mtu;
    t->nat_keepalive = p->nat_keepalive;
    g_strlcpy(t->dev, dev, sizeof(t->dev));

    ike_session_config_copy(&t->cfg, &cfg);
    t->ike = tunnel_ike_new(t, &t->cfg, err, err_len);
    if (!t->ike) {
        r = -EINVAL;
        goto fail;
    }

    *out = t;
    return 0;

fail:
    uip_tunnel_free(t);
    return r;
}

/* The ESP engine: the TUN device and the NAT-T socket, bound like sock500. */
static int start_engine(struct uip_tunnel *t, char *err, size_t err_len)
{
    struct uip_engine_config ecfg;
    struct uip_engine_callbacks ecb = {.ike_packet = on_ike_packet, .sa_event = on_sa_event};
    int r;

    uip_engine_config_init(&ecfg);
    ecfg.tun_name = t->tun_name;
    ecfg.set_tun_mtu = t->set_tun_mtu;
    ecfg.local = t->local;
    ecfg.local_len = t->local_len;
    ecfg.peer = t->cfg.gateway;
    ecfg.peer_len = t->cfg.gateway_len;
    set_port(&ecfg.peer, t->cfg.natt_port ? t->cfg.natt_port : 4500);
    ecfg.keepalive_interval = t->nat_keepalive;
    r = uip_engine_new(&ecfg, &ecb, t, NULL, &t->engine);
    if (r < 0) {
        snprintf(err, err_len, "cannot start the ESP engine (TUN device or UDP socket): %s",
                 g_strerror(-r));
        return r;
    }
    r = uip_engine_raise_priority();
    if (r < 0)
        _LOGW("cannot raise the data path's priority to nice %d: %s", UIP_ENGINE_NICE,
              g_strerror(-r));
    if (t->dev[0]) {
        r = bind_to_device(uip_engine_udp_fd(t->engine), t->dev);
        if (r < 0) {
            snprintf(err, err_len, "cannot bind to the outgoing device: %s", g_strerror(-r));
            return r;
        }
        _LOGI("IKE and ESP bound to %s", t->dev);
    }
    return 0;
}

int uip_tunnel_start(struct uip_tunnel *t, char *err, size_t err_len)
{
    int r;

    g_return_val_if_fail(!t->engine, -EALREADY);
    /* IKE_SA_INIT first: the engine is made while it travels (the session needs it for the
     * answer at the earliest, to move to NAT-T; nothing runs before this returns) */
    ike_session_start(t->ike->s);
    r = start_engine(t, err, err_len);
    if (r < 0)
        return r;
    t->sock500_watch = g_unix_fd_add(t->sock500, G_IO_IN, on_sock500, t);
    t->tick_mono_us = g_get_monotonic_time();
    t->asleep_us = boottime_us() - t->tick_mono_us;
    t->tick = g_timeout_add(TICK_MS, on_tick, t);
    if (t->follow) {
        t->watch = uip_path_watch_new(UIP_PATH_WATCH_DEBOUNCE_MS, on_path_event, t);
        if (!t->watch)
            _LOGW("cannot watch for network changes: %s; the tunnel will not follow them",
                  g_strerror(errno));
    }
    return 0;
}

void uip_tunnel_rekey_child(struct uip_tunnel *t)
{
    ike_session_rekey_child(t->ike->s);
}

void uip_tunnel_rekey_ike(struct uip_tunnel *t)
{
    ike_session_rekey_ike(t->ike->s);
}

void uip_tunnel_close(struct uip_tunnel *t)
{
    t->closing = true;
    g_clear_handle_id(&t->start_timer, g_source_remove);
    if (t->restart_timer || t->restart_waits) {
        /* between two attempts: nothing to delete on the gateway */
        g_clear_handle_id(&t->restart_timer, g_source_remove);
        t->cb.closed(t->user);
        return;
    }
    /* a successor that is not up yet is dropped (the gateway's half-open SA times out) */
    g_clear_handle_id(&t->reauth_timer, g_source_remove);
    if (t->reauth)
        tunnel_ike_bury(g_steal_pointer(&t->reauth));
    ike_session_close(t->ike->s);
}

void uip_tunnel_free(struct uip_tunnel *t)
{
    if (!t)
        return;
    g_clear_pointer(&t->watch, uip_path_watch_free);
    g_clear_handle_id(&t->sock500_watch, g_source_remove);
    g_clear_handle_id(&t->tick, g_source_remove);
    g_clear_handle_id(&t->reauth_timer, g_source_remove);
    g_clear_handle_id(&t->restart_timer, g_source_remove);
    g_clear_handle_id(&t->redirect_idle, g_source_remove);
    g_clear_handle_id(&t->rescue_timer, g_source_remove);
    g_clear_handle_id(&t->start_timer, g_source_remove);
    g_clear_handle_id(&t->reap, g_source_remove);
    g_clear_pointer(&t->reauth, tunnel_ike_free);
    g_clear_pointer(&t->retired, tunnel_ike_free);
    g_clear_pointer(&t->ike, tunnel_ike_free);
    g_clear_pointer(&t->dead, g_ptr_array_unref);
    ike_session_config_clear(&t->cfg);
    uip_engine_free(t->engine);
    if (t->sock500 >= 0)
        close(t->sock500);
    g_free(t->tun_name);
    g_free(t);
}

const char *uip_tunnel_tun_name(const struct uip_tunnel *t)
{
    return uip_engine_tun_name(t->engine);
}

unsigned uip_tunnel_mtu(const struct uip_tunnel *t)
{
    return uip_engine_mtu(t->engine);
}

const struct sockaddr *uip_tunnel_local(const struct uip_tunnel *t, socklen_t *len)
{
    *len = t->local_len;
    return (const struct sockaddr *)&t->local;
}

struct uip_engine *uip_tunnel_engine(struct uip_tunnel *t)
{
    return t->engine;
}
