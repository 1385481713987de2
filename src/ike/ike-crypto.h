/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKEv2 cryptography above the key exchange, all through OpenSSL 3 EVP:
 *
 *   PRF      HMAC-SHA2-256/384/512 (RFC 4868 2.1.2, transform IDs 5/6/7) and
 *            prf+ (RFC 7296 2.13)
 *   keys     SKEYSEED and {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *            (RFC 7296 2.14), rekeyed SKEYSEED (2.18), CHILD_SA KEYMAT (2.17)
 *   SK       the Encrypted payload (RFC 7296 3.14): AES-CBC + HMAC-SHA2
 *            (RFC 3602, RFC 4868), AES-GCM-16 (RFC 5282), ChaCha20-Poly1305
 *            (RFC 7634); also usable for the SKF payload (RFC 7383)
 *   AUTH     shared-key AUTH (RFC 7296 2.15) and its EAP form (2.16)
 *
 * Flow: IKE_SA_INIT done -> ike_skeyseed() (g^ir from dh.h) -> ike_keys_derive()
 * -> ike_sk_ctx_new_from_keys() twice (outbound encrypt, inbound decrypt) ->
 * every IKE_AUTH and later message through ike_sk_encrypt()/ike_sk_decrypt();
 * ike_signed_octets() + ike_auth_psk()/ike_auth_eap() for the AUTH payloads;
 * ike_child_keys_derive() for each CHILD_SA -> ESP engine.
 *
 * Every int function returns 0 or a negative errno-style code listed at the
 * function.  Common to all: -EINVAL for a NULL pointer, a bad length or an
 * unsupported transform ID where one is needed; -ENOMEM; -EIO for an
 * unexpected OpenSSL failure.  On failure out-parameters are left untouched.
 * Every secret (keys, SKEYSEED, AUTH values) is wiped when dropped; nothing
 * here logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_PRF_MAX_LEN       64 /* PRF output and key length (HMAC-SHA2-512) */
#define IKE_ENCR_MAX_KEY_LEN  36 /* AES-256-GCM / ChaCha20-Poly1305 key + 4-byte salt */
#define IKE_INTEG_MAX_KEY_LEN 64 /* HMAC-SHA2-512-256 */
#define IKE_SK_MAX_IV_LEN     16
#define IKE_SK_MAX_ICV_LEN    32
#define IKE_SPI_LEN           8
#define IKE_PRF_PLUS_MAX_ITER 255 /* RFC 7296 2.13: the counter is one octet */

/* ---- transforms ------------------------------------------------------------------------- */

/* The IKE SA transforms the key derivation and the SK payload need (from struct ike_selected). */
struct ike_crypto_suite {
    uint16_t encr;        /* IKE_ENCR_AES_CBC, IKE_ENCR_AES_GCM_16, IKE_ENCR_CHACHA20_POLY1305 */
    uint16_t encr_keylen; /* key length attribute, bits: AES 128/256; ChaCha20 0 or 256 */
    uint16_t integ;       /* IKE_INTEG_HMAC_SHA2_*; IKE_INTEG_NONE with an AEAD */
    uint16_t prf;         /* IKE_PRF_HMAC_SHA2_* */
};

/* PRF output length = its preferred key length (RFC 4868 2.1.2); 0 if unsupported. */
/*
 * Fetch every algorithm the IKE SA and the engine may use, once and thrown away:
 * OpenSSL does its first-use work (configuration, providers, method store, DRBG)
 * then, and later fetches come from its cache.  Thread safe; the service runs it
 * on a thread while it still talks to NetworkManager.
 */
void ike_crypto_warm_up(void);

size_t ike_prf_len(uint16_t prf);
bool ike_prf_supported(uint16_t prf);

/*
 * Key lengths of the ENCR and INTEG transforms: ike_encr_key_len(),
 * ike_encr_is_aead() and ike_integ_key_len() in ike/proposal.h (salt included
 * for AEAD: AES-GCM-16 key + 4, RFC 5282; ChaCha20-Poly1305 32 + 4, RFC 7634).
 */

/*
 * Check a negotiated suite: 0, -EOPNOTSUPP (a transform this module does not
 * implement), -EINVAL (NULL, AEAD with an INTEG transform, CBC without one).
 */
int ike_crypto_suite_check(const struct ike_crypto_suite *s);

/* ---- PRF and prf+ ----------------------------------------------------------------------- */

/*
 * out = prf(key, data): ike_prf_len(@prf) bytes.  @key may have any length
 * > 0 (HMAC hashes long keys); @data may be empty.
 * Returns 0, -EINVAL, -ENOMEM, -EIO.
 */
int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
            uint8_t *out);

