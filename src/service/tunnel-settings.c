/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Settings keys -> tunnel parameters (see tunnel-settings.h).
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "service/tunnel-settings.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "common/uip-settings.h"
#include "common/uip-ts.h"
#include "ike/ike-id.h"
#include "ike/proposal.h"

static const char *secret(GHashTable *secrets, const char *key)
{
    const char *v = secrets ? g_hash_table_lookup(secrets, key) : NULL;
    return v && v[0] ? v : NULL;
}

static gboolean ts_list(GHashTable *data, const char *key, struct uip_ts *ts, unsigned *n,
                        GError **error)
{
    const char *value = uip_settings_get_string(data, key);

    *n = 0;
    if (!value)
        return TRUE;
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    for (unsigned i = 0; parts[i]; i++) {
        g_strstrip(parts[i]);
        if (!parts[i][0])
            continue;
        if (*n >= IKE_SESSION_MAX_TS || uip_ts_parse(parts[i], &ts[*n]) < 0) {
            g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE,
                        _("Invalid value for “%s”: at most %u prefixes"), key,
                        (unsigned)IKE_SESSION_MAX_TS);
            return FALSE;
        }
        (*n)++;
    }
    return TRUE;
}

gboolean uip_gateway_literal(GHashTable *data, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *gw = uip_settings_get_string(data, UIP_KEY_GATEWAY);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (!gw)
        return FALSE;
    if (inet_pton(AF_INET, gw, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        *len = sizeof(*in);
        return TRUE;
    }
    if (inet_pton(AF_INET6, gw, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        *len = sizeof(*in6);
        return TRUE;
    }
    return FALSE;
}

gboolean uip_tunnel_params_from_settings(GHashTable *data, GHashTable *secrets,
                                         const struct sockaddr *gateway, socklen_t gateway_len,
                                         struct uip_tunnel_params *p, GError **error)
{
    struct ike_session_config *c = &p->ike;
    guint port = uip_settings_get_uint(data, UIP_KEY_PORT);
    const char *psk, *dpd_action;

    memset(p, 0, sizeof(*p));
    if (gateway_len > sizeof(c->gateway) ||
        (gateway->sa_family != AF_INET && gateway->sa_family != AF_INET6)) {
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE,
                    _("Invalid value for “%s”: not an IPv4 or IPv6 address"), UIP_KEY_GATEWAY);
        return FALSE;
    }
    memcpy(&c->gateway, gateway, gateway_len);
    c->gateway_len = gateway_len;
    if (gateway->sa_family == AF_INET)
        ((struct sockaddr_in *)&c->gateway)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&c->gateway)->sin6_port = htons((uint16_t)port);

    enum uip_auth auth = uip_settings_get_auth(data);
    switch (auth) {
    case UIP_AUTH_PSK:
        c->auth = IKE_AUTHM_PSK;
        psk = secret(secrets, UIP_KEY_PSK);
        c->psk = (const uint8_t *)psk;
        c->psk_len = psk ? strlen(psk) : 0;
        if (!psk) {
            g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                        _("Missing secret “%s” (%s)"), UIP_KEY_PSK,
                        uip_setting_get_name(uip_settings_lookup(UIP_KEY_PSK)));
            return FALSE;
        }
        break;
    case UIP_AUTH_EAP_MSCHAPV2:
        c->auth = IKE_AUTHM_EAP_MSCHAPV2;
        c->eap_identity = uip_settings_get_string(data, UIP_KEY_USER);
        c->eap_password = secret(secrets, UIP_KEY_PASSWORD);
        if (!c->eap_password) {
            g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_MISSING,
                        _("Missing secret “%s” (%s)"), UIP_KEY_PASSWORD,
                        uip_setting_get_name(uip_settings_lookup(UIP_KEY_PASSWORD)));
            return FALSE;
        }
        break;
    case UIP_AUTH_CERT:
    case UIP_AUTH_EAP_TLS:
        /* our certificate and key; with EAP-TLS inside TLS, the EAP identity being user
         * (none = local-id, else the certificate's identity) */
        c->auth = auth == UIP_AUTH_EAP_TLS ? IKE_AUTHM_EAP_TLS : IKE_AUTHM_CERT;
        if (auth == UIP_AUTH_EAP_TLS)
            c->eap_identity = uip_settings_get_string(data, UIP_KEY_USER);
        c->user_cert = uip_settings_get_string(data, UIP_KEY_USER_CERT);
        c->user_key = uip_settings_get_string(data, UIP_KEY_USER_KEY);
        c->user_key_password = secret(secrets, UIP_KEY_USER_KEY_PASSWORD);
        break;
    default:
        g_set_error(error, UIP_SETTINGS_ERROR, UIP_SETTINGS_ERROR_INVALID_VALUE,
                    _("Invalid value for “%s”: authentication “%s” is not supported yet"),
                    UIP_KEY_AUTH, uip_settings_get_string(data, UIP_KEY_AUTH));
        return FALSE;
    }

    c->ca_cert = uip_settings_get_string(data, UIP_KEY_CA_CERT);
    c->local_id = uip_settings_get_string(data, UIP_KEY_LOCAL_ID);
    c->remote_id = uip_settings_get_string(data, UIP_KEY_REMOTE_ID);
    /* without remote-id the gateway's certificate may name the host name we were given (an
     * internationalized one would be its ASCII form in the certificate: left to the address) */
    c->gateway_name = uip_settings_get_string(data, UIP_KEY_GATEWAY);
    if (c->gateway_name &&
        (g_hostname_is_ip_address(c->gateway_name) || g_hostname_is_non_ascii(c->gateway_name)))
        c->gateway_name = NULL;
    c->ike_proposals = uip_settings_get_string(data, UIP_KEY_IKE);
    c->esp_proposals = uip_settings_get_string(data, UIP_KEY_ESP);
    c->virtual_ipv4 = uip_settings_get_bool(data, UIP_KEY_VIRTUAL_IPV4);
    c->virtual_ipv6 = uip_settings_get_bool(data, UIP_KEY_VIRTUAL_IPV6);
    c->fragmentation = uip_settings_get_bool(data, UIP_KEY_FRAGMENTATION);
    c->mobike = uip_settings_get_bool(data, UIP_KEY_MOBIKE);
    c->dpd_interval = uip_settings_get_uint(data, UIP_KEY_DPD_INTERVAL);
    c->child_rekey_time = uip_settings_get_uint(data, UIP_KEY_REKEY_CHILD);
    c->ike_rekey_time = uip_settings_get_uint(data, UIP_KEY_REKEY_IKE);
    if (!ts_list(data, UIP_KEY_LOCAL_TS, c->local_ts, &c->n_local_ts, error) ||
        !ts_list(data, UIP_KEY_REMOTE_TS, c->remote_ts, &c->n_remote_ts, error))
        return FALSE;

    p->nat_keepalive = uip_settings_get_uint(data, UIP_KEY_NAT_KEEPALIVE);
    p->bind_device = uip_tunnel_params_covers_gateway(p);
    p->follow_path = true;
    /* dpd-action: restart is strongSwan's dpd_action = restart; fail reports a dead gateway
     * to NetworkManager at once */
    dpd_action = uip_settings_get_string(data, UIP_KEY_DPD_ACTION);
    p->restart_tries =
        g_strcmp0(dpd_action, UIP_DPD_ACTION_FAIL) == 0 ? 0 : UIP_TUNNEL_RESTART_TRIES;
    return TRUE;
}

