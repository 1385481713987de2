/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NMUipsecPlugin: the NMVpnServicePlugin that NetworkManager talks to.  It
 * validates the connection's settings, runs one tunnel (tunnel.h) in the
 * main loop and reports its result; it writes no addresses, routes or DNS.
 */
#pragma once

#include <NetworkManager.h>

#include "common/uip-settings.h"

#define NM_TYPE_UIPSEC_PLUGIN (nm_uipsec_plugin_get_type())
G_DECLARE_FINAL_TYPE(NMUipsecPlugin, nm_uipsec_plugin, NM, UIPSEC_PLUGIN, NMVpnServicePlugin)

/*
 * @service_user: the system user the service becomes, with no capabilities,
 * NO_NEW_PRIVS and a seccomp allow-list, once its one tunnel runs
 * (privileges.h); NULL keeps root (--persist, which may need to start another).
 */
NMUipsecPlugin *nm_uipsec_plugin_new(const char *bus_name, const char *service_user,
                                     GError **error);
