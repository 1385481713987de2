/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What real gateways offer when they rekey, and the largest offers an IKE
 * message can carry: parsed without error and answered from what is left.
 *
 * The strongSwan lists (test-sa-body.h) are verbatim from a Debian 12
 * strongSwan 5.9.8 gateway left at 'proposals = default' and 'esp_proposals =
 * default' (its charon log, "configured proposals: ..." when it sent its own
 * IKE_SA and CHILD_SA rekeys, with the openssl plugin loaded).  Its default
 * IKE proposals have 34 and 36 transforms; before the parser skipped what it
 * does not implement, the first made it answer INVALID_SYNTAX, which ended the
 * IKE SA (issue 10).
 * Each list is turned into the SA payload the gateway sends, byte for byte
 * (test_sa_body()).
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "common/uip-be.h"
#include "ike/payload.h"
#include "ike/proposal.h"

#include "test-sa-body.h"

static struct ike_pl sa_view(GByteArray *body)
{
    return (struct ike_pl){.type = IKE_PL_SA, .body = body->data, .body_len = body->len};
}

static void props_default(uint8_t protocol, struct ike_proposal *out, unsigned *n)
{
    g_assert_cmpint(ike_proposals_default(protocol, out, IKE_MAX_PROPOSALS, n), ==, 0);
}

static void assert_choice(const struct ike_proposal *ours, unsigned n_ours,
                          const struct ike_proposal *theirs, unsigned n_theirs, const char *want)
{
    struct ike_proposal chosen;
    struct ike_selected sel;
    char buf[256];

    g_assert_cmpint(ike_proposal_choose(ours, n_ours, theirs, n_theirs, &chosen, &sel), ==, 0);
    ike_selected_to_string(&sel, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, want);
    /* the answer keeps the gateway's proposal number and SPI */
    g_assert_cmpuint(chosen.num, ==, sel.num);
    g_assert_cmpmem(chosen.spi, chosen.spi_len, theirs[sel.num - 1].spi, theirs[sel.num - 1].spi_len);
}

/* The gateway rekeys the IKE SA with its default proposals (CREATE_CHILD_SA, SPI size 8). */
static void test_strongswan_default_ike(void)
{
    g_autoptr(GByteArray) body = test_sa_body(test_sw_default_ike, NULL, 8);
    struct ike_pl pl = sa_view(body);
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], ours[IKE_MAX_PROPOSALS];
    unsigned n, n_ours;

    g_assert_cmpint(ike_sa_parse(&pl, theirs, G_N_ELEMENTS(theirs), &n), ==, 0);
    g_assert_cmpuint(n, ==, 2);
    /* 34 transforms: AES_CBC 128/256, 3 x SHA2, 3 x PRF_SHA2 and 6 groups are ours */
    g_assert_cmpuint(theirs[0].n_transforms + theirs[0].n_skipped, ==, 34);
    g_assert_cmpuint(theirs[0].n_transforms, ==, 14);
    /* 36: AES_GCM_16 128/256, ChaCha20-Poly1305, 3 PRFs, 6 groups */
    g_assert_cmpuint(theirs[1].n_transforms + theirs[1].n_skipped, ==, 36);
    g_assert_cmpuint(theirs[1].n_transforms, ==, 12);
    for (unsigned i = 0; i < 2; i++) {
        g_assert_false(theirs[i].unknown_type);
        g_assert_cmpuint(theirs[i].spi_len, ==, 8);
    }

    props_default(IKE_PROTO_IKE, ours, &n_ours);
    /* the gateway's order decides: its first proposal, first acceptable of each type */
    assert_choice(ours, n_ours, theirs, n,
                  "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519");
    /* its KE payload is of the group of the current IKE SA, ECP_256 say: that one is taken */
    ike_proposals_front_ke(theirs, n, IKE_KE_ECP256);
    assert_choice(ours, n_ours, theirs, n,
                  "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256");
    /* proposal numbers and order stay the gateway's */
    g_assert_cmpuint(theirs[0].num, ==, 1);
    g_assert_cmpuint(theirs[1].num, ==, 2);
}

/* The gateway rekeys the CHILD_SA with its default ESP proposals; with PFS, and with a
 * PFS group we do not implement. */
