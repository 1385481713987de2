/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-packets.h"

#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

uint16_t test_csum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t test_udp_packet(uint8_t *buf, int family, const char *src, const char *dst,
                       uint16_t sport, uint16_t dport, size_t payload_len, uint32_t seed)
{
    size_t hl = family == 4 ? 20 : 40;
    size_t total = hl + 8 + payload_len;
    uint8_t *udp = buf + hl;

    memset(buf, 0, hl + 8);
    if (family == 4) {
        buf[0] = 0x45;
        buf[2] = (uint8_t)(total >> 8);
        buf[3] = (uint8_t)total;
        buf[6] = 0x40; /* DF */
        buf[8] = 64;
        buf[9] = 17;
        g_assert_cmpint(inet_pton(AF_INET, src, buf + 12), ==, 1);
        g_assert_cmpint(inet_pton(AF_INET, dst, buf + 16), ==, 1);
        uint16_t c = test_csum(buf, 20, 0);
        buf[10] = (uint8_t)(c >> 8);
        buf[11] = (uint8_t)c;
    } else {
        buf[0] = 0x60;
        buf[4] = (uint8_t)((8 + payload_len) >> 8);
        buf[5] = (uint8_t)(8 + payload_len);
        buf[6] = 17;
        buf[7] = 64;
        g_assert_cmpint(inet_pton(AF_INET6, src, buf + 8), ==, 1);
        g_assert_cmpint(inet_pton(AF_INET6, dst, buf + 24), ==, 1);
    }
    udp[0] = (uint8_t)(sport >> 8);
    udp[1] = (uint8_t)sport;
    udp[2] = (uint8_t)(dport >> 8);
    udp[3] = (uint8_t)dport;
    udp[4] = (uint8_t)((8 + payload_len) >> 8);
    udp[5] = (uint8_t)(8 + payload_len);
    for (size_t i = 0; i < payload_len; i++)
        udp[8 + i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
    return total;
}
