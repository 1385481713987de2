/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests for src/ike/ike-id.c: strongSwan's identity syntax to ID type and
 * bytes (a table with every form), refused forms, DN text <-> DER round
 * trips (OpenSSL's own X509_NAME as the reference), and identity equality.
 */
#include "ike/ike-id.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "ike/ike-types.h"

/* The DER of a DN built with OpenSSL from (attribute, value, string type) triples. */
static GBytes *dn_der(const char *const *rdns)
{
    X509_NAME *nm = X509_NAME_new();
    unsigned char *der = NULL;
    GBytes *b;
    int n;

    for (unsigned i = 0; rdns[i]; i += 3)
        g_assert_cmpint(X509_NAME_add_entry_by_txt(nm, rdns[i],
                                                   GPOINTER_TO_INT(rdns[i + 2]) == 1
                                                       ? V_ASN1_PRINTABLESTRING
                                                       : V_ASN1_UTF8STRING,
                                                   (const unsigned char *)rdns[i + 1], -1, -1, 0),
                        ==, 1);
    n = i2d_X509_NAME(nm, &der);
    g_assert_cmpint(n, >, 0);
    b = g_bytes_new(der, (gsize)n);
    OPENSSL_free(der);
    X509_NAME_free(nm);
    return b;
}

#define P ((const char *)GINT_TO_POINTER(1)) /* PrintableString */
#define U ((const char *)GINT_TO_POINTER(2)) /* UTF8String */

static void check(const char *text, uint8_t want_type, const void *want, size_t want_len)
{
    uint8_t type = 0, *data = NULL;
    size_t len = 0;
    const char *why = NULL;

    g_test_message("%s", text);
    g_assert_cmpint(ike_id_from_text(text, &type, &data, &len, &why), ==, 0);
    g_assert_cmpuint(type, ==, want_type);
    g_assert_cmpmem(data, len, want, want_len);
    g_free(data);
}

static void test_forms(void)
{
    static const uint8_t v4[] = {192, 0, 2, 1};
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t keyid[] = {0x01, 0x23, 0xab, 0xcd};
    static const struct {
        const char *text;
        uint8_t type;
        const char *data; /* text forms */
    } strs[] = {
        {"vpn.example.com", IKE_ID_FQDN, "vpn.example.com"},
        {"@vpn.example.com", IKE_ID_FQDN, "vpn.example.com"},
        {"user@example.com", IKE_ID_RFC822_ADDR, "user@example.com"},
        {"@@user@example.com", IKE_ID_RFC822_ADDR, "user@example.com"},
        {"@@example.com", IKE_ID_RFC822_ADDR, "example.com"},
        {"fqdn:user@example.com", IKE_ID_FQDN, "user@example.com"},
        {"dns:vpn.example.com", IKE_ID_FQDN, "vpn.example.com"},
        {"email:user@example.com", IKE_ID_RFC822_ADDR, "user@example.com"},
        {"rfc822:user", IKE_ID_RFC822_ADDR, "user"},
        {"userfqdn:user@example.com", IKE_ID_RFC822_ADDR, "user@example.com"},
        {"keyid:raw", IKE_ID_KEY_ID, "raw"},
        {"host", IKE_ID_FQDN, "host"},
        {"192.0.2.1.example", IKE_ID_FQDN, "192.0.2.1.example"},
    };
    static const char *const dn1[] = {"C", "DE", P, "O", "Example", P, "CN", "gw", P, NULL};
    static const char *const dn2[] = {"CN", "Jürgen", U, "emailAddress", "a@example.com", U, NULL};
    static const char *const dn3[] = {"O", "A, B/C", P, "OU", "x+y", P, NULL};
    static const char *const dn4[] = {"C", "CH", P, "O", "strongSwan", P, "CN", "vpn", P, NULL};

    for (size_t i = 0; i < G_N_ELEMENTS(strs); i++)
        check(strs[i].text, strs[i].type, strs[i].data, strlen(strs[i].data));
    check("192.0.2.1", IKE_ID_IPV4_ADDR, v4, 4);
    check("ipv4:192.0.2.1", IKE_ID_IPV4_ADDR, v4, 4);
    check("2001:db8::1", IKE_ID_IPV6_ADDR, v6, 16);
    check("ipv6:2001:db8::1", IKE_ID_IPV6_ADDR, v6, 16);
    check("@#0123abCD", IKE_ID_KEY_ID, keyid, sizeof(keyid));
    check("keyid:#0123abcd", IKE_ID_KEY_ID, keyid, sizeof(keyid));

    /* DNs: the same bytes as OpenSSL builds with strongSwan's string types */
    {
        const struct {
            const char *text;
            const char *const *rdns;
        } dns[] = {
            {"C=DE, O=Example, CN=gw", dn1},
            {"C=DE,O=Example,CN=gw", dn1},
            {"  C = DE ,  O = Example , CN = gw ", dn1},
            {"/C=DE/O=Example/CN=gw", dn1},
            {"asn1dn:C=DE, O=Example, CN=gw", dn1},
            {"countryName=DE, organizationName=Example, commonName=gw", dn1},
            {"2.5.4.6=DE, 2.5.4.10=Example, 2.5.4.3=gw", dn1},
            {"CN=Jürgen, E=a@example.com", dn2},
            {"CN=Jürgen, emailAddress=a@example.com", dn2},
            {"O=A\\, B/C, OU=x+y", dn3},
            {"/O=A, B\\/C/OU=x+y", dn3},
            {"C=CH, O=strongSwan, CN=vpn,", dn4},
        };
        for (size_t i = 0; i < G_N_ELEMENTS(dns); i++) {
            g_autoptr(GBytes) want = dn_der(dns[i].rdns);
            gsize n;
            const void *p = g_bytes_get_data(want, &n);
            check(dns[i].text, IKE_ID_DER_ASN1_DN, p, n);
        }
    }
}

static void test_refused(void)
{
    static const char *const bad[] = {
        "",
        "@",
        "@@",
        "@#",
        "@#0",
        "@#zz",
        "fqdn:",
        "ipv4:vpn.example.com",
        "ipv6:192.0.2.1",
        "C=DE, Bogus=x",
        "C=DE, =x",
        "C=DE, O=",
        "C=DE, Example",
        "=",
        "asn1dn:gw",
    };
    g_autofree char *long_text = g_strnfill(IKE_ID_TEXT_MAX + 1, 'a');
    uint8_t type = 0xee, *data = (uint8_t *)"x";
    size_t len = 7;

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *why = NULL;
        g_test_message("%s", bad[i]);
        g_assert_cmpint(ike_id_from_text(bad[i], &type, &data, &len, &why), ==, -EINVAL);
        g_assert_nonnull(why);
        /* out-parameters untouched */
        g_assert_cmpuint(type, ==, 0xee);
        g_assert_cmpuint(len, ==, 7);
        g_assert_cmpstr((const char *)data, ==, "x");
    }
    g_assert_cmpint(ike_id_from_text(long_text, &type, &data, &len, NULL), ==, -EINVAL);
    long_text[IKE_ID_TEXT_MAX] = '\0';
    g_assert_cmpint(ike_id_from_text(long_text, &type, &data, &len, NULL), ==, 0);
    g_free(data);
    g_assert_cmpint(ike_id_from_text(NULL, &type, &data, &len, NULL), ==, -EINVAL);
    g_assert_cmpint(ERR_peek_error(), ==, 0);
}

