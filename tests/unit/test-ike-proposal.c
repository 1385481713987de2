/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE/ESP proposals: table-driven parsing of good strings (exact transforms
 * in wire order) and bad strings (error code and detail), the defaults, the
 * initiator's check of the responder's choice (accept/reject table), the
 * INVALID_KE_PAYLOAD reorder, key sizes, ESP engine parameters and the log
 * format.
 */
#include "ike/proposal.h"
#include "ike/ike-types.h"

#include <errno.h>
#include <string.h>
#include <glib.h>

/*
 * Wire-order dump of a proposal list, independent of the log formatter:
 * "1 IKE/0: ENCR=AES_GCM_16_256 PRF=PRF_HMAC_SHA2_384 KE=CURVE_25519 | 2 ..."
 */
static char *dump(const struct ike_proposal *p, unsigned n)
{
    static const char *const type_names[] = {"?", "ENCR", "PRF", "INTEG", "KE", "ESN"};
    GString *s = g_string_new(NULL);

    for (unsigned i = 0; i < n; i++) {
        if (i)
            g_string_append(s, " | ");
        g_string_append_printf(s, "%u %s/%u:", p[i].num,
                               p[i].protocol == IKE_PROTO_IKE   ? "IKE"
                               : p[i].protocol == IKE_PROTO_ESP ? "ESP"
                                                                : "?",
                               p[i].spi_len);
        for (unsigned j = 0; j < p[i].n_transforms; j++) {
            const struct ike_transform *t = &p[i].transforms[j];
            const char *name = ike_transform_name(t->type, t->id);

            g_string_append_printf(s, " %s=", t->type <= 5 ? type_names[t->type] : "?");
            if (name)
                g_string_append(s, name);
            else
                g_string_append_printf(s, "%u", t->id);
            if (t->keylen)
                g_string_append_printf(s, "_%u", t->keylen);
        }
    }
    return g_string_free(s, FALSE);
}

/* ---- good strings ------------------------------------------------------------ */

struct good_case {
    const char *s;
    uint8_t protocol;
    const char *expect;
};

#define P256  "PRF=PRF_HMAC_SHA2_256"
#define P384  "PRF=PRF_HMAC_SHA2_384"
#define P512  "PRF=PRF_HMAC_SHA2_512"
#define I256  "INTEG=HMAC_SHA2_256_128"
#define I384  "INTEG=HMAC_SHA2_384_192"
#define I512  "INTEG=HMAC_SHA2_512_256"
#define YESNO "ESN=EXT_SEQ ESN=NO_EXT_SEQ"

