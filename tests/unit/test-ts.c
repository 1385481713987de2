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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ts/parse-format", test_parse_format);
    g_test_add_func("/ts/match", test_match);
    return g_test_run();
}
