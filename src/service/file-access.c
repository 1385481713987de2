/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files of a connection, read as its users (see file-access.h).
 */
#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "NetworkManager-uipsec"
#endif

#include "service/file-access.h"

#include <errno.h>
#include <glib/gi18n-lib.h>

#include "common/uip-file.h"
#include "common/uip-log.h"
#include "common/uip-pkcs11-uri.h"
#include "ike/cert-auth.h"

static void owner_free(gpointer p)
{
    uip_file_owner_clear(p);
    g_free(p);
}

void uip_file_owners_clear(struct uip_file_owners *o)
{
    if (o && o->users)
        g_ptr_array_unref(g_steal_pointer(&o->users));
}

gboolean uip_file_owners_from_connection(NMConnection *connection, struct uip_file_owners *out,
                                         GError **error)
{
    NMSettingConnection *s_con = nm_connection_get_setting_connection(connection);
    guint n = s_con ? nm_setting_connection_get_num_permissions(s_con) : 0;

    out->users = g_ptr_array_new_with_free_func(owner_free);
    for (guint i = 0; i < n; i++) {
        const char *type = NULL, *item = NULL;
        struct uip_file_owner *o;
        int r;

        if (!nm_setting_connection_get_permission(s_con, i, &type, &item, NULL) ||
            g_strcmp0(type, "user") != 0 || !item)
            continue;
        o = g_new0(struct uip_file_owner, 1);
        r = uip_file_owner_lookup(item, o);
        if (r < 0) {
            g_free(o);
            g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                        _("The connection is private to user “%s”, who does not exist"), item);
            uip_file_owners_clear(out);
            return FALSE;
        }
        g_ptr_array_add(out->users, o);
    }
    return TRUE;
}

const struct uip_file_owner *uip_file_owners_reader(const struct uip_file_owners *o)
{
    return o && o->users && o->users->len ? o->users->pdata[0] : NULL;
}

/* Every user of a private connection must be able to read @path (the first reads it for real). */
static gboolean others_can_read(const char *path, const struct uip_file_owners *o,
                                GError **error)
{
    if (uip_pkcs11_is_uri(path)) /* on a token, not a file: the PIN guards it */
        return TRUE;
    for (guint i = 1; path && *path && o->users && i < o->users->len; i++) {
        const struct uip_file_owner *u = o->users->pdata[i];
        struct uip_file_data d = {0};
        int r = uip_file_read(path, u, UIP_FILE_MAX_LEN, &d);

        uip_file_data_clear(&d);
        if (r < 0) {
            g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                        _("User “%s”, who may use this connection, cannot read “%s”: %s"),
                        u->name, path, uip_file_strerror(r));
            return FALSE;
        }
    }
    return TRUE;
}

gboolean uip_tunnel_params_load_files(struct uip_tunnel_params *p,
                                      const struct uip_file_owners *o, GError **error)
{
    struct ike_session_config *c = &p->ike;
    const struct uip_file_owner *as = uip_file_owners_reader(o);
    char err[256] = "";
    int r;

    if (c->auth == IKE_AUTHM_PSK) /* the gateway must prove the key: no CA (ike-auth.c) */
        return TRUE;
    if (!others_can_read(c->ca_cert, o, error))
        return FALSE;
    r = ike_trust_new_as(c->ca_cert, as, &c->trust, err, sizeof(err));
    if (r < 0) {
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                    _("Cannot load the CA certificate: %s"), err);
        return FALSE;
    }
    if (c->auth != IKE_AUTHM_CERT && c->auth != IKE_AUTHM_EAP_TLS)
        return TRUE;
    if (!others_can_read(c->user_cert, o, error) || !others_can_read(c->user_key, o, error)) {
        uip_tunnel_params_unload_files(p);
        return FALSE;
    }
    r = ike_cred_load_as(c->user_cert, c->user_key, c->user_key_password, as, &c->cred, err,
                         sizeof(err));
    if (r < 0) {
        uip_tunnel_params_unload_files(p);
        g_set_error(error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
                    _("Cannot load the user certificate or its key: %s"), err);
        return FALSE;
    }
    if (as)
        _LOGI("certificate files read as user %s, whose connection this is", as->name);
    return TRUE;
}

void uip_tunnel_params_unload_files(struct uip_tunnel_params *p)
{
    ike_trust_free(g_steal_pointer(&p->ike.trust));
    ike_cred_free(g_steal_pointer(&p->ike.cred));
}
