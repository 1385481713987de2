/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAP peer (src/ike/eap.c) against a scripted fake authenticator that
 * computes, with the mschapv2 primitives, what a gateway (strongSwan's
 * eap-mschapv2, hostapd) would: the NT-Response it expects, the "S="
 * authenticator response and the MSK from the authenticator's side.
 */
#include <errno.h>
#include <string.h>
#include <glib.h>
#include <openssl/rand.h>

#include "ike/eap.h"
#include "ike/ike-types.h"
#include "ike/mschapv2.h"
#include "common/uip-log.h"
#include "common/uip-secret.h"

#include "test-util.h"

#define SERVER_NAME "strongSwan"

struct fake_server {
    const char *password;
    uint8_t id;    /* EAP Identifier of the last request */
    uint8_t ms_id; /* MS-CHAPv2-ID */
    uint8_t auth_challenge[16];
    uint8_t peer_challenge[16];
    uint8_t nt_response[24];
    char name[MSCHAPV2_MAX_USERNAME_LEN + 1];
    char auth_response[MSCHAPV2_AUTH_RESPONSE_LEN + 1];
    uint8_t msk[MSCHAPV2_MSK_LEN];
};

/* EAP Request of @type with @data. */
static GByteArray *eap_req(uint8_t id, uint8_t type, const void *data, size_t len)
{
    GByteArray *b = g_byte_array_new();
    uint8_t hdr[5] = {EAP_CODE_REQUEST, id, 0, 0, type};

    test_put_be16(hdr + 2, 5 + len);
    g_byte_array_append(b, hdr, 5);
    if (len)
        g_byte_array_append(b, data, (guint)len);
    return b;
}

/* EAP-MSCHAPv2 Request: OpCode, MS-CHAPv2-ID, MS-Length (+ @ms_len_delta), @body. */
static GByteArray *ms_req(uint8_t id, uint8_t opcode, uint8_t ms_id, const void *body, size_t len,
                          int ms_len_delta)
{
    uint8_t *data = g_malloc(4 + len);
    GByteArray *b;

    data[0] = opcode;
    data[1] = ms_id;
    test_put_be16(data + 2, (size_t)((int)(4 + len) + ms_len_delta));
    if (len)
        memcpy(data + 4, body, len);
    b = eap_req(id, EAP_TYPE_MSCHAPV2, data, 4 + len);
    g_free(data);
    return b;
}

static GByteArray *srv_challenge(struct fake_server *s)
{
    uint8_t body[1 + 16 + sizeof(SERVER_NAME) - 1];

    g_assert_cmpint(RAND_bytes(s->auth_challenge, 16), ==, 1);
    s->id++;
    s->ms_id = s->id;
    body[0] = 16;
    memcpy(body + 1, s->auth_challenge, 16);
    memcpy(body + 17, SERVER_NAME, sizeof(SERVER_NAME) - 1);
    return ms_req(s->id, 1, s->ms_id, body, sizeof(body), 0);
}

/*
 * Parse the peer's MSCHAPv2 Response strictly and verify its NT-Response with
 * the server's copy of the password.  On success prepare the "S=" and MSK the
 * way the authenticator computes them.
 */
static bool srv_check_response(struct fake_server *s, const uint8_t *r, size_t len)
{
    static const uint8_t zero[8];
    uint8_t hash[16], hash_hash[16], expect[24], master[16];
    size_t name_len;

    g_assert_cmpuint(len, >=, 4 + 1 + 4 + 1 + 49 + 1);
    g_assert_cmpuint(r[0], ==, EAP_CODE_RESPONSE);
    g_assert_cmpuint(r[1], ==, s->id);
    g_assert_cmpuint(test_get_be16(r + 2), ==, len);
    g_assert_cmpuint(r[4], ==, EAP_TYPE_MSCHAPV2);
    g_assert_cmpuint(r[5], ==, 2); /* Response */
    g_assert_cmpuint(r[6], ==, s->ms_id);
    g_assert_cmpuint(test_get_be16(r + 7), ==, len - 5);
    g_assert_cmpuint(r[9], ==, 49);
    memcpy(s->peer_challenge, r + 10, 16);
    g_assert_cmpmem(r + 26, 8, zero, 8); /* reserved */
    memcpy(s->nt_response, r + 34, 24);
    g_assert_cmpuint(r[58], ==, 0); /* flags */
    name_len = len - 59;
    g_assert_cmpuint(name_len, <=, MSCHAPV2_MAX_USERNAME_LEN);
    memcpy(s->name, r + 59, name_len);
    s->name[name_len] = '\0';

    g_assert_cmpint(mschapv2_nt_password_hash(s->password, hash), ==, 0);
    g_assert_cmpint(
        mschapv2_generate_nt_response(s->auth_challenge, s->peer_challenge, s->name, hash, expect),
        ==, 0);
    if (memcmp(expect, s->nt_response, 24) != 0) {
        uip_wipe(hash, sizeof(hash));
        return false;
    }
    g_assert_cmpint(mschapv2_generate_authenticator_response(hash, s->nt_response,
                                                             s->peer_challenge, s->auth_challenge,
                                                             s->name, s->auth_response),
                    ==, 0);
    /* MSK from the authenticator's side: MasterReceiveKey | MasterSendKey | 32 zeros */
    g_assert_cmpint(mschapv2_hash_nt_password_hash(hash, hash_hash), ==, 0);
    g_assert_cmpint(mschapv2_get_master_key(hash_hash, s->nt_response, master), ==, 0);
    memset(s->msk, 0, sizeof(s->msk));
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, s->msk, 16, false, true), ==, 0);
    g_assert_cmpint(mschapv2_get_asymmetric_start_key(master, s->msk + 16, 16, true, true), ==, 0);
    uip_wipe(hash, sizeof(hash));
    return true;
}

