/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Traffic selectors (RFC 7296 3.13.1): an address range, an IP protocol and a
 * port range.  Shared by the IKE code (which negotiates them) and the ESP
 * engine (which matches packets against them).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct uip_ts {
    uint8_t family;      /* AF_INET or AF_INET6 */
    uint8_t proto;       /* 0 = any */
    uint16_t port_start; /* host byte order; 0..65535 = any */
    uint16_t port_end;
    uint8_t start[16]; /* network byte order; IPv4 uses the first 4 bytes */
    uint8_t end[16];
};

/* Fill @ts with "any address, any protocol, any port" of @family. */
void uip_ts_any(struct uip_ts *ts, int family);

/*
 * Parse "ADDR/PREFIX", "ADDR" (a host) or "ADDR-ADDR" (a range) of either
 * family.  Returns 0, or -EINVAL (and leaves @ts untouched) if @s is not one
 * of those forms.
 */
int uip_ts_parse(const char *s, struct uip_ts *ts);

/* Format @ts as "ADDR/PREFIX" when it is a prefix, else "ADDR-ADDR", into @buf. */
const char *uip_ts_to_string(const struct uip_ts *ts, char *buf, size_t len);

/* True when @ts is exactly a CIDR prefix; its length goes to @prefix_len. */
bool uip_ts_is_prefix(const struct uip_ts *ts, unsigned *prefix_len);

/* True when @addr (4 or 16 bytes, network order, per @ts->family) lies in @ts's range. */
bool uip_ts_contains_addr(const struct uip_ts *ts, const uint8_t *addr);

/*
 * True when one of @ts[0..@n) of @family, other than the whole family (a /0),
 * contains @addr: the host is reached through a narrower selector (host-to-host).
 */
bool uip_ts_list_narrowly_contains(const struct uip_ts *ts, unsigned n, int family,
                                   const uint8_t *addr);

/*
 * True when a packet of @family from @src to @dst with @proto and
 * destination/source @port (host order, 0 when the protocol has none) matches
 * @ts on its address, protocol and port.
 */
bool uip_ts_match(const struct uip_ts *ts, int family, const uint8_t *addr, uint8_t proto,
                  uint16_t port);

/* The selector both @a and @b allow (addresses, protocol, ports) into @out; false when there is
 * none (then @out is untouched). */
bool uip_ts_intersect(const struct uip_ts *a, const struct uip_ts *b, struct uip_ts *out);

/*
 * RFC 7296 2.9 from the initiator's side: narrow the selectors @got (what the peer answered) to
 * what we asked for, @want: each of @got intersected with each of @want, duplicates once, at most
 * @max into @out.  *@n_changed (may be NULL): how many of @got were not taken whole (narrowed,
 * dropped, or left out for want of room).  0, or -ENOENT when nothing is left (*@n_out is 0).
 */
int uip_ts_narrow(const struct uip_ts *want, unsigned n_want, const struct uip_ts *got,
                  unsigned n_got, struct uip_ts *out, unsigned max, unsigned *n_out,
                  unsigned *n_changed);
