/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the service tells NetworkManager, and how it reads a connection:
 *  - ranges cut into CIDR prefixes (table);
 *  - Config / Ip4Config / Ip6Config for a full tunnel, a split tunnel (only the
 *    agreed prefixes, never-default) and INTERNAL_IP4_SUBNET routes, in the
 *    D-Bus types NetworkManager parses (aau, a(ayuayu), au, aay, as);
 *  - vpn.data / vpn.secrets -> IKE parameters; which secrets need asking for
 *    (auth method, flags, encrypted key files); host-to-host detection.
 */
#include <arpa/inet.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <NetworkManager.h>

#include "common/uip-settings.h"
#include "service/ip-config.h"
#include "service/tunnel-settings.h"

/* ---- ranges -> prefixes ----------------------------------------------------------------------- */

struct collector {
    int family;
    GString *s;
};

static void collect2(void *user, const uint8_t *addr, unsigned prefix)
{
    struct collector *c = user;
    char buf[INET6_ADDRSTRLEN];
    g_string_append_printf(c->s, "%s%s/%u", c->s->len ? " " : "",
                           inet_ntop(c->family, addr, buf, sizeof(buf)), prefix);
}

static char *cut(int family, const char *a, const char *b, unsigned max, gboolean *complete)
{
    uint8_t s[16], e[16];
    struct collector c = {family, g_string_new("")};

    g_assert_cmpint(inet_pton(family, a, s), ==, 1);
    g_assert_cmpint(inet_pton(family, b, e), ==, 1);
    *complete = uip_range_to_prefixes(family, s, e, max, collect2, &c);
    return g_string_free(c.s, FALSE);
}

