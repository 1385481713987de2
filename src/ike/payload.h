/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKEv2 message codec (RFC 7296 section 3, RFC 7383 for SKF).
 *
 * Parsing never copies and never allocates: ike_msg_parse() validates the
 * header and the generic payload chain of a received datagram and records a
 * view (type, flags, body pointer, body length) of each payload in a
 * struct ike_msg.  The body of an SK/SKF payload is left as it is (IV,
 * ciphertext, ICV) for the crypto layer; once it has decrypted it and removed
 * the padding, ike_msg_parse_inner() appends the inner payloads to the same
 * struct ike_msg.  The ike_*_parse() functions then interpret one payload
 * each into small structs of views.  All views point into the buffers that
 * were parsed: those must outlive the struct ike_msg and the views.
 *
 * The parser holds no state, so tests and fuzzers call it directly.
 *
 * Building goes through struct ike_builder: it writes the header, appends
 * payloads while chaining the Next Payload fields, and fixes all lengths in
 * ike_builder_finish().
 *
 * Return values: every int-returning function returns 0 on success or a
 * negative errno-style code, listed with each function.  The common ones:
 *   -EBADMSG          malformed: a length or a value breaks RFC 7296
 *                     (answer INVALID_SYNTAX, or drop);
 *   -EPROTONOSUPPORT  an unknown payload type with the critical bit set
 *                     (answer UNSUPPORTED_CRITICAL_PAYLOAD with its type);
 *   -EPROTO           IKE major version is not 2 (INVALID_MAJOR_VERSION);
 *   -E2BIG            well formed, but more items than our fixed bounds;
 *   -EMSGSIZE         builder: a payload or the message would exceed 65535;
 *   -EINVAL           caller error (NULL, wrong payload type for the call,
 *                     argument out of range, builder used in the wrong state).
 * Out-parameters are left untouched when a function fails, except for
 * the optional struct ike_parse_error, which is only written on failure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "common/uip-ts.h"
#include "ike/ike-types.h"

/* ---- limits ---------------------------------------------------------------- */

#define IKE_MSG_MAX_PAYLOADS 64   /* outer + inner payloads kept per message */
#define IKE_TS_MAX           32   /* traffic selectors per TS payload kept (more are skipped) */
#define IKE_CP_MAX_ATTRS     256  /* attributes per CP payload kept (more are skipped) */
#define IKE_NONCE_MIN_LEN    16   /* RFC 7296 3.9 */
#define IKE_NONCE_MAX_LEN    256  /* RFC 7296 3.9 */
#define IKE_CERTREQ_HASH_LEN 20   /* SHA-1 of a CA's SubjectPublicKeyInfo */
#define IKE_PL_CRITICAL      0x80 /* critical bit in the generic payload header */

/* ---- header and message ---------------------------------------------------- */

struct ike_hdr {
    uint64_t spi_i; /* host order of the 8 wire bytes */
    uint64_t spi_r;
    uint8_t next_payload; /* type of the first payload */
    uint8_t version;      /* raw: major << 4 | minor (IKE_VERSION = 0x20) */
    uint8_t exchange;     /* IKE_SA_INIT ... */
    uint8_t flags;        /* IKE_FLAG_* */
    uint32_t msg_id;
    uint32_t length; /* whole message, header included */
};

/* A view of one payload: its body is everything after the 4-byte generic header. */
struct ike_pl {
    uint8_t type;  /* IKE_PL_* */
    uint8_t next;  /* raw Next Payload field; for SK/SKF the first inner payload type */
    bool critical; /* C bit as received (RFC 7296 says: ignore it on known types) */
    bool inner;    /* true when it came from a decrypted SK/SKF (ike_msg_parse_inner) */
    const uint8_t *body;
    size_t body_len;
};