static const struct good_case good[] = {
    /* IKE */
    {"aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_GCM_16_256 " P384 " KE=CURVE_25519"},
    {"aes128-sha256-modp2048", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_CBC_128 " P256 " " I256 " KE=MODP_2048"},
    {"aes256-aes128-sha384-sha256-ecp384-ecp256", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_CBC_256 ENCR=AES_CBC_128 " P384 " " P256 " " I384 " " I256
     " KE=ECP_384 KE=ECP_256"},
    {"chacha20poly1305-prfsha256-curve25519", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=CHACHA20_POLY1305 " P256 " KE=CURVE_25519"},
    /* the order of kinds does not matter, the order within a kind does */
    {"x25519-prfsha384-aes256gcm16-ecp256-aes128gcm16", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_GCM_16_256 ENCR=AES_GCM_16_128 " P384 " KE=CURVE_25519 KE=ECP_256"},
    /* explicit PRF: nothing derived */
    {"aes128-sha256-prfsha512-modp3072", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_CBC_128 " P512 " " I256 " KE=MODP_3072"},
    /* strongSwan: PRF derived from INTEG also for AEAD, then INTEG dropped */
    {"aes256gcm16-sha384-ecp384", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_GCM_16_256 " P384 " KE=ECP_384"},
    {"aes128gcm16-sha256-prfsha512-ecp256", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_GCM_16_128 " P512 " KE=ECP_256"},
    /* aliases */
    {"aes-sha2_256-modp4096", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_CBC_128 " P256 " " I256 " KE=MODP_4096"},
    {"aes128gcm128-aes256gcm-prfsha256-x25519", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_GCM_16_128 ENCR=AES_GCM_16_256 " P256 " KE=CURVE_25519"},
    {"aes256gcm128-aes128gcm-sha2_512-sha2_384-x25519", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_GCM_16_256 ENCR=AES_GCM_16_128 " P512 " " P384 " KE=CURVE_25519"},
    /* blanks and case, several proposals */
    {" AES256GCM16 - PRFSHA384 - X25519 ,\taes128-sha256-modp2048 ", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_GCM_16_256 " P384 " KE=CURVE_25519 | "
     "2 IKE/0: ENCR=AES_CBC_128 " P256 " " I256 " KE=MODP_2048"},
    {"aes128-sha256-modp2048,aes256-sha512-ecp384,aes256gcm16-prfsha512-x25519", IKE_PROTO_IKE,
     "1 IKE/0: ENCR=AES_CBC_128 " P256 " " I256 " KE=MODP_2048 | "
     "2 IKE/0: ENCR=AES_CBC_256 " P512 " " I512 " KE=ECP_384 | "
     "3 IKE/0: ENCR=AES_GCM_16_256 " P512 " KE=CURVE_25519"},

    /* ESP */
    {"aes128gcm16", IKE_PROTO_ESP, "1 ESP/4: ENCR=AES_GCM_16_128 " YESNO},
    {"aes256gcm16-x25519", IKE_PROTO_ESP, "1 ESP/4: ENCR=AES_GCM_16_256 KE=CURVE_25519 " YESNO},
    {"aes128-sha256-esn", IKE_PROTO_ESP, "1 ESP/4: ENCR=AES_CBC_128 " I256 " ESN=EXT_SEQ"},
    {"aes256-sha512-noesn", IKE_PROTO_ESP, "1 ESP/4: ENCR=AES_CBC_256 " I512 " ESN=NO_EXT_SEQ"},
    {"noesn-aes256-esn-sha512", IKE_PROTO_ESP,
     "1 ESP/4: ENCR=AES_CBC_256 " I512 " ESN=NO_EXT_SEQ ESN=EXT_SEQ"},
    {"chacha20poly1305-sha256", IKE_PROTO_ESP, "1 ESP/4: ENCR=CHACHA20_POLY1305 " YESNO},
    {"aes128gcm16-ecp256-modp2048-esn", IKE_PROTO_ESP,
     "1 ESP/4: ENCR=AES_GCM_16_128 KE=ECP_256 KE=MODP_2048 ESN=EXT_SEQ"},
    {"aes256gcm16-aes128gcm16, chacha20poly1305, aes256-aes128-sha384-sha256", IKE_PROTO_ESP,
     "1 ESP/4: ENCR=AES_GCM_16_256 ENCR=AES_GCM_16_128 " YESNO " | "
     "2 ESP/4: ENCR=CHACHA20_POLY1305 " YESNO " | "
     "3 ESP/4: ENCR=AES_CBC_256 ENCR=AES_CBC_128 " I384 " " I256 " " YESNO},
};

static void test_parse_good(const void *data)
{
    const struct good_case *c = data;
    struct ike_proposal out[IKE_MAX_PROPOSALS];
    char detail[64] = "untouched";
    unsigned n = 12345;
    g_autofree char *got = NULL;

    g_assert_cmpint(
        ike_proposals_parse(c->s, c->protocol, out, G_N_ELEMENTS(out), &n, detail, sizeof(detail)),
        ==, 0);
    g_assert_cmpstr(detail, ==, "untouched");
    got = dump(out, n);
    g_assert_cmpstr(got, ==, c->expect);
    for (unsigned i = 0; i < n; i++) {
        static const uint8_t zero[8];

        g_assert_cmpmem(out[i].spi, 8, zero, 8);
    }
}

/* ---- bad strings ---------------------------------------------------------------- */

struct bad_case {
    const char *s;
    uint8_t protocol;
    unsigned max; /* 0: IKE_MAX_PROPOSALS */
    int ret;
    const char *detail;
};

#define IKE IKE_PROTO_IKE
#define ESP IKE_PROTO_ESP

static const struct bad_case bad[] = {
    /* empty */
    {"", IKE, 0, IKE_PROPOSAL_E_EMPTY, ""},
    {"  \t ", ESP, 0, IKE_PROPOSAL_E_EMPTY, ""},
    {"aes128-sha256-modp2048,", IKE, 0, IKE_PROPOSAL_E_EMPTY, ""},
    {",aes128-sha256-modp2048", IKE, 0, IKE_PROPOSAL_E_EMPTY, ""},
    {"aes128-sha256-modp2048, ,aes256-sha256-modp2048", IKE, 0, IKE_PROPOSAL_E_EMPTY, ""},
    {"aes128--sha256-modp2048", IKE, 0, IKE_PROPOSAL_E_EMPTY, "aes128--sha256-modp2048"},
    {" aes128-sha256-modp2048- ", IKE, 0, IKE_PROPOSAL_E_EMPTY, "aes128-sha256-modp2048-"},
    {"-aes128gcm16", ESP, 0, IKE_PROPOSAL_E_EMPTY, "-aes128gcm16"},
    /* unknown or not implemented */
    {"aes192-sha256-modp2048", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "aes192"},
    {"aes128-sha1-modp2048", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "sha1"},
    {"aes128-sha256-modp1024", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "modp1024"},
    {"aes128cbc-sha256-modp2048", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "aes128cbc"},
    {"3des-md5-modp1024", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "3des"},
    {"aes128gcm8", ESP, 0, IKE_PROPOSAL_E_UNKNOWN, "aes128gcm8"},
    {"aes128-sha256-modp2048!", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "modp2048!"},
    {"default", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "default"},
    {"aes128gcm16-none", ESP, 0, IKE_PROPOSAL_E_UNKNOWN, "none"},
    {"aes128 - foo bar - x25519", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "foo bar"},
    {"aes128gcm16, aes256gcm16-ecp521", ESP, 0, IKE_PROPOSAL_E_UNKNOWN, "ecp521"},
    {"aes128gcm16aes128gcm16aes128gcm16aes128gcm16", ESP, 0, IKE_PROPOSAL_E_UNKNOWN,
     "aes128gcm16aes128gcm16aes128gcm16aes128gcm16"},
    /* duplicates */
    {"aes128-sha256-x25519-x25519", IKE, 0, IKE_PROPOSAL_E_DUPLICATE, "x25519"},
    {"aes128-aes-sha256-x25519", IKE, 0, IKE_PROPOSAL_E_DUPLICATE, "aes"},
    {"aes128-sha256-x25519-curve25519", IKE, 0, IKE_PROPOSAL_E_DUPLICATE, "curve25519"},
    {"aes256gcm16-prfsha384-prfsha384-x25519", IKE, 0, IKE_PROPOSAL_E_DUPLICATE, "prfsha384"},
    {"aes128gcm16-esn-esn", ESP, 0, IKE_PROPOSAL_E_DUPLICATE, "esn"},
    {"aes128-sha256-SHA2_256", ESP, 0, IKE_PROPOSAL_E_DUPLICATE, "SHA2_256"},
    {"aes128-sha256-x25519,aes128-sha256-x25519", IKE, 0, IKE_PROPOSAL_E_DUPLICATE,
     "aes128-sha256-x25519"},
    {"aes128-sha256-x25519, x25519-sha256-aes", IKE, 0, IKE_PROPOSAL_E_DUPLICATE,
     "x25519-sha256-aes"},
    /* the same after completion: ESN YES, NO is the ESP default */
    {"aes128gcm16, aes128gcm16-esn-noesn", ESP, 0, IKE_PROPOSAL_E_DUPLICATE,
     "aes128gcm16-esn-noesn"},
    /* too many */
    {"aes128gcm16,aes256gcm16,chacha20poly1305", ESP, 2, IKE_PROPOSAL_E_TOO_MANY,
     "chacha20poly1305"},
    {"(generated)", ESP, 0, IKE_PROPOSAL_E_TOO_MANY, NULL}, /* see test_parse_bad() */
    /* keyword of the other protocol */
    {"aes128-sha256-x25519-esn", IKE, 0, IKE_PROPOSAL_E_WRONG_PROTOCOL, "esn"},
    {"aes128-sha256-x25519-noesn", IKE, 0, IKE_PROPOSAL_E_WRONG_PROTOCOL, "noesn"},
    {"aes128gcm16-prfsha256", ESP, 0, IKE_PROPOSAL_E_WRONG_PROTOCOL, "prfsha256"},
    /* AEAD and classic ciphers mixed */
    {"aes128gcm16-aes128-prfsha256-x25519", IKE, 0, IKE_PROPOSAL_E_MIXED, "aes128"},
    {"aes128-sha256-chacha20poly1305-x25519", IKE, 0, IKE_PROPOSAL_E_MIXED, "chacha20poly1305"},
    {"aes128-aes256gcm16-sha256", ESP, 0, IKE_PROPOSAL_E_MIXED, "aes256gcm16"},
    /* incomplete */
    {"sha256-prfsha256-x25519", IKE, 0, IKE_PROPOSAL_E_NO_ENCR, "sha256-prfsha256-x25519"},
    {"sha256", ESP, 0, IKE_PROPOSAL_E_NO_ENCR, "sha256"},
    {"aes128gcm16,esn", ESP, 0, IKE_PROPOSAL_E_NO_ENCR, "esn"},
    {"aes128-prfsha256-x25519", IKE, 0, IKE_PROPOSAL_E_NO_INTEG, "aes128-prfsha256-x25519"},
    {"aes128-x25519", IKE, 0, IKE_PROPOSAL_E_NO_INTEG, "aes128-x25519"},
    {"aes128", ESP, 0, IKE_PROPOSAL_E_NO_INTEG, "aes128"},
    {"aes256-esn-x25519", ESP, 0, IKE_PROPOSAL_E_NO_INTEG, "aes256-esn-x25519"},
    {"aes256gcm16-x25519", IKE, 0, IKE_PROPOSAL_E_NO_PRF, "aes256gcm16-x25519"},
    {"chacha20poly1305-ecp256", IKE, 0, IKE_PROPOSAL_E_NO_PRF, "chacha20poly1305-ecp256"},
    {"aes128-sha256", IKE, 0, IKE_PROPOSAL_E_NO_KE, "aes128-sha256"},
    {"aes256gcm16-prfsha384, aes256gcm16-prfsha384-x25519", IKE, 0, IKE_PROPOSAL_E_NO_KE,
     "aes256gcm16-prfsha384"},
    /* the first error wins */
    {"aes128-sha256-x25519, bogus, aes128", IKE, 0, IKE_PROPOSAL_E_UNKNOWN, "bogus"},
};

static void check_bad(const char *s, uint8_t protocol, unsigned max, int ret, const char *detail)
{
    struct ike_proposal out[IKE_MAX_PROPOSALS + 1];
    struct ike_proposal before[IKE_MAX_PROPOSALS + 1];
    char err[128];
    unsigned n = 12345;

    memset(out, 0xa5, sizeof(out));
    memcpy(before, out, sizeof(out));
    memset(err, 'x', sizeof(err));
    g_assert_cmpint(
        ike_proposals_parse(s, protocol, out, max ? max : G_N_ELEMENTS(out), &n, err, sizeof(err)),
        ==, ret);
    g_assert_cmpstr(err, ==, detail);
    g_assert_cmpuint(n, ==, 12345);
    g_assert_cmpmem(out, sizeof(out), before, sizeof(before));
}

static void test_parse_bad(const void *data)
{
    const struct bad_case *c = data;

    if (!c->detail) {
        g_autoptr(GString) s = g_string_new(NULL);
        static const char *const encr[] = {"aes128gcm16", "aes256gcm16", "chacha20poly1305",
                                           "aes128gcm16-aes256gcm16"};
        static const char *const ke[] = {"", "-x25519", "-ecp256", "-ecp384", "-modp2048"};

        /* 20 distinct proposals; the 17th (encr[3] with ke[1]) is one too many */
        for (unsigned e = 0; e < G_N_ELEMENTS(encr); e++) {
            for (unsigned g = 0; g < G_N_ELEMENTS(ke); g++)
                g_string_append_printf(s, "%s%s%s", s->len ? ", " : "", encr[e], ke[g]);
        }
        check_bad(s->str, ESP, 0, IKE_PROPOSAL_E_TOO_MANY, "aes128gcm16-aes256gcm16-x25519");
        return;
    }
    check_bad(c->s, c->protocol, c->max, c->ret, c->detail);
}

static void test_parse_args(void)
{
    struct ike_proposal out[2];
    char err[16] = "x";
    unsigned n = 7;

    g_assert_cmpint(ike_proposals_parse(NULL, IKE, out, 2, &n, err, sizeof(err)), ==,
                    IKE_PROPOSAL_E_INVAL);
    g_assert_cmpstr(err, ==, "");
    g_assert_cmpint(ike_proposals_parse("aes128gcm16", IKE_PROTO_AH, out, 2, &n, NULL, 0), ==,
                    -EINVAL);
    g_assert_cmpint(ike_proposals_parse("aes128gcm16", ESP, NULL, 2, &n, NULL, 0), ==, -EINVAL);
    g_assert_cmpint(ike_proposals_parse("aes128gcm16", ESP, out, 0, &n, NULL, 0), ==, -EINVAL);
    g_assert_cmpint(ike_proposals_parse("aes128gcm16", ESP, out, 2, NULL, NULL, 0), ==, -EINVAL);
    g_assert_cmpuint(n, ==, 7);

    /* a short detail buffer gets a truncated, terminated detail; NULL is fine */
    g_assert_cmpint(ike_proposals_parse("aes128-sha256-chacha20poly1305", ESP, out, 2, &n, err, 5),
                    ==, IKE_PROPOSAL_E_MIXED);
    g_assert_cmpstr(err, ==, "chac");
    g_assert_cmpint(ike_proposals_parse("bogus", ESP, out, 2, &n, NULL, 0), ==,
                    IKE_PROPOSAL_E_UNKNOWN);
    g_assert_cmpuint(n, ==, 7);

    /* max below IKE_MAX_PROPOSALS is honoured exactly */
    g_assert_cmpint(ike_proposals_parse("aes128gcm16,aes256gcm16", ESP, out, 2, &n, NULL, 0), ==,
                    0);
    g_assert_cmpuint(n, ==, 2);
}

/* ---- defaults ------------------------------------------------------------------- */

static void test_defaults(void)
{
    struct ike_proposal out[IKE_MAX_PROPOSALS];
    unsigned n = 0;
    g_autofree char *ike = NULL;
    g_autofree char *esp = NULL;
    uint16_t group = 0;

    g_assert_cmpint(ike_proposals_default(IKE_PROTO_IKE, out, G_N_ELEMENTS(out), &n), ==, 0);
    ike = dump(out, n);
    g_assert_cmpstr(ike, ==,
                    "1 IKE/0: ENCR=AES_GCM_16_256 ENCR=AES_GCM_16_128 ENCR=CHACHA20_POLY1305 " P384
                    " " P256 " " P512 " KE=CURVE_25519 KE=ECP_384 KE=ECP_256 KE=MODP_3072 "
                    "KE=MODP_4096 KE=MODP_2048 | "
                    "2 IKE/0: ENCR=AES_CBC_256 ENCR=AES_CBC_128 " P384 " " P256 " " P512 " " I384
                    " " I256 " " I512 " KE=CURVE_25519 KE=ECP_384 KE=ECP_256 KE=MODP_3072 "
                    "KE=MODP_4096 KE=MODP_2048");
    g_assert_cmpint(ike_proposals_first_ke(out, n, &group), ==, 0);
    g_assert_cmpuint(group, ==, IKE_KE_CURVE25519);

    g_assert_cmpint(ike_proposals_default(IKE_PROTO_ESP, out, G_N_ELEMENTS(out), &n), ==, 0);
    esp = dump(out, n);
    g_assert_cmpstr(esp, ==,
                    "1 ESP/4: ENCR=AES_GCM_16_256 ENCR=AES_GCM_16_128 ENCR=CHACHA20_POLY1305 " YESNO
                    " | 2 ESP/4: ENCR=AES_CBC_256 ENCR=AES_CBC_128 " I384 " " I256 " " I512
                    " " YESNO);

    g_assert_cmpint(ike_proposals_default(IKE_PROTO_AH, out, G_N_ELEMENTS(out), &n), ==, -EINVAL);
    g_assert_cmpint(ike_proposals_default(IKE_PROTO_ESP, out, 1, &n), ==, IKE_PROPOSAL_E_TOO_MANY);
}

/* ---- selection ------------------------------------------------------------------ */

/* clang-format off */
#define T(ty, i, k) {.type = IKE_TRANS_##ty, .id = (i), .keylen = (k)}
#define TX(ty, i)   {.type = IKE_TRANS_##ty, .id = (i), .unknown_attr = true}
#define GCM         IKE_ENCR_AES_GCM_16
#define CBC         IKE_ENCR_AES_CBC
/* clang-format on */

struct reply_def {
    uint8_t num;
    uint8_t protocol;
    uint8_t spi_len;
    uint8_t spi[8];
    unsigned n;
    struct ike_transform t[8];
};

struct sel_case {
    const char *name;
    uint8_t protocol;
    const char *offer;
    uint8_t offer_spi_len; /* IKE: 8 = rekey offer */
    bool strip_ke;         /* IKE_AUTH offer */
    struct reply_def reply;
    int ret;
    struct ike_selected expect; /* spi bytes are taken from the reply */
};

static const char offer_ike[] =
    "aes256gcm16-aes128gcm16-prfsha384-prfsha256-x25519-ecp256, aes256-sha256-modp2048";
static const char offer_esp[] = "aes256gcm16-aes128gcm16, aes128-sha256-x25519-esn, "
                                "aes256-sha512-noesn";

/* clang-format off */
#define SPI4 {0xc0, 0xff, 0xee, 0x01}
#define SPI8 {1, 2, 3, 4, 5, 6, 7, 8}

static const struct sel_case sel_cases[] = {
    /* IKE_SA_INIT */
    {"ike-aead", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}},
     0, {1, IKE, GCM, 256, 6, 0, 31, false, 0, {0}}},
    {"ike-aead-second-choices", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(KE, 19, 0), T(ENCR, GCM, 128), T(PRF, 5, 0)}},
     0, {1, IKE, GCM, 128, 5, 0, 19, false, 0, {0}}},
    {"ike-aead-integ-none", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 4, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(INTEG, 0, 0), T(KE, 31, 0)}},
     0, {1, IKE, GCM, 256, 6, 0, 31, false, 0, {0}}},
    {"ike-cbc", IKE, offer_ike, 0, false,
     {2, IKE, 0, {0}, 4, {T(ENCR, CBC, 256), T(PRF, 5, 0), T(INTEG, 12, 0), T(KE, 14, 0)}},
     0, {2, IKE, CBC, 256, 5, 12, 14, false, 0, {0}}},
    {"ike-wrong-number", IKE, offer_ike, 0, false,
     {3, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-number-0", IKE, offer_ike, 0, false,
     {0, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-wrong-protocol", IKE, offer_ike, 0, false,
     {1, ESP, 4, SPI4, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-extra-integ", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 4, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(INTEG, 12, 0), T(KE, 31, 0)}},
     -ENOENT, {0}},
    {"ike-extra-esn", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 4, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0), T(ESN, 0, 0)}},
     -ENOENT, {0}},
    {"ike-unknown-type", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 4, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0), {.type = 6, .id = 36}}},
     -ENOENT, {0}},
    {"ike-two-encr", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 4, {T(ENCR, GCM, 256), T(ENCR, GCM, 128), T(PRF, 6, 0), T(KE, 31, 0)}},
     -EBADMSG, {0}},
    {"ike-two-ke", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 4, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0), T(KE, 19, 0)}},
     -EBADMSG, {0}},
    {"ike-two-integ-none", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 5, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(INTEG, 0, 0), T(INTEG, 0, 0),
                         T(KE, 31, 0)}},
     -EBADMSG, {0}},
    {"ike-unknown-attribute", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), TX(PRF, 6), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-integ-none-unknown-attribute", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 4, {T(ENCR, GCM, 256), T(PRF, 6, 0), TX(INTEG, 0), T(KE, 31, 0)}},
     -ENOENT, {0}},
    {"ike-unoffered-keylen", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 192), T(PRF, 6, 0), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-no-keylen", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 0), T(PRF, 6, 0), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-keylen-of-other-proposal", IKE, offer_ike, 0, false,
     {2, IKE, 0, {0}, 4, {T(ENCR, CBC, 128), T(PRF, 5, 0), T(INTEG, 12, 0), T(KE, 14, 0)}},
     -ENOENT, {0}},
    {"ike-unoffered-prf", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 7, 0), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-ke-of-other-proposal", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 14, 0)}}, -ENOENT, {0}},
    {"ike-missing-ke", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 2, {T(ENCR, GCM, 256), T(PRF, 6, 0)}}, -ENOENT, {0}},
    {"ike-ke-none", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 0, 0)}}, -ENOENT, {0}},
    {"ike-missing-prf", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, 2, {T(ENCR, GCM, 256), T(KE, 31, 0)}}, -ENOENT, {0}},
    {"ike-missing-integ", IKE, offer_ike, 0, false,
     {2, IKE, 0, {0}, 3, {T(ENCR, CBC, 256), T(PRF, 5, 0), T(KE, 14, 0)}}, -ENOENT, {0}},
    {"ike-integ-none-with-cbc", IKE, offer_ike, 0, false,
     {2, IKE, 0, {0}, 4, {T(ENCR, CBC, 256), T(PRF, 5, 0), T(INTEG, 0, 0), T(KE, 14, 0)}},
     -ENOENT, {0}},
    {"ike-empty", IKE, offer_ike, 0, false, {1, IKE, 0, {0}, 0, {{0}}}, -ENOENT, {0}},
    {"ike-init-spi-8", IKE, offer_ike, 0, false,
     {1, IKE, 8, SPI8, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}}, -EBADMSG, {0}},
    {"ike-init-spi-4", IKE, offer_ike, 0, false,
     {1, IKE, 4, SPI4, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}}, -EBADMSG, {0}},
    {"ike-too-many-transforms", IKE, offer_ike, 0, false,
     {1, IKE, 0, {0}, IKE_MAX_TRANSFORMS + 1, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}},
     -EBADMSG, {0}},
    /* IKE rekey (CREATE_CHILD_SA): 8-byte SPIs */
    {"ike-rekey", IKE, offer_ike, 8, false,
     {1, IKE, 8, SPI8, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}},
     0, {1, IKE, GCM, 256, 6, 0, 31, false, 8, SPI8}},
    {"ike-rekey-spi-0-len", IKE, offer_ike, 8, false,
     {1, IKE, 0, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}}, -EBADMSG, {0}},
    {"ike-rekey-zero-spi", IKE, offer_ike, 8, false,
     {1, IKE, 8, {0}, 3, {T(ENCR, GCM, 256), T(PRF, 6, 0), T(KE, 31, 0)}}, -EBADMSG, {0}},

    /* ESP */
    {"esp-gcm-esn", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 2, {T(ENCR, GCM, 256), T(ESN, 1, 0)}},
     0, {1, ESP, GCM, 256, 0, 0, 0, true, 4, SPI4}},
    {"esp-gcm-noesn", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 2, {T(ESN, 0, 0), T(ENCR, GCM, 128)}},
     0, {1, ESP, GCM, 128, 0, 0, 0, false, 4, SPI4}},
    {"esp-gcm-integ-none-ke-none", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 4, {T(ENCR, GCM, 256), T(INTEG, 0, 0), T(KE, 0, 0), T(ESN, 0, 0)}},
     0, {1, ESP, GCM, 256, 0, 0, 0, false, 4, SPI4}},
    {"esp-missing-esn", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 1, {T(ENCR, GCM, 256)}}, -ENOENT, {0}},
    {"esp-two-esn", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 3, {T(ENCR, GCM, 256), T(ESN, 1, 0), T(ESN, 0, 0)}}, -EBADMSG, {0}},
    {"esp-esn-value-2", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 2, {T(ENCR, GCM, 256), T(ESN, 2, 0)}}, -ENOENT, {0}},
    {"esp-cbc-pfs-esn", ESP, offer_esp, 0, false,
     {2, ESP, 4, SPI4, 4, {T(ENCR, CBC, 128), T(INTEG, 12, 0), T(KE, 31, 0), T(ESN, 1, 0)}},
     0, {2, ESP, CBC, 128, 0, 12, 31, true, 4, SPI4}},
    {"esp-only-esn-offered", ESP, offer_esp, 0, false,
     {2, ESP, 4, SPI4, 4, {T(ENCR, CBC, 128), T(INTEG, 12, 0), T(KE, 31, 0), T(ESN, 0, 0)}},
     -ENOENT, {0}},
    {"esp-missing-pfs-ke", ESP, offer_esp, 0, false,
     {2, ESP, 4, SPI4, 3, {T(ENCR, CBC, 128), T(INTEG, 12, 0), T(ESN, 1, 0)}}, -ENOENT, {0}},
    {"esp-noesn-offered", ESP, offer_esp, 0, false,
     {3, ESP, 4, SPI4, 3, {T(ENCR, CBC, 256), T(INTEG, 14, 0), T(ESN, 0, 0)}},
     0, {3, ESP, CBC, 256, 0, 14, 0, false, 4, SPI4}},
    {"esp-only-noesn-offered", ESP, offer_esp, 0, false,
     {3, ESP, 4, SPI4, 3, {T(ENCR, CBC, 256), T(INTEG, 14, 0), T(ESN, 1, 0)}}, -ENOENT, {0}},
    {"esp-unoffered-ke", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 3, {T(ENCR, GCM, 256), T(KE, 31, 0), T(ESN, 1, 0)}}, -ENOENT, {0}},
    {"esp-extra-prf", ESP, offer_esp, 0, false,
     {1, ESP, 4, SPI4, 3, {T(ENCR, GCM, 256), T(PRF, 5, 0), T(ESN, 1, 0)}}, -ENOENT, {0}},
    {"esp-spi-len-0", ESP, offer_esp, 0, false,
     {1, ESP, 0, {0}, 2, {T(ENCR, GCM, 256), T(ESN, 1, 0)}}, -EBADMSG, {0}},
    {"esp-spi-len-8", ESP, offer_esp, 0, false,
     {1, ESP, 8, SPI8, 2, {T(ENCR, GCM, 256), T(ESN, 1, 0)}}, -EBADMSG, {0}},
    {"esp-spi-0", ESP, offer_esp, 0, false,
     {1, ESP, 4, {0, 0, 0, 0}, 2, {T(ENCR, GCM, 256), T(ESN, 1, 0)}}, -EBADMSG, {0}},
    {"esp-spi-255", ESP, offer_esp, 0, false,
     {1, ESP, 4, {0, 0, 0, 255}, 2, {T(ENCR, GCM, 256), T(ESN, 1, 0)}}, -EBADMSG, {0}},
    {"esp-spi-256", ESP, offer_esp, 0, false,
     {1, ESP, 4, {0, 0, 1, 0}, 2, {T(ENCR, GCM, 256), T(ESN, 1, 0)}},
     0, {1, ESP, GCM, 256, 0, 0, 0, true, 4, {0, 0, 1, 0}}},
    {"esp-ike-protocol", ESP, offer_esp, 0, false,
     {1, IKE, 0, {0}, 2, {T(ENCR, GCM, 256), T(ESN, 1, 0)}}, -ENOENT, {0}},
    /* IKE_AUTH: KE stripped from the offer, the reply has none */
    {"esp-ike-auth", ESP, offer_esp, 0, true,
     {2, ESP, 4, SPI4, 3, {T(ENCR, CBC, 128), T(INTEG, 12, 0), T(ESN, 1, 0)}},
     0, {2, ESP, CBC, 128, 0, 12, 0, true, 4, SPI4}},
    {"esp-ike-auth-ke-anyway", ESP, offer_esp, 0, true,
     {2, ESP, 4, SPI4, 4, {T(ENCR, CBC, 128), T(INTEG, 12, 0), T(KE, 31, 0), T(ESN, 1, 0)}},
     -ENOENT, {0}},
};
/* clang-format on */

