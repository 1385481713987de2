/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESP transforms: the cryptographic core of one ESP packet, in place.
 *
 * In:  a keyed context per SA direction (uip_esp_crypto_init, at SA install)
 *      and an ESP packet in its buffer: [SPI][seq][IV][payload pad trailer][ICV].
 * Seal (outbound, from esp.c encap): set the IV/nonce on the keyed context,
 *      encrypt payload..trailer in place, write the ICV after it
 *      (AEAD: the tag over AAD = SPI, [seq-high], seq-low; CBC: truncated
 *      HMAC over SPI..trailer, then seq-high when ESN).
 * Open (inbound, from esp.c decap after the replay check): CBC verifies the
 *      ICV in constant time before decrypting; AEAD verifies the tag as part
 *      of decryption.  Out: the plaintext in place, or -EBADMSG.
 *
 * No allocation and no algorithm fetch per packet here: both happen in
 * uip_esp_crypto_init.  (OpenSSL before 3.5 itself duplicates a digest context
 * in HMAC_Init_ex and HMAC_Final, two malloc/free pairs per CBC ICV, which no
 * public non-deprecated API avoids; the AEAD paths allocate nothing.)
 * A context is not thread-safe; each SA direction is used by one thread at a
 * time.
 */
#include "engine/esp-crypto.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <glib.h>

#include "common/uip-be.h"
#include "common/uip-secret.h"

#define AEAD_SALT_LEN  4
#define AEAD_NONCE_LEN 12 /* salt || 8-byte IV (RFC 4106 4, RFC 7634 2) */
#define AEAD_AAD_MAX   12 /* SPI || seq-high || seq-low (RFC 4106 5) */

struct encr_info {
    const char *name; /* strongSwan proposal keyword */
    const char *ossl; /* OpenSSL algorithm name */
    uint8_t key_len;  /* cipher key, without the salt */
    uint8_t salt_len; /* AEAD only */
    uint8_t iv_len;   /* on the wire */
    uint8_t icv_len;  /* AEAD tag; 0 for CBC (the integrity transform decides) */
    uint8_t align;    /* payload + trailer multiple */
    bool aead;
};

static const struct encr_info encr_table[] = {
    [UIP_ENCR_AES_GCM_16_128] = {"aes128gcm16", "AES-128-GCM", 16, 4, 8, 16, 4, true},
    [UIP_ENCR_AES_GCM_16_256] = {"aes256gcm16", "AES-256-GCM", 32, 4, 8, 16, 4, true},
    [UIP_ENCR_CHACHA20_POLY1305] = {"chacha20poly1305", "ChaCha20-Poly1305", 32, 4, 8, 16, 4, true},
    [UIP_ENCR_AES_CBC_128] = {"aes128", "AES-128-CBC", 16, 0, 16, 0, 16, false},
    [UIP_ENCR_AES_CBC_256] = {"aes256", "AES-256-CBC", 32, 0, 16, 0, 16, false},
};

struct integ_info {
    const char *name;   /* strongSwan proposal keyword */
    const char *digest; /* OpenSSL digest for HMAC; NULL for none */
    uint8_t key_len;    /* RFC 4868 2.1.1: key length = hash output length */
    uint8_t icv_len;    /* RFC 4868 2.3: truncated to half the output */
};

static const struct integ_info integ_table[] = {
    [UIP_INTEG_NONE] = {"none", NULL, 0, 0},
    [UIP_INTEG_HMAC_SHA2_256_128] = {"sha256", "SHA256", 32, 16},
    [UIP_INTEG_HMAC_SHA2_384_192] = {"sha384", "SHA384", 48, 24},
    [UIP_INTEG_HMAC_SHA2_512_256] = {"sha512", "SHA512", 64, 32},
};

static const struct encr_info *encr_info(enum uip_encr encr)
{
    if ((size_t)encr >= G_N_ELEMENTS(encr_table) || !encr_table[encr].name)
        return NULL;
    return &encr_table[encr];
}

static const struct integ_info *integ_info(enum uip_integ integ)
{
    if ((size_t)integ >= G_N_ELEMENTS(integ_table))
        return NULL;
    return &integ_table[integ];
}