struct ike_msg {
    struct ike_hdr hdr;
    const uint8_t *buf; /* the whole message as passed to ike_msg_parse() */
    size_t len;
    int sk;            /* index in pl[] of the SK or SKF payload, -1 if none */
    unsigned n_outer;  /* payloads from the message itself: pl[0 .. n_outer) */
    unsigned n_pl;     /* all payloads; pl[n_outer .. n_pl) are the inner ones */
    bool inner_parsed; /* ike_msg_parse_inner() has run */
    struct ike_pl pl[IKE_MSG_MAX_PAYLOADS];
};

/* Filled by the _ex parse functions on failure only. */
struct ike_parse_error {
    size_t offset; /* offset of the failing generic header in the parsed buffer, 0 = IKE header */
    uint8_t type;  /* type of the failing payload (the unknown type for -EPROTONOSUPPORT) */
};

/*
 * Decode the 28-byte IKE header of @buf without validating anything else,
 * e.g. to find the IKE SA or to answer INVALID_MAJOR_VERSION.
 * Returns 0, -EBADMSG if @len < IKE_HDR_LEN, -EINVAL on NULL arguments.
 */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *out);

/*
 * Validate and split a received message.  Checks: @len >= 28 and
 * <= IKE_MAX_MSG_LEN, major version 2, the Length field equal to @len, each
 * payload >= 4 bytes and within the message, a known payload's body at least
 * its fixed header, the chain ending exactly at the end of the message.
 * Unknown payload types are skipped (not recorded) unless their critical bit
 * is set.  An SK or SKF payload must be the last one; its body is recorded
 * undecrypted and its Next Payload field (the first inner type) in pl[].next.
 * Returns
 *   0, -EBADMSG (malformed), -EPROTO (major version != 2), -EMSGSIZE (@len
 *   > IKE_MAX_MSG_LEN), -EPROTONOSUPPORT (unknown critical payload),
 *   -E2BIG (more than IKE_MSG_MAX_PAYLOADS payloads), -EINVAL (NULL).
 */
int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *out);
int ike_msg_parse_ex(const uint8_t *buf, size_t len, struct ike_msg *out,
                     struct ike_parse_error *err);

/*
 * Append the payload chain found inside the SK payload (or inside the
 * reassembled SKF fragments) of @msg.  @plain is the decrypted content with
 * IV, padding, Pad Length and ICV already removed; @first_type is the SK
 * (or first SKF) Next Payload field.  The chain must end exactly at @len;
 * an empty chain (@first_type 0, @len 0) is fine.  SK/SKF inside SK is
 * -EBADMSG.  The new entries get inner = true.  @msg is untouched on failure.
 * Returns 0, -EBADMSG, -EPROTONOSUPPORT, -E2BIG, -EINVAL (NULL, @msg has no
 * SK/SKF), -EALREADY (called twice on @msg).
 */
int ike_msg_parse_inner(struct ike_msg *msg, uint8_t first_type, const uint8_t *plain, size_t len);
int ike_msg_parse_inner_ex(struct ike_msg *msg, uint8_t first_type, const uint8_t *plain,
                           size_t len, struct ike_parse_error *err);

/*
 * Check where each payload of @msg sits, from one table:
 *  - IKE_SA_INIT: no SK/SKF; only SA, KE, Nonce, Notify, Vendor ID, CERTREQ.
 *  - IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL: either SK/SKF alone in the
 *    clear, or no SK at all and only Notify payloads (an unprotected error
 *    such as INVALID_IKE_SPI, which the caller must not trust); inner
 *    payloads must be allowed in that exchange (e.g. IDi/AUTH/EAP in
 *    IKE_AUTH, KE in CREATE_CHILD_SA, Delete in INFORMATIONAL, SA/TS in
 *    IKE_AUTH and CREATE_CHILD_SA, CP in IKE_AUTH and INFORMATIONAL).
 * Presence or multiplicity of payloads is the state machine's business.
 * Returns 0, -EBADMSG (a payload where it may not be), -EOPNOTSUPP (an
 * exchange type other than the four of RFC 7296), -EINVAL (NULL).
 */
int ike_msg_check_placement(const struct ike_msg *msg);

