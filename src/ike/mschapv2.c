/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-CHAPv2 (RFC 2759) and MPPE key derivation (RFC 3079) for EAP-MSCHAPv2.
 *
 * Where the inputs come from: the EAP peer (eap.c) passes the configured
 * password once to mschapv2_nt_password_hash() and then works with the
 * 16-byte hash; challenges come from the gateway's Challenge packet and from
 * RAND_bytes.  What happens: MD4, SHA1 and DES-ECB through EVP, fetched from
 * a private library context (legacy + default providers, see ms_crypto_init()).
 * Where results go: the NT-Response into the EAP Response, the expected
 * authenticator response is kept to verify the gateway's Success packet, the
 * MSK is used for the IKEv2 AUTH payload.  Every intermediate secret is wiped.
 */
#include "ike/mschapv2.h"

#include <errno.h>
#include <string.h>
#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "common/uip-log.h"
#include "common/uip-secret.h"

#define SHA1_LEN 20
#define DES_LEN  8

/* RFC 2759 8.7 */
static const char auth_magic1[] = "Magic server to client signing constant";
static const char auth_magic2[] = "Pad to make it do more than one iteration";
/* RFC 3079 3.4 */
static const char mppe_magic1[] = "This is the MPPE Master Key";
static const char mppe_magic2[] =
    "On the client side, this is the send key; on the server side, it is the receive key.";
static const char mppe_magic3[] =
    "On the client side, this is the receive key; on the server side, it is the send key.";

/* ---- private OpenSSL library context ------------------------------------- */

static struct {
    OSSL_LIB_CTX *libctx;
    EVP_MD *md4;
    EVP_MD *sha1;
    EVP_CIPHER *des_ecb;
    int error; /* 0 or -ENOTSUP */
} ms_crypto;

/*
 * Loaded once per process and kept for its lifetime.  MD4 and single DES are
 * only in the legacy provider; loading it into the default library context
 * would expose them to every other user of OpenSSL in the process.
 */
static void ms_crypto_init_once(void)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();

    ms_crypto.libctx = libctx; /* kept even when half made: never retried */
    if (!libctx || !OSSL_PROVIDER_load(libctx, "legacy") ||
        !OSSL_PROVIDER_load(libctx, "default")) {
        _LOGE("cannot load the OpenSSL legacy provider (MD4, DES) for MS-CHAPv2");
        ms_crypto.error = -ENOTSUP;
        return;
    }
    ms_crypto.md4 = EVP_MD_fetch(libctx, "MD4", NULL);
    ms_crypto.sha1 = EVP_MD_fetch(libctx, "SHA1", NULL);
    ms_crypto.des_ecb = EVP_CIPHER_fetch(libctx, "DES-ECB", NULL);
    if (!ms_crypto.md4 || !ms_crypto.sha1 || !ms_crypto.des_ecb) {
        _LOGE("OpenSSL legacy provider lacks MD4, SHA1 or DES-ECB for MS-CHAPv2");
        ms_crypto.error = -ENOTSUP;
    }
}

static int ms_crypto_init(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        ms_crypto_init_once();
        g_once_init_leave(&done, 1);
    }
    return ms_crypto.error;
}

struct ms_part {
    const void *p;
    size_t len;
};

/* @out receives EVP_MD_get_size(@md) octets. */
static int ms_digest(const EVP_MD *md, const struct ms_part *parts, size_t n, uint8_t *out)
{
    EVP_MD_CTX *ctx;
    int r = -EIO;

    ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -EIO;
    if (!EVP_DigestInit_ex2(ctx, md, NULL))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!EVP_DigestUpdate(ctx, parts[i].p, parts[i].len))
            goto out;
    }
    if (!EVP_DigestFinal_ex(ctx, out, NULL))
        goto out;
    r = 0;
out:
    EVP_MD_CTX_free(ctx); /* cleanses its state */
    return r;
}

/* ---- RFC 2759 ------------------------------------------------------------- */