/* A usable pair: AEAD without integrity, CBC with one. */
static bool pair_info(enum uip_encr encr, enum uip_integ integ, const struct encr_info **e,
                      const struct integ_info **i)
{
    *e = encr_info(encr);
    *i = integ_info(integ);
    if (!*e || !*i)
        return false;
    return (*e)->aead ? integ == UIP_INTEG_NONE : integ != UIP_INTEG_NONE;
}

const char *uip_encr_name(enum uip_encr encr)
{
    const struct encr_info *e = encr_info(encr);

    if (encr == UIP_ENCR_NONE)
        return "none";
    return e ? e->name : "unknown";
}

const char *uip_integ_name(enum uip_integ integ)
{
    const struct integ_info *i = integ_info(integ);

    return i ? i->name : "unknown";
}

/* Only real transforms parse: ESP without encryption is not supported. */
int uip_encr_from_name(const char *name, enum uip_encr *out)
{
    if (!name || !out)
        return -EINVAL;
    for (size_t k = 0; k < G_N_ELEMENTS(encr_table); k++) {
        if (encr_table[k].name && strcmp(name, encr_table[k].name) == 0) {
            *out = (enum uip_encr)k;
            return 0;
        }
    }
    return -EINVAL;
}

int uip_integ_from_name(const char *name, enum uip_integ *out)
{
    if (!name || !out)
        return -EINVAL;
    for (size_t k = 0; k < G_N_ELEMENTS(integ_table); k++) {
        if (strcmp(name, integ_table[k].name) == 0) {
            *out = (enum uip_integ)k;
            return 0;
        }
    }
    return -EINVAL;
}

size_t uip_esp_keymat_len(enum uip_encr encr, enum uip_integ integ)
{
    const struct encr_info *e;
    const struct integ_info *i;

    if (!pair_info(encr, integ, &e, &i))
        return 0;
    return (size_t)e->key_len + e->salt_len + i->key_len;
}

/* Header + IV + ICV: everything but the padded payload and trailer. */
static size_t fixed_overhead(const struct encr_info *e, const struct integ_info *i)
{
    return UIP_ESP_HDR_LEN + e->iv_len + (e->aead ? e->icv_len : i->icv_len);
}

size_t uip_esp_overhead(enum uip_encr encr, enum uip_integ integ, size_t inner_len)
{
    const struct encr_info *e;
    const struct integ_info *i;
    size_t fixed, padded;

    if (!pair_info(encr, integ, &e, &i))
        return 0;
    fixed = fixed_overhead(e, i);
    /* No inner packet comes near this; refuse rather than wrap. */
    if (inner_len > SIZE_MAX - fixed - UIP_ESP_TRAILER_LEN - e->align)
        return 0;
    padded = (inner_len + UIP_ESP_TRAILER_LEN + e->align - 1) / e->align * e->align;
    return fixed + padded - inner_len;
}

size_t uip_esp_max_inner(enum uip_encr encr, enum uip_integ integ, size_t room)
{
    const struct encr_info *e;
    const struct integ_info *i;
    size_t fixed, body;

    if (!pair_info(encr, integ, &e, &i))
        return 0;
    fixed = fixed_overhead(e, i);
    if (room < fixed + e->align)
        return 0;
    /* Largest aligned payload+trailer that fits; align >= 4 > trailer. */
    body = (room - fixed) / e->align * e->align;
    return body - UIP_ESP_TRAILER_LEN;
}