/* text -> DER -> text -> DER gives the same DER, and the text is strongSwan's notation */
static void test_dn_round_trip(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"C=DE, O=Example, CN=gw", "C=DE, O=Example, CN=gw"},
        {"/C=DE/O=Example/CN=gw", "C=DE, O=Example, CN=gw"},
        {"O=A\\, B/C, OU=x+y, CN=Jürgen", "O=A\\, B/C, OU=x\\+y, CN=Jürgen"},
        {"E=a@example.com, CN=gw", "emailAddress=a@example.com, CN=gw"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        uint8_t type, *der1 = NULL, *der2 = NULL;
        size_t len1, len2;
        g_autofree char *text = NULL;

        g_assert_cmpint(ike_id_from_text(cases[i].in, &type, &der1, &len1, NULL), ==, 0);
        g_assert_cmpuint(type, ==, IKE_ID_DER_ASN1_DN);
        text = ike_id_dn_to_text(der1, len1);
        g_assert_cmpstr(text, ==, cases[i].out);
        g_assert_cmpint(ike_id_from_text(text, &type, &der2, &len2, NULL), ==, 0);
        g_assert_cmpmem(der1, len1, der2, len2);
        g_free(der1);
        g_free(der2);
    }
    g_assert_null(ike_id_dn_to_text((const uint8_t *)"\x30\x05", 2));
    g_assert_null(ike_id_dn_to_text(NULL, 0));
    g_assert_cmpint(ERR_peek_error(), ==, 0);
}

