/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MS-CHAPv2 primitives (src/ike/mschapv2.c): RFC 2759 9.2 and RFC 3079 3.5
 * known answers, byte-exact, plus edge cases.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "ike/mschapv2.h"
#include "common/uip-secret.h"

#include "test-util.h"

#define assert_hex(buf, len, hex)                                                                  \
    do {                                                                                           \
        uint8_t want_[128];                                                                        \
        size_t n_ = test_unhex(hex, want_, sizeof(want_));                                         \
        g_assert_cmpmem(buf, len, want_, n_);                                                      \
    } while (0)

/* RFC 2759 9.2 "Hash Example" */
#define RFC_USER           "User"
#define RFC_PASSWORD       "clientPass"
#define RFC_AUTH_CHALLENGE "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28"
#define RFC_PEER_CHALLENGE "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E"
#define RFC_CHALLENGE      "D0 2E 43 86 BC E9 12 26"
#define RFC_PASSWORD_HASH  "44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE"
#define RFC_NT_RESPONSE    "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF"
#define RFC_PW_HASH_HASH   "41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F"
#define RFC_AUTH_RESPONSE  "S=407A5589115FD0D6209F510FE9C04566932CDA56"
/* RFC 3079 3.5.3 "Sample Key Derivations": 128-bit keys, same inputs */
#define RFC_MASTER_KEY     "FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31"
#define RFC_SEND_START_128 "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB"
/* RFC 3079 3.5.1/3.5.2: 40- and 56-bit start key (same derivation, 8 octets) */
#define RFC_SEND_START_64 "8B 7C DC 14 9B 99 3A 1B"
/*
 * Not printed in RFC 3079: the other direction (magic 2, the client's send
 * key).  Cross-checked with Python hashlib over the RFC 3079 3.4 formula and
 * with an independent MS-CHAPv2 implementation.
 */
#define CLIENT_SEND_START "D5 F0 E9 52 1E 3E A9 58 96 45 E8 60 51 C8 22 26"

static struct {
    uint8_t auth_challenge[16], peer_challenge[16], password_hash[16], nt_response[24];
} v;

static void load_vectors(void)
{
    g_assert_cmpuint(test_unhex(RFC_AUTH_CHALLENGE, v.auth_challenge, 16), ==, 16);
    g_assert_cmpuint(test_unhex(RFC_PEER_CHALLENGE, v.peer_challenge, 16), ==, 16);
    g_assert_cmpuint(test_unhex(RFC_PASSWORD_HASH, v.password_hash, 16), ==, 16);
    g_assert_cmpuint(test_unhex(RFC_NT_RESPONSE, v.nt_response, 24), ==, 24);
}

static void test_rfc2759(void)
{
    uint8_t hash[16], hash_hash[16], challenge[8], nt[24];
    char auth[MSCHAPV2_AUTH_RESPONSE_LEN + 1];

    load_vectors();

    g_assert_cmpint(mschapv2_nt_password_hash(RFC_PASSWORD, hash), ==, 0);
    assert_hex(hash, sizeof(hash), RFC_PASSWORD_HASH);

    g_assert_cmpint(mschapv2_hash_nt_password_hash(hash, hash_hash), ==, 0);
    assert_hex(hash_hash, sizeof(hash_hash), RFC_PW_HASH_HASH);

    g_assert_cmpint(
        mschapv2_challenge_hash(v.peer_challenge, v.auth_challenge, RFC_USER, challenge), ==, 0);
    assert_hex(challenge, sizeof(challenge), RFC_CHALLENGE);

    g_assert_cmpint(mschapv2_challenge_response(challenge, hash, nt), ==, 0);
    assert_hex(nt, sizeof(nt), RFC_NT_RESPONSE);

    memset(nt, 0, sizeof(nt));
    g_assert_cmpint(
        mschapv2_generate_nt_response(v.auth_challenge, v.peer_challenge, RFC_USER, hash, nt), ==,
        0);
    assert_hex(nt, sizeof(nt), RFC_NT_RESPONSE);

    g_assert_cmpint(mschapv2_generate_authenticator_response(hash, nt, v.peer_challenge,
                                                             v.auth_challenge, RFC_USER, auth),
                    ==, 0);
    g_assert_cmpstr(auth, ==, RFC_AUTH_RESPONSE);
}