static void test_select(const void *data)
{
    const struct sel_case *c = data;
    struct ike_proposal offered[IKE_MAX_PROPOSALS];
    struct ike_proposal reply = {0};
    struct ike_selected sel, before;
    unsigned n = 0;

    g_assert_cmpint(
        ike_proposals_parse(c->offer, c->protocol, offered, G_N_ELEMENTS(offered), &n, NULL, 0), ==,
        0);
    if (c->offer_spi_len) {
        static const uint8_t ours[8] = {8, 7, 6, 5, 4, 3, 2, 1};

        ike_proposals_set_spi(offered, n, ours, c->offer_spi_len);
    }
    if (c->strip_ke)
        ike_proposals_strip_ke(offered, n);

    reply.num = c->reply.num;
    reply.protocol = c->reply.protocol;
    reply.spi_len = c->reply.spi_len;
    memcpy(reply.spi, c->reply.spi, sizeof(reply.spi));
    reply.n_transforms = c->reply.n;
    memcpy(reply.transforms, c->reply.t, sizeof(c->reply.t));

    memset(&sel, 0x5a, sizeof(sel));
    before = sel;
    g_assert_cmpint(ike_proposal_select(offered, n, &reply, &sel), ==, c->ret);
    if (c->ret) {
        g_assert_cmpmem(&sel, sizeof(sel), &before, sizeof(before));
        return;
    }
    g_assert_cmpuint(sel.num, ==, c->expect.num);
    g_assert_cmpuint(sel.protocol, ==, c->expect.protocol);
    g_assert_cmpuint(sel.encr, ==, c->expect.encr);
    g_assert_cmpuint(sel.encr_keylen, ==, c->expect.encr_keylen);
    g_assert_cmpuint(sel.prf, ==, c->expect.prf);
    g_assert_cmpuint(sel.integ, ==, c->expect.integ);
    g_assert_cmpuint(sel.ke, ==, c->expect.ke);
    g_assert_true(sel.esn == c->expect.esn);
    g_assert_cmpuint(sel.spi_len, ==, c->expect.spi_len);
    g_assert_cmpmem(sel.spi, sel.spi_len, c->expect.spi, c->expect.spi_len);

    /* the same through the whole-payload entry point */
    memset(&sel, 0, sizeof(sel));
    g_assert_cmpint(ike_proposal_select_reply(offered, n, &reply, 1, &sel), ==, 0);
    g_assert_cmpuint(sel.encr, ==, c->expect.encr);
}

