/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EAP peer with EAP-MSCHAPv2 or EAP-TLS for IKEv2 IKE_AUTH (RFC 3748,
 * RFC 7296 2.16, draft-kamath-pppext-eap-mschapv2-02, RFC 2759, RFC 3079;
 * EAP-TLS RFC 5216 / RFC 9190 in eap-tls.c).
 *
 * Where a message comes from: the body of an EAP payload in an IKE_AUTH
 * response, already decrypted and authenticated by the IKE layer.  What
 * happens to it: the EAP header is validated (Length against the buffer),
 * then Success/Failure codes end the run, and a Request is dispatched on its
 * Type: Identity, Notification, MSCHAPv2 (header validated: MS-Length against
 * the EAP Length, Value-Size), EAP-TLS (handed to eap-tls.c with its
 * Type-Data), any method but the configured one gets a Nak.  Where the answer
 * goes: a freshly allocated EAP Response back to the IKE layer, which puts it
 * in the EAP payload of its next IKE_AUTH request.  After EAP-Success the MSK
 * is handed to the AUTH computation.
 *
 * State: IDLE -(Challenge)-> RESPONSE_SENT -(Success req, S= verified)->
 * SUCCESS_SENT -(EAP-Success)-> DONE; EAP-TLS: IDLE -(EAP-TLS request)->
 * TLS -(EAP-Success once eap_tls_finished())-> DONE; any error -> FAILED.
 */
#include "ike/eap.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <glib.h>
#include <openssl/rand.h>

#include "ike/eap-tls.h"
#include "ike/ike-types.h"
#include "ike/mschapv2.h"
#include "common/uip-be.h"
#include "common/uip-log.h"
#include "common/uip-secret.h"

#define EAP_HDR_LEN 4 /* Code, Identifier, Length */

G_STATIC_ASSERT(EAP_PEER_MSK_LEN == EAP_TLS_MSK_LEN);

/* Not (yet) in ike-types.h: RFC 3748 5.2 and 5.7 */
#define EAP_PEER_TYPE_NOTIFICATION 2
#define EAP_PEER_TYPE_EXPANDED     254

/* MS-CHAPv2 OpCodes (draft-kamath-pppext-eap-mschapv2-02 2) */
enum {
    MS_OP_CHALLENGE = 1,
    MS_OP_RESPONSE = 2,
    MS_OP_SUCCESS = 3,
    MS_OP_FAILURE = 4,
};

/* OpCode, MS-CHAPv2-ID, MS-Length: after the EAP Type octet */
#define MS_HDR_LEN        4
#define MS_RESPONSE_VSIZE 49 /* PeerChallenge 16, Reserved 8, NT-Response 24, Flags 1 */

#define EAP_LOG(level, peer, fmt, ...)                                                             \
    _LOG(level, "SPI %016" PRIx64 ": " fmt, (peer)->spi, ##__VA_ARGS__)
#define EAP_LOGD(peer, ...) EAP_LOG(LOG_DEBUG, peer, __VA_ARGS__)
#define EAP_LOGI(peer, ...) EAP_LOG(LOG_INFO, peer, __VA_ARGS__)
#define EAP_LOGW(peer, ...) EAP_LOG(LOG_WARNING, peer, __VA_ARGS__)

enum eap_peer_state {
    ST_IDLE,          /* before the method: Identity, Notification, Nak */
    ST_RESPONSE_SENT, /* MSCHAPv2 Response sent, waiting for Success/Failure request */
    ST_SUCCESS_SENT,  /* gateway verified, MSCHAPv2 Success response sent */
    ST_TLS,           /* EAP-TLS running (its own states in eap-tls.c) */
    ST_DONE,          /* EAP-Success received: MSK available */
    ST_FAILED,
};

struct eap_peer {
    enum eap_peer_state state;
    uint8_t method; /* EAP_TYPE_MSCHAPV2 or EAP_TYPE_TLS */
    struct eap_tls *tls;
    uint64_t spi;
    unsigned rounds;
    char *identity;
    char *username;
    bool have_hash;
    uint8_t password_hash[MSCHAPV2_HASH_LEN]; /* wiped once the Response is computed */
    uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN];
    char auth_response[MSCHAPV2_AUTH_RESPONSE_LEN + 1]; /* expected "S=..." */
    uint8_t msk[MSCHAPV2_MSK_LEN];
    int failure_code;
    char *failure_message;
};