static void test_strongswan_default_esp(void)
{
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], ours[IKE_MAX_PROPOSALS];
    unsigned n, n_ours;

    props_default(IKE_PROTO_ESP, ours, &n_ours);
    {
        g_autoptr(GByteArray) body = test_sa_body(test_sw_default_esp, NULL, 4);
        struct ike_pl pl = sa_view(body);
        g_assert_cmpint(ike_sa_parse(&pl, theirs, G_N_ELEMENTS(theirs), &n), ==, 0);
        g_assert_cmpuint(n, ==, 2);
        assert_choice(ours, n_ours, theirs, n, "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ");
    }
    {
        /* PFS: our ESP offer has no KE, a group we implement is accepted */
        g_autoptr(GByteArray) body = test_sa_body(
            "ESP:AES_GCM_16_128/AES_GCM_16_256/CURVE_448/MODP_3072/ECP_256/NO_EXT_SEQ", NULL, 4);
        struct ike_pl pl = sa_view(body);
        g_assert_cmpint(ike_sa_parse(&pl, theirs, G_N_ELEMENTS(theirs), &n), ==, 0);
        assert_choice(ours, n_ours, theirs, n, "ESP:AES_GCM_16_128/MODP_3072/NO_EXT_SEQ");
        ike_proposals_front_ke(theirs, n, IKE_KE_ECP256);
        assert_choice(ours, n_ours, theirs, n, "ESP:AES_GCM_16_128/ECP_256/NO_EXT_SEQ");
    }
    {
        /* PFS only with groups we lack: refused, never taken for "no PFS" */
        g_autoptr(GByteArray) body =
            test_sa_body("ESP:AES_GCM_16_128/CURVE_448/ECP_521/NO_EXT_SEQ", NULL, 4);
        struct ike_pl pl = sa_view(body);
        struct ike_proposal chosen;
        struct ike_selected sel;
        g_assert_cmpint(ike_sa_parse(&pl, theirs, G_N_ELEMENTS(theirs), &n), ==, 0);
        g_assert_cmpuint(theirs[0].n_transforms, ==, 2);
        g_assert_true(theirs[0].types_present & IKE_TRANS_BIT(IKE_TRANS_KE));
        g_assert_cmpint(ike_proposal_choose(ours, n_ours, theirs, n, &chosen, &sel), ==, -ENOENT);
    }
    {
        /* integrity only with algorithms we lack: that proposal is out, the next one taken */
        g_autoptr(GByteArray) body =
            test_sa_body("ESP:AES_CBC_128/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ, "
                         "ESP:AES_GCM_16_256/NO_EXT_SEQ",
                         NULL, 4);
        struct ike_pl pl = sa_view(body);
        g_assert_cmpint(ike_sa_parse(&pl, theirs, G_N_ELEMENTS(theirs), &n), ==, 0);
        assert_choice(ours, n_ours, theirs, n, "ESP:AES_GCM_16_256/NO_EXT_SEQ");
    }
}

/* A transform type we do not know rejects its proposal (RFC 7296 3.3.6), not the message. */
static void test_unknown_type(void)
{
    g_autoptr(GByteArray) body = g_byte_array_new();
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], ours[IKE_MAX_PROPOSALS];
    unsigned n, n_ours;
    uint8_t h1[12] = {2, 0, 0, 0, 1, 3, 4, 3, 0xaa, 0xbb, 0xcc, 0x01};
    uint8_t h2[12] = {0, 0, 0, 0, 2, 3, 4, 2, 0xaa, 0xbb, 0xcc, 0x02};

    g_byte_array_append(body, h1, 12);
    test_put_transform(body, IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128, false);
    test_put_transform(body, 9, 1, 0, false); /* type 9: not one of RFC 7296's */
    test_put_transform(body, IKE_TRANS_ESN, IKE_ESN_NO, 0, true);
    uip_put16(body->data + 2, (uint16_t)body->len);
    guint start = body->len;
    g_byte_array_append(body, h2, 12);
    test_put_transform(body, IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256, false);
    test_put_transform(body, IKE_TRANS_ESN, IKE_ESN_NO, 0, true);
    uip_put16(body->data + start + 2, (uint16_t)(body->len - start));

    struct ike_pl pl = sa_view(body);
    g_assert_cmpint(ike_sa_parse(&pl, theirs, G_N_ELEMENTS(theirs), &n), ==, 0);
    g_assert_cmpuint(n, ==, 2);
    g_assert_true(theirs[0].unknown_type);
    g_assert_false(theirs[1].unknown_type);
    props_default(IKE_PROTO_ESP, ours, &n_ours);
    assert_choice(ours, n_ours, theirs, n, "ESP:AES_GCM_16_256/NO_EXT_SEQ");
}

