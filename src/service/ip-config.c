/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Config / Ip4Config / Ip6Config dictionaries (see ip-config.h).
 */
#include "service/ip-config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <NetworkManager.h>

#include "common/uip-log.h"

/* Any range is at most 2 * (bits - 1) prefixes (62 for IPv4, 254 for IPv6): every one fits, so
 * that no part of a selector is left to the routes outside the tunnel. */
#define MAX_ROUTES_PER_TS 256

typedef unsigned __int128 u128;

static u128 load(int family, const uint8_t *p)
{
    unsigned n = family == AF_INET ? 4 : 16;
    u128 v = 0;

    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static void store(int family, u128 v, uint8_t *p)
{
    unsigned n = family == AF_INET ? 4 : 16;

    for (unsigned i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

gboolean uip_range_to_prefixes(int family, const uint8_t *start, const uint8_t *end, unsigned max,
                               void (*fn)(void *user, const uint8_t *addr, unsigned prefix),
                               void *user)
{
    unsigned bits = family == AF_INET ? 32 : 128;
    u128 all = bits == 128 ? ~(u128)0 : (((u128)1 << bits) - 1);
    u128 lo = load(family, start), hi = load(family, end);
    uint8_t addr[16];

    if (lo > hi)
        return TRUE;
    for (unsigned count = 0;; count++) {
        unsigned size = 0; /* log2 of the block at lo */

        if (count == max)
            return FALSE;
        /* the largest block aligned at lo ... */
        if (lo == 0)
            size = bits;
        else
            while (!(lo & ((u128)1 << size)))
                size++;
        /* ... that ends at or before hi */
        while (size > 0 && (size == bits ? hi != all : lo + (((u128)1 << size) - 1) > hi))
            size--;
        store(family, lo, addr);
        fn(user, addr, bits - size);
        if (size == bits)
            return TRUE;
        u128 last = lo + (((u128)1 << size) - 1);
        if (last >= hi)
            return TRUE;
        lo = last + 1;
    }
}

/* ---- routes ----------------------------------------------------------------------------------- */

struct routes {
    int family;
    GVariantBuilder b;
    unsigned n;
    gboolean full; /* a selector covers the whole family */
};

static void add_route(void *user, const uint8_t *addr, unsigned prefix)
{
    struct routes *r = user;

    if (prefix == 0) {
        r->full = TRUE;
        return;
    }
    if (r->family == AF_INET) {
        guint32 a;
        memcpy(&a, addr, 4);
        g_variant_builder_open(&r->b, G_VARIANT_TYPE("au"));
        g_variant_builder_add(&r->b, "u", a);
        g_variant_builder_add(&r->b, "u", prefix);
        g_variant_builder_add(&r->b, "u", 0u);
        g_variant_builder_add(&r->b, "u", 0u);
        g_variant_builder_close(&r->b);
    } else {
        static const uint8_t zero[16];
        g_variant_builder_add(
            &r->b, "(@ayu@ayu)",
            g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, addr, 16, 1), prefix,
            g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, zero, 16, 1), 0u);
    }
    r->n++;
}

static void add_ts_routes(struct routes *r, const struct uip_ts *ts, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        char buf[96];
        if (ts[i].family == r->family &&
            !uip_range_to_prefixes(r->family, ts[i].start, ts[i].end, MAX_ROUTES_PER_TS,
                                   add_route, r))
            _LOGW("%s needs more than %u routes: only the first are reported",
                  uip_ts_to_string(&ts[i], buf, sizeof(buf)), MAX_ROUTES_PER_TS);
    }
}

/* Routes of @family; *@full when the tunnel takes the whole family. */
static GVariant *routes_for(const struct uip_report_input *in, int family, gboolean *full)
{
    struct routes r = {.family = family};

    g_variant_builder_init(&r.b, family == AF_INET ? G_VARIANT_TYPE("aau")
                                                   : G_VARIANT_TYPE("a(ayuayu)"));
    add_ts_routes(&r, in->info->child->remote_ts, in->info->child->n_remote_ts);
    add_ts_routes(&r, in->info->subnets, in->info->n_subnets);
    *full = r.full;
    return g_variant_builder_end(&r.b);
}