static int init_cipher(struct uip_esp_crypto *c, const struct encr_info *e, const uint8_t *key,
                       bool encrypt)
{
    EVP_CIPHER *cipher;
    int ok;

    cipher = EVP_CIPHER_fetch(NULL, e->ossl, NULL);
    if (!cipher)
        return -EIO;
    c->cipher = EVP_CIPHER_CTX_new();
    if (!c->cipher) {
        EVP_CIPHER_free(cipher);
        return -ENOMEM;
    }
    /* The context keeps its own reference to the algorithm. */
    ok = EVP_CipherInit_ex2(c->cipher, cipher, key, NULL, encrypt ? 1 : 0, NULL);
    EVP_CIPHER_free(cipher);
    if (ok != 1)
        return -EIO;
    if (EVP_CIPHER_CTX_get_key_length(c->cipher) != e->key_len)
        return -EIO;
    if (e->aead) {
        if (EVP_CIPHER_CTX_get_iv_length(c->cipher) != AEAD_NONCE_LEN)
            return -EIO;
    } else {
        if (EVP_CIPHER_CTX_get_iv_length(c->cipher) != e->iv_len ||
            EVP_CIPHER_CTX_get_block_size(c->cipher) != e->align)
            return -EIO;
        /* ESP pads itself (RFC 4303 2.4); PKCS#7 padding would add a block. */
        if (EVP_CIPHER_CTX_set_padding(c->cipher, 0) != 1)
            return -EIO;
    }
    return 0;
}

static int init_mac(struct uip_esp_crypto *c, const struct integ_info *i, const uint8_t *key)
{
    OSSL_PARAM params[2];
    EVP_MAC *mac;

    mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (!mac)
        return -EIO;
    c->mac = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (!c->mac)
        return -ENOMEM;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)i->digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(c->mac, key, i->key_len, params) != 1)
        return -EIO;
    if (EVP_MAC_CTX_get_mac_size(c->mac) < i->icv_len ||
        EVP_MAC_CTX_get_mac_size(c->mac) > EVP_MAX_MD_SIZE)
        return -EIO;
    return 0;
}

int uip_esp_crypto_init(struct uip_esp_crypto *c, enum uip_encr encr, enum uip_integ integ,
                        const uint8_t *keymat, size_t keymat_len, bool encrypt)
{
    const struct encr_info *e;
    const struct integ_info *i;
    int r;

    if (!c)
        return -EINVAL;
    memset(c, 0, sizeof(*c));
    if (!pair_info(encr, integ, &e, &i) || !keymat || keymat_len != uip_esp_keymat_len(encr, integ))
        return -EINVAL;

    c->encr = encr;
    c->integ = integ;
    c->iv_len = e->iv_len;
    c->icv_len = e->aead ? e->icv_len : i->icv_len;
    c->align = e->align;
    c->aead = e->aead;
    c->encrypt = encrypt;

    /* KEYMAT: encryption key (+ salt for AEAD), then integrity key. */
    r = init_cipher(c, e, keymat, encrypt);
    if (r < 0)
        goto fail;
    if (e->aead) {
        memcpy(c->salt, keymat + e->key_len, AEAD_SALT_LEN);
    } else {
        r = init_mac(c, i, keymat + e->key_len);
        if (r < 0)
            goto fail;
    }
    return 0;

fail:
    uip_esp_crypto_clear(c);
    return r;
}

int uip_esp_crypto_dup(const struct uip_esp_crypto *src, struct uip_esp_crypto *dst)
{
    *dst = *src;
    dst->cipher = EVP_CIPHER_CTX_new();
    dst->mac = NULL;
    if (!dst->cipher || EVP_CIPHER_CTX_copy(dst->cipher, src->cipher) != 1)
        goto fail;
    if (src->mac && !(dst->mac = EVP_MAC_CTX_dup(src->mac)))
        goto fail;
    return 0;
fail:
    uip_esp_crypto_clear(dst);
    return -ENOMEM;
}

void uip_esp_crypto_clear(struct uip_esp_crypto *c)
{
    if (!c)
        return;
    /* Both free through OPENSSL_clear_free in the providers: keys wiped. */
    EVP_CIPHER_CTX_free(c->cipher);
    EVP_MAC_CTX_free(c->mac);
    uip_wipe(c, sizeof(*c));
}

int uip_esp_crypto_make_iv(struct uip_esp_crypto *c, uint64_t seq, uint8_t *iv)
{
    if (!c->cipher)
        return -EIO;
    if (c->aead) {
        /* A counter is unique per key, which is all GCM and ChaCha20 need. */
        uip_put32(iv, (uint32_t)(seq >> 32));
        uip_put32(iv + 4, (uint32_t)seq);
        return 0;
    }
    /* CBC needs an unpredictable IV (RFC 3602 3). */
    if (RAND_bytes(iv, c->iv_len) != 1)
        return -EIO;
    return 0;
}

