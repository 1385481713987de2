/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-sa-body.h"

#include <stdlib.h>
#include <string.h>

#include "common/uip-be.h"

const char test_sw_default_ike[] =
    "IKE:AES_CBC_128/AES_CBC_192/AES_CBC_256/AES_CTR_128/AES_CTR_192/AES_CTR_256/"
    "CAMELLIA_CBC_128/CAMELLIA_CBC_192/CAMELLIA_CBC_256/CAMELLIA_CTR_128/CAMELLIA_CTR_192/"
    "CAMELLIA_CTR_256/3DES_CBC/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/"
    "HMAC_SHA1_96/PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/PRF_HMAC_SHA1/"
    "CURVE_25519/CURVE_448/ECP_256/ECP_384/ECP_521/ECP_256_BP/ECP_384_BP/ECP_512_BP/MODP_3072/"
    "MODP_4096/MODP_6144/MODP_8192/MODP_2048, "
    "IKE:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/AES_CCM_16_128/AES_CCM_16_192/"
    "AES_CCM_16_256/CHACHA20_POLY1305/AES_GCM_12_128/AES_GCM_12_192/AES_GCM_12_256/AES_GCM_8_128/"
    "AES_GCM_8_192/AES_GCM_8_256/AES_CCM_12_128/AES_CCM_12_192/AES_CCM_12_256/AES_CCM_8_128/"
    "AES_CCM_8_192/AES_CCM_8_256/PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/"
    "PRF_HMAC_SHA1/CURVE_25519/CURVE_448/ECP_256/ECP_384/ECP_521/ECP_256_BP/ECP_384_BP/"
    "ECP_512_BP/MODP_3072/MODP_4096/MODP_6144/MODP_8192/MODP_2048";

const char test_sw_default_esp[] =
    "ESP:AES_CBC_128/AES_CBC_192/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/"
    "HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ, "
    "ESP:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/NO_EXT_SEQ";

/* strongSwan's transform names -> IANA type, ID; the key length is the name's suffix. */
/* clang-format off */
static const struct {
    const char *name;
    uint8_t type;
    uint16_t id;
} names[] = {
    {"AES_CBC", 1, 12},       {"AES_CTR", 1, 13},        {"CAMELLIA_CBC", 1, 23},
    {"CAMELLIA_CTR", 1, 24},  {"3DES_CBC", 1, 3},        {"AES_GCM_16", 1, 20},
    {"AES_GCM_12", 1, 19},    {"AES_GCM_8", 1, 18},      {"AES_CCM_16", 1, 16},
    {"AES_CCM_12", 1, 15},    {"AES_CCM_8", 1, 14},      {"CHACHA20_POLY1305", 1, 28},
    {"PRF_HMAC_SHA2_256", 2, 5}, {"PRF_HMAC_SHA2_384", 2, 6}, {"PRF_HMAC_SHA2_512", 2, 7},
    {"PRF_HMAC_SHA1", 2, 2},  {"HMAC_SHA2_256_128", 3, 12}, {"HMAC_SHA2_384_192", 3, 13},
    {"HMAC_SHA2_512_256", 3, 14}, {"HMAC_SHA1_96", 3, 2}, {"AES_XCBC_96", 3, 5},
    {"CURVE_25519", 4, 31},   {"CURVE_448", 4, 32},      {"ECP_256", 4, 19},
    {"ECP_384", 4, 20},       {"ECP_521", 4, 21},        {"ECP_256_BP", 4, 28},
    {"ECP_384_BP", 4, 29},    {"ECP_512_BP", 4, 30},     {"MODP_2048", 4, 14},
    {"MODP_3072", 4, 15},     {"MODP_4096", 4, 16},      {"MODP_6144", 4, 17},
    {"MODP_8192", 4, 18},     {"NO_EXT_SEQ", 5, 0},      {"EXT_SEQ", 5, 1},
};
/* clang-format on */

void test_put_transform(GByteArray *a, uint8_t type, uint16_t id, uint16_t keylen, bool last)
{
    uint8_t t[12] = {last ? 0 : 3, 0, 0, keylen ? 12 : 8, type, 0};

    uip_put16(t + 6, id);
    if (keylen) {
        uip_put16(t + 8, 0x8000 | 14); /* TV Key Length */
        uip_put16(t + 10, keylen);
    }
    g_byte_array_append(a, t, keylen ? 12 : 8);
}

/* One name as strongSwan logs it ("AES_CBC_128", "MODP_2048", "AES_GCM_16_256"). */
static void name_to_transform(const char *tok, uint8_t *type, uint16_t *id, uint16_t *keylen)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        size_t n = strlen(names[i].name);
        if (strncmp(tok, names[i].name, n) != 0)
            continue;
        if (tok[n] == '\0' && names[i].type != 1) {
            *type = names[i].type, *id = names[i].id, *keylen = 0;
            return;
        }
        if (names[i].type == 1 &&
            (tok[n] == '\0' ||
             (tok[n] == '_' && g_ascii_isdigit(tok[n + 1]) && !strchr(tok + n + 1, '_')))) {
            *type = 1, *id = names[i].id;
            *keylen = tok[n] ? (uint16_t)atoi(tok + n + 1) : 0;
            return;
        }
    }
    g_error("unknown transform name %s", tok);
}

GByteArray *test_sa_body(const char *list, const uint8_t *spi, uint8_t spi_len)
{
    g_auto(GStrv) props = g_strsplit(list, ", ", -1);
    GByteArray *a = g_byte_array_new();
    guint n = g_strv_length(props);

    for (guint i = 0; i < n; i++) {
        const char *colon = strchr(props[i], ':');
        g_auto(GStrv) tr = g_strsplit(colon + 1, "/", -1);
        guint nt = g_strv_length(tr), start = a->len;
        uint8_t hdr[8] = {i + 1 < n ? 2 : 0,
                          0,
                          0,
                          0,
                          (uint8_t)(i + 1),
                          g_str_has_prefix(props[i], "IKE") ? 1 : 3,
                          spi_len,
                          (uint8_t)nt};

        g_assert_cmpuint(nt, <=, 255);
        g_byte_array_append(a, hdr, 8);
        for (uint8_t k = 0; k < spi_len; k++)
            g_byte_array_append(a, spi ? &spi[k] : (const uint8_t[]){0x11 + k}, 1);
        for (guint k = 0; k < nt; k++) {
            uint8_t type;
            uint16_t id, keylen;
            name_to_transform(tr[k], &type, &id, &keylen);
            test_put_transform(a, type, id, keylen, k + 1 == nt);
        }
        uip_put16(a->data + start + 2, (uint16_t)(a->len - start));
    }
    return a;
}