static void test_select_reply_count(void)
{
    struct ike_proposal offered[IKE_MAX_PROPOSALS];
    struct ike_proposal reply[2] = {{0}};
    struct ike_selected sel;
    unsigned n = 0;

    g_assert_cmpint(
        ike_proposals_parse("aes128gcm16", ESP, offered, G_N_ELEMENTS(offered), &n, NULL, 0), ==,
        0);
    reply[0] = offered[0];
    reply[0].n_transforms = 2; /* AES_GCM_16_128, EXT_SEQ */
    reply[0].spi[0] = 0xc1;
    reply[1] = reply[0];
    g_assert_cmpint(ike_proposal_select_reply(offered, n, reply, 1, &sel), ==, 0);
    g_assert_true(sel.esn);
    g_assert_cmpint(ike_proposal_select_reply(offered, n, reply, 0, &sel), ==, -EBADMSG);
    g_assert_cmpint(ike_proposal_select_reply(offered, n, reply, 2, &sel), ==, -EBADMSG);
    g_assert_cmpint(ike_proposal_select(offered, n, NULL, &sel), ==, -EINVAL);
    g_assert_cmpint(ike_proposal_select(NULL, 0, reply, &sel), ==, -EINVAL);
    g_assert_cmpint(ike_proposal_select(offered, n, reply, NULL), ==, -EINVAL);
    /* nothing offered: nothing can match */
    g_assert_cmpint(ike_proposal_select(offered, 0, reply, &sel), ==, -ENOENT);
}