/* RFC 4106 5 / RFC 7634 2.1: SPI || seq (8) or SPI || seq-high || seq-low (12). */
static int aead_aad(uint8_t aad[AEAD_AAD_MAX], const uint8_t *esp, uint32_t seq_hi, bool esn)
{
    memcpy(aad, esp, 4);
    if (!esn) {
        memcpy(aad + 4, esp + 4, 4);
        return 8;
    }
    uip_put32(aad + 4, seq_hi);
    memcpy(aad + 8, esp + 4, 4);
    return 12;
}

/* Set the per-packet nonce (salt || wire IV) and feed the AAD. */
static int aead_start(struct uip_esp_crypto *c, const uint8_t *esp, uint32_t seq_hi, bool esn)
{
    uint8_t nonce[AEAD_NONCE_LEN];
    uint8_t aad[AEAD_AAD_MAX];
    int aad_len, outl, ok;

    memcpy(nonce, c->salt, AEAD_SALT_LEN);
    memcpy(nonce + AEAD_SALT_LEN, esp + UIP_ESP_HDR_LEN, AEAD_NONCE_LEN - AEAD_SALT_LEN);
    aad_len = aead_aad(aad, esp, seq_hi, esn);
    ok = EVP_CipherInit_ex2(c->cipher, NULL, NULL, nonce, c->encrypt ? 1 : 0, NULL) == 1 &&
         EVP_CipherUpdate(c->cipher, NULL, &outl, aad, aad_len) == 1;
    uip_wipe(nonce, sizeof(nonce));
    return ok ? 0 : -EIO;
}

/* Full HMAC of SPI..trailer (@len bytes at @esp), then seq-high with ESN, into @md. */
static int cbc_mac(struct uip_esp_crypto *c, const uint8_t *esp, size_t len, uint32_t seq_hi,
                   bool esn, uint8_t md[EVP_MAX_MD_SIZE])
{
    uint8_t hi[4];
    size_t md_len;

    if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(c->mac, esp, len) != 1)
        return -EIO;
    if (esn) {
        /* RFC 4303 2.2.1 / 3.3.2.2: high-order bits are authenticated, not sent. */
        uip_put32(hi, seq_hi);
        if (EVP_MAC_update(c->mac, hi, sizeof(hi)) != 1)
            return -EIO;
    }
    if (EVP_MAC_final(c->mac, md, &md_len, EVP_MAX_MD_SIZE) != 1 || md_len < c->icv_len)
        return -EIO;
    return 0;
}

/* Encrypt or decrypt @len bytes at @p in place, IV already set. */
static int cipher_inplace(struct uip_esp_crypto *c, uint8_t *p, size_t len)
{
    int outl, finl;

    if (EVP_CipherUpdate(c->cipher, p, &outl, p, (int)len) != 1 || outl != (int)len)
        return -EIO;
    /* Nothing is buffered: no padding (CBC) or a stream (AEAD). */
    if (EVP_CipherFinal_ex(c->cipher, p + outl, &finl) != 1 || finl != 0)
        return -EIO;
    return 0;
}

static int seal_aead(struct uip_esp_crypto *c, uint8_t *esp, uint8_t *pt, size_t pt_len,
                     uint32_t seq_hi, bool esn)
{
    int r;

    r = aead_start(c, esp, seq_hi, esn);
    if (r < 0)
        return r;
    r = cipher_inplace(c, pt, pt_len);
    if (r < 0)
        return r;
    /* the parameter itself, not EVP_CIPHER_CTX_ctrl(), which builds it and looks it
     * up by name for every packet (about 5 % of the AEAD's time at 1400 bytes) */
    OSSL_PARAM tag[] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, pt + pt_len, c->icv_len),
        OSSL_PARAM_END,
    };
    if (EVP_CIPHER_CTX_get_params(c->cipher, tag) != 1)
        return -EIO;
    return 0;
}

