/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKEv2 message codec: RFC 7296 section 3, RFC 7383 (SKF).
 *
 * Flow of a received datagram (IKE marker already stripped by the caller):
 *   ike_msg_parse()        header checks, then the generic payload chain: each
 *                          length checked against what is left, known types
 *                          checked for their fixed header size through
 *                          pl_table[], unknown ones skipped or refused
 *                          (critical), SK/SKF must end the message and stays
 *                          encrypted.  Views only, nothing copied.
 *   (crypto layer)         checks the ICV, decrypts SK, strips the padding
 *   ike_msg_parse_inner()  the same walk over the plaintext, appended as inner
 *   ike_msg_check_placement()  pl_table[] again: which payload may sit where
 *   ike_*_parse()          one payload each into a struct of views, with every
 *                          substructure length and value checked
 * and only then does the state machine look at the content.
 *
 * Building goes the other way: struct ike_builder appends payloads to a
 * GByteArray, patching the previous Next Payload field with the new type and
 * each payload's length when it is complete; ike_builder_finish() writes the
 * message length (and the SK length, once the crypto layer appended padding
 * and ICV room).
 *
 * No logging here: the caller logs a rejected message once with the error
 * code and struct ike_parse_error, and counts the rest.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"
#include "ike/payload.h"
#include "ike/proposal.h"

/* ---- the one payload table --------------------------------------------------- */

/* Exchanges, as bits */
enum {
    X_INIT = 1 << 0,
    X_AUTH = 1 << 1,
    X_CCSA = 1 << 2,
    X_INFO = 1 << 3,
    X_PROTECTED = X_AUTH | X_CCSA | X_INFO,
};

struct pl_desc {
    const char *name;
    uint8_t min_body; /* fixed part of the body */
    uint8_t clear;    /* exchanges where it may be outside SK */
    uint8_t inner;    /* exchanges where it may be inside SK */
};

#define PL_FIRST IKE_PL_SA
#define PL_LAST  IKE_PL_SKF

static const struct pl_desc pl_table[PL_LAST - PL_FIRST + 1] = {
    [IKE_PL_SA - PL_FIRST] = {"SA", 8, X_INIT, X_AUTH | X_CCSA},
    [IKE_PL_KE - PL_FIRST] = {"KE", 4, X_INIT, X_CCSA},
    [IKE_PL_IDI - PL_FIRST] = {"IDi", 4, 0, X_AUTH},
    [IKE_PL_IDR - PL_FIRST] = {"IDr", 4, 0, X_AUTH},
    [IKE_PL_CERT - PL_FIRST] = {"CERT", 1, 0, X_AUTH},
    [IKE_PL_CERTREQ - PL_FIRST] = {"CERTREQ", 1, X_INIT, X_AUTH},
    [IKE_PL_AUTH - PL_FIRST] = {"AUTH", 4, 0, X_AUTH},
    [IKE_PL_NONCE - PL_FIRST] = {"Ni/Nr", 0, X_INIT, X_CCSA},
    [IKE_PL_NOTIFY - PL_FIRST] = {"N", 4, X_INIT, X_PROTECTED},
    [IKE_PL_DELETE - PL_FIRST] = {"D", 4, 0, X_INFO},
    [IKE_PL_VENDOR - PL_FIRST] = {"V", 0, X_INIT, X_PROTECTED},
    [IKE_PL_TSI - PL_FIRST] = {"TSi", 4, 0, X_AUTH | X_CCSA},
    [IKE_PL_TSR - PL_FIRST] = {"TSr", 4, 0, X_AUTH | X_CCSA},
    [IKE_PL_SK - PL_FIRST] = {"SK", 0, X_PROTECTED, 0},
    [IKE_PL_CP - PL_FIRST] = {"CP", 4, 0, X_AUTH | X_INFO},
    [IKE_PL_EAP - PL_FIRST] = {"EAP", 4, 0, X_AUTH},
    [IKE_PL_SKF - PL_FIRST] = {"SKF", 4, X_PROTECTED, 0},
};

static const struct pl_desc *pl_desc(uint8_t type)
{
    if (type < PL_FIRST || type > PL_LAST || !pl_table[type - PL_FIRST].name)
        return NULL;
    return &pl_table[type - PL_FIRST];
}

static unsigned exchange_bit(uint8_t exchange)
{
    switch (exchange) {
    case IKE_SA_INIT:
        return X_INIT;
    case IKE_AUTH:
        return X_AUTH;
    case IKE_CREATE_CHILD_SA:
        return X_CCSA;
    case IKE_INFORMATIONAL:
        return X_INFO;
    default:
        return 0;
    }
}

const char *ike_pl_name(uint8_t type)
{
    const struct pl_desc *d = pl_desc(type);
    return d ? d->name : "?";
}

bool ike_pl_allowed_in_clear(uint8_t type)
{
    const struct pl_desc *d = pl_desc(type);
    return d && (d->clear & X_INIT);
}

static bool is_sk(uint8_t type)
{
    return type == IKE_PL_SK || type == IKE_PL_SKF;
}

/* ---- message parsing --------------------------------------------------------- */

static int set_err(struct ike_parse_error *err, int r, size_t offset, uint8_t type)
{
    if (err) {
        err->offset = offset;
        err->type = type;
    }
    return r;
}

/*
 * Walk a generic payload chain starting with @type over buf[pos, end).
 * Recorded views go to @pl (at most @max); *@sk gets the index of SK/SKF.
 */
static int walk_chain(uint8_t type, const uint8_t *buf, size_t pos, size_t end, bool inner,
                      struct ike_pl *pl, unsigned max, unsigned *n, int *sk,
                      struct ike_parse_error *err)
{
    unsigned count = 0;