/* strongSwan sends "S=<hex> M=Welcome2strongSwan" followed by a NUL octet */
static GByteArray *srv_success(struct fake_server *s, const char *auth_response, bool nul)
{
    g_autofree char *text = g_strdup_printf("%s M=Welcome2strongSwan", auth_response);

    s->id++;
    return ms_req(s->id, 3, s->ms_id, text, strlen(text) + nul, 0);
}

static GByteArray *srv_failure(struct fake_server *s, const char *text)
{
    s->id++;
    return ms_req(s->id, 4, s->ms_id, text, strlen(text), 0);
}

static GByteArray *eap_code(uint8_t code, uint8_t id)
{
    GByteArray *b = g_byte_array_new();
    uint8_t m[4] = {code, id, 0, 4};

    g_byte_array_append(b, m, 4);
    return b;
}

/* Feed @req (consumed) to the peer, expect @want; returns the response when 0. */
static GByteArray *feed(struct eap_peer *peer, GByteArray *req, int want)
{
    uint8_t *out = (uint8_t *)0x1, *sentinel = out;
    size_t out_len = 4242;
    GByteArray *resp = NULL;
    int r;

    r = eap_peer_process(peer, req->data, req->len, &out, &out_len);
    g_byte_array_unref(req);
    g_assert_cmpint(r, ==, want);
    if (r == 0) {
        g_assert_nonnull(out);
        g_assert_cmpuint(out_len, >=, 5);
        g_assert_cmpuint(test_get_be16(out + 2), ==, out_len);
        resp = g_byte_array_new_take(out, out_len);
    } else {
        /* out-params untouched */
        g_assert_true(out == sentinel);
        g_assert_cmpuint(out_len, ==, 4242);
    }
    return resp;
}

/* Drive a peer up to a sent MSCHAPv2 Response (server check must pass). */
static struct eap_peer *peer_after_response(struct fake_server *s, const char *user,
                                            const char *password)
{
    struct eap_peer *peer = NULL;
    GByteArray *resp;

    g_assert_cmpint(eap_peer_new(user, NULL, password, &peer), ==, 0);
    resp = feed(peer, srv_challenge(s), 0);
    g_assert_true(srv_check_response(s, resp->data, resp->len));
    g_byte_array_unref(resp);
    return peer;
}