/* ---- ESP engine parameters ------------------------------------------------------ */

static void test_esp_params(void)
{
    struct ike_selected sel = {
        .num = 1,
        .protocol = ESP,
        .encr = GCM,
        .encr_keylen = 256,
        .esn = true,
        .spi_len = 4,
        .spi = {0xc0, 0xff, 0xee, 0x01},
    };
    struct ike_esp_params e;

    g_assert_cmpint(ike_selected_esp_params(&sel, &e), ==, 0);
    g_assert_cmpuint(e.encr, ==, GCM);
    g_assert_cmpuint(e.encr_key_bits, ==, 256);
    g_assert_cmpuint(e.integ, ==, IKE_INTEG_NONE);
    g_assert_true(e.aead);
    g_assert_true(e.esn);
    g_assert_cmphex(e.spi, ==, 0xc0ffee01);
    g_assert_cmpstr(e.encr_name, ==, "aes256gcm16");
    g_assert_cmpstr(e.integ_name, ==, "none");
    g_assert_cmpuint(e.encr_keymat_len, ==, 36);
    g_assert_cmpuint(e.integ_keymat_len, ==, 0);
    g_assert_cmpuint(e.icv_len, ==, 16);

    sel.encr = IKE_ENCR_CHACHA20_POLY1305;
    sel.encr_keylen = 0;
    sel.esn = false;
    g_assert_cmpint(ike_selected_esp_params(&sel, &e), ==, 0);
    g_assert_cmpstr(e.encr_name, ==, "chacha20poly1305");
    g_assert_cmpuint(e.encr_key_bits, ==, 256);
    g_assert_cmpuint(e.encr_keymat_len, ==, 36);
    g_assert_false(e.esn);

    sel.encr = CBC;
    sel.encr_keylen = 128;
    sel.integ = IKE_INTEG_HMAC_SHA2_384_192;
    g_assert_cmpint(ike_selected_esp_params(&sel, &e), ==, 0);
    g_assert_cmpstr(e.encr_name, ==, "aes128");
    g_assert_cmpstr(e.integ_name, ==, "sha384");
    g_assert_false(e.aead);
    g_assert_cmpuint(e.encr_keymat_len, ==, 16);
    g_assert_cmpuint(e.integ_keymat_len, ==, 48);
    g_assert_cmpuint(e.icv_len, ==, 24);

    /* rejected: CBC without INTEG, GCM with INTEG, odd key length, IKE, NULL */
    memset(&e, 0x5a, sizeof(e));
    sel.integ = IKE_INTEG_NONE;
    g_assert_cmpint(ike_selected_esp_params(&sel, &e), ==, -EINVAL);
    sel.encr = GCM;
    sel.integ = IKE_INTEG_HMAC_SHA2_256_128;
    g_assert_cmpint(ike_selected_esp_params(&sel, &e), ==, -EINVAL);
    sel.integ = IKE_INTEG_NONE;
    sel.encr_keylen = 192;
    g_assert_cmpint(ike_selected_esp_params(&sel, &e), ==, -EINVAL);
    sel.encr_keylen = 128;
    sel.protocol = IKE;
    g_assert_cmpint(ike_selected_esp_params(&sel, &e), ==, -EINVAL);
    g_assert_cmpint(ike_selected_esp_params(NULL, &e), ==, -EINVAL);
    g_assert_cmphex(e.spi, ==, 0x5a5a5a5a);
}