    while (type != IKE_PL_NONE) {
        const uint8_t *p = buf + pos;
        const struct pl_desc *d = pl_desc(type);

        if (end - pos < IKE_GENERIC_HDR_LEN)
            return set_err(err, -EBADMSG, pos, type); /* chain runs past the end */

        uint8_t next = p[0];
        bool critical = (p[1] & IKE_PL_CRITICAL) != 0;
        size_t plen = uip_get16(p + 2);

        if (plen < IKE_GENERIC_HDR_LEN || plen > end - pos)
            return set_err(err, -EBADMSG, pos, type);
        if (!d) {
            if (critical)
                return set_err(err, -EPROTONOSUPPORT, pos, type);
            pos += plen; /* RFC 7296 3.2: skip, go on with its Next Payload */
            type = next;
            continue;
        }
        if (plen - IKE_GENERIC_HDR_LEN < d->min_body)
            return set_err(err, -EBADMSG, pos, type);
        if (is_sk(type) && (inner || pos + plen != end))
            return set_err(err, -EBADMSG, pos, type); /* nested, or not last */
        if (count == max)
            return set_err(err, -E2BIG, pos, type);
        pl[count] = (struct ike_pl){
            .type = type,
            .next = next,
            .critical = critical,
            .inner = inner,
            .body = p + IKE_GENERIC_HDR_LEN,
            .body_len = plen - IKE_GENERIC_HDR_LEN,
        };
        pos += plen;
        if (is_sk(type)) {
            *sk = (int)count;
            count++;
            break; /* its Next Payload is the first inner payload */
        }
        count++;
        type = next;
    }
    if (pos != end)
        return set_err(err, -EBADMSG, pos, type); /* bytes after the last payload */
    *n = count;
    return 0;
}

int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *out)
{
    if (!buf || !out)
        return -EINVAL;
    if (len < IKE_HDR_LEN)
        return -EBADMSG;
    out->spi_i = uip_get64(buf);
    out->spi_r = uip_get64(buf + 8);
    out->next_payload = buf[16];
    out->version = buf[17];
    out->exchange = buf[18];
    out->flags = buf[19];
    out->msg_id = uip_get32(buf + 20);
    out->length = uip_get32(buf + 24);
    return 0;
}

int ike_msg_parse_ex(const uint8_t *buf, size_t len, struct ike_msg *out,
                     struct ike_parse_error *err)
{
    struct ike_msg m;
    int r;

    if (!buf || !out)
        return -EINVAL;
    if (len < IKE_HDR_LEN)
        return set_err(err, -EBADMSG, 0, 0);
    if ((buf[17] >> 4) != (IKE_VERSION >> 4))
        return set_err(err, -EPROTO, 0, 0);
    if (len > IKE_MAX_MSG_LEN)
        return set_err(err, -EMSGSIZE, 0, 0);
    if (uip_get32(buf + 24) != len)
        return set_err(err, -EBADMSG, 0, 0);

    ike_hdr_parse(buf, len, &m.hdr);
    m.buf = buf;
    m.len = len;
    m.sk = -1;
    m.inner_parsed = false;
    r = walk_chain(m.hdr.next_payload, buf, IKE_HDR_LEN, len, false, m.pl, IKE_MSG_MAX_PAYLOADS,
                   &m.n_outer, &m.sk, err);
    if (r < 0)
        return r;
    m.n_pl = m.n_outer;
    memcpy(out, &m, offsetof(struct ike_msg, pl) + m.n_pl * sizeof(m.pl[0]));
    return 0;
}

int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *out)
{
    return ike_msg_parse_ex(buf, len, out, NULL);
}

int ike_msg_parse_inner_ex(struct ike_msg *msg, uint8_t first_type, const uint8_t *plain,
                           size_t len, struct ike_parse_error *err)
{
    struct ike_pl pl[IKE_MSG_MAX_PAYLOADS];
    unsigned n = 0;
    int sk = -1, r;
    static const uint8_t empty[1];

    if (!msg || (!plain && len > 0) || msg->n_pl > IKE_MSG_MAX_PAYLOADS)
        return -EINVAL;
    if (msg->sk < 0)
        return -EINVAL;
    if (msg->inner_parsed)
        return -EALREADY;
    r = walk_chain(first_type, plain ? plain : empty, 0, len, true, pl,
                   IKE_MSG_MAX_PAYLOADS - msg->n_pl, &n, &sk, err);
    if (r < 0)
        return r;
    memcpy(&msg->pl[msg->n_pl], pl, n * sizeof(pl[0]));
    msg->n_pl += n;
    msg->inner_parsed = true;
    return 0;
}

int ike_msg_parse_inner(struct ike_msg *msg, uint8_t first_type, const uint8_t *plain, size_t len)
{
    return ike_msg_parse_inner_ex(msg, first_type, plain, len, NULL);
}

int ike_msg_check_placement(const struct ike_msg *msg)
{
    unsigned x;

    if (!msg || msg->n_pl > IKE_MSG_MAX_PAYLOADS || msg->n_outer > msg->n_pl)
        return -EINVAL;
    x = exchange_bit(msg->hdr.exchange);
    if (!x)
        return -EOPNOTSUPP;

    for (unsigned i = 0; i < msg->n_pl; i++) {
        const struct ike_pl *p = &msg->pl[i];
        const struct pl_desc *d = pl_desc(p->type);

        if (!d)
            return -EBADMSG; /* not produced by the parser */
        if (p->inner) {
            if (!(d->inner & x))
                return -EBADMSG;
        } else if (x == X_INIT) {
            if (!(d->clear & X_INIT))
                return -EBADMSG;
        } else if (msg->sk >= 0) {
            /* protected exchange: the SK/SKF stands alone in the clear */
            if (msg->n_outer != 1 || !(d->clear & x))
                return -EBADMSG;
        } else if (p->type != IKE_PL_NOTIFY) {
            return -EBADMSG; /* only an unprotected error notification */
        }
    }
    return 0;
}

const struct ike_pl *ike_msg_find(const struct ike_msg *msg, uint8_t type,
                                  const struct ike_pl *prev)
{
    size_t i = 0;

    if (!msg)
        return NULL;
    if (prev) {
        if (prev < msg->pl || prev >= msg->pl + msg->n_pl)
            return NULL;
        i = (size_t)(prev - msg->pl) + 1;
    }
    for (; i < msg->n_pl && i < IKE_MSG_MAX_PAYLOADS; i++)
        if (msg->pl[i].type == type)
            return &msg->pl[i];
    return NULL;
}

/* ---- payload interpretation -------------------------------------------------- */

static bool pl_is(const struct ike_pl *pl, uint8_t type)
{
    return pl && pl->type == type && (pl->body || pl->body_len == 0);
}