/* Does a (non-default) remote selector of @family cover the gateway's own address? */
static gboolean gateway_in_tunnel(const struct uip_report_input *in, int family)
{
    const struct ike_child *c = in->info->child;
    const uint8_t *gw;

    if (in->gateway->sa_family != family)
        return FALSE;
    gw = family == AF_INET ? (const uint8_t *)&((const struct sockaddr_in *)in->gateway)->sin_addr
                           : (const uint8_t *)&((const struct sockaddr_in6 *)in->gateway)->sin6_addr;
    return uip_ts_list_narrowly_contains(c->remote_ts, c->n_remote_ts, family, gw);
}

/* ---- the dictionaries ------------------------------------------------------------------------- */

GVariant *uip_report_config(const struct uip_report_input *in)
{
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_TUNDEV, g_variant_new_string(in->tundev));
    if (in->gateway->sa_family == AF_INET) {
        guint32 a = ((const struct sockaddr_in *)in->gateway)->sin_addr.s_addr;
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY, g_variant_new_uint32(a));
    } else {
        const void *a = &((const struct sockaddr_in6 *)in->gateway)->sin6_addr;
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY,
                              g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, a, 16, 1));
    }
    if (in->mtu)
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_MTU, g_variant_new_uint32(in->mtu));
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_HAS_IP4,
                          g_variant_new_boolean(in->info->has_vip4));
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CONFIG_HAS_IP6,
                          g_variant_new_boolean(in->info->has_vip6));
    /* the tunnel follows address changes and re-establishes by itself: with vpn.persistent
     * NetworkManager keeps the connection when the device under it goes (tunnel.c) */
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_CAN_PERSIST, g_variant_new_boolean(TRUE));
    return g_variant_builder_end(&b);
}

static GVariant *domains(const struct uip_report_input *in)
{
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
    for (unsigned i = 0; in->info->domains && in->info->domains[i]; i++)
        g_variant_builder_add(&b, "s", in->info->domains[i]);
    return g_variant_builder_end(&b);
}

GVariant *uip_report_ip4(const struct uip_report_input *in)
{
    const struct ike_established *e = in->info;
    GVariantBuilder b, dns;
    gboolean full;
    guint32 a;

    if (!e->has_vip4)
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    memcpy(&a, e->vip4, 4);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_ADDRESS, g_variant_new_uint32(a));
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_PREFIX, g_variant_new_uint32(32));
    if (gateway_in_tunnel(in, AF_INET)) {
        /* NetworkManager drops a host route to the VPN gateway from "routes" (it routes the
         * gateway around the tunnel itself); a point-to-point peer is its way to route it
         * into the tunnel: a /32 on our TUN at the VPN's metric, below the host route it adds
         * through the parent device.  Our IKE and ESP sockets are bound to that device. */
        memcpy(&a, &((const struct sockaddr_in *)in->gateway)->sin_addr, 4);
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_PTP, g_variant_new_uint32(a));
    }
    if (e->n_dns4) {
        g_variant_builder_init(&dns, G_VARIANT_TYPE("au"));
        for (unsigned i = 0; i < e->n_dns4; i++) {
            memcpy(&a, e->dns4[i], 4);
            g_variant_builder_add(&dns, "u", a);
        }
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_DNS, g_variant_builder_end(&dns));
    }
    if (e->domains && e->domains[0])
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_DOMAINS, domains(in));
    GVariant *routes = routes_for(in, AF_INET, &full);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_ROUTES, routes);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT,
                          g_variant_new_boolean(!full));
    return g_variant_builder_end(&b);
}

GVariant *uip_report_ip6(const struct uip_report_input *in)
{
    const struct ike_established *e = in->info;
    GVariantBuilder b, dns;
    gboolean full;

    if (!e->has_vip6)
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_ADDRESS,
                          g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, e->vip6, 16, 1));
    /* /128 whatever prefix INTERNAL_IP6_ADDRESS names: the address is ours alone, and a
     * prefix route would send the rest of the gateway's pool into the tunnel */
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_PREFIX, g_variant_new_uint32(128));
    if (e->n_dns6) {
        g_variant_builder_init(&dns, G_VARIANT_TYPE("aay"));
        for (unsigned i = 0; i < e->n_dns6; i++)
            g_variant_builder_add(&dns, "@ay",
                                  g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, e->dns6[i], 16, 1));
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_DNS, g_variant_builder_end(&dns));
    }
    if (e->domains && e->domains[0] && !e->has_vip4)
        g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_DOMAINS, domains(in));
    GVariant *routes = routes_for(in, AF_INET6, &full);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_ROUTES, routes);
    g_variant_builder_add(&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_NEVER_DEFAULT,
                          g_variant_new_boolean(!full));
    return g_variant_builder_end(&b);
}