static void eap_peer_wipe_keys(struct eap_peer *peer)
{
    uip_wipe(peer->password_hash, sizeof(peer->password_hash));
    peer->have_hash = false;
    uip_wipe(peer->nt_response, sizeof(peer->nt_response));
    uip_wipe(peer->auth_response, sizeof(peer->auth_response));
}

int eap_peer_new(const char *identity, const char *username, const char *password,
                 struct eap_peer **out)
{
    struct eap_peer *peer;
    size_t id_len, user_len;
    int r;

    if (!out || !password || (!identity && !username))
        return -EINVAL;
    if (!identity)
        identity = username;
    if (!username)
        username = identity;
    id_len = strlen(identity);
    user_len = strlen(username);
    if (id_len == 0 || id_len > EAP_PEER_MAX_IDENTITY_LEN || user_len == 0 ||
        user_len > MSCHAPV2_MAX_USERNAME_LEN)
        return -EINVAL;

    peer = g_new0(struct eap_peer, 1);
    r = mschapv2_nt_password_hash(password, peer->password_hash);
    if (r < 0) {
        uip_free_secret(peer, sizeof(*peer));
        return r;
    }
    peer->have_hash = true;
    peer->identity = g_strdup(identity);
    peer->username = g_strdup(username);
    peer->method = EAP_TYPE_MSCHAPV2;
    peer->state = ST_IDLE;
    *out = peer;
    return 0;
}

int eap_peer_new_tls(const char *identity, const struct ike_cred *cred,
                     const struct ike_trust *trust, struct eap_peer **out)
{
    struct eap_peer *peer;
    size_t id_len;
    int r;

    if (!out || !identity || !cred || !trust)
        return -EINVAL;
    id_len = strlen(identity);
    if (id_len == 0 || id_len > EAP_PEER_MAX_IDENTITY_LEN)
        return -EINVAL;

    peer = g_new0(struct eap_peer, 1);
    r = eap_tls_new(cred, trust, &peer->tls);
    if (r < 0) {
        g_free(peer);
        return r;
    }
    peer->identity = g_strdup(identity);
    peer->method = EAP_TYPE_TLS;
    peer->state = ST_IDLE;
    *out = peer;
    return 0;
}

int eap_peer_set_server_id(struct eap_peer *peer, uint8_t id_type, const uint8_t *id, size_t id_len,
                           const char *expected_host)
{
    if (!peer)
        return -EINVAL;
    if (!peer->tls)
        return 0;
    return eap_tls_set_server_id(peer->tls, id_type, id, id_len, expected_host);
}

void eap_peer_free(struct eap_peer *peer)
{
    if (!peer)
        return;
    g_free(peer->identity);
    uip_free_secret_str(peer->username);
    g_free(peer->failure_message);
    eap_tls_free(peer->tls);
    uip_free_secret(peer, sizeof(*peer)); /* hash, NT-Response, MSK */
}

void eap_peer_set_spi(struct eap_peer *peer, uint64_t spi)
{
    if (peer) {
        peer->spi = spi;
        eap_tls_set_spi(peer->tls, spi);
    }
}

int eap_peer_get_msk(const struct eap_peer *peer, const uint8_t **msk, size_t *msk_len)
{
    if (!peer || !msk || !msk_len)
        return -EINVAL;
    if (peer->state != ST_DONE)
        return -ENODATA;
    *msk = peer->msk;
    *msk_len = sizeof(peer->msk);
    return 0;
}

const char *eap_peer_failure_message(const struct eap_peer *peer)
{
    if (peer && peer->tls && eap_tls_failure_reason(peer->tls))
        return eap_tls_failure_reason(peer->tls);
    return peer ? peer->failure_message : NULL;
}

int eap_peer_failure_code(const struct eap_peer *peer)
{
    return peer ? peer->failure_code : 0;
}

const char *eap_mschapv2_error_name(int code)
{
    switch (code) {
    case 646:
        return "ERROR_RESTRICTED_LOGON_HOURS";
    case 647:
        return "ERROR_ACCT_DISABLED";
    case 648:
        return "ERROR_PASSWD_EXPIRED";
    case 649:
        return "ERROR_NO_DIALIN_PERMISSION";
    case 691:
        return "ERROR_AUTHENTICATION_FAILURE";
    case 709:
        return "ERROR_CHANGING_PASSWORD";
    default:
        return "unknown";
    }
}