static bool spi_size_ok(uint8_t protocol, unsigned spi_size)
{
    switch (protocol) {
    case IKE_PROTO_IKE:
        return spi_size == 0 || spi_size == 8;
    case IKE_PROTO_AH:
    case IKE_PROTO_ESP:
        return spi_size == 4;
    default:
        return spi_size <= 8;
    }
}

/* One transform's attributes: t[8 .. tlen). */
static int sa_attrs(const uint8_t *a, size_t left, struct ike_transform *tr)
{
    bool have_keylen = false;

    while (left > 0) {
        uint16_t type, value;
        size_t alen;

        if (left < 4)
            return -EBADMSG;
        type = uip_get16(a);
        if (type & IKE_ATTR_AF_TV) {
            alen = 4;
            value = uip_get16(a + 2);
        } else {
            alen = 4 + (size_t)uip_get16(a + 2);
            value = 0;
            if (alen > left)
                return -EBADMSG;
        }
        type &= (uint16_t)~IKE_ATTR_AF_TV;
        if (type == IKE_ATTR_KEY_LENGTH) {
            /* TV only (RFC 7296 3.3.5), once, and non-zero */
            if (alen != 4 || !(uip_get16(a) & IKE_ATTR_AF_TV) || have_keylen || value == 0)
                return -EBADMSG;
            have_keylen = true;
            tr->keylen = value;
        } else {
            tr->unknown_attr = true;
        }
        a += alen;
        left -= alen;
    }
    return 0;
}

/*
 * One proposal's transforms: validate all, keep in @prop (if not NULL) those
 * we support, count and remember the others (struct ike_proposal).
 */
static int sa_transforms(const uint8_t *t, size_t left, unsigned n_expected,
                         struct ike_proposal *prop)
{
    unsigned count = 0;
    int r;

    while (left > 0) {
        struct ike_transform tr = {0};
        size_t tlen;

        if (left < 8)
            return -EBADMSG;
        tlen = uip_get16(t + 2);
        if (tlen < 8 || tlen > left)
            return -EBADMSG;
        if (t[0] == IKE_SUBSTRUC_LAST) {
            if (tlen != left)
                return -EBADMSG; /* "last" with more bytes after it */
        } else if (t[0] == IKE_SUBSTRUC_MORE_TRANSFORMS) {
            if (tlen == left)
                return -EBADMSG; /* "more" but nothing follows */
        } else {
            return -EBADMSG;
        }
        tr.type = t[4];
        tr.id = uip_get16(t + 6);
        r = sa_attrs(t + 8, tlen - 8, &tr);
        if (r < 0)
            return r;
        if (prop) {
            if (tr.type < IKE_TRANS_ENCR || tr.type > IKE_TRANS_ESN) {
                prop->unknown_type = true;
                prop->n_skipped++;
            } else {
                prop->types_present |= IKE_TRANS_BIT(tr.type);
                if (!tr.unknown_attr && prop->n_transforms < IKE_MAX_TRANSFORMS &&
                    ike_transform_supported(tr.type, tr.id, tr.keylen))
                    prop->transforms[prop->n_transforms++] = tr;
                else
                    prop->n_skipped++;
            }
        }
        count++;
        t += tlen;
        left -= tlen;
    }
    if (count == 0 || count != n_expected)
        return -EBADMSG;
    return 0;
}

/* Validate (@props NULL) or fill the first @max proposals of an SA body. */
static int sa_walk(const uint8_t *p, size_t left, struct ike_proposal *props, unsigned max,
                   unsigned *n_out)
{
    unsigned count = 0;
    uint8_t first_num = 0, prev_num = 0;
    int r;

    if (left == 0)
        return -EBADMSG;
    while (left > 0) {
        struct ike_proposal *prop = NULL;
        size_t plen;
        uint8_t num, proto, spi_size, n_tr;

        if (left < 8)
            return -EBADMSG;
        plen = uip_get16(p + 2);
        num = p[4];
        proto = p[5];
        spi_size = p[6];
        n_tr = p[7];
        if (plen < 8 || plen > left)
            return -EBADMSG;
        if (p[0] == IKE_SUBSTRUC_LAST) {
            if (plen != left)
                return -EBADMSG;
        } else if (p[0] == IKE_SUBSTRUC_MORE_PROPOSALS) {
            if (plen == left)
                return -EBADMSG;
        } else {
            return -EBADMSG;
        }
        /* RFC 7296 3.3.1: first 1, then +1 each; a reply carries one, the accepted number */
        if (num == 0)
            return -EBADMSG;
        if (count == 0) {
            first_num = num;
        } else if (first_num != 1 || num != prev_num + 1) {
            return -EBADMSG;
        }
        prev_num = num;
        if (!spi_size_ok(proto, spi_size) || 8 + (size_t)spi_size > plen)
            return -EBADMSG;
        if (props && count < max) {
            prop = &props[count];
            memset(prop, 0, sizeof(*prop));
            prop->num = num;
            prop->protocol = proto;
            prop->spi_len = spi_size;
            memcpy(prop->spi, p + 8, spi_size);
        }
        r = sa_transforms(p + 8 + spi_size, plen - 8 - spi_size, n_tr, prop);
        if (r < 0)
            return r;
        count++;
        p += plen;
        left -= plen;
    }
    *n_out = count < max ? count : max;
    return 0;
}

int ike_sa_parse(const struct ike_pl *pl, struct ike_proposal *props, unsigned max,
                 unsigned *n_props)
{
    unsigned n;
    int r;

    if (!pl_is(pl, IKE_PL_SA) || !props || !n_props)
        return -EINVAL;
    r = sa_walk(pl->body, pl->body_len, NULL, max, &n);
    if (r < 0)
        return r;
    sa_walk(pl->body, pl->body_len, props, max, &n);
    *n_props = n;
    return 0;
}

int ike_ke_parse(const struct ike_pl *pl, struct ike_ke *out)
{
    if (!pl_is(pl, IKE_PL_KE) || !out)
        return -EINVAL;
    if (pl->body_len < 5 || uip_get16(pl->body) == IKE_KE_NONE)
        return -EBADMSG;
    out->group = uip_get16(pl->body);
    out->data = pl->body + 4;
    out->len = pl->body_len - 4;
    return 0;
}