int mschapv2_nt_password_hash(const char *password, uint8_t hash[MSCHAPV2_HASH_LEN])
{
    uint8_t le[MSCHAPV2_MAX_PASSWORD_CHARS * 2];
    uint8_t tmp[MSCHAPV2_HASH_LEN];
    gunichar2 *utf16;
    glong n_units = 0;
    int r;

    if (!password || !hash)
        return -EINVAL;
    /* 4 UTF-8 octets at most per code point, 1 or 2 UTF-16 units each */
    if (strlen(password) > MSCHAPV2_MAX_PASSWORD_CHARS * 4)
        return -EINVAL;
    r = ms_crypto_init();
    if (r < 0)
        return r;

    utf16 = g_utf8_to_utf16(password, -1, NULL, &n_units, NULL);
    if (!utf16)
        return -EINVAL; /* invalid UTF-8 */
    if (n_units < 0 || n_units > MSCHAPV2_MAX_PASSWORD_CHARS) {
        uip_free_secret(utf16, (size_t)MAX(n_units, 0) * sizeof(gunichar2));
        return -EINVAL;
    }
    for (glong i = 0; i < n_units; i++) {
        le[2 * i] = utf16[i] & 0xff;
        le[2 * i + 1] = utf16[i] >> 8;
    }
    uip_free_secret(utf16, (size_t)n_units * sizeof(gunichar2));

    r = ms_digest(ms_crypto.md4, &(struct ms_part){le, (size_t)n_units * 2}, 1, tmp);
    uip_wipe(le, sizeof(le));
    if (r == 0)
        memcpy(hash, tmp, sizeof(tmp));
    uip_wipe(tmp, sizeof(tmp));
    return r;
}

int mschapv2_hash_nt_password_hash(const uint8_t hash[MSCHAPV2_HASH_LEN],
                                   uint8_t hash_hash[MSCHAPV2_HASH_LEN])
{
    uint8_t tmp[MSCHAPV2_HASH_LEN];
    int r;

    if (!hash || !hash_hash)
        return -EINVAL;
    r = ms_crypto_init();
    if (r < 0)
        return r;
    r = ms_digest(ms_crypto.md4, &(struct ms_part){hash, MSCHAPV2_HASH_LEN}, 1, tmp);
    if (r == 0)
        memcpy(hash_hash, tmp, sizeof(tmp));
    uip_wipe(tmp, sizeof(tmp));
    return r;
}

const char *mschapv2_strip_domain(const char *name)
{
    const char *bs;

    if (!name)
        return NULL;
    bs = strchr(name, '\\');
    return bs ? bs + 1 : name;
}

int mschapv2_challenge_hash(const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                            const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                            const char *username, uint8_t challenge[MSCHAPV2_CHALLENGE_HASH_LEN])
{
    uint8_t digest[SHA1_LEN];
    const char *user;
    int r;

    if (!peer_challenge || !auth_challenge || !username || !challenge)
        return -EINVAL;
    if (strlen(username) > MSCHAPV2_MAX_USERNAME_LEN)
        return -EINVAL;
    r = ms_crypto_init();
    if (r < 0)
        return r;
    user = mschapv2_strip_domain(username);
    r = ms_digest(ms_crypto.sha1,
                  (const struct ms_part[]){
                      {peer_challenge, MSCHAPV2_CHALLENGE_LEN},
                      {auth_challenge, MSCHAPV2_CHALLENGE_LEN},
                      {user, strlen(user)},
                  },
                  3, digest);
    if (r == 0)
        memcpy(challenge, digest, MSCHAPV2_CHALLENGE_HASH_LEN);
    uip_wipe(digest, sizeof(digest));
    return r;
}

/*
 * 7 key octets -> 8 DES key octets: 7 bits each in the high bits, the low bit
 * set for odd parity (DES ignores it; RFC 2759 8.6 asks it be inserted).
 */
static void ms_expand_des_key(const uint8_t in[7], uint8_t out[DES_LEN])
{
    uint64_t bits = 0;

    for (unsigned i = 0; i < 7; i++)
        bits = (bits << 8) | in[i];
    for (unsigned i = 0; i < DES_LEN; i++) {
        uint8_t b = (uint8_t)(((bits >> (49 - 7 * i)) & 0x7f) << 1);
        out[i] = b | !__builtin_parity(b);
    }
    bits = 0;
    uip_wipe(&bits, sizeof(bits));
}

