/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MOBIKE (RFC 4555), the initiator's side: when our address changes, the IKE
 * SA and its CHILD_SA move with it instead of being made again; the virtual
 * address and the connections inside the tunnel stay.
 *
 *   IKE_AUTH: MOBIKE_SUPPORTED offered (ike-auth.c) -> the gateway's answers
 *     say whether it supports it too (s->mobike) and name its other addresses
 *     (ADDITIONAL_IP4/6_ADDRESS, NO_ADDITIONAL_ADDRESSES): kept, logged
 *   ike_session_path_changed(), after the owner moved its sockets to the new
 *     address: the request that is out goes again at once, from there; then
 *     UPDATE_SA_ADDRESSES with NAT-D redone and a COOKIE2, in the request
 *     queue (ike-msg-io.c) behind it
 *   liveness checks (ike-info.c) carry NAT-D too: when the gateway's hash of
 *     our address and port changed since its last answer (a NAT rebound us to
 *     another port), UPDATE_SA_ADDRESSES follows; when our traffic gets no
 *     answer (ike_session_probe()) the check is UPDATE_SA_ADDRESSES itself
 *   <- the answers (ikes_on_mobike_response()): COOKIE2 echoed, NAT-D kept; an
 *     error (UNACCEPTABLE_ADDRESSES, UNEXPECTED_NAT_DETECTED, ...) means the
 *     IKE SA cannot move: it fails as a dead peer, and the owner makes a new
 *     one from the new address
 */
#include "ike/ike-session-priv.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

/* Keep the gateway's other addresses (RFC 4555 3.6) from one message. */
static void read_additional(struct ike_session *s, const struct ike_msg *m)
{
    bool listed = false;

    for (const struct ike_pl *pl = ike_msg_find(m, IKE_PL_NOTIFY, NULL); pl;
         pl = ike_msg_find(m, IKE_PL_NOTIFY, pl)) {
        struct ike_notify n;
        if (ike_notify_parse(pl, &n) < 0)
            continue;
        if (n.type == IKE_N_NO_ADDITIONAL_ADDRESSES) {
            s->n_additional = 0;
            listed = true;
            continue;
        }
        bool v4 = n.type == IKE_N_ADDITIONAL_IP4_ADDRESS && n.data_len == 4;
        bool v6 = n.type == IKE_N_ADDITIONAL_IP6_ADDRESS && n.data_len == 16;
        if (!v4 && !v6)
            continue;
        if (!listed) {
            s->n_additional = 0; /* a new list replaces the old one */
            listed = true;
        }
        if (s->n_additional >= G_N_ELEMENTS(s->additional))
            continue;
        ikes_sockaddr_set(&s->additional[s->n_additional++], n.data, n.data_len, 0);
    }
    if (listed)
        _LOGS(LOG_INFO, s, "the gateway has %u other address%s", s->n_additional,
              s->n_additional == 1 ? "" : "es");
}

void ikes_mobike_auth_response(struct ike_session *s, const struct ike_msg *m)
{
    if (!s->mobike_wanted)
        return;
    if (!s->mobike && ikes_find_notify(m, IKE_N_MOBIKE_SUPPORTED, NULL)) {
        s->mobike = true;
        _LOGS(LOG_INFO, s, "MOBIKE: the gateway supports it; the tunnel follows address changes");
    }
    read_additional(s, m);
}

/* A liveness check under MOBIKE asks for the gateway's NAT-D too. */
bool ikes_mobike_add_natd(struct ike_session *s, struct ike_builder *b)
{
    return !s->mobike || ikes_build_natd(s, b, (const struct sockaddr *)&s->natt_gateway);
}

void ikes_mobike_update(struct ike_session *s)
{
    struct ike_builder b;

    if (ikes_busy(s, ikes_mobike_update))
        return;
    if (!ikes_random(s, s->cookie2, sizeof(s->cookie2)))
        return;
    ikes_begin_encrypted(s, &b, IKE_INFORMATIONAL, false, s->sa.next_id);
    ike_build_notify(&b, 0, NULL, 0, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0);
    if (!ikes_build_natd(s, &b, (const struct sockaddr *)&s->natt_gateway)) {
        ike_builder_clear(&b);
        return;
    }
    ike_build_notify(&b, 0, NULL, 0, IKE_N_COOKIE2, s->cookie2, sizeof(s->cookie2));
    if (ikes_send_built_request(s, &b, &ikes_ex_update))
        _LOGS(LOG_INFO, s, "MOBIKE: telling the gateway our new address (UPDATE_SA_ADDRESSES)");
}

int ike_session_path_changed(struct ike_session *s)
{
    switch (s->state) {
    case ST_IDLE:
    case ST_DONE:
        return -EAGAIN;
    case ST_ESTABLISHED:
        if (!s->mobike)
            return -EOPNOTSUPP;
        ikes_request_again(s, false);
        if (!ikes_request_is(s, &ikes_ex_update))
            ikes_mobike_update(s); /* now, or queued behind the request that is out */
        return 0;
    case ST_CLOSING:
        ikes_request_again(s, false);
        return 0;
    default:
        /* still being set up: the exchange goes on from the new address */
        ikes_request_again(s, false);
        return -EAGAIN;
    }
}

bool ike_session_mobike(const struct ike_session *s)
{
    return s->mobike;
}

/* The answer to our liveness check or UPDATE_SA_ADDRESSES. */
void ikes_on_mobike_response(struct ike_session *s, const struct ike_msg *m)
{
    bool update = s->request_ex == &ikes_ex_update;
    struct ike_notify n;

    ikes_request_done(s);
    uint16_t err = ikes_error_notify(m);
    if (err && update) {
        ikes_fail(s, IKE_FAIL_DEAD_PEER, "the gateway refused our new address (%s)",
                  ikes_notify_name(err));
        return;
    }
    if (ikes_gateway_gave_up(s, err, "INFORMATIONAL request"))
        return;
    if (update) {
        if (!ikes_find_notify(m, IKE_N_COOKIE2, &n) || n.data_len != sizeof(s->cookie2) ||
            CRYPTO_memcmp(n.data, s->cookie2, sizeof(s->cookie2)) != 0)
            _LOGS(LOG_WARNING, s, "MOBIKE: the gateway's answer does not echo our COOKIE2");
        _LOGS(LOG_INFO, s, "MOBIKE: the gateway moved the IKE SA and the CHILD_SA to our new address");
        read_additional(s, m);
    }
    if (!ikes_find_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP, &n) || n.data_len != SHA1_LEN)
        return;
    bool rebound = !update && s->natd_seen_set && memcmp(n.data, s->natd_seen, SHA1_LEN) != 0;
    memcpy(s->natd_seen, n.data, SHA1_LEN);
    s->natd_seen_set = true;
    if (rebound) {
        _LOGS(LOG_INFO, s, "MOBIKE: the gateway sees us from another address or port (a NAT "
                           "rebinding): updating");
        ikes_mobike_update(s);
    }
}

const struct ikes_exchange ikes_ex_update = {"UPDATE_SA_ADDRESSES", IKE_INFORMATIONAL,
                                             ikes_on_mobike_response, true};