static void run_full_exchange(const char *identity, const char *username, const char *password,
                              bool identity_round, bool nul)
{
    struct fake_server s = {.password = password, .id = 7};
    struct eap_peer *peer = NULL;
    GByteArray *resp;
    const uint8_t *msk = NULL;
    size_t msk_len = 0;
    const char *ident = identity ? identity : username;
    const char *user = username ? username : identity;

    g_assert_cmpint(eap_peer_new(identity, username, password, &peer), ==, 0);
    eap_peer_set_spi(peer, 0x0123456789abcdefULL);

    if (identity_round) {
        s.id++;
        resp = feed(peer, eap_req(s.id, EAP_TYPE_IDENTITY, NULL, 0), 0);
        g_assert_cmpuint(resp->len, ==, 5 + strlen(ident));
        g_assert_cmpuint(resp->data[0], ==, EAP_CODE_RESPONSE);
        g_assert_cmpuint(resp->data[1], ==, s.id);
        g_assert_cmpuint(resp->data[4], ==, EAP_TYPE_IDENTITY);
        g_assert_cmpmem(resp->data + 5, resp->len - 5, ident, strlen(ident));
        g_byte_array_unref(resp);
    }

    /* Challenge -> Response: the NT-Response verifies on the server side */
    resp = feed(peer, srv_challenge(&s), 0);
    g_assert_true(srv_check_response(&s, resp->data, resp->len));
    g_assert_cmpstr(s.name, ==, user); /* full name, domain included */
    g_byte_array_unref(resp);
    g_assert_cmpint(eap_peer_get_msk(peer, &msk, &msk_len), ==, -ENODATA);

    /* Success request with the right S= -> Success response (OpCode only) */
    resp = feed(peer, srv_success(&s, s.auth_response, nul), 0);
    {
        const uint8_t want[] = {EAP_CODE_RESPONSE, s.id, 0, 6, EAP_TYPE_MSCHAPV2, 3};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);
    g_assert_cmpint(eap_peer_get_msk(peer, &msk, &msk_len), ==, -ENODATA);

    /* EAP-Success -> done, MSK equals the authenticator's */
    g_assert_null(feed(peer, eap_code(EAP_CODE_SUCCESS, s.id), EAP_DONE_SUCCESS));
    g_assert_cmpint(eap_peer_get_msk(peer, &msk, &msk_len), ==, 0);
    g_assert_cmpmem(msk, msk_len, s.msk, sizeof(s.msk));
    g_assert_null(eap_peer_failure_message(peer));
    g_assert_cmpint(eap_peer_failure_code(peer), ==, 0);

    /* the run is over */
    g_assert_null(feed(peer, eap_code(EAP_CODE_SUCCESS, s.id), -EPROTO));
    g_assert_null(feed(peer, srv_challenge(&s), -EPROTO));
    eap_peer_free(peer);
}

static void test_full_exchange(void)
{
    run_full_exchange("alice@example.org", "ACME\\alice", "p\xc3\xa4ssw\xc3\xb6rd", true, true);
    run_full_exchange("alice@example.org", NULL, "secret", true, false);
    run_full_exchange(NULL, "bob", "clientPass", false, true);
    run_full_exchange("carol", "carol", "", false, false);
}

static void test_padding_ignored(void)
{
    struct fake_server s = {.password = "pw"};
    struct eap_peer *peer = NULL;
    GByteArray *req, *resp;
    static const uint8_t junk[7] = {1, 2, 3, 4, 5, 6, 7};

    g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
    req = srv_challenge(&s);
    g_byte_array_append(req, junk, sizeof(junk)); /* beyond EAP Length: padding (RFC 3748 4) */
    resp = feed(peer, req, 0);
    g_assert_true(srv_check_response(&s, resp->data, resp->len));
    g_byte_array_unref(resp);
    eap_peer_free(peer);
}

static void test_wrong_password(void)
{
    struct fake_server s = {.password = "right"};
    struct eap_peer *peer = NULL;
    GByteArray *resp;

    g_assert_cmpint(eap_peer_new("user", NULL, "wrong", &peer), ==, 0);
    resp = feed(peer, srv_challenge(&s), 0);
    g_assert_false(srv_check_response(&s, resp->data, resp->len));
    g_byte_array_unref(resp);
    g_assert_null(feed(peer,
                       srv_failure(&s, "E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 "
                                       "M=Authentication failed, try again"),
                       -EACCES));
    g_assert_cmpint(eap_peer_failure_code(peer), ==, 691);
    g_assert_cmpstr(eap_peer_failure_message(peer), ==, "Authentication failed, try again");
    g_assert_cmpstr(eap_mschapv2_error_name(eap_peer_failure_code(peer)), ==,
                    "ERROR_AUTHENTICATION_FAILURE");
    /* over: no retry */
    g_assert_null(feed(peer, eap_code(EAP_CODE_FAILURE, s.id), -EPROTO));
    eap_peer_free(peer);

    /* strongSwan's retry request: no M=, R=1 -> we give up all the same */
    g_assert_cmpint(eap_peer_new("user", NULL, "wrong", &peer), ==, 0);
    resp = feed(peer, srv_challenge(&s), 0);
    g_byte_array_unref(resp);
    g_assert_null(
        feed(peer, srv_failure(&s, "E=691 R=1 C=00112233445566778899AABBCCDDEEFF"), -EACCES));
    g_assert_cmpint(eap_peer_failure_code(peer), ==, 691);
    g_assert_null(eap_peer_failure_message(peer));
    eap_peer_free(peer);

    /* EAP-Failure alone */
    g_assert_cmpint(eap_peer_new("user", NULL, "wrong", &peer), ==, 0);
    resp = feed(peer, srv_challenge(&s), 0);
    g_byte_array_unref(resp);
    g_assert_null(feed(peer, eap_code(EAP_CODE_FAILURE, s.id), -EACCES));
    eap_peer_free(peer);
}