int mschapv2_challenge_response(const uint8_t challenge[MSCHAPV2_CHALLENGE_HASH_LEN],
                                const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                                uint8_t response[MSCHAPV2_NT_RESPONSE_LEN])
{
    uint8_t zhash[21] = {0};
    uint8_t key[DES_LEN];
    uint8_t out[MSCHAPV2_NT_RESPONSE_LEN];
    EVP_CIPHER_CTX *ctx;
    int r;

    if (!challenge || !password_hash || !response)
        return -EINVAL;
    r = ms_crypto_init();
    if (r < 0)
        return r;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return -EIO;

    memcpy(zhash, password_hash, MSCHAPV2_HASH_LEN);
    r = 0;
    for (unsigned i = 0; i < 3 && r == 0; i++) {
        int outl = 0;

        ms_expand_des_key(zhash + 7 * i, key);
        if (!EVP_EncryptInit_ex2(ctx, ms_crypto.des_ecb, key, NULL, NULL) ||
            !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
            !EVP_EncryptUpdate(ctx, out + DES_LEN * i, &outl, challenge, DES_LEN) ||
            outl != DES_LEN)
            r = -EIO;
    }
    EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
    if (r == 0)
        memcpy(response, out, sizeof(out));
    uip_wipe(zhash, sizeof(zhash));
    uip_wipe(key, sizeof(key));
    uip_wipe(out, sizeof(out));
    return r;
}

int mschapv2_generate_nt_response(const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                  const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                  const char *username,
                                  const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                                  uint8_t response[MSCHAPV2_NT_RESPONSE_LEN])
{
    uint8_t challenge[MSCHAPV2_CHALLENGE_HASH_LEN];
    int r;

    if (!password_hash || !response)
        return -EINVAL;
    r = mschapv2_challenge_hash(peer_challenge, auth_challenge, username, challenge);
    if (r == 0)
        r = mschapv2_challenge_response(challenge, password_hash, response);
    uip_wipe(challenge, sizeof(challenge));
    return r;
}

/* The 20 octets behind "S=" (RFC 2759 8.7). */
static int ms_authenticator_digest(const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                                   const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                                   const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                   const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                   const char *username, uint8_t out[SHA1_LEN])
{
    uint8_t phh[MSCHAPV2_HASH_LEN];
    uint8_t challenge[MSCHAPV2_CHALLENGE_HASH_LEN];
    uint8_t digest[SHA1_LEN];
    int r;

    r = mschapv2_hash_nt_password_hash(password_hash, phh);
    if (r == 0)
        r = ms_digest(ms_crypto.sha1,
                      (const struct ms_part[]){
                          {phh, sizeof(phh)},
                          {nt_response, MSCHAPV2_NT_RESPONSE_LEN},
                          {auth_magic1, sizeof(auth_magic1) - 1},
                      },
                      3, digest);
    if (r == 0)
        r = mschapv2_challenge_hash(peer_challenge, auth_challenge, username, challenge);
    if (r == 0)
        r = ms_digest(ms_crypto.sha1,
                      (const struct ms_part[]){
                          {digest, sizeof(digest)},
                          {challenge, sizeof(challenge)},
                          {auth_magic2, sizeof(auth_magic2) - 1},
                      },
                      3, out);
    uip_wipe(phh, sizeof(phh));
    uip_wipe(challenge, sizeof(challenge));
    uip_wipe(digest, sizeof(digest));
    return r;
}

int mschapv2_generate_authenticator_response(const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                                             const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                                             const uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN],
                                             const uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN],
                                             const char *username,
                                             char out[MSCHAPV2_AUTH_RESPONSE_LEN + 1])
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t digest[SHA1_LEN];
    int r;

    if (!password_hash || !nt_response || !peer_challenge || !auth_challenge || !username || !out)
        return -EINVAL;
    r = ms_authenticator_digest(password_hash, nt_response, peer_challenge, auth_challenge,
                                username, digest);
    if (r == 0) {
        out[0] = 'S';
        out[1] = '=';
        for (unsigned i = 0; i < SHA1_LEN; i++) {
            out[2 + 2 * i] = hex[digest[i] >> 4];
            out[3 + 2 * i] = hex[digest[i] & 0x0f];
        }
        out[MSCHAPV2_AUTH_RESPONSE_LEN] = '\0';
    }
    uip_wipe(digest, sizeof(digest));
    return r;
}

