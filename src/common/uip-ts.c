/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "common/uip-ts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

void uip_ts_any(struct uip_ts *ts, int family)
{
    memset(ts, 0, sizeof(*ts));
    ts->family = (uint8_t)family;
    ts->port_end = 0xffff;
    memset(ts->end, 0xff, addr_len(family));
}

static int parse_addr(const char *s, size_t n, int *family, uint8_t out[16])
{
    char buf[INET6_ADDRSTRLEN];

    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    memset(out, 0, 16);
    if (inet_pton(AF_INET, buf, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        *family = AF_INET6;
        return 0;
    }
    return -EINVAL;
}

int uip_ts_parse(const char *s, struct uip_ts *ts)
{
    struct uip_ts t;
    int family, family2;
    const char *sep;

    if (!s)
        return -EINVAL;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n == 0)
        return -EINVAL;

    memset(&t, 0, sizeof(t));
    t.port_end = 0xffff;

    if ((sep = memchr(s, '/', n))) {
        char *endp;
        char num[4];
        size_t nl = n - (size_t)(sep - s) - 1;
        if (parse_addr(s, (size_t)(sep - s), &family, t.start) < 0)
            return -EINVAL;
        if (nl == 0 || nl >= sizeof(num))
            return -EINVAL;
        memcpy(num, sep + 1, nl);
        num[nl] = '\0';
        for (size_t i = 0; i < nl; i++)
            if (num[i] < '0' || num[i] > '9')
                return -EINVAL;
        unsigned long plen = strtoul(num, &endp, 10);
        size_t alen = addr_len(family);
        if (plen > alen * 8)
            return -EINVAL;
        for (size_t i = 0; i < alen; i++) {
            unsigned bits = plen >= (i + 1) * 8 ? 8 : (plen > i * 8 ? (unsigned)(plen - i * 8) : 0);
            uint8_t mask = bits ? (uint8_t)(0xff << (8 - bits)) : 0;
            t.start[i] &= mask;
            t.end[i] = t.start[i] | (uint8_t)~mask;
        }
    } else if ((sep = memchr(s, '-', n))) {
        if (parse_addr(s, (size_t)(sep - s), &family, t.start) < 0)
            return -EINVAL;
        if (parse_addr(sep + 1, n - (size_t)(sep - s) - 1, &family2, t.end) < 0)
            return -EINVAL;
        if (family != family2 || memcmp(t.start, t.end, addr_len(family)) > 0)
            return -EINVAL;
    } else {
        if (parse_addr(s, n, &family, t.start) < 0)
            return -EINVAL;
        memcpy(t.end, t.start, 16);
    }
    t.family = (uint8_t)family;
    *ts = t;
    return 0;
}

bool uip_ts_is_prefix(const struct uip_ts *ts, unsigned *prefix_len)
{
    size_t alen = addr_len(ts->family);
    unsigned plen = 0;
    bool in_host = false;

    for (size_t i = 0; i < alen; i++) {
        for (int b = 7; b >= 0; b--) {
            unsigned s = (ts->start[i] >> b) & 1, e = (ts->end[i] >> b) & 1;
            if (!in_host) {
                if (s == e) {
                    plen++;
                    continue;
                }
                in_host = true;
            }
            if (s != 0 || e != 1)
                return false;
        }
    }
    if (prefix_len)
        *prefix_len = plen;
    return true;
}

const char *uip_ts_to_string(const struct uip_ts *ts, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    unsigned plen;

    inet_ntop(ts->family, ts->start, a, sizeof(a));
    if (uip_ts_is_prefix(ts, &plen)) {
        snprintf(buf, len, "%s/%u", a, plen);
    } else {
        inet_ntop(ts->family, ts->end, b, sizeof(b));
        snprintf(buf, len, "%s-%s", a, b);
    }
    return buf;
}

bool uip_ts_contains_addr(const struct uip_ts *ts, const uint8_t *addr)
{
    size_t alen = addr_len(ts->family);
    return memcmp(addr, ts->start, alen) >= 0 && memcmp(addr, ts->end, alen) <= 0;
}

bool uip_ts_match(const struct uip_ts *ts, int family, const uint8_t *addr, uint8_t proto,
                  uint16_t port)
{
    if (ts->family != family)
        return false;
    if (ts->proto && ts->proto != proto)
        return false;
    if (port < ts->port_start || port > ts->port_end)
        return false;
    return uip_ts_contains_addr(ts, addr);
}

bool uip_ts_list_narrowly_contains(const struct uip_ts *ts, unsigned n, int family,
                                   const uint8_t *addr)
{
    unsigned prefix;

    for (unsigned i = 0; i < n; i++) {
        if (ts[i].family == family && uip_ts_contains_addr(&ts[i], addr) &&
            !(uip_ts_is_prefix(&ts[i], &prefix) && prefix == 0))
            return true;
    }
    return false;
}

static bool ts_equal(const struct uip_ts *a, const struct uip_ts *b)
{
    size_t alen = addr_len(a->family);

    return a->family == b->family && a->proto == b->proto && a->port_start == b->port_start &&
           a->port_end == b->port_end && !memcmp(a->start, b->start, alen) &&
           !memcmp(a->end, b->end, alen);
}

bool uip_ts_intersect(const struct uip_ts *a, const struct uip_ts *b, struct uip_ts *out)
{
    size_t alen = addr_len(a->family);
    struct uip_ts r;

    if (a->family != b->family)
        return false;
    if (a->proto && b->proto && a->proto != b->proto)
        return false;
    memset(&r, 0, sizeof(r));
    r.family = a->family;
    r.proto = a->proto ? a->proto : b->proto;
    r.port_start = a->port_start > b->port_start ? a->port_start : b->port_start;
    r.port_end = a->port_end < b->port_end ? a->port_end : b->port_end;
    if (r.port_start > r.port_end)
        return false;
    memcpy(r.start, memcmp(a->start, b->start, alen) >= 0 ? a->start : b->start, alen);
    memcpy(r.end, memcmp(a->end, b->end, alen) <= 0 ? a->end : b->end, alen);
    if (memcmp(r.start, r.end, alen) > 0)
        return false;
    *out = r;
    return true;
}

int uip_ts_narrow(const struct uip_ts *want, unsigned n_want, const struct uip_ts *got,
                  unsigned n_got, struct uip_ts *out, unsigned max, unsigned *n_out,
                  unsigned *n_changed)
{
    unsigned n = 0, changed = 0;

    for (unsigned i = 0; i < n_got; i++) {
        bool whole = false, any = false;
        for (unsigned j = 0; j < n_want && !whole; j++) {
            struct uip_ts x;
            bool dup = false;
            if (!uip_ts_intersect(&got[i], &want[j], &x))
                continue;
            any = true;
            whole = ts_equal(&x, &got[i]);
            for (unsigned k = 0; k < n && !dup; k++)
                dup = ts_equal(&out[k], &x);
            if (dup)
                continue;
            if (n == max) {
                whole = false; /* no room: left out */
                break;
            }
            out[n++] = x;
        }
        if (!any || !whole)
            changed++;
    }
    *n_out = n;
    if (n_changed)
        *n_changed = changed;
    return n ? 0 : -ENOENT;
}
