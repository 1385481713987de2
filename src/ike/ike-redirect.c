/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Redirect (RFC 5685), the client's side: a gateway sends us to another one
 * (load balancing, maintenance).
 *
 *   IKE_SA_INIT request: REDIRECT_SUPPORTED, or REDIRECTED_FROM naming the
 *     gateway that sent us here (ike-init.c)
 *   <- REDIRECT in the IKE_SA_INIT response: not authenticated, so taken only
 *     when it carries our nonce (RFC 5685 5)
 *   <- REDIRECT in the last IKE_AUTH response, after the gateway's AUTH was
 *     verified (ike-auth.c): no CHILD_SA; we delete the IKE SA
 *   <- REDIRECT in an INFORMATIONAL request on the established IKE SA
 *     (ike-info.c): answered, then the owner closes this IKE SA and connects
 *     to the new gateway
 *   -> the owner's redirected() callback with the new gateway's address (port
 *     500); the identity expected of it stays as configured.  Only address
 *     identities are followed: an FQDN is refused by name, the session fails.
 */
#include "ike/ike-session-priv.h"

#include <netinet/in.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/uip-be.h"

enum {
    GW_IDENT_IPV4 = 1,
    GW_IDENT_IPV6 = 2,
    GW_IDENT_FQDN = 3,
};

/* REDIRECT_SUPPORTED, or REDIRECTED_FROM with the address of the gateway that redirected us. */
void ikes_add_redirect_notify(struct ike_session *s, struct ike_builder *b)
{
    uint8_t data[2 + 16];
    const struct sockaddr_storage *from = &s->redirected_from;

    if (from->ss_family == AF_INET) {
        data[0] = GW_IDENT_IPV4;
        data[1] = 4;
        memcpy(data + 2, &((const struct sockaddr_in *)from)->sin_addr, 4);
        ike_build_notify(b, 0, NULL, 0, IKE_N_REDIRECTED_FROM, data, 2 + 4);
    } else if (from->ss_family == AF_INET6) {
        data[0] = GW_IDENT_IPV6;
        data[1] = 16;
        memcpy(data + 2, &((const struct sockaddr_in6 *)from)->sin6_addr, 16);
        ike_build_notify(b, 0, NULL, 0, IKE_N_REDIRECTED_FROM, data, 2 + 16);
    } else {
        ike_build_notify(b, 0, NULL, 0, IKE_N_REDIRECT_SUPPORTED, NULL, 0);
    }
}

/* A REDIRECT notify, read. */
struct redirect {
    struct sockaddr_storage gw; /* the new gateway, port 500 */
    socklen_t gw_len;
    const uint8_t *nonce; /* its nonce field (IKE_SA_INIT), in the message */
    size_t nonce_len;
};

/*
 * Read a REDIRECT notify of @m into @rd.  0, -ENOENT (none), -EINVAL
 * (malformed), -EOPNOTSUPP (an FQDN).
 */
static int parse_redirect(const struct ike_msg *m, struct redirect *rd)
{
    struct ike_notify n;

    if (!ikes_find_notify(m, IKE_N_REDIRECT, &n))
        return -ENOENT;
    if (n.data_len < 2 || (size_t)2 + n.data[1] > n.data_len)
        return -EINVAL;
    uint8_t type = n.data[0], len = n.data[1];
    if ((type == GW_IDENT_IPV4 && len == 4) || (type == GW_IDENT_IPV6 && len == 16)) {
        rd->gw_len = ikes_sockaddr_set(&rd->gw, n.data + 2, len, 500);
    } else if (type == GW_IDENT_FQDN && len > 0) {
        return -EOPNOTSUPP;
    } else {
        return -EINVAL;
    }
    rd->nonce = n.data + 2 + len;
    rd->nonce_len = n.data_len - 2 - len;
    return 0;
}

/* Hand the new gateway to the owner; false when the redirect could not be taken (failed). */
static bool follow(struct ike_session *s, int r, const struct redirect *rd, const char *where)
{
    if (r == -EOPNOTSUPP) {
        ikes_fail(s, IKE_FAIL_CONFIG,
                  "the gateway redirects us to another gateway by name (%s), which this client "
                  "does not follow yet",
                  where);
        return false;
    }
    if (r < 0) {
        ikes_fail(s, IKE_FAIL_PROTOCOL, "the gateway sent a malformed REDIRECT (%s)", where);
        return false;
    }
    if (!s->cb.redirected) {
        ikes_fail(s, IKE_FAIL_CONFIG, "the gateway redirects us to another gateway (%s)", where);
        return false;
    }
    _LOGS(LOG_INFO, s, "the gateway redirects us to another gateway (%s)", where);
    s->cb.redirected(s->user, (const struct sockaddr *)&rd->gw, rd->gw_len);
    return true;
}

bool ikes_redirect_in_init(struct ike_session *s, const struct ike_msg *m)
{
    struct redirect rd = {0};
    int r = parse_redirect(m, &rd);

    if (r == -ENOENT)
        return false;
    /* unauthenticated: only with our nonce, else not from the gateway we asked (RFC 5685 5) */
    if (r == 0 &&
        (rd.nonce_len != sizeof(s->ni) || CRYPTO_memcmp(rd.nonce, s->ni, rd.nonce_len) != 0)) {
        _LOGS(LOG_WARNING, s, "ignored a REDIRECT in IKE_SA_INIT without our nonce");
        return true;
    }
    ikes_request_done(s);
    if (follow(s, r, &rd, "IKE_SA_INIT"))
        ikes_end(s);
    return true;
}

bool ikes_redirect_in_auth(struct ike_session *s, const struct ike_msg *m)
{
    struct redirect rd = {0};
    int r = parse_redirect(m, &rd);

    if (r == -ENOENT)
        return false;
    ikes_request_done(s);
    if (follow(s, r, &rd, "IKE_AUTH")) {
        ikes_send_ike_delete_on(s, &s->sa); /* no CHILD_SA was made: nothing else to end */
        ikes_end(s);
    }
    return true;
}

bool ikes_redirect_in_request(struct ike_session *s, struct sa_ctx *sa, const struct ike_msg *m)
{
    struct redirect rd = {0};
    int r = parse_redirect(m, &rd);

    if (r == -ENOENT)
        return false;
    ikes_send_response(s, sa, IKE_INFORMATIONAL, m->hdr.msg_id, NULL, 0);
    follow(s, r, &rd, "INFORMATIONAL");
    return true;
}