static int ms_hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* "S=" + 40 hex digits (exactly @len octets) -> 20 octets. */
static int ms_parse_auth_response(const char *s, size_t len, uint8_t out[SHA1_LEN])
{
    if (len != MSCHAPV2_AUTH_RESPONSE_LEN || s[0] != 'S' || s[1] != '=')
        return -EBADMSG;
    for (unsigned i = 0; i < SHA1_LEN; i++) {
        int hi = ms_hex_nibble(s[2 + 2 * i]);
        int lo = ms_hex_nibble(s[3 + 2 * i]);

        if (hi < 0 || lo < 0)
            return -EBADMSG;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int mschapv2_check_authenticator_response(const char *expected, const char *received,
                                          size_t received_len)
{
    uint8_t want[SHA1_LEN], got[SHA1_LEN];
    int r;

    if (!expected || !received)
        return -EINVAL;
    if (ms_parse_auth_response(expected, strnlen(expected, MSCHAPV2_AUTH_RESPONSE_LEN + 1), want) <
        0)
        return -EINVAL;
    r = ms_parse_auth_response(received, received_len, got);
    if (r == 0 && CRYPTO_memcmp(want, got, SHA1_LEN) != 0)
        r = -EACCES;
    uip_wipe(want, sizeof(want));
    uip_wipe(got, sizeof(got));
    return r;
}

/* ---- RFC 3079 ------------------------------------------------------------- */

int mschapv2_get_master_key(const uint8_t password_hash_hash[MSCHAPV2_HASH_LEN],
                            const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
                            uint8_t master_key[MSCHAPV2_MASTER_KEY_LEN])
{
    uint8_t digest[SHA1_LEN];
    int r;

    if (!password_hash_hash || !nt_response || !master_key)
        return -EINVAL;
    r = ms_crypto_init();
    if (r < 0)
        return r;
    r = ms_digest(ms_crypto.sha1,
                  (const struct ms_part[]){
                      {password_hash_hash, MSCHAPV2_HASH_LEN},
                      {nt_response, MSCHAPV2_NT_RESPONSE_LEN},
                      {mppe_magic1, sizeof(mppe_magic1) - 1},
                  },
                  3, digest);
    if (r == 0)
        memcpy(master_key, digest, MSCHAPV2_MASTER_KEY_LEN);
    uip_wipe(digest, sizeof(digest));
    return r;
}

int mschapv2_get_asymmetric_start_key(const uint8_t master_key[MSCHAPV2_MASTER_KEY_LEN],
                                      uint8_t *key, size_t key_len, bool is_send, bool is_server)
{
    static const uint8_t pad1[40] = {0};
    uint8_t pad2[40];
    uint8_t digest[SHA1_LEN];
    const char *magic;
    int r;

    if (!master_key || !key || key_len == 0 || key_len > SHA1_LEN)
        return -EINVAL;
    r = ms_crypto_init();
    if (r < 0)
        return r;
    /* client send == server receive: magic 2; client receive == server send: magic 3 */
    magic = is_send != is_server ? mppe_magic2 : mppe_magic3;
    memset(pad2, 0xf2, sizeof(pad2));
    r = ms_digest(ms_crypto.sha1,
                  (const struct ms_part[]){
                      {master_key, MSCHAPV2_MASTER_KEY_LEN},
                      {pad1, sizeof(pad1)},
                      {magic, sizeof(mppe_magic2) - 1}, /* both magics are 84 octets */
                      {pad2, sizeof(pad2)},
                  },
                  4, digest);
    if (r == 0)
        memcpy(key, digest, key_len);
    uip_wipe(digest, sizeof(digest));
    return r;
}

G_STATIC_ASSERT(sizeof(mppe_magic2) == sizeof(mppe_magic3));

int mschapv2_msk(const uint8_t password_hash[MSCHAPV2_HASH_LEN],
                 const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN], uint8_t msk[MSCHAPV2_MSK_LEN])
{
    uint8_t phh[MSCHAPV2_HASH_LEN];
    uint8_t master[MSCHAPV2_MASTER_KEY_LEN];
    uint8_t out[MSCHAPV2_MSK_LEN] = {0};
    int r;

    if (!password_hash || !nt_response || !msk)
        return -EINVAL;
    r = mschapv2_hash_nt_password_hash(password_hash, phh);
    if (r == 0)
        r = mschapv2_get_master_key(phh, nt_response, master);
    /* peer view: send key (= authenticator's receive key) first */
    if (r == 0)
        r = mschapv2_get_asymmetric_start_key(master, out, MSCHAPV2_START_KEY_LEN, true, false);
    if (r == 0)
        r = mschapv2_get_asymmetric_start_key(master, out + MSCHAPV2_START_KEY_LEN,
                                              MSCHAPV2_START_KEY_LEN, false, false);
    if (r == 0)
        memcpy(msk, out, sizeof(out));
    uip_wipe(phh, sizeof(phh));
    uip_wipe(master, sizeof(master));
    uip_wipe(out, sizeof(out));
    return r;
}
