/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE and ESP SA proposals.
 *
 * Flow: proposal string -> split at ',' -> each proposal split at '-' ->
 * keywords looked up in one table -> per-type lists (ENCR, PRF, INTEG, KE,
 * ESN) -> strongSwan's completion rules (PRF from INTEG, AEAD drops INTEG,
 * ESN default) -> struct ike_proposal in RFC order.  Everything is built in
 * a local array and copied out only when the whole list is valid.
 *
 * The responder's reply goes the other way: one proposal from its SA
 * payload -> matched against the offer of the same number -> struct
 * ike_selected -> key sizes / ESP engine parameters.
 */
#include "ike/proposal.h"
#include "ike/ike-types.h"
#include "ike/dh.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- keyword table ---------------------------------------------------------- */

struct keyword {
    const char *name;
    uint8_t type;
    uint16_t id;
    uint16_t keylen;
};

/* The first entry for a (type, id, keylen) is its canonical keyword. */
static const struct keyword keywords[] = {
    {"aes128", IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 128},
    {"aes", IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 128},
    {"aes256", IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 256},
    {"aes128gcm16", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {"aes128gcm128", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {"aes128gcm", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {"aes256gcm16", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {"aes256gcm128", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {"aes256gcm", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {"chacha20poly1305", IKE_TRANS_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0},
    {"sha256", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
    {"sha2_256", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
    {"sha384", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0},
    {"sha2_384", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0},
    {"sha512", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0},
    {"sha2_512", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0},
    {"prfsha256", IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256, 0},
    {"prfsha384", IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_384, 0},
    {"prfsha512", IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_512, 0},
    {"x25519", IKE_TRANS_KE, IKE_KE_CURVE25519, 0},
    {"curve25519", IKE_TRANS_KE, IKE_KE_CURVE25519, 0},
    {"ecp256", IKE_TRANS_KE, IKE_KE_ECP256, 0},
    {"ecp384", IKE_TRANS_KE, IKE_KE_ECP384, 0},
    {"modp2048", IKE_TRANS_KE, IKE_KE_MODP2048, 0},
    {"modp3072", IKE_TRANS_KE, IKE_KE_MODP3072, 0},
    {"modp4096", IKE_TRANS_KE, IKE_KE_MODP4096, 0},
    {"esn", IKE_TRANS_ESN, IKE_ESN_YES, 0},
    {"noesn", IKE_TRANS_ESN, IKE_ESN_NO, 0},
};

#define KEYWORD_MAX 32 /* longer than any keyword above */

static const struct keyword *keyword_find(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (strlen(keywords[i].name) == len && strncasecmp(keywords[i].name, s, len) == 0)
            return &keywords[i];
    }
    return NULL;
}

static const struct keyword *keyword_for(uint8_t type, uint16_t id, uint16_t keylen)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (keywords[i].type == type && keywords[i].id == id && keywords[i].keylen == keylen)
            return &keywords[i];
    }
    return NULL;
}

/* ---- algorithm properties ---------------------------------------------------- */

bool ike_encr_is_aead(uint16_t id)
{
    return id == IKE_ENCR_AES_GCM_16 || id == IKE_ENCR_CHACHA20_POLY1305;
}

size_t ike_encr_key_len(uint16_t id, uint16_t keylen_bits)
{
    switch (id) {
    case IKE_ENCR_AES_CBC:
        return keylen_bits == 128 || keylen_bits == 256 ? keylen_bits / 8u : 0;
    case IKE_ENCR_AES_GCM_16:
        return keylen_bits == 128 || keylen_bits == 256 ? keylen_bits / 8u + 4 : 0;
    case IKE_ENCR_CHACHA20_POLY1305:
        return keylen_bits == 0 || keylen_bits == 256 ? 32 + 4 : 0;
    default:
        return 0;
    }
}

size_t ike_integ_key_len(uint16_t id)
{
    switch (id) {
    case IKE_INTEG_HMAC_SHA2_256_128:
        return 32;
    case IKE_INTEG_HMAC_SHA2_384_192:
        return 48;
    case IKE_INTEG_HMAC_SHA2_512_256:
        return 64;
    default:
        return 0;
    }
}

size_t ike_integ_icv_len(uint16_t id)
{
    return ike_integ_key_len(id) / 2;
}

size_t ike_prf_key_len(uint16_t id)
{
    return ike_prf_out_len(id);
}

size_t ike_prf_out_len(uint16_t id)
{
    switch (id) {
    case IKE_PRF_HMAC_SHA2_256:
        return 32;
    case IKE_PRF_HMAC_SHA2_384:
        return 48;
    case IKE_PRF_HMAC_SHA2_512:
        return 64;
    default:
        return 0;
    }
}

bool ike_transform_supported(uint8_t type, uint16_t id, uint16_t keylen_bits)
{
    switch (type) {
    case IKE_TRANS_ENCR:
        return ike_encr_key_len(id, keylen_bits) != 0;
    case IKE_TRANS_PRF:
        return keylen_bits == 0 && ike_prf_out_len(id) != 0;
    case IKE_TRANS_INTEG:
        return keylen_bits == 0 && (id == IKE_INTEG_NONE || ike_integ_key_len(id) != 0);
    case IKE_TRANS_KE:
        return keylen_bits == 0 && (id == IKE_KE_NONE || ike_dh_supported(id));
    case IKE_TRANS_ESN:
        return keylen_bits == 0 && (id == IKE_ESN_NO || id == IKE_ESN_YES);
    default:
        return false;
    }
}

/* The PRF with the hash of an integrity algorithm (strongSwan's integ->PRF map). */
static uint16_t prf_for_integ(uint16_t integ)
{
    switch (integ) {
    case IKE_INTEG_HMAC_SHA2_256_128:
        return IKE_PRF_HMAC_SHA2_256;
    case IKE_INTEG_HMAC_SHA2_384_192:
        return IKE_PRF_HMAC_SHA2_384;
    case IKE_INTEG_HMAC_SHA2_512_256:
        return IKE_PRF_HMAC_SHA2_512;
    default:
        return 0;
    }
}

/* ---- names ------------------------------------------------------------------- */

const char *ike_transform_name(uint8_t type, uint16_t id)
{
    switch (type) {
    case IKE_TRANS_ENCR:
        switch (id) {
        case IKE_ENCR_AES_CBC:
            return "AES_CBC";
        case IKE_ENCR_AES_GCM_16:
            return "AES_GCM_16";
        case IKE_ENCR_CHACHA20_POLY1305:
            return "CHACHA20_POLY1305";
        }
        break;
    case IKE_TRANS_PRF:
        switch (id) {
        case IKE_PRF_HMAC_SHA2_256:
            return "PRF_HMAC_SHA2_256";
        case IKE_PRF_HMAC_SHA2_384:
            return "PRF_HMAC_SHA2_384";
        case IKE_PRF_HMAC_SHA2_512:
            return "PRF_HMAC_SHA2_512";
        }
        break;
    case IKE_TRANS_INTEG:
        switch (id) {
        case IKE_INTEG_NONE:
            return "NONE";
        case IKE_INTEG_HMAC_SHA2_256_128:
            return "HMAC_SHA2_256_128";
        case IKE_INTEG_HMAC_SHA2_384_192:
            return "HMAC_SHA2_384_192";
        case IKE_INTEG_HMAC_SHA2_512_256:
            return "HMAC_SHA2_512_256";
        }
        break;
    case IKE_TRANS_KE:
        switch (id) {
        case IKE_KE_NONE:
            return "KE_NONE";
        case IKE_KE_MODP2048:
            return "MODP_2048";
        case IKE_KE_MODP3072:
            return "MODP_3072";
        case IKE_KE_MODP4096:
            return "MODP_4096";
        case IKE_KE_ECP256:
            return "ECP_256";
        case IKE_KE_ECP384:
            return "ECP_384";
        case IKE_KE_CURVE25519:
            return "CURVE_25519";
        }
        break;
    case IKE_TRANS_ESN:
        switch (id) {
        case IKE_ESN_NO:
            return "NO_EXT_SEQ";
        case IKE_ESN_YES:
            return "EXT_SEQ";
        }
        break;
    }
    return NULL;
}

const char *ike_encr_keyword(uint16_t id, uint16_t keylen_bits)
{
    const struct keyword *k = keyword_for(IKE_TRANS_ENCR, id, keylen_bits);

    if (!k && id == IKE_ENCR_CHACHA20_POLY1305 && keylen_bits == 256)
        k = keyword_for(IKE_TRANS_ENCR, id, 0);
    return k ? k->name : NULL;
}

const char *ike_integ_keyword(uint16_t id)
{
    const struct keyword *k;

    if (id == IKE_INTEG_NONE)
        return "none";
    k = keyword_for(IKE_TRANS_INTEG, id, 0);
    return k ? k->name : NULL;
}

/* snprintf() into @buf at offset @pos, tolerating @pos >= @len; returns chars wanted. */
#define APPEND(buf, len, pos, ...)                                                                 \
    do {                                                                                           \
        int _n = snprintf((pos) < (len) ? (buf) + (pos) : NULL, (pos) < (len) ? (len) - (pos) : 0, \
                          __VA_ARGS__);                                                            \
        if (_n > 0)                                                                                \
            (pos) += (size_t)_n;                                                                   \
    } while (0)

static const char *protocol_name(uint8_t protocol)
{
    switch (protocol) {
    case IKE_PROTO_IKE:
        return "IKE";
    case IKE_PROTO_AH:
        return "AH";
    case IKE_PROTO_ESP:
        return "ESP";
    default:
        return "PROTO_UNKNOWN";
    }
}

/* strongSwan prints INTEG before PRF. */
static const uint8_t print_order[] = {
    IKE_TRANS_ENCR, IKE_TRANS_INTEG, IKE_TRANS_PRF, IKE_TRANS_KE, IKE_TRANS_ESN,
};

static size_t format_transforms(uint8_t protocol, const struct ike_transform *t, unsigned n,
                                char *buf, size_t len, size_t pos)
{
    bool first = true;

    APPEND(buf, len, pos, "%s:", protocol_name(protocol));
    for (size_t o = 0; o < sizeof(print_order); o++) {
        for (unsigned i = 0; i < n; i++) {
            const char *name;

            if (t[i].type != print_order[o])
                continue;
            name = ike_transform_name(t[i].type, t[i].id);
            if (name)
                APPEND(buf, len, pos, "%s%s", first ? "" : "/", name);
            else
                APPEND(buf, len, pos, "%sUNKNOWN_%u_%u", first ? "" : "/", t[i].type, t[i].id);
            if (t[i].keylen)
                APPEND(buf, len, pos, "_%u", t[i].keylen);
            first = false;
        }
    }
    /* types outside 1..5, should a reply carry them */
    for (unsigned i = 0; i < n; i++) {
        if (t[i].type >= IKE_TRANS_ENCR && t[i].type <= IKE_TRANS_ESN)
            continue;
        APPEND(buf, len, pos, "%sUNKNOWN_%u_%u", first ? "" : "/", t[i].type, t[i].id);
        first = false;
    }
    return pos;
}

size_t ike_proposal_to_string(const struct ike_proposal *p, char *buf, size_t len)
{
    size_t pos;
    unsigned n;

    if (len)
        buf[0] = '\0';
    if (!p)
        return 0;
    n = p->n_transforms < IKE_MAX_TRANSFORMS ? p->n_transforms : IKE_MAX_TRANSFORMS;
    pos = format_transforms(p->protocol, p->transforms, n, buf, len, 0);
    return pos;
}

size_t ike_proposals_to_string(const struct ike_proposal *props, unsigned n, char *buf, size_t len)
{
    size_t pos = 0;

    if (len)
        buf[0] = '\0';
    if (!props)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned nt = props[i].n_transforms;

        if (i)
            APPEND(buf, len, pos, ", ");
        if (nt > IKE_MAX_TRANSFORMS)
            nt = IKE_MAX_TRANSFORMS;
        pos = format_transforms(props[i].protocol, props[i].transforms, nt, buf, len, pos);
    }
    return pos;
}

size_t ike_selected_to_string(const struct ike_selected *sel, char *buf, size_t len)
{
    struct ike_transform t[5];
    unsigned n = 0;

    if (len)
        buf[0] = '\0';
    if (!sel)
        return 0;
    t[n++] =
        (struct ike_transform){.type = IKE_TRANS_ENCR, .id = sel->encr, .keylen = sel->encr_keylen};
    if (sel->integ != IKE_INTEG_NONE)
        t[n++] = (struct ike_transform){.type = IKE_TRANS_INTEG, .id = sel->integ};
    if (sel->protocol == IKE_PROTO_IKE)
        t[n++] = (struct ike_transform){.type = IKE_TRANS_PRF, .id = sel->prf};
    if (sel->ke != IKE_KE_NONE)
        t[n++] = (struct ike_transform){.type = IKE_TRANS_KE, .id = sel->ke};
    if (sel->protocol == IKE_PROTO_ESP)
        t[n++] = (struct ike_transform){.type = IKE_TRANS_ESN,
                                        .id = sel->esn ? IKE_ESN_YES : IKE_ESN_NO};
    return format_transforms(sel->protocol, t, n, buf, len, 0);
}

/* ---- parsing ------------------------------------------------------------------ */

/* Transform lists of one proposal being parsed. */
#define TYPE_MAX 8 /* per type; the table has at most 5 of a type */

struct draft {
    struct ike_transform t[IKE_TRANS_ESN + 1][TYPE_MAX];
    unsigned n[IKE_TRANS_ESN + 1];
    int aead; /* -1 no cipher yet, 0 classic, 1 AEAD */
};

static void set_detail(char *err, size_t err_len, const char *s, size_t len)
{
    if (!err || !err_len)
        return;
    if (len >= err_len)
        len = err_len - 1;
    memcpy(err, s, len);
    err[len] = '\0';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trim blanks off [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
    while (*len && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_blank((*s)[*len - 1]))
        (*len)--;
}

static bool draft_has(const struct draft *d, uint8_t type, uint16_t id, uint16_t keylen)
{
    for (unsigned i = 0; i < d->n[type]; i++) {
        if (d->t[type][i].id == id && d->t[type][i].keylen == keylen)
            return true;
    }
    return false;
}

static void draft_add(struct draft *d, uint8_t type, uint16_t id, uint16_t keylen)
{
    d->t[type][d->n[type]++] = (struct ike_transform){.type = type, .id = id, .keylen = keylen};
}

/*
 * Parse one proposal text [s, s + len) (already trimmed, not empty) into
 * @out.  On failure fills the detail and returns IKE_PROPOSAL_E_*.
 */
static int parse_one(const char *s, size_t len, uint8_t protocol, struct ike_proposal *out,
                     char *err, size_t err_len)
{
    struct draft d = {.aead = -1};
    const char *end = s + len;
    const char *p = s;
    unsigned total;

    for (;;) {
        const char *dash = memchr(p, '-', (size_t)(end - p));
        const char *kw = p;
        size_t kw_len = (size_t)((dash ? dash : end) - p);
        const struct keyword *k;
        bool aead;

        trim(&kw, &kw_len);
        if (!kw_len) {
            set_detail(err, err_len, s, len);
            return IKE_PROPOSAL_E_EMPTY;
        }
        k = kw_len < KEYWORD_MAX ? keyword_find(kw, kw_len) : NULL;
        if (!k) {
            set_detail(err, err_len, kw, kw_len);
            return IKE_PROPOSAL_E_UNKNOWN;
        }
        if ((protocol == IKE_PROTO_IKE && k->type == IKE_TRANS_ESN) ||
            (protocol == IKE_PROTO_ESP && k->type == IKE_TRANS_PRF)) {
            set_detail(err, err_len, kw, kw_len);
            return IKE_PROPOSAL_E_WRONG_PROTOCOL;
        }
        if (draft_has(&d, k->type, k->id, k->keylen)) {
            set_detail(err, err_len, kw, kw_len);
            return IKE_PROPOSAL_E_DUPLICATE;
        }
        if (k->type == IKE_TRANS_ENCR) {
            aead = ike_encr_is_aead(k->id);
            if (d.aead >= 0 && d.aead != (int)aead) {
                set_detail(err, err_len, kw, kw_len);
                return IKE_PROPOSAL_E_MIXED;
            }
            d.aead = aead;
        }
        if (d.n[k->type] >= TYPE_MAX) { /* cannot happen with the table above */
            set_detail(err, err_len, s, len);
            return IKE_PROPOSAL_E_TOO_MANY;
        }
        draft_add(&d, k->type, k->id, k->keylen);
        if (!dash)
            break;
        p = dash + 1;
    }

    if (!d.n[IKE_TRANS_ENCR]) {
        set_detail(err, err_len, s, len);
        return IKE_PROPOSAL_E_NO_ENCR;
    }
    if (protocol == IKE_PROTO_IKE && !d.n[IKE_TRANS_PRF]) {
        /* strongSwan: no explicit PRF -> the PRFs of the integrity algorithms */
        for (unsigned i = 0; i < d.n[IKE_TRANS_INTEG]; i++) {
            uint16_t prf = prf_for_integ(d.t[IKE_TRANS_INTEG][i].id);

            if (prf && !draft_has(&d, IKE_TRANS_PRF, prf, 0))
                draft_add(&d, IKE_TRANS_PRF, prf, 0);
        }
    }
    if (d.aead) {
        /* RFC 7296 3.3: AEAD proposals carry no integrity algorithm */
        d.n[IKE_TRANS_INTEG] = 0;
        if (protocol == IKE_PROTO_IKE && !d.n[IKE_TRANS_PRF]) {
            set_detail(err, err_len, s, len);
            return IKE_PROPOSAL_E_NO_PRF;
        }
    } else if (!d.n[IKE_TRANS_INTEG]) {
        set_detail(err, err_len, s, len);
        return IKE_PROPOSAL_E_NO_INTEG;
    }
    if (protocol == IKE_PROTO_IKE && !d.n[IKE_TRANS_KE]) {
        set_detail(err, err_len, s, len);
        return IKE_PROPOSAL_E_NO_KE;
    }
    if (protocol == IKE_PROTO_ESP && !d.n[IKE_TRANS_ESN]) {
        /* our default: ESN preferred, no ESN accepted (strongSwan: only NO) */
        draft_add(&d, IKE_TRANS_ESN, IKE_ESN_YES, 0);
        draft_add(&d, IKE_TRANS_ESN, IKE_ESN_NO, 0);
    }

    total = 0;
    for (unsigned type = IKE_TRANS_ENCR; type <= IKE_TRANS_ESN; type++)
        total += d.n[type];
    if (total > IKE_MAX_TRANSFORMS) {
        set_detail(err, err_len, s, len);
        return IKE_PROPOSAL_E_TOO_MANY;
    }

    memset(out, 0, sizeof(*out));
    out->protocol = protocol;
    out->spi_len = protocol == IKE_PROTO_ESP ? 4 : 0;
    /* RFC 7296 3.3: ENCR, PRF, INTEG, KE, ESN = transform type order */
    for (unsigned type = IKE_TRANS_ENCR; type <= IKE_TRANS_ESN; type++) {
        for (unsigned i = 0; i < d.n[type]; i++)
            out->transforms[out->n_transforms++] = d.t[type][i];
    }
    return 0;
}

static bool same_transforms(const struct ike_proposal *a, const struct ike_proposal *b)
{
    if (a->n_transforms != b->n_transforms)
        return false;
    for (unsigned i = 0; i < a->n_transforms; i++) {
        if (a->transforms[i].type != b->transforms[i].type ||
            a->transforms[i].id != b->transforms[i].id ||
            a->transforms[i].keylen != b->transforms[i].keylen)
            return false;
    }
    return true;
}

int ike_proposals_parse(const char *s, uint8_t protocol, struct ike_proposal *out, unsigned max,
                        unsigned *n_out, char *err_detail, size_t err_len)
{
    struct ike_proposal props[IKE_MAX_PROPOSALS];
    unsigned limit = max < IKE_MAX_PROPOSALS ? max : IKE_MAX_PROPOSALS;
    unsigned n = 0;
    const char *p = s;
    const char *end;
    int r;

    if (!s || !out || !n_out || !max || (protocol != IKE_PROTO_IKE && protocol != IKE_PROTO_ESP)) {
        set_detail(err_detail, err_len, "", 0);
        return IKE_PROPOSAL_E_INVAL;
    }
    end = s + strlen(s);

    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *prop = p;
        size_t prop_len = (size_t)((comma ? comma : end) - p);

        trim(&prop, &prop_len);
        if (!prop_len) {
            set_detail(err_detail, err_len, "", 0);
            return IKE_PROPOSAL_E_EMPTY;
        }
        if (n >= limit) {
            set_detail(err_detail, err_len, prop, prop_len);
            return IKE_PROPOSAL_E_TOO_MANY;
        }
        r = parse_one(prop, prop_len, protocol, &props[n], err_detail, err_len);
        if (r < 0)
            return r;
        for (unsigned i = 0; i < n; i++) {
            if (same_transforms(&props[i], &props[n])) {
                set_detail(err_detail, err_len, prop, prop_len);
                return IKE_PROPOSAL_E_DUPLICATE;
            }
        }
        props[n].num = (uint8_t)(n + 1);
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }

    memcpy(out, props, n * sizeof(props[0]));
    *n_out = n;
    return 0;
}

int ike_proposals_default(uint8_t protocol, struct ike_proposal *out, unsigned max, unsigned *n_out)
{
    const char *s;

    switch (protocol) {
    case IKE_PROTO_IKE:
        s = IKE_PROPOSALS_DEFAULT_IKE;
        break;
    case IKE_PROTO_ESP:
        s = IKE_PROPOSALS_DEFAULT_ESP;
        break;
    default:
        return IKE_PROPOSAL_E_INVAL;
    }
    return ike_proposals_parse(s, protocol, out, max, n_out, NULL, 0);
}

/* ---- offer adjustments ----------------------------------------------------------- */

void ike_proposals_set_spi(struct ike_proposal *props, unsigned n, const uint8_t *spi,
                           uint8_t spi_len)
{
    if (!props || spi_len > sizeof(props[0].spi) || (spi_len && !spi))
        return;
    for (unsigned i = 0; i < n; i++) {
        memset(props[i].spi, 0, sizeof(props[i].spi));
        if (spi_len)
            memcpy(props[i].spi, spi, spi_len);
        props[i].spi_len = spi_len;
    }
}

void ike_proposals_strip_ke(struct ike_proposal *props, unsigned n)
{
    if (!props)
        return;
    for (unsigned i = 0; i < n; i++) {
        struct ike_proposal *p = &props[i];
        unsigned k = 0;

        for (unsigned j = 0; j < p->n_transforms && j < IKE_MAX_TRANSFORMS; j++) {
            if (p->transforms[j].type != IKE_TRANS_KE)
                p->transforms[k++] = p->transforms[j];
        }
        p->n_transforms = k;
    }
}

int ike_proposals_first_ke(const struct ike_proposal *props, unsigned n, uint16_t *group)
{
    if (!props || !group)
        return -EINVAL;
    if (!n)
        return -ENOENT;
    for (unsigned j = 0; j < props[0].n_transforms && j < IKE_MAX_TRANSFORMS; j++) {
        if (props[0].transforms[j].type == IKE_TRANS_KE) {
            *group = props[0].transforms[j].id;
            return 0;
        }
    }
    return -ENOENT;
}

static int find_transform(const struct ike_proposal *p, uint8_t type, uint16_t id)
{
    for (unsigned j = 0; j < p->n_transforms && j < IKE_MAX_TRANSFORMS; j++) {
        if (p->transforms[j].type == type && p->transforms[j].id == id)
            return (int)j;
    }
    return -1;
}

/* Make @group, if @p has it, the first of @p's KE methods (the others keep their order). */
static void ke_to_front(struct ike_proposal *p, uint16_t group)
{
    int at = find_transform(p, IKE_TRANS_KE, group);
    struct ike_transform t;
    int first = 0;

    if (at < 0)
        return;
    while (p->transforms[first].type != IKE_TRANS_KE)
        first++;
    /* rotate [first KE, group] right by one: the group becomes the first KE */
    t = p->transforms[at];
    memmove(&p->transforms[first + 1], &p->transforms[first], (size_t)(at - first) * sizeof(t));
    p->transforms[first] = t;
}

void ike_proposals_front_ke(struct ike_proposal *props, unsigned n, uint16_t group)
{
    for (unsigned i = 0; props && i < n; i++)
        ke_to_front(&props[i], group);
}

int ike_proposals_prefer_ke(struct ike_proposal *props, unsigned n, uint16_t group)
{
    struct ike_proposal tmp[IKE_MAX_PROPOSALS];
    unsigned k = 0;
    bool any = false;

    if (!props || group == IKE_KE_NONE || n > IKE_MAX_PROPOSALS)
        return -EINVAL;
    for (unsigned i = 0; i < n && !any; i++)
        any = find_transform(&props[i], IKE_TRANS_KE, group) >= 0;
    if (!any)
        return -ENOENT;

    /* proposals with the group first, the group first among their KE methods */
    for (unsigned i = 0; i < n; i++) {
        if (find_transform(&props[i], IKE_TRANS_KE, group) < 0)
            continue;
        tmp[k] = props[i];
        ke_to_front(&tmp[k], group);
        k++;
    }
    for (unsigned i = 0; i < n; i++) {
        if (find_transform(&props[i], IKE_TRANS_KE, group) < 0)
            tmp[k++] = props[i];
    }
    for (unsigned i = 0; i < n; i++) {
        tmp[i].num = (uint8_t)(i + 1);
        props[i] = tmp[i];
    }
    return 0;
}

/* ---- the responder's choice ------------------------------------------------------ */

static bool offer_has_type(const struct ike_proposal *p, uint8_t type)
{
    for (unsigned j = 0; j < p->n_transforms && j < IKE_MAX_TRANSFORMS; j++) {
        if (p->transforms[j].type == type)
            return true;
    }
    return false;
}

static bool offer_has(const struct ike_proposal *p, const struct ike_transform *t)
{
    for (unsigned j = 0; j < p->n_transforms && j < IKE_MAX_TRANSFORMS; j++) {
        if (p->transforms[j].type == t->type && p->transforms[j].id == t->id &&
            p->transforms[j].keylen == t->keylen && !p->transforms[j].unknown_attr)
            return true;
    }
    return false;
}

int ike_proposal_select(const struct ike_proposal *offered, unsigned n_offered,
                        const struct ike_proposal *reply, struct ike_selected *sel)
{
    const struct ike_proposal *offer = NULL;
    const struct ike_transform *chosen[IKE_TRANS_ESN + 1] = {NULL};
    struct ike_selected s = {0};

    if (!offered || !reply || !sel)
        return -EINVAL;
    if (reply->n_transforms > IKE_MAX_TRANSFORMS)
        return -EBADMSG;
    /* a transform the parser skipped is one we support nowhere, so never offered */
    if (reply->n_skipped || reply->unknown_type)
        return -ENOENT;

    /* structure first: at most one transform per type */
    for (unsigned j = 0; j < reply->n_transforms; j++) {
        const struct ike_transform *t = &reply->transforms[j];

        if (t->type < IKE_TRANS_ENCR || t->type > IKE_TRANS_ESN)
            continue; /* not a type we offer: -ENOENT below */
        if (chosen[t->type])
            return -EBADMSG;
        chosen[t->type] = t;
    }

    for (unsigned i = 0; i < n_offered; i++) {
        if (offered[i].num == reply->num) {
            offer = &offered[i];
            break;
        }
    }
    if (!offer || offer->protocol != reply->protocol)
        return -ENOENT;

    switch (reply->protocol) {
    case IKE_PROTO_ESP:
        if (reply->spi_len != 4)
            return -EBADMSG;
        s.spi_len = 4;
        memcpy(s.spi, reply->spi, 4);
        if (!reply->spi[0] && !reply->spi[1] && !reply->spi[2]) /* 0..255 reserved, RFC 4303 */
            return -EBADMSG;
        break;
    case IKE_PROTO_IKE:
        if (reply->spi_len != offer->spi_len || (reply->spi_len != 0 && reply->spi_len != 8))
            return -EBADMSG;
        s.spi_len = reply->spi_len;
        if (s.spi_len) {
            static const uint8_t zero[8];

            if (!memcmp(reply->spi, zero, 8))
                return -EBADMSG;
            memcpy(s.spi, reply->spi, 8);
        }
        break;
    default:
        return -ENOENT;
    }

    for (unsigned j = 0; j < reply->n_transforms; j++) {
        const struct ike_transform *t = &reply->transforms[j];

        if (t->type < IKE_TRANS_ENCR || t->type > IKE_TRANS_ESN)
            return -ENOENT;
        if (!offer_has_type(offer, t->type)) {
            /* INTEG or KE "NONE" stands for the absent type (RFC 7296 3.3.2, 1.2) */
            if ((t->type == IKE_TRANS_INTEG || t->type == IKE_TRANS_KE) && t->id == 0 &&
                t->keylen == 0 && !t->unknown_attr) {
                chosen[t->type] = NULL;
                continue;
            }
            return -ENOENT;
        }
        /* an unknown attribute makes it a transform we did not offer (RFC 7296 3.3.6) */
        if (t->unknown_attr || !offer_has(offer, t))
            return -ENOENT;
    }
    for (uint8_t type = IKE_TRANS_ENCR; type <= IKE_TRANS_ESN; type++) {
        if (offer_has_type(offer, type) && !chosen[type])
            return -ENOENT;
    }
    if (!chosen[IKE_TRANS_ENCR]) /* our offers always have ENCR; a hand-made one may not */
        return -ENOENT;

    s.num = reply->num;
    s.protocol = reply->protocol;
    s.encr = chosen[IKE_TRANS_ENCR]->id;
    s.encr_keylen = chosen[IKE_TRANS_ENCR]->keylen;
    s.prf = chosen[IKE_TRANS_PRF] ? chosen[IKE_TRANS_PRF]->id : 0;
    s.integ = chosen[IKE_TRANS_INTEG] ? chosen[IKE_TRANS_INTEG]->id : IKE_INTEG_NONE;
    s.ke = chosen[IKE_TRANS_KE] ? chosen[IKE_TRANS_KE]->id : IKE_KE_NONE;
    s.esn = chosen[IKE_TRANS_ESN] && chosen[IKE_TRANS_ESN]->id == IKE_ESN_YES;
    *sel = s;
    return 0;
}

int ike_proposal_select_reply(const struct ike_proposal *offered, unsigned n_offered,
                              const struct ike_proposal *reply, unsigned n_reply,
                              struct ike_selected *sel)
{
    if (!offered || !reply || !sel)
        return -EINVAL;
    if (n_reply != 1)
        return -EBADMSG;
    return ike_proposal_select(offered, n_offered, reply, sel);
}

/* Is transform @t of the peer's acceptable under our proposal @q? */
static bool acceptable(const struct ike_proposal *q, const struct ike_transform *t)
{
    bool q_has_type = false;

    if (t->unknown_attr)
        return false;
    for (unsigned i = 0; i < q->n_transforms; i++) {
        const struct ike_transform *u = &q->transforms[i];
        if (u->type != t->type)
            continue;
        q_has_type = true;
        if (u->id == t->id && u->keylen == t->keylen)
            return true;
    }
    /* ESP offers carry no KE of ours (IKE_AUTH has none): a PFS group the
     * peer proposes in CREATE_CHILD_SA is fine if we can compute it */
    if (t->type == IKE_TRANS_KE && !q_has_type && q->protocol == IKE_PROTO_ESP)
        return ike_dh_supported(t->id);
    /* an explicit "no integrity" next to an AEAD cipher */
    if (t->type == IKE_TRANS_INTEG && t->id == IKE_INTEG_NONE && !q_has_type)
        return true;
    return false;
}

int ike_proposal_choose(const struct ike_proposal *ours, unsigned n_ours,
                        const struct ike_proposal *theirs, unsigned n_theirs,
                        struct ike_proposal *chosen, struct ike_selected *sel)
{
    static const uint8_t types[] = {IKE_TRANS_ENCR, IKE_TRANS_PRF, IKE_TRANS_INTEG, IKE_TRANS_KE,
                                    IKE_TRANS_ESN};

    if (!ours || !theirs || !chosen || !sel)
        return -EINVAL;
    for (unsigned pi = 0; pi < n_theirs; pi++) {
        const struct ike_proposal *p = &theirs[pi];
        for (unsigned qi = 0; qi < n_ours; qi++) {
            const struct ike_proposal *q = &ours[qi];
            struct ike_proposal c;
            bool ok = q->protocol == p->protocol && !p->unknown_type;

            memset(&c, 0, sizeof(c));
            c.num = p->num;
            c.protocol = p->protocol;
            c.spi_len = p->spi_len;
            memcpy(c.spi, p->spi, sizeof(c.spi));
            for (unsigned ti = 0; ok && ti < sizeof(types); ti++) {
                /* a type whose transforms the parser all skipped is still there */
                bool present = p->types_present & IKE_TRANS_BIT(types[ti]), found = false;
                for (unsigned k = 0; k < p->n_transforms && !found; k++) {
                    const struct ike_transform *t = &p->transforms[k];
                    if (t->type != types[ti])
                        continue;
                    present = true;
                    if (acceptable(q, t)) {
                        c.transforms[c.n_transforms++] = *t;
                        found = true;
                    }
                }
                ok = !present || found;
            }
            if (!ok)
                continue;
            /* what the rest of the code relies on: select() validates it */
            struct ike_selected tmp;
            struct ike_proposal offered = c;
            if (ike_proposal_select(&offered, 1, &c, &tmp) < 0)
                continue;
            if (c.protocol == IKE_PROTO_IKE && (!tmp.prf || !tmp.ke))
                continue;
            *chosen = c;
            *sel = tmp;
            return 0;
        }
    }
    return -ENOENT;
}

int ike_selected_esp_params(const struct ike_selected *sel, struct ike_esp_params *out)
{
    struct ike_esp_params e = {0};

    if (!sel || !out || sel->protocol != IKE_PROTO_ESP || sel->spi_len != 4)
        return -EINVAL;
    e.encr = sel->encr;
    e.integ = sel->integ;
    e.aead = ike_encr_is_aead(sel->encr);
    e.esn = sel->esn;
    e.spi = (uint32_t)sel->spi[0] << 24 | (uint32_t)sel->spi[1] << 16 | (uint32_t)sel->spi[2] << 8 |
            sel->spi[3];
    e.encr_keymat_len = ike_encr_key_len(sel->encr, sel->encr_keylen);
    e.encr_key_bits = sel->encr == IKE_ENCR_CHACHA20_POLY1305 ? 256 : sel->encr_keylen;
    e.encr_name = ike_encr_keyword(sel->encr, sel->encr_keylen);
    e.integ_name = ike_integ_keyword(sel->integ);
    if (!e.encr_keymat_len || !e.encr_name || !e.integ_name)
        return -EINVAL;
    if (e.aead) {
        if (sel->integ != IKE_INTEG_NONE)
            return -EINVAL;
        e.icv_len = 16;
    } else {
        if (sel->integ == IKE_INTEG_NONE)
            return -EINVAL;
        e.integ_keymat_len = ike_integ_key_len(sel->integ);
        e.icv_len = ike_integ_icv_len(sel->integ);
    }
    *out = e;
    return 0;
}