static void test_domain_is_not_hashed(void)
{
    uint8_t challenge[8], nt[24];
    char auth[MSCHAPV2_AUTH_RESPONSE_LEN + 1];

    load_vectors();
    g_assert_cmpstr(mschapv2_strip_domain("DOMAIN\\User"), ==, "User");
    g_assert_cmpstr(mschapv2_strip_domain("User"), ==, "User");
    g_assert_cmpstr(mschapv2_strip_domain("\\User"), ==, "User");

    g_assert_cmpint(
        mschapv2_challenge_hash(v.peer_challenge, v.auth_challenge, "ACME\\User", challenge), ==,
        0);
    assert_hex(challenge, sizeof(challenge), RFC_CHALLENGE);
    g_assert_cmpint(mschapv2_generate_nt_response(v.auth_challenge, v.peer_challenge, "ACME\\User",
                                                  v.password_hash, nt),
                    ==, 0);
    assert_hex(nt, sizeof(nt), RFC_NT_RESPONSE);
    g_assert_cmpint(mschapv2_generate_authenticator_response(v.password_hash, nt, v.peer_challenge,
                                                             v.auth_challenge, "ACME\\User", auth),
                    ==, 0);
    g_assert_cmpstr(auth, ==, RFC_AUTH_RESPONSE);

    /* but an e-mail style name is hashed whole */
    g_assert_cmpint(
        mschapv2_challenge_hash(v.peer_challenge, v.auth_challenge, "User@acme", challenge), ==, 0);
    g_assert_false(memcmp(challenge, "\xD0\x2E\x43\x86\xBC\xE9\x12\x26", 8) == 0);
}

static void test_rfc3079(void)
{
    uint8_t hash_hash[16], master[16], key[16], key8[8], msk[MSCHAPV2_MSK_LEN];
    static const uint8_t zero[32];

    load_vectors();
    g_assert_cmpuint(test_unhex(RFC_PW_HASH_HASH, hash_hash, 16), ==, 16);

    g_assert_cmpint(mschapv2_get_master_key(hash_hash, v.nt_response, master), ==, 0);
    assert_hex(master, sizeof(master), RFC_MASTER_KEY);

    /* the RFC computes the server's send key: IsSend, IsServer */
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, key, 16, true, true), ==, 0);
    assert_hex(key, sizeof(key), RFC_SEND_START_128);
    /* which is the client's receive key */
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, key, 16, false, false), ==, 0);
    assert_hex(key, sizeof(key), RFC_SEND_START_128);
    /* 40/56-bit keys: the first 8 octets */
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, key8, 8, true, true), ==, 0);
    assert_hex(key8, sizeof(key8), RFC_SEND_START_64);

    /* the client's send key == the server's receive key */
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, key, 16, true, false), ==, 0);
    assert_hex(key, sizeof(key), CLIENT_SEND_START);
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, key, 16, false, true), ==, 0);
    assert_hex(key, sizeof(key), CLIENT_SEND_START);

    /* MSK = server receive | server send | 32 zeros (strongSwan, Windows, hostapd) */
    g_assert_cmpint(mschapv2_msk(v.password_hash, v.nt_response, msk), ==, 0);
    assert_hex(msk, 16, CLIENT_SEND_START);
    assert_hex(msk + 16, 16, RFC_SEND_START_128);
    g_assert_cmpmem(msk + 32, 32, zero, 32);

    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, key, 0, true, true), ==, -EINVAL);
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, key, 21, true, true), ==, -EINVAL);
}