/*
 * The largest offers: one proposal of 255 transforms (the count is one
 * octet), ours last; and an SA payload that fills an IKE message to its
 * 65535-octet limit with 255 proposals, of which we look at the first
 * IKE_MAX_PROPOSALS.  Both go through ike_msg_parse() as whole messages.
 */
static void test_largest(void)
{
    struct ike_proposal theirs[IKE_MAX_PROPOSALS], ours[IKE_MAX_PROPOSALS];
    unsigned n, n_ours;
    props_default(IKE_PROTO_IKE, ours, &n_ours);

    for (int variant = 0; variant < 2; variant++) {
        g_autoptr(GByteArray) body = g_byte_array_new();
        /* 1 x (16 + 252 x 12 + 28) octets; 255 x (16 + 26 x 8 + 28): 64292 with the headers */
        unsigned n_props = variant == 0 ? 1 : 255;
        unsigned n_tr = variant == 0 ? 255 : 29;
        uint16_t unknown_keylen = variant == 0 ? 128 : 0;

        for (unsigned p = 0; p < n_props; p++) {
            guint start = body->len;
            uint8_t h[16] = {p + 1 < n_props ? 2 : 0, 0, 0, 0, (uint8_t)(p + 1), 1, 8, (uint8_t)n_tr,
                             1, 2, 3, 4, 5, 6, 7, (uint8_t)p};
            g_byte_array_append(body, h, 16);
            /* unknown ciphers with key lengths, then one proposal we accept */
            for (unsigned k = 0; k + 3 < n_tr; k++)
                test_put_transform(body, IKE_TRANS_ENCR, (uint16_t)(1024 + k), unknown_keylen, false);
            test_put_transform(body, IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256, false);
            test_put_transform(body, IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_384, 0, false);
            test_put_transform(body, IKE_TRANS_KE, IKE_KE_CURVE25519, 0, true);
            uip_put16(body->data + start + 2, (uint16_t)(body->len - start));
        }
        /* the whole message: IKE header, then one SA payload */
        g_autoptr(GByteArray) msg = g_byte_array_new();
        uint8_t hdr[28] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                           IKE_PL_SA, 0x20, IKE_CREATE_CHILD_SA, IKE_FLAG_RESPONSE, 0, 0, 0, 7};
        uint8_t gen[4] = {0, 0};
        g_byte_array_append(msg, hdr, 28);
        uip_put16(gen + 2, (uint16_t)(4 + body->len));
        g_byte_array_append(msg, gen, 4);
        g_byte_array_append(msg, body->data, body->len);
        g_assert_cmpuint(msg->len, <=, IKE_MAX_MSG_LEN);
        if (variant == 1)
            g_assert_cmpuint(msg->len, >, 64000);
        uip_put32(msg->data + 24, msg->len);

        struct ike_msg m;
        g_assert_cmpint(ike_msg_parse(msg->data, msg->len, &m), ==, 0);
        g_assert_cmpint(ike_sa_parse(&m.pl[0], theirs, G_N_ELEMENTS(theirs), &n), ==, 0);
        g_assert_cmpuint(n, ==, MIN(n_props, IKE_MAX_PROPOSALS));
        g_assert_cmpuint(theirs[0].n_transforms, ==, 3);
        g_assert_cmpuint(theirs[0].n_skipped, ==, n_tr - 3);
        assert_choice(ours, n_ours, theirs, n, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519");
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/gateway-proposals/strongswan-default-ike", test_strongswan_default_ike);
    g_test_add_func("/gateway-proposals/strongswan-default-esp", test_strongswan_default_esp);
    g_test_add_func("/gateway-proposals/unknown-type", test_unknown_type);
    g_test_add_func("/gateway-proposals/largest", test_largest);
    return g_test_run();
}