static void test_failure_message_sanitized(void)
{
    static const struct {
        const char *text;
        int code;
        const char *msg;
    } cases[] = {
        {"E=648 R=0 V=3 M=Password expired", 648, "Password expired"},
        {"E=647 M=bad\x01\x7f\x1b[31mred", 647, "bad???[31mred"},
        {"M=only a message E=12", 0, "only a message E=12"},
        {"E=99999999999 M=x", 0, "x"}, /* too large: code unknown */
        {"E=69a M=", 0, ""},
        {"E=", 0, NULL},
        {"", 0, NULL},
        {"R=0 C=00 E=709", 709, NULL},
        {"E=691 M=caf\xc3\xa9", 691, "caf??"},
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer = peer_after_response(&s, "user", "pw");

        g_assert_null(feed(peer, srv_failure(&s, cases[i].text), -EACCES));
        g_assert_cmpint(eap_peer_failure_code(peer), ==, cases[i].code);
        g_assert_cmpstr(eap_peer_failure_message(peer), ==, cases[i].msg);
        eap_peer_free(peer);
    }

    /* long message: bounded */
    {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer = peer_after_response(&s, "user", "pw");
        GString *t = g_string_new("E=691 M=");

        for (unsigned i = 0; i < 1000; i++)
            g_string_append_c(t, 'a' + i % 26);
        g_assert_null(feed(peer, srv_failure(&s, t->str), -EACCES));
        g_assert_cmpuint(strlen(eap_peer_failure_message(peer)), ==, EAP_PEER_MAX_MESSAGE_LEN);
        g_assert_true(g_str_has_prefix(eap_peer_failure_message(peer), "abcdefghij"));
        g_string_free(t, TRUE);
        eap_peer_free(peer);
    }
    g_assert_cmpstr(eap_mschapv2_error_name(4), ==, "unknown");
}

static void test_wrong_authenticator_response(void)
{
    /* a gateway that does not know the password computes a different S= */
    {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer = peer_after_response(&s, "user", "pw");
        uint8_t other[16];
        char fake[MSCHAPV2_AUTH_RESPONSE_LEN + 1];

        g_assert_cmpint(mschapv2_nt_password_hash("not the password", other), ==, 0);
        g_assert_cmpint(mschapv2_generate_authenticator_response(
                            other, s.nt_response, s.peer_challenge, s.auth_challenge, s.name, fake),
                        ==, 0);
        g_assert_null(feed(peer, srv_success(&s, fake, true), -EACCES));
        /* and an EAP-Success afterwards does not help */
        g_assert_null(feed(peer, eap_code(EAP_CODE_SUCCESS, s.id), -EPROTO));
        eap_peer_free(peer);
    }
    /* one digit off */
    {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer = peer_after_response(&s, "user", "pw");

        s.auth_response[41] = s.auth_response[41] == '0' ? '1' : '0';
        g_assert_null(feed(peer, srv_success(&s, s.auth_response, false), -EACCES));
        eap_peer_free(peer);
    }
    /* lowercase hex of the right value is accepted */
    {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer = peer_after_response(&s, "user", "pw");
        g_autofree char *lower = g_ascii_strdown(s.auth_response, -1);
        GByteArray *resp;

        lower[0] = 'S';
        resp = feed(peer, srv_success(&s, lower, false), 0);
        g_byte_array_unref(resp);
        eap_peer_free(peer);
    }
    /* bare "S=..." without M= is accepted */
    {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer = peer_after_response(&s, "user", "pw");
        GByteArray *resp;

        s.id++;
        resp = feed(peer, ms_req(s.id, 3, s.ms_id, s.auth_response, 42, 0), 0);
        g_byte_array_unref(resp);
        g_assert_null(feed(peer, eap_code(EAP_CODE_SUCCESS, s.id), EAP_DONE_SUCCESS));
        eap_peer_free(peer);
    }
}