/* ---- helpers -------------------------------------------------------------- */

uint8_t *eap_response_new(uint8_t identifier, uint8_t type, size_t data_len, size_t *len)
{
    size_t n = EAP_HDR_LEN + 1 + data_len;
    uint8_t *buf;

    g_assert(n <= UINT16_MAX);
    buf = g_malloc0(n);
    buf[0] = EAP_CODE_RESPONSE;
    buf[1] = identifier;
    uip_put16(buf + 2, n);
    buf[4] = type;
    *len = n;
    return buf;
}

/* Printable ASCII copy of untrusted text, at most EAP_PEER_MAX_MESSAGE_LEN characters. */
static char *sanitize(const uint8_t *s, size_t len)
{
    char *out;

    len = MIN(len, EAP_PEER_MAX_MESSAGE_LEN);
    out = g_malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    out[len] = '\0';
    return out;
}

/* The text of a Success/Failure request ends at its first NUL, if any (strongSwan sends one). */
static size_t text_len(const uint8_t *s, size_t len)
{
    const uint8_t *nul = memchr(s, '\0', len);

    return nul ? (size_t)(nul - s) : len;
}

/* ---- MSCHAPv2 ------------------------------------------------------------- */

static int ms_challenge(struct eap_peer *peer, uint8_t identifier, uint8_t ms_id,
                        const uint8_t *body, size_t body_len, uint8_t **out, size_t *out_len)
{
    uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN];
    uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN];
    size_t name_len, n, len;
    uint8_t *buf, *p;
    int r;

    /* Value-Size, Challenge, Name */
    if (body_len < 1 + MSCHAPV2_CHALLENGE_LEN || body[0] != MSCHAPV2_CHALLENGE_LEN) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 challenge: bad value size");
        return -EBADMSG;
    }
    if (peer->state != ST_IDLE || !peer->have_hash) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 challenge not expected now");
        return -EPROTO;
    }
    memcpy(auth_challenge, body + 1, MSCHAPV2_CHALLENGE_LEN);
    if (RAND_bytes(peer_challenge, sizeof(peer_challenge)) != 1)
        return -EIO;

    r = mschapv2_generate_nt_response(auth_challenge, peer_challenge, peer->username,
                                      peer->password_hash, peer->nt_response);
    if (r == 0)
        r = mschapv2_generate_authenticator_response(peer->password_hash, peer->nt_response,
                                                     peer_challenge, auth_challenge, peer->username,
                                                     peer->auth_response);
    if (r == 0)
        r = mschapv2_msk(peer->password_hash, peer->nt_response, peer->msk);
    /* no retries, no password change: the hash is not needed any more */
    uip_wipe(peer->password_hash, sizeof(peer->password_hash));
    peer->have_hash = false;
    if (r < 0)
        return r;

    /* OpCode, MS-CHAPv2-ID, MS-Length, Value-Size, Response, Name */
    name_len = strlen(peer->username);
    n = MS_HDR_LEN + 1 + MS_RESPONSE_VSIZE + name_len;
    buf = eap_response_new(identifier, EAP_TYPE_MSCHAPV2, n, &len);
    p = buf + EAP_HDR_LEN + 1;
    p[0] = MS_OP_RESPONSE;
    p[1] = ms_id;
    uip_put16(p + 2, len - 5);
    p[4] = MS_RESPONSE_VSIZE;
    memcpy(p + 5, peer_challenge, MSCHAPV2_CHALLENGE_LEN);
    /* 8 reserved octets stay zero */
    memcpy(p + 5 + MSCHAPV2_CHALLENGE_LEN + 8, peer->nt_response, MSCHAPV2_NT_RESPONSE_LEN);
    /* Flags stay zero */
    memcpy(p + 5 + MS_RESPONSE_VSIZE, peer->username, name_len);

    {
        g_autofree char *name =
            sanitize(body + 1 + MSCHAPV2_CHALLENGE_LEN, body_len - 1 - MSCHAPV2_CHALLENGE_LEN);
        EAP_LOGD(peer, "EAP-MSCHAPv2 challenge from '%s', response sent", name);
    }
    peer->state = ST_RESPONSE_SENT;
    *out = buf;
    *out_len = len;
    return 0;
}