static void test_equal(void)
{
    static const char *const utf8_dn[] = {"C", "DE", U, "O", "EXAMPLE", U, "CN", "GW", U, NULL};
    static const char *const other_dn[] = {"C", "DE", P, "O", "Example", P, "CN", "gw2", P, NULL};
    g_autoptr(GBytes) a = dn_der(utf8_dn), b = dn_der(other_dn);
    uint8_t type, *dn = NULL;
    size_t dn_len;
    gsize a_len, b_len;
    const uint8_t *ap = g_bytes_get_data(a, &a_len), *bp = g_bytes_get_data(b, &b_len);

    g_assert_true(ike_id_equal(IKE_ID_FQDN, (const uint8_t *)"VPN.example.com", 15, IKE_ID_FQDN,
                               (const uint8_t *)"vpn.EXAMPLE.com", 15));
    g_assert_false(ike_id_equal(IKE_ID_FQDN, (const uint8_t *)"vpn.example.com", 15,
                                IKE_ID_RFC822_ADDR, (const uint8_t *)"vpn.example.com", 15));
    g_assert_false(ike_id_equal(IKE_ID_FQDN, (const uint8_t *)"vpn.example.com", 15, IKE_ID_FQDN,
                                (const uint8_t *)"vpn.example.co", 14));
    g_assert_true(ike_id_equal(IKE_ID_RFC822_ADDR, (const uint8_t *)"A@b", 3, IKE_ID_RFC822_ADDR,
                               (const uint8_t *)"a@B", 3));
    g_assert_false(ike_id_equal(IKE_ID_KEY_ID, (const uint8_t *)"A", 1, IKE_ID_KEY_ID,
                                (const uint8_t *)"a", 1));
    g_assert_true(ike_id_equal(IKE_ID_IPV4_ADDR, (const uint8_t *)"\xc0\0\2\1", 4, IKE_ID_IPV4_ADDR,
                               (const uint8_t *)"\xc0\0\2\1", 4));

    /* a DN in PrintableString from text equals the UTF8String one another case (X509_NAME_cmp) */
    g_assert_cmpint(ike_id_from_text("C=DE, O=Example, CN=gw", &type, &dn, &dn_len, NULL), ==, 0);
    g_assert_true(ike_id_equal(IKE_ID_DER_ASN1_DN, dn, dn_len, IKE_ID_DER_ASN1_DN, ap, a_len));
    g_assert_false(ike_id_equal(IKE_ID_DER_ASN1_DN, dn, dn_len, IKE_ID_DER_ASN1_DN, bp, b_len));
    g_assert_false(
        ike_id_equal(IKE_ID_DER_ASN1_DN, dn, dn_len - 1, IKE_ID_DER_ASN1_DN, dn, dn_len - 1));
    g_free(dn);
    g_assert_cmpint(ERR_peek_error(), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ike-id/forms", test_forms);
    g_test_add_func("/ike-id/refused", test_refused);
    g_test_add_func("/ike-id/dn-round-trip", test_dn_round_trip);
    g_test_add_func("/ike-id/equal", test_equal);
    return g_test_run();
}