static void test_nak(void)
{
    struct fake_server s = {.password = "pw"};
    struct eap_peer *peer = NULL;
    GByteArray *resp;
    static const uint8_t tls_start[] = {0x20};
    static const uint8_t expanded[] = {0x00, 0x9f, 0x68, 0, 0, 0, 1, 0xaa};

    g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);

    /* EAP-TLS request -> Nak proposing MSCHAPv2 */
    resp = feed(peer, eap_req(42, EAP_TYPE_TLS, tls_start, sizeof(tls_start)), 0);
    {
        const uint8_t want[] = {EAP_CODE_RESPONSE, 42, 0, 6, EAP_TYPE_NAK, EAP_TYPE_MSCHAPV2};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);

    /* EAP-MD5 (4), no data */
    resp = feed(peer, eap_req(43, 4, NULL, 0), 0);
    {
        const uint8_t want[] = {EAP_CODE_RESPONSE, 43, 0, 6, EAP_TYPE_NAK, EAP_TYPE_MSCHAPV2};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);

    /* expanded type -> Expanded Nak (RFC 3748 5.3.2) */
    resp = feed(peer, eap_req(44, 254, expanded, sizeof(expanded)), 0);
    {
        const uint8_t want[] = {
            EAP_CODE_RESPONSE, 44, 0, 20, 254, 0, 0, 0, 0, 0, 0, 3, 254, 0, 0, 0, 0, 0, 0,
            EAP_TYPE_MSCHAPV2};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);

    /* notification -> acknowledged */
    resp = feed(peer, eap_req(45, 2, "Welcome\x07!", 9), 0);
    {
        const uint8_t want[] = {EAP_CODE_RESPONSE, 45, 0, 5, 2};
        g_assert_cmpmem(resp->data, resp->len, want, sizeof(want));
    }
    g_byte_array_unref(resp);

    /* the gateway gives in: MSCHAPv2 still works */
    s.id = 45;
    resp = feed(peer, srv_challenge(&s), 0);
    g_assert_true(srv_check_response(&s, resp->data, resp->len));
    g_byte_array_unref(resp);
    /* after the method started, no other method and no Identity */
    g_assert_null(feed(peer, eap_req(50, EAP_TYPE_TLS, tls_start, 1), -EPROTO));
    eap_peer_free(peer);

    g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
    resp = feed(peer, srv_challenge(&s), 0);
    g_byte_array_unref(resp);
    g_assert_null(feed(peer, eap_req(51, EAP_TYPE_IDENTITY, NULL, 0), -EPROTO));
    eap_peer_free(peer);
}

static void test_state_errors(void)
{
    struct fake_server s = {.password = "pw"};
    struct eap_peer *peer = NULL;
    GByteArray *resp;

    /* EAP-Success before the gateway proved anything */
    g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
    g_assert_null(feed(peer, eap_code(EAP_CODE_SUCCESS, 1), -EACCES));
    eap_peer_free(peer);
    peer = peer_after_response(&s, "user", "pw");
    g_assert_null(feed(peer, eap_code(EAP_CODE_SUCCESS, s.id), -EACCES));
    eap_peer_free(peer);

    /* EAP-Failure at the start */
    g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
    g_assert_null(feed(peer, eap_code(EAP_CODE_FAILURE, 1), -EACCES));
    eap_peer_free(peer);

    /* Success request before a Challenge */
    g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
    g_assert_null(
        feed(peer, srv_success(&s, "S=407A5589115FD0D6209F510FE9C04566932CDA56", false), -EPROTO));
    eap_peer_free(peer);

    /* a second Challenge */
    peer = peer_after_response(&s, "user", "pw");
    g_assert_null(feed(peer, srv_challenge(&s), -EPROTO));
    eap_peer_free(peer);

    /* a second Success request after the Success response */
    peer = peer_after_response(&s, "user", "pw");
    resp = feed(peer, srv_success(&s, s.auth_response, true), 0);
    g_byte_array_unref(resp);
    g_assert_null(feed(peer, srv_success(&s, s.auth_response, true), -EPROTO));
    eap_peer_free(peer);

    /* EAP-Failure after the Success response */
    peer = peer_after_response(&s, "user", "pw");
    resp = feed(peer, srv_success(&s, s.auth_response, true), 0);
    g_byte_array_unref(resp);
    g_assert_null(feed(peer, eap_code(EAP_CODE_FAILURE, s.id), -EACCES));
    eap_peer_free(peer);

    /* endless Naks / notifications: bounded */
    g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
    for (unsigned i = 0; i < EAP_PEER_MAX_ROUNDS; i++) {
        resp = feed(peer, eap_req((uint8_t)i, EAP_TYPE_TLS, NULL, 0), 0);
        g_byte_array_unref(resp);
    }
    g_assert_null(feed(peer, eap_req(0, EAP_TYPE_TLS, NULL, 0), -EPROTO));
    eap_peer_free(peer);
}