static int ms_success(struct eap_peer *peer, uint8_t identifier, const uint8_t *body,
                      size_t body_len, uint8_t **out, size_t *out_len)
{
    size_t tlen = text_len(body, body_len);
    g_autofree char *msg = NULL;
    uint8_t *buf;
    size_t len;
    int r;

    if (peer->state != ST_RESPONSE_SENT) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 success request not expected now");
        return -EPROTO;
    }
    /* "S=<40 hex>" then the end or " M=<message>" */
    if (tlen < MSCHAPV2_AUTH_RESPONSE_LEN ||
        (tlen > MSCHAPV2_AUTH_RESPONSE_LEN && body[MSCHAPV2_AUTH_RESPONSE_LEN] != ' ')) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 success request: malformed authenticator response");
        return -EBADMSG;
    }
    r = mschapv2_check_authenticator_response(peer->auth_response, (const char *)body,
                                              MSCHAPV2_AUTH_RESPONSE_LEN);
    if (r == -EACCES) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 authenticator response mismatch: the gateway did not prove "
                       "knowledge of the password");
        return -EACCES;
    }
    if (r < 0) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 success request: malformed authenticator response");
        return r == -EINVAL ? -EPROTO : r;
    }
    if (tlen > MSCHAPV2_AUTH_RESPONSE_LEN + 3 &&
        memcmp(body + MSCHAPV2_AUTH_RESPONSE_LEN, " M=", 3) == 0)
        msg =
            sanitize(body + MSCHAPV2_AUTH_RESPONSE_LEN + 3, tlen - MSCHAPV2_AUTH_RESPONSE_LEN - 3);
    EAP_LOGI(peer, "EAP-MSCHAPv2 gateway verified%s%s%s", msg ? ": '" : "", msg ? msg : "",
             msg ? "'" : "");

    /* the Success response is the OpCode alone */
    buf = eap_response_new(identifier, EAP_TYPE_MSCHAPV2, 1, &len);
    buf[EAP_HDR_LEN + 1] = MS_OP_SUCCESS;
    uip_wipe(peer->nt_response, sizeof(peer->nt_response));
    uip_wipe(peer->auth_response, sizeof(peer->auth_response));
    peer->state = ST_SUCCESS_SENT;
    *out = buf;
    *out_len = len;
    return 0;
}

/* Decimal E= value, 0 when absent or not a number that fits. */
static int parse_error_code(const uint8_t *s, size_t len)
{
    int v = 0;

    if (len == 0 || len > 9)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv M=<msg>" */
static int ms_failure(struct eap_peer *peer, const uint8_t *body, size_t body_len)
{
    size_t tlen = text_len(body, body_len);
    size_t pos = 0;

    peer->failure_code = 0;
    g_clear_pointer(&peer->failure_message, g_free);
    while (pos < tlen) {
        const uint8_t *tok = body + pos;
        const uint8_t *sp;
        size_t tok_len;

        if (tlen - pos >= 2 && tok[0] == 'M' && tok[1] == '=') {
            /* the message is the rest, spaces included */
            peer->failure_message = sanitize(tok + 2, tlen - pos - 2);
            break;
        }
        sp = memchr(tok, ' ', tlen - pos);
        tok_len = sp ? (size_t)(sp - tok) : tlen - pos;
        if (tok_len >= 2 && tok[0] == 'E' && tok[1] == '=')
            peer->failure_code = parse_error_code(tok + 2, tok_len - 2);
        pos += tok_len + 1;
    }
    EAP_LOGW(peer, "EAP-MSCHAPv2 failed: E=%d (%s)%s%s%s", peer->failure_code,
             eap_mschapv2_error_name(peer->failure_code), peer->failure_message ? ": '" : "",
             peer->failure_message ? peer->failure_message : "", peer->failure_message ? "'" : "");
    return -EACCES;
}

static int ms_process(struct eap_peer *peer, uint8_t identifier, const uint8_t *data,
                      size_t data_len, uint8_t **out, size_t *out_len)
{
    uint8_t opcode, ms_id;
    size_t ms_len;

    if (data_len < MS_HDR_LEN) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 request too short");
        return -EBADMSG;
    }
    opcode = data[0];
    ms_id = data[1];
    ms_len = uip_get16(data + 2);
    /* MS-Length covers OpCode .. end: EAP Length - 5 */
    if (ms_len != data_len) {
        EAP_LOGW(peer, "EAP-MSCHAPv2 MS-Length %zu does not match EAP Length", ms_len);
        return -EBADMSG;
    }
    data += MS_HDR_LEN;
    data_len -= MS_HDR_LEN;

    switch (opcode) {
    case MS_OP_CHALLENGE:
        return ms_challenge(peer, identifier, ms_id, data, data_len, out, out_len);
    case MS_OP_SUCCESS:
        return ms_success(peer, identifier, data, data_len, out, out_len);
    case MS_OP_FAILURE:
        return ms_failure(peer, data, data_len);
    default:
        EAP_LOGW(peer, "EAP-MSCHAPv2 request with OpCode %u", opcode);
        return -EBADMSG;
    }
}