/*
 * out = the first @out_len bytes of prf+(key, seed) = T1 | T2 | ... where
 * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) (RFC 7296 2.13).
 * Returns 0, -EINVAL (also when @out_len is 0 or needs more than 255
 * iterations, i.e. > 255 * ike_prf_len(prf)), -ENOMEM, -EIO.
 */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed,
                 size_t seed_len, uint8_t *out, size_t out_len);

/* ---- IKE SA keys ------------------------------------------------------------------------ */

/*
 * SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 2.14), ike_prf_len(@prf) bytes into
 * @skeyseed; wipe it with uip_wipe() once the keys are derived.
 * Nonces are the Nonce payload bodies (16..256 bytes, not checked here).
 * Returns 0, -EINVAL, -ENOMEM, -EIO.
 */
int ike_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                 const uint8_t *gir, size_t gir_len, uint8_t *skeyseed);

/*
 * Rekeyed IKE SA (RFC 7296 2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
 * with the OLD IKE SA's PRF (@old_prf); Ni, Nr from the CREATE_CHILD_SA
 * exchange.  The new SA's keys then come from ike_keys_derive() with the new
 * suite and the new SPIs.  Returns 0, -EINVAL, -ENOMEM, -EIO.
 */
int ike_skeyseed_rekey(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
                       const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
                       const uint8_t *nr, size_t nr_len, uint8_t *skeyseed);

/* The seven IKE SA keys; lengths from the suite (sk_a_len is 0 with an AEAD). */
struct ike_keys {
    struct ike_crypto_suite suite;
    size_t sk_d_len; /* = ike_prf_len(prf), also the length of SK_pi and SK_pr */
    size_t sk_a_len;
    size_t sk_e_len; /* salt included for AEAD */
    size_t sk_p_len;
    uint8_t sk_d[IKE_PRF_MAX_LEN];
    uint8_t sk_ai[IKE_INTEG_MAX_KEY_LEN];
    uint8_t sk_ar[IKE_INTEG_MAX_KEY_LEN];
    uint8_t sk_ei[IKE_ENCR_MAX_KEY_LEN];
    uint8_t sk_er[IKE_ENCR_MAX_KEY_LEN];
    uint8_t sk_pi[IKE_PRF_MAX_LEN];
    uint8_t sk_pr[IKE_PRF_MAX_LEN];
};

/*
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *     = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)          (RFC 7296 2.14)
 * with the suite's PRF; SPIs are the 8-byte IKE SPIs in wire order.
 * On success *@out must be released with ike_keys_free().
 * Returns 0, -EINVAL, -EOPNOTSUPP (see ike_crypto_suite_check), -ENOMEM, -EIO.
 */
int ike_keys_derive(const struct ike_crypto_suite *s, const uint8_t *skeyseed, size_t skeyseed_len,
                    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                    const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
                    struct ike_keys **out);

/* Wipe and free. NULL is fine. */
void ike_keys_free(struct ike_keys *k);

/* ---- CHILD_SA keys ---------------------------------------------------------------------- */

/*
 * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (RFC 7296 2.17), split per
 * direction: initiator->responder first, then responder->initiator; within a
 * direction the encryption key (salt included for AEAD) then the integrity
 * key.  i2r and r2i each point at a contiguous encr||integ block of
 * encr_len + integ_len bytes, the KEYMAT layout the ESP engine takes.
 */
struct ike_child_keys {
    size_t encr_len;        /* per direction */
    size_t integ_len;       /* per direction, 0 with an AEAD */
    const uint8_t *ei, *ai; /* initiator -> responder: ei == i2r, ai == ei + encr_len */
    const uint8_t *er, *ar; /* responder -> initiator: er == r2i */
    const uint8_t *i2r, *r2i;
    size_t keymat_len; /* 2 * (encr_len + integ_len) */
    uint8_t keymat[];  /* the whole KEYMAT */
};