int ike_id_parse(const struct ike_pl *pl, struct ike_id *out)
{
    size_t len;

    if (!pl || (!pl_is(pl, IKE_PL_IDI) && !pl_is(pl, IKE_PL_IDR)) || !out)
        return -EINVAL;
    if (pl->body_len < 5 || pl->body[0] == 0)
        return -EBADMSG;
    len = pl->body_len - 4;
    if ((pl->body[0] == IKE_ID_IPV4_ADDR && len != 4) ||
        (pl->body[0] == IKE_ID_IPV6_ADDR && len != 16))
        return -EBADMSG;
    out->id_type = pl->body[0];
    out->data = pl->body + 4;
    out->len = len;
    return 0;
}

int ike_cert_parse(const struct ike_pl *pl, struct ike_cert *out)
{
    if (!pl_is(pl, IKE_PL_CERT) || !out)
        return -EINVAL;
    if (pl->body_len < 2)
        return -EBADMSG;
    out->encoding = pl->body[0];
    out->data = pl->body + 1;
    out->len = pl->body_len - 1;
    return 0;
}

static bool certreq_hash_list(uint8_t encoding)
{
    return encoding == IKE_CERT_X509_SIG || encoding == IKE_CERT_HASH_URL_X509 ||
           encoding == IKE_CERT_HASH_URL_BUNDLE;
}

int ike_certreq_parse(const struct ike_pl *pl, struct ike_cert *out)
{
    if (!pl_is(pl, IKE_PL_CERTREQ) || !out)
        return -EINVAL;
    if (pl->body_len < 1)
        return -EBADMSG;
    if (certreq_hash_list(pl->body[0]) && (pl->body_len - 1) % IKE_CERTREQ_HASH_LEN != 0)
        return -EBADMSG;
    out->encoding = pl->body[0];
    out->data = pl->body + 1;
    out->len = pl->body_len - 1;
    return 0;
}

int ike_auth_parse(const struct ike_pl *pl, struct ike_auth *out)
{
    if (!pl_is(pl, IKE_PL_AUTH) || !out)
        return -EINVAL;
    if (pl->body_len < 5 || pl->body[0] == 0)
        return -EBADMSG;
    out->method = pl->body[0];
    out->data = pl->body + 4;
    out->len = pl->body_len - 4;
    return 0;
}

int ike_nonce_parse(const struct ike_pl *pl, struct ike_nonce *out)
{
    if (!pl_is(pl, IKE_PL_NONCE) || !out)
        return -EINVAL;
    if (pl->body_len < IKE_NONCE_MIN_LEN || pl->body_len > IKE_NONCE_MAX_LEN)
        return -EBADMSG;
    out->data = pl->body;
    out->len = pl->body_len;
    return 0;
}

int ike_notify_parse(const struct ike_pl *pl, struct ike_notify *out)
{
    uint8_t spi_size;

    if (!pl_is(pl, IKE_PL_NOTIFY) || !out)
        return -EINVAL;
    if (pl->body_len < 4)
        return -EBADMSG;
    spi_size = pl->body[1];
    if ((spi_size != 0 && spi_size != 4 && spi_size != 8) || 4 + (size_t)spi_size > pl->body_len)
        return -EBADMSG;
    out->protocol = pl->body[0];
    out->spi_size = spi_size;
    out->type = uip_get16(pl->body + 2);
    out->spi = spi_size ? pl->body + 4 : NULL;
    out->data = pl->body + 4 + spi_size;
    out->data_len = pl->body_len - 4 - spi_size;
    return 0;
}

int ike_delete_parse(const struct ike_pl *pl, struct ike_delete *out)
{
    uint8_t proto, spi_size;
    uint16_t n;

    if (!pl_is(pl, IKE_PL_DELETE) || !out)
        return -EINVAL;
    if (pl->body_len < 4)
        return -EBADMSG;
    proto = pl->body[0];
    spi_size = pl->body[1];
    n = uip_get16(pl->body + 2);
    switch (proto) {
    case IKE_PROTO_IKE:
        if (spi_size != 0)
            return -EBADMSG;
        break;
    case IKE_PROTO_AH:
    case IKE_PROTO_ESP:
        if (spi_size != 4)
            return -EBADMSG;
        break;
    default:
        return -EBADMSG;
    }
    if (pl->body_len != 4 + (size_t)spi_size * n)
        return -EBADMSG;
    out->protocol = proto;
    out->spi_size = spi_size;
    out->n_spis = n;
    out->spis = pl->body + 4;
    return 0;
}

uint32_t ike_delete_spi(const struct ike_delete *del, unsigned i)
{
    if (!del || del->spi_size != 4 || i >= del->n_spis)
        return 0;
    return uip_get32(del->spis + 4 * (size_t)i);
}

int ike_vendor_parse(const struct ike_pl *pl, struct ike_vendor *out)
{
    if (!pl_is(pl, IKE_PL_VENDOR) || !out)
        return -EINVAL;
    out->data = pl->body;
    out->len = pl->body_len;
    return 0;
}

static bool ports_ok(uint16_t start, uint16_t end)
{
    return start <= end || (start == 0xffff && end == 0); /* OPAQUE */
}