gboolean uip_tunnel_params_covers_gateway(const struct uip_tunnel_params *p)
{
    const struct ike_session_config *c = &p->ike;
    const uint8_t *gw =
        c->gateway.ss_family == AF_INET
            ? (const uint8_t *)&((const struct sockaddr_in *)&c->gateway)->sin_addr
            : (const uint8_t *)&((const struct sockaddr_in6 *)&c->gateway)->sin6_addr;

    /* a full tunnel (/0) leaves the gateway to NetworkManager's host route: only a selector
     * aimed at the gateway's own address needs the sockets kept off the tunnel */
    return uip_ts_list_narrowly_contains(c->remote_ts, c->n_remote_ts, c->gateway.ss_family, gw);
}

/* ---- proposal strings ------------------------------------------------------------------------- */

static gboolean proposal_validator(enum uip_proposal_kind kind, const char *value, char **reason)
{
    struct ike_proposal props[IKE_MAX_PROPOSALS];
    unsigned n;
    char detail[128] = "";

    if (ike_proposals_parse(value, kind == UIP_PROPOSAL_IKE ? IKE_PROTO_IKE : IKE_PROTO_ESP, props,
                            IKE_MAX_PROPOSALS, &n, detail, sizeof(detail)) == 0)
        return TRUE;
    /* the parser's detail names the algorithm keyword at fault: not translated */
    *reason = g_strdup(detail);
    return FALSE;
}

/* uip_id_validator_fn: strongSwan's identity syntax as the session parses it */
static gboolean id_validator(const char *value, char **reason)
{
    uint8_t type, *data = NULL;
    size_t len;
    const char *why = NULL;

    if (ike_id_from_text(value, &type, &data, &len, &why) == 0) {
        g_free(data);
        return TRUE;
    }
    *reason = g_strdup(why);
    return FALSE;
}

void uip_tunnel_settings_init(void)
{
    uip_settings_set_proposal_validator(proposal_validator);
    uip_settings_set_id_validator(id_validator);
}