/* ---- key sizes ----------------------------------------------------------------- */

static void test_key_sizes(void)
{
    static const struct {
        uint16_t id, bits;
        size_t len;
    } encr[] = {
        {CBC, 128, 16},
        {CBC, 256, 32},
        {CBC, 192, 0},
        {CBC, 0, 0},
        {GCM, 128, 20},
        {GCM, 256, 36},
        {GCM, 192, 0},
        {IKE_ENCR_CHACHA20_POLY1305, 0, 36},
        {IKE_ENCR_CHACHA20_POLY1305, 256, 36},
        {IKE_ENCR_CHACHA20_POLY1305, 128, 0},
        {3 /* 3DES */, 0, 0},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(encr); i++)
        g_assert_cmpuint(ike_encr_key_len(encr[i].id, encr[i].bits), ==, encr[i].len);
    g_assert_true(ike_encr_is_aead(GCM));
    g_assert_true(ike_encr_is_aead(IKE_ENCR_CHACHA20_POLY1305));
    g_assert_false(ike_encr_is_aead(CBC));

    g_assert_cmpuint(ike_integ_key_len(IKE_INTEG_HMAC_SHA2_256_128), ==, 32);
    g_assert_cmpuint(ike_integ_key_len(IKE_INTEG_HMAC_SHA2_384_192), ==, 48);
    g_assert_cmpuint(ike_integ_key_len(IKE_INTEG_HMAC_SHA2_512_256), ==, 64);
    g_assert_cmpuint(ike_integ_key_len(IKE_INTEG_NONE), ==, 0);
    g_assert_cmpuint(ike_integ_key_len(2 /* HMAC-SHA1-96 */), ==, 0);
    g_assert_cmpuint(ike_integ_icv_len(IKE_INTEG_HMAC_SHA2_256_128), ==, 16);
    g_assert_cmpuint(ike_integ_icv_len(IKE_INTEG_HMAC_SHA2_384_192), ==, 24);
    g_assert_cmpuint(ike_integ_icv_len(IKE_INTEG_HMAC_SHA2_512_256), ==, 32);
    g_assert_cmpuint(ike_integ_icv_len(IKE_INTEG_NONE), ==, 0);

    g_assert_cmpuint(ike_prf_key_len(IKE_PRF_HMAC_SHA2_256), ==, 32);
    g_assert_cmpuint(ike_prf_key_len(IKE_PRF_HMAC_SHA2_384), ==, 48);
    g_assert_cmpuint(ike_prf_key_len(IKE_PRF_HMAC_SHA2_512), ==, 64);
    g_assert_cmpuint(ike_prf_key_len(2 /* HMAC-SHA1 */), ==, 0);
    g_assert_cmpuint(ike_prf_out_len(IKE_PRF_HMAC_SHA2_384), ==, 48);

    g_assert_cmpstr(ike_encr_keyword(GCM, 128), ==, "aes128gcm16");
    g_assert_cmpstr(ike_encr_keyword(CBC, 256), ==, "aes256");
    g_assert_cmpstr(ike_encr_keyword(IKE_ENCR_CHACHA20_POLY1305, 256), ==, "chacha20poly1305");
    g_assert_null(ike_encr_keyword(CBC, 192));
    g_assert_cmpstr(ike_integ_keyword(IKE_INTEG_HMAC_SHA2_512_256), ==, "sha512");
    g_assert_null(ike_integ_keyword(2));
}

/* ---- INVALID_KE_PAYLOAD --------------------------------------------------------- */