static void test_check_authenticator_response(void)
{
    static const char *bad_syntax[] = {
        "",
        "S=",
        "S=407A5589115FD0D6209F510FE9C04566932CDA5",   /* 39 digits */
        "S=407A5589115FD0D6209F510FE9C04566932CDA567", /* 41 digits */
        "s=407A5589115FD0D6209F510FE9C04566932CDA56",
        "T=407A5589115FD0D6209F510FE9C04566932CDA56",
        "S=407A5589115FD0D6209F510FE9C04566932CDA5G",
        "S=407A5589115FD0D6209F510FE9C04566932CDA5 ",
        "S=+07A5589115FD0D6209F510FE9C04566932CDA56",
        NULL,
    };

    g_assert_cmpint(mschapv2_check_authenticator_response(RFC_AUTH_RESPONSE, RFC_AUTH_RESPONSE,
                                                          strlen(RFC_AUTH_RESPONSE)),
                    ==, 0);
    /* lowercase hex is the same value */
    g_assert_cmpint(mschapv2_check_authenticator_response(
                        RFC_AUTH_RESPONSE, "S=407a5589115fd0d6209f510fe9c04566932cda56", 42),
                    ==, 0);
    /* a prefix of a longer buffer: only received_len octets are read */
    g_assert_cmpint(
        mschapv2_check_authenticator_response(RFC_AUTH_RESPONSE, RFC_AUTH_RESPONSE " M=hello", 42),
        ==, 0);
    /* one bit off, first and last digit */
    g_assert_cmpint(mschapv2_check_authenticator_response(
                        RFC_AUTH_RESPONSE, "S=507A5589115FD0D6209F510FE9C04566932CDA56", 42),
                    ==, -EACCES);
    g_assert_cmpint(mschapv2_check_authenticator_response(
                        RFC_AUTH_RESPONSE, "S=407A5589115FD0D6209F510FE9C04566932CDA57", 42),
                    ==, -EACCES);
    for (unsigned i = 0; bad_syntax[i]; i++)
        g_assert_cmpint(mschapv2_check_authenticator_response(RFC_AUTH_RESPONSE, bad_syntax[i],
                                                              strlen(bad_syntax[i])),
                        ==, -EBADMSG);
    g_assert_cmpint(mschapv2_check_authenticator_response("S=", RFC_AUTH_RESPONSE, 42), ==,
                    -EINVAL);
    g_assert_cmpint(mschapv2_check_authenticator_response(NULL, RFC_AUTH_RESPONSE, 42), ==,
                    -EINVAL);
}

static void test_password_encoding(void)
{
    uint8_t hash[16], before[16];
    char *s;

    /*
     * "pässwörd€😀": two-octet, three-octet and four-octet (surrogate pair)
     * UTF-8.  Expected value: `iconv -t UTF-16LE | openssl dgst -md4`.
     */
    g_assert_cmpint(
        mschapv2_nt_password_hash("p\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac\xf0\x9f\x98\x80", hash), ==,
        0);
    assert_hex(hash, sizeof(hash), "343b5f56098bef0de4739d82d102f3ca");

    /* empty password: MD4 of nothing */
    g_assert_cmpint(mschapv2_nt_password_hash("", hash), ==, 0);
    assert_hex(hash, sizeof(hash), "31d6cfe0d16ae931b73c59d7e0c089c0");

    memset(hash, 0xaa, sizeof(hash));
    memcpy(before, hash, sizeof(hash));
    /* invalid UTF-8: out untouched */
    g_assert_cmpint(mschapv2_nt_password_hash("abc\xff", hash), ==, -EINVAL);
    g_assert_cmpint(mschapv2_nt_password_hash("\xc3", hash), ==, -EINVAL);
    g_assert_cmpint(mschapv2_nt_password_hash("\xed\xa0\x80", hash), ==, -EINVAL); /* surrogate */
    g_assert_cmpint(mschapv2_nt_password_hash(NULL, hash), ==, -EINVAL);
    g_assert_cmpmem(hash, sizeof(hash), before, sizeof(before));

    /* 256 UTF-16 units are fine, 257 are not */
    s = g_strnfill(256, 'x');
    g_assert_cmpint(mschapv2_nt_password_hash(s, hash), ==, 0);
    g_free(s);
    s = g_strnfill(257, 'x');
    g_assert_cmpint(mschapv2_nt_password_hash(s, before), ==, -EINVAL);
    g_free(s);
    /* 128 astral characters = 256 units: fine; one more ASCII: too long */
    {
        GString *g = g_string_new(NULL);
        for (unsigned i = 0; i < 128; i++)
            g_string_append(g, "\xf0\x9f\x98\x80");
        g_assert_cmpint(mschapv2_nt_password_hash(g->str, hash), ==, 0);
        g_string_append_c(g, 'x');
        g_assert_cmpint(mschapv2_nt_password_hash(g->str, hash), ==, -EINVAL);
        g_string_free(g, TRUE);
    }
    /* a very long string is refused before conversion */
    s = g_strnfill(100000, 'x');
    g_assert_cmpint(mschapv2_nt_password_hash(s, hash), ==, -EINVAL);
    g_free(s);
}

