/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE identities from text in strongSwan's syntax (ike-id.h), and their
 * comparison.  A DN is built with OpenSSL (X509_NAME) and compared with
 * X509_NAME_cmp(); nothing here parses DER by hand.
 */
#include "ike/ike-id.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <glib.h>

#include "ike/ike-types.h"

/* strongSwan's names of DN attributes that OpenSSL spells otherwise */
static const struct {
    const char *name;
    int nid;
} dn_aliases[] = {
    {"E", NID_pkcs9_emailAddress},
    {"Email", NID_pkcs9_emailAddress},
    {"S", NID_stateOrProvinceName},
    {"T", NID_title},
    {"G", NID_givenName},
    {"N", NID_name},
    {"D", NID_description},
    {"ID", NID_x500UniqueIdentifier},
    {"SERIALNUMBER", NID_serialNumber},
};

static int attr_nid(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(dn_aliases); i++)
        if (g_ascii_strcasecmp(name, dn_aliases[i].name) == 0)
            return dn_aliases[i].nid;
    return OBJ_txt2nid(name); /* short or long name, or a dotted OID */
}

/* X.680 PrintableString characters */
static bool printable_string(const char *s)
{
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && !strchr(" '()+,-./:=?", *s))
            return false;
    return true;
}

/* One "attr=value" RDN (value unescaped, blanks around both trimmed) onto @nm. */
static int add_rdn(X509_NAME *nm, char *attr, char *value, const char **why)
{
    int nid;

    g_strstrip(attr);
    g_strstrip(value);
    nid = attr_nid(attr);
    if (nid == NID_undef) {
        *why = "unknown attribute in the DN";
        return -EINVAL;
    }
    if (!value[0]) {
        *why = "empty value in the DN";
        return -EINVAL;
    }
    if (!g_utf8_validate(value, -1, NULL)) {
        *why = "the DN is not UTF-8";
        return -EINVAL;
    }
    if (X509_NAME_add_entry_by_NID(
            nm, nid, printable_string(value) ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING,
            (const unsigned char *)value, -1, -1, 0) != 1) {
        *why = "a DN value OpenSSL refuses";
        return -EINVAL;
    }
    return 0;
}

/*
 * "C=DE, O=Example, CN=gw" or "/C=DE/O=Example/CN=gw" (the separator is '/'
 * when the text starts with one) -> DER.  '\' escapes the next character.
 */
static int dn_from_text(const char *text, uint8_t **der, size_t *der_len, const char **why)
{
    const char sep = text[0] == '/' ? '/' : ',';
    X509_NAME *nm = X509_NAME_new();
    GString *attr = g_string_new(NULL), *value = g_string_new(NULL);
    bool in_value = false;
    unsigned char *out = NULL;
    int r = 0, n;

    if (!nm) {
        r = -ENOMEM;
        goto out;
    }
    for (const char *p = sep == '/' ? text + 1 : text;; p++) {
        if (*p == '\\' && p[1]) {
            g_string_append_c(in_value ? value : attr, *++p);
        } else if (*p == sep || !*p) {
            if (!in_value) {
                if (!*p && !g_strstrip(attr->str)[0] && X509_NAME_entry_count(nm) > 0)
                    break; /* a trailing separator */
                *why = "an RDN of the DN has no '='";
                r = -EINVAL;
                goto out;
            }
            r = add_rdn(nm, attr->str, value->str, why);
            if (r < 0 || !*p)
                break;
            g_string_truncate(attr, 0);
            g_string_truncate(value, 0);
            in_value = false;
        } else if (*p == '=' && !in_value) {
            in_value = true;
        } else {
            g_string_append_c(in_value ? value : attr, *p);
        }
    }
    if (r < 0)
        goto out;
    n = i2d_X509_NAME(nm, &out);
    if (n <= 0) {
        r = -ENOMEM;
        goto out;
    }
    *der = g_memdup2(out, (gsize)n);
    *der_len = (size_t)n;
out:
    OPENSSL_free(out);
    X509_NAME_free(nm);
    g_string_free(attr, TRUE);
    g_string_free(value, TRUE);
    ERR_clear_error();
    return r;
}

static int key_id_from_hex(const char *hex, uint8_t **data, size_t *len, const char **why)
{
    size_t n = strlen(hex);
    uint8_t *buf;

    if (n == 0 || n % 2) {
        *why = "a key ID needs an even number of hex digits";
        return -EINVAL;
    }
    buf = g_malloc(n / 2);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            g_free(buf);
            *why = "a key ID must be hex digits";
            return -EINVAL;
        }
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    *data = buf;
    *len = n / 2;
    return 0;
}

static int from_address(int af, const char *s, uint8_t *type, uint8_t **data, size_t *len)
{
    uint8_t addr[16];

    if (inet_pton(af, s, addr) != 1)
        return -EINVAL;
    *type = af == AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
    *len = af == AF_INET ? 4 : 16;
    *data = g_memdup2(addr, *len);
    return 0;
}

static int as_string(uint8_t t, const char *s, uint8_t *type, uint8_t **data, size_t *len,
                     const char **why)
{
    if (!*s) {
        *why = "nothing after the identity's prefix";
        return -EINVAL;
    }
    *type = t;
    *len = strlen(s);
    *data = (uint8_t *)g_strdup(s);
    return 0;
}