/* Validate (@ts NULL) or fill the selectors of a TS body. */
static int ts_walk(const uint8_t *p, size_t left, struct uip_ts *ts, unsigned max, unsigned *n_out,
                   unsigned *n_skip_out)
{
    unsigned count, found = 0, n = 0, skipped = 0;

    if (left < 4)
        return -EBADMSG;
    count = p[0];
    if (count == 0)
        return -EBADMSG;
    p += 4;
    left -= 4;
    while (left > 0) {
        size_t slen, alen;
        int family;

        if (left < 4)
            return -EBADMSG;
        slen = uip_get16(p + 2);
        if (slen < 4 || slen > left)
            return -EBADMSG;
        switch (p[0]) {
        case IKE_TS_IPV4_ADDR_RANGE:
            family = AF_INET;
            alen = 4;
            break;
        case IKE_TS_IPV6_ADDR_RANGE:
            family = AF_INET6;
            alen = 16;
            break;
        default:
            family = 0;
            alen = 0;
            break;
        }
        if (family) {
            if (slen != 8 + 2 * alen)
                return -EBADMSG;
            if (!ports_ok(uip_get16(p + 4), uip_get16(p + 6)))
                return -EBADMSG;
            if (memcmp(p + 8, p + 8 + alen, alen) > 0)
                return -EBADMSG;
            if (ts && n < max) {
                struct uip_ts *t = &ts[n];
                memset(t, 0, sizeof(*t));
                t->family = (uint8_t)family;
                t->proto = p[1];
                t->port_start = uip_get16(p + 4);
                t->port_end = uip_get16(p + 6);
                memcpy(t->start, p + 8, alen);
                memcpy(t->end, p + 8 + alen, alen);
            }
            n++;
        } else {
            skipped++;
        }
        found++;
        p += slen;
        left -= slen;
    }
    if (found != count)
        return -EBADMSG;
    *n_out = n;
    *n_skip_out = skipped;
    return 0;
}

int ike_ts_parse(const struct ike_pl *pl, struct uip_ts *ts, unsigned max, unsigned *n,
                 unsigned *n_skipped)
{
    unsigned count, skipped;
    int r;

    if (!pl || (!pl_is(pl, IKE_PL_TSI) && !pl_is(pl, IKE_PL_TSR)) || !ts || !n)
        return -EINVAL;
    r = ts_walk(pl->body, pl->body_len, NULL, max, &count, &skipped);
    if (r < 0)
        return r;
    ts_walk(pl->body, pl->body_len, ts, max, &count, &skipped);
    *n = MIN(count, max);
    if (n_skipped)
        *n_skipped = skipped + (count - *n);
    return 0;
}

/* RFC 7296 3.15.1 (and RFC 8598) sizes for the attributes that have a fixed one. */
static bool cp_attr_len_ok(uint16_t type, size_t len)
{
    switch (type) {
    case IKE_CFG_INTERNAL_IP4_ADDRESS:
    case IKE_CFG_INTERNAL_IP4_NETMASK:
    case IKE_CFG_INTERNAL_IP4_DNS:
    case IKE_CFG_INTERNAL_IP4_NBNS:
    case IKE_CFG_INTERNAL_IP4_DHCP:
        return len == 0 || len == 4;
    case IKE_CFG_INTERNAL_IP6_ADDRESS:
    case IKE_CFG_INTERNAL_IP6_SUBNET:
        return len == 0 || len == 17;
    case IKE_CFG_INTERNAL_IP6_DNS:
    case IKE_CFG_INTERNAL_IP6_DHCP:
        return len == 0 || len == 16;
    case IKE_CFG_INTERNAL_IP4_SUBNET:
        return len == 0 || len == 8;
    case IKE_CFG_SUPPORTED_ATTRIBUTES:
        return len % 2 == 0;
    default:
        return true;
    }
}

int ike_cp_parse(const struct ike_pl *pl, struct ike_cp *out)
{
    const uint8_t *a;
    size_t left;
    unsigned n = 0;

    if (!pl_is(pl, IKE_PL_CP) || !out)
        return -EINVAL;
    if (pl->body_len < 4 || pl->body[0] < IKE_CFG_REQUEST || pl->body[0] > IKE_CFG_ACK)
        return -EBADMSG;
    /* validate first, so that @out stays untouched on failure */
    a = pl->body + 4;
    left = pl->body_len - 4;
    while (left > 0) {
        size_t alen;

        if (left < 4)
            return -EBADMSG;
        alen = uip_get16(a + 2);
        if (alen > left - 4 || !cp_attr_len_ok(uip_get16(a) & 0x7fff, alen))
            return -EBADMSG;
        n++;
        a += 4 + alen;
        left -= 4 + alen;
    }
    out->cfg_type = pl->body[0];
    out->n_attrs = MIN(n, IKE_CP_MAX_ATTRS);
    out->n_skipped = n - out->n_attrs;
    a = pl->body + 4;
    for (unsigned i = 0; i < out->n_attrs; i++) {
        uint16_t alen = uip_get16(a + 2);
        out->attrs[i] = (struct ike_cp_attr){
            .type = uip_get16(a) & 0x7fff,
            .len = alen,
            .value = alen ? a + 4 : NULL,
        };
        a += 4 + (size_t)alen;
    }
    return 0;
}

int ike_eap_parse(const struct ike_pl *pl, struct ike_eap *out)
{
    const uint8_t *e;
    size_t len;

    if (!pl_is(pl, IKE_PL_EAP) || !out)
        return -EINVAL;
    e = pl->body;
    len = pl->body_len;
    if (len < 4 || uip_get16(e + 2) != len)
        return -EBADMSG;
    switch (e[0]) {
    case EAP_CODE_REQUEST:
    case EAP_CODE_RESPONSE:
        if (len < 5)
            return -EBADMSG;
        out->type = e[4];
        out->data = e + 5;
        out->data_len = len - 5;
        break;
    case EAP_CODE_SUCCESS:
    case EAP_CODE_FAILURE:
        if (len != 4)
            return -EBADMSG;
        out->type = 0;
        out->data = NULL;
        out->data_len = 0;
        break;
    default:
        return -EBADMSG;
    }
    out->code = e[0];
    out->id = e[1];
    out->packet = e;
    out->packet_len = len;
    return 0;
}

int ike_sk_parse(const struct ike_pl *pl, struct ike_sk *out)
{
    if (!pl || (!pl_is(pl, IKE_PL_SK) && !pl_is(pl, IKE_PL_SKF)) || !out)
        return -EINVAL;
    if (pl->type == IKE_PL_SK) {
        out->frag_num = 0;
        out->frag_total = 0;
        out->enc = pl->body;
        out->enc_len = pl->body_len;
    } else {
        uint16_t num, total;

        if (pl->body_len < 4)
            return -EBADMSG;
        num = uip_get16(pl->body);
        total = uip_get16(pl->body + 2);
        if (num == 0 || total == 0 || num > total)
            return -EBADMSG;
        out->frag_num = num;
        out->frag_total = total;
        out->enc = pl->body + 4;
        out->enc_len = pl->body_len - 4;
    }
    out->first_type = pl->next;
    return 0;
}

