/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Import of Apple configuration profiles (".mobileconfig": an XML property
 * list, possibly signed as CMS) holding one IKEv2 VPN payload
 * (com.apple.vpn.managed, VPNType IKEv2) and its certificate payloads.
 * GTK-free: the core editor plugin, the unit tests and the fuzzer link it.
 *
 * Like the .sswan import (uip-sswan.h), whose import object and certificate
 * handling it shares: uip_mobileconfig_parse() turns bytes into a connection
 * and the files it refers to, held in memory; uip_sswan_import_write_files()
 * writes them.  What the profile says and uipsec cannot do is refused by
 * name (the Apple key, as a dotted path such as “IKEv2.DisableRedirect”),
 * never dropped; all problems of a profile in one error.  The mapping is
 * described at the top of uip-mobileconfig.c.
 *
 * Errors: NM_CONNECTION_ERROR_FAILED for the file and its format,
 * UIP_SETTINGS_ERROR for a value uipsec refuses (the message names the Apple
 * key), GFileError for files that cannot be read or written.
 */
#pragma once

#include <NetworkManager.h>

#include "uip-sswan.h"

/* Profiles larger than this are refused (a real one is a few kilobytes). */
#define UIP_MOBILECONFIG_MAX_SIZE (1024 * 1024)

/* The file name extension of the format, without the dot. */
#define UIP_MOBILECONFIG_EXTENSION "mobileconfig"

/*
 * TRUE when @data looks like a property list or a signed profile (an XML
 * declaration or <plist>, "bplist", or DER/BER that starts a CMS message)
 * rather than a .sswan profile: which importer to use.  Reads at most the
 * first few hundred bytes.
 */
gboolean uip_mobileconfig_looks_like(const char *data, gsize len);

/* The same for the start of the file at @path (FALSE when it cannot be read). */
gboolean uip_mobileconfig_file_looks_like(const char *path);

/*
 * Parse @len bytes of a profile; @cert_dir is the absolute folder the
 * certificate and key files will go to (nothing is written here).  Returns
 * the import (uip_sswan_import_get_connection(), _write_files(), _free()) or
 * NULL with @error.  The connection carries the profile's secrets (psk,
 * password, user-key-password) in vpn.secrets.  Never writes, never prompts.
 */
UipSswanImport *uip_mobileconfig_parse(const char *data, gsize len, const char *cert_dir,
                                       GError **error);

/* Read @path, parse, write the files, return a new connection; @cert_dir absolute, or NULL for
 * the default folder (uip_sswan_default_cert_dir()). */
NMConnection *uip_mobileconfig_import_file(const char *path, const char *cert_dir, GError **error);