/*
 * Derive CHILD_SA keys with the IKE SA's PRF and SK_d.  @gir / @gir_len: the
 * new shared secret of a CREATE_CHILD_SA with a KE payload, or NULL / 0.
 * @encr_len + @integ_len > 0; the total must fit 255 PRF blocks.
 * On success *@out must be released with ike_child_keys_free().
 * Returns 0, -EINVAL, -ENOMEM, -EIO.
 */
int ike_child_keys_derive(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *gir,
                          size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                          size_t nr_len, size_t encr_len, size_t integ_len,
                          struct ike_child_keys **out);

/* Wipe and free. NULL is fine. */
void ike_child_keys_free(struct ike_child_keys *k);

/* ---- SK payload --------------------------------------------------------------------------- */

/*
 * One keyed context per IKE SA direction (created once, per message only the
 * IV/nonce is set).  Message layout (offsets from the start of the IKE header):
 *
 *   [IKE header 28][other payloads ...][SK hdr @sk_off][IV][inner payloads][pad][pad len][ICV]
 *                                                    ^ body_off
 *
 * @sk_off is the SK payload's generic header (its length field at sk_off + 2),
 * @body_off the first byte after the payload's header: sk_off + 4 for SK,
 * sk_off + 8 for SKF (RFC 7383 2.5).  AEAD: AAD = msg[0, body_off), nonce =
 * salt(4) || IV(8), ICV = 16-byte tag (RFC 5282, RFC 7634).  CBC: IV 16
 * random bytes, ICV = truncated HMAC over msg[0, end of pad length].
 * The SK payload must be the last payload of the message.
 */
struct ike_sk_ctx;

/*
 * Key a context.  @encr_key_len must be ike_encr_key_len() (proposal.h),
 * @integ_key_len ike_integ_key_len() (NULL / 0 with an AEAD).  @encrypt
 * selects the direction (outbound: encrypt; inbound: decrypt).
 * Returns 0, -EINVAL, -EOPNOTSUPP, -ENOMEM, -EIO.
 */
int ike_sk_ctx_new(uint16_t encr, uint16_t encr_keylen, uint16_t integ, const uint8_t *encr_key,
                   size_t encr_key_len, const uint8_t *integ_key, size_t integ_key_len,
                   bool encrypt, struct ike_sk_ctx **out);

/*
 * Key a context from derived IKE SA keys.  @initiator: our role in the IKE SA
 * (the original initiator, RFC 7296 2.14: SK_ei/SK_ai protect the initiator's
 * messages, requests and responses alike); @outbound: encrypt our messages
 * (true) or decrypt the peer's (false).  Returns as ike_sk_ctx_new().
 */
int ike_sk_ctx_new_from_keys(const struct ike_keys *k, bool initiator, bool outbound,
                             struct ike_sk_ctx **out);

/* Free (OpenSSL wipes the keys). NULL is fine. */
void ike_sk_ctx_free(struct ike_sk_ctx *c);

size_t ike_sk_iv_len(const struct ike_sk_ctx *c);
size_t ike_sk_icv_len(const struct ike_sk_ctx *c);

/* Bytes ike_sk_encrypt() adds to @inner_len bytes of inner payloads: IV, pad, pad length, ICV */
size_t ike_sk_overhead(const struct ike_sk_ctx *c, size_t inner_len);

/* Largest inner payload length whose SK body (IV .. ICV) fits in @room bytes; 0 if none. */
size_t ike_sk_max_inner(const struct ike_sk_ctx *c, size_t room);

/*
 * Encrypt in place.  On entry @msg holds the IKE header, any cleartext
 * payloads, the SK payload header at @sk_off (its Next Payload set) and
 * @inner_len bytes of plaintext inner payloads at @body_off; @buf_size is the
 * whole buffer.  The function moves the plaintext up to make room for the IV,
 * pads (CBC: to 16 bytes; AEAD: none), writes the SK payload length and the
 * IKE header length, encrypts and appends the ICV; *@msg_len = the message
 * length (body_off + ike_sk_overhead() + inner_len).
 * Returns 0, -EINVAL (decrypt context, bad offsets), -ENOSPC (@buf_size too
 * small; nothing written), -EMSGSIZE (over 65535 bytes), -EOVERFLOW (AEAD IV
 * space exhausted), -EIO (the buffer content is then unspecified).
 */
int ike_sk_encrypt(struct ike_sk_ctx *c, uint8_t *msg, size_t sk_off, size_t body_off,
                   size_t inner_len, size_t buf_size, size_t *msg_len);