static int seal_cbc(struct uip_esp_crypto *c, uint8_t *esp, uint8_t *pt, size_t pt_len,
                    uint32_t seq_hi, bool esn)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    int r;

    if (EVP_CipherInit_ex2(c->cipher, NULL, NULL, esp + UIP_ESP_HDR_LEN, 1, NULL) != 1)
        return -EIO;
    r = cipher_inplace(c, pt, pt_len);
    if (r < 0)
        return r;
    r = cbc_mac(c, esp, (size_t)(pt + pt_len - esp), seq_hi, esn, md);
    if (r < 0)
        return r;
    memcpy(pt + pt_len, md, c->icv_len);
    return 0;
}

int uip_esp_seal(struct uip_esp_crypto *c, uint8_t *esp, size_t pt_len, uint32_t seq_hi, bool esn)
{
    uint8_t *pt;

    if (!c->cipher || !c->encrypt)
        return -EINVAL;
    if (pt_len < UIP_ESP_TRAILER_LEN || pt_len % c->align || pt_len > INT_MAX)
        return -EINVAL;
    pt = esp + UIP_ESP_HDR_LEN + c->iv_len;
    if (c->aead)
        return seal_aead(c, esp, pt, pt_len, seq_hi, esn);
    return seal_cbc(c, esp, pt, pt_len, seq_hi, esn);
}

static int open_aead(struct uip_esp_crypto *c, uint8_t *esp, uint8_t *ct, size_t ct_len,
                     uint32_t seq_hi, bool esn)
{
    int outl, finl, r;

    r = aead_start(c, esp, seq_hi, esn);
    if (r < 0)
        return r;
    OSSL_PARAM tag[] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, ct + ct_len, c->icv_len),
        OSSL_PARAM_END,
    };
    if (EVP_CIPHER_CTX_set_params(c->cipher, tag) != 1) /* as in seal_aead() */
        return -EIO;
    if (EVP_CipherUpdate(c->cipher, ct, &outl, ct, (int)ct_len) != 1 || outl != (int)ct_len)
        return -EIO;
    /* OpenSSL compares the tag here, in constant time. */
    if (EVP_CipherFinal_ex(c->cipher, ct + outl, &finl) != 1 || finl != 0)
        return -EBADMSG;
    return 0;
}

static int open_cbc(struct uip_esp_crypto *c, uint8_t *esp, uint8_t *ct, size_t ct_len,
                    uint32_t seq_hi, bool esn)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    int r;

    /* Verify before decrypting: no padding oracle, no work spent on forgeries. */
    r = cbc_mac(c, esp, (size_t)(ct + ct_len - esp), seq_hi, esn, md);
    if (r < 0)
        return r;
    if (CRYPTO_memcmp(md, ct + ct_len, c->icv_len) != 0)
        return -EBADMSG;
    if (EVP_CipherInit_ex2(c->cipher, NULL, NULL, esp + UIP_ESP_HDR_LEN, 0, NULL) != 1)
        return -EIO;
    return cipher_inplace(c, ct, ct_len);
}

int uip_esp_open(struct uip_esp_crypto *c, uint8_t *esp, size_t esp_len, uint32_t seq_hi, bool esn)
{
    size_t hdr_len, ct_len;

    if (!c->cipher || c->encrypt)
        return -EINVAL;
    hdr_len = UIP_ESP_HDR_LEN + c->iv_len;
    if (esp_len < hdr_len + c->icv_len)
        return -EINVAL;
    ct_len = esp_len - hdr_len - c->icv_len;
    /* RFC 4303 2.4: the sender aligns payload+trailer; anything else is malformed. */
    if (ct_len < UIP_ESP_TRAILER_LEN || ct_len % c->align || ct_len > INT_MAX)
        return -EINVAL;
    if (c->aead)
        return open_aead(c, esp, esp + hdr_len, ct_len, seq_hi, esn);
    return open_cbc(c, esp, esp + hdr_len, ct_len, seq_hi, esn);
}