static void test_prefer_ke(void)
{
    struct ike_proposal p[IKE_MAX_PROPOSALS], saved[IKE_MAX_PROPOSALS];
    unsigned n = 0;
    uint16_t group = 0;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    g_autofree char *c = NULL;

    g_assert_cmpint(ike_proposals_parse("aes256gcm16-prfsha384-x25519-ecp384-ecp256, "
                                        "aes256-sha256-modp3072-modp2048",
                                        IKE, p, G_N_ELEMENTS(p), &n, NULL, 0),
                    ==, 0);
    memcpy(saved, p, sizeof(p));

    /* in the first proposal: moves to the front of its KE methods */
    g_assert_cmpint(ike_proposals_prefer_ke(p, n, IKE_KE_ECP256), ==, 0);
    a = dump(p, n);
    g_assert_cmpstr(a, ==,
                    "1 IKE/0: ENCR=AES_GCM_16_256 " P384 " KE=ECP_256 KE=CURVE_25519 KE=ECP_384 | "
                    "2 IKE/0: ENCR=AES_CBC_256 " P256 " " I256 " KE=MODP_3072 KE=MODP_2048");
    g_assert_cmpint(ike_proposals_first_ke(p, n, &group), ==, 0);
    g_assert_cmpuint(group, ==, IKE_KE_ECP256);

    /* only in the second: that proposal moves first and is renumbered */
    memcpy(p, saved, sizeof(p));
    g_assert_cmpint(ike_proposals_prefer_ke(p, n, IKE_KE_MODP2048), ==, 0);
    b = dump(p, n);
    g_assert_cmpstr(b, ==,
                    "1 IKE/0: ENCR=AES_CBC_256 " P256 " " I256 " KE=MODP_2048 KE=MODP_3072 | "
                    "2 IKE/0: ENCR=AES_GCM_16_256 " P384 " KE=CURVE_25519 KE=ECP_384 KE=ECP_256");
    g_assert_cmpint(ike_proposals_first_ke(p, n, &group), ==, 0);
    g_assert_cmpuint(group, ==, IKE_KE_MODP2048);

    /* already first: no change */
    memcpy(p, saved, sizeof(p));
    g_assert_cmpint(ike_proposals_prefer_ke(p, n, IKE_KE_CURVE25519), ==, 0);
    g_assert_cmpmem(p, sizeof(p), saved, sizeof(saved));

    /* never offered / bad arguments: nothing changes */
    g_assert_cmpint(ike_proposals_prefer_ke(p, n, IKE_KE_MODP4096), ==, -ENOENT);
    g_assert_cmpint(ike_proposals_prefer_ke(p, n, IKE_KE_NONE), ==, -EINVAL);
    g_assert_cmpint(ike_proposals_prefer_ke(NULL, n, IKE_KE_ECP256), ==, -EINVAL);
    g_assert_cmpint(ike_proposals_prefer_ke(p, 0, IKE_KE_ECP256), ==, -ENOENT);
    g_assert_cmpmem(p, sizeof(p), saved, sizeof(saved));

    /* in several proposals: all of them first, in their order */
    g_assert_cmpint(ike_proposals_parse("aes128gcm16-prfsha256-x25519, "
                                        "aes256gcm16-prfsha384-ecp384-ecp256, "
                                        "aes128-sha256-modp2048-ecp256",
                                        IKE, p, G_N_ELEMENTS(p), &n, NULL, 0),
                    ==, 0);
    g_assert_cmpint(ike_proposals_prefer_ke(p, n, IKE_KE_ECP256), ==, 0);
    c = dump(p, n);
    g_assert_cmpstr(c, ==,
                    "1 IKE/0: ENCR=AES_GCM_16_256 " P384 " KE=ECP_256 KE=ECP_384 | "
                    "2 IKE/0: ENCR=AES_CBC_128 " P256 " " I256 " KE=ECP_256 KE=MODP_2048 | "
                    "3 IKE/0: ENCR=AES_GCM_16_128 " P256 " KE=CURVE_25519");

    /* ESP PFS groups (CREATE_CHILD_SA) work the same; no KE: -ENOENT */
    g_assert_cmpint(ike_proposals_parse("aes128gcm16", ESP, p, G_N_ELEMENTS(p), &n, NULL, 0), ==,
                    0);
    group = 77;
    g_assert_cmpint(ike_proposals_first_ke(p, n, &group), ==, -ENOENT);
    g_assert_cmpint(ike_proposals_first_ke(p, 0, &group), ==, -ENOENT);
    g_assert_cmpint(ike_proposals_first_ke(NULL, 1, &group), ==, -EINVAL);
    g_assert_cmpuint(group, ==, 77);
}

static void test_spi_and_strip(void)
{
    struct ike_proposal p[IKE_MAX_PROPOSALS];
    static const uint8_t spi[4] = {0xca, 0xfe, 0xba, 0xbe};
    unsigned n = 0;
    g_autofree char *d = NULL;

    g_assert_cmpint(ike_proposals_parse("aes128gcm16-x25519-ecp256, aes256-sha256-modp2048-noesn",
                                        ESP, p, G_N_ELEMENTS(p), &n, NULL, 0),
                    ==, 0);
    ike_proposals_set_spi(p, n, spi, 4);
    ike_proposals_strip_ke(p, n);
    d = dump(p, n);
    g_assert_cmpstr(d, ==,
                    "1 ESP/4: ENCR=AES_GCM_16_128 " YESNO " | "
                    "2 ESP/4: ENCR=AES_CBC_256 " I256 " ESN=NO_EXT_SEQ");
    for (unsigned i = 0; i < n; i++)
        g_assert_cmpmem(p[i].spi, 4, spi, 4);
}

/* ---- log format ---------------------------------------------------------------- */

