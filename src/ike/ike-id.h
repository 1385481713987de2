/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE identities (RFC 7296 3.5) from text in strongSwan's syntax, and their
 * comparison:
 *
 *   192.0.2.1, 2001:db8::1     IKE_ID_IPV4_ADDR / IKE_ID_IPV6_ADDR
 *   C=DE, O=Example, CN=gw     IKE_ID_DER_ASN1_DN (any text with '='; RDNs
 *   /C=DE/O=Example/CN=gw        separated by ',', or by '/' when the text
 *                                starts with one; '\' escapes the next
 *                                character; PrintableString when the value
 *                                allows it, else UTF8String, as strongSwan)
 *   @vpn.example.com           IKE_ID_FQDN "vpn.example.com"
 *   user@example.com           IKE_ID_RFC822_ADDR
 *   @@user@example.com         IKE_ID_RFC822_ADDR "user@example.com" (forced)
 *   @#0123abcd                 IKE_ID_KEY_ID, the bytes of the hex digits
 *   vpn.example.com            IKE_ID_FQDN (anything else)
 *
 * strongSwan's type prefixes are taken too: "fqdn:", "dns:", "email:",
 * "rfc822:", "userfqdn:", "ipv4:", "ipv6:", "asn1dn:" and "keyid:" (raw
 * bytes, or "#hex").  No wildcards, no "%any".
 *
 * Every int function returns 0 or a negative errno-style code; out-parameters
 * are untouched on failure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_ID_TEXT_MAX 255 /* bytes of text; the DER of a DN may be longer */

/*
 * Parse @text: *@type gets the IKE_ID_* type, *@data (g_free) the
 * identification data of *@len bytes (>= 1).  @why (may be NULL) gets a
 * static English reason on failure.
 * Returns 0, -EINVAL (NULL, empty or longer than IKE_ID_TEXT_MAX, nothing
 * after "@" / "@@" / a prefix, bad hex after "@#", a DN that does not parse:
 * an unknown attribute, an empty value, no '=' in an RDN; an address after
 * "ipv4:" / "ipv6:" that is not one), -ENOMEM.
 */
int ike_id_from_text(const char *text, uint8_t *type, uint8_t **data, size_t *len,
                     const char **why);

/*
 * Do the identities (@ta, @a) and (@tb, @b) name the same thing: the same
 * type and data equal, ASCII case-insensitively for IKE_ID_FQDN and
 * IKE_ID_RFC822_ADDR, as X509_NAME_cmp() for IKE_ID_DER_ASN1_DN (string
 * types, case and blanks do not matter: OpenSSL's canonical form), byte for
 * byte otherwise.  A DN that does not parse equals nothing.
 */
bool ike_id_equal(uint8_t ta, const uint8_t *a, size_t a_len, uint8_t tb, const uint8_t *b,
                  size_t b_len);

/*
 * A DER DN (IKE_ID_DER_ASN1_DN data) as text in strongSwan's notation, in
 * the order of the DER ("C=DE, O=Example, CN=gw"; ',' '+' '\' escaped with
 * '\'); ike_id_from_text() reads it back to an equal DN.  g_free() it; NULL
 * when @dn does not parse.
 */
char *ike_id_dn_to_text(const uint8_t *dn, size_t len);