/*
 * The same for a builder that already reserved ike_sk_iv_len() bytes for the
 * IV after the SK header (ike_builder_sk_begin(b, iv_len) in payload.h): the
 * @inner_len bytes of inner payloads are at body_off + ike_sk_iv_len() and
 * are not moved; anything the builder appended after them (padding room)
 * is overwritten.  Returns as ike_sk_encrypt().
 */
int ike_sk_encrypt_after_iv(struct ike_sk_ctx *c, uint8_t *msg, size_t sk_off, size_t body_off,
                            size_t inner_len, size_t buf_size, size_t *msg_len);

/*
 * Verify and decrypt in place a received message of @msg_len bytes whose SK
 * payload header is at @sk_off and body at @body_off (found by the parser).
 * Checks that the IKE header length equals @msg_len and that the SK payload
 * ends the message; CBC: compares the ICV in constant time before decrypting;
 * AEAD: verifies the tag.  (From payload.h's struct ike_sk: body_off =
 * sk.enc - msg, sk_off = body_off - 4 for SK, - 8 for SKF.)
 * On success *@inner points at the inner payloads in
 * @msg (padding and pad length removed) and *@inner_len is their length.
 * Returns 0, -EINVAL (encrypt context, bad offsets), -EBADMSG (length
 * mismatch, truncated, not block aligned, ICV mismatch, bad pad length; the
 * buffer content is then unspecified), -EIO.
 */
int ike_sk_decrypt(struct ike_sk_ctx *c, uint8_t *msg, size_t msg_len, size_t sk_off,
                   size_t body_off, uint8_t **inner, size_t *inner_len);

/*
 * Test-only: the AEAD IV counter (IV = the counter, big-endian) of an encrypt
 * context, normally started at a random value.  Returns 0 or -EINVAL (CBC or
 * decrypt context).  Never reuse an IV with a key in the protocol.
 */
int ike_sk_set_iv_counter(struct ike_sk_ctx *c, uint64_t next);

/* ---- AUTH (shared key and EAP) ------------------------------------------------------------ */

/*
 * SignedOctets = RealMessage | Nonce | prf(SK_p, RestOfIDPayload) (RFC 7296 2.15):
 * for the initiator's AUTH: its IKE_SA_INIT request, Nr and prf(SK_pi, IDi');
 * for the responder's: its IKE_SA_INIT response, Ni and prf(SK_pr, IDr').
 * @id_body is the ID payload without its generic header: ID type, 3 reserved
 * bytes, identification data.  On success *@out (*@out_len bytes) must be
 * released with uip_free_secret().
 * Returns 0, -EINVAL, -ENOMEM, -EIO.
 */
int ike_signed_octets(uint16_t prf, const uint8_t *msg, size_t msg_len, const uint8_t *nonce,
                      size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len,
                      const uint8_t *id_body, size_t id_body_len, uint8_t **out, size_t *out_len);

/*
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), SignedOctets), with the
 * PSK as the shared secret (RFC 7296 2.15); ike_prf_len(@prf) bytes into @auth.
 * Returns 0, -EINVAL (also an empty PSK), -ENOMEM, -EIO.
 */
int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *signed_octets,
                 size_t signed_octets_len, uint8_t *auth);

/*
 * EAP form (RFC 7296 2.16): the shared secret is the MSK when the EAP method
 * produced one (@msk non-NULL, @msk_len > 0), otherwise @sk_p: SK_pi for the
 * initiator's AUTH, SK_pr for the responder's.  Returns as ike_auth_psk().
 */
int ike_auth_eap(uint16_t prf, const uint8_t *msk, size_t msk_len, const uint8_t *sk_p,
                 size_t sk_p_len, const uint8_t *signed_octets, size_t signed_octets_len,
                 uint8_t *auth);

/*
 * Compare a received AUTH value with the expected one in constant time.
 * Returns 0 (equal) or -EBADMSG (different, or different lengths).
 */
int ike_auth_verify(const uint8_t *expected, size_t expected_len, const uint8_t *received,
                    size_t received_len);

/*
 * Compute the PSK AUTH the peer should have sent and compare (the computed
 * value is wiped).  Returns 0, -EBADMSG (mismatch), or as ike_auth_psk().
 */
int ike_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
                        const uint8_t *signed_octets, size_t signed_octets_len,
                        const uint8_t *received, size_t received_len);
