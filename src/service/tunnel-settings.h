/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From a connection's vpn.data / vpn.secrets (validated with
 * uip_settings_validate()) to the parameters of a tunnel: the one place that
 * turns settings keys into IKE and engine options.
 */
#pragma once

#include <glib.h>
#include <sys/socket.h>

#include "service/tunnel.h"

/*
 * Fill @p from @data and @secrets for a gateway at @gateway (its address; the
 * port comes from the settings).  String fields point into the two tables,
 * which must outlive @p.  FALSE with a translated UIP_SETTINGS_ERROR when a
 * value cannot be used (an auth method not supported yet, too many traffic
 * selectors of a family ...).
 */
gboolean uip_tunnel_params_from_settings(GHashTable *data, GHashTable *secrets,
                                         const struct sockaddr *gateway, socklen_t gateway_len,
                                         struct uip_tunnel_params *p, GError **error);

/*
 * The gateway address when the "gateway" setting is an IP literal: TRUE and
 * the address (port 0) in @ss.  FALSE for a DNS name (the caller resolves it).
 */
gboolean uip_gateway_literal(GHashTable *data, struct sockaddr_storage *ss, socklen_t *len);

/* Does any remote traffic selector in @p cover the gateway's own address (host-to-host)? */
gboolean uip_tunnel_params_covers_gateway(const struct uip_tunnel_params *p);

/* Make uip_settings_validate() check "ike" / "esp" with the real proposal parser. Call once. */
void uip_tunnel_settings_init(void);