/* ---- building ---------------------------------------------------------------- */

#define NONE SIZE_MAX

static int b_fail(struct ike_builder *b, int r)
{
    if (b->err == 0)
        b->err = r;
    return r;
}

static void builder_reset(struct ike_builder *b)
{
    memset(b, 0, sizeof(*b));
    b->buf = g_byte_array_sized_new(512);
    b->next_off = NONE;
    b->sk_off = NONE;
}

void ike_builder_init(struct ike_builder *b, uint64_t spi_i, uint64_t spi_r, uint8_t exchange,
                      uint8_t flags, uint32_t msg_id)
{
    uint8_t h[IKE_HDR_LEN] = {0};

    builder_reset(b);
    uip_put64(h, spi_i);
    uip_put64(h + 8, spi_r);
    h[17] = IKE_VERSION;
    h[18] = exchange;
    h[19] = flags;
    uip_put32(h + 20, msg_id);
    uip_put32(h + 24, IKE_HDR_LEN);
    g_byte_array_append(b->buf, h, sizeof(h));
    b->has_header = true;
    b->next_off = 16;
}

void ike_builder_init_chain(struct ike_builder *b)
{
    builder_reset(b);
}

void ike_builder_clear(struct ike_builder *b)
{
    if (!b)
        return;
    if (b->buf) {
        /* inner payloads are plaintext until the crypto layer ran: wipe */
        uip_wipe(b->buf->data, b->buf->len);
        g_byte_array_unref(b->buf);
    }
    b->buf = NULL;
}

uint8_t *ike_builder_data(const struct ike_builder *b)
{
    return b && b->buf ? b->buf->data : NULL;
}

size_t ike_builder_len(const struct ike_builder *b)
{
    return b && b->buf ? b->buf->len : 0;
}

uint8_t ike_builder_first_type(const struct ike_builder *b)
{
    return b ? b->first_type : 0;
}

GByteArray *ike_builder_steal(struct ike_builder *b)
{
    GByteArray *a;

    if (!b)
        return NULL;
    a = b->buf;
    b->buf = NULL;
    return a;
}

int ike_builder_finish(struct ike_builder *b)
{
    size_t len;

    if (!b || !b->buf)
        return -EINVAL;
    if (b->err)
        return b->err;
    if (b->in_sk)
        return -EINVAL;
    len = b->buf->len;
    if (len > IKE_MAX_MSG_LEN)
        return b_fail(b, -EMSGSIZE);
    if (b->sk_off != NONE) {
        if (len - b->sk_off > 0xffff)
            return b_fail(b, -EMSGSIZE);
        uip_put16(b->buf->data + b->sk_off + 2, (uint16_t)(len - b->sk_off));
    }
    if (b->has_header)
        uip_put32(b->buf->data + 24, (uint32_t)len);
    return 0;
}

/* Common state check for anything that appends bytes. */
static int b_usable(struct ike_builder *b)
{
    if (!b || !b->buf)
        return -EINVAL;
    return b->err;
}

static int b_grow(struct ike_builder *b, const void *data, size_t len)
{
    if (len > IKE_MAX_MSG_LEN || b->buf->len + len > IKE_MAX_MSG_LEN)
        return b_fail(b, -EMSGSIZE);
    if (data)
        g_byte_array_append(b->buf, data, (guint)len);
    else if (len) {
        guint old = b->buf->len;
        g_byte_array_set_size(b->buf, old + (guint)len);
        memset(b->buf->data + old, 0, len);
    }
    return 0;
}

/* Open a payload of @type: generic header, chained from the previous one. */
static int pl_begin(struct ike_builder *b, uint8_t type, bool critical, size_t *off)
{
    uint8_t h[IKE_GENERIC_HDR_LEN] = {0, critical ? IKE_PL_CRITICAL : 0, 0, 0};
    int r = b_usable(b);

    if (r < 0)
        return r;
    if ((b->in_sk && b->skf) || b->sk_closed || type == IKE_PL_NONE)
        return b_fail(b, -EINVAL);
    *off = b->buf->len;
    r = b_grow(b, h, sizeof(h));
    if (r < 0)
        return r;
    if (b->next_off != NONE)
        b->buf->data[b->next_off] = type;
    if (b->first_type == IKE_PL_NONE)
        b->first_type = type;
    b->next_off = *off;
    return 0;
}

/* Close the payload opened at @off: its length. */
static int pl_end(struct ike_builder *b, size_t off)
{
    size_t len = b->buf->len - off;

    if (b->err)
        return b->err;
    if (len > 0xffff)
        return b_fail(b, -EMSGSIZE);
    uip_put16(b->buf->data + off + 2, (uint16_t)len);
    return 0;
}

static int b_put(struct ike_builder *b, const void *data, size_t len)
{
    return b->err ? b->err : b_grow(b, data, len);
}

static int b_put8(struct ike_builder *b, uint8_t v)
{
    return b_put(b, &v, 1);
}

static int b_put16(struct ike_builder *b, uint16_t v)
{
    uint8_t x[2];
    uip_put16(x, v);
    return b_put(b, x, 2);
}

static int b_put32(struct ike_builder *b, uint32_t v)
{
    uint8_t x[4];
    uip_put32(x, v);
    return b_put(b, x, 4);
}

int ike_builder_add(struct ike_builder *b, uint8_t type, bool critical, const uint8_t *body,
                    size_t len)
{
    size_t off;
    int r;

    if (!body && len)
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    r = pl_begin(b, type, critical, &off);
    if (r < 0)
        return r;
    b_put(b, body, len);
    return pl_end(b, off);
}

/* A payload made of a small fixed part @fix and variable @data. */
static int add_simple(struct ike_builder *b, uint8_t type, const uint8_t *fix, size_t fix_len,
                      const uint8_t *data, size_t len)
{
    size_t off;
    int r;

    r = pl_begin(b, type, false, &off);
    if (r < 0)
        return r;
    b_put(b, fix, fix_len);
    b_put(b, data, len);
    return pl_end(b, off);
}

