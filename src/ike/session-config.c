/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ike/session-config.h"

#include <string.h>

#include "common/uip-secret.h"
#include "ike/cert-auth.h"

void ike_session_config_copy(struct ike_session_config *dst, const struct ike_session_config *src)
{
    *dst = *src;
    dst->psk = src->psk ? g_memdup2(src->psk, src->psk_len) : NULL;
    dst->eap_identity = g_strdup(src->eap_identity);
    dst->eap_password = g_strdup(src->eap_password);
    dst->ca_cert = g_strdup(src->ca_cert);
    dst->user_cert = g_strdup(src->user_cert);
    dst->user_key = g_strdup(src->user_key);
    dst->user_key_password = g_strdup(src->user_key_password);
    dst->trust = ike_trust_ref(src->trust);
    dst->cred = ike_cred_ref(src->cred);
    dst->local_id = g_strdup(src->local_id);
    dst->remote_id = g_strdup(src->remote_id);
    dst->gateway_name = g_strdup(src->gateway_name);
    dst->ike_proposals = g_strdup(src->ike_proposals);
    dst->esp_proposals = g_strdup(src->esp_proposals);
}

void ike_session_config_clear(struct ike_session_config *cfg)
{
    if (!cfg)
        return;
    uip_free_secret((void *)cfg->psk, cfg->psk_len);
    uip_free_secret_str((char *)cfg->eap_password);
    uip_free_secret_str((char *)cfg->user_key_password);
    uip_free_secret_str((char *)cfg->user_key); /* a path, or the key itself */
    g_free((char *)cfg->eap_identity);
    g_free((char *)cfg->ca_cert);
    g_free((char *)cfg->user_cert);
    ike_trust_free(cfg->trust);
    ike_cred_free(cfg->cred);
    g_free((char *)cfg->local_id);
    g_free((char *)cfg->remote_id);
    g_free((char *)cfg->gateway_name);
    g_free((char *)cfg->ike_proposals);
    g_free((char *)cfg->esp_proposals);
    uip_wipe(cfg, sizeof(*cfg));
}
