/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESP transforms through OpenSSL 3 EVP: one keyed context per SA direction,
 * created at install time; per packet only the IV/nonce is set.
 *
 *   AEAD  (RFC 4106 AES-GCM-16, RFC 7634 ChaCha20-Poly1305):
 *     keymat = key || salt(4);  nonce = salt || IV(8);  wire IV = 8 bytes
 *     AAD = SPI || seq (8 bytes) or SPI || seq-high || seq-low (12 bytes, ESN)
 *     ICV = 16-byte tag
 *   AES-CBC + HMAC-SHA2 (RFC 3602, RFC 4868):
 *     keymat = enc key || integ key (RFC 7296 2.17 order)
 *     wire IV = 16 random bytes
 *     ICV = truncated HMAC over SPI..trailer, then seq-high when ESN (RFC 4303 2.2.1)
 *
 * The ESP packet layout that seal/open work on, in place:
 *   [SPI 4][seq 4][IV iv_len][payload .. pad .. padlen 1, nexthdr 1][ICV icv_len]
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;

enum uip_encr {
    UIP_ENCR_NONE = 0,
    UIP_ENCR_AES_GCM_16_128,
    UIP_ENCR_AES_GCM_16_256,
    UIP_ENCR_CHACHA20_POLY1305,
    UIP_ENCR_AES_CBC_128,
    UIP_ENCR_AES_CBC_256,
};

enum uip_integ {
    UIP_INTEG_NONE = 0,
    UIP_INTEG_HMAC_SHA2_256_128,
    UIP_INTEG_HMAC_SHA2_384_192,
    UIP_INTEG_HMAC_SHA2_512_256,
};

#define UIP_ESP_HDR_LEN     8  /* SPI + sequence number */
#define UIP_ESP_MAX_IV_LEN  16
#define UIP_ESP_MAX_ICV_LEN 32
#define UIP_ESP_TRAILER_LEN 2 /* pad length + next header */

struct uip_esp_crypto {
    enum uip_encr encr;
    enum uip_integ integ;
    EVP_CIPHER_CTX *cipher; /* keyed once; per packet only the IV is set */
    EVP_MAC_CTX *mac;       /* keyed once (CBC only); reinitialised per packet without a key */
    uint8_t salt[4];        /* AEAD nonce salt */
    uint8_t iv_len;         /* bytes of IV on the wire */
    uint8_t icv_len;        /* bytes of ICV on the wire */
    uint8_t align;          /* payload+trailer must be a multiple of this: 4 or 16 */
    bool aead;
    bool encrypt;
};

/* Name of a transform for logs and configs ("aes128gcm16", "sha256", ...). */
const char *uip_encr_name(enum uip_encr encr);
const char *uip_integ_name(enum uip_integ integ);
/* Parse those names back. Returns 0 or -EINVAL. */
int uip_encr_from_name(const char *name, enum uip_encr *out);
int uip_integ_from_name(const char *name, enum uip_integ *out);

/*
 * Bytes of KEYMAT the pair takes (encryption key incl. salt, then integrity
 * key), or 0 when the pair is invalid (AEAD with an integrity transform, CBC
 * without one, NONE encryption).
 */
size_t uip_esp_keymat_len(enum uip_encr encr, enum uip_integ integ);

/*
 * Bytes the transform adds around an inner packet of @inner_len bytes:
 * ESP header + IV + padding + trailer + ICV (not the outer IP/UDP headers).
 * 0 when the pair is invalid.
 */
size_t uip_esp_overhead(enum uip_encr encr, enum uip_integ integ, size_t inner_len);

/*
 * Largest inner packet whose ESP packet fits in @room bytes (room = path MTU
 * minus outer IP and UDP headers). 0 when the pair is invalid or nothing fits.
 */
size_t uip_esp_max_inner(enum uip_encr encr, enum uip_integ integ, size_t room);

/*
 * Create the keyed context(s).  @keymat is copied into OpenSSL and not kept.
 * Returns 0, -EINVAL (bad pair or @keymat_len != uip_esp_keymat_len()),
 * or -ENOMEM / -EIO (OpenSSL failure).  On failure @c is left zeroed.
 */
int uip_esp_crypto_init(struct uip_esp_crypto *c, enum uip_encr encr, enum uip_integ integ,
                        const uint8_t *keymat, size_t keymat_len, bool encrypt);

/* A keyed copy of @src's contexts in @dst, for another thread (crypto-pool.h).  Returns 0 or
 * -ENOMEM (then @dst is zeroed). */
int uip_esp_crypto_dup(const struct uip_esp_crypto *src, struct uip_esp_crypto *dst);

/* Free the contexts (OpenSSL wipes their keys) and wipe @c. Safe on a zeroed @c. */
void uip_esp_crypto_clear(struct uip_esp_crypto *c);

/*
 * Write the IV for sequence number @seq (64-bit) into @iv (c->iv_len bytes):
 * for AEAD the big-endian 64-bit sequence number (unique per key, RFC 4106 3.1),
 * for CBC 16 random bytes.  Returns 0 or -EIO.
 */
int uip_esp_crypto_make_iv(struct uip_esp_crypto *c, uint64_t seq, uint8_t *iv);

/*
 * Encrypt and authenticate in place.  @esp points at the SPI; the header and
 * IV are already written; @pt_len bytes of payload+padding+trailer follow the
 * IV and must be a multiple of c->align.  The ICV is written right after them
 * (the buffer must have c->icv_len bytes of room there).  @seq_hi is the high
 * 32 bits of the ESN, used only when @esn.  Returns 0, -EINVAL (bad length),
 * -EIO (OpenSSL failure).
 */
int uip_esp_seal(struct uip_esp_crypto *c, uint8_t *esp, size_t pt_len, uint32_t seq_hi,
                 bool esn);

/*
 * Verify and decrypt in place.  @esp points at the SPI; @esp_len is the whole
 * ESP packet length incl. ICV.  Compares the ICV in constant time before (CBC)
 * or as part of (AEAD) decryption.  On success the plaintext (payload, padding,
 * trailer) is at esp + 8 + iv_len, of length esp_len - 8 - iv_len - icv_len.
 * Returns 0, -EINVAL (too short or not a multiple of the block size),
 * -EBADMSG (ICV mismatch; the buffer content is then unspecified), -EIO.
 */
int uip_esp_open(struct uip_esp_crypto *c, uint8_t *esp, size_t esp_len, uint32_t seq_hi,
                 bool esn);