static int sk_open(struct ike_builder *b, uint8_t type, size_t *off)
{
    int r = b_usable(b);

    if (r < 0)
        return r;
    if (!b->has_header || b->sk_off != NONE)
        return b_fail(b, -EINVAL);
    r = pl_begin(b, type, false, off);
    if (r < 0)
        return r;
    b->sk_off = *off;
    b->in_sk = true;
    return 0;
}

int ike_builder_sk_begin(struct ike_builder *b, size_t iv_len)
{
    size_t off;
    int r = sk_open(b, IKE_PL_SK, &off);

    if (r < 0)
        return r;
    b->next_off = off; /* the first inner payload's type goes in the SK header */
    b->iv_len = iv_len;
    return b_put(b, NULL, iv_len);
}

int ike_builder_skf_begin(struct ike_builder *b, uint16_t frag_num, uint16_t frag_total,
                          uint8_t first_type, size_t iv_len)
{
    size_t off;
    int r;

    if (frag_num == 0 || frag_total == 0 || frag_num > frag_total)
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    r = sk_open(b, IKE_PL_SKF, &off);
    if (r < 0)
        return r;
    b->skf = true;
    b->next_off = NONE;
    b->buf->data[off] = frag_num == 1 ? first_type : IKE_PL_NONE;
    b_put16(b, frag_num);
    b_put16(b, frag_total);
    b->iv_len = iv_len;
    return b_put(b, NULL, iv_len);
}

int ike_builder_sk_end(struct ike_builder *b, struct ike_sk_region *out)
{
    int r = b_usable(b);

    if (r < 0)
        return r;
    if (!b->in_sk || !out)
        return b_fail(b, -EINVAL);
    /* the IV was the first thing put after the header (and SKF fields) */
    out->sk_off = b->sk_off;
    out->iv_off = b->sk_off + IKE_GENERIC_HDR_LEN + (b->skf ? 4 : 0);
    out->plain_off = out->iv_off + b->iv_len;
    out->plain_end = b->buf->len;
    b->in_sk = false;
    b->sk_closed = true;
    b->next_off = NONE;
    return 0;
}

int ike_builder_append(struct ike_builder *b, const uint8_t *data, size_t len, size_t *off)
{
    size_t at;
    int r = b_usable(b);

    if (r < 0)
        return r;
    if (!((b->in_sk && b->skf) || b->sk_closed))
        return b_fail(b, -EINVAL);
    at = b->buf->len;
    r = b_put(b, data, len);
    if (r < 0)
        return r;
    if (off)
        *off = at;
    return 0;
}

int ike_build_sa(struct ike_builder *b, const struct ike_proposal *props, unsigned n)
{
    size_t off;
    int r;

    if (!props || n == 0 || n > 255)
        goto inval;
    for (unsigned i = 0; i < n; i++) {
        const struct ike_proposal *p = &props[i];
        if (p->num == 0 || (n > 1 && p->num != i + 1))
            goto inval;
        if (!spi_size_ok(p->protocol, p->spi_len) || p->spi_len > sizeof(p->spi))
            goto inval;
        if (p->n_transforms == 0 || p->n_transforms > IKE_MAX_TRANSFORMS)
            goto inval;
    }

    r = pl_begin(b, IKE_PL_SA, false, &off);
    if (r < 0)
        return r;
    for (unsigned i = 0; i < n; i++) {
        const struct ike_proposal *p = &props[i];
        size_t poff = b->buf->len;

        b_put8(b, i + 1 < n ? IKE_SUBSTRUC_MORE_PROPOSALS : IKE_SUBSTRUC_LAST);
        b_put8(b, 0);
        b_put16(b, 0); /* length, below */
        b_put8(b, p->num);
        b_put8(b, p->protocol);
        b_put8(b, p->spi_len);
        b_put8(b, (uint8_t)p->n_transforms);
        b_put(b, p->spi, p->spi_len);
        for (unsigned t = 0; t < p->n_transforms; t++) {
            const struct ike_transform *tr = &p->transforms[t];
            bool kl = tr->keylen != 0;

            b_put8(b, t + 1 < p->n_transforms ? IKE_SUBSTRUC_MORE_TRANSFORMS : IKE_SUBSTRUC_LAST);
            b_put8(b, 0);
            b_put16(b, kl ? 12 : 8);
            b_put8(b, tr->type);
            b_put8(b, 0);
            b_put16(b, tr->id);
            if (kl) {
                b_put16(b, IKE_ATTR_AF_TV | IKE_ATTR_KEY_LENGTH);
                b_put16(b, tr->keylen);
            }
        }
        if (b->err)
            return b->err;
        if (b->buf->len - poff > 0xffff)
            return b_fail(b, -EMSGSIZE);
        uip_put16(b->buf->data + poff + 2, (uint16_t)(b->buf->len - poff));
    }
    return pl_end(b, off);
inval:
    return b ? b_fail(b, -EINVAL) : -EINVAL;
}

int ike_build_ke(struct ike_builder *b, uint16_t group, const uint8_t *data, size_t len)
{
    uint8_t fix[4] = {0};

    if (group == IKE_KE_NONE || !data || len == 0)
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    uip_put16(fix, group);
    return add_simple(b, IKE_PL_KE, fix, sizeof(fix), data, len);
}

int ike_build_nonce(struct ike_builder *b, const uint8_t *data, size_t len)
{
    if (!data || len < IKE_NONCE_MIN_LEN || len > IKE_NONCE_MAX_LEN)
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    return add_simple(b, IKE_PL_NONCE, NULL, 0, data, len);
}

int ike_build_id(struct ike_builder *b, uint8_t type, uint8_t id_type, const uint8_t *data,
                 size_t len)
{
    uint8_t fix[4] = {id_type, 0, 0, 0};

    if ((type != IKE_PL_IDI && type != IKE_PL_IDR) || id_type == 0 || !data || len == 0 ||
        (id_type == IKE_ID_IPV4_ADDR && len != 4) || (id_type == IKE_ID_IPV6_ADDR && len != 16))
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    return add_simple(b, type, fix, sizeof(fix), data, len);
}