static void test_limits_and_untouched(void)
{
    uint8_t out[24], before[24];
    char auth[MSCHAPV2_AUTH_RESPONSE_LEN + 1], auth_before[sizeof(auth)];
    char *long_user = g_strnfill(MSCHAPV2_MAX_USERNAME_LEN + 1, 'u');
    char *max_user = g_strnfill(MSCHAPV2_MAX_USERNAME_LEN, 'u');

    load_vectors();
    memset(out, 0x55, sizeof(out));
    memcpy(before, out, sizeof(out));
    memset(auth, 0x55, sizeof(auth));
    memcpy(auth_before, auth, sizeof(auth));

    g_assert_cmpint(mschapv2_challenge_hash(v.peer_challenge, v.auth_challenge, long_user, out), ==,
                    -EINVAL);
    g_assert_cmpint(mschapv2_generate_nt_response(v.auth_challenge, v.peer_challenge, long_user,
                                                  v.password_hash, out),
                    ==, -EINVAL);
    g_assert_cmpint(mschapv2_generate_authenticator_response(v.password_hash, v.nt_response,
                                                             v.peer_challenge, v.auth_challenge,
                                                             long_user, auth),
                    ==, -EINVAL);
    g_assert_cmpint(mschapv2_generate_nt_response(v.auth_challenge, v.peer_challenge, NULL,
                                                  v.password_hash, out),
                    ==, -EINVAL);
    g_assert_cmpint(mschapv2_challenge_response(NULL, v.password_hash, out), ==, -EINVAL);
    g_assert_cmpmem(out, sizeof(out), before, sizeof(before));
    {
        uint8_t msk[MSCHAPV2_MSK_LEN], msk_before[MSCHAPV2_MSK_LEN];

        memset(msk, 0x55, sizeof(msk));
        memcpy(msk_before, msk, sizeof(msk));
        g_assert_cmpint(mschapv2_msk(NULL, v.nt_response, msk), ==, -EINVAL);
        g_assert_cmpmem(msk, sizeof(msk), msk_before, sizeof(msk_before));
    }
    g_assert_cmpmem(auth, sizeof(auth), auth_before, sizeof(auth_before));

    g_assert_cmpint(mschapv2_challenge_hash(v.peer_challenge, v.auth_challenge, max_user, out), ==,
                    0);
    g_assert_cmpint(mschapv2_challenge_hash(v.peer_challenge, v.auth_challenge, "", out), ==, 0);
    g_free(long_user);
    g_free(max_user);
}

/* The third DES key is 2 hash octets + 5 zero octets: an all-0xff hash exercises the parity. */
static void test_challenge_response_edges(void)
{
    uint8_t hash[16], challenge[8] = {0}, a[24], b[24];

    memset(hash, 0xff, sizeof(hash));
    g_assert_cmpint(mschapv2_challenge_response(challenge, hash, a), ==, 0);
    /* the third key: only the last hash octets feed it */
    hash[15] ^= 0x01;
    g_assert_cmpint(mschapv2_challenge_response(challenge, hash, b), ==, 0);
    g_assert_cmpmem(a, 16, b, 16);
    g_assert_false(memcmp(a + 16, b + 16, 8) == 0);
    hash[15] ^= 0x01;
    hash[0] ^= 0x01; /* the 8th hash bit lands in the 2nd key octet ... */
    g_assert_cmpint(mschapv2_challenge_response(challenge, hash, b), ==, 0);
    g_assert_false(memcmp(a, b, 8) == 0); /* ... as a key bit, not a parity bit */
    g_assert_cmpmem(a + 8, 16, b + 8, 16);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mschapv2/rfc2759-9.2", test_rfc2759);
    g_test_add_func("/mschapv2/domain-not-hashed", test_domain_is_not_hashed);
    g_test_add_func("/mschapv2/rfc3079-3.5", test_rfc3079);
    g_test_add_func("/mschapv2/check-authenticator-response", test_check_authenticator_response);
    g_test_add_func("/mschapv2/password-encoding", test_password_encoding);
    g_test_add_func("/mschapv2/limits-untouched", test_limits_and_untouched);
    g_test_add_func("/mschapv2/challenge-response-edges", test_challenge_response_edges);
    return g_test_run();
}
