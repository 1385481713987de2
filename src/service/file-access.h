/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whose rights the files of a connection are read with, and reading them
 * once, before the service drops its own rights.
 *
 * A connection private to users (connection.permissions "user:NAME") has its
 * CA, certificate and key files opened as each of those users: every one of
 * them must be able to read them, and the contents read as the first one are
 * used.  A connection for all users (no permissions: only an administrator
 * may make one) has them read as the service, root.
 */
#pragma once

#include <NetworkManager.h>

#include "service/tunnel.h"

struct uip_file_owners {
    GPtrArray *users; /* of struct uip_file_owner *; empty: shared connection */
};

/* FALSE with a translated NM_VPN_PLUGIN_ERROR when a listed user does not exist. */
gboolean uip_file_owners_from_connection(NMConnection *connection, struct uip_file_owners *out,
                                         GError **error);
void uip_file_owners_clear(struct uip_file_owners *o);

/* The user files are read as (the first listed), or NULL for a shared connection. */
const struct uip_file_owner *uip_file_owners_reader(const struct uip_file_owners *o);

/*
 * Load the CA and our certificate and key named in @p into p->ike.trust and
 * p->ike.cred (only those the authentication method uses) as @o says.
 * FALSE with a translated NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS naming the file
 * and the reason.  Drop them with uip_tunnel_params_unload_files().
 */
gboolean uip_tunnel_params_load_files(struct uip_tunnel_params *p,
                                      const struct uip_file_owners *o, GError **error);
void uip_tunnel_params_unload_files(struct uip_tunnel_params *p);