int ike_build_auth(struct ike_builder *b, uint8_t method, const uint8_t *data, size_t len)
{
    uint8_t fix[4] = {method, 0, 0, 0};

    if (method == 0 || !data || len == 0)
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    return add_simple(b, IKE_PL_AUTH, fix, sizeof(fix), data, len);
}

int ike_build_notify(struct ike_builder *b, uint8_t protocol, const uint8_t *spi, uint8_t spi_len,
                     uint16_t notify_type, const uint8_t *data, size_t len)
{
    uint8_t fix[4 + 8] = {protocol, spi_len};
    size_t off;
    int r;

    if ((spi_len != 0 && spi_len != 4 && spi_len != 8) || (spi_len && !spi) || (len && !data))
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    uip_put16(fix + 2, notify_type);
    if (spi_len)
        memcpy(fix + 4, spi, spi_len);
    r = pl_begin(b, IKE_PL_NOTIFY, false, &off);
    if (r < 0)
        return r;
    b_put(b, fix, 4 + (size_t)spi_len);
    b_put(b, data, len);
    return pl_end(b, off);
}

int ike_build_delete(struct ike_builder *b, uint8_t protocol, const uint32_t *spis, unsigned n)
{
    uint8_t spi_size;
    size_t off;
    int r;

    if (protocol == IKE_PROTO_IKE && n == 0)
        spi_size = 0;
    else if ((protocol == IKE_PROTO_AH || protocol == IKE_PROTO_ESP) && spis && n <= 0xffff)
        spi_size = 4;
    else
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    r = pl_begin(b, IKE_PL_DELETE, false, &off);
    if (r < 0)
        return r;
    b_put8(b, protocol);
    b_put8(b, spi_size);
    b_put16(b, (uint16_t)n);
    for (unsigned i = 0; i < n && !b->err; i++)
        b_put32(b, spis[i]);
    return pl_end(b, off);
}

int ike_build_ts(struct ike_builder *b, uint8_t type, const struct uip_ts *ts, unsigned n)
{
    size_t off;
    int r;

    if ((type != IKE_PL_TSI && type != IKE_PL_TSR) || !ts || n == 0 || n > 255)
        goto inval;
    for (unsigned i = 0; i < n; i++) {
        size_t alen = ts[i].family == AF_INET ? 4 : ts[i].family == AF_INET6 ? 16 : 0;
        if (!alen || !ports_ok(ts[i].port_start, ts[i].port_end) ||
            memcmp(ts[i].start, ts[i].end, alen) > 0)
            goto inval;
    }
    r = pl_begin(b, type, false, &off);
    if (r < 0)
        return r;
    b_put8(b, (uint8_t)n);
    b_put(b, NULL, 3);
    for (unsigned i = 0; i < n; i++) {
        bool v4 = ts[i].family == AF_INET;
        size_t alen = v4 ? 4 : 16;

        b_put8(b, v4 ? IKE_TS_IPV4_ADDR_RANGE : IKE_TS_IPV6_ADDR_RANGE);
        b_put8(b, ts[i].proto);
        b_put16(b, (uint16_t)(8 + 2 * alen));
        b_put16(b, ts[i].port_start);
        b_put16(b, ts[i].port_end);
        b_put(b, ts[i].start, alen);
        b_put(b, ts[i].end, alen);
    }
    return pl_end(b, off);
inval:
    return b ? b_fail(b, -EINVAL) : -EINVAL;
}

int ike_build_cp(struct ike_builder *b, uint8_t cfg_type, const struct ike_cp_attr *attrs,
                 unsigned n)
{
    size_t off;
    int r;

    if (cfg_type < IKE_CFG_REQUEST || cfg_type > IKE_CFG_ACK || (n && !attrs) ||
        n > IKE_CP_MAX_ATTRS)
        goto inval;
    for (unsigned i = 0; i < n; i++)
        if (attrs[i].type > 0x7fff || (attrs[i].len && !attrs[i].value) ||
            !cp_attr_len_ok(attrs[i].type, attrs[i].len))
            goto inval;
    r = pl_begin(b, IKE_PL_CP, false, &off);
    if (r < 0)
        return r;
    b_put8(b, cfg_type);
    b_put(b, NULL, 3);
    for (unsigned i = 0; i < n; i++) {
        b_put16(b, attrs[i].type);
        b_put16(b, attrs[i].len);
        b_put(b, attrs[i].value, attrs[i].len);
    }
    return pl_end(b, off);
inval:
    return b ? b_fail(b, -EINVAL) : -EINVAL;
}

int ike_build_eap(struct ike_builder *b, uint8_t code, uint8_t id, uint8_t eap_type,
                  const uint8_t *data, size_t len)
{
    size_t off;
    int r;
    bool has_type = code == EAP_CODE_REQUEST || code == EAP_CODE_RESPONSE;

    if (has_type) {
        if ((len && !data) || len > 0xffff - 5)
            goto inval;
    } else if (code == EAP_CODE_SUCCESS || code == EAP_CODE_FAILURE) {
        if (eap_type != 0 || len != 0)
            goto inval;
    } else {
        goto inval;
    }
    r = pl_begin(b, IKE_PL_EAP, false, &off);
    if (r < 0)
        return r;
    b_put8(b, code);
    b_put8(b, id);
    b_put16(b, (uint16_t)(has_type ? 5 + len : 4));
    if (has_type) {
        b_put8(b, eap_type);
        b_put(b, data, len);
    }
    return pl_end(b, off);
inval:
    return b ? b_fail(b, -EINVAL) : -EINVAL;
}

int ike_build_cert(struct ike_builder *b, uint8_t type, uint8_t encoding, const uint8_t *data,
                   size_t len)
{
    if ((len && !data) || (type == IKE_PL_CERT && len == 0) ||
        (type == IKE_PL_CERTREQ && certreq_hash_list(encoding) && len % IKE_CERTREQ_HASH_LEN) ||
        (type != IKE_PL_CERT && type != IKE_PL_CERTREQ))
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    return add_simple(b, type, &encoding, 1, data, len);
}

int ike_build_vendor(struct ike_builder *b, const uint8_t *data, size_t len)
{
    if (len && !data)
        return b ? b_fail(b, -EINVAL) : -EINVAL;
    return add_simple(b, IKE_PL_VENDOR, NULL, 0, data, len);
}
