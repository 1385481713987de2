/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Traffic selector parsing, formatting and matching (src/common/uip-ts.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "common/uip-ts.h"

static void test_parse_format(void)
{
    static const struct {
        const char *in, *out;
    } good[] = {
        {"198.18.0.0/15", "198.18.0.0/15"},
        {"198.18.1.7/24", "198.18.1.0/24"}, /* host bits cleared */
        {"198.18.1.7", "198.18.1.7/32"},
        {" 0.0.0.0/0 ", "0.0.0.0/0"},
        {"2001:db8::/32", "2001:db8::/32"},
        {"2001:db8::1", "2001:db8::1/128"},
        {"::/0", "::/0"},
        {"198.18.0.1-198.18.0.9", "198.18.0.1-198.18.0.9"},
        {"198.18.0.0-198.18.0.255", "198.18.0.0/24"},
    };
    static const char *bad[] = {"", "198.18.0.0/33", "198.18.0.0/", "/24", "198.18.0.0/2a",
                                "2001:db8::/129", "198.18.0.9-198.18.0.1", "198.18.0.1-2001:db8::1",
                                "host.example", "198.18.0.0/-1", NULL};
    struct uip_ts ts;
    char buf[128];

    for (unsigned i = 0; i < G_N_ELEMENTS(good); i++) {
        g_assert_cmpint(uip_ts_parse(good[i].in, &ts), ==, 0);
        g_assert_cmpstr(uip_ts_to_string(&ts, buf, sizeof(buf)), ==, good[i].out);
        g_assert_cmpuint(ts.port_end, ==, 0xffff);
    }
    for (unsigned i = 0; bad[i]; i++) {
        struct uip_ts before;
        memset(&ts, 0xaa, sizeof(ts));
        before = ts;
        g_assert_cmpint(uip_ts_parse(bad[i], &ts), ==, -EINVAL);
        g_assert_cmpmem(&ts, sizeof(ts), &before, sizeof(before)); /* untouched */
    }
    g_assert_cmpint(uip_ts_parse(NULL, &ts), ==, -EINVAL);
}

static void test_match(void)
{
    struct uip_ts ts;
    uint8_t a[16];

    g_assert_cmpint(uip_ts_parse("198.18.4.0/22", &ts), ==, 0);
    inet_pton(AF_INET, "198.18.7.255", a);
    g_assert_true(uip_ts_match(&ts, AF_INET, a, 6, 80));
    inet_pton(AF_INET, "198.18.8.0", a);
    g_assert_false(uip_ts_match(&ts, AF_INET, a, 6, 80));
    inet_pton(AF_INET, "198.18.4.0", a);
    g_assert_false(uip_ts_match(&ts, AF_INET6, a, 6, 80)); /* family */
    ts.proto = 17;
    g_assert_false(uip_ts_match(&ts, AF_INET, a, 6, 80));
    ts.port_start = ts.port_end = 53;
    g_assert_true(uip_ts_match(&ts, AF_INET, a, 17, 53));
    g_assert_false(uip_ts_match(&ts, AF_INET, a, 17, 54));

    uip_ts_any(&ts, AF_INET6);
    inet_pton(AF_INET6, "2001:db8:ffff::1", a);
    g_assert_true(uip_ts_match(&ts, AF_INET6, a, 58, 0));
    unsigned plen = 99;
    g_assert_true(uip_ts_is_prefix(&ts, &plen));
    g_assert_cmpuint(plen, ==, 0);
}

static struct uip_ts ts_of(const char *s)
{
    struct uip_ts ts;

    g_assert_cmpint(uip_ts_parse(s, &ts), ==, 0);
    return ts;
}

/* RFC 7296 2.9: what the gateway answers is cut to what we asked for, never widened. */
static void test_narrow(void)
{
    struct uip_ts want[2], got[4], out[4];
    unsigned n = 99, changed = 99;
    char buf[128];

    /* a gateway answering 0.0.0.0/0 to a split tunnel: we keep what we asked */
    want[0] = ts_of("198.18.5.0/24");
    got[0] = ts_of("0.0.0.0/0");
    g_assert_cmpint(uip_ts_narrow(want, 1, got, 1, out, 4, &n, &changed), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(changed, ==, 1);
    g_assert_cmpstr(uip_ts_to_string(&out[0], buf, sizeof(buf)), ==, "198.18.5.0/24");

    /* inside what we asked: taken whole, nothing counted */
    got[0] = ts_of("198.18.5.128/25");
    g_assert_cmpint(uip_ts_narrow(want, 1, got, 1, out, 4, &n, &changed), ==, 0);
    g_assert_cmpuint(changed, ==, 0);
    g_assert_cmpstr(uip_ts_to_string(&out[0], buf, sizeof(buf)), ==, "198.18.5.128/25");

    /* overlapping ranges are cut; outside, other family: dropped; all outside: -ENOENT */
    got[0] = ts_of("198.18.5.200-198.18.6.9");
    got[1] = ts_of("203.0.113.0/24");
    got[2] = ts_of("2001:db8::/32");
    g_assert_cmpint(uip_ts_narrow(want, 1, got, 3, out, 4, &n, &changed), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(changed, ==, 3);
    g_assert_cmpstr(uip_ts_to_string(&out[0], buf, sizeof(buf)), ==,
                    "198.18.5.200-198.18.5.255");
    g_assert_cmpint(uip_ts_narrow(want, 1, got + 1, 2, out, 4, &n, &changed), ==, -ENOENT);
    g_assert_cmpuint(n, ==, 0);

    /* protocol and ports: the narrower of each; disjoint ports or protocols: nothing */
    want[0] = ts_of("0.0.0.0/0");
    want[0].proto = 17;
    got[0] = ts_of("198.18.5.1");
    got[0].port_start = got[0].port_end = 53;
    g_assert_cmpint(uip_ts_narrow(want, 1, got, 1, out, 4, &n, &changed), ==, 0);
    g_assert_cmpuint(out[0].proto, ==, 17);
    g_assert_cmpuint(out[0].port_start, ==, 53);
    g_assert_cmpuint(changed, ==, 1);
    got[0].proto = 6;
    g_assert_cmpint(uip_ts_narrow(want, 1, got, 1, out, 4, &n, &changed), ==, -ENOENT);

    /* two of ours inside one of theirs: both, once each, even when it comes twice; @max */
    want[0] = ts_of("198.18.5.0/24");
    want[1] = ts_of("198.18.7.0/24");
    got[0] = ts_of("198.18.0.0/16");
    got[1] = got[0];
    g_assert_cmpint(uip_ts_narrow(want, 2, got, 2, out, 4, &n, &changed), ==, 0);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpuint(changed, ==, 2);
    g_assert_cmpint(uip_ts_narrow(want, 2, got, 1, out, 1, &n, &changed), ==, 0);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(changed, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ts/parse-format", test_parse_format);
    g_test_add_func("/ts/match", test_match);
    g_test_add_func("/ts/narrow", test_narrow);
    return g_test_run();
}