/* True if a payload of @type may appear unencrypted in an IKE_SA_INIT message. */
bool ike_pl_allowed_in_clear(uint8_t type);

/* Short name of a payload type for logs ("SA", "KE", ...), "?" if unknown. */
const char *ike_pl_name(uint8_t type);

/*
 * The next payload of @type after @prev (NULL: from the start), in message
 * order (outer then inner), or NULL.
 */
const struct ike_pl *ike_msg_find(const struct ike_msg *msg, uint8_t type,
                                  const struct ike_pl *prev);

/* ---- payload interpretation (each: 0, -EBADMSG bad length/value, -EINVAL wrong type) ---- */

/*
 * SA (3.3): fills @props[0 .. *n_props).  Checks proposal/transform lengths
 * and Last Substruc values (proposal 0/2, transform 0/3) against the real
 * layout, the transform count, at least one transform, proposal numbers (the
 * first >= 1; with several proposals 1, 2, 3 ...), SPI size (IKE 0 or 8,
 * AH/ESP 4, never more than 8), attribute lengths, and the Key Length
 * attribute (TV format, at most once).
 * A peer may offer any number of proposals and transforms the message can
 * hold (strongSwan's default IKE proposal has about 50 transforms): size is
 * never an error.  Each proposal keeps only the transforms this
 * implementation supports (ike_transform_supported(); an attribute other
 * than Key Length makes a transform unsupported, RFC 7296 3.3.6), at most
 * IKE_MAX_TRANSFORMS; the rest are counted in n_skipped, and types_present /
 * unknown_type record what the proposal carried (see struct ike_proposal).
 * Only the first @max proposals are kept (*n_props <= @max); the rest are
 * validated and skipped.
 */
int ike_sa_parse(const struct ike_pl *pl, struct ike_proposal *props, unsigned max,
                 unsigned *n_props);

struct ike_ke {
    uint16_t group; /* IKE_KE_* */
    const uint8_t *data;
    size_t len; /* >= 1 */
};
int ike_ke_parse(const struct ike_pl *pl, struct ike_ke *out);

struct ike_id {
    uint8_t id_type; /* IKE_ID_* */
    const uint8_t *data;
    size_t len; /* >= 1; 4 for IPV4_ADDR, 16 for IPV6_ADDR */
};
/* IDi or IDr. */
int ike_id_parse(const struct ike_pl *pl, struct ike_id *out);

struct ike_cert {
    uint8_t encoding; /* IKE_CERT_* */
    const uint8_t *data;
    size_t len;
};
/* CERT: data >= 1 byte. */
int ike_cert_parse(const struct ike_pl *pl, struct ike_cert *out);
/*
 * CERTREQ: data may be empty; for X.509 encodings (4, 12, 13) it must be a
 * list of 20-byte SHA-1 hashes (len % IKE_CERTREQ_HASH_LEN == 0).
 */
int ike_certreq_parse(const struct ike_pl *pl, struct ike_cert *out);

struct ike_auth {
    uint8_t method; /* IKE_AUTH_* */
    const uint8_t *data;
    size_t len; /* >= 1 */
};
int ike_auth_parse(const struct ike_pl *pl, struct ike_auth *out);

struct ike_nonce {
    const uint8_t *data;
    size_t len; /* IKE_NONCE_MIN_LEN .. IKE_NONCE_MAX_LEN */
};
int ike_nonce_parse(const struct ike_pl *pl, struct ike_nonce *out);

struct ike_notify {
    uint8_t protocol; /* 0 or IKE_PROTO_* */
    uint8_t spi_size; /* 0, 4 or 8 */
    uint16_t type;    /* IKE_N_* */
    const uint8_t *spi;
    const uint8_t *data;
    size_t data_len;
};
/* spi_size must be 0, 4 or 8 and fit in the body. */
int ike_notify_parse(const struct ike_pl *pl, struct ike_notify *out);