static void test_ranges(void)
{
    static const struct {
        int family;
        const char *start, *end, *want;
    } cases[] = {
        {AF_INET, "198.18.2.0", "198.18.2.255", "198.18.2.0/24"},
        {AF_INET, "198.18.2.7", "198.18.2.7", "198.18.2.7/32"},
        {AF_INET, "198.18.2.1", "198.18.2.6", "198.18.2.1/32 198.18.2.2/31 198.18.2.4/31 198.18.2.6/32"},
        {AF_INET, "0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
        {AF_INET, "128.0.0.0", "255.255.255.255", "128.0.0.0/1"},
        {AF_INET, "198.18.0.0", "198.19.255.255", "198.18.0.0/15"},
        {AF_INET, "255.255.255.254", "255.255.255.255", "255.255.255.254/31"},
        {AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"},
        {AF_INET6, "2001:db8:2::", "2001:db8:2::ffff:ffff:ffff:ffff", "2001:db8:2::/64"},
        {AF_INET6, "2001:db8::1", "2001:db8::2", "2001:db8::1/128 2001:db8::2/128"},
        {AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"},
    };
    gboolean complete;

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = cut(cases[i].family, cases[i].start, cases[i].end, 64, &complete);
        g_assert_true(complete);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
    /* a range that needs more prefixes than allowed: the first ones, and FALSE */
    g_autofree char *got = cut(AF_INET, "198.18.0.1", "198.18.0.254", 3, &complete);
    g_assert_false(complete);
    g_assert_cmpstr(got, ==, "198.18.0.1/32 198.18.0.2/31 198.18.0.4/30");
}

/* ---- report dictionaries ---------------------------------------------------------------------- */

static void ts(struct uip_ts *t, const char *s)
{
    g_assert_cmpint(uip_ts_parse(s, t), ==, 0);
}

static guint32 ip4(const char *s)
{
    struct in_addr a;
    g_assert_cmpint(inet_pton(AF_INET, s, &a), ==, 1);
    return a.s_addr;
}

struct fixture {
    struct ike_child child;
    struct ike_established info;
    struct sockaddr_in gw;
    struct uip_report_input in;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->info.child = &f->child;
    f->info.has_vip4 = true;
    memcpy(f->info.vip4, &(guint32){ip4("198.18.100.1")}, 4);
    f->info.n_dns4 = 1;
    memcpy(f->info.dns4[0], &(guint32){ip4("198.18.2.53")}, 4);
    f->gw.sin_family = AF_INET;
    f->gw.sin_addr.s_addr = ip4("192.0.2.2");
    f->in.info = &f->info;
    f->in.tundev = "uip0";
    f->in.mtu = 1400;
    f->in.gateway = (struct sockaddr *)&f->gw;
}

/* The IPv4 routes of @ip4config as "ADDR/PLEN ..." (checking each is [dest, plen, 0, 0]). */
static char *routes4(GVariant *ip4config)
{
    g_autoptr(GVariant) routes = g_variant_lookup_value(ip4config, NM_VPN_PLUGIN_IP4_CONFIG_ROUTES,
                                                        G_VARIANT_TYPE("aau"));
    GString *s = g_string_new("");
    GVariantIter it;
    GVariant *r;
    char buf[INET_ADDRSTRLEN];

    g_assert_nonnull(routes);
    g_variant_iter_init(&it, routes);
    while ((r = g_variant_iter_next_value(&it))) {
        gsize n;
        const guint32 *v = g_variant_get_fixed_array(r, &n, sizeof(guint32));
        g_assert_cmpuint(n, ==, 4);
        g_assert_cmpuint(v[2], ==, 0);
        g_string_append_printf(s, "%s%s/%u", s->len ? " " : "",
                               inet_ntop(AF_INET, &v[0], buf, sizeof(buf)), v[1]);
        g_variant_unref(r);
    }
    return g_string_free(s, FALSE);
}

static gboolean never_default(GVariant *dict, const char *key)
{
    gboolean b = FALSE;
    g_assert_true(g_variant_lookup(dict, key, "b", &b));
    return b;
}

static void test_config(void)
{
    struct fixture f;
    const char *s;
    guint32 u;
    gboolean b;

    fixture_init(&f);
    g_autoptr(GVariant) c = g_variant_ref_sink(uip_report_config(&f.in));
    g_assert_true(g_variant_lookup(c, NM_VPN_PLUGIN_CONFIG_TUNDEV, "&s", &s));
    g_assert_cmpstr(s, ==, "uip0");
    g_assert_true(g_variant_lookup(c, NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY, "u", &u));
    g_assert_cmpuint(u, ==, ip4("192.0.2.2"));
    g_assert_true(g_variant_lookup(c, NM_VPN_PLUGIN_CONFIG_MTU, "u", &u));
    g_assert_cmpuint(u, ==, 1400);
    g_assert_true(g_variant_lookup(c, NM_VPN_PLUGIN_CONFIG_HAS_IP4, "b", &b));
    g_assert_true(b);
    g_assert_true(g_variant_lookup(c, NM_VPN_PLUGIN_CONFIG_HAS_IP6, "b", &b));
    g_assert_false(b);
    /* vpn.persistent works: the tunnel survives the device under it going away */
    g_assert_true(g_variant_lookup(c, NM_VPN_PLUGIN_CAN_PERSIST, "b", &b));
    g_assert_true(b);
    g_assert_null(uip_report_ip6(&f.in)); /* no IPv6 address: NetworkManager gets no Ip6Config */

    /* an IPv6 gateway is an ay */
    struct sockaddr_in6 gw6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8:ff::2", &gw6.sin6_addr);
    f.in.gateway = (struct sockaddr *)&gw6;
    g_autoptr(GVariant) c6 = g_variant_ref_sink(uip_report_config(&f.in));
    g_autoptr(GVariant) gwv = g_variant_lookup_value(c6, NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY,
                                                     G_VARIANT_TYPE_BYTESTRING);
    g_assert_nonnull(gwv);
    g_assert_cmpmem(g_variant_get_data(gwv), g_variant_get_size(gwv), &gw6.sin6_addr, 16);
}

static void test_full_tunnel(void)
{
    struct fixture f;
    guint32 u;

    fixture_init(&f);
    ts(&f.child.remote_ts[0], "0.0.0.0/0");
    ts(&f.child.remote_ts[1], "::/0");
    f.child.n_remote_ts = 2;
    char *dom[] = {"corp.example.test", NULL};
    f.info.domains = dom;

    g_autoptr(GVariant) v4 = g_variant_ref_sink(uip_report_ip4(&f.in));
    g_assert_true(g_variant_lookup(v4, NM_VPN_PLUGIN_IP4_CONFIG_ADDRESS, "u", &u));
    g_assert_cmpuint(u, ==, ip4("198.18.100.1"));
    g_assert_true(g_variant_lookup(v4, NM_VPN_PLUGIN_IP4_CONFIG_PREFIX, "u", &u));
    g_assert_cmpuint(u, ==, 32);
    g_assert_false(never_default(v4, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT));
    g_autofree char *r = routes4(v4);
    g_assert_cmpstr(r, ==, "");
    g_autoptr(GVariant) dns = g_variant_lookup_value(v4, NM_VPN_PLUGIN_IP4_CONFIG_DNS,
                                                     G_VARIANT_TYPE("au"));
    g_assert_nonnull(dns);
    g_assert_cmpuint(g_variant_n_children(dns), ==, 1);
    g_variant_get_child(dns, 0, "u", &u);
    g_assert_cmpuint(u, ==, ip4("198.18.2.53"));
    g_autoptr(GVariant) doms = g_variant_lookup_value(v4, NM_VPN_PLUGIN_IP4_CONFIG_DOMAINS,
                                                      G_VARIANT_TYPE_STRING_ARRAY);
    g_assert_nonnull(doms);
    g_autofree const char **d = g_variant_get_strv(doms, NULL);
    g_assert_cmpstr(d[0], ==, "corp.example.test");
    g_assert_null(d[1]);
}

/* The worst range (254 IPv6 prefixes) goes to NetworkManager whole: none of it is left to the
 * routes outside the tunnel. */
static void test_routes_of_wide_range(void)
{
    struct fixture f;

    fixture_init(&f);
    ts(&f.child.remote_ts[0], "2001:db8::1-2001:db8:ffff:ffff:ffff:ffff:ffff:fffe");
    f.child.n_remote_ts = 1;
    f.info.has_vip6 = true;
    inet_pton(AF_INET6, "2001:db8:100::1", f.info.vip6);
    g_autoptr(GVariant) v6 = g_variant_ref_sink(uip_report_ip6(&f.in));
    g_autoptr(GVariant) routes = g_variant_lookup_value(v6, NM_VPN_PLUGIN_IP6_CONFIG_ROUTES,
                                                        G_VARIANT_TYPE("a(ayuayu)"));
    g_assert_nonnull(routes);
    g_assert_cmpuint(g_variant_n_children(routes), ==, 2 * (128 - 32) - 2);
    g_assert_true(never_default(v6, NM_VPN_PLUGIN_IP6_CONFIG_NEVER_DEFAULT));
}

static void test_split_tunnel(void)
{
    struct fixture f;

    fixture_init(&f);
    ts(&f.child.remote_ts[0], "198.18.2.0/24");
    ts(&f.child.remote_ts[1], "198.18.4.1-198.18.4.2");
    ts(&f.child.remote_ts[2], "2001:db8:2::/64");
    f.child.n_remote_ts = 3;
    ts(&f.info.subnets[0], "198.18.3.0/24");
    f.info.n_subnets = 1;
    f.info.has_vip6 = true;
    inet_pton(AF_INET6, "2001:db8:100::1", f.info.vip6);
    f.info.vip6_prefix = 64; /* strongSwan sends its pool's prefix: still a /128 for us */

    g_autoptr(GVariant) v4 = g_variant_ref_sink(uip_report_ip4(&f.in));
    g_assert_true(never_default(v4, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT));
    g_autofree char *r = routes4(v4);
    g_assert_cmpstr(r, ==, "198.18.2.0/24 198.18.4.1/32 198.18.4.2/32 198.18.3.0/24");

    g_autoptr(GVariant) v6 = g_variant_ref_sink(uip_report_ip6(&f.in));
    g_assert_nonnull(v6);
    g_assert_true(never_default(v6, NM_VPN_PLUGIN_IP6_CONFIG_NEVER_DEFAULT));
    g_autoptr(GVariant) addr = g_variant_lookup_value(v6, NM_VPN_PLUGIN_IP6_CONFIG_ADDRESS,
                                                      G_VARIANT_TYPE_BYTESTRING);
    g_assert_cmpmem(g_variant_get_data(addr), 16, f.info.vip6, 16);
    guint32 prefix6 = 0;
    g_assert_true(g_variant_lookup(v6, NM_VPN_PLUGIN_IP6_CONFIG_PREFIX, "u", &prefix6));
    g_assert_cmpuint(prefix6, ==, 128);
    g_autoptr(GVariant) routes = g_variant_lookup_value(v6, NM_VPN_PLUGIN_IP6_CONFIG_ROUTES,
                                                        G_VARIANT_TYPE("a(ayuayu)"));
    g_assert_nonnull(routes);
    g_assert_cmpuint(g_variant_n_children(routes), ==, 1);
    g_autoptr(GVariant) dest = NULL, hop = NULL;
    guint32 plen, metric;
    g_variant_get_child(routes, 0, "(@ayu@ayu)", &dest, &plen, &hop, &metric);
    uint8_t want[16];
    inet_pton(AF_INET6, "2001:db8:2::", want);
    g_assert_cmpmem(g_variant_get_data(dest), g_variant_get_size(dest), want, 16);
    g_assert_cmpuint(plen, ==, 64);
}

static void test_host_to_host(void)
{
    struct fixture f;
    guint32 u;

    /* a split tunnel that does not cover the gateway: no point-to-point peer */
    fixture_init(&f);
    ts(&f.child.remote_ts[0], "198.18.2.0/24");
    f.child.n_remote_ts = 1;
    g_autoptr(GVariant) v1 = g_variant_ref_sink(uip_report_ip4(&f.in));
    g_assert_false(g_variant_lookup(v1, NM_VPN_PLUGIN_IP4_CONFIG_PTP, "u", &u));

    /* a full tunnel: the gateway stays on NetworkManager's host route around it */
    ts(&f.child.remote_ts[0], "0.0.0.0/0");
    g_autoptr(GVariant) v2 = g_variant_ref_sink(uip_report_ip4(&f.in));
    g_assert_false(g_variant_lookup(v2, NM_VPN_PLUGIN_IP4_CONFIG_PTP, "u", &u));

    /* the gateway itself behind the tunnel: it becomes the peer of our address, which is how
     * NetworkManager routes it into the TUN (it drops a /32 route to the gateway) */
    ts(&f.child.remote_ts[0], "192.0.2.2/32");
    g_autoptr(GVariant) v3 = g_variant_ref_sink(uip_report_ip4(&f.in));
    g_assert_true(g_variant_lookup(v3, NM_VPN_PLUGIN_IP4_CONFIG_PTP, "u", &u));
    g_assert_cmpuint(u, ==, ip4("192.0.2.2"));
    g_assert_true(never_default(v3, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT));
}

/* ---- settings -> parameters ------------------------------------------------------------------- */

static GHashTable *table(const char *const *kv)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (; kv && kv[0]; kv += 2)
        g_hash_table_insert(t, g_strdup(kv[0]), g_strdup(kv[1]));
    return t;
}

static void test_params(void)
{
    const char *const d[] = {UIP_KEY_GATEWAY, "192.0.2.2", UIP_KEY_PORT, "4501", UIP_KEY_AUTH,
                             "eap-mschapv2", UIP_KEY_USER, "alice", UIP_KEY_REMOTE_TS,
                             "198.18.2.0/24, 2001:db8:2::/64", UIP_KEY_DPD_INTERVAL, "7",
                             UIP_KEY_VIRTUAL_IPV6, "yes", UIP_KEY_PASSWORD_FLAGS, "2", NULL};
    const char *const s[] = {UIP_KEY_PASSWORD, "pw", NULL};
    g_autoptr(GHashTable) data = table(d), secrets = table(s);
    g_autoptr(GError) error = NULL;
    struct sockaddr_storage gw;
    socklen_t len;
    struct uip_tunnel_params p;

    g_assert_true(uip_settings_validate(data, secrets, &error));
    g_assert_true(uip_gateway_literal(data, &gw, &len));
    g_assert_true(uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p,
                                                  &error));
    g_assert_no_error(error);
    g_assert_cmpint(p.ike.auth, ==, IKE_AUTHM_EAP_MSCHAPV2);
    g_assert_cmpuint(ntohs(((struct sockaddr_in *)&p.ike.gateway)->sin_port), ==, 4501);
    g_assert_cmpstr(p.ike.eap_identity, ==, "alice");
    g_assert_cmpstr(p.ike.eap_password, ==, "pw");
    g_assert_true(p.ike.virtual_ipv4); /* the default */
    g_assert_true(p.ike.virtual_ipv6);
    g_assert_cmpuint(p.ike.dpd_interval, ==, 7);
    g_assert_cmpuint(p.nat_keepalive, ==, 20); /* the default */
    g_assert_true(p.ike.fragmentation);
    g_assert_cmpuint(p.ike.n_remote_ts, ==, 2);
    g_assert_cmpuint(p.ike.n_local_ts, ==, 0);
    g_assert_false(p.bind_device);
    g_assert_cmpuint(p.restart_tries, ==, UIP_TUNNEL_RESTART_TRIES); /* dpd-action: restart */

    /* dpd-action=fail: a dead gateway is reported at once */
    g_hash_table_insert(data, g_strdup(UIP_KEY_DPD_ACTION), g_strdup(UIP_DPD_ACTION_FAIL));
    g_assert_true(uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p,
                                                  &error));
    g_assert_cmpuint(p.restart_tries, ==, 0);
    g_hash_table_insert(data, g_strdup(UIP_KEY_DPD_ACTION), g_strdup(UIP_DPD_ACTION_RESTART));
    g_assert_true(uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p,
                                                  &error));
    g_assert_cmpuint(p.restart_tries, ==, UIP_TUNNEL_RESTART_TRIES);

    /* a selector aimed at the gateway itself: IKE and ESP must stay off the tunnel */
    g_hash_table_insert(data, g_strdup(UIP_KEY_REMOTE_TS), g_strdup("192.0.2.2/32"));
    g_assert_true(uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p,
                                                  &error));
    g_assert_true(p.bind_device);

    /* a missing password (secrets come from the agent) is caught here too */
    g_hash_table_remove_all(secrets);
    g_assert_false(uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p,
                                                   &error));
    g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING);
    g_assert_nonnull(strstr(error->message, UIP_KEY_PASSWORD));
    g_clear_error(&error);

    /* EAP-TLS: the certificate and key of auth=cert, "user" as the EAP identity, no password */
    g_hash_table_insert(data, g_strdup(UIP_KEY_AUTH), g_strdup("eap-tls"));
    g_hash_table_insert(data, g_strdup(UIP_KEY_USER_CERT), g_strdup("/etc/c.pem"));
    g_hash_table_insert(data, g_strdup(UIP_KEY_USER_KEY), g_strdup("/etc/k.pem"));
    g_hash_table_insert(secrets, g_strdup(UIP_KEY_USER_KEY_PASSWORD), g_strdup("kp"));
    g_assert_true(
        uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p, &error));
    g_assert_no_error(error);
    g_assert_cmpint(p.ike.auth, ==, IKE_AUTHM_EAP_TLS);
    g_assert_cmpstr(p.ike.user_cert, ==, "/etc/c.pem");
    g_assert_cmpstr(p.ike.user_key, ==, "/etc/k.pem");
    g_assert_cmpstr(p.ike.user_key_password, ==, "kp");
    g_assert_cmpstr(p.ike.eap_identity, ==, "alice");
    g_assert_null(p.ike.eap_password);
    /* without "user": the session picks local-id or the certificate's identity */
    g_hash_table_remove(data, UIP_KEY_USER);
    g_assert_true(
        uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p, &error));
    g_assert_null(p.ike.eap_identity);
    /* auth=cert never carries an EAP identity */
    g_hash_table_insert(data, g_strdup(UIP_KEY_USER), g_strdup("alice"));
    g_hash_table_insert(data, g_strdup(UIP_KEY_AUTH), g_strdup("cert"));
    g_assert_true(
        uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p, &error));
    g_assert_cmpint(p.ike.auth, ==, IKE_AUTHM_CERT);
    g_assert_null(p.ike.eap_identity);

    /* the gateway's host name for its certificate (no remote-id): not for an address */
    g_assert_null(p.ike.gateway_name);
    g_hash_table_insert(data, g_strdup(UIP_KEY_GATEWAY), g_strdup("vpn.example.test"));
    g_assert_true(
        uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p, &error));
    g_assert_cmpstr(p.ike.gateway_name, ==, "vpn.example.test");
    g_hash_table_insert(data, g_strdup(UIP_KEY_GATEWAY), g_strdup("2001:db8::2"));
    g_assert_true(
        uip_tunnel_params_from_settings(data, secrets, (struct sockaddr *)&gw, len, &p, &error));
    g_assert_null(p.ike.gateway_name);
}