/* ---- EAP-TLS -------------------------------------------------------------- */

static int tls_request(struct eap_peer *peer, uint8_t identifier, const uint8_t *data,
                       size_t data_len, uint8_t **out, size_t *out_len)
{
    int r;

    if (peer->state != ST_IDLE && peer->state != ST_TLS) {
        EAP_LOGW(peer, "EAP-TLS request not expected now");
        return -EPROTO;
    }
    r = eap_tls_process(peer->tls, identifier, data, data_len, out, out_len);
    if (r == 0 && peer->state == ST_IDLE)
        peer->state = ST_TLS;
    return r;
}

static const char *method_name(uint8_t method)
{
    return method == EAP_TYPE_TLS ? "EAP-TLS" : "MSCHAPv2";
}

/* ---- EAP ------------------------------------------------------------------ */

static int eap_request(struct eap_peer *peer, const uint8_t *msg, size_t msg_len, uint8_t **out,
                       size_t *out_len)
{
    uint8_t identifier = msg[1];
    const uint8_t *data = msg + EAP_HDR_LEN + 1;
    size_t data_len = msg_len - EAP_HDR_LEN - 1;
    uint8_t *buf;
    size_t len;

    switch (msg[EAP_HDR_LEN]) {
    case EAP_TYPE_MSCHAPV2:
        if (peer->method != EAP_TYPE_MSCHAPV2)
            goto nak;
        return ms_process(peer, identifier, data, data_len, out, out_len);

    case EAP_TYPE_TLS:
        if (peer->method != EAP_TYPE_TLS)
            goto nak;
        return tls_request(peer, identifier, data, data_len, out, out_len);

    case EAP_TYPE_IDENTITY: {
        size_t id_len = strlen(peer->identity);

        if (peer->state != ST_IDLE) {
            EAP_LOGW(peer, "EAP-Identity request after the method started");
            return -EPROTO;
        }
        buf = eap_response_new(identifier, EAP_TYPE_IDENTITY, id_len, &len);
        memcpy(buf + EAP_HDR_LEN + 1, peer->identity, id_len);
        EAP_LOGD(peer, "EAP-Identity request, answered with '%s'", peer->identity);
        break;
    }

    case EAP_PEER_TYPE_NOTIFICATION: {
        g_autofree char *text = sanitize(data, data_len);

        EAP_LOGI(peer, "EAP notification from the gateway: '%s'", text);
        buf = eap_response_new(identifier, EAP_PEER_TYPE_NOTIFICATION, 0, &len);
        break;
    }

    case EAP_TYPE_NAK:
        EAP_LOGW(peer, "EAP Nak in a request");
        return -EBADMSG;

    case EAP_PEER_TYPE_EXPANDED:
        /* Vendor-Id (3), Vendor-Type (4): answered with an Expanded Nak (RFC 3748 5.3.2) */
        if (data_len < 7) {
            EAP_LOGW(peer, "EAP expanded-type request too short");
            return -EBADMSG;
        }
        if (peer->state != ST_IDLE) {
            EAP_LOGW(peer, "EAP method change after the method started");
            return -EPROTO;
        }
        {
            /* Vendor-Id 0, Vendor-Type 3 (Nak); proposal: 254, Vendor-Id 0, Vendor-Type
             * the configured method */
            const uint8_t nak[] = {
                0, 0, 0, 0, 0, 0, EAP_TYPE_NAK, EAP_PEER_TYPE_EXPANDED,
                0, 0, 0, 0, 0, 0, peer->method};
            buf = eap_response_new(identifier, EAP_PEER_TYPE_EXPANDED, sizeof(nak), &len);
            memcpy(buf + EAP_HDR_LEN + 1, nak, sizeof(nak));
        }
        EAP_LOGI(peer, "EAP expanded method %02x%02x%02x/%u not supported, proposing %s", data[0],
                 data[1], data[2], uip_get32(data + 3),
                 method_name(peer->method));
        break;

    default:
    nak:
        if (peer->state != ST_IDLE) {
            EAP_LOGW(peer, "EAP method change after the method started");
            return -EPROTO;
        }
        buf = eap_response_new(identifier, EAP_TYPE_NAK, 1, &len);
        buf[EAP_HDR_LEN + 1] = peer->method;
        EAP_LOGI(peer, "EAP method %u not configured, proposing %s", msg[EAP_HDR_LEN],
                 method_name(peer->method));
        break;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

static int eap_dispatch(struct eap_peer *peer, const uint8_t *in, size_t in_len, uint8_t **out,
                        size_t *out_len)
{
    size_t len;

    if (in_len < EAP_HDR_LEN) {
        EAP_LOGW(peer, "EAP message too short (%zu)", in_len);
        return -EBADMSG;
    }
    len = uip_get16(in + 2);
    if (len < EAP_HDR_LEN || len > in_len) {
        EAP_LOGW(peer, "EAP Length %zu does not fit the %zu octets received", len, in_len);
        return -EBADMSG;
    }

    switch (in[0]) {
    case EAP_CODE_SUCCESS:
        if (len != EAP_HDR_LEN)
            return -EBADMSG;
        if (peer->method == EAP_TYPE_TLS) {
            const uint8_t *msk = NULL;
            size_t msk_len = 0;

            if (peer->state != ST_TLS || eap_tls_get_msk(peer->tls, &msk, &msk_len) < 0 ||
                msk_len != sizeof(peer->msk)) {
                const char *v = eap_tls_version_name(peer->tls);

                g_free(peer->failure_message);
                peer->failure_message = g_strdup_printf(
                    "EAP-Success before the EAP-TLS run finished%s",
                    v && strcmp(v, "TLSv1.3") == 0 ? " (no TLS 1.3 protected success indication)"
                                                   : "");
                EAP_LOGW(peer, "%s", peer->failure_message);
                return -EACCES;
            }
            memcpy(peer->msk, msk, msk_len);
            EAP_LOGI(peer, "EAP-TLS authentication succeeded (%s)",
                     eap_tls_version_name(peer->tls));
            return EAP_DONE_SUCCESS;
        }
        if (peer->state != ST_SUCCESS_SENT) {
            EAP_LOGW(peer, "EAP-Success before the gateway authenticated itself");
            return -EACCES;
        }
        EAP_LOGI(peer, "EAP-MSCHAPv2 authentication succeeded");
        return EAP_DONE_SUCCESS;
    case EAP_CODE_FAILURE:
        if (len != EAP_HDR_LEN)
            return -EBADMSG;
        EAP_LOGW(peer, "EAP-Failure from the gateway");
        return -EACCES;
    case EAP_CODE_REQUEST:
        break;
    default:
        EAP_LOGW(peer, "EAP message with code %u from the gateway", in[0]);
        return -EBADMSG;
    }

    if (len < EAP_HDR_LEN + 1) {
        EAP_LOGW(peer, "EAP request without a Type");
        return -EBADMSG;
    }
    unsigned max_rounds =
        peer->method == EAP_TYPE_TLS ? EAP_PEER_MAX_ROUNDS_TLS : EAP_PEER_MAX_ROUNDS;
    if (++peer->rounds > max_rounds) {
        EAP_LOGW(peer, "more than %u EAP requests, giving up", max_rounds);
        return -EPROTO;
    }
    return eap_request(peer, in, len, out, out_len);
}

int eap_peer_process(struct eap_peer *peer, const uint8_t *in, size_t in_len, uint8_t **out,
                     size_t *out_len)
{
    int r;

    if (!peer || (!in && in_len) || !out || !out_len)
        return -EINVAL;
    if (peer->state == ST_DONE || peer->state == ST_FAILED)
        return -EPROTO;

    r = eap_dispatch(peer, in ? in : (const uint8_t *)"", in_len, out, out_len);
    if (r == EAP_DONE_SUCCESS) {
        peer->state = ST_DONE;
        eap_peer_wipe_keys(peer); /* all but the MSK */
        g_clear_pointer(&peer->tls, eap_tls_free); /* its copy of the MSK too */
    } else if (r < 0) {
        peer->state = ST_FAILED;
        eap_peer_wipe_keys(peer);
        uip_wipe(peer->msk, sizeof(peer->msk));
    }
    return r;
}