static void test_to_string(void)
{
    struct ike_proposal p[IKE_MAX_PROPOSALS];
    struct ike_selected sel = {.num = 2,
                               .protocol = IKE,
                               .encr = CBC,
                               .encr_keylen = 256,
                               .prf = IKE_PRF_HMAC_SHA2_256,
                               .integ = 12,
                               .ke = 14};
    char buf[512];
    char small[10];
    unsigned n = 0;
    size_t len;

    g_assert_cmpint(ike_proposals_parse("aes256gcm16-prfsha384-x25519, aes128-sha256-modp2048", IKE,
                                        p, G_N_ELEMENTS(p), &n, NULL, 0),
                    ==, 0);
    len = ike_proposal_to_string(&p[0], buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519");
    g_assert_cmpuint(len, ==, strlen(buf));
    ike_proposal_to_string(&p[1], buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
    ike_proposals_to_string(p, n, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==,
                    "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519, "
                    "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");

    /* truncation: like snprintf() */
    len = ike_proposal_to_string(&p[0], small, sizeof(small));
    g_assert_cmpuint(len, ==, strlen("IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519"));
    g_assert_cmpstr(small, ==, "IKE:AES_G");
    len = ike_proposals_to_string(p, n, small, sizeof(small));
    g_assert_cmpuint(len, >, 100);
    g_assert_cmpstr(small, ==, "IKE:AES_G");
    g_assert_cmpuint(ike_proposal_to_string(&p[0], NULL, 0), ==,
                     strlen("IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519"));

    g_assert_cmpint(ike_proposals_parse("chacha20poly1305-x25519,aes256-sha512-noesn-esn", ESP, p,
                                        G_N_ELEMENTS(p), &n, NULL, 0),
                    ==, 0);
    ike_proposals_to_string(p, n, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==,
                    "ESP:CHACHA20_POLY1305/CURVE_25519/EXT_SEQ/NO_EXT_SEQ, "
                    "ESP:AES_CBC_256/HMAC_SHA2_512_256/NO_EXT_SEQ/EXT_SEQ");

    /* unknown IDs and types, as a reply might carry them */
    p[0].n_transforms = 3;
    p[0].transforms[0] = (struct ike_transform){.type = IKE_TRANS_ENCR, .id = 3};
    p[0].transforms[1] = (struct ike_transform){.type = IKE_TRANS_INTEG, .id = 99};
    p[0].transforms[2] = (struct ike_transform){.type = 6, .id = 36};
    ike_proposal_to_string(&p[0], buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "ESP:UNKNOWN_1_3/UNKNOWN_3_99/UNKNOWN_6_36");

    ike_selected_to_string(&sel, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
    sel = (struct ike_selected){.protocol = ESP, .encr = GCM, .encr_keylen = 128, .esn = true};
    ike_selected_to_string(&sel, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "ESP:AES_GCM_16_128/EXT_SEQ");
    sel.ke = IKE_KE_ECP384;
    sel.esn = false;
    ike_selected_to_string(&sel, buf, sizeof(buf));
    g_assert_cmpstr(buf, ==, "ESP:AES_GCM_16_128/ECP_384/NO_EXT_SEQ");
}

/* The responder's choice, as when the gateway starts a CREATE_CHILD_SA. */
static void test_choose(void)
{
    struct ike_proposal ours[IKE_MAX_PROPOSALS], theirs[IKE_MAX_PROPOSALS], chosen;
    struct ike_selected sel;
    unsigned n_ours, n_theirs;
    char detail[64];
    static const uint8_t spi[4] = {0xc0, 0x01, 0x02, 0x03};

    g_assert_cmpint(ike_proposals_default(IKE_PROTO_ESP, ours, IKE_MAX_PROPOSALS, &n_ours), ==, 0);
    ike_proposals_strip_ke(ours, n_ours);

    /* the gateway prefers CBC, then GCM with PFS: its first acceptable wins, KE accepted */
    g_assert_cmpint(ike_proposals_parse("aes192-sha1,aes128gcm16-ecp256-modp1024x,aes256-sha256",
                                        IKE_PROTO_ESP, theirs, IKE_MAX_PROPOSALS, &n_theirs,
                                        detail, sizeof(detail)),
                    <, 0); /* modp1024x is not a keyword: sanity of the parser */
    g_assert_cmpint(ike_proposals_parse("aes128gcm16-ecp256,aes256-sha256", IKE_PROTO_ESP, theirs,
                                        IKE_MAX_PROPOSALS, &n_theirs, detail, sizeof(detail)),
                    ==, 0);
    ike_proposals_set_spi(theirs, n_theirs, spi, 4);
    g_assert_cmpint(ike_proposal_choose(ours, n_ours, theirs, n_theirs, &chosen, &sel), ==, 0);
    g_assert_cmpuint(chosen.num, ==, 1);
    g_assert_cmpuint(sel.encr, ==, IKE_ENCR_AES_GCM_16);
    g_assert_cmpuint(sel.encr_keylen, ==, 128);
    g_assert_cmpuint(sel.ke, ==, IKE_KE_ECP256);
    g_assert_true(sel.esn); /* ESN YES first in the peer's list, and we accept it */
    g_assert_cmpmem(sel.spi, sel.spi_len, spi, 4);
    /* exactly one transform of each type */
    unsigned per_type[6] = {0};
    for (unsigned i = 0; i < chosen.n_transforms; i++)
        per_type[chosen.transforms[i].type]++;
    for (unsigned t = 1; t <= 5; t++)
        g_assert_cmpuint(per_type[t], <=, 1);

    /* nothing of ours: -ENOENT */
    g_assert_cmpint(ike_proposals_parse("aes128-sha256", IKE_PROTO_ESP, ours, IKE_MAX_PROPOSALS,
                                        &n_ours, detail, sizeof(detail)),
                    ==, 0);
    g_assert_cmpint(ike_proposals_parse("aes256gcm16", IKE_PROTO_ESP, theirs, IKE_MAX_PROPOSALS,
                                        &n_theirs, detail, sizeof(detail)),
                    ==, 0);
    g_assert_cmpint(ike_proposal_choose(ours, n_ours, theirs, n_theirs, &chosen, &sel), ==,
                    -ENOENT);

    /* IKE rekey: the KE must be one of ours */
    g_assert_cmpint(ike_proposals_parse("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, ours,
                                        IKE_MAX_PROPOSALS, &n_ours, detail, sizeof(detail)),
                    ==, 0);
    g_assert_cmpint(ike_proposals_parse("aes256gcm16-prfsha384-ecp256", IKE_PROTO_IKE, theirs,
                                        IKE_MAX_PROPOSALS, &n_theirs, detail, sizeof(detail)),
                    ==, 0);
    g_assert_cmpint(ike_proposal_choose(ours, n_ours, theirs, n_theirs, &chosen, &sel), ==,
                    -ENOENT);
    g_assert_cmpint(ike_proposals_parse("aes128gcm16-prfsha256-ecp256,aes256gcm16-prfsha384-x25519",
                                        IKE_PROTO_IKE, theirs, IKE_MAX_PROPOSALS, &n_theirs, detail,
                                        sizeof(detail)),
                    ==, 0);
    g_assert_cmpint(ike_proposal_choose(ours, n_ours, theirs, n_theirs, &chosen, &sel), ==, 0);
    g_assert_cmpuint(chosen.num, ==, 2);
    g_assert_cmpuint(sel.ke, ==, IKE_KE_CURVE25519);
    g_assert_cmpuint(sel.prf, ==, IKE_PRF_HMAC_SHA2_384);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *path = g_strdup_printf("/ike-proposal/parse/good/%zu", i);

        g_test_add_data_func(path, &good[i], test_parse_good);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *path = g_strdup_printf("/ike-proposal/parse/bad/%zu", i);

        g_test_add_data_func(path, &bad[i], test_parse_bad);
    }
    g_test_add_func("/ike-proposal/parse/args", test_parse_args);
    g_test_add_func("/ike-proposal/defaults", test_defaults);
    for (size_t i = 0; i < G_N_ELEMENTS(sel_cases); i++) {
        g_autofree char *path = g_strdup_printf("/ike-proposal/select/%s", sel_cases[i].name);

        g_test_add_data_func(path, &sel_cases[i], test_select);
    }
    g_test_add_func("/ike-proposal/select/reply-count", test_select_reply_count);
    g_test_add_func("/ike-proposal/esp-params", test_esp_params);
    g_test_add_func("/ike-proposal/key-sizes", test_key_sizes);
    g_test_add_func("/ike-proposal/prefer-ke", test_prefer_ke);
    g_test_add_func("/ike-proposal/spi-and-strip-ke", test_spi_and_strip);
    g_test_add_func("/ike-proposal/to-string", test_to_string);
    g_test_add_func("/ike-proposal/choose", test_choose);

    return g_test_run();
}