struct ike_delete {
    uint8_t protocol; /* IKE_PROTO_IKE (no SPIs), _AH or _ESP (4-byte SPIs) */
    uint8_t spi_size;
    uint16_t n_spis;
    const uint8_t *spis; /* n_spis * spi_size bytes */
};
/* The body length must be exactly 4 + n_spis * spi_size. */
int ike_delete_parse(const struct ike_pl *pl, struct ike_delete *out);
/* The @i-th 4-byte SPI of an AH/ESP Delete, host order; 0 if out of range. */
uint32_t ike_delete_spi(const struct ike_delete *del, unsigned i);

struct ike_vendor {
    const uint8_t *data;
    size_t len; /* may be 0 */
};
int ike_vendor_parse(const struct ike_pl *pl, struct ike_vendor *out);

/*
 * TSi or TSr (3.13): fills @ts[0 .. *n) with the IPv4/IPv6 range selectors
 * (family AF_INET/AF_INET6, addresses in network order, ports host order).
 * Checks: Number of TSs >= 1 and equal to the selectors present, each
 * selector length (16 for IPv4, 40 for IPv6, >= 4 for others), start
 * address <= end address, start port <= end port unless it is the OPAQUE
 * form (65535, 0).  Well-formed selectors of other types (e.g. TS_SECLABEL)
 * are skipped and counted in *@n_skipped (may be NULL), and so are IPv4/IPv6
 * selectors past the first @max (a gateway may send any number: never an
 * error; the caller says what it left out).
 */
int ike_ts_parse(const struct ike_pl *pl, struct uip_ts *ts, unsigned max, unsigned *n,
                 unsigned *n_skipped);

struct ike_cp_attr {
    uint16_t type; /* IKE_CFG_INTERNAL_* (Reserved bit masked off) */
    uint16_t len;
    const uint8_t *value; /* NULL when len == 0 */
};
struct ike_cp {
    uint8_t cfg_type; /* IKE_CFG_REQUEST ... */
    unsigned n_attrs;
    unsigned n_skipped; /* well-formed attributes past IKE_CP_MAX_ATTRS, not kept */
    struct ike_cp_attr attrs[IKE_CP_MAX_ATTRS];
};
/*
 * CP (3.15): every attribute must fit; attributes with a fixed size in
 * RFC 7296 3.15.1 must have it (e.g. INTERNAL_IP4_ADDRESS 0 or 4,
 * INTERNAL_IP6_ADDRESS 0 or 17, INTERNAL_IP4_SUBNET 0 or 8,
 * SUPPORTED_ATTRIBUTES a multiple of 2).  Attributes past IKE_CP_MAX_ATTRS
 * are validated, not kept, and counted in n_skipped.
 */
int ike_cp_parse(const struct ike_pl *pl, struct ike_cp *out);

struct ike_eap {
    uint8_t code; /* EAP_CODE_* */
    uint8_t id;
    uint8_t type;        /* EAP_TYPE_*, 0 for Success/Failure */
    const uint8_t *data; /* type data after the type byte */
    size_t data_len;
    const uint8_t *packet; /* the whole EAP packet (code .. end) */
    size_t packet_len;
};
/*
 * EAP (3.16, RFC 3748): the EAP Length must equal the payload body length;
 * Request/Response >= 5 bytes, Success/Failure exactly 4; other codes -EBADMSG.
 */
int ike_eap_parse(const struct ike_pl *pl, struct ike_eap *out);

struct ike_sk {
    uint8_t first_type; /* Next Payload of SK/SKF: the first inner payload */
    uint16_t frag_num;  /* SKF only (1-based), 0 for SK */
    uint16_t frag_total;
    const uint8_t *enc; /* IV | ciphertext | ICV, as received */
    size_t enc_len;
};
/*
 * SK or SKF payload.  For SKF (RFC 7383 2.5): Fragment Number >= 1,
 * Total Fragments >= 1, Fragment Number <= Total Fragments.
 */
int ike_sk_parse(const struct ike_pl *pl, struct ike_sk *out);

/* ---- building -------------------------------------------------------------- */