int ike_id_from_text(const char *text, uint8_t *type, uint8_t **data, size_t *len, const char **why)
{
    static const struct {
        const char *prefix;
        uint8_t type;
    } prefixes[] = {
        {"fqdn:", IKE_ID_FQDN},
        {"dns:", IKE_ID_FQDN},
        {"email:", IKE_ID_RFC822_ADDR},
        {"rfc822:", IKE_ID_RFC822_ADDR},
        {"userfqdn:", IKE_ID_RFC822_ADDR},
        {"ipv4:", IKE_ID_IPV4_ADDR},
        {"ipv6:", IKE_ID_IPV6_ADDR},
        {"asn1dn:", IKE_ID_DER_ASN1_DN},
        {"keyid:", IKE_ID_KEY_ID},
    };
    const char *dummy;
    size_t n;
    int r;

    if (!why)
        why = &dummy;
    if (!text || !type || !data || !len)
        return -EINVAL;
    n = strlen(text);
    if (n == 0 || n > IKE_ID_TEXT_MAX) {
        *why = n ? "the identity is too long" : "the identity is empty";
        return -EINVAL;
    }

    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        const char *rest;

        if (g_ascii_strncasecmp(text, prefixes[i].prefix, strlen(prefixes[i].prefix)) != 0)
            continue;
        rest = text + strlen(prefixes[i].prefix);
        switch (prefixes[i].type) {
        case IKE_ID_IPV4_ADDR:
        case IKE_ID_IPV6_ADDR:
            r = from_address(prefixes[i].type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, rest, type,
                             data, len);
            if (r < 0)
                *why = "not an IP address after the prefix";
            return r;
        case IKE_ID_DER_ASN1_DN:
            r = dn_from_text(rest, data, len, why);
            if (r == 0)
                *type = IKE_ID_DER_ASN1_DN;
            return r;
        case IKE_ID_KEY_ID:
            if (rest[0] == '#') {
                r = key_id_from_hex(rest + 1, data, len, why);
                if (r == 0)
                    *type = IKE_ID_KEY_ID;
                return r;
            }
            return as_string(IKE_ID_KEY_ID, rest, type, data, len, why); /* the raw bytes */
        default:
            return as_string(prefixes[i].type, rest, type, data, len, why);
        }
    }

    if (from_address(AF_INET, text, type, data, len) == 0 ||
        from_address(AF_INET6, text, type, data, len) == 0)
        return 0;
    if (strchr(text, '=')) {
        r = dn_from_text(text, data, len, why);
        if (r == 0)
            *type = IKE_ID_DER_ASN1_DN;
        return r;
    }
    if (text[0] == '@' && text[1] == '#') {
        r = key_id_from_hex(text + 2, data, len, why);
        if (r == 0)
            *type = IKE_ID_KEY_ID;
        return r;
    }
    if (text[0] == '@' && text[1] == '@')
        return as_string(IKE_ID_RFC822_ADDR, text + 2, type, data, len, why);
    if (text[0] == '@')
        return as_string(IKE_ID_FQDN, text + 1, type, data, len, why);
    return as_string(strchr(text, '@') ? IKE_ID_RFC822_ADDR : IKE_ID_FQDN, text, type, data, len,
                     why);
}

static X509_NAME *dn_parse(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509_NAME *nm;

    if (!der || len == 0 || len > LONG_MAX)
        return NULL;
    nm = d2i_X509_NAME(NULL, &p, (long)len);
    if (nm && p != der + len) {
        X509_NAME_free(nm);
        nm = NULL;
    }
    ERR_clear_error();
    return nm;
}

bool ike_id_equal(uint8_t ta, const uint8_t *a, size_t a_len, uint8_t tb, const uint8_t *b,
                  size_t b_len)
{
    if (ta != tb || (!a && a_len) || (!b && b_len))
        return false;
    switch (ta) {
    case IKE_ID_FQDN:
    case IKE_ID_RFC822_ADDR:
        if (a_len != b_len)
            return false;
        for (size_t i = 0; i < a_len; i++)
            if (g_ascii_tolower((char)a[i]) != g_ascii_tolower((char)b[i]))
                return false;
        return true;
    case IKE_ID_DER_ASN1_DN: {
        X509_NAME *na = dn_parse(a, a_len), *nb = dn_parse(b, b_len);
        bool eq = na && nb && X509_NAME_cmp(na, nb) == 0;

        X509_NAME_free(na);
        X509_NAME_free(nb);
        ERR_clear_error();
        return eq;
    }
    default:
        return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
    }
}

char *ike_id_dn_to_text(const uint8_t *dn, size_t len)
{
    /* strongSwan's notation: RDNs in certificate order, ", " between them, short names,
     * RFC 2253 escaping, UTF-8 kept */
    const unsigned long flags =
        XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    X509_NAME *nm = dn_parse(dn, len);
    BIO *bio = nm ? BIO_new(BIO_s_mem()) : NULL;
    char *p = NULL, *out = NULL;
    long n;

    if (bio && X509_NAME_print_ex(bio, nm, 0, flags) >= 0) {
        n = BIO_get_mem_data(bio, &p);
        if (n > 0)
            out = g_strndup(p, (gsize)n);
    }
    BIO_free(bio);
    X509_NAME_free(nm);
    ERR_clear_error();
    return out;
}