static void test_new_args(void)
{
    struct eap_peer *peer = (struct eap_peer *)0x1;
    char *long_name = g_strnfill(257, 'n');
    char *long_pw = g_strnfill(257, 'p');
    const uint8_t *msk;
    size_t msk_len;
    uint8_t *out;
    size_t out_len;

    g_assert_cmpint(eap_peer_new(NULL, NULL, "pw", &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new("u", "u", NULL, &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new("u", "u", "pw", NULL), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new("", NULL, "pw", &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new("u", "", "pw", &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new(long_name, "u", "pw", &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new("u", long_name, "pw", &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new("u", "u", long_pw, &peer), ==, -EINVAL);
    g_assert_cmpint(eap_peer_new("u", "u", "bad\xff", &peer), ==, -EINVAL);
    g_assert_true(peer == (struct eap_peer *)0x1);

    g_assert_cmpint(eap_peer_new("u", NULL, "pw", &peer), ==, 0);
    g_assert_cmpint(eap_peer_process(peer, NULL, 4, &out, &out_len), ==, -EINVAL);
    g_assert_cmpint(eap_peer_process(peer, (const uint8_t *)"x", 1, NULL, &out_len), ==, -EINVAL);
    g_assert_cmpint(eap_peer_process(NULL, (const uint8_t *)"x", 1, &out, &out_len), ==, -EINVAL);
    g_assert_cmpint(eap_peer_get_msk(peer, &msk, &msk_len), ==, -ENODATA);
    g_assert_cmpint(eap_peer_get_msk(NULL, &msk, &msk_len), ==, -EINVAL);
    /* -EINVAL did not end the run */
    {
        GByteArray *resp = feed(peer, eap_req(1, EAP_TYPE_IDENTITY, NULL, 0), 0);
        g_byte_array_unref(resp);
    }
    eap_peer_free(peer);
    eap_peer_free(NULL);
    g_free(long_name);
    g_free(long_pw);
}

/* ---- malformed input ------------------------------------------------------ */

struct bad_case {
    const char *what;
    bool after_response; /* feed after a valid Challenge/Response */
    GByteArray *(*make)(struct fake_server *s);
};

static GByteArray *raw(const uint8_t *p, size_t n)
{
    GByteArray *b = g_byte_array_new();

    if (n)
        g_byte_array_append(b, p, (guint)n);
    return b;
}
#define RAW(...)                                                                                   \
    ({                                                                                             \
        static const uint8_t r_[] = {__VA_ARGS__};                                                 \
        raw(r_, sizeof(r_));                                                                       \
    })

static GByteArray *b_empty(struct fake_server *s)
{
    return raw(NULL, 0);
}
static GByteArray *b_short_hdr(struct fake_server *s)
{
    return RAW(1, 1, 0);
}
static GByteArray *b_len_lt4(struct fake_server *s)
{
    return RAW(1, 1, 0, 3, 1);
}
static GByteArray *b_len_gt_buf(struct fake_server *s)
{
    return RAW(1, 1, 0, 10, 1, 'a', 'b');
}
static GByteArray *b_len_ffff(struct fake_server *s)
{
    return RAW(1, 1, 0xff, 0xff, 26, 1, 1);
}
static GByteArray *b_no_type(struct fake_server *s)
{
    return RAW(1, 1, 0, 4);
}
static GByteArray *b_success_len5(struct fake_server *s)
{
    return RAW(3, 1, 0, 5, 0);
}
static GByteArray *b_failure_len5(struct fake_server *s)
{
    return RAW(4, 1, 0, 5, 0);
}
static GByteArray *b_response_code(struct fake_server *s)
{
    return RAW(2, 1, 0, 5, 1);
}
static GByteArray *b_code_0(struct fake_server *s)
{
    return RAW(0, 1, 0, 4);
}
static GByteArray *b_code_5(struct fake_server *s)
{
    return RAW(5, 1, 0, 4);
}
static GByteArray *b_nak_request(struct fake_server *s)
{
    return RAW(1, 1, 0, 6, 3, 26);
}
static GByteArray *b_expanded_short(struct fake_server *s)
{
    return RAW(1, 1, 0, 11, 254, 0, 0, 0, 0, 0, 3);
}
static GByteArray *b_ms_no_header(struct fake_server *s)
{
    return RAW(1, 1, 0, 8, 26, 1, 1, 0);
}
static GByteArray *b_ms_type_only(struct fake_server *s)
{
    return RAW(1, 1, 0, 5, 26);
}
static GByteArray *chal_with(struct fake_server *s, uint8_t vsize, size_t body_len, int ms_delta)
{
    uint8_t body[64] = {0};

    g_assert_cmpuint(body_len, <=, sizeof(body));
    body[0] = vsize;
    memset(body + 1, 0x5a, body_len - 1);
    return ms_req(1, 1, 1, body, body_len, ms_delta);
}
static GByteArray *b_chal_mslen_plus(struct fake_server *s)
{
    return chal_with(s, 16, 1 + 16 + 4, +1);
}
static GByteArray *b_chal_mslen_minus(struct fake_server *s)
{
    return chal_with(s, 16, 1 + 16 + 4, -1);
}
static GByteArray *b_chal_mslen_zero(struct fake_server *s)
{
    return chal_with(s, 16, 1 + 16 + 4, -(4 + 1 + 16 + 4));
}
static GByteArray *b_chal_vsize_15(struct fake_server *s)
{
    return chal_with(s, 15, 1 + 16 + 4, 0);
}
static GByteArray *b_chal_vsize_17(struct fake_server *s)
{
    return chal_with(s, 17, 1 + 17 + 4, 0);
}
static GByteArray *b_chal_vsize_0(struct fake_server *s)
{
    return chal_with(s, 0, 1 + 4, 0);
}
static GByteArray *b_chal_truncated(struct fake_server *s)
{
    return chal_with(s, 16, 1 + 10, 0);
}
static GByteArray *b_chal_no_vsize(struct fake_server *s)
{
    return ms_req(1, 1, 1, NULL, 0, 0);
}
static GByteArray *b_ms_opcode(struct fake_server *s, uint8_t op)
{
    uint8_t body[17] = {16};

    return ms_req(1, op, 1, body, sizeof(body), 0);
}
static GByteArray *b_ms_opcode_2(struct fake_server *s)
{
    return b_ms_opcode(s, 2);
}
static GByteArray *b_ms_opcode_7(struct fake_server *s)
{
    return b_ms_opcode(s, 7);
}
static GByteArray *b_ms_opcode_0(struct fake_server *s)
{
    return b_ms_opcode(s, 0);
}
static GByteArray *succ_text(struct fake_server *s, const char *text, size_t len, int delta)
{
    s->id++;
    return ms_req(s->id, 3, s->ms_id, text, len, delta);
}
static GByteArray *b_succ_empty(struct fake_server *s)
{
    return succ_text(s, "", 0, 0);
}
static GByteArray *b_succ_39(struct fake_server *s)
{
    return succ_text(s, s->auth_response, 41, 0);
}
static GByteArray *b_succ_41(struct fake_server *s)
{
    g_autofree char *t = g_strdup_printf("%sA", s->auth_response);
    return succ_text(s, t, strlen(t), 0);
}
static GByteArray *b_succ_trailing(struct fake_server *s)
{
    g_autofree char *t = g_strdup_printf("%sM=x", s->auth_response);
    return succ_text(s, t, strlen(t), 0);
}
static GByteArray *b_succ_no_s(struct fake_server *s)
{
    g_autofree char *t = g_strdup_printf("M=hello %s", s->auth_response);
    return succ_text(s, t, strlen(t), 0);
}
static GByteArray *b_succ_nonhex(struct fake_server *s)
{
    char t[43];

    memcpy(t, s->auth_response, 43);
    t[20] = 'g';
    return succ_text(s, t, 42, 0);
}
static GByteArray *b_succ_nul_inside(struct fake_server *s)
{
    char t[43];

    memcpy(t, s->auth_response, 43);
    t[30] = '\0';
    return succ_text(s, t, 42, 0);
}
static GByteArray *b_succ_mslen(struct fake_server *s)
{
    return succ_text(s, s->auth_response, 42, +2);
}
static GByteArray *b_succ_truncated_hdr(struct fake_server *s)
{
    return RAW(1, 9, 0, 8, 26, 3, 1, 0);
}
static GByteArray *b_fail_mslen(struct fake_server *s)
{
    s->id++;
    return ms_req(s->id, 4, s->ms_id, "E=691", 5, -1);
}

static const struct bad_case bad_cases[] = {
    {"empty", false, b_empty},
    {"3 octets", false, b_short_hdr},
    {"EAP Length < 4", false, b_len_lt4},
    {"EAP Length > buffer", false, b_len_gt_buf},
    {"EAP Length 0xffff", false, b_len_ffff},
    {"request without Type", false, b_no_type},
    {"EAP-Success with Length 5", false, b_success_len5},
    {"EAP-Failure with Length 5", false, b_failure_len5},
    {"Response from the gateway", false, b_response_code},
    {"code 0", false, b_code_0},
    {"code 5", false, b_code_5},
    {"Nak in a request", false, b_nak_request},
    {"expanded type too short", false, b_expanded_short},
    {"MSCHAPv2 header truncated", false, b_ms_no_header},
    {"MSCHAPv2 type only", false, b_ms_type_only},
    {"Challenge MS-Length + 1", false, b_chal_mslen_plus},
    {"Challenge MS-Length - 1", false, b_chal_mslen_minus},
    {"Challenge MS-Length 0", false, b_chal_mslen_zero},
    {"Challenge Value-Size 15", false, b_chal_vsize_15},
    {"Challenge Value-Size 17", false, b_chal_vsize_17},
    {"Challenge Value-Size 0", false, b_chal_vsize_0},
    {"Challenge truncated", false, b_chal_truncated},
    {"Challenge without Value-Size", false, b_chal_no_vsize},
    {"MSCHAPv2 OpCode 2 from the gateway", false, b_ms_opcode_2},
    {"MSCHAPv2 OpCode 7", false, b_ms_opcode_7},
    {"MSCHAPv2 OpCode 0", false, b_ms_opcode_0},
    {"Success empty", true, b_succ_empty},
    {"Success S= 39 digits", true, b_succ_39},
    {"Success S= 41 digits", true, b_succ_41},
    {"Success S= then no space", true, b_succ_trailing},
    {"Success M= first", true, b_succ_no_s},
    {"Success S= non-hex", true, b_succ_nonhex},
    {"Success S= cut by NUL", true, b_succ_nul_inside},
    {"Success MS-Length + 2", true, b_succ_mslen},
    {"Success header truncated", true, b_succ_truncated_hdr},
    {"Failure MS-Length - 1", true, b_fail_mslen},
};

static void test_malformed(void)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer = NULL;

        if (g_test_verbose())
            g_printerr("malformed: %s\n", bad_cases[i].what);
        if (bad_cases[i].after_response)
            peer = peer_after_response(&s, "user", "pw");
        else
            g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
        g_assert_null(feed(peer, bad_cases[i].make(&s), -EBADMSG));
        /* the run is over */
        g_assert_null(feed(peer, eap_code(EAP_CODE_SUCCESS, s.id), -EPROTO));
        eap_peer_free(peer);
    }
}

/* Random corruption of valid messages in each state: no crash, only documented results. */
static void test_mutations(void)
{
    GRand *rand = g_rand_new_with_seed(0x5eed);

    for (unsigned iter = 0; iter < 3000; iter++) {
        struct fake_server s = {.password = "pw"};
        struct eap_peer *peer;
        GByteArray *msg;
        uint8_t *out = NULL;
        size_t out_len = 0;
        unsigned stage = iter % 3, flips;
        int r;

        if (stage == 0) {
            g_assert_cmpint(eap_peer_new("user", NULL, "pw", &peer), ==, 0);
            msg = srv_challenge(&s);
        } else {
            peer = peer_after_response(&s, "user", "pw");
            msg = stage == 1 ? srv_success(&s, s.auth_response, true)
                             : srv_failure(&s, "E=691 R=0 C=00 V=3 M=no");
        }
        flips = 1 + g_rand_int_range(rand, 0, 4);
        for (unsigned f = 0; f < flips; f++) {
            guint pos = (guint)g_rand_int_range(rand, 0, (gint32)msg->len);
            msg->data[pos] = (uint8_t)g_rand_int_range(rand, 0, 256);
        }
        if (g_rand_boolean(rand))
            g_byte_array_set_size(msg, (guint)g_rand_int_range(rand, 0, (gint32)msg->len + 1));

        r = eap_peer_process(peer, msg->data, msg->len, &out, &out_len);
        g_assert_true(r == 0 || r == EAP_DONE_SUCCESS || r == -EBADMSG || r == -EACCES ||
                      r == -EPROTO);
        if (r == 0) {
            g_assert_cmpuint(test_get_be16(out + 2), ==, out_len);
            g_free(out);
        }
        g_byte_array_unref(msg);
        eap_peer_free(peer);
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the malformed and mutation tests log a warning per message */
    uip_log_setup(g_test_verbose() ? LOG_DEBUG : LOG_CRIT, false, NULL);
    g_test_add_func("/eap/full-exchange", test_full_exchange);
    g_test_add_func("/eap/padding-ignored", test_padding_ignored);
    g_test_add_func("/eap/wrong-password", test_wrong_password);
    g_test_add_func("/eap/failure-message-sanitized", test_failure_message_sanitized);
    g_test_add_func("/eap/wrong-authenticator-response", test_wrong_authenticator_response);
    g_test_add_func("/eap/nak", test_nak);
    g_test_add_func("/eap/state-errors", test_state_errors);
    g_test_add_func("/eap/new-args", test_new_args);
    g_test_add_func("/eap/malformed", test_malformed);
    g_test_add_func("/eap/mutations", test_mutations);
    return g_test_run();
}