static void test_proposal_validator(void)
{
    g_autoptr(GError) error = NULL;

    uip_tunnel_settings_init();
    g_assert_true(uip_settings_validate_one(UIP_KEY_IKE, "aes256gcm16-prfsha384-x25519", &error));
    g_assert_true(uip_settings_validate_one(UIP_KEY_ESP, "aes128gcm16,chacha20poly1305", &error));
    /* syntactically fine, but no such algorithm: only the real parser knows */
    g_assert_false(uip_settings_validate_one(UIP_KEY_IKE, "aes256gcm16-prfsha384-x99999", &error));
    g_assert_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE);
    g_assert_nonnull(strstr(error->message, UIP_KEY_IKE));
    g_clear_error(&error);
    uip_settings_set_proposal_validator(NULL);

    /* local-id / remote-id in strongSwan's syntax, parsed as the session will */
    g_assert_true(uip_settings_validate_one(UIP_KEY_REMOTE_ID, "@vpn.example.com", &error));
    g_assert_true(uip_settings_validate_one(UIP_KEY_REMOTE_ID, "C=DE, O=Example, CN=vpn", &error));
    g_assert_true(uip_settings_validate_one(UIP_KEY_LOCAL_ID, "@#0123abcd", &error));
    g_assert_false(uip_settings_validate_one(UIP_KEY_REMOTE_ID, "C=DE, Bogus=x", &error));
    g_assert_cmpstr(error->message, ==,
                    "Invalid value “C=DE, Bogus=x” for “remote-id”: not an identity in "
                    "strongSwan's syntax (unknown attribute in the DN)");
    g_clear_error(&error);
    g_assert_false(uip_settings_validate_one(UIP_KEY_LOCAL_ID, "@#01x", &error));
    g_assert_nonnull(strstr(error->message, "“local-id”"));
    g_clear_error(&error);
    /* the EAP user name is no IKE identity: "a=b" is fine there */
    g_assert_true(uip_settings_validate_one(UIP_KEY_USER, "a=b", &error));
    uip_settings_set_id_validator(NULL);
    g_assert_true(uip_settings_validate_one(UIP_KEY_REMOTE_ID, "C=DE, Bogus=x", &error));
}