/*
 * Message builder over a growable buffer.  Every call returns 0 or an error;
 * the first error is also kept (sticky) and returned again by
 * ike_builder_finish(), so a sequence of adds can be checked once.
 *
 * Plain message:
 *     struct ike_builder b;
 *     ike_builder_init(&b, spi_i, spi_r, IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
 *     ike_build_sa(&b, props, n);  ike_build_ke(&b, ...);  ike_build_nonce(&b, ...);
 *     if (ike_builder_finish(&b) == 0) send(ike_builder_data(&b), ike_builder_len(&b));
 *     ike_builder_clear(&b);
 *
 * Encrypted message (the crypto layer owns padding, encryption and ICV):
 *     ike_builder_init(&b, ..., IKE_AUTH, ..., 1);
 *     ike_builder_sk_begin(&b, iv_len);    SK header + iv_len zero bytes
 *     ike_build_id(&b, IKE_PL_IDI, ...);   inner payloads, chained from the
 *     ike_build_auth(&b, ...);             SK Next Payload field
 *     ike_builder_sk_end(&b, &region);     no more payloads after this
 *     crypto: ike_builder_append(&b, NULL, pad_len + 1 + icv_len, &off) and
 *             write the padding and Pad Length at off
 *     ike_builder_finish(&b);              SK length and message length now final
 *     crypto: fill the IV at region.iv_off, encrypt
 *             [region.plain_off, len - icv_len) in place (AEAD: the AAD is
 *             [0, region.iv_off)), compute the ICV over [0, len - icv_len)
 *             and write it at len - icv_len.
 * The lengths never change after finish(), so in-place encryption and the
 * ICV see the final header.
 *
 * Fragment (RFC 7383): build the inner chain once with
 * ike_builder_init_chain(), then for each fragment ike_builder_init() +
 * ike_builder_skf_begin() + ike_builder_append() of a slice + sk_end(), and
 * go on as above.
 *
 * Plain inner chain (no IKE header, e.g. for fragmentation or tests):
 * ike_builder_init_chain(); ike_build_*(); ike_builder_finish();
 * ike_builder_first_type() gives the type for the SK Next Payload field.
 */
struct ike_builder {
    GByteArray *buf;
    size_t next_off; /* byte to patch with the next payload's type, SIZE_MAX = none */
    size_t sk_off;   /* SK/SKF generic header, SIZE_MAX = none */
    size_t iv_len;   /* IV room reserved by sk_begin/skf_begin */
    uint8_t first_type;
    bool has_header;
    bool in_sk;     /* after sk_begin, before sk_end */
    bool sk_closed; /* after sk_end: only ike_builder_append() */
    bool skf;       /* the open SK is an SKF: only raw appends inside */
    int err;        /* first error, sticky */
};

struct ike_sk_region {
    size_t sk_off;    /* the SK/SKF generic header */
    size_t iv_off;    /* IV: after the SK header (and the SKF fragment fields) */
    size_t plain_off; /* first inner byte = iv_off + iv_len */
    size_t plain_end; /* one past the last inner byte */
};

/* Start a message with the header; Next Payload and Length are filled later. */
void ike_builder_init(struct ike_builder *b, uint64_t spi_i, uint64_t spi_r, uint8_t exchange,
                      uint8_t flags, uint32_t msg_id);
/* Start a bare payload chain (no IKE header). */
void ike_builder_init_chain(struct ike_builder *b);
/* Wipe (inner plaintext) and free the buffer; fine after steal() or on a zeroed struct. */
void ike_builder_clear(struct ike_builder *b);

/*
 * Set the message length and, if an SK/SKF was opened, its payload length
 * (both running to the end of the buffer).  Returns the sticky error, or
 * -EMSGSIZE above IKE_MAX_MSG_LEN, -EINVAL if an SK is still open (no
 * sk_end).  May be called again after more appends.
 */
int ike_builder_finish(struct ike_builder *b);
uint8_t *ike_builder_data(const struct ike_builder *b);
size_t ike_builder_len(const struct ike_builder *b);
/* First payload type of the chain (what goes in the header or SK Next Payload). */
uint8_t ike_builder_first_type(const struct ike_builder *b);
/* Take the buffer; the builder is left empty. */
GByteArray *ike_builder_steal(struct ike_builder *b);

