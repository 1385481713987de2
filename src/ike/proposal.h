/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKE and ESP SA proposals: configuration strings in strongSwan syntax, the
 * initiator's check of the responder's choice, and the key sizes the chosen
 * transforms need.
 *
 * Flow: a proposal string from the connection settings (or the default
 * below) -> ike_proposals_parse() -> struct ike_proposal[] that the payload
 * builder puts into the SA payload of IKE_SA_INIT (IKE), IKE_AUTH (ESP, after
 * ike_proposals_strip_ke()) or CREATE_CHILD_SA.  The responder's SA payload,
 * parsed by the payload module, comes back through ike_proposal_select() ->
 * struct ike_selected -> key derivation (ike_*_key_len()) and, for ESP,
 * ike_selected_esp_params() -> the service, which installs the SA in the
 * engine.  On INVALID_KE_PAYLOAD, ike_proposals_prefer_ke() reorders the
 * offer before the retry.
 *
 * String syntax (strongSwan "proposals" / "esp_proposals"): proposals are
 * separated by commas, algorithm keywords within a proposal by dashes;
 * blanks around both are ignored, keywords are case-insensitive.  Several
 * algorithms of one kind in one proposal are offered in the order written.
 * Keywords (all this project implements):
 *
 *   ENCR   aes128 (aes), aes256                      AES-CBC, key length 128/256
 *          aes128gcm16 (aes128gcm128, aes128gcm),
 *          aes256gcm16 (aes256gcm128, aes256gcm)     AES-GCM 16-byte ICV
 *          chacha20poly1305                          RFC 7634, no key length attribute
 *   INTEG  sha256 (sha2_256), sha384 (sha2_384),
 *          sha512 (sha2_512)                         HMAC-SHA2-256-128/384-192/512-256
 *   PRF    prfsha256, prfsha384, prfsha512           IKE only
 *   KE     x25519 (curve25519), ecp256, ecp384,
 *          modp2048, modp3072, modp4096              IKE: required; ESP: PFS group(s)
 *                                                    for CREATE_CHILD_SA
 *   ESN    esn, noesn                                ESP only
 *
 * Rules (as strongSwan's proposal_create_from_string(), except where noted):
 *   - every proposal needs an encryption algorithm;
 *   - AEAD (GCM, ChaCha20-Poly1305) and classic (CBC) ciphers cannot share a
 *     proposal;
 *   - IKE without an explicit PRF: one PRF per integrity algorithm, same hash
 *     (sha256 -> prfsha256, ...), also in AEAD proposals; an AEAD IKE proposal
 *     thus needs a prf* keyword or an integrity keyword to derive it from;
 *   - integrity algorithms in an AEAD proposal are dropped (after the PRF was
 *     derived from them), never sent;
 *   - classic ciphers need an integrity algorithm, in IKE (strongSwan too)
 *     and in ESP (strongSwan allows encryption-only ESP; we do not);
 *   - IKE proposals need a KE method;
 *   - a PRF in an ESP proposal or esn/noesn in an IKE proposal is an error
 *     (strongSwan silently drops the PRF; it is better to say so);
 *   - ESP without esn/noesn offers ESN YES then NO (strongSwan offers only NO):
 *     the engine implements ESN, and the responder may still pick NO;
 *   - a keyword repeated in a proposal (also through an alias), the same
 *     proposal twice, empty proposals and empty keywords are errors
 *     (strongSwan accepts or ignores them).
 *
 * Not supported on purpose: the special value "default" (use the defaults
 * below), strongSwan's trailing '!' (strict) flag, "none" as a KE method, and
 * algorithms this project does not implement (aes192, sha1, modp1024, ...).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike-types.h"

/*
 * Defaults, used when the connection names no proposals.  Two proposals per
 * protocol: AEAD first (one round of AES-GCM or ChaCha20-Poly1305, no
 * separate MAC), then AES-CBC + HMAC-SHA2 for gateways without AEAD.  Only
 * algorithms of at least 128-bit strength, plus modp2048 (RFC 8247 MUST, the
 * lowest common denominator of old gateways) last.  x25519 comes first as it
 * is the KE payload we send in IKE_SA_INIT; a gateway that wants another
 * group answers INVALID_KE_PAYLOAD and we retry with it.  ESP carries no KE
 * (no PFS) by default: with a gateway whose CHILD_SA has no PFS, a PFS offer
 * fails only at the first rekey; add e.g. "-x25519" to ESP proposals for PFS.
 */
#define IKE_PROPOSALS_DEFAULT_IKE                                                                  \
    "aes256gcm16-aes128gcm16-chacha20poly1305-prfsha384-prfsha256-prfsha512-"                      \
    "x25519-ecp384-ecp256-modp3072-modp4096-modp2048,"                                             \
    "aes256-aes128-sha384-sha256-sha512-x25519-ecp384-ecp256-modp3072-modp4096-modp2048"
#define IKE_PROPOSALS_DEFAULT_ESP                                                                  \
    "aes256gcm16-aes128gcm16-chacha20poly1305,"                                                    \
    "aes256-aes128-sha384-sha256-sha512"

/*
 * Errors of ike_proposals_parse().  @err_detail then holds the offending
 * keyword ("kw") or the offending proposal, blanks trimmed ("proposal").
 */
enum {
    IKE_PROPOSAL_E_INVAL = -EINVAL,              /* bad arguments; detail "" */
    IKE_PROPOSAL_E_UNKNOWN = -ENOENT,            /* unknown/unsupported keyword; kw */
    IKE_PROPOSAL_E_EMPTY = -ENODATA,             /* empty list, proposal or keyword; proposal */
    IKE_PROPOSAL_E_DUPLICATE = -EEXIST,          /* kw repeated, or proposal repeated */
    IKE_PROPOSAL_E_TOO_MANY = -E2BIG,            /* > max proposals (or transforms); proposal */
    IKE_PROPOSAL_E_WRONG_PROTOCOL = -EPROTOTYPE, /* PRF in ESP, esn/noesn in IKE; kw */
    IKE_PROPOSAL_E_MIXED = -EILSEQ,              /* AEAD and classic cipher together; kw */
    IKE_PROPOSAL_E_NO_ENCR = -ENOPROTOOPT,       /* no encryption algorithm; proposal */
    IKE_PROPOSAL_E_NO_INTEG = -EBADE,            /* classic cipher without integrity; proposal */
    IKE_PROPOSAL_E_NO_PRF = -EDOM,               /* AEAD IKE proposal without PRF; proposal */
    IKE_PROPOSAL_E_NO_KE = -ENOKEY,              /* IKE proposal without KE method; proposal */
};

/*
 * Parse the proposal list @s for @protocol (IKE_PROTO_IKE or IKE_PROTO_ESP)
 * into @out[0..*n_out): numbered from 1, transforms in RFC 7296 order ENCR,
 * PRF, INTEG, KE, ESN (within a type in the order written), AES with a key
 * length of 128 or 256, SPI size 0 (IKE) or 4 (ESP) with a zero SPI (set it
 * with ike_proposals_set_spi()).  At most min(@max, IKE_MAX_PROPOSALS).
 *
 * Returns 0 or one of IKE_PROPOSAL_E_* (see above).  On failure @out and
 * @n_out are untouched and, if @err_len > 0, @err_detail holds the
 * NUL-terminated (possibly truncated) detail; on success @err_detail is
 * untouched.
 */
int ike_proposals_parse(const char *s, uint8_t protocol, struct ike_proposal *out, unsigned max,
                        unsigned *n_out, char *err_detail, size_t err_len);

/* ike_proposals_parse() of IKE_PROPOSALS_DEFAULT_IKE / _ESP.  Same returns. */
int ike_proposals_default(uint8_t protocol, struct ike_proposal *out, unsigned max,
                          unsigned *n_out);

/* Put @spi_len (0, 4 or 8) bytes of @spi into each proposal (our SPI). */
void ike_proposals_set_spi(struct ike_proposal *props, unsigned n, const uint8_t *spi,
                           uint8_t spi_len);

/*
 * Remove the KE transforms from each proposal, for the ESP offer in IKE_AUTH
 * (RFC 7296 1.2: IKE_AUTH carries no KE payload, so its SA payload has no KE
 * transform; the first CHILD_SA's keys come from the IKE SA).
 */
void ike_proposals_strip_ke(struct ike_proposal *props, unsigned n);

/*
 * The first KE method of the first proposal: the group of the KE payload
 * to send.  Returns 0, -EINVAL (NULL) or -ENOENT (no proposal, or the first
 * has no KE transform); @group untouched on failure.
 */
int ike_proposals_first_ke(const struct ike_proposal *props, unsigned n, uint16_t *group);

/*
 * After INVALID_KE_PAYLOAD naming @group: move @group to the front of the
 * KE transforms of every proposal that has it, move those proposals (in
 * their order) before the others, renumber from 1.  Afterwards
 * ike_proposals_first_ke() gives @group.  Returns 0, -EINVAL (NULL, group 0)
 * or -ENOENT (we never offered @group: the responder misbehaves); nothing is
 * changed on failure.
 */
int ike_proposals_prefer_ke(struct ike_proposal *props, unsigned n, uint16_t group);

/*
 * For a peer's request that carries a KE payload of @group (RFC 7296 1.3):
 * make @group the first KE method of every proposal that has it, so that
 * ike_proposal_choose() takes it where acceptable.  Proposal order and
 * numbers stay as the peer sent them.
 */
void ike_proposals_front_ke(struct ike_proposal *props, unsigned n, uint16_t group);

/* ---- the responder's choice ---------------------------------------------- */

struct ike_selected {
    uint8_t num;          /* proposal number, as offered */
    uint8_t protocol;     /* IKE_PROTO_IKE or IKE_PROTO_ESP */
    uint16_t encr;        /* IKE_ENCR_* */
    uint16_t encr_keylen; /* key length attribute in bits; 0 = none (ChaCha20-Poly1305) */
    uint16_t prf;         /* IKE_PRF_*; 0 for ESP */
    uint16_t integ;       /* IKE_INTEG_*; IKE_INTEG_NONE with AEAD */
    uint16_t ke;          /* IKE_KE_*; IKE_KE_NONE when none was offered */
    bool esn;             /* ESP: extended sequence numbers chosen */
    uint8_t spi_len;      /* responder's SPI: 0 (IKE_SA_INIT), 4 (ESP), 8 (IKE rekey) */
    uint8_t spi[8];
};

/*
 * Check the single proposal @reply of the responder's SA payload against
 * our offer (RFC 7296 2.7, 3.3) and describe it in @sel:
 *   - its number names one of @offered with the same protocol;
 *   - its SPI size is that offer's (0 for IKE_SA_INIT, 8 for an IKE rekey)
 *     or 4 for ESP, and an ESP SPI is not reserved (>= 256), an IKE one not 0;
 *   - exactly one transform of each type that offer has, each one we offered
 *     there, with the same key length attribute and no other attribute
 *     (unknown_attr: RFC 7296 3.3.6 makes it a transform we do not support);
 *   - no transform of a type that offer lacks (tolerated: INTEG or KE with
 *     ID NONE, which RFC 7296 allows to stand for "absent").
 * Returns 0; -EINVAL (NULL argument); -EBADMSG (malformed: a type twice,
 * wrong SPI size, reserved SPI, too many transforms); -ENOENT (not what we
 * offered: unknown number, other protocol, transform, key length, unknown
 * attribute or type not offered, offered type missing).  @sel untouched on
 * failure.
 */
int ike_proposal_select(const struct ike_proposal *offered, unsigned n_offered,
                        const struct ike_proposal *reply, struct ike_selected *sel);

/*
 * The same for the whole SA payload: -EBADMSG unless it holds exactly one
 * proposal (@n_reply == 1), then ike_proposal_select().
 */
int ike_proposal_select_reply(const struct ike_proposal *offered, unsigned n_offered,
                              const struct ike_proposal *reply, unsigned n_reply,
                              struct ike_selected *sel);

/*
 * What the ESP engine needs of a selected ESP proposal, in engine-neutral
 * terms: IKE transform IDs plus the strongSwan keywords, which are also the
 * engine's transform names (uip_encr_from_name(), uip_integ_from_name()).
 */
struct ike_esp_params {
    uint16_t encr;          /* IKE_ENCR_* */
    uint16_t encr_key_bits; /* cipher key size without salt: 128 or 256 */
    uint16_t integ;         /* IKE_INTEG_*; IKE_INTEG_NONE with AEAD */
    bool aead;
    bool esn;
    uint32_t spi;            /* responder's SPI (our outbound SA), host order */
    const char *encr_name;   /* "aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128", ... */
    const char *integ_name;  /* "sha256", "sha384", "sha512" or "none" */
    size_t encr_keymat_len;  /* KEYMAT bytes per direction for ENCR, incl. 4-byte AEAD salt */
    size_t integ_keymat_len; /* KEYMAT bytes per direction for INTEG; 0 with AEAD */
    size_t icv_len;          /* bytes of ICV on the wire */
};

/* Returns 0 or -EINVAL (NULL, not ESP, or a combination we do not implement). */
/*
 * The responder's choice (for CREATE_CHILD_SA requests from the gateway):
 * the first of the peer's proposals @theirs that one of @ours accepts,
 * reduced to one transform of each type present (the peer's first
 * acceptable one), keeping the peer's number and SPI.  A KE method in an
 * ESP proposal is accepted when we can compute it even though our ESP
 * offers carry none.  Returns 0 with @chosen and @sel filled, -ENOENT when
 * nothing matches, -EINVAL for NULL arguments.
 */
int ike_proposal_choose(const struct ike_proposal *ours, unsigned n_ours,
                        const struct ike_proposal *theirs, unsigned n_theirs,
                        struct ike_proposal *chosen, struct ike_selected *sel);

int ike_selected_esp_params(const struct ike_selected *sel, struct ike_esp_params *out);

/*
 * Whether this implementation can use a transform: a type ENCR .. ESN with an
 * ID (and, for ENCR, a key length in bits; 0 = no attribute) from the list
 * at the top of this file, or INTEG/KE "NONE".  The SA parser keeps only
 * these (RFC 7296 3.3.6: the others are skipped, not an error).
 */
bool ike_transform_supported(uint8_t type, uint16_t id, uint16_t keylen_bits);

/* ---- sizes for key derivation (RFC 7296 2.13, 2.14, 2.17) ----------------- */

/*
 * Bytes of keying material for the cipher: AES-CBC 16/32, AES-GCM 16/32 + 4
 * salt (RFC 4106 8.1 / RFC 5282), ChaCha20-Poly1305 32 + 4 salt (RFC 7634;
 * @keylen_bits 0, or 256).  0 for anything else.
 */
size_t ike_encr_key_len(uint16_t id, uint16_t keylen_bits);
bool ike_encr_is_aead(uint16_t id);
/* HMAC-SHA2 key = hash output (RFC 4868): 32/48/64; 0 for NONE or unknown. */
size_t ike_integ_key_len(uint16_t id);
/* Truncated ICV: 16/24/32; 0 for NONE or unknown. */
size_t ike_integ_icv_len(uint16_t id);
/* Preferred key length of the PRF = its output length for HMAC (RFC 4868): 32/48/64. */
size_t ike_prf_key_len(uint16_t id);
size_t ike_prf_out_len(uint16_t id);

/* ---- names for logs --------------------------------------------------------- */

/*
 * strongSwan's name of a transform without key length ("AES_GCM_16",
 * "PRF_HMAC_SHA2_384", "CURVE_25519", "EXT_SEQ"), or NULL if unknown.
 */
const char *ike_transform_name(uint8_t type, uint16_t id);
/* The keyword for a cipher and key length ("aes256gcm16"), or NULL. */
const char *ike_encr_keyword(uint16_t id, uint16_t keylen_bits);
/* The keyword for an integrity algorithm ("sha256"; "none" for NONE), or NULL. */
const char *ike_integ_keyword(uint16_t id);

/*
 * Format like strongSwan's %P, e.g. "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/
 * CURVE_25519" or "ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ/NO_EXT_SEQ"
 * (types in the order ENCR, INTEG, PRF, KE, ESN; unknown IDs as
 * UNKNOWN_<type>_<id>).  Like snprintf(): writes at most @len bytes incl. the
 * NUL and returns the length the whole string has (so >= @len means
 * truncated).
 */
size_t ike_proposal_to_string(const struct ike_proposal *p, char *buf, size_t len);
/* All proposals, separated by ", ".  Same convention. */
size_t ike_proposals_to_string(const struct ike_proposal *props, unsigned n, char *buf, size_t len);
/* The selection, same format ("ESP:AES_GCM_16_256/NO_EXT_SEQ"). */
size_t ike_selected_to_string(const struct ike_selected *sel, char *buf, size_t len);