/* ---- secrets to ask for ----------------------------------------------------------------------- */

static char *needed(GHashTable *data, GHashTable *secrets)
{
    g_auto(GStrv) n = uip_settings_secrets_needed(data, secrets, NULL);
    return g_strjoinv(",", n);
}

static void test_secrets_needed(void)
{
    g_autofree char *dir = g_dir_make_tmp("uip-secrets-XXXXXX", NULL);
    g_autofree char *clear_key = g_build_filename(dir, "clear.key", NULL);
    g_autofree char *enc_key = g_build_filename(dir, "enc.key", NULL);
    g_autofree char *legacy_key = g_build_filename(dir, "legacy.key", NULL);
    g_assert_true(g_file_set_contents(clear_key, "-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n", -1, NULL));
    g_assert_true(g_file_set_contents(enc_key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMC4=\n-----END ENCRYPTED PRIVATE KEY-----\n", -1, NULL));
    g_assert_true(g_file_set_contents(legacy_key, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nMC4=\n-----END RSA PRIVATE KEY-----\n", -1, NULL));

    const char *const psk[] = {UIP_KEY_AUTH, "psk", UIP_KEY_GATEWAY, "192.0.2.2", NULL};
    g_autoptr(GHashTable) d = table(psk), none = table(NULL);
    const char *const have_psk[] = {UIP_KEY_PSK, "a-pre-shared-key-long-enough", NULL};
    g_autoptr(GHashTable) s_psk = table(have_psk);
    g_autofree char *a = needed(d, none), *b = needed(d, s_psk);
    g_assert_cmpstr(a, ==, UIP_KEY_PSK);
    g_assert_cmpstr(b, ==, "");
    /* not required: never asked */
    g_hash_table_insert(d, g_strdup(UIP_KEY_PSK_FLAGS), g_strdup("4"));
    g_autofree char *c = needed(d, none);
    g_assert_cmpstr(c, ==, "");

    const char *const eap[] = {UIP_KEY_AUTH, "eap-mschapv2", UIP_KEY_PASSWORD_FLAGS, "2", NULL};
    g_autoptr(GHashTable) de = table(eap);
    g_autofree char *e = needed(de, none);
    g_assert_cmpstr(e, ==, UIP_KEY_PASSWORD);

    const char *const cert[] = {UIP_KEY_AUTH, "cert", NULL};
    g_autoptr(GHashTable) dc = table(cert);
    g_hash_table_insert(dc, g_strdup(UIP_KEY_USER_KEY), g_strdup(clear_key));
    g_autofree char *f1 = needed(dc, none);
    g_assert_cmpstr(f1, ==, "");
    g_hash_table_insert(dc, g_strdup(UIP_KEY_USER_KEY), g_strdup(enc_key));
    g_autofree char *f2 = needed(dc, none);
    g_assert_cmpstr(f2, ==, UIP_KEY_USER_KEY_PASSWORD);
    g_hash_table_insert(dc, g_strdup(UIP_KEY_USER_KEY), g_strdup(legacy_key));
    g_autofree char *f3 = needed(dc, none);
    g_assert_cmpstr(f3, ==, UIP_KEY_USER_KEY_PASSWORD);
    g_hash_table_insert(dc, g_strdup(UIP_KEY_USER_KEY), g_strdup("/nonexistent/key.pem"));
    g_autofree char *f4 = needed(dc, none);
    g_assert_cmpstr(f4, ==, "");

    g_remove(clear_key);
    g_remove(enc_key);
    g_remove(legacy_key);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/service/ranges", test_ranges);
    g_test_add_func("/service/config", test_config);
    g_test_add_func("/service/full-tunnel", test_full_tunnel);
    g_test_add_func("/service/routes-of-wide-range", test_routes_of_wide_range);
    g_test_add_func("/service/split-tunnel", test_split_tunnel);
    g_test_add_func("/service/host-to-host", test_host_to_host);
    g_test_add_func("/service/params", test_params);
    g_test_add_func("/service/proposal-validator", test_proposal_validator);
    g_test_add_func("/service/secrets-needed", test_secrets_needed);
    return g_test_run();
}