/*
 * Append any payload: generic header (C bit from @critical) + @body.
 * Returns 0, -EMSGSIZE (body > 65531 or message too long), -EINVAL (inside
 * an SKF, after sk_end, or after an earlier error: then that error).
 */
int ike_builder_add(struct ike_builder *b, uint8_t type, bool critical, const uint8_t *body,
                    size_t len);

/*
 * Open an SK payload: its generic header + @iv_len zero bytes for the IV.
 * Payloads added next are its inner chain.  -EINVAL if an SK was already
 * opened or on a chain builder, -EMSGSIZE.
 */
int ike_builder_sk_begin(struct ike_builder *b, size_t iv_len);
/*
 * Open an SKF payload (RFC 7383) with @frag_num of @frag_total; @first_type
 * is written for fragment 1, 0 otherwise.  Then only ike_builder_append().
 * -EINVAL for bad numbers or the same states as sk_begin.
 */
int ike_builder_skf_begin(struct ike_builder *b, uint16_t frag_num, uint16_t frag_total,
                          uint8_t first_type, size_t iv_len);
/* Close the inner chain and report the offsets.  -EINVAL if no SK is open. */
int ike_builder_sk_end(struct ike_builder *b, struct ike_sk_region *out);
/*
 * Append @len raw bytes (@data, or zeros if NULL); *@off (may be NULL) gets
 * where they start.  Allowed inside an SKF and after sk_end (padding, ICV).
 * -EINVAL elsewhere, -EMSGSIZE.
 */
int ike_builder_append(struct ike_builder *b, const uint8_t *data, size_t len, size_t *off);

/*
 * Payload builders: same structs as the parsers; each returns 0 or -EINVAL
 * (values the parser would reject), -EMSGSIZE, or the sticky error.
 */
int ike_build_sa(struct ike_builder *b, const struct ike_proposal *props, unsigned n);
int ike_build_ke(struct ike_builder *b, uint16_t group, const uint8_t *data, size_t len);
int ike_build_nonce(struct ike_builder *b, const uint8_t *data, size_t len);
/* @type: IKE_PL_IDI or IKE_PL_IDR. */
int ike_build_id(struct ike_builder *b, uint8_t type, uint8_t id_type, const uint8_t *data,
                 size_t len);
int ike_build_auth(struct ike_builder *b, uint8_t method, const uint8_t *data, size_t len);
/* @spi_len 0, 4 or 8. */
int ike_build_notify(struct ike_builder *b, uint8_t protocol, const uint8_t *spi, uint8_t spi_len,
                     uint16_t notify_type, const uint8_t *data, size_t len);
/* IKE: @n 0 and @spis NULL; AH/ESP: @n SPIs in host order. */
int ike_build_delete(struct ike_builder *b, uint8_t protocol, const uint32_t *spis, unsigned n);
/* @type: IKE_PL_TSI or IKE_PL_TSR; 1..255 selectors of family AF_INET/AF_INET6. */
int ike_build_ts(struct ike_builder *b, uint8_t type, const struct uip_ts *ts, unsigned n);
int ike_build_cp(struct ike_builder *b, uint8_t cfg_type, const struct ike_cp_attr *attrs,
                 unsigned n);
/*
 * EAP packet with code/id; Request/Response carry @eap_type + @data,
 * Success/Failure neither (@eap_type and @len must be 0).
 */
int ike_build_eap(struct ike_builder *b, uint8_t code, uint8_t id, uint8_t eap_type,
                  const uint8_t *data, size_t len);
/* @type: IKE_PL_CERT or IKE_PL_CERTREQ. */
int ike_build_cert(struct ike_builder *b, uint8_t type, uint8_t encoding, const uint8_t *data,
                   size_t len);
int ike_build_vendor(struct ike_builder *b, const uint8_t *data, size_t len);
